//! The CloudFormation calls harden makes, one function each, returning plain data. Every
//! failure names the call and the stack (see [`super::aws::explain`]).

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
pub use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, ResourceToImport, Tag, TemplateStage,
};
use aws_sdk_cloudformation::Client;
use harden_blueprints::cfn::parse::parse_template;
use harden_blueprints::cfn::Node;
use harden_plan::{ChangeDetail, ChangeSetChange, Deployed};
use indexmap::IndexMap;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use super::aws::{explain, is_missing_stack};
use super::events::StackEvent;

/// What `DescribeStacks` says of a stack.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    /// The stack ARN.
    pub id: String,
    /// The name.
    pub name: String,
    /// `CREATE_COMPLETE`, `UPDATE_ROLLBACK_FAILED`, ...
    pub status: StackStatus,
    /// Why it is in that status, if CloudFormation says.
    pub reason: Option<String>,
    /// Termination protection.
    pub termination_protection: bool,
    /// Parameters.
    pub parameters: IndexMap<String, String>,
    /// Tags.
    pub tags: IndexMap<String, String>,
    /// Outputs: key, value, description.
    pub outputs: Vec<(String, String, Option<String>)>,
    /// The names its outputs are exported under.
    pub exports: Vec<String>,
    /// When it last changed (RFC 3339): the guard against executing a stale saved plan.
    pub last_changed: Option<String>,
    /// Its drift status at the last detection (`DRIFTED`, `IN_SYNC`, `NOT_CHECKED`...).
    pub drift_status: Option<String>,
    /// When drift detection last ran on it, seconds since the epoch.
    pub drift_checked: Option<i64>,
}

impl StackInfo {
    /// Whether an operation is running on it.
    pub fn in_progress(&self) -> bool {
        self.status.in_progress()
    }

    /// Whether it exists only as the placeholder of a change set that creates it.
    pub fn awaiting_first_change_set(&self) -> bool {
        self.status == StackStatus::ReviewInProgress
    }
}

/// What harden asks of a stack's status (CloudFormation's `StackStatus`, the SDK's enum).
pub trait Status {
    /// `*_IN_PROGRESS`, the review placeholder of a first change set included: a stack just
    /// executed may still say `REVIEW_IN_PROGRESS`, and a watch must wait it out.
    fn in_progress(&self) -> bool;
    /// An operation is running on it (`*_IN_PROGRESS`, the review placeholder aside).
    fn busy(&self) -> bool;
    /// The last operation failed and nothing put the stack back (`*_FAILED`).
    fn failed(&self) -> bool;
    /// The last operation was rolled back (`*ROLLBACK_COMPLETE`).
    fn rolled_back(&self) -> bool;
    /// The last operation succeeded.
    fn succeeded(&self) -> bool;
}

impl Status for StackStatus {
    fn in_progress(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }
    fn busy(&self) -> bool {
        self.in_progress() && *self != StackStatus::ReviewInProgress
    }
    fn failed(&self) -> bool {
        self.as_str().ends_with("_FAILED")
    }
    fn rolled_back(&self) -> bool {
        matches!(
            self,
            StackStatus::RollbackComplete
                | StackStatus::UpdateRollbackComplete
                | StackStatus::ImportRollbackComplete
        )
    }
    fn succeeded(&self) -> bool {
        matches!(
            self,
            StackStatus::CreateComplete | StackStatus::UpdateComplete | StackStatus::ImportComplete
        )
    }
}

pub(crate) fn rfc3339(t: &aws_sdk_cloudformation::primitives::DateTime) -> String {
    t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| t.secs().to_string())
}

/// `DescribeStacks` by name or id; `None` if there is no such stack.
pub async fn describe(c: &Client, name: &str) -> Result<Option<StackInfo>> {
    let out = match c.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        Err(e) if is_missing_stack(&e) => return Ok(None),
        Err(e) => return Err(explain("DescribeStacks", name, e)),
    };
    Ok(out
        .stacks()
        .first()
        .map(info_of)
        .filter(|i| i.status != StackStatus::DeleteComplete))
}

