//! `harden report`: the compliance matrix of what harden would render for the selection
//! flags (or the project file): per stack, the controls of the tier and the resources that
//! satisfy them, what does not apply and why, the exceptions and the findings of `check`.
//! The matrix itself is [`harden_check::report`]; this file turns flags into it.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use harden_blueprints::Tier;
use harden_check::report::{self, StackInput};

use super::args::SelectionArgs;
use crate::exit;
use crate::render::render_selections;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    /// GitHub-flavoured Markdown (a job summary or a pull-request comment).
    Markdown,
    /// One self-contained HTML page (inline CSS, no script, no external asset).
    Html,
    /// One JSON object: `tier`, `stacks`, `summary`.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    select: SelectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Markdown)]
    format: OutFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read the Security Hub standards the account has on in the region
    /// (`securityhub:GetEnabledStandards`): they, not the standards the stacks enable, decide
    /// which claimed control ids are evaluated.
    #[arg(long)]
    account_standards: bool,
    #[command(flatten)]
    aws: super::args::AwsArgs,
}

pub(crate) fn exec(a: Args, con: &crate::ui::Console) -> Result<u8> {
    let asked = a.select.tier;
    let resolved = a.select.resolve()?;
    let stacks =
        render_selections(&resolved.selections, harden_blueprints::cfn::Format::Yaml)?.stacks;
    let rendered: Vec<(String, String, Tier)> = stacks
        .into_iter()
        .map(|(r, tier)| (r.spec.name, r.text, tier))
        .collect();
    let tier = asked
        .or_else(|| resolved.selections.iter().map(|s| s.tier).max())
        .unwrap_or(Tier::Basic);
    let inputs: Vec<StackInput> = rendered
        .iter()
        .map(|(name, text, tier)| StackInput {
            name,
            text,
            tier: *tier,
        })
        .collect();
    let account = if a.account_standards {
        let settings = a.aws.resolve(&resolved);
        let who = resolved.expect.as_ref().map(|x| x.account.clone());
        Some(super::aws_cmds::block_on_value(async {
            let (c, region) = crate::deploy::aws::connect_security_hub(&settings).await?;
            crate::deploy::security_hub::read(&c, who, &region).await
        })?)
    } else {
        None
    };
    let matrix = report::build_with(tier, &inputs, account.as_ref());
    let text = match a.format {
        OutFormat::Markdown => report::markdown::render(&matrix),
        OutFormat::Html => report::html::render(&matrix),
        OutFormat::Json => report::json::render(&matrix),
    };
    match &a.output {
        Some(f) => {
            fs::write(f, &text)
                .with_context(|| format!("writing the report to `{}`", f.display()))?;
            writeln!(
                con.err(),
                "wrote {} ({} stack{}, tier {})",
                f.display(),
                matrix.stacks.len(),
                if matrix.stacks.len() == 1 { "" } else { "s" },
                matrix.tier
            )?;
        }
        None => write!(con.out(), "{text}")?,
    }
    Ok(exit::SUCCESS)
}
