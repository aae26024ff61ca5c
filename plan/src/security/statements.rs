//! IAM-style policy statements. Any map with `Version` and `Statement` anywhere in a
//! resource's properties is a policy document: managed and inline IAM policies, role trust
//! policies, KMS key policies, bucket, topic and queue policies. Statements are matched by
//! `Sid` (else by content) and each difference is judged: does it grant more, or less?

use harden_blueprints::cfn::Node;

use super::{items, list, plural, SecurityChange, SecurityKind, Sides};
use crate::resource_change::{Action, ResourceChange};
use crate::value::compact;

/// A policy statement as the plan shows it: every list normalised to strings, intrinsics in
/// their short form (`!Sub arn:${AWS::Partition}:s3:::${Bucket}/*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementSummary {
    /// Where the policy document sits in the resource's properties (`PolicyDocument`,
    /// `Policies[ReadData].PolicyDocument`, `KeyPolicy`).
    pub document: String,
    /// The statement id, if it has one.
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: String,
    /// `Action`.
    pub actions: Vec<String>,
    /// `NotAction`.
    pub not_actions: Vec<String>,
    /// `Resource`.
    pub resources: Vec<String>,
    /// `NotResource`.
    pub not_resources: Vec<String>,
    /// `Principal`, as `*` (anyone), `AWS:<arn>`, `Service:<name>`, `Federated:<name>`.
    pub principals: Vec<String>,
    /// `NotPrincipal`, in the same form.
    pub not_principals: Vec<String>,
    /// `Condition`, one entry per operator and key: `StringEquals aws:SourceAccount = 123`.
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    op: String,
    key: String,
    values: Vec<String>,
}

impl Condition {
    fn describe(&self) -> String {
        format!("{} {} = {}", self.op, self.key, self.values.join(", "))
    }
}

#[derive(Debug, Clone)]
struct Statement<'a> {
    raw: &'a Node,
    summary: StatementSummary,
    conditions: Vec<Condition>,
}

impl Statement<'_> {
    fn allow(&self) -> bool {
        self.summary.effect != "Deny"
    }

    fn label(&self) -> String {
        match &self.summary.sid {
            Some(sid) => format!("statement `{sid}`"),
            None => "an unnamed statement".to_string(),
        }
    }

    /// `` Allow statement `X` `` or `an unnamed Deny statement`.
    fn label_with_effect(&self) -> String {
        let effect = &self.summary.effect;
        match &self.summary.sid {
            Some(sid) => format!("{effect} statement `{sid}`"),
            None => format!("an unnamed {effect} statement"),
        }
    }

    fn field(&self, f: Field) -> &[String] {
        let s = &self.summary;
        match f {
            Field::Action => &s.actions,
            Field::NotAction => &s.not_actions,
            Field::Resource => &s.resources,
            Field::NotResource => &s.not_resources,
            Field::Principal => &s.principals,
            Field::NotPrincipal => &s.not_principals,
        }
    }

    fn public(&self) -> bool {
        self.allow()
            && self.summary.principals.iter().any(|p| p == "*")
            && self.conditions.is_empty()
    }

    /// `s3:GetObject and s3:PutObject on ... for ... when ...`
    fn describe(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let mut part = |label: &str, v: &[String]| {
            if !v.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(label);
                out.push_str(&list(v));
            }
        };
        part("", &s.actions);
        part("every action except ", &s.not_actions);
        part("on ", &s.resources);
        part("on every resource except ", &s.not_resources);
        part("for ", &s.principals);
        part("for every principal except ", &s.not_principals);
        if !s.conditions.is_empty() {
            out.push_str(" when ");
            out.push_str(&list(&s.conditions));
        }
        out
    }

    /// The wildcard actions, resources and principals. In a KMS key policy `Resource: "*"`
    /// means the key itself, so it is no wildcard there.
    fn wildcards(&self, key_policy: bool) -> Vec<String> {
        let s = &self.summary;
        let mut w: Vec<String> = s
            .actions
            .iter()
            .filter(|a| a.contains('*'))
            .cloned()
            .collect();
        w.extend(
            s.resources
                .iter()
                .filter(|r| *r == "*" && !key_policy)
                .cloned(),
        );
        w.extend(s.principals.iter().filter(|p| *p == "*").cloned());
        w.dedup();
        w
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Action,
    NotAction,
    Resource,
    NotResource,
    Principal,
    NotPrincipal,
}

