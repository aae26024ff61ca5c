//! Account-wide settings that Security Hub evaluates and CloudFormation has no resource type
//! for, set at enterprise by Lambda-backed custom resources in the account monitoring stack:
//! S3's account-level Block Public Access (S3.1), EBS encryption by default in each region
//! (EC2.7), and the security alternate contact (Account.1, when its parameters are given).
//! The support role (IAM.18) is a native role beside them.
//!
//! Each function records in its resource's physical id what the account had before, and the
//! delete puts that back, as the password policy does: an account-wide setting is the
//! account's, not the stack's. The ids:
//!
//! - `harden-s3-account-pab:previous=none` (no account-level block: delete removes it) or
//!   `previous=BIPR` with four `0`/`1` digits for `BlockPublicAcls`, `IgnorePublicAcls`,
//!   `BlockPublicPolicy`, `RestrictPublicBuckets` (delete puts those back);
//! - `harden-ebs-encryption:previous=off` (delete turns encryption by default off again) or
//!   `previous=on` (delete leaves it on);
//! - `harden-security-contact:previous=none` (delete removes the security contact) or
//!   `previous=<base64url of the compact JSON of Name, Title, EmailAddress, PhoneNumber>`;
//! - `<prefix>unchanged`: the create failed before changing anything; the delete that rolls
//!   it back changes nothing (as does an id it cannot read).
//!
//! On update each function keeps the id the event carries: a new id would make CloudFormation
//! delete the old resource, which would restore the previous setting mid-update.

use indexmap::IndexMap;

use crate::cfn::custom::CustomResource;
use crate::cfn::generated::iam;
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::Wildcard;
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::tier::Tier;

/// S3 Block Public Access for the whole account.
pub static S3_ACCOUNT_PUBLIC_ACCESS_BLOCK: Control = Control {
    id: "s3-account-public-access-block",
    title: "S3 Block Public Access on for the whole account (all four settings); the previous settings restored on delete",
    tier: Tier::Enterprise,
    cis: &["2.1.4"],
    security_hub: &["S3.1"],
};

/// EBS encryption by default, per region.
pub static EBS_DEFAULT_ENCRYPTION: Control = Control {
    id: "ebs-default-encryption",
    title: "EBS encryption by default on in each region the baseline is deployed to; switched back off on delete if it was off",
    tier: Tier::Enterprise,
    cis: &["2.2.1"],
    security_hub: &["EC2.7"],
};

/// The account's security alternate contact.
pub static SECURITY_CONTACT: Control = Control {
    id: "security-contact",
    title: "the account's security alternate contact set from the `security_contact_*` parameters; the previous contact restored on delete",
    tier: Tier::Enterprise,
    cis: &["1.2"],
    security_hub: &["Account.1"],
};

/// A role for incidents with AWS Support.
pub static SUPPORT_ROLE: Control = Control {
    id: "support-role",
    title: "a role with AWSSupportAccess that this account's principals may assume with MFA, to manage incidents with AWS Support",
    tier: Tier::Enterprise,
    cis: &["1.17"],
    security_hub: &["IAM.18"],
};

/// The physical id prefixes, as the functions write them.
pub const S3_PAB_ID: &str = "harden-s3-account-pab:";
/// See [`S3_PAB_ID`].
pub const EBS_ID: &str = "harden-ebs-encryption:";
/// See [`S3_PAB_ID`].
pub const CONTACT_ID: &str = "harden-security-contact:";

/// The S3 account Block Public Access function (Python, inline). Public so a test can run it
/// against a fake client.
pub const S3_PAB_CODE: &str = r#"import boto3, cfnresponse
from botocore.exceptions import ClientError

s3c = boto3.client('s3control')
ID = 'harden-s3-account-pab:'
PREV = ID + 'previous='
KEYS = ('BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets')


def previous(account):
    try:
        c = s3c.get_public_access_block(AccountId=account)['PublicAccessBlockConfiguration']
    except ClientError as err:
        if err.response['Error']['Code'] != 'NoSuchPublicAccessBlockConfiguration':
            raise
        return PREV + 'none'
    return PREV + ''.join('1' if c.get(k) else '0' for k in KEYS)


def restore(account, physical):
    v = physical[len(PREV):] if physical.startswith(PREV) else ''
    if v == 'none':
        s3c.delete_public_access_block(AccountId=account)
    elif len(v) == 4 and set(v) <= set('01'):
        s3c.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={
            k: d == '1' for k, d in zip(KEYS, v)})
    # anything else: the create changed nothing, or the record is unreadable: leave it


