//! A Lambda function whose code the user supplies (a zip in S3 or a container image), hardened
//! around that code: a least-privilege role (its own log streams, its dead-letter queue,
//! X-Ray, and only what the caller lists), its own log group encrypted with the stack's key
//! and kept for the tier's retention, reserved concurrency (a runaway caller cannot take the
//! account's whole pool, and a budget cannot be exceeded by it), a dead-letter queue encrypted
//! with the stack's key for events that fail asynchronously, active X-Ray tracing,
//! environment variables encrypted with the stack's key, and from enhanced a place in the
//! VPC's private subnets (so it reaches the data stores through their VPC endpoints only).
//!
//! harden's own inline helper functions (`lambda_custom`) are a different thing: they hold no
//! data and run only during stack operations.

use crate::cfn::generated::lambda::{self, function as f};
use crate::cfn::generated::{logs, sqs};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::{service_role, Role, Wildcard};
use crate::controls::log_group::{log_group, streams_arn};
use crate::tier::Tier;

/// The control: the function and what surrounds it.
pub static BACKEND_FUNCTION: Control = Control {
    id: "backend-function",
    title: "Lambda function with a least-privilege role, its own encrypted log group, reserved concurrency, an encrypted dead-letter queue, X-Ray tracing and encrypted environment",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["Lambda.1", "Lambda.2", "SQS.1"],
};

/// The control for running the function in the VPC's private subnets.
pub static FUNCTION_IN_VPC: Control = Control {
    id: "function-in-vpc",
    title: "Lambda function in private subnets of several Availability Zones, reaching AWS through VPC endpoints",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["Lambda.3", "Lambda.5"],
};

/// Where the function's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A zip file in S3 (`s3://bucket/key`), run by a managed runtime.
    Zip {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
        /// The managed runtime (`python3.13`).
        runtime: String,
        /// The handler (`app.handler`).
        handler: String,
    },
    /// A container image (an ECR image URI).
    Image(String),
    /// Python source written into the template (`ZipFile`), for a placeholder until the user
    /// supplies code: run by `python3.13` as `index.handler`.
    Inline(&'static str),
}

/// Where in a VPC the function runs.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Private subnet ids (one per Availability Zone).
    pub subnets: Vec<Expr>,
    /// The function's security group id.
    pub security_group: Expr,
}

/// What one function is.
pub struct FunctionSpec<'a> {
    /// Logical id prefix: `<id>Function`, `<id>Role`, `<id>Logs`, `<id>DeadLetterQueue`.
    pub id: &'a str,
    /// What it does.
    pub description: &'a str,
    /// Its code.
    pub code: Code,
    /// Memory in MB.
    pub memory_mb: i64,
    /// Timeout in seconds.
    pub timeout_secs: i64,
    /// Reserved concurrency.
    pub reserved_concurrency: i64,
    /// Environment variables, in order.
    pub environment: Vec<(String, Expr)>,
    /// The permissions its code needs, on named resources.
    pub statements: Vec<Statement>,
    /// Permissions its code needs that the API grants only on `*`, with the reason.
    pub wildcards: Vec<Wildcard>,
    /// The stack key's ARN (log group, queue, environment).
    pub key_arn: Expr,
    /// The VPC placement (from enhanced), if any.
    pub vpc: Option<Placement>,
}

/// The function and what was added with it.
#[derive(Debug, Clone)]
pub struct Function {
    /// The function.
    pub function: Handle<lambda::Function>,
    /// Its execution role and policy.
    pub role: Role,
    /// Its dead-letter queue.
    pub dead_letter_queue: Handle<sqs::Queue>,
}

impl Function {
    /// `GetAtt Function.Arn`
    pub fn arn(&self) -> Expr {
        self.function.get_att(lambda::FunctionAttr::Arn)
    }
}

/// The log group name of a function added with this id prefix.
pub fn log_group_name(id: &str) -> Expr {
    Expr::sub(format!("/aws/lambda/${{AWS::StackName}}-{id}"))
}

