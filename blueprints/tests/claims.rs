//! The Security Hub ids a control claims hold on what harden renders: for every blueprint at
//! every tier (its example render), each resource that records a control meets the
//! documented evaluation of the ids the control claims (the failure conditions of AWS's
//! Security Hub control reference, `docs.aws.amazon.com/securityhub/latest/userguide/
//! <service>-controls.html`, with its default parameters). A claim cannot drift from the
//! template: changing a control's resources so that one of its ids would fail makes this suite
//! fail, and a claimed id with no test in [`COVERED`] fails
//! `every_claimed_security_hub_id_has_a_test`.
//!
//! The tests by service are in `claims/`; the S3, KMS, SNS, GuardDuty plan, ECR endpoint and
//! account setting tests that came first are here.

mod common;

#[path = "claims/api.rs"]
mod api;
#[path = "claims/compute.rs"]
mod compute;
#[path = "claims/data.rs"]
mod data;
#[path = "claims/identity.rs"]
mod identity;
#[path = "claims/logging.rs"]
mod logging;
#[path = "claims/network.rs"]
mod network;

use std::sync::LazyLock;

use harden_blueprints::cfn::Node;
use harden_blueprints::controls::{alarms, guardduty, iam_role, s3_bucket, vpc_endpoints};
use harden_blueprints::{Control, Tier};

/// One rendered stack: case (`blueprint/tier`), stack name, template tree, whether the
/// stack is created with termination protection, and the notes the render gives the user.
type Render = (String, String, Node, bool, Vec<String>);

/// Every blueprint's example render at every tier, and the account baseline at enterprise
/// with every parameter of its account settings (the security contact and a home region,
/// which the examples leave out), rendered once for the whole suite.
static RENDERS: LazyLock<Vec<Render>> = LazyLock::new(|| {
    let mut out = Vec::new();
    let mut push = |case: String, specs: Vec<harden_blueprints::StackSpec>| {
        for s in specs {
            out.push((
                case.clone(),
                s.name.clone(),
                common::tree(&s),
                s.termination_protection,
                s.notes.clone(),
            ));
        }
    };
    for b in harden_blueprints::all() {
        for tier in Tier::ALL {
            push(
                format!("{}/{tier}", b.name()),
                b.build_example(tier).unwrap(),
            );
        }
    }
    push(
        "account-baseline/enterprise-with-contact".to_string(),
        common::build(
            "account-baseline",
            Tier::Enterprise,
            &[
                ("alert_email", "security@example.com"),
                ("home_region", "eu-west-1"),
                ("security_contact_name", "Security Operations"),
                ("security_contact_email", "security@example.com"),
                ("security_contact_phone", "+1 206 555 0100"),
                ("security_contact_title", "Security Operations"),
            ],
        ),
    );
    out
});

/// Every render: (case, stack name, template tree).
fn renders() -> Vec<(String, String, Node)> {
    RENDERS
        .iter()
        .map(|(c, s, n, _, _)| (c.clone(), s.clone(), n.clone()))
        .collect()
}

/// The notes the render of a stack gives the user (`case stack`, as the tests name it).
fn notes_of(what: &str) -> Vec<&'static str> {
    RENDERS
        .iter()
        .filter(|(c, s, ..)| what.starts_with(&format!("{c} {s}")))
        .flat_map(|r| r.4.iter().map(String::as_str))
        .collect()
}

/// The resources of a template: (logical id, resource).
fn resources(n: &Node) -> Vec<(&str, &Node)> {
    n.get_path(&["Resources"])
        .and_then(Node::as_map)
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn type_of(r: &Node) -> &str {
    r.get_path(&["Type"]).and_then(Node::as_str).unwrap_or("")
}

fn records(r: &Node, c: &Control) -> bool {
    r.get_path(&["Metadata", "harden", "Controls"])
        .and_then(Node::as_seq)
        .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(c.id)))
}

