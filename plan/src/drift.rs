//! Drift: what a deployed stack's resources look like in the account against what its template
//! says (CloudFormation's drift detection), and which drifted resources the plan changes.
//!
//! A plan that changes a resource someone modified by hand usually undoes that change: during
//! an incident a security group was opened, a bucket policy was loosened, a key policy was
//! edited. harden marks each drifted resource the plan changes, and flags it when the drifted
//! property is security-relevant (network rules, resource and identity policies, encryption,
//! logging, public access), because that is the overwrite a reviewer must see.

use harden_blueprints::cfn::parse::parse;
use harden_blueprints::cfn::{Node, NodeMap};
use serde::Serialize;

use crate::resource_change::Action;
use crate::stack_plan::StackPlan;

/// A stack's drift status, as CloudFormation reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DriftStatus {
    /// Every resource that supports drift detection matches the template.
    InSync,
    /// Some resource differs, or was deleted.
    Drifted,
    /// Detection has not run, or did not finish.
    NotChecked,
    /// CloudFormation could not tell.
    Unknown,
}

impl DriftStatus {
    /// CloudFormation's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftStatus::InSync => "IN_SYNC",
            DriftStatus::Drifted => "DRIFTED",
            DriftStatus::NotChecked => "NOT_CHECKED",
            DriftStatus::Unknown => "UNKNOWN",
        }
    }

    /// Reads CloudFormation's word; anything else is [`DriftStatus::Unknown`].
    pub fn parse(s: &str) -> DriftStatus {
        match s {
            "IN_SYNC" => DriftStatus::InSync,
            "DRIFTED" => DriftStatus::Drifted,
            "NOT_CHECKED" => DriftStatus::NotChecked,
            _ => DriftStatus::Unknown,
        }
    }
}

/// One property that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyDrift {
    /// The property's path, as CloudFormation writes it (`/SecurityGroupIngress/0/CidrIp`).
    pub path: String,
    /// What the template says (JSON), if anything.
    pub expected: Option<String>,
    /// What the account has (JSON), if anything.
    pub actual: Option<String>,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub difference: String,
    /// Whether the property is security-relevant ([`security_relevant`]).
    pub security: bool,
}

/// What the plan does to a drifted resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overwrite {
    /// The plan does not touch it: the drift stays.
    Untouched,
    /// The plan changes the resource: CloudFormation writes the template's values again,
    /// which usually undoes the drift.
    Changed,
    /// The plan replaces or removes the resource.
    Replaced,
}

/// One drifted resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDrift {
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// The properties that differ (none for a deleted resource).
    pub properties: Vec<PropertyDrift>,
    /// What the plan does to it.
    pub overwrite: Overwrite,
    /// What the drift did, in the plan's own security terms ([`assess`]): the template's
    /// resource compared with the same resource carrying the account's values.
    pub effects: Vec<DriftEffect>,
}

/// A security change the drift made, as the plan would name it had a template made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftEffect {
    /// It grants access or removes a protection.
    pub broadens: bool,
    /// It opens something to anyone.
    pub public: bool,
    /// What it does (`opens ingress tcp port 22 from 0.0.0.0/0`).
    pub description: String,
}

impl ResourceDrift {
    /// Whether a security-relevant property drifted (a deleted resource of a
    /// security-relevant type counts).
    pub fn security(&self) -> bool {
        self.properties.iter().any(|p| p.security)
            || !self.effects.is_empty()
            || (self.properties.is_empty() && security_type(&self.resource_type))
    }

    /// Whether the plan would undo a security-relevant drift: what a reviewer must see.
    pub fn security_overwrite(&self) -> bool {
        self.security() && self.overwrite != Overwrite::Untouched
    }
}

/// A stack's drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackDrift {
    /// The stack's drift status.
    pub status: DriftStatus,
    /// When detection last finished (RFC 3339), if it has.
    pub checked_at: Option<String>,
    /// Whether this run started the detection (`false`: a recent result was read).
    pub detected_now: bool,
    /// The drifted resources, in the order CloudFormation lists them.
    pub resources: Vec<ResourceDrift>,
    /// Why drift is not shown, when it is not (detection refused, unsupported...).
    pub note: Option<String>,
}

