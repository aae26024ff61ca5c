//! The building block behind controls CloudFormation has no resource type for (the default
//! security group lockdown, the account password policy): a small inline Lambda function with
//! its own encrypted log group and least-privilege role, and the custom resource that calls it.

use indexmap::IndexMap;

use crate::cfn::custom::CustomResource;
use crate::cfn::generated::lambda::{self, function as f};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Judge, Template};
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::log_group::{log_group, streams_arn};
use crate::tier::Tier;

/// The Python runtime of harden's inline functions.
pub const RUNTIME: &str = "python3.12";

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

/// One of harden's small inline functions (Python, `index.handler`, 128 MB), with its own
/// encrypted log group `/aws/lambda/<stack>-<id>` and a least-privilege role that writes only
/// there: what a custom resource's function and a scheduled check share.
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
    pub exceptions: &'a [(&'static str, &'static str)],
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

/// Adds an inline function, its log group and its role.
pub fn inline_function(t: &mut Template, tier: Tier, spec: InlineFunction<'_>) -> Inline {
    let logs = log_group(
        t,
        tier,
        &format!("{}Logs", spec.id),
        Expr::sub(format!("/aws/lambda/${{AWS::StackName}}-{}", spec.id)),
        spec.key_arn,
    );
    let mut statements = vec![Statement::allow("WriteOwnLogs")
        .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
        .resource(streams_arn(&logs))];
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
    let r = t.res(&function);
    r.control(spec.control).depends_on(role.policy.id());
    for (rule, reason) in spec.exceptions {
        r.suppress(Judge::Checkov, rule, *reason);
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
                ("CKV_AWS_115", "invoked only by CloudFormation during stack operations; reserving concurrency would take it from the account's unreserved pool"),
                ("CKV_AWS_116", "invoked synchronously by CloudFormation, which reports a failure itself: nothing is left for a dead-letter queue"),
                ("CKV_AWS_117", "calls only AWS control-plane APIs and holds no data: a VPC would add NAT cost and no protection"),
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
