//! Alerting: an SNS topic encrypted with a customer-managed key, publishable only by this
//! account's CloudWatch alarms and only over TLS, with an optional email subscription; and
//! metric alarms that always have an action.

use crate::cfn::generated::{cloudwatch, sns};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control for the topic.
pub static ALERT_TOPIC: Control = Control {
    id: "encrypted-alert-topic",
    title: "alarm topic encrypted with a customer-managed key, published to only by this account's alarms over TLS",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["SNS.1"],
};

/// The control for alarms.
pub static ALARMS_WITH_ACTIONS: Control = Control {
    id: "alarms-with-actions",
    title: "CloudWatch alarms on the workload's health, each notifying the alert topic",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["CloudWatch.15"],
};

/// Adds the topic, its policy and, if an address is given, an email subscription.
pub fn alert_topic(
    t: &mut Template,
    tier: Tier,
    id: &str,
    key_arn: Expr,
    email: Option<&str>,
) -> Handle<sns::Topic> {
    let topic = t.add(
        id,
        sns::Topic {
            kms_master_key_id: Some(key_arn),
            display_name: Some("harden security and health alerts".into()),
            ..Default::default()
        },
    );
    t.res(&topic).control(ALERT_TOPIC.id);
    super::retain::apply(t, tier, &topic);
    let policy = t.add(
        format!("{id}Policy"),
        sns::TopicPolicy {
            topics: Some(Expr::list([topic.r#ref()])),
            policy_document: Some(
                PolicyDocument::new([
                    Statement::allow("CloudWatchAlarmsPublish")
                        .service(["cloudwatch.amazonaws.com"])
                        .actions(["sns:Publish"])
                        .resource(topic.r#ref())
                        .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
                    Statement::deny("DenyInsecureTransport")
                        .anyone()
                        .actions(["sns:Publish"])
                        .resource(topic.r#ref())
                        .condition("Bool", "aws:SecureTransport", Expr::Bool(false)),
                ])
                .into(),
            ),
        },
    );
    t.res(&policy).control(ALERT_TOPIC.id);
    if let Some(address) = email {
        let sub = t.add(
            format!("{id}EmailSubscription"),
            sns::Subscription {
                topic_arn: Some(topic.r#ref()),
                protocol: Some("email".into()),
                endpoint: Some(address.into()),
                ..Default::default()
            },
        );
        t.res(&sub).control(ALERT_TOPIC.id);
    }
    topic
}

/// One metric alarm.
pub struct AlarmSpec<'a> {
    /// Logical id.
    pub id: &'a str,
    /// What it means when it fires.
    pub description: &'a str,
    /// Metric namespace.
    pub namespace: &'a str,
    /// Metric name.
    pub metric: &'a str,
    /// Dimensions.
    pub dimensions: Vec<(&'a str, Expr)>,
    /// `Sum`, `Average`, ...
    pub statistic: &'a str,
    /// Period in seconds.
    pub period: i64,
    /// Periods evaluated.
    pub evaluation_periods: i64,
    /// Fires above this.
    pub threshold: i64,
    /// Also notify when the alarm returns to OK: useful for health (the endpoint recovered),
    /// noise for security events (every alarm on a CloudTrail event "recovers" five minutes
    /// later).
    pub notify_recovery: bool,
}

/// Adds an alarm that notifies the topic when it fires (and, if asked, when it recovers).
pub fn alarm(
    t: &mut Template,
    topic: &Handle<sns::Topic>,
    spec: AlarmSpec<'_>,
) -> Handle<cloudwatch::Alarm> {
    let h = t.add(
        spec.id,
        cloudwatch::Alarm {
            alarm_description: Some(spec.description.into()),
            namespace: Some(spec.namespace.into()),
            metric_name: Some(spec.metric.into()),
            // Metrics from log filters have no dimensions: then the property is left out.
            dimensions: (!spec.dimensions.is_empty()).then(|| {
                spec.dimensions
                    .into_iter()
                    .map(|(n, v)| cloudwatch::alarm::Dimension {
                        name: Some(n.into()),
                        value: Some(v),
                    })
                    .collect()
            }),
            statistic: Some(spec.statistic.into()),
            period: Some(spec.period.into()),
            evaluation_periods: Some(spec.evaluation_periods.into()),
            threshold: Some(spec.threshold.into()),
            comparison_operator: Some("GreaterThanThreshold".into()),
            treat_missing_data: Some("notBreaching".into()),
            alarm_actions: Some(Expr::list([topic.r#ref()])),
            ok_actions: spec.notify_recovery.then(|| Expr::list([topic.r#ref()])),
            ..Default::default()
        },
    );
    t.res(&h).control(ALARMS_WITH_ACTIONS.id);
    h
}
