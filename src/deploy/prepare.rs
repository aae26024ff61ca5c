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
use super::names::{self, Creating};
use super::ownership::{self, Intent, Owner};
use super::retained::{self, Earlier};
use super::stack::{self, ChangeSetKind, ChangeSetRequest, ChangeSetState, StackInfo};
use crate::exit::refuse;
use crate::exit::with_notes;
use crate::settings::Selection;
use harden_blueprints::cfn::physical::{fixed_names, Place};
use harden_plan::import::{plan_import, ImportPlan};
use harden_plan::{Action, ParamRemoval};

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
    /// The change set is a resource import of retained resources, and an update to `body`
    /// follows it once it has run.
    pub imports: bool,
}

/// Which change sets to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSets {
    /// Only for deployed stacks (to confirm the preview).
    ConfirmExisting,
    /// For every stack with changes, to deploy.
    All,
    /// For every stack with changes, to save the plan (`plan --out`).
    Saved,
}

/// Bringing back what an earlier stack of the same name retained.
struct Import {
    earlier: Earlier,
    plan: ImportPlan,
}

/// What an earlier deleted stack of this name retained, and how it comes back. Retained
/// resources that cannot come back but hold a name the new stack fixes are refused here (exit
/// 5): the create would fail on them half-way.
async fn plan_retained(
    c: &Client,
    name: &str,
    blueprint: &str,
    node: &Node,
) -> Result<Option<Import>> {
    let Some(earlier) = retained::find(c, name, blueprint).await? else {
        return Ok(None);
    };
    let plan = plan_import(node, &earlier.retained);
    let fixed: Vec<String> = fixed_names(
        node,
        &Place {
            stack_name: name,
            ..Place::default()
        },
    )
    .into_iter()
    .filter_map(|f| f.physical_id)
    .collect();
    if let Some((r, why)) = plan
        .skipped
        .iter()
        .find(|(r, _)| fixed.contains(&r.physical_id))
    {
        return refuse(format!(
            "stack `{name}` was deleted on {} and kept `{}` ({}, `{}`), whose name the new stack fixes; harden cannot bring it back because {why}, so the create would fail on it\nhint: delete `{}` if its data is no longer needed, then deploy again",
            earlier.deleted, r.logical_id, r.resource_type, r.physical_id, r.physical_id
        ));
    }
    Ok(Some(Import { earlier, plan }))
}

/// The resources this plan removes because a parameter the deployed stack was rendered with
/// (its `Metadata.harden.Parameters`) is no longer given: those that a render with the old
/// value added back has and this one lacks.
fn removed_by_parameters(
    sel: &Selection,
    stack: &str,
    deployed: &Node,
    desired: &Node,
) -> Vec<ParamRemoval> {
    let Some(earlier) = deployed
        .get_path(&["Metadata", "harden", "Parameters"])
        .and_then(Node::as_map)
    else {
        return Vec::new();
    };
    let have: Vec<&String> = desired
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (k, v) in earlier {
        let Some(v) = v.as_str() else { continue };
        if sel.params.iter().any(|(given, _)| given == k) {
            continue;
        }
        let mut params = sel.params.clone();
        params.push((k.clone(), v.to_string()));
        let Ok(stacks) = sel
            .blueprint
            .build_waived(&sel.name, sel.tier, &params, &sel.waivers)
        else {
            continue;
        };
        let Some(alt) = stacks
            .iter()
            .find(|s| s.name == stack)
            .and_then(|s| cfn::to_node(&s.template).ok())
        else {
            continue;
        };
        let resources: Vec<String> = alt
            .get_path(&["Resources"])
            .and_then(Node::as_map)
            .map(|m| m.keys().filter(|id| !have.contains(id)).cloned().collect())
            .unwrap_or_default();
        if !resources.is_empty() {
            out.push(ParamRemoval {
                parameter: k.clone(),
                previous: v.to_string(),
                resources,
            });
        }
    }
    out
}

