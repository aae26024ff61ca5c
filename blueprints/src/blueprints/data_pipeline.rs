//! `data-pipeline`: a containerised data pipeline on ECS Fargate that reads an S3 input bucket
//! and writes to RDS PostgreSQL, as the AWS Data Pipeline security guide describes it (seed
//! 004), hardened further: a three-tier VPC (public subnets only for the NAT, private subnets
//! for the tasks, isolated subnets with no route out for the database, behind a network ACL),
//! tasks that run non-root on a read-only root file system with secrets injected by ECS, a
//! task role that reads the one bucket and connects as the one database user, an execution
//! role that pulls the one image, writes the one log group and reads the one secret, a
//! database that forces TLS, authenticates with IAM, and whose master password RDS generates,
//! keeps and rotates in Secrets Manager, KMS everywhere with the stack's key, VPC endpoints for
//! what the tasks call, and alerts for failed tasks and deployments (and from enhanced for the
//! database's CPU, storage and connections).
//!
//! The stack is built by [`workload`] from plain [`Options`], so the parameter layer stays
//! thin: it only turns validated parameters into options.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackBuilder, StackSpec};
use crate::cfn::generated::{ec2, ecr, ecs, kms, rds};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Template};
use crate::controls::alarms::{
    alarm, alarm_below, alert_topic, event_rule, forward_alarms, forward_events, AlarmSpec, Alerts,
    RuleSpec, ALARMS_WITH_ACTIONS,
};
use crate::controls::ecr::repository;
use crate::controls::ecs_service::{
    cluster, failed_deployments, failed_tasks, service, task_definition, ServiceSpec, TaskSpec,
    PINNED_TASK_IMAGE,
};
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::log_group::{log_group, streams_arn};
use crate::controls::rds_postgres::{self, postgres, DbSpec, RDS_RESILIENCE};
use crate::controls::s3_bucket::{access_log_bucket, arns, secure_bucket, BucketSpec, Encryption};
use crate::controls::security_group::{egress, ingress, security_group, Peer};
use crate::controls::vpc::{self, isolated_subnets, network, InternetEgress};
use crate::controls::vpc_endpoints::{endpoints, s3_prefix_list_id};
use crate::guide::{Cadence, Deviation, Operation};
use crate::params::{rules, ImageRef, Param, ParamSpec};
use crate::tier::Tier;

/// The blueprint's name.
pub const NAME: &str = "data-pipeline";

/// The seed guide.
pub const GUIDE: &str =
    "Security Implementation of the AWS Data Pipeline (ECS Fargate, RDS PostgreSQL, S3)";

/// Why the tasks' security group may reach the internet on 443 (when `internet_egress`).
pub const INTERNET_REASON: &str = "the guide's tasks have outbound internet access for package updates, which no VPC endpoint serves, so they reach package registries over HTTPS through NAT";

/// The interface endpoints of the services the tasks and their execution role call.
pub const INTERFACE_ENDPOINTS: &[(&str, &str)] = &[
    ("EcrApi", "ecr.api"),
    ("EcrDkr", "ecr.dkr"),
    ("Logs", "logs"),
    ("SecretsManager", "secretsmanager"),
];

/// The container's name in the task definition.
const CONTAINER: &str = "pipeline";

/// The master user's name (its password is RDS's: generated, kept and rotated in Secrets
/// Manager).
pub const MASTER_USERNAME: &str = "pipeline_admin";

/// What the stack is built from (the validated parameters).
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Stack name (prefixes names).
    pub name: &'a str,
    /// CPU units per task.
    pub cpu_units: i64,
    /// Memory per task, MiB.
    pub memory_mib: i64,
    /// Tasks the service keeps running.
    pub desired_count: i64,
    /// The image in the stack's repository: a tag or a digest.
    pub image: ImageRef,
    /// Whether the tasks reach the internet (through NAT) on 443.
    pub internet_egress: bool,
    /// Whether the master secret is injected into the task.
    pub master_secret_in_task: bool,
    /// The RDS instance class.
    pub db_class: &'static str,
    /// PostgreSQL's version.
    pub db_version: &'static str,
    /// Initial storage, GiB.
    pub db_storage_gib: i64,
    /// The database created at launch.
    pub db_name: String,
    /// The user the tasks connect as with IAM authentication.
    pub db_user: String,
    /// Connections above which the database alarms (from enhanced).
    pub db_connections_alarm: i64,
    /// Where alerts go.
    pub alerts: Alerts<'a>,
}

