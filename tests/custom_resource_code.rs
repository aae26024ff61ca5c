//! The inline Python of harden's custom resources, run for real: extracted from the rendered
//! template, executed by moto's Python (`.tools/moto`, installed by `scripts/tools.sh`) under
//! `moto.mock_aws` with a stand-in for the `cfnresponse` module Lambda provides. moto's
//! CloudFormation server cannot run Lambda functions without Docker, so the e2e deploys do not
//! exercise this code; this does.

use std::path::PathBuf;
use std::process::Command;

use harden_blueprints::cfn::Node;
use harden_blueprints::Tier;

fn function_code(blueprint: &str, tier: Tier, function: &str) -> String {
    let b = harden_blueprints::find(blueprint).unwrap();
    for s in b.build_example(tier).unwrap() {
        let n = harden_blueprints::cfn::to_node(&s.template).unwrap();
        if let Some(code) = n
            .get_path(&["Resources", function, "Properties", "Code", "ZipFile"])
            .and_then(Node::as_str)
        {
            return code.to_string();
        }
    }
    panic!("no function {function} in {blueprint} at {tier}");
}

const CFNRESPONSE: &str = r#"import json
import os

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, status, data, physical_id=None, no_echo=False, reason=None):
    with open(os.environ["RESPONSES"], "a") as f:
        f.write(json.dumps({"request": event["RequestType"], "status": status, "data": data,
                            "physical_id": physical_id, "reason": reason}) + "\n")
"#;

const DRIVER: &str = r#"import json
import os
import sys

import boto3
from moto import mock_aws

sys.path.insert(0, os.environ["CODE_DIR"])

with mock_aws():
    import index

    def event(kind, name, physical=None):
        e = {"RequestType": kind, "ResourceProperties": {"PrefixListName": name}}
        if physical:
            e["PhysicalResourceId"] = physical
        return e

    index.handler(event("Create", "com.amazonaws.us-east-1.s3"), None)
    index.handler(event("Update", "com.amazonaws.us-east-1.s3", "pl-old"), None)
    index.handler(event("Delete", "com.amazonaws.us-east-1.s3", "pl-old"), None)
    index.handler(event("Create", "com.amazonaws.nowhere-1.s3"), None)
    lists = boto3.client("ec2").describe_prefix_lists()["PrefixLists"]
    print(json.dumps({l["PrefixListName"]: l["PrefixListId"] for l in lists}))
"#;

#[test]
fn the_prefix_list_lookup_returns_the_s3_gateways_prefix_list_id() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".tools/moto/bin/python");
    assert!(
        python.exists(),
        "moto is not installed at {}\nhint: run `bash scripts/tools.sh` (the README's test command does)",
        python.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("index.py"),
        function_code("sagemaker-vpc", Tier::Basic, "S3PrefixListFunction"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("cfnresponse.py"), CFNRESPONSE).unwrap();
    std::fs::write(tmp.path().join("driver.py"), DRIVER).unwrap();
    let responses = tmp.path().join("responses.jsonl");
    let out = Command::new(&python)
        .arg(tmp.path().join("driver.py"))
        .env("CODE_DIR", tmp.path())
        .env("RESPONSES", &responses)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s3 = ids["com.amazonaws.us-east-1.s3"].as_str().unwrap();
    assert!(s3.starts_with("pl-"), "{ids}");
    let got: Vec<serde_json::Value> = std::fs::read_to_string(&responses)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 4, "{got:?}");
    for (r, request) in got[..2].iter().zip(["Create", "Update"]) {
        assert_eq!(r["request"], request);
        assert_eq!(r["status"], "SUCCESS", "{r}");
        assert_eq!(r["data"]["PrefixListId"], s3, "{r}");
        assert_eq!(r["physical_id"], s3, "{r}");
    }
    // Delete has nothing to undo and keeps the physical id it was given.
    assert_eq!(got[2]["status"], "SUCCESS");
    assert_eq!(got[2]["physical_id"], "pl-old");
    assert_eq!(got[2]["data"], serde_json::json!({}));
    // A name that matches no prefix list fails the resource with the reason, never hangs it.
    assert_eq!(got[3]["status"], "FAILED");
    assert!(
        got[3]["reason"].as_str().unwrap().contains(
            "expected one AWS-managed prefix list named com.amazonaws.nowhere-1.s3, found 0"
        ),
        "{}",
        got[3]
    );
}