/// A stack as `DescribeStacks` reports it.
pub fn info_of(s: &aws_sdk_cloudformation::types::Stack) -> StackInfo {
    StackInfo {
        id: s.stack_id().unwrap_or_default().to_string(),
        name: s.stack_name().unwrap_or_default().to_string(),
        status: s
            .stack_status()
            .cloned()
            .unwrap_or_else(|| StackStatus::from("")),
        reason: s.stack_status_reason().map(str::to_string),
        termination_protection: s.enable_termination_protection().unwrap_or(false),
        parameters: parameter_map(s.parameters()),
        tags: tag_map(s.tags()),
        outputs: s
            .outputs()
            .iter()
            .map(|o| {
                (
                    o.output_key().unwrap_or_default().to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                    o.description().map(str::to_string),
                )
            })
            .collect(),
        exports: s
            .outputs()
            .iter()
            .filter_map(|o| o.export_name().map(str::to_string))
            .collect(),
        last_changed: s.last_updated_time().or(s.creation_time()).map(rfc3339),
        drift_status: s
            .drift_information()
            .and_then(|d| d.stack_drift_status())
            .map(|x| x.as_str().to_string()),
        drift_checked: s
            .drift_information()
            .and_then(|d| d.last_check_timestamp())
            .map(|t| t.secs()),
    }
}

/// Parameters as key → value.
fn parameter_map(ps: &[Parameter]) -> IndexMap<String, String> {
    ps.iter()
        .map(|p| {
            (
                p.parameter_key().unwrap_or_default().to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Tags as key → value.
fn tag_map(tags: &[Tag]) -> IndexMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The deployed template's body, as submitted.
pub async fn template_body(c: &Client, info: &StackInfo) -> Result<String> {
    let t = c
        .get_template()
        .stack_name(&info.id)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| explain("GetTemplate", &info.name, e))?;
    Ok(t.template_body().unwrap_or_default().to_string())
}

/// What is deployed: the template as submitted, parameters, tags, termination protection
/// and the stack policy.
pub async fn deployed(c: &Client, info: &StackInfo) -> Result<Deployed> {
    let body = template_body(c, info).await?;
    let template = parse_template(&body)
        .with_context(|| format!("reading the deployed template of stack `{}`", info.name))?;
    let stack_policy = stack_policy(c, &info.id, &info.name).await?;
    Ok(Deployed {
        template,
        parameters: info.parameters.clone(),
        tags: info.tags.clone(),
        termination_protection: info.termination_protection,
        stack_policy,
        status: info.status.as_str().to_string(),
    })
}

/// The stack policy in force, if any.
pub async fn stack_policy(c: &Client, id: &str, name: &str) -> Result<Option<Node>> {
    let p = c
        .get_stack_policy()
        .stack_name(id)
        .send()
        .await
        .map_err(|e| explain("GetStackPolicy", name, e))?;
    match p.stack_policy_body() {
        Some(b) if !b.trim().is_empty() => Ok(Some(
            harden_blueprints::cfn::parse::parse(b)
                .with_context(|| format!("reading the stack policy of stack `{name}`"))?,
        )),
        _ => Ok(None),
    }
}

/// What a change set is to carry.
pub struct ChangeSetRequest<'a> {
    /// Stack name.
    pub stack: &'a str,
    /// Change set name.
    pub name: &'a str,
    /// The template, as it travels (see [`super::artifacts::transport`]).
    pub template: &'a TemplateSource,
    /// Parameters.
    pub parameters: &'a IndexMap<String, String>,
    /// Tags.
    pub tags: &'a IndexMap<String, String>,
    /// Create, update, or import into a new stack.
    pub kind: ChangeSetKind<'a>,
    /// The CloudFormation service role the change set acts as (`RoleARN`); `None`: the caller.
    pub role_arn: Option<&'a str>,
    /// A drift-aware change set (`DeploymentMode: REVERT_DRIFT`) that brings drifted
    /// resources back to the template; updates only.
    pub revert_drift: bool,
}

/// A template as it is sent to CloudFormation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateSource {
    /// In the request: compact JSON of at most 51,200 bytes.
    Body(String),
    /// The `TemplateURL` of an object in the artifact bucket.
    Url(String),
}

/// What a change set does to its stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSetKind<'a> {
    /// The stack does not exist yet (or only empty, in `REVIEW_IN_PROGRESS`).
    Create,
    /// The stack exists.
    Update,
    /// A new stack, made of these existing resources.
    Import(&'a [harden_plan::import::ToImport]),
}

/// `CreateChangeSet`; returns the change set's ARN and the stack's id (for a new stack,
/// CloudFormation creates it empty, in `REVIEW_IN_PROGRESS`).
pub async fn create_change_set(c: &Client, r: &ChangeSetRequest<'_>) -> Result<(String, String)> {
    let mut req = c
        .create_change_set()
        .stack_name(r.stack)
        .change_set_name(r.name)
        .description("created by harden")
        .set_template_body(match r.template {
            TemplateSource::Body(b) => Some(b.clone()),
            TemplateSource::Url(_) => None,
        })
        .set_template_url(match r.template {
            TemplateSource::Url(u) => Some(u.clone()),
            TemplateSource::Body(_) => None,
        })
        .set_role_arn(r.role_arn.map(str::to_string))
        .change_set_type(match r.kind {
            ChangeSetKind::Create => ChangeSetType::Create,
            ChangeSetKind::Update => ChangeSetType::Update,
            ChangeSetKind::Import(_) => ChangeSetType::Import,
        })
        .capabilities(Capability::CapabilityIam);
    if r.revert_drift && matches!(r.kind, ChangeSetKind::Update) {
        req = req.deployment_mode(aws_sdk_cloudformation::types::DeploymentMode::RevertDrift);
    }
    if let ChangeSetKind::Import(resources) = r.kind {
        for x in resources {
            req = req.resources_to_import(
                ResourceToImport::builder()
                    .resource_type(&x.resource_type)
                    .logical_resource_id(&x.logical_id)
                    .resource_identifier(&x.identifier.0, &x.identifier.1)
                    .build(),
            );
        }
    }
    for (k, v) in r.parameters {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build(),
        );
    }
    for (k, v) in r.tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    let out = req
        .send()
        .await
        .map_err(|e| explain("CreateChangeSet", r.stack, e))?;
    let arn = out
        .id()
        .ok_or_else(|| anyhow!("CreateChangeSet for stack `{}` returned no id", r.stack))?;
    Ok((
        arn.to_string(),
        out.stack_id().unwrap_or(r.stack).to_string(),
    ))
}

