//! `sagemaker-vpc`, from the SageMaker security configuration guide (seed 002): a SageMaker
//! real-time endpoint in private subnets of its own VPC, reaching AWS only through VPC
//! endpoints, with its data encrypted under a customer key, least-privilege roles, a dashboard
//! and alarms; from enhanced, flow logs, access logs, a closed default security group and the
//! account baseline (CloudTrail, GuardDuty, Security Hub); at enterprise, retained data, a
//! stack policy, two instances, and the baseline's Config, Access Analyzer, password policy
//! and CIS alarms.
//!
//! Where it departs from the guide (no NAT or internet route, no WAF, no EC2 instance, a
//! 30-day key deletion window...) is listed in [`DEVIATIONS`], with the reasons: every stack
//! carries them in `Metadata.harden.Deviations` and `harden blueprints` shows them. The guide's
//! reviews and incident response steps are the blueprint's [`OPERATIONS`] checklist.

use crate::blueprint::{Blueprint, BlueprintError, Request, StackSpec};
use crate::blueprints::account_baseline;
use crate::cfn::generated::{cloudwatch, ec2};
use crate::cfn::{Expr, Template};
use crate::controls::alarms::{alarm, alert_topic, forward_alarms, AlarmSpec, Alerts};
use crate::controls::iam_role::service_role;
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::log_group::{log_group, streams_arn};
use crate::controls::model_image::{
    model_image, ImageSource, OWN_REGISTRY_MAX, PINNED_MODEL_IMAGE,
};
use crate::controls::s3_bucket::{access_log_bucket, arns, secure_bucket, BucketSpec, Encryption};
use crate::controls::sagemaker_endpoint::{self as sm, EndpointSpec};
use crate::controls::security_group::{egress, ingress, security_group, Peer};
use crate::controls::vpc::{self, network, InternetEgress};
use crate::controls::vpc_endpoints::{endpoints, s3_prefix_list_id};
use crate::guide::{Cadence, Deviation, HardenCommand, Operation, Verb};
use crate::params::{rules, ImageRef, Opt, Param, ParamSpec, IMAGE_URI_MAX};
use crate::tier::Tier;

/// The blueprint.
pub struct SagemakerVpc;

/// `instance_type`.
pub static INSTANCE_TYPE: Param<rules::MlInstanceType> = Param::new(
    "instance_type",
    "the endpoint's instance type",
    &rules::MlInstanceType,
    "ml.m5.xlarge",
);

/// `instance_count`.
pub static INSTANCE_COUNT: Opt<rules::Int> = Opt::new(
    "instance_count",
    "instances behind the endpoint (default: 1, and 2 at enterprise)",
    &rules::Int { min: 1, max: 10 },
);

/// `model_repository`.
pub static MODEL_REPOSITORY: Param<rules::EcrRepository> = Param::new(
    "model_repository",
    "the ECR repository of this account and region holding the model server image, namespaces allowed (`team/ollama`)",
    &rules::EcrRepository,
    "ollama",
);

/// `image_tag`.
pub static IMAGE_TAG: Param<rules::ImageTag> = Param::new(
    "image_tag",
    "the image's digest (recommended; required at enterprise unless `image_tag_immutable=true`) or tag",
    &rules::ImageTag,
    "latest",
);

/// `image_uri`.
pub static IMAGE_URI: Opt<rules::EcrImageUri> = Opt::new(
    "image_uri",
    "the model server image by its full ECR URI, for an image of another account (whose repository policy must let this account pull), in place of `model_repository` and `image_tag`",
    &rules::EcrImageUri,
)
.conflicts(&["model_repository", "image_tag"]);

/// `image_tag_immutable`.
pub static IMAGE_TAG_IMMUTABLE: Param<rules::Bool> = Param::new(
    "image_tag_immutable",
    "`true` states that the image's repository has immutable tags, so its tag pins the image as a digest does (harden cannot check it)",
    &rules::Bool,
    "false",
);

/// `model_data_key`.
pub static MODEL_DATA_KEY: Opt<rules::S3Key> = Opt::new(
    "model_data_key",
    "key of the model artifacts (model.tar.gz) in the model bucket, if the image does not carry them; at most 955 bytes, so that `s3://BUCKET/KEY` fits SageMaker's 1024 characters",
    &rules::S3Key {
        max_bytes: MODEL_DATA_KEY_MAX,
    },
);

/// `cors_origin`.
pub static CORS_ORIGIN: Opt<rules::HttpsOrigin> = Opt::new(
    "cors_origin",
    "the web app origin allowed to upload to the uploads bucket from a browser",
    &rules::HttpsOrigin,
);

