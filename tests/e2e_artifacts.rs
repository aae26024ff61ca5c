//! Templates over CloudFormation's 51,200-byte body limit, against moto's CloudFormation and
//! S3 on 127.0.0.1: without a bootstrap stack, plan says it is needed and deploy stops with
//! "approval needed" and the command that makes it; with one, the template is uploaded to the
//! artifact bucket (content-addressed, SSE-KMS) and deployed by `TemplateURL`, as the
//! bootstrap's service role; a re-deploy with no change uploads nothing; a saved plan works
//! the same; destroy leaves the bootstrap stack and its bucket.
//!
//! No shipped blueprint is that large (tests/cli.rs keeps them under), so the stacks here are
//! `sagemaker-vpc`'s with a large `Metadata` entry, built by a blueprint defined in this file
//! and deployed through the library, as the binary would.

#[path = "support/moto.rs"]
mod moto;
use moto::*;

use harden::deploy::apply::{deploy, deploy_saved, Approval};
use harden::deploy::aws::Clients;
use harden::deploy::bootstrap::{bootstrap, BootstrapSettings};
use harden::deploy::destroy::{destroy, DestroyOptions};
use harden::deploy::plan::{plan, PlanFormat, PlanOptions};
use harden::deploy::prepare::{prepare, ChangeSets};
use harden::exit;
use harden::settings::{Selection, Target};
use harden_blueprints::blueprint::Request;
use harden_blueprints::cfn::Expr;
use harden_blueprints::params::ParamSpec;
use harden_blueprints::{Blueprint, BlueprintError, StackSpec, Tier};
use harden_blueprints::{Deviation, Operation};

/// `sagemaker-vpc`, each stack padded past the body limit (by `Metadata.Padding`, which
/// CloudFormation keeps and ignores).
struct Large;

fn inner() -> &'static dyn Blueprint {
    harden_blueprints::find("sagemaker-vpc").unwrap()
}

impl Blueprint for Large {
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
    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        inner().purposes(tier)
    }
    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let mut stacks = inner().stacks(req)?;
        for s in &mut stacks {
            s.template
                .metadata
                .insert("Padding".into(), Expr::str("x".repeat(60_000)));
        }
        Ok(stacks)
    }
}

static LARGE: Large = Large;

fn selection(params: &[(&str, &str)]) -> Selection {
    let mut sel = Selection::new("sagemaker-vpc", Tier::Basic, None, Vec::new()).unwrap();
    sel.blueprint = &LARGE;
    sel.params = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sel
}

fn clients(moto: &Moto) -> Clients {
    let creds = aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test");
    let s3 = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(moto.url())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    Clients::new(client(moto), aws_sdk_s3::Client::from_conf(s3), "us-east-1")
}

const YES: Approval = Approval {
    yes: true,
    allow_data_loss: false,
    allow_broadening: false,
};

/// Every version of every object under `templates/` in the bucket.
fn template_versions(c: &Clients, bucket: &str) -> Vec<String> {
    block_on(async {
        let out =
            c.s3.list_object_versions()
                .bucket(bucket)
                .prefix("templates/")
                .send()
                .await
                .unwrap();
        out.versions()
            .iter()
            .map(|v| v.key().unwrap_or_default().to_string())
            .collect()
    })
}

/// The bootstrap stack's output `key`.
fn bootstrap_output(c: &Clients, key: &str) -> String {
    block_on(async {
        let out = c
            .cfn
            .describe_stacks()
            .stack_name("harden-bootstrap-default")
            .send()
            .await
            .unwrap();
        out.stacks()[0]
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .unwrap_or_else(|| panic!("the bootstrap stack has no output {key}"))
            .to_string()
    })
}

