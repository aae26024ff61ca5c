//! `harden init`: scaffolds a project a CI pipeline can run as is. What the user gave (flags,
//! or answers at the prompts) is an [`InitRequest`]; [`resolve`] validates all of it, as the
//! project parser will, before anything is written, and gives a [`Scaffold`]; [`files`]
//! renders the files from the tera templates in `templates/`; [`write_files`] writes them,
//! never over an existing file unless told.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use harden_blueprints::{Blueprint, StackSpec, Tier};

mod files;
pub mod prompt;
mod validate;

pub use files::{files, File};
pub use validate::{github_repository_from_remote, is_github_repository, sanitize_name};

/// The blueprint every account-level service lives in.
const ACCOUNT_BASELINE: &str = "account-baseline";

/// Which CI system the project gets a workflow for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiProvider {
    /// GitHub Actions: `.github/workflows/harden.yml`.
    Github,
    /// No CI workflow.
    None,
}

/// Whether a deploy to an environment goes ahead on merge or waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// CI deploys on merge with `--yes`.
    Auto,
    /// A person approves first (a GitHub environment with required reviewers).
    Review,
}

impl Approval {
    /// `auto` / `review`, as in harden.yaml.
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Auto => "auto",
            Approval::Review => "review",
        }
    }

    /// The default for an environment of this name: `review` for `prod` and `production`.
    pub fn for_env(name: &str) -> Approval {
        if matches!(name, "prod" | "production") {
            Approval::Review
        } else {
            Approval::Auto
        }
    }
}

/// One environment as given: `NAME=ACCOUNT/REGION[/TIER]` or the prompts' answers, not yet
/// validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRequest {
    /// The environment's name.
    pub name: String,
    /// The AWS account id.
    pub account: String,
    /// The AWS region.
    pub region: String,
    /// Its own tier, when it differs from the project's.
    pub tier: Option<Tier>,
}

/// What the user asked for, before validation: every field may still be missing.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    /// Where the project goes.
    pub dir: PathBuf,
    /// The project name, when given (`--name`); else derived from the directory.
    pub name: Option<String>,
    /// Blueprint names, as given.
    pub blueprints: Vec<String>,
    /// The tier of every environment without its own.
    pub tier: Option<Tier>,
    /// The environments, in deployment order.
    pub envs: Vec<EnvRequest>,
    /// The CI provider, when given.
    pub ci: Option<CiProvider>,
    /// `owner/repo` on GitHub.
    pub github_repository: Option<String>,
    /// The branch CI deploys from [default: main].
    pub github_branch: Option<String>,
    /// Where alerts go, for the blueprints that take `alert_email`.
    pub alert_email: Option<String>,
    /// Other blueprint parameters (`--param KEY=VALUE`), for every blueprint that takes them.
    pub params: Vec<(String, String)>,
    /// Overwrite existing files.
    pub force: bool,
}

/// One environment, validated.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `[a-z][a-z0-9-]{0,29}`.
    pub name: String,
    /// Twelve digits.
    pub account: String,
    /// A region name.
    pub region: String,
    /// Its tier.
    pub tier: Tier,
    /// Whether its deploys wait for a person.
    pub approval: Approval,
}

/// One entry of `stacks:`: a blueprint and the parameters written for it.
#[derive(Clone)]
pub struct StackEntry {
    /// The blueprint.
    pub blueprint: &'static dyn Blueprint,
    /// Its parameters, in the order given.
    pub params: Vec<(String, String)>,
    /// What it deploys in each environment (same order as [`Scaffold::envs`]).
    pub stacks: Vec<Vec<StackSpec>>,
}

/// The GitHub side of CI.
#[derive(Debug, Clone)]
pub struct Github {
    /// `owner/repo`; until it is known, the bootstrap creates no CI roles.
    pub repository: Option<String>,
    /// The branch merges deploy from.
    pub branch: String,
}

/// A validated project, ready to be rendered into files.
#[derive(Clone)]
pub struct Scaffold {
    /// Where the files go.
    pub dir: PathBuf,
    /// The project name.
    pub project: String,
    /// The stacks, in deployment order.
    pub stacks: Vec<StackEntry>,
    /// The environments.
    pub envs: Vec<Environment>,
    /// GitHub Actions, when chosen.
    pub github: Option<Github>,
    /// What the user should know (a blueprint left out of `stacks:`, an approval set).
    pub notes: Vec<String>,
    /// Overwrite existing files.
    pub force: bool,
}

