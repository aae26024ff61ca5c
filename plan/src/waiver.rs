//! Waived controls: a control of the chosen tier that the user switched off on purpose
//! (`--waive CONTROL=REASON`), recorded in the template's `Metadata.harden.Waivers`. A plan
//! shows every waiver of a stack, so nobody deploys a weaker tier without seeing it, and says
//! which waivers this deployment adds or lifts.

use harden_blueprints::cfn::Node;

use crate::value::compact;

/// Whether a waiver is new, stays, or is lifted by the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaiverState {
    /// In the desired template, not in the deployed one: the deployment switches the control
    /// off.
    Added,
    /// In both: the control stays off.
    Kept,
    /// In the deployed template only: the deployment brings the control back.
    Removed,
}

impl WaiverState {
    /// `added`, `kept`, `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Added => "added",
            WaiverState::Kept => "kept",
            WaiverState::Removed => "removed",
        }
    }
}

/// One waived control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The control id (`sagemaker-multi-instance`).
    pub control: String,
    /// Why it is waived, as the user wrote it.
    pub reason: String,
    /// The parameter that switched it off (`instance_count=1`), when one did.
    pub parameter: Option<String>,
    /// Added, kept or removed by this deployment.
    pub state: WaiverState,
}

impl Waiver {
    /// `` waives control `X`: REASON (switched off by `instance_count=1`) ``
    pub fn description(&self) -> String {
        let by = self
            .parameter
            .as_ref()
            .map(|p| format!(" (switched off by `{p}`)"))
            .unwrap_or_default();
        match self.state {
            WaiverState::Added | WaiverState::Kept => {
                format!("waives control `{}`: {}{by}", self.control, self.reason)
            }
            WaiverState::Removed => format!(
                "no longer waives control `{}`: the control is back (it was waived: {})",
                self.control, self.reason
            ),
        }
    }
}

/// The waivers a template records, in its order. Entries without a `Control` are skipped; a
/// missing `Reason` reads as "(no reason given)".
pub fn read(template: &Node) -> Vec<(String, String, Option<String>)> {
    let Some(Node::Seq(items)) = template.get_path(&["Metadata", "harden", "Waivers"]) else {
        return Vec::new();
    };
    let text = |item: &Node, key: &str| {
        item.get_path(&[key])
            .map(compact)
            .filter(|s| !s.trim().is_empty())
    };
    items
        .iter()
        .filter_map(|item| {
            let control = text(item, "Control")?;
            let reason = text(item, "Reason").unwrap_or_else(|| "(no reason given)".into());
            Some((control, reason, text(item, "Parameter")))
        })
        .collect()
}

/// The waivers of the desired template (added or kept), then those of the deployed template
/// that the desired one lifts. A stack to create has no deployed template: every waiver is
/// added.
pub fn diff(old: Option<&Node>, new: &Node) -> Vec<Waiver> {
    let before = old.map(read).unwrap_or_default();
    let after = read(new);
    let mut out: Vec<Waiver> = after
        .iter()
        .map(|(control, reason, parameter)| Waiver {
            state: if before.iter().any(|(c, ..)| c == control) {
                WaiverState::Kept
            } else {
                WaiverState::Added
            },
            control: control.clone(),
            reason: reason.clone(),
            parameter: parameter.clone(),
        })
        .collect();
    for (control, reason, parameter) in before {
        if !after.iter().any(|(c, ..)| *c == control) {
            out.push(Waiver {
                control,
                reason,
                parameter,
                state: WaiverState::Removed,
            });
        }
    }
    out
}
