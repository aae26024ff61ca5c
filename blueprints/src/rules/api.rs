//! Rules for the ways in: API Gateway REST APIs and their stages, Cognito user pools, and WAF
//! web ACLs.

use super::ctx::sub_text;
use super::{alts, get, Alt, Ctx, Equivalents, Frameworks, Hit, Res, Rule, Severity, Val};
use crate::cfn::Node;
use crate::controls;
use crate::tier::Tier;

fn method_auth(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // A CORS preflight carries no credentials by design.
    let preflight = res.prop(&["HttpMethod"]).iter().all(|a| {
        // Exactly, as checkov compares it.
        ctx.text(a.node).as_deref() == Some("OPTIONS")
    });
    if preflight {
        return Vec::new();
    }
    let api_key = res
        .prop(&["ApiKeyRequired"])
        .iter()
        .all(|a| ctx.bool(a.node) == Some(true));
    if api_key {
        return Vec::new();
    }
    // `AuthorizationType` defaults to `NONE`.
    res.prop(&["AuthorizationType"])
        .into_iter()
        .filter(|a| match ctx.val(a.node) {
            Val::Absent => true,
            Val::Known(_) => ctx.text(a.node).as_deref() == Some("NONE"),
            Val::Unknown => false,
        })
        .map(|a| Hit {
            path: a.path,
            message: "the method calls its back end for anyone: no authoriser, IAM or API key"
                .into(),
        })
        .collect()
}

/// API methods authenticate their callers.
pub static APIGW_METHOD_AUTH: Rule = Rule {
    id: "apigw-method-auth",
    title: "API Gateway methods authenticate their callers",
    severity: Severity::High,
    rationale: "A method with `AuthorizationType: NONE` and no API key lets anyone on the internet invoke its integration: the function, the queue, the table behind it.",
    remediation: "Set `AuthorizationType` to `AWS_IAM`, `COGNITO_USER_POOLS` or `CUSTOM` with an `AuthorizerId`; only `OPTIONS` (CORS preflight) may stay open.",
    resource_types: &["AWS::ApiGateway::Method"],
    tier: Tier::Basic,
    control: Some(&controls::rest_api::REST_API),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-3", "IA-2"],
        pci: &["8.2.1", "7.2.1"],
        hipaa: &["164.312(d)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_59"],
        cfn_lint: &[],
        cfn_nag: &["W59"],
        cdk_nag: &["AwsSolutions-APIG4", "AwsSolutions-COG4"],
        guard: &["API_GW_METHOD_AUTHORIZATION_TYPE_RULE"],
    },
    check: method_auth,
};

const STAGE: &[&str] = &["AWS::ApiGateway::Stage", "AWS::Serverless::Api"];

fn stage_xray(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.not_true(res, &["TracingEnabled"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "X-Ray tracing is off: a request cannot be followed through the back end"
                .into(),
        })
        .collect()
}

/// Stages trace requests with X-Ray.
pub static APIGW_STAGE_XRAY: Rule = Rule {
    id: "apigw-stage-xray",
    title: "API Gateway stages trace requests with X-Ray",
    severity: Severity::Low,
    rationale: "Traces tie a request to every call it caused, which is how an abuse or a failure is followed from the edge to the data.",
    remediation: "Set `TracingEnabled: true` on the stage.",
    resource_types: STAGE,
    tier: Tier::Basic,
    control: Some(&controls::rest_api::REST_API),
    cis: &[],
    security_hub: &["APIGateway.3"],
    frameworks: Frameworks {
        nist: &["AU-12", "SI-4"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_73"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: stage_xray,
};

fn stage_access_logs(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.missing(res, &["AccessLogSetting", "DestinationArn"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "no access log: who called the API, from where, with what result, is not kept"
                .into(),
        })
        .collect()
}

/// Stages write access logs.
pub static APIGW_STAGE_ACCESS_LOGS: Rule = Rule {
    id: "apigw-stage-access-logs",
    title: "API Gateway stages write access logs",
    severity: Severity::Medium,
    rationale: "The access log is the record of every caller, source address and response: without it an abuse of the API cannot be traced or even noticed.",
    remediation: "Set `AccessLogSetting.DestinationArn` to a log group of the template (`!GetAtt ApiAccessLogs.Arn`, with retention and a key) and a `Format` with `$context.requestId` and `$context.identity.sourceIp`.",
    resource_types: STAGE,
    tier: Tier::Basic,
    control: Some(&controls::rest_api::REST_API),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AU-2", "AU-12"],
        pci: &["10.2.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_76"],
        cfn_lint: &[],
        cfn_nag: &["W69"],
        cdk_nag: &["AwsSolutions-APIG1"],
        guard: &["API_GW_STAGE_ACCESS_LOGGING_RULE"],
    },
    check: stage_access_logs,
};

fn stage_cache(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    ctx.not_true(res, &["CacheClusterEnabled"])
        .into_iter()
        .map(|a| Hit {
            path: a.path,
            message: "no cache: every request reaches the back end".into(),
        })
        .collect()
}

/// Stages have a cache.
pub static APIGW_STAGE_CACHE: Rule = Rule {
    id: "apigw-stage-cache",
    title: "API Gateway stages have a cache cluster",
    severity: Severity::Low,
    rationale: "A cache absorbs repeated reads, so a flood of them reaches the back end less; it is wrong for per-caller or changing answers, which a cache would serve to the wrong caller.",
    remediation: "Set `CacheClusterEnabled: true` with a `CacheClusterSize` and encrypted method caching; where every answer is per caller, suppress this rule with that reason.",
    resource_types: STAGE,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-5"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_120"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: stage_cache,
};

/// Every alternative of every `MethodSettings` entry, with its path.
fn method_settings<'t>(res: &Res<'t>) -> Vec<Alt<'t>> {
    let mut out = Vec::new();
    for a in res.prop(&["MethodSettings"]) {
        let Some(Node::Seq(items)) = a.node else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            for alt in alts(item) {
                let mut path = a.path.clone();
                path.push(i.to_string());
                path.extend(alt.path);
                out.push(Alt {
                    path,
                    node: alt.node,
                });
            }
        }
    }
    out
}

