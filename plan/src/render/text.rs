//! The plan for people at a terminal or reading CI logs. Every line carries its meaning in
//! markers and words (`+`, `~`, `±`, `-`, `BROADENS`, `DATA LOSS`); colour only repeats it,
//! and only when asked for.

use super::{
    closing, marker, origin_notes, param_removal_head, param_removal_hint, removed_by_note,
    replacement_text, risk_label, security_label, stack_line, summary, untouched_note,
    waiver_label, waiver_text, REMOVED_BY_PARAMETERS,
};
use crate::data_risk::Fate;
use crate::stack_plan::{Plan, StackPlan};
use crate::waiver::WaiverState;

const BOLD: &str = "1";
const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const CYAN: &str = "36";
const BOLD_RED: &str = "1;31";
const BOLD_YELLOW: &str = "1;33";

/// The widest logical id column before ids stop being padded.
const ID_WIDTH_MAX: usize = 40;

struct Out {
    color: bool,
    buf: String,
}

impl Out {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn line(&mut self, s: &str) {
        self.buf.push_str(s.trim_end());
        self.buf.push('\n');
    }

    fn diff(&mut self, indent: usize, diff: &str) {
        let pad = " ".repeat(indent);
        for l in diff.lines() {
            let code = match l.chars().next() {
                Some('+') => GREEN,
                Some('-') => RED,
                Some('@') => CYAN,
                _ => "",
            };
            let painted = if code.is_empty() {
                l.to_string()
            } else {
                self.paint(code, l)
            };
            self.line(&format!("{pad}{painted}"));
        }
    }
}

