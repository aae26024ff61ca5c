//! `harden status`: each stack of a selection, its status, protection and outputs; with
//! `--watch`, follows a running operation to its end (how to resume after a lost connection).

use std::io::Write;

use super::aws::Clients;
use anyhow::Result;
use serde_json::json;

use super::events::{first_cause, watch, Lines};
use super::ownership::Owner;
use super::stack::{self, StackInfo, Status};
use crate::exit;
use crate::settings::Target;
use crate::ui::Console;

/// Prints the status of every stack the target may have, with the blueprint and tier actually
/// deployed (from the stack's tags); follows running ones with `watch`. Exit code: 0, or 4 if
/// a watched operation ended rolled back, 1 if it ended failed.
pub async fn status(
    aws: &Clients,
    con: &Console,
    t: &Target,
    follow: bool,
    json_out: bool,
) -> Result<u8> {
    let mut code = exit::SUCCESS;
    let mut rows = Vec::new();
    let own_baseline = t.blueprint.fixed_stack_name().is_some();
    for (name, role, _owner) in t.stacks() {
        let resume = format!("harden status --watch {}", t.flags_for(role));
        let super::replica::Place {
            clients,
            region,
            replica,
        } = super::replica::place(aws, t, &name, role).await?;
        let c = &clients.cfn;
        let mut info = stack::describe(c, &name).await?;
        if info.is_none() && role == harden_blueprints::StackRole::AccountBaseline && !own_baseline
        {
            // A workload's baseline is listed once it exists; at basic there is none.
            continue;
        }
        if info.is_none() && replica && region.is_none() {
            // A replica stack exists only at the tiers that replicate.
            continue;
        }
        if follow {
            if let Some(i) = info.clone().filter(StackInfo::in_progress) {
                writeln!(con.err(), "watching stack {} ({})", i.name, i.status)?;
                let after = stack::latest_event_id(c, &i.id).await?;
                let watched = watch(
                    c,
                    con,
                    &i.id,
                    &i.name,
                    after,
                    &mut Lines(con.clone()),
                    &resume,
                )
                .await?;
                if let Some(end) = &watched.info {
                    if end.status.rolled_back() {
                        code = exit::ROLLED_BACK;
                    } else if end.status.failed() {
                        code = exit::ERROR;
                    }
                    if let Some(cause) = first_cause(&watched.events) {
                        writeln!(con.err(), "first cause: {}", cause.summary())?;
                    }
                }
                info = watched.info;
            }
        }
        rows.push((name, region, info));
    }
    let mut out = con.out();
    if json_out {
        let list: Vec<_> = rows
            .iter()
            .map(|(name, region, info)| {
                let mut v = match info {
                None => json!({"name": name, "deployed": false}),
                Some(i) => json!({
                    "name": name,
                    "deployed": true,
                    "blueprint": match Owner::of(i) { Owner::Harden { blueprint, .. } => Some(blueprint), Owner::Other => None },
                    "tier": match Owner::of(i) { Owner::Harden { tier, .. } => tier, Owner::Other => None },
                    "status": i.status.as_str(),
                    "reason": i.reason,
                    "termination_protection": i.termination_protection,
                    "last_changed": i.last_changed,
                    "outputs": i.outputs.iter().map(|(k, v, d)| json!({"key": k, "value": v, "description": d})).collect::<Vec<_>>(),
                }),
                };
                if let Some(r) = region {
                    v["region"] = json!(r);
                }
                v
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
    } else {
        for (name, region, info) in &rows {
            let place = region
                .as_deref()
                .map(|r| format!(" (region {r})"))
                .unwrap_or_default();
            match info {
                None => writeln!(out, "stack {name}{place}: not deployed")?,
                Some(i) => {
                    let reason = i
                        .reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default();
                    writeln!(out, "stack {name}{place}: {}{reason}", i.status)?;
                    writeln!(out, "  deployed: {}", Owner::of(i).describe())?;
                    writeln!(
                        out,
                        "  termination protection: {}",
                        if i.termination_protection {
                            "on"
                        } else {
                            "off"
                        }
                    )?;
                    if let Some(t) = &i.last_changed {
                        writeln!(out, "  last changed: {t}")?;
                    }
                    for (k, v, _) in &i.outputs {
                        writeln!(out, "  output {k} = {v}")?;
                    }
                }
            }
        }
    }
    Ok(code)
}