const FIELDS: [Field; 6] = [
    Field::Action,
    Field::NotAction,
    Field::Resource,
    Field::NotResource,
    Field::Principal,
    Field::NotPrincipal,
];

impl Field {
    fn noun(self) -> &'static str {
        match self {
            Field::Action => "action",
            Field::NotAction => "excepted action",
            Field::Resource => "resource",
            Field::NotResource => "excepted resource",
            Field::Principal => "principal",
            Field::NotPrincipal => "excepted principal",
        }
    }

    /// `Action`, `Resource`, `Principal` grant more as they grow in an Allow; the `Not`
    /// forms exclude, so they grant more as they shrink.
    fn positive(self) -> bool {
        matches!(self, Field::Action | Field::Resource | Field::Principal)
    }

    fn is_wildcard(self, item: &str, key_policy: bool) -> bool {
        match self {
            Field::Action => item.contains('*'),
            Field::Resource => item == "*" && !key_policy,
            Field::Principal => item == "*",
            _ => false,
        }
    }
}

/// Finds statement changes in a resource's policy documents, and managed policy attachments.
pub(super) fn analyse(rc: &ResourceChange, side: &Sides, out: &mut Vec<SecurityChange>) {
    let old_docs = side.old.map(documents).unwrap_or_default();
    let new_docs = side.new.map(documents).unwrap_or_default();
    let several = old_docs.len().max(new_docs.len()) > 1;
    let mut paths: Vec<&String> = new_docs.iter().map(|(p, _)| p).collect();
    for (p, _) in &old_docs {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    for path in paths {
        fn find<'a>(docs: &[(String, Vec<Statement<'a>>)], path: &str) -> Vec<Statement<'a>> {
            docs.iter()
                .find(|(p, _)| p == path)
                .map(|(_, s)| s.clone())
                .unwrap_or_default()
        }
        let where_ = if several {
            format!(" in `{path}`")
        } else {
            String::new()
        };
        compare(
            rc,
            &find(&old_docs, path),
            &find(&new_docs, path),
            &where_,
            out,
        );
    }
    attachments(rc, side, out);
}

/// The policy documents below a resource's properties, with where they sit.
fn documents(props: &Node) -> Vec<(String, Vec<Statement<'_>>)> {
    let mut found = Vec::new();
    find_documents(props, String::new(), &mut found);
    found
        .into_iter()
        .map(|(path, doc)| {
            let stmts = items(doc.get_path(&["Statement"]))
                .into_iter()
                .map(|raw| statement(raw, &path))
                .collect();
            (path, stmts)
        })
        .collect()
}

fn find_documents<'a>(n: &'a Node, path: String, out: &mut Vec<(String, &'a Node)>) {
    match n {
        Node::Map(m) if m.contains_key("Version") && m.contains_key("Statement") => {
            out.push((path, n));
        }
        Node::Map(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                find_documents(v, p, out);
            }
        }
        Node::Seq(v) => {
            for (i, item) in v.iter().enumerate() {
                let label = match item.get_path(&["PolicyName"]).and_then(Node::as_str) {
                    Some(name) => format!("{path}[{name}]"),
                    None => format!("{path}[{i}]"),
                };
                find_documents(item, label, out);
            }
        }
        _ => {}
    }
}

fn strings(n: Option<&Node>) -> Vec<String> {
    items(n).into_iter().map(compact).collect()
}

