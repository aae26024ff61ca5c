//! Resource changes: the template diff by logical id (added, modified, removed), each
//! modification broken down into the top-level properties and resource attributes that differ.

use harden_blueprints::cfn::{Node, NodeMap};

use crate::change_set::ChangeSetOnly;
use crate::input::ChangeSetChange;
use crate::replacement::{is_create_only, ReplacementInfo};
use crate::value::ValueChange;

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Created.
    Add,
    /// Updated, in place or by replacement (see [`ResourceChange::replacement`]).
    Modify,
    /// Deleted (or kept, orphaned, by its `DeletionPolicy`).
    Remove,
    /// An existing resource brought under the stack (change sets of type `IMPORT`).
    Import,
    /// Re-evaluated at deploy time; CloudFormation cannot tell yet whether it changes.
    Dynamic,
}

impl Action {
    /// Reads a change set's `Action` column; unknown words read as [`Action::Dynamic`].
    pub fn from_change_set(s: &str) -> Action {
        match s {
            "Add" => Action::Add,
            "Modify" => Action::Modify,
            "Remove" => Action::Remove,
            "Import" => Action::Import,
            _ => Action::Dynamic,
        }
    }

    /// `add`, `modify`, `remove`, `import`, `dynamic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Modify => "modify",
            Action::Remove => "remove",
            Action::Import => "import",
            Action::Dynamic => "dynamic",
        }
    }
}

/// Where a changed value lives in the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// A top-level key of `Properties`.
    Property,
    /// A resource attribute beside `Properties`: `Type`, `DeletionPolicy`,
    /// `UpdateReplacePolicy`, `DependsOn`, `Condition`, `Metadata`, ...
    Attribute,
}

/// One changed top-level property or resource attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    /// The property or attribute name.
    pub name: String,
    /// Whether it is a property or a resource attribute.
    pub section: Section,
    /// Whether the schemas mark it create-only (a change replaces the resource).
    pub create_only: bool,
    /// The value before and after.
    pub value: ValueChange,
}

/// What happens to one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    /// The logical id.
    pub logical_id: String,
    /// The type: the desired one, or the deployed one for a removal.
    pub resource_type: String,
    /// The deployed type, when `Type` itself changes.
    pub old_type: Option<String>,
    /// What happens.
    pub action: Action,
    /// The changed properties and attributes, for a modification found in the template diff.
    pub properties: Vec<PropertyChange>,
    /// Changes that come through references although the resource's own text is the same
    /// (`` `VpcId` refers to `Vpc`, which is replaced ``).
    pub through: Vec<String>,
    /// `false` when only attributes that CloudFormation keeps for itself change (`Metadata`,
    /// `DeletionPolicy`, `UpdateReplacePolicy`, `DependsOn`, `CreationPolicy`, `UpdatePolicy`):
    /// the resource itself is not touched.
    pub touches_resource: bool,
    /// For a modification: whether it replaces the resource.
    pub replacement: Option<ReplacementInfo>,
    /// Whether the template diff found it (`false` for change set entries alone).
    pub in_template_diff: bool,
    /// The change set's entry for it, when a change set was given and lists it.
    pub change_set: Option<ChangeSetChange>,
    /// For an entry found by the change set only (not in the template diff, reached by no
    /// reference): why CloudFormation lists it.
    pub change_set_only: Option<ChangeSetOnly>,
}

impl ResourceChange {
    /// A change with nothing but its id, type and action.
    pub fn new(logical_id: &str, resource_type: &str, action: Action) -> ResourceChange {
        ResourceChange {
            logical_id: logical_id.to_string(),
            resource_type: resource_type.to_string(),
            old_type: None,
            action,
            properties: Vec::new(),
            through: Vec::new(),
            touches_resource: true,
            replacement: None,
            in_template_diff: false,
            change_set: None,
            change_set_only: None,
        }
    }

    /// Whether the resource is, or may be, replaced.
    pub fn replaces(&self) -> bool {
        self.replacement
            .as_ref()
            .is_some_and(ReplacementInfo::replaces)
    }

    /// CloudFormation's own before and after values of the properties it changes (change
    /// sets described with `IncludePropertyValues`).
    pub fn cloudformation_values(&self) -> Vec<&crate::input::ChangeDetail> {
        self.change_set
            .iter()
            .flat_map(|c| &c.details)
            .filter(|d| d.before.is_some() || d.after.is_some())
            .collect()
    }

    /// Where harden's prediction and CloudFormation's change set disagree (CloudFormation's
    /// word counts): the replacement verdict, and properties one sees changing and the other
    /// does not.
    pub fn disagreements(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = &self.replacement {
            if r.basis() == Some(crate::replacement::Basis::Overridden) {
                out.push(format!(
                    "replacement: harden predicted {}, CloudFormation says {}",
                    r.predicted.map(|x| x.as_str()).unwrap_or("none"),
                    r.confirmed.map(|x| x.as_str()).unwrap_or("none")
                ));
            }
        }
        out.extend(self.property_disagreements());
        out
    }