#[test]
fn a_template_over_the_body_limit_deploys_through_the_artifact_bucket() {
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let moto = Moto::start();
    let c = clients(&moto);
    let sel = selection(&[]);
    let con = harden::ui::Console::captured(&[]);

    // Without a bootstrap stack: plan says the artifact bucket is needed (and creates nothing).
    let (_, p) = block_on(prepare(&c, &sel, ChangeSets::ConfirmExisting)).unwrap();
    let notes = p.stacks[0].notes.join("\n");
    assert!(
        notes.contains("needs the artifact bucket of the bootstrap stack `harden-bootstrap-default`, which does not exist"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "hint: create it with `harden bootstrap --blueprint sagemaker-vpc --tier basic --yes`"
        ),
        "{notes}"
    );
    // Deploy without a terminal: approval needed (3), nothing made.
    assert_eq!(
        block_on(deploy(&c, &con, &sel, YES)).unwrap(),
        exit::APPROVAL_NEEDED
    );
    assert_eq!(change_sets(&moto, "sagemaker-vpc"), 0);

    // `harden bootstrap` for these stacks.
    let b = BootstrapSettings::for_selection(&sel);
    assert_eq!(
        block_on(bootstrap(&c, &con, &b, YES, None)).unwrap(),
        exit::SUCCESS
    );
    let bucket = bootstrap_output(&c, "ArtifactBucket");
    assert!(template_versions(&c, &bucket).is_empty());

    // The plan says the template goes by URL, and as the service role.
    let (prepared, p) = block_on(prepare(&c, &sel, ChangeSets::All)).unwrap();
    let notes = p.stacks[0].notes.join("\n");
    assert!(
        notes.contains("goes by URL from the artifact bucket: `s3://"),
        "{notes}"
    );
    assert!(notes.contains("(uploaded now)"), "{notes}");
    assert!(
        notes.contains("CloudFormation acts as the service role `arn:"),
        "{notes}"
    );
    let pending: Vec<_> = prepared
        .iter()
        .filter_map(|p| harden::deploy::step::Step::of(p).pending())
        .collect();
    block_on(harden::deploy::prepare::cleanup(&c.cfn, &pending));
    assert_eq!(template_versions(&c, &bucket).len(), 1);

    // Deploy: by URL, one object, SSE-KMS.
    assert_eq!(
        block_on(deploy(&c, &con, &sel, YES)).unwrap(),
        exit::SUCCESS
    );
    let status = block_on(harden::deploy::stack::describe(&c.cfn, "sagemaker-vpc"))
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(status.as_str(), "CREATE_COMPLETE");
    let versions = template_versions(&c, &bucket);
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert!(
        versions[0].starts_with("templates/sagemaker-vpc/"),
        "{versions:?}"
    );
    let head = block_on(c.s3.head_object().bucket(&bucket).key(&versions[0]).send()).unwrap();
    assert_eq!(
        head.server_side_encryption().map(|e| e.as_str()),
        Some("aws:kms")
    );
    let role = block_on(c.cfn.describe_stacks().stack_name("sagemaker-vpc").send())
        .unwrap()
        .stacks()[0]
        .role_arn()
        .map(str::to_string);
    assert_eq!(
        role.as_deref(),
        Some(bootstrap_output(&c, "ServiceRoleArn").as_str())
    );

    // A re-deploy with no change uploads nothing.
    assert_eq!(
        block_on(deploy(&c, &con, &sel, YES)).unwrap(),
        exit::SUCCESS
    );
    assert_eq!(template_versions(&c, &bucket).len(), 1);

    // A saved plan of a change: its template is uploaded at plan time, and the saved change
    // set runs it.
    let changed = selection(&[("instance_type", "ml.c5.xlarge")]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let o = PlanOptions {
        format: PlanFormat::Text,
        out: Some(path.clone()),
        detailed_exitcode: false,
    };
    assert_eq!(
        block_on(plan(&c, &con, &changed, &o)).unwrap(),
        exit::SUCCESS
    );
    assert_eq!(template_versions(&c, &bucket).len(), 2);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains("goes by URL from the artifact bucket"),
        "{saved}"
    );
    assert_eq!(
        block_on(deploy_saved(&c, &con, &path, YES, "")).unwrap(),
        exit::SUCCESS
    );
    assert_eq!(template_versions(&c, &bucket).len(), 2);

    // Destroy removes the workload and keeps the bootstrap stack with its bucket.
    let mut t = Target::new("sagemaker-vpc", None, None).unwrap();
    t.blueprint = &LARGE;
    let o = DestroyOptions {
        yes: true,
        disable_termination_protection: false,
    };
    // (moto 5.2.5 answers DeleteStack for this stack with DeleteConflict at times while
    // removing it anyway, see e2e_moto.rs.)
    match block_on(destroy(&c, &con, &t, o)) {
        Ok(code) => assert_eq!(code, exit::SUCCESS),
        Err(e) => assert!(format!("{e}").contains("AWS refused `DeleteStack`"), "{e}"),
    }
    assert!(
        block_on(harden::deploy::stack::describe(&c.cfn, "sagemaker-vpc"))
            .unwrap()
            .is_none()
    );
    assert!(block_on(harden::deploy::stack::describe(
        &c.cfn,
        "harden-bootstrap-default"
    ))
    .unwrap()
    .is_some());
    assert_eq!(template_versions(&c, &bucket).len(), 2);
}

