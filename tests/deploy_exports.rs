//! A first deploy of a blueprint whose second stack imports the first stack's exports, against
//! a fake CloudFormation as strict as AWS can be: a change set whose template imports an
//! export that does not exist yet fails ("No export named ... found"). The dependent stack's
//! change set is made once the stack it imports from has deployed, directly and from a saved
//! plan, and is held to the plan that was approved.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set_hooks::DescribeChangeSetHooksOutput;
use aws_sdk_cloudformation::operation::describe_events::{
    DescribeEventsError, DescribeEventsOutput,
};
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_stack_policy::GetStackPolicyOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_stacks::ListStacksOutput;
use aws_sdk_cloudformation::operation::set_stack_policy::SetStackPolicyOutput;
use aws_sdk_cloudformation::operation::update_termination_protection::UpdateTerminationProtectionOutput;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeType, ExecutionStatus, Output, ResourceChange,
    Stack, StackStatus, Tag,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use harden::deploy::apply::{deploy, deploy_saved, Approval};
use harden::deploy::aws::Clients;
use harden::deploy::plan::{plan, PlanFormat, PlanOptions};
use harden::exit;
use harden::settings::Selection;
use harden::ui::Console;
use harden_blueprints::Tier;

/// One stack of the fake account.
#[derive(Clone)]
struct FakeStack {
    id: String,
    status: &'static str,
    body: String,
    tags: Vec<(String, String)>,
}

/// One change set: its stack, template, tags, and whether it failed and why.
#[derive(Clone)]
struct FakeChangeSet {
    stack: String,
    body: String,
    tags: Vec<(String, String)>,
    failed: Option<String>,
}

#[derive(Default)]
struct Account {
    stacks: BTreeMap<String, FakeStack>,
    change_sets: BTreeMap<String, FakeChangeSet>,
    /// What happened, in order: `create <stack>`, `fail <stack>`, `execute <stack>`,
    /// `delete <stack>`.
    log: Vec<String>,
    /// The change sets of this stack also remove a bucket the plan did not know of.
    surprise: Option<&'static str>,
    /// `DescribeEvents` is refused (a role without the permission).
    events_refused: bool,
}

impl Account {
    /// The exports of the stacks that are deployed: each output's `Export.Name`, with
    /// `${AWS::StackName}` resolved, as CloudFormation registers them.
    fn exports(&self) -> Vec<String> {
        self.stacks
            .iter()
            .filter(|(_, s)| s.status == "CREATE_COMPLETE")
            .flat_map(|(name, s)| exported(name, &s.body))
            .collect()
    }
}

fn exported(stack: &str, body: &str) -> Vec<String> {
    let t: serde_json::Value = serde_json::from_str(body).unwrap();
    t["Outputs"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, o)| {
            let n = &o["Export"]["Name"];
            n.as_str().map(str::to_string).or_else(|| {
                n["Fn::Sub"]
                    .as_str()
                    .map(|s| s.replace("${AWS::StackName}", stack))
            })
        })
        .collect()
}

fn imported(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("Fn::ImportValue", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => imported(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| imported(v, out)),
        _ => {}
    }
}

fn not_found(name: &str) -> DescribeStacksError {
    DescribeStacksError::generic(
        ErrorMetadata::builder()
            .code("ValidationError")
            .message(format!("Stack with id {name} does not exist"))
            .build(),
    )
}

fn stack_of(id: &str) -> String {
    // arn:aws:cloudformation:us-east-1:123456789012:stack/NAME/1
    id.split('/').nth(1).unwrap_or(id).to_string()
}

