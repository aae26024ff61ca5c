//! The organization side of the account-level services, for the account baseline in the
//! delegated administrator account of GuardDuty and Security Hub (`org_services=admin`):
//!
//! - GuardDuty's organization configuration, auto-enabling every member account (`ALL`) with
//!   the protection plans and runtime agents of this account's detector
//!   ([`crate::controls::guardduty`]). CloudFormation has no resource type for it, so a small
//!   function calls `UpdateOrganizationConfiguration` on this region's detector; its physical
//!   id records the configuration it found, and the delete puts that back (as the account
//!   settings do: the organization's configuration is not the stack's).
//! - Security Hub central configuration in the home region: a finding aggregator linking every
//!   region (central configuration needs one, in the home region), the organization
//!   configuration (`CENTRAL`, so the service's own auto-enable is off), and a configuration
//!   policy enabling Security Hub with the tier's standards and every control, associated with
//!   the organization's root or an OU (`org_policy_target`).
//! - AWS Config, where the tier records it: an organization aggregator over every region,
//!   with its role.
//!
//! None of these claims a CIS or Security Hub control id: those are evaluated in each member
//! account, by the detector and hub the organization configuration gives it.
//!
//! The physical ids of the GuardDuty function:
//! - `harden-guardduty-org:previous=<base64url of the compact JSON of the configuration
//!   found>`: `{"m": AutoEnableOrganizationMembers, "f": [[feature, AutoEnable,
//!   [[agent, AutoEnable], ...]], ...]}`, the features limited to those the function sets;
//! - `harden-guardduty-org:unchanged`: the create failed before changing anything; the delete
//!   that rolls it back changes nothing (as does an id it cannot read).

use indexmap::IndexMap;

