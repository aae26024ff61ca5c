//! Rules for compute: Lambda functions, their permissions and URLs, SageMaker models,
//! endpoint configurations and notebooks, Batch job definitions and compute environments, and
//! ECS task definitions.
//!
//! The container rules read every container a resource runs: a Batch job's
//! `ContainerProperties`, the containers of its `EcsProperties` tasks and of its
//! `NodeProperties` ranges, and an ECS task definition's `ContainerDefinitions`.

use super::ctx::{alts, get};
use super::{Alt, Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity};
use crate::cfn::Node;
use crate::controls;
use crate::tier::Tier;

const FUNCTIONS: &[&str] = &["AWS::Lambda::Function", "AWS::Serverless::Function"];
const BATCH_JOB: &[&str] = &["AWS::Batch::JobDefinition"];
const ECS_TASK: &[&str] = &["AWS::ECS::TaskDefinition"];

/// A hit for every alternative of the property at `path` in which it is absent.
fn absent(res: &Res, path: &[&str], message: &str) -> Vec<Hit> {
    res.prop(path)
        .into_iter()
        .filter(|a| a.node.is_none())
        .map(|a| Hit::at(&a.segs(), message))
        .collect()
}

/// A hit for every alternative of `alts` whose known text `bad` accepts (absent and unknown
/// values never).
fn text_is(
    ctx: &Ctx,
    alts: Vec<Alt>,
    bad: impl Fn(&str) -> bool,
    message: impl Fn(&str) -> String,
) -> Vec<Hit> {
    alts.into_iter()
        .filter_map(|a| {
            let t = ctx.text(a.node)?;
            bad(&t).then(|| Hit::at(&a.segs(), message(&t)))
        })
        .collect()
}

/// A hit for every alternative that is not known to be `true`: absent or `false` (unknown
/// never).
fn not_true(ctx: &Ctx, alts: Vec<Alt>, message: &str) -> Vec<Hit> {
    alts.into_iter()
        .filter(|a| a.node.is_none() || ctx.bool(a.node) == Some(false))
        .map(|a| Hit::at(&a.segs(), message))
        .collect()
}

/// The items of every list among `lists`, each through its own `Fn::If`, with their paths.
fn items<'t>(lists: Vec<Alt<'t>>) -> Vec<Alt<'t>> {
    let mut out = Vec::new();
    for list in lists {
        let Some(Node::Seq(seq)) = list.node else {
            continue;
        };
        for (i, item) in seq.iter().enumerate() {
            for sub in alts(item) {
                if sub.node.is_some() {
                    let mut path = list.path.clone();
                    path.push(i.to_string());
                    path.extend(sub.path);
                    out.push(Alt {
                        path,
                        node: sub.node,
                    });
                }
            }
        }
    }
    out
}

/// Every container a Batch job definition or ECS task definition runs.
fn containers<'t>(res: &Res<'t>) -> Vec<Alt<'t>> {
    let present = |v: Vec<Alt<'t>>| {
        v.into_iter()
            .filter(|a| a.node.is_some())
            .collect::<Vec<_>>()
    };
    match res.ty {
        "AWS::ECS::TaskDefinition" => items(res.prop(&["ContainerDefinitions"])),
        "AWS::Batch::JobDefinition" => {
            let mut out = present(res.prop(&["ContainerProperties"]));
            for task in items(res.prop(&["EcsProperties", "TaskProperties"])) {
                out.extend(items(below(&task, &["Containers"])));
            }
            for range in items(res.prop(&["NodeProperties", "NodeRangeProperties"])) {
                out.extend(present(below(&range, &["Container"])));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The alternatives at `path` below a value found at `at`, with full paths.
fn below<'t>(at: &Alt<'t>, path: &[&str]) -> Vec<Alt<'t>> {
    let Some(node) = at.node else {
        return Vec::new();
    };
    get(node, path)
        .into_iter()
        .map(|a| {
            let mut p = at.path.clone();
            p.extend(a.path);
            Alt {
                path: p,
                node: a.node,
            }
        })
        .collect()
}

/// The property `key` of every container.
fn container_prop<'t>(res: &Res<'t>, key: &str) -> Vec<Alt<'t>> {
    containers(res)
        .iter()
        .flat_map(|c| below(c, &[key]))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Secrets in environment variables.

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'=')
}

/// Whether a value looks like a credential, after checkov's `aws` and `general` patterns
/// (`checkov/common/util/secrets.py`): an access key id, a 40-character secret access key
/// standing alone or after `key =`, an account id after `account_id =`, a PEM private key.
/// An MD5 or SHA-1 hash in hex is not one, as in checkov.
pub(crate) fn looks_secret(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |n: usize| b.len() == n && b.iter().all(u8::is_ascii_hexdigit);
    if hex(32) || hex(40) {
        return false;
    }
    // A run of exactly 40 key characters.
    let mut i = 0;
    while i < b.len() {
        if is_key_char(b[i]) {
            let start = i;
            while i < b.len() && is_key_char(b[i]) {
                i += 1;
            }
            if i - start == 40 {
                return true;
            }
        } else {
            i += 1;
        }
    }
    // An access key id.
    const PREFIXES: &[&str] = &[
        "AKIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ASIA",
    ];
    let upper_digit = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    for start in 0..b.len() {
        let rest = &b[start..];
        let prefix = PREFIXES.iter().any(|p| rest.starts_with(p.as_bytes()))
            || (rest.starts_with(b"A3T") && rest.get(3).is_some_and(upper_digit));
        if prefix && rest.len() >= 20 && rest[4..20].iter().all(upper_digit) {
            return true;
        }
    }
    // `key = <40 or more>` and `account_id = 1234-5678-9012`.
    let lower = s.to_ascii_lowercase();
    let after_assign = |from: usize| -> Option<&[u8]> {
        let mut j = from;
        let skip_ws = |j: &mut usize| {
            while *j < b.len() && b[*j].is_ascii_whitespace() {
                *j += 1;
            }
        };
        if j < b.len() && matches!(b[j], b'"' | b'\'') {
            j += 1;
        }
        skip_ws(&mut j);
        if b[j..].starts_with(b"=>") {
            j += 2;
        } else if j < b.len() && matches!(b[j], b':' | b'=') {
            j += 1;
        } else {
            return None;
        }
        skip_ws(&mut j);
        if j < b.len() && matches!(b[j], b'"' | b'\'') {
            j += 1;
        }
        Some(&b[j..])
    };
    for (at, _) in lower.match_indices("key") {
        if let Some(v) = after_assign(at + 3) {
            if v.iter().take_while(|c| is_key_char(**c)).count() >= 40 {
                return true;
            }
        }
    }
    for (at, _) in lower.match_indices("account") {
        let mut j = at + 7;
        if b.get(j) == Some(&b'_') {
            j += 1;
        }
        if lower[j..].starts_with("id") {
            j += 2;
        }
        if let Some(v) = after_assign(j) {
            let digits: Vec<u8> = v
                .iter()
                .take(14)
                .copied()
                .take_while(|c| c.is_ascii_digit() || *c == b'-')
                .filter(u8::is_ascii_digit)
                .collect();
            if digits.len() >= 12 {
                return true;
            }
        }
    }
    s.contains("-----BEGIN ") && s.contains("PRIVATE KEY-----")
}

/// The environment variables of a function, by alternative: `(path, name, value)`.
fn variables<'t>(res: &Res<'t>) -> Vec<(Vec<String>, &'t str, Alt<'t>)> {
    let mut out = Vec::new();
    for vars in res.prop(&["Environment", "Variables"]) {
        let Some(Node::Map(m)) = vars.node else {
            continue;
        };
        for (name, value) in m {
            for sub in alts(value) {
                let mut path = vars.path.clone();
                path.push(name.clone());
                path.extend(sub.path.clone());
                out.push((
                    path.clone(),
                    name.as_str(),
                    Alt {
                        path,
                        node: sub.node,
                    },
                ));
            }
        }
    }
    out
}

fn secret_value(ctx: &Ctx, value: Option<&Node>) -> bool {
    ctx.text(value)
        .is_some_and(|t| !(t.starts_with("handler.") || t.starts_with("git.")) && looks_secret(&t))
}

fn lambda_env_no_secrets(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    variables(res)
        .into_iter()
        .filter(|(_, _, v)| secret_value(ctx, v.node))
        .map(|(path, name, _)| {
            Hit::at(
                &path,
                format!("environment variable `{name}` holds what looks like a credential"),
            )
        })
        .collect()
}

/// No credential written into a function's environment.
pub static LAMBDA_ENV_NO_SECRETS: Rule = Rule {
    id: "lambda-env-no-secrets",
    title: "No credentials in a Lambda function's environment variables",
    severity: Severity::High,
    rationale: "Environment variables are shown to anyone who can read the function's configuration (`lambda:GetFunction`) and are kept in the template, its history and every copy of it; a key written there is a key leaked.",
    remediation: "Keep the secret in `AWS::SecretsManager::Secret` (or an SSM SecureString), put its ARN in the variable, and let the function read it with `secretsmanager:GetSecretValue` on that ARN.",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["IA-5(7)", "SC-28"],
        pci: &["8.3.2"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_45"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: lambda_env_no_secrets,
};

// ---------------------------------------------------------------------------------------------
// Function settings.

fn lambda_reserved_concurrency(_: &Ctx, res: &Res) -> Vec<Hit> {
    absent(
        res,
        &["ReservedConcurrentExecutions"],
        "no `ReservedConcurrentExecutions`: the function can take the account's whole concurrency",
    )
}

/// A function has reserved concurrency.
pub static LAMBDA_RESERVED_CONCURRENCY: Rule = Rule {
    id: "lambda-reserved-concurrency",
    title: "Lambda functions reserve their concurrency",
    severity: Severity::Low,
    rationale: "Without a reserved limit one function flooded with events can use the account's whole concurrency and starve every other function, and its cost has no ceiling.",
    remediation: "Set `ReservedConcurrentExecutions` to the most instances the function should run at once.",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: Some(&controls::lambda_function::BACKEND_FUNCTION),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-5"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_115"],
        cfn_lint: &[],
        cfn_nag: &["W92"],
        cdk_nag: &[],
        guard: &["LAMBDA_CONCURRENCY_CHECK"],
    },
    check: lambda_reserved_concurrency,
};

