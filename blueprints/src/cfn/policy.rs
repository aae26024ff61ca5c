//! IAM policy documents, typed: statements with an effect, actions, resources, principals and
//! conditions. Used for identity policies, trust policies, key policies, bucket and topic
//! policies alike, so least privilege can be read off (and checked in) every one of them.

use indexmap::IndexMap;

use super::expr::Expr;

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`
    Allow,
    /// `Deny`
    Deny,
}

/// Who a resource policy applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// `{"AWS": [...]}`: accounts, roles, users.
    Aws(Vec<Expr>),
    /// `{"Service": [...]}`: AWS service principals.
    Service(Vec<Expr>),
    /// `{"Federated": [...]}`: an identity provider (a web identity's OIDC provider).
    Federated(Vec<Expr>),
    /// `"*"`: anyone. Only for `Deny` statements (a TLS-only bucket policy).
    Anyone,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`: alphanumeric, names the statement in diffs and in wildcard reasons.
    pub sid: String,
    /// `Effect`
    pub effect: Effect,
    /// `Principal` (resource policies only).
    pub principal: Option<Principal>,
    /// `Action`
    pub actions: Vec<String>,
    /// `Resource`
    pub resources: Vec<Expr>,
    /// `Condition`: operator, key, values.
    pub conditions: Vec<(String, String, Expr)>,
}

impl Statement {
    /// An `Allow` statement.
    pub fn allow(sid: &str) -> Statement {
        Statement::new(sid, Effect::Allow)
    }

    /// A `Deny` statement.
    pub fn deny(sid: &str) -> Statement {
        Statement::new(sid, Effect::Deny)
    }

    fn new(sid: &str, effect: Effect) -> Statement {
        Statement {
            sid: sid.to_string(),
            effect,
            principal: None,
            actions: Vec::new(),
            resources: Vec::new(),
            conditions: Vec::new(),
        }
    }

    /// Sets the actions.
    pub fn actions<S: AsRef<str>>(mut self, actions: impl IntoIterator<Item = S>) -> Statement {
        self.actions = actions
            .into_iter()
            .map(|a| a.as_ref().to_string())
            .collect();
        self
    }

    /// Sets the resources.
    pub fn resources(mut self, resources: impl IntoIterator<Item = Expr>) -> Statement {
        self.resources = resources.into_iter().collect();
        self
    }

    /// Sets one resource.
    pub fn resource(self, resource: Expr) -> Statement {
        self.resources([resource])
    }

    /// Sets the principal to AWS services.
    pub fn service<S: AsRef<str>>(mut self, services: impl IntoIterator<Item = S>) -> Statement {
        self.principal = Some(Principal::Service(
            services
                .into_iter()
                .map(|s| Expr::str(s.as_ref()))
                .collect(),
        ));
        self
    }

    /// Sets the principal to a service whose name is built from an expression.
    pub fn service_expr(mut self, service: Expr) -> Statement {
        self.principal = Some(Principal::Service(vec![service]));
        self
    }

    /// Sets the principal to AWS accounts or roles.
    pub fn aws(mut self, principals: impl IntoIterator<Item = Expr>) -> Statement {
        self.principal = Some(Principal::Aws(principals.into_iter().collect()));
        self
    }

    /// Sets the principal to an identity provider (`sts:AssumeRoleWithWebIdentity`).
    pub fn federated(mut self, provider: Expr) -> Statement {
        self.principal = Some(Principal::Federated(vec![provider]));
        self
    }

    /// Sets the principal to anyone (for `Deny` statements).
    pub fn anyone(mut self) -> Statement {
        self.principal = Some(Principal::Anyone);
        self
    }

    /// Adds a condition.
    pub fn condition(mut self, op: &str, key: &str, value: impl Into<Expr>) -> Statement {
        self.conditions
            .push((op.to_string(), key.to_string(), value.into()));
        self
    }

    /// The statement as a template value.
    pub fn to_expr(&self) -> Expr {
        let mut m: IndexMap<String, Expr> = IndexMap::new();
        m.insert("Sid".into(), Expr::str(&self.sid));
        m.insert(
            "Effect".into(),
            Expr::str(match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            }),
        );
        match &self.principal {
            None => {}
            Some(Principal::Anyone) => {
                m.insert("Principal".into(), Expr::map([("AWS", Expr::str("*"))]));
            }
            Some(Principal::Aws(p)) => {
                m.insert(
                    "Principal".into(),
                    Expr::map([("AWS", Expr::List(p.clone()))]),
                );
            }
            Some(Principal::Federated(p)) => {
                m.insert(
                    "Principal".into(),
                    Expr::map([("Federated", Expr::List(p.clone()))]),
                );
            }
            Some(Principal::Service(p)) => {
                m.insert(
                    "Principal".into(),
                    Expr::map([("Service", Expr::List(p.clone()))]),
                );
            }
        }
        m.insert("Action".into(), Expr::strs(&self.actions));
        if !self.resources.is_empty() {
            m.insert("Resource".into(), Expr::List(self.resources.clone()));
        }
        if !self.conditions.is_empty() {
            let mut ops: IndexMap<String, Expr> = IndexMap::new();
            for (op, key, value) in &self.conditions {
                let entry = ops
                    .entry(op.clone())
                    .or_insert_with(|| Expr::Map(IndexMap::new()));
                if let Expr::Map(keys) = entry {
                    keys.insert(key.clone(), value.clone());
                }
            }
            m.insert("Condition".into(), Expr::Map(ops));
        }
        Expr::Map(m)
    }
}

/// A policy document: `Version` 2012-10-17 and its statements.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyDocument {
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// A document of the given statements.
    pub fn new(statements: impl IntoIterator<Item = Statement>) -> PolicyDocument {
        PolicyDocument {
            statements: statements.into_iter().collect(),
        }
    }

    /// The document as a template value.
    pub fn to_expr(&self) -> Expr {
        Expr::map([
            ("Version", Expr::str("2012-10-17")),
            (
                "Statement",
                Expr::List(self.statements.iter().map(Statement::to_expr).collect()),
            ),
        ])
    }
}

/// The trust policy that lets one AWS service assume a role. With `same_account`, only on
/// behalf of this account (`aws:SourceAccount`, the confused-deputy guard), for the services
/// that send that key when they assume a role.
pub fn assume_role_by(service: &str, same_account: bool) -> Expr {
    let mut s = Statement::allow("TrustService")
        .service([service])
        .actions(["sts:AssumeRole"]);
    if same_account {
        s = s.condition("StringEquals", "aws:SourceAccount", Expr::account_id());
    }
    PolicyDocument::new([s]).to_expr()
}

impl From<PolicyDocument> for Expr {
    fn from(d: PolicyDocument) -> Expr {
        d.to_expr()
    }
}
