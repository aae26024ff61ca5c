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
use crate::ui::Console;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The project, without a project file: names the stack `harden-bootstrap-PROJECT` and its
    /// roles [default: the project file's `project`, else `default`].
    #[arg(long, value_name = "NAME")]
    project_name: Option<String>,
    /// The stacks the service role will deploy: its policy is computed for them.
    #[command(flatten)]
    select: SelectionArgs,
    /// GitHub repository (`owner/repo`) whose Actions may plan and deploy: adds the CI roles
    /// [default: the project file's `ci.github.repository`].
    #[arg(long, value_name = "OWNER/REPO")]
    github_repository: Option<String>,
    /// The branch that deploys [default: the project file's `ci.github.branch`, else main].
    #[arg(long, value_name = "BRANCH")]
    github_branch: Option<String>,
    /// A GitHub environment deploy jobs run in (one with required reviewers); repeat for more
    /// [default: the project's environments in this account and region with `approval: review`].
    #[arg(long, value_name = "NAME")]
    github_environment: Vec<String>,
    /// The account's GitHub OIDC provider, if it exists already (IAM holds one per account).
    #[arg(long, value_name = "ARN")]
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

pub(crate) fn exec(a: Args, con: &Console) -> Result<u8> {
    let Args {
        project_name,
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
    let r = select.resolve()?;
    let aws_settings = aws.resolve(&r);
    let (project, tier, repository, branch, mut environments, origin_flags) = match &r.project {
        Some(p) => {
            if let Some(n) = project_name.as_ref().filter(|n| **n != p.name) {
                bail!("`--project-name {n}` differs from the project file's `project: {}`\nhint: leave `--project-name` out: the project file names the project", p.name);
            }
            let (repo, branch) = p.github.clone().unwrap_or((None, "main".into()));
            let flags = r
                .selections
                .first()
                .and_then(|s| s.origin.as_ref())
                .map(|o| format!("{}--env {}", o.project_flag, o.env));
            (
                p.name.clone(),
                p.tier,
                github_repository.or(repo),
                github_branch.unwrap_or(branch),
                p.reviewed_envs.clone(),
                flags,
            )
        }
        None => {
            let project = project_name.unwrap_or_else(|| DEFAULT_PROJECT.to_string());
            if !crate::project::is_name(&project) {
                bail!(
                    "invalid project name `{project}` in `--project-name`: it must be a lowercase letter, then up to 29 lowercase letters, digits or hyphens\nhint: pass a name like `demo`"
                );
            }
            let tier = r
                .selections
                .iter()
                .map(|s| s.tier)
                .max()
                .expect("a selection");
            (
                project,
                tier,
                github_repository,
                github_branch.unwrap_or_else(|| "main".into()),
                Vec::new(),
                None,
            )
        }
    };
    for e in github_environment {
        if !environments.contains(&e) {
            environments.push(e);
        }
    }
    if repository.is_none() && (!environments.is_empty() || oidc_provider_arn.is_some()) {
        bail!("the CI roles need the GitHub repository whose workflows may assume them\nhint: set `ci.github.repository: OWNER/REPO` in the project file, or pass `--github-repository OWNER/REPO`");
    }
    let mut selections = r.selections;
    for sel in &mut selections {
        sel.project = project.clone();
    }
    // An organization environment: its CI roles drive the baseline's stack sets.
    let stack_sets = r
        .org
        .as_ref()
        .map(|o| harden_blueprints::bootstrap::StackSetCi {
            names: crate::deploy::org::stack_set_names(&selections),
            administration_role: o.administration_role(),
        });
    let s = BootstrapSettings {
        project,
        tier,
        github: repository.map(|repository| GithubCi {
            repository,
            branch,
            environments,
        }),
        oidc_provider_arn,
        selections,
        aws_flags: aws_settings.flags(),
        origin_flags,
        stack_sets,
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
        bootstrap(&c, con, &s, approval, plan.as_ref()).await
    })
}