static PARAMS: &[&ParamSpec] = &[
    &vpc::VPC_CIDR.spec,
    &vpc::VPC_ID.spec,
    &vpc::SUBNET_IDS.spec,
    &vpc::ROUTE_TABLE_IDS.spec,
    &INSTANCE_TYPE.spec,
    &INSTANCE_COUNT.spec,
    &MODEL_REPOSITORY.spec,
    &IMAGE_TAG.spec,
    &IMAGE_URI.spec,
    &IMAGE_TAG_IMMUTABLE.spec,
    &MODEL_DATA_KEY.spec,
    &CORS_ORIGIN.spec,
    &crate::controls::replication::REPLICA_REGION.spec,
];

/// SageMaker's `ModelDataUrl` is at most 1024 characters: `s3://`, a bucket name of up to 63,
/// `/`, then the key.
const MODEL_DATA_KEY_MAX: usize = 1024 - "s3://".len() - 63 - "/".len();

/// The title of the guide this blueprint comes from (seed 002's heading).
pub const GUIDE: &str = "AWS Security Configuration Guide for SageMaker Infrastructure";

/// Where this blueprint departs from the guide, and why (the account baseline it deploys from
/// enhanced has its own: [`account_baseline::DEVIATIONS`]).
pub static DEVIATIONS: &[Deviation] = &[
    Deviation {
        guide: "public subnets with a NAT gateway for outbound internet; the SageMaker security group allows HTTP (80) for model downloads and all outbound traffic",
        harden: "private subnets only: no public subnet, internet gateway, NAT gateway, Elastic IP or default route; the model's security group allows HTTPS to the interface VPC endpoints and to the S3 gateway endpoint's prefix list, and nothing else",
        reason: "the model runs with network isolation, so its container can make no network call a NAT could serve; SageMaker reaches S3, ECR and CloudWatch Logs through the VPC endpoints, and model weights come from the image or the model bucket (`model_data_key`). A route to the internet would serve nothing but exfiltration",
    },
    Deviation {
        guide: "a WAF web ACL (2000 requests per IP, AWS managed rules, SQL injection protection, IP reputation) from the enhanced configuration",
        harden: "no web ACL",
        reason: "there is no public entry point to attach one to: the endpoint is private and is called through the SageMaker Runtime API (an interface VPC endpoint here) with IAM authentication, while WAF protects CloudFront, load balancers, API Gateway, AppSync and Cognito. The `waf-web-acl` control is for custom blueprints with such an entry point",
    },
    Deviation {
        guide: "an EC2 instance with SSH (22), HTTP (80) and HTTPS (443) open inbound, all traffic outbound, and a role on the uploads bucket",
        harden: "left out",
        reason: "nothing in the architecture needs it (the endpoint is invoked through the SageMaker Runtime API), and SSH open to the world fails CIS 5.2 (Security Hub EC2.53)",
    },
    Deviation {
        guide: "a KMS key deletion window of 7 days, and a key policy giving the account root `kms:*`",
        harden: "a 30-day deletion window at every tier, and a key policy that lists administration actions one by one and lets only the execution role, and this account through S3, SageMaker, CloudWatch Logs and the alarms, use the key",
        reason: "the key encrypts all of the workload's data: 30 days, the maximum, is the longest time to notice and cancel an accidental or malicious deletion; `kms:*` to the root would let any principal with KMS permissions in the account administer and use the key",
    },
    Deviation {
        guide: "the uploads bucket encrypted with SSE-S3 (AES256)",
        harden: "SSE-KMS with the workload's customer-managed key, with an S3 bucket key",
        reason: "a customer key puts every read under the key policy and records each use in CloudTrail; the bucket key keeps the KMS request cost down",
    },
    Deviation {
        guide: "the execution role's trust policy lets sagemaker.amazonaws.com assume it without conditions",
        harden: "the trust policy requires `aws:SourceAccount` to be this account",
        reason: "confused-deputy protection: SageMaker can assume the role only on behalf of this account",
    },
    Deviation {
        guide: "endpoints encrypted with the KMS key, and an AWS Config check that flags those without one",
        harden: "on instance types with local NVMe storage (ml.g5, ml.p4d, ml.m5d...) the endpoint configuration has no KmsKeyId; at enterprise a Security Hub automation rule suppresses the Config rule's finding for exactly that configuration, with the reason as the finding's note",
        reason: "SageMaker rejects a KmsKeyId for instance types with local storage, which the instance's hardware module encrypts",
    },
    Deviation {
        guide: "CloudWatch alarms on unauthorized API calls and root account usage beside the endpoint's alarms",
        harden: "from enhanced, in the account baseline: CIS 4.1 and 4.3 metric filters on the trail's log group, alarming to the baseline's encrypted topic",
        reason: "both read CloudTrail, which the account baseline deploys once per account and region from enhanced; at basic there is no trail to read",
    },
];

