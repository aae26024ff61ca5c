//! harden's checker: rules any CloudFormation template is held to, whoever wrote it.
//!
//! A rule is a static descriptor ([`Rule`]: id, title, severity, rationale, fix, the resource
//! types it reads, the benchmark and framework ids it serves, the equivalent rules of the other
//! scanners) with one function, registered in one list ([`ALL`]), the same shape as the
//! controls. The functions read the template tree through [`Ctx`] and [`Res`], which understand
//! intrinsics: a `Ref` or `Fn::GetAtt` to a resource of the template is followed, both branches
//! of an `Fn::If` are checked, `AWS::NoValue` is an absent value, and a `Ref` to a parameter
//! is its default (or unknown, which no rule reports as a finding).
//!
//! [`check`](engine::check) runs them, applies the suppressions written in
//! `Metadata.harden.suppress` and reports what is left.

pub mod ctx;
pub mod engine;
mod meta;

pub mod api;
pub mod compute;
pub mod data;
pub mod iam;
pub mod logging;
pub mod network;
pub mod storage;

use crate::control::Control;
use crate::tier::Tier;

pub use ctx::{alts, get, Alt, Ctx, KeyKind, Res, Val};
pub use engine::{check, AllowList, Finding, Options, Suppression};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Hygiene: worth fixing, rarely exploitable alone.
    Low,
    /// Weakens a defence in depth (logging, a customer key, a limit).
    Medium,
    /// Opens a path to data or privileges under some conditions.
    High,
    /// Open to anyone, or administrator rights.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name users type and outputs show.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The lowest severity that fails a check at `tier` when `--fail-on` is not given: a
    /// higher tier tolerates less.
    pub fn fail_on(tier: Tier) -> Severity {
        match tier {
            Tier::Basic => Severity::High,
            Tier::Enhanced => Severity::Medium,
            Tier::Enterprise => Severity::Low,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity `{s}`: the severities are `low`, `medium`, `high` and `critical`")
            })
    }
}

/// The ids of the rules of other scanners (and of Security Hub's controls) that check what a
/// harden rule checks. One harden exception is rendered into each scanner's suppression
/// format from these ids, and every finding carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Equivalents {
    /// checkov (`CKV_AWS_18`).
    pub checkov: &'static [&'static str],
    /// cfn-lint (`W3005`): only for the few security rules cfn-lint has.
    pub cfn_lint: &'static [&'static str],
    /// cfn_nag (`W35`, `F3`).
    pub cfn_nag: &'static [&'static str],
    /// cdk-nag's AwsSolutions pack (`AwsSolutions-S1`).
    pub cdk_nag: &'static [&'static str],
    /// The AWS Guard Rules Registry (`S3_BUCKET_LOGGING_ENABLED`).
    pub guard: &'static [&'static str],
}

impl Equivalents {
    /// None: a rule the other scanners lack.
    pub const NONE: Equivalents = Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    };

    /// `(scanner, ids)` for every scanner with at least one id, in a fixed order.
    pub fn by_scanner(&self) -> Vec<(&'static str, &'static [&'static str])> {
        [
            ("checkov", self.checkov),
            ("cfn-lint", self.cfn_lint),
            ("cfn_nag", self.cfn_nag),
            ("cdk-nag", self.cdk_nag),
            ("cfn-guard", self.guard),
        ]
        .into_iter()
        .filter(|(_, ids)| !ids.is_empty())
        .collect()
    }
}

/// Compliance framework ids a rule serves, where a public mapping says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frameworks {
    /// NIST SP 800-53 Rev. 5 controls (`SC-28`).
    pub nist: &'static [&'static str],
    /// PCI DSS v4.0 requirements (`3.5.1`).
    pub pci: &'static [&'static str],
    /// HIPAA Security Rule sections (`164.312(a)(2)(iv)`).
    pub hipaa: &'static [&'static str],
}

impl Frameworks {
    /// None mapped.
    pub const NONE: Frameworks = Frameworks {
        nist: &[],
        pci: &[],
        hipaa: &[],
    };
}

