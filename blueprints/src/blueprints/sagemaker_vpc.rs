//! `sagemaker-vpc`, from the SageMaker security configuration guide (seed 002): a SageMaker
//! real-time endpoint in private subnets of its own VPC, reaching AWS only through VPC
//! endpoints, with its data encrypted under a customer key, least-privilege roles, a dashboard
//! and alarms; from enhanced, flow logs, access logs, a closed default security group and the
//! account baseline (CloudTrail, GuardDuty, Security Hub); at enterprise, retained data, a
//! stack policy, two instances, and the baseline's Config, Access Analyzer, password policy
//! and CIS alarms.
//!
//! The guide's EC2 instance with SSH open to the world is left out: nothing in the
//! architecture needs it, and the endpoint is reached through the SageMaker runtime API. WAF
//! applies where there is a public entry point; this architecture has none (the endpoint is
//! private and IAM-authenticated), so it adds no web ACL.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackSpec};
use crate::blueprints::{account_baseline, finish};
use crate::cfn::generated::{cloudwatch, ec2};
use crate::cfn::{Expr, Template};
use crate::controls::alarms::{alarm, alert_topic, forward_alarms, AlarmSpec, Alerts};
use crate::controls::iam_role::service_role;
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::log_group::{log_group, streams_arn};
use crate::controls::s3_bucket::{access_log_bucket, arns, secure_bucket, BucketSpec, Encryption};
use crate::controls::sagemaker_endpoint::{self as sm, EndpointSpec};
use crate::controls::security_group::{egress, ingress, security_group, Peer};
use crate::controls::vpc::{self, network};
use crate::controls::vpc_endpoints::endpoints;
use crate::params::{Kind, ParamSpec};
use crate::tier::Tier;

/// The blueprint.
pub struct SagemakerVpc;

static PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "vpc_cidr",
        description: "the VPC's address block; subnets are the /24s at offsets 0, 1 (public) and 10, 11 (private)",
        kind: Kind::PrivateCidr { min_prefix: 16, max_prefix: 20 },
        default: Some("10.0.0.0/16"),
    },
    ParamSpec {
        name: "instance_type",
        description: "the endpoint's instance type",
        kind: Kind::MlInstanceType,
        default: Some("ml.m5.xlarge"),
    },
    ParamSpec {
        name: "instance_count",
        description: "instances behind the endpoint (default: 1, and 2 at enterprise)",
        kind: Kind::Int { min: 1, max: 10 },
        default: None,
    },
    ParamSpec {
        name: "model_repository",
        description: "the ECR repository (in this account and region) holding the model server image",
        kind: Kind::Name { min: 2, max: 64 },
        default: Some("ollama"),
    },
    ParamSpec {
        name: "image_tag",
        description: "the model server image's tag",
        kind: Kind::ImageTag,
        default: Some("latest"),
    },
    ParamSpec {
        name: "model_data_key",
        description: "key of the model artifacts (model.tar.gz) in the model bucket, if the image does not carry them",
        kind: Kind::S3Key,
        default: None,
    },
    ParamSpec {
        name: "alert_email",
        description: "address subscribed to the alarm topic (and, from enhanced, the account baseline's); at enterprise, this or `alert_topic_arn` is required",
        kind: Kind::Email,
        default: None,
    },
    ParamSpec {
        name: "alert_topic_arn",
        description: "an existing standard SNS topic, in the region deployed to, that the alarms (and, from enhanced, the baseline's finding alerts) are forwarded to besides the stacks' own topics; its policy must let `events.amazonaws.com` publish",
        kind: Kind::SnsTopicArn,
        default: None,
    },
    ParamSpec {
        name: "home_region",
        description: "the account baseline's home region, which holds its account-wide parts (trail, CIS alarms, global Config types, password policy); default: the region deployed to",
        kind: Kind::AwsRegion,
        default: None,
    },
    ParamSpec {
        name: "cors_origin",
        description: "the web app origin allowed to upload to the uploads bucket from a browser",
        kind: Kind::HttpsOrigin,
        default: None,
    },
];

