//! The GuardDuty organization-configuration function (`controls::org_services`), run by
//! `python3` against a fake GuardDuty client and a fake `cfnresponse`: create records the
//! organization configuration it found in the physical id and auto-enables every member with
//! the detector's protection plans, update keeps the id and sets them again, delete puts back
//! what the id recorded, a failure is reported with the id that changes nothing, and an
//! unreadable id leaves the organization as it is.

mod common;

use harden_blueprints::controls::guardduty::{FEATURES, RUNTIME_AGENTS};
use harden_blueprints::controls::org_services::{GUARDDUTY_ORG_CODE, GUARDDUTY_ORG_ID};
use serde_json::{json, Value};

/// Fakes of `boto3` (GuardDuty) and `cfnresponse`, and a driver that runs the handler over a
/// list of events and prints, per event, the response and the organization configuration.
const HARNESS: &str = r#"
import json, sys, types

class Fake:
    def __init__(self):
        self.detectors = ['d-1']
        self.members = 'NONE'
        self.features = {}
        self.fail = None
        self.calls = []
    def _call(self, name):
        self.calls.append(name)
        if self.fail == name:
            raise Exception('AccessDenied')
    def list_detectors(self):
        self._call('list_detectors')
        return {'DetectorIds': list(self.detectors)}
    def describe_organization_configuration(self, DetectorId):
        self._call('describe_organization_configuration')
        assert DetectorId in self.detectors
        return {'AutoEnableOrganizationMembers': self.members, 'MemberAccountLimitReached': False,
                'Features': [dict({'Name': n, 'AutoEnable': a},
                                  **({'AdditionalConfiguration': [{'Name': x, 'AutoEnable': y} for x, y in extra.items()]} if extra else {}))
                             for n, (a, extra) in self.features.items()]}
    def update_organization_configuration(self, DetectorId, AutoEnableOrganizationMembers, Features):
        self._call('update_organization_configuration')
        assert DetectorId in self.detectors
        assert AutoEnableOrganizationMembers in ('NEW', 'ALL', 'NONE')
        self.members = AutoEnableOrganizationMembers
        for f in Features:
            assert set(f) <= {'Name', 'AutoEnable', 'AdditionalConfiguration'}, f
            extra = {a['Name']: a['AutoEnable'] for a in f.get('AdditionalConfiguration', [])}
            self.features[f['Name']] = [f['AutoEnable'], dict(self.features.get(f['Name'], ['', {}])[1], **extra)]

fake = Fake()
boto3 = types.ModuleType('boto3'); boto3.client = lambda name: fake
sent = []
cfn = types.ModuleType('cfnresponse'); cfn.SUCCESS = 'SUCCESS'; cfn.FAILED = 'FAILED'
def send(event, context, status, data, physical, reason=None):
    sent.append({'status': status, 'physical': physical, 'reason': reason})
cfn.send = send
sys.modules.update({'boto3': boto3, 'cfnresponse': cfn})

setup = json.loads(sys.argv[1])
for k, v in setup.items():
    setattr(fake, k, v)
events = json.loads(sys.argv[2])
ns = {}
exec(compile(open(sys.argv[3]).read(), 'index.py', 'exec'), ns)
out = []
for e in events:
    fake.fail = e.pop('fail', None)
    if 'detectors' in e:
        fake.detectors = e.pop('detectors')
    before = len(fake.calls)
    ns['handler'](e, None)
    out.append({'sent': sent[-1], 'members': fake.members, 'features': fake.features,
                'calls': fake.calls[before:]})
print(json.dumps(out))
"#;

fn run(state: Value, events: Value) -> Vec<Value> {
    common::run_handler("org-services", HARNESS, GUARDDUTY_ORG_CODE, state, events)
}

/// The properties the template passes (`guardduty_organization`).
fn props() -> Value {
    json!({
        "AutoEnableOrganizationMembers": "ALL",
        "Features": FEATURES,
        "RuntimeAgents": RUNTIME_AGENTS,
    })
}

fn event(kind: &str, physical: Option<&str>) -> Value {
    let mut e = json!({"RequestType": kind, "ResourceProperties": props()});
    if let Some(p) = physical {
        e["PhysicalResourceId"] = json!(p);
    }
    e
}

/// Every feature the function sets, auto-enabled for all members, with the runtime agents.
fn all_enabled() -> Value {
    let mut m = serde_json::Map::new();
    for f in FEATURES {
        m.insert(f.to_string(), json!(["ALL", {}]));
    }
    let agents: serde_json::Map<String, Value> = RUNTIME_AGENTS
        .iter()
        .map(|a| (a.to_string(), json!("ALL")))
        .collect();
    m.insert("RUNTIME_MONITORING".into(), json!(["ALL", agents]));
    Value::Object(m)
}

