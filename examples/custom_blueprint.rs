//! A custom blueprint written in Rust, outside harden: a public web entry point's WAF web ACL
//! and the encrypted log group behind it, with the template features a hand-written template
//! would use (parameters with allowed values and patterns, a condition, a mapping, exported
//! outputs).
//!
//! ```sh
//! cargo run --example custom_blueprint -- out/    # writes out/custom-waf.yaml
//! ```
//!
//! Compose controls from `harden_blueprints::controls`, then render with
//! `harden_blueprints::cfn::render`: the model checks references and attributes, and
//! `harden_blueprints::audit` holds the result to harden's least-privilege rules.

use std::path::PathBuf;

use harden_blueprints::blueprint::{Blueprint, BlueprintError, Request, StackSpec};
use harden_blueprints::cfn::generated::kms;
use harden_blueprints::cfn::render::{to_node, to_yaml};
use harden_blueprints::cfn::{Expr, Parameter, Template};
use harden_blueprints::controls::kms_key::{kms_key, KeyUser};
use harden_blueprints::controls::waf::web_acl;
use harden_blueprints::guide::{Cadence, Deviation, Operation};
use harden_blueprints::params::{rules, Param, ParamSpec};
use harden_blueprints::Tier;

struct CustomWaf;

/// A typed parameter: its name, what it sets, its rule and default, in one declaration.
static ACL_NAME: Param<rules::Name> = Param::new(
    "acl_name",
    "the web ACL's name",
    &rules::Name { min: 3, max: 40 },
    "public-entry",
);

static PARAMS: &[&ParamSpec] = &[&ACL_NAME.spec];

impl Blueprint for CustomWaf {
    fn name(&self) -> &'static str {
        "custom-waf"
    }

    fn summary(&self) -> &'static str {
        "a WAF web ACL for a public entry point, with encrypted logs"
    }

    fn source(&self) -> &'static str {
        "examples/custom_blueprint.rs"
    }

    fn params(&self) -> &'static [&'static ParamSpec] {
        PARAMS
    }

    fn deviations(&self) -> &'static [Deviation] {
        // Written from scratch, not from a guide: nothing to depart from.
        &[]
    }

    fn operations(&self) -> &'static [Operation] {
        &[Operation {
            item: "review the requests the web ACL blocked and its rate-limited IPs",
            cadence: Cadence::Monthly,
            from: Tier::Enhanced,
            command: None,
        }]
    }

    fn purposes(&self, _tier: Tier) -> Vec<&'static str> {
        vec!["web ACL and its logs"]
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let name = req.get(&ACL_NAME);
        let mut t = Template::new(format!("custom-waf ({tier}): WAF web ACL {name}"));
        let env = t.parameter(
            "Environment",
            Parameter {
                type_: "String".into(),
                description: Some("Deployment environment".into()),
                default: Some(Expr::str("dev")),
                allowed_values: vec!["dev".into(), "prod".into()],
                ..Parameter::default()
            },
        );
        let owner = t.parameter(
            "OwnerEmail",
            Parameter {
                type_: "String".into(),
                description: Some("Who owns this entry point".into()),
                default: Some(Expr::str("owner@example.com")),
                allowed_pattern: Some("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$".into()),
                constraint_description: Some("an email address".into()),
                ..Parameter::default()
            },
        );
        let is_prod = t.condition("IsProd", Expr::equals(env, Expr::str("prod")));
        t.mappings.insert(
            "Alarm".into(),
            Expr::map([
                ("dev", Expr::map([("Periods", Expr::Int(3))])),
                ("prod", Expr::map([("Periods", Expr::Int(1))])),
            ]),
        );
        let key = kms_key(
            &mut t,
            tier,
            "LogKey",
            &format!("{}/waf", req.name),
            "Encrypts the WAF logs",
            &[KeyUser::Logs],
        );
        let key_arn = key.get_att(kms::KeyAttr::Arn);
        let acl = web_acl(&mut t, tier, "WebAcl", &name, key_arn);
        t.output(
            "WebAclArn",
            "Associate this web ACL with the entry point",
            acl.get_att(harden_blueprints::cfn::generated::wafv2::WebACLAttr::Arn),
            Some(Expr::sub("${AWS::StackName}-WebAclArn")),
        );
        t.output(
            "Periods",
            "Alarm evaluation periods for this environment",
            Expr::FindInMap(
                Box::new(Expr::str("Alarm")),
                Box::new(Expr::r#ref("Environment")),
                Box::new(Expr::str("Periods")),
            ),
            None,
        );
        t.outputs.get_mut("Periods").expect("just added").condition = Some(is_prod);
        t.output("Owner", "Who to call about this entry point", owner, None);
        // The kit's builder lists the controls applied, tags the stack with its blueprint and
        // tier, and sets the tier's stack-level controls.
        Ok(vec![req.stack(t).purpose("web ACL and its logs").build()])
    }
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out".into()));
    let stacks = CustomWaf
        .build("custom-waf", Tier::Enhanced, &[])
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
    std::fs::create_dir_all(&out).expect("output directory");
    for s in stacks {
        let node = to_node(&s.template).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
        let findings = harden_blueprints::audit::audit(&node);
        assert!(findings.is_empty(), "{findings:#?}");
        let path = out.join(format!("{}.yaml", s.name));
        std::fs::write(&path, to_yaml(&node)).expect("write template");
        eprintln!("wrote {}", path.display());
    }
}
