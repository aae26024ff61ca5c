//! IAM Access Analyzer for the account: an external-access analyzer per region (it reports
//! resources shared outside the account: buckets, keys, roles, queues...), and an
//! unused-access analyzer (roles, users, passwords, access keys and permissions unused for 90
//! days). Unused access is about IAM, which is global, so it runs in the home region only.

use crate::cfn::generated::accessanalyzer::{self, analyzer as a};
use crate::cfn::{Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control for the external-access analyzer.
pub static ACCESS_ANALYZER: Control = Control {
    id: "access-analyzer",
    title: "IAM Access Analyzer reports external access to the account's resources",
    tier: Tier::Enterprise,
    cis: &["1.20"],
    security_hub: &["IAM.28"],
};

/// The control for the unused-access analyzer.
pub static UNUSED_ACCESS_ANALYZER: Control = Control {
    id: "access-analyzer-unused",
    title: "IAM Access Analyzer reports roles, users, keys and permissions unused for 90 days (a paid feature, billed per role and user analyzed each month)",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// Days without use after which access is reported as unused.
pub const UNUSED_ACCESS_AGE: i64 = 90;

/// Adds the external-access analyzer (enterprise).
pub fn analyzer(t: &mut Template, tier: Tier) -> Option<Handle<accessanalyzer::Analyzer>> {
    if !ACCESS_ANALYZER.on(tier) {
        return None;
    }
    let h = t.add(
        "AccessAnalyzer",
        accessanalyzer::Analyzer {
            analyzer_name: Some("harden-account-analyzer".into()),
            type_: Some("ACCOUNT".into()),
            ..Default::default()
        },
    );
    t.res(&h).control(&ACCESS_ANALYZER);
    Some(h)
}

/// Adds the unused-access analyzer (enterprise). One per account is enough (IAM is global),
/// and each is billed: the account baseline adds it in the home region only.
pub fn unused_access_analyzer(
    t: &mut Template,
    tier: Tier,
) -> Option<Handle<accessanalyzer::Analyzer>> {
    if !UNUSED_ACCESS_ANALYZER.on(tier) {
        return None;
    }
    let h = t.add(
        "UnusedAccessAnalyzer",
        accessanalyzer::Analyzer {
            analyzer_name: Some("harden-account-unused-access".into()),
            type_: Some("ACCOUNT_UNUSED_ACCESS".into()),
            analyzer_configuration: Some(a::AnalyzerConfiguration {
                unused_access_configuration: Some(a::UnusedAccessConfiguration {
                    unused_access_age: Some(UNUSED_ACCESS_AGE.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    t.res(&h).control(&UNUSED_ACCESS_ANALYZER);
    Some(h)
}
