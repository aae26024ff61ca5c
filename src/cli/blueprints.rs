//! `harden blueprints`: what can be rendered, at which tier, with which parameters; the
//! controls each tier's render contains (built on the defaults, so the list is what a render
//! has, never a hand-written claim); where each blueprint departs from its guide, and the
//! guide's operations checklist.

use std::io::Write;

use anyhow::{Context, Result};
use harden_blueprints::{controls_of, Blueprint, Deviation, Operation, StackSpec, Tier};
use serde_json::json;

use crate::exit;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only this blueprint (default: all of them).
    blueprint: Option<String>,
    /// Output format: `markdown` is the reference part of a blueprint's page
    /// (`examples/BLUEPRINT/README.md`, which a test keeps equal to it).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// How `harden blueprints` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Human-readable text.
    Text,
    /// JSON on stdout.
    Json,
    /// The reference section of each blueprint's page: stacks, controls per tier with their
    /// CIS and Security Hub ids, parameters, deviations from the guide, operations.
    Markdown,
}

/// The placeholder for the user's tier in the operations' commands (text output).
const TIER: &str = "TIER";

/// What a blueprint's renders on its defaults and required parameters contain, per tier.
struct Rendered {
    /// Control ids per tier, in tier order.
    controls: Vec<(Tier, Vec<&'static str>)>,
    /// The lowest tier at which it renders stacks of its own.
    own_from: Tier,
    /// Other blueprints whose stacks it renders (the account baseline), with the lowest tier.
    includes: Vec<(&'static dyn Blueprint, Tier)>,
}

fn rendered(b: &dyn Blueprint) -> Result<Rendered> {
    let mut controls = Vec::new();
    let mut includes: Vec<(&'static dyn Blueprint, Tier)> = Vec::new();
    let mut own_from = None;
    for tier in Tier::ALL {
        let stacks: Vec<StackSpec> = b.build_example(tier).with_context(|| {
            format!(
                "building blueprint `{}` at tier `{tier}` on its defaults and required parameters",
                b.name()
            )
        })?;
        controls.push((tier, controls_of(&stacks).iter().map(|c| c.id).collect()));
        for s in &stacks {
            let Some(name) = s.tags.get("harden:blueprint") else {
                continue;
            };
            if name == b.name() {
                own_from = own_from.or(Some(tier));
            } else if !includes.iter().any(|(i, _)| i.name() == name) {
                if let Some(other) = harden_blueprints::find(name) {
                    includes.push((other, tier));
                }
            }
        }
    }
    Ok(Rendered {
        controls,
        own_from: own_from.unwrap_or(Tier::Basic),
        includes,
    })
}

pub(crate) fn exec(args: Args, con: &crate::ui::Console) -> Result<u8> {
    let chosen: Vec<&'static dyn Blueprint> = match &args.blueprint {
        None => harden_blueprints::all().to_vec(),
        Some(name) => vec![crate::settings::find_blueprint(name)?],
    };
    let mut out = con.out();
    match args.format {
        Format::Json => {
            let list = chosen
                .iter()
                .map(|b| describe(*b))
                .collect::<Result<Vec<_>>>()?;
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Format::Text => {
            for (i, b) in chosen.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write_text(&mut out, *b)?;
            }
        }
        Format::Markdown => {
            for (i, b) in chosen.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write!(out, "{}", markdown(*b)?)?;
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// A table cell: `|` escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The reference section of a blueprint's page, computed from its renders and declarations.
pub(crate) fn markdown(b: &dyn Blueprint) -> Result<String> {
    use std::fmt::Write as _;
    let r = rendered(b)?;
    let mut o = String::new();
    writeln!(o, "## Stacks\n")?;
    writeln!(o, "| tier | stack |\n| --- | --- |")?;
    for tier in Tier::ALL {
        let purposes = b.stack_purposes(tier);
        if purposes.is_empty() {
            writeln!(o, "| {tier} | none (starts at a higher tier) |")?;
        }
        for p in purposes {
            writeln!(o, "| {tier} | {} |", cell(p))?;
        }
    }
    writeln!(
        o,
        "\n## Controls per tier\n\nWhat a render on the defaults contains (computed from the render, never declared); ✓ marks the tiers that apply it.\n"
    )?;
    writeln!(
        o,
        "| control | what it does | basic | enhanced | enterprise | CIS v3.0 | Security Hub |\n| --- | --- | :-: | :-: | :-: | --- | --- |"
    )?;
    for c in harden_blueprints::controls::ALL {
        let on: Vec<bool> = r
            .controls
            .iter()
            .map(|(_, ids)| ids.contains(&c.id))
            .collect();
        if !on.iter().any(|x| *x) {
            continue;
        }
        let mark = |x: bool| if x { "✓" } else { "" };
        let ids = |v: &[&str]| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join(", ")
            }
        };
        writeln!(
            o,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            c.id,
            cell(c.title),
            mark(on[0]),
            mark(on[1]),
            mark(on[2]),
            ids(c.cis),
            ids(c.security_hub)
        )?;
    }
    writeln!(o, "\n## Parameters\n")?;
    writeln!(
        o,
        "| parameter | default | what it sets | value |\n| --- | --- | --- | --- |"
    )?;
    let specs = b.all_params();
    for p in &specs {
        let mut what = p.description.to_string();
        let conflicts = harden_blueprints::blueprint::conflicting(&specs, p);
        if !conflicts.is_empty() {
            let with: Vec<String> = conflicts.iter().map(|c| format!("`{c}`")).collect();
            write!(what, " (not with {})", with.join(" or "))?;
        }
        if !p.requires.is_empty() {
            let with: Vec<String> = p.requires.iter().map(|c| format!("`{c}`")).collect();
            write!(what, " (needs {})", with.join(" and "))?;
        }
        writeln!(
            o,
            "| `{}` | {} | {} | {} |",
            p.name,
            p.default
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "—".into()),
            cell(&what),
            cell(&p.rule.words())
        )?;
    }
    let mut groups: Vec<(&str, &[Deviation])> = vec![(b.name(), b.deviations())];
    for (other, _) in &r.includes {
        groups.push((other.name(), other.deviations()));
    }
    if groups.iter().any(|(_, d)| !d.is_empty()) {
        writeln!(
            o,
            "\n## What the guide says that harden does not do\n\n| stack | the guide | harden | why |\n| --- | --- | --- | --- |"
        )?;
        for (name, list) in groups {
            for d in list {
                writeln!(
                    o,
                    "| {name} | {} | {} | {} |",
                    cell(d.guide),
                    cell(d.harden),
                    cell(d.reason)
                )?;
            }
        }
    }
    if !b.operations().is_empty() {
        writeln!(o, "\n## Operations\n\n`{TIER}` is the tier you deploy.\n")?;
        for cadence in harden_blueprints::Cadence::ALL {
            let items: Vec<&Operation> = b
                .operations()
                .iter()
                .filter(|op| op.cadence == cadence)
                .collect();
            if items.is_empty() {
                continue;
            }
            writeln!(o, "- {}:", cadence.as_str())?;
            for op in items {
                let from = if op.from > Tier::Basic {
                    format!("from {}: ", op.from)
                } else {
                    String::new()
                };
                match &op.command {
                    Some(c) => writeln!(o, "  - {from}{} (`{}`)", op.item, c.line(b.name(), TIER))?,
                    None => writeln!(o, "  - {from}{}", op.item)?,
                }
            }
        }
    }
    Ok(o)
}

fn write_text(out: &mut impl Write, b: &dyn Blueprint) -> Result<()> {
    let r = rendered(b)?;
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
    writeln!(
        out,
        "  controls (what the render on the defaults contains):"
    )?;
    let mut before: Vec<&str> = Vec::new();
    for (tier, ids) in &r.controls {
        let added: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|c| !before.contains(c))
            .collect();
        match (before.is_empty(), added.is_empty()) {
            (_, true) if ids.is_empty() => writeln!(out, "    {tier}: none")?,
            (_, true) => writeln!(out, "    {tier}: no more than {}", lower(*tier))?,
            (true, false) => writeln!(out, "    {tier}: {}", added.join(", "))?,
            (false, false) => writeln!(out, "    {tier}: + {}", added.join(", "))?,
        }
        before = ids.clone();
    }
    writeln!(out, "  parameters:")?;
    let specs = b.all_params();
    for p in &specs {
        let default = p
            .default
            .map(|d| format!(" (default `{d}`)"))
            .unwrap_or_else(|| " (optional)".into());
        writeln!(out, "    {}{}: {}", p.name, default, p.description)?;
        writeln!(out, "      must be {}", p.rule.words())?;
        let conflicts = harden_blueprints::blueprint::conflicting(&specs, p);
        if !conflicts.is_empty() {
            let with: Vec<String> = conflicts.iter().map(|c| format!("`{c}`")).collect();
            writeln!(out, "      not with {}", with.join(" or "))?;
        }
        if !p.requires.is_empty() {
            let with: Vec<String> = p.requires.iter().map(|c| format!("`{c}`")).collect();
            writeln!(out, "      needs {}", with.join(" and "))?;
        }
    }
    let mut groups: Vec<(Option<String>, &[Deviation])> = vec![(None, b.deviations())];
    for (other, tier) in &r.includes {
        groups.push((
            Some(format!("in its {} stack (from {tier}):", other.name())),
            other.deviations(),
        ));
    }
    if groups.iter().any(|(_, d)| !d.is_empty()) {
        writeln!(out, "  deviations from the guide:")?;
        for (header, list) in groups {
            if list.is_empty() {
                continue;
            }
            if let Some(h) = header {
                writeln!(out, "    {h}")?;
            }
            for d in list {
                writeln!(out, "    - guide: {}", d.guide)?;
                writeln!(out, "      harden: {}", d.harden)?;
                writeln!(out, "      why: {}", d.reason)?;
            }
        }
    }
    if !b.operations().is_empty() {
        writeln!(
            out,
            "  operations ({TIER} is the tier you deploy; add the `--name` and `--param` flags you deploy with):"
        )?;
        for cadence in harden_blueprints::Cadence::ALL {
            let items: Vec<&Operation> = b
                .operations()
                .iter()
                .filter(|o| o.cadence == cadence)
                .collect();
            if items.is_empty() {
                continue;
            }
            writeln!(out, "    {}:", cadence.as_str())?;
            for o in items {
                let from = if o.from > Tier::Basic {
                    format!("from {}: ", o.from)
                } else {
                    String::new()
                };
                writeln!(out, "      - {from}{}", o.item)?;
                if let Some(c) = &o.command {
                    writeln!(out, "        {}", c.line(b.name(), TIER))?;
                }
            }
        }
    }
    Ok(())
}

/// "the lower tiers" or "basic", for a tier that adds nothing.
fn lower(tier: Tier) -> &'static str {
    match tier {
        Tier::Enhanced => "basic",
        _ => "the lower tiers",
    }
}

