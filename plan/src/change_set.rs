//! Reading a change set into the plan. The change set is CloudFormation's own verdict: its
//! `Replacement` column confirms or overrides the predicted replacement, and its entries for
//! resources the template diff did not find (re-evaluated references, dynamic values) are
//! added so nothing it will do goes unseen, each with what its listing means
//! ([`ChangeSetOnly`]).

use harden_blueprints::cfn::Node;

use crate::input::ChangeSetChange;
use crate::refs::references;
use crate::replacement::Replacement;
use crate::resource_change::{Action, ResourceChange};

/// Scopes that do not touch the resource itself.
const STACK_SIDE_SCOPES: &[&str] = &[
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "CreationPolicy",
    "UpdatePolicy",
];

/// Merges change set entries into the resource changes, by logical id.
pub fn merge(changes: &mut Vec<ResourceChange>, change_set: &[ChangeSetChange]) {
    for c in change_set {
        let pos = match changes.iter().position(|rc| rc.logical_id == c.logical_id) {
            Some(pos) => pos,
            None => {
                let mut rc = ResourceChange::new(
                    &c.logical_id,
                    &c.resource_type,
                    Action::from_change_set(&c.action),
                );
                rc.touches_resource = c.scope.is_empty()
                    || c.scope
                        .iter()
                        .any(|s| !STACK_SIDE_SCOPES.contains(&s.as_str()));
                changes.push(rc);
                changes.len() - 1
            }
        };
        let rc = &mut changes[pos];
        if let Some(r) = c
            .replacement
            .as_deref()
            .and_then(Replacement::from_change_set)
        {
            rc.replacement
                .get_or_insert_with(Default::default)
                .confirmed = Some(r);
        }
        rc.change_set = Some(c.clone());
    }
}

/// Why CloudFormation lists a resource whose template does not change: a re-evaluation, or
/// nothing it will actually change. Read from the change set entry's `Action` and the
/// `ChangeSource` of its details, naming what it refers to from its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetOnly {
    /// Something it refers to changes (`ResourceReference`, `ResourceAttribute` or
    /// `ParameterReference` details): its references are evaluated again, its own text is the
    /// same.
    References {
        /// The properties re-evaluated, as the change set names them.
        properties: Vec<String>,
        /// The resources they refer to (logical ids), when the template shows them.
        resources: Vec<String>,
        /// The parameters they use, when the template shows them.
        parameters: Vec<String>,
    },
    /// CloudFormation evaluates it again at deploy time (`Dynamic` action, or an `Automatic`
    /// change source: a nested stack, a dynamic reference).
    ReEvaluated {
        /// The dynamic references in its properties (`` `Threshold` reads `{{resolve:...}}` ``).
        dynamic_references: Vec<(String, String)>,
    },
    /// The change set names nothing that changes: no property, no reference.
    NoChange,
}

