//! Stateful resources outlive their stack at enterprise: `DeletionPolicy` and
//! `UpdateReplacePolicy` `Retain`, so neither a stack deletion nor a replacement destroys data.

use crate::cfn::{Handle, ResourceKind, RetainPolicy, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static RETAIN_STATEFUL: Control = Control {
    id: "retain-stateful",
    title: "stateful resources (keys, buckets, log groups, topics) are retained on deletion and replacement",
    tier: Tier::Enterprise,
    cis: &[],
    // KMS.3: a retained key is never scheduled for deletion by deleting or replacing its
    // stack (below enterprise, a stack deletion schedules the key's deletion).
    security_hub: &["KMS.3"],
};

/// Marks a stateful resource: retained from enterprise.
pub fn apply<T: ResourceKind>(t: &mut Template, tier: Tier, h: &Handle<T>) {
    if RETAIN_STATEFUL.on(tier) {
        t.res(h)
            .retain(RetainPolicy::Retain)
            .control(&RETAIN_STATEFUL);
    }
}
