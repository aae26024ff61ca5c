//! The plan of one stack, and of a deployment of several.

use crate::data_risk::DataRisk;
use crate::input::ParamRemoval;
use crate::resource_change::{Action, ResourceChange};
use crate::security::SecurityChange;
use crate::stack_change::StackChange;
use crate::waiver::Waiver;

/// What happens to the stack as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackKind {
    /// There is no deployed stack (or only one that a change set created and nobody
    /// executed): every resource is added.
    Create,
    /// The stack exists and something differs.
    Update,
    /// Template, parameters, tags, termination protection and stack policy are all equal.
    NoChanges,
}

impl StackKind {
    /// `create`, `update`, `no_changes`.
    pub fn as_str(self) -> &'static str {
        match self {
            StackKind::Create => "create",
            StackKind::Update => "update",
            StackKind::NoChanges => "no_changes",
        }
    }
}

/// How many resources each kind of change touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Added.
    pub add: usize,
    /// Updated in place (including `Dynamic` re-evaluations).
    pub change: usize,
    /// Replaced, or possibly replaced.
    pub replace: usize,
    /// Removed.
    pub remove: usize,
    /// Imported.
    pub import: usize,
}

/// Everything a deployment would do to one stack.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlan {
    /// The stack name.
    pub name: String,
    /// Create, update or nothing.
    pub kind: StackKind,
    /// The deployed stack's status, if it exists.
    pub status: Option<String>,
    /// Whether a change set was read into the plan.
    pub change_set: bool,
    /// Parameters, tags, termination protection, stack policy, outputs, other sections.
    pub stack_changes: Vec<StackChange>,
    /// Resources added, changed, replaced, removed; in template order.
    pub resources: Vec<ResourceChange>,
    /// Changes that broaden or narrow access, or weaken or add protections.
    pub security: Vec<SecurityChange>,
    /// Stateful resources removed or replaced.
    pub data_risks: Vec<DataRisk>,
    /// Resources removed because a parameter given before is no longer given: the entries
    /// the engine handed over, each keeping only the resources this plan removes (an entry
    /// left with none is dropped). Those resources stay in [`StackPlan::resources`] too, as
    /// removals, and are counted there.
    pub removed_by_parameters: Vec<ParamRemoval>,
    /// The controls waived in the desired template (added or kept), then those the
    /// deployment lifts.
    pub waivers: Vec<Waiver>,
    /// Things to know before deploying (a stack that cannot be updated, a type change
    /// CloudFormation rejects, ...).
    pub notes: Vec<String>,
    /// The deployed stack's drift, when it was read ([`crate::drift::mark`]ed against this
    /// plan).
    pub drift: Option<crate::drift::StackDrift>,
    /// What a drift-aware change set (`deploy --revert-drift`) brings back to the template,
    /// when the plan was made with one.
    pub reverts: Option<crate::drift::Reverts>,
    /// What CloudFormation's pre-deployment validation and the account's hooks said of the
    /// stack's change set, when one was made and they said anything.
    pub pre_deployment: Option<crate::validation::PreDeployment>,
}

impl StackPlan {
    /// Whether deploying would change anything.
    pub fn has_changes(&self) -> bool {
        self.kind != StackKind::NoChanges
    }

    /// Whether any change broadens access or removes a protection.
    pub fn broadens_access(&self) -> bool {
        self.security.iter().any(|s| s.broadens)
    }

    /// Whether the plan would undo a security-relevant change made outside CloudFormation.
    pub fn overwrites_security_drift(&self) -> bool {
        self.drift
            .as_ref()
            .is_some_and(|d| d.resources.iter().any(|r| r.security_overwrite()))
    }

    /// Whether any data would be lost (see [`DataRisk::loses_data`]).
    pub fn data_at_risk(&self) -> bool {
        self.data_risks.iter().any(DataRisk::loses_data)
    }

