//! Settings: what every command resolves its flags (and, later, the project file and the
//! environment) into, in one place. Operations take these structs and never see clap.

use anyhow::{bail, Result};
use harden_blueprints::blueprint::check_stack_name;
use harden_blueprints::params::rules;
use harden_blueprints::params::AnyRule;
use harden_blueprints::{Blueprint, BlueprintError, StackRole, StackSpec, Tier, Waiver};

/// Which stacks to build: a blueprint at a tier, with parameters and a stack name.
#[derive(Clone)]
pub struct Selection {
    /// The blueprint.
    pub blueprint: &'static dyn Blueprint,
    /// The tier.
    pub tier: Tier,
    /// Stack name (the blueprint's name, or its fixed stack name, unless given).
    pub name: String,
    /// Raw `key=value` parameters, validated by the blueprint.
    pub params: Vec<(String, String)>,
    /// Controls of the tier switched off on purpose (`--waive CONTROL=REASON`).
    pub waivers: Vec<Waiver>,
    /// Take over deployed stacks harden did not create (`--adopt`).
    pub adopt: bool,
    /// Whether plans read the deployed stacks' drift (`--drift`).
    pub drift: crate::deploy::drift::DriftMode,
    /// Change sets of updates are drift-aware (`--revert-drift`): they bring resources changed
    /// outside CloudFormation back to the template.
    pub revert_drift: bool,
    /// Extra stack tags (the project file's `tags:`).
    pub tags: Vec<(String, String)>,
    /// `--profile` / `--region` as given, repeated in hints so they are complete commands.
    pub aws_flags: String,
    /// The project: names the bootstrap stack (`harden-bootstrap-PROJECT`) whose artifact
    /// bucket and service role deploys use [default: `default`].
    pub project: String,
    /// Change sets act as the bootstrap's CloudFormation service role when there is one
    /// (`--no-service-role` turns it off: they act as the caller).
    pub service_role: bool,
    /// The project file and environment this selection came from: hints then say `--env E`
    /// instead of repeating every flag.
    pub origin: Option<Origin>,
}

/// Where a selection came from when it came from a project file.
#[derive(Clone, Debug)]
pub struct Origin {
    /// `-p FILE ` when the file was named on the command line (else it is found again).
    pub project_flag: String,
    /// The environment.
    pub env: String,
    /// `--stack NAME` when the project has several stacks.
    pub stack_flag: String,
}

/// Which deployed stacks: a blueprint and a stack name, without a tier or parameters. What
/// `destroy` and `status` act on: they read the tier from what is deployed.
#[derive(Clone)]
pub struct Target {
    /// The blueprint.
    pub blueprint: &'static dyn Blueprint,
    /// Stack name.
    pub name: String,
    /// The tier the user expects to find deployed, if given.
    pub tier: Option<Tier>,
    /// Act on deployed stacks harden did not create (`--adopt`).
    pub adopt: bool,
    /// `--profile` / `--region` as given.
    pub aws_flags: String,
    /// The project, whose bootstrap stack `destroy` leaves in place [default: `default`].
    pub project: String,
}

/// A stack name: what CloudFormation accepts, short enough for derived names.
pub const NAME_RULE: rules::Name = rules::Name { min: 1, max: 48 };

/// The stack name for a blueprint: as given (checked), else its fixed one, else its own name.
fn stack_name(blueprint: &'static dyn Blueprint, name: Option<String>) -> Result<String> {
    let name = name.unwrap_or_else(|| blueprint.default_stack_name().to_string());
    check_name(blueprint, &name)?;
    Ok(name)
}

/// Checks a stack name given for a blueprint: what CloudFormation accepts, and not a name
/// another blueprint's stack has.
pub fn check_name(blueprint: &'static dyn Blueprint, name: &str) -> Result<()> {
    if !NAME_RULE.accepts(name) && blueprint.fixed_stack_name() != Some(name) {
        bail!(
            "invalid stack name `{name}` in `--name`: it must be {}",
            NAME_RULE.words()
        );
    }
    check_stack_name(blueprint.name(), name, blueprint.fixed_stack_name())?;
    Ok(())
}

impl Selection {
    /// Resolves a selection from its parts; `name` defaults to the blueprint's name.
    pub fn new(
        blueprint: &str,
        tier: Tier,
        name: Option<String>,
        params: Vec<(String, String)>,
    ) -> Result<Selection> {
        let blueprint = find_blueprint(blueprint)?;
        let name = stack_name(blueprint, name)?;
        Ok(Selection {
            blueprint,
            tier,
            name,
            params,
            waivers: Vec::new(),
            adopt: false,
            drift: crate::deploy::drift::DriftMode::Auto,
            revert_drift: false,
            tags: Vec::new(),
            aws_flags: String::new(),
            project: crate::deploy::artifacts::DEFAULT_PROJECT.to_string(),
            service_role: true,
            origin: None,
        })
    }

