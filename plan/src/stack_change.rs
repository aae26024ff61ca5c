//! Stack-level changes: parameter values, tags, termination protection, the stack policy,
//! outputs, and template sections other than `Resources`. They change the stack even when no
//! resource changes.

use harden_blueprints::cfn::Node;
use indexmap::IndexMap;

use crate::input::{Deployed, Desired};
use crate::resource_change::empty_map;
use crate::value::{compact, ValueChange};

/// How CloudFormation masks the value of a `NoEcho` parameter.
pub const MASK: &str = "****";

/// One stack-level change.
#[derive(Debug, Clone, PartialEq)]
pub enum StackChange {
    /// A parameter value, after template defaults are applied. `NoEcho` values are masked.
    Parameter {
        /// The parameter name.
        name: String,
        /// The deployed value (`None`: not a parameter of the deployed stack).
        old: Option<String>,
        /// The desired value (`None`: no longer a parameter).
        new: Option<String>,
        /// Whether the template declares it `NoEcho`: both values are shown as `****`.
        no_echo: bool,
    },
    /// A stack tag.
    Tag {
        /// The tag key.
        key: String,
        /// The deployed value.
        old: Option<String>,
        /// The desired value.
        new: Option<String>,
    },
    /// Termination protection turned on or off.
    TerminationProtection {
        /// Deployed.
        old: bool,
        /// Desired.
        new: bool,
    },
    /// The stack policy set, changed or removed.
    StackPolicy {
        /// The policies before and after.
        value: ValueChange,
    },
    /// A stack output added, changed or removed.
    Output {
        /// The output's logical id.
        name: String,
        /// The output before and after.
        value: ValueChange,
    },
    /// A template section other than `Resources` and `Outputs` (`Description`, `Parameters`
    /// declarations, `Mappings`, `Conditions`, ...).
    TemplateSection {
        /// The section name.
        section: String,
        /// The section before and after.
        value: ValueChange,
    },
}

impl StackChange {
    /// `parameter`, `tag`, `termination_protection`, `stack_policy`, `output`,
    /// `template_section`.
    pub fn kind(&self) -> &'static str {
        match self {
            StackChange::Parameter { .. } => "parameter",
            StackChange::Tag { .. } => "tag",
            StackChange::TerminationProtection { .. } => "termination_protection",
            StackChange::StackPolicy { .. } => "stack_policy",
            StackChange::Output { .. } => "output",
            StackChange::TemplateSection { .. } => "template_section",
        }
    }
}

const SECTION_ORDER: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Transform",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
];

/// The stack-level changes. `deployed` is `None` for a stack to create: then every set
/// parameter, tag and setting is listed as new, and template sections are not.
pub fn diff(desired: &Desired, deployed: Option<&Deployed>) -> Vec<StackChange> {
    let mut out = Vec::new();
    let no_echo = |name: &str| {
        let declared = |t: &Node| {
            t.get_path(&["Parameters", name, "NoEcho"])
                .is_some_and(|v| {
                    matches!(v, Node::Bool(true))
                        || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
                })
        };
        declared(desired.template) || deployed.is_some_and(|d| declared(&d.template))
    };
    let new_params = effective_parameters(desired.template, desired.parameters);
    let old_params = deployed
        .map(|d| effective_parameters(&d.template, &d.parameters))
        .unwrap_or_default();
    for name in union(new_params.keys(), old_params.keys()) {
        let (old, new) = (old_params.get(&name), new_params.get(&name));
        if old == new || old.is_some_and(|o| o == MASK) {
            continue; // equal, or masked by CloudFormation: cannot tell
        }
        let hidden = no_echo(&name);
        let mask =
            |v: Option<&String>| v.map(|v| if hidden { MASK.to_string() } else { v.clone() });
        out.push(StackChange::Parameter {
            old: mask(old),
            new: mask(new),
            name,
            no_echo: hidden,
        });
    }
    let empty = IndexMap::new();
    let old_tags = deployed.map(|d| &d.tags).unwrap_or(&empty);
    for key in union(desired.tags.keys(), old_tags.keys()) {
        let (old, new) = (old_tags.get(&key), desired.tags.get(&key));
        if old != new {
            out.push(StackChange::Tag {
                key,
                old: old.cloned(),
                new: new.cloned(),
            });
        }
    }
    let old_tp = deployed.is_some_and(|d| d.termination_protection);
    if old_tp != desired.termination_protection {
        out.push(StackChange::TerminationProtection {
            old: old_tp,
            new: desired.termination_protection,
        });
    }
    let old_policy = deployed.and_then(|d| d.stack_policy.as_ref());
    if old_policy != desired.stack_policy {
        out.push(StackChange::StackPolicy {
            value: ValueChange::new(old_policy, desired.stack_policy),
        });
    }
    let Some(deployed) = deployed else {
        return out;
    };
    let (old_t, new_t) = (&deployed.template, desired.template);
    let section = |t: &Node, s: &str| t.get_path(&[s]).cloned();
    let outputs = |t: &Node| {
        t.get_path(&["Outputs"])
            .and_then(Node::as_map)
            .unwrap_or_else(|| empty_map())
            .clone()
    };
    let (oo, no) = (outputs(old_t), outputs(new_t));
    for name in union(no.keys(), oo.keys()) {
        let (a, b) = (oo.get(&name), no.get(&name));
        if a != b {
            out.push(StackChange::Output {
                name,
                value: ValueChange::new(a, b),
            });
        }
    }
    let keys = |t: &Node| -> Vec<String> {
        t.as_map()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut sections: Vec<String> = SECTION_ORDER.iter().map(|s| s.to_string()).collect();
    for k in union(keys(new_t).iter(), keys(old_t).iter()) {
        if !sections.contains(&k) {
            sections.push(k);
        }
    }
    for s in sections {
        if s == "Resources" || s == "Outputs" {
            continue;
        }
        let (a, b) = (section(old_t, &s), section(new_t, &s));
        if a != b {
            out.push(StackChange::TemplateSection {
                value: ValueChange::new(a.as_ref(), b.as_ref()),
                section: s,
            });
        }
    }
    out
}

/// The names of the parameters whose value changes (masked values count as unchanged).
pub fn changed_parameters(changes: &[StackChange]) -> std::collections::BTreeSet<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            StackChange::Parameter { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// Parameter values as the stack sees them: the given value, else the template's `Default`.
pub(crate) fn effective_parameters(
    template: &Node,
    given: &IndexMap<String, String>,
) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    let declared = template
        .get_path(&["Parameters"])
        .and_then(Node::as_map)
        .unwrap_or_else(|| empty_map());
    for (name, decl) in declared {
        let value = given.get(name).cloned().or_else(|| {
            decl.get_path(&["Default"]).map(|d| match d {
                Node::Seq(items) => items.iter().map(compact).collect::<Vec<_>>().join(","),
                other => compact(other),
            })
        });
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    for (name, v) in given {
        if !out.contains_key(name) {
            out.insert(name.clone(), v.clone());
        }
    }
    out
}

/// The keys of `a`, then those of `b` that `a` lacks.
fn union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    let mut out: Vec<String> = a.cloned().collect();
    for k in b {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}
