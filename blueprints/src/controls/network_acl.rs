//! A network ACL on the private subnets of a VPC harden creates: a second, stateless layer
//! under the security groups, as seed 000 asks ("network ACLs as an additional layer of
//! security"). It admits only what the workloads of a private, endpoint-only VPC exchange:
//! HTTPS between the subnets' hosts and the interface endpoints (inside the VPC's block),
//! HTTPS out to S3 through its gateway endpoint and the answers back, and nothing else (the
//! default rule, `*`, denies the rest in both directions).
//!
//! S3's gateway endpoint carries traffic to S3's public addresses, which a network ACL cannot
//! name (it takes CIDRs, not prefix lists): HTTPS out goes to `0.0.0.0/0` on 443, and the
//! answers come back on the Linux ephemeral range (32768-65535) from anywhere; the security
//! groups still limit both to S3's prefix list. The subnets have no route to the internet, so
//! `0.0.0.0/0` reaches only what the route tables route: the gateway endpoint. Traffic with the
//! Amazon DNS server, the instance metadata service and the time service is never filtered by
//! a network ACL.
//!
//! From enhanced, with the VPC's other defence-in-depth controls (flow logs, the closed default
//! security group): at basic the security groups already admit only HTTPS to the endpoints and
//! S3. A VPC brought along keeps its own network ACLs: associating one with a subnet of another
//! owner's VPC would replace theirs, so there the control is waived (`--waive
//! private-subnet-acl=REASON`), as the default security group's is.

use crate::cfn::generated::ec2::{self, network_acl_entry as e};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::vpc::Network;
use crate::params::Cidr;
use crate::tier::Tier;

/// The control.
pub static PRIVATE_SUBNET_ACL: Control = Control {
    id: "private-subnet-acl",
    title: "network ACL on the private subnets: HTTPS inside the VPC and to S3's gateway endpoint, their answers, nothing else",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["EC2.21"],
};

/// The Linux ephemeral port range's low end rounded to a power of two (Linux uses 32768-60999):
/// the ports answers from S3 come back to.
pub const EPHEMERAL_FROM: i64 = 32768;

/// Why a rule names `0.0.0.0/0`.
pub const ANYWHERE_REASON: &str = "S3's gateway endpoint carries traffic to S3's public addresses, which a network ACL cannot name by prefix list; the subnets route nothing else outside the VPC, and the security groups limit it to S3's prefix list";

/// One entry: `(rule number, egress, cidr, from port, to port)`.
type Entry = (i64, bool, Expr, i64, i64);

/// The entries of the private subnets' ACL for a VPC block.
fn entries(vpc: &str) -> Vec<(&'static str, Entry, &'static str)> {
    let anywhere = || Expr::str("0.0.0.0/0");
    let inside = || Expr::str(vpc);
    vec![
        (
            "InHttpsFromVpc",
            (100, false, inside(), 443, 443),
            "HTTPS from the VPC to the interface endpoints in these subnets",
        ),
        (
            "InAnswersFromVpc",
            (110, false, inside(), 1024, 65535),
            "answers from the interface endpoints to the subnets' hosts",
        ),
        (
            "InAnswersFromS3",
            (120, false, anywhere(), EPHEMERAL_FROM, 65535),
            "answers from S3 through its gateway endpoint",
        ),
        (
            "OutHttps",
            (100, true, anywhere(), 443, 443),
            "HTTPS to the interface endpoints and to S3 through its gateway endpoint",
        ),
        (
            "OutAnswersToVpc",
            (110, true, inside(), 1024, 65535),
            "answers from the interface endpoints to the VPC's hosts",
        ),
    ]
}

/// One `allow` entry of a network ACL.
pub struct AclEntry {
    /// The rule number.
    pub number: i64,
    /// Outbound (`true`) or inbound.
    pub egress: bool,
    /// The block it allows.
    pub cidr: Expr,
    /// TCP on these ports, or every protocol with `None`.
    pub ports: Option<(i64, i64)>,
}

