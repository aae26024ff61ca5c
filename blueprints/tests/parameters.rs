//! What `sagemaker-vpc`'s image and model data parameters become in the template, and the
//! combinations it refuses: the image URI and the one repository the role may pull from, the
//! pinned-image requirement at enterprise, and model data keys as SageMaker reads them.

mod common;

use harden_blueprints::cfn::{Node, NodeMap};
use harden_blueprints::{BlueprintError, StackSpec, Tier};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The parameters with what every blueprint needs at the tier (an alert destination at
/// enterprise), which these tests are not about.
fn with_minimum<'a>(tier: Tier, params: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = params.to_vec();
    if tier == Tier::Enterprise && !v.iter().any(|(k, _)| *k == "alert_email") {
        v.extend_from_slice(common::ENTERPRISE_MINIMUM);
    }
    if tier == Tier::Enterprise && !v.iter().any(|(k, _)| *k == "replica_region") {
        v.push(("replica_region", "us-west-2"));
    }
    v
}

fn try_build(tier: Tier, params: &[(&str, &str)]) -> Result<Vec<StackSpec>, BlueprintError> {
    let b = harden_blueprints::find("sagemaker-vpc").unwrap();
    let raw: Vec<(String, String)> = with_minimum(tier, params)
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    b.build(b.default_stack_name(), tier, &raw)
}

fn workload(tier: Tier, params: &[(&str, &str)]) -> (Node, StackSpec) {
    let s = common::build("sagemaker-vpc", tier, &with_minimum(tier, params))
        .into_iter()
        .find(|s| s.name == "sagemaker-vpc")
        .unwrap();
    (common::tree(&s), s)
}

fn resource<'a>(t: &'a Node, id: &str) -> &'a Node {
    t.get_path(&["Resources", id])
        .unwrap_or_else(|| panic!("no resource {id}"))
}

fn container(t: &Node) -> &NodeMap {
    resource(t, "Model")
        .get_path(&["Properties", "PrimaryContainer"])
        .and_then(Node::as_map)
        .unwrap()
}

fn resource_controls(t: &Node, id: &str) -> Vec<String> {
    resource(t, id)
        .get_path(&["Metadata", "harden", "Controls"])
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect()
}

