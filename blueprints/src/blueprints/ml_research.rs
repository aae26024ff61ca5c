//! `ml-research`: the synthetic fire prediction research platform of seed 000. An AWS Batch
//! job on Fargate generates synthetic sensor data into an S3 data lake (`raw/`, `processed/`,
//! `models/` prefixes with lifecycle rules), SageMaker trains a model on it (the stack gives
//! the hardened surroundings of a training run and the exact request that starts one), a
//! SageMaker endpoint serves the model in private subnets, and an IAM-authorised REST API calls
//! it through a Lambda function in the VPC. Images come from the stack's ECR repositories
//! (scanned on push, immutable tags, KMS).
//!
//! Everything runs in private subnets without a route to the internet, behind security groups
//! and a network ACL, reaching AWS through VPC endpoints; one customer key encrypts the data
//! lake, the images, the logs, the volumes, the captured requests and the alerts. From
//! enhanced the data lake is backed up by AWS Backup into a vault encrypted with that key (a
//! vault lock at enterprise), the API gets a WAF web ACL and the account baseline adds
//! CloudTrail, GuardDuty and Security Hub; at enterprise the API is private and the endpoint
//! runs on two instances.
//!
//! It is composed from the kit: the Batch parts of `batch-fargate` ([`crate::controls::batch`],
//! [`crate::controls::batch_ops`]), the endpoint of `sagemaker-vpc`
//! ([`crate::controls::sagemaker_endpoint`], [`crate::controls::model_image`]), the API parts
//! of `cognito-api` ([`crate::controls::rest_api`], [`crate::controls::lambda_function`]), and
//! the kit's network ACL ([`crate::controls::network_acl`]), training
//! ([`crate::controls::sagemaker_training`]) and backup ([`crate::controls::backup`]) controls.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackBuilder, StackRole, StackSpec};
use crate::blueprints::account_baseline;
use crate::cfn::generated::{ec2, ecr, iam, kms};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Template};
use crate::controls::alarms::{
    alarm_to, alert_topic, event_rule, forward_alarms, AlarmSpec, Alerts, RuleSpec,
    ALARMS_WITH_ACTIONS,
};
use crate::controls::backup::{backup_plan, BackupSpec, DATA_BACKUP};
use crate::controls::batch::{compute, job_definition, mib, JobSpec};
use crate::controls::batch_ops::{failed_jobs, forward_failed_jobs};
use crate::controls::ecr::repository;
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::lambda_function::{allow_invoke, function, Code, FunctionSpec, Placement};
use crate::controls::log_group::{log_group, streams_arn};
use crate::controls::model_image::{model_image, ImageSource};
use crate::controls::network_acl::private_subnet_acl;
use crate::controls::rest_api::{
    invoke_policy, lambda_proxy, rest_api, ApiSpec, Authorization, MethodSpec, Private,
    PRIVATE_REST_API,
};
use crate::controls::s3_bucket::{
    access_log_bucket, arns, prefix_lifecycle, secure_bucket, BucketSpec, Encryption, PrefixRule,
};
use crate::controls::sagemaker_endpoint::{self as sm, DataCapture, EndpointSpec};
use crate::controls::sagemaker_training::{self as training, TrainingSpec};
use crate::controls::security_group::{egress, ingress, ingress_cidr, security_group, Peer};
use crate::controls::vpc::{self, network, InternetEgress, Network};
use crate::controls::vpc_endpoints::{endpoints, s3_prefix_list_id};
use crate::guide::{Cadence, Deviation, Operation};
use crate::params::{rules, Cidr, ImageRef, Opt, Param, ParamSpec};
use crate::tier::Tier;

/// The blueprint's name.
pub const NAME: &str = "ml-research";

/// The seed guide.
pub const GUIDE: &str = "AWS Security Considerations for Synthetic Fire Prediction System";

/// The interface endpoints: ECR (the three images), CloudWatch Logs (the jobs' logs), the
/// SageMaker runtime (the inference function calls the endpoint) and X-Ray (the function's
/// traces). S3 is reached through its gateway endpoint. None for the SageMaker API, KMS or
/// STS: nothing in the subnets calls them (training and the endpoint run with network
/// isolation, and S3 and SageMaker use the key on their side).
pub const INTERFACE_ENDPOINTS: &[(&str, &str)] = &[
    ("EcrApi", "ecr.api"),
    ("EcrDkr", "ecr.dkr"),
    ("Logs", "logs"),
    ("SageMakerRuntime", "sagemaker.runtime"),
    ("XRay", "xray"),
];

/// The data lake's prefixes: what the generation job writes, what training reads and writes,
/// what the endpoint captures.
pub const RAW: &str = "raw/";
/// Processed data (the training input).
pub const PROCESSED: &str = "processed/";
/// Model artifacts (the training output, the endpoint's model data).
pub const MODELS: &str = "models/";
/// The endpoint's captured requests and responses.
pub const CAPTURE: &str = "datacapture/";

/// The inference function: forwards the request body to the endpoint and its answer back.
/// It holds no secret and logs no payload; an endpoint error becomes a 502 without details.
pub const INFERENCE_FUNCTION: &str = r#"import json
import os

import boto3
from botocore.exceptions import ClientError

RUNTIME = boto3.client("sagemaker-runtime")
ENDPOINT = os.environ["ENDPOINT_NAME"]


def handler(event, context):
    body = event.get("body") or "{}"
    try:
        answer = RUNTIME.invoke_endpoint(
            EndpointName=ENDPOINT,
            ContentType="application/json",
            Accept="application/json",
            Body=body.encode("utf-8"),
        )
    except ClientError as e:
        print(json.dumps({"error": e.response["Error"]["Code"], "requestId": context.aws_request_id}))
        return {"statusCode": 502, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"message": "the model could not answer", "requestId": context.aws_request_id})}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": answer["Body"].read().decode("utf-8")}
"#;

/// The JSON schema (draft 4) of a prediction request: rows of numeric sensor features.
pub const PREDICT_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-04/schema#","title":"Predict","type":"object","additionalProperties":false,"required":["instances"],"properties":{"instances":{"type":"array","minItems":1,"maxItems":1000,"items":{"type":"array","minItems":1,"maxItems":256,"items":{"type":"number"}}}}}"#;

