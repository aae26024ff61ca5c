//! Rendering: a [`Template`] becomes a checked [`Node`] tree, then deterministic YAML or JSON.
//! Only long-form intrinsics are written; the same template always gives the same bytes.

use super::generated::TYPES;
use super::model::{Node, NodeMap, Path};
use super::template::{Judge, Template};

/// A template that cannot be rendered into valid CloudFormation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the template is not valid CloudFormation:\n  - {}", .problems.join("\n  - "))]
#[non_exhaustive]
pub struct RenderError {
    /// Each problem, naming the place in the template.
    pub problems: Vec<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (block style, long-form intrinsics).
    Yaml,
    /// JSON (two-space indent).
    Json,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// Renders a template to text in the given format.
pub fn render(t: &Template, format: Format) -> Result<String, RenderError> {
    let node = to_node(t)?;
    Ok(match format {
        Format::Yaml => to_yaml(&node),
        Format::Json => to_json(&node),
    })
}

/// Builds the template tree and checks it: required properties, references, attributes,
/// conditions and dependencies all resolve.
pub fn to_node(t: &Template) -> Result<Node, RenderError> {
    let mut errs: Vec<String> = t.errors.clone();
    let mut root = NodeMap::new();
    root.insert(
        "AWSTemplateFormatVersion".into(),
        Node::Str("2010-09-09".into()),
    );
    if let Some(d) = &t.description {
        root.insert("Description".into(), Node::Str(d.clone()));
    }
    if !t.metadata.is_empty() {
        root.insert("Metadata".into(), Node::Map(expr_map(&t.metadata)));
    }
    if !t.parameters.is_empty() {
        let mut ps = NodeMap::new();
        for (id, p) in &t.parameters {
            let mut m = NodeMap::new();
            m.insert("Type".into(), Node::Str(p.type_.clone()));
            if let Some(d) = &p.description {
                m.insert("Description".into(), Node::Str(d.clone()));
            }
            if let Some(d) = &p.default {
                m.insert("Default".into(), d.to_node_tree());
            }
            if !p.allowed_values.is_empty() {
                m.insert(
                    "AllowedValues".into(),
                    Node::Seq(p.allowed_values.iter().cloned().map(Node::Str).collect()),
                );
            }
            if let Some(ap) = &p.allowed_pattern {
                m.insert("AllowedPattern".into(), Node::Str(ap.clone()));
            }
            if let Some(c) = &p.constraint_description {
                m.insert("ConstraintDescription".into(), Node::Str(c.clone()));
            }
            if let Some((lo, hi)) = p.length {
                m.insert("MinLength".into(), Node::Int(lo.into()));
                m.insert("MaxLength".into(), Node::Int(hi.into()));
            }
            if let Some((lo, hi)) = p.value_range {
                m.insert("MinValue".into(), Node::Int(lo));
                m.insert("MaxValue".into(), Node::Int(hi));
            }
            if p.no_echo {
                m.insert("NoEcho".into(), Node::Bool(true));
            }
            ps.insert(id.clone(), Node::Map(m));
        }
        root.insert("Parameters".into(), Node::Map(ps));
    }
    if !t.mappings.is_empty() {
        root.insert("Mappings".into(), Node::Map(expr_map(&t.mappings)));
    }
    if !t.conditions.is_empty() {
        root.insert("Conditions".into(), Node::Map(expr_map(&t.conditions)));
    }
    if t.resources.is_empty() {
        errs.push("the template has no resources".into());
    }
    let mut rs = NodeMap::new();
    for (id, r) in &t.resources {
        let mut m = NodeMap::new();
        m.insert("Type".into(), Node::Str(r.type_name().into()));
        if let Some(c) = &r.condition {
            m.insert("Condition".into(), Node::Str(c.clone()));
        }
        match r.depends_on.as_slice() {
            [] => {}
            [one] => {
                m.insert("DependsOn".into(), Node::Str(one.clone()));
            }
            many => {
                m.insert(
                    "DependsOn".into(),
                    Node::Seq(many.iter().cloned().map(Node::Str).collect()),
                );
            }
        }
        if let Some(p) = r.deletion_policy {
            m.insert("DeletionPolicy".into(), Node::Str(p.as_str().into()));
        }
        if let Some(p) = r.update_replace_policy {
            m.insert("UpdateReplacePolicy".into(), Node::Str(p.as_str().into()));
        }
        let meta = resource_metadata(r);
        if !meta.is_empty() {
            m.insert("Metadata".into(), Node::Map(meta));
        }
        let props = r.properties.to_node(
            &Path::Key(&Path::Key(&Path::Root("Resources"), id), "Properties"),
            &mut errs,
        );
        if props.as_map().is_some_and(|p| !p.is_empty()) {
            m.insert("Properties".into(), props);
        }
        rs.insert(id.clone(), Node::Map(m));
    }
    root.insert("Resources".into(), Node::Map(rs));
    if !t.outputs.is_empty() {
        let mut os = NodeMap::new();
        for (id, o) in &t.outputs {
            let mut m = NodeMap::new();
            if let Some(d) = &o.description {
                m.insert("Description".into(), Node::Str(d.clone()));
            }
            if let Some(c) = &o.condition {
                m.insert("Condition".into(), Node::Str(c.clone()));
            }
            m.insert("Value".into(), o.value.to_node_tree());
            if let Some(e) = &o.export {
                m.insert("Export".into(), Node::map([("Name", e.to_node_tree())]));
            }
            os.insert(id.clone(), Node::Map(m));
        }
        root.insert("Outputs".into(), Node::Map(os));
    }
    let root = Node::Map(root);
    check_references(&root, &mut errs);
    if errs.is_empty() {
        Ok(root)
    } else {
        Err(RenderError { problems: errs })
    }
}

fn expr_map(m: &indexmap::IndexMap<String, super::expr::Expr>) -> NodeMap {
    m.iter()
        .map(|(k, v)| (k.clone(), v.to_node_tree()))
        .collect()
}

/// `[{id: ID, <reason_key>: REASON}, ...]`, each id once (the first reason wins).
fn id_reasons<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>, reason_key: &str) -> Node {
    let mut seen = std::collections::BTreeSet::new();
    Node::Seq(
        pairs
            .filter(|(id, _)| seen.insert(*id))
            .map(|(id, reason)| {
                Node::map([
                    ("id", Node::Str(id.into())),
                    (reason_key, Node::Str(reason.into())),
                ])
            })
            .collect(),
    )
}

