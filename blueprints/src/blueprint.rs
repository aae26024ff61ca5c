//! What a blueprint is: a named architecture with parameters that composes hardened controls
//! into one or more stacks for a tier.

use indexmap::IndexMap;

use crate::cfn::{Node, Template};
use crate::control::Control;
use crate::controls::{self, stack_protection};
use crate::guide::{Deviation, Operation};
use crate::params::{ParamError, ParamSpec, Params};
use crate::tier::Tier;

/// One CloudFormation stack a blueprint produces, with everything `deploy` needs beside the
/// template.
#[derive(Debug, Clone)]
pub struct StackSpec {
    /// The stack name.
    pub name: String,
    /// What the stack is for, in one line.
    pub purpose: &'static str,
    /// The template.
    pub template: Template,
    /// Stack parameters (none of harden's blueprints need them: values are rendered in).
    pub parameters: IndexMap<String, String>,
    /// Stack tags.
    pub tags: IndexMap<String, String>,
    /// Whether termination protection is on.
    pub termination_protection: bool,
    /// The stack policy, if the tier sets one.
    pub stack_policy: Option<Node>,
    /// Stacks that must be deployed before this one (their exports are imported here).
    pub after: Vec<String>,
    /// Things the user should know about this stack as rendered (a missing alert email).
    pub notes: Vec<String>,
}

impl StackSpec {
    /// Every control the stack applies, in first-applied order: those that shaped its
    /// resources, then termination protection and the stack policy where the stack sets them.
    pub fn controls(&self) -> Vec<&'static str> {
        stack_controls(
            &self.template,
            self.termination_protection,
            self.stack_policy.is_some(),
        )
    }
}

/// The controls of a stack with this template and these stack-level settings.
pub(crate) fn stack_controls(
    t: &Template,
    termination_protection: bool,
    stack_policy: bool,
) -> Vec<&'static str> {
    let mut used = t.controls();
    if termination_protection {
        used.push(stack_protection::TERMINATION_PROTECTION.id);
    }
    if stack_policy {
        used.push(stack_protection::STACK_POLICY.id);
    }
    used
}

/// The controls that a set of stacks applies, in [`controls::ALL`] order (tier order), each
/// once. What `harden blueprints` lists per tier: computed from a render, never declared.
pub fn controls_of(stacks: &[StackSpec]) -> Vec<&'static Control> {
    let used: Vec<&'static str> = stacks.iter().flat_map(StackSpec::controls).collect();
    controls::ALL
        .iter()
        .copied()
        .filter(|c| used.contains(&c.id))
        .collect()
}

/// A request to build a blueprint: the stack name prefix, the tier and the parameters.
#[derive(Debug, Clone)]
pub struct Request {
    /// Stack names derive from it.
    pub name: String,
    /// The tier.
    pub tier: Tier,
    /// The validated parameters.
    pub params: Params,
}

/// A problem building a blueprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlueprintError {
    /// A parameter problem.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A combination of values the architecture cannot honour.
    #[error("{0}")]
    Invalid(String),
}

/// An architecture harden can render.
pub trait Blueprint: Sync {
    /// The name users pass to `--blueprint`.
    fn name(&self) -> &'static str;
    /// One line on what it builds.
    fn summary(&self) -> &'static str;
    /// The hardening guide it comes from, as a user would look it up (its title, or its
    /// source in words), never a path in harden's repository.
    fn source(&self) -> &'static str;
    /// Where it departs from that guide, and why: written into every stack's
    /// `Metadata.harden.Deviations` and shown by `harden blueprints`.
    fn deviations(&self) -> &'static [Deviation];
    /// The guide's process items (reviews, incident response, contacts) as an operations
    /// checklist, each with the harden command that serves it where there is one.
    fn operations(&self) -> &'static [Operation];
    /// The parameters it accepts.
    fn params(&self) -> &'static [ParamSpec];
    /// The stacks it produces at a tier, by purpose (for listings).
    fn stack_purposes(&self, tier: Tier) -> Vec<&'static str>;
    /// Builds the stacks for a request, in deployment order.
    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError>;

    /// Validates raw parameters and builds.
    fn build(
        &self,
        name: &str,
        tier: Tier,
        raw: &[(String, String)],
    ) -> Result<Vec<StackSpec>, BlueprintError> {
        let params = Params::resolve(self.name(), self.params(), raw)?;
        self.stacks(&Request {
            name: name.to_string(),
            tier,
            params,
        })
    }
}
