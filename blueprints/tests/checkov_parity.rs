//! harden's checker against checkov, on deliberately weak templates.
//!
//! Every file of `tests/weak/` is a CloudFormation template of weak resources (a public
//! bucket, an unencrypted table) and of hardened ones that must stay clean. checkov runs once
//! over the directory; for each check it fails that a harden rule names in
//! `equivalents.checkov` (the checks in scope), harden must report a finding of such a rule on
//! the same resource: harden may be stricter than checkov, never laxer. Every check in scope
//! must also fail somewhere in the weak templates, so each mapping is exercised. Resources
//! whose logical id starts with `Hardened` are the good examples: no rule may fire on them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use harden_blueprints::cfn::parse::parse_template;
use harden_blueprints::rules::{self, Options};
use harden_blueprints::Tier;

/// `(check id, resource logical id)`.
type Pair = (String, String);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is in the workspace")
        .to_path_buf()
}

fn weak_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/weak")
}

/// The checkov ids some harden rule claims.
fn in_scope() -> BTreeSet<&'static str> {
    rules::all()
        .flat_map(|r| r.equivalents.checkov.iter().copied())
        .collect()
}

/// checkov's failed checks per file name, for the checks in scope.
fn checkov_failures(scope: &BTreeSet<&str>) -> BTreeMap<String, BTreeSet<Pair>> {
    let bin = root().join(".tools/checkov/bin/checkov");
    assert!(
        bin.exists(),
        "checkov is not installed at `{}`: run `bash scripts/tools.sh`",
        bin.display()
    );
    let out = Command::new(&bin)
        .arg("-d")
        .arg(weak_dir())
        .args([
            "-o",
            "json",
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "--skip-download",
        ])
        .output()
        .expect("checkov runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov's output is not JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // One framework: an object; several: a list of them.
    let reports = match json {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    let mut by_file: BTreeMap<String, BTreeSet<Pair>> = BTreeMap::new();
    for report in &reports {
        let failed = report
            .pointer("/results/failed_checks")
            .and_then(|f| f.as_array())
            .cloned()
            .unwrap_or_default();
        for c in failed {
            let id = c["check_id"].as_str().expect("a check id").to_string();
            if !scope.contains(id.as_str()) {
                continue;
            }
            let file = c["file_path"].as_str().expect("a file path");
            let file = Path::new(file)
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            // `AWS::S3::Bucket.MyBucket`: the type has no dot, the logical id follows the first.
            let resource = c["resource"].as_str().expect("a resource");
            let (_, logical) = resource
                .split_once('.')
                .unwrap_or_else(|| panic!("checkov's resource `{resource}` has no logical id"));
            by_file
                .entry(file)
                .or_default()
                .insert((id, logical.to_string()));
        }
    }
    by_file
}

/// harden's findings on a file as `(checkov id, resource)`, one per id its rule claims.
fn harden_pairs(path: &Path) -> (usize, BTreeSet<Pair>) {
    let findings = findings(path);
    let pairs = findings
        .iter()
        .flat_map(|f| {
            f.rule
                .equivalents
                .checkov
                .iter()
                .map(|id| (id.to_string(), f.resource.clone()))
        })
        .collect();
    (findings.len(), pairs)
}

/// The weak templates, in name order.
fn weak_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(weak_dir())
        .expect("tests/weak exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no weak templates in tests/weak");
    files
}

fn findings(path: &Path) -> Vec<rules::Finding> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading `{}`: {e}", path.display()));
    let tree = parse_template(&text).unwrap_or_else(|e| panic!("`{}`: {e}", path.display()));
    rules::check(
        &tree,
        &Options {
            tier: Tier::Enterprise,
            suppressions: false,
            allowed: None,
        },
    )
}

#[test]
fn hardened_resources_of_the_weak_templates_stay_clean() {
    let mut dirty = Vec::new();
    let mut seen = 0;
    for path in weak_files() {
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("readable");
        seen += text.matches("\n  Hardened").count();
        for f in findings(&path) {
            if f.resource.starts_with("Hardened") {
                dirty.push(format!(
                    "{name}: `{}` {} at {}: {}",
                    f.rule.id,
                    f.resource,
                    f.at(),
                    f.message
                ));
            }
        }
    }
    assert!(
        seen > 0,
        "no `Hardened` resources in tests/weak: the good examples are missing"
    );
    assert!(
        dirty.is_empty(),
        "rules fire on hardened resources:\n{}",
        dirty.join("\n")
    );
}

#[test]
fn harden_flags_every_resource_checkov_flags_on_the_weak_templates() {
    let scope = in_scope();
    let checkov = checkov_failures(&scope);
    let files = weak_files();

    let mut missing: Vec<String> = Vec::new();
    let mut fired: BTreeSet<String> = BTreeSet::new();
    eprintln!(
        "{:<16} {:>8} {:>8} {:>8}",
        "file", "checkov", "harden", "missing"
    );
    for path in &files {
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let expected = checkov.get(&name).cloned().unwrap_or_default();
        let (findings, got) = harden_pairs(path);
        let absent: Vec<&Pair> = expected.iter().filter(|p| !got.contains(*p)).collect();
        eprintln!(
            "{name:<16} {:>8} {findings:>8} {:>8}",
            expected.len(),
            absent.len()
        );
        for (id, res) in &absent {
            missing.push(format!(
                "{name}: checkov fails {id} on `{res}`, harden reports no rule claiming it"
            ));
        }
        fired.extend(expected.into_iter().map(|(id, _)| id));
    }
    assert!(
        missing.is_empty(),
        "harden is laxer than checkov:\n{}",
        missing.join("\n")
    );
    let never: Vec<&str> = scope
        .iter()
        .copied()
        .filter(|id| !fired.contains(*id))
        .collect();
    assert!(
        never.is_empty(),
        "these checkov ids claimed by harden rules never fail on tests/weak, so their mapping is untested: {}",
        never.join(", ")
    );
}
