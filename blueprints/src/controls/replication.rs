//! Cross-region replication of a workload's buckets at enterprise (seeds 001 and 003 recommend
//! it for disaster recovery): the workload's stacks replicate every bucket they hold into a
//! second region, `replica_region`, where one more stack of the workload, the replica stack
//! ([`crate::blueprint::replica_stack_name`]), holds a replica bucket per source bucket, the
//! key that encrypts them and the role S3 replicates as.
//!
//! No stack references another across regions (CloudFormation exports are regional): every
//! name the two sides share is computed from the request alone, here, by the same functions on
//! both sides: the replica buckets' names ([`replica_bucket_name`]), the role's
//! ([`replication_role_name`]) and the replica key's alias ([`replica_key_alias`]). The role
//! is made by the replica stack with no policy of its own but the destination's; each source
//! stack adds the source permissions to it by name and names it in its key policy, so the
//! replica stack deploys before the source stacks and is destroyed after them.

use crate::blueprint::{BlueprintError, Request, StackBuilder, StackSpec, REPLICA_REGION_TAG};
use crate::cfn::generated::{iam, kms, s3};
use crate::cfn::policy::{assume_role_by, PolicyDocument, Statement};
use crate::cfn::{Expr, Template};
use crate::control::Control;
use crate::controls::kms_key::{self, kms_key, KeyUser};
use crate::controls::s3_bucket::{
    access_log_bucket, arns, object_lock, secure_bucket, BucketSpec, Encryption, LockMode,
};
use crate::params::{rules, Opt};
use crate::rules::storage;
use crate::tier::Tier;

use s3::bucket as b;

/// The control, on every replicated bucket and on what makes the replication (the role, its
/// policies, the replica key): S3.7 (Config's `s3-bucket-cross-region-replication-enabled`:
/// fails a bucket with no enabled cross-Region replication rule).
pub static CROSS_REGION_REPLICATION: Control = Control {
    id: "s3-cross-region-replication",
    title: "S3 buckets replicated to a second region (`replica_region`), into versioned, encrypted replica buckets under a key of that region",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &["S3.7"],
};

/// `replica_region`.
pub static REPLICA_REGION: Opt<rules::AwsRegion> = Opt::new(
    "replica_region",
    "at enterprise (required there), the second region the workload's buckets replicate to: a replica stack there holds a replica of each bucket, their KMS key and the replication role; it must not be the region deployed to (ignored below enterprise)",
    &rules::AwsRegion,
);

/// What the replica stack is for, in listings.
pub const REPLICA_PURPOSE: &str =
    "replicas of the workload's buckets in `replica_region`: KMS key, replica buckets, replication role";

/// What a render at `tier` needs of this module: `replica_region` at enterprise.
pub fn required_example(tier: Tier) -> Vec<(&'static str, &'static str)> {
    if CROSS_REGION_REPLICATION.on(tier) {
        vec![(REPLICA_REGION.spec.name, "us-west-2")]
    } else {
        Vec::new()
    }
}

/// The logical ids of a template's buckets, in template order.
fn bucket_ids(t: &Template) -> Vec<String> {
    t.resources
        .iter()
        .filter(|(_, r)| r.type_name() == <s3::Bucket as crate::cfn::ResourceKind>::TYPE)
        .map(|(id, _)| id.clone())
        .collect()
}

/// Records why the buckets of a template do not replicate, at enterprise (where S3.7 is
/// checked): for stacks whose buckets must stay in their region (the account baseline's).
pub fn not_replicated(t: &mut Template, tier: Tier, reason: &str) {
    if !CROSS_REGION_REPLICATION.on(tier) {
        return;
    }
    let ids = bucket_ids(t);
    for id in ids {
        if let Some(r) = t.resources.get_mut(&id) {
            r.except(&storage::S3_BUCKET_REPLICATION, reason);
        }
    }
}

