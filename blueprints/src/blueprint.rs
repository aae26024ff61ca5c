//! What a blueprint is: a named architecture with parameters that composes hardened controls
//! into one or more stacks for a tier.

use indexmap::IndexMap;

use crate::cfn::{Node, Template};
use crate::control::Control;
use crate::controls::{self, stack_protection};
use crate::guide::{Deviation, Operation};
use crate::params::{ParamError, ParamSpec, Params};
use crate::tier::Tier;

/// What a stack is to the account: its own workload, or the account baseline that several
/// workloads share (once per account and region, kept when a workload is destroyed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackRole {
    /// The account-level security services, shared by every workload.
    AccountBaseline,
    /// A blueprint's own resources.
    Workload,
}

impl StackRole {
    /// `account-baseline` / `workload`.
    pub fn as_str(self) -> &'static str {
        match self {
            StackRole::AccountBaseline => "account-baseline",
            StackRole::Workload => "workload",
        }
    }
}

/// The tag that names the blueprint a stack was deployed from: harden only changes stacks
/// that carry it with their own blueprint's name.
pub const BLUEPRINT_TAG: &str = "harden:blueprint";
/// The tag that names the tier a stack was deployed at.
pub const TIER_TAG: &str = "harden:tier";

/// One CloudFormation stack a blueprint produces, with everything `deploy` needs beside the
/// template.
#[derive(Debug, Clone)]
pub struct StackSpec {
    /// The stack name.
    pub name: String,
    /// What the stack is to the account.
    pub role: StackRole,
    /// What the stack is for, in one line.
    pub purpose: &'static str,
    /// The template.
    pub template: Template,
    /// Stack parameters (none of harden's blueprints need them: values are rendered in).
    pub parameters: IndexMap<String, String>,
    /// Stack tags.
    pub tags: IndexMap<String, String>,
    /// Whether termination protection is on.
    pub termination_protection: bool,
    /// The stack policy, if the tier sets one.
    pub stack_policy: Option<Node>,
    /// Stacks that must be deployed before this one (their exports are imported here).
    pub after: Vec<String>,
    /// Things the user should know about this stack as rendered (a missing alert email).
    pub notes: Vec<String>,
}

impl StackSpec {
    /// Every control the stack applies, in first-applied order: those that shaped its
    /// resources, then termination protection and the stack policy where the stack sets them.
    pub fn controls(&self) -> Vec<&'static str> {
        stack_controls(
            &self.template,
            self.termination_protection,
            self.stack_policy.is_some(),
        )
    }
}

/// The controls of a stack with this template and these stack-level settings.
pub(crate) fn stack_controls(
    t: &Template,
    termination_protection: bool,
    stack_policy: bool,
) -> Vec<&'static str> {
    let mut used = t.controls();
    if termination_protection {
        used.push(stack_protection::TERMINATION_PROTECTION.id);
    }
    if stack_policy {
        used.push(stack_protection::STACK_POLICY.id);
    }
    used
}

/// The controls that a set of stacks applies, in [`controls::ALL`] order (tier order), each
/// once. What `harden blueprints` lists per tier: computed from a render, never declared.
pub fn controls_of(stacks: &[StackSpec]) -> Vec<&'static Control> {
    let used: Vec<&'static str> = stacks.iter().flat_map(StackSpec::controls).collect();
    controls::ALL
        .iter()
        .copied()
        .filter(|c| used.contains(&c.id))
        .collect()
}

/// A request to build a blueprint: the stack name prefix, the tier and the parameters.
#[derive(Debug, Clone)]
pub struct Request {
    /// Stack names derive from it.
    pub name: String,
    /// The tier.
    pub tier: Tier,
    /// The validated parameters.
    pub params: Params,
}

/// A problem building a blueprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlueprintError {
    /// A parameter problem.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A combination of values the architecture cannot honour.
    #[error("{0}")]
    Invalid(String),
    /// A stack name that is taken by another stack of the same request, or reserved.
    #[error("{0}")]
    Name(String),
    /// A parameter would switch off a control of the chosen tier, and no waiver says so.
    #[error("{0}")]
    Weakens(String),
}

/// A control of the tier that the user switches off on purpose (`--waive CONTROL=REASON`):
/// recorded, with its reason and the parameter that switched it off, in the template's
/// `Metadata.harden.Waivers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The control.
    pub control: &'static Control,
    /// Why, in the user's words.
    pub reason: String,
}

impl Waiver {
    /// Parses `CONTROL=REASON`.
    pub fn parse(s: &str) -> Result<Waiver, String> {
        let (id, reason) = s
            .split_once('=')
            .ok_or_else(|| format!("expected CONTROL=REASON, got `{s}`"))?;
        let control = controls::find(id)
            .ok_or_else(|| format!("unknown control `{id}` (`harden controls` lists them)"))?;
        let reason = reason.trim();
        if reason.len() < 10 {
            return Err(format!(
                "the reason for waiving `{id}` must say why, in at least 10 characters: it is written into the template"
            ));
        }
        Ok(Waiver {
            control,
            reason: reason.to_string(),
        })
    }
}

