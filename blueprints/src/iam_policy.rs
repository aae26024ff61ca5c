//! The CloudFormation service role's policy, computed rather than written: the union of the
//! provider handlers' permissions ([`HANDLERS`], generated from the resource schemas) of every
//! resource type the stacks hold, grouped into a few statements whose `Resource` is scoped as far
//! as each action allows.
//!
//! | statement (`Sid`) | actions | `Resource` |
//! | --- | --- | --- |
//! | `NoResourceLevelPermissions` | the calls IAM gives no resource type ([`NO_RESOURCE_TYPE`], generated from the service authorization data cfn-lint ships) | `*`, the only resource IAM evaluates them against |
//! | `ManageStackRolesAndPolicies` | `iam:` | the stacks' own roles and policies (`role/STACK-*`, `policy/STACK-*`: CloudFormation names them `STACK-LogicalId-RANDOM`), service-linked roles, OIDC providers where a stack has one |
//! | `PassStackRoles` | `iam:PassRole` | the stacks' own roles, only to the services their trust policies name (`iam:PassedToService`) |
//! | `ManageStackBuckets` | `s3:` | the stacks' own buckets and their objects (`lower(STACK)-*`) |
//! | `ManageInThisAccountAndRegion` | every other call | `arn:PARTITION:SERVICE:REGION:ACCOUNT:*` per service (the stacks' functions by their prefix), or the service's own form where its ARNs lack the region or account (API Gateway, CloudWatch dashboards, Route 53, CloudFront) |
//! | `InvokeCustomResourceFunctions` | `lambda:InvokeFunction` | the functions behind custom resources' `ServiceToken` |
//!
//! ARNs are written with `${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}` (an
//! `Fn::Sub` in a template, [`Arns::Variables`]), or resolved for one account and region
//! ([`Arns::Concrete`]). Output is sorted and deterministic. No action ever holds `*`.

use std::collections::{BTreeMap, BTreeSet};

use crate::blueprint::StackSpec;
use crate::cfn::custom::CustomResource;
use crate::cfn::generated::handlers::{Handlers, HANDLERS, NO_RESOURCE_TYPE};
use crate::cfn::generated::iam;
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Node};

/// How the policy's ARNs name the partition, region and account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arns<'a> {
    /// `${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}` in `Fn::Sub`: for a template.
    Variables,
    /// Resolved, for printing the policy of one account and region.
    Concrete {
        /// `aws`, `aws-cn`, `aws-us-gov`.
        partition: &'a str,
        /// `us-east-1`
        region: &'a str,
        /// 12 digits.
        account: &'a str,
    },
}

impl Arns<'_> {
    /// A string with `${AWS::...}` variables as a policy value.
    fn value(&self, s: &str) -> Expr {
        match self {
            Arns::Variables if s.contains("${") => Expr::sub(s),
            Arns::Variables => Expr::str(s),
            Arns::Concrete {
                partition,
                region,
                account,
            } => Expr::str(
                s.replace("${AWS::Partition}", partition)
                    .replace("${AWS::Region}", region)
                    .replace("${AWS::AccountId}", account),
            ),
        }
    }
}

/// The partition for a region: what `--region` alone implies when printing concrete ARNs.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A resource type whose handler permissions are unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IamPolicyError {
    /// The type is not in the generated model, so its handlers' permissions are unknown.
    #[error("stack `{stack}`: resource `{logical_id}` is of type `{type_name}`, whose handler permissions harden does not know\nhint: add the type to RESOURCE_TYPES in codegen/gen_model.py and regenerate")]
    UnknownType {
        /// The stack.
        stack: String,
        /// The resource's logical id.
        logical_id: String,
        /// Its type.
        type_name: String,
    },
}

/// The reason written for a statement of [`service_role_policy`] that has `*` resources
/// (by `Sid`, without the number a split adds), or `None` if it has none.
pub fn wildcard_reason(sid: &str) -> Option<&'static str> {
    match sid.trim_end_matches(|c: char| c.is_ascii_digit()) {
        "NoResourceLevelPermissions" => Some("calls the resource providers make that IAM gives no resource type (the service authorization data cfn-lint ships): IAM evaluates them against `*` only, so no narrower resource can be named"),
        _ => None,
    }
}

/// The custom resource types' one permission: invoking the function behind `ServiceToken`.
const INVOKE: &str = "lambda:InvokeFunction";

