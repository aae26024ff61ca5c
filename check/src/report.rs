//! `harden report`'s core: the compliance matrix of rendered stacks. For each stack, each
//! control of its tier that the stack carries (resources name their controls in
//! `Metadata.harden.Controls`; stack-wide ones such as termination protection are listed only
//! in the template's own `Metadata.harden.Controls`), the resources that satisfy it and its
//! CIS and Security Hub ids; the controls of the tier the stack does not carry, and why (a
//! waiver written into `Metadata.harden.Waivers`, or no resource of the stack needing it); the
//! exceptions (suppressed findings, with their reasons); the unsuppressed findings of `check`;
//! and the blueprint's deviations from its guide (`Metadata.harden.Deviations`).
//!
//! Pure: it takes the rendered templates' names, texts and tiers (and, when the caller read
//! them from the account, the Security Hub standards it has on: [`AccountStandards`]) and
//! reads nothing else, so the same matrix comes from the CLI, a test or a benchmark. The outputs (Markdown, HTML,
//! JSON) are in [`markdown`], [`html`] and [`json`]; all three are deterministic.

pub mod html;
pub mod json;
pub mod markdown;

use std::collections::BTreeMap;

use harden_blueprints::cfn::parse::parse;
use harden_blueprints::cfn::Node;
use harden_blueprints::controls;
use harden_blueprints::rules::Severity;
use harden_blueprints::standards::{self, Standard};
use harden_blueprints::Tier;
use serde::Serialize;

use crate::{check_text, Finding, Settings};

/// One rendered stack to report on.
#[derive(Debug, Clone, Copy)]
pub struct StackInput<'a> {
    /// The stack's name.
    pub name: &'a str,
    /// The rendered template.
    pub text: &'a str,
    /// The tier it was rendered at.
    pub tier: Tier,
}

/// The matrix of every stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    /// The tier asked for.
    pub tier: String,
    /// Per stack, in the order given.
    pub stacks: Vec<StackReport>,
    /// The Security Hub standards the reported stacks enable (`AWS::SecurityHub::Standard`),
    /// which the account has on once they are deployed; the account's own are not read.
    pub standards: Vec<StandardRow>,
    /// Each Security Hub id the applied controls claim, with the standards that evaluate it
    /// and whether one of the account's enabled standards does ([`Compliance::account`]), or
    /// without those, one of [`Compliance::standards`].
    pub security_hub: Vec<SecurityHubRow>,
    /// The standards the account has on, when they were read (`--account-standards`).
    pub account: Option<AccountRow>,
    /// Totals over the stacks.
    pub summary: Summary,
}

/// A Security Hub standard a reported stack enables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandardRow {
    /// harden's key of it (`fsbp`, `cis-3.0`, `pci-4.0.1`...).
    pub key: String,
    /// Its name in Security Hub.
    pub title: String,
    /// The stack that enables it.
    pub stack: String,
}

/// What the caller read of the account's Security Hub (`GetEnabledStandards`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStandards {
    /// The account id, when known.
    pub account: Option<String>,
    /// The region read.
    pub region: String,
    /// Whether Security Hub is on in the account and region.
    pub security_hub: bool,
    /// The enabled standards harden knows.
    pub enabled: Vec<Standard>,
    /// The ARNs of enabled standards harden does not know.
    pub unknown: Vec<String>,
}

/// The account's Security Hub standards, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    /// The account id, when known.
    pub account: Option<String>,
    /// The region read.
    pub region: String,
    /// Whether Security Hub is on there.
    pub security_hub: bool,
    /// The enabled standards harden knows: key and title.
    pub enabled: Vec<AccountStandardRow>,
    /// The ARNs of enabled standards harden does not know.
    pub unknown: Vec<String>,
}