/// The reason a cfn_nag or cdk-nag suppression of reasoned `*` resources gives.
const WILDCARD_POINTER: &str =
    "each `*` resource has its reason, by statement, in Metadata.harden.WildcardResources";

/// The rule of cfn_nag (`key` "cfn_nag") or cdk-nag ("cdk_nag") that flags `*` resources in
/// an IAM policy of this resource type.
fn wildcard_rule(key: &str, type_name: &str) -> Option<&'static str> {
    match (key, type_name) {
        ("cfn_nag", "AWS::IAM::Role") => Some("W11"),
        ("cfn_nag", "AWS::IAM::Policy") => Some("W12"),
        ("cfn_nag", "AWS::IAM::ManagedPolicy") => Some("W13"),
        ("cdk_nag", "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => {
            Some("AwsSolutions-IAM5")
        }
        _ => None,
    }
}

fn resource_metadata(r: &super::template::Resource) -> NodeMap {
    let mut meta = NodeMap::new();
    let mut harden = NodeMap::new();
    if !r.controls.is_empty() {
        harden.insert(
            "Controls".into(),
            Node::Seq(r.controls.iter().map(|c| Node::Str((*c).into())).collect()),
        );
    }
    if !r.wildcard_reasons.is_empty() {
        harden.insert(
            "WildcardResources".into(),
            Node::Map(
                r.wildcard_reasons
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::Str(v.clone())))
                    .collect(),
            ),
        );
    }
    if !r.notes.is_empty() {
        harden.insert(
            "Notes".into(),
            Node::Seq(r.notes.iter().cloned().map(Node::Str).collect()),
        );
    }
    // cfn-lint's exceptions: its non-security checks, then the equivalents of harden's.
    let mut lint: Vec<(&str, &str)> = r
        .suppressions
        .iter()
        .filter(|s| s.judge == Judge::CfnLint)
        .map(|s| (s.rule, s.reason.as_str()))
        .collect();
    for (rule, reason) in &r.exceptions {
        lint.extend(
            rule.equivalents
                .cfn_lint
                .iter()
                .map(|id| (*id, reason.as_str())),
        );
    }
    if !lint.is_empty() {
        harden.insert(
            "CfnLintExceptions".into(),
            Node::Map(
                lint.iter()
                    .map(|(rule, reason)| (rule.to_string(), Node::Str(reason.to_string())))
                    .collect(),
            ),
        );
    }
    if !r.exceptions.is_empty() {
        harden.insert(
            "suppress".into(),
            id_reasons(
                r.exceptions
                    .iter()
                    .map(|(rule, reason)| (rule.id, reason.as_str())),
                "reason",
            ),
        );
    }
    if !harden.is_empty() {
        meta.insert("harden".into(), Node::Map(harden));
    }
    // checkov's exceptions are the equivalents of harden's: every checkov check in scope has a
    // harden rule.
    let mut checkov: Vec<(&str, &str)> = Vec::new();
    for (rule, reason) in &r.exceptions {
        checkov.extend(
            rule.equivalents
                .checkov
                .iter()
                .map(|id| (*id, reason.as_str())),
        );
    }
    if !checkov.is_empty() {
        meta.insert(
            "checkov".into(),
            Node::map([("skip", id_reasons(checkov.into_iter(), "comment"))]),
        );
    }
    if !lint.is_empty() {
        let ids = Node::Seq(
            lint.iter()
                .map(|(rule, _)| Node::Str(rule.to_string()))
                .collect(),
        );
        meta.insert(
            "cfn-lint".into(),
            Node::map([("config", Node::map([("ignore_checks", ids)]))]),
        );
    }
    for (key, ids) in [
        (
            "cfn_nag",
            (|r: &crate::rules::Rule| r.equivalents.cfn_nag)
                as fn(&crate::rules::Rule) -> &'static [&'static str],
        ),
        ("cdk_nag", |r| r.equivalents.cdk_nag),
    ] {
        let mut pairs: Vec<(&str, &str)> = r
            .exceptions
            .iter()
            .flat_map(|(rule, reason)| ids(rule).iter().map(move |id| (*id, reason.as_str())))
            .collect();
        // A policy's reasoned `*` resources, which these scanners flag without reading the
        // reasons: their suppression points at the reasons, written once per statement.
        if !r.wildcard_reasons.is_empty() {
            if let Some(id) = wildcard_rule(key, r.type_name()) {
                pairs.push((id, WILDCARD_POINTER));
            }
        }
        if !pairs.is_empty() {
            meta.insert(
                key.into(),
                Node::map([("rules_to_suppress", id_reasons(pairs.into_iter(), "reason"))]),
            );
        }
    }
    // Several harden rules share a Guard rule (the bucket's public access block): listed once.
    let mut seen_guard = std::collections::BTreeSet::new();
    let guard: Vec<Node> = r
        .exceptions
        .iter()
        .flat_map(|(rule, _)| rule.equivalents.guard.iter())
        .filter(|id| seen_guard.insert(**id))
        .map(|id| Node::Str((*id).into()))
        .collect();
    if !guard.is_empty() {
        meta.insert(
            "guard".into(),
            Node::map([("SuppressedRules", Node::Seq(guard))]),
        );
    }
    for (k, v) in &r.metadata {
        meta.insert(k.clone(), v.to_node_tree());
    }
    meta
}

