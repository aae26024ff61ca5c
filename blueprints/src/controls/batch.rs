//! AWS Batch on Fargate, hardened: a managed Fargate compute environment in private subnets
//! (its jobs get no public IP: the guide's public-subnet, `assignPublicIp=ENABLED` choice is
//! the first thing it says to fix), a job queue, and a job definition whose container runs as a
//! non-root user, unprivileged, on a read-only root file system with writable scratch volumes,
//! with a timeout, a retry strategy that retries infrastructure failures and a temporary-
//! failure exit code only, its own job role and execution role, and logs to the job log group.

use crate::cfn::generated::batch::{self, job_definition as jd};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static BATCH_FARGATE: Control = Control {
    id: "batch-fargate-job",
    title: "Batch on Fargate in private subnets without public IPs; jobs non-root, unprivileged, read-only root file system, time-limited, retried on infrastructure failures only",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The exit code a job returns to ask for another attempt (`EX_TEMPFAIL`, sysexits.h).
pub const RETRY_EXIT_CODE: &str = "75";

/// The user the container runs as (the guide's image: UID 1000).
pub const USER: &str = "1000:1000";

/// Where the writable scratch volumes are mounted (the root file system is read-only).
pub const SCRATCH_PATHS: &[(&str, &str)] = &[("scratch", "/scratch"), ("tmp", "/tmp")];

/// The compute environment and its queue.
#[derive(Debug, Clone)]
pub struct Compute {
    /// The compute environment.
    pub environment: Handle<batch::ComputeEnvironment>,
    /// The job queue.
    pub queue: Handle<batch::JobQueue>,
}

/// Adds a managed Fargate compute environment in `subnets` with `security_groups` (no
/// public IPs: Fargate jobs get one only when the job definition asks, and it does not), capped
/// at `max_vcpus`, and a job queue on it. No service role is named: Batch uses its
/// service-linked role (`AWSServiceRoleForBatch`), managed by AWS and scoped to Batch's needs.
pub fn compute(
    t: &mut Template,
    id: &str,
    queue_name: Option<Expr>,
    subnets: Expr,
    security_groups: Expr,
    max_vcpus: i64,
) -> Compute {
    let environment = t.add(
        format!("{id}ComputeEnvironment"),
        batch::ComputeEnvironment {
            type_: Some("MANAGED".into()),
            state: Some("ENABLED".into()),
            compute_resources: Some(batch::compute_environment::ComputeResources {
                type_: Some("FARGATE".into()),
                maxv_cpus: Some(max_vcpus.into()),
                subnets: Some(subnets),
                security_group_ids: Some(security_groups),
                ..Default::default()
            }),
            replace_compute_environment: Some(false.into()),
            ..Default::default()
        },
    );
    t.res(&environment).control(&BATCH_FARGATE);
    let queue = t.add(
        format!("{id}JobQueue"),
        batch::JobQueue {
            job_queue_name: queue_name,
            priority: Some(1.into()),
            state: Some("ENABLED".into()),
            compute_environment_order: Some(vec![batch::job_queue::ComputeEnvironmentOrder {
                compute_environment: Some(environment.r#ref()),
                order: Some(1.into()),
            }]),
            ..Default::default()
        },
    );
    t.res(&queue).control(&BATCH_FARGATE);
    Compute { environment, queue }
}

/// What a job definition runs.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// Logical id.
    pub id: String,
    /// The definition's name (revisions share it), `None`: generated.
    pub name: Option<Expr>,
    /// The image (an ECR URI, by digest or immutable tag).
    pub image: Expr,
    /// vCPUs (`0.25` ... `16`).
    pub vcpu: String,
    /// Memory in MiB.
    pub memory_mib: i64,
    /// Seconds an attempt may run before Batch stops it.
    pub timeout_secs: i64,
    /// Attempts (1 to 10).
    pub attempts: i64,
    /// The job role (what the job itself calls).
    pub job_role_arn: Expr,
    /// The execution role (pulling the image, writing logs).
    pub execution_role_arn: Expr,
    /// The job log group's name.
    pub log_group: Expr,
    /// Environment variables (name, value), in order.
    pub environment: Vec<(String, Expr)>,
    /// Ephemeral storage in GiB (21 to 200; Fargate's default 20 when `None`).
    pub ephemeral_gib: Option<i64>,
}

/// Adds the job definition.
pub fn job_definition(t: &mut Template, spec: JobSpec) -> Handle<batch::JobDefinition> {
    let volumes = SCRATCH_PATHS
        .iter()
        .map(|(name, _)| jd::Volume {
            name: Some((*name).into()),
            ..Default::default()
        })
        .collect();
    let mounts = SCRATCH_PATHS
        .iter()
        .map(|(name, path)| jd::MountPoint {
            source_volume: Some((*name).into()),
            container_path: Some((*path).into()),
            read_only: Some(false.into()),
        })
        .collect();
    let mut env: Vec<jd::Environment> = vec![jd::Environment {
        name: Some("HOME".into()),
        value: Some("/scratch".into()),
    }];
    env.extend(spec.environment.into_iter().map(|(k, v)| jd::Environment {
        name: Some(k.into()),
        value: Some(v),
    }));
    let retry = |field: &str, pattern: &str, action: &str| {
        let mut e = jd::EvaluateOnExit {
            action: Some(action.into()),
            ..Default::default()
        };
        match field {
            "exit" => e.on_exit_code = Some(pattern.into()),
            "status" => e.on_status_reason = Some(pattern.into()),
            _ => e.on_reason = Some(pattern.into()),
        }
        e
    };
    let h = t.add(
        spec.id.clone(),
        batch::JobDefinition {
            job_definition_name: spec.name,
            type_: Some("container".into()),
            platform_capabilities: Some(Expr::strs(["FARGATE"])),
            propagate_tags: Some(true.into()),
            timeout: Some(jd::JobTimeout {
                attempt_duration_seconds: Some(spec.timeout_secs.into()),
            }),
            retry_strategy: Some(jd::RetryStrategy {
                attempts: Some(spec.attempts.into()),
                evaluate_on_exit: Some(vec![
                    // Infrastructure: the task could not start or its image could not be pulled.
                    retry("status", "ResourceInitializationError*", "RETRY"),
                    retry("reason", "CannotPullContainerError*", "RETRY"),
                    retry("status", "Timeout waiting for network interface*", "RETRY"),
                    // The job asks for another attempt.
                    retry("exit", RETRY_EXIT_CODE, "RETRY"),
                    // Any other exit code is the workload's own failure: retrying repeats it.
                    retry("exit", "*", "EXIT"),
                ]),
            }),
            container_properties: Some(jd::ContainerProperties {
                image: Some(spec.image),
                job_role_arn: Some(spec.job_role_arn),
                execution_role_arn: Some(spec.execution_role_arn),
                resource_requirements: Some(vec![
                    jd::ResourceRequirement {
                        type_: Some("VCPU".into()),
                        value: Some(spec.vcpu.into()),
                    },
                    jd::ResourceRequirement {
                        type_: Some("MEMORY".into()),
                        value: Some(spec.memory_mib.to_string().into()),
                    },
                ]),
                user: Some(USER.into()),
                privileged: Some(false.into()),
                readonly_root_filesystem: Some(true.into()),
                volumes: Some(volumes),
                mount_points: Some(mounts),
                environment: Some(env),
                network_configuration: Some(jd::NetworkConfiguration {
                    assign_public_ip: Some("DISABLED".into()),
                }),
                fargate_platform_configuration: Some(jd::FargatePlatformConfiguration {
                    platform_version: Some("LATEST".into()),
                }),
                runtime_platform: Some(jd::RuntimePlatform {
                    cpu_architecture: Some("X86_64".into()),
                    operating_system_family: Some("LINUX".into()),
                }),
                ephemeral_storage: spec.ephemeral_gib.map(|g| jd::EphemeralStorage {
                    size_in_gi_b: Some(g.into()),
                }),
                log_configuration: Some(jd::LogConfiguration {
                    log_driver: Some("awslogs".into()),
                    options: Some(Expr::map([
                        ("awslogs-group", spec.log_group),
                        ("awslogs-region", Expr::region()),
                        ("awslogs-stream-prefix", Expr::str("job")),
                    ])),
                    ..Default::default()
                }),
                enable_execute_command: Some(false.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    t.res(&h).control(&BATCH_FARGATE).note(
        "the root file system is read-only; /scratch (also HOME) and /tmp are writable task volumes on Fargate's ephemeral storage, encrypted by Fargate",
    );
    h
}

/// Memory in MiB of a GiB value (`4` → 4096).
pub fn mib(gib: i64) -> i64 {
    gib * 1024
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    #[test]
    fn the_job_is_non_root_unprivileged_read_only_and_private() {
        let mut t = Template::new("t");
        let c = compute(
            &mut t,
            "Batch",
            None,
            Expr::strs(["subnet-0123456789abcdef0"]),
            Expr::strs(["sg-0123456789abcdef0"]),
            16,
        );
        assert_eq!(c.queue.id(), "BatchJobQueue");
        job_definition(
            &mut t,
            JobSpec {
                id: "Job".into(),
                name: None,
                image: Expr::str("123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"),
                vcpu: "2".into(),
                memory_mib: mib(4),
                timeout_secs: 12 * 3600,
                attempts: 3,
                job_role_arn: Expr::str("arn:aws:iam::123456789012:role/job"),
                execution_role_arn: Expr::str("arn:aws:iam::123456789012:role/exec"),
                log_group: Expr::str("/harden/jobs"),
                environment: Vec::new(),
                ephemeral_gib: None,
            },
        );
        let n = to_node(&t).unwrap();
        let p = n
            .get_path(&["Resources", "Job", "Properties", "ContainerProperties"])
            .unwrap();
        assert_eq!(p.get_path(&["User"]).and_then(Node::as_str), Some(USER));
        assert_eq!(p.get_path(&["Privileged"]), Some(&Node::Bool(false)));
        assert_eq!(
            p.get_path(&["ReadonlyRootFilesystem"]),
            Some(&Node::Bool(true))
        );
        assert_eq!(
            p.get_path(&["NetworkConfiguration", "AssignPublicIp"])
                .and_then(Node::as_str),
            Some("DISABLED")
        );
        let retry = n
            .get_path(&[
                "Resources",
                "Job",
                "Properties",
                "RetryStrategy",
                "EvaluateOnExit",
            ])
            .and_then(Node::as_seq)
            .unwrap();
        let last = retry.last().unwrap();
        assert_eq!(
            last.get_path(&["OnExitCode"]).and_then(Node::as_str),
            Some("*")
        );
        assert_eq!(
            last.get_path(&["Action"]).and_then(Node::as_str),
            Some("EXIT")
        );
    }
}
