//! What CloudFormation itself said of a stack's change set before anything ran: its
//! pre-deployment validation (property syntax, resource name conflicts, bucket emptiness on
//! delete, quotas...) and the account's CloudFormation Hooks. A refused change set is the
//! plan's first cause: shown on the stack in every format, and the headline of the error.

use serde::Serialize;

/// A check CloudFormation ran on a change set before it could be executed that failed or
/// warned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// The validation's name.
    pub name: String,
    /// The template path it names (`Resources/Bucket/Properties/BucketName`), if any.
    pub path: Option<String>,
    /// The resource it names, if any.
    pub resource: Option<String>,
    /// What CloudFormation says.
    pub reason: String,
    /// A warning (the change set can still run) rather than a failure.
    pub warning: bool,
}

impl Validation {
    /// One line: name, place, reason.
    pub fn summary(&self) -> String {
        let mut at = Vec::new();
        if let Some(p) = &self.path {
            at.push(format!("at `{p}`"));
        }
        if let Some(r) = &self.resource {
            at.push(format!("resource `{r}`"));
        }
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" ({})", at.join(", "))
        };
        format!("validation `{}`{at}: {}", self.name, self.reason)
    }
}

/// A CloudFormation Hook's result for a change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookResult {
    /// The hook's type name.
    pub hook: String,
    /// `HOOK_COMPLETE_SUCCEEDED`, `HOOK_COMPLETE_FAILED`, `HOOK_FAILED`...
    pub status: String,
    /// What the hook said, if anything.
    pub reason: Option<String>,
    /// The resource it judged, if one.
    pub resource: Option<String>,
    /// Whether its failure only warns.
    pub warn_only: bool,
}

impl HookResult {
    /// Whether the hook did not pass.
    pub fn failed(&self) -> bool {
        self.status != "HOOK_COMPLETE_SUCCEEDED" && self.status != "HOOK_IN_PROGRESS"
    }

    /// Whether its failure stops the change set.
    pub fn blocks(&self) -> bool {
        self.failed() && !self.warn_only
    }

    /// One line: hook, resource, status, reason.
    pub fn summary(&self) -> String {
        format!(
            "CloudFormation Hook `{}`{}: {}{}",
            self.hook,
            self.resource
                .as_deref()
                .map(|r| format!(" on `{r}`"))
                .unwrap_or_default(),
            self.status,
            self.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )
    }
}

/// A CloudFormation Hook that will check a resource when the change set runs
/// (`DescribeChangeSetHooks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedHook {
    /// The hook's type name.
    pub hook: String,
    /// The resource it will check, if one.
    pub resource: Option<String>,
    /// That resource's type.
    pub resource_type: Option<String>,
    /// What the change set does to it (`Add`, `Modify`, `Remove`...).
    pub action: Option<String>,
    /// Whether its failure only warns (otherwise it stops the deploy).
    pub warn_only: bool,
}

impl PlannedHook {
    /// One line: hook, resource, what its failure does.
    pub fn summary(&self) -> String {
        let target = match (&self.resource, &self.resource_type, &self.action) {
            (Some(r), Some(t), Some(a)) => format!(" `{r}` ({t}, {a})"),
            (Some(r), _, _) => format!(" `{r}`"),
            _ => String::new(),
        };
        format!(
            "CloudFormation Hook `{}` will check{target} when the change set runs; {}",
            self.hook,
            if self.warn_only {
                "its failure only warns"
            } else {
                "its failure stops the deploy"
            }
        )
    }
}

/// What CloudFormation reported of one stack's change set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PreDeployment {
    /// The validations that failed or warned.
    pub validations: Vec<Validation>,
    /// The hooks' results.
    pub hooks: Vec<HookResult>,
    /// The change set's status reason, when CloudFormation could not create it.
    pub refused: Option<String>,
    /// The hooks that will run when the change set is executed.
    pub planned: Vec<PlannedHook>,
}