/// Reviewing the endpoint's dashboard and alarms (monthly).
pub const REVIEW_METRICS: Operation = Operation {
    item: "review the endpoint's CloudWatch dashboard (`<name>-sagemaker`: invocations, 4XX and 5XX errors, latency, utilisation) and the history of its alarms",
    cadence: Cadence::Monthly,
    from: Tier::Basic,
    command: None,
};

/// Reviewing GuardDuty findings (monthly, from enhanced).
pub const REVIEW_GUARDDUTY: Operation = Operation {
    item: "check the GuardDuty findings of the account and region",
    cadence: Cadence::Monthly,
    from: Tier::Enhanced,
    command: None,
};

/// Reviewing IAM activity in the trail (monthly, from enhanced).
pub const REVIEW_IAM_ACCESS: Operation = Operation {
    item: "review IAM access in the CloudTrail logs (the trail's log group `/aws/cloudtrail/harden-account-trail`)",
    cadence: Cadence::Monthly,
    from: Tier::Enhanced,
    command: None,
};

/// Reviewing Security Hub compliance (quarterly, from enhanced).
pub const REVIEW_SECURITY_HUB: Operation = Operation {
    item: "review Security Hub compliance (CIS v3.0 and FSBP findings): this lists the harden control, and the tier, behind each CIS and Security Hub id",
    cadence: Cadence::Quarterly,
    from: Tier::Enhanced,
    command: Some(HardenCommand {
        verb: Verb::Controls,
        args: &[],
    }),
};

/// Reviewing Access Analyzer findings (quarterly, at enterprise).
pub const REVIEW_ACCESS_ANALYZER: Operation = Operation {
    item: "review the IAM Access Analyzer findings (resources shared outside the account)",
    cadence: Cadence::Quarterly,
    from: Tier::Enterprise,
    command: None,
};

/// The compliance audit (annually).
pub const COMPLIANCE_AUDIT: Operation = Operation {
    item: "compliance audit: the controls harden applies at your tier, with their CIS v3.0 and Security Hub ids, for the auditor",
    cadence: Cadence::Annually,
    from: Tier::Basic,
    command: Some(HardenCommand {
        verb: Verb::Controls,
        args: &["--format", "json"],
    }),
};

/// The immediate actions on a security event.
pub const INCIDENT_TRIAGE: Operation = Operation {
    item: "immediate actions: check the CloudWatch alarms, review the CloudTrail logs, investigate the GuardDuty findings",
    cadence: Cadence::OnIncident,
    from: Tier::Basic,
    command: None,
};

/// Containment on a security event.
pub const INCIDENT_CONTAINMENT: Operation = Operation {
    item: "containment: revoke compromised credentials (access keys, role sessions) and isolate affected resources",
    cadence: Cadence::OnIncident,
    from: Tier::Basic,
    command: None,
};

/// Lessons learned after a security event.
pub const INCIDENT_LESSONS: Operation = Operation {
    item: "document lessons learned",
    cadence: Cadence::OnIncident,
    from: Tier::Basic,
    command: None,
};

/// The AWS Support plan and emergency contacts.
pub const SUPPORT_CONTACTS: Operation = Operation {
    item: "keep the AWS Support plan and the emergency contact where the on-call team finds them, and the account's security alternate contact current",
    cadence: Cadence::KeptCurrent,
    from: Tier::Basic,
    command: None,
};

/// The guide's reviews, incident response steps and contacts, for this blueprint.
pub static OPERATIONS: &[Operation] = &[
    REVIEW_METRICS,
    REVIEW_GUARDDUTY,
    REVIEW_IAM_ACCESS,
    REVIEW_SECURITY_HUB,
    REVIEW_ACCESS_ANALYZER,
    Operation {
        item: "review security group rules: the plan shows every rule a deploy would add, change or remove against the deployed template and marks those that broaden access (changes made outside CloudFormation show in CloudFormation drift detection)",
        cadence: Cadence::Quarterly,
        from: Tier::Basic,
        command: Some(HardenCommand {
            verb: Verb::Plan,
            args: &["--detailed-exitcode"],
        }),
    },
    Operation {
        item: "penetration test the endpoint and its network, within AWS's penetration testing policy",
        cadence: Cadence::Annually,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "security architecture review: the rendered templates, with the controls, notes and deviations from the guide in their `Metadata.harden`",
        cadence: Cadence::Annually,
        from: Tier::Basic,
        command: Some(HardenCommand {
            verb: Verb::Render,
            args: &["--out", "review"],
        }),
    },
    COMPLIANCE_AUDIT,
    Operation {
        item: "security training updates for the people who run and change the workload",
        cadence: Cadence::Annually,
        from: Tier::Basic,
        command: None,
    },
    INCIDENT_TRIAGE,
    INCIDENT_CONTAINMENT,
    Operation {
        item: "recovery: restore objects from the buckets' earlier versions (kept 90 days once replaced; the buckets and the key are retained at enterprise)",
        cadence: Cadence::OnIncident,
        from: Tier::Basic,
        command: None,
    },
    Operation {
        item: "recovery: put the hardened configuration back and check that nothing in the plan broadens access",
        cadence: Cadence::OnIncident,
        from: Tier::Basic,
        command: Some(HardenCommand {
            verb: Verb::Deploy,
            args: &[],
        }),
    },
    INCIDENT_LESSONS,
    Operation {
        item: "security team contact: subscribe its address to the alert topic (and, from enhanced, the baseline's)",
        cadence: Cadence::KeptCurrent,
        from: Tier::Basic,
        command: Some(HardenCommand {
            verb: Verb::Deploy,
            args: &["--param", "alert_email=security@example.com"],
        }),
    },
    SUPPORT_CONTACTS,
];

