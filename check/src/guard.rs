//! A team's own rules in AWS CloudFormation Guard's language (`--rules FILE.guard`), evaluated
//! through the `cfn-guard` crate as a library: no subprocess, no second implementation of the
//! language.
//!
//! Each template is handed to Guard as the long-form JSON tree harden read (short-form tags
//! already expanded, as Guard's own loader does), and Guard's structured JSON report is read
//! back: every rule that fails on a resource becomes one [`Finding`] with `source: "guard"`,
//! placed at the property Guard traversed to (or the resource). A rule's custom message may
//! carry its severity (`Severity: high`); without one a Guard finding is medium.
//!
//! Guard itself does not read `Metadata.guard.SuppressedRules` (a rule only honours it if its
//! author wrote a filter for it): harden applies it, marking the finding suppressed, so the
//! suppression shows in every output format, and holds it to `--no-suppressions` and to the
//! team's allow-list like any other.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use harden_blueprints::cfn::parse::Spans;
use harden_blueprints::cfn::render::to_json_value;
use harden_blueprints::cfn::Node;
use harden_blueprints::rules::{Severity, SUPPRESSION_NOT_ALLOWED};
use serde_json::Value;

use crate::{Finding, Settings};

/// Where a Guard suppression is written on a resource, and the reason its findings show.
pub const SUPPRESSED_RULES: &str = "Metadata.guard.SuppressedRules";

/// One Guard rules file, checked to parse when it was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardFile {
    /// The path as given (or found in a directory).
    pub name: String,
    text: String,
    /// The names of its rules, as Guard reports them.
    rules: Vec<String>,
}

/// The Guard rules files of a check, in the order given (a directory's in name order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardRules {
    files: Vec<GuardFile>,
}

/// A Guard rules file that cannot be used: a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// Missing, or unreadable.
    #[error("cannot read the Guard rules `{}`", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A directory with no `*.guard` file in it.
    #[error("`{}` holds no Guard rules file (`*.guard`)", path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
    /// Guard's parser refuses the file.
    #[error("the Guard rules `{file}` do not parse: {message}")]
    Parse {
        /// The file.
        file: String,
        /// Guard's message.
        message: String,
    },
}

/// What Guard is given to check that a rules file parses: a template with nothing in it.
const PROBE: &str = r#"{"Resources": {}}"#;

impl GuardRules {
    /// Reads the named `.guard` files and every `*.guard` file of the named directories
    /// (sorted by name, not walked deeper), and checks each parses.
    pub fn load(paths: &[PathBuf]) -> Result<GuardRules, GuardError> {
        let mut files = Vec::new();
        for p in paths {
            let meta = fs::metadata(p).map_err(|source| GuardError::Read {
                path: p.clone(),
                source,
            })?;
            if !meta.is_dir() {
                files.push(read(p)?);
                continue;
            }
            let rd = fs::read_dir(p).map_err(|source| GuardError::Read {
                path: p.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|e| e == "guard"))
                .collect();
            if found.is_empty() {
                return Err(GuardError::Empty { path: p.clone() });
            }
            found.sort();
            for f in found {
                files.push(read(&f)?);
            }
        }
        Ok(GuardRules { files })
    }

    /// One rules file from its text, checked to parse.
    pub fn from_text(name: &str, text: &str) -> Result<GuardRules, GuardError> {
        Ok(GuardRules {
            files: vec![parsed(name, text.to_string())?],
        })
    }

    /// The files, in order.
    pub fn files(&self) -> &[GuardFile] {
        &self.files
    }

