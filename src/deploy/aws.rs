//! The CloudFormation client: the standard credential and region chain (profiles, SSO,
//! environment, web identity in CI), retries with backoff for throttling and transient errors,
//! timeouts so an endpoint that does not answer fails instead of hanging, and SDK errors turned
//! into messages a person understands, with a hint that fits each. The SDK's own error text is
//! kept for `--verbose`.
//!
//! Before any call, `connect` checks what the SDK would otherwise find out late and explain
//! badly: a named profile that does not exist, a region that is missing or not a region name,
//! and credentials that cannot be found (saying where harden looked).

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Result;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::Client;

use crate::settings::AwsSettings;

/// Attempts per call, the first included, before a throttled or transient failure is final.
pub const MAX_ATTEMPTS: u32 = 6;

/// A failed AWS call or setup step: what a person needs to read, and the SDK's own account of
/// it (shown with `--verbose`).
#[derive(Debug)]
pub struct AwsError {
    /// The message, with its `hint:` line.
    pub message: String,
    /// The SDK's error with its whole context.
    pub raw: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AwsError {}

pub(crate) fn fail(message: String, raw: impl Into<String>) -> anyhow::Error {
    AwsError {
        message,
        raw: raw.into(),
    }
    .into()
}

/// Where CloudFormation calls go, for messages: the endpoint override, else the regional one.
static ENDPOINT: OnceLock<String> = OnceLock::new();

fn endpoint() -> &'static str {
    ENDPOINT
        .get()
        .map(String::as_str)
        .unwrap_or("CloudFormation")
}

