//! Invariants over the whole parameter space:
//! - rendering is deterministic (same request, same bytes);
//! - tiers are monotone: everything a lower tier renders is still there at a higher tier,
//!   hardened the same or more;
//! - harden's least-privilege rules hold for every rendered template;
//! - a model image picked by a mutable tag renders below enterprise (with a note to pin it)
//!   and is refused at enterprise;
//! - no render has a way out to the internet that it does not give a reason for;
//! - render then parse gives back the same tree (YAML and JSON);
//! - at enterprise, a request without an alert destination is refused, naming both;
//! - a parameter never switches off a control of the tier quietly: the build with it keeps
//!   every control of the tier the build without it has, records it as waived with its
//!   reason (`org_services=member`), or it is refused (`--waive`).
//!
//! Enterprise requires an alert destination; a request without one is built there with the
//! minimal required parameter added (`alert_email`), as a user would have to.

mod common;

use harden_blueprints::audit::audit;
use harden_blueprints::blueprint::conflict;
use harden_blueprints::cfn::render::{to_json, to_yaml};
use harden_blueprints::cfn::{Node, NodeMap};
use harden_blueprints::params::ParamSpec;
use harden_blueprints::Blueprint;
use harden_blueprints::{BlueprintError, StackSpec, Tier};
use proptest::prelude::*;

/// Any ECR repository name ECR's rule allows, namespaces included.
fn repository() -> impl Strategy<Value = String> {
    "[a-z0-9]{2,6}([._-][a-z0-9]{1,5}){0,2}(/[a-z0-9]{1,6}([._-][a-z0-9]{1,5}){0,2}){0,2}"
}

fn tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"
}

/// A model image picked by a tag nobody stated immutable: in the repository of the stack's
/// own account, or by a full ECR URI.
fn unpinned_image() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    prop_oneof![
        (repository(), tag()).prop_map(|(r, t)| vec![("model_repository", r), ("image_tag", t)]),
        ("[0-9]{12}", repository(), tag()).prop_map(|(a, r, t)| vec![(
            "image_uri",
            format!("{a}.dkr.ecr.eu-west-1.amazonaws.com/{r}:{t}")
        )]),
    ]
}

/// A request a user could make to a blueprint, derived from its declarations alone: each
/// parameter left out or given a valid value of its rule (the rule's examples, from a random
/// seed), one of two conflicting parameters dropped, and what a given parameter requires
/// added. No per-blueprint code: a blueprint registered in `harden_blueprints::all()` is
/// covered with every parameter it declares.
fn request_of(b: &'static dyn Blueprint) -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let params = b.all_params();
    let n = params.len();
    prop::collection::vec(prop::option::weighted(0.5, any::<u64>()), n).prop_map(move |seeds| {
        let mut v: Vec<(&'static ParamSpec, String)> = Vec::new();
        for (p, seed) in params.iter().zip(seeds) {
            if let Some(seed) = seed {
                if !v.iter().any(|(o, _)| conflict(o, p)) {
                    v.push((p, p.rule.sample(seed)));
                }
            }
        }
        // What a given parameter requires, with its example value (unless a conflict rules
        // the requiring one out: then it goes).
        let mut i = 0;
        while i < v.len() {
            let (p, seed_value) = (v[i].0, v[i].1.len() as u64);
            for r in p.requires {
                if v.iter().any(|(o, _)| o.name == *r) {
                    continue;
                }
                let spec = params
                    .iter()
                    .find(|s| s.name == *r)
                    .expect("a declared parameter");
                if v.iter().any(|(o, _)| conflict(o, spec)) {
                    continue;
                }
                v.push((spec, spec.rule.sample(seed_value)));
            }
            i += 1;
        }
        // A parameter a given value needs (`required_by`), with an example value.
        for spec in &params {
            if let Some((k, val)) = spec.required_by {
                if v.iter().any(|(o, x)| o.name == k && x == val)
                    && !v.iter().any(|(o, _)| o.name == spec.name)
                {
                    v.push((spec, spec.rule.sample(val.len() as u64)));
                }
            }
        }
        let names: Vec<&str> = v.iter().map(|(o, _)| o.name).collect();
        v.retain(|(p, _)| p.requires.iter().all(|r| names.contains(r)));
        v.into_iter().map(|(p, val)| (p.name, val)).collect()
    })
}

fn any_request() -> impl Strategy<Value = (&'static str, Vec<(&'static str, String)>)> {
    let names: Vec<&'static str> = harden_blueprints::all().iter().map(|b| b.name()).collect();
    prop::sample::select(names).prop_flat_map(|name| {
        let b = harden_blueprints::find(name).expect("registered");
        (Just(name), request_of(b))
    })
}

