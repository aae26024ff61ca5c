//! Security controls whose job is to see and to tell: audit logs, threat detection, alarms and
//! the subscriptions and rules that carry them to a person, compliance rules and standards.
//! Removing one opens no port and grants no permission, yet afterwards an attack goes
//! unrecorded or nobody hears of it: so the plan counts it like broadened access, and says
//! what stops.
//!
//! Also weakened in place: an alarm that loses an action, a subscription whose endpoint is
//! emptied, an EventBridge rule turned off or losing a target, a GuardDuty feature turned off.
//! And every resource that a parameter no longer given takes away, whatever its type.

use std::collections::BTreeSet;

use harden_blueprints::cfn::{Node, NodeMap};

use super::{items, Context, SecurityChange, SecurityKind, Sides};
use crate::input::ParamRemoval;
use crate::refs::references;
use crate::resource_change::{type_of, Action, ResourceChange};
use crate::value::compact;

/// The properties of an alarm that name whom it notifies.
const ALARM_ACTIONS: &[&str] = &["AlarmActions", "OKActions", "InsufficientDataActions"];

pub(super) fn analyse(
    rc: &ResourceChange,
    side: &Sides,
    ctx: &Context,
    out: &mut Vec<SecurityChange>,
) {
    let by_parameter = ctx
        .removed_by
        .iter()
        .find(|r| r.resources.contains(&rc.logical_id));
    match rc.action {
        Action::Remove => {
            let old_type = side.old_type.unwrap_or(&rc.resource_type);
            let described = removal(old_type, &rc.logical_id, side.old, ctx);
            removed(rc, described, by_parameter, out);
        }
        // The logical id now holds another type: the old resource goes.
        Action::Modify if rc.old_type.is_some() => {
            let old_type = rc.old_type.as_deref().unwrap_or_default();
            if let Some((kind, what)) = removal(old_type, &rc.logical_id, side.old, ctx) {
                out.push(SecurityChange::new(
                    rc,
                    kind,
                    true,
                    format!("{what} (the logical id now holds a `{}`)", rc.resource_type),
                ));
            }
        }
        Action::Modify | Action::Dynamic if side.both() => weakened(rc, side, ctx, out),
        _ => {}
    }
}

/// A removal: described by its type when its job is to see or tell; counted anyway when a
/// parameter no longer given takes it away.
fn removed(
    rc: &ResourceChange,
    described: Option<(SecurityKind, String)>,
    by_parameter: Option<&ParamRemoval>,
    out: &mut Vec<SecurityChange>,
) {
    let change = match (described, by_parameter) {
        (Some((kind, what)), None) => SecurityChange::new(rc, kind, true, what),
        (Some((kind, what)), Some(p)) => SecurityChange::new(
            rc,
            kind,
            true,
            format!(
                "{what}, because parameter `{}` is no longer given",
                p.parameter
            ),
        ),
        (None, Some(p)) => SecurityChange::new(
            rc,
            SecurityKind::ParameterRemoval,
            true,
            format!(
                "removes it because parameter `{}` is no longer given (it was `{}`): the blueprint renders it only with that parameter",
                p.parameter, p.previous
            ),
        ),
        (None, None) => return,
    };
    out.push(change);
}