const INTERFACE_ENDPOINTS: &[(&str, &str)] = &[
    ("SageMakerApi", "sagemaker.api"),
    ("SageMakerRuntime", "sagemaker.runtime"),
    ("EcrApi", "ecr.api"),
    ("EcrDocker", "ecr.dkr"),
    ("CloudWatchLogs", "logs"),
];

impl Blueprint for SagemakerVpc {
    fn name(&self) -> &'static str {
        "sagemaker-vpc"
    }

    fn summary(&self) -> &'static str {
        "a private SageMaker inference endpoint in its own VPC, reached only through VPC endpoints"
    }

    fn source(&self) -> &'static str {
        "seeds/002-sagemaker-vpc.md"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn stack_purposes(&self, tier: Tier) -> Vec<&'static str> {
        let mut v = account_baseline::purposes(tier);
        v.push(
            "workload: VPC, endpoints, KMS key, buckets, SageMaker endpoint, dashboard and alarms",
        );
        v
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let p = &req.params;
        let baseline = account_baseline::BaselineOptions::from_params(p);
        let alerts: Alerts<'_> = baseline.alerts;
        alerts.require(tier)?;
        let mut out = Vec::new();
        let mut after = Vec::new();
        for base in account_baseline::baseline_stacks(tier, &baseline)? {
            after.push(base.name.clone());
            out.push(base);
        }
        let cidr = p.cidr("vpc_cidr").expect("vpc_cidr has a default");
        let instance_type = p.str("instance_type").expect("instance_type has a default");
        let instance_count =
            p.int("instance_count")
                .unwrap_or(if sm::SAGEMAKER_MULTI_INSTANCE.on(tier) {
                    2
                } else {
                    1
                });
        let repository = p
            .str("model_repository")
            .expect("model_repository has a default");
        let tag = p.str("image_tag").expect("image_tag has a default");
        let endpoint_name = format!("{}-endpoint", req.name);
        if endpoint_name.len() > 63 {
            return Err(BlueprintError::Invalid(format!(
                "stack name `{}` is too long: the endpoint name `{endpoint_name}` must be at most 63 characters\nhint: use a name of at most 54 characters",
                req.name
            )));
        }

        let mut t = Template::new(format!(
            "harden sagemaker-vpc ({tier}): private SageMaker endpoint {endpoint_name} in its own VPC"
        ));
        let net = network(&mut t, tier, cidr);

        // Security groups: the model talks only HTTPS, to the interface endpoints and to S3.
        let model_sg = security_group(
            &mut t,
            "ModelSecurityGroup",
            "SageMaker model containers: no inbound, HTTPS out only",
            net.vpc.r#ref(),
        );
        let endpoint_sg = security_group(
            &mut t,
            "EndpointSecurityGroup",
            "Interface VPC endpoints: HTTPS from the model only",
            net.vpc.r#ref(),
        );
        let model_gid = model_sg.get_att(ec2::SecurityGroupAttr::GroupId);
        let endpoint_gid = endpoint_sg.get_att(ec2::SecurityGroupAttr::GroupId);
        ingress(
            &mut t,
            "EndpointIngressFromModel",
            &endpoint_sg,
            model_gid.clone(),
            443,
            "HTTPS from the SageMaker model",
        );
        egress(
            &mut t,
            "ModelEgressToEndpoints",
            &model_sg,
            Peer::Group(endpoint_gid),
            443,
            "HTTPS to the interface VPC endpoints",
        );
        endpoints(&mut t, &net, &endpoint_sg, INTERFACE_ENDPOINTS);
        let s3_egress = t.add(
            "ModelEgressToS3",
            ec2::SecurityGroupEgress {
                group_id: Some(model_gid.clone()),
                cidr_ip: Some("0.0.0.0/0".into()),
                ip_protocol: Some("tcp".into()),
                from_port: Some(443.into()),
                to_port: Some(443.into()),
                description: Some("HTTPS to Amazon S3 through the gateway endpoint, whose prefix list has no fixed id a template can name".into()),
                ..Default::default()
            },
        );
        t.res(&s3_egress)
            .control(crate::controls::security_group::RESTRICTED_SECURITY_GROUP.id);

        // The execution role is created before the key so the key policy can name it.
        let endpoint_logs_name = Expr::str(format!("/aws/sagemaker/Endpoints/{endpoint_name}"));
        let key_id = "DataKey";
        let key_arn = Expr::GetAtt(key_id.into(), "Arn".into());
        let model_bucket_id = "ModelBucket";
        let log_bucket = if tier >= Tier::Enhanced {
            Some(access_log_bucket(&mut t, tier, "AccessLogBucket"))
        } else {
            None
        };
        let model_bucket = secure_bucket(
            &mut t,
            tier,
            BucketSpec {
                id: model_bucket_id,
                encryption: Encryption::Kms(key_arn.clone()),
                log_bucket: log_bucket.as_ref(),
                extra_statements: Vec::new(),
                noncurrent_days: 90,
                cors_origin: None,
            },
        );
        let uploads = secure_bucket(
            &mut t,
            tier,
            BucketSpec {
                id: "UploadsBucket",
                encryption: Encryption::Kms(key_arn.clone()),
                log_bucket: log_bucket.as_ref(),
                extra_statements: Vec::new(),
                noncurrent_days: 90,
                cors_origin: p.str("cors_origin").map(str::to_string),
            },
        );
        let endpoint_logs = log_group(
            &mut t,
            tier,
            "EndpointLogGroup",
            endpoint_logs_name,
            key_arn.clone(),
        );
        let (bucket_arn, objects_arn) = arns(&model_bucket);
        let repository_arn = Expr::sub(format!(
            "arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/{repository}"
        ));
        let subnets: Vec<Expr> = net.private_subnets.iter().map(|s| s.r#ref()).collect();
        let role = service_role(
            &mut t,
            "ExecutionRole",
            "SageMaker execution role: reads its model data and image, writes its logs",
            "sagemaker.amazonaws.com",
            true,
            sm::role_statements(
                bucket_arn,
                objects_arn,
                key_arn.clone(),
                repository_arn,
                streams_arn(&endpoint_logs),
                &subnets,
                model_gid.clone(),
            ),
            sm::role_wildcards(),
        );
        let key = kms_key(
            &mut t,
            tier,
            key_id,
            &format!("{}/data", req.name),
            "Encrypts the SageMaker endpoint's volumes, its buckets, logs and alarm topic",
            &[
                KeyUser::Role(role.arn()),
                KeyUser::ViaService("s3"),
                KeyUser::ViaService("sagemaker"),
                KeyUser::Logs,
                KeyUser::CloudWatchAlarms,
            ],
        );
        debug_assert_eq!(key.id(), key_id);

        vpc::flow_logs(&mut t, tier, &net, key_arn.clone());
        vpc::close_default_security_group(&mut t, tier, &net, key_arn.clone());

        let image = Expr::sub(format!(
            "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repository}:{tag}"
        ));
        let model_data_url = p
            .str("model_data_key")
            .map(|k| Expr::sub(format!("s3://${{{model_bucket_id}}}/{k}")));
        let ep = sm::endpoint(
            &mut t,
            EndpointSpec {
                endpoint_name: endpoint_name.clone(),
                image,
                model_data_url,
                instance_type,
                instance_count,
                role: &role,
                subnets: net.private_subnet_ids(),
                security_group: model_gid,
                key_arn: key_arn.clone(),
                log_group: &endpoint_logs,
            },
        );

        // Monitoring: the guide's alarms (more than 5 5XX errors, latency over 10 seconds) and dashboard.
        let topic = alert_topic(&mut t, tier, "AlertTopic", key_arn, &alerts, &[]);
        let dims = || {
            vec![
                ("EndpointName", Expr::str(&endpoint_name)),
                ("VariantName", Expr::str("AllTraffic")),
            ]
        };
        let errors = alarm(
            &mut t,
            &topic,
            AlarmSpec {
                id: "Endpoint5xxAlarm",
                description: "More than 5 server errors (5XX) from the endpoint in 5 minutes",
                namespace: "AWS/SageMaker",
                metric: "Invocation5XXErrors",
                dimensions: dims(),
                statistic: "Sum",
                period: 300,
                evaluation_periods: 1,
                threshold: 5,
                notify_recovery: true,
            },
        );
        let latency = alarm(
            &mut t,
            &topic,
            AlarmSpec {
                id: "EndpointLatencyAlarm",
                description: "Average model latency above 10 seconds for 10 minutes",
                namespace: "AWS/SageMaker",
                metric: "ModelLatency",
                dimensions: dims(),
                statistic: "Average",
                period: 300,
                evaluation_periods: 2,
                threshold: 10_000_000,
                notify_recovery: true,
            },
        );
        // Both notify recovery too: the forwarded alerts say when the endpoint is back.
        forward_alarms(&mut t, tier, &alerts, &[errors, latency], &["ALARM", "OK"]);
        let dash = t.add(
            "Dashboard",
            cloudwatch::Dashboard {
                dashboard_name: Some(format!("{}-sagemaker", req.name).into()),
                dashboard_body: Some(Expr::sub(dashboard_body(&endpoint_name))),
                ..Default::default()
            },
        );
        t.res(&dash)
            .control(crate::controls::alarms::ALARMS_WITH_ACTIONS.id);

        t.output(
            "EndpointName",
            "The SageMaker endpoint to invoke",
            Expr::str(&endpoint_name),
            None,
        );
        t.output(
            "EndpointArn",
            "The SageMaker endpoint's ARN",
            ep.r#ref(),
            None,
        );
        t.output(
            "ModelBucketName",
            "Bucket for model artifacts",
            model_bucket.r#ref(),
            None,
        );
        t.output(
            "UploadsBucketName",
            "Bucket for the web app's uploads",
            uploads.r#ref(),
            None,
        );
        t.output(
            "DataKeyArn",
            "The KMS key that encrypts the workload's data",
            key.get_att(crate::cfn::generated::kms::KeyAttr::Arn),
            None,
        );
        t.output("AlertTopicArn", "The alarm topic", topic.r#ref(), None);
        t.output(
            "VpcId",
            "The workload's VPC",
            net.vpc.r#ref(),
            Some(Expr::sub("${AWS::StackName}-VpcId")),
        );

        let notes = alerts.notes("the alarms");
        out.push(finish(
            t,
            req.name.clone(),
            "workload",
            self.name(),
            tier,
            after,
            notes,
        ));
        Ok(out)
    }
}