impl AccountRow {
    /// What the account has on, in one sentence of plain text.
    pub fn sentence(&self) -> String {
        let who = match &self.account {
            Some(a) => format!("Account {a}"),
            None => "The account".to_string(),
        };
        if !self.security_hub {
            return format!(
                "{who} has Security Hub off in {}: no claimed id produces a finding there until it is on (the account baseline enables it from enhanced).",
                self.region
            );
        }
        let mut on: Vec<String> = self
            .enabled
            .iter()
            .map(|s| format!("{} ({})", s.title, s.key))
            .collect();
        if !self.unknown.is_empty() {
            on.push(format!(
                "{} standard(s) harden has no record of ({})",
                self.unknown.len(),
                self.unknown.join(", ")
            ));
        }
        if on.is_empty() {
            format!(
                "{who} has Security Hub on in {} with no standard enabled.",
                self.region
            )
        } else {
            format!("{who} has on in {}: {}.", self.region, on.join(", "))
        }
    }
}

/// A standard the account has on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountStandardRow {
    /// harden's key of it.
    pub key: String,
    /// Its name in Security Hub.
    pub title: String,
}

/// A claimed Security Hub control id and the standards that evaluate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityHubRow {
    /// The id (`S3.1`).
    pub id: String,
    /// AWS's title, from harden's record.
    pub title: String,
    /// The standards that include it (keys), from harden's record.
    pub standards: Vec<String>,
    /// Whether a standard of [`Compliance::standards`] evaluates it.
    pub evaluated: bool,
    /// The same in words.
    pub verdict: String,
    /// The applied controls that claim it.
    pub controls: Vec<String>,
}

/// Totals of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Stacks reported.
    pub stacks: usize,
    /// Controls applied, summed over the stacks.
    pub controls: usize,
    /// Controls of the tiers not applicable, summed.
    pub not_applicable: usize,
    /// Suppressed findings.
    pub exceptions: usize,
    /// Unsuppressed findings.
    pub findings: usize,
    /// Unsuppressed findings at or above each stack's threshold.
    pub failing: usize,
}

/// One stack's matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackReport {
    /// The stack's name.
    pub stack: String,
    /// The tier it was rendered at.
    pub tier: String,
    /// The blueprint that rendered it (`Metadata.harden.Blueprint`), when it says.
    pub blueprint: Option<String>,
    /// How many resources it has.
    pub resources: usize,
    /// The threshold its findings are failed at (the tier's).
    pub fail_on: String,
    /// The controls it carries.
    pub controls: Vec<ControlRow>,
    /// The controls of its tier it does not carry, and why.
    pub not_applicable: Vec<NotApplicable>,
    /// Findings excepted by a suppression, with the reason.
    pub exceptions: Vec<Exception>,
    /// Unsuppressed findings of `check`.
    pub findings: Vec<Finding>,
    /// Where the blueprint departs from its guide, and why.
    pub deviations: Vec<DeviationRow>,
    /// What the reader should know (an unreadable template, a transform not expanded).
    pub notes: Vec<String>,
}

/// A control a stack carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlRow {
    /// The control's id.
    pub id: String,
    /// What it does.
    pub title: String,
    /// The tier that switches it on.
    pub tier: String,
    /// CIS AWS Foundations v3.0.0 recommendations.
    pub cis: Vec<String>,
    /// Security Hub controls.
    pub security_hub: Vec<String>,
    /// The resources (logical ids) that name it; empty when it is a setting of the stack
    /// itself (termination protection, a stack policy).
    pub resources: Vec<String>,
}

/// A control of the tier a stack does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotApplicable {
    /// The control's id.
    pub id: String,
    /// What it does.
    pub title: String,
    /// The tier that switches it on.
    pub tier: String,
    /// CIS AWS Foundations v3.0.0 recommendations.
    pub cis: Vec<String>,
    /// Security Hub controls.
    pub security_hub: Vec<String>,
    /// Why it is not applied.
    pub reason: String,
    /// Whether a waiver switched it off (rather than nothing in the stack needing it).
    pub waived: bool,
}

/// A suppressed finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// The rule excepted.
    pub rule: String,
    /// The resource (logical id).
    pub resource: String,
    /// Its type.
    pub resource_type: String,
    /// Where, `file:line`.
    pub line: usize,
    /// Why.
    pub reason: String,
    /// The same rule in other scanners.
    pub equivalents: BTreeMap<String, Vec<String>>,
}

/// A departure from the blueprint's guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviationRow {
    /// What the guide does.
    pub guide: String,
    /// What harden does instead.
    pub harden: String,
    /// Why.
    pub reason: String,
}

