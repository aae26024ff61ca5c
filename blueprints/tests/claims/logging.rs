//! CloudTrail, CloudWatch, AWS Config, GuardDuty and CloudFormation
//! (`cloudtrail-controls.html`, `cloudwatch-controls.html`, `config-controls.html`,
//! `guardduty-controls.html`, `cloudformation-controls.html`).

use super::*;
use harden_blueprints::controls::{
    aws_config, cis_alarms, cloudtrail, log_group, stack_protection,
};

/// The trails recording the CloudTrail control.
fn trails(all: &[(String, String, Node)]) -> Vec<(String, &Node, &Node)> {
    claimed_of(all, &cloudtrail::CLOUDTRAIL, "AWS::CloudTrail::Trail")
}

/// CloudTrail.1 (`AWS::::Account`, parameters `readWriteType` `ALL`, `includeManagementEvents`
/// true): fails unless a multi-Region trail logs read and write management events (and
/// excludes no management event source). CloudTrail.2 (`AWS::CloudTrail::Trail`, no
/// parameters): fails unless the trail is encrypted with a KMS key. CloudTrail.3
/// (`AWS::::Account`): fails unless a trail is logging. CloudTrail.4 (`AWS::CloudTrail::Trail`):
/// fails unless log file validation is on. CloudTrail.5 (`AWS::CloudTrail::Trail`): fails
/// unless the trail sends its events to CloudWatch Logs (a log group and the role to write to
/// it).
#[test]
fn the_trail_meets_the_cloudtrail_controls_it_claims() {
    let all = renders();
    for (what, t, _) in trails(&all) {
        assert!(
            is_true(t, &["IsMultiRegionTrail"]),
            "{what}: IsMultiRegionTrail (CloudTrail.1)"
        );
        assert!(
            is_true(t, &["IsLogging"]),
            "{what}: IsLogging (CloudTrail.1, .3)"
        );
        assert!(
            every(t, &["AdvancedEventSelectors"], |v| v.is_none()),
            "{what}: advanced event selectors are not read here"
        );
        for selectors in vals(t, &["EventSelectors"]) {
            for s in list(selectors) {
                assert_ne!(
                    s.get_path(&["IncludeManagementEvents"]),
                    Some(&Node::Bool(false)),
                    "{what}: no management events (CloudTrail.1)"
                );
                assert!(
                    matches!(
                        s.get_path(&["ReadWriteType"]).and_then(Node::as_str),
                        None | Some("All")
                    ),
                    "{what}: not read and write events (CloudTrail.1)"
                );
                assert!(
                    list(s.get_path(&["ExcludeManagementEventSources"])).is_empty(),
                    "{what}: management event sources excluded (CloudTrail.1)"
                );
            }
        }
        assert!(
            every(t, &["KMSKeyId"], |v| v.is_some()),
            "{what}: KMSKeyId (CloudTrail.2)"
        );
        assert!(
            is_true(t, &["EnableLogFileValidation"]),
            "{what}: EnableLogFileValidation (CloudTrail.4)"
        );
        for p in ["CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"] {
            assert!(
                every(t, &[p], |v| v.is_some()),
                "{what}: {p} (CloudTrail.5)"
            );
        }
    }
}

/// CloudTrail.6 (`AWS::S3::Bucket`, no parameters): fails if the bucket the trail delivers to
/// is publicly accessible: all four Block Public Access settings are on for it, and its
/// policy allows no one without a condition (only CloudTrail, for this trail). CloudTrail.7
/// (`AWS::S3::Bucket`, no parameters): fails unless server access logging is on for that
/// bucket.
#[test]
fn the_trail_bucket_is_private_and_logs_access() {
    let all = renders();
    for (what, t, n) in trails(&all) {
        let bucket_id = t
            .get_path(&["Properties", "S3BucketName"])
            .and_then(target)
            .unwrap_or_else(|| panic!("{what}: the trail's bucket is not of the stack"));
        let b = n.get_path(&["Resources", bucket_id]).expect("the bucket");
        for flag in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert!(
                is_true(b, &["PublicAccessBlockConfiguration", flag]),
                "{what}: {bucket_id} {flag} (CloudTrail.6)"
            );
        }
        for (_, p) in of_type(n, "AWS::S3::BucketPolicy") {
            if p.get_path(&["Properties", "Bucket"]).and_then(target) != Some(bucket_id) {
                continue;
            }
            for s in statements(p.get_path(&["Properties", "PolicyDocument"])) {
                if allows(s) {
                    assert!(
                        s.get_path(&["Principal", "Service"]).is_some()
                            && s.get_path(&["Condition"]).is_some(),
                        "{what}: {bucket_id} allows {s:?} (CloudTrail.6)"
                    );
                }
            }
        }
        assert!(
            every(b, &["LoggingConfiguration", "DestinationBucketName"], |v| v
                .is_some_and(|d| target(d) != Some(bucket_id))),
            "{what}: {bucket_id} has no server access logging (CloudTrail.7)"
        );
    }
}

