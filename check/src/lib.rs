//! `harden check`'s engine around the rules: reading templates from files and directories,
//! placing each finding at its file, line and column, the allow-list of suppressions, and the
//! outputs (text, JSON, SARIF, Markdown), and the compliance report of rendered stacks.
//!
//! The rules themselves live in [`harden_blueprints::rules`]; this crate is pure (no AWS SDK),
//! so benchmarks and the fuzzer build it alone.

pub mod allow;
pub mod format;
pub mod guard;
pub mod input;
pub mod presence;
pub mod report;

use std::collections::BTreeMap;

use harden_blueprints::cfn::parse::parse_located;
use harden_blueprints::cfn::Node;
use harden_blueprints::rules::{self, AllowList, Options, Rule, Severity};
use harden_blueprints::Tier;
use serde::Serialize;

pub use guard::{GuardError, GuardRules};
pub use input::{collect, Input, InputError};

/// One finding, placed, with everything every output format shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// How much it matters.
    #[serde(serialize_with = "as_str")]
    pub severity: Severity,
    /// The file, as given (or the stack's name for a rendered template).
    pub file: String,
    /// 1-based line of the property (or of the resource, when the property is missing).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The resource's logical id (empty for the template as a whole).
    pub resource: String,
    /// The resource's type.
    pub resource_type: String,
    /// `Resources.Id.Properties...`
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub remediation: String,
    /// The same check in other scanners and in Security Hub: `{"checkov": ["CKV_AWS_18"]}`.
    pub equivalents: BTreeMap<String, Vec<String>>,
    /// CIS AWS Foundations v3.0.0 recommendations.
    pub cis: Vec<String>,
    /// The reason of the suppression that excepts it, if one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Which rules found it: `harden`, or `guard` for a team's Guard rules.
    pub source: &'static str,
}

fn as_str<S: serde::Serializer>(s: &Severity, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

/// The equivalents of a rule, keyed by scanner, Security Hub included.
pub fn equivalents(rule: &Rule) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = rule
        .equivalents
        .by_scanner()
        .into_iter()
        .map(|(k, ids)| (k.to_string(), ids.iter().map(|s| s.to_string()).collect()))
        .collect();
    if !rule.security_hub.is_empty() {
        out.insert(
            "security-hub".into(),
            rule.security_hub.iter().map(|s| s.to_string()).collect(),
        );
    }
    out
}

/// What was found in one template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file, as given.
    pub file: String,
    /// Findings, suppressed ones included, in template order.
    pub findings: Vec<Finding>,
    /// What was not checked and why (a SAM transform's output, ...).
    pub notes: Vec<String>,
    /// How many resources were checked.
    pub resources: usize,
}

/// What a check asks for, beyond the rules' own options.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The tier the templates are meant to meet.
    pub tier: Tier,
    /// Whether suppressions are honoured.
    pub suppressions: bool,
    /// The team's allow-list of suppressions.
    pub allowed: Option<AllowList>,
    /// The lowest severity that fails the check.
    pub fail_on: Severity,
    /// A team's Guard rules, run beside harden's (`--rules`).
    pub guard: GuardRules,
}

impl Settings {
    /// The defaults for a tier: suppressions honoured, no allow-list, failing at the tier's
    /// severity.
    pub fn at(tier: Tier) -> Settings {
        Settings {
            tier,
            suppressions: true,
            allowed: None,
            fail_on: Severity::fail_on(tier),
            guard: GuardRules::default(),
        }
    }
}

/// Every file's findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The tier checked.
    pub tier: String,
    /// The threshold.
    #[serde(serialize_with = "as_str")]
    pub fail_on: Severity,
    /// Per file.
    pub files: Vec<FileReport>,
}

impl Report {
    /// Every finding of every file.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }

    /// Unsuppressed findings at or above the threshold.
    pub fn failing(&self) -> usize {
        self.findings()
            .filter(|f| f.suppressed.is_none() && f.severity >= self.fail_on)
            .count()
    }

    /// `0` clean, `1` findings at or above the threshold.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.failing() > 0)
    }
}

/// The SAM transform: its resources are checked as written.
const SAM: &str = "AWS::Serverless-2016-10-31";

