//! The project file, `harden.yaml`: what a team deploys (stacks: a blueprint with parameters
//! and tags), where (environments: an account, a region, a tier, how deploys are approved),
//! and how CI reaches it. Read strictly: an unknown key, a wrong type, a blueprint, parameter
//! or environment that does not exist, or a value its rule refuses is a [`Diagnostic`] that
//! names `harden.yaml:LINE:COL`, shows the line with a caret and says what is allowed.
//!
//! YAML is read by `serde-saphyr` (maintained, panic-free, serde-based, with the location of
//! every error and [`Spanned`] values), so the same types parse the file and, through
//! `schemars`, give its JSON Schema (`harden schema`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use harden_blueprints::params::{ParamError, Params};
use harden_blueprints::{Blueprint, Tier, Waiver};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::deploy::org::{self, CallAsArg, OrgField, OrgOptions, Targets};
use crate::diag::{did_you_mean, Diagnostic, Place};

/// The project file's name, looked for from the current directory upward.
pub const FILE_NAME: &str = "harden.yaml";

/// The project name harden uses without a project file (it names the bootstrap stack).
pub const DEFAULT_PROJECT: &str = "default";

/// A scalar a parameter or tag takes (what the schema allows; harden reads it as text).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

/// The tiers, for the schema.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum TierName {
    Basic,
    Enhanced,
    Enterprise,
}

/// harden's project file: the stacks a team deploys, the environments it deploys them to,
/// and how CI reaches them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "harden project file (harden.yaml)")]
pub struct ProjectFile {
    /// The project's name: lowercase letters, digits and hyphens, starting with a letter, at
    /// most 30. It names the bootstrap stack (`harden-bootstrap-NAME`) and the CI roles.
    #[schemars(with = "String", regex(pattern = r"^[a-z][a-z0-9-]{0,29}$"))]
    pub project: Spanned<String>,
    /// The stacks, deployed in this order (an account baseline a workload needs is deployed
    /// before it without being listed).
    #[schemars(length(min = 1))]
    pub stacks: Vec<StackEntry>,
    /// Where the stacks are deployed: an environment per account and region.
    #[schemars(with = "IndexMap<String, Environment>")]
    pub environments: IndexMap<Spanned<String>, Environment>,
    /// How CI reaches the environments.
    #[serde(default)]
    pub ci: Option<Ci>,
}

/// One blueprint the project deploys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackEntry {
    /// The blueprint (`harden blueprints` lists them).
    #[schemars(with = "String")]
    pub blueprint: Spanned<String>,
    /// The stack name [default: the blueprint's name, or its fixed stack name].
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// The blueprint's parameters (`harden blueprints NAME` lists them with their rules).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub params: IndexMap<Spanned<String>, Spanned<String>>,
    /// Tags added to the stack (keys `harden:` and `aws:` are reserved).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub tags: IndexMap<Spanned<String>, Spanned<String>>,
    /// Controls of the tier switched off on purpose, with the reason written into the template.
    #[serde(default)]
    pub waive: Vec<WaiveEntry>,
}

/// A control switched off on purpose.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiveEntry {
    /// The control's id (`harden controls` lists them).
    #[schemars(with = "String")]
    pub control: Spanned<String>,
    /// Why, in your words: written into the template and shown in every plan.
    #[schemars(with = "String", length(min = 1))]
    pub reason: Spanned<String>,
}

/// How deploys to an environment are approved in CI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// CI deploys on merge to the main branch.
    #[default]
    Auto,
    /// A person approves each deploy first (in GitHub Actions, the deploy job runs in a GitHub
    /// environment of this environment's name with required reviewers).
    Review,
}

