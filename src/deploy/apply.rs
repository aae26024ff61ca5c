//! `harden deploy`: show the plan, get approval as the tier requires, execute the change sets
//! by ARN in dependency order, stream events, and report where each stack ended: the first
//! cause on failure, never the cascade. Nothing is left behind unannounced: change sets that
//! will not run are deleted and said to be.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Result};
use aws_sdk_cloudformation::Client;
use harden_blueprints::cfn::Node;
use harden_blueprints::Tier;

use anyhow::Context;
use harden_blueprints::cfn::parse::parse_template;
use harden_plan::{plan_stack, Desired, Plan, StackPlan};

use super::artifacts::NeedsBootstrap;
use super::aws::Clients;
use super::events::{first_cause, watch, Bar, Lines, Progress, StackEvent};
use super::ownership::{self, Intent};
use super::prepare::{
    by_name, cleanup, cleanup_all, prepare_stacks, refused_change_set, selection_stacks,
    ChangeSets, Origin, Pending,
};
use super::saved::{fresh_path, template_sha256, SavedPlan};
use super::stack::{
    self, ChangeSetKind, ChangeSetRequest, ChangeSetState, StackInfo, StackStatus, Status,
    TemplateSource,
};
use super::step::{Deferred, Step};
use crate::exit::{self, refuse, with_notes};
use crate::settings::Selection;
use crate::ui::Console;

/// What the user allowed on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Approval {
    /// `--yes`: approve without asking.
    pub yes: bool,
    /// `--allow-data-loss`: approve replacing or deleting stateful resources.
    pub allow_data_loss: bool,
    /// `--allow-broadening`: approve access-broadening changes at enterprise without a person.
    pub allow_broadening: bool,
}

/// What the approval rules decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead.
    Proceed,
    /// Ask the person at the terminal this question.
    Ask(String),
    /// Stop with "approval needed": the reason and what to do.
    Refuse(String),
}

/// What a plan asks of the approval rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Risks {
    /// Stateful resources replaced or removed (or protected by the stack policy).
    pub data_at_risk: bool,
    /// Access broadened, or a protection or security control removed.
    pub broadens: bool,
    /// A stack harden did not create is taken over (`--adopt`).
    pub adopting: bool,
}

/// The approval rules, by tier: adopting a stack harden did not create needs
/// `--allow-data-loss` at every tier (what it holds and the blueprint lacks is removed), data at
/// risk needs it from enhanced, even with `--yes`; at enterprise an access-broadening change
/// needs a person or `--allow-broadening`; any change needs a person or `--yes`. `again` is
/// the command that made this plan (`harden deploy --blueprint ...`): a refusal's hint is that
/// command with every flag the plan needs, so it is complete.
pub fn gate(tier: Tier, r: Risks, a: Approval, interactive: bool, again: &str) -> Gate {
    let Risks {
        data_at_risk,
        broadens,
        adopting,
    } = r;
    let needs_data_flag =
        !a.allow_data_loss && (adopting || (data_at_risk && tier >= Tier::Enhanced));
    let needs_broadening_flag = broadens && tier == Tier::Enterprise && !a.allow_broadening;
    // The command that would go ahead without a person: every flag this plan needs.
    let rerun = |with_broadening: bool| {
        // `again` carries no approval flags: the rerun names every one it needs, those the
        // user gave included.
        let mut cmd = again.to_string();
        cmd.push_str(" --yes");
        if a.allow_data_loss || needs_data_flag {
            cmd.push_str(" --allow-data-loss");
        }
        if a.allow_broadening || (with_broadening && needs_broadening_flag) {
            cmd.push_str(" --allow-broadening");
        }
        cmd
    };
    if needs_data_flag {
        let why = if adopting {
            "the plan adopts a stack harden did not create, which removes every resource of it the blueprint lacks, and adopting needs that allowed explicitly at every tier".to_string()
        } else {
            format!("the plan replaces or deletes resources that hold data, and tier `{tier}` needs that allowed explicitly")
        };
        return Gate::Refuse(format!(
            "{why}\nhint: review the plan above; if it is intended, run `{}`",
            rerun(!interactive)
        ));
    }
    if needs_broadening_flag {
        return if interactive {
            Gate::Ask("This plan BROADENS ACCESS (see security changes above). Deploy it?".into())
        } else {
            Gate::Refuse(format!(
                "the plan broadens access, and tier `enterprise` needs a person to approve that\nhint: review the security changes above; approve on a terminal, or run `{}`",
                rerun(true)
            ))
        };
    }
    if a.yes {
        Gate::Proceed
    } else if interactive {
        Gate::Ask("Deploy these changes?".into())
    } else {
        Gate::Refuse(format!(
            "approval needed: there is no terminal to ask\nhint: review the plan above; to deploy it, run `{}`",
            rerun(false)
        ))
    }
}