    /// The properties harden's template diff and CloudFormation's change set disagree on.
    pub fn property_disagreements(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(cs) = &self.change_set else {
            return out;
        };
        if !self.in_template_diff || cs.details.is_empty() {
            return out;
        }
        let direct: Vec<&str> = cs
            .details
            .iter()
            .filter(|d| {
                d.attribute == "Properties"
                    && d.change_source.as_deref() == Some("DirectModification")
            })
            .filter_map(|d| d.name.as_deref())
            .collect();
        for n in &direct {
            if !self
                .properties
                .iter()
                .any(|p| p.section == Section::Property && p.name == *n)
            {
                out.push(format!(
                    "`{n}`: CloudFormation changes it, harden's template diff does not"
                ));
            }
        }
        let named: Vec<&str> = cs
            .details
            .iter()
            .filter_map(|d| d.name.as_deref())
            .collect();
        for p in self
            .properties
            .iter()
            .filter(|p| p.section == Section::Property)
        {
            if !named.contains(&p.name.as_str()) {
                out.push(format!(
                    "`{}`: in harden's template diff, CloudFormation reports no change to it",
                    p.name
                ));
            }
        }
        out
    }
}

/// Attributes beside `Properties` that do not touch the resource when they change.
const STACK_SIDE: &[&str] = &[
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "DependsOn",
    "CreationPolicy",
    "UpdatePolicy",
];

/// The order attributes are listed in after the properties.
const ATTRIBUTE_ORDER: &[&str] = &[
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "DependsOn",
    "CreationPolicy",
    "UpdatePolicy",
    "Metadata",
];

/// An empty map, for templates and resources that lack a section.
pub fn empty_map() -> &'static NodeMap {
    static EMPTY: std::sync::OnceLock<NodeMap> = std::sync::OnceLock::new();
    EMPTY.get_or_init(NodeMap::new)
}

/// The resources of a template (empty when it has none).
pub fn resources(template: &Node) -> &NodeMap {
    template
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .unwrap_or_else(|| empty_map())
}

/// A resource's `Type`.
pub fn type_of(resource: &Node) -> &str {
    resource
        .get_path(&["Type"])
        .and_then(Node::as_str)
        .unwrap_or_default()
}

/// Diffs the resources of two templates: desired order for additions and modifications,
/// then removals in deployed order.
pub fn diff(old: &NodeMap, new: &NodeMap) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    for (id, res) in new {
        match old.get(id) {
            None => {
                let mut rc = ResourceChange::new(id, type_of(res), Action::Add);
                rc.in_template_diff = true;
                out.push(rc);
            }
            Some(before) if before != res => {
                if let Some(rc) = modification(id, before, res) {
                    out.push(rc);
                }
            }
            Some(_) => {}
        }
    }
    for (id, res) in old {
        if !new.contains_key(id) {
            let mut rc = ResourceChange::new(id, type_of(res), Action::Remove);
            rc.in_template_diff = true;
            out.push(rc);
        }
    }
    out
}

fn modification<'a>(id: &str, old: &'a Node, new: &'a Node) -> Option<ResourceChange> {
    let (old_type, new_type) = (type_of(old), type_of(new));
    let mut rc = ResourceChange::new(id, new_type, Action::Modify);
    rc.in_template_diff = true;
    if old_type != new_type {
        rc.old_type = Some(old_type.to_string());
    }
    let props = |n: &'a Node| -> &'a NodeMap {
        n.get_path(&["Properties"])
            .and_then(Node::as_map)
            .unwrap_or_else(|| empty_map())
    };
    let (op, np) = (props(old), props(new));
    let names = np.keys().chain(op.keys().filter(|k| !np.contains_key(*k)));
    for name in names {
        let (a, b) = (op.get(name), np.get(name));
        if a != b {
            rc.properties.push(PropertyChange {
                name: name.clone(),
                section: Section::Property,
                create_only: is_create_only(new_type, name, a, b).unwrap_or(false),
                value: ValueChange::new(a, b),
            });
        }
    }
    let mut attr_names: Vec<String> = ATTRIBUTE_ORDER.iter().map(|s| s.to_string()).collect();
    for n in [new, old] {
        for k in n.as_map().into_iter().flat_map(|m| m.keys()) {
            if k != "Type" && k != "Properties" && !attr_names.contains(k) {
                attr_names.push(k.clone());
            }
        }
    }
    for name in attr_names {
        let (a, b) = (old.get_path(&[&name]), new.get_path(&[&name]));
        let same = if name == "DependsOn" {
            depends_on(a) == depends_on(b)
        } else {
            a == b
        };
        if !same {
            rc.properties.push(PropertyChange {
                name,
                section: Section::Attribute,
                create_only: false,
                value: ValueChange::new(a, b),
            });
        }
    }
    if rc.old_type.is_none() && rc.properties.is_empty() {
        return None; // only equivalent spellings differ (`DependsOn: A` and `[A]`)
    }
    rc.touches_resource = rc.old_type.is_some()
        || rc
            .properties
            .iter()
            .any(|p| p.section == Section::Property || !STACK_SIDE.contains(&p.name.as_str()));
    Some(rc)
}

/// Puts changes in template order: desired resources as declared, then removed ones as they
/// were declared, then anything else (change set entries for resources in neither).
/// Resources found through references or by the change set sit where they are declared.
pub fn sort_by_template(changes: &mut [ResourceChange], old: &NodeMap, new: &NodeMap) {
    let rank = |id: &str| {
        new.get_index_of(id)
            .or_else(|| old.get_index_of(id).map(|i| new.len() + i))
            .unwrap_or(usize::MAX)
    };
    changes.sort_by_key(|rc| rank(&rc.logical_id));
}

/// `DependsOn` as a sorted list: `A` and `[A]` say the same, and order does not matter.
fn depends_on(n: Option<&Node>) -> Vec<&str> {
    let mut v: Vec<&str> = match n {
        Some(Node::Str(s)) => vec![s.as_str()],
        Some(Node::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    };
    v.sort_unstable();
    v
}
