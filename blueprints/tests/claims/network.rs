//! EC2 and VPC (`ec2-controls.html`).

use super::*;
use harden_blueprints::controls::{account_settings, network_acl, security_group, vpc};

/// EC2.2 (`AWS::EC2::SecurityGroup`, no parameters): fails if a VPC's default security group
/// has any inbound or outbound rule. CloudFormation cannot change the default group, so the
/// template has, for every VPC it makes, a custom resource given that VPC's
/// `DefaultSecurityGroup` whose function revokes every rule of it; here, that each VPC has
/// one, and that the function revokes both directions (no test runs this handler yet).
#[test]
fn every_default_security_group_is_emptied() {
    let all = renders();
    for (what, n) in stacks_recording(&all, &vpc::DEFAULT_SG_CLOSED) {
        let vpcs = of_type(n, "AWS::EC2::VPC");
        assert!(!vpcs.is_empty(), "{what}: no VPC");
        for (vpc_id, _) in vpcs {
            let lockdown = resources(n).into_iter().find(|(_, r)| {
                records(r, &vpc::DEFAULT_SG_CLOSED)
                    && r.get_path(&["Properties", "GroupId", "Fn::GetAtt"])
                        .and_then(Node::as_seq)
                        .is_some_and(|g| {
                            g.first().and_then(Node::as_str) == Some(vpc_id)
                                && g.get(1).and_then(Node::as_str) == Some("DefaultSecurityGroup")
                        })
            });
            let (_, r) =
                lockdown.unwrap_or_else(|| panic!("{what}: {vpc_id}'s default group is left open"));
            let code = code_behind(n, r);
            for call in [
                "revoke_security_group_ingress",
                "revoke_security_group_egress",
            ] {
                assert!(
                    code.contains(call),
                    "{what}: the function never calls {call}"
                );
            }
        }
    }
}

/// EC2.6 (`AWS::EC2::VPC`, parameter `trafficType`, default `REJECT`): fails unless the VPC
/// has a flow log of rejected traffic. Every VPC of a render recording the flow logs control
/// has a flow log of it, of `ALL` traffic (which includes the rejected) or `REJECT`.
#[test]
fn every_vpc_has_a_flow_log_of_rejected_traffic() {
    let all = renders();
    for (what, n) in stacks_recording(&all, &vpc::VPC_FLOW_LOGS) {
        for (vpc_id, _) in of_type(n, "AWS::EC2::VPC") {
            let logged = of_type(n, "AWS::EC2::FlowLog").into_iter().any(|(_, f)| {
                f.get_path(&["Properties", "ResourceId"]).and_then(target) == Some(vpc_id)
                    && is_str(f, &["ResourceType"], "VPC")
                    && every(f, &["TrafficType"], |v| {
                        matches!(v.and_then(Node::as_str), Some("ALL" | "REJECT"))
                    })
            });
            assert!(
                logged,
                "{what}: {vpc_id} has no flow log of rejected traffic"
            );
        }
    }
}

/// EC2.15 (`AWS::EC2::Subnet`, no parameters): fails if the subnet assigns public IP
/// addresses on launch. No subnet of the private network (its public NAT subnets
/// included) does.
#[test]
fn subnets_assign_no_public_address() {
    let all = renders();
    for (what, s, _) in claimed_of(&all, &vpc::PRIVATE_NETWORK, "AWS::EC2::Subnet") {
        assert!(
            every(s, &["MapPublicIpOnLaunch"], |v| matches!(
                v,
                None | Some(Node::Bool(false))
            )),
            "{what}: MapPublicIpOnLaunch"
        );
        assert!(
            every(s, &["AssignIpv6AddressOnCreation"], |v| v
                != Some(&Node::Bool(true))),
            "{what}: AssignIpv6AddressOnCreation"
        );
    }
}

/// Whether a rule's ports (`from` to `to`, either absent or -1 for every port) include 22
/// or 3389.
fn admits_admin_ports(from: Option<i64>, to: Option<i64>) -> bool {
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) if f >= 0 && t >= 0 => (f, t),
        _ => return true,
    };
    [22, 3389].iter().any(|p| (from..=to).contains(p))
}

/// Whether an IP protocol reaches TCP or UDP ports (`tcp`, `udp`, `6`, `17`, or every
/// protocol, `-1`).
fn reaches_ports(protocol: Option<&Node>) -> bool {
    let p = match protocol {
        Some(Node::Int(i)) => i.to_string(),
        Some(Node::Str(s)) => s.to_lowercase(),
        _ => return true,
    };
    matches!(p.as_str(), "-1" | "tcp" | "udp" | "6" | "17" | "all")
}