/// The fake CloudFormation client, over a shared account.
fn client(account: Arc<Mutex<Account>>) -> Clients {
    let a = account.clone();
    let describe = mock!(Client::describe_stacks).then_compute_response(move |req| {
        let a = a.lock().unwrap();
        let Some(name) = req.stack_name() else {
            return MockResponse::Output(DescribeStacksOutput::builder().build());
        };
        let name = stack_of(name);
        let Some(s) = a.stacks.get(&name) else {
            return MockResponse::Error(not_found(&name));
        };
        let mut b = Stack::builder()
            .stack_id(&s.id)
            .stack_name(&name)
            .stack_status(StackStatus::from(s.status))
            .creation_time(DateTime::from_secs(1_700_000_000));
        for (k, v) in &s.tags {
            b = b.tags(Tag::builder().key(k).value(v).build());
        }
        if s.status == "CREATE_COMPLETE" {
            for e in exported(&name, &s.body) {
                b = b.outputs(
                    Output::builder()
                        .output_key(e.rsplit('-').next().unwrap())
                        .output_value("v")
                        .export_name(e)
                        .build(),
                );
            }
        }
        MockResponse::Output(DescribeStacksOutput::builder().stacks(b.build()).build())
    });
    let list_stacks =
        mock!(Client::list_stacks).then_output(|| ListStacksOutput::builder().build());
    let a = account.clone();
    let create = mock!(Client::create_change_set).then_compute_output(move |req| {
        let mut a = a.lock().unwrap();
        let stack = req.stack_name().unwrap().to_string();
        let body = req.template_body().unwrap().to_string();
        let mut imports = Vec::new();
        imported(&serde_json::from_str(&body).unwrap(), &mut imports);
        let exports = a.exports();
        let failed = imports
            .iter()
            .find(|i| !exports.contains(i))
            .map(|i| format!("No export named {i} found"));
        a.log.push(format!(
            "{} {stack}",
            if failed.is_some() { "fail" } else { "create" }
        ));
        let id = format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/1");
        let arn = format!(
            "arn:aws:cloudformation:us-east-1:123456789012:changeSet/harden-{}/{stack}",
            a.change_sets.len()
        );
        let tags: Vec<(String, String)> = req
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
            .collect();
        // A create change set makes the stack, empty, with the change set's tags.
        a.stacks.entry(stack.clone()).or_insert(FakeStack {
            id: id.clone(),
            status: "REVIEW_IN_PROGRESS",
            body: String::new(),
            tags: tags.clone(),
        });
        a.change_sets.insert(
            arn.clone(),
            FakeChangeSet {
                stack,
                body,
                tags,
                failed,
            },
        );
        CreateChangeSetOutput::builder()
            .id(arn)
            .stack_id(id)
            .build()
    });
    let a = account.clone();
    let describe_cs = mock!(Client::describe_change_set).then_compute_output(move |req| {
        let a = a.lock().unwrap();
        let arn = req.change_set_name().unwrap();
        let cs = &a.change_sets[arn];
        let mut b = DescribeChangeSetOutput::builder()
            .change_set_id(arn)
            .stack_name(&cs.stack)
            .stack_id(&a.stacks[&cs.stack].id);
        if let Some(why) = &cs.failed {
            return b
                .status(ChangeSetStatus::Failed)
                .execution_status(ExecutionStatus::Unavailable)
                .status_reason(why)
                .build();
        }
        let t: serde_json::Value = serde_json::from_str(&cs.body).unwrap();
        for (id, r) in t["Resources"].as_object().unwrap() {
            b = b.changes(
                Change::builder()
                    .r#type(ChangeType::Resource)
                    .resource_change(
                        ResourceChange::builder()
                            .action(ChangeAction::Add)
                            .logical_resource_id(id)
                            .resource_type(r["Type"].as_str().unwrap())
                            .build(),
                    )
                    .build(),
            );
        }
        if a.surprise == Some(cs.stack.as_str()) {
            b = b.changes(
                Change::builder()
                    .r#type(ChangeType::Resource)
                    .resource_change(
                        ResourceChange::builder()
                            .action(ChangeAction::Remove)
                            .logical_resource_id("Archive")
                            .physical_resource_id("archive-bucket")
                            .resource_type("AWS::S3::Bucket")
                            .build(),
                    )
                    .build(),
            );
        }
        for (k, v) in &cs.tags {
            b = b.tags(Tag::builder().key(k).value(v).build());
        }
        b.status(ChangeSetStatus::CreateComplete)
            .execution_status(ExecutionStatus::Available)
            .build()
    });
    let a = account.clone();
    let get_template = mock!(Client::get_template).then_compute_output(move |req| {
        let a = a.lock().unwrap();
        let body = match req.change_set_name() {
            Some(cs) => a.change_sets[cs].body.clone(),
            None => a.stacks[&stack_of(req.stack_name().unwrap())].body.clone(),
        };
        GetTemplateOutput::builder().template_body(body).build()
    });
    let a = account.clone();
    let execute = mock!(Client::execute_change_set).then_compute_output(move |req| {
        let mut a = a.lock().unwrap();
        let cs = a.change_sets[req.change_set_name().unwrap()].clone();
        assert!(cs.failed.is_none(), "a failed change set was executed");
        a.log.push(format!("execute {}", cs.stack));
        let s = a.stacks.get_mut(&cs.stack).unwrap();
        s.status = "CREATE_COMPLETE";
        s.body = cs.body;
        s.tags = cs.tags;
        ExecuteChangeSetOutput::builder().build()
    });
    let a = account.clone();
    let delete_cs = mock!(Client::delete_change_set).then_compute_output(move |req| {
        a.lock()
            .unwrap()
            .change_sets
            .remove(req.change_set_name().unwrap());
        DeleteChangeSetOutput::builder().build()
    });
    let a = account.clone();
    let delete_stack = mock!(Client::delete_stack).then_compute_output(move |req| {
        let mut a = a.lock().unwrap();
        let name = stack_of(req.stack_name().unwrap());
        assert_eq!(
            a.stacks[&name].status, "REVIEW_IN_PROGRESS",
            "only the empty stack a change set made is deleted"
        );
        a.stacks.remove(&name);
        a.log.push(format!("delete {name}"));
        DeleteStackOutput::builder().build()
    });
    let events = mock!(Client::describe_stack_events)
        .then_output(|| DescribeStackEventsOutput::builder().build());
    let policy =
        mock!(Client::get_stack_policy).then_output(|| GetStackPolicyOutput::builder().build());
    let set_policy =
        mock!(Client::set_stack_policy).then_output(|| SetStackPolicyOutput::builder().build());
    let protect = mock!(Client::update_termination_protection)
        .then_output(|| UpdateTerminationProtectionOutput::builder().build());
    let a = account.clone();
    let operation_events = mock!(Client::describe_events).then_compute_response(move |_| {
        if a.lock().unwrap().events_refused {
            return MockResponse::Error(DescribeEventsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("User: arn:aws:iam::123456789012:role/ci is not authorized to perform: cloudformation:DescribeEvents")
                    .build(),
            ));
        }
        MockResponse::Output(DescribeEventsOutput::builder().build())
    });
    let planned = mock!(Client::describe_change_set_hooks)
        .then_output(|| DescribeChangeSetHooksOutput::builder().build());
    let rules: Vec<Rule> = vec![
        operation_events,
        planned,
        describe,
        list_stacks,
        create,
        describe_cs,
        get_template,
        execute,
        delete_cs,
        delete_stack,
        events,
        policy,
        set_policy,
        protect,
    ];
    let refs: Vec<&Rule> = rules.iter().collect();
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, refs.as_slice());
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]);
    Clients::new(cfn, s3, "us-east-1")
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

