//! A CloudFormation template under construction: parameters, conditions, mappings, resources
//! (with their policies and metadata) and outputs.

use std::marker::PhantomData;

use indexmap::IndexMap;

use super::expr::Expr;
use super::model::{Attribute, Properties, ResourceKind};
use crate::control::Control;
use crate::rules::Rule;

/// `DeletionPolicy` / `UpdateReplacePolicy` values, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RetainPolicy {
    /// The resource is deleted.
    Delete,
    /// A final snapshot is taken, then the resource is deleted.
    Snapshot,
    /// The resource is kept outside the stack.
    Retain,
}

impl RetainPolicy {
    /// The template spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RetainPolicy::Delete => "Delete",
            RetainPolicy::Snapshot => "Snapshot",
            RetainPolicy::Retain => "Retain",
        }
    }
}

/// Which external checker an exception to a rule harden has no rule for is written for: only
/// cfn-lint's non-security checks (checkov's are rendered from harden rules' equivalents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Judge {
    /// cfn-lint (`Metadata.cfn-lint.config.ignore_checks`)
    CfnLint,
}

/// An exception to one checker rule on one resource, with the reason written beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The checker.
    pub judge: Judge,
    /// The rule id (`CKV_AWS_18`, `W3005`).
    pub rule: &'static str,
    /// Why the rule does not apply here.
    pub reason: String,
}

/// One resource: its typed properties and the attributes CloudFormation reads beside them.
#[derive(Debug)]
pub struct Resource {
    /// The typed properties.
    pub properties: Box<dyn Properties>,
    /// `DependsOn`
    pub depends_on: Vec<String>,
    /// `Condition`
    pub condition: Option<String>,
    /// `DeletionPolicy`
    pub deletion_policy: Option<RetainPolicy>,
    /// `UpdateReplacePolicy`
    pub update_replace_policy: Option<RetainPolicy>,
    /// Hardening controls that shaped this resource (control ids), in the order applied.
    pub controls: Vec<&'static str>,
    /// Exceptions to harden's rules, each with its reason: rendered into harden's own
    /// suppressions and, through each rule's equivalents, every other scanner's format.
    pub exceptions: Vec<(&'static Rule, String)>,
    /// Exceptions to other checkers' rules that harden has no rule for (cfn-lint's
    /// non-security checks), each with its reason.
    pub suppressions: Vec<Suppression>,
    /// Why a policy statement names `*` resources, by statement `Sid`.
    pub wildcard_reasons: IndexMap<String, String>,
    /// Why the resource is shaped the way it is, where that is not obvious.
    pub notes: Vec<String>,
    /// Any other `Metadata`.
    pub metadata: IndexMap<String, Expr>,
}

impl Clone for Resource {
    fn clone(&self) -> Self {
        Resource {
            properties: self.properties.clone_box(),
            depends_on: self.depends_on.clone(),
            condition: self.condition.clone(),
            deletion_policy: self.deletion_policy,
            update_replace_policy: self.update_replace_policy,
            controls: self.controls.clone(),
            exceptions: self.exceptions.clone(),
            suppressions: self.suppressions.clone(),
            wildcard_reasons: self.wildcard_reasons.clone(),
            notes: self.notes.clone(),
            metadata: self.metadata.clone(),
        }
    }
}

impl Resource {
    /// `AWS::Service::Resource`
    pub fn type_name(&self) -> &'static str {
        self.properties.type_name()
    }

    /// Records that a control shaped this resource.
    pub fn control(&mut self, control: &'static Control) -> &mut Self {
        if !self.controls.contains(&control.id) {
            self.controls.push(control.id);
        }
        self
    }

