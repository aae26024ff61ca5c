//! Full cycles through the real binary against moto's CloudFormation server on 127.0.0.1:
//! deploy, no-op, a parameter change, a saved plan, a stale saved plan, a tier upgrade,
//! destroy, on real rendered stacks.
//!
//! moto is installed by `scripts/tools.sh` (the test command runs it) into `.tools/moto`.
//! Where moto mis-handles something AWS accepts, the test records what moto does, with a
//! comment; the product's templates are not bent to it.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

use std::net::TcpListener;
use std::path::Path;

const BASIC: &[&str] = &["--blueprint", "sagemaker-vpc", "--tier", "basic"];

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
    // The plan read the deployed stack's drift (detected now: moto keeps no detection
    // result), and `harden drift` says the stack is in sync.
    assert!(
        r.stdout.contains("drift: in sync (detected now, "),
        "{}",
        r.stdout
    );
    let r = harden(
        &moto,
        dir,
        &with(
            &["drift"],
            &["--blueprint", "sagemaker-vpc", "--detailed-exitcode"],
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "stack sagemaker-vpc: IN_SYNC\n");

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
    // Without --yes it shows the saved plan it would run, and keeps its change set.
    let r = harden(&moto, dir, &["deploy", "--plan", "plan.json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("stack sagemaker-vpc: update ("),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("note: the plan's change sets are kept"),
        "{}",
        r.stderr
    );
    // An edited plan file is refused before anything runs (exit 5).
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    std::fs::write(
        dir.join("edited.json"),
        text.replace("ml.c5.2xlarge", "ml.c5.4xlarge"),
    )
    .unwrap();
    let r = harden(&moto, dir, &["deploy", "--plan", "edited.json", "--yes"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("was changed after harden wrote it"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &["deploy", "--plan", "plan.json", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("UPDATE_COMPLETE"), "{}", r.stderr);
    // Applying it again: already applied, nothing to do.
    let r = harden(&moto, dir, &["deploy", "--plan", "plan.json", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("already applied"), "{}", r.stderr);

    // A saved plan whose stack changed since is refused, and its change set deleted; the
    // hint makes a new plan into a file that does not exist, which then applies.
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
    assert!(r.stderr.contains("--out stale-2.json`"), "{}", r.stderr);
    let r = run_hint(&moto, dir, &r.stderr);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = harden(&moto, dir, &["deploy", "--plan", "stale-2.json", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A template given as a plan: the hint plans its blueprint into a new file.
    let r = harden(&moto, dir, &with(&["render", "--format", "json"], BASIC));
    std::fs::write(dir.join("some-template.json"), &r.stdout).unwrap();
    let r = harden(
        &moto,
        dir,
        &["deploy", "--plan", "some-template.json", "--yes"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--out plan-2.json`"), "{}", r.stderr);
    let r = run_hint(&moto, dir, &r.stderr);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("plan-2.json").exists());
    assert!(!std::fs::read_to_string(dir.join("some-template.json"))
        .unwrap()
        .is_empty());

    // Tier upgrade to enhanced: the account baseline comes first, then the workload, and
    // both get termination protection.
    let enhanced = ["--blueprint", "sagemaker-vpc", "--tier", "enhanced"];
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &enhanced));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baseline_at = r
        .stderr
        .find("stack harden-account-baseline: CREATE_COMPLETE")
        .expect("the baseline is created");
    let workload_at = r
        .stderr
        .find("stack sagemaker-vpc: UPDATE_COMPLETE")
        .expect("the workload is updated");
    assert!(baseline_at < workload_at, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stack sagemaker-vpc: termination protection on"),
        "{}",
        r.stderr
    );

    // status and destroy need no tier: they read it from the deployed stack's tags.
    let r = harden(&moto, dir, &["status", "--blueprint", "sagemaker-vpc"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("stack sagemaker-vpc: UPDATE_COMPLETE\n  deployed: blueprint sagemaker-vpc, tier enhanced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "stack harden-account-baseline: CREATE_COMPLETE\n  deployed: blueprint account-baseline, tier enhanced"
        ),
        "{}",
        r.stdout
    );

    // Destroy keeps the shared account baseline, and refuses a protected stack unless told;
    // each hint is run as given.
    let r = harden(
        &moto,
        dir,
        &["destroy", "--blueprint", "sagemaker-vpc", "--yes"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("keeping the account baseline"),
        "{}",
        r.stderr
    );
    let last_hint = r
        .stderr
        .lines()
        .rfind(|l| l.starts_with("hint:"))
        .unwrap()
        .to_string();
    assert_eq!(
        last_hint,
        "hint: to turn it off and delete, run `harden destroy --blueprint sagemaker-vpc --yes --disable-termination-protection`"
    );
    // moto 5.2.5 answers DeleteStack for this stack with DependencyViolation or
    // DeleteConflict at times (it deletes a VPC before what is in it) while removing the
    // stack anyway; AWS orders deletions by dependency. harden reports the refusal.
    let r = run_hint(&moto, dir, &last_hint);
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

    // The baseline goes on its own: the hint that kept it, then the one that turns its
    // protection off.
    let r = harden(
        &moto,
        dir,
        &["destroy", "--blueprint", "sagemaker-vpc", "--yes"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_hint(&moto, dir, &r.stderr);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("will delete stack harden-account-baseline (CREATE_COMPLETE, blueprint account-baseline, tier enhanced, termination protection on)"),
        "{}",
        r.stderr
    );
    let r = run_hint(&moto, dir, &r.stderr);
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
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["deployed"], false);
}

/// A fake AWS endpoint on 127.0.0.1: answers every request with one status and body, and
/// records the access key each request was signed with.
struct FakeAws {
    port: u16,
    keys: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeAws {
    fn start(status: u16, body: &'static str) -> FakeAws {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let keys = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = keys.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if let Some(i) = line.find("Credential=") {
                        let key = line[i + 11..].split('/').next().unwrap_or("").to_string();
                        seen.lock().unwrap().push(key);
                    }
                }
                let mut request_body = vec![0; length];
                let _ = reader.read_exact(&mut request_body);
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeAws { port, keys }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Every failure to reach or use AWS gets a message that says what happened and what to do,
/// and the exact text is held here (`--verbose` adds the SDK's own error).
#[test]
fn aws_errors_say_the_real_cause_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let redact = |s: &str| s.replace(&dir.display().to_string(), "[TMP]");
    let status = ["status", "--blueprint", "sagemaker-vpc"];

    // An endpoint that does not answer.
    let refused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{refused}");
    let r = run(dir, &endpoint, TEST_ACCOUNT, &status);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.replace(&refused.to_string(), "PORT"),
        "error: cannot reach `http://127.0.0.1:PORT` (AWS_ENDPOINT_URL) for `DescribeStacks` on stack `harden-account-baseline`: Connection refused (os error 111)\nhint: check the network, `--region`, and `AWS_ENDPOINT_URL` if you use one\n"
    );
    let r = run(dir, &endpoint, TEST_ACCOUNT, &with(&status, &["--verbose"]));
    assert!(
        r.stderr.contains("\nraw error: dispatch failure: io error"),
        "{}",
        r.stderr
    );

    // No credentials anywhere (the instance metadata service is off in tests).
    let no_credentials = [
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("AWS_SESSION_TOKEN", None),
        ("AWS_PROFILE", None),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", None),
        ("AWS_REGION", Some("us-east-1")),
    ];
    let r = run(dir, &endpoint, &no_credentials, &status);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        redact(&r.stderr),
        "error: no AWS credentials found: harden looked in the environment (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, `AWS_WEB_IDENTITY_TOKEN_FILE`), the shared files (`[TMP]/no-config` (missing), `[TMP]/no-credentials` (missing)), SSO, and the container and instance metadata services\nhint: set `AWS_PROFILE` or pass `--profile`, run `aws sso login`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`\n"
    );

    // No region, and a region that is not one.
    let r = run(
        dir,
        &endpoint,
        &[
            ("AWS_ACCESS_KEY_ID", Some("testing")),
            ("AWS_SECRET_ACCESS_KEY", Some("testing")),
            ("AWS_REGION", None),
            ("AWS_DEFAULT_REGION", None),
        ],
        &status,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: no AWS region is set: none in `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile\nhint: pass `--region`, set `AWS_REGION`, or give your profile a region\n"
    );
    let r = run(
        dir,
        &endpoint,
        TEST_ACCOUNT,
        &with(&status, &["--region", ""]),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: `--region \"\"` is not an AWS region name\nhint: pass a region like `us-east-1` (`aws ec2 describe-regions` lists them)\n"
    );

    // A named profile that does not exist is an error, even with credentials in the
    // environment; one that exists wins over them, as in the AWS CLI.
    std::fs::write(
        dir.join("no-credentials"),
        "[team]\naws_access_key_id = AKIAPROFILEKEY\naws_secret_access_key = secret\n",
    )
    .unwrap();
    let r = run(
        dir,
        &endpoint,
        TEST_ACCOUNT,
        &with(&status, &["--profile", "nosuch"]),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        redact(&r.stderr),
        "error: AWS profile `nosuch` does not exist: it is in neither `[TMP]/no-config` (missing) nor `[TMP]/no-credentials`\nhint: the profiles there are `team`\n"
    );
    // An HTTP 501 with no body: what an emulator answers for a call it lacks.
    let fake = FakeAws::start(501, "");
    let r = run(
        dir,
        &fake.url(),
        TEST_ACCOUNT,
        &with(&status, &["--profile", "team"]),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: AWS answered `DescribeStacks` for stack `harden-account-baseline` with HTTP 501 and no error code or message: a failure on the server's side\nhint: try again; an emulator answers so when it does not implement the call; `--verbose` shows the raw error\n"
    );
    assert_eq!(
        fake.keys.lock().unwrap().first().map(String::as_str),
        Some("AKIAPROFILEKEY"),
        "the named profile's key signs the request, not the environment's"
    );

    // Access denied names who, what and where.
    let denied = FakeAws::start(
        403,
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/harden-account-baseline/* because no identity-based policy allows the cloudformation:DescribeStacks action</Message></Error><RequestId>1</RequestId></ErrorResponse>",
    );
    let r = run(dir, &denied.url(), TEST_ACCOUNT, &status);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: access denied: `arn:aws:sts::123456789012:assumed-role/ci/run` may not call `cloudformation:DescribeStacks` on `arn:aws:cloudformation:us-east-1:123456789012:stack/harden-account-baseline/*` (`DescribeStacks` for stack `harden-account-baseline`): because no identity-based policy allows the cloudformation:DescribeStacks action\nhint: grant that action on that resource to the role or user harden runs as\n"
    );
}

#[test]
fn bad_input_against_an_empty_account() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // A saved plan that is not one; a CloudFormation template given as a plan: the hint
    // never proposes overwriting the file.
    std::fs::write(dir.join("bad.json"), "{\"tool\": \"terraform\"}").unwrap();
    let r = harden(&moto, dir, &["deploy", "--plan", "bad.json", "--yes"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: `bad.json` is not a harden plan: field `tool` is missing or wrong\nhint: `harden deploy --plan` takes only a file written by `harden plan ... --out FILE`\n"
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
    // `plan --out` into a directory that does not exist fails before any change set.
    let r = harden(
        &moto,
        dir,
        &with(&["plan", "--out", "/nonexistent/dir/plan.json"], BASIC),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: cannot save the plan to `/nonexistent/dir/plan.json`: the directory `/nonexistent/dir` does not exist\nhint: create it first, or pass `--out` a path in an existing directory; no change set was made\n"
    );
    assert_eq!(change_sets(&moto, "sagemaker-vpc"), 0);
}

/// The `harden ...` command a hint gives (the first one in backticks on a `hint:` line),
/// split as a POSIX shell would (single quotes only, which is all harden emits). Every hint
/// harden prints is a command that does what it says: the tests run them.
fn hint_command(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("hint:") && l.contains("`harden "))
        .unwrap_or_else(|| panic!("no hint with a harden command in:\n{stderr}"));
    let start = line.find("`harden ").unwrap() + 1;
    let cmd = &line[start..start + line[start..].find('`').unwrap()];
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in cmd.chars() {
        match ch {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    words.push(cur);
    assert_eq!(words[0], "harden", "{cmd}");
    words.remove(0);
    words
}

/// Runs the hint's command.
fn run_hint(moto: &Moto, dir: &Path, stderr: &str) -> Run {
    let words = hint_command(stderr);
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    harden(moto, dir, &args)
}

/// Creates a stack harden did not create: `payroll`, holding one bucket.
fn foreign_stack(moto: &Moto) {
    let c = client(moto);
    block_on(async {
        c.create_stack()
            .stack_name("payroll")
            .template_body(r#"{"Resources": {"ImportantData": {"Type": "AWS::S3::Bucket"}}}"#)
            .send()
            .await
            .unwrap();
    });
}

fn resources_of(moto: &Moto, stack: &str) -> Vec<String> {
    let c = client(moto);
    block_on(async {
        c.list_stack_resources()
            .stack_name(stack)
            .send()
            .await
            .map(|o| {
                o.stack_resource_summaries()
                    .iter()
                    .filter_map(|r| r.logical_resource_id().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// A trial once deleted a bucket in a stack harden did not own. Now: every command that would
/// change or delete such a stack refuses (exit 5) before any change set, its hint shows what
/// adopting would do, and adopting needs `--allow-data-loss` at every tier.
#[test]
fn stacks_harden_did_not_create_are_never_touched() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    foreign_stack(&moto);
    let payroll = with(BASIC, &["--name", "payroll"]);

    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &payroll));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: stack `payroll` was not created by harden: it has no `harden:blueprint` tag, so deploying blueprint `sagemaker-vpc` to it would replace or delete what it holds\nhint: choose another `--name`; to see what taking the stack over would remove from it, run `harden plan --blueprint sagemaker-vpc --tier basic --name payroll --adopt`\n"
    );
    assert_eq!(change_sets(&moto, "payroll"), 0);
    assert_eq!(resources_of(&moto, "payroll"), ["ImportantData"]);
    let r = harden(&moto, dir, &with(&["plan"], &payroll));
    assert_eq!(r.code, 5, "{}", r.stderr);

    // The hint's command: the plan of taking it over, which names what it removes.
    let r = run_hint(&moto, dir, &r.stderr);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("ADOPTING this stack (not created by harden, `--adopt`)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("- ImportantData"), "{}", r.stdout);
    assert_eq!(
        change_sets(&moto, "payroll"),
        0,
        "plan leaves no change set"
    );

    // destroy and status.
    let r = harden(
        &moto,
        dir,
        &[
            "destroy",
            "--blueprint",
            "sagemaker-vpc",
            "--name",
            "payroll",
            "--yes",
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: stack `payroll` was not created by harden: it has no `harden:blueprint` tag, so harden does not delete it"),
        "{}",
        r.stderr
    );
    assert_eq!(resources_of(&moto, "payroll"), ["ImportantData"]);
    let r = harden(
        &moto,
        dir,
        &[
            "status",
            "--blueprint",
            "sagemaker-vpc",
            "--name",
            "payroll",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("deployed: not created by harden"),
        "{}",
        r.stdout
    );

    // Two workloads with different names coexist. (A stack of another blueprint is refused
    // like one harden did not create: `ownership`'s unit tests.)
    let r = harden(
        &moto,
        dir,
        &[
            "deploy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--name",
            "team-a",
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = harden(
        &moto,
        dir,
        &[
            "deploy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--name",
            "team-b",
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for name in ["team-a", "team-b"] {
        let r = harden(
            &moto,
            dir,
            &["status", "--blueprint", "sagemaker-vpc", "--name", name],
        );
        assert!(
            r.stdout.contains(&format!("stack {name}: CREATE_COMPLETE")),
            "{}",
            r.stdout
        );
    }

    // Adopting needs --allow-data-loss even at basic, and says the complete command.
    let r = harden(&moto, dir, &with(&["deploy", "--yes", "--adopt"], &payroll));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: review the plan above; if it is intended, run `harden deploy --blueprint sagemaker-vpc --tier basic --name payroll --adopt --yes --allow-data-loss`"),
        "{}",
        r.stderr
    );
    assert_eq!(change_sets(&moto, "payroll"), 0);
    assert_eq!(resources_of(&moto, "payroll"), ["ImportantData"]);
    // The hint does what it says: the stack is harden's now, without the bucket.
    let r = run_hint(&moto, dir, &r.stderr);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!resources_of(&moto, "payroll").contains(&"ImportantData".to_string()));
    let r = harden(
        &moto,
        dir,
        &[
            "status",
            "--blueprint",
            "sagemaker-vpc",
            "--name",
            "payroll",
        ],
    );
    assert!(
        r.stdout
            .contains("deployed: blueprint sagemaker-vpc, tier basic"),
        "{}",
        r.stdout
    );

    // A workload may not take the baseline's name, at any tier.
    let r = harden(
        &moto,
        dir,
        &with(
            &["plan"],
            &with(BASIC, &["--name", "harden-account-baseline"]),
        ),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: `harden-account-baseline` is the account baseline's stack name, which no workload may take\nhint: choose another `--name`\n"
    );
}

/// Creates a stack the way another tool would (a change set, executed), with tags.
fn stack_from(moto: &Moto, name: &str, body: &str, tags: &[(&str, &str)]) {
    let c = client(moto);
    block_on(async {
        let mut req = c
            .create_change_set()
            .stack_name(name)
            .change_set_name("other-tool")
            .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
            .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityIam)
            .template_body(body);
        for (k, v) in tags {
            req = req.tags(
                aws_sdk_cloudformation::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build(),
            );
        }
        let cs = req.send().await.unwrap();
        c.execute_change_set()
            .change_set_name(cs.id().unwrap())
            .send()
            .await
            .unwrap();
    });
}

/// The baseline's names are fixed (one per account and region): a second baseline, under
/// another stack name, is refused in the plan, before any change set, instead of failing
/// half-way through a create.
#[test]
fn a_second_account_baseline_is_refused_up_front() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let baseline = ["--blueprint", "account-baseline", "--tier", "enhanced"];

    // harden's own baseline template, deployed by another tool under another name.
    let r = harden(
        &moto,
        dir,
        &with(&["render", "--format", "json"], &baseline),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    stack_from(&moto, "my-baseline", &r.stdout, &[]);
    for args in [
        with(&["plan"], &baseline),
        with(&["deploy", "--yes"], &baseline),
        vec![
            "deploy",
            "--yes",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "enhanced",
        ],
    ] {
        let r = harden(&moto, dir, &args);
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert!(
            r.stderr.starts_with("error: the name `alias/harden/account-baseline` (AliasName of `BaselineKeyAlias`, AWS::KMS::Alias) is taken in this account and region by stack `my-baseline`, so creating stack `harden-account-baseline` would fail half-way\nhint: the name is fixed because one exists per account and region; if stack `my-baseline` is no longer needed, delete it first (`aws cloudformation delete-stack --stack-name my-baseline`)"),
            "{}",
            r.stderr
        );
        assert_eq!(change_sets(&moto, "harden-account-baseline"), 0);
        assert_eq!(change_sets(&moto, "sagemaker-vpc"), 0);
    }

    // A stack tagged as a baseline, whatever it holds, is refused the same way.
    let moto = Moto::start();
    stack_from(
        &moto,
        "old-baseline",
        r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#,
        &[
            ("harden:blueprint", "account-baseline"),
            ("harden:tier", "enhanced"),
        ],
    );
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &baseline));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: an account baseline already exists in this account and region: stack `old-baseline` (tier enhanced), so creating `harden-account-baseline` would duplicate its trail, GuardDuty detector, Security Hub and alarms"),
        "{}",
        r.stderr
    );
}

/// The enterprise tier end to end: the account baseline (two stacks) and the workload, each
/// with termination protection and a stack policy; a no-op plan; destroy says what it keeps
/// (with physical ids) and what it does to the account's password policy.
#[test]
fn enterprise_deploys_and_destroy_says_what_it_keeps() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let digest =
        "image_tag=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let sel = [
        "--blueprint",
        "sagemaker-vpc",
        "--tier",
        "enterprise",
        "--param",
        "alert_email=sec@example.com",
        "--param",
        digest,
        "--param",
        "replica_region=us-west-2",
    ];
    // A first create at enterprise broadens access (every Allow is new): it needs a person or
    // --allow-broadening, and the hint says the whole command.
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &sel));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = run_hint(&moto, dir, &r.stderr);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for s in [
        "harden-account-baseline",
        "harden-account-monitoring",
        "sagemaker-vpc-replica",
        "sagemaker-vpc",
    ] {
        assert!(
            r.stderr.contains(&format!("stack {s}: CREATE_COMPLETE")),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("stack {s}: stack policy set")),
            "{}",
            r.stderr
        );
    }
    let r = harden(&moto, dir, &with(&["plan", "--detailed-exitcode"], &sel));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A workload at a lower tier, without the alert address: the account baseline is shared,
    // so it keeps the tier and the address it was deployed with (nothing to change there),
    // and only the workload's own stack would change.
    let lower = ["--blueprint", "sagemaker-vpc", "--tier", "enhanced"];
    let r = harden(&moto, dir, &with(&["plan", "--format", "json"], &lower));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        plan["stacks"][0]["notes"][0],
        "the shared account baseline keeps tier `enterprise`, `alert_email=sec@example.com` it was deployed with: a workload's deploy never lowers it or drops its settings\nhint: to change them, deploy the baseline itself: `harden deploy --blueprint account-baseline --tier enhanced`",
        "{}",
        r.stdout
    );
    let kinds: Vec<(String, String)> = plan["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "harden-account-baseline".to_string(),
                "no_changes".to_string()
            ),
            (
                "harden-account-monitoring".to_string(),
                "no_changes".to_string()
            ),
            ("sagemaker-vpc".to_string(), "update".to_string()),
        ],
        "{}",
        r.stdout
    );

    // A later run that forgets `alert_email` (the alerts go to a topic instead): the plan
    // shows the subscriptions it removes under their own heading, and the gate counts them
    // like broadened access.
    let topic = "alert_topic_arn=arn:aws:sns:us-east-1:123456789012:security-alerts";
    let forgot = [
        "--blueprint",
        "sagemaker-vpc",
        "--tier",
        "enterprise",
        "--param",
        topic,
        "--param",
        digest,
        "--param",
        "replica_region=us-west-2",
    ];
    let r = harden(&moto, dir, &with(&["plan"], &forgot));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("removed because a parameter is no longer given"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("`alert_email`"), "{}", r.stdout);
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &forgot));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("the plan broadens access"),
        "{}",
        r.stderr
    );

    let r = harden(
        &moto,
        dir,
        &[
            "destroy",
            "--blueprint",
            "sagemaker-vpc",
            "--yes",
            "--disable-termination-protection",
        ],
    );
    assert!(
        r.stderr.starts_with("keeping the account baseline (`harden-account-baseline`, `harden-account-monitoring`): other workloads in this account and region rely on it\nhint: destroy it on its own with `harden destroy --blueprint account-baseline`\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("    EndpointLogGroup (AWS::Logs::LogGroup): /aws/sagemaker/Endpoints/sagemaker-vpc-endpoint\n"),
        "{}",
        r.stderr
    );
    // The replica stack goes too, in its region, after the workload that replicates into it
    // (moto refuses the workload's deletion here at times, see above: e2e_regions.rs
    // watches both deletions).
    let workload = r
        .stderr
        .find("will delete stack sagemaker-vpc (")
        .expect("listed");
    let replica = r
        .stderr
        .find("will delete stack sagemaker-vpc-replica (CREATE_COMPLETE, blueprint sagemaker-vpc, tier enterprise, termination protection on, in region `us-west-2`)")
        .expect("listed");
    assert!(workload < replica, "{}", r.stderr);
    let r = harden(
        &moto,
        dir,
        &[
            "destroy",
            "--blueprint",
            "account-baseline",
            "--disable-termination-protection",
        ],
    );
    assert_eq!(r.code, 3, "no terminal and no --yes: {}", r.stderr);
    assert!(
        r.stderr.contains("will delete stack harden-account-monitoring (CREATE_COMPLETE, blueprint account-baseline, tier enterprise, termination protection on)"),
        "{}",
        r.stderr
    );
    // moto runs no custom resource function, so the password policy's physical id is the
    // logical id: harden says what an id it cannot read means.
    assert!(
        r.stderr.contains("  the account password policy (IAM) is"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: to delete these stacks, run `harden destroy --blueprint account-baseline --yes --disable-termination-protection`"),
        "{}",
        r.stderr
    );
}
