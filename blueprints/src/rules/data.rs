//! Rules for data services: KMS keys, SNS topics, SQS queues, DynamoDB tables, Secrets Manager
//! secrets, ECR repositories, RDS databases and OpenSearch Serverless security policies.
//!
//! Each rule matches the checkov check it names in `equivalents.checkov` or is stricter: it
//! fires on every resource that check fails.

use super::iam::statements;
use super::storage::{absent, not_customer_key, not_one_of, not_true};
use super::{Ctx, Equivalents, Frameworks, Hit, KeyKind, Res, Rule, Severity, Val};
use crate::cfn::Node;
use crate::controls;
use crate::tier::Tier;

const AT_REST: Frameworks = Frameworks {
    nist: &["SC-28", "SC-12"],
    pci: &["3.5.1"],
    hipaa: &["164.312(a)(2)(iv)"],
};

const BACKUP: Frameworks = Frameworks {
    nist: &["CP-9", "CP-10"],
    pci: &[],
    hipaa: &["164.308(a)(7)(ii)(A)"],
};

// --- KMS -------------------------------------------------------------------------------

fn kms_rotation(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    // Only symmetric encryption keys rotate automatically. checkov also checks HMAC keys,
    // which CloudFormation refuses to rotate: a finding nobody could fix, so they are skipped.
    for a in res.prop(&["KeySpec"]) {
        match ctx.val(a.node) {
            Val::Absent => {}
            Val::Unknown => return Vec::new(),
            Val::Known(_) => {
                if ctx.text(a.node).as_deref() != Some("SYMMETRIC_DEFAULT") {
                    return Vec::new();
                }
            }
        }
    }
    not_true(
        ctx,
        res,
        &["EnableKeyRotation"],
        "the key does not rotate (`EnableKeyRotation`)",
    )
}

/// Yearly rotation of symmetric customer keys.
pub static KMS_KEY_ROTATION: Rule = Rule {
    id: "kms-key-rotation",
    title: "Symmetric KMS keys rotate their key material",
    severity: Severity::Medium,
    rationale: "Rotation bounds how much data one key version protects and how long a leaked version stays useful; KMS keeps old versions to decrypt old data.",
    remediation: "Set `EnableKeyRotation: true` (and `RotationPeriodInDays` below 365 if policy asks).",
    resource_types: &["AWS::KMS::Key"],
    tier: Tier::Basic,
    control: Some(&controls::kms_key::KMS_KEY),
    cis: &["3.6"],
    security_hub: &["KMS.4"],
    frameworks: Frameworks {
        nist: &["SC-12", "SC-12(1)"],
        pci: &["3.7.4"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_7"],
        cfn_lint: &[],
        cfn_nag: &["F19"],
        cdk_nag: &["AwsSolutions-KMS5"],
        guard: &["CMK_BACKING_KEY_ROTATION_ENABLED"],
    },
    check: kms_rotation,
};

fn kms_grants_for_aws_resources(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for st in statements(res).iter().filter(|s| s.allows()) {
        let grants = super::ctx::strings(st.node.get_path(&["Action"]))
            .iter()
            .any(|a| super::iam::action_matches(a, "kms:CreateGrant"));
        if !grants {
            continue;
        }
        let limited = st
            .node
            .get_path(&["Condition", "Bool", "kms:GrantIsForAWSResource"])
            .is_some_and(|v| ctx.bool(Some(v)) != Some(false));
        if !limited {
            let mut path = st.path.clone();
            path.push("Action".into());
            out.push(Hit {
                path,
                message: format!(
                    "statement `{}` allows `kms:CreateGrant` without `kms:GrantIsForAWSResource: true`",
                    st.sid()
                ),
            });
        }
    }
    out
}

/// Grants on a key only for AWS services acting for the caller.
pub static KMS_KEY_GRANTS_FOR_AWS_RESOURCES: Rule = Rule {
    id: "kms-key-grants-for-aws-resources",
    title: "A key policy allows creating grants only for AWS services",
    severity: Severity::Medium,
    rationale: "A grant hands the key's use to another principal without a policy change; limited by `kms:GrantIsForAWSResource`, only an AWS service acting for the caller (EBS, RDS) can receive one.",
    remediation: "Add `Condition: {Bool: {kms:GrantIsForAWSResource: true}}` to each statement that allows `kms:CreateGrant` (also through `kms:Create*` or `kms:*`), or split grants into their own statement with that condition.",
    resource_types: &["AWS::KMS::Key"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AC-6", "SC-12"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents::NONE,
    check: kms_grants_for_aws_resources,
};

// --- SNS, SQS --------------------------------------------------------------------------

fn sns_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    absent(
        ctx,
        res,
        &["KmsMasterKeyId"],
        "the topic is not encrypted with KMS (`KmsMasterKeyId`)",
    )
}

/// SNS topics encrypted with KMS.
pub static SNS_TOPIC_KMS: Rule = Rule {
    id: "sns-topic-kms",
    title: "SNS topics are encrypted with KMS",
    severity: Severity::Medium,
    rationale: "Messages wait in SNS until delivered; without server-side encryption they are stored under no key you control or audit.",
    remediation: "Set `KmsMasterKeyId` to a customer key (`!Ref TopicKey`) whose policy lets the publishing services use it, conditioned on the topic's ARN.",
    resource_types: &["AWS::SNS::Topic"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["SNS.1"],
    frameworks: AT_REST,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_26"],
        cfn_lint: &[],
        cfn_nag: &["W47"],
        cdk_nag: &[],
        guard: &["SNS_ENCRYPTED_KMS"],
    },
    check: sns_kms,
};

fn sqs_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    absent(
        ctx,
        res,
        &["KmsMasterKeyId"],
        "the queue is not encrypted with KMS (`KmsMasterKeyId`): SQS-owned keys (`SqsManagedSseEnabled`) cannot be audited or restricted",
    )
}

/// SQS queues encrypted with KMS. checkov's CKV_AWS_27 fails a queue with SQS-owned keys
/// (`SqsManagedSseEnabled`) too, and so does this rule.
pub static SQS_QUEUE_KMS: Rule = Rule {
    id: "sqs-queue-kms",
    title: "SQS queues are encrypted with KMS",
    severity: Severity::Medium,
    rationale: "SQS-owned keys encrypt, but no key policy limits who may read the messages and CloudTrail records no use of the key.",
    remediation: "Set `KmsMasterKeyId` to a customer key (`!Ref QueueKey`) instead of `SqsManagedSseEnabled`.",
    resource_types: &["AWS::SQS::Queue"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    // Security Hub's SQS.1 accepts SQS-owned keys, which this rule refuses: not claimed.
    security_hub: &[],
    frameworks: AT_REST,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_27"],
        cfn_lint: &[],
        cfn_nag: &["W48"],
        cdk_nag: &["AwsSolutions-SQS2"],
        guard: &["SQS_QUEUE_KMS_MASTER_KEY_ID_RULE"],
    },
    check: sqs_kms,
};

// --- DynamoDB --------------------------------------------------------------------------

const TABLE: &[&str] = &["AWS::DynamoDB::Table"];

