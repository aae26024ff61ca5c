//! A stack set plan in the three formats: the template plan as for stacks, then the instances.

use crate::stack_plan::Plan;
use crate::stack_set::StackSetPlan;

fn template_plan(sets: &[StackSetPlan]) -> Plan {
    Plan {
        stacks: sets.iter().map(|s| s.stack.clone()).collect(),
    }
}

/// The instance lines: a summary per stack set, then `+` to create, `~` to update, `-` to remove.
pub fn instance_lines(sets: &[StackSetPlan]) -> String {
    let mut s = String::new();
    for p in sets {
        let kept = if !p.prune && !p.remove.is_empty() {
            format!(
                " ({} no longer targeted, kept: `--prune` removes them)",
                p.remove.len()
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "stack set {} ({}, {}): {} instance(s) to create, {} to update, {} to remove{kept}\n",
            p.stack.name,
            if p.exists { "exists" } else { "to create" },
            p.kind.permission_model(),
            p.create.len(),
            p.update.len(),
            if p.prune { p.remove.len() } else { 0 },
        ));
        let what = p.kind.word();
        let mut line = |sign: &str, list: &[(String, String)]| {
            for (t, r) in list {
                s.push_str(&format!("  {sign} {what} {t} {r}\n"));
            }
        };
        line("+", &p.create);
        line("~", &p.update);
        if p.prune {
            line("-", &p.remove);
        }
    }
    s
}

/// For people.
pub fn render_stack_set_text(sets: &[StackSetPlan], color: bool) -> String {
    format!(
        "{}\n{}",
        crate::render_text(&template_plan(sets), color),
        instance_lines(sets)
    )
}

/// For a pull-request comment.
pub fn render_stack_set_markdown(sets: &[StackSetPlan]) -> String {
    format!(
        "{}\n### Stack set instances\n\n```\n{}```\n",
        crate::render_markdown(&template_plan(sets)),
        instance_lines(sets)
    )
}

/// For machines: the stack plan's JSON with a `stack_sets` array.
pub fn render_stack_set_json(sets: &[StackSetPlan]) -> serde_json::Value {
    let pairs = |l: &[(String, String)]| {
        l.iter()
            .map(|(t, r)| serde_json::json!({"target": t, "region": r}))
            .collect::<Vec<_>>()
    };
    let mut v = crate::render_json(&template_plan(sets));
    let list: Vec<serde_json::Value> = sets
        .iter()
        .map(|p| {
            serde_json::json!({
                "stack_set": p.stack.name,
                "exists": p.exists,
                "permission_model": p.kind.permission_model(),
                "create": pairs(&p.create),
                "update": pairs(&p.update),
                "remove": if p.prune { pairs(&p.remove) } else { Vec::new() },
                "not_targeted_kept": if p.prune { Vec::new() } else { pairs(&p.remove) },
            })
        })
        .collect();
    if let Some(m) = v.as_object_mut() {
        m.insert("stack_sets".into(), serde_json::Value::Array(list));
    }
    v
}