    /// Excepts this resource from one of harden's rules, with the reason a reviewer reads. The
    /// exception is written once and rendered for every scanner: `Metadata.harden.suppress`,
    /// and the rule's equivalents in `checkov.skip`, `cfn-lint`'s `ignore_checks`,
    /// `cfn_nag` and `cdk_nag`'s `rules_to_suppress` and `guard.SuppressedRules`.
    pub fn except(&mut self, rule: &'static Rule, reason: impl Into<String>) -> &mut Self {
        if !self.exceptions.iter().any(|(r, _)| r.id == rule.id) {
            self.exceptions.push((rule, reason.into()));
        }
        self
    }

    /// Writes an exception to a checker rule, with its reason, into the resource's metadata.
    pub fn suppress(
        &mut self,
        judge: Judge,
        rule: &'static str,
        reason: impl Into<String>,
    ) -> &mut Self {
        self.suppressions.push(Suppression {
            judge,
            rule,
            reason: reason.into(),
        });
        self
    }

    /// Says why a policy statement needs `*` resources.
    pub fn wildcard_reason(
        &mut self,
        sid: impl Into<String>,
        reason: impl Into<String>,
    ) -> &mut Self {
        self.wildcard_reasons.insert(sid.into(), reason.into());
        self
    }

    /// Writes a note on why the resource is shaped this way into its metadata.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }

    /// Sets both `DeletionPolicy` and `UpdateReplacePolicy`.
    pub fn retain(&mut self, policy: RetainPolicy) -> &mut Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    /// Adds a `DependsOn`.
    pub fn depends_on(&mut self, id: impl Into<String>) -> &mut Self {
        let id = id.into();
        if !self.depends_on.contains(&id) {
            self.depends_on.push(id);
        }
        self
    }
}

/// A typed reference to a resource in a template: `Ref` and `Fn::GetAtt` through it are
/// checked by the compiler (only the type's own attributes can be named).
#[derive(Debug)]
pub struct Handle<T> {
    id: String,
    _kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            id: self.id.clone(),
            _kind: PhantomData,
        }
    }
}

impl<T: ResourceKind> Handle<T> {
    /// The logical id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `Ref` of the resource.
    pub fn r#ref(&self) -> Expr {
        Expr::Ref(self.id.clone())
    }

    /// `Fn::GetAtt` of one of the type's attributes.
    pub fn get_att(&self, attr: T::Attr) -> Expr {
        Expr::GetAtt(self.id.clone(), attr.name().to_string())
    }
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parameter {
    /// `Type` (`String`, `Number`, `AWS::EC2::VPC::Id`, ...).
    pub type_: String,
    /// `Description`
    pub description: Option<String>,
    /// `Default`
    pub default: Option<Expr>,
    /// `AllowedValues`
    pub allowed_values: Vec<String>,
    /// `AllowedPattern`
    pub allowed_pattern: Option<String>,
    /// `ConstraintDescription`
    pub constraint_description: Option<String>,
    /// `MinLength` / `MaxLength`
    pub length: Option<(u32, u32)>,
    /// `MinValue` / `MaxValue`
    pub value_range: Option<(i64, i64)>,
    /// `NoEcho`
    pub no_echo: bool,
}

/// A template output.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// `Description`
    pub description: Option<String>,
    /// `Value`
    pub value: Expr,
    /// `Export.Name`
    pub export: Option<Expr>,
    /// `Condition`
    pub condition: Option<String>,
}

/// A CloudFormation template being built. Resources, parameters and outputs keep the order
/// they were added in, so rendering is deterministic.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// `Description`
    pub description: Option<String>,
    /// Top-level `Metadata`.
    pub metadata: IndexMap<String, Expr>,
    /// `Parameters`
    pub parameters: IndexMap<String, Parameter>,
    /// `Mappings`
    pub mappings: IndexMap<String, Expr>,
    /// `Conditions`
    pub conditions: IndexMap<String, Expr>,
    /// `Resources`
    pub resources: IndexMap<String, Resource>,
    /// `Outputs`
    pub outputs: IndexMap<String, Output>,
    /// Construction mistakes (a logical id used twice), reported by rendering.
    pub(crate) errors: Vec<String>,
    /// The condition that resources and outputs added now get (see [`Template::scoped`]).
    scope: Option<String>,
}

