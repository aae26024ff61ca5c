//! Stack events: streaming them while an operation runs (a progress bar on a terminal, one
//! line per event in CI logs), and finding the first cause of a failure among the cascade of
//! cancellations that follows it.

use std::io::Write;

use anyhow::Result;
use aws_sdk_cloudformation::Client;
use indicatif::ProgressBar;

use super::stack::{self, StackInfo};
use crate::ui::Console;

/// One stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    /// `EventId`
    pub id: String,
    /// When (RFC 3339).
    pub time: String,
    /// The resource's logical id (the stack's name for stack-level events).
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `UPDATE_FAILED`, ...
    pub status: String,
    /// CloudFormation's reason, if any.
    pub reason: Option<String>,
}

impl StackEvent {
    /// `Resource (Type) STATUS: reason`: how a cause is reported.
    pub fn summary(&self) -> String {
        format!(
            "{} ({}) {}: {}",
            self.logical_id,
            self.resource_type,
            self.status,
            self.reason.as_deref().unwrap_or("")
        )
    }

    /// Whether this is about the stack itself rather than a resource.
    pub fn is_stack(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }
}

/// Reasons that are consequences, not causes.
fn is_cascade(reason: &str) -> bool {
    reason.contains("Resource creation cancelled")
        || reason.contains("Resource update cancelled")
        || reason.contains("Resource deletion cancelled")
        || reason.starts_with("The following resource(s) failed to")
}

/// The first cause of a failure: the earliest failed resource event with a reason that is
/// not a cancellation caused by another failure. Events are oldest first.
pub fn first_cause(events: &[StackEvent]) -> Option<&StackEvent> {
    let failed = |e: &&StackEvent| {
        e.status.ends_with("_FAILED") && e.reason.as_deref().is_some_and(|r| !r.is_empty())
    };
    events
        .iter()
        .filter(failed)
        .find(|e| !e.is_stack() && !is_cascade(e.reason.as_deref().unwrap_or("")))
        .or_else(|| {
            events
                .iter()
                .filter(failed)
                .find(|e| !is_cascade(e.reason.as_deref().unwrap_or("")))
        })
        .or_else(|| events.iter().find(failed))
}

/// Where events go while an operation runs.
pub trait Progress {
    /// One new event.
    fn event(&mut self, e: &StackEvent);
    /// The operation ended.
    fn finish(&mut self);
}

/// One line per event on the console's stderr: what CI logs need.
pub struct Lines(pub Console);

impl Progress for Lines {
    fn event(&mut self, e: &StackEvent) {
        let reason = e
            .reason
            .as_deref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        let _ = writeln!(
            self.0.err(),
            "{}  {:<32} {:<40} {}{}",
            e.time,
            e.logical_id,
            e.resource_type,
            e.status,
            reason
        );
    }

    fn finish(&mut self) {}
}

/// A progress bar on a terminal: resources done out of the total, and the ones in progress.
pub struct Bar {
    bar: ProgressBar,
    in_progress: Vec<String>,
}

impl Bar {
    /// A bar for an operation touching `total` resources.
    pub fn new(stack: &str, total: u64) -> Bar {
        let bar = crate::ui::progress_bar(stack, Some(total), "resources");
        Bar {
            bar,
            in_progress: Vec::new(),
        }
    }
}

impl Progress for Bar {
    fn event(&mut self, e: &StackEvent) {
        if e.is_stack() {
            return;
        }
        if e.status.ends_with("_IN_PROGRESS") {
            if !self.in_progress.contains(&e.logical_id) {
                self.in_progress.push(e.logical_id.clone());
            }
        } else {
            self.in_progress.retain(|id| id != &e.logical_id);
            if e.status.ends_with("_COMPLETE") {
                self.bar.inc(1);
            }
            if e.status.ends_with("_FAILED") {
                self.bar.println(format!(
                    "{}  {}  {}",
                    e.logical_id,
                    e.status,
                    e.reason.as_deref().unwrap_or("")
                ));
            }
        }
        let shown: Vec<&str> = self
            .in_progress
            .iter()
            .take(4)
            .map(String::as_str)
            .collect();
        let more = self.in_progress.len().saturating_sub(shown.len());
        let tail = if more > 0 {
            format!(" +{more}")
        } else {
            String::new()
        };
        self.bar
            .set_message(format!("in progress: {}{tail}", shown.join(", ")));
    }

    fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// How watching a stack ended.
pub struct Watched {
    /// The stack as it ended up (`None` once deleted).
    pub info: Option<StackInfo>,
    /// Every event seen, oldest first.
    pub events: Vec<StackEvent>,
}

/// Follows a stack's events after `after` until it leaves every `*_IN_PROGRESS` status.
/// A lost connection is an error that says where the stack was last seen, and how to resume:
/// `resume` is the `harden status --watch ...` command for this stack.
pub async fn watch(
    c: &Client,
    con: &Console,
    stack_id: &str,
    name: &str,
    after: Option<String>,
    progress: &mut dyn Progress,
    resume: &str,
) -> Result<Watched> {
    let mut last = after;
    let mut seen = Vec::new();
    let mut last_status = String::from("unknown");
    let poll = con.poll();
    loop {
        let step = async {
            let new = stack::events_after(c, stack_id, last.as_deref()).await?;
            let info = stack::describe(c, stack_id).await?;
            anyhow::Ok((new, info))
        };
        let (new, info) = match step.await {
            Ok(x) => x,
            Err(e) => {
                progress.finish();
                return Err(e.context(format!(
                    "lost contact with CloudFormation while watching stack `{name}` (last seen {last_status}); the operation goes on in AWS\nhint: resume watching with `{resume}`"
                )));
            }
        };
        for e in &new {
            progress.event(e);
        }
        if let Some(e) = new.last() {
            last = Some(e.id.clone());
        }
        seen.extend(new);
        match info {
            None => {
                progress.finish();
                return Ok(Watched {
                    info: None,
                    events: seen,
                });
            }
            Some(i) if !i.in_progress() => {
                progress.finish();
                return Ok(Watched {
                    info: Some(i),
                    events: seen,
                });
            }
            Some(i) => last_status = i.status.as_str().to_string(),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = tokio::signal::ctrl_c() => {
                progress.finish();
                anyhow::bail!(
                    "stopped watching stack `{name}` (last seen {last_status}): the operation goes on in AWS; nothing was cancelled\nhint: resume watching with `{resume}`"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, logical: &str, ty: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            id: id.into(),
            time: format!("2026-11-22T12:00:0{id}Z"),
            logical_id: logical.into(),
            resource_type: ty.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn first_cause_skips_the_cascade_of_cancellations() {
        let events = vec![
            ev("1", "app", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", Some("User Initiated")),
            ev("2", "Key", "AWS::KMS::Key", "CREATE_IN_PROGRESS", None),
            ev("3", "Bucket", "AWS::S3::Bucket", "CREATE_FAILED", Some("Resource creation cancelled")),
            ev("4", "Role", "AWS::IAM::Role", "CREATE_FAILED", Some("Policy has invalid action")),
            ev("5", "Key", "AWS::KMS::Key", "CREATE_FAILED", Some("Resource creation cancelled")),
            ev("6", "app", "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to create: [Role, Bucket, Key]. Rollback requested by user.")),
        ];
        let cause = first_cause(&events).unwrap();
        assert_eq!(cause.logical_id, "Role");
        assert_eq!(cause.reason.as_deref(), Some("Policy has invalid action"));
    }

    #[test]
    fn first_cause_falls_back_to_the_stack_event() {
        let events = vec![ev(
            "1",
            "app",
            "AWS::CloudFormation::Stack",
            "UPDATE_FAILED",
            Some("Template format error"),
        )];
        assert_eq!(first_cause(&events).unwrap().logical_id, "app");
        assert!(first_cause(&[]).is_none());
    }
}
