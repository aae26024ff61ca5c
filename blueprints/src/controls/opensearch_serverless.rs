//! An OpenSearch Serverless vector collection, held by its three policies:
//! - an encryption policy naming the stack's customer-managed key (not an AWS-owned key), so
//!   the key policy and CloudTrail say who decrypts the vectors;
//! - a network policy: from enhanced the collection is reachable only through an OpenSearch
//!   Serverless VPC endpoint in the blueprint's private subnets (the seed's "consider VPC
//!   endpoints"); at basic, which has no VPC, its endpoint is public but answers only requests
//!   signed by an IAM principal that the data access policy names, and the dashboards are not
//!   opened at all;
//! - a data access policy granting one principal (the backend's role) only the index and
//!   collection actions a vector store needs: no deleting indexes, no changing policies, no
//!   dashboards.
//!
//! The three policies and the endpoint take their names from the collection's (policy names are
//! unique per policy type, so one name serves all three).

use crate::cfn::generated::opensearchserverless as aoss;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control: the collection, its key and its data access policy.
pub static VECTOR_COLLECTION: Control = Control {
    id: "vector-collection",
    title: "OpenSearch Serverless vector collection encrypted with the stack's key, data access for the backend's role only",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The control for private network access.
pub static PRIVATE_COLLECTION: Control = Control {
    id: "private-collection",
    title: "OpenSearch Serverless collection reachable only through a VPC endpoint (never public)",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &[],
};

/// The data-plane permissions the backend gets on the collection's indexes.
pub const INDEX_PERMISSIONS: &[&str] = &[
    "aoss:CreateIndex",
    "aoss:DescribeIndex",
    "aoss:ReadDocument",
    "aoss:UpdateIndex",
    "aoss:WriteDocument",
];

/// Where the collection's VPC endpoint goes.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The VPC id.
    pub vpc_id: Expr,
    /// Private subnet ids.
    pub subnets: Vec<Expr>,
    /// The endpoint's security group id (HTTPS from the backend only).
    pub security_group: Expr,
}

/// What one collection is.
#[derive(Debug, Clone)]
pub struct CollectionSpec {
    /// Logical id prefix: `<id>`, `<id>EncryptionPolicy`, `<id>NetworkPolicy`,
    /// `<id>AccessPolicy`, `<id>Endpoint`.
    pub id: &'static str,
    /// The collection's name (3 to 32 characters: lowercase letters, digits, hyphens).
    pub name: String,
    /// The stack key's ARN.
    pub key_arn: Expr,
    /// The one principal (a role ARN) that may use the data.
    pub principal: Expr,
    /// The VPC endpoint's place (from enhanced; `None` leaves the collection public with IAM).
    pub endpoint: Option<Endpoint>,
}

/// The collection and its VPC endpoint.
#[derive(Debug, Clone)]
pub struct Collection {
    /// The collection.
    pub collection: Handle<aoss::Collection>,
    /// Its VPC endpoint, where it has one.
    pub endpoint: Option<Handle<aoss::VpcEndpoint>>,
}

impl Collection {
    /// `GetAtt Collection.Arn`, for the backend role's `aoss:APIAccessAll`.
    pub fn arn(&self) -> Expr {
        self.collection.get_att(aoss::CollectionAttr::Arn)
    }

    /// The collection's HTTPS endpoint.
    pub fn endpoint_url(&self) -> Expr {
        self.collection
            .get_att(aoss::CollectionAttr::CollectionEndpoint)
    }
}

