//! `harden init` through the real binary, with flags only (no terminal: the test's stdin is
//! not one): the files it writes (snapshots in `tests/snapshots/init/`, `HARDEN_BLESS=1`
//! re-blesses them), refusing to overwrite, missing and bad input; and `harden completions`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn harden(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("harden")
        .unwrap()
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let redact = |s: &[u8]| String::from_utf8_lossy(s).replace(&cwd.display().to_string(), "[TMP]");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: redact(&out.stdout),
        stderr: redact(&out.stderr),
    }
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// Compares `actual` with the snapshot `tests/snapshots/init/NAME`, or rewrites it under
/// `HARDEN_BLESS=1`.
fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/init")
        .join(name);
    if std::env::var_os("HARDEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nhint: `HARDEN_BLESS=1 cargo test --test init` writes it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from what `harden init` writes now:\n{actual}\nhint: if the change is intended, `HARDEN_BLESS=1 cargo test --test init` and review the diff",
        path.display()
    );
}

const TWO_ENVS: &[&str] = &[
    "init",
    "infra",
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
    "image_tag=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "--param",
    "replica_region=eu-central-1",
    "--ci",
    "github",
    "--github-repository",
    "acme/infra",
];

#[test]
fn flags_only_init_writes_exactly_the_project_files() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(tmp.path(), TWO_ENVS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "", "people's text goes to stderr");
    let dir = tmp.path().join("infra");
    assert_eq!(
        tree(&dir),
        [
            ".github/workflows/harden.yml",
            ".gitignore",
            "README.md",
            "harden.schema.json",
            "harden.yaml"
        ]
    );
    for f in tree(&dir) {
        assert!(
            r.stderr.contains(&format!("wrote infra/{f}\n")),
            "{f} is not listed:\n{}",
            r.stderr
        );
    }
    assert!(
        r.stderr
            .contains("note: environment `prod` gets `approval: review`"),
        "{}",
        r.stderr
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    snapshot("two-envs.harden.yaml", &read("harden.yaml"));
    snapshot("two-envs.harden.yml", &read(".github/workflows/harden.yml"));
    let readme = read("README.md");
    assert!(
        readme.contains("| `sagemaker-vpc` | `sagemaker-vpc` |"),
        "{readme}"
    );
    assert!(readme.contains("harden bootstrap --env prod"), "{readme}");
    assert!(readme.contains("| 5 | refused for safety"), "{readme}");
    assert!(readme.contains("**Required reviewers**"), "{readme}");

    // Deterministic: the same flags give the same bytes.
    let again = tempfile::tempdir().unwrap();
    assert_eq!(harden(again.path(), TWO_ENVS).code, 0);
    for f in tree(&dir) {
        assert_eq!(
            read(&f),
            std::fs::read_to_string(again.path().join("infra").join(&f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn the_project_name_comes_from_the_directory_sanitised() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("My_Infra.2");
    std::fs::create_dir(&dir).unwrap();
    let r = harden(
        &dir,
        &[
            "init",
            "--blueprint",
            "batch-fargate",
            "--tier",
            "basic",
            "--env",
            "dev=123456789012/us-east-1",
            "--ci",
            "none",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let yaml = std::fs::read_to_string(dir.join("harden.yaml")).unwrap();
    assert!(yaml.contains("\nproject: my-infra-2\n"), "{yaml}");
    assert!(
        !dir.join(".github").exists(),
        "`--ci none` writes no workflow"
    );
    assert!(r.stderr.contains("wrote harden.yaml\n"), "{}", r.stderr);
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("infra");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    let r = harden(tmp.path(), TWO_ENVS);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: `infra/README.md` already exists: nothing was written\nhint: pass `--force` to overwrite it\n"
    );
    assert_eq!(tree(&dir), ["README.md"], "nothing else was written");
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "mine\n"
    );

    let r = harden(tmp.path(), &[TWO_ENVS, &["--force"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "mine\n"
    );
    assert_eq!(tree(&dir).len(), 5);
}

#[test]
fn missing_flags_without_a_terminal_name_the_flag_and_a_complete_command() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        tmp.path(),
        &["init", "infra", "--blueprint", "sagemaker-vpc"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!tmp.path().join("infra").exists(), "nothing was written");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(
        lines[0].starts_with("error: `harden init` cannot ask"),
        "{}",
        r.stderr
    );
    for flag in [
        "`--env NAME=ACCOUNT/REGION[/TIER]`",
        "`--tier TIER`",
        "`--ci github|none`",
    ] {
        assert!(lines[0].contains(flag), "{flag}: {}", r.stderr);
    }
    assert!(
        !lines[0].contains("--blueprint"),
        "it was given: {}",
        r.stderr
    );
    let hint = lines[1].strip_prefix("hint: ").expect(lines[1]);
    assert_eq!(
        hint,
        "harden init infra --blueprint sagemaker-vpc --tier enhanced --env dev=123456789012/us-east-1 --ci github"
    );
    // The hint is a command that works as given.
    let args: Vec<&str> = hint.split(' ').skip(1).collect();
    let r = harden(tmp.path(), &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(tmp
        .path()
        .join("infra/.github/workflows/harden.yml")
        .exists());

    // What a tier needs: enterprise needs an alert destination (and sagemaker-vpc a pinned image).
    let other = tempfile::tempdir().unwrap();
    let r = harden(
        other.path(),
        &[
            "init",
            "--blueprint",
            "cognito-api",
            "--tier",
            "enterprise",
            "--env",
            "prod=123456789012/eu-west-1",
            "--ci",
            "none",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("`--alert-email ADDRESS` (blueprint `cognito-api` needs `alert_email` at tier `enterprise`)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("--alert-email security@example.com"),
        "{}",
        r.stderr
    );
    assert_eq!(tree(other.path()), Vec::<String>::new());
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let base = |env: &str, blueprint: &str| -> Vec<String> {
        [
            "init",
            "infra",
            "--blueprint",
            blueprint,
            "--tier",
            "basic",
            "--env",
            env,
            "--ci",
            "none",
        ]
        .map(String::from)
        .to_vec()
    };
    let plus = |extra: &[&str]| -> Vec<String> {
        let mut v = base("dev=123456789012/us-east-1", "sagemaker-vpc");
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let cases: &[(Vec<String>, &str)] = &[
        (
            base("dev=12345/us-east-1", "sagemaker-vpc"),
            "error: invalid account `12345` for environment `dev`: an AWS account id is 12 digits",
        ),
        (
            base("dev=123456789012/europe-1", "sagemaker-vpc"),
            "error: invalid region `europe-1` for environment `dev`",
        ),
        (
            base("dev=123456789012/us-east-1", "sagemaker"),
            "error: unknown blueprint `sagemaker`\nhint: the blueprints are `sagemaker-vpc`,",
        ),
        (
            base("Dev=123456789012/us-east-1", "sagemaker-vpc"),
            "error: invalid name `Dev` in `--env`: it must be a lowercase letter",
        ),
        (
            base("dev/123456789012/us-east-1", "sagemaker-vpc"),
            "error: invalid value 'dev/123456789012/us-east-1' for '--env <NAME[=ACCOUNT/REGION[/TIER]]>': expected NAME=ACCOUNT/REGION[/TIER]",
        ),
        (
            base("dev=123456789012/us-east-1/gold", "sagemaker-vpc"),
            "the tiers are `basic`, `enhanced` and `enterprise`",
        ),
        (
            plus(&["--param", "nope=1"]),
            "error: `--param nope=…`: no chosen blueprint (`sagemaker-vpc`) takes a parameter `nope`",
        ),
        (
            plus(&["--param", "instance_count=many"]),
            "error: blueprint `sagemaker-vpc` at tier `basic` (environment `dev`): ",
        ),
        (
            plus(&["--alert-email", "ops"]),
            "error: invalid address `ops` in `--alert-email`",
        ),
        (
            plus(&["--env", "dev=123456789012/us-west-2"]),
            "error: environment `dev` is given twice in `--env`",
        ),
        (
            plus(&["--github-repository", "acme"]),
            "error: `--github-repository` is given with `--ci none`",
        ),
        (
            plus(&["--name", "9lives"]),
            "error: invalid name `9lives` in `--name`",
        ),
    ];
    for (args, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = harden(tmp.path(), &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(expected),
            "{args:?}: expected {expected:?} in\n{}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        assert_eq!(
            tree(tmp.path()),
            Vec::<String>::new(),
            "{args:?} wrote something"
        );
    }
}

#[test]
fn account_baseline_is_listed_once() {
    // batch-fargate deploys the account baseline from basic: listing it too would deploy it
    // twice, so `stacks:` leaves it out and says so.
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        tmp.path(),
        &[
            "init",
            "infra",
            "--blueprint",
            "account-baseline",
            "--blueprint",
            "batch-fargate",
            "--tier",
            "basic",
            "--env",
            "dev=123456789012/us-east-1",
            "--ci",
            "none",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let yaml = std::fs::read_to_string(tmp.path().join("infra/harden.yaml")).unwrap();
    assert!(!yaml.contains("- blueprint: account-baseline"), "{yaml}");
    assert!(yaml.contains("- blueprint: batch-fargate"), "{yaml}");
    assert!(
        r.stderr.contains("note: `account-baseline` is not listed in `stacks:`: blueprint `batch-fargate` deploys it"),
        "{}",
        r.stderr
    );
    // sagemaker-vpc deploys it from enhanced: at basic, account-baseline stays on its own.
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        tmp.path(),
        &[
            "init",
            "infra",
            "--blueprint",
            "account-baseline",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--env",
            "dev=123456789012/us-east-1",
            "--ci",
            "none",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let yaml = std::fs::read_to_string(tmp.path().join("infra/harden.yaml")).unwrap();
    assert!(yaml.contains("- blueprint: account-baseline"), "{yaml}");
}

#[test]
fn bash_completion_mentions_the_subcommands() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(tmp.path(), &["completions", "bash"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("_harden()"), "{}", r.stdout);
    for sub in [
        "blueprints",
        "controls",
        "render",
        "plan",
        "deploy",
        "destroy",
        "status",
        "init",
        "completions",
    ] {
        assert!(
            r.stdout.contains(&format!("harden,{sub})")),
            "`{sub}` is not completed:\n{}",
            r.stdout
        );
    }
    for shell in ["zsh", "fish", "powershell"] {
        let r = harden(tmp.path(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("deploy"), "{shell}");
    }
    let r = harden(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("invalid value 'tcsh'"), "{}", r.stderr);
}

/// The issue's own command: `--env NAME` with `--account` and `--region`, and `--ci github`
/// with no repository known (no flag, no `origin` remote): the project is written, with the
/// repository left for the user to fill in before the bootstrap makes the CI roles, and said so.
#[test]
fn env_with_account_and_region_flags_and_no_repository_yet() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        tmp.path(),
        &[
            "init",
            "demo",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "enhanced",
            "--env",
            "dev",
            "--account",
            "123456789012",
            "--region",
            "us-east-1",
            "--ci",
            "github",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let yaml = std::fs::read_to_string(tmp.path().join("demo/harden.yaml")).unwrap();
    assert!(
        yaml.contains(
            "  dev:\n    account: \"123456789012\"\n    region: us-east-1\n    tier: enhanced\n"
        ),
        "{yaml}"
    );
    assert!(yaml.contains("    # repository: OWNER/REPO"), "{yaml}");
    assert!(
        r.stderr
            .contains("set `ci.github.repository` in harden.yaml before `harden bootstrap`"),
        "{}",
        r.stderr
    );
    assert!(tmp
        .path()
        .join("demo/.github/workflows/harden.yml")
        .exists());

    // Pairing is by order and counted: a missing account is an error that writes nothing.
    let other = tempfile::tempdir().unwrap();
    let r = harden(
        other.path(),
        &[
            "init",
            "x",
            "--blueprint",
            "batch-fargate",
            "--tier",
            "basic",
            "--env",
            "dev",
            "--env",
            "prod",
            "--account",
            "123456789012",
            "--region",
            "us-east-1",
            "--ci",
            "none",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: 2 `--env NAME` given without an account, and 1 `--account`"),
        "{}",
        r.stderr
    );
    assert!(!other.path().join("x").exists());
}
