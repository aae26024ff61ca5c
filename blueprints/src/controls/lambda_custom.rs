//! The building block behind controls CloudFormation has no resource type for (the default
//! security group lockdown, the account password policy): a small inline Lambda function with
//! its own encrypted log group and least-privilege role, and the custom resource that calls it.
//!
//! Each such function has a small reserved concurrency (it runs once per stack operation or
//! schedule tick, so a runaway caller cannot make it take the account's pool) and sends the
//! events it failed to handle to one dead-letter queue per stack, encrypted with the stack's
//! key. CloudFormation invokes a custom resource's function asynchronously: a request that
//! still fails after Lambda's retries is kept there for 14 days to be read back, beside the
//! stack event that says the resource failed.

use indexmap::IndexMap;

use crate::cfn::custom::CustomResource;
use crate::cfn::generated::lambda::{self, function as f};
use crate::cfn::generated::sqs;
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::lambda_function::dead_letter_queue;
use crate::controls::log_group::{log_group, streams_arn};
use crate::rules::{compute, Rule};
use crate::tier::Tier;

/// The Python runtime of harden's inline functions: the newest (`lambda-runtime-current`),
/// deprecated by AWS on 2029-06-30.
pub const RUNTIME: &str = "python3.14";

/// Reserved concurrency of each inline function: it runs once per stack operation (or once
/// per schedule tick), so two leave room for a replacement's create beside the old one's
/// delete, and no more can be taken from the account's unreserved pool.
pub const RESERVED_CONCURRENCY: i64 = 2;

/// The logical id of the stack's one dead-letter queue for its inline functions.
pub const DEAD_LETTER_QUEUE: &str = "HelperDeadLetterQueue";

/// What one custom resource does.
pub struct CustomSpec<'a> {
    /// Logical id prefix: `<id>Function`, `<id>Role`, `<id>Logs`, and `<id>` for the resource.
    pub id: &'a str,
    /// `Custom::Name`
    pub type_name: &'static str,
    /// What the function does, for its description.
    pub description: &'a str,
    /// The function's Python source (uses `cfnresponse`, which inline code has).
    pub code: &'static str,
    /// Permissions on named resources.
    pub statements: Vec<Statement>,
    /// Permissions the API grants only on `*`, with the reason.
    pub wildcards: Vec<Wildcard>,
    /// The properties passed to the function.
    pub properties: IndexMap<String, Expr>,
    /// The KMS key ARN for its log group.
    pub key_arn: Expr,
    /// The control the resource implements.
    pub control: &'static crate::control::Control,
}

/// One of harden's small inline functions (Python, `index.handler`, 128 MB, reserved
/// concurrency [`RESERVED_CONCURRENCY`]), with its own encrypted log group
/// `/aws/lambda/<stack>-<id>`, the stack's helper dead-letter queue, and a least-privilege
/// role that writes only there: what a custom resource's function and a scheduled check share.
pub struct InlineFunction<'a> {
    /// Logical id prefix: `<id>Function`, `<id>Role`, `<id>Logs`.
    pub id: &'a str,
    /// What the role is for.
    pub role_description: &'a str,
    /// The function's description.
    pub description: &'a str,
    /// The Python source.
    pub code: &'static str,
    /// Seconds it may run.
    pub timeout: i64,
    /// Environment variables, if any.
    pub environment: Option<Expr>,
    /// Permissions on named resources, beside writing its own logs.
    pub statements: Vec<Statement>,
    /// Permissions the API grants only on `*`, with the reason.
    pub wildcards: Vec<Wildcard>,
    /// The KMS key ARN for its log group.
    pub key_arn: Expr,
    /// The control the function implements.
    pub control: &'static crate::control::Control,
    /// Checkov rules that do not apply to it, with the reason written on the function.
    pub exceptions: &'a [(&'static Rule, &'static str)],
}

/// What [`inline_function`] added.
pub struct Inline {
    /// The function.
    pub function: Handle<lambda::Function>,
    /// Its role.
    pub role: crate::controls::iam_role::Role,
    /// Its log group.
    pub logs: Handle<crate::cfn::generated::logs::LogGroup>,
}

/// The stack's dead-letter queue for its inline functions ([`DEAD_LETTER_QUEUE`]), added by
/// the first function that needs it: encrypted with `key_arn`, hardened as a backend
/// function's own ([`dead_letter_queue`]). It is added outside any condition scope, so a
/// function under a condition and one without share it.
fn helper_dead_letter_queue(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
    control: &'static crate::control::Control,
) -> Handle<sqs::Queue> {
    let dlq = match t.handle::<sqs::Queue>(DEAD_LETTER_QUEUE) {
        Some(dlq) => dlq,
        None => t.scoped(None, |t| {
            dead_letter_queue(t, tier, DEAD_LETTER_QUEUE, key_arn, control)
        }),
    };
    t.res(&dlq).control(control);
    if let Some(policy) = t.handle::<sqs::QueuePolicy>(&format!("{DEAD_LETTER_QUEUE}Policy")) {
        t.res(&policy).control(control);
    }
    dlq
}

