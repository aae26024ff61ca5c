//! `harden bootstrap`: flags to [`crate::deploy::bootstrap::BootstrapSettings`], then the
//! operation. `--plan-only` plans it here rather than under `harden plan`, so every flag that
//! shapes the bootstrap stack lives on one command.

use anyhow::{bail, Result};
use harden_blueprints::bootstrap::GithubCi;

use super::args::{AwsArgs, SelectionArgs};
use super::aws_cmds::block_on;
use crate::deploy::apply::Approval;
use crate::deploy::artifacts::DEFAULT_PROJECT;
use crate::deploy::aws;
use crate::deploy::bootstrap::{bootstrap, BootstrapSettings};
use crate::deploy::plan::{PlanFormat, PlanOptions};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The project: names the stack `harden-bootstrap-PROJECT` and its roles.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
    project: String,
    /// The stacks the service role will deploy: its policy is computed for them.
    #[command(flatten)]
    select: SelectionArgs,
    /// GitHub repository (`owner/repo`) whose Actions may plan and deploy: adds the CI roles.
    #[arg(long, value_name = "OWNER/REPO")]
    github_repository: Option<String>,
    /// The branch that deploys.
    #[arg(
        long,
        value_name = "BRANCH",
        default_value = "main",
        requires = "github_repository"
    )]
    github_branch: String,
    /// A GitHub environment deploy jobs run in (one with required reviewers); repeat for more.
    #[arg(long, value_name = "NAME", requires = "github_repository")]
    github_environment: Vec<String>,
    /// The account's GitHub OIDC provider, if it exists already (IAM holds one per account).
    #[arg(long, value_name = "ARN", requires = "github_repository")]
    oidc_provider_arn: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
    /// Show the plan on stdout and change nothing.
    #[arg(long)]
    plan_only: bool,
    /// Approve without asking (CI).
    #[arg(long, conflicts_with = "plan_only")]
    yes: bool,
    /// Approve the roles it creates or widens without a person (enterprise).
    #[arg(long, conflicts_with = "plan_only")]
    allow_broadening: bool,
}

pub(crate) fn exec(a: Args) -> Result<u8> {
    let Args {
        project,
        select,
        github_repository,
        github_branch,
        github_environment,
        oidc_provider_arn,
        aws,
        plan_only,
        yes,
        allow_broadening,
    } = a;
    if !is_project_name(&project) {
        bail!(
            "invalid project name `{project}` in `--project`: it must be a lowercase letter, then up to 29 lowercase letters, digits or hyphens\nhint: pass a name like `demo`"
        );
    }
    let aws_settings = aws.resolve();
    let mut sel = select.resolve()?;
    sel.project = project.clone();
    let s = BootstrapSettings {
        project,
        tier: sel.tier,
        github: github_repository.map(|repository| GithubCi {
            repository,
            branch: github_branch,
            environments: github_environment,
        }),
        oidc_provider_arn,
        selections: vec![sel],
        aws_flags: aws_settings.flags(),
    };
    let approval = Approval {
        yes,
        allow_broadening,
        allow_data_loss: false,
    };
    let plan = plan_only.then_some(PlanOptions {
        format: PlanFormat::Text,
        out: None,
        detailed_exitcode: false,
    });
    block_on(async {
        let c = aws::connect_all(&aws_settings).await?;
        bootstrap(&c, &s, approval, plan.as_ref()).await
    })
}

/// `[a-z][a-z0-9-]{0,29}`, as the project file's `project`.
fn is_project_name(p: &str) -> bool {
    let mut b = p.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && p.len() <= 30
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}