/// `harden bootstrap` through the binary: its plan, its deploy, a second run that is a no-op;
/// `destroy` of a workload keeps it and says so.
#[test]
fn bootstrap_deploys_once_and_a_second_run_changes_nothing() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sel = ["--blueprint", "sagemaker-vpc", "--tier", "basic"];
    let r = harden(&moto, dir, &with(&["bootstrap", "--plan-only"], &sel));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("stack harden-bootstrap-default: create"),
        "{}",
        r.stdout
    );
    assert_eq!(change_sets(&moto, "harden-bootstrap-default"), 0);
    // No terminal, no --yes: approval needed, with the complete command.
    let r = harden(&moto, dir, &with(&["bootstrap"], &sel));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("run `harden bootstrap --blueprint sagemaker-vpc --tier basic --yes`"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["bootstrap", "--yes"], &sel));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stack harden-bootstrap-default: CREATE_COMPLETE"),
        "{}",
        r.stderr
    );
    let r = harden(&moto, dir, &with(&["bootstrap", "--yes"], &sel));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);

    // A workload deploys as the service role; a stack the role's policy was not computed for
    // gets a note to run bootstrap again.
    let r = harden(&moto, dir, &with(&["deploy", "--yes"], &sel));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("note: CloudFormation acts as the service role `arn:aws:iam::123456789012:role/harden-default-cfn-us-east-1`"),
        "{}",
        r.stderr
    );
    let r = harden(
        &moto,
        dir,
        &["plan", "--blueprint", "sagemaker-vpc", "--tier", "enhanced"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("the service role of `harden-bootstrap-default` lacks"),
        "{}",
        r.stdout
    );
    // The baseline an enhanced workload brings is not a stack the role's trust names.
    assert!(
        r.stdout.contains(
            "trusts CloudFormation only for the stacks it was made for, not `harden-account-baseline`"
        ),
        "{}",
        r.stdout
    );
    let r = harden(&moto, dir, &with(&["plan", "--no-service-role"], &sel));
    assert!(!r.stdout.contains("service role"), "{}", r.stdout);

    let r = harden(
        &moto,
        dir,
        &["destroy", "--blueprint", "sagemaker-vpc", "--yes"],
    );
    assert!(
        r.stderr.contains(
            "keeping the bootstrap stack `harden-bootstrap-default` and its artifact bucket"
        ),
        "{}",
        r.stderr
    );
    // Even named explicitly and adopted, destroy refuses the bootstrap stack (exit 5).
    let r = harden(
        &moto,
        dir,
        &[
            "destroy",
            "--blueprint",
            "sagemaker-vpc",
            "--name",
            "harden-bootstrap-default",
            "--adopt",
            "--yes",
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("is a bootstrap stack"), "{}", r.stderr);
}

/// A person at the terminal, no bootstrap stack yet, and a template that needs the bucket:
/// deploy offers to create the bootstrap first; declined, nothing is made; accepted, the
/// bootstrap is deployed through its own plan and then the workload, by URL, as its role.
#[test]
fn on_a_terminal_deploy_offers_to_create_the_missing_bootstrap() {
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let moto = Moto::start();
    let c = clients(&moto);
    let sel = selection(&[]);

    let declines = harden::ui::Console::captured(&[false]);
    assert_eq!(
        block_on(deploy(&c, &declines, &sel, YES)).unwrap(),
        exit::APPROVAL_NEEDED
    );
    let said = declines.stderr_text();
    assert!(
        said.contains("Create the bootstrap stack `harden-bootstrap-default` first? [y/N] n\nnot deployed: the bootstrap stack is needed first"),
        "{said}"
    );
    assert!(block_on(harden::deploy::stack::describe(
        &c.cfn,
        "harden-bootstrap-default"
    ))
    .unwrap()
    .is_none());
    assert_eq!(change_sets(&moto, "sagemaker-vpc"), 0);

    let accepts = harden::ui::Console::captured(&[true]);
    assert_eq!(
        block_on(deploy(&c, &accepts, &sel, YES)).unwrap(),
        exit::SUCCESS
    );
    let said = accepts.stderr_text();
    assert!(
        said.contains("stack harden-bootstrap-default: CREATE_COMPLETE"),
        "{said}"
    );
    assert!(
        said.contains("stack sagemaker-vpc: CREATE_COMPLETE"),
        "{said}"
    );
    let bucket = bootstrap_output(&c, "ArtifactBucket");
    assert_eq!(
        template_versions(&c, &bucket).len(),
        1,
        "the workload went by URL"
    );
}
