//! CLI transcripts: the real binary, its exit code, stdout and stderr, on good and bad input.
//! Temporary paths are redacted to `[TMP]`.

use std::path::Path;

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn harden(args: &[&str], tmp: Option<&Path>) -> Run {
    let out = Command::cargo_bin("harden")
        .unwrap()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let redact = |s: &[u8]| {
        let s = String::from_utf8_lossy(s).into_owned();
        match tmp {
            Some(t) => s.replace(&t.display().to_string(), "[TMP]"),
            None => s,
        }
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: redact(&out.stdout),
        stderr: redact(&out.stderr),
    }
}

#[test]
fn render_writes_one_file_per_stack() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "enterprise",
            "--param",
            "alert_email=sec@example.com",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(tmp.path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "harden-account-baseline.stack-policy.json",
            "harden-account-baseline.yaml",
            "harden-account-monitoring.stack-policy.json",
            "harden-account-monitoring.yaml",
            "sagemaker-vpc.stack-policy.json",
            "sagemaker-vpc.yaml"
        ]
    );
    assert!(
        r.stderr.contains("wrote [TMP]/out/sagemaker-vpc.yaml"),
        "{}",
        r.stderr
    );
    let text = std::fs::read_to_string(out.join("sagemaker-vpc.yaml")).unwrap();
    assert!(text.starts_with("AWSTemplateFormatVersion: \"2010-09-09\"\n"));
    assert!(
        !text.contains("!Ref") && !text.contains("!GetAtt") && !text.contains("!Sub"),
        "short-form tags in output"
    );
}

#[test]
fn render_json_matches_yaml_content() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--format",
            "json",
            "--out",
            dir,
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("sagemaker-vpc.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        v["Resources"]["DataKey"]["Properties"]["EnableKeyRotation"],
        serde_json::json!(true)
    );
    assert_eq!(
        v["Resources"]["ModelBucket"]["Properties"]["BucketEncryption"]
            ["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"],
        serde_json::json!(true)
    );
}

#[test]
fn a_single_stack_goes_to_stdout_without_out() {
    let r = harden(
        &["render", "--blueprint", "sagemaker-vpc", "--tier", "basic"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("AWSTemplateFormatVersion"));
    assert!(r.stderr.contains("no `alert_email`"), "{}", r.stderr);
}

#[test]
fn several_stacks_need_an_output_directory() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "enhanced",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains(
        "error: blueprint `sagemaker-vpc` renders 2 stacks at tier `enhanced`: `harden-account-baseline`, `sagemaker-vpc`\nhint: pass `--out DIR` to write one file per stack\n"
    ), "{}", r.stderr);
}

#[test]
fn unknown_blueprint_says_which_exist() {
    let r = harden(
        &["render", "--blueprint", "sagemaker", "--tier", "basic"],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: unknown blueprint `sagemaker`\nhint: the blueprints are `sagemaker-vpc`, `account-baseline` (`harden blueprints` describes them)\n"
    );
}

#[test]
fn unknown_tier_is_a_usage_error_with_exit_1() {
    let r = harden(
        &["render", "--blueprint", "sagemaker-vpc", "--tier", "gold"],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid value 'gold' for '--tier <TIER>': the tiers are `basic`, `enhanced` and `enterprise`"), "{}", r.stderr);
}

#[test]
fn invalid_cidr_names_the_parameter_and_the_rule() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--param",
            "vpc_cidr=10.0.0.0/33",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: invalid value `10.0.0.0/33` for parameter `vpc_cidr`: it must be an IPv4 CIDR block in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a prefix from /16 to /20, like `10.0.0.0/16`\n"
    );
}

#[test]
fn public_cidr_is_refused() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--param",
            "vpc_cidr=8.8.0.0/16",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("parameter `vpc_cidr`"), "{}", r.stderr);
}

#[test]
fn invalid_email_and_instance_type_are_refused() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--param",
            "alert_email=not-an-email",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: invalid value `not-an-email` for parameter `alert_email`: it must be an email address, like `security@example.com`\n");
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--param",
            "instance_type=m5.xlarge",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: invalid value `m5.xlarge` for parameter `instance_type`: it must be a SageMaker instance type, like `ml.g5.xlarge`\n");
}

#[test]
fn unknown_parameter_lists_the_known_ones() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--param",
            "email=x@example.com",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: unknown parameter `email` for blueprint `account-baseline`\nhint: its parameters are `alert_email`, `alert_topic_arn`, `home_region`\n");
}

/// Guards the enterprise rule that alerts reach someone: without `alert_email` or
/// `alert_topic_arn` the render fails, naming both and saying why, and writes nothing.
#[test]
fn enterprise_without_an_alert_destination_names_both_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for blueprint in ["account-baseline", "sagemaker-vpc"] {
        let r = harden(
            &[
                "render",
                "--blueprint",
                blueprint,
                "--tier",
                "enterprise",
                "--out",
                out.to_str().unwrap(),
            ],
            Some(tmp.path()),
        );
        assert_eq!(r.code, 1, "{blueprint}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            "error: the enterprise tier needs an alert destination: `alert_email` (an address subscribed to the alert topic) or `alert_topic_arn` (an existing SNS topic the alerts are forwarded to); without one, the security alarms and findings reach nobody\nhint: add `--param alert_email=security@example.com`\n",
            "{blueprint}"
        );
        assert!(!out.exists(), "{blueprint}: nothing is written");
    }
}