/// The interface endpoints, beside the S3 gateway endpoint (model artifacts, and the image
/// layers ECR serves from S3): the SageMaker API and runtime (callers in the VPC), ECR's API
/// and registry (the image), and CloudWatch Logs. None for KMS or STS: with network
/// isolation the container gets no credentials and can make no call, SageMaker decrypts the
/// SSE-KMS model artifacts through S3 (which calls KMS itself) and encrypts the volumes on
/// the service side, so nothing in the subnets calls KMS or STS.
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

    fn baseline(&self) -> Option<Tier> {
        Some(Tier::Enhanced)
    }

    fn required_example(&self, tier: Tier) -> Vec<(&'static str, &'static str)> {
        // The workload's own alarm topic needs a destination at enterprise, as the baseline's.
        let mut v = account_baseline::required_alerts(tier);
        if PINNED_MODEL_IMAGE.on(tier) {
            v.insert(0, (IMAGE_TAG.spec.name, crate::params::EXAMPLE_DIGEST));
        }
        v.extend(crate::controls::replication::required_example(tier));
        v
    }

    /// The replica stack (at enterprise, in `replica_region`), then the workload's.
    fn own_stack_names(&self, name: &str) -> Vec<(String, crate::StackRole)> {
        vec![
            (
                crate::blueprint::replica_stack_name(name),
                crate::StackRole::Workload,
            ),
            (name.to_string(), crate::StackRole::Workload),
        ]
    }

    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        crate::controls::replication::purposes(
            tier,
            vec![
            "workload: VPC, endpoints, KMS key, buckets, SageMaker endpoint, dashboard and alarms",
        ],
        )
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let alerts = Alerts::of(req);
        alerts.require(tier)?;
        let instance_type = req.get(&INSTANCE_TYPE);
        let instance_count =
            req.get(&INSTANCE_COUNT)
                .unwrap_or(if sm::SAGEMAKER_MULTI_INSTANCE.on(tier) {
                    2
                } else {
                    1
                });
        let image_source = image_source(req)?;
        let immutable_tags = req.get(&IMAGE_TAG_IMMUTABLE);
        let image = model_image(&image_source, immutable_tags);
        if !image.pinned && PINNED_MODEL_IMAGE.on(tier) {
            return Err(unpinned_image(&image_source, req.given(&IMAGE_TAG), tier));
        }
        let endpoint_name = format!("{}-endpoint", req.name);
        if endpoint_name.len() > 63 {
            return Err(BlueprintError::Invalid(format!(
                "stack name `{}` is too long: the endpoint name `{endpoint_name}` must be at most 63 characters\nhint: use a name of at most 54 characters",
                req.name
            )));
        }

        let mut t = Template::new(String::new());
        let net = network(&mut t, req, InternetEgress::None);
        t.description = Some(format!(
            "harden sagemaker-vpc ({tier}): private SageMaker endpoint {endpoint_name} in {}",
            net.placement()
        ));

        // Security groups: the model talks only HTTPS, to the interface endpoints and to S3.
        let model_sg = security_group(
            &mut t,
            "ModelSecurityGroup",
            "SageMaker model containers: no inbound, HTTPS out only",
            net.vpc_id(),
        );
        let endpoint_sg = security_group(
            &mut t,
            "EndpointSecurityGroup",
            "Interface VPC endpoints: HTTPS from the model only",
            net.vpc_id(),
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
        // The key is added further down, after the execution role its policy names.
        let key_id = "DataKey";
        let key_arn = Expr::GetAtt(key_id.into(), "Arn".into());
        let s3_prefix_list = s3_prefix_list_id(&mut t, tier, key_arn.clone());
        egress(
            &mut t,
            "ModelEgressToS3",
            &model_sg,
            Peer::PrefixList(s3_prefix_list),
            443,
            "HTTPS to Amazon S3 through the gateway endpoint (its AWS-managed prefix list)",
        );

        // The execution role is created before the key so the key policy can name it.
        let endpoint_logs_name = Expr::str(format!("/aws/sagemaker/Endpoints/{endpoint_name}"));
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
                cors_origin: req.get(&CORS_ORIGIN),
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
        let repository_arn = image_source.repository_arn();
        let subnets: Vec<Expr> = net.subnets();
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
                // The helper functions' dead-letter queue.
                KeyUser::ViaService("sqs"),
                KeyUser::Logs,
                KeyUser::CloudWatchAlarms,
            ],
        );
        debug_assert_eq!(key.id(), key_id);

        vpc::flow_logs(&mut t, tier, &net, key_arn.clone());
        vpc::close_default_security_group(&mut t, tier, &net, key_arn.clone());

        // The key goes in as written (an `s3://` URL names the key itself, not a URL-encoding
        // of it), joined rather than substituted so that a `${` in a key stays literal.
        let model_data_url = req.get(&MODEL_DATA_KEY).map(|k| {
            Expr::join(
                "",
                [
                    Expr::str("s3://"),
                    model_bucket.r#ref(),
                    Expr::str(format!("/{k}")),
                ],
            )
        });
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
                tier,
                data_capture: None,
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
                dashboard_body: Some(Expr::sub(dashboard_body(
                    &endpoint_name,
                    sm::has_gpu(instance_type),
                ))),
                ..Default::default()
            },
        );
        t.res(&dash)
            .control(&crate::controls::alarms::ALARMS_WITH_ACTIONS);

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
            net.vpc_id(),
            Some(Expr::sub("${AWS::StackName}-VpcId")),
        );

        let mut notes = image_notes(&image_source, immutable_tags);
        notes.extend(alerts.notes("the alarms"));
        notes.extend(net.notes());
        crate::controls::replication::with_replicas(
            req,
            self.name(),
            vec![req.stack(t).notes(notes)],
        )
    }
}

