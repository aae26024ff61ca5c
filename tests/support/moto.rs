//! What the moto end-to-end tests share: moto's server on 127.0.0.1 (started per test, stopped
//! when dropped), the binary run isolated from this machine's AWS setup, and a CloudFormation
//! client for the test's own calls. Each `tests/e2e_*.rs` file includes it with
//! `#[path = "support/moto.rs"] mod moto;`.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = std::env::var_os("HARDEN_MOTO_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools/moto/bin/python"));
        assert!(
            python.exists(),
            "moto is not installed at {}\nhint: run `bash scripts/tools.sh` (the README's test command does)",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log =
            std::fs::File::create(std::env::temp_dir().join(format!("harden-moto-{port}.log")))
                .unwrap();
        // moto's server, with the CloudFormation calls it lacks added as AWS documents them
        // (tests/moto_server.py says which).
        let child = Command::new(&python)
            .arg(root.join("tests/moto_server.py"))
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

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The binary, isolated from this machine's AWS setup: no shared config or credentials
/// files, no instance metadata, no colour, CI mode, fast polling. `env` sets more variables
/// (`None` removes one).
pub fn run(dir: &Path, endpoint: &str, env: &[(&str, Option<&str>)], args: &[&str]) -> Run {
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
pub const TEST_ACCOUNT: &[(&str, Option<&str>)] = &[
    ("AWS_ACCESS_KEY_ID", Some("testing")),
    ("AWS_SECRET_ACCESS_KEY", Some("testing")),
    ("AWS_REGION", Some("us-east-1")),
];

/// The binary against moto with test credentials.
pub fn harden(moto: &Moto, dir: &Path, args: &[&str]) -> Run {
    run(dir, &moto.url(), TEST_ACCOUNT, args)
}

/// Runs an SDK call of the test itself (setting up what another tool would have made).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub fn client(moto: &Moto) -> aws_sdk_cloudformation::Client {
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
pub fn change_sets(moto: &Moto, stack: &str) -> usize {
    let c = client(moto);
    block_on(async {
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

/// `base` then `more`.
pub fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}
