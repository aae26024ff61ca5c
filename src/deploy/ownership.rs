//! Which deployed stacks are harden's to change. harden tags every stack it creates with the
//! blueprint it came from (`harden:blueprint`) and its tier (`harden:tier`); a stack without
//! the tag, or with another blueprint's, is refused before any change set is made, unless the
//! user adopts it explicitly with `--adopt`. A trial once deleted a bucket in a stack harden
//! did not own: this module is why that cannot happen again.

use anyhow::Result;
use harden_blueprints::{BLUEPRINT_TAG, TIER_TAG};

use super::stack::StackInfo;
use crate::exit::refuse;

/// What a deployed stack's tags say about who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// harden, from this blueprint at this tier (if the tier tag is there).
    Harden {
        /// The `harden:blueprint` tag.
        blueprint: String,
        /// The `harden:tier` tag.
        tier: Option<String>,
    },
    /// Something else: no `harden:blueprint` tag.
    Other,
}

impl Owner {
    /// Reads the tags.
    pub fn of(info: &StackInfo) -> Owner {
        match info.tags.get(BLUEPRINT_TAG) {
            Some(b) => Owner::Harden {
                blueprint: b.clone(),
                tier: info.tags.get(TIER_TAG).cloned(),
            },
            None => Owner::Other,
        }
    }

    /// Whether the stack is this blueprint's.
    pub fn is(&self, blueprint: &str) -> bool {
        matches!(self, Owner::Harden { blueprint: b, .. } if b == blueprint)
    }

    /// For listings: `blueprint sagemaker-vpc, tier basic` or `not created by harden`.
    pub fn describe(&self) -> String {
        match self {
            Owner::Harden { blueprint, tier } => format!(
                "blueprint {blueprint}, tier {}",
                tier.as_deref().unwrap_or("unknown")
            ),
            Owner::Other => "not created by harden".into(),
        }
    }
}

/// What the user is about to do to a stack, for the refusal's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// `plan` / `deploy`: change it to the blueprint's template.
    Deploy,
    /// `destroy`: delete it.
    Destroy,
}

/// Checks that a deployed stack is `blueprint`'s. Returns whether it is being adopted (not
/// ours, and `--adopt` given); refuses (exit 5) when it is not ours and `adopt` is false.
/// `adopt_command` is the complete command that would go ahead with `--adopt` (for `deploy`, a
/// `harden plan ... --adopt` that shows what adopting would do).
pub fn check(
    info: &StackInfo,
    blueprint: &str,
    intent: Intent,
    adopt: bool,
    adopt_command: &str,
) -> Result<bool> {
    let owner = Owner::of(info);
    if owner.is(blueprint) {
        return Ok(false);
    }
    if adopt {
        return Ok(true);
    }
    let name = &info.name;
    let whose = match &owner {
        Owner::Other => format!("stack `{name}` was not created by harden: it has no `{BLUEPRINT_TAG}` tag"),
        Owner::Harden { blueprint: other, .. } => format!(
            "stack `{name}` belongs to blueprint `{other}` (its `{BLUEPRINT_TAG}` tag), not `{blueprint}`"
        ),
    };
    let (what, hint) = match intent {
        Intent::Deploy => (
            format!("deploying blueprint `{blueprint}` to it would replace or delete what it holds"),
            format!("choose another `--name`; to see what taking the stack over would remove from it, run `{adopt_command}`"),
        ),
        Intent::Destroy => (
            "harden does not delete it".to_string(),
            format!("check `--blueprint` and `--name`; to delete a stack harden did not create, use the tool that made it, or run `{adopt_command}`"),
        ),
    };
    refuse(format!("{whose}, so {what}\nhint: {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Refusal;

    fn info(tags: &[(&str, &str)]) -> StackInfo {
        StackInfo {
            id: "arn:aws:cloudformation:us-east-1:1:stack/payroll/1".into(),
            name: "payroll".into(),
            status: crate::deploy::stack::StackStatus::CreateComplete,
            reason: None,
            termination_protection: false,
            parameters: Default::default(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            outputs: Vec::new(),
            exports: Vec::new(),
            last_changed: None,
            drift_status: None,
            drift_checked: None,
        }
    }

    #[test]
    fn a_stack_without_the_tag_is_refused_unless_adopted() {
        let i = info(&[("team", "payroll")]);
        let e = check(
            &i,
            "sagemaker-vpc",
            Intent::Deploy,
            false,
            "harden plan --blueprint sagemaker-vpc --tier basic --name payroll --adopt",
        )
        .unwrap_err();
        assert!(e.is::<Refusal>());
        assert_eq!(
            e.to_string(),
            "stack `payroll` was not created by harden: it has no `harden:blueprint` tag, so deploying blueprint `sagemaker-vpc` to it would replace or delete what it holds\nhint: choose another `--name`; to see what taking the stack over would remove from it, run `harden plan --blueprint sagemaker-vpc --tier basic --name payroll --adopt`"
        );
        assert!(check(&i, "sagemaker-vpc", Intent::Deploy, true, "").unwrap());
    }

    #[test]
    fn another_blueprints_stack_is_refused() {
        let i = info(&[("harden:blueprint", "account-baseline")]);
        let e = check(&i, "sagemaker-vpc", Intent::Destroy, false, "").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("stack `payroll` belongs to blueprint `account-baseline`"));
        assert!(!check(&i, "account-baseline", Intent::Destroy, false, "").unwrap());
    }
}