/// Checks that every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, condition and `DependsOn`
/// names something the template has. Works on any template tree, rendered or parsed.
pub fn check_references(root: &Node, errs: &mut Vec<String>) {
    let empty = NodeMap::new();
    let section = |name: &str| {
        root.get_path(&[name])
            .and_then(Node::as_map)
            .unwrap_or(&empty)
    };
    let params = section("Parameters");
    let resources = section("Resources");
    let conditions = section("Conditions");
    let type_of = |id: &str| {
        resources
            .get(id)
            .and_then(|r| r.get_path(&["Type"]))
            .and_then(Node::as_str)
    };
    let ctx = RefCtx {
        is_value: &|id: &str| {
            params.contains_key(id) || resources.contains_key(id) || PSEUDO.contains(&id)
        },
        attr_ok: &|id: &str, attr: &str| match type_of(id) {
            None => Err(format!("resource `{id}` does not exist")),
            Some(t) => match TYPES.iter().find(|i| i.type_name == t) {
                Some(info) if !info.attributes.contains(&attr) => Err(format!(
                    "`{t}` has no attribute `{attr}` (it has: {})",
                    info.attributes.join(", ")
                )),
                _ => Ok(()),
            },
        },
        has_condition: &|c: &str| conditions.contains_key(c),
    };
    for (id, r) in resources {
        let at = format!("Resources.{id}");
        if let Some(c) = r.get_path(&["Condition"]).and_then(Node::as_str) {
            if !conditions.contains_key(c) {
                errs.push(format!(
                    "`{at}.Condition` names condition `{c}`, which does not exist"
                ));
            }
        }
        match r.get_path(&["DependsOn"]) {
            Some(Node::Str(d)) if !resources.contains_key(d) => errs.push(format!(
                "`{at}.DependsOn` names `{d}`, which is not a resource"
            )),
            Some(Node::Seq(ds)) => {
                for d in ds.iter().filter_map(Node::as_str) {
                    if !resources.contains_key(d) {
                        errs.push(format!(
                            "`{at}.DependsOn` names `{d}`, which is not a resource"
                        ));
                    }
                }
            }
            _ => {}
        }
        if let Some(p) = r.get_path(&["Properties"]) {
            walk(p, &Path::Key(&Path::Root(&at), "Properties"), &ctx, errs);
        }
    }
    if let Some(outs) = root.get_path(&["Outputs"]) {
        walk(outs, &Path::Root("Outputs"), &ctx, errs);
    }
    if let Some(conds) = root.get_path(&["Conditions"]) {
        walk(conds, &Path::Root("Conditions"), &ctx, errs);
    }
}

