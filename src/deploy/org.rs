//! `harden plan|deploy --org`: the account baseline across an AWS Organization, one
//! CloudFormation StackSet per stack of the baseline (same names, same tags), with stack
//! instances in the accounts (`--accounts`, SELF_MANAGED permissions) or the organizational
//! units (`--ous`, SERVICE_MANAGED with automatic deployment) and regions given.
//!
//! The template is the baseline's, rendered once with `home_region` set to the first region
//! (unless given): its `IsHomeRegion` condition keeps the account-wide parts to one region.
//!
//! Safety: a stack set without harden's `harden:blueprint` tag of this blueprint is refused
//! (exit 5) before any change; the plan passes through the tier's approval rules
//! ([`super::apply::gate`]); instances are removed only with `--prune`; operations run one
//! account at a time, one region after the other, and stop at the first failure (failure
//! tolerance 0, max concurrency 1, STRICT_FAILURE_TOLERANCE) unless told otherwise. With
//! `--ous`, accounts leaving an OU have their instance stacks deleted
//! (`RetainStacksOnAccountRemoval: false`): a baseline left behind in an account harden no
//! longer manages would drift unseen, and the stateful parts of the enterprise tier are
//! retained by their own deletion policies.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Result};
use aws_sdk_cloudformation::types::{
    AutoDeployment, CallAs, Capability, DeploymentTargets, Parameter, PermissionModels,
    RegionConcurrencyType, StackSetOperationPreferences, Tag,
};
use aws_sdk_cloudformation::Client;
use harden_blueprints::BLUEPRINT_TAG;
use harden_plan::{plan_stack, Deployed, Desired, StackSetPlan, TargetKind};
use indexmap::IndexMap;

use super::apply::{gate, Approval, Gate, Risks};
use super::aws::{explain, is_region_name, Clients};
use super::prepare::{body, selection_stacks};
use crate::exit;
use crate::settings::Selection;
use crate::ui::Console;

/// The blueprint `--org` deploys.
pub const ORG_BLUEPRINT: &str = "account-baseline";
/// AWS's standard name of the role stack sets assume in each target account.
pub const DEFAULT_EXECUTION_ROLE: &str = "AWSCloudFormationStackSetExecutionRole";

/// Where the instances go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// These accounts (SELF_MANAGED permissions).
    Accounts(Vec<String>),
    /// Every account of these OUs, now and later (SERVICE_MANAGED, auto-deployment).
    Ous(Vec<String>),
}

/// Who calls StackSets: the management account, or a delegated administrator (`--call-as`,
/// `call_as:` in the project file).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CallAsArg {
    /// The account of the credentials (the management account for `ous`).
    #[default]
    #[value(name = "self")]
    #[serde(rename = "self")]
    SelfAccount,
    /// A member account registered as the organization's StackSets delegated administrator
    /// (with `ous` only).
    DelegatedAdmin,
}

impl CallAsArg {
    fn sdk(self) -> CallAs {
        match self {
            CallAsArg::SelfAccount => CallAs::SelfValue,
            CallAsArg::DelegatedAdmin => CallAs::DelegatedAdmin,
        }
    }
}

/// What `--org` was asked for.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// Regions, in deployment order; the first is the home region unless `home_region` is given.
    pub regions: Vec<String>,
    /// Accounts or OUs.
    pub targets: Targets,
    /// `--call-as`.
    pub call_as: CallAsArg,
    /// `--administration-role-arn` (SELF_MANAGED): omitted, CloudFormation uses the account's
    /// `AWSCloudFormationStackSetAdministrationRole`.
    pub administration_role_arn: Option<String>,
    /// `--execution-role-name` (SELF_MANAGED).
    pub execution_role_name: String,
    /// `--failure-tolerance`: instances per region that may fail before the operation stops.
    pub failure_tolerance: i32,
    /// `--max-concurrency`: accounts per region at a time.
    pub max_concurrency: i32,
    /// `--parallel-regions`: all regions at once instead of in order.
    pub parallel_regions: bool,
    /// `--soft-failure-tolerance`: StackSets' SOFT_FAILURE_TOLERANCE concurrency mode
    /// (concurrency kept up even as instances fail, the tolerance still stopping the
    /// operation); without it STRICT_FAILURE_TOLERANCE, where failures lower concurrency.
    pub soft_failure_tolerance: bool,
    /// `--prune`: remove instances no longer targeted.
    pub prune: bool,
}

/// A 12-digit AWS account id.
pub fn validate_account(id: &str) -> Result<()> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        bail!("`--accounts`: `{id}` is not an AWS account id\nhint: an account id is 12 digits, such as 123456789012 (`aws sts get-caller-identity` shows yours)")
    }
}

/// An organizational unit id (`ou-a1b2-c3d4e5f6`), by the rule the account baseline's
/// `org_policy_target` parameter uses.
pub fn validate_ou(id: &str) -> Result<()> {
    use harden_blueprints::params::rules::{OrgTarget, OrgTargetId};
    use harden_blueprints::params::Rule;
    if matches!(OrgTargetId.parse(id), Ok(OrgTarget::OrganizationalUnit(_))) {
        Ok(())
    } else {
        bail!("`--ous`: `{id}` is not an organizational unit id\nhint: OU ids look like ou-ab12-cd34ef56 (`aws organizations list-organizational-units-for-parent --parent-id r-...` lists them)")
    }
}

/// A region name such as `eu-west-1` or `us-gov-west-1`.
pub fn validate_region(r: &str) -> Result<()> {
    let ok = is_region_name(r);
    if ok {
        Ok(())
    } else {
        bail!("`--regions`: `{r}` is not a region name\nhint: a region name looks like `eu-west-1` (`aws ec2 describe-regions` lists them)")
    }
}

/// The value of [`OrgOptions`] a check refused, so a project file can point at where it is
/// written (the message names the flag: `--regions`, `--max-concurrency`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgField {
    /// The regions as a whole (none given).
    Regions,
    /// The region at this index.
    Region(usize),
    /// The accounts or OUs as a whole (none given).
    Targets,
    /// The account or OU at this index.
    Target(usize),
    /// `--administration-role-arn`.
    AdministrationRoleArn,
    /// `--execution-role-name`.
    ExecutionRoleName,
    /// `--call-as`.
    CallAs,
    /// `--failure-tolerance`.
    FailureTolerance,
    /// `--max-concurrency`.
    MaxConcurrency,
}

