//! harden's pure core: the typed CloudFormation model, security tiers, the hardened building
//! blocks (controls) and the blueprints composed from them.
//!
//! Nothing here does I/O, async or talks to AWS: it builds templates, so it compiles fast and
//! is tested without a network. The `harden` binary does the rest.

#![warn(missing_docs)]

pub mod audit;
pub mod blueprint;
pub mod blueprints;
pub mod bootstrap;
pub mod cfn;
pub mod control;
pub mod controls;
pub mod guide;
pub mod iam_policy;
pub mod params;
pub mod rules;
pub mod standards;
pub mod tier;

pub use blueprint::{
    controls_of, replica_stack_name, Blueprint, BlueprintError, Request, StackRole, StackSpec,
    Waiver, BLUEPRINT_TAG, REPLICA_REGION_TAG, TIER_TAG,
};
pub use control::Control;
pub use guide::{Cadence, Deviation, HardenCommand, Operation, Verb};
pub use tier::Tier;

/// Every blueprint harden ships, by name.
pub fn all() -> &'static [&'static dyn Blueprint] {
    blueprints::ALL
}

/// The blueprint with this name.
pub fn find(name: &str) -> Option<&'static dyn Blueprint> {
    blueprints::ALL.iter().copied().find(|b| b.name() == name)
}
