//! Amazon Macie for the account and region (seed 001: "consider enabling Amazon Macie to assist
//! in discovery of potentially sensitive data"): an inventory of the region's S3 buckets with
//! policy findings on their security and access (public, unencrypted, shared outside the
//! account), and sensitive data discovery, findings published every 15 minutes. Macie publishes
//! its findings to Security Hub, whose findings the baseline already forwards to the alert
//! topic. Automated sensitive data discovery is read-only in CloudFormation
//! (`AutomatedDiscoveryStatus`): Macie turns it on for accounts that enable it for the first
//! time, and `aws macie2 update-automated-discovery-configuration --status ENABLED` does it for
//! the others.

use crate::cfn::generated::macie;
use crate::cfn::{Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static MACIE: Control = Control {
    id: "macie",
    title: "Amazon Macie enabled: S3 bucket inventory and policy findings, sensitive data discovery, findings published every 15 minutes",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// Adds the Macie session.
pub fn session(t: &mut Template) -> Handle<macie::Session> {
    let h = t.add(
        "MacieSession",
        macie::Session {
            finding_publishing_frequency: Some("FIFTEEN_MINUTES".into()),
            status: Some("ENABLED".into()),
        },
    );
    t.res(&h).control(&MACIE);
    h
}
