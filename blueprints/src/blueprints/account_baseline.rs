//! `account-baseline`: the account-level security services, once per account and region.
//! Nothing at basic. From enhanced: a multi-region CloudTrail trail (validated, KMS-encrypted,
//! to an access-logged bucket and to CloudWatch Logs), GuardDuty, Security Hub with the CIS
//! v3.0.0 and FSBP standards, and the CIS alarms on unauthorized API calls and root usage to an
//! encrypted topic. At enterprise: S3 data events on the trail, AWS Config with managed rules,
//! IAM Access Analyzer, the account password policy, the rest of the CIS section 4 alarms, and
//! stateful resources retained.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackSpec};
use crate::blueprints::finish;
use crate::blueprints::sagemaker_vpc as guide;
use crate::cfn::generated::{cloudtrail as ct, kms};
use crate::cfn::{Expr, Template};
use crate::controls::access_analyzer::analyzer;
use crate::controls::alarms::alert_topic;
use crate::controls::aws_config::{config_service, CONFIG_RECORDER};
use crate::controls::cis_alarms::cis_alarms;
use crate::controls::cloudtrail::{trail, TRAIL_NAME};
use crate::controls::guardduty::detector;
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::password_policy::password_policy;
use crate::controls::s3_bucket::access_log_bucket;
use crate::controls::security_hub::hub;
use crate::guide::{Cadence, Deviation, HardenCommand, Operation, Verb};
use crate::params::{Kind, ParamSpec};
use crate::tier::Tier;

/// The baseline's stack name: one per account and region, shared by every workload.
pub const STACK_NAME: &str = "harden-account-baseline";

/// The blueprint's name.
pub const NAME: &str = "account-baseline";

/// The blueprint.
pub struct AccountBaseline;

static PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "alert_email",
    description: "address subscribed to the security alerts topic",
    kind: Kind::Email,
    default: None,
}];

/// Where the baseline departs from the account-level sections of the SageMaker guide, and why.
/// Kept terse: the enterprise baseline is within a few bytes of the template size guard
/// (`every_shipped_stack_fits_the_template_body_limit`, 90% of CloudFormation's 51,200-byte
/// body limit), and these are rendered into it.
pub static DEVIATIONS: &[Deviation] = &[
    Deviation {
        guide: "the trail excludes KMS events",
        harden: "kept",
        reason: "CIS 4.7 alarms on key deletion read them",
    },
    Deviation {
        guide: "passwords of 12+ characters",
        harden: "14+ characters",
        reason: "CIS v3.0 1.8",
    },
];

/// The guide's account-level reviews, incident steps and contacts.
pub static OPERATIONS: &[Operation] = &[
    guide::REVIEW_GUARDDUTY,
    guide::REVIEW_IAM_ACCESS,
    guide::REVIEW_SECURITY_HUB,
    guide::REVIEW_ACCESS_ANALYZER,
    guide::COMPLIANCE_AUDIT,
    guide::INCIDENT_TRIAGE,
    guide::INCIDENT_CONTAINMENT,
    guide::INCIDENT_LESSONS,
    Operation {
        item: "security team contact: subscribe its address to the security alerts topic",
        cadence: Cadence::KeptCurrent,
        from: Tier::Enhanced,
        command: Some(HardenCommand {
            verb: Verb::Deploy,
            args: &["--param", "alert_email=security@example.com"],
        }),
    },
    guide::SUPPORT_CONTACTS,
];

/// What the baseline adds at a tier, for listings.
pub fn purposes(tier: Tier) -> Vec<&'static str> {
    if tier >= Tier::Enhanced {
        vec!["account baseline: CloudTrail, GuardDuty, Security Hub (+ Config, Access Analyzer, password policy, CIS alarms at enterprise)"]
    } else {
        Vec::new()
    }
}

