//! Least privilege in policy documents, wherever they are written: role and managed policies,
//! trust policies, and the resource policies of keys, buckets, topics, queues, secrets, APIs
//! and repositories.
//!
//! A policy's `Statement` may be a list or a single statement; both are checked, and so are
//! both branches of a statement given as `Fn::If`.

mod actions;

use super::ctx::strings;
use super::{Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity};
use crate::cfn::{Node, NodeMap};
use crate::tier::Tier;

/// One statement of a policy document, and its path below the resource.
pub struct Statement<'t> {
    /// The statement.
    pub node: &'t Node,
    /// Keys and indexes below the resource node.
    pub path: Vec<String>,
    /// Whether it is in a trust policy (`AssumeRolePolicyDocument`).
    pub trust: bool,
}

impl Statement<'_> {
    /// `Sid`, or empty.
    pub fn sid(&self) -> &str {
        self.node
            .get_path(&["Sid"])
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    /// Whether it allows.
    pub fn allows(&self) -> bool {
        self.node.get_path(&["Effect"]).and_then(Node::as_str) == Some("Allow")
    }

    /// Whether the principal is anyone: `"*"` or `{"AWS": "*"}` (alone or in a list).
    pub fn any_principal(&self) -> bool {
        let principal = self.node.get_path(&["Principal"]);
        matches!(principal, Some(Node::Str(s)) if s == "*")
            || principal
                .and_then(|p| p.get_path(&["AWS"]))
                .is_some_and(|p| strings(Some(p)).contains(&"*"))
    }

    /// Whether a condition that only lets matching requests through tests one of `keys`
    /// (case-insensitively) against a value `bounded` accepts. Only the operators that
    /// require a match count (`StringEquals`, `StringLike`, `ArnEquals`, `ArnLike`, their
    /// `ForAnyValue:` forms): `StringNotEquals` admits everyone else, an `...IfExists` form
    /// whoever omits the key, and `ForAllValues:` a request without it.
    pub fn conditioned(&self, keys: &[&str], bounded: impl Fn(&Node) -> bool) -> bool {
        const MATCHING: [&str; 5] = [
            "StringEquals",
            "StringEqualsIgnoreCase",
            "StringLike",
            "ArnEquals",
            "ArnLike",
        ];
        self.node
            .get_path(&["Condition"])
            .and_then(Node::as_map)
            .is_some_and(|ops| {
                let matching = |op: &str| {
                    let op = op.strip_prefix("ForAnyValue:").unwrap_or(op);
                    MATCHING.iter().any(|m| m.eq_ignore_ascii_case(op))
                };
                ops.iter()
                    .filter(|(op, _)| matching(op))
                    .filter_map(|(_, tests)| tests.as_map())
                    .any(|tests| {
                        tests.iter().any(|(k, v)| {
                            keys.iter().any(|key| key.eq_ignore_ascii_case(k)) && bounded(v)
                        })
                    })
            })
    }

    fn at(&self, key: &str) -> Vec<String> {
        let mut p = self.path.clone();
        p.push(key.to_string());
        p
    }
}

/// Whether a condition's value names its callers or resources outright: no `*` in any of its
/// strings (`Ref`s and other intrinsics resolve to this stack's own values).
pub fn no_wildcard(v: &Node) -> bool {
    strings(Some(v)).iter().all(|s| !s.contains('*'))
}

/// Every statement of every policy document in a resource's properties.
pub fn statements<'t>(res: &Res<'t>) -> Vec<Statement<'t>> {
    let mut out = Vec::new();
    if let Some(p) = res.props() {
        find(p, &mut vec!["Properties".to_string()], false, &mut out);
    }
    out
}

fn find<'t>(n: &'t Node, at: &mut Vec<String>, trust: bool, out: &mut Vec<Statement<'t>>) {
    match n {
        Node::Map(m) => {
            if let Some(sts) = m.get("Statement").filter(|sts| is_policy(m, sts)) {
                at.push("Statement".into());
                each(sts, at, trust, out);
                at.pop();
                return;
            }
            for (k, v) in m {
                at.push(k.clone());
                find(v, at, trust || k == "AssumeRolePolicyDocument", out);
                at.pop();
            }
        }
        Node::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(i.to_string());
                find(v, at, trust, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// Whether a map holding `Statement` is an IAM policy document: it has a `Version`, or its
/// statements have an `Effect` (a WAF rule's `Statement` has neither).
fn is_policy(doc: &NodeMap, statements: &Node) -> bool {
    let has_effect = |n: &Node| n.get_path(&["Effect"]).is_some();
    doc.contains_key("Version")
        || match statements {
            Node::Seq(items) => items.iter().any(has_effect),
            other => has_effect(other),
        }
}

/// The statements of a `Statement` value: a list, one statement, or `Fn::If` between two.
fn each<'t>(n: &'t Node, at: &mut Vec<String>, trust: bool, out: &mut Vec<Statement<'t>>) {
    match n {
        Node::Seq(items) => {
            for (i, st) in items.iter().enumerate() {
                at.push(i.to_string());
                each(st, at, trust, out);
                at.pop();
            }
        }
        Node::Map(m) if m.len() == 1 && m.contains_key("Fn::If") => {
            if let Some(Node::Seq(parts)) = m.get("Fn::If") {
                for (i, branch) in parts.iter().enumerate().skip(1) {
                    at.extend(["Fn::If".to_string(), i.to_string()]);
                    each(branch, at, trust, out);
                    at.truncate(at.len() - 2);
                }
            }
        }
        Node::Map(_) => out.push(Statement {
            node: n,
            path: at.clone(),
            trust,
        }),
        _ => {}
    }
}

fn no_inline_policies(_: &Ctx, res: &Res) -> Vec<Hit> {
    match res.props().and_then(|p| p.get_path(&["Policies"])) {
        Some(_) => vec![Hit::at(
            &["Properties", "Policies"],
            "roles get customer-managed policies (AWS::IAM::ManagedPolicy), not inline ones",
        )],
        None => Vec::new(),
    }
}

/// Roles, users and groups may carry inline policies; harden wants managed ones.
pub static NO_INLINE_POLICIES: Rule = Rule {
    id: "no-inline-policies",
    title: "Roles get managed policies, not inline ones",
    severity: Severity::Low,
    rationale: "Inline policies cannot be reviewed, versioned or reused on their own, and Security Hub reports them (IAM.21 looks at what they allow).",
    remediation: "Move each `Policies` entry into an `AWS::IAM::ManagedPolicy` and list it in the role's `ManagedPolicyArns`.",
    resource_types: &["AWS::IAM::Role"],
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
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["IAM_NO_INLINE_POLICY_CHECK"],
    },
    check: no_inline_policies,
};

