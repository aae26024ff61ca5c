//! What a blueprint carries from its hardening guide besides templates: where it departs from
//! the guide and why ([`Deviation`]), and the guide's process items a template cannot do, as
//! an operations checklist ([`Operation`]). Both are static lists on [`crate::Blueprint`], so
//! every blueprint has them; deviations are also written, once per render, into the
//! `Metadata.harden.Deviations` of the blueprint's first stack, and `harden blueprints` shows
//! both.

use crate::tier::Tier;

/// Where a blueprint departs from its guide, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deviation {
    /// What the guide does.
    pub guide: &'static str,
    /// What harden does instead.
    pub harden: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// How often an operations item comes round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cadence {
    /// Every month.
    Monthly,
    /// Every quarter.
    Quarterly,
    /// Every year.
    Annually,
    /// When a security event happens.
    OnIncident,
    /// Before the first deploy, then whenever it changes.
    KeptCurrent,
}

impl Cadence {
    /// Every cadence, in the order a checklist lists them.
    pub const ALL: [Cadence; 5] = [
        Cadence::Monthly,
        Cadence::Quarterly,
        Cadence::Annually,
        Cadence::OnIncident,
        Cadence::KeptCurrent,
    ];

    /// How it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::Annually => "annually",
            Cadence::OnIncident => "on a security event",
            Cadence::KeptCurrent => "kept current",
        }
    }
}

/// The harden commands an operations item may name: only commands that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `harden blueprints`
    Blueprints,
    /// `harden controls --tier TIER`
    Controls,
    /// `harden render --blueprint B --tier TIER`
    Render,
    /// `harden plan --blueprint B --tier TIER`
    Plan,
    /// `harden deploy --blueprint B --tier TIER`
    Deploy,
    /// `harden destroy --blueprint B --tier TIER`
    Destroy,
    /// `harden status --blueprint B --tier TIER`
    Status,
}

impl Verb {
    /// The subcommand's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Blueprints => "blueprints",
            Verb::Controls => "controls",
            Verb::Render => "render",
            Verb::Plan => "plan",
            Verb::Deploy => "deploy",
            Verb::Destroy => "destroy",
            Verb::Status => "status",
        }
    }
}

/// A complete harden command: the subcommand, the selection flags it needs (filled in for the
/// blueprint and a tier), and its other arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardenCommand {
    /// The subcommand.
    pub verb: Verb,
    /// The arguments after the selection flags.
    pub args: &'static [&'static str],
}

impl HardenCommand {
    /// The command line for a blueprint at a tier (`tier` may be a placeholder like `TIER`).
    pub fn line(&self, blueprint: &str, tier: &str) -> String {
        let mut parts = vec!["harden".to_string(), self.verb.as_str().to_string()];
        match self.verb {
            Verb::Blueprints => {}
            Verb::Controls => parts.extend(["--tier".to_string(), tier.to_string()]),
            Verb::Render | Verb::Plan | Verb::Deploy | Verb::Destroy | Verb::Status => {
                parts.extend([
                    "--blueprint".to_string(),
                    blueprint.to_string(),
                    "--tier".to_string(),
                    tier.to_string(),
                ]);
            }
        }
        parts.extend(self.args.iter().map(|a| a.to_string()));
        parts.join(" ")
    }
}

/// One item of a blueprint's operations checklist: a review or incident step from the guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// What to do.
    pub item: &'static str,
    /// How often.
    pub cadence: Cadence,
    /// The lowest tier whose stacks give the item something to act on (GuardDuty findings
    /// exist from enhanced).
    pub from: Tier,
    /// The harden command that serves it, where there is one.
    pub command: Option<HardenCommand>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_commands_name_the_blueprint_and_tier() {
        let plan = HardenCommand {
            verb: Verb::Plan,
            args: &["--detailed-exitcode"],
        };
        assert_eq!(
            plan.line("sagemaker-vpc", "enterprise"),
            "harden plan --blueprint sagemaker-vpc --tier enterprise --detailed-exitcode"
        );
        let controls = HardenCommand {
            verb: Verb::Controls,
            args: &[],
        };
        assert_eq!(
            controls.line("sagemaker-vpc", "basic"),
            "harden controls --tier basic"
        );
        let blueprints = HardenCommand {
            verb: Verb::Blueprints,
            args: &[],
        };
        assert_eq!(blueprints.line("x", "basic"), "harden blueprints");
    }
}
