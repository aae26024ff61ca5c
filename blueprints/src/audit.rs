//! Least-privilege and exposure rules that harden holds every template to, whoever wrote it:
//! no `*` in allowed actions, no `*` principal in an `Allow`, `*` resources only with a written
//! reason, no inline role policies, no ingress from anywhere without a written reason, and no
//! `Allow` to an AWS service in a resource policy (key, bucket, topic...) without a condition
//! that ties the service's request to this account's own resources (the confused deputy).
//!
//! A policy's `Statement` may be a list or a single statement; both are checked, and so are
//! both branches of a statement given as `Fn::If`.
//!
//! The rules read a template tree ([`Node`]), so they apply to rendered and parsed templates
//! alike.

use crate::cfn::Node;
use crate::rules::{self, Rule};

pub use crate::rules::iam::SOURCE_KEYS;

/// One rule broken at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule id.
    pub rule: &'static str,
    /// Where: `Resources.X.Properties...`
    pub at: String,
    /// What is wrong.
    pub message: String,
}

/// The rules of harden's checker that every template harden renders must pass whatever its
/// tier, with no suppression: least privilege and exposure.
pub fn least_privilege() -> impl Iterator<Item = &'static Rule> {
    rules::iam::RULES
        .iter()
        .copied()
        .chain([&rules::network::NO_OPEN_INGRESS])
}

/// Checks a template tree against harden's least-privilege and exposure rules.
pub fn audit(root: &Node) -> Vec<Finding> {
    let rules: Vec<&'static Rule> = least_privilege().collect();
    rules::engine::run(root, &rules)
        .into_iter()
        .map(|f| Finding {
            rule: f.rule.id,
            at: f.at(),
            message: f.message,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::parse::parse_template;

    fn findings(resource: &str) -> Vec<Finding> {
        let text = format!("{{\"Resources\": {{\"R\": {resource}}}}}");
        audit(&parse_template(&text).expect("the test template parses"))
    }

    fn rules(resource: &str) -> Vec<&'static str> {
        findings(resource).iter().map(|f| f.rule).collect()
    }

    /// The statement the alarm topic's key policy had before the confused-deputy fix.
    const ALARMS_PUBLISH: &str = r#"{"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com"]},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": ["*"]"#;

    fn key(statement: &str) -> String {
        format!(
            r#"{{"Type": "AWS::KMS::Key", "Properties": {{"KeyPolicy": {{"Version": "2012-10-17", "Statement": [{statement}]}}}}}}"#
        )
    }

    #[test]
    fn a_service_allowed_without_a_source_condition_is_flagged() {
        let f = findings(&key(&format!("{ALARMS_PUBLISH}}}")));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].rule, "service-principal-needs-source");
        assert_eq!(
            f[0].at,
            "Resources.R.Properties.KeyPolicy.Statement[0].Condition"
        );
        assert!(
            f[0].message.contains("`cloudwatch.amazonaws.com`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_source_account_or_source_arn_condition_satisfies_the_rule() {
        for condition in [
            r#""StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}"#,
            r#""ArnLike": {"aws:sourcearn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"}"#,
            r#""StringEquals": {"aws:SourceOrgID": "o-abc123"}"#,
            r#""ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*"}"#,
        ] {
            let st = format!("{ALARMS_PUBLISH}, \"Condition\": {{{condition}}}}}");
            assert_eq!(rules(&key(&st)), Vec::<&str>::new(), "{condition}");
        }
    }

    #[test]
    fn a_wildcard_source_or_an_unrelated_condition_does_not_count() {
        for condition in [
            r#""StringEquals": {"aws:SourceAccount": "*"}"#,
            r#""Bool": {"aws:SecureTransport": true}"#,
            r#""StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}"#,
        ] {
            let st = format!("{ALARMS_PUBLISH}, \"Condition\": {{{condition}}}}}");
            assert_eq!(
                rules(&key(&st)),
                ["service-principal-needs-source"],
                "{condition}"
            );
        }
    }

    #[test]
    fn bucket_and_topic_policies_are_held_to_the_rule_too() {
        let bucket = r#"{"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "LogDelivery",
            "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}}}"#;
        assert_eq!(rules(bucket), ["service-principal-needs-source"]);
        let topic = r#"{"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": ["t"],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "Events",
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish", "Resource": "t"}]}}}"#;
        assert_eq!(rules(topic), ["service-principal-needs-source"]);
    }

    #[test]
    fn trust_policies_and_denies_are_not_held_to_the_source_rule() {
        let role = r#"{"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}}}"#;
        assert_eq!(rules(role), Vec::<&str>::new());
        let deny = r#"{"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": ["t"],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
            "Resource": "t"}]}}}"#;
        assert_eq!(rules(deny), Vec::<&str>::new());
    }

    /// Regression: a `Statement` given as one map (not a list) used to be skipped, so a
    /// wildcard action in it passed the audit.
    #[test]
    fn a_statement_given_as_a_single_map_is_audited() {
        let policy = r#"{"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument":
            {"Version": "2012-10-17", "Statement": {"Sid": "All", "Effect": "Allow",
            "Action": "s3:*", "Resource": "arn:aws:s3:::b"}}}}"#;
        let f = findings(policy);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].rule, "no-wildcard-actions");
        assert_eq!(
            f[0].at,
            "Resources.R.Properties.PolicyDocument.Statement.Action"
        );
        // The same without `Version`: still a policy, by its statements' `Effect`.
        let bare = policy.replace(r#""Version": "2012-10-17", "#, "");
        assert_eq!(rules(&bare), ["no-wildcard-actions"]);
        let single_key = key(&format!("{ALARMS_PUBLISH}}}"))
            .replace("[{", "{")
            .replace("}]", "}");
        assert_eq!(rules(&single_key), ["service-principal-needs-source"]);
    }

    #[test]
    fn both_branches_of_a_conditional_statement_are_audited() {
        let policy = r#"{"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument":
            {"Version": "2012-10-17", "Statement": [{"Fn::If": ["C",
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]}]}}}"#;
        let f = findings(policy);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            f[0].at,
            "Resources.R.Properties.PolicyDocument.Statement[0].Fn::If[2].Action"
        );
    }

    #[test]
    fn a_waf_rule_statement_is_not_a_policy() {
        let acl = r#"{"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{"Name": "r",
            "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}}]}}"#;
        assert_eq!(rules(acl), Vec::<&str>::new());
    }

    /// A private API whose methods have a Cognito authoriser admits anyone who reaches it
    /// through its VPC endpoint; anyone at all is still flagged.
    #[test]
    fn anyone_through_one_vpc_endpoint_is_the_only_accepted_wildcard_principal() {
        let api = |condition: &str| {
            format!(
                r#"{{"Type": "AWS::ApiGateway::RestApi", "Properties": {{"Policy": {{"Version": "2012-10-17", "Statement": [{{"Sid": "Invoke", "Effect": "Allow", "Principal": {{"AWS": "*"}}, "Action": ["execute-api:Invoke"], "Resource": ["execute-api:/*"]{condition}}}]}}}}}}"#
            )
        };
        assert!(rules(&api(
            r#", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}"#
        ))
        .is_empty());
        assert_eq!(rules(&api("")), ["no-wildcard-principal"]);
        assert_eq!(
            rules(&api(
                r#", "Condition": {"StringEquals": {"aws:SourceVpce": "*"}}"#
            )),
            ["no-wildcard-principal"]
        );
    }
}