/// Whether `r` is shaped like an AWS region name (`us-east-1`, `us-gov-west-1`,
/// `ap-southeast-5`, `us-isob-east-1`): lowercase words joined by hyphens, the first of two
/// letters (every AWS partition's regions start so), ending in a number.
pub fn is_region_name(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The clients harden uses, made from one loaded configuration so they share credentials,
/// region and endpoint: CloudFormation, and S3 for the artifact bucket.
#[derive(Debug, Clone)]
pub struct Clients {
    /// CloudFormation.
    pub cfn: Client,
    /// S3, path-style when an endpoint override is set (emulators serve buckets by path).
    pub s3: aws_sdk_s3::Client,
    /// The region both talk to.
    pub region: String,
    /// Clients of the other regions a deployment reaches (a replica stack's), made on first
    /// use from the same configuration and credentials, or given by tests.
    others: std::sync::Arc<std::sync::Mutex<Others>>,
}

/// What [`Clients::at`] makes the clients of another region from, and those it made.
#[derive(Debug, Default)]
struct Others {
    conf: Option<aws_config::SdkConfig>,
    path_style: bool,
    made: std::collections::BTreeMap<String, (Client, aws_sdk_s3::Client)>,
}

impl Clients {
    /// Clients made elsewhere (tests give mocks).
    pub fn new(cfn: Client, s3: aws_sdk_s3::Client, region: impl Into<String>) -> Clients {
        Clients {
            cfn,
            s3,
            region: region.into(),
            others: Default::default(),
        }
    }

    /// These clients, with mocks for another region (tests).
    pub fn with_region(
        self,
        region: impl Into<String>,
        cfn: Client,
        s3: aws_sdk_s3::Client,
    ) -> Clients {
        self.lock().made.insert(region.into(), (cfn, s3));
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Others> {
        self.others.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The clients of `region` (`None`, or this region: these), with the same credentials,
    /// endpoint and retries.
    pub fn at(&self, region: Option<&str>) -> Result<Clients> {
        let Some(region) = region.filter(|r| *r != self.region) else {
            return Ok(self.clone());
        };
        let mut others = self.lock();
        if !others.made.contains_key(region) {
            let Some(conf) = others.conf.clone() else {
                anyhow::bail!(
                    "no AWS clients for region `{region}` (only `{}` was configured)\nhint: this is a bug in harden; please report it",
                    self.region
                );
            };
            let r = Region::new(region.to_string());
            let cfn = Client::from_conf(
                aws_sdk_cloudformation::config::Builder::from(&conf)
                    .region(r.clone())
                    .build(),
            );
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&conf)
                    .region(r)
                    .force_path_style(others.path_style)
                    .build(),
            );
            others.made.insert(region.to_string(), (cfn, s3));
        }
        let (cfn, s3) = others.made[region].clone();
        Ok(Clients {
            cfn,
            s3,
            region: region.to_string(),
            others: self.others.clone(),
        })
    }
}

/// Connects to CloudFormation (see [`connect_all`]).
pub async fn connect(s: &AwsSettings) -> Result<Client> {
    Ok(connect_all(s).await?.cfn)
}

/// Connects to CloudFormation and S3. `AWS_ENDPOINT_URL` (read by the SDK) redirects every
/// call, which is how tests and demos use a local emulator. A named profile is used for
/// credentials even when the environment has some, as the AWS CLI does with `--profile`.
pub async fn connect_all(s: &AwsSettings) -> Result<Clients> {
    let (conf, region) = sdk_config(s).await?;
    let s3 = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(s.s3_endpoint.is_some())
        .build();
    let others = Others {
        conf: Some(conf.clone()),
        path_style: s.s3_endpoint.is_some(),
        made: Default::default(),
    };
    Ok(Clients {
        cfn: Client::new(&conf),
        s3: aws_sdk_s3::Client::from_conf(s3),
        region,
        others: std::sync::Arc::new(std::sync::Mutex::new(others)),
    })
}

/// Connects to Security Hub, as [`connect_all`] does to CloudFormation (`harden report
/// --account-standards` reads the standards the account has on).
pub async fn connect_security_hub(
    s: &AwsSettings,
) -> Result<(aws_sdk_securityhub::Client, String)> {
    let (conf, region) = sdk_config(s).await?;
    Ok((aws_sdk_securityhub::Client::new(&conf), region))
}

/// The SDK's configuration for these settings, and its region: the region and profile
/// checked, the credentials resolved, and the account and region of the project environment
/// checked when there is one.
async fn sdk_config(s: &AwsSettings) -> Result<(aws_types::SdkConfig, String)> {
    if let Some(r) = &s.region {
        if !is_region_name(r) {
            return Err(fail(
                format!("`--region {}` is not an AWS region name\nhint: pass a region like `us-east-1` (`aws ec2 describe-regions` lists them)", shown(r)),
                format!("region {r:?}"),
            ));
        }
    }
    if let Some(p) = &s.profile {
        check_profile(s, p).await?;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(400)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p).credentials_provider(
            ProfileFileCredentialsProvider::builder()
                .profile_name(p)
                .build(),
        );
    }
    if let Some(r) = &s.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let conf = loader.load().await;
    let region = match conf.region() {
        None => {
            let from = match &s.profile {
                Some(p) => format!("`--region`, `AWS_REGION` or profile `{p}`"),
                None => "`--region`, `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile".into(),
            };
            return Err(fail(
                format!("no AWS region is set: none in {from}\nhint: pass `--region`, set `AWS_REGION`, or give your profile a region"),
                "no region",
            ));
        }
        Some(r) => r.to_string(),
    };
    if !is_region_name(&region) {
        return Err(fail(
            format!("the AWS region `{}` (from `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile) is not a region name\nhint: set a region like `us-east-1`, or pass `--region`", shown(&region)),
            format!("region {region:?}"),
        ));
    }
    let _ = ENDPOINT.set(match &s.endpoint {
        Some(url) => format!("`{url}` (AWS_ENDPOINT_URL)"),
        None => format!("`https://cloudformation.{region}.amazonaws.com`"),
    });
    if let Some(provider) = conf.credentials_provider() {
        if let Err(e) = provider.provide_credentials().await {
            return Err(explain_credentials(s, &e));
        }
    }
    if let Some(x) = &s.expect {
        check_account(&conf, &region, x).await?;
    }
    Ok((conf, region))
}

/// Refuses (exit 5) credentials of another account, or another region, than the project
/// environment names: deploying the wrong account is the mistake a project file prevents.
async fn check_account(
    conf: &aws_config::SdkConfig,
    region: &str,
    x: &crate::settings::Expected,
) -> Result<()> {
    if region != x.region {
        return crate::exit::refuse(format!(
            "environment `{}` is in region `{}`, but the calls would go to `{region}`\nhint: leave `--region` out (the environment's region is used), or pick the environment of `{region}` with `--env`",
            x.env, x.region
        ));
    }
    let sts = aws_sdk_sts::Client::new(conf);
    let id = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| explain_sts(e, x))?;
    let account = id.account().unwrap_or_default();
    if account != x.account {
        return crate::exit::refuse(format!(
            "the credentials are of account {account} ({}), but environment `{}` of `{}` is account {}: nothing was changed\nhint: use credentials of account {} (`--profile`, or `profile:` in the environment), or pick the environment of account {account} with `--env`",
            id.arn().unwrap_or("unknown identity"),
            x.env,
            x.file,
            x.account,
            x.account
        ));
    }
    Ok(())
}