/// Where the model image comes from: `image_uri`, or `model_repository` and `image_tag`
/// (which the kit keeps from being given with `image_uri`).
fn image_source(req: &Request) -> Result<ImageSource, BlueprintError> {
    if let Some(image) = req.get(&IMAGE_URI) {
        return Ok(ImageSource::Uri(image));
    }
    let source = ImageSource::Own {
        repository: req.get(&MODEL_REPOSITORY),
        reference: req.get(&IMAGE_TAG),
    };
    let longest = OWN_REGISTRY_MAX + source.shown().len();
    if longest > IMAGE_URI_MAX {
        return Err(BlueprintError::Invalid(format!(
            "the image `{}` is too long: with its registry, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/`, its URI can reach {longest} characters, and SageMaker takes at most {IMAGE_URI_MAX}\nhint: keep `model_repository` and `image_tag` together to at most {} characters",
            source.shown(),
            IMAGE_URI_MAX - OWN_REGISTRY_MAX
        )));
    }
    Ok(source)
}

/// The refusal of an image picked by a mutable tag at a tier that requires it pinned.
fn unpinned_image(source: &ImageSource, tag_given: bool, tier: Tier) -> BlueprintError {
    let why = format!(
        "at tier `{tier}` the model image must be pinned by its digest, because a tag can be moved to another image after this template is reviewed and a template cannot see whether the repository's tags are immutable"
    );
    let tag = source.reference().as_str();
    let repository = source.repository();
    let (param, value, fix, lookup) = match source {
        ImageSource::Own { .. } => (
            "image_tag",
            if tag_given {
                format!("the tag `{tag}`")
            } else {
                format!("the tag `{tag}` (its default)")
            },
            "`--param image_tag=sha256:DIGEST`".to_string(),
            format!("aws ecr describe-images --repository-name {repository} --image-ids imageTag={tag} --query 'imageDetails[0].imageDigest' --output text"),
        ),
        ImageSource::Uri(u) => (
            "image_uri",
            format!("`{u}`, which picks the image by the tag `{tag}`"),
            format!(
                "`--param image_uri={}.dkr.ecr.{}.{}/{repository}@sha256:DIGEST`",
                u.account, u.region, u.domain
            ),
            format!(
                "aws ecr describe-images --registry-id {} --region {} --repository-name {repository} --image-ids imageTag={tag} --query 'imageDetails[0].imageDigest' --output text",
                u.account, u.region
            ),
        ),
    };
    BlueprintError::Invalid(format!(
        "parameter `{param}` is {value}: {why}\nhint: pass {fix} (`{lookup}` prints the digest), or `--param image_tag_immutable=true` if the repository `{repository}` has immutable tags"
    ))
}

