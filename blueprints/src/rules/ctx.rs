//! How rules read a template: resources by id and type, values through `Fn::If` and
//! parameters, and references between resources.

use std::collections::HashMap;

use crate::cfn::{Node, NodeMap};

/// One resource of the template under check.
#[derive(Debug, Clone, Copy)]
pub struct Res<'t> {
    /// The logical id.
    pub id: &'t str,
    /// `AWS::Service::Resource` (empty when the resource has no `Type`).
    pub ty: &'t str,
    /// The resource's node (`Type`, `Properties`, `Metadata`, ...).
    pub node: &'t Node,
}

impl<'t> Res<'t> {
    /// `Properties`, if the resource has any.
    pub fn props(&self) -> Option<&'t Node> {
        self.node.get_path(&["Properties"])
    }

    /// Every value the property at `path` (below `Properties`) can take: both branches of each
    /// `Fn::If` on the way, `None` where it is absent (not written, or `AWS::NoValue`). Each
    /// alternative carries its path from the resource node.
    pub fn prop(&self, path: &[&str]) -> Vec<Alt<'t>> {
        let mut full = vec!["Properties"];
        full.extend_from_slice(path);
        get(self.node, &full)
    }

    /// Whether the property at `path` is absent in at least one alternative.
    pub fn lacks(&self, path: &[&str]) -> Option<Alt<'t>> {
        self.prop(path).into_iter().find(|a| a.node.is_none())
    }
}

/// One value a property can take, and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Alt<'t> {
    /// Keys and indexes from the node the lookup started at (through `Fn::If`, `1`/`2`).
    pub path: Vec<String>,
    /// The value; `None` when absent in this alternative.
    pub node: Option<&'t Node>,
}

impl<'t> Alt<'t> {
    /// The path as `&str` segments.
    pub fn segs(&self) -> Vec<&str> {
        self.path.iter().map(String::as_str).collect()
    }
}

/// The alternatives of one value: itself, or both branches of an `Fn::If` (recursively), with
/// `AWS::NoValue` as `None`.
pub fn alts(n: &Node) -> Vec<Alt<'_>> {
    let mut out = Vec::new();
    push_alts(n, Vec::new(), &mut out);
    out
}

fn push_alts<'t>(n: &'t Node, path: Vec<String>, out: &mut Vec<Alt<'t>>) {
    if let Some(m) = n.as_map() {
        if m.len() == 1 {
            if let Some(Node::Seq(parts)) = m.get("Fn::If") {
                if parts.len() == 3 {
                    for (i, branch) in parts.iter().enumerate().skip(1) {
                        let mut p = path.clone();
                        p.extend(["Fn::If".to_string(), i.to_string()]);
                        push_alts(branch, p, out);
                    }
                    return;
                }
            }
            if matches!(m.get("Ref"), Some(Node::Str(s)) if s == "AWS::NoValue") {
                out.push(Alt { path, node: None });
                return;
            }
        }
    }
    out.push(Alt {
        path,
        node: Some(n),
    });
}

/// Every value at `path` below `n`, through `Fn::If` at every level (see [`alts`]).
pub fn get<'t>(n: &'t Node, path: &[&str]) -> Vec<Alt<'t>> {
    let mut cur = alts(n);
    for key in path {
        let mut next = Vec::new();
        for a in cur {
            let Some(node) = a.node else {
                next.push(a);
                continue;
            };
            let mut p = a.path.clone();
            p.push((*key).to_string());
            let child = match node {
                Node::Map(m) => m.get(*key),
                Node::Seq(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match child {
                None => next.push(Alt {
                    path: p,
                    node: None,
                }),
                Some(c) => {
                    for mut sub in alts(c) {
                        let mut full = p.clone();
                        full.append(&mut sub.path);
                        next.push(Alt {
                            path: full,
                            node: sub.node,
                        });
                    }
                }
            }
        }
        cur = next;
    }
    cur
}

/// A scalar as a rule sees it, after parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'t> {
    /// Not written.
    Absent,
    /// A value of the template (or a parameter's default).
    Known(&'t Node),
    /// Decided at deploy time: a parameter without a default, an import, a function of them.
    Unknown,
}

/// What kind of KMS key a property names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An `AWS::KMS::Key` of the template (by `Ref`, `Fn::GetAtt` or an alias of one), or an
    /// ARN or id of a key that is not an AWS managed alias.
    Customer,
    /// `alias/aws/...`: an AWS managed key.
    AwsManaged,
    /// Decided at deploy time (a parameter, an import).
    Unknown,
}