/// S3.22 (`AWS::::Account`, no parameters): fails unless a multi-Region trail logs write data
/// events of every S3 bucket. S3.23: the same for read data events. The trail recording the
/// S3 data events control selects `AWS::S3::Object` for every bucket (`arn:<partition>:s3`),
/// read and write.
#[test]
fn the_trail_logs_s3_object_reads_and_writes() {
    let all = renders();
    for (what, t, _) in claimed_of(
        &all,
        &cloudtrail::CLOUDTRAIL_S3_DATA_EVENTS,
        "AWS::CloudTrail::Trail",
    ) {
        assert!(is_true(t, &["IsMultiRegionTrail"]), "{what}: multi-Region");
        let every_bucket = vals(t, &["EventSelectors"]).into_iter().all(|sel| {
            list(sel).iter().any(|s| {
                matches!(
                    s.get_path(&["ReadWriteType"]).and_then(Node::as_str),
                    None | Some("All")
                ) && list(s.get_path(&["DataResources"])).iter().any(|d| {
                    d.get_path(&["Type"]).and_then(Node::as_str) == Some("AWS::S3::Object")
                        && list(d.get_path(&["Values"])).iter().any(|v| {
                            matches!(
                                v.get_path(&["Fn::Sub"])
                                    .and_then(Node::as_str)
                                    .or(v.as_str()),
                                Some("arn:${AWS::Partition}:s3" | "arn:aws:s3")
                            )
                        })
                })
            })
        });
        assert!(
            every_bucket,
            "{what}: no read and write data events of every bucket (S3.22, S3.23)"
        );
    }
}

/// The names of the trails' log groups in every render, and their logical ids.
fn trail_log_groups(all: &[(String, String, Node)]) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for (_, _, n) in all {
        for (_, t) in of_type(n, "AWS::CloudTrail::Trail") {
            if let Some(id) = t
                .get_path(&["Properties", "CloudWatchLogsLogGroupArn"])
                .and_then(target)
            {
                if let Some(name) = n
                    .get_path(&["Resources", id, "Properties", "LogGroupName"])
                    .and_then(Node::as_str)
                {
                    out.push((name.to_string(), id));
                }
            }
        }
    }
    out
}

/// For one CIS metric filter: a filter recording `c` on the trail's log group whose pattern
/// has every term of `terms`, and an alarm on its metric that notifies a topic with a
/// subscriber (or a topic of another stack, by ARN). Returns the filter's id.
fn filter_and_alarm<'a>(
    what: &str,
    n: &'a Node,
    c: &Control,
    groups: &[(String, &str)],
    terms: &[&str],
) -> &'a str {
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    let (id, f) = of_type(n, "AWS::Logs::MetricFilter")
        .into_iter()
        .filter(|(_, f)| records(f, c))
        .find(|(_, f)| {
            let p = squash(
                f.get_path(&["Properties", "FilterPattern"])
                    .and_then(Node::as_str)
                    .unwrap_or(""),
            );
            terms.iter().all(|t| p.contains(&squash(t)))
        })
        .unwrap_or_else(|| panic!("{what}: no filter with {terms:?}"));
    let group = f
        .get_path(&["Properties", "LogGroupName"])
        .expect("a group");
    assert!(
        groups
            .iter()
            .any(|(name, gid)| group.as_str() == Some(name) || target(group) == Some(gid)),
        "{what}: {id} is not on the trail's log group: {group:?}"
    );
    let m = f
        .get_path(&["Properties", "MetricTransformations"])
        .and_then(Node::as_seq)
        .and_then(|s| s.first())
        .expect("a metric");
    let (metric, ns) = (
        m.get_path(&["MetricName"]),
        m.get_path(&["MetricNamespace"]),
    );
    let (aid, alarm) = of_type(n, "AWS::CloudWatch::Alarm")
        .into_iter()
        .find(|(_, a)| {
            a.get_path(&["Properties", "MetricName"]) == metric
                && a.get_path(&["Properties", "Namespace"]) == ns
        })
        .unwrap_or_else(|| panic!("{what}: no alarm on {id}'s metric"));
    let actions = list(alarm.get_path(&["Properties", "AlarmActions"]));
    assert!(!actions.is_empty(), "{what}: {aid} has no action");
    for a in actions {
        if let Some(topic) = target(a) {
            let subscribed = n
                .get_path(&["Resources", topic, "Properties", "Subscription"])
                .is_some_and(|s| !list(Some(s)).is_empty())
                || of_type(n, "AWS::SNS::Subscription").iter().any(|(_, s)| {
                    s.get_path(&["Properties", "TopicArn"]).and_then(target) == Some(topic)
                });
            // Below enterprise an alert destination is optional: without one the render
            // says nobody is subscribed, and the check fails until one is given.
            let warned = !what.contains("/enterprise")
                && notes_of(what)
                    .iter()
                    .any(|n| n.contains("nobody is subscribed"));
            assert!(
                subscribed || warned,
                "{what}: {aid}'s topic {topic} has no subscriber, and the render does not say so"
            );
        }
    }
    id
}

