//! Fuzzing the reader and the checker with proptest: whatever text `harden check` is given
//! (random bytes, YAML-ish and JSON-ish fragments, deep nesting, tags, anchors and aliases,
//! huge numbers, tabs), `check_text` returns a report and never panics, and every finding is
//! placed at line ≥ 1 and column ≥ 1. Valid generated templates (resources of the types the
//! rules read, with properties the rules look at, intrinsics everywhere) give the same report
//! every time, and the same findings whether written as YAML with short-form tags or as JSON.
//! Alias bombs ("billion laughs") are refused quickly instead of being expanded.

use std::time::{Duration, Instant};

use harden_blueprints::rules;
use harden_blueprints::Tier;
use harden_check::{check_text, FileReport, Settings};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn settings() -> Settings {
    Settings::at(Tier::Enterprise)
}

fn assert_placed(r: &FileReport) {
    for f in &r.findings {
        assert!(f.line >= 1 && f.column >= 1, "unplaced finding: {f:?}");
    }
}

/// Pieces of YAML and JSON that, strung together at random, reach the reader's odd corners.
const PIECES: &[&str] = &[
    "Resources:",
    "\n",
    "\n  ",
    "  ",
    "    ",
    "\t",
    "- ",
    ": ",
    ":",
    ",",
    "[",
    "]",
    "{",
    "}",
    "!Ref ",
    "!GetAtt ",
    "!GetAtt a.b ",
    "!If ",
    "!Sub ",
    "!Join ",
    "!Bogus ",
    "!!str ",
    "!",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "*nope",
    "'",
    "\"",
    "''",
    "#",
    "|",
    ">-",
    "---",
    "...",
    "~",
    "null",
    "true",
    "0755",
    "1e400",
    "-0",
    "99999999999999999999999999999",
    "0.5",
    ".inf",
    "Type: AWS::S3::Bucket",
    "Type: AWS::EC2::SecurityGroup",
    "Properties:",
    "Metadata:",
    "Fn::If",
    "AWS::NoValue",
    "Ref",
    "Condition",
    "? ",
    "%YAML 1.2",
    "\u{feff}",
    "é",
    "\\",
    "CidrIp: 0.0.0.0/0",
    "Statement:",
    "Effect: Allow",
    "Action: '*'",
    "Principal: '*'",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|v| v.concat())
}

/// A random tree of maps, lists and scalars, some of them intrinsics.
fn tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        "[a-zA-Z0-9:*/. -]{0,12}".prop_map(Value::String),
        Just(json!({"Ref": "AWS::NoValue"})),
        Just(json!({"Ref": "Param"})),
        Just(json!({"Fn::GetAtt": ["Key", "Arn"]})),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z]{1,8}", inner.clone()), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"Fn::If": ["Cond", a, b]})),
            inner.prop_map(|v| json!({"Fn::Sub": [ "${X}", {"X": v}]})),
        ]
    })
}