const YES: Approval = Approval {
    yes: true,
    allow_data_loss: false,
    allow_broadening: false,
};

fn selection() -> Selection {
    Selection::new("batch-fargate", Tier::Basic, None, Vec::new()).unwrap()
}

/// A whole deploy: the importing stack's change set is made after the exporting stack ran.
const IN_TURN: [&str; 4] = [
    "create batch-fargate",
    "execute batch-fargate",
    "create batch-fargate-api",
    "execute batch-fargate-api",
];

/// The log without the account baseline's stack, which imports nothing.
fn workload_log(a: &Account) -> Vec<String> {
    a.log
        .iter()
        .filter(|l| !l.ends_with("harden-account-baseline"))
        .cloned()
        .collect()
}

#[test]
fn a_first_deploy_makes_the_importing_stacks_change_set_after_the_exporting_stack() {
    let account = Arc::new(Mutex::new(Account::default()));
    let con = Console::captured(&[]);
    let code = block(deploy(&client(account.clone()), &con, &selection(), YES)).unwrap();
    let err = con.stderr_text();
    assert_eq!(code, exit::SUCCESS, "{err}");
    let a = account.lock().unwrap();
    assert_eq!(workload_log(&a), IN_TURN, "{err}");
    assert!(
        err.contains("its change set is made once `batch-fargate` has deployed: it imports `batch-fargate-AlertTopicArn`, `batch-fargate-DataKeyArn`, which do not exist yet"),
        "{err}"
    );
    assert!(
        err.contains("stack batch-fargate-api: change set made now that batch-fargate deployed; it does nothing the plan did not show"),
        "{err}"
    );
    assert!(a.change_sets.is_empty() || a.log.iter().all(|l| !l.starts_with("fail")));
}

