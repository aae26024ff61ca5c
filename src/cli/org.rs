//! The `--org` flags of `harden plan` and `harden deploy`: the account baseline as StackSets
//! across an AWS Organization ([`crate::deploy::org`]).

use anyhow::{bail, Result};

use super::args::Resolved;
use crate::deploy::org::{CallAsArg, OrgOptions, Targets, DEFAULT_EXECUTION_ROLE};

/// `--org` and what goes with it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OrgArgs {
    /// Deploy the account baseline as StackSets across accounts or OUs (account-baseline only).
    #[arg(long, requires = "regions")]
    pub org: bool,
    /// With `--org`: the regions, in deployment order; the first is the home region of the
    /// account-wide parts unless `--param home_region=R` is given.
    #[arg(long, value_delimiter = ',', value_name = "R1,R2", requires = "org")]
    pub regions: Vec<String>,
    /// With `--org`: target accounts (self-managed permissions).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ID,...",
        requires = "org",
        conflicts_with = "ous"
    )]
    pub accounts: Vec<String>,
    /// With `--org`: target OUs (service-managed permissions, automatic deployment to accounts
    /// that join them; accounts that leave have their stacks deleted).
    #[arg(long, value_delimiter = ',', value_name = "OU,...", requires = "org")]
    pub ous: Vec<String>,
    /// With `--accounts`: the administration role [default: the account's
    /// AWSCloudFormationStackSetAdministrationRole].
    #[arg(long, value_name = "ARN", requires = "org")]
    pub administration_role_arn: Option<String>,
    /// With `--accounts`: the role assumed in each target account.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_EXECUTION_ROLE)]
    pub execution_role_name: String,
    /// With `--org`: call as the management account (`self`) or a delegated administrator.
    #[arg(long, value_enum, default_value_t = CallAsArg::SelfAccount, value_name = "WHO")]
    pub call_as: CallAsArg,
    /// With `--org`: instances per region that may fail before an operation stops.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub failure_tolerance: i32,
    /// With `--org`: accounts deployed at once per region (at most the tolerance plus one).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub max_concurrency: i32,
    /// With `--org`: deploy to all regions at once instead of in the `--regions` order.
    #[arg(long, requires = "org")]
    pub parallel_regions: bool,
    /// With `--org`: keep deploying at `--max-concurrency` as instances fail, up to the
    /// tolerance (StackSets' SOFT_FAILURE_TOLERANCE); without it, failures lower concurrency
    /// (STRICT_FAILURE_TOLERANCE) and `--max-concurrency` is at most the tolerance plus one.
    #[arg(long, requires = "org")]
    pub soft_failure_tolerance: bool,
    /// With `--org` or an environment's `organization:`: remove the instances of accounts or
    /// OUs and regions no longer given (their stacks are deleted). Without it they are listed
    /// and kept.
    #[arg(long)]
    pub prune: bool,
}

/// The org mode of a run, and the flags that say it again in hints.
pub(crate) struct OrgRun {
    pub options: OrgOptions,
    pub flags: String,
}

/// The environment a project file's `organization:` is in, for messages.
pub(crate) fn env_of(r: &Resolved) -> String {
    match &r.expect {
        Some(x) => format!("environment `{}` of `{}`", x.env, x.file),
        None => "the environment".into(),
    }
}

impl OrgArgs {
    /// The org mode of this run: by the flags (`--org`), or by the environment's
    /// `organization:` section (with `--prune` added); `None` outside it.
    pub fn resolve(&self, r: &Resolved) -> Result<Option<OrgRun>> {
        match (&r.org, self.org) {
            (Some(_), true) => bail!("{} deploys through its `organization:` section, and `--org` gives the targets again\nhint: drop `--org` and its flags (edit `organization:` to change the targets), or drop `--env` to deploy by flags alone", env_of(r)),
            (None, true) => Ok(Some(OrgRun {
                options: self.options()?,
                flags: self.flags(),
            })),
            (Some(o), false) => {
                let mut options = o.clone();
                let mut flags = String::new();
                if self.prune {
                    options.prune = true;
                    flags.push_str(" --prune");
                }
                if self.call_as != CallAsArg::SelfAccount
                    || self.failure_tolerance != 0
                    || self.max_concurrency != 1
                    || self.execution_role_name != DEFAULT_EXECUTION_ROLE
                {
                    bail!("{} deploys through its `organization:` section: set `call_as`, `failure_tolerance`, `max_concurrency` and `execution_role_name` there, not by flags\nhint: drop the flags, or edit `organization:`", env_of(r));
                }
                Ok(Some(OrgRun { options, flags }))
            }
            (None, false) => {
                if self.prune {
                    bail!("`--prune` removes StackSet instances, and this is not an org deploy\nhint: add `--org --regions ... --accounts ...`, or pick an environment with an `organization:` section with `--env`");
                }
                Ok(None)
            }
        }
    }

