//! An ECS service on Fargate, hardened: a cluster with Container Insights, a task definition
//! whose one container runs as a non-root user, unprivileged, with every Linux capability
//! dropped, on a read-only root file system (a task volume at `/tmp` is its only writable
//! place), with secrets injected by ECS from Secrets Manager (never in the environment or the
//! template), its own task role and execution role, and logs to an encrypted log group; and a
//! service in private subnets without public IPs, with the deployment circuit breaker (a
//! failed deployment rolls back) and ECS Exec off.

use crate::cfn::generated::ecs::{self, cluster, service, task_definition as td};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static ECS_FARGATE_SERVICE: Control = Control {
    id: "ecs-fargate-service",
    title: "ECS on Fargate in private subnets without public IPs: Container Insights, containers non-root, unprivileged, no Linux capabilities, read-only root file system, secrets injected from Secrets Manager, separate task and execution roles, circuit breaker on, ECS Exec off",
    tier: Tier::Basic,
    cis: &[],
    // ECS.2 (no public IP), ECS.4 (not privileged), ECS.5 (read-only root), ECS.8 (no
    // secrets in the environment), ECS.9 (logging), ECS.10 (latest platform), ECS.12
    // (Container Insights).
    security_hub: &["ECS.2", "ECS.4", "ECS.5", "ECS.8", "ECS.9", "ECS.10", "ECS.12"],
};

/// The control: the task's image is pinned by digest (enterprise).
pub static PINNED_TASK_IMAGE: Control = Control {
    id: "pinned-task-image",
    title: "the task's image is pinned by its digest, so the image reviewed is the image run",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// The user the container runs as (a non-root UID and GID; the image need not define it).
pub const USER: &str = "1000:1000";

/// The writable task volume (the root file system is read-only).
pub const TMP: (&str, &str) = ("tmp", "/tmp");

/// Container Insights at a tier: `enhanced` observability (per-task and per-container
/// metrics) from enhanced, `enabled` at basic.
pub fn container_insights(tier: Tier) -> &'static str {
    if tier >= Tier::Enhanced {
        "enhanced"
    } else {
        "enabled"
    }
}

/// Adds a cluster with Container Insights; no capacity providers of its own (Fargate's).
pub fn cluster(t: &mut Template, tier: Tier, id: &str) -> Handle<ecs::Cluster> {
    let h = t.add(
        id,
        ecs::Cluster {
            cluster_settings: Some(vec![cluster::ClusterSettings {
                name: Some("containerInsights".into()),
                value: Some(container_insights(tier).into()),
            }]),
            ..Default::default()
        },
    );
    t.res(&h).control(&ECS_FARGATE_SERVICE);
    h
}