/// Said of a control of the tier no resource of the stack carries.
pub const NOT_NEEDED: &str = "no resource of this stack needs it";

/// Builds the matrix of the stacks, checked at `tier` (each stack's own tier when higher).
pub fn build(tier: Tier, inputs: &[StackInput]) -> Compliance {
    build_with(tier, inputs, None)
}

/// [`build`], with the account's enabled Security Hub standards deciding which claimed ids
/// are evaluated (instead of the standards the stacks enable).
pub fn build_with(
    tier: Tier,
    inputs: &[StackInput],
    account: Option<&AccountStandards>,
) -> Compliance {
    let stacks: Vec<StackReport> = inputs.iter().map(|s| stack(tier.max(s.tier), s)).collect();
    let summary = Summary {
        stacks: stacks.len(),
        controls: stacks.iter().map(|s| s.controls.len()).sum(),
        not_applicable: stacks.iter().map(|s| s.not_applicable.len()).sum(),
        exceptions: stacks.iter().map(|s| s.exceptions.len()).sum(),
        findings: stacks.iter().map(|s| s.findings.len()).sum(),
        failing: stacks
            .iter()
            .map(|s| {
                let fail_on: Severity = s.fail_on.parse().expect("written from a severity");
                s.findings.iter().filter(|f| f.severity >= fail_on).count()
            })
            .sum(),
    };
    let (standards, security_hub) = security_hub_rows(inputs, &stacks, account);
    Compliance {
        tier: tier.as_str().to_string(),
        stacks,
        standards,
        security_hub,
        account: account.map(|a| AccountRow {
            account: a.account.clone(),
            region: a.region.clone(),
            security_hub: a.security_hub,
            enabled: a
                .enabled
                .iter()
                .map(|s| AccountStandardRow {
                    key: s.key().to_string(),
                    title: s.title().to_string(),
                })
                .collect(),
            unknown: a.unknown.clone(),
        }),
        summary,
    }
}

/// The standard an `AWS::SecurityHub::Standard`'s `StandardsArn` names (a string or an
/// `Fn::Sub`), if harden knows it.
fn enabled_standard(res: &Node) -> Option<Standard> {
    if res.get_path(&["Type"]).and_then(Node::as_str) != Some("AWS::SecurityHub::Standard") {
        return None;
    }
    let arn = res.get_path(&["Properties", "StandardsArn"])?;
    let arn = arn
        .as_str()
        .or_else(|| arn.get_path(&["Fn::Sub"]).and_then(Node::as_str))?;
    Standard::from_arn(arn)
}

fn security_hub_rows(
    inputs: &[StackInput],
    stacks: &[StackReport],
    account: Option<&AccountStandards>,
) -> (Vec<StandardRow>, Vec<SecurityHubRow>) {
    let mut standards: Vec<(Standard, String)> = Vec::new();
    for s in inputs {
        let Ok(root) = parse(s.text) else { continue };
        let Some(rs) = root.get_path(&["Resources"]).and_then(Node::as_map) else {
            continue;
        };
        for res in rs.values() {
            if let Some(st) = enabled_standard(res) {
                if !standards.iter().any(|(x, _)| *x == st) {
                    standards.push((st, s.name.to_string()));
                }
            }
        }
    }
    standards.sort();
    let enabled: Vec<Standard> = match account {
        // Security Hub off: nothing evaluates anything.
        Some(a) if !a.security_hub => Vec::new(),
        Some(a) => a.enabled.clone(),
        None => standards.iter().map(|(s, _)| *s).collect(),
    };
    let mut rows: Vec<SecurityHubRow> = Vec::new();
    for r in stacks.iter().flat_map(|s| &s.controls) {
        for id in &r.security_hub {
            let i = match rows.iter().position(|x| x.id == *id) {
                Some(i) => i,
                None => {
                    let e = standards::find(id);
                    rows.push(SecurityHubRow {
                        id: id.clone(),
                        title: e.map(|e| e.title.clone()).unwrap_or_default(),
                        standards: e
                            .map(|e| e.standards.iter().map(|s| s.key().to_string()).collect())
                            .unwrap_or_default(),
                        evaluated: e.is_some_and(|e| e.evaluated_by(&enabled)),
                        verdict: standards::verdict(id, &enabled),
                        controls: Vec::new(),
                    });
                    rows.len() - 1
                }
            };
            if !rows[i].controls.contains(&r.id) {
                rows[i].controls.push(r.id.clone());
            }
        }
    }
    rows.sort_by_key(|r| id_order(&r.id));
    let standards = standards
        .into_iter()
        .map(|(s, stack)| StandardRow {
            key: s.key().to_string(),
            title: s.title().to_string(),
            stack,
        })
        .collect();
    (standards, rows)
}

