//! A deployment that spans two regions, against moto on 127.0.0.1: a workload whose replica
//! stack lives in `replica_region`. The plan prepares each region's stacks with that region's
//! clients and says where the replica goes; a saved plan keeps the region and deploys there;
//! `status` and `destroy`, which render nothing, find the replica stack through the region
//! the workload stack's `harden:replica-region` tag names, and delete it after the workload;
//! a `replica_region` that is the region deployed to is refused before any call.
//!
//! The stacks are small ones built by a blueprint defined in this file (a bucket each), so
//! the test is about the engine, not a blueprint's resources.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

use harden::deploy::apply::{deploy, deploy_saved, Approval};
use harden::deploy::aws::Clients;
use harden::deploy::destroy::{destroy, DestroyOptions};
use harden::deploy::plan::{plan, PlanFormat, PlanOptions};
use harden::exit;
use harden::settings::{Selection, Target};
use harden_blueprints::blueprint::{replica_stack_name, Request, StackBuilder, REPLICA_REGION_TAG};
use harden_blueprints::cfn::Template;
use harden_blueprints::controls::s3_bucket::access_log_bucket;
use harden_blueprints::params::ParamSpec;
use harden_blueprints::{Blueprint, BlueprintError, StackRole, StackSpec, Tier};
use harden_blueprints::{Deviation, Operation};

const HOME: &str = "us-east-1";
const REPLICA: &str = "us-west-2";

/// `sagemaker-vpc`'s name and parameters, with two stacks of a bucket each: the replica
/// stack in [`REPLICA`], first, and the workload stack, tagged with that region.
struct TwoRegions;

fn inner() -> &'static dyn Blueprint {
    harden_blueprints::find("sagemaker-vpc").unwrap()
}

impl Blueprint for TwoRegions {
    fn name(&self) -> &'static str {
        inner().name()
    }
    fn summary(&self) -> &'static str {
        inner().summary()
    }
    fn source(&self) -> &'static str {
        inner().source()
    }
    fn deviations(&self) -> &'static [Deviation] {
        inner().deviations()
    }
    fn operations(&self) -> &'static [Operation] {
        inner().operations()
    }
    fn params(&self) -> &'static [&'static ParamSpec] {
        inner().params()
    }
    fn purposes(&self, _tier: Tier) -> Vec<&'static str> {
        vec!["replicas", "workload"]
    }
    fn own_stack_names(&self, name: &str) -> Vec<(String, StackRole)> {
        vec![
            (replica_stack_name(name), StackRole::Workload),
            (name.to_string(), StackRole::Workload),
        ]
    }
    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let mut replica = Template::new("replicas");
        access_log_bucket(&mut replica, req.tier, "Replica");
        let mut workload = Template::new("workload");
        access_log_bucket(&mut workload, req.tier, "Data");
        let mut source = req.stack(workload).build();
        source
            .tags
            .insert(REPLICA_REGION_TAG.to_string(), REPLICA.to_string());
        Ok(vec![
            StackBuilder::new(
                "sagemaker-vpc",
                req.tier,
                replica_stack_name(&req.name),
                replica,
            )
            .region(REPLICA)
            .purpose("replicas")
            .build(),
            source,
        ])
    }
}

static TWO: TwoRegions = TwoRegions;

fn selection() -> Selection {
    let mut sel = Selection::new("sagemaker-vpc", Tier::Basic, None, Vec::new()).unwrap();
    sel.blueprint = &TWO;
    sel
}

fn target() -> Target {
    let mut t = Target::new("sagemaker-vpc", None, None).unwrap();
    t.blueprint = &TWO;
    t
}

fn regional(moto: &Moto, region: &str) -> (aws_sdk_cloudformation::Client, aws_sdk_s3::Client) {
    let creds = aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test");
    let s3 = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(moto.url())
        .region(aws_sdk_s3::config::Region::new(region.to_string()))
        .credentials_provider(creds.clone())
        .force_path_style(true)
        .build();
    let cfn = aws_sdk_cloudformation::Config::builder()
        .behavior_version_latest()
        .endpoint_url(moto.url())
        .region(aws_sdk_cloudformation::config::Region::new(
            region.to_string(),
        ))
        .credentials_provider(creds)
        .build();
    (
        aws_sdk_cloudformation::Client::from_conf(cfn),
        aws_sdk_s3::Client::from_conf(s3),
    )
}

/// Clients of `home`, with those of the other region.
fn clients(moto: &Moto, home: &str, other: &str) -> Clients {
    let (cfn, s3) = regional(moto, home);
    let (ocfn, os3) = regional(moto, other);
    Clients::new(cfn, s3, home).with_region(other, ocfn, os3)
}

const YES: Approval = Approval {
    yes: true,
    allow_data_loss: false,
    allow_broadening: false,
};

fn deployed(c: &Clients, region: &str, name: &str) -> bool {
    let regional = c.at(Some(region)).unwrap();
    block_on(harden::deploy::stack::describe(&regional.cfn, name))
        .unwrap()
        .is_some()
}