/// What removing a resource of `type_name` stops, for the types whose job is detection,
/// alerting, logging or compliance. `props` are its deployed properties.
fn removal(
    type_name: &str,
    logical_id: &str,
    props: Option<&Node>,
    ctx: &Context,
) -> Option<(SecurityKind, String)> {
    let prop = |path: &[&str]| props.and_then(|p| p.get_path(path));
    let named = |path: &[&str]| {
        prop(path)
            .map(|v| format!(" `{}`", compact(v)))
            .unwrap_or_default()
    };
    use SecurityKind::{Alerting, Compliance, Logging};
    let (kind, text) = match type_name {
        // Audit logging and threat detection.
        "AWS::EC2::FlowLog" => (Logging, "removes this flow log: the traffic it covered is no longer logged".to_string()),
        "AWS::CloudTrail::Trail" => (Logging, "removes this trail: the API activity it recorded is no longer recorded".into()),
        "AWS::CloudTrail::EventDataStore" => (Logging, "removes this CloudTrail event data store: the events it collected are no longer kept".into()),
        "AWS::WAFv2::LoggingConfiguration" => (Logging, "removes this WAF logging: web ACL requests are no longer logged".into()),
        "AWS::Config::ConfigurationRecorder" => (Logging, "removes this AWS Config recorder: configuration changes are no longer recorded".into()),
        "AWS::Config::DeliveryChannel" => (Logging, "removes this AWS Config delivery channel: configuration history and snapshots are no longer delivered".into()),
        "AWS::Logs::LogGroup" => (Logging, format!("removes log group{}: nothing is logged to it any more", named(&["LogGroupName"]))),
        "AWS::Logs::SubscriptionFilter" => (Logging, "removes this log subscription filter: its log events are no longer forwarded".into()),
        "AWS::GuardDuty::Detector" => (Logging, "removes this GuardDuty detector: threat detection stops".into()),
        "AWS::GuardDuty::ThreatIntelSet" => (Logging, "removes this GuardDuty threat list: activity with its addresses is no longer reported".into()),
        "AWS::GuardDuty::MalwareProtectionPlan" => (Logging, "removes this GuardDuty malware protection plan: what it covered is no longer scanned".into()),
        "AWS::SecurityHub::Hub" => (Logging, "removes Security Hub: its checks stop".into()),
        "AWS::SecurityHub::FindingAggregator" => (Logging, "removes this Security Hub finding aggregator: findings of the linked regions are no longer gathered here".into()),
        "AWS::AccessAnalyzer::Analyzer" => {
            let unused = prop(&["Type"])
                .and_then(Node::as_str)
                .is_some_and(|t| t.ends_with("UNUSED_ACCESS"));
            let what = if unused {
                "unused access (roles, users, keys and permissions nobody uses)"
            } else {
                "access to the account's resources from outside it"
            };
            (Logging, format!("removes this IAM Access Analyzer analyzer: {what} is no longer reported"))
        }
        "AWS::Macie::Session" => (Logging, "removes Amazon Macie: sensitive data discovery stops".into()),
        // Alerting: what tells a person.
        "AWS::CloudWatch::Alarm" => {
            let metric = match (prop(&["Namespace"]), prop(&["MetricName"])) {
                (Some(ns), Some(m)) => format!("`{}/{}`", compact(ns), compact(m)),
                (None, Some(m)) => format!("`{}`", compact(m)),
                _ => "its metrics".to_string(),
            };
            (Alerting, format!("removes this alarm: nobody is alerted on {metric} any more"))
        }
        "AWS::CloudWatch::CompositeAlarm" => (Alerting, "removes this composite alarm: nobody is alerted when its rule matches".into()),
        "AWS::SNS::Subscription" => {
            let endpoint = endpoint(prop(&["Endpoint"]), ctx);
            let topic = prop(&["TopicArn"]);
            if topic.is_some_and(|t| AlertTargets::of(ctx.old_resources).contain(t)) {
                (Alerting, format!("removes this alarm subscription: {endpoint} no longer receives the alarms"))
            } else {
                let topic = topic.map(|t| format!(" `{}`", compact(t))).unwrap_or_default();
                (Alerting, format!("removes this subscription: {endpoint} no longer receives what topic{topic} publishes"))
            }
        }
        "AWS::Events::Rule" => {
            let sources: Vec<String> = items(prop(&["EventPattern", "source"]))
                .into_iter()
                .map(compact)
                .collect();
            let what = match (sources.as_slice(), prop(&["ScheduleExpression"])) {
                ([], Some(s)) => format!("its scheduled runs (`{}`) stop", compact(s)),
                ([], None) => "the events it matched are no longer sent to its targets".into(),
                (s, _) => format!("events from {} are no longer sent to its targets", super::list(s)),
            };
            (Alerting, format!("removes this EventBridge rule: {what}"))
        }
        "AWS::Logs::MetricFilter" => {
            let metric = items(prop(&["MetricTransformations"]))
                .first()
                .and_then(|t| t.get_path(&["MetricName"]))
                .map(|m| format!("`{}`", compact(m)))
                .unwrap_or_else(|| "its metric".into());
            let group = named(&["LogGroupName"]);
            (Alerting, format!("removes this metric filter: matches in log group{group} are no longer counted, so the alarms on {metric} stop firing"))
        }
        // Compliance: what checks the account against its rules.
        "AWS::Config::ConfigRule" | "AWS::Config::OrganizationConfigRule" => {
            let rule = prop(&["Source", "SourceIdentifier"])
                .or_else(|| prop(&["ConfigRuleName"]))
                .map(|r| format!(" `{}`", compact(r)))
                .unwrap_or_default();
            (Compliance, format!("removes AWS Config rule{rule}: the resources it checked are no longer evaluated"))
        }
        "AWS::Config::ConformancePack" | "AWS::Config::OrganizationConformancePack" => (Compliance, "removes this AWS Config conformance pack: its rules no longer evaluate anything".into()),
        "AWS::Config::RemediationConfiguration" => (Compliance, "removes this AWS Config remediation: non-compliant resources are no longer fixed by it".into()),
        "AWS::Config::ConfigurationAggregator" => (Compliance, "removes this AWS Config aggregator: the compliance of the accounts and regions it gathered is no longer collected".into()),
        "AWS::SecurityHub::Standard" => {
            let standard = prop(&["StandardsArn"])
                .map(compact)
                .map(|arn| match arn.find("standards/") {
                    Some(i) => arn[i + "standards/".len()..].to_string(),
                    None => arn,
                })
                .map(|s| format!(" `{s}`"))
                .unwrap_or_default();
            (Compliance, format!("removes Security Hub standard{standard}: its controls are no longer checked"))
        }
        "AWS::SecurityHub::AutomationRule" => (Compliance, format!("removes Security Hub automation rule{}: the findings it matched are no longer updated by it", named(&["RuleName"]))),
        "AWS::SecurityHub::ConfigurationPolicy" => (Compliance, "removes this Security Hub configuration policy: the accounts it configured are no longer held to it".into()),
        // A topic matters when alarms or rules send to it.
        "AWS::SNS::Topic" if AlertTargets::of(ctx.old_resources).contain_id(logical_id) => (
            Alerting,
            "removes this alert topic: the alarms and findings sent to it reach nobody".into(),
        ),
        _ => return None,
    };
    Some((kind, text))
}

