//! `tier-control-missing`: a template harden rendered (its `Metadata.harden` names the
//! blueprint, the tier and the parameters given) is rendered again, at the tier checked, from
//! the same parameters, and every control the render's resources carry must be carried by a
//! resource of the template too, or be waived in its `Metadata.harden.Waivers` (then it is
//! reported as suppressed, with the waiver's reason). What a missing control means is the
//! control's own title. Templates harden did not render are not concerned.

use harden_blueprints::cfn::Node;
use harden_blueprints::{controls, Tier};

/// A control the template lacks, and the waiver's reason when it was switched off on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The control's id.
    pub control: &'static str,
    /// Its title: what is missing.
    pub title: &'static str,
    /// The tier that requires it.
    pub tier: Tier,
    /// The waiver's reason, when it is waived.
    pub waived: Option<String>,
}

/// What the presence check found: the missing controls, or why it could not run on a
/// template that says harden rendered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// Not a template harden rendered (or of a blueprint this harden does not have).
    NotHarden,
    /// Compared: the controls missing (empty when none is).
    Compared(Vec<Missing>),
    /// The blueprint could not be rendered again from the recorded parameters.
    Unrenderable(String),
}

/// The control ids the resources of a template tree carry.
fn carried(root: &Node) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in root
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .into_iter()
        .flat_map(|m| m.values())
    {
        for id in crate::report::resource_controls(r) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Compares a template with its blueprint's render at `tier`.
pub fn check(root: &Node, tier: Tier) -> Presence {
    let Some(meta) = root.get_path(&["Metadata", "harden"]) else {
        return Presence::NotHarden;
    };
    let Some(blueprint) = meta
        .get_path(&["Blueprint"])
        .and_then(Node::as_str)
        .and_then(harden_blueprints::find)
    else {
        return Presence::NotHarden;
    };
    // What the tier requires beyond the recorded parameters (at enterprise an alert
    // destination), as the blueprint's examples: it decides which controls apply, not how.
    let mut params = harden_blueprints::blueprint::recorded_parameters(root);
    for (k, v) in blueprint.example_params(tier) {
        if !params.iter().any(|(p, _)| p == k) {
            params.push((k.to_string(), v.to_string()));
        }
    }
    let stacks = match blueprint.build(blueprint.default_stack_name(), tier, &params) {
        Ok(s) => s,
        Err(e) => {
            return Presence::Unrenderable(
                e.to_string().lines().next().unwrap_or_default().to_string(),
            )
        }
    };
    // The render's stack this template is: the one with the most logical ids in common.
    let ids: Vec<&String> = root
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let Some(stack) = stacks
        .iter()
        .map(|s| {
            let common = s
                .template
                .resources
                .keys()
                .filter(|k| ids.contains(k))
                .count();
            (common, s)
        })
        .filter(|(common, _)| *common > 0)
        .max_by_key(|(common, _)| *common)
        .map(|(_, s)| s)
    else {
        return Presence::Compared(Vec::new());
    };
    let have = carried(root);
    let waivers: Vec<(String, String)> = meta
        .get_path(&["Waivers"])
        .and_then(Node::as_seq)
        .map(|ws| {
            ws.iter()
                .filter_map(|w| {
                    Some((
                        w.get_path(&["Control"]).and_then(Node::as_str)?.to_string(),
                        w.get_path(&["Reason"])
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut missing = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for r in stack.template.resources.values() {
        for id in &r.controls {
            if seen.contains(id) || have.iter().any(|h| h == id) {
                continue;
            }
            seen.push(id);
            let Some(c) = controls::find(id) else {
                continue;
            };
            missing.push(Missing {
                control: c.id,
                title: c.title,
                tier: c.tier,
                waived: waivers
                    .iter()
                    .find(|(w, _)| w == id)
                    .map(|(_, r)| r.clone()),
            });
        }
    }
    Presence::Compared(missing)
}
