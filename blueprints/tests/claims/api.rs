//! API Gateway, Cognito and WAF (`apigateway-controls.html`, `cognito-controls.html`,
//! `waf-controls.html`).

use super::*;
use harden_blueprints::controls::{cognito, rest_api, waf};

/// The stage's method settings: the list, each entry once per `Fn::If` branch.
fn method_settings(stage: &Node) -> Vec<&Node> {
    vals(stage, &["MethodSettings"])
        .into_iter()
        .flat_map(list)
        .collect()
}

/// APIGateway.1 (`AWS::ApiGateway::Stage`, parameter `loggingLevel`, default `ERROR,INFO`):
/// fails unless the stage's execution logging is at `ERROR` or `INFO`. Every stage of the
/// hardened API sets it for every method (`*` on `/*`) and no method turns it off; the
/// account logging control makes the `AWS::ApiGateway::Account` whose CloudWatch Logs role
/// API Gateway needs to write those logs (a role API Gateway may assume, allowed to write to
/// its execution log groups), without which no stage of the account logs.
#[test]
fn api_stages_log_execution_at_error_or_info() {
    let all = renders();
    for (what, stage, _) in claimed_of(&all, &rest_api::REST_API, "AWS::ApiGateway::Stage") {
        let settings = method_settings(stage);
        assert!(
            settings.iter().any(|m| {
                m.get_path(&["HttpMethod"]).and_then(Node::as_str) == Some("*")
                    && m.get_path(&["ResourcePath"]).and_then(Node::as_str) == Some("/*")
                    && matches!(
                        m.get_path(&["LoggingLevel"]).and_then(Node::as_str),
                        Some("ERROR" | "INFO")
                    )
            }),
            "{what}: no ERROR or INFO logging for every method: {settings:?}"
        );
        for m in settings {
            assert_ne!(
                m.get_path(&["LoggingLevel"]).and_then(Node::as_str),
                Some("OFF"),
                "{what}: a method with logging off"
            );
        }
    }
    for (what, account, n) in claimed_of(
        &all,
        &rest_api::API_GATEWAY_ACCOUNT_LOGGING,
        "AWS::ApiGateway::Account",
    ) {
        let role_id = account
            .get_path(&["Properties", "CloudWatchRoleArn"])
            .and_then(target)
            .unwrap_or_else(|| panic!("{what}: no CloudWatch Logs role"));
        let role = n.get_path(&["Resources", role_id]).expect("the role");
        assert!(
            statements(role.get_path(&["Properties", "AssumeRolePolicyDocument"]))
                .iter()
                .any(|s| allows(s)
                    && list(s.get_path(&["Principal", "Service"]))
                        .iter()
                        .any(|p| p.as_str() == Some("apigateway.amazonaws.com"))),
            "{what}: API Gateway cannot assume {role_id}"
        );
        let writes = of_type(n, "AWS::IAM::ManagedPolicy")
            .into_iter()
            .any(|(_, p)| {
                list(p.get_path(&["Properties", "Roles"]))
                    .iter()
                    .any(|r| target(r) == Some(role_id))
                    && statements(p.get_path(&["Properties", "PolicyDocument"]))
                        .iter()
                        .any(|s| {
                            allows(s)
                                && list(s.get_path(&["Action"]))
                                    .iter()
                                    .any(|a| a.as_str() == Some("logs:PutLogEvents"))
                        })
            });
        assert!(writes, "{what}: {role_id} may not write logs");
    }
}

/// APIGateway.3 (`AWS::ApiGateway::Stage`, no parameters): fails unless X-Ray active tracing
/// is on for the stage.
#[test]
fn api_stages_trace_with_x_ray() {
    let all = renders();
    for (what, stage, _) in claimed_of(&all, &rest_api::REST_API, "AWS::ApiGateway::Stage") {
        assert!(
            is_true(stage, &["TracingEnabled"]),
            "{what}: TracingEnabled"
        );
    }
}