/// How a change set ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetState {
    /// Ready to execute.
    Ready,
    /// CloudFormation found nothing to change.
    Empty,
    /// It could not be created.
    Failed(String),
}

/// Whether a failed change set's reason means "no changes" (AWS's two wordings).
pub fn means_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Waits for a change set to finish creating.
pub async fn wait_change_set(c: &Client, stack: &str, arn: &str) -> Result<ChangeSetState> {
    let mut delay = Duration::from_millis(500);
    loop {
        let out = c
            .describe_change_set()
            .change_set_name(arn)
            .send()
            .await
            .map_err(|e| explain("DescribeChangeSet", stack, e))?;
        match out.status() {
            Some(ChangeSetStatus::CreateComplete) => return Ok(ChangeSetState::Ready),
            Some(ChangeSetStatus::Failed) => {
                let reason = out.status_reason().unwrap_or("no reason given").to_string();
                return Ok(if means_no_changes(&reason) {
                    ChangeSetState::Empty
                } else {
                    ChangeSetState::Failed(reason)
                });
            }
            _ => {}
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

pub use harden_plan::validation::{HookResult, PlannedHook, PreDeployment, Validation};

/// What CloudFormation reported of a change set through `DescribeEvents`: the validations that
/// failed or warned, and the hooks' results.
pub async fn change_set_events(
    c: &Client,
    stack: &str,
    change_set: &str,
) -> Result<(Vec<Validation>, Vec<HookResult>)> {
    use aws_sdk_cloudformation::types::{HookFailureMode, ValidationStatus};
    let mut validations = Vec::new();
    let mut hooks: Vec<HookResult> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = c
            .describe_events()
            .change_set_name(change_set)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("DescribeEvents", stack, e))?;
        for e in out.operation_events() {
            if let Some(name) = e.validation_name() {
                if e.validation_status() == Some(&ValidationStatus::Failed) {
                    validations.push(Validation {
                        name: name.to_string(),
                        path: e.validation_path().map(str::to_string),
                        resource: e.logical_resource_id().map(str::to_string),
                        reason: e
                            .validation_status_reason()
                            .unwrap_or("no reason given")
                            .to_string(),
                        warning: e.validation_failure_mode() == Some(&HookFailureMode::Warn),
                    });
                }
            }
            if let (Some(hook), Some(status)) = (e.hook_type(), e.hook_status()) {
                let r = HookResult {
                    hook: hook.to_string(),
                    status: status.as_str().to_string(),
                    reason: e.hook_status_reason().map(str::to_string),
                    resource: e.logical_resource_id().map(str::to_string),
                    warn_only: e.hook_failure_mode() == Some(&HookFailureMode::Warn),
                };
                // The last word of a hook on a resource replaces its progress.
                match hooks
                    .iter_mut()
                    .find(|h| h.hook == r.hook && h.resource == r.resource)
                {
                    Some(h) => *h = r,
                    None => hooks.push(r),
                }
            }
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok((validations, hooks))
}

/// The hooks that will check resources when a change set runs (`DescribeChangeSetHooks`),
/// every page.
pub async fn change_set_hooks(
    c: &Client,
    stack: &str,
    change_set: &str,
) -> Result<Vec<PlannedHook>> {
    use aws_sdk_cloudformation::types::HookFailureMode;
    let mut planned = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = c
            .describe_change_set_hooks()
            .change_set_name(change_set)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("DescribeChangeSetHooks", stack, e))?;
        for h in out.hooks() {
            let target = h.target_details().and_then(|t| t.resource_target_details());
            planned.push(PlannedHook {
                hook: h.type_name().unwrap_or("a hook").to_string(),
                resource: target
                    .and_then(|t| t.logical_resource_id())
                    .map(str::to_string),
                resource_type: target.and_then(|t| t.resource_type()).map(str::to_string),
                action: target
                    .and_then(|t| t.resource_action())
                    .map(|a| a.as_str().to_string()),
                warn_only: h.failure_mode() == Some(&HookFailureMode::Warn),
            });
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(planned)
}

/// The changes of a change set, every page.
pub async fn change_set_changes(
    c: &Client,
    stack: &str,
    arn: &str,
) -> Result<Vec<ChangeSetChange>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = c
            .describe_change_set()
            .change_set_name(arn)
            .include_property_values(true)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("DescribeChangeSet", stack, e))?;
        for ch in page.changes() {
            let Some(rc) = ch.resource_change() else {
                continue;
            };
            out.push(ChangeSetChange {
                logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: rc.resource_type().unwrap_or_default().to_string(),
                action: rc
                    .action()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
                replacement: rc.replacement().map(|r| r.as_str().to_string()),
                scope: rc.scope().iter().map(|s| s.as_str().to_string()).collect(),
                drift_status: rc.resource_drift_status().map(|s| s.as_str().to_string()),
                details: rc
                    .details()
                    .iter()
                    .map(|d| ChangeDetail {
                        attribute: d
                            .target()
                            .and_then(|t| t.attribute())
                            .map(|a| a.as_str().to_string())
                            .unwrap_or_default(),
                        name: d.target().and_then(|t| t.name()).map(str::to_string),
                        requires_recreation: d
                            .target()
                            .and_then(|t| t.requires_recreation())
                            .map(|r| r.as_str().to_string()),
                        change_source: d.change_source().map(|s| s.as_str().to_string()),
                        causing_entity: d.causing_entity().map(str::to_string),
                        path: d.target().and_then(|t| t.path()).map(str::to_string),
                        before: d
                            .target()
                            .and_then(|t| t.before_value())
                            .map(str::to_string),
                        after: d.target().and_then(|t| t.after_value()).map(str::to_string),
                    })
                    .collect(),
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// `ExecuteChangeSet` by ARN.
pub async fn execute(c: &Client, stack: &str, arn: &str) -> Result<()> {
    c.execute_change_set()
        .change_set_name(arn)
        .send()
        .await
        .map_err(|e| explain("ExecuteChangeSet", stack, e))?;
    Ok(())
}

/// `DeleteChangeSet` by ARN.
pub async fn delete_change_set(c: &Client, stack: &str, arn: &str) -> Result<()> {
    c.delete_change_set()
        .change_set_name(arn)
        .send()
        .await
        .map_err(|e| explain("DeleteChangeSet", stack, e))?;
    Ok(())
}

/// Whether a change set still exists and can be executed.
pub async fn change_set_executable(c: &Client, stack: &str, arn: &str) -> Result<Option<String>> {
    match c.describe_change_set().change_set_name(arn).send().await {
        Ok(out) => {
            let status = out
                .execution_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            Ok(if status == "AVAILABLE" {
                None
            } else {
                Some(format!("its execution status is {status}"))
            })
        }
        Err(e) => {
            let msg = format!("{}", explain("DescribeChangeSet", stack, e));
            Ok(Some(msg))
        }
    }
}

/// What a change set carries, read back from AWS: a saved plan is checked against it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSetContents {
    /// The stack it belongs to.
    pub stack_id: String,
    /// The stack's name.
    pub stack_name: String,
    /// `AVAILABLE`, `EXECUTE_COMPLETE`, `OBSOLETE`, ...
    pub execution_status: String,
    /// The template body it would deploy.
    pub template_body: String,
    /// Its parameters.
    pub parameters: IndexMap<String, String>,
    /// Its tags.
    pub tags: IndexMap<String, String>,
}

/// `DescribeChangeSet` and `GetTemplate` of a change set; `None` if it no longer exists.
pub async fn change_set_contents(
    c: &Client,
    stack: &str,
    arn: &str,
) -> Result<Option<ChangeSetContents>> {
    let out = match c.describe_change_set().change_set_name(arn).send().await {
        Ok(out) => out,
        Err(e) if is_missing_change_set(&e) => return Ok(None),
        Err(e) => return Err(explain("DescribeChangeSet", stack, e)),
    };
    let template = c
        .get_template()
        .change_set_name(arn)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| explain("GetTemplate", stack, e))?;
    Ok(Some(ChangeSetContents {
        stack_id: out.stack_id().unwrap_or_default().to_string(),
        stack_name: out.stack_name().unwrap_or_default().to_string(),
        execution_status: out
            .execution_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        template_body: template.template_body().unwrap_or_default().to_string(),
        parameters: parameter_map(out.parameters()),
        tags: tag_map(out.tags()),
    }))
}

fn is_missing_change_set<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::ServiceError(se) => {
            matches!(
                se.err().code(),
                Some("ChangeSetNotFound" | "ChangeSetNotFoundException")
            ) || (se.err().code() == Some("ValidationError")
                && se
                    .err()
                    .message()
                    .is_some_and(|m| m.contains("does not exist")))
        }
        _ => false,
    }
}

/// One resource of a deployed stack (`ListStackResources`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    /// Logical id.
    pub logical_id: String,
    /// Type.
    pub resource_type: String,
    /// Physical id, once it exists.
    pub physical_id: Option<String>,
    /// `CREATE_COMPLETE`, `DELETE_SKIPPED` (retained by a deleted stack), ...
    pub status: String,
}