/// Carries out the gate's decision: `None` to go ahead, or the exit code once it has said
/// why not. `cleanup_sets` are deleted on a refusal; a saved plan (`None`) keeps its change
/// sets so it can still be applied.
async fn decide(
    aws: &Clients,
    con: &Console,
    g: Gate,
    cleanup_sets: Option<&[Pending]>,
) -> Result<Option<u8>> {
    let mut err = con.err();
    let why = match g {
        Gate::Proceed => return Ok(None),
        Gate::Ask(q) if con.confirm(&q).await => return Ok(None),
        Gate::Ask(_) => "not deployed: declined".to_string(),
        Gate::Refuse(why) => format!("error: {why}"),
    };
    writeln!(err, "{why}")?;
    match cleanup_sets {
        Some(sets) => {
            for line in cleanup_all(aws, sets).await.lines() {
                writeln!(err, "note: {line}")?;
            }
        }
        None => writeln!(
            err,
            "note: the plan's change sets are kept, so the plan can still be applied"
        )?,
    }
    Ok(Some(exit::APPROVAL_NEEDED))
}

/// One step as this run executes it: the typed [`Step`], and what only the run knows.
struct Run<'a> {
    step: &'a Step,
    /// The stack policy wanted, read from the step.
    policy: Option<Node>,
    /// The deployed stack policy blocks a replacement or deletion the user allowed with
    /// `--allow-data-loss`: lift it for this change set, then set the wanted one again.
    lift_policy: bool,
    was: Option<&'a StackInfo>,
    /// `harden status --watch ...` for this stack, should watching be interrupted.
    resume: String,
    /// The change set imports retained resources into the new stack; this update follows it.
    follow_up: Option<FollowUp<'a>>,
    /// The plan approved for this stack: a change set made only when the step runs must not
    /// do more than it showed.
    approved: Option<&'a StackPlan>,
}

impl<'a> Run<'a> {
    fn new(
        step: &'a Step,
        was: Option<&'a StackInfo>,
        resume: String,
        lift_policy: bool,
        approved: Option<&'a StackPlan>,
    ) -> Result<Run<'a>> {
        Ok(Run {
            step,
            policy: step.policy()?,
            lift_policy,
            was,
            resume,
            follow_up: None,
            approved,
        })
    }
}

/// The update that follows a resource import: the stack's full template.
struct FollowUp<'a> {
    template: TemplateSource,
    role_arn: Option<&'a str>,
    parameters: &'a indexmap::IndexMap<String, String>,
    tags: &'a indexmap::IndexMap<String, String>,
    /// `harden deploy ...`, to finish the job if the update cannot be prepared.
    again: String,
}

/// `harden deploy` from a selection.
pub async fn deploy(aws: &Clients, con: &Console, sel: &Selection, a: Approval) -> Result<u8> {
    deploy_stacks(aws, con, Origin::Selection(sel), selection_stacks(sel)?, a).await
}

/// Deploys built stacks: the plan, the approval its tier asks, the change sets, the events.
/// A selection's stacks and the bootstrap stack go through here alike.
pub async fn deploy_stacks(
    aws: &Clients,
    con: &Console,
    origin: Origin<'_>,
    rendered: Vec<crate::render::Rendered>,
    a: Approval,
) -> Result<u8> {
    let mut offered = false;
    let (prepared, plan) = loop {
        let drift = super::drift::DriftCheck::of(origin.selection(), con.poll());
        match prepare_stacks(aws, origin, rendered.clone(), ChangeSets::All, drift).await {
            Ok(p) => break p,
            Err(e) => match e.downcast::<NeedsBootstrap>() {
                Ok(nb) => match origin.selection() {
                    Some(sel) if !offered && con.interactive() => {
                        offered = true;
                        if !offer_bootstrap(aws, con, sel, &nb, a).await? {
                            return Ok(exit::APPROVAL_NEEDED);
                        }
                    }
                    _ => return missing_bootstrap(con, &nb),
                },
                Err(e) => return Err(e),
            },
        }
    };
    let mut err = con.err();
    write!(
        err,
        "{}",
        harden_plan::render_text(&plan, con.color_stderr())
    )?;
    let steps: Vec<Step> = prepared.iter().map(Step::of).collect();
    let sets: Vec<Pending> = steps.iter().filter_map(Step::pending).collect();
    if let Some(cause) = plan.refusal() {
        let note = cleanup_all(aws, &sets).await;
        return Err(with_notes(anyhow::anyhow!(cause), &note));
    }
    if !plan.has_changes() {
        writeln!(err, "no changes: every stack already matches")?;
        return Ok(exit::SUCCESS);
    }
    let interactive = con.interactive();
    let blocked: Vec<&str> = plan
        .stacks
        .iter()
        .filter(|s| s.data_risks.iter().any(|r| r.blocked_by_stack_policy))
        .map(|s| s.name.as_str())
        .collect();
    let g = gate(
        origin.tier(),
        Risks {
            data_at_risk: plan.data_at_risk() || !blocked.is_empty(),
            broadens: plan.broadens_access(),
            adopting: prepared.iter().any(|p| p.adopting),
        },
        a,
        interactive,
        &format!(
            "{}{}",
            origin.deploy_cmd(),
            if origin.adopt() { " --adopt" } else { "" }
        ),
    );
    if let Some(code) = decide(aws, con, g, Some(&sets)).await? {
        return Ok(code);
    }
    let mut runs = Vec::new();
    for (s, p) in steps.iter().zip(&prepared) {
        let mut r = Run::new(
            s,
            p.info.as_ref(),
            origin.watch_cmd(&p.name, p.role),
            a.allow_data_loss && blocked.contains(&p.name.as_str()),
            by_name(&plan, &p.name),
        )?;
        r.follow_up = p.imports.then(|| FollowUp {
            template: p
                .template
                .clone()
                .unwrap_or_else(|| TemplateSource::Body(p.body.clone())),
            role_arn: p.role_arn.as_deref(),
            parameters: &p.parameters,
            tags: &p.tags,
            again: origin.deploy_cmd(),
        });
        runs.push(r);
    }
    run(aws, con, &runs, &sets, &origin.plan_cmd()).await
}

