//! `harden init` with no flags on a real terminal: tmux runs it, the test reads the screen
//! (`capture-pane`) until each question is there and types the answer (`send-keys`), then
//! checks the files written. tmux is installed by `scripts/tools.sh`; a missing tmux fails
//! the test with that hint. The tmux server has a socket of its own and is killed at the end,
//! pass or fail.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("running tmux: {e}\nhint: run `bash scripts/tools.sh` (it installs tmux), or `apt-get install tmux`")
            })
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-J", "-S", "-200", "-t", "init"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (generously: the machine may be busy) until the screen shows `text`.
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {text:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "init"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }

    /// Types literal text (no key names), then Enter.
    fn line(&self, text: &str) {
        if !text.is_empty() {
            assert!(self
                .run(&["send-keys", "-t", "init", "-l", text])
                .status
                .success());
        }
        self.keys(&["Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn init_asks_on_a_terminal_for_what_no_flag_gave() {
    let tmp = tempfile::tempdir().unwrap();
    // The repository is offered from the `origin` remote.
    git(tmp.path(), &["init", "-q"]);
    git(
        tmp.path(),
        &["remote", "add", "origin", "git@github.com:acme/infra.git"],
    );
    let tmux = Tmux {
        socket: format!("harden-init-test-{}", std::process::id()),
    };
    let script = format!(
        "cd '{}' && env -u CI NO_COLOR=1 AWS_EC2_METADATA_DISABLED=true '{}' init shop; echo \"EXIT=$?\"; sleep 600",
        tmp.path().display(),
        env!("CARGO_BIN_EXE_harden")
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "init",
        "-x",
        "250",
        "-y",
        "60",
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        out.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    tmux.wait_for("Blueprints (space selects, enter confirms)");
    tmux.wait_for("sagemaker-vpc: a private SageMaker inference endpoint");
    tmux.keys(&["Space"]); // sagemaker-vpc, the first
    tmux.keys(&["Enter"]);
    tmux.wait_for("Security tier");
    tmux.keys(&["Enter"]); // enhanced, the default
    tmux.wait_for("Environment name [dev]");
    tmux.line("");
    tmux.wait_for("AWS account id of `dev` (12 digits)");
    tmux.line("12345"); // refused as typed
    tmux.wait_for("invalid account `12345` for environment `dev`");
    tmux.line("123456789012");
    tmux.wait_for("AWS region of `dev` [us-east-1]");
    tmux.line("");
    tmux.wait_for("Add another environment? [Y/n]");
    tmux.keys(&["y"]);
    tmux.wait_for("Environment name [prod]");
    tmux.line("");
    tmux.wait_for("AWS account id of `prod` (12 digits)");
    tmux.line("210987654321");
    tmux.wait_for("AWS region of `prod` [us-east-1]");
    tmux.line("eu-west-1");
    tmux.wait_for("Add another environment? [y/N]");
    tmux.keys(&["n"]);
    tmux.wait_for("Alert email (optional: enter for none)");
    tmux.line("ops@example.com");
    tmux.wait_for("CI");
    tmux.wait_for("GitHub Actions: plan on pull requests, deploy on merge");
    tmux.keys(&["Enter"]);
    tmux.wait_for("GitHub repository (OWNER/REPO) [acme/infra]");
    tmux.line("");
    tmux.wait_for("EXIT=");
    let screen = tmux.screen();
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("wrote shop/harden.yaml"), "{screen}");
    assert!(
        screen.contains("note: environment `prod` gets `approval: review`"),
        "{screen}"
    );

    let dir = tmp.path().join("shop");
    let yaml = std::fs::read_to_string(dir.join("harden.yaml")).unwrap();
    for want in [
        "\nproject: shop\n",
        "  - blueprint: sagemaker-vpc\n",
        "      alert_email: \"ops@example.com\"\n",
        "  dev:\n    account: \"123456789012\"\n    region: us-east-1\n    tier: enhanced\n    approval: auto\n",
        "  prod:\n    account: \"210987654321\"\n    region: eu-west-1\n    tier: enhanced\n    approval: review\n",
        "    repository: acme/infra\n    branch: main\n",
    ] {
        assert!(yaml.contains(want), "{want:?} not in\n{yaml}");
    }
    let wf = std::fs::read_to_string(dir.join(".github/workflows/harden.yml")).unwrap();
    assert!(wf.contains("    environment: prod\n"), "{wf}");
    assert!(dir.join("README.md").exists() && dir.join(".gitignore").exists());
}