/// APIGateway.5 (`AWS::ApiGateway::Stage`, no parameters): fails if any method of the stage
/// caches and its cache is not encrypted. The hardened stage writes `CacheDataEncrypted` on
/// every method setting, so a cache switched on later is encrypted; and where a stage has a
/// cache cluster or a caching method, each of its settings encrypts.
#[test]
fn api_stage_caches_are_encrypted() {
    let all = renders();
    for (what, stage, _) in claimed_of(&all, &rest_api::REST_API, "AWS::ApiGateway::Stage") {
        let settings = method_settings(stage);
        assert!(!settings.is_empty(), "{what}: no method settings");
        for m in settings {
            assert_eq!(
                m.get_path(&["CacheDataEncrypted"]),
                Some(&Node::Bool(true)),
                "{what}: a method whose cache would not be encrypted: {m:?}"
            );
        }
    }
}

/// APIGateway.4 (`AWS::ApiGateway::Stage`, no parameters): fails unless the stage is
/// associated with a WAF web ACL. In every render that records the WAF control, every stage
/// has a `WebACLAssociation` naming it and a web ACL of the template.
#[test]
fn api_stages_are_behind_a_web_acl() {
    let all = renders();
    for (what, n) in stacks_recording(&all, &rest_api::REST_API_WAF) {
        let stages = of_type(n, "AWS::ApiGateway::Stage");
        assert!(!stages.is_empty(), "{what}: no stage beside the WAF claim");
        for (stage_id, _) in stages {
            let associated =
                of_type(n, "AWS::WAFv2::WebACLAssociation")
                    .into_iter()
                    .any(|(_, a)| {
                        let arn = a
                            .get_path(&["Properties", "ResourceArn", "Fn::Sub"])
                            .and_then(Node::as_str)
                            .unwrap_or("");
                        let acl = a
                            .get_path(&["Properties", "WebACLArn"])
                            .and_then(target)
                            .and_then(|id| n.get_path(&["Resources", id]))
                            .map(type_of);
                        arn.contains(":apigateway:")
                            && arn.ends_with(&format!("/stages/${{{stage_id}}}"))
                            && acl == Some("AWS::WAFv2::WebACL")
                    });
            assert!(associated, "{what}: stage {stage_id} has no web ACL");
        }
    }
}

/// WAF.10 (`AWS::WAFv2::WebACL`, no parameters): fails if the web ACL has no rule or rule
/// group. WAF.11 (`AWS::WAFv2::WebACL`, no parameters): fails unless logging is on for the
/// web ACL: an `AWS::WAFv2::LoggingConfiguration` of the template names it.
#[test]
fn web_acls_have_rules_and_log() {
    let all = renders();
    for (what, acl, n) in claimed_of(&all, &waf::WAF_WEB_ACL, "AWS::WAFv2::WebACL") {
        assert!(
            vals(acl, &["Rules"])
                .into_iter()
                .all(|r| r.and_then(Node::as_seq).is_some_and(|s| !s.is_empty())),
            "{what}: no rule (WAF.10)"
        );
        let id = resources(n)
            .into_iter()
            .find(|(_, r)| std::ptr::eq(*r, acl))
            .map(|(id, _)| id)
            .expect("the web ACL's id");
        let logged = of_type(n, "AWS::WAFv2::LoggingConfiguration")
            .into_iter()
            .any(|(_, l)| {
                l.get_path(&["Properties", "ResourceArn"]).and_then(target) == Some(id)
                    && !list(l.get_path(&["Properties", "LogDestinationConfigs"])).is_empty()
            });
        assert!(logged, "{what}: no logging configuration (WAF.11)");
    }
}

/// The user pools recording `c`.
fn pools<'a>(all: &'a [(String, String, Node)], c: &Control) -> Vec<(String, &'a Node)> {
    claimed_of(all, c, "AWS::Cognito::UserPool")
        .into_iter()
        .map(|(w, r, _)| (w, r))
        .collect()
}

