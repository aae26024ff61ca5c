//! Alerting: an SNS topic encrypted with a customer-managed key, publishable only by this
//! account's CloudWatch alarms and the stack's own EventBridge rules, and only over TLS, with
//! an optional email subscription; metric alarms that always have an action; and where the
//! alerts go besides the topic.
//!
//! Two parameters say who the alerts reach: `alert_email` (an address subscribed to the
//! stack's topic) and `alert_topic_arn` (an existing SNS topic, say a security team's or a
//! chat integration's). An alert topic ARN is a destination *besides* the stack's own topic,
//! not instead of it: the stack's topic keeps receiving every alert under the stack's key and
//! policy, and EventBridge rules forward the same alerts (alarm state changes, and in the
//! account baseline the finding alerts) to the given topic, all in one format. CloudWatch
//! alarms and EventBridge rules publish only to a topic in their own region, so the forwarding
//! rules exist only where the stack runs in the topic's region (a template condition). At
//! enterprise the alerts must reach someone: one of the two is required.

use crate::blueprint::BlueprintError;
use crate::cfn::generated::{cloudwatch, events, sns};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::params::SnsTopicArn;
use crate::tier::Tier;

/// The control for the topic.
pub static ALERT_TOPIC: Control = Control {
    id: "encrypted-alert-topic",
    title: "alert topic encrypted with a customer-managed key, published to only by this account's alarms and the stack's rules, over TLS",
    tier: Tier::Basic,
    cis: &[],
    // SNS.4: the topic policy grants only AWS services of this account, never `*`.
    security_hub: &["SNS.1", "SNS.4"],
};

/// The control for alarms.
pub static ALARMS_WITH_ACTIONS: Control = Control {
    id: "alarms-with-actions",
    title: "CloudWatch alarms on the workload's health, each notifying the alert topic",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["CloudWatch.15"],
};

/// The control that makes an alert destination required.
pub static ALERT_DESTINATION: Control = Control {
    id: "alert-destination",
    title: "alerts reach someone: an email subscription or an existing SNS topic is required",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// The template condition under which the forwarding rules exist: the stack runs in the
/// region of `alert_topic_arn`.
pub const IN_ALERT_TOPIC_REGION: &str = "InAlertTopicRegion";

/// Where a stack's alerts go besides its own topic: the two alert parameters, validated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Alerts<'a> {
    /// `alert_email`: subscribed to the stack's own topic.
    pub email: Option<&'a str>,
    /// `alert_topic_arn`: an existing topic the alerts are forwarded to.
    pub topic_arn: Option<&'a str>,
}