fn explain_sts(
    e: SdkError<aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError, HttpResponse>,
    x: &crate::settings::Expected,
) -> anyhow::Error {
    let raw = DisplayErrorContext(&e).to_string();
    let why = match &e {
        SdkError::ServiceError(se) => se
            .err()
            .message()
            .unwrap_or_else(|| se.err().code().unwrap_or("refused"))
            .to_string(),
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            "STS did not answer".to_string()
        }
        _ => "the call failed".to_string(),
    };
    fail(
        format!(
            "cannot tell which account the credentials are of (STS GetCallerIdentity: {why}), so harden cannot check they are environment `{}`'s (account {})\nhint: check the credentials and the network, then run again; `-v` shows the SDK's error",
            x.env, x.account
        ),
        raw,
    )
}

/// A value as shown in a message: empty shows as `""`.
fn shown(v: &str) -> &str {
    if v.is_empty() {
        "\"\""
    } else {
        v
    }
}

/// The shared config files the SDK reads, as shown in messages: `` `~/.aws/config` ``, with
/// `(missing)` after one that does not exist.
fn shared_files(s: &AwsSettings) -> Vec<String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    [
        (&s.config_file, "config"),
        (&s.credentials_file, "credentials"),
    ]
    .into_iter()
    .map(|(set, file)| {
        let (shown, path) = match set {
            Some(p) => (p.clone(), Some(std::path::PathBuf::from(p))),
            None => (
                format!("~/.aws/{file}"),
                home.as_ref().map(|h| h.join(".aws").join(file)),
            ),
        };
        let missing = path.is_some_and(|p| !p.exists());
        format!("`{shown}`{}", if missing { " (missing)" } else { "" })
    })
    .collect()
}

/// A named profile must exist in the shared files: the SDK would otherwise fall back to no
/// region and no credentials and say only that.
async fn check_profile(s: &AwsSettings, name: &str) -> Result<()> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let set = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &files,
        Some(Cow::Owned(name.to_string())),
    )
    .await;
    let read = shared_files(s).join(" nor ");
    match set {
        Ok(set) if set.get_profile(name).is_some() => Ok(()),
        Ok(set) => {
            let mut known: Vec<&str> = set.profiles().collect();
            known.sort_unstable();
            let hint = if known.is_empty() {
                "hint: create it with `aws configure --profile NAME` (or `aws configure sso`), or leave `--profile` out to use the environment's credentials".to_string()
            } else {
                format!(
                    "hint: the profiles there are {}",
                    known
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            Err(fail(
                format!("AWS profile `{name}` does not exist: it is in neither {read}\n{hint}"),
                format!("profile {name:?} not in the profile set"),
            ))
        }
        Err(e) => Err(fail(
            format!("cannot read the AWS config files ({}) for profile `{name}`: {e}\nhint: fix the file's syntax (`aws configure list-profiles` shows whether the AWS CLI can read it)", shared_files(s).join(", ")),
            DisplayErrorContext(&e).to_string(),
        )),
    }
}

/// Why credentials could not be found or loaded, and where harden looked.
fn explain_credentials(s: &AwsSettings, e: &CredentialsError) -> anyhow::Error {
    let raw = DisplayErrorContext(e).to_string();
    let looked = match &s.profile {
        Some(p) => format!("profile `{p}` in {}", shared_files(s).join(" and ")),
        None => format!(
            "the environment (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, `AWS_WEB_IDENTITY_TOKEN_FILE`), the shared files ({}), SSO, and the container and instance metadata services",
            shared_files(s).join(", ")
        ),
    };
    let message = match e {
        CredentialsError::CredentialsNotLoaded(_) => format!(
            "no AWS credentials found: harden looked in {looked}\nhint: set `AWS_PROFILE` or pass `--profile`, run `aws sso login`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`"
        ),
        CredentialsError::ProviderTimedOut(_) => format!(
            "no AWS credentials found in time: looking in {looked} timed out\nhint: off AWS, the instance metadata service does not answer; set `AWS_PROFILE`, pass `--profile`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`"
        ),
        _ if raw.contains("IMDS") || raw.to_lowercase().contains("metadata") => {
            "no AWS credentials found: none in the environment, the shared files or SSO, and the instance metadata service did not answer\nhint: set `AWS_PROFILE` or pass `--profile`, run `aws sso login`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (on an EC2 instance, check its instance profile)".to_string()
        }
        CredentialsError::InvalidConfiguration(_) => format!(
            "the AWS credentials configuration is invalid: {}\nhint: check {looked}",
            innermost(e)
        ),
        _ => format!(
            "loading AWS credentials failed: {}\nhint: check {looked}; for SSO run `aws sso login`",
            innermost(e)
        ),
    };
    fail(message, raw)
}

/// The innermost cause of an error, which is usually the one that says what happened
/// (`Connection refused (os error 111)`).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Throttling error codes, across AWS services.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
];