impl StackDrift {
    /// A stack whose drift could not be read, and why.
    pub fn unknown(note: impl Into<String>) -> StackDrift {
        StackDrift {
            status: DriftStatus::Unknown,
            checked_at: None,
            detected_now: false,
            resources: Vec::new(),
            note: Some(note.into()),
        }
    }

    /// Whether anything drifted.
    pub fn drifted(&self) -> bool {
        self.status == DriftStatus::Drifted || !self.resources.is_empty()
    }
}

/// Resource types whose every property is about access, network exposure or protection.
const SECURITY_TYPES: &[&str] = &[
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkAclEntry",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::KMS::Key",
    "AWS::Lambda::Permission",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::CloudTrail::Trail",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::GuardDuty::Detector",
    "AWS::Config::ConfigurationRecorder",
];

/// Words in a property path that make it security-relevant on any type.
const SECURITY_WORDS: &[&str] = &[
    "policy",
    "encrypt",
    "kms",
    "sse",
    "logging",
    "log",
    "public",
    "securitygroup",
    "ingress",
    "egress",
    "cidr",
    "principal",
    "role",
    "tls",
    "ssl",
    "authoriz",
    "deletionprotection",
    "versioning",
    "objectlock",
    "mfa",
];

fn security_type(ty: &str) -> bool {
    SECURITY_TYPES.contains(&ty)
}

/// Whether a drifted property of a resource type is security-relevant: any property of a
/// network rule, policy, key, trail or detector type, and on other types a property whose path
/// names a policy, encryption or key, logging, public access, a network rule, a principal or
/// role, TLS, authorisation or a protection (deletion protection, versioning, Object Lock, MFA).
pub fn security_relevant(resource_type: &str, path: &str) -> bool {
    if security_type(resource_type) {
        return true;
    }
    let p = path.to_ascii_lowercase();
    SECURITY_WORDS.iter().any(|w| p.contains(w))
}

/// Works out what each modified resource's drift did in security terms: the deployed
/// template against the same template with the account's values written over the drifted
/// properties, through the same analysis a plan runs, so a security group opened by hand reads
/// as the plan would say it ("opens ingress tcp port 22 from `0.0.0.0/0`", broadening). A
/// property the analysis does not read keeps the path-based [`security_relevant`] mark.
pub fn assess(drift: &mut StackDrift, deployed: &Node) {
    let Some(resources) = deployed.get_path(&["Resources"]).and_then(Node::as_map) else {
        return;
    };
    let mut actual = deployed.clone();
    let mut touched = Vec::new();
    for r in drift.resources.iter().filter(|r| !r.properties.is_empty()) {
        if !resources.contains_key(&r.logical_id) {
            continue;
        }
        let Node::Map(root) = &mut actual else { return };
        let Some(Node::Map(all)) = root.get_mut("Resources") else {
            return;
        };
        let Some(Node::Map(res)) = all.get_mut(&r.logical_id) else {
            continue;
        };
        let props = res
            .entry("Properties".to_string())
            .or_insert_with(|| Node::Map(NodeMap::new()));
        for p in &r.properties {
            let segs: Vec<&str> = p.path.split('/').filter(|s| !s.is_empty()).collect();
            let value = p.actual.as_deref().and_then(|a| parse(a).ok());
            set_path(props, &segs, value);
        }
        touched.push(r.logical_id.clone());
    }
    if touched.is_empty() {
        return;
    }
    let none = indexmap::IndexMap::new();
    let desired = crate::Desired {
        name: "drift",
        template: &actual,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
        removed_by_parameters: &[],
    };
    let was = crate::Deployed {
        template: deployed.clone(),
        parameters: none.clone(),
        tags: none.clone(),
        termination_protection: false,
        stack_policy: None,
        status: "UPDATE_COMPLETE".into(),
    };
    let plan = crate::plan_stack(&desired, Some(&was), None);
    for r in &mut drift.resources {
        r.effects = plan
            .security
            .iter()
            .filter(|s| s.logical_id == r.logical_id)
            .map(|s| DriftEffect {
                broadens: s.broadens,
                public: s.public,
                description: s.description.clone(),
            })
            .collect();
    }
}