/// The account baseline is shared by every workload of the account and region, so a
/// workload's deploy brings it up to the workload's tier and adds the baseline parameters it
/// gives, but never lowers the deployed baseline's tier nor drops or changes a parameter it
/// was deployed with: those are kept, the baseline is rendered with them, and a note says so.
/// Lowering it is a deploy of the baseline itself (`--blueprint account-baseline`).
async fn keep_baseline(
    c: &Client,
    sel: &Selection,
    rendered: Vec<crate::render::Rendered>,
) -> Result<Vec<crate::render::Rendered>> {
    use harden_blueprints::blueprints::account_baseline::{self, AccountBaseline};
    use harden_blueprints::{Blueprint, TIER_TAG};
    if sel.blueprint.name() == account_baseline::NAME
        || !rendered
            .iter()
            .any(|r| r.spec.role == StackRole::AccountBaseline)
    {
        return Ok(rendered);
    }
    let Some(info) = stack::describe(c, account_baseline::STACK_NAME).await? else {
        return Ok(rendered);
    };
    if info.tags.get(BLUEPRINT_TAG).map(String::as_str) != Some(account_baseline::NAME)
        || info.in_progress()
    {
        // Not harden's baseline, or busy: the checks that follow refuse it with the reason.
        return Ok(rendered);
    }
    let deployed_tier = info
        .tags
        .get(TIER_TAG)
        .and_then(|t| t.parse::<harden_blueprints::Tier>().ok())
        .unwrap_or(sel.tier);
    let deployed = stack::deployed(c, &info).await?;
    let recorded: Vec<(String, String)> = deployed
        .template
        .get_path(&["Metadata", "harden", "Parameters"])
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let own: Vec<&str> = account_baseline::PARAMS.iter().map(|p| p.name).collect();
    let given: Vec<(String, String)> = sel
        .params
        .iter()
        .filter(|(k, _)| own.contains(&k.as_str()))
        .cloned()
        .collect();
    let mut kept: Vec<String> = Vec::new();
    let mut params = given.clone();
    for (k, v) in &recorded {
        match given.iter().find(|(g, _)| g == k) {
            Some((_, gv)) if gv != v => {
                // Changing a value the baseline was deployed with is the baseline's own deploy.
                params.retain(|(g, _)| g != k);
                params.push((k.clone(), v.clone()));
                kept.push(format!("`{k}={v}` (not `{gv}`)"));
            }
            Some(_) => {}
            None => {
                params.push((k.clone(), v.clone()));
                kept.push(format!("`{k}={v}`"));
            }
        }
    }
    let tier = sel.tier.max(deployed_tier);
    if tier == sel.tier && kept.is_empty() {
        return Ok(rendered);
    }
    params.sort();
    let base_sel = Selection {
        blueprint: &AccountBaseline,
        tier,
        name: AccountBaseline.default_stack_name().to_string(),
        params,
        waivers: Vec::new(),
        adopt: sel.adopt,
        tags: Vec::new(),
        aws_flags: sel.aws_flags.clone(),
        origin: None,
    };
    let mut out = crate::render::render_stacks(&base_sel, cfn::Format::Json)?;
    let mut what = Vec::new();
    if tier > sel.tier {
        what.push(format!("tier `{tier}`"));
    }
    what.extend(kept);
    let note = format!(
        "the shared account baseline keeps {} it was deployed with: a workload's deploy never lowers it or drops its settings\nhint: to change them, deploy the baseline itself: `harden deploy --blueprint account-baseline --tier {}`",
        what.join(", "),
        sel.tier
    );
    if let Some(first) = out.first_mut() {
        first.spec.notes.push(note);
    }
    out.extend(
        rendered
            .into_iter()
            .filter(|r| r.spec.role != StackRole::AccountBaseline),
    );
    Ok(out)
}

/// Marks the resources a create imports, and says where they come from.
fn mark_imports(plan: &mut StackPlan, i: &Import) {
    for rc in &mut plan.resources {
        if i.plan
            .resources
            .iter()
            .any(|x| x.logical_id == rc.logical_id)
        {
            rc.action = Action::Import;
        }
    }
    if i.plan.is_empty() {
        return;
    }
    let list: Vec<String> = i
        .plan
        .resources
        .iter()
        .map(|x| format!("`{}` ({})", x.logical_id, x.identifier.1))
        .collect();
    plan.notes.push(format!(
        "brings back {} resource(s) that the stack deleted on {} retained, by a resource import, then updates them to this template: {}",
        i.plan.resources.len(),
        i.earlier.deleted,
        list.join(", ")
    ));
    for (r, why) in &i.plan.skipped {
        plan.notes.push(format!(
            "`{}` ({}, `{}`), retained by the deleted stack, is not brought back: {why}; it stays outside the stack",
            r.logical_id, r.resource_type, r.physical_id
        ));
    }
}

/// CloudFormation's limit on `TemplateBody`, in bytes.
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;