/// Where the blueprint departs from the guide, and why.
pub static DEVIATIONS: &[Deviation] = &[
    Deviation {
        guide: "S3 bucket: server-side encryption with S3-managed keys",
        harden: "SSE-KMS with the stack's customer key, bucket keys on, TLS 1.2+ only",
        reason: "a customer key's use is limited by its policy and recorded in CloudTrail; SSE-S3 cannot be restricted",
    },
    Deviation {
        guide: "ECS tasks have outbound internet access for package updates",
        harden: "HTTPS (443) only, through NAT, with internet_egress=true (the default); with false, only the VPC endpoints and S3",
        reason: "package registries have no VPC endpoint; other ports are not needed",
    },
    Deviation {
        guide: "database credentials stored in Secrets Manager and rotated automatically",
        harden: "ManageMasterUserPassword: RDS generates the master password, keeps it in a secret under the stack's key and rotates it (every 7 days); the tasks connect as db_user with IAM tokens",
        reason: "no password ever passes through a template, a parameter or a rotation function in the VPC",
    },
    Deviation {
        guide: "code reviews, dependency scanning, CI/CD security tests, scheduled reviews",
        harden: "scan on push of the image repository (enhanced scanning in the account baseline from enhanced); the rest as operations",
        reason: "process, not infrastructure",
    },
    Deviation {
        guide: "AWS CloudTrail enabled for API activity monitoring",
        harden: "account baseline from enhanced (a multi-region trail, encrypted, to CloudWatch Logs)",
        reason: "a trail is account-wide, not per workload",
    },
];

/// The guide's recurring work.
pub static OPERATIONS: &[Operation] = &[
    Operation {
        item: "rebuild the pipeline image on a patched base image, scan its dependencies, push it under a new tag or digest",
        cadence: Cadence::Monthly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "review the task and execution roles, the database users and their grants",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "test restoring the database from a snapshot and to a point in time",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "upgrade PostgreSQL's major version (minor versions apply in the maintenance window)",
        cadence: Cadence::Annually,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "incident: scale the service to 0, rotate the master secret, revoke the task role's sessions, keep the snapshots and logs",
        cadence: Cadence::OnIncident,
        from: Tier::Basic,
        command: None,
    },
];

/// How the tasks reach the internet.
fn egress_of(o: &Options<'_>) -> InternetEgress {
    if o.internet_egress {
        InternetEgress::Nat {
            reason: INTERNET_REASON,
        }
    } else {
        InternetEgress::None
    }
}

/// The database instance's identifier.
pub fn db_identifier(name: &str) -> String {
    format!("{}-db", name.to_lowercase())
}

/// The tasks stack's name.
pub fn tasks_stack_name(name: &str) -> String {
    format!("{name}-tasks")
}

