//! The cognito-api deploy cycle at basic through the real binary against moto's
//! CloudFormation server on 127.0.0.1, as far as moto 5.2.5 can take it.
//!
//! What moto does with these stacks (the templates are not bent to it):
//! - it has no CloudFormation model for `AWS::Cognito::UserPool`, `UserPoolClient`,
//!   `UserPoolDomain`, `AWS::OpenSearchServerless::*`, `AWS::S3::BucketPolicy` or
//!   `AWS::SQS::QueuePolicy`: it skips them with a warning (nothing is created);
//! - `ExecuteChangeSet` (how harden creates every stack) never registers the stack's exports
//!   (moto does that only in `CreateStack`), so the application stack's `Fn::ImportValue` of
//!   the data stack's exports fails: "No export named cognito-api-data-DeadLetterQueueArn
//!   found". A shim would not be enough: the data stack exports the collection's endpoint
//!   (`GetAtt VectorCollection.CollectionEndpoint`), and moto cannot evaluate a `GetAtt` of a
//!   type it does not model ("Fn::GetAtt references undefined resource VectorCollection";
//!   through `CreateStack` its output check even answers HTTP 500). AWS accepts the template;
//!   cfn-lint checks the attribute against the type's schema;
//! - deleting the data stack, moto deletes the backend's role before detaching its managed
//!   policy and refuses with IAM's `DeleteConflict`.
//!
//! So this test deploys the account baseline and the data stack, shows the application stack
//! refused with moto's message and nothing of it left behind, shows a parameter change's plan
//! refused the same way, and records the destroy moto refuses. The full cycle (no-op, change, destroy of
//! both stacks) needs an emulator that models Cognito and OpenSearch Serverless.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

const BASIC: &[&str] = &["--blueprint", "cognito-api", "--tier", "basic"];

#[test]
fn deploy_at_basic_against_moto_as_far_as_moto_goes() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // A new deployment: three stacks to create (the baseline's API Gateway logging role, the
    // data stack, the application stack), and no change set left behind.
    let r = harden(
        &moto,
        dir,
        &with(&["plan"], &with(BASIC, &["--detailed-exitcode"])),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("plan: 3 stacks (3 to create)")
            || r.stdout.contains("plan: 3 stacks (3 to create)"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    for s in ["harden-account-baseline", "cognito-api-data", "cognito-api"] {
        assert_eq!(change_sets(&moto, s), 0, "{s}");
    }

    // Deploy: the baseline and the data stack are created; moto refuses the application
    // stack's imports (see above), and harden removes what the refused change set made.
    let r = harden(&moto, dir, &with(&["deploy"], &with(BASIC, &["--yes"])));
    assert_eq!(r.code, 1, "{}", r.stderr);
    for s in ["harden-account-baseline", "cognito-api-data"] {
        assert!(
            r.stderr.contains(&format!("stack {s}: CREATE_COMPLETE")),
            "{s}: {}",
            r.stderr
        );
    }
    assert!(
        r.stderr
            .contains("No export named cognito-api-data-DeadLetterQueueArn found"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("deleted the empty stack `cognito-api` the change set had created"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["status"], BASIC));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("stack cognito-api-data: CREATE_COMPLETE"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("stack cognito-api: not deployed"),
        "{}",
        r.stdout
    );

    // A parameter change that reaches the data stack (how old a presigned URL the buckets
    // honour): planning it plans the application stack's create as well, whose change set moto
    // cannot list for the same missing exports. Nothing is left behind either way.
    let change = with(BASIC, &["--param", "presigned_url_ttl=5m"]);
    let r = harden(
        &moto,
        dir,
        &with(&["plan"], &with(&change, &["--detailed-exitcode"])),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("No export named cognito-api-data-DeadLetterQueueArn found"),
        "{}",
        r.stderr
    );
    assert_eq!(change_sets(&moto, "cognito-api-data"), 0);

    // Destroy: harden says the table is retained (deletion protection), then moto refuses
    // the deletion (its IAM order, see above).
    let r = harden(&moto, dir, &with(&["destroy"], &with(BASIC, &["--yes"])));
    assert!(
        r.stderr.contains("ExecutionsTable (AWS::DynamoDB::Table)"),
        "{}",
        r.stderr
    );
    assert!(
        r.code == 0 || r.stderr.contains("DeleteConflict"),
        "{}",
        r.stderr
    );
}
