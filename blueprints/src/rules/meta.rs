//! harden's own rules on suppressions, on templates it cannot read, and on templates it
//! rendered that no longer carry their tier's controls. They have no function
//! of their own (the engine and the reader raise them) and cannot be suppressed.

use super::{Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity};
use crate::tier::Tier;

fn raised_elsewhere(_: &Ctx, _: &Res) -> Vec<Hit> {
    Vec::new()
}

/// A suppression must say why.
pub static SUPPRESSION_NEEDS_REASON: Rule = Rule {
    id: "suppression-needs-reason",
    title: "A suppression gives its reason",
    severity: Severity::High,
    rationale: "An exception nobody can explain is a finding nobody reviewed: the reason is what a reviewer accepts or refuses.",
    remediation: "Write `reason:` beside `id:` in `Metadata.harden.suppress`, saying why the rule does not apply to this resource.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks::NONE,
    equivalents: Equivalents::NONE,
    check: raised_elsewhere,
};

/// A suppression must except a finding.
pub static UNUSED_SUPPRESSION: Rule = Rule {
    id: "unused-suppression",
    title: "A suppression excepts a rule that fires",
    severity: Severity::Low,
    rationale: "A suppression of a rule that does not fire (or of no rule at all) hides the day the resource changes and the rule would fire for another reason.",
    remediation: "Remove the suppression, or correct its `id` to the rule that fires.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks::NONE,
    equivalents: Equivalents::NONE,
    check: raised_elsewhere,
};

/// A suppression must be one the team permits.
pub static SUPPRESSION_NOT_ALLOWED: Rule = Rule {
    id: "suppression-not-allowed",
    title: "A suppression is one the allow-list permits",
    severity: Severity::High,
    rationale: "A central security team decides what may be waived (`--allowed-suppressions`); harden's own rules on suppressions cannot be waived at all.",
    remediation: "Satisfy the rule instead, or ask the owners of the allow-list to add the rule (for this resource type).",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks::NONE,
    equivalents: Equivalents::NONE,
    check: raised_elsewhere,
};

/// A template harden cannot read.
pub static TEMPLATE_UNREADABLE: Rule = Rule {
    id: "template-unreadable",
    title: "The template is valid CloudFormation that harden can read",
    severity: Severity::High,
    rationale: "A template no checker can read is a template no checker has checked.",
    remediation: "Fix the syntax at the place named; a CloudFormation template is a YAML or JSON map with a `Resources` map.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks::NONE,
    equivalents: Equivalents::NONE,
    check: raised_elsewhere,
};

/// A template harden rendered carries every control its blueprint applies at the tier checked.
pub static TIER_CONTROL_MISSING: Rule = Rule {
    id: "tier-control-missing",
    title: "A template harden rendered carries every control its blueprint applies at the tier checked",
    severity: Severity::High,
    rationale: "A control removed by hand (a resource deleted, its settings edited away) leaves the tier's promise unkept while the template still says which blueprint and tier it is; a tier checked above the rendered one names what that tier would add.",
    remediation: "Render the stack again with harden at this tier (`harden render`), or switch the control off on purpose with `--waive CONTROL=REASON`, which writes the reason into the template.",
    resource_types: &[],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks::NONE,
    equivalents: Equivalents::NONE,
    check: raised_elsewhere,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &SUPPRESSION_NEEDS_REASON,
    &UNUSED_SUPPRESSION,
    &SUPPRESSION_NOT_ALLOWED,
    &TEMPLATE_UNREADABLE,
    &TIER_CONTROL_MISSING,
];
