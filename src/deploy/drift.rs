//! Drift detection: what CloudFormation says a deployed stack's resources look like in the
//! account against its template. `plan` reads it (`--drift auto|always|never`) so a change
//! that would undo a hand-made change is visible, and `harden drift` shows it on its own.
//!
//! `auto` (the default) reads the last detection when it is recent ([`RECENT`]) and runs a new
//! one otherwise; where detection cannot run (a role without `cloudformation:DetectStackDrift`,
//! an emulator that lacks it), the plan says so and goes on comparing templates. `always`
//! detects every time and fails when it cannot; `never` skips it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Result};
use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};
use aws_sdk_cloudformation::Client;
use harden_plan::drift::{
    security_relevant, DriftStatus, Overwrite, PropertyDrift, ResourceDrift, StackDrift,
};

use super::aws::explain;
use super::stack::{rfc3339, StackInfo};

/// Whether and how plans read drift.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DriftMode {
    /// Read a recent detection, or detect; when detection cannot run, say so and go on.
    #[default]
    Auto,
    /// Detect every time; fail when detection cannot run.
    Always,
    /// Do not read drift.
    Never,
}

/// How old a detection `auto` reuses.
pub const RECENT: Duration = Duration::from_secs(15 * 60);

/// How long a detection may take before harden stops waiting.
pub const DETECTION_LIMIT: Duration = Duration::from_secs(10 * 60);

/// What drift to read for plans: the mode, and how often to ask whether a detection finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriftCheck {
    /// The mode.
    pub mode: DriftMode,
    /// The polling interval.
    pub poll: Duration,
}

impl DriftCheck {
    /// No drift read.
    pub const NEVER: DriftCheck = DriftCheck {
        mode: DriftMode::Never,
        poll: Duration::ZERO,
    };

