//! A private SageMaker real-time endpoint: the model runs in private subnets with network
//! isolation, its storage volume is encrypted with the customer key (or, on instance types
//! with local NVMe storage, by the instance's own hardware module), and its execution role
//! can read only its own model data and image.
//!
//! Where the account baseline runs AWS Config (enterprise), its managed rule
//! `SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED` marks an endpoint configuration
//! without a `KmsKeyId` non-compliant, which an NVMe instance type must be. The exception is
//! then recorded where the rule's owner sees it: a Security Hub automation rule suppresses
//! exactly that rule's finding for exactly this endpoint configuration, with the reason as the
//! finding's note.

use crate::cfn::generated::securityhub::{self, automation_rule as ar};
use crate::cfn::generated::{logs, sagemaker};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::aws_config::CONFIG_RECORDER;
use crate::controls::iam_role::Role;
use crate::controls::model_image::{ModelImage, PINNED_MODEL_IMAGE};
use crate::tier::Tier;

/// The control.
pub static PRIVATE_SAGEMAKER_ENDPOINT: Control = Control {
    id: "private-sagemaker-endpoint",
    title: "SageMaker model in private subnets with network isolation and an encrypted endpoint",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["SageMaker.5"],
};

/// The control for more than one instance behind the endpoint.
pub static SAGEMAKER_MULTI_INSTANCE: Control = Control {
    id: "sagemaker-multi-instance",
    title: "endpoint variants start with two or more instances, spread across zones",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &["SageMaker.4"],
};

/// The instance families with local NVMe instance storage: SageMaker rejects a `KmsKeyId` for
/// them, and encrypts their volumes with the instance's hardware module instead. Every family
/// of the generated instance type list is in this list or in [`EBS_ONLY_FAMILIES`] (a test
/// checks it), so a family that a newer SageMaker API model brings is classified before a
/// user can pick it.
///
/// From the EC2 instance specifications of each family (`d` variants, GPU and Trainium
/// families). Not confirmed against a primary source: `inf2` (kept as harden classified it
/// before), `g7` and `g7e` (by analogy with every NVIDIA G family since `g4dn`).
pub const LOCAL_NVME_FAMILIES: &[&str] = &[
    "c5d",
    "c6gd",
    "dl1",
    "g4dn",
    "g5",
    "g6",
    "g6e",
    "g7",
    "g7e",
    "inf2",
    "m5d",
    "m6gd",
    "p4d",
    "p4de",
    "p5",
    "p5e",
    "p5en",
    "p6-b200",
    "p6-b300",
    "p6e-gb200",
    "r5d",
    "r6gd",
    "r7gd",
    "trn1",
    "trn1n",
    "trn2",
];

/// The instance families whose storage is EBS only: their volumes take the customer key.
pub const EBS_ONLY_FAMILIES: &[&str] = &[
    "c4", "c5", "c6g", "c6gn", "c6i", "c6in", "c7g", "c7i", "c8g", "inf1", "m4", "m5", "m6g",
    "m6i", "m7i", "m8g", "p2", "p3", "r5", "r6g", "r6i", "r7i", "r8g", "t2",
];

/// The family of `ml.<family>.<size>`.
pub fn family(instance_type: &str) -> &str {
    instance_type.split('.').nth(1).unwrap_or("")
}

/// Whether the instance type has local NVMe storage (see [`LOCAL_NVME_FAMILIES`]).
pub fn has_local_storage(instance_type: &str) -> bool {
    LOCAL_NVME_FAMILIES.contains(&family(instance_type))
}

/// Whether an instance type has NVIDIA GPUs, so the endpoint reports `GPUUtilization` and
/// `GPUMemoryUtilization` (namespace `/aws/sagemaker/Endpoints`). The one place this is
/// decided: the GPU families are the accelerated `g` and `p` generations (`ml.g4dn`, `ml.g5`,
/// `ml.g6`, `ml.g6e`, `ml.p3`, `ml.p4d`, `ml.p5`...), whose family starts with `g` or `p`
/// followed by the generation digit. Graviton families carry their `g` after the digit
/// (`ml.c7g`, `ml.m6g`) and are not GPUs; neither are Inferentia and Trainium (`ml.inf2`,
/// `ml.trn1`), whose accelerators report through the Neuron metrics instead.
pub fn has_gpu(instance_type: &str) -> bool {
    let mut chars = family(instance_type).chars();
    matches!(
        (chars.next(), chars.next()),
        (Some('g' | 'p'), Some(d)) if d.is_ascii_digit()
    )
}