/// The resource types harden's rules read.
fn rule_types() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = rules::all()
        .flat_map(|r| r.resource_types.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Property names the rules look at, and values they judge.
const PROPS: &[&str] = &[
    "BucketEncryption",
    "VersioningConfiguration",
    "PublicAccessBlockConfiguration",
    "LoggingConfiguration",
    "SecurityGroupIngress",
    "SecurityGroupEgress",
    "CidrIp",
    "CidrIpv6",
    "FromPort",
    "ToPort",
    "IpProtocol",
    "Policies",
    "PolicyDocument",
    "AssumeRolePolicyDocument",
    "ManagedPolicyArns",
    "Statement",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "Principal",
    "Condition",
    "KmsKeyId",
    "KmsMasterKeyId",
    "StorageEncrypted",
    "DeletionProtection",
    "Runtime",
    "RetentionInDays",
    "Status",
    "SSESpecification",
    "PubliclyAccessible",
    "KeyPolicy",
    "EnableKeyRotation",
];

fn prop_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(
            &[
                "*",
                "0.0.0.0/0",
                "::/0",
                "Allow",
                "Deny",
                "s3:*",
                "iam:PassRole",
                "Enabled",
                "Suspended",
                "python3.7",
                "python3.13",
                "aws:kms",
                "AES256",
                "-1",
                "tcp",
            ][..]
        )
        .prop_map(|s| json!(s)),
        any::<bool>().prop_map(Value::Bool),
        (0i64..70000).prop_map(|i| json!(i)),
        Just(json!({"Ref": "AWS::NoValue"})),
        Just(json!({"Ref": "WithDefault"})),
        Just(json!({"Ref": "NoDefault"})),
        Just(json!({"Ref": "R0"})),
        Just(json!({"Fn::GetAtt": ["R1", "Arn"]})),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(PROPS), inner.clone()), 0..4).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
            (inner.clone(), inner).prop_map(|(a, b)| json!({"Fn::If": ["IsProd", a, b]})),
        ]
    })
}

/// A valid template: parameters with and without defaults, a condition, and 1–6 resources of
/// types the rules read with properties they look at.
fn template() -> impl Strategy<Value = Value> {
    let types = rule_types();
    let resource = (
        prop::sample::select(types),
        prop::collection::vec((prop::sample::select(PROPS), prop_value()), 0..6),
        any::<bool>(),
    )
        .prop_map(|(ty, props, meta)| {
            let mut r = Map::new();
            r.insert("Type".into(), json!(ty));
            if meta {
                r.insert(
                    "Metadata".into(),
                    json!({"harden": {"suppress": [{"id": "s3-bucket-encryption", "reason": "fuzz"}]},
                           "guard": {"SuppressedRules": ["x"]}}),
                );
            }
            let props: Map<String, Value> =
                props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            r.insert("Properties".into(), Value::Object(props));
            Value::Object(r)
        });
    (prop::collection::vec(resource, 1..7), any::<bool>()).prop_map(|(rs, sam)| {
        let mut t = Map::new();
        t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        if sam {
            t.insert("Transform".into(), json!("AWS::Serverless-2016-10-31"));
        }
        t.insert(
            "Parameters".into(),
            json!({"WithDefault": {"Type": "String", "Default": "0.0.0.0/0"},
                   "NoDefault": {"Type": "String"}}),
        );
        t.insert(
            "Conditions".into(),
            json!({"IsProd": {"Fn::Equals": [{"Ref": "NoDefault"}, "prod"]}}),
        );
        let res: Map<String, Value> = rs
            .into_iter()
            .enumerate()
            .map(|(i, r)| (format!("R{i}"), r))
            .collect();
        t.insert("Resources".into(), Value::Object(res));
        Value::Object(t)
    })
}

