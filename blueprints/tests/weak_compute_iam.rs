//! The weak compute and IAM templates (`tests/weak/compute.yaml`, `tests/weak/iam.yaml`):
//! harden flags every resource checkov fails for a checkov id that a harden rule maps, and
//! each of the compute and IAM rules fires where the template breaks it on purpose.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use harden_blueprints::cfn::parse::parse_template;
use harden_blueprints::rules::{all, check, Options};
use harden_blueprints::Tier;

/// What checkov 3.3.30 fails in the weak templates (`checkov -f FILE --framework
/// cloudformation`), for the ids a harden rule maps: `(file, checkov id, resource)`. The live
/// test below keeps this list honest where checkov is installed.
const CHECKOV: &[(&str, &str, &str)] = &[
    ("compute.yaml", "CKV2_AWS_68", "WeakNotebook"),
    ("compute.yaml", "CKV2_AWS_75", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_115", "OlderFunction"),
    ("compute.yaml", "CKV_AWS_115", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_116", "OlderFunction"),
    ("compute.yaml", "CKV_AWS_116", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_117", "OlderFunction"),
    ("compute.yaml", "CKV_AWS_117", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_173", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_187", "WeakDomain"),
    ("compute.yaml", "CKV_AWS_187", "WeakNotebook"),
    ("compute.yaml", "CKV_AWS_258", "WeakUrl"),
    ("compute.yaml", "CKV_AWS_363", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_364", "WeakPermission"),
    ("compute.yaml", "CKV_AWS_370", "WeakModel"),
    ("compute.yaml", "CKV_AWS_371", "WeakNotebook"),
    ("compute.yaml", "CKV_AWS_45", "WeakFunction"),
    ("compute.yaml", "CKV_AWS_97", "WeakTask"),
    ("iam.yaml", "CKV_AWS_107", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_107", "AppRole"),
    ("iam.yaml", "CKV_AWS_107", "CredentialsPolicy"),
    ("iam.yaml", "CKV_AWS_108", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_108", "ExfiltrationPolicy"),
    ("iam.yaml", "CKV_AWS_109", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_109", "EscalationPolicy"),
    ("iam.yaml", "CKV_AWS_110", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_110", "EscalationPolicy"),
    ("iam.yaml", "CKV_AWS_111", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_111", "CredentialsPolicy"),
    ("iam.yaml", "CKV_AWS_111", "EscalationPolicy"),
    ("iam.yaml", "CKV_AWS_60", "PublicTrustRole"),
    ("iam.yaml", "CKV_AWS_61", "AccountTrustRole"),
    ("iam.yaml", "CKV_AWS_62", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_63", "AdminPolicy"),
    ("iam.yaml", "CKV_AWS_63", "AppRole"),
];

/// harden's own rules (no checkov equivalent) the weak templates break: `(file, rule, resource)`.
const HARDEN_ONLY: &[(&str, &str, &str)] = &[
    ("compute.yaml", "lambda-runtime-current", "OlderFunction"),
    ("compute.yaml", "lambda-tracing", "WeakFunction"),
    ("compute.yaml", "sagemaker-model-in-vpc", "WeakModel"),
    (
        "compute.yaml",
        "sagemaker-endpoint-config-kms",
        "WeakEndpointConfig",
    ),
    (
        "compute.yaml",
        "sagemaker-notebook-no-internet",
        "WeakNotebook",
    ),
    (
        "compute.yaml",
        "batch-private-network",
        "WeakComputeEnvironment",
    ),
    ("compute.yaml", "batch-private-network", "WeakJob"),
    ("compute.yaml", "batch-job-not-privileged", "WeakJob"),
    ("compute.yaml", "batch-job-not-root", "WeakJob"),
    ("compute.yaml", "batch-job-read-only-root", "WeakJob"),
    ("compute.yaml", "batch-job-env-no-secrets", "WeakJob"),
    ("compute.yaml", "ecs-task-not-privileged", "WeakTask"),
    ("compute.yaml", "ecs-task-not-root", "WeakTask"),
    ("compute.yaml", "ecs-task-read-only-root", "WeakTask"),
    ("compute.yaml", "ecs-task-env-no-secrets", "WeakTask"),
    ("compute.yaml", "ecs-task-no-host-network", "WeakTask"),
    ("compute.yaml", "ecs-task-logging", "WeakTask"),
];

fn weak(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/weak")
        .join(file)
}

/// `(rule id, resource)` of every finding harden makes in `file`, every tier's rules running.
fn findings(file: &str) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(weak(file)).expect("reads the weak template");
    let root = parse_template(&text).expect("parses");
    check(&root, &Options::at(Tier::Enterprise))
        .into_iter()
        .map(|f| (f.rule.id.to_string(), f.resource))
        .collect()
}

fn rules_mapping(checkov_id: &str) -> Vec<&'static str> {
    all()
        .filter(|r| r.equivalents.checkov.contains(&checkov_id))
        .map(|r| r.id)
        .collect()
}

#[test]
fn harden_flags_every_resource_checkov_fails_for_a_mapped_id() {
    for (file, id, resource) in CHECKOV {
        let rules = rules_mapping(id);
        assert_eq!(
            rules.len(),
            1,
            "`{id}` is mapped by {rules:?}, not by exactly one rule"
        );
        let found = findings(file);
        assert!(
            found.contains(&(rules[0].to_string(), resource.to_string())),
            "checkov fails `{resource}` of {file} for {id}; harden's `{}` does not fire there",
            rules[0]
        );
    }
}

#[test]
fn the_weak_templates_break_harden_s_own_rules_too() {
    for (file, rule, resource) in HARDEN_ONLY {
        assert!(
            findings(file).contains(&(rule.to_string(), resource.to_string())),
            "`{rule}` does not fire on `{resource}` of {file}"
        );
    }
}

/// checkov, where it is installed: `$CHECKOV`, or the workspace's `.tools`.
fn checkov() -> Option<PathBuf> {
    std::env::var_os("CHECKOV").map(PathBuf::from).or_else(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/checkov/bin/checkov");
        p.exists().then_some(p)
    })
}

#[test]
fn the_recorded_checkov_failures_are_what_checkov_reports() {
    let Some(bin) = checkov() else {
        eprintln!("checkov is not installed: the recorded failures are not re-checked");
        return;
    };
    for file in ["compute.yaml", "iam.yaml"] {
        let out = Command::new(&bin)
            .args([
                "--framework",
                "cloudformation",
                "-o",
                "json",
                "--quiet",
                "--compact",
                "-f",
            ])
            .arg(weak(file))
            .output()
            .expect("runs checkov");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("checkov writes JSON");
        let reports = match report {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        let live: BTreeSet<(String, String)> = reports
            .iter()
            .flat_map(|r| {
                r["results"]["failed_checks"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|c| {
                let id = c["check_id"].as_str()?.to_string();
                let resource = c["resource"].as_str()?.rsplit('.').next()?.to_string();
                (!rules_mapping(&id).is_empty()).then_some((id, resource))
            })
            .collect();
        let recorded: BTreeSet<(String, String)> = CHECKOV
            .iter()
            .filter(|(f, _, _)| *f == file)
            .map(|(_, id, r)| (id.to_string(), r.to_string()))
            .collect();
        assert_eq!(
            live, recorded,
            "checkov's failures in {file} changed: update `CHECKOV`"
        );
    }
}
