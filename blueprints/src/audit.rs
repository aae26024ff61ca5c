//! Least-privilege and exposure rules that harden holds every template to, whoever wrote it:
//! no `*` in allowed actions, no `*` principal in an `Allow`, `*` resources only with a written
//! reason, no inline role policies, and no ingress from anywhere without a written reason.
//!
//! The rules read a template tree ([`Node`]), so they apply to rendered and parsed templates
//! alike.

use crate::cfn::Node;

/// One rule broken at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule id.
    pub rule: &'static str,
    /// Where: `Resources.X.Properties...`
    pub at: String,
    /// What is wrong.
    pub message: String,
}

/// Checks a template tree against harden's least-privilege and exposure rules.
pub fn audit(root: &Node) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(resources) = root.get_path(&["Resources"]).and_then(Node::as_map) else {
        return out;
    };
    for (id, r) in resources {
        let ty = r.get_path(&["Type"]).and_then(Node::as_str).unwrap_or("");
        let at = format!("Resources.{id}");
        let reasons = r
            .get_path(&["Metadata", "harden", "WildcardResources"])
            .and_then(Node::as_map);
        let props = r.get_path(&["Properties"]);
        if ty == "AWS::IAM::Role" && props.and_then(|p| p.get_path(&["Policies"])).is_some() {
            out.push(Finding {
                rule: "no-inline-policies",
                at: format!("{at}.Properties.Policies"),
                message:
                    "roles get customer-managed policies (AWS::IAM::ManagedPolicy), not inline ones"
                        .into(),
            });
        }
        if let Some(p) = props {
            let key_policy = ty == "AWS::KMS::Key";
            find_statements(p, &format!("{at}.Properties"), &mut |st, st_at| {
                check_statement(st, st_at, key_policy, reasons, &mut out)
            });
        }
        if ty == "AWS::EC2::SecurityGroup" || ty == "AWS::EC2::SecurityGroupIngress" {
            let open_reason = r.get_path(&["Metadata", "harden", "OpenIngress"]).is_some();
            let mut rules: Vec<(String, &Node)> = Vec::new();
            if ty == "AWS::EC2::SecurityGroupIngress" {
                if let Some(p) = props {
                    rules.push((format!("{at}.Properties"), p));
                }
            } else if let Some(Node::Seq(items)) =
                props.and_then(|p| p.get_path(&["SecurityGroupIngress"]))
            {
                for (i, item) in items.iter().enumerate() {
                    rules.push((format!("{at}.Properties.SecurityGroupIngress[{i}]"), item));
                }
            }
            for (rat, rule) in rules {
                let open = ["CidrIp", "CidrIpv6"].iter().any(|k| {
                    matches!(
                        rule.get_path(&[k]).and_then(Node::as_str),
                        Some("0.0.0.0/0" | "::/0")
                    )
                });
                if open && !open_reason {
                    out.push(Finding {
                        rule: "no-open-ingress",
                        at: rat,
                        message:
                            "ingress from anywhere needs a reason in `Metadata.harden.OpenIngress`"
                                .into(),
                    });
                }
            }
        }
    }
    out
}

fn find_statements(n: &Node, at: &str, f: &mut dyn FnMut(&Node, String)) {
    match n {
        Node::Map(m) => {
            if let (Some(Node::Seq(sts)), true) = (m.get("Statement"), m.contains_key("Version")) {
                for (i, st) in sts.iter().enumerate() {
                    f(st, format!("{at}.Statement[{i}]"));
                }
                return;
            }
            for (k, v) in m {
                find_statements(v, &format!("{at}.{k}"), f);
            }
        }
        Node::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                find_statements(v, &format!("{at}[{i}]"), f);
            }
        }
        _ => {}
    }
}

fn strings(n: Option<&Node>) -> Vec<&str> {
    match n {
        Some(Node::Str(s)) => vec![s.as_str()],
        Some(Node::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    }
}

fn check_statement(
    st: &Node,
    at: String,
    key_policy: bool,
    reasons: Option<&crate::cfn::NodeMap>,
    out: &mut Vec<Finding>,
) {
    if st.get_path(&["Effect"]).and_then(Node::as_str) != Some("Allow") {
        return;
    }
    for a in strings(st.get_path(&["Action"])) {
        if a.contains('*') {
            out.push(Finding {
                rule: "no-wildcard-actions",
                at: format!("{at}.Action"),
                message: format!("action `{a}` has a wildcard: name each action"),
            });
        }
    }
    if st.get_path(&["NotAction"]).is_some() || st.get_path(&["NotResource"]).is_some() {
        out.push(Finding {
            rule: "no-not-action",
            at: at.clone(),
            message: "`NotAction` / `NotResource` in an Allow grants everything else".into(),
        });
    }
    let principal = st.get_path(&["Principal"]);
    let anyone = matches!(principal, Some(Node::Str(s)) if s == "*")
        || principal
            .and_then(|p| p.get_path(&["AWS"]))
            .is_some_and(|p| strings(Some(p)).contains(&"*"));
    if anyone {
        out.push(Finding {
            rule: "no-wildcard-principal",
            at: format!("{at}.Principal"),
            message: "an Allow to any principal".into(),
        });
    }
    if !key_policy && strings(st.get_path(&["Resource"])).contains(&"*") {
        let sid = st.get_path(&["Sid"]).and_then(Node::as_str).unwrap_or("");
        if !reasons.is_some_and(|r| r.contains_key(sid)) {
            out.push(Finding {
                rule: "wildcard-resource-needs-reason",
                at: format!("{at}.Resource"),
                message: format!(
                    "statement `{sid}` allows `*` resources without a reason in `Metadata.harden.WildcardResources`"
                ),
            });
        }
    }
}
