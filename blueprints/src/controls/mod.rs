//! Hardened building blocks, one per file. Each file has a static [`Control`] descriptor (its
//! tier and the CIS and Security Hub controls it satisfies) and the functions that add its resources.
//! Every resource a control shapes names the control in `Metadata.harden.Controls`.

use crate::control::Control;

pub mod access_analyzer;
pub mod account_settings;
pub mod alarms;
pub mod aws_config;
pub mod backup;
pub mod batch;
pub mod batch_ops;
pub mod cis_alarms;
pub mod cloudtrail;
pub mod cognito;
pub mod dynamodb_table;
pub mod ecr;
pub mod ecs_service;
pub mod finding_alerts;
pub mod guardduty;
pub mod iam_role;
pub mod kms_key;
pub mod lambda_custom;
pub mod lambda_function;
pub mod log_group;
pub mod macie;
pub mod model_image;
pub mod network_acl;
pub mod opensearch_serverless;
pub mod org_services;
pub mod password_policy;
pub mod rds_postgres;
pub mod replication;
pub mod rest_api;
pub mod retain;
pub mod s3_bucket;
pub mod sagemaker_endpoint;
pub mod sagemaker_training;
pub mod security_group;
pub mod security_hub;
pub mod stack_protection;
pub mod vpc;
pub mod vpc_endpoints;
pub mod waf;

/// Every control, in tier order.
pub static ALL: &[&Control] = &[
    &kms_key::KMS_KEY,
    &s3_bucket::SECURE_BUCKET,
    &s3_bucket::BUCKET_KMS,
    &s3_bucket::PRESIGNED_ONLY_BUCKET,
    &iam_role::LEAST_PRIVILEGE_ROLE,
    &log_group::ENCRYPTED_LOG_GROUP,
    &vpc::PRIVATE_NETWORK,
    &vpc::ISOLATED_SUBNETS,
    &vpc_endpoints::VPC_ENDPOINTS,
    &vpc_endpoints::ECR_VPC_ENDPOINTS,
    &security_group::RESTRICTED_SECURITY_GROUP,
    &alarms::ALERT_TOPIC,
    &alarms::ALARMS_WITH_ACTIONS,
    &sagemaker_endpoint::PRIVATE_SAGEMAKER_ENDPOINT,
    &rest_api::REST_API,
    &ecr::ECR_REPOSITORY,
    &batch::BATCH_FARGATE,
    &ecs_service::ECS_FARGATE_SERVICE,
    &rds_postgres::RDS_POSTGRES,
    &batch_ops::REPOSITORY_TOKEN_SECRET,
    &batch_ops::LONG_RUNNING_JOBS,
    &sagemaker_training::HARDENED_TRAINING,
    &rest_api::API_GATEWAY_ACCOUNT_LOGGING,
    &rest_api::REST_API_CORS,
    &cognito::COGNITO_USER_POOL,
    &cognito::COGNITO_ADMIN_SIGN_UP,
    &lambda_function::BACKEND_FUNCTION,
    &dynamodb_table::SECURE_TABLE,
    &opensearch_serverless::VECTOR_COLLECTION,
    &s3_bucket::S3_ACCESS_LOGGING,
    &vpc::VPC_FLOW_LOGS,
    &vpc::DEFAULT_SG_CLOSED,
    &network_acl::PRIVATE_SUBNET_ACL,
    &vpc::ISOLATED_NETWORK_ACL,
    &rds_postgres::RDS_RESILIENCE,
    &waf::WAF_WEB_ACL,
    &rest_api::REST_API_WAF,
    &cognito::COGNITO_MFA,
    &cognito::COGNITO_THREAT_AUDIT,
    &lambda_function::FUNCTION_IN_VPC,
    &opensearch_serverless::PRIVATE_COLLECTION,
    &ecr::ECR_ENHANCED_SCANNING,
    &backup::DATA_BACKUP,
    &cloudtrail::CLOUDTRAIL,
    &guardduty::GUARDDUTY,
    &security_hub::SECURITY_HUB,
    &org_services::GUARDDUTY_ORGANIZATION,
    &org_services::SECURITY_HUB_CENTRAL,
    &finding_alerts::FINDING_ALERTS,
    &cis_alarms::CIS_ALARMS_CORE,
    &stack_protection::TERMINATION_PROTECTION,
    &retain::RETAIN_STATEFUL,
    &cognito::COGNITO_THREAT_ENFORCED,
    &backup::BACKUP_PLAN,
    &stack_protection::STACK_POLICY,
    &sagemaker_endpoint::SAGEMAKER_MULTI_INSTANCE,
    &model_image::PINNED_MODEL_IMAGE,
    &ecs_service::PINNED_TASK_IMAGE,
    &rest_api::PRIVATE_REST_API,
    &s3_bucket::OBJECT_LOCK,
    &s3_bucket::EVENTS_TO_EVENTBRIDGE,
    &replication::CROSS_REGION_REPLICATION,
    &cloudtrail::CLOUDTRAIL_S3_DATA_EVENTS,
    &aws_config::CONFIG_RECORDER,
    &org_services::CONFIG_AGGREGATOR,
    &access_analyzer::ACCESS_ANALYZER,
    &macie::MACIE,
    &access_analyzer::UNUSED_ACCESS_ANALYZER,
    &security_hub::SECURITY_HUB_PCI_DSS,
    &password_policy::PASSWORD_POLICY,
    &account_settings::S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
    &account_settings::EBS_DEFAULT_ENCRYPTION,
    &account_settings::SECURITY_CONTACT,
    &account_settings::SUPPORT_ROLE,
    &cis_alarms::CIS_ALARMS,
    &alarms::ALERT_DESTINATION,
];

/// The control with this id.
pub fn find(id: &str) -> Option<&'static Control> {
    ALL.iter().copied().find(|c| c.id == id)
}