/// What the user should know about the image as rendered.
fn image_notes(source: &ImageSource, immutable_tags: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if let ImageRef::Tag(tag) = source.reference() {
        if immutable_tags {
            notes.push(format!(
                "the model image `{}` is taken as pinned by its tag `{tag}` because `image_tag_immutable=true` says its repository has immutable tags; harden cannot check that",
                source.shown()
            ));
        } else {
            let fix = match source {
                ImageSource::Own { .. } => "`--param image_tag=sha256:DIGEST`".to_string(),
                ImageSource::Uri(u) => format!(
                    "`--param image_uri={}.dkr.ecr.{}.{}/{}@sha256:DIGEST`",
                    u.account, u.region, u.domain, u.repository
                ),
            };
            notes.push(format!(
                "the model image `{}` is picked by the tag `{tag}`, which can be moved to another image without any change to this stack\nhint: pin it by digest with {fix} (required at tier `enterprise`)",
                source.shown()
            ));
        }
    }
    if let ImageSource::Uri(u) = source {
        notes.push(format!(
            "the model image is pulled from account {account} in {region}: deploy this stack in {region} (SageMaker pulls only from the endpoint's own region); if {account} is not the account you deploy to, the repository `{repository}` needs a repository policy that lets your account pull\nhint: allow `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer` and `ecr:BatchCheckLayerAvailability` to principal `arn:aws:iam::YOUR_ACCOUNT_ID:root` in that repository's policy (this stack's execution role may pull from that repository only)",
            account = u.account,
            region = u.region,
            repository = u.repository
        ));
    }
    notes
}

