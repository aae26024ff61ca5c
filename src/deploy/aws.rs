//! The CloudFormation client: the standard credential and region chain (profiles, SSO,
//! environment, web identity in CI), retries with backoff for throttling and transient errors,
//! timeouts so an endpoint that does not answer fails instead of hanging, and SDK errors turned
//! into messages that say what happened and what to do.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::Client;

use crate::settings::AwsSettings;

/// Connects to CloudFormation. `AWS_ENDPOINT_URL` (read by the SDK) redirects every call,
/// which is how tests and demos use a local emulator.
pub async fn connect(s: &AwsSettings) -> Result<Client> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_millis(400)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &s.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        bail!("no AWS region is set\nhint: pass `--region`, set `AWS_REGION`, or give your profile a region");
    }
    Ok(Client::new(&conf))
}

/// Explains a failed call: which call, on which stack, why, and what to do.
pub fn explain<E, R>(op: &str, stack: &str, err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&err).to_string();
    let lower = detail.to_lowercase();
    if !matches!(err, SdkError::ServiceError(_))
        && (lower.contains("no credentials")
            || lower.contains("credentials provider")
            || lower.contains("credentialsnotloaded"))
    {
        return anyhow!(
            "no AWS credentials found for `{op}` on stack `{stack}`\nhint: set `AWS_PROFILE` or pass `--profile`, run `aws sso login`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`"
        );
    }
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Error");
            let msg = e.message().unwrap_or("no message");
            let hint = match code {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                    "\nhint: the credentials in use lack this permission; check the role or profile harden runs with"
                }
                "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "UnrecognizedClientException" => {
                    "\nhint: the credentials are expired or invalid; refresh them (`aws sso login`, or new CI credentials)"
                }
                "Throttling" | "ThrottlingException" => "\nhint: AWS kept throttling after retries; try again in a minute",
                _ => "",
            };
            anyhow!("AWS refused `{op}` for stack `{stack}`: {code}: {msg}{hint}")
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => anyhow!(
            "cannot reach CloudFormation for `{op}` on stack `{stack}`: {detail}\nhint: check the network, `--region`, and `AWS_ENDPOINT_URL` if you use one"
        ),
        _ => anyhow!("`{op}` for stack `{stack}` failed: {detail}"),
    }
}

/// Whether an error says the stack does not exist (CloudFormation answers a `ValidationError`).
pub fn is_missing_stack<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(se) => {
            se.err().code() == Some("ValidationError")
                && se
                    .err()
                    .message()
                    .is_some_and(|m| m.contains("does not exist"))
        }
        _ => false,
    }
}
