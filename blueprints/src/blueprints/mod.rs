//! The architectures harden ships, one module each, and what they share: turning a finished
//! template into a [`StackSpec`] with its controls listed in its metadata.

use indexmap::IndexMap;

use crate::blueprint::{stack_controls, Blueprint, StackRole, StackSpec, BLUEPRINT_TAG, TIER_TAG};
use crate::cfn::{Expr, Template};
use crate::controls::{self, stack_protection};
use crate::tier::Tier;

pub mod account_baseline;
pub mod batch_fargate;
pub mod sagemaker_vpc;

/// Every blueprint.
pub static ALL: &[&dyn Blueprint] = &[
    &sagemaker_vpc::SagemakerVpc,
    &account_baseline::AccountBaseline,
    &batch_fargate::BatchFargate,
];

/// Wraps a finished template: lists the controls it applies (with their CIS and Security Hub
/// ids) and the blueprint's deviations from its guide in `Metadata.harden`, and sets the
/// stack-level controls of the tier.
pub fn finish(
    mut t: Template,
    name: String,
    purpose: &'static str,
    blueprint: &str,
    tier: Tier,
    after: Vec<String>,
    notes: Vec<String>,
) -> StackSpec {
    let termination_protection = stack_protection::TERMINATION_PROTECTION.on(tier);
    let stack_policy = stack_protection::stack_policy(&t, tier);
    let used = stack_controls(&t, termination_protection, stack_policy.is_some());
    let listed: Vec<Expr> = controls::ALL
        .iter()
        .filter(|c| used.contains(&c.id))
        .map(|c| {
            Expr::map([
                ("Id", Expr::str(c.id)),
                ("Tier", Expr::str(c.tier.as_str())),
                ("Cis", Expr::strs(c.cis)),
                ("SecurityHub", Expr::strs(c.security_hub)),
            ])
        })
        .collect();
    let deviations: Vec<Expr> = crate::find(blueprint)
        .map(|b| b.deviations())
        .unwrap_or_default()
        .iter()
        .map(|d| {
            Expr::map([
                ("Guide", Expr::str(d.guide)),
                ("Harden", Expr::str(d.harden)),
                ("Reason", Expr::str(d.reason)),
            ])
        })
        .collect();
    let mut harden = vec![
        ("Blueprint", Expr::str(blueprint)),
        ("Tier", Expr::str(tier.as_str())),
        ("Controls", Expr::List(listed)),
    ];
    if !deviations.is_empty() {
        harden.push(("Deviations", Expr::List(deviations)));
    }
    t.metadata.insert("harden".into(), Expr::map(harden));
    let mut tags = IndexMap::new();
    tags.insert(BLUEPRINT_TAG.to_string(), blueprint.to_string());
    tags.insert(TIER_TAG.to_string(), tier.as_str().to_string());
    let role = if blueprint == account_baseline::NAME {
        StackRole::AccountBaseline
    } else {
        StackRole::Workload
    };
    StackSpec {
        name,
        role,
        purpose,
        template: t,
        parameters: IndexMap::new(),
        tags,
        termination_protection,
        stack_policy,
        after,
        notes,
    }
}
