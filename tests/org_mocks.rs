//! `--org` paths moto cannot show, against the SDK's own mocks fed responses shaped like AWS's
//! documented ones: service-managed stack sets over OUs with automatic deployment, calls as
//! the delegated administrator (CallAs on every request), instances failing beyond the
//! tolerance (exit 4 and the first failed instance's reason), and a stack set another tool
//! made (refused, exit 5).

use std::sync::{Arc, Mutex};

use aws_sdk_cloudformation::operation::create_stack_instances::CreateStackInstancesOutput;
use aws_sdk_cloudformation::operation::create_stack_set::CreateStackSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_set::{
    DescribeStackSetError, DescribeStackSetOutput,
};
use aws_sdk_cloudformation::operation::describe_stack_set_operation::DescribeStackSetOperationOutput;
use aws_sdk_cloudformation::operation::list_stack_set_operation_results::ListStackSetOperationResultsOutput;
use aws_sdk_cloudformation::types::error::StackSetNotFoundException;
use aws_sdk_cloudformation::types::{
    CallAs, PermissionModels, StackSet, StackSetOperation, StackSetOperationResultStatus,
    StackSetOperationResultSummary, StackSetOperationStatus, Tag,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use harden::deploy::apply::Approval;
use harden::deploy::aws::Clients;
use harden::deploy::org::{
    deploy_cmd, org_selection, plan_org, CallAsArg, OrgOptions, Targets, DEFAULT_EXECUTION_ROLE,
};
use harden::exit;
use harden::settings::Selection;
use harden::ui::Console;
use harden_blueprints::Tier;

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn opts(targets: Targets, call_as: CallAsArg) -> OrgOptions {
    OrgOptions {
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
        targets,
        call_as,
        administration_role_arn: None,
        execution_role_name: DEFAULT_EXECUTION_ROLE.into(),
        failure_tolerance: 0,
        max_concurrency: 1,
        parallel_regions: false,
        prune: false,
    }
}

fn baseline(o: &OrgOptions) -> Selection {
    let sel = Selection::new("account-baseline", Tier::Basic, None, Vec::new()).unwrap();
    org_selection(&sel, o).unwrap()
}

fn clients(rules: &[Rule]) -> Clients {
    let refs: Vec<&Rule> = rules.iter().collect();
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, refs.as_slice());
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]);
    Clients::new(cfn, s3, "us-east-1")
}

type Log = Arc<Mutex<Vec<(String, Option<CallAs>)>>>;

fn not_found() -> DescribeStackSetError {
    DescribeStackSetError::StackSetNotFoundException(
        StackSetNotFoundException::builder()
            .message("StackSet harden-account-baseline not found")
            .build(),
    )
}

fn operation(status: StackSetOperationStatus) -> DescribeStackSetOperationOutput {
    DescribeStackSetOperationOutput::builder()
        .stack_set_operation(
            StackSetOperation::builder()
                .operation_id("op-1")
                .status(status)
                .build(),
        )
        .build()
}

