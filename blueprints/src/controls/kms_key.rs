//! A customer-managed KMS key with automatic rotation and a key policy that names only the
//! principals and services that use it. No `kms:*`: administration and use are listed action
//! by action, and use by people goes through IAM policies only via the services named. Every
//! service granted the key is held to this account's own resources with the condition key
//! that service sends (the confused-deputy guard the audit checks). Every statement that
//! allows `kms:CreateGrant` holds it to grants an integrated AWS service creates for a
//! resource (`kms:GrantIsForAWSResource`): no principal of harden's needs a grant of its own.

use crate::cfn::generated::kms;
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static KMS_KEY: Control = Control {
    id: "kms-key",
    title: "customer-managed KMS key, rotated yearly, key policy naming only its users",
    tier: Tier::Basic,
    cis: &["3.6"],
    security_hub: &["KMS.4"],
};

/// Who uses a key, and how.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyUser {
    /// A role used directly (`GetAtt Role.Arn`), for data it encrypts and decrypts.
    Role(Expr),
    /// IAM principals of this account, through one AWS service (`s3`, `sagemaker`, `sns`...).
    ViaService(&'static str),
    /// CloudWatch Logs encrypting this account's log groups.
    Logs,
    /// CloudTrail encrypting the logs of the trail with this ARN.
    CloudTrail(Expr),
    /// CloudWatch alarms of this account and region publishing to a topic encrypted with the
    /// key.
    CloudWatchAlarms,
    /// EventBridge rules publishing to this account's SNS topics (in this region) encrypted
    /// with the key.
    EventBridgeToTopics,
    /// An AWS service delivering to an encrypted topic or bucket on this account's behalf.
    ServiceForAccount(&'static str),
    /// The S3 replication role (its ARN, by name: it is in another stack) reading the objects
    /// of this region's buckets to replicate them: `kms:Decrypt` only, through S3 here.
    ReplicationSource(Expr),
    /// The S3 replication role writing replicas into buckets of `region` encrypted with the
    /// key: `kms:Encrypt` and `kms:GenerateDataKey` only, through S3 in that region.
    ReplicaDestination {
        /// The role's ARN.
        role: Expr,
        /// The replica region (the key's).
        region: String,
    },
}

const ADMIN_ACTIONS: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

const USE_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
];

/// The services (of those a key is used through) that create grants on it for the resources
/// they keep: DynamoDB tables, Lambda functions, OpenSearch Serverless collections, Backup
/// vaults, ECR repositories, RDS databases and SageMaker endpoints do; S3 (SSE-KMS asks for a data key per
/// request), SQS, SNS and Secrets Manager do not, and get no `kms:CreateGrant`.
const GRANTING_SERVICES: &[&str] = &[
    "aoss",
    "backup",
    "dynamodb",
    "ecr",
    "lambda",
    "rds",
    "sagemaker",
];

fn account_root() -> Expr {
    Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
}

