//! `harden check` on files and directories as a user runs it: exit codes, places, the JSON
//! shape, suppressions and the allow-list, and bad input.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn harden(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("harden")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A security group open to the internet on 443, once bare and once excepted with a reason.
const OPEN: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
          Description: https from anywhere
";

fn excepted(reason: &str) -> String {
    OPEN.replace(
        "    Properties:\n",
        &format!("    Metadata:\n      harden:\n        suppress:\n          - id: no-open-ingress\n            reason: {reason}\n    Properties:\n"),
    )
}

#[test]
fn a_finding_names_its_file_line_and_fix_and_fails_the_check() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("web.yaml"), OPEN).unwrap();
    let r = harden(d.path(), &["check", "web.yaml"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("web.yaml:8:"), "{}", r.stdout);
    assert!(r.stdout.contains("[no-open-ingress]"), "{}", r.stdout);
    assert!(r.stdout.contains("fix: "), "{}", r.stdout);
    // Above the finding's severity, the check passes.
    let r = harden(d.path(), &["check", "web.yaml", "--fail-on", "critical"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn json_output_has_the_documented_fields() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("web.yaml"), OPEN).unwrap();
    let r = harden(d.path(), &["check", "web.yaml", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "no-open-ingress")
        .expect("the open ingress is a finding");
    for key in [
        "rule",
        "severity",
        "file",
        "line",
        "resource",
        "message",
        "equivalents",
    ] {
        assert!(!f[key].is_null(), "finding lacks `{key}`: {f}");
    }
    assert_eq!(f["file"], "web.yaml");
    assert_eq!(f["resource"], "Web");
    assert_eq!(f["line"], 8);
    assert!(f["equivalents"].is_object(), "{f}");
    assert!(f.get("suppressed").is_none(), "{f}");
    assert_eq!(v["summary"]["failing"], 1);
}

#[test]
fn a_reasoned_suppression_is_honoured_and_listed_a_reasonless_one_is_a_finding() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("ok.yaml"), excepted("the public web tier")).unwrap();
    let r = harden(d.path(), &["check", "ok.yaml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("exceptions:"), "{}", r.stdout);
    assert!(r.stdout.contains("the public web tier"), "{}", r.stdout);
    let r = harden(d.path(), &["check", "ok.yaml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["findings"][0]["suppressed"], "the public web tier");
    // --no-suppressions: the finding stands.
    let r = harden(d.path(), &["check", "ok.yaml", "--no-suppressions"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    fs::write(d.path().join("bare.yaml"), excepted("''")).unwrap();
    let r = harden(d.path(), &["check", "bare.yaml"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("[suppression-needs-reason]"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_allow_list_refuses_other_suppressions_and_a_bad_list_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("ok.yaml"), excepted("the public web tier")).unwrap();
    fs::write(
        d.path().join("team.yaml"),
        "allow:\n  - rule: no-inline-policies\n",
    )
    .unwrap();
    let r = harden(
        d.path(),
        &["check", "ok.yaml", "--allowed-suppressions", "team.yaml"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("[suppression-not-allowed]"),
        "{}",
        r.stdout
    );
    fs::write(
        d.path().join("team.yaml"),
        "allow:\n  - rule: no-open-ingress\n    types: [AWS::EC2::SecurityGroup]\n",
    )
    .unwrap();
    let r = harden(
        d.path(),
        &["check", "ok.yaml", "--allowed-suppressions", "team.yaml"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    fs::write(
        d.path().join("bad.yaml"),
        "allow:\n  - rule: no-open-ingres\n",
    )
    .unwrap();
    let r = harden(
        d.path(),
        &["check", "ok.yaml", "--allowed-suppressions", "bad.yaml"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.yaml:2:5"), "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean `no-open-ingress`"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_exits_2_and_a_broken_template_is_a_placed_finding() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        vec!["check", "missing.yaml"],
        vec!["check", "--format", "xml", "x.yaml"],
        vec!["check", "--tier", "gold", "x.yaml"],
        vec!["check", "--fail-on", "severe", "x.yaml"],
        vec!["check", "x.yaml", "--blueprint", "sagemaker-vpc"],
        vec!["check", "--blueprint", "no-such-blueprint"],
    ] {
        let r = harden(d.path(), &args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.starts_with("error:"), "{args:?}: {}", r.stderr);
    }
    fs::write(d.path().join("broken.yaml"), "Resources:\n  A: [\n").unwrap();
    let r = harden(d.path(), &["check", "broken.yaml"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("broken.yaml:3:1"), "{}", r.stdout);
    assert!(r.stdout.contains("[template-unreadable]"), "{}", r.stdout);
}

#[test]
fn a_directory_is_walked_and_what_harden_renders_passes_its_own_check() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("stacks")).unwrap();
    fs::write(d.path().join("stacks/web.yaml"), OPEN).unwrap();
    fs::write(d.path().join("stacks/workflow.yml"), "on: push\n").unwrap();
    let r = harden(d.path(), &["check", "stacks"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("stacks/web.yaml"), "{}", r.stdout);
    assert!(
        r.stdout.contains("skipped `stacks/workflow.yml`"),
        "{}",
        r.stdout
    );
    for tier in ["basic", "enhanced"] {
        let r = harden(
            d.path(),
            &["check", "--blueprint", "sagemaker-vpc", "--tier", tier],
        );
        assert_eq!(r.code, 0, "{tier}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("sagemaker-vpc.yaml"), "{}", r.stdout);
    }
}

#[test]
fn list_rules_lists_the_registry_as_text_and_json() {
    let d = tempfile::tempdir().unwrap();
    let r = harden(d.path(), &["check", "--list-rules", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rule = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "no-wildcard-actions")
        .expect("listed");
    for key in [
        "title",
        "severity",
        "resource_types",
        "security_hub",
        "cis",
        "equivalents",
    ] {
        assert!(!rule[key].is_null(), "{key}: {rule}");
    }
    let r = harden(d.path(), &["check", "--list-rules"]);
    assert!(r.stdout.contains("no-wildcard-actions"), "{}", r.stdout);
}