fn is_custom(type_name: &str) -> bool {
    type_name.starts_with("Custom::") || type_name == "AWS::CloudFormation::CustomResource"
}

/// The generator's order: case-insensitive, then exact.
fn cmp_action(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_ascii_lowercase()
        .cmp(&b.to_ascii_lowercase())
        .then_with(|| a.cmp(b))
}

fn handlers(type_name: &str) -> Option<&'static Handlers> {
    HANDLERS.iter().find(|h| h.type_name == type_name)
}

/// Every action a type's handlers need (create, read, update, delete and list), sorted.
pub fn type_actions(type_name: &str) -> Option<Vec<&'static str>> {
    if is_custom(type_name) {
        return Some(vec![INVOKE]);
    }
    let h = handlers(type_name)?;
    let mut v: Vec<&'static str> = [h.create, h.read, h.update, h.delete, h.list]
        .into_iter()
        .flatten()
        .copied()
        .collect();
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// The actions per resource type of the stacks, sorted by type: what `--format text` shows
/// for review.
pub fn actions_by_type(
    stacks: &[StackSpec],
) -> Result<BTreeMap<String, Vec<&'static str>>, IamPolicyError> {
    let mut out = BTreeMap::new();
    for s in stacks {
        for (id, r) in &s.template.resources {
            let ty = r.type_name();
            let acts = type_actions(ty).ok_or_else(|| IamPolicyError::UnknownType {
                stack: s.name.clone(),
                logical_id: id.clone(),
                type_name: ty.to_string(),
            })?;
            out.insert(ty.to_string(), acts);
        }
    }
    Ok(out)
}

/// The resource ARN pattern(s) of a service's calls in `ManageInThisAccountAndRegion`.
fn service_resources(service: &str, stacks: &[&str]) -> Vec<String> {
    let regional =
        format!("arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}");
    match service {
        // API Gateway's ARNs name no account: `arn:aws:apigateway:REGION::/restapis/...`.
        "apigateway" => vec!["arn:${AWS::Partition}:apigateway:${AWS::Region}::/*".into()],
        "route53" => vec![
            "arn:${AWS::Partition}:route53:::hostedzone/*".into(),
            "arn:${AWS::Partition}:route53:::change/*".into(),
        ],
        "cloudfront" => vec!["arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:*".into()],
        // Dashboards are global: `arn:aws:cloudwatch::ACCOUNT:dashboard/NAME`.
        "cloudwatch" => vec![
            format!("{regional}:*"),
            "arn:${AWS::Partition}:cloudwatch::${AWS::AccountId}:dashboard/*".into(),
        ],
        // Functions CloudFormation names `STACK-LogicalId-RANDOM` (and their versions and
        // aliases); layers and code-signing configurations the handlers read.
        "lambda" => {
            let mut v: Vec<String> = stacks
                .iter()
                .flat_map(|s| {
                    [
                        format!("{regional}:function:{s}-*"),
                        format!("{regional}:function:{s}-*:*"),
                    ]
                })
                .collect();
            v.push(format!("{regional}:layer:*"));
            v.push(format!("{regional}:code-signing-config:*"));
            v.push(format!("{regional}:capacity-provider:*"));
            v
        }
        _ => vec![format!("{regional}:*")],
    }
}

/// The services the stacks' roles trust (their trust policies' `Principal.Service`): the only
/// services a role of theirs is ever passed to.
fn trusted_services(stacks: &[StackSpec]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in stacks {
        for r in s.template.resources.values() {
            let Some(role) = r.properties.as_any().downcast_ref::<iam::Role>() else {
                continue;
            };
            if let Some(doc) = &role.assume_role_policy_document {
                collect_services(&doc.to_node_tree(), &mut out);
            }
        }
    }
    out
}

