//! `batch-fargate`: a containerised batch job runner on AWS Batch with Fargate, with an
//! IAM-authorised REST API to submit and follow jobs, as the AWS Transform CLI container's
//! security guide describes it (seed 003), hardened further: private subnets without public
//! IPs (the guide's public subnets are the first thing it says to fix), HTTPS-only egress,
//! VPC endpoints for the AWS services the job calls, an ECR repository that scans on push with
//! immutable tags, jobs that run non-root and unprivileged on a read-only root file system,
//! KMS everywhere, the input bucket's uploads expiring after 7 days, the output bucket
//! versioned (and Object Lock at enterprise), the repository token in Secrets Manager readable
//! by the job role only, and alarms for failed jobs, long-running jobs and API errors.
//!
//! The stack is built by [`workload`] from plain [`Options`], so the parameter layer stays
//! thin: it only turns validated parameters into options.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackBuilder, StackSpec};
use crate::cfn::generated::{ec2, iam, kms};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Template};
use crate::controls::alarms::{
    alarm_to, alert_topic, event_rule, forward_alarms, AlarmSpec, Alerts, RuleSpec,
    ALARMS_WITH_ACTIONS,
};
use crate::controls::batch::{compute, job_definition, mib, JobSpec};
use crate::controls::batch_ops::{
    failed_jobs, forward_failed_jobs, job_api, long_running_check, repository_token_secret,
    LONG_RUNNING_METRIC, METRIC_NAMESPACE,
};
use crate::controls::ecr::repository;
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::log_group::{log_group, streams_arn};
use crate::controls::rest_api::{invoke_policy, rest_api, ApiSpec, Private, PRIVATE_REST_API};
use crate::controls::s3_bucket::{
    access_log_bucket, arns, expire_objects, object_lock, secure_bucket, BucketSpec, Encryption,
    LockMode, OBJECT_LOCK,
};
use crate::controls::security_group::{egress, ingress, ingress_cidr, security_group, Peer};
use crate::controls::vpc::VPC_CIDR;
use crate::controls::vpc::{self, network, InternetEgress, Network};
use crate::controls::vpc_endpoints::{endpoints, s3_prefix_list_id};
use crate::guide::{Cadence, Deviation, Operation};
use crate::params::{rules, Cidr, ImageRef, Opt, Param, ParamSpec};
use crate::tier::Tier;

/// The blueprint's name.
pub const NAME: &str = "batch-fargate";

/// The seed guide.
pub const GUIDE: &str =
    "Security Best Practices for the AWS Transform CLI container (AWS Batch on Fargate with a REST API)";

/// Why the job's security group may reach the internet on 443 (when `internet_egress`).
pub const INTERNET_REASON: &str = "the guide's workload calls AWS Transform Custom, which has no VPC endpoint, so the jobs reach it over HTTPS through NAT";

/// The REST API's name (an `Fn::Sub` string), which its 5XX alarm's dimension repeats.
const API_NAME: &str = "${AWS::StackName}-jobs";

/// The interface endpoints of the services the job and its execution role call.
pub const INTERFACE_ENDPOINTS: &[(&str, &str)] = &[
    ("EcrApi", "ecr.api"),
    ("EcrDkr", "ecr.dkr"),
    ("Logs", "logs"),
    ("SecretsManager", "secretsmanager"),
];

/// What the stack is built from (the validated parameters).
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Stack name (prefixes names).
    pub name: &'a str,
    /// vCPUs per job (`0.25` ... `16`).
    pub vcpu: String,
    /// Memory per job, GiB.
    pub memory_gib: i64,
    /// Seconds an attempt may run.
    pub timeout_secs: i64,
    /// Attempts per job.
    pub attempts: i64,
    /// The compute environment's vCPU cap.
    pub max_vcpus: i64,
    /// Seconds after which a running job alarms.
    pub long_running_secs: i64,
    /// The image the job definition runs: `:tag` (tags are immutable) or `@sha256:...`.
    pub image_ref: String,
    /// Days each object version stays locked (enterprise).
    pub lock_days: i64,
    /// Object Lock mode (enterprise).
    pub lock_mode: LockMode,
    /// Whether the jobs reach the internet (through NAT) on 443.
    pub internet_egress: bool,
    /// Source CIDRs the WAF admits (from enhanced).
    pub allowed_cidrs: Option<Vec<String>>,
    /// CIDRs that reach the private API's endpoint (enterprise); `None`: the VPC's block.
    pub api_client_cidrs: Option<Vec<String>>,
    /// The block of the VPC harden creates (`None` with a VPC brought along).
    pub vpc_cidr: Option<Cidr>,
    /// Steady-state API requests per second.
    pub api_rate: i64,
    /// Where alerts go.
    pub alerts: Alerts<'a>,
}

