//! `harden plan`: what a deployment would do, in text, markdown or JSON. Change sets made to
//! confirm the preview are deleted afterwards, unless the plan is saved with `--out`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use aws_sdk_cloudformation::Client;

use super::prepare::{cleanup, prepare, ChangeSets, Pending, Prepared};
use super::saved::SavedPlan;
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
pub async fn plan(c: &Client, con: &Console, sel: &Selection, o: &PlanOptions) -> Result<u8> {
    let sets = match &o.out {
        Some(path) => {
            SavedPlan::check_writable(path)?;
            ChangeSets::Saved
        }
        None => ChangeSets::ConfirmExisting,
    };
    let (prepared, plan) = prepare(c, sel, sets).await?;
    let created: Vec<Pending> = prepared.iter().filter_map(Prepared::pending).collect();
    let text = match o.format {
        PlanFormat::Text => harden_plan::render_text(&plan, con.color_stdout()),
        PlanFormat::Markdown => harden_plan::render_markdown(&plan),
        PlanFormat::Json => serde_json::to_string_pretty(&harden_plan::render_json(&plan))? + "\n",
    };
    con.out().write_all(text.as_bytes())?;
    let mut err = con.err();
    match &o.out {
        Some(path) => {
            let saved = SavedPlan::new(sel, &prepared, &plan);
            if let Err(e) = saved.write(path) {
                let note = cleanup(c, &created).await;
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
            let note = cleanup(c, &created).await;
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
