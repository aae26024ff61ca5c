//! The account's IAM password policy. CloudFormation has no resource type for it, so a
//! Lambda-backed custom resource sets it on create and update (14 characters minimum, all four
//! character classes, 90-day expiry, the last 24 passwords not reused) and, when the stack is
//! deleted, puts back the policy the account had before: the account-wide setting is the
//! account's, not the stack's.
//!
//! # The physical id records what delete does
//!
//! On create, before setting the policy, the function reads the account's current one
//! (`iam:GetAccountPasswordPolicy`) and returns it as the resource's physical id:
//!
//! - `harden-password-policy:previous=none`: the account had no password policy; delete
//!   removes the policy (`iam:DeleteAccountPasswordPolicy`).
//! - `harden-password-policy:previous=<settings>`: `<settings>` is the base64url encoding
//!   (RFC 4648 section 5, without `=` padding) of the compact JSON object of the previous
//!   policy's settings that `iam:UpdateAccountPasswordPolicy` accepts (`MinimumPasswordLength`,
//!   `RequireSymbols`, `RequireNumbers`, `RequireUppercaseCharacters`,
//!   `RequireLowercaseCharacters`, `AllowUsersToChangePassword`, `MaxPasswordAge`,
//!   `PasswordReusePrevention`, `HardExpiry`; those the account did not set are absent, keys
//!   sorted). Delete calls `UpdateAccountPasswordPolicy` with them, which also resets every
//!   setting not listed to its default, as it was. The id is at most 1,024 characters (the
//!   function asserts it; all nine settings take about 350).
//! - `harden-password-policy:unchanged`: the create failed before reading the policy, so it
//!   changed nothing; the delete that rolls it back leaves the policy alone. (Also what an
//!   unreadable `previous=` value means: delete then leaves the policy rather than guess.)
//! - Any other id (`account-password-policy`, what the function returned before it recorded
//!   the previous policy): delete removes the policy, as those stacks always did.
//!
//! On update the function returns the id the event carries: a new id would make
//! CloudFormation delete the old one, which would restore the previous policy mid-update.
//! [`on_delete`] reads an id the same way the function does, so `harden destroy` can say
//! which of these a deletion will do.

use std::fmt;

use indexmap::IndexMap;

use crate::cfn::custom::CustomResource;
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::Wildcard;
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::tier::Tier;

/// The control.
pub static PASSWORD_POLICY: Control = Control {
    id: "password-policy",
    title: "account password policy: 14+ characters, all character classes, 90-day expiry, 24 passwords remembered; the previous policy restored on delete",
    tier: Tier::Enterprise,
    cis: &["1.8", "1.9"],
    security_hub: &["IAM.7", "IAM.15", "IAM.16"],
};

/// Every physical id the function gives starts with this.
pub const PHYSICAL_ID_PREFIX: &str = "harden-password-policy:";

/// What follows the prefix when the id records the previous policy.
const PREVIOUS: &str = "previous=";

/// The longest physical id CloudFormation keeps.
pub const PHYSICAL_ID_LIMIT: usize = 1024;

/// The policy's settings, passed to the function as the custom resource's properties.
const SETTINGS: &[(&str, Setting)] = &[
    ("MinimumPasswordLength", Setting::Int(14)),
    ("RequireSymbols", Setting::Bool(true)),
    ("RequireNumbers", Setting::Bool(true)),
    ("RequireUppercaseCharacters", Setting::Bool(true)),
    ("RequireLowercaseCharacters", Setting::Bool(true)),
    ("AllowUsersToChangePassword", Setting::Bool(true)),
    ("MaxPasswordAge", Setting::Int(90)),
    ("PasswordReusePrevention", Setting::Int(24)),
    ("HardExpiry", Setting::Bool(false)),
];

enum Setting {
    Int(i64),
    Bool(bool),
}

/// The function's source (Python, inline in the template). Public so a test can run it
/// against a fake IAM client.
pub const HANDLER_CODE: &str = r#"import base64, json
import boto3, cfnresponse

