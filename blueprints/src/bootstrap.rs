//! The bootstrap stack (`harden-bootstrap-PROJECT`, once per project, account and region):
//! what deploys need beside the stacks themselves.
//!
//! - A KMS key (rotated, its policy naming the account's principals through S3 only) and the
//!   **artifact bucket** it encrypts: a secure bucket (versioning, public access block, TLS 1.2+
//!   only, access logging from enhanced into its own log bucket). Template bodies are uploaded
//!   content-addressed, and CloudFormation reads one only when a change set is created, so
//!   objects expire [`ARTIFACT_DAYS`] days after upload (a quarter of plans kept for review;
//!   re-uploading the same content makes a new one) and replaced versions after
//!   [`NONCURRENT_DAYS`].
//! - The **CloudFormation service role** `harden-PROJECT-cfn-REGION`, trusted by CloudFormation
//!   for this account's project stacks only (`aws:SourceAccount`, and `aws:SourceArn` on the
//!   stacks' ARNs: CloudFormation's confused-deputy guide says it sends the ARN of the stack it
//!   acts for), with the computed policy ([`crate::iam_policy::service_role_policy`]) split into
//!   managed policies under IAM's size limit.
//! - With GitHub CI: the GitHub OIDC provider (unless one exists in the account), a **plan
//!   role** `harden-PROJECT-plan-REGION` (pull requests and the branch: read the stacks, create,
//!   describe and delete change sets) and a **deploy role** `harden-PROJECT-ci-REGION` (the
//!   branch and the deploy environments: also execute change sets, set termination protection
//!   and stack policies). Both may only create change sets that run as the service role
//!   (`cloudformation:RoleArn`), pass no other role, and use the artifact bucket and its key
//!   (through S3 only). Neither may delete a stack.

use crate::blueprint::{StackBuilder, StackSpec};
use crate::cfn::generated::iam;
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::controls::iam_role::LEAST_PRIVILEGE_ROLE;
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::s3_bucket::{
    access_log_bucket, arns, expire_objects, secure_bucket, BucketSpec, Encryption,
    S3_ACCESS_LOGGING,
};
use crate::iam_policy::{self, MANAGED_POLICY_MAX};
use crate::tier::Tier;

/// The bootstrap stack's `harden:blueprint` tag.
pub const BOOTSTRAP_BLUEPRINT: &str = "harden-bootstrap";
/// Days after upload that an artifact (a template body) expires.
pub const ARTIFACT_DAYS: i64 = 90;
/// Days after it is replaced that an artifact's old version expires.
pub const NONCURRENT_DAYS: i64 = 30;
/// GitHub Actions' OIDC issuer.
pub const GITHUB_OIDC_URL: &str = "https://token.actions.githubusercontent.com";
/// The audience GitHub's tokens carry for AWS (`aws-actions/configure-aws-credentials`).
pub const GITHUB_AUDIENCE: &str = "sts.amazonaws.com";
/// IAM's default quota of managed policies attached to one role.
const MAX_POLICIES_PER_ROLE: usize = 10;

/// CI on GitHub Actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubCi {
    /// `owner/repo`
    pub repository: String,
    /// The branch that deploys (`main`).
    pub branch: String,
    /// The GitHub environments deploy jobs run in (one per harden environment with
    /// `approval: review`; may be empty).
    pub environments: Vec<String>,
}

/// What the bootstrap stack is built from.
#[derive(Debug, Clone)]
pub struct BootstrapSpec {
    /// The project name (`default` without a project file).
    pub project: String,
    /// The service role's policy, in its `Fn::Sub` form
    /// ([`crate::iam_policy::Arns::Variables`]).
    pub service_policy: PolicyDocument,
    /// The names of the stacks the service role and the CI roles may drive.
    pub stacks: Vec<String>,
    /// The region of each of them that is not the bootstrap stack's own (a replica stack in
    /// `replica_region`): its ARNs name that region. The one service role drives it there.
    pub regions: std::collections::BTreeMap<String, String>,
    /// GitHub CI, if the project has it.
    pub github: Option<GithubCi>,
    /// The account's GitHub OIDC provider, if it exists already (IAM holds one per issuer and
    /// account: a second project in the account names the first one's).
    pub existing_oidc_provider_arn: Option<String>,
    /// The tier the bootstrap stack is hardened to.
    pub tier: Tier,
    /// The stack sets the CI roles may drive, for an environment that deploys the account
    /// baseline across an Organization (`organization:` in the project file).
    pub stack_sets: Option<StackSetCi>,
}