/// Sets (or, with `None`, removes) the value at a JSON-pointer-like path of a tree, making the
/// maps on the way; a list index past the end appends.
fn set_path(n: &mut Node, segs: &[&str], value: Option<Node>) {
    let Some((first, rest)) = segs.split_first() else {
        if let Some(v) = value {
            *n = v;
        }
        return;
    };
    match n {
        Node::Map(m) => {
            if rest.is_empty() {
                match value {
                    Some(v) => {
                        m.insert(first.to_string(), v);
                    }
                    None => {
                        m.shift_remove(*first);
                    }
                }
                return;
            }
            let next = m
                .entry(first.to_string())
                .or_insert_with(|| Node::Map(NodeMap::new()));
            set_path(next, rest, value);
        }
        Node::Seq(items) => {
            let Ok(i) = first.parse::<usize>() else {
                return;
            };
            if rest.is_empty() {
                match (value, i < items.len()) {
                    (Some(v), true) => items[i] = v,
                    (Some(v), false) => items.push(v),
                    (None, true) => {
                        items.remove(i);
                    }
                    (None, false) => {}
                }
                return;
            }
            if let Some(next) = items.get_mut(i) {
                set_path(next, rest, value);
            }
        }
        _ => {}
    }
}

/// Marks what the plan does to each drifted resource.
pub fn mark(drift: &mut StackDrift, plan: &StackPlan) {
    for r in &mut drift.resources {
        r.overwrite = match plan.resources.iter().find(|c| c.logical_id == r.logical_id) {
            None => Overwrite::Untouched,
            Some(c) if c.action == Action::Remove || c.replaces() => Overwrite::Replaced,
            Some(c) if matches!(c.action, Action::Modify | Action::Dynamic) => Overwrite::Changed,
            Some(_) => Overwrite::Untouched,
        };
    }
}

/// What a drift-aware change set (`REVERT_DRIFT`) does with drift, per resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reverts {
    /// Drifted resources the change set brings back to the template: logical id, type and
    /// drift status (`MODIFIED`, `DELETED`).
    pub reverted: Vec<(String, String, String)>,
    /// Resources CloudFormation could not compare with their actual state: logical id and type
    /// (`UNSUPPORTED`, `UNKNOWN`). Their drift, if any, stays.
    pub not_compared: Vec<(String, String)>,
}