/// A template needs the artifact bucket and the project has no bootstrap stack: without a
/// terminal, "approval needed" (exit 3) with the complete command that creates it.
fn missing_bootstrap(con: &Console, nb: &NeedsBootstrap) -> Result<u8> {
    writeln!(con.err(), "error: {nb}")?;
    Ok(exit::APPROVAL_NEEDED)
}

/// On a terminal: offers to create the bootstrap stack first, through its own plan, approval
/// and events; `true` once it is deployed.
async fn offer_bootstrap(
    aws: &Clients,
    con: &Console,
    sel: &Selection,
    nb: &NeedsBootstrap,
    a: Approval,
) -> Result<bool> {
    writeln!(con.err(), "{nb}")?;
    if !con
        .confirm(&format!(
            "Create the bootstrap stack `{}` first?",
            nb.bootstrap
        ))
        .await
    {
        writeln!(
            con.err(),
            "not deployed: the bootstrap stack is needed first"
        )?;
        return Ok(false);
    }
    let s = super::bootstrap::BootstrapSettings::for_selection(sel);
    let code = Box::pin(super::bootstrap::bootstrap(aws, con, &s, a, None)).await?;
    Ok(code == exit::SUCCESS)
}

/// `harden deploy --plan FILE`: exactly the saved change sets, or a refusal if the file was
/// edited, a stack changed since the plan was made, or a change set no longer carries what
/// the plan describes. What the approval rules weigh is worked out again from the change
/// sets themselves.
pub async fn deploy_saved(
    aws: &Clients,
    con: &Console,
    path: &Path,
    a: Approval,
    aws_flags: &str,
) -> Result<u8> {
    let saved = SavedPlan::read(path)?;
    let mut err = con.err();
    let sets: Vec<Pending> = saved.stacks.iter().filter_map(Step::pending).collect();
    let again = |why: String| -> anyhow::Error {
        anyhow::anyhow!(
            "{why}\nhint: make a new plan with `harden plan {} --out {}`",
            saved.selection,
            fresh_path(path).display()
        )
    };
    let mut infos = Vec::new();
    let mut plans = Vec::new();
    let mut applied = 0;
    for s in &saved.stacks {
        let regional = aws.at(s.region.as_deref())?;
        let c = &regional.cfn;
        let policy = s.policy()?;
        let info = stack::describe(c, s.stack_id.as_deref().unwrap_or(&s.name)).await?;
        if let Some(i) = &info {
            ownership::check(
                i,
                &s.blueprint,
                Intent::Deploy,
                s.adopting,
                &format!("harden plan {} --adopt", saved.selection),
            )?;
        }
        let deployed = match info.as_ref().filter(|i| !i.awaiting_first_change_set()) {
            Some(i) => Some((
                stack::deployed(c, i).await?,
                template_sha256(&stack::template_body(c, i).await?),
            )),
            None => None,
        };
        let now = deployed.as_ref().map(|(_, sha)| sha.clone());
        let contents = match &s.change_set_arn {
            Some(cs) => stack::change_set_contents(c, &s.name, cs).await?,
            None => None,
        };
        let executable = contents
            .as_ref()
            .is_some_and(|x| x.execution_status == "AVAILABLE");
        if now.as_deref() == Some(s.template_sha256.as_str()) && !executable {
            applied += 1;
            infos.push(info);
            continue;
        }
        if now != s.deployed_template_sha256 {
            let note = cleanup_all(aws, &sets).await;
            let show = |h: &Option<String>| {
                h.as_deref()
                    .map(|h| format!("template {}", &h[..12]))
                    .unwrap_or_else(|| "not deployed".into())
            };
            return Err(with_notes(
                again(format!(
                    "stack `{}` changed since the plan was made (then: {}, now: {}): the plan no longer describes what would happen",
                    s.name,
                    show(&s.deployed_template_sha256),
                    show(&now),
                )),
                &note,
            ));
        }
        let desired_template;
        let (params, tags) = match (&s.change_set_arn, &contents) {
            (None, _) if s.deferred.is_some() => {
                // Its change set is made when the step runs: the plan's own template.
                let d = s.deferred.as_ref().expect("matched");
                desired_template = parse_template(&d.body).with_context(|| {
                    format!("reading the planned template of stack `{}`", s.name)
                })?;
                (s.parameters.clone(), s.tags.clone())
            }
            (None, _) => {
                desired_template = deployed
                    .as_ref()
                    .map(|(d, _)| d.template.clone())
                    .unwrap_or(Node::Null);
                (s.parameters.clone(), s.tags.clone())
            }
            (Some(_), None) => {
                return Err(again(format!(
                    "the plan's change set for stack `{}` no longer exists",
                    s.name
                )))
            }
            (Some(_), Some(x)) => {
                if !executable {
                    return Err(again(format!(
                        "the plan's change set for stack `{}` cannot be executed: its execution status is {}",
                        s.name, x.execution_status
                    )));
                }
                let mut differ = Vec::new();
                if x.stack_name != s.name {
                    differ.push(format!("its stack is `{}`", x.stack_name));
                }
                if template_sha256(&x.template_body) != s.template_sha256 {
                    differ.push("its template differs".to_string());
                }
                if x.parameters != s.parameters {
                    differ.push("its parameters differ".to_string());
                }
                if x.tags != s.tags {
                    differ.push("its tags differ".to_string());
                }
                if !differ.is_empty() {
                    return refuse(format!(
                        "the change set {} does not carry what the plan `{}` describes for stack `{}` ({}), so harden will not execute it\nhint: make a new plan with `harden plan {} --out {}`",
                        s.change_set_arn.as_deref().unwrap_or_default(),
                        path.display(),
                        s.name,
                        differ.join(", "),
                        saved.selection,
                        fresh_path(path).display()
                    ));
                }
                desired_template = parse_template(&x.template_body).with_context(|| {
                    format!(
                        "reading the template of the change set for stack `{}`",
                        s.name
                    )
                })?;
                (x.parameters.clone(), x.tags.clone())
            }
        };
        let changes = match &s.change_set_arn {
            Some(cs) => Some(stack::change_set_changes(c, &s.name, cs).await?),
            None => None,
        };
        let desired = Desired {
            name: &s.name,
            template: &desired_template,
            parameters: &params,
            tags: &tags,
            termination_protection: s.termination_protection,
            stack_policy: policy.as_ref(),
            removed_by_parameters: &[],
        };
        plans.push(plan_stack(
            &desired,
            deployed.as_ref().map(|(d, _)| d),
            changes.as_deref(),
        ));
        infos.push(info);
    }
    writeln!(
        err,
        "executing the plan in `{}` ({})",
        path.display(),
        saved.selection
    )?;
    if applied == saved.stacks.len() {
        writeln!(
            err,
            "already applied: every stack of the plan runs the plan's template; nothing to do"
        )?;
        return Ok(exit::SUCCESS);
    }
    write!(err, "{}", saved.text)?;
    let plan = Plan { stacks: plans };
    if !saved.stacks.iter().any(Step::changes_stack)
        && !saved.stacks.iter().any(|s| s.termination_protection)
        && !plan.has_changes()
    {
        writeln!(err, "no changes: the plan has nothing to apply")?;
        return Ok(exit::SUCCESS);
    }
    let tier: Tier = saved.tier.parse()?;
    let blocked: Vec<&str> = plan
        .stacks
        .iter()
        .filter(|s| s.data_risks.iter().any(|r| r.blocked_by_stack_policy))
        .map(|s| s.name.as_str())
        .collect();
    let g = gate(
        tier,
        Risks {
            data_at_risk: plan.data_at_risk() || !blocked.is_empty(),
            broadens: plan.broadens_access(),
            adopting: saved.stacks.iter().any(|s| s.adopting),
        },
        a,
        con.interactive(),
        &format!("harden deploy --plan {}{aws_flags}", path.display()),
    );
    if let Some(code) = decide(aws, con, g, None).await? {
        return Ok(code);
    }
    let mut runs = Vec::new();
    for (s, info) in saved.stacks.iter().zip(&infos) {
        runs.push(Run::new(
            s,
            info.as_ref(),
            format!(
                "harden status --watch {}{aws_flags}",
                crate::settings::stack_flags(&s.blueprint, &s.name)
            ),
            a.allow_data_loss && blocked.contains(&s.name.as_str()),
            by_name(&plan, &s.name),
        )?);
    }
    let again = format!(
        "harden plan {} --out {}",
        saved.selection,
        fresh_path(path).display()
    );
    run(aws, con, &runs, &sets, &again).await
}

