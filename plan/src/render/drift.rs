//! `harden drift`: each stack's drift on its own, as text, Markdown or JSON. `None` is a stack
//! that is not deployed.

use serde_json::{json, Value};

use crate::drift::StackDrift;

/// Whether any stack drifted.
pub fn any_drifted(stacks: &[(String, Option<StackDrift>)]) -> bool {
    stacks
        .iter()
        .any(|(_, d)| d.as_ref().is_some_and(StackDrift::drifted))
}

fn body(stacks: &[(String, Option<StackDrift>)], md: bool) -> String {
    let code = |s: &str| {
        if md {
            super::markdown::code(s)
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    if md {
        out.push_str("## harden drift\n\n");
    }
    for (name, d) in stacks {
        let head = match d {
            None => format!("stack {}: not deployed", code(name)),
            Some(d) => format!("stack {}: {}", code(name), d.status.as_str()),
        };
        out.push_str(&if md {
            format!("### {head}\n\n")
        } else {
            format!("{head}\n")
        });
        let Some(d) = d else { continue };
        for (depth, warn, line) in super::drift_lines(d, &code) {
            if depth == 0 && !d.drifted() && d.note.is_none() {
                // The heading said it: in sync.
                continue;
            }
            let line = if md && warn {
                format!("**{line}**")
            } else {
                line
            };
            out.push_str(&if md {
                format!("{}- {line}\n", "  ".repeat(depth))
            } else {
                format!("  {}{line}\n", "  ".repeat(depth))
            });
        }
        if md {
            out.push('\n');
        }
    }
    out
}

/// For people.
pub fn render_drift_text(stacks: &[(String, Option<StackDrift>)]) -> String {
    body(stacks, false)
}

/// For a pull-request comment or a job summary.
pub fn render_drift_markdown(stacks: &[(String, Option<StackDrift>)]) -> String {
    body(stacks, true)
}

/// One object: `drifted`, and `stacks`, each with `stack`, `deployed` and `drift`.
pub fn render_drift_json(stacks: &[(String, Option<StackDrift>)]) -> Value {
    json!({
        "drifted": any_drifted(stacks),
        "stacks": stacks
            .iter()
            .map(|(name, d)| match d {
                Some(d) => json!({"stack": name, "deployed": true, "drift": d}),
                None => json!({"stack": name, "deployed": false}),
            })
            .collect::<Vec<_>>(),
    })
}
