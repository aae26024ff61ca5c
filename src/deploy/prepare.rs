//! Preparing a deployment: render each stack, read what is deployed, refuse stacks in a state
//! that cannot take a change (with the way out), compare client-side, and create change sets
//! to confirm the preview. Shared by `plan` and `deploy`.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Result};
use aws_sdk_cloudformation::Client;
use harden_blueprints::cfn::{self, Node};
use harden_plan::{plan_stack, Deployed, Desired, Plan, StackChange, StackKind, StackPlan};
use indexmap::IndexMap;

use harden_blueprints::{StackRole, BLUEPRINT_TAG};

use super::artifacts::{self, Delivery, NeedsBootstrap, Transport};
use super::aws::Clients;
use super::drift::DriftCheck;
use super::events::{first_cause, StackEvent};
use super::names::{self, Creating};
use super::ownership::{self, Intent, Owner};
use super::retained::{self, Earlier};
use super::stack::{
    self, ChangeSetKind, ChangeSetRequest, ChangeSetState, PreDeployment, StackInfo, StackStatus,
    Status, TemplateSource,
};
use crate::exit::refuse;
use crate::exit::with_notes;
use crate::settings::Selection;
use harden_blueprints::cfn::physical::{fixed_names, Place};
use harden_plan::exports::{self, Waits};
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
    /// `body` as it travels, once a change set needed it (a URL when it is over the body limit).
    pub template: Option<TemplateSource>,
    /// The service role its change sets act as.
    pub role_arn: Option<String>,
    /// Its change set waits for these earlier stacks: it imports exports they create.
    pub deferred: Option<Waits>,
    /// The stack's region, when it is not the deployment's own (a replica stack).
    pub region: Option<String>,
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
    let earlier = harden_blueprints::blueprint::recorded_parameters(deployed);
    let have: Vec<&String> = desired
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (k, v) in earlier {
        if sel.params.iter().any(|(given, _)| *given == k) {
            continue;
        }
        let mut params = sel.params.clone();
        params.push((k.clone(), v.clone()));
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
    let recorded = harden_blueprints::blueprint::recorded_parameters(&deployed.template);
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
        drift: sel.drift,
        revert_drift: sel.revert_drift,
        tags: Vec::new(),
        aws_flags: sel.aws_flags.clone(),
        origin: None,
        project: sel.project.clone(),
        service_role: sel.service_role,
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

/// The complete `harden bootstrap` command for a selection's project: the selection's flags,
/// so the service role's policy covers its stacks.
pub fn bootstrap_cmd(sel: &Selection) -> String {
    // From a project file, `--env` finds the project again.
    let project = match sel.project.as_str() {
        _ if sel.origin.is_some() => String::new(),
        artifacts::DEFAULT_PROJECT => String::new(),
        p => format!(" --project-name {}", crate::settings::shell_quote(p)),
    };
    let mut flags = sel.flags();
    if !sel.service_role {
        flags = flags.replace(" --no-service-role", "");
    }
    format!("harden bootstrap{project} {flags} --yes")
}

/// Sends a template the way `transport` says: a body as is; a URL after the upload to the
/// artifact bucket (`bucket`: its name and key). The one place that decides body or URL.
pub async fn send(
    aws: &Clients,
    bucket: Option<&(String, Option<String>)>,
    stack: &str,
    body: &str,
    transport: Transport,
) -> Result<(TemplateSource, Option<Delivery>)> {
    match (transport, bucket) {
        (Transport::Body, _) => Ok((TemplateSource::Body(body.to_string()), None)),
        (Transport::Url, Some((bucket, key))) => {
            let d = artifacts::upload(&aws.s3, &aws.region, bucket, key.as_deref(), stack, body)
                .await?;
            Ok((TemplateSource::Url(d.url.clone()), Some(d)))
        }
        (Transport::Url, None) => bail!(
            "stack `{stack}` is over CloudFormation's {}-byte limit for a template body and there is no artifact bucket to send it through\nhint: create the bootstrap stack with `harden bootstrap`",
            artifacts::TEMPLATE_BODY_LIMIT
        ),
    }
}

/// Whether a stack is yet to be created: it does not exist, or only as the empty stack a
/// create change set makes (`REVIEW_IN_PROGRESS`).
fn to_create(info: Option<&StackInfo>) -> bool {
    info.is_none_or(StackInfo::awaiting_first_change_set)
}

/// The compact JSON body of a template.
pub fn body(node: &Node) -> String {
    serde_json::to_string(&cfn::render::to_json_value(node)).expect("a node tree is valid JSON")
}

/// Where the stacks to prepare come from: what is re-rendered from it, and how hints name
/// the stacks again.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// A blueprint selection.
    Selection(&'a Selection),
    /// The project's bootstrap stack (`harden bootstrap`).
    Bootstrap {
        /// The tier it is built at.
        tier: harden_blueprints::Tier,
        /// The project.
        project: &'a str,
        /// The flags of `harden bootstrap` that build it again (`--project-name P ...`).
        flags: &'a str,
    },
}

impl Origin<'_> {
    /// The selection, if the stacks come from one.
    pub fn selection(&self) -> Option<&Selection> {
        match self {
            Origin::Selection(s) => Some(s),
            Origin::Bootstrap { .. } => None,
        }
    }

    /// The tier.
    pub fn tier(&self) -> harden_blueprints::Tier {
        match self {
            Origin::Selection(s) => s.tier,
            Origin::Bootstrap { tier, .. } => *tier,
        }
    }

    /// The project.
    pub fn project(&self) -> &str {
        match self {
            Origin::Selection(s) => &s.project,
            Origin::Bootstrap { project, .. } => project,
        }
    }

    /// Whether deployed stacks harden did not create may be taken over.
    pub fn adopt(&self) -> bool {
        matches!(self, Origin::Selection(s) if s.adopt)
    }

    /// Whether change sets act as the bootstrap's service role. Never for the bootstrap
    /// stack itself: it makes that role, and its policy is for the workloads.
    pub fn service_role(&self) -> bool {
        matches!(self, Origin::Selection(s) if s.service_role)
    }

    /// The command that plans these stacks again.
    pub fn plan_cmd(&self) -> String {
        match self {
            Origin::Selection(s) => format!("harden plan {}", s.flags()),
            Origin::Bootstrap { flags, .. } => format!("harden bootstrap {flags} --plan-only"),
        }
    }

    /// The command that deploys these stacks again (without approval flags).
    pub fn deploy_cmd(&self) -> String {
        match self {
            Origin::Selection(s) => format!("harden deploy {}", s.flags()),
            Origin::Bootstrap { flags, .. } => format!("harden bootstrap {flags}"),
        }
    }

    /// The command that follows a running operation on stack `name` of role `role`.
    pub fn watch_cmd(&self, name: &str, role: StackRole) -> String {
        match self {
            Origin::Selection(s) => {
                format!("harden status --watch {}", s.target().flags_for(role))
            }
            Origin::Bootstrap { .. } => {
                format!("aws cloudformation describe-stack-events --stack-name {name}")
            }
        }
    }

    /// The command that deletes stack `name` of role `role`.
    pub fn destroy_cmd(&self, name: &str, role: StackRole) -> String {
        match self {
            Origin::Selection(s) => format!("harden destroy {}", s.target().flags_for(role)),
            Origin::Bootstrap { .. } => {
                format!("aws cloudformation delete-stack --stack-name {name}")
            }
        }
    }
}