/// An account and region the stacks are deployed to, at a tier.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The AWS account id (12 digits): harden refuses to change anything when the credentials
    /// are of another account.
    #[schemars(with = "String", regex(pattern = r"^[0-9]{12}$"))]
    pub account: Spanned<String>,
    /// The AWS region (`us-east-1`): harden refuses to change anything in another.
    #[schemars(with = "String")]
    pub region: Spanned<String>,
    /// The security tier: basic, enhanced or enterprise.
    #[schemars(with = "TierName")]
    pub tier: Spanned<String>,
    /// How deploys are approved in CI [default: auto].
    #[serde(default)]
    pub approval: Approval,
    /// `deploy` approves replacing or deleting resources that hold data (`--allow-data-loss`).
    #[serde(default)]
    pub allow_data_loss: bool,
    /// `deploy` approves access-broadening changes at enterprise (`--allow-broadening`).
    #[serde(default)]
    pub allow_broadening: bool,
    /// The AWS profile used from a workstation (`--profile` and `AWS_PROFILE` override it).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub profile: Option<Spanned<String>>,
    /// The role CI assumes to deploy [default: the bootstrap's deploy role,
    /// `arn:aws:iam::ACCOUNT:role/harden-PROJECT-ci-REGION`].
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub deploy_role: Option<Spanned<String>>,
    /// Parameter overrides for this environment, by stack name.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, IndexMap<String, Scalar>>")]
    pub params: IndexMap<Spanned<String>, IndexMap<Spanned<String>, Spanned<String>>>,
    /// The account baseline across an AWS Organization: with this, the environment's account
    /// administers StackSets (the management account, or a delegated administrator with
    /// `call_as: delegated-admin`) from its region, and `plan`, `deploy`, `status` and
    /// `destroy` deploy the project's `account-baseline` stack as StackSets to the accounts or
    /// OUs and regions named here (as `--org` does). The project's other stacks are not
    /// deployed to this environment.
    #[serde(default)]
    #[schemars(with = "Option<Organization>")]
    pub organization: Option<Spanned<Organization>>,
}

/// Where and how the account baseline goes out as StackSets (the flags of `deploy --org`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The regions, in deployment order; the first is the home region of the account-wide
    /// parts unless the stack sets `home_region`.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub regions: Vec<Spanned<String>>,
    /// Target accounts (self-managed permissions); give this or `ous`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub accounts: Vec<Spanned<String>>,
    /// Target organizational units (service-managed permissions: accounts that join them get
    /// the baseline, accounts that leave have its stacks deleted); give this or `accounts`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ous: Vec<Spanned<String>>,
    /// Call as the management account (`self`) or a delegated administrator [default: self].
    #[serde(default)]
    #[schemars(with = "Option<CallAsArg>")]
    pub call_as: Option<Spanned<CallAsArg>>,
    /// With `accounts`: the administration role [default: the account's
    /// AWSCloudFormationStackSetAdministrationRole].
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub administration_role_arn: Option<Spanned<String>>,
    /// With `accounts`: the role assumed in each target account [default:
    /// AWSCloudFormationStackSetExecutionRole].
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub execution_role_name: Option<Spanned<String>>,
    /// Instances per region that may fail before an operation stops [default: 0].
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub failure_tolerance: Option<Spanned<u32>>,
    /// Accounts deployed at once per region, at most the tolerance plus one [default: 1].
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_concurrency: Option<Spanned<u32>>,
    /// Deploy to all regions at once instead of in the `regions` order [default: false].
    #[serde(default)]
    pub parallel_regions: bool,
    /// Keep deploying at `max_concurrency` as instances fail, up to the tolerance (StackSets'
    /// SOFT_FAILURE_TOLERANCE); without it failures lower concurrency, and `max_concurrency`
    /// is at most the tolerance plus one [default: false].
    #[serde(default)]
    pub soft_failure_tolerance: bool,
    /// Remove the instances of accounts or OUs and regions no longer listed (their stacks are
    /// deleted; at enhanced and above that needs `allow_data_loss`) [default: false: they are
    /// listed in the plan and kept; `--prune` removes them once].
    #[serde(default)]
    pub prune: bool,
}

