//! `harden blueprints`: what can be rendered, at which tier, with which parameters.

use std::io::Write;

use anyhow::Result;
use harden_blueprints::{Blueprint, Tier};
use serde_json::json;

use super::ListFormat;
use crate::exit;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

pub(crate) fn exec(args: Args) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let list: Vec<_> = harden_blueprints::all()
                .iter()
                .map(|b| describe(*b))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        ListFormat::Text => {
            for (i, b) in harden_blueprints::all().iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{}: {}", b.name(), b.summary())?;
                writeln!(out, "  from: {}", b.source())?;
                writeln!(out, "  stacks:")?;
                for tier in Tier::ALL {
                    let purposes = b.stack_purposes(tier);
                    if purposes.is_empty() {
                        writeln!(out, "    {tier}: none (starts at a higher tier)")?;
                    }
                    for p in purposes {
                        writeln!(out, "    {tier}: {p}")?;
                    }
                }
                writeln!(out, "  parameters:")?;
                for p in b.params() {
                    let default = p
                        .default
                        .map(|d| format!(" (default `{d}`)"))
                        .unwrap_or_else(|| " (optional)".into());
                    writeln!(out, "    {}{}: {}", p.name, default, p.description)?;
                    writeln!(out, "      must be {}", p.kind.rule())?;
                }
            }
        }
    }
    Ok(exit::SUCCESS)
}

fn describe(b: &dyn Blueprint) -> serde_json::Value {
    let stacks: serde_json::Map<String, serde_json::Value> = Tier::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), json!(b.stack_purposes(*t))))
        .collect();
    let params: Vec<_> = b
        .params()
        .iter()
        .map(|p| json!({"name": p.name, "description": p.description, "rule": p.kind.rule(), "default": p.default}))
        .collect();
    json!({
        "name": b.name(),
        "summary": b.summary(),
        "source": b.source(),
        "stacks": stacks,
        "parameters": params,
    })
}
