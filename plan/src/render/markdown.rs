//! The plan as a pull-request comment: one summary table, then per stack what needs a
//! reviewer's eyes in the open (data at risk, security changes) and the rest folded into
//! `<details>` blocks, with value diffs in ```` ```diff ```` fences.

use super::{
    action_word, closing, origin_notes, param_removal_head, param_removal_hint, removed_by_note,
    replacement_text, risk_label, security_label, stack_line, summary, untouched_note,
    waiver_label, waiver_text, REMOVED_BY_PARAMETERS,
};
use crate::data_risk::Fate;
use crate::stack_plan::{Plan, StackKind, StackPlan};
use crate::waiver::WaiverState;

/// The longest comment the Markdown aims for: GitHub refuses comments over 65,536
/// characters, and the CI step that posts it adds a little.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Renders the plan as GitHub-flavoured Markdown, short enough for a pull-request comment:
/// if the full plan is too long, the per-resource value diffs are left out (the summary,
/// data at risk, security changes and the table of resource changes stay), and it says so.
pub fn render_markdown(plan: &Plan) -> String {
    let full = render(plan, true);
    if full.chars().count() <= MARKDOWN_LIMIT {
        return full;
    }
    let mut short = render(plan, false);
    short.push_str(
        "\n> **note:** the value diffs of each resource are left out to fit a pull-request comment; `harden plan` shows them.\n",
    );
    short
}

fn render(plan: &Plan, details: bool) -> String {
    let mut s = String::from("## harden plan\n\n");
    s.push_str(
        "| stack | plan | add | change | replace | remove | broadens access | data at risk |\n",
    );
    s.push_str("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |\n");
    for sp in &plan.stacks {
        let c = sp.counts();
        let kind = match sp.kind {
            StackKind::Create => "create",
            StackKind::Update => "update",
            StackKind::NoChanges => "no changes",
        };
        let flag = |b: bool| if b { "**yes**" } else { "no" };
        s.push_str(&format!(
            "| {} | {kind} | {} | {} | {} | {} | {} | {} |\n",
            code(&sp.name),
            c.add,
            c.change,
            c.replace,
            c.remove,
            flag(sp.broadens_access()),
            flag(sp.data_at_risk())
        ));
    }
    s.push('\n');
    for sp in plan.stacks.iter().filter(|sp| {
        sp.has_changes()
            || !sp.notes.is_empty()
            || !sp.waivers.is_empty()
            || sp.pre_deployment.is_some()
    }) {
        stack(&mut s, sp, details);
    }
    s.push_str(&closing(plan));
    s.push('\n');
    s
}