/// Guards the region rule: a `home_region` that is not a region name is refused with the rule.
#[test]
fn home_region_and_alert_topic_arn_are_validated() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--param",
            "home_region=europe",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: invalid value `europe` for parameter `home_region`: it must be an AWS region name, like `eu-west-1`\n"
    );
    let r = harden(
        &[
            "render",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--param",
            "alert_topic_arn=arn:aws:sns:eu-west-1:123456789012:alerts.fifo",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("parameter `alert_topic_arn`: it must be the ARN of a standard SNS topic"),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_param_flag_is_a_usage_error() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--param",
            "vpc_cidr",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("expected KEY=VALUE, got `vpc_cidr`"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_stack_name_prefix_is_refused() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--name",
            "Prod_Stack",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: invalid stack name prefix `Prod_Stack` in `--name`"),
        "{}",
        r.stderr
    );
}

#[test]
fn baseline_at_basic_renders_nothing_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "account-baseline",
            "--tier",
            "basic",
            "--out",
            tmp.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("note: blueprint `account-baseline` has no stacks at tier `basic`"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn unwritable_output_directory_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--out",
            file.to_str().unwrap(),
        ],
        Some(tmp.path()),
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error: creating output directory `[TMP]/a-file`\ncaused by: "),
        "{}",
        r.stderr
    );
}

#[test]
fn blueprints_lists_each_with_stacks_and_parameters() {
    let r = harden(&["blueprints"], None);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .contains("sagemaker-vpc: a private SageMaker inference endpoint"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("    vpc_cidr (default `10.0.0.0/16`):"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("    basic: none (starts at a higher tier)"),
        "{}",
        r.stdout
    );
    let r = harden(&["blueprints", "--format", "json"], None);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sagemaker-vpc", "account-baseline"]);
    assert_eq!(v[0]["parameters"][0]["name"], "vpc_cidr");
    assert_eq!(v[1]["stacks"]["basic"], serde_json::json!([]));
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(harden(&["--help"], None).code, 0);
    assert_eq!(harden(&["--version"], None).code, 0);
    let r = harden(&[], None);
    assert_eq!(r.code, 1, "no command is a usage error");
}

/// A valid value for every parameter a blueprint takes: the largest render it can make.
/// Kinds without a sample here keep their default.
fn every_parameter(b: &dyn harden_blueprints::Blueprint) -> Vec<(String, String)> {
    use harden_blueprints::params::Kind;
    b.params()
        .iter()
        .filter_map(|p| {
            let v = match p.kind {
                Kind::Email => "security@example.com",
                Kind::SnsTopicArn => "arn:aws:sns:eu-west-1:123456789012:security-alerts",
                Kind::AwsRegion => "eu-west-1",
                Kind::HttpsOrigin => "https://app.example.com",
                Kind::S3Key => "models/llama/model.tar.gz",
                Kind::Int { max, .. } => return Some((p.name.to_string(), max.to_string())),
                _ => p.default?,
            };
            Some((p.name.to_string(), v.to_string()))
        })
        .collect()
}

/// Every stack harden ships fits CloudFormation's template body limit, with a tenth to spare,
/// in the compact JSON that deploy sends: on the minimal required parameters (at enterprise an
/// alert destination) and at its largest (every parameter given). Guards against a blueprint
/// silently growing past what `deploy` can send without S3 (the enterprise account baseline
/// went past it: its CIS alarms beyond 4.1 and 4.3 now have a stack of their own).
#[test]
fn every_shipped_stack_fits_the_template_body_limit() {
    use harden::deploy::prepare::{body, TEMPLATE_BODY_LIMIT};
    for b in harden_blueprints::all() {
        for tier in harden_blueprints::Tier::ALL {
            let minimal: Vec<(String, String)> = if tier == harden_blueprints::Tier::Enterprise {
                vec![("alert_email".into(), "security@example.com".into())]
            } else {
                Vec::new()
            };
            for (what, params) in [
                ("minimal", minimal),
                ("every parameter", every_parameter(*b)),
            ] {
                for s in b.build(b.name(), tier, &params).unwrap() {
                    let n = body(&harden_blueprints::cfn::to_node(&s.template).unwrap()).len();
                    assert!(
                        n <= TEMPLATE_BODY_LIMIT * 9 / 10,
                        "{} {tier} ({what}) {}: {n} bytes, near or over the limit",
                        b.name(),
                        s.name
                    );
                }
            }
        }
    }
}

#[test]
fn controls_lists_tiers_and_benchmark_ids() {
    let r = harden(&["controls"], None);
    assert_eq!(r.code, 0);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("kms-key "))
        .expect("kms-key is listed");
    assert!(
        line.contains("basic") && line.contains("3.6") && line.contains("KMS.4"),
        "{line}"
    );
    let r = harden(&["controls", "--tier", "basic", "--format", "json"], None);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let tiers: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tier"].as_str().unwrap())
        .collect();
    assert!(
        !tiers.is_empty() && tiers.iter().all(|t| *t == "basic"),
        "{tiers:?}"
    );
    let all = harden(&["controls", "--format", "json"], None);
    let all: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    assert!(
        all.as_array().unwrap().len() > v.as_array().unwrap().len(),
        "higher tiers add controls"
    );
}
