//! Whether an update replaces a resource (a new physical resource is created and the old one
//! deleted). Predicted before any change set from the schemas' `createOnlyProperties`, then
//! confirmed or overridden by the change set's own `Replacement` column.

use std::collections::{BTreeMap, BTreeSet};

use harden_blueprints::cfn::{type_info, Node, NodeMap};

use crate::refs::references;
use crate::resource_change::{Action, ResourceChange, Section};

/// Whether a resource is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Replacement {
    /// Updated in place (change set `False`).
    Never,
    /// Replaced only if a value that is known at deploy time turns out to differ (change set
    /// `Conditional`).
    Conditional,
    /// Replaced (change set `True`).
    Always,
}

impl Replacement {
    /// Reads a change set's `Replacement` column (`True`, `Conditional`, `False`).
    pub fn from_change_set(s: &str) -> Option<Replacement> {
        match s {
            "True" => Some(Replacement::Always),
            "Conditional" => Some(Replacement::Conditional),
            "False" => Some(Replacement::Never),
            _ => None,
        }
    }

    /// `always`, `conditional`, `never`: the name in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::Never => "never",
            Replacement::Conditional => "conditional",
            Replacement::Always => "always",
        }
    }
}

/// What is known about one modified resource's replacement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplacementInfo {
    /// From the template diff and the schemas; `None` when the resource type is not in
    /// harden's schemas and nothing else forces a replacement.
    pub predicted: Option<Replacement>,
    /// From the change set, when one was given and lists the resource.
    pub confirmed: Option<Replacement>,
    /// Why it was predicted, in plain words (`` `BucketName` is create-only ``).
    pub reasons: Vec<String>,
}

/// Where the replacement verdict that counts comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Only the prediction is known.
    Predicted,
    /// The change set agrees with the prediction (or nothing was predicted).
    Confirmed,
    /// The change set disagrees with the prediction, and wins.
    Overridden,
}

impl Basis {
    /// `predicted`, `confirmed`, `overridden`.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Predicted => "predicted",
            Basis::Confirmed => "confirmed",
            Basis::Overridden => "overridden",
        }
    }
}

impl ReplacementInfo {
    /// The verdict that counts: the change set's if there is one, else the prediction.
    pub fn effective(&self) -> Option<Replacement> {
        self.confirmed.or(self.predicted)
    }

    /// Whether the resource is, or may be, replaced.
    pub fn replaces(&self) -> bool {
        matches!(
            self.effective(),
            Some(Replacement::Always | Replacement::Conditional)
        )
    }

    /// Where the verdict comes from; `None` when nothing is known.
    pub fn basis(&self) -> Option<Basis> {
        match (self.predicted, self.confirmed) {
            (_, None) if self.predicted.is_some() => Some(Basis::Predicted),
            (None, Some(_)) => Some(Basis::Confirmed),
            (Some(p), Some(c)) if p == c => Some(Basis::Confirmed),
            (Some(_), Some(_)) => Some(Basis::Overridden),
            _ => None,
        }
    }