/// Reads what a drift-aware change set says of each resource.
pub fn reverts(changes: &[crate::input::ChangeSetChange]) -> Reverts {
    let mut r = Reverts::default();
    for c in changes {
        match c.drift_status.as_deref() {
            Some(s @ ("MODIFIED" | "DELETED")) => {
                r.reverted
                    .push((c.logical_id.clone(), c.resource_type.clone(), s.to_string()))
            }
            Some("UNSUPPORTED" | "UNKNOWN") => r
                .not_compared
                .push((c.logical_id.clone(), c.resource_type.clone())),
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(path: &str, ty: &str) -> PropertyDrift {
        PropertyDrift {
            path: path.into(),
            expected: Some("\"10.0.0.0/16\"".into()),
            actual: Some("\"0.0.0.0/0\"".into()),
            difference: "NOT_EQUAL".into(),
            security: security_relevant(ty, path),
        }
    }

    #[test]
    fn network_policy_encryption_and_logging_properties_are_security_relevant() {
        assert!(security_relevant(
            "AWS::EC2::SecurityGroup",
            "/Tags/0/Value"
        ));
        assert!(security_relevant(
            "AWS::S3::Bucket",
            "/BucketEncryption/ServerSideEncryptionConfiguration/0"
        ));
        assert!(security_relevant(
            "AWS::S3::Bucket",
            "/LoggingConfiguration/DestinationBucketName"
        ));
        assert!(security_relevant(
            "AWS::S3::Bucket",
            "/PublicAccessBlockConfiguration/BlockPublicAcls"
        ));
        assert!(security_relevant("AWS::Lambda::Function", "/Role"));
        assert!(security_relevant(
            "AWS::RDS::DBInstance",
            "/DeletionProtection"
        ));
        assert!(!security_relevant("AWS::S3::Bucket", "/Tags/0/Value"));
        assert!(!security_relevant("AWS::Lambda::Function", "/MemorySize"));
        assert!(!security_relevant("AWS::Lambda::Function", "/Timeout"));
    }

    #[test]
    fn a_deleted_resource_of_a_security_type_counts_as_security_drift() {
        let r = ResourceDrift {
            logical_id: "AdminIngress".into(),
            resource_type: "AWS::EC2::SecurityGroupIngress".into(),
            status: "DELETED".into(),
            properties: Vec::new(),
            overwrite: Overwrite::Changed,
            effects: Vec::new(),
        };
        assert!(r.security() && r.security_overwrite());
        let tags = ResourceDrift {
            properties: vec![prop("/Tags/0/Value", "AWS::S3::Bucket")],
            resource_type: "AWS::S3::Bucket".into(),
            ..r.clone()
        };
        assert!(!tags.security());
        let untouched = ResourceDrift {
            overwrite: Overwrite::Untouched,
            ..r
        };
        assert!(untouched.security() && !untouched.security_overwrite());
    }

    #[test]
    fn a_drift_aware_change_set_says_what_it_reverts_and_what_it_could_not_compare() {
        let c = |id: &str, ty: &str, s: Option<&str>| crate::input::ChangeSetChange {
            logical_id: id.into(),
            resource_type: ty.into(),
            action: "Modify".into(),
            drift_status: s.map(String::from),
            ..Default::default()
        };
        let r = reverts(&[
            c("Sg", "AWS::EC2::SecurityGroup", Some("MODIFIED")),
            c("Gone", "AWS::SNS::Topic", Some("DELETED")),
            c("Same", "AWS::S3::Bucket", Some("IN_SYNC")),
            c("Odd", "Custom::Thing", Some("UNSUPPORTED")),
            c("Plain", "AWS::S3::Bucket", None),
        ]);
        assert_eq!(
            r.reverted,
            [
                (
                    "Sg".into(),
                    "AWS::EC2::SecurityGroup".into(),
                    "MODIFIED".into()
                ),
                ("Gone".into(), "AWS::SNS::Topic".into(), "DELETED".into())
            ]
        );
        assert_eq!(r.not_compared, [("Odd".into(), "Custom::Thing".into())]);
    }

    #[test]
    fn statuses_read_cloudformations_words() {
        for s in [
            DriftStatus::InSync,
            DriftStatus::Drifted,
            DriftStatus::NotChecked,
            DriftStatus::Unknown,
        ] {
            assert_eq!(DriftStatus::parse(s.as_str()), s);
        }
        assert_eq!(DriftStatus::parse("SOMETHING_NEW"), DriftStatus::Unknown);
    }

    #[test]
    fn a_drift_is_assessed_as_the_plan_would_name_it() {
        let t = harden_blueprints::cfn::parse::parse_template(
            "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}\n      Tags: [{Key: team, Value: ml}]\n",
        )
        .unwrap();
        let drifted = |path: &str, expected: &str, actual: &str| ResourceDrift {
            logical_id: "Data".into(),
            resource_type: "AWS::S3::Bucket".into(),
            status: "MODIFIED".into(),
            properties: vec![PropertyDrift {
                path: path.into(),
                expected: Some(expected.into()),
                actual: Some(actual.into()),
                difference: "NOT_EQUAL".into(),
                security: false,
            }],
            overwrite: Overwrite::Untouched,
            effects: Vec::new(),
        };
        let mut d = StackDrift {
            status: DriftStatus::Drifted,
            checked_at: None,
            detected_now: true,
            resources: vec![drifted(
                "/PublicAccessBlockConfiguration/BlockPublicPolicy",
                "true",
                "false",
            )],
            note: None,
        };
        assess(&mut d, &t);
        let e = &d.resources[0].effects;
        assert!(e.iter().any(|e| e.broadens), "{e:?}");
        assert!(d.resources[0].security());
        // A tag changed by hand is no security change.
        d.resources = vec![drifted("/Tags/0/Value", "\"ml\"", "\"research\"")];
        assess(&mut d, &t);
        assert!(d.resources[0].effects.is_empty());
        assert!(!d.resources[0].security());
    }
}
