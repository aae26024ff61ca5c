//! What a plan is computed from: the stack as harden would deploy it, the stack as it is in the
//! account, and (when the engine made one) the CloudFormation change set. The engine does the
//! I/O and converts SDK types into these plain structs, so planning stays pure.

use harden_blueprints::cfn::Node;
use indexmap::IndexMap;

/// The stack as harden would deploy it.
#[derive(Debug, Clone, Copy)]
pub struct Desired<'a> {
    /// The CloudFormation stack name.
    pub name: &'a str,
    /// The full template, as a long-form tree (`harden_blueprints::cfn::to_node`).
    pub template: &'a Node,
    /// Parameter values given to the stack. A parameter left out takes its template `Default`.
    pub parameters: &'a IndexMap<String, String>,
    /// Stack tags (CloudFormation copies them onto every resource that supports tags).
    pub tags: &'a IndexMap<String, String>,
    /// Whether the stack should have termination protection.
    pub termination_protection: bool,
    /// The stack policy to set, if any.
    pub stack_policy: Option<&'a Node>,
    /// Resources the deployed stack has only because of a parameter that is no longer given:
    /// the engine renders again with the parameter's earlier value and lists what that render
    /// has and this one lacks. Empty when nothing is known (the plan then shows such removals
    /// only as ordinary removals).
    pub removed_by_parameters: &'a [ParamRemoval],
}

/// Resources removed because a parameter given on an earlier run is no longer given (for
/// example `alert_email`: without it, the alarm subscription goes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamRemoval {
    /// The parameter, as the user names it (`alert_email`).
    pub parameter: String,
    /// Its value on the earlier run.
    pub previous: String,
    /// The logical ids of the resources that render only with it.
    pub resources: Vec<String>,
}

/// The stack as it is in the account (DescribeStacks, GetTemplate, GetStackPolicy).
#[derive(Debug, Clone, PartialEq)]
pub struct Deployed {
    /// The deployed template, read with `harden_blueprints::cfn::parse::parse_template`.
    pub template: Node,
    /// Parameter values as CloudFormation reports them (`****` for `NoEcho` ones).
    pub parameters: IndexMap<String, String>,
    /// Stack tags.
    pub tags: IndexMap<String, String>,
    /// Whether termination protection is on.
    pub termination_protection: bool,
    /// The stack policy in force, if any. It guards the update being planned.
    pub stack_policy: Option<Node>,
    /// The stack status (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, `REVIEW_IN_PROGRESS`, ...).
    pub status: String,
}

/// One entry of a CloudFormation change set (DescribeChangeSet), already converted from the SDK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSetChange {
    /// The resource's logical id.
    pub logical_id: String,
    /// `AWS::Service::Resource`
    pub resource_type: String,
    /// `Add`, `Modify`, `Remove`, `Import` or `Dynamic`.
    pub action: String,
    /// For `Modify`: `True`, `Conditional` or `False`.
    pub replacement: Option<String>,
    /// What changes: `Properties`, `Metadata`, `CreationPolicy`, `UpdatePolicy`,
    /// `DeletionPolicy`, `UpdateReplacePolicy`, `Tags`.
    pub scope: Vec<String>,
    /// The changed attributes, one entry per cause.
    pub details: Vec<ChangeDetail>,
    /// In a drift-aware change set (`REVERT_DRIFT`), the resource's actual state against its
    /// template: `IN_SYNC`, `MODIFIED`, `DELETED`, `UNKNOWN` or `UNSUPPORTED`.
    pub drift_status: Option<String>,
}

/// One detail of a change set entry: which attribute changes and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeDetail {
    /// `Properties`, `Metadata`, `Tags`, ...
    pub attribute: String,
    /// The property name, for `Properties`.
    pub name: Option<String>,
    /// `Never`, `Conditionally` or `Always`.
    pub requires_recreation: Option<String>,
    /// `ResourceReference`, `ParameterReference`, `ResourceAttribute`, `DirectModification`
    /// or `Automatic`.
    pub change_source: Option<String>,
    /// What caused it, when CloudFormation says (`CausingEntity`): the logical id of the
    /// resource (or `Id.Attribute`) or the parameter referred to.
    pub causing_entity: Option<String>,
    /// The property's path (`/Properties/Tags/0/Value`), when the change set was described
    /// with `IncludePropertyValues`.
    pub path: Option<String>,
    /// CloudFormation's value before the change (JSON), with `IncludePropertyValues`.
    pub before: Option<String>,
    /// CloudFormation's value after the change (JSON), with `IncludePropertyValues`.
    pub after: Option<String>,
}
