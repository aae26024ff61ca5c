//! The three forms of a plan: text for people at a terminal, Markdown for a pull-request
//! comment, JSON for machines. The words that carry meaning are shared here so the three say
//! the same thing.

pub mod drift;
pub mod json;
pub mod markdown;
pub mod stack_set;
pub mod text;

use crate::data_risk::{DataRisk, Fate};
use crate::input::ParamRemoval;
use crate::replacement::{Basis, Replacement};
use crate::resource_change::{Action, ResourceChange, Section};
use crate::security::SecurityChange;
use crate::stack_change::StackChange;
use crate::stack_plan::{Plan, StackKind, StackPlan};
use crate::waiver::{Waiver, WaiverState};

/// `update (2 to add, 1 to change, 1 to replace, 0 to remove)`, `create (5 to add)`,
/// `no changes`.
pub(crate) fn summary(sp: &StackPlan) -> String {
    let c = sp.counts();
    match sp.kind {
        StackKind::NoChanges => "no changes".to_string(),
        StackKind::Create => format!("create ({} to add)", c.add),
        StackKind::Update => {
            let mut s = format!(
                "update ({} to add, {} to change, {} to replace, {} to remove",
                c.add, c.change, c.replace, c.remove
            );
            if c.import > 0 {
                s.push_str(&format!(", {} to import", c.import));
            }
            s.push(')');
            s
        }
    }
}

/// `plan: 2 stacks (1 to update, 1 unchanged); broadens access: yes; data at risk: no`
pub(crate) fn closing(plan: &Plan) -> String {
    let n = |k: StackKind| plan.stacks.iter().filter(|s| s.kind == k).count();
    let mut parts = Vec::new();
    for (k, word) in [
        (StackKind::Create, "to create"),
        (StackKind::Update, "to update"),
        (StackKind::NoChanges, "unchanged"),
    ] {
        if n(k) > 0 {
            parts.push(format!("{} {word}", n(k)));
        }
    }
    let stacks = plan.stacks.len();
    let drift = if plan.stacks.iter().any(|s| s.drift.is_some()) {
        format!(
            "; undoes security drift: {}",
            yes_no(plan.overwrites_security_drift())
        )
    } else {
        String::new()
    };
    format!(
        "plan: {stacks} {} ({}); broadens access: {}; data at risk: {}{drift}",
        if stacks == 1 { "stack" } else { "stacks" },
        if parts.is_empty() {
            "nothing to do".to_string()
        } else {
            parts.join(", ")
        },
        yes_no(plan.broadens_access()),
        yes_no(plan.data_at_risk())
    )
}

pub(crate) fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The one-character marker of a resource change.
pub(crate) fn marker(rc: &ResourceChange) -> &'static str {
    match rc.action {
        Action::Add => "+",
        Action::Remove => "-",
        Action::Import => "←",
        Action::Modify | Action::Dynamic if rc.replaces() => "±",
        Action::Modify | Action::Dynamic => "~",
    }
}

/// The word for a resource change: `add`, `change`, `replace`, `may replace`, `remove`,
/// `import`, `dynamic`.
pub(crate) fn action_word(rc: &ResourceChange) -> &'static str {
    let eff = rc.replacement.as_ref().and_then(|r| r.effective());
    match rc.action {
        Action::Add => "add",
        Action::Remove => "remove",
        Action::Import => "import",
        Action::Modify | Action::Dynamic if eff == Some(Replacement::Always) => "replace",
        Action::Modify | Action::Dynamic if eff == Some(Replacement::Conditional) => "may replace",
        Action::Modify => "change",
        Action::Dynamic => "dynamic",
    }
}