/// How one stack's step ended.
enum StepEnd {
    Done,
    RolledBack,
    /// A change set made as the step ran does more than the approved plan showed: it was not
    /// executed, and what it would do has been said.
    NeedsApproval,
}

/// Executes the steps in order. Whatever stops the run (a rollback, a refused call, a lost
/// connection), the change sets that did not run are deleted and the user is told.
/// `again` plans the deployment again (for a change set that needs a new approval).
async fn run(
    aws: &Clients,
    con: &Console,
    runs: &[Run<'_>],
    sets: &[Pending],
    again: &str,
) -> Result<u8> {
    let mut err = con.err();
    for (i, r) in runs.iter().enumerate() {
        let mut executed = false;
        // Each stack with its own region's client (a replica stack's is another region's).
        let end = match aws.at(r.step.region.as_deref()) {
            Ok(regional) => run_step(&regional.cfn, con, r, again, &mut executed).await,
            Err(e) => Err(e),
        };
        let stopped = !matches!(end, Ok(StepEnd::Done));
        if stopped {
            let later = &runs[i + usize::from(executed)..];
            let left: Vec<Pending> = sets
                .iter()
                .filter(|p| later.iter().any(|r| r.step.name == p.stack))
                .cloned()
                .collect();
            let note = cleanup_all(aws, &left).await;
            match end {
                Ok(end) => {
                    if !note.is_empty() {
                        writeln!(err, "{note}")?;
                    }
                    return Ok(match end {
                        StepEnd::NeedsApproval => exit::APPROVAL_NEEDED,
                        _ => exit::ROLLED_BACK,
                    });
                }
                Err(e) => return Err(with_notes(e, &note)),
            }
        }
    }
    writeln!(err, "deployed")?;
    Ok(exit::SUCCESS)
}

/// One change set to execute: the stack's id, the change set's ARN, the last event before it,
/// and the verb for what it does (`creating`, `updating`, ...).
struct Execution<'a> {
    id: &'a str,
    arn: &'a str,
    after: Option<String>,
    verb: &'a str,
}

