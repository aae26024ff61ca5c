//! Rules for the account's records: CloudTrail trails, CloudWatch Logs log groups (and the
//! functions that write to them), GuardDuty and AWS Config.

use super::ctx::sub_text;
use super::{alts, get, Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity, Val};
use crate::cfn::Node;
use crate::controls;
use crate::tier::Tier;

const TRAIL: &[&str] = &["AWS::CloudTrail::Trail"];

fn trail_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.missing(res, &["KMSKeyId"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "no `KMSKeyId`: the trail's log files are encrypted with S3's key only".into(),
        })
        .collect()
}

/// Trails are encrypted with a customer-managed key.
pub static CLOUDTRAIL_KMS: Rule = Rule {
    id: "cloudtrail-kms",
    title: "CloudTrail log files are encrypted with a customer-managed KMS key",
    severity: Severity::Medium,
    rationale: "With SSE-KMS, reading the trail needs both bucket access and `kms:Decrypt` on the key, and every decryption is itself logged; with S3's key anyone who can read the bucket reads the account's history.",
    remediation: "Set `KMSKeyId` to a key of the template (`!GetAtt TrailKey.Arn`) whose policy lets `cloudtrail.amazonaws.com` encrypt for this trail.",
    resource_types: TRAIL,
    tier: Tier::Enhanced,
    control: Some(&controls::cloudtrail::CLOUDTRAIL),
    cis: &["3.5"],
    security_hub: &["CloudTrail.2"],
    frameworks: Frameworks {
        nist: &["AU-9", "SC-28"],
        pci: &["10.3.2"],
        hipaa: &["164.312(a)(2)(iv)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_35"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["CLOUD_TRAIL_ENCRYPTION_ENABLED"],
    },
    check: trail_kms,
};

fn trail_validation(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.not_true(res, &["EnableLogFileValidation"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "log file validation is off: changed or deleted log files go unnoticed".into(),
        })
        .collect()
}

/// Trails validate their log files.
pub static CLOUDTRAIL_LOG_VALIDATION: Rule = Rule {
    id: "cloudtrail-log-validation",
    title: "CloudTrail log file validation is on",
    severity: Severity::Medium,
    rationale: "Digest files let you prove that no log file was changed or deleted after delivery; without them an intruder with bucket access can rewrite the record of what they did.",
    remediation: "Set `EnableLogFileValidation: true`.",
    resource_types: TRAIL,
    tier: Tier::Enhanced,
    control: Some(&controls::cloudtrail::CLOUDTRAIL),
    cis: &["3.2"],
    security_hub: &["CloudTrail.4"],
    frameworks: Frameworks {
        nist: &["AU-9", "SI-7"],
        pci: &["10.3.4"],
        hipaa: &["164.312(c)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_36"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"],
    },
    check: trail_validation,
};

fn trail_multi_region(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out: Vec<Hit> = ctx
        .not_true(res, &["IsMultiRegionTrail"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "the trail records one region only: activity in the others goes unlogged"
                .into(),
        })
        .collect();
    // Management events, reads and writes: with `EventSelectors`, at least one must select
    // them (`IncludeManagementEvents` and `ReadWriteType` default to true and `All`).
    for a in res.prop(&["EventSelectors"]) {
        let Some(Node::Seq(selectors)) = a.node else {
            continue;
        };
        let all_management = selectors.iter().any(|sel| {
            alts(sel).iter().any(|s| {
                let Some(s) = s.node else { return false };
                let include = get(s, &["IncludeManagementEvents"])
                    .iter()
                    .all(|v| ctx.bool(v.node) != Some(false));
                let rw = get(s, &["ReadWriteType"]).iter().all(|v| {
                    matches!(ctx.val(v.node), Val::Absent | Val::Unknown)
                        || ctx.text(v.node).as_deref() == Some("All")
                });
                include && rw
            })
        });
        if !all_management {
            out.push(Hit {
                path: a.path,
                message: "no event selector records every management event (reads and writes)"
                    .into(),
            });
        }
    }
    out
}

/// Trails cover every region and every management event.
pub static CLOUDTRAIL_MULTI_REGION: Rule = Rule {
    id: "cloudtrail-multi-region",
    title: "CloudTrail records every region and every management event",
    severity: Severity::High,
    rationale: "An intruder works where nobody looks: a trail of one region, or of writes only, leaves the others and the reconnaissance unrecorded.",
    remediation: "Set `IsMultiRegionTrail: true` (with `IncludeGlobalServiceEvents: true`), and leave `EventSelectors` out or give one with `IncludeManagementEvents: true` and `ReadWriteType: All`.",
    resource_types: TRAIL,
    tier: Tier::Enhanced,
    control: Some(&controls::cloudtrail::CLOUDTRAIL),
    cis: &["3.1"],
    security_hub: &["CloudTrail.1"],
    frameworks: Frameworks {
        nist: &["AU-2", "AU-12"],
        pci: &["10.2.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_67"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["MULTI_REGION_CLOUD_TRAIL_ENABLED"],
    },
    check: trail_multi_region,
};

fn trail_cloudwatch(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ["CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"]
        .iter()
        .flat_map(|p| ctx.missing(res, &[p]))
        .map(|a| Hit {
            path: a.path,
            message: "the trail does not deliver to CloudWatch Logs: no metric filter or alarm can watch it".into(),
        })
        .collect()
}

/// Trails deliver to CloudWatch Logs.
pub static CLOUDTRAIL_CLOUDWATCH_LOGS: Rule = Rule {
    id: "cloudtrail-cloudwatch-logs",
    title: "CloudTrail delivers to a CloudWatch Logs log group",
    severity: Severity::Medium,
    rationale: "Alarms on root use, policy changes or console sign-in failures need the trail in CloudWatch Logs; in the bucket alone events are only read after the fact.",
    remediation: "Set `CloudWatchLogsLogGroupArn` (`!GetAtt TrailLogs.Arn`) and `CloudWatchLogsRoleArn` (a role `cloudtrail.amazonaws.com` assumes to write that group's streams).",
    resource_types: TRAIL,
    tier: Tier::Enhanced,
    control: Some(&controls::cloudtrail::CLOUDTRAIL),
    cis: &[],
    security_hub: &["CloudTrail.5"],
    frameworks: Frameworks {
        nist: &["AU-6", "SI-4"],
        pci: &["10.4.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED"],
    },
    check: trail_cloudwatch,
};

const LOG_GROUP: &[&str] = &["AWS::Logs::LogGroup"];

fn log_group_retention(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let least = controls::log_group::retention_days(Tier::Basic);
    let mut out = Vec::new();
    for a in res.prop(&["RetentionInDays"]) {
        let message = match ctx.val(a.node) {
            Val::Absent => "no `RetentionInDays`: logs are kept forever, billed forever, and no lifecycle decision was made".to_string(),
            Val::Known(_) => match ctx.int(a.node) {
                Some(days) if days < least => {
                    format!("logs are kept {days} days, less than the {least} an investigation needs")
                }
                _ => continue,
            },
            Val::Unknown => continue,
        };
        out.push(Hit {
            path: a.path,
            message,
        });
    }
    out
}

/// Log groups are kept for a year or more, and not forever by omission.
pub static LOG_GROUP_RETENTION: Rule = Rule {
    id: "log-group-retention",
    title: "Log groups set a retention of at least a year",
    severity: Severity::Low,
    rationale: "Incidents are found months after they start: logs kept a few days are gone when needed, and logs kept forever by omission are a cost and a store of personal data nobody decided on.",
    remediation: "Set `RetentionInDays` to 365 or more (731 for two years).",
    resource_types: LOG_GROUP,
    tier: Tier::Basic,
    control: Some(&controls::log_group::ENCRYPTED_LOG_GROUP),
    cis: &[],
    security_hub: &["CloudWatch.16"],
    frameworks: Frameworks {
        nist: &["AU-11"],
        pci: &["10.5.1"],
        hipaa: &["164.316(b)(2)(i)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_66"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: log_group_retention,
};

fn log_group_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.missing(res, &["KmsKeyId"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "no `KmsKeyId`: the log group is encrypted with a key CloudWatch Logs owns"
                .into(),
        })
        .collect()
}

/// Log groups are encrypted with a customer-managed key.
pub static LOG_GROUP_KMS: Rule = Rule {
    id: "log-group-kms",
    title: "Log groups are encrypted with a customer-managed KMS key",
    severity: Severity::Medium,
    rationale: "Logs carry request data, identifiers and sometimes secrets; with a customer key, reading them needs `kms:Decrypt` as well as `logs:` permissions, and the key can be disabled to cut access at once.",
    remediation: "Set `KmsKeyId` to a key ARN (`!GetAtt LogKey.Arn`) whose policy lets `logs.<region>.amazonaws.com` use it for this log group (`kms:EncryptionContext:aws:logs:arn`).",
    resource_types: LOG_GROUP,
    tier: Tier::Basic,
    control: Some(&controls::log_group::ENCRYPTED_LOG_GROUP),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AU-9", "SC-28"],
        pci: &["3.5.1"],
        hipaa: &["164.312(a)(2)(iv)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_158"],
        cfn_lint: &[],
        cfn_nag: &["W84"],
        cdk_nag: &[],
        guard: &["CLOUDWATCH_LOG_GROUP_ENCRYPTED"],
    },
    check: log_group_kms,
};

/// The name a log group must have to be a function's.
#[derive(Default)]
struct Wanted<'a> {
    /// A known name.
    text: Option<String>,
    /// The text of the `Fn::Sub` that gives it.
    sub: Option<String>,
    /// Ids whose mention after `/aws/lambda/` names it: the function, a parameter.
    handles: Vec<&'a str>,
}

/// Whether a log group of the template has the wanted name.
fn has_log_group(ctx: &Ctx, want: &Wanted) -> bool {
    ctx.of_type("AWS::Logs::LogGroup").any(|g| {
        g.prop(&["LogGroupName"]).iter().any(|a| {
            let Some(n) = a.node else { return false };
            if want.text.is_some() && ctx.text(Some(n)) == want.text {
                return true;
            }
            let Some(text) = sub_text(n) else {
                // A name decided at deploy time (a parameter, an import) may be the one a
                // parameter gives the function.
                return want.handles.len() > 1 && ctx.val(Some(n)) == Val::Unknown;
            };
            want.sub.as_deref() == Some(text)
                || (text.contains("/aws/lambda/")
                    && want.handles.iter().any(|h| Ctx::mentions(n, h)))
        })
    })
}

fn function_log_group(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for cfg in res.prop(&["LoggingConfig", "LogGroup"]) {
        let Some(n) = cfg.node else {
            // The conventional group, `/aws/lambda/<FunctionName>`.
            for name in res.prop(&["FunctionName"]) {
                let want = match name.node {
                    None => Wanted {
                        handles: vec![res.id],
                        ..Wanted::default()
                    },
                    Some(n) => match (ctx.val(Some(n)), sub_text(n)) {
                        (Val::Known(_), _) => Wanted {
                            text: ctx.text(Some(n)).map(|t| format!("/aws/lambda/{t}")),
                            ..Wanted::default()
                        },
                        (_, Some(sub)) => Wanted {
                            sub: Some(format!("/aws/lambda/{sub}")),
                            handles: vec![res.id],
                            ..Wanted::default()
                        },
                        // A parameter without a default: a group named from the same
                        // parameter, or by another value decided at deploy time, may be
                        // the function's; a template with neither has none.
                        _ => match n.get_path(&["Ref"]).and_then(Node::as_str) {
                            Some(p) => Wanted {
                                handles: vec![res.id, p],
                                ..Wanted::default()
                            },
                            None => continue,
                        },
                    },
                };
                if !has_log_group(ctx, &want) {
                    out.push(Hit {
                        path: name.path,
                        message: "no log group of this template is the function's (`/aws/lambda/<FunctionName>`): its logs go to a group with no retention and no key".into(),
                    });
                }
            }
            continue;
        };
        let named = match ctx.target(n) {
            Some(g) => g.ty == "AWS::Logs::LogGroup",
            None => match ctx.text(Some(n)) {
                Some(name) => has_log_group(
                    ctx,
                    &Wanted {
                        text: Some(name),
                        ..Wanted::default()
                    },
                ),
                None => true,
            },
        };
        if !named {
            out.push(Hit {
                path: cfg.path,
                message: "`LoggingConfig.LogGroup` names no log group of this template: its retention and key are not set here".into(),
            });
        }
    }
    out
}

/// A function's logs go to a log group the template sets up.
pub static FUNCTION_LOG_GROUP: Rule = Rule {
    id: "lambda-log-group",
    title: "Every function writes to a log group of the template",
    severity: Severity::Low,
    rationale: "Lambda creates `/aws/lambda/<name>` on first write when nobody else has: a group that keeps logs forever, encrypted with CloudWatch's key, outside the stack (it survives deletion).",
    remediation: "Add an `AWS::Logs::LogGroup` named `/aws/lambda/<FunctionName>` (`!Sub /aws/lambda/${Function}`) with retention and a key, or point `LoggingConfig.LogGroup` at one.",
    resource_types: &["AWS::Lambda::Function", "AWS::Serverless::Function"],
    tier: Tier::Basic,
    control: Some(&controls::log_group::ENCRYPTED_LOG_GROUP),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AU-9", "AU-11"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: function_log_group,
};

fn guardduty_enabled(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.not_true(res, &["Enable"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "the detector is not enabled".into(),
        })
        .collect()
}

/// GuardDuty detectors are enabled.
pub static GUARDDUTY_ENABLED: Rule = Rule {
    id: "guardduty-enabled",
    title: "GuardDuty detectors are enabled",
    severity: Severity::Medium,
    rationale: "A disabled detector finds nothing: credential exfiltration, crypto-mining and calls from known-bad addresses go unreported.",
    remediation: "Set `Enable: true`.",
    resource_types: &["AWS::GuardDuty::Detector"],
    tier: Tier::Enhanced,
    control: Some(&controls::guardduty::GUARDDUTY),
    cis: &[],
    security_hub: &["GuardDuty.1"],
    frameworks: Frameworks {
        nist: &["SI-4", "RA-5"],
        pci: &["11.5.1"],
        hipaa: &["164.308(a)(1)(ii)(D)"],
    },
    equivalents: Equivalents::NONE,
    check: guardduty_enabled,
};

/// The older `DataSources` switch of a plan that has one.
fn data_source(plan: &str) -> Option<&'static [&'static str]> {
    match plan {
        "S3_DATA_EVENTS" => Some(&["DataSources", "S3Logs", "Enable"]),
        "EKS_AUDIT_LOGS" => Some(&["DataSources", "Kubernetes", "AuditLogs", "Enable"]),
        "EBS_MALWARE_PROTECTION" => Some(&[
            "DataSources",
            "MalwareProtection",
            "ScanEc2InstanceWithFindings",
            "EbsVolumes",
        ]),
        _ => None,
    }
}

fn guardduty_plans(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // Every alternative of every `Features` entry: (name, status).
    let mut features: Vec<(Option<String>, Option<&Node>)> = Vec::new();
    let mut unknown_list = false;
    for a in res.prop(&["Features"]) {
        match a.node {
            Some(Node::Seq(items)) => {
                for item in items {
                    for f in alts(item).into_iter().filter_map(|f| f.node) {
                        features.push((ctx.text(f.get_path(&["Name"])), f.get_path(&["Status"])));
                    }
                }
            }
            Some(_) => unknown_list = true,
            None => {}
        }
    }
    if unknown_list {
        return Vec::new();
    }
    let on = |name: &str| {
        features.iter().any(|(n, status)| {
            n.as_deref() == Some(name)
                && match ctx.val(*status) {
                    Val::Unknown => true,
                    _ => ctx.text(*status).as_deref() == Some("ENABLED"),
                }
        })
    };
    let mut plans: Vec<&str> = controls::guardduty::FEATURES.to_vec();
    plans.push("RUNTIME_MONITORING");
    let mut out = Vec::new();
    for plan in plans {
        let legacy = data_source(plan).is_some_and(|path| {
            let vals = res.prop(path);
            !vals.is_empty()
                && vals.iter().all(|v| {
                    ctx.bool(v.node) == Some(true) || matches!(ctx.val(v.node), Val::Unknown)
                })
        });
        let runtime_eks = plan == "RUNTIME_MONITORING" && on("EKS_RUNTIME_MONITORING");
        if !(on(plan) || legacy || runtime_eks) {
            out.push(Hit::at(
                &["Properties", "Features"],
                format!("protection plan `{plan}` is not enabled"),
            ));
        }
    }
    out
}

/// GuardDuty's protection plans are on.
pub static GUARDDUTY_PROTECTION_PLANS: Rule = Rule {
    id: "guardduty-protection-plans",
    title: "GuardDuty's protection plans are on: S3, EKS, malware, RDS, Lambda, runtime",
    severity: Severity::Low,
    rationale: "The base detector reads CloudTrail, VPC flow and DNS logs only: data reads from buckets, Kubernetes audit logs, malware on volumes, database logins, Lambda network activity and processes on hosts are seen only by their plans.",
    remediation: "List each plan in `Features` with `Status: ENABLED`: `S3_DATA_EVENTS`, `EKS_AUDIT_LOGS`, `EBS_MALWARE_PROTECTION`, `RDS_LOGIN_EVENTS`, `LAMBDA_NETWORK_LOGS` and `RUNTIME_MONITORING` (with its agent management).",
    resource_types: &["AWS::GuardDuty::Detector"],
    tier: Tier::Enhanced,
    control: Some(&controls::guardduty::GUARDDUTY),
    cis: &[],
    security_hub: &["GuardDuty.5", "GuardDuty.6", "GuardDuty.8", "GuardDuty.9", "GuardDuty.10"],
    frameworks: Frameworks {
        nist: &["SI-4", "SI-3"],
        pci: &["11.5.1", "5.2.1"],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: guardduty_plans,
};

fn config_all_resources(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // Without a `RecordingGroup`, AWS Config records every supported type.
    let mut out = Vec::new();
    for g in res.prop(&["RecordingGroup"]) {
        let Some(group) = g.node else { continue };
        // An exclusion list records everything but the excluded types.
        let excluding = get(group, &["RecordingStrategy", "UseOnly"])
            .iter()
            .any(|u| ctx.text(u.node).as_deref() == Some("EXCLUSION_BY_RESOURCE_TYPES"));
        if excluding {
            continue;
        }
        for a in get(group, &["AllSupported"]) {
            let all = match ctx.val(a.node) {
                Val::Unknown => true,
                _ => ctx.bool(a.node) == Some(true),
            };
            if !all {
                let mut path = g.path.clone();
                path.extend(a.path);
                out.push(Hit {
                    path,
                    message: "the recorder records listed resource types only: changes to the others are not kept".into(),
                });
            }
        }
    }
    out
}

/// AWS Config records every resource type.
pub static CONFIG_ALL_RESOURCES: Rule = Rule {
    id: "config-records-all-resources",
    title: "AWS Config records every supported resource type",
    severity: Severity::Low,
    rationale: "A recorder limited to a list misses every type not on it, and every type AWS adds: their changes have no history and Config rules never evaluate them. (Global IAM types are recorded in one region only, so this rule does not ask for them everywhere.)",
    remediation: "Set `RecordingGroup.AllSupported: true` (or leave `RecordingGroup` out); to leave out a few costly types use `RecordingStrategy.UseOnly: EXCLUSION_BY_RESOURCE_TYPES`.",
    resource_types: &["AWS::Config::ConfigurationRecorder"],
    tier: Tier::Enterprise,
    control: Some(&controls::aws_config::CONFIG_RECORDER),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["CM-8", "CM-3"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: config_all_resources,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &CLOUDTRAIL_KMS,
    &CLOUDTRAIL_LOG_VALIDATION,
    &CLOUDTRAIL_MULTI_REGION,
    &CLOUDTRAIL_CLOUDWATCH_LOGS,
    &LOG_GROUP_RETENTION,
    &LOG_GROUP_KMS,
    &FUNCTION_LOG_GROUP,
    &GUARDDUTY_ENABLED,
    &GUARDDUTY_PROTECTION_PLANS,
    &CONFIG_ALL_RESOURCES,
];

#[cfg(test)]
mod tests {
    use super::super::network::testing::{fired, ids};
    use super::*;

    const HEAD: &str = "Parameters:\n  On: {Type: String, Default: 'true'}\n  Off: {Type: String, Default: 'false'}\n  Free: {Type: String}\n  Days: {Type: Number, Default: 7}\n  Name: {Type: String}\nConditions:\n  C: {Condition: x}\nResources:\n  Key: {Type: AWS::KMS::Key}\n";

    fn t(resources: &str) -> String {
        format!("{HEAD}{resources}")
    }

    const GOOD_TRAIL: &str = "  Good:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsLogging: true, S3BucketName: b, KMSKeyId: {Ref: Key}, EnableLogFileValidation: {Ref: On}, IsMultiRegionTrail: true, CloudWatchLogsLogGroupArn: {'Fn::GetAtt': [G, Arn]}, CloudWatchLogsRoleArn: r, EventSelectors: [{IncludeManagementEvents: true, ReadWriteType: All}]}\n";

    #[test]
    fn weak_trails_fail_each_rule_and_a_hardened_one_none() {
        let tpl = t(&format!("{GOOD_TRAIL}  Bare:\n    Type: AWS::CloudTrail::Trail\n    Properties: {{IsLogging: true, S3BucketName: b}}\n  Cond:\n    Type: AWS::CloudTrail::Trail\n    Properties: {{IsLogging: true, S3BucketName: b, KMSKeyId: {{Fn::If: [C, {{Ref: Key}}, {{Ref: AWS::NoValue}}]}}, EnableLogFileValidation: {{Fn::If: [C, true, {{Ref: Off}}]}}, IsMultiRegionTrail: {{Ref: Free}}, CloudWatchLogsLogGroupArn: {{Ref: Free}}, CloudWatchLogsRoleArn: {{Ref: Free}}}}\n"));
        assert_eq!(ids(&CLOUDTRAIL_KMS, &tpl), ["Bare", "Cond"]);
        assert_eq!(
            fired(&CLOUDTRAIL_KMS, &tpl)[1],
            "Cond@Properties.KMSKeyId.Fn::If.2"
        );
        assert_eq!(
            fired(&CLOUDTRAIL_LOG_VALIDATION, &tpl),
            [
                "Bare@Properties.EnableLogFileValidation",
                "Cond@Properties.EnableLogFileValidation.Fn::If.2"
            ]
        );
        // `Free` has no default: the region setting and log group are unknown, never reported.
        assert_eq!(ids(&CLOUDTRAIL_MULTI_REGION, &tpl), ["Bare"]);
        assert_eq!(ids(&CLOUDTRAIL_CLOUDWATCH_LOGS, &tpl), ["Bare"]);
    }

    #[test]
    fn a_multi_region_trail_must_still_record_every_management_event() {
        let tpl = t("  WritesOnly:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsMultiRegionTrail: true, EventSelectors: [{ReadWriteType: WriteOnly}]}\n  NoMgmt:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsMultiRegionTrail: true, EventSelectors: [{IncludeManagementEvents: false}, {Fn::If: [C, {ReadWriteType: ReadOnly}, {ReadWriteType: All}]}]}\n");
        assert_eq!(
            fired(&CLOUDTRAIL_MULTI_REGION, &tpl),
            ["WritesOnly@Properties.EventSelectors"]
        );
    }

    #[test]
    fn log_groups_need_a_years_retention_and_a_key() {
        let tpl = t("  Good: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 365, KmsKeyId: {'Fn::GetAtt': [Key, Arn]}}}\n  Bare: {Type: AWS::Logs::LogGroup}\n  Short: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: {Ref: Days}, KmsKeyId: {Fn::If: [C, {Ref: Free}, '']}}}\n  Cond: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: {Fn::If: [C, 731, {Ref: AWS::NoValue}]}, KmsKeyId: {Ref: Free}}}\n  Unknown: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: {Ref: Free}, KmsKeyId: arn:aws:kms:eu-west-1:111122223333:key/k}}\n");
        assert_eq!(
            fired(&LOG_GROUP_RETENTION, &tpl),
            [
                "Bare@Properties",
                "Short@Properties.RetentionInDays",
                "Cond@Properties.RetentionInDays.Fn::If.2"
            ]
        );
        assert_eq!(
            fired(&LOG_GROUP_KMS, &tpl),
            ["Bare@Properties", "Short@Properties.KmsKeyId.Fn::If.2"]
        );
    }

    #[test]
    fn a_function_is_matched_to_its_log_group_by_name_sub_or_logging_config() {
        let tpl = t("  Named: {Type: AWS::Lambda::Function, Properties: {FunctionName: orders}}\n  NamedLogs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /aws/lambda/orders}}\n  Anon: {Type: AWS::Lambda::Function, Properties: {Runtime: python3.12}}\n  AnonLogs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: {Fn::Sub: '/aws/lambda/${Anon}'}}}\n  Stacked: {Type: AWS::Lambda::Function, Properties: {FunctionName: {Fn::Sub: '${AWS::StackName}-api'}}}\n  StackedLogs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: {Fn::Sub: '/aws/lambda/${AWS::StackName}-api'}}}\n  Configured: {Type: AWS::Lambda::Function, Properties: {LoggingConfig: {LogGroup: {Ref: AppLogs}}}}\n  AppLogs: {Type: AWS::Logs::LogGroup}\n  Orphan: {Type: AWS::Lambda::Function, Properties: {FunctionName: billing}}\n  Elsewhere: {Type: AWS::Lambda::Function, Properties: {LoggingConfig: {LogGroup: shared-logs}}}\n  Chosen: {Type: AWS::Lambda::Function, Properties: {FunctionName: {Fn::If: [C, orders, other]}}}\n  Deployed: {Type: AWS::Lambda::Function, Properties: {FunctionName: {Ref: Name}}}\n");
        assert_eq!(
            fired(&FUNCTION_LOG_GROUP, &tpl),
            [
                "Orphan@Properties.FunctionName",
                "Elsewhere@Properties.LoggingConfig.LogGroup",
                "Chosen@Properties.FunctionName.Fn::If.2",
                // Named at deploy time, but no log group of the template can have its name.
                "Deployed@Properties.FunctionName"
            ]
        );
        let opaque = t("  Deployed: {Type: AWS::Lambda::Function, Properties: {FunctionName: {Ref: Name}}}\n  Logs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: {Ref: Free}}}\n");
        assert!(fired(&FUNCTION_LOG_GROUP, &opaque).is_empty());
        let by_param = t("  Deployed: {Type: AWS::Lambda::Function, Properties: {FunctionName: {Ref: Name}}}\n  Logs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: {Fn::Sub: '/aws/lambda/${Name}'}}}\n");
        assert!(fired(&FUNCTION_LOG_GROUP, &by_param).is_empty());
    }

    #[test]
    fn guardduty_must_be_on_with_every_plan() {
        let features: String = controls::guardduty::FEATURES
            .iter()
            .chain(["RUNTIME_MONITORING"].iter())
            .map(|f| format!("{{Name: {f}, Status: ENABLED}}"))
            .collect::<Vec<_>>()
            .join(", ");
        let tpl = t(&format!("  Good: {{Type: AWS::GuardDuty::Detector, Properties: {{Enable: {{Ref: On}}, Features: [{features}]}}}}\n  Off: {{Type: AWS::GuardDuty::Detector, Properties: {{Enable: {{Fn::If: [C, true, false]}}, DataSources: {{S3Logs: {{Enable: true}}, Kubernetes: {{AuditLogs: {{Enable: true}}}}, MalwareProtection: {{ScanEc2InstanceWithFindings: {{EbsVolumes: true}}}}}}, Features: [{{Name: RDS_LOGIN_EVENTS, Status: ENABLED}}, {{Name: LAMBDA_NETWORK_LOGS, Status: {{Ref: Free}}}}, {{Fn::If: [C, {{Name: RUNTIME_MONITORING, Status: ENABLED}}, {{Name: RUNTIME_MONITORING, Status: DISABLED}}]}}]}}}}\n  Base: {{Type: AWS::GuardDuty::Detector, Properties: {{Enable: true, Features: [{{Name: S3_DATA_EVENTS, Status: DISABLED}}]}}}}\n"));
        assert_eq!(
            fired(&GUARDDUTY_ENABLED, &tpl),
            ["Off@Properties.Enable.Fn::If.2"]
        );
        // `Off` has every plan through the older data sources and both branches of an `If`.
        let plans = fired(&GUARDDUTY_PROTECTION_PLANS, &tpl);
        assert_eq!(plans.len(), 6, "{plans:?}");
        assert!(plans.iter().all(|p| p.starts_with("Base@")));
    }

    #[test]
    fn config_must_record_every_supported_type() {
        let tpl = t("  Default: {Type: AWS::Config::ConfigurationRecorder, Properties: {RoleARN: r}}\n  All: {Type: AWS::Config::ConfigurationRecorder, Properties: {RoleARN: r, RecordingGroup: {AllSupported: {Ref: On}, IncludeGlobalResourceTypes: false}}}\n  Listed: {Type: AWS::Config::ConfigurationRecorder, Properties: {RoleARN: r, RecordingGroup: {ResourceTypes: [AWS::S3::Bucket]}}}\n  Cond: {Type: AWS::Config::ConfigurationRecorder, Properties: {RoleARN: r, RecordingGroup: {AllSupported: {Fn::If: [C, true, {Ref: Off}]}}}}\n  Excluding: {Type: AWS::Config::ConfigurationRecorder, Properties: {RoleARN: r, RecordingGroup: {RecordingStrategy: {UseOnly: EXCLUSION_BY_RESOURCE_TYPES}}}}\n  Unknown: {Type: AWS::Config::ConfigurationRecorder, Properties: {RoleARN: r, RecordingGroup: {AllSupported: {Ref: Free}}}}\n");
        assert_eq!(
            fired(&CONFIG_ALL_RESOURCES, &tpl),
            [
                "Listed@Properties.RecordingGroup.AllSupported",
                "Cond@Properties.RecordingGroup.AllSupported.Fn::If.2"
            ]
        );
    }
}
