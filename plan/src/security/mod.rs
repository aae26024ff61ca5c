//! Security changes: what a deployment does to who can reach what. Each change says in plain
//! words what it does and whether it broadens access (or removes a protection), so a person
//! or a tier's approval rule can stop on it.
//!
//! One file per kind: IAM-style policy statements, network rules, protections (public
//! access blocks, encryption, logging, log retention), monitoring (the controls that detect,
//! alert and check compliance), and waived controls.

mod monitoring;
mod network;
mod protection;
mod statements;

use harden_blueprints::cfn::{Node, NodeMap};
use indexmap::IndexMap;

use crate::input::ParamRemoval;
use crate::resource_change::{type_of, Action, ResourceChange};
use crate::waiver::{Waiver, WaiverState};

pub use statements::StatementSummary;

/// What a security change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityKind {
    /// A statement of an IAM-style policy document (IAM policies, trust policies, key,
    /// bucket, topic and queue policies, ...).
    PolicyStatement,
    /// A managed policy attached to or detached from a role, user or group.
    PolicyAttachment,
    /// A security group rule.
    NetworkRule,
    /// A public access block flag, or a public canned ACL.
    PublicAccess,
    /// Encryption at rest, or key rotation.
    Encryption,
    /// Audit and access logging, and threat detection (trails, flow logs, access logs, log
    /// groups, GuardDuty and its features, Security Hub, Access Analyzer, AWS Config's
    /// recorder).
    Logging,
    /// How long logs are kept.
    LogRetention,
    /// What tells a person: alarms and their actions, metric filters, subscriptions to an
    /// alert topic, EventBridge rules.
    Alerting,
    /// What checks the account against its rules: AWS Config rules, Security Hub standards and
    /// automation rules.
    Compliance,
    /// A control of the tier waived on purpose (`Metadata.harden.Waivers`), or a waiver lifted.
    Waiver,
    /// A resource removed because a parameter given before is no longer given, whatever its
    /// type.
    ParameterRemoval,
}

impl SecurityKind {
    /// `policy_statement`, `policy_attachment`, `network_rule`, `public_access`,
    /// `encryption`, `logging`, `log_retention`, `alerting`, `compliance`, `waiver`,
    /// `parameter_removal`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityKind::PolicyStatement => "policy_statement",
            SecurityKind::PolicyAttachment => "policy_attachment",
            SecurityKind::NetworkRule => "network_rule",
            SecurityKind::PublicAccess => "public_access",
            SecurityKind::Encryption => "encryption",
            SecurityKind::Logging => "logging",
            SecurityKind::LogRetention => "log_retention",
            SecurityKind::Alerting => "alerting",
            SecurityKind::Compliance => "compliance",
            SecurityKind::Waiver => "waiver",
            SecurityKind::ParameterRemoval => "parameter_removal",
        }
    }
}

/// One security-relevant change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityChange {
    /// The resource it is on; for a change to the stack as a whole (a waiver), the stack name.
    pub logical_id: String,
    /// That resource's type; `AWS::CloudFormation::Stack` for a change to the stack as a whole.
    pub resource_type: String,
    /// What it is about.
    pub kind: SecurityKind,
    /// Whether it grants access or removes a protection (`false`: it narrows access or adds
    /// a protection).
    pub broadens: bool,
    /// Whether it opens something to anyone: a `0.0.0.0/0` or `::/0` rule, an unconditioned
    /// `*` principal, a public access block turned off.
    pub public: bool,
    /// What it does, in plain words (`` statement `ReadModelData` adds action `s3:PutObject` ``).
    pub description: String,
    /// The statement concerned, for policy statement changes: after the change, or before it
    /// for a removed statement.
    pub statement: Option<StatementSummary>,
}

impl SecurityChange {
    fn new(rc: &ResourceChange, kind: SecurityKind, broadens: bool, description: String) -> Self {
        SecurityChange {
            logical_id: rc.logical_id.clone(),
            resource_type: rc.resource_type.clone(),
            kind,
            broadens,
            public: false,
            description,
            statement: None,
        }
    }