/// CI settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ci {
    /// GitHub Actions.
    #[serde(default)]
    pub github: Option<GithubCi>,
}

/// GitHub Actions: the repository whose workflows may assume the CI roles.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubCi {
    /// `OWNER/REPO`: only its main branch, its pull requests and its environments may assume
    /// the roles the bootstrap creates.
    #[serde(default)]
    #[schemars(
        with = "Option<String>",
        regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    )]
    pub repository: Option<Spanned<String>>,
    /// The branch deploys run from [default: main].
    #[serde(default = "main_branch")]
    pub branch: String,
}

fn main_branch() -> String {
    "main".into()
}

/// The JSON Schema of `harden.yaml`, from the types that parse it.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ProjectFile);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    s.push('\n');
    s
}

/// A project file, read and checked: every blueprint, stack name, parameter, tag, waiver and
/// environment in it is valid.
#[derive(Debug)]
pub struct Project {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's text (for diagnostics that point into it).
    pub source: String,
    /// What it says.
    pub file: ProjectFile,
}

/// What one stack entry resolves to in one environment.
#[derive(Clone)]
pub struct ResolvedStack {
    /// The blueprint.
    pub blueprint: &'static dyn Blueprint,
    /// The stack name.
    pub name: String,
    /// Parameters: the entry's, then the environment's overrides.
    pub params: Vec<(String, String)>,
    /// Extra stack tags.
    pub tags: Vec<(String, String)>,
    /// Waivers.
    pub waivers: Vec<Waiver>,
}

