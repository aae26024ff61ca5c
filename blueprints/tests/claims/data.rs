//! RDS, DynamoDB, AWS Backup, KMS, SNS and S3 (`rds-controls.html`, `dynamodb-controls.html`,
//! `backup-controls.html`, `kms-controls.html`, `sns-controls.html`, `s3-controls.html`).

use super::*;
use harden_blueprints::controls::{
    account_settings, backup, dynamodb_table, kms_key, rds_postgres, replication, retain,
};

/// RDS.2 (`AWS::RDS::DBInstance`, no parameters): fails if `PubliclyAccessible` is true.
/// RDS.3 (no parameters): fails unless storage is encrypted. RDS.8 (parameter
/// `databaseEngines`, every engine): fails unless deletion protection is on. RDS.10 (no
/// parameters): fails unless IAM database authentication is on. RDS.11 (parameters
/// `backupRetentionMinimum` 7, `checkReadReplicas` false): fails unless automated backups are
/// kept at least 7 days. RDS.13 (no parameters): fails unless automatic minor version upgrades
/// are on. RDS.17 (no parameters): fails unless tags are copied to snapshots.
#[test]
fn db_instances_meet_the_rds_controls_they_claim() {
    let all = renders();
    for (what, db, _) in claimed_of(&all, &rds_postgres::RDS_POSTGRES, "AWS::RDS::DBInstance") {
        assert!(
            every(db, &["PubliclyAccessible"], |v| v
                == Some(&Node::Bool(false))),
            "{what}: PubliclyAccessible (RDS.2)"
        );
        for (id, prop) in [
            ("RDS.3", "StorageEncrypted"),
            ("RDS.8", "DeletionProtection"),
            ("RDS.10", "EnableIAMDatabaseAuthentication"),
            ("RDS.13", "AutoMinorVersionUpgrade"),
            ("RDS.17", "CopyTagsToSnapshot"),
        ] {
            assert!(
                rds_postgres::RDS_POSTGRES.security_hub.contains(&id),
                "{id} not claimed"
            );
            assert!(is_true(db, &[prop]), "{what}: {prop} ({id})");
        }
        assert!(
            every(db, &["BackupRetentionPeriod"], |v| int(v)
                .is_some_and(|d| d >= 7)),
            "{what}: BackupRetentionPeriod (RDS.11)"
        );
    }
}

/// RDS.5 (`AWS::RDS::DBInstance`, no parameters): fails unless the instance is Multi-AZ.
/// RDS.6 (parameter `monitoringInterval`, any of 1, 5, 10, 15, 30, 60): fails unless enhanced
/// monitoring is on at one of those intervals.
#[test]
fn db_instances_are_multi_az_with_enhanced_monitoring() {
    let all = renders();
    for (what, db, _) in claimed_of(&all, &rds_postgres::RDS_RESILIENCE, "AWS::RDS::DBInstance") {
        assert!(is_true(db, &["MultiAZ"]), "{what}: MultiAZ (RDS.5)");
        assert!(
            every(db, &["MonitoringInterval"], |v| int(v)
                .is_some_and(|s| [1, 5, 10, 15, 30, 60].contains(&s))),
            "{what}: MonitoringInterval (RDS.6)"
        );
        assert!(
            every(db, &["MonitoringRoleArn"], |v| v.is_some()),
            "{what}: no monitoring role (RDS.6)"
        );
    }
}

/// DynamoDB.2 (`AWS::DynamoDB::Table`, no parameters): fails unless point-in-time recovery is
/// on. DynamoDB.6 (no parameters): fails unless deletion protection is on.
#[test]
fn tables_have_point_in_time_recovery_and_deletion_protection() {
    let all = renders();
    for (what, t, _) in claimed_of(&all, &dynamodb_table::SECURE_TABLE, "AWS::DynamoDB::Table") {
        assert!(
            is_true(
                t,
                &[
                    "PointInTimeRecoverySpecification",
                    "PointInTimeRecoveryEnabled"
                ]
            ),
            "{what}: PITR (DynamoDB.2)"
        );
        assert!(
            is_true(t, &["DeletionProtectionEnabled"]),
            "{what}: DeletionProtectionEnabled (DynamoDB.6)"
        );
    }
}

