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

/// Checks a template tree against harden's least-privilege and exposure rules.
pub fn audit(root: &Node) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(resources) = root.get_path(&["Resources"]).and_then(Node::as_map) else {
        return out;
    };
    for (id, r) in resources {
        let ty = r.get_path(&["Type"]).and_then(Node::as_str).unwrap_or("");
        let at = format!("Resources.{id}");
        let reasons = r
            .get_path(&["Metadata", "harden", "WildcardResources"])
            .and_then(Node::as_map);
        let props = r.get_path(&["Properties"]);
        if ty == "AWS::IAM::Role" && props.and_then(|p| p.get_path(&["Policies"])).is_some() {
            out.push(Finding {
                rule: "no-inline-policies",
                at: format!("{at}.Properties.Policies"),
                message:
                    "roles get customer-managed policies (AWS::IAM::ManagedPolicy), not inline ones"
                        .into(),
            });
        }
        if let Some(p) = props {
            let key_policy = ty == "AWS::KMS::Key";
            find_statements(p, &format!("{at}.Properties"), &mut |st, st_at| {
                check_statement(st, st_at, key_policy, reasons, &mut out)
            });
        }
        if ty == "AWS::EC2::SecurityGroup" || ty == "AWS::EC2::SecurityGroupIngress" {
            let open_reason = r.get_path(&["Metadata", "harden", "OpenIngress"]).is_some();
            let mut rules: Vec<(String, &Node)> = Vec::new();
            if ty == "AWS::EC2::SecurityGroupIngress" {
                if let Some(p) = props {
                    rules.push((format!("{at}.Properties"), p));
                }
            } else if let Some(Node::Seq(items)) =
                props.and_then(|p| p.get_path(&["SecurityGroupIngress"]))
            {
                for (i, item) in items.iter().enumerate() {
                    rules.push((format!("{at}.Properties.SecurityGroupIngress[{i}]"), item));
                }
            }
            for (rat, rule) in rules {
                let open = ["CidrIp", "CidrIpv6"].iter().any(|k| {
                    matches!(
                        rule.get_path(&[k]).and_then(Node::as_str),
                        Some("0.0.0.0/0" | "::/0")
                    )
                });
                if open && !open_reason {
                    out.push(Finding {
                        rule: "no-open-ingress",
                        at: rat,
                        message:
                            "ingress from anywhere needs a reason in `Metadata.harden.OpenIngress`"
                                .into(),
                    });
                }
            }
        }
    }
    out
}

/// Calls `f` on every statement of every policy document under `n`, with its path.
fn find_statements(n: &Node, at: &str, f: &mut dyn FnMut(&Node, String)) {
    match n {
        Node::Map(m) => {
            if let Some(sts) = m.get("Statement").filter(|sts| is_policy(m, sts)) {
                each_statement(sts, &format!("{at}.Statement"), f);
                return;
            }
            for (k, v) in m {
                find_statements(v, &format!("{at}.{k}"), f);
            }
        }
        Node::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                find_statements(v, &format!("{at}[{i}]"), f);
            }
        }
        _ => {}
    }
}

/// Whether a map holding `Statement` is an IAM policy document: it has a `Version`, or its
/// statements have an `Effect` (a WAF rule's `Statement` has neither).
fn is_policy(doc: &crate::cfn::NodeMap, statements: &Node) -> bool {
    let has_effect = |n: &Node| n.get_path(&["Effect"]).is_some();
    doc.contains_key("Version")
        || match statements {
            Node::Seq(items) => items.iter().any(has_effect),
            other => has_effect(other),
        }
}

/// The statements of a `Statement` value: a list, one statement, or `Fn::If` between two.
fn each_statement(n: &Node, at: &str, f: &mut dyn FnMut(&Node, String)) {
    match n {
        Node::Seq(items) => {
            for (i, st) in items.iter().enumerate() {
                each_statement(st, &format!("{at}[{i}]"), f);
            }
        }
        Node::Map(m) if m.len() == 1 && m.contains_key("Fn::If") => {
            if let Some(Node::Seq(parts)) = m.get("Fn::If") {
                for (i, branch) in parts.iter().enumerate().skip(1) {
                    each_statement(branch, &format!("{at}.Fn::If[{i}]"), f);
                }
            }
        }
        Node::Map(_) => f(n, at.to_string()),
        _ => {}
    }
}

