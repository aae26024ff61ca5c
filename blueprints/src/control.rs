//! The descriptor every hardening control has: what it is, the tier that switches it on, and
//! the benchmark controls it satisfies. The building blocks themselves live in `controls/`.

use crate::tier::Tier;

/// A hardening control: a building block of hardened resources.
#[derive(Debug, PartialEq, Eq)]
pub struct Control {
    /// Stable id, written into each resource's `Metadata.harden.Controls`.
    pub id: &'static str,
    /// One line on what it does.
    pub title: &'static str,
    /// The lowest tier that switches it on.
    pub tier: Tier,
    /// CIS AWS Foundations Benchmark v3.0.0 recommendation numbers it satisfies.
    pub cis: &'static [&'static str],
    /// AWS Security Hub control ids it satisfies: the consolidated ids Security Hub reports
    /// findings under, whichever standard (FSBP, CIS, NIST) includes the control.
    pub security_hub: &'static [&'static str],
}

impl Control {
    /// Whether the tier switches this control on.
    pub fn on(&self, tier: Tier) -> bool {
        tier >= self.tier
    }
}