/// `ListStackResources`, every page. For a deleted stack, pass its id.
pub async fn resources(c: &Client, stack: &str) -> Result<Vec<StackResource>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = c
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("ListStackResources", stack, e))?;
        for r in page.stack_resource_summaries() {
            out.push(StackResource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: r.resource_type().unwrap_or_default().to_string(),
                physical_id: r.physical_resource_id().map(str::to_string),
                status: r
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// `UpdateTerminationProtection`.
pub async fn set_termination_protection(c: &Client, stack: &str, on: bool) -> Result<()> {
    c.update_termination_protection()
        .stack_name(stack)
        .enable_termination_protection(on)
        .send()
        .await
        .map_err(|e| explain("UpdateTerminationProtection", stack, e))?;
    Ok(())
}

/// `SetStackPolicy`.
pub async fn set_stack_policy(c: &Client, stack: &str, policy: &Node) -> Result<()> {
    let body = harden_blueprints::cfn::render::to_json(policy);
    c.set_stack_policy()
        .stack_name(stack)
        .stack_policy_body(body)
        .send()
        .await
        .map_err(|e| explain("SetStackPolicy", stack, e))?;
    Ok(())
}

/// `DeleteStack`, by id (or name); `name` names the stack in errors.
pub async fn delete_stack(c: &Client, id: &str, name: &str) -> Result<()> {
    c.delete_stack()
        .stack_name(id)
        .send()
        .await
        .map_err(|e| explain("DeleteStack", name, e))?;
    Ok(())
}

/// The stack's events newer than the event with id `after` (all of them if `None`),
/// oldest first.
pub async fn events_after(c: &Client, stack: &str, after: Option<&str>) -> Result<Vec<StackEvent>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    'pages: loop {
        let page = c
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("DescribeStackEvents", stack, e))?;
        for e in page.stack_events() {
            let id = e.event_id().unwrap_or_default();
            if Some(id) == after {
                break 'pages;
            }
            out.push(StackEvent {
                id: id.to_string(),
                time: e.timestamp().map(rfc3339).unwrap_or_default(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_string),
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// The id of the newest event, to stream only what comes after it.
pub async fn latest_event_id(c: &Client, stack: &str) -> Result<Option<String>> {
    let page = c
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| explain("DescribeStackEvents", stack, e))?;
    Ok(page
        .stack_events()
        .first()
        .and_then(|e| e.event_id())
        .map(str::to_string))
}

/// The stack's resources and their deletion policy as deployed, for `destroy`'s list of
/// what is retained.
pub fn retained(template: &Node) -> Vec<(String, String)> {
    template
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .map(|rs| {
            rs.iter()
                .filter(|(_, r)| {
                    r.get_path(&["DeletionPolicy"]).and_then(Node::as_str) == Some("Retain")
                })
                .map(|(id, r)| {
                    (
                        id.clone(),
                        r.get_path(&["Type"])
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
