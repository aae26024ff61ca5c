//! CLI transcripts: the real binary, its exit code, stdout and stderr, on good and bad input.
//! Temporary paths are redacted to `[TMP]`.

use std::path::Path;

use assert_cmd::Command;

/// A fixed image digest, for renders that pin the model image (enterprise requires it).
const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

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
            "--param",
            &format!("image_tag={DIGEST}"),
            "--param",
            "replica_region=us-west-2",
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
            ".harden-render.json",
            "harden-account-baseline.stack-policy.json",
            "harden-account-baseline.yaml",
            "harden-account-monitoring.stack-policy.json",
            "harden-account-monitoring.yaml",
            "sagemaker-vpc-replica.stack-policy.json",
            "sagemaker-vpc-replica.yaml",
            "sagemaker-vpc.stack-policy.json",
            "sagemaker-vpc.yaml"
        ]
    );
    assert!(
        r.stderr.contains("wrote [TMP]/out/sagemaker-vpc.yaml"),
        "{}",
        r.stderr
    );
    // The replica stack says where it goes.
    assert!(
        r.stderr.contains("rendered sagemaker-vpc-replica (")
            && r.stderr
                .contains(", tier enterprise, for region us-west-2)"),
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
        "error: unknown blueprint `sagemaker`\nhint: the blueprints are `sagemaker-vpc`, `batch-fargate`, `cognito-api`, `data-pipeline`, `ml-research`, `account-baseline` (`harden blueprints` describes them)\n"
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
    assert_eq!(r.stderr, "error: invalid value `m5.xlarge` for parameter `instance_type`: it is not a SageMaker real-time inference instance type; it must be one of the 277 real-time inference instance types of the SageMaker API (`ProductionVariantInstanceType`), like `ml.g5.xlarge`\nhint: the closest ones are `ml.m5.xlarge`, `ml.m5.2xlarge`, `ml.m5.4xlarge`\n");
}

fn render_basic(params: &[&str]) -> Run {
    let mut args = vec!["render", "--blueprint", "sagemaker-vpc", "--tier", "basic"];
    for p in params {
        args.extend(["--param", p]);
    }
    harden(&args, None)
}

