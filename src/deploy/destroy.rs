//! `harden destroy`: delete a selection's stacks, newest dependency first, after saying what
//! will be deleted and what will be retained. Termination-protected stacks are refused unless
//! the user says to turn protection off. The shared account baseline is kept unless it is the
//! blueprint being destroyed.

use std::io::Write;

use anyhow::{bail, Result};
use aws_sdk_cloudformation::Client;

use super::events::{first_cause, watch, Lines, StackEvent};
use super::stack;
use crate::exit;
use crate::settings::Selection;
use crate::ui;

/// What the user allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct DestroyOptions {
    /// `--yes`
    pub yes: bool,
    /// `--disable-termination-protection`
    pub disable_termination_protection: bool,
}

/// Destroys the selection's stacks.
pub async fn destroy(c: &Client, sel: &Selection, o: DestroyOptions) -> Result<u8> {
    let mut err = std::io::stderr();
    let specs = sel.stacks()?;
    let own_baseline = sel.blueprint.name() == "account-baseline";
    let mut targets = Vec::new();
    for spec in specs.iter().rev() {
        if spec.purpose == "account baseline" && !own_baseline {
            writeln!(
                err,
                "keeping the account baseline `{}`: other workloads in this account and region rely on it\nhint: destroy it on its own with `harden destroy --blueprint account-baseline --tier {}`",
                spec.name, sel.tier
            )?;
            continue;
        }
        match stack::describe(c, &spec.name).await? {
            None => writeln!(err, "stack {}: not deployed, nothing to delete", spec.name)?,
            Some(info) => {
                if info.in_progress() {
                    bail!(
                        "stack `{}` is busy ({})\nhint: wait with `harden status --watch {}`",
                        info.name,
                        info.status,
                        sel.flags()
                    );
                }
                let retained = match stack::deployed(c, &info).await {
                    Ok(d) => stack::retained(&d.template),
                    Err(_) => Vec::new(),
                };
                targets.push((info, retained));
            }
        }
    }
    if targets.is_empty() {
        writeln!(err, "nothing to destroy")?;
        return Ok(exit::SUCCESS);
    }
    for (info, retained) in &targets {
        writeln!(
            err,
            "will delete stack {} ({}{})",
            info.name,
            info.status,
            if info.termination_protection {
                ", termination protection on"
            } else {
                ""
            }
        )?;
        if retained.is_empty() {
            writeln!(err, "  nothing is retained: every resource is deleted")?;
        } else {
            writeln!(err, "  retained after deletion (DeletionPolicy Retain; delete them yourself when no longer needed):")?;
            for (id, ty) in retained {
                writeln!(err, "    {id} ({ty})")?;
            }
        }
    }
    let protected: Vec<&str> = targets
        .iter()
        .filter(|(i, _)| i.termination_protection)
        .map(|(i, _)| i.name.as_str())
        .collect();
    if !protected.is_empty() && !o.disable_termination_protection {
        writeln!(
            err,
            "error: termination protection is on for {}\nhint: to turn it off and delete, rerun with `--disable-termination-protection`",
            protected.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )?;
        return Ok(exit::APPROVAL_NEEDED);
    }
    if !o.yes {
        if !ui::interactive() {
            writeln!(err, "error: approval needed: there is no terminal to ask\nhint: rerun with `--yes` to delete these stacks")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
        if !ui::confirm("Delete these stacks?").await {
            writeln!(err, "not deleted: declined")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
    }
    for (info, _) in &targets {
        if info.termination_protection {
            stack::set_termination_protection(c, &info.name, false).await?;
            writeln!(
                err,
                "stack {}: termination protection turned off",
                info.name
            )?;
        }
        let after = stack::latest_event_id(c, &info.id).await?;
        stack::delete_stack(c, &info.name).await?;
        writeln!(err, "deleting stack {}", info.name)?;
        let watched = watch(c, &info.id, &info.name, after, &mut Lines).await?;
        match watched.info {
            None => writeln!(err, "stack {}: deleted", info.name)?,
            Some(i) => {
                let cause = first_cause(&watched.events)
                    .map(StackEvent::summary)
                    .unwrap_or_else(|| i.reason.clone().unwrap_or_default());
                bail!("stack `{}` could not be deleted ({}): {cause}\nhint: remove what blocks the deletion and run `harden destroy {}` again", i.name, i.status, sel.flags());
            }
        }
    }
    Ok(exit::SUCCESS)
}