/// One place a rule is broken: a path below the resource (`Properties`, `BucketEncryption`)
/// and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Keys and list indexes from the resource's own node.
    pub path: Vec<String>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Hit {
    /// A hit at `path` (segments below the resource).
    pub fn at<S: AsRef<str>>(path: &[S], message: impl Into<String>) -> Hit {
        Hit {
            path: path.iter().map(|s| s.as_ref().to_string()).collect(),
            message: message.into(),
        }
    }
}

/// What a rule's function is given: the whole template, and one resource of a type it reads.
pub type CheckFn = fn(&Ctx, &Res) -> Vec<Hit>;

/// A rule of harden's checker.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, used in suppressions and outputs (`s3-bucket-encryption`).
    pub id: &'static str,
    /// One line on what it requires.
    pub title: &'static str,
    /// How much a finding matters.
    pub severity: Severity,
    /// Why it matters.
    pub rationale: &'static str,
    /// How to satisfy it, in template terms.
    pub remediation: &'static str,
    /// The resource types its function is called for (empty: every resource).
    pub resource_types: &'static [&'static str],
    /// The lowest tier that requires it; below it the rule does not run.
    pub tier: Tier,
    /// The harden control that satisfies it, when one does: its description is what a
    /// finding of this rule means.
    pub control: Option<&'static Control>,
    /// CIS AWS Foundations Benchmark v3.0.0 recommendations.
    pub cis: &'static [&'static str],
    /// AWS Security Hub control ids.
    pub security_hub: &'static [&'static str],
    /// NIST 800-53, PCI DSS, HIPAA.
    pub frameworks: Frameworks,
    /// Other scanners' ids for the same check.
    pub equivalents: Equivalents,
    /// The function.
    pub check: CheckFn,
}

impl Rule {
    /// Whether the rule runs on a resource of `ty` at `tier`.
    pub fn applies(&self, ty: &str, tier: Tier) -> bool {
        tier >= self.tier && (self.resource_types.is_empty() || self.resource_types.contains(&ty))
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// Every rule, in a fixed order: harden's own rules on suppressions and unreadable templates
/// first, then by service.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    [
        meta::RULES,
        iam::RULES,
        network::RULES,
        storage::RULES,
        data::RULES,
        logging::RULES,
        compute::RULES,
        api::RULES,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    all().find(|r| r.id == id)
}

/// The rule id closest to `id`, when one is close enough to be a misspelling of it.
pub fn did_you_mean(id: &str) -> Option<&'static str> {
    all()
        .map(|r| (strsim::jaro_winkler(id, r.id), r.id))
        .filter(|(score, _)| *score > 0.88)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

pub use meta::{
    SUPPRESSION_NEEDS_REASON, SUPPRESSION_NOT_ALLOWED, TEMPLATE_UNREADABLE, TIER_CONTROL_MISSING,
    UNUSED_SUPPRESSION,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case_and_every_rule_says_why_and_how() {
        let mut seen = std::collections::BTreeSet::new();
        for r in all() {
            assert!(seen.insert(r.id), "rule id `{}` is registered twice", r.id);
            assert!(
                !r.id.is_empty()
                    && r.id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "rule id `{}` is not kebab-case",
                r.id
            );
            for (what, text) in [
                ("title", r.title),
                ("rationale", r.rationale),
                ("remediation", r.remediation),
            ] {
                assert!(!text.trim().is_empty(), "rule `{}` has no {what}", r.id);
            }
            for ty in r.resource_types {
                assert!(
                    ty.starts_with("AWS::") || ty.starts_with("Custom::"),
                    "rule `{}` names `{ty}`, not a resource type",
                    r.id
                );
            }
            if let Some(c) = r.control {
                assert!(
                    r.tier >= c.tier,
                    "rule `{}` runs below the tier of its control `{}`",
                    r.id,
                    c.id
                );
            }
        }
    }

    #[test]
    fn severities_and_default_thresholds_order_by_tier() {
        assert!(Severity::fail_on(Tier::Basic) > Severity::fail_on(Tier::Enhanced));
        assert!(Severity::fail_on(Tier::Enhanced) > Severity::fail_on(Tier::Enterprise));
        assert_eq!("high".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }
}
