//! AWS Security Hub for the account and region, with consolidated control findings and the
//! two standards harden's controls map to: CIS AWS Foundations Benchmark v3.0.0 and AWS
//! Foundational Security Best Practices v1.0.0; at enterprise also PCI DSS v4.0.1 (seed
//! 002's guide lists PCI DSS; v4.0.1 is the version PCI SSC maintains since v3.2.1 retired
//! in March 2024).

use crate::cfn::generated::securityhub;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static SECURITY_HUB: Control = Control {
    id: "security-hub",
    title: "Security Hub enabled with the CIS AWS Foundations v3.0.0 and AWS FSBP v1.0.0 standards",
    tier: Tier::Enhanced,
    cis: &["4.16"],
    security_hub: &[],
};

/// The control for the PCI DSS standard.
pub static SECURITY_HUB_PCI_DSS: Control = Control {
    id: "security-hub-pci-dss",
    title: "Security Hub PCI DSS v4.0.1 standard enabled",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// The standards enabled: logical id, ARN path after `standards/`, and the control that
/// enables it. (`crate::standards::Standard::arn_path` names the same paths.)
pub const STANDARDS: &[(&str, &str, &Control)] = &[
    (
        "SecurityHubCisStandard",
        "cis-aws-foundations-benchmark/v/3.0.0",
        &SECURITY_HUB,
    ),
    (
        "SecurityHubFsbpStandard",
        "aws-foundational-security-best-practices/v/1.0.0",
        &SECURITY_HUB,
    ),
    (
        "SecurityHubPciDssStandard",
        "pci-dss/v/4.0.1",
        &SECURITY_HUB_PCI_DSS,
    ),
];

/// Adds the hub and the standards the tier enables.
pub fn hub(t: &mut Template, tier: Tier) -> Handle<securityhub::Hub> {
    let hub = t.add(
        "SecurityHub",
        securityhub::Hub {
            enable_default_standards: Some(false.into()),
            control_finding_generator: Some("SECURITY_CONTROL".into()),
            auto_enable_controls: Some(true.into()),
            ..Default::default()
        },
    );
    t.res(&hub).control(&SECURITY_HUB);
    for (id, path, control) in STANDARDS.iter().filter(|(_, _, c)| c.on(tier)) {
        let s = t.add(
            *id,
            securityhub::Standard {
                standards_arn: Some(Expr::sub(format!(
                    "arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}::standards/{path}"
                ))),
                ..Default::default()
            },
        );
        t.res(&s).control(control).depends_on(hub.id());
    }
    hub
}
