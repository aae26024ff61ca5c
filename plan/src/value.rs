//! A changed value, and how values read in a plan: scalars and short intrinsics inline
//! (`!Ref Vpc`), anything larger or multi-line as a unified diff of its YAML rendering.

use harden_blueprints::cfn::render::to_yaml;
use harden_blueprints::cfn::Node;
use similar::TextDiff;

/// Intrinsics longer than this are shown as a diff rather than inline.
const INLINE_MAX: usize = 100;

/// One value before and after. `None` on a side means absent there.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueChange {
    /// The deployed value.
    pub old: Option<Node>,
    /// The desired value.
    pub new: Option<Node>,
    /// A unified diff (hunks only, no file header) of the two YAML renderings, when either
    /// side is a map, a list or a multi-line string; `None` when both read well inline.
    pub diff: Option<String>,
}

impl ValueChange {
    /// Compares two values; the diff is computed only where it reads better than inline.
    pub fn new(old: Option<&Node>, new: Option<&Node>) -> ValueChange {
        let needs_diff = old.is_some_and(|n| inline_form(n).is_none())
            || new.is_some_and(|n| inline_form(n).is_none());
        ValueChange {
            old: old.cloned(),
            new: new.cloned(),
            diff: needs_diff.then(|| unified_diff(old, new)),
        }
    }

    /// `old → new` on one line, when there is no diff.
    pub fn inline(&self) -> Option<String> {
        let (old, new) = self.inline_sides()?;
        let show = |s: Option<String>| s.unwrap_or_else(|| "(none)".to_string());
        Some(format!("{} → {}", show(old), show(new)))
    }

    /// Each side's one-line form (`None` inside: absent on that side), when there is no diff.
    pub fn inline_sides(&self) -> Option<(Option<String>, Option<String>)> {
        if self.diff.is_some() {
            return None;
        }
        let side = |n: &Option<Node>| n.as_ref().map(|n| inline_form(n).unwrap_or_default());
        Some((side(&self.old), side(&self.new)))
    }
}

/// The one-line form of a value, if it has one: scalars as YAML writes them, single-line
/// intrinsics in their short form (`!Ref X`, `!GetAtt X.Arn`, `!Sub "..."`).
pub fn inline_form(n: &Node) -> Option<String> {
    match n {
        Node::Str(s) if s.contains('\n') => None,
        Node::Map(_) => {
            let s = intrinsic_short(n)?;
            (s.len() <= INLINE_MAX && !s.contains('\n')).then_some(s)
        }
        Node::Seq(s) if s.is_empty() => Some("[]".into()),
        Node::Seq(_) => None,
        other => Some(to_yaml(other).trim_end().to_string()),
    }
}

/// A compact one-line form of any value, for lists of actions, resources or principals:
/// strings as they are, intrinsics in short form, anything else as compact JSON.
pub fn compact(n: &Node) -> String {
    match n {
        Node::Str(s) => s.clone(),
        Node::Map(_) => intrinsic_short(n).unwrap_or_else(|| json(n)),
        _ => json(n),
    }
}

fn json(n: &Node) -> String {
    harden_blueprints::cfn::render::to_json_value(n).to_string()
}

/// `!Ref X`, `!GetAtt X.Y`, `!Sub ...`, `!ImportValue ...`; `None` for other maps.
fn intrinsic_short(n: &Node) -> Option<String> {
    let m = n.as_map()?;
    if m.len() != 1 {
        return None;
    }
    let (k, v) = m.get_index(0)?;
    match (k.as_str(), v) {
        ("Ref", Node::Str(id)) => Some(format!("!Ref {id}")),
        ("Fn::GetAtt", Node::Seq(parts)) => {
            let parts: Option<Vec<&str>> = parts.iter().map(Node::as_str).collect();
            Some(format!("!GetAtt {}", parts?.join(".")))
        }
        ("Fn::GetAtt", Node::Str(s)) => Some(format!("!GetAtt {s}")),
        ("Fn::Sub", Node::Str(s)) if !s.contains('\n') => Some(format!("!Sub {s}")),
        ("Fn::ImportValue", v) => Some(format!("!ImportValue {}", compact(v))),
        (k, v) if k.starts_with("Fn::") => Some(format!("!{} {}", &k[4..], json(v))),
        _ => None,
    }
}

/// A unified diff of the YAML renderings of two values: hunk headers and `-`/`+`/` ` lines,
/// each ending in a newline.
pub fn unified_diff(old: Option<&Node>, new: Option<&Node>) -> String {
    let a = old.map(to_yaml).unwrap_or_default();
    let b = new.map(to_yaml).unwrap_or_default();
    let diff = TextDiff::from_lines(&a, &b);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_short_intrinsics_are_inline() {
        let c = ValueChange::new(Some(&Node::Int(365)), Some(&Node::Int(30)));
        assert_eq!(c.inline().as_deref(), Some("365 → 30"));
        let r = Node::map([("Ref", Node::Str("Vpc".into()))]);
        let c = ValueChange::new(None, Some(&r));
        assert_eq!(c.inline().as_deref(), Some("(none) → !Ref Vpc"));
        assert!(c.diff.is_none());
    }

    #[test]
    fn maps_become_a_unified_diff_of_their_yaml() {
        let old = Node::map([("A", Node::Int(1)), ("B", Node::Int(2))]);
        let new = Node::map([("A", Node::Int(1)), ("B", Node::Int(3))]);
        let c = ValueChange::new(Some(&old), Some(&new));
        assert_eq!(c.inline(), None);
        assert_eq!(
            c.diff.as_deref(),
            Some("@@ -1,2 +1,2 @@\n A: 1\n-B: 2\n+B: 3\n")
        );
    }
}
