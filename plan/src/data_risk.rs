//! Data at risk: a stateful resource (a bucket, a table, a database, a key, a user pool, ...)
//! that the deployment removes or replaces. Whether its data goes with it depends on the
//! retention policy in force: `DeletionPolicy` of the deployed resource for a removal,
//! `UpdateReplacePolicy` of the desired one for a replacement.

use harden_blueprints::cfn::{Node, NodeMap};

use crate::replacement::{Basis, Replacement};
use crate::resource_change::{Action, ResourceChange};
use crate::stack_policy;

/// Resource types that hold data which does not come back once the resource is deleted.
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::KMS::Key",
    "AWS::Cognito::UserPool",
    "AWS::SecretsManager::Secret",
    "AWS::Logs::LogGroup",
    "AWS::ECR::Repository",
    "AWS::EFS::FileSystem",
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::OpenSearchService::Domain",
    "AWS::Elasticsearch::Domain",
    "AWS::Neptune::DBCluster",
    "AWS::DocDB::DBCluster",
    "AWS::Backup::BackupVault",
];

/// Why the resource goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Removed from the template.
    Removed,
    /// Replaced by a new physical resource.
    Replaced,
}

impl Cause {
    /// `removed`, `replaced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Removed => "removed",
            Cause::Replaced => "replaced",
        }
    }
}

/// What happens to the old physical resource and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Deleted with its data.
    Destroyed,
    /// A final snapshot is taken, then it is deleted.
    Snapshot,
    /// Kept in the account, but no longer managed by the stack (orphaned).
    Retained,
}

impl Fate {
    /// `destroyed`, `snapshot`, `retained`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fate::Destroyed => "destroyed",
            Fate::Snapshot => "snapshot",
            Fate::Retained => "retained",
        }
    }
}

/// One stateful resource that is removed or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRisk {
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// Removed or replaced.
    pub cause: Cause,
    /// `false` when the replacement is only conditional.
    pub certain: bool,
    /// Where the replacement verdict comes from; `None` for a removal.
    pub basis: Option<Basis>,
    /// `DeletionPolicy` (removal) or `UpdateReplacePolicy` (replacement).
    pub policy_attribute: String,
    /// The policy in force: `Delete`, `Retain`, `RetainExceptOnCreate` or `Snapshot`.
    pub policy: String,
    /// Whether the template sets the policy (`false`: CloudFormation's default applies).
    pub policy_explicit: bool,
    /// What happens to the old resource.
    pub fate: Fate,
    /// Whether the deployed stack policy forbids this replacement or deletion, so the update
    /// would fail at this resource rather than destroy it.
    pub blocked_by_stack_policy: bool,
    /// What happens, in plain words.
    pub description: String,
}

impl DataRisk {
    /// Whether data is lost: the resource is destroyed (no retention, no snapshot) and no
    /// stack policy stops it. A conditional replacement counts: it may happen.
    pub fn loses_data(&self) -> bool {
        self.fate == Fate::Destroyed && !self.blocked_by_stack_policy
    }
}

/// Finds the stateful resources that are removed or replaced.
pub fn analyse(
    changes: &[ResourceChange],
    old_resources: &NodeMap,
    new_resources: &NodeMap,
    stack_policy: Option<&Node>,
) -> Vec<DataRisk> {
    let mut out = Vec::new();
    for rc in changes {
        let (cause, attr, source) = match rc.action {
            Action::Remove => (
                Cause::Removed,
                "DeletionPolicy",
                old_resources.get(&rc.logical_id),
            ),
            Action::Modify | Action::Dynamic if rc.replaces() => (
                Cause::Replaced,
                "UpdateReplacePolicy",
                new_resources.get(&rc.logical_id),
            ),
            _ => continue,
        };
        // A type change replaces the old resource: judge by what it was.
        let resource_type = rc.old_type.as_deref().unwrap_or(&rc.resource_type);
        if !STATEFUL_TYPES.contains(&resource_type) {
            continue;
        }
        let explicit = source
            .and_then(|r| r.get_path(&[attr]))
            .and_then(Node::as_str)
            .map(String::from);
        let policy = explicit.clone().unwrap_or_else(|| {
            default_policy(cause, resource_type, old_resources.get(&rc.logical_id)).to_string()
        });
        let fate = match policy.as_str() {
            "Retain" | "RetainExceptOnCreate" => Fate::Retained,
            "Snapshot" => Fate::Snapshot,
            _ => Fate::Destroyed,
        };
        let replacement = rc.replacement.as_ref();
        let certain = cause == Cause::Removed
            || replacement.and_then(|r| r.effective()) == Some(Replacement::Always);
        let action = match cause {
            Cause::Removed => "Update:Delete",
            Cause::Replaced => "Update:Replace",
        };
        let blocked = stack_policy
            .is_some_and(|p| !stack_policy::allows(p, action, &rc.logical_id, resource_type));
        let mut risk = DataRisk {
            logical_id: rc.logical_id.clone(),
            resource_type: resource_type.to_string(),
            cause,
            certain,
            basis: replacement
                .and_then(|r| r.basis())
                .filter(|_| cause == Cause::Replaced),
            policy_attribute: attr.to_string(),
            policy,
            policy_explicit: explicit.is_some(),
            fate,
            blocked_by_stack_policy: blocked,
            description: String::new(),
        };
        risk.description = describe(&risk, old_resources.get(&rc.logical_id), action);
        out.push(risk);
    }
    out
}

