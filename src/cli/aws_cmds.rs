//! `harden plan`, `deploy`, `destroy` and `status`: flags to settings, a runtime, and the
//! operations in [`crate::deploy`].

use std::path::PathBuf;

use anyhow::Result;

use super::args::{AwsArgs, SelectionArgs, TargetArgs};
use crate::deploy::{apply, aws, destroy, plan, status};
use crate::settings::AwsSettings;

/// Runs an operation on a single-threaded runtime. The runtime is shut down without waiting
/// for blocking tasks: a prompt interrupted by Ctrl-C leaves a read of stdin behind that would
/// otherwise keep the process alive.
pub(crate) fn block_on<F: std::future::Future<Output = Result<u8>>>(f: F) -> Result<u8> {
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
}

pub(crate) fn plan(a: PlanArgs) -> Result<u8> {
    let aws_settings = a.aws.resolve();
    let mut sel = a.select.resolve()?;
    sel.adopt = a.adopt;
    sel.aws_flags = aws_settings.flags();
    sel.service_role = !a.no_service_role;
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
        plan::plan(&c, &sel, &o).await
    })
}

#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    select: OptionalSelection,
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
    #[arg(long, value_name = "FILE", conflicts_with_all = ["blueprint", "tier", "params", "name", "waivers"])]
    plan: Option<PathBuf>,
    /// Create change sets as the caller, not as the bootstrap's CloudFormation service role
    /// (a saved plan's change sets keep the role they were made with).
    #[arg(long, conflicts_with = "plan")]
    no_service_role: bool,
}

/// The selection flags, optional when a saved plan is given.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OptionalSelection {
    /// The blueprint (`harden blueprints` lists them).
    #[arg(long, value_name = "NAME", required_unless_present = "plan")]
    blueprint: Option<String>,
    /// The security tier: basic, enhanced or enterprise.
    #[arg(long, value_name = "TIER", value_parser = super::args::parse_tier, required_unless_present = "plan")]
    tier: Option<harden_blueprints::Tier>,
    /// A blueprint parameter; repeat for more.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = super::args::parse_key_value)]
    params: Vec<(String, String)>,
    /// Stack name [default: the blueprint's name].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Switch off a control of the tier on purpose, when a parameter would (see `render --help`).
    #[arg(long = "waive", value_name = "CONTROL=REASON", value_parser = harden_blueprints::Waiver::parse)]
    waivers: Vec<harden_blueprints::Waiver>,
}

pub(crate) fn deploy(a: DeployArgs) -> Result<u8> {
    let approval = apply::Approval {
        yes: a.yes,
        allow_data_loss: a.allow_data_loss,
        allow_broadening: a.allow_broadening,
    };
    let aws_settings = a.aws.resolve();
    match a.plan {
        Some(path) => block_on(async {
            let c = client(&aws_settings).await?;
            apply::deploy_saved(&c, &path, approval, &aws_settings.flags()).await
        }),
        None => {
            let s = a.select;
            let mut sel = SelectionArgs {
                blueprint: s
                    .blueprint
                    .expect("clap requires --blueprint without --plan"),
                tier: s.tier.expect("clap requires --tier without --plan"),
                params: s.params,
                name: s.name,
                waivers: s.waivers,
            }
            .resolve()?;
            sel.adopt = a.adopt;
            sel.aws_flags = aws_settings.flags();
            sel.service_role = !a.no_service_role;
            block_on(async {
                let c = aws::connect_all(&aws_settings).await?;
                apply::deploy(&c, &sel, approval).await
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
}

pub(crate) fn destroy(a: DestroyArgs) -> Result<u8> {
    let aws_settings = a.aws.resolve();
    let mut t = a.target.resolve()?;
    t.adopt = a.adopt;
    t.aws_flags = aws_settings.flags();
    let o = destroy::DestroyOptions {
        yes: a.yes,
        disable_termination_protection: a.disable_termination_protection,
    };
    block_on(async {
        let c = client(&aws_settings).await?;
        destroy::destroy(&c, &t, o).await
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
}

pub(crate) fn status(a: StatusArgs) -> Result<u8> {
    let aws_settings = a.aws.resolve();
    let mut t = a.target.resolve()?;
    t.aws_flags = aws_settings.flags();
    let json = a.format == super::ListFormat::Json;
    block_on(async {
        let c = client(&aws_settings).await?;
        status::status(&c, &t, a.watch, json).await
    })
}