/// A blueprint's stack purposes at `tier` with the replica stack's first at enterprise.
pub fn purposes(tier: Tier, mut own: Vec<&'static str>) -> Vec<&'static str> {
    if CROSS_REGION_REPLICATION.on(tier) {
        own.insert(0, REPLICA_PURPOSE);
    }
    own
}

/// The replication of a request at enterprise: where to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replication {
    /// The workload's name (`--name`): the role and the replica stack derive from it.
    pub name: String,
    /// The region the replicas are in.
    pub region: String,
    /// The fixed name of the role S3 replicates as ([`replication_role_name`]).
    pub role_name: String,
}

impl Replication {
    /// The replication a request asks for: `None` below enterprise, an error at enterprise
    /// without `replica_region`.
    pub fn of(req: &Request) -> Result<Option<Replication>, BlueprintError> {
        if !CROSS_REGION_REPLICATION.on(req.tier) {
            return Ok(None);
        }
        match req.get(&REPLICA_REGION) {
            Some(region) => {
                let role_name = replication_role_name(&req.name, &region).ok_or_else(|| {
                    BlueprintError::Invalid(format!(
                        "stack name `{}` is too long to replicate: the replication role `{}-{region}-HASH` must be at most {ROLE_NAME_MAX} characters\nhint: use a name of at most {} characters",
                        req.name,
                        crate::blueprint::replica_stack_name(&req.name),
                        ROLE_NAME_MAX - (1 + 7 + 1 + region.len() + 1 + 8)
                    ))
                })?;
                Ok(Some(Replication {
                    name: req.name.clone(),
                    region,
                    role_name,
                }))
            }
            None => Err(BlueprintError::Invalid(format!(
                "the {} tier replicates the workload's buckets to a second region, and `replica_region` names none; without it, a region's loss loses the data\nhint: add `--param replica_region=us-west-2` (a region other than the one deployed to)",
                req.tier
            ))),
        }
    }

    /// `arn:${AWS::Partition}:iam::${AWS::AccountId}:role/NAME`: the role as a source stack
    /// names it, without a reference to the replica stack.
    pub fn role_arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{}",
            self.role_name
        ))
    }
}

/// The note a request below enterprise gets when it gives `replica_region`.
pub fn ignored_note(req: &Request) -> Option<String> {
    (!CROSS_REGION_REPLICATION.on(req.tier) && req.given(&REPLICA_REGION)).then(|| {
        format!(
            "`replica_region` does nothing below enterprise: at tier `{}` the buckets are versioned but not replicated\nhint: leave it out, or deploy at `--tier enterprise` to replicate",
            req.tier
        )
    })
}

/// A stable 64-bit FNV-1a hash: the same on every platform and every run (never a
/// `HashMap`'s seeded hasher), so a name computed from it never changes.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            // A byte no stack name, logical id or region holds: (`ab`, `c`) is not (`a`, `bc`).
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for byte in p.bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The first 8 hex digits of [`fnv1a`].
fn short_hash(parts: &[&str]) -> String {
    format!("{:016x}", fnv1a(parts))[..8].to_string()
}

/// The longest S3 bucket name.
const BUCKET_NAME_MAX: usize = 63;
/// The length of `${AWS::AccountId}` once resolved.
const ACCOUNT_ID_LEN: usize = 12;
/// The longest IAM role name.
const ROLE_NAME_MAX: usize = 64;

/// The fixed name of the replica of bucket `logical_id` of stack `source_stack`, in
/// `region`: `STACK-ID-ACCOUNT-REGION-HASH`, the stack name lowercased and whole (the
/// CloudFormation service role of `harden bootstrap` manages the buckets named after the
/// project's stacks, `STACK-*`), the logical id lowercased and cut to fit, the account, the
/// region and 8 hex digits of a stable hash of the stack name and the logical id, so two
/// buckets, two stacks (names differing only in case too) or two accounts never get the same
/// name. `Fn::Sub` with `${AWS::AccountId}`: both stacks compute it, neither references the
/// other. `None` when the stack name leaves no room in S3's 63 characters.
pub fn replica_bucket_name(source_stack: &str, logical_id: &str, region: &str) -> Option<Expr> {
    replica_bucket_name_text(source_stack, logical_id, region).map(Expr::sub)
}

