//! Security group rules: inline `SecurityGroupIngress`/`SecurityGroupEgress` entries and the
//! standalone `AWS::EC2::SecurityGroupIngress`/`Egress` resources. A rule added opens
//! traffic; one to or from `0.0.0.0/0` or `::/0` opens it to anyone. And network ACL entries
//! (`AWS::EC2::NetworkAclEntry`): an `allow` added, or a `deny` removed, opens traffic.

use harden_blueprints::cfn::Node;

use super::{items, SecurityChange, SecurityKind, Sides};
use crate::resource_change::{Action, ResourceChange};
use crate::value::compact;

pub(super) fn analyse(rc: &ResourceChange, side: &Sides, out: &mut Vec<SecurityChange>) {
    match rc.resource_type.as_str() {
        "AWS::EC2::SecurityGroup" => {
            if rc.action == Action::Remove {
                return; // its rules go with it
            }
            for (prop, ingress) in [
                ("SecurityGroupIngress", true),
                ("SecurityGroupEgress", false),
            ] {
                let (a, b) = (items(side.old_prop(prop)), items(side.new_prop(prop)));
                if !ingress && !side.both() && side.new.is_some() && b.is_empty() {
                    // EC2 gives a new group allow-all egress unless the template declares
                    // egress rules (a later removal of all rules does not bring it back).
                    out.push(
                        SecurityChange::new(
                            rc,
                            SecurityKind::NetworkRule,
                            true,
                            "opens egress all traffic to `0.0.0.0/0` and `::/0` (anyone on the internet): \
                             EC2's default for a new security group that declares no egress rule"
                                .to_string(),
                        )
                        .public(true),
                    );
                }
                for r in b.iter().filter(|r| !a.contains(r)) {
                    out.push(opened(rc, r, ingress, None));
                }
                for r in a.iter().filter(|r| !b.contains(r)) {
                    out.push(closed(rc, r, ingress, None));
                }
            }
        }
        t @ ("AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress") => {
            let ingress = t.ends_with("Ingress");
            if side.old == side.new {
                return;
            }
            let group = |p: Option<&Node>| p.and_then(|p| p.get_path(&["GroupId"])).map(compact);
            if let Some(old) = side.old {
                out.push(closed(rc, old, ingress, group(side.old)));
            }
            if let Some(new) = side.new {
                out.push(opened(rc, new, ingress, group(side.new)));
            }
        }
        "AWS::EC2::NetworkAclEntry" => {
            if side.old == side.new {
                return;
            }
            if let Some(old) = side.old {
                out.push(acl_entry(rc, old, false));
            }
            if let Some(new) = side.new {
                out.push(acl_entry(rc, new, true));
            }
        }
        _ => {}
    }
}

/// A network ACL entry added (`added`) or removed: an `allow` added or a `deny` removed
/// broadens, and is public when its block is `0.0.0.0/0` or `::/0`.
fn acl_entry(rc: &ResourceChange, entry: &Node, added: bool) -> SecurityChange {
    let get = |path: &[&str]| entry.get_path(path).cloned();
    let allow = get(&["RuleAction"])
        .map(|a| compact(&a).eq_ignore_ascii_case("allow"))
        .unwrap_or(false);
    let ingress = get(&["Egress"]) != Some(Node::Bool(true));
    // Described as a security group rule would be: the same protocol, ports and peer words.
    let mut rule = harden_blueprints::cfn::NodeMap::new();
    for (from, to) in [
        (&["Protocol"][..], "IpProtocol"),
        (&["PortRange", "From"][..], "FromPort"),
        (&["PortRange", "To"][..], "ToPort"),
        (&["CidrBlock"][..], "CidrIp"),
        (&["Ipv6CidrBlock"][..], "CidrIpv6"),
    ] {
        if let Some(v) = get(from) {
            rule.insert(to.to_string(), v);
        }
    }
    let acl = entry
        .get_path(&["NetworkAclId"])
        .map(compact)
        .map(|a| format!(" on `{a}`"))
        .unwrap_or_default();
    let number = get(&["RuleNumber"])
        .map(|n| format!(" (rule {})", compact(&n)))
        .unwrap_or_default();
    let (what, anyone) = describe(&Node::Map(rule), ingress, None);
    let what = format!("network ACL {what}{number}{acl}");
    let broadens = added == allow;
    let verb = match (added, allow) {
        (true, true) => "opens",
        (false, true) => "closes",
        (true, false) => "denies",
        (false, false) => "stops denying",
    };
    SecurityChange::new(
        rc,
        SecurityKind::NetworkRule,
        broadens,
        format!("{verb} {what}"),
    )
    .public(broadens && anyone)
}

