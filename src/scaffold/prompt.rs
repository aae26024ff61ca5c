//! The questions `harden init` asks on a terminal for what the flags did not give. Each
//! answer is checked as it is typed, by the same rules [`super::resolve`] applies; the
//! request is then resolved as if the answers had been flags.

use anyhow::{Context, Result};
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, MultiSelect, Select};
use harden_blueprints::Tier;

use super::validate;
use super::{CiProvider, EnvRequest, InitRequest};

/// What a prompt's failure means to the user: Ctrl-C or a closed terminal.
fn asked<T>(r: dialoguer::Result<T>) -> Result<T> {
    r.context("reading the answer (nothing was written)")
}

/// Asks for every value `req` lacks. `git_remote` is `git remote get-url origin` in the
/// project directory, offered as the GitHub repository when it is one.
pub fn fill(req: &mut InitRequest, git_remote: Option<&str>, color: bool) -> Result<()> {
    let colorful = ColorfulTheme::default();
    let theme: &dyn Theme = if color { &colorful } else { &SimpleTheme };

    if req.blueprints.is_empty() {
        let all = harden_blueprints::all();
        let items: Vec<String> = all
            .iter()
            .map(|b| format!("{}: {}", b.name(), b.summary()))
            .collect();
        loop {
            let chosen = asked(
                MultiSelect::with_theme(theme)
                    .with_prompt("Blueprints (space selects, enter confirms)")
                    .items(&items)
                    .interact(),
            )?;
            if !chosen.is_empty() {
                req.blueprints = chosen.iter().map(|&i| all[i].name().to_string()).collect();
                break;
            }
            eprintln!("choose at least one blueprint (space selects it)");
        }
    }

    if req.tier.is_none() && (req.envs.is_empty() || req.envs.iter().any(|e| e.tier.is_none())) {
        let i = asked(
            Select::with_theme(theme)
                .with_prompt("Security tier")
                .items([
                    "basic: encryption, least privilege, private networking, alarms",
                    "enhanced: + flow logs, access logging, CloudTrail, GuardDuty, Security Hub",
                    "enterprise: + retention, stack policies, AWS Config, Access Analyzer, CIS alarms",
                ])
                .default(1)
                .interact(),
        )?;
        req.tier = Some(Tier::ALL[i]);
    }

    if req.envs.is_empty() {
        loop {
            let default_name = match req.envs.len() {
                0 => "dev",
                1 => "prod",
                _ => "",
            };
            let taken: Vec<String> = req.envs.iter().map(|e| e.name.clone()).collect();
            let mut name = Input::<String>::with_theme(theme).with_prompt("Environment name");
            if !default_name.is_empty() {
                name = name.default(default_name.to_string());
            }
            let name = asked(
                name.validate_with(|s: &String| -> Result<(), String> {
                    if taken.contains(s) {
                        return Err(format!("environment `{s}` is already given"));
                    }
                    validate::name("--env", s).map_err(|e| first_line(&e))
                })
                .interact_text(),
            )?;
            let account = asked(
                Input::<String>::with_theme(theme)
                    .with_prompt(format!("AWS account id of `{name}` (12 digits)"))
                    .validate_with(|s: &String| {
                        validate::account(&name, s).map_err(|e| first_line(&e))
                    })
                    .interact_text(),
            )?;
            let region = asked(
                Input::<String>::with_theme(theme)
                    .with_prompt(format!("AWS region of `{name}`"))
                    .default(
                        req.envs
                            .last()
                            .map(|e| e.region.clone())
                            .unwrap_or_else(|| "us-east-1".into()),
                    )
                    .validate_with(|s: &String| {
                        validate::region(&name, s).map_err(|e| first_line(&e))
                    })
                    .interact_text(),
            )?;
            req.envs.push(EnvRequest {
                name,
                account,
                region,
                tier: None,
            });
            let more = asked(
                Confirm::with_theme(theme)
                    .with_prompt("Add another environment?")
                    .default(req.envs.len() == 1)
                    .interact(),
            )?;
            if !more {
                break;
            }
        }
    }

    let required = super::required_params(req);
    let takes_email = req.blueprints.iter().any(|b| {
        harden_blueprints::find(b)
            .is_some_and(|b| b.all_params().iter().any(|p| p.name == "alert_email"))
    });
    if req.alert_email.is_none() && takes_email {
        let needed = required.iter().find(|(k, ..)| *k == "alert_email");
        let prompt = match needed {
            Some((_, _, b, t)) => format!("Alert email (`{b}` needs one at tier `{t}`)"),
            None => "Alert email (optional: enter for none)".to_string(),
        };
        let email = asked(
            Input::<String>::with_theme(theme)
                .with_prompt(prompt)
                .allow_empty(needed.is_none())
                .validate_with(|s: &String| {
                    if s.is_empty() {
                        return Ok(());
                    }
                    validate::email(s).map_err(|e| first_line(&e))
                })
                .interact_text(),
        )?;
        if !email.is_empty() {
            req.alert_email = Some(email);
        }
    }
    for (key, example, blueprint, tier) in required {
        if key == "alert_email" {
            continue;
        }
        let value = asked(
            Input::<String>::with_theme(theme)
                .with_prompt(format!(
                    "`{key}` (`{blueprint}` needs it at tier `{tier}`, like `{example}`)"
                ))
                .interact_text(),
        )?;
        req.params.push((key.to_string(), value));
    }

    if req.ci.is_none() && req.github_repository.is_none() {
        let i = asked(
            Select::with_theme(theme)
                .with_prompt("CI")
                .items([
                    "GitHub Actions: plan on pull requests, deploy on merge",
                    "none",
                ])
                .default(0)
                .interact(),
        )?;
        req.ci = Some(if i == 0 {
            CiProvider::Github
        } else {
            CiProvider::None
        });
    }
    if req.ci == Some(CiProvider::Github) && req.github_repository.is_none() {
        let mut input =
            Input::<String>::with_theme(theme).with_prompt("GitHub repository (OWNER/REPO)");
        if let Some(r) = git_remote.and_then(validate::github_repository_from_remote) {
            input = input.default(r);
        }
        let repo = asked(
            input
                .validate_with(|s: &String| {
                    validate::github_repository(s).map_err(|e| first_line(&e))
                })
                .interact_text(),
        )?;
        req.github_repository = Some(repo);
    }
    Ok(())
}

/// An error's first line: what a prompt shows under the answer.
fn first_line(e: &anyhow::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}