/// [`replica_bucket_name`]'s text, `${AWS::AccountId}` unresolved.
fn replica_bucket_name_text(source_stack: &str, logical_id: &str, region: &str) -> Option<String> {
    let hash = short_hash(&[source_stack, logical_id]);
    let stack = source_stack.to_ascii_lowercase();
    // STACK-ID-ACCOUNT-REGION-HASH, with at least 3 characters of the id.
    let fixed = stack.len() + 1 + 1 + ACCOUNT_ID_LEN + 1 + region.len() + 1 + hash.len();
    let room = BUCKET_NAME_MAX.checked_sub(fixed).filter(|r| *r >= 3)?;
    // Names S3 reserves.
    if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| stack.starts_with(p))
    {
        return None;
    }
    let mut id: String = logical_id
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    id.truncate(room);
    Some(format!("{stack}-{id}-${{AWS::AccountId}}-{region}-{hash}"))
}

/// The fixed name of the replication role of workload `name` replicating to `region`:
/// `NAME-replica-REGION-HASH`, named after the replica stack that makes it (the service role
/// manages `STACK-*` roles), with 8 hex digits of a stable hash of the name (case-sensitive:
/// IAM names are not) and the region. IAM is global: the region keeps two replica stacks of
/// one workload (to two regions) apart, and a replica stack exists once per account, region
/// and name, as its role does. `None` when the name leaves no room in IAM's 64 characters.
pub fn replication_role_name(name: &str, region: &str) -> Option<String> {
    let hash = short_hash(&[name, region]);
    let role = format!(
        "{}-{region}-{hash}",
        crate::blueprint::replica_stack_name(name)
    );
    (role.len() <= ROLE_NAME_MAX).then_some(role)
}

/// The replica key's alias, without `alias/`: `harden/NAME-replica`.
pub fn replica_key_alias(name: &str) -> String {
    format!("harden/{name}-replica")
}

/// The replica key's alias ARN in `region`, as a source bucket's replication rule names it.
fn replica_key_alias_arn(name: &str, region: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:kms:{region}:${{AWS::AccountId}}:alias/{}",
        replica_key_alias(name)
    ))
}

/// One replicated bucket of a source stack: what its replica needs to match it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The source stack.
    pub stack: String,
    /// The bucket's logical id there.
    pub id: String,
    /// Whether its objects are SSE-KMS (the access-log bucket's are SSE-S3).
    pub kms: bool,
    /// Its Object Lock default retention, which the replica must have too.
    pub lock: Option<(LockMode, i64)>,
    /// Days before its noncurrent versions expire.
    pub noncurrent_days: i64,
    /// Its replica's fixed name ([`replica_bucket_name`]'s text): computed once, for both
    /// the source's replication rule and the replica bucket.
    pub replica_name: String,
}

/// The key logical id of an SSE-KMS bucket whose key is `GetAtt KEY.Arn` of its template.
fn bucket_key_id(bucket: &s3::Bucket) -> Option<String> {
    let rule = bucket
        .bucket_encryption
        .as_ref()?
        .server_side_encryption_configuration
        .as_ref()?
        .first()?;
    match rule
        .server_side_encryption_by_default
        .as_ref()?
        .kms_master_key_id
        .as_ref()?
    {
        Expr::GetAtt(id, attr) if attr == "Arn" => Some(id.clone()),
        _ => None,
    }
}

fn lock_of(bucket: &s3::Bucket) -> Option<(LockMode, i64)> {
    let retention = bucket
        .object_lock_configuration
        .as_ref()?
        .rule
        .as_ref()?
        .default_retention
        .as_ref()?;
    let mode = match retention.mode.as_ref()? {
        Expr::Str(m) if m == LockMode::Compliance.as_str() => LockMode::Compliance,
        _ => LockMode::Governance,
    };
    match retention.days.as_ref()? {
        Expr::Int(d) => Some((mode, *d)),
        _ => None,
    }
}