impl Project {
    /// Reads and checks the project file at `path`.
    pub fn load(path: &Path) -> Result<Project> {
        let shown = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::new(format!("cannot read the project file `{shown}`: {e}")).hint(
                "pass `-p FILE` with a readable harden.yaml, or run `harden init` to write one",
            )
        })?;
        Project::parse(path, source)
    }

    /// Parses and checks a project file's text; `path` is for messages.
    pub fn parse(path: &Path, source: String) -> Result<Project> {
        let shown = path.display().to_string();
        if source.trim().is_empty() {
            return Err(
                Diagnostic::new(format!("the project file `{shown}` is empty"))
                    .hint("run `harden init` to write one, or see `harden schema` for its keys")
                    .into(),
            );
        }
        let file: ProjectFile = match serde_saphyr::from_str(&source) {
            Ok(f) => f,
            Err(e) => return Err(yaml_error(&shown, &source, &e).into()),
        };
        let p = Project {
            path: path.to_path_buf(),
            source,
            file,
        };
        p.check()?;
        Ok(p)
    }

    /// The project's name.
    pub fn name(&self) -> &str {
        &self.file.project.value
    }

    fn place(&self, loc: &Location) -> Place {
        Place::in_source(
            &self.path.display().to_string(),
            &self.source,
            loc.line() as usize,
            loc.column() as usize,
            loc.span().len() as usize,
        )
    }

    fn at<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message).at(self.place(&s.referenced))
    }

    /// Checks everything the types cannot: names, blueprints, parameters, environments.
    fn check(&self) -> Result<(), Diagnostic> {
        let f = &self.file;
        if !is_name(&f.project.value) {
            return Err(self
                .at(
                    &f.project,
                    format!("invalid project name `{}`", f.project.value),
                )
                .allowed(
                    "lowercase letters, digits and hyphens, starting with a letter, at most 30",
                )
                .hint("it names the bootstrap stack and the CI roles: e.g. `project: payments`"));
        }
        if f.stacks.is_empty() {
            return Err(self
                .at(&f.project, "the project has no stacks")
                .hint("add one under `stacks:`, e.g. `- blueprint: sagemaker-vpc` (`harden blueprints` lists them)"));
        }
        let mut names: Vec<(String, &Spanned<String>)> = Vec::new();
        for entry in &f.stacks {
            let b = self.blueprint(&entry.blueprint)?;
            let name = self.stack_name(b, entry)?;
            let at = entry.name.as_ref().unwrap_or(&entry.blueprint);
            if names.iter().any(|(n, _)| *n == name) {
                return Err(self
                    .at(at, format!("two stacks are named `{name}`"))
                    .hint("give one of them another `name:`"));
            }
            names.push((name, at));
            for (k, v) in &entry.tags {
                check_tag(self, k, v)?;
            }
            for w in &entry.waive {
                self.waiver(w)?;
            }
            self.params(b, &entry.params, &[])?;
        }
        if f.environments.is_empty() {
            return Err(self
                .at(&f.project, "the project has no environments")
                .hint("add one under `environments:`, e.g. `dev: {account: \"123456789012\", region: us-east-1, tier: basic}`"));
        }
        for (env_name, env) in &f.environments {
            if !is_name(&env_name.value) {
                return Err(self
                    .at(
                        env_name,
                        format!("invalid environment name `{}`", env_name.value),
                    )
                    .allowed(
                        "lowercase letters, digits and hyphens, starting with a letter, at most 30",
                    ));
            }
            let account = env.account.value.trim();
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(self
                    .at(
                        &env.account,
                        format!("`{account}` is not an AWS account id"),
                    )
                    .allowed(
                        "12 digits, quoted if it starts with 0: `account: \"012345678901\"`",
                    ));
            }
            if !crate::deploy::aws::is_region_name(&env.region.value) {
                return Err(self
                    .at(
                        &env.region,
                        format!("`{}` is not an AWS region name", env.region.value),
                    )
                    .allowed("a region like `us-east-1` (`aws ec2 describe-regions` lists them)"));
            }
            self.tier(env)?;
            self.organization(env)?;
            if let Some(r) = &env.deploy_role {
                if !r.value.starts_with("arn:") || !r.value.contains(":role/") {
                    return Err(self
                        .at(r, format!("`{}` is not an IAM role ARN", r.value))
                        .allowed("`arn:aws:iam::ACCOUNT:role/NAME`"));
                }
            }
            for (stack, overrides) in &env.params {
                let Some(i) = names.iter().position(|(n, _)| *n == stack.value) else {
                    let known: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
                    let mut d = self
                        .at(stack, format!("environment `{}` sets parameters of `{}`, which is not a stack of the project", env_name.value, stack.value))
                        .allowed(known.join(", "));
                    if let Some(m) = did_you_mean(&stack.value, known.iter().copied()) {
                        d = d.hint(format!("did you mean `{m}`?"));
                    }
                    return Err(d);
                };
                let entry = &f.stacks[i];
                let b = self.blueprint(&entry.blueprint)?;
                self.params(b, &entry.params, &[overrides])?;
            }
        }
        if let Some(Ci { github: Some(g) }) = &f.ci {
            if let Some(r) = &g.repository {
                let ok = crate::scaffold::is_github_repository(&r.value);
                if !ok {
                    return Err(self
                        .at(r, format!("`{}` is not a GitHub repository", r.value))
                        .allowed("`OWNER/REPO`"));
                }
            }
        }
        Ok(())
    }

    fn blueprint(&self, b: &Spanned<String>) -> Result<&'static dyn Blueprint, Diagnostic> {
        harden_blueprints::find(&b.value).ok_or_else(|| {
            let names: Vec<&str> = harden_blueprints::all().iter().map(|b| b.name()).collect();
            let mut d = self
                .at(b, format!("unknown blueprint `{}`", b.value))
                .allowed(names.join(", "));
            d = match did_you_mean(&b.value, names.iter().copied()) {
                Some(m) => d.hint(format!("did you mean `{m}`?")),
                None => d.hint("`harden blueprints` describes them"),
            };
            d
        })
    }

    fn stack_name(&self, b: &'static dyn Blueprint, e: &StackEntry) -> Result<String, Diagnostic> {
        let Some(n) = &e.name else {
            return Ok(b.default_stack_name().to_string());
        };
        crate::settings::check_name(b, &n.value).map_err(|m| {
            let (head, hint) = split_hint(&m.to_string());
            let mut d = self.at(n, head.replace("`--name`", "`name:`"));
            if let Some(h) = hint {
                d = d.hint(h.replace("`--name`", "`name:`"));
            }
            d
        })?;
        Ok(n.value.clone())
    }

    fn tier(&self, env: &Environment) -> Result<Tier, Diagnostic> {
        env.tier.value.parse().map_err(|_| {
            let names: Vec<&str> = Tier::ALL.iter().map(|t| t.as_str()).collect();
            let mut d = self
                .at(&env.tier, format!("unknown tier `{}`", env.tier.value))
                .allowed(names.join(", "));
            if let Some(m) = did_you_mean(&env.tier.value, names.iter().copied()) {
                d = d.hint(format!("did you mean `{m}`?"));
            }
            d
        })
    }

    fn waiver(&self, w: &WaiveEntry) -> Result<Waiver, Diagnostic> {
        Waiver::parse(&format!("{}={}", w.control.value, w.reason.value)).map_err(|m| {
            let (head, hint) = split_hint(&m);
            let on_reason = w.reason.value.trim().is_empty();
            let mut d = self.at(if on_reason { &w.reason } else { &w.control }, head);
            if let Some(h) = hint {
                d = d.hint(h);
            } else if harden_blueprints::controls::find(&w.control.value).is_none() {
                let ids: Vec<&str> = harden_blueprints::controls::ALL
                    .iter()
                    .map(|c| c.id)
                    .collect();
                if let Some(m) = did_you_mean(&w.control.value, ids.iter().copied()) {
                    d = d.hint(format!("did you mean `{m}`?"));
                }
            }
            d
        })
    }

    /// Checks a stack's parameters (its own, then overrides), pointing at the key or value
    /// the blueprint refuses.
    fn params(
        &self,
        b: &'static dyn Blueprint,
        own: &IndexMap<Spanned<String>, Spanned<String>>,
        overrides: &[&IndexMap<Spanned<String>, Spanned<String>>],
    ) -> Result<(), Diagnostic> {
        let mut merged: IndexMap<&str, (&Spanned<String>, &Spanned<String>)> = IndexMap::new();
        for map in std::iter::once(own).chain(overrides.iter().copied()) {
            for (k, v) in map {
                merged.insert(k.value.as_str(), (k, v));
            }
        }
        let given: Vec<(String, String)> = merged
            .iter()
            .map(|(k, (_, v))| (k.to_string(), v.value.clone()))
            .collect();
        let err = match Params::resolve(b.name(), &b.all_params(), &given) {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let (head, hint) = split_hint(&err.to_string());
        let key = |n: &str| merged.get(n).map(|(k, _)| *k);
        let value = |n: &str| merged.get(n).map(|(_, v)| *v);
        let spot = match &err {
            ParamError::Unknown { name, .. } => key(name),
            ParamError::Invalid { name, .. } => value(name),
            ParamError::Repeated(name) => key(name),
            ParamError::Conflict(a, b2, _) => key(b2).or(key(a)),
            ParamError::Missing(a, _) => key(a),
            _ => None,
        };
        let mut d = Diagnostic::new(head);
        if let Some(s) = spot {
            d = d.at(self.place(&s.referenced));
        }
        if let ParamError::Unknown { name, allowed, .. } = &err {
            d = d.allowed(allowed.join(", "));
            if let Some(m) = did_you_mean(name, allowed.iter().copied()) {
                return Err(d.hint(format!("did you mean `{m}`?")));
            }
            return Err(d.hint(format!(
                "`harden blueprints {}` lists them with their rules",
                b.name()
            )));
        }
        if let Some(h) = hint {
            d = d.hint(
                h.replace("`--param ", "`")
                    .replace("=...`", ": ...` under `params:`"),
            );
        }
        Err(d)
    }

    /// The environment `name`, or the only one when none is named.
    pub fn environment(&self, name: Option<&str>) -> Result<(&str, &Environment)> {
        let envs = &self.file.environments;
        let names: Vec<&str> = envs.keys().map(|k| k.value.as_str()).collect();
        match name {
            Some(n) => match envs.iter().find(|(k, _)| k.value == n) {
                Some((k, e)) => Ok((k.value.as_str(), e)),
                None => {
                    let mut d = Diagnostic::new(format!(
                        "environment `{n}` is not defined in `{}`",
                        self.path.display()
                    ))
                    .allowed(names.join(", "));
                    d = match did_you_mean(n, names.iter().copied()) {
                        Some(m) => d.hint(format!("did you mean `--env {m}`?")),
                        None => d.hint(format!(
                            "add it under `environments:` in `{}`",
                            self.path.display()
                        )),
                    };
                    Err(d.into())
                }
            },
            None if envs.len() == 1 => {
                let (k, e) = envs.first().expect("one environment");
                Ok((k.value.as_str(), e))
            }
            None => Err(Diagnostic::new(format!(
                "`{}` defines {} environments: say which with `--env`",
                self.path.display(),
                envs.len()
            ))
            .allowed(names.join(", "))
            .hint(format!("e.g. `--env {}`", names[0]))
            .into()),
        }
    }

    /// The tier of an environment (checked at load).
    pub fn tier_of(&self, env: &Environment) -> Tier {
        self.tier(env).expect("checked at load")
    }

    /// The stacks of the project in an environment, in order.
    pub fn stacks(&self, env: &Environment) -> Vec<ResolvedStack> {
        self.file
            .stacks
            .iter()
            .map(|e| {
                let blueprint =
                    harden_blueprints::find(&e.blueprint.value).expect("checked at load");
                let name = self.stack_name(blueprint, e).expect("checked at load");
                let mut params: IndexMap<String, String> = e
                    .params
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect();
                if let Some((_, o)) = env.params.iter().find(|(k, _)| k.value == name) {
                    for (k, v) in o {
                        params.insert(k.value.clone(), v.value.clone());
                    }
                }
                ResolvedStack {
                    blueprint,
                    name,
                    params: params.into_iter().collect(),
                    tags: e
                        .tags
                        .iter()
                        .map(|(k, v)| (k.value.clone(), v.value.clone()))
                        .collect(),
                    waivers: e
                        .waive
                        .iter()
                        .map(|w| self.waiver(w).expect("checked at load"))
                        .collect(),
                }
            })
            .collect()
    }

    /// An environment's `organization:` section as the options of `--org`, each value checked
    /// where it is written (at load, so a wrong id fails before any call). The checks are
    /// `--org`'s own ([`OrgOptions::check`]); here they point at the key, named as a key.
    pub fn organization(&self, env: &Environment) -> Result<Option<OrgOptions>, Diagnostic> {
        let Some(org) = &env.organization else {
            return Ok(None);
        };
        let o = &org.value;
        // What only the file's shape can get wrong: no regions, both or no kinds of target,
        // numbers the options cannot hold.
        if o.regions.is_empty() {
            return Err(self
                .at(org, "`organization:` lists no `regions:`")
                .hint("e.g. `regions: [us-east-1, eu-west-1]` (the first is the home region of the account-wide parts)"));
        }
        let (targets, target_spans) = match (o.accounts.is_empty(), o.ous.is_empty()) {
            (false, true) => (Targets::Accounts(values(&o.accounts)), &o.accounts),
            (true, false) => (Targets::Ous(values(&o.ous)), &o.ous),
            (false, false) => {
                return Err(self
                    .at(&o.ous[0], "`organization:` lists both `accounts:` and `ous:`")
                    .hint("keep one: `accounts:` deploys to those accounts (self-managed permissions), `ous:` to every account of those OUs (service-managed)"));
            }
            (true, true) => {
                return Err(self
                    .at(org, "`organization:` lists no `accounts:` and no `ous:`")
                    .hint("add `accounts: [\"123456789012\"]` (self-managed permissions) or `ous: [ou-ab12-cd34ef56]` (service-managed, every account of the OUs)"));
            }
        };
        let number = |n: &Option<Spanned<u32>>, default: i32| -> Result<i32, Diagnostic> {
            match n {
                None => Ok(default),
                Some(n) => i32::try_from(n.value)
                    .map_err(|_| self.at(n, format!("`{}` is too large", n.value))),
            }
        };
        let options = OrgOptions {
            regions: values(&o.regions),
            targets,
            call_as: o.call_as.as_ref().map(|c| c.value).unwrap_or_default(),
            administration_role_arn: o.administration_role_arn.as_ref().map(|a| a.value.clone()),
            execution_role_name: o
                .execution_role_name
                .as_ref()
                .map_or(org::DEFAULT_EXECUTION_ROLE.to_string(), |n| n.value.clone()),
            failure_tolerance: number(&o.failure_tolerance, 0)?,
            max_concurrency: number(&o.max_concurrency, 1)?,
            parallel_regions: o.parallel_regions,
            soft_failure_tolerance: o.soft_failure_tolerance,
            prune: o.prune,
        };
        if let Err(e) = options.check() {
            let loc = match e.field {
                OrgField::Region(i) => Some(o.regions[i].referenced),
                OrgField::Target(i) => Some(target_spans[i].referenced),
                OrgField::AdministrationRoleArn => {
                    o.administration_role_arn.as_ref().map(|a| a.referenced)
                }
                OrgField::ExecutionRoleName => o.execution_role_name.as_ref().map(|n| n.referenced),
                OrgField::CallAs => o.call_as.as_ref().map(|c| c.referenced),
                OrgField::FailureTolerance => o.failure_tolerance.as_ref().map(|n| n.referenced),
                OrgField::MaxConcurrency => o.max_concurrency.as_ref().map(|n| n.referenced),
                OrgField::Regions | OrgField::Targets => None,
            };
            return Err(keyed(self, loc.unwrap_or(org.referenced), &e.message));
        }
        if !self
            .file
            .stacks
            .iter()
            .any(|s| s.blueprint.value == org::ORG_BLUEPRINT)
        {
            return Err(self
                .at(org, format!("`organization:` deploys the project's `{}` stack as StackSets, and the project has none", org::ORG_BLUEPRINT))
                .hint(format!("add `- blueprint: {}` under `stacks:` (its `params:` are the StackSets' parameters)", org::ORG_BLUEPRINT)));
        }
        Ok(Some(options))
    }

    /// The GitHub repository CI runs from, if the project says.
    pub fn github(&self) -> Option<&GithubCi> {
        self.file.ci.as_ref().and_then(|c| c.github.as_ref())
    }
}

