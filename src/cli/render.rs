//! `harden render`: flags to settings, then [`crate::render`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use harden_blueprints::cfn::Format;
use harden_blueprints::params::Kind;
use harden_blueprints::Tier;

use super::{find_blueprint, parse_key_value, parse_tier};
use crate::exit;
use crate::render::{render_stacks, write_stacks, RenderSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Yaml,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The blueprint (`harden blueprints` lists them).
    #[arg(long, value_name = "NAME")]
    blueprint: String,
    /// The security tier: basic, enhanced or enterprise.
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    tier: Tier,
    /// A blueprint parameter; repeat for more.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,
    /// Stack name prefix [default: the blueprint's name].
    #[arg(long, value_name = "PREFIX")]
    name: Option<String>,
    /// Template format.
    #[arg(long, value_enum, default_value_t = OutFormat::Yaml)]
    format: OutFormat,
    /// Directory to write `<stack>.<format>` into; without it a single stack goes to stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// A stack name prefix: what CloudFormation accepts, short enough for derived names.
const NAME_RULE: Kind = Kind::Name { min: 1, max: 48 };

fn settings(a: Args) -> Result<RenderSettings> {
    let blueprint = find_blueprint(&a.blueprint)?;
    let name = a.name.unwrap_or_else(|| blueprint.name().to_string());
    if !NAME_RULE.accepts(&name) {
        bail!(
            "invalid stack name prefix `{name}` in `--name`: it must be {}",
            NAME_RULE.rule()
        );
    }
    Ok(RenderSettings {
        blueprint,
        tier: a.tier,
        name,
        params: a.params,
        format: match a.format {
            OutFormat::Yaml => Format::Yaml,
            OutFormat::Json => Format::Json,
        },
        out: a.out,
    })
}

pub(crate) fn exec(a: Args) -> Result<u8> {
    let s = settings(a)?;
    let stacks = render_stacks(&s)?;
    let mut err = std::io::stderr().lock();
    if stacks.is_empty() {
        writeln!(
            err,
            "note: blueprint `{}` has no stacks at tier `{}`\nhint: its stacks start at a higher tier (`harden blueprints` lists them)",
            s.blueprint.name(),
            s.tier
        )?;
        return Ok(exit::SUCCESS);
    }
    for r in &stacks {
        for note in &r.spec.notes {
            writeln!(err, "note: {}: {note}", r.spec.name)?;
        }
    }
    match &s.out {
        Some(dir) => {
            let files = write_stacks(dir, s.format, &stacks)?;
            for r in &stacks {
                let controls = r.spec.template.controls().len();
                writeln!(
                    err,
                    "rendered {} ({} resources, {} controls, tier {})",
                    r.spec.name,
                    r.spec.template.resources.len(),
                    controls,
                    s.tier
                )?;
            }
            for f in files {
                writeln!(err, "wrote {}", f.display())?;
            }
        }
        None if stacks.len() == 1 => {
            std::io::stdout().lock().write_all(stacks[0].text.as_bytes())?;
        }
        None => bail!(
            "blueprint `{}` renders {} stacks at tier `{}`: {}\nhint: pass `--out DIR` to write one file per stack",
            s.blueprint.name(),
            stacks.len(),
            s.tier,
            stacks.iter().map(|r| format!("`{}`", r.spec.name)).collect::<Vec<_>>().join(", ")
        ),
    }
    Ok(exit::SUCCESS)
}