fn describe(b: &dyn Blueprint) -> Result<serde_json::Value> {
    let r = rendered(b)?;
    let stacks: serde_json::Map<String, serde_json::Value> = Tier::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), json!(b.stack_purposes(*t))))
        .collect();
    let controls: serde_json::Map<String, serde_json::Value> = r
        .controls
        .iter()
        .map(|(t, ids)| (t.as_str().to_string(), json!(ids)))
        .collect();
    let specs = b.all_params();
    let params: Vec<_> = specs
        .iter()
        .map(|p| json!({"name": p.name, "description": p.description, "rule": p.rule.words(), "default": p.default, "conflicts": harden_blueprints::blueprint::conflicting(&specs, p), "requires": p.requires}))
        .collect();
    let mut deviations: Vec<_> = b
        .deviations()
        .iter()
        .map(|d| deviation(d, b.name(), r.own_from))
        .collect();
    for (other, tier) in &r.includes {
        deviations.extend(
            other
                .deviations()
                .iter()
                .map(|d| deviation(d, other.name(), *tier)),
        );
    }
    let operations: Vec<_> = b
        .operations()
        .iter()
        .map(|o| {
            let command = o.command.map(|c| {
                Tier::ALL
                    .iter()
                    .filter(|t| **t >= o.from)
                    .map(|t| (t.as_str().to_string(), json!(c.line(b.name(), t.as_str()))))
                    .collect::<serde_json::Map<_, _>>()
            });
            json!({
                "item": o.item,
                "cadence": o.cadence.as_str(),
                "from": o.from.as_str(),
                "command": command,
            })
        })
        .collect();
    Ok(json!({
        "name": b.name(),
        "summary": b.summary(),
        "source": b.source(),
        "stacks": stacks,
        "controls": controls,
        "parameters": params,
        "deviations": deviations,
        "operations": operations,
    }))
}

fn deviation(d: &Deviation, blueprint: &str, from: Tier) -> serde_json::Value {
    json!({
        "blueprint": blueprint,
        "from": from.as_str(),
        "guide": d.guide,
        "harden": d.harden,
        "reason": d.reason,
    })
}