fn dynamodb_pitr(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    not_true(
        ctx,
        res,
        &[
            "PointInTimeRecoverySpecification",
            "PointInTimeRecoveryEnabled",
        ],
        "point-in-time recovery is off",
    )
}

/// Point-in-time recovery.
pub static DYNAMODB_TABLE_PITR: Rule = Rule {
    id: "dynamodb-table-pitr",
    title: "DynamoDB tables have point-in-time recovery",
    severity: Severity::Medium,
    rationale: "Point-in-time recovery restores a table to any second of the last 35 days after a bad write or a deletion of items; without it only on-demand backups remain.",
    remediation: "Set `PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}`.",
    resource_types: TABLE,
    tier: Tier::Basic,
    control: Some(&controls::dynamodb_table::SECURE_TABLE),
    cis: &[],
    security_hub: &["DynamoDB.2"],
    frameworks: BACKUP,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_28"],
        cfn_lint: &[],
        cfn_nag: &["W78"],
        cdk_nag: &["AwsSolutions-DDB3"],
        guard: &["DYNAMODB_PITR_ENABLED"],
    },
    check: dynamodb_pitr,
};

fn dynamodb_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = not_true(
        ctx,
        res,
        &["SSESpecification", "SSEEnabled"],
        "the table is encrypted with an AWS owned key (`SSESpecification.SSEEnabled` is not `true`)",
    );
    out.extend(not_customer_key(
        ctx,
        res,
        &["SSESpecification", "KMSMasterKeyId"],
        "the table is not encrypted with a customer-managed key (`SSESpecification.KMSMasterKeyId`)",
    ));
    out
}

/// A customer key for tables.
pub static DYNAMODB_TABLE_KMS: Rule = Rule {
    id: "dynamodb-table-kms",
    title: "DynamoDB tables are encrypted with a customer-managed KMS key",
    severity: Severity::Medium,
    rationale: "With the default AWS owned key anyone allowed to read the table reads the data; a customer key adds a key policy and a CloudTrail record of every use.",
    remediation: "Set `SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !GetAtt TableKey.Arn}`.",
    resource_types: TABLE,
    tier: Tier::Basic,
    control: Some(&controls::dynamodb_table::SECURE_TABLE),
    cis: &[],
    security_hub: &[],
    frameworks: AT_REST,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_119"],
        cfn_lint: &[],
        cfn_nag: &["W74"],
        cdk_nag: &[],
        guard: &["DYNAMODB_TABLE_ENCRYPTED_KMS"],
    },
    check: dynamodb_kms,
};

fn dynamodb_deletion_protection(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    not_true(
        ctx,
        res,
        &["DeletionProtectionEnabled"],
        "the table has no deletion protection (`DeletionProtectionEnabled`)",
    )
}

/// Deletion protection on tables.
pub static DYNAMODB_TABLE_DELETION_PROTECTION: Rule = Rule {
    id: "dynamodb-table-deletion-protection",
    title: "DynamoDB tables have deletion protection",
    severity: Severity::Low,
    rationale: "A `DeleteTable` call, or a stack update that replaces the table, destroys its data; deletion protection makes that a deliberate two-step change.",
    remediation: "Set `DeletionProtectionEnabled: true`.",
    resource_types: TABLE,
    tier: Tier::Basic,
    control: Some(&controls::dynamodb_table::SECURE_TABLE),
    cis: &[],
    security_hub: &["DynamoDB.6"],
    frameworks: BACKUP,
    equivalents: Equivalents::NONE,
    check: dynamodb_deletion_protection,
};

// --- Secrets Manager -------------------------------------------------------------------

fn secret_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let message = "the secret is not encrypted with a customer-managed key (`KmsKeyId`)";
    let mut out = not_customer_key(ctx, res, &["KmsKeyId"], message);
    // checkov fails any key naming `aws/` (an alias name without `alias/`, too).
    for a in res.prop(&["KmsKeyId"]) {
        let named_aws = matches!(ctx.val(a.node), Val::Known(Node::Str(s)) if s.contains("aws/"));
        let counted = a.node.is_none()
            || a.node
                .is_some_and(|n| ctx.key_kind(n) == KeyKind::AwsManaged);
        if named_aws && !counted {
            out.push(Hit {
                path: a.path.clone(),
                message: message.into(),
            });
        }
    }
    out
}

/// Secrets under a customer key.
pub static SECRETSMANAGER_SECRET_KMS: Rule = Rule {
    id: "secretsmanager-secret-kms",
    title: "Secrets Manager secrets are encrypted with a customer-managed KMS key",
    severity: Severity::Medium,
    rationale: "With the AWS managed key `aws/secretsmanager`, any principal allowed `secretsmanager:GetSecretValue` reads the secret; a customer key's policy is a second gate, and the key can be shared across accounts where the managed one cannot.",
    remediation: "Set `KmsKeyId` to a customer key (`!Ref SecretKey`).",
    resource_types: &["AWS::SecretsManager::Secret"],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: AT_REST,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_149"],
        cfn_lint: &[],
        cfn_nag: &["W77"],
        cdk_nag: &[],
        guard: &["SECRETSMANAGER_USING_CMK"],
    },
    check: secret_kms,
};

fn secret_rotation(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let rotated = ctx
        .referrers(
            "AWS::SecretsManager::RotationSchedule",
            &["SecretId"],
            res.id,
        )
        .next()
        .is_some();
    if rotated {
        return Vec::new();
    }
    vec![Hit::at(
        &["Properties"],
        "no `AWS::SecretsManager::RotationSchedule` rotates this secret",
    )]
}