/// Finds the project file: `harden.yaml` in `dir` or the nearest directory above it.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Whether `s` is a project or environment name.
pub fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && s.len() <= 30
        && c.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_tag(p: &Project, k: &Spanned<String>, v: &Spanned<String>) -> Result<(), Diagnostic> {
    let key = k.value.as_str();
    if key.starts_with("harden:") || key.to_ascii_lowercase().starts_with("aws:") {
        return Err(p
            .at(k, format!("tag key `{key}` is reserved"))
            .hint("`harden:` tags record what harden deployed and `aws:` tags are AWS's: choose another key"));
    }
    if key.is_empty() || key.chars().count() > 128 || v.value.chars().count() > 256 {
        return Err(p
            .at(
                k,
                format!("tag `{key}` is not a valid CloudFormation stack tag"),
            )
            .allowed("a key of 1 to 128 characters and a value of at most 256"));
    }
    Ok(())
}

/// The values of a list of the file.
fn values(v: &[Spanned<String>]) -> Vec<String> {
    v.iter().map(|x| x.value.clone()).collect()
}

/// A message of the `--org` checks pointed at `loc`, with the flags named as keys: a leading
/// `` `--flag`: `` is dropped (the place shows the key), `` `--max-concurrency 2` `` reads
/// `` `max_concurrency: 2` ``.
fn keyed(p: &Project, loc: Location, msg: &str) -> Diagnostic {
    let (head, hint) = split_hint(msg);
    let head = match head.split_once("`: ") {
        Some((flag, rest)) if flag.starts_with("`--") && !flag.contains(' ') => rest.to_string(),
        _ => head,
    };
    let d = Diagnostic::new(flags_to_keys(&head)).at(p.place(&loc));
    match hint {
        Some(h) => d.hint(flags_to_keys(&h)),
        None => d,
    }
}