fn dashboard_body(endpoint: &str) -> String {
    let metric = |title: &str, metrics: &[(&str, &str)], stat: &str, x: i64, y: i64| {
        let lines: Vec<serde_json::Value> = metrics
            .iter()
            .map(|(ns, m)| {
                serde_json::json!([ns, m, "EndpointName", endpoint, "VariantName", "AllTraffic"])
            })
            .collect();
        serde_json::json!({
            "type": "metric", "x": x, "y": y, "width": 12, "height": 6,
            "properties": {"title": title, "metrics": lines, "stat": stat, "period": 300, "region": "${AWS::Region}"}
        })
    };
    let body = serde_json::json!({
        "widgets": [
            metric("Invocations", &[("AWS/SageMaker", "Invocations")], "Sum", 0, 0),
            metric("Errors", &[("AWS/SageMaker", "Invocation4XXErrors"), ("AWS/SageMaker", "Invocation5XXErrors")], "Sum", 12, 0),
            metric("Model latency (microseconds)", &[("AWS/SageMaker", "ModelLatency")], "Average", 0, 6),
            metric("Instance utilization (%)", &[("/aws/sagemaker/Endpoints", "CPUUtilization"), ("/aws/sagemaker/Endpoints", "MemoryUtilization"), ("/aws/sagemaker/Endpoints", "DiskUtilization")], "Average", 12, 6)
        ]
    });
    serde_json::to_string(&body).expect("a JSON value serializes")
}
