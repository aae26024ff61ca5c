//! Flags shared by several commands, and their resolution into [`crate::settings`].

use std::path::PathBuf;

use anyhow::{bail, Result};
use harden_blueprints::{Tier, Waiver};

use crate::diag::{did_you_mean, Diagnostic};
use crate::project::{self, Project};
use crate::settings::{shell_quote, AwsSettings, Expected, Origin, Selection, Target};

/// `--blueprint --tier --param --name --waive`: which stacks. Without `--blueprint`, the
/// stacks of the project file.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SelectionArgs {
    /// The blueprint (`harden blueprints` lists them) [default: the project file's stacks].
    #[arg(long, value_name = "NAME")]
    pub blueprint: Option<String>,
    /// The security tier: basic, enhanced or enterprise [default: the environment's].
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    pub tier: Option<Tier>,
    /// A blueprint parameter; repeat for more (with a project file: overrides its value).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,
    /// Stack name [default: the blueprint's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Switch off a control of the tier on purpose, when a parameter would: the reason is
    /// written into the template and shown in the plan; repeat for more.
    #[arg(long = "waive", value_name = "CONTROL=REASON", value_parser = Waiver::parse)]
    pub waivers: Vec<Waiver>,
    #[command(flatten)]
    pub project: ProjectArgs,
}

/// `-p/--project --env --stack`: the project file, which environment and which of its stacks.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ProjectArgs {
    /// The project file [default: `harden.yaml` here or in the nearest directory above].
    #[arg(short = 'p', long = "project", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The project file's environment to act on [default: its only one].
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Only this stack of the project file (by stack name) [default: all, in order].
    #[arg(long, value_name = "NAME", conflicts_with = "blueprint")]
    pub stack: Option<String>,
}

/// The project file named or found, if any.
pub(crate) fn find_project(p: &ProjectArgs) -> Result<Option<(Project, bool)>> {
    match &p.file {
        Some(f) => Ok(Some((Project::load(f)?, true))),
        None => {
            let cwd = std::env::current_dir()?;
            match project::discover(&cwd) {
                Some(f) => {
                    let shown = f.strip_prefix(&cwd).map(PathBuf::from).unwrap_or(f);
                    Ok(Some((Project::load(&shown)?, false)))
                }
                None => Ok(None),
            }
        }
    }
}

/// What the selection flags and the project file resolve to: the stacks, and the environment
/// whose account and region every AWS call is checked against.
pub(crate) struct Resolved {
    pub selections: Vec<Selection>,
    pub expect: Option<Expected>,
    /// The environment's profile and region, used where no flag or variable sets them.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// The environment's deploy approvals (`allow_data_loss`, `allow_broadening`).
    pub allow_data_loss: bool,
    pub allow_broadening: bool,
    /// What the project file says beyond the stacks, when there is one.
    pub project: Option<ProjectInfo>,
    /// The environment's `organization:` section: the baseline goes out as StackSets.
    pub org: Option<crate::deploy::org::OrgOptions>,
}

/// The project file's name, CI and environments, for `harden bootstrap`.
pub(crate) struct ProjectInfo {
    /// The project's name.
    pub name: String,
    /// `ci.github`: the repository and its deploy branch.
    pub github: Option<(Option<String>, String)>,
    /// The environments in the same account and region as the chosen one whose deploys a
    /// person reviews (their CI jobs run in a GitHub environment of that name).
    pub reviewed_envs: Vec<String>,
    /// The tier of the chosen environment.
    pub tier: Tier,
}

impl Resolved {
    /// Nothing from a project file.
    pub(crate) fn none() -> Resolved {
        Resolved {
            selections: Vec::new(),
            expect: None,
            profile: None,
            region: None,
            allow_data_loss: false,
            allow_broadening: false,
            project: None,
            org: None,
        }
    }
}