struct RefCtx<'a> {
    is_value: &'a dyn Fn(&str) -> bool,
    attr_ok: &'a dyn Fn(&str, &str) -> Result<(), String>,
    has_condition: &'a dyn Fn(&str) -> bool,
}

fn walk(n: &Node, at: &Path<'_>, ctx: &RefCtx, errs: &mut Vec<String>) {
    match n {
        Node::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &Path::Index(at, i), ctx, errs);
            }
        }
        Node::Map(m) if m.len() == 1 => {
            let (k, v) = m.get_index(0).unwrap();
            match (k.as_str(), v) {
                ("Ref", Node::Str(id)) => {
                    if !(ctx.is_value)(id) {
                        errs.push(format!(
                            "`{at}` refers to `{id}`, which is not a parameter or resource"
                        ));
                    }
                }
                ("Fn::GetAtt", Node::Seq(parts)) => match parts.as_slice() {
                    [Node::Str(id), Node::Str(attr)] => {
                        if let Err(e) = (ctx.attr_ok)(id, attr) {
                            errs.push(format!("`{at}`: Fn::GetAtt {id}.{attr}: {e}"));
                        }
                    }
                    _ => errs.push(format!("`{at}`: Fn::GetAtt takes [resource, attribute]")),
                },
                ("Fn::Sub", sub) => {
                    let (text, vars) = match sub {
                        Node::Str(s) => (s.as_str(), None),
                        Node::Seq(p) if p.len() == 2 => {
                            (p[0].as_str().unwrap_or(""), p[1].as_map())
                        }
                        _ => {
                            errs.push(format!(
                                "`{at}`: Fn::Sub takes a string or [string, variables]"
                            ));
                            return;
                        }
                    };
                    for var in sub_variables(text) {
                        let local = vars.is_some_and(|v| v.contains_key(var));
                        let ok = local
                            || match var.split_once('.') {
                                Some((id, attr)) => (ctx.attr_ok)(id, attr).is_ok(),
                                None => (ctx.is_value)(var),
                            };
                        if !ok {
                            errs.push(format!("`{at}`: Fn::Sub variable `${{{var}}}` names nothing in the template"));
                        }
                    }
                    if let Some(vars) = vars {
                        for (k, v) in vars {
                            walk(v, &Path::Key(at, k), ctx, errs);
                        }
                    }
                }
                ("Fn::If", Node::Seq(parts)) => {
                    if let Some(Node::Str(c)) = parts.first() {
                        if !(ctx.has_condition)(c) {
                            errs.push(format!(
                                "`{at}`: Fn::If names condition `{c}`, which does not exist"
                            ));
                        }
                    }
                    for p in parts.iter().skip(1) {
                        walk(p, at, ctx, errs);
                    }
                }
                ("Condition", Node::Str(c)) => {
                    if !(ctx.has_condition)(c) {
                        errs.push(format!(
                            "`{at}` names condition `{c}`, which does not exist"
                        ));
                    }
                }
                (_, v) => walk(v, &Path::Key(at, k), ctx, errs),
            }
        }
        Node::Map(m) => {
            for (k, v) in m {
                walk(v, &Path::Key(at, k), ctx, errs);
            }
        }
        _ => {}
    }
}

