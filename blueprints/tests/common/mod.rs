//! Shared by the integration tests: building and rendering a blueprint by name.

#![allow(dead_code)]

use harden_blueprints::cfn::{self, Node};
use harden_blueprints::{StackSpec, Tier};

/// The parameters a tier requires of every blueprint: at enterprise an alert destination
/// (`alert_email` or `alert_topic_arn`), and nothing below. (A blueprint may require more:
/// `Blueprint::required_example` says what.)
pub const ENTERPRISE_MINIMUM: &[(&str, &str)] = &[("alert_email", "security@example.com")];

/// Builds a blueprint's stacks, panicking with the error on failure.
pub fn build(blueprint: &str, tier: Tier, params: &[(&str, &str)]) -> Vec<StackSpec> {
    let b =
        harden_blueprints::find(blueprint).unwrap_or_else(|| panic!("no blueprint {blueprint}"));
    let raw: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    b.build(b.default_stack_name(), tier, &raw)
        .unwrap_or_else(|e| panic!("{blueprint} {tier}: {e}"))
}

/// The checked template tree of a stack.
pub fn tree(s: &StackSpec) -> Node {
    cfn::to_node(&s.template).unwrap_or_else(|e| panic!("{}: {e}", s.name))
}