impl SelectionArgs {
    /// Flags first, then the project file: `--blueprint` selects by flags alone (with
    /// `--env`, into that environment's account and region); without it, the project file's
    /// stacks in its environment, with `--tier` and `--param` overriding it.
    pub(crate) fn resolve(self) -> Result<Resolved> {
        let project = if self.blueprint.is_some()
            && self.project.env.is_none()
            && self.project.file.is_none()
        {
            None
        } else {
            find_project(&self.project)?
        };
        let Some((project, named)) = project else {
            let Some(blueprint) = self.blueprint else {
                let here = std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default();
                return Err(Diagnostic::new(format!(
                    "no `--blueprint` given and no `{}` in `{here}` or any directory above",
                    project::FILE_NAME
                ))
                .hint("run `harden init` to write a project file, pass `-p FILE`, or select by flags: `--blueprint NAME --tier TIER` (`harden blueprints` lists them)")
                .into());
            };
            if self.project.env.is_some() {
                bail!("`--env` names an environment of a project file, and there is none here\nhint: pass `-p FILE`, or leave `--env` out");
            }
            let Some(tier) = self.tier else {
                bail!("`--blueprint {blueprint}` needs `--tier` too (basic, enhanced or enterprise)\nhint: e.g. `--blueprint {blueprint} --tier basic`");
            };
            let mut s = Selection::new(&blueprint, tier, self.name, self.params)?;
            s.waivers = self.waivers;
            let mut r = Resolved::none();
            r.selections.push(s);
            return Ok(r);
        };
        let (env_name, env) = project.environment(self.project.env.as_deref())?;
        let tier = self.tier.unwrap_or_else(|| project.tier_of(env));
        let file = project.path.display().to_string();
        let expect = Expected {
            env: env_name.to_string(),
            account: env.account.value.trim().to_string(),
            region: env.region.value.clone(),
            file: file.clone(),
        };
        let mut resolved = Resolved {
            selections: Vec::new(),
            expect: Some(expect),
            profile: env.profile.as_ref().map(|p| p.value.clone()),
            region: Some(env.region.value.clone()),
            allow_data_loss: env.allow_data_loss,
            allow_broadening: env.allow_broadening,
            project: Some(ProjectInfo {
                name: project.name().to_string(),
                github: project.github().map(|g| {
                    (
                        g.repository.as_ref().map(|r| r.value.clone()),
                        g.branch.clone(),
                    )
                }),
                reviewed_envs: project
                    .file
                    .environments
                    .iter()
                    .filter(|(_, e)| {
                        e.approval == crate::project::Approval::Review
                            && e.account.value.trim() == env.account.value.trim()
                            && e.region.value == env.region.value
                    })
                    .map(|(k, _)| k.value.clone())
                    .collect(),
                tier,
            }),
            org: project.organization(env).expect("checked at load"),
        };
        if let Some(blueprint) = self.blueprint {
            let mut s = Selection::new(&blueprint, tier, self.name, self.params)?;
            s.waivers = self.waivers;
            s.project = project.name().to_string();
            resolved.selections.push(s);
            return org_selections(resolved);
        }
        if self.name.is_some() {
            bail!("`--name` names the stack of `--blueprint`; the project file names its stacks\nhint: pick one of the project's stacks with `--stack NAME`");
        }
        let stacks = project.stacks(env);
        let several = stacks.len() > 1;
        let chosen: Vec<_> = match &self.project.stack {
            Some(n) => {
                let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
                if !names.contains(&n.as_str()) {
                    let mut d = Diagnostic::new(format!("`{file}` has no stack named `{n}`"))
                        .allowed(names.join(", "));
                    if let Some(m) = did_you_mean(n, names.iter().copied()) {
                        d = d.hint(format!("did you mean `--stack {m}`?"));
                    }
                    return Err(d.into());
                }
                stacks.into_iter().filter(|s| &s.name == n).collect()
            }
            None => stacks,
        };
        let chosen = match &resolved.org {
            None => chosen,
            Some(_) => {
                // An organization environment deploys the baseline as StackSets, nothing else.
                let base = crate::deploy::org::ORG_BLUEPRINT;
                if let Some(n) = &self.project.stack {
                    if chosen.iter().any(|s| s.blueprint.name() != base) {
                        bail!("environment `{env_name}` of `{file}` deploys only the `{base}` stack, as StackSets (its `organization:` section); `{n}` is not one\nhint: deploy `{n}` with `--env` naming one of the accounts' environments");
                    }
                }
                chosen
                    .into_iter()
                    .filter(|s| s.blueprint.name() == base)
                    .collect()
            }
        };
        for (k, _) in &self.params {
            if !chosen
                .iter()
                .any(|s| s.blueprint.all_params().iter().any(|p| p.name == k))
            {
                bail!("`--param {k}=...`: no stack selected from `{file}` has a parameter `{k}`\nhint: `harden blueprints NAME` lists each blueprint's parameters");
            }
        }
        for st in chosen {
            let mut params = st.params.clone();
            for (k, v) in &self.params {
                if st.blueprint.all_params().iter().any(|p| p.name == k) {
                    params.retain(|(pk, _)| pk != k);
                    params.push((k.clone(), v.clone()));
                }
            }
            let mut s = Selection::new(st.blueprint.name(), tier, Some(st.name.clone()), params)?;
            s.waivers = st.waivers.clone();
            s.waivers.extend(self.waivers.iter().cloned());
            s.tags = st.tags.clone();
            s.project = project.name().to_string();
            s.origin = Some(Origin {
                project_flag: if named {
                    format!("-p {} ", shell_quote(&file))
                } else {
                    String::new()
                },
                env: env_name.to_string(),
                stack_flag: if several {
                    format!(" --stack {}", shell_quote(&st.name))
                } else {
                    String::new()
                },
            });
            resolved.selections.push(s);
        }
        org_selections(resolved)
    }
}

