//! A secure S3 bucket: KMS encryption with a bucket key, versioning, all four public access
//! block flags, bucket-owner-enforced ownership, a bucket policy that denies requests without
//! TLS and requests over TLS older than 1.2, lifecycle rules for old versions and failed
//! uploads, and from enhanced, server access logging to a log bucket that only S3's logging
//! service may write to, and only for the buckets that log there (`aws:SourceArn`, added as
//! each bucket is pointed at it).

use crate::cfn::generated::s3::{self, bucket as b};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::rules::storage;
use crate::tier::Tier;

/// The control, on every bucket harden makes (the access-log bucket too): Block Public
/// Access on all four flags (S3.8, and so neither public read nor write: S3.2, S3.3), ACLs
/// disabled by bucket-owner-enforced ownership (S3.12), a policy that denies requests
/// without TLS (S3.5) and grants nothing to other accounts (S3.6), versioning (S3.14) and
/// a lifecycle configuration (S3.13). KMS at rest is [`BUCKET_KMS`], not this: the
/// access-log bucket is SSE-S3.
pub static SECURE_BUCKET: Control = Control {
    id: "secure-bucket",
    title: "S3 bucket encrypted at rest, versioned, with lifecycle rules, public access and ACLs blocked, TLS 1.2+ only access",
    tier: Tier::Basic,
    cis: &["2.1.1", "2.1.4"],
    security_hub: &["S3.2", "S3.3", "S3.5", "S3.6", "S3.8", "S3.12", "S3.13", "S3.14"],
};

/// The control for SSE-KMS at rest with the stack's key, on every bucket but the access-log
/// bucket (S3 delivers server access logs into no SSE-KMS bucket).
pub static BUCKET_KMS: Control = Control {
    id: "s3-kms-encryption",
    title: "S3 bucket encrypted with the stack's customer-managed KMS key and an S3 Bucket Key",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["S3.17"],
};

/// The control for server access logging.
pub static S3_ACCESS_LOGGING: Control = Control {
    id: "s3-access-logging",
    title: "S3 server access logging to a dedicated, hardened log bucket",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["S3.9"],
};

/// The control for object events at enterprise: every bucket sends its events (objects
/// created, deleted, restored, their tags and ACLs changed, replication and lifecycle) to the
/// account's default EventBridge bus, where a team's rules, or a SIEM, react to them as they
/// happen. S3 charges nothing for the delivery; harden adds no rule of its own. (AWS Config's
/// `s3-event-notifications-enabled`, behind Security Hub's S3.11, names SNS, SQS and Lambda
/// destinations only, so S3.11 is not claimed; Control Tower's CT.S3.PR.4 counts EventBridge.)
pub static EVENTS_TO_EVENTBRIDGE: Control = Control {
    id: "s3-events-to-eventbridge",
    title: "S3 object events sent to Amazon EventBridge",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// How a bucket is encrypted.
#[derive(Debug, Clone)]
pub enum Encryption {
    /// SSE-KMS with this key ARN.
    Kms(Expr),
    /// SSE-S3: only for server access log buckets, where S3 does not deliver into SSE-KMS.
    S3Managed,
}

/// What one bucket holds and who else may write to it.
#[derive(Debug, Clone)]
pub struct BucketSpec<'a> {
    /// The logical id.
    pub id: &'a str,
    /// How it is encrypted.
    pub encryption: Encryption,
    /// Where its access logs go (enhanced and up), if anywhere.
    pub log_bucket: Option<&'a Handle<s3::Bucket>>,
    /// Statements beyond the TLS-only deny (service deliveries), each naming the bucket.
    pub extra_statements: Vec<Statement>,
    /// Days before noncurrent versions expire.
    pub noncurrent_days: i64,
    /// CORS for browser uploads, from one origin.
    pub cors_origin: Option<String>,
}

fn pab() -> b::PublicAccessBlockConfiguration {
    b::PublicAccessBlockConfiguration {
        block_public_acls: Some(true.into()),
        block_public_policy: Some(true.into()),
        ignore_public_acls: Some(true.into()),
        restrict_public_buckets: Some(true.into()),
    }
}

/// The ARN of a bucket and of its objects.
pub fn arns(h: &Handle<s3::Bucket>) -> (Expr, Expr) {
    let arn = h.get_att(s3::BucketAttr::Arn);
    (arn.clone(), Expr::join("", [arn, Expr::str("/*")]))
}

