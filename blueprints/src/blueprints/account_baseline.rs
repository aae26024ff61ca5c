//! `account-baseline`: the account-level security services, once per account and region.
//! At basic, only API Gateway's account-level CloudWatch Logs role (the API blueprints deploy
//! the baseline from basic; the others from enhanced). From enhanced: a multi-region CloudTrail trail (validated, KMS-encrypted,
//! to an access-logged bucket and to CloudWatch Logs), GuardDuty, Security Hub with the CIS
//! v3.0.0 and FSBP standards, ECR enhanced (Inspector) scanning of every repository, EventBridge rules sending GuardDuty and Security Hub findings to
//! the encrypted alert topic, and the CIS alarms on unauthorized API calls and root usage. At
//! enterprise: S3 data events on the trail, AWS Config with managed rules, Security Hub's PCI
//! DSS standard, IAM Access Analyzer (external and unused access), Amazon Macie (seed 001
//! says to consider it: S3 inventory, policy findings, sensitive data discovery), the account password
//! policy, the rest of the CIS section 4 alarms, stateful resources retained, and a required
//! alert destination.
//!
//! # Two stacks at enterprise
//!
//! Everything in one template would pass CloudFormation's 51,200-byte limit for a template
//! body (about 50 KB with the minimal parameters, 54 KB with `home_region` and
//! `alert_topic_arn`), and harden sends bodies inline. So at enterprise the thirteen CIS
//! alarms beyond 4.1 and 4.3 (with their metric filters: stateless, over a quarter of the template)
//! go to a second stack, [`MONITORING_STACK_NAME`], deployed after the first. It references
//! nothing the first stack exports, so both change sets can be made before either runs: the
//! metric filters name the trail's log group by its fixed name, and the alarms notify a topic
//! of their own, encrypted with the baseline's key by its alias, with the same subscription and
//! forwarding. (With `alert_email`, its subscription asks for a confirmation of its own.)
//!
//! The monitoring stack also holds the account-wide settings that Security Hub evaluates and
//! CloudFormation has no resource type for (`controls::account_settings`): S3's account-level
//! Block Public Access (S3.1), EBS encryption by default (EC2.7, in every region), the security
//! alternate contact (Account.1, from the `security_contact_*` parameters), and the support
//! role (IAM.18). Their functions log with a key of the monitoring stack's own, so it still
//! imports nothing.
//!
//! # Regions
//!
//! Some parts are account-wide: the trail is multi-region with global service events, the
//! CIS alarms read its log group, Config's global resource types (IAM) and the password
//! policy are the same in every region, and unused access is about IAM. A second region with
//! all of them would duplicate each. So with `home_region`, the template carries a condition
//! on `AWS::Region` (`IsHomeRegion`): the home region gets everything, any other region only
//! the regional services (GuardDuty, Security Hub and its standards, the Config recorder
//! without global types and its rules, the external-access analyzer, the finding alerts). The
//! same template then serves every region (a StackSet, or one deploy per region). Without
//! `home_region`, nothing is conditional: the region deployed to is the home region, as
//! before, and the baseline belongs in one region only.
//!
//! # Across an Organization
//!
//! `harden plan|deploy --blueprint account-baseline --org --regions R1,R2 (--accounts ...|--ous
//! ...)` deploys this template as one StackSet per stack (same names and tags), rendered with
//! `home_region` = R1 unless given (`src/deploy/org.rs`). GuardDuty and Security Hub have
//! organization mechanisms of their own: a delegated administrator whose organization
//! configuration auto-enables members (GuardDuty `AutoEnableOrganizationMembers`, Security Hub
//! `AutoEnable` or central configuration policies) makes the service create each member's
//! detector and hub, and a template's own `AWS::GuardDuty::Detector` / `AWS::SecurityHub::Hub`
//! then fail to create there (one detector per account and region; an account already
//! subscribed), while its `AWS::SecurityHub::Standard`s fight a configuration policy. The
//! parameter `org_services` says who runs them:
//!
//! - `account` (the default): this stack, as above. For accounts outside an organization, or
//!   an organization that does not auto-enable them.
//! - `member`: a member account whose delegated administrator enables GuardDuty and Security
//!   Hub. The baseline leaves out the detector, the hub and its standards, and records each of
//!   their controls (`guardduty`, `security-hub`, at enterprise `security-hub-pci-dss`) in
//!   `Metadata.harden.Waivers` with the reason "enabled by the organization's delegated
//!   administrator (org_services=member)", so plans, `harden check` and `harden report` show
//!   them as provided elsewhere. Everything else stays: the trail, the Config recorder and
//!   rules (whose GuardDuty and Security Hub rules then check what the organization
//!   enabled), and the finding alerts (a member still receives its own findings' events). With
//!   `member`, it is the organization's configuration that makes GuardDuty and Security Hub
//!   run in the account: deploy `admin` in the delegated administrator first.
//! - `admin`: the delegated administrator account of GuardDuty and Security Hub, deployed
//!   there per region (a normal stack per region, or a self-managed StackSet). The baseline is
//!   the account's, detector and hub included; the organization side goes to
//!   [`MONITORING_STACK_NAME`] (rendered at enhanced too in this mode), deployed after the
//!   baseline so the detector and hub exist, and it keeps the baseline under the body limit
//!   (`controls::org_services`): GuardDuty's organization configuration in every region
//!   (every member, `ALL`, with this detector's protection plans and runtime agents; the
//!   previous configuration restored on delete), and in the home region Security Hub central
//!   configuration (a finding aggregator over every region, the organization configuration
//!   `CENTRAL` with `AutoEnable: false` and `AutoEnableStandards: NONE`, a configuration policy
//!   enabling Security Hub with the tier's standards and every control, associated with
//!   `org_policy_target`: the root `r-...` or an OU `ou-...`) and, at enterprise, an AWS
//!   Config organization aggregator of every region with its role. AWS Config has no
//!   auto-enable of recorders, so every account keeps its own (a StackSet is AWS's own way to
//!   deploy them).
//!
//! What harden does not do, once, in the organization's management account: designate the
//! delegated administrator (`aws guardduty enable-organization-admin-account
//! --admin-account-id ID` and `aws securityhub enable-organization-admin-account
//! --admin-account-id ID`), and for the Config aggregator trusted access and the same account
//! as Config's delegated administrator (AWS Config developer guide, "Registering a Delegated
//! Administrator": `aws organizations enable-aws-service-access --service-principal
//! config.amazonaws.com` and `... config-multiaccountsetup.amazonaws.com`, then
//! `aws organizations register-delegated-administrator --service-principal
//! config.amazonaws.com --account-id ID` and the same for `config-multiaccountsetup`).
//! Security Hub central configuration needs the delegated administrator to be a member
//! account, not the management account.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackBuilder, StackRole, StackSpec};
use crate::blueprints::sagemaker_vpc as guide;
use crate::cfn::generated::{cloudtrail as ct, kms};
use crate::cfn::{Expr, Template};
use crate::controls::access_analyzer::{analyzer, unused_access_analyzer};
use crate::controls::account_settings::{
    ebs_default_encryption, s3_account_public_access_block, security_contact, support_role, Contact,
};
use crate::controls::alarms::{alert_topic, forward_alarms, Alerts, ALERT_DESTINATION};
use crate::controls::aws_config::{config_service, CONFIG_RECORDER};
use crate::controls::cis_alarms::{cis_alarms, CIS_ALARMS, CIS_ALARMS_CORE};
use crate::controls::cloudtrail::{self, trail, trail_arn};
use crate::controls::ecr::registry_scanning;
use crate::controls::finding_alerts::{finding_rules, forward_findings};
use crate::controls::guardduty::{detector, GUARDDUTY};
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::macie::{session, MACIE};
use crate::controls::org_services::{
    config_aggregator, guardduty_organization, security_hub_central, MEMBER_REASON,
};
use crate::controls::password_policy::password_policy;
use crate::controls::rest_api::account_logging_role;
use crate::controls::s3_bucket::access_log_bucket;
use crate::controls::security_hub::{hub, SECURITY_HUB, SECURITY_HUB_PCI_DSS};
use crate::guide::{Cadence, Deviation, HardenCommand, Operation, Verb};
use crate::params::{rules, Opt, Param, ParamSpec, Params};
use crate::tier::Tier;

/// The baseline's stack name: one per account and region, shared by every workload.
pub const STACK_NAME: &str = "harden-account-baseline";

/// The blueprint's name.
pub const NAME: &str = "account-baseline";