fn result(
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
fn new_stack_set(
    log: &Log,
    status: StackSetOperationStatus,
    results: Vec<StackSetOperationResultSummary>,
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
    let s2 = status.clone();
    let describe_op = mock!(Client::describe_stack_set_operation)
        .match_requests(move |r| {
            l.lock()
                .unwrap()
                .push(("DescribeStackSetOperation".into(), r.call_as().cloned()));
            true
        })
        .then_output(move || operation(s2.clone()));
    let l = log.clone();
    let results_rule = mock!(Client::list_stack_set_operation_results)
        .match_requests(move |r| {
            l.lock()
                .unwrap()
                .push(("ListStackSetOperationResults".into(), r.call_as().cloned()));
            true
        })
        .then_output(move || {
            ListStackSetOperationResultsOutput::builder()
                .set_summaries(Some(results.clone()))
                .build()
        });
    vec![describe, create, instances, describe_op, results_rule]
}

const YES: Approval = Approval {
    yes: true,
    allow_data_loss: false,
    allow_broadening: false,
};

#[test]
fn ous_as_the_delegated_admin_make_a_service_managed_stack_set_with_call_as_on_every_request() {
    let log: Log = Arc::default();
    let o = opts(
        Targets::Ous(vec!["ou-ab12-cd34ef56".into()]),
        CallAsArg::DelegatedAdmin,
    );
    let rules = new_stack_set(
        &log,
        StackSetOperationStatus::Succeeded,
        vec![
            result("111111111111", "eu-west-1", true, None),
            result("111111111111", "us-east-1", true, None),
        ],
    );
    let aws = clients(&rules);
    let con = Console::captured(&[]);
    let code = block(deploy_cmd(
        &aws,
        &con,
        &baseline(&o),
        &o,
        YES,
        "harden deploy X",
    ))
    .unwrap();
    let err = con.stderr_text();
    assert_eq!(code, exit::SUCCESS, "{err}");
    let log = log.lock().unwrap();
    let calls: Vec<&str> = log.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(calls[0], "DescribeStackSet");
    assert!(
        calls[1].starts_with(
            "CreateStackSet SERVICE_MANAGED auto=Some(true) retain=Some(false) exec=None tags="
        ) && calls[1].contains("harden:blueprint=account-baseline"),
        "{calls:?}"
    );
    assert_eq!(
        calls[2],
        "CreateStackInstances accounts= ous=ou-ab12-cd34ef56 regions=eu-west-1,us-east-1 tolerance=Some(0) concurrency=Some(1) order=eu-west-1,us-east-1"
    );
    assert!(
        calls.contains(&"DescribeStackSetOperation")
            && calls.contains(&"ListStackSetOperationResults"),
        "{calls:?}"
    );
    for (call, who) in log.iter() {
        assert_eq!(who.as_ref(), Some(&CallAs::DelegatedAdmin), "{call}");
    }
    assert!(
        err.contains("  111111111111 eu-west-1 SUCCEEDED\n  111111111111 us-east-1 SUCCEEDED\n"),
        "{err}"
    );
}

#[test]
fn accounts_make_a_self_managed_stack_set_as_self() {
    let log: Log = Arc::default();
    let o = opts(
        Targets::Accounts(vec!["111111111111".into()]),
        CallAsArg::SelfAccount,
    );
    let rules = new_stack_set(
        &log,
        StackSetOperationStatus::Succeeded,
        vec![result("111111111111", "eu-west-1", true, None)],
    );
    let aws = clients(&rules);
    let con = Console::captured(&[]);
    assert_eq!(
        block(deploy_cmd(&aws, &con, &baseline(&o), &o, YES, "x")).unwrap(),
        exit::SUCCESS
    );
    let log = log.lock().unwrap();
    assert!(
        log[1].0.starts_with(
            "CreateStackSet SELF_MANAGED  exec=Some(\"AWSCloudFormationStackSetExecutionRole\")"
        ),
        "{:?}",
        log[1]
    );
    assert!(
        log[2]
            .0
            .starts_with("CreateStackInstances accounts=111111111111 ous= "),
        "{:?}",
        log[2]
    );
    for (call, who) in log.iter() {
        assert_eq!(who.as_ref(), Some(&CallAs::SelfValue), "{call}");
    }
}

#[test]
fn instances_failing_beyond_tolerance_exit_4_with_the_first_failed_instance_as_the_headline() {
    let log: Log = Arc::default();
    let o = opts(
        Targets::Accounts(vec!["111111111111".into(), "222222222222".into()]),
        CallAsArg::SelfAccount,
    );
    let reason = "ResourceLogicalId:ApiGatewayLogsRole, ResourceType:AWS::IAM::Role, ResourceStatusReason:Access Denied";
    let rules = new_stack_set(
        &log,
        StackSetOperationStatus::Failed,
        vec![
            result("111111111111", "eu-west-1", true, None),
            result("222222222222", "eu-west-1", false, Some(reason)),
            result(
                "111111111111",
                "us-east-1",
                false,
                Some("Cancelled since failure tolerance has exceeded"),
            ),
        ],
    );
    let aws = clients(&rules);
    let con = Console::captured(&[]);
    let code = block(deploy_cmd(&aws, &con, &baseline(&o), &o, YES, "x")).unwrap();
    let err = con.stderr_text();
    assert_eq!(code, exit::ROLLED_BACK, "{err}");
    assert!(
        err.contains(&format!("error: stack set harden-account-baseline: instance 222222222222 eu-west-1 failed: {reason}\n")),
        "{err}"
    );
    assert!(
        err.contains(&format!("  222222222222 eu-west-1 FAILED: {reason}\n")),
        "{err}"
    );
}

#[test]
fn a_stack_set_another_tool_made_is_refused_with_exit_5() {
    let o = opts(
        Targets::Accounts(vec!["111111111111".into()]),
        CallAsArg::SelfAccount,
    );
    let describe = mock!(Client::describe_stack_set).then_output(|| {
        DescribeStackSetOutput::builder()
            .stack_set(
                StackSet::builder()
                    .stack_set_name("harden-account-baseline")
                    .permission_model(PermissionModels::SelfManaged)
                    .template_body("{\"Resources\":{}}")
                    .tags(Tag::builder().key("owner").value("control-tower").build())
                    .build(),
            )
            .build()
    });
    let aws = clients(&[describe]);
    let e = block(plan_org(&aws, &baseline(&o), &o)).unwrap_err();
    let (code, lines) = exit::report(e, false);
    assert_eq!(code, exit::REFUSED, "{lines:?}");
    assert!(
        lines[0]
            .contains("stack set `harden-account-baseline` exists and is not created by harden"),
        "{lines:?}"
    );
}