/// The template under check.
#[derive(Debug)]
pub struct Ctx<'t> {
    /// The whole template.
    pub root: &'t Node,
    resources: Vec<Res<'t>>,
    index: HashMap<&'t str, usize>,
}

impl<'t> Ctx<'t> {
    /// Reads the template's resources.
    pub fn new(root: &'t Node) -> Ctx<'t> {
        let resources: Vec<Res<'t>> = root
            .get_path(&["Resources"])
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .map(|(id, node)| Res {
                        id,
                        ty: node
                            .get_path(&["Type"])
                            .and_then(Node::as_str)
                            .unwrap_or(""),
                        node,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        Ctx {
            root,
            resources,
            index,
        }
    }

    /// Every resource, in template order.
    pub fn resources(&self) -> &[Res<'t>] {
        &self.resources
    }

    /// The resource with this logical id.
    pub fn resource(&self, id: &str) -> Option<Res<'t>> {
        self.index.get(id).map(|&i| self.resources[i])
    }

    /// Every resource of a type.
    pub fn of_type<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = Res<'t>> + 'a {
        self.resources.iter().copied().filter(move |r| r.ty == ty)
    }

    /// The template parameter `name`, if there is one.
    pub fn parameter(&self, name: &str) -> Option<&'t Node> {
        self.root.get_path(&["Parameters", name])
    }

    /// What a scalar is: a `Ref` to a parameter is its default (unknown without one);
    /// intrinsics other than `Ref` are unknown.
    pub fn val(&self, n: Option<&'t Node>) -> Val<'t> {
        let Some(n) = n else {
            return Val::Absent;
        };
        match n {
            Node::Map(m)
                if m.len() == 1
                    && m.keys()
                        .next()
                        .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")) =>
            {
                match m.get("Ref").and_then(Node::as_str) {
                    Some(p) => match self.parameter(p).and_then(|p| p.get_path(&["Default"])) {
                        Some(d) => Val::Known(d),
                        None => Val::Unknown,
                    },
                    None => Val::Unknown,
                }
            }
            other => Val::Known(other),
        }
    }

    /// A scalar as `true`/`false` (`"true"` as text too); `None` when absent or unknown.
    pub fn bool(&self, n: Option<&'t Node>) -> Option<bool> {
        match self.val(n) {
            Val::Known(Node::Bool(b)) => Some(*b),
            Val::Known(Node::Str(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Val::Known(Node::Str(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// A scalar as text (numbers and booleans written as they read); `None` when absent or
    /// unknown.
    pub fn text(&self, n: Option<&'t Node>) -> Option<String> {
        match self.val(n) {
            Val::Known(Node::Str(s)) => Some(s.clone()),
            Val::Known(Node::Int(i)) => Some(i.to_string()),
            Val::Known(Node::Float(f)) => Some(f.to_string()),
            Val::Known(Node::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A scalar as an integer (`"30"` as text too); `None` when absent or unknown.
    pub fn int(&self, n: Option<&'t Node>) -> Option<i64> {
        match self.val(n) {
            Val::Known(Node::Int(i)) => Some(*i),
            Val::Known(Node::Str(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The alternatives of the property at `path` (below `Properties`) that are absent or
    /// known and not `true`: where a required flag is off. Unknown values are left out.
    pub fn not_true(&self, res: &Res<'t>, path: &[&str]) -> Vec<Alt<'t>> {
        res.prop(path)
            .into_iter()
            .filter(|a| match self.val(a.node) {
                Val::Absent => true,
                Val::Known(_) => self.bool(a.node) != Some(true),
                Val::Unknown => false,
            })
            .collect()
    }

    /// The alternatives of the property at `path` (below `Properties`) that are absent or an
    /// empty string: where a required setting is missing.
    pub fn missing(&self, res: &Res<'t>, path: &[&str]) -> Vec<Alt<'t>> {
        res.prop(path)
            .into_iter()
            .filter(|a| self.is_missing(a.node))
            .collect()
    }

    /// Whether a value is absent or an empty string (unknown values are not).
    pub fn is_missing(&self, n: Option<&'t Node>) -> bool {
        match self.val(n) {
            Val::Absent => true,
            Val::Known(Node::Str(s)) => s.is_empty(),
            _ => false,
        }
    }

    /// The resource of this template a value points at: `Ref`, `Fn::GetAtt` (list or
    /// `A.B` form), or an `Fn::Sub` that is exactly `${Id}` or `${Id.Attr}`.
    pub fn target(&self, n: &Node) -> Option<Res<'t>> {
        let m = n.as_map().filter(|m| m.len() == 1)?;
        let (k, v) = m.iter().next()?;
        let id = match (k.as_str(), v) {
            ("Ref", Node::Str(id)) => id.clone(),
            ("Fn::GetAtt", Node::Seq(parts)) => parts.first()?.as_str()?.to_string(),
            ("Fn::GetAtt", Node::Str(s)) => s.split('.').next()?.to_string(),
            ("Fn::Sub", Node::Str(s)) => {
                let inner = s.strip_prefix("${")?.strip_suffix('}')?;
                inner.split('.').next()?.to_string()
            }
            _ => return None,
        };
        self.resource(&id)
    }

    /// Whether `n` mentions resource `id` anywhere: `Ref`, `Fn::GetAtt`, `${id}` or
    /// `${id.Attr}` in an `Fn::Sub`, `DependsOn` excluded.
    pub fn mentions(n: &Node, id: &str) -> bool {
        match n {
            Node::Map(m) => m.iter().any(|(k, v)| match (k.as_str(), v) {
                ("Ref", Node::Str(s)) => s == id,
                ("Fn::GetAtt", Node::Seq(parts)) => {
                    parts.first().and_then(Node::as_str) == Some(id)
                }
                ("Fn::GetAtt", Node::Str(s)) => s.split('.').next() == Some(id),
                ("Fn::Sub", sub) => {
                    let text = match sub {
                        Node::Str(s) => Some(s.as_str()),
                        Node::Seq(parts) => parts.first().and_then(Node::as_str),
                        _ => None,
                    };
                    text.is_some_and(|t| {
                        t.contains(&format!("${{{id}}}")) || t.contains(&format!("${{{id}."))
                    }) || Ctx::mentions(sub, id)
                }
                _ => Ctx::mentions(v, id),
            }),
            Node::Seq(items) => items.iter().any(|v| Ctx::mentions(v, id)),
            _ => false,
        }
    }

    /// The resources of `ty` whose property at `path` (below `Properties`) mentions `target`:
    /// the bucket policies of a bucket, the flow logs of a VPC.
    pub fn referrers<'a>(
        &'a self,
        ty: &'a str,
        path: &'a [&'a str],
        target: &'a str,
    ) -> impl Iterator<Item = Res<'t>> + 'a {
        self.of_type(ty).filter(move |r| {
            r.prop(path)
                .iter()
                .any(|a| a.node.is_some_and(|n| Ctx::mentions(n, target)))
        })
    }

    /// What kind of KMS key `n` names (a key id, key ARN, alias name or alias ARN, or an
    /// intrinsic that gives one).
    pub fn key_kind(&self, n: &'t Node) -> KeyKind {
        if let Some(r) = self.target(n) {
            return match r.ty {
                "AWS::KMS::Key" | "AWS::KMS::ReplicaKey" => KeyKind::Customer,
                "AWS::KMS::Alias" => {
                    let name = r.prop(&["AliasName"]);
                    match name.first().and_then(|a| a.node).and_then(Node::as_str) {
                        Some(a) if a.starts_with("alias/aws/") => KeyKind::AwsManaged,
                        _ => KeyKind::Customer,
                    }
                }
                _ => KeyKind::Unknown,
            };
        }
        match self.val(Some(n)) {
            Val::Known(Node::Str(s)) => {
                if s.contains("alias/aws/") {
                    KeyKind::AwsManaged
                } else if s.is_empty() {
                    KeyKind::Unknown
                } else {
                    KeyKind::Customer
                }
            }
            Val::Known(_) | Val::Absent => KeyKind::Unknown,
            Val::Unknown => {
                // `Fn::Sub` of an ARN naming a key of this template, or an import.
                match n {
                    Node::Map(m) if m.contains_key("Fn::Sub") => {
                        if self
                            .of_type("AWS::KMS::Key")
                            .any(|k| Ctx::mentions(n, k.id))
                        {
                            KeyKind::Customer
                        } else {
                            let text = m.get("Fn::Sub").and_then(|s| match s {
                                Node::Str(s) => Some(s.as_str()),
                                Node::Seq(p) => p.first().and_then(Node::as_str),
                                _ => None,
                            });
                            match text {
                                Some(t) if t.contains("alias/aws/") => KeyKind::AwsManaged,
                                _ => KeyKind::Unknown,
                            }
                        }
                    }
                    _ => KeyKind::Unknown,
                }
            }
        }
    }
}

/// The strings of a value that is one string or a list of them (intrinsics skipped).
pub fn strings(n: Option<&Node>) -> Vec<&str> {
    match n {
        Some(Node::Str(s)) => vec![s.as_str()],
        Some(Node::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The template text of an `Fn::Sub` (either form), if `n` is one.
pub fn sub_text(n: &Node) -> Option<&str> {
    match n.get_path(&["Fn::Sub"]) {
        Some(Node::Str(s)) => Some(s.as_str()),
        Some(Node::Seq(parts)) => parts.first().and_then(Node::as_str),
        _ => None,
    }
}

/// The map inside `n`, if it is one.
pub fn map(n: Option<&Node>) -> Option<&NodeMap> {
    n.and_then(Node::as_map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::parse::parse_template;

    #[test]
    fn alternatives_follow_both_branches_and_no_value_is_absent() {
        let t = parse_template(
            r#"{"Parameters": {"On": {"Type": "String", "Default": "true"}, "K": {"Type": "String"}},
            "Resources": {"Key": {"Type": "AWS::KMS::Key"},
            "B": {"Type": "AWS::S3::Bucket", "Properties": {"X": {"Fn::If": ["C", {"Y": 1}, {"Ref": "AWS::NoValue"}]},
              "R": {"Ref": "On"}, "U": {"Ref": "K"}, "KeyA": {"Fn::GetAtt": ["Key", "Arn"]},
              "KeyB": "alias/aws/s3", "KeyC": {"Fn::Sub": "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}"}}}}}"#,
        )
        .expect("parses");
        let ctx = Ctx::new(&t);
        let b = ctx.resource("B").expect("bucket");
        let y = b.prop(&["X", "Y"]);
        assert_eq!(y.len(), 2);
        assert_eq!(y[0].node, Some(&Node::Int(1)));
        assert_eq!(y[0].segs(), ["Properties", "X", "Fn::If", "1", "Y"]);
        assert_eq!(y[1].node, None);
        assert!(b.lacks(&["X"]).is_some());
        assert_eq!(ctx.bool(b.prop(&["R"])[0].node), Some(true));
        assert_eq!(ctx.val(b.prop(&["U"])[0].node), Val::Unknown);
        let kind = |p: &str| ctx.key_kind(b.prop(&[p])[0].node.expect("set"));
        assert_eq!(kind("KeyA"), KeyKind::Customer);
        assert_eq!(kind("KeyB"), KeyKind::AwsManaged);
        assert_eq!(kind("KeyC"), KeyKind::Customer);
        assert_eq!(kind("U"), KeyKind::Unknown);
    }
}
