//! The account's IAM password policy. CloudFormation has no resource type for it, so a
//! Lambda-backed custom resource sets it on create and update (14 characters minimum, all four
//! character classes, 90-day expiry, the last 24 passwords not reused) and removes it on delete.

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
    title: "account password policy: 14+ characters, all character classes, 90-day expiry, 24 passwords remembered",
    tier: Tier::Enterprise,
    cis: &["1.8", "1.9"],
    security_hub: &["IAM.7", "IAM.15", "IAM.16"],
};

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

const CODE: &str = r#"import boto3
import cfnresponse

iam = boto3.client("iam")

INTEGERS = ("MinimumPasswordLength", "MaxPasswordAge", "PasswordReusePrevention")
BOOLEANS = (
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
    "HardExpiry",
)
PHYSICAL_ID = "account-password-policy"


def settings(props):
    # CloudFormation passes every property value to the function as a string.
    out = {name: int(props[name]) for name in INTEGERS}
    out.update({name: str(props[name]).lower() == "true" for name in BOOLEANS})
    return out


def handler(event, context):
    try:
        if event["RequestType"] in ("Create", "Update"):
            iam.update_account_password_policy(**settings(event["ResourceProperties"]))
        elif event["RequestType"] == "Delete":
            try:
                iam.get_account_password_policy()
                iam.delete_account_password_policy()
            except iam.exceptions.NoSuchEntityException:
                pass
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, PHYSICAL_ID)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, PHYSICAL_ID, reason=str(err))
"#;

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
            description: "Sets the account password policy (CIS 1.8, 1.9)",
            code: CODE,
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
            control: PASSWORD_POLICY.id,
        },
    );
    for part in [
        "PasswordPolicyLogs",
        "PasswordPolicyRole",
        "PasswordPolicyRolePolicy",
    ] {
        if let Some(r) = t.resources.get_mut(part) {
            r.control(PASSWORD_POLICY.id);
        }
    }
    Some(cr)
}
