//! Lambda, ECS, ECR and SageMaker (`lambda-controls.html`, `ecs-controls.html`,
//! `ecr-controls.html`, `sagemaker-controls.html`).

use super::*;
use harden_blueprints::controls::{ecr, ecs_service, lambda_function, sagemaker_endpoint};

/// A runtime Lambda.2 accepts, held stricter than AWS's list: the newest of its family as
/// harden's own `lambda-runtime-current` rule knows it (`CURRENT_RUNTIMES`, from AWS's Lambda
/// runtimes page), and not one checkov reports deprecated.
fn supported(runtime: &str) -> bool {
    harden_blueprints::rules::compute::CURRENT_RUNTIMES
        .iter()
        .any(|(_, newest)| *newest == runtime)
        && !harden_blueprints::rules::compute::DEPRECATED_RUNTIMES.contains(&runtime)
}

/// Lambda.1 (`AWS::Lambda::Function`, no parameters): fails if the function's resource-based
/// policy lets anyone outside the account invoke it, or lets an AWS service invoke it with no
/// `AWS:SourceAccount` condition. Every `AWS::Lambda::Permission` of a render with a backend
/// function names a service or this account, with the source account and the source ARN.
/// Lambda.2 (`AWS::Lambda::Function`, parameter `runtime`, AWS's supported list): fails if a
/// `.zip` function's runtime is not a supported one (container images are not evaluated);
/// each backend function runs the newest runtime of its family, not deprecated.
#[test]
fn backend_functions_are_not_public_and_run_a_supported_runtime() {
    let all = renders();
    for (what, f, _) in claimed_of(
        &all,
        &lambda_function::BACKEND_FUNCTION,
        "AWS::Lambda::Function",
    ) {
        let image = every(f, &["PackageType"], |v| {
            v.and_then(Node::as_str) == Some("Image")
        });
        if !image {
            assert!(
                every(f, &["Runtime"], |v| v
                    .and_then(Node::as_str)
                    .is_some_and(supported)),
                "{what}: runtime {:?} (Lambda.2)",
                vals(f, &["Runtime"])
            );
        }
    }
    let mut permissions = 0;
    for (what, n) in stacks_recording(&all, &lambda_function::BACKEND_FUNCTION) {
        for (id, p) in of_type(n, "AWS::Lambda::Permission") {
            let principal = p
                .get_path(&["Properties", "Principal"])
                .and_then(Node::as_str)
                .unwrap_or("*");
            assert!(
                principal != "*" && !principal.contains('*'),
                "{what} {id}: public principal (Lambda.1)"
            );
            if principal.ends_with(".amazonaws.com") {
                assert!(
                    p.get_path(&["Properties", "SourceAccount"]).is_some()
                        && p.get_path(&["Properties", "SourceArn"]).is_some(),
                    "{what} {id}: a service may invoke it with no source condition (Lambda.1)"
                );
            }
            permissions += 1;
        }
    }
    assert!(permissions > 0, "no Lambda permission was checked");
}

/// SQS.1 (`AWS::SQS::Queue`, no parameters): fails unless the queue is encrypted with
/// SSE-SQS or SSE-KMS. The backend function's dead-letter queue is SSE-KMS with the stack's
/// key.
#[test]
fn backend_dead_letter_queues_are_encrypted() {
    let all = renders();
    for (what, q, _) in claimed_of(&all, &lambda_function::BACKEND_FUNCTION, "AWS::SQS::Queue") {
        assert!(
            every(q, &["KmsMasterKeyId"], |v| v.is_some()) || is_true(q, &["SqsManagedSseEnabled"]),
            "{what}: not encrypted at rest"
        );
    }
}

