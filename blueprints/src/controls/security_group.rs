//! Security groups with no open ingress: every rule names a peer group or prefix list and a
//! port, has a description, and a group with no egress gets none (not AWS's allow-all).

use crate::cfn::generated::ec2;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static RESTRICTED_SECURITY_GROUP: Control = Control {
    id: "restricted-security-groups",
    title: "security groups allow only named peers on named ports, with no ingress from anywhere",
    tier: Tier::Basic,
    cis: &["5.2", "5.3"],
    security_hub: &["EC2.53", "EC2.54"],
};

/// Where a rule points.
#[derive(Debug, Clone)]
pub enum Peer {
    /// Another security group.
    Group(Expr),
    /// An AWS-managed prefix list (the S3 gateway endpoint's).
    PrefixList(Expr),
    /// An IPv4 block: `0.0.0.0/0` only where the workload must reach the internet, with the
    /// reason written on the rule.
    Cidr {
        /// The block.
        cidr: String,
        /// Why the rule needs it.
        reason: &'static str,
    },
}

/// Adds a group with no rules of its own; AWS's default allow-all egress is replaced by a
/// rule that matches nothing, so egress is only what [`egress`] adds.
pub fn security_group(
    t: &mut Template,
    id: &str,
    description: &str,
    vpc: Expr,
) -> Handle<ec2::SecurityGroup> {
    let h = t.add(
        id,
        ec2::SecurityGroup {
            group_description: Some(description.into()),
            vpc_id: Some(vpc),
            security_group_egress: Some(vec![ec2::security_group::Egress {
                cidr_ip: Some("127.0.0.1/32".into()),
                description: Some(
                    "No egress: replaces the default allow-all rule with loopback only".into(),
                ),
                ip_protocol: Some("-1".into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    t.res(&h).control(&RESTRICTED_SECURITY_GROUP);
    h
}

/// Adds an HTTPS-style TCP ingress rule from a peer group.
pub fn ingress(
    t: &mut Template,
    id: &str,
    group: &Handle<ec2::SecurityGroup>,
    from: Expr,
    port: i64,
    description: &str,
) {
    ingress_rule(
        t,
        id,
        ec2::SecurityGroupIngress {
            source_security_group_id: Some(from),
            ..Default::default()
        },
        group,
        port,
        description,
    );
}

/// Adds a TCP ingress rule from an IPv4 block (never `0.0.0.0/0`: callers are named).
pub fn ingress_cidr(
    t: &mut Template,
    id: &str,
    group: &Handle<ec2::SecurityGroup>,
    cidr: Expr,
    port: i64,
    description: &str,
) {
    ingress_rule(
        t,
        id,
        ec2::SecurityGroupIngress {
            cidr_ip: Some(cidr),
            ..Default::default()
        },
        group,
        port,
        description,
    );
}

/// Completes an ingress rule whose source is set: the group, TCP on one port, the description.
fn ingress_rule(
    t: &mut Template,
    id: &str,
    source: ec2::SecurityGroupIngress,
    group: &Handle<ec2::SecurityGroup>,
    port: i64,
    description: &str,
) {
    let h = t.add(
        id,
        ec2::SecurityGroupIngress {
            group_id: Some(group.get_att(ec2::SecurityGroupAttr::GroupId)),
            ip_protocol: Some("tcp".into()),
            from_port: Some(port.into()),
            to_port: Some(port.into()),
            description: Some(description.into()),
            ..source
        },
    );
    t.res(&h).control(&RESTRICTED_SECURITY_GROUP);
}

/// Adds a TCP egress rule to a peer.
pub fn egress(
    t: &mut Template,
    id: &str,
    group: &Handle<ec2::SecurityGroup>,
    to: Peer,
    port: i64,
    description: &str,
) {
    let (dest_group, prefix, cidr, reason) = match to {
        Peer::Group(g) => (Some(g), None, None, None),
        Peer::PrefixList(p) => (None, Some(p), None, None),
        Peer::Cidr { cidr, reason } => (None, None, Some(Expr::str(cidr)), Some(reason)),
    };
    let h = t.add(
        id,
        ec2::SecurityGroupEgress {
            group_id: Some(group.get_att(ec2::SecurityGroupAttr::GroupId)),
            destination_security_group_id: dest_group,
            destination_prefix_list_id: prefix,
            cidr_ip: cidr,
            ip_protocol: Some("tcp".into()),
            from_port: Some(port.into()),
            to_port: Some(port.into()),
            description: Some(description.into()),
            ..Default::default()
        },
    );
    let r = t.res(&h);
    r.control(&RESTRICTED_SECURITY_GROUP);
    if let Some(reason) = reason {
        r.note(reason);
    }
}