/// What a function needs to send to a dead-letter queue encrypted with `key_arn`: the queue,
/// and the data key SQS asks KMS for on its behalf (only through SQS).
fn send_to_dead_letter_queue(dlq: &Handle<sqs::Queue>, key_arn: Expr) -> [Statement; 2] {
    [
        Statement::allow("SendDeadLetters")
            .actions(["sqs:SendMessage"])
            .resource(dlq.get_att(sqs::QueueAttr::Arn)),
        Statement::allow("DeadLetterKey")
            .actions(["kms:Decrypt", "kms:GenerateDataKey"])
            .resource(key_arn)
            .condition(
                "StringEquals",
                "kms:ViaService",
                Expr::sub("sqs.${AWS::Region}.amazonaws.com"),
            ),
    ]
}

/// Adds an inline function, its log group and its role (and the stack's helper dead-letter
/// queue if it has none yet). The stack key's policy must let this account use the key
/// through SQS (`KeyUser::ViaService("sqs")`).
pub fn inline_function(t: &mut Template, tier: Tier, spec: InlineFunction<'_>) -> Inline {
    let logs = log_group(
        t,
        tier,
        &format!("{}Logs", spec.id),
        Expr::sub(format!("/aws/lambda/${{AWS::StackName}}-{}", spec.id)),
        spec.key_arn.clone(),
    );
    let dlq = helper_dead_letter_queue(t, tier, spec.key_arn.clone(), spec.control);
    let mut statements = vec![Statement::allow("WriteOwnLogs")
        .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
        .resource(streams_arn(&logs))];
    statements.extend(send_to_dead_letter_queue(&dlq, spec.key_arn));
    statements.extend(spec.statements);
    let role = service_role(
        t,
        &format!("{}Role", spec.id),
        spec.role_description,
        "lambda.amazonaws.com",
        false,
        statements,
        spec.wildcards,
    );
    let function = t.add(
        format!("{}Function", spec.id),
        lambda::Function {
            description: Some(spec.description.into()),
            runtime: Some(RUNTIME.into()),
            handler: Some("index.handler".into()),
            code: Some(f::Code {
                zip_file: Some(spec.code.into()),
                ..Default::default()
            }),
            role: Some(role.arn()),
            timeout: Some(spec.timeout.into()),
            memory_size: Some(128.into()),
            reserved_concurrent_executions: Some(RESERVED_CONCURRENCY.into()),
            dead_letter_config: Some(f::DeadLetterConfig {
                target_arn: Some(dlq.get_att(sqs::QueueAttr::Arn)),
            }),
            environment: spec.environment.map(|variables| f::Environment {
                variables: Some(variables),
            }),
            logging_config: Some(f::LoggingConfig {
                log_group: Some(logs.r#ref()),
                log_format: Some("JSON".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    // Every part of the function serves its control: the report lists them under it.
    t.res(&logs).control(spec.control);
    t.res(&role.role).control(spec.control);
    t.res(&role.policy).control(spec.control);
    let r = t.res(&function);
    r.control(spec.control)
        .depends_on(role.policy.id())
        .except(
            &compute::LAMBDA_TRACING,
            "a deployment helper: its log group and CloudTrail record each run; X-Ray would need a write permission on `*`",
        );
    for (rule, reason) in spec.exceptions {
        r.except(rule, *reason);
    }
    Inline {
        function,
        role,
        logs,
    }
}

/// Adds the function, its log group and role, and the custom resource.
pub fn custom_resource(
    t: &mut Template,
    tier: Tier,
    spec: CustomSpec<'_>,
) -> Handle<CustomResource> {
    let Inline { function, role, .. } = inline_function(
        t,
        tier,
        InlineFunction {
            id: spec.id,
            role_description: spec.description,
            description: spec.description,
            code: spec.code,
            timeout: 120,
            environment: None,
            statements: spec.statements,
            wildcards: spec.wildcards,
            key_arn: spec.key_arn,
            control: spec.control,
            exceptions: &[
                (&compute::LAMBDA_IN_VPC, "calls only AWS control-plane APIs and holds no data: a VPC would add NAT cost and no protection"),
            ],
        },
    );
    let cr = t.add(
        spec.id,
        CustomResource {
            type_name: spec.type_name,
            service_token: function.get_att(lambda::FunctionAttr::Arn),
            properties: spec.properties,
        },
    );
    t.res(&cr)
        .control(spec.control)
        .depends_on(role.policy.id());
    cr
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};
    use crate::controls::vpc::{DEFAULT_SG_CLOSED, PRIVATE_NETWORK};

    const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/k";

    fn add(t: &mut Template, id: &str, control: &'static crate::control::Control) {
        inline_function(
            t,
            Tier::Enterprise,
            InlineFunction {
                id,
                role_description: "test",
                description: "test",
                code: "def handler(event, context):\n    pass\n",
                timeout: 60,
                environment: None,
                statements: Vec::new(),
                wildcards: Vec::new(),
                key_arn: Expr::str(KEY),
                control,
                exceptions: &[],
            },
        );
    }

    fn statements<'a>(n: &'a Node, policy: &str) -> &'a [Node] {
        n.get_path(&[
            "Resources",
            policy,
            "Properties",
            "PolicyDocument",
            "Statement",
        ])
        .and_then(Node::as_seq)
        .expect("statements")
    }

    /// CKV_AWS_115 and CKV_AWS_116 are met, not excepted: every inline function has reserved
    /// concurrency, a current runtime and the stack's one dead-letter queue, encrypted with
    /// the stack's key and denying requests without TLS.
    #[test]
    fn inline_functions_share_one_encrypted_dead_letter_queue_and_reserve_concurrency() {
        let mut t = Template::new("test");
        add(&mut t, "First", &PRIVATE_NETWORK);
        // A function under a condition shares the queue, which stays unconditional.
        t.condition("Cond", Expr::Bool(true));
        t.scoped(Some("Cond"), |t| add(t, "Second", &DEFAULT_SG_CLOSED));
        let n = to_node(&t).expect("renders");
        let resources = n.get_path(&["Resources"]).expect("resources");
        let queues: Vec<&str> = t
            .resources
            .iter()
            .filter(|(_, r)| r.type_name() == "AWS::SQS::Queue")
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(queues, [DEAD_LETTER_QUEUE]);
        let q = &t.resources[DEAD_LETTER_QUEUE];
        assert_eq!(q.condition, None);
        assert!(q.controls.contains(&PRIVATE_NETWORK.id));
        assert!(q.controls.contains(&DEFAULT_SG_CLOSED.id));
        assert_eq!(
            resources
                .get_path(&[DEAD_LETTER_QUEUE, "Properties", "KmsMasterKeyId"])
                .and_then(Node::as_str),
            Some(KEY)
        );
        let deny = &statements(&n, "HelperDeadLetterQueuePolicy")[0];
        assert_eq!(
            deny.get_path(&["Condition", "Bool", "aws:SecureTransport"]),
            Some(&Node::Bool(false))
        );
        for id in ["First", "Second"] {
            let p = resources
                .get_path(&[&format!("{id}Function"), "Properties"])
                .expect("function");
            assert_eq!(
                p.get_path(&["Runtime"]).and_then(Node::as_str),
                Some(RUNTIME)
            );
            assert_eq!(
                p.get_path(&["ReservedConcurrentExecutions"]),
                Some(&Node::Int(RESERVED_CONCURRENCY))
            );
            assert_eq!(
                p.get_path(&["DeadLetterConfig", "TargetArn", "Fn::GetAtt"])
                    .and_then(Node::as_seq)
                    .and_then(|s| s.first())
                    .and_then(Node::as_str),
                Some(DEAD_LETTER_QUEUE)
            );
            // Its role may send there, and use the key only through SQS for it.
            let st = statements(&n, &format!("{id}RolePolicy"));
            let sid = |s: &str| {
                st.iter()
                    .find(|x| x.get_path(&["Sid"]).and_then(Node::as_str) == Some(s))
                    .unwrap_or_else(|| panic!("{id}: no statement {s}"))
            };
            let first = |s: &Node| {
                s.get_path(&["Resource"])
                    .and_then(Node::as_seq)
                    .and_then(|r| r.first())
                    .cloned()
                    .expect("a resource")
            };
            assert_eq!(
                first(sid("SendDeadLetters"))
                    .get_path(&["Fn::GetAtt"])
                    .and_then(Node::as_seq)
                    .and_then(|s| s.first())
                    .and_then(Node::as_str),
                Some(DEAD_LETTER_QUEUE)
            );
            let kms = sid("DeadLetterKey");
            assert_eq!(first(kms).as_str(), Some(KEY));
            assert!(kms
                .get_path(&["Condition", "StringEquals", "kms:ViaService", "Fn::Sub"])
                .is_some());
        }
    }
}
