//! `harden check --format sarif|markdown` and `harden report` through the real binary, and the
//! report's HTML page opened in headless Chromium (installed by `scripts/tools.sh`; file://
//! only, never the network), its screenshot kept in `target/test-output/report.png`.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

const OPEN: &str = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn harden(args: &[&str], dir: &Path) -> Run {
    let out = Command::cargo_bin("harden")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn with_template() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("open.yaml"), OPEN).unwrap();
    dir
}

#[test]
fn check_writes_sarif_for_code_scanning() {
    let dir = with_template();
    let r = harden(&["check", "open.yaml", "--format", "sarif"], dir.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "harden");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let res = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "no-open-ingress")
        .expect("the open ingress");
    let loc = &res["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "open.yaml");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 7);
}

#[test]
fn check_writes_markdown_for_a_pull_request() {
    let dir = with_template();
    let r = harden(&["check", "open.yaml", "--format", "markdown"], dir.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("## harden check failed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("| `no-open-ingress` | `Open` (AWS::EC2::SecurityGroup) | `open.yaml:7` |"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_usage_errors_exit_2() {
    let dir = with_template();
    for args in [
        &["check", "open.yaml", "--format", "yaml"][..],
        &["check", "open.yaml", "--tier", "platinum"][..],
        &["check", "--list-rules", "--format", "sarif"][..],
    ] {
        let r = harden(args, dir.path());
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(!r.stderr.is_empty(), "{args:?} says why");
    }
}

fn report(format: &str, dir: &Path) -> Run {
    harden(
        &[
            "report",
            "--blueprint",
            "cognito-api",
            "--tier",
            "enhanced",
            "--format",
            format,
        ],
        dir,
    )
}

#[test]
fn report_writes_the_matrix_as_json_with_a_stable_shape() {
    let dir = tempfile::tempdir().unwrap();
    let r = report("json", dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["tier"], "enhanced");
    let stacks = v["stacks"].as_array().unwrap();
    let data = stacks
        .iter()
        .find(|s| s["stack"] == "cognito-api-data")
        .expect("the data stack");
    let kms = data["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "kms-key")
        .expect("the data stack carries a KMS key");
    assert!(!kms["resources"].as_array().unwrap().is_empty());
    assert_eq!(kms["cis"][0], "3.6");
    assert!(data["not_applicable"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| !n["reason"].as_str().unwrap().is_empty()));
    // The same selection gives the same bytes: nothing in it changes from run to run.
    assert_eq!(r.stdout, report("json", dir.path()).stdout);
}

#[test]
fn report_writes_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let r = report("markdown", dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("# Compliance report: tier `enhanced`"));
    assert!(r.stdout.contains("## `cognito-api-data`"));
    assert!(r.stdout.contains("| `kms-key` |"));
}

#[test]
fn report_refuses_an_unknown_tier_and_format() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["report", "--blueprint", "cognito-api", "--tier", "platinum"][..],
        &[
            "report",
            "--blueprint",
            "cognito-api",
            "--tier",
            "basic",
            "--format",
            "pdf",
        ][..],
    ] {
        let r = harden(args, dir.path());
        assert_ne!(r.code, 0, "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("chromium"))
            .find(|p| p.exists())
    });
    found.expect("chromium is not installed\nhint: run `bash scripts/tools.sh` (the README's test command does)")
}

/// Chromium, headless, offline: no sandbox (CI containers run as root), no GPU, no first-run
/// or background network traffic; the page is a local file.
fn headless(extra: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn the_html_report_opens_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let r = harden(
        &[
            "report",
            "--blueprint",
            "cognito-api",
            "--tier",
            "enhanced",
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("wrote"), "{}", r.stderr);

    let dom = headless(&["--dump-dom"], &page);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    // The browser parsed the matrix: a stack's section, a control's row, the summary table.
    assert!(
        dom_text.contains("<section id=\"stack-cognito-api-data\""),
        "{dom_text}"
    );
    assert!(
        dom_text.contains("<tr data-control=\"kms-key\">"),
        "{dom_text}"
    );
    assert!(dom_text.contains("<table id=\"summary\">"), "{dom_text}");

    let out_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
    std::fs::create_dir_all(&out_dir).unwrap();
    let png = out_dir.join("report.png");
    let _ = std::fs::remove_file(&png);
    let shot = headless(
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
        &page,
    );
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("the screenshot was written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert!(
        bytes.len() > 20_000,
        "a blank page is smaller: {} bytes",
        bytes.len()
    );
}
