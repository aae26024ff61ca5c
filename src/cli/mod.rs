//! The command line: clap definitions, one file per command, and the mapping of outcomes to
//! exit codes. Commands turn flags into settings structs; the operations never see clap.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit;
use crate::ui::Console;

mod args;
mod aws_cmds;
mod blueprints;
mod bootstrap;
mod check;
mod completions;
mod controls;
mod iam_policy;
mod init;
mod org;
mod render;
mod report;

/// harden: hardened AWS architectures as CloudFormation, secure by construction.
#[derive(Debug, Parser)]
#[command(name = "harden", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// On an AWS error, also print the SDK's own error with its whole context.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the blueprints, their stacks per tier and their parameters.
    Blueprints(blueprints::Args),
    /// List the hardening controls, their tiers and the CIS and Security Hub controls they satisfy.
    Controls(controls::Args),
    /// Render a blueprint at a tier into one CloudFormation template per stack.
    Render(render::Args),
    /// Check CloudFormation templates (any, or what harden would render) against harden's
    /// rules: exit 0 clean, 1 findings at or above `--fail-on`, 2 usage or unreadable file.
    Check(check::Args),
    /// Write the compliance matrix of the stacks: per control of the tier, the resources that
    /// satisfy it, its CIS and Security Hub ids, what does not apply and why, the exceptions
    /// and the findings (Markdown, HTML or JSON).
    Report(report::Args),
    /// Print the least-privilege policy of the CloudFormation service role for the stacks.
    IamPolicy(iam_policy::Args),
    /// Show what deploying would change: resources, replacements, access broadened, data at risk.
    Plan(aws_cmds::PlanArgs),
    /// Deploy: show the plan, get approval, execute the change sets, stream events.
    Deploy(aws_cmds::DeployArgs),
    /// Delete the stacks, saying what is retained; termination-protected ones only when told.
    Destroy(aws_cmds::DestroyArgs),
    /// Show each stack's status and outputs; `--watch` follows a running operation.
    Status(aws_cmds::StatusArgs),
    /// Detect drift: each deployed stack's resources changed outside CloudFormation, property
    /// by property (exit 2 with `--detailed-exitcode` when one drifted).
    Drift(aws_cmds::DriftArgs),
    /// Print the JSON Schema of the project file, `harden.yaml` (editors complete and validate with it).
    Schema,
    /// Create or update the project's bootstrap stack: the artifact bucket, the CloudFormation
    /// service role for the selected stacks, and the GitHub CI roles.
    Bootstrap(bootstrap::Args),
    /// Scaffold a project: harden.yaml, its schema, a README, .gitignore and a CI workflow.
    Init(init::Args),
    /// Print the shell completion script (bash, zsh, fish, powershell) to stdout.
    Completions(completions::Args),
}

/// Text for people, JSON for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Human-readable text.
    Text,
    /// JSON on stdout.
    Json,
}

/// The subcommand word of a command line: its first argument that is not a flag.
fn cli_word(args: &[OsString]) -> Option<&str> {
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| !a.starts_with('-'))
}

/// Runs the command line and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                // `check` promises 2 for a usage error, as linters do.
                if matches!(cli_word(&args), Some("check")) {
                    check::USAGE
                } else {
                    exit::ERROR
                }
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // The one place the environment and the terminals are read for output.
    let con = Console::from_env();
    let result = match cli.command {
        Command::Blueprints(a) => blueprints::exec(a, &con),
        Command::Controls(a) => controls::exec(a, &con),
        Command::Render(a) => render::exec(a, &con),
        Command::Check(a) => check::exec(a, &con),
        Command::Report(a) => report::exec(a, &con),
        Command::IamPolicy(a) => iam_policy::exec(a, &con),
        Command::Plan(a) => aws_cmds::plan(a, &con),
        Command::Deploy(a) => aws_cmds::deploy(a, &con),
        Command::Destroy(a) => aws_cmds::destroy(a, &con),
        Command::Status(a) => aws_cmds::status(a, &con),
        Command::Drift(a) => aws_cmds::drift(a, &con),
        Command::Bootstrap(a) => bootstrap::exec(a, &con),
        Command::Schema => con
            .out()
            .write_all(crate::project::schema_json().as_bytes())
            .map(|_| exit::SUCCESS)
            .map_err(Into::into),
        Command::Init(a) => init::exec(a, &con),
        Command::Completions(a) => completions::exec(a, &con),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let (code, lines) = exit::report(err, cli.verbose);
            let mut stderr = con.err();
            for line in lines {
                let _ = writeln!(stderr, "{line}");
            }
            ExitCode::from(code)
        }
    }
}