fn principals(n: Option<&Node>) -> Vec<String> {
    match n {
        None => Vec::new(),
        Some(Node::Str(s)) if s == "*" => vec!["*".into()],
        Some(Node::Map(m)) if m.keys().all(|k| !k.starts_with("Fn::") && k != "Ref") => {
            let mut out = Vec::new();
            for (kind, v) in m {
                for p in items(Some(v)) {
                    let p = compact(p);
                    if kind == "AWS" && p == "*" {
                        out.push("*".to_string());
                    } else {
                        out.push(format!("{kind}:{p}"));
                    }
                }
            }
            out
        }
        Some(other) => vec![compact(other)],
    }
}

fn conditions(n: Option<&Node>) -> Vec<Condition> {
    let mut out = Vec::new();
    for (op, keys) in n.and_then(Node::as_map).into_iter().flatten() {
        match keys.as_map() {
            Some(keys) => {
                for (key, v) in keys {
                    out.push(Condition {
                        op: op.clone(),
                        key: key.clone(),
                        values: strings(Some(v)),
                    });
                }
            }
            None => out.push(Condition {
                op: op.clone(),
                key: String::new(),
                values: strings(Some(keys)),
            }),
        }
    }
    out
}

fn statement<'a>(raw: &'a Node, document: &str) -> Statement<'a> {
    let get = |k: &str| raw.get_path(&[k]);
    let conditions = conditions(get("Condition"));
    Statement {
        raw,
        summary: StatementSummary {
            document: document.to_string(),
            sid: get("Sid").and_then(Node::as_str).map(String::from),
            effect: get("Effect")
                .map(compact)
                .unwrap_or_else(|| "Allow".to_string()),
            actions: strings(get("Action")),
            not_actions: strings(get("NotAction")),
            resources: strings(get("Resource")),
            not_resources: strings(get("NotResource")),
            principals: principals(get("Principal")),
            not_principals: principals(get("NotPrincipal")),
            conditions: conditions.iter().map(Condition::describe).collect(),
        },
        conditions,
    }
}

/// Takes the first statement left that satisfies `pred`.
fn take<'s, 'a>(
    left: &mut [Option<&'s Statement<'a>>],
    pred: impl Fn(&Statement) -> bool,
) -> Option<&'s Statement<'a>> {
    let i = left.iter().position(|o| o.is_some_and(&pred))?;
    left[i].take()
}

/// Pairs the statements of one document and judges each difference.
fn compare(
    rc: &ResourceChange,
    old: &[Statement],
    new: &[Statement],
    where_: &str,
    out: &mut Vec<SecurityChange>,
) {
    let mut old_left: Vec<Option<&Statement>> = old.iter().map(Some).collect();
    let mut pairs: Vec<(Option<&Statement>, &Statement)> = Vec::new();
    // 1. Same Sid. 2. Same content. 3. Unnamed statements with the same effect and the same
    // actions or resources: most likely the same statement, edited.
    let mut unmatched: Vec<&Statement> = Vec::new();
    for n in new {
        let m = match &n.summary.sid {
            Some(sid) => take(&mut old_left, |o| o.summary.sid.as_ref() == Some(sid)),
            None => take(&mut old_left, |o| o.raw == n.raw),
        };
        match m {
            Some(o) => pairs.push((Some(o), n)),
            None => unmatched.push(n),
        }
    }
    for n in unmatched {
        let m = if n.summary.sid.is_none() {
            take(&mut old_left, |o| {
                o.summary.sid.is_none()
                    && o.summary.effect == n.summary.effect
                    && (o.summary.actions == n.summary.actions
                        || o.summary.resources == n.summary.resources)
            })
        } else {
            None
        };
        pairs.push((m, n));
    }
    // Report in the new document's order.
    pairs.sort_by_key(|(_, n)| new.iter().position(|s| std::ptr::eq(s, *n)));
    for (o, n) in pairs {
        match o {
            None => added(rc, n, where_, out),
            Some(o) if o.raw != n.raw => modified(rc, o, n, where_, out),
            Some(_) => {}
        }
    }
    for o in old_left.into_iter().flatten() {
        removed(rc, o, where_, out);
    }
}

