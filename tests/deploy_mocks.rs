//! Deploy paths the emulator cannot show (per-resource events, rollbacks, change-set
//! replacement details, termination protection, AWS's answer for an empty change set), tested
//! against the SDK's own mocks fed responses shaped like AWS's documented ones.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set_hooks::DescribeChangeSetHooksOutput;
use aws_sdk_cloudformation::operation::describe_events::DescribeEventsOutput;
use aws_sdk_cloudformation::operation::describe_stack_drift_detection_status::DescribeStackDriftDetectionStatusOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::{
    DescribeStackEventsError, DescribeStackEventsOutput,
};
use aws_sdk_cloudformation::operation::describe_stack_resource_drifts::DescribeStackResourceDriftsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::detect_stack_drift::{
    DetectStackDriftError, DetectStackDriftOutput,
};
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_stack_policy::GetStackPolicyOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::operation::list_stacks::ListStacksOutput;
use aws_sdk_cloudformation::operation::set_stack_policy::SetStackPolicyOutput;
use aws_sdk_cloudformation::operation::update_termination_protection::UpdateTerminationProtectionOutput;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetHook, ChangeSetHookResourceTargetDetails,
    ChangeSetHookTargetDetails, ChangeSetHooksStatus, ChangeSetStatus, ChangeType, DifferenceType,
    EventType, ExecutionStatus, HookFailureMode, HookInvocationPoint, HookStatus, HookTargetType,
    OperationEvent, PropertyDifference, Replacement, ResourceChange, ResourceStatus, Stack,
    StackDriftDetectionStatus, StackDriftStatus, StackEvent, StackResourceDrift,
    StackResourceDriftStatus, StackResourceSummary, StackStatus, ValidationStatus,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use harden::deploy::apply::{deploy, deploy_stacks, Approval};
use harden::deploy::aws::Clients;
use harden::deploy::destroy::{destroy, DestroyOptions};
use harden::deploy::prepare::body;
use harden::exit;
use harden::settings::{Selection, Target};
use harden::ui::Console;
use harden_blueprints::Tier;

const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-vpc/1";
const CS_ARN: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/harden-1/1";
const BASELINE_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/harden-account-baseline/2";
const BASELINE_CS: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/harden-1/2";
const MONITORING_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/harden-account-monitoring/3";
const MONITORING_CS: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/harden-1/3";

/// The account baseline's stacks (the second one at enterprise): name, stack id, change set.
const ACCOUNT_STACKS: [(&str, &str, &str); 2] = [
    ("harden-account-baseline", BASELINE_ID, BASELINE_CS),
    ("harden-account-monitoring", MONITORING_ID, MONITORING_CS),
];

/// Which account baseline stack a stack name, stack id or change set names, if any.
fn account_stack(name: Option<&str>) -> Option<usize> {
    ACCOUNT_STACKS
        .iter()
        .position(|(n, id, cs)| name.is_some_and(|x| x == *n || x == *id || x == *cs))
}