fn collect_services(n: &Node, out: &mut BTreeSet<String>) {
    match n {
        Node::Map(m) => {
            if let Some(svc) = m.get("Principal").and_then(|p| p.get_path(&["Service"])) {
                let items: Vec<&Node> = match svc {
                    Node::Seq(items) => items.iter().collect(),
                    other => vec![other],
                };
                for i in items {
                    match i {
                        Node::Str(s) => {
                            out.insert(s.clone());
                        }
                        Node::Map(sub) => {
                            if let Some(Node::Str(s)) = sub.get("Fn::Sub") {
                                out.insert(s.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
            for v in m.values() {
                collect_services(v, out);
            }
        }
        Node::Seq(items) => items.iter().for_each(|i| collect_services(i, out)),
        _ => {}
    }
}

/// The function behind a custom resource's `ServiceToken`: a literal ARN as written, else the
/// functions CloudFormation names after the stack.
fn service_token_functions(stacks: &[StackSpec]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in stacks {
        for r in s.template.resources.values() {
            if !is_custom(r.type_name()) {
                continue;
            }
            let literal = r
                .properties
                .as_any()
                .downcast_ref::<CustomResource>()
                .and_then(|c| match &c.service_token {
                    Expr::Str(arn) => Some(arn.clone()),
                    _ => None,
                });
            out.insert(literal.unwrap_or_else(|| {
                format!(
                    "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{}-*",
                    s.name
                )
            }));
        }
    }
    out
}

/// The service role's policy for these stacks: see the module documentation. Statements
/// with `*` resources carry a reason ([`wildcard_reason`]) that a template writes beside them.
///
/// Stacks of another region ([`StackSpec::region`], a replica stack) get statements of their
/// own, with that region in their ARNs and the region in their `Sid`s
/// (`ManageInThisAccountAndRegionUsWest2`): the one role drives the project's stacks in both
/// regions, and nothing of one region is allowed in the other. (Actions without resource-level
/// permissions join the one `*` statement.)
pub fn service_role_policy(
    stacks: &[StackSpec],
    arns: Arns<'_>,
) -> Result<PolicyDocument, IamPolicyError> {
    let mut regions: Vec<Option<&str>> = Vec::new();
    for s in stacks {
        if !regions.contains(&s.region.as_deref()) {
            regions.push(s.region.as_deref());
        }
    }
    regions.sort();
    let mut out: Vec<Statement> = Vec::new();
    for region in regions {
        let mine: Vec<StackSpec> = stacks
            .iter()
            .filter(|s| s.region.as_deref() == region)
            .cloned()
            .collect();
        let here = match (region, arns) {
            (
                Some(r),
                Arns::Concrete {
                    partition, account, ..
                },
            ) => Arns::Concrete {
                partition,
                region: r,
                account,
            },
            _ => arns,
        };
        for mut st in region_policy(&mine, here)?.statements {
            let Some(r) = region else {
                out.push(st);
                continue;
            };
            if st.resources == [Expr::str("*")] {
                if let Some(all) = out.iter_mut().find(|o| o.sid == st.sid) {
                    for a in st.actions {
                        if !all.actions.contains(&a) {
                            all.actions.push(a);
                        }
                    }
                    all.actions.sort();
                    continue;
                }
                out.push(st);
                continue;
            }
            st.sid.push_str(&crate::controls::kms_key::pascal(r));
            if arns == Arns::Variables {
                st.resources = st.resources.iter().map(|e| in_region(e, r)).collect();
            }
            out.push(st);
        }
    }
    Ok(PolicyDocument::new(out))
}

/// An ARN of `${AWS::Region}` as one of `region`.
fn in_region(e: &Expr, region: &str) -> Expr {
    match e {
        Expr::Sub(s, vars) => Expr::Sub(s.replace("${AWS::Region}", region), vars.clone()),
        other => other.clone(),
    }
}

/// [`service_role_policy`] of stacks of one region.
///
/// (Roles are global: the statements on roles of one region's stacks hold in the other too,
/// which is how a source bucket's replication may pass the replica stack's role to S3.)
fn region_policy(stacks: &[StackSpec], arns: Arns<'_>) -> Result<PolicyDocument, IamPolicyError> {
    let by_type = actions_by_type(stacks)?;
    let all: BTreeSet<&'static str> = by_type.values().flatten().copied().collect();
    let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
    let mut wildcard = Vec::new();
    let mut iam_acts = Vec::new();
    let mut pass_role = false;
    let mut s3_acts = Vec::new();
    let mut other = Vec::new();
    let mut invoke = false;
    for a in all {
        let service = a.split_once(':').map_or(a, |(s, _)| s);
        if a == "iam:PassRole" {
            pass_role = true;
        } else if NO_RESOURCE_TYPE
            .binary_search_by(|n| cmp_action(n, a))
            .is_ok()
        {
            wildcard.push(a);
        } else if service == "iam" {
            iam_acts.push(a);
        } else if service == "s3" {
            s3_acts.push(a);
        } else if a == INVOKE && by_type.keys().any(|t| is_custom(t)) {
            invoke = true;
            if by_type
                .iter()
                .any(|(t, acts)| !is_custom(t) && acts.contains(&INVOKE))
            {
                other.push(a);
            }
        } else {
            other.push(a);
        }
    }

    let res = |v: Vec<String>| -> Vec<Expr> { v.iter().map(|s| arns.value(s)).collect() };
    let mut statements = Vec::new();
    if !wildcard.is_empty() {
        statements.push(
            Statement::allow("NoResourceLevelPermissions")
                .actions(wildcard)
                .resource(Expr::str("*")),
        );
    }
    if !iam_acts.is_empty() {
        let mut r: Vec<String> = names
            .iter()
            .flat_map(|s| {
                [
                    format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{s}-*"),
                    format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{s}-*"),
                ]
            })
            .collect();
        if iam_acts.contains(&"iam:CreateServiceLinkedRole") {
            r.push("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*".into());
        }
        if by_type.contains_key("AWS::IAM::OIDCProvider") {
            r.push("arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/*".into());
        }
        statements.push(
            Statement::allow("ManageStackRolesAndPolicies")
                .actions(iam_acts)
                .resources(res(r)),
        );
    }
    if pass_role {
        let roles: Vec<String> = names
            .iter()
            .map(|s| format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{s}-*"))
            .collect();
        let services: Vec<Expr> = trusted_services(stacks)
            .iter()
            .map(|s| arns.value(s))
            .collect();
        statements.push(
            Statement::allow("PassStackRoles")
                .actions(["iam:PassRole"])
                .resources(res(roles))
                .condition("StringEquals", "iam:PassedToService", Expr::List(services)),
        );
    }
    if !s3_acts.is_empty() {
        let r: Vec<String> = names
            .iter()
            .flat_map(|s| {
                let b = s.to_ascii_lowercase();
                [
                    format!("arn:${{AWS::Partition}}:s3:::{b}-*"),
                    format!("arn:${{AWS::Partition}}:s3:::{b}-*/*"),
                ]
            })
            .collect();
        statements.push(
            Statement::allow("ManageStackBuckets")
                .actions(s3_acts)
                .resources(res(r)),
        );
    }
    if !other.is_empty() {
        let services: BTreeSet<&str> = other
            .iter()
            .map(|a| a.split_once(':').map_or(*a, |(s, _)| s))
            .collect();
        let r: Vec<String> = services
            .iter()
            .flat_map(|s| service_resources(s, &names))
            .collect();
        statements.push(
            Statement::allow("ManageInThisAccountAndRegion")
                .actions(other)
                .resources(res(r)),
        );
    }
    if invoke {
        let r: Vec<String> = service_token_functions(stacks).into_iter().collect();
        statements.push(
            Statement::allow("InvokeCustomResourceFunctions")
                .actions([INVOKE])
                .resources(res(r)),
        );
    }
    Ok(PolicyDocument::new(statements))
}

/// IAM's limit on a managed policy's size, in characters without whitespace.
pub const MANAGED_POLICY_MAX: usize = 6144;

/// The size IAM counts of a document (its JSON without whitespace). For a template's
/// `Fn::Sub` values this overcounts: `${AWS::AccountId}` is longer than the account id.
pub fn policy_size(doc: &PolicyDocument) -> usize {
    crate::cfn::render::to_json(&doc.to_expr().to_node_tree())
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// Splits a document into documents of at most `max` characters each (see [`policy_size`]),
/// splitting a statement's actions where one alone is too large; the parts of a statement
/// are numbered (`NoResourceLevelPermissions2`). Order is kept, so the split is deterministic.
pub fn split(doc: &PolicyDocument, max: usize) -> Vec<PolicyDocument> {
    let fits = |sts: &[Statement]| policy_size(&PolicyDocument::new(sts.to_vec())) <= max;
    let mut parts: Vec<Statement> = Vec::new();
    for st in &doc.statements {
        if fits(std::slice::from_ref(st)) || st.actions.len() < 2 {
            parts.push(st.clone());
            continue;
        }
        let mut n = 1;
        let mut cur = Statement {
            actions: Vec::new(),
            ..st.clone()
        };
        for a in &st.actions {
            let mut next = cur.clone();
            next.actions.push(a.clone());
            if !cur.actions.is_empty() && !fits(std::slice::from_ref(&next)) {
                parts.push(cur);
                n += 1;
                cur = Statement {
                    sid: format!("{}{n}", st.sid),
                    actions: vec![a.clone()],
                    ..st.clone()
                };
            } else {
                cur = next;
            }
        }
        parts.push(cur);
    }
    let mut out: Vec<Vec<Statement>> = Vec::new();
    for st in parts {
        match out.last_mut() {
            Some(last) if fits(&[last.as_slice(), std::slice::from_ref(&st)].concat()) => {
                last.push(st)
            }
            _ => out.push(vec![st]),
        }
    }
    out.into_iter().map(PolicyDocument::new).collect()
}

/// The StackSet actions that read a stack set and its instances: what `harden plan --org`
/// and `status --org` call.
pub const STACK_SET_READ: [&str; 4] = [
    "cloudformation:DescribeStackSet",
    "cloudformation:DescribeStackSetOperation",
    "cloudformation:ListStackInstances",
    "cloudformation:ListStackSetOperationResults",
];

/// The StackSet actions that change a stack set's instances or the stack set: what
/// `harden deploy --org` and `destroy --org` call beside the reads, but `CreateStackSet`.
pub const STACK_SET_WRITE: [&str; 4] = [
    "cloudformation:CreateStackInstances",
    "cloudformation:DeleteStackInstances",
    "cloudformation:DeleteStackSet",
    "cloudformation:UpdateStackSet",
];

/// The `Sid` of the one StackSet statement on `*`, and its reason.
pub const CREATE_STACK_SET_SID: &str = "CreateStackSetHasNoResourceLevelPermissions";
/// Why [`CREATE_STACK_SET_SID`] names `*`.
pub const CREATE_STACK_SET_REASON: &str = "cloudformation:CreateStackSet has no resource type in the service authorization data cfn-lint ships, so IAM evaluates it against `*` only; a stack set created under another name stays empty, since creating its instances needs CreateStackInstances on its own ARN";

/// The policy of whoever runs `harden plan|deploy|status|destroy --org` for the stack sets
/// `names`: the reads on their ARNs (`stackset/NAME:*`: every stack set id of that name), and
/// with `deploy` the changes, which IAM also authorises on the instance targets and resource
/// types (`stackset-target/*`, `type/resource/*`: every resource of a request must be
/// allowed, so the stack set ARN still limits them to harden's), `CreateStackSet` on `*`
/// ([`CREATE_STACK_SET_REASON`]), and, with self-managed permissions, passing the
/// administration role `administration_role` to CloudFormation only.
pub fn stack_set_policy(
    names: &[String],
    administration_role: Option<&str>,
    arns: &Arns<'_>,
    deploy: bool,
) -> Vec<Statement> {
    let base = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}";
    let sets: Vec<Expr> = names
        .iter()
        .map(|n| arns.value(&format!("{base}:stackset/{n}:*")))
        .collect();
    let mut v = vec![Statement::allow("ReadHardenStackSets")
        .actions(STACK_SET_READ)
        .resources(sets.clone())];
    if deploy {
        let mut targets = sets;
        targets.push(arns.value(&format!("{base}:stackset-target/*")));
        targets.push(arns.value(&format!("{base}:type/resource/*")));
        v.push(
            Statement::allow("ChangeHardenStackSets")
                .actions(STACK_SET_WRITE)
                .resources(targets),
        );
        v.push(
            Statement::allow(CREATE_STACK_SET_SID)
                .actions(["cloudformation:CreateStackSet"])
                .resource(Expr::str("*")),
        );
        if let Some(role) = administration_role {
            v.push(
                Statement::allow("PassStackSetAdministrationRole")
                    .actions(["iam:PassRole"])
                    .resource(arns.value(role))
                    .condition(
                        "StringEquals",
                        "iam:PassedToService",
                        Expr::str("cloudformation.amazonaws.com"),
                    ),
            );
        }
    }
    v
}

/// The account's default StackSets administration role, with variables.
pub const DEFAULT_STACK_SET_ADMINISTRATION_ROLE: &str =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/AWSCloudFormationStackSetAdministrationRole";