/// `` `security@example.com` ``: a subscription's endpoint, with a parameter reference read
/// as the parameter's deployed value.
fn endpoint(n: Option<&Node>, ctx: &Context) -> String {
    let Some(n) = n else {
        return "its endpoint".into();
    };
    if let Some(Node::Str(p)) = n.get_path(&["Ref"]) {
        if let Some(v) = ctx.old_parameters.get(p) {
            return format!("`{v}` (parameter `{p}`)");
        }
    }
    format!("`{}`", compact(n))
}

/// Whatever alarms and EventBridge rules send to: the logical ids they refer to and the
/// literal ARNs they name.
struct AlertTargets {
    ids: BTreeSet<String>,
    arns: BTreeSet<String>,
}

impl AlertTargets {
    fn of(resources: &NodeMap) -> AlertTargets {
        let mut t = AlertTargets {
            ids: BTreeSet::new(),
            arns: BTreeSet::new(),
        };
        let mut add = |n: &Node| {
            t.ids.extend(references(n));
            if let Node::Str(s) = n {
                t.arns.insert(s.clone());
            }
        };
        for res in resources.values() {
            let props = |k: &str| res.get_path(&["Properties", k]);
            match type_of(res) {
                "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => {
                    for k in ALARM_ACTIONS {
                        items(props(k)).into_iter().for_each(&mut add);
                    }
                }
                "AWS::Events::Rule" => {
                    for target in items(props("Targets")) {
                        if let Some(arn) = target.get_path(&["Arn"]) {
                            add(arn);
                        }
                    }
                }
                _ => {}
            }
        }
        t
    }

    /// Whether a topic, named by `Ref`, `Fn::GetAtt` or ARN, is one of them.
    fn contain(&self, topic: &Node) -> bool {
        references(topic).iter().any(|r| self.ids.contains(r))
            || topic.as_str().is_some_and(|s| self.arns.contains(s))
    }

    fn contain_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
}

/// Alerting and detection weakened in place.
fn weakened(rc: &ResourceChange, side: &Sides, ctx: &Context, out: &mut Vec<SecurityChange>) {
    let broadens = |text: String| SecurityChange::new(rc, SecurityKind::Alerting, true, text);
    match rc.resource_type.as_str() {
        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => {
            for k in ALARM_ACTIONS {
                let after = items(side.new_prop(k));
                for gone in items(side.old_prop(k))
                    .into_iter()
                    .filter(|a| !after.contains(a))
                {
                    out.push(broadens(format!(
                        "removes `{k}` entry `{}`: the alarm no longer notifies it",
                        compact(gone)
                    )));
                }
            }
            let enabled = |n: Option<&Node>| !matches!(truth(n), Some(false));
            if enabled(side.old_prop("ActionsEnabled")) && !enabled(side.new_prop("ActionsEnabled"))
            {
                out.push(broadens(
                    "turns off `ActionsEnabled`: the alarm no longer notifies anyone".into(),
                ));
            }
        }
        "AWS::SNS::Subscription" => {
            let value = |n: Option<&Node>, params: &indexmap::IndexMap<String, String>| -> String {
                match n {
                    None => String::new(),
                    Some(n) => match n.get_path(&["Ref"]).and_then(Node::as_str) {
                        Some(p) if params.contains_key(p) => params[p].clone(),
                        _ => compact(n),
                    },
                }
            };
            let was = value(side.old_prop("Endpoint"), ctx.old_parameters);
            let now = value(side.new_prop("Endpoint"), ctx.new_parameters);
            if !was.trim().is_empty() && now.trim().is_empty() {
                out.push(broadens(format!(
                    "empties `Endpoint` (was `{was}`): nobody receives what the topic publishes"
                )));
            }
        }
        "AWS::Events::Rule" => {
            let state =
                |n: Option<&Node>| n.and_then(Node::as_str).unwrap_or("ENABLED").to_string();
            let (was, now) = (state(side.old_prop("State")), state(side.new_prop("State")));
            if was.starts_with("ENABLED") && !now.starts_with("ENABLED") {
                out.push(broadens(format!(
                    "turns this EventBridge rule off (`State` `{now}`): matched events are no longer sent to its targets"
                )));
            }
            let id = |t: &Node| t.get_path(&["Id"]).map(compact);
            let after = items(side.new_prop("Targets"));
            for gone in items(side.old_prop("Targets")) {
                if !after.iter().any(|t| id(t) == id(gone)) {
                    let arn = gone
                        .get_path(&["Arn"])
                        .map(|a| format!(" (`{}`)", compact(a)))
                        .unwrap_or_default();
                    out.push(broadens(format!(
                        "removes target `{}`{arn}: matched events no longer reach it",
                        id(gone).unwrap_or_else(|| "?".into())
                    )));
                }
            }
        }
        "AWS::GuardDuty::Detector" => guardduty_features(rc, side, out),
        _ => {}
    }
}

