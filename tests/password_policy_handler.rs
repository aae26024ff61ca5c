//! The password policy custom resource's Python handler, run by `python3` against a fake IAM
//! client and a fake `cfnresponse`: create records the account's previous policy in the
//! physical id, update keeps the id, delete restores or removes the policy as the id says, and
//! the Rust reading of the id (`password_policy::on_delete`, which `harden destroy` uses)
//! agrees with what the handler did.

use std::process::Command;

use harden_blueprints::controls::password_policy::{
    on_delete, OnDelete, PreviousPolicy, HANDLER_CODE, PHYSICAL_ID_LIMIT,
};
use serde_json::{json, Value};

const FAKE_BOTO3: &str = r#"
class NoSuchEntityException(Exception):
    pass


class _Exceptions:
    NoSuchEntityException = NoSuchEntityException


class FakeIam:
    """IAM's account password policy: Update replaces every setting (unlisted ones take their
    defaults), Get adds `ExpirePasswords` (which Update does not accept) and leaves out unset
    optional settings."""

    exceptions = _Exceptions

    def __init__(self):
        self.policy = None
        self.calls = []
        self.fail = None

    def get_account_password_policy(self):
        self.calls.append("get")
        if self.fail == "get":
            raise RuntimeError("AccessDenied: iam:GetAccountPasswordPolicy")
        if self.policy is None:
            raise NoSuchEntityException("The Password Policy with domain name 123 cannot be found.")
        policy = dict(self.policy)
        policy["ExpirePasswords"] = policy.get("MaxPasswordAge", 0) > 0
        return {"PasswordPolicy": policy}

    def update_account_password_policy(self, **settings):
        self.calls.append("update")
        if self.fail == "update":
            raise RuntimeError("MalformedPolicyDocument")
        allowed = {"MinimumPasswordLength", "RequireSymbols", "RequireNumbers",
                   "RequireUppercaseCharacters", "RequireLowercaseCharacters",
                   "AllowUsersToChangePassword", "MaxPasswordAge", "PasswordReusePrevention",
                   "HardExpiry"}
        unknown = set(settings) - allowed
        if unknown:
            raise TypeError("unknown parameters %s" % sorted(unknown))
        self.policy = dict(settings)

    def delete_account_password_policy(self):
        self.calls.append("delete")
        if self.policy is None:
            raise NoSuchEntityException("no policy")
        self.policy = None


IAM = FakeIam()


def client(name):
    assert name == "iam"
    return IAM
"#;

const FAKE_CFNRESPONSE: &str = r#"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
SENT = []


def send(event, context, status, data, physical_id=None, noEcho=False, reason=None):
    SENT.append({"status": status, "physical": physical_id, "reason": reason})
"#;

/// Runs each scenario on a fresh fake and prints what the handler sent and what the account's
/// policy became.
const DRIVER: &str = r#"
import importlib
import json
import sys

import boto3
import cfnresponse

# What CloudFormation sends: every property value as a string.
PROPS = {"MinimumPasswordLength": "14", "RequireSymbols": "true", "RequireNumbers": "true",
         "RequireUppercaseCharacters": "true", "RequireLowercaseCharacters": "true",
         "AllowUsersToChangePassword": "true", "MaxPasswordAge": "90",
         "PasswordReusePrevention": "24", "HardExpiry": "false"}


def run(kind, physical=None, policy=None, fail=None):
    boto3.IAM.__init__()
    boto3.IAM.policy = policy
    boto3.IAM.fail = fail
    cfnresponse.SENT.clear()
    index = importlib.import_module("index")
    event = {"RequestType": kind, "ResourceProperties": PROPS}
    if physical is not None:
        event["PhysicalResourceId"] = physical
    index.handler(event, None)
    assert len(cfnresponse.SENT) == 1, cfnresponse.SENT
    return {"sent": cfnresponse.SENT[0], "policy": boto3.IAM.policy, "calls": boto3.IAM.calls}


scenarios = json.load(sys.stdin)
print(json.dumps([run(**s) for s in scenarios]))
"#;

