//! The account-settings custom resources' Python handlers (`controls::account_settings`), run
//! by `python3` against fake AWS clients and a fake `cfnresponse`: create records the
//! account's previous setting in the physical id and turns the control on, update keeps the
//! id, delete puts back what the id recorded, a failure is reported to CloudFormation with the
//! id that changes nothing, and an unreadable id leaves the account as it is.

mod common;

use harden_blueprints::controls::account_settings::{
    CONTACT_CODE, CONTACT_ID, EBS_CODE, EBS_ID, S3_PAB_CODE, S3_PAB_ID,
};
use serde_json::{json, Value};

/// Fakes of `boto3` (the three clients), `botocore.exceptions` and `cfnresponse`, and a
/// driver that runs the handler over a list of events and prints, per event, the response and
/// the client's state.
const HARNESS: &str = r#"
import json, sys, types

class ClientError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.response = {'Error': {'Code': code}}

class Fake:
    def __init__(self):
        self.pab = None
        self.ebs = False
        self.contact = None
        self.fail = None
        self.calls = []
    def _call(self, name):
        self.calls.append(name)
        if self.fail == name:
            raise ClientError('AccessDenied')
    # s3control
    def get_public_access_block(self, AccountId):
        self._call('get_public_access_block')
        assert AccountId == '123456789012'
        if self.pab is None:
            raise ClientError('NoSuchPublicAccessBlockConfiguration')
        return {'PublicAccessBlockConfiguration': dict(self.pab)}
    def put_public_access_block(self, AccountId, PublicAccessBlockConfiguration):
        self._call('put_public_access_block')
        self.pab = dict(PublicAccessBlockConfiguration)
    def delete_public_access_block(self, AccountId):
        self._call('delete_public_access_block')
        self.pab = None
    # ec2
    def get_ebs_encryption_by_default(self):
        self._call('get_ebs_encryption_by_default')
        return {'EbsEncryptionByDefault': self.ebs}
    def enable_ebs_encryption_by_default(self):
        self._call('enable_ebs_encryption_by_default')
        self.ebs = True
    def disable_ebs_encryption_by_default(self):
        self._call('disable_ebs_encryption_by_default')
        self.ebs = False
    # account
    def get_alternate_contact(self, AlternateContactType):
        self._call('get_alternate_contact')
        assert AlternateContactType == 'SECURITY'
        if self.contact is None:
            raise ClientError('ResourceNotFoundException')
        return {'AlternateContact': dict(self.contact, AlternateContactType='SECURITY')}
    def put_alternate_contact(self, AlternateContactType, **c):
        self._call('put_alternate_contact')
        assert set(c) == {'Name', 'Title', 'EmailAddress', 'PhoneNumber'}, c
        self.contact = dict(c)
    def delete_alternate_contact(self, AlternateContactType):
        self._call('delete_alternate_contact')
        if self.contact is None:
            raise ClientError('ResourceNotFoundException')
        self.contact = None

fake = Fake()
boto3 = types.ModuleType('boto3'); boto3.client = lambda name: fake
botocore = types.ModuleType('botocore'); exc = types.ModuleType('botocore.exceptions')
exc.ClientError = ClientError; botocore.exceptions = exc
sent = []
cfn = types.ModuleType('cfnresponse'); cfn.SUCCESS = 'SUCCESS'; cfn.FAILED = 'FAILED'
def send(event, context, status, data, physical, reason=None):
    sent.append({'status': status, 'physical': physical, 'reason': reason})
cfn.send = send
sys.modules.update({'boto3': boto3, 'botocore': botocore, 'botocore.exceptions': exc,
                    'cfnresponse': cfn})

setup = json.loads(sys.argv[1])
for k, v in setup.get('state', {}).items():
    setattr(fake, k, v)
events = json.loads(sys.argv[2])
ns = {}
exec(compile(open(sys.argv[3]).read(), 'index.py', 'exec'), ns)
out = []
for e in events:
    fake.fail = e.pop('fail', None)
    ns['handler'](e, None)
    out.append({'sent': sent[-1], 'pab': fake.pab, 'ebs': fake.ebs, 'contact': fake.contact})
print(json.dumps(out))
"#;

fn run(code: &str, state: Value, events: Value) -> Vec<Value> {
    common::run_handler("account-settings", HARNESS, code, state, events)
}

fn event(kind: &str, physical: Option<&str>, props: Value) -> Value {
    let mut e = json!({"RequestType": kind, "ResourceProperties": props});
    if let Some(p) = physical {
        e["PhysicalResourceId"] = json!(p);
    }
    e
}

const ALL_ON: &str = r#"{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}"#;