impl Scaffold {
    /// Every tier some environment deploys at, lowest first.
    pub fn tiers(&self) -> Vec<Tier> {
        let mut t: Vec<Tier> = self.envs.iter().map(|e| e.tier).collect();
        t.sort();
        t.dedup();
        t
    }
}

/// A value `harden init` needs and was not given, with the flag that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The flag, as typed (`--blueprint NAME`).
    pub flag: String,
    /// What it is for.
    pub why: String,
}

/// What is still missing from a request (empty: [`resolve`] can run). Only the values a
/// person would be asked for; wrong values are [`resolve`]'s errors.
pub fn missing(req: &InitRequest) -> Vec<Missing> {
    let mut out = Vec::new();
    if req.blueprints.is_empty() {
        out.push(Missing {
            flag: "--blueprint NAME".into(),
            why: "which architecture to deploy (`harden blueprints` lists them)".into(),
        });
    }
    if req.envs.is_empty() {
        out.push(Missing {
            flag: "--env NAME=ACCOUNT/REGION[/TIER]".into(),
            why: "where to deploy".into(),
        });
    }
    if req.tier.is_none() && (req.envs.is_empty() || req.envs.iter().any(|e| e.tier.is_none())) {
        out.push(Missing {
            flag: "--tier TIER".into(),
            why: "the security tier: basic, enhanced or enterprise".into(),
        });
    }
    if req.ci.is_none() && req.github_repository.is_none() {
        out.push(Missing {
            flag: "--ci github|none".into(),
            why: "whether to write a GitHub Actions workflow".into(),
        });
    }
    for (key, example, blueprint, tier) in required_params(req) {
        let flag = if key == "alert_email" {
            "--alert-email ADDRESS".to_string()
        } else {
            format!("--param {key}={example}")
        };
        if !out.iter().any(|m| m.flag == flag) {
            out.push(Missing {
                flag,
                why: format!("blueprint `{blueprint}` needs `{key}` at tier `{tier}`"),
            });
        }
    }
    out
}