/// An architecture harden can render.
pub trait Blueprint: Sync {
    /// The name users pass to `--blueprint`.
    fn name(&self) -> &'static str;
    /// One line on what it builds.
    fn summary(&self) -> &'static str;
    /// The hardening guide it comes from, as a user would look it up (its title, or its
    /// source in words), never a path in harden's repository.
    fn source(&self) -> &'static str;
    /// Where it departs from that guide, and why: written into every stack's
    /// `Metadata.harden.Deviations` and shown by `harden blueprints`.
    fn deviations(&self) -> &'static [Deviation];
    /// The guide's process items (reviews, incident response, contacts) as an operations
    /// checklist, each with the harden command that serves it where there is one.
    fn operations(&self) -> &'static [Operation];
    /// The parameters it accepts.
    fn params(&self) -> &'static [ParamSpec];
    /// The stacks it produces at a tier, by purpose (for listings).
    fn stack_purposes(&self, tier: Tier) -> Vec<&'static str>;
    /// Builds the stacks for a request, in deployment order.
    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError>;

    /// The stack name when it cannot be chosen (a stack that exists once per account and
    /// region); `None` when `--name` names it.
    fn fixed_stack_name(&self) -> Option<&'static str> {
        None
    }

    /// The fewest parameters a render at `tier` needs, with example values (none for most
    /// tiers): what `harden blueprints` and `harden controls` build with to show what a render
    /// contains, and what the golden "defaults" case of each tier passes.
    fn required_example(&self, _tier: Tier) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Builds on the defaults plus [`Blueprint::required_example`], under the default stack
    /// name.
    fn build_example(&self, tier: Tier) -> Result<Vec<StackSpec>, BlueprintError> {
        let raw: Vec<(String, String)> = self
            .required_example(tier)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.build(self.default_stack_name(), tier, &raw)
    }

    /// The stack name when the user gives none: the fixed one, else the blueprint's name.
    fn default_stack_name(&self) -> &'static str {
        self.fixed_stack_name().unwrap_or(self.name())
    }

    /// Every stack this blueprint may render under the name `name`, at any tier, in
    /// deployment order, with its role: what `destroy` and `status` look for, which need no
    /// tier or parameters.
    fn stack_names(&self, name: &str) -> Vec<(String, StackRole)> {
        vec![(name.to_string(), StackRole::Workload)]
    }

    /// Validates raw parameters and builds, with no control waived: see
    /// [`Blueprint::build_waived`].
    fn build(
        &self,
        name: &str,
        tier: Tier,
        raw: &[(String, String)],
    ) -> Result<Vec<StackSpec>, BlueprintError> {
        self.build_waived(name, tier, raw, &[])
    }

    /// Validates raw parameters and builds. Two stacks of one request never share a name, a
    /// workload never takes the account baseline's, and a tier never weakens quietly: a
    /// parameter that switches off a control of the tier (the build without it has the
    /// control, the build with it does not) is an error, unless `waivers` waives that control;
    /// each waiver is recorded in the template, and a waiver of a control no parameter
    /// switches off is an error too.
    fn build_waived(
        &self,
        name: &str,
        tier: Tier,
        raw: &[(String, String)],
        waivers: &[Waiver],
    ) -> Result<Vec<StackSpec>, BlueprintError> {
        let mut stacks = self.build_unguarded(name, tier, raw)?;
        let mut used = vec![false; waivers.len()];
        for (k, v) in raw {
            let without: Vec<(String, String)> =
                raw.iter().filter(|(k2, _)| k2 != k).cloned().collect();
            let Ok(reference) = self.build_unguarded(name, tier, &without) else {
                // The parameter is needed (the build without it fails): nothing to compare.
                continue;
            };
            for r in &reference {
                let Some(s) = stacks.iter_mut().find(|s| s.name == r.name) else {
                    continue;
                };
                let have = s.controls();
                for id in r.controls() {
                    let c = controls::find(id).expect("every control applied is registered");
                    if !c.on(tier) || have.contains(&id) {
                        continue;
                    }
                    match waivers.iter().position(|w| w.control.id == id) {
                        Some(i) => {
                            used[i] = true;
                            record_waiver(&mut s.template, &waivers[i], &format!("{k}={v}"));
                        }
                        None => {
                            return Err(BlueprintError::Weakens(format!(
                                "parameter `{k}={v}` switches off control `{id}` ({}), which tier `{tier}` includes\nhint: leave `{k}` out to keep the control, or waive it on purpose with `--waive {id}=REASON` (the reason is written into the template and shown in the plan)",
                                c.title
                            )));
                        }
                    }
                }
            }
        }
        if let Some(i) = used.iter().position(|u| !u) {
            return Err(BlueprintError::Invalid(format!(
                "`--waive {}` waives a control that no parameter given switches off at tier `{tier}`\nhint: leave the waiver out; a waiver only records a control a parameter turns off",
                waivers[i].control.id
            )));
        }
        Ok(stacks)
    }

    /// Validates raw parameters and builds, without the tier guard of
    /// [`Blueprint::build_waived`].
    fn build_unguarded(
        &self,
        name: &str,
        tier: Tier,
        raw: &[(String, String)],
    ) -> Result<Vec<StackSpec>, BlueprintError> {
        check_stack_name(self.name(), name, self.fixed_stack_name())?;
        let params = Params::resolve(self.name(), self.params(), raw)?;
        let stacks = self.stacks(&Request {
            name: name.to_string(),
            tier,
            params,
        })?;
        for (i, s) in stacks.iter().enumerate() {
            if let Some(first) = stacks[..i].iter().find(|o| o.name == s.name) {
                return Err(BlueprintError::Name(format!(
                    "blueprint `{}` would render two stacks named `{}` (its {} and its {})\nhint: choose another `--name`",
                    self.name(),
                    s.name,
                    first.role.as_str(),
                    s.role.as_str()
                )));
            }
        }
        let mut stacks = stacks;
        for s in &mut stacks {
            // The account baseline a workload includes records only the baseline's own
            // parameters: those a later `deploy --blueprint account-baseline` would take.
            let own: Vec<&str> = match s.role {
                StackRole::AccountBaseline => crate::blueprints::account_baseline::AccountBaseline
                    .params()
                    .iter()
                    .map(|p| p.name)
                    .collect(),
                StackRole::Workload => self.params().iter().map(|p| p.name).collect(),
            };
            record_parameters(
                &mut s.template,
                raw.iter().filter(|(k, _)| own.contains(&k.as_str())),
            );
        }
        Ok(stacks)
    }
}