/// CloudFormation's default `DeletionPolicy` is `Delete`, except for RDS clusters and for DB
/// instances that are not in a cluster, which default to `Snapshot`. `UpdateReplacePolicy`
/// defaults to `Delete`.
fn default_policy(cause: Cause, resource_type: &str, deployed: Option<&Node>) -> &'static str {
    let in_cluster = deployed
        .and_then(|r| r.get_path(&["Properties", "DBClusterIdentifier"]))
        .is_some();
    match (cause, resource_type) {
        (Cause::Removed, "AWS::RDS::DBCluster") => "Snapshot",
        (Cause::Removed, "AWS::RDS::DBInstance") if !in_cluster => "Snapshot",
        _ => "Delete",
    }
}

fn describe(r: &DataRisk, deployed: Option<&Node>, action: &str) -> String {
    let policy = if r.policy_explicit {
        format!("{} {}", r.policy_attribute, r.policy)
    } else {
        format!("no {}: the default is {}", r.policy_attribute, r.policy)
    };
    let subject = match (r.cause, r.certain) {
        (Cause::Removed, _) => "is removed",
        (Cause::Replaced, true) => "is replaced",
        (Cause::Replaced, false) => "may be replaced",
    };
    let who = format!("`{}` (`{}`)", r.logical_id, r.resource_type);
    let mut s = match (r.cause, r.fate) {
        (Cause::Removed, Fate::Destroyed) => format!("{who} {subject} and deleted with its data ({policy})"),
        (Cause::Removed, Fate::Snapshot) => {
            format!("{who} {subject}: a final snapshot is taken, then it is deleted ({policy})")
        }
        (Cause::Removed, Fate::Retained) => format!(
            "{who} {subject} from the stack but kept in the account, orphaned: no longer managed by this stack ({policy})"
        ),
        (Cause::Replaced, Fate::Destroyed) => format!(
            "{who} {subject}: a new, empty one is created and the old one deleted with its data ({policy})"
        ),
        (Cause::Replaced, Fate::Snapshot) => format!(
            "{who} {subject}: a new, empty one is created; the old one is snapshotted, then deleted ({policy})"
        ),
        (Cause::Replaced, Fate::Retained) => format!(
            "{who} {subject}: a new, empty one is created; the old one is kept in the account, orphaned, with its data ({policy})"
        ),
    };
    if r.fate == Fate::Destroyed {
        match r.resource_type.as_str() {
            "AWS::KMS::Key" => {
                let window = deployed
                    .and_then(|d| d.get_path(&["Properties", "PendingWindowInDays"]))
                    .map(crate::value::compact)
                    .unwrap_or_else(|| "30".into());
                s.push_str(&format!(
                    "; the key is scheduled for deletion in {window} days, after which anything encrypted under it cannot be decrypted"
                ));
            }
            "AWS::S3::Bucket" => s.push_str(
                "; CloudFormation deletes it only if it is empty: a bucket that still has objects fails to delete and is left behind",
            ),
            _ => {}
        }
    }
    if r.blocked_by_stack_policy {
        s.push_str(&format!(
            "; the stack policy denies `{action}` on it, so the update fails at this resource unless the policy is overridden"
        ));
    }
    s
}
