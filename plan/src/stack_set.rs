//! The plan of a CloudFormation StackSet (`harden plan --org`): the stack set's template plan
//! (a [`StackPlan`], so security changes and data at risk read the same as a stack's) and its
//! instances to create, update and remove.

use crate::stack_plan::StackPlan;

/// What the instances are addressed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Accounts (SELF_MANAGED permissions).
    Account,
    /// Organizational units (SERVICE_MANAGED, automatic deployment).
    Ou,
}

impl TargetKind {
    /// `account` or `OU`.
    pub fn word(self) -> &'static str {
        match self {
            TargetKind::Account => "account",
            TargetKind::Ou => "OU",
        }
    }

    /// The StackSets permission model.
    pub fn permission_model(self) -> &'static str {
        match self {
            TargetKind::Account => "SELF_MANAGED",
            TargetKind::Ou => "SERVICE_MANAGED",
        }
    }
}

/// One stack set's plan.
#[derive(Debug, Clone)]
pub struct StackSetPlan {
    /// The template diff of the stack set's template, its security changes and data at risk.
    pub stack: StackPlan,
    /// Whether the stack set exists.
    pub exists: bool,
    /// Accounts or OUs.
    pub kind: TargetKind,
    /// Instances to create: `(account or OU, region)`.
    pub create: Vec<(String, String)>,
    /// Existing instances an update of the template or parameters rolls out to.
    pub update: Vec<(String, String)>,
    /// Instances no longer targeted: removed with `prune`, else listed and kept.
    pub remove: Vec<(String, String)>,
    /// Whether removal was asked for (`--prune`).
    pub prune: bool,
}

impl StackSetPlan {
    /// Whether deploying would change anything.
    pub fn has_changes(&self) -> bool {
        self.stack.has_changes()
            || !self.create.is_empty()
            || (self.prune && !self.remove.is_empty())
    }

    /// Whether the deploy deletes instance stacks (and so what they hold).
    pub fn removes_instances(&self) -> bool {
        self.prune && !self.remove.is_empty()
    }
}
