//! harden's plan: what deploying a stack would do to an AWS account, before it is done.
//!
//! A CloudFormation change set says which resources change, but not what that means: which
//! change lets more principals in, opens a port to the internet, turns encryption off, stops
//! a control that detects or alerts, waives a control of the tier, or deletes the bucket with
//! the data in it. This crate reads the deployed stack, the desired one and (when there is
//! one) the change set together, and answers those questions in three forms: text for people
//! at a terminal, Markdown for a pull-request comment, JSON for machines (CI gates, approval
//! rules).
//!
//! It is pure: no I/O, no async, no AWS SDK. The engine fetches the deployed template,
//! parameters, tags, stack policy and change set, converts them into [`Deployed`] and
//! [`ChangeSetChange`], and calls [`plan_stack`] once per stack.
//!
//! ```
//! use harden_blueprints::cfn::parse::parse_template;
//! use harden_plan::{plan_stack, render_text, Deployed, Desired, Plan};
//! use indexmap::IndexMap;
//!
//! let old = parse_template("Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 365\n").unwrap();
//! let new = parse_template("Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 30\n").unwrap();
//! let none = IndexMap::new();
//! let desired = Desired { name: "app", template: &new, parameters: &none, tags: &none,
//!                         termination_protection: false, stack_policy: None,
//!                         removed_by_parameters: &[] };
//! let deployed = Deployed { template: old, parameters: none.clone(), tags: none.clone(),
//!                           termination_protection: false, stack_policy: None,
//!                           status: "UPDATE_COMPLETE".into() };
//! let plan = Plan { stacks: vec![plan_stack(&desired, Some(&deployed), None)] };
//! assert!(plan.has_changes());
//! assert!(plan.broadens_access()); // shorter log retention weakens a protection
//! assert!(render_text(&plan, false).contains("shortens `RetentionInDays` from 365 to 30 days"));
//! ```

mod change_set;
mod data_risk;
pub mod drift;
pub mod exports;
pub mod import;
mod input;
mod refs;
mod render;
mod replacement;
mod resource_change;
mod security;
mod stack_change;
mod stack_plan;
mod stack_policy;
mod stack_set;
pub mod validation;
mod value;
mod waiver;

use harden_blueprints::cfn::Node;

pub use change_set::ChangeSetOnly;
pub use data_risk::{Cause, DataRisk, Fate, STATEFUL_TYPES};
pub use input::{ChangeDetail, ChangeSetChange, Deployed, Desired, ParamRemoval};
pub use render::drift::{any_drifted, render_drift_json, render_drift_markdown, render_drift_text};
pub use render::drift_lines;
pub use render::json::{render_json, FORMAT_VERSION};
pub use render::markdown::{render_markdown, MARKDOWN_LIMIT};
pub use render::stack_set::{
    instance_lines, render_stack_set_json, render_stack_set_markdown, render_stack_set_text,
};
pub use render::text::render_text;
pub use replacement::{Basis, Replacement, ReplacementInfo};
pub use resource_change::{Action, PropertyChange, ResourceChange, Section};
pub use security::{SecurityChange, SecurityKind, StatementSummary};
pub use stack_change::StackChange;
pub use stack_plan::{Counts, Plan, StackKind, StackPlan};
pub use stack_set::{StackSetPlan, TargetKind};
pub use value::ValueChange;
pub use waiver::{Waiver, WaiverState};

