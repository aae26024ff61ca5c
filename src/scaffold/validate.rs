//! The rules `harden init` checks its input against, the same the project file's parser
//! applies, so what `init` writes is read back without an error.

use anyhow::{bail, Result};
use harden_blueprints::params::rules;
use harden_blueprints::params::AnyRule;

/// Checks a project or environment name given in `flag`.
pub fn name(flag: &str, s: &str) -> Result<()> {
    if !crate::project::is_name(s) {
        let fixed = sanitize_name(s)
            .map(|n| format!(" (like `{n}`)"))
            .unwrap_or_default();
        bail!(
            "invalid name `{s}` in `{flag}`: it must be a lowercase letter, then up to 29 lowercase letters, digits or `-`\nhint: choose a name that follows the rule{fixed}"
        );
    }
    Ok(())
}

/// The closest valid name: lowercased, each run of other characters one `-`, starting at
/// the first letter, at most 30 characters, no `-` at the end. `None` without a letter.
pub fn sanitize_name(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let start = lower.find(|c: char| c.is_ascii_lowercase())?;
    let mut out = String::new();
    for c in lower[start..].chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(30);
    while out.ends_with('-') {
        out.pop();
    }
    Some(out)
}

/// Twelve digits.
pub fn account(env: &str, s: &str) -> Result<()> {
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "invalid account `{s}` for environment `{env}`: an AWS account id is 12 digits\nhint: `aws sts get-caller-identity --query Account` prints yours"
        );
    }
    Ok(())
}

/// An AWS region name.
pub fn region(env: &str, s: &str) -> Result<()> {
    if !crate::deploy::aws::is_region_name(s) {
        bail!(
            "invalid region `{s}` for environment `{env}`: it must be an AWS region name, like `us-east-1`\nhint: `aws ec2 describe-regions --query 'Regions[].RegionName'` lists them"
        );
    }
    Ok(())
}

/// An email address, as the blueprints' `alert_email` takes it.
pub fn email(s: &str) -> Result<()> {
    if !rules::Email.accepts(s) {
        bail!(
            "invalid address `{s}` in `--alert-email`: it must be {}",
            rules::Email.words()
        );
    }
    Ok(())
}

/// `owner/repo`, as GitHub allows them.
pub fn is_github_repository(s: &str) -> bool {
    let Some((owner, repo)) = s.split_once('/') else {
        return false;
    };
    let owner_ok = !owner.is_empty()
        && owner.len() <= 39
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-');
    let repo_ok = !repo.is_empty()
        && repo.len() <= 100
        && repo != "."
        && repo != ".."
        && repo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    owner_ok && repo_ok
}

/// Checks `--github-repository`.
pub fn github_repository(s: &str) -> Result<()> {
    if !is_github_repository(s) {
        bail!(
            "invalid repository `{s}` in `--github-repository`: it must be `OWNER/REPO`, as in `https://github.com/OWNER/REPO`"
        );
    }
    Ok(())
}

/// A branch name safe to write into the workflow: letters, digits, `-`, `_`, `.`, `/`.
pub fn branch(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !s.starts_with(['-', '/', '.'])
        && !s.ends_with(['/', '.'])
        && !s.contains("..")
        && !s.contains("//");
    if !ok {
        bail!(
            "invalid branch `{s}` in `--github-branch`: use letters, digits, `-`, `_`, `.` and `/` (like `main` or `release/prod`)"
        );
    }
    Ok(())
}

/// `OWNER/REPO` from a GitHub remote URL (`https://github.com/o/r.git`,
/// `git@github.com:o/r.git`, `ssh://git@github.com/o/r`); `None` for any other host.
pub fn github_repository_from_remote(url: &str) -> Option<String> {
    let url = url.trim();
    let path = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("http://github.com/"))
        .or_else(|| url.strip_prefix("git@github.com:"))
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))
        .or_else(|| url.strip_prefix("git://github.com/"))?;
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    is_github_repository(path).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_name_is_sanitised_to_a_project_name() {
        assert_eq!(sanitize_name("My App").as_deref(), Some("my-app"));
        assert_eq!(
            sanitize_name("2024_ML.platform").as_deref(),
            Some("ml-platform")
        );
        assert_eq!(sanitize_name("ab--__cd-").as_deref(), Some("ab-cd"));
        assert_eq!(sanitize_name("123"), None);
        let long = sanitize_name(&format!("{}-x", "a".repeat(29))).unwrap();
        assert_eq!(long, "a".repeat(29));
        assert!(crate::project::is_name(&long));
    }

    #[test]
    fn github_remotes_give_the_repository() {
        for url in [
            "https://github.com/acme/infra.git",
            "https://github.com/acme/infra",
            "git@github.com:acme/infra.git",
            "ssh://git@github.com/acme/infra.git\n",
        ] {
            assert_eq!(
                github_repository_from_remote(url).as_deref(),
                Some("acme/infra"),
                "{url}"
            );
        }
        assert_eq!(
            github_repository_from_remote("https://gitlab.com/acme/infra.git"),
            None
        );
        assert_eq!(
            github_repository_from_remote("https://github.com/acme"),
            None
        );
    }

    #[test]
    fn accounts_regions_and_branches() {
        assert!(account("dev", "123456789012").is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            let e = account("dev", bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("12 digits"),
                "{e}"
            );
        }
        assert!(region("dev", "eu-west-1").is_ok());
        let e = region("dev", "europe").unwrap_err().to_string();
        assert!(
            e.contains("`europe`") && e.contains("environment `dev`"),
            "{e}"
        );
        assert!(branch("main").is_ok() && branch("release/prod").is_ok());
        for bad in ["", "-x", "a..b", "a b", "x/", "$(id)"] {
            assert!(branch(bad).is_err(), "{bad}");
        }
    }
}