/// `` `--max-concurrency 2` `` as `` `max_concurrency: 2` ``: the `--org` flags as the keys of
/// `organization:`.
fn flags_to_keys(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("`--") {
        out.push_str(&rest[..i + 1]);
        let after = &rest[i + 3..];
        let end = after.find(['`', ' ']).unwrap_or(after.len());
        let key = after[..end].replace('-', "_");
        out.push_str(&key);
        out.push(':');
        // A switch written alone is the key set to true.
        if ["parallel_regions", "soft_failure_tolerance", "prune"].contains(&key.as_str())
            && after[end..].starts_with('`')
        {
            out.push_str(" true");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Splits `message\nhint: fix` into its parts.
fn split_hint(m: &str) -> (String, Option<String>) {
    match m.split_once("\nhint: ") {
        Some((head, hint)) => (head.to_string(), Some(hint.to_string())),
        None => (m.to_string(), None),
    }
}

/// A YAML or type error from the reader, as a diagnostic: the place, and for an unknown key or
/// value, what is allowed and the closest one.
fn yaml_error(file: &str, source: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let text = e.without_snippet().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let message = match text.split_once(": ") {
        Some((loc, rest)) if loc.starts_with("line ") => rest.to_string(),
        _ => text.to_string(),
    };
    let message = message.lines().next().unwrap_or_default();
    // The reader repeats the place the snippet shows; and says "sequence" and "mapping"
    // where a person writing the file says list and map.
    let message = match message.rfind(" at line ") {
        Some(i) if message[i + 9..].starts_with(|c: char| c.is_ascii_digit()) => &message[..i],
        _ => message,
    };
    let message = message
        .replace("expected sequence start", "expected a list")
        .replace("expected mapping start", "expected a map")
        .replace("sequence", "list")
        .replace("mapping", "map")
        .replace("invalid u32", "expected a whole number, 0 or more");
    let mut d = Diagnostic::new(message.clone());
    if let Some(loc) = e.location() {
        d = d.at(Place::in_source(
            file,
            source,
            loc.line() as usize,
            loc.column() as usize,
            loc.span().len() as usize,
        ));
    }
    for (what, kind) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(rest) = message.strip_prefix(what) {
            let (word, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let allowed: Vec<String> = tail
                .trim_start_matches(", ")
                .trim_start_matches("expected ")
                .trim_start_matches("one of ")
                .split(", ")
                .flat_map(|s| s.split(" or "))
                .map(|s| s.trim().trim_matches('`').to_string())
                .filter(|s| !s.is_empty())
                .collect();
            d.message = format!("unknown {kind} `{word}`");
            if !allowed.is_empty() {
                d = d.allowed(allowed.join(", "));
            }
            d = match did_you_mean(word, allowed.iter().map(String::as_str)) {
                Some(m) => d.hint(format!("did you mean `{m}`?")),
                None => d.hint("`harden schema` prints every key the project file takes"),
            };
            return d;
        }
    }
    if let Some(rest) = message.strip_prefix("duplicate map key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        d.message = format!("key `{key}` is given twice in the same map");
        return d.hint("keep one of them");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        d.message = format!("missing key {rest}");
        return d.hint(
            "`harden schema` prints every key the project file takes, and which are required",
        );
    }
    d.hint("`harden schema` prints the project file's JSON Schema")
}
