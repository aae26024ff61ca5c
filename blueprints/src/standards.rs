//! Which AWS Security Hub standards evaluate each Security Hub control id harden claims.
//!
//! A claimed id (`Control::security_hub`, `Rule::security_hub`) is only worth something to an
//! account that has a standard on which evaluates it: `CloudWatch.4` is in CIS v1.2.0 and
//! v1.4.0 (and NIST 800-171), so an account with only FSBP and CIS v3.0.0 never sees a
//! finding for it. The record is `data/security-hub-standards.tsv`: per id, AWS's title, the
//! standards whose own control lists include it, and the AWS pages that say so (read from
//! the standards' pages, not from a control's "related requirements"). `?` is an id whose
//! standards AWS's pages disagree on; `none` is one no standard here includes (the tagging
//! standard is not recorded). A test keeps every claimed id in the record.

use std::sync::LazyLock;

use crate::controls::security_hub::{SECURITY_HUB, STANDARDS};
use crate::tier::Tier;

/// A Security Hub standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standard {
    /// AWS Foundational Security Best Practices v1.0.0.
    Fsbp,
    /// CIS AWS Foundations Benchmark v1.2.0.
    Cis12,
    /// CIS AWS Foundations Benchmark v1.4.0.
    Cis14,
    /// CIS AWS Foundations Benchmark v3.0.0.
    Cis30,
    /// CIS AWS Foundations Benchmark v5.0.0.
    Cis50,
    /// NIST SP 800-53 Rev. 5.
    Nist80053,
    /// NIST SP 800-171 Rev. 2.
    Nist800171,
    /// PCI DSS v3.2.1.
    Pci321,
    /// PCI DSS v4.0.1.
    Pci401,
}

impl Standard {
    /// Every standard, in this order.
    pub const ALL: [Standard; 9] = [
        Standard::Fsbp,
        Standard::Cis12,
        Standard::Cis14,
        Standard::Cis30,
        Standard::Cis50,
        Standard::Nist80053,
        Standard::Nist800171,
        Standard::Pci321,
        Standard::Pci401,
    ];

    /// The key the record uses (`fsbp`, `cis-3.0`, `nist-800-53`, `pci-4.0.1`...).
    pub fn key(self) -> &'static str {
        match self {
            Standard::Fsbp => "fsbp",
            Standard::Cis12 => "cis-1.2",
            Standard::Cis14 => "cis-1.4",
            Standard::Cis30 => "cis-3.0",
            Standard::Cis50 => "cis-5.0",
            Standard::Nist80053 => "nist-800-53",
            Standard::Nist800171 => "nist-800-171",
            Standard::Pci321 => "pci-3.2.1",
            Standard::Pci401 => "pci-4.0.1",
        }
    }

    /// The standard's name as Security Hub shows it.
    pub fn title(self) -> &'static str {
        match self {
            Standard::Fsbp => "AWS Foundational Security Best Practices v1.0.0",
            Standard::Cis12 => "CIS AWS Foundations Benchmark v1.2.0",
            Standard::Cis14 => "CIS AWS Foundations Benchmark v1.4.0",
            Standard::Cis30 => "CIS AWS Foundations Benchmark v3.0.0",
            Standard::Cis50 => "CIS AWS Foundations Benchmark v5.0.0",
            Standard::Nist80053 => "NIST SP 800-53 Rev. 5",
            Standard::Nist800171 => "NIST SP 800-171 Rev. 2",
            Standard::Pci321 => "PCI DSS v3.2.1",
            Standard::Pci401 => "PCI DSS v4.0.1",
        }
    }

    /// The standard of a record key.
    pub fn from_key(key: &str) -> Option<Standard> {
        Standard::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The standard whose ARN ends in `standards/<path>` (or `ruleset/<path>`), as the baseline
    /// enables it.
    pub fn from_arn_path(path: &str) -> Option<Standard> {
        Some(match path {
            "aws-foundational-security-best-practices/v/1.0.0" => Standard::Fsbp,
            "cis-aws-foundations-benchmark/v/1.2.0" => Standard::Cis12,
            "cis-aws-foundations-benchmark/v/1.4.0" => Standard::Cis14,
            "cis-aws-foundations-benchmark/v/3.0.0" => Standard::Cis30,
            "cis-aws-foundations-benchmark/v/5.0.0" => Standard::Cis50,
            "nist-800-53/v/5.0.0" => Standard::Nist80053,
            "nist-800-171/v/2.0.0" => Standard::Nist800171,
            "pci-dss/v/3.2.1" => Standard::Pci321,
            "pci-dss/v/4.0.1" => Standard::Pci401,
            _ => return None,
        })
    }

    /// The standard a standards ARN names (`arn:...:standards/PATH`, or CIS v1.2.0's
    /// `arn:...:ruleset/PATH`), if harden has a record of it.
    pub fn from_arn(arn: &str) -> Option<Standard> {
        let path = arn
            .split_once(":standards/")
            .or_else(|| arn.split_once(":ruleset/"))
            .map(|(_, p)| p)?;
        Standard::from_arn_path(path)
    }
}

/// One Security Hub control id of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The id (`S3.1`).
    pub id: String,
    /// AWS's title of the control.
    pub title: String,
    /// The standards that include it; empty with `confirmed` for an id in none of them.
    pub standards: Vec<Standard>,
    /// `false` where AWS's pages disagree (`?` in the record): `standards` is then empty.
    pub confirmed: bool,
    /// The AWS pages the entry was read from.
    pub sources: Vec<String>,
}

