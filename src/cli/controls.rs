//! `harden controls`: every hardening control, the tier that switches it on, and the CIS AWS
//! Foundations v3.0 recommendations and AWS Security Hub controls it satisfies: the map a compliance review
//! asks for.

use std::io::Write;

use anyhow::Result;
use harden_blueprints::controls::ALL;
use harden_blueprints::Tier;
use serde_json::json;

use super::args::parse_tier;
use super::ListFormat;
use crate::exit;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only the controls a tier switches on (cumulative).
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    tier: Option<Tier>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

pub(crate) fn exec(a: Args) -> Result<u8> {
    let list: Vec<_> = ALL
        .iter()
        .filter(|c| a.tier.is_none_or(|t| c.on(t)))
        .collect();
    let mut out = std::io::stdout().lock();
    match a.format {
        ListFormat::Json => {
            let v: Vec<_> = list
                .iter()
                .map(|c| json!({"id": c.id, "tier": c.tier.as_str(), "title": c.title, "cis": c.cis, "security_hub": c.security_hub}))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        ListFormat::Text => {
            let dash = |ids: &[&str]| {
                if ids.is_empty() {
                    "-".to_string()
                } else {
                    ids.join(", ")
                }
            };
            writeln!(
                out,
                "{:<28} {:<11} {:<24} {:<30} title",
                "control", "tier", "CIS v3.0", "Security Hub"
            )?;
            for c in list {
                writeln!(
                    out,
                    "{:<28} {:<11} {:<24} {:<30} {}",
                    c.id,
                    c.tier.as_str(),
                    dash(c.cis),
                    dash(c.security_hub),
                    c.title
                )?;
            }
        }
    }
    Ok(exit::SUCCESS)
}
