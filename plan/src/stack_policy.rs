//! Does a stack policy let an update replace or delete a resource? A stack policy denies
//! every update it does not allow, and a `Deny` wins over an `Allow`. When the policy in force
//! forbids it, the update fails at that resource instead of destroying it, and the plan says so.

use harden_blueprints::cfn::Node;

use crate::value::compact;

/// Whether `policy` allows `action` (`Update:Replace`, `Update:Delete`, `Update:Modify`) on
/// the resource. Conditions other than `StringEquals`/`StringLike` on `ResourceType` are
/// taken as not matching for a `Deny` (so the plan never hides a loss behind a policy it
/// cannot read) and as matching for an `Allow`.
pub fn allows(policy: &Node, action: &str, logical_id: &str, resource_type: &str) -> bool {
    let statements = match policy.get_path(&["Statement"]) {
        Some(Node::Seq(v)) => v.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let resource = format!("LogicalResourceId/{logical_id}");
    let mut allowed = false;
    for s in statements {
        let deny = s.get_path(&["Effect"]).and_then(Node::as_str) == Some("Deny");
        let hits = |key: &str, not_key: &str, value: &str| match (
            s.get_path(&[key]),
            s.get_path(&[not_key]),
        ) {
            (Some(v), _) => strings(v).iter().any(|p| glob(p, value)),
            (None, Some(v)) => !strings(v).iter().any(|p| glob(p, value)),
            (None, None) => false,
        };
        if !hits("Action", "NotAction", action) || !hits("Resource", "NotResource", &resource) {
            continue;
        }
        let condition_holds = match s.get_path(&["Condition"]).and_then(Node::as_map) {
            None => true,
            Some(c) => c.iter().all(|(op, keys)| {
                let known = matches!(op.as_str(), "StringEquals" | "StringLike");
                let Some(keys) = keys.as_map().filter(|_| known) else {
                    return !deny;
                };
                keys.iter().all(|(k, v)| {
                    if k != "ResourceType" {
                        return !deny;
                    }
                    strings(v).iter().any(|p| {
                        if op == "StringLike" {
                            glob(p, resource_type)
                        } else {
                            p == resource_type
                        }
                    })
                })
            }),
        };
        if !condition_holds {
            continue;
        }
        if deny {
            return false;
        }
        allowed = true;
    }
    allowed
}

fn strings(n: &Node) -> Vec<String> {
    match n {
        Node::Seq(v) => v.iter().map(compact).collect(),
        other => vec![compact(other)],
    }
}

/// `*` matches any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use harden_blueprints::cfn::parse::parse;

    #[test]
    fn deny_on_replace_wins_over_allow_all() {
        let p = parse(
            "Statement:\n- {Effect: Allow, Action: 'Update:*', Principal: '*', Resource: '*'}\n\
             - {Effect: Deny, Action: [Update:Replace, Update:Delete], Principal: '*', Resource: [LogicalResourceId/DataBucket]}\n",
        )
        .unwrap();
        assert!(!allows(
            &p,
            "Update:Replace",
            "DataBucket",
            "AWS::S3::Bucket"
        ));
        assert!(!allows(
            &p,
            "Update:Delete",
            "DataBucket",
            "AWS::S3::Bucket"
        ));
        assert!(allows(&p, "Update:Modify", "DataBucket", "AWS::S3::Bucket"));
        assert!(allows(&p, "Update:Replace", "Other", "AWS::S3::Bucket"));
    }

    #[test]
    fn resource_type_conditions_and_globs_apply() {
        let p = parse(
            "Statement:\n- {Effect: Allow, Action: 'Update:*', Principal: '*', Resource: '*'}\n\
             - {Effect: Deny, Action: 'Update:*', Principal: '*', Resource: '*', Condition: {StringLike: {ResourceType: ['AWS::RDS::*']}}}\n",
        )
        .unwrap();
        assert!(!allows(&p, "Update:Replace", "Db", "AWS::RDS::DBInstance"));
        assert!(allows(&p, "Update:Replace", "Bucket", "AWS::S3::Bucket"));
    }

    #[test]
    fn anything_not_allowed_is_denied() {
        let p = parse("Statement:\n- {Effect: Allow, Action: 'Update:Modify', Principal: '*', Resource: '*'}\n").unwrap();
        assert!(!allows(&p, "Update:Replace", "Bucket", "AWS::S3::Bucket"));
    }
}