def handler(event, context):
    physical = event.get('PhysicalResourceId', ID + 'unchanged')
    try:
        account = event['ResourceProperties']['AccountId']
        if event['RequestType'] == 'Create':
            physical = previous(account)
        if event['RequestType'] == 'Delete':
            restore(account, physical)
        else:  # an Update keeps the id: a new one would make CloudFormation delete the old
            s3c.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={
                k: True for k in KEYS})
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(err))
"#;

/// The EBS encryption-by-default function (Python, inline).
pub const EBS_CODE: &str = r#"import boto3, cfnresponse

ec2 = boto3.client('ec2')
ID = 'harden-ebs-encryption:'
PREV = ID + 'previous='


def handler(event, context):
    physical = event.get('PhysicalResourceId', ID + 'unchanged')
    try:
        if event['RequestType'] == 'Create':
            on = ec2.get_ebs_encryption_by_default()['EbsEncryptionByDefault']
            physical = PREV + ('on' if on else 'off')
        if event['RequestType'] == 'Delete':
            if physical == PREV + 'off':
                ec2.disable_ebs_encryption_by_default()
        else:  # an Update keeps the id: a new one would make CloudFormation delete the old
            ec2.enable_ebs_encryption_by_default()
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(err))
"#;

/// The security alternate contact function (Python, inline).
pub const CONTACT_CODE: &str = r#"import base64, json
import boto3, cfnresponse
from botocore.exceptions import ClientError

account = boto3.client('account')
ID = 'harden-security-contact:'
PREV = ID + 'previous='
KIND = 'SECURITY'
FIELDS = ('EmailAddress', 'Name', 'PhoneNumber', 'Title')


def previous():
    try:
        c = account.get_alternate_contact(AlternateContactType=KIND)['AlternateContact']
    except ClientError as err:
        if err.response['Error']['Code'] != 'ResourceNotFoundException':
            raise
        return PREV + 'none'
    text = json.dumps({k: c[k] for k in FIELDS if k in c}, separators=(',', ':'), sort_keys=True)
    physical = PREV + base64.urlsafe_b64encode(text.encode()).decode().rstrip('=')
    assert len(physical) <= 1024, 'the previous contact does not fit in a physical id'
    return physical


def restore(physical):
    v = physical[len(PREV):] if physical.startswith(PREV) else ''
    if v == 'none':
        try:
            account.delete_alternate_contact(AlternateContactType=KIND)
        except ClientError as err:
            if err.response['Error']['Code'] != 'ResourceNotFoundException':
                raise
        return
    try:
        c = json.loads(base64.urlsafe_b64decode(v + '=' * (-len(v) % 4))) if v else None
    except ValueError:
        c = None
    if isinstance(c, dict) and all(isinstance(c.get(k), str) for k in FIELDS):
        account.put_alternate_contact(AlternateContactType=KIND, **{k: c[k] for k in FIELDS})
    # anything else: the create changed nothing, or the record is unreadable: leave it


def handler(event, context):
    physical = event.get('PhysicalResourceId', ID + 'unchanged')
    try:
        if event['RequestType'] == 'Create':
            physical = previous()
        if event['RequestType'] == 'Delete':
            restore(physical)
        else:  # an Update keeps the id: a new one would make CloudFormation delete the old
            p = event['ResourceProperties']
            account.put_alternate_contact(AlternateContactType=KIND, **{k: p[k] for k in FIELDS})
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(err))
"#;

/// The security contact, as the account API takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact<'a> {
    /// `Name`
    pub name: &'a str,
    /// `Title`
    pub title: &'a str,
    /// `EmailAddress`
    pub email: &'a str,
    /// `PhoneNumber`
    pub phone: &'a str,
}

/// S3 Block Public Access for the account (enterprise). `key_arn` encrypts the function's log
/// group and the stack's helper dead-letter queue.
pub fn s3_account_public_access_block(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
) -> Option<Handle<CustomResource>> {
    if !S3_ACCOUNT_PUBLIC_ACCESS_BLOCK.on(tier) {
        return None;
    }
    let mut properties = IndexMap::new();
    properties.insert("AccountId".to_string(), Expr::account_id());
    let cr = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "S3AccountPublicAccessBlock",
            type_name: "Custom::S3AccountPublicAccessBlock",
            description: "Turns on S3 Block Public Access for the account (CIS 2.1.4, S3.1); restores the previous settings on delete",
            code: S3_PAB_CODE,
            statements: Vec::new(),
            wildcards: vec![Wildcard {
                statement: Statement::allow("AccountPublicAccessBlock")
                    .actions([
                        "s3:GetAccountPublicAccessBlock",
                        "s3:PutAccountPublicAccessBlock",
                    ])
                    .resource(Expr::str("*")),
                reason: "the account-level Block Public Access actions support no resource-level permissions",
            }],
            properties,
            key_arn,
            control: &S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
        },
    );
    Some(cr)
}