/// A node that is a list, or a single value as a list of one.
fn list(n: Option<&Node>) -> Vec<&Node> {
    match n {
        Some(Node::Seq(s)) => s.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

fn statements(doc: Option<&Node>) -> Vec<&Node> {
    list(doc.and_then(|d| d.get_path(&["Statement"])))
}

fn allows(st: &Node) -> bool {
    st.get_path(&["Effect"]).and_then(Node::as_str) == Some("Allow")
}

/// The resources of a template that record `c`, with the case and stack for messages;
/// asserts the control is claimed somewhere, so a test never passes on nothing.
fn claimed<'a>(
    all: &'a [(String, String, Node)],
    c: &Control,
) -> Vec<(String, &'a Node, &'a Node)> {
    let out: Vec<(String, &Node, &Node)> = all
        .iter()
        .flat_map(|(case, stack, n)| {
            resources(n)
                .into_iter()
                .filter(|(_, r)| records(r, c))
                .map(move |(id, r)| (format!("{case} {stack} {id}"), r, n))
        })
        .collect();
    assert!(!out.is_empty(), "no render records `{}`", c.id);
    out
}

/// Every value a property (below `Properties`) can take: both branches of each `Fn::If` on
/// the way (harden's checker reads templates the same way), `None` where it is absent.
fn vals<'a>(r: &'a Node, path: &[&str]) -> Vec<Option<&'a Node>> {
    let full: Vec<&str> = std::iter::once("Properties")
        .chain(path.iter().copied())
        .collect();
    harden_blueprints::rules::get(r, &full)
        .into_iter()
        .map(|a| a.node)
        .collect()
}

/// Whether every value the property can take passes `ok`.
fn every(r: &Node, path: &[&str], ok: impl Fn(Option<&Node>) -> bool) -> bool {
    vals(r, path).into_iter().all(ok)
}

/// Whether the property is `true` in every alternative.
fn is_true(r: &Node, path: &[&str]) -> bool {
    every(r, path, |v| v == Some(&Node::Bool(true)))
}

/// Whether the property is the string `want` in every alternative.
fn is_str(r: &Node, path: &[&str], want: &str) -> bool {
    every(r, path, |v| v.and_then(Node::as_str) == Some(want))
}

/// An integer, written as a number or a string of digits.
fn int(n: Option<&Node>) -> Option<i64> {
    match n {
        Some(Node::Int(i)) => Some(*i),
        Some(Node::Str(s)) => s.parse().ok(),
        _ => None,
    }
}

/// The resources of a template of one type.
fn of_type<'a>(n: &'a Node, ty: &str) -> Vec<(&'a str, &'a Node)> {
    resources(n)
        .into_iter()
        .filter(|(_, r)| type_of(r) == ty)
        .collect()
}

/// The resource a `Ref` or `Fn::GetAtt` names, by logical id.
fn target(n: &Node) -> Option<&str> {
    n.get_path(&["Ref"]).and_then(Node::as_str).or_else(|| {
        n.get_path(&["Fn::GetAtt"])
            .and_then(Node::as_seq)
            .and_then(|s| s.first())
            .and_then(Node::as_str)
    })
}

/// The renders with a resource that records `c`; asserts there is one.
fn stacks_recording<'a>(all: &'a [(String, String, Node)], c: &Control) -> Vec<(String, &'a Node)> {
    let out: Vec<(String, &Node)> = all
        .iter()
        .filter(|(_, _, n)| resources(n).iter().any(|(_, r)| records(r, c)))
        .map(|(case, stack, n)| (format!("{case} {stack}"), n))
        .collect();
    assert!(!out.is_empty(), "no render records `{}`", c.id);
    out
}

/// The resources recording `c` of one type, asserting there is one.
fn claimed_of<'a>(
    all: &'a [(String, String, Node)],
    c: &Control,
    ty: &str,
) -> Vec<(String, &'a Node, &'a Node)> {
    let out: Vec<_> = claimed(all, c)
        .into_iter()
        .filter(|(_, r, _)| type_of(r) == ty)
        .collect();
    assert!(!out.is_empty(), "no `{ty}` records `{}`", c.id);
    out
}

/// The inline code of a function, or of the function behind a custom resource's
/// `ServiceToken`.
fn code_behind<'a>(n: &'a Node, custom: &Node) -> &'a str {
    let f = custom
        .get_path(&["Properties", "ServiceToken"])
        .and_then(target)
        .and_then(|id| n.get_path(&["Resources", id]))
        .expect("the custom resource's function");
    f.get_path(&["Properties", "Code", "ZipFile"])
        .and_then(Node::as_str)
        .expect("inline code")
}