/// The parameters a chosen blueprint needs at some environment's tier and the request does
/// not give: `(key, example value, blueprint, tier)`. Unknown blueprints and tiers are left
/// to [`resolve`].
pub fn required_params(req: &InitRequest) -> Vec<(&'static str, &'static str, &'static str, Tier)> {
    let mut out: Vec<(&'static str, &'static str, &'static str, Tier)> = Vec::new();
    let tiers: Vec<Tier> = if req.envs.is_empty() {
        req.tier.into_iter().collect()
    } else {
        req.envs
            .iter()
            .filter_map(|e| e.tier.or(req.tier))
            .collect()
    };
    for name in &req.blueprints {
        let Some(b) = harden_blueprints::find(name) else {
            continue;
        };
        for &tier in &tiers {
            for (key, example) in b.example_params(tier) {
                let given = match key {
                    "alert_email" => req.alert_email.is_some(),
                    _ => req.params.iter().any(|(k, _)| k == key),
                };
                // `alert_topic_arn` is the other alert destination.
                let other_alert =
                    key == "alert_email" && req.params.iter().any(|(k, _)| k == "alert_topic_arn");
                if !given && !other_alert && !out.iter().any(|(k, ..)| *k == key) {
                    out.push((key, example, b.name(), tier));
                }
            }
        }
    }
    out
}

/// The complete command that would have given everything: what was given, and an example for
/// each value missing.
pub fn example_command(req: &InitRequest) -> String {
    let mut cmd = vec!["harden init".to_string()];
    let dir = req.dir.display().to_string();
    if dir != "." && !dir.is_empty() {
        cmd.push(shell_word(&dir));
    }
    if let Some(n) = &req.name {
        cmd.push(format!("--name {}", shell_word(n)));
    }
    if req.blueprints.is_empty() {
        cmd.push("--blueprint sagemaker-vpc".into());
    }
    for b in &req.blueprints {
        cmd.push(format!("--blueprint {}", shell_word(b)));
    }
    let tier = req.tier.unwrap_or(Tier::Enhanced);
    if req.tier.is_some() || req.envs.is_empty() || req.envs.iter().any(|e| e.tier.is_none()) {
        cmd.push(format!("--tier {tier}"));
    }
    if req.envs.is_empty() {
        cmd.push("--env dev=123456789012/us-east-1".into());
    }
    for e in &req.envs {
        let mut v = format!("{}={}/{}", e.name, e.account, e.region);
        if let Some(t) = e.tier {
            v.push_str(&format!("/{t}"));
        }
        cmd.push(format!("--env {}", shell_word(&v)));
    }
    match (req.ci, &req.github_repository) {
        (Some(CiProvider::None), _) => cmd.push("--ci none".into()),
        (_, Some(r)) => {
            cmd.push("--ci github".into());
            cmd.push(format!("--github-repository {}", shell_word(r)));
        }
        (Some(CiProvider::Github) | None, None) => cmd.push("--ci github".into()),
    }
    if let Some(b) = &req.github_branch {
        cmd.push(format!("--github-branch {}", shell_word(b)));
    }
    let required = required_params(req);
    match &req.alert_email {
        Some(e) => cmd.push(format!("--alert-email {}", shell_word(e))),
        None if required.iter().any(|(k, ..)| *k == "alert_email") => {
            cmd.push("--alert-email security@example.com".into())
        }
        None => {}
    }
    for (k, v) in &req.params {
        cmd.push(format!("--param {}", shell_word(&format!("{k}={v}"))));
    }
    for (k, example, ..) in required {
        if k != "alert_email" {
            cmd.push(format!("--param {k}={example}"));
        }
    }
    if req.force {
        cmd.push("--force".into());
    }
    cmd.join(" ")
}

/// A word as a POSIX shell reads it: bare when it is only safe characters, else quoted.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Validates a complete request, as the project parser will read the files, and builds every
/// blueprint at every environment's tier with the parameters that will be written: what
/// `harden render --env E` will do, so a project that `init` writes renders.
pub fn resolve(req: InitRequest) -> Result<Scaffold> {
    let gaps = missing(&req);
    if !gaps.is_empty() {
        let list: Vec<String> = gaps
            .iter()
            .map(|m| format!("`{}` ({})", m.flag, m.why))
            .collect();
        bail!(
            "`harden init` cannot ask (no terminal, or `CI` is set) and was not given {}\nhint: {}",
            list.join(", "),
            example_command(&req)
        );
    }
    let InitRequest {
        dir,
        name,
        blueprints,
        tier,
        envs,
        ci,
        github_repository,
        github_branch,
        alert_email,
        params,
        force,
    } = req;
    let project = match name {
        Some(n) => {
            validate::name("--name", &n)?;
            n
        }
        None => {
            let base = project_dir_name(&dir)?;
            sanitize_name(&base).with_context(|| {
                format!(
                    "the directory name `{base}` gives no project name (it must start with a letter)\nhint: pass `--name NAME` ([a-z][a-z0-9-]{{0,29}})"
                )
            })?
        }
    };
    let mut notes = Vec::new();
    let mut envs_out: Vec<Environment> = Vec::new();
    for e in envs {
        validate::name("--env", &e.name)?;
        if envs_out.iter().any(|o| o.name == e.name) {
            bail!(
                "environment `{}` is given twice in `--env`\nhint: give each environment once",
                e.name
            );
        }
        validate::account(&e.name, &e.account)?;
        validate::region(&e.name, &e.region)?;
        let approval = Approval::for_env(&e.name);
        if approval == Approval::Review {
            notes.push(format!(
                "environment `{}` gets `approval: review`: its deploys wait for a person (in GitHub Actions, the required reviewers of the GitHub environment `{}`)",
                e.name, e.name
            ));
        }
        envs_out.push(Environment {
            tier: e.tier.or(tier).expect("missing() checked the tier"),
            name: e.name,
            account: e.account,
            region: e.region,
            approval,
        });
    }
    let mut chosen: Vec<&'static dyn Blueprint> = Vec::new();
    for b in &blueprints {
        let found = crate::settings::find_blueprint(b)?;
        if !chosen.iter().any(|c| c.name() == found.name()) {
            chosen.push(found);
        }
    }
    // The account baseline comes with a blueprint that deploys it at a tier: listing it too
    // would deploy it twice.
    if chosen.len() > 1 && chosen.iter().any(|b| b.name() == ACCOUNT_BASELINE) {
        let covering: Vec<&str> = chosen
            .iter()
            .filter(|b| b.name() != ACCOUNT_BASELINE)
            .filter(|b| envs_out.iter().all(|e| b.deploys_baseline(e.tier)))
            .map(|b| b.name())
            .collect();
        if let Some(by) = covering.first() {
            chosen.retain(|b| b.name() != ACCOUNT_BASELINE);
            notes.push(format!(
                "`account-baseline` is not listed in `stacks:`: blueprint `{by}` deploys it at every environment's tier"
            ));
        } else if let Some((b, e)) = chosen.iter().find_map(|b| {
            envs_out
                .iter()
                .find(|e| b.name() != ACCOUNT_BASELINE && b.deploys_baseline(e.tier))
                .map(|e| (b, e))
        }) {
            bail!(
                "blueprint `{}` deploys the account baseline at tier `{}` (environment `{}`), so `account-baseline` would be deployed twice there, but not in every environment\nhint: leave `--blueprint account-baseline` out, or give every environment a tier at which `{}` deploys it",
                b.name(),
                e.tier,
                e.name,
                b.name()
            );
        }
    }
    if let Some(email) = &alert_email {
        validate::email(email)?;
    }
    for (k, _) in &params {
        if k == "alert_email" {
            bail!("`--param alert_email=…` is `--alert-email ADDRESS`\nhint: pass `--alert-email` instead");
        }
        if !chosen
            .iter()
            .any(|b| b.all_params().iter().any(|p| p.name == k))
        {
            bail!(
                "`--param {k}=…`: no chosen blueprint ({}) takes a parameter `{k}`\nhint: `harden blueprints NAME` lists each blueprint's parameters",
                chosen.iter().map(|b| format!("`{}`", b.name())).collect::<Vec<_>>().join(", ")
            );
        }
    }
    let mut stacks = Vec::new();
    for b in chosen {
        let takes = |k: &str| b.all_params().iter().any(|p| p.name == k);
        let mut p: Vec<(String, String)> = Vec::new();
        if let Some(email) = &alert_email {
            if takes("alert_email") {
                p.push(("alert_email".into(), email.clone()));
            }
        }
        for (k, v) in &params {
            if takes(k) {
                p.push((k.clone(), v.clone()));
            }
        }
        let mut per_env = Vec::new();
        for e in &envs_out {
            let built = b.build(b.default_stack_name(), e.tier, &p).map_err(|err| {
                anyhow::anyhow!(
                    "blueprint `{}` at tier `{}` (environment `{}`): {err}",
                    b.name(),
                    e.tier,
                    e.name
                )
            })?;
            per_env.push(built);
        }
        stacks.push(StackEntry {
            blueprint: b,
            params: p,
            stacks: per_env,
        });
    }
    let github = match (ci, github_repository) {
        (Some(CiProvider::None), Some(_)) => {
            bail!("`--github-repository` is given with `--ci none`\nhint: use `--ci github`, or leave `--github-repository` out")
        }
        (Some(CiProvider::None), None) => None,
        (_, repository) => {
            if let Some(r) = &repository {
                validate::github_repository(r)?;
            } else {
                notes.push("the CI roles trust one GitHub repository, and none was given (no `--github-repository`, no GitHub `origin` remote): set `ci.github.repository` in harden.yaml before `harden bootstrap`, which creates the CI roles only then".into());
            }
            let branch = github_branch.unwrap_or_else(|| "main".into());
            validate::branch(&branch)?;
            Some(Github { repository, branch })
        }
    };
    Ok(Scaffold {
        dir,
        project,
        stacks,
        envs: envs_out,
        github,
        notes,
        force,
    })
}

/// The directory's own name (of the current directory for `.`).
fn project_dir_name(dir: &Path) -> Result<String> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .context("reading the current directory")?
            .join(dir)
    };
    // `a/b/..` and `.` name a directory by where they lead.
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            c => clean.push(c),
        }
    }
    Ok(clean
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// What [`write_files`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// The files written, as paths under the project directory.
    pub files: Vec<PathBuf>,
}

/// Writes the files under `dir`. Checks every target first: without `force`, an existing
/// one stops it before anything is written.
pub fn write_files(dir: &Path, files: &[File], force: bool) -> Result<Written> {
    // `./harden.yaml` is shown as `harden.yaml`.
    let at = |f: &File| {
        if dir == Path::new(".") || dir.as_os_str().is_empty() {
            f.path.clone()
        } else {
            dir.join(&f.path)
        }
    };
    let existing: Vec<String> = files
        .iter()
        .filter(|f| at(f).symlink_metadata().is_ok())
        .map(|f| format!("`{}`", at(f).display()))
        .collect();
    if !existing.is_empty() && !force {
        bail!(
            "{} already exist{}: nothing was written\nhint: pass `--force` to overwrite {}",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" },
            if existing.len() == 1 { "it" } else { "them" }
        );
    }
    let mut written = Written::default();
    for f in files {
        let path = at(f);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating `{}`", parent.display()))?;
        }
        std::fs::write(&path, &f.contents)
            .with_context(|| format!("writing `{}`", path.display()))?;
        written.files.push(path);
    }
    Ok(written)
}