/// Every stack the baseline may render, in deployment order.
pub fn stack_names() -> Vec<(String, crate::StackRole)> {
    vec![
        (STACK_NAME.to_string(), crate::StackRole::AccountBaseline),
        (
            MONITORING_STACK_NAME.to_string(),
            crate::StackRole::AccountBaseline,
        ),
    ]
}

/// What a tier requires of every blueprint's alerts, with an example value: an alert
/// destination at enterprise (`alert_email`, or `alert_topic_arn`).
pub fn required_alerts(tier: Tier) -> Vec<(&'static str, &'static str)> {
    if crate::controls::alarms::ALERT_DESTINATION.on(tier) {
        vec![("alert_email", "security@example.com")]
    } else {
        Vec::new()
    }
}

/// The baseline's second stack at enterprise: the CIS alarms beyond 4.1 and 4.3.
pub const MONITORING_STACK_NAME: &str = "harden-account-monitoring";

/// The alias of the baseline's key (`alias/` + this).
pub const KEY_ALIAS: &str = "harden/account-baseline";

/// The alias of the monitoring stack's key (`alias/` + this).
pub const MONITORING_KEY_ALIAS: &str = "harden/account-monitoring";

/// What both baseline stacks are for, in listings. (`destroy` keeps them by their role,
/// `StackRole::AccountBaseline`, unless the account baseline itself is destroyed.)
const PURPOSE: &str = "account baseline";

/// The template condition that holds in the home region, when `home_region` is given.
pub const IS_HOME_REGION: &str = "IsHomeRegion";

/// The alert topic's logical id (the finding rules, added before it, name it).
const ALERT_TOPIC_ID: &str = "AlertTopic";

/// The blueprint.
pub struct AccountBaseline;

/// `alert_email`.
pub static ALERT_EMAIL: Opt<rules::Email> = Opt::new(
    "alert_email",
    "address subscribed to the security alerts topic (and the workload's alarm topic); at enterprise, this or `alert_topic_arn` is required",
    &rules::Email,
);

/// `alert_topic_arn`.
pub static ALERT_TOPIC_ARN: Opt<rules::TopicArn> = Opt::new(
    "alert_topic_arn",
    "an existing standard SNS topic, in the region deployed to, that the alarms and finding alerts are forwarded to besides the stacks' own topics; its policy must let `events.amazonaws.com` publish",
    &rules::TopicArn,
);

/// `home_region`.
pub static HOME_REGION: Opt<rules::AwsRegion> = Opt::new(
    "home_region",
    "the region that holds the account-wide parts (the multi-region trail and its CIS alarms, Config's global resource types, the password policy, the unused-access analyzer); other regions get the regional services only (default: the region deployed to is the home region)",
    &rules::AwsRegion,
);

/// `security_contact_name`.
pub static SECURITY_CONTACT_NAME: Opt<rules::Text> = Opt::new(
    "security_contact_name",
    "at enterprise, the account's security alternate contact (CIS 1.2, Account.1): the name of the person or team AWS contacts about security issues",
    &rules::Text { max: 64 },
)
.requires(&["security_contact_email", "security_contact_phone"]);

/// `security_contact_email`.
pub static SECURITY_CONTACT_EMAIL: Opt<rules::Email> = Opt::new(
    "security_contact_email",
    "at enterprise, the security alternate contact's email address",
    &rules::Email,
)
.requires(&["security_contact_name", "security_contact_phone"]);

/// `security_contact_phone`.
pub static SECURITY_CONTACT_PHONE: Opt<rules::Phone> = Opt::new(
    "security_contact_phone",
    "at enterprise, the security alternate contact's telephone number",
    &rules::Phone,
)
.requires(&["security_contact_name", "security_contact_email"]);

/// `security_contact_title`.
pub static SECURITY_CONTACT_TITLE: Param<rules::Text> = Param::new(
    "security_contact_title",
    "at enterprise, the security alternate contact's title",
    &rules::Text { max: 50 },
    "Security",
);

/// `org_services`.
pub static ORG_SERVICES: Param<rules::OneOf> = Param::new(
    "org_services",
    "who runs GuardDuty and Security Hub: `account`, this stack (outside an organization, or one that does not auto-enable them); `member`, a member account whose delegated administrator enables them (the stack leaves out the detector, the hub and its standards, recorded as waived); `admin`, the delegated administrator account (the detector and hub, and the organization side: GuardDuty auto-enabled in every member, Security Hub central configuration, at enterprise a Config organization aggregator)",
    &rules::OneOf(&["account", "member", "admin"]),
    "account",
);

/// `org_policy_target`.
pub static ORG_POLICY_TARGET: Opt<rules::OrgTargetId> = Opt::new(
    "org_policy_target",
    "with `org_services=admin` (required there): the organization root or the OU whose accounts get the Security Hub configuration policy",
    &rules::OrgTargetId,
)
.requires(&["org_services"])
.required_by("org_services", "admin");

/// The baseline's parameters; blueprints that deploy the baseline take them too.
pub static PARAMS: &[&ParamSpec] = &[
    &ALERT_EMAIL.spec,
    &ALERT_TOPIC_ARN.spec,
    &HOME_REGION.spec,
    &SECURITY_CONTACT_NAME.spec,
    &SECURITY_CONTACT_EMAIL.spec,
    &SECURITY_CONTACT_PHONE.spec,
    &SECURITY_CONTACT_TITLE.spec,
    &ORG_SERVICES.spec,
    &ORG_POLICY_TARGET.spec,
];

/// Who runs GuardDuty and Security Hub in the account (`org_services`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrgServices<'a> {
    /// The baseline: the detector, the hub and its standards are this stack's.
    #[default]
    Account,
    /// A member account: the organization's delegated administrator enables them.
    Member,
    /// The delegated administrator: the detector and hub, and the organization side; the
    /// Security Hub configuration policy is associated with this root or OU id.
    Admin {
        /// `org_policy_target`.
        target: &'a str,
    },
}

/// The golden variants: the baseline in a member account and in the delegated administrator.
pub static VARIANTS: &[crate::blueprint::Variant] = &[
    crate::blueprint::Variant {
        name: "member",
        params: &[("org_services", "member")],
        from: Tier::Enhanced,
    },
    crate::blueprint::Variant {
        name: "admin",
        params: &[("org_services", "admin"), ("org_policy_target", "r-a1b2")],
        from: Tier::Enhanced,
    },
];

/// What the baseline is built from: the validated values of [`PARAMS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineOptions<'a> {
    /// `home_region`: where the account-wide parts go; `None`: the region deployed to.
    pub home_region: Option<&'a str>,
    /// Where the alerts go.
    pub alerts: Alerts<'a>,
    /// The security alternate contact, when given.
    pub contact: Option<Contact<'a>>,
    /// Who runs GuardDuty and Security Hub.
    pub org: OrgServices<'a>,
    /// `org_policy_target` given without `org_services=admin` (noted: it is not used).
    pub unused_policy_target: bool,
}

impl<'a> BaselineOptions<'a> {
    /// The options of a blueprint's validated parameters (those of [`PARAMS`] it has).
    pub fn from_params(p: &'a Params) -> BaselineOptions<'a> {
        BaselineOptions {
            home_region: p.text(&HOME_REGION),
            alerts: Alerts::from_params(p),
            // (`text` gives the title's declared default when it is not given.)
            contact: match (
                p.text(&SECURITY_CONTACT_NAME),
                p.text(&SECURITY_CONTACT_EMAIL),
                p.text(&SECURITY_CONTACT_PHONE),
                p.text(&SECURITY_CONTACT_TITLE),
            ) {
                (Some(name), Some(email), Some(phone), Some(title)) => Some(Contact {
                    name,
                    email,
                    phone,
                    title,
                }),
                _ => None,
            },
            org: match (p.get(&ORG_SERVICES), p.text(&ORG_POLICY_TARGET)) {
                ("member", _) => OrgServices::Member,
                // (`org_policy_target` is `required_by` `org_services=admin`.)
                ("admin", Some(target)) => OrgServices::Admin { target },
                _ => OrgServices::Account,
            },
            unused_policy_target: p.given(&ORG_POLICY_TARGET) && p.get(&ORG_SERVICES) != "admin",
        }
    }
}

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
    let mut v = Vec::new();
    if tier < Tier::Enhanced {
        v.push("account baseline: API Gateway's CloudWatch Logs role (deployed at basic by the API blueprints)");
    }
    if tier >= Tier::Enhanced {
        v.push("account baseline: CloudTrail, GuardDuty, Security Hub, finding alerts, CIS alarms 4.1 and 4.3 (+ Config, Access Analyzer, Macie, password policy at enterprise); account-wide parts in the home region only");
    }
    if CIS_ALARMS.on(tier) {
        v.push("account monitoring: the other CIS section 4 alarms, in a second stack with its own encrypted topic, and the account settings CloudFormation has no type for (S3 Block Public Access, EBS encryption by default, the security contact) with a support role");
    }
    v
}

