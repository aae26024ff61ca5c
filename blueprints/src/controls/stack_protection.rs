//! Protection of the stack itself: termination protection from enhanced, and at enterprise a
//! stack policy that denies replacing or deleting the stateful resources.

use crate::cfn::{Node, Template};
use crate::control::Control;
use crate::controls::retain::RETAIN_STATEFUL;
use crate::tier::Tier;

/// The control for termination protection.
pub static TERMINATION_PROTECTION: Control = Control {
    id: "termination-protection",
    title: "stack termination protection is on",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["CloudFormation.3"],
};

/// The control for the stack policy.
pub static STACK_POLICY: Control = Control {
    id: "stack-policy",
    title: "stack policy denies replacement and deletion of stateful resources",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// The stack policy for a template at a tier: deny `Update:Replace` and `Update:Delete` on
/// every retained (stateful) resource, allow every other update.
pub fn stack_policy(t: &Template, tier: Tier) -> Option<Node> {
    if !STACK_POLICY.on(tier) {
        return None;
    }
    let stateful: Vec<Node> = t
        .resources
        .iter()
        .filter(|(_, r)| r.controls.contains(&RETAIN_STATEFUL.id))
        .map(|(id, _)| Node::Str(format!("LogicalResourceId/{id}")))
        .collect();
    let allow = Node::map([
        ("Effect", Node::Str("Allow".into())),
        ("Action", Node::Str("Update:*".into())),
        ("Principal", Node::Str("*".into())),
        ("Resource", Node::Str("*".into())),
    ]);
    let mut statements = vec![allow];
    if !stateful.is_empty() {
        statements.push(Node::map([
            ("Effect", Node::Str("Deny".into())),
            (
                "Action",
                Node::Seq(vec![
                    Node::Str("Update:Replace".into()),
                    Node::Str("Update:Delete".into()),
                ]),
            ),
            ("Principal", Node::Str("*".into())),
            ("Resource", Node::Seq(stateful)),
        ]));
    }
    Some(Node::map([("Statement", Node::Seq(statements))]))
}
