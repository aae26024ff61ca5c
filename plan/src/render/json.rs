//! The plan for machines: CI gates and approval rules read it. Field names are stable;
//! `format_version` changes when one is renamed or removed (adding fields does not).

use harden_blueprints::cfn::render::to_json_value;
use harden_blueprints::cfn::Node;
use serde_json::{json, Value};

use super::replacement_text;
use crate::change_set::ChangeSetOnly;
use crate::data_risk::DataRisk;
use crate::resource_change::{ResourceChange, Section};
use crate::security::{SecurityChange, StatementSummary};
use crate::stack_change::StackChange;
use crate::stack_plan::{Plan, StackPlan};
use crate::value::ValueChange;

/// The version of the JSON format.
pub const FORMAT_VERSION: u64 = 1;

/// Renders the plan as a JSON value (keys in a fixed order).
pub fn render_json(plan: &Plan) -> Value {
    json!({
        "format_version": FORMAT_VERSION,
        "has_changes": plan.has_changes(),
        "broadens_access": plan.broadens_access(),
        "data_at_risk": plan.data_at_risk(),
        "refused": plan.refusal(),
        "stacks": plan.stacks.iter().map(stack).collect::<Vec<_>>(),
    })
}

fn node(n: &Option<Node>) -> Value {
    n.as_ref().map_or(Value::Null, to_json_value)
}

fn value_change(v: &ValueChange) -> Value {
    json!({ "old": node(&v.old), "new": node(&v.new), "diff": v.diff })
}

fn stack(sp: &StackPlan) -> Value {
    let c = sp.counts();
    json!({
        "name": sp.name,
        "kind": sp.kind.as_str(),
        "status": sp.status,
        "change_set": sp.change_set,
        "has_changes": sp.has_changes(),
        "broadens_access": sp.broadens_access(),
        "data_at_risk": sp.data_at_risk(),
        "counts": {
            "add": c.add, "change": c.change, "replace": c.replace,
            "remove": c.remove, "import": c.import,
        },
        "notes": sp.notes,
        "waivers": sp.waivers.iter().map(|w| json!({
            "control": w.control,
            "reason": w.reason,
            "parameter": w.parameter,
            "state": w.state.as_str(),
        })).collect::<Vec<_>>(),
        "removed_by_parameters": sp.removed_by_parameters.iter().map(|r| json!({
            "parameter": r.parameter,
            "previous": r.previous,
            "resources": r.resources,
        })).collect::<Vec<_>>(),
        "stack_changes": sp.stack_changes.iter().map(stack_change).collect::<Vec<_>>(),
        "resources": sp.resources.iter().map(|rc| resource(sp, rc)).collect::<Vec<_>>(),
        "security_changes": sp.security.iter().map(security).collect::<Vec<_>>(),
        "data_risks": sp.data_risks.iter().map(risk).collect::<Vec<_>>(),
        "drift": sp.drift,
        "reverts": sp.reverts,
        "overwrites_security_drift": sp.overwrites_security_drift(),
        "pre_deployment": sp.pre_deployment,
        "refused": sp.pre_deployment.as_ref().and_then(|p| p.cause(&sp.name)),
    })
}

fn stack_change(sc: &StackChange) -> Value {
    let kind = sc.kind();
    match sc {
        StackChange::Parameter {
            name,
            old,
            new,
            no_echo,
        } => {
            json!({ "kind": kind, "name": name, "old": old, "new": new, "no_echo": no_echo })
        }
        StackChange::Tag { key, old, new } => {
            json!({ "kind": kind, "name": key, "old": old, "new": new })
        }
        StackChange::TerminationProtection { old, new } => {
            json!({ "kind": kind, "old": old, "new": new })
        }
        StackChange::StackPolicy { value } => with(json!({ "kind": kind }), value_change(value)),
        StackChange::Output { name, value }
        | StackChange::TemplateSection {
            section: name,
            value,
        } => with(json!({ "kind": kind, "name": name }), value_change(value)),
    }
}

