//! The Security Hub ids a control claims hold on what harden renders: for every blueprint at
//! every tier (its example render), each resource that records a control meets the
//! documented evaluation of the ids the control claims (the failure conditions of AWS's
//! Security Hub control reference). A claim cannot drift from the template: changing a
//! control's resources so that one of its ids would fail makes this suite fail.

mod common;

use harden_blueprints::cfn::Node;
use harden_blueprints::controls::{alarms, guardduty, iam_role, s3_bucket, vpc_endpoints};
use harden_blueprints::{Control, Tier};

/// Every blueprint's example render at every tier: (case, stack name, template tree).
fn renders() -> Vec<(String, String, Node)> {
    let mut out = Vec::new();
    for b in harden_blueprints::all() {
        for tier in Tier::ALL {
            for s in b.build_example(tier).unwrap() {
                out.push((
                    format!("{}/{tier}", b.name()),
                    s.name.clone(),
                    common::tree(&s),
                ));
            }
        }
    }
    out
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