#[test]
fn create_enables_every_member_update_keeps_the_id_and_delete_restores_the_previous_configuration()
{
    // What the organization had: new members only, S3 protection for new ones, runtime
    // monitoring off with the EKS agent on for new ones, and a feature harden does not set.
    let before = json!({
        "S3_DATA_EVENTS": ["NEW", {}],
        "RUNTIME_MONITORING": ["NONE", {"EKS_ADDON_MANAGEMENT": "NEW"}],
        "EKS_RUNTIME_MONITORING": ["NONE", {}],
    });
    let out = run(
        json!({"members": "NEW", "features": before}),
        json!([event("Create", None)]),
    );
    // Create: the previous configuration is in the id; every member and plan is on.
    let physical = out[0]["sent"]["physical"].as_str().unwrap().to_string();
    assert_eq!(out[0]["sent"]["status"], "SUCCESS", "{:?}", out[0]);
    assert!(physical.starts_with(&format!("{GUARDDUTY_ORG_ID}previous=")));
    assert_eq!(out[0]["members"], "ALL");
    let mut expected = all_enabled();
    expected["EKS_RUNTIME_MONITORING"] = json!(["NONE", {}]);
    assert_eq!(out[0]["features"], expected);
    assert_eq!(
        out[0]["calls"],
        json!([
            "list_detectors",
            "describe_organization_configuration",
            "update_organization_configuration"
        ])
    );

    // Run again with the id the create returned: update keeps it, delete restores.
    let out = run(
        json!({"members": "NEW", "features": before}),
        json!([
            event("Create", None),
            event("Update", Some(&physical)),
            event("Delete", Some(&physical)),
        ]),
    );
    assert_eq!(out[1]["sent"]["status"], "SUCCESS");
    assert_eq!(
        out[1]["sent"]["physical"],
        physical.as_str(),
        "update keeps the id"
    );
    assert_eq!(out[1]["members"], "ALL");
    assert!(
        !out[1]["calls"]
            .as_array()
            .unwrap()
            .contains(&json!("describe_organization_configuration")),
        "an update does not record again: the id keeps what was there before harden"
    );
    assert_eq!(out[2]["sent"]["status"], "SUCCESS");
    assert_eq!(
        out[2]["members"], "NEW",
        "delete restores who is auto-enabled"
    );
    let restored = &out[2]["features"];
    assert_eq!(restored["S3_DATA_EVENTS"], json!(["NEW", {}]));
    assert_eq!(restored["RUNTIME_MONITORING"][0], "NONE");
    assert_eq!(
        restored["RUNTIME_MONITORING"][1]["EKS_ADDON_MANAGEMENT"],
        "NEW"
    );
    assert_eq!(
        restored["EKS_RUNTIME_MONITORING"],
        json!(["NONE", {}]),
        "a feature harden does not set is left alone"
    );
}

#[test]
fn a_failed_create_changes_nothing_on_delete_and_an_unreadable_id_is_left_alone() {
    let out = run(
        json!({"members": "NONE"}),
        json!([
            dict_with(
                event("Create", None),
                "fail",
                "update_organization_configuration"
            ),
            event("Delete", Some(&format!("{GUARDDUTY_ORG_ID}unchanged"))),
            event("Delete", Some(&format!("{GUARDDUTY_ORG_ID}previous=%%%"))),
        ]),
    );
    assert_eq!(out[0]["sent"]["status"], "FAILED");
    assert!(out[0]["sent"]["reason"]
        .as_str()
        .unwrap()
        .contains("AccessDenied"));
    assert_eq!(out[0]["members"], "NONE");
    for o in &out[1..] {
        assert_eq!(o["sent"]["status"], "SUCCESS", "{o:?}");
        assert!(
            !o["calls"]
                .as_array()
                .unwrap()
                .contains(&json!("update_organization_configuration")),
            "{o:?}"
        );
    }
}

#[test]
fn without_a_detector_create_fails_with_what_to_do_and_delete_succeeds() {
    let out = run(
        json!({"detectors": []}),
        json!([
            event("Create", None),
            event(
                "Delete",
                Some(&format!(
                    "{GUARDDUTY_ORG_ID}previous=eyJtIjoiTk9ORSIsImYiOltdfQ"
                ))
            ),
        ]),
    );
    assert_eq!(out[0]["sent"]["status"], "FAILED");
    assert_eq!(
        out[0]["sent"]["physical"],
        format!("{GUARDDUTY_ORG_ID}unchanged").as_str()
    );
    assert!(out[0]["sent"]["reason"]
        .as_str()
        .unwrap()
        .contains("deploy harden-account-baseline first"));
    assert_eq!(out[1]["sent"]["status"], "SUCCESS");
}

fn dict_with(mut e: Value, k: &str, v: &str) -> Value {
    e[k] = json!(v);
    e
}
