//! The weak templates of `tests/weak/` (network, logging, API): harden flags every resource
//! checkov 3.3.30 fails for the checks harden's rules name as equivalents, and the weaknesses
//! checkov has no check for.
//!
//! The checkov failures below were recorded by running
//! `checkov -f FILE --framework cloudformation -o json --quiet --compact` on each file; the
//! parity harness (`checkov_parity.rs`) runs checkov itself where it is installed.

use std::collections::BTreeSet;

use harden_blueprints::cfn::parse::parse_template;
use harden_blueprints::rules::{check, Finding, Options};
use harden_blueprints::tier::Tier;

/// The findings on a weak template, at the highest tier.
fn run(file: &str) -> Vec<Finding> {
    let path = format!("{}/tests/weak/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the weak template is readable");
    let t = parse_template(&text).expect("the weak template parses");
    check(&t, &Options::at(Tier::Enterprise))
}

/// `(rule id, resource)` of every finding on a weak template.
fn findings(file: &str) -> BTreeSet<(String, String)> {
    run(file)
        .into_iter()
        .map(|f| (f.rule.id.to_string(), f.resource))
        .collect()
}

/// Every checkov failure is matched by a finding of a rule naming that checkov id.
fn covers_checkov(file: &str, failed: &[(&str, &str)]) {
    let found = run(file);
    for (id, resource) in failed {
        assert!(
            found
                .iter()
                .any(|f| f.resource == *resource && f.rule.equivalents.checkov.contains(id)),
            "{file}: checkov fails `{resource}` for {id}, harden does not"
        );
    }
}

fn has(found: &BTreeSet<(String, String)>, rule: &str, resource: &str) -> bool {
    found.contains(&(rule.to_string(), resource.to_string()))
}

#[test]
fn network_weaknesses_checkov_finds_are_found_and_more() {
    covers_checkov(
        "network.yaml",
        &[
            ("CKV_AWS_23", "SshOpen"),
            ("CKV_AWS_23", "WideRange"),
            ("CKV_AWS_23", "PrivateEgress"),
            ("CKV_AWS_23", "HttpIngress"),
            ("CKV_AWS_24", "SshOpen"),
            ("CKV_AWS_24", "WideRange"),
            ("CKV_AWS_25", "RdpOpenV6"),
            ("CKV_AWS_25", "WideRange"),
            ("CKV_AWS_260", "WideRange"),
            ("CKV_AWS_260", "HttpIngress"),
        ],
    );
    let found = findings("network.yaml");
    for (rule, resource) in [
        ("vpc-flow-logs", "Vpc"),
        ("ec2-subnet-public-ip", "PublicSubnet"),
        ("ec2-sg-open-egress", "SshOpen"),
        ("ec2-sg-open-egress", "RdpOpenV6"),
        ("vpc-endpoint-policy", "S3Endpoint"),
        ("no-open-ingress", "HttpIngress"),
    ] {
        assert!(has(&found, rule, resource), "`{rule}` misses `{resource}`");
    }
    // The hardened group passes every network rule.
    assert!(!found.iter().any(|(_, r)| r == "Web"), "{found:?}");
}

#[test]
fn logging_weaknesses_checkov_finds_are_found_and_more() {
    covers_checkov(
        "logging.yaml",
        &[
            ("CKV_AWS_35", "BareTrail"),
            ("CKV_AWS_36", "BareTrail"),
            ("CKV_AWS_36", "HalfTrail"),
            ("CKV_AWS_67", "BareTrail"),
            ("CKV_AWS_66", "BareLogs"),
            ("CKV_AWS_158", "BareLogs"),
            ("CKV_AWS_158", "ShortLogs"),
        ],
    );
    let found = findings("logging.yaml");
    for (rule, resource) in [
        ("cloudtrail-cloudwatch-logs", "HalfTrail"),
        // Seven days is kept: checkov passes it, harden asks a year.
        ("log-group-retention", "ShortLogs"),
        ("lambda-log-group", "Billing"),
        ("guardduty-enabled", "Detector"),
        ("guardduty-protection-plans", "Detector"),
        ("config-records-all-resources", "Recorder"),
    ] {
        assert!(has(&found, rule, resource), "`{rule}` misses `{resource}`");
    }
    assert!(
        !has(&found, "lambda-log-group", "Orders"),
        "`/aws/lambda/orders` is its group"
    );
    assert!(!found.iter().any(|(_, r)| r == "KeptLogs"), "{found:?}");
}

#[test]
fn api_weaknesses_checkov_finds_are_found_and_more() {
    covers_checkov(
        "api.yaml",
        &[
            ("CKV_AWS_59", "OpenMethod"),
            ("CKV_AWS_73", "BareStage"),
            ("CKV_AWS_76", "BareStage"),
            ("CKV_AWS_120", "BareStage"),
            ("CKV_AWS_158", "AccessLogs"),
            ("CKV_AWS_192", "NoLog4j"),
            ("CKV_AWS_192", "Log4jCounted"),
        ],
    );
    let found = findings("api.yaml");
    for (rule, resource) in [
        ("apigw-cache-encrypted", "CachedStage"),
        ("apigw-execution-logs", "BareStage"),
        ("apigw-execution-log-group", "CachedStage"),
        ("apigw-stage-waf", "BareStage"),
        ("apigw-stage-waf", "CachedStage"),
        ("cognito-mfa", "Pool"),
        ("cognito-threat-protection", "Pool"),
        ("cognito-threat-protection-enforced", "Pool"),
        ("cognito-password-policy", "Pool"),
        ("waf-logging", "NoLog4j"),
        ("waf-logging", "Log4jCounted"),
    ] {
        assert!(has(&found, rule, resource), "`{rule}` misses `{resource}`");
    }
    for passing in ["Preflight", "IamMethod", "Log4jBlocked"] {
        assert!(
            !found.iter().any(|(_, r)| r == passing),
            "{passing}: {found:?}"
        );
    }
}