/// What surrounds a function and may live in another stack than the function (a data stack
/// that the role's resources belong to): its role, log group and dead-letter queue.
#[derive(Debug, Clone)]
pub struct Surroundings {
    /// The execution role and its policy.
    pub role: Role,
    /// The dead-letter queue.
    pub dead_letter_queue: Handle<sqs::Queue>,
    /// The log group.
    pub log_group: Handle<logs::LogGroup>,
}

/// Adds the function, its role, log group and dead-letter queue.
pub fn function(t: &mut Template, tier: Tier, mut spec: FunctionSpec<'_>) -> Function {
    let s = surroundings(t, tier, &mut spec);
    let role_arn = s.role.arn();
    let func = function_resource(
        t,
        &spec,
        role_arn,
        Some(s.role.policy.id()),
        s.dead_letter_queue.get_att(sqs::QueueAttr::Arn),
        s.log_group.r#ref(),
    );
    Function {
        function: func,
        role: s.role,
        dead_letter_queue: s.dead_letter_queue,
    }
}

/// Adds the role, log group and dead-letter queue of a function (the statements and wildcards
/// of `spec` are taken).
pub fn surroundings(t: &mut Template, tier: Tier, spec: &mut FunctionSpec<'_>) -> Surroundings {
    let logs = log_group(
        t,
        tier,
        &format!("{}Logs", spec.id),
        log_group_name(spec.id),
        spec.key_arn.clone(),
    );
    let dlq = dead_letter_queue(
        t,
        tier,
        &format!("{}DeadLetterQueue", spec.id),
        spec.key_arn.clone(),
        &BACKEND_FUNCTION,
    );
    let dlq_arn = dlq.get_att(sqs::QueueAttr::Arn);
    let mut statements = vec![
        Statement::allow("WriteOwnLogs")
            .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
            .resource(streams_arn(&logs)),
        Statement::allow("SendToDeadLetterQueue")
            .actions(["sqs:SendMessage"])
            .resource(dlq_arn.clone()),
    ];
    statements.extend(std::mem::take(&mut spec.statements));
    let mut wildcards = vec![Wildcard {
        statement: Statement::allow("XRayTraces")
            .actions(["xray:PutTraceSegments", "xray:PutTelemetryRecords"])
            .resource(Expr::str("*")),
        reason: "X-Ray's trace upload actions support no resource-level permissions",
    }];
    if let Some(vpc) = &spec.vpc {
        let mut eni = vec![Expr::sub(
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*",
        )];
        eni.extend(vpc.subnets.iter().map(|s| {
            Expr::sub_with(
                "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/${Id}",
                [("Id", s.clone())],
            )
        }));
        eni.push(Expr::sub_with(
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Id}",
            [("Id", vpc.security_group.clone())],
        ));
        statements.push(
            Statement::allow("NetworkInterfacesInOwnSubnets")
                .actions([
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:UnassignPrivateIpAddresses",
                ])
                .resources(eni),
        );
        wildcards.push(Wildcard {
            statement: Statement::allow("DescribeNetwork")
                .actions([
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                ])
                .resource(Expr::str("*")),
            reason: "EC2 Describe actions support no resource-level permissions",
        });
    }
    wildcards.extend(std::mem::take(&mut spec.wildcards));
    let role = service_role(
        t,
        &format!("{}Role", spec.id),
        spec.description,
        "lambda.amazonaws.com",
        false,
        statements,
        wildcards,
    );
    Surroundings {
        role,
        dead_letter_queue: dlq,
        log_group: logs,
    }
}