/// Whether a stack is yet to be created: it does not exist, or only as the empty stack a
/// create change set makes (`REVIEW_IN_PROGRESS`).
fn to_create(info: Option<&StackInfo>) -> bool {
    info.is_none_or(|i| i.status == "REVIEW_IN_PROGRESS")
}

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
    let rendered = keep_baseline(c, sel, rendered).await?;
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
                let adopting = ownership::check(
                    i,
                    r.spec.owner(),
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
    // A stack to be created brings back what an earlier stack of its name retained.
    let mut imports: Vec<Option<Import>> = Vec::new();
    for (r, (info, _)) in rendered.iter().zip(&found) {
        imports.push(match to_create(info.as_ref()) {
            true => plan_retained(c, &r.spec.name, r.spec.owner(), &r.node).await?,
            false => None,
        });
    }
    if sets == ChangeSets::Saved
        && imports
            .iter()
            .any(|i| i.as_ref().is_some_and(|i| !i.plan.is_empty()))
    {
        bail!(
            "this plan brings back resources an earlier stack retained, with a resource import followed by an update, and a saved plan cannot hold the update's change set before the import has run\nhint: deploy it directly with `harden deploy {}`, or plan without `--out` to review it",
            sel.flags()
        );
    }
    // The stacks to be created must find their fixed names free.
    let creating: Vec<Creating> = rendered
        .iter()
        .zip(&found)
        .filter(|(_, (info, _))| to_create(info.as_ref()))
        .map(|(r, _)| Creating {
            name: &r.spec.name,
            role: r.spec.role,
            template: &r.node,
        })
        .collect();
    let retained_ids: Vec<String> = imports
        .iter()
        .flatten()
        .flat_map(|i| i.earlier.retained.iter().map(|r| r.physical_id.clone()))
        .collect();
    names::check_free(c, &creating, &retained_ids).await?;
    let mut prepared = Vec::new();
    let mut plans = Vec::new();
    let mut created: Vec<Pending> = Vec::new();
    let result = async {
        for ((crate::render::Rendered { spec, node, .. }, (info, adopting)), import) in
            rendered.into_iter().zip(found).zip(imports)
        {
            let import = import.filter(|i| !i.plan.is_empty());
            let (deployed, deployed_sha256): (Option<Deployed>, Option<String>) = match &info {
                Some(i) if !to_create(Some(i)) => {
                    let sha = super::saved::template_sha256(&stack::template_body(c, i).await?);
                    (Some(stack::deployed(c, i).await?), Some(sha))
                }
                _ => (None, None),
            };
            let mut stack_id = info.as_ref().map(|i| i.id.clone());
            let removals = deployed
                .as_ref()
                .map(|d| removed_by_parameters(sel, &spec.name, &d.template, &node))
                .unwrap_or_default();
            let desired = Desired {
                name: &spec.name,
                template: &node,
                parameters: &spec.parameters,
                tags: &spec.tags,
                termination_protection: spec.termination_protection,
                stack_policy: spec.stack_policy.as_ref(),
                removed_by_parameters: &removals,
            };
            let mut plan = plan_stack(&desired, deployed.as_ref(), None);
            let body = body(&node);
            if body.len() > TEMPLATE_BODY_LIMIT {
                bail!(
                    "stack `{}` renders to {} bytes of compact JSON, over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte limit for a template body\nhint: harden does not upload templates to S3 yet; split the blueprint or lower the tier",
                    spec.name,
                    body.len()
                );
            }
            let mut change_set = None;
            let wants_set = needs_change_set(&plan) && (deployed.is_some() || sets != ChangeSets::ConfirmExisting);
            if wants_set {
                let name = format!("harden-{}", SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0));
                let import_body = import.as_ref().map(|i| self::body(&i.plan.template));
                let (arn, id) = stack::create_change_set(
                    c,
                    &ChangeSetRequest {
                        stack: &spec.name,
                        name: &name,
                        body: import_body.as_deref().unwrap_or(&body),
                        parameters: &spec.parameters,
                        tags: &spec.tags,
                        kind: match (&import, !to_create(info.as_ref())) {
                            (Some(i), _) => ChangeSetKind::Import(&i.plan.resources),
                            (None, true) => ChangeSetKind::Update,
                            (None, false) => ChangeSetKind::Create,
                        },
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
                    ChangeSetState::Ready if import.is_some() => {
                        // The import's change set lists the imports only; the plan stays the
                        // whole create, with the imports marked.
                        change_set = Some(arn);
                    }
                    ChangeSetState::Ready => {
                        let changes = stack::change_set_changes(c, &spec.name, &arn).await?;
                        plan = plan_stack(&desired, deployed.as_ref(), Some(&changes));
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
            // Said of the final plan, whether or not a change set re-planned it: what the
            // blueprint says of the stack as rendered (as `harden render` does), then adoption.
            plan.notes.extend(spec.notes.iter().cloned());
            if adopting {
                plan.notes.push(adoption_note(info.as_ref()));
            }
            if let Some(i) = &import {
                mark_imports(&mut plan, i);
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
                imports: import.is_some(),
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
            empty_stack: to_create(self.info.as_ref()),
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
