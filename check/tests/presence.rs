//! `tier-control-missing` on harden's own output: a golden passes at its tier; the same
//! template with its WAF resources deleted by hand is missing the WAF controls; checked at a
//! higher tier it lacks that tier's controls; a control waived in `Metadata.harden.Waivers` is
//! suppressed with the waiver's reason, unless suppressions are off.

use std::path::PathBuf;

use harden_blueprints::Tier;
use harden_check::{check_text, Settings};

const RULE: &str = "tier-control-missing";

/// The WAF resources of the `cognito-api` API stack.
const WAF: &[&str] = &[
    "ApiWebAcl",
    "ApiWebAclLogs",
    "ApiWebAclLogging",
    "ApiWebAclAssociation",
];

fn golden(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The template without the top-level resources named (their whole YAML blocks).
fn without(text: &str, ids: &[&str]) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        let top = line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if top {
            skipping = ids
                .iter()
                .any(|id| line.trim_end_matches(':').trim() == *id);
        } else if !line.starts_with(' ') {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `(control message, suppression reason)` of the rule's findings.
fn missing(text: &str, s: &Settings) -> Vec<(String, Option<String>)> {
    check_text("t.yaml", text, s)
        .findings
        .into_iter()
        .filter(|f| f.rule == RULE)
        .map(|f| (f.message, f.suppressed))
        .collect()
}

#[test]
fn a_control_deleted_by_hand_is_missing_at_its_tier() {
    let t = golden("cognito-api/enhanced/cognito-api.yaml");
    let s = Settings::at(Tier::Enhanced);
    assert_eq!(
        missing(&t, &s),
        Vec::new(),
        "the golden carries its tier's controls"
    );
    let cut = without(&t, WAF);
    assert!(!cut.contains("  ApiWebAcl:\n") && cut.contains("  ApiStage:\n"));
    let found = missing(&cut, &s);
    let ids: Vec<&str> = found
        .iter()
        .map(|(m, _)| m.split('`').nth(1).unwrap())
        .collect();
    assert!(
        ids.contains(&"waf-web-acl") && ids.contains(&"rest-api-waf"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .all(|(m, s)| m.contains("of tier enhanced is missing: ") && s.is_none()),
        "{found:?}"
    );
    // Placed at the template's `Metadata.harden.Blueprint`, not at line 1 of nothing.
    let r = check_text("t.yaml", &cut, &s);
    let f = r.findings.iter().find(|f| f.rule == RULE).unwrap();
    assert_eq!(f.path, "Metadata.harden");
    assert!(f.line > 1, "{}", f.line);
}

#[test]
fn a_higher_tier_names_the_controls_it_would_add() {
    let t = golden("cognito-api/enhanced/cognito-api.yaml");
    let found = missing(&t, &Settings::at(Tier::Enterprise));
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|(m, _)| m.contains("of tier enterprise is missing: ")),
        "only enterprise's own controls: {found:?}"
    );
}

#[test]
fn a_waived_control_is_suppressed_with_its_reason_unless_suppressions_are_off() {
    let t = golden("cognito-api/enhanced/cognito-api.yaml");
    let cut = without(&t, WAF);
    let waived = cut.replacen(
        "  harden:\n",
        "  harden:\n    Waivers:\n    - Control: waf-web-acl\n      Reason: a CDN in front filters requests\n    - Control: rest-api-waf\n      Reason: a CDN in front filters requests\n",
        1,
    );
    let s = Settings::at(Tier::Enhanced);
    let found = missing(&waived, &s);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|(_, r)| r.as_deref() == Some("a CDN in front filters requests")),
        "{found:?}"
    );
    let mut off = Settings::at(Tier::Enhanced);
    off.suppressions = false;
    assert!(missing(&waived, &off).iter().all(|(_, r)| r.is_none()));
}

#[test]
fn a_template_harden_did_not_render_is_not_concerned() {
    let t = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n";
    assert!(missing(t, &Settings::at(Tier::Enterprise)).is_empty());
}

/// Every golden harden rendered carries the controls of the tier it records: the render
/// again from its recorded parameters finds nothing missing (so the check cannot drift from
/// what `render` writes).
#[test]
fn every_golden_carries_its_tiers_controls() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut compared = 0;
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let node = harden_blueprints::cfn::parse::parse_template(&text).unwrap();
        let Some(tier) = node
            .get_path(&["Metadata", "harden", "Tier"])
            .and_then(harden_blueprints::cfn::Node::as_str)
            .and_then(|t| t.parse::<Tier>().ok())
        else {
            continue;
        };
        let r = check_text("t.yaml", &text, &Settings::at(tier));
        if node
            .get_path(&["Metadata", "harden", "Blueprint"])
            .is_some()
        {
            compared += 1;
        }
        for x in r
            .findings
            .iter()
            .filter(|x| x.rule == RULE && x.suppressed.is_none())
        {
            failures.push(format!("{}: {}", f.display(), x.message));
        }
        assert!(
            !r.notes
                .iter()
                .any(|n| n.contains("cannot be rendered again")),
            "{}: {:?}",
            f.display(),
            r.notes
        );
    }
    assert!(compared > 100, "{compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