/// What is known of a modification's replacement, in words:
/// `REPLACE (predicted: `BucketName` is create-only)`,
/// `REPLACE (confirmed by the change set: ...)`, `in place (CloudFormation's change set
/// updates it without replacement; harden predicted a replacement: ...)`,
/// `replacement unknown (...)`. `None` for a plain in-place update. It reads the verdict that
/// the counts read ([`crate::ReplacementInfo::effective`]), so the two never disagree.
pub(crate) fn replacement_text(rc: &ResourceChange) -> Option<String> {
    let info = rc.replacement.as_ref()?;
    let reasons = info.reasons.join("; ");
    let with = |s: &str| {
        if reasons.is_empty() {
            s.to_string()
        } else {
            format!("{s}: {reasons}")
        }
    };
    let predicted = match info.predicted {
        Some(Replacement::Always) => with("harden predicted a replacement"),
        Some(Replacement::Conditional) => with("harden predicted a possible replacement"),
        Some(Replacement::Never) => "harden predicted an update in place".to_string(),
        None => "harden could not predict it".to_string(),
    };
    let head = match info.effective() {
        Some(Replacement::Always) => "REPLACE",
        Some(Replacement::Conditional) => "MAY REPLACE",
        Some(Replacement::Never) if info.basis() == Some(Basis::Overridden) => {
            return Some(format!(
                "in place (CloudFormation's change set updates it without replacement; {predicted})"
            ));
        }
        Some(Replacement::Never) => return None,
        None => {
            return Some(format!(
                "replacement unknown (`{}` is not in harden's schemas; a change set can tell)",
                rc.resource_type
            ))
        }
    };
    let why = match info.basis() {
        Some(Basis::Predicted) => with("predicted"),
        Some(Basis::Confirmed) => with("confirmed by the change set"),
        Some(Basis::Overridden) => format!("CloudFormation's change set says so; {predicted}"),
        None => with("predicted"),
    };
    Some(format!("{head} ({why})"))
}

/// Why a modification does not touch the resource, if it does not.
pub(crate) fn untouched_note(rc: &ResourceChange) -> Option<&'static str> {
    if rc.touches_resource || rc.action != Action::Modify {
        return None;
    }
    let metadata_only = rc
        .properties
        .iter()
        .all(|p| p.section == Section::Attribute && p.name == "Metadata");
    Some(if metadata_only {
        "metadata only: the resource itself is not touched"
    } else {
        "template attributes only: the resource itself is not touched"
    })
}

/// Notes on where a resource change comes from, beyond its own properties.
pub(crate) fn origin_notes(rc: &ResourceChange) -> Vec<String> {
    let mut out: Vec<String> = rc.through.iter().map(|t| format!("because {t}")).collect();
    match &rc.change_set_only {
        Some(why) => out.push(format!(
            "found by the change set only: {}",
            why.description()
        )),
        None => {
            if rc.action == Action::Dynamic {
                out.push("dynamic: CloudFormation re-evaluates it at deploy time".to_string());
            }
            if !rc.in_template_diff && rc.through.is_empty() {
                out.push("found by the change set only".to_string());
            }
        }
    }
    if let Some(cs) = &rc.change_set {
        for d in &cs.details {
            let direct = d.change_source.as_deref() == Some("DirectModification");
            if rc.in_template_diff && direct {
                continue; // the property diff already shows it
            }
            let mut s = format!("change set: {}", d.attribute);
            if let Some(n) = &d.name {
                s.push('.');
                s.push_str(n);
            }
            let mut extra = Vec::new();
            if let Some(src) = &d.change_source {
                extra.push(src.clone());
            }
            if let Some(r) = &d.requires_recreation {
                extra.push(format!("recreation {r}"));
            }
            if !extra.is_empty() {
                s.push_str(&format!(" ({})", extra.join(", ")));
            }
            out.push(s);
        }
    }
    out
}

/// The heading of the resources removed because a parameter is no longer given.
pub(crate) const REMOVED_BY_PARAMETERS: &str = "removed because a parameter is no longer given";

/// `` `alert_email` (was `security@example.com`) `` for one parameter's removals.
pub(crate) fn param_removal_head(r: &ParamRemoval, code: &dyn Fn(&str) -> String) -> String {
    format!("{} (was {})", code(&r.parameter), code(&r.previous))
}

/// What to do to keep what a parameter's absence removes.
pub(crate) fn param_removal_hint(r: &ParamRemoval, code: &dyn Fn(&str) -> String) -> String {
    format!(
        "hint: to keep {}, give the parameter again: {}",
        if r.resources.len() == 1 { "it" } else { "them" },
        code(&format!("--param {}={}", r.parameter, r.previous))
    )
}

/// The note on a resource of the list that a parameter's absence removes.
pub(crate) fn removed_by_note(r: &ParamRemoval, code: &dyn Fn(&str) -> String) -> String {
    format!(
        "removed because parameter {} is no longer given",
        code(&r.parameter)
    )
}