/// EBS encryption by default in the region (enterprise).
pub fn ebs_default_encryption(
    t: &mut Template,
    tier: Tier,
    key_arn: Expr,
) -> Option<Handle<CustomResource>> {
    if !EBS_DEFAULT_ENCRYPTION.on(tier) {
        return None;
    }
    let cr = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "EbsEncryptionByDefault",
            type_name: "Custom::EbsEncryptionByDefault",
            description: "Turns on EBS encryption by default in this region (CIS 2.2.1, EC2.7); turns it back off on delete if it was off",
            code: EBS_CODE,
            statements: Vec::new(),
            wildcards: vec![Wildcard {
                statement: Statement::allow("EbsEncryptionByDefault")
                    .actions([
                        "ec2:DisableEbsEncryptionByDefault",
                        "ec2:EnableEbsEncryptionByDefault",
                        "ec2:GetEbsEncryptionByDefault",
                    ])
                    .resource(Expr::str("*")),
                reason: "the EBS encryption-by-default actions support no resource-level permissions",
            }],
            properties: IndexMap::new(),
            key_arn,
            control: &EBS_DEFAULT_ENCRYPTION,
        },
    );
    Some(cr)
}

/// The account's security alternate contact (enterprise, when the contact is given).
pub fn security_contact(
    t: &mut Template,
    tier: Tier,
    contact: Option<Contact<'_>>,
    key_arn: Expr,
) -> Option<Handle<CustomResource>> {
    let contact = contact.filter(|_| SECURITY_CONTACT.on(tier))?;
    let mut properties = IndexMap::new();
    for (k, v) in [
        ("EmailAddress", contact.email),
        ("Name", contact.name),
        ("PhoneNumber", contact.phone),
        ("Title", contact.title),
    ] {
        properties.insert(k.to_string(), Expr::str(v));
    }
    let cr = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "SecurityContact",
            type_name: "Custom::SecurityContact",
            description: "Sets the account's security alternate contact (CIS 1.2, Account.1); restores the previous one on delete",
            code: CONTACT_CODE,
            statements: vec![Statement::allow("SecurityAlternateContact")
                .actions([
                    "account:DeleteAlternateContact",
                    "account:GetAlternateContact",
                    "account:PutAlternateContact",
                ])
                .resource(Expr::sub(
                    "arn:${AWS::Partition}:account::${AWS::AccountId}:account",
                ))],
            wildcards: Vec::new(),
            properties,
            key_arn,
            control: &SECURITY_CONTACT,
        },
    );
    Some(cr)
}

/// The support role (enterprise): `AWSSupportAccess`, assumable by this account's principals
/// that the account's own policies allow, with MFA.
pub fn support_role(t: &mut Template, tier: Tier) -> Option<Handle<iam::Role>> {
    if !SUPPORT_ROLE.on(tier) {
        return None;
    }
    let trust = PolicyDocument::new([Statement::allow("AccountPrincipalsWithMfa")
        .aws([Expr::sub(
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
        )])
        .actions(["sts:AssumeRole"])
        .condition("Bool", "aws:MultiFactorAuthPresent", Expr::str("true"))]);
    let role = t.add(
        "SupportRole",
        iam::Role {
            description: Some(
                "Manages incidents with AWS Support (CIS 1.17, IAM.18); assumed with MFA".into(),
            ),
            assume_role_policy_document: Some(trust.into()),
            managed_policy_arns: Some(Expr::list([Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/AWSSupportAccess",
            )])),
            max_session_duration: Some(3600.into()),
            ..Default::default()
        },
    );
    t.res(&role).control(&SUPPORT_ROLE);
    Some(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_code_fits_cloudformations_zip_file_limit() {
        // `Code.ZipFile` takes at most 4,096 characters.
        for code in [S3_PAB_CODE, EBS_CODE, CONTACT_CODE] {
            assert!(code.len() <= 4096, "{}", code.len());
        }
    }

    #[test]
    fn the_prefixes_are_the_ones_the_functions_write() {
        assert!(S3_PAB_CODE.contains(&format!("ID = '{S3_PAB_ID}'")));
        assert!(EBS_CODE.contains(&format!("ID = '{EBS_ID}'")));
        assert!(CONTACT_CODE.contains(&format!("ID = '{CONTACT_ID}'")));
    }
}