/// Where the blueprint departs from the guide, and why.
pub static DEVIATIONS: &[Deviation] = &[
    Deviation {
        guide: "a VPC with public and private subnets",
        harden: "private subnets only, no internet gateway, NAT or default route; AWS services through VPC endpoints",
        reason: "nothing in the platform needs the internet: the data is synthetic, images come from ECR, and training and the endpoint run with network isolation",
    },
    Deviation {
        guide: "API keys for client identification",
        harden: "IAM (SigV4) authorisation on every method, with a managed policy to attach to the callers; no API keys",
        reason: "an API key is a shared secret that identifies nobody and authorises nothing (AWS says not to use it for authorisation); IAM names each caller in CloudTrail and the access logs",
    },
    Deviation {
        guide: "CORS policies for web applications",
        harden: "no CORS headers: browsers refuse cross-origin calls",
        reason: "the API is IAM-authorised for research clients and notebooks, not a browser app; the strictest CORS policy is none",
    },
    Deviation {
        guide: "EC2 instances with encrypted EBS volumes, patched",
        harden: "no EC2 instances: Fargate and SageMaker run the workloads, their volumes encrypted with the stack's key (Fargate's by Fargate)",
        reason: "managed compute leaves no instance to patch",
    },
    Deviation {
        guide: "presigned URLs for temporary access to S3 objects",
        harden: "no bucket is reached from outside: the job, training and the endpoint use their roles through the gateway endpoint",
        reason: "nothing hands objects to a browser",
    },
    Deviation {
        guide: "MFA, password policies and temporary credentials for IAM users",
        harden: "account baseline (password policy at enterprise); the API's callers are IAM principals with temporary credentials (SSO or STS)",
        reason: "account-level, not per workload",
    },
    Deviation {
        guide: "CloudTrail; GuardDuty, Security Hub and Config (consider)",
        harden: "account baseline: CloudTrail, GuardDuty and Security Hub from enhanced, Config at enterprise",
        reason: "one per account and region; at basic the platform has its own alarms only",
    },
    Deviation {
        guide: "secrets management for sensitive data in ECS/Fargate tasks",
        harden: "no secret: the job, training and the endpoint reach AWS with their roles' temporary credentials",
        reason: "the data is synthetic and nothing calls a third party; a secret would be a long-term credential with nothing to protect",
    },
    Deviation {
        guide: "Systems Manager for patch management",
        harden: "not applicable: no instances; images are rebuilt (an operation)",
        reason: "managed compute only",
    },
    Deviation {
        guide: "SageMaker training jobs (a training job is not a CloudFormation resource)",
        harden: "the training role, subnets, security group, key and the exact `create-training-job` input as the stack output `TrainingJobInput`",
        reason: "a pipeline resource would add a second role allowed to pass the training role and a definition harden cannot check; the output is reviewed with the stack and started by a person with their own credentials",
    },
    Deviation {
        guide: "CloudWatch Logs for every component, with retention",
        harden: "training logs go to SageMaker's account-wide group /aws/sagemaker/TrainingJobs, which SageMaker creates (the training role may create that one group); every other group is the stack's, encrypted and retained",
        reason: "one group per account and region: a stack cannot own it without colliding with another",
    },
];

/// The guide's recurring work.
pub static OPERATIONS: &[Operation] = &[
    Operation {
        item: "rebuild the three images on patched minimal base images and push them under new tags (tags are immutable)",
        cadence: Cadence::Monthly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "review the image scan findings of the three repositories",
        cadence: Cadence::Monthly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "review the roles' permissions and who holds the API's invoke policy",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "test a restore of the data lake from the backup vault",
        cadence: Cadence::Quarterly,
        from: Tier::Enhanced,
        command: None,
    },
    Operation {
        item: "keep the incident response plan and the contact list of the people responsible current",
        cadence: Cadence::KeptCurrent,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "incident: disable the compute environment and the API stage, revoke the roles' sessions, keep the data lake's versions, the captured requests and the logs",
        cadence: Cadence::OnIncident,
        from: Tier::Basic,
        command: None,
    },
];

/// `job_size`.
pub static JOB_SIZE: Param<rules::FargateSize> = Param::new(
    "job_size",
    "vCPUs and memory (GiB) of the data generation job, `VCPU/GIB`",
    &rules::FargateSize,
    "1/2",
);

/// `job_timeout`.
pub static JOB_TIMEOUT: Param<rules::Duration> = Param::new(
    "job_timeout",
    "how long one attempt of the data generation job may run",
    &rules::Duration {
        min_secs: 60,
        max_secs: 14 * 86_400,
    },
    "4h",
);

/// `job_attempts`.
pub static JOB_ATTEMPTS: Param<rules::Int> = Param::new(
    "job_attempts",
    "attempts per data generation job (infrastructure failures and exit code 75 are retried)",
    &rules::Int { min: 1, max: 10 },
    "3",
);

/// `max_vcpus`.
pub static MAX_VCPUS: Param<rules::Int> = Param::new(
    "max_vcpus",
    "the compute environment's vCPU cap",
    &rules::Int { min: 1, max: 1024 },
    "16",
);

/// `datagen_image_tag`.
pub static DATAGEN_IMAGE_TAG: Param<rules::ImageTag> = Param::new(
    "datagen_image_tag",
    "the data generation image in the stack's `datagen` repository: a tag (immutable there) or a digest",
    &rules::ImageTag,
    "v1",
);

/// `raw_expire_days`.
pub static RAW_EXPIRE_DAYS: Param<rules::Int> = Param::new(
    "raw_expire_days",
    "days after which generated data under `raw/` expires (it moves to Standard-IA after 30)",
    &rules::Int { min: 31, max: 3650 },
    "365",
);

/// `training_image_tag`.
pub static TRAINING_IMAGE_TAG: Param<rules::ImageTag> = Param::new(
    "training_image_tag",
    "the training image in the stack's `training` repository: a tag (immutable there) or a digest",
    &rules::ImageTag,
    "v1",
);

/// `training_instance_type`.
pub static TRAINING_INSTANCE_TYPE: Param<rules::MlInstanceType> = Param::new(
    "training_instance_type",
    "the training instance type (one of the instance types SageMaker training and real-time inference share)",
    &rules::MlInstanceType,
    "ml.m5.xlarge",
);

/// `training_volume_gib`.
pub static TRAINING_VOLUME_GIB: Param<rules::Int> = Param::new(
    "training_volume_gib",
    "the training instance's volume in GiB (encrypted with the stack's key)",
    &rules::Int { min: 1, max: 16384 },
    "50",
);

/// `training_max_runtime`.
pub static TRAINING_MAX_RUNTIME: Param<rules::Duration> = Param::new(
    "training_max_runtime",
    "the longest a training run may take before SageMaker stops it",
    &rules::Duration {
        min_secs: 600,
        max_secs: 28 * 86_400,
    },
    "24h",
);

/// `inference_image_tag`.
pub static INFERENCE_IMAGE_TAG: Param<rules::ImageTag> = Param::new(
    "inference_image_tag",
    "the model server image in the stack's `inference` repository: a tag (immutable there) or a digest",
    &rules::ImageTag,
    "v1",
);

/// `endpoint_instance_type`.
pub static ENDPOINT_INSTANCE_TYPE: Param<rules::MlInstanceType> = Param::new(
    "endpoint_instance_type",
    "the endpoint's instance type",
    &rules::MlInstanceType,
    "ml.m5.xlarge",
);

/// `endpoint_instance_count`.
pub static ENDPOINT_INSTANCE_COUNT: Opt<rules::Int> = Opt::new(
    "endpoint_instance_count",
    "instances behind the endpoint (default: 1, and 2 at enterprise)",
    &rules::Int { min: 1, max: 10 },
);

/// `model_artifact`.
pub static MODEL_ARTIFACT: Opt<rules::S3Key> = Opt::new(
    "model_artifact",
    "the model artifacts (`model.tar.gz`) the endpoint serves, as a key under the data lake's `models/` prefix (a training run's output, `JOB/output/model.tar.gz`); without it the image must carry the model",
    &rules::S3Key { max_bytes: 900 },
);