/// Whether a resource's policy is a VPC endpoint's: a filter that grants nothing and only
/// bounds what identity and resource policies already allow. `vpc-endpoint-policy` judges it
/// (the perimeter form AWS documents is `Action: *` on `Resource: *`, bounded by condition).
fn endpoint_filter(res: &Res) -> bool {
    res.ty == "AWS::EC2::VPCEndpoint"
}

fn no_wildcard_actions(_: &Ctx, res: &Res) -> Vec<Hit> {
    if endpoint_filter(res) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for st in statements(res).iter().filter(|s| s.allows()) {
        for a in strings(st.node.get_path(&["Action"])) {
            if a.contains('*') {
                out.push(Hit {
                    path: st.at("Action"),
                    message: format!("action `{a}` has a wildcard: name each action"),
                });
            }
        }
    }
    out
}

/// No `*` in an allowed action.
pub static NO_WILDCARD_ACTIONS: Rule = Rule {
    id: "no-wildcard-actions",
    title: "Allowed actions are named, without wildcards",
    severity: Severity::High,
    rationale: "`s3:*` or `*` grants every action the service has and every one it will add, including the destructive and the permission-changing ones.",
    remediation: "List the actions the principal needs (`s3:GetObject`, `s3:PutObject`); `harden iam-policy` shows how harden derives them.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &["1.16"],
    security_hub: &["IAM.1", "IAM.21"],
    frameworks: Frameworks {
        nist: &["AC-6", "AC-3"],
        pci: &["7.2.1"],
        hipaa: &["164.312(a)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_63"],
        cfn_lint: &[],
        cfn_nag: &["F2", "F3", "F4", "F5", "F15", "F20"],
        cdk_nag: &["AwsSolutions-IAM5"],
        guard: &["IAM_POLICY_NO_STATEMENTS_WITH_FULL_ACCESS"],
    },
    check: no_wildcard_actions,
};

fn no_not_action(_: &Ctx, res: &Res) -> Vec<Hit> {
    statements(res)
        .iter()
        .filter(|s| s.allows())
        .filter(|s| {
            s.node.get_path(&["NotAction"]).is_some() || s.node.get_path(&["NotResource"]).is_some()
        })
        .map(|s| Hit {
            path: s.path.clone(),
            message: "`NotAction` / `NotResource` in an Allow grants everything else".into(),
        })
        .collect()
}

/// No `NotAction` or `NotResource` in an `Allow`.
pub static NO_NOT_ACTION: Rule = Rule {
    id: "no-not-action",
    title: "No NotAction or NotResource in an Allow",
    severity: Severity::High,
    rationale: "An Allow with `NotAction` or `NotResource` grants everything except what it names, now and as services add actions.",
    remediation: "Allow the named actions on the named resources; put exclusions in a `Deny`.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6"],
        pci: &["7.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["W14", "W15", "W16", "W17", "W18", "W19", "W20", "W21", "W22", "W23"],
        cdk_nag: &[],
        guard: &[
            "IAM_ROLE_NO_ALLOW_PLUS_NOT_ACTION_ON_TRUST_POLICY",
            "IAM_ROLE_OR_POLICY_NO_ALLOW_PLUS_NOT_ACTION",
            "IAM_ROLE_OR_POLICY_NO_ALLOW_PLUS_NOT_RESOURCE",
            "S3_BUCKET_POLICY_NO_ALLOW_PLUS_NOT_ACTION",
            "SNS_TOPICPOLICY_NO_ALLOW_PLUS_NOT_ACTION",
            "SQS_QUEUEPOLICY_NO_ALLOW_PLUS_NOT_ACTION",
        ],
    },
    check: no_not_action,
};

fn no_wildcard_principal(_: &Ctx, res: &Res) -> Vec<Hit> {
    if endpoint_filter(res) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for st in statements(res).iter().filter(|s| s.allows()) {
        let anyone = st.any_principal();
        // One exception: an API's resource policy that admits anyone reaching it through named
        // VPC endpoints (`aws:SourceVpce`, never `*`), for a private API whose callers have no
        // IAM identity (a Cognito authoriser decides): the endpoint bounds who can send, the
        // authoriser who passes.
        let through_one_endpoint = st.conditioned(&["aws:SourceVpce"], no_wildcard);
        // And one more: `*` bounded to named accounts or an organisation by the caller's own
        // identity (`aws:PrincipalAccount`, `aws:PrincipalOrgID`, with no wildcard), the
        // identity perimeter AWS documents for endpoint and bucket policies.
        let named_callers =
            st.conditioned(&["aws:PrincipalAccount", "aws:PrincipalOrgID"], no_wildcard);
        if anyone && !through_one_endpoint && !named_callers {
            out.push(Hit {
                path: st.at("Principal"),
                message: "an Allow to any principal".into(),
            });
        }
    }
    out
}