fn push(
    out: &mut Vec<SecurityChange>,
    rc: &ResourceChange,
    s: &Statement,
    broadens: bool,
    public: bool,
    description: String,
) {
    let mut c = SecurityChange::new(rc, SecurityKind::PolicyStatement, broadens, description);
    c.public = public;
    c.statement = Some(s.summary.clone());
    out.push(c);
}

/// Whether the resource's policy is a KMS key policy.
fn is_key_policy(rc: &ResourceChange) -> bool {
    rc.resource_type == "AWS::KMS::Key"
}

fn added(rc: &ResourceChange, s: &Statement, where_: &str, out: &mut Vec<SecurityChange>) {
    let wild = s.wildcards(is_key_policy(rc));
    let wild = if s.allow() && !wild.is_empty() {
        format!(" (wildcard {})", list(&wild))
    } else {
        String::new()
    };
    let desc = format!(
        "adds {}{where_}: {}{wild}",
        s.label_with_effect(),
        s.describe()
    );
    push(out, rc, s, s.allow(), s.public(), desc);
}

fn removed(rc: &ResourceChange, s: &Statement, where_: &str, out: &mut Vec<SecurityChange>) {
    let desc = format!(
        "removes {}{where_}: {}",
        s.label_with_effect(),
        s.describe()
    );
    // Removing an Allow takes access away; removing a Deny gives it back.
    push(out, rc, s, !s.allow(), false, desc);
}

fn modified(
    rc: &ResourceChange,
    o: &Statement,
    n: &Statement,
    where_: &str,
    out: &mut Vec<SecurityChange>,
) {
    let label = format!("{}{where_}", n.label());
    if o.allow() != n.allow() {
        let desc = format!(
            "{label} changes from {} to {}: {}",
            o.summary.effect,
            n.summary.effect,
            n.describe()
        );
        push(out, rc, n, n.allow(), n.public(), desc);
        return;
    }
    for f in FIELDS {
        let (a, b) = (o.field(f), n.field(f));
        let plus: Vec<String> = b.iter().filter(|x| !a.contains(x)).cloned().collect();
        let minus: Vec<String> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
        // In an Allow, a growing Action/Resource/Principal grants more; in a Deny, it takes
        // more away. The `Not` forms work the other way round.
        let grows_grant = n.allow() == f.positive();
        if !plus.is_empty() {
            let wild: Vec<String> = plus
                .iter()
                .filter(|x| f.is_wildcard(x, is_key_policy(rc)))
                .cloned()
                .collect();
            let wild = if wild.is_empty() || !grows_grant {
                String::new()
            } else {
                format!(" (wildcard {})", list(&wild))
            };
            let desc = format!(
                "{label} adds {} {}{wild}",
                plural(f.noun(), plus.len()),
                list(&plus)
            );
            let public = grows_grant && f == Field::Principal && plus.iter().any(|p| p == "*");
            push(
                out,
                rc,
                n,
                grows_grant,
                public && n.conditions.is_empty(),
                desc,
            );
        }
        if !minus.is_empty() {
            let desc = format!(
                "{label} removes {} {}",
                plural(f.noun(), minus.len()),
                list(&minus)
            );
            push(out, rc, n, !grows_grant, false, desc);
        }
    }
    conditions_changed(rc, o, n, &label, out);
}

/// Whether more values in a condition let more requests match: true for the plain string,
/// ARN and IP operators, false for their `Not` forms, `None` where it depends on the values
/// (numbers, dates, booleans, `Null`).
fn more_values_match_more(op: &str) -> Option<bool> {
    let base = op
        .trim_start_matches("ForAnyValue:")
        .trim_start_matches("ForAllValues:")
        .trim_end_matches("IfExists");
    let set_like =
        base.starts_with("String") || base.starts_with("Arn") || base.ends_with("IpAddress");
    set_like.then(|| !base.contains("Not"))
}

