//! The account's CloudTrail trail: multi-region, global service events, log file validation,
//! encrypted with a customer-managed key, delivered to a hardened bucket (access-logged) and
//! to an encrypted CloudWatch Logs log group for the CIS metric filters; at enterprise, S3
//! object-level data events (reads and writes) for every bucket. Being multi-region, it exists
//! once per account: with a home region, the account baseline creates it there only.

use crate::cfn::generated::{cloudtrail, logs, s3};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::service_role;
use crate::controls::log_group::{log_group, streams_arn};
use crate::controls::s3_bucket::{secure_bucket, BucketSpec, Encryption};
use crate::tier::Tier;

/// The control for the trail.
pub static CLOUDTRAIL: Control = Control {
    id: "cloudtrail",
    title: "multi-region CloudTrail trail with log file validation, KMS encryption, CloudWatch Logs delivery and an access-logged bucket",
    tier: Tier::Enhanced,
    cis: &["3.1", "3.2", "3.4", "3.5"],
    // CloudTrail.3: a trail is enabled; CloudTrail.6: its bucket is not public (a secure
    // bucket: Block Public Access, ACLs off, a policy granting only CloudTrail).
    security_hub: &[
        "CloudTrail.1",
        "CloudTrail.2",
        "CloudTrail.3",
        "CloudTrail.4",
        "CloudTrail.5",
        "CloudTrail.6",
        "CloudTrail.7",
    ],
};

/// The control for S3 object-level logging.
pub static CLOUDTRAIL_S3_DATA_EVENTS: Control = Control {
    id: "cloudtrail-s3-data-events",
    title: "CloudTrail logs S3 object-level read and write events for every bucket",
    tier: Tier::Enterprise,
    cis: &["3.8", "3.9"],
    security_hub: &["S3.22", "S3.23"],
};

/// The trail's name: fixed, so key and bucket policies can name the trail's ARN without a
/// dependency cycle (there is one trail per account baseline).
pub const TRAIL_NAME: &str = "harden-account-trail";

/// The name of the trail's log group: fixed, like the trail's, so the CIS alarms of the
/// account baseline's second stack can name it.
pub fn log_group_name() -> String {
    format!("/aws/cloudtrail/{TRAIL_NAME}")
}

/// The trail's ARN, built from its name, in `region` (the home region, where the trail is
/// created) or, without one, the region the stack is deployed to. A key policy shared by
/// every region names the home region's trail, so in another region it grants nothing.
pub fn trail_arn(region: Option<&str>) -> Expr {
    let region = region.unwrap_or("${AWS::Region}");
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudtrail:{region}:${{AWS::AccountId}}:trail/{TRAIL_NAME}"
    ))
}

/// What the trail is made of.
#[derive(Debug, Clone)]
pub struct Trail {
    /// The trail.
    pub trail: Handle<cloudtrail::Trail>,
    /// The bucket it delivers to.
    pub bucket: Handle<s3::Bucket>,
    /// The log group it delivers to: the CIS metric filters read it.
    pub log_group: Handle<logs::LogGroup>,
}

/// Adds the trail, its bucket (access-logged to `log_bucket`), its log group and the role
/// CloudTrail uses to write to it. `key_arn` is the key the logs are encrypted with; its
/// policy must let CloudTrail use it for [`TRAIL_NAME`].
pub fn trail(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
    log_bucket: &Handle<s3::Bucket>,
) -> Trail {
    let c = &CLOUDTRAIL;
    let bucket_id = "TrailBucket";
    let bucket_arn = Expr::sub(format!("arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}"));
    let delivery_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}/AWSLogs/${{AWS::AccountId}}/*"
    ));
    let bucket = secure_bucket(
        t,
        tier,
        BucketSpec {
            id: bucket_id,
            encryption: Encryption::Kms(key_arn.clone()),
            log_bucket: Some(log_bucket),
            extra_statements: vec![
                Statement::allow("CloudTrailAclCheck")
                    .service(["cloudtrail.amazonaws.com"])
                    .actions(["s3:GetBucketAcl"])
                    .resource(bucket_arn)
                    .condition("StringEquals", "aws:SourceArn", trail_arn(None)),
                Statement::allow("CloudTrailWrite")
                    .service(["cloudtrail.amazonaws.com"])
                    .actions(["s3:PutObject"])
                    .resource(delivery_arn)
                    .condition("StringEquals", "aws:SourceArn", trail_arn(None))
                    .condition(
                        "StringEquals",
                        "s3:x-amz-acl",
                        Expr::str("bucket-owner-full-control"),
                    ),
            ],
            noncurrent_days: 365,
            cors_origin: None,
        },
    );
    t.res(&bucket).control(c);
    let policy_id = format!("{bucket_id}Policy");

    let logs = log_group(
        t,
        tier,
        "TrailLogGroup",
        Expr::str(log_group_name()),
        key_arn.clone(),
    );
    t.res(&logs).control(c);
    let role = service_role(
        t,
        "TrailLogsRole",
        "Lets CloudTrail deliver the account trail to its encrypted log group",
        "cloudtrail.amazonaws.com",
        false,
        vec![Statement::allow("DeliverTrailToLogs")
            .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
            .resource(streams_arn(&logs))],
        Vec::new(),
    );
    t.res(&role.role).control(c);
    t.res(&role.policy).control(c);

    let data_events = CLOUDTRAIL_S3_DATA_EVENTS.on(tier);
    let event_selectors = data_events.then(|| {
        vec![cloudtrail::trail::EventSelector {
            include_management_events: Some(true.into()),
            read_write_type: Some("All".into()),
            data_resources: Some(vec![cloudtrail::trail::DataResource {
                type_: Some("AWS::S3::Object".into()),
                values: Some(Expr::list([Expr::sub("arn:${AWS::Partition}:s3")])),
            }]),
            ..Default::default()
        }]
    });
    let trail = t.add(
        "Trail",
        cloudtrail::Trail {
            trail_name: Some(TRAIL_NAME.into()),
            s3_bucket_name: Some(bucket.r#ref()),
            is_logging: Some(true.into()),
            is_multi_region_trail: Some(true.into()),
            include_global_service_events: Some(true.into()),
            enable_log_file_validation: Some(true.into()),
            kms_key_id: Some(key_arn),
            cloud_watch_logs_log_group_arn: Some(logs.get_att(logs::LogGroupAttr::Arn)),
            cloud_watch_logs_role_arn: Some(role.arn()),
            event_selectors,
            ..Default::default()
        },
    );
    let r = t.res(&trail);
    r.control(c)
        .depends_on(policy_id)
        .depends_on(role.policy.id());
    if data_events {
        r.control(&CLOUDTRAIL_S3_DATA_EVENTS);
    }
    Trail {
        trail,
        bucket,
        log_group: logs,
    }
}
