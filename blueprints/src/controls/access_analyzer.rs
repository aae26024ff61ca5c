//! IAM Access Analyzer for the account and region: it reports resources shared outside the
//! account (buckets, keys, roles, queues...).

use crate::cfn::generated::accessanalyzer;
use crate::cfn::{Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static ACCESS_ANALYZER: Control = Control {
    id: "access-analyzer",
    title: "IAM Access Analyzer reports external access to the account's resources",
    tier: Tier::Enterprise,
    cis: &["1.20"],
    security_hub: &["IAM.28"],
};

/// Adds the analyzer (enterprise).
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
    t.res(&h).control(ACCESS_ANALYZER.id);
    Some(h)
}