fn lambda_dead_letter_queue(_: &Ctx, res: &Res) -> Vec<Hit> {
    let path: &[&str] = if res.ty == "AWS::Serverless::Function" {
        &["DeadLetterQueue", "TargetArn"]
    } else {
        &["DeadLetterConfig", "TargetArn"]
    };
    absent(
        res,
        path,
        "no dead-letter queue: asynchronous events that keep failing are dropped",
    )
}

/// A function has a dead-letter queue.
pub static LAMBDA_DEAD_LETTER_QUEUE: Rule = Rule {
    id: "lambda-dead-letter-queue",
    title: "Lambda functions have a dead-letter queue",
    severity: Severity::Low,
    rationale: "An asynchronous event that fails every retry is discarded unless a dead-letter queue keeps it: the failure leaves no trace to investigate or replay.",
    remediation: "Set `DeadLetterConfig.TargetArn` to an encrypted `AWS::SQS::Queue` (or SNS topic) and allow the role `sqs:SendMessage` on it.",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: Some(&controls::lambda_function::BACKEND_FUNCTION),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SI-11"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_116"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["LAMBDA_DLQ_CHECK"],
    },
    check: lambda_dead_letter_queue,
};

fn lambda_in_vpc(_: &Ctx, res: &Res) -> Vec<Hit> {
    absent(
        res,
        &["VpcConfig"],
        "no `VpcConfig`: the function reaches the internet and AWS from outside the VPC",
    )
}

/// A function runs in the VPC.
pub static LAMBDA_IN_VPC: Rule = Rule {
    id: "lambda-in-vpc",
    title: "Lambda functions run in the VPC",
    severity: Severity::Medium,
    rationale: "A function outside the VPC has open egress to the internet and cannot be reached through, or held to, VPC endpoints, security groups and flow logs.",
    remediation: "Set `VpcConfig` with private `SubnetIds` in several Availability Zones and a `SecurityGroupIds` group with only the egress the function needs.",
    resource_types: FUNCTIONS,
    tier: Tier::Enhanced,
    control: Some(&controls::lambda_function::FUNCTION_IN_VPC),
    cis: &[],
    security_hub: &["Lambda.3"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.3.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_117"],
        cfn_lint: &[],
        cfn_nag: &["W89"],
        cdk_nag: &[],
        guard: &["LAMBDA_INSIDE_VPC"],
    },
    check: lambda_in_vpc,
};

fn lambda_env_encryption(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let has_vars = res
        .prop(&["Environment", "Variables"])
        .iter()
        .any(|a| a.node.and_then(Node::as_map).is_some_and(|m| !m.is_empty()));
    if !has_vars {
        return Vec::new();
    }
    customer_key(
        ctx,
        res,
        "KmsKeyArn",
        "environment variables without `KmsKeyArn`: they are encrypted with the AWS managed key only",
    )
}

