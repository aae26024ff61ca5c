//! The batch-fargate cycle through the real binary against moto's CloudFormation server on
//! 127.0.0.1, at basic: deploy (the account baseline's API Gateway logging stack, the workload,
//! the job API), a no-op deploy, a parameter change, destroy.
//!
//! Where moto 5.2.5 mis-handles something AWS accepts, the test records what moto does, with
//! a comment; the templates are not bent to it. What moto does here:
//! - it reports every resource of the three stacks created (the Batch compute environment,
//!   queue and job definition, the API Gateway account setting, REST API, stage and WAF
//!   association, the secret's resource policy...); this test checks the stack operations and
//!   harden's handling of them, not that moto models each type;
//! - without a `RepositoryName`, it generates an ECR repository name from the stack name and
//!   logical id with capitals, which its own ECR then refuses (`InvalidParameterException` on
//!   `repositoryName`); the blueprint names its repository (`<stack>/job`, lowercase) for a
//!   predictable push target, so this is not hit;
//! - on delete, see the destroy step below.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

const BASIC: &[&str] = &["--blueprint", "batch-fargate", "--tier", "basic"];

#[test]
fn batch_fargate_deploy_noop_change_destroy_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Deploy: three stacks, the baseline's first.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for stack in [
        "harden-account-baseline",
        "batch-fargate",
        "batch-fargate-api",
    ] {
        assert!(
            r.stderr
                .contains(&format!("stack {stack}: CREATE_COMPLETE")),
            "{stack}: {}",
            r.stderr
        );
    }
    // The API stack imports the first stack's exports, which did not exist yet: its change
    // set was made once that stack had deployed, and held to the approved plan.
    assert!(
        r.stderr.contains(
            "its change set is made once `batch-fargate` has deployed: it imports `batch-fargate-"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("stack batch-fargate-api: change set made now that batch-fargate deployed; it does nothing the plan did not show"),
        "{}",
        r.stderr
    );

    // No-op: nothing to do, no change set left.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
    for stack in [
        "harden-account-baseline",
        "batch-fargate",
        "batch-fargate-api",
    ] {
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

    // Destroy: the workload's stacks, the account baseline kept.
    let destroy = ["destroy", "--blueprint", "batch-fargate", "--yes"];
    let r = harden(&moto, dir, &destroy);
    assert!(
        r.stderr.contains("keeping the account baseline"),
        "{}",
        r.stderr
    );
    // moto 5.2.5 answers DeleteStack for the job API stack with DeleteConflict ("must detach
    // all policies first": it deletes a role before the managed policy attached to it), and
    // for the workload with DependencyViolation at times (a VPC before what is in it), while
    // removing the stack anyway; AWS orders deletions by dependency. harden reports the
    // refusal; a second destroy finds what is left.
    assert!(
        r.code == 0 || r.stderr.contains("AWS refused `DeleteStack`"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &destroy);
    assert!(
        r.code == 0 || r.stderr.contains("AWS refused `DeleteStack`"),
        "{}",
        r.stderr
    );
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
    assert!(!deployed("batch-fargate"), "{}", r.stdout);
    assert!(!deployed("batch-fargate-api"), "{}", r.stdout);
    assert!(deployed("harden-account-baseline"), "kept: {}", r.stdout);
}