/// The baseline stack at a tier, or `None` at basic (the baseline starts at enhanced).
pub fn baseline_stack(tier: Tier, alert_email: Option<&str>) -> Option<StackSpec> {
    if tier < Tier::Enhanced {
        return None;
    }
    let mut t = Template::new(format!(
        "harden account-baseline ({tier}): account-level security services for this account and region"
    ));
    let mut users = vec![
        KeyUser::CloudTrail(Expr::str(TRAIL_NAME)),
        KeyUser::Logs,
        KeyUser::CloudWatchAlarms,
        KeyUser::ViaService("s3"),
    ];
    if CONFIG_RECORDER.on(tier) {
        users.push(KeyUser::ServiceForAccount("config"));
    }
    let key = kms_key(
        &mut t,
        tier,
        "BaselineKey",
        "harden/account-baseline",
        "Encrypts the account baseline's trail, logs, buckets and alert topic",
        &users,
    );
    let key_arn = key.get_att(kms::KeyAttr::Arn);
    let log_bucket = access_log_bucket(&mut t, tier, "AccessLogBucket");
    let tr = trail(&mut t, tier, key_arn.clone(), &log_bucket);
    let guardduty = detector(&mut t);
    hub(&mut t);
    let topic = alert_topic(&mut t, tier, "AlertTopic", key_arn.clone(), alert_email);
    cis_alarms(&mut t, tier, &tr.log_group, &topic);
    let config = config_service(&mut t, tier, key_arn.clone(), &log_bucket);
    analyzer(&mut t, tier);
    password_policy(&mut t, tier, key_arn.clone());

    t.output(
        "BaselineKeyArn",
        "The KMS key that encrypts the baseline's logs, buckets and topic",
        key_arn,
        None,
    );
    t.output(
        "TrailArn",
        "The account's CloudTrail trail",
        tr.trail.get_att(ct::TrailAttr::Arn),
        None,
    );
    t.output(
        "TrailBucketName",
        "The bucket the trail delivers to",
        tr.bucket.r#ref(),
        None,
    );
    t.output(
        "TrailLogGroupName",
        "The log group the trail delivers to",
        tr.log_group.r#ref(),
        None,
    );
    t.output(
        "AlertTopicArn",
        "The security alerts topic",
        topic.r#ref(),
        None,
    );
    t.output(
        "GuardDutyDetectorId",
        "The GuardDuty detector",
        guardduty.r#ref(),
        None,
    );
    if let Some(c) = &config {
        t.output(
            "ConfigBucketName",
            "The bucket AWS Config delivers to",
            c.bucket.r#ref(),
            None,
        );
    }

    let mut notes = Vec::new();
    if alert_email.is_none() {
        notes.push(
            "no `alert_email`: the security alarms publish to the alert topic, but nobody is subscribed\nhint: pass `--param alert_email=you@example.com`".to_string(),
        );
    }
    if config.is_none() {
        notes.push(
            "Security Hub evaluates most CIS and FSBP controls through AWS Config, which this baseline records from the enterprise tier\nhint: use `--tier enterprise`, or keep an AWS Config recorder of your own in this region".to_string(),
        );
    }
    Some(finish(
        t,
        STACK_NAME.to_string(),
        "account baseline",
        NAME,
        tier,
        Vec::new(),
        notes,
    ))
}

impl Blueprint for AccountBaseline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fixed_stack_name(&self) -> Option<&'static str> {
        Some(STACK_NAME)
    }

    fn stack_names(&self, _name: &str) -> Vec<(String, crate::StackRole)> {
        vec![(STACK_NAME.to_string(), crate::StackRole::AccountBaseline)]
    }

    fn summary(&self) -> &'static str {
        "the account-level security services, once per account and region"
    }

    fn source(&self) -> &'static str {
        "the account-level sections (CloudTrail, GuardDuty, Security Hub, AWS Config, IAM Access Analyzer, password policy) of the AWS Security Configuration Guide for SageMaker Infrastructure, raised to the CIS AWS Foundations Benchmark v3.0"
    }

    fn deviations(&self) -> &'static [Deviation] {
        DEVIATIONS
    }

    fn operations(&self) -> &'static [Operation] {
        OPERATIONS
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn stack_purposes(&self, tier: Tier) -> Vec<&'static str> {
        purposes(tier)
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        Ok(baseline_stack(req.tier, req.params.str("alert_email"))
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls;

    fn count(t: &Template, type_name: &str) -> usize {
        t.resources
            .values()
            .filter(|r| r.type_name() == type_name)
            .count()
    }

    #[test]
    fn none_at_basic() {
        assert!(baseline_stack(Tier::Basic, None).is_none());
    }

    #[test]
    fn renders_and_passes_the_audit_from_enhanced() {
        for tier in [Tier::Enhanced, Tier::Enterprise] {
            let stack =
                baseline_stack(tier, Some("sec@example.com")).expect("a baseline from enhanced");
            assert_eq!(stack.name, STACK_NAME);
            crate::cfn::render(&stack.template, crate::cfn::Format::Yaml).expect("renders");
            let findings =
                crate::audit::audit(&crate::cfn::to_node(&stack.template).expect("renders"));
            assert!(findings.is_empty(), "{tier}: {findings:#?}");
            for id in stack.template.controls() {
                assert!(
                    controls::find(id).is_some(),
                    "control `{id}` is not in controls::ALL"
                );
            }
        }
    }

    #[test]
    fn enterprise_adds_to_enhanced() {
        let enhanced = baseline_stack(Tier::Enhanced, None).unwrap().template;
        let enterprise = baseline_stack(Tier::Enterprise, None).unwrap().template;
        for id in enhanced.resources.keys() {
            assert!(
                enterprise.resources.contains_key(id),
                "enterprise drops `{id}`"
            );
        }
        assert_eq!(count(&enhanced, "AWS::Logs::MetricFilter"), 2);
        assert_eq!(count(&enterprise, "AWS::Logs::MetricFilter"), 15);
        assert_eq!(count(&enhanced, "AWS::Config::ConfigurationRecorder"), 0);
        assert_eq!(count(&enterprise, "AWS::Config::ConfigurationRecorder"), 1);
        assert_eq!(count(&enterprise, "AWS::Config::ConfigRule"), 14);
        assert_eq!(count(&enterprise, "AWS::AccessAnalyzer::Analyzer"), 1);
        assert_eq!(count(&enterprise, "Custom::AccountPasswordPolicy"), 1);
    }
}
