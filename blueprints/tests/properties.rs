//! Invariants over the whole parameter space:
//! - rendering is deterministic (same request, same bytes);
//! - tiers are monotone: everything a lower tier renders is still there at a higher tier,
//!   hardened the same or more;
//! - harden's least-privilege rules hold for every rendered template;
//! - render then parse gives back the same tree (YAML and JSON);
//! - at enterprise, a request without an alert destination is refused, naming both.
//!
//! Enterprise requires an alert destination; a request without one is built there with the
//! minimal required parameter added (`alert_email`), as a user would have to.

mod common;

use harden_blueprints::audit::audit;
use harden_blueprints::cfn::render::{to_json, to_yaml};
use harden_blueprints::cfn::{Node, NodeMap};
use harden_blueprints::{StackSpec, Tier};
use proptest::prelude::*;

fn sagemaker_params() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let cidr = prop_oneof![
        (0u8..=255).prop_map(|a| format!("10.{a}.0.0/16")),
        (16u8..=31).prop_map(|b| format!("172.{b}.0.0/16")),
        (0u8..=15).prop_map(|c| format!("192.168.{}.0/20", c * 16)),
    ];
    let instance = prop::sample::select(vec![
        "ml.m5.xlarge",
        "ml.c5.large",
        "ml.g5.2xlarge",
        "ml.m5d.large",
        "ml.p4d.24xlarge",
    ]);
    (
        cidr,
        instance,
        prop::option::of(1i64..=10),
        prop::option::of(prop::sample::select(vec![
            "ops@example.com",
            "sec.team+alerts@corp.example.org",
        ])),
        prop::option::of(Just("https://app.example.com")),
        prop::option::of(Just("models/model.tar.gz")),
        alert_and_region_params(),
    )
        .prop_map(|(cidr, instance, count, email, cors, key, shared)| {
            let mut v = vec![("vpc_cidr", cidr), ("instance_type", instance.to_string())];
            v.extend(shared);
            if let Some(c) = count {
                v.push(("instance_count", c.to_string()));
            }
            if let Some(e) = email {
                v.push(("alert_email", e.to_string()));
            }
            if let Some(c) = cors {
                v.push(("cors_origin", c.to_string()));
            }
            if let Some(k) = key {
                v.push(("model_data_key", k.to_string()));
            }
            v
        })
}

/// `alert_topic_arn` and `home_region`, which both blueprints take: absent, or a topic in the
/// home region, in another region, or with no home region.
fn alert_and_region_params() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (
        prop::option::of(prop::sample::select(vec![
            "arn:aws:sns:eu-west-1:123456789012:security-alerts",
            "arn:aws:sns:us-east-1:210987654321:chatops",
        ])),
        prop::option::of(prop::sample::select(vec!["eu-west-1", "ap-southeast-2"])),
    )
        .prop_map(|(topic, home)| {
            let mut v = Vec::new();
            if let Some(t) = topic {
                v.push(("alert_topic_arn", t.to_string()));
            }
            if let Some(h) = home {
                v.push(("home_region", h.to_string()));
            }
            v
        })
}

fn baseline_params() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (
        prop::option::of(Just("security@example.com")),
        alert_and_region_params(),
    )
        .prop_map(|(e, shared)| {
            let mut v: Vec<(&'static str, String)> = e
                .map(|e| vec![("alert_email", e.to_string())])
                .unwrap_or_default();
            v.extend(shared);
            v
        })
}

fn any_request() -> impl Strategy<Value = (&'static str, Vec<(&'static str, String)>)> {
    prop_oneof![
        sagemaker_params().prop_map(|p| ("sagemaker-vpc", p)),
        baseline_params().prop_map(|p| ("account-baseline", p)),
    ]
}

