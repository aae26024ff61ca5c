//! An AWS Backup plan for a blueprint's stateful resources: a vault encrypted with the stack's
//! customer-managed key, whose access policy denies deleting a recovery point or shortening its
//! lifecycle to everyone (the plan's own lifecycle still expires them), a daily rule kept for
//! 35 days and a monthly one kept for a year, and a selection by ARN that the backup service
//! reaches through a least-privilege role. Point-in-time recovery covers mistakes of the last
//! 35 days; the plan adds copies that outlive a deleted table and a history beyond those days.

use crate::cfn::generated::backup::{self, backup_plan as bp, backup_selection as bs};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::{service_role, Role};
use crate::tier::Tier;

/// The control.
pub static BACKUP_PLAN: Control = Control {
    id: "backup-plan",
    title: "AWS Backup plan (daily for 35 days, monthly for a year) into a vault encrypted with the stack's key, recovery points protected from deletion",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &["Backup.1", "DynamoDB.4"],
};

/// The control for backing up a blueprint's data from the enhanced tier (a data lake whose
/// objects are its critical data): the same plan and protected vault as [`BACKUP_PLAN`],
/// which at enterprise adds the vault lock.
pub static DATA_BACKUP: Control = Control {
    id: "data-backup",
    title: "AWS Backup plan for the critical data (daily for 35 days, monthly for a year) into a vault encrypted with the stack's key, recovery points protected from deletion",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["Backup.1"],
};

/// What is backed up.
pub struct BackupSpec<'a> {
    /// Logical id prefix: `<id>Vault`, `<id>Plan`, `<id>Selection`, `<id>Role`.
    pub id: &'a str,
    /// The vault's name (a physical name: `Fn::Sub` with `${AWS::StackName}`).
    pub vault_name: Expr,
    /// The stack key's ARN.
    pub key_arn: Expr,
    /// The DynamoDB tables to back up (their ARNs).
    pub tables: Vec<Expr>,
    /// The S3 buckets to back up (their ARNs; AWS Backup for S3 needs them versioned).
    pub buckets: Vec<Expr>,
    /// The control the plan's resources record ([`BACKUP_PLAN`] or [`DATA_BACKUP`]); the vault
    /// lock, from enterprise, records [`BACKUP_PLAN`] as well.
    pub control: &'static Control,
}

/// The vault, the plan and the role the service uses.
pub struct Backup {
    /// The vault.
    pub vault: Handle<backup::BackupVault>,
    /// The plan.
    pub plan: Handle<backup::BackupPlan>,
    /// The role AWS Backup assumes.
    pub role: Role,
}

