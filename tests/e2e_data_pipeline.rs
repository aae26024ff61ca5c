//! The data-pipeline cycle through the real binary against moto's CloudFormation server on
//! 127.0.0.1, at basic: deploy (the data stack, then the tasks stack importing its exports; no
//! account baseline below enhanced), a no-op deploy, a parameter change, destroy.
//!
//! Where moto 5.2.5 mis-handles something AWS accepts, the test records what moto does, with
//! a comment; the templates are not bent to it. What moto does here:
//! - it reports every resource of the two stacks created; this test checks the stack
//!   operations and harden's handling of them, not that moto models each type (it has no
//!   CloudFormation model for `AWS::EC2::SecurityGroupEgress`, `AWS::S3::BucketPolicy` or the
//!   network ACL entries, runs no ECS task and starts no database engine);
//! - its `AWS::RDS::DBInstance` evaluates only `Endpoint.Address` and `Endpoint.Port` in
//!   `Fn::GetAtt` (the data stack exports `DbiResourceId`, for the task role's
//!   `rds-db:connect` ARN, and `MasterUserSecret.SecretArn`), drops
//!   `ManageMasterUserPassword` (so it makes no secret), and takes the model of a `Ref`'d
//!   parameter group for its name; and a stack made by a change set neither registers its
//!   exports nor reads the region's in `Fn::ImportValue`. `tests/moto_server.py` adds each of
//!   these as AWS documents it (nothing of the template changes); without them the tasks
//!   stack's imports fail ("No export named data-pipeline-DataKeyArn found");
//! - it deletes the database although `DeletionProtection` is on: AWS refuses, and a real
//!   destroy needs deletion protection turned off first (the blueprint's page says how);
//! - on delete, see the destroy step below.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

const BASIC: &[&str] = &["--blueprint", "data-pipeline", "--tier", "basic"];
const STACKS: [&str; 2] = ["data-pipeline", "data-pipeline-tasks"];

#[test]
fn data_pipeline_deploy_noop_change_destroy_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Deploy: two stacks, the data stack first (the tasks stack imports its exports).
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for stack in STACKS {
        assert!(
            r.stderr
                .contains(&format!("stack {stack}: CREATE_COMPLETE")),
            "{stack}: {}",
            r.stderr
        );
    }
    assert!(
        !r.stderr.contains("harden-account-baseline"),
        "{}",
        r.stderr
    );

    // No-op: nothing to do, no change set left.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
    for stack in STACKS {
        assert_eq!(change_sets(&moto, stack), 0, "{stack}");
    }

    // A parameter change (the image pushed, the service started): the plan shows it on the
    // service of the tasks stack only, the deploy applies it.
    let change = with(BASIC, &["--param", "desired_count=1"]);
    let r = harden(&moto, dir, &with(&["plan", "--detailed-exitcode"], &change));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("Service"), "{}", r.stdout);
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &change));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stack data-pipeline-tasks: UPDATE_COMPLETE"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["plan", "--detailed-exitcode"], &change));
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Destroy: the tasks stack, then the data stack.
    let destroy = ["destroy", "--blueprint", "data-pipeline", "--yes"];
    let r = harden(&moto, dir, &destroy);
    // As for batch-fargate: moto 5.2.5 may answer DeleteStack with DeleteConflict (a role
    // before its attached managed policy) or DependencyViolation (a VPC before what is in it)
    // while removing the stack anyway; AWS orders deletions by dependency. harden reports the
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
    for stack in STACKS {
        let deployed = v
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == stack)
            .unwrap_or_else(|| panic!("{stack} in {}", r.stdout))["deployed"]
            == true;
        assert!(!deployed, "{stack}: {}", r.stdout);
    }
}