/// Plans one stack.
///
/// `deployed` is `None` when the stack does not exist yet; a stack in `REVIEW_IN_PROGRESS`
/// (created by a change set nobody executed) is planned as a creation too. `change_set`, when
/// given, confirms or overrides the predicted replacements and adds what only CloudFormation
/// could see (re-evaluated references, dynamic values).
///
/// A resource's replacement is decided once: predicted from the template, then the change
/// set's verdict, and only then followed through references. So what the plan says of a
/// resource that refers to a replaced one, its counts, and its data at risk all read the
/// same verdict.
pub fn plan_stack(
    desired: &Desired,
    deployed: Option<&Deployed>,
    change_set: Option<&[ChangeSetChange]>,
) -> StackPlan {
    let existing =
        deployed.filter(|d| !matches!(d.status.as_str(), "REVIEW_IN_PROGRESS" | "DELETE_COMPLETE"));
    let empty = Node::Map(Default::default());
    let old_template = existing.map_or(&empty, |d| &d.template);
    let old_resources = resource_change::resources(old_template);
    let new_resources = resource_change::resources(desired.template);

    let stack_changes = stack_change::diff(desired, existing);
    let mut resources = resource_change::diff(old_resources, new_resources);
    replacement::predict(&mut resources);
    // The change set's verdict first: propagation reads it, so a resource refers to one
    // "which is replaced" only when the verdict that counts says so.
    if let Some(cs) = change_set {
        change_set::merge(&mut resources, cs);
    }
    if existing.is_some() {
        let changed = stack_change::changed_parameters(&stack_changes);
        replacement::propagate(&mut resources, old_resources, new_resources, &changed);
    }
    for rc in &mut resources {
        rc.change_set_only = change_set::explain(rc, desired.template, old_template);
    }
    resource_change::sort_by_template(&mut resources, old_resources, new_resources);
    let removed_by_parameters: Vec<ParamRemoval> = desired
        .removed_by_parameters
        .iter()
        .filter_map(|r| {
            let removed: Vec<String> = r
                .resources
                .iter()
                .filter(|id| {
                    resources
                        .iter()
                        .any(|rc| rc.logical_id == **id && rc.action == Action::Remove)
                })
                .cloned()
                .collect();
            (!removed.is_empty()).then(|| ParamRemoval {
                resources: removed,
                ..r.clone()
            })
        })
        .collect();
    let waivers = waiver::diff(existing.map(|d| &d.template), desired.template);
    let old_parameters = existing
        .map(|d| stack_change::effective_parameters(&d.template, &d.parameters))
        .unwrap_or_default();
    let new_parameters = stack_change::effective_parameters(desired.template, desired.parameters);
    let ctx = security::Context {
        old_resources,
        new_resources,
        removed_by: &removed_by_parameters,
        old_parameters: &old_parameters,
        new_parameters: &new_parameters,
    };
    let security = security::analyse(&resources, &ctx, desired.name, &waivers);
    let policy_in_force = existing.and_then(|d| d.stack_policy.as_ref());
    let data_risks = data_risk::analyse(&resources, old_resources, new_resources, policy_in_force);

    let kind = match existing {
        None => StackKind::Create,
        Some(d) => {
            let same = d.template == *desired.template
                && stack_changes.is_empty()
                && change_set.is_none_or(<[ChangeSetChange]>::is_empty);
            if same {
                StackKind::NoChanges
            } else {
                StackKind::Update
            }
        }
    };
    let mut notes = Vec::new();
    if let Some(d) = existing {
        if let Some(note) = status_note(&d.status) {
            notes.push(note);
        }
    }
    for rc in &resources {
        if let Some(old_type) = &rc.old_type {
            notes.push(format!(
                "`{}` changes type from `{old_type}` to `{}`: CloudFormation rejects a type change under the same logical id (\"Update of resource type is not permitted\"); give the new resource a new logical id",
                rc.logical_id, rc.resource_type
            ));
        }
    }
    StackPlan {
        name: desired.name.to_string(),
        kind,
        status: deployed.map(|d| d.status.clone()),
        change_set: change_set.is_some(),
        stack_changes,
        resources,
        security,
        data_risks,
        removed_by_parameters,
        waivers,
        notes,
        drift: None,
        reverts: None,
        pre_deployment: None,
    }
}

/// What a stack's status means for an update, when it is not a plain completed state.
fn status_note(status: &str) -> Option<String> {
    let note = match status {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED" => {
            "its creation failed, and CloudFormation cannot update such a stack: delete it, then deploy again"
        }
        "UPDATE_ROLLBACK_FAILED" => {
            "an update failed to roll back: continue the rollback (`ContinueUpdateRollback`) before updating"
        }
        "DELETE_FAILED" => "a deletion failed: the stack is in an unknown state",
        s if s.ends_with("_IN_PROGRESS") => {
            "another operation is running on it: wait for it to finish before deploying"
        }
        _ => return None,
    };
    Some(format!("the stack is `{status}`: {note}"))
}