    fn public(mut self, public: bool) -> Self {
        self.public = public;
        self
    }
}

/// What the analysis reads beside the resource changes.
pub struct Context<'a> {
    /// The deployed template's resources.
    pub old_resources: &'a NodeMap,
    /// The desired template's resources.
    pub new_resources: &'a NodeMap,
    /// Resources removed because a parameter is no longer given (only those the plan removes).
    pub removed_by: &'a [ParamRemoval],
    /// The deployed stack's parameter values, after template defaults.
    pub old_parameters: &'a IndexMap<String, String>,
    /// The desired parameter values, after template defaults.
    pub new_parameters: &'a IndexMap<String, String>,
}

/// Finds the security changes of every resource change, in the order of the changes, then
/// those of the stack's waivers.
pub fn analyse(
    changes: &[ResourceChange],
    ctx: &Context,
    stack: &str,
    waivers: &[Waiver],
) -> Vec<SecurityChange> {
    let (old_resources, new_resources) = (ctx.old_resources, ctx.new_resources);
    let mut out = Vec::new();
    for rc in changes {
        let (old, new) = match rc.action {
            Action::Add | Action::Import => (None, new_resources.get(&rc.logical_id)),
            Action::Remove => (old_resources.get(&rc.logical_id), None),
            Action::Modify | Action::Dynamic => (
                old_resources.get(&rc.logical_id),
                new_resources.get(&rc.logical_id),
            ),
        };
        if old.is_none() && new.is_none() {
            continue;
        }
        // A resource without `Properties` has empty ones: it still exists on that side.
        fn props(n: Option<&Node>) -> Option<&Node> {
            static EMPTY: std::sync::OnceLock<Node> = std::sync::OnceLock::new();
            n.map(|n| {
                n.get_path(&["Properties"])
                    .unwrap_or_else(|| EMPTY.get_or_init(|| Node::Map(NodeMap::new())))
            })
        }
        let side = Sides {
            old: props(old),
            new: props(new),
            old_type: old.map(type_of),
        };
        statements::analyse(rc, &side, &mut out);
        network::analyse(rc, &side, &mut out);
        protection::analyse(rc, &side, &mut out);
        monitoring::analyse(rc, &side, ctx, &mut out);
    }
    for w in waivers {
        let broadens = match w.state {
            WaiverState::Added => true,
            WaiverState::Removed => false,
            WaiverState::Kept => continue, // deployed already: no change
        };
        out.push(SecurityChange {
            logical_id: stack.to_string(),
            resource_type: "AWS::CloudFormation::Stack".to_string(),
            kind: SecurityKind::Waiver,
            broadens,
            public: false,
            description: w.description(),
            statement: None,
        });
    }
    out
}

/// A resource's properties before and after (`None`: the resource is absent on that side;
/// a resource without `Properties` has an empty map).
struct Sides<'a> {
    old: Option<&'a Node>,
    new: Option<&'a Node>,
    old_type: Option<&'a str>,
}

impl<'a> Sides<'a> {
    fn old_prop(&self, name: &str) -> Option<&'a Node> {
        self.old.and_then(|p| p.get_path(&[name]))
    }

    fn new_prop(&self, name: &str) -> Option<&'a Node> {
        self.new.and_then(|p| p.get_path(&[name]))
    }

    /// Whether the resource exists on both sides (an update, not an addition or removal).
    fn both(&self) -> bool {
        self.old_type.is_some() && self.new.is_some()
    }
}

/// A value as a list of items: a list's items, or a single value as one item.
fn items(n: Option<&Node>) -> Vec<&Node> {
    match n {
        Some(Node::Seq(v)) => v.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// `a`, `` `a` and `b` ``, `` `a`, `b` and `c` ``: items in backticks, in words.
fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `action` or `actions` for a count.
fn plural(word: &str, n: usize) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
