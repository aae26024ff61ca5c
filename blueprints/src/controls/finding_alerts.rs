//! Finding alerts: EventBridge rules that send GuardDuty and Security Hub findings to the
//! account baseline's encrypted alert topic, so a detector's findings reach someone instead
//! of waiting in a console. GuardDuty findings of medium severity and above (severity 4.0 and
//! up: medium is 4.0-6.9, high 7.0-8.9, critical 9.0 and up); Security Hub findings that
//! failed a compliance check with severity HIGH or CRITICAL, still active and not yet
//! triaged (workflow status `NEW`: setting a finding `NOTIFIED` or `SUPPRESSED` stops its
//! repeats). Findings are regional, so the rules exist in every region the baseline runs in.

use crate::cfn::generated::events;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::alarms::{combined_condition, event_rule, Alerts, RuleSpec};
use crate::tier::Tier;

/// The control.
pub static FINDING_ALERTS: Control = Control {
    id: "finding-alerts",
    title: "GuardDuty findings of medium severity and up, and failed high or critical Security Hub findings, sent by EventBridge to the alert topic",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &[],
};

/// GuardDuty findings of medium severity and above.
pub fn guardduty_pattern() -> Expr {
    Expr::map([
        ("source", Expr::strs(["aws.guardduty"])),
        ("detail-type", Expr::strs(["GuardDuty Finding"])),
        (
            "detail",
            Expr::map([(
                "severity",
                Expr::list([Expr::map([(
                    "numeric",
                    Expr::list([Expr::str(">="), Expr::Int(4)]),
                )])]),
            )]),
        ),
    ])
}

/// Security Hub findings (AWS Security Finding Format) that failed a check with severity HIGH
/// or CRITICAL, active and new.
pub fn security_hub_pattern() -> Expr {
    Expr::map([
        ("source", Expr::strs(["aws.securityhub"])),
        (
            "detail-type",
            Expr::strs(["Security Hub Findings - Imported"]),
        ),
        (
            "detail",
            Expr::map([(
                "findings",
                Expr::map([
                    (
                        "Compliance",
                        Expr::map([("Status", Expr::strs(["FAILED"]))]),
                    ),
                    (
                        "Severity",
                        Expr::map([("Label", Expr::strs(["HIGH", "CRITICAL"]))]),
                    ),
                    ("RecordState", Expr::strs(["ACTIVE"])),
                    ("Workflow", Expr::map([("Status", Expr::strs(["NEW"]))])),
                ]),
            )]),
        ),
    ])
}

/// One kind of finding alert: logical id prefix, what it sends, its event pattern.
type FindingRule = (&'static str, &'static str, fn() -> Expr);

const RULES: &[FindingRule] = &[
    (
        "GuardDutyFindings",
        "GuardDuty findings of medium severity and above",
        guardduty_pattern,
    ),
    (
        "SecurityHubFindings",
        "Failed Security Hub findings of high or critical severity, active and new",
        security_hub_pattern,
    ),
];

/// Adds the rules that send findings to the stack's topic (`topic`: its ARN; the topic's
/// policy names the rules, so they come first). None below enhanced.
pub fn finding_rules(t: &mut Template, tier: Tier, topic: Expr) -> Vec<Handle<events::Rule>> {
    if !FINDING_ALERTS.on(tier) {
        return Vec::new();
    }
    RULES
        .iter()
        .map(|(id, description, pattern)| {
            event_rule(
                t,
                tier,
                RuleSpec {
                    id: &format!("{id}Rule"),
                    description,
                    pattern: pattern(),
                    topic: topic.clone(),
                    forwards: false,
                    control: &FINDING_ALERTS,
                },
            )
        })
        .collect()
}

/// Adds rules that forward the same findings to `alert_topic_arn`, if one is given, where
/// the stack runs in the topic's region. None below enhanced.
pub fn forward_findings(
    t: &mut Template,
    tier: Tier,
    alerts: &Alerts<'_>,
) -> Vec<Handle<events::Rule>> {
    let (Some(arn), true) = (alerts.topic_arn, FINDING_ALERTS.on(tier)) else {
        return Vec::new();
    };
    let scope = t.scope().map(str::to_string);
    let Some(cond) = combined_condition(t, scope.as_deref(), alerts) else {
        return Vec::new();
    };
    t.scoped(Some(&cond), |t| {
        RULES
            .iter()
            .map(|(id, description, pattern)| {
                event_rule(
                    t,
                    tier,
                    RuleSpec {
                        id: &format!("{id}ToAlertTopicArn"),
                        description,
                        pattern: pattern(),
                        topic: Expr::str(arn),
                        forwards: true,
                        control: &FINDING_ALERTS,
                    },
                )
            })
            .collect()
    })
}
