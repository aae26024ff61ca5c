//! `harden check`: harden's rules over any CloudFormation template, or over what harden would
//! render for the selection flags.
//!
//! Exit codes (documented in the README): 0 no finding at or above `--fail-on`, 1 findings at
//! or above it, 2 a usage error or a file that cannot be read. A template that does not parse
//! is a finding (`template-unreadable`) with its place, not an error.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use harden_blueprints::rules::Severity;
use harden_blueprints::Tier;
use harden_check::format::{self, Format};
use harden_check::{allow, GuardRules, Input, Settings};

use super::args::SelectionArgs;
use crate::render::render_selections;

/// `check`'s exit code for a usage error or an unreadable file.
pub const USAGE: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    /// Grouped by file and resource, with the fix.
    Text,
    /// One JSON object: `findings`, `files`, `summary`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
    /// GitHub-flavoured Markdown, for a pull-request comment.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Templates (YAML or JSON) and directories to walk [default: what harden would render
    /// for the selection flags or the project file].
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    format: OutFormat,
    /// The lowest severity that fails the check (exit 1): low, medium, high or critical
    /// [default: the tier's: basic high, enhanced medium, enterprise low].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Ignore every suppression written in the templates.
    #[arg(long)]
    no_suppressions: bool,
    /// A team's allow-list of suppressions (`allow: [{rule, types}]`): any other suppression
    /// is refused.
    #[arg(long, value_name = "FILE")]
    allowed_suppressions: Option<PathBuf>,
    /// A team's rules in AWS CloudFormation Guard's language, run beside harden's: a `.guard`
    /// file, or a directory of them (repeatable). `Metadata.guard.SuppressedRules` on a
    /// resource suppresses them.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// List the rules (id, severity, tier, resource types, control ids, equivalents) and exit.
    #[arg(long)]
    list_rules: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// The tier checked when neither `--tier` nor a selection gives one.
pub const DEFAULT_TIER: Tier = Tier::Enhanced;

pub(crate) fn exec(a: Args, con: &crate::ui::Console) -> Result<u8> {
    match run(a, con) {
        Ok(code) => Ok(code),
        Err(e) => {
            let (_, lines) = crate::exit::report(e, false);
            let mut err = con.err();
            for line in lines {
                writeln!(err, "{line}")?;
            }
            Ok(USAGE)
        }
    }
}

fn run(a: Args, con: &crate::ui::Console) -> Result<u8> {
    let out_format = match a.format {
        OutFormat::Text => Format::Text,
        OutFormat::Json => Format::Json,
        OutFormat::Sarif => Format::Sarif,
        OutFormat::Markdown => Format::Markdown,
    };
    if a.list_rules {
        let text = match a.format {
            OutFormat::Json => format::list::json(),
            OutFormat::Text => format::list::text(),
            OutFormat::Sarif | OutFormat::Markdown => bail!(
                "`--list-rules` lists the rules as `text` or `json`\nhint: pass `--format json`"
            ),
        };
        write!(con.out(), "{text}")?;
        return Ok(0);
    }
    let (inputs, tier, mut notes) = if a.paths.is_empty() {
        rendered(&a)?
    } else {
        let s = &a.select;
        if s.blueprint.is_some()
            || !s.params.is_empty()
            || s.name.is_some()
            || !s.waivers.is_empty()
            || s.project.file.is_some()
            || s.project.env.is_some()
            || s.project.stack.is_some()
        {
            bail!("`harden check PATH...` checks the files given; the selection flags (`--blueprint`, `--param`, `--env`, ...) check what harden would render instead\nhint: give either paths or selection flags, not both");
        }
        let (inputs, notes) = harden_check::collect(&a.paths)?;
        (inputs, s.tier.unwrap_or(DEFAULT_TIER), notes)
    };
    if a.paths.is_empty() && a.select.tier.is_none() && inputs.is_empty() {
        notes.push("nothing to check".into());
    }
    let guard = GuardRules::load(&a.rules)?;
    let allowed = match &a.allowed_suppressions {
        None => None,
        Some(f) => {
            let text = fs::read_to_string(f)
                .with_context(|| format!("reading the allow-list `{}`", f.display()))?;
            Some(allow::parse_with(
                &f.display().to_string(),
                &text,
                &guard.rule_names(),
            )?)
        }
    };
    let settings = Settings {
        tier,
        suppressions: !a.no_suppressions,
        allowed,
        fail_on: a.fail_on.unwrap_or(Severity::fail_on(tier)),
        guard,
    };
    let report = harden_check::check_all(&inputs, &settings);
    let text = format::render(&report, out_format, &notes);
    match &a.output {
        Some(f) => fs::write(f, &text)
            .with_context(|| format!("writing the report to `{}`", f.display()))?,
        None => write!(con.out(), "{text}")?,
    }
    Ok(report.exit_code())
}

/// What harden would render for the selection: one input per stack, named `STACK.yaml`.
fn rendered(a: &Args) -> Result<(Vec<Input>, Tier, Vec<String>)> {
    let resolved = a
        .select
        .clone()
        .resolve()
        .context("nothing to check: give templates or directories, or the selection flags (`--blueprint`, `--env`) of what harden would render")?;
    let tier = resolved.selections.iter().map(|s| s.tier).max();
    let stacks =
        render_selections(&resolved.selections, harden_blueprints::cfn::Format::Yaml)?.stacks;
    let inputs = stacks
        .into_iter()
        .map(|(r, _)| Input {
            name: format!("{}.yaml", r.spec.name),
            text: r.text,
        })
        .collect();
    Ok((inputs, tier.unwrap_or(DEFAULT_TIER), Vec::new()))
}