/// S3.17 (SSE-KMS at rest) only where the bucket is SSE-KMS: the access-log bucket, SSE-S3,
/// records `secure-bucket` and not `s3-kms-encryption`.
#[test]
fn s3_17_is_claimed_only_on_buckets_encrypted_with_kms() {
    let all = renders();
    let mut sse_s3 = 0;
    for (case, stack, n) in &all {
        for (id, r) in resources(n) {
            if type_of(r) != "AWS::S3::Bucket" || !records(r, &s3_bucket::SECURE_BUCKET) {
                continue;
            }
            let sse = r
                .get_path(&[
                    "Properties",
                    "BucketEncryption",
                    "ServerSideEncryptionConfiguration",
                ])
                .and_then(Node::as_seq)
                .and_then(|s| s.first())
                .and_then(|s| s.get_path(&["ServerSideEncryptionByDefault"]))
                .expect("every secure bucket has default encryption");
            let kms = sse.get_path(&["SSEAlgorithm"]).and_then(Node::as_str) == Some("aws:kms")
                && sse.get_path(&["KMSMasterKeyID"]).is_some();
            assert_eq!(
                records(r, &s3_bucket::BUCKET_KMS),
                kms,
                "{case} {stack} {id}: S3.17 claimed on a bucket that is {}SSE-KMS",
                if kms { "" } else { "not " }
            );
            sse_s3 += usize::from(!kms);
        }
    }
    assert!(sse_s3 > 0, "no access-log bucket was checked");
}

/// S3.2, S3.3 and S3.8 (all four Block Public Access flags), S3.12 (ACLs disabled), S3.13
/// (a lifecycle configuration), S3.14 (versioning), S3.5 (a deny of `s3:*` without TLS on
/// the bucket and its objects) and S3.6 (no grant to another account's principals).
#[test]
fn secure_buckets_meet_the_s3_controls_they_claim() {
    let all = renders();
    for (what, bucket, n) in claimed(&all, &s3_bucket::SECURE_BUCKET) {
        if type_of(bucket) != "AWS::S3::Bucket" {
            continue;
        }
        let p = bucket.get_path(&["Properties"]).expect("properties");
        for flag in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert_eq!(
                p.get_path(&["PublicAccessBlockConfiguration", flag]),
                Some(&Node::Bool(true)),
                "{what}: {flag}"
            );
        }
        let ownership = list(p.get_path(&["OwnershipControls", "Rules"]));
        assert!(
            ownership
                .iter()
                .any(|r| r.get_path(&["ObjectOwnership"]).and_then(Node::as_str)
                    == Some("BucketOwnerEnforced")),
            "{what}: ACLs are not disabled"
        );
        assert_eq!(
            p.get_path(&["VersioningConfiguration", "Status"])
                .and_then(Node::as_str),
            Some("Enabled"),
            "{what}: versioning"
        );
        assert!(
            list(p.get_path(&["LifecycleConfiguration", "Rules"]))
                .iter()
                .any(|r| r.get_path(&["Status"]).and_then(Node::as_str) == Some("Enabled")),
            "{what}: no enabled lifecycle rule"
        );
        // The bucket's policy: the one whose `Bucket` is a `Ref` to it.
        let id = resources(n)
            .into_iter()
            .find(|(_, r)| std::ptr::eq(*r, bucket))
            .map(|(id, _)| id)
            .expect("the bucket's id");
        let policy = resources(n)
            .into_iter()
            .find(|(_, r)| {
                type_of(r) == "AWS::S3::BucketPolicy"
                    && r.get_path(&["Properties", "Bucket", "Ref"])
                        .and_then(Node::as_str)
                        == Some(id)
            })
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("{what}: no bucket policy"));
        let doc = policy.get_path(&["Properties", "PolicyDocument"]);
        assert!(
            statements(doc).iter().any(|s| {
                s.get_path(&["Effect"]).and_then(Node::as_str) == Some("Deny")
                    && list(s.get_path(&["Action"]))
                        .iter()
                        .any(|a| a.as_str() == Some("s3:*"))
                    && list(s.get_path(&["Resource"])).len() == 2
                    && s.get_path(&["Condition", "Bool", "aws:SecureTransport"])
                        == Some(&Node::Bool(false))
            }),
            "{what}: no TLS-only deny (S3.5)"
        );
        for s in statements(doc).into_iter().filter(|s| allows(s)) {
            assert!(
                s.get_path(&["Principal", "AWS"]).is_none()
                    && s.get_path(&["Principal"]).and_then(Node::as_str) != Some("*"),
                "{what}: an Allow to an account principal (S3.6): {s:?}"
            );
        }
    }
}