#[test]
fn a_replica_stack_is_planned_deployed_found_and_destroyed_in_its_own_region() {
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let moto = Moto::start();
    let c = clients(&moto, HOME, REPLICA);
    let sel = selection();
    let replica = replica_stack_name("sagemaker-vpc");

    // The plan, one document for both regions, says where the replica goes.
    let con = harden::ui::Console::captured(&[]);
    let o = PlanOptions {
        format: PlanFormat::Json,
        out: None,
        detailed_exitcode: true,
    };
    assert_eq!(block_on(plan(&c, &con, &sel, &o)).unwrap(), exit::CHANGES);
    let json: serde_json::Value = serde_json::from_str(&con.stdout_text()).unwrap();
    let stacks = json["stacks"].as_array().unwrap();
    let names: Vec<&str> = stacks.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, [replica.as_str(), "sagemaker-vpc"]);
    let notes = stacks[0]["notes"].to_string();
    assert!(
        notes.contains("in region `us-west-2` (the deployment's own is `us-east-1`)"),
        "{notes}"
    );
    assert!(!stacks[1]["notes"].to_string().contains("in region"));

    // A saved plan keeps each stack's region, and its change sets are made there.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let o = PlanOptions {
        format: PlanFormat::Text,
        out: Some(path.clone()),
        detailed_exitcode: false,
    };
    let con = harden::ui::Console::captured(&[]);
    assert_eq!(block_on(plan(&c, &con, &sel, &o)).unwrap(), exit::SUCCESS);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains("\"region\": \"us-west-2\""), "{saved}");
    let con = harden::ui::Console::captured(&[]);
    assert_eq!(
        block_on(deploy_saved(&c, &con, &path, YES, "")).unwrap(),
        exit::SUCCESS,
        "{}",
        con.stderr_text()
    );
    assert!(deployed(&c, REPLICA, &replica));
    assert!(!deployed(&c, HOME, &replica));
    assert!(deployed(&c, HOME, "sagemaker-vpc"));
    assert!(!deployed(&c, REPLICA, "sagemaker-vpc"));

    // Deployed again: nothing to change in either region.
    let con = harden::ui::Console::captured(&[]);
    assert_eq!(
        block_on(deploy(&c, &con, &sel, YES)).unwrap(),
        exit::SUCCESS
    );
    assert!(
        con.stderr_text()
            .contains("no changes: every stack already matches"),
        "{}",
        con.stderr_text()
    );

    // A workload of the same name deployed from a third region, replicating to the same
    // region, is refused before it touches the replica stack this deployment made.
    let third = clients(&moto, "eu-west-1", REPLICA);
    let con = harden::ui::Console::captured(&[]);
    let e = block_on(deploy(&third, &con, &sel, YES)).unwrap_err();
    let (code, lines) = harden::exit::report(e, false);
    let text = lines.join("\n");
    assert_eq!(code, exit::REFUSED, "{text}");
    assert!(
        text.starts_with(&format!(
            "error: stack `{replica}` in this region belongs to the deployment of the same name in `us-east-1` (its `harden:source-region` tag), not to this one in `eu-west-1`"
        )),
        "{text}"
    );
    // What the workload's own region had prepared meanwhile is gone, and said to be.
    assert!(
        text.contains("note: deleted the empty stack `sagemaker-vpc` the change set had created"),
        "{text}"
    );
    assert!(!deployed(&third, "eu-west-1", "sagemaker-vpc"));

    // `status` finds the replica through the workload's tag.
    let con = harden::ui::Console::captured(&[]);
    block_on(harden::deploy::status::status(
        &c,
        &con,
        &target(),
        false,
        true,
    ))
    .unwrap();
    let rows: serde_json::Value = serde_json::from_str(&con.stdout_text()).unwrap();
    assert_eq!(rows[0]["name"], replica.as_str());
    assert_eq!(rows[0]["region"], REPLICA);
    assert_eq!(rows[0]["deployed"], true);
    assert_eq!(rows[1]["deployed"], true);
    assert!(rows[1].get("region").is_none());

    // `drift` detects on the replica stack in its region too.
    let con = harden::ui::Console::captured(&[]);
    block_on(harden::deploy::drift::drift_cmd(
        &c,
        &con,
        &target(),
        harden::deploy::drift::DriftFormat::Json,
        false,
        false,
    ))
    .unwrap();
    let drift: serde_json::Value = serde_json::from_str(&con.stdout_text()).unwrap();
    let stacks: Vec<&str> = drift["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stack"].as_str().unwrap())
        .collect();
    assert_eq!(stacks, [replica.as_str(), "sagemaker-vpc"], "{drift}");
    assert!(drift["stacks"][0].get("drift").is_some(), "{drift}");

    // `destroy` deletes the workload, then its replica, each in its region.
    let con = harden::ui::Console::captured(&[]);
    let o = DestroyOptions {
        yes: true,
        disable_termination_protection: false,
    };
    assert_eq!(
        block_on(destroy(&c, &con, &target(), o)).unwrap(),
        exit::SUCCESS
    );
    let err = con.stderr_text();
    assert!(
        err.contains(&format!("will delete stack {replica} ("))
            && err.contains("in region `us-west-2`)"),
        "{err}"
    );
    let workload_gone = err.find("stack sagemaker-vpc: deleted").unwrap();
    let replica_gone = err.find(&format!("stack {replica}: deleted")).unwrap();
    assert!(workload_gone < replica_gone, "{err}");
    assert!(!deployed(&c, REPLICA, &replica));
    assert!(!deployed(&c, HOME, "sagemaker-vpc"));
}