/// Adds a bucket and its policy; returns the bucket.
pub fn secure_bucket(t: &mut Template, tier: Tier, spec: BucketSpec<'_>) -> Handle<s3::Bucket> {
    let sse = match &spec.encryption {
        Encryption::Kms(key) => b::ServerSideEncryptionByDefault {
            sse_algorithm: Some("aws:kms".into()),
            kms_master_key_id: Some(key.clone()),
        },
        Encryption::S3Managed => b::ServerSideEncryptionByDefault {
            sse_algorithm: Some("AES256".into()),
            kms_master_key_id: None,
        },
    };
    let logging = match spec.log_bucket {
        Some(lb) if S3_ACCESS_LOGGING.on(tier) => Some(b::LoggingConfiguration {
            destination_bucket_name: Some(lb.r#ref()),
            log_file_prefix: Some(format!("{}/", spec.id).into()),
            ..Default::default()
        }),
        _ => None,
    };
    let has_logging = logging.is_some();
    let bucket = t.add(
        spec.id,
        s3::Bucket {
            bucket_encryption: Some(b::BucketEncryption {
                server_side_encryption_configuration: Some(vec![b::ServerSideEncryptionRule {
                    bucket_key_enabled: Some(matches!(spec.encryption, Encryption::Kms(_)).into()),
                    server_side_encryption_by_default: Some(sse),
                    ..Default::default()
                }]),
            }),
            versioning_configuration: Some(b::VersioningConfiguration {
                status: Some("Enabled".into()),
            }),
            public_access_block_configuration: Some(pab()),
            ownership_controls: Some(b::OwnershipControls {
                rules: Some(vec![b::OwnershipControlsRule {
                    object_ownership: Some("BucketOwnerEnforced".into()),
                }]),
            }),
            lifecycle_configuration: Some(b::LifecycleConfiguration {
                rules: Some(vec![b::Rule {
                    id: Some("ExpireOldVersionsAndFailedUploads".into()),
                    status: Some("Enabled".into()),
                    noncurrent_version_expiration: Some(b::NoncurrentVersionExpiration {
                        noncurrent_days: Some(spec.noncurrent_days.into()),
                        ..Default::default()
                    }),
                    abort_incomplete_multipart_upload: Some(b::AbortIncompleteMultipartUpload {
                        days_after_initiation: Some(7.into()),
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            logging_configuration: logging,
            cors_configuration: spec.cors_origin.as_ref().map(|o| b::CorsConfiguration {
                cors_rules: Some(vec![b::CorsRule {
                    allowed_methods: Some(Expr::strs(["GET", "PUT", "HEAD"])),
                    allowed_origins: Some(Expr::strs([o])),
                    allowed_headers: Some(Expr::strs(["Content-Type", "Content-MD5", "x-amz-*"])),
                    max_age: Some(3000.into()),
                    ..Default::default()
                }]),
            }),
            ..Default::default()
        },
    );
    t.res(&bucket).control(&SECURE_BUCKET);
    if matches!(spec.encryption, Encryption::Kms(_)) {
        t.res(&bucket).control(&BUCKET_KMS);
    }
    if has_logging {
        t.res(&bucket).control(&S3_ACCESS_LOGGING);
    } else if matches!(spec.encryption, Encryption::Kms(_)) {
        // (A log bucket, the one SSE-S3 bucket, writes its own exception below.)
        t.res(&bucket).except(
            &crate::rules::storage::S3_BUCKET_ACCESS_LOGGING,
            "server access logging is switched on from the enhanced tier (control s3-access-logging)",
        );
    }
    super::retain::apply(t, tier, &bucket);
    if tier >= Tier::Enterprise {
        // (Replication, S3.7, is the caller's: a workload's stacks replicate every bucket at
        // enterprise, `controls::replication`; the account baseline and the replicas say why
        // theirs do not. A bucket nobody decided for fails `harden check`.)
        t.res(&bucket)
            .except(
                &storage::S3_BUCKET_OBJECT_LOCK,
                "for results that must not change (batch-fargate's); versioning keeps every write here",
            )
            .control(&EVENTS_TO_EVENTBRIDGE);
        t.props(&bucket).notification_configuration = Some(b::NotificationConfiguration {
            event_bridge_configuration: Some(b::EventBridgeConfiguration {
                event_bridge_enabled: Some(true.into()),
            }),
            ..Default::default()
        });
    }
    let (arn, objects) = arns(&bucket);
    let mut statements = vec![
        Statement::deny("DenyInsecureTransport")
            .anyone()
            .actions(["s3:*"])
            .resources([arn.clone(), objects.clone()])
            .condition("Bool", "aws:SecureTransport", Expr::Bool(false)),
        // `aws:SecureTransport` lets TLS 1.0 and 1.1 through; S3 sends the version in use.
        Statement::deny("DenyTlsBelow12")
            .anyone()
            .actions(["s3:*"])
            .resources([arn, objects])
            .condition("NumericLessThan", "s3:TlsVersion", Expr::str("1.2")),
    ];
    statements.extend(spec.extra_statements);
    let policy = t.add(
        format!("{}Policy", spec.id),
        s3::BucketPolicy {
            bucket: Some(bucket.r#ref()),
            policy_document: Some(PolicyDocument::new(statements).into()),
        },
    );
    t.res(&policy).control(&SECURE_BUCKET);
    if has_logging {
        if let Some(lb) = spec.log_bucket {
            allow_log_delivery_from(t, lb, &bucket);
        }
    }
    bucket
}

/// Object Lock retention mode of a bucket's default retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Users with `s3:BypassGovernanceRetention` may shorten or remove a lock.
    Governance,
    /// Nobody, not even the root user, may shorten or remove a lock until it ends.
    Compliance,
}

impl LockMode {
    /// The S3 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }
}

/// Makes a secure bucket expire current objects after `days` (uploads that are only needed
/// for a while), in the lifecycle rule that already expires old versions.
pub fn expire_objects(t: &mut Template, bucket: &Handle<s3::Bucket>, days: i64) {
    let props = t.props(bucket);
    if let Some(rule) = props
        .lifecycle_configuration
        .as_mut()
        .and_then(|l| l.rules.as_mut())
        .and_then(|r| r.first_mut())
    {
        rule.id = Some("ExpireObjectsOldVersionsAndFailedUploads".into());
        rule.expiration_in_days = Some(days.into());
    }
    t.res(bucket)
        .note(format!("objects expire {days} days after upload"));
}

/// A lifecycle rule for the objects under one prefix of a secure bucket.
#[derive(Debug, Clone, Copy)]
pub struct PrefixRule {
    /// The rule's id.
    pub id: &'static str,
    /// The prefix (`raw/`).
    pub prefix: &'static str,
    /// Days after which objects move to S3 Standard-IA (at least 30), if they do.
    pub infrequent_after_days: Option<i64>,
    /// Days after which objects expire (a noncurrent version then follows the bucket's rule).
    pub expire_after_days: Option<i64>,
}

/// Adds lifecycle rules on prefixes of a secure bucket, after the rule that expires its old
/// versions and failed uploads (which covers every prefix).
pub fn prefix_lifecycle(t: &mut Template, bucket: &Handle<s3::Bucket>, rules: &[PrefixRule]) {
    let props = t.props(bucket);
    let Some(list) = props
        .lifecycle_configuration
        .as_mut()
        .and_then(|l| l.rules.as_mut())
    else {
        return;
    };
    for r in rules {
        list.push(b::Rule {
            id: Some(r.id.into()),
            status: Some("Enabled".into()),
            prefix: Some(r.prefix.into()),
            expiration_in_days: r.expire_after_days.map(Into::into),
            transitions: r.infrequent_after_days.map(|d| {
                vec![b::Transition {
                    storage_class: Some("STANDARD_IA".into()),
                    transition_in_days: Some(d.into()),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        });
    }
    for r in rules {
        let mut what = Vec::new();
        if let Some(d) = r.infrequent_after_days {
            what.push(format!("move to Standard-IA after {d} days"));
        }
        if let Some(d) = r.expire_after_days {
            what.push(format!("expire after {d} days"));
        }
        if !what.is_empty() {
            t.res(bucket).note(format!(
                "objects under `{}` {}",
                r.prefix,
                what.join(" and ")
            ));
        }
    }
}

/// Switches S3 Object Lock on for a secure bucket (versioned already), with a default
/// retention of `days` in `mode`: every object version written is immutable for that long.
pub fn object_lock(t: &mut Template, bucket: &Handle<s3::Bucket>, mode: LockMode, days: i64) {
    let props = t.props(bucket);
    props.object_lock_enabled = Some(true.into());
    props.object_lock_configuration = Some(b::ObjectLockConfiguration {
        object_lock_enabled: Some("Enabled".into()),
        rule: Some(b::ObjectLockRule {
            default_retention: Some(b::DefaultRetention {
                mode: Some(mode.as_str().into()),
                days: Some(days.into()),
                ..Default::default()
            }),
        }),
    });
    let r = t.res(bucket);
    r.control(&OBJECT_LOCK);
    r.exceptions
        .retain(|(rule, _)| rule.id != storage::S3_BUCKET_OBJECT_LOCK.id);
}

/// The control for Object Lock.
pub static OBJECT_LOCK: Control = Control {
    id: "s3-object-lock",
    title: "S3 Object Lock with a default retention on a bucket of results that must not change",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &["S3.15"],
};

/// The `Sid` of the log bucket's statement that lets S3 deliver access logs.
const LOG_DELIVERY_SID: &str = "S3ServerAccessLogsDelivery";

/// Names `source` in the log bucket's delivery statement (`aws:SourceArn`): S3 delivers a
/// bucket's access logs with the source bucket's ARN and account, so only the buckets that
/// log here may be delivered for. A source that exists only under a condition the log
/// bucket's policy does not have is named under that condition (`Fn::If`), so the policy
/// never names a resource that is not there.
fn allow_log_delivery_from(
    t: &mut Template,
    log_bucket: &Handle<s3::Bucket>,
    source: &Handle<s3::Bucket>,
) {
    let source_condition = t.res(source).condition.clone();
    let policy_id = format!("{}Policy", log_bucket.id());
    let Some(policy) = t.resources.get_mut(&policy_id) else {
        return;
    };
    let mut arn = source.get_att(s3::BucketAttr::Arn);
    if let Some(c) = source_condition.filter(|c| policy.condition.as_ref() != Some(c)) {
        arn = Expr::if_(c, arn, Expr::no_value());
    }
    let Some(doc) = policy
        .properties
        .as_any_mut()
        .downcast_mut::<s3::BucketPolicy>()
        .and_then(|p| p.policy_document.as_mut())
    else {
        return;
    };
    let Expr::Map(doc) = doc else { return };
    let Some(Expr::List(statements)) = doc.get_mut("Statement") else {
        return;
    };
    for st in statements {
        let Expr::Map(st) = st else { continue };
        if st.get("Sid") != Some(&Expr::str(LOG_DELIVERY_SID)) {
            continue;
        }
        let Some(Expr::Map(ops)) = st.get_mut("Condition") else {
            continue;
        };
        let op = ops
            .entry("ArnLike".to_string())
            .or_insert_with(|| Expr::Map(Default::default()));
        if let Expr::Map(keys) = op {
            let sources = keys
                .entry("aws:SourceArn".to_string())
                .or_insert_with(|| Expr::List(Vec::new()));
            if let Expr::List(items) = sources {
                items.push(arn.clone());
            }
        }
    }
}

/// Adds the bucket that receives server access logs (enhanced and up): SSE-S3 (the only
/// encryption S3 log delivery supports), versioned, private, TLS-only, writable only by the
/// S3 logging service for this account's buckets that log to it (each [`secure_bucket`]
/// logging here adds its ARN to the delivery statement). It does not record
/// [`S3_ACCESS_LOGGING`]: its claim, S3.9, is evaluated on every bucket, and this one does not
/// log (into itself it would loop), as it does not record [`BUCKET_KMS`].
pub fn access_log_bucket(t: &mut Template, tier: Tier, id: &str) -> Handle<s3::Bucket> {
    let objects = Expr::sub(format!("arn:${{AWS::Partition}}:s3:::${{{id}}}/*"));
    let h = secure_bucket(
        t,
        tier,
        BucketSpec {
            id,
            encryption: Encryption::S3Managed,
            log_bucket: None,
            extra_statements: vec![Statement::allow(LOG_DELIVERY_SID)
                .service(["logging.s3.amazonaws.com"])
                .actions(["s3:PutObject"])
                .resource(objects)
                .condition("StringEquals", "aws:SourceAccount", Expr::account_id())],
            noncurrent_days: 365,
            cors_origin: None,
        },
    );
    t.res(&h)
        .except(
            &crate::rules::storage::S3_BUCKET_ACCESS_LOGGING,
            "this is the access log bucket: logging it into itself would loop",
        )
        .except(
            &crate::rules::storage::S3_BUCKET_KMS,
            "S3 writes access logs only to SSE-S3 buckets",
        );
    h
}

/// The control for buckets a browser reaches only through presigned URLs.
pub static PRESIGNED_ONLY_BUCKET: Control = Control {
    id: "presigned-only-bucket",
    title: "S3 bucket whose objects only one role reads and writes (browsers through its short-lived presigned URLs), CORS for the configured origins only",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// Sets a bucket's CORS to exactly these origins (never `*`), for the methods a browser uses
/// with presigned URLs. An empty list leaves CORS off.
pub fn cors_origins(
    t: &mut Template,
    h: &Handle<s3::Bucket>,
    origins: &[String],
    methods: &[&str],
) {
    debug_assert!(origins.iter().all(|o| o != "*"), "CORS never allows `*`");
    t.props(h).cors_configuration = (!origins.is_empty()).then(|| b::CorsConfiguration {
        cors_rules: Some(vec![b::CorsRule {
            id: Some("ConfiguredOrigins".into()),
            allowed_methods: Some(Expr::strs(methods)),
            allowed_origins: Some(Expr::strs(origins)),
            allowed_headers: Some(Expr::strs(["Content-Type", "Content-MD5", "x-amz-*"])),
            exposed_headers: Some(Expr::strs(["ETag"])),
            max_age: Some(3000.into()),
        }]),
    });
    t.res(h).control(&PRESIGNED_ONLY_BUCKET);
}

/// The statements that hold a bucket's objects to one role: nobody else reads or writes them
/// (browsers use the role's presigned URLs, which act as the role), and a presigned URL older
/// than `max_age_secs` is refused, whatever expiry it was signed with. `bucket_id` is the
/// bucket's logical id (the statements go in its policy, before the bucket's handle exists).
pub fn presigned_only_statements(
    bucket_id: &str,
    role_arn: Expr,
    max_age_secs: i64,
) -> Vec<Statement> {
    let objects = Expr::sub(format!("arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}/*"));
    vec![
        Statement::deny("DenyObjectAccessByOthers")
            .anyone()
            .actions(["s3:GetObject", "s3:PutObject"])
            .resource(objects.clone())
            .condition("ArnNotEquals", "aws:PrincipalArn", role_arn),
        Statement::deny("DenyStalePresignedUrls")
            .anyone()
            .actions(["s3:GetObject", "s3:PutObject"])
            .resource(objects)
            .condition(
                "StringEquals",
                "s3:authType",
                Expr::str("REST-QUERY-STRING"),
            )
            .condition(
                "NumericGreaterThan",
                "s3:signatureAge",
                Expr::str((max_age_secs * 1000).to_string()),
            ),
    ]
}

#[cfg(test)]
mod presigned_tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    #[test]
    fn cors_lists_each_origin_and_never_a_wildcard() {
        let mut t = Template::new("test");
        let h = secure_bucket(
            &mut t,
            Tier::Basic,
            BucketSpec {
                id: "Input",
                encryption: Encryption::Kms(Expr::str("k")),
                log_bucket: None,
                extra_statements: presigned_only_statements("Input", Expr::str("role"), 900),
                noncurrent_days: 90,
                cors_origin: None,
            },
        );
        let origins = vec![
            "https://a.example.com".to_string(),
            "https://b.example.com".to_string(),
        ];
        cors_origins(&mut t, &h, &origins, &["GET", "PUT"]);
        let n = to_node(&t).expect("renders");
        let rule = n
            .get_path(&[
                "Resources",
                "Input",
                "Properties",
                "CorsConfiguration",
                "CorsRules",
            ])
            .and_then(Node::as_seq)
            .expect("a rule");
        let got: Vec<&str> = rule[0]
            .get_path(&["AllowedOrigins"])
            .and_then(Node::as_seq)
            .expect("origins")
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(got, ["https://a.example.com", "https://b.example.com"]);
        let policy = n
            .get_path(&[
                "Resources",
                "InputPolicy",
                "Properties",
                "PolicyDocument",
                "Statement",
            ])
            .and_then(Node::as_seq)
            .expect("policy");
        assert!(
            policy
                .iter()
                .any(|s| s.get_path(&["Sid"]).and_then(Node::as_str)
                    == Some("DenyStalePresignedUrls"))
        );
    }
}
