//! A saved plan (`harden plan --out plan.json`): the change sets it created (kept, by ARN),
//! what each stack looked like when the plan was made, and the plan itself. `harden deploy
//! --plan plan.json` executes exactly those change sets, or refuses if a stack changed since.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::prepare::Prepared;
use crate::settings::Selection;

/// The file format's version.
pub const FORMAT_VERSION: i64 = 1;

impl SavedStack {
    /// Its change set, as one that has not run yet.
    pub fn pending(&self) -> Option<super::prepare::Pending> {
        self.change_set.as_ref().map(|cs| super::prepare::Pending {
            stack: self.name.clone(),
            stack_id: self.stack_id.clone().unwrap_or_else(|| self.name.clone()),
            change_set: cs.clone(),
            empty_stack: self.deployed_sha256.is_none(),
        })
    }
}

/// One stack of a saved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedStack {
    /// Stack name.
    pub name: String,
    /// The stack's id (`None`: it did not exist and needs no change set).
    pub stack_id: Option<String>,
    /// The change set to execute, if the stack's template, parameters or tags change.
    pub change_set: Option<String>,
    /// SHA-256 of the deployed template at plan time (`None`: nothing was deployed). If the
    /// stack's template differs at deploy time, the plan is stale.
    pub deployed_sha256: Option<String>,
    /// SHA-256 of the template body the change set carries.
    pub template_sha256: String,
    /// The stack parameters the change set carries.
    pub parameters: indexmap::IndexMap<String, String>,
    /// Termination protection wanted.
    pub termination_protection: bool,
    /// Stack policy wanted (JSON text).
    pub stack_policy: Option<String>,
    /// Resources touched (for the progress bar).
    pub touched: u64,
}

/// A saved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedPlan {
    /// `--blueprint --tier ...` it was made with.
    pub selection: String,
    /// The tier.
    pub tier: String,
    /// The stacks, in deployment order.
    pub stacks: Vec<SavedStack>,
    /// Whether the plan puts data at risk.
    pub data_at_risk: bool,
    /// Whether the plan broadens access.
    pub broadens_access: bool,
    /// The plan (`harden plan --format json`).
    pub plan: Value,
}

/// SHA-256 of a template body, hex.
pub fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl SavedPlan {
    /// A saved plan of prepared stacks.
    pub fn new(sel: &Selection, prepared: &[Prepared], plan: &harden_plan::Plan) -> SavedPlan {
        SavedPlan {
            selection: sel.flags(),
            tier: sel.tier.to_string(),
            stacks: prepared
                .iter()
                .map(|p| SavedStack {
                    name: p.name.clone(),
                    stack_id: p.stack_id.clone(),
                    change_set: p.change_set.clone(),
                    deployed_sha256: p.deployed_sha256.clone(),
                    template_sha256: sha256(&p.body),
                    parameters: p.parameters.clone(),
                    termination_protection: p.termination_protection,
                    stack_policy: p
                        .stack_policy
                        .as_ref()
                        .map(harden_blueprints::cfn::render::to_json),
                    touched: p.touched,
                })
                .collect(),
            data_at_risk: plan.data_at_risk(),
            broadens_access: plan.broadens_access(),
            plan: harden_plan::render_json(plan),
        }
    }

    /// The JSON document.
    pub fn to_json(&self) -> Value {
        json!({
            "format_version": FORMAT_VERSION,
            "tool": "harden",
            "selection": self.selection,
            "tier": self.tier,
            "data_at_risk": self.data_at_risk,
            "broadens_access": self.broadens_access,
            "stacks": self.stacks.iter().map(|s| json!({
                "name": s.name,
                "stack_id": s.stack_id,
                "change_set_arn": s.change_set,
                "deployed_template_sha256": s.deployed_sha256,
                "template_sha256": s.template_sha256,
                "parameters": s.parameters.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
                "termination_protection": s.termination_protection,
                "stack_policy": s.stack_policy,
                "resources_touched": s.touched,
            })).collect::<Vec<_>>(),
            "plan": self.plan,
        })
    }

    /// Writes the file.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json())? + "\n";
        std::fs::write(path, text)
            .with_context(|| format!("writing the plan to `{}`", path.display()))
    }

    /// Reads a saved plan, naming the file and the field on any problem.
    pub fn read(path: &Path) -> Result<SavedPlan> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the plan `{}`", path.display()))?;
        let v: Value = serde_json::from_str(&text).with_context(|| {
            format!("`{}` is not a harden plan: it is not JSON", path.display())
        })?;
        let bad = |field: &str| {
            anyhow::anyhow!(
                "`{}` is not a harden plan: field `{field}` is missing or wrong\nhint: make one with `harden plan --out {}`",
                path.display(),
                path.display()
            )
        };
        if v.get("tool").and_then(Value::as_str) != Some("harden") {
            return Err(bad("tool"));
        }
        if v.get("format_version").and_then(Value::as_i64) != Some(FORMAT_VERSION) {
            bail!(
                "`{}` is a harden plan of format version {}, and this harden reads version {FORMAT_VERSION}\nhint: make the plan again with this harden",
                path.display(),
                v.get("format_version").map(Value::to_string).unwrap_or_else(|| "?".into())
            );
        }
        let str_of = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
        let mut stacks = Vec::new();
        for s in v
            .get("stacks")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("stacks"))?
        {
            stacks.push(SavedStack {
                name: str_of(s, "name").ok_or_else(|| bad("stacks[].name"))?,
                stack_id: str_of(s, "stack_id"),
                change_set: str_of(s, "change_set_arn"),
                deployed_sha256: str_of(s, "deployed_template_sha256"),
                template_sha256: str_of(s, "template_sha256")
                    .ok_or_else(|| bad("stacks[].template_sha256"))?,
                parameters: s
                    .get("parameters")
                    .and_then(Value::as_object)
                    .ok_or_else(|| bad("stacks[].parameters"))?
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect(),
                termination_protection: s
                    .get("termination_protection")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| bad("stacks[].termination_protection"))?,
                stack_policy: str_of(s, "stack_policy"),
                touched: s
                    .get("resources_touched")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            });
        }
        Ok(SavedPlan {
            selection: str_of(&v, "selection").ok_or_else(|| bad("selection"))?,
            tier: str_of(&v, "tier").ok_or_else(|| bad("tier"))?,
            stacks,
            data_at_risk: v
                .get("data_at_risk")
                .and_then(Value::as_bool)
                .ok_or_else(|| bad("data_at_risk"))?,
            broadens_access: v
                .get("broadens_access")
                .and_then(Value::as_bool)
                .ok_or_else(|| bad("broadens_access"))?,
            plan: v.get("plan").cloned().ok_or_else(|| bad("plan"))?,
        })
    }
}