/// A function's environment is encrypted with a customer managed key.
pub static LAMBDA_ENV_ENCRYPTION: Rule = Rule {
    id: "lambda-env-encryption",
    title: "Lambda environment variables are encrypted with a customer managed key",
    severity: Severity::Medium,
    rationale: "With the default AWS managed key, anyone allowed to read the function's configuration reads its environment; a customer managed key's policy decides who can decrypt it, and CloudTrail records each use.",
    remediation: "Set `KmsKeyArn` to an `AWS::KMS::Key` of the template (`Fn::GetAtt [Key, Arn]`) whose policy allows the function's role `kms:Decrypt`.",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: Some(&controls::lambda_function::BACKEND_FUNCTION),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-28", "SC-12"],
        pci: &["3.5.1"],
        hipaa: &["164.312(a)(2)(iv)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_173"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: lambda_env_encryption,
};

/// The runtimes checkov 3.3.30 reports as deprecated (`DeprecatedLambdaRuntime.py`,
/// CKV_AWS_363), in its order.
pub const DEPRECATED_RUNTIMES: &[&str] = &[
    "dotnetcore3.1",
    "nodejs12.x",
    "python3.6",
    "python2.7",
    "dotnet5.0",
    "dotnetcore2.1",
    "ruby2.5",
    "nodejs10.x",
    "nodejs8.10",
    "nodejs4.3",
    "nodejs6.10",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "nodejs4.3-edge",
    "nodejs",
    "java8",
    "python3.7",
    "go1.x",
    "provided",
    "ruby2.7",
    "nodejs14.x",
    "nodejs16.x",
    "python3.9",
    "dotnet7",
    "dotnet6",
];

fn lambda_runtime_supported(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    text_is(
        ctx,
        res.prop(&["Runtime"]),
        |t| DEPRECATED_RUNTIMES.contains(&t),
        |t| format!("runtime `{t}` is deprecated: it gets no more security patches"),
    )
}

/// A function's runtime is not deprecated.
pub static LAMBDA_RUNTIME_SUPPORTED: Rule = Rule {
    id: "lambda-runtime-supported",
    title: "Lambda functions do not run on a deprecated runtime",
    severity: Severity::Medium,
    rationale: "A deprecated runtime gets no security patches for its language or operating system, and soon cannot be updated at all.",
    remediation: "Set `Runtime` to a supported version of the language (`python3.14`, `nodejs24.x`, `java25`) and test the code on it.",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["Lambda.2"],
    frameworks: Frameworks {
        nist: &["SI-2"],
        pci: &["6.3.3"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_363"],
        cfn_lint: &["E2531", "W2531"],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: lambda_runtime_supported,
};

/// The newest runtime of each family Lambda manages, as of December 2026 (AWS's Lambda
/// runtimes page): `(family prefix, newest)`.
pub const CURRENT_RUNTIMES: &[(&str, &str)] = &[
    ("python", "python3.14"),
    ("nodejs", "nodejs24.x"),
    ("java", "java25"),
    ("dotnet", "dotnet10"),
    ("ruby", "ruby3.4"),
    ("provided", "provided.al2023"),
];

fn lambda_runtime_current(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let newest = |t: &str| {
        CURRENT_RUNTIMES
            .iter()
            .find(|(family, _)| t.starts_with(family))
            .map(|(_, n)| *n)
    };
    text_is(
        ctx,
        res.prop(&["Runtime"]),
        |t| newest(t).is_some_and(|n| n != t),
        |t| {
            format!(
                "runtime `{t}` is not the newest of its family (`{}`)",
                newest(t).unwrap_or_default()
            )
        },
    )
}

/// A function runs on the newest runtime of its family.
pub static LAMBDA_RUNTIME_CURRENT: Rule = Rule {
    id: "lambda-runtime-current",
    title: "Lambda functions run on the newest runtime of their language",
    severity: Severity::Low,
    rationale: "Each older runtime is closer to its deprecation date; moving while nothing forces it is cheaper than moving when the runtime stops getting patches.",
    remediation: "Set `Runtime` to the newest of its family (`python3.14`, `nodejs24.x`, `java25`, `dotnet10`, `ruby3.4`, `provided.al2023`).",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SI-2"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-L1"],
        guard: &[],
    },
    check: lambda_runtime_current,
};

fn lambda_tracing(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if res.ty == "AWS::Serverless::Function" {
        return text_is(
            ctx,
            res.prop(&["Tracing"]),
            |t| t != "Active",
            |t| format!("`Tracing` is `{t}`, not `Active`"),
        )
        .into_iter()
        .chain(absent(
            res,
            &["Tracing"],
            "no X-Ray tracing: set `Tracing: Active`",
        ))
        .collect();
    }
    let mut out = absent(
        res,
        &["TracingConfig", "Mode"],
        "no X-Ray tracing: set `TracingConfig.Mode: Active`",
    );
    out.extend(text_is(
        ctx,
        res.prop(&["TracingConfig", "Mode"]),
        |t| t != "Active",
        |t| format!("`TracingConfig.Mode` is `{t}`, not `Active`"),
    ));
    out
}

/// A function traces its invocations with X-Ray.
pub static LAMBDA_TRACING: Rule = Rule {
    id: "lambda-tracing",
    title: "Lambda functions trace invocations with X-Ray",
    severity: Severity::Low,
    rationale: "Active tracing records each invocation's calls to other services, which is how an unexpected call, a slow dependency or an attack path through the function is found.",
    remediation: "Set `TracingConfig.Mode: Active` and allow the role `xray:PutTraceSegments` and `xray:PutTelemetryRecords`.",
    resource_types: FUNCTIONS,
    tier: Tier::Basic,
    control: Some(&controls::lambda_function::BACKEND_FUNCTION),
    cis: &[],
    security_hub: &["Lambda.7"],
    frameworks: Frameworks {
        nist: &["AU-12", "SI-4"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: lambda_tracing,
};

fn lambda_permission_source(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for principal in res.prop(&["Principal"]) {
        let Some(p) = ctx.text(principal.node) else {
            continue;
        };
        if !p.contains(".amazonaws.com") {
            continue;
        }
        let arn = res.prop(&["SourceArn"]);
        let account = res.prop(&["SourceAccount"]);
        let no_arn = arn.iter().any(|a| a.node.is_none());
        if let Some(no_account) = account.iter().find(|a| a.node.is_none()).filter(|_| no_arn) {
            out.push(Hit::at(
                &no_account.segs(),
                format!("`{p}` may invoke the function without `SourceArn` or `SourceAccount`: the service acting for any account's resource can call it"),
            ));
        }
    }
    out
}

/// A permission to a service names the source.
pub static LAMBDA_PERMISSION_SOURCE: Rule = Rule {
    id: "lambda-permission-source",
    title: "A Lambda permission for an AWS service names its source",
    severity: Severity::High,
    rationale: "A permission for `s3.amazonaws.com` without `SourceArn` or `SourceAccount` lets the service invoke the function on behalf of any account's bucket: the confused deputy.",
    remediation: "Set `SourceArn` to the resource that invokes the function (the bucket, rule or topic) and `SourceAccount` to `!Ref AWS::AccountId`.",
    resource_types: &["AWS::Lambda::Permission"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-3", "AC-6"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_364"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: lambda_permission_source,
};

fn lambda_url_auth(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    text_is(
        ctx,
        res.prop(&["AuthType"]),
        |t| t == "NONE",
        |_| "`AuthType: NONE`: anyone on the internet can invoke the function".to_string(),
    )
}

/// A function URL requires IAM authentication.
pub static LAMBDA_URL_AUTH: Rule = Rule {
    id: "lambda-url-auth",
    title: "Lambda function URLs require IAM authentication",
    severity: Severity::High,
    rationale: "A function URL with `AuthType: NONE` is a public endpoint: anyone who finds it runs the function with its role's permissions, and pays for it in your account.",
    remediation: "Set `AuthType: AWS_IAM` and allow the callers `lambda:InvokeFunctionUrl`, or put the function behind API Gateway with an authoriser.",
    resource_types: &["AWS::Lambda::Url"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-3", "IA-2"],
        pci: &["7.2.1"],
        hipaa: &["164.312(d)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_258"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: lambda_url_auth,
};

fn lambda_url_open_cors(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for url in ctx.referrers("AWS::Lambda::Url", &["TargetFunctionArn"], res.id) {
        for origins in url.prop(&["Cors", "AllowOrigins"]) {
            let open = match ctx.val(origins.node) {
                super::Val::Known(n) => items(vec![Alt {
                    path: Vec::new(),
                    node: Some(n),
                }])
                .iter()
                .any(|o| ctx.text(o.node).as_deref() == Some("*")),
                _ => false,
            };
            if open {
                out.push(Hit::at(
                    &["Properties"],
                    format!("its URL `{}` allows requests from any origin (`Cors.AllowOrigins: [\"*\"]`)", url.id),
                ));
            }
        }
    }
    out
}

/// A function's URL does not allow any origin.
pub static LAMBDA_URL_OPEN_CORS: Rule = Rule {
    id: "lambda-url-open-cors",
    title: "A Lambda function URL names the origins it allows",
    severity: Severity::Medium,
    rationale: "`AllowOrigins: [\"*\"]` lets a script on any web site call the function from a visitor's browser, with whatever credentials the browser holds for it.",
    remediation: "List the origins of the site that calls the function in the `AWS::Lambda::Url`'s `Cors.AllowOrigins`, and only the methods it uses in `Cors.AllowMethods`.",
    resource_types: &["AWS::Lambda::Function"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-4"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV2_AWS_75"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: lambda_url_open_cors,
};

// ---------------------------------------------------------------------------------------------
// SageMaker.

fn sagemaker_model_network_isolation(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    not_true(
        ctx,
        res.prop(&["EnableNetworkIsolation"]),
        "`EnableNetworkIsolation` is not `true`: the model's container can make network calls",
    )
}

/// A model runs without network access.
pub static SAGEMAKER_MODEL_NETWORK_ISOLATION: Rule = Rule {
    id: "sagemaker-model-network-isolation",
    title: "SageMaker models run with network isolation",
    severity: Severity::Medium,
    rationale: "A model container with network access can send what it is given, or the model itself, anywhere; isolation leaves it only the artifacts SageMaker hands it.",
    remediation: "Set `EnableNetworkIsolation: true` on the `AWS::SageMaker::Model`.",
    resource_types: &["AWS::SageMaker::Model"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["SageMaker.5"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_370"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: sagemaker_model_network_isolation,
};

fn sagemaker_model_in_vpc(_: &Ctx, res: &Res) -> Vec<Hit> {
    absent(
        res,
        &["VpcConfig"],
        "no `VpcConfig`: the model's containers run outside the VPC",
    )
}

/// A model runs in the VPC.
pub static SAGEMAKER_MODEL_IN_VPC: Rule = Rule {
    id: "sagemaker-model-in-vpc",
    title: "SageMaker models run in the VPC",
    severity: Severity::Medium,
    rationale: "Outside the VPC a model's containers reach S3 and the internet over SageMaker's network, beyond the reach of security groups, VPC endpoint policies and flow logs.",
    remediation: "Set `VpcConfig` with private `Subnets` and `SecurityGroupIds` on the `AWS::SageMaker::Model`.",
    resource_types: &["AWS::SageMaker::Model"],
    tier: Tier::Basic,
    control: Some(&controls::sagemaker_endpoint::PRIVATE_SAGEMAKER_ENDPOINT),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-7"],
        pci: &["1.3.1"],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: sagemaker_model_in_vpc,
};

/// The key property `key` names a customer managed key: a hit where it is absent (saying
/// `missing`), empty, or an AWS managed key.
fn customer_key(ctx: &Ctx, res: &Res, key: &str, missing: &str) -> Vec<Hit> {
    let mut out = absent(res, &[key], missing);
    out.extend(
        res.prop(&[key])
            .into_iter()
            .filter(|a| {
                a.node.is_some_and(|n| {
                    ctx.key_kind(n) == super::KeyKind::AwsManaged
                        || ctx.text(Some(n)).is_some_and(|t| t.is_empty())
                })
            })
            .map(|a| {
                Hit::at(
                    &a.segs(),
                    format!("`{key}` is empty or names an AWS managed key"),
                )
            }),
    );
    out
}

fn sagemaker_endpoint_config_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // SageMaker rejects a `KmsKeyId` for instance types with local NVMe storage (it encrypts
    // them with the instance's hardware module), and serverless variants have no instance:
    // a key is required where a variant runs on a known EBS-only instance type.
    let ebs_only = items(res.prop(&["ProductionVariants"])).iter().any(|v| {
        below(v, &["InstanceType"]).iter().any(|t| {
            ctx.text(t.node)
                .is_some_and(|t| !controls::sagemaker_endpoint::has_local_storage(&t))
        })
    });
    let mut out = customer_key(
        ctx,
        res,
        "KmsKeyId",
        "no `KmsKeyId`: the endpoint's storage volume is encrypted with an AWS managed key",
    );
    if !ebs_only {
        out.retain(|h| !h.message.starts_with("no `KmsKeyId`"));
    }
    out
}

/// An endpoint configuration encrypts its volumes with a customer managed key.
pub static SAGEMAKER_ENDPOINT_CONFIG_KMS: Rule = Rule {
    id: "sagemaker-endpoint-config-kms",
    title: "SageMaker endpoint configurations encrypt with a customer managed key",
    severity: Severity::Medium,
    rationale: "The storage attached to an endpoint's instances holds the model and what it is sent; with a customer managed key its policy decides who can read it, and each use is in CloudTrail. Instance types with local NVMe storage are encrypted by their hardware module instead, and SageMaker rejects a key for them.",
    remediation: "Set `KmsKeyId` on the `AWS::SageMaker::EndpointConfig` to an `AWS::KMS::Key` of the template (not needed where every variant's instance type has local NVMe storage).",
    resource_types: &["AWS::SageMaker::EndpointConfig"],
    tier: Tier::Basic,
    control: Some(&controls::sagemaker_endpoint::PRIVATE_SAGEMAKER_ENDPOINT),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-28", "SC-12"],
        pci: &["3.5.1"],
        hipaa: &["164.312(a)(2)(iv)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["W1200"],
        cdk_nag: &[],
        guard: &[],
    },
    check: sagemaker_endpoint_config_kms,
};

fn sagemaker_notebook_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    customer_key(
        ctx,
        res,
        "KmsKeyId",
        "no `KmsKeyId`: its storage is encrypted with an AWS managed key",
    )
}

/// A notebook instance or domain encrypts with a customer managed key.
pub static SAGEMAKER_NOTEBOOK_KMS: Rule = Rule {
    id: "sagemaker-notebook-kms",
    title: "SageMaker notebooks and domains encrypt with a customer managed key",
    severity: Severity::Medium,
    rationale: "A notebook's volume holds data scientists' data and credentials; a customer managed key's policy decides who can read it, and each use is in CloudTrail.",
    remediation: "Set `KmsKeyId` to an `AWS::KMS::Key` of the template.",
    resource_types: &["AWS::SageMaker::NotebookInstance", "AWS::SageMaker::Domain"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-28", "SC-12"],
        pci: &["3.5.1"],
        hipaa: &["164.312(a)(2)(iv)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_187"],
        cfn_lint: &[],
        cfn_nag: &["W1201"],
        cdk_nag: &["AwsSolutions-SM2"],
        guard: &[],
    },
    check: sagemaker_notebook_kms,
};

fn sagemaker_notebook_no_internet(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = absent(
        res,
        &["DirectInternetAccess"],
        "no `DirectInternetAccess`: it defaults to `Enabled`",
    );
    out.extend(text_is(
        ctx,
        res.prop(&["DirectInternetAccess"]),
        |t| t != "Disabled",
        |t| format!("`DirectInternetAccess` is `{t}`"),
    ));
    out.extend(absent(
        res,
        &["SubnetId"],
        "no `SubnetId`: the notebook runs outside the VPC",
    ));
    out
}

/// A notebook instance has no direct internet access.
pub static SAGEMAKER_NOTEBOOK_NO_INTERNET: Rule = Rule {
    id: "sagemaker-notebook-no-internet",
    title: "SageMaker notebook instances run in the VPC without direct internet access",
    severity: Severity::High,
    rationale: "A notebook with direct internet access can send its data anywhere and be reached by what it downloads; in a VPC subnet without it, its traffic goes through the VPC's controls.",
    remediation: "Set `SubnetId` to a private subnet, `SecurityGroupIds`, and `DirectInternetAccess: Disabled`.",
    resource_types: &["AWS::SageMaker::NotebookInstance"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["SageMaker.2", "SageMaker.1"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.3.1", "1.4.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-SM1", "AwsSolutions-SM3"],
        guard: &["SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"],
    },
    check: sagemaker_notebook_no_internet,
};

fn sagemaker_notebook_imdsv2(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let path = [
        "InstanceMetadataServiceConfiguration",
        "MinimumInstanceMetadataServiceVersion",
    ];
    let mut out = absent(
        res,
        &path,
        "IMDSv1 is allowed: set `MinimumInstanceMetadataServiceVersion: \"2\"`",
    );
    out.extend(text_is(
        ctx,
        res.prop(&path),
        |t| t != "2",
        |t| format!("`MinimumInstanceMetadataServiceVersion` is `{t}`, not `2`"),
    ));
    out
}

/// A notebook instance requires IMDSv2.
pub static SAGEMAKER_NOTEBOOK_IMDSV2: Rule = Rule {
    id: "sagemaker-notebook-imdsv2",
    title: "SageMaker notebook instances require IMDSv2",
    severity: Severity::Medium,
    rationale: "IMDSv1 answers any request from the instance, so code tricked into fetching a URL (server-side request forgery) hands over the notebook role's credentials; IMDSv2's session token stops that.",
    remediation: "Set `InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion: \"2\"`.",
    resource_types: &["AWS::SageMaker::NotebookInstance"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-3", "SC-7"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_371"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: sagemaker_notebook_imdsv2,
};

fn sagemaker_notebook_role(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for arn in res.prop(&["RoleArn"]) {
        let Some(n) = arn.node else {
            continue;
        };
        match ctx.target(n) {
            Some(role) if role.ty == "AWS::IAM::Role" => {
                let star = super::iam::statements(&role).into_iter().filter(|s| s.trust && s.allows()).any(|s| {
                    super::ctx::strings(s.node.get_path(&["Action"])).contains(&"*")
                });
                if star {
                    out.push(Hit::at(
                        &arn.segs(),
                        format!("the trust policy of role `{}` allows every action (`Action: \"*\"`)", role.id),
                    ));
                }
            }
            Some(_) => {}
            None if matches!(ctx.val(Some(n)), super::Val::Known(Node::Str(_))) => out.push(Hit::at(
                &arn.segs(),
                "the notebook's role is not a role of this template: its permissions are not reviewed with it",
            )),
            None => {}
        }
    }
    out
}

/// A notebook instance's role is the template's own, with a narrow trust policy.
pub static SAGEMAKER_NOTEBOOK_ROLE: Rule = Rule {
    id: "sagemaker-notebook-role",
    title: "SageMaker notebook instances run with a role of the template that trusts only `sts:AssumeRole`",
    severity: Severity::Medium,
    rationale: "A notebook runs arbitrary code with its role's permissions; a role named by ARN is reviewed nowhere in the template, and a trust policy allowing `*` lets the service do more with it than assume it.",
    remediation: "Define the notebook's `AWS::IAM::Role` in the template, pass it with `!GetAtt Role.Arn`, and allow only `sts:AssumeRole` to `sagemaker.amazonaws.com` in its `AssumeRolePolicyDocument`.",
    resource_types: &["AWS::SageMaker::NotebookInstance"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV2_AWS_68"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: sagemaker_notebook_role,
};

// ---------------------------------------------------------------------------------------------
// Containers: Batch job definitions and ECS task definitions.

fn privileged(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    container_prop(res, "Privileged")
        .into_iter()
        .filter(|a| ctx.bool(a.node) == Some(true))
        .map(|a| Hit::at(&a.segs(), "a privileged container is root on its host"))
        .collect()
}

fn root_user(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let is_root = |t: &str| {
        let user = t.split(':').next().unwrap_or("");
        user == "root" || user == "0"
    };
    let mut out = Vec::new();
    for c in containers(res) {
        for user in below(&c, &["User"]) {
            if user.node.is_none() {
                out.push(Hit::at(&user.segs(), "no `User`: the container runs as its image's user, root unless the image says otherwise"));
            } else if ctx.text(user.node).is_some_and(|t| is_root(&t)) {
                out.push(Hit::at(&user.segs(), "the container runs as root"));
            }
        }
    }
    out
}

fn read_only_root(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    containers(res)
        .iter()
        .flat_map(|c| {
            not_true(
                ctx,
                below(c, &["ReadonlyRootFilesystem"]),
                "the container's root filesystem is writable",
            )
        })
        .collect()
}

/// Variable names that carry credentials, as Security Hub ECS.8 lists them.
const CREDENTIAL_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "ECS_ENGINE_AUTH_DATA",
];

fn env_secrets(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for var in items(container_prop(res, "Environment")) {
        for name in below(&var, &["Name"]) {
            let n = ctx.text(name.node).unwrap_or_default();
            if CREDENTIAL_VARIABLES.contains(&n.as_str()) {
                out.push(Hit::at(
                    &name.segs(),
                    format!("environment variable `{n}` passes a credential: pass it in `Secrets` from Secrets Manager"),
                ));
            }
        }
        for value in below(&var, &["Value"]) {
            if secret_value(ctx, value.node) {
                out.push(Hit::at(
                    &value.segs(),
                    "an environment variable holds what looks like a credential: pass it in `Secrets` from Secrets Manager",
                ));
            }
        }
    }
    out
}

macro_rules! container_rule {
    ($name:ident, $id:literal, $title:literal, $sev:ident, $why:literal, $fix:literal, $types:expr, $sh:expr, $nist:expr, $checkov:expr, $check:ident) => {
        container_rule!(
            $name,
            $id,
            $title,
            $sev,
            $why,
            $fix,
            $types,
            $sh,
            $nist,
            $checkov,
            $check,
            &[],
            &[]
        );
    };
    ($name:ident, $id:literal, $title:literal, $sev:ident, $why:literal, $fix:literal, $types:expr, $sh:expr, $nist:expr, $checkov:expr, $check:ident, $cfn_nag:expr, $cdk_nag:expr) => {
        #[doc = $title]
        pub static $name: Rule = Rule {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            rationale: $why,
            remediation: $fix,
            resource_types: $types,
            tier: Tier::Basic,
            control: None,
            cis: &[],
            security_hub: $sh,
            frameworks: Frameworks {
                nist: $nist,
                pci: &[],
                hipaa: &[],
            },
            equivalents: Equivalents {
                checkov: $checkov,
                cfn_lint: &[],
                cfn_nag: $cfn_nag,
                cdk_nag: $cdk_nag,
                guard: &[],
            },
            check: $check,
        };
    };
}

container_rule!(
    BATCH_JOB_NOT_PRIVILEGED,
    "batch-job-not-privileged",
    "Batch job containers are not privileged",
    High,
    "A privileged container has every capability and the host's devices: code in it owns the instance and every other job on it.",
    "Remove `Privileged: true` from the job's `ContainerProperties` (and its `EcsProperties` containers); grant the single Linux capability the job needs in `LinuxParameters.Capabilities` instead.",
    BATCH_JOB,
    &[],
    &["AC-6", "CM-7"],
    &[],
    privileged,
    &["W34"],
    &[]
);

container_rule!(
    BATCH_JOB_NOT_ROOT,
    "batch-job-not-root",
    "Batch job containers run as a non-root user",
    Medium,
    "A process running as root in a container is one kernel flaw or misconfigured mount away from root on the host.",
    "Set `User` in `ContainerProperties` (and each `EcsProperties` container) to a non-root user id, such as `\"1000\"`.",
    BATCH_JOB,
    &[],
    &["AC-6"],
    &[],
    root_user
);

container_rule!(
    BATCH_JOB_READ_ONLY_ROOT,
    "batch-job-read-only-root",
    "Batch job containers have a read-only root filesystem",
    Low,
    "A writable root filesystem lets code in the container change its own binaries and leave tools behind; with it read-only, only mounted volumes can be written.",
    "Set `ReadonlyRootFilesystem: true` in `ContainerProperties` (and each `EcsProperties` container) and mount a volume for the paths the job writes.",
    BATCH_JOB,
    &[],
    &["CM-7", "SI-7"],
    &[],
    read_only_root
);

container_rule!(
    BATCH_JOB_ENV_NO_SECRETS,
    "batch-job-env-no-secrets",
    "No credentials in Batch job environment variables",
    High,
    "Environment variables are shown to anyone who can describe the job definition and are kept in the template and its history.",
    "Move the value into `AWS::SecretsManager::Secret` and pass it in the container's `Secrets` (`ValueFrom` the secret's ARN).",
    BATCH_JOB,
    &[],
    &["IA-5(7)", "SC-28"],
    &[],
    env_secrets
);

container_rule!(
    ECS_TASK_NOT_PRIVILEGED,
    "ecs-task-not-privileged",
    "ECS task containers are not privileged",
    High,
    "A privileged container has every capability and the host's devices: code in it owns the instance and every other task on it.",
    "Remove `Privileged: true` from the `ContainerDefinitions`; add the single Linux capability needed in `LinuxParameters.Capabilities.Add` instead.",
    ECS_TASK,
    &["ECS.4"],
    &["AC-6", "CM-7"],
    &[],
    privileged
);

container_rule!(
    ECS_TASK_NOT_ROOT,
    "ecs-task-not-root",
    "ECS task containers run as a non-root user",
    Medium,
    "A process running as root in a container is one kernel flaw or misconfigured mount away from root on the host.",
    "Set `User` in each of the `ContainerDefinitions` to a non-root user id, such as `\"1000\"`.",
    ECS_TASK,
    &[],
    &["AC-6"],
    &[],
    root_user
);

container_rule!(
    ECS_TASK_READ_ONLY_ROOT,
    "ecs-task-read-only-root",
    "ECS task containers have a read-only root filesystem",
    Low,
    "A writable root filesystem lets code in the container change its own binaries and leave tools behind; with it read-only, only mounted volumes can be written.",
    "Set `ReadonlyRootFilesystem: true` in each of the `ContainerDefinitions` and mount a volume for the paths the task writes.",
    ECS_TASK,
    &["ECS.5"],
    &["CM-7", "SI-7"],
    &[],
    read_only_root
);

container_rule!(
    ECS_TASK_ENV_NO_SECRETS,
    "ecs-task-env-no-secrets",
    "No credentials in ECS task environment variables",
    High,
    "Environment variables are shown to anyone who can describe the task definition and are kept in the template and its history.",
    "Move the value into `AWS::SecretsManager::Secret` and pass it in the container's `Secrets` (`ValueFrom` the secret's ARN).",
    ECS_TASK,
    &["ECS.8"],
    &["IA-5(7)", "SC-28"],
    &[],
    env_secrets,
    &[],
    &["AwsSolutions-ECS2"]
);

fn ecs_task_logging(_: &Ctx, res: &Res) -> Vec<Hit> {
    containers(res)
        .iter()
        .flat_map(|c| below(c, &["LogConfiguration"]))
        .filter(|a| a.node.is_none())
        .map(|a| {
            Hit::at(
                &a.segs(),
                "the container has no `LogConfiguration`: its output is lost",
            )
        })
        .collect()
}

container_rule!(
    ECS_TASK_LOGGING,
    "ecs-task-logging",
    "ECS task containers send their logs somewhere",
    Medium,
    "Without a log configuration a container's output is lost when the task stops, and with it the trace of what ran.",
    "Set `LogConfiguration` with `LogDriver: awslogs` and an encrypted `AWS::Logs::LogGroup` in `Options.awslogs-group` for each container.",
    ECS_TASK,
    &["ECS.9"],
    &["AU-2", "AU-12"],
    &[],
    ecs_task_logging,
    &[],
    &["AwsSolutions-ECS7"]
);

fn ecs_task_no_host_network(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    text_is(
        ctx,
        res.prop(&["NetworkMode"]),
        |t| t == "host",
        |_| {
            "`NetworkMode: host`: the containers share the instance's network and reach its metadata service".into()
        },
    )
}

container_rule!(
    ECS_TASK_NO_HOST_NETWORK,
    "ecs-task-no-host-network",
    "ECS tasks do not use the host's network",
    Medium,
    "In `host` mode a task's containers bind the instance's own interfaces: they bypass task security groups and reach the instance's metadata and its role's credentials.",
    "Set `NetworkMode: awsvpc` and give the service's `AwsvpcConfiguration` its own security groups.",
    ECS_TASK,
    &[],
    &["SC-7", "AC-4"],
    &[],
    ecs_task_no_host_network
);

fn ecs_task_efs_transit(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for vol in items(res.prop(&["Volumes"])) {
        for efs in below(&vol, &["EFSVolumeConfiguration"]) {
            if efs.node.is_none() {
                continue;
            }
            let enc = below(&efs, &["TransitEncryption"]);
            out.extend(
                enc.iter()
                    .filter(|e| {
                        e.node.is_none() || ctx.text(e.node).is_some_and(|t| t != "ENABLED")
                    })
                    .map(|e| {
                        Hit::at(
                            &e.segs(),
                            "the EFS volume is mounted without `TransitEncryption: ENABLED`",
                        )
                    }),
            );
        }
    }
    out
}

container_rule!(
    ECS_TASK_EFS_TRANSIT_ENCRYPTION,
    "ecs-task-efs-transit-encryption",
    "EFS volumes of ECS tasks are mounted with encryption in transit",
    Medium,
    "Without it the files a task reads and writes cross the network in the clear.",
    "Set `TransitEncryption: ENABLED` in each volume's `EFSVolumeConfiguration`.",
    ECS_TASK,
    &[],
    &["SC-8"],
    &["CKV_AWS_97"],
    ecs_task_efs_transit
);

// ---------------------------------------------------------------------------------------------
// Batch networks.

fn batch_private_network(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    if res.ty == "AWS::Batch::JobDefinition" {
        out.extend(text_is(
            ctx,
            res.prop(&[
                "ContainerProperties",
                "NetworkConfiguration",
                "AssignPublicIp",
            ]),
            |t| t == "ENABLED",
            |_| "`AssignPublicIp: ENABLED`: the job's task gets a public address".into(),
        ));
        return out;
    }
    for subnet in items(res.prop(&["ComputeResources", "Subnets"])) {
        let Some(s) = subnet.node.and_then(|n| ctx.target(n)) else {
            continue;
        };
        if s.ty == "AWS::EC2::Subnet"
            && s.prop(&["MapPublicIpOnLaunch"])
                .iter()
                .any(|a| ctx.bool(a.node) == Some(true))
        {
            out.push(Hit::at(
                &subnet.segs(),
                format!(
                    "subnet `{}` gives instances public addresses (`MapPublicIpOnLaunch: true`)",
                    s.id
                ),
            ));
        }
    }
    out
}

/// Batch compute runs in private subnets.
pub static BATCH_PRIVATE_NETWORK: Rule = Rule {
    id: "batch-private-network",
    title: "Batch compute has no public addresses",
    severity: Severity::Medium,
    rationale: "An instance or task with a public address is reachable from the internet wherever its security group allows, and its egress avoids the VPC's NAT and endpoints.",
    remediation: "Put the compute environment's `ComputeResources.Subnets` in private subnets (`MapPublicIpOnLaunch: false`) and set the job's `NetworkConfiguration.AssignPublicIp: DISABLED`.",
    resource_types: &["AWS::Batch::ComputeEnvironment", "AWS::Batch::JobDefinition"],
    tier: Tier::Basic,
    control: Some(&controls::vpc::PRIVATE_NETWORK),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-7"],
        pci: &["1.3.1", "1.4.1"],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: batch_private_network,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &LAMBDA_ENV_NO_SECRETS,
    &LAMBDA_RESERVED_CONCURRENCY,
    &LAMBDA_DEAD_LETTER_QUEUE,
    &LAMBDA_IN_VPC,
    &LAMBDA_ENV_ENCRYPTION,
    &LAMBDA_RUNTIME_SUPPORTED,
    &LAMBDA_RUNTIME_CURRENT,
    &LAMBDA_TRACING,
    &LAMBDA_PERMISSION_SOURCE,
    &LAMBDA_URL_AUTH,
    &LAMBDA_URL_OPEN_CORS,
    &SAGEMAKER_MODEL_NETWORK_ISOLATION,
    &SAGEMAKER_MODEL_IN_VPC,
    &SAGEMAKER_ENDPOINT_CONFIG_KMS,
    &SAGEMAKER_NOTEBOOK_KMS,
    &SAGEMAKER_NOTEBOOK_NO_INTERNET,
    &SAGEMAKER_NOTEBOOK_IMDSV2,
    &SAGEMAKER_NOTEBOOK_ROLE,
    &BATCH_JOB_NOT_PRIVILEGED,
    &BATCH_JOB_NOT_ROOT,
    &BATCH_JOB_READ_ONLY_ROOT,
    &BATCH_JOB_ENV_NO_SECRETS,
    &BATCH_PRIVATE_NETWORK,
    &ECS_TASK_NOT_PRIVILEGED,
    &ECS_TASK_NOT_ROOT,
    &ECS_TASK_READ_ONLY_ROOT,
    &ECS_TASK_ENV_NO_SECRETS,
    &ECS_TASK_NO_HOST_NETWORK,
    &ECS_TASK_LOGGING,
    &ECS_TASK_EFS_TRANSIT_ENCRYPTION,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::parse::parse_template;
    use serde_json::{json, Value};

    /// The hits of `rule` on every resource of `template` it applies to: `(resource, path)`.
    pub(super) fn run(rule: &Rule, template: &Value) -> Vec<(String, String)> {
        let root = parse_template(&template.to_string()).expect("parses");
        let ctx = Ctx::new(&root);
        ctx.resources()
            .iter()
            .filter(|r| rule.applies(r.ty, Tier::Enterprise))
            .flat_map(|r| {
                (rule.check)(&ctx, r)
                    .into_iter()
                    .map(|h| (r.id.to_string(), h.path.join("/")))
            })
            .collect()
    }

    /// One rule, one property: a resource that passes, and what makes it fail there.
    struct Case {
        rule: &'static Rule,
        ty: &'static str,
        base: Value,
        path: &'static [&'static str],
        /// `None`: failing is leaving it out.
        weak: Option<Value>,
        good: Value,
    }

    fn set(v: &mut Value, path: &[&str], to: Option<Value>) {
        let (last, parents) = path.split_last().expect("a path");
        let mut cur = v;
        for p in parents {
            cur = match p.parse::<usize>() {
                Ok(i) => &mut cur[i],
                Err(_) => &mut cur[*p],
            };
        }
        match (to, last.parse::<usize>()) {
            (Some(to), Ok(i)) => cur[i] = to,
            (Some(to), Err(_)) => cur[*last] = to,
            (None, _) => {
                cur.as_object_mut().expect("a map").remove(*last);
            }
        }
    }

    fn template(case: &Case, value: Option<Value>, param: Option<Value>) -> Value {
        let mut props = case.base.clone();
        set(&mut props, case.path, value);
        let mut p = json!({"Type": "String"});
        if let Some(d) = param {
            p["Default"] = match d {
                Value::String(s) => Value::String(s),
                other => Value::String(other.to_string()),
            };
        }
        json!({
            "Parameters": {"P": p},
            "Conditions": {"C": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
            "Resources": {
                "R": {"Type": case.ty, "Properties": props},
                "NotebookRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
                "OpenRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "*"}]}}}
            }
        })
    }

    fn check_case(case: &Case) {
        let id = case.rule.id;
        let weak_or_none = || case.weak.clone().unwrap_or(json!({"Ref": "AWS::NoValue"}));
        let good = run(case.rule, &template(case, Some(case.good.clone()), None));
        assert!(
            good.is_empty(),
            "{id}: fires on the hardened resource: {good:?}"
        );
        let weak = run(case.rule, &template(case, case.weak.clone(), None));
        assert!(!weak.is_empty(), "{id}: silent on the weak resource");
        let branch = json!({"Fn::If": ["C", case.good.clone(), weak_or_none()]});
        let hits = run(case.rule, &template(case, Some(branch), None));
        assert!(
            hits.iter().any(|(_, p)| p.contains("Fn::If/2")),
            "{id}: misses the weak branch of an Fn::If: {hits:?}"
        );
        let branch = json!({"Fn::If": ["C", weak_or_none(), case.good.clone()]});
        let hits = run(case.rule, &template(case, Some(branch), None));
        assert!(
            hits.iter().any(|(_, p)| p.contains("Fn::If/1")),
            "{id}: misses the weak first branch of an Fn::If: {hits:?}"
        );
        let both = json!({"Fn::If": ["C", case.good.clone(), case.good.clone()]});
        assert!(
            run(case.rule, &template(case, Some(both), None)).is_empty(),
            "{id}: fires on two good branches"
        );
        let r = Some(json!({"Ref": "P"}));
        assert!(
            run(case.rule, &template(case, r.clone(), None)).is_empty(),
            "{id}: fires on an unknown parameter"
        );
        if case.good.is_string() || case.good.is_boolean() || case.good.is_number() {
            let hits = run(
                case.rule,
                &template(case, r.clone(), Some(case.good.clone())),
            );
            assert!(
                hits.is_empty(),
                "{id}: fires on a parameter whose default is good"
            );
        }
        if let Some(w) = case
            .weak
            .clone()
            .filter(|w| !w.is_object() && !w.is_array())
        {
            let hits = run(case.rule, &template(case, r, Some(w)));
            assert!(
                !hits.is_empty(),
                "{id}: silent on a parameter whose default is weak"
            );
        }
    }

    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn function() -> Value {
        json!({
            "Runtime": "python3.14", "Handler": "index.handler", "Code": {"ZipFile": "x"},
            "Role": "arn:aws:iam::123456789012:role/fn",
            "ReservedConcurrentExecutions": 5,
            "DeadLetterConfig": {"TargetArn": "arn:aws:sqs:eu-west-1:123456789012:dlq"},
            "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
            "TracingConfig": {"Mode": "Active"},
            "KmsKeyArn": KEY,
            "Environment": {"Variables": {"TABLE": "orders", "TOKEN": "plain"}}
        })
    }

    fn notebook() -> Value {
        json!({
            "InstanceType": "ml.t3.medium", "RoleArn": {"Fn::GetAtt": ["NotebookRole", "Arn"]},
            "KmsKeyId": KEY, "DirectInternetAccess": "Disabled", "SubnetId": "subnet-1",
            "SecurityGroupIds": ["sg-1"],
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"}
        })
    }

    fn job() -> Value {
        json!({
            "Type": "container",
            "ContainerProperties": {
                "Image": "repo/app:1", "User": "1000", "ReadonlyRootFilesystem": true,
                "Privileged": false, "Environment": [{"Name": "MODE", "Value": "batch"}],
                "NetworkConfiguration": {"AssignPublicIp": "DISABLED"}
            }
        })
    }

    fn task() -> Value {
        json!({
            "NetworkMode": "awsvpc",
            "ContainerDefinitions": [{
                "Name": "app", "Image": "repo/app:1", "User": "1000",
                "ReadonlyRootFilesystem": true, "Privileged": false,
                "LogConfiguration": {"LogDriver": "awslogs"},
                "Environment": [{"Name": "MODE", "Value": "web"}]
            }],
            "Volumes": [{"Name": "data", "EFSVolumeConfiguration": {"FilesystemId": "fs-1", "TransitEncryption": "ENABLED"}}]
        })
    }

    fn cases() -> Vec<Case> {
        let s = |v: &str| Some(json!(v));
        let vpc = json!({"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]});
        let permission = json!({"Action": "lambda:InvokeFunction", "FunctionName": "fn", "Principal": "s3.amazonaws.com", "SourceAccount": "123456789012"});
        let model = json!({"ExecutionRoleArn": "arn:aws:iam::123456789012:role/m", "EnableNetworkIsolation": true,
            "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}});
        let endpoint = json!({"ProductionVariants": [{"ModelName": "m", "VariantName": "v", "InstanceType": "ml.m5.large"}], "KmsKeyId": KEY});
        const F: &str = "AWS::Lambda::Function";
        const J: &str = "AWS::Batch::JobDefinition";
        const T: &str = "AWS::ECS::TaskDefinition";
        const N: &str = "AWS::SageMaker::NotebookInstance";
        let c = |rule, ty, base: Value, path, weak, good: Value| Case {
            rule,
            ty,
            base,
            path,
            weak,
            good,
        };
        vec![
            c(
                &LAMBDA_ENV_NO_SECRETS,
                F,
                function(),
                &["Environment", "Variables", "TOKEN"],
                s("AKIAIOSFODNN7EXAMPLE"),
                json!("plain"),
            ),
            c(
                &LAMBDA_ENV_NO_SECRETS,
                F,
                function(),
                &["Environment", "Variables", "TOKEN"],
                s("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                json!("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ),
            c(
                &LAMBDA_RESERVED_CONCURRENCY,
                F,
                function(),
                &["ReservedConcurrentExecutions"],
                None,
                json!(5),
            ),
            c(
                &LAMBDA_DEAD_LETTER_QUEUE,
                F,
                function(),
                &["DeadLetterConfig", "TargetArn"],
                None,
                json!("arn:aws:sqs:eu-west-1:123456789012:dlq"),
            ),
            c(&LAMBDA_IN_VPC, F, function(), &["VpcConfig"], None, vpc),
            c(
                &LAMBDA_ENV_ENCRYPTION,
                F,
                function(),
                &["KmsKeyArn"],
                None,
                json!(KEY),
            ),
            c(
                &LAMBDA_ENV_ENCRYPTION,
                F,
                function(),
                &["KmsKeyArn"],
                s("alias/aws/lambda"),
                json!(KEY),
            ),
            c(
                &LAMBDA_ENV_ENCRYPTION,
                F,
                function(),
                &["KmsKeyArn"],
                s(""),
                json!(KEY),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_KMS,
                N,
                notebook(),
                &["KmsKeyId"],
                s("alias/aws/sagemaker"),
                json!(KEY),
            ),
            c(
                &LAMBDA_RUNTIME_SUPPORTED,
                F,
                function(),
                &["Runtime"],
                s("python3.7"),
                json!("python3.12"),
            ),
            c(
                &LAMBDA_RUNTIME_CURRENT,
                F,
                function(),
                &["Runtime"],
                s("nodejs20.x"),
                json!("nodejs24.x"),
            ),
            c(
                &LAMBDA_TRACING,
                F,
                function(),
                &["TracingConfig", "Mode"],
                s("PassThrough"),
                json!("Active"),
            ),
            c(
                &LAMBDA_TRACING,
                F,
                function(),
                &["TracingConfig", "Mode"],
                None,
                json!("Active"),
            ),
            c(
                &LAMBDA_PERMISSION_SOURCE,
                "AWS::Lambda::Permission",
                permission.clone(),
                &["SourceAccount"],
                None,
                json!("123456789012"),
            ),
            c(
                &LAMBDA_URL_AUTH,
                "AWS::Lambda::Url",
                json!({"TargetFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:fn", "AuthType": "AWS_IAM"}),
                &["AuthType"],
                s("NONE"),
                json!("AWS_IAM"),
            ),
            c(
                &SAGEMAKER_MODEL_NETWORK_ISOLATION,
                "AWS::SageMaker::Model",
                model.clone(),
                &["EnableNetworkIsolation"],
                Some(json!(false)),
                json!(true),
            ),
            c(
                &SAGEMAKER_MODEL_NETWORK_ISOLATION,
                "AWS::SageMaker::Model",
                model.clone(),
                &["EnableNetworkIsolation"],
                None,
                json!(true),
            ),
            c(
                &SAGEMAKER_MODEL_IN_VPC,
                "AWS::SageMaker::Model",
                model,
                &["VpcConfig"],
                None,
                json!({"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}),
            ),
            c(
                &SAGEMAKER_ENDPOINT_CONFIG_KMS,
                "AWS::SageMaker::EndpointConfig",
                endpoint.clone(),
                &["KmsKeyId"],
                None,
                json!(KEY),
            ),
            c(
                &SAGEMAKER_ENDPOINT_CONFIG_KMS,
                "AWS::SageMaker::EndpointConfig",
                endpoint,
                &["KmsKeyId"],
                s("alias/aws/sagemaker"),
                json!(KEY),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_KMS,
                N,
                notebook(),
                &["KmsKeyId"],
                None,
                json!(KEY),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_NO_INTERNET,
                N,
                notebook(),
                &["DirectInternetAccess"],
                s("Enabled"),
                json!("Disabled"),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_NO_INTERNET,
                N,
                notebook(),
                &["SubnetId"],
                None,
                json!("subnet-1"),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_IMDSV2,
                N,
                notebook(),
                &[
                    "InstanceMetadataServiceConfiguration",
                    "MinimumInstanceMetadataServiceVersion",
                ],
                s("1"),
                json!("2"),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_ROLE,
                N,
                notebook(),
                &["RoleArn"],
                s("arn:aws:iam::123456789012:role/elsewhere"),
                json!({"Fn::GetAtt": ["NotebookRole", "Arn"]}),
            ),
            c(
                &SAGEMAKER_NOTEBOOK_ROLE,
                N,
                notebook(),
                &["RoleArn"],
                Some(json!({"Ref": "OpenRole"})),
                json!({"Ref": "NotebookRole"}),
            ),
            c(
                &BATCH_JOB_NOT_PRIVILEGED,
                J,
                job(),
                &["ContainerProperties", "Privileged"],
                Some(json!(true)),
                json!(false),
            ),
            c(
                &BATCH_JOB_NOT_ROOT,
                J,
                job(),
                &["ContainerProperties", "User"],
                s("root"),
                json!("1000"),
            ),
            c(
                &BATCH_JOB_NOT_ROOT,
                J,
                job(),
                &["ContainerProperties", "User"],
                s("0:0"),
                json!("1000:1000"),
            ),
            c(
                &BATCH_JOB_NOT_ROOT,
                J,
                job(),
                &["ContainerProperties", "User"],
                None,
                json!("1000"),
            ),
            c(
                &BATCH_JOB_READ_ONLY_ROOT,
                J,
                job(),
                &["ContainerProperties", "ReadonlyRootFilesystem"],
                Some(json!(false)),
                json!(true),
            ),
            c(
                &BATCH_JOB_READ_ONLY_ROOT,
                J,
                job(),
                &["ContainerProperties", "ReadonlyRootFilesystem"],
                None,
                json!(true),
            ),
            c(
                &BATCH_JOB_ENV_NO_SECRETS,
                J,
                job(),
                &["ContainerProperties", "Environment", "0", "Value"],
                s("AKIAIOSFODNN7EXAMPLE"),
                json!("batch"),
            ),
            c(
                &BATCH_PRIVATE_NETWORK,
                J,
                job(),
                &[
                    "ContainerProperties",
                    "NetworkConfiguration",
                    "AssignPublicIp",
                ],
                s("ENABLED"),
                json!("DISABLED"),
            ),
            c(
                &ECS_TASK_NOT_PRIVILEGED,
                T,
                task(),
                &["ContainerDefinitions", "0", "Privileged"],
                Some(json!(true)),
                json!(false),
            ),
            c(
                &ECS_TASK_NOT_ROOT,
                T,
                task(),
                &["ContainerDefinitions", "0", "User"],
                s("root"),
                json!("1000"),
            ),
            c(
                &ECS_TASK_NOT_ROOT,
                T,
                task(),
                &["ContainerDefinitions", "0", "User"],
                None,
                json!("1000"),
            ),
            c(
                &ECS_TASK_READ_ONLY_ROOT,
                T,
                task(),
                &["ContainerDefinitions", "0", "ReadonlyRootFilesystem"],
                None,
                json!(true),
            ),
            c(
                &ECS_TASK_ENV_NO_SECRETS,
                T,
                task(),
                &["ContainerDefinitions", "0", "Environment", "0", "Name"],
                s("AWS_SECRET_ACCESS_KEY"),
                json!("MODE"),
            ),
            c(
                &ECS_TASK_ENV_NO_SECRETS,
                T,
                task(),
                &["ContainerDefinitions", "0", "Environment", "0", "Value"],
                s("AKIAIOSFODNN7EXAMPLE"),
                json!("web"),
            ),
            c(
                &ECS_TASK_NO_HOST_NETWORK,
                T,
                task(),
                &["NetworkMode"],
                s("host"),
                json!("awsvpc"),
            ),
            c(
                &ECS_TASK_LOGGING,
                T,
                task(),
                &["ContainerDefinitions", "0", "LogConfiguration"],
                None,
                json!({"LogDriver": "awslogs"}),
            ),
            c(
                &ECS_TASK_EFS_TRANSIT_ENCRYPTION,
                T,
                task(),
                &[
                    "Volumes",
                    "0",
                    "EFSVolumeConfiguration",
                    "TransitEncryption",
                ],
                s("DISABLED"),
                json!("ENABLED"),
            ),
            c(
                &ECS_TASK_EFS_TRANSIT_ENCRYPTION,
                T,
                task(),
                &[
                    "Volumes",
                    "0",
                    "EFSVolumeConfiguration",
                    "TransitEncryption",
                ],
                None,
                json!("ENABLED"),
            ),
        ]
    }

    #[test]
    fn each_rule_fires_on_its_weak_property_through_fn_if_and_parameter_defaults_only() {
        for case in cases() {
            check_case(&case);
        }
    }

    #[test]
    fn every_rule_of_the_module_has_a_case() {
        let covered: Vec<&str> = cases().iter().map(|c| c.rule.id).collect();
        for r in RULES {
            let special = ["lambda-url-open-cors"];
            assert!(
                covered.contains(&r.id) || special.contains(&r.id),
                "`{}` has no case",
                r.id
            );
        }
    }

    #[test]
    fn credentials_are_recognised_and_ordinary_values_are_not() {
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "prefix ASIAY34FZKBOKMUTVV7A suffix",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYandmore",
            "account_id = 1234-5678-9012",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        ] {
            assert!(looks_secret(secret), "`{secret}` is not recognised");
        }
        for plain in [
            "orders",
            "https://example.com/api/v1",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "d41d8cd98f00b204e9800998ecf8427e",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
            "AKIAshort",
            "key: short",
        ] {
            assert!(!looks_secret(plain), "`{plain}` is taken for a credential");
        }
    }

    #[test]
    fn the_runtime_lists_know_their_families() {
        for (_, newest) in CURRENT_RUNTIMES {
            assert!(
                !DEPRECATED_RUNTIMES.contains(newest),
                "`{newest}` is both newest and deprecated"
            );
        }
        let t = |rt: &str| json!({"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": rt}}}});
        assert!(run(&LAMBDA_RUNTIME_CURRENT, &t("provided.al2023")).is_empty());
        assert!(!run(&LAMBDA_RUNTIME_CURRENT, &t("provided.al2")).is_empty());
        assert!(
            run(&LAMBDA_RUNTIME_CURRENT, &t("go1.x")).is_empty(),
            "a family Lambda no longer has is not judged"
        );
        assert!(!run(&LAMBDA_RUNTIME_SUPPORTED, &t("go1.x")).is_empty());
    }

    #[test]
    fn a_key_of_the_template_is_a_customer_key_and_an_aws_alias_is_not() {
        let t = |key: Value| {
            let mut props = function();
            props["KmsKeyArn"] = key;
            json!({"Resources": {
                "Key": {"Type": "AWS::KMS::Key"},
                "Managed": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/aws/lambda", "TargetKeyId": "x"}},
                "F": {"Type": "AWS::Lambda::Function", "Properties": props}}})
        };
        assert!(run(
            &LAMBDA_ENV_ENCRYPTION,
            &t(json!({"Fn::GetAtt": ["Key", "Arn"]}))
        )
        .is_empty());
        assert!(!run(&LAMBDA_ENV_ENCRYPTION, &t(json!({"Ref": "Managed"}))).is_empty());
        // Without variables there is nothing to encrypt.
        let mut props = function();
        props.as_object_mut().expect("map").remove("Environment");
        props.as_object_mut().expect("map").remove("KmsKeyArn");
        let bare =
            json!({"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": props}}});
        assert!(run(&LAMBDA_ENV_ENCRYPTION, &bare).is_empty());
    }

    #[test]
    fn a_permission_for_an_account_or_with_a_source_arn_passes() {
        let t = |props: Value| json!({"Resources": {"P": {"Type": "AWS::Lambda::Permission", "Properties": props}}});
        let base = json!({"Action": "lambda:InvokeFunction", "FunctionName": "fn"});
        let with = |extra: Value| {
            let mut p = base.clone();
            for (k, v) in extra.as_object().expect("map") {
                p[k] = v.clone();
            }
            t(p)
        };
        assert_eq!(
            run(
                &LAMBDA_PERMISSION_SOURCE,
                &with(json!({"Principal": "events.amazonaws.com"}))
            )
            .len(),
            1
        );
        assert!(run(&LAMBDA_PERMISSION_SOURCE, &with(json!({"Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["Rule", "Arn"]}}))).is_empty());
        assert!(run(
            &LAMBDA_PERMISSION_SOURCE,
            &with(json!({"Principal": "123456789012"}))
        )
        .is_empty());
        assert!(run(
            &LAMBDA_PERMISSION_SOURCE,
            &with(json!({"Principal": {"Ref": "Who"}}))
        )
        .is_empty());
        let source = json!({"Fn::If": ["C", "123456789012", {"Ref": "AWS::NoValue"}]});
        assert_eq!(
            run(
                &LAMBDA_PERMISSION_SOURCE,
                &with(json!({"Principal": "s3.amazonaws.com", "SourceAccount": source}))
            )
            .len(),
            1
        );
    }

    #[test]
    fn an_open_url_is_reported_on_the_function_it_serves() {
        let t = |origins: Value, target: Value| {
            json!({"Resources": {
            "F": {"Type": "AWS::Lambda::Function", "Properties": function()},
            "Other": {"Type": "AWS::Lambda::Function", "Properties": function()},
            "U": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": target, "AuthType": "AWS_IAM",
                "Cors": {"AllowOrigins": origins, "AllowMethods": ["*"]}}}}})
        };
        let hits = run(
            &LAMBDA_URL_OPEN_CORS,
            &t(json!(["*"]), json!({"Fn::GetAtt": ["F", "Arn"]})),
        );
        assert_eq!(
            hits.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
            ["F"]
        );
        assert_eq!(
            run(&LAMBDA_URL_OPEN_CORS, &t(json!(["*"]), json!({"Ref": "F"}))).len(),
            1
        );
        assert!(run(
            &LAMBDA_URL_OPEN_CORS,
            &t(json!(["https://example.com"]), json!({"Ref": "F"}))
        )
        .is_empty());
        let branch = json!({"Fn::If": ["C", ["https://example.com"], ["*"]]});
        assert_eq!(
            run(&LAMBDA_URL_OPEN_CORS, &t(branch, json!({"Ref": "F"}))).len(),
            1
        );
        assert!(run(
            &LAMBDA_URL_OPEN_CORS,
            &t(json!({"Ref": "Origins"}), json!({"Ref": "F"}))
        )
        .is_empty());
    }

    #[test]
    fn a_compute_environment_in_a_public_subnet_of_the_template_is_reported() {
        let t = |public: Value| {
            json!({
            "Parameters": {"Pub": {"Type": "String", "Default": "true"}, "Unknown": {"Type": "String"}},
            "Resources": {
            "Sub": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "MapPublicIpOnLaunch": public}},
            "Env": {"Type": "AWS::Batch::ComputeEnvironment", "Properties": {"Type": "MANAGED",
                "ComputeResources": {"Type": "FARGATE", "MaxvCpus": 4, "Subnets": [{"Ref": "Sub"}, "subnet-elsewhere"], "SecurityGroupIds": ["sg-1"]}}}}})
        };
        assert_eq!(run(&BATCH_PRIVATE_NETWORK, &t(json!(true))).len(), 1);
        assert!(run(&BATCH_PRIVATE_NETWORK, &t(json!(false))).is_empty());
        assert_eq!(
            run(&BATCH_PRIVATE_NETWORK, &t(json!({"Ref": "Pub"}))).len(),
            1
        );
        assert!(run(&BATCH_PRIVATE_NETWORK, &t(json!({"Ref": "Unknown"}))).is_empty());
        assert_eq!(
            run(
                &BATCH_PRIVATE_NETWORK,
                &t(json!({"Fn::If": ["C", false, true]}))
            )
            .len(),
            1
        );
    }

    #[test]
    fn the_containers_of_ecs_properties_and_node_ranges_are_checked() {
        let container = json!({"Name": "app", "Image": "i", "User": "1000", "ReadonlyRootFilesystem": true, "Privileged": true});
        let t = |props: Value| json!({"Resources": {"J": {"Type": "AWS::Batch::JobDefinition", "Properties": props}}});
        let ecs = t(
            json!({"Type": "container", "EcsProperties": {"TaskProperties": [{"Containers": [container.clone()]}]}}),
        );
        let hits = run(&BATCH_JOB_NOT_PRIVILEGED, &ecs);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].1,
            "Properties/EcsProperties/TaskProperties/0/Containers/0/Privileged"
        );
        let nodes = t(
            json!({"Type": "multinode", "NodeProperties": {"NumNodes": 2, "MainNode": 0,
            "NodeRangeProperties": [{"TargetNodes": "0:", "Container": container}]}}),
        );
        assert_eq!(run(&BATCH_JOB_NOT_PRIVILEGED, &nodes).len(), 1);
        // A container given by `Fn::If` is read in both branches.
        let mut good = task()["ContainerDefinitions"][0].clone();
        good["Privileged"] = json!(false);
        let mut bad = good.clone();
        bad["Privileged"] = json!(true);
        let mut props = task();
        props["ContainerDefinitions"] = json!([{"Fn::If": ["C", good, bad]}]);
        let hits = run(
            &ECS_TASK_NOT_PRIVILEGED,
            &json!({"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": props}}}),
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].1,
            "Properties/ContainerDefinitions/0/Fn::If/2/Privileged"
        );
    }

    #[test]
    fn an_endpoint_on_local_nvme_storage_needs_no_key() {
        let t = |types: &[Value], key: Option<&str>| {
            let variants: Vec<Value> = types
                .iter()
                .map(|ty| json!({"ModelName": "m", "VariantName": "v", "InstanceType": ty}))
                .collect();
            let mut props = json!({"ProductionVariants": variants});
            if let Some(k) = key {
                props["KmsKeyId"] = json!(k);
            }
            json!({"Parameters": {"Type": {"Type": "String"}, "Ebs": {"Type": "String", "Default": "ml.c5.xlarge"}},
                "Resources": {"E": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": props}}})
        };
        let nvme = json!("ml.g5.2xlarge");
        let ebs = json!("ml.m5.large");
        assert!(run(
            &SAGEMAKER_ENDPOINT_CONFIG_KMS,
            &t(std::slice::from_ref(&nvme), None)
        )
        .is_empty());
        assert_eq!(
            run(
                &SAGEMAKER_ENDPOINT_CONFIG_KMS,
                &t(&[nvme.clone(), ebs.clone()], None)
            )
            .len(),
            1
        );
        assert!(run(
            &SAGEMAKER_ENDPOINT_CONFIG_KMS,
            &t(&[json!({"Ref": "Type"})], None)
        )
        .is_empty());
        assert_eq!(
            run(
                &SAGEMAKER_ENDPOINT_CONFIG_KMS,
                &t(&[json!({"Ref": "Ebs"})], None)
            )
            .len(),
            1
        );
        let branch = json!({"Fn::If": ["C", "ml.g5.2xlarge", "ml.m5.large"]});
        assert_eq!(
            run(&SAGEMAKER_ENDPOINT_CONFIG_KMS, &t(&[branch], None)).len(),
            1
        );
        // An AWS managed key is still one, whatever the instance.
        assert_eq!(
            run(
                &SAGEMAKER_ENDPOINT_CONFIG_KMS,
                &t(&[nvme], Some("alias/aws/sagemaker"))
            )
            .len(),
            1
        );
        assert!(run(&SAGEMAKER_ENDPOINT_CONFIG_KMS, &t(&[ebs], Some(KEY))).is_empty());
    }

    #[test]
    fn a_serverless_function_is_read_at_its_own_paths() {
        let t = |props: Value| json!({"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": props}}});
        assert_eq!(
            run(
                &LAMBDA_DEAD_LETTER_QUEUE,
                &t(json!({"Runtime": "python3.14"}))
            )
            .len(),
            1
        );
        assert!(run(&LAMBDA_DEAD_LETTER_QUEUE, &t(json!({"DeadLetterQueue": {"Type": "SQS", "TargetArn": "arn:aws:sqs:eu-west-1:123456789012:q"}}))).is_empty());
        assert!(run(&LAMBDA_TRACING, &t(json!({"Tracing": "Active"}))).is_empty());
        assert_eq!(
            run(&LAMBDA_TRACING, &t(json!({"Tracing": "PassThrough"}))).len(),
            1
        );
    }
}