/// CloudWatch.1 (`AWS::::Account`, no parameters): fails unless a metric filter on a
/// multi-Region trail's log group matches the root user's use (CIS v1.4 4.3:
/// `$.userIdentity.type = "Root"`, `$.userIdentity.invokedBy NOT EXISTS`,
/// `$.eventType != "AwsServiceEvent"`), with an alarm on it whose SNS topic has a subscriber
/// (the check reads `AWS::SNS::Topic` too). The subscriber is the `alert_email` parameter,
/// required at enterprise only: an enhanced render without one fails the check, and says so
/// in its notes ("nobody is subscribed").
#[test]
fn the_root_user_filter_has_an_alarm() {
    let all = renders();
    let groups = trail_log_groups(&all);
    for (what, n) in stacks_recording(&all, &cis_alarms::CIS_ALARMS_CORE) {
        filter_and_alarm(
            &what,
            n,
            &cis_alarms::CIS_ALARMS_CORE,
            &groups,
            &[
                r#"$.userIdentity.type = "Root""#,
                "$.userIdentity.invokedBy NOT EXISTS",
                r#"$.eventType != "AwsServiceEvent""#,
            ],
        );
    }
}

/// The terms AWS's CloudWatch.4 to .14 (`AWS::::Account`, no parameters; CIS v1.4 4.4 to
/// 4.14) require in the metric filter of each: the event names (and sources) the CIS pattern
/// matches.
const CIS_FILTERS: &[(&str, &[&str])] = &[
    (
        "CloudWatch.4",
        &[
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ],
    ),
    (
        "CloudWatch.5",
        &[
            "CreateTrail",
            "UpdateTrail",
            "DeleteTrail",
            "StartLogging",
            "StopLogging",
        ],
    ),
    ("CloudWatch.6", &["ConsoleLogin", "Failed authentication"]),
    (
        "CloudWatch.7",
        &["kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"],
    ),
    (
        "CloudWatch.8",
        &[
            "s3.amazonaws.com",
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        ],
    ),
    (
        "CloudWatch.9",
        &[
            "config.amazonaws.com",
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        ],
    ),
    (
        "CloudWatch.10",
        &[
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ],
    ),
    (
        "CloudWatch.11",
        &[
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ],
    ),
    (
        "CloudWatch.12",
        &[
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ],
    ),
    (
        "CloudWatch.13",
        &[
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ],
    ),
    (
        "CloudWatch.14",
        &[
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ],
    ),
];

/// CloudWatch.4 to .14 (`AWS::::Account`, no parameters): each fails unless a metric filter
/// on a multi-Region trail's log group matches its CIS v1.4 events ([`CIS_FILTERS`]), with an
/// alarm whose topic has a subscriber. Each id the CIS alarms control claims has its filter,
/// each a filter of its own.
#[test]
fn every_cis_filter_claimed_has_its_events_and_an_alarm() {
    let all = renders();
    let groups = trail_log_groups(&all);
    let claimed_ids = cis_alarms::CIS_ALARMS.security_hub;
    for id in claimed_ids {
        assert!(
            CIS_FILTERS.iter().any(|(i, _)| i == id),
            "{id}: no terms to check"
        );
    }
    for (what, n) in stacks_recording(&all, &cis_alarms::CIS_ALARMS) {
        let mut seen = Vec::new();
        for (id, terms) in CIS_FILTERS {
            let f = filter_and_alarm(
                &format!("{what} ({id})"),
                n,
                &cis_alarms::CIS_ALARMS,
                &groups,
                terms,
            );
            assert!(!seen.contains(&f), "{what}: {f} serves two ids");
            seen.push(f);
        }
    }
}