    /// Builds the stacks, in deployment order. A parameter that would switch off a control of
    /// the tier without a waiver is a refusal (exit 5).
    pub fn stacks(&self) -> Result<Vec<StackSpec>> {
        match self
            .blueprint
            .build_waived(&self.name, self.tier, &self.params, &self.waivers)
        {
            Ok(mut s) => {
                for spec in s.iter_mut().filter(|s| s.role == StackRole::Workload) {
                    for (k, v) in &self.tags {
                        spec.tags.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                if self.origin.is_some() {
                    for spec in &mut s {
                        for n in &mut spec.notes {
                            *n = in_project_words(n, &self.name);
                        }
                    }
                }
                Ok(s)
            }
            Err(BlueprintError::Weakens(m)) => Err(crate::exit::Refusal(self.words(&m)).into()),
            Err(e) if self.origin.is_some() => Err(anyhow::anyhow!(self.words(&e.to_string()))),
            Err(e) => Err(e.into()),
        }
    }

    /// A message as this selection's user gives settings: `--param K=V` where they typed
    /// flags, the project file's `params:` where they wrote one.
    fn words(&self, m: &str) -> String {
        match self.origin {
            Some(_) => in_project_words(m, &self.name),
            None => m.to_string(),
        }
    }

    /// The flags that select the same stacks again (for hints like `harden plan ...`),
    /// with `--profile` / `--region` if they were given.
    pub fn flags(&self) -> String {
        if let Some(o) = &self.origin {
            return format!(
                "{}--env {}{}{}",
                o.project_flag, o.env, o.stack_flag, self.aws_flags
            );
        }
        let mut s = format!(
            "--blueprint {} --tier {}{}",
            self.blueprint.name(),
            self.tier,
            name_flag(self.blueprint, &self.name)
        );
        for (k, v) in &self.params {
            s.push_str(&format!(" --param {}", shell_quote(&format!("{k}={v}"))));
        }
        for w in &self.waivers {
            s.push_str(&format!(
                " --waive {}",
                shell_quote(&format!("{}={}", w.control.id, w.reason))
            ));
        }
        if !self.service_role {
            s.push_str(" --no-service-role");
        }
        s.push_str(&self.aws_flags);
        s
    }

    /// The target of this selection's stacks, for `destroy` and `status` hints.
    pub fn target(&self) -> Target {
        Target {
            blueprint: self.blueprint,
            name: self.name.clone(),
            tier: None,
            adopt: false,
            aws_flags: self.aws_flags.clone(),
            project: self.project.clone(),
        }
    }
}

impl Target {
    /// Resolves a target from its parts.
    pub fn new(blueprint: &str, name: Option<String>, tier: Option<Tier>) -> Result<Target> {
        let blueprint = find_blueprint(blueprint)?;
        let name = stack_name(blueprint, name)?;
        Ok(Target {
            blueprint,
            name,
            tier,
            adopt: false,
            aws_flags: String::new(),
            project: crate::deploy::artifacts::DEFAULT_PROJECT.to_string(),
        })
    }

    /// Every stack the blueprint may have deployed under this name, in deployment order,
    /// with the blueprint each must be tagged with.
    pub fn stacks(&self) -> Vec<(String, StackRole, &'static str)> {
        self.blueprint
            .stack_names(&self.name)
            .into_iter()
            .map(|(n, role)| {
                let owner = self.owner(role).name();
                (n, role, owner)
            })
            .collect()
    }

    /// The blueprint that owns the stacks of one role: the account baseline is its own.
    fn owner(&self, role: StackRole) -> &'static dyn Blueprint {
        match role {
            StackRole::AccountBaseline => {
                &harden_blueprints::blueprints::account_baseline::AccountBaseline
            }
            StackRole::Workload => self.blueprint,
        }
    }

    /// The flags that name the stacks of one role, with `--profile` / `--region`.
    pub fn flags_for(&self, role: StackRole) -> String {
        let owner = self.owner(role);
        let name = match role {
            StackRole::AccountBaseline => owner.default_stack_name(),
            StackRole::Workload => &self.name,
        };
        format!(
            "--blueprint {}{}{}",
            owner.name(),
            name_flag(owner, name),
            self.aws_flags
        )
    }
}

/// Rewrites the `--param K=V` of a hint into where a project says it: `K: V` under the
/// stack's `params:` in the project file.
pub fn in_project_words(m: &str, stack: &str) -> String {
    let mut out = String::new();
    let mut rest = m;
    while let Some(i) = rest.find("`--param ") {
        let after = &rest[i + 9..];
        let Some(end) = after.find('`') else { break };
        let kv = &after[..end];
        out.push_str(&rest[..i]);
        match kv.split_once('=') {
            Some((k, v)) => out.push_str(&format!(
                "`{k}: {v}` under `params:` of stack `{stack}` in the project file"
            )),
            None => out.push_str(&rest[i..i + 9 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    for t in harden_blueprints::Tier::ALL {
        out = out.replace(
            &format!("`--tier {t}`"),
            &format!("`tier: {t}` in the environment"),
        );
    }
    out
}

/// ` --name N`, or nothing when `N` is the blueprint's default stack name.
fn name_flag(blueprint: &dyn Blueprint, name: &str) -> String {
    if name == blueprint.default_stack_name() {
        String::new()
    } else {
        format!(" --name {}", shell_quote(name))
    }
}

/// `--blueprint B [--name N]` for one stack of blueprint `B` named `N` (the account baseline's
/// name is fixed, so it takes no `--name`).
pub fn stack_flags(blueprint: &str, stack: &str) -> String {
    match harden_blueprints::find(blueprint) {
        Some(b) => format!("--blueprint {blueprint}{}", name_flag(b, stack)),
        None => format!("--blueprint {blueprint} --name {}", shell_quote(stack)),
    }
}

/// A word as a POSIX shell reads it back: as is when it is safe, else in single quotes.
pub fn shell_quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_project_says_params_where_flags_say_param() {
        assert_eq!(
            super::in_project_words(
                "no alert destination\nhint: pass `--param alert_email=you@example.com`, or `--param alert_topic_arn=ARN`",
                "jobs"
            ),
            "no alert destination\nhint: pass `alert_email: you@example.com` under `params:` of stack `jobs` in the project file, or `alert_topic_arn: ARN` under `params:` of stack `jobs` in the project file"
        );
        assert_eq!(
            super::in_project_words("nothing to say", "x"),
            "nothing to say"
        );
    }

    #[test]
    fn hints_quote_values_the_shell_would_split() {
        assert_eq!(
            super::shell_quote("vpc_cidr=10.0.0.0/16"),
            "vpc_cidr=10.0.0.0/16"
        );
        assert_eq!(super::shell_quote("a=b c"), "'a=b c'");
        assert_eq!(super::shell_quote("a=it's"), "'a=it'\\''s'");
    }
}

/// Where AWS calls go: the standard credential and region chain, narrowed by these.
/// `AWS_ENDPOINT_URL` (read by the SDK) points everything at a local emulator.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// A named profile from the shared config files.
    pub profile: Option<String>,
    /// The region, overriding the profile's and the environment's.
    pub region: Option<String>,
    /// `AWS_ENDPOINT_URL_CLOUDFORMATION` or `AWS_ENDPOINT_URL`, for messages (the SDK reads
    /// them itself).
    pub endpoint: Option<String>,
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`: S3 calls go there (the SDK reads them
    /// itself); harden then addresses buckets by path, as emulators serve them.
    pub s3_endpoint: Option<String>,
    /// `AWS_CONFIG_FILE`, for messages.
    pub config_file: Option<String>,
    /// `AWS_SHARED_CREDENTIALS_FILE`, for messages.
    pub credentials_file: Option<String>,
    /// The account and region of the project environment being acted on: before any other
    /// call, harden checks the credentials are of that account (STS `GetCallerIdentity`) and
    /// the region is that region, and refuses otherwise.
    pub expect: Option<Expected>,
}

/// The account and region an environment of the project file names.
#[derive(Debug, Clone)]
pub struct Expected {
    /// The environment's name.
    pub env: String,
    /// Its account id.
    pub account: String,
    /// Its region.
    pub region: String,
    /// The project file, for messages.
    pub file: String,
}

impl AwsSettings {
    /// The flags, with what the environment says about where calls go.
    pub fn new(profile: Option<String>, region: Option<String>) -> AwsSettings {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        AwsSettings {
            profile,
            region,
            endpoint: env("AWS_ENDPOINT_URL_CLOUDFORMATION").or_else(|| env("AWS_ENDPOINT_URL")),
            s3_endpoint: env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")),
            config_file: env("AWS_CONFIG_FILE"),
            credentials_file: env("AWS_SHARED_CREDENTIALS_FILE"),
            expect: None,
        }
    }

    /// `--profile` / `--region` as given, for complete commands in hints.
    pub fn flags(&self) -> String {
        let mut s = String::new();
        if let Some(p) = &self.profile {
            s.push_str(&format!(" --profile {}", shell_quote(p)));
        }
        if let Some(r) = &self.region {
            s.push_str(&format!(" --region {}", shell_quote(r)));
        }
        s
    }
}

/// Finds a blueprint or says which exist.
pub fn find_blueprint(name: &str) -> Result<&'static dyn Blueprint> {
    harden_blueprints::find(name).ok_or_else(|| {
        let names: Vec<String> = harden_blueprints::all()
            .iter()
            .map(|b| format!("`{}`", b.name()))
            .collect();
        anyhow::anyhow!(
            "unknown blueprint `{name}`\nhint: the blueprints are {} (`harden blueprints` describes them)",
            names.join(", ")
        )
    })
}
