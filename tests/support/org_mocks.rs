//! The SDK mocks of the `--org` tests (`tests/org_mocks.rs`, `tests/org_interrupt.rs`):
//! StackSets answering as AWS documents.
#![allow(dead_code, unused_imports)]

pub use std::sync::atomic::{AtomicUsize, Ordering};
pub use std::sync::{Arc, Mutex};

pub use aws_sdk_cloudformation::operation::create_stack_instances::CreateStackInstancesOutput;
pub use aws_sdk_cloudformation::operation::create_stack_set::CreateStackSetOutput;
pub use aws_sdk_cloudformation::operation::describe_stack_set::{
    DescribeStackSetError, DescribeStackSetOutput,
};
pub use aws_sdk_cloudformation::operation::describe_stack_set_operation::DescribeStackSetOperationOutput;
pub use aws_sdk_cloudformation::operation::list_stack_set_operation_results::ListStackSetOperationResultsOutput;
pub use aws_sdk_cloudformation::types::error::StackSetNotFoundException;
pub use aws_sdk_cloudformation::types::{
    CallAs, PermissionModels, StackSet, StackSetOperation, StackSetOperationResultStatus,
    StackSetOperationResultSummary, StackSetOperationStatus, Tag,
};
pub use aws_sdk_cloudformation::Client;
pub use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
pub use harden::deploy::apply::Approval;
pub use harden::deploy::aws::Clients;
pub use harden::deploy::org::{
    deploy_cmd, org_selection, plan_org, CallAsArg, OrgOptions, Targets, DEFAULT_EXECUTION_ROLE,
};
pub use harden::exit;
pub use harden::settings::Selection;
pub use harden::ui::Console;
pub use harden_blueprints::Tier;

pub fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub fn opts(targets: Targets, call_as: CallAsArg) -> OrgOptions {
    OrgOptions {
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
        targets,
        call_as,
        administration_role_arn: None,
        execution_role_name: DEFAULT_EXECUTION_ROLE.into(),
        failure_tolerance: 0,
        max_concurrency: 1,
        parallel_regions: false,
        soft_failure_tolerance: false,
        prune: false,
    }
}

pub fn baseline(o: &OrgOptions) -> Selection {
    let sel = Selection::new("account-baseline", Tier::Basic, None, Vec::new()).unwrap();
    org_selection(&sel, o).unwrap()
}

pub fn clients(rules: &[Rule]) -> Clients {
    let refs: Vec<&Rule> = rules.iter().collect();
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, refs.as_slice());
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]);
    Clients::new(cfn, s3, "us-east-1")
}

pub type Log = Arc<Mutex<Vec<(String, Option<CallAs>)>>>;

pub fn not_found() -> DescribeStackSetError {
    DescribeStackSetError::StackSetNotFoundException(
        StackSetNotFoundException::builder()
            .message("StackSet harden-account-baseline not found")
            .build(),
    )
}

pub fn operation(status: StackSetOperationStatus) -> DescribeStackSetOperationOutput {
    DescribeStackSetOperationOutput::builder()
        .stack_set_operation(
            StackSetOperation::builder()
                .operation_id("op-1")
                .status(status)
                .build(),
        )
        .build()
}

pub fn result(
    account: &str,
    region: &str,
    ok: bool,
    reason: Option<&str>,
) -> StackSetOperationResultSummary {
    StackSetOperationResultSummary::builder()
        .account(account)
        .region(region)
        .status(if ok {
            StackSetOperationResultStatus::Succeeded
        } else {
            StackSetOperationResultStatus::Failed
        })
        .set_status_reason(reason.map(str::to_string))
        .build()
}

/// A new stack set: not found, created, its instances created by operation `op-1` that ends
/// `status` with `results`. Every request's CallAs is logged.
pub fn new_stack_set(
    log: &Log,
    status: StackSetOperationStatus,
    results: Vec<StackSetOperationResultSummary>,
) -> Vec<Rule> {
    new_stack_set_polled(log, move |_| status.clone(), move |_| results.clone())
}

/// The same, with the operation's status and results at the `n`th call of each (from 0).
pub fn new_stack_set_polled(
    log: &Log,
    status: impl Fn(usize) -> StackSetOperationStatus + Send + Sync + 'static,
    results: impl Fn(usize) -> Vec<StackSetOperationResultSummary> + Send + Sync + 'static,
) -> Vec<Rule> {
    let l = log.clone();
    let describe = mock!(Client::describe_stack_set)
        .match_requests(move |r| {
            l.lock()
                .unwrap()
                .push(("DescribeStackSet".into(), r.call_as().cloned()));
            true
        })
        .then_error(not_found);
    let l = log.clone();
    let create = mock!(Client::create_stack_set)
        .match_requests(move |r| {
            let model = r
                .permission_model()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            let auto = r.auto_deployment().map(|a| {
                format!(
                    "auto={:?} retain={:?}",
                    a.enabled(),
                    a.retain_stacks_on_account_removal()
                )
            });
            let tags: Vec<String> = r
                .tags()
                .iter()
                .map(|t| format!("{}={}", t.key().unwrap_or(""), t.value().unwrap_or("")))
                .collect();
            l.lock().unwrap().push((
                format!(
                    "CreateStackSet {model} {} exec={:?} tags={}",
                    auto.unwrap_or_default(),
                    r.execution_role_name(),
                    tags.join(",")
                ),
                r.call_as().cloned(),
            ));
            true
        })
        .then_output(|| {
            CreateStackSetOutput::builder()
                .stack_set_id("harden-account-baseline:1")
                .build()
        });
    let l = log.clone();
    let instances = mock!(Client::create_stack_instances)
        .match_requests(move |r| {
            let ous = r
                .deployment_targets()
                .map(|d| d.organizational_unit_ids().join(","))
                .unwrap_or_default();
            let prefs = r.operation_preferences().unwrap();
            l.lock().unwrap().push((
                format!(
                    "CreateStackInstances accounts={} ous={ous} regions={} tolerance={:?} concurrency={:?} order={}",
                    r.accounts().join(","),
                    r.regions().join(","),
                    prefs.failure_tolerance_count(),
                    prefs.max_concurrent_count(),
                    prefs.region_order().join(",")
                ),
                r.call_as().cloned(),
            ));
            true
        })
        .then_output(|| CreateStackInstancesOutput::builder().operation_id("op-1").build());
    let l = log.clone();
    let polls = Arc::new(AtomicUsize::new(0));
    let describe_op = mock!(Client::describe_stack_set_operation)
        .match_requests(move |r| {
            l.lock()
                .unwrap()
                .push(("DescribeStackSetOperation".into(), r.call_as().cloned()));
            true
        })
        .then_output(move || operation(status(polls.fetch_add(1, Ordering::SeqCst))));
    let l = log.clone();
    let results_rule = mock!(Client::list_stack_set_operation_results)
        .match_requests(move |r| {
            l.lock()
                .unwrap()
                .push(("ListStackSetOperationResults".into(), r.call_as().cloned()));
            true
        })
        .then_output({
            let lists = Arc::new(AtomicUsize::new(0));
            move || {
                ListStackSetOperationResultsOutput::builder()
                    .set_summaries(Some(results(lists.fetch_add(1, Ordering::SeqCst))))
                    .build()
            }
        });
    vec![describe, create, instances, describe_op, results_rule]
}

pub const YES: Approval = Approval {
    yes: true,
    allow_data_loss: false,
    allow_broadening: false,
};