/// Adds the vault, the plan, its selection and the backup role.
pub fn backup_plan(t: &mut Template, tier: Tier, spec: BackupSpec<'_>) -> Backup {
    let vault_arn = Expr::sub_with(
        "arn:${AWS::Partition}:backup:${AWS::Region}:${AWS::AccountId}:backup-vault:${Name}",
        [("Name", spec.vault_name.clone())],
    );
    let vault = t.add(
        format!("{}Vault", spec.id),
        backup::BackupVault {
            backup_vault_name: Some(spec.vault_name.clone()),
            encryption_key_arn: Some(spec.key_arn.clone()),
            access_policy: Some(
                PolicyDocument::new([Statement::deny("DenyRecoveryPointDeletion")
                    .anyone()
                    .actions([
                        "backup:DeleteRecoveryPoint",
                        "backup:UpdateRecoveryPointLifecycle",
                    ])
                    .resource(Expr::str("*"))])
                .into(),
            ),
            ..Default::default()
        },
    );
    // Vault Lock in governance mode (no `ChangeableForDays`), at enterprise: recovery points
    // cannot be deleted before 35 days (the daily rule's retention) nor kept past 365 (the
    // monthly's), and only a principal allowed `backup:DeleteBackupVaultLockConfiguration`
    // can lift it; compliance mode could never be undone, not even to fix a wrong retention.
    t.res(&vault).control(spec.control);
    if tier >= Tier::Enterprise {
        t.props(&vault).lock_configuration = Some(backup::backup_vault::LockConfigurationType {
            min_retention_days: Some(35.into()),
            max_retention_days: Some(365.into()),
            changeable_for_days: None,
        });
        t.res(&vault).control(&BACKUP_PLAN);
    }
    super::retain::apply(t, tier, &vault);

    let rule = |name: &str, schedule: &str, days: i64| bp::BackupRuleResourceType {
        rule_name: Some(name.into()),
        target_backup_vault: Some(vault.r#ref()),
        schedule_expression: Some(schedule.into()),
        start_window_minutes: Some(60.into()),
        completion_window_minutes: Some(360.into()),
        lifecycle: Some(bp::LifecycleResourceType {
            delete_after_days: Some(days.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let plan = t.add(
        format!("{}Plan", spec.id),
        backup::BackupPlan {
            backup_plan: Some(bp::BackupPlanResourceType {
                backup_plan_name: Some(Expr::sub(format!("${{AWS::StackName}}-{}", spec.id))),
                backup_plan_rule: Some(vec![
                    rule("Daily", "cron(0 5 * * ? *)", 35),
                    rule("Monthly", "cron(0 5 1 * ? *)", 365),
                ]),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    t.res(&plan).control(spec.control);

    let backups: Vec<Expr> = spec
        .tables
        .iter()
        .map(|a| Expr::join("", [a.clone(), Expr::str("/backup/*")]))
        .collect();
    let services = backup_services(!spec.buckets.is_empty());
    let mut statements = Vec::new();
    if !spec.tables.is_empty() {
        statements.push(
            Statement::allow("BackUpTables")
                .actions([
                    "dynamodb:CreateBackup",
                    "dynamodb:DescribeTable",
                    "dynamodb:ListTagsOfResource",
                    "dynamodb:StartAwsBackupJob",
                ])
                .resources(spec.tables.clone()),
        );
        statements.push(
            Statement::allow("ManageTableBackups")
                .actions(["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"])
                .resources(backups),
        );
    }
    let mut wildcards = Vec::new();
    if !spec.buckets.is_empty() {
        statements.extend(s3_statements(&spec.buckets));
        wildcards.extend(s3_wildcards());
    }
    statements.extend([
        Statement::allow("WriteToVault")
            .actions(["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"])
            .resource(vault_arn),
        Statement::allow("UseStackKeyThroughServices")
            .actions(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"])
            .resource(spec.key_arn.clone())
            .condition("StringEquals", "kms:ViaService", services.clone()),
        // Backup and DynamoDB create grants for the backups they keep: only those
        // (a statement of its own, since other requests lack the condition key).
        Statement::allow("ServiceGrants")
            .actions(["kms:CreateGrant"])
            .resource(spec.key_arn)
            .condition("StringEquals", "kms:ViaService", services)
            .condition("Bool", "kms:GrantIsForAWSResource", Expr::Bool(true)),
    ]);
    let what = match (spec.tables.is_empty(), spec.buckets.is_empty()) {
        (false, true) => "tables",
        (true, false) => "buckets",
        _ => "tables and buckets",
    };
    let role = service_role(
        t,
        &format!("{}Role", spec.id),
        &format!("AWS Backup: backs up the selected {what} into the stack's vault"),
        "backup.amazonaws.com",
        false,
        statements,
        wildcards,
    );
    let sel = t.add(
        format!("{}Selection", spec.id),
        backup::BackupSelection {
            backup_plan_id: Some(plan.r#ref()),
            backup_selection: Some(bs::BackupSelectionResourceType {
                selection_name: Some(
                    format!(
                        "{}{}",
                        spec.id,
                        if spec.tables.is_empty() {
                            "Buckets"
                        } else {
                            "Tables"
                        }
                    )
                    .into(),
                ),
                iam_role_arn: Some(role.arn()),
                resources: Some(Expr::List(
                    spec.tables.into_iter().chain(spec.buckets).collect(),
                )),
                ..Default::default()
            }),
        },
    );
    t.res(&sel)
        .control(spec.control)
        .depends_on(role.policy.id());
    Backup { vault, plan, role }
}

/// The services the backup role uses the stack key through (S3 too when it backs up buckets).
fn backup_services(s3: bool) -> Expr {
    let mut v = vec![
        Expr::sub("backup.${AWS::Region}.amazonaws.com"),
        Expr::sub("dynamodb.${AWS::Region}.amazonaws.com"),
    ];
    if s3 {
        v.push(Expr::sub("s3.${AWS::Region}.amazonaws.com"));
    }
    Expr::list(v)
}

/// What AWS Backup for S3 does on the buckets it backs up (the actions of AWS's managed
/// policy `AWSBackupServiceRolePolicyForS3Backup`, on these buckets only): read every object
/// version with its tags and ACL, and manage the inventory and the EventBridge rules it keeps
/// for continuous backups.
fn s3_statements(buckets: &[Expr]) -> Vec<Statement> {
    let objects: Vec<Expr> = buckets
        .iter()
        .map(|b| Expr::join("", [b.clone(), Expr::str("/*")]))
        .collect();
    vec![
        Statement::allow("BackUpBuckets")
            .actions([
                "s3:GetBucketLocation",
                "s3:GetBucketNotification",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetInventoryConfiguration",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketNotification",
                "s3:PutInventoryConfiguration",
            ])
            .resources(buckets.iter().cloned()),
        Statement::allow("ReadObjectVersions")
            .actions([
                "s3:GetObject",
                "s3:GetObjectAcl",
                "s3:GetObjectTagging",
                "s3:GetObjectVersion",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ])
            .resources(objects),
        Statement::allow("ManagedBackupRules")
            .actions([
                "events:DeleteRule",
                "events:DescribeRule",
                "events:DisableRule",
                "events:EnableRule",
                "events:ListTargetsByRule",
                "events:PutRule",
                "events:PutTargets",
                "events:RemoveTargets",
            ])
            .resource(Expr::sub(
                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/AwsBackupManagedRule*",
            )),
    ]
}

/// What AWS Backup for S3 calls that supports no resource-level permissions.
fn s3_wildcards() -> Vec<crate::controls::iam_role::Wildcard> {
    vec![crate::controls::iam_role::Wildcard {
        statement: Statement::allow("BackupMetrics")
            .actions(["cloudwatch:GetMetricData", "events:ListRules"])
            .resource(Expr::str("*")),
        reason: "cloudwatch:GetMetricData and events:ListRules support no resource-level permissions (AWS Backup for S3 reads the bucket's metrics and finds its managed rules)",
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    #[test]
    fn vault_is_encrypted_with_the_stack_key_and_recovery_points_are_protected() {
        let mut t = Template::new("test");
        backup_plan(
            &mut t,
            Tier::Enterprise,
            BackupSpec {
                id: "Backup",
                vault_name: Expr::sub("${AWS::StackName}-backups"),
                key_arn: Expr::str("arn:aws:kms:eu-west-1:111122223333:key/k"),
                tables: vec![Expr::str("arn:aws:dynamodb:eu-west-1:111122223333:table/t")],
                buckets: Vec::new(),
                control: &BACKUP_PLAN,
            },
        );
        let n = to_node(&t).expect("renders");
        let v = n
            .get_path(&["Resources", "BackupVault", "Properties"])
            .expect("vault");
        assert_eq!(
            v.get_path(&["EncryptionKeyArn"]).and_then(Node::as_str),
            Some("arn:aws:kms:eu-west-1:111122223333:key/k")
        );
        let deny = v
            .get_path(&["AccessPolicy", "Statement"])
            .and_then(Node::as_seq)
            .expect("statements");
        assert_eq!(
            deny[0].get_path(&["Effect"]).and_then(Node::as_str),
            Some("Deny")
        );
        assert_eq!(
            t.resources["BackupVault"].deletion_policy,
            Some(crate::cfn::RetainPolicy::Retain)
        );
    }

    /// The backup role may create grants on the stack key only for the backups the services
    /// keep, and its use of the key is not under that condition (it would be denied).
    #[test]
    fn role_creates_only_grants_for_aws_resources() {
        let mut t = Template::new("test");
        backup_plan(
            &mut t,
            Tier::Enterprise,
            BackupSpec {
                id: "Backup",
                vault_name: Expr::sub("${AWS::StackName}-backups"),
                key_arn: Expr::str("arn:aws:kms:eu-west-1:111122223333:key/k"),
                tables: vec![Expr::str("arn:aws:dynamodb:eu-west-1:111122223333:table/t")],
                buckets: Vec::new(),
                control: &BACKUP_PLAN,
            },
        );
        let n = to_node(&t).expect("renders");
        let policy = t
            .resources
            .iter()
            .filter(|(_, r)| r.type_name() == "AWS::IAM::ManagedPolicy")
            .map(|(id, _)| id.clone())
            .next()
            .expect("the role's policy");
        let doc = n
            .get_path(&["Resources", &policy, "Properties", "PolicyDocument"])
            .expect("policy");
        let grants = crate::controls::kms_key::tests::allowing(doc, "kms:CreateGrant");
        assert_eq!(grants.len(), 1);
        assert_eq!(
            grants[0].get_path(&["Condition", "Bool", "kms:GrantIsForAWSResource"]),
            Some(&Node::Bool(true))
        );
        let uses = crate::controls::kms_key::tests::allowing(doc, "kms:Decrypt");
        assert_eq!(uses.len(), 1);
        assert!(uses[0].get_path(&["Condition", "Bool"]).is_none());
    }

    /// A bucket's plan (from enhanced, control `data-backup`): the selection names the bucket,
    /// the role reads that bucket's object versions only and uses the key through S3 too, and
    /// the vault is locked at enterprise only.
    #[test]
    fn a_bucket_plan_reads_that_bucket_and_locks_the_vault_at_enterprise_only() {
        let bucket = "arn:aws:s3:::lake";
        let render = |tier| {
            let mut t = Template::new("test");
            backup_plan(
                &mut t,
                tier,
                BackupSpec {
                    id: "Backup",
                    vault_name: Expr::sub("${AWS::StackName}-backups"),
                    key_arn: Expr::str("arn:aws:kms:eu-west-1:111122223333:key/k"),
                    tables: Vec::new(),
                    buckets: vec![Expr::str(bucket)],
                    control: &DATA_BACKUP,
                },
            );
            let controls = t.resources["BackupVault"].controls.clone();
            (to_node(&t).expect("renders"), controls)
        };
        let (n, controls) = render(Tier::Enhanced);
        assert_eq!(controls, vec![DATA_BACKUP.id]);
        assert!(n
            .get_path(&[
                "Resources",
                "BackupVault",
                "Properties",
                "LockConfiguration"
            ])
            .is_none());
        assert_eq!(
            n.get_path(&[
                "Resources",
                "BackupSelection",
                "Properties",
                "BackupSelection",
                "Resources"
            ]),
            Some(&Node::Seq(vec![Node::Str(bucket.into())]))
        );
        let doc = n
            .get_path(&[
                "Resources",
                "BackupRolePolicy",
                "Properties",
                "PolicyDocument",
            ])
            .expect("the role's policy");
        let reads = crate::controls::kms_key::tests::allowing(doc, "s3:GetObjectVersion");
        assert_eq!(reads.len(), 1);
        assert!(format!("{:?}", reads[0].get_path(&["Resource"])).contains("arn:aws:s3:::lake"));
        assert!(crate::controls::kms_key::tests::allowing(doc, "dynamodb:CreateBackup").is_empty());
        assert!(format!("{doc:?}").contains("s3.${AWS::Region}.amazonaws.com"));
        let (n, controls) = render(Tier::Enterprise);
        assert!(controls.contains(&BACKUP_PLAN.id));
        assert!(n
            .get_path(&[
                "Resources",
                "BackupVault",
                "Properties",
                "LockConfiguration",
                "MinRetentionDays"
            ])
            .is_some());
    }
}