/// Writes the parameters given (not the defaults) into `Metadata.harden.Parameters`, sorted
/// by name: what a later plan compares with, to say what is removed because a parameter is
/// no longer given.
fn record_parameters<'a>(t: &mut Template, given: impl Iterator<Item = &'a (String, String)>) {
    use crate::cfn::Expr;
    let mut given: Vec<&(String, String)> = given.collect();
    if given.is_empty() {
        return;
    }
    given.sort();
    let Some(harden) = harden_metadata(t) else {
        return;
    };
    harden.insert(
        "Parameters".to_string(),
        Expr::Map(
            given
                .into_iter()
                .map(|(k, v)| (k.clone(), Expr::str(v)))
                .collect(),
        ),
    );
}

/// The template's `Metadata.harden` map, made if missing (`None` only if something else
/// wrote a non-map there).
fn harden_metadata(t: &mut Template) -> Option<&mut IndexMap<String, crate::cfn::Expr>> {
    match t
        .metadata
        .entry("harden".to_string())
        .or_insert_with(|| crate::cfn::Expr::Map(IndexMap::new()))
    {
        crate::cfn::Expr::Map(m) => Some(m),
        _ => None,
    }
}

/// Writes a waiver into the template's `Metadata.harden.Waivers`, once per control.
fn record_waiver(t: &mut Template, w: &Waiver, parameter: &str) {
    use crate::cfn::Expr;
    let Some(harden) = harden_metadata(t) else {
        return;
    };
    let list = harden
        .entry("Waivers".to_string())
        .or_insert_with(|| Expr::List(Vec::new()));
    if let Expr::List(items) = list {
        let already = items.iter().any(
            |e| matches!(e, Expr::Map(m) if m.get("Control") == Some(&Expr::str(w.control.id))),
        );
        if !already {
            items.push(Expr::map([
                ("Control", Expr::str(w.control.id)),
                ("Reason", Expr::str(&w.reason)),
                ("Parameter", Expr::str(parameter)),
            ]));
        }
    }
}

/// A stack name the user chose must not be one harden reserves for a stack of its own, and a
/// blueprint with a fixed stack name takes no other.
pub fn check_stack_name(
    blueprint: &str,
    name: &str,
    fixed: Option<&'static str>,
) -> Result<(), BlueprintError> {
    let reserved = crate::blueprints::account_baseline::STACK_NAME;
    match fixed {
        Some(f) if f != name => Err(BlueprintError::Name(format!(
            "blueprint `{blueprint}` has one stack per account and region, always named `{f}`: it cannot be named `{name}`\nhint: leave `--name` out"
        ))),
        None if name == reserved => Err(BlueprintError::Name(format!(
            "`{name}` is the account baseline's stack name, which no workload may take\nhint: choose another `--name`"
        ))),
        _ => Ok(()),
    }
}