/// Adds an `allow` entry to `acl`, recorded under `control`.
pub fn allow_entry(
    t: &mut Template,
    acl: &Handle<ec2::NetworkAcl>,
    id: String,
    entry: AclEntry,
    control: &'static Control,
) -> Handle<ec2::NetworkAclEntry> {
    let AclEntry {
        number,
        egress,
        cidr,
        ports,
    } = entry;
    let h = t.add(
        id,
        ec2::NetworkAclEntry {
            network_acl_id: Some(acl.r#ref()),
            rule_number: Some(number.into()),
            egress: Some(egress.into()),
            // 6: TCP; -1: every protocol.
            protocol: Some(if ports.is_some() { 6 } else { -1 }.into()),
            rule_action: Some("allow".into()),
            cidr_block: Some(cidr),
            port_range: ports.map(|(from, to)| e::PortRange {
                from: Some(from.into()),
                to: Some(to.into()),
            }),
            ..Default::default()
        },
    );
    t.res(&h).control(control);
    h
}

/// Adds, from enhanced, the ACL, its entries and its associations with the private subnets of
/// a VPC harden creates (`vpc` its block); `None` below enhanced and for a VPC brought along,
/// whose ACLs are its owner's.
/// `clients` are blocks outside the VPC that call an interface endpoint in the subnets (a
/// private API's `execute-api` endpoint) over HTTPS, and get their answers back.
pub fn private_subnet_acl(
    t: &mut Template,
    tier: Tier,
    net: &Network,
    vpc: Cidr,
    clients: &[Cidr],
) -> Option<Handle<ec2::NetworkAcl>> {
    if !PRIVATE_SUBNET_ACL.on(tier) {
        return None;
    }
    net.own_vpc()?;
    let acl = t.add(
        "PrivateNetworkAcl",
        ec2::NetworkAcl {
            vpc_id: Some(net.vpc_id()),
            ..Default::default()
        },
    );
    t.res(&acl).control(&PRIVATE_SUBNET_ACL);
    for (id, (number, egress, cidr, from, to), why) in entries(&vpc.to_string()) {
        let anywhere = cidr == Expr::str("0.0.0.0/0");
        let h = allow_entry(
            t,
            &acl,
            format!("PrivateNetworkAcl{id}"),
            AclEntry {
                number,
                egress,
                cidr,
                ports: Some((from, to)),
            },
            &PRIVATE_SUBNET_ACL,
        );
        let r = t.res(&h);
        r.note(why);
        if anywhere {
            r.note(ANYWHERE_REASON);
        }
    }
    let outside: Vec<&Cidr> = clients.iter().filter(|c| !c.within(vpc)).collect();
    for (i, c) in outside.iter().enumerate() {
        for (id, number, egress, from, to) in [
            ("InHttpsFromClients", 200, false, 443, 443),
            ("OutAnswersToClients", 200, true, 1024, 65535),
        ] {
            let h = allow_entry(
                t,
                &acl,
                format!("PrivateNetworkAcl{id}{i}"),
                AclEntry {
                    number: number + i as i64,
                    egress,
                    cidr: Expr::str(c.to_string()),
                    ports: Some((from, to)),
                },
                &PRIVATE_SUBNET_ACL,
            );
            t.res(&h).note(
                "HTTPS between the API's clients outside the VPC and the execute-api endpoint",
            );
        }
    }
    for (i, subnet) in net.subnets().into_iter().enumerate() {
        let h = t.add(
            format!("PrivateNetworkAclAssociation{}", ["A", "B", "C"][i.min(2)]),
            ec2::SubnetNetworkAclAssociation {
                network_acl_id: Some(acl.r#ref()),
                subnet_id: Some(subnet),
            },
        );
        t.res(&h).control(&PRIVATE_SUBNET_ACL);
    }
    Some(acl)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No entry admits a remote-administration port from anywhere, and every entry from or
    /// to anywhere is TCP 443 out or the answers' ephemeral range in.
    #[test]
    fn entries_from_anywhere_are_https_out_and_ephemeral_answers_only() {
        for (id, (_, egress, cidr, from, to), _) in entries("10.0.0.0/16") {
            if cidr == Expr::str("0.0.0.0/0") {
                if egress {
                    assert_eq!((from, to), (443, 443), "{id}");
                } else {
                    // Above SSH (22) and RDP (3389): neither is reachable from anywhere.
                    assert!(from >= EPHEMERAL_FROM, "{id}");
                    assert!(
                        !(from..=to).contains(&22) && !(from..=to).contains(&3389),
                        "{id}"
                    );
                }
            }
        }
    }
}