/// Builds and renders a selection's stacks for `plan` and `deploy`: the same build, checks
/// and least-privilege audit as `harden render`; a tier without stacks is an error.
pub fn selection_stacks(sel: &Selection) -> Result<Vec<crate::render::Rendered>> {
    let rendered = crate::render::render_stacks(sel, cfn::Format::Json)?;
    if rendered.is_empty() {
        bail!(
            "blueprint `{}` has no stacks at tier `{}`\nhint: its stacks start at a higher tier (`harden blueprints` lists them)",
            sel.blueprint.name(),
            sel.tier
        );
    }
    Ok(rendered)
}

/// Prepares every stack of a selection, in deployment order.
pub async fn prepare(
    aws: &Clients,
    sel: &Selection,
    sets: ChangeSets,
) -> Result<(Vec<Prepared>, Plan)> {
    let drift = DriftCheck::of(Some(sel), std::time::Duration::from_secs(5));
    prepare_stacks(
        aws,
        Origin::Selection(sel),
        selection_stacks(sel)?,
        sets,
        drift,
    )
    .await
}

/// Prepares built stacks, in deployment order: `plan` and `deploy` of a selection, and the
/// bootstrap stack, go through here alike. Stacks of another region (a replica stack in
/// `replica_region`) are prepared with that region's clients, each region's stacks as one
/// preparation; the order of the whole is kept.
pub async fn prepare_stacks(
    aws: &Clients,
    origin: Origin<'_>,
    rendered: Vec<crate::render::Rendered>,
    sets: ChangeSets,
    drift: DriftCheck,
) -> Result<(Vec<Prepared>, Plan)> {
    refuse_same_region(aws, &rendered)?;
    let home =
        |r: &crate::render::Rendered| r.spec.region.clone().filter(|region| *region != aws.region);
    if rendered.iter().all(|r| home(r).is_none()) {
        return prepare_region(aws, None, origin, rendered, sets, drift).await;
    }
    // Each region's stacks, with their places in the deployment order.
    let mut groups: Vec<(Option<String>, Vec<Placed>)> = Vec::new();
    for (i, mut r) in rendered.into_iter().enumerate() {
        let region = home(&r);
        if region.is_some() {
            r.spec.tags.insert(
                super::replica::SOURCE_REGION_TAG.to_string(),
                aws.region.clone(),
            );
        }
        match groups.iter_mut().find(|(g, _)| *g == region) {
            Some((_, v)) => v.push((i, r)),
            None => groups.push((region, vec![(i, r)])),
        }
    }
    // The regions are prepared at once, as the stacks of one region are: a plan takes about
    // as long as its slowest stack. If one fails, the change sets the others made are
    // deleted, and the failure is the headline.
    let mut tasks = Vec::new();
    for (region, group) in groups {
        let clients = aws.at(region.as_deref())?;
        let (places, group): (Vec<usize>, Vec<_>) = group.into_iter().unzip();
        tasks.push(async move {
            let home = region.as_ref().map(|_| aws);
            let r = prepare_region(&clients, home, origin, group, sets, drift).await;
            (region, places, r)
        });
    }
    let mut done: Vec<(usize, Prepared, StackPlan)> = Vec::new();
    let mut first_error = None;
    for (region, places, r) in futures_util::future::join_all(tasks).await {
        match r {
            Ok((prepared, plan)) => {
                for ((i, mut p), mut sp) in places.into_iter().zip(prepared).zip(plan.stacks) {
                    if let Some(r) = &region {
                        sp.notes.insert(
                            0,
                            format!("in region `{r}` (the deployment's own is `{}`)", aws.region),
                        );
                    }
                    p.region = region.clone();
                    done.push((i, p, sp));
                }
            }
            Err(e) => {
                // Said of a failure in the replica's region: the calls went there (an
                // opt-in region the account has not enabled refuses every call).
                let e = match &region {
                    Some(r) if !e.is::<crate::exit::Refusal>() => with_notes(
                        e,
                        &format!("that call went to region `{r}`, where the replica stack goes (`replica_region`); if the account has not enabled that region, enable it or choose another"),
                    ),
                    _ => e,
                };
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        let made: Vec<Pending> = done
            .iter()
            .filter_map(|(_, p, _)| super::step::Step::of(p).pending())
            .collect();
        let cleaned = cleanup_all(aws, &made).await;
        return Err(with_notes(e, &cleaned));
    }
    done.sort_by_key(|(i, _, _)| *i);
    let (prepared, stacks) = done.into_iter().map(|(_, p, sp)| (p, sp)).unzip();
    Ok((prepared, Plan { stacks }))
}

/// Refuses (exit 5) a stack of another region that a deployment from a third region made: a
/// workload of the same name replicating there from elsewhere owns it.
fn refuse_other_source(info: &StackInfo, home: Option<&Clients>) -> Result<()> {
    let Some(home) = home else { return Ok(()) };
    match info.tags.get(super::replica::SOURCE_REGION_TAG) {
        Some(source) if *source != home.region => refuse(format!(
            "stack `{}` in this region belongs to the deployment of the same name in `{source}` (its `{}` tag), not to this one in `{}`: deploying would take it over\nhint: deploy this workload under another `--name`, or pick another `replica_region`",
            info.name,
            super::replica::SOURCE_REGION_TAG,
            home.region
        )),
        _ => Ok(()),
    }
}

/// A rendered stack and its place in the deployment order.
type Placed = (usize, crate::render::Rendered);

/// A stack meant for another region whose region is the one deployed to: a workload whose
/// `replica_region` is where it runs would keep its only copy beside the data (refused
/// before any call).
fn refuse_same_region(aws: &Clients, rendered: &[crate::render::Rendered]) -> Result<()> {
    use harden_blueprints::blueprint::REPLICA_REGION_TAG;
    for r in rendered {
        let Some(region) = r.spec.tags.get(REPLICA_REGION_TAG) else {
            continue;
        };
        if *region == aws.region {
            bail!(
                "`replica_region` is `{region}`, the region stack `{}` is deployed to: a replica beside the data it copies survives no regional outage\nhint: pass another region, e.g. `--param replica_region={}`",
                r.spec.name,
                if region == "us-west-2" { "us-east-2" } else { "us-west-2" }
            );
        }
    }
    Ok(())
}

/// Prepares the stacks of one region (those of `aws`), in deployment order. For another
/// region than the deployment's own, `home` has the clients of that one: its bootstrap
/// stack's service role drives these stacks too (its trust and policy name them in their
/// region); templates go as bodies, since the artifact bucket is in the home region.
async fn prepare_region(
    aws: &Clients,
    home: Option<&Clients>,
    origin: Origin<'_>,
    rendered: Vec<crate::render::Rendered>,
    sets: ChangeSets,
    drift: DriftCheck,
) -> Result<(Vec<Prepared>, Plan)> {
    let c = &aws.cfn;
    let revert_drift = origin.selection().is_some_and(|s| s.revert_drift);
    // CloudFormation's template limits, before any call.
    for r in &rendered {
        artifacts::transport(&r.spec.name, &body(&r.node), &r.node)?;
    }
    let rendered = match origin.selection() {
        Some(sel) => keep_baseline(c, sel, rendered).await?,
        None => rendered,
    };
    let transports: Vec<(Transport, usize)> = rendered
        .iter()
        .map(|r| {
            let b = body(&r.node);
            artifacts::transport(&r.spec.name, &b, &r.node).map(|t| (t, b.len()))
        })
        .collect::<Result<_>>()?;
    let home_cfn = home.map_or(c, |h| &h.cfn);
    let bootstrap = match origin {
        Origin::Selection(_) => artifacts::find_bootstrap(home_cfn, origin.project()).await?,
        Origin::Bootstrap { .. } => None,
    };
    let bucket = bootstrap
        .as_ref()
        .filter(|_| home.is_none())
        .and_then(|b| Some((b.bucket.clone()?, b.key_arn.clone())));
    let oversized: Vec<(String, usize)> = rendered
        .iter()
        .zip(&transports)
        .filter(|(_, (t, _))| *t == Transport::Url)
        .map(|(r, (_, n))| (r.spec.name.clone(), *n))
        .collect();
    if bucket.is_none() && !oversized.is_empty() && sets != ChangeSets::ConfirmExisting {
        let name = artifacts::bootstrap_stack_name(origin.project());
        return Err(match origin {
            Origin::Selection(sel) => NeedsBootstrap {
                stacks: oversized,
                hint: bootstrap_cmd(sel),
                bootstrap: name,
            }
            .into(),
            Origin::Bootstrap { .. } => anyhow::anyhow!(
                "the bootstrap stack `{name}` renders to {} bytes, over CloudFormation's {}-byte limit for a template body, and it cannot go through the bucket it creates\nhint: this is a bug in harden; please report it",
                oversized[0].1,
                artifacts::TEMPLATE_BODY_LIMIT
            ),
        });
    }
    let role_arn = bootstrap
        .as_ref()
        .filter(|_| origin.service_role())
        .and_then(|b| b.service_role.clone());
    // The service role's recorded policy against what these stacks need.
    let policy_note = match (&bootstrap, &role_arn, origin.selection()) {
        (Some(b), Some(_), Some(sel)) => {
            let specs: Vec<_> = rendered.iter().map(|r| r.spec.clone()).collect();
            super::bootstrap::policy_note(home_cfn, b, &specs, &bootstrap_cmd(sel)).await?
        }
        _ => None,
    };
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
                    origin.adopt(),
                    &format!("{} --adopt", origin.plan_cmd()),
                )?;
                refuse_unusable(c, i, origin, r.spec.role).await?;
                refuse_other_source(i, home)?;
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
            "this plan brings back resources an earlier stack retained, with a resource import followed by an update, and a saved plan cannot hold the update's change set before the import has run\nhint: deploy it directly with `{}`, or plan without `--out` to review it",
            origin.deploy_cmd()
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
    // A stack importing exports that an earlier stack of this deployment creates gets its
    // change set once that stack has deployed: CloudFormation may refuse a change set whose
    // imports do not exist yet.
    let existing: std::collections::BTreeSet<String> = found
        .iter()
        .filter_map(|(i, _)| i.as_ref().filter(|i| !to_create(Some(i))))
        .flat_map(|i| i.exports.iter().cloned())
        .collect();
    let graph: Vec<(&str, &Node)> = rendered
        .iter()
        .map(|r| (r.spec.name.as_str(), &r.node))
        .collect();
    let waits = exports::waits(&graph, &existing);
    // Every stack's change set is made and waited for at once: a plan takes about as long as
    // its slowest stack. (Deploy still executes them in order.) What was created is recorded
    // as it happens, so a failure anywhere cleans up everything.
    let created: RefCell<Vec<Pending>> = RefCell::new(Vec::new());
    let ctx = Ctx {
        aws,
        origin,
        sets,
        revert_drift,
        drift,
        created: &created,
        policy_note: &policy_note,
        role_arn: &role_arn,
        bucket: &bucket,
    };
    let tasks = rendered
        .into_iter()
        .zip(found)
        .zip(imports)
        .zip(transports)
        .zip(waits)
        .map(
            |((((rendered, (info, adopting)), import), (transport, bytes)), waits)| {
                prepare_one(
                    &ctx,
                    One {
                        rendered,
                        info,
                        adopting,
                        import,
                        transport,
                        bytes,
                        waits,
                    },
                )
            },
        );
    let results = futures_util::future::join_all(tasks).await;
    let mut prepared = Vec::new();
    let mut plans = Vec::new();
    let mut first_error = None;
    for r in results {
        match r {
            Ok((p, plan)) => {
                prepared.push(p);
                plans.push(plan);
            }
            Err(e) if first_error.is_none() => first_error = Some(e),
            Err(_) => {}
        }
    }
    let result: Result<()> = first_error.map_or(Ok(()), Err);
    if let Err(e) = result {
        let all = created.borrow().clone();
        let cleaned = cleanup(c, &all).await;
        return Err(with_notes(e, &cleaned));
    }
    Ok((prepared, Plan { stacks: plans }))
}

/// What CloudFormation said of a change set it could not create (the pre-deployment
/// validation's findings, the hooks' results, its status reason), once the change set, and
/// the empty stack a create change set made, are deleted; and what the clean-up did.
pub async fn refused(c: &Client, pending: &Pending, reason: &str) -> (PreDeployment, String) {
    let (said, unread) = read_events(
        c,
        &pending.stack,
        &pending.change_set,
        Some(reason.to_string()),
    )
    .await;
    let note = cleanup(c, std::slice::from_ref(pending)).await;
    let note = unread
        .into_iter()
        .chain([note])
        .collect::<Vec<_>>()
        .join("\n");
    (said, note)
}

/// What CloudFormation reported of a change set (`DescribeEvents`); when it cannot be read
/// (a role without the permission, an old endpoint), a note says so rather than the plan
/// silently showing no validation.
async fn read_events(
    c: &Client,
    stack: &str,
    change_set: &str,
    refused: Option<String>,
) -> (PreDeployment, Option<String>) {
    let (events, unread) = match stack::change_set_events(c, stack, change_set).await {
        Ok(e) => (e, None),
        Err(e) => (
            Default::default(),
            Some(format!(
                "could not read CloudFormation's pre-deployment validation and hook results for this change set ({e:#}), so they are not shown\nhint: allow `cloudformation:DescribeEvents` on the stack and its change sets (`harden bootstrap` gives the CI roles it)"
            )),
        ),
    };
    let (validations, hooks) = events;
    (
        PreDeployment {
            validations,
            hooks,
            refused,
            planned: Vec::new(),
        },
        unread,
    )
}

/// A change set CloudFormation could not create, as the error to show: the pre-deployment
/// validation's own findings, or a failed hook, are the cause (see [`PreDeployment::cause`]);
/// what was cleaned up follows as notes.
pub async fn refused_change_set(c: &Client, pending: &Pending, reason: &str) -> anyhow::Error {
    let (said, note) = refused(c, pending, reason).await;
    let cause = said
        .cause(&pending.stack)
        .expect("a refused change set has a cause");
    with_notes(anyhow::anyhow!(cause), &note)
}

/// What the plan says of a stack whose change set waits for earlier stacks.
fn deferred_note(w: &Waits) -> String {
    let quote = |v: &[String]| {
        v.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "its change set is made once {} {} deployed: it imports {}, which {} not exist yet; until then this preview is harden's own comparison of the templates, and CloudFormation's change set is checked against it before it runs",
        quote(&w.stacks),
        if w.stacks.len() == 1 { "has" } else { "have" },
        quote(&w.exports),
        if w.exports.len() == 1 { "does" } else { "do" }
    )
}

/// What every stack of a preparation shares.
struct Ctx<'a> {
    aws: &'a Clients,
    origin: Origin<'a>,
    sets: ChangeSets,
    revert_drift: bool,
    drift: DriftCheck,
    /// The change sets made so far, so a failure anywhere cleans up everything.
    created: &'a RefCell<Vec<Pending>>,
    /// What the service role's recorded policy lacks, if anything.
    policy_note: &'a Option<String>,
    /// The service role change sets act as.
    role_arn: &'a Option<String>,
    /// The artifact bucket and its key, when templates must travel by URL.
    bucket: &'a Option<(String, Option<String>)>,
}