/// Regression: `ml.fake.huge` looked like `ml.<family>.<size>` and rendered; the instance
/// types now come from the SageMaker API model.
#[test]
fn an_instance_type_sagemaker_does_not_offer_is_refused_with_the_closest_ones() {
    let r = render_basic(&["instance_type=ml.fake.huge"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "error: invalid value `ml.fake.huge` for parameter `instance_type`: it is not a SageMaker real-time inference instance type; it must be one of the 277 real-time inference instance types of the SageMaker API (`ProductionVariantInstanceType`), like `ml.g5.xlarge`\nhint: the closest ones are `ml.c4.large`, `ml.c4.xlarge`, `ml.c5.large`\n");
    let r = render_basic(&["instance_type=ml.g5.huge"]);
    assert!(
        r.stderr.ends_with(
            "hint: the closest ones are `ml.g5.xlarge`, `ml.g5.2xlarge`, `ml.g5.4xlarge`\n"
        ),
        "{}",
        r.stderr
    );
}

/// Regression: `instance_count=+3` rendered, because Rust's integer parser takes a `+`.
#[test]
fn an_integer_with_a_sign_leading_zero_space_or_point_is_refused() {
    for bad in ["+3", "03", " 3", "3.0"] {
        let r = render_basic(&[&format!("instance_count={bad}")]);
        assert_eq!(r.code, 1, "{bad}");
        assert_eq!(
            r.stderr,
            format!("error: invalid value `{bad}` for parameter `instance_count`: it must be an integer from 1 to 10 in plain decimal digits (no sign, leading zero, space or decimal point)\n")
        );
    }
    assert_eq!(render_basic(&["instance_count=3"]).code, 0);
}

#[test]
fn a_namespaced_repository_by_digest_and_a_key_with_spaces_render() {
    let r = render_basic(&[
        "model_repository=team/ollama",
        &format!("image_tag={DIGEST}"),
        "model_data_key=models/llama 3/model v2.tar.gz",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("${{AWS::URLSuffix}}/team/ollama@{DIGEST}\"")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("- \"/models/llama 3/model v2.tar.gz\"\n")
            || r.stdout.contains("- /models/llama 3/model v2.tar.gz\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("picked by the tag"), "{}", r.stderr);
}

#[test]
fn a_mutable_tag_renders_at_basic_with_a_note_to_pin_it() {
    let r = render_basic(&["image_tag=v1.2.3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("note: sagemaker-vpc: the model image `ollama:v1.2.3` is picked by the tag `v1.2.3`, which can be moved to another image without any change to this stack\nhint: pin it by digest with `--param image_tag=sha256:DIGEST` (required at tier `enterprise`)\n"), "{}", r.stderr);
}

#[test]
fn enterprise_refuses_a_mutable_image_tag_and_says_what_to_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "enterprise",
            "--param",
            "alert_email=security@example.com",
            "--out",
            tmp.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "error: parameter `image_tag` is the tag `latest` (its default): at tier `enterprise` the model image must be pinned by its digest, because a tag can be moved to another image after this template is reviewed and a template cannot see whether the repository's tags are immutable\nhint: pass `--param image_tag=sha256:DIGEST` (`aws ecr describe-images --repository-name ollama --image-ids imageTag=latest --query 'imageDetails[0].imageDigest' --output text` prints the digest), or `--param image_tag_immutable=true` if the repository `ollama` has immutable tags\n");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn image_uri_and_image_tag_together_are_refused() {
    let r = render_basic(&[
        &format!("image_uri=123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@{DIGEST}"),
        "image_tag=v1",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: parameters `image_uri` and `image_tag` conflict: `image_uri` is the model server image by its full ECR URI, for an image of another account (whose repository policy must let this account pull), in place of `model_repository` and `image_tag`\nhint: give either `image_uri` or `image_tag`\n");
}

#[test]
fn an_image_of_another_account_renders_with_a_note_on_its_repository_policy() {
    let uri = format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@{DIGEST}");
    let r = render_basic(&[&format!("image_uri={uri}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("Image: \"{uri}\"")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("repository/team/model"), "{}", r.stdout);
    assert!(r.stderr.contains("note: sagemaker-vpc: the model image is pulled from account 123456789012 in eu-west-1: deploy this stack in eu-west-1"), "{}", r.stderr);
}

#[test]
fn an_image_outside_ecr_is_refused_with_the_reason() {
    let r = render_basic(&["image_uri=docker.io/library/ollama:latest"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: invalid value `docker.io/library/ollama:latest` for parameter `image_uri`: `docker.io` is not an Amazon ECR private registry: SageMaker pulls images from ECR (`RepositoryAccessMode: Platform`); any other registry needs `RepositoryAccessMode: Vpc` and a route from the model's private subnets to that registry, and this blueprint gives the model no route out of its VPC; it must be a full Amazon ECR image URI, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY` then `@sha256:DIGEST` (recommended) or `:TAG`, at most 255 characters, in the region the stack is deployed to\nhint: copy the image into an ECR repository in the endpoint's region (`docker push`, or an ECR pull-through cache rule for a public registry) and pass that URI, with its digest\n");
}

#[test]
fn an_s3_key_that_breaks_says_what_breaks() {
    let r = render_basic(&["model_data_key=/models/model.tar.gz"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: invalid value `/models/model.tar.gz` for parameter `model_data_key`: it starts with `/`: an S3 key is relative to its bucket; it must be an S3 object key of 1 to 955 bytes of UTF-8, like `models/model.tar.gz`: spaces and any printable character are fine; no leading `/`, no control characters, no `.` or `..` path segments\nhint: drop the leading `/`: `models/model.tar.gz`\n");
    let r = render_basic(&["model_data_key=models/../model.tar.gz"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("it has a `.` or `..` path segment"),
        "{}",
        r.stderr
    );
}

#[test]
fn blueprints_prints_the_parameter_rules() {
    let r = harden(&["blueprints"], None);
    assert_eq!(r.code, 0);
    for rule in [
        "      must be one of the 277 real-time inference instance types of the SageMaker API (`ProductionVariantInstanceType`), like `ml.g5.xlarge`\n",
        "      must be an Amazon ECR repository name of 2 to 256 characters",
        "      must be an image digest, `sha256:` and 64 lowercase hex digits (recommended: it pins the image), or a tag",
        "    image_uri (optional): ",
        "    image_tag_immutable (default `false`): ",
        "      must be an S3 object key of 1 to 955 bytes of UTF-8",
    ] {
        assert!(r.stdout.contains(rule), "{rule}\n{}", r.stdout);
    }
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
    assert_eq!(r.stderr, "error: unknown parameter `email` for blueprint `account-baseline`\nhint: its parameters are `alert_email`, `alert_topic_arn`, `home_region`, `security_contact_name`, `security_contact_email`, `security_contact_phone`, `security_contact_title`, `org_services`, `org_policy_target`\n");
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
            .starts_with("error: invalid stack name `Prod_Stack` in `--name`"),
        "{}",
        r.stderr
    );
}

/// The account baseline at basic is what the API blueprints deploy from basic: API Gateway's
/// account-level CloudWatch Logs role and setting, and none of the security services that
/// start at enhanced.
#[test]
fn baseline_at_basic_renders_only_the_api_gateway_logging_role() {
    let tmp = tempfile::tempdir().unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "account-baseline",
            "--tier",
            "basic",
            "--format",
            "json",
            "--out",
            tmp.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("harden-account-baseline.json")).unwrap(),
    )
    .unwrap();
    let mut types: Vec<&str> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "AWS::ApiGateway::Account",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::Role"
        ]
    );
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
        r.stdout.contains(
            "    basic: account baseline: API Gateway's CloudWatch Logs role (deployed at basic by the API blueprints)"
        ) && r.stdout.contains("\nbatch-fargate: a containerised batch job runner"),
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
    assert_eq!(
        names,
        [
            "sagemaker-vpc",
            "batch-fargate",
            "cognito-api",
            "data-pipeline",
            "ml-research",
            "account-baseline"
        ]
    );
    assert_eq!(v[0]["parameters"][0]["name"], "vpc_cidr");
    // sagemaker-vpc deploys the baseline from enhanced, the API blueprints from basic.
    let basic = |i: usize| v[i]["stacks"]["basic"].to_string();
    assert!(!basic(0).contains("account baseline"), "{}", basic(0));
    assert!(basic(1).contains("account baseline"), "{}", basic(1));
    assert!(basic(2).contains("account baseline"), "{}", basic(2));
    // data-pipeline, as sagemaker-vpc, from enhanced (for CloudTrail).
    assert!(!basic(3).contains("account baseline"), "{}", basic(3));
    // ml-research, an API blueprint, from basic.
    assert!(basic(4).contains("account baseline"), "{}", basic(4));
    assert_eq!(
        v[5]["stacks"]["basic"],
        serde_json::json!([
            "account baseline: API Gateway's CloudWatch Logs role (deployed at basic by the API blueprints)"
        ])
    );
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(harden(&["--help"], None).code, 0);
    assert_eq!(harden(&["--version"], None).code, 0);
    let r = harden(&[], None);
    assert_eq!(r.code, 1, "no command is a usage error");
}

/// A valid value for every parameter a blueprint takes: the largest render it can make.
fn every_parameter(b: &dyn harden_blueprints::Blueprint) -> Vec<(String, String)> {
    harden_blueprints::blueprint::every_parameter(b)
        .0
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Every stack harden ships fits CloudFormation's template body limit (with a tenth to spare
/// until each exception was rendered for six scanners; a stack over the limit still deploys,
/// through the bootstrap's artifact bucket, but should not need one),
/// in the compact JSON that deploy sends: on the minimal required parameters (at enterprise an
/// alert destination) and at its largest (every parameter given). Guards against a blueprint
/// silently growing past what `deploy` can send without S3 (the enterprise account baseline
/// went past it: its CIS alarms beyond 4.1 and 4.3 now have a stack of their own).
#[test]
fn every_shipped_stack_fits_the_template_body_limit() {
    use harden::deploy::artifacts::TEMPLATE_BODY_LIMIT;
    use harden::deploy::prepare::body;
    for b in harden_blueprints::all() {
        for tier in harden_blueprints::Tier::ALL {
            let minimal: Vec<(String, String)> = b
                .example_params(tier)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            for (what, params) in [
                ("minimal", minimal),
                ("every parameter", every_parameter(*b)),
            ] {
                for s in b.build(b.default_stack_name(), tier, &params).unwrap() {
                    let n = body(&harden_blueprints::cfn::to_node(&s.template).unwrap()).len();
                    assert!(
                        n <= TEMPLATE_BODY_LIMIT,
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

/// `harden blueprints` used to cite `DESIGN.md` and `seeds/002-...md`, paths a user does not
/// have: the guide is cited by its title, the baseline's source in words.
#[test]
fn blueprints_cite_their_guide_by_title_not_a_repository_path() {
    let r = harden(&["blueprints"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("\n  from: AWS Security Configuration Guide for SageMaker Infrastructure\n"),
        "{}",
        r.stdout
    );
    let froms: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("  from: "))
        .collect();
    assert_eq!(froms.len(), harden_blueprints::all().len(), "{froms:?}");
    for f in froms {
        assert!(
            !f.contains(".md") && !f.contains("seeds/") && !f.contains("DESIGN"),
            "{f}"
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(&harden(&["blueprints", "--format", "json"], None).stdout).unwrap();
    assert_eq!(
        v[0]["source"],
        "AWS Security Configuration Guide for SageMaker Infrastructure"
    );
}

/// The controls `harden blueprints` lists per tier are exactly those the rendered templates
/// carry in `Metadata.harden.Controls` (it used to be possible to list a control, like
/// `waf-web-acl`, for a tier whose renders never contain it).
#[test]
fn blueprints_list_the_controls_their_renders_contain() {
    let v: serde_json::Value =
        serde_json::from_str(&harden(&["blueprints", "--format", "json"], None).stdout).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for b in v.as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        for tier in ["basic", "enhanced", "enterprise"] {
            let dir = tmp.path().join(format!("{name}-{tier}"));
            let mut args = vec![
                "render".to_string(),
                "--blueprint".into(),
                name.into(),
                "--tier".into(),
                tier.into(),
                "--format".into(),
                "json".into(),
                "--out".into(),
                dir.to_str().unwrap().into(),
            ];
            // What a render at this tier requires (an enterprise image digest, ...).
            for (k, v) in harden_blueprints::find(name)
                .unwrap()
                .example_params(tier.parse().unwrap())
            {
                args.push("--param".into());
                args.push(format!("{k}={v}"));
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = harden(&args, None);
            assert_eq!(r.code, 0, "{}", r.stderr);
            let mut rendered: Vec<String> = Vec::new();
            // No directory: the blueprint has no stacks at this tier.
            for e in std::fs::read_dir(&dir).into_iter().flatten() {
                let path = e.unwrap().path();
                if path.to_string_lossy().ends_with(".stack-policy.json")
                    || path.ends_with(harden::render::MANIFEST)
                {
                    continue;
                }
                let t: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                for c in t["Metadata"]["harden"]["Controls"].as_array().unwrap() {
                    let id = c["Id"].as_str().unwrap().to_string();
                    if !rendered.contains(&id) {
                        rendered.push(id);
                    }
                }
            }
            let mut listed: Vec<String> = b["controls"][tier]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            listed.sort();
            rendered.sort();
            assert_eq!(listed, rendered, "{name} at {tier}");
            // The web ACL is on API entry points only (sagemaker-vpc and data-pipeline have
            // none), from enhanced.
            assert_eq!(
                listed.contains(&"waf-web-acl".to_string()),
                !["sagemaker-vpc", "data-pipeline", "account-baseline"].contains(&name)
                    && tier != "basic",
                "{name} at {tier}"
            );
        }
    }
    let text = harden(&["blueprints"], None).stdout;
    assert!(
        text.contains(
            "\n  controls (what the render on the defaults contains):\n    basic: kms-key, "
        ),
        "{text}"
    );
    // (The account baseline a blueprint deploys from enhanced brings API Gateway's logging
    // role along: the setting is the account's, whichever blueprint deploys it.)
    assert!(
        text.contains("\n    enhanced: + api-gateway-account-logging, s3-access-logging, "),
        "{text}"
    );
    // The web ACL is listed for the API blueprints only (on their entry points).
    let sagemaker = text.split("\nbatch-fargate:").next().unwrap();
    assert!(!sagemaker.contains("waf-web-acl,"), "{text}");
}

/// Deviations from the guide were written only in code comments: they are shown by
/// `harden blueprints` and written into each stack's `Metadata.harden.Deviations`.
#[test]
fn blueprints_show_where_they_depart_from_the_guide_and_why() {
    let r = harden(&["blueprints"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(
        "\n  deviations from the guide:\n    - guide: public subnets with a NAT gateway for outbound internet; "
    ), "{}", r.stdout);
    assert!(r.stdout.contains(
        "\n    - guide: a WAF web ACL (2000 requests per IP, AWS managed rules, SQL injection protection, IP reputation) from the enhanced configuration\n      harden: no web ACL\n      why: there is no public entry point to attach one to: "
    ), "{}", r.stdout);
    assert!(
        r.stdout.contains("\n      harden: left out\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("a 30-day deletion window at every tier"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(
        "\n    in its account-baseline stack (from enhanced):\n    - guide: the trail excludes KMS events\n      harden: kept\n      why: CIS 4.7 alarms on key deletion read them\n"
    ), "{}", r.stdout);

    let v: serde_json::Value =
        serde_json::from_str(&harden(&["blueprints", "--format", "json"], None).stdout).unwrap();
    let devs = v[0]["deviations"].as_array().unwrap();
    assert!(devs
        .iter()
        .any(|d| d["blueprint"] == "account-baseline" && d["from"] == "enhanced"));
    // The workload template carries exactly its blueprint's own deviations.
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--format",
            "json",
        ],
        None,
    );
    let t: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let in_template = t["Metadata"]["harden"]["Deviations"].as_array().unwrap();
    let own: Vec<&serde_json::Value> = devs
        .iter()
        .filter(|d| d["blueprint"] == "sagemaker-vpc")
        .collect();
    assert_eq!(in_template.len(), own.len());
    for (t, d) in in_template.iter().zip(own) {
        assert_eq!(t["Guide"], d["guide"]);
        assert_eq!(t["Harden"], d["harden"]);
        assert_eq!(t["Reason"], d["reason"]);
    }
}

/// The guide's reviews, incident response steps and contacts are each blueprint's operations
/// checklist, and every command it names is a complete harden command that parses.
#[test]
fn blueprints_carry_the_guides_operations_with_complete_commands() {
    use clap::Parser;
    let r = harden(&["blueprints"], None);
    assert!(r.stdout.contains(
        "\n  operations (TIER is the tier you deploy; add the `--name` and `--param` flags you deploy with):\n    monthly:\n"
    ), "{}", r.stdout);
    for heading in [
        "quarterly",
        "annually",
        "on a security event",
        "kept current",
    ] {
        assert!(
            r.stdout.contains(&format!("\n    {heading}:\n")),
            "{heading}"
        );
    }
    assert!(r.stdout.contains(
        "\n      - review security group rules: the plan shows every rule a deploy would add, change or remove against the deployed template and marks those that broaden access (changes made outside CloudFormation show in CloudFormation drift detection)\n        harden plan --blueprint sagemaker-vpc --tier TIER --detailed-exitcode\n"
    ), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "\n      - from enhanced: check the GuardDuty findings of the account and region\n"
        ),
        "{}",
        r.stdout
    );

    let v: serde_json::Value =
        serde_json::from_str(&harden(&["blueprints", "--format", "json"], None).stdout).unwrap();
    let mut commands = 0;
    for b in v.as_array().unwrap() {
        let ops = b["operations"].as_array().unwrap();
        assert!(!ops.is_empty(), "{}", b["name"]);
        for o in ops {
            let Some(per_tier) = o["command"].as_object() else {
                continue;
            };
            let from = o["from"].as_str().unwrap();
            let tiers: Vec<&str> = per_tier.keys().map(String::as_str).collect();
            let expected: &[&str] = match from {
                "basic" => &["basic", "enhanced", "enterprise"],
                "enhanced" => &["enhanced", "enterprise"],
                _ => &["enterprise"],
            };
            assert_eq!(tiers, expected, "{o}");
            for (tier, line) in per_tier {
                let line = line.as_str().unwrap();
                assert!(line.contains(&format!("--tier {tier}")), "{line}");
                let words: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(words[0], "harden");
                harden::cli::Cli::try_parse_from(&words)
                    .unwrap_or_else(|e| panic!("`{line}` does not parse: {e}"));
                commands += 1;
            }
        }
    }
    assert!(commands > 10, "{commands}");
    // The ones that need no AWS account run as they are.
    let r = harden(
        &["controls", "--tier", "enterprise", "--format", "json"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A control no shipped blueprint renders is marked as one for custom blueprints, in the text
/// and in the JSON alike; one that a blueprint renders names it.
#[test]
fn controls_mark_those_no_shipped_blueprint_renders() {
    let r = harden(&["controls"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    const NOTE: &str = "for custom blueprints: no shipped blueprint renders it";
    let mut marked: Vec<String> = r
        .stdout
        .lines()
        .filter(|l| l.ends_with(&format!("({NOTE})")))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let v: serde_json::Value =
        serde_json::from_str(&harden(&["controls", "--format", "json"], None).stdout).unwrap();
    let mut unrendered: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rendered_by"] == serde_json::json!([]))
        .map(|c| {
            assert_eq!(c["note"], NOTE, "{c}");
            c["id"].as_str().unwrap().to_string()
        })
        .collect();
    marked.sort();
    unrendered.sort();
    assert_eq!(marked, unrendered);
    let by = |id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    assert_eq!(
        by("waf-web-acl")["rendered_by"],
        serde_json::json!(["batch-fargate", "cognito-api", "ml-research"])
    );
    assert_eq!(by("waf-web-acl").get("note"), None);
    assert_eq!(
        by("kms-key")["rendered_by"],
        serde_json::json!([
            "sagemaker-vpc",
            "batch-fargate",
            "cognito-api",
            "data-pipeline",
            "ml-research",
            "account-baseline"
        ])
    );
    assert_eq!(by("kms-key").get("note"), None);
}

/// `harden controls | head -1`: a reader that stops early is a normal end, not an error.
#[test]
fn a_closed_pipe_on_stdout_is_a_normal_end() {
    // The reading end is closed before harden starts, so its first write fails with EPIPE
    // whatever the timing.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("harden"))
        .args(["controls"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// The account baseline has one stack per account and region, with a fixed name.
#[test]
fn the_account_baseline_takes_no_name() {
    let r = harden(
        &[
            "render",
            "--blueprint",
            "account-baseline",
            "--tier",
            "enhanced",
            "--name",
            "my-baseline",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: blueprint `account-baseline` has one stack per account and region, always named `harden-account-baseline`: it cannot be named `my-baseline`\nhint: leave `--name` out\n"
    );
}

/// The top-level help lists only commands that exist.
#[test]
fn help_names_only_commands_that_exist() {
    let r = harden(&["--help"], None);
    assert_eq!(r.code, 0);
    let commands: Vec<&str> = r
        .stdout
        .split("Commands:")
        .nth(1)
        .unwrap_or("")
        .lines()
        .take_while(|l| !l.starts_with("Options:"))
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        commands.contains(&"check") && commands.contains(&"report"),
        "{}",
        r.stdout
    );
    for c in commands.iter().filter(|c| **c != "help") {
        let h = harden(&[c, "--help"], None);
        assert_eq!(h.code, 0, "`harden {c} --help`: {}", h.stderr);
    }
}

/// `render --out DIR` twice: what the first render wrote and the second does not (the
/// baseline, stack policies) is removed and said to be; a file harden did not write stays.
#[test]
fn render_into_a_directory_removes_only_what_an_earlier_render_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dir = out.to_str().unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "enhanced",
            "--out",
            dir,
        ],
        Some(tmp.path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("harden-account-monitoring.yaml"), "not listed").unwrap();
    let r = harden(
        &[
            "render",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--out",
            dir,
        ],
        Some(tmp.path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("removed [TMP]/out/harden-account-baseline.yaml (an earlier render wrote it; this one does not)\n"),
        "{}",
        r.stderr
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ".harden-render.json",
            "harden-account-monitoring.yaml",
            "notes.txt",
            "sagemaker-vpc.yaml"
        ]
    );
}

/// The markers around the generated part of a blueprint's page.
fn page_markers(name: &str) -> (String, String) {
    (
        format!("<!-- BEGIN generated by `harden blueprints {name} --format markdown`: edit the blueprint, then bless -->\n"),
        format!("<!-- END generated by `harden blueprints {name} --format markdown` -->\n"),
    )
}

/// Every workload blueprint has its page, `examples/BLUEPRINT/README.md`: what it deploys and
/// a Mermaid diagram written by hand, then the reference (stacks, controls per tier with their
/// CIS and Security Hub ids, parameters, deviations, operations) exactly as
/// `harden blueprints NAME --format markdown` prints it, so the page cannot drift from the
/// code. `HARDEN_BLESS=1` rewrites the generated part.
#[test]
fn every_workload_blueprint_has_a_current_page() {
    let bless = std::env::var_os("HARDEN_BLESS").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for b in harden_blueprints::all() {
        if b.fixed_stack_name().is_some() {
            continue; // the account baseline: described in each workload page that deploys it
        }
        let path = root.join("examples").join(b.name()).join("README.md");
        let page = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}\nhint: every workload blueprint has a page",
                path.display()
            )
        });
        assert!(
            page.contains("```mermaid\n"),
            "{}: no Mermaid diagram",
            path.display()
        );
        let (begin, end) = page_markers(b.name());
        let (Some(a), Some(z)) = (page.find(&begin), page.find(&end)) else {
            panic!(
                "{}: no generated part between\n{begin}and\n{end}",
                path.display()
            );
        };
        let r = harden(&["blueprints", b.name(), "--format", "markdown"], None);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let current = &page[a + begin.len()..z];
        if current != r.stdout {
            if bless {
                let new = format!("{}{begin}{}{}", &page[..a], r.stdout, &page[z..]);
                std::fs::write(&path, new).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the generated part of these pages is stale: {stale:?}\nhint: `HARDEN_BLESS=1 cargo test --test cli every_workload_blueprint_has_a_current_page`"
    );
}

#[test]
fn blueprints_names_one_blueprint_and_refuses_an_unknown_one() {
    let r = harden(&["blueprints", "sagemaker-vpc"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("sagemaker-vpc: "), "{}", r.stdout);
    assert!(!r.stdout.contains("\naccount-baseline: "), "{}", r.stdout);
    let r = harden(&["blueprints", "sagemaker"], None);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: unknown blueprint `sagemaker`\nhint: the blueprints are "),
        "{}",
        r.stderr
    );
}

#[test]
fn iam_policy_prints_the_service_role_policy_for_one_account() {
    let r = harden(
        &[
            "iam-policy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--account",
            "123456789012",
            "--region",
            "eu-west-1",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["Version"], "2012-10-17");
    let statements = doc["Statement"].as_array().unwrap();
    let sids: Vec<&str> = statements
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert!(sids.contains(&"ManageStackRolesAndPolicies"), "{sids:?}");
    assert!(r
        .stdout
        .contains("arn:aws:iam::123456789012:role/sagemaker-vpc-*"));
    assert!(r.stdout.contains("arn:aws:ec2:eu-west-1:123456789012:*"));
    assert!(!r.stdout.contains("${"));
    for st in statements {
        for a in st["Action"].as_array().unwrap() {
            assert!(!a.as_str().unwrap().contains('*'), "{a}");
        }
    }
}

#[test]
fn iam_policy_without_an_account_prints_cloudformation_variables_and_says_so() {
    let r = harden(
        &[
            "iam-policy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .contains("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/sagemaker-vpc-*"));
    assert_eq!(
        r.stderr,
        "note: `${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}` are CloudFormation variables (the bootstrap template substitutes them)\nhint: pass `--account ID --region REGION` for the ARNs of one account\n"
    );
}

#[test]
fn iam_policy_text_lists_the_actions_per_resource_type() {
    let r = harden(
        &[
            "iam-policy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--format",
            "text",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("service role policy for sagemaker-vpc (tier basic): sagemaker-vpc\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\nAWS::S3::Bucket ("));
    assert!(r.stdout.contains("\n  s3:CreateBucket\n"));
    assert!(r.stdout.contains("\n  NoResourceLevelPermissions: "));
}

#[test]
fn iam_policy_refuses_a_malformed_account_and_a_region_alone() {
    let r = harden(
        &[
            "iam-policy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--account",
            "1234",
            "--region",
            "eu-west-1",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: `--account 1234` is not an AWS account id\nhint: pass the 12 digits, as `aws sts get-caller-identity` prints them\n"
    );
    let r = harden(
        &[
            "iam-policy",
            "--blueprint",
            "sagemaker-vpc",
            "--tier",
            "basic",
            "--region",
            "eu-west-1",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--account <ID>"), "{}", r.stderr);
}

/// `harden check --rules`: a team's Guard rules run beside harden's through the cfn-guard crate;
/// their findings come out in the JSON, and a rules file that does not parse is a usage error
/// (exit 2) that names the file.
#[test]
fn check_runs_a_teams_guard_rules_and_refuses_a_guard_file_that_does_not_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("t.yaml");
    std::fs::write(
        &t,
        "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties:\n      VersioningConfiguration:\n        Status: Suspended\n",
    )
    .unwrap();
    let guard = Path::new(env!("CARGO_MANIFEST_DIR")).join("check/tests/guard");
    let good = guard.join("s3.guard");
    let r = harden(
        &[
            "check",
            t.to_str().unwrap(),
            "--rules",
            good.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "high",
        ],
        Some(tmp.path()),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "s3_bucket_versioning_enabled")
        .expect("the Guard finding is reported");
    assert_eq!(
        (&f["source"], &f["severity"], &f["line"], &f["resource"]),
        (
            &serde_json::json!("guard"),
            &serde_json::json!("high"),
            &serde_json::json!(6),
            &serde_json::json!("Logs")
        )
    );

    let bad = guard.join("bad.guard");
    let r = harden(
        &[
            "check",
            t.to_str().unwrap(),
            "--rules",
            bad.to_str().unwrap(),
        ],
        Some(tmp.path()),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("bad.guard") && r.stderr.contains("do not parse"),
        "{}",
        r.stderr
    );
}