/// Builds the data stack's template: the network, the security groups, the endpoints, the
/// key, the input bucket and the database, exporting what the tasks stack needs (values that
/// never change, so the exports never block an update); and the notes on the network.
pub fn data_stack(req: &Request, o: &Options<'_>) -> (Template, Vec<String>) {
    let tier = req.tier;
    let mut t = Template::new(String::new());
    let net = network(&mut t, req, egress_of(o));
    let isolated = isolated_subnets(&mut t, req, &net, rds_postgres::PORT);
    t.description = Some(format!(
        "harden {NAME} ({tier}): the network, input bucket and RDS PostgreSQL in {}, for the tasks of stack {}",
        net.placement(),
        tasks_stack_name(o.name)
    ));
    let vpc_id = net.vpc_id();
    let key_id = "DataKey";
    let key_arn = Expr::GetAtt(key_id.into(), "Arn".into());

    // Security groups: tasks to the database on 5432 and HTTPS out; the database from the
    // tasks only; the endpoints from the tasks only.
    let task_sg = security_group(
        &mut t,
        "TaskSecurityGroup",
        "Pipeline tasks: no inbound; the database, the endpoints and S3 out",
        vpc_id.clone(),
    );
    let db_sg = security_group(
        &mut t,
        "DatabaseSecurityGroup",
        "The database: PostgreSQL from the pipeline tasks only",
        vpc_id.clone(),
    );
    let endpoint_sg = security_group(
        &mut t,
        "EndpointSecurityGroup",
        "Interface VPC endpoints: HTTPS from the pipeline tasks only",
        vpc_id.clone(),
    );
    let task_gid = task_sg.get_att(ec2::SecurityGroupAttr::GroupId);
    let db_gid = db_sg.get_att(ec2::SecurityGroupAttr::GroupId);
    let endpoint_gid = endpoint_sg.get_att(ec2::SecurityGroupAttr::GroupId);
    ingress(
        &mut t,
        "DatabaseIngressFromTasks",
        &db_sg,
        task_gid.clone(),
        rds_postgres::PORT,
        "PostgreSQL from the pipeline tasks",
    );
    egress(
        &mut t,
        "TaskEgressToDatabase",
        &task_sg,
        Peer::Group(db_gid.clone()),
        rds_postgres::PORT,
        "PostgreSQL to the database",
    );
    ingress(
        &mut t,
        "EndpointIngressFromTasks",
        &endpoint_sg,
        task_gid.clone(),
        443,
        "HTTPS from the pipeline tasks",
    );
    endpoints(&mut t, &net, &endpoint_sg, INTERFACE_ENDPOINTS);
    if o.internet_egress {
        egress(
            &mut t,
            "TaskEgressHttps",
            &task_sg,
            Peer::Cidr {
                cidr: "0.0.0.0/0".into(),
                reason: INTERNET_REASON,
            },
            443,
            "HTTPS to package registries (through NAT), the VPC endpoints and S3",
        );
    } else {
        egress(
            &mut t,
            "TaskEgressToEndpoints",
            &task_sg,
            Peer::Group(endpoint_gid),
            443,
            "HTTPS to the interface VPC endpoints",
        );
        let s3 = s3_prefix_list_id(&mut t, tier, key_arn.clone());
        egress(
            &mut t,
            "TaskEgressToS3",
            &task_sg,
            Peer::PrefixList(s3),
            443,
            "HTTPS to Amazon S3 through the gateway endpoint",
        );
    }

    // The input bucket.
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
            noncurrent_days: 30,
            cors_origin: None,
        },
    );

    // The database.
    let database = postgres(
        &mut t,
        tier,
        DbSpec {
            id: "Database",
            identifier: db_identifier(o.name),
            version: o.db_version,
            instance_class: o.db_class,
            storage_gib: o.db_storage_gib,
            db_name: &o.db_name,
            master_username: MASTER_USERNAME,
            subnet_ids: isolated.subnet_ids(),
            security_groups: Expr::list([db_gid]),
            key_arn: key_arn.clone(),
        },
    );
    isolated.placed(t.res(&database.subnet_group));
    let db = database.instance;

    // The key, after the roles (its policy names none of them: use goes through services).
    let key = kms_key(
        &mut t,
        tier,
        key_id,
        &format!("{}/data", o.name),
        "Encrypts the pipeline's bucket, database, its secret and Performance Insights, image repository, logs and alert topic",
        &[
            KeyUser::ViaService("s3"),
            KeyUser::ViaService("rds"),
            KeyUser::ViaService("secretsmanager"),
            KeyUser::ViaService("ecr"),
            // The helper functions' dead-letter queues.
            KeyUser::ViaService("sqs"),
            KeyUser::Logs,
            KeyUser::CloudWatchAlarms,
            KeyUser::EventBridgeToTopics,
        ],
    );
    vpc::flow_logs(&mut t, tier, &net, key_arn.clone());
    vpc::close_default_security_group(&mut t, tier, &net, key_arn.clone());
    // Outputs (the tasks stack imports the exported ones).
    let export = |what: &str| Some(Expr::sub(format!("${{AWS::StackName}}-{what}")));
    let (input_arn, _) = arns(&input);
    let outputs = [
        (
            "InputBucketName",
            "The bucket the pipeline reads",
            input.r#ref(),
        ),
        ("InputBucketArn", "The input bucket's ARN", input_arn),
        (
            "DatabaseEndpoint",
            "The database's address (TLS only, port 5432)",
            db.get_att(rds::DBInstanceAttr::EndpointAddress),
        ),
        (
            "DatabaseResourceId",
            "The database's resource id (in `rds-db:connect` ARNs)",
            db.get_att(rds::DBInstanceAttr::DbiResourceId),
        ),
        (
            "DatabaseMasterSecretArn",
            "The RDS-managed secret of the master user (rotated by RDS)",
            db.get_att(rds::DBInstanceAttr::MasterUserSecretSecretArn),
        ),
        (
            "DataKeyArn",
            "The KMS key that encrypts the pipeline's data",
            key.get_att(kms::KeyAttr::Arn),
        ),
        (
            "PrivateSubnetIds",
            "The private subnets of the tasks, comma-separated",
            Expr::Join(",".into(), Box::new(net.private_subnet_ids())),
        ),
        ("TaskSecurityGroupId", "The tasks' security group", task_gid),
    ];
    for (id, description, value) in outputs {
        t.output(id, description, value, export(id));
    }
    let mut notes = net.notes();
    notes.extend(isolated.notes());
    (t, notes)
}