/// DynamoDB.4 (`AWS::DynamoDB::Table`, parameter `backupVaultLockCheck`, default false): fails
/// unless the table is in a backup plan. In every render where the backup plan control is
/// recorded beside a table, a backup selection of that plan lists the table's ARN.
#[test]
fn tables_are_in_a_backup_plan() {
    let all = renders();
    let mut tables = 0;
    for (what, n) in stacks_recording(&all, &backup::BACKUP_PLAN) {
        for (id, _) in of_type(n, "AWS::DynamoDB::Table") {
            let selected = of_type(n, "AWS::Backup::BackupSelection")
                .into_iter()
                .any(|(_, s)| {
                    let plan = s
                        .get_path(&["Properties", "BackupPlanId"])
                        .and_then(target)
                        .and_then(|p| n.get_path(&["Resources", p]))
                        .map(type_of);
                    plan == Some("AWS::Backup::BackupPlan")
                        && list(s.get_path(&["Properties", "BackupSelection", "Resources"]))
                            .iter()
                            .any(|r| {
                                r.get_path(&["Fn::GetAtt"])
                                    .and_then(Node::as_seq)
                                    .is_some_and(|g| {
                                        g.first().and_then(Node::as_str) == Some(id)
                                            && g.get(1).and_then(Node::as_str) == Some("Arn")
                                    })
                            })
                });
            assert!(selected, "{what}: table {id} is in no backup plan");
            tables += 1;
        }
    }
    assert!(tables > 0, "no table beside a backup plan");
}

/// Backup.1 (`AWS::Backup::RecoveryPoint`, no parameters): fails unless a recovery point is
/// encrypted. A recovery point is not a template resource: it is made in the vault the plan's
/// rules target, and is encrypted with the vault's key (for the resources AWS Backup encrypts
/// independently; a DynamoDB table with advanced backup features, S3). Each vault the backup
/// controls record has a customer key (`EncryptionKeyArn`), and every plan rule targets such a
/// vault.
#[test]
fn backup_vaults_encrypt_their_recovery_points() {
    let all = renders();
    for c in [&backup::BACKUP_PLAN, &backup::DATA_BACKUP] {
        for (what, n) in stacks_recording(&all, c) {
            let vaults = of_type(n, "AWS::Backup::BackupVault");
            assert!(!vaults.is_empty(), "{what}: no vault");
            for (id, v) in &vaults {
                assert!(
                    every(v, &["EncryptionKeyArn"], |k| k.is_some()),
                    "{what}: vault {id} has no key (Backup.1)"
                );
            }
            for (pid, p) in of_type(n, "AWS::Backup::BackupPlan") {
                for rule in list(p.get_path(&["Properties", "BackupPlan", "BackupPlanRule"])) {
                    let vault = rule.get_path(&["TargetBackupVault"]).and_then(target);
                    assert!(
                        vault.is_some_and(|v| vaults.iter().any(|(id, _)| *id == v)),
                        "{what}: a rule of {pid} targets no vault of the stack"
                    );
                }
            }
        }
    }
}

/// KMS.4 (`AWS::KMS::Key`, no parameters): fails unless automatic rotation is on (for a
/// symmetric key, the only kind harden makes).
#[test]
fn keys_rotate() {
    let all = renders();
    for (what, k, _) in claimed_of(&all, &kms_key::KMS_KEY, "AWS::KMS::Key") {
        assert!(
            every(k, &["KeySpec"], |v| matches!(
                v.and_then(Node::as_str),
                None | Some("SYMMETRIC_DEFAULT")
            )),
            "{what}: not a symmetric key"
        );
        assert!(
            is_true(k, &["EnableKeyRotation"]),
            "{what}: EnableKeyRotation"
        );
    }
}

/// KMS.3 (`AWS::KMS::Key`, no parameters): fails if a key is scheduled for deletion. No
/// template schedules a deletion; what it can do is not delete the key with the stack: at
/// enterprise every key records the retain control and has `DeletionPolicy` and
/// `UpdateReplacePolicy` `Retain`, so deleting or replacing the stack leaves the key (and the
/// stack policy denies replacing or deleting it).
#[test]
fn keys_are_retained_at_enterprise() {
    let all = renders();
    let mut keys = 0;
    for (case, stack, n) in &all {
        if !case.contains("/enterprise") {
            continue;
        }
        for (id, k) in of_type(n, "AWS::KMS::Key") {
            let what = format!("{case} {stack} {id}");
            assert!(records(k, &retain::RETAIN_STATEFUL), "{what}: not retained");
            for p in ["DeletionPolicy", "UpdateReplacePolicy"] {
                assert_eq!(
                    k.get_path(&[p]).and_then(Node::as_str),
                    Some("Retain"),
                    "{what}: {p} (KMS.3)"
                );
            }
            keys += 1;
        }
    }
    assert!(keys > 0, "no enterprise key was checked");
}

