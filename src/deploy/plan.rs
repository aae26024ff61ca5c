//! `harden plan`: what a deployment would do, in text, markdown or JSON. Change sets made to
//! confirm the preview are deleted afterwards, unless the plan is saved with `--out`.

use std::io::Write;
use std::path::PathBuf;

use super::aws::Clients;
use anyhow::Result;

use super::drift::DriftCheck;
use super::prepare::{cleanup_all, prepare_stacks, selection_stacks, ChangeSets, Origin, Pending};
use super::saved::SavedPlan;
use super::step::Step;
use crate::exit;
use crate::settings::Selection;
use crate::ui::Console;

/// How to show the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    /// For people.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For machines.
    Json,
}

/// What `plan` was asked for.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Output format.
    pub format: PlanFormat,
    /// Save the plan (and keep its change sets) here.
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes.
    pub detailed_exitcode: bool,
}

/// Plans the selection and prints the plan on stdout.
pub async fn plan(aws: &Clients, con: &Console, sel: &Selection, o: &PlanOptions) -> Result<u8> {
    plan_stacks(aws, con, Origin::Selection(sel), selection_stacks(sel)?, o).await
}

/// Plans built stacks and prints the plan on stdout; `--out` needs a selection to name them
/// again.
pub async fn plan_stacks(
    aws: &Clients,
    con: &Console,
    origin: Origin<'_>,
    rendered: Vec<crate::render::Rendered>,
    o: &PlanOptions,
) -> Result<u8> {
    let saved_for = match (&o.out, origin.selection()) {
        (Some(path), Some(sel)) => {
            SavedPlan::check_writable(path)?;
            Some((path, sel))
        }
        (Some(_), None) => anyhow::bail!(
            "`--out` saves plans of blueprint stacks only\nhint: plan with `{}`, then deploy with `{}`",
            origin.plan_cmd(),
            origin.deploy_cmd()
        ),
        (None, _) => None,
    };
    let sets = match saved_for {
        Some(_) => ChangeSets::Saved,
        None => ChangeSets::ConfirmExisting,
    };
    let drift = DriftCheck::of(origin.selection(), con.poll());
    let (prepared, plan) = prepare_stacks(aws, origin, rendered, sets, drift).await?;
    let created: Vec<Pending> = prepared
        .iter()
        .filter_map(|p| Step::of(p).pending())
        .collect();
    let text = match o.format {
        PlanFormat::Text => harden_plan::render_text(&plan, con.color_stdout()),
        PlanFormat::Markdown => harden_plan::render_markdown(&plan),
        PlanFormat::Json => serde_json::to_string_pretty(&harden_plan::render_json(&plan))? + "\n",
    };
    con.out().write_all(text.as_bytes())?;
    let mut err = con.err();
    // A change set CloudFormation refused is the plan's first cause: shown on its stack
    // above, and the error; the plan is not saved and no change set is kept.
    if let Some(cause) = plan.refusal() {
        let note = cleanup_all(aws, &created).await;
        return Err(crate::exit::with_notes(anyhow::anyhow!(cause), &note));
    }
    match saved_for {
        Some((path, sel)) => {
            let saved = SavedPlan::new(sel, &prepared, &plan);
            if let Err(e) = saved.write(path) {
                let note = cleanup_all(aws, &created).await;
                return Err(crate::exit::with_notes(e, &note));
            }
            writeln!(
                err,
                "saved the plan to {}; its {} change set(s) are kept for `harden deploy --plan {}`",
                path.display(),
                created.len(),
                path.display()
            )?;
        }
        None => {
            let note = cleanup_all(aws, &created).await;
            if !note.is_empty() {
                writeln!(err, "{note}")?;
            }
        }
    }
    Ok(if o.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::SUCCESS
    })
}