/// A code span that survives backticks inside.
pub(crate) fn code(s: &str) -> String {
    let longest = longest_run(s, '`');
    let ticks = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{ticks}{s}{ticks}")
    } else {
        format!("{ticks} {s} {ticks}")
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        cur = if ch == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// A fenced block that survives fences inside.
fn fenced(lang: &str, body: &str) -> String {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let mut b = body.to_string();
    if !b.ends_with('\n') {
        b.push('\n');
    }
    format!("{fence}{lang}\n{b}{fence}\n")
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn stack(s: &mut String, sp: &StackPlan, details: bool) {
    s.push_str(&format!("### {}: {}\n\n", code(&sp.name), summary(sp)));
    for (warn, text) in sp.pre_deployment.iter().flat_map(|p| p.lines()) {
        let text = if warn { format!("**{text}**") } else { text };
        s.push_str(&format!("> {text}\n\n"));
    }
    for n in &sp.notes {
        s.push_str(&format!("> **note:** {n}\n\n"));
    }
    let mut lines: Vec<(usize, bool, String)> = Vec::new();
    if let Some(d) = &sp.drift {
        lines.extend(super::drift_lines(d, &code));
    }
    if let Some(r) = &sp.reverts {
        lines.extend(super::revert_lines(r, &code));
    }
    if !lines.is_empty() {
        for (depth, warn, text) in lines {
            let text = if warn { format!("**{text}**") } else { text };
            s.push_str(&format!("{}- {text}\n", "  ".repeat(depth)));
        }
        s.push('\n');
    }
    if !sp.waivers.is_empty() {
        s.push_str("**Waived controls** (switched off on purpose, below the tier)\n\n");
        for w in &sp.waivers {
            let label = waiver_label(w);
            let label = if w.state == WaiverState::Added {
                format!("**{label}**")
            } else {
                label.to_string()
            };
            s.push_str(&format!("- {label} {}\n", waiver_text(w, &code)));
        }
        s.push('\n');
    }
    if !sp.removed_by_parameters.is_empty() {
        let mut heading = REMOVED_BY_PARAMETERS.to_string();
        heading[..1].make_ascii_uppercase();
        s.push_str(&format!("**{heading}**\n\n"));
        for r in &sp.removed_by_parameters {
            let listed: Vec<String> = r
                .resources
                .iter()
                .map(|id| {
                    let ty = sp
                        .resources
                        .iter()
                        .find(|rc| rc.logical_id == *id)
                        .map_or(String::new(), |rc| {
                            format!(" ({})", code(&rc.resource_type))
                        });
                    format!("{}{ty}", code(id))
                })
                .collect();
            s.push_str(&format!(
                "- {}: {}\n  {}\n",
                param_removal_head(r, &code),
                listed.join(", "),
                param_removal_hint(r, &code)
            ));
        }
        s.push('\n');
    }
    if !sp.data_risks.is_empty() {
        s.push_str("**Data at risk**\n\n");
        for r in &sp.data_risks {
            let label = risk_label(r);
            let label = if r.fate == Fate::Destroyed || r.blocked_by_stack_policy {
                format!("**{label}**")
            } else {
                label.to_string()
            };
            s.push_str(&format!("- {label} {}\n", r.description));
        }
        s.push('\n');
    }
    if !sp.security.is_empty() {
        s.push_str("**Security changes**\n\n");
        for c in &sp.security {
            let label = security_label(c);
            let label = if c.broadens {
                format!("**{label}**")
            } else {
                label.to_string()
            };
            s.push_str(&format!(
                "- {label} {}: {}\n",
                code(&c.logical_id),
                c.description
            ));
        }
        s.push('\n');
    }
    if !sp.resources.is_empty() {
        let c = sp.counts();
        s.push_str(&format!(
            "<details><summary>Resource changes: {} to add, {} to change, {} to replace, {} to remove</summary>\n\n",
            c.add, c.change, c.replace, c.remove
        ));
        s.push_str("| change | logical id | type | notes |\n| --- | --- | --- | --- |\n");
        for rc in &sp.resources {
            let mut notes: Vec<String> = Vec::new();
            if let Some(r) = replacement_text(rc) {
                notes.push(if rc.replaces() { format!("**{r}**") } else { r });
            }
            if let Some(n) = untouched_note(rc) {
                notes.push(n.to_string());
            }
            if let Some(r) = sp.removed_by(&rc.logical_id) {
                notes.push(removed_by_note(r, &code));
            }
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                action_word(rc),
                code(&rc.logical_id),
                code(&rc.resource_type),
                escape_cell(&notes.join("; "))
            ));
        }
        s.push('\n');
        for rc in sp.resources.iter().filter(|_| details) {
            let origins = origin_notes(rc);
            if rc.properties.is_empty() && origins.is_empty() {
                continue;
            }
            s.push_str(&format!(
                "#### {} {} ({})\n\n",
                action_word(rc),
                code(&rc.logical_id),
                code(&rc.resource_type)
            ));
            let mut bullets = Vec::new();
            let mut diffs = Vec::new();
            for p in &rc.properties {
                let create_only = if p.create_only { " (create-only)" } else { "" };
                match p.value.inline_sides() {
                    Some((old, new)) => {
                        let side = |v: Option<String>| v.map_or("(none)".to_string(), |v| code(&v));
                        bullets.push(format!(
                            "- {}{create_only}: {} → {}",
                            code(&p.name),
                            side(old),
                            side(new)
                        ));
                    }
                    None => diffs.push(format!(
                        "{}{create_only}:\n\n{}",
                        code(&p.name),
                        fenced("diff", p.value.diff.as_deref().unwrap_or_default())
                    )),
                }
            }
            bullets.extend(origins.iter().map(|o| format!("- {o}")));
            if !bullets.is_empty() {
                s.push_str(&bullets.join("\n"));
                s.push_str("\n\n");
            }
            for d in diffs {
                s.push_str(&d);
                s.push('\n');
            }
        }
        s.push_str("</details>\n\n");
    }
    if !sp.stack_changes.is_empty() {
        s.push_str(&format!(
            "<details><summary>Stack settings: {} {}</summary>\n\n",
            sp.stack_changes.len(),
            if sp.stack_changes.len() == 1 {
                "change"
            } else {
                "changes"
            }
        ));
        let mut diffs = Vec::new();
        for sc in &sp.stack_changes {
            let l = stack_line(sc, &code);
            let word = match l.marker {
                "+" => "add",
                "-" => "remove",
                _ => "change",
            };
            match l.diff {
                None => s.push_str(&format!("- {word} {}\n", l.text)),
                Some(d) => {
                    let what = l.text.trim_end_matches(':');
                    s.push_str(&format!("- {word} {what} (diff below)\n"));
                    diffs.push(format!("{what}:\n\n{}", fenced("diff", &d)));
                }
            }
        }
        s.push('\n');
        for d in diffs {
            s.push_str(&d);
            s.push('\n');
        }
        s.push_str("</details>\n\n");
    }
}
