//! `harden render`: flags to settings, then [`crate::render`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use harden_blueprints::cfn::Format;

use super::args::SelectionArgs;
use crate::exit;
use crate::render::{render_selections, write_stacks, RenderSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Yaml,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    select: SelectionArgs,
    /// Template format.
    #[arg(long, value_enum, default_value_t = OutFormat::Yaml)]
    format: OutFormat,
    /// Directory to write `<stack>.<format>` into; without it a single stack goes to stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn settings(a: Args) -> Result<RenderSettings> {
    Ok(RenderSettings {
        selections: a.select.resolve()?.selections,
        format: match a.format {
            OutFormat::Yaml => Format::Yaml,
            OutFormat::Json => Format::Json,
        },
        out: a.out,
    })
}

pub(crate) fn exec(a: Args, con: &crate::ui::Console) -> Result<u8> {
    let s = settings(a)?;
    let mut err = con.err();
    let crate::render::RenderedSelections { stacks, empty } =
        render_selections(&s.selections, s.format)?;
    for sel in empty {
        writeln!(
            err,
            "note: blueprint `{}` has no stacks at tier `{}`\nhint: its stacks start at a higher tier (`harden blueprints` lists them)",
            sel.blueprint.name(),
            sel.tier
        )?;
    }
    let stacks: Vec<crate::render::Rendered> = stacks.into_iter().map(|(r, _)| r).collect();
    if stacks.is_empty() {
        return Ok(exit::SUCCESS);
    }
    let sel = &s.selections[0];
    for r in &stacks {
        for note in &r.spec.notes {
            writeln!(err, "note: {}: {note}", r.spec.name)?;
        }
    }
    match &s.out {
        Some(dir) => {
            let written = write_stacks(dir, s.format, &stacks)?;
            for r in &stacks {
                writeln!(
                    err,
                    "rendered {} ({} resources, {} controls, tier {}{})",
                    r.spec.name,
                    r.spec.template.resources.len(),
                    r.spec.template.controls().len(),
                    r.spec.tags.get(harden_blueprints::TIER_TAG).map_or(sel.tier.as_str(), String::as_str),
                    r.spec.region.as_deref().map(|g| format!(", for region {g}")).unwrap_or_default()
                )?;
            }
            for f in &written.files {
                writeln!(err, "wrote {}", f.display())?;
            }
            for f in &written.removed {
                writeln!(
                    err,
                    "removed {} (an earlier render wrote it; this one does not)",
                    f.display()
                )?;
            }
            if let Some(w) = &written.warning {
                writeln!(err, "warning: {w}")?;
            }
        }
        None if stacks.len() == 1 => {
            con.out().write_all(stacks[0].text.as_bytes())?;
        }
        None => bail!(
            "{} renders {} stacks at tier `{}`: {}\nhint: pass `--out DIR` to write one file per stack",
            if s.selections.len() > 1 { "the project".to_string() } else { format!("blueprint `{}`", sel.blueprint.name()) },
            stacks.len(),
            sel.tier,
            stacks.iter().map(|r| format!("`{}`", r.spec.name)).collect::<Vec<_>>().join(", ")
        ),
    }
    Ok(exit::SUCCESS)
}