/// SNS.1 (`AWS::SNS::Topic`, no parameters): fails unless the topic is encrypted at rest
/// with a KMS key.
#[test]
fn alert_topics_are_encrypted() {
    let all = renders();
    for (what, t, _) in claimed_of(&all, &alarms::ALERT_TOPIC, "AWS::SNS::Topic") {
        assert!(
            every(t, &["KmsMasterKeyId"], |v| v.is_some()),
            "{what}: KmsMasterKeyId (SNS.1)"
        );
    }
}

/// S3.9 (`AWS::S3::Bucket`, no parameters): fails unless server access logging is on: every
/// bucket recording the access logging control logs to a bucket (`DestinationBucketName`)
/// other than itself.
#[test]
fn buckets_log_server_access() {
    let all = renders();
    for (what, b, n) in claimed_of(&all, &s3_bucket::S3_ACCESS_LOGGING, "AWS::S3::Bucket") {
        let id = resources(n)
            .into_iter()
            .find(|(_, r)| std::ptr::eq(*r, b))
            .map(|(id, _)| id)
            .expect("the bucket's id");
        assert!(
            every(b, &["LoggingConfiguration", "DestinationBucketName"], |v| v
                .is_some_and(|d| target(d) != Some(id))),
            "{what}: no server access logging (S3.9)"
        );
    }
}

/// S3.7 (`AWS::S3::Bucket`, Config's `s3-bucket-cross-region-replication-enabled`, no
/// parameters): fails unless the bucket has an enabled cross-Region replication rule. Every
/// bucket recording the replication control has an enabled rule for all objects whose
/// destination is a bucket that the same render's replica stack (a stack of another region)
/// defines under exactly that name.
#[test]
fn buckets_replicate_to_another_region() {
    let all = renders();
    for (what, b, _) in claimed_of(
        &all,
        &replication::CROSS_REGION_REPLICATION,
        "AWS::S3::Bucket",
    ) {
        let case = what.split(' ').next().expect("the case");
        let replicas: Vec<String> = all
            .iter()
            .filter(|(c, s, _)| c == case && s.ends_with("-replica"))
            .flat_map(|(_, _, n)| of_type(n, "AWS::S3::Bucket"))
            .filter_map(|(_, r)| {
                r.get_path(&["Properties", "BucketName", "Fn::Sub"])
                    .and_then(Node::as_str)
                    .map(|n| format!("arn:${{AWS::Partition}}:s3:::{n}"))
            })
            .collect();
        let rules = list(b.get_path(&["Properties", "ReplicationConfiguration", "Rules"]));
        assert!(
            rules.iter().any(|r| {
                r.get_path(&["Status"]).and_then(Node::as_str) == Some("Enabled")
                    && r.get_path(&["Filter", "Prefix"]).and_then(Node::as_str) == Some("")
                    && r.get_path(&["Destination", "Bucket", "Fn::Sub"])
                        .and_then(Node::as_str)
                        .is_some_and(|d| replicas.iter().any(|n| n == d))
            }),
            "{what}: no enabled rule to a replica of the replica stack (S3.7)"
        );
    }
}

/// S3.15 (`AWS::S3::Bucket`, parameters `mode` and `retentionDays`, not set by default):
/// fails unless Object Lock is on.
#[test]
fn buckets_have_object_lock() {
    let all = renders();
    for (what, b, _) in claimed_of(&all, &s3_bucket::OBJECT_LOCK, "AWS::S3::Bucket") {
        assert!(
            is_true(b, &["ObjectLockEnabled"]),
            "{what}: ObjectLockEnabled (S3.15)"
        );
        assert!(
            is_str(
                b,
                &["ObjectLockConfiguration", "ObjectLockEnabled"],
                "Enabled"
            ),
            "{what}: ObjectLockConfiguration (S3.15)"
        );
    }
}

/// S3.1 (`AWS::::Account`, parameters for each of the four settings, all true by default):
/// fails unless the account's S3 Block Public Access settings are all on. An account setting:
/// the template has a custom resource whose function turns the four on for the stack's
/// account (`account_settings_handlers.rs` runs the handler); here, that the resource passes
/// the account and its function writes all four settings as true.
#[test]
fn the_account_blocks_public_access_to_s3() {
    let all = renders();
    for (what, r, n) in claimed_of(
        &all,
        &account_settings::S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
        "Custom::S3AccountPublicAccessBlock",
    ) {
        assert_eq!(
            r.get_path(&["Properties", "AccountId", "Ref"])
                .and_then(Node::as_str),
            Some("AWS::AccountId"),
            "{what}: not this account"
        );
        let code = code_behind(n, r);
        assert!(
            code.contains("put_public_access_block"),
            "{what}: the function does not set the account's Block Public Access"
        );
        for flag in [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        ] {
            assert!(code.contains(flag), "{what}: {flag} is not set");
        }
    }
}
