//! harden's SARIF, judged by the official SARIF 2.1.0 schema (vendored under `schemas/`, see
//! its README) through check-jsonschema, which `scripts/tools.sh` installs into `.tools/`. A
//! missing validator fails the test: a judge that does not run proves nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use harden_blueprints::Tier;
use harden_check::format::sarif;
use harden_check::{check_all, Input, Settings};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("check/ sits in the workspace")
        .to_path_buf()
}

fn validator() -> PathBuf {
    let p = workspace().join(".tools/checkjsonschema/bin/check-jsonschema");
    assert!(
        p.exists(),
        "{} is not installed\nhint: run `bash scripts/tools.sh` (the README's test command does)",
        p.display()
    );
    p
}

fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json")
}

/// Runs check-jsonschema on `doc`; its exit status and output.
fn validate(doc: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(validator())
        .arg("--schemafile")
        .arg(schema())
        .arg(&file)
        .output()
        .expect("check-jsonschema runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const OPEN: &str = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0\n";

const EXCEPTED: &str = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      harden:\n        suppress:\n          - id: no-open-ingress\n            reason: the public load balancer's listener\n          - id: no-open-ingress\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: 0.0.0.0/0\n";

fn sample() -> String {
    let inputs = [
        Input {
            name: "templates/open sg.yaml".into(),
            text: OPEN.into(),
        },
        Input {
            name: "/abs/excepted.yaml".into(),
            text: EXCEPTED.into(),
        },
        Input {
            name: "broken.yaml".into(),
            text: "Resources:\n  A: [\n".into(),
        },
    ];
    let report = check_all(&inputs, &Settings::at(Tier::Enterprise));
    let kinds: Vec<(&str, bool)> = report
        .findings()
        .map(|f| (f.rule.as_str(), f.suppressed.is_some()))
        .collect();
    assert!(kinds.contains(&("no-open-ingress", false)), "{kinds:?}");
    assert!(kinds.contains(&("no-open-ingress", true)), "{kinds:?}");
    assert!(kinds.contains(&("template-unreadable", false)), "{kinds:?}");
    sarif::render(&report, &["a note for the whole run".into()])
}

#[test]
fn sarif_with_findings_suppressions_and_an_unreadable_template_meets_the_schema() {
    let doc = sample();
    let (ok, out) = validate(&doc);
    assert!(
        ok,
        "the SARIF does not meet the 2.1.0 schema:\n{out}\n{doc}"
    );
}

#[test]
fn an_empty_run_meets_the_schema() {
    let report = check_all(&[], &Settings::at(Tier::Basic));
    let (ok, out) = validate(&sarif::render(&report, &[]));
    assert!(ok, "{out}");
}

/// Guards the judge itself: a result without its required `message`, or with an unknown
/// level, is refused, so the schema and validator above can fail.
#[test]
fn the_schema_refuses_a_broken_log() {
    let mut v: serde_json::Value = serde_json::from_str(&sample()).unwrap();
    v["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    let (ok, _) = validate(&v.to_string());
    assert!(!ok, "a result without a message passed");
    let mut v: serde_json::Value = serde_json::from_str(&sample()).unwrap();
    v["runs"][0]["results"][0]["level"] = "severe".into();
    let (ok, _) = validate(&v.to_string());
    assert!(!ok, "an unknown level passed");
}