/// The account-wide parts at a tier, for the description.
fn account_wide(tier: Tier) -> &'static str {
    if CONFIG_RECORDER.on(tier) {
        "the multi-region trail, its CIS alarms, Config's global resource types, the password policy and the unused-access analyzer"
    } else {
        "the multi-region trail and its CIS alarms"
    }
}

/// The baseline's stacks at a tier, in deployment order: at basic the API Gateway logging stack (the rest starts
/// at enhanced), the baseline stack, and at enterprise also the monitoring stack.
pub fn baseline_stacks(
    tier: Tier,
    opts: &BaselineOptions<'_>,
) -> Result<Vec<StackSpec>, BlueprintError> {
    let mut out: Vec<StackSpec> = baseline_stack(tier, opts)?.into_iter().collect();
    if let Some(m) = monitoring_stack(tier, opts) {
        out.push(m);
    }
    Ok(out)
}

/// The `IsHomeRegion` condition, when a home region is given.
fn home_condition(t: &mut Template, home_region: Option<&str>) -> Option<String> {
    home_region.map(|region| {
        t.condition(
            IS_HOME_REGION,
            Expr::equals(Expr::region(), Expr::str(region)),
        )
    })
}

/// Records the home region, if given, in `Metadata.harden`.
fn record_home(spec: &mut StackSpec, home_region: Option<&str>) {
    if let (Some(region), Some(Expr::Map(harden))) =
        (home_region, spec.template.metadata.get_mut("harden"))
    {
        harden.insert("HomeRegion".into(), Expr::str(region));
    }
}

/// Why the baseline's buckets do not replicate to another region (S3.7), as the workloads'
/// do at enterprise.
const BASELINE_NOT_REPLICATED: &str = "the account baseline is deployed in every region of the account (and through StackSets in every account and region with `--org`): each region's trail, Config and access logs are kept in that region's own baseline bucket, and a replica in another region would sit beside that region's own copy; the trail is multi-region and validates its log files";

/// The baseline at basic, which only the API blueprints deploy (their `baseline()` is basic):
/// API Gateway's account-level CloudWatch Logs role and setting, nothing of the account
/// security services that start at enhanced. Regional, so never scoped to the home region.
fn basic_stack(tier: Tier) -> StackSpec {
    let mut t = Template::new(format!(
        "harden account-baseline ({tier}): API Gateway's account-level CloudWatch Logs role, for the execution and access logs of the API blueprints"
    ));
    account_logging_role(&mut t);
    StackBuilder::new(NAME, tier, STACK_NAME.to_string(), t)
        .role(StackRole::AccountBaseline)
        .purpose(PURPOSE)
        .build()
}

