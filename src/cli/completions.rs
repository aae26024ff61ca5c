//! `harden completions SHELL`: the shell completion script, on stdout.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::exit;
use crate::ui::Console;

/// Print the completion script for a shell.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Install, for example:\n  bash: harden completions bash > ~/.local/share/bash-completion/completions/harden\n  zsh:  harden completions zsh > \"${fpath[1]}/_harden\"\n  fish: harden completions fish > ~/.config/fish/completions/harden.fish\n  powershell: harden completions powershell >> $PROFILE"
)]
pub(crate) struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

pub(crate) fn exec(a: Args, con: &Console) -> Result<u8> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "harden", &mut out);
    con.out().write_all(&out)?;
    Ok(exit::SUCCESS)
}
