//! What a hardened SageMaker training run needs. A training job is not a CloudFormation
//! resource (it runs once and ends), so a stack provides its surroundings and the exact request
//! that starts one: an execution role that may read one bucket prefix, write one other, pull
//! from one repository and use the one key through S3 and SageMaker; private subnets and a
//! security group; the customer key for the instance volumes and the output; network
//! isolation (the training container gets no network and no credentials) and encrypted
//! traffic between training containers.
//!
//! The request is the JSON input of `aws sagemaker create-training-job --cli-input-json`,
//! written by [`training_job_input`] with every value resolved by CloudFormation, so what the
//! reviewer of the stack saw is what starts. The job's name is given on the command line
//! (`--training-job-name`, which overrides the input's), since each job needs a new one.

use crate::cfn::policy::Statement;
use crate::cfn::Expr;
use crate::control::Control;
use crate::controls::iam_role::Wildcard;
use crate::controls::sagemaker_endpoint::has_local_storage;
use crate::tier::Tier;

/// The control.
pub static HARDENED_TRAINING: Control = Control {
    id: "hardened-training-run",
    title: "SageMaker training runs in private subnets with network isolation, inter-container traffic encryption, volumes and output encrypted with the stack's key, and a role limited to one input prefix, one output prefix and one image repository",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The account-wide log group SageMaker writes training logs to.
pub const TRAINING_LOG_GROUP: &str = "/aws/sagemaker/TrainingJobs";

/// What one training run is.
#[derive(Debug, Clone)]
pub struct TrainingSpec {
    /// The execution role's ARN.
    pub role_arn: Expr,
    /// The training image (`registry/repository:tag`, the repository's tags immutable).
    pub image: Expr,
    /// The bucket's name.
    pub bucket: Expr,
    /// The prefix read (`processed/`).
    pub input_prefix: &'static str,
    /// The prefix written (`models/`).
    pub output_prefix: &'static str,
    /// The stack key's ARN.
    pub key_arn: Expr,
    /// The instance type.
    pub instance_type: String,
    /// The volume size, GiB.
    pub volume_gib: i64,
    /// The longest a run may take, seconds.
    pub max_runtime_secs: i64,
    /// The private subnets.
    pub subnets: Vec<Expr>,
    /// The training security group's id.
    pub security_group: Expr,
}

/// The JSON input of `create-training-job`, as one `Fn::Sub` string.
pub fn training_job_input(spec: &TrainingSpec) -> Expr {
    let mut vars: Vec<(String, Expr)> = vec![
        ("Role".into(), spec.role_arn.clone()),
        ("Image".into(), spec.image.clone()),
        ("Bucket".into(), spec.bucket.clone()),
        ("Key".into(), spec.key_arn.clone()),
        ("Group".into(), spec.security_group.clone()),
    ];
    let mut subnets = Vec::new();
    for (i, s) in spec.subnets.iter().enumerate() {
        let name = format!("Subnet{i}");
        subnets.push(format!("\"${{{name}}}\""));
        vars.push((name, s.clone()));
    }
    // SageMaker rejects a volume key for instance types with local NVMe storage, which the
    // instance's hardware module encrypts.
    let volume_key = if has_local_storage(&spec.instance_type) {
        String::new()
    } else {
        ",\"VolumeKmsKeyId\":\"${Key}\"".to_string()
    };
    let body = format!(
        concat!(
            "{{\"TrainingJobName\":\"${{AWS::StackName}}-training\",",
            "\"RoleArn\":\"${{Role}}\",",
            "\"AlgorithmSpecification\":{{\"TrainingImage\":\"${{Image}}\",\"TrainingInputMode\":\"File\"}},",
            "\"InputDataConfig\":[{{\"ChannelName\":\"train\",\"DataSource\":{{\"S3DataSource\":{{\"S3DataType\":\"S3Prefix\",\"S3Uri\":\"s3://${{Bucket}}/{input}\",\"S3DataDistributionType\":\"FullyReplicated\"}}}}}}],",
            "\"OutputDataConfig\":{{\"S3OutputPath\":\"s3://${{Bucket}}/{output}\",\"KmsKeyId\":\"${{Key}}\"}},",
            "\"ResourceConfig\":{{\"InstanceType\":\"{instance}\",\"InstanceCount\":1,\"VolumeSizeInGB\":{volume}{volume_key}}},",
            "\"VpcConfig\":{{\"SecurityGroupIds\":[\"${{Group}}\"],\"Subnets\":[{subnets}]}},",
            "\"StoppingCondition\":{{\"MaxRuntimeInSeconds\":{runtime}}},",
            "\"EnableNetworkIsolation\":true,",
            "\"EnableInterContainerTrafficEncryption\":true}}"
        ),
        input = spec.input_prefix,
        output = spec.output_prefix,
        instance = spec.instance_type,
        volume = spec.volume_gib,
        volume_key = volume_key,
        subnets = subnets.join(","),
        runtime = spec.max_runtime_secs,
    );
    Expr::sub_with(body, vars)
}

/// The ARN of `log-group:NAME:*` in this account and region.
fn log_group_arn(name: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}:*"
    ))
}