    fn raise(&mut self, to: Replacement, reason: String) {
        if self.predicted.is_none_or(|p| p < to) {
            self.predicted = Some(to);
        }
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// Whether a change of top-level property `name` from `old` to `new` touches a create-only
/// property of `type_name`: the property itself, or a nested create-only path below it
/// (`DnsOptions/PrivateDnsPreference`). `None` when the type is not in the schemas.
pub fn is_create_only(
    type_name: &str,
    name: &str,
    old: Option<&Node>,
    new: Option<&Node>,
) -> Option<bool> {
    let info = type_info(type_name)?;
    Some(info.create_only.iter().any(|path| {
        let mut parts = path.split('/');
        if parts.next() != Some(name) {
            return false;
        }
        let rest: Vec<&str> = parts.collect();
        rest.is_empty()
            || old.and_then(|n| n.get_path(&rest)) != new.and_then(|n| n.get_path(&rest))
    }))
}

/// Predicts the replacement of each modified resource from its own changes: a `Type`
/// change or a changed create-only property replaces it.
pub fn predict(changes: &mut [ResourceChange]) {
    for rc in changes.iter_mut().filter(|rc| rc.action == Action::Modify) {
        let mut info = ReplacementInfo::default();
        if let Some(old_type) = &rc.old_type {
            info.raise(
                Replacement::Always,
                format!("`Type` changes from `{old_type}` to `{}`", rc.resource_type),
            );
        }
        for p in &rc.properties {
            if p.section == Section::Property && p.create_only {
                info.raise(Replacement::Always, format!("`{}` is create-only", p.name));
            }
        }
        // A type harden has no schema for stays unpredicted: only a change set can tell.
        let known = type_info(&rc.resource_type).is_some() || !rc.touches_resource;
        if info.predicted.is_none() && known {
            info.predicted = Some(Replacement::Never);
        }
        rc.replacement = Some(info);
    }
}

/// Follows references: a resource whose properties refer to a replaced resource, or to a
/// parameter whose value changes, is updated too, and replaced (conditionally) when the
/// referring property is create-only. Repeats until nothing more changes, so replacements
/// cascade (`Vpc` replaced ⇒ `Subnet` on its `VpcId` ⇒ `RouteTableAssociation`).
pub fn propagate(
    changes: &mut Vec<ResourceChange>,
    old_resources: &NodeMap,
    new_resources: &NodeMap,
    changed_parameters: &BTreeSet<String>,
) {
    loop {
        let replaced: BTreeSet<String> = changes
            .iter()
            .filter(|rc| {
                rc.replacement
                    .as_ref()
                    .is_some_and(ReplacementInfo::replaces)
            })
            .map(|rc| rc.logical_id.clone())
            .collect();
        let mut grew = false;
        for (id, res) in new_resources {
            if !old_resources.contains_key(id) {
                continue; // added: nothing to update
            }
            let type_name = res
                .get_path(&["Type"])
                .and_then(Node::as_str)
                .unwrap_or_default();
            let props = res.get_path(&["Properties"]).and_then(Node::as_map);
            // Why each property changes through a reference, by property name.
            let mut causes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (name, value) in props.into_iter().flatten() {
                for r in references(value) {
                    let why = if replaced.contains(&r) {
                        format!("`{name}` refers to `{r}`, which is replaced")
                    } else if changed_parameters.contains(&r) && !new_resources.contains_key(&r) {
                        format!("`{name}` uses parameter `{r}`, whose value changes")
                    } else {
                        continue;
                    };
                    causes.entry(name).or_default().push(why);
                }
            }
            if causes.is_empty() {
                continue;
            }
            let pos = match changes.iter().position(|rc| rc.logical_id == *id) {
                Some(pos) => pos,
                None => {
                    let mut rc = ResourceChange::new(id, type_name, Action::Modify);
                    rc.replacement = Some(ReplacementInfo {
                        predicted: type_info(type_name).map(|_| Replacement::Never),
                        ..ReplacementInfo::default()
                    });
                    changes.push(rc);
                    grew = true;
                    changes.len() - 1
                }
            };
            let rc = &mut changes[pos];
            for (name, whys) in causes {
                // A nested create-only path below the property counts: the reference may
                // sit inside it.
                let create_only = type_info(type_name).is_some_and(|i| {
                    i.create_only
                        .iter()
                        .any(|p| p.split('/').next() == Some(name))
                });
                for why in whys {
                    if !rc.through.contains(&why) {
                        rc.through.push(why.clone());
                    }
                    if create_only {
                        let info = rc.replacement.get_or_insert_with(Default::default);
                        let before = info.replaces();
                        info.raise(Replacement::Conditional, format!("create-only {why}"));
                        grew |= !before && info.replaces();
                    }
                }
            }
            rc.touches_resource = true;
        }
        if !grew {
            break;
        }
    }
}
