//! What a blueprint is: a named architecture with parameters that composes hardened controls
//! into one or more stacks for a tier.

use indexmap::IndexMap;

use crate::cfn::{Node, Template};
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
    /// The hardening guide it comes from.
    fn source(&self) -> &'static str;
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