/// `new`, `kept`, `lifted`: a waiver's state in the plan.
pub(crate) fn waiver_label(w: &Waiver) -> &'static str {
    match w.state {
        WaiverState::Added => "new",
        WaiverState::Kept => "kept",
        WaiverState::Removed => "lifted",
    }
}

/// `` `control`: REASON (switched off by `instance_count=1`) ``, or for a lifted waiver
/// `` `control`: the control is back (it was waived: REASON) ``.
pub(crate) fn waiver_text(w: &Waiver, code: &dyn Fn(&str) -> String) -> String {
    let by = w
        .parameter
        .as_ref()
        .map(|p| format!(" (switched off by {})", code(p)))
        .unwrap_or_default();
    match w.state {
        WaiverState::Added | WaiverState::Kept => {
            format!("{}: {}{by}", code(&w.control), w.reason)
        }
        WaiverState::Removed => format!(
            "{}: the control is back (it was waived: {})",
            code(&w.control),
            w.reason
        ),
    }
}

/// The label of a security change: `BROADENS, PUBLIC`, `BROADENS`, `narrows`.
pub(crate) fn security_label(s: &SecurityChange) -> &'static str {
    match (s.broadens, s.public) {
        (true, true) => "BROADENS, PUBLIC",
        (true, false) => "BROADENS",
        (false, _) => "narrows",
    }
}

/// The label of a data risk: `DATA LOSS`, `POSSIBLE DATA LOSS`, `BLOCKED BY STACK POLICY`,
/// `snapshot`, `kept (orphaned)`.
pub(crate) fn risk_label(r: &DataRisk) -> &'static str {
    match r.fate {
        _ if r.blocked_by_stack_policy => "BLOCKED BY STACK POLICY",
        Fate::Destroyed if r.certain => "DATA LOSS",
        Fate::Destroyed => "POSSIBLE DATA LOSS",
        Fate::Snapshot => "snapshot",
        Fate::Retained => "kept (orphaned)",
    }
}

/// One stack-level change as a marker, a text, and a diff when the value is large.
pub(crate) struct StackLine {
    pub marker: &'static str,
    pub text: String,
    pub diff: Option<String>,
}

fn add_change_remove<T>(old: &Option<T>, new: &Option<T>) -> &'static str {
    match (old, new) {
        (None, Some(_)) => "+",
        (Some(_), None) => "-",
        _ => "~",
    }
}

/// `code` wraps a user value: backticks in text and Markdown alike.
pub(crate) fn stack_line(sc: &StackChange, code: &dyn Fn(&str) -> String) -> StackLine {
    let value_line = |what: String, v: &crate::value::ValueChange| {
        let marker = add_change_remove(&v.old, &v.new);
        match v.inline_sides() {
            Some((old, new)) => {
                let text = match (old, new) {
                    (None, Some(n)) => format!("{what}: {}", code(&n)),
                    (Some(o), None) => format!("{what} (was {})", code(&o)),
                    (Some(o), Some(n)) => format!("{what}: {} → {}", code(&o), code(&n)),
                    (None, None) => what,
                };
                StackLine {
                    marker,
                    text,
                    diff: None,
                }
            }
            None => StackLine {
                marker,
                text: format!("{what}:"),
                diff: v.diff.clone(),
            },
        }
    };
    match sc {
        StackChange::Parameter {
            name,
            old,
            new,
            no_echo,
        } => {
            let marker = add_change_remove(old, new);
            let what = format!("parameter {}", code(name));
            let text = match (old, new) {
                (Some(_), Some(_)) if *no_echo => format!("{what}: changes (NoEcho: value hidden)"),
                _ => old_new(what, old, new, code),
            };
            StackLine {
                marker,
                text,
                diff: None,
            }
        }
        StackChange::Tag { key, old, new } => {
            let marker = add_change_remove(old, new);
            let text = old_new(format!("tag {}", code(key)), old, new, code);
            StackLine {
                marker,
                text,
                diff: None,
            }
        }
        StackChange::TerminationProtection { old, new } => {
            let onoff = |b: bool| if b { "on" } else { "off" };
            let warn = if *old && !*new {
                " (the stack can be deleted)"
            } else {
                ""
            };
            StackLine {
                marker: "~",
                text: format!(
                    "termination protection: {} → {}{warn}",
                    onoff(*old),
                    onoff(*new)
                ),
                diff: None,
            }
        }
        StackChange::StackPolicy { value } => value_line("stack policy".to_string(), value),
        StackChange::Output { name, value } => value_line(format!("output {}", code(name)), value),
        StackChange::TemplateSection { section, value } => {
            value_line(format!("template section {}", code(section)), value)
        }
    }
}