/// Lambda.3 (`AWS::Lambda::Function`, no parameters): fails unless the function is in a VPC
/// (`VpcConfig` with subnets). Lambda.5 (parameter `availabilityZones`, default 2): fails
/// unless a VPC function's subnets are in at least two Availability Zones. The subnets are
/// the workload's private subnets, at least two; where they are subnets of the same template,
/// their `AvailabilityZone`s differ.
#[test]
fn functions_in_the_vpc_span_two_zones() {
    let all = renders();
    for (what, f, n) in claimed_of(
        &all,
        &lambda_function::FUNCTION_IN_VPC,
        "AWS::Lambda::Function",
    ) {
        for subnets in vals(f, &["VpcConfig", "SubnetIds"]) {
            let subnets = subnets.unwrap_or_else(|| panic!("{what}: not in a VPC (Lambda.3)"));
            let ids = match subnets.as_seq() {
                Some(s) => s.iter().collect::<Vec<_>>(),
                None => {
                    // `Fn::Split` of an imported list: the workload's private subnets, which
                    // the network stack makes one per zone (at least two).
                    assert!(
                        subnets.get_path(&["Fn::Split"]).is_some(),
                        "{what}: subnets {subnets:?}"
                    );
                    continue;
                }
            };
            assert!(ids.len() >= 2, "{what}: {} subnet (Lambda.5)", ids.len());
            let zones: Vec<&Node> = ids
                .iter()
                .filter_map(|s| target(s))
                .filter_map(|id| n.get_path(&["Resources", id, "Properties", "AvailabilityZone"]))
                .collect();
            for (i, a) in zones.iter().enumerate() {
                assert!(
                    zones[i + 1..].iter().all(|b| a != b),
                    "{what}: two subnets in one zone (Lambda.5)"
                );
            }
        }
        assert!(
            !vals(f, &["VpcConfig", "SecurityGroupIds"])
                .into_iter()
                .any(|v| v.is_none()),
            "{what}: no security group"
        );
    }
}

/// The container definitions of a task definition.
fn containers(td: &Node) -> Vec<&Node> {
    vals(td, &["ContainerDefinitions"])
        .into_iter()
        .flat_map(list)
        .collect()
}

/// ECS.4 (`AWS::ECS::TaskDefinition`, no parameters): fails if a container runs privileged.
/// ECS.5 (no parameters): fails unless every container's root file system is read-only.
/// ECS.8 (parameter `secretKeys`, default `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `ECS_ENGINE_AUTH_DATA`): fails if a container's environment has one of those variables.
/// ECS.9 (parameter `skipInactiveTaskDefinitions`): fails unless every container has a
/// `LogConfiguration` with a log driver.
#[test]
fn task_definitions_run_unprivileged_read_only_logged_and_without_keys() {
    let all = renders();
    for (what, td, _) in claimed_of(
        &all,
        &ecs_service::ECS_FARGATE_SERVICE,
        "AWS::ECS::TaskDefinition",
    ) {
        let cs = containers(td);
        assert!(!cs.is_empty(), "{what}: no container");
        for c in cs {
            let name = c.get_path(&["Name"]).and_then(Node::as_str).unwrap_or("?");
            assert_ne!(
                c.get_path(&["Privileged"]),
                Some(&Node::Bool(true)),
                "{what} {name}: privileged (ECS.4)"
            );
            assert_eq!(
                c.get_path(&["ReadonlyRootFilesystem"]),
                Some(&Node::Bool(true)),
                "{what} {name}: writable root file system (ECS.5)"
            );
            for e in list(c.get_path(&["Environment"])) {
                let var = e.get_path(&["Name"]).and_then(Node::as_str).unwrap_or("");
                assert!(
                    ![
                        "AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY",
                        "ECS_ENGINE_AUTH_DATA"
                    ]
                    .contains(&var),
                    "{what} {name}: {var} in the environment (ECS.8)"
                );
            }
            assert!(
                c.get_path(&["LogConfiguration", "LogDriver"])
                    .and_then(Node::as_str)
                    .is_some(),
                "{what} {name}: no log configuration (ECS.9)"
            );
        }
    }
}

/// ECS.2 (`AWS::ECS::Service`, no parameters): fails if the service assigns public IP
/// addresses (`AssignPublicIp` `ENABLED`). ECS.10 (`AWS::ECS::Service`, parameters
/// `latestLinuxVersion` 1.4.0, `latestWindowsVersion` 1.0.0): fails unless a Fargate service
/// runs the latest platform version; `LATEST` (or none, which is `LATEST`) is always it.
/// ECS.12 (`AWS::ECS::Cluster`, no parameters): fails unless Container Insights is on
/// (`containerInsights` `enabled`, or `enhanced`, Container Insights with enhanced
/// observability).
#[test]
fn services_are_private_current_and_clusters_have_container_insights() {
    let all = renders();
    for (what, s, _) in claimed_of(&all, &ecs_service::ECS_FARGATE_SERVICE, "AWS::ECS::Service") {
        assert!(
            is_str(
                s,
                &[
                    "NetworkConfiguration",
                    "AwsvpcConfiguration",
                    "AssignPublicIp"
                ],
                "DISABLED"
            ),
            "{what}: AssignPublicIp (ECS.2)"
        );
        assert!(
            every(s, &["PlatformVersion"], |v| matches!(
                v.and_then(Node::as_str),
                None | Some("LATEST")
            )),
            "{what}: PlatformVersion (ECS.10)"
        );
    }
    for (what, c, _) in claimed_of(&all, &ecs_service::ECS_FARGATE_SERVICE, "AWS::ECS::Cluster") {
        assert!(
            every(c, &["ClusterSettings"], |v| list(v).iter().any(|s| s
                .get_path(&["Name"])
                .and_then(Node::as_str)
                == Some("containerInsights")
                && matches!(
                    s.get_path(&["Value"]).and_then(Node::as_str),
                    Some("enabled" | "enhanced")
                ))),
            "{what}: Container Insights (ECS.12)"
        );
    }
}

