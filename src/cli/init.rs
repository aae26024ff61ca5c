//! `harden init`: flags to an [`InitRequest`], the prompts for what is missing on a terminal,
//! then [`crate::scaffold`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use harden_blueprints::Tier;

use super::args::{parse_key_value, parse_tier};
use crate::exit;
use crate::scaffold::{self, CiProvider, EnvRequest, InitRequest};
use crate::ui::Console;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Ci {
    /// GitHub Actions: `.github/workflows/harden.yml`.
    Github,
    /// No CI workflow.
    None,
}

/// Scaffold a project: harden.yaml, its schema, a README, .gitignore and a CI workflow.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  harden init demo --blueprint sagemaker-vpc --tier enhanced --env dev --account 123456789012 --region us-east-1 --ci github\n  harden init infra --blueprint batch-fargate --tier enhanced \\\n    --env dev=123456789012/us-east-1 --env prod=210987654321/us-east-1/enterprise \\\n    --alert-email ops@example.com --ci github --github-repository acme/infra\n\nOn a terminal, harden asks for what is not given; without one (or with CI set), a missing\nvalue is an error that shows the complete command."
)]
pub(crate) struct Args {
    /// The project directory (created if missing); its name is the project's name.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// The project name [default: DIR's name, lowercased, other characters as `-`].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// A blueprint to deploy (`harden blueprints` lists them); repeat for more, in deploy order.
    #[arg(long = "blueprint", value_name = "NAME")]
    blueprints: Vec<String>,
    /// The security tier of every environment that does not give its own.
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    tier: Option<Tier>,
    /// An environment: `NAME` with `--account` and `--region`, or all in one as
    /// `NAME=ACCOUNT/REGION[/TIER]`; repeat for more, in deploy order. `prod` and `production`
    /// get `approval: review`.
    #[arg(long = "env", value_name = "NAME[=ACCOUNT/REGION[/TIER]]", value_parser = parse_env)]
    envs: Vec<EnvArg>,
    /// The AWS account id of an `--env NAME` given without one (the first `--account` is the
    /// first such environment's, and so on).
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// The AWS region of an `--env NAME` given without one (one `--region` serves them all).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Write a CI workflow (`github`) or not (`none`).
    #[arg(long, value_enum, value_name = "PROVIDER")]
    ci: Option<Ci>,
    /// The GitHub repository (`OWNER/REPO`) whose workflows may deploy [implies `--ci github`;
    /// asked with the `origin` remote as default].
    #[arg(long, value_name = "OWNER/REPO")]
    github_repository: Option<String>,
    /// The branch whose pushes deploy [default: main].
    #[arg(long, value_name = "BRANCH")]
    github_branch: Option<String>,
    /// Where alerts go, for every blueprint that takes `alert_email` (required at enterprise).
    #[arg(long, value_name = "ADDRESS")]
    alert_email: Option<String>,
    /// Another blueprint parameter, written for every chosen blueprint that takes it; repeat
    /// for more.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,
    /// Overwrite files that exist (without it, one existing file stops `init` before it writes).
    #[arg(long)]
    force: bool,
}

/// `--env`: a name whose account and region come from `--account` and `--region`, or all in
/// one.
#[derive(Debug, Clone)]
enum EnvArg {
    Name(String),
    Full(EnvRequest),
}

/// Parses `NAME` or `NAME=ACCOUNT/REGION[/TIER]`.
fn parse_env(s: &str) -> Result<EnvArg, String> {
    if !s.contains('=') && !s.contains('/') {
        return Ok(EnvArg::Name(s.to_string()));
    }
    full_env(s).map(EnvArg::Full)
}

