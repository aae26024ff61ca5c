//! Before a stack is created: the names it fixes must be free in the account and region, and
//! an account baseline must not exist under another stack name. Otherwise CloudFormation would
//! fail half-way through the create (`alias/harden/account-baseline already exists`) and roll
//! back, after the plan promised success. Both checks read CloudFormation only: the stacks of
//! the region (their tags), and which stack owns each fixed physical name
//! (`DescribeStackResources` by physical id). A name held outside any stack (a resource a
//! deleted stack retained) is found by the redeploy logic; one made by hand, only by
//! CloudFormation itself.

use anyhow::Result;
use aws_sdk_cloudformation::Client;
use harden_blueprints::cfn::physical::{fixed_names, Place};
use harden_blueprints::cfn::Node;
use harden_blueprints::{StackRole, BLUEPRINT_TAG, TIER_TAG};

use super::aws::{explain, is_missing_stack};
use super::stack::{self, StackInfo};
use crate::exit::refuse;

/// A stack about to be created.
pub struct Creating<'a> {
    /// Its name.
    pub name: &'a str,
    /// What it is to the account.
    pub role: StackRole,
    /// Its template.
    pub template: &'a Node,
}

/// Every stack of the region: name, id, status and tags (`DescribeStacks` without a name).
pub async fn all_stacks(c: &Client) -> Result<Vec<StackInfo>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = c
            .describe_stacks()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("DescribeStacks", "(every stack)", e))?;
        out.extend(
            page.stacks()
                .iter()
                .map(stack::info_of)
                .filter(|i| i.status != super::stack::StackStatus::DeleteComplete),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// `arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/...` → (partition, region, account).
fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let mut it = arn.split(':');
    let (_, partition, _, region, account) =
        (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    Some((partition, region, account))
}

/// The stack that owns a physical id, if any.
async fn owner_of(c: &Client, physical_id: &str) -> Result<Option<String>> {
    match c
        .describe_stack_resources()
        .physical_resource_id(physical_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .stack_resources()
            .first()
            .and_then(|r| r.stack_name())
            .map(str::to_string)),
        Err(e) if is_missing_stack(&e) => Ok(None),
        Err(e) => Err(explain("DescribeStackResources", physical_id, e)),
    }
}

/// Refuses (exit 5) to create a stack whose fixed names another stack holds, or a second
/// account baseline. `retained` are physical ids the create will bring back from an earlier
/// stack of the same name (they are not conflicts).
pub async fn check_free(c: &Client, creating: &[Creating<'_>], retained: &[String]) -> Result<()> {
    if creating.is_empty() {
        return Ok(());
    }
    let stacks = all_stacks(c).await?;
    if stacks.is_empty() {
        return Ok(());
    }
    for new in creating {
        if new.role == StackRole::AccountBaseline {
            let own: Vec<String> = harden_blueprints::blueprints::account_baseline::stack_names()
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            let other = stacks.iter().find(|s| {
                !own.contains(&s.name)
                    && s.tags.get(BLUEPRINT_TAG).map(String::as_str)
                        == Some(harden_blueprints::blueprints::account_baseline::NAME)
            });
            if let Some(o) = other {
                return refuse(format!(
                    "an account baseline already exists in this account and region: stack `{}` (tier {}), so creating `{}` would duplicate its trail, GuardDuty detector, Security Hub and alarms\nhint: keep one baseline per account and region; if `{}` is no longer needed, delete it first (`aws cloudformation delete-stack --stack-name {}`), or deploy the workload at `--tier basic`, which needs no baseline",
                    o.name,
                    o.tags.get(TIER_TAG).map(String::as_str).unwrap_or("unknown"),
                    new.name,
                    o.name,
                    o.name
                ));
            }
        }
    }
    let (partition, region, account) = stacks
        .iter()
        .find_map(|s| arn_parts(&s.id))
        .map(|(p, r, a)| (Some(p), Some(r), Some(a)))
        .unwrap_or((None, None, None));
    for new in creating {
        let place = Place {
            stack_name: new.name,
            region,
            account,
            partition,
        };
        for f in fixed_names(new.template, &place) {
            let Some(id) = &f.physical_id else { continue };
            if retained.contains(id) {
                continue;
            }
            if let Some(owner) = owner_of(c, id).await? {
                if owner == new.name {
                    continue;
                }
                let hint = if f.name.contains(new.name) {
                    "choose another `--name`: this name derives from it".to_string()
                } else {
                    format!("the name is fixed because one exists per account and region; if stack `{owner}` is no longer needed, delete it first (`aws cloudformation delete-stack --stack-name {owner}`)")
                };
                return refuse(format!(
                    "the name `{}` ({} of `{}`, {}) is taken in this account and region by stack `{owner}`, so creating stack `{}` would fail half-way\nhint: {hint}",
                    f.name, f.property, f.logical_id, f.resource_type, new.name
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stack_arns_give_partition_region_and_account() {
        assert_eq!(
            super::arn_parts("arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/a/1"),
            Some(("aws-us-gov", "us-gov-west-1", "123456789012"))
        );
        assert_eq!(super::arn_parts("nope"), None);
    }
}