/// The request a user would have to make at `tier`: what the blueprint says a render at the
/// tier needs (`Blueprint::example_params`: an alert destination and, for a model image, a
/// digest at enterprise) is added where it was not drawn; where what was drawn is not
/// enough for the tier (a tag where the tier wants a digest), the needed values replace it
/// and drop what conflicts with them.
fn required(
    blueprint: &str,
    tier: Tier,
    params: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let b = harden_blueprints::find(blueprint).unwrap();
    let specs = b.all_params();
    let spec = |k: &str| *specs.iter().find(|s| s.name == k).expect("declared");
    let needed = b.example_params(tier);
    let mut added = params.to_vec();
    for (k, v) in &needed {
        if !added
            .iter()
            .any(|(o, _)| o == k || conflict(spec(o), spec(k)))
        {
            added.push((k, v.to_string()));
        }
    }
    let raw: Vec<(String, String)> = added
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if matches!(
        b.build_unguarded(b.default_stack_name(), tier, &raw),
        Ok(_) | Err(BlueprintError::Weakens(_))
    ) {
        return added;
    }
    let mut p = params.to_vec();
    for (k, v) in needed {
        let s = spec(k);
        p.retain(|(o, _)| *o != k && !conflict(spec(o), s));
        p.push((k, v.to_string()));
    }
    // Drop what lost a parameter it requires.
    let names: Vec<&str> = p.iter().map(|(k, _)| *k).collect();
    p.retain(|(k, _)| spec(k).requires.iter().all(|r| names.contains(r)));
    p
}