/// One stack to prepare, with what was found of it before any change set was made.
struct One {
    rendered: crate::render::Rendered,
    info: Option<StackInfo>,
    adopting: bool,
    import: Option<Import>,
    transport: Transport,
    bytes: usize,
    waits: Waits,
}

/// Prepares one stack: what is deployed, harden's plan of it, and (when it changes and need
/// not wait for an earlier stack) its change set, made, waited for and read into the plan.
async fn prepare_one(ctx: &Ctx<'_>, one: One) -> Result<(Prepared, StackPlan)> {
    let Ctx {
        aws,
        origin,
        sets,
        revert_drift,
        drift,
        created,
        policy_note,
        role_arn,
        bucket,
    } = *ctx;
    let c = &aws.cfn;
    let One {
        rendered,
        info,
        adopting,
        import,
        transport,
        bytes,
        waits,
    } = one;
    let crate::render::Rendered { spec, node, .. } = rendered;
    let import = import.filter(|i| !i.plan.is_empty());
    let (deployed, deployed_sha256): (Option<Deployed>, Option<String>) = match &info {
        Some(i) if !to_create(Some(i)) => {
            let sha = super::digest::template_sha256(&stack::template_body(c, i).await?);
            (Some(stack::deployed(c, i).await?), Some(sha))
        }
        _ => (None, None),
    };
    let mut stack_id = info.as_ref().map(|i| i.id.clone());
    let removals = deployed
        .as_ref()
        .zip(origin.selection())
        .map(|(d, sel)| removed_by_parameters(sel, &spec.name, &d.template, &node))
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
    let mut change_set = None;
    let mut template = None;
    let mut notes = Vec::new();
    let no_bucket = transport == Transport::Url && bucket.is_none();
    // A drift-aware change set is wanted even when the template is unchanged: bringing
    // drifted resources back is the change.
    let reverting = revert_drift && deployed.is_some() && import.is_none();
    let wants_set = (needs_change_set(&plan) || reverting)
        && (deployed.is_some() || sets != ChangeSets::ConfirmExisting);
    if no_bucket && needs_change_set(&plan) {
        notes.push(format!(
            "the template ({bytes} bytes) is over CloudFormation's {}-byte limit for a body, so deploying it needs the artifact bucket of the bootstrap stack `{}`, which does not exist; no change set confirmed this preview\nhint: create it with `{}`",
            artifacts::TEMPLATE_BODY_LIMIT,
            artifacts::bootstrap_stack_name(origin.project()),
            origin.selection().map(bootstrap_cmd).unwrap_or_default()
        ));
    }
    if needs_change_set(&plan) {
        if let Some(role) = &role_arn {
            notes.push(format!(
                "CloudFormation acts as the service role `{role}` of the bootstrap stack `{}` (`--no-service-role`: as the caller)",
                artifacts::bootstrap_stack_name(origin.project())
            ));
            notes.extend(policy_note.clone());
        }
    }
    let deferred = (wants_set && !waits.is_empty()).then_some(waits);
    if let Some(w) = &deferred {
        notes.push(deferred_note(w));
        if sets != ChangeSets::ConfirmExisting && !no_bucket {
            // The template travels now (an upload, if it must), so the step that makes
            // the change set, later or from a saved plan, has it.
            let sent = send(aws, bucket.as_ref(), &spec.name, &body, transport).await?;
            if let Some(d) = &sent.1 {
                notes.push(artifacts::url_note(bytes, d));
            }
            template = Some(sent.0);
        }
    }
    if wants_set && !no_bucket && deferred.is_none() {
        let name = format!(
            "harden-{}",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        );
        let sent = send(aws, bucket.as_ref(), &spec.name, &body, transport).await?;
        if let Some(d) = &sent.1 {
            notes.push(artifacts::url_note(bytes, d));
        }
        let import_template = match &import {
            Some(i) => {
                let b = self::body(&i.plan.template);
                let t = artifacts::transport(&spec.name, &b, &i.plan.template)?;
                Some(send(aws, bucket.as_ref(), &spec.name, &b, t).await?.0)
            }
            None => None,
        };
        let (arn, id) = stack::create_change_set(
            c,
            &ChangeSetRequest {
                stack: &spec.name,
                name: &name,
                template: import_template.as_ref().unwrap_or(&sent.0),
                parameters: &spec.parameters,
                tags: &spec.tags,
                kind: match (&import, !to_create(info.as_ref())) {
                    (Some(i), _) => ChangeSetKind::Import(&i.plan.resources),
                    (None, true) => ChangeSetKind::Update,
                    (None, false) => ChangeSetKind::Create,
                },
                role_arn: role_arn.as_deref(),
                revert_drift: reverting,
            },
        )
        .await?;
        template = Some(sent.0);
        let pending = Pending {
            stack: spec.name.clone(),
            stack_id: id.clone(),
            change_set: arn.clone(),
            empty_stack: deployed.is_none(),
            region: None,
        };
        stack_id = Some(id);
        created.borrow_mut().push(pending.clone());
        match stack::wait_change_set(c, &spec.name, &arn).await? {
            ChangeSetState::Ready if import.is_some() => {
                // The import's change set lists the imports only; the plan stays the
                // whole create, with the imports marked.
                change_set = Some(arn);
            }
            ChangeSetState::Ready => {
                // Warnings of the pre-deployment validation, and the hooks' results.
                let (mut said, unread) = read_events(c, &spec.name, &arn, None).await;
                notes.extend(unread);
                // The hooks that will run when it is executed.
                match stack::change_set_hooks(c, &spec.name, &arn).await {
                    Ok(planned) => said.planned = planned,
                    Err(e) => notes.push(format!(
                        "could not read which CloudFormation Hooks will run on this change set ({e:#}), so they are not shown\nhint: allow `cloudformation:DescribeChangeSetHooks` on the stack (`harden bootstrap` gives the CI roles it)"
                    )),
                }
                let changes = stack::change_set_changes(c, &spec.name, &arn).await?;
                plan = plan_stack(&desired, deployed.as_ref(), Some(&changes));
                plan.pre_deployment = (!said.is_empty()).then_some(said);
                if reverting {
                    let r = harden_plan::drift::reverts(&changes);
                    if !r.reverted.is_empty() && plan.kind == StackKind::NoChanges {
                        plan.kind = StackKind::Update;
                    }
                    plan.reverts = Some(r);
                }
                change_set = Some(arn);
            }
            ChangeSetState::Empty => {
                created.borrow_mut().retain(|p| p.change_set != arn);
                let _ = cleanup(c, &[pending]).await;
                found_no_changes(&mut plan);
            }
            ChangeSetState::Failed(reason) => {
                // The plan shows why, on the stack, and the caller makes it the
                // headline; nothing of this stack is left.
                created.borrow_mut().retain(|p| p.change_set != arn);
                let (said, note) = refused(c, &pending, &reason).await;
                plan.pre_deployment = Some(said);
                notes.extend(note.lines().map(str::to_string));
            }
        }
    }
    // Said of the final plan, whether or not a change set re-planned it: what the
    // blueprint says of the stack as rendered (as `harden render` does), then adoption.
    plan.notes.extend(spec.notes.iter().cloned());
    plan.notes.extend(notes);
    // What the account has against what the deployed template says, and what this
    // plan does to it.
    if let Some(i) = info.as_ref().filter(|_| deployed.is_some()) {
        if let Some(mut d) = super::drift::read(c, i, drift).await? {
            if let Some(dep) = &deployed {
                harden_plan::drift::assess(&mut d, &dep.template);
            }
            harden_plan::drift::mark(&mut d, &plan);
            plan.drift = Some(d);
        }
    }
    if adopting {
        plan.notes.push(adoption_note(info.as_ref()));
    }
    if let Some(i) = &import {
        mark_imports(&mut plan, i);
    }
    let touched = plan.resources.len() as u64;
    let prepared = Prepared {
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
        template,
        role_arn: role_arn.clone(),
        deferred,
        region: None,
    };
    Ok((prepared, plan))
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
    /// The stack's region, when it is not the deployment's own.
    pub region: Option<String>,
}

