//! Plan benchmark: how long preparing a deployment of 1, 3 and 10 stacks takes when
//! CloudFormation needs time to create each change set. The SDK's mocks stand in for
//! CloudFormation: each change set answers `CREATE_PENDING` to its first two
//! `DescribeChangeSet` calls, as a real one does while CloudFormation works, so every stack
//! costs harden's back-off (0.5 s, then 1 s) before it is ready. Made one after the other, N
//! stacks would take N times that; made at once, a plan takes about as long as one stack.
//! Prints the figures; run with `cargo bench --bench plan` (the suite runs it as
//! `cargo test --bench plan`: the figures are CloudFormation's simulated time, not harden's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set_hooks::DescribeChangeSetHooksOutput;
use aws_sdk_cloudformation::operation::describe_events::DescribeEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::list_stacks::ListStacksOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeType, ExecutionStatus, ResourceChange,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use harden::deploy::aws::Clients;
use harden::deploy::drift::DriftCheck;
use harden::deploy::prepare::{prepare_stacks, ChangeSets, Origin};
use harden::render::render_spec;
use harden::settings::Selection;
use harden_blueprints::blueprint::StackBuilder;
use harden_blueprints::cfn::generated::sns;
use harden_blueprints::cfn::Template;
use harden_blueprints::Tier;

/// `DescribeChangeSet` calls a change set answers `CREATE_PENDING` to before it is ready.
const PENDING_POLLS: usize = 2;

fn client() -> Client {
    let polls: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let describe = mock!(Client::describe_stacks).then_compute_response(|req| {
        if req.stack_name().is_none() {
            return MockResponse::Output(DescribeStacksOutput::builder().build());
        }
        MockResponse::Error(DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("ValidationError")
                .message("Stack with id x does not exist")
                .build(),
        ))
    });
    let list = mock!(Client::list_stacks).then_output(|| ListStacksOutput::builder().build());
    let create = mock!(Client::create_change_set).then_compute_output(|req| {
        let stack = req.stack_name().unwrap_or_default();
        CreateChangeSetOutput::builder()
            .id(format!(
                "arn:aws:cloudformation:us-east-1:123456789012:changeSet/h/{stack}"
            ))
            .stack_id(format!(
                "arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/1"
            ))
            .build()
    });
    let p = polls.clone();
    let describe_cs = mock!(Client::describe_change_set).then_compute_output(move |req| {
        let arn = req.change_set_name().unwrap_or_default().to_string();
        let mut polls = p.lock().unwrap();
        let n = polls.entry(arn.clone()).or_default();
        *n += 1;
        let status = if *n <= PENDING_POLLS {
            ChangeSetStatus::CreatePending
        } else {
            ChangeSetStatus::CreateComplete
        };
        DescribeChangeSetOutput::builder()
            .change_set_id(&arn)
            .status(status)
            .execution_status(ExecutionStatus::Available)
            .changes(
                Change::builder()
                    .r#type(ChangeType::Resource)
                    .resource_change(
                        ResourceChange::builder()
                            .logical_resource_id("Topic")
                            .resource_type("AWS::SNS::Topic")
                            .action(ChangeAction::Add)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let events =
        mock!(Client::describe_events).then_output(|| DescribeEventsOutput::builder().build());
    let hooks = mock!(Client::describe_change_set_hooks)
        .then_output(|| DescribeChangeSetHooksOutput::builder().build());
    mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        &[&describe, &list, &create, &describe_cs, &events, &hooks]
    )
}

fn stacks(n: usize) -> Vec<harden::render::Rendered> {
    (0..n)
        .map(|i| {
            let mut t = Template::new(format!("bench stack {i}"));
            t.add("Topic", sns::Topic::default());
            let spec =
                StackBuilder::new("sagemaker-vpc", Tier::Basic, format!("bench-{i}"), t).build();
            render_spec(spec, "sagemaker-vpc", harden_blueprints::cfn::Format::Json)
                .expect("a topic renders")
        })
        .collect()
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sel = Selection::new("sagemaker-vpc", Tier::Basic, None, Vec::new()).unwrap();
    let one_stack = Duration::from_millis(500 + 1000);
    println!(
        "{:>7} {:>12} {:>22} {:>8}",
        "stacks", "plan time", "one after the other", "ratio"
    );
    for n in [1usize, 3, 10] {
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]);
        let aws = Clients::new(client(), s3, "us-east-1");
        let started = Instant::now();
        let (prepared, plan) = rt
            .block_on(prepare_stacks(
                &aws,
                Origin::Selection(&sel),
                stacks(n),
                ChangeSets::All,
                DriftCheck::NEVER,
            ))
            .expect("the plan is prepared");
        let took = started.elapsed();
        assert_eq!(prepared.len(), n);
        assert_eq!(plan.stacks.len(), n);
        let serial = one_stack * n as u32;
        println!(
            "{n:>7} {:>10.2} s {:>20.2} s {:>7.2}",
            took.as_secs_f64(),
            serial.as_secs_f64(),
            took.as_secs_f64() / serial.as_secs_f64()
        );
        // Made at once, 10 stacks take well under twice one stack's time.
        assert!(
            took < one_stack * 2,
            "{n} stacks took {took:?}: the change sets are not made at once"
        );
    }
}
