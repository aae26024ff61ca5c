//! Rules for networks: security groups, VPCs, endpoints.

use super::{Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity};
use crate::cfn::Node;
use crate::tier::Tier;

/// The ingress rules of a security group or a standalone ingress, with their paths.
pub fn ingress_rules<'t>(res: &Res<'t>) -> Vec<(Vec<String>, &'t Node)> {
    match res.ty {
        "AWS::EC2::SecurityGroupIngress" => res
            .props()
            .map(|p| vec![(vec!["Properties".to_string()], p)])
            .unwrap_or_default(),
        "AWS::EC2::SecurityGroup" => res
            .prop(&["SecurityGroupIngress"])
            .into_iter()
            .filter_map(|a| Some((a.path, a.node?.as_seq()?)))
            .flat_map(|(path, items)| {
                items.iter().enumerate().map(move |(i, item)| {
                    let mut p = path.clone();
                    p.push(i.to_string());
                    (p, item)
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether an ingress rule admits any address.
pub fn from_anywhere(ctx: &Ctx, rule: &Node) -> bool {
    ["CidrIp", "CidrIpv6"].iter().any(|k| {
        matches!(
            ctx.text(rule.get_path(&[k])).as_deref(),
            Some("0.0.0.0/0" | "::/0")
        )
    })
}

fn no_open_ingress(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if res
        .node
        .get_path(&["Metadata", "harden", "OpenIngress"])
        .is_some()
    {
        return Vec::new();
    }
    ingress_rules(res)
        .into_iter()
        .filter(|(_, rule)| from_anywhere(ctx, rule))
        .map(|(path, _)| Hit {
            path,
            message: "ingress from anywhere needs a reason in `Metadata.harden.OpenIngress`".into(),
        })
        .collect()
}

/// No ingress from anywhere without a written reason.
pub static NO_OPEN_INGRESS: Rule = Rule {
    id: "no-open-ingress",
    title: "No ingress from anywhere without a written reason",
    severity: Severity::High,
    rationale: "A security group open to 0.0.0.0/0 or ::/0 admits the whole internet to whatever listens; only a public entry point (a load balancer, a NAT's purpose) needs it.",
    remediation: "Admit the security groups or CIDR ranges that need access; where a public entry point needs the internet, say why in `Metadata.harden.OpenIngress`.",
    resource_types: &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
    tier: Tier::Basic,
    control: None,
    cis: &["5.2", "5.3"],
    security_hub: &["EC2.18", "EC2.19", "EC2.53", "EC2.54"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.3.1", "1.4.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260"],
        cfn_lint: &[],
        cfn_nag: &["W2", "W9"],
        cdk_nag: &["AwsSolutions-EC23"],
        guard: &["INCOMING_SSH_DISABLED", "RESTRICTED_INCOMING_TRAFFIC", "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS"],
    },
    check: no_open_ingress,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[&NO_OPEN_INGRESS];
