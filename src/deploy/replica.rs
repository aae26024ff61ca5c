//! Where a workload's replica stack is. Its buckets replicate into a stack of their own in
//! `replica_region`; the workload's stacks carry that region in their
//! [`REPLICA_REGION_TAG`], which is how the commands that render nothing (`destroy`,
//! `status`, `drift`) find it.

use anyhow::Result;
use aws_sdk_cloudformation::Client;
use harden_blueprints::blueprint::{replica_stack_name, REPLICA_REGION_TAG};
use harden_blueprints::StackRole;

use super::aws::Clients;
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

/// Where one of the target's stacks is: for its replica stack, the region a workload stack
/// names (`None` when none does: then it is looked for here, and is not deployed unless it
/// is); for any other stack, the deployment's own region. The clients of that region, the
/// region when it is another, and whether the stack is the replica stack.
pub struct Place {
    /// The clients of the stack's region.
    pub clients: Clients,
    /// Its region, when it is not the deployment's own.
    pub region: Option<String>,
    /// It is the target's replica stack.
    pub replica: bool,
}

/// The [`Place`] of stack `name` of the target.
pub async fn place(aws: &Clients, t: &Target, name: &str, role: StackRole) -> Result<Place> {
    let replica = is_replica(t, name, role);
    let region = match replica {
        true => region(&aws.cfn, t).await?,
        false => None,
    };
    Ok(Place {
        clients: aws.at(region.as_deref())?,
        region,
        replica,
    })
}