fn run(scenarios: Value) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("index.py", HANDLER_CODE),
        ("boto3.py", FAKE_BOTO3),
        ("cfnresponse.py", FAKE_CFNRESPONSE),
        ("driver.py", DRIVER),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut child = Command::new("python3")
        .arg("driver.py")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (the test suite needs Python 3, see the README)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scenarios.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the driver failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn harden_settings() -> Value {
    json!({"MinimumPasswordLength": 14, "RequireSymbols": true, "RequireNumbers": true,
           "RequireUppercaseCharacters": true, "RequireLowercaseCharacters": true,
           "AllowUsersToChangePassword": true, "MaxPasswordAge": 90,
           "PasswordReusePrevention": 24, "HardExpiry": false})
}

fn physical(r: &Value) -> &str {
    r["sent"]["physical"].as_str().unwrap()
}

#[test]
fn create_records_the_previous_policy_and_delete_restores_it() {
    let previous = json!({"MinimumPasswordLength": 8, "RequireSymbols": true,
        "RequireNumbers": false, "RequireUppercaseCharacters": false,
        "RequireLowercaseCharacters": true, "AllowUsersToChangePassword": true});
    let created = &run(json!([{"kind": "Create", "policy": previous}]))[0];
    assert_eq!(created["sent"]["status"], "SUCCESS", "{created}");
    assert_eq!(
        created["policy"],
        harden_settings(),
        "harden's policy is set"
    );
    let id = physical(created);
    assert!(
        id.starts_with("harden-password-policy:previous=") && id.len() <= PHYSICAL_ID_LIMIT,
        "{id}"
    );
    // The Rust reading of the id: what destroy will say.
    assert_eq!(
        on_delete(id),
        OnDelete::Restores(PreviousPolicy {
            minimum_password_length: Some(8),
            require_symbols: Some(true),
            require_numbers: Some(false),
            require_uppercase_characters: Some(false),
            require_lowercase_characters: Some(true),
            allow_users_to_change_password: Some(true),
            ..PreviousPolicy::default()
        })
    );
    let deleted = &run(json!([{"kind": "Delete", "physical": id, "policy": harden_settings()}]))[0];
    assert_eq!(deleted["sent"]["status"], "SUCCESS", "{deleted}");
    assert_eq!(deleted["sent"]["physical"], id);
    assert_eq!(
        deleted["policy"], previous,
        "the account's own policy is back"
    );
}

#[test]
fn without_a_previous_policy_delete_removes_it() {
    let r = run(json!([
        {"kind": "Create"},
        {"kind": "Delete", "physical": "harden-password-policy:previous=none", "policy": harden_settings()},
        // Already gone (deleted by hand): still a success.
        {"kind": "Delete", "physical": "harden-password-policy:previous=none"},
    ]));
    assert_eq!(physical(&r[0]), "harden-password-policy:previous=none");
    assert_eq!(on_delete(physical(&r[0])), OnDelete::Removes);
    assert_eq!(r[1]["sent"]["status"], "SUCCESS");
    assert_eq!(r[1]["policy"], Value::Null);
    assert_eq!(r[2]["sent"]["status"], "SUCCESS", "{}", r[2]);
}

#[test]
fn update_keeps_the_physical_id_it_was_sent() {
    let id = PreviousPolicy {
        minimum_password_length: Some(10),
        ..PreviousPolicy::default()
    }
    .physical_id();
    let r = run(json!([
        {"kind": "Update", "physical": id, "policy": harden_settings()},
        {"kind": "Update", "physical": "account-password-policy", "policy": harden_settings()},
        {"kind": "Update", "physical": id, "policy": harden_settings(), "fail": "update"},
    ]));
    assert_eq!(r[0]["sent"]["status"], "SUCCESS");
    assert_eq!(
        physical(&r[0]),
        id,
        "a new id would make CloudFormation delete the old one"
    );
    assert_eq!(r[0]["policy"], harden_settings());
    assert_eq!(physical(&r[1]), "account-password-policy");
    assert_eq!(r[2]["sent"]["status"], "FAILED");
    assert_eq!(physical(&r[2]), id, "a failed update keeps the id too");
}