#[test]
fn a_replica_region_that_is_the_region_deployed_to_is_refused_before_any_call() {
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let moto = Moto::start();
    // Deployed from the replica's region: the copy would sit beside the data.
    let c = clients(&moto, REPLICA, HOME);
    let con = harden::ui::Console::captured(&[]);
    let e = block_on(deploy(&c, &con, &selection(), YES)).unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains(
            "`replica_region` is `us-west-2`, the region stack `sagemaker-vpc` is deployed to"
        ) && msg.contains("hint: pass another region, e.g. `--param replica_region=us-east-2`"),
        "{msg}"
    );
    assert!(!deployed(&c, REPLICA, &replica_stack_name("sagemaker-vpc")));
    assert!(!deployed(&c, REPLICA, "sagemaker-vpc"));
}

#[test]
fn the_home_bootstrap_service_role_drives_the_replica_stack_in_its_region() {
    use harden::deploy::bootstrap::{bootstrap, BootstrapSettings};
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let moto = Moto::start();
    let c = clients(&moto, HOME, REPLICA);
    let sel = selection();
    let con = harden::ui::Console::captured(&[]);
    let b = BootstrapSettings::for_selection(&sel);
    assert_eq!(
        block_on(bootstrap(&c, &con, &b, YES, None)).unwrap(),
        exit::SUCCESS,
        "{}",
        con.stderr_text()
    );
    let con = harden::ui::Console::captured(&[]);
    assert_eq!(
        block_on(deploy(&c, &con, &sel, YES)).unwrap(),
        exit::SUCCESS,
        "{}",
        con.stderr_text()
    );
    let err = con.stderr_text();
    // Both stacks' change sets act as the one service role, and none needs more of it.
    assert_eq!(
        err.matches("CloudFormation acts as the service role `arn:")
            .count(),
        2,
        "{err}"
    );
    assert!(!err.contains("it was made for other stacks"), "{err}");
    let role = |region: &str, name: &str| {
        let regional = c.at(Some(region)).unwrap();
        block_on(async {
            let out = regional
                .cfn
                .describe_stacks()
                .stack_name(name)
                .send()
                .await
                .unwrap();
            out.stacks()[0].role_arn().map(str::to_string)
        })
    };
    let home = role(HOME, "sagemaker-vpc").expect("the workload stack has a role");
    assert!(
        home.contains(":role/harden-default-cfn-us-east-1"),
        "{home}"
    );
    assert_eq!(
        role(REPLICA, &replica_stack_name("sagemaker-vpc")),
        Some(home)
    );
}

/// A replica region that cannot be reached (here: nothing listens; in AWS: an opt-in region
/// the account has not enabled) fails the plan with the call's own error as the headline,
/// a note that the call went to the replica's region, and the change sets the home region
/// made meanwhile deleted.
#[test]
fn a_replica_region_that_refuses_every_call_is_named_and_the_home_change_sets_are_deleted() {
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let moto = Moto::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (cfn, s3) = regional(&moto, HOME);
    let creds = aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test");
    let nowhere = aws_sdk_cloudformation::Config::builder()
        .behavior_version_latest()
        .endpoint_url(format!("http://127.0.0.1:{closed}"))
        .region(aws_sdk_cloudformation::config::Region::new(REPLICA))
        .credentials_provider(creds)
        .build();
    let (_, os3) = regional(&moto, REPLICA);
    let c = Clients::new(cfn, s3, HOME).with_region(
        REPLICA,
        aws_sdk_cloudformation::Client::from_conf(nowhere),
        os3,
    );
    let con = harden::ui::Console::captured(&[]);
    let e = block_on(deploy(&c, &con, &selection(), YES)).unwrap_err();
    let (code, lines) = harden::exit::report(e, false);
    let text = lines.join("\n");
    eprintln!("{text}");
    assert_eq!(code, exit::ERROR, "{text}");
    assert!(
        text.starts_with("error: ")
            && text.contains("`DescribeStacks`")
            && text.contains(&replica_stack_name("sagemaker-vpc")),
        "{text}"
    );
    assert!(
        text.contains("note: that call went to region `us-west-2`, where the replica stack goes (`replica_region`)"),
        "{text}"
    );
    assert!(
        text.contains("note: deleted the empty stack `sagemaker-vpc` the change set had created"),
        "{text}"
    );
    assert!(!deployed(&c, HOME, "sagemaker-vpc"));
}