/// Where the blueprint departs from the guide, and why.
pub static DEVIATIONS: &[Deviation] = &[
    Deviation {
        guide: "public subnets with assignPublicIp=ENABLED",
        harden: "private subnets, no public IP; NAT only for AWS Transform (no VPC endpoint), and none with internet_egress=false",
        reason: "the guide's first fix; AWS services are reached through VPC endpoints",
    },
    Deviation {
        guide: "restrict security group outbound to specific AWS service endpoints",
        harden: "with internet_egress=false: HTTPS to the endpoints and S3's prefix list only; by default also HTTPS to anywhere",
        reason: "AWS Transform has no endpoint and no published address range",
    },
    Deviation {
        guide: "writable root file system (the ATX CLI writes to it)",
        harden: "read-only root file system; /scratch (HOME) and /tmp are writable task volumes",
        reason: "the CLI writes under HOME and /tmp, which the volumes serve",
    },
    Deviation {
        guide: "MFA delete on the buckets",
        harden: "not set; Object Lock on the output bucket at enterprise",
        reason: "MFA delete can only be set by the root user with an MFA device, not by CloudFormation; Object Lock protects versions instead",
    },
    Deviation {
        guide: "S3 Intelligent-Tiering, Inventory, Access Points, archive lifecycle, log export to S3",
        harden: "not done (old versions expire, logs are kept 1 year, 2 at enterprise)",
        reason: "cost and data-placement choices, not security controls of one stack",
    },
    Deviation {
        guide: "cross-region replication of the buckets",
        harden: "at enterprise only: every bucket replicates to `replica_region`, into a replica stack there with its own key (delete markers are not replicated)",
        reason: "a replica needs a bucket, a key and a role in a second region, a stack of its own there, which the lower tiers do not deploy",
    },
    Deviation {
        guide: "automated remediation with Lambda",
        harden: "alerts only (failed and long-running jobs, API errors)",
        reason: "what to remediate is the workload owner's decision",
    },
    Deviation {
        guide: "secret rotation (implied by Secrets Manager)",
        harden: "no rotation schedule",
        reason: "the Git host issues the token: rotate it by issuing a new one (an operation)",
    },
    Deviation {
        guide: "CloudTrail, AWS Config, SCPs, permission boundaries",
        harden: "account baseline (CloudTrail from enhanced, Config at enterprise); SCPs and boundaries are the organisation's",
        reason: "account- and organisation-level, not per workload",
    },
    Deviation {
        guide: "arn:aws:execute-api:*:*:*/prod/* invoke policy",
        harden: "a managed policy naming this API's two methods",
        reason: "least privilege",
    },
];

/// The guide's recurring work.
pub static OPERATIONS: &[Operation] = &[
    Operation {
        item: "rebuild the image on a patched base image and push it under a new tag",
        cadence: Cadence::Monthly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "review the job and execution roles' permissions",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item:
            "rotate the repository token: issue a new one at the Git host and put it in the secret",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "review the alarms and who receives them; review API callers in CloudTrail (temporary credentials only: SSO or STS)",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "update the image's language runtimes and dependencies (Dependabot or Renovate on its repository)",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "security audit and penetration test of the job API and image; test restoring results from the output bucket's versions",
        cadence: Cadence::Annually,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "incident: disable the compute environment, revoke the job role's sessions, keep the output bucket's versions and the logs",
        cadence: Cadence::OnIncident,
        from: Tier::Basic,
        command: None,
    },
];

/// How the jobs reach the internet.
fn egress_of(o: &Options<'_>) -> InternetEgress {
    if o.internet_egress {
        InternetEgress::Nat {
            reason: INTERNET_REASON,
        }
    } else {
        InternetEgress::None
    }
}