/// `S3.2` before `S3.10`.
fn id_order(id: &str) -> (String, u32) {
    match id.rsplit_once('.') {
        Some((svc, n)) => (svc.to_string(), n.parse().unwrap_or(u32::MAX)),
        None => (id.to_string(), u32::MAX),
    }
}

/// The controls a resource names in its `Metadata.harden.Controls`.
pub(crate) fn resource_controls(res: &Node) -> Vec<String> {
    strs(res.get_path(&["Metadata", "harden", "Controls"]))
}

fn strs(n: Option<&Node>) -> Vec<String> {
    match n {
        Some(Node::Seq(items)) => items
            .iter()
            .filter_map(|i| match i {
                Node::Str(s) => Some(s.clone()),
                Node::Map(_) => i.get_path(&["Id"]).and_then(Node::as_str).map(String::from),
                _ => None,
            })
            .collect(),
        Some(Node::Str(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn text(n: &Node, key: &str) -> String {
    n.get_path(&[key])
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string()
}

fn stack(tier: Tier, s: &StackInput) -> StackReport {
    let settings = Settings::at(tier);
    let checked = check_text(s.name, s.text, &settings);
    let mut notes = checked.notes.clone();
    let root = parse(s.text).ok();
    let root = root.as_ref();
    let meta = root.and_then(|r| r.get_path(&["Metadata", "harden"]));
    // Which resources name which control, in template order.
    let mut carried: Vec<(String, Vec<String>)> = Vec::new();
    let mut carry = |id: String, resource: Option<&str>| {
        let i = match carried.iter().position(|(c, _)| *c == id) {
            Some(i) => i,
            None => {
                carried.push((id, Vec::new()));
                carried.len() - 1
            }
        };
        if let Some(r) = resource {
            if !carried[i].1.iter().any(|x| x == r) {
                carried[i].1.push(r.to_string());
            }
        }
    };
    for id in strs(meta.and_then(|m| m.get_path(&["Controls"]))) {
        carry(id, None);
    }
    let resources = root
        .and_then(|r| r.get_path(&["Resources"]))
        .and_then(Node::as_map);
    if let Some(rs) = resources {
        for (logical, res) in rs {
            for id in resource_controls(res) {
                carry(id, Some(logical));
            }
        }
    }
    // The template's own descriptors, for a control a custom blueprint defines.
    let described: Vec<&Node> = match meta.and_then(|m| m.get_path(&["Controls"])) {
        Some(Node::Seq(items)) => items.iter().filter(|i| i.as_map().is_some()).collect(),
        _ => Vec::new(),
    };
    let row = |id: &str, resources: Vec<String>| -> ControlRow {
        match controls::ALL.iter().find(|c| c.id == id) {
            Some(c) => ControlRow {
                id: c.id.into(),
                title: c.title.into(),
                tier: c.tier.as_str().into(),
                cis: c.cis.iter().map(|x| x.to_string()).collect(),
                security_hub: c.security_hub.iter().map(|x| x.to_string()).collect(),
                resources,
            },
            None => {
                let d = described.iter().find(|d| text(d, "Id") == id);
                ControlRow {
                    id: id.into(),
                    title: d.map(|d| text(d, "Title")).unwrap_or_default(),
                    tier: d.map(|d| text(d, "Tier")).unwrap_or_default(),
                    cis: strs(d.and_then(|d| d.get_path(&["Cis"]))),
                    security_hub: strs(d.and_then(|d| d.get_path(&["SecurityHub"]))),
                    resources,
                }
            }
        }
    };
    // Known controls in the registry's order, then the others in template order.
    let mut controls_rows: Vec<ControlRow> = controls::ALL
        .iter()
        .filter_map(|c| {
            carried
                .iter()
                .find(|(id, _)| id == c.id)
                .map(|(id, rs)| row(id, rs.clone()))
        })
        .collect();
    for (id, rs) in &carried {
        if !controls::ALL.iter().any(|c| c.id == id) {
            controls_rows.push(row(id, rs.clone()));
        }
    }
    let waivers: Vec<(String, String, String)> = match meta.and_then(|m| m.get_path(&["Waivers"])) {
        Some(Node::Seq(ws)) => ws
            .iter()
            .map(|w| (text(w, "Control"), text(w, "Reason"), text(w, "Parameter")))
            .collect(),
        _ => Vec::new(),
    };
    if root.is_none() {
        notes.push("the template could not be read: no control could be found in it".into());
    }
    let not_applicable = controls::ALL
        .iter()
        .filter(|c| c.on(tier) && !carried.iter().any(|(id, _)| id == c.id))
        .map(|c| {
            let waiver = waivers.iter().find(|(id, _, _)| id == c.id);
            let reason = match (waiver, root) {
                (Some((_, why, param)), _) if !param.is_empty() => {
                    format!("waived: {why} (parameter `{param}`)")
                }
                (Some((_, why, _)), _) => format!("waived: {why}"),
                (None, None) => "the template could not be read".to_string(),
                (None, Some(_)) => NOT_NEEDED.to_string(),
            };
            NotApplicable {
                id: c.id.into(),
                title: c.title.into(),
                tier: c.tier.as_str().into(),
                cis: c.cis.iter().map(|x| x.to_string()).collect(),
                security_hub: c.security_hub.iter().map(|x| x.to_string()).collect(),
                reason,
                waived: waiver.is_some(),
            }
        })
        .collect();
    let deviations = match meta.and_then(|m| m.get_path(&["Deviations"])) {
        Some(Node::Seq(ds)) => ds
            .iter()
            .map(|d| DeviationRow {
                guide: text(d, "Guide"),
                harden: text(d, "Harden"),
                reason: text(d, "Reason"),
            })
            .collect(),
        _ => Vec::new(),
    };
    let (excepted, open): (Vec<Finding>, Vec<Finding>) = checked
        .findings
        .into_iter()
        .partition(|f| f.suppressed.is_some());
    StackReport {
        stack: s.name.to_string(),
        tier: tier.as_str().to_string(),
        blueprint: meta
            .and_then(|m| m.get_path(&["Blueprint"]))
            .and_then(Node::as_str)
            .map(String::from),
        resources: checked.resources,
        fail_on: settings.fail_on.as_str().to_string(),
        controls: controls_rows,
        not_applicable,
        exceptions: excepted
            .into_iter()
            .map(|f| Exception {
                reason: f.suppressed.unwrap_or_default(),
                rule: f.rule,
                resource: f.resource,
                resource_type: f.resource_type,
                line: f.line,
                equivalents: f.equivalents,
            })
            .collect(),
        findings: open,
        deviations,
        notes,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small rendered-like stack: a key and a bucket naming their controls, a stack-wide
    /// control, a waiver, a deviation, an open security group and a suppressed finding.
    pub(crate) const STACK: &str = r#"Metadata:
  harden:
    Blueprint: demo
    Tier: enhanced
    Controls:
    - Id: kms-key
      Tier: basic
    - Id: termination-protection
      Tier: enterprise
    - Id: team-tagging
      Tier: basic
      Title: every resource carries the team's tags
      Cis: []
      SecurityHub: [Config.1]
    Waivers:
    - Control: vpc-flow-logs
      Reason: the network team logs the shared VPC
      Parameter: vpc_id
    Deviations:
    - Guide: public subnets
      Harden: private subnets only
      Reason: the guide's first fix
Resources:
  Key:
    Type: AWS::KMS::Key
    Metadata:
      harden:
        Controls: [kms-key, team-tagging]
    Properties:
      EnableKeyRotation: true
  Web:
    Type: AWS::EC2::SecurityGroup
    Metadata:
      harden:
        suppress:
        - id: no-open-ingress
          reason: the public load balancer's <listener> | on 443
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
      - IpProtocol: tcp
        FromPort: 443
        ToPort: 443
        CidrIp: 0.0.0.0/0
  Admin:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: admin
      SecurityGroupIngress:
      - IpProtocol: tcp
        FromPort: 22
        ToPort: 22
        CidrIp: 0.0.0.0/0
"#;

    pub(crate) fn sample() -> Compliance {
        build(
            Tier::Enhanced,
            &[StackInput {
                name: "demo-stack",
                text: STACK,
                tier: Tier::Enhanced,
            }],
        )
    }

    /// A baseline-like stack enabling FSBP and CIS v3.0.0 beside the sample stack.
    const HUB: &str = r#"Resources:
  Fsbp:
    Type: AWS::SecurityHub::Standard
    Metadata:
      harden:
        Controls: [security-hub]
    Properties:
      StandardsArn:
        Fn::Sub: "arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/aws-foundational-security-best-practices/v/1.0.0"
  Cis:
    Type: AWS::SecurityHub::Standard
    Properties:
      StandardsArn: arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0
"#;

    #[test]
    fn claimed_security_hub_ids_say_whether_the_enabled_standards_evaluate_them() {
        let c = build(
            Tier::Enhanced,
            &[
                StackInput {
                    name: "hub",
                    text: HUB,
                    tier: Tier::Enhanced,
                },
                StackInput {
                    name: "demo-stack",
                    text: STACK,
                    tier: Tier::Enhanced,
                },
            ],
        );
        let keys: Vec<&str> = c.standards.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["fsbp", "cis-1.2"]);
        assert!(c.standards.iter().all(|s| s.stack == "hub"));
        // KMS.4 (the key's rotation) is in CIS v1.2.0: evaluated.
        let kms4 = c.security_hub.iter().find(|r| r.id == "KMS.4").unwrap();
        assert!(kms4.evaluated, "{kms4:?}");
        assert!(kms4.controls.contains(&"kms-key".to_string()));
        // Config.1, claimed by the template's own control, is in FSBP: evaluated.
        let config = c.security_hub.iter().find(|r| r.id == "Config.1").unwrap();
        assert!(config.evaluated && config.controls == ["team-tagging"]);
        // Without the hub stack nothing is enabled, and the report says so.
        let alone = sample();
        assert!(alone.standards.is_empty());
        assert!(alone.security_hub.iter().all(|r| !r.evaluated));
        let md = markdown::render(&alone);
        assert!(
            md.contains("None of these stacks enables a Security Hub standard"),
            "{md}"
        );
        let md = markdown::render(&c);
        assert!(md.contains("| `KMS.4` |"), "{md}");
    }

    /// With the account's standards read, they decide what is evaluated, not the stacks':
    /// only FSBP on leaves CIS v1.2.0's KMS.4 unevaluated; Security Hub off, nothing is.
    #[test]
    fn the_accounts_enabled_standards_decide_what_is_evaluated() {
        let inputs = [
            StackInput {
                name: "hub",
                text: HUB,
                tier: Tier::Enhanced,
            },
            StackInput {
                name: "demo-stack",
                text: STACK,
                tier: Tier::Enhanced,
            },
        ];
        let fsbp_only = AccountStandards {
            account: Some("123456789012".into()),
            region: "eu-west-1".into(),
            security_hub: true,
            enabled: vec![Standard::Fsbp],
            unknown: vec!["arn:aws:securityhub:eu-west-1::standards/new-one/v/1.0.0".into()],
        };
        let c = build_with(Tier::Enhanced, &inputs, Some(&fsbp_only));
        let row = |id: &str| c.security_hub.iter().find(|r| r.id == id).unwrap().clone();
        assert!(!row("KMS.4").evaluated, "{:?}", row("KMS.4"));
        assert!(row("Config.1").evaluated);
        let a = c.account.as_ref().unwrap();
        assert_eq!(
            a.sentence(),
            "Account 123456789012 has on in eu-west-1: AWS Foundational Security Best Practices v1.0.0 (fsbp), 1 standard(s) harden has no record of (arn:aws:securityhub:eu-west-1::standards/new-one/v/1.0.0)."
        );
        for text in [markdown::render(&c), html::render(&c)] {
            assert!(
                text.contains("Account 123456789012 has on in eu-west-1"),
                "{text}"
            );
            assert!(
                text.contains("evaluated by a standard the account has on"),
                "{text}"
            );
            assert!(
                !text.contains("The account's own standards are not read"),
                "{text}"
            );
        }
        let off = AccountStandards {
            security_hub: false,
            enabled: Vec::new(),
            unknown: Vec::new(),
            ..fsbp_only
        };
        let c = build_with(Tier::Enhanced, &inputs, Some(&off));
        assert!(c.security_hub.iter().all(|r| !r.evaluated));
        assert!(c
            .account
            .unwrap()
            .sentence()
            .contains("has Security Hub off in eu-west-1"));
    }

    #[test]
    fn controls_list_the_resources_that_carry_them_in_registry_order() {
        let c = sample();
        let s = &c.stacks[0];
        let kms = s.controls.iter().find(|r| r.id == "kms-key").unwrap();
        assert_eq!(kms.resources, ["Key"]);
        assert_eq!(
            kms.cis,
            controls::kms_key::KMS_KEY
                .cis
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
        );
        let tp = s
            .controls
            .iter()
            .find(|r| r.id == "termination-protection")
            .unwrap();
        assert!(tp.resources.is_empty(), "a stack-wide control: {tp:?}");
        // A control the registry does not know keeps the template's own descriptor, last.
        let custom = s.controls.last().unwrap();
        assert_eq!(custom.id, "team-tagging");
        assert_eq!(custom.security_hub, ["Config.1"]);
        assert_eq!(custom.resources, ["Key"]);
        assert_eq!(s.blueprint.as_deref(), Some("demo"));
    }

    #[test]
    fn controls_of_the_tier_not_carried_say_why() {
        let c = sample();
        let s = &c.stacks[0];
        let flow = s
            .not_applicable
            .iter()
            .find(|n| n.id == "vpc-flow-logs")
            .expect("flow logs are an enhanced control");
        assert!(flow.waived);
        assert_eq!(
            flow.reason,
            "waived: the network team logs the shared VPC (parameter `vpc_id`)"
        );
        let bucket = s
            .not_applicable
            .iter()
            .find(|n| n.id == "secure-bucket")
            .unwrap();
        assert_eq!(bucket.reason, NOT_NEEDED);
        assert!(!bucket.waived);
        // Every control of the tier is either carried or not applicable; none above it.
        for ctl in controls::ALL {
            let carried = s.controls.iter().any(|r| r.id == ctl.id);
            let na = s.not_applicable.iter().any(|n| n.id == ctl.id);
            assert_eq!(
                ctl.on(Tier::Enhanced) && !carried,
                na,
                "control `{}`",
                ctl.id
            );
        }
    }

    #[test]
    fn exceptions_and_findings_come_from_check() {
        let c = sample();
        let s = &c.stacks[0];
        assert_eq!(s.exceptions.len(), 1, "{:?}", s.exceptions);
        assert_eq!(s.exceptions[0].resource, "Web");
        assert!(s.exceptions[0]
            .reason
            .starts_with("the public load balancer"));
        assert!(s
            .findings
            .iter()
            .any(|f| f.resource == "Admin" && f.rule == "no-open-ingress"));
        assert!(s.findings.iter().all(|f| f.suppressed.is_none()));
        assert_eq!(c.summary.exceptions, 1);
        assert_eq!(c.summary.findings, s.findings.len());
        assert_eq!(s.deviations[0].reason, "the guide's first fix");
    }

    #[test]
    fn an_unreadable_template_is_reported_not_a_panic() {
        let c = build(
            Tier::Basic,
            &[StackInput {
                name: "broken",
                text: "Resources: [\n",
                tier: Tier::Basic,
            }],
        );
        let s = &c.stacks[0];
        assert!(s.controls.is_empty());
        assert!(s
            .not_applicable
            .iter()
            .all(|n| n.reason == "the template could not be read"));
        assert_eq!(s.findings[0].rule, "template-unreadable");
        assert!(!s.notes.is_empty());
    }
}