/// What a task definition runs.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    /// Logical id.
    pub id: &'static str,
    /// The container's name.
    pub container: &'static str,
    /// The image (by immutable tag or digest).
    pub image: Expr,
    /// CPU units (`256` ... `16384`).
    pub cpu: String,
    /// Memory in MiB.
    pub memory_mib: i64,
    /// The task role (what the application calls).
    pub task_role_arn: Expr,
    /// The execution role (pulling the image, writing logs, reading the secrets).
    pub execution_role_arn: Expr,
    /// The log group's name.
    pub log_group: Expr,
    /// Plain environment variables (name, value): no credentials.
    pub environment: Vec<(&'static str, Expr)>,
    /// Secrets ECS injects at start (name, `valueFrom`: a secret ARN, or `ARN:json-key::`).
    pub secrets: Vec<(&'static str, Expr)>,
}

/// Adds the task definition.
pub fn task_definition(t: &mut Template, spec: TaskSpec) -> Handle<ecs::TaskDefinition> {
    let container = td::ContainerDefinition {
        name: Some(spec.container.into()),
        image: Some(spec.image),
        essential: Some(true.into()),
        user: Some(USER.into()),
        privileged: Some(false.into()),
        readonly_root_filesystem: Some(true.into()),
        linux_parameters: Some(td::LinuxParameters {
            capabilities: Some(td::KernelCapabilities {
                drop: Some(Expr::strs(["ALL"])),
                ..Default::default()
            }),
            init_process_enabled: Some(true.into()),
            ..Default::default()
        }),
        mount_points: Some(vec![td::MountPoint {
            source_volume: Some(TMP.0.into()),
            container_path: Some(TMP.1.into()),
            read_only: Some(false.into()),
        }]),
        environment: Some(
            spec.environment
                .into_iter()
                .map(|(k, v)| td::KeyValuePair {
                    name: Some(k.into()),
                    value: Some(v),
                })
                .collect(),
        ),
        secrets: (!spec.secrets.is_empty()).then(|| {
            spec.secrets
                .into_iter()
                .map(|(k, v)| td::Secret {
                    name: Some(k.into()),
                    value_from: Some(v),
                })
                .collect()
        }),
        log_configuration: Some(td::LogConfiguration {
            log_driver: Some("awslogs".into()),
            options: Some(Expr::map([
                ("awslogs-group", spec.log_group),
                ("awslogs-region", Expr::region()),
                ("awslogs-stream-prefix", Expr::str(spec.container)),
            ])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let h = t.add(
        spec.id,
        ecs::TaskDefinition {
            requires_compatibilities: Some(Expr::strs(["FARGATE"])),
            network_mode: Some("awsvpc".into()),
            cpu: Some(spec.cpu.into()),
            memory: Some(spec.memory_mib.to_string().into()),
            task_role_arn: Some(spec.task_role_arn),
            execution_role_arn: Some(spec.execution_role_arn),
            runtime_platform: Some(td::RuntimePlatform {
                cpu_architecture: Some("X86_64".into()),
                operating_system_family: Some("LINUX".into()),
            }),
            volumes: Some(vec![td::Volume {
                name: Some(TMP.0.into()),
                ..Default::default()
            }]),
            container_definitions: Some(vec![container]),
            ..Default::default()
        },
    );
    t.res(&h).control(&ECS_FARGATE_SERVICE).note(
        "the root file system is read-only and every Linux capability dropped; /tmp is a writable task volume on Fargate's ephemeral storage, encrypted by Fargate",
    );
    h
}

/// Where a service runs.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Logical id.
    pub id: &'static str,
    /// The cluster.
    pub cluster: Expr,
    /// The task definition.
    pub task_definition: Expr,
    /// Tasks kept running.
    pub desired_count: i64,
    /// The private subnets.
    pub subnets: Expr,
    /// The tasks' security groups.
    pub security_groups: Expr,
}

/// Adds the service: Fargate's latest platform, private subnets without public IPs, a
/// circuit breaker that rolls a failed deployment back, ECS Exec off.
pub fn service(t: &mut Template, spec: ServiceSpec) -> Handle<ecs::Service> {
    let h = t.add(
        spec.id,
        ecs::Service {
            cluster: Some(spec.cluster),
            task_definition: Some(spec.task_definition),
            desired_count: Some(spec.desired_count.into()),
            launch_type: Some("FARGATE".into()),
            platform_version: Some("LATEST".into()),
            network_configuration: Some(service::NetworkConfiguration {
                awsvpc_configuration: Some(service::AwsVpcConfiguration {
                    assign_public_ip: Some("DISABLED".into()),
                    security_groups: Some(spec.security_groups),
                    subnets: Some(spec.subnets),
                }),
            }),
            deployment_configuration: Some(service::DeploymentConfiguration {
                deployment_circuit_breaker: Some(service::DeploymentCircuitBreaker {
                    enable: Some(true.into()),
                    rollback: Some(true.into()),
                    ..Default::default()
                }),
                minimum_healthy_percent: Some(100.into()),
                maximum_percent: Some(200.into()),
                ..Default::default()
            }),
            enable_execute_command: Some(false.into()),
            enable_ecs_managed_tags: Some(true.into()),
            propagate_tags: Some("SERVICE".into()),
            ..Default::default()
        },
    );
    t.res(&h).control(&ECS_FARGATE_SERVICE);
    h
}

/// The EventBridge pattern of a cluster's failed tasks: stopped because they could not start,
/// or because their essential container exited (a service's tasks are meant to keep running).
pub fn failed_tasks(cluster_arn: Expr) -> Expr {
    Expr::map([
        ("source", Expr::strs(["aws.ecs"])),
        ("detail-type", Expr::strs(["ECS Task State Change"])),
        (
            "detail",
            Expr::map([
                ("clusterArn", Expr::list([cluster_arn])),
                ("lastStatus", Expr::strs(["STOPPED"])),
                (
                    "stopCode",
                    Expr::strs(["TaskFailedToStart", "EssentialContainerExited"]),
                ),
            ]),
        ),
    ])
}

/// The EventBridge pattern of a service's failed deployments (the circuit breaker tripped).
pub fn failed_deployments(service_arn: Expr) -> Expr {
    Expr::map([
        ("source", Expr::strs(["aws.ecs"])),
        ("detail-type", Expr::strs(["ECS Deployment State Change"])),
        ("resources", Expr::list([service_arn])),
        (
            "detail",
            Expr::map([("eventName", Expr::strs(["SERVICE_DEPLOYMENT_FAILED"]))]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    #[test]
    fn the_task_is_non_root_unprivileged_read_only_and_gets_secrets_not_environment() {
        let mut t = Template::new("t");
        task_definition(
            &mut t,
            TaskSpec {
                id: "Task",
                container: "app",
                image: Expr::str("123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"),
                cpu: "512".into(),
                memory_mib: 1024,
                task_role_arn: Expr::str("arn:aws:iam::123456789012:role/task"),
                execution_role_arn: Expr::str("arn:aws:iam::123456789012:role/exec"),
                log_group: Expr::str("/harden/app"),
                environment: vec![("DB_HOST", Expr::str("db"))],
                secrets: vec![(
                    "DB_SECRET",
                    Expr::str("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"),
                )],
            },
        );
        let n = to_node(&t).unwrap();
        let c = n
            .get_path(&["Resources", "Task", "Properties", "ContainerDefinitions"])
            .and_then(Node::as_seq)
            .unwrap()
            .first()
            .unwrap();
        assert_eq!(c.get_path(&["User"]).and_then(Node::as_str), Some(USER));
        assert_eq!(c.get_path(&["Privileged"]), Some(&Node::Bool(false)));
        assert_eq!(
            c.get_path(&["ReadonlyRootFilesystem"]),
            Some(&Node::Bool(true))
        );
        let env = format!("{:?}", c.get_path(&["Environment"]).unwrap());
        assert!(!env.contains("secretsmanager"), "{env}");
        let secrets = format!("{:?}", c.get_path(&["Secrets"]).unwrap());
        assert!(secrets.contains("DB_SECRET"), "{secrets}");
    }

    #[test]
    fn the_service_has_no_public_ip_a_circuit_breaker_and_no_exec() {
        let mut t = Template::new("t");
        service(
            &mut t,
            ServiceSpec {
                id: "Service",
                cluster: Expr::str("c"),
                task_definition: Expr::str("td"),
                desired_count: 1,
                subnets: Expr::strs(["subnet-0123456789abcdef0"]),
                security_groups: Expr::strs(["sg-0123456789abcdef0"]),
            },
        );
        let n = to_node(&t).unwrap();
        let p = n.get_path(&["Resources", "Service", "Properties"]).unwrap();
        assert_eq!(
            p.get_path(&[
                "NetworkConfiguration",
                "AwsvpcConfiguration",
                "AssignPublicIp"
            ])
            .and_then(Node::as_str),
            Some("DISABLED")
        );
        assert_eq!(
            p.get_path(&[
                "DeploymentConfiguration",
                "DeploymentCircuitBreaker",
                "Rollback"
            ]),
            Some(&Node::Bool(true))
        );
        assert_eq!(
            p.get_path(&["EnableExecuteCommand"]),
            Some(&Node::Bool(false))
        );
    }
}