/// Explains a failed call: which call, on which stack, why, and what to do.
pub fn explain<E>(op: &str, stack: &str, err: SdkError<E, HttpResponse>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let raw = DisplayErrorContext(&err).to_string();
    let message = match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let status = se.raw().status().as_u16();
            service_message(op, stack, e.code(), e.message(), status)
        }
        SdkError::TimeoutError(_) => format!(
            "{} did not answer `{op}` for stack `{stack}` in time ({MAX_ATTEMPTS} attempts of up to 30 s)\nhint: check the network and proxy settings; `--verbose` shows the SDK's error",
            endpoint()
        ),
        SdkError::DispatchFailure(d) => {
            let lower = raw.to_lowercase();
            if lower.contains("credentials") || lower.contains("identity") {
                format!(
                    "the AWS credentials stopped working during `{op}` on stack `{stack}`: {}\nhint: refresh them (`aws sso login`, or new CI credentials) and rerun the same command",
                    innermost(&err)
                )
            } else if d.is_timeout() {
                format!(
                    "{} did not answer `{op}` for stack `{stack}`: the connection timed out\nhint: check the network, proxy settings, `--region`, and `AWS_ENDPOINT_URL` if you use one",
                    endpoint()
                )
            } else {
                format!(
                    "cannot reach {} for `{op}` on stack `{stack}`: {}\nhint: check the network, `--region`, and `AWS_ENDPOINT_URL` if you use one",
                    endpoint(),
                    innermost(&err)
                )
            }
        }
        SdkError::ResponseError(_) => format!(
            "the answer to `{op}` for stack `{stack}` could not be read\nhint: an emulator or proxy may have answered instead of AWS; `--verbose` shows the SDK's error"
        ),
        SdkError::ConstructionFailure(_) => format!(
            "the `{op}` request for stack `{stack}` could not be built: {}\nhint: check `--region` and `AWS_ENDPOINT_URL`",
            innermost(&err)
        ),
        _ => format!("`{op}` for stack `{stack}` failed: {}", innermost(&err)),
    };
    fail(message, raw)
}

/// The message for an error AWS answered with.
fn service_message(
    op: &str,
    stack: &str,
    code: Option<&str>,
    msg: Option<&str>,
    status: u16,
) -> String {
    let code_s = code.unwrap_or("");
    if THROTTLING.contains(&code_s) {
        return format!(
            "AWS kept throttling `{op}` for stack `{stack}` after {MAX_ATTEMPTS} attempts with backoff\nhint: another tool may be calling CloudFormation heavily in this account; try again in a minute"
        );
    }
    match code_s {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            return access_denied(op, stack, msg.unwrap_or(""));
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            return format!(
                "the AWS credentials have expired (`{op}` for stack `{stack}`)\nhint: refresh them (`aws sso login`, or new CI credentials) and rerun the same command"
            );
        }
        "InvalidClientTokenId" | "UnrecognizedClientException" => {
            return format!(
                "AWS does not recognise the access key in use (`{op}` for stack `{stack}`)\nhint: the key is wrong or deleted, or belongs to another partition; check `AWS_ACCESS_KEY_ID` or the profile"
            );
        }
        "SignatureDoesNotMatch" => {
            return format!(
                "AWS rejected the request signature (`{op}` for stack `{stack}`): the secret key does not match the access key\nhint: check `AWS_SECRET_ACCESS_KEY` or the profile's `aws_secret_access_key`"
            );
        }
        _ => {}
    }
    match (code, msg) {
        (None, None) => format!(
            "AWS answered `{op}` for stack `{stack}` with HTTP {status} and no error code or message{}\nhint: {}; `--verbose` shows the raw error",
            if status >= 500 { ": a failure on the server's side" } else { "" },
            if status >= 500 {
                "try again; an emulator answers so when it does not implement the call"
            } else {
                "check the endpoint (`AWS_ENDPOINT_URL`) answers like CloudFormation"
            }
        ),
        (code, msg) => {
            let code = code.unwrap_or("Error");
            let msg = msg.unwrap_or("no message");
            if status >= 500 {
                format!(
                    "AWS failed `{op}` for stack `{stack}` on its side (HTTP {status}): {code}: {msg}\nhint: try again in a minute"
                )
            } else {
                format!("AWS refused `{op}` for stack `{stack}`: {code}: {msg}")
            }
        }
    }
}