/// GuardDuty's protection plans: `Features` by name (and their `AdditionalConfiguration`),
/// and the older `DataSources` flags.
fn guardduty_features(rc: &ResourceChange, side: &Sides, out: &mut Vec<SecurityChange>) {
    fn enabled(list: &[&Node]) -> Vec<(String, bool)> {
        list.iter()
            .filter_map(|f| {
                let name = f.get_path(&["Name"]).map(compact)?;
                let on = f
                    .get_path(&["Status"])
                    .and_then(Node::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case("ENABLED"));
                Some((name, on))
            })
            .collect()
    }
    fn compare(
        rc: &ResourceChange,
        old: &[&Node],
        new: &[&Node],
        of: &str,
        out: &mut Vec<SecurityChange>,
    ) {
        let (before, after) = (enabled(old), enabled(new));
        for (name, on) in &before {
            let now = after
                .iter()
                .find(|(n, _)| n == name)
                .is_some_and(|(_, o)| *o);
            if *on && !now {
                out.push(SecurityChange::new(
                    rc,
                    SecurityKind::Logging,
                    true,
                    format!("turns off GuardDuty {of}`{name}`: the threats it detects are no longer reported"),
                ));
            }
        }
        for (name, on) in &after {
            let was = before
                .iter()
                .find(|(n, _)| n == name)
                .is_some_and(|(_, o)| *o);
            if *on && !was {
                out.push(SecurityChange::new(
                    rc,
                    SecurityKind::Logging,
                    false,
                    format!("turns on GuardDuty {of}`{name}`"),
                ));
            }
        }
        for f in old {
            let Some(name) = f.get_path(&["Name"]).map(compact) else {
                continue;
            };
            let twin = new
                .iter()
                .find(|n| n.get_path(&["Name"]).map(compact).as_deref() == Some(&name));
            fn sub(n: Option<&Node>) -> Vec<&Node> {
                items(n.and_then(|n| n.get_path(&["AdditionalConfiguration"])))
            }
            compare(
                rc,
                &sub(Some(f)),
                &sub(twin.copied()),
                &format!("setting of feature `{name}`: "),
                out,
            );
        }
    }
    let (old, new) = (
        items(side.old_prop("Features")),
        items(side.new_prop("Features")),
    );
    compare(rc, &old, &new, "feature ", out);
    if let (Some(a), Some(b)) = (side.old_prop("DataSources"), side.new_prop("DataSources")) {
        data_sources(rc, a, b, "DataSources", out);
    } else if let Some(a) = side.old_prop("DataSources") {
        data_sources(rc, a, &Node::Map(NodeMap::new()), "DataSources", out);
    }
}

/// Boolean leaves of `DataSources` that were on and are not any more.
fn data_sources(
    rc: &ResourceChange,
    old: &Node,
    new: &Node,
    path: &str,
    out: &mut Vec<SecurityChange>,
) {
    let Some(om) = old.as_map() else {
        return;
    };
    for (k, v) in om {
        let here = format!("{path}.{k}");
        let nv = new.get_path(&[k]);
        match v {
            Node::Map(_) => data_sources(rc, v, nv.unwrap_or(&Node::Null), &here, out),
            _ if truth(Some(v)) == Some(true) && truth(nv) != Some(true) => {
                out.push(SecurityChange::new(
                    rc,
                    SecurityKind::Logging,
                    true,
                    format!("turns off `{here}`: GuardDuty no longer analyses that source"),
                ));
            }
            _ => {}
        }
    }
}

/// A boolean as CloudFormation accepts it (`true`, `"true"`), `None` when not one.
fn truth(n: Option<&Node>) -> Option<bool> {
    match n? {
        Node::Bool(b) => Some(*b),
        Node::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Node::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
