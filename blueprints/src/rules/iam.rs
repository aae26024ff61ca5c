//! Least privilege in policy documents, wherever they are written: role and managed policies,
//! trust policies, and the resource policies of keys, buckets, topics, queues, secrets, APIs
//! and repositories.
//!
//! A policy's `Statement` may be a list or a single statement; both are checked, and so are
//! both branches of a statement given as `Fn::If`.

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

    fn at(&self, key: &str) -> Vec<String> {
        let mut p = self.path.clone();
        p.push(key.to_string());
        p
    }
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

fn no_wildcard_actions(_: &Ctx, res: &Res) -> Vec<Hit> {
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
        checkov: &["CKV_AWS_62", "CKV_AWS_63"],
        cfn_lint: &[],
        cfn_nag: &["F4", "W12", "F39"],
        cdk_nag: &["AwsSolutions-IAM5"],
        guard: &["IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "IAM_NO_WILDCARD_ACTIONS"],
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
        cfn_nag: &["W15", "W16", "W17", "W20", "W21", "W22", "W23"],
        cdk_nag: &[],
        guard: &[],
    },
    check: no_not_action,
};

fn no_wildcard_principal(_: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for st in statements(res).iter().filter(|s| s.allows()) {
        let principal = st.node.get_path(&["Principal"]);
        let anyone = matches!(principal, Some(Node::Str(s)) if s == "*")
            || principal
                .and_then(|p| p.get_path(&["AWS"]))
                .is_some_and(|p| strings(Some(p)).contains(&"*"));
        // One exception: an API's resource policy that admits anyone reaching it through named
        // VPC endpoints (`aws:SourceVpce`, never `*`), for a private API whose callers have no
        // IAM identity (a Cognito authoriser decides): the endpoint bounds who can send, the
        // authoriser who passes.
        let through_one_endpoint = st
            .node
            .get_path(&["Condition", "StringEquals", "aws:SourceVpce"])
            .is_some_and(|v| !strings(Some(v)).contains(&"*"));
        if anyone && !through_one_endpoint {
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
    remediation: "Name the accounts, roles or services that need access; a private API reached through a VPC endpoint may allow `*` with an `aws:SourceVpce` condition naming the endpoint.",
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
        cfn_nag: &["F2", "F16", "F18", "F20", "F21"],
        cdk_nag: &[],
        guard: &["S3_BUCKET_PUBLIC_READ_PROHIBITED", "S3_BUCKET_PUBLIC_WRITE_PROHIBITED"],
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
        let bound = st
            .node
            .get_path(&["Condition"])
            .and_then(Node::as_map)
            .is_some_and(|ops| {
                ops.values().filter_map(Node::as_map).any(|keys| {
                    keys.iter().any(|(k, v)| {
                        SOURCE_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k))
                            && !matches!(v, Node::Str(s) if s == "*")
                            && !matches!(v, Node::Seq(items) if items.is_empty())
                    })
                })
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
    if res.ty == "AWS::KMS::Key" {
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
        checkov: &["CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111", "CKV_AWS_107"],
        cfn_lint: &[],
        cfn_nag: &["W11", "W12", "W13"],
        cdk_nag: &["AwsSolutions-IAM5"],
        guard: &[],
    },
    check: wildcard_resource_needs_reason,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &NO_INLINE_POLICIES,
    &NO_WILDCARD_ACTIONS,
    &NO_NOT_ACTION,
    &NO_WILDCARD_PRINCIPAL,
    &SERVICE_PRINCIPAL_NEEDS_SOURCE,
    &WILDCARD_RESOURCE_NEEDS_REASON,
];