fn strings(n: Option<&Node>) -> Vec<&str> {
    match n {
        Some(Node::Str(s)) => vec![s.as_str()],
        Some(Node::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    }
}

fn check_statement(
    st: &Node,
    at: String,
    key_policy: bool,
    reasons: Option<&crate::cfn::NodeMap>,
    out: &mut Vec<Finding>,
) {
    if st.get_path(&["Effect"]).and_then(Node::as_str) != Some("Allow") {
        return;
    }
    for a in strings(st.get_path(&["Action"])) {
        if a.contains('*') {
            out.push(Finding {
                rule: "no-wildcard-actions",
                at: format!("{at}.Action"),
                message: format!("action `{a}` has a wildcard: name each action"),
            });
        }
    }
    if st.get_path(&["NotAction"]).is_some() || st.get_path(&["NotResource"]).is_some() {
        out.push(Finding {
            rule: "no-not-action",
            at: at.clone(),
            message: "`NotAction` / `NotResource` in an Allow grants everything else".into(),
        });
    }
    let principal = st.get_path(&["Principal"]);
    let anyone = matches!(principal, Some(Node::Str(s)) if s == "*")
        || principal
            .and_then(|p| p.get_path(&["AWS"]))
            .is_some_and(|p| strings(Some(p)).contains(&"*"));
    // One exception: an API's resource policy that admits anyone reaching it through named VPC
    // endpoints (`aws:SourceVpce`, never `*`), for a private API whose callers have no IAM identity (a
    // Cognito authoriser decides): the endpoint bounds who can send, the authoriser who passes.
    let through_one_endpoint = st
        .get_path(&["Condition", "StringEquals", "aws:SourceVpce"])
        .is_some_and(|v| !strings(Some(v)).contains(&"*"));
    if anyone && !through_one_endpoint {
        out.push(Finding {
            rule: "no-wildcard-principal",
            at: format!("{at}.Principal"),
            message: "an Allow to any principal".into(),
        });
    }
    if !at.contains(".AssumeRolePolicyDocument.") {
        check_source_condition(st, &at, out);
    }
    if !key_policy && strings(st.get_path(&["Resource"])).contains(&"*") {
        let sid = st.get_path(&["Sid"]).and_then(Node::as_str).unwrap_or("");
        if !reasons.is_some_and(|r| r.contains_key(sid)) {
            out.push(Finding {
                rule: "wildcard-resource-needs-reason",
                at: format!("{at}.Resource"),
                message: format!(
                    "statement `{sid}` allows `*` resources without a reason in `Metadata.harden.WildcardResources`"
                ),
            });
        }
    }
}

/// Condition keys that tie a service principal's request to this account's own resources:
/// the global `aws:Source*` keys, and the encryption-context keys a service sets to the ARN
/// of the resource it acts for, where AWS documents them as the condition to use (CloudWatch
/// Logs) or where the `aws:Source*` keys are not sent (EventBridge publishing to an encrypted
/// SNS topic: SNS binds the data key to the topic's ARN). Matched case-insensitively, as IAM
/// matches condition keys.
pub const SOURCE_KEYS: &[&str] = &[
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "kms:EncryptionContext:aws:logs:arn",
    "kms:EncryptionContext:aws:sns:topicArn",
];

/// The confused-deputy rule, for resource policies (trust policies are left to the role that
/// names its service: not every service sends these keys when it assumes a role). An `Allow`
/// to a service principal must carry one of [`SOURCE_KEYS`] with a value other than `*`;
/// otherwise the service acting for any account's resource is let in.
fn check_source_condition(st: &Node, at: &str, out: &mut Vec<Finding>) {
    let Some(services) = st.get_path(&["Principal", "Service"]) else {
        return;
    };
    let bound = st
        .get_path(&["Condition"])
        .and_then(Node::as_map)
        .is_some_and(|ops| {
            ops.values().filter_map(Node::as_map).any(|keys| {
                keys.iter().any(|(k, v)| {
                    SOURCE_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k))
                        && !matches!(v, Node::Str(s) if s == "*")
                        && !matches!(v, Node::Seq(items) if items.is_empty())
                })
            })
        });
    if !bound {
        let sid = st.get_path(&["Sid"]).and_then(Node::as_str).unwrap_or("");
        let names = match strings(Some(services)).as_slice() {
            [] => "an AWS service".to_string(),
            names => names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.push(Finding {
            rule: "service-principal-needs-source",
            at: format!("{at}.Condition"),
            message: format!(
                "statement `{sid}` allows {names} without an `aws:SourceAccount` or `aws:SourceArn` condition (or an equivalent key): the service acting for another account's resource would be let in"
            ),
        });
    }
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