/// The training role's statements on named resources: read the input prefix, write the output
/// prefix, pull the one image, use the key through S3, write the training logs, and manage the
/// network interfaces of its own subnets and group.
pub fn role_statements(
    bucket_arn: Expr,
    spec: &TrainingSpec,
    repository_arn: Expr,
) -> Vec<Statement> {
    let prefix_arn = |p: &str| Expr::join("", [bucket_arn.clone(), Expr::str(format!("/{p}*"))]);
    let mut eni = vec![Expr::sub(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*",
    )];
    eni.extend(spec.subnets.iter().map(|s| {
        Expr::sub_with(
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/${Id}",
            [("Id", s.clone())],
        )
    }));
    eni.push(Expr::sub_with(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Id}",
        [("Id", spec.security_group.clone())],
    ));
    vec![
        Statement::allow("ReadTrainingData")
            .actions(["s3:GetObject"])
            .resource(prefix_arn(spec.input_prefix)),
        Statement::allow("ListTrainingData")
            .actions(["s3:ListBucket"])
            .resource(bucket_arn.clone())
            .condition(
                "StringLike",
                "s3:prefix",
                Expr::strs([
                    format!("{}*", spec.input_prefix),
                    format!("{}*", spec.output_prefix),
                ]),
            ),
        Statement::allow("WriteModelArtifacts")
            .actions(["s3:PutObject"])
            .resource(prefix_arn(spec.output_prefix)),
        Statement::allow("UseKeyThroughS3")
            .actions(["kms:Decrypt", "kms:GenerateDataKey"])
            .resource(spec.key_arn.clone())
            .condition(
                "StringEquals",
                "kms:ViaService",
                Expr::sub("s3.${AWS::Region}.amazonaws.com"),
            ),
        Statement::allow("PullTrainingImage")
            .actions([
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ])
            .resource(repository_arn),
        Statement::allow("WriteTrainingLogs")
            .actions([
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ])
            .resource(log_group_arn(TRAINING_LOG_GROUP)),
        Statement::allow("TrainingNetworkInterfaces")
            .actions([
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ])
            .resources(eni),
    ]
}

/// The training role's statements that the APIs grant only on `*`, with the reasons.
pub fn role_wildcards() -> Vec<Wildcard> {
    crate::controls::sagemaker_endpoint::vpc_role_wildcards(
        "PublishTrainingMetrics",
        "/aws/sagemaker/TrainingJobs",
        "cloudwatch:PutMetricData supports no resource-level permissions; the namespace condition limits it to SageMaker's training metrics",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(instance: &str) -> TrainingSpec {
        TrainingSpec {
            role_arn: Expr::str("arn:aws:iam::111122223333:role/r"),
            image: Expr::str("111122223333.dkr.ecr.eu-west-1.amazonaws.com/x/training:v1"),
            bucket: Expr::str("lake"),
            input_prefix: "processed/",
            output_prefix: "models/",
            key_arn: Expr::str("arn:aws:kms:eu-west-1:111122223333:key/k"),
            instance_type: instance.into(),
            volume_gib: 50,
            max_runtime_secs: 3600,
            subnets: vec![Expr::str("subnet-a"), Expr::str("subnet-b")],
            security_group: Expr::str("sg-1"),
        }
    }

    fn body(e: &Expr) -> String {
        match e {
            Expr::Sub(s, _) => s.clone(),
            other => panic!("not a Sub: {other:?}"),
        }
    }

    /// The request is valid JSON once substituted, isolated, encrypted and in the subnets.
    #[test]
    fn the_input_is_isolated_encrypted_json_in_the_private_subnets() {
        let text = body(&training_job_input(&spec("ml.m5.xlarge")))
            .replace("${AWS::StackName}", "lab")
            .replace("${Subnet0}", "subnet-a")
            .replace("${Subnet1}", "subnet-b")
            .replace("${Role}", "r")
            .replace("${Image}", "i")
            .replace("${Bucket}", "lake")
            .replace("${Key}", "k")
            .replace("${Group}", "sg-1");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["EnableNetworkIsolation"], true);
        assert_eq!(v["EnableInterContainerTrafficEncryption"], true);
        assert_eq!(v["ResourceConfig"]["VolumeKmsKeyId"], "k");
        assert_eq!(v["OutputDataConfig"]["KmsKeyId"], "k");
        assert_eq!(
            v["VpcConfig"]["Subnets"],
            serde_json::json!(["subnet-a", "subnet-b"])
        );
        assert_eq!(
            v["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"],
            "s3://lake/processed/"
        );
    }

    #[test]
    fn nvme_instance_types_get_no_volume_key() {
        let text = body(&training_job_input(&spec("ml.g5.2xlarge")));
        assert!(!text.contains("VolumeKmsKeyId"), "{text}");
        assert!(
            text.contains("\"KmsKeyId\":\"${Key}\""),
            "output stays encrypted"
        );
    }
}
