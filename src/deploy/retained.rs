//! What an earlier stack of the same name left behind. CloudFormation keeps a deleted stack's
//! record for 90 days: `ListStacks` lists it (`DELETE_COMPLETE`), and its resources that
//! `DeletionPolicy: Retain` kept are `DELETE_SKIPPED`, with their physical ids. So `destroy`
//! needs to record nothing: a later `deploy` of the same stack finds them there, and brings
//! them back with a resource import ([`harden_plan::import`]).

use anyhow::Result;
use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_cloudformation::Client;
use harden_blueprints::BLUEPRINT_TAG;
use harden_plan::import::Retained;

use super::aws::explain;
use super::stack;

/// A deleted stack of the same name, and what it retained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    /// The deleted stack's id.
    pub stack_id: String,
    /// When it was deleted (RFC 3339).
    pub deleted: String,
    /// Its retained resources.
    pub retained: Vec<Retained>,
}

/// The most recently deleted stack named `name` that harden deployed from `blueprint`, if it
/// retained anything.
pub async fn find(c: &Client, name: &str, blueprint: &str) -> Result<Option<Earlier>> {
    let mut latest: Option<(String, i64, String)> = None;
    let mut token: Option<String> = None;
    loop {
        let page = c
            .list_stacks()
            .stack_status_filter(StackStatus::DeleteComplete)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("ListStacks", name, e))?;
        for s in page.stack_summaries() {
            if s.stack_name() != Some(name) {
                continue;
            }
            let when = s.deletion_time().map(|t| t.secs()).unwrap_or(0);
            if latest.as_ref().is_none_or(|(_, w, _)| when > *w) {
                let shown = s
                    .deletion_time()
                    .and_then(|t| {
                        t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                            .ok()
                    })
                    .unwrap_or_default();
                latest = Some((s.stack_id().unwrap_or_default().to_string(), when, shown));
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let Some((id, _, deleted)) = latest else {
        return Ok(None);
    };
    // Only what harden deployed from this blueprint is brought back.
    let tags = c
        .describe_stacks()
        .stack_name(&id)
        .send()
        .await
        .map(|o| {
            o.stacks()
                .first()
                .map(|s| {
                    s.tags()
                        .iter()
                        .any(|t| t.key() == Some(BLUEPRINT_TAG) && t.value() == Some(blueprint))
                })
                .unwrap_or(false)
        })
        .unwrap_or(false);
    if !tags {
        return Ok(None);
    }
    let retained: Vec<Retained> = stack::resources(c, &id)
        .await?
        .into_iter()
        .filter(|r| r.status == "DELETE_SKIPPED")
        .filter_map(|r| {
            Some(Retained {
                physical_id: r.physical_id?,
                logical_id: r.logical_id,
                resource_type: r.resource_type,
            })
        })
        .collect();
    Ok((!retained.is_empty()).then_some(Earlier {
        stack_id: id,
        deleted,
        retained,
    }))
}