/// Executes one change set by ARN and follows the stack to where it ends.
async fn execute_and_watch(
    c: &Client,
    con: &Console,
    r: &Run<'_>,
    x: Execution<'_>,
    executed: &mut bool,
) -> Result<StepEnd> {
    let Execution {
        id,
        arn,
        after,
        verb,
    } = x;
    let mut err = con.err();
    stack::execute(c, r.step.name.as_str(), arn).await?;
    *executed = true;
    writeln!(err, "{} stack {}", verb, r.step.name.as_str())?;
    let mut progress: Box<dyn Progress> = if con.progress_bar() {
        Box::new(Bar::new(r.step.name.as_str(), r.step.resources_touched))
    } else {
        Box::new(Lines(con.clone()))
    };
    let watched = watch(
        c,
        con,
        id,
        r.step.name.as_str(),
        after,
        progress.as_mut(),
        &r.resume,
    )
    .await?;
    let status = watched
        .info
        .as_ref()
        .map(|i| i.status.clone())
        .unwrap_or(StackStatus::DeleteComplete);
    match &status {
        s if s.succeeded() => {
            writeln!(err, "stack {}: {status}", r.step.name.as_str())?;
            Ok(StepEnd::Done)
        }
        s if s.rolled_back() => {
            let cause = first_cause(&watched.events)
                .map(StackEvent::summary)
                .unwrap_or_else(|| "CloudFormation recorded no cause".into());
            writeln!(
                err,
                "error: stack {} failed and rolled back to {status}",
                r.step.name.as_str()
            )?;
            writeln!(err, "first cause: {cause}")?;
            if status == StackStatus::RollbackComplete {
                writeln!(
                    err,
                    "hint: a stack whose first create failed cannot be updated; delete it with `{}`, fix the cause, and deploy again",
                    r.resume.replacen("harden status --watch", "harden destroy", 1)
                )?;
            }
            Ok(StepEnd::RolledBack)
        }
        other => {
            let cause = first_cause(&watched.events)
                .map(StackEvent::summary)
                .unwrap_or_default();
            bail!(
                "stack `{}` ended in {other}: {cause}\nhint: if it is UPDATE_ROLLBACK_FAILED, run `aws cloudformation continue-update-rollback --stack-name {}` once the blocker is fixed",
                r.step.name.as_str(),
                r.step.name.as_str()
            );
        }
    }
}