use crate::cfn::custom::CustomResource;
use crate::cfn::generated::{config, iam, securityhub};
use crate::cfn::policy::{assume_role_by, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::aws_config::CONFIG_RECORDER;
use crate::controls::guardduty::{FEATURES, RUNTIME_AGENTS};
use crate::controls::iam_role::{Wildcard, LEAST_PRIVILEGE_ROLE};
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::controls::security_hub::STANDARDS;
use crate::params::rules::OrgTarget;
use crate::tier::Tier;

/// GuardDuty on in every member account.
pub static GUARDDUTY_ORGANIZATION: Control = Control {
    id: "guardduty-organization",
    title: "GuardDuty auto-enabled in every member account (ALL) with the detector's protection plans; the previous organization configuration restored on delete",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &[],
};

/// Security Hub central configuration.
pub static SECURITY_HUB_CENTRAL: Control = Control {
    id: "security-hub-central-configuration",
    title: "Security Hub central configuration: findings aggregated from every region, a policy enabling the tier's standards and every control associated with the organization root or an OU",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &[],
};

/// The organization's Config aggregator.
pub static CONFIG_AGGREGATOR: Control = Control {
    id: "config-organization-aggregator",
    title: "an AWS Config aggregator of every account of the organization, in every region",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// The reason recorded for each control a member account's baseline leaves to the organization.
pub const MEMBER_REASON: &str =
    "enabled by the organization's delegated administrator (org_services=member)";

/// The physical id prefix of the GuardDuty function, as it writes it.
pub const GUARDDUTY_ORG_ID: &str = "harden-guardduty-org:";

/// The GuardDuty organization configuration function (Python, inline). Public so a test can
/// run it against a fake client.
pub const GUARDDUTY_ORG_CODE: &str = r#"import base64, json
import boto3, cfnresponse

gd = boto3.client('guardduty')
ID = 'harden-guardduty-org:'
PREV = ID + 'previous='


def detector():
    ids = gd.list_detectors()['DetectorIds']
    return ids[0] if ids else None


def previous(d, names):
    c = gd.describe_organization_configuration(DetectorId=d)  # one page holds every feature
    m = c.get('AutoEnableOrganizationMembers') or ('NEW' if c.get('AutoEnable') else 'NONE')
    f = [[x['Name'], x.get('AutoEnable', 'NONE'),
          [[a['Name'], a.get('AutoEnable', 'NONE')] for a in x.get('AdditionalConfiguration', [])]]
         for x in c.get('Features', []) if x['Name'] in names]
    v = base64.urlsafe_b64encode(json.dumps({'m': m, 'f': f}, separators=(',', ':')).encode())
    return PREV + v.decode().rstrip('=')


def configure(d, m, f):
    gd.update_organization_configuration(DetectorId=d, AutoEnableOrganizationMembers=m, Features=[
        dict({'Name': n, 'AutoEnable': a},
             **({'AdditionalConfiguration': [{'Name': x, 'AutoEnable': y} for x, y in e]} if e else {}))
        for n, a, e in f])


def handler(event, context):
    physical = event.get('PhysicalResourceId', ID + 'unchanged')
    try:
        p, d = event['ResourceProperties'], detector()
        if event['RequestType'] == 'Delete':
            v = physical[len(PREV):] if physical.startswith(PREV) else ''
            try:
                c = json.loads(base64.urlsafe_b64decode(v + '=' * (-len(v) % 4))) if v else None
            except ValueError:
                c = None
            if d and isinstance(c, dict) and c.get('m') in ('NEW', 'ALL', 'NONE'):
                configure(d, c['m'], c.get('f', []))
            # else the create changed nothing, the record is unreadable, or no detector is left
        else:  # an Update keeps the id: a new one would make CloudFormation delete the old
            if not d:
                raise ValueError('no GuardDuty detector here: deploy harden-account-baseline first')
            f = [[n, 'ALL', []] for n in p['Features']]
            f.append(['RUNTIME_MONITORING', 'ALL', [[a, 'ALL'] for a in p['RuntimeAgents']]])
            if event['RequestType'] == 'Create':
                physical = previous(d, {x[0] for x in f})
            configure(d, p['AutoEnableOrganizationMembers'], f)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(err))
"#;

/// GuardDuty's organization configuration (from enhanced): every member account, existing and
/// joining, gets GuardDuty with this detector's protection plans. `key_arn` encrypts the
/// function's log group and the stack's helper dead-letter queue.
pub fn guardduty_organization(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
) -> Option<Handle<CustomResource>> {
    if !GUARDDUTY_ORGANIZATION.on(tier) {
        return None;
    }
    let list = |items: &[&str]| Expr::list(items.iter().map(|s| Expr::str(*s)));
    let mut properties = IndexMap::new();
    properties.insert(
        "AutoEnableOrganizationMembers".to_string(),
        Expr::str("ALL"),
    );
    properties.insert("Features".to_string(), list(FEATURES));
    properties.insert("RuntimeAgents".to_string(), list(RUNTIME_AGENTS));
    let cr = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "GuardDutyOrganization",
            type_name: "Custom::GuardDutyOrganizationConfiguration",
            description: "Auto-enables GuardDuty with its protection plans in every member account; restores the previous configuration on delete",
            code: GUARDDUTY_ORG_CODE,
            statements: Vec::new(),
            wildcards: vec![Wildcard {
                statement: Statement::allow("GuardDutyOrganizationConfiguration")
                    .actions([
                        "guardduty:DescribeOrganizationConfiguration",
                        "guardduty:ListDetectors",
                        "guardduty:UpdateOrganizationConfiguration",
                    ])
                    .resource(Expr::str("*")),
                reason: "GuardDuty's organization configuration actions and ListDetectors support no resource-level permissions",
            }],
            properties,
            key_arn,
            control: &GUARDDUTY_ORGANIZATION,
        },
    );
    Some(cr)
}