    /// The names of every file's rules (sorted, each once): an allow-list may name them.
    pub fn rule_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .files
            .iter()
            .flat_map(|f| f.rules.iter().map(String::as_str))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether there is no Guard rule to run.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Runs every file's rules over one parsed template. Returns the findings (resource order,
    /// then file, then rule) and notes for what Guard could not evaluate.
    pub(crate) fn evaluate(
        &self,
        file: &str,
        root: &Node,
        spans: &Spans,
        s: &Settings,
    ) -> (Vec<Finding>, Vec<String>) {
        if self.files.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let data = to_json_value(root).to_string();
        let order: Vec<&str> = root
            .get_path(&["Resources"])
            .and_then(Node::as_map)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut found: Vec<(usize, Finding)> = Vec::new();
        let mut notes = Vec::new();
        for g in &self.files {
            let out = match run(&data, file, g) {
                Ok(out) => out,
                Err(message) => {
                    notes.push(format!(
                        "the Guard rules `{}` could not be evaluated on this template: {message}",
                        g.name
                    ));
                    continue;
                }
            };
            for fail in failures(&out) {
                let at = fail
                    .resource
                    .as_deref()
                    .and_then(|r| order.iter().position(|id| *id == r));
                found.push((
                    at.map_or(0, |i| i + 1),
                    finding(file, g, root, spans, s, &fail),
                ));
            }
        }
        // Stable: within a resource, file order then Guard's rule order.
        found.sort_by_key(|(at, _)| *at);
        let mut out: Vec<Finding> = found.into_iter().map(|(_, f)| f).collect();
        out.extend(refused_suppressions(file, root, spans, s, &out));
        (out, notes)
    }
}

fn read(p: &Path) -> Result<GuardFile, GuardError> {
    let text = fs::read_to_string(p).map_err(|source| GuardError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    parsed(&p.display().to_string(), text)
}

fn parsed(name: &str, text: String) -> Result<GuardFile, GuardError> {
    match cfn_guard::run_checks(
        cfn_guard::ValidateInput {
            content: PROBE,
            file_name: "probe.json",
        },
        cfn_guard::ValidateInput {
            content: &text,
            file_name: name,
        },
        false,
    ) {
        Err(cfn_guard::Error::ParseError(message)) => Err(GuardError::Parse {
            file: name.to_string(),
            message,
        }),
        Ok(out) => {
            let report: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
            let mut rules: Vec<String> = report
                .get("not_compliant")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.pointer("/Rule/name").and_then(Value::as_str))
                .chain(
                    ["compliant", "not_applicable"]
                        .iter()
                        .filter_map(|k| report.get(k).and_then(Value::as_array))
                        .flatten()
                        .filter_map(Value::as_str),
                )
                .map(str::to_string)
                .collect();
            rules.sort();
            rules.dedup();
            Ok(GuardFile {
                name: name.to_string(),
                text,
                rules,
            })
        }
        // Evaluation errors depend on the template: reported per template when they happen.
        Err(_) => Ok(GuardFile {
            name: name.to_string(),
            text,
            rules: Vec::new(),
        }),
    }
}

/// Guard's JSON report of one rules file over one template.
fn run(data: &str, file: &str, g: &GuardFile) -> Result<Value, String> {
    let out = cfn_guard::run_checks(
        cfn_guard::ValidateInput {
            content: data,
            file_name: file,
        },
        cfn_guard::ValidateInput {
            content: &g.text,
            file_name: &g.name,
        },
        false,
    )
    .map_err(|e| e.to_string())?;
    if out.trim().is_empty() {
        // A file of comments only: no rule.
        return Ok(Value::Null);
    }
    serde_json::from_str(&out).map_err(|e| format!("Guard's report is not JSON: {e}"))
}

/// One Guard rule failed on one resource (or on the template as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    rule: String,
    resource: Option<String>,
    /// The path Guard traversed to, as keys from the root.
    path: Vec<String>,
    custom: String,
    error: String,
    /// How many failed clauses of the rule were on this resource.
    clauses: usize,
}

/// The failed rules of a Guard report, one per rule and resource, in Guard's order.
fn failures(report: &Value) -> Vec<Failure> {
    let mut out: Vec<Failure> = Vec::new();
    let Some(rules) = report.get("not_compliant").and_then(Value::as_array) else {
        return out;
    };
    for r in rules {
        let Some(rule) = r.get("Rule") else { continue };
        let name = rule.get("name").and_then(Value::as_str).unwrap_or("");
        let rule_custom = custom_of(rule);
        let mut clauses = Vec::new();
        clauses_of(rule, &mut clauses);
        if clauses.is_empty() {
            // A rule that failed with no clause to show (a named rule it depends on, say).
            clauses.push(Clause::default());
        }
        for c in clauses {
            let resource = match c.path.as_slice() {
                [top, id, ..] if top == "Resources" => Some(id.clone()),
                _ => None,
            };
            let custom = if c.custom.is_empty() {
                rule_custom.clone()
            } else {
                c.custom
            };
            match out
                .iter_mut()
                .find(|f| f.rule == name && f.resource == resource)
            {
                Some(f) => f.clauses += 1,
                None => out.push(Failure {
                    rule: name.to_string(),
                    resource,
                    path: c.path,
                    custom,
                    error: c.error,
                    clauses: 1,
                }),
            }
        }
    }
    out
}

