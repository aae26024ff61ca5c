//! `--org` paths moto cannot show, against the SDK's own mocks fed responses shaped like AWS's
//! documented ones: service-managed stack sets over OUs with automatic deployment, calls as
//! the delegated administrator (CallAs on every request), instances failing beyond the
//! tolerance (exit 4 and the first failed instance's reason), and a stack set another tool
//! made (refused, exit 5).

#[path = "support/org_mocks.rs"]
mod support;
use support::*;

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

/// While the operation runs, each instance is shown once, as it ends: the first is listed
/// before the second has finished, and neither again when the operation ends.
#[test]
fn instances_are_shown_as_they_end_while_the_operation_runs() {
    let log: Log = Arc::default();
    let o = opts(
        Targets::Accounts(vec!["111111111111".into()]),
        CallAsArg::SelfAccount,
    );
    let running = |account: &str, region: &str| {
        StackSetOperationResultSummary::builder()
            .account(account)
            .region(region)
            .status(StackSetOperationResultStatus::Running)
            .build()
    };
    let rules = new_stack_set_polled(
        &log,
        |n| {
            if n < 2 {
                StackSetOperationStatus::Running
            } else {
                StackSetOperationStatus::Succeeded
            }
        },
        move |n| match n {
            0 => vec![
                result("111111111111", "eu-west-1", true, None),
                running("111111111111", "us-east-1"),
            ],
            _ => vec![
                result("111111111111", "eu-west-1", true, None),
                result("111111111111", "us-east-1", true, None),
            ],
        },
    );
    let aws = clients(&rules);
    let con = Console::captured(&[]);
    let code = block(deploy_cmd(&aws, &con, &baseline(&o), &o, YES, "x")).unwrap();
    let err = con.stderr_text();
    assert_eq!(code, exit::SUCCESS, "{err}");
    let log = log.lock().unwrap();
    let calls: Vec<&str> = log.iter().map(|(c, _)| c.as_str()).collect();
    // Results read while it ran (after the first and second status), and once at its end.
    assert_eq!(
        calls
            .iter()
            .filter(|c| **c == "ListStackSetOperationResults")
            .count(),
        3,
        "{calls:?}"
    );
    assert_eq!(
        err.matches("  111111111111 eu-west-1 SUCCEEDED\n").count(),
        1,
        "{err}"
    );
    assert_eq!(
        err.matches("  111111111111 us-east-1 SUCCEEDED\n").count(),
        1,
        "{err}"
    );
    assert!(
        err.find("eu-west-1 SUCCEEDED") < err.find("us-east-1 SUCCEEDED"),
        "{err}"
    );
    assert!(
        err.contains("create instances succeeded (2 instance(s))"),
        "{err}"
    );
}

/// At enhanced, the stack set's plan says when the template brings its own GuardDuty detector
/// and Security Hub hub, and how to leave them to the organization; with `org_services=member`
/// they are left out, the blueprint's note says so, and `admin` is refused for OUs.
#[test]
fn the_plan_says_who_runs_guardduty_and_security_hub() {
    let o = opts(
        Targets::Ous(vec!["ou-ab12-cd34ef56".into()]),
        CallAsArg::SelfAccount,
    );
    let plan_with = |params: Vec<(String, String)>| {
        let log: Log = Arc::default();
        let rules = new_stack_set(&log, StackSetOperationStatus::Succeeded, Vec::new());
        let aws = clients(&rules);
        let sel = Selection::new("account-baseline", Tier::Enhanced, None, params).unwrap();
        let sel = org_selection(&sel, &o).unwrap();
        block(plan_org(&aws, &sel, &o)).unwrap()
    };
    let notes =
        |plans: &[harden::deploy::org::Planned]| -> String { plans[0].set.stack.notes.join("\n") };
    let account = plan_with(Vec::new());
    assert!(
        notes(&account)
            .contains("GuardDuty and Security Hub are this template's (`org_services=account`)"),
        "{}",
        notes(&account)
    );
    let member = plan_with(vec![("org_services".into(), "member".into())]);
    let n = notes(&member);
    assert!(!n.contains("this template's"), "{n}");
    assert!(
        n.contains("left to the organization's delegated administrator"),
        "{n}"
    );
    assert!(
        !member[0]
            .set
            .stack
            .resources
            .iter()
            .any(|r| r.resource_type == "AWS::GuardDuty::Detector"),
        "no detector in a member's template"
    );
    let sel = Selection::new(
        "account-baseline",
        Tier::Enhanced,
        None,
        vec![
            ("org_services".into(), "admin".into()),
            ("org_policy_target".into(), "r-a1b2".into()),
        ],
    )
    .unwrap();
    let Err(e) = org_selection(&sel, &o) else {
        panic!("admin to OUs is refused")
    };
    assert!(
        e.contains("`org_services=admin` is the delegated administrator account's baseline"),
        "{e}"
    );
}