/// The stacks of a request, or `None` when the tier refuses it because a parameter would
/// switch off one of its controls (`a_parameter_never_switches_off_a_control_quietly` checks
/// those refusals); any other error fails the test.
fn build(blueprint: &str, tier: Tier, params: &[(&'static str, String)]) -> Option<Vec<StackSpec>> {
    let params = required(blueprint, tier, params);
    let raw: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let b = harden_blueprints::find(blueprint).unwrap();
    match b.build(b.default_stack_name(), tier, &raw) {
        Ok(s) => Some(s),
        Err(BlueprintError::Weakens(_)) => None,
        Err(e) => panic!("{blueprint} {tier}: {e}"),
    }
}

/// Every control id the stacks apply.
fn control_ids(stacks: &[StackSpec]) -> Vec<&'static str> {
    stacks.iter().flat_map(StackSpec::controls).collect()
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
        // An RDS database's automated backups: kept longer as the tier rises.
        "BackupRetentionPeriod",
    ];
    // Settings that tighten along a known order as the tier rises (Cognito's MFA and threat
    // protection modes and the feature plan they need, standby replicas, a private API), and token
    // lifetimes, which shrink.
    const TIGHTENS: &[(&str, &[&str])] = &[
        ("MfaConfiguration", &["OFF", "OPTIONAL", "ON"]),
        ("UserPoolTier", &["LITE", "ESSENTIALS", "PLUS"]),
        ("AdvancedSecurityMode", &["OFF", "AUDIT", "ENFORCED"]),
        ("StandbyReplicas", &["DISABLED", "ENABLED"]),
        // An API's endpoint type (`EndpointConfiguration.Types`): private is the closest.
        ("Types", &["EDGE", "REGIONAL", "PRIVATE"]),
        // An ECS cluster setting's value (Container Insights): enhanced observability adds
        // per-task and per-container metrics to what `enabled` collects.
        ("Value", &["disabled", "enabled", "enhanced"]),
    ];
    const SHRINKS: &[&str] = &[
        "AccessTokenValidity",
        "IdTokenValidity",
        "RefreshTokenValidity",
    ];
    if let (Node::Str(x), Node::Str(y)) = (lo, hi) {
        if let Some((_, order)) = TIGHTENS.iter().find(|(k, _)| *k == key) {
            let rank = |s: &str| order.iter().position(|o| *o == s);
            // A value outside the order is no tightening: it must stay as it was.
            return match (rank(x), rank(y)) {
                (Some(a), Some(b)) => b >= a,
                _ => x == y,
            };
        }
    }
    if let (Node::Int(x), Node::Int(y)) = (lo, hi) {
        if SHRINKS.contains(&key) {
            return y <= x;
        }
    }
    // An OpenSearch Serverless network policy that closes public access to the VPC endpoint
    // named covers one that allowed it (the policy is a JSON string, `Fn::Sub` once it names
    // the endpoint).
    if key == "Policy" {
        if let (Node::Str(x), Some(Node::Seq(sub))) = (lo, hi.get_path(&["Fn::Sub"])) {
            if let Some(Node::Str(y)) = sub.first() {
                if x.contains(r#""AllowFromPublic":true"#)
                    && y == &x.replace(
                        r#""AllowFromPublic":true"#,
                        r#""AllowFromPublic":false,"SourceVPCEs":["${Endpoint}"]"#,
                    )
                {
                    return true;
                }
            }
        }
    }
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
        // An API endpoint type: a private endpoint is reachable from fewer places than a
        // regional or edge one.
        (Node::Str(x), Node::Str(y)) if key == "Types" => {
            let rank = |s: &str| ["EDGE", "REGIONAL", "PRIVATE"].iter().position(|p| *p == s);
            x == y || (rank(x).is_some() && rank(y) == Some(2))
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
        let a = build(blueprint, tier, &params).unwrap_or_default();
        let b = build(blueprint, tier, &params).unwrap_or_default();
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            prop_assert_eq!(to_yaml(&common::tree(x)), to_yaml(&common::tree(y)));
            prop_assert_eq!(to_json(&common::tree(x)), to_json(&common::tree(y)));
        }
    }

    #[test]
    fn a_higher_tier_never_drops_a_lower_tiers_resources_or_controls((blueprint, params) in any_request()) {
        // One request for every tier: what the highest tier needs is valid at the others.
        let params = required(blueprint, Tier::Enterprise, &params);
        for (i, lo_tier) in Tier::ALL.iter().enumerate() {
            for hi_tier in &Tier::ALL[i + 1..] {
                // A tier that refuses the request (a parameter switches off one of its
                // controls) weakens nothing.
                let (Some(lo), Some(hi)) = (build(blueprint, *lo_tier, &params), build(blueprint, *hi_tier, &params)) else {
                    continue;
                };
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
                        // An API deployment is a snapshot named by a digest of the API: a
                        // higher tier that changes the API deploys a new one, which the stage
                        // (held to this test) points at.
                        if r.get_path(&["Type"]).and_then(Node::as_str) == Some("AWS::ApiGateway::Deployment") {
                            continue;
                        }
                        let h = hr.get(id);
                        // An API deployment is a snapshot named after a digest of the API's
                        // methods: a tier that changes the API (a private endpoint) replaces it
                        // with another deployment of the same API.
                        let ty = |n: &Node| n.get_path(&["Type"]).and_then(Node::as_str).map(str::to_string);
                        if h.is_none() && ty(r).as_deref() == Some("AWS::ApiGateway::Deployment")
                            && hr.values().any(|o| ty(o) == ty(r) && o.get_path(&["Properties", "RestApiId"]) == r.get_path(&["Properties", "RestApiId"])) {
                            continue;
                        }
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
        for s in build(blueprint, tier, &params).unwrap_or_default() {
            let findings = audit(&common::tree(&s));
            prop_assert!(findings.is_empty(), "{}: {:#?}", s.name, findings);
        }
    }

    #[test]
    fn an_unpinned_image_renders_below_enterprise_and_is_refused_at_enterprise(image in unpinned_image()) {
        let mut raw: Vec<(String, String)> = image.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let b = harden_blueprints::find("sagemaker-vpc").unwrap();
        for tier in [Tier::Basic, Tier::Enhanced] {
            let stacks = b.build(b.default_stack_name(), tier, &raw);
            prop_assert!(stacks.is_ok(), "{:?} at {}: {:?}", raw, tier, stacks.err());
            let workload = stacks.unwrap().into_iter().find(|s| s.name == "sagemaker-vpc").unwrap();
            prop_assert!(workload.notes.iter().any(|n| n.contains("hint: pin it by digest")), "{:?}", workload.notes);
            prop_assert!(audit(&common::tree(&workload)).is_empty());
        }
        raw.push(("alert_email".into(), "security@example.com".into()));
        let refused = b.build(b.default_stack_name(), Tier::Enterprise, &raw);
        prop_assert!(
            refused.as_ref().is_err_and(|e| e.to_string().contains("must be pinned by its digest")),
            "{:?} at enterprise: {:?}", raw, refused.map(|s| s.len())
        );
    }

    #[test]
    fn no_render_reaches_the_internet_without_a_written_reason((blueprint, params) in any_request(), tier in prop::sample::select(Tier::ALL.to_vec())) {
        for s in build(blueprint, tier, &params).unwrap_or_default() {
            let tree = common::tree(&s);
            let empty = NodeMap::new();
            let resources = tree.get_path(&["Resources"]).and_then(Node::as_map).unwrap_or(&empty);
            for (id, r) in resources {
                let ty = r.get_path(&["Type"]).and_then(Node::as_str).unwrap_or("");
                if matches!(ty, "AWS::EC2::NatGateway" | "AWS::EC2::InternetGateway") {
                    let notes = r.get_path(&["Metadata", "harden", "Notes"]).and_then(Node::as_seq).unwrap_or(&[]);
                    prop_assert!(!notes.is_empty(), "{}: {} ({}) gives no reason for internet access", s.name, id, ty);
                }
                let mut egress: Vec<&Node> = Vec::new();
                if ty == "AWS::EC2::SecurityGroupEgress" {
                    egress.extend(r.get_path(&["Properties"]));
                }
                if ty == "AWS::EC2::SecurityGroup" {
                    egress.extend(r.get_path(&["Properties", "SecurityGroupEgress"]).and_then(Node::as_seq).unwrap_or(&[]));
                }
                // Egress to anywhere only as a rule of its own with the reason written on it.
                let reason = ty == "AWS::EC2::SecurityGroupEgress"
                    && r.get_path(&["Metadata", "harden", "Notes"]).and_then(Node::as_seq).is_some_and(|n| !n.is_empty());
                for rule in egress {
                    for key in ["CidrIp", "CidrIpv6"] {
                        let to = rule.get_path(&[key]).and_then(Node::as_str);
                        prop_assert!(reason || !matches!(to, Some("0.0.0.0/0" | "::/0")), "{}: {} allows egress to anywhere without a written reason", s.name, id);
                    }
                }
            }
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
        let err = b.build(b.default_stack_name(), Tier::Enterprise, &without).unwrap_err().to_string();
        prop_assert!(err.contains("`alert_email`") && err.contains("`alert_topic_arn`"), "{}", err);
        // Below enterprise the same request builds (or is refused by the tier guard, for a
        // parameter that switches off a control of the tier).
        let below = b.build(b.default_stack_name(), Tier::Enhanced, &without);
        prop_assert!(matches!(below, Ok(_) | Err(BlueprintError::Weakens(_))), "{:?}", below.err());
    }

    #[test]
    fn a_parameter_never_switches_off_a_control_quietly((blueprint, params) in any_request(), tier in prop::sample::select(Tier::ALL.to_vec())) {
        // Worked out here from two builds, not from the guard's own code: with each given
        // parameter and without it (its default instead). A build that keeps every control
        // of the tier is fine; one that drops one must be refused, naming the parameter.
        let full = required(blueprint, tier, &params);
        let b = harden_blueprints::find(blueprint).unwrap();
        let raw = |ps: &[(&'static str, String)]| -> Vec<(String, String)> {
            ps.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
        };
        let unguarded = |ps: &[(&'static str, String)]| b.build_unguarded(b.default_stack_name(), tier, &raw(ps));
        let Ok(with) = unguarded(&full) else { return Ok(()) };
        let guarded = b.build(b.default_stack_name(), tier, &raw(&full));
        for (i, (k, v)) in full.iter().enumerate() {
            let mut without = full.clone();
            without.remove(i);
            let Ok(reference) = unguarded(&without) else { continue };
            let have = control_ids(&with);
            // A control the blueprint records as waived in the stack (with its reason and
            // the parameter: `org_services=member`) is not switched off quietly.
            let recorded = |id: &str| with.iter().any(|s| harden_blueprints::blueprint::records_waiver(&s.template, id));
            let lost: Vec<&str> = control_ids(&reference)
                .into_iter()
                .filter(|id| !have.contains(id) && harden_blueprints::controls::find(id).unwrap().on(tier) && !recorded(id))
                .collect();
            if !lost.is_empty() {
                prop_assert!(
                    matches!(&guarded, Err(BlueprintError::Weakens(m)) if m.contains(&format!("`{k}=")) || m.contains("switches off")),
                    "{}={} drops {:?} at {} and was not refused: {:?}", k, v, lost, tier, guarded.as_ref().map(|s| s.len())
                );
            }
        }
    }

    #[test]
    fn render_then_parse_is_the_identity((blueprint, params) in any_request(), tier in prop::sample::select(Tier::ALL.to_vec())) {
        for s in build(blueprint, tier, &params).unwrap_or_default() {
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

/// The properties above hold "for every parameter" only if the strategies generate every
/// parameter of every blueprint: a parameter a blueprint gains is caught here until the
/// strategies cover it.
#[test]
fn the_strategies_cover_every_parameter_of_every_blueprint() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen: std::collections::BTreeSet<(&str, &str)> = std::collections::BTreeSet::new();
    let strategy = any_request();
    for _ in 0..2000 {
        let (b, params) = strategy.new_tree(&mut runner).unwrap().current();
        for (k, _) in params {
            seen.insert((b, k));
        }
    }
    for b in harden_blueprints::all() {
        for p in b.all_params() {
            assert!(
                seen.contains(&(b.name(), p.name)),
                "no property strategy generates `{}` of blueprint `{}`",
                p.name,
                b.name()
            );
        }
    }
}
