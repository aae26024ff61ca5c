//! `harden report --account-standards`: the Security Hub standards the account has on in the
//! region (`GetEnabledStandards`), so the report says which claimed control ids the account's
//! own standards evaluate, not only those the reported stacks would enable.

use anyhow::Result;
use aws_sdk_securityhub::error::ProvideErrorMetadata;
use aws_sdk_securityhub::operation::get_enabled_standards::GetEnabledStandardsError;
use harden_blueprints::standards::Standard;
use harden_check::report::AccountStandards;

use super::aws::{explain, fail};

/// The permission the read needs, for messages.
pub const PERMISSION: &str = "securityhub:GetEnabledStandards";

/// Reads the enabled standards (every page). A subscription that is being deleted or failed
/// does not count; one still enabling (`PENDING`) or partly enabled (`INCOMPLETE`) does. An
/// account not subscribed to Security Hub is `security_hub: false`, not an error.
pub async fn read(
    c: &aws_sdk_securityhub::Client,
    account: Option<String>,
    region: &str,
) -> Result<AccountStandards> {
    let mut out = AccountStandards {
        account,
        region: region.to_string(),
        security_hub: true,
        enabled: Vec::new(),
        unknown: Vec::new(),
    };
    let mut next: Option<String> = None;
    loop {
        let r = match c
            .get_enabled_standards()
            .set_next_token(next.take())
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let code = e.code().unwrap_or_default().to_string();
                let message = e
                    .message()
                    .or_else(|| match e.as_service_error() {
                        Some(GetEnabledStandardsError::InvalidAccessException(x)) => x.message(),
                        _ => None,
                    })
                    .unwrap_or_default()
                    .to_string();
                let invalid_access = code == "InvalidAccessException"
                    || e.as_service_error()
                        .is_some_and(|s| s.is_invalid_access_exception());
                // Security Hub answers an account that has not enabled it with
                // InvalidAccessException "... is not subscribed to AWS Security Hub".
                if invalid_access && message.contains("not subscribed") {
                    out.security_hub = false;
                    return Ok(out);
                }
                if invalid_access {
                    return Err(fail(
                        format!("Security Hub refused to list the enabled standards in {region}: {message}\nhint: run from the account's Security Hub (not a member whose administrator manages it), or leave `--account-standards` out"),
                        format!("{code}: {message}"),
                    ));
                }
                if code.starts_with("AccessDenied") {
                    return Err(fail(
                        format!("access denied reading the account's Security Hub standards in {region}: {message}\nhint: grant `{PERMISSION}` to the role or user harden runs as, or leave `--account-standards` out (the report then counts the standards the stacks enable)"),
                        format!("{code}: {message}"),
                    ));
                }
                return Err(explain("GetEnabledStandards", "Security Hub", e));
            }
        };
        for s in r.standards_subscriptions() {
            let status = s.standards_status().map(|x| x.as_str()).unwrap_or_default();
            if matches!(status, "DELETING" | "FAILED") {
                continue;
            }
            let arn = s.standards_arn().unwrap_or_default();
            match Standard::from_arn(arn) {
                Some(st) if !out.enabled.contains(&st) => out.enabled.push(st),
                Some(_) => {}
                None => out.unknown.push(arn.to_string()),
            }
        }
        next = r.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    out.enabled.sort();
    out.unknown.sort();
    Ok(out)
}