/// The logical id of the account baseline's AWS Config rule
/// `SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED`. The rule has no fixed name, so
/// CloudFormation names it `<stack>-<logical id>-<suffix>`; its findings in Security Hub carry
/// that name as their title.
pub const KMS_CONFIG_RULE_ID: &str = "ConfigRuleSageMakerEndpointKms";

const NVME_REASON: &str = "no KmsKeyId: this instance type has local NVMe storage, which SageMaker encrypts with the instance's hardware module and for which it rejects a KmsKeyId";

/// What the endpoint serves.
pub struct EndpointSpec<'a> {
    /// The endpoint's name (its log group is named after it).
    pub endpoint_name: String,
    /// The container image: its URI, whether it is pinned, and what to note about it.
    pub image: ModelImage,
    /// `s3://` URL of the model artifacts, if any.
    pub model_data_url: Option<Expr>,
    /// The instance type.
    pub instance_type: &'a str,
    /// Instances to start with.
    pub instance_count: i64,
    /// Execution role.
    pub role: &'a Role,
    /// Private subnets.
    pub subnets: Expr,
    /// The model's security group.
    pub security_group: Expr,
    /// KMS key ARN.
    pub key_arn: Expr,
    /// The endpoint's log group (created first so it is encrypted and retained).
    pub log_group: &'a Handle<logs::LogGroup>,
    /// The tier: from the one that runs AWS Config, an NVMe instance type's missing
    /// `KmsKeyId` is recorded as an exception in Security Hub.
    pub tier: Tier,
    /// Where the endpoint captures its requests and responses, if it does.
    pub data_capture: Option<DataCapture>,
}

/// Data capture: a share of the endpoint's requests and responses written to S3 (for model
/// monitoring and the audit of what the model was asked), encrypted with the stack's key.
#[derive(Debug, Clone)]
pub struct DataCapture {
    /// `s3://bucket/prefix`
    pub destination: Expr,
    /// The percentage of requests captured (1 to 100).
    pub percent: i64,
}