iam = boto3.client('iam')
NONE = iam.exceptions.NoSuchEntityException
INTS = ('MinimumPasswordLength', 'MaxPasswordAge', 'PasswordReusePrevention')
KEYS = INTS + ('RequireSymbols', 'RequireNumbers', 'RequireUppercaseCharacters',
               'RequireLowercaseCharacters', 'AllowUsersToChangePassword', 'HardExpiry')
ID = 'harden-password-policy:'
PREV = ID + 'previous='


def previous():
    try:
        p = iam.get_account_password_policy()['PasswordPolicy']
    except NONE:
        return PREV + 'none'
    text = json.dumps({k: p[k] for k in KEYS if k in p}, separators=(',', ':'), sort_keys=True)
    physical = PREV + base64.urlsafe_b64encode(text.encode()).decode().rstrip('=')
    assert len(physical) <= 1024, 'the previous policy does not fit in a physical id'
    return physical


def restore(physical):
    if physical == PREV + 'none' or not physical.startswith(ID):
        try:
            iam.delete_account_password_policy()
        except NONE:
            pass
    elif physical.startswith(PREV):
        v = physical[len(PREV):]
        try:
            p = json.loads(base64.urlsafe_b64decode(v + '=' * (-len(v) % 4)))
        except ValueError:
            p = None
        if not isinstance(p, dict):
            return  # unreadable: leave the policy as it is rather than guess
        iam.update_account_password_policy(**{k: p[k] for k in KEYS if k in p})


def handler(event, context):
    physical = event.get('PhysicalResourceId', ID + 'unchanged')
    try:
        if event['RequestType'] == 'Create':
            physical = previous()
        if event['RequestType'] == 'Delete':
            restore(physical)
        else:  # an Update keeps the id: a new one would make CloudFormation delete the old
            p = event['ResourceProperties']  # every value arrives as a string
            iam.update_account_password_policy(
                **{k: int(p[k]) if k in INTS else str(p[k]).lower() == 'true' for k in KEYS})
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(err))
"#;

/// The settings of the policy an account had before harden set its own, as recorded in the
/// physical id: each `None` was not set (so `UpdateAccountPasswordPolicy` applies its
/// default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviousPolicy {
    /// `MinimumPasswordLength`
    pub minimum_password_length: Option<i64>,
    /// `RequireSymbols`
    pub require_symbols: Option<bool>,
    /// `RequireNumbers`
    pub require_numbers: Option<bool>,
    /// `RequireUppercaseCharacters`
    pub require_uppercase_characters: Option<bool>,
    /// `RequireLowercaseCharacters`
    pub require_lowercase_characters: Option<bool>,
    /// `AllowUsersToChangePassword`
    pub allow_users_to_change_password: Option<bool>,
    /// `MaxPasswordAge`, in days
    pub max_password_age: Option<i64>,
    /// `PasswordReusePrevention`
    pub password_reuse_prevention: Option<i64>,
    /// `HardExpiry`
    pub hard_expiry: Option<bool>,
}

impl PreviousPolicy {
    fn from_json(v: &serde_json::Value) -> Option<PreviousPolicy> {
        let m = v.as_object()?;
        let int = |k: &str| m.get(k).and_then(serde_json::Value::as_i64);
        let flag = |k: &str| m.get(k).and_then(serde_json::Value::as_bool);
        Some(PreviousPolicy {
            minimum_password_length: int("MinimumPasswordLength"),
            require_symbols: flag("RequireSymbols"),
            require_numbers: flag("RequireNumbers"),
            require_uppercase_characters: flag("RequireUppercaseCharacters"),
            require_lowercase_characters: flag("RequireLowercaseCharacters"),
            allow_users_to_change_password: flag("AllowUsersToChangePassword"),
            max_password_age: int("MaxPasswordAge"),
            password_reuse_prevention: int("PasswordReusePrevention"),
            hard_expiry: flag("HardExpiry"),
        })
    }

