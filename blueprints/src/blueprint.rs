//! What a blueprint is: a named architecture with parameters that composes hardened controls
//! into one or more stacks for a tier.

use indexmap::IndexMap;

use crate::blueprints::account_baseline::{self, AccountBaseline};
use crate::cfn::{Expr, Node, Template};
use crate::control::Control;
use crate::controls::{self, stack_protection};
use crate::guide::{Deviation, Operation};
use crate::params::{ParamError, ParamSpec, Params, Read};
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

/// The tag, on a workload stack whose buckets replicate to another region, that names that
/// region: where `destroy`, `status` and `drift`, which render nothing, find the replica stack.
pub const REPLICA_REGION_TAG: &str = "harden:replica-region";

/// The name of the stack that holds a workload's replicas in `replica_region` (at enterprise,
/// the first stack of every workload blueprint whose stacks hold buckets).
pub fn replica_stack_name(name: &str) -> String {
    format!("{name}-replica")
}

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
    /// The region the stack goes to when it is not the region deployed to (a replica stack
    /// in `replica_region`); `None`: the region of the deployment.
    pub region: Option<String>,
    /// Things the user should know about this stack as rendered (a missing alert email).
    pub notes: Vec<String>,
}

impl StackSpec {
    /// The blueprint whose stack this is (its `harden:blueprint` tag): the workload's own, or
    /// `account-baseline` for the baseline a workload deploys.
    pub fn owner(&self) -> &str {
        self.tags
            .get(BLUEPRINT_TAG)
            .map(String::as_str)
            .unwrap_or("")
    }

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
    /// The blueprint's name.
    pub blueprint: &'static str,
    /// Stack names derive from it.
    pub name: String,
    /// The tier.
    pub tier: Tier,
    /// The validated parameters.
    pub params: Params,
}

impl Request {
    /// A parameter's typed value.
    pub fn get<P: Read>(&self, p: &P) -> P::Out {
        self.params.get(p)
    }

    /// Whether the user gave this parameter (rather than it taking its default).
    pub fn given<P: Read>(&self, p: &P) -> bool {
        self.params.given(p)
    }

    /// The workload stack of this request, named after it, to finish with
    /// [`StackBuilder::build`].
    pub fn stack(&self, template: Template) -> StackBuilder {
        StackBuilder::new(self.blueprint, self.tier, self.name.clone(), template)
    }
}

/// Turns a finished template into a [`StackSpec`]: lists the controls it applies (with their
/// CIS and Security Hub ids) and the blueprint's deviations from its guide in
/// `Metadata.harden`, tags it with its blueprint and tier, and sets the stack-level controls
/// of the tier (termination protection, the stack policy).
#[derive(Debug)]
#[must_use = "a stack is made by `build`"]
pub struct StackBuilder {
    template: Template,
    name: String,
    blueprint: &'static str,
    tier: Tier,
    role: StackRole,
    purpose: &'static str,
    after: Vec<String>,
    region: Option<String>,
    notes: Vec<String>,
}

impl StackBuilder {
    /// A workload stack of `blueprint` at `tier`.
    pub fn new(blueprint: &'static str, tier: Tier, name: String, template: Template) -> Self {
        StackBuilder {
            template,
            name,
            blueprint,
            tier,
            role: StackRole::Workload,
            purpose: "workload",
            after: Vec::new(),
            region: None,
            notes: Vec::new(),
        }
    }

    /// What the stack is to the account (a workload unless said otherwise).
    pub fn role(mut self, role: StackRole) -> Self {
        self.role = role;
        self
    }

    /// What the stack is for, in listings (`workload` unless said otherwise).
    pub fn purpose(mut self, purpose: &'static str) -> Self {
        self.purpose = purpose;
        self
    }

    /// A stack of the same request that must be deployed first.
    pub fn after(mut self, stack: impl Into<String>) -> Self {
        self.after.push(stack.into());
        self
    }

    /// Deploys the stack to this region rather than the deployment's own.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Something the user should know about the stack as rendered.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Several notes.
    pub fn notes(mut self, notes: impl IntoIterator<Item = String>) -> Self {
        self.notes.extend(notes);
        self
    }

    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a note to a builder held in place.
    pub(crate) fn push_note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The template, to change before the stack is built (replication adds to its buckets).
    pub(crate) fn template_mut(&mut self) -> &mut Template {
        &mut self.template
    }