/// `what: new`, `what (was old)` or `what: old → new`.
fn old_new(
    what: String,
    old: &Option<String>,
    new: &Option<String>,
    code: &dyn Fn(&str) -> String,
) -> String {
    match (old, new) {
        (None, Some(n)) => format!("{what}: {}", code(n)),
        (Some(o), None) => format!("{what} (was {})", code(o)),
        (Some(o), Some(n)) => format!("{what}: {} → {}", code(o), code(n)),
        (None, None) => what,
    }
}

/// One line of a stack's drift section: its depth (0 the heading, 1 a resource, 2 a
/// property), whether it is a warning, and the text (with `code` applied to names).
pub fn drift_lines(
    d: &crate::drift::StackDrift,
    code: &dyn Fn(&str) -> String,
) -> Vec<(usize, bool, String)> {
    use crate::drift::{DriftStatus, Overwrite};
    let mut out = Vec::new();
    let when = match (&d.checked_at, d.detected_now) {
        (Some(t), true) => format!(" (detected now, {t})"),
        (Some(t), false) => format!(" (last detection {t})"),
        (None, _) => String::new(),
    };
    match (d.status, &d.note) {
        (_, Some(note)) if d.resources.is_empty() => {
            out.push((0, false, format!("drift: not known: {note}")));
            return out;
        }
        (DriftStatus::InSync, _) if d.resources.is_empty() => {
            out.push((0, false, format!("drift: in sync{when}")));
            return out;
        }
        _ => {}
    }
    let n = d.resources.len();
    out.push((
        0,
        d.resources.iter().any(|r| r.security_overwrite()),
        format!(
            "drift{when}: {n} resource{} changed outside CloudFormation",
            if n == 1 { "" } else { "s" }
        ),
    ));
    for r in &d.resources {
        let fate = match r.overwrite {
            Overwrite::Untouched => "untouched by this plan, the drift stays",
            Overwrite::Changed => "changed by this plan, which writes the template's values back",
            Overwrite::Replaced => "replaced or removed by this plan",
        };
        let why = if r.security_overwrite() {
            ": a security-relevant change made by hand is undone; check why it was made"
        } else {
            ""
        };
        out.push((
            1,
            r.security_overwrite(),
            format!(
                "{} ({}) {}, {fate}{why}",
                code(&r.logical_id),
                r.resource_type,
                r.status
            ),
        ));
        for p in &r.properties {
            let v = |x: &Option<String>| x.as_deref().map(code).unwrap_or_else(|| "(none)".into());
            out.push((
                2,
                false,
                format!(
                    "{}: expected {}, actual {}{}",
                    code(&p.path),
                    v(&p.expected),
                    v(&p.actual),
                    if p.security { " (security)" } else { "" }
                ),
            ));
        }
        for e in &r.effects {
            out.push((
                2,
                e.broadens,
                format!(
                    "by hand, this {}: {}",
                    if e.broadens {
                        "broadens access"
                    } else {
                        "narrows access"
                    },
                    e.description
                ),
            ));
        }
    }
    out
}

/// The lines of a drift-aware change set's reverts (see [`drift_lines`]).
pub fn revert_lines(
    r: &crate::drift::Reverts,
    code: &dyn Fn(&str) -> String,
) -> Vec<(usize, bool, String)> {
    let mut out = Vec::new();
    if r.reverted.is_empty() {
        out.push((
            0,
            false,
            "revert drift: no drifted resource to bring back".to_string(),
        ));
    } else {
        out.push((
            0,
            false,
            format!(
                "revert drift: the change set brings {} drifted resource{} back to the template",
                r.reverted.len(),
                if r.reverted.len() == 1 { "" } else { "s" }
            ),
        ));
        for (id, ty, status) in &r.reverted {
            out.push((1, false, format!("{} ({ty}) {status}", code(id))));
        }
    }
    if !r.not_compared.is_empty() {
        out.push((
            0,
            true,
            "not compared with their actual state (CloudFormation does not support it for the type): their drift, if any, stays".to_string(),
        ));
        for (id, ty) in &r.not_compared {
            out.push((1, false, format!("{} ({ty})", code(id))));
        }
    }
    out
}