/// Adds a key and its alias (`alias/<alias>`); returns the key.
pub fn kms_key(
    t: &mut Template,
    tier: Tier,
    id: &str,
    alias: &str,
    description: &str,
    users: &[KeyUser],
) -> Handle<kms::Key> {
    let mut statements = vec![Statement::allow("KeyAdministration")
        .aws([account_root()])
        .actions(ADMIN_ACTIONS)
        .resource(Expr::str("*"))];
    let via_service = |s: &str| Expr::sub(format!("{s}.${{AWS::Region}}.amazonaws.com"));
    let services: Vec<&str> = users
        .iter()
        .filter_map(|u| match u {
            KeyUser::ViaService(s) => Some(*s),
            _ => None,
        })
        .collect();
    let via: Vec<Expr> = services.iter().map(|s| via_service(s)).collect();
    let granting: Vec<Expr> = services
        .iter()
        .filter(|s| GRANTING_SERVICES.contains(s))
        .map(|s| via_service(s))
        .collect();
    if !via.is_empty() {
        statements.push(
            Statement::allow("KeyUseThroughServices")
                .aws([account_root()])
                .actions(USE_ACTIONS)
                .resource(Expr::str("*"))
                .condition("StringEquals", "kms:CallerAccount", Expr::account_id())
                .condition("StringEquals", "kms:ViaService", Expr::List(via)),
        );
    }
    // The services that keep a data key for a resource create a grant for it: only such
    // grants, and only through those services, never one a principal could hand to another
    // (a grant is not in the key policy a reviewer reads). The condition is on a statement
    // of its own: `kms:GrantIsForAWSResource` is absent from every other request, so beside
    // the use actions it would deny them.
    if !granting.is_empty() {
        statements.push(
            // (No `kms:CallerAccount`: the account root as principal already holds the
            // statement to this account's IAM principals.)
            Statement::allow("ServiceGrants")
                .aws([account_root()])
                .actions(["kms:CreateGrant"])
                .resource(Expr::str("*"))
                .condition("StringEquals", "kms:ViaService", Expr::List(granting))
                .condition("Bool", "kms:GrantIsForAWSResource", Expr::Bool(true)),
        );
    }
    let roles: Vec<Expr> = users
        .iter()
        .filter_map(|u| match u {
            KeyUser::Role(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    if !roles.is_empty() {
        statements.push(
            Statement::allow("KeyUseByRoles")
                .aws(roles.clone())
                .actions(USE_ACTIONS)
                .resource(Expr::str("*")),
        );
        statements.push(
            Statement::allow("GrantsForAwsResources")
                .aws(roles)
                .actions(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"])
                .resource(Expr::str("*"))
                .condition("Bool", "kms:GrantIsForAWSResource", Expr::Bool(true)),
        );
    }
    for u in users {
        statements.extend(user_statements(u));
    }
    let key = t.add(
        id,
        kms::Key {
            description: Some(description.into()),
            enable_key_rotation: Some(true.into()),
            enabled: Some(true.into()),
            key_policy: Some(PolicyDocument::new(statements).into()),
            pending_window_in_days: Some(30.into()),
            ..Default::default()
        },
    );
    t.res(&key).control(&KMS_KEY);
    super::retain::apply(t, tier, &key);
    let alias_h = t.add(
        format!("{id}Alias"),
        kms::Alias {
            alias_name: Some(Expr::str(format!("alias/{alias}"))),
            target_key_id: Some(key.r#ref()),
        },
    );
    t.res(&alias_h).control(&KMS_KEY);
    key
}

/// The statements of the key policy that one user gets beside the shared ones (roles and
/// services, which [`kms_key`] writes as one statement each).
fn user_statements(u: &KeyUser) -> Vec<Statement> {
    let mut statements = Vec::new();
    match u {
        KeyUser::Logs => statements.push(
            Statement::allow("CloudWatchLogsEncryption")
                .service_expr(Expr::sub("logs.${AWS::Region}.amazonaws.com"))
                .actions(USE_ACTIONS)
                .resource(Expr::str("*"))
                .condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    Expr::sub(
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*",
                    ),
                ),
        ),
        KeyUser::CloudTrail(trail_arn) => {
            statements.push(
                Statement::allow("CloudTrailEncryptLogs")
                    .service(["cloudtrail.amazonaws.com"])
                    .actions(["kms:GenerateDataKey"])
                    .resource(Expr::str("*"))
                    .condition("StringEquals", "aws:SourceArn", trail_arn.clone())
                    .condition(
                        "StringLike",
                        "kms:EncryptionContext:aws:cloudtrail:arn",
                        Expr::sub("arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*"),
                    ),
            );
            statements.push(
                Statement::allow("CloudTrailDescribeKey")
                    .service(["cloudtrail.amazonaws.com"])
                    .actions(["kms:DescribeKey"])
                    .resource(Expr::str("*"))
                    .condition("StringEquals", "aws:SourceArn", trail_arn.clone()),
            );
        }
        // CloudWatch sends the alarm's ARN and account (the SNS guide's confused-deputy
        // step for event sources publishing to encrypted topics).
        KeyUser::CloudWatchAlarms => statements.push(
            Statement::allow("CloudWatchAlarmsPublish")
                .service(["cloudwatch.amazonaws.com"])
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resource(Expr::str("*"))
                .condition("StringEquals", "aws:SourceAccount", Expr::account_id())
                .condition("ArnLike", "aws:SourceArn", super::alarms::alarms_arn()),
        ),
        // AWS documents that `aws:SourceAccount` / `aws:SourceArn` are not supported in a
        // key policy for EventBridge publishing to an encrypted topic: the data key SNS
        // asks for is bound to the topic's ARN instead, so the grant is held to this
        // account's topics in this region.
        KeyUser::EventBridgeToTopics => statements.push(
            Statement::allow("EventBridgePublish")
                .service(["events.amazonaws.com"])
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resource(Expr::str("*"))
                .condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:sns:topicArn",
                    Expr::sub("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*"),
                ),
        ),
        KeyUser::ServiceForAccount(service) => statements.push(
            Statement::allow(&format!("{}Delivery", pascal(service)))
                .service([format!("{service}.amazonaws.com")])
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resource(Expr::str("*"))
                .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
        ),
        // The replication role is named by ARN, not by `GetAtt`: the source stack does not
        // own it. Decrypt only, and only when S3 in this region asks for it.
        KeyUser::ReplicationSource(role) => statements.push(
            Statement::allow("ReplicationReadsObjects")
                .aws([role.clone()])
                .actions(["kms:Decrypt"])
                .resource(Expr::str("*"))
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                ),
        ),
        KeyUser::ReplicaDestination { role, region } => statements.push(
            Statement::allow("ReplicationWritesReplicas")
                .aws([role.clone()])
                .actions(["kms:Encrypt", "kms:GenerateDataKey"])
                .resource(Expr::str("*"))
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::str(format!("s3.{region}.amazonaws.com")),
                ),
        ),
        KeyUser::Role(_) | KeyUser::ViaService(_) => {}
    }
    statements
}

/// Adds the statements of `users` to the policy of a key made by [`kms_key`] (a user that
/// [`kms_key`] folds into a shared statement, a role or a service, is not added: give those
/// to [`kms_key`]).
pub fn grant(t: &mut Template, key: &Handle<kms::Key>, users: &[KeyUser]) {
    let Some(Expr::Map(doc)) = t.props(key).key_policy.as_mut() else {
        return;
    };
    let Some(Expr::List(statements)) = doc.get_mut("Statement") else {
        return;
    };
    for u in users {
        debug_assert!(!matches!(u, KeyUser::Role(_) | KeyUser::ViaService(_)));
        statements.extend(user_statements(u).iter().map(Statement::to_expr));
    }
}

/// `logs.amazonaws` or `us-west-2` in PascalCase (`LogsAmazonaws`, `UsWest2`): for `Sid`s and
/// logical ids made from names.
pub(crate) fn pascal(s: &str) -> String {
    s.split(['-', '.'])
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    /// The statements of a policy document that allow `action`.
    pub(crate) fn allowing<'a>(doc: &'a Node, action: &str) -> Vec<&'a Node> {
        doc.get_path(&["Statement"])
            .and_then(Node::as_seq)
            .expect("statements")
            .iter()
            .filter(|s| {
                s.get_path(&["Action"])
                    .and_then(Node::as_seq)
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(action)))
            })
            .collect()
    }

    /// A grant is a permission outside the key policy: every statement that allows one holds
    /// it to grants an AWS service creates for a resource, and the use actions are never
    /// under that condition (their requests lack the key, so they would be denied).
    #[test]
    fn every_create_grant_is_for_aws_resources_only() {
        let mut t = Template::new("test");
        kms_key(
            &mut t,
            Tier::Basic,
            "Key",
            "k",
            "k",
            &[
                KeyUser::Role(Expr::str("arn:aws:iam::111122223333:role/r")),
                KeyUser::ViaService("dynamodb"),
                KeyUser::ViaService("sqs"),
                KeyUser::ViaService("lambda"),
            ],
        );
        let n = to_node(&t).expect("renders");
        let doc = n
            .get_path(&["Resources", "Key", "Properties", "KeyPolicy"])
            .expect("key policy");
        let grants = allowing(doc, "kms:CreateGrant");
        assert_eq!(grants.len(), 2, "one for the roles, one through services");
        for s in grants {
            assert_eq!(
                s.get_path(&["Condition", "Bool", "kms:GrantIsForAWSResource"]),
                Some(&Node::Bool(true)),
                "{s:?}"
            );
        }
        for s in allowing(doc, "kms:Decrypt") {
            assert!(
                s.get_path(&["Condition", "Bool", "kms:GrantIsForAWSResource"])
                    .is_none(),
                "{s:?}"
            );
        }
        let via = allowing(doc, "kms:CreateGrant")
            .into_iter()
            .find(|s| s.get_path(&["Sid"]).and_then(Node::as_str) == Some("ServiceGrants"))
            .expect("grants through services");
        // Only through the services that create grants: DynamoDB and Lambda, not SQS.
        let services: Vec<&str> = via
            .get_path(&["Condition", "StringEquals", "kms:ViaService"])
            .and_then(Node::as_seq)
            .expect("services")
            .iter()
            .filter_map(|s| s.get_path(&["Fn::Sub"]).and_then(Node::as_str))
            .collect();
        assert_eq!(
            services,
            [
                "dynamodb.${AWS::Region}.amazonaws.com",
                "lambda.${AWS::Region}.amazonaws.com"
            ]
        );
    }

    /// A key used only through services that create no grants (S3, SQS) allows no grant.
    #[test]
    fn a_key_for_services_without_grants_allows_none() {
        let mut t = Template::new("test");
        kms_key(
            &mut t,
            Tier::Basic,
            "Key",
            "k",
            "k",
            &[KeyUser::ViaService("s3"), KeyUser::ViaService("sqs")],
        );
        let n = to_node(&t).expect("renders");
        let doc = n
            .get_path(&["Resources", "Key", "Properties", "KeyPolicy"])
            .expect("key policy");
        assert!(allowing(doc, "kms:CreateGrant").is_empty());
        assert_eq!(allowing(doc, "kms:Decrypt").len(), 1);
    }
}
