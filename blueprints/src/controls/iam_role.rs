//! A least-privilege service role: a trust policy for one service, and one customer-managed
//! policy (never inline) whose statements name their actions and resources. `*` resources
//! appear only where the API has no resource-level permissions, with the reason written.

use crate::cfn::generated::iam;
use crate::cfn::policy::{assume_role_by, PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control.
pub static LEAST_PRIVILEGE_ROLE: Control = Control {
    id: "least-privilege-role",
    title: "service role with a customer-managed policy naming each action and resource",
    tier: Tier::Basic,
    // CIS v3.0's 1.16 (no full `*:*` administrative policy attached: v3.0 numbers it as v1.4
    // did; Security Hub maps IAM.2 to v3.0's 1.15 and IAM.18 to its 1.17). Security Hub
    // evaluates IAM.1 under FSBP, CIS v1.2 (1.22) and v1.4 (1.16), not under CIS v3.0.
    cis: &["1.16"],
    // KMS.1 and KMS.2: no policy of harden's allows `kms:Decrypt` or `kms:ReEncryptFrom` on
    // every key (they name the stack's key), and no role has an inline policy.
    security_hub: &["IAM.1", "IAM.21", "KMS.1", "KMS.2"],
};

/// A role and the managed policy attached to it.
#[derive(Debug, Clone)]
pub struct Role {
    /// The role.
    pub role: Handle<iam::Role>,
    /// Its policy: resources that use the role depend on it, so they never start without it.
    pub policy: Handle<iam::ManagedPolicy>,
}

impl Role {
    /// `GetAtt Role.Arn`
    pub fn arn(&self) -> Expr {
        self.role.get_att(iam::RoleAttr::Arn)
    }
}

/// A statement that needs `*` resources, with the reason.
pub struct Wildcard {
    /// The statement.
    pub statement: Statement,
    /// Why the API leaves no narrower resource.
    pub reason: &'static str,
}

/// Adds a role that `service` may assume and its policy. `same_account` adds the
/// `aws:SourceAccount` guard to the trust policy.
pub fn service_role(
    t: &mut Template,
    id: &str,
    description: &str,
    service: &str,
    same_account: bool,
    statements: Vec<Statement>,
    wildcards: Vec<Wildcard>,
) -> Role {
    let role = t.add(
        id,
        iam::Role {
            assume_role_policy_document: Some(assume_role_by(service, same_account)),
            description: Some(description.into()),
            max_session_duration: Some(3600.into()),
            ..Default::default()
        },
    );
    t.res(&role).control(&LEAST_PRIVILEGE_ROLE);
    let mut all = statements;
    let reasons: Vec<(String, &str)> = wildcards
        .iter()
        .map(|w| (w.statement.sid.clone(), w.reason))
        .collect();
    all.extend(wildcards.into_iter().map(|w| w.statement));
    let policy = t.add(
        format!("{id}Policy"),
        iam::ManagedPolicy {
            description: Some(format!("Least-privilege permissions of {id}").into()),
            policy_document: Some(PolicyDocument::new(all).into()),
            roles: Some(Expr::list([role.r#ref()])),
            ..Default::default()
        },
    );
    let res = t.res(&policy);
    res.control(&LEAST_PRIVILEGE_ROLE);
    for (sid, reason) in reasons {
        res.wildcard_reason(sid, reason);
    }
    Role { role, policy }
}