/// Builds the tasks stack's template: the image repository, the task log group, the task
/// and execution roles, the cluster, task definition and service, the alert topic, the
/// failed-task and deployment alerts and (from enhanced) the database alarms. It imports the
/// key, the network, the bucket and the database from the data stack.
pub fn tasks_stack(tier: Tier, o: &Options<'_>) -> Template {
    let mut t = Template::new(format!(
        "harden {NAME} ({tier}): the ECS Fargate pipeline service and its alerts, on the data of stack {}",
        o.name
    ));
    let import = |what: &str| Expr::import(Expr::str(format!("{}-{what}", o.name)));
    let key_arn = import("DataKeyArn");
    let secret_arn = import("DatabaseMasterSecretArn");
    let input_arn = import("InputBucketArn");
    let input_objects = Expr::join("", [input_arn.clone(), Expr::str("/*")]);
    let task_gid = import("TaskSecurityGroupId");
    // Image, logs, roles.
    let repo = repository(
        &mut t,
        tier,
        "Repository",
        &format!("{}/pipeline", o.name),
        key_arn.clone(),
    );
    let repo_uri = repo.get_att(ecr::RepositoryAttr::RepositoryUri);
    let image = Expr::join("", [repo_uri.clone(), Expr::str(o.image.to_string())]);
    let repo_arn = repo.get_att(ecr::RepositoryAttr::Arn);
    let task_logs = log_group(
        &mut t,
        tier,
        "TaskLogGroup",
        Expr::sub("/aws/ecs/${AWS::StackName}"),
        key_arn.clone(),
    );
    let mut exec_statements = vec![
        Statement::allow("PullImage")
            .actions([
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ])
            .resource(repo_arn),
        Statement::allow("WriteTaskLogs")
            .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
            .resource(streams_arn(&task_logs)),
    ];
    if o.master_secret_in_task {
        exec_statements.push(
            Statement::allow("ReadMasterSecret")
                .actions(["secretsmanager:GetSecretValue"])
                .resource(secret_arn.clone()),
        );
        exec_statements.push(
            Statement::allow("DecryptMasterSecret")
                .actions(["kms:Decrypt"])
                .resource(key_arn.clone())
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com"),
                ),
        );
    }
    let execution = service_role(
        &mut t,
        "ExecutionRole",
        "ECS execution role: pulls the pipeline image, writes its logs, reads the database secret",
        "ecs-tasks.amazonaws.com",
        true,
        exec_statements,
        vec![Wildcard {
            statement: Statement::allow("EcrLogin")
                .actions(["ecr:GetAuthorizationToken"])
                .resource(Expr::str("*")),
            reason: "ecr:GetAuthorizationToken supports no resource-level permissions",
        }],
    );
    let db_user_arn = Expr::sub_with(
        format!(
            "arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{ResourceId}}/{}",
            o.db_user
        ),
        [("ResourceId", import("DatabaseResourceId"))],
    );
    let task_role = service_role(
        &mut t,
        "TaskRole",
        "ECS task role: reads the input bucket, connects to the database as db_user",
        "ecs-tasks.amazonaws.com",
        true,
        vec![
            Statement::allow("ReadInputs")
                .actions(["s3:GetObject"])
                .resource(input_objects),
            Statement::allow("ListInputs")
                .actions(["s3:ListBucket"])
                .resource(input_arn),
            Statement::allow("DecryptInputs")
                .actions(["kms:Decrypt"])
                .resource(key_arn.clone())
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                ),
            Statement::allow("ConnectAsDbUser")
                .actions(["rds-db:connect"])
                .resource(db_user_arn),
        ],
        Vec::new(),
    );

    // ECS.
    let ecs_cluster = cluster(&mut t, tier, "Cluster");
    let mut environment = vec![
        ("INPUT_BUCKET", import("InputBucketName")),
        ("DB_HOST", import("DatabaseEndpoint")),
        ("DB_PORT", Expr::str(rds_postgres::PORT.to_string())),
        ("DB_NAME", Expr::str(&o.db_name)),
        ("DB_USER", Expr::str(&o.db_user)),
        ("PGSSLMODE", Expr::str("verify-full")),
    ];
    environment.sort_by_key(|(k, _)| *k);
    let secrets = if o.master_secret_in_task {
        vec![("DB_MASTER_SECRET", secret_arn.clone())]
    } else {
        Vec::new()
    };
    let task = task_definition(
        &mut t,
        TaskSpec {
            id: "TaskDefinition",
            container: CONTAINER,
            image,
            cpu: o.cpu_units.to_string(),
            memory_mib: o.memory_mib,
            task_role_arn: task_role.arn(),
            execution_role_arn: execution.arn(),
            log_group: task_logs.r#ref(),
            environment,
            secrets,
        },
    );
    if o.image.is_digest() && PINNED_TASK_IMAGE.on(tier) {
        t.res(&task).control(&PINNED_TASK_IMAGE);
    }
    t.res(&task)
        .depends_on(task_role.policy.id())
        .depends_on(execution.policy.id());
    let svc = service(
        &mut t,
        ServiceSpec {
            id: "Service",
            cluster: ecs_cluster.r#ref(),
            task_definition: task.r#ref(),
            desired_count: o.desired_count,
            subnets: Expr::Split(",".into(), Box::new(import("PrivateSubnetIds"))),
            security_groups: Expr::list([task_gid]),
        },
    );

    // Alerts: failed tasks and deployments (EventBridge); the database from enhanced.
    let topic_id = "AlertTopic";
    let cluster_arn = ecs_cluster.get_att(ecs::ClusterAttr::Arn);
    let service_arn = svc.r#ref();
    let task_rule = event_rule(
        &mut t,
        tier,
        RuleSpec {
            id: "FailedTasksRule",
            description: "A task of this stack's cluster failed to start or its container exited",
            pattern: failed_tasks(cluster_arn.clone()),
            topic: Expr::r#ref(topic_id),
            forwards: false,
            control: &ALARMS_WITH_ACTIONS,
        },
    );
    let deploy_rule = event_rule(
        &mut t,
        tier,
        RuleSpec {
            id: "FailedDeploymentsRule",
            description: "A deployment of this stack's service failed and was rolled back",
            pattern: failed_deployments(service_arn.clone()),
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
        &[task_rule, deploy_rule],
    );
    forward_events(
        &mut t,
        tier,
        &o.alerts,
        "FailedTasksToAlertTopicArn",
        "Forwards this stack's failed tasks to alert_topic_arn",
        failed_tasks(cluster_arn),
    );
    forward_events(
        &mut t,
        tier,
        &o.alerts,
        "FailedDeploymentsToAlertTopicArn",
        "Forwards this stack's failed deployments to alert_topic_arn",
        failed_deployments(service_arn),
    );
    if RDS_RESILIENCE.on(tier) {
        let dims = || vec![("DBInstanceIdentifier", Expr::str(db_identifier(o.name)))];
        let cpu = alarm(
            &mut t,
            &topic,
            AlarmSpec {
                id: "DatabaseCpuAlarm",
                description: "The database's CPU has averaged over 80% for 15 minutes",
                namespace: "AWS/RDS",
                metric: "CPUUtilization",
                dimensions: dims(),
                statistic: "Average",
                period: 300,
                evaluation_periods: 3,
                threshold: 80,
                notify_recovery: true,
            },
        );
        let storage = alarm_below(
            &mut t,
            &topic,
            AlarmSpec {
                id: "DatabaseStorageAlarm",
                description: "The database has less than a tenth of its initial storage free",
                namespace: "AWS/RDS",
                metric: "FreeStorageSpace",
                dimensions: dims(),
                statistic: "Minimum",
                period: 300,
                evaluation_periods: 1,
                // Bytes: a tenth of the allocated GiB.
                threshold: o.db_storage_gib * 1024 * 1024 * 1024 / 10,
                notify_recovery: true,
            },
        );
        let connections = alarm(
            &mut t,
            &topic,
            AlarmSpec {
                id: "DatabaseConnectionsAlarm",
                description: "The database has more connections than db_connections_alarm",
                namespace: "AWS/RDS",
                metric: "DatabaseConnections",
                dimensions: dims(),
                statistic: "Maximum",
                period: 300,
                evaluation_periods: 1,
                threshold: o.db_connections_alarm,
                notify_recovery: true,
            },
        );
        forward_alarms(
            &mut t,
            tier,
            &o.alerts,
            &[cpu, storage, connections],
            &["ALARM", "OK"],
        );
    }

    // Outputs.
    t.output(
        "RepositoryUri",
        "Push the pipeline image here (tags are immutable)",
        repo_uri,
        None,
    );
    t.output("ClusterName", "The ECS cluster", ecs_cluster.r#ref(), None);
    t.output(
        "ServiceName",
        "The pipeline service",
        svc.get_att(ecs::ServiceAttr::Name),
        None,
    );
    t.output("AlertTopicArn", "The alert topic", topic.r#ref(), None);
    t
}

/// `task_size`.
pub static TASK_SIZE: Param<rules::FargateSize> = Param::new(
    "task_size",
    "vCPUs and memory (GiB) per task, `VCPU/GIB`",
    &rules::FargateSize,
    "1/2",
);

/// `desired_count`.
pub static DESIRED_COUNT: Param<rules::Int> = Param::new(
    "desired_count",
    "tasks the service keeps running; 0 until the image is pushed (the first deploy creates its repository)",
    &rules::Int { min: 0, max: 100 },
    "0",
);

/// `image_tag`.
pub static IMAGE_TAG: Param<rules::ImageTag> = Param::new(
    "image_tag",
    "the pipeline image in the stack's repository: a tag (tags are immutable there) or a digest (`sha256:...`, required at enterprise)",
    &rules::ImageTag,
    "v1",
);

/// `internet_egress`.
pub static INTERNET_EGRESS: Param<rules::Bool> = Param::new(
    "internet_egress",
    "`true`: tasks reach the internet on 443 through NAT (the guide's tasks update packages); `false`: AWS services through VPC endpoints only, and no NAT",
    &rules::Bool,
    "true",
);

/// `master_secret_in_task`.
pub static MASTER_SECRET_IN_TASK: Param<rules::Bool> = Param::new(
    "master_secret_in_task",
    "`true`: ECS injects the RDS-managed master secret into the task as `DB_MASTER_SECRET` (to create the schema and `db_user`); `false`: the task connects as `db_user` with IAM tokens only, and the execution role reads no secret",
    &rules::Bool,
    "true",
);

/// `db_instance_class`.
pub static DB_INSTANCE_CLASS: Param<rules::OneOf> = Param::new(
    "db_instance_class",
    "the database's instance class",
    &rules::OneOf(&[
        "db.t4g.medium",
        "db.t4g.large",
        "db.m7g.large",
        "db.m7g.xlarge",
        "db.m7g.2xlarge",
        "db.r7g.large",
        "db.r7g.xlarge",
        "db.r7g.2xlarge",
    ]),
    "db.t4g.medium",
);

/// `db_engine_version`.
pub static DB_ENGINE_VERSION: Param<rules::OneOf> = Param::new(
    "db_engine_version",
    "PostgreSQL's version at creation (later minor versions apply in the maintenance window; major upgrades are an operation, not a parameter change)",
    &rules::OneOf(&["16.15", "17.11", "18.6"]),
    "17.11",
);

/// `db_storage_gib`.
pub static DB_STORAGE_GIB: Param<rules::Int> = Param::new(
    "db_storage_gib",
    "the database's initial storage in GiB (gp3; storage autoscaling up to 4 times that)",
    &rules::Int {
        min: 20,
        max: 16_384,
    },
    "20",
);

/// Names PostgreSQL and RDS keep.
const RESERVED: &[&str] = &["postgres", "rdsadmin", "template0", "template1", "public"];

/// `db_name`.
pub static DB_NAME: Param<rules::SqlName> = Param::new(
    "db_name",
    "the database created at launch",
    &rules::SqlName {
        max: 63,
        reserved: RESERVED,
    },
    "pipeline",
);

/// `db_user`.
pub static DB_USER: Param<rules::SqlName> = Param::new(
    "db_user",
    "the database user the tasks connect as with IAM tokens (`rds-db:connect`); create it once with `CREATE USER ...; GRANT rds_iam TO ...`",
    &rules::SqlName {
        max: 63,
        reserved: RESERVED,
    },
    "pipeline",
);

/// `db_connections_alarm`.
pub static DB_CONNECTIONS_ALARM: Param<rules::Int> = Param::new(
    "db_connections_alarm",
    "connections above which the database alarms (from enhanced)",
    &rules::Int {
        min: 1,
        max: 10_000,
    },
    "100",
);

static PARAMS: &[&ParamSpec] = &[
    &vpc::VPC_CIDR.spec,
    &vpc::TIERED_VPC_ID.spec,
    &vpc::SUBNET_IDS.spec,
    &vpc::ROUTE_TABLE_IDS.spec,
    &vpc::ISOLATED_SUBNET_IDS.spec,
    &TASK_SIZE.spec,
    &DESIRED_COUNT.spec,
    &IMAGE_TAG.spec,
    &INTERNET_EGRESS.spec,
    &MASTER_SECRET_IN_TASK.spec,
    &DB_INSTANCE_CLASS.spec,
    &DB_ENGINE_VERSION.spec,
    &DB_STORAGE_GIB.spec,
    &DB_NAME.spec,
    &DB_USER.spec,
    &DB_CONNECTIONS_ALARM.spec,
    &crate::controls::replication::REPLICA_REGION.spec,
];

/// The options of a request's validated parameters.
fn options(req: &Request) -> Options<'_> {
    let size = req.get(&TASK_SIZE);
    let vcpu: f64 = size.vcpu.parse().unwrap_or(1.0);
    Options {
        name: &req.name,
        cpu_units: (vcpu * 1024.0) as i64,
        memory_mib: size.memory_gib * 1024,
        desired_count: req.get(&DESIRED_COUNT),
        image: req.get(&IMAGE_TAG),
        internet_egress: req.get(&INTERNET_EGRESS),
        master_secret_in_task: req.get(&MASTER_SECRET_IN_TASK),
        db_class: req.get(&DB_INSTANCE_CLASS),
        db_version: req.get(&DB_ENGINE_VERSION),
        db_storage_gib: req.get(&DB_STORAGE_GIB),
        db_name: req.get(&DB_NAME),
        db_user: req.get(&DB_USER),
        db_connections_alarm: req.get(&DB_CONNECTIONS_ALARM),
        alerts: Alerts::of(req),
    }
}

/// At enterprise the image must be pinned by its digest.
fn require_pinned(o: &Options<'_>, tier: Tier) -> Result<(), BlueprintError> {
    if !PINNED_TASK_IMAGE.on(tier) {
        return Ok(());
    }
    if o.image.is_digest() {
        return Ok(());
    }
    Err(BlueprintError::Invalid(format!(
        "at tier `{tier}` the pipeline image must be pinned by its digest: `image_tag` names the tag `{}`, which can be deleted and pushed again with another image after this template is reviewed\nhint: pass `--param image_tag=sha256:<digest>` (`aws ecr describe-images` lists the digests)",
        o.image.as_str()
    )))
}

/// What the user should know of the options as given.
fn option_notes(o: &Options<'_>, tier: Tier) -> Vec<String> {
    let mut v = Vec::new();
    if o.desired_count == 0 {
        v.push(format!(
            "`desired_count` is 0: push the pipeline image to `RepositoryUri` as `{}`, then deploy with `--param desired_count=1`",
            o.image.as_str()
        ));
    }
    if !RDS_RESILIENCE.on(tier) {
        v.push(format!(
            "at {tier} the database runs in one Availability Zone, without enhanced monitoring or database alarms (from the enhanced tier)"
        ));
    }
    v
}

/// The blueprint.
pub struct DataPipeline;

impl Blueprint for DataPipeline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn summary(&self) -> &'static str {
        "a containerised data pipeline: ECS Fargate tasks in private subnets reading an S3 bucket and writing RDS PostgreSQL in isolated subnets"
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

    /// The guide names CloudTrail: the account baseline brings it from enhanced (basic's
    /// baseline has nothing this blueprint uses, as for sagemaker-vpc).
    fn baseline(&self) -> Option<Tier> {
        Some(Tier::Enhanced)
    }

    fn required_example(&self, tier: Tier) -> Vec<(&'static str, &'static str)> {
        let mut v = crate::blueprints::account_baseline::required_alerts(tier);
        if PINNED_TASK_IMAGE.on(tier) {
            v.insert(0, (IMAGE_TAG.spec.name, crate::params::EXAMPLE_DIGEST));
        }
        v.extend(crate::controls::replication::required_example(tier));
        v
    }

    /// The replica stack (at enterprise, in `replica_region`), the data stack, the tasks.
    fn own_stack_names(&self, name: &str) -> Vec<(String, crate::StackRole)> {
        vec![
            (
                crate::blueprint::replica_stack_name(name),
                crate::StackRole::Workload,
            ),
            (name.to_string(), crate::StackRole::Workload),
            (tasks_stack_name(name), crate::StackRole::Workload),
        ]
    }

    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        crate::controls::replication::purposes(tier, vec![
            "data: three-tier VPC, endpoints, KMS key, input bucket, RDS PostgreSQL",
            "tasks: ECR, the ECS Fargate service and its roles, alert topic, task and database alerts",
        ])
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let o = options(req);
        o.alerts.require(tier)?;
        require_pinned(&o, tier)?;
        let identifier = db_identifier(&req.name);
        if identifier.len() > 63 {
            return Err(BlueprintError::Invalid(format!(
                "stack name `{}` is too long: the database identifier `{identifier}` must be at most 63 characters\nhint: use a name of at most 60 characters",
                req.name
            )));
        }
        let (data, net_notes) = data_stack(req, &o);
        let data = req
            .stack(data)
            .purpose("data")
            .notes(net_notes)
            .note(format!(
                "the tasks connect to the database as `{}` with IAM tokens: create that user once (`CREATE USER {}; GRANT rds_iam TO {};`) as the master user, whose password RDS keeps in `DatabaseMasterSecretArn`",
                o.db_user, o.db_user, o.db_user
            ));
        let mut notes = o.alerts.notes("the alarms and failed-task alerts");
        notes.extend(option_notes(&o, tier));
        let tasks = StackBuilder::new(
            NAME,
            tier,
            tasks_stack_name(&req.name),
            tasks_stack(tier, &o),
        )
        .purpose("tasks")
        .after(req.name.clone())
        .notes(notes);
        crate::controls::replication::with_replicas(req, NAME, vec![data, tasks])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn build(tier: Tier, params: &[(&str, &str)]) -> Result<Vec<StackSpec>, BlueprintError> {
        let mut raw: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if tier == Tier::Enterprise {
            raw.push(("alert_email".into(), "ops@example.com".into()));
            raw.push(("replica_region".into(), "us-west-2".into()));
        }
        let waivers: Vec<crate::blueprint::Waiver> =
            if raw.iter().any(|(k, _)| k == "vpc_id") && tier >= Tier::Enhanced {
                vec![crate::blueprint::Waiver::parse(
                    "default-sg-closed=the VPC's owner manages it",
                )
                .unwrap()]
            } else {
                Vec::new()
            };
        DataPipeline.build_waived("pipe", tier, &raw, &waivers)
    }

    fn workload_of(stacks: &[StackSpec]) -> Node {
        stack(stacks, "pipe")
    }

    fn stack(stacks: &[StackSpec], name: &str) -> Node {
        to_node(&stacks.iter().find(|s| s.name == name).unwrap().template).unwrap()
    }

    fn resources(n: &Node) -> Vec<(String, String)> {
        n.get_path(&["Resources"])
            .and_then(Node::as_map)
            .unwrap()
            .iter()
            .map(|(k, r)| {
                (
                    k.clone(),
                    r.get_path(&["Type"])
                        .and_then(Node::as_str)
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_isolated_subnets_have_no_route_out_and_the_database_lives_there() {
        for tier in Tier::ALL {
            let p: Vec<(&str, &str)> = if tier == Tier::Enterprise {
                vec![("image_tag", crate::params::EXAMPLE_DIGEST)]
            } else {
                Vec::new()
            };
            let n = workload_of(&build(tier, &p).unwrap());
            let routes: Vec<&Node> = n
                .get_path(&["Resources"])
                .and_then(Node::as_map)
                .unwrap()
                .values()
                .filter(|r| r.get_path(&["Type"]).and_then(Node::as_str) == Some("AWS::EC2::Route"))
                .collect();
            for r in routes {
                assert_ne!(
                    r.get_path(&["Properties", "RouteTableId", "Ref"])
                        .and_then(Node::as_str),
                    Some("IsolatedRouteTable"),
                    "{tier}"
                );
            }
            let groups = format!(
                "{:?}",
                n.get_path(&[
                    "Resources",
                    "DatabaseSubnetGroup",
                    "Properties",
                    "SubnetIds"
                ])
                .unwrap()
            );
            assert!(groups.contains("IsolatedSubnetA"), "{tier}: {groups}");
            assert!(!groups.contains("PrivateSubnet"), "{tier}: {groups}");
        }
    }

    #[test]
    fn the_database_admits_only_the_tasks_and_the_tasks_reach_only_what_they_need() {
        let n = workload_of(&build(Tier::Basic, &[("internet_egress", "false")]).unwrap());
        let types = resources(&n);
        assert!(!types.iter().any(|(_, t)| t == "AWS::EC2::NatGateway"));
        assert!(!format!("{n:?}").contains("0.0.0.0/0"));
        let ingress: Vec<&String> = types
            .iter()
            .filter(|(_, t)| t == "AWS::EC2::SecurityGroupIngress")
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            ingress,
            ["DatabaseIngressFromTasks", "EndpointIngressFromTasks"]
        );
        let from = n
            .get_path(&[
                "Resources",
                "DatabaseIngressFromTasks",
                "Properties",
                "SourceSecurityGroupId",
                "Fn::GetAtt",
            ])
            .unwrap();
        assert!(format!("{from:?}").contains("TaskSecurityGroup"));
    }

    #[test]
    fn secrets_are_injected_never_in_the_environment_and_can_be_left_out() {
        let n = stack(&build(Tier::Basic, &[]).unwrap(), "pipe-tasks");
        let c = format!(
            "{:?}",
            n.get_path(&[
                "Resources",
                "TaskDefinition",
                "Properties",
                "ContainerDefinitions"
            ])
            .unwrap()
        );
        assert!(c.contains("DB_MASTER_SECRET"));
        let n = stack(
            &build(Tier::Basic, &[("master_secret_in_task", "false")]).unwrap(),
            "pipe-tasks",
        );
        let text = format!("{n:?}");
        assert!(!text.contains("DB_MASTER_SECRET"));
        assert!(!text.contains("ReadMasterSecret"));
    }

    #[test]
    fn two_stacks_the_tasks_after_the_data_importing_what_it_exports() {
        let stacks = build(Tier::Basic, &[]).unwrap();
        let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["pipe", "pipe-tasks"]);
        assert!(stacks[1].after.contains(&"pipe".to_string()));
        let data = stack(&stacks, "pipe");
        let exports: Vec<String> = data
            .get_path(&["Outputs"])
            .and_then(Node::as_map)
            .unwrap()
            .values()
            .filter_map(|o| {
                o.get_path(&["Export", "Name", "Fn::Sub"])
                    .and_then(Node::as_str)
            })
            .map(|s| s.replace("${AWS::StackName}", "pipe"))
            .collect();
        let tasks = format!("{:?}", stack(&stacks, "pipe-tasks"));
        let mut imported = 0;
        for name in &exports {
            assert!(
                tasks.contains(name.as_str()),
                "{name} is exported but not imported"
            );
            imported += 1;
        }
        assert_eq!(imported, 8);
    }

    #[test]
    fn enterprise_refuses_an_image_by_tag() {
        let e = build(Tier::Enterprise, &[]).unwrap_err().to_string();
        assert!(e.contains("image_tag") && e.contains("digest"), "{e}");
        assert!(build(
            Tier::Enterprise,
            &[("image_tag", crate::params::EXAMPLE_DIGEST)]
        )
        .is_ok());
    }

    #[test]
    fn a_vpc_brought_along_needs_its_isolated_subnets_and_gets_no_network() {
        let byo = [
            ("vpc_id", "vpc-0123456789abcdef0"),
            (
                "subnet_ids",
                "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
            ),
        ];
        let e = build(Tier::Basic, &byo).unwrap_err().to_string();
        assert!(e.contains("isolated_subnet_ids"), "{e}");
        let mut p = byo.to_vec();
        p.push((
            "isolated_subnet_ids",
            "subnet-0aaaaaaaaaaaaaaa0,subnet-0bbbbbbbbbbbbbbb0",
        ));
        // From enhanced, the network ACL of subnets harden does not own is waived on purpose.
        let e = DataPipeline
            .build_waived(
                "pipe",
                Tier::Enhanced,
                &p.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
                &[
                    crate::blueprint::Waiver::parse("default-sg-closed=the VPC's owner manages it")
                        .unwrap(),
                ],
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("isolated-network-acl"), "{e}");
        let stacks = build(Tier::Basic, &p).unwrap();
        let n = workload_of(&stacks);
        let types = resources(&n);
        for own in ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NetworkAcl"] {
            assert!(!types.iter().any(|(_, t)| t == own), "{own}");
        }
        assert!(format!("{n:?}").contains("subnet-0bbbbbbbbbbbbbbb0"));
        let w = stacks.iter().find(|s| s.name == "pipe").unwrap();
        assert!(w
            .notes
            .iter()
            .any(|n| n.contains("subnet-0aaaaaaaaaaaaaaa0")));
    }
}