/// No `*` principal in an `Allow`.
pub static NO_WILDCARD_PRINCIPAL: Rule = Rule {
    id: "no-wildcard-principal",
    title: "No Allow to any principal",
    severity: Severity::Critical,
    rationale: "A `*` principal in a resource or trust policy lets every AWS account in, and anonymous callers where the service allows them.",
    remediation: "Name the accounts, roles or services that need access; a private API reached through a VPC endpoint may allow `*` with an `aws:SourceVpce` condition naming the endpoint, and an endpoint or bucket policy `*` with `StringEquals` on `aws:PrincipalAccount` or `aws:PrincipalOrgID`.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["S3.2", "S3.3", "SNS.4", "SQS.3", "ECR.4"],
    frameworks: Frameworks {
        nist: &["AC-3", "AC-21"],
        pci: &["7.2.1", "1.4.1"],
        hipaa: &["164.312(a)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_33", "CKV_AWS_60", "CKV_AWS_32"],
        cfn_lint: &[],
        cfn_nag: &["F16", "F18", "F21", "F76"],
        cdk_nag: &["AwsSolutions-ECR1"],
        guard: &[
            "S3_BUCKET_POLICY_NO_WILDCARD_PRINCIPAL",
            "SNS_TOPICPOLICY_NO_WILDCARD_PRINCIPAL",
            "SQS_QUEUEPOLICY_NO_WILDCARD_PRINCIPAL",
        ],
    },
    check: no_wildcard_principal,
};

/// Condition keys that tie a service principal's request to this account's own resources:
/// the global `aws:Source*` keys, and the encryption-context keys a service sets to the ARN
/// of the resource it acts for, where AWS documents them as the condition to use (CloudWatch
/// Logs) or where the `aws:Source*` keys are not sent (EventBridge publishing to an encrypted
/// SNS topic: SNS binds the data key to the topic's ARN). Matched case-insensitively, as IAM
/// matches condition keys.
pub const SOURCE_KEYS: &[&str] = &[
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "kms:EncryptionContext:aws:logs:arn",
    "kms:EncryptionContext:aws:sns:topicArn",
];

fn service_principal_needs_source(_: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    // Trust policies are left to the role that names its service: not every service sends
    // these keys when it assumes a role.
    for st in statements(res).iter().filter(|s| s.allows() && !s.trust) {
        let Some(services) = st.node.get_path(&["Principal", "Service"]) else {
            continue;
        };
        let bound = st.conditioned(SOURCE_KEYS, |v| {
            !matches!(v, Node::Str(s) if s == "*")
                && !matches!(v, Node::Seq(items) if items.is_empty())
        });
        if bound {
            continue;
        }
        let names = match strings(Some(services)).as_slice() {
            [] => "an AWS service".to_string(),
            names => names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.push(Hit {
            path: st.at("Condition"),
            message: format!(
                "statement `{}` allows {names} without an `aws:SourceAccount` or `aws:SourceArn` condition (or an equivalent key): the service acting for another account's resource would be let in",
                st.sid()
            ),
        });
    }
    out
}

/// A service principal in a resource policy is tied to this account's resources.
pub static SERVICE_PRINCIPAL_NEEDS_SOURCE: Rule = Rule {
    id: "service-principal-needs-source",
    title: "A service allowed by a resource policy is bound to this account's resources",
    severity: Severity::High,
    rationale: "Without `aws:SourceAccount` or `aws:SourceArn`, the service acting for any account's resource is let in: the confused deputy.",
    remediation: "Add a condition on `aws:SourceAccount` (this account) or `aws:SourceArn` (the resource the service acts for), or the service's documented encryption-context key.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-3", "AC-6"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: service_principal_needs_source,
};

fn wildcard_resource_needs_reason(_: &Ctx, res: &Res) -> Vec<Hit> {
    // A key policy's `*` resource is the key itself.
    if res.ty == "AWS::KMS::Key" || endpoint_filter(res) {
        return Vec::new();
    }
    let reasons = res
        .node
        .get_path(&["Metadata", "harden", "WildcardResources"])
        .and_then(Node::as_map);
    let mut out = Vec::new();
    for st in statements(res).iter().filter(|s| s.allows()) {
        if !strings(st.node.get_path(&["Resource"])).contains(&"*") {
            continue;
        }
        if reasons.is_some_and(|r| r.contains_key(st.sid())) {
            continue;
        }
        out.push(Hit {
            path: st.at("Resource"),
            message: format!(
                "statement `{}` allows `*` resources without a reason in `Metadata.harden.WildcardResources`",
                st.sid()
            ),
        });
    }
    out
}

/// `*` resources only with a reason.
pub static WILDCARD_RESOURCE_NEEDS_REASON: Rule = Rule {
    id: "wildcard-resource-needs-reason",
    title: "`*` resources only where the action has no resource, with a reason",
    severity: Severity::Medium,
    rationale: "Some actions (`ec2:DescribeSubnets`, `ecr:GetAuthorizationToken`) take no resource, so `*` is the only way to grant them; anywhere else it grants the action on every resource of the account.",
    remediation: "Name the resources by ARN; where the action has none, give the statement a `Sid` and write why in `Metadata.harden.WildcardResources.<Sid>`.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6"],
        pci: &["7.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_111"],
        cfn_lint: &[],
        cfn_nag: &["W11", "W12", "W13"],
        cdk_nag: &["AwsSolutions-IAM5"],
        guard: &[],
    },
    check: wildcard_resource_needs_reason,
};

/// The resources whose policies give an identity its permissions (trust policies aside).
const IDENTITY_POLICIES: &[&str] = &[
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
];