/// The `${Name}` variables of an `Fn::Sub` string (`${!Literal}` is not a variable).
pub fn sub_variables(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let var = &after[..end];
                if !var.starts_with('!') {
                    out.push(var.trim());
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// JSON with two-space indentation and a final newline.
pub fn to_json(n: &Node) -> String {
    let mut s =
        serde_json::to_string_pretty(&to_json_value(n)).expect("a node tree is always valid JSON");
    s.push('\n');
    s
}

/// The node as a `serde_json` value (key order kept).
pub fn to_json_value(n: &Node) -> serde_json::Value {
    use serde_json::Value;
    match n {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::from(*i),
        Node::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Node::Str(s) => Value::String(s.clone()),
        Node::Seq(v) => Value::Array(v.iter().map(to_json_value).collect()),
        Node::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json_value(v)))
                .collect(),
        ),
    }
}

/// Block-style YAML with long-form intrinsics, two-space indentation and a final newline.
/// Strings are written plain only where no YAML 1.1 or 1.2 reader could take them for
/// anything else; multi-line strings become literal blocks.
pub fn to_yaml(n: &Node) -> String {
    let mut out = String::new();
    match n {
        Node::Map(m) if !m.is_empty() => yaml_block(n, 0, &mut out),
        Node::Seq(s) if !s.is_empty() => yaml_block(n, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn is_block(n: &Node) -> bool {
    match n {
        Node::Map(m) => !m.is_empty(),
        Node::Seq(s) => !s.is_empty(),
        _ => false,
    }
}

fn yaml_block(n: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match n {
        Node::Map(m) => {
            for (k, v) in m {
                out.push_str(&pad);
                out.push_str(&yaml_string(k));
                out.push(':');
                if is_block(v) {
                    out.push('\n');
                    let child = if matches!(v, Node::Seq(_)) {
                        indent
                    } else {
                        indent + 2
                    };
                    yaml_block(v, child, out);
                } else {
                    out.push(' ');
                    out.push_str(&yaml_scalar(v, indent + 2));
                    out.push('\n');
                }
            }
        }
        Node::Seq(items) => {
            for v in items {
                if is_block(v) {
                    let mut inner = String::new();
                    yaml_block(v, indent + 2, &mut inner);
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&inner[indent + 2..]);
                } else {
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&yaml_scalar(v, indent + 2));
                    out.push('\n');
                }
            }
        }
        _ => unreachable!("only maps and lists are blocks"),
    }
}

fn yaml_scalar(n: &Node, indent: usize) -> String {
    match n {
        Node::Null => "null".into(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => serde_json::to_string(f).unwrap_or_else(|_| ".nan".into()),
        Node::Str(s) if s.contains('\n') && literal_ok(s) => {
            let chomp = if !s.ends_with('\n') {
                "-"
            } else if s.ends_with("\n\n") {
                "+"
            } else {
                ""
            };
            let pad = " ".repeat(indent);
            let body = s.strip_suffix('\n').unwrap_or(s);
            let mut out = format!("|{chomp}");
            for line in body.split('\n') {
                out.push('\n');
                if !line.is_empty() {
                    out.push_str(&pad);
                    out.push_str(line);
                }
            }
            out
        }
        Node::Str(s) => yaml_string(s),
        Node::Map(_) => "{}".into(),
        Node::Seq(_) => "[]".into(),
    }
}

/// A literal block keeps text as is, unless its first line starts with a space (which would
/// be read as indentation), a line has a carriage return or trailing blanks, or it has
/// characters YAML does not allow unescaped.
fn literal_ok(s: &str) -> bool {
    !s.starts_with(' ')
        && !s.starts_with('\t')
        && !s.starts_with('\n')
        && !s.contains('\r')
        && s.split('\n')
            .all(|l| !l.ends_with(' ') && !l.ends_with('\t'))
        && s.chars()
            .all(|c| c == '\n' || c == '\t' || (!c.is_control() && c != '\u{feff}'))
}

const YAML_WORDS: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf",
];

fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@+*-,() ".contains(c))
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains("  ")
        && !YAML_WORDS.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string is always valid JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::generated::{iam, s3};
    use crate::cfn::{Expr, Template};

    #[test]
    fn render_errors_name_the_place_and_the_problem() {
        let mut t = Template::new("broken on purpose");
        let b = t.add("Bucket", s3::Bucket::default());
        t.add(
            "Role",
            iam::Role {
                description: Some(Expr::r#ref("Nowhere")),
                ..Default::default()
            },
        );
        t.add(
            "Policy",
            s3::BucketPolicy {
                bucket: Some(Expr::GetAtt("Bucket".into(), "NoSuchAttribute".into())),
                policy_document: Some(Expr::sub("${Missing.Arn} ${AWS::Region} ${!Literal}")),
            },
        );
        t.add("Bucket", s3::Bucket::default());
        t.res(&b).depends_on("Ghost");
        let err = to_node(&t).unwrap_err().problems.join("\n");
        for expected in [
            "logical id `Bucket` is used by two resources",
            "`Resources.Role.Properties.AssumeRolePolicyDocument` is required but not set",
            "`Resources.Role.Properties.Description` refers to `Nowhere`, which is not a parameter or resource",
            "`Resources.Policy.Properties.Bucket`: Fn::GetAtt Bucket.NoSuchAttribute: `AWS::S3::Bucket` has no attribute `NoSuchAttribute`",
            "`Resources.Policy.Properties.PolicyDocument`: Fn::Sub variable `${Missing.Arn}` names nothing in the template",
            "`Resources.Bucket.DependsOn` names `Ghost`, which is not a resource",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
        }
        assert!(
            !err.contains("Literal"),
            "`${{!Literal}}` is not a variable:\n{err}"
        );
    }

    /// A policy's reasoned `*` resources are suppressed for cfn_nag (W13 for a managed policy)
    /// and cdk-nag (IAM5), pointing at the reasons; a policy without them gets neither.
    #[test]
    fn reasoned_wildcards_are_suppressed_for_cfn_nag_and_cdk_nag() {
        let meta = |reasoned: bool| {
            let mut t = Template::new("t");
            let p = t.add("Policy", iam::ManagedPolicy::default());
            if reasoned {
                t.res(&p).wildcard_reason(
                    "NoResourceLevel",
                    "ec2:DescribeRegions has no resource type",
                );
            }
            resource_metadata(t.resources.get("Policy").unwrap())
        };
        let m = meta(true);
        let ids = |key: &str| {
            m.get(key)
                .and_then(|n| n.get_path(&["rules_to_suppress"]))
                .and_then(Node::as_seq)
                .map(|s| {
                    s.iter()
                        .map(|x| {
                            x.get_path(&["id"])
                                .and_then(Node::as_str)
                                .unwrap()
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                })
        };
        assert_eq!(ids("cfn_nag"), Some(vec!["W13".to_string()]));
        assert_eq!(ids("cdk_nag"), Some(vec!["AwsSolutions-IAM5".to_string()]));
        let reason = m
            .get("cfn_nag")
            .and_then(|n| n.get_path(&["rules_to_suppress"]))
            .and_then(Node::as_seq)
            .and_then(|s| s[0].get_path(&["reason"]))
            .and_then(Node::as_str)
            .unwrap()
            .to_string();
        assert!(
            reason.contains("Metadata.harden.WildcardResources"),
            "{reason}"
        );
        let m = meta(false);
        assert!(m.get("cfn_nag").is_none() && m.get("cdk_nag").is_none());
        // The ids are those the rule declares as its equivalents (confirmed in their source
        // by `blueprints/tests/scanner_rules.rs`).
        let eq = &crate::rules::iam::WILDCARD_RESOURCE_NEEDS_REASON.equivalents;
        for t in [
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
        ] {
            assert!(
                eq.cfn_nag.contains(&wildcard_rule("cfn_nag", t).unwrap()),
                "{t}"
            );
            assert!(
                eq.cdk_nag.contains(&wildcard_rule("cdk_nag", t).unwrap()),
                "{t}"
            );
        }
    }
}
