//! The other scanners' rule ids that harden's rules name in their `Equivalents` are real: each
//! is a row of `data/scanner-rules.tsv`, which records where the rule was read (repository,
//! path, commit), the resource types it reads and its title as its source writes it. And the
//! record holds nothing else: every row is an id some rule uses, so a mapping removed from a
//! rule takes its evidence with it.

use std::collections::{BTreeMap, BTreeSet};

use harden_blueprints::rules;

const RECORD: &str = include_str!("../data/scanner-rules.tsv");

const SCANNERS: [&str; 5] = ["checkov", "cfn_lint", "cfn_nag", "cdk_nag", "guard"];

/// One row: `(scanner, id)` and its resource types.
fn rows() -> BTreeMap<(String, String), Vec<Vec<String>>> {
    let mut out: BTreeMap<(String, String), Vec<Vec<String>>> = BTreeMap::new();
    let mut lines = RECORD.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some("scanner\tid\tresource_types\ttitle\trepository\tpath\tcommit"),
        "the record's header"
    );
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 7, "a row has 7 columns: {line:?}");
        for (i, c) in cols.iter().enumerate() {
            assert!(!c.trim().is_empty(), "column {i} is empty: {line:?}");
        }
        assert!(SCANNERS.contains(&cols[0]), "unknown scanner: {line:?}");
        let commit = cols[6];
        assert!(
            commit == "-" || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
            "the commit is 40 hex digits or `-`: {line:?}"
        );
        let types = cols[2].split(',').map(str::to_string).collect::<Vec<_>>();
        for ty in &types {
            assert!(
                ty.starts_with("AWS::"),
                "`{ty}` is not a resource type: {line:?}"
            );
        }
        out.entry((cols[0].to_string(), cols[1].to_string()))
            .or_default()
            .push(types);
    }
    out
}

/// `(scanner, id)` → the harden rules naming it.
fn used() -> BTreeMap<(String, String), BTreeSet<&'static str>> {
    let mut out: BTreeMap<(String, String), BTreeSet<&'static str>> = BTreeMap::new();
    for r in rules::all() {
        let e = &r.equivalents;
        for (scanner, ids) in SCANNERS
            .iter()
            .zip([e.checkov, e.cfn_lint, e.cfn_nag, e.cdk_nag, e.guard])
        {
            for id in ids {
                out.entry((scanner.to_string(), id.to_string()))
                    .or_default()
                    .insert(r.id);
            }
        }
    }
    out
}

#[test]
fn every_equivalent_id_is_recorded_with_its_source() {
    let rows = rows();
    let missing: Vec<String> = used()
        .into_iter()
        .filter(|(k, _)| !rows.contains_key(k))
        .map(|((s, id), by)| format!("{s} {id} (named by {by:?})"))
        .collect();
    assert!(
        missing.is_empty(),
        "ids no row of data/scanner-rules.tsv confirms: {missing:?}"
    );
}

#[test]
fn every_recorded_id_is_an_equivalent_of_some_rule() {
    let used = used();
    let unused: Vec<String> = rows()
        .into_keys()
        .filter(|k| !used.contains_key(k))
        .map(|(s, id)| format!("{s} {id}"))
        .collect();
    assert!(
        unused.is_empty(),
        "rows of data/scanner-rules.tsv no rule uses: {unused:?}"
    );
}

#[test]
fn an_equivalent_reads_a_resource_type_its_rule_reads() {
    // A rule with no resource types reads every resource (policy documents wherever they are).
    let rows = rows();
    let mut wrong = Vec::new();
    for r in rules::all().filter(|r| !r.resource_types.is_empty()) {
        let e = &r.equivalents;
        for (scanner, ids) in SCANNERS
            .iter()
            .zip([e.checkov, e.cfn_lint, e.cfn_nag, e.cdk_nag, e.guard])
        {
            for id in ids {
                let Some(found) = rows.get(&(scanner.to_string(), id.to_string())) else {
                    continue;
                };
                let shared = found
                    .iter()
                    .flatten()
                    .any(|t| r.resource_types.contains(&t.as_str()));
                if !shared {
                    wrong.push(format!("{} → {scanner} {id}", r.id));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "equivalents that read none of their rule's resource types: {wrong:?}"
    );
}