/// Cognito.3 (`AWS::Cognito::UserPool`, parameters `minLength` 8, `requireLowercase`,
/// `requireUppercase`, `requireNumbers`, `requireSymbols` true, `temporaryPasswordValidityDays`
/// 7): fails if the password policy is weaker than any of them. Cognito.6
/// (`AWS::Cognito::UserPool`, no parameters): fails unless deletion protection is `ACTIVE`.
#[test]
fn user_pools_have_a_strong_password_policy_and_deletion_protection() {
    let all = renders();
    for (what, p) in pools(&all, &cognito::COGNITO_USER_POOL) {
        let pp = ["Policies", "PasswordPolicy"];
        let at = |k: &'static str| [&pp[..], &[k][..]].concat();
        assert!(
            every(p, &at("MinimumLength"), |v| int(v).is_some_and(|n| n >= 8)),
            "{what}: MinimumLength"
        );
        for k in [
            "RequireLowercase",
            "RequireUppercase",
            "RequireNumbers",
            "RequireSymbols",
        ] {
            assert!(is_true(p, &at(k)), "{what}: {k}");
        }
        assert!(
            every(p, &at("TemporaryPasswordValidityDays"), |v| int(v)
                .is_some_and(|n| n <= 7)),
            "{what}: TemporaryPasswordValidityDays"
        );
        assert!(
            is_str(p, &["DeletionProtection"], "ACTIVE"),
            "{what}: DeletionProtection (Cognito.6)"
        );
    }
}

/// Cognito.5 (`AWS::Cognito::UserPool`, no parameters): fails if a user pool that signs in
/// with passwords does not have MFA on. Every pool recording the MFA control offers TOTP
/// (`SOFTWARE_TOKEN_MFA`), with `MfaConfiguration` `ON` at enterprise and `OPTIONAL` below
/// it. AWS's page does not say whether `OPTIONAL` passes; the test holds the claim to what
/// the control documents, and requires `ON` at enterprise.
#[test]
fn user_pools_recording_mfa_have_it_on() {
    let all = renders();
    let mut on = 0;
    for (what, p) in pools(&all, &cognito::COGNITO_MFA) {
        let enterprise = what.contains("/enterprise");
        assert!(
            every(p, &["MfaConfiguration"], |v| {
                match v.and_then(Node::as_str) {
                    Some("ON") => true,
                    Some("OPTIONAL") => !enterprise,
                    _ => false,
                }
            }),
            "{what}: MfaConfiguration"
        );
        assert!(
            every(p, &["EnabledMfas"], |v| list(v)
                .iter()
                .any(|m| m.as_str() == Some("SOFTWARE_TOKEN_MFA"))),
            "{what}: TOTP is not enabled"
        );
        on += usize::from(enterprise);
    }
    assert!(on > 0, "no enterprise pool was checked");
}

/// Cognito.1 (`AWS::Cognito::UserPool`, parameter `SecurityMode`, default `ENFORCED`): fails
/// unless threat protection is on in full-function (enforced) mode for standard
/// authentication. Cognito.4 (no parameters): the same for custom authentication
/// (`AdvancedSecurityAdditionalFlows.CustomAuthMode`).
#[test]
fn user_pools_enforce_threat_protection() {
    let all = renders();
    for (what, p) in pools(&all, &cognito::COGNITO_THREAT_ENFORCED) {
        assert!(
            is_str(p, &["UserPoolAddOns", "AdvancedSecurityMode"], "ENFORCED"),
            "{what}: AdvancedSecurityMode (Cognito.1)"
        );
        assert!(
            is_str(
                p,
                &[
                    "UserPoolAddOns",
                    "AdvancedSecurityAdditionalFlows",
                    "CustomAuthMode"
                ],
                "ENFORCED"
            ),
            "{what}: CustomAuthMode (Cognito.4)"
        );
    }
}