/// A refused [`OrgOptions`]: which value, and why (with its `hint:` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInvalid {
    /// The value refused.
    pub field: OrgField,
    /// The message, naming the flag.
    pub message: String,
}

fn invalid(field: OrgField, message: impl Into<String>) -> std::result::Result<(), OrgInvalid> {
    Err(OrgInvalid {
        field,
        message: message.into(),
    })
}

impl OrgOptions {
    /// Checks every id and flag before any call.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|e| anyhow::anyhow!(e.message))
    }

    /// [`OrgOptions::validate`], naming the value refused.
    pub fn check(&self) -> std::result::Result<(), OrgInvalid> {
        if self.regions.is_empty() {
            return invalid(OrgField::Regions, "`--org` needs `--regions`\nhint: add `--regions R1,R2` (the first is the home region of the account-wide parts)");
        }
        for (i, r) in self.regions.iter().enumerate() {
            if let Err(e) = validate_region(r) {
                return invalid(OrgField::Region(i), e.to_string());
            }
            if self.regions[..i].contains(r) {
                return invalid(
                    OrgField::Region(i),
                    format!("`--regions`: `{r}` is given twice\nhint: name each region once"),
                );
            }
        }
        let (ids, ous) = match &self.targets {
            Targets::Accounts(a) => (a, false),
            Targets::Ous(o) => (o, true),
        };
        if ids.is_empty() {
            let flag = if ous { "--ous" } else { "--accounts" };
            let what = if ous { "OU" } else { "account" };
            return invalid(
                OrgField::Targets,
                format!("`{flag}` is empty\nhint: give {what} ids separated by commas"),
            );
        }
        for (i, id) in ids.iter().enumerate() {
            let checked = if ous {
                validate_ou(id)
            } else {
                validate_account(id)
            };
            if let Err(e) = checked {
                return invalid(OrgField::Target(i), e.to_string());
            }
        }
        if let Some(arn) = &self.administration_role_arn {
            if !arn.starts_with("arn:") || !arn.contains(":iam::") || !arn.contains(":role/") {
                return invalid(OrgField::AdministrationRoleArn, format!("`--administration-role-arn`: `{arn}` is not an IAM role ARN\nhint: arn:aws:iam::ACCOUNT:role/AWSCloudFormationStackSetAdministrationRole"));
            }
            if ous {
                return invalid(OrgField::AdministrationRoleArn, "`--administration-role-arn` is for `--accounts` (self-managed permissions)\nhint: with `--ous`, StackSets uses the organization's service-linked roles; drop it");
            }
        }
        let name = &self.execution_role_name;
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !name_ok {
            return invalid(OrgField::ExecutionRoleName, format!("`--execution-role-name`: `{name}` is not an IAM role name\nhint: 1 to 64 letters, digits and `+=,.@_-`"));
        }
        if ous && name != DEFAULT_EXECUTION_ROLE {
            return invalid(OrgField::ExecutionRoleName, "`--execution-role-name` is for `--accounts` (self-managed permissions)\nhint: with `--ous`, StackSets uses the organization's service-linked roles; drop it");
        }
        if self.call_as == CallAsArg::DelegatedAdmin && !ous {
            // StackSets accepts DELEGATED_ADMIN for service-managed stack sets only.
            return invalid(OrgField::CallAs, "`--call-as delegated-admin` works with `--ous` (service-managed permissions) only\nhint: target OUs with `--ous`, or run as the account that administers self-managed stack sets (`--call-as self`)");
        }
        if self.failure_tolerance < 0 {
            return invalid(
                OrgField::FailureTolerance,
                "`--failure-tolerance` must be 0 or more",
            );
        }
        if self.max_concurrency < 1 {
            return invalid(
                OrgField::MaxConcurrency,
                "`--max-concurrency` must be 1 or more",
            );
        }
        if !self.soft_failure_tolerance && self.max_concurrency > self.failure_tolerance + 1 {
            // StackSets caps concurrency at the tolerance plus one, and refuses more.
            return invalid(OrgField::MaxConcurrency, format!("`--max-concurrency {}` is more than `--failure-tolerance {}` plus one, which StackSets refuses in its strict mode\nhint: `--max-concurrency {}`, raise the tolerance with `--failure-tolerance {}`, or add `--soft-failure-tolerance`", self.max_concurrency, self.failure_tolerance, self.failure_tolerance + 1, self.max_concurrency - 1));
        }
        Ok(())
    }

    /// The administration role the caller passes to CloudFormation: with self-managed
    /// permissions the one given or the account's default (`${AWS::...}` variables allowed);
    /// none with service-managed, where StackSets uses the organization's roles.
    pub fn administration_role(&self) -> Option<String> {
        match self.targets {
            Targets::Accounts(_) => {
                Some(self.administration_role_arn.clone().unwrap_or_else(|| {
                    harden_blueprints::iam_policy::DEFAULT_STACK_SET_ADMINISTRATION_ROLE.to_string()
                }))
            }
            Targets::Ous(_) => None,
        }
    }

    fn prefs(&self) -> StackSetOperationPreferences {
        StackSetOperationPreferences::builder()
            .region_concurrency_type(if self.parallel_regions {
                RegionConcurrencyType::Parallel
            } else {
                RegionConcurrencyType::Sequential
            })
            .set_region_order(Some(self.regions.clone()))
            .failure_tolerance_count(self.failure_tolerance)
            .max_concurrent_count(self.max_concurrency)
            .concurrency_mode(if self.soft_failure_tolerance {
                aws_sdk_cloudformation::types::ConcurrencyMode::SoftFailureTolerance
            } else {
                aws_sdk_cloudformation::types::ConcurrencyMode::StrictFailureTolerance
            })
            .build()
    }
}

/// Checks the blueprint (`--org` is for the account baseline only) and sets `home_region`
/// to the first region unless given. Returns `Err` with the usage message otherwise.
pub fn org_selection(sel: &Selection, o: &OrgOptions) -> std::result::Result<Selection, String> {
    if sel.blueprint.name() != ORG_BLUEPRINT {
        return Err(format!(
            "StackSets (`--org`, or an environment's `organization:`) deploy the `{ORG_BLUEPRINT}` blueprint only, not `{}`\nhint: deploy workloads per account with `harden deploy --blueprint {}`, and the baseline with `--blueprint {ORG_BLUEPRINT} --org`",
            sel.blueprint.name(),
            sel.blueprint.name()
        ));
    }
    let admin = sel
        .params
        .iter()
        .any(|(k, v)| k == "org_services" && v == "admin");
    if admin && matches!(o.targets, Targets::Ous(_)) {
        return Err("`org_services=admin` is the delegated administrator account's baseline, and `--ous` would deploy it to every account of the OUs\nhint: StackSets deploy `org_services=member` to the members; deploy `org_services=admin` in the delegated administrator alone (a stack per region, or `--accounts ID` with that account)".into());
    }
    let mut sel = sel.clone();
    if !sel.params.iter().any(|(k, _)| k == "home_region") {
        sel.params
            .push(("home_region".into(), o.regions[0].clone()));
    }
    Ok(sel)
}