/// Builds the workload stack's template.
pub fn workload(req: &Request, o: &Options<'_>) -> Result<(Template, Network), BlueprintError> {
    let tier = req.tier;
    let mut t = Template::new(String::new());
    let net = network(&mut t, req, egress_of(o));
    t.description = Some(format!(
        "harden {NAME} ({tier}): AWS Batch on Fargate in private subnets of {}, with the job API in stack {}",
        net.placement(),
        api_stack_name(o.name)
    ));
    let vpc_id = net.vpc_id();
    let key_id = "DataKey";
    let key_arn = Expr::GetAtt(key_id.into(), "Arn".into());

    // Security groups: the jobs talk HTTPS only, to the endpoints, S3 and (with NAT) AWS Transform.
    let job_sg = security_group(
        &mut t,
        "JobSecurityGroup",
        "Batch jobs: no inbound, HTTPS out only",
        vpc_id.clone(),
    );
    let endpoint_sg = security_group(
        &mut t,
        "EndpointSecurityGroup",
        "Interface VPC endpoints: HTTPS from the jobs only",
        vpc_id.clone(),
    );
    let job_gid = job_sg.get_att(ec2::SecurityGroupAttr::GroupId);
    let endpoint_gid = endpoint_sg.get_att(ec2::SecurityGroupAttr::GroupId);
    ingress(
        &mut t,
        "EndpointIngressFromJobs",
        &endpoint_sg,
        job_gid.clone(),
        443,
        "HTTPS from the Batch jobs",
    );
    endpoints(&mut t, &net, &endpoint_sg, INTERFACE_ENDPOINTS);
    if o.internet_egress {
        egress(
            &mut t,
            "JobEgressHttps",
            &job_sg,
            Peer::Cidr {
                cidr: "0.0.0.0/0".into(),
                reason: INTERNET_REASON,
            },
            443,
            "HTTPS to AWS Transform (through NAT), the VPC endpoints and S3",
        );
    } else {
        egress(
            &mut t,
            "JobEgressToEndpoints",
            &job_sg,
            Peer::Group(endpoint_gid.clone()),
            443,
            "HTTPS to the interface VPC endpoints",
        );
        let s3 = s3_prefix_list_id(&mut t, tier, key_arn.clone());
        egress(
            &mut t,
            "JobEgressToS3",
            &job_sg,
            Peer::PrefixList(s3),
            443,
            "HTTPS to Amazon S3 through the gateway endpoint",
        );
    }

    // Buckets.
    let log_bucket =
        (tier >= Tier::Enhanced).then(|| access_log_bucket(&mut t, tier, "AccessLogBucket"));
    let input = secure_bucket(
        &mut t,
        tier,
        BucketSpec {
            id: "InputBucket",
            encryption: Encryption::Kms(key_arn.clone()),
            log_bucket: log_bucket.as_ref(),
            extra_statements: Vec::new(),
            noncurrent_days: 7,
            cors_origin: None,
        },
    );
    expire_objects(&mut t, &input, 7);
    let output = secure_bucket(
        &mut t,
        tier,
        BucketSpec {
            id: "OutputBucket",
            encryption: Encryption::Kms(key_arn.clone()),
            log_bucket: log_bucket.as_ref(),
            extra_statements: Vec::new(),
            noncurrent_days: 90,
            cors_origin: None,
        },
    );
    if OBJECT_LOCK.on(tier) {
        object_lock(&mut t, &output, o.lock_mode, o.lock_days);
    }

    // Image, logs, roles, secret.
    let repo = repository(
        &mut t,
        tier,
        "Repository",
        &format!("{}/job", o.name),
        key_arn.clone(),
    );
    let job_logs = log_group(
        &mut t,
        tier,
        "JobLogGroup",
        Expr::sub("/aws/batch/${AWS::StackName}"),
        key_arn.clone(),
    );
    let execution = service_role(
        &mut t,
        "ExecutionRole",
        "Batch execution role: pulls the job image and writes the job logs",
        "ecs-tasks.amazonaws.com",
        true,
        vec![
            Statement::allow("PullJobImage")
                .actions([
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ])
                .resource(repo.get_att(crate::cfn::generated::ecr::RepositoryAttr::Arn)),
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
    let job_role_id = "JobRole";
    let job_role_arn = Expr::GetAtt(job_role_id.into(), "Arn".into());
    let secret = repository_token_secret(
        &mut t,
        tier,
        "RepositoryToken",
        key_arn.clone(),
        job_role_arn.clone(),
    );
    let (input_arn, input_objects) = arns(&input);
    let (output_arn, output_objects) = arns(&output);
    let job_role = service_role(
        &mut t,
        job_role_id,
        "Batch job role: reads inputs and the repository token, writes results",
        "ecs-tasks.amazonaws.com",
        true,
        vec![
            Statement::allow("ReadInputs")
                .actions(["s3:GetObject"])
                .resource(input_objects),
            Statement::allow("ListBuckets")
                .actions(["s3:ListBucket"])
                .resources([input_arn, output_arn]),
            Statement::allow("WriteResults")
                .actions(["s3:PutObject", "s3:GetObject"])
                .resource(output_objects),
            Statement::allow("ReadRepositoryToken")
                .actions(["secretsmanager:GetSecretValue"])
                .resource(secret.r#ref()),
            Statement::allow("UseDataKeyThroughServices")
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resource(key_arn.clone())
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::list([
                        Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                        Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com"),
                    ]),
                ),
        ],
        Vec::new(),
    );
    debug_assert_eq!(job_role.role.id(), job_role_id);

    // The key, after the roles (its policy names none of them: use goes through services).
    let key = kms_key(
        &mut t,
        tier,
        key_id,
        &format!("{}/data", o.name),
        "Encrypts the batch jobs' buckets, image repository, logs, secret and alert topic",
        &[
            KeyUser::ViaService("s3"),
            KeyUser::ViaService("ecr"),
            KeyUser::ViaService("secretsmanager"),
            // The helper functions' dead-letter queues (this stack's and the API stack's).
            KeyUser::ViaService("sqs"),
            KeyUser::Logs,
            KeyUser::CloudWatchAlarms,
            KeyUser::EventBridgeToTopics,
        ],
    );
    debug_assert_eq!(key.id(), key_id);
    vpc::flow_logs(&mut t, tier, &net, key_arn.clone());
    vpc::close_default_security_group(&mut t, tier, &net, key_arn.clone());

    // Batch.
    let c = compute(
        &mut t,
        "Batch",
        Some(Expr::str(queue_name(o))),
        net.private_subnet_ids(),
        Expr::list([job_gid.clone()]),
        o.max_vcpus,
    );
    let image = Expr::join(
        "",
        [
            repo.get_att(crate::cfn::generated::ecr::RepositoryAttr::RepositoryUri),
            Expr::str(&o.image_ref),
        ],
    );
    let job = job_definition(
        &mut t,
        JobSpec {
            id: "JobDefinition".into(),
            name: Some(Expr::str(job_definition_name(o))),
            image,
            vcpu: o.vcpu.clone(),
            memory_mib: mib(o.memory_gib),
            timeout_secs: o.timeout_secs,
            attempts: o.attempts,
            job_role_arn: job_role.arn(),
            execution_role_arn: execution.arn(),
            log_group: job_logs.r#ref(),
            environment: vec![
                ("INPUT_BUCKET".into(), input.r#ref()),
                ("OUTPUT_BUCKET".into(), output.r#ref()),
                ("REPOSITORY_TOKEN_SECRET_ARN".into(), secret.r#ref()),
            ],
            ephemeral_gib: None,
        },
    );
    t.res(&job)
        .depends_on(job_role.policy.id())
        .depends_on(execution.policy.id());

    // Alerts: failed jobs (EventBridge) to the stack's topic.
    let failed_rule_id = "FailedJobsRule";
    let topic_id = "AlertTopic";
    let failed = event_rule(
        &mut t,
        tier,
        RuleSpec {
            id: failed_rule_id,
            description: "A job of this stack's queue failed",
            pattern: failed_jobs(c.queue.r#ref()),
            topic: Expr::r#ref(topic_id),
            forwards: false,
            control: &ALARMS_WITH_ACTIONS,
        },
    );
    let topic = alert_topic(
        &mut t,
        tier,
        topic_id,
        key_arn.clone(),
        &o.alerts,
        &[failed],
    );
    forward_failed_jobs(&mut t, tier, &o.alerts, c.queue.r#ref());

    // Outputs (the API stack imports the exported ones).
    let export = |what: &str| Some(Expr::sub(format!("${{AWS::StackName}}-{what}")));
    t.output(
        "RepositoryUri",
        "Push the job image here (tags are immutable)",
        repo.get_att(crate::cfn::generated::ecr::RepositoryAttr::RepositoryUri),
        None,
    );
    t.output(
        "InputBucketName",
        "Uploads for the jobs (expire after 7 days)",
        input.r#ref(),
        None,
    );
    t.output(
        "OutputBucketName",
        "The jobs' results",
        output.r#ref(),
        None,
    );
    t.output("JobQueueArn", "The job queue", c.queue.r#ref(), None);
    t.output(
        "JobDefinitionArn",
        "The job definition's current revision",
        job.r#ref(),
        None,
    );
    t.output(
        "RepositoryTokenSecretArn",
        "Put the private repository's token here",
        secret.r#ref(),
        None,
    );
    t.output(
        "DataKeyArn",
        "The KMS key that encrypts the workload's data",
        key.get_att(kms::KeyAttr::Arn),
        export("DataKeyArn"),
    );
    t.output(
        "AlertTopicArn",
        "The alert topic",
        topic.r#ref(),
        export("AlertTopicArn"),
    );
    t.output("VpcId", "The workload's VPC", vpc_id, export("VpcId"));
    t.output(
        "PrivateSubnetIds",
        "The private subnets, comma-separated",
        Expr::Join(",".into(), Box::new(net.private_subnet_ids())),
        export("PrivateSubnetIds"),
    );
    Ok((t, net))
}

/// The job queue's name.
fn queue_name(o: &Options<'_>) -> String {
    format!("{}-jobs", o.name)
}

/// The job definition's name (its revisions share it).
fn job_definition_name(o: &Options<'_>) -> String {
    format!("{}-job", o.name)
}

/// The API stack's name.
pub fn api_stack_name(name: &str) -> String {
    format!("{name}-api")
}

/// Builds the API stack's template: the REST API and its WAF, the invoke policy, the
/// long-running job check and the API and long-running alarms. It names the queue and the job
/// definition by their fixed names and imports the key, the topic and the network from the
/// workload stack (values that never change, so the exports never block an update).
pub fn api_stack(tier: Tier, o: &Options<'_>) -> Template {
    let mut t = Template::new(format!(
        "harden {NAME} ({tier}): the IAM-authorised job API and job alarms of stack {}",
        o.name
    ));
    let import = |what: &str| Expr::import(Expr::str(format!("{}-{what}", o.name)));
    let key_arn = import("DataKeyArn");
    let topic_arn = import("AlertTopicArn");
    let queue_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:batch:${{AWS::Region}}:${{AWS::AccountId}}:job-queue/{}",
        queue_name(o)
    ));
    let job_definition_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:batch:${{AWS::Region}}:${{AWS::AccountId}}:job-definition/{}:*",
        job_definition_name(o)
    ));

    // The API.
    let private = if PRIVATE_REST_API.on(tier) {
        let api_sg = security_group(
            &mut t,
            "ApiEndpointSecurityGroup",
            "The execute-api endpoint: HTTPS from the API clients",
            import("VpcId"),
        );
        let clients = match (&o.api_client_cidrs, o.vpc_cidr) {
            (Some(c), _) => c.clone(),
            (None, Some(v)) => vec![v.to_string()],
            (None, None) => Vec::new(),
        };
        for (i, cidr) in clients.iter().enumerate() {
            ingress_cidr(
                &mut t,
                &format!("ApiEndpointIngress{i}"),
                &api_sg,
                Expr::str(cidr),
                443,
                "HTTPS from the API clients",
            );
        }
        Some(Private {
            vpc_id: import("VpcId"),
            subnet_ids: Expr::Split(",".into(), Box::new(import("PrivateSubnetIds"))),
            security_group_ids: Expr::list([api_sg.get_att(ec2::SecurityGroupAttr::GroupId)]),
            principals: Some(vec![Expr::sub(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            )]),
        })
    } else {
        None
    };
    let spec = ApiSpec {
        id: "Api",
        name: Expr::sub(API_NAME),
        description: "harden batch-fargate: submit and describe Batch jobs (IAM-authorised)",
        stage: "v1",
        rate_limit: o.api_rate,
        burst_limit: o.api_rate * 2,
        key_arn: key_arn.clone(),
        private,
        allowed_cidrs: o.allowed_cidrs.as_deref(),
    };
    let mut api = rest_api(&mut t, tier, &spec);
    job_api(
        &mut t,
        &mut api,
        queue_arn.clone(),
        Expr::str(job_definition_name(o)),
        job_definition_arn,
    );
    let deployed = api.deploy(&mut t, tier, &spec);
    let invoke = t.add(
        "ApiInvokePolicy",
        iam::ManagedPolicy {
            description: Some(
                "Attach to the principals that submit and follow jobs: invoke this API's two methods only"
                    .into(),
            ),
            policy_document: Some(
                invoke_policy(&deployed, &[("POST", "jobs"), ("GET", "jobs/*")]).into(),
            ),
            ..Default::default()
        },
    );
    t.res(&invoke)
        .control(&crate::controls::iam_role::LEAST_PRIVILEGE_ROLE);

    // Alarms: jobs running longer than the threshold (a counted metric), API 5XX.
    long_running_check(&mut t, tier, queue_arn, o.long_running_secs, key_arn);
    let long = alarm_to(
        &mut t,
        topic_arn.clone(),
        AlarmSpec {
            id: "LongRunningJobsAlarm",
            description: "A job has been running longer than the threshold",
            namespace: METRIC_NAMESPACE,
            metric: LONG_RUNNING_METRIC,
            dimensions: vec![("JobQueue", Expr::str(queue_name(o)))],
            statistic: "Maximum",
            period: 900,
            evaluation_periods: 1,
            threshold: 0,
            notify_recovery: true,
        },
    );
    let errors = alarm_to(
        &mut t,
        topic_arn,
        AlarmSpec {
            id: "Api5xxAlarm",
            description: "The job API answered more than 5 server errors (5XX) in 5 minutes",
            namespace: "AWS/ApiGateway",
            metric: "5XXError",
            dimensions: vec![
                // The API's name (`ApiSpec::name` below).
                ("ApiName", Expr::sub(API_NAME)),
                ("Stage", Expr::str(&deployed.stage_name)),
            ],
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 5,
            notify_recovery: true,
        },
    );
    forward_alarms(&mut t, tier, &o.alerts, &[long, errors], &["ALARM", "OK"]);
    t.output(
        "ApiUrl",
        "The job API (POST /jobs, GET /jobs/{jobId})",
        deployed.url(),
        None,
    );
    t.output(
        "ApiInvokePolicyArn",
        "The managed policy to attach to the principals that use the API",
        invoke.r#ref(),
        None,
    );
    t
}

/// `job_size`.
pub static JOB_SIZE: Param<rules::FargateSize> = Param::new(
    "job_size",
    "vCPUs and memory (GiB) per job, `VCPU/GIB`",
    &rules::FargateSize,
    "2/4",
);

/// `job_timeout`.
pub static JOB_TIMEOUT: Param<rules::Duration> = Param::new(
    "job_timeout",
    "how long one attempt of a job may run before Batch stops it",
    &rules::Duration {
        min_secs: 60,
        max_secs: 14 * 86_400,
    },
    "12h",
);

/// `job_attempts`.
pub static JOB_ATTEMPTS: Param<rules::Int> = Param::new(
    "job_attempts",
    "attempts per job (infrastructure failures and exit code 75 are retried, other exit codes are not)",
    &rules::Int { min: 1, max: 10 },
    "3",
);

/// `max_vcpus`.
pub static MAX_VCPUS: Param<rules::Int> = Param::new(
    "max_vcpus",
    "the compute environment's vCPU cap (jobs beyond it wait)",
    &rules::Int { min: 1, max: 1024 },
    "16",
);

/// `long_running_after`.
pub static LONG_RUNNING_AFTER: Param<rules::Duration> = Param::new(
    "long_running_after",
    "a job running longer than this alarms (shorter than `job_timeout`)",
    &rules::Duration {
        min_secs: 900,
        max_secs: 14 * 86_400,
    },
    "6h",
);

/// `image_tag`.
pub static IMAGE_TAG: Param<rules::ImageTag> = Param::new(
    "image_tag",
    "the job image in the stack's repository: a tag (tags are immutable there) or a digest",
    &rules::ImageTag,
    "v1",
);

/// `internet_egress`.
pub static INTERNET_EGRESS: Param<rules::Bool> = Param::new(
    "internet_egress",
    "`true`: jobs reach the internet on 443 through NAT (the guide's workload calls AWS Transform, which has no VPC endpoint); `false`: AWS services through VPC endpoints only",
    &rules::Bool,
    "true",
);

/// `output_lock_mode`.
pub static OUTPUT_LOCK_MODE: Param<rules::OneOf> = Param::new(
    "output_lock_mode",
    "Object Lock mode of the output bucket at enterprise: `governance` (users with s3:BypassGovernanceRetention may lift a lock) or `compliance` (nobody may)",
    &rules::OneOf(&["governance", "compliance"]),
    "governance",
);

/// `output_lock_days`.
pub static OUTPUT_LOCK_DAYS: Param<rules::Int> = Param::new(
    "output_lock_days",
    "days each result version stays locked at enterprise",
    &rules::Int { min: 1, max: 3650 },
    "30",
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

static PARAMS: &[&ParamSpec] = &[
    &vpc::VPC_CIDR.spec,
    &vpc::VPC_ID.spec,
    &vpc::SUBNET_IDS.spec,
    &vpc::ROUTE_TABLE_IDS.spec,
    &JOB_SIZE.spec,
    &JOB_TIMEOUT.spec,
    &JOB_ATTEMPTS.spec,
    &MAX_VCPUS.spec,
    &LONG_RUNNING_AFTER.spec,
    &IMAGE_TAG.spec,
    &INTERNET_EGRESS.spec,
    &OUTPUT_LOCK_MODE.spec,
    &OUTPUT_LOCK_DAYS.spec,
    &API_ALLOWED_CIDRS.spec,
    &API_CLIENT_CIDRS.spec,
    &API_RATE_LIMIT.spec,
    &crate::controls::replication::REPLICA_REGION.spec,
];

/// The options of a request's validated parameters.
fn options(req: &Request) -> Options<'_> {
    let size = req.get(&JOB_SIZE);
    let timeout = req.get(&JOB_TIMEOUT);
    let long = req.get(&LONG_RUNNING_AFTER);
    let own_vpc = !req.given(&vpc::VPC_ID);
    let api_client_cidrs: Option<Vec<String>> = req
        .get(&API_CLIENT_CIDRS)
        .map(|v| v.iter().map(ToString::to_string).collect());
    let image_ref = match req.get(&IMAGE_TAG) {
        ImageRef::Tag(t) => format!(":{t}"),
        ImageRef::Digest(d) => format!("@{d}"),
    };
    Options {
        name: &req.name,
        vcpu: size.vcpu.to_string(),
        memory_gib: size.memory_gib,
        timeout_secs: timeout as i64,
        attempts: req.get(&JOB_ATTEMPTS),
        max_vcpus: req.get(&MAX_VCPUS),
        long_running_secs: long as i64,
        image_ref,
        lock_days: req.get(&OUTPUT_LOCK_DAYS),
        lock_mode: if req.get(&OUTPUT_LOCK_MODE) == "compliance" {
            LockMode::Compliance
        } else {
            LockMode::Governance
        },
        internet_egress: req.get(&INTERNET_EGRESS),
        allowed_cidrs: req
            .get(&API_ALLOWED_CIDRS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
        api_client_cidrs,
        vpc_cidr: own_vpc.then(|| req.get(&VPC_CIDR)),
        api_rate: req.get(&API_RATE_LIMIT),
        alerts: Alerts::of(req),
    }
}

/// What the user should know of the options as given.
fn option_notes(o: &Options<'_>, req: &Request) -> Vec<String> {
    let tier = req.tier;
    let mut v = Vec::new();
    if o.long_running_secs >= o.timeout_secs {
        v.push(format!(
            "`long_running_after` ({}) is not shorter than `job_timeout` ({}): Batch stops a job first, so the long-running alarm never fires\nhint: pass a shorter `--param long_running_after`",
            rules::fmt_duration(o.long_running_secs as u64),
            rules::fmt_duration(o.timeout_secs as u64)
        ));
    }
    if PRIVATE_REST_API.on(tier) && o.vpc_cidr.is_none() && o.api_client_cidrs.is_none() {
        v.push("the private API's execute-api endpoint admits no client: harden cannot read the block of the VPC brought along\nhint: pass `--param api_client_cidrs=10.0.0.0/16` (the blocks the API's clients call from)".into());
    }
    if !OBJECT_LOCK.on(tier) && (req.given(&OUTPUT_LOCK_MODE) || req.given(&OUTPUT_LOCK_DAYS)) {
        v.push(format!("`output_lock_mode` and `output_lock_days` apply from the enterprise tier (Object Lock); at {tier} the output bucket is versioned only"));
    }
    v
}

/// The blueprint.
pub struct BatchFargate;

impl Blueprint for BatchFargate {
    fn name(&self) -> &'static str {
        NAME
    }

    fn summary(&self) -> &'static str {
        "a containerised batch job runner: AWS Batch on Fargate in private subnets, an ECR repository, input and output buckets, and an IAM-authorised REST API to submit and follow jobs"
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
        crate::controls::replication::required_example(tier)
    }

    /// The replica stack (at enterprise, in `replica_region`), the workload, the job API.
    fn own_stack_names(&self, name: &str) -> Vec<(String, crate::StackRole)> {
        vec![
            (
                crate::blueprint::replica_stack_name(name),
                crate::StackRole::Workload,
            ),
            (name.to_string(), crate::StackRole::Workload),
            (api_stack_name(name), crate::StackRole::Workload),
        ]
    }

    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        crate::controls::replication::purposes(tier, vec![
            "workload: VPC, endpoints, Batch on Fargate, ECR, buckets, secret, failed-job alerts",
            "job API: the IAM-authorised REST API and its WAF, the long-running job and API error alarms",
        ])
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let o = options(req);
        o.alerts.require(tier)?;
        let (t, net) = workload(req, &o)?;
        let mut notes = o.alerts.notes("the alarms");
        notes.extend(option_notes(&o, req));
        notes.extend(net.notes());
        notes.push(format!(
            "push the job image to `RepositoryUri` as `{}` before submitting jobs, and put the repository token into `RepositoryTokenSecretArn`",
            o.image_ref.trim_start_matches([':', '@'])
        ));
        let workload = req.stack(t).notes(notes);
        let api = StackBuilder::new(NAME, tier, api_stack_name(&req.name), api_stack(tier, &o))
            .purpose("job API")
            .after(req.name.clone())
            .note("attach `ApiInvokePolicyArn` to the principals that submit and follow jobs");
        crate::controls::replication::with_replicas(req, NAME, vec![workload, api])
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
        for (k, v) in crate::controls::replication::required_example(tier) {
            if !raw.iter().any(|(given, _)| given == k) {
                raw.push((k.to_string(), v.to_string()));
            }
        }
        // A VPC brought along keeps its owner's default security group:
        // the kit asks for that to be waived on purpose.
        let waivers: Vec<crate::blueprint::Waiver> = if raw.iter().any(|(k, _)| k == "vpc_id") {
            ["default-sg-closed"]
                .iter()
                .filter(|c| crate::controls::find(c).is_some_and(|c| c.on(tier)))
                .map(|c| {
                    crate::blueprint::Waiver::parse(&format!("{c}=the VPC's owner manages it"))
                        .unwrap()
                })
                .collect()
        } else {
            Vec::new()
        };
        BatchFargate
            .build_waived("jobs", tier, &raw, &waivers)
            .unwrap_or_else(|e| panic!("{tier}: {e}"))
    }

    fn types(s: &StackSpec) -> Vec<String> {
        to_node(&s.template)
            .unwrap()
            .get_path(&["Resources"])
            .and_then(Node::as_map)
            .unwrap()
            .values()
            .map(|r| {
                r.get_path(&["Type"])
                    .and_then(Node::as_str)
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    const BYO: &[(&str, &str)] = &[
        ("vpc_id", "vpc-0123456789abcdef0"),
        (
            "subnet_ids",
            "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
        ),
    ];

    #[test]
    fn a_vpc_brought_along_gets_no_network_of_its_own() {
        for tier in Tier::ALL {
            let mut p = BYO.to_vec();
            p.push(("alert_email", "ops@example.com"));
            p.push(("api_client_cidrs", "10.20.0.0/16"));
            let stacks = build(tier, &p);
            let workload = stacks.iter().find(|s| s.name == "jobs").unwrap();
            let ty = types(workload);
            for own in [
                "AWS::EC2::VPC",
                "AWS::EC2::Subnet",
                "AWS::EC2::NatGateway",
                "AWS::EC2::InternetGateway",
                "AWS::EC2::RouteTable",
            ] {
                assert!(!ty.iter().any(|t| t == own), "{tier}: {own}");
            }
            let text = format!("{:?}", to_node(&workload.template).unwrap());
            assert!(text.contains("subnet-0fedcba9876543210"), "{tier}");
            assert!(workload
                .notes
                .iter()
                .any(|n| n.contains("vpc-0123456789abcdef0")));
        }
    }

    #[test]
    fn two_stacks_the_api_after_the_workload_importing_what_it_exports() {
        let stacks = build(Tier::Enterprise, &[("alert_email", "ops@example.com")]);
        let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "harden-account-baseline",
                "harden-account-monitoring",
                "jobs-replica",
                "jobs",
                "jobs-api"
            ]
        );
        let api = &stacks[4];
        assert!(api.after.contains(&"jobs".to_string()));
        let workload = to_node(&stacks[3].template).unwrap();
        let exports: Vec<String> = workload
            .get_path(&["Outputs"])
            .and_then(Node::as_map)
            .unwrap()
            .values()
            .filter_map(|o| {
                o.get_path(&["Export", "Name", "Fn::Sub"])
                    .and_then(Node::as_str)
            })
            .map(|s| s.replace("${AWS::StackName}", "jobs"))
            .collect();
        let text = format!("{:?}", to_node(&api.template).unwrap());
        for what in ["DataKeyArn", "AlertTopicArn", "VpcId", "PrivateSubnetIds"] {
            let name = format!("jobs-{what}");
            assert!(exports.contains(&name), "{name} is exported");
            assert!(text.contains(&name), "{name} is imported");
        }
    }

    #[test]
    fn the_enterprise_api_is_private_and_the_output_bucket_locked() {
        let stacks = build(
            Tier::Enterprise,
            &[
                ("alert_email", "ops@example.com"),
                ("output_lock_mode", "compliance"),
            ],
        );
        let api = to_node(&stacks[4].template).unwrap();
        assert_eq!(
            format!(
                "{:?}",
                api.get_path(&[
                    "Resources",
                    "Api",
                    "Properties",
                    "EndpointConfiguration",
                    "Types"
                ])
                .unwrap()
            ),
            format!("{:?}", Node::Seq(vec![Node::Str("PRIVATE".into())]))
        );
        let w = to_node(&stacks[3].template).unwrap();
        assert_eq!(
            w.get_path(&[
                "Resources",
                "OutputBucket",
                "Properties",
                "ObjectLockConfiguration",
                "Rule",
                "DefaultRetention",
                "Mode"
            ])
            .and_then(Node::as_str),
            Some("COMPLIANCE")
        );
    }

    #[test]
    fn a_vpc_brought_along_without_api_clients_says_the_private_api_admits_none() {
        let mut p = BYO.to_vec();
        p.push(("alert_email", "ops@example.com"));
        let stacks = build(Tier::Enterprise, &p);
        assert!(stacks[3]
            .notes
            .iter()
            .any(|n| n.contains("api_client_cidrs")));
    }

    #[test]
    fn without_internet_egress_there_is_no_nat_and_no_egress_to_anywhere() {
        let stacks = build(Tier::Basic, &[("internet_egress", "false")]);
        let w = stacks.iter().find(|s| s.name == "jobs").unwrap();
        let ty = types(w);
        assert!(!ty.iter().any(|t| t == "AWS::EC2::NatGateway"));
        assert!(!format!("{:?}", to_node(&w.template).unwrap()).contains("0.0.0.0/0"));
        let with = build(Tier::Basic, &[]);
        let w = with.iter().find(|s| s.name == "jobs").unwrap();
        assert!(types(w).iter().any(|t| t == "AWS::EC2::NatGateway"));
    }
}