    /// The options, validated.
    pub fn options(&self) -> Result<OrgOptions> {
        let targets = match (self.accounts.is_empty(), self.ous.is_empty()) {
            (false, true) => Targets::Accounts(self.accounts.clone()),
            (true, false) => Targets::Ous(self.ous.clone()),
            _ => bail!("`--org` needs `--accounts ID,...` or `--ous ou-...,...`\nhint: `--accounts` deploys to those accounts (self-managed), `--ous` to every account of those OUs (service-managed)"),
        };
        let o = OrgOptions {
            regions: self.regions.clone(),
            targets,
            call_as: self.call_as,
            administration_role_arn: self.administration_role_arn.clone(),
            execution_role_name: self.execution_role_name.clone(),
            failure_tolerance: self.failure_tolerance,
            max_concurrency: self.max_concurrency,
            parallel_regions: self.parallel_regions,
            soft_failure_tolerance: self.soft_failure_tolerance,
            prune: self.prune,
        };
        o.validate()?;
        Ok(o)
    }

    /// The flags again, for hints.
    pub fn flags(&self) -> String {
        let mut s = format!(" --org --regions {}", self.regions.join(","));
        if !self.accounts.is_empty() {
            s += &format!(" --accounts {}", self.accounts.join(","));
        }
        if !self.ous.is_empty() {
            s += &format!(" --ous {}", self.ous.join(","));
        }
        if let Some(a) = &self.administration_role_arn {
            s += &format!(" --administration-role-arn {a}");
        }
        if self.execution_role_name != DEFAULT_EXECUTION_ROLE {
            s += &format!(" --execution-role-name {}", self.execution_role_name);
        }
        if self.call_as == CallAsArg::DelegatedAdmin {
            s += " --call-as delegated-admin";
        }
        if self.failure_tolerance != 0 {
            s += &format!(" --failure-tolerance {}", self.failure_tolerance);
        }
        if self.max_concurrency != 1 {
            s += &format!(" --max-concurrency {}", self.max_concurrency);
        }
        if self.parallel_regions {
            s += " --parallel-regions";
        }
        if self.soft_failure_tolerance {
            s += " --soft-failure-tolerance";
        }
        if self.prune {
            s += " --prune";
        }
        s
    }
}

/// Refuses the flags of stack deploys that StackSets have no use for, instead of ignoring them.
pub(crate) fn stack_only_flags(given: &[(&str, bool)]) -> Result<()> {
    let used: Vec<&str> = given
        .iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| *f)
        .collect();
    if used.is_empty() {
        return Ok(());
    }
    bail!(
        "{} {} for stacks, and this deploys StackSets (`--org`, or an environment's `organization:`)\nhint: drop {}; StackSets keep no change sets to save or adopt, and `harden status --org` shows each instance",
        used.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        if used.len() == 1 { "is" } else { "are" },
        if used.len() == 1 { "it" } else { "them" },
    )
}

/// The usage error of `--org` with another blueprint: printed, exit 2.
pub(crate) fn usage(con: &crate::ui::Console, msg: &str) -> Result<u8> {
    use std::io::Write;
    writeln!(con.err(), "error: {msg}")?;
    Ok(2)
}

/// `--org` and `--call-as` of `harden status` and `harden destroy`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OrgTargetArgs {
    /// The baseline's StackSets and their instances (see `deploy --org`).
    #[arg(long)]
    pub org: bool,
    /// With `--org`: call as the management account (`self`) or a delegated administrator.
    #[arg(long = "call-as", value_enum, default_value_t = CallAsArg::SelfAccount, value_name = "WHO")]
    pub call_as: CallAsArg,
}

impl OrgTargetArgs {
    /// The org mode of `status` or `destroy`: `--org`, or the environment's `organization:`
    /// section; the caller and the flags that say it again.
    pub fn resolve(&self, r: &Resolved) -> Result<Option<(CallAsArg, &'static str)>> {
        match (&r.org, self.org) {
            (Some(_), true) => bail!("{} acts on StackSets through its `organization:` section already\nhint: drop `--org`", env_of(r)),
            (None, true) => Ok(Some((self.call(), self.flags()))),
            (Some(o), false) => {
                if self.call_as != CallAsArg::SelfAccount {
                    bail!("{} sets who calls StackSets in its `organization:` section (`call_as:`)\nhint: drop `--call-as`", env_of(r));
                }
                Ok(Some((o.call_as, "")))
            }
            (None, false) => Ok(None),
        }
    }

    pub fn call(&self) -> CallAsArg {
        self.call_as
    }

    pub fn flags(&self) -> &'static str {
        match self.call_as {
            CallAsArg::SelfAccount => " --org",
            CallAsArg::DelegatedAdmin => " --org --call-as delegated-admin",
        }
    }
}

/// The org mode is the account baseline's only.
pub(crate) fn check_blueprint(
    b: &dyn harden_blueprints::Blueprint,
) -> std::result::Result<(), String> {
    if b.name() == crate::deploy::org::ORG_BLUEPRINT {
        Ok(())
    } else {
        Err(format!(
            "`--org` is for the `{}` blueprint only, not `{}`\nhint: drop `--org`, or use `--blueprint {}`",
            crate::deploy::org::ORG_BLUEPRINT,
            b.name(),
            crate::deploy::org::ORG_BLUEPRINT
        ))
    }
}