fn conditions_changed(
    rc: &ResourceChange,
    o: &Statement,
    n: &Statement,
    label: &str,
    out: &mut Vec<SecurityChange>,
) {
    let allow = n.allow();
    let effect = &n.summary.effect;
    for c in &o.conditions {
        match n.conditions.iter().find(|d| d.op == c.op && d.key == c.key) {
            None => {
                // A condition limits where the statement applies: dropping one widens an
                // Allow (broadens) and a Deny (narrows).
                let desc = format!(
                    "{label} drops condition `{}`, so the {effect} applies more widely",
                    c.describe()
                );
                push(out, rc, n, allow, allow && n.public(), desc);
            }
            Some(d) if d.values != c.values => {
                let plus: Vec<String> = d
                    .values
                    .iter()
                    .filter(|v| !c.values.contains(v))
                    .cloned()
                    .collect();
                let minus: Vec<String> = c
                    .values
                    .iter()
                    .filter(|v| !d.values.contains(v))
                    .cloned()
                    .collect();
                match more_values_match_more(&c.op) {
                    Some(more) => {
                        // Values that make the statement match more requests loosen an
                        // Allow and tighten a Deny.
                        let wider_if_added = more;
                        if !plus.is_empty() {
                            let desc = format!(
                                "{label} {} condition `{} {}` with {}",
                                if wider_if_added == allow {
                                    "loosens"
                                } else {
                                    "tightens"
                                },
                                c.op,
                                c.key,
                                list(&plus)
                            );
                            push(out, rc, n, wider_if_added == allow, false, desc);
                        }
                        if !minus.is_empty() {
                            let desc = format!(
                                "{label} {} condition `{} {}` by removing {}",
                                if wider_if_added == allow {
                                    "tightens"
                                } else {
                                    "loosens"
                                },
                                c.op,
                                c.key,
                                list(&minus)
                            );
                            push(out, rc, n, wider_if_added != allow, false, desc);
                        }
                    }
                    None => {
                        // Numbers, dates and booleans: which way it goes depends on the values,
                        // so it is treated as broadening until a person has looked.
                        let desc = format!(
                            "{label} changes condition `{}` to `{}` (review: may loosen it)",
                            c.describe(),
                            d.describe()
                        );
                        push(out, rc, n, true, false, desc);
                    }
                }
            }
            Some(_) => {}
        }
    }
    for d in &n.conditions {
        if !o.conditions.iter().any(|c| c.op == d.op && c.key == d.key) {
            let desc = format!(
                "{label} adds condition `{}`, so the {effect} applies more narrowly",
                d.describe()
            );
            push(out, rc, n, !allow, false, desc);
        }
    }
}

/// Managed policies attached to principals: `ManagedPolicyArns` on roles, users and groups,
/// and `Roles`/`Users`/`Groups` on managed and inline policies.
fn attachments(rc: &ResourceChange, side: &Sides, out: &mut Vec<SecurityChange>) {
    if rc.action == Action::Remove {
        return; // the principal or policy itself goes: its statements say what is lost
    }
    let fields: &[(&str, &str, &str)] = match rc.resource_type.as_str() {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => &[(
            "ManagedPolicyArns",
            "attaches managed policy",
            "detaches managed policy",
        )],
        "AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" => &[
            ("Roles", "attaches to role", "detaches from role"),
            ("Users", "attaches to user", "detaches from user"),
            ("Groups", "attaches to group", "detaches from group"),
        ],
        _ => return,
    };
    for (prop, attach, detach) in fields {
        let a = strings(side.old_prop(prop));
        let b = strings(side.new_prop(prop));
        for x in b.iter().filter(|x| !a.contains(x)) {
            let admin = if x.ends_with(":policy/AdministratorAccess") {
                " (full administrator access)"
            } else {
                ""
            };
            out.push(SecurityChange::new(
                rc,
                SecurityKind::PolicyAttachment,
                true,
                format!("{attach} `{x}`{admin}"),
            ));
        }
        for x in a.iter().filter(|x| !b.contains(x)) {
            out.push(SecurityChange::new(
                rc,
                SecurityKind::PolicyAttachment,
                false,
                format!("{detach} `{x}`"),
            ));
        }
    }
}
