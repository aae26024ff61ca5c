//! The GitHub Actions workflow `harden init` writes, judged by tools nobody here wrote:
//! `check-jsonschema` against the workflow schema it vendors (`vendor.github-workflows`), and
//! `zizmor --offline` at its strictest persona (`pedantic`), which must find nothing, with no
//! ignore file. The project file beside it is checked against `harden.schema.json` and
//! rendered in every environment. Both are installed by `scripts/tools.sh` into `.tools/`: a missing tool fails
//! the test (CI installs them), it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(venv: &str, bin: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".tools")
        .join(venv)
        .join("bin")
        .join(bin);
    assert!(
        p.exists(),
        "{} is not installed\nhint: run `bash scripts/tools.sh` (the README's test command does)",
        p.display()
    );
    p
}

/// Runs `harden init` in a new directory with these flags and returns the workflow's path.
fn init(tmp: &Path, flags: &[&str]) -> PathBuf {
    let out = assert_cmd::Command::cargo_bin("harden")
        .unwrap()
        .arg("init")
        .arg(tmp)
        .args(flags)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "harden init {flags:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wf = tmp.join(".github/workflows/harden.yml");
    assert!(wf.exists(), "{flags:?} wrote no workflow");
    wf
}

const DIGEST: &str =
    "image_tag=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The combinations judged: one environment; two with `prod` under review and its own tier;
/// several blueprints with data-loss-free defaults and a custom branch.
fn combinations() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "one env",
            vec![
                "--blueprint",
                "sagemaker-vpc",
                "--tier",
                "basic",
                "--env",
                "dev=123456789012/us-east-1",
                "--ci",
                "github",
                "--github-repository",
                "acme/infra",
            ],
        ),
        (
            "two envs, prod reviewed",
            vec![
                "--blueprint",
                "sagemaker-vpc",
                "--tier",
                "enhanced",
                "--env",
                "dev=123456789012/us-east-1",
                "--env",
                "prod=210987654321/eu-west-1/enterprise",
                "--alert-email",
                "ops@example.com",
                "--param",
                DIGEST,
                "--param",
                "replica_region=eu-central-1",
                "--github-repository",
                "acme/infra",
            ],
        ),
        (
            "several blueprints",
            vec![
                "--blueprint",
                "batch-fargate",
                "--blueprint",
                "cognito-api",
                "--blueprint",
                "account-baseline",
                "--tier",
                "enhanced",
                "--name",
                "platform",
                "--env",
                "staging=123456789012/us-west-2",
                "--env",
                "production=210987654321/us-gov-west-1",
                "--env",
                "sandbox=333333333333/ap-southeast-2/basic",
                "--alert-email",
                "ops@example.com",
                "--github-repository",
                "acme-corp/platform.infra",
                "--github-branch",
                "release/prod",
            ],
        ),
    ]
}