#[test]
fn a_saved_plan_carries_the_waiting_stack_and_deploy_plan_makes_its_change_set_in_turn() {
    let account = Arc::new(Mutex::new(Account::default()));
    let aws = client(account.clone());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let con = Console::captured(&[]);
    let o = PlanOptions {
        format: PlanFormat::Json,
        out: Some(path.clone()),
        detailed_exitcode: false,
    };
    let code = block(plan(&aws, &con, &selection(), &o)).unwrap();
    assert_eq!(code, exit::SUCCESS, "{}", con.stderr_text());
    {
        let a = account.lock().unwrap();
        assert_eq!(
            workload_log(&a),
            ["create batch-fargate"],
            "the plan makes no change set that would fail"
        );
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let api = saved["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "batch-fargate-api")
        .unwrap();
    assert!(api["change_set_arn"].is_null(), "{api}");
    assert_eq!(
        api["deferred"]["after"],
        serde_json::json!(["batch-fargate"])
    );
    let con = Console::captured(&[]);
    let code = block(deploy_saved(&aws, &con, &path, YES, "")).unwrap();
    let err = con.stderr_text();
    assert_eq!(code, exit::SUCCESS, "{err}");
    let a = account.lock().unwrap();
    assert_eq!(workload_log(&a), IN_TURN, "{err}");
}

/// A change set made after approval that does more than the approved plan showed (here, it
/// removes a bucket) is deleted unexecuted and shown, and the deploy stops for approval; the
/// stack before it stays deployed.
#[test]
fn a_later_change_set_that_does_more_than_the_plan_is_not_executed() {
    let account = Arc::new(Mutex::new(Account {
        surprise: Some("batch-fargate-api"),
        ..Account::default()
    }));
    let con = Console::captured(&[]);
    let code = block(deploy(&client(account.clone()), &con, &selection(), YES)).unwrap();
    let err = con.stderr_text();
    assert_eq!(code, exit::APPROVAL_NEEDED, "{err}");
    let a = account.lock().unwrap();
    assert_eq!(
        workload_log(&a),
        [
            "create batch-fargate",
            "execute batch-fargate",
            "create batch-fargate-api",
            "delete batch-fargate-api"
        ],
        "{err}"
    );
    assert!(
        err.contains("error: CloudFormation's change set for stack `batch-fargate-api`, made once batch-fargate had deployed, does more than the approved plan showed: puts the data of `Archive` (AWS::S3::Bucket) at risk; it was not executed"),
        "{err}"
    );
    assert!(
        err.contains("note: deleted the unexecuted change set of stack `batch-fargate-api`"),
        "{err}"
    );
    assert!(
        a.change_sets
            .keys()
            .all(|k| !k.ends_with("/batch-fargate-api")),
        "the change set is deleted"
    );
}

/// Without `cloudformation:DescribeEvents`, the plan says that CloudFormation's validation and
/// hook results could not be read, rather than showing none.
#[test]
fn unreadable_validation_results_are_a_note_not_silence() {
    let account = Arc::new(Mutex::new(Account {
        events_refused: true,
        ..Account::default()
    }));
    let con = Console::captured(&[]);
    let dir = tempfile::tempdir().unwrap();
    // A saved plan makes change sets for the stacks to create too.
    let o = PlanOptions {
        format: PlanFormat::Text,
        out: Some(dir.path().join("plan.json")),
        detailed_exitcode: true,
    };
    let code = block(plan(&client(account), &con, &selection(), &o)).unwrap();
    assert_eq!(code, exit::CHANGES, "{}", con.stderr_text());
    let out = con.stdout_text();
    assert!(
        out.contains("could not read CloudFormation's pre-deployment validation and hook results for this change set"),
        "{out}"
    );
}