/// Whether an IAM action pattern (`s3:Get*`, `*`) matches `action`, case-insensitively as IAM
/// matches them.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    // Greedy matching that backtracks only to the last `*`: linear in practice and never
    // exponential, whatever a template's author (or a fuzzer) writes.
    let (p, a) = (pattern.as_bytes(), action.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        if i < p.len() && (p[i] == b'?' || p[i].eq_ignore_ascii_case(&a[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// An allowing statement of an identity's own policy (not a trust policy); a statement without
/// `Effect` counts, as checkov counts it.
fn grants(st: &Statement) -> bool {
    !st.trust && st.node.get_path(&["Effect"]).and_then(Node::as_str) != Some("Deny")
}

/// Of `listed` (lowercase actions), those an identity policy of `res` allows on `*` resources,
/// and those of `anywhere` (actions that take no resource) it allows on any resource; each
/// with the path of the first statement that grants it. Conditions are not read: harden holds
/// the grant itself to account.
fn unconstrained<'l>(
    res: &Res,
    listed: &[&'l str],
    anywhere: &[&str],
) -> Vec<(&'l str, Vec<String>)> {
    let mut out: Vec<(&'l str, Vec<String>)> = Vec::new();
    for st in statements(res).iter().filter(|s| grants(s)) {
        let all = strings(st.node.get_path(&["Resource"])).contains(&"*");
        // `NotAction` allows every action it does not name.
        let (key, except) = match st.node.get_path(&["NotAction"]) {
            Some(n) => ("NotAction", Some(strings(Some(n)))),
            None => ("Action", None),
        };
        let patterns = strings(st.node.get_path(&["Action"]));
        for action in listed {
            if out.iter().any(|(a, _)| a == action) || !(all || anywhere.contains(action)) {
                continue;
            }
            let allowed = match &except {
                Some(not) => !not.iter().any(|p| action_matches(p, action)),
                None => patterns.iter().any(|p| action_matches(p, action)),
            };
            if allowed {
                out.push((action, st.at(key)));
            }
        }
    }
    out
}

/// Items found per statement path, in order: one finding per statement, not per item, so a
/// statement allowing `*` is one finding that names a few items and counts the rest.
fn by_statement<T>(
    found: impl IntoIterator<Item = (T, Vec<String>)>,
) -> Vec<(Vec<String>, Vec<T>)> {
    let mut out: Vec<(Vec<String>, Vec<T>)> = Vec::new();
    for (item, path) in found {
        match out.iter_mut().find(|(p, _)| *p == path) {
            Some((_, list)) => list.push(item),
            None => out.push((path, vec![item])),
        }
    }
    out
}

/// `a`, `b`, `c` and 4 more.
fn some_of(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
    let more = if items.len() > 3 {
        format!(" and {} more", items.len() - 3)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

fn quoted(items: &[&str]) -> Vec<String> {
    items.iter().map(|a| format!("`{a}`")).collect()
}

fn iam_no_admin(_: &Ctx, res: &Res) -> Vec<Hit> {
    statements(res)
        .iter()
        .filter(|s| grants(s))
        .filter(|s| {
            strings(s.node.get_path(&["Action"])).contains(&"*")
                && strings(s.node.get_path(&["Resource"])).contains(&"*")
        })
        .map(|s| Hit {
            path: s.path.clone(),
            message: format!(
                "statement `{}` allows every action on every resource: administrator access",
                s.sid()
            ),
        })
        .collect()
}

/// No statement allows `*` on `*`.
pub static IAM_NO_ADMIN: Rule = Rule {
    id: "iam-no-admin",
    title: "No policy grants administrator access (`*` on `*`)",
    severity: Severity::Critical,
    rationale: "`Action: *` on `Resource: *` is administrator access: whoever holds it can do anything in the account, including grant themselves more and remove the audit trail.",
    remediation: "List the actions the principal needs on the resources it needs; `harden iam-policy` derives them from the template.",
    resource_types: IDENTITY_POLICIES,
    tier: Tier::Basic,
    control: None,
    cis: &["1.16"],
    security_hub: &["IAM.1"],
    frameworks: Frameworks {
        nist: &["AC-6", "AC-6(10)"],
        pci: &["7.2.1"],
        hipaa: &["164.312(a)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_62"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"],
    },
    check: iam_no_admin,
};

/// Actions whose response is a credential, as cloudsplaining lists them
/// (`cloudsplaining/shared/constants.py`, `ACTIONS_THAT_RETURN_CREDENTIALS`, the version
/// checkov 3.3.30 ships), less `ecr:getauthorizationtoken`, which checkov excludes.
pub const CREDENTIAL_ACTIONS: &[&str] = &[
    "airflow:createclitoken",
    "airflow:createweblogintoken",
    "appsync:createapikey",
    "chime:createapikey",
    "cloud9:createenvironmenttoken",
    "codeartifact:getauthorizationtoken",
    "codepipeline:pollforjobs",
    "cognito-identity:getopenidtoken",
    "cognito-identity:getopenidtokenfordeveloperidentity",
    "cognito-identity:getcredentialsforidentity",
    "cognito-idp:getsigningcertificate",
    "connect:getfederationtoken",
    "connect:getfederationtokens",
    "ec2:getpassworddata",
    "ecr-public:getauthorizationtoken",
    "emr-containers:getmanagedendpointsessioncredentials",
    "finspace-api:getprogrammaticaccesscredentials",
    "gamelift:requestuploadcredentials",
    "gamelift:getinstanceaccess",
    "gamelift:getcomputeaccess",
    "gamelift:getcomputeauthtoken",
    "grafana:createworkspaceapikey",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:createservicespecificcredential",
    "iam:resetservicespecificcredential",
    "iam:updateaccesskey",
    "license-manager:getaccesstoken",
    "lightsail:getinstanceaccessdetails",
    "lightsail:downloaddefaultkeypair",
    "lightsail:createbucketaccesskey",
    "lightsail:getrelationaldatabasemasteruserpassword",
    "mediapackage:rotatechannelcredentials",
    "mediapackage:rotateingestendpointcredentials",
    "rds-db:connect",
    "redshift:getclustercredentials",
    "redshift:getclustercredentialswithiam",
    "redshift-serverless:getcredentials",
    "sso:getrolecredentials",
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:getfederationtoken",
    "sts:getsessiontoken",
];

/// Listed actions that take no resource (the IAM reference gives them none), so that
/// cloudsplaining counts them whatever `Resource` says.
const RESOURCELESS: &[&str] = &[
    "appsync:createapikey",
    "chime:createapikey",
    "cognito-identity:getcredentialsforidentity",
    "cognito-identity:getopenidtoken",
    "connect:getfederationtokens",
    "datapipeline:createpipeline",
    "ecr-public:getauthorizationtoken",
    "glue:createdevendpoint",
    "lambda:createeventsourcemapping",
    "license-manager:getaccesstoken",
    "lightsail:downloaddefaultkeypair",
    "sso:getrolecredentials",
    "sts:getsessiontoken",
];

fn iam_credentials_exposure(_: &Ctx, res: &Res) -> Vec<Hit> {
    by_statement(unconstrained(res, CREDENTIAL_ACTIONS, RESOURCELESS))
        .into_iter()
        .map(|(path, list)| Hit {
            path,
            message: format!(
                "allows {} on any resource: {} credentials",
                some_of(&quoted(&list)),
                if list.len() == 1 {
                    "it returns"
                } else {
                    "they return"
                }
            ),
        })
        .collect()
}

/// No unconstrained action that returns credentials.
pub static IAM_CREDENTIALS_EXPOSURE: Rule = Rule {
    id: "iam-credentials-exposure",
    title: "No policy allows actions that return credentials on any resource",
    severity: Severity::High,
    rationale: "Actions such as `iam:CreateAccessKey`, `sts:AssumeRole` or `redshift:GetClusterCredentials` hand back credentials; allowed on `*`, they reach every user, role or cluster of the account.",
    remediation: "Name the roles, users or clusters in `Resource` by ARN.",
    resource_types: IDENTITY_POLICIES,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6", "IA-5"],
        pci: &["7.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_107"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: iam_credentials_exposure,
};

/// Read actions that leak data when unconstrained (cloudsplaining's
/// `READ_ONLY_DATA_EXFILTRATION_ACTIONS`).
pub const EXFILTRATION_ACTIONS: &[&str] = &[
    "s3:getobject",
    "ssm:getparameter",
    "ssm:getparameters",
    "ssm:getparametersbypath",
    "secretsmanager:getsecretvalue",
];

fn iam_data_exfiltration(_: &Ctx, res: &Res) -> Vec<Hit> {
    by_statement(unconstrained(res, EXFILTRATION_ACTIONS, &[]))
        .into_iter()
        .map(|(path, list)| Hit {
            path,
            message: format!(
                "allows {} on any resource: every object, parameter or secret of the account",
                some_of(&quoted(&list))
            ),
        })
        .collect()
}

/// No unconstrained data-reading action.
pub static IAM_DATA_EXFILTRATION: Rule = Rule {
    id: "iam-data-exfiltration",
    title: "No policy reads objects, parameters or secrets on any resource",
    severity: Severity::High,
    rationale: "`s3:GetObject`, `ssm:GetParameter*` or `secretsmanager:GetSecretValue` on `*` reads every bucket, parameter and secret in the account, not just the ones the principal works with.",
    remediation: "Name the buckets (`arn:aws:s3:::bucket/*`), parameters and secrets in `Resource`.",
    resource_types: IDENTITY_POLICIES,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6", "AC-3"],
        pci: &["7.2.1"],
        hipaa: &["164.312(a)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_108"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: iam_data_exfiltration,
};

/// The combinations of actions that let a principal raise its own privileges (Rhino Security
/// Labs' list, as cloudsplaining's `PRIVILEGE_ESCALATION_METHODS` has it).
pub const ESCALATIONS: &[(&str, &[&str])] = &[
    ("CreateAccessKey", &["iam:createaccesskey"]),
    ("CreateLoginProfile", &["iam:createloginprofile"]),
    ("UpdateLoginProfile", &["iam:updateloginprofile"]),
    ("AddUserToGroup", &["iam:addusertogroup"]),
    ("CreateNewPolicyVersion", &["iam:createpolicyversion"]),
    (
        "SetExistingDefaultPolicyVersion",
        &["iam:setdefaultpolicyversion"],
    ),
    ("AttachUserPolicy", &["iam:attachuserpolicy"]),
    ("AttachGroupPolicy", &["iam:attachgrouppolicy"]),
    (
        "AttachRolePolicy",
        &["iam:attachrolepolicy", "sts:assumerole"],
    ),
    ("PutUserPolicy", &["iam:putuserpolicy"]),
    ("PutGroupPolicy", &["iam:putgrouppolicy"]),
    ("PutRolePolicy", &["iam:putrolepolicy", "sts:assumerole"]),
    (
        "UpdateRolePolicyToAssumeIt",
        &["iam:updateassumerolepolicy", "sts:assumerole"],
    ),
    (
        "CreateEC2WithExistingIP",
        &["iam:passrole", "ec2:runinstances"],
    ),
    (
        "PassExistingRoleToNewLambdaThenInvoke",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:invokefunction",
        ],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:createeventsourcemapping",
            "dynamodb:createtable",
            "dynamodb:putitem",
        ],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:createeventsourcemapping",
        ],
    ),
    (
        "PassExistingRoleToNewGlueDevEndpoint",
        &["iam:passrole", "glue:createdevendpoint"],
    ),
    (
        "PassExistingRoleToCloudFormation",
        &["iam:passrole", "cloudformation:createstack"],
    ),
    (
        "PassExistingRoleToNewDataPipeline",
        &["iam:passrole", "datapipeline:createpipeline"],
    ),
    ("UpdateExistingGlueDevEndpoint", &["glue:updatedevendpoint"]),
    (
        "EditExistingLambdaFunctionWithRole",
        &["lambda:updatefunctioncode"],
    ),
];

fn iam_privilege_escalation(_: &Ctx, res: &Res) -> Vec<Hit> {
    let mut listed: Vec<&str> = ESCALATIONS
        .iter()
        .flat_map(|(_, a)| a.iter().copied())
        .collect();
    listed.sort_unstable();
    listed.dedup();
    let granted = unconstrained(res, &listed, RESOURCELESS);
    let mut found_methods: Vec<(String, Vec<String>)> = Vec::new();
    for (method, actions) in ESCALATIONS {
        let found: Vec<&(&str, Vec<String>)> = actions
            .iter()
            .filter_map(|a| granted.iter().find(|(g, _)| g == a))
            .collect();
        if found.len() == actions.len() {
            found_methods.push((
                format!("{method} ({})", quoted(actions).join(" + ")),
                found[0].1.clone(),
            ));
        }
    }
    by_statement(found_methods)
        .into_iter()
        .map(|(path, methods)| Hit {
            path,
            message: format!(
                "allows privilege escalation on any resource by {}",
                some_of(&methods)
            ),
        })
        .collect()
}

/// No combination of unconstrained actions that escalates privileges.
pub static IAM_PRIVILEGE_ESCALATION: Rule = Rule {
    id: "iam-privilege-escalation",
    title: "No policy allows a known privilege escalation on any resource",
    severity: Severity::Critical,
    rationale: "With `iam:PutRolePolicy` and `sts:AssumeRole`, `iam:PassRole` and `lambda:CreateFunction`, or `iam:CreatePolicyVersion` on `*`, a principal can give itself any permission, which makes it an administrator.",
    remediation: "Name the roles and policies in `Resource` (and `iam:PassedToService` for `iam:PassRole`), or drop the IAM-changing actions: roles are the template's to change.",
    resource_types: IDENTITY_POLICIES,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6", "AC-6(10)"],
        pci: &["7.2.1"],
        hipaa: &["164.312(a)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_110"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: iam_privilege_escalation,
};

fn iam_permissions_management(_: &Ctx, res: &Res) -> Vec<Hit> {
    by_statement(unconstrained(res, actions::PERMISSIONS_MANAGEMENT, &[]))
        .into_iter()
        .map(|(path, list)| Hit {
            path,
            message: format!(
                "allows permissions management on any resource: {}",
                some_of(&quoted(&list))
            ),
        })
        .collect()
}

/// No unconstrained permissions-management action.
pub static IAM_PERMISSIONS_MANAGEMENT: Rule = Rule {
    id: "iam-permissions-management",
    title: "No policy changes permissions on any resource",
    severity: Severity::High,
    rationale: "Permissions-management actions (`iam:PutRolePolicy`, `kms:CreateGrant`, `s3:PutBucketPolicy`, `secretsmanager:PutResourcePolicy`) decide who may do what; allowed on `*`, they open every role, key, bucket or secret of the account to whoever the principal chooses.",
    remediation: "Name the roles, keys, buckets or secrets in `Resource` by ARN, or drop the action: the template is what should set permissions.",
    resource_types: IDENTITY_POLICIES,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6", "AC-2"],
        pci: &["7.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_109"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: iam_permissions_management,
};

/// Whether a principal names a whole account: its id, or its `root` ARN.
fn whole_account(p: &str) -> bool {
    let digits = |s: &str| s.len() >= 12 && s.as_bytes()[..12].iter().all(u8::is_ascii_digit);
    digits(p) || (p.starts_with("arn:aws") && p.contains(":iam::") && p.contains(":root"))
}

fn iam_trust_whole_account(_: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for st in statements(res).iter().filter(|s| s.trust && s.allows()) {
        let Some(aws) = st.node.get_path(&["Principal", "AWS"]) else {
            continue;
        };
        let items: Vec<&Node> = match aws {
            Node::Seq(items) => items.iter().collect(),
            other => vec![other],
        };
        for p in items {
            let text = match p {
                Node::Str(s) => Some(s.as_str()),
                Node::Map(m) if m.len() == 1 => m.get("Fn::Sub").and_then(|s| match s {
                    Node::Str(s) => Some(s.as_str()),
                    Node::Seq(parts) => parts.first().and_then(Node::as_str),
                    _ => None,
                }),
                _ => None,
            };
            if let Some(t) = text.filter(|t| whole_account(t)) {
                out.push(Hit {
                    path: st.at("Principal"),
                    message: format!("the role trusts `{t}`: every principal of that account allowed `sts:AssumeRole` can assume it"),
                });
            }
        }
    }
    out
}

/// A trust policy names the roles it trusts, not a whole account.
pub static IAM_TRUST_WHOLE_ACCOUNT: Rule = Rule {
    id: "iam-trust-whole-account",
    title: "Roles trust named principals, not whole accounts",
    severity: Severity::Medium,
    rationale: "Trusting an account (`123456789012` or `arn:aws:iam::123456789012:root`) delegates the decision to that account's administrators: any user or role there that they allow `sts:AssumeRole` becomes this role.",
    remediation: "Name the roles that may assume it in `Principal.AWS` (`arn:aws:iam::123456789012:role/deployer`), and require `sts:ExternalId` for a third party.",
    resource_types: &["AWS::IAM::Role"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-3", "AC-6"],
        pci: &["7.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_61"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: iam_trust_whole_account,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &NO_INLINE_POLICIES,
    &NO_WILDCARD_ACTIONS,
    &NO_NOT_ACTION,
    &NO_WILDCARD_PRINCIPAL,
    &SERVICE_PRINCIPAL_NEEDS_SOURCE,
    &WILDCARD_RESOURCE_NEEDS_REASON,
    &IAM_NO_ADMIN,
    &IAM_CREDENTIALS_EXPOSURE,
    &IAM_DATA_EXFILTRATION,
    &IAM_PRIVILEGE_ESCALATION,
    &IAM_PERMISSIONS_MANAGEMENT,
    &IAM_TRUST_WHOLE_ACCOUNT,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::parse::parse_template;
    use serde_json::{json, Value};

    /// The hit paths of `rule` on resource `R` of `template`.
    fn run(rule: &Rule, template: &Value) -> Vec<String> {
        let root = parse_template(&template.to_string()).expect("parses");
        let ctx = Ctx::new(&root);
        let res = ctx.resource("R").expect("R");
        assert!(rule.applies(res.ty, Tier::Enterprise));
        (rule.check)(&ctx, &res)
            .into_iter()
            .map(|h| h.path.join("/"))
            .collect()
    }

    /// A managed policy with these statements.
    fn policy(statements: Value) -> Value {
        json!({
            "Parameters": {"Action": {"Type": "String", "Default": "*"}},
            "Resources": {"R": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}}}
        })
    }

    fn allow(action: Value, resource: Value) -> Value {
        json!({"Sid": "S", "Effect": "Allow", "Action": action, "Resource": resource})
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/app";

    #[test]
    fn action_patterns_match_as_iam_matches_them() {
        assert!(action_matches("*", "s3:getobject"));
        assert!(action_matches("s3:Get*", "s3:getobject"));
        assert!(action_matches("S3:GETOBJECT", "s3:getobject"));
        assert!(action_matches("ssm:GetParameter?", "ssm:getparameters"));
        assert!(!action_matches("s3:Put*", "s3:getobject"));
        assert!(!action_matches("s3:GetObjectAcl", "s3:getobject"));
        assert!(!action_matches("sts:AssumeRole", "sts:assumerolewithsaml"));
        assert!(action_matches("kms:?reate*", "kms:CreateGrant"));
        assert!(action_matches("*:*t", "s3:getobject"));
        assert!(!action_matches("s3:*x", "s3:getobject"));
        assert!(action_matches("s3:**", "s3:"));
        // Many stars against a long miss finish at once rather than backtracking for ages.
        let pattern = format!("{}b", "a*".repeat(40));
        assert!(!action_matches(&pattern, &"a".repeat(200)));
    }

    #[test]
    fn administrator_access_is_every_action_on_every_resource() {
        let hits = run(
            &IAM_NO_ADMIN,
            &policy(json!([allow(json!("*"), json!("*"))])),
        );
        assert_eq!(hits, ["Properties/PolicyDocument/Statement/0"]);
        assert!(run(
            &IAM_NO_ADMIN,
            &policy(json!([allow(json!("*"), json!(ROLE))]))
        )
        .is_empty());
        assert!(run(
            &IAM_NO_ADMIN,
            &policy(json!([allow(json!("s3:GetObject"), json!("*"))]))
        )
        .is_empty());
        let deny = json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}]);
        assert!(run(&IAM_NO_ADMIN, &policy(deny)).is_empty());
        // checkov takes a statement without `Effect` for an Allow; so does harden.
        let bare = json!([{"Action": ["*"], "Resource": ["*"]}]);
        assert_eq!(run(&IAM_NO_ADMIN, &policy(bare)).len(), 1);
        let branch = json!([{"Fn::If": ["C", allow(json!("s3:GetObject"), json!(ROLE)), allow(json!("*"), json!("*"))]}]);
        assert_eq!(
            run(&IAM_NO_ADMIN, &policy(branch)),
            ["Properties/PolicyDocument/Statement/0/Fn::If/2"]
        );
        // An action from a parameter is not read, whatever its default.
        assert!(run(
            &IAM_NO_ADMIN,
            &policy(json!([allow(json!({"Ref": "Action"}), json!("*"))]))
        )
        .is_empty());
        // Inline policies of a role are read too.
        let role = json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [allow(json!("*"), json!("*"))]}}]}}}});
        assert_eq!(run(&IAM_NO_ADMIN, &role).len(), 1);
    }

    #[test]
    fn actions_that_return_credentials_are_reported_on_any_resource() {
        let fires = |action: &str, resource: &str| {
            !run(
                &IAM_CREDENTIALS_EXPOSURE,
                &policy(json!([allow(json!(action), json!(resource))])),
            )
            .is_empty()
        };
        assert!(fires("sts:AssumeRole", "*"));
        assert!(fires("sts:*", "*"));
        assert!(fires("iam:CreateAccessKey", "*"));
        assert!(!fires("sts:AssumeRole", ROLE));
        assert!(
            !fires("ecr:GetAuthorizationToken", "*"),
            "checkov excludes it: it has no resource to name"
        );
        assert!(
            fires("sts:GetSessionToken", ROLE),
            "an action without resources is counted wherever it is allowed"
        );
        assert!(!fires("s3:GetObject", "*"));
        let not = json!([{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}]);
        assert!(
            !run(&IAM_CREDENTIALS_EXPOSURE, &policy(not)).is_empty(),
            "NotAction allows sts:AssumeRole"
        );
        let not = json!([{"Effect": "Allow", "NotAction": ["sts:*", "iam:*", "redshift*", "*:*Token*", "*:*Credential*", "*:*Key*", "*:*Pass*", "rds-db:*", "*:*Access*", "*:PollForJobs", "*:GetSigningCertificate"], "Resource": "*"}]);
        assert!(run(&IAM_CREDENTIALS_EXPOSURE, &policy(not)).is_empty());
        let branch = json!([{"Fn::If": ["C", allow(json!("sts:AssumeRole"), json!(ROLE)), allow(json!("sts:AssumeRole"), json!("*"))]}]);
        assert_eq!(
            run(&IAM_CREDENTIALS_EXPOSURE, &policy(branch)),
            ["Properties/PolicyDocument/Statement/0/Fn::If/2/Action"]
        );
    }

    #[test]
    fn reading_objects_parameters_and_secrets_everywhere_is_reported() {
        let fires = |action: Value, resource: &str| {
            !run(
                &IAM_DATA_EXFILTRATION,
                &policy(json!([allow(action, json!(resource))])),
            )
            .is_empty()
        };
        assert!(fires(json!("s3:GetObject"), "*"));
        assert!(fires(json!(["s3:ListBucket", "s3:Get*"]), "*"));
        assert!(fires(json!("secretsmanager:GetSecretValue"), "*"));
        assert!(fires(json!("ssm:GetParametersByPath"), "*"));
        assert!(!fires(json!("s3:GetObject"), "arn:aws:s3:::bucket/*"));
        assert!(!fires(json!("s3:ListBucket"), "*"));
        assert!(!fires(json!("s3:GetObjectTagging"), "*"));
    }

    #[test]
    fn privilege_escalation_needs_every_action_of_a_method_unconstrained() {
        let esc = |statements: Value| run(&IAM_PRIVILEGE_ESCALATION, &policy(statements));
        let pass = allow(json!("iam:PassRole"), json!("*"));
        let lambda = allow(
            json!(["lambda:CreateFunction", "lambda:InvokeFunction"]),
            json!("*"),
        );
        assert!(
            !esc(json!([pass.clone(), lambda])).is_empty(),
            "across statements"
        );
        assert!(
            esc(json!([pass.clone()])).is_empty(),
            "iam:PassRole alone is no method"
        );
        let scoped = allow(
            json!(["lambda:CreateFunction", "lambda:InvokeFunction"]),
            json!("arn:aws:lambda:eu-west-1:123456789012:function:f"),
        );
        assert!(esc(json!([pass, scoped])).is_empty());
        assert!(!esc(json!([allow(json!("iam:CreatePolicyVersion"), json!("*"))])).is_empty());
        assert!(!esc(json!([
            allow(json!("iam:*"), json!("*")),
            allow(json!("sts:AssumeRole"), json!("*"))
        ]))
        .is_empty());
        assert!(esc(json!([allow(
            json!("iam:CreatePolicyVersion"),
            json!("arn:aws:iam::123456789012:policy/p")
        )]))
        .is_empty());
    }

    #[test]
    fn changing_permissions_on_any_resource_is_reported_once_per_statement() {
        let pm = |action: Value, resource: &str| {
            run(
                &IAM_PERMISSIONS_MANAGEMENT,
                &policy(json!([allow(action, json!(resource))])),
            )
        };
        assert_eq!(
            pm(json!("iam:*"), "*"),
            ["Properties/PolicyDocument/Statement/0/Action"]
        );
        assert_eq!(
            pm(json!(["kms:CreateGrant", "s3:PutBucketPolicy"]), "*").len(),
            1
        );
        assert!(pm(
            json!("kms:CreateGrant"),
            "arn:aws:kms:eu-west-1:123456789012:key/k"
        )
        .is_empty());
        assert!(pm(json!(["s3:GetObject", "kms:Decrypt"]), "*").is_empty());
        let branch = json!([{"Fn::If": ["C", allow(json!("s3:PutBucketPolicy"), json!("arn:aws:s3:::b")), allow(json!("s3:PutBucketPolicy"), json!("*"))]}]);
        assert_eq!(
            run(&IAM_PERMISSIONS_MANAGEMENT, &policy(branch)),
            ["Properties/PolicyDocument/Statement/0/Fn::If/2/Action"]
        );
        assert!(actions::PERMISSIONS_MANAGEMENT.contains(&"iam:putrolepolicy"));
        assert!(!actions::PERMISSIONS_MANAGEMENT.contains(&"s3:getobject"));
    }

    #[test]
    fn any_principal_is_allowed_only_when_bounded_to_named_callers() {
        let doc = |ty: &str, condition: Value| {
            json!({"Resources": {"R": {"Type": ty, "Properties": {
            "PolicyDocument": {"Version": "2012-10-17", "Statement": {
                "Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": condition}}}}}})
        };
        let bucket = |c: Value| doc("AWS::S3::BucketPolicy", c);
        let endpoint = |c: Value| doc("AWS::EC2::VPCEndpoint", c);
        let fires = |c: Value| !run(&NO_WILDCARD_PRINCIPAL, &bucket(c)).is_empty();
        assert!(fires(json!({})));
        assert!(fires(json!({"StringLike": {"aws:PrincipalAccount": "*"}})));
        assert!(fires(
            json!({"StringEquals": {"aws:PrincipalAccount": ["1", "*"]}})
        ));
        assert!(fires(
            json!({"StringEquals": {"aws:ResourceAccount": "123456789012"}})
        ));
        assert!(!fires(
            json!({"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}})
        ));
        assert!(!fires(
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
        ));
        assert!(!fires(
            json!({"StringEquals": {"aws:SourceVpce": "vpce-1"}})
        ));
        // Operators that admit whoever does not match, or omits the key, bound nobody.
        assert!(fires(
            json!({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}})
        ));
        assert!(fires(
            json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})
        ));
        assert!(fires(
            json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
        ));
        assert!(fires(
            json!({"StringLike": {"aws:PrincipalAccount": "1111*"}})
        ));
        assert!(!fires(
            json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgID": "o-abc"}})
        ));
        // An endpoint's filter is judged by `vpc-endpoint-policy`, not as a grant.
        let open = endpoint(json!({}));
        assert!(run(&NO_WILDCARD_PRINCIPAL, &open).is_empty());
        let mut everything = open.clone();
        everything["Resources"]["R"]["Properties"]["PolicyDocument"]["Statement"]["Action"] =
            json!("*");
        everything["Resources"]["R"]["Properties"]["PolicyDocument"]["Statement"]["Resource"] =
            json!("*");
        assert!(run(&NO_WILDCARD_ACTIONS, &everything).is_empty());
        assert!(run(&WILDCARD_RESOURCE_NEEDS_REASON, &everything).is_empty());
        let mut granted = everything.clone();
        granted["Resources"]["R"]["Type"] = json!("AWS::S3::BucketPolicy");
        assert!(!run(&NO_WILDCARD_ACTIONS, &granted).is_empty());
        assert!(!run(&WILDCARD_RESOURCE_NEEDS_REASON, &granted).is_empty());
    }

    #[test]
    fn a_role_trusting_a_whole_account_is_reported_and_one_naming_a_role_is_not() {
        let role = |principal: Value| {
            json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}}}}})
        };
        let fires = |p: Value| !run(&IAM_TRUST_WHOLE_ACCOUNT, &role(p)).is_empty();
        assert!(fires(json!({"AWS": "arn:aws:iam::123456789012:root"})));
        assert!(fires(json!({"AWS": ["123456789012"]})));
        assert!(fires(
            json!({"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}})
        ));
        assert!(fires(
            json!({"AWS": ["arn:aws:iam::123456789012:role/deployer", "arn:aws-us-gov:iam::123456789012:root"]})
        ));
        assert!(!fires(
            json!({"AWS": "arn:aws:iam::123456789012:role/deployer"})
        ));
        assert!(!fires(json!({"Service": "lambda.amazonaws.com"})));
        assert!(!fires(json!({"AWS": {"Ref": "Trusted"}})));
        let branch = json!({"Fn::If": ["C", {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
        let t = json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [branch]}}}}});
        assert_eq!(
            run(&IAM_TRUST_WHOLE_ACCOUNT, &t),
            ["Properties/AssumeRolePolicyDocument/Statement/0/Fn::If/2/Principal"]
        );
    }
}