/// After the import: the update to the stack's full template.
async fn follow_up(
    c: &Client,
    con: &Console,
    r: &Run<'_>,
    f: &FollowUp<'_>,
    id: &str,
) -> Result<StepEnd> {
    let (arn, _) = stack::create_change_set(
        c,
        &ChangeSetRequest {
            stack: r.step.name.as_str(),
            name: &change_set_name(),
            template: &f.template,
            parameters: f.parameters,
            tags: f.tags,
            kind: ChangeSetKind::Update,
            role_arn: f.role_arn,
            revert_drift: false,
        },
    )
    .await?;
    let pending = Pending {
        stack: r.step.name.clone(),
        stack_id: id.to_string(),
        change_set: arn.clone(),
        empty_stack: false,
        region: r.step.region.clone(),
    };
    match stack::wait_change_set(c, r.step.name.as_str(), &arn).await? {
        ChangeSetState::Ready => {
            let after = stack::latest_event_id(c, id).await?;
            let mut executed = false;
            let end = execute_and_watch(
                c,
                con,
                r,
                Execution {
                    id,
                    arn: &arn,
                    after,
                    verb: "updating",
                },
                &mut executed,
            )
            .await;
            if !executed {
                let note = cleanup(c, &[pending]).await;
                return end.map_err(|e| with_notes(e, &note));
            }
            end
        }
        ChangeSetState::Empty => {
            let _ = cleanup(c, &[pending]).await;
            Ok(StepEnd::Done)
        }
        ChangeSetState::Failed(reason) => {
            let note = cleanup(c, &[pending]).await;
            Err(with_notes(
                anyhow::anyhow!(
                    "the import ran, so stack `{}` holds the retained resources, but the update to the full template could not be prepared: {reason}\nhint: fix the cause and run `{}` again: it updates the stack",
                    r.step.name.as_str(),
                    f.again
                ),
                &note,
            ))
        }
    }
}

/// A stack policy that allows every update: what "no policy" means, set while a change the
/// user allowed runs.
fn allow_all_updates() -> Node {
    Node::map([(
        "Statement",
        Node::Seq(vec![Node::map([
            ("Effect", Node::Str("Allow".into())),
            ("Action", Node::Str("Update:*".into())),
            ("Principal", Node::Str("*".into())),
            ("Resource", Node::Str("*".into())),
        ])]),
    )])
}

/// What came of a change set made as its step ran.
enum Made {
    /// Ready to execute.
    Ready(Pending),
    /// CloudFormation found nothing to change.
    Nothing,
    /// It does more than the approved plan showed; it was deleted and that was said.
    NeedsApproval,
}

/// Makes the change set of a step that waited for earlier stacks, and holds it to the plan
/// that was approved: if CloudFormation's change set puts data at risk or broadens access
/// beyond what that plan showed, it is deleted unexecuted and what it would do is shown.
async fn make_deferred(
    c: &Client,
    con: &Console,
    r: &Run<'_>,
    d: &Deferred,
    again: &str,
) -> Result<Made> {
    let mut err = con.err();
    let name = r.step.name.as_str();
    let now = stack::describe(c, r.step.stack_id.as_deref().unwrap_or(name)).await?;
    let exists = now.as_ref().is_some_and(|i| !i.awaiting_first_change_set());
    let (arn, id) = stack::create_change_set(
        c,
        &ChangeSetRequest {
            stack: name,
            name: &change_set_name(),
            template: &d.template,
            parameters: &r.step.parameters,
            tags: &r.step.tags,
            kind: if exists {
                ChangeSetKind::Update
            } else {
                ChangeSetKind::Create
            },
            role_arn: d.role_arn.as_deref(),
            revert_drift: false,
        },
    )
    .await?;
    let pending = Pending {
        stack: name.to_string(),
        stack_id: id,
        change_set: arn.clone(),
        empty_stack: !exists,
        region: r.step.region.clone(),
    };
    match stack::wait_change_set(c, name, &arn).await? {
        ChangeSetState::Ready => {}
        ChangeSetState::Empty => {
            let _ = cleanup(c, std::slice::from_ref(&pending)).await;
            writeln!(err, "stack {name}: CloudFormation found nothing to change")?;
            return Ok(Made::Nothing);
        }
        ChangeSetState::Failed(reason) => {
            return Err(refused_change_set(c, &pending, &reason).await)
        }
    }
    let template = parse_template(&d.body)
        .with_context(|| format!("reading the planned template of stack `{name}`"))?;
    let deployed = match now.as_ref().filter(|_| exists) {
        Some(i) => Some(stack::deployed(c, i).await?),
        None => None,
    };
    let changes = stack::change_set_changes(c, name, &arn).await?;
    let desired = Desired {
        name,
        template: &template,
        parameters: &r.step.parameters,
        tags: &r.step.tags,
        termination_protection: r.step.termination_protection,
        stack_policy: r.policy.as_ref(),
        removed_by_parameters: &[],
    };
    let fresh = plan_stack(&desired, deployed.as_ref(), Some(&changes));
    let beyond = r.approved.map(|a| fresh.beyond(a)).unwrap_or_default();
    if beyond.is_empty() {
        writeln!(
            err,
            "stack {name}: change set made now that {} deployed; it does nothing the plan did not show",
            d.after.join(", ")
        )?;
        return Ok(Made::Ready(pending));
    }
    let shown = harden_plan::render_text(
        &Plan {
            stacks: vec![fresh],
        },
        con.color_stderr(),
    );
    write!(err, "{shown}")?;
    let note = cleanup(c, std::slice::from_ref(&pending)).await;
    writeln!(
        err,
        "error: CloudFormation's change set for stack `{name}`, made once {} had deployed, does more than the approved plan showed: {}; it was not executed\nhint: the stacks before it are deployed; review the rest with `{again}` and deploy again",
        d.after.join(", "),
        beyond.join("; ")
    )?;
    for line in note.lines() {
        writeln!(err, "note: {line}")?;
    }
    Ok(Made::NeedsApproval)
}

