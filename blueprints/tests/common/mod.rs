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

/// Runs a custom resource function's inline Python `code` under a test `harness` (a script
/// that fakes the AWS clients from `state` and feeds it `events`), in a directory of its own
/// named after `what`, and returns what the harness prints: a JSON list, one entry per event.
pub fn run_handler(
    what: &str,
    harness: &str,
    code: &str,
    state: serde_json::Value,
    events: serde_json::Value,
) -> Vec<serde_json::Value> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "harden-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let harness_file = dir.join("harness.py");
    let index = dir.join("index.py");
    std::fs::write(&harness_file, harness).unwrap();
    std::fs::write(&index, code).unwrap();
    let out = std::process::Command::new("python3")
        .arg(&harness_file)
        .arg(state.to_string())
        .arg(events.to_string())
        .arg(&index)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::from_slice(&out.stdout).unwrap()
}