/// Stacks deployed before the previous policy was recorded carry the old id: delete removes
/// the policy, as it always did for them.
#[test]
fn an_old_id_keeps_the_old_behaviour_on_delete() {
    let r = &run(
        json!([{"kind": "Delete", "physical": "account-password-policy", "policy": harden_settings()}]),
    )[0];
    assert_eq!(r["sent"]["status"], "SUCCESS");
    assert_eq!(r["policy"], Value::Null);
    assert_eq!(on_delete("account-password-policy"), OnDelete::Removes);
}

/// A create that fails before reading the policy must not remove the account's policy when
/// CloudFormation rolls it back with a delete.
#[test]
fn a_create_that_failed_before_reading_leaves_the_policy_on_rollback() {
    let existing = json!({"MinimumPasswordLength": 12});
    let r = run(json!([
        {"kind": "Create", "policy": existing, "fail": "get"},
        {"kind": "Delete", "physical": "harden-password-policy:unchanged", "policy": existing},
    ]));
    assert_eq!(r[0]["sent"]["status"], "FAILED");
    assert!(r[0]["sent"]["reason"]
        .as_str()
        .unwrap()
        .contains("AccessDenied"));
    assert_eq!(physical(&r[0]), "harden-password-policy:unchanged");
    assert_eq!(r[1]["sent"]["status"], "SUCCESS");
    assert_eq!(r[1]["policy"], existing, "left as it was");
    assert_eq!(r[1]["calls"], json!([]), "no IAM call at all");
    assert_eq!(
        on_delete("harden-password-policy:unchanged"),
        OnDelete::Keeps
    );
}

/// A create whose update failed after reading returns the recording id: the rollback's delete
/// puts the same policy back, which is what the account already has.
#[test]
fn a_create_that_failed_after_reading_restores_on_rollback() {
    let existing = json!({"MinimumPasswordLength": 12, "RequireSymbols": false});
    let r = run(json!([{"kind": "Create", "policy": existing, "fail": "update"}]));
    assert_eq!(r[0]["sent"]["status"], "FAILED");
    let id = physical(&r[0]);
    assert!(matches!(on_delete(id), OnDelete::Restores(_)), "{id}");
    let r = run(json!([{"kind": "Delete", "physical": id, "policy": existing}]));
    assert_eq!(r[0]["policy"], existing);
}

#[test]
fn an_unreadable_record_leaves_the_policy_as_it_is() {
    for id in [
        "harden-password-policy:previous=***",
        "harden-password-policy:previous=WzFd",
    ] {
        let r = &run(json!([{"kind": "Delete", "physical": id, "policy": harden_settings()}]))[0];
        assert_eq!(r["sent"]["status"], "SUCCESS", "{id}: {r}");
        assert_eq!(r["policy"], harden_settings(), "{id}");
        assert_eq!(on_delete(id), OnDelete::Keeps, "{id}");
    }
}

#[test]
fn the_longest_previous_policy_fits_and_round_trips() {
    let previous = json!({"MinimumPasswordLength": 128, "RequireSymbols": false,
        "RequireNumbers": false, "RequireUppercaseCharacters": false,
        "RequireLowercaseCharacters": false, "AllowUsersToChangePassword": false,
        "MaxPasswordAge": 1095, "PasswordReusePrevention": 24, "HardExpiry": false});
    let created = &run(json!([{"kind": "Create", "policy": previous}]))[0];
    let id = physical(created);
    assert!(id.len() <= PHYSICAL_ID_LIMIT, "{} characters", id.len());
    // The Python encoding and the Rust one agree byte for byte.
    let OnDelete::Restores(p) = on_delete(id) else {
        panic!("{id}")
    };
    assert_eq!(p.physical_id(), id);
    let restored =
        &run(json!([{"kind": "Delete", "physical": id, "policy": harden_settings()}]))[0];
    assert_eq!(restored["policy"], previous);
}