/// Security Hub central configuration (from enhanced; the caller scopes it to the home
/// region): the finding aggregator, the organization configuration, the tier's policy and its
/// association with `target`.
pub fn security_hub_central(
    t: &mut Template,
    tier: Tier,
    target: &OrgTarget,
) -> Option<Handle<securityhub::PolicyAssociation>> {
    if !SECURITY_HUB_CENTRAL.on(tier) {
        return None;
    }
    let aggregator = t.add(
        "SecurityHubFindingAggregator",
        securityhub::FindingAggregator {
            region_linking_mode: Some("ALL_REGIONS".into()),
            ..Default::default()
        },
    );
    t.res(&aggregator).control(&SECURITY_HUB_CENTRAL);
    let organization = t.add(
        "SecurityHubOrganizationConfiguration",
        securityhub::OrganizationConfiguration {
            auto_enable: Some(false.into()),
            auto_enable_standards: Some("NONE".into()),
            configuration_type: Some("CENTRAL".into()),
        },
    );
    t.res(&organization)
        .control(&SECURITY_HUB_CENTRAL)
        .depends_on(aggregator.id());
    let standards = STANDARDS
        .iter()
        .filter(|(_, _, c)| c.on(tier))
        .map(|(_, path, _)| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}::standards/{path}"
            ))
        });
    let policy = t.add(
        "SecurityHubConfigurationPolicy",
        securityhub::ConfigurationPolicy {
            // The same name and description at every tier: a tier change updates the policy's
            // standards in place.
            name: Some("harden-account-baseline".into()),
            description: Some(
                "harden: Security Hub on with the baseline tier's standards and every control, new controls included".into(),
            ),
            configuration_policy: Some(securityhub::configuration_policy::Policy {
                security_hub: Some(securityhub::configuration_policy::SecurityHubPolicy {
                    service_enabled: Some(true.into()),
                    enabled_standard_identifiers: Some(Expr::list(standards)),
                    security_controls_configuration: Some(
                        securityhub::configuration_policy::SecurityControlsConfiguration {
                            disabled_security_control_identifiers: Some(Expr::list([])),
                            ..Default::default()
                        },
                    ),
                }),
            }),
            ..Default::default()
        },
    );
    t.res(&policy)
        .control(&SECURITY_HUB_CENTRAL)
        .depends_on(organization.id());
    let target_type = match target {
        OrgTarget::Root(_) => "ROOT",
        OrgTarget::OrganizationalUnit(_) => "ORGANIZATIONAL_UNIT",
    };
    let association = t.add(
        "SecurityHubPolicyAssociation",
        securityhub::PolicyAssociation {
            configuration_policy_id: Some(policy.get_att(securityhub::ConfigurationPolicyAttr::Id)),
            target_id: Some(target.id().into()),
            target_type: Some(target_type.into()),
        },
    );
    t.res(&association).control(&SECURITY_HUB_CENTRAL);
    Some(association)
}

/// The organization's Config aggregator and its role (where the tier records Config; the
/// caller scopes it to the home region).
pub fn config_aggregator(
    t: &mut Template,
    tier: Tier,
) -> Option<Handle<config::ConfigurationAggregator>> {
    if !(CONFIG_AGGREGATOR.on(tier) && CONFIG_RECORDER.on(tier)) {
        return None;
    }
    let role = t.add(
        "ConfigAggregatorRole",
        iam::Role {
            description: Some(
                "AWS Config reads the organization's accounts for the organization aggregator"
                    .into(),
            ),
            assume_role_policy_document: Some(assume_role_by("config.amazonaws.com", true)),
            managed_policy_arns: Some(Expr::list([Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSConfigRoleForOrganizations",
            )])),
            max_session_duration: Some(3600.into()),
            ..Default::default()
        },
    );
    t.res(&role)
        .control(&CONFIG_AGGREGATOR)
        .control(&LEAST_PRIVILEGE_ROLE);
    let aggregator = t.add(
        "ConfigOrganizationAggregator",
        config::ConfigurationAggregator {
            configuration_aggregator_name: Some("harden-organization".into()),
            organization_aggregation_source: Some(
                config::configuration_aggregator::OrganizationAggregationSource {
                    all_aws_regions: Some(true.into()),
                    role_arn: Some(role.get_att(iam::RoleAttr::Arn)),
                    ..Default::default()
                },
            ),
            ..Default::default()
        },
    );
    t.res(&aggregator).control(&CONFIG_AGGREGATOR);
    Some(aggregator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_code_fits_and_writes_its_prefix() {
        // `Code.ZipFile` takes at most 4,096 characters.
        assert!(
            GUARDDUTY_ORG_CODE.len() <= 4096,
            "{}",
            GUARDDUTY_ORG_CODE.len()
        );
        assert!(GUARDDUTY_ORG_CODE.contains(&format!("ID = '{GUARDDUTY_ORG_ID}'")));
    }
}
