//! Rules for networks: security groups, VPCs, endpoints.

use super::ctx::strings;
use super::{alts, get, Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity};
use crate::cfn::Node;
use crate::controls;
use crate::tier::Tier;

/// The rules of a security group's list property (`SecurityGroupIngress`,
/// `SecurityGroupEgress`), each alternative of each item (`Fn::If` in the list), with their
/// paths from the resource node.
fn rule_list<'t>(res: &Res<'t>, prop: &str) -> Vec<(Vec<String>, &'t Node)> {
    let mut out = Vec::new();
    for a in res.prop(&[prop]) {
        let Some(items) = a.node.and_then(Node::as_seq) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            for alt in alts(item) {
                let Some(node) = alt.node else { continue };
                let mut p = a.path.clone();
                p.push(i.to_string());
                p.extend(alt.path);
                out.push((p, node));
            }
        }
    }
    out
}

/// The rule of a standalone `AWS::EC2::SecurityGroupIngress` or `Egress`: its properties.
fn standalone<'t>(res: &Res<'t>) -> Vec<(Vec<String>, &'t Node)> {
    res.props()
        .map(|p| vec![(vec!["Properties".to_string()], p)])
        .unwrap_or_default()
}

/// The ingress rules of a security group or a standalone ingress, with their paths.
pub fn ingress_rules<'t>(res: &Res<'t>) -> Vec<(Vec<String>, &'t Node)> {
    match res.ty {
        "AWS::EC2::SecurityGroupIngress" => standalone(res),
        "AWS::EC2::SecurityGroup" => rule_list(res, "SecurityGroupIngress"),
        _ => Vec::new(),
    }
}

/// The egress rules of a security group or a standalone egress, with their paths.
pub fn egress_rules<'t>(res: &Res<'t>) -> Vec<(Vec<String>, &'t Node)> {
    match res.ty {
        "AWS::EC2::SecurityGroupEgress" => standalone(res),
        "AWS::EC2::SecurityGroup" => rule_list(res, "SecurityGroupEgress"),
        _ => Vec::new(),
    }
}

/// Whether an ingress (or egress) rule admits any address (reaches any, for egress).
pub fn from_anywhere(ctx: &Ctx, rule: &Node) -> bool {
    ["CidrIp", "CidrIpv6"].iter().any(|k| {
        matches!(
            ctx.text(rule.get_path(&[k])).as_deref(),
            Some("0.0.0.0/0" | "::/0" | "0000:0000:0000:0000:0000:0000:0000:0000/0")
        )
    })
}

/// Whether a rule is for every protocol (`-1`), and so every port.
fn all_protocols(ctx: &Ctx, rule: &Node) -> bool {
    matches!(
        ctx.text(rule.get_path(&["IpProtocol"])).as_deref(),
        Some("-1" | "all")
    )
}

/// Whether a rule's port range includes `port`: every protocol does; otherwise `FromPort` ≤
/// `port` ≤ `ToPort`, as checkov reads them (whatever the protocol). Unknown ports do not.
fn covers_port(ctx: &Ctx, rule: &Node, port: i64) -> bool {
    if all_protocols(ctx, rule) {
        return true;
    }
    match (
        ctx.int(rule.get_path(&["FromPort"])),
        ctx.int(rule.get_path(&["ToPort"])),
    ) {
        (Some(from), Some(to)) => from <= port && port <= to,
        _ => false,
    }
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
    cis: &[],
    security_hub: &["EC2.18", "EC2.19"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.3.1", "1.4.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        // checkov's open-ingress checks are per port and fire apart: they belong to the
        // port rules below, so an exception of this rule renders no checkov skip.
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["W2"],
        cdk_nag: &["AwsSolutions-EC23"],
        guard: &["EC2_SECURITY_GROUP_INGRESS_OPEN_TO_WORLD_RULE"],
    },
    check: no_open_ingress,
};