/// An access-denied message, with the principal, action and resource when AWS names them
/// (`User: ARN is not authorized to perform: ACTION on resource: ARN [because ...]`).
fn access_denied(op: &str, stack: &str, msg: &str) -> String {
    let parsed = msg.split_once("User: ").and_then(|(_, rest)| {
        let (who, rest) = rest.split_once(" is not authorized to perform: ")?;
        let (action, rest) = match rest.split_once(" on resource: ") {
            Some((a, r)) => (a, Some(r)),
            None => (rest, None),
        };
        let (resource, why) = match rest {
            Some(r) => match r.split_once(' ') {
                Some((res, why)) => (Some(res), why.trim()),
                None => (Some(r), ""),
            },
            None => (None, ""),
        };
        Some((who, action.trim(), resource, why))
    });
    match parsed {
        Some((who, action, resource, why)) => {
            let on = resource.map(|r| format!(" on `{r}`")).unwrap_or_default();
            let explicit = why.contains("explicit deny");
            format!(
                "access denied: `{who}` may not call `{action}`{on} (`{op}` for stack `{stack}`){}\nhint: {}",
                if why.is_empty() { String::new() } else { format!(": {why}") },
                if explicit {
                    "an explicit deny (a service control policy, permissions boundary or resource policy) blocks it; ask the account's administrators"
                } else {
                    "grant that action on that resource to the role or user harden runs as"
                }
            )
        }
        None => format!(
            "access denied for `{op}` on stack `{stack}`: {}\nhint: the credentials in use lack this permission; check the role or profile harden runs with",
            if msg.is_empty() { "no message" } else { msg }
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-5",
            "us-isob-east-1",
            "il-central-1",
        ] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "us--1",
            "-east-1",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn access_denied_names_who_what_and_where() {
        let m = access_denied(
            "CreateChangeSet",
            "app",
            "User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: cloudformation:CreateChangeSet on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/app/* because no identity-based policy allows the cloudformation:CreateChangeSet action",
        );
        assert_eq!(
            m,
            "access denied: `arn:aws:sts::123456789012:assumed-role/ci/run` may not call `cloudformation:CreateChangeSet` on `arn:aws:cloudformation:us-east-1:123456789012:stack/app/*` (`CreateChangeSet` for stack `app`): because no identity-based policy allows the cloudformation:CreateChangeSet action\nhint: grant that action on that resource to the role or user harden runs as"
        );
        let m = access_denied(
            "DeleteStack",
            "app",
            "User: arn:aws:iam::1:user/x is not authorized to perform: cloudformation:DeleteStack on resource: arn:x with an explicit deny in a service control policy",
        );
        assert!(m.contains("hint: an explicit deny"), "{m}");
        let m = access_denied("DescribeStacks", "app", "Access Denied");
        assert_eq!(m, "access denied for `DescribeStacks` on stack `app`: Access Denied\nhint: the credentials in use lack this permission; check the role or profile harden runs with");
    }

    #[test]
    fn service_errors_say_what_happened() {
        assert_eq!(
            service_message("UpdateTerminationProtection", "app", None, None, 500),
            "AWS answered `UpdateTerminationProtection` for stack `app` with HTTP 500 and no error code or message: a failure on the server's side\nhint: try again; an emulator answers so when it does not implement the call; `--verbose` shows the raw error"
        );
        assert_eq!(
            service_message("DescribeStacks", "app", Some("Throttling"), Some("Rate exceeded"), 400),
            "AWS kept throttling `DescribeStacks` for stack `app` after 6 attempts with backoff\nhint: another tool may be calling CloudFormation heavily in this account; try again in a minute"
        );
        assert_eq!(
            service_message(
                "CreateChangeSet",
                "app",
                Some("ValidationError"),
                Some("Template format error"),
                400
            ),
            "AWS refused `CreateChangeSet` for stack `app`: ValidationError: Template format error"
        );
        assert!(service_message("X", "app", Some("ExpiredToken"), None, 400)
            .starts_with("the AWS credentials have expired"));
        assert!(
            service_message("X", "app", Some("InternalFailure"), Some("oops"), 503).starts_with(
                "AWS failed `X` for stack `app` on its side (HTTP 503): InternalFailure: oops"
            )
        );
    }
}
