//! A CloudWatch Logs log group encrypted with a customer-managed key and kept for a set time.

use crate::cfn::generated::logs;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static ENCRYPTED_LOG_GROUP: Control = Control {
    id: "encrypted-log-group",
    title: "log group encrypted with a customer-managed key, retained for at least a year",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["CloudWatch.16"],
};

/// How long logs are kept at a tier: a year, two from enterprise. Never shorter at a higher tier.
pub fn retention_days(tier: Tier) -> i64 {
    match tier {
        Tier::Basic | Tier::Enhanced => 365,
        Tier::Enterprise => 731,
    }
}

/// Adds a log group with this name (an `Fn::Sub` string), encrypted with the key ARN.
pub fn log_group(
    t: &mut Template,
    tier: Tier,
    id: &str,
    name: Expr,
    key_arn: Expr,
) -> Handle<logs::LogGroup> {
    let h = t.add(
        id,
        logs::LogGroup {
            log_group_name: Some(name),
            kms_key_id: Some(key_arn),
            retention_in_days: Some(retention_days(tier).into()),
            ..Default::default()
        },
    );
    t.res(&h).control(&ENCRYPTED_LOG_GROUP);
    super::retain::apply(t, tier, &h);
    h
}

/// The ARN of a log group's streams, for `logs:CreateLogStream` / `logs:PutLogEvents`.
/// (`GetAtt Arn` ends in `:*`, so it is built from the name instead.)
pub fn streams_arn(h: &Handle<logs::LogGroup>) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{}}}:log-stream:*",
        h.id()
    ))
}
