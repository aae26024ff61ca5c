//! Preparing a deployment: render each stack, read what is deployed, refuse stacks in a state
//! that cannot take a change (with the way out), compare client-side, and create change sets
//! to confirm the preview. Shared by `plan` and `deploy`.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Result};
use aws_sdk_cloudformation::Client;
use harden_blueprints::cfn::{self, Node};
use harden_plan::{plan_stack, Deployed, Desired, Plan, StackChange, StackKind, StackPlan};
use indexmap::IndexMap;

use harden_blueprints::{StackRole, BLUEPRINT_TAG};

use super::events::{first_cause, StackEvent};
use super::ownership::{self, Intent, Owner};
use super::stack::{self, ChangeSetRequest, ChangeSetState, StackInfo};
use crate::exit::with_notes;
use crate::settings::Selection;

/// One stack, ready to deploy.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Stack name.
    pub name: String,
    /// What the stack is to the account.
    pub role: StackRole,
    /// The stack exists but harden did not create it, and the user asked to adopt it.
    pub adopting: bool,
    /// What is deployed now, if anything.
    pub info: Option<StackInfo>,
    /// The stack's id, once it exists (a create change set creates it empty).
    pub stack_id: Option<String>,
    /// SHA-256 of the deployed template body, if a template is deployed.
    pub deployed_sha256: Option<String>,
    /// The desired template tree.
    pub node: Node,
    /// The body sent to CloudFormation: compact JSON (the template body limit is 51,200 bytes).
    pub body: String,
    /// Parameters.
    pub parameters: IndexMap<String, String>,
    /// Tags.
    pub tags: IndexMap<String, String>,
    /// Termination protection wanted.
    pub termination_protection: bool,
    /// Stack policy wanted.
    pub stack_policy: Option<Node>,
    /// The change set created for it, if its template, parameters or tags change.
    pub change_set: Option<String>,
    /// Resources the change touches (for the progress bar).
    pub touched: u64,
}

/// Which change sets to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSets {
    /// Only for deployed stacks (to confirm the preview).
    ConfirmExisting,
    /// For every stack with changes (to deploy, or to save the plan).
    All,
}

/// CloudFormation's limit on `TemplateBody`, in bytes.
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;

/// The compact JSON body of a template.
pub fn body(node: &Node) -> String {
    serde_json::to_string(&cfn::render::to_json_value(node)).expect("a node tree is valid JSON")
}