fn cache_encrypted(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for ms in method_settings(res) {
        let Some(node) = ms.node else { continue };
        let caching = get(node, &["CachingEnabled"])
            .iter()
            .any(|a| ctx.bool(a.node) == Some(true));
        if !caching {
            continue;
        }
        for a in get(node, &["CacheDataEncrypted"]) {
            let off = match ctx.val(a.node) {
                Val::Absent => true,
                Val::Known(_) => ctx.bool(a.node) != Some(true),
                Val::Unknown => false,
            };
            if off {
                let mut path = ms.path.clone();
                path.extend(a.path);
                out.push(Hit {
                    path,
                    message: "responses are cached unencrypted".into(),
                });
            }
        }
    }
    out
}

/// Cached responses are encrypted.
pub static APIGW_CACHE_ENCRYPTED: Rule = Rule {
    id: "apigw-cache-encrypted",
    title: "API Gateway method caches are encrypted",
    severity: Severity::Medium,
    rationale: "A cache holds the API's answers, personal data included; unencrypted, they sit at rest in clear.",
    remediation: "Set `CacheDataEncrypted: true` in every `MethodSettings` entry with `CachingEnabled: true`.",
    resource_types: STAGE,
    tier: Tier::Basic,
    control: Some(&controls::rest_api::REST_API),
    cis: &[],
    security_hub: &["APIGateway.5"],
    frameworks: Frameworks {
        nist: &["SC-28"],
        pci: &["3.5.1"],
        hipaa: &["164.312(a)(2)(iv)"],
    },
    equivalents: Equivalents::NONE,
    check: cache_encrypted,
};

fn execution_logs(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let settings = method_settings(res);
    let logged = settings.iter().any(|ms| {
        let Some(n) = ms.node else { return false };
        let every = |key: &str, want: &str| {
            get(n, &[key]).iter().all(|a| {
                ctx.val(a.node) == Val::Unknown || ctx.text(a.node).as_deref() == Some(want)
            })
        };
        every("ResourcePath", "/*")
            && every("HttpMethod", "*")
            && get(n, &["LoggingLevel"]).iter().all(|a| {
                ctx.val(a.node) == Val::Unknown
                    || matches!(ctx.text(a.node).as_deref(), Some("ERROR" | "INFO"))
            })
    });
    if logged {
        return Vec::new();
    }
    vec![Hit::at(
        &["Properties", "MethodSettings"],
        "no `MethodSettings` entry for every method (`/*`, `*`) with `LoggingLevel` `ERROR` or `INFO`: execution errors are not logged",
    )]
}

/// Stages log execution errors.
pub static APIGW_EXECUTION_LOGS: Rule = Rule {
    id: "apigw-execution-logs",
    title: "API Gateway stages log execution for every method",
    severity: Severity::Medium,
    rationale: "Execution logs record authoriser decisions, integration errors and throttling: without them a failing or attacked API shows nothing of why.",
    remediation: "Add a `MethodSettings` entry with `ResourcePath: /*`, `HttpMethod: '*'` and `LoggingLevel: ERROR` (or `INFO`), `DataTraceEnabled: false`; the account needs API Gateway's CloudWatch Logs role.",
    resource_types: STAGE,
    tier: Tier::Basic,
    control: Some(&controls::rest_api::REST_API),
    cis: &[],
    security_hub: &["APIGateway.1"],
    frameworks: Frameworks {
        nist: &["AU-2", "AU-12"],
        pci: &["10.2.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-APIG6"],
        guard: &[],
    },
    check: execution_logs,
};

fn execution_log_group(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // Only a stage that writes execution logs needs their group.
    let writes = method_settings(res).iter().any(|ms| {
        ms.node.is_some_and(|n| {
            get(n, &["LoggingLevel"])
                .iter()
                .any(|a| matches!(ctx.text(a.node).as_deref(), Some("ERROR" | "INFO")))
        })
    });
    let api = res
        .prop(&["RestApiId"])
        .first()
        .and_then(|a| a.node)
        .and_then(|n| ctx.target(n));
    let (true, Some(api)) = (writes, api) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in res.prop(&["StageName"]) {
        // `${Param}` in the group's name when the stage is named by a parameter.
        let stage = match name.node.map(|n| (ctx.val(Some(n)), n)) {
            Some((Val::Known(_), n)) => match ctx.text(Some(n)) {
                Some(s) => s,
                None => continue,
            },
            Some((_, n)) => match n.get_path(&["Ref"]).and_then(Node::as_str) {
                Some(p) => format!("${{{p}}}"),
                None => continue,
            },
            None => continue,
        };
        let want = format!(
            "{}${{{}}}/{stage}",
            controls::rest_api::EXECUTION_LOGS_PREFIX,
            api.id
        );
        let found = ctx.of_type("AWS::Logs::LogGroup").any(|g| {
            g.prop(&["LogGroupName"])
                .iter()
                .any(|a| a.node.and_then(sub_text) == Some(want.as_str()))
        });
        if !found {
            out.push(Hit {
                path: name.path,
                message: format!("no log group `{want}` in this template: API Gateway creates it with no retention and no key"),
            });
        }
    }
    out
}

