//! `harden plan`, `deploy`, `destroy` and `status`: flags to settings, a runtime, and the
//! operations in [`crate::deploy`].

use crate::deploy::drift::DriftMode;
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::args::{AwsArgs, SelectionArgs, TargetArgs};
use crate::deploy::{apply, aws, destroy, plan, status};
use crate::settings::AwsSettings;
use crate::ui::Console;

/// Runs an operation on a single-threaded runtime. The runtime is shut down without waiting
/// for blocking tasks: a prompt interrupted by Ctrl-C leaves a read of stdin behind that would
/// otherwise keep the process alive.
pub(crate) fn block_on<F: std::future::Future<Output = Result<u8>>>(f: F) -> Result<u8> {
    block_on_value(f)
}

/// [`block_on`] for an operation that returns a value.
pub(crate) fn block_on_value<T, F: std::future::Future<Output = Result<T>>>(f: F) -> Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let out = rt.block_on(f);
    rt.shutdown_background();
    out
}

async fn client(a: &AwsSettings) -> Result<aws_sdk_cloudformation::Client> {
    aws::connect(a).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PlanFormatArg {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    select: SelectionArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Plan taking over deployed stacks harden did not create (see `deploy --adopt`).
    #[arg(long)]
    adopt: bool,
    /// Output format: text for people, markdown for a pull-request comment, json for machines.
    #[arg(long, value_enum, default_value_t = PlanFormatArg::Text)]
    format: PlanFormatArg,
    /// Save the plan here and keep its change sets, for `harden deploy --plan FILE`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Exit 2 when there are changes (0 when there are none), as `terraform plan -detailed-exitcode`.
    #[arg(long)]
    detailed_exitcode: bool,
    /// Create change sets as the caller, not as the bootstrap's CloudFormation service role.
    #[arg(long)]
    no_service_role: bool,
    /// Drift of the deployed stacks: `auto` reads a detection of the last 15 minutes or runs
    /// one (and says so when it cannot), `always` detects and fails when it cannot, `never`
    /// compares templates only.
    #[arg(long, value_enum, default_value_t = DriftMode::Auto, value_name = "WHEN")]
    drift: DriftMode,
    /// Plan updates with drift-aware change sets, which bring resources changed outside
    /// CloudFormation back to the template (see `deploy --revert-drift`).
    #[arg(long)]
    revert_drift: bool,
    #[command(flatten)]
    org: super::org::OrgArgs,
}

pub(crate) fn plan(a: PlanArgs, con: &Console) -> Result<u8> {
    let r = a.select.resolve()?;
    let aws_settings = a.aws.resolve(&r);
    if let Some(run) = a.org.resolve(&r)? {
        super::org::stack_only_flags(&[
            ("--adopt", a.adopt),
            ("--out", a.out.is_some()),
            ("--revert-drift", a.revert_drift),
            ("--no-service-role", a.no_service_role),
            ("--drift", a.drift != DriftMode::Auto),
        ])?;
        let o = run.options;
        let format = match a.format {
            PlanFormatArg::Text => plan::PlanFormat::Text,
            PlanFormatArg::Markdown => plan::PlanFormat::Markdown,
            PlanFormatArg::Json => plan::PlanFormat::Json,
        };
        return block_on(async {
            let c = aws::connect_all(&aws_settings).await?;
            let mut code = crate::exit::SUCCESS;
            for mut sel in r.selections {
                sel.aws_flags = aws_settings.flags();
                let sel = match crate::deploy::org::org_selection(&sel, &o) {
                    Ok(s) => s,
                    Err(msg) => return super::org::usage(con, &msg),
                };
                let c2 =
                    crate::deploy::org::plan_cmd(&c, con, &sel, &o, format, a.detailed_exitcode)
                        .await?;
                code = code.max(c2);
            }
            Ok(code)
        });
    }
    if a.out.is_some() && r.selections.len() > 1 {
        bail!(
            "`--out` saves the plan of one blueprint's stacks, and the project file selects {}\nhint: pick one with `--stack NAME`: {}",
            r.selections.len(),
            stack_list(&r.selections)
        );
    }
    let o = plan::PlanOptions {
        format: match a.format {
            PlanFormatArg::Text => plan::PlanFormat::Text,
            PlanFormatArg::Markdown => plan::PlanFormat::Markdown,
            PlanFormatArg::Json => plan::PlanFormat::Json,
        },
        out: a.out,
        detailed_exitcode: a.detailed_exitcode,
    };
    block_on(async {
        let c = aws::connect_all(&aws_settings).await?;
        let mut code = crate::exit::SUCCESS;
        for mut sel in r.selections {
            sel.adopt = a.adopt;
            sel.drift = a.drift;
            sel.revert_drift = a.revert_drift;
            sel.aws_flags = aws_settings.flags();
            sel.service_role = !a.no_service_role;
            let c2 = plan::plan(&c, con, &sel, &o).await?;
            code = code.max(c2);
        }
        Ok(code)
    })
}

/// The stack names of selections, for messages.
fn stack_list(sels: &[crate::settings::Selection]) -> String {
    sels.iter()
        .map(|s| format!("`{}`", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    select: SelectionArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Approve without asking (CI). Data loss and, at enterprise, broadened access need their own flags.
    #[arg(long)]
    yes: bool,
    /// Approve replacing or deleting resources that hold data (required from enhanced, and to adopt).
    #[arg(long)]
    allow_data_loss: bool,
    /// Approve access-broadening changes without a person (enterprise).
    #[arg(long)]
    allow_broadening: bool,
    /// Take over deployed stacks harden did not create (or of another blueprint): the plan is
    /// shown, and approving it needs `--allow-data-loss` at every tier.
    #[arg(long, conflicts_with = "plan")]
    adopt: bool,
    /// Execute exactly this saved plan (`harden plan --out FILE`); refused if a stack changed since.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["blueprint", "tier", "params", "name", "waivers", "stack"])]
    plan: Option<PathBuf>,
    /// Create change sets as the caller, not as the bootstrap's CloudFormation service role
    /// (a saved plan's change sets keep the role they were made with).
    #[arg(long, conflicts_with = "plan")]
    no_service_role: bool,
    /// Drift of the deployed stacks in the plan shown before approval: `auto` reads a
    /// detection of the last 15 minutes or runs one, `always` detects and fails when it
    /// cannot, `never` compares templates only.
    #[arg(long, value_enum, default_value_t = DriftMode::Auto, value_name = "WHEN", conflicts_with = "plan")]
    drift: DriftMode,
    /// Update with drift-aware change sets (`DeploymentMode: REVERT_DRIFT`): resources changed
    /// outside CloudFormation are brought back to the template, even when the template is
    /// unchanged; the plan lists them, and the resources whose type CloudFormation cannot
    /// compare with their actual state.
    #[arg(long, conflicts_with = "plan")]
    revert_drift: bool,
    #[command(flatten)]
    org: super::org::OrgArgs,
}

pub(crate) fn deploy(a: DeployArgs, con: &Console) -> Result<u8> {
    match a.plan {
        Some(path) => {
            let approval = apply::Approval {
                yes: a.yes,
                allow_data_loss: a.allow_data_loss,
                allow_broadening: a.allow_broadening,
            };
            let r = a.select.project.clone();
            let resolved = match (&r.env, &r.file) {
                (None, None) => None,
                _ => Some(
                    SelectionArgs {
                        blueprint: None,
                        tier: None,
                        params: Vec::new(),
                        name: None,
                        waivers: Vec::new(),
                        project: r,
                    }
                    .resolve()?,
                ),
            };
            if let Some(res) = resolved.as_ref().filter(|r| r.org.is_some()) {
                bail!("{} deploys StackSets (`organization:`), and `--plan` runs a saved plan of stacks\nhint: run `harden deploy --env ...` without `--plan`; its plan is shown and approved before any change", super::org::env_of(res));
            }
            let aws_settings = match &resolved {
                Some(res) => a.aws.resolve(res),
                None => a.aws.resolve(&crate::cli::args::Resolved::none()),
            };
            block_on(async {
                let c = aws::connect_all(&aws_settings).await?;
                apply::deploy_saved(&c, con, &path, approval, &aws_settings.flags()).await
            })
        }
        None => {
            let r = a.select.resolve()?;
            let approval = apply::Approval {
                yes: a.yes,
                allow_data_loss: a.allow_data_loss || r.allow_data_loss,
                allow_broadening: a.allow_broadening || r.allow_broadening,
            };
            let aws_settings = a.aws.resolve(&r);
            if let Some(run) = a.org.resolve(&r)? {
                super::org::stack_only_flags(&[
                    ("--adopt", a.adopt),
                    ("--revert-drift", a.revert_drift),
                    ("--no-service-role", a.no_service_role),
                    ("--drift", a.drift != DriftMode::Auto),
                ])?;
                let o = run.options;
                return block_on(async {
                    let c = aws::connect_all(&aws_settings).await?;
                    for mut sel in r.selections {
                        sel.aws_flags = aws_settings.flags();
                        let sel = match crate::deploy::org::org_selection(&sel, &o) {
                            Ok(s) => s,
                            Err(msg) => return super::org::usage(con, &msg),
                        };
                        let again = format!("harden deploy {}{}", sel.flags(), run.flags);
                        let code =
                            crate::deploy::org::deploy_cmd(&c, con, &sel, &o, approval, &again)
                                .await?;
                        if code != crate::exit::SUCCESS {
                            return Ok(code);
                        }
                    }
                    Ok(crate::exit::SUCCESS)
                });
            }
            block_on(async {
                let c = aws::connect_all(&aws_settings).await?;
                for mut sel in r.selections {
                    sel.adopt = a.adopt;
                    sel.drift = a.drift;
                    sel.revert_drift = a.revert_drift;
                    sel.aws_flags = aws_settings.flags();
                    sel.service_role = !a.no_service_role;
                    let code = apply::deploy(&c, con, &sel, approval).await?;
                    if code != crate::exit::SUCCESS {
                        return Ok(code);
                    }
                }
                Ok(crate::exit::SUCCESS)
            })
        }
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct DestroyArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Delete without asking.
    #[arg(long)]
    yes: bool,
    /// Turn termination protection off to delete protected stacks.
    #[arg(long)]
    disable_termination_protection: bool,
    /// Delete a stack harden did not create (or of another blueprint) under this name.
    #[arg(long)]
    adopt: bool,
    #[command(flatten)]
    org: super::org::OrgTargetArgs,
}

pub(crate) fn destroy(a: DestroyArgs, con: &Console) -> Result<u8> {
    let (targets, r) = a.target.resolve()?;
    let aws_settings = a.aws.resolve(&r);
    let o = destroy::DestroyOptions {
        yes: a.yes,
        disable_termination_protection: a.disable_termination_protection,
    };
    if let Some((call_as, org_flags)) = a.org.resolve(&r)? {
        super::org::stack_only_flags(&[
            ("--adopt", a.adopt),
            (
                "--disable-termination-protection",
                a.disable_termination_protection,
            ),
        ])?;
        return block_on(async {
            let c = client(&aws_settings).await?;
            for mut t in targets.into_iter().rev() {
                if let Err(msg) = super::org::check_blueprint(t.blueprint) {
                    return super::org::usage(con, &msg);
                }
                t.aws_flags = aws_settings.flags();
                let again = format!(
                    "harden destroy {}{}",
                    t.flags_for(harden_blueprints::StackRole::Workload),
                    org_flags
                );
                let code = crate::deploy::org::destroy_cmd(
                    &c,
                    con,
                    t.blueprint,
                    &t.name,
                    call_as,
                    a.yes,
                    &again,
                )
                .await?;
                if code != crate::exit::SUCCESS {
                    return Ok(code);
                }
            }
            Ok(crate::exit::SUCCESS)
        });
    }
    block_on(async {
        let c = aws::connect_all(&aws_settings).await?;
        // The last stack first: later stacks of a project may import earlier ones' exports.
        for mut t in targets.into_iter().rev() {
            t.adopt = a.adopt;
            t.aws_flags = aws_settings.flags();
            let code = destroy::destroy(&c, con, &t, o).await?;
            if code != crate::exit::SUCCESS {
                return Ok(code);
            }
        }
        Ok(crate::exit::SUCCESS)
    })
}

#[derive(Debug, clap::Args)]
pub(crate) struct DriftArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Output format: text for people, markdown for a pull-request comment, json for machines.
    #[arg(long, value_enum, default_value_t = PlanFormatArg::Text)]
    format: PlanFormatArg,
    /// Exit 2 when a stack drifted (0 when every stack is in sync).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Read a detection of the last 15 minutes instead of running a new one, where there is one.
    #[arg(long)]
    reuse_recent: bool,
}

pub(crate) fn drift(a: DriftArgs, con: &Console) -> Result<u8> {
    let (targets, r) = a.target.resolve()?;
    if r.org.is_some() {
        bail!("{} deploys StackSets (`organization:`), and `harden drift` reads stacks\nhint: run `aws cloudformation detect-stack-set-drift --stack-set-name NAME` for a stack set; `harden status --env ...` shows each instance", super::org::env_of(&r));
    }
    let aws_settings = a.aws.resolve(&r);
    let format = match a.format {
        PlanFormatArg::Text => crate::deploy::drift::DriftFormat::Text,
        PlanFormatArg::Markdown => crate::deploy::drift::DriftFormat::Markdown,
        PlanFormatArg::Json => crate::deploy::drift::DriftFormat::Json,
    };
    block_on(async {
        let c = aws::connect_all(&aws_settings).await?;
        let mut code = crate::exit::SUCCESS;
        for mut t in targets {
            t.aws_flags = aws_settings.flags();
            code = code.max(
                crate::deploy::drift::drift_cmd(
                    &c,
                    con,
                    &t,
                    format,
                    a.reuse_recent,
                    a.detailed_exitcode,
                )
                .await?,
            );
        }
        Ok(code)
    })
}

#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Follow a running operation to its end.
    #[arg(long)]
    watch: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = super::ListFormat::Text)]
    format: super::ListFormat,
    #[command(flatten)]
    org: super::org::OrgTargetArgs,
}

pub(crate) fn status(a: StatusArgs, con: &Console) -> Result<u8> {
    let (targets, r) = a.target.resolve()?;
    let aws_settings = a.aws.resolve(&r);
    let json = a.format == super::ListFormat::Json;
    if let Some((call_as, _)) = a.org.resolve(&r)? {
        super::org::stack_only_flags(&[("--watch", a.watch)])?;
        return block_on(async {
            let c = client(&aws_settings).await?;
            let mut code = crate::exit::SUCCESS;
            for t in &targets {
                if let Err(msg) = super::org::check_blueprint(t.blueprint) {
                    return super::org::usage(con, &msg);
                }
                code = code.max(
                    crate::deploy::org::status_cmd(&c, con, t.blueprint, &t.name, call_as, json)
                        .await?,
                );
            }
            Ok(code)
        });
    }
    block_on(async {
        let c = aws::connect_all(&aws_settings).await?;
        let mut code = crate::exit::SUCCESS;
        for mut t in targets {
            t.aws_flags = aws_settings.flags();
            code = code.max(status::status(&c, con, &t, a.watch, json).await?);
        }
        Ok(code)
    })
}
