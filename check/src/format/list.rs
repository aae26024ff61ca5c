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