/// The `Resource` of the execution role's statement `sid`.
fn statement_resource(t: &Node, sid: &str) -> Node {
    let doc = resource(t, "ExecutionRolePolicy")
        .get_path(&["Properties", "PolicyDocument", "Statement"])
        .and_then(Node::as_seq)
        .unwrap();
    doc.iter()
        .find(|s| s.get_path(&["Sid"]).and_then(Node::as_str) == Some(sid))
        .and_then(|s| s.get_path(&["Resource"]))
        .cloned()
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

fn sub(s: &str) -> Node {
    Node::Map(
        [("Fn::Sub".to_string(), Node::Str(s.into()))]
            .into_iter()
            .collect(),
    )
}

fn message(r: Result<Vec<StackSpec>, BlueprintError>) -> String {
    r.expect_err("the build is refused").to_string()
}

#[test]
fn a_namespaced_repository_pinned_by_digest_renders_the_at_form() {
    let (t, s) = workload(
        Tier::Basic,
        &[("model_repository", "team/ollama"), ("image_tag", DIGEST)],
    );
    assert_eq!(
        container(&t).get("Image"),
        Some(&sub(&format!(
            "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/team/ollama@{DIGEST}"
        )))
    );
    assert_eq!(
        statement_resource(&t, "PullModelImage"),
        Node::Seq(vec![sub(
            "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/team/ollama"
        )])
    );
    assert!(resource_controls(&t, "Model").contains(&"pinned-model-image".to_string()));
    assert!(
        !s.notes.iter().any(|n| n.contains("model image")),
        "{:?}",
        s.notes
    );
}

#[test]
fn a_mutable_tag_renders_below_enterprise_with_a_note_recommending_a_digest() {
    for tier in [Tier::Basic, Tier::Enhanced] {
        let (t, s) = workload(tier, &[("image_tag", "v1.2.3")]);
        assert!(!resource_controls(&t, "Model").contains(&"pinned-model-image".to_string()));
        let note = s
            .notes
            .iter()
            .find(|n| n.contains("model image"))
            .expect("a note on the image");
        assert!(
            note.contains("`ollama:v1.2.3` is picked by the tag `v1.2.3`, which can be moved")
                && note.contains("hint: pin it by digest with `--param image_tag=sha256:DIGEST`"),
            "{note}"
        );
    }
}

#[test]
fn enterprise_refuses_the_default_mutable_tag_and_says_exactly_what_to_pass() {
    let msg = message(try_build(Tier::Enterprise, &[]));
    assert!(
        msg.starts_with("parameter `image_tag` is the tag `latest` (its default): at tier `enterprise` the model image must be pinned by its digest, because a tag can be moved"),
        "{msg}"
    );
    assert!(msg.contains("\nhint: pass `--param image_tag=sha256:DIGEST` (`aws ecr describe-images --repository-name ollama --image-ids imageTag=latest --query 'imageDetails[0].imageDigest' --output text` prints the digest), or `--param image_tag_immutable=true`"), "{msg}");
}

#[test]
fn enterprise_takes_a_digest_or_a_tag_stated_immutable() {
    let (t, _) = workload(Tier::Enterprise, &[("image_tag", DIGEST)]);
    assert!(resource_controls(&t, "Model").contains(&"pinned-model-image".to_string()));
    let (t, s) = workload(
        Tier::Enterprise,
        &[("image_tag", "v1.2.3"), ("image_tag_immutable", "true")],
    );
    assert!(resource_controls(&t, "Model").contains(&"pinned-model-image".to_string()));
    assert!(
        s.notes.iter().any(|n| n
            .contains("taken as pinned by its tag `v1.2.3` because `image_tag_immutable=true`")),
        "{:?}",
        s.notes
    );
    let msg = message(try_build(
        Tier::Enterprise,
        &[("image_tag", "v1.2.3"), ("image_tag_immutable", "false")],
    ));
    assert!(
        msg.starts_with("parameter `image_tag` is the tag `v1.2.3`: "),
        "{msg}"
    );
}

#[test]
fn an_image_uri_in_another_account_pulls_from_that_repository_only() {
    let uri = format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@{DIGEST}");
    let (t, s) = workload(Tier::Enterprise, &[("image_uri", &uri)]);
    assert_eq!(container(&t).get("Image"), Some(&Node::Str(uri.clone())));
    assert_eq!(
        statement_resource(&t, "PullModelImage"),
        Node::Seq(vec![sub(
            "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/team/model"
        )])
    );
    // A private ECR registry: SageMaker's default access mode, no `ImageConfig` needed.
    assert!(container(&t).get("ImageConfig").is_none());
    let note = s
        .notes
        .iter()
        .find(|n| n.contains("account 123456789012"))
        .expect("a note on the other account");
    assert!(
        note.contains("deploy this stack in eu-west-1")
            && note.contains("`arn:aws:iam::YOUR_ACCOUNT_ID:root`"),
        "{note}"
    );
}

#[test]
fn an_image_uri_with_a_mutable_tag_is_refused_at_enterprise_with_its_digest_form() {
    let msg = message(try_build(
        Tier::Enterprise,
        &[(
            "image_uri",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model:v1",
        )],
    ));
    assert!(
        msg.starts_with("parameter `image_uri` is `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model:v1`, which picks the image by the tag `v1`: "),
        "{msg}"
    );
    assert!(
        msg.contains("pass `--param image_uri=123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@sha256:DIGEST`")
            && msg.contains("--registry-id 123456789012 --region eu-west-1 --repository-name team/model"),
        "{msg}"
    );
}

#[test]
fn image_uri_conflicts_with_an_explicit_repository_or_tag() {
    let uri = format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@{DIGEST}");
    for other in [("model_repository", "ollama"), ("image_tag", "latest")] {
        let msg = message(try_build(Tier::Basic, &[("image_uri", &uri), other]));
        assert_eq!(
            msg,
            format!("parameters `image_uri` and `{}` conflict: `image_uri` is the model server image by its full ECR URI, for an image of another account (whose repository policy must let this account pull), in place of `model_repository` and `image_tag`\nhint: give either `image_uri` or `{}`", other.0, other.0)
        );
    }
}

#[test]
fn an_image_too_long_for_sagemaker_is_refused_before_deploy() {
    // 256 characters is a valid repository name, but no room is left for the registry.
    let long = format!("{}/{}", "a".repeat(127), "b".repeat(128));
    let msg = message(try_build(
        Tier::Basic,
        &[("model_repository", &long), ("image_tag", DIGEST)],
    ));
    assert!(
        msg.contains("is too long") && msg.contains("SageMaker takes at most 255"),
        "{msg}"
    );
}

#[test]
fn a_model_data_key_goes_into_the_url_as_written() {
    // SageMaker reads an `s3://` URL's key as written (not URL-encoded), and `${` must not be
    // read as a substitution: the URL is joined, not substituted.
    let key = "models/llama 3.1 (8B)/模型 ${AWS::Region} #1.tar.gz";
    let (t, _) = workload(Tier::Basic, &[("model_data_key", key)]);
    let url = container(&t).get("ModelDataUrl").unwrap();
    let expected = Node::Map(
        [(
            "Fn::Join".to_string(),
            Node::Seq(vec![
                Node::Str(String::new()),
                Node::Seq(vec![
                    Node::Str("s3://".into()),
                    Node::Map(
                        [("Ref".to_string(), Node::Str("ModelBucket".into()))]
                            .into_iter()
                            .collect(),
                    ),
                    Node::Str(format!("/{key}")),
                ]),
            ]),
        )]
        .into_iter()
        .collect(),
    );
    assert_eq!(url, &expected);
}

#[test]
fn a_model_data_key_too_long_for_the_url_is_refused() {
    // `s3://` + a bucket name of up to 63 + `/` + the key must fit SageMaker's 1024.
    assert!(try_build(Tier::Basic, &[("model_data_key", &"k".repeat(955))]).is_ok());
    let msg = message(try_build(
        Tier::Basic,
        &[("model_data_key", &"k".repeat(956))],
    ));
    assert!(msg.contains("it is 956 bytes long"), "{msg}");
}

#[test]
fn an_existing_vpc_needs_its_subnets_and_subnets_need_the_vpc() {
    let msg = message(try_build(
        Tier::Basic,
        &[("vpc_id", "vpc-0abc12345def67890")],
    ));
    assert_eq!(
        msg,
        "parameter `vpc_id` needs `subnet_ids` too\nhint: add `--param subnet_ids=...`, or leave `vpc_id` out"
    );
    let msg = message(try_build(
        Tier::Basic,
        &[(
            "subnet_ids",
            "subnet-0abc12345def67890,subnet-0123456789abcdef0",
        )],
    ));
    assert!(
        msg.starts_with("parameter `subnet_ids` needs `vpc_id` too"),
        "{msg}"
    );
    let msg = message(try_build(
        Tier::Basic,
        &[
            ("vpc_id", "vpc-0abc12345def67890"),
            (
                "subnet_ids",
                "subnet-0abc12345def67890,subnet-0abc12345def67890",
            ),
        ],
    ));
    assert!(
        msg.contains("`subnet-0abc12345def67890` is given twice"),
        "{msg}"
    );
    let msg = message(try_build(
        Tier::Basic,
        &[
            ("vpc_id", "vpc-0abc12345def67890"),
            ("vpc_cidr", "10.1.0.0/16"),
        ],
    ));
    assert!(
        msg.starts_with("parameters `vpc_id` and `vpc_cidr` conflict"),
        "{msg}"
    );
}

#[test]
fn an_existing_vpc_is_used_as_given_and_creates_no_network() {
    let stacks = harden_blueprints::find("sagemaker-vpc")
        .unwrap()
        .build(
            "sagemaker-vpc",
            Tier::Basic,
            &[
                ("vpc_id".into(), "vpc-0abc12345def67890".into()),
                (
                    "subnet_ids".into(),
                    "subnet-0abc12345def67890,subnet-0123456789abcdef0".into(),
                ),
            ],
        )
        .unwrap();
    let s = &stacks[0];
    let types: Vec<&str> = s
        .template
        .resources
        .values()
        .map(|r| r.type_name())
        .collect();
    for absent in ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable"] {
        assert!(
            !types.contains(&absent),
            "{absent} in a stack that brings its VPC"
        );
    }
    // No route tables given: no S3 gateway endpoint, and the notes say so.
    assert!(!s.template.resources.contains_key("S3GatewayEndpoint"));
    assert!(
        s.notes.iter().any(|n| n.contains("no `route_table_ids`")),
        "{:?}",
        s.notes
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("cannot see from the template")),
        "{:?}",
        s.notes
    );
}

#[test]
fn an_existing_vpc_at_enhanced_asks_to_waive_closing_its_default_security_group() {
    // The VPC is its owner's: harden does not strip its default group's rules, which other
    // workloads may use, so the tier guard asks for the waiver of that control.
    let msg = message(try_build(
        Tier::Enhanced,
        &[
            ("vpc_id", "vpc-0abc12345def67890"),
            (
                "subnet_ids",
                "subnet-0abc12345def67890,subnet-0123456789abcdef0",
            ),
        ],
    ));
    assert!(
        msg.contains("switches off control `default-sg-closed`"),
        "{msg}"
    );
}
