//! The project file, `harden.yaml`: each bad file under `tests/project_files/` gives its
//! documented error (snapshots: `X.yaml` → `X.expected`, re-blessed with `HARDEN_BLESS=1`);
//! good files select stacks, environments and overrides as documented; every command finds
//! the file by walking up from the current directory; `harden schema` describes it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary in `dir`, isolated from the machine's AWS setup.
fn harden(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("harden")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn files_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/project_files")
}

/// Every bad project file's message, with its file, line, column, snippet, what is allowed
/// and the hint, and its exit code.
#[test]
fn bad_project_files_give_their_documented_errors() {
    let dir = files_dir();
    let bless = std::env::var_os("HARDEN_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the bad files are there");
    let mut stale = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(f).unwrap();
        let mut args = vec!["render", "-p", name];
        if let Some(extra) = text.lines().next().and_then(|l| l.strip_prefix("# args: ")) {
            args.extend(extra.split(' '));
        }
        let r = harden(&dir, &args);
        let got = format!("$ harden {}\nexit {}\n{}", args.join(" "), r.code, r.stderr);
        assert_eq!(r.stdout, "", "{name}: nothing on stdout");
        assert_ne!(r.code, 0, "{name} is refused:\n{got}");
        assert!(!r.stderr.contains("panicked"), "{name}:\n{got}");
        let expected = f.with_extension("expected");
        if bless {
            std::fs::write(&expected, &got).unwrap();
        } else if std::fs::read_to_string(&expected).ok().as_deref() != Some(got.as_str()) {
            stale.push(format!("--- {}\n{got}", expected.display()));
        }
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "expected") && !p.with_extension("yaml").exists() {
            stale.push(format!("{} has no project file", p.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "messages differ from their snapshots (re-bless with HARDEN_BLESS=1 after checking):\n{}",
        stale.join("\n")
    );
}

const PROJECT: &str = r#"# yaml-language-server: $schema=./harden.schema.json
project: demo
stacks:
  - blueprint: batch-fargate
    name: jobs
    params:
      alert_email: ops@example.com
    tags:
      team: data
  - blueprint: cognito-api
    params:
      alert_email: ops@example.com
environments:
  dev:
    account: "123456789012"
    region: us-east-1
    tier: basic
    params:
      jobs:
        alert_email: dev@example.com
  prod:
    account: 210987654321
    region: eu-west-1
    tier: enterprise
    approval: review
    params:
      jobs:
        replica_region: eu-central-1
      cognito-api:
        replica_region: eu-central-1
"#;

/// Without flags, `render` takes the project file found above the current directory: every
/// stack in its order, at the environment's tier, with the environment's overrides, the
/// entry's tags, and the shared account baseline once.
#[test]
fn render_finds_the_project_file_above_and_uses_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("harden.yaml"), PROJECT).unwrap();
    let sub = tmp.path().join("deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    let r = harden(
        &sub,
        &["render", "--env", "dev", "--out", "out", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let names: Vec<String> = std::fs::read_dir(sub.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        names,
        [
            "cognito-api-data.json",
            "cognito-api.json",
            "harden-account-baseline.json",
            "jobs-api.json",
            "jobs.json"
        ]
    );
    let jobs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sub.join("out/jobs.json")).unwrap()).unwrap();
    let recorded = &jobs["Metadata"]["harden"]["Parameters"];
    assert_eq!(recorded["alert_email"], "dev@example.com", "{recorded}");
    // Only one baseline is rendered though both workloads deploy it.
    assert_eq!(
        r.stderr.matches("rendered harden-account-baseline").count(),
        1,
        "{}",
        r.stderr
    );
}

