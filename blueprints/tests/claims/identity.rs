//! IAM and the account (`iam-controls.html`, `account-controls.html`).

use super::*;
use harden_blueprints::controls::{access_analyzer, account_settings, password_policy};

/// The `Allow` statements of every customer managed policy of every render.
fn managed_policy_allows(all: &[(String, String, Node)]) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    for (case, stack, n) in all {
        for (id, p) in of_type(n, "AWS::IAM::ManagedPolicy") {
            for s in statements(p.get_path(&["Properties", "PolicyDocument"])) {
                if allows(s) {
                    out.push((format!("{case} {stack} {id}"), s));
                }
            }
        }
    }
    out
}

/// IAM.1 (`AWS::IAM::Policy`, customer managed, parameter `excludePermissionBoundaryPolicy`
/// true): fails if a policy allows `"Action": "*"` on `"Resource": "*"`. IAM.21 (same
/// resource and parameter): fails if a policy allows a wildcard action for a service
/// (`"*"` or `"service:*"`). Every role the least-privilege control makes takes its
/// permissions from customer managed policies (no inline ones: see
/// `no_policy_allows_decrypting_with_every_key_and_none_is_inline`), and no `Allow` of any
/// managed policy of any render has a wildcard action, nor a `NotAction`.
#[test]
fn no_managed_policy_allows_a_wildcard_action() {
    let all = renders();
    claimed(&all, &iam_role::LEAST_PRIVILEGE_ROLE);
    let allows = managed_policy_allows(&all);
    assert!(!allows.is_empty(), "no managed policy statement");
    for (what, s) in allows {
        assert!(
            s.get_path(&["NotAction"]).is_none(),
            "{what}: NotAction in an Allow: {s:?}"
        );
        for a in list(s.get_path(&["Action"])) {
            let a = a.as_str().unwrap_or_else(|| panic!("{what}: action {a:?}"));
            assert!(
                a != "*" && !a.ends_with(":*"),
                "{what}: wildcard action `{a}` (IAM.1, IAM.21)"
            );
        }
    }
}

/// IAM.7 (`AWS::::Account`, parameters `RequireUppercaseCharacters`,
/// `RequireLowercaseCharacters`, `RequireSymbols`, `RequireNumbers` true,
/// `MinimumPasswordLength` 8): fails if the account's password policy is weaker. IAM.15 (no
/// parameters): fails unless the minimum length is at least 14. IAM.16 (no parameters): fails
/// unless at least the last 24 passwords cannot be reused. An account setting made by a
/// custom resource (its handler runs in `tests/password_policy_handler.rs` of the CLI);
/// here, the policy the resource passes to its function.
#[test]
fn the_password_policy_is_strong_long_and_never_reused() {
    let all = renders();
    for (what, p, n) in claimed_of(
        &all,
        &password_policy::PASSWORD_POLICY,
        "Custom::AccountPasswordPolicy",
    ) {
        for k in [
            "RequireUppercaseCharacters",
            "RequireLowercaseCharacters",
            "RequireSymbols",
            "RequireNumbers",
        ] {
            assert!(is_true(p, &[k]), "{what}: {k} (IAM.7)");
        }
        assert!(
            every(p, &["MinimumPasswordLength"], |v| int(v)
                .is_some_and(|l| l >= 14)),
            "{what}: MinimumPasswordLength (IAM.7, IAM.15)"
        );
        assert!(
            every(p, &["PasswordReusePrevention"], |v| int(v)
                .is_some_and(|r| r >= 24)),
            "{what}: PasswordReusePrevention (IAM.16)"
        );
        assert!(
            code_behind(n, p).contains("update_account_password_policy"),
            "{what}: the function does not set the account's password policy"
        );
    }
}

/// IAM.28 (`AWS::AccessAnalyzer::Analyzer`, no parameters): fails unless an external access
/// analyzer (of the account or the organization) is enabled in the region.
#[test]
fn an_external_access_analyzer_is_enabled() {
    let all = renders();
    for (what, a, _) in claimed_of(
        &all,
        &access_analyzer::ACCESS_ANALYZER,
        "AWS::AccessAnalyzer::Analyzer",
    ) {
        assert!(
            every(a, &["Type"], |v| matches!(
                v.and_then(Node::as_str),
                Some("ACCOUNT" | "ORGANIZATION")
            )),
            "{what}: not an external access analyzer"
        );
    }
}

/// Account.1 (`AWS::::Account`, no parameters): fails unless the account has security
/// contact information. An account setting: with the `security_contact_*` parameters, the
/// template has a custom resource that passes the name, email, phone and title to a function
/// that puts the account's `SECURITY` alternate contact (`account_settings_handlers.rs` runs
/// the handler).
#[test]
fn the_security_contact_is_given() {
    let all = renders();
    for (what, c, n) in claimed_of(
        &all,
        &account_settings::SECURITY_CONTACT,
        "Custom::SecurityContact",
    ) {
        for k in ["Name", "EmailAddress", "PhoneNumber", "Title"] {
            assert!(
                every(c, &[k], |v| v
                    .and_then(Node::as_str)
                    .is_some_and(|s| !s.is_empty())),
                "{what}: no {k}"
            );
        }
        let code = code_behind(n, c);
        assert!(
            code.contains("put_alternate_contact") && code.contains("'SECURITY'"),
            "{what}: the function does not put the security contact"
        );
    }
}
