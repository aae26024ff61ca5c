//! Full cycles through the real binary against moto's CloudFormation server on 127.0.0.1:
//! deploy, no-op, a parameter change, a saved plan, a stale saved plan, a tier upgrade,
//! destroy, on real rendered stacks.
//!
//! moto is installed by `scripts/tools.sh` (the test command runs it) into `.tools/moto`.
//! Where moto mis-handles something AWS accepts, the test records what moto does, with a
//! comment; the product's templates are not bent to it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let server = std::env::var_os("HARDEN_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools/moto/bin/moto_server"));
        assert!(
            server.exists(),
            "moto is not installed at {}\nhint: run `bash scripts/tools.sh` (the README's test command does)",
            server.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log =
            std::fs::File::create(std::env::temp_dir().join(format!("harden-moto-{port}.log")))
                .unwrap();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary, isolated from this machine's AWS setup: no shared config or credentials
/// files, no instance metadata, no colour, CI mode, fast polling. `env` sets more variables
/// (`None` removes one).
fn run(dir: &Path, endpoint: &str, env: &[(&str, Option<&str>)], args: &[&str]) -> Run {
    let mut cmd = assert_cmd::Command::cargo_bin("harden").unwrap();
    cmd.args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("CI", "true")
        .env("NO_COLOR", "1")
        .env("HARDEN_POLL_MS", "50")
        .timeout(Duration::from_secs(300));
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!(
        "$ harden {}\n-> {}\n{}{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

/// Test credentials and region.
const TEST_ACCOUNT: &[(&str, Option<&str>)] = &[
    ("AWS_ACCESS_KEY_ID", Some("testing")),
    ("AWS_SECRET_ACCESS_KEY", Some("testing")),
    ("AWS_REGION", Some("us-east-1")),
];

/// The binary against moto with test credentials.
fn harden(moto: &Moto, dir: &Path, args: &[&str]) -> Run {
    run(dir, &moto.url(), TEST_ACCOUNT, args)
}

fn client(moto: &Moto) -> aws_sdk_cloudformation::Client {
    let conf = aws_sdk_cloudformation::Config::builder()
        .behavior_version_latest()
        .endpoint_url(moto.url())
        .region(aws_sdk_cloudformation::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_cloudformation::Client::from_conf(conf)
}

/// Change sets of the stack that have not been executed. (AWS removes a stack's change sets
/// once one is executed; moto 5.2.5 keeps listing the executed one, so it is not counted.)
fn change_sets(moto: &Moto, stack: &str) -> usize {
    let c = client(moto);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            c.list_change_sets()
                .stack_name(stack)
                .send()
                .await
                .map(|o| {
                    o.summaries()
                        .iter()
                        .filter(|s| {
                            s.execution_status().map(|e| e.as_str()) != Some("EXECUTE_COMPLETE")
                        })
                        .count()
                })
                .unwrap_or(0)
        })
}

const BASIC: &[&str] = &["--blueprint", "sagemaker-vpc", "--tier", "basic"];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn deploy_noop_change_saved_plan_upgrade_destroy_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // A new stack: the plan shows a create, and --detailed-exitcode says "changes" (2).
    let r = harden(
        &moto,
        dir,
        &with(&["plan"], &with(BASIC, &["--detailed-exitcode"])),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("sagemaker-vpc"), "{}", r.stdout);
    assert_eq!(
        change_sets(&moto, "sagemaker-vpc"),
        0,
        "plan leaves no change set behind"
    );

    // Deploy with no terminal and no --yes: approval needed (3), nothing created.
    let r = harden(&moto, dir, &with(&["deploy"], BASIC));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("approval needed"), "{}", r.stderr);

    // Deploy.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("stack sagemaker-vpc: CREATE_COMPLETE"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["status"], BASIC));
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("stack sagemaker-vpc: CREATE_COMPLETE"),
        "{}",
        r.stdout
    );
    // (moto 5.2.5 returns no Outputs for this stack, so they are not checked here.)

    // No-op: detected client-side, nothing left behind.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
    let r = harden(
        &moto,
        dir,
        &with(&["plan"], &with(BASIC, &["--detailed-exitcode"])),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(change_sets(&moto, "sagemaker-vpc"), 0);

    // A parameter change: planned (replacement of the endpoint configuration predicted from
    // its create-only properties), then deployed.
    let change = with(BASIC, &["--param", "instance_type=ml.c5.xlarge"]);
    let r = harden(
        &moto,
        dir,
        &with(
            &["plan", "--format", "json", "--detailed-exitcode"],
            &change,
        ),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(r.stdout.contains("EndpointConfig"), "{}", r.stdout);
    assert_eq!(plan["format_version"], 1);
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &change));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("stack sagemaker-vpc: UPDATE_COMPLETE"),
        "{}",
        r.stderr
    );

    // A saved plan executes exactly its change set.
    let change2 = with(BASIC, &["--param", "instance_type=ml.c5.2xlarge"]);
    let r = harden(&moto, dir, &with(&["plan", "--out", "plan.json"], &change2));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        change_sets(&moto, "sagemaker-vpc"),
        1,
        "a saved plan keeps its change set"
    );
    let r = harden(&moto, dir, &["deploy", "--plan", "plan.json", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("UPDATE_COMPLETE"), "{}", r.stderr);

    // A saved plan whose stack changed since is refused, and its change set deleted.
    let r = harden(&moto, dir, &with(&["plan", "--out", "stale.json"], &change));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = harden(
        &moto,
        dir,
        &with(
            &["deploy", "--yes"],
            &with(BASIC, &["--param", "instance_type=ml.m5.2xlarge"]),
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = harden(&moto, dir, &["deploy", "--plan", "stale.json", "--yes"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("changed since the plan was made"),
        "{}",
        r.stderr
    );
    assert_eq!(change_sets(&moto, "sagemaker-vpc"), 0);

    // Tier upgrade to enhanced: the account baseline comes first. moto 5.2.5 does not
    // implement UpdateTerminationProtection (it answers HTTP 500), which AWS accepts: harden
    // reports the refused call and stops, with the baseline's change set executed.
    let enhanced = ["--blueprint", "sagemaker-vpc", "--tier", "enhanced"];
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &enhanced));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stack harden-account-baseline: CREATE_COMPLETE"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("UpdateTerminationProtection"),
        "{}",
        r.stderr
    );

    // Destroy keeps the shared account baseline. moto 5.2.5 answers DeleteStack for this stack
    // with DependencyViolation or DeleteConflict (it deletes a VPC before what is in it, a role
    // before its policies) while removing the stack anyway; AWS orders deletions by
    // dependency. harden reports the refusal.
    assert!(
        r.stderr
            .contains("deleted the unexecuted change set of stack `sagemaker-vpc`"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["destroy", "--yes"], &enhanced));
    assert!(
        r.stderr.contains("keeping the account baseline"),
        "{}",
        r.stderr
    );
    assert!(
        r.code == 0
            || r.stderr
                .contains("AWS refused `DeleteStack` for stack `sagemaker-vpc`"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["status"], BASIC));
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("stack sagemaker-vpc: not deployed"),
        "{}",
        r.stdout
    );

    // The baseline goes on its own (moto refuses the same way; the stack is gone after).
    let r = harden(
        &moto,
        dir,
        &[
            "destroy",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--yes",
        ],
    );
    assert!(
        r.stderr
            .contains("will delete stack harden-account-baseline"),
        "{}",
        r.stderr
    );
    assert!(
        r.code == 0 || r.stderr.contains("AWS refused `DeleteStack`"),
        "{}",
        r.stderr
    );
    let r = harden(
        &moto,
        dir,
        &[
            "status",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["deployed"], false);
}