/// Deletes change sets that will not run, and the empty stacks create change sets made, so
/// nothing is left behind; says what it did.
/// [`cleanup`] of change sets in any region: each with its region's client.
pub async fn cleanup_all(aws: &Clients, pending: &[Pending]) -> String {
    let mut regions: Vec<Option<&str>> = Vec::new();
    for p in pending {
        if !regions.contains(&p.region.as_deref()) {
            regions.push(p.region.as_deref());
        }
    }
    let mut notes = Vec::new();
    for region in regions {
        let mine: Vec<Pending> = pending
            .iter()
            .filter(|p| p.region.as_deref() == region)
            .cloned()
            .collect();
        match aws.at(region) {
            Ok(clients) => notes.push(cleanup(&clients.cfn, &mine).await),
            Err(e) => notes.extend(mine.iter().map(|p| {
                format!(
                    "could not delete change set {} of stack `{}`: {e:#}; delete it by hand",
                    p.change_set, p.stack
                )
            })),
        }
    }
    notes.retain(|n| !n.is_empty());
    notes.join("\n")
}

/// Deletes change sets of one region that will not run (see [`cleanup_all`]).
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
    origin: Origin<'_>,
    role: StackRole,
) -> Result<()> {
    let name = &i.name;
    let destroy = origin.destroy_cmd(name, role);
    let watch = origin.watch_cmd(name, role);
    match &i.status {
        StackStatus::RollbackComplete | StackStatus::RollbackFailed | StackStatus::CreateFailed => {
            let events = stack::events_after(c, &i.id, None).await.unwrap_or_default();
            let cause = first_cause(&events).map(StackEvent::summary)
                .or_else(|| i.reason.clone())
                .unwrap_or_else(|| "no cause recorded".into());
            bail!(
                "stack `{name}` failed its first create and is {}: {cause}\nhint: it cannot be updated; delete it with `{destroy}`, then deploy again",
                i.status,
            );
        }
        StackStatus::UpdateRollbackFailed => bail!(
            "stack `{name}` is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback{}\nhint: fix what blocked the rollback, then run `aws cloudformation continue-update-rollback --stack-name {name}` (add `--resources-to-skip` for resources that cannot roll back), and deploy again",
            i.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        StackStatus::DeleteFailed => bail!(
            "stack `{name}` is DELETE_FAILED{}\nhint: remove what blocked the deletion and run `{destroy}` again",
            i.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default(),
        ),
        s if s.busy() => bail!(
            "stack `{name}` is busy ({s})\nhint: wait for it with `{watch}`",
        ),
        _ => Ok(()),
    }
}

/// The stack plans of a prepared deployment, for callers that need them by name.
pub fn by_name<'a>(plan: &'a Plan, name: &str) -> Option<&'a StackPlan> {
    plan.stacks.iter().find(|s| s.name == name)
}
