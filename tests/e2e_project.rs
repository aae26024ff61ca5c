//! A project file against moto: `harden plan --env E` with no other flag, and the account
//! guard: credentials of another account, or calls to another region, than the environment
//! names are refused (exit 5) before anything is created, with both ids in the message.

#[path = "support/moto.rs"]
mod moto;

use moto::*;

fn project(account: &str) -> String {
    format!(
        "project: demo\nstacks:\n  - blueprint: sagemaker-vpc\n    name: models\nenvironments:\n  dev:\n    account: \"{account}\"\n    region: us-east-1\n    tier: basic\n  other:\n    account: \"123456789012\"\n    region: eu-west-1\n    tier: basic\n"
    )
}

#[test]
fn plan_with_a_project_file_checks_the_account_and_region_first() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // moto's account is 123456789012.
    std::fs::write(dir.join("harden.yaml"), project("123456789012")).unwrap();
    let r = harden(&moto, dir, &["plan", "--env", "dev"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("models"), "{}", r.stdout);
    assert_eq!(
        change_sets(&moto, "models"),
        0,
        "the plan's change sets are deleted"
    );

    // Another account: refused before any change set, both ids named.
    let c = client(&moto);
    let count = || {
        block_on(c.list_stacks().send())
            .unwrap()
            .stack_summaries()
            .len()
    };
    let before = count();
    std::fs::write(dir.join("harden.yaml"), project("210987654321")).unwrap();
    let r = harden(&moto, dir, &["plan", "--env", "dev"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: the credentials are of account 123456789012")
            && r.stderr
                .contains("environment `dev` of `harden.yaml` is account 210987654321"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &["deploy", "--env", "dev", "--yes"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(count(), before, "nothing was created in the wrong account");

    // Another region than the environment's, by flag: refused.
    std::fs::write(dir.join("harden.yaml"), project("123456789012")).unwrap();
    let r = harden(
        &moto,
        dir,
        &["plan", "--env", "dev", "--region", "us-west-2"],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "environment `dev` is in region `us-east-1`, but the calls would go to `us-west-2`"
        ),
        "{}",
        r.stderr
    );
    // The environment's region is used over AWS_REGION: `other` is eu-west-1.
    let r = harden(&moto, dir, &["plan", "--env", "other"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