/// In an environment with `organization:`, the selections as their StackSets render them
/// (the home region set), so `render`, `check` and `report` show what `deploy` sends.
fn org_selections(mut r: Resolved) -> Result<Resolved> {
    if let Some(o) = &r.org {
        for s in &mut r.selections {
            *s = crate::deploy::org::org_selection(s, o).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(r)
}

/// `--blueprint --name [--tier]`: which deployed stacks (`destroy`, `status`). The tier and
/// parameters are read from what is deployed. Without `--blueprint`, the project file's stacks.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TargetArgs {
    /// The blueprint (`harden blueprints` lists them) [default: the project file's stacks].
    #[arg(long, value_name = "NAME")]
    pub blueprint: Option<String>,
    /// Stack name [default: the blueprint's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The tier you expect deployed (optional: the deployed tier is read from the stack's tags;
    /// `destroy` refuses if it differs).
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    pub tier: Option<Tier>,
    #[command(flatten)]
    pub project: ProjectArgs,
}

impl TargetArgs {
    /// The targets, and the environment's account and region when from a project file.
    pub(crate) fn resolve(self) -> Result<(Vec<Target>, Resolved)> {
        let sel = SelectionArgs {
            blueprint: self.blueprint.clone(),
            tier: self.tier.or(self.blueprint.as_ref().map(|_| Tier::Basic)),
            params: Vec::new(),
            name: self.name.clone(),
            waivers: Vec::new(),
            project: self.project,
        };
        let mut r = sel.resolve()?;
        let targets = r
            .selections
            .drain(..)
            .map(|s| {
                let mut t = s.target();
                t.tier = self.tier;
                t
            })
            .collect();
        Ok((targets, r))
    }
}

/// `--profile --region`: where AWS calls go.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AwsArgs {
    /// AWS profile from the shared config files [default: the standard credential chain].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region [default: the project environment's, else the profile's or AWS_REGION].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

impl AwsArgs {
    /// The flags, then the environment's variables, then the project environment's profile
    /// and region; and the account and region every call is checked against.
    pub(crate) fn resolve(self, r: &Resolved) -> AwsSettings {
        let AwsArgs { profile, region } = self;
        let profile_set = std::env::var_os("AWS_PROFILE").is_some_and(|v| !v.is_empty());
        let profile = profile.or_else(|| if profile_set { None } else { r.profile.clone() });
        let region = region.or_else(|| r.region.clone());
        let mut a = AwsSettings::new(profile, region);
        a.expect = r.expect.clone();
        a
    }
}

/// Parses `KEY=VALUE`.
pub(crate) fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Parses a tier name.
pub(crate) fn parse_tier(s: &str) -> Result<Tier, String> {
    s.parse()
        .map_err(|_| "the tiers are `basic`, `enhanced` and `enterprise`".to_string())
}
