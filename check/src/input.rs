//! The templates to check: files named on the command line, and the templates found by walking
//! directories.

use std::fs;
use std::path::{Path, PathBuf};

/// One template's text and the name findings give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given (or walked), or a rendered stack's name.
    pub name: String,
    /// The text.
    pub text: String,
}

/// A path that cannot be read: a usage error (exit 2), unlike a template that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Missing, or unreadable.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not UTF-8 text.
    #[error("`{}` is not UTF-8 text: a template is YAML or JSON", path.display())]
    NotText {
        /// The path.
        path: PathBuf,
    },
    /// A directory with no template in it.
    #[error("`{}` holds no CloudFormation template (`*.yaml`, `*.yml`, `*.json`, `*.template`)", path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
}

/// File endings a walked directory's templates have.
const ENDINGS: &[&str] = &["yaml", "yml", "json", "template"];

/// Reads the named files and the templates under the named directories (walked in name
/// order; hidden entries skipped). A walked file that names neither `Resources` nor
/// `AWSTemplateFormatVersion` is not a template (a workflow, a stack policy) and is skipped
/// with a note; a named file is always checked.
pub fn collect(paths: &[PathBuf]) -> Result<(Vec<Input>, Vec<String>), InputError> {
    let mut inputs = Vec::new();
    let mut notes = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|source| InputError::Read {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let before = inputs.len();
            walk(p, &mut inputs, &mut notes)?;
            if inputs.len() == before {
                return Err(InputError::Empty { path: p.clone() });
            }
        } else {
            inputs.push(read(p)?);
        }
    }
    Ok((inputs, notes))
}

fn read(p: &Path) -> Result<Input, InputError> {
    let bytes = fs::read(p).map_err(|source| InputError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| InputError::NotText {
        path: p.to_path_buf(),
    })?;
    Ok(Input {
        name: p.display().to_string(),
        text,
    })
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, notes: &mut Vec<String>) -> Result<(), InputError> {
    let rd = fs::read_dir(dir).map_err(|source| InputError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, inputs, notes)?;
            continue;
        }
        let templated = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ENDINGS.contains(&e));
        if !templated {
            continue;
        }
        let input = match read(&p) {
            Ok(i) => i,
            Err(InputError::NotText { .. }) => {
                notes.push(format!("skipped `{}`: not UTF-8 text", p.display()));
                continue;
            }
            Err(e) => return Err(e),
        };
        if !input.text.contains("Resources") && !input.text.contains("AWSTemplateFormatVersion") {
            notes.push(format!(
                "skipped `{}`: not a CloudFormation template (no `Resources`)",
                p.display()
            ));
            continue;
        }
        inputs.push(input);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_in_order_and_non_templates_skipped() {
        let d = tempfile::tempdir().expect("temp dir");
        fs::create_dir(d.path().join("sub")).expect("mkdir");
        fs::write(d.path().join("b.yaml"), "Resources: {}\n").expect("write");
        fs::write(d.path().join("sub/a.json"), "{\"Resources\": {}}").expect("write");
        fs::write(d.path().join("ci.yml"), "on: push\n").expect("write");
        fs::write(d.path().join(".hidden.yaml"), "Resources: {}\n").expect("write");
        fs::write(d.path().join("notes.txt"), "Resources").expect("write");
        let (inputs, notes) = collect(&[d.path().to_path_buf()]).expect("collects");
        let names: Vec<String> = inputs
            .iter()
            .map(|i| {
                Path::new(&i.name)
                    .strip_prefix(d.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["b.yaml", "sub/a.json"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("ci.yml"));
    }

    #[test]
    fn a_missing_path_or_an_empty_directory_is_a_usage_error() {
        let d = tempfile::tempdir().expect("temp dir");
        assert!(matches!(
            collect(&[d.path().join("nope.yaml")]),
            Err(InputError::Read { .. })
        ));
        assert!(matches!(
            collect(&[d.path().to_path_buf()]),
            Err(InputError::Empty { .. })
        ));
        fs::write(d.path().join("bin.yaml"), [0xff, 0xfe, 0x00]).expect("write");
        assert!(matches!(
            collect(&[d.path().join("bin.yaml")]),
            Err(InputError::NotText { .. })
        ));
    }
}
