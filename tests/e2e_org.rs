//! `--org` through the real binary against moto's CloudFormation server on 127.0.0.1: the
//! account baseline as a SELF_MANAGED stack set in two accounts and two regions (moto creates
//! the instance stacks in the other accounts), the plan again (no changes), a change that
//! updates the instances, `status --org`, `destroy --org`.
//!
//! moto runs the baseline's basic tier only (its CloudFormation has no CloudTrail, GuardDuty or
//! Security Hub resources, which the enhanced template holds); the other paths of the org mode
//! (service-managed OUs, delegated admin, failed instances, a stack set of another tool) are
//! tested with the SDK's mocks in `tests/org_mocks.rs`.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

const ORG: &[&str] = &[
    "--blueprint",
    "account-baseline",
    "--tier",
    "basic",
    "--org",
    "--regions",
    "us-east-1,eu-west-1",
    "--accounts",
    "111111111111,222222222222",
];

fn args<'a>(cmd: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![cmd];
    v.extend_from_slice(ORG);
    v.extend_from_slice(more);
    v
}

#[test]
fn the_baseline_as_a_stack_set_in_two_accounts_and_two_regions_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // The plan of a new stack set: its template and four instances to create.
    let r = harden(&moto, dir, &args("plan", &["--detailed-exitcode"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("stack set harden-account-baseline (to create, SELF_MANAGED): 4 instance(s) to create, 0 to update, 0 to remove"),
        "{}",
        r.stdout
    );
    for line in [
        "  + account 111111111111 us-east-1",
        "  + account 111111111111 eu-west-1",
        "  + account 222222222222 us-east-1",
        "  + account 222222222222 eu-west-1",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }

    // Without --yes and no terminal: approval needed, nothing made.
    let r = harden(&moto, dir, &args("deploy", &[]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "--org --regions us-east-1,eu-west-1 --accounts 111111111111,222222222222 --yes"
        ),
        "{}",
        r.stderr
    );
    let r = harden(
        &moto,
        dir,
        &["status", "--blueprint", "account-baseline", "--org"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("no stack set of `harden-account-baseline` is deployed"),
        "{}",
        r.stdout
    );

    // Deploy: a line per instance, regions in the --regions order.
    let r = harden(&moto, dir, &args("deploy", &["--yes"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("created stack set harden-account-baseline\n"),
        "{}",
        r.stderr
    );
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.ends_with(" SUCCEEDED"))
        .collect();
    assert_eq!(
        lines,
        [
            "  111111111111 us-east-1 SUCCEEDED",
            "  222222222222 us-east-1 SUCCEEDED",
            "  111111111111 eu-west-1 SUCCEEDED",
            "  222222222222 eu-west-1 SUCCEEDED",
        ],
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("create instances succeeded (4 instance(s))"),
        "{}",
        r.stderr
    );

    // Again: no changes.
    let r = harden(&moto, dir, &args("plan", &["--detailed-exitcode"]));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("0 instance(s) to create, 0 to update, 0 to remove"),
        "{}",
        r.stdout
    );
    let r = harden(&moto, dir, &args("deploy", &["--yes"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);

    // A parameter change (the home region) updates the four instances.
    let change = ["--param", "home_region=eu-west-1"];
    let r = harden(
        &moto,
        dir,
        &args("plan", &[&change[..], &["--format", "json"]].concat()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["stack_sets"][0]["update"].as_array().unwrap().len(),
        4,
        "{}",
        r.stdout
    );
    assert_eq!(v["stack_sets"][0]["permission_model"], "SELF_MANAGED");
    let r = harden(
        &moto,
        dir,
        &args("deploy", &[&change[..], &["--yes"]].concat()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stack set harden-account-baseline: update (operation "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("update succeeded (4 instance(s))"),
        "{}",
        r.stderr
    );
    let r = harden(
        &moto,
        dir,
        &args("plan", &[&change[..], &["--detailed-exitcode"]].concat()),
    );
    assert_eq!(
        r.code, 0,
        "after the update, nothing to change: {}",
        r.stdout
    );

    // Dropping an account: listed and kept without --prune.
    let fewer = [
        "plan",
        "--blueprint",
        "account-baseline",
        "--tier",
        "basic",
        "--org",
        "--regions",
        "us-east-1,eu-west-1",
        "--accounts",
        "111111111111",
        "--param",
        "home_region=eu-west-1",
    ];
    let r = harden(&moto, dir, &fewer);
    assert!(
        r.stdout
            .contains("0 to remove (2 no longer targeted, kept: `--prune` removes them)"),
        "{}",
        r.stdout
    );

    // With --prune the deploy removes them (their stacks are deleted).
    let mut prune = fewer.to_vec();
    prune[0] = "deploy";
    prune.extend(["--prune", "--yes"]);
    let r = harden(&moto, dir, &prune);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("0 instance(s) to create, 0 to update, 2 to remove\n  - account 222222222222 eu-west-1\n  - account 222222222222 us-east-1\n"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("remove instances succeeded (2 instance(s))"),
        "{}",
        r.stderr
    );

    // Status: a line per instance.
    let r = harden(
        &moto,
        dir,
        &["status", "--blueprint", "account-baseline", "--org"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("stack set harden-account-baseline (self-managed): 2 instance(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches(" CURRENT SUCCEEDED").count(),
        2,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("222222222222"), "pruned: {}", r.stdout);
    // The same for machines.
    let r = harden(
        &moto,
        dir,
        &[
            "status",
            "--blueprint",
            "account-baseline",
            "--org",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("status JSON");
    let set = &v["stack_sets"][0];
    assert_eq!(set["name"], "harden-account-baseline", "{v}");
    assert_eq!(set["permission_model"], "SELF_MANAGED", "{v}");
    let instances = set["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 2, "{v}");
    assert!(instances.iter().all(|i| i["status"] == "CURRENT"), "{v}");

    // Destroy: approval first, then the instances, then the stack set.
    let destroy = ["destroy", "--blueprint", "account-baseline", "--org"];
    let r = harden(&moto, dir, &destroy);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "hint: to delete them, run `harden destroy --blueprint account-baseline --org --yes`"
        ),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &[&destroy[..], &["--yes"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("remove instances succeeded (2 instance(s))"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("deleted stack set harden-account-baseline"),
        "{}",
        r.stderr
    );
    let r = harden(
        &moto,
        dir,
        &["status", "--blueprint", "account-baseline", "--org"],
    );
    assert!(
        r.stdout
            .contains("no stack set of `harden-account-baseline` is deployed"),
        "{}",
        r.stdout
    );
}

#[test]
fn org_mode_refuses_other_blueprints_and_bad_ids_before_any_call() {
    // No server: these fail before any call.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let url = "http://127.0.0.1:9";
    let r = run(
        dir,
        url,
        TEST_ACCOUNT,
        &[
            "plan",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--org",
            "--regions",
            "us-east-1",
            "--accounts",
            "111111111111",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("deploy the `account-baseline` blueprint only, not `sagemaker-vpc`"),
        "{}",
        r.stderr
    );
    let r = run(
        dir,
        url,
        TEST_ACCOUNT,
        &[
            "plan",
            "--blueprint",
            "account-baseline",
            "--tier",
            "basic",
            "--org",
            "--regions",
            "us-east-1",
            "--accounts",
            "11111111111",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`--accounts`: `11111111111` is not an AWS account id"),
        "{}",
        r.stderr
    );
    let r = run(
        dir,
        url,
        TEST_ACCOUNT,
        &[
            "deploy",
            "--blueprint",
            "account-baseline",
            "--tier",
            "basic",
            "--org",
            "--regions",
            "us-east-1,mars-1",
            "--ous",
            "ou-ab12-cd34ef56",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`--regions`: `mars-1` is not a region name"),
        "{}",
        r.stderr
    );
    let r = run(
        dir,
        url,
        TEST_ACCOUNT,
        &[
            "plan",
            "--blueprint",
            "account-baseline",
            "--tier",
            "basic",
            "--org",
            "--regions",
            "us-east-1",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`--org` needs `--accounts ID,...` or `--ous ou-...,...`"),
        "{}",
        r.stderr
    );
    // Flags of stack deploys are refused, not ignored.
    for (cmd, flag) in [
        ("plan", "--out"),
        ("deploy", "--revert-drift"),
        ("deploy", "--adopt"),
    ] {
        let mut args = vec![
            cmd,
            "--blueprint",
            "account-baseline",
            "--tier",
            "basic",
            "--org",
            "--regions",
            "us-east-1",
            "--accounts",
            "111111111111",
            flag,
        ];
        if flag == "--out" {
            args.push("plan.json");
        }
        let r = run(dir, url, TEST_ACCOUNT, &args);
        assert_eq!(r.code, 1, "{flag}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "`{flag}` is for stacks, and this deploys StackSets"
            )),
            "{flag}: {}",
            r.stderr
        );
        assert!(!dir.join("plan.json").exists());
    }
}

/// The same from a project file: an environment's `organization:` section makes `plan`,
/// `deploy`, `status` and `destroy --env` act on StackSets, without `--org` flags; the project's
/// workload stacks are not deployed there, and `--org` flags on top of it are refused.
#[test]
fn an_organization_environment_deploys_the_baseline_as_stack_sets_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("harden.yaml"),
        "project: demo
stacks:
  - blueprint: account-baseline
  - blueprint: sagemaker-vpc
environments:
  org:
    account: \"123456789012\"
    region: us-east-1
    tier: basic
    organization:
      regions: [us-east-1, eu-west-1]
      accounts: [\"111111111111\", \"222222222222\"]
  dev:
    account: \"123456789012\"
    region: us-east-1
    tier: basic
ci:
  github:
    repository: example-org/demo
",
    )
    .unwrap();

    let r = harden(&moto, dir, &["plan", "--env", "org", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "stack set harden-account-baseline (to create, SELF_MANAGED): 4 instance(s) to create"
        ),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("sagemaker"),
        "only the baseline: {}",
        r.stdout
    );
    // What the generated GitHub workflow runs on a pull request.
    let r = harden(
        &moto,
        dir,
        &[
            "plan",
            "--env",
            "org",
            "--format",
            "markdown",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("### Stack set instances"), "{}", r.stdout);

    // `--org` flags on top of the section, and a workload stack, are refused before any call.
    let r = harden(
        &moto,
        dir,
        &[
            "plan",
            "--env",
            "org",
            "--org",
            "--regions",
            "us-east-1",
            "--accounts",
            "111111111111",
        ],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("deploys through its `organization:` section"),
        "{}",
        r.stderr
    );
    let r = harden(
        &moto,
        dir,
        &["plan", "--env", "org", "--stack", "sagemaker-vpc"],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("deploys only the `account-baseline` stack, as StackSets"),
        "{}",
        r.stderr
    );
    // `--prune` outside org mode means nothing, and says so.
    let r = harden(&moto, dir, &["plan", "--env", "dev", "--prune"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("`--prune` removes StackSet instances"),
        "{}",
        r.stderr
    );

    // Without --yes: the hint names the environment, not flags.
    let r = harden(&moto, dir, &["deploy", "--env", "org"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("run `harden deploy --env org "),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("--org"), "{}", r.stderr);
    let r = harden(&moto, dir, &["deploy", "--env", "org", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("create instances succeeded (4 instance(s))"),
        "{}",
        r.stderr
    );

    let r = harden(&moto, dir, &["status", "--env", "org"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.matches(" CURRENT SUCCEEDED").count(),
        4,
        "{}",
        r.stdout
    );

    let r = harden(&moto, dir, &["destroy", "--env", "org", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("deleted stack set harden-account-baseline"),
        "{}",
        r.stderr
    );
}