#[derive(Debug, Default)]
struct Clause {
    path: Vec<String>,
    custom: String,
    error: String,
}

fn custom_of(v: &Value) -> String {
    v.pointer("/messages/custom_message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The failed clauses below a report node (`Rule`, `Block`, `Disjunctions`, `Clause`).
fn clauses_of(v: &Value, out: &mut Vec<Clause>) {
    if let Some(checks) = v.get("checks").and_then(Value::as_array) {
        for c in checks {
            if let Some(inner) = c.get("Rule") {
                clauses_of(inner, out);
            } else if let Some(inner) = c.get("Disjunctions") {
                clauses_of(inner, out);
            } else if let Some(inner) = c.get("Block") {
                out.push(clause(inner, &["/unresolved/traversed_to/path"]));
            } else if let Some(inner) = c.get("Clause") {
                let Some(inner) = inner.get("Binary").or_else(|| inner.get("Unary")) else {
                    continue;
                };
                out.push(clause(
                    inner,
                    &[
                        "/check/Resolved/from/path",
                        "/check/InResolved/from/path",
                        "/check/UnResolved/value/traversed_to/path",
                        "/check/Resolved/value/path",
                    ],
                ));
            }
        }
    }
}

fn clause(v: &Value, paths: &[&str]) -> Clause {
    let pointer = paths
        .iter()
        .find_map(|p| v.pointer(p).and_then(Value::as_str))
        .unwrap_or("");
    Clause {
        path: pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
        custom: custom_of(v),
        error: v
            .pointer("/messages/error_message")
            .and_then(Value::as_str)
            .map(tidy)
            .unwrap_or_default(),
    }
}

/// Guard's message without the dump of the value it traversed to (often the whole resource)
/// and its `[L:0,C:0]` places, which name nothing in a JSON document.
fn tidy(m: &str) -> String {
    let m = match m.find(" Value traversed to [") {
        Some(i) => &m[..i],
        None => m,
    };
    m.replace("[L:0,C:0]", "").trim().to_string()
}

/// The severity a custom message declares (`Severity: high`), if it declares one.
fn severity_of(custom: &str) -> Option<Severity> {
    custom.lines().find_map(|l| {
        let (k, v) = l.split_once([':', '='])?;
        if !k.trim().eq_ignore_ascii_case("severity") {
            return None;
        }
        v.trim().to_ascii_lowercase().parse().ok()
    })
}

/// The custom message without its severity line: the rule author's words, on one line.
fn remediation_of(custom: &str) -> String {
    custom
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l
                    .split_once([':', '='])
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("severity"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rule names a resource's `Metadata.guard.SuppressedRules` lists.
fn suppressed_rules(resource: &Node) -> Vec<(usize, &str)> {
    match resource.get_path(&["Metadata", "guard", "SuppressedRules"]) {
        Some(Node::Seq(v)) => v
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_str().map(|s| (i, s)))
            .collect(),
        Some(Node::Str(s)) => vec![(0, s.as_str())],
        _ => Vec::new(),
    }
}

fn finding(
    file: &str,
    g: &GuardFile,
    root: &Node,
    spans: &Spans,
    s: &Settings,
    f: &Failure,
) -> Finding {
    let resource = f
        .resource
        .as_ref()
        .and_then(|id| root.get_path(&["Resources", id]));
    let resource_type = resource
        .and_then(|r| r.get_path(&["Type"]))
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_string();
    let ((line, column), _) = spans.nearest(&f.path).unwrap_or(((1, 1), 0));
    let suppressed = resource.and_then(|r| {
        let listed = suppressed_rules(r).iter().any(|(_, n)| *n == f.rule);
        let permitted = s
            .allowed
            .as_ref()
            .is_none_or(|a| a.permits(&f.rule, &resource_type));
        (s.suppressions && listed && permitted).then(|| SUPPRESSED_RULES.to_string())
    });
    let mut message = if f.error.is_empty() {
        format!("the Guard rule `{}` of `{}` fails", f.rule, g.name)
    } else {
        f.error.clone()
    };
    if f.clauses > 1 {
        message.push_str(&format!(" (and {} more failed checks)", f.clauses - 1));
    }
    let remediation = match remediation_of(&f.custom) {
        r if r.is_empty() => format!("Satisfy the Guard rule `{}` of `{}`.", f.rule, g.name),
        r => r,
    };
    Finding {
        rule: f.rule.clone(),
        title: format!("Guard rule `{}` ({})", f.rule, g.name),
        severity: severity_of(&f.custom).unwrap_or(Severity::Medium),
        file: file.to_string(),
        line,
        column,
        resource: f.resource.clone().unwrap_or_default(),
        resource_type,
        path: dotted(root, &f.path),
        message,
        remediation,
        equivalents: BTreeMap::new(),
        cis: Vec::new(),
        suppressed,
        source: "guard",
    }
}

/// `Resources.Id.Properties.List[0].Key`, as harden's findings write paths.
fn dotted(root: &Node, path: &[String]) -> String {
    let mut out = String::new();
    let mut at = Some(root);
    for seg in path {
        match at {
            Some(Node::Seq(v)) => {
                out.push_str(&format!("[{seg}]"));
                at = seg.parse::<usize>().ok().and_then(|i| v.get(i));
            }
            _ => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(seg);
                at = at.and_then(|n| n.get_path(&[seg.as_str()]));
            }
        }
    }
    out
}

/// With an allow-list, a Guard suppression it does not permit is a finding of
/// `suppression-not-allowed`, as a harden suppression is (only for rules that fired: a Guard
/// suppression of a rule of another rules file is not harden's to judge).
fn refused_suppressions(
    file: &str,
    root: &Node,
    spans: &Spans,
    s: &Settings,
    found: &[Finding],
) -> Vec<Finding> {
    let (Some(list), true) = (s.allowed.as_ref(), s.suppressions) else {
        return Vec::new();
    };
    let Some(resources) = root.get_path(&["Resources"]).and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, res) in resources {
        let ty = res.get_path(&["Type"]).and_then(Node::as_str).unwrap_or("");
        for (i, name) in suppressed_rules(res) {
            let fired = found.iter().any(|f| f.resource == *id && f.rule == name);
            if !fired || list.permits(name, ty) {
                continue;
            }
            let idx = i.to_string();
            let path = [
                "Resources",
                id.as_str(),
                "Metadata",
                "guard",
                "SuppressedRules",
                idx.as_str(),
            ];
            let ((line, column), _) = spans.nearest(&path).unwrap_or(((1, 1), 0));
            let r = &SUPPRESSION_NOT_ALLOWED;
            out.push(Finding {
                rule: r.id.to_string(),
                title: r.title.to_string(),
                severity: r.severity,
                file: file.to_string(),
                line,
                column,
                resource: id.clone(),
                resource_type: ty.to_string(),
                path: format!("Resources.{id}.{SUPPRESSED_RULES}[{i}]"),
                message: format!(
                    "the allow-list does not permit suppressing the Guard rule `{name}` on `{ty}`"
                ),
                remediation: r.remediation.to_string(),
                equivalents: BTreeMap::new(),
                cis: Vec::new(),
                suppressed: None,
                source: "harden",
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_message_may_carry_the_severity_and_the_fix() {
        let m = "\n  Severity: HIGH\n  Fix: turn versioning on\n";
        assert_eq!(severity_of(m), Some(Severity::High));
        assert_eq!(remediation_of(m), "Fix: turn versioning on");
        assert_eq!(severity_of("Fix: x"), None);
        assert_eq!(severity_of("Severity: urgent"), None);
    }

    #[test]
    fn guard_messages_lose_the_value_dump() {
        assert_eq!(
            tidy("Check was not compliant as property [X] is missing. Value traversed to [Path=/Resources/A[L:0,C:0] Value={}]."),
            "Check was not compliant as property [X] is missing."
        );
    }

    #[test]
    fn paths_name_list_items_by_index() {
        let root = harden_blueprints::cfn::parse::parse(
            "Resources:\n  A:\n    Type: T\n    Properties:\n      L: [{K: 1}]\n",
        )
        .expect("parses");
        let p: Vec<String> = ["Resources", "A", "Properties", "L", "0", "K"]
            .map(String::from)
            .to_vec();
        assert_eq!(dotted(&root, &p), "Resources.A.Properties.L[0].K");
    }
}