/// `--tier` and `--param` on the command line override the project file; `--stack` picks one
/// stack; `--name` is refused with the project's way to say it.
#[test]
fn flags_override_the_project_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("harden.yaml"), PROJECT).unwrap();
    let r = harden(
        tmp.path(),
        &[
            "render",
            "--env",
            "dev",
            "--stack",
            "jobs",
            "--tier",
            "enhanced",
            "--param",
            "alert_email=cli@example.com",
            "--out",
            "out",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let jobs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("out/jobs.json")).unwrap())
            .unwrap();
    assert_eq!(
        jobs["Metadata"]["harden"]["Parameters"]["alert_email"],
        "cli@example.com"
    );
    assert!(r.stderr.contains("tier enhanced"), "{}", r.stderr);
    assert!(!tmp.path().join("out/cognito-api.json").exists());

    let r = harden(tmp.path(), &["render", "--env", "dev", "--stak", "jobs"]);
    assert_eq!(r.code, 1);
    let r = harden(tmp.path(), &["render", "--env", "dev", "--stack", "job"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("has no stack named `job`")
            && r.stderr.contains("did you mean `--stack jobs`?"),
        "{}",
        r.stderr
    );
    let r = harden(tmp.path(), &["render", "--env", "dev", "--name", "x"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--stack NAME"), "{}", r.stderr);
    let r = harden(tmp.path(), &["render", "--env", "dev", "--param", "nope=1"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("no stack selected from `harden.yaml` has a parameter `nope`"),
        "{}",
        r.stderr
    );
}

/// With no project file and no `--blueprint`, the error says where harden looked and what to
/// do; the flag-only use of before still works.
#[test]
fn without_a_project_file_flags_still_work() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(tmp.path(), &["render"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: no `--blueprint` given and no `harden.yaml` in `"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint: run `harden init`"), "{}", r.stderr);
    let r = harden(tmp.path(), &["render", "--blueprint", "batch-fargate"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("needs `--tier` too"), "{}", r.stderr);
    let r = harden(
        tmp.path(),
        &["render", "--blueprint", "sagemaker-vpc", "--tier", "basic"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("AWSTemplateFormatVersion"));
    let r = harden(
        tmp.path(),
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--env",
            "dev",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("`--env` names an environment of a project file"),
        "{}",
        r.stderr
    );
}

/// `harden schema` is a JSON Schema of every key, with the required ones and no others.
#[test]
fn the_schema_describes_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(tmp.path(), &["schema"]);
    assert_eq!(r.code, 0);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["additionalProperties"], false);
    assert_eq!(
        s["required"],
        serde_json::json!(["project", "stacks", "environments"])
    );
    let env = &s["$defs"]["Environment"];
    assert_eq!(env["additionalProperties"], false);
    assert_eq!(
        env["required"],
        serde_json::json!(["account", "region", "tier"])
    );
    for key in [
        "approval",
        "allow_data_loss",
        "allow_broadening",
        "profile",
        "deploy_role",
        "params",
        "organization",
    ] {
        assert!(env["properties"][key].is_object(), "{key}");
    }
    let org = &s["$defs"]["Organization"];
    assert_eq!(org["additionalProperties"], false);
    assert_eq!(org["required"], serde_json::json!(["regions"]));
    assert_eq!(
        s["$defs"]["CallAsArg"]["oneOf"]
            .as_array()
            .map(|v| v.iter().map(|x| x["const"].clone()).collect::<Vec<_>>()),
        Some(vec![
            serde_json::json!("self"),
            serde_json::json!("delegated-admin")
        ])
    );
    assert_eq!(
        s["$defs"]["TierName"]["enum"],
        serde_json::json!(["basic", "enhanced", "enterprise"])
    );
}

/// `harden iam-policy` in a project: the policy for every stack of the project once (the
/// shared baseline counted once), with the environment's account and region in the ARNs.
#[test]
fn iam_policy_takes_the_project_and_its_environment() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("harden.yaml"), PROJECT).unwrap();
    let r = harden(tmp.path(), &["iam-policy", "--env", "prod"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = doc.to_string();
    assert!(text.contains(":eu-west-1:210987654321:"), "{text}");
    // The replica stacks' statements name their region.
    assert!(text.contains(":eu-central-1:210987654321:"), "{text}");
    assert!(!text.contains("${AWS::AccountId}"), "{text}");
    assert!(
        !text.contains("123456789012"),
        "only prod's account: {text}"
    );
    let r = harden(
        tmp.path(),
        &["iam-policy", "--env", "prod", "--format", "text"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("service role policy for batch-fargate (tier enterprise), cognito-api (tier enterprise): harden-account-baseline, harden-account-monitoring, jobs-replica (in eu-central-1), jobs, jobs-api, cognito-api-replica (in eu-central-1), cognito-api-data, cognito-api\n"),
        "{}",
        r.stdout.lines().next().unwrap_or_default()
    );
}