/// `a` with `b`'s fields appended.
fn with(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

fn resource(sp: &StackPlan, rc: &ResourceChange) -> Value {
    let replacement = rc.replacement.as_ref().map(|r| {
        json!({
            "effective": r.effective().map(|x| x.as_str()),
            "predicted": r.predicted.map(|x| x.as_str()),
            "confirmed": r.confirmed.map(|x| x.as_str()),
            "basis": r.basis().map(|b| b.as_str()),
            "reasons": r.reasons,
            "description": replacement_text(rc),
        })
    });
    let change_set_only = rc.change_set_only.as_ref().map(|c| {
        let mut v = json!({ "reason": c.as_str(), "description": c.description() });
        match c {
            ChangeSetOnly::References {
                properties,
                resources,
                parameters,
            } => {
                v["properties"] = json!(properties);
                v["refers_to_resources"] = json!(resources);
                v["refers_to_parameters"] = json!(parameters);
            }
            ChangeSetOnly::ReEvaluated { dynamic_references } => {
                v["dynamic_references"] = dynamic_references
                    .iter()
                    .map(|(p, r)| json!({ "property": p, "reference": r }))
                    .collect();
            }
            ChangeSetOnly::NoChange => {}
        }
        v
    });
    let change_set = rc.change_set.as_ref().map(|c| {
        json!({
            "action": c.action,
            "replacement": c.replacement,
            "scope": c.scope,
            "details": c.details.iter().map(|d| json!({
                "attribute": d.attribute,
                "name": d.name,
                "requires_recreation": d.requires_recreation,
                "change_source": d.change_source,
                "path": d.path,
                "before": d.before,
                "after": d.after,
            })).collect::<Vec<_>>(),
            "disagreements": rc.disagreements(),
        })
    });
    json!({
        "logical_id": rc.logical_id,
        "type": rc.resource_type,
        "old_type": rc.old_type,
        "action": rc.action.as_str(),
        "replaces": rc.replaces(),
        "replacement": replacement,
        "touches_resource": rc.touches_resource,
        "in_template_diff": rc.in_template_diff,
        "properties": rc.properties.iter().map(|p| with(json!({
            "name": p.name,
            "section": match p.section { Section::Property => "property", Section::Attribute => "attribute" },
            "create_only": p.create_only,
        }), value_change(&p.value))).collect::<Vec<_>>(),
        "through": rc.through,
        "change_set": change_set,
        "change_set_only": change_set_only,
        "removed_by_parameter": sp.removed_by(&rc.logical_id).map(|r| &r.parameter),
    })
}

fn statement(s: &StatementSummary) -> Value {
    json!({
        "document": s.document,
        "sid": s.sid,
        "effect": s.effect,
        "actions": s.actions,
        "not_actions": s.not_actions,
        "resources": s.resources,
        "not_resources": s.not_resources,
        "principals": s.principals,
        "not_principals": s.not_principals,
        "conditions": s.conditions,
    })
}

fn security(s: &SecurityChange) -> Value {
    json!({
        "logical_id": s.logical_id,
        "type": s.resource_type,
        "kind": s.kind.as_str(),
        "broadens": s.broadens,
        "public": s.public,
        "description": s.description,
        "statement": s.statement.as_ref().map(statement),
    })
}

fn risk(r: &DataRisk) -> Value {
    json!({
        "logical_id": r.logical_id,
        "type": r.resource_type,
        "cause": r.cause.as_str(),
        "certain": r.certain,
        "basis": r.basis.map(|b| b.as_str()),
        "policy_attribute": r.policy_attribute,
        "policy": r.policy,
        "policy_explicit": r.policy_explicit,
        "fate": r.fate.as_str(),
        "loses_data": r.loses_data(),
        "blocked_by_stack_policy": r.blocked_by_stack_policy,
        "description": r.description,
    })
}