impl Evaluation {
    /// Whether one of these enabled standards evaluates it.
    pub fn evaluated_by(&self, enabled: &[Standard]) -> bool {
        self.standards.iter().any(|s| enabled.contains(s))
    }
}

/// The record's text.
pub const RECORD: &str = include_str!("../data/security-hub-standards.tsv");

/// The record, parsed once. A malformed line is a bug the tests catch
/// ([`parse`] names it); here it is left out rather than abort a report.
static EVALUATIONS: LazyLock<Vec<Evaluation>> = LazyLock::new(|| parse(RECORD).unwrap_or_default());

/// Parses the record: a header, then `id TAB title TAB standards TAB sources`.
pub fn parse(text: &str) -> Result<Vec<Evaluation>, String> {
    let mut out: Vec<Evaluation> = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let at = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [id, title, standards, sources] = cols[..] else {
            return Err(format!("line {at}: {} columns, not 4", cols.len()));
        };
        let (parsed, confirmed) = match standards {
            "?" => (Vec::new(), false),
            "none" => (Vec::new(), true),
            list => {
                let mut v = Vec::new();
                for k in list.split(',') {
                    v.push(
                        Standard::from_key(k.trim())
                            .ok_or_else(|| format!("line {at}: unknown standard `{k}`"))?,
                    );
                }
                (v, true)
            }
        };
        if out.iter().any(|e| e.id == id) {
            return Err(format!("line {at}: `{id}` again"));
        }
        out.push(Evaluation {
            id: id.to_string(),
            title: title.to_string(),
            standards: parsed,
            confirmed,
            sources: sources.split_whitespace().map(String::from).collect(),
        });
    }
    Ok(out)
}

/// The record of a Security Hub control id, if harden has one.
pub fn find(id: &str) -> Option<&'static Evaluation> {
    EVALUATIONS.iter().find(|e| e.id == id)
}

/// The standards the account baseline enables at a tier (Security Hub's own from enhanced).
pub fn enabled_by_baseline(tier: Tier) -> Vec<Standard> {
    if !SECURITY_HUB.on(tier) {
        return Vec::new();
    }
    STANDARDS
        .iter()
        .filter(|(_, _, c)| c.on(tier))
        .filter_map(|(_, path, _)| Standard::from_arn_path(path))
        .collect()
}

/// What the record says of a claimed id against the enabled standards, in one phrase
/// (`evaluated by FSBP`, `not evaluated: only in CIS v1.2.0, CIS v1.4.0`...).
pub fn verdict(id: &str, enabled: &[Standard]) -> String {
    match find(id) {
        None => "not in harden's record of Security Hub standards".to_string(),
        Some(e) if !e.confirmed => "AWS's pages disagree on which standards evaluate it".into(),
        Some(e) if e.standards.is_empty() => {
            "in none of Security Hub's security standards (tagging only)".into()
        }
        Some(e) => {
            let on: Vec<&str> = e
                .standards
                .iter()
                .filter(|s| enabled.contains(s))
                .map(|s| s.key())
                .collect();
            if on.is_empty() {
                let all: Vec<&str> = e.standards.iter().map(|s| s.key()).collect();
                format!(
                    "not evaluated by an enabled standard: only in {}",
                    all.join(", ")
                )
            } else {
                format!("evaluated by {}", on.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_parses_and_names_its_sources() {
        let all = parse(RECORD).expect("the record parses");
        assert!(all.len() >= 100, "{}", all.len());
        for e in &all {
            assert!(!e.title.is_empty(), "{}", e.id);
            assert!(
                e.sources
                    .iter()
                    .all(|s| s.starts_with("https://docs.aws.amazon.com/")),
                "{}: {:?}",
                e.id,
                e.sources
            );
        }
    }

    #[test]
    fn a_malformed_record_names_the_line() {
        let bad =
            "id\ttitle\tstandards\tsource\nS3.1\tx\tfsbp,cis-9\thttps://docs.aws.amazon.com/a\n";
        assert_eq!(parse(bad).unwrap_err(), "line 2: unknown standard `cis-9`");
        let short = "h\nS3.1\tx\n";
        assert_eq!(parse(short).unwrap_err(), "line 2: 2 columns, not 4");
    }

    #[test]
    fn the_baseline_enables_fsbp_and_cis_3_from_enhanced_and_pci_at_enterprise() {
        assert!(enabled_by_baseline(Tier::Basic).is_empty());
        assert_eq!(
            enabled_by_baseline(Tier::Enhanced),
            [Standard::Cis30, Standard::Fsbp]
        );
        assert_eq!(
            enabled_by_baseline(Tier::Enterprise),
            [Standard::Cis30, Standard::Fsbp, Standard::Pci401]
        );
        // Every path the baseline enables is one the record knows.
        for (_, path, _) in STANDARDS {
            assert!(Standard::from_arn_path(path).is_some(), "{path}");
        }
    }

    #[test]
    fn verdicts_say_whether_an_enabled_standard_evaluates_the_id() {
        let on = enabled_by_baseline(Tier::Enterprise);
        assert!(
            verdict("S3.1", &on).starts_with("evaluated by fsbp"),
            "{}",
            verdict("S3.1", &on)
        );
        assert!(
            verdict("CloudWatch.4", &on).starts_with("not evaluated by an enabled standard"),
            "{}",
            verdict("CloudWatch.4", &on)
        );
        assert_eq!(
            verdict("Nope.1", &on),
            "not in harden's record of Security Hub standards"
        );
    }
}