/// Checks one template's text. A template harden cannot read is a finding of
/// `template-unreadable` at the place the reader stopped, never an error.
pub fn check_text(file: &str, text: &str, s: &Settings) -> FileReport {
    let unreadable = |line: usize, column: usize, message: String| FileReport {
        file: file.to_string(),
        findings: vec![place_free(
            &rules::TEMPLATE_UNREADABLE,
            file,
            line,
            column,
            message,
        )],
        notes: Vec::new(),
        resources: 0,
    };
    let (root, spans) = match parse_located(text) {
        Ok(v) => v,
        Err(e) => return unreadable(e.line, e.column, e.message),
    };
    if let Some(problem) = not_a_template(&root) {
        return unreadable(1, 1, problem);
    }
    let mut notes = unchecked(&root);
    let transforms = match root.get_path(&["Transform"]) {
        Some(Node::Str(t)) => vec![t.clone()],
        Some(Node::Seq(ts)) => ts
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    for t in &transforms {
        if t == SAM {
            notes.push(format!("the template uses the SAM transform (`{SAM}`): its resources were checked as written; what the transform expands them into was not checked"));
        } else {
            notes.push(format!(
                "the template uses the transform `{t}`: what it expands into was not checked"
            ));
        }
    }
    let opts = Options {
        tier: s.tier,
        suppressions: s.suppressions,
        allowed: s.allowed.as_ref(),
    };
    let mut findings: Vec<Finding> = rules::check(&root, &opts)
        .into_iter()
        .map(|f| {
            let mut path: Vec<&str> = vec!["Resources", &f.resource];
            path.extend(f.path.iter().map(String::as_str));
            let ((line, column), _) = spans.nearest(&path).unwrap_or(((1, 1), 0));
            Finding {
                rule: f.rule.id.to_string(),
                title: f.rule.title.to_string(),
                severity: f.rule.severity,
                file: file.to_string(),
                line,
                column,
                path: f.at(),
                resource: f.resource,
                resource_type: f.resource_type,
                message: f.message,
                remediation: f.rule.remediation.to_string(),
                equivalents: equivalents(f.rule),
                cis: f.rule.cis.iter().map(|s| s.to_string()).collect(),
                suppressed: f.suppressed,
                source: "harden",
            }
        })
        .collect();
    // A template harden rendered still carries the controls of the tier checked.
    match presence::check(&root, s.tier) {
        presence::Presence::NotHarden => {}
        presence::Presence::Unrenderable(why) => notes.push(format!(
            "the template says harden rendered it, but its blueprint cannot be rendered again at tier {} from the parameters it records ({why}), so its controls were not compared",
            s.tier
        )),
        presence::Presence::Compared(missing) => {
            let ((line, column), _) = spans
                .nearest(&["Metadata", "harden", "Blueprint"])
                .unwrap_or(((1, 1), 0));
            for m in missing {
                let mut f = place_free(
                    &rules::TIER_CONTROL_MISSING,
                    file,
                    line,
                    column,
                    format!(
                        "control `{}` of tier {} is missing: {}",
                        m.control, m.tier, m.title
                    ),
                );
                f.path = "Metadata.harden".into();
                f.suppressed = m.waived.filter(|_| s.suppressions);
                findings.push(f);
            }
        }
    }
    let (guarded, guard_notes) = s.guard.evaluate(file, &root, &spans, s);
    findings.extend(guarded);
    notes.extend(guard_notes);
    let resources = root
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .map_or(0, |m| m.len());
    FileReport {
        file: file.to_string(),
        findings,
        notes,
        resources,
    }
}

/// Why a parsed document is not a CloudFormation template, if it is not. An empty
/// `Resources` map is a template (CloudFormation refuses to deploy it, but there is nothing to
/// check); so is a resource key of the language extensions' `Fn::ForEach::NAME` loops.
pub fn not_a_template(root: &Node) -> Option<String> {
    let Some(m) = root.as_map() else {
        return Some("not a CloudFormation template: the document is not a map".into());
    };
    match m.get("Resources") {
        None => Some("not a CloudFormation template: it has no `Resources` section".into()),
        Some(Node::Map(r)) => r
            .iter()
            .find_map(|(id, res)| match res.get_path(&["Type"]) {
                _ if id.starts_with("Fn::ForEach::") => None,
                Some(Node::Str(_)) => None,
                _ => Some(format!(
                    "resource `{id}` has no `Type`: CloudFormation needs one"
                )),
            }),
        Some(_) => Some("not a CloudFormation template: `Resources` is not a map".into()),
    }
}

/// Notes on what a template holds that was not checked.
fn unchecked(root: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let Some(r) = root.get_path(&["Resources"]).and_then(Node::as_map) else {
        return out;
    };
    if r.is_empty() {
        out.push("`Resources` is empty: there is nothing to check (and CloudFormation refuses a template without resources)".into());
    }
    let loops: Vec<&str> = r
        .keys()
        .filter(|k| k.starts_with("Fn::ForEach::"))
        .map(String::as_str)
        .collect();
    if !loops.is_empty() {
        out.push(format!(
            "the resources that `{}` (the `AWS::LanguageExtensions` transform) expands into were not checked",
            loops.join("`, `")
        ));
    }
    out
}

fn place_free(
    rule: &'static Rule,
    file: &str,
    line: usize,
    column: usize,
    message: String,
) -> Finding {
    Finding {
        rule: rule.id.to_string(),
        title: rule.title.to_string(),
        severity: rule.severity,
        file: file.to_string(),
        line,
        column,
        resource: String::new(),
        resource_type: String::new(),
        path: String::new(),
        message,
        remediation: rule.remediation.to_string(),
        equivalents: BTreeMap::new(),
        cis: Vec::new(),
        suppressed: None,
        source: "harden",
    }
}

/// Checks every input.
pub fn check_all(inputs: &[Input], s: &Settings) -> Report {
    Report {
        tier: s.tier.as_str().to_string(),
        fail_on: s.fail_on,
        files: inputs
            .iter()
            .map(|i| check_text(&i.name, &i.text, s))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD: &str = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: 0.0.0.0/0\n";

    #[test]
    fn a_finding_is_placed_at_its_property() {
        let r = check_text("t.yaml", BAD, &Settings::at(Tier::Basic));
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "no-open-ingress")
            .expect("open ingress found");
        assert_eq!((f.file.as_str(), f.line), ("t.yaml", 7));
        assert_eq!(f.resource, "Open");
        assert_eq!(f.path, "Resources.Open.Properties.SecurityGroupIngress[0]");
    }

    #[test]
    fn unreadable_and_non_cloudformation_text_is_a_finding_with_its_place() {
        for (text, line) in [
            ("Resources:\n  A: [\n", 3),
            ("just: a map\n", 1),
            ("Resources:\n  A:\n    Properties: {}\n", 1),
            ("Resources: []\n", 1),
            ("- a list\n", 1),
        ] {
            let r = check_text("x.yaml", text, &Settings::at(Tier::Basic));
            assert_eq!(r.findings.len(), 1, "{text:?}: {r:#?}");
            assert_eq!(r.findings[0].rule, "template-unreadable", "{text:?}");
            assert_eq!(
                r.findings[0].line, line,
                "{text:?}: {}",
                r.findings[0].message
            );
        }
    }

    #[test]
    fn a_sam_template_is_checked_as_written_and_says_so() {
        let sam = format!("Transform: {SAM}\n{BAD}");
        let r = check_text("sam.yaml", &sam, &Settings::at(Tier::Basic));
        assert!(r.notes[0].contains("checked as written"), "{:?}", r.notes);
        assert!(r.findings.iter().any(|f| f.rule == "no-open-ingress"));
    }

    #[test]
    fn the_exit_code_follows_the_threshold_and_suppressions() {
        let inputs = [Input {
            name: "t.yaml".into(),
            text: BAD.into(),
        }];
        let mut s = Settings::at(Tier::Basic);
        assert_eq!(check_all(&inputs, &s).exit_code(), 1);
        s.fail_on = Severity::Critical;
        assert_eq!(check_all(&inputs, &s).exit_code(), 0);
    }
}