    /// The settings by their API names, sorted, as the function encodes them.
    fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Option<serde_json::Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put(
            "AllowUsersToChangePassword",
            self.allow_users_to_change_password.map(Into::into),
        );
        put("HardExpiry", self.hard_expiry.map(Into::into));
        put("MaxPasswordAge", self.max_password_age.map(Into::into));
        put(
            "MinimumPasswordLength",
            self.minimum_password_length.map(Into::into),
        );
        put(
            "PasswordReusePrevention",
            self.password_reuse_prevention.map(Into::into),
        );
        put(
            "RequireLowercaseCharacters",
            self.require_lowercase_characters.map(Into::into),
        );
        put("RequireNumbers", self.require_numbers.map(Into::into));
        put("RequireSymbols", self.require_symbols.map(Into::into));
        put(
            "RequireUppercaseCharacters",
            self.require_uppercase_characters.map(Into::into),
        );
        serde_json::Value::Object(m)
    }

    /// The physical id the function gives when the account had this policy.
    pub fn physical_id(&self) -> String {
        let text = serde_json::to_string(&self.to_json()).expect("a JSON value serializes");
        format!(
            "{PHYSICAL_ID_PREFIX}{PREVIOUS}{}",
            base64url_encode(text.as_bytes())
        )
    }
}

impl fmt::Display for PreviousPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = self.minimum_password_length {
            parts.push(format!("at least {n} characters"));
        }
        let classes: Vec<&str> = [
            (self.require_uppercase_characters, "uppercase"),
            (self.require_lowercase_characters, "lowercase"),
            (self.require_numbers, "numbers"),
            (self.require_symbols, "symbols"),
        ]
        .iter()
        .filter(|(on, _)| *on == Some(true))
        .map(|(_, name)| *name)
        .collect();
        if !classes.is_empty() {
            parts.push(format!("requires {}", classes.join(", ")));
        }
        match self.max_password_age {
            Some(days) if days > 0 => parts.push(format!("expires after {days} days")),
            _ => parts.push("never expires".to_string()),
        }
        if let Some(n) = self.password_reuse_prevention {
            parts.push(format!("remembers {n} passwords"));
        }
        if self.hard_expiry == Some(true) {
            parts.push("hard expiry".to_string());
        }
        if self.allow_users_to_change_password == Some(true) {
            parts.push("users may change their password".to_string());
        }
        f.write_str(&parts.join(", "))
    }
}

/// What deleting the password policy resource does to the account's password policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDelete {
    /// Puts back the policy the account had before harden set its own.
    Restores(PreviousPolicy),
    /// Removes the account's password policy: it had none before, or the resource dates from
    /// before harden recorded the previous policy.
    Removes,
    /// Leaves the policy as it is: the create failed before changing it (or the recorded
    /// policy cannot be read).
    Keeps,
}

