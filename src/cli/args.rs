//! Flags shared by several commands, and their resolution into [`crate::settings`].

use anyhow::Result;
use harden_blueprints::{Tier, Waiver};

use crate::settings::{AwsSettings, Selection, Target};

/// `--blueprint --tier --param --name`: which stacks.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SelectionArgs {
    /// The blueprint (`harden blueprints` lists them).
    #[arg(long, value_name = "NAME")]
    pub blueprint: String,
    /// The security tier: basic, enhanced or enterprise.
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    pub tier: Tier,
    /// A blueprint parameter; repeat for more.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,
    /// Stack name [default: the blueprint's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Switch off a control of the tier on purpose, when a parameter would: the reason is
    /// written into the template and shown in the plan; repeat for more.
    #[arg(long = "waive", value_name = "CONTROL=REASON", value_parser = Waiver::parse)]
    pub waivers: Vec<Waiver>,
}

impl SelectionArgs {
    pub(crate) fn resolve(self) -> Result<Selection> {
        let mut s = Selection::new(&self.blueprint, self.tier, self.name, self.params)?;
        s.waivers = self.waivers;
        Ok(s)
    }
}

/// `--blueprint --name [--tier]`: which deployed stacks (`destroy`, `status`). The tier and
/// parameters are read from what is deployed.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TargetArgs {
    /// The blueprint (`harden blueprints` lists them).
    #[arg(long, value_name = "NAME")]
    pub blueprint: String,
    /// Stack name [default: the blueprint's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The tier you expect deployed (optional: the deployed tier is read from the stack's tags;
    /// `destroy` refuses if it differs).
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    pub tier: Option<Tier>,
}

impl TargetArgs {
    pub(crate) fn resolve(self) -> Result<Target> {
        Target::new(&self.blueprint, self.name, self.tier)
    }
}

/// `--profile --region`: where AWS calls go.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AwsArgs {
    /// AWS profile from the shared config files [default: the standard credential chain].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region [default: the profile's, or AWS_REGION].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

impl AwsArgs {
    pub(crate) fn resolve(self) -> AwsSettings {
        let AwsArgs { profile, region } = self;
        AwsSettings::new(profile, region)
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
