//! The files of a new project, rendered from the tera templates in `templates/` (embedded in
//! the binary): `harden.yaml`, `README.md`, `.gitignore` and, for GitHub Actions, the
//! workflow; and `harden.schema.json`, what `harden schema` prints. Rendering is deterministic: the same [`Scaffold`] gives the same bytes.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use tera::Tera;

use super::{Approval, Scaffold};

/// One file to write, relative to the project directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Where, under the project directory.
    pub path: PathBuf,
    /// What.
    pub contents: String,
}

/// A GitHub action the workflow uses, pinned to the commit of a release. Each pairing of tag
/// and commit was checked in at least two public sources: a tag can be moved, a commit cannot.
struct Action {
    sha: &'static str,
    version: &'static str,
}

/// `actions/checkout` v5.0.0.
const CHECKOUT: Action = Action {
    sha: "08c6903cd8c0fde910a37f88322edcfb5dd907a8",
    version: "v5.0.0",
};

/// `aws-actions/configure-aws-credentials` v5.1.1.
const CONFIGURE_AWS_CREDENTIALS: Action = Action {
    sha: "61815dcd50bd041e203e49132bacad1fd04d2708",
    version: "v5.1.1",
};

/// `github/codeql-action` v4.31.9 (its `upload-sarif` action).
const UPLOAD_SARIF: Action = Action {
    sha: "5d4e8d1aca955e8d8589aabd499c5cae939e33c7",
    version: "v4.31.9",
};

const PROJECT_FILE: &str = include_str!("../../templates/harden.yaml.tera");
const WORKFLOW: &str = include_str!("../../templates/github-workflow.yml.tera");
const README: &str = include_str!("../../templates/README.md.tera");
const GITIGNORE: &str = include_str!("../../templates/gitignore.tera");
/// harden's own README: the exit-code table the project's README repeats comes from it.
const HARDEN_README: &str = include_str!("../../README.md");

/// The templates, parsed once per call (they are small), with the `q` filter: a string as a
/// double-quoted YAML scalar (JSON's string syntax is a subset of YAML's).
fn tera() -> Result<Tera> {
    let mut t = Tera::default();
    t.add_raw_templates([
        ("harden.yaml", PROJECT_FILE),
        ("harden.yml", WORKFLOW),
        ("README.md", README),
        ("gitignore", GITIGNORE),
    ])
    .context("parsing the embedded `harden init` templates")?;
    t.register_filter(
        "q",
        |v: &Value, _: &std::collections::HashMap<String, Value>| {
            let s = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            Ok(Value::String(serde_json::to_string(&s)?))
        },
    );
    Ok(t)
}

/// The AWS partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// The role the workflow's plan jobs assume in an environment.
pub fn plan_role(project: &str, account: &str, region: &str) -> String {
    format!(
        "arn:{}:iam::{account}:role/harden-{project}-plan-{region}",
        partition(region)
    )
}

/// The role the workflow's deploy jobs assume in an environment: the bootstrap's CI role.
pub fn deploy_role(project: &str, account: &str, region: &str) -> String {
    format!(
        "arn:{}:iam::{account}:role/harden-{project}-ci-{region}",
        partition(region)
    )
}

