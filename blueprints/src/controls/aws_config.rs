//! AWS Config: a recorder of every supported resource type, delivering to a hardened,
//! KMS-encrypted bucket, and managed rules that keep checking the controls the templates set
//! (CloudTrail, S3, IAM, VPC, KMS, SageMaker, GuardDuty, Security Hub). The global IAM
//! resource types (users, groups, roles, policies) are the same in every region, so only the
//! home region records them: recording them everywhere would bill and report each change
//! once per region.

use crate::cfn::generated::{config, s3};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::controls::s3_bucket::{secure_bucket, BucketSpec, Encryption};
use crate::tier::Tier;

/// The control.
pub static CONFIG_RECORDER: Control = Control {
    id: "aws-config",
    title: "AWS Config records every resource type to an encrypted bucket, with managed rules for harden's controls",
    tier: Tier::Enterprise,
    cis: &["3.3"],
    security_hub: &["Config.1"],
};

/// The AWS Config service-linked role, below `role/`.
const SERVICE_LINKED_ROLE: &str = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig";

const SERVICE_LINKED_ROLE_CODE: &str = r#"import boto3, cfnresponse

iam = boto3.client('iam')


def handler(event, context):
    name = 'AWSServiceRoleForConfig'
    try:
        if event['RequestType'] != 'Delete':  # on delete the role stays: Config users share it
            try:
                iam.create_service_linked_role(AWSServiceName=event['ResourceProperties']['AWSServiceName'])
            except iam.exceptions.InvalidInputException as err:
                if 'has been taken' not in str(err):
                    raise
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, name)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, name, reason=str(err))
"#;

/// `IAM_PASSWORD_POLICY` checks the policy the password-policy control sets.
const PASSWORD_RULE_PARAMETERS: Parameters = &[
    ("RequireUppercaseCharacters", "true"),
    ("RequireLowercaseCharacters", "true"),
    ("RequireSymbols", "true"),
    ("RequireNumbers", "true"),
    ("MinimumPasswordLength", "14"),
    ("PasswordReusePrevention", "24"),
    ("MaxPasswordAge", "90"),
];

/// A managed rule's input parameters: name and value.
type Parameters = &'static [(&'static str, &'static str)];

/// The managed rules: logical id, source identifier, input parameters.
const RULES: &[(&str, &str, Parameters)] = &[
    ("ConfigRuleCloudTrailEnabled", "CLOUD_TRAIL_ENABLED", &[]),
    (
        "ConfigRuleCloudTrailLogFileValidation",
        "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
        &[],
    ),
    (
        "ConfigRuleCloudTrailEncryption",
        "CLOUD_TRAIL_ENCRYPTION_ENABLED",
        &[],
    ),
    (
        "ConfigRuleS3BucketEncryption",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
        &[],
    ),
    (
        "ConfigRuleS3BucketSslRequestsOnly",
        "S3_BUCKET_SSL_REQUESTS_ONLY",
        &[],
    ),
    (
        "ConfigRuleS3BucketPublicReadProhibited",
        "S3_BUCKET_PUBLIC_READ_PROHIBITED",
        &[],
    ),
    (
        "ConfigRuleIamPasswordPolicy",
        "IAM_PASSWORD_POLICY",
        PASSWORD_RULE_PARAMETERS,
    ),
    ("ConfigRuleRootAccountMfa", "ROOT_ACCOUNT_MFA_ENABLED", &[]),
    ("ConfigRuleVpcFlowLogs", "VPC_FLOW_LOGS_ENABLED", &[]),
    (
        "ConfigRuleVpcDefaultSecurityGroupClosed",
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
        &[],
    ),
    (
        "ConfigRuleCmkRotation",
        "CMK_BACKING_KEY_ROTATION_ENABLED",
        &[],
    ),
    (
        "ConfigRuleSageMakerEndpointKms",
        "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED",
        &[],
    ),
    (
        "ConfigRuleGuardDutyEnabled",
        "GUARDDUTY_ENABLED_CENTRALIZED",
        &[],
    ),
    ("ConfigRuleSecurityHubEnabled", "SECURITYHUB_ENABLED", &[]),
];

/// What Config is made of.
#[derive(Debug, Clone)]
pub struct ConfigService {
    /// The recorder.
    pub recorder: Handle<config::ConfigurationRecorder>,
    /// The bucket it delivers to.
    pub bucket: Handle<s3::Bucket>,
}