/// The parameters an enterprise selection needs: an alert destination.
fn enterprise_params() -> Vec<(String, String)> {
    enterprise_pairs()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What an enterprise render of the workload needs: an alert destination, a pinned image and
/// the region its buckets replicate to.
fn enterprise_pairs() -> [(&'static str, &'static str); 3] {
    [
        ("alert_email", "security@example.com"),
        ("image_tag", DIGEST),
        ("replica_region", "us-west-2"),
    ]
}

/// The selection's stacks but its replica stack (in `replica_region`, which these mocks of
/// one region do not serve; `tests/e2e_regions.rs` deploys one).
fn without_replica(sel: &Selection) -> Vec<harden::render::Rendered> {
    harden::deploy::prepare::selection_stacks(sel)
        .unwrap()
        .into_iter()
        .filter(|r| r.spec.region.is_none())
        .collect()
}

/// An event as AWS reports it.
#[derive(Clone)]
struct Ev(
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// The fake account: one stack, one change set, and what happens when it runs.
#[derive(Default)]
struct World {
    /// Status, template body, termination protection; `None`: no stack.
    stack: Option<(String, String, bool)>,
    change_set_failure: Option<&'static str>,
    changes: Vec<(
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    )>,
    /// Events before the operation, oldest first.
    events: Vec<Ev>,
    /// Events the operation produces, oldest first.
    run_events: Vec<Ev>,
    /// Statuses DescribeStacks returns after execution, one per call (the last one sticks).
    run_statuses: VecDeque<&'static str>,
    running: bool,
    /// DescribeStackEvents fails once the operation runs (a lost connection).
    lose_connection: bool,
    /// Stack tags (empty: harden's, for blueprint `sagemaker-vpc` at basic, unless `foreign`).
    tags: Vec<(&'static str, &'static str)>,
    /// The stack was not created by harden: it has no harden tags.
    foreign: bool,
    /// The deployed stack policy.
    stack_policy: Option<String>,
    /// The account baseline's stacks (enhanced and up; the second at enterprise): `None`
    /// until a change set creates one, then its status. They are created cleanly; the
    /// scenarios are about the workload stack.
    baseline: [Option<&'static str>; 2],
    /// What drift detection finds on the workload stack: logical id, type, property path,
    /// expected and actual values (the baseline's stacks are in sync).
    drift: Vec<(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )>,
    /// `DetectStackDrift` is refused (a role without the permission).
    drift_refused: bool,
    /// `DescribeStackDriftDetectionStatus` calls so far: the first says the detection is
    /// still running.
    drift_polls: usize,
    /// The last change set of the workload was drift-aware (`REVERT_DRIFT`): its changes then
    /// carry each resource's drift status, and list the drifted resources.
    revert_drift: bool,
    /// Resources a drift-aware change set cannot compare with their actual state.
    unsupported: Vec<(&'static str, &'static str)>,
    /// What `DescribeEvents` reports of the workload's change set: validation name, template
    /// path, resource, reason, and whether it only warns.
    validations: Vec<(&'static str, &'static str, &'static str, &'static str, bool)>,
    /// Hook results: type, status, reason.
    hooks: Vec<(&'static str, &'static str, &'static str)>,
    /// Hooks that will run when the workload's change set is executed: type, resource,
    /// resource type, action.
    planned_hooks: Vec<(&'static str, &'static str, &'static str, &'static str)>,
}

type Shared = Arc<Mutex<World>>;

/// The tags harden gives the workload stack at basic.
const HARDEN_TAGS: &[(&str, &str)] = &[
    ("harden:blueprint", "sagemaker-vpc"),
    ("harden:tier", "basic"),
];

/// A fixed image digest: enterprise renders need the model image pinned.
const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn selection(tier: Tier) -> Selection {
    Selection::new("sagemaker-vpc", tier, None, Vec::new()).unwrap()
}

/// The template body harden would deploy for the workload stack.
fn workload_body(tier: Tier, params: &[(&str, &str)]) -> String {
    let raw = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sel = Selection::new("sagemaker-vpc", tier, None, raw).unwrap();
    let spec = sel
        .stacks()
        .unwrap()
        .into_iter()
        .find(|s| s.name == "sagemaker-vpc")
        .unwrap();
    body(&harden_blueprints::cfn::to_node(&spec.template).unwrap())
}

fn stack_event(i: usize, e: &Ev) -> StackEvent {
    StackEvent::builder()
        .event_id(format!("ev-{i}"))
        .stack_id(STACK_ID)
        .stack_name("sagemaker-vpc")
        .logical_resource_id(e.0)
        .resource_type(e.1)
        .resource_status(ResourceStatus::from(e.2))
        .set_resource_status_reason(e.3.map(str::to_string))
        .timestamp(DateTime::from_secs(1_700_000_000 + i as i64))
        .build()
}

/// A CloudFormation client with an S3 client that has no answers (a call to it fails the test).
fn with_s3(cfn: Client) -> Clients {
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]);
    Clients::new(cfn, s3, "us-east-1")
}

fn not_found() -> DescribeStacksError {
    DescribeStacksError::generic(
        ErrorMetadata::builder()
            .code("ValidationError")
            .message("Stack with id sagemaker-vpc does not exist")
            .build(),
    )
}

struct Fake {
    world: Shared,
    rules: Vec<Rule>,
}

impl Fake {
    fn new(world: World) -> Fake {
        let w: Shared = Arc::new(Mutex::new(world));
        let ws = w.clone();
        let describe = mock!(Client::describe_stacks).then_compute_response(move |req| {
            let mut w = ws.lock().unwrap();
            if req.stack_name().is_none() {
                // Every stack of the region: the checks of names before a create read it;
                // these scenarios are about other things, so the region looks empty.
                return MockResponse::Output(DescribeStacksOutput::builder().build());
            }
            if req
                .stack_name()
                .is_some_and(|n| n.starts_with("harden-bootstrap-"))
            {
                // No bootstrap stack: the templates here fit in a body.
                return MockResponse::Error(not_found());
            }
            if let Some(i) = account_stack(req.stack_name()) {
                let (name, id, _) = ACCOUNT_STACKS[i];
                return match w.baseline[i] {
                    Some(status) => MockResponse::Output(
                        DescribeStacksOutput::builder()
                            .stacks(
                                Stack::builder()
                                    .stack_id(id)
                                    .stack_name(name)
                                    .stack_status(StackStatus::from(status))
                                    .creation_time(DateTime::from_secs(1_600_000_000))
                                    .tags(
                                        aws_sdk_cloudformation::types::Tag::builder()
                                            .key("harden:blueprint")
                                            .value("account-baseline")
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    ),
                    None => MockResponse::Error(not_found()),
                };
            }
            if !matches!(req.stack_name(), Some("sagemaker-vpc" | STACK_ID)) {
                return MockResponse::Error(not_found());
            }
            let status = if w.running {
                let s = if w.run_statuses.len() > 1 {
                    w.run_statuses.pop_front()
                } else {
                    w.run_statuses.front().copied()
                };
                s.map(str::to_string)
            } else {
                w.stack.as_ref().map(|s| s.0.clone())
            };
            match (status, &w.stack) {
                (Some(st), Some((_, _, tp))) if st != "DELETE_COMPLETE" => MockResponse::Output(
                    DescribeStacksOutput::builder()
                        .stacks(
                            Stack::builder()
                                .stack_id(STACK_ID)
                                .stack_name("sagemaker-vpc")
                                .stack_status(StackStatus::from(st.as_str()))
                                .creation_time(DateTime::from_secs(1_600_000_000))
                                .enable_termination_protection(*tp)
                                .set_tags(Some(
                                    if w.tags.is_empty() && !w.foreign {
                                        HARDEN_TAGS
                                    } else {
                                        w.tags.as_slice()
                                    }
                                    .iter()
                                    .map(|(k, v)| {
                                        aws_sdk_cloudformation::types::Tag::builder()
                                            .key(*k)
                                            .value(*v)
                                            .build()
                                    })
                                    .collect(),
                                ))
                                .build(),
                        )
                        .build(),
                ),
                _ => MockResponse::Error(not_found()),
            }
        });
        let ws = w.clone();
        let template = mock!(Client::get_template).then_compute_output(move |_| {
            let w = ws.lock().unwrap();
            GetTemplateOutput::builder()
                .template_body(w.stack.as_ref().map(|s| s.1.clone()).unwrap_or_default())
                .build()
        });
        let ws = w.clone();
        let policy = mock!(Client::get_stack_policy).then_compute_output(move |_| {
            GetStackPolicyOutput::builder()
                .set_stack_policy_body(ws.lock().unwrap().stack_policy.clone())
                .build()
        });
        let ws = w.clone();
        let create = mock!(Client::create_change_set).then_compute_output(move |req| {
            let mut w = ws.lock().unwrap();
            if let Some(i) = account_stack(req.stack_name()) {
                let (_, id, cs) = ACCOUNT_STACKS[i];
                w.baseline[i] = Some("REVIEW_IN_PROGRESS");
                return CreateChangeSetOutput::builder().id(cs).stack_id(id).build();
            }
            if w.stack.is_none() && req.stack_name() == Some("sagemaker-vpc") {
                w.stack = Some(("REVIEW_IN_PROGRESS".into(), String::new(), false));
            }
            w.revert_drift = req.deployment_mode()
                == Some(&aws_sdk_cloudformation::types::DeploymentMode::RevertDrift);
            CreateChangeSetOutput::builder()
                .id(CS_ARN)
                .stack_id(STACK_ID)
                .build()
        });
        let ws = w.clone();
        let describe_cs = mock!(Client::describe_change_set).then_compute_output(move |req| {
            let w = ws.lock().unwrap();
            if let Some(i) = account_stack(req.change_set_name()) {
                let (_, id, cs) = ACCOUNT_STACKS[i];
                return DescribeChangeSetOutput::builder()
                    .change_set_id(cs)
                    .stack_id(id)
                    .status(ChangeSetStatus::CreateComplete)
                    .execution_status(ExecutionStatus::Available)
                    .build();
            }
            let b = DescribeChangeSetOutput::builder()
                .change_set_id(CS_ARN)
                .stack_id(STACK_ID);
            match w.change_set_failure {
                Some(reason) => b
                    .status(ChangeSetStatus::Failed)
                    .execution_status(ExecutionStatus::Unavailable)
                    .status_reason(reason)
                    .build(),
                None if w.revert_drift => {
                    // A drift-aware change set: each change says its drift status; the drifted
                    // resources are changes of their own, and unsupported types are listed.
                    let mut b = b
                        .status(ChangeSetStatus::CreateComplete)
                        .execution_status(ExecutionStatus::Available);
                    let mut rows: Vec<(&str, &str, &str, &str)> = w
                        .changes
                        .iter()
                        .map(|c| (c.0, c.1, c.2, "IN_SYNC"))
                        .collect();
                    for d in &w.drift {
                        match rows.iter_mut().find(|r| r.0 == d.0) {
                            Some(r) => r.3 = "MODIFIED",
                            None => rows.push((d.0, d.1, "Modify", "MODIFIED")),
                        }
                    }
                    for u in &w.unsupported {
                        rows.push((u.0, u.1, "Modify", "UNSUPPORTED"));
                    }
                    for (id, ty, action, status) in rows {
                        b = b.changes(
                            Change::builder()
                                .r#type(ChangeType::Resource)
                                .resource_change(
                                    ResourceChange::builder()
                                        .logical_resource_id(id)
                                        .resource_type(ty)
                                        .action(ChangeAction::from(action))
                                        .replacement(Replacement::False)
                                        .resource_drift_status(StackResourceDriftStatus::from(
                                            status,
                                        ))
                                        .build(),
                                )
                                .build(),
                        );
                    }
                    b.build()
                }
                None => w
                    .changes
                    .iter()
                    .fold(
                        b.status(ChangeSetStatus::CreateComplete)
                            .execution_status(ExecutionStatus::Available),
                        |b, c| {
                            b.changes(
                                Change::builder()
                                    .r#type(ChangeType::Resource)
                                    .resource_change(
                                        ResourceChange::builder()
                                            .logical_resource_id(c.0)
                                            .resource_type(c.1)
                                            .action(ChangeAction::from(c.2))
                                            .set_replacement(c.3.map(Replacement::from))
                                            .build(),
                                    )
                                    .build(),
                            )
                        },
                    )
                    .build(),
            }
        });
        let ws = w.clone();
        let execute = mock!(Client::execute_change_set).then_compute_output(move |req| {
            let mut w = ws.lock().unwrap();
            if let Some(i) = account_stack(req.change_set_name()) {
                w.baseline[i] = Some("CREATE_COMPLETE");
            } else {
                w.running = true;
            }
            ExecuteChangeSetOutput::builder().build()
        });
        let delete_cs = mock!(Client::delete_change_set)
            .then_output(|| DeleteChangeSetOutput::builder().build());
        // No deleted stack of these names retained anything.
        let list_stacks =
            mock!(Client::list_stacks).then_output(|| ListStacksOutput::builder().build());
        let ws = w.clone();
        let events = mock!(Client::describe_stack_events).then_compute_response(move |req| {
            let w = ws.lock().unwrap();
            if account_stack(req.stack_name()).is_some() {
                return MockResponse::Output(DescribeStackEventsOutput::builder().build());
            }
            if w.running && w.lose_connection {
                return MockResponse::Error(DescribeStackEventsError::generic(
                    ErrorMetadata::builder()
                        .code("InternalFailure")
                        .message("connection reset")
                        .build(),
                ));
            }
            let mut all: Vec<Ev> = w.events.clone();
            if w.running {
                all.extend(w.run_events.iter().cloned());
            }
            let list: Vec<StackEvent> = all
                .iter()
                .enumerate()
                .map(|(i, e)| stack_event(i, e))
                .rev()
                .collect();
            MockResponse::Output(
                DescribeStackEventsOutput::builder()
                    .set_stack_events(Some(list))
                    .build(),
            )
        });
        let tp = mock!(Client::update_termination_protection).then_output(|| {
            UpdateTerminationProtectionOutput::builder()
                .stack_id(STACK_ID)
                .build()
        });
        let set_policy =
            mock!(Client::set_stack_policy).then_output(|| SetStackPolicyOutput::builder().build());
        let ws = w.clone();
        let delete = mock!(Client::delete_stack).then_compute_output(move |_| {
            ws.lock().unwrap().running = true;
            DeleteStackOutput::builder().build()
        });
        let ws = w.clone();
        let resources = mock!(Client::list_stack_resources).then_compute_output(move |_| {
            // Every resource of the deployed template, with a physical id derived from its
            // logical id.
            let w = ws.lock().unwrap();
            let body = w.stack.as_ref().map(|s| s.1.clone()).unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let mut out = ListStackResourcesOutput::builder();
            for (id, r) in v["Resources"].as_object().into_iter().flatten() {
                out = out.stack_resource_summaries(
                    StackResourceSummary::builder()
                        .logical_resource_id(id)
                        .physical_resource_id(format!("physical-{}", id.to_lowercase()))
                        .resource_type(r["Type"].as_str().unwrap_or_default())
                        .resource_status(ResourceStatus::CreateComplete)
                        .last_updated_timestamp(DateTime::from_secs(1_600_000_000))
                        .build(),
                );
            }
            out.build()
        });
        let ws = w.clone();
        let detect = mock!(Client::detect_stack_drift).then_compute_response(move |req| {
            let w = ws.lock().unwrap();
            if w.drift_refused {
                return MockResponse::Error(DetectStackDriftError::generic(
                    ErrorMetadata::builder()
                        .code("AccessDenied")
                        .message("User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: cloudformation:DetectStackDrift")
                        .build(),
                ));
            }
            let which = if req.stack_name() == Some(STACK_ID) { "workload" } else { "other" };
            MockResponse::Output(
                DetectStackDriftOutput::builder()
                    .stack_drift_detection_id(which)
                    .build(),
            )
        });
        let ws = w.clone();
        let detection =
            mock!(Client::describe_stack_drift_detection_status).then_compute_output(move |req| {
                let mut w = ws.lock().unwrap();
                w.drift_polls += 1;
                let workload = req.stack_drift_detection_id() == Some("workload");
                let b = DescribeStackDriftDetectionStatusOutput::builder()
                    .stack_id(if workload { STACK_ID } else { BASELINE_ID })
                    .stack_drift_detection_id(req.stack_drift_detection_id().unwrap_or_default())
                    .timestamp(DateTime::from_secs(1_764_700_000));
                if w.drift_polls == 1 {
                    return b
                        .detection_status(StackDriftDetectionStatus::DetectionInProgress)
                        .build();
                }
                let drifted = workload && !w.drift.is_empty();
                b.detection_status(StackDriftDetectionStatus::DetectionComplete)
                    .stack_drift_status(if drifted {
                        StackDriftStatus::Drifted
                    } else {
                        StackDriftStatus::InSync
                    })
                    .build()
            });
        let ws = w.clone();
        let resource_drifts =
            mock!(Client::describe_stack_resource_drifts).then_compute_output(move |req| {
                let w = ws.lock().unwrap();
                let mut out = DescribeStackResourceDriftsOutput::builder();
                if req.stack_name() == Some(STACK_ID) {
                    for (id, ty, path, expected, actual) in &w.drift {
                        out = out.stack_resource_drifts(
                            StackResourceDrift::builder()
                                .stack_id(STACK_ID)
                                .logical_resource_id(*id)
                                .resource_type(*ty)
                                .stack_resource_drift_status(StackResourceDriftStatus::Modified)
                                .property_differences(
                                    PropertyDifference::builder()
                                        .property_path(*path)
                                        .expected_value(*expected)
                                        .actual_value(*actual)
                                        .difference_type(DifferenceType::NotEqual)
                                        .build(),
                                )
                                .timestamp(DateTime::from_secs(1_764_700_000))
                                .build(),
                        );
                    }
                }
                out.build()
            });
        let ws = w.clone();
        let operation_events = mock!(Client::describe_events).then_compute_output(move |req| {
            let w = ws.lock().unwrap();
            let mut out = DescribeEventsOutput::builder();
            if req.change_set_name() != Some(CS_ARN) {
                return out.build();
            }
            for (i, (name, path, resource, reason, warn)) in w.validations.iter().enumerate() {
                out = out.operation_events(
                    OperationEvent::builder()
                        .event_id(format!("v{i}"))
                        .event_type(EventType::ValidationError)
                        .logical_resource_id(*resource)
                        .validation_name(*name)
                        .validation_path(*path)
                        .validation_status(ValidationStatus::Failed)
                        .validation_status_reason(*reason)
                        .validation_failure_mode(if *warn {
                            HookFailureMode::Warn
                        } else {
                            HookFailureMode::Fail
                        })
                        .build(),
                );
            }
            for (i, (hook, status, reason)) in w.hooks.iter().enumerate() {
                out = out.operation_events(
                    OperationEvent::builder()
                        .event_id(format!("h{i}"))
                        .event_type(EventType::ProgressEvent)
                        .hook_type(*hook)
                        .hook_status(HookStatus::from(*status))
                        .hook_status_reason(*reason)
                        .hook_failure_mode(HookFailureMode::Fail)
                        .build(),
                );
            }
            out.build()
        });
        let ws = w.clone();
        let planned = mock!(Client::describe_change_set_hooks).then_compute_output(move |req| {
            let w = ws.lock().unwrap();
            let mut out =
                DescribeChangeSetHooksOutput::builder().status(ChangeSetHooksStatus::Unavailable);
            if req.change_set_name() != Some(CS_ARN) {
                return out.build();
            }
            for (hook, resource, ty, action) in &w.planned_hooks {
                out = out.status(ChangeSetHooksStatus::Planned).hooks(
                    ChangeSetHook::builder()
                        .type_name(*hook)
                        .invocation_point(HookInvocationPoint::PreProvision)
                        .failure_mode(HookFailureMode::Fail)
                        .target_details(
                            ChangeSetHookTargetDetails::builder()
                                .target_type(HookTargetType::Resource)
                                .resource_target_details(
                                    ChangeSetHookResourceTargetDetails::builder()
                                        .logical_resource_id(*resource)
                                        .resource_type(*ty)
                                        .resource_action(ChangeAction::from(*action))
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                );
            }
            out.build()
        });
        Fake {
            world: w,
            rules: vec![
                describe,
                template,
                policy,
                create,
                describe_cs,
                execute,
                delete_cs,
                events,
                tp,
                set_policy,
                delete,
                resources,
                list_stacks,
                detect,
                detection,
                resource_drifts,
                operation_events,
                planned,
            ],
        }
    }

    fn client(&self) -> Client {
        let rules: Vec<&Rule> = self.rules.iter().collect();
        mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, rules.as_slice())
    }

    /// The CloudFormation client with an S3 client that answers nothing: these templates
    /// fit in a body, so S3 is never called.
    fn clients(&self) -> Clients {
        with_s3(self.client())
    }

    fn calls(&self, i: usize) -> usize {
        self.rules[i].num_calls()
    }
}

const CREATE_CS: usize = 3;
const EXECUTE: usize = 5;
const DELETE_CS: usize = 6;
const SET_POLICY: usize = 9;
const DELETE_STACK: usize = 10;
const DETECT_DRIFT: usize = 13;

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A console that keeps what a person would see, and has no person to ask.
fn con() -> Console {
    Console::captured(&[])
}

#[test]
fn a_failed_update_exits_4_and_names_the_first_cause() {
    let fake = Fake::new(World {
        events: vec![Ev(
            "sagemaker-vpc",
            "AWS::CloudFormation::Stack",
            "UPDATE_COMPLETE",
            None,
        )],
        run_events: vec![
            Ev(
                "sagemaker-vpc",
                "AWS::CloudFormation::Stack",
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            Ev(
                "EndpointConfig",
                "AWS::SageMaker::EndpointConfig",
                "UPDATE_FAILED",
                Some("The instance type ml.m5.xlarge is not available in this region"),
            ),
            Ev(
                "Endpoint",
                "AWS::SageMaker::Endpoint",
                "UPDATE_FAILED",
                Some("Resource update cancelled"),
            ),
            Ev(
                "sagemaker-vpc",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to update: [EndpointConfig]"),
            ),
            Ev(
                "sagemaker-vpc",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_COMPLETE",
                None,
            ),
        ],
        run_statuses: VecDeque::from(["UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]),
        ..endpoint_config_change()
    });
    let seen = con();
    let code = block(deploy(
        &fake.clients(),
        &seen,
        &selection(Tier::Basic),
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap();
    assert_eq!(code, exit::ROLLED_BACK);
    // What a person sees: the plan, one line per event, the rollback and its first cause,
    // all on stderr; nothing on stdout (a deploy prints no data).
    let err = seen.stderr_text();
    assert_eq!(seen.stdout_text(), "");
    assert!(err.contains("updating stack sagemaker-vpc\n"), "{err}");
    assert!(
        err.contains("error: stack sagemaker-vpc failed and rolled back to UPDATE_ROLLBACK_COMPLETE\nfirst cause: "),
        "{err}"
    );
    assert!(err.contains("UPDATE_ROLLBACK_COMPLETE"), "{err}");
    assert_eq!(
        fake.calls(EXECUTE),
        1,
        "the change set was executed by ARN once"
    );
    assert_eq!(
        fake.calls(DELETE_CS),
        0,
        "an executed change set is not deleted"
    );
}

/// The deployed basic workload on another instance type: the endpoint config changes.
fn endpoint_config_change() -> World {
    World {
        stack: Some((
            "UPDATE_COMPLETE".into(),
            workload_body(Tier::Basic, &[("instance_type", "ml.c5.large")]),
            false,
        )),
        changes: vec![(
            "EndpointConfig",
            "AWS::SageMaker::EndpointConfig",
            "Modify",
            Some("True"),
        )],
        ..World::default()
    }
}

/// A person at the terminal who declines: nothing runs, the change set is deleted, and the
/// prompt and the outcome are what they see.
#[test]
fn a_person_who_declines_at_the_prompt_changes_nothing() {
    let fake = Fake::new(endpoint_config_change());
    let person = Console::captured(&[false]);
    let code = block(deploy(
        &fake.clients(),
        &person,
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED);
    let err = person.stderr_text();
    assert!(
        err.contains("Deploy these changes? [y/N] n\nnot deployed: declined\nnote: deleted"),
        "{err}"
    );
    assert_eq!(fake.calls(EXECUTE), 0);
    assert_eq!(
        fake.calls(DELETE_CS),
        1,
        "the unexecuted change set is deleted"
    );
}

#[test]
fn first_cause_of_the_rollback_is_the_failed_resource_not_the_cascade() {
    let events = vec![
        harden::deploy::events::StackEvent {
            id: "1".into(),
            time: "t1".into(),
            logical_id: "Endpoint".into(),
            resource_type: "AWS::SageMaker::Endpoint".into(),
            status: "UPDATE_FAILED".into(),
            reason: Some("Resource update cancelled".into()),
        },
        harden::deploy::events::StackEvent {
            id: "2".into(),
            time: "t2".into(),
            logical_id: "EndpointConfig".into(),
            resource_type: "AWS::SageMaker::EndpointConfig".into(),
            status: "UPDATE_FAILED".into(),
            reason: Some("invalid instance type".into()),
        },
    ];
    assert_eq!(
        harden::deploy::events::first_cause(&events)
            .unwrap()
            .logical_id,
        "EndpointConfig"
    );
}

#[test]
fn identical_stack_is_no_change_and_creates_no_change_set() {
    let fake = Fake::new(World {
        stack: Some((
            "UPDATE_COMPLETE".into(),
            workload_body(Tier::Basic, &[]),
            false,
        )),
        tags: vec![
            ("harden:blueprint", "sagemaker-vpc"),
            ("harden:tier", "basic"),
        ],
        ..World::default()
    });
    let code = block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
    assert_eq!(
        fake.calls(CREATE_CS),
        0,
        "no change set is created when nothing changes"
    );
}

#[test]
fn an_empty_change_set_from_cloudformation_is_deleted() {
    // The client sees a difference (a parameter value CloudFormation resolves the same way);
    // CloudFormation answers with its "no changes" failure: harden deletes the change set.
    let mut old = workload_body(Tier::Basic, &[]);
    old = old.replacen(
        "\"Description\":\"harden sagemaker-vpc (basic)",
        "\"Description\":\"harden sagemaker-vpc (basic) ",
        1,
    );
    let fake = Fake::new(World {
        stack: Some(("UPDATE_COMPLETE".into(), old, false)),
        change_set_failure: Some("The submitted information didn't contain changes. Submit different information to create a change set."),
        ..World::default()
    });
    let code = block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
    assert_eq!(fake.calls(CREATE_CS), 1);
    assert_eq!(fake.calls(DELETE_CS), 1, "the empty change set is deleted");
    assert_eq!(fake.calls(EXECUTE), 0);
}

#[test]
fn without_a_terminal_or_yes_nothing_changes_and_the_change_set_is_deleted() {
    let fake = Fake::new(World {
        changes: vec![("Vpc", "AWS::EC2::VPC", "Add", None)],
        ..World::default()
    });
    let code = block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED);
    assert_eq!(fake.calls(EXECUTE), 0);
    assert_eq!(
        fake.calls(DELETE_CS),
        1,
        "the unexecuted change set is cleaned up"
    );
}

#[test]
fn data_at_risk_at_enhanced_needs_allow_data_loss_even_with_yes() {
    // Deployed: the enhanced workload plus a bucket the new template no longer has.
    let mut deployed: serde_json::Value =
        serde_json::from_str(&workload_body(Tier::Enhanced, &[])).unwrap();
    deployed["Resources"]["OldDataBucket"] =
        serde_json::json!({"Type": "AWS::S3::Bucket", "Properties": {}});
    let fake = Fake::new(World {
        stack: Some(("UPDATE_COMPLETE".into(), deployed.to_string(), true)),
        changes: vec![("OldDataBucket", "AWS::S3::Bucket", "Remove", None)],
        ..World::default()
    });
    let sel = Selection::new("sagemaker-vpc", Tier::Enhanced, None, Vec::new()).unwrap();
    let code = block(deploy(
        &fake.clients(),
        &con(),
        &sel,
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED);
    assert_eq!(fake.calls(EXECUTE), 0);
    assert!(
        fake.calls(DELETE_CS) >= 1,
        "change sets that will not run are deleted"
    );
}

#[test]
fn a_stack_whose_first_create_failed_is_reported_with_its_cause() {
    let fake = Fake::new(World {
        stack: Some(("ROLLBACK_COMPLETE".into(), String::new(), false)),
        events: vec![
            Ev(
                "sagemaker-vpc",
                "AWS::CloudFormation::Stack",
                "CREATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            Ev(
                "DataKey",
                "AWS::KMS::Key",
                "CREATE_FAILED",
                Some("Resource creation cancelled"),
            ),
            Ev(
                "ExecutionRole",
                "AWS::IAM::Role",
                "CREATE_FAILED",
                Some("Encountered a permissions error performing a tagging operation"),
            ),
            Ev(
                "sagemaker-vpc",
                "AWS::CloudFormation::Stack",
                "ROLLBACK_COMPLETE",
                None,
            ),
        ],
        ..World::default()
    });
    let err = block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("failed its first create and is ROLLBACK_COMPLETE"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "ExecutionRole (AWS::IAM::Role) CREATE_FAILED: Encountered a permissions error"
        ),
        "{msg}"
    );
    assert!(
        msg.contains(
            "delete it with `harden destroy --blueprint sagemaker-vpc`, then deploy again"
        ),
        "{msg}"
    );
    assert_eq!(fake.calls(CREATE_CS), 0);
    assert_eq!(
        fake.calls(DELETE_STACK),
        0,
        "a failed stack is deleted only when the user says so"
    );
}

#[test]
fn update_rollback_failed_is_explained_with_the_recovery_command() {
    let fake = Fake::new(World {
        stack: Some((
            "UPDATE_ROLLBACK_FAILED".into(),
            workload_body(Tier::Basic, &[]),
            false,
        )),
        ..World::default()
    });
    let err = block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("aws cloudformation continue-update-rollback --stack-name sagemaker-vpc"),
        "{msg}"
    );
}

#[test]
fn a_lost_connection_says_where_the_stack_was_and_how_to_resume() {
    let fake = Fake::new(World {
        run_statuses: VecDeque::from(["UPDATE_IN_PROGRESS"]),
        lose_connection: true,
        ..World::default()
    });
    let err = block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("lost contact with CloudFormation while watching stack `sagemaker-vpc`"),
        "{msg}"
    );
    assert!(msg.contains("harden status --watch"), "{msg}");
}

#[test]
fn destroy_refuses_a_termination_protected_stack_and_lists_what_is_retained() {
    let retained = workload_body(Tier::Enterprise, &enterprise_pairs());
    let fake = Fake::new(World {
        stack: Some(("UPDATE_COMPLETE".into(), retained, true)),
        ..World::default()
    });
    let target = Target::new("sagemaker-vpc", None, None).unwrap();
    let seen = con();
    let code = block(destroy(
        &fake.clients(),
        &seen,
        &target,
        DestroyOptions {
            yes: true,
            disable_termination_protection: false,
        },
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED);
    let err = seen.stderr_text();
    assert!(
        err.contains("error: termination protection is on for `sagemaker-vpc`\nhint: to turn it off and delete, run `harden destroy --blueprint sagemaker-vpc"),
        "{err}"
    );
    assert_eq!(fake.calls(DELETE_STACK), 0);
    let code = block(destroy(
        &fake.clients(),
        &con(),
        &target,
        DestroyOptions {
            yes: true,
            disable_termination_protection: true,
        },
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
    assert_eq!(fake.calls(DELETE_STACK), 1);
    assert!(fake.world.lock().unwrap().running);
}

#[test]
fn status_watch_follows_a_running_update_to_its_rollback_and_exits_4() {
    // The update is already running when `status --watch` starts.
    let fake = Fake::new(World {
        stack: Some((
            "UPDATE_IN_PROGRESS".into(),
            workload_body(Tier::Basic, &[]),
            false,
        )),
        events: vec![Ev(
            "sagemaker-vpc",
            "AWS::CloudFormation::Stack",
            "UPDATE_IN_PROGRESS",
            Some("User Initiated"),
        )],
        run_statuses: VecDeque::from([
            "UPDATE_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE",
        ]),
        running: true,
        ..World::default()
    });
    let code = block(harden::deploy::status::status(
        &fake.clients(),
        &con(),
        &Target::new("sagemaker-vpc", None, None).unwrap(),
        true,
        false,
    ))
    .unwrap();
    assert_eq!(code, exit::ROLLED_BACK);
    let fake = Fake::new(World {
        stack: Some((
            "UPDATE_IN_PROGRESS".into(),
            workload_body(Tier::Basic, &[]),
            false,
        )),
        run_statuses: VecDeque::from(["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]),
        running: true,
        ..World::default()
    });
    let code = block(harden::deploy::status::status(
        &fake.clients(),
        &con(),
        &Target::new("sagemaker-vpc", None, None).unwrap(),
        true,
        false,
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
}

#[test]
fn a_replacement_the_stack_policy_blocks_needs_allow_data_loss_which_lifts_the_policy_for_the_deploy(
) {
    // Deployed: the enterprise workload whose model bucket had a fixed name; the new template
    // drops it, so the bucket is replaced, and the deployed stack policy denies that.
    let mut deployed: serde_json::Value =
        serde_json::from_str(&workload_body(Tier::Enterprise, &enterprise_pairs())).unwrap();
    deployed["Resources"]["ModelBucket"]["Properties"]["BucketName"] =
        serde_json::json!("fixed-model-bucket");
    let policy = r#"{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"},{"Effect":"Deny","Action":["Update:Replace","Update:Delete"],"Principal":"*","Resource":["LogicalResourceId/ModelBucket"]}]}"#;
    let world = || World {
        stack: Some(("UPDATE_COMPLETE".into(), deployed.to_string(), true)),
        stack_policy: Some(policy.to_string()),
        changes: vec![("ModelBucket", "AWS::S3::Bucket", "Modify", Some("True"))],
        run_statuses: VecDeque::from(["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]),
        tags: vec![
            ("harden:blueprint", "sagemaker-vpc"),
            ("harden:tier", "enterprise"),
        ],
        ..World::default()
    };
    let sel = Selection::new("sagemaker-vpc", Tier::Enterprise, None, enterprise_params()).unwrap();
    let yes = Approval {
        yes: true,
        allow_broadening: true,
        ..Approval::default()
    };
    let fake = Fake::new(world());
    let origin = harden::deploy::prepare::Origin::Selection(&sel);
    let code = block(deploy_stacks(
        &fake.clients(),
        &con(),
        origin,
        without_replica(&sel),
        yes,
    ))
    .unwrap();
    assert_eq!(
        code,
        exit::APPROVAL_NEEDED,
        "blocked by the stack policy: refused before anything runs"
    );
    assert_eq!(fake.calls(EXECUTE), 0);
    let fake = Fake::new(world());
    let code = block(deploy_stacks(
        &fake.clients(),
        &con(),
        origin,
        without_replica(&sel),
        Approval {
            allow_data_loss: true,
            ..yes
        },
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
    assert_eq!(
        fake.calls(EXECUTE),
        3,
        "the new account baseline's two stacks, then the workload"
    );
    // Each baseline stack gets its policy once after its create; the workload's is lifted
    // before its change set and set again after: four calls (three without the lift).
    assert_eq!(
        fake.calls(SET_POLICY),
        4,
        "the policy is lifted before and set again after the change set"
    );
}

/// Redeploy after destroy: the stack was deleted at enterprise and kept its buckets, key and
/// the endpoint's log group (whose name SageMaker fixes). A new create would collide with the
/// log group and start empty beside the old data; instead deploy finds what the deleted stack
/// retained (`ListStacks` / `ListStackResources` of the deleted stack, `DELETE_SKIPPED`),
/// creates the stack by a resource import of them, then updates it to the full template.
#[test]
fn a_redeploy_after_destroy_brings_back_what_the_deleted_stack_retained() {
    use aws_sdk_cloudformation::types::{StackResourceSummary, StackSummary};
    const DELETED_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-vpc/0";
    const IMPORT_CS: &str =
        "arn:aws:cloudformation:us-east-1:123456789012:changeSet/harden-1/import";
    const UPDATE_CS: &str =
        "arn:aws:cloudformation:us-east-1:123456789012:changeSet/harden-2/update";
    /// (logical id, identifying property, physical id)
    type Import = (String, String, String);
    #[derive(Default)]
    struct Seen {
        /// (type, resources to import, template body) of each CreateChangeSet.
        created: Vec<(String, Vec<Import>, String)>,
        executed: Vec<String>,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let retained = [
        (
            "DataKey",
            "AWS::KMS::Key",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (
            "ModelBucket",
            "AWS::S3::Bucket",
            "sagemaker-vpc-modelbucket-1a2b3c",
        ),
        (
            "UploadsBucket",
            "AWS::S3::Bucket",
            "sagemaker-vpc-uploadsbucket-4d5e6f",
        ),
        (
            "AccessLogBucket",
            "AWS::S3::Bucket",
            "sagemaker-vpc-accesslogbucket-7g8h9i",
        ),
        (
            "EndpointLogGroup",
            "AWS::Logs::LogGroup",
            "/aws/sagemaker/Endpoints/sagemaker-vpc-endpoint",
        ),
    ];

    let s = seen.clone();
    let describe = mock!(Client::describe_stacks).then_compute_response(move |req| {
        let executed = s.lock().unwrap().executed.len();
        let stack = |id: &str, status: &str, tags: bool| {
            let mut b = Stack::builder()
                .stack_id(id)
                .stack_name("sagemaker-vpc")
                .stack_status(StackStatus::from(status))
                .creation_time(DateTime::from_secs(1_600_000_000));
            if tags {
                for (k, v) in HARDEN_TAGS {
                    b = b.tags(
                        aws_sdk_cloudformation::types::Tag::builder()
                            .key(*k)
                            .value(*v)
                            .build(),
                    );
                }
            }
            MockResponse::Output(DescribeStacksOutput::builder().stacks(b.build()).build())
        };
        match req.stack_name() {
            None => MockResponse::Output(DescribeStacksOutput::builder().build()),
            Some(DELETED_ID) => stack(DELETED_ID, "DELETE_COMPLETE", true),
            Some("sagemaker-vpc" | STACK_ID) => match executed {
                0 => MockResponse::Error(not_found()),
                1 => stack(STACK_ID, "IMPORT_COMPLETE", true),
                _ => stack(STACK_ID, "UPDATE_COMPLETE", true),
            },
            _ => MockResponse::Error(not_found()),
        }
    });
    let list_stacks = mock!(Client::list_stacks).then_output(|| {
        ListStacksOutput::builder()
            .stack_summaries(
                StackSummary::builder()
                    .stack_id(DELETED_ID)
                    .stack_name("sagemaker-vpc")
                    .stack_status(StackStatus::DeleteComplete)
                    .creation_time(DateTime::from_secs(1_600_000_000))
                    .deletion_time(DateTime::from_secs(1_700_000_000))
                    .build(),
            )
            .build()
    });
    let resources = mock!(Client::list_stack_resources)
        .match_requests(|r| r.stack_name() == Some(DELETED_ID))
        .then_output(move || {
            let mut out = ListStackResourcesOutput::builder();
            for (id, ty, physical) in retained {
                out = out.stack_resource_summaries(
                    StackResourceSummary::builder()
                        .logical_resource_id(id)
                        .resource_type(ty)
                        .physical_resource_id(physical)
                        .resource_status(ResourceStatus::DeleteSkipped)
                        .last_updated_timestamp(DateTime::from_secs(1_700_000_000))
                        .build(),
                );
            }
            out.stack_resource_summaries(
                StackResourceSummary::builder()
                    .logical_resource_id("ExecutionRole")
                    .resource_type("AWS::IAM::Role")
                    .physical_resource_id("sagemaker-vpc-ExecutionRole-X")
                    .resource_status(ResourceStatus::DeleteComplete)
                    .last_updated_timestamp(DateTime::from_secs(1_700_000_000))
                    .build(),
            )
            .build()
        });
    let s = seen.clone();
    let create = mock!(Client::create_change_set).then_compute_output(move |req| {
        let mut s = s.lock().unwrap();
        let imports = req
            .resources_to_import()
            .iter()
            .map(|r| {
                let (k, v) = r.resource_identifier().unwrap().iter().next().unwrap();
                (
                    r.logical_resource_id().unwrap().to_string(),
                    k.clone(),
                    v.clone(),
                )
            })
            .collect();
        s.created.push((
            req.change_set_type().unwrap().as_str().to_string(),
            imports,
            req.template_body().unwrap_or_default().to_string(),
        ));
        let id = if s.created.len() == 1 {
            IMPORT_CS
        } else {
            UPDATE_CS
        };
        CreateChangeSetOutput::builder()
            .id(id)
            .stack_id(STACK_ID)
            .build()
    });
    let describe_cs = mock!(Client::describe_change_set).then_compute_output(|req| {
        DescribeChangeSetOutput::builder()
            .change_set_id(req.change_set_name().unwrap_or_default())
            .stack_id(STACK_ID)
            .status(ChangeSetStatus::CreateComplete)
            .execution_status(ExecutionStatus::Available)
            .build()
    });
    let s = seen.clone();
    let execute = mock!(Client::execute_change_set).then_compute_output(move |req| {
        s.lock()
            .unwrap()
            .executed
            .push(req.change_set_name().unwrap_or_default().to_string());
        ExecuteChangeSetOutput::builder().build()
    });
    let events = mock!(Client::describe_stack_events)
        .then_output(|| DescribeStackEventsOutput::builder().build());
    let policy =
        mock!(Client::get_stack_policy).then_output(|| GetStackPolicyOutput::builder().build());
    let delete_cs =
        mock!(Client::delete_change_set).then_output(|| DeleteChangeSetOutput::builder().build());
    let rules = [
        describe,
        list_stacks,
        resources,
        create,
        describe_cs,
        execute,
        events,
        policy,
        delete_cs,
    ];
    let refs: Vec<&Rule> = rules.iter().collect();
    let client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, refs.as_slice());

    let yes = Approval {
        yes: true,
        allow_data_loss: false,
        allow_broadening: false,
    };
    let code = block(deploy(
        &with_s3(client),
        &con(),
        &selection(Tier::Basic),
        yes,
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
    let s = seen.lock().unwrap();
    assert_eq!(
        s.executed,
        [IMPORT_CS, UPDATE_CS],
        "the import runs, then the update"
    );
    let (kind, imports, body) = &s.created[0];
    assert_eq!(kind, "IMPORT");
    // At basic there is no access log bucket: it stays outside the stack.
    assert_eq!(
        imports,
        &[
            (
                "ModelBucket".to_string(),
                "BucketName".to_string(),
                "sagemaker-vpc-modelbucket-1a2b3c".to_string()
            ),
            (
                "UploadsBucket".to_string(),
                "BucketName".to_string(),
                "sagemaker-vpc-uploadsbucket-4d5e6f".to_string()
            ),
            (
                "EndpointLogGroup".to_string(),
                "LogGroupName".to_string(),
                "/aws/sagemaker/Endpoints/sagemaker-vpc-endpoint".to_string()
            ),
            (
                "DataKey".to_string(),
                "KeyId".to_string(),
                "1234abcd-12ab-34cd-56ef-1234567890ab".to_string()
            ),
        ]
    );
    let import: serde_json::Value = serde_json::from_str(body).unwrap();
    let mut in_import: Vec<&String> = import["Resources"].as_object().unwrap().keys().collect();
    in_import.sort();
    assert_eq!(
        in_import,
        [
            "DataKey",
            "EndpointLogGroup",
            "ModelBucket",
            "UploadsBucket"
        ]
    );
    assert!(
        import["Resources"]["DataKey"]["Properties"]
            .get("KeyPolicy")
            .is_none(),
        "the key policy names the execution role, created anew: it comes with the update"
    );
    let (kind, imports, body) = &s.created[1];
    assert_eq!(kind, "UPDATE");
    assert!(imports.is_empty());
    assert_eq!(body, &workload_body(Tier::Basic, &[]));
}

mod artifacts {
    //! The upload of a template to the artifact bucket: content-addressed, so an object that
    //! is already there is not put again.
    use super::block;
    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::operation::head_object::{HeadObjectError, HeadObjectOutput};
    use aws_sdk_s3::operation::put_object::PutObjectOutput;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_sdk_s3::types::error::NotFound;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use harden::deploy::artifacts::{object_key, upload};

    const BUCKET: &str = "harden-default-artifacts";
    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1";

    #[test]
    fn an_object_already_there_is_not_put_again() {
        let head = mock!(aws_sdk_s3::Client::head_object)
            .match_requests(|r| {
                r.bucket() == Some(BUCKET) && r.key() == Some(&object_key("app", "{}")[..])
            })
            .then_output(|| HeadObjectOutput::builder().build());
        let put = mock!(aws_sdk_s3::Client::put_object)
            .then_output(|| PutObjectOutput::builder().build());
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head, &put]);
        let d = block(upload(&s3, "us-east-1", BUCKET, Some(KEY), "app", "{}")).unwrap();
        assert!(!d.uploaded);
        assert_eq!(head.num_calls(), 1);
        assert_eq!(put.num_calls(), 0);
        assert_eq!(
            d.url,
            format!(
                "https://{BUCKET}.s3.us-east-1.amazonaws.com/{}",
                object_key("app", "{}")
            )
        );
    }

    #[test]
    fn a_missing_object_is_put_encrypted_with_the_buckets_key() {
        let head = mock!(aws_sdk_s3::Client::head_object)
            .then_error(|| HeadObjectError::NotFound(NotFound::builder().build()));
        let put = mock!(aws_sdk_s3::Client::put_object)
            .match_requests(|r| {
                r.server_side_encryption().map(|e| e.as_str()) == Some("aws:kms")
                    && r.ssekms_key_id() == Some(KEY)
                    && r.key() == Some(&object_key("app", "{}")[..])
            })
            .then_output(|| PutObjectOutput::builder().build());
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head, &put]);
        let d = block(upload(&s3, "us-east-1", BUCKET, Some(KEY), "app", "{}")).unwrap();
        assert!(d.uploaded);
        assert_eq!(put.num_calls(), 1);
    }

    /// Without `s3:ListBucket`, S3 answers HeadObject of a missing key with 403, not 404: the
    /// upload goes ahead (the same bytes under the same key are harmless).
    #[test]
    fn a_forbidden_head_still_puts() {
        let head = mock!(aws_sdk_s3::Client::head_object)
            .then_http_response(|| HttpResponse::new(403u16.try_into().unwrap(), SdkBody::empty()));
        let put = mock!(aws_sdk_s3::Client::put_object)
            .then_output(|| PutObjectOutput::builder().build());
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head, &put]);
        let d = block(upload(&s3, "us-east-1", BUCKET, None, "app", "{}")).unwrap();
        assert!(d.uploaded);
        assert_eq!(put.num_calls(), 1);
    }

    #[test]
    fn a_refused_put_names_the_call_and_the_stack() {
        let head = mock!(aws_sdk_s3::Client::head_object)
            .then_error(|| HeadObjectError::NotFound(NotFound::builder().build()));
        let put = mock!(aws_sdk_s3::Client::put_object).then_http_response(|| {
            HttpResponse::new(
                403u16.try_into().unwrap(),
                SdkBody::from(
                    "<Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::harden-default-artifacts/x</Message></Error>",
                ),
            )
        });
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&head, &put]);
        let e = block(upload(&s3, "us-east-1", BUCKET, None, "app", "{}")).unwrap_err();
        let e = format!("{e}");
        assert!(
            e.starts_with(
                "access denied: `arn:aws:iam::123456789012:user/ci` may not call `s3:PutObject`"
            ),
            "{e}"
        );
        assert!(e.contains("(`PutObject` for stack `app`)"), "{e}");
    }
}

/// A plan of a stack someone changed by hand: the drift is shown property by property, and
/// the change set's update of the drifted endpoint configuration (its key changed by hand) is
/// marked as undoing a security-relevant change; the detection that was still running was
/// waited for.
#[test]
fn a_plan_of_a_drifted_stack_shows_the_drift_and_marks_the_security_overwrite() {
    let mut world = endpoint_config_change();
    world.drift = vec![
        (
            "EndpointConfig",
            "AWS::SageMaker::EndpointConfig",
            "/KmsKeyId",
            "\"arn:aws:kms:us-east-1:123456789012:key/template\"",
            "\"arn:aws:kms:us-east-1:123456789012:key/by-hand\"",
        ),
        (
            "ModelBucket",
            "AWS::S3::Bucket",
            "/Tags/0/Value",
            "\"ml\"",
            "\"research\"",
        ),
    ];
    let fake = Fake::new(world);
    let c = con();
    let code = block(deploy(
        &fake.clients(),
        &c,
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED, "no terminal and no --yes");
    let err = c.stderr_text();
    assert!(
        err.contains("! drift (detected now, 2025-12-02T18:26:40Z): 2 resources changed outside CloudFormation"),
        "{err}"
    );
    assert!(
        err.contains("! EndpointConfig (AWS::SageMaker::EndpointConfig) MODIFIED, replaced or removed by this plan: a security-relevant change made by hand is undone"),
        "{err}"
    );
    assert!(
        err.contains("/KmsKeyId: expected \"arn:aws:kms:us-east-1:123456789012:key/template\", actual \"arn:aws:kms:us-east-1:123456789012:key/by-hand\" (security)"),
        "{err}"
    );
    assert!(
        err.contains(
            "ModelBucket (AWS::S3::Bucket) MODIFIED, untouched by this plan, the drift stays"
        ),
        "{err}"
    );
    assert!(err.contains("undoes security drift: yes"), "{err}");
    assert_eq!(fake.calls(DETECT_DRIFT), 1);
    assert!(
        fake.world.lock().unwrap().drift_polls >= 2,
        "the running detection was waited for"
    );
}

/// Where detection is refused, the plan says so and goes on (`auto`); with `--drift always`
/// the refusal is the error, and with `never` nothing is asked.
#[test]
fn refused_drift_detection_is_a_note_in_auto_an_error_in_always_and_not_asked_in_never() {
    let world = || World {
        drift_refused: true,
        ..endpoint_config_change()
    };
    let fake = Fake::new(world());
    let c = con();
    let code = block(deploy(
        &fake.clients(),
        &c,
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED);
    let err = c.stderr_text();
    assert!(err.contains("drift: not known: "), "{err}");
    assert!(err.contains("cloudformation:DetectStackDrift"), "{err}");
    assert!(
        err.contains("`--drift always` makes this an error"),
        "{err}"
    );

    let fake = Fake::new(world());
    let mut sel = selection(Tier::Basic);
    sel.drift = harden::deploy::drift::DriftMode::Always;
    let e = block(deploy(&fake.clients(), &con(), &sel, Approval::default())).unwrap_err();
    let text = format!("{e:#}");
    assert!(text.contains("DetectStackDrift"), "{text}");
    assert_eq!(fake.calls(EXECUTE), 0);

    let fake = Fake::new(world());
    let mut sel = selection(Tier::Basic);
    sel.drift = harden::deploy::drift::DriftMode::Never;
    let c = con();
    block(deploy(&fake.clients(), &c, &sel, Approval::default())).unwrap();
    assert_eq!(fake.calls(DETECT_DRIFT), 0);
    assert!(!c.stderr_text().contains("drift"), "{}", c.stderr_text());
}

/// `harden drift`: the drifted stack's resources and properties in every format, and the exit
/// code (2 with `--detailed-exitcode` when a stack drifted, 0 when every stack is in sync).
#[test]
fn drift_shows_each_stack_in_every_format_with_its_exit_code() {
    use harden::deploy::drift::{drift_cmd, DriftFormat};
    let drifted = || {
        let mut w = endpoint_config_change();
        w.drift = vec![(
            "VpcSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "/SecurityGroupIngress/0/CidrIp",
            "\"10.0.0.0/16\"",
            "\"0.0.0.0/0\"",
        )];
        w
    };
    let target = Target::new("sagemaker-vpc", None, None).unwrap();
    let fake = Fake::new(drifted());
    let c = con();
    let code = block(drift_cmd(
        &fake.clients(),
        &c,
        &target,
        DriftFormat::Text,
        false,
        true,
    ))
    .unwrap();
    assert_eq!(code, exit::CHANGES);
    let out = c.stdout_text();
    assert!(out.starts_with("stack sagemaker-vpc: DRIFTED\n"), "{out}");
    assert!(
        out.contains("VpcSecurityGroup (AWS::EC2::SecurityGroup) MODIFIED"),
        "{out}"
    );
    assert!(
        out.contains("/SecurityGroupIngress/0/CidrIp: expected \"10.0.0.0/16\", actual \"0.0.0.0/0\" (security)"),
        "{out}"
    );

    let fake = Fake::new(drifted());
    let c = con();
    block(drift_cmd(
        &fake.clients(),
        &c,
        &target,
        DriftFormat::Json,
        false,
        true,
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&c.stdout_text()).unwrap();
    assert_eq!(v["drifted"], true);
    assert_eq!(v["stacks"][0]["stack"], "sagemaker-vpc");
    assert_eq!(v["stacks"][0]["drift"]["status"], "DRIFTED");
    assert_eq!(
        v["stacks"][0]["drift"]["resources"][0]["properties"][0]["actual"],
        "\"0.0.0.0/0\""
    );

    let fake = Fake::new(drifted());
    let c = con();
    block(drift_cmd(
        &fake.clients(),
        &c,
        &target,
        DriftFormat::Markdown,
        false,
        false,
    ))
    .unwrap();
    let md = c.stdout_text();
    assert!(
        md.starts_with("## harden drift\n\n### stack `sagemaker-vpc`: DRIFTED\n"),
        "{md}"
    );
    assert!(md.contains("- `VpcSecurityGroup`"), "{md}");

    // In sync: exit 0 even with --detailed-exitcode.
    let fake = Fake::new(endpoint_config_change());
    let c = con();
    let code = block(drift_cmd(
        &fake.clients(),
        &c,
        &target,
        DriftFormat::Text,
        false,
        true,
    ))
    .unwrap();
    assert_eq!(code, exit::SUCCESS);
    assert_eq!(c.stdout_text(), "stack sagemaker-vpc: IN_SYNC\n");
}

/// `deploy --revert-drift` on a stack whose template did not change: the change set is
/// drift-aware (`REVERT_DRIFT`), the plan lists the drifted resource it brings back and the
/// resource whose type CloudFormation cannot compare, and the deploy executes it.
#[test]
fn revert_drift_sends_a_drift_aware_change_set_and_lists_what_it_brings_back() {
    let fake = Fake::new(World {
        stack: Some((
            "UPDATE_COMPLETE".into(),
            workload_body(Tier::Basic, &[]),
            false,
        )),
        drift: vec![(
            "VpcSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "/SecurityGroupIngress/0/CidrIp",
            "\"10.0.0.0/16\"",
            "\"0.0.0.0/0\"",
        )],
        unsupported: vec![("ModelCustom", "Custom::Thing")],
        run_statuses: VecDeque::from(["UPDATE_COMPLETE"]),
        ..World::default()
    });
    let mut sel = selection(Tier::Basic);
    sel.revert_drift = true;
    let c = con();
    let code = block(deploy(
        &fake.clients(),
        &c,
        &sel,
        Approval {
            yes: true,
            ..Approval::default()
        },
    ))
    .unwrap();
    let err = c.stderr_text();
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert!(
        fake.world.lock().unwrap().revert_drift,
        "the change set is drift-aware"
    );
    assert!(
        err.contains("revert drift: the change set brings 1 drifted resource back to the template"),
        "{err}"
    );
    assert!(
        err.contains("VpcSecurityGroup (AWS::EC2::SecurityGroup) MODIFIED"),
        "{err}"
    );
    assert!(
        err.contains("not compared with their actual state")
            && err.contains("ModelCustom (Custom::Thing)"),
        "{err}"
    );
    assert_eq!(fake.calls(CREATE_CS), 1);
    assert_eq!(fake.calls(EXECUTE), 1, "the reverting change set runs");

    // Without --revert-drift the same stack is "no changes": nothing is created.
    let fake = Fake::new(World {
        stack: Some((
            "UPDATE_COMPLETE".into(),
            workload_body(Tier::Basic, &[]),
            false,
        )),
        ..World::default()
    });
    block(deploy(
        &fake.clients(),
        &con(),
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(fake.calls(CREATE_CS), 0);
}

/// A change set CloudFormation's pre-deployment validation refused: the failed validation,
/// with its template path and resource, is the error's headline, the change set's status
/// reason a note; nothing is executed and the change set is deleted. A validation that only
/// warns, and a hook's result, are notes of a plan that goes ahead.
#[test]
fn a_validation_failure_is_the_first_cause_with_its_template_path() {
    let mut world = endpoint_config_change();
    world.change_set_failure = Some(
        "The following hook(s)/validation failed: [AWS::EarlyValidation::ResourceExistenceCheck]",
    );
    world.validations = vec![(
        "AWS::EarlyValidation::ResourceExistenceCheck",
        "Resources/ModelBucket/Properties/BucketName",
        "ModelBucket",
        "Resource of type AWS::S3::Bucket with identifier sagemaker-vpc-models already exists",
        false,
    )];
    let fake = Fake::new(world);
    let shown = con();
    let e = block(deploy(
        &fake.clients(),
        &shown,
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap_err();
    // The plan shows the refusal first on its stack, before the error.
    let err = shown.stderr_text();
    assert!(
        err.contains("stack sagemaker-vpc: update")
            && err.contains("  ! REFUSED by CloudFormation before anything ran: validation `AWS::EarlyValidation::ResourceExistenceCheck` (at `Resources/ModelBucket/Properties/BucketName`"),
        "{err}"
    );
    let text = format!("{e}");
    assert!(
        text.starts_with("CloudFormation's pre-deployment validation refused the change set for stack `sagemaker-vpc`: validation `AWS::EarlyValidation::ResourceExistenceCheck` (at `Resources/ModelBucket/Properties/BucketName`, resource `ModelBucket`): Resource of type AWS::S3::Bucket with identifier sagemaker-vpc-models already exists"),
        "{text}"
    );
    assert!(
        text.contains("note: the change set's status: The following hook(s)/validation failed"),
        "{text}"
    );
    assert_eq!(fake.calls(EXECUTE), 0);
    assert_eq!(fake.calls(DELETE_CS), 1, "the failed change set is deleted");

    let mut world = endpoint_config_change();
    world.validations = vec![(
        "AWS::EarlyValidation::PropertyValidation",
        "Resources/EndpointConfig/Properties/Tags",
        "EndpointConfig",
        "Tag value longer than recommended",
        true,
    )];
    world.hooks = vec![(
        "Acme::Security::EncryptionHook",
        "HOOK_COMPLETE_SUCCEEDED",
        "encryption checked",
    )];
    world.planned_hooks = vec![(
        "Acme::Security::PublicAccessHook",
        "EndpointConfig",
        "AWS::SageMaker::EndpointConfig",
        "Modify",
    )];
    let fake = Fake::new(world);
    let c = con();
    let code = block(deploy(
        &fake.clients(),
        &c,
        &selection(Tier::Basic),
        Approval::default(),
    ))
    .unwrap();
    assert_eq!(code, exit::APPROVAL_NEEDED);
    let err = c.stderr_text();
    assert!(
        err.contains("CloudFormation warns: validation `AWS::EarlyValidation::PropertyValidation` (at `Resources/EndpointConfig/Properties/Tags`, resource `EndpointConfig`): Tag value longer than recommended"),
        "{err}"
    );
    assert!(
        err.contains("CloudFormation Hook `Acme::Security::EncryptionHook`: HOOK_COMPLETE_SUCCEEDED (encryption checked)"),
        "{err}"
    );
    assert!(
        err.contains("CloudFormation Hook `Acme::Security::PublicAccessHook` will check `EndpointConfig` (AWS::SageMaker::EndpointConfig, Modify) when the change set runs; its failure stops the deploy"),
        "{err}"
    );
    assert!(!err.contains("could not read"), "{err}");
}
