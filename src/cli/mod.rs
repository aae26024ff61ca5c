//! The command line: clap definitions, one file per command, and the mapping of outcomes to
//! exit codes. Commands turn flags into settings structs; the operations never see clap.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit;

mod blueprints;
mod render;

/// harden: hardened AWS architectures as CloudFormation, secure by construction.
#[derive(Debug, Parser)]
#[command(name = "harden", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the blueprints, their stacks per tier and their parameters.
    Blueprints(blueprints::Args),
    /// Render a blueprint at a tier into one CloudFormation template per stack.
    Render(render::Args),
}

/// Text for people, JSON for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Human-readable text.
    Text,
    /// JSON on stdout.
    Json,
}

/// Runs the command line and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Blueprints(a) => blueprints::exec(a),
        Command::Render(a) => render::exec(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            let mut chain = err.chain();
            if let Some(top) = chain.next() {
                let _ = writeln!(stderr, "error: {top}");
            }
            for cause in chain {
                let _ = writeln!(stderr, "caused by: {cause}");
            }
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Finds a blueprint or says which exist.
pub(crate) fn find_blueprint(
    name: &str,
) -> anyhow::Result<&'static dyn harden_blueprints::Blueprint> {
    harden_blueprints::find(name).ok_or_else(|| {
        let names: Vec<String> = harden_blueprints::all().iter().map(|b| format!("`{}`", b.name())).collect();
        anyhow::anyhow!(
            "unknown blueprint `{name}`\nhint: the blueprints are {} (`harden blueprints` describes them)",
            names.join(", ")
        )
    })
}

/// Parses `KEY=VALUE`.
pub(crate) fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Parses a tier name.
pub(crate) fn parse_tier(s: &str) -> Result<harden_blueprints::Tier, String> {
    s.parse()
        .map_err(|_| "the tiers are `basic`, `enhanced` and `enterprise`".to_string())
}
