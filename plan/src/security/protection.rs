//! Protections turned off or weakened: public access blocks, encryption at rest and key
//! rotation, audit and access logging, log retention. Each of these "broadens" in the plan's
//! sense: after the change, less stands between the data and someone who should not see it,
//! or less is recorded about who did.

use harden_blueprints::cfn::Node;

use super::{SecurityChange, SecurityKind, Sides};
use crate::resource_change::{Action, ResourceChange};
use crate::value::compact;

const PUBLIC_ACCESS_FLAGS: &[&str] = &[
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
];

const PUBLIC_ACLS: &[&str] = &["PublicRead", "PublicReadWrite", "AuthenticatedRead"];

/// Keys whose removal turns encryption off or back to the service default.
const ENCRYPTION_KEYS: &[&str] = &[
    "BucketEncryption",
    "KmsKeyId",
    "KmsKeyArn",
    "KmsMasterKeyId",
    "KMSKeyId",
    "KMSMasterKeyID",
    "SSESpecification",
    "StreamEncryption",
];

/// Booleans that must stay true for encryption to stay on (absent means false).
const ENCRYPTION_FLAGS: &[&str] = &[
    "EnableKeyRotation",
    "StorageEncrypted",
    "Encrypted",
    "SSEEnabled",
];

/// Keys whose removal turns logging off.
const LOGGING_KEYS: &[&str] = &[
    "LoggingConfiguration",
    "LoggingProperties",
    "LogPublishingOptions",
];

/// Booleans that must stay true for logging to stay on.
const LOGGING_FLAGS: &[&str] = &[
    "IsLogging",
    "EnableLogFileValidation",
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
];

pub(super) fn analyse(rc: &ResourceChange, side: &Sides, out: &mut Vec<SecurityChange>) {
    if rc.action == Action::Remove {
        return; // removed logging and detection resources: see `monitoring`
    }
    public_access(rc, side, out);
    if let (true, Some(old), Some(new)) = (side.both(), side.old, side.new) {
        walk(rc, old, new, "", out);
        if rc.resource_type == "AWS::GuardDuty::Detector"
            && is_true(side.old_prop("Enable"))
            && !is_true(side.new_prop("Enable"))
        {
            out.push(SecurityChange::new(
                rc,
                SecurityKind::Logging,
                true,
                "turns off `Enable`: GuardDuty threat detection stops".to_string(),
            ));
        }
    }
}

fn is_true(n: Option<&Node>) -> bool {
    match n {
        Some(Node::Bool(b)) => *b,
        Some(Node::Str(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn public_access(rc: &ResourceChange, side: &Sides, out: &mut Vec<SecurityChange>) {
    let old = side.old_prop("PublicAccessBlockConfiguration");
    let new = side.new_prop("PublicAccessBlockConfiguration");
    for flag in PUBLIC_ACCESS_FLAGS {
        let was = is_true(old.and_then(|b| b.get_path(&[flag])));
        let now_node = new.and_then(|b| b.get_path(&[flag]));
        let now = is_true(now_node);
        let path = format!("PublicAccessBlockConfiguration.{flag}");
        if side.both() && was && !now {
            let how = if now_node.is_none() {
                "removes"
            } else {
                "turns off"
            };
            out.push(
                SecurityChange::new(
                    rc,
                    SecurityKind::PublicAccess,
                    true,
                    format!("{how} `{path}`: public access is no longer blocked that way"),
                )
                .public(true),
            );
        } else if side.both() && !was && now {
            out.push(SecurityChange::new(
                rc,
                SecurityKind::PublicAccess,
                false,
                format!("turns on `{path}`"),
            ));
        } else if !side.both() && now_node.is_some() && !now {
            out.push(
                SecurityChange::new(
                    rc,
                    SecurityKind::PublicAccess,
                    true,
                    format!("creates it with `{path}` off: public access is not blocked that way"),
                )
                .public(true),
            );
        }
    }
    fn acl(n: Option<&Node>) -> Option<&str> {
        n.and_then(Node::as_str).filter(|a| PUBLIC_ACLS.contains(a))
    }
    if let (None, Some(a)) = (
        acl(side.old_prop("AccessControl")),
        acl(side.new_prop("AccessControl")),
    ) {
        out.push(
            SecurityChange::new(
                rc,
                SecurityKind::PublicAccess,
                true,
                format!("sets `AccessControl` to `{a}`: a canned ACL that grants access beyond the account"),
            )
            .public(true),
        );
    }
}

fn number(n: Option<&Node>) -> Option<f64> {
    match n? {
        Node::Int(i) => Some(*i as f64),
        Node::Float(f) => Some(*f),
        Node::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// Walks the deployed properties beside the desired ones, looking for protections removed.
fn walk(rc: &ResourceChange, old: &Node, new: &Node, path: &str, out: &mut Vec<SecurityChange>) {
    let at = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (old, new) {
        (Node::Map(om), Node::Map(nm)) => {
            for (k, v) in om {
                let nv = nm.get(k);
                let here = at(k);
                let k = k.as_str();
                let change = |kind, text: String| SecurityChange::new(rc, kind, true, text);
                if nv.is_none() && ENCRYPTION_KEYS.contains(&k) {
                    out.push(change(
                        SecurityKind::Encryption,
                        format!("removes `{here}`: encryption falls back to the service default, or is off"),
                    ));
                } else if nv.is_none() && LOGGING_KEYS.contains(&k) {
                    out.push(change(
                        SecurityKind::Logging,
                        format!("removes `{here}`: logging is turned off"),
                    ));
                } else if ENCRYPTION_FLAGS.contains(&k) && is_true(Some(v)) && !is_true(nv) {
                    out.push(change(
                        SecurityKind::Encryption,
                        format!("turns off `{here}`"),
                    ));
                } else if LOGGING_FLAGS.contains(&k) && is_true(Some(v)) && !is_true(nv) {
                    out.push(change(SecurityKind::Logging, format!("turns off `{here}`")));
                } else if k == "SSEAlgorithm"
                    && v.as_str().is_some_and(|a| a.starts_with("aws:kms"))
                    && nv.and_then(Node::as_str) == Some("AES256")
                {
                    out.push(change(
                        SecurityKind::Encryption,
                        format!(
                            "weakens `{here}` from `{}` to `AES256`: S3-managed keys, so no key policy guards the data",
                            compact(v)
                        ),
                    ));
                } else if k == "RetentionInDays" {
                    match (number(Some(v)), number(nv)) {
                        (Some(a), Some(b)) if b < a => out.push(change(
                            SecurityKind::LogRetention,
                            format!(
                                "shortens `{here}` from {} to {} days: older logs are deleted",
                                compact(v),
                                compact(nv.expect("a number"))
                            ),
                        )),
                        _ => {}
                    }
                } else if let Some(nv) = nv {
                    walk(rc, v, nv, &here, out);
                }
            }
        }
        (Node::Seq(a), Node::Seq(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(rc, x, y, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}