impl ChangeSetOnly {
    /// `references`, `re_evaluated`, `no_change`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeSetOnly::References { .. } => "references",
            ChangeSetOnly::ReEvaluated { .. } => "re_evaluated",
            ChangeSetOnly::NoChange => "no_change",
        }
    }

    /// What it means, in words a reviewer can act on.
    pub fn description(&self) -> String {
        match self {
            ChangeSetOnly::References {
                properties,
                resources,
                parameters,
            } => {
                let mut what = Vec::new();
                if !resources.is_empty() {
                    what.push(ticked(resources));
                }
                if !parameters.is_empty() {
                    let word = if parameters.len() == 1 {
                        "parameter"
                    } else {
                        "parameters"
                    };
                    what.push(format!("{word} {}", ticked(parameters)));
                }
                let through = if properties.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", ticked(properties))
                };
                let many = resources.len() + parameters.len() > 1;
                if what.is_empty() {
                    format!(
                        "CloudFormation lists it because something it refers to{through} changes; its own properties do not"
                    )
                } else {
                    format!(
                        "CloudFormation lists it because {}, which it refers to{through}, {}; its own properties do not",
                        what.join(" and "),
                        if many { "change" } else { "changes" }
                    )
                }
            }
            ChangeSetOnly::ReEvaluated { dynamic_references } if dynamic_references.is_empty() => {
                "CloudFormation re-evaluates it at deploy time (a nested stack's template or a value read at deploy time may have changed); nothing in its template changes".to_string()
            }
            ChangeSetOnly::ReEvaluated { dynamic_references } => {
                let reads: Vec<String> = dynamic_references
                    .iter()
                    .map(|(p, r)| format!("`{p}` reads `{r}`"))
                    .collect();
                format!(
                    "CloudFormation re-evaluates it at deploy time ({}); nothing in its template changes, so it changes only if that value did",
                    reads.join(", ")
                )
            }
            ChangeSetOnly::NoChange => {
                "CloudFormation lists it with no change to its properties (it re-evaluates references at deploy time); nothing in its template changes".to_string()
            }
        }
    }
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
fn ticked(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Explains a change set entry for a resource the template diff did not find and no
/// reference reaches. `template` is the desired template (the deployed one for a resource
/// only it has).
pub fn explain(rc: &ResourceChange, template: &Node, old_template: &Node) -> Option<ChangeSetOnly> {
    let cs = rc.change_set.as_ref()?;
    if rc.in_template_diff || !rc.through.is_empty() {
        return None;
    }
    // In neither template: nothing to read it from (the plan says only where it was found).
    let resource = [template, old_template]
        .into_iter()
        .find_map(|t| t.get_path(&["Resources", &rc.logical_id]))?;
    let props = resource.get_path(&["Properties"]);
    let declared = |section: &str, name: &str| {
        [template, old_template]
            .iter()
            .any(|t| t.get_path(&[section, name]).is_some())
    };
    let mut properties = Vec::new();
    let mut resources = Vec::new();
    let mut parameters = Vec::new();
    let mut referenced = false;
    for d in &cs.details {
        let source = d.change_source.as_deref().unwrap_or_default();
        let wanted: &[&str] = match source {
            "ResourceReference" | "ResourceAttribute" => &["Resources"],
            "ParameterReference" => &["Parameters"],
            _ => continue,
        };
        referenced = true;
        // CloudFormation's own word on the cause comes first.
        if let Some(entity) = &d.causing_entity {
            let id = entity.split('.').next().unwrap_or(entity).to_string();
            let list = if wanted[0] == "Resources" {
                &mut resources
            } else {
                &mut parameters
            };
            if !list.contains(&id) {
                list.push(id);
            }
            if let Some(n) = &d.name {
                if !properties.contains(n) {
                    properties.push(n.clone());
                }
            }
            continue;
        }
        let value = match &d.name {
            Some(n) => {
                if !properties.contains(n) {
                    properties.push(n.clone());
                }
                props.and_then(|p| p.get_path(&[n]))
            }
            None => props,
        };
        for r in value.map(references).unwrap_or_default() {
            let list = if wanted[0] == "Resources" && declared("Resources", &r) {
                &mut resources
            } else if wanted[0] == "Parameters" && declared("Parameters", &r) {
                &mut parameters
            } else {
                continue;
            };
            if !list.contains(&r) {
                list.push(r);
            }
        }
    }
    if referenced {
        return Some(ChangeSetOnly::References {
            properties,
            resources,
            parameters,
        });
    }
    let automatic = cs
        .details
        .iter()
        .any(|d| d.change_source.as_deref() == Some("Automatic"));
    if rc.action == Action::Dynamic || automatic {
        let mut dynamic_references = Vec::new();
        for (name, value) in props.and_then(Node::as_map).into_iter().flatten() {
            dynamic_refs(value, &mut |r| dynamic_references.push((name.clone(), r)));
        }
        return Some(ChangeSetOnly::ReEvaluated { dynamic_references });
    }
    Some(ChangeSetOnly::NoChange)
}

/// Every `{{resolve:...}}` in a value.
fn dynamic_refs(n: &Node, found: &mut dyn FnMut(String)) {
    match n {
        Node::Str(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("{{resolve:") {
                let tail = &rest[i..];
                let end = tail.find("}}").map_or(tail.len(), |e| e + 2);
                found(tail[..end].to_string());
                rest = &tail[end..];
            }
        }
        Node::Seq(items) => items.iter().for_each(|v| dynamic_refs(v, found)),
        Node::Map(m) => m.values().for_each(|v| dynamic_refs(v, found)),
        _ => {}
    }
}
