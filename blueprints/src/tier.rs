//! Security tiers: `basic < enhanced < enterprise`, cumulative.

use std::fmt;
use std::str::FromStr;

/// A security tier. Tiers are cumulative: a higher tier keeps every control of a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Encryption, least privilege, private networking, monitoring.
    Basic,
    /// Basic, plus flow logs, access logging, WAF on public entry points (custom blueprints),
    /// termination protection, and the account baseline (CloudTrail, GuardDuty, Security Hub).
    Enhanced,
    /// Enhanced, plus retained stateful resources, stack policies, AWS Config, Access Analyzer,
    /// the password policy and the CIS alarms.
    Enterprise,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 3] = [Tier::Basic, Tier::Enhanced, Tier::Enterprise];

    /// The name users type.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Basic => "basic",
            Tier::Enhanced => "enhanced",
            Tier::Enterprise => "enterprise",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tier name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier `{0}`\nhint: the tiers are `basic`, `enhanced` and `enterprise`")]
pub struct UnknownTier(pub String);

impl FromStr for Tier {
    type Err = UnknownTier;

    fn from_str(s: &str) -> Result<Tier, UnknownTier> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTier(s.to_string()))
    }
}
