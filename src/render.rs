//! `harden render`: build a blueprint's stacks and write one template per stack.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use harden_blueprints::audit::audit;
use harden_blueprints::cfn::{self, Format};
use harden_blueprints::StackSpec;

use crate::settings::Selection;

/// Everything `render` needs.
#[derive(Clone)]
pub struct RenderSettings {
    /// Which stacks.
    pub selections: Vec<Selection>,
    /// Output format.
    pub format: Format,
    /// Output directory; `None` writes a single stack to stdout.
    pub out: Option<PathBuf>,
}

/// One rendered stack.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The stack as built.
    pub spec: StackSpec,
    /// The checked template tree.
    pub node: cfn::Node,
    /// The template text.
    pub text: String,
}

/// Builds and renders every stack; harden's own least-privilege rules must hold.
pub fn render_stacks(sel: &Selection, format: Format) -> Result<Vec<Rendered>> {
    sel.stacks()?
        .into_iter()
        .map(|spec| render_spec(spec, sel.blueprint.name(), format))
        .collect()
}

/// The stacks of several selections, rendered once each.
pub struct RenderedSelections<'s> {
    /// Each stack once (a baseline two workloads of a project both deploy is one stack), in
    /// order, with the tier of the selection that first rendered it.
    pub stacks: Vec<(Rendered, harden_blueprints::Tier)>,
    /// The selections that have no stack at their tier.
    pub empty: Vec<&'s Selection>,
}

/// Renders every stack of `sels`, each once.
pub fn render_selections(sels: &[Selection], format: Format) -> Result<RenderedSelections<'_>> {
    let mut stacks: Vec<(Rendered, harden_blueprints::Tier)> = Vec::new();
    let mut empty = Vec::new();
    for sel in sels {
        let mine = render_stacks(sel, format)?;
        if mine.is_empty() {
            empty.push(sel);
        }
        for r in mine {
            if !stacks.iter().any(|(x, _)| x.spec.name == r.spec.name) {
                stacks.push((r, sel.tier));
            }
        }
    }
    Ok(RenderedSelections { stacks, empty })
}

/// Renders one built stack of `blueprint`; harden's own least-privilege rules must hold.
pub fn render_spec(spec: StackSpec, blueprint: &str, format: Format) -> Result<Rendered> {
    let node = cfn::to_node(&spec.template)
        .with_context(|| format!("rendering stack `{}` of blueprint `{blueprint}`", spec.name))?;
    let findings = audit(&node);
    if !findings.is_empty() {
        let list: Vec<String> = findings
            .iter()
            .map(|f| format!("  - {} at `{}`: {}", f.rule, f.at, f.message))
            .collect();
        bail!(
            "stack `{}` breaks harden's least-privilege rules:\n{}\nhint: this is a bug in the blueprint; please report it",
            spec.name,
            list.join("\n")
        );
    }
    let text = match format {
        Format::Yaml => cfn::render::to_yaml(&node),
        Format::Json => cfn::render::to_json(&node),
    };
    Ok(Rendered { spec, node, text })
}

/// The file in an output directory that lists what harden wrote there, so a later render
/// into the same directory removes what it no longer writes (a stack policy, a baseline
/// template of a higher tier), and nothing else.
pub const MANIFEST: &str = ".harden-render.json";

/// What a render into a directory did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Files written, in order.
    pub files: Vec<PathBuf>,
    /// Files an earlier render wrote that this one does not, removed.
    pub removed: Vec<PathBuf>,
    /// Why the earlier render's list could not be read, if it could not (nothing is removed).
    pub warning: Option<String>,
}

/// Writes the rendered stacks: `DIR/<stack>.<ext>`, plus `DIR/<stack>.stack-policy.json`
/// where the tier sets a stack policy, then the manifest. Files an earlier render listed in
/// the manifest and this one does not write are removed; other files are never touched.
pub fn write_stacks(dir: &Path, format: Format, stacks: &[Rendered]) -> Result<Written> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating output directory `{}`", dir.display()))?;
    let manifest = dir.join(MANIFEST);
    let (earlier, warning) = match fs::read_to_string(&manifest) {
        Err(_) => (Vec::new(), None),
        Ok(text) => match earlier_files(&text) {
            Some(files) => (files, None),
            None => (
                Vec::new(),
                Some(format!(
                    "`{}` is not a list harden wrote; nothing an earlier render left is removed",
                    manifest.display()
                )),
            ),
        },
    };
    let mut names = Vec::new();
    for r in stacks {
        let name = format!("{}.{}", r.spec.name, format.extension());
        let path = dir.join(&name);
        fs::write(&path, &r.text).with_context(|| format!("writing `{}`", path.display()))?;
        names.push(name);
        if let Some(policy) = &r.spec.stack_policy {
            let name = format!("{}.stack-policy.json", r.spec.name);
            let path = dir.join(&name);
            fs::write(&path, cfn::render::to_json(policy))
                .with_context(|| format!("writing `{}`", path.display()))?;
            names.push(name);
        }
    }
    let mut removed = Vec::new();
    for old in earlier.iter().filter(|f| !names.contains(f)) {
        let path = dir.join(old);
        if path.is_file() {
            fs::remove_file(&path).with_context(|| {
                format!(
                    "removing `{}`, which an earlier render wrote",
                    path.display()
                )
            })?;
            removed.push(path);
        }
    }
    let list = serde_json::json!({"tool": "harden", "files": names});
    fs::write(&manifest, serde_json::to_string_pretty(&list)? + "\n")
        .with_context(|| format!("writing `{}`", manifest.display()))?;
    Ok(Written {
        files: names.iter().map(|n| dir.join(n)).collect(),
        removed,
        warning,
    })
}

/// The files a manifest lists: plain file names only (a name with a path separator, or `..`,
/// is not harden's and makes the list unreadable).
fn earlier_files(text: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("tool")?.as_str()? != "harden" {
        return None;
    }
    v.get("files")?
        .as_array()?
        .iter()
        .map(|f| {
            let f = f.as_str()?;
            let plain = !f.is_empty() && !f.contains(['/', '\\']) && f != ".." && f != ".";
            plain.then(|| f.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_manifest_names_plain_files_only() {
        assert_eq!(
            super::earlier_files(r#"{"tool": "harden", "files": ["a.yaml", "b.json"]}"#),
            Some(vec!["a.yaml".to_string(), "b.json".to_string()])
        );
        assert_eq!(
            super::earlier_files(r#"{"tool": "harden", "files": ["../etc/passwd"]}"#),
            None
        );
        assert_eq!(
            super::earlier_files(r#"{"tool": "harden", "files": ["x/y"]}"#),
            None
        );
        assert_eq!(
            super::earlier_files(r#"{"tool": "other", "files": []}"#),
            None
        );
        assert_eq!(super::earlier_files("not json"), None);
    }
}
