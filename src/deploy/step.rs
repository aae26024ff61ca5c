//! One stack of a deployment, typed: what `harden deploy` executes, and what `harden plan
//! --out` saves (serialised with serde) for `harden deploy --plan` to execute. Both build it
//! with [`Step::of`] from a prepared stack, so a saved plan runs exactly as a direct deploy.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::digest::template_sha256;
use super::prepare::{Pending, Prepared};
use super::stack::TemplateSource;

/// One stack to deploy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Stack name.
    pub name: String,
    /// The blueprint the stack is tagged with (`harden:blueprint`).
    pub blueprint: String,
    /// The stack's id (`None`: it does not exist yet).
    pub stack_id: Option<String>,
    /// The change set to execute, if the stack's template, parameters or tags change and it
    /// could be made when the plan was.
    pub change_set_arn: Option<String>,
    /// SHA-256 of the deployed template when the plan was made (`None`: nothing was
    /// deployed). If the stack's template differs when the step runs, the plan is stale.
    pub deployed_template_sha256: Option<String>,
    /// SHA-256 of the template body the change set carries.
    pub template_sha256: String,
    /// The stack parameters the change set carries.
    pub parameters: IndexMap<String, String>,
    /// The stack tags the change set carries.
    pub tags: IndexMap<String, String>,
    /// Termination protection wanted.
    pub termination_protection: bool,
    /// Stack policy wanted (JSON text).
    pub stack_policy: Option<String>,
    /// The stack is a deployed stack harden did not create, adopted with `--adopt`.
    pub adopting: bool,
    /// Resources touched (for the progress bar).
    pub resources_touched: u64,
    /// The change set is made when this step runs, after the stacks it waits for.
    pub deferred: Option<Deferred>,
    /// The stack's region, when it is not the deployment's own (a replica stack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A change set made when its step runs: the stack imports exports that earlier stacks of
/// the deployment create, and CloudFormation may refuse a change set whose imports do not
/// exist yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deferred {
    /// The stacks whose exports it imports, in deployment order.
    pub after: Vec<String>,
    /// The export names it imports that did not exist when the plan was made.
    pub exports: Vec<String>,
    /// The template body (compact JSON): what the step's check of CloudFormation's change
    /// set compares against.
    pub body: String,
    /// The template as it travels (the body, or its URL in the artifact bucket).
    pub template: TemplateSource,
    /// The service role the change set acts as (`None`: the caller).
    pub role_arn: Option<String>,
}

impl Step {
    /// The step of a prepared stack.
    pub fn of(p: &Prepared) -> Step {
        Step {
            name: p.name.clone(),
            blueprint: p
                .tags
                .get(harden_blueprints::BLUEPRINT_TAG)
                .cloned()
                .unwrap_or_default(),
            stack_id: p.stack_id.clone(),
            change_set_arn: p.change_set.clone(),
            deployed_template_sha256: p.deployed_sha256.clone(),
            template_sha256: template_sha256(&p.body),
            parameters: p.parameters.clone(),
            tags: p.tags.clone(),
            termination_protection: p.termination_protection,
            stack_policy: p
                .stack_policy
                .as_ref()
                .map(harden_blueprints::cfn::render::to_json),
            adopting: p.adopting,
            resources_touched: p.touched,
            deferred: p.deferred.as_ref().map(|w| Deferred {
                after: w.stacks.clone(),
                exports: w.exports.clone(),
                body: p.body.clone(),
                template: p
                    .template
                    .clone()
                    .unwrap_or_else(|| TemplateSource::Body(p.body.clone())),
                role_arn: p.role_arn.clone(),
            }),
            region: p.region.clone(),
        }
    }

    /// Its change set, as one that has not run yet.
    pub fn pending(&self) -> Option<Pending> {
        self.change_set_arn.as_ref().map(|cs| Pending {
            stack: self.name.clone(),
            stack_id: self.stack_id.clone().unwrap_or_else(|| self.name.clone()),
            change_set: cs.clone(),
            empty_stack: self.deployed_template_sha256.is_none(),
            region: self.region.clone(),
        })
    }

    /// The stack policy wanted, as a tree.
    pub fn policy(&self) -> anyhow::Result<Option<harden_blueprints::cfn::Node>> {
        use anyhow::Context;
        self.stack_policy
            .as_deref()
            .map(harden_blueprints::cfn::parse::parse)
            .transpose()
            .with_context(|| format!("reading the stack policy of stack `{}`", self.name))
    }

    /// Whether running it changes the stack's template, parameters or tags.
    pub fn changes_stack(&self) -> bool {
        self.change_set_arn.is_some() || self.deferred.is_some()
    }
}
