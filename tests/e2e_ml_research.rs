//! The ml-research cycle through the real binary against moto's CloudFormation server on
//! 127.0.0.1, at basic: deploy (the account baseline's API Gateway logging stack, the
//! platform, the batch stack, the inference stack), a no-op deploy, a parameter change,
//! destroy.
//!
//! Where moto 5.2.5 mis-handles something AWS accepts, the test records what moto does, with
//! a comment; the templates are not bent to it. What moto does here:
//! - it reports every resource of the four stacks created (the Batch compute environment, queue
//!   and job definition, the SageMaker model, endpoint configuration and endpoint, the Lambda
//!   function in the VPC, the REST API and its stage, the ECR repositories...); this test
//!   checks the stack operations and harden's handling of them, not that moto models each
//!   type (it starts no endpoint instance and pulls no image: on AWS the endpoint waits for the
//!   model server image in the `inference` repository);
//! - it registers no export of a stack created by a change set, and resolves no
//!   `Fn::ImportValue` in one, and its CloudFormation has no `AWS::ApiGateway::RequestValidator`:
//!   `tests/moto_server.py` adds both as AWS documents them (the batch and inference stacks
//!   import the platform's exports, and the API's method names its validator);
//! - the network ACL, AWS Backup and the vault lock are enhanced and enterprise controls, so
//!   this basic cycle does not reach them;
//! - on delete, see the destroy step below.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

const BASIC: &[&str] = &["--blueprint", "ml-research", "--tier", "basic"];

const STACKS: &[&str] = &[
    "harden-account-baseline",
    "ml-research",
    "ml-research-batch",
    "ml-research-inference",
];

#[test]
fn ml_research_deploy_noop_change_destroy_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Deploy: four stacks, the baseline's first, then in dependency order.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut at = 0;
    for stack in STACKS {
        let line = format!("stack {stack}: CREATE_COMPLETE");
        let i = r
            .stderr
            .find(&line)
            .unwrap_or_else(|| panic!("{stack}: {}", r.stderr));
        assert!(i >= at, "{stack} deployed out of order: {}", r.stderr);
        at = i;
    }

    // No-op: nothing to do, no change set left.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
    for stack in STACKS {
        assert_eq!(change_sets(&moto, stack), 0, "{stack}");
    }

    // A parameter change: the plan shows it, the deploy applies it.
    let change = with(BASIC, &["--param", "job_attempts=5"]);
    let r = harden(&moto, dir, &with(&["plan", "--detailed-exitcode"], &change));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("JobDefinition"), "{}", r.stdout);
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &change));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("UPDATE_COMPLETE"), "{}", r.stderr);
    let r = harden(&moto, dir, &with(&["plan", "--detailed-exitcode"], &change));
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Destroy: the blueprint's stacks, the account baseline kept.
    let destroy = ["destroy", "--blueprint", "ml-research", "--yes"];
    let r = harden(&moto, dir, &destroy);
    assert!(
        r.stderr.contains("keeping the account baseline"),
        "{}",
        r.stderr
    );
    // moto 5.2.5 answers DeleteStack with DeleteConflict at times ("must detach all policies
    // first": it deletes a role before the managed policy attached to it) or
    // DependencyViolation (a VPC before what is in it), while removing the stack anyway; AWS
    // orders deletions by dependency. harden reports the refusal; a second destroy finds what
    // is left.
    for _ in 0..2 {
        let r = harden(&moto, dir, &destroy);
        assert!(
            r.code == 0 || r.stderr.contains("AWS refused `DeleteStack`"),
            "{}",
            r.stderr
        );
    }
    let r = harden(&moto, dir, &with(&["status", "--format", "json"], BASIC));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let deployed = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {}", r.stdout))["deployed"]
            == true
    };
    for stack in &STACKS[1..] {
        assert!(!deployed(stack), "{stack}: {}", r.stdout);
    }
    assert!(deployed("harden-account-baseline"), "kept: {}", r.stdout);
}
