//! A private SageMaker real-time endpoint: the model runs in private subnets with network
//! isolation, its storage volume is encrypted with the customer key (or, on instance types
//! with local NVMe storage, by the instance's own hardware module), and its execution role
//! can read only its own model data and image.

use crate::cfn::generated::{logs, sagemaker};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
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
}

/// Adds the model, endpoint configuration and endpoint.
pub fn endpoint(t: &mut Template, spec: EndpointSpec<'_>) -> Handle<sagemaker::Endpoint> {
    let c = PRIVATE_SAGEMAKER_ENDPOINT.id;
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
        t.res(&model).control(PINNED_MODEL_IMAGE.id);
    }
    for n in spec.image.notes {
        t.res(&model).note(n);
    }
    let local = has_local_storage(spec.instance_type);
    let config = t.add(
        "EndpointConfig",
        sagemaker::EndpointConfig {
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
        t.res(&config).control(SAGEMAKER_MULTI_INSTANCE.id);
    }
    if local {
        t.res(&config).note(
            "no KmsKeyId: this instance type has local NVMe storage, which SageMaker encrypts with the instance's hardware module and for which it rejects a KmsKeyId",
        );
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
    use crate::controls::iam_role::Wildcard;
    vec![
        Wildcard {
            statement: Statement::allow("EcrAuthorization").actions(["ecr:GetAuthorizationToken"]).resource(Expr::str("*")),
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
            statement: Statement::allow("PublishEndpointMetrics")
                .actions(["cloudwatch:PutMetricData"])
                .resource(Expr::str("*"))
                .condition("StringEquals", "cloudwatch:namespace", Expr::str("/aws/sagemaker/Endpoints")),
            reason: "cloudwatch:PutMetricData supports no resource-level permissions; the namespace condition limits it to SageMaker's",
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
    fn local_storage_follows_the_family_not_the_size() {
        assert!(has_local_storage("ml.g5.2xlarge"));
        assert!(has_local_storage("ml.r7gd.medium"));
        assert!(has_local_storage("ml.p6-b200.48xlarge"));
        assert!(!has_local_storage("ml.m5.xlarge"));
        assert!(!has_local_storage("ml.c6gn.large"));
    }
}