fn open_port(ctx: &Ctx, res: &Res, port: i64, what: &str) -> Vec<Hit> {
    ingress_rules(res)
        .into_iter()
        .filter(|(_, rule)| from_anywhere(ctx, rule) && covers_port(ctx, rule, port))
        .map(|(path, _)| Hit {
            path,
            message: format!("{what} (port {port}) is open to any address"),
        })
        .collect()
}

fn open_ssh(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    open_port(ctx, res, 22, "SSH")
}

fn open_rdp(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    open_port(ctx, res, 3389, "RDP")
}

fn open_http(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    open_port(ctx, res, 80, "HTTP")
}

const INGRESS_TYPES: &[&str] = &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"];

/// No SSH from anywhere.
pub static EC2_SG_OPEN_SSH: Rule = Rule {
    id: "ec2-sg-open-ssh",
    title: "No SSH (port 22) from anywhere",
    severity: Severity::Critical,
    rationale: "SSH open to 0.0.0.0/0 or ::/0 is scanned and brute-forced within minutes of launch; a rule for every protocol, or a port range that includes 22, opens it too.",
    remediation: "Reach instances through SSM Session Manager, or admit SSH from a named CIDR range or security group; narrow port ranges that include 22.",
    resource_types: INGRESS_TYPES,
    tier: Tier::Basic,
    control: None,
    cis: &["5.2", "5.3"],
    security_hub: &["EC2.13", "EC2.53", "EC2.54"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4", "AC-17"],
        pci: &["1.3.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_24"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["INCOMING_SSH_DISABLED"],
    },
    check: open_ssh,
};

/// No RDP from anywhere.
pub static EC2_SG_OPEN_RDP: Rule = Rule {
    id: "ec2-sg-open-rdp",
    title: "No RDP (port 3389) from anywhere",
    severity: Severity::Critical,
    rationale: "RDP open to 0.0.0.0/0 or ::/0 is a favourite way in for ransomware; a rule for every protocol, or a port range that includes 3389, opens it too.",
    remediation: "Reach instances through SSM Session Manager or Fleet Manager, or admit RDP from a named CIDR range or security group; narrow port ranges that include 3389.",
    resource_types: INGRESS_TYPES,
    tier: Tier::Basic,
    control: None,
    cis: &["5.2", "5.3"],
    security_hub: &["EC2.14", "EC2.53", "EC2.54"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4", "AC-17"],
        pci: &["1.3.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_25"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: open_rdp,
};

/// No plain HTTP from anywhere.
pub static EC2_SG_OPEN_HTTP: Rule = Rule {
    id: "ec2-sg-open-http",
    title: "No plain HTTP (port 80) from anywhere",
    severity: Severity::Medium,
    rationale: "Port 80 open to the internet serves traffic without TLS, readable and changeable on the way; only a load balancer that redirects to HTTPS needs it.",
    remediation: "Serve HTTPS on 443; where a load balancer only redirects port 80 to HTTPS, suppress this rule on its security group with that reason.",
    resource_types: INGRESS_TYPES,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-7", "SC-8"],
        pci: &["1.3.1", "4.2.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_260"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: open_http,
};

fn sg_rule_description(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if res.props().is_none() {
        // No rules to describe, but no `GroupDescription` either: checkov fails it too.
        return vec![Hit::at(&["Properties"], "the resource has no properties")];
    }
    let mut rules = ingress_rules(res);
    rules.extend(egress_rules(res));
    rules
        .into_iter()
        .filter(|(_, rule)| {
            get(rule, &["Description"])
                .iter()
                .any(|a| ctx.is_missing(a.node))
        })
        .map(|(mut path, _)| {
            path.push("Description".into());
            Hit {
                path,
                message: "the rule has no `Description`: say what it admits and why".into(),
            }
        })
        .collect()
}

/// Every security group rule says why it exists.
pub static EC2_SG_RULE_DESCRIPTION: Rule = Rule {
    id: "ec2-sg-rule-description",
    title: "Every security group rule has a description",
    severity: Severity::Low,
    rationale: "A rule without a description cannot be reviewed: nobody can tell whether the peer or port it admits is still needed.",
    remediation: "Give every entry of `SecurityGroupIngress` / `SecurityGroupEgress`, and every `AWS::EC2::SecurityGroupIngress` / `Egress`, a `Description` naming what it admits and why.",
    resource_types: &[
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
    ],
    tier: Tier::Basic,
    control: Some(&controls::security_group::RESTRICTED_SECURITY_GROUP),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["CM-6"],
        pci: &["1.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_23"],
        cfn_lint: &[],
        cfn_nag: &["W36"],
        cdk_nag: &[],
        guard: &["SECURITY_GROUP_DESCRIPTION_RULE"],
    },
    check: sg_rule_description,
};

fn sg_open_egress(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    if res.ty == "AWS::EC2::SecurityGroup" {
        out.extend(res.lacks(&["SecurityGroupEgress"]).map(|a| Hit {
            path: a.path,
            message: "no `SecurityGroupEgress`: AWS adds its default rule, every protocol to any address".into(),
        }));
    }
    out.extend(
        egress_rules(res)
            .into_iter()
            .filter(|(_, rule)| all_protocols(ctx, rule) && from_anywhere(ctx, rule))
            .map(|(path, _)| Hit {
                path,
                message: "egress on every protocol to any address".into(),
            }),
    );
    out
}

/// No egress everywhere on every protocol.
pub static EC2_SG_OPEN_EGRESS: Rule = Rule {
    id: "ec2-sg-open-egress",
    title: "Security groups do not allow every protocol to any address out",
    severity: Severity::Low,
    rationale: "AWS's default egress rule (every protocol to 0.0.0.0/0 and ::/0) lets a compromised workload reach any host: a command-and-control server, another account's bucket, a DNS tunnel.",
    remediation: "Write `SecurityGroupEgress` with the ports and peers the workload calls (a VPC endpoint's security group, a prefix list); a group that calls nothing gets one rule that matches nothing (loopback), which replaces AWS's default.",
    resource_types: &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress"],
    tier: Tier::Basic,
    control: Some(&controls::security_group::RESTRICTED_SECURITY_GROUP),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.3.2"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["F1000", "W5", "W40"],
        cdk_nag: &[],
        guard: &["SECURITY_GROUP_MISSING_EGRESS_RULE", "EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE", "SECURITY_GROUP_EGRESS_ALL_PROTOCOLS_RULE"],
    },
    check: sg_open_egress,
};

fn vpc_flow_logs(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if ctx
        .referrers("AWS::EC2::FlowLog", &["ResourceId"], res.id)
        .next()
        .is_some()
    {
        return Vec::new();
    }
    vec![Hit::at(
        &["Type"],
        "no `AWS::EC2::FlowLog` of this template names the VPC in its `ResourceId`",
    )]
}

/// Every VPC has flow logs.
pub static VPC_FLOW_LOGS: Rule = Rule {
    id: "vpc-flow-logs",
    title: "Every VPC has flow logs",
    severity: Severity::Medium,
    rationale: "Without flow logs there is no record of which addresses talked to which: an intrusion or an exfiltration cannot be traced.",
    remediation: "Add an `AWS::EC2::FlowLog` with `ResourceType: VPC`, `ResourceId: !Ref TheVpc`, `TrafficType: ALL`, delivering to an encrypted log group or bucket.",
    resource_types: &["AWS::EC2::VPC"],
    tier: Tier::Enhanced,
    control: Some(&controls::vpc::VPC_FLOW_LOGS),
    cis: &["3.7"],
    security_hub: &["EC2.6"],
    frameworks: Frameworks {
        nist: &["AU-12", "SI-4"],
        pci: &["10.2.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["W60"],
        cdk_nag: &["AwsSolutions-VPC7"],
        guard: &[],
    },
    check: vpc_flow_logs,
};

fn subnet_public_ip(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    res.prop(&["MapPublicIpOnLaunch"])
        .into_iter()
        .filter(|a| ctx.bool(a.node) == Some(true))
        .map(|a| Hit {
            path: a.path,
            message: "instances launched here get a public IP address".into(),
        })
        .collect()
}

/// Subnets do not give public IPs on launch.
pub static EC2_SUBNET_PUBLIC_IP: Rule = Rule {
    id: "ec2-subnet-public-ip",
    title: "Subnets do not assign public IP addresses on launch",
    severity: Severity::Medium,
    rationale: "Every instance or interface launched in the subnet becomes reachable from the internet wherever its security group allows, whether or not it was meant to be.",
    remediation: "Set `MapPublicIpOnLaunch: false` (or leave it out); give a public IP or Elastic IP only to what must be public, such as a NAT gateway.",
    resource_types: &["AWS::EC2::Subnet"],
    tier: Tier::Basic,
    control: Some(&controls::vpc::PRIVATE_NETWORK),
    cis: &[],
    security_hub: &["EC2.15"],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.4.4"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["W33"],
        cdk_nag: &[],
        guard: &["SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED"],
    },
    check: subnet_public_ip,
};

/// The condition keys that bound an endpoint policy's statement to this account's
/// principals or resources (the identity and resource perimeters of AWS's data-perimeter
/// guidance).
const PERIMETER_KEYS: [&str; 5] = [
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalArn",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
];

fn vpc_endpoint_policy(_: &Ctx, res: &Res) -> Vec<Hit> {
    if let Some(a) = res.lacks(&["PolicyDocument"]) {
        return vec![Hit {
            path: a.path,
            message: "no `PolicyDocument`: the endpoint allows every action on every resource of the service, other accounts' included".into(),
        }];
    }
    // A policy that allows any principal on every resource, with no perimeter condition, is
    // the default policy written out.
    let mut out = Vec::new();
    for st in super::iam::statements(res).iter().filter(|s| s.allows()) {
        let anyone = st.any_principal();
        let everything = strings(st.node.get_path(&["Resource"])).contains(&"*");
        let bounded = st.conditioned(&PERIMETER_KEYS, super::iam::no_wildcard);
        if anyone && everything && !bounded {
            let mut path = st.path.clone();
            path.push("Principal".into());
            out.push(Hit {
                path,
                message: "the endpoint allows any principal on every resource: bound it with `aws:PrincipalAccount` or `aws:ResourceAccount`".into(),
            });
        }
    }
    out
}

/// VPC endpoints have their own policy.
pub static VPC_ENDPOINT_POLICY: Rule = Rule {
    id: "vpc-endpoint-policy",
    title: "VPC endpoints have a policy limiting what they reach",
    severity: Severity::Low,
    rationale: "An endpoint's default policy allows full access: code in the VPC can use another account's credentials to copy data to that account's bucket or queue through it, which the endpoint was meant to keep private.",
    remediation: "Give the endpoint a `PolicyDocument` whose statements are bounded to this account: its principals (`aws:PrincipalAccount`), its resources (`aws:ResourceAccount`), or named resource ARNs.",
    resource_types: &["AWS::EC2::VPCEndpoint"],
    tier: Tier::Enterprise,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-4", "SC-7"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: vpc_endpoint_policy,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &NO_OPEN_INGRESS,
    &EC2_SG_OPEN_SSH,
    &EC2_SG_OPEN_RDP,
    &EC2_SG_OPEN_HTTP,
    &EC2_SG_RULE_DESCRIPTION,
    &EC2_SG_OPEN_EGRESS,
    &VPC_FLOW_LOGS,
    &EC2_SUBNET_PUBLIC_IP,
    &VPC_ENDPOINT_POLICY,
];

/// A test kit the rule modules share: a rule run over a YAML template.
#[cfg(test)]
pub(crate) mod testing {
    use super::super::{Ctx, Rule};
    use crate::cfn::parse::parse_template;

    /// `Resource@Path.To.Hit` for every hit of `rule` on the template (whatever the tier).
    pub fn fired(rule: &Rule, template: &str) -> Vec<String> {
        let t = parse_template(template).expect("the test template parses");
        let ctx = Ctx::new(&t);
        let mut out = Vec::new();
        for r in ctx.resources() {
            if rule.resource_types.is_empty() || rule.resource_types.contains(&r.ty) {
                for hit in (rule.check)(&ctx, r) {
                    out.push(format!("{}@{}", r.id, hit.path.join(".")));
                }
            }
        }
        out
    }

    /// The resource ids `rule` fires on.
    pub fn ids(rule: &Rule, template: &str) -> Vec<String> {
        let mut v: Vec<String> = fired(rule, template)
            .into_iter()
            .map(|h| h.split('@').next().unwrap_or_default().to_string())
            .collect();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{fired, ids};
    use super::*;

    const PARAMS: &str = "Parameters:\n  Open: {Type: String, Default: 0.0.0.0/0}\n  Cidr: {Type: String}\n  Port: {Type: Number, Default: 22}\nConditions:\n  C: {Condition: x}\n";

    fn sg(ingress: &str) -> String {
        format!(
            "{PARAMS}Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n{ingress}"
        )
    }

    #[test]
    fn port_rules_follow_checkovs_ranges_and_every_protocol() {
        let weak = sg("        - {IpProtocol: tcp, FromPort: 0, ToPort: 1024, CidrIp: 0.0.0.0/0, Description: d}\n");
        assert_eq!(ids(&EC2_SG_OPEN_SSH, &weak), ["G"]);
        assert_eq!(ids(&EC2_SG_OPEN_HTTP, &weak), ["G"]);
        assert!(ids(&EC2_SG_OPEN_RDP, &weak).is_empty());
        let all = sg("        - {IpProtocol: '-1', CidrIpv6: '::/0', Description: d}\n");
        for r in [&EC2_SG_OPEN_SSH, &EC2_SG_OPEN_RDP, &EC2_SG_OPEN_HTTP] {
            assert_eq!(ids(r, &all), ["G"], "{}", r.id);
        }
        let web = sg("        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0, Description: d}\n");
        for r in [&EC2_SG_OPEN_SSH, &EC2_SG_OPEN_RDP, &EC2_SG_OPEN_HTTP] {
            assert!(ids(r, &web).is_empty(), "{}", r.id);
        }
        let private = sg("        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8, Description: d}\n");
        assert!(ids(&EC2_SG_OPEN_SSH, &private).is_empty());
    }

    #[test]
    fn port_rules_read_conditions_parameters_and_standalone_ingress() {
        let branch = sg("        - Fn::If: [C, {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0, Description: d}, {Ref: AWS::NoValue}]\n");
        assert_eq!(
            fired(&EC2_SG_OPEN_RDP, &branch),
            ["G@Properties.SecurityGroupIngress.0.Fn::If.1"]
        );
        let other = sg("        - Fn::If: [C, {Ref: AWS::NoValue}, {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0, Description: d}]\n");
        assert_eq!(
            fired(&EC2_SG_OPEN_RDP, &other),
            ["G@Properties.SecurityGroupIngress.0.Fn::If.2"]
        );
        let known = sg("        - {IpProtocol: tcp, FromPort: {Ref: Port}, ToPort: {Ref: Port}, CidrIp: {Ref: Open}, Description: d}\n");
        assert_eq!(ids(&EC2_SG_OPEN_SSH, &known), ["G"]);
        let unknown = sg("        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: {Ref: Cidr}, Description: d}\n");
        assert!(ids(&EC2_SG_OPEN_SSH, &unknown).is_empty());
        let standalone = format!("{PARAMS}Resources:\n  G: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g}}}}\n  I:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties: {{GroupId: {{Ref: G}}, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}\n");
        assert_eq!(ids(&EC2_SG_OPEN_SSH, &standalone), ["I"]);
        assert_eq!(ids(&NO_OPEN_INGRESS, &standalone), ["I"]);
        assert!(NO_OPEN_INGRESS.equivalents.checkov.is_empty());
    }

    #[test]
    fn every_rule_ingress_or_egress_needs_a_description() {
        let t = format!("{PARAMS}Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8, Description: web}}\n        - Fn::If: [C, {{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 10.0.0.0/8}}, {{Ref: AWS::NoValue}}]\n      SecurityGroupEgress:\n        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8, Description: ''}}\n  E:\n    Type: AWS::EC2::SecurityGroupEgress\n    Properties: {{GroupId: {{Ref: G}}, IpProtocol: tcp, FromPort: 443, ToPort: 443, DestinationSecurityGroupId: {{Ref: G}}}}\n  F:\n    Type: AWS::EC2::SecurityGroupEgress\n    Properties: {{GroupId: {{Ref: G}}, IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8, Description: {{Ref: Cidr}}}}\n");
        assert_eq!(
            fired(&EC2_SG_RULE_DESCRIPTION, &t),
            [
                "G@Properties.SecurityGroupIngress.1.Fn::If.1.Description",
                "G@Properties.SecurityGroupEgress.0.Description",
                "E@Properties.Description",
            ]
        );
        assert_eq!(
            fired(
                &EC2_SG_RULE_DESCRIPTION,
                "Resources:\n  Empty: {Type: AWS::EC2::SecurityGroupIngress}\n"
            ),
            ["Empty@Properties"]
        );
    }

    #[test]
    fn default_or_written_egress_to_anywhere_on_every_protocol_is_found() {
        let t = format!("{PARAMS}Resources:\n  Default: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g}}}}\n  Cond:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupEgress: {{Fn::If: [C, [{{IpProtocol: '-1', CidrIp: {{Ref: Open}}, Description: all}}], {{Ref: AWS::NoValue}}]}}\n  Tight:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupEgress: [{{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0, Description: https}}]\n  Unknown:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupEgress: [{{IpProtocol: '-1', CidrIp: {{Ref: Cidr}}, Description: all}}]\n");
        assert_eq!(
            fired(&EC2_SG_OPEN_EGRESS, &t),
            [
                "Default@Properties.SecurityGroupEgress",
                "Cond@Properties.SecurityGroupEgress.Fn::If.2",
                "Cond@Properties.SecurityGroupEgress.Fn::If.1.0",
            ]
        );
    }

    #[test]
    fn a_vpc_needs_a_flow_log_naming_it() {
        let t = format!("{PARAMS}Resources:\n  Logged: {{Type: AWS::EC2::VPC, Properties: {{CidrBlock: 10.0.0.0/16}}}}\n  Bare: {{Type: AWS::EC2::VPC, Properties: {{CidrBlock: 10.1.0.0/16}}}}\n  Log:\n    Type: AWS::EC2::FlowLog\n    Properties: {{ResourceType: VPC, ResourceId: {{Fn::If: [C, {{Ref: Logged}}, {{Ref: Logged}}]}}, TrafficType: ALL}}\n  Other:\n    Type: AWS::EC2::FlowLog\n    Properties: {{ResourceType: VPC, ResourceId: {{Ref: Cidr}}, TrafficType: ALL}}\n");
        assert_eq!(ids(&VPC_FLOW_LOGS, &t), ["Bare"]);
        assert_eq!(VPC_FLOW_LOGS.tier, Tier::Enhanced);
    }

    #[test]
    fn subnets_mapping_public_ips_are_found_through_conditions_and_parameters() {
        let t = "Parameters:\n  On: {Type: String, Default: 'true'}\n  Maybe: {Type: String}\nResources:\n  A: {Type: AWS::EC2::Subnet, Properties: {MapPublicIpOnLaunch: true}}\n  B: {Type: AWS::EC2::Subnet, Properties: {MapPublicIpOnLaunch: {Fn::If: [C, false, true]}}}\n  C: {Type: AWS::EC2::Subnet, Properties: {MapPublicIpOnLaunch: {Ref: On}}}\n  D: {Type: AWS::EC2::Subnet, Properties: {MapPublicIpOnLaunch: {Ref: Maybe}}}\n  E: {Type: AWS::EC2::Subnet, Properties: {CidrBlock: 10.0.0.0/24}}\n";
        assert_eq!(
            fired(&EC2_SUBNET_PUBLIC_IP, t),
            [
                "A@Properties.MapPublicIpOnLaunch",
                "B@Properties.MapPublicIpOnLaunch.Fn::If.2",
                "C@Properties.MapPublicIpOnLaunch"
            ]
        );
    }

    #[test]
    fn endpoints_without_a_policy_are_found() {
        let t = format!("{PARAMS}Resources:\n  Open: {{Type: AWS::EC2::VPCEndpoint, Properties: {{ServiceName: s3, VpcId: v}}}}\n  Cond: {{Type: AWS::EC2::VPCEndpoint, Properties: {{ServiceName: s3, VpcId: v, PolicyDocument: {{Fn::If: [C, {{Statement: []}}, {{Ref: AWS::NoValue}}]}}}}}}\n  Tight: {{Type: AWS::EC2::VPCEndpoint, Properties: {{ServiceName: s3, VpcId: v, PolicyDocument: {{Statement: []}}}}}}\n");
        assert_eq!(ids(&VPC_ENDPOINT_POLICY, &t), ["Open", "Cond"]);
    }

    #[test]
    fn endpoint_policies_open_to_anyone_everywhere_are_found() {
        let st = |p: &str, r: &str, c: &str| {
            format!("{{Effect: Allow, Principal: {p}, Action: '*', Resource: {r}{c}}}")
        };
        let ep = |id: &str, s: String| {
            format!("  {id}: {{Type: AWS::EC2::VPCEndpoint, Properties: {{ServiceName: s3, VpcId: v, PolicyDocument: {{Statement: [{s}]}}}}}}\n")
        };
        let t = [
            ep("Star", st("'*'", "'*'", "")),
            ep("AwsStar", st("{AWS: '*'}", "'*'", "")),
            ep(
                "AnyAccount",
                st(
                    "'*'",
                    "'*'",
                    ", Condition: {StringLike: {aws:PrincipalAccount: '*'}}",
                ),
            ),
            ep(
                "Account",
                st(
                    "'*'",
                    "'*'",
                    ", Condition: {StringEquals: {aws:PrincipalAccount: '111122223333'}}",
                ),
            ),
            ep(
                "Resources",
                st(
                    "'*'",
                    "'*'",
                    ", Condition: {StringEquals: {aws:ResourceAccount: {Ref: AWS::AccountId}}}",
                ),
            ),
            ep(
                "NotAccount",
                st(
                    "'*'",
                    "'*'",
                    ", Condition: {StringNotEquals: {aws:PrincipalAccount: '111122223333'}}",
                ),
            ),
            ep("Named", st("'*'", "'arn:aws:s3:::b/*'", "")),
            ep(
                "Root",
                st("{AWS: 'arn:aws:iam::111122223333:root'}", "'*'", ""),
            ),
        ]
        .concat();
        let t = format!("{PARAMS}Resources:\n{t}");
        assert_eq!(
            ids(&VPC_ENDPOINT_POLICY, &t),
            ["Star", "AwsStar", "AnyAccount", "NotAccount"]
        );
    }
}