/// The exit-code table of harden's README (from its `| code | meaning |` header to the first
/// line that is not a table row).
pub fn exit_code_table() -> String {
    let start = HARDEN_README
        .find("| code | meaning |")
        .expect("harden's README has its exit-code table");
    HARDEN_README[start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Words wrapped into lines of at most `width` characters (a longer word has its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Everything the templates read.
fn context(s: &Scaffold) -> Value {
    let version = env!("CARGO_PKG_VERSION");
    let stacks: Vec<Value> = s
        .stacks
        .iter()
        .map(|e| {
            json!({
                "blueprint": e.blueprint.name(),
                "summary_lines": wrap(e.blueprint.summary(), 90),
                "params": e.params.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let envs: Vec<Value> = s
        .envs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            // Each environment's stacks, the account baseline once even when several
            // blueprints deploy it.
            let mut deployed: Vec<Value> = Vec::new();
            let mut seen: Vec<&str> = Vec::new();
            for entry in &s.stacks {
                for spec in &entry.stacks[i] {
                    if seen.contains(&spec.name.as_str()) {
                        continue;
                    }
                    seen.push(&spec.name);
                    deployed.push(json!({
                        "name": spec.name,
                        "blueprint": spec.owner(),
                        "purpose": spec.purpose,
                    }));
                }
            }
            json!({
                "name": e.name,
                "account": e.account,
                "region": e.region,
                "tier": e.tier.as_str(),
                "approval": e.approval.as_str(),
                "review": e.approval == Approval::Review,
                "plan_role": plan_role(&s.project, &e.account, &e.region),
                "deploy_role": deploy_role(&s.project, &e.account, &e.region),
                "needs": if i == 0 { Value::Null } else { json!(s.envs[i - 1].name) },
                "stacks": deployed,
            })
        })
        .collect();
    let blueprints: Vec<Value> = s
        .stacks
        .iter()
        .map(|e| json!({"name": e.blueprint.name(), "summary": e.blueprint.summary()}))
        .collect();
    json!({
        "version": version,
        "rust_version": env!("CARGO_PKG_RUST_VERSION"),
        "project": s.project,
        "stacks": stacks,
        "envs": envs,
        "first_env": s.envs[0].name,
        "review_envs": s.envs.iter().filter(|e| e.approval == Approval::Review).map(|e| &e.name).collect::<Vec<_>>(),
        "blueprints": blueprints,
        "github": s.github.as_ref().map(|g| json!({"repository": g.repository, "branch": g.branch})),
        "branch": s.github.as_ref().map(|g| g.branch.as_str()).unwrap_or("main"),
        "actions": {
            "checkout": {"sha": CHECKOUT.sha, "version": CHECKOUT.version},
            "aws": {"sha": CONFIGURE_AWS_CREDENTIALS.sha, "version": CONFIGURE_AWS_CREDENTIALS.version},
            "upload_sarif": {"sha": UPLOAD_SARIF.sha, "version": UPLOAD_SARIF.version},
        },
        "exit_codes": exit_code_table(),
    })
}

/// The project's files, in the order they are written.
pub fn files(s: &Scaffold) -> Result<Vec<File>> {
    let t = tera()?;
    let ctx = tera::Context::from_value(context(s)).context("the `harden init` context")?;
    let render = |name: &str| -> Result<String> {
        t.render(name, &ctx)
            .with_context(|| format!("rendering the `{name}` template of `harden init`"))
    };
    let mut out = vec![
        File {
            path: "harden.yaml".into(),
            contents: render("harden.yaml")?,
        },
        File {
            path: "harden.schema.json".into(),
            contents: crate::project::schema_json(),
        },
        File {
            path: "README.md".into(),
            contents: render("README.md")?,
        },
        File {
            path: ".gitignore".into(),
            contents: render("gitignore")?,
        },
    ];
    if s.github.is_some() {
        out.push(File {
            path: ".github/workflows/harden.yml".into(),
            contents: render("harden.yml")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_table_is_the_readmes() {
        let t = exit_code_table();
        assert!(
            t.starts_with("| code | meaning |\n| --- | --- |\n| 0 |"),
            "{t}"
        );
        for code in 0..=5 {
            assert!(t.contains(&format!("\n| {code} |")), "{t}");
        }
        assert!(!t.contains("\n\n"));
    }

    #[test]
    fn roles_follow_the_naming_rule_and_partition() {
        assert_eq!(
            plan_role("demo", "123456789012", "eu-west-1"),
            "arn:aws:iam::123456789012:role/harden-demo-plan-eu-west-1"
        );
        assert_eq!(
            deploy_role("demo", "123456789012", "us-gov-west-1"),
            "arn:aws-us-gov:iam::123456789012:role/harden-demo-ci-us-gov-west-1"
        );
    }

    #[test]
    fn summaries_wrap_at_word_boundaries() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert!(wrap("", 6).is_empty());
    }
}
