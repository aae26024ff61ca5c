//! `harden report --account-standards` reads the account's enabled Security Hub standards,
//! against the SDK's mocks fed `GetEnabledStandards` answers shaped like AWS's: every page,
//! subscriptions being deleted or failed left out, a standard harden has no record of listed
//! by ARN, an account not subscribed to Security Hub reported as off, and a refused call as an
//! error naming the permission.

use aws_sdk_securityhub::operation::get_enabled_standards::{
    GetEnabledStandardsError, GetEnabledStandardsOutput,
};
use aws_sdk_securityhub::types::error::InvalidAccessException;
use aws_sdk_securityhub::types::{StandardsStatus, StandardsSubscription};
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use harden::deploy::security_hub::{read, PERMISSION};
use harden_blueprints::standards::Standard;

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn sub(arn: &str, status: StandardsStatus) -> StandardsSubscription {
    StandardsSubscription::builder()
        .standards_subscription_arn(format!("{arn}/subscription"))
        .standards_arn(arn)
        .set_standards_input(Some(std::collections::HashMap::new()))
        .standards_status(status)
        .build()
}

#[test]
fn every_page_is_read_and_only_live_subscriptions_count() {
    let first = mock!(Client::get_enabled_standards)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(
                    "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0",
                    StandardsStatus::Ready,
                ))
                .standards_subscriptions(sub(
                    "arn:aws:securityhub:eu-west-1::standards/some-new-standard/v/1.0.0",
                    StandardsStatus::Pending,
                ))
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::get_enabled_standards)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(
                    "arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
                    StandardsStatus::Incomplete,
                ))
                .standards_subscriptions(sub(
                    "arn:aws:securityhub:eu-west-1::standards/pci-dss/v/4.0.1",
                    StandardsStatus::Deleting,
                ))
                .build()
        });
    let c = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&first, &second]);
    let a = block(read(&c, Some("123456789012".into()), "eu-west-1")).unwrap();
    assert!(a.security_hub);
    assert_eq!(a.enabled, vec![Standard::Fsbp, Standard::Cis30]);
    assert_eq!(
        a.unknown,
        ["arn:aws:securityhub:eu-west-1::standards/some-new-standard/v/1.0.0"]
    );
    assert_eq!(first.num_calls() + second.num_calls(), 2);
}

#[test]
fn an_account_without_security_hub_is_reported_off_and_a_refusal_names_the_permission() {
    let off = mock!(Client::get_enabled_standards).then_error(|| {
        GetEnabledStandardsError::InvalidAccessException(
            InvalidAccessException::builder()
                .code("InvalidAccessException")
                .message("Account 123456789012 is not subscribed to AWS Security Hub")
                .build(),
        )
    });
    let c = mock_client!(aws_sdk_securityhub, [&off]);
    let a = block(read(&c, None, "us-east-1")).unwrap();
    assert!(!a.security_hub && a.enabled.is_empty());

    let denied = mock!(Client::get_enabled_standards).then_error(|| {
        // Not a modelled error of this operation: IAM's refusal comes as a generic one.
        GetEnabledStandardsError::generic(
            aws_sdk_securityhub::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: securityhub:GetEnabledStandards")
                .build(),
        )
    });
    let c = mock_client!(aws_sdk_securityhub, [&denied]);
    let e = block(read(&c, None, "us-east-1")).unwrap_err().to_string();
    assert!(
        e.contains("access denied reading the account's Security Hub standards in us-east-1"),
        "{e}"
    );
    assert!(e.contains(PERMISSION), "{e}");
}

/// Through the binary: with the flag and no Security Hub to answer, the report fails with the
/// cause and writes nothing; the same report without the flag reads nothing from AWS.
#[test]
fn the_flag_reads_the_account_and_its_absence_reads_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--format",
            "json",
            "--region",
            "eu-west-1",
        ];
        args.extend_from_slice(extra);
        assert_cmd::Command::cargo_bin("harden")
            .unwrap()
            .current_dir(tmp.path())
            .args(&args)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };
    let out = run(&["--account-standards"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("GetEnabledStandards"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["account"].is_null());
}