/// The guide's dashboard: invocations, errors, latency and instance utilisation, and on GPU
/// instance types ([`sm::has_gpu`]) GPU and GPU memory utilisation.
fn dashboard_body(endpoint: &str, gpu: bool) -> String {
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
    let mut widgets = vec![
        metric(
            "Invocations",
            &[("AWS/SageMaker", "Invocations")],
            "Sum",
            0,
            0,
        ),
        metric(
            "Errors",
            &[
                ("AWS/SageMaker", "Invocation4XXErrors"),
                ("AWS/SageMaker", "Invocation5XXErrors"),
            ],
            "Sum",
            12,
            0,
        ),
        metric(
            "Model latency (microseconds)",
            &[("AWS/SageMaker", "ModelLatency")],
            "Average",
            0,
            6,
        ),
        metric(
            "Instance utilization (%)",
            &[
                ("/aws/sagemaker/Endpoints", "CPUUtilization"),
                ("/aws/sagemaker/Endpoints", "MemoryUtilization"),
                ("/aws/sagemaker/Endpoints", "DiskUtilization"),
            ],
            "Average",
            12,
            6,
        ),
    ];
    if gpu {
        widgets.push(metric(
            "GPU and GPU memory utilization (% times the number of GPUs)",
            &[
                ("/aws/sagemaker/Endpoints", "GPUUtilization"),
                ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization"),
            ],
            "Average",
            0,
            12,
        ));
    }
    let body = serde_json::json!({ "widgets": widgets });
    serde_json::to_string(&body).expect("a JSON value serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{Node, NodeMap};

    /// The workload's template at `tier` with `params` and what the tier requires.
    fn workload(tier: Tier, params: &[(&str, &str)]) -> Node {
        let mut raw: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in SagemakerVpc.required_example(tier) {
            if !raw.iter().any(|(given, _)| given == k) {
                raw.push((k.to_string(), v.to_string()));
            }
        }
        let stacks = SagemakerVpc
            .build("sm", tier, &raw)
            .expect("builds on valid parameters");
        let s = stacks
            .iter()
            .find(|s| s.name == "sm")
            .expect("the workload stack");
        crate::cfn::to_node(&s.template).expect("renders")
    }

    fn resources(n: &Node) -> &NodeMap {
        n.get_path(&["Resources"])
            .and_then(Node::as_map)
            .expect("resources")
    }

    fn of_type<'a>(n: &'a Node, ty: &str) -> Vec<(&'a String, &'a Node)> {
        resources(n)
            .iter()
            .filter(|(_, r)| r.get_path(&["Type"]).and_then(Node::as_str) == Some(ty))
            .collect()
    }

    /// Regression guard for the "HTTPS to S3 only" rule that was an internet egress path:
    /// `ModelEgressToS3` allowed 443 to 0.0.0.0/0 while the private subnets routed 0.0.0.0/0
    /// to NAT gateways. No render, at any tier or instance type, has a way out to the internet.
    #[test]
    fn no_render_has_an_internet_egress_path() {
        for tier in Tier::ALL {
            for instance in ["ml.m5.xlarge", "ml.g5.2xlarge"] {
                let n = workload(tier, &[("instance_type", instance)]);
                for ty in [
                    "AWS::EC2::InternetGateway",
                    "AWS::EC2::VPCGatewayAttachment",
                    "AWS::EC2::NatGateway",
                    "AWS::EC2::EIP",
                    "AWS::EC2::Route",
                ] {
                    assert!(of_type(&n, ty).is_empty(), "{tier} {instance}: {ty}");
                }
                let mut rules: Vec<&Node> = of_type(&n, "AWS::EC2::SecurityGroupEgress")
                    .into_iter()
                    .filter_map(|(_, r)| r.get_path(&["Properties"]))
                    .collect();
                for (_, g) in of_type(&n, "AWS::EC2::SecurityGroup") {
                    if let Some(inline) = g
                        .get_path(&["Properties", "SecurityGroupEgress"])
                        .and_then(Node::as_seq)
                    {
                        rules.extend(inline);
                    }
                }
                assert!(!rules.is_empty());
                for rule in rules {
                    for key in ["CidrIp", "CidrIpv6"] {
                        let to = rule.get_path(&[key]).and_then(Node::as_str);
                        assert!(
                            !matches!(to, Some("0.0.0.0/0" | "::/0")),
                            "{tier} {instance}: egress to anywhere: {rule:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn model_egress_to_s3_names_the_gateway_prefix_list() {
        let n = workload(Tier::Basic, &[]);
        let rule = resources(&n)["ModelEgressToS3"]
            .get_path(&["Properties"])
            .expect("properties");
        assert_eq!(
            rule.get_path(&["DestinationPrefixListId"]),
            Some(&Node::map([(
                "Fn::GetAtt",
                Node::Seq(vec![
                    Node::Str("S3PrefixList".into()),
                    Node::Str("PrefixListId".into())
                ])
            )]))
        );
        assert_eq!(rule.get_path(&["FromPort"]), Some(&Node::Int(443)));
        let lookup = &resources(&n)["S3PrefixList"];
        assert_eq!(
            lookup
                .get_path(&["Properties", "PrefixListName", "Fn::Sub"])
                .and_then(Node::as_str),
            Some("com.amazonaws.${AWS::Region}.s3"),
            "the same service name as the gateway endpoint's"
        );
        assert_eq!(
            resources(&n)["S3GatewayEndpoint"]
                .get_path(&["Properties", "ServiceName", "Fn::Sub"])
                .and_then(Node::as_str),
            Some("com.amazonaws.${AWS::Region}.s3")
        );
        // The lookup's role may describe prefix lists, write its own logs and send to the
        // stack's helper dead-letter queue (with the key's data key through SQS), nothing else.
        let actions: Vec<&str> = resources(&n)["S3PrefixListRolePolicy"]
            .get_path(&["Properties", "PolicyDocument", "Statement"])
            .and_then(Node::as_seq)
            .expect("statements")
            .iter()
            .flat_map(|st| {
                st.get_path(&["Action"])
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
            })
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(
            actions,
            [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "sqs:SendMessage",
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "ec2:DescribePrefixLists"
            ]
        );
    }

    /// The enterprise baseline's Config rule would fail harden's own endpoint on NVMe
    /// instance types: the exception is recorded exactly there, and nowhere else.
    #[test]
    fn the_kms_rule_exception_is_recorded_only_for_nvme_types_at_enterprise() {
        let rules = |tier, instance| {
            of_type(
                &workload(tier, &[("instance_type", instance)]),
                "AWS::SecurityHub::AutomationRule",
            )
            .len()
        };
        assert_eq!(rules(Tier::Enterprise, "ml.g5.2xlarge"), 1);
        assert_eq!(rules(Tier::Enterprise, "ml.m5d.large"), 1);
        assert_eq!(rules(Tier::Enterprise, "ml.m5.xlarge"), 0, "has a KmsKeyId");
        assert_eq!(
            rules(Tier::Enhanced, "ml.g5.2xlarge"),
            0,
            "no Config rule yet"
        );
        assert_eq!(rules(Tier::Basic, "ml.g5.2xlarge"), 0, "no Config rule yet");

        let n = workload(Tier::Enterprise, &[("instance_type", "ml.g5.2xlarge")]);
        let rule = &resources(&n)["EndpointConfigKmsException"];
        let criterion = |field: &str| {
            let f = rule
                .get_path(&["Properties", "Criteria", field])
                .and_then(Node::as_seq)
                .unwrap_or_else(|| panic!("criterion {field}"));
            assert_eq!(f.len(), 1, "{field}");
            (
                f[0].get_path(&["Comparison"])
                    .and_then(Node::as_str)
                    .unwrap(),
                f[0].get_path(&["Value"]).cloned().unwrap(),
            )
        };
        assert_eq!(
            criterion("ResourceId"),
            (
                "EQUALS",
                Node::map([("Ref", Node::Str("EndpointConfig".into()))])
            )
        );
        assert_eq!(
            criterion("ProductName"),
            ("EQUALS", Node::Str("Config".into()))
        );
        assert_eq!(
            criterion("Title"),
            ("CONTAINS", Node::Str(sm::KMS_CONFIG_RULE_ID.into()))
        );
        assert_eq!(
            criterion("ComplianceStatus"),
            ("EQUALS", Node::Str("FAILED".into()))
        );
        let update = rule
            .get_path(&["Properties", "Actions"])
            .and_then(Node::as_seq)
            .and_then(|a| a.first())
            .and_then(|a| a.get_path(&["FindingFieldsUpdate"]))
            .expect("an update");
        assert_eq!(
            update
                .get_path(&["Workflow", "Status"])
                .and_then(Node::as_str),
            Some("SUPPRESSED")
        );
        assert!(update
            .get_path(&["Note", "Text"])
            .and_then(Node::as_str)
            .is_some_and(|t| t.contains("NVMe") && t.len() <= 512));
        assert!(resources(&n)["EndpointConfig"]
            .get_path(&["Properties", "KmsKeyId"])
            .is_none());
    }

    /// The exception names the baseline's rule by its logical id (CloudFormation names the
    /// rule after it): a rename in the baseline would silently unsuppress the finding.
    #[test]
    fn the_kms_rule_exception_names_the_baselines_rule() {
        let base = account_baseline::AccountBaseline
            .build_example(Tier::Enterprise)
            .expect("the baseline builds")
            .into_iter()
            .find(|s| s.name == account_baseline::STACK_NAME)
            .expect("the baseline stack");
        let n = crate::cfn::to_node(&base.template).expect("renders");
        assert_eq!(
            n.get_path(&[
                "Resources",
                sm::KMS_CONFIG_RULE_ID,
                "Properties",
                "Source",
                "SourceIdentifier"
            ])
            .and_then(Node::as_str),
            Some("SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED")
        );
        assert!(
            n.get_path(&[
                "Resources",
                sm::KMS_CONFIG_RULE_ID,
                "Properties",
                "ConfigRuleName"
            ])
            .is_none(),
            "a fixed rule name would make the title match by name instead"
        );
    }

    #[test]
    fn the_dashboard_shows_gpu_utilisation_on_gpu_types_only() {
        let body = |instance| {
            let n = workload(Tier::Basic, &[("instance_type", instance)]);
            resources(&n)["Dashboard"]
                .get_path(&["Properties", "DashboardBody", "Fn::Sub"])
                .and_then(Node::as_str)
                .expect("a dashboard body")
                .to_string()
        };
        for gpu in ["ml.g5.2xlarge", "ml.p4d.24xlarge"] {
            let b = body(gpu);
            assert!(
                b.contains("\"GPUUtilization\"") && b.contains("\"GPUMemoryUtilization\""),
                "{gpu}"
            );
        }
        for cpu in ["ml.m5.xlarge", "ml.inf2.xlarge"] {
            assert!(!body(cpu).contains("GPU"), "{cpu}");
        }
    }

    /// Each blueprint of a render lists its deviations once, in its first stack (the
    /// baseline's in the baseline stack, the workload's in the replica stack at enterprise),
    /// and no other stack repeats them (the copies pushed stacks over the body limit).
    #[test]
    fn the_first_stack_of_each_blueprint_lists_its_deviations() {
        let stacks = SagemakerVpc
            .build_example(Tier::Enterprise)
            .expect("builds");
        let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "harden-account-baseline",
                "harden-account-monitoring",
                "sagemaker-vpc-replica",
                "sagemaker-vpc"
            ]
        );
        for (i, s) in stacks.iter().enumerate() {
            let expected = if s.role == crate::StackRole::Workload {
                DEVIATIONS
            } else {
                account_baseline::DEVIATIONS
            };
            let n = crate::cfn::to_node(&s.template).expect("renders");
            let listed = n
                .get_path(&["Metadata", "harden", "Deviations"])
                .and_then(Node::as_seq);
            if i == 1 || i == 3 {
                assert!(listed.is_none(), "{}: repeats the deviations", s.name);
                continue;
            }
            let listed = listed.unwrap_or_else(|| panic!("{}: no deviations", s.name));
            assert_eq!(listed.len(), expected.len(), "{}", s.name);
            for (node, d) in listed.iter().zip(expected) {
                assert_eq!(
                    node.get_path(&["Guide"]).and_then(Node::as_str),
                    Some(d.guide)
                );
                assert_eq!(
                    node.get_path(&["Harden"]).and_then(Node::as_str),
                    Some(d.harden)
                );
                assert_eq!(
                    node.get_path(&["Reason"]).and_then(Node::as_str),
                    Some(d.reason)
                );
            }
        }
    }
}