/// Prepares every stack of a selection, in deployment order. `delete_failed` allows deleting
/// a stack whose first create failed (`ROLLBACK_COMPLETE`) before creating it again.
pub async fn prepare(
    c: &Client,
    sel: &Selection,
    sets: ChangeSets,
) -> Result<(Vec<Prepared>, Plan)> {
    // The same build, checks and least-privilege audit as `harden render`.
    let rendered = crate::render::render_stacks(sel, cfn::Format::Json)?;
    if rendered.is_empty() {
        bail!(
            "blueprint `{}` has no stacks at tier `{}`\nhint: its stacks start at a higher tier (`harden blueprints` lists them)",
            sel.blueprint.name(),
            sel.tier
        );
    }
    // What is deployed, and whether harden may touch it: every refusal comes before any
    // change set exists.
    let mut found = Vec::new();
    for r in &rendered {
        let info = stack::describe(c, &r.spec.name).await?;
        let adopting = match &info {
            Some(i) => {
                let owner = r
                    .spec
                    .tags
                    .get(BLUEPRINT_TAG)
                    .map(String::as_str)
                    .unwrap_or("");
                let adopting = ownership::check(
                    i,
                    owner,
                    Intent::Deploy,
                    sel.adopt,
                    &format!("harden plan {} --adopt", sel.flags()),
                )?;
                refuse_unusable(c, i, sel, r.spec.role).await?;
                adopting
            }
            None => false,
        };
        found.push((info, adopting));
    }
    let mut prepared = Vec::new();
    let mut plans = Vec::new();
    let mut created: Vec<Pending> = Vec::new();
    let result = async {
        for (crate::render::Rendered { spec, node, .. }, (info, adopting)) in
            rendered.into_iter().zip(found)
        {
            let (deployed, deployed_sha256): (Option<Deployed>, Option<String>) = match &info {
                Some(i) if i.status != "REVIEW_IN_PROGRESS" => {
                    let sha = super::saved::template_sha256(&stack::template_body(c, i).await?);
                    (Some(stack::deployed(c, i).await?), Some(sha))
                }
                _ => (None, None),
            };
            let mut stack_id = info.as_ref().map(|i| i.id.clone());
            let desired = Desired {
                name: &spec.name,
                template: &node,
                parameters: &spec.parameters,
                tags: &spec.tags,
                termination_protection: spec.termination_protection,
                stack_policy: spec.stack_policy.as_ref(),
                removed_by_parameters: &[],
            };
            let mut plan = plan_stack(&desired, deployed.as_ref(), None);
            if adopting {
                plan.notes.push(adoption_note(info.as_ref()));
            }
            let body = body(&node);
            if body.len() > TEMPLATE_BODY_LIMIT {
                bail!(
                    "stack `{}` renders to {} bytes of compact JSON, over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte limit for a template body\nhint: harden does not upload templates to S3 yet; split the blueprint or lower the tier",
                    spec.name,
                    body.len()
                );
            }
            let mut change_set = None;
            let wants_set = needs_change_set(&plan) && (deployed.is_some() || sets == ChangeSets::All);
            if wants_set {
                let name = format!("harden-{}", SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0));
                let (arn, id) = stack::create_change_set(
                    c,
                    &ChangeSetRequest {
                        stack: &spec.name,
                        name: &name,
                        body: &body,
                        parameters: &spec.parameters,
                        tags: &spec.tags,
                        update: info.as_ref().is_some_and(|i| i.status != "REVIEW_IN_PROGRESS"),
                    },
                )
                .await?;
                let pending = Pending {
                    stack: spec.name.clone(),
                    stack_id: id.clone(),
                    change_set: arn.clone(),
                    empty_stack: deployed.is_none(),
                };
                stack_id = Some(id);
                created.push(pending.clone());
                match stack::wait_change_set(c, &spec.name, &arn).await? {
                    ChangeSetState::Ready => {
                        let changes = stack::change_set_changes(c, &spec.name, &arn).await?;
                        plan = plan_stack(&desired, deployed.as_ref(), Some(&changes));
                        if adopting {
                            plan.notes.push(adoption_note(info.as_ref()));
                        }
                        change_set = Some(arn);
                    }
                    ChangeSetState::Empty => {
                        created.retain(|p| p.change_set != arn);
                        let _ = cleanup(c, &[pending]).await;
                        found_no_changes(&mut plan);
                    }
                    ChangeSetState::Failed(reason) => {
                        created.retain(|p| p.change_set != arn);
                        let note = cleanup(c, &[pending]).await;
                        return Err(with_notes(
                            anyhow::anyhow!("CloudFormation could not create a change set for stack `{}`: {reason}", spec.name),
                            &note,
                        ));
                    }
                }
            }
            let touched = plan.resources.len() as u64;
            prepared.push(Prepared {
                name: spec.name.clone(),
                role: spec.role,
                adopting,
                info,
                stack_id,
                deployed_sha256,
                node,
                body,
                parameters: spec.parameters.clone(),
                tags: spec.tags.clone(),
                termination_protection: spec.termination_protection,
                stack_policy: spec.stack_policy.clone(),
                change_set,
                touched,
            });
            plans.push(plan);
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = result {
        let cleaned = cleanup(c, &created).await;
        return Err(with_notes(e, &cleaned));
    }
    Ok((prepared, Plan { stacks: plans }))
}

/// Whether CloudFormation must carry the change: anything but termination protection and the
/// stack policy, which are set by their own calls.
pub fn needs_change_set(p: &StackPlan) -> bool {
    p.kind == StackKind::Create
        || !p.resources.is_empty()
        || p.stack_changes.iter().any(|c| {
            !matches!(
                c,
                StackChange::TerminationProtection { .. } | StackChange::StackPolicy { .. }
            )
        })
}

/// CloudFormation found nothing to change in what the client saw as a template change: keep
/// only the changes harden makes itself (termination protection, stack policy).
fn found_no_changes(p: &mut StackPlan) {
    p.resources.clear();
    p.security.clear();
    p.data_risks.clear();
    p.stack_changes.retain(|c| {
        matches!(
            c,
            StackChange::TerminationProtection { .. } | StackChange::StackPolicy { .. }
        )
    });
    if p.stack_changes.is_empty() {
        p.kind = StackKind::NoChanges;
    }
    p.notes.push("CloudFormation found nothing to change in the template, parameters or tags; its empty change set was deleted".into());
}

/// A change set that has not run, and whether its stack is the empty one it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Stack name.
    pub stack: String,
    /// Stack id.
    pub stack_id: String,
    /// Change set ARN.
    pub change_set: String,
    /// The stack is the empty `REVIEW_IN_PROGRESS` stack a create change set makes.
    pub empty_stack: bool,
}