    /// The stack.
    pub fn build(self) -> StackSpec {
        let StackBuilder {
            mut template,
            name,
            blueprint,
            tier,
            role,
            purpose,
            after,
            region,
            notes,
        } = self;
        let termination_protection = stack_protection::TERMINATION_PROTECTION.on(tier);
        let stack_policy = stack_protection::stack_policy(&template, tier);
        let used = stack_controls(&template, termination_protection, stack_policy.is_some());
        let listed: Vec<Expr> = controls::ALL
            .iter()
            .filter(|c| used.contains(&c.id))
            .map(|c| {
                Expr::map([
                    ("Id", Expr::str(c.id)),
                    ("Tier", Expr::str(c.tier.as_str())),
                    ("Cis", Expr::strs(c.cis)),
                    ("SecurityHub", Expr::strs(c.security_hub)),
                ])
            })
            .collect();
        let deviations: Vec<Expr> = crate::find(blueprint)
            .map(|b| b.deviations())
            .unwrap_or_default()
            .iter()
            .map(|d| {
                Expr::map([
                    ("Guide", Expr::str(d.guide)),
                    ("Harden", Expr::str(d.harden)),
                    ("Reason", Expr::str(d.reason)),
                ])
            })
            .collect();
        let mut harden = vec![
            ("Blueprint", Expr::str(blueprint)),
            ("Tier", Expr::str(tier.as_str())),
            ("Controls", Expr::List(listed)),
        ];
        if !deviations.is_empty() {
            harden.push(("Deviations", Expr::List(deviations)));
        }
        template.metadata.insert("harden".into(), Expr::map(harden));
        let mut tags = IndexMap::new();
        tags.insert(BLUEPRINT_TAG.to_string(), blueprint.to_string());
        tags.insert(TIER_TAG.to_string(), tier.as_str().to_string());
        StackSpec {
            name,
            role,
            purpose,
            template,
            parameters: IndexMap::new(),
            tags,
            termination_protection,
            stack_policy,
            after,
            region,
            notes,
        }
    }
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

/// A named set of parameter values that renders a different shape of a blueprint (the
/// account baseline in an organization's member or delegated administrator account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Its name, in golden case directories.
    pub name: &'static str,
    /// The values it gives, beside what a tier requires.
    pub params: &'static [(&'static str, &'static str)],
    /// The lowest tier where it changes the render.
    pub from: Tier,
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
    /// Where it departs from that guide, and why: written into the `Metadata.harden.Deviations`
    /// of its first stack in a render (once per render, not in every stack) and shown by
    /// `harden blueprints`.
    fn deviations(&self) -> &'static [Deviation];
    /// The guide's process items (reviews, incident response, contacts) as an operations
    /// checklist, each with the harden command that serves it where there is one.
    fn operations(&self) -> &'static [Operation];
    /// Its own parameters (those of the account baseline it deploys are added by
    /// [`Blueprint::all_params`]).
    fn params(&self) -> &'static [&'static ParamSpec];
    /// Named alternatives of its parameters worth rendering on their own (the golden cases
    /// `BLUEPRINT/VARIANT-TIER` from each variant's lowest tier, and `VARIANT-all-params`):
    /// none for most blueprints.
    fn variants(&self) -> &'static [Variant] {
        &[]
    }
    /// Its own stacks at a tier, by purpose (for listings).
    fn purposes(&self, tier: Tier) -> Vec<&'static str>;
    /// Builds its own stacks for a request, in deployment order: the account baseline, where
    /// [`Blueprint::baseline`] says, is added before them by [`Blueprint::build`].
    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError>;

    /// The lowest tier at which `deploy` brings up the account baseline before this
    /// blueprint's stacks (`None`: never). The baseline's parameters are then this
    /// blueprint's too, and its stacks come first in every build from that tier.
    fn baseline(&self) -> Option<Tier> {
        None
    }

    /// The stack name when it cannot be chosen (a stack that exists once per account and
    /// region); `None` when `--name` names it.
    fn fixed_stack_name(&self) -> Option<&'static str> {
        None
    }

    /// The fewest of its own parameters a render at `tier` needs, with example values (none
    /// for most tiers). [`Blueprint::example_params`] adds the baseline's.
    fn required_example(&self, _tier: Tier) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Its own stacks under the name `name`, with their roles (one workload stack unless a
    /// blueprint says otherwise).
    fn own_stack_names(&self, name: &str) -> Vec<(String, StackRole)> {
        vec![(name.to_string(), StackRole::Workload)]
    }

    /// Every parameter it accepts: its own, then those of the account baseline it deploys.
    fn all_params(&self) -> Vec<&'static ParamSpec> {
        let mut v: Vec<&'static ParamSpec> = self.params().to_vec();
        if self.baseline().is_some() {
            for p in account_baseline::PARAMS {
                if !v.iter().any(|o| o.name == p.name) {
                    v.push(p);
                }
            }
        }
        v
    }

    /// Whether a build at `tier` includes the account baseline's stacks.
    fn deploys_baseline(&self, tier: Tier) -> bool {
        self.baseline().is_some_and(|from| tier >= from)
    }

    /// The stacks it renders at a tier, by purpose: the baseline's, then its own.
    fn stack_purposes(&self, tier: Tier) -> Vec<&'static str> {
        let mut v = if self.deploys_baseline(tier) {
            AccountBaseline.purposes(tier)
        } else {
            Vec::new()
        };
        v.extend(self.purposes(tier));
        v
    }

    /// The fewest parameters a render at `tier` needs, with example values: what
    /// `harden blueprints` and `harden controls` build with to show what a render contains,
    /// and what the golden "defaults" case of each tier passes.
    fn example_params(&self, tier: Tier) -> Vec<(&'static str, &'static str)> {
        let mut v = self.required_example(tier);
        if self.deploys_baseline(tier) {
            for (k, val) in AccountBaseline.required_example(tier) {
                if !v.iter().any(|(o, _)| *o == k) {
                    v.push((k, val));
                }
            }
        }
        v
    }

    /// Builds on the defaults plus [`Blueprint::example_params`], under the default stack
    /// name.
    fn build_example(&self, tier: Tier) -> Result<Vec<StackSpec>, BlueprintError> {
        let raw: Vec<(String, String)> = self
            .example_params(tier)
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
        let mut v = if self.baseline().is_some() {
            account_baseline::stack_names()
        } else {
            Vec::new()
        };
        v.extend(self.own_stack_names(name));
        v
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
        let all = self.all_params();
        for (k, v) in raw {
            let without = without_param(&all, raw, k);
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
                    // A control the blueprint itself records as waived (with its reason and
                    // the parameter) is not switched off quietly.
                    if !c.on(tier) || have.contains(&id) || records_waiver(&s.template, id) {
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
        let all = self.all_params();
        let params = Params::resolve(self.name(), &all, raw)?;
        let req = Request {
            blueprint: self.name(),
            name: name.to_string(),
            tier,
            params,
        };
        let mut stacks = if self.deploys_baseline(tier) {
            account_baseline::baseline_stacks(
                tier,
                &account_baseline::BaselineOptions::from_params(&req.params),
            )?
        } else {
            Vec::new()
        };
        let first: Vec<String> = stacks.iter().map(|s| s.name.clone()).collect();
        for mut own in self.stacks(&req)? {
            // Its own stacks need the baseline's services (the trail, the API Gateway
            // logging role) in place first.
            for (i, b) in first.iter().enumerate() {
                if !own.after.contains(b) {
                    own.after.insert(i, b.clone());
                }
            }
            stacks.push(own);
        }
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
        // A blueprint's deviations from its guide are recorded once per render, in its first
        // stack (the replica stack at enterprise, else its first own one), not copied into
        // every stack: the copies, some 3-4 KB each, pushed the largest enterprise stacks over
        // CloudFormation's 51,200-byte inline template body limit.
        let mut seen: Vec<String> = Vec::new();
        for s in &mut stacks {
            let owner = s.owner().to_string();
            if seen.contains(&owner) {
                if let Some(Expr::Map(h)) = s.template.metadata.get_mut("harden") {
                    h.shift_remove("Deviations");
                }
            } else {
                seen.push(owner);
            }
        }
        for s in &mut stacks {
            // The account baseline a workload includes records only the baseline's own
            // parameters: those a later `deploy --blueprint account-baseline` would take.
            let own: Vec<&str> = match s.role {
                StackRole::AccountBaseline => {
                    account_baseline::PARAMS.iter().map(|p| p.name).collect()
                }
                StackRole::Workload => all.iter().map(|p| p.name).collect(),
            };
            record_parameters(
                &mut s.template,
                raw.iter().filter(|(k, _)| own.contains(&k.as_str())),
            );
        }
        Ok(stacks)
    }
}

/// Whether two declared parameters cannot be given together (either says so).
pub fn conflict(a: &ParamSpec, b: &ParamSpec) -> bool {
    a.conflicts.contains(&b.name) || b.conflicts.contains(&a.name)
}

/// The parameters that cannot be given with `p`, whichever of the two declares it.
pub fn conflicting(specs: &[&'static ParamSpec], p: &ParamSpec) -> Vec<&'static str> {
    specs
        .iter()
        .filter(|s| s.name != p.name && conflict(s, p))
        .map(|s| s.name)
        .collect()
}

/// Adds `p` with its rule's example value to `set`, with what it requires, unless it or one
/// of those conflicts with what is set; returns whether it is in `set` now.
pub fn give_example(
    set: &mut Vec<(&'static str, String)>,
    specs: &[&'static ParamSpec],
    p: &'static ParamSpec,
) -> bool {
    if set.iter().any(|(k, _)| *k == p.name) {
        return true;
    }
    let conflicts = |set: &[(&'static str, String)]| {
        set.iter().any(|(k, _)| {
            specs
                .iter()
                .find(|s| s.name == *k)
                .is_some_and(|s| conflict(s, p))
        })
    };
    if conflicts(set) {
        return false;
    }
    let mut with = set.to_vec();
    with.push((p.name, p.rule.sample(0)));
    for r in p.requires {
        let Some(spec) = specs.iter().find(|s| s.name == *r) else {
            return false;
        };
        if !give_example(&mut with, specs, spec) {
            return false;
        }
    }
    *set = with;
    true
}

/// The largest request a blueprint takes: what a render at enterprise needs, then every
/// parameter with its rule's example value, in declaration order (of two that conflict, the
/// first). Returns it and the parameters it leaves out for a conflict.
pub fn every_parameter(
    b: &dyn Blueprint,
) -> (Vec<(&'static str, String)>, Vec<&'static ParamSpec>) {
    let specs = b.all_params();
    let mut set: Vec<(&'static str, String)> = b
        .example_params(Tier::Enterprise)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    let mut left_out = Vec::new();
    for p in &specs {
        if !give_example(&mut set, &specs, p) {
            left_out.push(*p);
        }
    }
    (set, left_out)
}

/// The parameters without `name` and without what then lacks a parameter it requires (a
/// parameter that means nothing alone goes with the one it needs): the request the tier
/// guard compares with.
fn without_param(
    specs: &[&ParamSpec],
    raw: &[(String, String)],
    name: &str,
) -> Vec<(String, String)> {
    let mut left: Vec<(String, String)> = raw.iter().filter(|(k, _)| k != name).cloned().collect();
    loop {
        let names: Vec<String> = left.iter().map(|(k, _)| k.clone()).collect();
        let before = left.len();
        left.retain(|(k, _)| {
            specs
                .iter()
                .find(|s| s.name == k)
                .is_none_or(|s| s.requires.iter().all(|r| names.iter().any(|n| n == r)))
        });
        if left.len() == before {
            return left;
        }
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

/// The parameters a rendered template records in `Metadata.harden.Parameters`
/// ([`record_parameters`] writes them as strings), in their order there; empty when it
/// records none.
pub fn recorded_parameters(template: &crate::cfn::Node) -> Vec<(String, String)> {
    template
        .get_path(&["Metadata", "harden", "Parameters"])
        .and_then(crate::cfn::Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
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

/// Whether the template's `Metadata.harden.Waivers` records a waiver of the control.
pub fn records_waiver(t: &Template, control: &str) -> bool {
    matches!(
        t.metadata.get("harden"),
        Some(Expr::Map(h)) if matches!(
            h.get("Waivers"),
            Some(Expr::List(items)) if items.iter().any(
                |e| matches!(e, Expr::Map(m) if m.get("Control") == Some(&Expr::str(control)))
            )
        )
    )
}

/// Writes a waiver into the template's `Metadata.harden.Waivers`, once per control: the
/// user's (`--waive`), or a blueprint's own when a parameter says another account provides
/// the control (the account baseline's `org_services=member`).
pub(crate) fn record_waiver(t: &mut Template, w: &Waiver, parameter: &str) {
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