/// Adds a dead-letter queue `id` encrypted with `key_arn` (data keys reused for SQS's default
/// five minutes), keeping messages for the 14 days SQS allows at most, kept per the tier's retain
/// policy, with a queue policy `<id>Policy` that denies any request not over TLS; both
/// resources record `control`.
pub fn dead_letter_queue(
    t: &mut Template,
    tier: Tier,
    id: &str,
    key_arn: Expr,
    control: &'static Control,
) -> Handle<sqs::Queue> {
    let dlq = t.add(
        id,
        sqs::Queue {
            // Data keys are reused for SQS's default five minutes.
            kms_master_key_id: Some(key_arn),
            message_retention_period: Some(1_209_600.into()),
            ..Default::default()
        },
    );
    t.res(&dlq).control(control);
    super::retain::apply(t, tier, &dlq);
    let qp = t.add(
        format!("{id}Policy"),
        sqs::QueuePolicy {
            queues: Some(Expr::list([dlq.r#ref()])),
            policy_document: Some(
                PolicyDocument::new([Statement::deny("DenyInsecureTransport")
                    .anyone()
                    .actions(["sqs:*"])
                    .resource(dlq.get_att(sqs::QueueAttr::Arn))
                    .condition("Bool", "aws:SecureTransport", Expr::Bool(false))])
                .into(),
            ),
        },
    );
    t.res(&qp).control(control);
    dlq
}

/// Adds the function itself, given its role, dead-letter queue and log group (in this stack
/// or imported from another); `role_policy` is the role's policy when it is in this stack
/// (the function waits for it).
pub fn function_resource(
    t: &mut Template,
    spec: &FunctionSpec<'_>,
    role_arn: Expr,
    role_policy: Option<&str>,
    dlq_arn: Expr,
    log_group: Expr,
) -> Handle<lambda::Function> {
    let (code, package_type, runtime, handler) = match &spec.code {
        Code::Zip {
            bucket,
            key,
            runtime,
            handler,
        } => (
            f::Code {
                s3_bucket: Some(bucket.into()),
                s3_key: Some(key.into()),
                ..Default::default()
            },
            None,
            Some(runtime.into()),
            Some(handler.into()),
        ),
        Code::Inline(source) => (
            f::Code {
                zip_file: Some((*source).into()),
                ..Default::default()
            },
            None,
            Some(super::lambda_custom::RUNTIME.into()),
            Some("index.handler".into()),
        ),
        Code::Image(uri) => (
            f::Code {
                image_uri: Some(uri.into()),
                ..Default::default()
            },
            Some("Image".into()),
            None,
            None,
        ),
    };
    let env = (!spec.environment.is_empty()).then(|| f::Environment {
        variables: Some(Expr::map(spec.environment.iter().cloned())),
    });
    let in_vpc = spec.vpc.is_some();
    let func = t.add(
        format!("{}Function", spec.id),
        lambda::Function {
            description: Some(spec.description.into()),
            code: Some(code),
            package_type,
            runtime,
            handler,
            role: Some(role_arn),
            memory_size: Some(spec.memory_mb.into()),
            timeout: Some(spec.timeout_secs.into()),
            reserved_concurrent_executions: Some(spec.reserved_concurrency.into()),
            dead_letter_config: Some(f::DeadLetterConfig {
                target_arn: Some(dlq_arn),
            }),
            tracing_config: Some(f::TracingConfig {
                mode: Some("Active".into()),
            }),
            kms_key_arn: Some(spec.key_arn.clone()),
            environment: env,
            logging_config: Some(f::LoggingConfig {
                log_group: Some(log_group),
                log_format: Some("JSON".into()),
                ..Default::default()
            }),
            recursive_loop: Some("Terminate".into()),
            vpc_config: spec.vpc.as_ref().map(|v| f::VpcConfig {
                subnet_ids: Some(Expr::List(v.subnets.clone())),
                security_group_ids: Some(Expr::list([v.security_group.clone()])),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let r = t.res(&func);
    r.control(&BACKEND_FUNCTION);
    if let Some(p) = role_policy {
        r.depends_on(p);
    }
    if in_vpc {
        r.control(&FUNCTION_IN_VPC);
    } else {
        r.except(
            &crate::rules::compute::LAMBDA_IN_VPC,
            "below the enhanced tier the function calls only AWS APIs (over TLS, signed by its role) and the tier has no VPC; it runs in private subnets from enhanced (control function-in-vpc)",
        );
    }
    func
}

/// Lets one AWS service invoke the function, only from this account and the given source
/// (an API's execution ARN pattern): the confused-deputy guard.
pub fn allow_invoke(
    t: &mut Template,
    id: &str,
    function_arn: Expr,
    service: &str,
    source_arn: Expr,
) -> Handle<lambda::Permission> {
    let h = t.add(
        id,
        lambda::Permission {
            action: Some("lambda:InvokeFunction".into()),
            function_name: Some(function_arn),
            principal: Some(service.into()),
            source_account: Some(Expr::account_id()),
            source_arn: Some(source_arn),
            ..Default::default()
        },
    );
    t.res(&h).control(&BACKEND_FUNCTION);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn build(tier: Tier, code: Code, vpc: bool) -> (Template, Node) {
        let mut t = Template::new("test");
        let vpc = vpc.then(|| Placement {
            subnets: vec![Expr::str("subnet-1"), Expr::str("subnet-2")],
            security_group: Expr::str("sg-1"),
        });
        function(
            &mut t,
            tier,
            FunctionSpec {
                id: "Backend",
                description: "test",
                code,
                memory_mb: 512,
                timeout_secs: 29,
                reserved_concurrency: 10,
                environment: vec![("TABLE".into(), Expr::str("t"))],
                statements: Vec::new(),
                wildcards: Vec::new(),
                key_arn: Expr::str("arn:aws:kms:eu-west-1:111122223333:key/k"),
                vpc,
            },
        );
        let n = to_node(&t).expect("renders");
        (t, n)
    }

    fn zip() -> Code {
        Code::Zip {
            bucket: "b".into(),
            key: "k.zip".into(),
            runtime: "python3.13".into(),
            handler: "app.handler".into(),
        }
    }

    #[test]
    fn function_has_tracing_concurrency_dead_letters_and_encrypted_environment() {
        let (_, n) = build(Tier::Basic, zip(), false);
        let p = n
            .get_path(&["Resources", "BackendFunction", "Properties"])
            .expect("function");
        assert_eq!(
            p.get_path(&["TracingConfig", "Mode"])
                .and_then(Node::as_str),
            Some("Active")
        );
        assert_eq!(
            p.get_path(&["ReservedConcurrentExecutions"]),
            Some(&Node::Int(10))
        );
        assert!(p.get_path(&["DeadLetterConfig", "TargetArn"]).is_some());
        assert!(p.get_path(&["KmsKeyArn"]).is_some());
        assert!(p.get_path(&["VpcConfig"]).is_none());
        assert!(n
            .get_path(&[
                "Resources",
                "BackendDeadLetterQueue",
                "Properties",
                "KmsMasterKeyId"
            ])
            .is_some());
    }

    #[test]
    fn image_code_has_no_runtime_or_handler() {
        let (_, n) = build(Tier::Basic, Code::Image("1.dkr.ecr/x:1".into()), false);
        let p = n
            .get_path(&["Resources", "BackendFunction", "Properties"])
            .expect("function");
        assert_eq!(
            p.get_path(&["PackageType"]).and_then(Node::as_str),
            Some("Image")
        );
        assert!(p.get_path(&["Runtime"]).is_none());
        assert!(p.get_path(&["Handler"]).is_none());
    }

    /// In a VPC, the role may create network interfaces only in its own subnets and group.
    #[test]
    fn vpc_placement_adds_the_control_and_scoped_eni_permissions() {
        let (t, n) = build(Tier::Enhanced, zip(), true);
        assert!(t.controls().contains(&FUNCTION_IN_VPC.id));
        let doc = n
            .get_path(&[
                "Resources",
                "BackendRolePolicy",
                "Properties",
                "PolicyDocument",
                "Statement",
            ])
            .and_then(Node::as_seq)
            .expect("statements");
        let eni = doc
            .iter()
            .find(|s| {
                s.get_path(&["Sid"]).and_then(Node::as_str) == Some("NetworkInterfacesInOwnSubnets")
            })
            .expect("eni statement");
        assert_eq!(
            eni.get_path(&["Resource"])
                .and_then(Node::as_seq)
                .map(<[Node]>::len),
            Some(4)
        );
        let (t, _) = build(Tier::Basic, zip(), false);
        assert!(!t.controls().contains(&FUNCTION_IN_VPC.id));
    }
}