#[test]
fn the_workflow_passes_check_jsonschema_and_zizmor() {
    let check = tool("checkjsonschema", "check-jsonschema");
    let zizmor = tool("zizmor", "zizmor");
    for (what, flags) in combinations() {
        let tmp = tempfile::tempdir().unwrap();
        let wf = init(tmp.path(), &flags);
        let out = Command::new(&check)
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(&wf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: check-jsonschema:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The project file against the schema written beside it, and read back by harden:
        // every environment renders with no other flag.
        let out = Command::new(&check)
            .arg("--schemafile")
            .arg(tmp.path().join("harden.schema.json"))
            .arg(tmp.path().join("harden.yaml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: harden.yaml against harden.schema.json:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let envs = flags
            .windows(2)
            .filter(|w| w[0] == "--env")
            .map(|w| w[1].split_once('=').unwrap().0);
        for env in envs {
            let out = assert_cmd::Command::cargo_bin("harden")
                .unwrap()
                .args(["render", "--env", env, "--out"])
                .arg(tmp.path().join("out").join(env))
                .current_dir(tmp.path())
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{what}: harden render --env {env}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = Command::new(&zizmor)
            .args([
                "--offline",
                "--persona",
                "pedantic",
                "--no-progress",
                "--format",
                "plain",
            ])
            .arg(&wf)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("No findings to report"),
            "{what}: zizmor (exit {:?}):\n{stdout}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.contains("suppressed") && !stdout.contains("ignored"),
            "{what}: zizmor found something it did not report:\n{stdout}"
        );
    }
}

/// What the judges do not look at: every action pinned to a full commit with its version,
/// no `${{ }}` inside `run:`, the roles and commands of each environment, the reviewed
/// environment, and per-environment concurrency that never cancels a deploy.
#[test]
fn the_workflow_pins_actions_and_keeps_expressions_out_of_scripts() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, flags) = &combinations()[2];
    let wf = std::fs::read_to_string(init(tmp.path(), flags)).unwrap();
    let mut uses = 0;
    let mut in_run = false;
    for line in wf.lines() {
        let t = line.trim_start();
        if let Some(u) = t.strip_prefix("- uses: ") {
            uses += 1;
            let (action, rest) = u.split_once('@').expect(line);
            let (sha, comment) = rest.split_once(" # v").expect(line);
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{action} is not pinned to a commit: {line}"
            );
            assert!(!comment.is_empty(), "{line}");
        }
        if t.starts_with("run: ") || t == "run: |" {
            in_run = true;
        } else if in_run && !line.starts_with("          ") && !t.is_empty() {
            in_run = false;
        }
        if t.starts_with("run:") || in_run {
            assert!(!line.contains("${{"), "an expression inside `run:`: {line}");
        }
    }
    assert_eq!(uses, 2 * 2 * 3, "checkout and credentials in 6 jobs");
    assert!(wf.starts_with("# Written by `harden init`"));
    assert!(wf.contains("\npermissions: {}\n"), "{wf}");
    assert_eq!(wf.matches("persist-credentials: false").count(), 6);
    for (env, account, region) in [
        ("staging", "123456789012", "us-west-2"),
        ("production", "210987654321", "us-gov-west-1"),
        ("sandbox", "333333333333", "ap-southeast-2"),
    ] {
        let partition = if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        for role in ["plan", "ci"] {
            assert!(
                wf.contains(&format!(
                    "role-to-assume: arn:{partition}:iam::{account}:role/harden-platform-{role}-{region}\n"
                )),
                "{env} {role}"
            );
        }
        assert!(
            wf.contains(&format!(
                "harden plan --env {env} --format markdown --detailed-exitcode"
            )),
            "{env}"
        );
        assert!(
            wf.contains(&format!("run: harden deploy --env {env} --yes\n")),
            "{env}"
        );
        assert!(
            wf.contains(&format!(
                "group: harden-deploy-{env}\n      cancel-in-progress: false"
            )),
            "{env}"
        );
        assert!(
            wf.contains(&format!("<!-- harden plan: {env} -->")),
            "{env}"
        );
    }
    assert!(wf.contains("    environment: production\n"), "{wf}");
    assert!(!wf.contains("environment: staging") && !wf.contains("environment: sandbox"));
    // Deploys run in harden.yaml's order.
    assert!(wf.contains("  deploy-production:\n    name: deploy (production)\n    if: ${{ github.event_name == 'push' }}\n    needs: deploy-staging\n"), "{wf}");
    assert!(wf.contains("    needs: deploy-production\n"), "{wf}");
    assert!(wf.contains("branches: [release/prod]"), "{wf}");
    assert!(wf.contains(&format!(
        "HARDEN_VERSION: \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(wf.contains(
        "cargo \"+$RUST_TOOLCHAIN\" install --locked harden --version \"=$HARDEN_VERSION\""
    ));
}

/// The workflow's install step, run by bash with `rustup` and `cargo` replaced by stubs that
/// record their arguments: crates.io at the pinned version by default; with the repository
/// variables `HARDEN_GIT` and `HARDEN_REV`, that commit; a `HARDEN_REV` that is not a full
/// commit id stops the job before anything is built.
#[test]
fn the_install_step_builds_the_pinned_harden_from_crates_io_or_one_git_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = init(tmp.path(), &combinations()[0].1);
    let doc: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&wf).unwrap()).unwrap();
    let steps = doc["jobs"]["deploy-dev"]["steps"].as_array().unwrap();
    let script = steps
        .iter()
        .find(|s| s["name"] == "Install harden")
        .and_then(|s| s["run"].as_str())
        .expect("an install step")
        .to_string();
    let version = doc["env"]["HARDEN_VERSION"].as_str().unwrap().to_string();
    let toolchain = doc["env"]["RUST_TOOLCHAIN"].as_str().unwrap().to_string();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for stub in ["rustup", "cargo"] {
        let p = bin.join(stub);
        std::fs::write(&p, format!("#!/bin/sh\necho \"{stub} $*\" >> \"$CALLS\"\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = |git: &str, rev: &str| -> (bool, String) {
        let calls = tmp.path().join("calls");
        let _ = std::fs::remove_file(&calls);
        let out = Command::new("bash")
            .args(["-e", "-c", &script])
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("CALLS", &calls)
            .env("HARDEN_VERSION", &version)
            .env("RUST_TOOLCHAIN", &toolchain)
            .env("HARDEN_GIT", git)
            .env("HARDEN_REV", rev)
            .output()
            .unwrap();
        (
            out.status.success(),
            std::fs::read_to_string(&calls).unwrap_or_default(),
        )
    };
    let (ok, calls) = run("", "");
    assert!(ok);
    assert_eq!(
        calls,
        format!("rustup toolchain install {toolchain} --profile minimal\ncargo +{toolchain} install --locked harden --version ={version}\n")
    );
    let rev = "0123456789abcdef0123456789abcdef01234567";
    let (ok, calls) = run("https://git.example.com/harden.git", rev);
    assert!(ok);
    assert!(
        calls.ends_with(&format!("cargo +{toolchain} install --locked --git https://git.example.com/harden.git --rev {rev} harden\n")),
        "{calls}"
    );
    for bad in ["v1.0.0", "main", "0123456789abcdef", ""] {
        let (ok, calls) = run("https://git.example.com/harden.git", bad);
        assert!(!ok, "HARDEN_REV={bad:?} is refused");
        assert!(
            !calls.contains("install --locked"),
            "nothing built for {bad:?}: {calls}"
        );
    }
}