/// ECR.1 (`AWS::ECR::Repository`, no parameters): fails unless the private repository scans
/// images (scan on push, or the registry's enhanced scanning). ECR.2 (no parameters): fails
/// unless tags are immutable. ECR.3 (no parameters): fails unless the repository has a
/// lifecycle policy with at least one rule. The enhanced-scanning control's registry
/// configuration scans every repository (`*`) with Inspector, continuously.
#[test]
fn repositories_scan_keep_tags_immutable_and_expire_images() {
    let all = renders();
    for (what, repo, _) in claimed_of(&all, &ecr::ECR_REPOSITORY, "AWS::ECR::Repository") {
        assert!(
            is_true(repo, &["ImageScanningConfiguration", "ScanOnPush"]),
            "{what}: ScanOnPush (ECR.1)"
        );
        assert!(
            is_str(repo, &["ImageTagMutability"], "IMMUTABLE"),
            "{what}: ImageTagMutability (ECR.2)"
        );
        for text in vals(repo, &["LifecyclePolicy", "LifecyclePolicyText"]) {
            let text = text
                .and_then(Node::as_str)
                .unwrap_or_else(|| panic!("{what}: no lifecycle policy (ECR.3)"));
            let policy: serde_json::Value = serde_json::from_str(text).expect("JSON");
            assert!(
                policy["rules"].as_array().is_some_and(|r| !r.is_empty()),
                "{what}: a lifecycle policy with no rule (ECR.3)"
            );
        }
    }
    for (what, cfg, _) in claimed_of(
        &all,
        &ecr::ECR_ENHANCED_SCANNING,
        "AWS::ECR::RegistryScanningConfiguration",
    ) {
        assert!(is_str(cfg, &["ScanType"], "ENHANCED"), "{what}: ScanType");
        let rules = vals(cfg, &["Rules"]);
        assert!(
            rules.into_iter().all(|r| list(r).iter().any(|r| {
                list(r.get_path(&["RepositoryFilters"])).iter().any(|f| {
                    f.get_path(&["Filter"]).and_then(Node::as_str) == Some("*")
                        && f.get_path(&["FilterType"]).and_then(Node::as_str) == Some("WILDCARD")
                }) && matches!(
                    r.get_path(&["ScanFrequency"]).and_then(Node::as_str),
                    Some("CONTINUOUS_SCAN" | "SCAN_ON_PUSH")
                )
            })),
            "{what}: not every repository is scanned"
        );
    }
}

/// SageMaker.5 (`AWS::SageMaker::Model`, no parameters): fails unless the model has network
/// isolation on. SageMaker.4 (`AWS::SageMaker::EndpointConfig`, no parameters): fails if a
/// production variant's initial instance count is not more than 1.
#[test]
fn models_are_isolated_and_endpoints_run_more_than_one_instance() {
    let all = renders();
    for (what, m, _) in claimed_of(
        &all,
        &sagemaker_endpoint::PRIVATE_SAGEMAKER_ENDPOINT,
        "AWS::SageMaker::Model",
    ) {
        assert!(
            is_true(m, &["EnableNetworkIsolation"]),
            "{what}: EnableNetworkIsolation (SageMaker.5)"
        );
    }
    for (what, c, _) in claimed_of(
        &all,
        &sagemaker_endpoint::SAGEMAKER_MULTI_INSTANCE,
        "AWS::SageMaker::EndpointConfig",
    ) {
        let variants: Vec<&Node> = vals(c, &["ProductionVariants"])
            .into_iter()
            .flat_map(list)
            .collect();
        assert!(!variants.is_empty(), "{what}: no production variant");
        for v in variants {
            assert!(
                int(v.get_path(&["InitialInstanceCount"])).is_some_and(|n| n > 1),
                "{what}: InitialInstanceCount (SageMaker.4): {v:?}"
            );
        }
    }
}