/// What deleting the resource with this physical id does, read exactly as the function
/// reads it (see the module documentation for the format).
pub fn on_delete(physical_id: &str) -> OnDelete {
    let Some(rest) = physical_id.strip_prefix(PHYSICAL_ID_PREFIX) else {
        return OnDelete::Removes;
    };
    let Some(encoded) = rest.strip_prefix(PREVIOUS) else {
        return OnDelete::Keeps;
    };
    if encoded == "none" {
        return OnDelete::Removes;
    }
    base64url_decode(encoded)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| PreviousPolicy::from_json(&v))
        .map_or(OnDelete::Keeps, OnDelete::Restores)
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes base64url with or without padding; `None` for anything else.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = BASE64URL.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Adds the password policy custom resource and its function (enterprise). `key_arn`
/// encrypts the function's log group.
pub fn password_policy(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
) -> Option<Handle<CustomResource>> {
    if !PASSWORD_POLICY.on(tier) {
        return None;
    }
    let mut props = IndexMap::new();
    for (name, value) in SETTINGS {
        let v = match value {
            Setting::Int(i) => Expr::Int(*i),
            Setting::Bool(b) => Expr::Bool(*b),
        };
        props.insert((*name).to_string(), v);
    }
    let cr = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "PasswordPolicy",
            type_name: "Custom::AccountPasswordPolicy",
            description: "Sets the account password policy (CIS 1.8, 1.9); restores the previous one on delete",
            code: HANDLER_CODE,
            statements: Vec::new(),
            wildcards: vec![Wildcard {
                statement: Statement::allow("ManageAccountPasswordPolicy")
                    .actions([
                        "iam:DeleteAccountPasswordPolicy",
                        "iam:GetAccountPasswordPolicy",
                        "iam:UpdateAccountPasswordPolicy",
                    ])
                    .resource(Expr::str("*")),
                reason: "the account password policy actions support no resource-level permissions",
            }],
            properties: props,
            key_arn,
            control: &PASSWORD_POLICY,
        },
    );
    Some(cr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_setting_at_its_longest() -> PreviousPolicy {
        PreviousPolicy {
            minimum_password_length: Some(128),
            require_symbols: Some(false),
            require_numbers: Some(false),
            require_uppercase_characters: Some(false),
            require_lowercase_characters: Some(false),
            allow_users_to_change_password: Some(false),
            max_password_age: Some(1095),
            password_reuse_prevention: Some(24),
            hard_expiry: Some(false),
        }
    }

    #[test]
    fn an_id_recording_the_previous_policy_restores_it() {
        let previous = PreviousPolicy {
            minimum_password_length: Some(8),
            require_symbols: Some(true),
            allow_users_to_change_password: Some(true),
            ..PreviousPolicy::default()
        };
        let id = previous.physical_id();
        assert!(
            id.strip_prefix("harden-password-policy:previous=")
                .is_some_and(|v| !v.is_empty() && !v.contains('=')),
            "{id}"
        );
        assert_eq!(on_delete(&id), OnDelete::Restores(previous.clone()));
        assert_eq!(
            previous.to_string(),
            "at least 8 characters, requires symbols, never expires, users may change their password"
        );
    }

    #[test]
    fn the_function_encoding_of_a_known_policy_is_read_back() {
        // What the Python function returns for {"MinimumPasswordLength": 8,
        // "RequireSymbols": true}: base64url without padding of the sorted compact JSON.
        let id = "harden-password-policy:previous=eyJNaW5pbXVtUGFzc3dvcmRMZW5ndGgiOjgsIlJlcXVpcmVTeW1ib2xzIjp0cnVlfQ";
        assert_eq!(
            on_delete(id),
            OnDelete::Restores(PreviousPolicy {
                minimum_password_length: Some(8),
                require_symbols: Some(true),
                ..PreviousPolicy::default()
            })
        );
        // Padded, as another encoder might write it: the same.
        assert_eq!(on_delete(&format!("{id}==")), on_delete(id));
    }

    #[test]
    fn no_previous_policy_and_old_ids_remove_the_policy() {
        assert_eq!(
            on_delete("harden-password-policy:previous=none"),
            OnDelete::Removes
        );
        // What the function returned before it recorded the previous policy.
        assert_eq!(on_delete("account-password-policy"), OnDelete::Removes);
        assert_eq!(on_delete(""), OnDelete::Removes);
    }

    #[test]
    fn a_create_that_changed_nothing_or_an_unreadable_record_keeps_the_policy() {
        assert_eq!(
            on_delete("harden-password-policy:unchanged"),
            OnDelete::Keeps
        );
        for unreadable in [
            "harden-password-policy:previous=***",
            "harden-password-policy:previous=bm90IGpzb24",
            "harden-password-policy:previous=WzFd",
            "harden-password-policy:previous=A",
        ] {
            assert_eq!(on_delete(unreadable), OnDelete::Keeps, "{unreadable}");
        }
    }

    #[test]
    fn the_longest_previous_policy_fits_in_a_physical_id() {
        let id = every_setting_at_its_longest().physical_id();
        assert!(id.len() <= PHYSICAL_ID_LIMIT, "{} characters", id.len());
        assert_eq!(
            on_delete(&id),
            OnDelete::Restores(every_setting_at_its_longest())
        );
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n)
                .map(|i| i.wrapping_mul(37).wrapping_add(250))
                .collect();
            let text = base64url_encode(&bytes);
            assert!(!text.contains(['+', '/', '=']), "{text}");
            assert_eq!(base64url_decode(&text), Some(bytes));
        }
    }

    #[test]
    fn the_inline_code_fits_cloudformations_zip_file_limit() {
        // `Code.ZipFile` takes at most 4,096 characters.
        assert!(HANDLER_CODE.len() <= 4096, "{}", HANDLER_CODE.len());
    }
}
