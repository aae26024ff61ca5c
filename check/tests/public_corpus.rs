//! Real public templates: cfn-lint's valid test templates (including AWS Quick Start ones),
//! fetched by `scripts/tools.sh` from cfn-lint's pinned source distribution on PyPI. Every one
//! is read (no `template-unreadable` finding), checking never panics, and the same input gives
//! the same report. The totals per rule are printed, so a rule change that alters results on
//! real templates shows in the CI log.

use std::collections::BTreeMap;
use std::path::Path;

use harden_blueprints::Tier;
use harden_check::{check_all, collect, Settings};

#[test]
fn every_public_template_is_read_and_checked_deterministically() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/corpus/cfn_lint-1.58.0/test/fixtures/templates");
    assert!(
        root.is_dir(),
        "the template corpus is missing at {}\nhint: run `bash scripts/tools.sh`",
        root.display()
    );
    let (inputs, _) = collect(std::slice::from_ref(&root)).expect("the corpus reads");
    assert!(
        inputs.len() > 100,
        "only {} templates in the corpus",
        inputs.len()
    );
    let s = Settings::at(Tier::Enterprise);
    let report = check_all(&inputs, &s);
    let unreadable: Vec<String> = report
        .findings()
        .filter(|f| f.rule == "template-unreadable")
        .map(|f| format!("{}:{}:{}: {}", f.file, f.line, f.column, f.message))
        .collect();
    assert!(
        unreadable.is_empty(),
        "valid public templates harden cannot read:\n  {}",
        unreadable.join("\n  ")
    );
    assert_eq!(
        report,
        check_all(&inputs, &s),
        "the same templates gave another report"
    );
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.findings() {
        *by_rule.entry(&f.rule).or_default() += 1;
    }
    eprintln!(
        "public corpus: {} templates, {} resources, {} findings at enterprise",
        report.files.len(),
        report.files.iter().map(|f| f.resources).sum::<usize>(),
        report.findings().count()
    );
    for (rule, n) in by_rule {
        eprintln!("  {rule}: {n}");
    }
}
