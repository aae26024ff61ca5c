//! A saved plan (`harden plan --out plan.json`): the steps `harden deploy` would run (the
//! change sets it created, kept by ARN, and what each stack looked like when the plan was
//! made), and the plan itself, as text for the person who approves it and as JSON for
//! machines. One typed value, serialised with serde.
//!
//! `harden deploy --plan plan.json` trusts none of it blindly: the file carries a digest of its
//! own content and is refused if edited; each change set is checked against AWS (its stack,
//! template, parameters and tags are the plan's); and what the approval rules weigh (data at
//! risk, broadened access) is worked out again from the change sets, not read from the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub use super::digest::{sha256, template_sha256};
use super::prepare::Prepared;
use super::step::Step;
use crate::exit::refuse;
use crate::settings::Selection;

/// The file format's version.
pub const FORMAT_VERSION: i64 = 3;

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Always `harden`.
    pub tool: String,
    /// [`FORMAT_VERSION`].
    pub format_version: i64,
    /// `--blueprint --tier ...` it was made with.
    pub selection: String,
    /// The tier.
    pub tier: String,
    /// The stacks, in deployment order: the steps `harden deploy` would run.
    pub stacks: Vec<Step>,
    /// The plan as `harden plan` printed it (no colour), shown again before approval.
    pub text: String,
    /// The plan (`harden plan --format json`), for machines.
    pub plan: serde_json::Value,
    /// SHA-256 of this document with this field empty: an edited file is refused.
    pub digest: String,
}

/// A path beside `path` that does not exist yet (`plan.json` → `plan-2.json`), for hints that
/// must never propose overwriting a file.
pub fn fresh_path(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (2..)
        .map(|i| path.with_file_name(format!("{stem}-{i}{ext}")))
        .find(|p| !p.exists())
        .expect("some numbered name is free")
}

impl SavedPlan {
    /// A saved plan of prepared stacks.
    pub fn new(sel: &Selection, prepared: &[Prepared], plan: &harden_plan::Plan) -> SavedPlan {
        let mut saved = SavedPlan {
            tool: "harden".into(),
            format_version: FORMAT_VERSION,
            selection: sel.flags(),
            tier: sel.tier.to_string(),
            stacks: prepared.iter().map(Step::of).collect(),
            text: harden_plan::render_text(plan, false),
            plan: harden_plan::render_json(plan),
            digest: String::new(),
        };
        saved.digest = saved.compute_digest();
        saved
    }

    fn compute_digest(&self) -> String {
        let unsigned = SavedPlan {
            digest: String::new(),
            ..self.clone()
        };
        sha256(&serde_json::to_string(&unsigned).expect("a saved plan serialises"))
    }

    /// The JSON document.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("a saved plan serialises") + "\n"
    }

    /// Checks that `path` can be written, before any change set is made for it: an existing
    /// directory, and no directory in the way.
    pub fn check_writable(path: &Path) -> Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            anyhow::bail!(
                "cannot save the plan to `{}`: the directory `{}` does not exist\nhint: create it first, or pass `--out` a path in an existing directory; no change set was made",
                path.display(),
                dir.display()
            );
        }
        if path.is_dir() {
            anyhow::bail!(
                "cannot save the plan to `{}`: it is a directory\nhint: pass `--out` a file path such as `{}`; no change set was made",
                path.display(),
                fresh_path(&path.join("plan.json")).display()
            );
        }
        let probe = tempfile_in(&dir);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
        {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
                Ok(())
            }
            Err(e) => Err(anyhow::anyhow!(
                "cannot save the plan to `{}`: `{}` is not writable ({e})\nhint: pass `--out` a path you can write; no change set was made",
                path.display(),
                dir.display()
            )),
        }
    }

    /// Writes the file.
    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_text())
            .with_context(|| format!("writing the plan to `{}`", path.display()))
    }

    /// Reads a saved plan: a file that is not one, of another format version, or edited since
    /// harden wrote it is refused, saying which.
    pub fn read(path: &Path) -> Result<SavedPlan> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the plan `{}`", path.display()))?;
        let not_a_plan = |why: &str| {
            anyhow::anyhow!(
                "`{}` is not a harden plan: {why}\nhint: {}",
                path.display(),
                plan_hint(&text, path)
            )
        };
        let v: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => return Err(not_a_plan("it is not JSON")),
        };
        if v.get("tool").and_then(serde_json::Value::as_str) != Some("harden") {
            return Err(not_a_plan("field `tool` is missing or wrong"));
        }
        let version = v.get("format_version").and_then(serde_json::Value::as_i64);
        if version != Some(FORMAT_VERSION) {
            let again = match v.get("selection").and_then(serde_json::Value::as_str) {
                Some(sel) => format!(
                    "make the plan again with this harden: `harden plan {sel} --out {}`",
                    fresh_path(path).display()
                ),
                None => "make the plan again with this harden".to_string(),
            };
            anyhow::bail!(
                "`{}` is a harden plan of format version {}, and this harden reads version {FORMAT_VERSION}\nhint: {again}",
                path.display(),
                version.map(|v| v.to_string()).unwrap_or_else(|| "?".into())
            );
        }
        let saved: SavedPlan =
            serde_json::from_value(v).map_err(|e| not_a_plan(&format!("{e}")))?;
        if saved.compute_digest() != saved.digest {
            return refuse(format!(
                "the plan `{}` was changed after harden wrote it (its digest does not match its content), so harden will not execute it\nhint: make a new plan with `harden plan {} --out {}`",
                path.display(),
                saved.selection,
                fresh_path(path).display()
            ));
        }
        Ok(saved)
    }
}