/// Adds the model, endpoint configuration and endpoint.
pub fn endpoint(t: &mut Template, spec: EndpointSpec<'_>) -> Handle<sagemaker::Endpoint> {
    let c = &PRIVATE_SAGEMAKER_ENDPOINT;
    let model = t.add(
        "Model",
        sagemaker::Model {
            execution_role_arn: Some(spec.role.arn()),
            enable_network_isolation: Some(true.into()),
            primary_container: Some(sagemaker::model::ContainerDefinition {
                image: Some(spec.image.uri),
                model_data_url: spec.model_data_url,
                mode: Some("SingleModel".into()),
                ..Default::default()
            }),
            vpc_config: Some(sagemaker::model::VpcConfig {
                security_group_ids: Some(Expr::list([spec.security_group])),
                subnets: Some(spec.subnets),
            }),
            ..Default::default()
        },
    );
    t.res(&model).control(c).depends_on(spec.role.policy.id());
    if spec.image.pinned {
        t.res(&model).control(&PINNED_MODEL_IMAGE);
    }
    for n in spec.image.notes {
        t.res(&model).note(n);
    }
    let local = has_local_storage(spec.instance_type);
    let data_capture_config =
        spec.data_capture
            .as_ref()
            .map(|d| sagemaker::endpoint_config::DataCaptureConfig {
                enable_capture: Some(true.into()),
                initial_sampling_percentage: Some(d.percent.into()),
                destination_s3_uri: Some(d.destination.clone()),
                kms_key_id: Some(spec.key_arn.clone()),
                capture_options: Some(vec![
                    sagemaker::endpoint_config::CaptureOption {
                        capture_mode: Some("Input".into()),
                    },
                    sagemaker::endpoint_config::CaptureOption {
                        capture_mode: Some("Output".into()),
                    },
                ]),
                ..Default::default()
            });
    let config = t.add(
        "EndpointConfig",
        sagemaker::EndpointConfig {
            data_capture_config,
            kms_key_id: if local { None } else { Some(spec.key_arn) },
            production_variants: Some(vec![sagemaker::endpoint_config::ProductionVariant {
                variant_name: Some("AllTraffic".into()),
                model_name: Some(model.get_att(sagemaker::ModelAttr::ModelName)),
                instance_type: Some(spec.instance_type.into()),
                initial_instance_count: Some(spec.instance_count.into()),
                initial_variant_weight: Some(1.into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    t.res(&config).control(c);
    if spec.instance_count >= 2 {
        t.res(&config).control(&SAGEMAKER_MULTI_INSTANCE);
    }
    if local {
        t.res(&config).note(NVME_REASON);
        if CONFIG_RECORDER.on(spec.tier) {
            kms_rule_exception(t, &config, &spec.endpoint_name);
        }
    }
    let ep = t.add(
        "Endpoint",
        sagemaker::Endpoint {
            endpoint_name: Some(spec.endpoint_name.into()),
            endpoint_config_name: Some(
                config.get_att(sagemaker::EndpointConfigAttr::EndpointConfigName),
            ),
            ..Default::default()
        },
    );
    t.res(&ep).control(c).depends_on(spec.log_group.id());
    ep
}

/// Suppresses, in Security Hub, the AWS Config finding that this endpoint configuration has
/// no `KmsKeyId`: only findings from AWS Config (`ProductName` `Config`), of the baseline's
/// KMS rule (its title holds [`KMS_CONFIG_RULE_ID`]), on this configuration's ARN, that
/// failed. The finding stays in Security Hub, `SUPPRESSED`, with the reason as its note.
fn kms_rule_exception(
    t: &mut Template,
    config: &Handle<sagemaker::EndpointConfig>,
    endpoint_name: &str,
) {
    let filter = |comparison: &str, value: Expr| {
        Some(vec![ar::StringFilter {
            comparison: Some(comparison.into()),
            value: Some(value),
        }])
    };
    let note = "Exception recorded by harden: this endpoint configuration has no KmsKeyId because its instance type has local NVMe storage, which the instance's hardware module encrypts and for which SageMaker rejects a KmsKeyId.";
    let rule = t.add(
        "EndpointConfigKmsException",
        securityhub::AutomationRule {
            rule_name: Some(format!("harden {endpoint_name}: NVMe instance storage").into()),
            description: Some(
                format!("Suppresses the AWS Config finding SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED for the endpoint configuration of {endpoint_name}, whose NVMe instance storage is encrypted by the instance's hardware module (SageMaker rejects a KmsKeyId for it)").into(),
            ),
            rule_order: Some(1.into()),
            rule_status: Some("ENABLED".into()),
            is_terminal: Some(false.into()),
            criteria: Some(ar::AutomationRulesFindingFilters {
                product_name: filter("EQUALS", Expr::str("Config")),
                title: filter("CONTAINS", Expr::str(KMS_CONFIG_RULE_ID)),
                resource_id: filter("EQUALS", config.r#ref()),
                compliance_status: filter("EQUALS", Expr::str("FAILED")),
                ..Default::default()
            }),
            actions: Some(vec![ar::AutomationRulesAction {
                type_: Some("FINDING_FIELDS_UPDATE".into()),
                finding_fields_update: Some(ar::AutomationRulesFindingFieldsUpdate {
                    workflow: Some(ar::WorkflowUpdate {
                        status: Some("SUPPRESSED".into()),
                    }),
                    note: Some(ar::NoteUpdate {
                        text: Some(note.into()),
                        updated_by: Some("harden".into()),
                    }),
                    ..Default::default()
                }),
            }]),
            ..Default::default()
        },
    );
    t.res(&rule)
        .control(&PRIVATE_SAGEMAKER_ENDPOINT)
        .note(NVME_REASON)
        .note("the account baseline's AWS Config rule SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED would mark this endpoint configuration NON_COMPLIANT: this Security Hub automation rule suppresses exactly that finding, for exactly this configuration, with the reason as its note (Security Hub accepts automation rules from its administrator account: a standalone account, as the baseline sets it up)");
}

/// The execution role's statements on named resources: read its model data, pull its image,
/// write its own logs, and manage network interfaces in its own subnets.
pub fn role_statements(
    bucket_arn: Expr,
    objects_arn: Expr,
    key_arn: Expr,
    repository_arn: Expr,
    log_streams: Expr,
    subnets: &[Expr],
    group: Expr,
) -> Vec<Statement> {
    let mut eni_resources = vec![Expr::sub(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*",
    )];
    eni_resources.extend(subnets.iter().map(|s| {
        Expr::sub_with(
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/${Id}",
            [("Id", s.clone())],
        )
    }));
    eni_resources.push(Expr::sub_with(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Id}",
        [("Id", group)],
    ));
    vec![
        Statement::allow("ReadModelData")
            .actions(["s3:GetObject"])
            .resource(objects_arn),
        Statement::allow("ListModelData")
            .actions(["s3:ListBucket"])
            .resource(bucket_arn),
        Statement::allow("DecryptModelData")
            .actions(["kms:Decrypt", "kms:DescribeKey"])
            .resource(key_arn),
        Statement::allow("PullModelImage")
            .actions([
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ])
            .resource(repository_arn),
        Statement::allow("WriteEndpointLogs")
            .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
            .resource(log_streams),
        Statement::allow("EndpointNetworkInterfaces")
            .actions([
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ])
            .resources(eni_resources),
    ]
}

/// The execution role's statements that the APIs grant only on `*`, with the reasons.
pub fn role_wildcards() -> Vec<crate::controls::iam_role::Wildcard> {
    vpc_role_wildcards(
        "PublishEndpointMetrics",
        "/aws/sagemaker/Endpoints",
        "cloudwatch:PutMetricData supports no resource-level permissions; the namespace condition limits it to SageMaker's",
    )
}

/// What a SageMaker role (an endpoint's, a training run's) needs on `*`, with the reasons:
/// the ECR authorisation token, the EC2 descriptions of its VPC, and its metrics, limited to
/// `namespace` (statement `metrics_sid`, reason `metrics_reason`).
pub fn vpc_role_wildcards(
    metrics_sid: &str,
    namespace: &'static str,
    metrics_reason: &'static str,
) -> Vec<crate::controls::iam_role::Wildcard> {
    use crate::controls::iam_role::Wildcard;
    vec![
        Wildcard {
            statement: Statement::allow("EcrAuthorization")
                .actions(["ecr:GetAuthorizationToken"])
                .resource(Expr::str("*")),
            reason: "ecr:GetAuthorizationToken supports no resource-level permissions",
        },
        Wildcard {
            statement: Statement::allow("DescribeNetwork")
                .actions([
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ])
                .resource(Expr::str("*")),
            reason: "EC2 Describe actions support no resource-level permissions",
        },
        Wildcard {
            statement: Statement::allow(metrics_sid)
                .actions(["cloudwatch:PutMetricData"])
                .resource(Expr::str("*"))
                .condition("StringEquals", "cloudwatch:namespace", Expr::str(namespace)),
            reason: metrics_reason,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::PRODUCTION_VARIANT_INSTANCE_TYPES;

    /// Guards the `KmsKeyId` choice: a family the SageMaker API model adds (a botocore bump)
    /// must be classified as local NVMe or EBS only before it renders, since a wrong guess
    /// either fails `CreateEndpointConfig` or drops the customer key.
    #[test]
    fn every_generated_instance_type_is_classified() {
        let mut families: Vec<&str> = PRODUCTION_VARIANT_INSTANCE_TYPES
            .iter()
            .map(|t| family(t))
            .collect();
        families.sort_unstable();
        families.dedup();
        for f in &families {
            let local = LOCAL_NVME_FAMILIES.contains(f);
            let ebs = EBS_ONLY_FAMILIES.contains(f);
            assert!(
                local != ebs,
                "instance family `{f}` is classified {}: add it to exactly one of LOCAL_NVME_FAMILIES and EBS_ONLY_FAMILIES",
                if local { "twice" } else { "nowhere" }
            );
        }
        for f in LOCAL_NVME_FAMILIES.iter().chain(EBS_ONLY_FAMILIES) {
            assert!(
                families.contains(f),
                "`{f}` is no longer an instance family of the SageMaker API model: drop it"
            );
        }
    }

    #[test]
    fn gpu_families_are_the_g_and_p_generations() {
        for gpu in [
            "ml.g4dn.xlarge",
            "ml.g5.2xlarge",
            "ml.g6.xlarge",
            "ml.g6e.12xlarge",
            "ml.p3.2xlarge",
            "ml.p4d.24xlarge",
            "ml.p5.48xlarge",
        ] {
            assert!(has_gpu(gpu), "{gpu}");
        }
        for not_gpu in [
            "ml.m5.xlarge",
            "ml.c7g.large",
            "ml.m6g.large",
            "ml.inf2.xlarge",
            "ml.trn1.2xlarge",
            "ml.r5d.large",
            "ml.t2.medium",
        ] {
            assert!(!has_gpu(not_gpu), "{not_gpu}");
        }
    }

    #[test]
    fn local_storage_follows_the_family_not_the_size() {
        assert!(has_local_storage("ml.g5.2xlarge"));
        assert!(has_local_storage("ml.r7gd.medium"));
        assert!(has_local_storage("ml.p6-b200.48xlarge"));
        assert!(!has_local_storage("ml.m5.xlarge"));
        assert!(!has_local_storage("ml.c6gn.large"));
    }

    #[test]
    fn nvme_families_have_local_storage() {
        for local in ["ml.g5.2xlarge", "ml.p4d.24xlarge", "ml.m5d.large"] {
            assert!(has_local_storage(local), "{local}");
        }
        for ebs in ["ml.m5.xlarge", "ml.c5.large", "ml.p3.2xlarge"] {
            assert!(!has_local_storage(ebs), "{ebs}");
        }
    }
}