/// Adds the recorder (with the service-linked role), the delivery channel and bucket, and the managed rules
/// (enterprise). The bucket is encrypted with `key_arn` (whose policy lets this account use it
/// through S3) and access-logged to `log_bucket`. `global_types` says whether the recorder
/// records the global IAM types: `true`, or a condition on the region (`Fn::If`).
pub fn config_service(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
    log_bucket: &Handle<s3::Bucket>,
    global_types: Expr,
) -> Option<ConfigService> {
    if !CONFIG_RECORDER.on(tier) {
        return None;
    }
    let c = &CONFIG_RECORDER;
    let bucket_id = "ConfigBucket";
    let bucket_arn = Expr::sub(format!("arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}"));
    let delivery_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}/AWSLogs/${{AWS::AccountId}}/Config/*"
    ));
    let bucket = secure_bucket(
        t,
        tier,
        BucketSpec {
            id: bucket_id,
            encryption: Encryption::Kms(key_arn.clone()),
            log_bucket: Some(log_bucket),
            extra_statements: vec![
                Statement::allow("ConfigBucketPermissionsCheck")
                    .service(["config.amazonaws.com"])
                    .actions(["s3:GetBucketAcl"])
                    .resource(bucket_arn.clone())
                    .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
                Statement::allow("ConfigBucketExistenceCheck")
                    .service(["config.amazonaws.com"])
                    .actions(["s3:ListBucket"])
                    .resource(bucket_arn.clone())
                    .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
                Statement::allow("ConfigBucketDelivery")
                    .service(["config.amazonaws.com"])
                    .actions(["s3:PutObject"])
                    .resource(delivery_arn.clone())
                    .condition("StringEquals", "aws:SourceAccount", Expr::account_id())
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
    let bucket_policy_id = format!("{bucket_id}Policy");

    // The recorder uses the service-linked role (what Security Hub's Config.1 asks for); the
    // account may already have it, so a custom resource creates it only if it is missing, and
    // leaves it on delete (other Config users in the account share it).
    let slr_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{SERVICE_LINKED_ROLE}"
    ));
    let slr = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "ConfigServiceLinkedRole",
            type_name: "Custom::ServiceLinkedRole",
            description:
                "Creates the AWS Config service-linked role if the account does not have it",
            code: SERVICE_LINKED_ROLE_CODE,
            statements: vec![Statement::allow("CreateConfigServiceLinkedRole")
                .actions(["iam:CreateServiceLinkedRole"])
                .resource(slr_arn.clone())
                .condition(
                    "StringEquals",
                    "iam:AWSServiceName",
                    Expr::str("config.amazonaws.com"),
                )],
            wildcards: Vec::new(),
            properties: [(
                "AWSServiceName".to_string(),
                Expr::str("config.amazonaws.com"),
            )]
            .into_iter()
            .collect(),
            key_arn: key_arn.clone(),
            control: c,
        },
    );

    let recorder = t.add(
        "ConfigRecorder",
        config::ConfigurationRecorder {
            role_arn: Some(slr_arn),
            recording_group: Some(config::configuration_recorder::RecordingGroup {
                all_supported: Some(true.into()),
                include_global_resource_types: Some(global_types),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    t.res(&recorder).control(c).depends_on(slr.id());

    let channel = t.add(
        "ConfigDeliveryChannel",
        config::DeliveryChannel {
            s3_bucket_name: Some(bucket.r#ref()),
            s3_kms_key_arn: Some(key_arn),
            config_snapshot_delivery_properties: Some(
                config::delivery_channel::ConfigSnapshotDeliveryProperties {
                    delivery_frequency: Some("TwentyFour_Hours".into()),
                },
            ),
            ..Default::default()
        },
    );
    t.res(&channel)
        .control(c)
        .depends_on(recorder.id())
        .depends_on(bucket_policy_id);

    for (id, source, params) in RULES {
        let rule = t.add(
            *id,
            config::ConfigRule {
                description: Some(format!("AWS managed rule {source}").into()),
                source: Some(config::config_rule::Source {
                    owner: Some("AWS".into()),
                    source_identifier: Some((*source).into()),
                    ..Default::default()
                }),
                input_parameters: (!params.is_empty())
                    .then(|| Expr::map(params.iter().map(|(k, v)| (*k, Expr::str(*v))))),
                ..Default::default()
            },
        );
        // The channel depends on the recorder, so the rules wait for both.
        t.res(&rule).control(c).depends_on(channel.id());
    }
    Some(ConfigService { recorder, bucket })
}
