//! The corpus (`check/tests/corpus/`, sources in its `SOURCES.md`): valid templates of every
//! shape real ones take. Each is read (no `template-unreadable`), SAM ones carry the note that
//! the transform's output was not checked, and the findings per file, rule and resource are a
//! snapshot (`expected.txt`; `HARDEN_BLESS=1` rewrites it), so a rule change that alters the
//! results on these templates is visible in review.

use std::collections::BTreeMap;
use std::path::PathBuf;

use harden_blueprints::Tier;
use harden_check::{check_all, collect, Settings};

#[test]
fn every_corpus_template_is_read_and_its_findings_match_the_snapshot() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let (inputs, skipped) = collect(std::slice::from_ref(&dir)).expect("the corpus is there");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert!(inputs.len() >= 8, "{} templates", inputs.len());
    let report = check_all(&inputs, &Settings::at(Tier::Enterprise));
    let mut snapshot = String::new();
    for (input, file) in inputs.iter().zip(&report.files) {
        let name = PathBuf::from(&input.name)
            .strip_prefix(&dir)
            .expect("under the corpus")
            .display()
            .to_string();
        assert!(
            !file
                .findings
                .iter()
                .any(|f| f.rule == "template-unreadable"),
            "{name} is valid CloudFormation: {:#?}",
            file.findings
        );
        assert!(file.resources > 0, "{name}");
        let sam = input.text.contains("AWS::Serverless-2016-10-31");
        assert_eq!(
            file.notes.iter().any(|n| n.contains("SAM transform")),
            sam,
            "{name}: {:?}",
            file.notes
        );
        let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for f in &file.findings {
            assert!(f.line >= 1 && f.column >= 1, "{f:?}");
            *counts.entry((&f.rule, &f.resource)).or_default() += 1;
        }
        snapshot.push_str(&format!("{name}: {} resources\n", file.resources));
        for ((rule, resource), n) in counts {
            snapshot.push_str(&format!("{name} {rule} {resource} {n}\n"));
        }
    }
    let expected = dir.join("expected.txt");
    if std::env::var_os("HARDEN_BLESS").is_some() {
        std::fs::write(&expected, &snapshot).expect("writes the snapshot");
        return;
    }
    let want = std::fs::read_to_string(&expected).unwrap_or_default();
    assert!(
        want == snapshot,
        "the findings on the corpus changed (HARDEN_BLESS=1 to accept):\n--- expected.txt\n{want}\n--- now\n{snapshot}"
    );
}
