//! Cross-region replication at enterprise, for every workload blueprint: `replica_region` is
//! required there and ignored below, the replica stack comes first and goes to that region,
//! and the names the two sides share without any reference (the replica buckets', the role's,
//! the key alias) are the same on both sides: the invariant that must never drift.

mod common;

use harden_blueprints::cfn::Node;
use harden_blueprints::controls::replication::REPLICA_REGION;
use harden_blueprints::{replica_stack_name, Blueprint, StackSpec, Tier, REPLICA_REGION_TAG};

/// The workload blueprints (those the account baseline is not).
fn workloads() -> Vec<&'static dyn Blueprint> {
    harden_blueprints::all()
        .iter()
        .copied()
        .filter(|b| b.fixed_stack_name().is_none())
        .collect()
}

/// A blueprint's example parameters at `tier`, with `replica_region` replaced or removed.
fn example(b: &dyn Blueprint, tier: Tier, region: Option<&str>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = b
        .example_params(tier)
        .into_iter()
        .filter(|(k, _)| *k != REPLICA_REGION.spec.name)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(r) = region {
        v.push((REPLICA_REGION.spec.name.to_string(), r.to_string()));
    }
    v
}

/// A blueprint's stacks at enterprise, named `app`, replicating to `us-west-2`.
fn enterprise(b: &dyn Blueprint) -> Vec<StackSpec> {
    b.build(
        "app",
        Tier::Enterprise,
        &example(b, Tier::Enterprise, Some("us-west-2")),
    )
    .unwrap()
}

fn tree(s: &StackSpec) -> Node {
    common::tree(s)
}

fn resources(n: &Node) -> Vec<(&str, &Node)> {
    n.get_path(&["Resources"])
        .and_then(Node::as_map)
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn of_type<'a>(n: &'a Node, ty: &str) -> Vec<(&'a str, &'a Node)> {
    resources(n)
        .into_iter()
        .filter(|(_, r)| r.get_path(&["Type"]).and_then(Node::as_str) == Some(ty))
        .collect()
}

fn sub(n: Option<&Node>) -> Option<&str> {
    n.and_then(|n| n.get_path(&["Fn::Sub"]))
        .and_then(Node::as_str)
}

