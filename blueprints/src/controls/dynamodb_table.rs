//! A DynamoDB table for application state: encrypted with the stack's customer-managed key,
//! point-in-time recovery for the full 35 days the service keeps, deletion protection, and
//! on-demand capacity (no throughput to size, nothing to throttle a burst). From enterprise
//! the blueprint also puts it in an AWS Backup plan (`controls::backup`).

use crate::cfn::generated::dynamodb::{self, table as tb};
use crate::cfn::{Expr, Handle, RetainPolicy, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static SECURE_TABLE: Control = Control {
    id: "secure-table",
    title: "DynamoDB table with a customer-managed key, 35-day point-in-time recovery and deletion protection",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["DynamoDB.2", "DynamoDB.6"],
};

/// Adds a table keyed by one string attribute, encrypted with the key ARN.
pub fn table(
    t: &mut Template,
    tier: Tier,
    id: &str,
    partition_key: &str,
    key_arn: Expr,
) -> Handle<dynamodb::Table> {
    let h = t.add(
        id,
        dynamodb::Table {
            billing_mode: Some("PAY_PER_REQUEST".into()),
            attribute_definitions: Some(vec![tb::AttributeDefinition {
                attribute_name: Some(partition_key.into()),
                attribute_type: Some("S".into()),
            }]),
            key_schema: Some(Expr::list([Expr::map([
                ("AttributeName", Expr::str(partition_key)),
                ("KeyType", Expr::str("HASH")),
            ])])),
            sse_specification: Some(tb::SSESpecification {
                sse_enabled: Some(true.into()),
                sse_type: Some("KMS".into()),
                kms_master_key_id: Some(key_arn),
            }),
            point_in_time_recovery_specification: Some(tb::PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: Some(true.into()),
                recovery_period_in_days: Some(35.into()),
            }),
            deletion_protection_enabled: Some(true.into()),
            ..Default::default()
        },
    );
    // Deletion protection makes a stack deletion fail on the table, so the stack lets go of it
    // at every tier instead (a redeploy imports it back); enterprise adds the control.
    t.res(&h)
        .control(&SECURE_TABLE)
        .retain(RetainPolicy::Retain)
        .note(
            "deletion protection is on: a stack deletion keeps the table rather than failing on it",
        );
    super::retain::apply(t, tier, &h);
    h
}

/// The ARN of a table.
pub fn arn(h: &Handle<dynamodb::Table>) -> Expr {
    h.get_att(dynamodb::TableAttr::Arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    #[test]
    fn table_is_encrypted_recoverable_and_protected() {
        for tier in Tier::ALL {
            let mut t = Template::new("test");
            table(
                &mut t,
                tier,
                "Table",
                "id",
                Expr::str("arn:aws:kms:::key/k"),
            );
            let n = to_node(&t).expect("renders");
            let p = n
                .get_path(&["Resources", "Table", "Properties"])
                .expect("table");
            assert_eq!(
                p.get_path(&["SSESpecification", "SSEType"])
                    .and_then(Node::as_str),
                Some("KMS")
            );
            assert!(p
                .get_path(&["SSESpecification", "KMSMasterKeyId"])
                .is_some());
            assert_eq!(
                p.get_path(&[
                    "PointInTimeRecoverySpecification",
                    "PointInTimeRecoveryEnabled"
                ]),
                Some(&Node::Bool(true))
            );
            assert_eq!(
                p.get_path(&["DeletionProtectionEnabled"]),
                Some(&Node::Bool(true))
            );
        }
    }
}