/// `data_capture_percent`.
pub static DATA_CAPTURE_PERCENT: Param<rules::Int> = Param::new(
    "data_capture_percent",
    "the share of the endpoint's requests and responses captured into the data lake's `datacapture/` prefix",
    &rules::Int { min: 1, max: 100 },
    "20",
);

/// `inference_concurrency`.
pub static INFERENCE_CONCURRENCY: Param<rules::Int> = Param::new(
    "inference_concurrency",
    "the inference function's reserved concurrency",
    &rules::Int { min: 1, max: 1000 },
    "10",
);

/// `api_rate_limit`.
pub static API_RATE_LIMIT: Param<rules::Int> = Param::new(
    "api_rate_limit",
    "steady requests per second the API stage accepts (bursts of twice that)",
    &rules::Int {
        min: 1,
        max: 10_000,
    },
    "20",
);

/// `api_allowed_cidrs`.
pub static API_ALLOWED_CIDRS: Opt<rules::Cidrs> = Opt::new(
    "api_allowed_cidrs",
    "source blocks the API's WAF admits (from enhanced); others are blocked",
    &rules::Cidrs { max: 10 },
);

/// `api_client_cidrs`.
pub static API_CLIENT_CIDRS: Opt<rules::Cidrs> = Opt::new(
    "api_client_cidrs",
    "blocks that reach the private API's execute-api endpoint at enterprise (default: the block of the VPC harden creates; with `vpc_id`, no client until given)",
    &rules::Cidrs { max: 10 },
);

static PARAMS: &[&ParamSpec] = &[
    &vpc::VPC_CIDR.spec,
    &vpc::VPC_ID.spec,
    &vpc::SUBNET_IDS.spec,
    &vpc::ROUTE_TABLE_IDS.spec,
    &JOB_SIZE.spec,
    &JOB_TIMEOUT.spec,
    &JOB_ATTEMPTS.spec,
    &MAX_VCPUS.spec,
    &DATAGEN_IMAGE_TAG.spec,
    &RAW_EXPIRE_DAYS.spec,
    &TRAINING_IMAGE_TAG.spec,
    &TRAINING_INSTANCE_TYPE.spec,
    &TRAINING_VOLUME_GIB.spec,
    &TRAINING_MAX_RUNTIME.spec,
    &INFERENCE_IMAGE_TAG.spec,
    &ENDPOINT_INSTANCE_TYPE.spec,
    &ENDPOINT_INSTANCE_COUNT.spec,
    &MODEL_ARTIFACT.spec,
    &DATA_CAPTURE_PERCENT.spec,
    &INFERENCE_CONCURRENCY.spec,
    &API_RATE_LIMIT.spec,
    &API_ALLOWED_CIDRS.spec,
    &API_CLIENT_CIDRS.spec,
    &crate::controls::replication::REPLICA_REGION.spec,
];

/// What the stacks are built from (the validated parameters).
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Stack name (prefixes names).
    pub name: &'a str,
    /// vCPUs of the generation job.
    pub vcpu: String,
    /// Memory of the generation job, GiB.
    pub memory_gib: i64,
    /// Seconds an attempt may run.
    pub timeout_secs: i64,
    /// Attempts per job.
    pub attempts: i64,
    /// The compute environment's cap.
    pub max_vcpus: i64,
    /// `:tag` or `@sha256:...` of the generation image.
    pub datagen_ref: ImageRef,
    /// Days before `raw/` expires.
    pub raw_expire_days: i64,
    /// The training image's reference.
    pub training_ref: ImageRef,
    /// The training instance type.
    pub training_instance_type: &'static str,
    /// The training volume, GiB.
    pub training_volume_gib: i64,
    /// The longest a training run takes, seconds.
    pub training_max_runtime_secs: i64,
    /// The model server image's reference.
    pub inference_ref: ImageRef,
    /// The endpoint's instance type.
    pub endpoint_instance_type: &'static str,
    /// Instances behind the endpoint.
    pub endpoint_instances: i64,
    /// The model artifacts' key under `models/`.
    pub model_artifact: Option<String>,
    /// Percentage captured.
    pub capture_percent: i64,
    /// The function's reserved concurrency.
    pub concurrency: i64,
    /// Steady-state API requests per second.
    pub api_rate: i64,
    /// Source CIDRs the WAF admits (from enhanced).
    pub allowed_cidrs: Option<Vec<String>>,
    /// CIDRs that reach the private API (enterprise).
    pub api_client_cidrs: Option<Vec<Cidr>>,
    /// The block of the VPC harden creates (`None` with a VPC brought along).
    pub vpc_cidr: Option<Cidr>,
    /// Where alerts go.
    pub alerts: Alerts<'a>,
}

/// The inference stack's name.
pub fn inference_stack_name(name: &str) -> String {
    format!("{name}-inference")
}

/// The endpoint's name.
fn endpoint_name(name: &str) -> String {
    format!("{name}-endpoint")
}

/// A repository's name (`<stack>/<what>`, lowercase).
fn repository_name(name: &str, what: &str) -> String {
    format!("{name}/{what}").to_lowercase()
}

/// The options of a request's validated parameters.
fn options(req: &Request) -> Options<'_> {
    let size = req.get(&JOB_SIZE);
    let own_vpc = !req.given(&vpc::VPC_ID);
    let tier = req.tier;
    Options {
        name: &req.name,
        vcpu: size.vcpu.to_string(),
        memory_gib: size.memory_gib,
        timeout_secs: req.get(&JOB_TIMEOUT) as i64,
        attempts: req.get(&JOB_ATTEMPTS),
        max_vcpus: req.get(&MAX_VCPUS),
        datagen_ref: req.get(&DATAGEN_IMAGE_TAG),
        raw_expire_days: req.get(&RAW_EXPIRE_DAYS),
        training_ref: req.get(&TRAINING_IMAGE_TAG),
        training_instance_type: req.get(&TRAINING_INSTANCE_TYPE),
        training_volume_gib: req.get(&TRAINING_VOLUME_GIB),
        training_max_runtime_secs: req.get(&TRAINING_MAX_RUNTIME) as i64,
        inference_ref: req.get(&INFERENCE_IMAGE_TAG),
        endpoint_instance_type: req.get(&ENDPOINT_INSTANCE_TYPE),
        endpoint_instances: req.get(&ENDPOINT_INSTANCE_COUNT).unwrap_or(
            if sm::SAGEMAKER_MULTI_INSTANCE.on(tier) {
                2
            } else {
                1
            },
        ),
        model_artifact: req.get(&MODEL_ARTIFACT),
        capture_percent: req.get(&DATA_CAPTURE_PERCENT),
        concurrency: req.get(&INFERENCE_CONCURRENCY),
        api_rate: req.get(&API_RATE_LIMIT),
        allowed_cidrs: req
            .get(&API_ALLOWED_CIDRS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
        api_client_cidrs: req.get(&API_CLIENT_CIDRS),
        vpc_cidr: own_vpc.then(|| req.get(&vpc::VPC_CIDR)),
        alerts: Alerts::of(req),
    }
}