/// Whether a collection name is one OpenSearch Serverless accepts for the collection and its
/// policies: 3 to 32 characters, a lowercase letter first, then lowercase letters, digits and
/// hyphens.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Adds the collection, its encryption, network and data access policies, and from enhanced
/// its VPC endpoint.
pub fn collection(t: &mut Template, tier: Tier, spec: CollectionSpec) -> Collection {
    let name = &spec.name;
    let rule = format!(r#"{{"ResourceType":"collection","Resource":["collection/{name}"]}}"#);
    let enc = t.add(
        format!("{}EncryptionPolicy", spec.id),
        aoss::SecurityPolicy {
            name: Some(name.into()),
            type_: Some("encryption".into()),
            description: Some(
                "Encrypts the collection with the stack's customer-managed key".into(),
            ),
            policy: Some(Expr::sub_with(
                format!(r#"{{"Rules":[{rule}],"AWSOwnedKey":false,"KmsARN":"${{KeyArn}}"}}"#),
                [("KeyArn", spec.key_arn.clone())],
            )),
        },
    );
    t.res(&enc).control(&VECTOR_COLLECTION);

    let endpoint = spec.endpoint.as_ref().map(|e| {
        let h = t.add(
            format!("{}Endpoint", spec.id),
            aoss::VpcEndpoint {
                name: Some(name.into()),
                vpc_id: Some(e.vpc_id.clone()),
                subnet_ids: Some(Expr::List(e.subnets.clone())),
                security_group_ids: Some(Expr::list([e.security_group.clone()])),
            },
        );
        t.res(&h).control(&PRIVATE_COLLECTION);
        h
    });
    let network_policy = match &endpoint {
        Some(e) => Expr::sub_with(
            format!(
                r#"[{{"Rules":[{rule}],"AllowFromPublic":false,"SourceVPCEs":["${{Endpoint}}"]}}]"#
            ),
            [("Endpoint", e.r#ref())],
        ),
        None => Expr::str(format!(r#"[{{"Rules":[{rule}],"AllowFromPublic":true}}]"#)),
    };
    let net = t.add(
        format!("{}NetworkPolicy", spec.id),
        aoss::SecurityPolicy {
            name: Some(name.into()),
            type_: Some("network".into()),
            description: Some(
                "Where the collection is reachable from: its VPC endpoint only from enhanced"
                    .into(),
            ),
            policy: Some(network_policy),
        },
    );
    let r = t.res(&net);
    r.control(&VECTOR_COLLECTION);
    if endpoint.is_some() {
        r.control(&PRIVATE_COLLECTION);
    } else {
        r.note("basic has no VPC: the endpoint is public, IAM-authenticated, and the data access policy names only the backend's role; from enhanced it is VPC-only (control private-collection)");
    }

    let permissions = INDEX_PERMISSIONS
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(",");
    let access = t.add(
        format!("{}AccessPolicy", spec.id),
        aoss::AccessPolicy {
            name: Some(name.into()),
            type_: Some("data".into()),
            description: Some("Only the backend's role, and only the index and collection actions a vector store needs".into()),
            policy: Some(Expr::sub_with(
                format!(
                    r#"[{{"Rules":[{{"ResourceType":"collection","Resource":["collection/{name}"],"Permission":["aoss:DescribeCollectionItems"]}},{{"ResourceType":"index","Resource":["index/{name}/*"],"Permission":[{permissions}]}}],"Principal":["${{Principal}}"]}}]"#
                ),
                [("Principal", spec.principal.clone())],
            )),
        },
    );
    t.res(&access).control(&VECTOR_COLLECTION);

    let c = t.add(
        spec.id,
        aoss::Collection {
            name: Some(name.into()),
            type_: Some("VECTORSEARCH".into()),
            description: Some("Vector store of the backend".into()),
            standby_replicas: Some(
                if tier >= Tier::Enhanced {
                    "ENABLED"
                } else {
                    "DISABLED"
                }
                .into(),
            ),
            ..Default::default()
        },
    );
    let r = t.res(&c);
    r.control(&VECTOR_COLLECTION)
        .depends_on(enc.id())
        .depends_on(net.id())
        .depends_on(access.id());
    if tier < Tier::Enhanced {
        r.note("no standby replicas at basic: half the minimum OpenSearch Compute Units, for a development collection; replicas across Availability Zones from enhanced");
    }
    if endpoint.is_some() {
        r.control(&PRIVATE_COLLECTION);
    }
    super::retain::apply(t, tier, &c);
    Collection {
        collection: c,
        endpoint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn build(tier: Tier) -> (Template, Node) {
        let mut t = Template::new("test");
        let endpoint = (tier >= Tier::Enhanced).then(|| Endpoint {
            vpc_id: Expr::str("vpc-1"),
            subnets: vec![Expr::str("subnet-1")],
            security_group: Expr::str("sg-1"),
        });
        collection(
            &mut t,
            tier,
            CollectionSpec {
                id: "Vectors",
                name: "app-vectors".into(),
                key_arn: Expr::str("arn:aws:kms:eu-west-1:111122223333:key/k"),
                principal: Expr::str("arn:aws:iam::111122223333:role/backend"),
                endpoint,
            },
        );
        let n = to_node(&t).expect("renders");
        (t, n)
    }

    fn policy(n: &Node, id: &str) -> String {
        let p = n
            .get_path(&["Resources", id, "Properties", "Policy"])
            .expect("policy");
        p.as_str()
            .or_else(|| {
                p.get_path(&["Fn::Sub"])
                    .and_then(Node::as_seq)
                    .and_then(|s| s[0].as_str())
            })
            .expect("a string or Fn::Sub")
            .to_string()
    }

    #[test]
    fn encryption_policy_names_the_stack_key() {
        let (_, n) = build(Tier::Basic);
        let p = policy(&n, "VectorsEncryptionPolicy");
        assert!(p.contains(r#""AWSOwnedKey":false"#), "{p}");
        assert!(p.contains(r#""KmsARN":"${KeyArn}""#), "{p}");
        serde_json::from_str::<serde_json::Value>(&p.replace("${KeyArn}", "k")).expect("json");
    }

    /// Never public from enhanced: the network policy names only the VPC endpoint.
    #[test]
    fn network_policy_is_private_from_enhanced() {
        for tier in Tier::ALL {
            let (t, n) = build(tier);
            let p = policy(&n, "VectorsNetworkPolicy");
            let public = tier == Tier::Basic;
            assert_eq!(
                p.contains(r#""AllowFromPublic":true"#),
                public,
                "{tier}: {p}"
            );
            assert_eq!(p.contains("SourceVPCEs"), !public, "{tier}");
            assert!(!p.contains("dashboard"), "{tier}: dashboards stay closed");
            assert_eq!(t.controls().contains(&PRIVATE_COLLECTION.id), !public);
            serde_json::from_str::<serde_json::Value>(&p.replace("${Endpoint}", "e"))
                .expect("json");
        }
    }

    #[test]
    fn data_access_is_the_backend_role_only_without_deletes() {
        let (_, n) = build(Tier::Enhanced);
        let p = policy(&n, "VectorsAccessPolicy");
        let v: serde_json::Value =
            serde_json::from_str(&p.replace("${Principal}", "role")).expect("json");
        assert_eq!(v[0]["Principal"], serde_json::json!(["role"]));
        assert!(!p.contains("Delete"), "{p}");
        assert!(!p.contains("aoss:*"), "{p}");
    }

    #[test]
    fn names_are_checked_like_the_service_does() {
        assert!(valid_name("app-vectors"));
        assert!(!valid_name("App"));
        assert!(!valid_name("1abc"));
        assert!(!valid_name(&"a".repeat(33)));
    }
}
