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
    pub selection: Selection,
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
    let stacks = sel.stacks()?;
    let mut out = Vec::new();
    for spec in stacks {
        let node = cfn::to_node(&spec.template).with_context(|| {
            format!(
                "rendering stack `{}` of blueprint `{}`",
                spec.name,
                sel.blueprint.name()
            )
        })?;
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
        out.push(Rendered { spec, node, text });
    }
    Ok(out)
}

/// Writes the rendered stacks: `DIR/<stack>.<ext>`, plus `DIR/<stack>.stack-policy.json`
/// where the tier sets a stack policy. Returns the files written.
pub fn write_stacks(dir: &Path, format: Format, stacks: &[Rendered]) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating output directory `{}`", dir.display()))?;
    let mut written = Vec::new();
    for r in stacks {
        let path = dir.join(format!("{}.{}", r.spec.name, format.extension()));
        fs::write(&path, &r.text).with_context(|| format!("writing `{}`", path.display()))?;
        written.push(path);
        if let Some(policy) = &r.spec.stack_policy {
            let path = dir.join(format!("{}.stack-policy.json", r.spec.name));
            fs::write(&path, cfn::render::to_json(policy))
                .with_context(|| format!("writing `{}`", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}