/// The blocks that reach the private API's endpoint (enterprise).
fn api_clients(o: &Options<'_>) -> Vec<Cidr> {
    match (&o.api_client_cidrs, o.vpc_cidr) {
        (Some(c), _) => c.clone(),
        (None, Some(v)) => vec![v],
        (None, None) => Vec::new(),
    }
}

/// The image URI of one of the stack's repositories.
fn image_of(repo: &crate::cfn::Handle<ecr::Repository>, reference: &ImageRef) -> Expr {
    Expr::join(
        "",
        [
            repo.get_att(ecr::RepositoryAttr::RepositoryUri),
            Expr::str(reference.to_string()),
        ],
    )
}

/// The export names of the main stack (`<name>`).
const NETWORK_EXPORTS: &[&str] = &[
    "DataKeyArn",
    "VpcId",
    "PrivateSubnetIds",
    "DataLakeBucket",
    "JobSecurityGroupId",
    "TrainingSecurityGroupId",
    "ModelSecurityGroupId",
    "FunctionSecurityGroupId",
];

/// The export names of the batch stack (`<name>-batch`).
const DATA_EXPORTS: &[&str] = &["AlertTopicArn"];

/// The batch stack's name.
pub fn data_stack_name(name: &str) -> String {
    format!("{name}-batch")
}

/// `Fn::ImportValue` of an export of one of the blueprint's stacks.
fn import(stack: &str, what: &str) -> Expr {
    debug_assert!(NETWORK_EXPORTS.contains(&what) || DATA_EXPORTS.contains(&what));
    Expr::import(Expr::str(format!("{stack}-{what}")))
}

/// The two private subnets, imported from the network stack.
fn imported_subnets(name: &str) -> (Expr, Vec<Expr>) {
    let list = || Expr::Split(",".into(), Box::new(import(name, "PrivateSubnetIds")));
    (
        list(),
        vec![Expr::select(0, list()), Expr::select(1, list())],
    )
}

/// An output exported as `<stack>-<what>`.
fn export(what: &str) -> Option<Expr> {
    Some(Expr::sub(format!("${{AWS::StackName}}-{what}")))
}

/// Builds the main stack (`<name>`): VPC, endpoints, security groups, network ACL, flow logs,
/// the key, the data lake, and the training run's role and request (an output may not hold
/// another stack's exports, so everything the request names is here).
pub fn network_stack(req: &Request, o: &Options<'_>) -> (Template, Network) {
    let tier = req.tier;
    let mut t = Template::new(String::new());
    let net = network(&mut t, req, InternetEgress::None);
    t.description = Some(format!(
        "harden {NAME} ({tier}): the research platform's network in {}, key, data lake and training, for stacks {} and {}",
        net.placement(),
        data_stack_name(o.name),
        inference_stack_name(o.name)
    ));
    let vpc_id = net.vpc_id();
    let key_id = "DataKey";
    let key_arn = Expr::GetAtt(key_id.into(), "Arn".into());

    // Security groups: each workload talks HTTPS only, to the endpoints (and S3).
    let group =
        |t: &mut Template, id: &str, what: &str| security_group(t, id, what, vpc_id.clone());
    let endpoint_sg = group(
        &mut t,
        "EndpointSecurityGroup",
        "Interface VPC endpoints: HTTPS from the platform workloads only",
    );
    let endpoint_gid = endpoint_sg.get_att(ec2::SecurityGroupAttr::GroupId);
    let s3 = s3_prefix_list_id(&mut t, tier, key_arn.clone());
    let mut training_gid = None;
    for (id, what, to_s3) in [
        (
            "Job",
            "Batch data generation jobs: no inbound, HTTPS to the endpoints and S3 only",
            true,
        ),
        (
            "Training",
            "SageMaker training: no inbound, HTTPS to the endpoints and S3 only",
            true,
        ),
        (
            "Model",
            "SageMaker model containers: no inbound, HTTPS to the endpoints and S3 only",
            true,
        ),
        (
            "Function",
            "Inference function: no inbound, HTTPS to the endpoints only",
            false,
        ),
    ] {
        let sg = group(&mut t, &format!("{id}SecurityGroup"), what);
        let gid = sg.get_att(ec2::SecurityGroupAttr::GroupId);
        ingress(
            &mut t,
            &format!("EndpointIngressFrom{id}"),
            &endpoint_sg,
            gid.clone(),
            443,
            &format!("HTTPS from the {} security group", id.to_lowercase()),
        );
        egress(
            &mut t,
            &format!("{id}EgressToEndpoints"),
            &sg,
            Peer::Group(endpoint_gid.clone()),
            443,
            "HTTPS to the interface VPC endpoints",
        );
        if to_s3 {
            egress(
                &mut t,
                &format!("{id}EgressToS3"),
                &sg,
                Peer::PrefixList(s3.clone()),
                443,
                "HTTPS to Amazon S3 through the gateway endpoint",
            );
        }
        if id == "Training" {
            training_gid = Some(gid.clone());
        }
        let what = format!("{id}SecurityGroupId");
        debug_assert!(NETWORK_EXPORTS.contains(&what.as_str()));
        t.output(
            &what,
            "Imported by the data and inference stacks",
            gid,
            export(&what),
        );
    }
    let training_gid = training_gid.expect("the training group");
    endpoints(&mut t, &net, &endpoint_sg, INTERFACE_ENDPOINTS);
    if let Some(cidr) = o.vpc_cidr {
        let clients = if PRIVATE_REST_API.on(tier) {
            api_clients(o)
        } else {
            Vec::new()
        };
        private_subnet_acl(&mut t, tier, &net, cidr, &clients);
    }

    // The key (its policy names no role: use goes through services).
    let mut users = vec![
        KeyUser::ViaService("s3"),
        KeyUser::ViaService("ecr"),
        KeyUser::ViaService("sagemaker"),
        // The inference function's environment, and the helper functions' and its
        // dead-letter queues.
        KeyUser::ViaService("lambda"),
        KeyUser::ViaService("sqs"),
        KeyUser::Logs,
        KeyUser::CloudWatchAlarms,
        KeyUser::EventBridgeToTopics,
    ];
    if DATA_BACKUP.on(tier) {
        users.push(KeyUser::ViaService("backup"));
    }
    let key = kms_key(
        &mut t,
        tier,
        key_id,
        &format!("{}/data", o.name),
        "Encrypts the research platform's data lake, images, volumes, logs, captured requests and alerts",
        &users,
    );
    debug_assert_eq!(key.id(), key_id);
    vpc::flow_logs(&mut t, tier, &net, key_arn.clone());
    vpc::close_default_security_group(&mut t, tier, &net, key_arn.clone());

    // The data lake.
    let log_bucket =
        (tier >= Tier::Enhanced).then(|| access_log_bucket(&mut t, tier, "AccessLogBucket"));
    let lake = secure_bucket(
        &mut t,
        tier,
        BucketSpec {
            id: "DataLakeBucket",
            encryption: Encryption::Kms(key_arn.clone()),
            log_bucket: log_bucket.as_ref(),
            extra_statements: Vec::new(),
            noncurrent_days: 90,
            cors_origin: None,
        },
    );
    prefix_lifecycle(
        &mut t,
        &lake,
        &[
            PrefixRule {
                id: "RawData",
                prefix: RAW,
                infrequent_after_days: Some(30),
                expire_after_days: Some(o.raw_expire_days),
            },
            PrefixRule {
                id: "ProcessedData",
                prefix: PROCESSED,
                infrequent_after_days: Some(90),
                expire_after_days: None,
            },
            PrefixRule {
                id: "CapturedRequests",
                prefix: CAPTURE,
                infrequent_after_days: Some(30),
                expire_after_days: Some(365),
            },
        ],
    );
    let (lake_arn, _) = arns(&lake);

    // Training: the role, and the request that starts a run.
    let mut spec = TrainingSpec {
        role_arn: Expr::GetAtt("TrainingRole".into(), "Arn".into()),
        image: Expr::sub(format!(
            "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{}{}",
            repository_name(o.name, "training"),
            o.training_ref
        )),
        bucket: lake.r#ref(),
        input_prefix: PROCESSED,
        output_prefix: MODELS,
        key_arn: key_arn.clone(),
        instance_type: o.training_instance_type.to_string(),
        volume_gib: o.training_volume_gib,
        max_runtime_secs: o.training_max_runtime_secs,
        subnets: net.subnets(),
        security_group: training_gid,
    };
    let training_role = service_role(
        &mut t,
        "TrainingRole",
        "SageMaker training role: reads processed/, writes models/, pulls the training image",
        "sagemaker.amazonaws.com",
        true,
        training::role_statements(
            lake_arn.clone(),
            &spec,
            ImageSource::Own {
                repository: repository_name(o.name, "training"),
                reference: o.training_ref.clone(),
            }
            .repository_arn(),
        ),
        training::role_wildcards(),
    );
    t.res(&training_role.role)
        .control(&training::HARDENED_TRAINING);
    spec.role_arn = training_role.arn();

    t.output(
        "TrainingJobInput",
        "aws sagemaker create-training-job --training-job-name NAME --cli-input-json '<this value>'",
        training::training_job_input(&spec),
        None,
    );
    t.output(
        "DataLakeBucketName",
        "The data lake (raw/, processed/, models/, datacapture/)",
        lake.r#ref(),
        export("DataLakeBucket"),
    );

    t.output(
        "DataKeyArn",
        "The KMS key that encrypts the platform's data",
        key.get_att(kms::KeyAttr::Arn),
        export("DataKeyArn"),
    );
    t.output("VpcId", "The platform's VPC", vpc_id, export("VpcId"));
    t.output(
        "PrivateSubnetIds",
        "The private subnets, comma-separated",
        Expr::Join(",".into(), Box::new(net.private_subnet_ids())),
        export("PrivateSubnetIds"),
    );
    (t, net)
}