/// A change set name of harden's: `harden-<seconds since the epoch>`.
fn change_set_name() -> String {
    format!(
        "harden-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    )
}

async fn run_step(
    c: &Client,
    con: &Console,
    r: &Run<'_>,
    again: &str,
    executed: &mut bool,
) -> Result<StepEnd> {
    let mut err = con.err();
    let was_created = r.was.is_some_and(|w| !w.awaiting_first_change_set());
    // A step that waited for earlier stacks makes its change set now.
    let made = match &r.step.deferred {
        Some(d) if r.step.change_set_arn.is_none() => {
            match make_deferred(c, con, r, d, again).await? {
                Made::Ready(p) => Some(p),
                Made::Nothing => None,
                Made::NeedsApproval => return Ok(StepEnd::NeedsApproval),
            }
        }
        _ => None,
    };
    let id = made
        .as_ref()
        .map(|p| p.stack_id.as_str())
        .or(r.step.stack_id.as_deref())
        .unwrap_or(r.step.name.as_str());
    let change_set = made
        .as_ref()
        .map(|p| p.change_set.as_str())
        .or(r.step.change_set_arn.as_deref());
    if let Some(arn) = change_set {
        let after = stack::latest_event_id(c, id).await?;
        if r.lift_policy {
            stack::set_stack_policy(c, r.step.name.as_str(), &allow_all_updates()).await?;
            writeln!(
                err,
                "stack {}: stack policy lifted for this deploy (--allow-data-loss); it is set again afterwards",
                r.step.name.as_str()
            )?;
        }
        let verb = match (&r.follow_up, was_created) {
            (Some(_), _) => "importing the retained resources into",
            (None, true) => "updating",
            (None, false) => "creating",
        };
        let result = execute_and_watch(
            c,
            con,
            r,
            Execution {
                id,
                arn,
                after,
                verb,
            },
            executed,
        )
        .await;
        let result = match (&made, *executed) {
            (Some(p), false) => {
                let note = cleanup(c, std::slice::from_ref(p)).await;
                result.map_err(|e| with_notes(e, &note))
            }
            _ => result,
        };
        if r.lift_policy {
            if let Some(policy) = &r.policy {
                let restored = stack::set_stack_policy(c, r.step.name.as_str(), policy).await;
                match (&result, restored) {
                    (_, Ok(())) => writeln!(
                        err,
                        "stack {}: stack policy set again",
                        r.step.name.as_str()
                    )?,
                    (Ok(_), Err(e)) => return Err(e),
                    (Err(_), Err(e)) => writeln!(
                        err,
                        "warning: could not set the stack policy of `{}` again: {e:#}",
                        r.step.name.as_str()
                    )?,
                }
            }
        }
        match result? {
            StepEnd::Done => {}
            end => return Ok(end),
        }
        if let Some(f) = &r.follow_up {
            if let StepEnd::RolledBack = follow_up(c, con, r, f, id).await? {
                return Ok(StepEnd::RolledBack);
            }
        }
    }
    if let Some(cur) = stack::describe(c, id).await? {
        if cur.termination_protection != r.step.termination_protection {
            stack::set_termination_protection(
                c,
                r.step.name.as_str(),
                r.step.termination_protection,
            )
            .await?;
            writeln!(
                err,
                "stack {}: termination protection {}",
                r.step.name.as_str(),
                if r.step.termination_protection {
                    "on"
                } else {
                    "off"
                }
            )?;
        }
        if let (Some(policy), false) = (&r.policy, r.lift_policy) {
            if stack::stack_policy(c, id, r.step.name.as_str())
                .await?
                .as_ref()
                != Some(policy)
            {
                stack::set_stack_policy(c, r.step.name.as_str(), policy).await?;
                writeln!(err, "stack {}: stack policy set", r.step.name.as_str())?;
            }
        }
    }
    Ok(StepEnd::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YES: Approval = Approval {
        yes: true,
        allow_data_loss: false,
        allow_broadening: false,
    };

    const DATA: Risks = Risks {
        data_at_risk: true,
        broadens: false,
        adopting: false,
    };
    const BROADENS: Risks = Risks {
        data_at_risk: false,
        broadens: true,
        adopting: false,
    };
    const ADOPTS: Risks = Risks {
        data_at_risk: false,
        broadens: false,
        adopting: true,
    };

    #[test]
    fn data_loss_needs_its_own_flag_from_enhanced_even_with_yes() {
        assert!(matches!(
            gate(Tier::Enhanced, DATA, YES, false, "harden deploy X"),
            Gate::Refuse(_)
        ));
        assert!(matches!(
            gate(Tier::Enterprise, DATA, YES, true, "harden deploy X"),
            Gate::Refuse(_)
        ));
        assert_eq!(
            gate(Tier::Basic, DATA, YES, false, "harden deploy X"),
            Gate::Proceed
        );
        let allowed = Approval {
            allow_data_loss: true,
            ..YES
        };
        assert_eq!(
            gate(Tier::Enhanced, DATA, allowed, false, "harden deploy X"),
            Gate::Proceed
        );
    }

    #[test]
    fn adopting_needs_the_data_loss_flag_at_every_tier() {
        for tier in Tier::ALL {
            assert!(
                matches!(gate(tier, ADOPTS, YES, true, "harden deploy X"), Gate::Refuse(r) if r.ends_with("run `harden deploy X --yes --allow-data-loss`")),
                "{tier}"
            );
            let allowed = Approval {
                allow_data_loss: true,
                ..YES
            };
            assert_eq!(
                gate(tier, ADOPTS, allowed, false, "harden deploy X"),
                Gate::Proceed,
                "{tier}"
            );
        }
    }

    #[test]
    fn no_terminal_and_no_yes_is_approval_needed() {
        let none = Approval::default();
        assert!(
            matches!(gate(Tier::Basic, Risks::default(), none, false, "harden deploy X"), Gate::Refuse(r) if r.starts_with("approval needed"))
        );
        assert!(matches!(
            gate(Tier::Basic, Risks::default(), none, true, "harden deploy X"),
            Gate::Ask(_)
        ));
    }

    /// Regression: the hint of a refusal with `--yes` given dropped `--yes` from the command
    /// it proposed, which then stopped on "approval needed".
    #[test]
    fn a_refusals_hint_keeps_the_flags_given_and_adds_those_needed() {
        let both = Risks {
            data_at_risk: true,
            broadens: true,
            adopting: false,
        };
        let Gate::Refuse(r) = gate(Tier::Enterprise, both, YES, false, "harden deploy X") else {
            panic!("refused")
        };
        assert!(
            r.ends_with("run `harden deploy X --yes --allow-data-loss --allow-broadening`"),
            "{r}"
        );
        let Gate::Refuse(r) = gate(Tier::Enterprise, BROADENS, YES, false, "harden deploy X")
        else {
            panic!("refused")
        };
        assert!(
            r.ends_with("run `harden deploy X --yes --allow-broadening`"),
            "{r}"
        );
    }

    #[test]
    fn enterprise_broadening_needs_a_person_or_its_own_flag() {
        assert!(matches!(
            gate(Tier::Enterprise, BROADENS, YES, false, "harden deploy X"),
            Gate::Refuse(_)
        ));
        assert!(matches!(
            gate(Tier::Enterprise, BROADENS, YES, true, "harden deploy X"),
            Gate::Ask(_)
        ));
        let allowed = Approval {
            allow_broadening: true,
            ..YES
        };
        assert_eq!(
            gate(
                Tier::Enterprise,
                BROADENS,
                allowed,
                false,
                "harden deploy X"
            ),
            Gate::Proceed
        );
        assert_eq!(
            gate(Tier::Enhanced, BROADENS, YES, false, "harden deploy X"),
            Gate::Proceed
        );
    }
}
