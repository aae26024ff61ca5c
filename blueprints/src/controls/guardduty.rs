//! Amazon GuardDuty threat detection for the account and region, with its protection plans
//! switched on: S3 data events, EKS audit logs, malware scans of EBS volumes, RDS login events,
//! Lambda network activity and runtime monitoring (agents managed by GuardDuty).

use crate::cfn::generated::guardduty::{self, detector as d};
use crate::cfn::{Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static GUARDDUTY: Control = Control {
    id: "guardduty",
    title:
        "GuardDuty detector enabled with its protection plans, findings published every 15 minutes",
    tier: Tier::Enhanced,
    cis: &[],
    // GuardDuty.5 EKS audit logs, .6 Lambda, .7 EKS runtime (add-on managed), .8 malware
    // (EBS), .9 RDS, .10 S3, .11 runtime monitoring, .12 ECS Fargate runtime (agent managed),
    // .13 EC2 runtime (agent managed): each a feature the detector switches on.
    security_hub: &[
        "GuardDuty.1",
        "GuardDuty.5",
        "GuardDuty.6",
        "GuardDuty.7",
        "GuardDuty.8",
        "GuardDuty.9",
        "GuardDuty.10",
        "GuardDuty.11",
        "GuardDuty.12",
        "GuardDuty.13",
    ],
};

/// The protection plans switched on, by their `Features` names (runtime monitoring aside).
pub const FEATURES: &[&str] = &[
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
];

/// The runtime monitoring agents GuardDuty manages.
pub const RUNTIME_AGENTS: &[&str] = &[
    "EKS_ADDON_MANAGEMENT",
    "ECS_FARGATE_AGENT_MANAGEMENT",
    "EC2_AGENT_MANAGEMENT",
];

fn feature(
    name: &str,
    additional: Option<Vec<d::CFNFeatureAdditionalConfiguration>>,
) -> d::CFNFeatureConfiguration {
    d::CFNFeatureConfiguration {
        name: Some(name.into()),
        status: Some("ENABLED".into()),
        additional_configuration: additional,
    }
}

/// Adds the detector.
pub fn detector(t: &mut Template) -> Handle<guardduty::Detector> {
    let mut features: Vec<d::CFNFeatureConfiguration> =
        FEATURES.iter().map(|f| feature(f, None)).collect();
    features.push(feature(
        "RUNTIME_MONITORING",
        Some(
            RUNTIME_AGENTS
                .iter()
                .map(|a| d::CFNFeatureAdditionalConfiguration {
                    name: Some((*a).into()),
                    status: Some("ENABLED".into()),
                })
                .collect(),
        ),
    ));
    let h = t.add(
        "GuardDutyDetector",
        guardduty::Detector {
            enable: Some(true.into()),
            finding_publishing_frequency: Some("FIFTEEN_MINUTES".into()),
            features: Some(features),
            ..Default::default()
        },
    );
    t.res(&h).control(&GUARDDUTY);
    h
}