/// A stage's execution logs go to a group the template sets up.
pub static APIGW_EXECUTION_LOG_GROUP: Rule = Rule {
    id: "apigw-execution-log-group",
    title: "A stage that writes execution logs has its log group in the template",
    severity: Severity::Low,
    rationale: "API Gateway writes execution logs to `API-Gateway-Execution-Logs_<api-id>/<stage>`, creating it on first write when nobody else has: kept forever, encrypted with CloudWatch's key, outside the stack.",
    remediation: "Add an `AWS::Logs::LogGroup` with `LogGroupName: !Sub API-Gateway-Execution-Logs_${Api}/<stage>`, retention and a key, and make the stage depend on it.",
    resource_types: &["AWS::ApiGateway::Stage"],
    tier: Tier::Basic,
    control: Some(&controls::rest_api::REST_API),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AU-9", "AU-11"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: execution_log_group,
};

/// Whether the endpoint configuration at `alts` is private in every alternative; `None`
/// when unknown.
fn private(ctx: &Ctx, types: &[Alt]) -> Option<bool> {
    let mut all = true;
    for a in types {
        let Some(n) = a.node else {
            all = false;
            continue;
        };
        let names: Vec<String> = match n {
            Node::Seq(items) => items.iter().filter_map(|i| ctx.text(Some(i))).collect(),
            other => ctx.text(Some(other)).into_iter().collect(),
        };
        if names.is_empty() {
            return None;
        }
        all &= names.iter().any(|t| t == "PRIVATE");
    }
    Some(all)
}

fn stage_waf(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // The API and whether it is private (SAM's API carries both).
    let (api_id, is_private) = if res.ty == "AWS::Serverless::Api" {
        (
            Some(res.id),
            private(ctx, &res.prop(&["EndpointConfiguration", "Type"])).map(|p| {
                p || res
                    .prop(&["EndpointConfiguration"])
                    .iter()
                    .all(|a| ctx.text(a.node).as_deref() == Some("PRIVATE"))
            }),
        )
    } else {
        match res
            .prop(&["RestApiId"])
            .first()
            .and_then(|a| a.node)
            .and_then(|n| ctx.target(n))
        {
            Some(api) => (
                Some(api.id),
                private(ctx, &api.prop(&["EndpointConfiguration", "Types"])),
            ),
            None => (None, None),
        }
    };
    // Unknown endpoint type: not reported; private APIs are reached from the VPC only.
    if is_private != Some(false) {
        return Vec::new();
    }
    let stage_name = res
        .prop(&["StageName"])
        .first()
        .and_then(|a| ctx.text(a.node));
    let associated = [
        "AWS::WAFv2::WebACLAssociation",
        "AWS::WAFRegional::WebACLAssociation",
    ]
    .iter()
    .flat_map(|ty| ctx.of_type(ty))
    .any(|assoc| {
        assoc.prop(&["ResourceArn"]).iter().any(|a| {
            let Some(n) = a.node else { return false };
            Ctx::mentions(n, res.id)
                || api_id.is_some_and(|api| {
                    Ctx::mentions(n, api)
                        && stage_name.as_ref().is_some_and(|s| {
                            sub_text(n).is_some_and(|t| t.ends_with(&format!("/stages/{s}")))
                        })
                })
        })
    });
    if associated {
        return Vec::new();
    }
    vec![Hit::at(
        &["Type"],
        "a public stage with no WAF web ACL association naming it",
    )]
}