/// Secrets rotate.
pub static SECRETSMANAGER_SECRET_ROTATION: Rule = Rule {
    id: "secretsmanager-secret-rotation",
    title: "Secrets Manager secrets rotate",
    severity: Severity::Medium,
    rationale: "A secret that never changes stays valid for as long as any copy of it leaked: in a log, a laptop, a former colleague's notes.",
    remediation: "Add an `AWS::SecretsManager::RotationSchedule` with `SecretId: !Ref <secret>`, a rotation Lambda (or `HostedRotationLambda`) and `RotationRules: {ScheduleExpression: rate(30 days)}`.",
    resource_types: &["AWS::SecretsManager::Secret"],
    tier: Tier::Enhanced,
    control: None,
    cis: &[],
    security_hub: &["SecretsManager.1"],
    frameworks: Frameworks {
        nist: &["IA-5(1)", "SC-12"],
        pci: &["8.3.9"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-SMG4"],
        guard: &["SECRETSMANAGER_ROTATION_ENABLED_CHECK"],
    },
    check: secret_rotation,
};

// --- ECR -------------------------------------------------------------------------------

const REPOSITORY: &[&str] = &["AWS::ECR::Repository"];

fn ecr_immutable_tags(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    not_one_of(
        ctx,
        res,
        &["ImageTagMutability"],
        &["IMMUTABLE"],
        "image tags can be overwritten (`ImageTagMutability` is not `IMMUTABLE`)",
    )
}

/// Immutable image tags.
pub static ECR_REPOSITORY_IMMUTABLE_TAGS: Rule = Rule {
    id: "ecr-repository-immutable-tags",
    title: "ECR repositories keep image tags immutable",
    severity: Severity::Medium,
    rationale: "A mutable tag lets anyone with push rights replace what `:v1.2` runs, after it was reviewed and scanned.",
    remediation: "Set `ImageTagMutability: IMMUTABLE` and deploy by tag or digest.",
    resource_types: REPOSITORY,
    tier: Tier::Basic,
    control: Some(&controls::ecr::ECR_REPOSITORY),
    cis: &[],
    security_hub: &["ECR.2"],
    frameworks: Frameworks {
        nist: &["CM-2", "SI-7"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_51"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: ecr_immutable_tags,
};

fn ecr_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = not_one_of(
        ctx,
        res,
        &["EncryptionConfiguration", "EncryptionType"],
        &["KMS"],
        "the repository is not encrypted with KMS (`EncryptionConfiguration.EncryptionType` is not `KMS`)",
    );
    // With `KMS` and no `KmsKey`, ECR uses the AWS managed key: stricter than checkov.
    let kms = res
        .prop(&["EncryptionConfiguration", "EncryptionType"])
        .iter()
        .any(|a| ctx.text(a.node).as_deref() == Some("KMS"));
    if kms {
        out.extend(not_customer_key(
            ctx,
            res,
            &["EncryptionConfiguration", "KmsKey"],
            "the repository uses the AWS managed key: name a customer key in `EncryptionConfiguration.KmsKey`",
        ));
    }
    out
}

/// Images under a customer key.
pub static ECR_REPOSITORY_KMS: Rule = Rule {
    id: "ecr-repository-kms",
    title: "ECR repositories are encrypted with a customer-managed KMS key",
    severity: Severity::Medium,
    rationale: "Images carry code and often configuration; with a customer key, pulling a layer also needs `kms:Decrypt` under a policy you write, and each use is recorded.",
    remediation: "Set `EncryptionConfiguration: {EncryptionType: KMS, KmsKey: !GetAtt RepositoryKey.Arn}` (it can only be set when the repository is created).",
    resource_types: REPOSITORY,
    tier: Tier::Basic,
    control: Some(&controls::ecr::ECR_REPOSITORY),
    cis: &[],
    security_hub: &[],
    frameworks: AT_REST,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_136"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: ecr_kms,
};

fn ecr_scan_on_push(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    not_true(
        ctx,
        res,
        &["ImageScanningConfiguration", "ScanOnPush"],
        "images are not scanned on push (`ImageScanningConfiguration.ScanOnPush`)",
    )
}

/// Scan on push. checkov's CKV_AWS_163 reads only the repository's own setting, and fails it
/// even where an `AWS::ECR::RegistryScanningConfiguration` of the template scans every
/// repository; this rule does the same (harden's repositories set both), so it is never
/// laxer than checkov.
pub static ECR_REPOSITORY_SCAN_ON_PUSH: Rule = Rule {
    id: "ecr-repository-scan-on-push",
    title: "ECR repositories scan images on push",
    severity: Severity::Medium,
    rationale: "A scan on push reports known vulnerabilities of an image before it runs anywhere.",
    remediation: "Set `ImageScanningConfiguration: {ScanOnPush: true}` on the repository, also where an `AWS::ECR::RegistryScanningConfiguration` turns on enhanced scanning for the registry.",
    resource_types: REPOSITORY,
    tier: Tier::Basic,
    control: Some(&controls::ecr::ECR_REPOSITORY),
    cis: &[],
    security_hub: &["ECR.1"],
    frameworks: Frameworks {
        nist: &["RA-5", "SI-2"],
        pci: &["6.3.3"],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_163"],
        cfn_lint: &[],
        cfn_nag: &["W79"],
        cdk_nag: &[],
        guard: &["ECR_REPO_SCAN_ON_PUSH"],
    },
    check: ecr_scan_on_push,
};

// --- RDS -------------------------------------------------------------------------------

const INSTANCE: &str = "AWS::RDS::DBInstance";
const CLUSTER: &str = "AWS::RDS::DBCluster";

/// The engine of a DB instance or cluster, lower case, when known.
fn engine(ctx: &Ctx, res: &Res) -> Option<String> {
    res.prop(&["Engine"])
        .first()
        .and_then(|a| ctx.text(a.node))
        .map(|e| e.to_ascii_lowercase())
}

/// Whether the instance is a member of a cluster, whose settings then decide (Aurora).
fn in_cluster(ctx: &Ctx, res: &Res) -> bool {
    res.ty == INSTANCE
        && (res
            .prop(&["DBClusterIdentifier"])
            .iter()
            .any(|a| a.node.is_some())
            || engine(ctx, res).is_some_and(|e| e.contains("aurora")))
}

fn rds_encrypted(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    // A restored cluster or replica inherits its source's encryption.
    let restored = ["SnapshotIdentifier", "SourceDBClusterIdentifier"]
        .iter()
        .any(|k| res.prop(&[k]).iter().any(|a| a.node.is_some()));
    if res.ty == CLUSTER && restored {
        return Vec::new();
    }
    not_true(
        ctx,
        res,
        &["StorageEncrypted"],
        "the database storage is not encrypted (`StorageEncrypted`)",
    )
}

/// Encrypted database storage.
pub static RDS_STORAGE_ENCRYPTED: Rule = Rule {
    id: "rds-storage-encrypted",
    title: "RDS databases encrypt their storage",
    severity: Severity::High,
    rationale: "Unencrypted storage, snapshots and replicas expose the data to anyone who gets a snapshot shared or copied; encryption cannot be turned on later without a restore.",
    remediation: "Set `StorageEncrypted: true` and `KmsKeyId` to a customer key (on the `AWS::RDS::DBCluster` for Aurora).",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &["2.3.1"],
    security_hub: &["RDS.3", "RDS.27"],
    frameworks: AT_REST,
    equivalents: Equivalents {
        checkov: &["CKV_AWS_16", "CKV_AWS_96"],
        cfn_lint: &[],
        cfn_nag: &["F26", "F27"],
        cdk_nag: &["AwsSolutions-RDS2"],
        guard: &["RDS_STORAGE_ENCRYPTED"],
    },
    check: rds_encrypted,
};

fn rds_public(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    res.prop(&["PubliclyAccessible"])
        .into_iter()
        .filter(|a| ctx.bool(a.node) == Some(true))
        .map(|a| Hit {
            path: a.path,
            message: "the instance has a public address (`PubliclyAccessible: true`)".into(),
        })
        .collect()
}

/// No public database.
pub static RDS_NOT_PUBLIC: Rule = Rule {
    id: "rds-not-public",
    title: "RDS instances are not publicly accessible",
    severity: Severity::Critical,
    rationale: "A publicly accessible instance gets an internet address: only its security group stands between the database port and every scanner on the internet.",
    remediation: "Remove `PubliclyAccessible` (or set `false`) and put the instance in private subnets (`DBSubnetGroupName`).",
    resource_types: &[INSTANCE],
    tier: Tier::Basic,
    control: None,
    cis: &["2.3.3"],
    security_hub: &["RDS.2"],
    frameworks: Frameworks {
        nist: &["AC-3", "SC-7"],
        pci: &["1.4.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_17"],
        cfn_lint: &[],
        cfn_nag: &["F22"],
        cdk_nag: &[],
        guard: &["RDS_INSTANCE_PUBLIC_ACCESS_CHECK"],
    },
    check: rds_public,
};

fn rds_deletion_protection(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    not_true(
        ctx,
        res,
        &["DeletionProtection"],
        "the database has no deletion protection (`DeletionProtection`)",
    )
}

/// Deletion protection.
pub static RDS_DELETION_PROTECTION: Rule = Rule {
    id: "rds-deletion-protection",
    title: "RDS databases have deletion protection",
    severity: Severity::Medium,
    rationale: "Without it, one API call or a stack update that replaces the database deletes it; automated backups go with it unless retained.",
    remediation: "Set `DeletionProtection: true` (on the cluster for Aurora).",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["RDS.7", "RDS.8"],
    frameworks: BACKUP,
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-RDS10"],
        guard: &["RDS_INSTANCE_DELETION_PROTECTION_ENABLED"],
    },
    check: rds_deletion_protection,
};

fn rds_iam_auth(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    // IAM authentication exists for MySQL, MariaDB and PostgreSQL (and Aurora's two).
    if res.ty == INSTANCE
        && engine(ctx, res).is_some_and(|e| !["mysql", "mariadb", "postgres"].contains(&e.as_str()))
    {
        return Vec::new();
    }
    not_true(
        ctx,
        res,
        &["EnableIAMDatabaseAuthentication"],
        "IAM database authentication is off (`EnableIAMDatabaseAuthentication`)",
    )
}

/// IAM database authentication.
pub static RDS_IAM_AUTH: Rule = Rule {
    id: "rds-iam-auth",
    title: "RDS databases accept IAM authentication",
    severity: Severity::Medium,
    rationale: "With IAM authentication, applications connect with short-lived tokens from their role instead of a long-lived password in a secret or a configuration file.",
    remediation: "Set `EnableIAMDatabaseAuthentication: true` (on the cluster for Aurora) and grant `rds-db:connect` to the application's role.",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["RDS.10", "RDS.12"],
    frameworks: Frameworks {
        nist: &["IA-2", "IA-5"],
        pci: &["8.3.1"],
        hipaa: &["164.312(d)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_161", "CKV_AWS_162"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-RDS6"],
        guard: &[],
    },
    check: rds_iam_auth,
};

fn rds_log_exports(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    res.prop(&["EnableCloudwatchLogsExports"])
        .into_iter()
        .filter(|a| match ctx.val(a.node) {
            Val::Absent => true,
            Val::Known(Node::Seq(items)) => items.is_empty(),
            _ => false,
        })
        .map(|a| Hit {
            path: a.path,
            message:
                "the database exports no logs to CloudWatch Logs (`EnableCloudwatchLogsExports`)"
                    .into(),
        })
        .collect()
}

/// Database logs in CloudWatch Logs.
pub static RDS_LOG_EXPORTS: Rule = Rule {
    id: "rds-log-exports",
    title: "RDS databases export their logs to CloudWatch Logs",
    severity: Severity::Medium,
    rationale: "The database's error, audit and connection logs stay on the instance, rotated away within days, unless exported: there is then no record of who connected or what failed.",
    remediation: "Set `EnableCloudwatchLogsExports` to the engine's logs (`[postgresql, upgrade]`, `[audit, error, general, slowquery]`).",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["AU-2", "AU-12"],
        pci: &["10.2.1"],
        hipaa: &["164.312(b)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: rds_log_exports,
};

/// Parameters that force TLS, by parameter group family: PostgreSQL and SQL Server's
/// `rds.force_ssl`, MySQL and MariaDB's `require_secure_transport`.
const FORCE_SSL: &[&str] = &["rds.force_ssl", "require_secure_transport"];

fn rds_force_ssl(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    let (key, group_ty) = if res.ty == CLUSTER {
        (
            "DBClusterParameterGroupName",
            "AWS::RDS::DBClusterParameterGroup",
        )
    } else {
        ("DBParameterGroupName", "AWS::RDS::DBParameterGroup")
    };
    let mut out = Vec::new();
    for a in res.prop(&[key]) {
        let Some(n) = a.node else {
            out.push(Hit {
                path: a.path,
                message: format!("the database uses the default parameter group, which does not force TLS: name an `{group_ty}` with `rds.force_ssl: 1` (or `require_secure_transport: ON`)"),
            });
            continue;
        };
        // A group of this template: read it; a name or parameter: decided elsewhere.
        let Some(group) = ctx.target(n).filter(|g| g.ty == group_ty) else {
            continue;
        };
        let forced = group.prop(&["Parameters"]).iter().all(|p| {
            p.node.and_then(Node::as_map).is_some_and(|m| {
                FORCE_SSL.iter().any(|k| {
                    m.get(*k).is_some_and(|v| {
                        super::alts(v).iter().all(|alt| match ctx.val(alt.node) {
                            Val::Absent => false,
                            Val::Unknown => true,
                            Val::Known(_) => matches!(
                                ctx.text(alt.node)
                                    .map(|t| t.to_ascii_lowercase())
                                    .as_deref(),
                                Some("1" | "on" | "true")
                            ),
                        })
                    })
                })
            })
        });
        if !forced {
            out.push(Hit {
                path: a.path,
                message: format!(
                    "parameter group `{}` does not force TLS (`rds.force_ssl: 1` or `require_secure_transport: ON`)",
                    group.id
                ),
            });
        }
    }
    out
}

/// TLS forced by the parameter group.
pub static RDS_FORCE_SSL: Rule = Rule {
    id: "rds-force-ssl",
    title: "RDS databases refuse connections without TLS",
    severity: Severity::Medium,
    rationale: "RDS offers TLS but accepts plain connections unless the parameter group forces it: a client that does not ask sends the password and the data in the clear.",
    remediation: "Name an `AWS::RDS::DBParameterGroup` (`AWS::RDS::DBClusterParameterGroup` for Aurora) with `Parameters: {rds.force_ssl: 1}` (PostgreSQL, SQL Server) or `{require_secure_transport: 'ON'}` (MySQL, MariaDB).",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-8", "SC-8(1)"],
        pci: &["4.2.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &[],
    },
    check: rds_force_ssl,
};

fn rds_multi_az(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    not_true(
        ctx,
        res,
        &["MultiAZ"],
        "the instance runs in one Availability Zone (`MultiAZ`)",
    )
}

/// Multi-AZ at enhanced.
pub static RDS_MULTI_AZ: Rule = Rule {
    id: "rds-multi-az",
    title: "RDS instances run in more than one Availability Zone",
    severity: Severity::Low,
    rationale: "A Multi-AZ instance fails over to a standby in another zone within minutes; a single-AZ one is down until the zone or the host recovers, and loses what was not backed up.",
    remediation: "Set `MultiAZ: true` (Aurora spreads a cluster's instances instead).",
    resource_types: &[INSTANCE],
    tier: Tier::Enhanced,
    control: None,
    cis: &[],
    security_hub: &["RDS.5"],
    frameworks: Frameworks {
        nist: &["CP-10", "SC-36"],
        pci: &[],
        hipaa: &["164.308(a)(7)(i)"],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_157"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-RDS3"],
        guard: &["RDS_MULTI_AZ_SUPPORT"],
    },
    check: rds_multi_az,
};

/// The shortest automated backup retention harden accepts, Security Hub's RDS.11 default.
const MIN_BACKUP_DAYS: i64 = 7;

fn rds_backup_retention(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    if in_cluster(ctx, res) {
        return Vec::new();
    }
    res.prop(&["BackupRetentionPeriod"])
        .into_iter()
        .filter(|a| match ctx.val(a.node) {
            Val::Absent => true,
            Val::Unknown => false,
            Val::Known(_) => ctx.int(a.node).is_none_or(|d| d < MIN_BACKUP_DAYS),
        })
        .map(|a| Hit {
            path: a.path,
            message: format!("automated backups are kept less than {MIN_BACKUP_DAYS} days (`BackupRetentionPeriod`; 1 when not written)"),
        })
        .collect()
}

/// Backups kept a week.
pub static RDS_BACKUP_RETENTION: Rule = Rule {
    id: "rds-backup-retention",
    title: "RDS databases keep automated backups for at least 7 days",
    severity: Severity::Medium,
    rationale: "Point-in-time restore reaches back only as far as the retention period: the default day is gone before most corruptions are noticed.",
    remediation: "Set `BackupRetentionPeriod: 7` or more (up to 35).",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &["RDS.11"],
    frameworks: BACKUP,
    equivalents: Equivalents {
        checkov: &[],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &["AwsSolutions-RDS13"],
        guard: &["DB_INSTANCE_BACKUP_ENABLED"],
    },
    check: rds_backup_retention,
};

fn rds_performance_insights_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let on = res
        .prop(&["EnablePerformanceInsights"])
        .iter()
        .any(|a| ctx.bool(a.node) == Some(true));
    if !on {
        return Vec::new();
    }
    not_customer_key(
        ctx,
        res,
        &["PerformanceInsightsKMSKeyId"],
        "Performance Insights data is encrypted with the AWS managed key (`PerformanceInsightsKMSKeyId`)",
    )
}

/// Performance Insights under a customer key.
pub static RDS_PERFORMANCE_INSIGHTS_KMS: Rule = Rule {
    id: "rds-performance-insights-kms",
    title: "RDS Performance Insights data is encrypted with a customer-managed key",
    severity: Severity::Low,
    rationale: "Performance Insights keeps the text of the queries the database ran, literals included: it deserves the same key as the data.",
    remediation: "Set `PerformanceInsightsKMSKeyId` to the database's customer key (`!GetAtt DbKey.Arn`).",
    resource_types: &[INSTANCE, CLUSTER],
    tier: Tier::Basic,
    control: None,
    cis: &[],
    security_hub: &[],
    frameworks: AT_REST,
    equivalents: Equivalents::NONE,
    check: rds_performance_insights_kms,
};

fn rds_enhanced_monitoring(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    not_one_of(
        ctx,
        res,
        &["MonitoringInterval"],
        &["1", "5", "10", "15", "30", "60"],
        "enhanced monitoring is off (`MonitoringInterval` is not 1, 5, 10, 15, 30 or 60)",
    )
}

/// Enhanced monitoring at enhanced.
pub static RDS_ENHANCED_MONITORING: Rule = Rule {
    id: "rds-enhanced-monitoring",
    title: "RDS instances have enhanced monitoring",
    severity: Severity::Low,
    rationale: "Enhanced monitoring reports the operating system's processes, memory and I/O each few seconds: what explains a slow or stuck database.",
    remediation: "Set `MonitoringInterval: 60` (or less) and `MonitoringRoleArn` to a role with `AmazonRDSEnhancedMonitoringRole`.",
    resource_types: &[INSTANCE],
    tier: Tier::Enhanced,
    control: None,
    cis: &[],
    security_hub: &["RDS.6"],
    frameworks: Frameworks {
        nist: &["SI-4", "AU-12"],
        pci: &[],
        hipaa: &[],
    },
    equivalents: Equivalents {
        checkov: &["CKV_AWS_118"],
        cfn_lint: &[],
        cfn_nag: &[],
        cdk_nag: &[],
        guard: &["RDS_ENHANCED_MONITORING_ENABLED"],
    },
    check: rds_enhanced_monitoring,
};

// --- OpenSearch Serverless -------------------------------------------------------------

const SECURITY_POLICY: &[&str] = &["AWS::OpenSearchServerless::SecurityPolicy"];

/// The policy document of a security policy of `kind` (`encryption`, `network`), when its
/// `Policy` is JSON text (a literal or an `Fn::Sub` whose placeholders sit inside strings),
/// with the path of `Policy`. `None` when the type is another or the text is not readable.
fn policy_doc(ctx: &Ctx, res: &Res, kind: &str) -> Vec<(Vec<String>, serde_json::Value)> {
    let of_kind = res.prop(&["Type"]).iter().any(|a| {
        ctx.text(a.node)
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    });
    if !of_kind {
        return Vec::new();
    }
    res.prop(&["Policy"])
        .into_iter()
        .filter_map(|a| {
            let text = match a.node? {
                Node::Str(s) => s.clone(),
                Node::Map(m) if m.len() == 1 => match m.get("Fn::Sub")? {
                    Node::Str(s) => s.clone(),
                    Node::Seq(parts) => parts.first()?.as_str()?.to_string(),
                    _ => return None,
                },
                _ => return None,
            };
            let doc = serde_json::from_str(&text).ok()?;
            Some((a.path, doc))
        })
        .collect()
}

fn aoss_kms(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    policy_doc(ctx, res, "encryption")
        .into_iter()
        .filter(|(_, doc)| {
            doc.get("AWSOwnedKey").and_then(serde_json::Value::as_bool) == Some(true)
                || doc.get("KmsARN").is_none()
        })
        .map(|(path, _)| Hit {
            path,
            message:
                "the encryption policy uses an AWS owned key (`AWSOwnedKey: true` or no `KmsARN`)"
                    .into(),
        })
        .collect()
}

/// OpenSearch Serverless collections under a customer key.
pub static AOSS_ENCRYPTION_KMS: Rule = Rule {
    id: "aoss-encryption-kms",
    title: "OpenSearch Serverless collections are encrypted with a customer-managed key",
    severity: Severity::Medium,
    rationale: "An AWS owned key is shared by many customers and cannot be restricted, audited in CloudTrail or revoked: the index, embeddings included, is then protected by data access policies alone.",
    remediation: "Write the encryption policy as `{\"Rules\": [...], \"AWSOwnedKey\": false, \"KmsARN\": \"${Key.Arn}\"}` (in an `Fn::Sub`).",
    resource_types: SECURITY_POLICY,
    tier: Tier::Basic,
    control: Some(&controls::opensearch_serverless::VECTOR_COLLECTION),
    cis: &[],
    security_hub: &[],
    frameworks: AT_REST,
    equivalents: Equivalents::NONE,
    check: aoss_kms,
};

fn aoss_private(ctx: &Ctx, res: &Res) -> Vec<Hit> {
    let mut out = Vec::new();
    for (path, doc) in policy_doc(ctx, res, "network") {
        let entries = match &doc {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        if entries.iter().any(|e| {
            e.get("AllowFromPublic")
                .and_then(serde_json::Value::as_bool)
                == Some(true)
        }) {
            out.push(Hit {
                path,
                message: "the network policy admits the internet (`AllowFromPublic: true`)".into(),
            });
        }
    }
    out
}

/// OpenSearch Serverless reachable only privately, at enhanced.
pub static AOSS_NETWORK_PRIVATE: Rule = Rule {
    id: "aoss-network-private",
    title: "OpenSearch Serverless collections are not reachable from the internet",
    severity: Severity::High,
    rationale: "A public network policy puts the collection's endpoint and dashboards on the internet, where only the data access policy and IAM stand in the way.",
    remediation: "Write the network policy with `\"AllowFromPublic\": false` and `\"SourceVPCEs\"` naming an `AWS::OpenSearchServerless::VpcEndpoint`.",
    resource_types: SECURITY_POLICY,
    tier: Tier::Enhanced,
    control: Some(&controls::opensearch_serverless::PRIVATE_COLLECTION),
    cis: &[],
    security_hub: &[],
    frameworks: Frameworks {
        nist: &["SC-7", "AC-4"],
        pci: &["1.4.1"],
        hipaa: &["164.312(e)(1)"],
    },
    equivalents: Equivalents::NONE,
    check: aoss_private,
};

/// The rules of this module.
pub static RULES: &[&Rule] = &[
    &KMS_KEY_ROTATION,
    &KMS_KEY_GRANTS_FOR_AWS_RESOURCES,
    &SNS_TOPIC_KMS,
    &SQS_QUEUE_KMS,
    &DYNAMODB_TABLE_PITR,
    &DYNAMODB_TABLE_KMS,
    &DYNAMODB_TABLE_DELETION_PROTECTION,
    &SECRETSMANAGER_SECRET_KMS,
    &SECRETSMANAGER_SECRET_ROTATION,
    &ECR_REPOSITORY_IMMUTABLE_TAGS,
    &ECR_REPOSITORY_KMS,
    &ECR_REPOSITORY_SCAN_ON_PUSH,
    &RDS_STORAGE_ENCRYPTED,
    &RDS_NOT_PUBLIC,
    &RDS_DELETION_PROTECTION,
    &RDS_IAM_AUTH,
    &RDS_LOG_EXPORTS,
    &RDS_FORCE_SSL,
    &RDS_MULTI_AZ,
    &RDS_BACKUP_RETENTION,
    &RDS_PERFORMANCE_INSIGHTS_KMS,
    &RDS_ENHANCED_MONITORING,
    &AOSS_ENCRYPTION_KMS,
    &AOSS_NETWORK_PRIVATE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::parse::parse_template;

    /// Parameters every case may use: known defaults and one decided at deploy time.
    const PARAMS: &str = r#"{"On": {"Type": "String", "Default": "true"},
        "Off": {"Type": "String", "Default": "false"},
        "Managed": {"Type": "String", "Default": "alias/aws/secretsmanager"},
        "Unknown": {"Type": "String"}}"#;

    /// Whether `rule` fires on resource `R` of type `ty` with `props`, next to `others`.
    fn fires_with(rule: &Rule, ty: &str, props: &str, others: &str) -> bool {
        let text = format!(
            r#"{{"Parameters": {PARAMS}, "Resources": {{"Key": {{"Type": "AWS::KMS::Key"}}, {others}
            "R": {{"Type": "{ty}", "Properties": {props}}}}}}}"#
        );
        let t = parse_template(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let ctx = Ctx::new(&t);
        let r = ctx.resource("R").expect("a resource R");
        assert!(
            rule.applies(r.ty, Tier::Enterprise),
            "{} does not read {ty}",
            rule.id
        );
        !(rule.check)(&ctx, &r).is_empty()
    }

    fn cases(rule: &Rule, ty: &str, cases: &[(&str, bool)]) {
        for (props, expected) in cases {
            assert_eq!(
                fires_with(rule, ty, props, ""),
                *expected,
                "{} on {props}",
                rule.id
            );
        }
    }

    #[test]
    fn kms_rotation_for_symmetric_keys() {
        cases(
            &KMS_KEY_ROTATION,
            "AWS::KMS::Key",
            &[
                ("{}", true),
                (r#"{"EnableKeyRotation": true}"#, false),
                (r#"{"EnableKeyRotation": {"Ref": "On"}}"#, false),
                (r#"{"EnableKeyRotation": {"Ref": "Off"}}"#, true),
                (r#"{"EnableKeyRotation": {"Ref": "Unknown"}}"#, false),
                (
                    r#"{"EnableKeyRotation": {"Fn::If": ["C", true, false]}}"#,
                    true,
                ),
                (r#"{"KeySpec": "SYMMETRIC_DEFAULT"}"#, true),
                (r#"{"KeySpec": "RSA_2048"}"#, false),
                (r#"{"KeySpec": "HMAC_256"}"#, false),
            ],
        );
    }

    #[test]
    fn key_grants_need_the_aws_resource_condition() {
        let policy = |action: &str, cond: &str| {
            format!(
                r#"{{"KeyPolicy": {{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}},
                "Action": {action}, "Resource": "*"{cond}}}}}}}"#
            )
        };
        let limited = r#", "Condition": {"Bool": {"kms:GrantIsForAWSResource": true}}"#;
        let unknown =
            r#", "Condition": {"Bool": {"kms:GrantIsForAWSResource": {"Ref": "Unknown"}}}"#;
        let off = r#", "Condition": {"Bool": {"kms:GrantIsForAWSResource": {"Ref": "Off"}}}"#;
        cases(
            &KMS_KEY_GRANTS_FOR_AWS_RESOURCES,
            "AWS::KMS::Key",
            &[
                (&policy(r#""kms:CreateGrant""#, ""), true),
                (&policy(r#"["kms:Decrypt", "kms:Create*"]"#, ""), true),
                (&policy(r#""kms:*""#, ""), true),
                (&policy(r#""kms:Decrypt""#, ""), false),
                (&policy(r#""kms:CreateGrant""#, limited), false),
                (&policy(r#""kms:CreateGrant""#, unknown), false),
                (&policy(r#""kms:CreateGrant""#, off), true),
            ],
        );
    }

    #[test]
    fn topics_and_queues_need_a_kms_key() {
        for ty in ["AWS::SNS::Topic", "AWS::SQS::Queue"] {
            let rule = if ty == "AWS::SNS::Topic" {
                &SNS_TOPIC_KMS
            } else {
                &SQS_QUEUE_KMS
            };
            cases(
                rule,
                ty,
                &[
                    ("{}", true),
                    (r#"{"KmsMasterKeyId": {"Ref": "Key"}}"#, false),
                    (r#"{"KmsMasterKeyId": {"Ref": "Unknown"}}"#, false),
                    (
                        r#"{"KmsMasterKeyId": {"Fn::If": ["C", {"Ref": "Key"}, {"Ref": "AWS::NoValue"}]}}"#,
                        true,
                    ),
                ],
            );
        }
        assert!(fires_with(
            &SQS_QUEUE_KMS,
            "AWS::SQS::Queue",
            r#"{"SqsManagedSseEnabled": true}"#,
            ""
        ));
    }

    #[test]
    fn tables_need_pitr_a_customer_key_and_deletion_protection() {
        let ty = "AWS::DynamoDB::Table";
        cases(
            &DYNAMODB_TABLE_PITR,
            ty,
            &[
                ("{}", true),
                (
                    r#"{"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}"#,
                    false,
                ),
                (
                    r#"{"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": {"Ref": "On"}}}"#,
                    false,
                ),
                (
                    r#"{"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": {"Ref": "Unknown"}}}"#,
                    false,
                ),
                (
                    r#"{"PointInTimeRecoverySpecification": {"Fn::If": ["C", {"PointInTimeRecoveryEnabled": true}, {"Ref": "AWS::NoValue"}]}}"#,
                    true,
                ),
            ],
        );
        cases(
            &DYNAMODB_TABLE_KMS,
            ty,
            &[
                ("{}", true),
                (r#"{"SSESpecification": {"SSEEnabled": true}}"#, true),
                (
                    r#"{"SSESpecification": {"SSEEnabled": true, "KMSMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}}"#,
                    false,
                ),
                (
                    r#"{"SSESpecification": {"SSEEnabled": true, "KMSMasterKeyId": "alias/aws/dynamodb"}}"#,
                    true,
                ),
                (
                    r#"{"SSESpecification": {"SSEEnabled": true, "KMSMasterKeyId": {"Ref": "Unknown"}}}"#,
                    false,
                ),
                (
                    r#"{"SSESpecification": {"SSEEnabled": {"Ref": "Off"}, "KMSMasterKeyId": {"Ref": "Key"}}}"#,
                    true,
                ),
                (
                    r#"{"SSESpecification": {"SSEEnabled": true, "KMSMasterKeyId": {"Fn::If": ["C", {"Ref": "Key"}, "alias/aws/dynamodb"]}}}"#,
                    true,
                ),
            ],
        );
        cases(
            &DYNAMODB_TABLE_DELETION_PROTECTION,
            ty,
            &[
                ("{}", true),
                (r#"{"DeletionProtectionEnabled": true}"#, false),
            ],
        );
    }

    #[test]
    fn secrets_need_a_customer_key_and_a_rotation_schedule() {
        let ty = "AWS::SecretsManager::Secret";
        cases(
            &SECRETSMANAGER_SECRET_KMS,
            ty,
            &[
                ("{}", true),
                (r#"{"KmsKeyId": {"Ref": "Key"}}"#, false),
                (r#"{"KmsKeyId": "alias/aws/secretsmanager"}"#, true),
                (r#"{"KmsKeyId": "aws/secretsmanager"}"#, true),
                (r#"{"KmsKeyId": {"Ref": "Managed"}}"#, true),
                (r#"{"KmsKeyId": {"Ref": "Unknown"}}"#, false),
                (
                    r#"{"KmsKeyId": {"Fn::If": ["C", {"Ref": "Key"}, {"Ref": "AWS::NoValue"}]}}"#,
                    true,
                ),
            ],
        );
        let schedule = |id: &str| {
            format!(
                r#""S": {{"Type": "AWS::SecretsManager::RotationSchedule", "Properties": {{"SecretId": {id}}}}},"#
            )
        };
        let rule = &SECRETSMANAGER_SECRET_ROTATION;
        assert!(fires_with(rule, ty, "{}", ""));
        assert!(!fires_with(rule, ty, "{}", &schedule(r#"{"Ref": "R"}"#)));
        assert!(fires_with(rule, ty, "{}", &schedule(r#""other-secret""#)));
        assert_eq!(rule.tier, Tier::Enhanced);
    }

    #[test]
    fn repositories_need_immutable_tags_a_customer_key_and_scan_on_push() {
        let ty = "AWS::ECR::Repository";
        cases(
            &ECR_REPOSITORY_IMMUTABLE_TAGS,
            ty,
            &[
                ("{}", true),
                (r#"{"ImageTagMutability": "IMMUTABLE"}"#, false),
                (r#"{"ImageTagMutability": "MUTABLE"}"#, true),
                (r#"{"ImageTagMutability": {"Ref": "Unknown"}}"#, false),
                (
                    r#"{"ImageTagMutability": {"Fn::If": ["C", "IMMUTABLE", "MUTABLE"]}}"#,
                    true,
                ),
            ],
        );
        cases(
            &ECR_REPOSITORY_KMS,
            ty,
            &[
                ("{}", true),
                (
                    r#"{"EncryptionConfiguration": {"EncryptionType": "AES256"}}"#,
                    true,
                ),
                (
                    r#"{"EncryptionConfiguration": {"EncryptionType": "KMS"}}"#,
                    true,
                ),
                (
                    r#"{"EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": {"Ref": "Key"}}}"#,
                    false,
                ),
                (
                    r#"{"EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": {"Ref": "Unknown"}}}"#,
                    false,
                ),
                (
                    r#"{"EncryptionConfiguration": {"Fn::If": ["C", {"EncryptionType": "KMS", "KmsKey": {"Ref": "Key"}}, {"Ref": "AWS::NoValue"}]}}"#,
                    true,
                ),
            ],
        );
        cases(
            &ECR_REPOSITORY_SCAN_ON_PUSH,
            ty,
            &[
                ("{}", true),
                (
                    r#"{"ImageScanningConfiguration": {"ScanOnPush": true}}"#,
                    false,
                ),
                (
                    r#"{"ImageScanningConfiguration": {"ScanOnPush": {"Ref": "Off"}}}"#,
                    true,
                ),
                (
                    r#"{"ImageScanningConfiguration": {"ScanOnPush": {"Ref": "Unknown"}}}"#,
                    false,
                ),
            ],
        );
        // As checkov: a registry scanning configuration does not stand in for the repository's.
        let registry = r#""Scan": {"Type": "AWS::ECR::RegistryScanningConfiguration", "Properties": {"ScanType": "ENHANCED", "Rules": []}},"#;
        assert!(fires_with(&ECR_REPOSITORY_SCAN_ON_PUSH, ty, "{}", registry));
    }

    const DB: &str = "AWS::RDS::DBInstance";
    const AURORA: &str =
        r#""Engine": "aurora-postgresql", "DBClusterIdentifier": {"Ref": "Cluster"}"#;

    #[test]
    fn databases_are_encrypted_private_and_protected() {
        cases(
            &RDS_STORAGE_ENCRYPTED,
            DB,
            &[
                (r#"{"Engine": "postgres"}"#, true),
                (r#"{"Engine": "postgres", "StorageEncrypted": true}"#, false),
                (
                    r#"{"Engine": "postgres", "StorageEncrypted": {"Ref": "Unknown"}}"#,
                    false,
                ),
                (
                    r#"{"Engine": "postgres", "StorageEncrypted": {"Fn::If": ["C", true, false]}}"#,
                    true,
                ),
                (&format!("{{{AURORA}}}"), false),
            ],
        );
        cases(
            &RDS_STORAGE_ENCRYPTED,
            CLUSTER,
            &[("{}", true), (r#"{"SnapshotIdentifier": "s"}"#, false)],
        );
        cases(
            &RDS_NOT_PUBLIC,
            DB,
            &[
                ("{}", false),
                (r#"{"PubliclyAccessible": true}"#, true),
                (r#"{"PubliclyAccessible": {"Ref": "On"}}"#, true),
                (r#"{"PubliclyAccessible": {"Ref": "Unknown"}}"#, false),
                (
                    r#"{"PubliclyAccessible": {"Fn::If": ["C", false, true]}}"#,
                    true,
                ),
            ],
        );
        cases(
            &RDS_DELETION_PROTECTION,
            DB,
            &[
                ("{}", true),
                (r#"{"DeletionProtection": true}"#, false),
                (&format!("{{{AURORA}}}"), false),
            ],
        );
        cases(
            &RDS_DELETION_PROTECTION,
            CLUSTER,
            &[
                ("{}", true),
                (r#"{"DeletionProtection": {"Ref": "On"}}"#, false),
            ],
        );
    }

    #[test]
    fn databases_authenticate_with_iam_log_and_keep_backups() {
        cases(
            &RDS_IAM_AUTH,
            DB,
            &[
                (r#"{"Engine": "mysql"}"#, true),
                (r#"{"Engine": {"Ref": "Unknown"}}"#, true),
                (r#"{"Engine": "sqlserver-ex"}"#, false),
                (
                    r#"{"Engine": "mysql", "EnableIAMDatabaseAuthentication": true}"#,
                    false,
                ),
                (&format!("{{{AURORA}}}"), false),
            ],
        );
        cases(
            &RDS_IAM_AUTH,
            CLUSTER,
            &[
                ("{}", true),
                (r#"{"EnableIAMDatabaseAuthentication": true}"#, false),
            ],
        );
        cases(
            &RDS_LOG_EXPORTS,
            DB,
            &[
                ("{}", true),
                (r#"{"EnableCloudwatchLogsExports": []}"#, true),
                (r#"{"EnableCloudwatchLogsExports": ["postgresql"]}"#, false),
                (
                    r#"{"EnableCloudwatchLogsExports": {"Fn::If": ["C", ["error"], {"Ref": "AWS::NoValue"}]}}"#,
                    true,
                ),
            ],
        );
        cases(
            &RDS_BACKUP_RETENTION,
            DB,
            &[
                ("{}", true),
                (r#"{"BackupRetentionPeriod": 1}"#, true),
                (r#"{"BackupRetentionPeriod": "14"}"#, false),
                (r#"{"BackupRetentionPeriod": {"Ref": "Unknown"}}"#, false),
            ],
        );
        cases(
            &RDS_MULTI_AZ,
            DB,
            &[
                ("{}", true),
                (r#"{"MultiAZ": true}"#, false),
                (&format!("{{{AURORA}}}"), false),
            ],
        );
        cases(
            &RDS_ENHANCED_MONITORING,
            DB,
            &[
                ("{}", true),
                (r#"{"MonitoringInterval": 0}"#, true),
                (r#"{"MonitoringInterval": 60}"#, false),
                (r#"{"MonitoringInterval": "30"}"#, false),
            ],
        );
        cases(
            &RDS_PERFORMANCE_INSIGHTS_KMS,
            DB,
            &[
                ("{}", false),
                (r#"{"EnablePerformanceInsights": true}"#, true),
                (
                    r#"{"EnablePerformanceInsights": true, "PerformanceInsightsKMSKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}"#,
                    false,
                ),
            ],
        );
    }

    #[test]
    fn force_ssl_reads_the_parameter_group_the_database_names() {
        let group = |params: &str| {
            format!(
                r#""G": {{"Type": "AWS::RDS::DBParameterGroup", "Properties": {{"Family": "postgres16", "Parameters": {params}}}}},"#
            )
        };
        let named = r#"{"Engine": "postgres", "DBParameterGroupName": {"Ref": "G"}}"#;
        let rule = &RDS_FORCE_SSL;
        assert!(fires_with(rule, DB, r#"{"Engine": "postgres"}"#, ""));
        assert!(!fires_with(
            rule,
            DB,
            named,
            &group(r#"{"rds.force_ssl": 1}"#)
        ));
        assert!(!fires_with(
            rule,
            DB,
            named,
            &group(r#"{"require_secure_transport": "ON"}"#)
        ));
        assert!(!fires_with(
            rule,
            DB,
            named,
            &group(r#"{"rds.force_ssl": {"Ref": "Unknown"}}"#)
        ));
        assert!(fires_with(
            rule,
            DB,
            named,
            &group(r#"{"rds.force_ssl": 0}"#)
        ));
        assert!(fires_with(
            rule,
            DB,
            named,
            &group(r#"{"rds.force_ssl": {"Fn::If": ["C", 1, 0]}}"#)
        ));
        assert!(fires_with(
            rule,
            DB,
            named,
            &group(r#"{"Fn::If": ["C", {"rds.force_ssl": 1}, {}]}"#)
        ));
        // A group named from outside the template is not read.
        assert!(!fires_with(
            rule,
            DB,
            r#"{"DBParameterGroupName": {"Ref": "Unknown"}}"#,
            ""
        ));
        assert!(!fires_with(rule, DB, &format!("{{{AURORA}}}"), ""));
    }

    #[test]
    fn opensearch_serverless_policies_use_a_customer_key_and_stay_private() {
        let ty = "AWS::OpenSearchServerless::SecurityPolicy";
        let policy = |kind: &str, text: &str| {
            format!(r#"{{"Name": "p", "Type": "{kind}", "Policy": {text}}}"#)
        };
        cases(
            &AOSS_ENCRYPTION_KMS,
            ty,
            &[
                (
                    &policy("encryption", r#""{\"Rules\": [], \"AWSOwnedKey\": true}""#),
                    true,
                ),
                (&policy("encryption", r#""{\"Rules\": []}""#), true),
                (
                    &policy(
                        "encryption",
                        r#"{"Fn::Sub": "{\"Rules\": [], \"AWSOwnedKey\": false, \"KmsARN\": \"${Key.Arn}\"}"}"#,
                    ),
                    false,
                ),
                (
                    &policy(
                        "encryption",
                        r#"{"Fn::If": ["C", "{\"AWSOwnedKey\": true}", "{\"KmsARN\": \"k\"}"]}"#,
                    ),
                    true,
                ),
                (&policy("encryption", r#"{"Ref": "Unknown"}"#), false),
                (
                    &policy("network", r#""[{\"AllowFromPublic\": true}]""#),
                    false,
                ),
            ],
        );
        cases(
            &AOSS_NETWORK_PRIVATE,
            ty,
            &[
                (
                    &policy(
                        "network",
                        r#""[{\"Rules\": [], \"AllowFromPublic\": true}]""#,
                    ),
                    true,
                ),
                (
                    &policy(
                        "network",
                        r#""[{\"Rules\": [], \"AllowFromPublic\": false, \"SourceVPCEs\": [\"vpce-1\"]}]""#,
                    ),
                    false,
                ),
                (
                    &policy(
                        "network",
                        r#"{"Fn::If": ["C", "[{\"AllowFromPublic\": false}]", "[{\"AllowFromPublic\": true}]"]}"#,
                    ),
                    true,
                ),
                (&policy("encryption", r#""{\"AWSOwnedKey\": true}""#), false),
            ],
        );
    }
}
