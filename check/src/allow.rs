//! A team's allow-list of suppressions (`--allowed-suppressions FILE`):
//!
//! ```yaml
//! allow:
//!   - rule: s3-bucket-access-logging     # on any resource type
//!   - rule: lambda-in-vpc
//!     types: [AWS::Lambda::Function]     # only on these types
//! ```
//!
//! Any other suppression in a checked template is refused (a finding of
//! `suppression-not-allowed`).

use harden_blueprints::cfn::parse::parse_located;
use harden_blueprints::cfn::Node;
use harden_blueprints::rules::{self, AllowList};

/// What is wrong with an allow-list file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct AllowError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, and the fix.
    pub message: String,
}

/// Reads an allow-list from its text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<AllowList, AllowError> {
    parse_with(file, text, &[])
}

/// Reads an allow-list that may also name the rules of a team's Guard files (`guard`: their
/// names, [`crate::GuardRules::rule_names`]).
pub fn parse_with(file: &str, text: &str, guard: &[&str]) -> Result<AllowList, AllowError> {
    let (root, spans) = parse_located(text).map_err(|e| AllowError {
        file: file.into(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let fail = |path: &[&str], message: String| {
        let ((line, column), _) = spans.nearest(path).unwrap_or(((1, 1), 0));
        AllowError {
            file: file.into(),
            line,
            column,
            message,
        }
    };
    let Some(top) = root.as_map() else {
        return Err(fail(
            &[],
            "an allow-list is a map with one key, `allow:`, a list of `{rule, types}`".into(),
        ));
    };
    if let Some(k) = top.keys().find(|k| *k != "allow") {
        return Err(fail(
            &[k],
            format!("unknown key `{k}`: the only key is `allow`"),
        ));
    }
    let Some(Node::Seq(items)) = top.get("allow") else {
        return Err(fail(
            &["allow"],
            "`allow` must be a list of `{rule: ID, types: [TYPE, ...]}`".into(),
        ));
    };
    let mut entries = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let idx = i.to_string();
        let at = ["allow", idx.as_str()];
        let Some(m) = item.as_map() else {
            return Err(fail(&at, "each entry is a map: `- rule: ID`".into()));
        };
        if let Some(k) = m.keys().find(|k| *k != "rule" && *k != "types") {
            return Err(fail(
                &["allow", &idx, k],
                format!("unknown key `{k}`: an entry has `rule` and optionally `types`"),
            ));
        }
        let Some(id) = m.get("rule").and_then(Node::as_str) else {
            return Err(fail(&at, "the entry has no `rule:` (a harden rule id; `harden check --list-rules` lists them)".into()));
        };
        if rules::find(id).is_none() && !guard.contains(&id) {
            let hint = rules::did_you_mean(id)
                .map(|r| format!(" (did you mean `{r}`?)"))
                .unwrap_or_default();
            return Err(fail(&["allow", &idx, "rule"], format!("`{id}` is not a rule of harden's{hint}; `harden check --list-rules` lists them")));
        }
        let types = match m.get("types") {
            None => Vec::new(),
            Some(Node::Seq(ts)) => {
                let mut out = Vec::new();
                for (j, t) in ts.iter().enumerate() {
                    match t.as_str() {
                        Some(s) if s.matches("::").count() == 2 => out.push(s.to_string()),
                        _ => {
                            let j = j.to_string();
                            return Err(fail(
                                &["allow", &idx, "types", &j],
                                "a resource type is written `AWS::Service::Resource`".into(),
                            ));
                        }
                    }
                }
                out
            }
            Some(_) => {
                return Err(fail(
                    &["allow", &idx, "types"],
                    "`types` is a list: `types: [AWS::S3::Bucket]`".into(),
                ))
            }
        };
        entries.push((id.to_string(), types));
    }
    Ok(AllowList { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_list_reads_rules_and_types() {
        let l = parse("a.yaml", "allow:\n  - rule: no-open-ingress\n    types: [AWS::EC2::SecurityGroup]\n  - rule: no-inline-policies\n").expect("parses");
        assert!(l.permits("no-open-ingress", "AWS::EC2::SecurityGroup"));
        assert!(!l.permits("no-open-ingress", "AWS::EC2::SecurityGroupIngress"));
        assert!(l.permits("no-inline-policies", "AWS::IAM::Role"));
        assert!(!l.permits("no-wildcard-actions", "AWS::IAM::Role"));
    }

    #[test]
    fn mistakes_name_their_line_and_the_fix() {
        let e = parse("a.yaml", "allow:\n  - rule: no-open-ingres\n").expect_err("unknown rule");
        assert_eq!((e.line, e.column), (2, 5));
        assert!(
            e.message.contains("did you mean `no-open-ingress`"),
            "{}",
            e.message
        );
        let e = parse("a.yaml", "allowed:\n  - rule: x\n").expect_err("unknown key");
        assert!(
            e.message.contains("the only key is `allow`"),
            "{}",
            e.message
        );
        let e = parse(
            "a.yaml",
            "allow:\n  - rule: no-open-ingress\n    types: [S3]\n",
        )
        .expect_err("bad type");
        assert_eq!(e.line, 3);
    }
}