/// Renders the plan as text. With `color`, ANSI colours repeat what the words say.
pub fn render_text(plan: &Plan, color: bool) -> String {
    let mut out = Out {
        color,
        buf: String::new(),
    };
    for (i, sp) in plan.stacks.iter().enumerate() {
        if i > 0 {
            out.line("");
        }
        stack(&mut out, sp);
    }
    if !plan.stacks.is_empty() {
        out.line("");
    }
    let last = closing(plan);
    let last = out.paint(BOLD, &last);
    out.line(&last);
    out.buf
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

fn stack(out: &mut Out, sp: &StackPlan) {
    let head = format!("stack {}: {}", sp.name, summary(sp));
    let head = out.paint(BOLD, &head);
    out.line(&head);
    for (warn, text) in sp.pre_deployment.iter().flat_map(|p| p.lines()) {
        let mark = if warn {
            out.paint(BOLD_YELLOW, "!")
        } else {
            " ".into()
        };
        out.line(&format!("  {mark} {text}"));
    }
    for n in &sp.notes {
        let label = out.paint(BOLD_YELLOW, "note:");
        out.line(&format!("  {label} {n}"));
    }
    let drift = sp
        .drift
        .iter()
        .flat_map(|d| super::drift_lines(d, &|s: &str| s.to_string()));
    let reverts = sp
        .reverts
        .iter()
        .flat_map(|r| super::revert_lines(r, &|s: &str| s.to_string()));
    {
        for (depth, warn, text) in drift.chain(reverts).collect::<Vec<_>>() {
            let mark = if warn {
                out.paint(BOLD_YELLOW, "!")
            } else {
                " ".into()
            };
            out.line(&format!("  {}{mark} {text}", "  ".repeat(depth)));
        }
    }
    if !sp.waivers.is_empty() {
        out.line("  waived controls (switched off on purpose, below the tier):");
        for w in &sp.waivers {
            let (mark, code) = match w.state {
                WaiverState::Added => ("! ", BOLD_YELLOW),
                WaiverState::Kept | WaiverState::Removed => ("  ", ""),
            };
            let padded = format!("{:<6}", waiver_label(w));
            let painted = if code.is_empty() {
                padded
            } else {
                out.paint(code, &padded)
            };
            out.line(&format!(
                "    {mark} {painted}  {}",
                waiver_text(w, &self::code)
            ));
        }
    }
    if !sp.removed_by_parameters.is_empty() {
        out.line(&format!("  {REMOVED_BY_PARAMETERS}:"));
        for r in &sp.removed_by_parameters {
            out.line(&format!("    {}:", param_removal_head(r, &code)));
            let width = r.resources.iter().map(String::len).max().unwrap_or(0);
            for id in &r.resources {
                let ty = sp
                    .resources
                    .iter()
                    .find(|rc| rc.logical_id == *id)
                    .map_or("", |rc| rc.resource_type.as_str());
                let m = paint_marker(out, "-");
                out.line(&format!("      {m} {id:<width$}  {ty}"));
            }
            out.line(&format!("      {}", param_removal_hint(r, &code)));
        }
    }
    if !sp.stack_changes.is_empty() {
        out.line("  stack settings:");
        for sc in &sp.stack_changes {
            let l = stack_line(sc, &code);
            let m = paint_marker(out, l.marker);
            out.line(&format!("    {m} {}", l.text));
            if let Some(d) = &l.diff {
                out.diff(8, d);
            }
        }
    }
    if !sp.resources.is_empty() {
        out.line("  resources:");
        let width = sp
            .resources
            .iter()
            .map(|r| r.logical_id.len())
            .max()
            .unwrap_or(0)
            .min(ID_WIDTH_MAX);
        for rc in &sp.resources {
            let m = paint_marker(out, marker(rc));
            let mut l = format!("    {m} {:<width$}  {}", rc.logical_id, rc.resource_type);
            if let Some(r) = replacement_text(rc) {
                let code = if rc.replaces() { BOLD_RED } else { "" };
                l.push_str("  ");
                l.push_str(&if code.is_empty() {
                    r
                } else {
                    out.paint(code, &r)
                });
            }
            if let Some(n) = untouched_note(rc) {
                l.push_str(&format!("  ({n})"));
            }
            if let Some(r) = sp.removed_by(&rc.logical_id) {
                l.push_str(&format!("  ({})", removed_by_note(r, &code)));
            }
            out.line(&l);
            for p in &rc.properties {
                let create_only = if p.create_only { "  (create-only)" } else { "" };
                match p.value.inline() {
                    Some(v) => out.line(&format!("        {}: {v}{create_only}", p.name)),
                    None => {
                        out.line(&format!("        {}:{create_only}", p.name));
                        out.diff(10, p.value.diff.as_deref().unwrap_or_default());
                    }
                }
            }
            for d in rc.cloudformation_values() {
                let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "(none)".into());
                let recreate = match d.requires_recreation.as_deref() {
                    Some("Always") => "  (replaces)",
                    Some("Conditionally") => "  (may replace)",
                    _ => "",
                };
                out.line(&format!(
                    "        CloudFormation: {}: {} -> {}{recreate}",
                    d.path.as_deref().or(d.name.as_deref()).unwrap_or("?"),
                    v(&d.before),
                    v(&d.after)
                ));
            }
            for n in rc.property_disagreements() {
                let label = out.paint(BOLD_YELLOW, "differs:");
                out.line(&format!("        {label} {n}"));
            }
            for n in origin_notes(rc) {
                out.line(&format!("        {n}"));
            }
        }
    }
    if !sp.security.is_empty() {
        let broad = sp.security.iter().filter(|s| s.broadens).count();
        let narrow = sp.security.len() - broad;
        out.line(&format!(
            "  security changes ({broad} {} access, {narrow} {}):",
            if broad == 1 { "broadens" } else { "broaden" },
            if narrow == 1 { "narrows" } else { "narrow" }
        ));
        for s in &sp.security {
            let label = security_label(s);
            let (mark, code) = match (s.broadens, s.public) {
                (true, true) => ("!!", BOLD_RED),
                (true, false) => ("! ", BOLD_YELLOW),
                (false, _) => ("  ", ""),
            };
            let padded = format!("{label:<16}");
            let painted = if code.is_empty() {
                padded
            } else {
                out.paint(code, &padded)
            };
            out.line(&format!(
                "    {mark} {painted}  {}: {}",
                s.logical_id, s.description
            ));
        }
    }
    if !sp.data_risks.is_empty() {
        out.line("  data at risk:");
        for r in &sp.data_risks {
            let label = risk_label(r);
            let (mark, code) = match r.fate {
                _ if r.blocked_by_stack_policy => ("! ", BOLD_YELLOW),
                Fate::Destroyed => ("!!", BOLD_RED),
                Fate::Snapshot | Fate::Retained => ("  ", ""),
            };
            let padded = format!("{label:<18}");
            let painted = if code.is_empty() {
                padded
            } else {
                out.paint(code, &padded)
            };
            out.line(&format!("    {mark} {painted}  {}", r.description));
        }
    }
}

fn paint_marker(out: &Out, m: &str) -> String {
    let code = match m {
        "+" | "←" => GREEN,
        "~" => YELLOW,
        "-" => RED,
        "±" => BOLD_RED,
        _ => "",
    };
    out.paint(code, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_asked() {
        let plan = Plan::default();
        assert!(!render_text(&plan, false).contains('\x1b'));
        assert!(render_text(&plan, true).contains("\x1b[1m"));
    }
}