/// What to do with a file that is not a plan: `deploy --plan` takes only a file `plan --out`
/// wrote. A template harden rendered says its blueprint and tier, so the hint is the complete
/// command that plans it, into a file that does not exist.
fn plan_hint(text: &str, path: &Path) -> String {
    let meta = harden_blueprints::cfn::parse::parse_template(text)
        .ok()
        .and_then(|t| {
            let h = t.get_path(&["Metadata", "harden"])?.clone();
            let b = h.get_path(&["Blueprint"])?.as_str()?.to_string();
            let tier = h.get_path(&["Tier"])?.as_str()?.to_string();
            let params: String = h
                .get_path(&["Parameters"])
                .and_then(harden_blueprints::cfn::Node::as_map)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| {
                    v.as_str().map(|v| {
                        format!(
                            " --param {}",
                            crate::settings::shell_quote(&format!("{k}={v}"))
                        )
                    })
                })
                .collect();
            Some((b, tier, params))
        });
    let out = fresh_path(&path.with_file_name("plan.json"));
    match meta {
        Some((b, tier, params)) => format!(
            "it is a template harden rendered (blueprint `{b}`, tier `{tier}`): plan it with `harden plan --blueprint {b} --tier {tier}{params} --out {}` (with `--name` too if you render with one), then deploy that file",
            out.display()
        ),
        None => "`harden deploy --plan` takes only a file written by `harden plan ... --out FILE`".to_string(),
    }
}

/// A probe file name in `dir` that nothing else uses.
fn tempfile_in(dir: &Path) -> PathBuf {
    dir.join(format!(".harden-write-check-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SavedPlan {
        let mut s = SavedPlan {
            tool: "harden".into(),
            format_version: FORMAT_VERSION,
            selection: "--blueprint sagemaker-vpc --tier basic".into(),
            tier: "basic".into(),
            stacks: Vec::new(),
            text: "plan\n".into(),
            plan: serde_json::json!({"has_changes": true}),
            digest: String::new(),
        };
        s.digest = s.compute_digest();
        s
    }

    #[test]
    fn an_edited_plan_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        sample().write(&path).unwrap();
        assert_eq!(SavedPlan::read(&path).unwrap(), sample());
        let edited = std::fs::read_to_string(&path)
            .unwrap()
            .replace("--tier basic", "--tier enterprise");
        std::fs::write(&path, edited).unwrap();
        let e = SavedPlan::read(&path).unwrap_err();
        assert!(e.is::<crate::exit::Refusal>());
        assert!(
            e.to_string().contains("was changed after harden wrote it"),
            "{e}"
        );
        assert!(e.to_string().contains("--out "), "{e}");
        assert!(
            !e.to_string().contains(&format!("--out {}", path.display())),
            "{e}"
        );
    }

    #[test]
    fn fresh_paths_never_name_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        assert_eq!(fresh_path(&path), path);
        std::fs::write(&path, "x").unwrap();
        assert_eq!(fresh_path(&path), dir.path().join("plan-2.json"));
    }

    #[test]
    fn an_unwritable_out_is_found_before_any_change_set() {
        let e = SavedPlan::check_writable(Path::new("/nonexistent/dir/plan.json")).unwrap_err();
        assert!(e.to_string().starts_with("cannot save the plan to `/nonexistent/dir/plan.json`: the directory `/nonexistent/dir` does not exist"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        SavedPlan::check_writable(&dir.path().join("plan.json")).unwrap();
        assert!(SavedPlan::check_writable(dir.path()).is_err());
    }

    /// A plan saved by an earlier harden (format 2, before steps carried a waiting stack's
    /// template) is refused with the complete command that makes it again.
    #[test]
    fn a_plan_of_an_earlier_format_is_refused_with_the_command_that_makes_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let old = sample().to_text().replace(
            &format!("\"format_version\": {FORMAT_VERSION}"),
            "\"format_version\": 2",
        );
        std::fs::write(&path, old).unwrap();
        let e = SavedPlan::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("is a harden plan of format version 2, and this harden reads version 3"),
            "{e}"
        );
        assert!(
            e.contains("hint: make the plan again with this harden: `harden plan --blueprint sagemaker-vpc --tier basic --out "),
            "{e}"
        );
    }
}
