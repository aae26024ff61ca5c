//! Where a workload's replica stack is. Its buckets replicate into a stack of their own in
//! `replica_region`; the workload's stacks carry that region in their
//! [`REPLICA_REGION_TAG`], which is how the commands that render nothing (`destroy`,
//! `status`, `drift`) find it.

use anyhow::Result;
use aws_sdk_cloudformation::Client;
use harden_blueprints::blueprint::{replica_stack_name, REPLICA_REGION_TAG};
use harden_blueprints::StackRole;

use super::stack;
use crate::settings::Target;

/// The tag, on a stack deployed to another region than the deployment's (a replica stack),
/// that names the deployment's region: a workload of the same name in a third region that
/// replicates to the same region would otherwise take the stack over.
pub const SOURCE_REGION_TAG: &str = "harden:source-region";

/// Whether `name` is the target's replica stack.
pub fn is_replica(t: &Target, name: &str, role: StackRole) -> bool {
    role == StackRole::Workload && name == replica_stack_name(&t.name)
}

/// The region the target's deployed workload stacks replicate into, if one of them says.
pub async fn region(c: &Client, t: &Target) -> Result<Option<String>> {
    for (name, role, _) in t.stacks() {
        if role != StackRole::Workload || is_replica(t, &name, role) {
            continue;
        }
        if let Some(info) = stack::describe(c, &name).await? {
            if let Some(r) = info.tags.get(REPLICA_REGION_TAG) {
                return Ok(Some(r.clone()));
            }
        }
    }
    Ok(None)
}