impl<'a> Alerts<'a> {
    /// The alert parameters of a request.
    pub fn of(req: &'a crate::blueprint::Request) -> Alerts<'a> {
        Alerts::from_params(&req.params)
    }

    /// The alert parameters of a blueprint's validated parameters.
    pub fn from_params(p: &'a crate::params::Params) -> Alerts<'a> {
        use crate::blueprints::account_baseline;
        Alerts {
            email: p.text(&account_baseline::ALERT_EMAIL),
            topic_arn: p.text(&account_baseline::ALERT_TOPIC_ARN),
        }
    }

    /// The forwarding topic, parsed (the parameter is validated as an ARN).
    pub fn topic(&self) -> Option<SnsTopicArn<'a>> {
        self.topic_arn.and_then(SnsTopicArn::parse)
    }

    /// At enterprise, one destination is required: a tier's alerts must reach someone.
    pub fn require(&self, tier: Tier) -> Result<(), BlueprintError> {
        if ALERT_DESTINATION.on(tier) && self.email.is_none() && self.topic_arn.is_none() {
            return Err(BlueprintError::Invalid(format!(
                "the {tier} tier needs an alert destination: `alert_email` (an address subscribed to the alert topic) or `alert_topic_arn` (an existing SNS topic the alerts are forwarded to); without one, the security alarms and findings reach nobody\nhint: add `--param alert_email=security@example.com`"
            )));
        }
        Ok(())
    }

    /// What the user should know about where the alerts go, for the stack's notes.
    pub fn notes(&self, what: &str) -> Vec<String> {
        let mut notes = Vec::new();
        match (self.email, self.topic()) {
            (None, None) => notes.push(format!(
                "no `alert_email` or `alert_topic_arn`: {what} publish to the alert topic, but nobody is subscribed\nhint: pass `--param alert_email=you@example.com`"
            )),
            (None, Some(topic)) => notes.push(format!(
                "{what} are forwarded to `alert_topic_arn` only where the stack runs in {} (alarms and EventBridge rules publish only within their region); elsewhere they reach only the stack's own topic, which has no subscriber\nhint: pass `--param alert_email=you@example.com` too, or deploy only in {}",
                topic.region, topic.region
            )),
            _ => {}
        }
        if let Some(topic) = self.topic() {
            notes.push(format!(
                "`{}` must let `events.amazonaws.com` publish (`aws:SourceAccount` this account) and, if it is encrypted, let EventBridge use its key",
                topic.name
            ));
        }
        notes
    }
}

/// The ARN pattern of this account's alarms in this region: what CloudWatch sends as
/// `aws:SourceArn` when an alarm publishes.
pub fn alarms_arn() -> Expr {
    Expr::sub("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*")
}

/// Adds the topic, its policy and, if an address is given, an email subscription. The
/// policy lets this account's alarms publish, and the EventBridge rules whose ARNs are given
/// (the rules name the topic by its logical id `id`, so they are added first).
pub fn alert_topic(
    t: &mut Template,
    tier: Tier,
    id: &str,
    key_arn: Expr,
    alerts: &Alerts<'_>,
    event_rules: &[Handle<events::Rule>],
) -> Handle<sns::Topic> {
    let topic = t.add(
        id,
        sns::Topic {
            kms_master_key_id: Some(key_arn),
            display_name: Some("harden security and health alerts".into()),
            ..Default::default()
        },
    );
    t.res(&topic).control(&ALERT_TOPIC);
    super::retain::apply(t, tier, &topic);
    let mut statements = vec![Statement::allow("CloudWatchAlarmsPublish")
        .service(["cloudwatch.amazonaws.com"])
        .actions(["sns:Publish"])
        .resource(topic.r#ref())
        .condition("StringEquals", "aws:SourceAccount", Expr::account_id())
        .condition("ArnLike", "aws:SourceArn", alarms_arn())];
    if !event_rules.is_empty() {
        statements.push(
            Statement::allow("EventRulesPublish")
                .service(["events.amazonaws.com"])
                .actions(["sns:Publish"])
                .resource(topic.r#ref())
                .condition(
                    "ArnEquals",
                    "aws:SourceArn",
                    Expr::list(event_rules.iter().map(|r| r.get_att(events::RuleAttr::Arn))),
                ),
        );
    }
    statements.push(
        Statement::deny("DenyInsecureTransport")
            .anyone()
            .actions(["sns:Publish"])
            .resource(topic.r#ref())
            .condition("Bool", "aws:SecureTransport", Expr::Bool(false)),
    );
    let policy = t.add(
        format!("{id}Policy"),
        sns::TopicPolicy {
            topics: Some(Expr::list([topic.r#ref()])),
            policy_document: Some(PolicyDocument::new(statements).into()),
        },
    );
    t.res(&policy).control(&ALERT_TOPIC);
    if let Some(address) = alerts.email {
        let sub = t.add(
            format!("{id}EmailSubscription"),
            sns::Subscription {
                topic_arn: Some(topic.r#ref()),
                protocol: Some("email".into()),
                endpoint: Some(address.into()),
                ..Default::default()
            },
        );
        let r = t.res(&sub);
        r.control(&ALERT_TOPIC);
        if ALERT_DESTINATION.on(tier) {
            r.control(&ALERT_DESTINATION);
        }
    }
    topic
}

/// One EventBridge rule on the default bus: the events it matches and the topic it sends
/// them to.
pub struct RuleSpec<'a> {
    /// Logical id.
    pub id: &'a str,
    /// What it forwards.
    pub description: &'a str,
    /// The event pattern.
    pub pattern: Expr,
    /// The target topic's ARN.
    pub topic: Expr,
    /// Whether the topic is `alert_topic_arn` (the rule forwards), not the stack's own.
    pub forwards: bool,
    /// The control the rule implements.
    pub control: &'static Control,
}

/// Adds a rule sending the events its pattern matches to one topic.
pub fn event_rule(t: &mut Template, tier: Tier, spec: RuleSpec<'_>) -> Handle<events::Rule> {
    let h = t.add(
        spec.id,
        events::Rule {
            description: Some(spec.description.into()),
            event_pattern: Some(spec.pattern),
            state: Some("ENABLED".into()),
            targets: Some(vec![events::rule::Target {
                id: Some(
                    if spec.forwards {
                        "AlertTopicArn"
                    } else {
                        "AlertTopic"
                    }
                    .into(),
                ),
                arn: Some(spec.topic),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    let r = t.res(&h);
    r.control(spec.control);
    if spec.forwards && ALERT_DESTINATION.on(tier) {
        r.control(&ALERT_DESTINATION);
    }
    h
}

/// Adds the [`IN_ALERT_TOPIC_REGION`] condition, and returns it, if a forwarding topic is
/// given. Rules added under it (see [`Template::scoped`]) forward to the topic.
pub fn forwarding_condition(t: &mut Template, alerts: &Alerts<'_>) -> Option<String> {
    let topic = alerts.topic()?;
    if !t.conditions.contains_key(IN_ALERT_TOPIC_REGION) {
        t.condition(
            IN_ALERT_TOPIC_REGION,
            Expr::equals(Expr::region(), Expr::str(topic.region)),
        );
    }
    Some(IN_ALERT_TOPIC_REGION.to_string())
}

/// Forwards the state changes of these alarms (into `states`: `ALARM`, and `OK` where the
/// alarm notifies recovery) to `alert_topic_arn`, if one is given, where the stack runs in
/// the topic's region.
pub fn forward_alarms(
    t: &mut Template,
    tier: Tier,
    alerts: &Alerts<'_>,
    alarms: &[Handle<cloudwatch::Alarm>],
    states: &[&str],
) -> Option<Handle<events::Rule>> {
    let arn = alerts.topic_arn?;
    if alarms.is_empty() {
        return None;
    }
    let inner = t.scope().map(str::to_string);
    let cond = combined_condition(t, inner.as_deref(), alerts)?;
    let pattern = Expr::map([
        ("source", Expr::strs(["aws.cloudwatch"])),
        ("detail-type", Expr::strs(["CloudWatch Alarm State Change"])),
        (
            "resources",
            Expr::list(alarms.iter().map(|a| a.get_att(cloudwatch::AlarmAttr::Arn))),
        ),
        (
            "detail",
            Expr::map([("state", Expr::map([("value", Expr::strs(states))]))]),
        ),
    ]);
    Some(t.scoped(Some(&cond), |t| {
        event_rule(
            t,
            tier,
            RuleSpec {
                id: "AlarmsToAlertTopicArn",
                description: "Forwards the stack's alarm state changes to alert_topic_arn",
                pattern,
                topic: Expr::str(arn),
                forwards: true,
                control: &ALARMS_WITH_ACTIONS,
            },
        )
    }))
}

/// The condition for resources that exist both under `scope` (a region condition already in
/// force, or none) and in the forwarding topic's region.
pub fn combined_condition(
    t: &mut Template,
    scope: Option<&str>,
    alerts: &Alerts<'_>,
) -> Option<String> {
    let topic_region = forwarding_condition(t, alerts)?;
    Some(match scope {
        None => topic_region,
        Some(s) if s == topic_region => topic_region,
        Some(s) => {
            let id = format!("{s}And{topic_region}");
            if !t.conditions.contains_key(&id) {
                t.condition(
                    id.clone(),
                    Expr::And(vec![
                        Expr::Condition(s.to_string()),
                        Expr::Condition(topic_region),
                    ]),
                );
            }
            id
        }
    })
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
    alarm_to(t, topic.r#ref(), spec)
}

/// [`alarm`] that fires below the threshold (free storage, free memory).
pub fn alarm_below(
    t: &mut Template,
    topic: &Handle<sns::Topic>,
    spec: AlarmSpec<'_>,
) -> Handle<cloudwatch::Alarm> {
    let h = alarm(t, topic, spec);
    t.props(&h).comparison_operator = Some("LessThanThreshold".into());
    h
}

/// Forwards the events `pattern` matches to `alert_topic_arn`, when given, where the stack
/// runs in the topic's region (a rule under the forwarding condition).
pub fn forward_events(
    t: &mut Template,
    tier: Tier,
    alerts: &Alerts<'_>,
    id: &str,
    description: &str,
    pattern: Expr,
) -> Option<Handle<events::Rule>> {
    let arn = alerts.topic_arn?;
    let cond = combined_condition(t, None, alerts)?;
    Some(t.scoped(Some(&cond), |t| {
        event_rule(
            t,
            tier,
            RuleSpec {
                id,
                description,
                pattern,
                topic: Expr::str(arn),
                forwards: true,
                control: &ALARMS_WITH_ACTIONS,
            },
        )
    }))
}

/// [`alarm`] to a topic of another stack, by its ARN.
pub fn alarm_to(t: &mut Template, topic: Expr, spec: AlarmSpec<'_>) -> Handle<cloudwatch::Alarm> {
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
            alarm_actions: Some(Expr::list([topic.clone()])),
            ok_actions: spec.notify_recovery.then(|| Expr::list([topic])),
            ..Default::default()
        },
    );
    t.res(&h).control(&ALARMS_WITH_ACTIONS);
    h
}
