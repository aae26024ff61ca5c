//! `harden controls`: every hardening control, the tier that switches it on, and the CIS AWS
//! Foundations v3.0 recommendations and AWS Security Hub controls it satisfies: the map a compliance review
//! asks for. A control that no shipped blueprint renders (found by building each one at every
//! tier on its defaults and required parameters) is marked as one for custom blueprints.

use std::io::Write;

use anyhow::{Context, Result};
use harden_blueprints::controls::ALL;
use harden_blueprints::{controls_of, Tier};
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

/// The shipped blueprints whose renders (any tier, on the defaults) contain each control.
fn rendered_by() -> Result<Vec<(&'static str, Vec<&'static str>)>> {
    let mut by: Vec<(&'static str, Vec<&'static str>)> =
        ALL.iter().map(|c| (c.id, Vec::new())).collect();
    for b in harden_blueprints::all() {
        for tier in Tier::ALL {
            let stacks = b.build_example(tier).with_context(|| {
                format!(
                    "building blueprint `{}` at tier `{tier}` on its defaults and required parameters",
                    b.name()
                )
            })?;
            for c in controls_of(&stacks) {
                if let Some((_, names)) = by.iter_mut().find(|(id, _)| *id == c.id) {
                    if !names.contains(&b.name()) {
                        names.push(b.name());
                    }
                }
            }
        }
    }
    Ok(by)
}

/// Said of a control no shipped blueprint renders.
const CUSTOM_ONLY: &str = "for custom blueprints: no shipped blueprint renders it";

pub(crate) fn exec(a: Args, con: &crate::ui::Console) -> Result<u8> {
    let by = rendered_by()?;
    let blueprints_of = |id: &str| {
        by.iter()
            .find(|(c, _)| *c == id)
            .map(|(_, names)| names.clone())
            .unwrap_or_default()
    };
    let list: Vec<_> = ALL
        .iter()
        .filter(|c| a.tier.is_none_or(|t| c.on(t)))
        .collect();
    let mut out = con.out();
    match a.format {
        ListFormat::Json => {
            let v: Vec<_> = list
                .iter()
                .map(|c| {
                    let names = blueprints_of(c.id);
                    let mut v = json!({"id": c.id, "tier": c.tier.as_str(), "title": c.title, "cis": c.cis, "security_hub": c.security_hub, "rendered_by": names});
                    if names.is_empty() {
                        v["note"] = json!(CUSTOM_ONLY);
                    }
                    v
                })
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
                let custom = if blueprints_of(c.id).is_empty() {
                    format!(" ({CUSTOM_ONLY})")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{:<28} {:<11} {:<24} {:<30} {}{custom}",
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