/// Whether the parameters name an alert destination.
fn has_destination(params: &[(&'static str, String)]) -> bool {
    params
        .iter()
        .any(|(k, _)| *k == "alert_email" || *k == "alert_topic_arn")
}

/// The request a user would have to make at `tier`: at enterprise an alert destination is
/// required, so one without gets the minimal one (`alert_email`); and at enterprise a topic
/// outside the home region is no destination for the home region's alarms, so it gets the
/// email too.
fn required(tier: Tier, params: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut p = params.to_vec();
    let value = |k: &str| {
        params
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
    };
    let topic_elsewhere = match (value("alert_topic_arn"), value("home_region")) {
        (Some(topic), Some(home)) => topic.split(':').nth(3) != Some(home),
        _ => false,
    };
    let email = value("alert_email").is_some();
    if tier == Tier::Enterprise && !email && (!has_destination(params) || topic_elsewhere) {
        p.extend(
            common::ENTERPRISE_MINIMUM
                .iter()
                .map(|(k, v)| (*k, v.to_string())),
        );
    }
    p
}

fn build(blueprint: &str, tier: Tier, params: &[(&'static str, String)]) -> Vec<StackSpec> {
    let params = required(tier, params);
    let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    common::build(blueprint, tier, &p)
}

/// Whether `hi` keeps everything `lo` has, the same or hardened: maps keep every key, lists
/// keep every item, scalars stay equal except the knobs that only grow with the tier, and a
/// `Ref` may move to another resource of the same type (a zone's own NAT gateway). `lo_cond`
/// is the condition the lower tier's resource exists under: there, `Fn::If [lo_cond, X,
/// AWS::NoValue]` at the higher tier is `X` (a resource that moves out of a region
/// condition names what stayed under it conditionally, as the account baseline's log bucket
/// does at enterprise).
fn covers(
    lo: &Node,
    hi: &Node,
    key: &str,
    lo_types: &NodeMap,
    hi_types: &NodeMap,
    lo_cond: Option<&str>,
) -> bool {
    const GROWS: &[&str] = &[
        "RetentionInDays",
        "InitialInstanceCount",
        "PendingWindowInDays",
        "noncurrent_days",
    ];
    if let (Some(cond), Some(Node::Seq(parts))) = (lo_cond, hi.get_path(&["Fn::If"])) {
        let no_value =
            |n: &Node| n.get_path(&["Ref"]).and_then(Node::as_str) == Some("AWS::NoValue");
        if let [Node::Str(c), then, otherwise] = parts.as_slice() {
            if c == cond && no_value(otherwise) && lo.get_path(&["Fn::If"]).is_none() {
                return covers(lo, then, key, lo_types, hi_types, lo_cond);
            }
        }
    }
    match (lo, hi) {
        (Node::Map(a), Node::Map(b)) => {
            if let (Some(Node::Str(ra)), Some(Node::Str(rb)), 1, 1) =
                (a.get("Ref"), b.get("Ref"), a.len(), b.len())
            {
                let ty = |types: &NodeMap, id: &str| {
                    types.get(id).and_then(|r| r.get_path(&["Type"])).cloned()
                };
                return ra == rb
                    || (ty(lo_types, ra).is_some() && ty(lo_types, ra) == ty(hi_types, rb));
            }
            a.iter().all(|(k, v)| {
                b.get(k)
                    .is_some_and(|w| covers(v, w, k, lo_types, hi_types, lo_cond))
            })
        }
        (Node::Seq(a), Node::Seq(b)) => a.iter().all(|v| {
            b.iter()
                .any(|w| covers(v, w, key, lo_types, hi_types, lo_cond))
        }),
        (Node::Int(x), Node::Int(y)) if GROWS.contains(&key) => y >= x,
        (Node::Str(x), Node::Str(y)) if key == "DeletionPolicy" || key == "UpdateReplacePolicy" => {
            let rank = |s: &str| {
                ["Delete", "Snapshot", "Retain"]
                    .iter()
                    .position(|p| *p == s)
            };
            rank(y) >= rank(x)
        }
        (a, b) => a == b,
    }
}

fn stack_controls(n: &Node) -> Vec<String> {
    n.get_path(&["Metadata", "harden", "Controls"])
        .and_then(Node::as_seq)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    c.get_path(&["Id"])
                        .and_then(Node::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rendering_is_deterministic((blueprint, params) in any_request(), tier in prop::sample::select(Tier::ALL.to_vec())) {
        let a = build(blueprint, tier, &params);
        let b = build(blueprint, tier, &params);
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            prop_assert_eq!(to_yaml(&common::tree(x)), to_yaml(&common::tree(y)));
            prop_assert_eq!(to_json(&common::tree(x)), to_json(&common::tree(y)));
        }
    }

    #[test]
    fn a_higher_tier_never_drops_a_lower_tiers_resources_or_controls((blueprint, params) in any_request()) {
        for (i, lo_tier) in Tier::ALL.iter().enumerate() {
            for hi_tier in &Tier::ALL[i + 1..] {
                let lo = build(blueprint, *lo_tier, &params);
                let hi = build(blueprint, *hi_tier, &params);
                for ls in &lo {
                    let hs = hi.iter().find(|h| h.name == ls.name);
                    prop_assert!(hs.is_some(), "stack {} at {} is gone at {}", ls.name, lo_tier, hi_tier);
                    let hs = hs.unwrap();
                    prop_assert!(hs.termination_protection >= ls.termination_protection);
                    prop_assert!(hs.stack_policy.is_some() >= ls.stack_policy.is_some());
                    let (ln, hn) = (common::tree(ls), common::tree(hs));
                    let lc = stack_controls(&ln);
                    let hc = stack_controls(&hn);
                    for c in &lc {
                        prop_assert!(hc.contains(c), "{}: control {} at {} is gone at {}", ls.name, c, lo_tier, hi_tier);
                    }
                    let empty = NodeMap::new();
                    let lr = ln.get_path(&["Resources"]).and_then(Node::as_map).unwrap_or(&empty);
                    let hr = hn.get_path(&["Resources"]).and_then(Node::as_map).unwrap_or(&empty);
                    for (id, r) in lr {
                        let h = hr.get(id);
                        prop_assert!(h.is_some(), "{}: resource {} at {} is gone at {}", ls.name, id, lo_tier, hi_tier);
                        let h = h.unwrap();
                        for part in ["Type", "Properties", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn"] {
                            if let Some(lp) = r.get_path(&[part]) {
                                let hp = h.get_path(&[part]);
                                prop_assert!(
                                    hp.is_some_and(|hp| covers(lp, hp, part, lr, hr, r.get_path(&["Condition"]).and_then(Node::as_str))),
                                    "{}: {}.{} at {} is weakened or gone at {}:\n{:?}\n{:?}", ls.name, id, part, lo_tier, hi_tier, lp, hp
                                );
                            }
                        }
                        let lctl = r.get_path(&["Metadata", "harden", "Controls"]).and_then(Node::as_seq).unwrap_or(&[]);
                        let hctl = h.get_path(&["Metadata", "harden", "Controls"]).and_then(Node::as_seq).unwrap_or(&[]);
                        for c in lctl {
                            prop_assert!(hctl.contains(c), "{}: {} loses control {:?} at {}", ls.name, id, c, hi_tier);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_template_keeps_least_privilege((blueprint, params) in any_request(), tier in prop::sample::select(Tier::ALL.to_vec())) {
        for s in build(blueprint, tier, &params) {
            let findings = audit(&common::tree(&s));
            prop_assert!(findings.is_empty(), "{}: {:#?}", s.name, findings);
        }
    }

    #[test]
    fn enterprise_without_an_alert_destination_is_refused_naming_both((blueprint, params) in any_request()) {
        let without: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| *k != "alert_email" && *k != "alert_topic_arn")
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let b = harden_blueprints::find(blueprint).unwrap();
        let err = b.build(b.name(), Tier::Enterprise, &without).unwrap_err().to_string();
        prop_assert!(err.contains("`alert_email`") && err.contains("`alert_topic_arn`"), "{}", err);
        // Below enterprise the same request builds.
        prop_assert!(b.build(b.name(), Tier::Enhanced, &without).is_ok());
    }

    #[test]
    fn render_then_parse_is_the_identity((blueprint, params) in any_request(), tier in prop::sample::select(Tier::ALL.to_vec())) {
        for s in build(blueprint, tier, &params) {
            let tree = common::tree(&s);
            let yaml = yaml_rust2::YamlLoader::load_from_str(&to_yaml(&tree)).expect("rendered YAML parses");
            prop_assert_eq!(yaml.len(), 1);
            prop_assert_eq!(&from_yaml(&yaml[0]), &tree);
            let json: serde_json::Value = serde_json::from_str(&to_json(&tree)).expect("rendered JSON parses");
            prop_assert_eq!(&from_json(&json), &tree);
        }
    }
}

fn from_yaml(y: &yaml_rust2::Yaml) -> Node {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Null => Node::Null,
        Yaml::Boolean(b) => Node::Bool(*b),
        Yaml::Integer(i) => Node::Int(*i),
        Yaml::Real(r) => Node::Float(r.parse().expect("a real")),
        Yaml::String(s) => Node::Str(s.clone()),
        Yaml::Array(a) => Node::Seq(a.iter().map(from_yaml).collect()),
        Yaml::Hash(h) => Node::Map(
            h.iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_string(), from_yaml(v)))
                .collect(),
        ),
        other => panic!("unexpected YAML value {other:?}"),
    }
}

fn from_json(v: &serde_json::Value) -> Node {
    use serde_json::Value;
    match v {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Node::Int)
            .unwrap_or_else(|| Node::Float(n.as_f64().unwrap())),
        Value::String(s) => Node::Str(s.clone()),
        Value::Array(a) => Node::Seq(a.iter().map(from_json).collect()),
        Value::Object(o) => Node::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

#[test]
fn yaml_strings_that_look_like_other_types_are_quoted() {
    // Regression guard: YAML 1.1 readers (PyYAML, which cfn-lint uses) read `on`, `yes`, `1:20`
    // and `0755` as booleans and numbers. Each must come back as the same string.
    let words = [
        "on", "off", "yes", "No", "y", "null", "~", "1:20", "0755", "3.6", "1e3", "-", ": x", "#x",
        "a #b", "*x", "&x", "!x", "@x", "`x", "x: y", " x", "x ", "", "\"x\"", "'x'", "a\nb",
        "a\n", " a\nb", "a\n\n", "%x", "|", ">", "[x]", "{x}", ".inf", "true",
    ];
    let tree = Node::Map(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("k{i}"), Node::Str(w.to_string())))
            .collect(),
    );
    let text = to_yaml(&tree);
    let parsed = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(from_yaml(&parsed[0]), tree, "{text}");
}