/// YAML in flow style, intrinsics written with their short-form tags.
fn to_short_yaml(v: &Value) -> String {
    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(to_short_yaml).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => {
            if m.len() == 1 {
                let (k, inner) = m.iter().next().unwrap();
                let short = match k.as_str() {
                    "Ref" => Some("Ref"),
                    "Fn::If" => Some("If"),
                    "Fn::Sub" => Some("Sub"),
                    "Fn::Equals" => Some("Equals"),
                    "Fn::GetAtt" => Some("GetAtt"),
                    _ => None,
                };
                if let Some(tag) = short {
                    return format!("!{tag} {}", to_short_yaml(inner));
                }
            }
            format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{}: {}", quote(k), to_short_yaml(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// What a finding says, without where (lines differ between YAML and JSON).
fn gist(r: &FileReport) -> Vec<(String, String, String, String, Option<String>)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.resource.clone(),
                f.path.clone(),
                f.message.clone(),
                f.suppressed.clone(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        assert_placed(&check_text("b.yaml", &text, &settings()));
    }

    #[test]
    fn yamlish_fragments_never_panic(text in yamlish()) {
        assert_placed(&check_text("y.yaml", &text, &settings()));
        let under = format!("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      {text}");
        assert_placed(&check_text("y.yaml", &under, &settings()));
    }

    #[test]
    fn random_trees_as_yaml_and_json_never_panic(t in tree()) {
        let template = json!({"Resources": {"R": {"Type": "AWS::S3::Bucket", "Properties": t.clone()}, "T": t}});
        let json = serde_json::to_string_pretty(&template).unwrap();
        assert_placed(&check_text("t.json", &json, &settings()));
        // A truncated JSON document is an unreadable template, with its place.
        let cut = &json[..json.len() / 2];
        assert_placed(&check_text("t.json", cut, &settings()));
        assert_placed(&check_text("t.yaml", &to_short_yaml(&template), &settings()));
    }

    #[test]
    fn valid_templates_give_the_same_report_every_time_in_yaml_and_in_json(t in template()) {
        let yaml = to_short_yaml(&t);
        let json = serde_json::to_string_pretty(&t).unwrap();
        let s = settings();
        let a = check_text("t.yaml", &yaml, &s);
        prop_assert_eq!(&a, &check_text("t.yaml", &yaml, &s));
        prop_assert!(!a.findings.iter().any(|f| f.rule == "template-unreadable"), "{:#?}\n{}", a, yaml);
        assert_placed(&a);
        let j = check_text("t.json", &json, &s);
        prop_assert_eq!(&j, &check_text("t.json", &json, &s));
        assert_placed(&j);
        prop_assert_eq!(gist(&a), gist(&j));
        prop_assert_eq!(a.notes, j.notes);
    }
}

/// A document whose every level holds ten aliases of the level below: expanded by copying,
/// the ninth level holds 10^9 strings.
fn billion_laughs(levels: usize) -> String {
    let mut t = String::from("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Metadata:\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..levels {
        let p = i - 1;
        let refs = vec![format!("*l{p}"); 10].join(", ");
        t.push_str(&format!("      l{i}: &l{i} [{refs}]\n"));
    }
    t
}

/// Regression: the reader copies an alias's value into the tree, so an alias bomb would take
/// gigabytes and minutes. It is refused as an unreadable template, at once.
#[test]
fn an_alias_bomb_is_refused_not_expanded() {
    let start = Instant::now();
    let r = check_text("bomb.yaml", &billion_laughs(9), &settings());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    assert_eq!(r.findings[0].rule, "template-unreadable");
    assert!(
        r.findings[0].message.contains("alias"),
        "{}",
        r.findings[0].message
    );
    assert!(
        r.findings[0].line >= 5,
        "placed at the alias that passed the limit"
    );
    // A few aliases of small values are still read.
    let r = check_text("ok.yaml", &billion_laughs(3), &settings());
    assert!(
        !r.findings.iter().any(|f| f.rule == "template-unreadable"),
        "{r:#?}"
    );
}

/// Regression: thousands of nested lists or maps are refused as too deep, not a stack overflow
/// (in the reader, a rule, or dropping the tree).
#[test]
fn deep_nesting_is_refused_or_read_never_a_stack_overflow() {
    for depth in [100, 10_000, 200_000] {
        for (open, close) in [("[", "]"), ("{a: ", "}"), ("- ", "")] {
            // Block lists nest on one line: `- - - 1`.
            let lead = if close.is_empty() { "\n        " } else { "" };
            let body = format!("{lead}{}1{}", open.repeat(depth), close.repeat(depth));
            let t = format!(
                "Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      P: {body}\n"
            );
            assert_placed(&check_text("deep.yaml", &t, &settings()));
            let j = format!(
                "{{\"Resources\": {{\"R\": {{\"Type\": \"AWS::S3::Bucket\", \"Properties\": {{\"P\": {}1{}}}}}}}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            assert_placed(&check_text("deep.json", &j, &settings()));
        }
    }
}