/// The stack sets of an organization environment, for its CI roles: the plan role reads them
/// and their instances, the deploy role also changes them
/// ([`crate::iam_policy::stack_set_policy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetCi {
    /// The stack sets' names.
    pub names: Vec<String>,
    /// With self-managed permissions, the administration role the deploy role may pass to
    /// CloudFormation (an ARN, `${AWS::...}` variables allowed); `None` with service-managed.
    pub administration_role: Option<String>,
}

/// A bootstrap request harden cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BootstrapError {
    /// A value is malformed.
    #[error("{what} `{value}` is not valid: {rule}\nhint: {hint}")]
    Invalid {
        /// What the value is.
        what: &'static str,
        /// The value.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// The service policy needs more managed policies than a role can hold.
    #[error("the service role's policy needs {0} managed policies, more than the {MAX_POLICIES_PER_ROLE} IAM attaches to one role\nhint: deploy fewer stacks from one project")]
    PolicyTooLarge(usize),
}

/// The bootstrap stack's name.
pub fn stack_name(project: &str) -> String {
    format!("harden-bootstrap-{project}")
}

fn role_name(project: &str, kind: &str) -> Expr {
    Expr::sub(format!("harden-{project}-{kind}-${{AWS::Region}}"))
}

fn stack_arn(name: &str, region: Option<&String>) -> Expr {
    let region = region.map_or("${AWS::Region}", String::as_str);
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:{region}:${{AWS::AccountId}}:stack/{name}/*"
    ))
}

fn invalid(
    what: &'static str,
    value: &str,
    rule: &'static str,
    hint: &'static str,
) -> BootstrapError {
    BootstrapError::Invalid {
        what,
        value: value.to_string(),
        rule,
        hint,
    }
}

fn check(spec: &BootstrapSpec) -> Result<(), BootstrapError> {
    let p = &spec.project;
    let ok = p.len() <= 30
        && p.starts_with(|c: char| c.is_ascii_lowercase())
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(invalid(
            "project",
            p,
            "it must match [a-z][a-z0-9-]{0,29}",
            "rename `project` in harden.yaml",
        ));
    }
    if spec.stacks.is_empty() {
        return Err(invalid(
            "stacks",
            "",
            "the bootstrap needs at least one stack to drive",
            "list the project's stacks in harden.yaml",
        ));
    }
    for s in &spec.stacks {
        let ok = s.len() <= 128
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(invalid(
                "stack name",
                s,
                "a stack name is letters, digits and `-`, starting with a letter, at most 128 characters",
                "choose another stack `name`",
            ));
        }
    }
    if let Some(g) = &spec.github {
        let parts: Vec<&str> = g.repository.split('/').collect();
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if parts.len() != 2 || !parts.iter().all(|p| name_ok(p)) {
            return Err(invalid(
                "GitHub repository",
                &g.repository,
                "it must be `owner/repo`",
                "set `ci.github.repository` to the repository's `owner/name`",
            ));
        }
        // The values go into a `StringEquals` on the token's `sub`: no wildcard, no separator.
        let ref_ok = |s: &str| {
            !s.is_empty()
                && !s.contains(['*', '?', ':', ' '])
                && s.bytes().all(|b| b.is_ascii_graphic())
        };
        if !ref_ok(&g.branch) {
            return Err(invalid(
                "branch",
                &g.branch,
                "it must be one branch name, without `*`, `?`, `:` or spaces",
                "set `ci.github.branch` to the branch that deploys",
            ));
        }
        for e in &g.environments {
            if !ref_ok(e) {
                return Err(invalid(
                    "GitHub environment",
                    e,
                    "it must be one name, without `*`, `?`, `:` or spaces",
                    "rename the environment in harden.yaml",
                ));
            }
        }
    }
    if let Some(arn) = &spec.existing_oidc_provider_arn {
        let ok = arn.starts_with("arn:")
            && arn.ends_with(":oidc-provider/token.actions.githubusercontent.com")
            && arn.split(':').count() == 6;
        if !ok {
            return Err(invalid(
                "OIDC provider ARN",
                arn,
                "it must be `arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com`",
                "copy the ARN of the account's GitHub provider from `aws iam list-open-id-connect-providers`",
            ));
        }
    }
    Ok(())
}

/// The bootstrap stack: see the module documentation.
pub fn bootstrap_stack(spec: &BootstrapSpec) -> Result<StackSpec, BootstrapError> {
    check(spec)?;
    let BootstrapSpec {
        project,
        service_policy,
        stacks,
        regions,
        github,
        existing_oidc_provider_arn,
        tier,
        stack_sets,
    } = spec;
    let stack_arns: Vec<Expr> = stacks
        .iter()
        .map(|s| stack_arn(s, regions.get(s)))
        .collect();
    let mut other_regions: Vec<&String> = regions.values().collect();
    other_regions.sort();
    other_regions.dedup();
    let tier = *tier;
    let mut t = Template::new(format!(
        "harden bootstrap of project {project}: the artifact bucket, the CloudFormation service role{}",
        if github.is_some() {
            " and the GitHub CI roles"
        } else {
            ""
        }
    ));

    let key = kms_key(
        &mut t,
        tier,
        "ArtifactKey",
        &format!("harden/{project}/artifacts"),
        &format!("Encrypts the artifacts of harden project {project}"),
        &[KeyUser::ViaService("s3")],
    );
    let key_arn = key.get_att(crate::cfn::generated::kms::KeyAttr::Arn);
    let log_bucket = S3_ACCESS_LOGGING
        .on(tier)
        .then(|| access_log_bucket(&mut t, tier, "AccessLogBucket"));
    let bucket = secure_bucket(
        &mut t,
        tier,
        BucketSpec {
            id: "ArtifactBucket",
            encryption: Encryption::Kms(key_arn.clone()),
            log_bucket: log_bucket.as_ref(),
            extra_statements: Vec::new(),
            noncurrent_days: NONCURRENT_DAYS,
            cors_origin: None,
        },
    );
    expire_objects(&mut t, &bucket, ARTIFACT_DAYS);
    crate::controls::replication::not_replicated(
        &mut t,
        tier,
        "the bootstrap stack is deployed once per account and region, and its artifacts (template bodies and code harden uploads, content-addressed and expiring) are rebuilt from the project by the next deploy: nothing here needs a copy in another region",
    );

    // The service role.
    let trust = Statement::allow("TrustCloudFormationForProjectStacks")
        .service(["cloudformation.amazonaws.com"])
        .actions(["sts:AssumeRole"])
        .condition("StringEquals", "aws:SourceAccount", Expr::account_id())
        .condition("ArnLike", "aws:SourceArn", Expr::List(stack_arns.clone()));
    let service_role = t.add(
        "ServiceRole",
        iam::Role {
            role_name: Some(role_name(project, "cfn")),
            assume_role_policy_document: Some(PolicyDocument::new([trust]).into()),
            description: Some(
                format!("CloudFormation service role of harden project {project}").into(),
            ),
            max_session_duration: Some(3600.into()),
            ..Default::default()
        },
    );
    t.res(&service_role)
        .control(&LEAST_PRIVILEGE_ROLE)
        .note("its policy is computed from the resource schemas' handler permissions of the project's resource types (harden iam-policy shows it)");
    let parts = iam_policy::split(service_policy, MANAGED_POLICY_MAX);
    if parts.len() > MAX_POLICIES_PER_ROLE {
        return Err(BootstrapError::PolicyTooLarge(parts.len()));
    }
    for (i, doc) in parts.iter().enumerate() {
        let id = if i == 0 {
            "ServiceRolePolicy".to_string()
        } else {
            format!("ServiceRolePolicy{}", i + 1)
        };
        managed_policy(
            &mut t,
            &id,
            &format!(
                "CloudFormation service role of {project}, part {} of {}",
                i + 1,
                parts.len()
            ),
            doc.clone(),
            &service_role,
        );
    }
    let service_role_arn = service_role.get_att(iam::RoleAttr::Arn);

    t.output(
        "ArtifactBucket",
        "The artifact bucket's name",
        bucket.r#ref(),
        None,
    );
    t.output(
        "ArtifactKeyArn",
        "The KMS key that encrypts the artifacts",
        key_arn.clone(),
        None,
    );
    t.output(
        "ServiceRoleArn",
        "The CloudFormation service role",
        service_role_arn.clone(),
        None,
    );

    if let Some(g) = github {
        let provider = match existing_oidc_provider_arn {
            Some(arn) => Expr::str(arn),
            None => {
                let p = t.add(
                    "GithubOidcProvider",
                    iam::OIDCProvider {
                        url: Some(GITHUB_OIDC_URL.into()),
                        client_id_list: Some(Expr::strs([GITHUB_AUDIENCE])),
                        ..Default::default()
                    },
                );
                t.res(&p).control(&LEAST_PRIVILEGE_ROLE).note(
                    "IAM verifies GitHub's tokens against its own trusted certificate authorities, so no thumbprint is pinned",
                );
                p.get_att(iam::OIDCProviderAttr::Arn)
            }
        };
        let repo = &g.repository;
        let on_branch = format!("repo:{repo}:ref:refs/heads/{}", g.branch);
        let plan_subs = vec![format!("repo:{repo}:pull_request"), on_branch.clone()];
        let mut deploy_subs = vec![on_branch];
        deploy_subs.extend(
            g.environments
                .iter()
                .map(|e| format!("repo:{repo}:environment:{e}")),
        );
        let (bucket_arn, objects) = arns(&bucket);
        let ctx = CiContext {
            stack_arns: &stack_arns,
            other_regions: &other_regions,
            bootstrap: stack_name(project),
            service_role_arn: service_role_arn.clone(),
            bucket_arn,
            objects,
            key_arn: key_arn.clone(),
            stack_sets: stack_sets.as_ref(),
        };
        let plan = ci_role(
            &mut t,
            "PlanRole",
            role_name(project, "plan"),
            &format!("harden plan in GitHub CI for project {project}: reads the stacks and creates change sets, never executes them"),
            &provider,
            &plan_subs,
            ctx.statements(false),
        );
        let deploy = ci_role(
            &mut t,
            "DeployRole",
            role_name(project, "ci"),
            &format!("harden deploy in GitHub CI for project {project}: executes change sets that run as the service role"),
            &provider,
            &deploy_subs,
            ctx.statements(true),
        );
        t.output(
            "CiRoleArn",
            "The role GitHub CI assumes to deploy",
            deploy.get_att(iam::RoleAttr::Arn),
            None,
        );
        t.output(
            "PlanRoleArn",
            "The role GitHub CI assumes to plan",
            plan.get_att(iam::RoleAttr::Arn),
            None,
        );
    }

    Ok(
        StackBuilder::new(BOOTSTRAP_BLUEPRINT, tier, stack_name(project), t)
            .purpose("bootstrap")
            .build(),
    )
}

/// Adds a managed policy attached to `role`, writing the reason of every statement with `*`
/// resources.
fn managed_policy(
    t: &mut Template,
    id: &str,
    description: &str,
    doc: PolicyDocument,
    role: &Handle<iam::Role>,
) {
    let reasons: Vec<(String, &'static str)> = doc
        .statements
        .iter()
        .filter(|s| s.resources.contains(&Expr::str("*")))
        .map(|s| {
            let reason = iam_policy::wildcard_reason(&s.sid)
                .or_else(|| ci_wildcard_reason(&s.sid))
                .expect("every statement with `*` resources has a reason");
            (s.sid.clone(), reason)
        })
        .collect();
    let p = t.add(
        id,
        iam::ManagedPolicy {
            description: Some(description.into()),
            policy_document: Some(doc.into()),
            roles: Some(Expr::list([role.r#ref()])),
            ..Default::default()
        },
    );
    let r = t.res(&p);
    r.control(&LEAST_PRIVILEGE_ROLE);
    for (sid, reason) in reasons {
        r.wildcard_reason(sid, reason);
    }
}

fn ci_wildcard_reason(sid: &str) -> Option<&'static str> {
    match sid {
        "ReadWithoutResourceLevel" => Some(
            "cloudformation:ListStacks and DescribeStackDriftDetectionStatus have no resource-level permissions, and DescribeStackResources by physical id (how harden finds who holds a fixed name) names no stack",
        ),
        iam_policy::CREATE_STACK_SET_SID => Some(iam_policy::CREATE_STACK_SET_REASON),
        _ => None,
    }
}

/// What the CI roles' policies name.
struct CiContext<'a> {
    stack_arns: &'a [Expr],
    /// The regions of stacks outside the bootstrap's own, in order.
    other_regions: &'a [&'a String],
    bootstrap: String,
    service_role_arn: Expr,
    bucket_arn: Expr,
    objects: Expr,
    key_arn: Expr,
    stack_sets: Option<&'a StackSetCi>,
}

impl CiContext<'_> {
    fn statements(&self, deploy: bool) -> Vec<Statement> {
        let project: Vec<Expr> = self.stack_arns.to_vec();
        let mut readable = project.clone();
        readable.push(stack_arn(&self.bootstrap, None));
        let change_sets: Vec<Expr> = std::iter::once(&"${AWS::Region}".to_string())
            .chain(self.other_regions.iter().copied())
            .map(|r| {
                Expr::sub(format!(
                    "arn:${{AWS::Partition}}:cloudformation:{r}:${{AWS::AccountId}}:changeSet/harden-*/*"
                ))
            })
            .collect();
        let mut v = vec![
            Statement::allow("ReadStacks")
                .actions([
                    "cloudformation:DescribeChangeSet",
                    "cloudformation:DescribeChangeSetHooks",
                    "cloudformation:DescribeStackEvents",
                    "cloudformation:DescribeStackResourceDrifts",
                    "cloudformation:DescribeStackResources",
                    "cloudformation:DescribeStacks",
                    "cloudformation:DetectStackDrift",
                    "cloudformation:GetStackPolicy",
                    "cloudformation:GetTemplate",
                    "cloudformation:GetTemplateSummary",
                    "cloudformation:ListChangeSets",
                    "cloudformation:ListStackResources",
                ])
                .resources(readable),
            // What CloudFormation reports of harden's change sets: the pre-deployment
            // validation's findings and the hooks' results.
            Statement::allow("ReadChangeSetEvents")
                .actions(["cloudformation:DescribeEvents"])
                .resources(
                    project
                        .iter()
                        .cloned()
                        .chain(change_sets)
                        .collect::<Vec<_>>(),
                ),
            Statement::allow("ReadWithoutResourceLevel")
                .actions([
                    "cloudformation:DescribeStackDriftDetectionStatus",
                    "cloudformation:DescribeStackResources",
                    "cloudformation:ListStacks",
                ])
                .resource(Expr::str("*")),
            Statement::allow("CreateChangeSetsAsServiceRole")
                .actions(["cloudformation:CreateChangeSet"])
                .resources(project.clone())
                .condition(
                    "StringEquals",
                    "cloudformation:RoleArn",
                    self.service_role_arn.clone(),
                ),
            Statement::allow("DeleteChangeSets")
                .actions(["cloudformation:DeleteChangeSet"])
                .resources(project.clone()),
            Statement::allow("PassServiceRoleToCloudFormation")
                .actions(["iam:PassRole"])
                .resource(self.service_role_arn.clone())
                .condition(
                    "StringEquals",
                    "iam:PassedToService",
                    Expr::str("cloudformation.amazonaws.com"),
                ),
            Statement::allow("ArtifactObjects")
                .actions(["s3:GetObject", "s3:PutObject"])
                .resource(self.objects.clone()),
            Statement::allow("ArtifactBucketListing")
                .actions(["s3:ListBucket"])
                .resource(self.bucket_arn.clone()),
            Statement::allow("ArtifactKeyThroughS3")
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resource(self.key_arn.clone())
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                ),
        ];
        if deploy {
            v.push(
                Statement::allow("ExecuteChangeSets")
                    .actions([
                        "cloudformation:ExecuteChangeSet",
                        "cloudformation:SetStackPolicy",
                        "cloudformation:UpdateTerminationProtection",
                    ])
                    .resources(project),
            );
        }
        if let Some(sets) = self.stack_sets {
            v.extend(iam_policy::stack_set_policy(
                &sets.names,
                sets.administration_role.as_deref(),
                &iam_policy::Arns::Variables,
                deploy,
            ));
        }
        v
    }
}

