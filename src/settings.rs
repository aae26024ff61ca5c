//! Settings: what every command resolves its flags (and, later, the project file and the
//! environment) into, in one place. Operations take these structs and never see clap.

use anyhow::{bail, Result};
use harden_blueprints::params::Kind;
use harden_blueprints::{Blueprint, StackSpec, Tier};

/// Which stacks: a blueprint at a tier, with parameters and a stack name prefix.
#[derive(Clone)]
pub struct Selection {
    /// The blueprint.
    pub blueprint: &'static dyn Blueprint,
    /// The tier.
    pub tier: Tier,
    /// Stack name prefix (the blueprint's name unless given).
    pub name: String,
    /// Raw `key=value` parameters, validated by the blueprint.
    pub params: Vec<(String, String)>,
}

/// A stack name prefix: what CloudFormation accepts, short enough for derived names.
pub const NAME_RULE: Kind = Kind::Name { min: 1, max: 48 };

impl Selection {
    /// Resolves a selection from its parts; `name` defaults to the blueprint's name.
    pub fn new(
        blueprint: &str,
        tier: Tier,
        name: Option<String>,
        params: Vec<(String, String)>,
    ) -> Result<Selection> {
        let blueprint = find_blueprint(blueprint)?;
        let name = name.unwrap_or_else(|| blueprint.name().to_string());
        if !NAME_RULE.accepts(&name) {
            bail!(
                "invalid stack name prefix `{name}` in `--name`: it must be {}",
                NAME_RULE.rule()
            );
        }
        Ok(Selection {
            blueprint,
            tier,
            name,
            params,
        })
    }

    /// Builds the stacks, in deployment order.
    pub fn stacks(&self) -> Result<Vec<StackSpec>> {
        Ok(self.blueprint.build(&self.name, self.tier, &self.params)?)
    }

    /// The flags that select the same stacks again (for hints like `harden status ...`).
    pub fn flags(&self) -> String {
        let mut s = format!("--blueprint {} --tier {}", self.blueprint.name(), self.tier);
        if self.name != self.blueprint.name() {
            s.push_str(&format!(" --name {}", self.name));
        }
        for (k, v) in &self.params {
            s.push_str(&format!(" --param {}", shell_quote(&format!("{k}={v}"))));
        }
        s
    }
}

/// A word as a POSIX shell reads it back: as is when it is safe, else in single quotes.
fn shell_quote(w: &str) -> String {
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
}

/// Finds a blueprint or says which exist.
pub fn find_blueprint(name: &str) -> Result<&'static dyn Blueprint> {
    harden_blueprints::find(name).ok_or_else(|| {
        let names: Vec<String> = harden_blueprints::all().iter().map(|b| format!("`{}`", b.name())).collect();
        anyhow::anyhow!(
            "unknown blueprint `{name}`\nhint: the blueprints are {} (`harden blueprints` describes them)",
            names.join(", ")
        )
    })
}