/// Pairs each `--env NAME` with its `--account` and `--region`, in order.
fn pair_envs(
    envs: Vec<EnvArg>,
    accounts: Vec<String>,
    regions: Vec<String>,
) -> Result<Vec<EnvRequest>> {
    let bare = envs.iter().filter(|e| matches!(e, EnvArg::Name(_))).count();
    if bare == 0 && (!accounts.is_empty() || !regions.is_empty()) {
        anyhow::bail!("`--account` and `--region` belong to an `--env NAME` given without them\nhint: e.g. `--env dev --account 123456789012 --region us-east-1`");
    }
    if accounts.len() != bare {
        anyhow::bail!(
            "{bare} `--env NAME` given without an account, and {} `--account`: each such environment needs its own, in the same order\nhint: e.g. `--env dev --account 123456789012 --region us-east-1`, or `--env dev=123456789012/us-east-1`",
            accounts.len()
        );
    }
    if !(regions.len() == bare || regions.len() == 1 && bare > 0) {
        anyhow::bail!(
            "{bare} `--env NAME` given without a region, and {} `--region`: give one `--region` for them all, or one each in the same order\nhint: e.g. `--env dev --account 123456789012 --region us-east-1`",
            regions.len()
        );
    }
    let mut accounts = accounts.into_iter();
    let mut i = 0;
    Ok(envs
        .into_iter()
        .map(|e| match e {
            EnvArg::Full(r) => r,
            EnvArg::Name(name) => {
                let region = regions[if regions.len() == 1 { 0 } else { i }].clone();
                i += 1;
                EnvRequest {
                    name,
                    account: accounts.next().expect("counted"),
                    region,
                    tier: None,
                }
            }
        })
        .collect())
}

/// Parses `NAME=ACCOUNT/REGION[/TIER]`.
fn full_env(s: &str) -> Result<EnvRequest, String> {
    let usage = || {
        format!("expected NAME=ACCOUNT/REGION[/TIER], like `dev=123456789012/us-east-1` or `prod=123456789012/eu-west-1/enterprise`, got `{s}`")
    };
    let (name, rest) = s.split_once('=').ok_or_else(usage)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (account, region, tier) = match parts[..] {
        [a, r] => (a, r, None),
        [a, r, t] => (a, r, Some(parse_tier(t)?)),
        _ => return Err(usage()),
    };
    if name.is_empty() || account.is_empty() || region.is_empty() {
        return Err(usage());
    }
    Ok(EnvRequest {
        name: name.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        tier,
    })
}

fn request(a: Args) -> Result<InitRequest> {
    let Args {
        dir,
        name,
        blueprints,
        tier,
        envs,
        accounts,
        regions,
        ci,
        github_repository,
        github_branch,
        alert_email,
        params,
        force,
    } = a;
    let envs = pair_envs(envs, accounts, regions)?;
    Ok(InitRequest {
        dir,
        name,
        blueprints,
        tier,
        envs,
        ci: ci.map(|c| match c {
            Ci::Github => CiProvider::Github,
            Ci::None => CiProvider::None,
        }),
        github_repository,
        github_branch,
        alert_email,
        params,
        force,
    })
}

/// `git remote get-url origin` in `dir` (or the nearest existing parent), if git answers.
fn origin_url(dir: &std::path::Path) -> Option<String> {
    let mut at = dir;
    while !at.as_os_str().is_empty() && !at.is_dir() {
        at = at.parent()?;
    }
    let at = if at.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        at
    };
    let out = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .current_dir(at)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub(crate) fn exec(a: Args, con: &Console) -> Result<u8> {
    let mut req = request(a)?;
    if con.interactive() && !scaffold::missing(&req).is_empty() {
        let remote = origin_url(&req.dir);
        scaffold::prompt::fill(&mut req, remote.as_deref(), con.color_stderr())?;
    } else if req.ci == Some(CiProvider::Github) && req.github_repository.is_none() {
        // Without a person to ask, the `origin` remote says which repository CI runs in.
        req.github_repository = origin_url(&req.dir)
            .as_deref()
            .and_then(scaffold::github_repository_from_remote);
    }
    let s = scaffold::resolve(req)?;
    let files = scaffold::files(&s)?;
    let written = scaffold::write_files(&s.dir, &files, s.force)?;
    let mut err = con.err();
    for f in &written.files {
        writeln!(err, "wrote {}", f.display())?;
    }
    for n in &s.notes {
        writeln!(err, "note: {n}")?;
    }
    let first = &s.envs[0].name;
    let cd = if s.dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", s.dir.display())
    };
    writeln!(
        err,
        "next: {cd}harden bootstrap --env {first} && harden plan --env {first} (README.md says more)"
    )?;
    Ok(exit::SUCCESS)
}