/// Adds a role GitHub Actions assumes through the OIDC provider for the given `sub` claims,
/// with one managed policy.
fn ci_role(
    t: &mut Template,
    id: &str,
    name: Expr,
    description: &str,
    provider: &Expr,
    subs: &[String],
    statements: Vec<Statement>,
) -> Handle<iam::Role> {
    let trust = Statement::allow("TrustGithubActions")
        .federated(provider.clone())
        .actions(["sts:AssumeRoleWithWebIdentity"])
        .condition(
            "StringEquals",
            "token.actions.githubusercontent.com:aud",
            Expr::str(GITHUB_AUDIENCE),
        )
        .condition(
            "StringEquals",
            "token.actions.githubusercontent.com:sub",
            Expr::strs(subs),
        );
    let role = t.add(
        id,
        iam::Role {
            role_name: Some(name),
            assume_role_policy_document: Some(PolicyDocument::new([trust]).into()),
            description: Some(description.into()),
            max_session_duration: Some(3600.into()),
            ..Default::default()
        },
    );
    t.res(&role).control(&LEAST_PRIVILEGE_ROLE);
    managed_policy(
        t,
        &format!("{id}Policy"),
        &format!("Least-privilege permissions of {id}"),
        PolicyDocument::new(statements),
        &role,
    );
    role
}