fn strs(n: Option<&Node>) -> Vec<String> {
    match n {
        Some(Node::Seq(s)) => s
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        Some(Node::Str(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[test]
fn replica_region_is_required_at_enterprise_with_a_hint() {
    for b in workloads() {
        let e = b
            .build(
                b.name(),
                Tier::Enterprise,
                &example(b, Tier::Enterprise, None),
            )
            .expect_err(b.name())
            .to_string();
        assert!(e.contains("`replica_region`"), "{}: {e}", b.name());
        assert!(
            e.contains("\nhint: add `--param replica_region=us-west-2`"),
            "{}: {e}",
            b.name()
        );
    }
}

#[test]
fn replica_region_must_be_a_region() {
    for b in workloads() {
        let e = b
            .build(
                b.name(),
                Tier::Enterprise,
                &example(b, Tier::Enterprise, Some("mars-north-1a")),
            )
            .expect_err(b.name())
            .to_string();
        assert!(
            e.contains("replica_region") && e.contains("mars-north-1a"),
            "{}: {e}",
            b.name()
        );
    }
}

/// Below enterprise the parameter changes nothing but a note that says so.
#[test]
fn replica_region_is_ignored_below_enterprise_with_a_note() {
    for b in workloads() {
        for tier in [Tier::Basic, Tier::Enhanced] {
            let without = b.build(b.name(), tier, &example(b, tier, None)).unwrap();
            let with = b
                .build(b.name(), tier, &example(b, tier, Some("us-west-2")))
                .unwrap();
            let names = |v: &[StackSpec]| v.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
            assert_eq!(names(&without), names(&with), "{} {tier}", b.name());
            assert!(with.iter().all(|s| s.region.is_none()));
            for s in &with {
                assert!(!s.tags.contains_key(REPLICA_REGION_TAG));
                let n = tree(s);
                for (id, r) in of_type(&n, "AWS::S3::Bucket") {
                    assert!(
                        r.get_path(&["Properties", "ReplicationConfiguration"])
                            .is_none(),
                        "{} {tier} {id}",
                        b.name()
                    );
                }
            }
            let notes: Vec<&String> = with.iter().flat_map(|s| &s.notes).collect();
            assert!(
                notes
                    .iter()
                    .any(|n| n.contains("`replica_region` does nothing below enterprise")),
                "{} {tier}: {notes:?}",
                b.name()
            );
            let before: Vec<&String> = without.iter().flat_map(|s| &s.notes).collect();
            assert_eq!(notes.len(), before.len() + 1, "{} {tier}", b.name());
        }
    }
}

/// The replica stack is the first of the workload's own stacks (deployment order), goes to
/// `replica_region`, and every stack whose buckets replicate deploys after it and carries the
/// region in its tags.
#[test]
fn the_replica_stack_comes_first_in_the_replica_region() {
    for b in workloads() {
        let stacks = b
            .build(
                "app",
                Tier::Enterprise,
                &example(b, Tier::Enterprise, Some("eu-central-1")),
            )
            .unwrap();
        let own: Vec<&StackSpec> = stacks.iter().filter(|s| s.owner() == b.name()).collect();
        let replica = own[0];
        assert_eq!(replica.name, replica_stack_name("app"), "{}", b.name());
        assert_eq!(replica.region.as_deref(), Some("eu-central-1"));
        assert_eq!(replica.role, harden_blueprints::StackRole::Workload);
        assert!(replica
            .purpose
            .starts_with("replicas of the workload's buckets"));
        // `own_stack_names` lists what a render gives, the replica first.
        let listed: Vec<String> = b
            .own_stack_names("app")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let built: Vec<String> = own.iter().map(|s| s.name.clone()).collect();
        assert_eq!(listed, built, "{}", b.name());
        let mut replicating = 0;
        for s in &own[1..] {
            assert!(s.region.is_none());
            let buckets = of_type(&tree(s), "AWS::S3::Bucket").len();
            if buckets > 0 {
                replicating += 1;
                assert_eq!(
                    s.tags.get(REPLICA_REGION_TAG).map(String::as_str),
                    Some("eu-central-1"),
                    "{} {}",
                    b.name(),
                    s.name
                );
                assert!(s.after.contains(&replica.name), "{} {}", b.name(), s.name);
            } else {
                assert!(!s.tags.contains_key(REPLICA_REGION_TAG));
            }
        }
        assert!(replicating > 0, "{}", b.name());
    }
}

/// Every bucket of every source stack replicates to a bucket name the replica stack defines
/// (both sides read from the rendered templates), each replica is the target of exactly one
/// source, the role the buckets and the source policies name is the role the replica stack
/// makes, and the key alias the rules name is the replica key's.
#[test]
fn every_source_bucket_replicates_to_a_bucket_the_replica_stack_defines() {
    for b in workloads() {
        let stacks = enterprise(b);
        let own: Vec<&StackSpec> = stacks.iter().filter(|s| s.owner() == b.name()).collect();
        let replica = tree(own[0]);
        let replica_buckets: Vec<String> = of_type(&replica, "AWS::S3::Bucket")
            .into_iter()
            .filter_map(|(_, r)| sub(r.get_path(&["Properties", "BucketName"])).map(String::from))
            .collect();
        let roles = of_type(&replica, "AWS::IAM::Role");
        assert_eq!(roles.len(), 1, "{}", b.name());
        let role_name = roles[0]
            .1
            .get_path(&["Properties", "RoleName"])
            .and_then(Node::as_str)
            .expect("a fixed role name")
            .to_string();
        assert!(roles[0].1.get_path(&["Properties", "Policies"]).is_none());
        let alias = of_type(&replica, "AWS::KMS::Alias")[0]
            .1
            .get_path(&["Properties", "AliasName"])
            .and_then(Node::as_str)
            .unwrap()
            .to_string();
        assert_eq!(alias, "alias/harden/app-replica");
        let mut targets = Vec::new();
        for s in &own[1..] {
            let n = tree(s);
            let buckets = of_type(&n, "AWS::S3::Bucket");
            if buckets.is_empty() {
                continue;
            }
            for (id, r) in &buckets {
                let what = format!("{} {} {id}", b.name(), s.name);
                let cfg = r
                    .get_path(&["Properties", "ReplicationConfiguration"])
                    .unwrap_or_else(|| panic!("{what}: not replicated"));
                assert_eq!(
                    sub(cfg.get_path(&["Role"])),
                    Some(
                        format!(
                            "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role_name}"
                        )
                        .as_str()
                    ),
                    "{what}"
                );
                let rules = cfg.get_path(&["Rules"]).and_then(Node::as_seq).unwrap();
                assert_eq!(rules.len(), 1, "{what}");
                let rule = &rules[0];
                assert_eq!(
                    rule.get_path(&["Status"]).and_then(Node::as_str),
                    Some("Enabled")
                );
                assert_eq!(
                    rule.get_path(&["DeleteMarkerReplication", "Status"])
                        .and_then(Node::as_str),
                    Some("Disabled"),
                    "{what}"
                );
                let dest = sub(rule.get_path(&["Destination", "Bucket"])).unwrap();
                let name = dest
                    .strip_prefix("arn:${AWS::Partition}:s3:::")
                    .unwrap_or_else(|| panic!("{what}: {dest}"));
                assert!(
                    replica_buckets.iter().any(|r| r == name),
                    "{what}: {name} is not a bucket of the replica stack {replica_buckets:?}"
                );
                targets.push(name.to_string());
                let kms = r
                    .get_path(&[
                        "Properties",
                        "BucketEncryption",
                        "ServerSideEncryptionConfiguration",
                    ])
                    .and_then(Node::as_seq)
                    .and_then(|s| s[0].get_path(&["ServerSideEncryptionByDefault", "SSEAlgorithm"]))
                    .and_then(Node::as_str)
                    == Some("aws:kms");
                if kms {
                    assert_eq!(
                        sub(rule.get_path(&[
                            "Destination",
                            "EncryptionConfiguration",
                            "ReplicaKmsKeyID"
                        ])),
                        Some(
                            format!(
                                "arn:${{AWS::Partition}}:kms:us-west-2:${{AWS::AccountId}}:{alias}"
                            )
                            .as_str()
                        ),
                        "{what}"
                    );
                    assert_eq!(
                        rule.get_path(&[
                            "SourceSelectionCriteria",
                            "SseKmsEncryptedObjects",
                            "Status"
                        ])
                        .and_then(Node::as_str),
                        Some("Enabled"),
                        "{what}"
                    );
                }
            }
            let policies = of_type(&n, "AWS::IAM::RolePolicy");
            assert_eq!(policies.len(), 1, "{} {}", b.name(), s.name);
            assert_eq!(
                policies[0]
                    .1
                    .get_path(&["Properties", "RoleName"])
                    .and_then(Node::as_str),
                Some(role_name.as_str()),
                "{} {}",
                b.name(),
                s.name
            );
        }
        let mut sorted = targets.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            targets.len(),
            "{}: two sources, one replica",
            b.name()
        );
        assert_eq!(
            sorted.len(),
            replica_buckets.len(),
            "{}: a replica with no source",
            b.name()
        );
    }
}

/// The actions of every allow statement of a policy document, with its resources.
fn allowed(doc: &Node) -> Vec<(String, Vec<String>, &Node)> {
    doc.get_path(&["Statement"])
        .and_then(Node::as_seq)
        .unwrap()
        .iter()
        .filter(|s| s.get_path(&["Effect"]).and_then(Node::as_str) == Some("Allow"))
        .map(|s| {
            (
                s.get_path(&["Sid"])
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                strs(s.get_path(&["Action"])),
                s,
            )
        })
        .collect()
}

/// The replication policies name each action (none with `*`) and no `*` resource; the source
/// policy reads only its own buckets and objects, the destination policy writes replicas only
/// (no `s3:ReplicateDelete`: delete markers stay in the source region).
#[test]
fn replication_policies_name_every_action_and_resource() {
    for b in workloads() {
        let stacks = enterprise(b);
        for s in stacks.iter().filter(|s| s.owner() == b.name()) {
            let n = tree(s);
            for (id, p) in of_type(&n, "AWS::IAM::RolePolicy") {
                let what = format!("{} {} {id}", b.name(), s.name);
                let doc = p.get_path(&["Properties", "PolicyDocument"]).unwrap();
                let mut actions = Vec::new();
                for (sid, acts, st) in allowed(doc) {
                    assert!(
                        acts.iter().all(|a| !a.contains('*')),
                        "{what} {sid}: {acts:?}"
                    );
                    let res = st.get_path(&["Resource"]).unwrap();
                    assert!(
                        !strs(Some(res)).iter().any(|r| r.contains('*')),
                        "{what} {sid}: a `*` resource"
                    );
                    actions.extend(acts);
                }
                actions.sort();
                let expected: &[&str] = if s.region.is_some() {
                    &["s3:ReplicateObject", "s3:ReplicateTags"]
                } else if actions.iter().any(|a| a == "s3:GetObjectRetention") {
                    &[
                        "kms:Decrypt",
                        "s3:GetObjectLegalHold",
                        "s3:GetObjectRetention",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionTagging",
                        "s3:GetReplicationConfiguration",
                        "s3:ListBucket",
                    ]
                } else {
                    &[
                        "kms:Decrypt",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionTagging",
                        "s3:GetReplicationConfiguration",
                        "s3:ListBucket",
                    ]
                };
                assert_eq!(actions, expected, "{what}");
            }
        }
    }
}

/// The key policies grant the replication role (named by ARN) only what it needs: on a
/// source key `kms:Decrypt` through S3 in the source region, on the replica key
/// `kms:Encrypt` and `kms:GenerateDataKey` through S3 in the replica region.
#[test]
fn key_policies_grant_the_replication_role_only_what_it_needs() {
    for b in workloads() {
        let stacks = enterprise(b);
        let own: Vec<&StackSpec> = stacks.iter().filter(|s| s.owner() == b.name()).collect();
        let mut sources = 0;
        for s in &own {
            let n = tree(s);
            for (id, k) in of_type(&n, "AWS::KMS::Key") {
                let what = format!("{} {} {id}", b.name(), s.name);
                let doc = k.get_path(&["Properties", "KeyPolicy"]).unwrap();
                let to_role: Vec<_> = allowed(doc)
                    .into_iter()
                    .filter(|(_, _, st)| {
                        let p = st.get_path(&["Principal", "AWS"]);
                        let ps: Vec<&Node> = match p {
                            Some(Node::Seq(v)) => v.iter().collect(),
                            Some(other) => vec![other],
                            None => Vec::new(),
                        };
                        ps.iter().any(|p| {
                            sub(Some(p)).is_some_and(|a| a.contains(":role/app-replica-"))
                                || p.get_path(&["Fn::GetAtt"])
                                    .and_then(Node::as_seq)
                                    .is_some_and(|g| g[0].as_str() == Some("ReplicationRole"))
                        })
                    })
                    .collect();
                if s.region.is_some() {
                    assert_eq!(to_role.len(), 1, "{what}");
                    assert_eq!(
                        to_role[0].1,
                        ["kms:Encrypt", "kms:GenerateDataKey"],
                        "{what}"
                    );
                    assert_eq!(
                        to_role[0]
                            .2
                            .get_path(&["Condition", "StringEquals", "kms:ViaService"])
                            .and_then(Node::as_str),
                        Some("s3.us-west-2.amazonaws.com"),
                        "{what}"
                    );
                } else if !to_role.is_empty() {
                    sources += 1;
                    assert_eq!(to_role.len(), 1, "{what}");
                    assert_eq!(to_role[0].1, ["kms:Decrypt"], "{what}");
                    assert_eq!(
                        sub(to_role[0].2.get_path(&[
                            "Condition",
                            "StringEquals",
                            "kms:ViaService"
                        ])),
                        Some("s3.${AWS::Region}.amazonaws.com"),
                        "{what}"
                    );
                }
            }
        }
        assert!(sources > 0, "{}: no source key names the role", b.name());
    }
}

/// The replica stack passes `harden check --tier enterprise` with no open finding: its
/// buckets' only replication exceptions say whose replica they are, or that they hold the
/// replicas' access logs.
#[test]
fn the_replica_stack_passes_harden_check_at_enterprise() {
    for b in workloads() {
        let stacks = enterprise(b);
        let replica = stacks.iter().find(|s| s.region.is_some()).unwrap();
        let n = tree(replica);
        let findings = harden_blueprints::rules::check(
            &n,
            &harden_blueprints::rules::Options::at(Tier::Enterprise),
        );
        let open: Vec<String> = findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| format!("{} at {}: {}", f.rule.id, f.at(), f.message))
            .collect();
        assert!(open.is_empty(), "{}: {open:#?}", b.name());
        let replication: Vec<_> = findings
            .iter()
            .filter(|f| f.rule.id == "s3-bucket-replication")
            .collect();
        assert!(!replication.is_empty(), "{}", b.name());
        for f in replication {
            let why = f.suppressed.as_deref().unwrap_or("");
            assert!(
                why.starts_with("this bucket is the replica of `")
                    || why.starts_with("this bucket holds the access logs of the replicas"),
                "{}: {why}",
                b.name()
            );
        }
    }
}

/// Same input, same bytes: a render with replication is deterministic.
#[test]
fn replication_renders_the_same_bytes_twice() {
    for b in workloads() {
        let p = example(b, Tier::Enterprise, Some("us-west-2"));
        let one = b.build("app", Tier::Enterprise, &p).unwrap();
        let two = b.build("app", Tier::Enterprise, &p).unwrap();
        for (x, y) in one.iter().zip(&two) {
            assert_eq!(
                harden_blueprints::cfn::render::to_yaml(&tree(x)),
                harden_blueprints::cfn::render::to_yaml(&tree(y))
            );
        }
    }
}
