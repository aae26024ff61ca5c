//! A regional WAF web ACL for a public entry point (API Gateway stage, load balancer): a
//! per-IP rate limit, AWS managed rule groups for common exploits, known bad inputs, SQL
//! injection and IP reputation, CloudWatch metrics on every rule, and logging to an encrypted
//! log group with the `Authorization` header redacted.

use crate::cfn::generated::wafv2::{self, logging_configuration as lc, web_acl as w};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::log_group::log_group;
use crate::tier::Tier;

/// The control.
pub static WAF_WEB_ACL: Control = Control {
    id: "waf-web-acl",
    title: "WAF web ACL on a public entry point, with rate limiting, AWS managed rule groups and SQL injection protection, logged",
    tier: Tier::Enhanced,
    cis: &[],
    // Not WAF.12 (rule groups' rules have CloudWatch metrics): harden makes no rule group,
    // the web ACL's own rules reference AWS managed groups.
    security_hub: &["WAF.10", "WAF.11"],
};

/// Requests per IP in 5 minutes before blocking (the guide's 2000).
pub const RATE_LIMIT: i64 = 2000;

const MANAGED_GROUPS: &[&str] = &[
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
];

fn visibility(metric: &str) -> w::VisibilityConfig {
    w::VisibilityConfig {
        cloud_watch_metrics_enabled: Some(true.into()),
        sampled_requests_enabled: Some(true.into()),
        metric_name: Some(metric.into()),
    }
}

/// Adds the web ACL and its logging (`id` prefixes the logical ids; `name` names the ACL and
/// its `aws-waf-logs-` log group). Associate it with the entry point with
/// `AWS::WAFv2::WebACLAssociation`.
pub fn web_acl(
    t: &mut Template,
    tier: Tier,
    id: &str,
    name: &str,
    key_arn: Expr,
) -> Handle<wafv2::WebACL> {
    let logs = Expr::str(format!("aws-waf-logs-{name}"));
    acl(t, tier, id, Some(name), name, logs, key_arn, None)
}

/// A web ACL like [`web_acl`] whose name CloudFormation generates (so two stacks never
/// collide), logging to `logs_name` (which must start with `aws-waf-logs-`), and with
/// `allowed` (source CIDRs, IPv4) a first rule that blocks every request from outside them,
/// through an IP set `{id}AllowList`.
pub fn web_acl_allowing(
    t: &mut Template,
    tier: Tier,
    id: &str,
    logs_name: Expr,
    key_arn: Expr,
    allowed: Option<&[String]>,
) -> Handle<wafv2::WebACL> {
    acl(t, tier, id, None, id, logs_name, key_arn, allowed)
}

#[allow(clippy::too_many_arguments)]
fn acl(
    t: &mut Template,
    tier: Tier,
    id: &str,
    name: Option<&str>,
    metric: &str,
    logs_name: Expr,
    key_arn: Expr,
    allowed: Option<&[String]>,
) -> Handle<wafv2::WebACL> {
    let mut rules = Vec::new();
    if let Some(cidrs) = allowed {
        let set = t.add(
            format!("{id}AllowList"),
            wafv2::IPSet {
                scope: Some("REGIONAL".into()),
                ip_address_version: Some("IPV4".into()),
                addresses: Some(Expr::strs(cidrs)),
                description: Some("harden: the only sources the web ACL admits".into()),
                ..Default::default()
            },
        );
        t.res(&set).control(&WAF_WEB_ACL);
        rules.push(w::Rule {
            name: Some("BlockOutsideAllowList".into()),
            priority: Some(0.into()),
            action: Some(w::RuleAction {
                block: Some(w::BlockAction::default()),
                ..Default::default()
            }),
            statement: Some(Box::new(w::Statement {
                not_statement: Some(Box::new(w::NotStatement {
                    statement: Some(Box::new(w::Statement {
                        ip_set_reference_statement: Some(w::IPSetReferenceStatement {
                            arn: Some(set.get_att(wafv2::IPSetAttr::Arn)),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })),
                })),
                ..Default::default()
            })),
            visibility_config: Some(visibility("BlockOutsideAllowList")),
            ..Default::default()
        });
    }
    let first = rules.len() as i64;
    rules.push(w::Rule {
        name: Some("RateLimitPerIp".into()),
        priority: Some(first.into()),
        action: Some(w::RuleAction {
            block: Some(w::BlockAction::default()),
            ..Default::default()
        }),
        statement: Some(Box::new(w::Statement {
            rate_based_statement: Some(Box::new(w::RateBasedStatement {
                limit: Some(RATE_LIMIT.into()),
                aggregate_key_type: Some("IP".into()),
                ..Default::default()
            })),
            ..Default::default()
        })),
        visibility_config: Some(visibility("RateLimitPerIp")),
        ..Default::default()
    });
    for (i, group) in MANAGED_GROUPS.iter().enumerate() {
        rules.push(w::Rule {
            name: Some((*group).into()),
            priority: Some((first + i as i64 + 1).into()),
            override_action: Some(w::OverrideAction {
                none: Some(Expr::map::<&str>([])),
                ..Default::default()
            }),
            statement: Some(Box::new(w::Statement {
                managed_rule_group_statement: Some(Box::new(w::ManagedRuleGroupStatement {
                    vendor_name: Some("AWS".into()),
                    name: Some((*group).into()),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            visibility_config: Some(visibility(group)),
            ..Default::default()
        });
    }
    let acl = t.add(
        id,
        wafv2::WebACL {
            name: name.map(Expr::str),
            scope: Some("REGIONAL".into()),
            description: Some(
                "harden: rate limit, AWS managed rules, SQL injection, IP reputation".into(),
            ),
            default_action: Some(w::DefaultAction {
                allow: Some(w::AllowAction::default()),
                ..Default::default()
            }),
            rules: Some(rules),
            visibility_config: Some(visibility(metric)),
            ..Default::default()
        },
    );
    t.res(&acl).control(&WAF_WEB_ACL);
    let logs_id = format!("{id}Logs");
    let logs = log_group(t, tier, &logs_id, logs_name, key_arn);
    t.res(&logs).control(&WAF_WEB_ACL);
    let logging = t.add(
        format!("{id}Logging"),
        wafv2::LoggingConfiguration {
            resource_arn: Some(acl.get_att(wafv2::WebACLAttr::Arn)),
            log_destination_configs: Some(Expr::list([Expr::sub(format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{logs_id}}}"
            ))])),
            redacted_fields: Some(vec![lc::FieldToMatch {
                single_header: Some(lc::SingleHeader { name: Some("authorization".into()) }),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    t.res(&logging).control(&WAF_WEB_ACL);
    acl
}