/// One stack instance as StackSets reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Instance {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The OU the account was deployed through (SERVICE_MANAGED).
    pub ou: Option<String>,
    /// `CURRENT`, `OUTDATED`, `INOPERABLE`.
    pub status: String,
    /// `SUCCEEDED`, `FAILED`, `RUNNING`, ... (the detailed status).
    pub detailed: Option<String>,
    /// Why, when it is not current.
    pub reason: Option<String>,
}

/// The plan of one stack set, with what its deploy sends.
#[derive(Debug)]
pub struct Planned {
    /// The plan: template diff, security changes, data at risk, instances.
    pub set: StackSetPlan,
    body: String,
    parameters: IndexMap<String, String>,
    tags: IndexMap<String, String>,
}

fn call_as(o: &OrgOptions) -> CallAs {
    o.call_as.sdk()
}

/// Lists a stack set's instances.
pub async fn instances(c: &Client, name: &str, o: &OrgOptions) -> Result<Vec<Instance>> {
    let mut out = Vec::new();
    let mut next = None;
    loop {
        let r = c
            .list_stack_instances()
            .stack_set_name(name)
            .call_as(call_as(o))
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| explain("ListStackInstances", name, e))?;
        for s in r.summaries() {
            out.push(Instance {
                account: s.account().unwrap_or_default().to_string(),
                region: s.region().unwrap_or_default().to_string(),
                ou: s.organizational_unit_id().map(str::to_string),
                status: s
                    .status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
                detailed: s
                    .stack_instance_status()
                    .and_then(|d| d.detailed_status())
                    .map(|d| d.as_str().to_string()),
                reason: s.status_reason().map(str::to_string),
            });
        }
        next = r.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    Ok(out)
}