impl PreDeployment {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.validations.is_empty()
            && self.hooks.is_empty()
            && self.refused.is_none()
            && self.planned.is_empty()
    }

    /// The validations that failed (not only warned).
    pub fn failures(&self) -> impl Iterator<Item = &Validation> {
        self.validations.iter().filter(|v| !v.warning)
    }

    /// Why CloudFormation refused the change set of stack `stack`, as the headline of an
    /// error (`None` if it did not): the validation's own finding, or the failed hook, comes
    /// first; the change set's status reason, which only says that it failed, is a note.
    pub fn cause(&self, stack: &str) -> Option<String> {
        let reason = self.refused.as_deref()?;
        let failed: Vec<&Validation> = self.failures().collect();
        Some(if let Some(first) = failed.first() {
            let mut msg = format!(
                "CloudFormation's pre-deployment validation refused the change set for stack `{stack}`: {}",
                first.summary()
            );
            for v in &failed[1..] {
                msg.push_str(&format!("\nalso: {}", v.summary()));
            }
            msg.push_str(&format!("\nnote: the change set's status: {reason}"));
            msg
        } else if let Some(h) = self.hooks.iter().find(|h| h.blocks()) {
            format!(
                "the CloudFormation Hook `{}` failed the change set for stack `{stack}`{}: {}\nnote: the change set's status: {reason}",
                h.hook,
                h.resource
                    .as_deref()
                    .map(|r| format!(" on resource `{r}`"))
                    .unwrap_or_default(),
                h.reason.as_deref().unwrap_or(&h.status)
            )
        } else {
            format!("CloudFormation could not create a change set for stack `{stack}`: {reason}")
        })
    }

    /// The lines a plan shows, the cause first: (warns, text).
    pub fn lines(&self) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        let failed: Vec<&Validation> = self.failures().collect();
        let blocking = self.hooks.iter().find(|h| h.blocks());
        if let Some(reason) = &self.refused {
            let first = failed
                .first()
                .map(|v| v.summary())
                .or_else(|| blocking.map(HookResult::summary));
            let head = "REFUSED by CloudFormation before anything ran";
            match first {
                Some(cause) => {
                    out.push((true, format!("{head}: {cause}")));
                    out.extend(
                        failed
                            .iter()
                            .skip(1)
                            .map(|v| (true, format!("also failed: {}", v.summary()))),
                    );
                    out.push((false, format!("the change set's status: {reason}")));
                }
                None => out.push((true, format!("{head}: {reason}"))),
            }
        } else {
            out.extend(
                failed
                    .iter()
                    .map(|v| (true, format!("failed: {}", v.summary()))),
            );
        }
        for v in self.validations.iter().filter(|v| v.warning) {
            out.push((false, format!("CloudFormation warns: {}", v.summary())));
        }
        // A hook that is the cause is on the first line already.
        let hook_is_cause = self.refused.is_some() && failed.is_empty();
        for h in &self.hooks {
            if !(hook_is_cause && blocking == Some(h)) {
                out.push((h.failed(), h.summary()));
            }
        }
        out.extend(self.planned.iter().map(|h| (false, h.summary())));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_hook_alone_is_the_cause_and_is_not_repeated() {
        let p = PreDeployment {
            validations: Vec::new(),
            hooks: vec![HookResult {
                hook: "Acme::Guard".into(),
                status: "HOOK_COMPLETE_FAILED".into(),
                reason: Some("bucket not encrypted".into()),
                resource: Some("Data".into()),
                warn_only: false,
            }],
            refused: Some("The following hook(s)/validation failed: [Acme::Guard]".into()),
            planned: Vec::new(),
        };
        assert_eq!(
            p.cause("app").unwrap(),
            "the CloudFormation Hook `Acme::Guard` failed the change set for stack `app` on resource `Data`: bucket not encrypted\nnote: the change set's status: The following hook(s)/validation failed: [Acme::Guard]"
        );
        let lines = p.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].1.ends_with("CloudFormation Hook `Acme::Guard` on `Data`: HOOK_COMPLETE_FAILED (bucket not encrypted)"));
        // Not refused: nothing is a cause.
        let warned = PreDeployment {
            refused: None,
            ..p.clone()
        };
        assert!(warned.cause("app").is_none());
    }
}