impl Template {
    /// An empty template with a description.
    pub fn new(description: impl Into<String>) -> Template {
        Template {
            description: Some(description.into()),
            ..Template::default()
        }
    }

    /// Adds a resource and returns a typed handle to it. A logical id that is already taken
    /// is a render error.
    pub fn add<T: ResourceKind>(&mut self, id: impl Into<String>, props: T) -> Handle<T> {
        let id = id.into();
        if self.resources.contains_key(&id) {
            self.errors
                .push(format!("logical id `{id}` is used by two resources"));
        } else if !is_logical_id(&id) {
            self.errors
                .push(format!("logical id `{id}` is not alphanumeric"));
        }
        self.resources.insert(
            id.clone(),
            Resource {
                properties: Box::new(props),
                depends_on: Vec::new(),
                condition: self.scope.clone(),
                deletion_policy: None,
                update_replace_policy: None,
                controls: Vec::new(),
                exceptions: Vec::new(),
                suppressions: Vec::new(),
                wildcard_reasons: IndexMap::new(),
                notes: Vec::new(),
                metadata: IndexMap::new(),
            },
        );
        Handle {
            id,
            _kind: PhantomData,
        }
    }

    /// The resource behind a handle, to set its policies, metadata and dependencies.
    pub fn res<T: ResourceKind>(&mut self, h: &Handle<T>) -> &mut Resource {
        self.resources
            .get_mut(&h.id)
            .expect("a handle always names a resource of its template")
    }

    /// A handle to the resource `id` if the template has one of type `T`: for a resource that
    /// several builders share, added by whichever comes first.
    pub fn handle<T: ResourceKind>(&self, id: &str) -> Option<Handle<T>> {
        self.resources
            .get(id)
            .filter(|r| r.type_name() == T::TYPE)
            .map(|_| Handle {
                id: id.to_string(),
                _kind: PhantomData,
            })
    }

    /// The typed properties behind a handle, to change them after adding.
    pub fn props<T: ResourceKind>(&mut self, h: &Handle<T>) -> &mut T {
        self.res(h)
            .properties
            .as_any_mut()
            .downcast_mut::<T>()
            .expect("a handle's type is the resource's type")
    }

    /// Adds a parameter.
    pub fn parameter(&mut self, id: impl Into<String>, p: Parameter) -> Expr {
        let id = id.into();
        self.parameters.insert(id.clone(), p);
        Expr::Ref(id)
    }

    /// Adds a condition.
    pub fn condition(&mut self, id: impl Into<String>, expr: Expr) -> String {
        let id = id.into();
        self.conditions.insert(id.clone(), expr);
        id
    }

    /// Adds an output, optionally exported under a name.
    pub fn output(
        &mut self,
        id: impl Into<String>,
        description: &str,
        value: Expr,
        export: Option<Expr>,
    ) {
        self.outputs.insert(
            id.into(),
            Output {
                description: Some(description.to_string()),
                value,
                export,
                condition: self.scope.clone(),
            },
        );
    }

    /// Runs `build` with every resource and output it adds placed under `condition` (a
    /// template condition's name; `None` leaves them unconditional). Scopes nest: the inner
    /// one wins, and the outer one is restored after.
    pub fn scoped<R>(
        &mut self,
        condition: Option<&str>,
        build: impl FnOnce(&mut Template) -> R,
    ) -> R {
        let outer = std::mem::replace(&mut self.scope, condition.map(str::to_string));
        let out = build(self);
        self.scope = outer;
        out
    }

    /// The condition resources added now are placed under, if any.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// Every distinct control id applied anywhere in the template, in first-applied order.
    pub fn controls(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for r in self.resources.values() {
            for c in &r.controls {
                if !out.contains(c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// CloudFormation logical ids are ASCII alphanumeric.
pub fn is_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
