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
    // Vault Lock in governance mode (no `ChangeableForDays`): recovery points cannot be
    // deleted before 35 days (the daily rule's retention) nor kept past 365 (the monthly's),
    // and only a principal allowed `backup:DeleteBackupVaultLockConfiguration` can lift it;
    // compliance mode could never be undone, not even to fix a wrong retention.
    t.props(&vault).lock_configuration = Some(backup::backup_vault::LockConfigurationType {
        min_retention_days: Some(35.into()),
        max_retention_days: Some(365.into()),
        changeable_for_days: None,
    });
    t.res(&vault).control(&BACKUP_PLAN);
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
    t.res(&plan).control(&BACKUP_PLAN);

    let backups: Vec<Expr> = spec
        .tables
        .iter()
        .map(|a| Expr::join("", [a.clone(), Expr::str("/backup/*")]))
        .collect();
    let role = service_role(
        t,
        &format!("{}Role", spec.id),
        "AWS Backup: backs up the selected tables into the stack's vault",
        "backup.amazonaws.com",
        false,
        vec![
            Statement::allow("BackUpTables")
                .actions([
                    "dynamodb:CreateBackup",
                    "dynamodb:DescribeTable",
                    "dynamodb:ListTagsOfResource",
                    "dynamodb:StartAwsBackupJob",
                ])
                .resources(spec.tables.clone()),
            Statement::allow("ManageTableBackups")
                .actions(["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"])
                .resources(backups),
            Statement::allow("WriteToVault")
                .actions(["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"])
                .resource(vault_arn),
            Statement::allow("UseStackKeyThroughServices")
                .actions(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"])
                .resource(spec.key_arn.clone())
                .condition("StringEquals", "kms:ViaService", backup_services()),
            // Backup and DynamoDB create grants for the backups they keep: only those
            // (a statement of its own, since other requests lack the condition key).
            Statement::allow("ServiceGrants")
                .actions(["kms:CreateGrant"])
                .resource(spec.key_arn)
                .condition("StringEquals", "kms:ViaService", backup_services())
                .condition("Bool", "kms:GrantIsForAWSResource", Expr::Bool(true)),
        ],
        Vec::new(),
    );
    let sel = t.add(
        format!("{}Selection", spec.id),
        backup::BackupSelection {
            backup_plan_id: Some(plan.r#ref()),
            backup_selection: Some(bs::BackupSelectionResourceType {
                selection_name: Some(format!("{}Tables", spec.id).into()),
                iam_role_arn: Some(role.arn()),
                resources: Some(Expr::List(spec.tables)),
                ..Default::default()
            }),
        },
    );
    t.res(&sel)
        .control(&BACKUP_PLAN)
        .depends_on(role.policy.id());
    Backup { vault, plan, role }
}

/// The services the backup role uses the stack key through.
fn backup_services() -> Expr {
    Expr::list([
        Expr::sub("backup.${AWS::Region}.amazonaws.com"),
        Expr::sub("dynamodb.${AWS::Region}.amazonaws.com"),
    ])
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
}