/// The baseline stack at a tier: at basic only API Gateway's account logging role (for the
/// API blueprints), from enhanced the account security services as well.
pub fn baseline_stack(
    tier: Tier,
    opts: &BaselineOptions<'_>,
) -> Result<Option<StackSpec>, BlueprintError> {
    if tier < Tier::Enhanced {
        return Ok(Some(basic_stack(tier)));
    }
    let alerts = opts.alerts;
    alerts.require(tier)?;
    if let (None, Some(topic), Some(home), true) = (
        alerts.email,
        alerts.topic(),
        opts.home_region,
        ALERT_DESTINATION.on(tier),
    ) {
        if topic.region != home {
            return Err(BlueprintError::Invalid(format!(
                "`alert_topic_arn` is in `{}` but `home_region` is `{home}`: the CIS alarms run in the home region and can forward only to a topic there, so at {tier} they would reach nobody\nhint: use a topic in `{home}`, or add `--param alert_email=security@example.com`",
                topic.region
            )));
        }
    }
    let description = match opts.home_region {
        Some(home) => format!(
            "harden account-baseline ({tier}): account-level security services for this region; {} only in the home region {home}",
            account_wide(tier)
        ),
        None => format!(
            "harden account-baseline ({tier}): account-level security services, with {} in the region deployed to (deploy it in one region, or set home_region)",
            account_wide(tier)
        ),
    };
    let mut t = Template::new(description);
    let home = home_condition(&mut t, opts.home_region);
    let home = home.as_deref();

    let mut users = vec![
        KeyUser::CloudTrail(trail_arn(opts.home_region)),
        KeyUser::Logs,
        KeyUser::CloudWatchAlarms,
        KeyUser::EventBridgeToTopics,
        KeyUser::ViaService("s3"),
        // The helper functions' dead-letter queue.
        KeyUser::ViaService("sqs"),
    ];
    if CONFIG_RECORDER.on(tier) {
        users.push(KeyUser::ServiceForAccount("config"));
    }
    let key = kms_key(
        &mut t,
        tier,
        "BaselineKey",
        KEY_ALIAS,
        "Encrypts the account baseline's trail, logs, buckets and alert topics",
        &users,
    );
    let key_arn = key.get_att(kms::KeyAttr::Arn);
    // At enhanced only the trail's bucket logs here, so the log bucket goes where the trail
    // does; from enterprise, Config's bucket in every region logs here too.
    let log_scope = if CONFIG_RECORDER.on(tier) { None } else { home };
    let log_bucket = t.scoped(log_scope, |t| access_log_bucket(t, tier, "AccessLogBucket"));
    let tr = t.scoped(home, |t| {
        let tr = trail(t, tier, key_arn.clone(), &log_bucket);
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
        tr
    });
    let member = opts.org == OrgServices::Member;
    let guardduty = (!member).then(|| detector(&mut t));
    if !member {
        hub(&mut t, tier);
        if MACIE.on(tier) {
            session(&mut t);
        }
    }
    let rules = finding_rules(&mut t, tier, Expr::r#ref(ALERT_TOPIC_ID));
    let topic = alert_topic(
        &mut t,
        tier,
        ALERT_TOPIC_ID,
        key_arn.clone(),
        &alerts,
        &rules,
    );
    forward_findings(&mut t, tier, &alerts);
    t.scoped(home, |t| {
        let alarms = cis_alarms(t, tier, &CIS_ALARMS_CORE, tr.log_group.r#ref(), &topic);
        forward_alarms(t, tier, &alerts, &alarms, &["ALARM"]);
    });
    let global_types = match home {
        Some(c) => Expr::if_(c, Expr::Bool(true), Expr::Bool(false)),
        None => Expr::Bool(true),
    };
    let config = config_service(&mut t, tier, key_arn.clone(), &log_bucket, global_types);
    analyzer(&mut t, tier);
    t.scoped(home, |t| {
        unused_access_analyzer(t, tier);
        password_policy(t, tier, key_arn.clone());
    });
    account_logging_role(&mut t);
    registry_scanning(&mut t, tier);

    t.output(
        "BaselineKeyArn",
        "The KMS key that encrypts the baseline's logs, buckets and topic",
        key_arn,
        None,
    );
    t.output(
        "AlertTopicArn",
        "The security alerts topic",
        topic.r#ref(),
        None,
    );
    if let Some(guardduty) = &guardduty {
        t.output(
            "GuardDutyDetectorId",
            "The GuardDuty detector",
            guardduty.r#ref(),
            None,
        );
    }
    if let Some(c) = &config {
        t.output(
            "ConfigBucketName",
            "The bucket AWS Config delivers to",
            c.bucket.r#ref(),
            None,
        );
    }

    let mut notes = alerts.notes("the security alarms and finding alerts");
    notes.extend(org_notes(opts));
    if config.is_none() {
        notes.push(
            "Security Hub evaluates most CIS and FSBP controls through AWS Config, which this baseline records from the enterprise tier\nhint: use `--tier enterprise`, or keep an AWS Config recorder of your own in this region".to_string(),
        );
    }
    crate::controls::replication::not_replicated(&mut t, tier, BASELINE_NOT_REPLICATED);
    let mut spec = StackBuilder::new(NAME, tier, STACK_NAME.to_string(), t)
        .role(StackRole::AccountBaseline)
        .purpose(PURPOSE)
        .notes(notes)
        .build();
    record_home(&mut spec, opts.home_region);
    if member {
        // Not silently gone: each control the organization provides is recorded as waived,
        // with the reason, where plans, `harden check` and `harden report` read waivers.
        for c in [&GUARDDUTY, &SECURITY_HUB, &SECURITY_HUB_PCI_DSS, &MACIE] {
            if c.on(tier) {
                crate::blueprint::record_waiver(
                    &mut spec.template,
                    &crate::blueprint::Waiver {
                        control: c,
                        reason: MEMBER_REASON.to_string(),
                    },
                    "org_services=member",
                );
            }
        }
    }
    Ok(Some(spec))
}

/// What the baseline's plan says about `org_services`: where the organization side is, and a
/// policy target that nothing uses.
fn org_notes(opts: &BaselineOptions<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    if opts.unused_policy_target {
        notes.push(
            "`org_policy_target` is used only with `org_services=admin`: this render does not use it\nhint: leave `org_policy_target` out, or add `--param org_services=admin` in the delegated administrator account".to_string(),
        );
    }
    match opts.org {
        OrgServices::Member => notes.push(
            "GuardDuty and Security Hub (and Macie at enterprise) are left to the organization's delegated administrator (`org_services=member`): they run in this account only once its organization configuration enables them\nhint: deploy the baseline with `--param org_services=admin` in the delegated administrator account".to_string(),
        ),
        OrgServices::Admin { .. } => notes.push(format!(
            "the organization side (GuardDuty's organization configuration, Security Hub central configuration) is in `{MONITORING_STACK_NAME}`: this account must be the delegated administrator of GuardDuty and Security Hub first (`aws guardduty enable-organization-admin-account`, `aws securityhub enable-organization-admin-account` in the management account); Macie, at enterprise, auto-enables members with `aws macie2 update-organization-configuration --auto-enable` here once this account is its delegated administrator too"
        )),
        OrgServices::Account => {}
    }
    notes
}

/// The monitoring stack (enterprise): the CIS alarms beyond 4.1 and 4.3, their own alert
/// topic, and in a region other than the home region only a placeholder (a stack needs a
/// resource). Deployed after the baseline stack, whose trail log group and key it uses by
/// name; it imports nothing, so its change set can be made before the baseline exists.
pub fn monitoring_stack(tier: Tier, opts: &BaselineOptions<'_>) -> Option<StackSpec> {
    let monitoring = CIS_ALARMS.on(tier);
    let admin = match opts.org {
        OrgServices::Admin { target } if tier >= Tier::Enhanced => Some(
            crate::params::Rule::parse(&rules::OrgTargetId, target)
                .unwrap_or_else(|_| rules::OrgTarget::Root(target.to_string())),
        ),
        _ => None,
    };
    if !monitoring && admin.is_none() {
        return None;
    }
    let alerts = opts.alerts;
    let org_side = match opts.home_region {
        Some(home) => format!("GuardDuty's organization configuration; Security Hub central configuration{} in the home region {home} only", if CONFIG_RECORDER.on(tier) { " and the Config organization aggregator" } else { "" }),
        None => format!("GuardDuty's organization configuration, Security Hub central configuration{}", if CONFIG_RECORDER.on(tier) { ", the Config organization aggregator" } else { "" }),
    };
    let mut t = Template::new(if !monitoring {
        format!("harden account-baseline ({tier}): the organization side for the delegated administrator: {org_side} (stack {STACK_NAME} first)")
    } else if admin.is_some() {
        format!("harden account-baseline ({tier}): CIS section 4 alarms beyond 4.1 and 4.3, account settings; delegated administrator: {org_side} (stack {STACK_NAME} first)")
    } else {
        match opts.home_region {
        Some(home) => format!(
            "harden account-baseline ({tier}): CIS v3.0 section 4 alarms beyond 4.1 and 4.3 on the account trail's log group, S3 account Block Public Access, the security contact and the support role in the home region {home} only; EBS encryption by default (stack {STACK_NAME} first)"
        ),
        None => format!(
            "harden account-baseline ({tier}): CIS v3.0 section 4 alarms beyond 4.1 and 4.3 on the account trail's log group; account settings: S3 Block Public Access, EBS encryption by default, the security contact, the support role (stack {STACK_NAME} first)"
        ),
    }
    });
    let home = home_condition(&mut t, opts.home_region);
    let home = home.as_deref();
    t.scoped(home, |t| {
        if !monitoring {
            return;
        }
        let key = Expr::str(format!("alias/{KEY_ALIAS}"));
        let topic = alert_topic(t, tier, ALERT_TOPIC_ID, key, &alerts, &[]);
        let logs = Expr::str(cloudtrail::log_group_name());
        let alarms = cis_alarms(t, tier, &CIS_ALARMS, logs, &topic);
        forward_alarms(t, tier, &alerts, &alarms, &["ALARM"]);
        t.output(
            "AlertTopicArn",
            "The topic of the CIS alarms",
            topic.r#ref(),
            None,
        );
    });
    // The account-wide settings CloudFormation has no type for: their functions log with a key
    // of this stack's own (a log group takes a key ARN, not the baseline key's alias, and an
    // import would tie this stack's change set to the baseline's).
    let key = kms_key(
        &mut t,
        tier,
        "MonitoringKey",
        MONITORING_KEY_ALIAS,
        "Encrypts the account monitoring stack's function logs and dead-letter queue",
        &[KeyUser::Logs, KeyUser::ViaService("sqs")],
    );
    let key_arn = key.get_att(kms::KeyAttr::Arn);
    // EBS encryption by default is a regional setting: every region.
    ebs_default_encryption(&mut t, tier, key_arn.clone());
    t.scoped(home, |t| {
        s3_account_public_access_block(t, tier, key_arn.clone());
        security_contact(t, tier, opts.contact, key_arn.clone());
        support_role(t, tier);
    });
    // The organization side, for the delegated administrator: GuardDuty's configuration in
    // every region (it is regional), Security Hub's and Config's in the home region (the
    // aggregation region of central configuration, and one aggregator of every region).
    if let Some(target) = &admin {
        guardduty_organization(&mut t, tier, key_arn.clone());
        t.scoped(home, |t| {
            security_hub_central(t, tier, target);
            config_aggregator(t, tier);
        });
    }
    // Where the alerts go is said once, on the baseline stack; what differs here is the topic.
    let mut notes: Vec<String> = alerts
        .email
        .filter(|_| monitoring)
        .map(|_| {
            format!(
                "`{MONITORING_STACK_NAME}` has an alert topic of its own: `alert_email` gets a second subscription to confirm"
            )
        })
        .into_iter()
        .collect();
    if opts.contact.is_none() && monitoring {
        notes.push(format!(
            "the account's security alternate contact (CIS 1.2, Security Hub Account.1) is not set: `{MONITORING_STACK_NAME}` sets it from the `security_contact_*` parameters\nhint: add `--param security_contact_name=... --param security_contact_email=... --param security_contact_phone=...`"
        ));
    }
    crate::controls::replication::not_replicated(&mut t, tier, BASELINE_NOT_REPLICATED);
    let mut spec = StackBuilder::new(NAME, tier, MONITORING_STACK_NAME.to_string(), t)
        .role(StackRole::AccountBaseline)
        .purpose(PURPOSE)
        .after(STACK_NAME)
        .notes(notes)
        .build();
    record_home(&mut spec, opts.home_region);
    Some(spec)
}

impl Blueprint for AccountBaseline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fixed_stack_name(&self) -> Option<&'static str> {
        Some(STACK_NAME)
    }

    fn required_example(&self, tier: Tier) -> Vec<(&'static str, &'static str)> {
        required_alerts(tier)
    }

    fn own_stack_names(&self, _name: &str) -> Vec<(String, crate::StackRole)> {
        stack_names()
    }

    fn summary(&self) -> &'static str {
        "the account-level security services: the regional ones in every region it is deployed to, the account-wide ones (multi-region trail, CIS alarms, Config's global types, password policy) only in `home_region` (default: the region deployed to)"
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

    fn params(&self) -> &'static [&'static ParamSpec] {
        PARAMS
    }

    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        purposes(tier)
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        baseline_stacks(req.tier, &BaselineOptions::from_params(&req.params))
    }

    fn variants(&self) -> &'static [crate::blueprint::Variant] {
        VARIANTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{Node, NodeMap};
    use crate::controls;

    const EMAIL: Alerts<'static> = Alerts {
        email: Some("sec@example.com"),
        topic_arn: None,
    };
    const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:security-alerts";

    fn build(tier: Tier, home: Option<&str>, alerts: Alerts<'_>) -> StackSpec {
        baseline_stack(
            tier,
            &BaselineOptions {
                home_region: home,
                alerts,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{tier}: {e}"))
        .expect("a baseline from enhanced")
    }

    fn tree(s: &StackSpec) -> Node {
        crate::cfn::to_node(&s.template).unwrap_or_else(|e| panic!("{e}"))
    }

    fn count(t: &Template, type_name: &str) -> usize {
        t.resources
            .values()
            .filter(|r| r.type_name() == type_name)
            .count()
    }

    /// The template as CloudFormation would deploy it in `region`: resources and outputs
    /// whose condition is false removed, `Fn::If` resolved, `AWS::NoValue` dropped.
    fn deployed_in(root: &Node, region: &str) -> Node {
        fn condition(root: &Node, name: &str, region: &str) -> bool {
            let c = root
                .get_path(&["Conditions", name])
                .unwrap_or_else(|| panic!("condition {name}"));
            eval(root, c, region)
        }
        fn eval(root: &Node, c: &Node, region: &str) -> bool {
            let m = c.as_map().expect("a condition function");
            let (f, args) = m.get_index(0).unwrap();
            let args = args.as_seq().map(<[Node]>::to_vec).unwrap_or_default();
            match f.as_str() {
                "Fn::Equals" => {
                    let v = |n: &Node| match n.get_path(&["Ref"]).and_then(Node::as_str) {
                        Some("AWS::Region") => region.to_string(),
                        _ => n.as_str().expect("a literal").to_string(),
                    };
                    v(&args[0]) == v(&args[1])
                }
                "Fn::And" => args.iter().all(|a| eval(root, a, region)),
                "Fn::Not" => !eval(root, &args[0], region),
                "Condition" => condition(
                    root,
                    c.get_path(&["Condition"]).unwrap().as_str().unwrap(),
                    region,
                ),
                other => panic!("unexpected {other}"),
            }
        }
        fn resolve(root: &Node, n: &Node, region: &str) -> Option<Node> {
            match n {
                Node::Map(m) if m.len() == 1 && m.contains_key("Fn::If") => {
                    let parts = m["Fn::If"].as_seq().unwrap();
                    let pick = if condition(root, parts[0].as_str().unwrap(), region) {
                        &parts[1]
                    } else {
                        &parts[2]
                    };
                    resolve(root, pick, region)
                }
                Node::Map(m) if m.get("Ref").and_then(Node::as_str) == Some("AWS::NoValue") => None,
                Node::Map(m) => Some(Node::Map(
                    m.iter()
                        .filter_map(|(k, v)| resolve(root, v, region).map(|v| (k.clone(), v)))
                        .collect(),
                )),
                Node::Seq(items) => Some(Node::Seq(
                    items
                        .iter()
                        .filter_map(|v| resolve(root, v, region))
                        .collect(),
                )),
                other => Some(other.clone()),
            }
        }
        let kept = |section: &str| -> NodeMap {
            root.get_path(&[section])
                .and_then(Node::as_map)
                .map(|m| {
                    m.iter()
                        .filter(|(_, r)| {
                            r.get_path(&["Condition"])
                                .and_then(Node::as_str)
                                .is_none_or(|c| condition(root, c, region))
                        })
                        .map(|(k, v)| {
                            let mut v = resolve(root, v, region).unwrap();
                            if let Node::Map(m) = &mut v {
                                m.shift_remove("Condition");
                            }
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Node::map([
            ("Resources", Node::Map(kept("Resources"))),
            ("Outputs", Node::Map(kept("Outputs"))),
        ])
    }

    fn types(n: &Node) -> Vec<String> {
        n.get_path(&["Resources"])
            .and_then(Node::as_map)
            .unwrap()
            .values()
            .map(|r| r.get_path(&["Type"]).unwrap().as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn only_the_api_gateway_logging_role_at_basic() {
        let basic = baseline_stack(Tier::Basic, &BaselineOptions::default())
            .unwrap()
            .expect("the API blueprints' baseline at basic");
        assert_eq!(
            types(&tree(&basic)),
            [
                "AWS::IAM::Role",
                "AWS::IAM::ManagedPolicy",
                "AWS::ApiGateway::Account"
            ]
        );
        assert!(crate::audit::audit(&tree(&basic)).is_empty());
        // From enhanced the same setting is part of the full baseline.
        let enhanced = build(Tier::Enhanced, None, EMAIL);
        assert_eq!(count(&enhanced.template, "AWS::ApiGateway::Account"), 1);
    }

    #[test]
    fn renders_and_passes_the_audit_from_enhanced() {
        let topic = Alerts {
            email: None,
            topic_arn: Some(TOPIC),
        };
        for tier in [Tier::Enhanced, Tier::Enterprise] {
            for (home, alerts) in [
                (None, EMAIL),
                (Some("eu-west-1"), EMAIL),
                (Some("eu-west-1"), topic),
                (None, topic),
            ] {
                let stack = build(tier, home, alerts);
                assert_eq!(stack.name, STACK_NAME);
                let findings = crate::audit::audit(&tree(&stack));
                assert!(findings.is_empty(), "{tier} {home:?}: {findings:#?}");
                for id in stack.template.controls() {
                    assert!(
                        controls::find(id).is_some(),
                        "control `{id}` is not in controls::ALL"
                    );
                }
            }
        }
    }

    #[test]
    fn enterprise_adds_to_enhanced() {
        let enhanced = build(Tier::Enhanced, None, EMAIL).template;
        let enterprise = build(Tier::Enterprise, None, EMAIL).template;
        for id in enhanced.resources.keys() {
            assert!(
                enterprise.resources.contains_key(id),
                "enterprise drops `{id}`"
            );
        }
        assert_eq!(count(&enhanced, "AWS::Logs::MetricFilter"), 2);
        assert_eq!(count(&enterprise, "AWS::Logs::MetricFilter"), 2);
        assert_eq!(count(&enhanced, "AWS::Config::ConfigurationRecorder"), 0);
        assert_eq!(count(&enterprise, "AWS::Config::ConfigurationRecorder"), 1);
        assert_eq!(count(&enterprise, "AWS::Config::ConfigRule"), 14);
        assert_eq!(count(&enhanced, "AWS::AccessAnalyzer::Analyzer"), 0);
        assert_eq!(count(&enterprise, "AWS::AccessAnalyzer::Analyzer"), 2);
        assert_eq!(count(&enhanced, "AWS::SecurityHub::Standard"), 2);
        assert_eq!(count(&enterprise, "AWS::SecurityHub::Standard"), 3);
        assert_eq!(count(&enhanced, "AWS::Events::Rule"), 2);
        assert_eq!(count(&enterprise, "Custom::AccountPasswordPolicy"), 1);
    }

    #[test]
    fn enterprise_without_an_alert_destination_names_both_parameters() {
        let err = baseline_stack(Tier::Enterprise, &BaselineOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`alert_email`") && msg.contains("`alert_topic_arn`"),
            "{msg}"
        );
        assert!(msg.contains("reach nobody"), "{msg}");
        // Below enterprise an alert destination is recommended, not required.
        assert!(baseline_stack(Tier::Enhanced, &BaselineOptions::default())
            .unwrap()
            .is_some());
    }

    #[test]
    fn a_topic_arn_in_another_region_than_home_is_not_enough_at_enterprise() {
        let alerts = Alerts {
            email: None,
            topic_arn: Some(TOPIC),
        };
        let opts = BaselineOptions {
            home_region: Some("us-east-1"),
            alerts,
            ..Default::default()
        };
        let msg = baseline_stack(Tier::Enterprise, &opts)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("`eu-west-1`") && msg.contains("`us-east-1`"),
            "{msg}"
        );
        // With an email too, the alarms reach someone: fine.
        let opts = BaselineOptions {
            home_region: Some("us-east-1"),
            alerts: Alerts {
                email: EMAIL.email,
                ..alerts
            },
            ..Default::default()
        };
        assert!(baseline_stack(Tier::Enterprise, &opts).is_ok());
    }

    #[test]
    fn without_home_region_nothing_is_conditional() {
        let s = build(Tier::Enterprise, None, EMAIL);
        assert!(s.template.conditions.is_empty());
        assert!(s.template.resources.values().all(|r| r.condition.is_none()));
        assert!(s.template.outputs.values().all(|o| o.condition.is_none()));
        let root = tree(&s);
        assert_eq!(
            root.get_path(&[
                "Resources",
                "ConfigRecorder",
                "Properties",
                "RecordingGroup",
                "IncludeGlobalResourceTypes"
            ]),
            Some(&Node::Bool(true))
        );
        assert!(root
            .get_path(&["Metadata", "harden", "HomeRegion"])
            .is_none());
        assert!(s
            .template
            .description
            .as_deref()
            .unwrap()
            .contains("in the region deployed to"));
    }

    #[test]
    fn the_home_region_gets_everything_and_records_itself() {
        for tier in [Tier::Enhanced, Tier::Enterprise] {
            let plain = tree(&build(tier, None, EMAIL));
            let s = build(tier, Some("eu-west-1"), EMAIL);
            let root = tree(&s);
            assert_eq!(
                root.get_path(&["Metadata", "harden", "HomeRegion"]),
                Some(&Node::Str("eu-west-1".into()))
            );
            let home = deployed_in(&root, "eu-west-1");
            assert_eq!(
                types(&home),
                types(&deployed_in(&plain, "eu-west-1")),
                "{tier}: the home region deploys what a baseline without home_region does"
            );
            let mut errs = Vec::new();
            crate::cfn::render::check_references(&home, &mut errs);
            assert!(errs.is_empty(), "{errs:#?}");
            assert!(s
                .template
                .description
                .as_deref()
                .unwrap()
                .contains("home region eu-west-1"));
        }
    }

    #[test]
    fn another_region_gets_the_regional_services_only() {
        for tier in [Tier::Enhanced, Tier::Enterprise] {
            let root = tree(&build(tier, Some("eu-west-1"), EMAIL));
            let other = deployed_in(&root, "ap-southeast-2");
            let types = types(&other);
            for account_wide in [
                "AWS::CloudTrail::Trail",
                "AWS::Logs::MetricFilter",
                "AWS::CloudWatch::Alarm",
                "Custom::AccountPasswordPolicy",
            ] {
                assert!(
                    !types.iter().any(|t| t == account_wide),
                    "{tier}: {account_wide} outside home"
                );
            }
            for regional in [
                "AWS::GuardDuty::Detector",
                "AWS::SecurityHub::Hub",
                "AWS::SecurityHub::Standard",
                "AWS::Events::Rule",
                "AWS::SNS::Topic",
                "AWS::KMS::Key",
            ] {
                assert!(
                    types.iter().any(|t| t == regional),
                    "{tier}: no {regional} outside home"
                );
            }
            // What remains refers only to what remains.
            let mut errs = Vec::new();
            crate::cfn::render::check_references(&other, &mut errs);
            assert!(errs.is_empty(), "{tier}: {errs:#?}");
            let outputs = other.get_path(&["Outputs"]).and_then(Node::as_map).unwrap();
            assert!(!outputs.contains_key("TrailArn"));
            if tier == Tier::Enterprise {
                let analyzers: Vec<&str> = other
                    .get_path(&["Resources"])
                    .and_then(Node::as_map)
                    .unwrap()
                    .values()
                    .filter(|r| {
                        r.get_path(&["Type"]).and_then(Node::as_str)
                            == Some("AWS::AccessAnalyzer::Analyzer")
                    })
                    .filter_map(|r| r.get_path(&["Properties", "Type"]).and_then(Node::as_str))
                    .collect();
                assert_eq!(
                    analyzers,
                    ["ACCOUNT"],
                    "the unused-access analyzer is account-wide"
                );
                assert_eq!(
                    other.get_path(&[
                        "Resources",
                        "ConfigRecorder",
                        "Properties",
                        "RecordingGroup",
                        "IncludeGlobalResourceTypes"
                    ]),
                    Some(&Node::Bool(false))
                );
                // Config's bucket still logs to the access log bucket, which names it alone.
                let sources = other
                    .get_path(&[
                        "Resources",
                        "AccessLogBucketPolicy",
                        "Properties",
                        "PolicyDocument",
                        "Statement",
                    ])
                    .and_then(Node::as_seq)
                    .unwrap()
                    .iter()
                    .find(|st| {
                        st.get_path(&["Sid"]).and_then(Node::as_str)
                            == Some("S3ServerAccessLogsDelivery")
                    })
                    .unwrap()
                    .get_path(&["Condition", "ArnLike", "aws:SourceArn"])
                    .cloned();
                assert_eq!(
                    sources,
                    Some(Node::Seq(vec![Node::map([(
                        "Fn::GetAtt",
                        Node::Seq(vec![
                            Node::Str("ConfigBucket".into()),
                            Node::Str("Arn".into())
                        ])
                    )])]))
                );
            } else {
                assert!(
                    !types.iter().any(|t| t == "AWS::S3::Bucket"),
                    "enhanced: no bucket outside home"
                );
            }
        }
    }

    #[test]
    fn the_key_names_the_home_regions_trail_in_every_region() {
        let root = tree(&build(Tier::Enhanced, Some("eu-west-1"), EMAIL));
        let sts = root
            .get_path(&[
                "Resources",
                "BaselineKey",
                "Properties",
                "KeyPolicy",
                "Statement",
            ])
            .and_then(Node::as_seq)
            .unwrap();
        let trail = sts
            .iter()
            .find(|st| {
                st.get_path(&["Sid"]).and_then(Node::as_str) == Some("CloudTrailEncryptLogs")
            })
            .unwrap();
        assert_eq!(
            trail.get_path(&["Condition", "StringEquals", "aws:SourceArn", "Fn::Sub"]),
            Some(&Node::Str(
                "arn:${AWS::Partition}:cloudtrail:eu-west-1:${AWS::AccountId}:trail/harden-account-trail".into()
            ))
        );
    }

    #[test]
    fn findings_go_to_the_topic_whose_policy_admits_only_those_rules() {
        let root = tree(&build(Tier::Enhanced, None, EMAIL));
        let rule = |id: &str| {
            root.get_path(&["Resources", id, "Properties"])
                .unwrap()
                .clone()
        };
        let gd = rule("GuardDutyFindingsRule");
        assert_eq!(
            gd.get_path(&["EventPattern", "detail", "severity"]),
            Some(&Node::Seq(vec![Node::map([(
                "numeric",
                Node::Seq(vec![Node::Str(">=".into()), Node::Int(4)])
            )])]))
        );
        let sh = rule("SecurityHubFindingsRule");
        let findings = sh
            .get_path(&["EventPattern", "detail", "findings"])
            .unwrap();
        assert_eq!(
            findings.get_path(&["Compliance", "Status"]),
            Some(&Node::Seq(vec![Node::Str("FAILED".into())]))
        );
        assert_eq!(
            findings.get_path(&["Severity", "Label"]),
            Some(&Node::Seq(vec![
                Node::Str("HIGH".into()),
                Node::Str("CRITICAL".into())
            ]))
        );
        for r in [&gd, &sh] {
            assert_eq!(
                r.get_path(&["Targets"]).and_then(Node::as_seq).unwrap()[0]
                    .get_path(&["Arn", "Ref"]),
                Some(&Node::Str("AlertTopic".into()))
            );
        }
        let publish = root
            .get_path(&[
                "Resources",
                "AlertTopicPolicy",
                "Properties",
                "PolicyDocument",
                "Statement",
            ])
            .and_then(Node::as_seq)
            .unwrap()
            .iter()
            .find(|st| {
                st.get_path(&["Principal", "Service"])
                    == Some(&Node::Seq(vec![Node::Str("events.amazonaws.com".into())]))
            })
            .expect("EventBridge may publish")
            .clone();
        let arns: Vec<&str> = publish
            .get_path(&["Condition", "ArnEquals", "aws:SourceArn"])
            .and_then(Node::as_seq)
            .unwrap()
            .iter()
            .map(|a| {
                a.get_path(&["Fn::GetAtt"]).and_then(Node::as_seq).unwrap()[0]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(arns, ["GuardDutyFindingsRule", "SecurityHubFindingsRule"]);
    }

    #[test]
    fn an_alert_topic_arn_gets_the_same_alerts_in_its_region_only() {
        let alerts = Alerts {
            email: None,
            topic_arn: Some(TOPIC),
        };
        let root = tree(&build(Tier::Enterprise, Some("eu-west-1"), alerts));
        let here = deployed_in(&root, "eu-west-1");
        let forwarded: Vec<&str> = here
            .get_path(&["Resources"])
            .and_then(Node::as_map)
            .unwrap()
            .iter()
            .filter(|(_, r)| {
                r.get_path(&["Properties", "Targets"])
                    .and_then(Node::as_seq)
                    .is_some_and(|ts| ts[0].get_path(&["Arn"]) == Some(&Node::Str(TOPIC.into())))
            })
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(
            forwarded,
            [
                "GuardDutyFindingsToAlertTopicArn",
                "SecurityHubFindingsToAlertTopicArn",
                "AlarmsToAlertTopicArn"
            ]
        );
        let alarms = here
            .get_path(&[
                "Resources",
                "AlarmsToAlertTopicArn",
                "Properties",
                "EventPattern",
                "resources",
            ])
            .and_then(Node::as_seq)
            .unwrap();
        assert_eq!(alarms.len(), 2, "the baseline's CIS alarms are forwarded");
        let monitoring = monitoring_stack(
            Tier::Enterprise,
            &BaselineOptions {
                home_region: Some("eu-west-1"),
                alerts,
                ..Default::default()
            },
        )
        .unwrap();
        let here = deployed_in(&tree(&monitoring), "eu-west-1");
        let alarms = here
            .get_path(&[
                "Resources",
                "AlarmsToAlertTopicArn",
                "Properties",
                "EventPattern",
                "resources",
            ])
            .and_then(Node::as_seq)
            .unwrap();
        assert_eq!(alarms.len(), 13, "and the monitoring stack's");
        let elsewhere = deployed_in(&root, "us-east-1");
        assert!(
            types(&elsewhere)
                .iter()
                .filter(|t| *t == "AWS::Events::Rule")
                .count()
                == 2
        );
    }

    fn baseline_and_monitoring(home: Option<&str>) -> (StackSpec, StackSpec) {
        let opts = BaselineOptions {
            home_region: home,
            alerts: EMAIL,
            ..Default::default()
        };
        let mut stacks = baseline_stacks(Tier::Enterprise, &opts).unwrap();
        assert_eq!(
            stacks.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            [STACK_NAME, MONITORING_STACK_NAME],
            "deployment order: the baseline first"
        );
        let monitoring = stacks.pop().unwrap();
        (stacks.pop().unwrap(), monitoring)
    }

    #[test]
    fn the_monitoring_stack_comes_only_at_enterprise() {
        let opts = BaselineOptions {
            home_region: None,
            alerts: EMAIL,
            ..Default::default()
        };
        assert_eq!(baseline_stacks(Tier::Basic, &opts).unwrap().len(), 1);
        assert_eq!(baseline_stacks(Tier::Enhanced, &opts).unwrap().len(), 1);
        assert_eq!(baseline_stacks(Tier::Enterprise, &opts).unwrap().len(), 2);
    }

    #[test]
    fn every_cis_section_4_alarm_is_in_exactly_one_baseline_stack() {
        let (baseline, monitoring) = baseline_and_monitoring(None);
        let mut filters: Vec<String> = [&baseline, &monitoring]
            .iter()
            .flat_map(|s| {
                s.template
                    .resources
                    .iter()
                    .filter(|(_, r)| r.type_name() == "AWS::Logs::MetricFilter")
                    .map(|(id, _)| id.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        filters.sort();
        let mut expected: Vec<String> = crate::controls::cis_alarms::CIS_SECTION_4
            .iter()
            .map(|a| format!("{}MetricFilter", a.id))
            .collect();
        expected.sort();
        assert_eq!(filters, expected);
        assert_eq!(count(&monitoring.template, "AWS::CloudWatch::Alarm"), 13);
        assert_eq!(monitoring.role, baseline.role, "destroy keeps both");
    }

    /// The monitoring stack's change set is made before the baseline exists (plan, and deploy
    /// before it runs the first one), so it must not import: it names the trail's log group
    /// and the key's alias, which the baseline creates with those fixed names.
    #[test]
    fn the_monitoring_stack_imports_nothing_and_names_what_the_baseline_creates() {
        let (baseline, monitoring) = baseline_and_monitoring(None);
        let (b, m) = (tree(&baseline), tree(&monitoring));
        let text = crate::cfn::render::to_json(&m);
        assert!(!text.contains("Fn::ImportValue"), "{text}");
        let log_group = b
            .get_path(&["Resources", "TrailLogGroup", "Properties", "LogGroupName"])
            .cloned()
            .unwrap();
        let alias = b
            .get_path(&["Resources", "BaselineKeyAlias", "Properties", "AliasName"])
            .cloned()
            .unwrap();
        for (id, r) in m.get_path(&["Resources"]).and_then(Node::as_map).unwrap() {
            if r.get_path(&["Type"]).and_then(Node::as_str) == Some("AWS::Logs::MetricFilter") {
                assert_eq!(
                    r.get_path(&["Properties", "LogGroupName"]),
                    Some(&log_group),
                    "{id}"
                );
            }
        }
        assert_eq!(
            m.get_path(&["Resources", "AlertTopic", "Properties", "KmsMasterKeyId"]),
            Some(&alias)
        );
        assert!(crate::audit::audit(&m).is_empty());
        // The baseline's key lets this account's alarms use it, whichever topic they publish to.
        let publish = crate::cfn::render::to_json(&b);
        assert!(
            publish.contains(":alarm:*"),
            "the key admits the account's alarms"
        );
    }

    #[test]
    fn outside_the_home_region_the_monitoring_stack_holds_only_the_regional_setting() {
        let (_, monitoring) = baseline_and_monitoring(Some("eu-west-1"));
        let m = tree(&monitoring);
        let elsewhere = types(&deployed_in(&m, "us-west-2"));
        assert!(
            elsewhere
                .iter()
                .any(|t| t == "Custom::EbsEncryptionByDefault"),
            "{elsewhere:?}"
        );
        for account_wide in [
            "AWS::CloudWatch::Alarm",
            "Custom::S3AccountPublicAccessBlock",
            "Custom::SecurityContact",
        ] {
            assert!(
                !elsewhere.iter().any(|t| t == account_wide),
                "{elsewhere:?}"
            );
        }
        assert_eq!(
            elsewhere.iter().filter(|t| *t == "AWS::IAM::Role").count(),
            1,
            "only the EBS function's role: the support role is account-wide"
        );
        let home = types(&deployed_in(&m, "eu-west-1"));
        assert!(home
            .iter()
            .any(|t| t == "Custom::S3AccountPublicAccessBlock"));
        assert_eq!(
            home.iter()
                .filter(|t| *t == "AWS::CloudWatch::Alarm")
                .count(),
            13
        );
        let mut errs = Vec::new();
        crate::cfn::render::check_references(&deployed_in(&m, "eu-west-1"), &mut errs);
        assert!(errs.is_empty(), "{errs:#?}");
        assert_eq!(
            m.get_path(&["Metadata", "harden", "HomeRegion"]),
            Some(&Node::Str("eu-west-1".into()))
        );
    }

    #[test]
    fn the_security_contact_is_set_only_when_given_and_its_absence_is_said() {
        let (_, without) = baseline_and_monitoring(None);
        assert!(!types(&tree(&without))
            .iter()
            .any(|t| t == "Custom::SecurityContact"));
        assert!(
            without
                .notes
                .iter()
                .any(|n| n.contains("security_contact_name")),
            "{:?}",
            without.notes
        );
        let opts = BaselineOptions {
            alerts: EMAIL,
            contact: Some(Contact {
                name: "Security Operations",
                title: "Security",
                email: "soc@example.com",
                phone: "+1 206 555 0100",
            }),
            ..Default::default()
        };
        let with = baseline_stacks(Tier::Enterprise, &opts)
            .unwrap()
            .pop()
            .unwrap();
        let m = tree(&with);
        let props = m
            .get_path(&["Resources", "SecurityContact", "Properties"])
            .expect("the contact resource");
        for (k, v) in [
            ("EmailAddress", "soc@example.com"),
            ("Name", "Security Operations"),
            ("PhoneNumber", "+1 206 555 0100"),
            ("Title", "Security"),
        ] {
            assert_eq!(props.get_path(&[k]), Some(&Node::Str(v.into())), "{k}");
        }
        assert!(!with
            .notes
            .iter()
            .any(|n| n.contains("security_contact_name")));
        // Below enterprise the contact is not the baseline's to set: no monitoring stack.
        assert_eq!(baseline_stacks(Tier::Enhanced, &opts).unwrap().len(), 1);
    }

    fn org(tier: Tier, org: OrgServices<'static>) -> Vec<StackSpec> {
        baseline_stacks(
            tier,
            &BaselineOptions {
                home_region: Some("eu-west-1"),
                alerts: EMAIL,
                org,
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn type_counts(stacks: &[StackSpec]) -> std::collections::BTreeMap<(String, String), usize> {
        let mut m = std::collections::BTreeMap::new();
        for s in stacks {
            for r in s.template.resources.values() {
                *m.entry((s.name.clone(), r.type_name().to_string()))
                    .or_default() += 1;
            }
        }
        m
    }

    const ADMIN: OrgServices<'static> = OrgServices::Admin { target: "r-a1b2" };

    #[test]
    fn a_member_account_leaves_out_exactly_the_detector_the_hub_its_standards_and_macie_recorded_as_waived(
    ) {
        for tier in [Tier::Enhanced, Tier::Enterprise] {
            let account = org(tier, OrgServices::Account);
            let member = org(tier, OrgServices::Member);
            let (a, m) = (type_counts(&account), type_counts(&member));
            let gone: Vec<&(String, String)> = a
                .keys()
                .filter(|k| a[*k] != m.get(*k).copied().unwrap_or(0))
                .collect();
            let kinds: Vec<&str> = gone.iter().map(|(_, t)| t.as_str()).collect();
            let mut expected_gone = vec![
                "AWS::GuardDuty::Detector",
                "AWS::SecurityHub::Hub",
                "AWS::SecurityHub::Standard",
            ];
            if tier == Tier::Enterprise {
                // Macie has its organization mechanism too (auto-enable from its administrator).
                expected_gone.insert(1, "AWS::Macie::Session");
            }
            assert_eq!(kinds, expected_gone, "{tier}");
            assert!(m.keys().all(|k| a.contains_key(k)), "{tier}: nothing added");
            // The finding alerts stay: members still get their own findings' events.
            assert!(member[0]
                .template
                .resources
                .contains_key("GuardDutyFindingsRule"));
            assert!(member[0]
                .template
                .resources
                .contains_key("SecurityHubFindingsRule"));
            let waivers = tree(&member[0])
                .get_path(&["Metadata", "harden", "Waivers"])
                .cloned()
                .expect("the controls the organization provides are recorded");
            let ids: Vec<&str> = waivers
                .as_seq()
                .unwrap()
                .iter()
                .map(|w| {
                    assert_eq!(
                        w.get_path(&["Reason"]).and_then(Node::as_str),
                        Some(MEMBER_REASON)
                    );
                    assert_eq!(
                        w.get_path(&["Parameter"]).and_then(Node::as_str),
                        Some("org_services=member")
                    );
                    w.get_path(&["Control"]).and_then(Node::as_str).unwrap()
                })
                .collect();
            let expected: &[&str] = if tier == Tier::Enterprise {
                &["guardduty", "security-hub", "security-hub-pci-dss", "macie"]
            } else {
                &["guardduty", "security-hub"]
            };
            assert_eq!(ids, expected, "{tier}");
            assert!(member[0]
                .template
                .outputs
                .get("GuardDutyDetectorId")
                .is_none());
        }
    }

    #[test]
    fn the_delegated_administrator_gets_the_organization_side_in_the_monitoring_stack() {
        for tier in [Tier::Enhanced, Tier::Enterprise] {
            let account = org(tier, OrgServices::Account);
            let admin = org(tier, ADMIN);
            assert_eq!(
                tree(&account[0]).get_path(&["Resources"]),
                tree(&admin[0]).get_path(&["Resources"]),
                "{tier}: the baseline stack is the account's, detector and hub included"
            );
            let m = admin.last().unwrap();
            assert_eq!(m.name, MONITORING_STACK_NAME);
            assert_eq!(m.after, [STACK_NAME], "after the detector and hub exist");
            let n = tree(m);
            let home = types(&deployed_in(&n, "eu-west-1"));
            let other = types(&deployed_in(&n, "us-east-1"));
            for t in [
                "AWS::SecurityHub::FindingAggregator",
                "AWS::SecurityHub::OrganizationConfiguration",
                "AWS::SecurityHub::ConfigurationPolicy",
                "AWS::SecurityHub::PolicyAssociation",
            ] {
                assert!(
                    home.iter().any(|x| x == t),
                    "{tier}: {t} in the home region"
                );
                assert!(!other.iter().any(|x| x == t), "{tier}: {t} only there");
            }
            for region in [&home, &other] {
                assert!(
                    region
                        .iter()
                        .any(|x| x == "Custom::GuardDutyOrganizationConfiguration"),
                    "{tier}: GuardDuty's configuration is regional"
                );
            }
            let aggregator = home
                .iter()
                .any(|x| x == "AWS::Config::ConfigurationAggregator");
            assert_eq!(aggregator, tier == Tier::Enterprise, "{tier}");
            let r = |id: &str| {
                n.get_path(&["Resources", id, "Properties"])
                    .cloned()
                    .unwrap()
            };
            let org = r("SecurityHubOrganizationConfiguration");
            assert_eq!(org.get_path(&["AutoEnable"]), Some(&Node::Bool(false)));
            assert_eq!(
                org.get_path(&["ConfigurationType"]).and_then(Node::as_str),
                Some("CENTRAL")
            );
            let standards = r("SecurityHubConfigurationPolicy")
                .get_path(&[
                    "ConfigurationPolicy",
                    "SecurityHub",
                    "EnabledStandardIdentifiers",
                ])
                .and_then(Node::as_seq)
                .unwrap()
                .len();
            let hub_standards = count(&account[0].template, "AWS::SecurityHub::Standard");
            assert_eq!(
                standards, hub_standards,
                "{tier}: the same standards as the hub"
            );
            let target = r("SecurityHubPolicyAssociation");
            assert_eq!(
                target.get_path(&["TargetType"]).and_then(Node::as_str),
                Some("ROOT")
            );
            // Least privilege: the GuardDuty actions IAM grants only on `*`, with the reason.
            let policy = n
                .get_path(&["Resources", "GuardDutyOrganizationRolePolicy"])
                .unwrap();
            let text = crate::cfn::render::to_json(policy);
            assert!(
                text.contains("guardduty:UpdateOrganizationConfiguration"),
                "{text}"
            );
            assert!(
                text.contains("support no resource-level permissions"),
                "{text}"
            );
            assert!(crate::audit::audit(&n).is_empty());
        }
        // An OU gets its own target type.
        let ou = org(
            Tier::Enhanced,
            OrgServices::Admin {
                target: "ou-a1b2-c3d4e5f6",
            },
        );
        let n = tree(ou.last().unwrap());
        assert_eq!(
            n.get_path(&[
                "Resources",
                "SecurityHubPolicyAssociation",
                "Properties",
                "TargetType"
            ])
            .and_then(Node::as_str),
            Some("ORGANIZATIONAL_UNIT")
        );
    }

    #[test]
    fn the_account_mode_is_todays_baseline() {
        let raw = |ps: &[(&str, &str)]| -> Vec<(String, String)> {
            ps.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for tier in Tier::ALL {
            let mut base = raw(&required_alerts(tier));
            let today = AccountBaseline.build(STACK_NAME, tier, &base).unwrap();
            base.push(("org_services".into(), "account".into()));
            let account = AccountBaseline.build(STACK_NAME, tier, &base).unwrap();
            assert_eq!(today.len(), account.len());
            for (a, b) in today.iter().zip(&account) {
                let (mut x, mut y) = (tree(a), tree(b));
                for n in [&mut x, &mut y] {
                    if let Node::Map(root) = n {
                        if let Some(Node::Map(meta)) = root.get_mut("Metadata") {
                            if let Some(Node::Map(h)) = meta.get_mut("harden") {
                                h.shift_remove("Parameters");
                            }
                        }
                    }
                }
                assert_eq!(x, y, "{tier}: only the recorded parameter differs");
            }
        }
    }

    #[test]
    fn admin_needs_a_policy_target_and_the_target_is_checked() {
        let build = |ps: &[(&str, &str)]| {
            let mut raw: Vec<(String, String)> = required_alerts(Tier::Enterprise)
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            raw.extend(ps.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            AccountBaseline.build(STACK_NAME, Tier::Enterprise, &raw)
        };
        let e = build(&[("org_services", "admin")]).unwrap_err().to_string();
        assert!(
            e.contains("`org_services=admin` needs `org_policy_target`"),
            "{e}"
        );
        for bad in ["r-ab", "R-ABCD", "ou-a1b2", "123456789012", "root"] {
            let e = build(&[("org_services", "admin"), ("org_policy_target", bad)])
                .unwrap_err()
                .to_string();
            assert!(e.contains("org_policy_target"), "{bad}: {e}");
        }
        assert!(build(&[
            ("org_services", "admin"),
            ("org_policy_target", "ou-a1b2-c3d4e5f6")
        ])
        .is_ok());
        // Given without admin, the target is said to be unused, not silently dropped.
        let s = build(&[("org_services", "member"), ("org_policy_target", "r-a1b2")]).unwrap();
        assert!(s[0]
            .notes
            .iter()
            .any(|n| n.contains("used only with `org_services=admin`")));
        let e = build(&[("org_services", "none")]).unwrap_err().to_string();
        assert!(e.contains("org_services"), "{e}");
    }
}