/// EC2.21 (`AWS::EC2::NetworkAcl`, no parameters): fails if an inbound entry allows
/// `0.0.0.0/0` or `::/0` to port 22 or 3389 (TCP or UDP). No ingress entry of the network
/// ACLs of a render recording the private subnet ACL does. (AWS's check also reads the
/// VPC's default network ACL, which CloudFormation cannot change and which allows
/// everything; the template associates every private subnet with its own ACL instead, and
/// the default ACL is left with no subnet of those.)
#[test]
fn no_network_acl_admits_admin_ports_from_anywhere() {
    let all = renders();
    let mut entries = 0;
    for (what, n) in stacks_recording(&all, &network_acl::PRIVATE_SUBNET_ACL) {
        for (id, e) in of_type(n, "AWS::EC2::NetworkAclEntry") {
            let p = e.get_path(&["Properties"]).expect("properties");
            entries += 1;
            if p.get_path(&["Egress"]) == Some(&Node::Bool(true))
                || p.get_path(&["RuleAction"]).and_then(Node::as_str) != Some("allow")
            {
                continue;
            }
            let anywhere = p.get_path(&["CidrBlock"]).and_then(Node::as_str) == Some("0.0.0.0/0")
                || p.get_path(&["Ipv6CidrBlock"]).and_then(Node::as_str) == Some("::/0");
            let ports = admits_admin_ports(
                int(p.get_path(&["PortRange", "From"])),
                int(p.get_path(&["PortRange", "To"])),
            );
            assert!(
                !(anywhere && ports && reaches_ports(p.get_path(&["Protocol"]))),
                "{what}: {id} admits 22 or 3389 from anywhere"
            );
        }
        for (id, _) in of_type(n, "AWS::EC2::Subnet") {
            if !id.starts_with("Private") {
                continue;
            }
            assert!(
                of_type(n, "AWS::EC2::SubnetNetworkAclAssociation")
                    .iter()
                    .any(
                        |(_, a)| a.get_path(&["Properties", "SubnetId"]).and_then(target)
                            == Some(id)
                    ),
                "{what}: {id} is left on the default network ACL"
            );
        }
    }
    assert!(entries > 0, "no network ACL entry was checked");
}

/// EC2.53 (`AWS::EC2::SecurityGroup`, parameter `ports`, default 22 and 3389): fails if the
/// group allows ingress from `0.0.0.0/0` to those ports. EC2.54: the same from `::/0`. No
/// ingress rule of any security group of a render recording the restricted security groups
/// control (inline or an `AWS::EC2::SecurityGroupIngress`) comes from anywhere to those
/// ports.
#[test]
fn no_security_group_admits_admin_ports_from_anywhere() {
    let all = renders();
    let mut rules = 0;
    for (what, n) in stacks_recording(&all, &security_group::RESTRICTED_SECURITY_GROUP) {
        let mut ingress: Vec<(String, &Node)> = Vec::new();
        for (id, g) in of_type(n, "AWS::EC2::SecurityGroup") {
            for v in vals(g, &["SecurityGroupIngress"]) {
                for r in list(v) {
                    ingress.push((id.to_string(), r));
                }
            }
        }
        for (id, r) in of_type(n, "AWS::EC2::SecurityGroupIngress") {
            ingress.push((
                id.to_string(),
                r.get_path(&["Properties"]).expect("properties"),
            ));
        }
        for (id, r) in ingress {
            rules += 1;
            let v4 = r.get_path(&["CidrIp"]).and_then(Node::as_str) == Some("0.0.0.0/0");
            let v6 = r.get_path(&["CidrIpv6"]).and_then(Node::as_str) == Some("::/0");
            let ports =
                admits_admin_ports(int(r.get_path(&["FromPort"])), int(r.get_path(&["ToPort"])));
            let reaches = reaches_ports(r.get_path(&["IpProtocol"]));
            assert!(
                !(v4 && ports && reaches),
                "{what}: {id} admits 22 or 3389 from 0.0.0.0/0 (EC2.53)"
            );
            assert!(
                !(v6 && ports && reaches),
                "{what}: {id} admits 22 or 3389 from ::/0 (EC2.54)"
            );
        }
    }
    assert!(rules > 0, "no ingress rule was checked");
}

/// EC2.7 (`AWS::::Account`, no parameters): fails unless EBS encryption by default is on in
/// the region. An account setting made by a custom resource whose function turns it on
/// (`account_settings_handlers.rs` runs the handler); here, that the resource is backed by a
/// function that calls `EnableEbsEncryptionByDefault`.
#[test]
fn ebs_encryption_by_default_is_turned_on() {
    let all = renders();
    for (what, r, n) in claimed_of(
        &all,
        &account_settings::EBS_DEFAULT_ENCRYPTION,
        "Custom::EbsEncryptionByDefault",
    ) {
        assert!(
            code_behind(n, r).contains("enable_ebs_encryption_by_default"),
            "{what}: the function does not turn it on"
        );
    }
}