/// The stack sets of the selections' baselines (every stack the baseline may have, whatever
/// the tier), each once: what the caller's and the CI roles' policies name.
pub fn stack_set_names(selections: &[Selection]) -> Vec<String> {
    let mut names = Vec::new();
    for sel in selections {
        for (n, _) in sel.blueprint.stack_names(&sel.name) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// How the note on per-account GuardDuty and Security Hub begins.
const ACCOUNT_SERVICES: &str =
    "GuardDuty and Security Hub are this template's (`org_services=account`)";

/// Whether a template creates a GuardDuty detector.
fn has_detector(node: &harden_blueprints::cfn::Node) -> bool {
    node.get_path(&["Resources"])
        .and_then(harden_blueprints::cfn::Node::as_map)
        .is_some_and(|m| {
            m.values().any(|r| {
                r.get_path(&["Type"])
                    .and_then(harden_blueprints::cfn::Node::as_str)
                    == Some("AWS::GuardDuty::Detector")
            })
        })
}

/// Plans every stack set of the baseline.
pub async fn plan_org(aws: &Clients, sel: &Selection, o: &OrgOptions) -> Result<Vec<Planned>> {
    let c = &aws.cfn;
    let blueprint = sel.blueprint.name();
    let mut plans = Vec::new();
    for r in selection_stacks(sel)? {
        let name = r.spec.name.clone();
        let found = c
            .describe_stack_set()
            .stack_set_name(&name)
            .call_as(call_as(o))
            .send()
            .await;
        let existing = match found {
            Ok(out) => out.stack_set,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_stack_set_not_found_exception()) =>
            {
                None
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("reading stack set `{name}`")))
            }
        };
        let existing = existing.filter(|s| s.status().map(|x| x.as_str()) != Some("DELETED"));
        let deployed = match &existing {
            Some(s) => {
                let tags: IndexMap<String, String> = s
                    .tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                if tags.get(BLUEPRINT_TAG).map(String::as_str) != Some(blueprint) {
                    let owner = tags
                        .get(BLUEPRINT_TAG)
                        .map_or("not created by harden".to_string(), |b| {
                            format!("of blueprint {b}")
                        });
                    return exit::refuse(format!(
                        "stack set `{name}` exists and is {owner}: harden changes only stack sets it created from `{blueprint}`\nhint: harden's baseline stack sets have the baseline's stack names; remove or rename that stack set with the tool that made it, then deploy again"
                    ));
                }
                let template = harden_blueprints::cfn::parse::parse_template(
                    s.template_body().unwrap_or("{}"),
                )
                .map_err(|e| anyhow::anyhow!("reading the template of stack set `{name}`: {e}"))?;
                Some(Deployed {
                    template,
                    parameters: s
                        .parameters()
                        .iter()
                        .map(|p| {
                            (
                                p.parameter_key().unwrap_or_default().to_string(),
                                p.parameter_value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                    tags,
                    termination_protection: false,
                    stack_policy: None,
                    status: "UPDATE_COMPLETE".into(),
                })
            }
            None => None,
        };
        let desired = Desired {
            name: &name,
            template: &r.node,
            parameters: &r.spec.parameters,
            tags: &r.spec.tags,
            termination_protection: false,
            stack_policy: None,
            removed_by_parameters: &[],
        };
        let mut stack = plan_stack(&desired, deployed.as_ref(), None);
        stack.notes.extend(r.spec.notes.iter().cloned());
        if has_detector(&r.node) && !stack.notes.iter().any(|n| n.starts_with(ACCOUNT_SERVICES)) {
            stack.notes.push(format!("{ACCOUNT_SERVICES}: every instance creates its own GuardDuty detector and Security Hub hub, which fail where the organization's delegated administrator has already enabled them (auto-enable or central configuration)\nhint: in such an organization, add `--param org_services=member` (`org_services: member` in the project file) and deploy `org_services=admin` in the delegated administrator"));
        }
        let have = match &existing {
            Some(_) => instances(c, &name, o).await?,
            None => Vec::new(),
        };
        let key = |i: &Instance| match &o.targets {
            Targets::Accounts(_) => (i.account.clone(), i.region.clone()),
            Targets::Ous(_) => (i.ou.clone().unwrap_or_default(), i.region.clone()),
        };
        let wanted: Vec<(String, String)> = match &o.targets {
            Targets::Accounts(a) | Targets::Ous(a) => a
                .iter()
                .flat_map(|t| o.regions.iter().map(move |r| (t.clone(), r.clone())))
                .collect(),
        };
        let have_keys: Vec<(String, String)> = have.iter().map(key).collect();
        let create: Vec<_> = wanted
            .iter()
            .filter(|w| !have_keys.contains(w))
            .cloned()
            .collect();
        let mut remove: Vec<_> = have_keys
            .iter()
            .filter(|h| !wanted.contains(h))
            .cloned()
            .collect();
        remove.dedup();
        let mut update: Vec<_> = if stack.has_changes() {
            have_keys
                .iter()
                .filter(|h| wanted.contains(h))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        update.dedup();
        plans.push(Planned {
            set: StackSetPlan {
                stack,
                exists: existing.is_some(),
                kind: match o.targets {
                    Targets::Accounts(_) => TargetKind::Account,
                    Targets::Ous(_) => TargetKind::Ou,
                },
                create,
                update,
                remove,
                prune: o.prune,
            },
            body: body(&r.node),
            parameters: r.spec.parameters.clone(),
            tags: r.spec.tags.clone(),
        });
    }
    Ok(plans)
}

/// `harden plan --org`: prints the plan; exit 2 with `--detailed-exitcode` when it changes anything.
pub async fn plan_cmd(
    aws: &Clients,
    con: &Console,
    sel: &Selection,
    o: &OrgOptions,
    format: super::plan::PlanFormat,
    detailed_exitcode: bool,
) -> Result<u8> {
    let plans = plan_org(aws, sel, o).await?;
    let changes = plans.iter().any(|p| p.set.has_changes());
    print_plan(con, &plans, format)?;
    Ok(if detailed_exitcode && changes {
        exit::CHANGES
    } else {
        exit::SUCCESS
    })
}

fn print_plan(con: &Console, plans: &[Planned], format: super::plan::PlanFormat) -> Result<()> {
    use super::plan::PlanFormat;
    let sets: Vec<StackSetPlan> = plans.iter().map(|p| p.set.clone()).collect();
    let text = match format {
        PlanFormat::Text => harden_plan::render_stack_set_text(&sets, con.color_stdout()),
        PlanFormat::Markdown => harden_plan::render_stack_set_markdown(&sets),
        PlanFormat::Json => {
            serde_json::to_string_pretty(&harden_plan::render_stack_set_json(&sets))? + "\n"
        }
    };
    con.out().write_all(text.as_bytes())?;
    Ok(())
}

/// `harden deploy --org`: plan, the tier's approval, then the StackSet operations, watched to
/// their end with a line per instance. Exit 4 when instances failed.
pub async fn deploy_cmd(
    aws: &Clients,
    con: &Console,
    sel: &Selection,
    o: &OrgOptions,
    approval: Approval,
    again: &str,
) -> Result<u8> {
    let c = &aws.cfn;
    let plans = plan_org(aws, sel, o).await?;
    print_plan(con, &plans, super::plan::PlanFormat::Text)?;
    let mut err = con.err();
    if !plans.iter().any(|p| p.set.has_changes()) {
        writeln!(
            err,
            "no changes: every stack set and instance is up to date"
        )?;
        return Ok(exit::SUCCESS);
    }
    let risks = Risks {
        data_at_risk: plans
            .iter()
            .any(|p| p.set.stack.data_at_risk() || p.set.removes_instances()),
        broadens: plans.iter().any(|p| p.set.stack.broadens_access()),
        adopting: false,
    };
    match gate(sel.tier, risks, approval, con.interactive(), again) {
        Gate::Proceed => {}
        Gate::Ask(q) if con.confirm(&q).await => {}
        Gate::Ask(_) => {
            writeln!(err, "not deployed: declined")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
        Gate::Refuse(why) => {
            writeln!(err, "error: {why}")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
    }
    for p in &plans {
        let name = p.set.stack.name.as_str();
        let params: Vec<Parameter> = p
            .parameters
            .iter()
            .map(|(k, v)| {
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build()
            })
            .collect();
        let tags: Vec<Tag> = p
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        if !p.set.exists {
            let mut req = c
                .create_stack_set()
                .stack_set_name(name)
                .template_body(&p.body)
                .set_parameters(Some(params.clone()))
                .set_tags(Some(tags.clone()))
                .capabilities(Capability::CapabilityIam)
                .capabilities(Capability::CapabilityNamedIam)
                .call_as(call_as(o))
                .description(format!("harden {} ({})", sel.blueprint.name(), sel.tier));
            req = match &o.targets {
                Targets::Accounts(_) => req
                    .permission_model(PermissionModels::SelfManaged)
                    .set_administration_role_arn(o.administration_role_arn.clone())
                    .execution_role_name(&o.execution_role_name),
                Targets::Ous(_) => req
                    .permission_model(PermissionModels::ServiceManaged)
                    .auto_deployment(
                        AutoDeployment::builder()
                            .enabled(true)
                            .retain_stacks_on_account_removal(false)
                            .build(),
                    ),
            };
            req.send()
                .await
                .map_err(|e| explain("CreateStackSet", name, e))?;
            writeln!(err, "created stack set {name}")?;
        } else if p.set.stack.has_changes() && !p.set.update.is_empty() {
            let mut req = c
                .update_stack_set()
                .stack_set_name(name)
                .template_body(&p.body)
                .set_parameters(Some(params.clone()))
                .set_tags(Some(tags.clone()))
                .capabilities(Capability::CapabilityIam)
                .capabilities(Capability::CapabilityNamedIam)
                .operation_preferences(o.prefs())
                .call_as(call_as(o))
                .set_regions(Some(o.regions.clone()));
            req = match &o.targets {
                Targets::Accounts(a) => {
                    let keep: Vec<String> = a
                        .iter()
                        .filter(|x| p.set.update.iter().any(|(t, _)| t == *x))
                        .cloned()
                        .collect();
                    req.set_accounts(Some(keep))
                        .set_administration_role_arn(o.administration_role_arn.clone())
                        .execution_role_name(&o.execution_role_name)
                }
                Targets::Ous(ous) => req.deployment_targets(
                    DeploymentTargets::builder()
                        .set_organizational_unit_ids(Some(ous.clone()))
                        .build(),
                ),
            };
            let op = req
                .send()
                .await
                .map_err(|e| explain("UpdateStackSet", name, e))?
                .operation_id
                .unwrap_or_default();
            let total = match o.targets {
                Targets::Accounts(_) => Some(p.set.update.len()),
                Targets::Ous(_) => None,
            };
            let code = watch(c, con, name, &op, "update", total, o, again).await?;
            if code != exit::SUCCESS {
                return Ok(code);
            }
        } else if p.set.stack.has_changes() {
            // Template changed and no instance yet: the update has nothing to roll out.
            c.update_stack_set()
                .stack_set_name(name)
                .template_body(&p.body)
                .set_parameters(Some(params.clone()))
                .set_tags(Some(tags.clone()))
                .capabilities(Capability::CapabilityIam)
                .capabilities(Capability::CapabilityNamedIam)
                .call_as(call_as(o))
                .send()
                .await
                .map_err(|e| explain("UpdateStackSet", name, e))?;
        }
        if !p.set.create.is_empty() {
            let mut req = c
                .create_stack_instances()
                .stack_set_name(name)
                .operation_preferences(o.prefs())
                .call_as(call_as(o));
            let regions: Vec<String> = o
                .regions
                .iter()
                .filter(|r| p.set.create.iter().any(|(_, x)| x == *r))
                .cloned()
                .collect();
            let targets: Vec<String> = dedup(p.set.create.iter().map(|(t, _)| t.clone()));
            req = req.set_regions(Some(regions));
            req = match &o.targets {
                Targets::Accounts(_) => req.set_accounts(Some(targets)),
                Targets::Ous(_) => req.deployment_targets(
                    DeploymentTargets::builder()
                        .set_organizational_unit_ids(Some(targets))
                        .build(),
                ),
            };
            let op = req
                .send()
                .await
                .map_err(|e| explain("CreateStackInstances", name, e))?
                .operation_id
                .unwrap_or_default();
            let total = match o.targets {
                Targets::Accounts(_) => Some(p.set.create.len()),
                Targets::Ous(_) => None,
            };
            let code = watch(c, con, name, &op, "create instances", total, o, again).await?;
            if code != exit::SUCCESS {
                return Ok(code);
            }
        }
        if o.prune && !p.set.remove.is_empty() {
            let code = remove_instances(c, con, name, &p.set.remove, o, again).await?;
            if code != exit::SUCCESS {
                return Ok(code);
            }
        }
    }
    Ok(exit::SUCCESS)
}

fn dedup(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for x in it {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// Deletes instances `(account or OU, region)` (their stacks are deleted, not retained) and
/// watches the operation.
pub async fn remove_instances(
    c: &Client,
    con: &Console,
    name: &str,
    which: &[(String, String)],
    o: &OrgOptions,
    again: &str,
) -> Result<u8> {
    let regions: Vec<String> = dedup(which.iter().map(|(_, r)| r.clone()));
    let targets: Vec<String> = dedup(which.iter().map(|(t, _)| t.clone()));
    let mut req = c
        .delete_stack_instances()
        .stack_set_name(name)
        .retain_stacks(false)
        .set_regions(Some(regions))
        .operation_preferences(o.prefs())
        .call_as(call_as(o));
    req = match &o.targets {
        Targets::Accounts(_) => req.set_accounts(Some(targets)),
        Targets::Ous(_) => req.deployment_targets(
            DeploymentTargets::builder()
                .set_organizational_unit_ids(Some(targets))
                .build(),
        ),
    };
    let op = req
        .send()
        .await
        .map_err(|e| explain("DeleteStackInstances", name, e))?
        .operation_id
        .unwrap_or_default();
    let total = match o.targets {
        Targets::Accounts(_) => Some(which.len()),
        Targets::Ous(_) => None,
    };
    watch(c, con, name, &op, "remove instances", total, o, again).await
}

/// What a running operation shows: a line per instance as it ends (CI, logs), or, on a
/// terminal, the same lines above a bar of the instances done.
enum Watcher {
    Lines,
    Bar(indicatif::ProgressBar),
}

impl Watcher {
    fn new(con: &Console, name: &str, total: Option<u64>) -> Watcher {
        if !con.progress_bar() {
            return Watcher::Lines;
        }
        let bar = crate::ui::progress_bar(
            name,
            total,
            if total.is_some() {
                "instances"
            } else {
                "instance(s)"
            },
        );
        Watcher::Bar(bar)
    }

    /// An instance that ended.
    fn ended(&self, con: &Console, line: &str) -> Result<()> {
        match self {
            Watcher::Lines => writeln!(con.err(), "{line}")?,
            Watcher::Bar(b) => {
                b.println(line);
                b.inc(1);
            }
        }
        Ok(())
    }

    /// The instances still running.
    fn running(&self, which: &[String]) {
        if let Watcher::Bar(b) = self {
            let shown: Vec<&str> = which.iter().take(4).map(String::as_str).collect();
            let more = which.len().saturating_sub(shown.len());
            let tail = if more > 0 {
                format!(" +{more}")
            } else {
                String::new()
            };
            b.set_message(if shown.is_empty() {
                String::new()
            } else {
                format!("running: {}{tail}", shown.join(", "))
            });
        }
    }

    fn finish(&self) {
        if let Watcher::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}

/// Whether an instance's result of an operation is its last.
fn instance_ended(status: &str) -> bool {
    matches!(status, "SUCCEEDED" | "FAILED" | "CANCELLED")
}

/// Polls an operation with backoff to its end, showing each instance as it ends (a line,
/// or a bar on a terminal: `total` instances when known); exit 4 with the first failed
/// instance's reason as the headline when it failed.
#[allow(clippy::too_many_arguments)]
async fn watch(
    c: &Client,
    con: &Console,
    name: &str,
    op: &str,
    what: &str,
    total: Option<usize>,
    o: &OrgOptions,
    again: &str,
) -> Result<u8> {
    writeln!(con.err(), "stack set {name}: {what} (operation {op})")?;
    let resume = format!(
        "aws cloudformation describe-stack-set-operation --stack-set-name {name} --operation-id {op}{}",
        if o.call_as == CallAsArg::DelegatedAdmin { " --call-as DELEGATED_ADMIN" } else { "" }
    );
    let interrupted = |w: &Watcher| -> Result<u8> {
        w.finish();
        writeln!(con.err(), "interrupted: operation {op} of stack set {name} is still running\nhint: follow it with `{resume}`, or `{again}` once it ends")?;
        Ok(exit::ERROR)
    };
    let watcher = Watcher::new(con, name, total.map(|n| n as u64));
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut failed: Option<String> = None;
    let mut show = |results: &[(String, String, String, Option<String>)]| -> Result<()> {
        let mut running = Vec::new();
        for (account, region, st, reason) in results {
            let key = (account.clone(), region.clone());
            if !instance_ended(st) {
                running.push(format!("{account} {region}"));
                continue;
            }
            if shown.contains(&key) {
                continue;
            }
            shown.push(key);
            watcher.ended(
                con,
                &format!(
                    "  {account} {region} {st}{}",
                    reason
                        .as_deref()
                        .filter(|r| !r.is_empty())
                        .map_or(String::new(), |r| format!(": {r}"))
                ),
            )?;
            if st == "FAILED" && failed.is_none() {
                failed = Some(format!(
                    "stack set {name}: instance {account} {region} failed: {}",
                    reason.as_deref().unwrap_or("no reason given")
                ));
            }
        }
        watcher.running(&running);
        Ok(())
    };
    let mut wait = con.poll().min(Duration::from_secs(1));
    let status = loop {
        let r = tokio::select! {
            r = c.describe_stack_set_operation().stack_set_name(name).operation_id(op).call_as(call_as(o)).send() => r,
            _ = tokio::signal::ctrl_c() => return interrupted(&watcher),
        };
        let r = r.map_err(|e| explain("DescribeStackSetOperation", name, e))?;
        let status = r
            .stack_set_operation()
            .and_then(|s| s.status())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if !matches!(status.as_str(), "RUNNING" | "QUEUED" | "STOPPING") {
            break status;
        }
        // The instances that ended so far, while the others run.
        let results = tokio::select! {
            r = operation_results(c, name, op, o) => r?,
            _ = tokio::signal::ctrl_c() => return interrupted(&watcher),
        };
        show(&results)?;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => return interrupted(&watcher),
        }
        wait = (wait * 2).min(Duration::from_secs(10));
    };
    let results = operation_results(c, name, op, o).await?;
    show(&results)?;
    watcher.finish();
    let mut err = con.err();
    if status == "SUCCEEDED" {
        writeln!(
            err,
            "stack set {name}: {what} succeeded ({} instance(s))",
            results.len()
        )?;
        return Ok(exit::SUCCESS);
    }
    let headline =
        failed.unwrap_or_else(|| format!("stack set {name}: operation {op} ended {status}"));
    writeln!(
        err,
        "error: {headline}\nhint: see the instances above; `harden status --org` shows them again"
    )?;
    Ok(exit::ROLLED_BACK)
}

/// `(account, region, status, reason)` of each instance an operation touched.
async fn operation_results(
    c: &Client,
    name: &str,
    op: &str,
    o: &OrgOptions,
) -> Result<Vec<(String, String, String, Option<String>)>> {
    let mut out = Vec::new();
    let mut next = None;
    loop {
        let r = c
            .list_stack_set_operation_results()
            .stack_set_name(name)
            .operation_id(op)
            .call_as(call_as(o))
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| explain("ListStackSetOperationResults", name, e))?;
        for s in r.summaries() {
            out.push((
                s.account().unwrap_or_default().to_string(),
                s.region().unwrap_or_default().to_string(),
                s.status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
                s.status_reason().map(str::to_string),
            ));
        }
        next = r.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    // Region order as deployed, then account.
    let pos: BTreeMap<&str, usize> = o
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    out.sort_by(|a, b| (pos.get(a.1.as_str()), &a.0).cmp(&(pos.get(b.1.as_str()), &b.0)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(targets: Targets) -> OrgOptions {
        OrgOptions {
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            targets,
            call_as: CallAsArg::SelfAccount,
            administration_role_arn: None,
            execution_role_name: DEFAULT_EXECUTION_ROLE.into(),
            failure_tolerance: 0,
            max_concurrency: 1,
            parallel_regions: false,
            soft_failure_tolerance: false,
            prune: false,
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(validate_account("123456789012").is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            let e = validate_account(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("`--accounts`") && e.contains("12 digits"),
                "{e}"
            );
        }
    }

    #[test]
    fn ou_ids_follow_the_organizations_pattern() {
        assert!(validate_ou("ou-ab12-cd34ef56").is_ok());
        for bad in [
            "ou-ab1-cd34ef56",
            "ou-ab12-cd34",
            "ab12-cd34ef56",
            "ou-AB12-cd34ef56",
            "r-ab12",
        ] {
            let e = validate_ou(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("`--ous`") && e.contains("ou-ab12-cd34ef56"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn region_names_are_checked() {
        for ok in ["eu-west-1", "us-gov-west-1", "ap-southeast-5"] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in ["eu-west", "euwest1", "EU-west-1", "eu-west-x", "e-west-1"] {
            assert!(
                validate_region(bad)
                    .unwrap_err()
                    .to_string()
                    .starts_with("`--regions`"),
                "{bad}"
            );
        }
    }

    #[test]
    fn options_are_validated_before_any_call() {
        assert!(opts(Targets::Accounts(vec!["123456789012".into()]))
            .validate()
            .is_ok());
        let mut o = opts(Targets::Accounts(vec!["123456789012".into()]));
        o.regions.push("eu-west-1".into());
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("given twice"));
        let mut o = opts(Targets::Ous(vec!["ou-ab12-cd34ef56".into()]));
        o.administration_role_arn = Some("arn:aws:iam::123456789012:role/A".into());
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("for `--accounts`"));
        let mut o = opts(Targets::Accounts(vec!["123456789012".into()]));
        o.max_concurrency = 3;
        o.failure_tolerance = 0;
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("`--max-concurrency 1`"));
        let mut o = opts(Targets::Accounts(vec!["123456789012".into()]));
        o.call_as = CallAsArg::DelegatedAdmin;
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("with `--ous`"));
        let mut o = opts(Targets::Accounts(vec!["123456789012".into()]));
        o.regions.clear();
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("needs `--regions`"));
    }

    #[test]
    fn safe_operation_preferences_by_default() {
        let p = opts(Targets::Accounts(vec!["123456789012".into()])).prefs();
        assert_eq!(p.failure_tolerance_count(), Some(0));
        assert_eq!(p.max_concurrent_count(), Some(1));
        assert_eq!(
            p.region_concurrency_type(),
            Some(&RegionConcurrencyType::Sequential)
        );
        assert_eq!(p.region_order(), ["eu-west-1", "us-east-1"]);
        assert_eq!(
            p.concurrency_mode(),
            Some(&aws_sdk_cloudformation::types::ConcurrencyMode::StrictFailureTolerance)
        );
    }

    /// A refusal names the value refused, which a project file points at.
    #[test]
    fn a_refused_value_is_named() {
        let mut o = opts(Targets::Ous(vec![
            "ou-ab12-cd34ef56".into(),
            "ou-bad".into(),
        ]));
        assert_eq!(o.check().unwrap_err().field, OrgField::Target(1));
        o.targets = Targets::Ous(vec!["ou-ab12-cd34ef56".into()]);
        o.execution_role_name = "MyExecutionRole".into();
        let e = o.check().unwrap_err();
        assert_eq!(e.field, OrgField::ExecutionRoleName);
        assert!(e.message.contains("is for `--accounts`"), "{}", e.message);
        o.execution_role_name = DEFAULT_EXECUTION_ROLE.into();
        o.regions.push("eu-west-1".into());
        assert_eq!(o.check().unwrap_err().field, OrgField::Region(2));
        o.regions.pop();
        o.check().unwrap();
    }

    /// The soft mode is sent when asked for, and lets concurrency pass the tolerance plus one,
    /// which the strict mode refuses before any call.
    #[test]
    fn the_soft_failure_tolerance_mode_is_sent_and_lifts_the_concurrency_cap() {
        let mut o = opts(Targets::Accounts(vec!["123456789012".into()]));
        o.max_concurrency = 5;
        let e = o.validate().unwrap_err().to_string();
        assert!(e.contains("or add `--soft-failure-tolerance`"), "{e}");
        o.soft_failure_tolerance = true;
        o.validate().unwrap();
        assert_eq!(
            o.prefs().concurrency_mode(),
            Some(&aws_sdk_cloudformation::types::ConcurrencyMode::SoftFailureTolerance)
        );
        assert_eq!(o.prefs().max_concurrent_count(), Some(5));
    }
}

/// The stack sets of a baseline named `name` that exist, with their permission model, in
/// deployment order; refuses (exit 5) one harden did not create from `blueprint`.
async fn existing_sets(
    c: &Client,
    blueprint: &'static dyn harden_blueprints::Blueprint,
    name: &str,
    call: CallAsArg,
) -> Result<Vec<(String, bool)>> {
    let mut out = Vec::new();
    for (set, _) in blueprint.stack_names(name) {
        let found = c
            .describe_stack_set()
            .stack_set_name(&set)
            .call_as(call.sdk())
            .send()
            .await;
        let s = match found {
            Ok(o) => o.stack_set,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_stack_set_not_found_exception()) =>
            {
                None
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("reading stack set `{set}`")))
            }
        };
        let Some(s) = s.filter(|s| s.status().map(|x| x.as_str()) != Some("DELETED")) else {
            continue;
        };
        let tag = s
            .tags()
            .iter()
            .find(|t| t.key() == Some(BLUEPRINT_TAG))
            .and_then(|t| t.value());
        if tag != Some(blueprint.name()) {
            return exit::refuse(format!(
                "stack set `{set}` is {}: harden acts only on stack sets it created from `{}`\nhint: it is left as it is; remove it with the tool that made it",
                tag.map_or("not created by harden".to_string(), |b| format!("of blueprint {b}")),
                blueprint.name()
            ));
        }
        let service = s.permission_model() == Some(&PermissionModels::ServiceManaged);
        out.push((set, service));
    }
    Ok(out)
}

/// `harden status --org`: each stack set of the baseline and a line per instance (account,
/// region, status and its reason). Exit 4 when an instance is not current.
pub async fn status_cmd(
    c: &Client,
    con: &Console,
    blueprint: &'static dyn harden_blueprints::Blueprint,
    name: &str,
    call: CallAsArg,
    json: bool,
) -> Result<u8> {
    let o = OrgOptions {
        regions: Vec::new(),
        targets: Targets::Accounts(Vec::new()),
        call_as: call,
        administration_role_arn: None,
        execution_role_name: DEFAULT_EXECUTION_ROLE.into(),
        failure_tolerance: 0,
        max_concurrency: 1,
        parallel_regions: false,
        soft_failure_tolerance: false,
        prune: false,
    };
    let sets = existing_sets(c, blueprint, name, call).await?;
    let mut out = con.out();
    if json {
        // For machines: each stack set, its permission model and its instances; exit 4 when
        // an instance is not current, as in text.
        let mut code = exit::SUCCESS;
        let mut doc = Vec::new();
        for (set, service) in sets {
            let list = instances(c, &set, &o).await?;
            if list.iter().any(|i| i.status != "CURRENT") {
                code = exit::ROLLED_BACK;
            }
            doc.push(serde_json::json!({
                "name": set,
                "permission_model": if service { "SERVICE_MANAGED" } else { "SELF_MANAGED" },
                "instances": list,
            }));
        }
        let text = serde_json::to_string_pretty(&serde_json::json!({ "stack_sets": doc }))?;
        writeln!(out, "{text}")?;
        return Ok(code);
    }
    if sets.is_empty() {
        writeln!(out, "no stack set of `{name}` is deployed")?;
        return Ok(exit::SUCCESS);
    }
    let mut code = exit::SUCCESS;
    for (set, service) in sets {
        let list = instances(c, &set, &o).await?;
        writeln!(
            out,
            "stack set {set} ({}): {} instance(s)",
            if service {
                "service-managed"
            } else {
                "self-managed"
            },
            list.len()
        )?;
        for i in &list {
            writeln!(
                out,
                "  {} {}{} {}{}{}",
                i.account,
                i.region,
                i.ou.as_deref().map_or(String::new(), |u| format!(" ({u})")),
                i.status,
                i.detailed
                    .as_deref()
                    .map_or(String::new(), |d| format!(" {d}")),
                i.reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .map_or(String::new(), |r| format!(": {r}"))
            )?;
            if i.status != "CURRENT" {
                code = exit::ROLLED_BACK;
            }
        }
    }
    Ok(code)
}

/// `harden destroy --org`: deletes every instance (their stacks are deleted, not retained:
/// the baseline's retained resources stay by their own deletion policies) and then each stack
/// set, the last one first. Refuses a stack set harden did not create.
pub async fn destroy_cmd(
    c: &Client,
    con: &Console,
    blueprint: &'static dyn harden_blueprints::Blueprint,
    name: &str,
    call: CallAsArg,
    yes: bool,
    again: &str,
) -> Result<u8> {
    let sets = existing_sets(c, blueprint, name, call).await?;
    let mut err = con.err();
    if sets.is_empty() {
        writeln!(
            err,
            "no stack set of `{name}` is deployed: nothing to destroy"
        )?;
        return Ok(exit::SUCCESS);
    }
    let probe = OrgOptions {
        regions: Vec::new(),
        targets: Targets::Accounts(Vec::new()),
        call_as: call,
        administration_role_arn: None,
        execution_role_name: DEFAULT_EXECUTION_ROLE.into(),
        failure_tolerance: 0,
        max_concurrency: 1,
        parallel_regions: false,
        soft_failure_tolerance: false,
        prune: true,
    };
    let mut all = Vec::new();
    for (set, service) in sets.iter().rev() {
        let list = instances(c, set, &probe).await?;
        writeln!(
            err,
            "stack set {set}: {} instance(s) to delete, then the stack set",
            list.len()
        )?;
        for i in &list {
            writeln!(err, "  - {} {}", i.account, i.region)?;
        }
        all.push((set.clone(), *service, list));
    }
    if !yes {
        if !con.interactive() {
            writeln!(err, "error: approval needed: there is no terminal to ask\nhint: to delete them, run `{again} --yes`")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
        if !con
            .confirm("Delete these stack instances and stack sets?")
            .await
        {
            writeln!(err, "not destroyed: declined")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
    }
    for (set, service, list) in all {
        if !list.is_empty() {
            let regions = dedup(list.iter().map(|i| i.region.clone()));
            let (targets, which): (Targets, Vec<(String, String)>) = if service {
                let ous = dedup(list.iter().filter_map(|i| i.ou.clone()));
                (
                    Targets::Ous(ous),
                    list.iter()
                        .map(|i| (i.ou.clone().unwrap_or_default(), i.region.clone()))
                        .collect(),
                )
            } else {
                (
                    Targets::Accounts(dedup(list.iter().map(|i| i.account.clone()))),
                    list.iter()
                        .map(|i| (i.account.clone(), i.region.clone()))
                        .collect(),
                )
            };
            let o = OrgOptions {
                regions,
                targets,
                ..probe.clone()
            };
            let code = remove_instances(c, con, &set, &which, &o, again).await?;
            if code != exit::SUCCESS {
                return Ok(code);
            }
        }
        c.delete_stack_set()
            .stack_set_name(&set)
            .call_as(call.sdk())
            .send()
            .await
            .map_err(|e| explain("DeleteStackSet", &set, e))?;
        writeln!(err, "deleted stack set {set}")?;
    }
    Ok(exit::SUCCESS)
}

/// The policy of the role that runs `harden plan|deploy|status|destroy --org` in one account
/// and region (`harden iam-policy --org`): [`harden_blueprints::iam_policy::stack_set_policy`],
/// which the bootstrap's CI roles of an organization environment carry too.
pub fn caller_policy(
    names: &[String],
    partition: &str,
    account: &str,
    region: &str,
    administration_role: Option<&str>,
) -> serde_json::Value {
    use harden_blueprints::iam_policy::{stack_set_policy, Arns};
    let arns = Arns::Concrete {
        partition,
        region,
        account,
    };
    let doc = harden_blueprints::cfn::policy::PolicyDocument::new(stack_set_policy(
        names,
        administration_role,
        &arns,
        true,
    ));
    serde_json::from_str(&harden_blueprints::cfn::render::to_json(
        &doc.to_expr().to_node_tree(),
    ))
    .expect("a policy renders as JSON")
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn policy(admin: Option<&str>) -> serde_json::Value {
        caller_policy(
            &[
                "harden-account-baseline".into(),
                "harden-account-monitoring".into(),
            ],
            "aws",
            "123456789012",
            "eu-west-1",
            admin,
        )
    }

    #[test]
    fn the_caller_policy_names_only_the_baselines_stack_sets_and_no_wildcard_action() {
        let p = policy(Some(
            "arn:aws:iam::123456789012:role/AWSCloudFormationStackSetAdministrationRole",
        ));
        let st = &p["Statement"];
        for s in st.as_array().unwrap() {
            let actions = match &s["Action"] {
                serde_json::Value::String(a) => vec![a.clone()],
                v => v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
            };
            assert!(actions.iter().all(|a| !a.contains('*')), "{s}");
        }
        for (i, n) in [(0, 2), (1, 4)] {
            let r = st[i]["Resource"].as_array().unwrap();
            assert_eq!(r.len(), n, "{}", st[i]);
            assert_eq!(
                r[0],
                "arn:aws:cloudformation:eu-west-1:123456789012:stackset/harden-account-baseline:*"
            );
            assert_eq!(
                r[1],
                "arn:aws:cloudformation:eu-west-1:123456789012:stackset/harden-account-monitoring:*"
            );
        }
        // The one action IAM evaluates against `*` only, alone in its statement.
        assert_eq!(
            st[2]["Action"],
            serde_json::json!(["cloudformation:CreateStackSet"])
        );
        assert_eq!(st[2]["Resource"], serde_json::json!(["*"]));
        assert_eq!(
            st[3]["Condition"]["StringEquals"]["iam:PassedToService"],
            "cloudformation.amazonaws.com"
        );
        // Service-managed: StackSets uses the organization's roles, nothing is passed.
        let p = policy(None);
        assert_eq!(p["Statement"].as_array().unwrap().len(), 3);
    }

    /// Every StackSet call of this module is in the policy, so the printed policy and the CI
    /// roles cannot fall behind the code.
    #[test]
    fn every_stack_set_call_is_in_the_policy() {
        use harden_blueprints::iam_policy::{STACK_SET_READ, STACK_SET_WRITE};
        let source = include_str!("org.rs");
        let mut called = std::collections::BTreeSet::new();
        for part in source.split(".").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if part[name.len()..].starts_with("()")
                && name.contains("stack_set")
                && ["create_", "update_", "delete_", "describe_", "list_"]
                    .iter()
                    .any(|p| name.starts_with(p))
                || [
                    "create_stack_instances",
                    "delete_stack_instances",
                    "list_stack_instances",
                ]
                .contains(&name.as_str())
                    && part[name.len()..].starts_with("()")
            {
                let camel: String = name
                    .split('_')
                    .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                    .collect();
                called.insert(format!("cloudformation:{camel}"));
            }
        }
        assert!(called.len() >= 8, "{called:?}");
        for action in &called {
            assert!(
                STACK_SET_READ.contains(&action.as_str())
                    || STACK_SET_WRITE.contains(&action.as_str())
                    || action == "cloudformation:CreateStackSet",
                "{action} is called and not in the policy"
            );
        }
    }
}