#[test]
fn s3_block_public_access_is_turned_on_and_the_previous_settings_come_back() {
    let props = json!({"AccountId": "123456789012"});
    // An account with a partial block: create records it, update keeps the id, delete puts it back.
    let previous = json!({"BlockPublicAcls": true, "IgnorePublicAcls": false,
                          "BlockPublicPolicy": true, "RestrictPublicBuckets": false});
    let out = run(
        S3_PAB_CODE,
        json!({"state": {"pab": previous}}),
        json!([
            event("Create", None, props.clone()),
            event(
                "Update",
                Some(&format!("{S3_PAB_ID}previous=1010")),
                props.clone()
            ),
            event(
                "Delete",
                Some(&format!("{S3_PAB_ID}previous=1010")),
                props.clone()
            ),
        ]),
    );
    assert_eq!(out[0]["sent"]["status"], "SUCCESS");
    assert_eq!(
        out[0]["sent"]["physical"],
        format!("{S3_PAB_ID}previous=1010")
    );
    assert_eq!(
        out[0]["pab"],
        serde_json::from_str::<Value>(ALL_ON).unwrap()
    );
    assert_eq!(
        out[1]["sent"]["physical"],
        format!("{S3_PAB_ID}previous=1010")
    );
    assert_eq!(out[2]["pab"], previous);

    // No block before: delete removes it.
    let out = run(
        S3_PAB_CODE,
        json!({}),
        json!([
            event("Create", None, props.clone()),
            event(
                "Delete",
                Some(&format!("{S3_PAB_ID}previous=none")),
                props.clone()
            ),
        ]),
    );
    assert_eq!(
        out[0]["sent"]["physical"],
        format!("{S3_PAB_ID}previous=none")
    );
    assert_eq!(out[1]["pab"], Value::Null);

    // A create refused before it read anything reports the failure with the id that changes
    // nothing; the rollback's delete then leaves the account alone, as does an unreadable id.
    let out = run(
        S3_PAB_CODE,
        json!({"state": {"pab": previous}}),
        json!([
            {"RequestType": "Create", "ResourceProperties": props, "fail": "get_public_access_block"},
            event("Delete", Some(&format!("{S3_PAB_ID}unchanged")), props.clone()),
            event("Delete", Some(&format!("{S3_PAB_ID}previous=12x4")), props.clone()),
        ]),
    );
    assert_eq!(out[0]["sent"]["status"], "FAILED");
    assert_eq!(out[0]["sent"]["physical"], format!("{S3_PAB_ID}unchanged"));
    assert!(out[0]["sent"]["reason"]
        .as_str()
        .unwrap()
        .contains("AccessDenied"));
    assert_eq!(out[1]["pab"], previous);
    assert_eq!(out[2]["pab"], previous);
}

#[test]
fn ebs_encryption_by_default_is_turned_back_off_only_if_it_was_off() {
    let out = run(
        EBS_CODE,
        json!({"state": {"ebs": false}}),
        json!([
            event("Create", None, json!({})),
            event("Update", Some(&format!("{EBS_ID}previous=off")), json!({})),
            event("Delete", Some(&format!("{EBS_ID}previous=off")), json!({})),
        ]),
    );
    assert_eq!(out[0]["sent"]["physical"], format!("{EBS_ID}previous=off"));
    assert_eq!(out[0]["ebs"], true);
    assert_eq!(out[1]["ebs"], true);
    assert_eq!(out[2]["ebs"], false);

    let out = run(
        EBS_CODE,
        json!({"state": {"ebs": true}}),
        json!([
            event("Create", None, json!({})),
            event("Delete", Some(&format!("{EBS_ID}previous=on")), json!({})),
            event("Delete", Some(&format!("{EBS_ID}unchanged")), json!({})),
        ]),
    );
    assert_eq!(out[0]["sent"]["physical"], format!("{EBS_ID}previous=on"));
    assert_eq!(out[1]["ebs"], true, "it was on: it stays on");
    assert_eq!(out[2]["ebs"], true);
}

#[test]
fn the_security_contact_is_set_and_the_previous_one_comes_back() {
    let ours = json!({"Name": "Security Operations", "Title": "Security",
                      "EmailAddress": "soc@example.com", "PhoneNumber": "+1 206 555 0100"});
    let theirs = json!({"Name": "Old Team", "Title": "CISO",
                        "EmailAddress": "old@example.org", "PhoneNumber": "+44 20 7946 0000"});
    let out = run(
        CONTACT_CODE,
        json!({"state": {"contact": theirs}}),
        json!([event("Create", None, ours.clone())]),
    );
    let physical = out[0]["sent"]["physical"].as_str().unwrap().to_string();
    assert!(
        physical.starts_with(&format!("{CONTACT_ID}previous=")),
        "{physical}"
    );
    assert!(!physical.ends_with('='), "unpadded base64url: {physical}");
    assert!(physical.len() <= 1024);
    assert_eq!(out[0]["contact"], ours);

    let out = run(
        CONTACT_CODE,
        json!({"state": {"contact": ours}}),
        json!([
            event("Update", Some(&physical), ours.clone()),
            event("Delete", Some(&physical), ours.clone()),
        ]),
    );
    assert_eq!(out[0]["sent"]["physical"], physical.as_str());
    assert_eq!(out[1]["contact"], theirs);

    // None before: delete removes ours; an unreadable record leaves the contact alone.
    let out = run(
        CONTACT_CODE,
        json!({}),
        json!([
            event("Create", None, ours.clone()),
            event(
                "Delete",
                Some(&format!("{CONTACT_ID}previous=***")),
                ours.clone()
            ),
            event(
                "Delete",
                Some(&format!("{CONTACT_ID}previous=none")),
                ours.clone()
            ),
            event(
                "Delete",
                Some(&format!("{CONTACT_ID}previous=none")),
                ours.clone()
            ),
        ]),
    );
    assert_eq!(
        out[0]["sent"]["physical"],
        format!("{CONTACT_ID}previous=none")
    );
    assert_eq!(out[1]["contact"], ours);
    assert_eq!(out[2]["contact"], Value::Null);
    assert_eq!(
        out[3]["sent"]["status"], "SUCCESS",
        "already gone is not a failure"
    );
}