/// CloudWatch.15 (`AWS::CloudWatch::Alarm`, parameters `alarmActionRequired` true,
/// `insufficientDataActionRequired` and `okActionRequired` false): fails unless the alarm has
/// an action for the `ALARM` state (and its actions are enabled).
#[test]
fn alarms_have_actions() {
    let all = renders();
    for (what, a, _) in claimed_of(&all, &alarms::ALARMS_WITH_ACTIONS, "AWS::CloudWatch::Alarm") {
        assert!(
            every(a, &["AlarmActions"], |v| !list(v).is_empty()),
            "{what}: no alarm action"
        );
        assert!(
            every(a, &["ActionsEnabled"], |v| v != Some(&Node::Bool(false))),
            "{what}: actions disabled"
        );
    }
}

/// CloudWatch.16 (`AWS::Logs::LogGroup`, parameter `minRetentionTime`, default 365): fails if
/// the group keeps its logs fewer than 365 days.
#[test]
fn log_groups_keep_logs_a_year() {
    let all = renders();
    for (what, g, _) in claimed_of(&all, &log_group::ENCRYPTED_LOG_GROUP, "AWS::Logs::LogGroup") {
        assert!(
            every(g, &["RetentionInDays"], |v| int(v)
                .is_some_and(|d| d >= 365)),
            "{what}: RetentionInDays {:?}",
            vals(g, &["RetentionInDays"])
        );
    }
}

/// Config.1 (`AWS::::Account`, parameter `includeConfigServiceLinkedRoleCheck`, default
/// true): fails unless AWS Config records (every supported resource type, so every type an
/// enabled control needs) with the service-linked role. The recorder records all supported
/// types with `AWSServiceRoleForConfig`, and a delivery channel of the same template lets it
/// start.
#[test]
fn config_records_everything_with_its_service_linked_role() {
    let all = renders();
    for (what, r, n) in claimed_of(
        &all,
        &aws_config::CONFIG_RECORDER,
        "AWS::Config::ConfigurationRecorder",
    ) {
        assert!(
            is_true(r, &["RecordingGroup", "AllSupported"]),
            "{what}: not every supported type"
        );
        assert!(
            every(r, &["RoleARN"], |v| v
                .and_then(|v| v
                    .get_path(&["Fn::Sub"])
                    .and_then(Node::as_str)
                    .or(v.as_str()))
                .is_some_and(|s| s.ends_with(
                    ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
                ))),
            "{what}: not the service-linked role"
        );
        assert!(
            !of_type(n, "AWS::Config::DeliveryChannel").is_empty(),
            "{what}: no delivery channel"
        );
    }
}

/// GuardDuty.1 (`AWS::GuardDuty::Detector`, no parameters): fails unless GuardDuty is on
/// (the detector is enabled). (Its plans: `the_detector_enables_every_protection_plan_claimed`.)
#[test]
fn the_detector_is_enabled() {
    let all = renders();
    for (what, d, _) in claimed_of(&all, &guardduty::GUARDDUTY, "AWS::GuardDuty::Detector") {
        assert!(is_true(d, &["Enable"]), "{what}: Enable");
    }
}

/// CloudFormation.3 (`AWS::CloudFormation::Stack`, no parameters): fails unless the stack has
/// termination protection. A stack setting, not a template property: every stack whose
/// template records the termination protection control is created with termination
/// protection on (`StackSpec::termination_protection`, which `deploy` passes to
/// CloudFormation), and every stack from enhanced records it.
#[test]
fn stacks_recording_termination_protection_have_it() {
    let mut protected = 0;
    for (case, stack, n, on, _) in RENDERS.iter() {
        let recorded = list(n.get_path(&["Metadata", "harden", "Controls"]))
            .iter()
            .any(|c| {
                c.get_path(&["Id"]).and_then(Node::as_str)
                    == Some(stack_protection::TERMINATION_PROTECTION.id)
            });
        assert_eq!(
            recorded, *on,
            "{case} {stack}: recorded {recorded}, on {on}"
        );
        if !case.ends_with("/basic") {
            assert!(*on, "{case} {stack}: no termination protection");
        }
        protected += usize::from(*on);
    }
    assert!(protected > 0, "no stack has termination protection");
}
