//! A project `harden init` wrote, used as is against moto on 127.0.0.1: `harden render
//! --env dev` and `harden plan --env dev` (as the workflow runs it) with no other flag.

#[path = "support/moto.rs"]
mod moto;

use moto::*;

#[test]
fn a_new_project_renders_and_plans_with_no_other_flag() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    // moto's account is 123456789012.
    let r = harden(
        &moto,
        tmp.path(),
        &[
            "init",
            "shop",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--env",
            "dev=123456789012/us-east-1",
            "--env",
            "prod=123456789012/eu-west-1",
            "--ci",
            "github",
            "--github-repository",
            "acme/shop",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = tmp.path().join("shop");

    let r = harden(
        &moto,
        &dir,
        &["render", "--env", "dev", "--out", ".harden/render/dev"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join(".harden/render/dev/sagemaker-vpc.yaml").is_file());

    // What the workflow's plan job runs: changes present is exit 2.
    let r = harden(
        &moto,
        &dir,
        &[
            "plan",
            "--env",
            "dev",
            "--format",
            "markdown",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("sagemaker-vpc"), "{}", r.stdout);
    assert_eq!(
        change_sets(&moto, "sagemaker-vpc"),
        0,
        "the plan's change sets are deleted"
    );

    // From a subdirectory, the project file is found upward, and `prod` is its own region.
    let sub = dir.join(".harden");
    let r = harden(&moto, &sub, &["plan", "--env", "prod"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sagemaker-vpc"), "{}", r.stdout);
}

/// The issue's "done when", step by step on moto: `harden init demo --blueprint sagemaker-vpc
/// --tier enhanced --env dev --account 123456789012 --region us-east-1 --ci github`, then in
/// the new project with no other flag: `plan --env dev`, `bootstrap --env dev` (the artifact
/// bucket and the service role; no CI roles until the repository is set), a second bootstrap
/// that changes nothing, the repository set in harden.yaml and the bootstrap again (the OIDC
/// provider and the plan and deploy roles), and a deploy that acts as the service role.
#[test]
fn init_plan_bootstrap_and_deploy_as_the_issue_says() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        &moto,
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
    let dir = tmp.path().join("demo");

    let r = harden(&moto, &dir, &["plan", "--env", "dev"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("sagemaker-vpc") && r.stdout.contains("harden-account-baseline"),
        "{}",
        r.stdout
    );

    let r = harden(&moto, &dir, &["bootstrap", "--env", "dev", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = client(&moto);
    let resources = |stack: &str| -> Vec<String> {
        block_on(c.describe_stack_resources().stack_name(stack).send())
            .unwrap()
            .stack_resources()
            .iter()
            .filter_map(|r| r.logical_resource_id().map(str::to_string))
            .collect()
    };
    let made = resources("harden-bootstrap-demo");
    assert!(
        made.iter().any(|r| r == "ArtifactBucket") && made.iter().any(|r| r == "ServiceRole"),
        "{made:?}"
    );
    assert!(
        !made.iter().any(|r| r == "DeployRole"),
        "no CI roles without the repository: {made:?}"
    );

    let r = harden(&moto, &dir, &["bootstrap", "--env", "dev", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);

    let yaml = std::fs::read_to_string(dir.join("harden.yaml")).unwrap();
    let yaml = yaml.replace(
        "    # repository: OWNER/REPO",
        "    repository: acme/demo\n    #",
    );
    std::fs::write(dir.join("harden.yaml"), yaml).unwrap();
    let r = harden(
        &moto,
        &dir,
        &["bootstrap", "--env", "dev", "--yes", "--allow-broadening"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let made = resources("harden-bootstrap-demo");
    for id in ["GithubOidcProvider", "PlanRole", "DeployRole"] {
        assert!(made.iter().any(|r| r == id), "{id}: {made:?}");
    }

    let r = harden(&moto, &dir, &["deploy", "--env", "dev", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "acts as the service role `arn:aws:iam::123456789012:role/harden-demo-cfn-us-east-1`"
        ),
        "{}",
        r.stderr
    );
}