    /// What a selection's `--drift` asks for (stacks of no selection, the bootstrap's, read
    /// none), polled every `poll`.
    pub fn of(sel: Option<&crate::settings::Selection>, poll: Duration) -> DriftCheck {
        DriftCheck {
            mode: sel.map_or(DriftMode::Never, |s| s.drift),
            poll,
        }
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Whether the stack's last detection is recent enough for `auto` to reuse.
fn recent(info: &StackInfo) -> bool {
    info.drift_checked
        .is_some_and(|t| now_secs() - t <= RECENT.as_secs() as i64)
        && info
            .drift_status
            .as_deref()
            .is_some_and(|s| s != "NOT_CHECKED")
}

/// The stack's last detection, as `DescribeStacks` and `DescribeStackResourceDrifts` give it.
async fn last_detection(c: &Client, info: &StackInfo) -> Result<StackDrift> {
    Ok(StackDrift {
        status: DriftStatus::parse(info.drift_status.as_deref().unwrap_or("UNKNOWN")),
        checked_at: info
            .drift_checked
            .map(|t| rfc3339(&aws_sdk_cloudformation::primitives::DateTime::from_secs(t))),
        detected_now: false,
        resources: resources(c, info).await?,
        note: None,
    })
}

/// The drift of a deployed stack, as `check` says to read it; `None` with [`DriftMode::Never`].
pub async fn read(c: &Client, info: &StackInfo, check: DriftCheck) -> Result<Option<StackDrift>> {
    let found = match check.mode {
        DriftMode::Never => return Ok(None),
        DriftMode::Always => return detect(c, info, check.poll).await.map(Some),
        DriftMode::Auto if recent(info) => last_detection(c, info).await,
        DriftMode::Auto => detect(c, info, check.poll).await,
    };
    // `auto`: where drift cannot be read, the plan says so and compares templates.
    Ok(Some(
        found.unwrap_or_else(|e| StackDrift::unknown(not_read(&e))),
    ))
}

/// Why drift is not shown, for the plan.
fn not_read(e: &anyhow::Error) -> String {
    let first = format!("{e:#}");
    let first = first.lines().next().unwrap_or_default().to_string();
    format!("{first}; the plan compares templates only (`--drift always` makes this an error)")
}

/// Runs a detection and waits for it, then reads the drifted resources.
pub async fn detect(c: &Client, info: &StackInfo, poll: Duration) -> Result<StackDrift> {
    let id = c
        .detect_stack_drift()
        .stack_name(&info.id)
        .send()
        .await
        .map_err(|e| explain("DetectStackDrift", &info.name, e))?
        .stack_drift_detection_id()
        .unwrap_or_default()
        .to_string();
    let started = std::time::Instant::now();
    let (status, at, reason) = loop {
        let out = c
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(&id)
            .send()
            .await
            .map_err(|e| explain("DescribeStackDriftDetectionStatus", &info.name, e))?;
        match out.detection_status() {
            Some(StackDriftDetectionStatus::DetectionInProgress) | None => {}
            Some(done) => {
                break (
                    out.stack_drift_status()
                        .map(|s| DriftStatus::parse(s.as_str()))
                        .unwrap_or(DriftStatus::Unknown),
                    out.timestamp().map(rfc3339),
                    (*done == StackDriftDetectionStatus::DetectionFailed).then(|| {
                        out.detection_status_reason()
                            .unwrap_or_default()
                            .to_string()
                    }),
                )
            }
        }
        if started.elapsed() > DETECTION_LIMIT {
            bail!(
                "drift detection of stack `{}` did not finish in {} minutes (detection {id})",
                info.name,
                DETECTION_LIMIT.as_secs() / 60
            );
        }
        tokio::time::sleep(poll).await;
    };
    Ok(StackDrift {
        status,
        checked_at: at,
        detected_now: true,
        resources: resources(c, info).await?,
        // A failed detection still reports what it could check.
        note: reason.map(|r| format!("detection did not check every resource: {r}")),
    })
}

/// The stack's modified and deleted resources at the last detection, with their properties.
async fn resources(c: &Client, info: &StackInfo) -> Result<Vec<ResourceDrift>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = c
            .describe_stack_resource_drifts()
            .stack_name(&info.id)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| explain("DescribeStackResourceDrifts", &info.name, e))?;
        for d in page.stack_resource_drifts() {
            let ty = d.resource_type().unwrap_or_default().to_string();
            out.push(ResourceDrift {
                logical_id: d.logical_resource_id().unwrap_or_default().to_string(),
                status: d
                    .stack_resource_drift_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                properties: d
                    .property_differences()
                    .iter()
                    .map(|p| {
                        let path = p.property_path().unwrap_or_default().to_string();
                        PropertyDrift {
                            security: security_relevant(&ty, &path),
                            path,
                            expected: p.expected_value().map(str::to_string),
                            actual: p.actual_value().map(str::to_string),
                            difference: p
                                .difference_type()
                                .map(|t| t.as_str().to_string())
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
                resource_type: ty,
                overwrite: Overwrite::Untouched,
                effects: Vec::new(),
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// How `harden drift` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftFormat {
    /// For people.
    Text,
    /// For a pull-request comment or a job summary.
    Markdown,
    /// One JSON object: `stacks`, each with `stack` and `drift` (or `deployed: false`).
    Json,
}

/// `harden drift`: each deployed stack of the target, detected now (or, with `reuse_recent`,
/// the detection of the last [`RECENT`] minutes when there is one), printed; the exit code is
/// 0 when every stack is in sync, and with `detailed` 2 when one drifted.
pub async fn drift_cmd(
    aws: &super::aws::Clients,
    con: &crate::ui::Console,
    t: &crate::settings::Target,
    format: DriftFormat,
    reuse_recent: bool,
    detailed: bool,
) -> Result<u8> {
    use std::io::Write;
    let own_baseline = t.blueprint.fixed_stack_name().is_some();
    let mut found: Vec<(String, Option<StackDrift>)> = Vec::new();
    for (name, role, _owner) in t.stacks() {
        // The replica stack in its own region, once a workload stack names it.
        let super::replica::Place {
            clients,
            region,
            replica,
        } = super::replica::place(aws, t, &name, role).await?;
        let c = &clients.cfn;
        let info = match super::stack::describe(c, &name).await? {
            Some(i) if !i.awaiting_first_change_set() => i,
            _ if role == harden_blueprints::StackRole::AccountBaseline && !own_baseline => continue,
            _ if replica && region.is_none() => continue,
            _ => {
                found.push((name, None));
                continue;
            }
        };
        // Unlike a plan, a failure to read drift here is the answer: no `auto` fallback.
        let d = if reuse_recent && recent(&info) {
            last_detection(c, &info).await?
        } else {
            detect(c, &info, con.poll()).await?
        };
        let mut d = d;
        if !d.resources.is_empty() {
            // What the drift did, named as a plan names it.
            let deployed = super::stack::deployed(c, &info).await?;
            harden_plan::drift::assess(&mut d, &deployed.template);
        }
        found.push((name, Some(d)));
    }
    let text = match format {
        DriftFormat::Json => {
            serde_json::to_string_pretty(&harden_plan::render_drift_json(&found))? + "\n"
        }
        DriftFormat::Text => harden_plan::render_drift_text(&found),
        DriftFormat::Markdown => harden_plan::render_drift_markdown(&found),
    };
    con.out().write_all(text.as_bytes())?;
    Ok(if detailed && harden_plan::any_drifted(&found) {
        crate::exit::CHANGES
    } else {
        crate::exit::SUCCESS
    })
}
