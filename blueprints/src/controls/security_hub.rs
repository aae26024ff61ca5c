//! AWS Security Hub for the account and region, with consolidated control findings and the
//! two standards harden's controls map to: CIS AWS Foundations Benchmark v3.0.0 and AWS
//! Foundational Security Best Practices v1.0.0.

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

/// The standards enabled: logical id and ARN path after `standards/`.
const STANDARDS: &[(&str, &str)] = &[
    (
        "SecurityHubCisStandard",
        "cis-aws-foundations-benchmark/v/3.0.0",
    ),
    (
        "SecurityHubFsbpStandard",
        "aws-foundational-security-best-practices/v/1.0.0",
    ),
];

/// Adds the hub and its standards.
pub fn hub(t: &mut Template) -> Handle<securityhub::Hub> {
    let hub = t.add(
        "SecurityHub",
        securityhub::Hub {
            enable_default_standards: Some(false.into()),
            control_finding_generator: Some("SECURITY_CONTROL".into()),
            auto_enable_controls: Some(true.into()),
            ..Default::default()
        },
    );
    t.res(&hub).control(SECURITY_HUB.id);
    for (id, path) in STANDARDS {
        let s = t.add(
            *id,
            securityhub::Standard {
                standards_arn: Some(Expr::sub(format!(
                    "arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}::standards/{path}"
                ))),
                ..Default::default()
            },
        );
        t.res(&s).control(SECURITY_HUB.id).depends_on(hub.id());
    }
    hub
}