    /// What this plan of a stack does that `approved`, an earlier plan of the same stack,
    /// did not show: each resource whose data it puts at risk, each resource it replaces or
    /// removes, and each change that broadens access, that `approved` lacks; one line each,
    /// empty when it does nothing more.
    pub fn beyond(&self, approved: &StackPlan) -> Vec<String> {
        let mut out = Vec::new();
        let mut named: Vec<&str> = Vec::new();
        for r in self.data_risks.iter().filter(|r| r.loses_data()) {
            let shown = approved
                .data_risks
                .iter()
                .any(|a| a.loses_data() && a.logical_id == r.logical_id);
            if !shown {
                named.push(&r.logical_id);
                out.push(format!(
                    "puts the data of `{}` ({}) at risk",
                    r.logical_id, r.resource_type
                ));
            }
        }
        // Replacements and removals of resources without data: a new physical resource (a
        // new name, a new id other stacks or clients hold) is a change of its own.
        for rc in &self.resources {
            if named.contains(&rc.logical_id.as_str()) {
                continue;
            }
            let same = |a: &&ResourceChange| a.logical_id == rc.logical_id;
            if rc.replaces() && !approved.resources.iter().filter(same).any(|a| a.replaces()) {
                out.push(format!(
                    "replaces `{}` ({}), which the approved plan did not",
                    rc.logical_id, rc.resource_type
                ));
            } else if rc.action == Action::Remove
                && !approved
                    .resources
                    .iter()
                    .filter(same)
                    .any(|a| a.action == Action::Remove)
            {
                out.push(format!(
                    "removes `{}` ({}), which the approved plan did not",
                    rc.logical_id, rc.resource_type
                ));
            }
        }
        for s in self.security.iter().filter(|s| s.broadens) {
            let shown = approved.security.iter().any(|a| {
                a.broadens && a.logical_id == s.logical_id && a.description == s.description
            });
            if !shown {
                out.push(format!("on `{}`: {}", s.logical_id, s.description));
            }
        }
        out
    }

    /// The entry of [`StackPlan::removed_by_parameters`] that removes `logical_id`, if any.
    pub fn removed_by(&self, logical_id: &str) -> Option<&ParamRemoval> {
        self.removed_by_parameters
            .iter()
            .find(|r| r.resources.iter().any(|id| id == logical_id))
    }

    /// The resource changes, counted by kind. Reads the same verdict as every form of the
    /// plan ([`ResourceChange::replaces`]), so the summary and the body agree.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for rc in &self.resources {
            match rc.action {
                Action::Add => c.add += 1,
                Action::Remove => c.remove += 1,
                Action::Import => c.import += 1,
                Action::Modify | Action::Dynamic if rc.replaces() => c.replace += 1,
                Action::Modify | Action::Dynamic => c.change += 1,
            }
        }
        c
    }
}

/// The plan of a deployment: one entry per stack, in deployment order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The stacks.
    pub stacks: Vec<StackPlan>,
}

impl Plan {
    /// Why CloudFormation refused a stack's change set (the first such stack, in deployment
    /// order), as the headline of an error; `None` if it refused none.
    pub fn refusal(&self) -> Option<String> {
        self.stacks
            .iter()
            .find_map(|s| s.pre_deployment.as_ref().and_then(|p| p.cause(&s.name)))
    }

    /// Whether deploying would change any stack.
    pub fn has_changes(&self) -> bool {
        self.stacks.iter().any(StackPlan::has_changes)
    }

    /// Whether any stack would lose data.
    pub fn data_at_risk(&self) -> bool {
        self.stacks.iter().any(StackPlan::data_at_risk)
    }

    /// Whether any change in any stack broadens access or removes a protection.
    pub fn broadens_access(&self) -> bool {
        self.stacks.iter().any(StackPlan::broadens_access)
    }

    /// Whether any stack's plan undoes a security-relevant drift.
    pub fn overwrites_security_drift(&self) -> bool {
        self.stacks.iter().any(StackPlan::overwrites_security_drift)
    }
}