/// KMS.1 and KMS.2: no customer-managed policy of a least-privilege role allows a decrypt
/// action on every key, and no role has an inline policy (nor is there a standalone
/// `AWS::IAM::Policy`, which is inline in IAM's terms).
#[test]
fn no_policy_allows_decrypting_with_every_key_and_none_is_inline() {
    let all = renders();
    claimed(&all, &iam_role::LEAST_PRIVILEGE_ROLE);
    for (case, stack, n) in &all {
        for (id, r) in resources(n) {
            let what = format!("{case} {stack} {id}");
            match type_of(r) {
                "AWS::IAM::Policy" => panic!("{what}: an inline policy (KMS.2)"),
                "AWS::IAM::Role" => assert!(
                    r.get_path(&["Properties", "Policies"]).is_none(),
                    "{what}: an inline policy (KMS.2)"
                ),
                "AWS::IAM::ManagedPolicy" => {
                    for s in statements(r.get_path(&["Properties", "PolicyDocument"])) {
                        let decrypts = list(s.get_path(&["Action"])).iter().any(|a| {
                            matches!(
                                a.as_str(),
                                Some("kms:Decrypt" | "kms:ReEncryptFrom" | "kms:*" | "*")
                            )
                        });
                        let every_key = list(s.get_path(&["Resource"]))
                            .iter()
                            .any(|x| x.as_str() == Some("*"));
                        assert!(
                            !(allows(s) && decrypts && every_key),
                            "{what}: decrypt on every key (KMS.1): {s:?}"
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// SNS.4: the alert topics' policies allow only AWS service principals, never `*` or an
/// account.
#[test]
fn alert_topic_policies_allow_no_public_principal() {
    let all = renders();
    let mut checked = 0;
    for (what, r, _) in claimed(&all, &alarms::ALERT_TOPIC) {
        if type_of(r) != "AWS::SNS::TopicPolicy" {
            continue;
        }
        for s in statements(r.get_path(&["Properties", "PolicyDocument"])) {
            if !allows(s) {
                continue;
            }
            let principal = s.get_path(&["Principal"]).expect("a principal");
            assert!(
                principal.get_path(&["Service"]).is_some()
                    && principal.as_map().is_some_and(|m| m.len() == 1),
                "{what}: allows a non-service principal: {principal:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no topic policy statement was checked");
}

/// GuardDuty.5 to .13: each protection plan the control claims is a feature the detector
/// switches on (runtime monitoring with GuardDuty managing the EKS, ECS Fargate and EC2
/// agents).
#[test]
fn the_detector_enables_every_protection_plan_claimed() {
    let all = renders();
    for (what, r, _) in claimed(&all, &guardduty::GUARDDUTY) {
        let features = list(r.get_path(&["Properties", "Features"]));
        let enabled = |name: &str| {
            features.iter().find(|f| {
                f.get_path(&["Name"]).and_then(Node::as_str) == Some(name)
                    && f.get_path(&["Status"]).and_then(Node::as_str) == Some("ENABLED")
            })
        };
        for (id, feature) in [
            ("GuardDuty.5", "EKS_AUDIT_LOGS"),
            ("GuardDuty.6", "LAMBDA_NETWORK_LOGS"),
            ("GuardDuty.8", "EBS_MALWARE_PROTECTION"),
            ("GuardDuty.9", "RDS_LOGIN_EVENTS"),
            ("GuardDuty.10", "S3_DATA_EVENTS"),
            ("GuardDuty.11", "RUNTIME_MONITORING"),
        ] {
            assert!(
                guardduty::GUARDDUTY.security_hub.contains(&id),
                "{id} not claimed"
            );
            assert!(enabled(feature).is_some(), "{what}: {feature} ({id})");
        }
        let runtime = enabled("RUNTIME_MONITORING").expect("runtime monitoring");
        for (id, agent) in [
            ("GuardDuty.7", "EKS_ADDON_MANAGEMENT"),
            ("GuardDuty.12", "ECS_FARGATE_AGENT_MANAGEMENT"),
            ("GuardDuty.13", "EC2_AGENT_MANAGEMENT"),
        ] {
            assert!(
                guardduty::GUARDDUTY.security_hub.contains(&id),
                "{id} not claimed"
            );
            assert!(
                list(runtime.get_path(&["AdditionalConfiguration"]))
                    .iter()
                    .any(
                        |a| a.get_path(&["Name"]).and_then(Node::as_str) == Some(agent)
                            && a.get_path(&["Status"]).and_then(Node::as_str) == Some("ENABLED")
                    ),
                "{what}: {agent} ({id})"
            );
        }
    }
}

/// EC2.55 and EC2.56: a stack that records `ecr-vpc-endpoints` has interface endpoints for
/// both the ECR API and its Docker registry, in the same VPC.
#[test]
fn ecr_endpoint_claims_have_both_interface_endpoints() {
    let all = renders();
    let mut stacks: Vec<&Node> = Vec::new();
    for (_, _, n) in claimed(&all, &vpc_endpoints::ECR_VPC_ENDPOINTS) {
        if !stacks.iter().any(|s| std::ptr::eq(*s, n)) {
            stacks.push(n);
        }
    }
    for n in stacks {
        let services: Vec<(String, Option<&Node>)> = resources(n)
            .into_iter()
            .filter(|(_, r)| {
                type_of(r) == "AWS::EC2::VPCEndpoint"
                    && r.get_path(&["Properties", "VpcEndpointType"])
                        .and_then(Node::as_str)
                        == Some("Interface")
            })
            .filter_map(|(_, r)| {
                let name = r
                    .get_path(&["Properties", "ServiceName", "Fn::Sub"])
                    .and_then(Node::as_str)?;
                Some((name.to_string(), r.get_path(&["Properties", "VpcId"])))
            })
            .collect();
        for svc in ["ecr.api", "ecr.dkr"] {
            let want = format!("com.amazonaws.${{AWS::Region}}.{svc}");
            assert!(
                services.iter().any(|(s, _)| *s == want),
                "no {svc} endpoint beside the claim"
            );
        }
        let vpcs: Vec<_> = services.iter().map(|(_, v)| v).collect();
        assert!(
            vpcs.windows(2).all(|w| w[0] == w[1]),
            "endpoints in two VPCs"
        );
    }
}

/// Every Security Hub id a control or a rule claims is in the record of which standards
/// evaluate it (`data/security-hub-standards.tsv`), so the report can say whether the
/// account's standards see it.
#[test]
fn every_claimed_security_hub_id_has_a_standards_record() {
    use harden_blueprints::standards;
    let mut missing = Vec::new();
    let claimed = harden_blueprints::controls::ALL
        .iter()
        .flat_map(|c| c.security_hub.iter().map(move |id| (c.id, *id)))
        .chain(
            harden_blueprints::rules::all()
                .flat_map(|r| r.security_hub.iter().map(move |id| (r.id, *id))),
        );
    for (by, id) in claimed {
        if standards::find(id).is_none() {
            missing.push(format!("{id} (claimed by {by})"));
        }
    }
    assert!(
        missing.is_empty(),
        "add these to blueprints/data/security-hub-standards.tsv, from AWS's standards pages: {missing:#?}"
    );
}

/// IAM.18 (a support role): AWS's check passes when `AWSSupportAccess` is attached to an IAM
/// entity. S3.1, EC2.7 and Account.1 are account settings made by functions whose handlers
/// `account_settings_handlers.rs` runs; here, that each custom resource the control records
/// is backed by its function and passes what the setting needs.
#[test]
fn account_settings_meet_the_controls_they_claim() {
    use harden_blueprints::controls::account_settings::{
        EBS_DEFAULT_ENCRYPTION, S3_ACCOUNT_PUBLIC_ACCESS_BLOCK, SUPPORT_ROLE,
    };
    let mut seen = 0;
    for (case, stack, t) in renders() {
        for (id, r) in resources(&t) {
            if records(r, &SUPPORT_ROLE) && type_of(r) == "AWS::IAM::Role" {
                seen += 1;
                let policies = list(r.get_path(&["Properties", "ManagedPolicyArns"]));
                assert!(
                    policies.iter().any(|p| p
                        .get_path(&["Fn::Sub"])
                        .and_then(Node::as_str)
                        .is_some_and(|s| s.ends_with(":iam::aws:policy/AWSSupportAccess"))),
                    "{case} {stack} {id}: {policies:?}"
                );
                let trust = statements(r.get_path(&["Properties", "AssumeRolePolicyDocument"]));
                for st in trust {
                    let p = list(st.get_path(&["Principal", "AWS"]));
                    assert!(
                        !p.is_empty()
                            && p.iter().all(|p| p
                                .get_path(&["Fn::Sub"])
                                .and_then(Node::as_str)
                                .is_some_and(
                                    |s| s.ends_with(":root") && s.contains("${AWS::AccountId}")
                                )),
                        "{case} {stack} {id}: only this account may assume it: {st:?}"
                    );
                    assert!(
                        st.get_path(&["Condition", "Bool", "aws:MultiFactorAuthPresent"])
                            .is_some(),
                        "{case} {stack} {id}: with MFA"
                    );
                }
            }
            for (c, kind) in [
                (
                    &S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
                    "Custom::S3AccountPublicAccessBlock",
                ),
                (&EBS_DEFAULT_ENCRYPTION, "Custom::EbsEncryptionByDefault"),
            ] {
                if type_of(r) == kind {
                    assert!(records(r, c), "{case} {stack} {id}");
                    let token = r.get_path(&["Properties", "ServiceToken"]);
                    assert!(
                        token.is_some(),
                        "{case} {stack} {id}: backed by its function"
                    );
                }
            }
        }
    }
    assert!(seen > 0, "some enterprise render has the support role");
}

/// Every Security Hub id a control claims, and the test of it (a function of this file or of
/// `claims/`).
const COVERED: &[(&str, &str)] = &[
    ("Account.1", "the_security_contact_is_given"),
    ("APIGateway.1", "api_stages_log_execution_at_error_or_info"),
    ("APIGateway.3", "api_stages_trace_with_x_ray"),
    ("APIGateway.4", "api_stages_are_behind_a_web_acl"),
    ("APIGateway.5", "api_stage_caches_are_encrypted"),
    ("Backup.1", "backup_vaults_encrypt_their_recovery_points"),
    (
        "CloudFormation.3",
        "stacks_recording_termination_protection_have_it",
    ),
    (
        "CloudTrail.1",
        "the_trail_meets_the_cloudtrail_controls_it_claims",
    ),
    (
        "CloudTrail.2",
        "the_trail_meets_the_cloudtrail_controls_it_claims",
    ),
    (
        "CloudTrail.3",
        "the_trail_meets_the_cloudtrail_controls_it_claims",
    ),
    (
        "CloudTrail.4",
        "the_trail_meets_the_cloudtrail_controls_it_claims",
    ),
    (
        "CloudTrail.5",
        "the_trail_meets_the_cloudtrail_controls_it_claims",
    ),
    (
        "CloudTrail.6",
        "the_trail_bucket_is_private_and_logs_access",
    ),
    (
        "CloudTrail.7",
        "the_trail_bucket_is_private_and_logs_access",
    ),
    ("CloudWatch.1", "the_root_user_filter_has_an_alarm"),
    (
        "CloudWatch.4",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.5",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.6",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.7",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.8",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.9",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.10",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.11",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.12",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.13",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    (
        "CloudWatch.14",
        "every_cis_filter_claimed_has_its_events_and_an_alarm",
    ),
    ("CloudWatch.15", "alarms_have_actions"),
    ("CloudWatch.16", "log_groups_keep_logs_a_year"),
    ("Cognito.1", "user_pools_enforce_threat_protection"),
    (
        "Cognito.3",
        "user_pools_have_a_strong_password_policy_and_deletion_protection",
    ),
    ("Cognito.4", "user_pools_enforce_threat_protection"),
    ("Cognito.5", "user_pools_recording_mfa_have_it_on"),
    (
        "Cognito.6",
        "user_pools_have_a_strong_password_policy_and_deletion_protection",
    ),
    (
        "Config.1",
        "config_records_everything_with_its_service_linked_role",
    ),
    (
        "DynamoDB.2",
        "tables_have_point_in_time_recovery_and_deletion_protection",
    ),
    ("DynamoDB.4", "tables_are_in_a_backup_plan"),
    (
        "DynamoDB.6",
        "tables_have_point_in_time_recovery_and_deletion_protection",
    ),
    ("EC2.2", "every_default_security_group_is_emptied"),
    ("EC2.6", "every_vpc_has_a_flow_log_of_rejected_traffic"),
    ("EC2.7", "ebs_encryption_by_default_is_turned_on"),
    ("EC2.15", "subnets_assign_no_public_address"),
    ("EC2.21", "no_network_acl_admits_admin_ports_from_anywhere"),
    (
        "EC2.53",
        "no_security_group_admits_admin_ports_from_anywhere",
    ),
    (
        "EC2.54",
        "no_security_group_admits_admin_ports_from_anywhere",
    ),
    (
        "EC2.55",
        "ecr_endpoint_claims_have_both_interface_endpoints",
    ),
    (
        "EC2.56",
        "ecr_endpoint_claims_have_both_interface_endpoints",
    ),
    (
        "ECR.1",
        "repositories_scan_keep_tags_immutable_and_expire_images",
    ),
    (
        "ECR.2",
        "repositories_scan_keep_tags_immutable_and_expire_images",
    ),
    (
        "ECR.3",
        "repositories_scan_keep_tags_immutable_and_expire_images",
    ),
    (
        "ECS.2",
        "services_are_private_current_and_clusters_have_container_insights",
    ),
    (
        "ECS.4",
        "task_definitions_run_unprivileged_read_only_logged_and_without_keys",
    ),
    (
        "ECS.5",
        "task_definitions_run_unprivileged_read_only_logged_and_without_keys",
    ),
    (
        "ECS.8",
        "task_definitions_run_unprivileged_read_only_logged_and_without_keys",
    ),
    (
        "ECS.9",
        "task_definitions_run_unprivileged_read_only_logged_and_without_keys",
    ),
    (
        "ECS.10",
        "services_are_private_current_and_clusters_have_container_insights",
    ),
    (
        "ECS.12",
        "services_are_private_current_and_clusters_have_container_insights",
    ),
    ("GuardDuty.1", "the_detector_is_enabled"),
    (
        "GuardDuty.5",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.6",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.7",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.8",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.9",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.10",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.11",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.12",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    (
        "GuardDuty.13",
        "the_detector_enables_every_protection_plan_claimed",
    ),
    ("IAM.1", "no_managed_policy_allows_a_wildcard_action"),
    (
        "IAM.7",
        "the_password_policy_is_strong_long_and_never_reused",
    ),
    (
        "IAM.15",
        "the_password_policy_is_strong_long_and_never_reused",
    ),
    (
        "IAM.16",
        "the_password_policy_is_strong_long_and_never_reused",
    ),
    ("IAM.18", "account_settings_meet_the_controls_they_claim"),
    ("IAM.21", "no_managed_policy_allows_a_wildcard_action"),
    ("IAM.28", "an_external_access_analyzer_is_enabled"),
    (
        "KMS.1",
        "no_policy_allows_decrypting_with_every_key_and_none_is_inline",
    ),
    (
        "KMS.2",
        "no_policy_allows_decrypting_with_every_key_and_none_is_inline",
    ),
    ("KMS.3", "keys_are_retained_at_enterprise"),
    ("KMS.4", "keys_rotate"),
    (
        "Lambda.1",
        "backend_functions_are_not_public_and_run_a_supported_runtime",
    ),
    (
        "Lambda.2",
        "backend_functions_are_not_public_and_run_a_supported_runtime",
    ),
    ("Lambda.3", "functions_in_the_vpc_span_two_zones"),
    ("Lambda.5", "functions_in_the_vpc_span_two_zones"),
    ("RDS.2", "db_instances_meet_the_rds_controls_they_claim"),
    ("RDS.3", "db_instances_meet_the_rds_controls_they_claim"),
    (
        "RDS.5",
        "db_instances_are_multi_az_with_enhanced_monitoring",
    ),
    (
        "RDS.6",
        "db_instances_are_multi_az_with_enhanced_monitoring",
    ),
    ("RDS.8", "db_instances_meet_the_rds_controls_they_claim"),
    ("RDS.10", "db_instances_meet_the_rds_controls_they_claim"),
    ("RDS.11", "db_instances_meet_the_rds_controls_they_claim"),
    ("RDS.13", "db_instances_meet_the_rds_controls_they_claim"),
    ("RDS.17", "db_instances_meet_the_rds_controls_they_claim"),
    ("S3.1", "the_account_blocks_public_access_to_s3"),
    ("S3.2", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.3", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.5", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.6", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.8", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.7", "buckets_replicate_to_another_region"),
    ("S3.9", "buckets_log_server_access"),
    ("S3.12", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.13", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.14", "secure_buckets_meet_the_s3_controls_they_claim"),
    ("S3.15", "buckets_have_object_lock"),
    (
        "S3.17",
        "s3_17_is_claimed_only_on_buckets_encrypted_with_kms",
    ),
    ("S3.22", "the_trail_logs_s3_object_reads_and_writes"),
    ("S3.23", "the_trail_logs_s3_object_reads_and_writes"),
    (
        "SageMaker.4",
        "models_are_isolated_and_endpoints_run_more_than_one_instance",
    ),
    (
        "SageMaker.5",
        "models_are_isolated_and_endpoints_run_more_than_one_instance",
    ),
    ("SNS.1", "alert_topics_are_encrypted"),
    ("SNS.4", "alert_topic_policies_allow_no_public_principal"),
    ("SQS.1", "backend_dead_letter_queues_are_encrypted"),
    ("WAF.10", "web_acls_have_rules_and_log"),
    ("WAF.11", "web_acls_have_rules_and_log"),
];

/// The sources of the claims tests, where the functions [`COVERED`] names are.
const SOURCES: &[&str] = &[
    include_str!("claims.rs"),
    include_str!("claims/api.rs"),
    include_str!("claims/compute.rs"),
    include_str!("claims/data.rs"),
    include_str!("claims/identity.rs"),
    include_str!("claims/logging.rs"),
    include_str!("claims/network.rs"),
];

/// Every Security Hub id of every control has a test in [`COVERED`], that test exists as a
/// `#[test]` function of the claims sources, and [`COVERED`] names no id that no control
/// claims: a new claim without a test, or a test left after its claim, fails here.
#[test]
fn every_claimed_security_hub_id_has_a_test() {
    let claimed: std::collections::BTreeSet<&str> = harden_blueprints::controls::ALL
        .iter()
        .flat_map(|c| c.security_hub.iter().copied())
        .collect();
    let covered: std::collections::BTreeSet<&str> = COVERED.iter().map(|(id, _)| *id).collect();
    assert_eq!(covered.len(), COVERED.len(), "an id is in COVERED twice");
    let missing: Vec<_> = claimed.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "claimed with no test: add a test under blueprints/tests/claims and its row to COVERED: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&claimed).collect();
    assert!(
        stale.is_empty(),
        "in COVERED but claimed by no control: {stale:?}"
    );
    for (id, f) in COVERED {
        let def = format!("#[test]\nfn {f}(");
        assert!(
            SOURCES.iter().any(|s| s.contains(&def)),
            "{id}: no test function `{f}` in the claims sources"
        );
    }
    // Keyed by the pair where it matters: an id several controls claim is covered only when
    // its test reads every one of them (names its static), not the first it happens to check.
    let statics = control_statics();
    let claimants = |id: &str| {
        harden_blueprints::controls::ALL
            .iter()
            .filter(|c| c.security_hub.contains(&id))
            .count()
    };
    for c in harden_blueprints::controls::ALL {
        let name = statics
            .get(c.id)
            .unwrap_or_else(|| panic!("no `pub static ...: Control` with id `{}`", c.id));
        for id in c.security_hub.iter().filter(|id| claimants(id) > 1) {
            let f = COVERED.iter().find(|(i, _)| i == id).expect("checked").1;
            let body = test_body(f);
            assert!(
                body.contains(&format!("::{name}")) || body.contains(&format!("&{name}")),
                "{id} is claimed by control `{}`, but its test `{f}` never reads `{name}`",
                c.id
            );
        }
    }
}

/// The text of a claims test function, from its `fn` line to its closing brace.
fn test_body(f: &str) -> &'static str {
    let def = format!("#[test]\nfn {f}(");
    for s in SOURCES {
        if let Some(start) = s.find(&def) {
            let rest = &s[start..];
            let end = rest.find("\n}\n").map_or(rest.len(), |e| e + 3);
            return &rest[..end];
        }
    }
    panic!("no test function `{f}`")
}

/// Each control's id and the name of the `pub static` that defines it, read from the control
/// sources (`pub static NAME: Control = Control { id: "..." ...`).
fn control_statics() -> std::collections::BTreeMap<String, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut todo = vec![dir];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("pub static ") {
            let decl = &text[i + "pub static ".len()..];
            let Some((name, rest)) = decl.split_once(": Control = Control {") else {
                continue;
            };
            if name.contains(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            {
                continue;
            }
            let Some(id) = rest
                .split_once("id: \"")
                .and_then(|(_, r)| r.split_once('"'))
                .map(|(id, _)| id)
            else {
                continue;
            };
            out.insert(id.to_string(), name.to_string());
        }
    }
    out
}