fn opened(
    rc: &ResourceChange,
    rule: &Node,
    ingress: bool,
    group: Option<String>,
) -> SecurityChange {
    let (what, public) = describe(rule, ingress, group);
    if is_loopback(rule) {
        // harden's way to replace EC2's default allow-all egress with nothing: a rule to the
        // loopback address lets no traffic leave.
        return SecurityChange::new(
            rc,
            SecurityKind::NetworkRule,
            false,
            format!("adds {what}: loopback only, so no traffic leaves"),
        );
    }
    SecurityChange::new(rc, SecurityKind::NetworkRule, true, format!("opens {what}")).public(public)
}

/// Whether a rule's only peer is the loopback address.
fn is_loopback(rule: &Node) -> bool {
    let peers: Vec<&str> = [
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "SourceSecurityGroupName",
        "DestinationSecurityGroupId",
        "SourcePrefixListId",
        "DestinationPrefixListId",
    ]
    .iter()
    .filter_map(|k| rule.get_path(&[k]))
    .map(|v| v.as_str().unwrap_or("?"))
    .collect();
    !peers.is_empty()
        && peers
            .iter()
            .all(|p| p.starts_with("127.") || *p == "::1/128")
}

fn closed(
    rc: &ResourceChange,
    rule: &Node,
    ingress: bool,
    group: Option<String>,
) -> SecurityChange {
    let (what, _) = describe(rule, ingress, group);
    SecurityChange::new(
        rc,
        SecurityKind::NetworkRule,
        false,
        format!("closes {what}"),
    )
}

/// `ingress tcp port 443 from `0.0.0.0/0` (anyone on the internet)`, and whether the peer is
/// anyone.
fn describe(rule: &Node, ingress: bool, group: Option<String>) -> (String, bool) {
    let get = |k: &str| rule.get_path(&[k]).map(compact);
    let protocol = get("IpProtocol").unwrap_or_else(|| "-1".into());
    let (protocol, all) = match protocol.as_str() {
        "-1" | "all" => ("all traffic".to_string(), true),
        "6" => ("tcp".to_string(), false),
        "17" => ("udp".to_string(), false),
        "1" => ("icmp".to_string(), false),
        p => (p.to_string(), false),
    };
    let ports = if all {
        String::new()
    } else {
        match (get("FromPort"), get("ToPort")) {
            (Some(f), Some(t)) if f == t => format!(" port {f}"),
            (Some(f), Some(t)) if (f == "0" || f == "-1") && (t == "65535" || t == "-1") => {
                " all ports".to_string()
            }
            (Some(f), Some(t)) => format!(" ports {f}-{t}"),
            (Some(f), None) | (None, Some(f)) => format!(" port {f}"),
            (None, None) => String::new(),
        }
    };
    let dir = if ingress { "from" } else { "to" };
    let mut public = false;
    let mut peers = Vec::new();
    for key in ["CidrIp", "CidrIpv6"] {
        if let Some(c) = get(key) {
            if c == "0.0.0.0/0" || c == "::/0" {
                public = true;
                peers.push(format!("`{c}` (anyone on the internet)"));
            } else {
                peers.push(format!("`{c}`"));
            }
        }
    }
    for (key, label) in [
        ("SourceSecurityGroupId", "security group"),
        ("SourceSecurityGroupName", "security group"),
        ("DestinationSecurityGroupId", "security group"),
        ("SourcePrefixListId", "prefix list"),
        ("DestinationPrefixListId", "prefix list"),
    ] {
        if let Some(v) = get(key) {
            peers.push(format!("{label} `{v}`"));
        }
    }
    if peers.is_empty() {
        peers.push("an unspecified peer".into());
    }
    let on = group.map(|g| format!(" on `{g}`")).unwrap_or_default();
    let kind = if ingress { "ingress" } else { "egress" };
    (
        format!("{kind} {protocol}{ports} {dir} {}{on}", peers.join(" and ")),
        public,
    )
}
