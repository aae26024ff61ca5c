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
