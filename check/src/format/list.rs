//! `harden check --list-rules`: the registry, as text or JSON.

use std::fmt::Write;

use harden_blueprints::rules::{self, Rule};
use serde_json::json;

/// One rule as JSON.
pub fn rule_json(r: &Rule) -> serde_json::Value {
    json!({
        "id": r.id,
        "title": r.title,
        "severity": r.severity.as_str(),
        "tier": r.tier.as_str(),
        "resource_types": r.resource_types,
        "rationale": r.rationale,
        "remediation": r.remediation,
        "control": r.control.map(|c| c.id),
        "cis": r.cis,
        "security_hub": r.security_hub,
        "frameworks": {"nist-800-53": r.frameworks.nist, "pci-dss": r.frameworks.pci, "hipaa": r.frameworks.hipaa},
        "equivalents": crate::equivalents(r),
    })
}

/// Every rule as a JSON array.
pub fn json() -> String {
    let all: Vec<_> = rules::all().map(rule_json).collect();
    let mut out = serde_json::to_string_pretty(&all).expect("a JSON value serialises");
    out.push('\n');
    out
}

/// Every rule as text: id, severity, tier, types, then the title and the equivalents.
pub fn text() -> String {
    let mut out = String::new();
    for r in rules::all() {
        let types = if r.resource_types.is_empty() {
            "any resource".to_string()
        } else {
            r.resource_types.join(", ")
        };
        let _ = writeln!(out, "{}  [{} from {}]  {}", r.id, r.severity, r.tier, types);
        let _ = writeln!(out, "    {}", r.title);
        let eq = crate::equivalents(r);
        if !eq.is_empty() || !r.cis.is_empty() {
            let mut parts: Vec<String> = eq
                .iter()
                .map(|(k, ids)| format!("{k} {}", ids.join(" ")))
                .collect();
            if !r.cis.is_empty() {
                parts.push(format!("CIS {}", r.cis.join(" ")));
            }
            let _ = writeln!(out, "    same as: {}", parts.join(", "));
        }
    }
    out
}

/// Every rule as a Markdown page: the table of rules with the checks of the other scanners
/// each corresponds to (the page `docs/rules.md`, kept equal to this by a test).
pub fn markdown() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let ids = |v: &[&str]| {
        if v.is_empty() {
            String::new()
        } else {
            v.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let mut out = String::from(
        "# harden check: the rules\n\n\
         Generated from the rule registry (`harden check --list-rules`); a test keeps this page equal to it \
         (`HARDEN_BLESS=1 cargo test -p harden-check --test docs` rewrites it).\n\n\
         Each rule runs from its tier up (`--tier`); a finding fails the check at or above `--fail-on` \
         (default: `high` at basic, `medium` at enhanced, `low` at enterprise). The columns on the right \
         are the checks of other scanners that check the same thing: an exception written once for a \
         harden rule is rendered into each of their suppression formats.\n\n\
         | rule | severity | from tier | resource types | checkov | cfn_nag | cdk-nag | cfn-guard | Security Hub | CIS v3.0 |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rules::all() {
        let types = if r.resource_types.is_empty() {
            "any".to_string()
        } else {
            r.resource_types
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(
            out,
            "| `{}`<br>{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            cell(r.title),
            r.severity,
            r.tier,
            types,
            ids(r.equivalents.checkov),
            ids(r.equivalents.cfn_nag),
            ids(r.equivalents.cdk_nag),
            ids(r.equivalents.guard),
            ids(r.security_hub),
            ids(r.cis)
        );
    }
    out.push_str("\n## Rationale and fix\n\n");
    for r in rules::all() {
        let _ = writeln!(
            out,
            "### `{}`\n\n{}\n\n**Fix:** {}\n",
            r.id, r.rationale, r.remediation
        );
    }
    out
}
