//! Reading a change set into the plan. The change set is CloudFormation's own verdict: its
//! `Replacement` column confirms or overrides the predicted replacement, and its entries for
//! resources the template diff did not find (re-evaluated references, dynamic values) are
//! added so nothing it will do goes unseen.

use crate::input::ChangeSetChange;
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