impl Prepared {
    /// The change set of this stack, if it has one that has not run.
    pub fn pending(&self) -> Option<Pending> {
        self.change_set.as_ref().map(|cs| Pending {
            stack: self.name.clone(),
            stack_id: self.stack_id.clone().unwrap_or_else(|| self.name.clone()),
            change_set: cs.clone(),
            empty_stack: self
                .info
                .as_ref()
                .is_none_or(|i| i.status == "REVIEW_IN_PROGRESS"),
        })
    }
}

/// Deletes change sets that will not run, and the empty stacks create change sets made, so
/// nothing is left behind; says what it did.
pub async fn cleanup(c: &Client, pending: &[Pending]) -> String {
    let mut lines = Vec::new();
    for p in pending {
        let stack = &p.stack;
        match stack::delete_change_set(c, stack, &p.change_set).await {
            Ok(()) => lines.push(format!(
                "deleted the unexecuted change set of stack `{stack}`"
            )),
            Err(e) => lines.push(format!(
                "could not delete change set {} of stack `{stack}`: {e:#}; delete it by hand",
                p.change_set
            )),
        }
        if p.empty_stack {
            match stack::delete_stack(c, &p.stack_id, stack).await {
                Ok(()) => lines.push(format!("deleted the empty stack `{stack}` the change set had created")),
                Err(e) => lines.push(format!("could not delete the empty stack `{stack}` (REVIEW_IN_PROGRESS): {e:#}; delete it by hand")),
            }
        }
    }
    lines.join("\n")
}

/// What the plan says of a stack being adopted.
fn adoption_note(info: Option<&StackInfo>) -> String {
    let owner = info.map(Owner::of).unwrap_or(Owner::Other);
    format!(
        "ADOPTING this stack ({}, `--adopt`): from now on harden manages it, and every resource of it that the blueprint does not have is removed",
        owner.describe()
    )
}

/// Stacks in a state that cannot take a change are refused with what to do about it; each
/// hint names the blueprint that owns the stack (the account baseline is its own).
async fn refuse_unusable(
    c: &Client,
    i: &StackInfo,
    sel: &Selection,
    role: StackRole,
) -> Result<()> {
    let name = &i.name;
    let target = sel.target();
    let owner_flags = target.flags_for(role);
    match i.status.as_str() {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED" => {
            let events = stack::events_after(c, &i.id, None).await.unwrap_or_default();
            let cause = first_cause(&events).map(StackEvent::summary)
                .or_else(|| i.reason.clone())
                .unwrap_or_else(|| "no cause recorded".into());
            bail!(
                "stack `{name}` failed its first create and is {}: {cause}\nhint: it cannot be updated; delete it with `harden destroy {owner_flags}`, then deploy again",
                i.status,
            );
        }
        "UPDATE_ROLLBACK_FAILED" => bail!(
            "stack `{name}` is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback{}\nhint: fix what blocked the rollback, then run `aws cloudformation continue-update-rollback --stack-name {name}` (add `--resources-to-skip` for resources that cannot roll back), and deploy again",
            i.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        "DELETE_FAILED" => bail!(
            "stack `{name}` is DELETE_FAILED{}\nhint: remove what blocked the deletion and run `harden destroy {owner_flags}` again",
            i.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default(),
        ),
        s if s.ends_with("_IN_PROGRESS") && s != "REVIEW_IN_PROGRESS" => bail!(
            "stack `{name}` is busy ({s})\nhint: wait for it with `harden status --watch {owner_flags}`",
        ),
        _ => Ok(()),
    }
}

/// The stack plans of a prepared deployment, for callers that need them by name.
pub fn by_name<'a>(plan: &'a Plan, name: &str) -> Option<&'a StackPlan> {
    plan.stacks.iter().find(|s| s.name == name)
}