fn noncurrent_days_of(bucket: &s3::Bucket) -> Option<i64> {
    let rule = bucket
        .lifecycle_configuration
        .as_ref()?
        .rules
        .as_ref()?
        .first()?;
    match rule
        .noncurrent_version_expiration
        .as_ref()?
        .noncurrent_days
        .as_ref()?
    {
        Expr::Int(d) => Some(*d),
        _ => None,
    }
}

/// Replicates every bucket of a source template to its replica in `rep.region`: a
/// replication rule on each (all objects, the SSE-KMS ones re-encrypted under the replica
/// key), the source half of the role's permissions as a policy on the role (by name), and
/// `kms:Decrypt` for the role in the policy of each key the buckets use. Returns the buckets,
/// in template order, for [`replica_stack`].
pub fn replicate(
    t: &mut Template,
    stack: &str,
    rep: &Replication,
) -> Result<Vec<Source>, BlueprintError> {
    let ids = bucket_ids(t);
    let mut sources = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let (mut buckets, mut objects) = (Vec::new(), Vec::new());
    for id in ids {
        let Some(h) = t.handle::<s3::Bucket>(&id) else {
            continue;
        };
        // A bucket that exists only under a condition would need the rule, the role's
        // permissions and its replica under that condition too: none of harden's workloads
        // has one, and it is left unreplicated (so `harden check` reports it) rather than
        // named where it may not exist.
        if t.res(&h).condition.is_some() {
            continue;
        }
        let replica_name =
            replica_bucket_name_text(stack, &id, &rep.region).ok_or_else(|| {
                BlueprintError::Invalid(format!(
                    "stack name `{stack}` cannot name the replica of its bucket `{id}`: a replica bucket is named `STACK-BUCKET-ACCOUNT-REGION-HASH`, at most {BUCKET_NAME_MAX} characters, and may not start with `xn--` or `sthree-`\nhint: use a shorter `--name`"
                ))
            })?;
        let props = t.props(&h);
        let key = bucket_key_id(props);
        let kms = key.is_some();
        let lock = lock_of(props);
        let noncurrent_days = noncurrent_days_of(props).unwrap_or(90);
        props.replication_configuration = Some(b::ReplicationConfiguration {
            role: Some(rep.role_arn()),
            rules: Some(vec![b::ReplicationRule {
                id: Some(format!("ReplicateTo-{}", rep.region).into()),
                status: Some("Enabled".into()),
                priority: Some(0.into()),
                filter: Some(b::ReplicationRuleFilter {
                    prefix: Some("".into()),
                    ..Default::default()
                }),
                // A disaster-recovery copy keeps what a delete removes here: a delete marker
                // (a delete by a person, a compromised role or a lifecycle rule) stays in the
                // source region, and the replica keeps the object.
                delete_marker_replication: Some(b::DeleteMarkerReplication {
                    status: Some("Disabled".into()),
                }),
                destination: Some(b::ReplicationDestination {
                    bucket: Some(Expr::sub(format!(
                        "arn:${{AWS::Partition}}:s3:::{replica_name}"
                    ))),
                    encryption_configuration: kms.then(|| b::EncryptionConfiguration {
                        replica_kms_key_id: Some(replica_key_alias_arn(&rep.name, &rep.region)),
                    }),
                    ..Default::default()
                }),
                source_selection_criteria: kms.then(|| b::SourceSelectionCriteria {
                    sse_kms_encrypted_objects: Some(b::SseKmsEncryptedObjects {
                        status: Some("Enabled".into()),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
        });
        let r = t.res(&h);
        r.exceptions
            .retain(|(rule, _)| rule.id != storage::S3_BUCKET_REPLICATION.id);
        r.control(&CROSS_REGION_REPLICATION);
        let (arn, objs) = arns(&h);
        buckets.push(arn);
        objects.push(objs);
        if let Some(k) = key {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        sources.push(Source {
            stack: stack.to_string(),
            id,
            kms,
            lock,
            noncurrent_days,
            replica_name,
        });
    }
    if sources.is_empty() {
        return Ok(sources);
    }
    let mut object_actions = vec![
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionTagging",
    ];
    if sources.iter().any(|s| s.lock.is_some()) {
        // An object's retention and legal hold replicate with it (to a locked replica).
        object_actions.extend(["s3:GetObjectLegalHold", "s3:GetObjectRetention"]);
    }
    let mut statements = vec![
        Statement::allow("ReadReplicationConfiguration")
            .actions(["s3:GetReplicationConfiguration", "s3:ListBucket"])
            .resources(buckets),
        Statement::allow("ReadObjectVersionsToReplicate")
            .actions(object_actions)
            .resources(objects),
    ];
    let key_arns: Vec<Expr> = keys
        .iter()
        .map(|k| Expr::GetAtt(k.clone(), "Arn".into()))
        .collect();
    if !key_arns.is_empty() {
        statements.push(
            Statement::allow("DecryptObjectsToReplicate")
                .actions(["kms:Decrypt"])
                .resources(key_arns)
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                ),
        );
    }
    let policy = t.add(
        "ReplicationSourcePolicy",
        iam::RolePolicy {
            policy_name: Some(Expr::sub("${AWS::StackName}-replication-source")),
            role_name: Some(rep.role_name.clone().into()),
            policy_document: Some(PolicyDocument::new(statements).into()),
        },
    );
    t.res(&policy).control(&CROSS_REGION_REPLICATION);
    for k in &keys {
        let Some(h) = t.handle::<kms::Key>(k) else {
            continue;
        };
        kms_key::grant(t, &h, &[KeyUser::ReplicationSource(rep.role_arn())]);
        t.res(&h).control(&CROSS_REGION_REPLICATION);
    }
    Ok(sources)
}

/// A logical id part from a stack name's suffix after the workload's name (`app-data`:
/// `Data`), empty for the workload's own.
fn stack_part(name: &str, stack: &str) -> String {
    // Stack names hold letters, digits and hyphens only.
    kms_key::pascal(stack.strip_prefix(name).unwrap_or(stack))
}

/// The logical id of the replica of `source` in the replica stack.
pub fn replica_logical_id(name: &str, source: &Source) -> String {
    format!("{}{}Replica", stack_part(name, &source.stack), source.id)
}

/// Adds replication to the stacks of a request and returns them in deployment order: at
/// enterprise, every bucket of every stack replicates (see [`replicate`]), each stack that
/// holds one is tagged with [`REPLICA_REGION_TAG`] and follows the replica stack, which comes
/// first; below enterprise the stacks are built as they are, the first noting that
/// `replica_region` does nothing there.
pub fn with_replicas(
    req: &Request,
    blueprint: &'static str,
    mut stacks: Vec<StackBuilder>,
) -> Result<Vec<StackSpec>, BlueprintError> {
    let Some(rep) = Replication::of(req)? else {
        if let (Some(note), Some(first)) = (ignored_note(req), stacks.first_mut()) {
            first.push_note(note);
        }
        return Ok(stacks.into_iter().map(StackBuilder::build).collect());
    };
    let replica_name = crate::blueprint::replica_stack_name(&req.name);
    let mut sources = Vec::new();
    let mut out = Vec::new();
    for mut s in stacks {
        let name = s.name().to_string();
        let these = replicate(s.template_mut(), &name, &rep)?;
        let replicating = !these.is_empty();
        sources.extend(these);
        let s = if replicating {
            s.after(replica_name.clone())
        } else {
            s
        };
        let mut spec = s.build();
        if replicating {
            spec.tags
                .insert(REPLICA_REGION_TAG.to_string(), rep.region.clone());
        }
        out.push(spec);
    }
    if sources.is_empty() {
        return Ok(out);
    }
    out.insert(0, replica_stack(blueprint, req.tier, &rep, &sources));
    Ok(out)
}

/// The replica stack: in `rep.region`, the replica key (alias [`replica_key_alias`]), a
/// replica bucket per source bucket (named [`replica_bucket_name`], encrypted with the replica
/// key, logging into the stack's own access-log bucket, with the source's Object Lock
/// retention), and the replication role (named [`replication_role_name`], trusted by S3 for
/// this account only) with the destination half of its permissions.
pub fn replica_stack(
    blueprint: &'static str,
    tier: Tier,
    rep: &Replication,
    sources: &[Source],
) -> StackSpec {
    let mut t = Template::new(format!(
        "harden {blueprint} ({tier}) replicas: the workload's buckets replicated to {}",
        rep.region
    ));
    let role_id = "ReplicationRole";
    let role = t.add(
        role_id,
        iam::Role {
            role_name: Some(rep.role_name.clone().into()),
            assume_role_policy_document: Some(assume_role_by("s3.amazonaws.com", true)),
            description: Some(
                format!(
                    "S3 replication of {}'s buckets into their replicas in {}",
                    rep.name, rep.region
                )
                .into(),
            ),
            max_session_duration: Some(3600.into()),
            ..Default::default()
        },
    );
    t.res(&role).control(&CROSS_REGION_REPLICATION);
    let role_arn = role.get_att(iam::RoleAttr::Arn);
    let key_id = "ReplicaKey";
    let key = kms_key(
        &mut t,
        tier,
        key_id,
        &replica_key_alias(&rep.name),
        &format!("Encrypts the replicas of {}'s buckets", rep.name),
        &[
            KeyUser::ViaService("s3"),
            KeyUser::ReplicaDestination {
                role: role_arn,
                region: rep.region.clone(),
            },
        ],
    );
    t.res(&key).control(&CROSS_REGION_REPLICATION);
    let key_arn = key.get_att(kms::KeyAttr::Arn);
    let log_bucket = access_log_bucket(&mut t, tier, "AccessLogBucket");
    t.res(&log_bucket).except(
        &storage::S3_BUCKET_REPLICATION,
        format!(
            "this bucket holds the access logs of the replicas in {}: the replicas are the second-region copy, and a copy of their logs would need a third region",
            rep.region
        ),
    );
    let mut objects = Vec::new();
    for s in sources {
        let id = replica_logical_id(&rep.name, s);
        let h = secure_bucket(
            &mut t,
            tier,
            BucketSpec {
                id: &id,
                encryption: Encryption::Kms(key_arn.clone()),
                log_bucket: Some(&log_bucket),
                extra_statements: Vec::new(),
                noncurrent_days: s.noncurrent_days,
                cors_origin: None,
            },
        );
        t.props(&h).bucket_name = Some(Expr::sub(&s.replica_name));
        if let Some((mode, days)) = s.lock {
            object_lock(&mut t, &h, mode, days);
        }
        t.res(&h).except(
            &storage::S3_BUCKET_REPLICATION,
            format!(
                "this bucket is the replica of `{}` of stack `{}`, in {}: replicating a replica again would copy it to a third region",
                s.id, s.stack, rep.region
            ),
        );
        objects.push(arns(&h).1);
    }
    let policy = t.add(
        "ReplicationDestinationPolicy",
        iam::RolePolicy {
            policy_name: Some("replication-destination".into()),
            role_name: Some(role.r#ref()),
            policy_document: Some(
                PolicyDocument::new([Statement::allow("WriteReplicas")
                    // No `s3:ReplicateDelete`: delete markers are not replicated (the rules
                    // say so), and without it the role could not replicate one anyway.
                    .actions(["s3:ReplicateObject", "s3:ReplicateTags"])
                    .resources(objects)])
                .into(),
            ),
        },
    );
    t.res(&policy).control(&CROSS_REGION_REPLICATION);
    t.output(
        "ReplicationRoleArn",
        "The role S3 replicates the workload's buckets as",
        role.get_att(iam::RoleAttr::Arn),
        None,
    );
    StackBuilder::new(
        blueprint,
        tier,
        crate::blueprint::replica_stack_name(&rep.name),
        t,
    )
    .purpose(REPLICA_PURPOSE)
    .region(rep.region.clone())
    .note(format!(
        "the replica stack deploys to {} before the workload's stacks (they name its role) and is destroyed after them; its buckets are retained",
        rep.region
    ))
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a name is once CloudFormation resolves `${AWS::AccountId}`.
    fn resolved(e: &Expr) -> String {
        match e {
            Expr::Sub(s, vars) if vars.is_empty() => s.replace("${AWS::AccountId}", "123456789012"),
            other => panic!("not an Fn::Sub: {other:?}"),
        }
    }

    fn valid_bucket_name(n: &str) -> bool {
        n.len() >= 3
            && n.len() <= 63
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && n.starts_with(|c: char| c.is_ascii_alphanumeric())
            && n.ends_with(|c: char| c.is_ascii_alphanumeric())
            && !n.starts_with("xn--")
            && !n.starts_with("sthree-")
    }

    /// Every replica name is a valid bucket name (<= 63, `[a-z0-9-]`) that starts with its
    /// stack's name (what the bootstrap's service role manages), for the longest stack names
    /// and regions that fit; two stacks (by case too), two buckets or two regions never share
    /// one; a name that cannot fit, or that S3 reserves, is refused rather than cut.
    #[test]
    fn replica_bucket_names_are_valid_short_and_unique() {
        let longest = format!("a{}", "b".repeat(19));
        let stacks = ["app", "App", "app-data", "APP-DATA-2", longest.as_str()];
        let ids = [
            "InputBucket",
            "OutputBucket",
            "AccessLogBucket",
            "DataLakeBucket",
        ];
        let regions = ["us-west-2", "ap-southeast-4", "us-gov-west-1"];
        let mut seen = std::collections::BTreeSet::new();
        for s in stacks {
            for id in ids {
                for r in regions {
                    let n = resolved(&replica_bucket_name(s, id, r).expect("fits"));
                    assert!(valid_bucket_name(&n), "{s} {id} {r}: `{n}`");
                    assert!(
                        n.starts_with(&format!("{}-", s.to_ascii_lowercase())),
                        "{n}"
                    );
                    assert!(n.contains(r), "{n}");
                    assert!(seen.insert(n.clone()), "two replicas named `{n}`");
                }
            }
        }
        assert_eq!(
            resolved(&replica_bucket_name("app", "InputBucket", "us-west-2").unwrap()),
            format!(
                "app-inputbucket-123456789012-us-west-2-{}",
                short_hash(&["app", "InputBucket"])
            )
        );
        let too_long = "a".repeat(30);
        assert!(replica_bucket_name(&too_long, "InputBucket", "ap-southeast-4").is_none());
        assert!(replica_bucket_name("xn--app", "InputBucket", "us-west-2").is_none());
        assert!(replica_bucket_name("sthree-app", "InputBucket", "us-west-2").is_none());
    }

    /// Role names fit IAM's 64 characters and its charset, start with the replica stack's
    /// name, differ by workload (by case too: IAM names are not case-sensitive) and region, and
    /// a name that cannot fit is refused.
    #[test]
    fn replication_role_names_fit_and_differ() {
        let long = "a".repeat(30);
        let mut seen = std::collections::BTreeSet::new();
        for n in ["app", "App", "app-data", long.as_str()] {
            for r in ["us-west-2", "ap-southeast-4"] {
                let role = replication_role_name(n, r).expect("fits");
                assert!(role.len() <= 64, "{role}");
                assert!(role.starts_with(&format!("{n}-replica-{r}-")), "{role}");
                assert!(
                    role.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)),
                    "{role}"
                );
                assert!(seen.insert(role.to_ascii_lowercase()), "{role}");
            }
        }
        assert!(replication_role_name(&"a".repeat(40), "ap-southeast-4").is_none());
    }

    #[test]
    fn the_hash_separates_its_parts() {
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