/// Builds the batch stack (`<name>-batch`): the image repositories, Batch data generation,
/// the data lake's backup, and the alert topic with the failed-job alerts. It imports the key,
/// the subnets, the job's group and the data lake from the main stack.
pub fn batch_stack(tier: Tier, o: &Options<'_>) -> Template {
    let mut t = Template::new(format!(
        "harden {NAME} ({tier}): image repositories, Batch data generation, backup and alerts of stack {}",
        o.name
    ));
    let key_arn = import(o.name, "DataKeyArn");
    let (subnet_list, _) = imported_subnets(o.name);

    let lake = import(o.name, "DataLakeBucket");
    let lake_arn = Expr::sub_with(
        "arn:${AWS::Partition}:s3:::${Bucket}",
        [("Bucket", lake.clone())],
    );
    let prefix = |p: &str| Expr::join("", [lake_arn.clone(), Expr::str(format!("/{p}*"))]);

    // Images.
    let repo = |t: &mut Template, id: &str, what: &str| {
        repository(t, tier, id, &repository_name(o.name, what), key_arn.clone())
    };
    let datagen_repo = repo(&mut t, "DatagenRepository", "datagen");
    let training_repo = repo(&mut t, "TrainingRepository", "training");
    let inference_repo = repo(&mut t, "InferenceRepository", "inference");

    // Batch: the data generation job writes raw and processed data.
    let job_logs = log_group(
        &mut t,
        tier,
        "JobLogGroup",
        Expr::sub("/aws/batch/${AWS::StackName}"),
        key_arn.clone(),
    );
    let execution = service_role(
        &mut t,
        "JobExecutionRole",
        "Batch execution role: pulls the data generation image and writes its logs",
        "ecs-tasks.amazonaws.com",
        true,
        vec![
            Statement::allow("PullImage")
                .actions([
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ])
                .resource(datagen_repo.get_att(ecr::RepositoryAttr::Arn)),
            Statement::allow("WriteJobLogs")
                .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
                .resource(streams_arn(&job_logs)),
        ],
        vec![Wildcard {
            statement: Statement::allow("EcrLogin")
                .actions(["ecr:GetAuthorizationToken"])
                .resource(Expr::str("*")),
            reason: "ecr:GetAuthorizationToken supports no resource-level permissions",
        }],
    );
    let job_role = service_role(
        &mut t,
        "JobRole",
        "Batch job role: writes generated data under raw/ and processed/ of the data lake",
        "ecs-tasks.amazonaws.com",
        true,
        vec![
            Statement::allow("WriteGeneratedData")
                .actions(["s3:GetObject", "s3:PutObject"])
                .resources([prefix(RAW), prefix(PROCESSED)]),
            Statement::allow("ListGeneratedData")
                .actions(["s3:ListBucket"])
                .resource(lake_arn.clone())
                .condition(
                    "StringLike",
                    "s3:prefix",
                    Expr::strs([format!("{RAW}*"), format!("{PROCESSED}*")]),
                ),
            Statement::allow("UseDataKeyThroughS3")
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resource(key_arn.clone())
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                ),
        ],
        Vec::new(),
    );
    let c = compute(
        &mut t,
        "Batch",
        Some(Expr::str(format!("{}-datagen", o.name))),
        subnet_list,
        Expr::list([import(o.name, "JobSecurityGroupId")]),
        o.max_vcpus,
    );
    let job = job_definition(
        &mut t,
        JobSpec {
            id: "JobDefinition".into(),
            name: Some(Expr::str(format!("{}-datagen", o.name))),
            image: image_of(&datagen_repo, &o.datagen_ref),
            vcpu: o.vcpu.clone(),
            memory_mib: mib(o.memory_gib),
            timeout_secs: o.timeout_secs,
            attempts: o.attempts,
            job_role_arn: job_role.arn(),
            execution_role_arn: execution.arn(),
            log_group: job_logs.r#ref(),
            environment: vec![
                ("DATA_BUCKET".into(), lake),
                ("RAW_PREFIX".into(), Expr::str(RAW)),
                ("PROCESSED_PREFIX".into(), Expr::str(PROCESSED)),
            ],
            ephemeral_gib: None,
        },
    );
    t.res(&job)
        .depends_on(job_role.policy.id())
        .depends_on(execution.policy.id());

    // Backup of the data lake (from enhanced), locked at enterprise.
    if DATA_BACKUP.on(tier) {
        backup_plan(
            &mut t,
            tier,
            BackupSpec {
                id: "Backup",
                vault_name: Expr::sub("${AWS::StackName}-backups"),
                key_arn: key_arn.clone(),
                tables: Vec::new(),
                buckets: vec![lake_arn],
                control: &DATA_BACKUP,
            },
        );
    }

    // Alerts: failed generation jobs (EventBridge) to the stack's topic.
    let topic_id = "AlertTopic";
    let failed = event_rule(
        &mut t,
        tier,
        RuleSpec {
            id: "FailedJobsRule",
            description: "A data generation job of this stack's queue failed",
            pattern: failed_jobs(c.queue.r#ref()),
            topic: Expr::r#ref(topic_id),
            forwards: false,
            control: &ALARMS_WITH_ACTIONS,
        },
    );
    let topic = alert_topic(&mut t, tier, topic_id, key_arn, &o.alerts, &[failed]);
    forward_failed_jobs(&mut t, tier, &o.alerts, c.queue.r#ref());

    // Outputs.
    for (id, what, r) in [
        (
            "DatagenRepositoryUri",
            "Push the data generation image here",
            &datagen_repo,
        ),
        (
            "TrainingRepositoryUri",
            "Push the training image here",
            &training_repo,
        ),
        (
            "InferenceRepositoryUri",
            "Push the model server image here",
            &inference_repo,
        ),
    ] {
        t.output(
            id,
            &format!("{what} (tags are immutable)"),
            r.get_att(ecr::RepositoryAttr::RepositoryUri),
            None,
        );
    }
    t.output(
        "JobQueueArn",
        "The data generation job queue",
        c.queue.r#ref(),
        None,
    );
    t.output(
        "JobDefinitionArn",
        "The data generation job definition's current revision",
        job.r#ref(),
        None,
    );
    t.output(
        "AlertTopicArn",
        "The alert topic",
        topic.r#ref(),
        export("AlertTopicArn"),
    );
    t
}

/// Builds the inference stack (`<name>-inference`): the endpoint's role, model, configuration
/// and endpoint, the inference function, the IAM-authorised API and the alarms. It imports the
/// key, the network and the groups from the network stack and the bucket and the topic from the
/// data stack (values that never change, so the exports never block an update).
pub fn inference(tier: Tier, o: &Options<'_>) -> Template {
    let mut t = Template::new(format!(
        "harden {NAME} ({tier}): the SageMaker endpoint, inference function and IAM-authorised API of stack {}",
        o.name
    ));
    let data = data_stack_name(o.name);
    let key_arn = import(o.name, "DataKeyArn");
    let topic_arn = import(&data, "AlertTopicArn");
    let bucket = import(o.name, "DataLakeBucket");
    let (subnet_list, subnets) = imported_subnets(o.name);
    let bucket_arn = Expr::sub_with(
        "arn:${AWS::Partition}:s3:::${Bucket}",
        [("Bucket", bucket.clone())],
    );
    let under = |p: &str| Expr::join("", [bucket_arn.clone(), Expr::str(format!("/{p}*"))]);
    let s3_url = |p: String| {
        Expr::join(
            "",
            [
                Expr::str("s3://"),
                bucket.clone(),
                Expr::str(format!("/{p}")),
            ],
        )
    };

    // The endpoint.
    let endpoint = endpoint_name(o.name);
    let endpoint_logs = log_group(
        &mut t,
        tier,
        "EndpointLogGroup",
        Expr::str(format!("/aws/sagemaker/Endpoints/{endpoint}")),
        key_arn.clone(),
    );
    let source = ImageSource::Own {
        repository: repository_name(o.name, "inference"),
        reference: o.inference_ref.clone(),
    };
    let mut statements = sm::role_statements(
        bucket_arn.clone(),
        under(MODELS),
        key_arn.clone(),
        source.repository_arn(),
        streams_arn(&endpoint_logs),
        &subnets,
        import(o.name, "ModelSecurityGroupId"),
    );
    statements.push(
        Statement::allow("WriteCapturedRequests")
            .actions(["s3:PutObject"])
            .resource(under(CAPTURE)),
    );
    statements.push(
        Statement::allow("EncryptCapturedRequests")
            .actions(["kms:GenerateDataKey"])
            .resource(key_arn.clone())
            .condition(
                "StringEquals",
                "kms:ViaService",
                Expr::sub("s3.${AWS::Region}.amazonaws.com"),
            ),
    );
    let role = service_role(
        &mut t,
        "EndpointRole",
        "SageMaker endpoint role: reads models/, writes datacapture/, pulls the model server image, writes its logs",
        "sagemaker.amazonaws.com",
        true,
        statements,
        sm::role_wildcards(),
    );
    let ep = sm::endpoint(
        &mut t,
        EndpointSpec {
            endpoint_name: endpoint.clone(),
            // The stack's own repository has immutable tags: a tag pins the image.
            image: model_image(&source, true),
            model_data_url: o
                .model_artifact
                .as_ref()
                .map(|k| s3_url(format!("{MODELS}{k}"))),
            instance_type: o.endpoint_instance_type,
            instance_count: o.endpoint_instances,
            role: &role,
            subnets: Expr::list(subnets.clone()),
            security_group: import(o.name, "ModelSecurityGroupId"),
            key_arn: key_arn.clone(),
            log_group: &endpoint_logs,
            tier,
            data_capture: Some(DataCapture {
                destination: s3_url(CAPTURE.trim_end_matches('/').to_string()),
                percent: o.capture_percent,
            }),
        },
    );

    // The inference function, in the private subnets.
    let endpoint_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:endpoint/{}",
        endpoint.to_lowercase()
    ));
    let func = function(
        &mut t,
        tier,
        FunctionSpec {
            id: "Inference",
            description:
                "Inference API backend: forwards a prediction request to the SageMaker endpoint",
            code: Code::Inline(INFERENCE_FUNCTION),
            memory_mb: 256,
            timeout_secs: 29,
            reserved_concurrency: o.concurrency,
            environment: vec![(
                "ENDPOINT_NAME".into(),
                ep.get_att(crate::cfn::generated::sagemaker::EndpointAttr::EndpointName),
            )],
            statements: vec![Statement::allow("InvokeModel")
                .actions(["sagemaker:InvokeEndpoint"])
                .resource(endpoint_arn)],
            wildcards: Vec::new(),
            key_arn: key_arn.clone(),
            vpc: Some(Placement {
                subnets: subnets.clone(),
                security_group: import(o.name, "FunctionSecurityGroupId"),
            }),
        },
    );

    // The API: one IAM-authorised method, private at enterprise.
    let private = PRIVATE_REST_API.on(tier).then(|| {
        let api_sg = security_group(
            &mut t,
            "ApiEndpointSecurityGroup",
            "The execute-api endpoint: HTTPS from the API clients",
            import(o.name, "VpcId"),
        );
        for (i, cidr) in api_clients(o).iter().enumerate() {
            ingress_cidr(
                &mut t,
                &format!("ApiEndpointIngress{i}"),
                &api_sg,
                Expr::str(cidr.to_string()),
                443,
                "HTTPS from the API clients",
            );
        }
        Private {
            vpc_id: import(o.name, "VpcId"),
            subnet_ids: subnet_list,
            security_group_ids: Expr::list([api_sg.get_att(ec2::SecurityGroupAttr::GroupId)]),
            principals: Some(vec![Expr::sub(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            )]),
        }
    });
    let api_name = "${AWS::StackName}-api";
    let spec = ApiSpec {
        id: "Api",
        name: Expr::sub(api_name),
        description:
            "harden ml-research: fire predictions from the SageMaker endpoint (IAM-authorised)",
        stage: "v1",
        rate_limit: o.api_rate,
        burst_limit: o.api_rate * 2,
        key_arn: key_arn.clone(),
        private,
        allowed_cidrs: o.allowed_cidrs.as_deref(),
    };
    let mut api = rest_api(&mut t, tier, &spec);
    let predict = api.resource(&mut t, "Predict", None, "predict");
    api.method(
        &mut t,
        MethodSpec {
            id: "Predict".into(),
            resource: Some(predict),
            http_method: "POST",
            auth: Authorization::Iam,
            integration: lambda_proxy(func.arn()),
            responses: vec![crate::cfn::generated::apigateway::method::MethodResponse {
                status_code: Some("200".into()),
                ..Default::default()
            }],
            parameters: Vec::new(),
            body_schema: Some(Expr::str(PREDICT_SCHEMA)),
        },
    );
    let deployed = api.deploy(&mut t, tier, &spec);
    allow_invoke(
        &mut t,
        "InferenceInvokeFromApi",
        func.arn(),
        "apigateway.amazonaws.com",
        deployed.invoke_arn("POST", "predict"),
    );
    let invoke = t.add(
        "ApiInvokePolicy",
        iam::ManagedPolicy {
            description: Some(
                "Attach to the principals that ask for predictions: POST /predict of this API only"
                    .into(),
            ),
            policy_document: Some(invoke_policy(&deployed, &[("POST", "predict")]).into()),
            ..Default::default()
        },
    );
    t.res(&invoke)
        .control(&crate::controls::iam_role::LEAST_PRIVILEGE_ROLE);

    // Alarms: endpoint errors and latency, function errors, API errors.
    let endpoint_dims = || {
        vec![
            ("EndpointName", Expr::str(&endpoint)),
            ("VariantName", Expr::str("AllTraffic")),
        ]
    };
    let specs = [
        AlarmSpec {
            id: "Endpoint5xxAlarm",
            description: "More than 5 server errors (5XX) from the endpoint in 5 minutes",
            namespace: "AWS/SageMaker",
            metric: "Invocation5XXErrors",
            dimensions: endpoint_dims(),
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 5,
            notify_recovery: true,
        },
        AlarmSpec {
            id: "EndpointLatencyAlarm",
            description: "Average model latency above 10 seconds for 10 minutes",
            namespace: "AWS/SageMaker",
            metric: "ModelLatency",
            dimensions: endpoint_dims(),
            statistic: "Average",
            period: 300,
            evaluation_periods: 2,
            threshold: 10_000_000,
            notify_recovery: true,
        },
        AlarmSpec {
            id: "InferenceErrorsAlarm",
            description: "More than 5 inference function errors in 5 minutes",
            namespace: "AWS/Lambda",
            metric: "Errors",
            dimensions: vec![("FunctionName", func.function.r#ref())],
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 5,
            notify_recovery: true,
        },
        AlarmSpec {
            id: "Api5xxAlarm",
            description: "The API answered more than 5 server errors (5XX) in 5 minutes",
            namespace: "AWS/ApiGateway",
            metric: "5XXError",
            dimensions: vec![
                ("ApiName", Expr::sub(api_name)),
                ("Stage", Expr::str(&deployed.stage_name)),
            ],
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 5,
            notify_recovery: true,
        },
    ];
    let alarms: Vec<_> = specs
        .into_iter()
        .map(|s| alarm_to(&mut t, topic_arn.clone(), s))
        .collect();
    forward_alarms(&mut t, tier, &o.alerts, &alarms, &["ALARM", "OK"]);

    t.output(
        "ApiUrl",
        "The prediction API (POST /predict, SigV4-signed)",
        deployed.url(),
        None,
    );
    t.output(
        "ApiInvokePolicyArn",
        "The managed policy to attach to the principals that use the API",
        invoke.r#ref(),
        None,
    );
    t.output(
        "EndpointName",
        "The SageMaker endpoint",
        Expr::str(&endpoint),
        None,
    );
    t
}

/// What the user should know of the options as given.
fn option_notes(o: &Options<'_>, tier: Tier) -> Vec<String> {
    let mut v = vec![
        format!(
            "push the images to the repositories of `{name}-batch` before the jobs, runs and endpoint need them: `DatagenRepositoryUri` as `{d}`, `TrainingRepositoryUri` as `{tr}`, `InferenceRepositoryUri` as `{i}` (SageMaker creates the endpoint only once its image is there)",
            name = o.name,
            d = o.datagen_ref.to_string().trim_start_matches([':', '@']),
            tr = o.training_ref.to_string().trim_start_matches([':', '@']),
            i = o.inference_ref.to_string().trim_start_matches([':', '@']),
        ),
        format!(
            "start a training run with the stack's own request: `aws sagemaker create-training-job --training-job-name {name}-$(date +%Y%m%d%H%M%S) --cli-input-json \"$(aws cloudformation describe-stacks --stack-name {name} --query \"Stacks[0].Outputs[?OutputKey=='TrainingJobInput'].OutputValue\" --output text)\"` (the caller needs sagemaker:CreateTrainingJob, iam:PassRole on the training role, and kms:CreateGrant on the data key)",
            name = o.name
        ),
    ];
    if PRIVATE_REST_API.on(tier) && o.vpc_cidr.is_none() && o.api_client_cidrs.is_none() {
        v.push("the private API's execute-api endpoint admits no client: harden cannot read the block of the VPC brought along\nhint: pass `--param api_client_cidrs=10.0.0.0/16` (the blocks the API's clients call from)".into());
    }
    if o.model_artifact.is_none() {
        v.push("no `model_artifact`: the endpoint serves what its image carries\nhint: after a training run, pass `--param model_artifact=JOB/output/model.tar.gz` (its key under `models/`)".into());
    }
    v
}

/// The blueprint.
pub struct MlResearch;

impl Blueprint for MlResearch {
    fn name(&self) -> &'static str {
        NAME
    }

    fn summary(&self) -> &'static str {
        "a machine-learning research platform: Batch on Fargate generating synthetic data into an S3 data lake, hardened SageMaker training and a private endpoint, and an IAM-authorised inference API, in private subnets"
    }

    fn source(&self) -> &'static str {
        GUIDE
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

    /// An API blueprint: the baseline's API Gateway logging role from basic.
    fn baseline(&self) -> Option<Tier> {
        Some(Tier::Basic)
    }

    fn required_example(&self, tier: Tier) -> Vec<(&'static str, &'static str)> {
        let mut v = account_baseline::required_alerts(tier);
        v.extend(crate::controls::replication::required_example(tier));
        v
    }

    /// The replica stack (at enterprise, in `replica_region`), the platform, batch and
    /// inference stacks.
    fn own_stack_names(&self, name: &str) -> Vec<(String, StackRole)> {
        vec![
            (
                crate::blueprint::replica_stack_name(name),
                StackRole::Workload,
            ),
            (name.to_string(), StackRole::Workload),
            (data_stack_name(name), StackRole::Workload),
            (inference_stack_name(name), StackRole::Workload),
        ]
    }

    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        let own = if tier >= Tier::Enhanced {
            vec![
                "platform: VPC, endpoints, security groups, network ACL, flow logs, the KMS key, the data lake, the training run's role and request",
                "batch: ECR repositories, Batch data generation, the data lake's backup, the alert topic and failed-job alerts",
                "inference: the SageMaker endpoint, the inference function, the IAM-authorised API and its WAF, the alarms",
            ]
        } else {
            vec![
                "platform: VPC, endpoints, security groups, the KMS key, the data lake, the training run's role and request",
                "batch: ECR repositories, Batch data generation, the alert topic and failed-job alerts",
                "inference: the SageMaker endpoint, the inference function, the IAM-authorised API, the alarms",
            ]
        };
        crate::controls::replication::purposes(tier, own)
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let o = options(req);
        o.alerts.require(tier)?;
        let endpoint = endpoint_name(&req.name);
        if endpoint.len() > 63 {
            return Err(BlueprintError::Invalid(format!(
                "stack name `{}` is too long: the endpoint name `{endpoint}` must be at most 63 characters\nhint: use a name of at most 54 characters",
                req.name
            )));
        }
        let (t, net) = network_stack(req, &o);
        let network = req.stack(t).notes(net.notes());
        let data = StackBuilder::new(
            NAME,
            tier,
            data_stack_name(&req.name),
            batch_stack(tier, &o),
        )
        .purpose("batch")
        .after(req.name.clone())
        .notes(o.alerts.notes("the alarms"))
        .notes(option_notes(&o, tier));
        let inference = StackBuilder::new(
            NAME,
            tier,
            inference_stack_name(&req.name),
            inference(tier, &o),
        )
        .purpose("inference")
        .after(req.name.clone())
        .after(data_stack_name(&req.name))
        .note("attach `ApiInvokePolicyArn` to the principals that ask for predictions");
        crate::controls::replication::with_replicas(req, NAME, vec![network, data, inference])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn build(tier: Tier, params: &[(&str, &str)]) -> Vec<StackSpec> {
        let mut raw: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in MlResearch.required_example(tier) {
            if !raw.iter().any(|(g, _)| g == k) {
                raw.push((k.to_string(), v.to_string()));
            }
        }
        MlResearch
            .build("lab", tier, &raw)
            .unwrap_or_else(|e| panic!("{tier}: {e}"))
    }

    fn resources(s: &StackSpec) -> Node {
        to_node(&s.template)
            .unwrap()
            .get_path(&["Resources"])
            .cloned()
            .unwrap()
    }

    fn of_type(s: &StackSpec, ty: &str) -> Vec<String> {
        resources(s)
            .as_map()
            .unwrap()
            .iter()
            .filter(|(_, r)| r.get_path(&["Type"]).and_then(Node::as_str) == Some(ty))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn stack<'a>(stacks: &'a [StackSpec], name: &str) -> &'a StackSpec {
        stacks.iter().find(|s| s.name == name).unwrap()
    }

    /// No render has a way out to the internet: no gateway, NAT or route, and no security
    /// group egress to anywhere (the network ACL's 0.0.0.0/0 reaches only S3's gateway
    /// endpoint, the only route out).
    #[test]
    fn no_render_has_an_internet_path() {
        for tier in Tier::ALL {
            for s in build(tier, &[]) {
                if s.role != StackRole::Workload {
                    continue;
                }
                for ty in [
                    "AWS::EC2::InternetGateway",
                    "AWS::EC2::NatGateway",
                    "AWS::EC2::EIP",
                    "AWS::EC2::Route",
                ] {
                    assert!(of_type(&s, ty).is_empty(), "{tier} {}: {ty}", s.name);
                }
                for id in of_type(&s, "AWS::EC2::SecurityGroupEgress") {
                    let r = resources(&s);
                    let cidr = r
                        .get_path(&[&id, "Properties", "CidrIp"])
                        .and_then(Node::as_str);
                    assert_ne!(cidr, Some("0.0.0.0/0"), "{tier} {id}");
                }
            }
        }
    }

    #[test]
    fn backup_from_enhanced_and_the_vault_locked_at_enterprise() {
        let vault = |tier| {
            let stacks = build(tier, &[]);
            let p = stack(&stacks, "lab-batch");
            resources(p).get_path(&["BackupVault"]).cloned()
        };
        assert!(vault(Tier::Basic).is_none());
        let enhanced = vault(Tier::Enhanced).expect("a vault at enhanced");
        assert!(enhanced
            .get_path(&["Properties", "LockConfiguration"])
            .is_none());
        let enterprise = vault(Tier::Enterprise).expect("a vault at enterprise");
        assert!(enterprise
            .get_path(&["Properties", "LockConfiguration", "MinRetentionDays"])
            .is_some());
        assert!(enterprise
            .get_path(&["Properties", "EncryptionKeyArn"])
            .is_some());
    }

    #[test]
    fn the_training_input_is_isolated_and_encrypted() {
        let stacks = build(Tier::Basic, &[]);
        let n = to_node(&stack(&stacks, "lab").template).unwrap();
        let sub = n
            .get_path(&["Outputs", "TrainingJobInput", "Value", "Fn::Sub"])
            .and_then(Node::as_seq)
            .expect("a Fn::Sub with variables");
        let body = sub[0].as_str().unwrap();
        for want in [
            "\"EnableNetworkIsolation\":true",
            "\"EnableInterContainerTrafficEncryption\":true",
            "\"VolumeKmsKeyId\":\"${Key}\"",
            "s3://${Bucket}/processed/",
            "s3://${Bucket}/models/",
        ] {
            assert!(body.contains(want), "{want}: {body}");
        }
    }

    #[test]
    fn a_vpc_brought_along_gets_no_network_acl() {
        let p = [
            ("vpc_id", "vpc-0123456789abcdef0"),
            (
                "subnet_ids",
                "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
            ),
        ];
        let stacks = build(Tier::Basic, &p);
        assert!(of_type(stack(&stacks, "lab"), "AWS::EC2::NetworkAcl").is_empty());
        assert!(of_type(
            stack(&build(Tier::Basic, &[]), "lab"),
            "AWS::EC2::NetworkAcl"
        )
        .is_empty());
        let own = build(Tier::Enhanced, &[]);
        assert_eq!(
            of_type(stack(&own, "lab"), "AWS::EC2::SubnetNetworkAclAssociation").len(),
            2
        );
    }

    #[test]
    fn the_api_is_iam_authorised_and_private_at_enterprise() {
        let stacks = build(Tier::Enterprise, &[]);
        let i = to_node(&stack(&stacks, "lab-inference").template).unwrap();
        assert_eq!(
            i.get_path(&[
                "Resources",
                "ApiPredictMethod",
                "Properties",
                "AuthorizationType"
            ])
            .and_then(Node::as_str),
            Some("AWS_IAM")
        );
        assert!(format!(
            "{:?}",
            i.get_path(&["Resources", "Api", "Properties", "EndpointConfiguration"])
        )
        .contains("PRIVATE"));
    }
}