/// Public stages sit behind a WAF web ACL.
pub static APIGW_STAGE_WAF: Rule = Rule {
    id: "apigw-stage-waf",
    title: "Public API Gateway stages are protected by a WAF web ACL",
    severity: Severity::Medium,
    rationale: "A stage reachable from the internet receives scans, injection attempts and floods; a web ACL with rate limiting and managed rule groups stops most before they reach the back end.",
    remediation: "Add an `AWS::WAFv2::WebACLAssociation` with `ResourceArn: !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Stage}` and a regional web ACL; or make the API `PRIVATE`.",
    resource_types: STAGE,
    tier: Tier::Enhanced,
    control: Some(&controls::rest_api::REST_API_WAF),
    cis: &[],
    security_hub: &["APIGateway.4"],
    frameworks: Frameworks {
        nist: &["SC-7", "SI-4"],
        pci: &["6.4.2"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-APIG3"],
        guard: &[],
    },
    check: stage_waf,
};

const USER_POOL: &[&str] = &["AWS::Cognito::UserPool"];

fn cognito_mfa(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    res.prop(&["MfaConfiguration"])
        .into_iter()
        .filter(|a| match ctx.val(a.node) {
            Val::Absent => true,
            Val::Known(_) => ctx.text(a.node).as_deref() == Some("OFF"),
            Val::Unknown => false,
        })
        .map(|a| Hit {
            path: a.path,
            message: "MFA is off: a password alone signs users in".into(),
        })
        .collect()
}

/// User pools offer MFA.
pub static COGNITO_MFA: Rule = Rule {
    id: "cognito-mfa",
    title: "Cognito user pools offer or require MFA",
    severity: Severity::Medium,
    rationale: "Passwords are phished, reused and guessed; a second factor stops most account takeovers.",
    remediation: "Set `MfaConfiguration: OPTIONAL` (or `ON`) with `EnabledMfas: [SOFTWARE_TOKEN_MFA]`; avoid SMS, which SIM swapping defeats.",
    resource_types: USER_POOL,
    tier: Tier::Enhanced,
    control: Some(&controls::cognito::COGNITO_MFA),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["IA-2(1)", "IA-2(2)"],
        pci: &["8.4.2"],
        hipaa: &["164.312(d)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &["F78"],
        cdk_nag: &["AwsSolutions-COG2"],
        guard: &[],
    },
    check: cognito_mfa,
};

fn threat_mode_not(ctx: &Ctx, res: &Res, path: &[&str], accepted: &[&str], what: &str) -> Vec<Hit> {
    res.prop(path)
        .into_iter()
        .filter(|a| match ctx.val(a.node) {
            Val::Absent => true,
            Val::Known(_) => !ctx
                .text(a.node)
                .is_some_and(|m| accepted.contains(&m.as_str())),
            Val::Unknown => false,
        })
        .map(|a| Hit {
            path: a.path,
            message: what.to_string(),
        })
        .collect()
}

fn cognito_threat(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    threat_mode_not(
        ctx,
        res,
        &["UserPoolAddOns", "AdvancedSecurityMode"],
        &["AUDIT", "ENFORCED"],
        "threat protection is off: sign-ins with leaked credentials or from risky sources go unseen",
    )
}

/// User pools watch sign-in risk.
pub static COGNITO_THREAT_PROTECTION: Rule = Rule {
    id: "cognito-threat-protection",
    title: "Cognito user pools have threat protection on",
    severity: Severity::Medium,
    rationale: "Threat protection scores each sign-in for compromised credentials and unusual devices or places; without it credential stuffing leaves no signal.",
    remediation: "Set `UserPoolTier: PLUS` and `UserPoolAddOns.AdvancedSecurityMode: AUDIT` (or `ENFORCED`).",
    resource_types: USER_POOL,
    tier: Tier::Enhanced,
    control: Some(&controls::cognito::COGNITO_THREAT_AUDIT),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SI-4", "AC-7"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: cognito_threat,
};

fn cognito_threat_enforced(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = threat_mode_not(
        ctx,
        res,
        &["UserPoolAddOns", "AdvancedSecurityMode"],
        &["ENFORCED"],
        "threat protection does not act on risky standard sign-ins",
    );
    out.extend(threat_mode_not(
        ctx,
        res,
        &[
            "UserPoolAddOns",
            "AdvancedSecurityAdditionalFlows",
            "CustomAuthMode",
        ],
        &["ENFORCED"],
        "threat protection does not act on risky custom-authentication sign-ins",
    ));
    out
}

/// User pools block risky sign-ins.
pub static COGNITO_THREAT_ENFORCED: Rule = Rule {
    id: "cognito-threat-protection-enforced",
    title: "Cognito threat protection is enforced for standard and custom authentication",
    severity: Severity::Low,
    rationale: "In audit mode risks are only logged; enforced, compromised credentials are blocked and MFA is asked as the risk grows, for custom authentication flows too.",
    remediation: "Set `UserPoolAddOns.AdvancedSecurityMode: ENFORCED` and `UserPoolAddOns.AdvancedSecurityAdditionalFlows.CustomAuthMode: ENFORCED` (Plus feature plan).",
    resource_types: USER_POOL,
    tier: Tier::Enterprise,
    control: Some(&controls::cognito::COGNITO_THREAT_ENFORCED),
    cis: &[],
    security_hub: &["Cognito.1", "Cognito.4"],
    frameworks: Frameworks {
        nist: &["SI-4", "AC-7", "IA-5"],
        pci: &["8.3.4"],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: cognito_threat_enforced,
};

/// The least password length, as harden's pools have it (CIS's figure for IAM users).
const MIN_PASSWORD_LENGTH: i64 = 14;

/// The longest a temporary password may stay valid, in days.
const MAX_TEMPORARY_DAYS: i64 = 7;

fn cognito_password_policy(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for policy in res.prop(&["Policies", "PasswordPolicy"]) {
        let Some(p) = policy.node else {
            out.push(Hit {
                path: policy.path,
                message: format!(
                    "no `PasswordPolicy`: Cognito's default accepts 8-character passwords (harden asks {MIN_PASSWORD_LENGTH})"
                ),
            });
            continue;
        };
        let at = |a: &Alt| {
            let mut path = policy.path.clone();
            path.extend(a.path.iter().cloned());
            path
        };
        for a in get(p, &["MinimumLength"]) {
            let short = match ctx.val(a.node) {
                Val::Absent => Some(8),
                Val::Known(_) => ctx.int(a.node).filter(|n| *n < MIN_PASSWORD_LENGTH),
                Val::Unknown => None,
            };
            if let Some(n) = short {
                out.push(Hit {
                    path: at(&a),
                    message: format!(
                        "passwords may be {n} characters: ask {MIN_PASSWORD_LENGTH} or more"
                    ),
                });
            }
        }
        for key in [
            "RequireLowercase",
            "RequireUppercase",
            "RequireNumbers",
            "RequireSymbols",
        ] {
            for a in get(p, &[key]) {
                let off = match ctx.val(a.node) {
                    Val::Absent => true,
                    Val::Known(_) => ctx.bool(a.node) != Some(true),
                    Val::Unknown => false,
                };
                if off {
                    out.push(Hit {
                        path: at(&a),
                        message: format!("`{key}` is not set"),
                    });
                }
            }
        }
        for a in get(p, &["TemporaryPasswordValidityDays"]) {
            if let Some(days) = ctx.int(a.node).filter(|d| *d > MAX_TEMPORARY_DAYS) {
                out.push(Hit {
                    path: at(&a),
                    message: format!(
                        "temporary passwords stay valid {days} days: at most {MAX_TEMPORARY_DAYS}"
                    ),
                });
            }
        }
    }
    out
}

/// User pools ask for strong passwords.
pub static COGNITO_PASSWORD_POLICY: Rule = Rule {
    id: "cognito-password-policy",
    title: "Cognito user pools require long, mixed passwords and short-lived temporary ones",
    severity: Severity::Medium,
    rationale: "Short or single-class passwords fall to guessing and credential stuffing; a temporary password valid for weeks is a standing credential in someone's mailbox.",
    remediation: "Set `Policies.PasswordPolicy` with `MinimumLength: 14`, `RequireLowercase`, `RequireUppercase`, `RequireNumbers` and `RequireSymbols` all `true`, and `TemporaryPasswordValidityDays` of 7 or less.",
    resource_types: USER_POOL,
    tier: Tier::Basic,
    control: Some(&controls::cognito::COGNITO_USER_POOL),
    cis: &[],
    security_hub: &["Cognito.3"],
    frameworks: Frameworks {
        nist: &["IA-5(1)"],
        pci: &["8.3.6"],
        hipaa: &["164.308(a)(5)(ii)(D)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-COG1"],
        guard: &[],
    },
    check: cognito_password_policy,
};

const WEB_ACL: &[&str] = &["AWS::WAFv2::WebACL"];

/// The managed rule group that carries the Log4j rule, and the rule.
const KNOWN_BAD_INPUTS: &str = "AWSManagedRulesKnownBadInputsRuleSet";
const LOG4J_RULE: &str = "Log4JRCE";

fn waf_log4j(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for rules in res.prop(&["Rules"]) {
        // checkov's reading: the first rule whose statement is the managed group decides.
        let found = rules.node.and_then(Node::as_seq).and_then(|items| {
            items.iter().enumerate().find_map(|(i, item)| {
                let group = item.get_path(&["Statement", "ManagedRuleGroupStatement"])?;
                (ctx.text(group.get_path(&["Name"])).as_deref() == Some(KNOWN_BAD_INPUTS))
                    .then_some((i, item, group))
            })
        });
        let Some((i, item, group)) = found else {
            out.push(Hit {
                path: rules.path,
                message: format!(
                    "no `{KNOWN_BAD_INPUTS}` rule: Log4j exploits (CVE-2021-44228) pass"
                ),
            });
            continue;
        };
        let mut at = rules.path.clone();
        at.push(i.to_string());
        let named = |list: Option<&Node>| {
            list.and_then(Node::as_seq).is_some_and(|xs| {
                xs.iter()
                    .any(|x| ctx.text(x.get_path(&["Name"])).as_deref() == Some(LOG4J_RULE))
            })
        };
        // Excluded, or overridden to anything but block (a count lets the request through).
        let overridden = group
            .get_path(&["RuleActionOverrides"])
            .and_then(Node::as_seq)
            .is_some_and(|xs| {
                xs.iter().any(|x| {
                    ctx.text(x.get_path(&["Name"])).as_deref() == Some(LOG4J_RULE)
                        && x.get_path(&["ActionToUse", "Block"]).is_none()
                })
            });
        if named(group.get_path(&["ExcludedRules"])) || overridden {
            out.push(Hit {
                path: at.clone(),
                message: format!("`{LOG4J_RULE}` is excluded or only counted"),
            });
        }
        let counts = item
            .get_path(&["OverrideAction"])
            .and_then(Node::as_map)
            .and_then(|m| m.keys().next())
            .is_some_and(|k| k != "None");
        if counts {
            at.push("OverrideAction".into());
            out.push(Hit {
                path: at,
                message: format!(
                    "the `{KNOWN_BAD_INPUTS}` group is overridden: it counts instead of blocking"
                ),
            });
        }
    }
    out
}

/// Web ACLs block Log4j exploits.
pub static WAF_LOG4J: Rule = Rule {
    id: "waf-log4j",
    title: "WAF web ACLs block Log4j exploits (CVE-2021-44228)",
    severity: Severity::High,
    rationale: "Log4Shell lets a single header run code on any back end that logs it with a vulnerable Log4j; AWS's known-bad-inputs group blocks the lookups, unless its rule is excluded or the group only counts.",
    remediation: "Add a rule with `Statement.ManagedRuleGroupStatement` `{VendorName: AWS, Name: AWSManagedRulesKnownBadInputsRuleSet}` and `OverrideAction: {None: {}}`, without excluding or counting `Log4JRCE`.",
    resource_types: WEB_ACL,
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SI-10", "SC-7"],
        pci: &["6.4.2"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_192"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: waf_log4j,
};

fn waf_logging(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if ctx
        .referrers("AWS::WAFv2::LoggingConfiguration", &["ResourceArn"], res.id)
        .next()
        .is_some()
    {
        return Vec::new();
    }
    vec![Hit::at(
        &["Type"],
        "no `AWS::WAFv2::LoggingConfiguration` of this template names the web ACL",
    )]
}

/// Web ACLs log what they see.
pub static WAF_LOGGING: Rule = Rule {
    id: "waf-logging",
    title: "WAF web ACLs are logged",
    severity: Severity::Medium,
    rationale: "Without logs a web ACL's blocks cannot be reviewed: false positives go unfixed and an attack's shape is unknown.",
    remediation: "Add an `AWS::WAFv2::LoggingConfiguration` with `ResourceArn: !GetAtt WebAcl.Arn` and a log group named `aws-waf-logs-...` (encrypted, with retention) in `LogDestinationConfigs`.",
    resource_types: WEB_ACL,
    tier: Tier::Enhanced,
    control: Some(&controls::waf::WAF_WEB_ACL),
    cis: &[],
    security_hub: &["WAF.11"],
    frameworks: Frameworks {
        nist: &["AU-2", "AU-12"],
        pci: &["10.2.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents::NONE,
    check: waf_logging,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &APIGW_METHOD_AUTH,
    &APIGW_STAGE_XRAY,
    &APIGW_STAGE_ACCESS_LOGS,
    &APIGW_STAGE_CACHE,
    &APIGW_CACHE_ENCRYPTED,
    &APIGW_EXECUTION_LOGS,
    &APIGW_EXECUTION_LOG_GROUP,
    &APIGW_STAGE_WAF,
    &COGNITO_MFA,
    &COGNITO_THREAT_PROTECTION,
    &COGNITO_THREAT_ENFORCED,
    &COGNITO_PASSWORD_POLICY,
    &WAF_LOG4J,
    &WAF_LOGGING,
];

#[cfg(test)]
mod tests {
    use super::super::network::testing::{fired, ids};
    use super::*;

    const HEAD: &str = "Parameters:\n  On: {Type: String, Default: 'true'}\n  Off: {Type: String, Default: 'false'}\n  Free: {Type: String}\n  Kind: {Type: String, Default: NONE}\nConditions:\n  C: {Condition: x}\nResources:\n";

    fn t(resources: &str) -> String {
        format!("{HEAD}{resources}")
    }

    #[test]
    fn methods_need_an_authoriser_or_an_api_key_except_preflight() {
        let tpl = t("  Open: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: GET, AuthorizationType: NONE}}\n  Default: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: POST}}\n  ByParam: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: GET, AuthorizationType: {Ref: Kind}}}\n  Cond: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: GET, AuthorizationType: {Fn::If: [C, AWS_IAM, NONE]}}}\n  Preflight: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: OPTIONS, AuthorizationType: NONE}}\n  Keyed: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: GET, AuthorizationType: NONE, ApiKeyRequired: {Ref: On}}}\n  Iam: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: GET, AuthorizationType: AWS_IAM}}\n  Unknown: {Type: AWS::ApiGateway::Method, Properties: {HttpMethod: GET, AuthorizationType: {Ref: Free}}}\n");
        assert_eq!(
            fired(&APIGW_METHOD_AUTH, &tpl),
            [
                "Open@Properties.AuthorizationType",
                "Default@Properties.AuthorizationType",
                "ByParam@Properties.AuthorizationType",
                "Cond@Properties.AuthorizationType.Fn::If.2"
            ]
        );
    }

    const GOOD_STAGE: &str = "  Good:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: {Ref: Api}\n      StageName: prod\n      TracingEnabled: {Ref: On}\n      CacheClusterEnabled: true\n      AccessLogSetting: {DestinationArn: {'Fn::GetAtt': [Logs, Arn]}}\n      MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: ERROR, CachingEnabled: true, CacheDataEncrypted: true}]\n  Api: {Type: AWS::ApiGateway::RestApi, Properties: {EndpointConfiguration: {Types: [REGIONAL]}}}\n  Logs: {Type: AWS::Logs::LogGroup}\n";

    #[test]
    fn stages_trace_log_and_cache_encrypted() {
        let tpl = t(&format!("{GOOD_STAGE}  Bare: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Ref: Api}}}}}}\n  Cond:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      RestApiId: {{Ref: Api}}\n      TracingEnabled: {{Fn::If: [C, true, {{Ref: Off}}]}}\n      CacheClusterEnabled: {{Ref: Free}}\n      AccessLogSetting: {{Fn::If: [C, {{DestinationArn: arn:aws:logs:eu-west-1:111122223333:log-group:x}}, {{Ref: AWS::NoValue}}]}}\n      MethodSettings:\n        - {{ResourcePath: /*, HttpMethod: '*', LoggingLevel: {{Fn::If: [C, INFO, 'OFF']}}, CachingEnabled: true, CacheDataEncrypted: {{Ref: Off}}}}\n  Sam: {{Type: AWS::Serverless::Api, Properties: {{StageName: prod, TracingEnabled: true, MethodSettings: [{{ResourcePath: /*, HttpMethod: '*', LoggingLevel: {{Ref: Free}}}}]}}}}\n"));
        assert_eq!(ids(&APIGW_STAGE_XRAY, &tpl), ["Bare", "Cond"]);
        assert_eq!(
            fired(&APIGW_STAGE_XRAY, &tpl)[1],
            "Cond@Properties.TracingEnabled.Fn::If.2"
        );
        assert_eq!(ids(&APIGW_STAGE_ACCESS_LOGS, &tpl), ["Bare", "Cond", "Sam"]);
        assert_eq!(ids(&APIGW_STAGE_CACHE, &tpl), ["Bare", "Sam"]);
        assert_eq!(
            fired(&APIGW_CACHE_ENCRYPTED, &tpl),
            ["Cond@Properties.MethodSettings.0.CacheDataEncrypted"]
        );
        // `Cond` logs at INFO in one branch only; `Sam`'s level is a parameter: unknown.
        assert_eq!(ids(&APIGW_EXECUTION_LOGS, &tpl), ["Bare", "Cond"]);
    }

    #[test]
    fn a_logging_stage_needs_its_execution_log_group() {
        let tpl = t("  Api: {Type: AWS::ApiGateway::RestApi}\n  Kept: {Type: AWS::ApiGateway::Stage, Properties: {RestApiId: {Ref: Api}, StageName: v1, MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: ERROR}]}}\n  KeptLogs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: {Fn::Sub: 'API-Gateway-Execution-Logs_${Api}/v1'}}}\n  Lost: {Type: AWS::ApiGateway::Stage, Properties: {RestApiId: {Ref: Api}, StageName: {Fn::If: [C, v1, v2]}, MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: INFO}]}}\n  ByParam: {Type: AWS::ApiGateway::Stage, Properties: {RestApiId: {Ref: Api}, StageName: {Ref: Free}, MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: INFO}]}}\n  ParamLogs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: {Fn::Sub: 'API-Gateway-Execution-Logs_${Api}/${Free}'}}}\n  Silent: {Type: AWS::ApiGateway::Stage, Properties: {RestApiId: {Ref: Api}, StageName: v3, MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: 'OFF'}]}}\n  Imported: {Type: AWS::ApiGateway::Stage, Properties: {RestApiId: {Fn::ImportValue: api}, StageName: v3, MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: INFO}]}}\n");
        assert_eq!(
            fired(&APIGW_EXECUTION_LOG_GROUP, &tpl),
            ["Lost@Properties.StageName.Fn::If.2"]
        );
    }

    #[test]
    fn public_stages_need_a_web_acl_association_naming_them() {
        let tpl = t(&format!("{GOOD_STAGE}  Assoc: {{Type: AWS::WAFv2::WebACLAssociation, Properties: {{WebACLArn: a, ResourceArn: {{Fn::Sub: 'arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{Api}}/stages/${{Good}}'}}}}}}\n  ByName: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Ref: Api}}, StageName: v2}}}}\n  NameAssoc: {{Type: AWS::WAFv2::WebACLAssociation, Properties: {{WebACLArn: a, ResourceArn: {{Fn::Sub: 'arn:aws:apigateway:eu-west-1::/restapis/${{Api}}/stages/v2'}}}}}}\n  Naked: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Ref: Api}}, StageName: dev}}}}\n  Edge: {{Type: AWS::ApiGateway::RestApi}}\n  EdgeStage: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Ref: Edge}}, StageName: dev}}}}\n  Priv: {{Type: AWS::ApiGateway::RestApi, Properties: {{EndpointConfiguration: {{Types: {{Fn::If: [C, [PRIVATE], [PRIVATE]]}}}}}}}}\n  PrivStage: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Ref: Priv}}, StageName: dev}}}}\n  Maybe: {{Type: AWS::ApiGateway::RestApi, Properties: {{EndpointConfiguration: {{Types: [{{Ref: Free}}]}}}}}}\n  MaybeStage: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Ref: Maybe}}, StageName: dev}}}}\n  Imported: {{Type: AWS::ApiGateway::Stage, Properties: {{RestApiId: {{Fn::ImportValue: api}}, StageName: dev}}}}\n  SamPrivate: {{Type: AWS::Serverless::Api, Properties: {{StageName: p, EndpointConfiguration: {{Type: PRIVATE}}}}}}\n  SamPublic: {{Type: AWS::Serverless::Api, Properties: {{StageName: p, EndpointConfiguration: REGIONAL}}}}\n"));
        assert_eq!(
            ids(&APIGW_STAGE_WAF, &tpl),
            ["Naked", "EdgeStage", "SamPublic"]
        );
    }

    #[test]
    fn user_pools_need_mfa_threat_protection_and_a_strong_password_policy() {
        let strong = "Policies: {PasswordPolicy: {MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: {Ref: On}, TemporaryPasswordValidityDays: 1}}";
        let tpl = t(&format!("  Good: {{Type: AWS::Cognito::UserPool, Properties: {{MfaConfiguration: OPTIONAL, UserPoolAddOns: {{AdvancedSecurityMode: ENFORCED, AdvancedSecurityAdditionalFlows: {{CustomAuthMode: ENFORCED}}}}, {strong}}}}}\n  Bare: {{Type: AWS::Cognito::UserPool}}\n  Audit: {{Type: AWS::Cognito::UserPool, Properties: {{MfaConfiguration: {{Fn::If: [C, 'ON', 'OFF']}}, UserPoolAddOns: {{AdvancedSecurityMode: AUDIT}}, Policies: {{PasswordPolicy: {{MinimumLength: {{Fn::If: [C, 14, 8]}}, RequireLowercase: true, RequireUppercase: true, RequireNumbers: {{Ref: Off}}, RequireSymbols: {{Ref: Free}}, TemporaryPasswordValidityDays: 30}}}}}}}}\n  Unknown: {{Type: AWS::Cognito::UserPool, Properties: {{MfaConfiguration: {{Ref: Free}}, UserPoolAddOns: {{AdvancedSecurityMode: {{Ref: Free}}, AdvancedSecurityAdditionalFlows: {{CustomAuthMode: {{Ref: Free}}}}}}, {strong}}}}}\n"));
        assert_eq!(
            fired(&COGNITO_MFA, &tpl),
            [
                "Bare@Properties",
                "Audit@Properties.MfaConfiguration.Fn::If.2"
            ]
        );
        assert_eq!(ids(&COGNITO_THREAT_PROTECTION, &tpl), ["Bare"]);
        assert_eq!(
            fired(&COGNITO_THREAT_ENFORCED, &tpl),
            [
                "Bare@Properties",
                "Bare@Properties",
                "Audit@Properties.UserPoolAddOns.AdvancedSecurityMode",
                "Audit@Properties.UserPoolAddOns.AdvancedSecurityAdditionalFlows"
            ]
        );
        assert_eq!(
            fired(&COGNITO_PASSWORD_POLICY, &tpl),
            [
                "Bare@Properties",
                "Audit@Properties.Policies.PasswordPolicy.MinimumLength.Fn::If.2",
                "Audit@Properties.Policies.PasswordPolicy.RequireNumbers",
                "Audit@Properties.Policies.PasswordPolicy.TemporaryPasswordValidityDays"
            ]
        );
    }

    fn acl(rules: &str) -> String {
        t(&format!("  Acl:\n    Type: AWS::WAFv2::WebACL\n    Properties:\n      Scope: REGIONAL\n      DefaultAction: {{Allow: {{}}}}\n      Rules:\n{rules}"))
    }

    const BAD_INPUTS: &str = "{VendorName: AWS, Name: AWSManagedRulesKnownBadInputsRuleSet";

    #[test]
    fn web_acls_block_log4j_as_checkov_reads_it_and_with_overrides() {
        let good = acl(&format!("        - {{Name: rate, Priority: 0, Statement: {{RateBasedStatement: {{Limit: 2000}}}}, Action: {{Block: {{}}}}}}\n        - {{Name: bad, Priority: 1, OverrideAction: {{None: {{}}}}, Statement: {{ManagedRuleGroupStatement: {BAD_INPUTS}}}}}}}\n"));
        assert!(fired(&WAF_LOG4J, &good).is_empty());
        let missing = acl("        - {Name: rate, Priority: 0, Statement: {RateBasedStatement: {Limit: 2000}}, Action: {Block: {}}}\n");
        assert_eq!(fired(&WAF_LOG4J, &missing), ["Acl@Properties.Rules"]);
        let excluded = acl(&format!("        - {{Name: bad, Priority: 1, OverrideAction: {{None: {{}}}}, Statement: {{ManagedRuleGroupStatement: {BAD_INPUTS}, ExcludedRules: [{{Name: Log4JRCE}}]}}}}}}\n"));
        assert_eq!(fired(&WAF_LOG4J, &excluded), ["Acl@Properties.Rules.0"]);
        let counted = acl(&format!("        - {{Name: bad, Priority: 1, OverrideAction: {{Count: {{}}}}, Statement: {{ManagedRuleGroupStatement: {BAD_INPUTS}, RuleActionOverrides: [{{Name: Log4JRCE, ActionToUse: {{Count: {{}}}}}}]}}}}}}\n"));
        assert_eq!(
            fired(&WAF_LOG4J, &counted),
            [
                "Acl@Properties.Rules.0",
                "Acl@Properties.Rules.0.OverrideAction"
            ]
        );
        let cond = t(&format!("  Acl:\n    Type: AWS::WAFv2::WebACL\n    Properties:\n      Rules: {{Fn::If: [C, [{{Name: bad, Priority: 1, OverrideAction: {{None: {{}}}}, Statement: {{ManagedRuleGroupStatement: {BAD_INPUTS}}}}}}}], {{Ref: AWS::NoValue}}]}}\n"));
        assert_eq!(fired(&WAF_LOG4J, &cond), ["Acl@Properties.Rules.Fn::If.2"]);
    }

    #[test]
    fn web_acls_need_a_logging_configuration_naming_them() {
        let tpl = t("  Logged: {Type: AWS::WAFv2::WebACL, Properties: {Scope: REGIONAL}}\n  Dark: {Type: AWS::WAFv2::WebACL, Properties: {Scope: REGIONAL}}\n  Log: {Type: AWS::WAFv2::LoggingConfiguration, Properties: {ResourceArn: {'Fn::GetAtt': [Logged, Arn]}, LogDestinationConfigs: [x]}}\n  Other: {Type: AWS::WAFv2::LoggingConfiguration, Properties: {ResourceArn: {Ref: Free}, LogDestinationConfigs: [x]}}\n");
        assert_eq!(ids(&WAF_LOGGING, &tpl), ["Dark"]);
    }
}