#[test]
fn errors_name_the_problem_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let status = ["status", "--blueprint", "sagemaker-vpc", "--tier", "basic"];
    // An endpoint that does not answer.
    let refused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(
        dir,
        &format!("http://127.0.0.1:{refused}"),
        TEST_ACCOUNT,
        &status,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "error: cannot reach CloudFormation for `DescribeStacks` on stack `sagemaker-vpc`"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: check the network, `--region`, and `AWS_ENDPOINT_URL`"),
        "{}",
        r.stderr
    );

    // No credentials anywhere.
    let moto = Moto::start();
    let no_credentials = [
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("AWS_SESSION_TOKEN", None),
        ("AWS_PROFILE", None),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", None),
        ("AWS_REGION", Some("us-east-1")),
    ];
    let r = run(dir, &moto.url(), &no_credentials, &status);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "error: no AWS credentials found for `DescribeStacks` on stack `sagemaker-vpc`"
        ),
        "{}",
        r.stderr
    );

    // No region.
    let r = run(
        dir,
        &moto.url(),
        &[("AWS_REGION", None), ("AWS_DEFAULT_REGION", None)],
        &status,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: no AWS region is set\nhint: pass `--region`, set `AWS_REGION`, or give your profile a region\n"
    );

    // A saved plan that is not one.
    std::fs::write(dir.join("bad.json"), "{\"tool\": \"terraform\"}").unwrap();
    let r = harden(&moto, dir, &["deploy", "--plan", "bad.json", "--yes"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("`bad.json` is not a harden plan: field `tool` is missing or wrong"),
        "{}",
        r.stderr
    );
    // A stack that is not deployed.
    let r = harden(&moto, dir, &with(&["status"], BASIC));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "stack sagemaker-vpc: not deployed\n");
    let r = harden(&moto, dir, &with(&["destroy", "--yes"], BASIC));
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("stack sagemaker-vpc: not deployed, nothing to delete"),
        "{}",
        r.stderr
    );
}
