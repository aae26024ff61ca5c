//! `harden bootstrap`: the project's bootstrap stack (`harden-bootstrap-PROJECT`, built by the
//! pure [`harden_blueprints::bootstrap`]): the artifact bucket that templates over the body
//! limit travel through, the CloudFormation service role whose policy is computed for the
//! stacks the project deploys, and the CI roles. It is planned, approved and deployed through
//! the same path as any stack ([`super::apply::deploy_stacks`]); a second run with nothing
//! changed is a no-op.

use std::collections::BTreeSet;

use anyhow::Result;
use aws_sdk_cloudformation::Client;
use harden_blueprints::bootstrap::{bootstrap_stack, BootstrapSpec, GithubCi, BOOTSTRAP_BLUEPRINT};
use harden_blueprints::cfn::{self, Node};
use harden_blueprints::iam_policy::{service_role_policy, Arns};
use harden_blueprints::{StackSpec, Tier};

use super::apply::{deploy_stacks, Approval};
use super::artifacts::Bootstrap;
use super::aws::Clients;
use super::plan::{plan_stacks, PlanOptions};
use super::prepare::Origin;
use super::stack;
use crate::render::{render_spec, Rendered};
use crate::settings::{shell_quote, Selection};

/// What `harden bootstrap` builds and where.
#[derive(Clone)]
pub struct BootstrapSettings {
    /// The project [default: `default`].
    pub project: String,
    /// The tier the bootstrap stack is hardened to.
    pub tier: Tier,
    /// GitHub CI roles, if wanted.
    pub github: Option<GithubCi>,
    /// The account's GitHub OIDC provider, when it exists already.
    pub oidc_provider_arn: Option<String>,
    /// The stacks the service role will deploy (its policy is computed for them).
    pub selections: Vec<Selection>,
    /// `--profile` / `--region` as given.
    pub aws_flags: String,
    /// `--env E` (and `-p FILE`) when the settings come from a project file: what hints repeat.
    pub origin_flags: Option<String>,
    /// An organization environment's stack sets, for the CI roles.
    pub stack_sets: Option<harden_blueprints::bootstrap::StackSetCi>,
}

impl BootstrapSettings {
    /// The bootstrap of a selection's project, for its stacks, without CI: what `deploy` offers
    /// to create when a template needs the artifact bucket.
    pub fn for_selection(sel: &Selection) -> BootstrapSettings {
        BootstrapSettings {
            project: sel.project.clone(),
            tier: sel.tier,
            github: None,
            oidc_provider_arn: None,
            selections: vec![Selection {
                aws_flags: String::new(),
                service_role: true,
                ..sel.clone()
            }],
            aws_flags: sel.aws_flags.clone(),
            origin_flags: sel
                .origin
                .as_ref()
                .map(|o| format!("{}--env {}", o.project_flag, o.env)),
            stack_sets: None,
        }
    }

    /// The flags of `harden bootstrap` that build the same stack again.
    pub fn flags(&self) -> String {
        if let Some(f) = &self.origin_flags {
            return format!("{f}{}", self.aws_flags);
        }
        let mut s = String::new();
        if self.project != super::artifacts::DEFAULT_PROJECT {
            s.push_str(&format!(" --project-name {}", shell_quote(&self.project)));
        }
        if let Some(g) = &self.github {
            s.push_str(&format!(
                " --github-repository {}",
                shell_quote(&g.repository)
            ));
            if g.branch != "main" {
                s.push_str(&format!(" --github-branch {}", shell_quote(&g.branch)));
            }
            for e in &g.environments {
                s.push_str(&format!(" --github-environment {}", shell_quote(e)));
            }
        }
        if let Some(a) = &self.oidc_provider_arn {
            s.push_str(&format!(" --oidc-provider-arn {}", shell_quote(a)));
        }
        for sel in &self.selections {
            s.push(' ');
            s.push_str(&sel.flags());
        }
        s.push_str(&self.aws_flags);
        s.trim_start().to_string()
    }

    /// Every stack the selections build, in order.
    fn stacks(&self) -> Result<Vec<StackSpec>> {
        let mut out = Vec::new();
        for sel in &self.selections {
            out.extend(sel.stacks()?);
        }
        Ok(out)
    }
}

/// Builds and renders the bootstrap stack (pure).
pub fn build(s: &BootstrapSettings) -> Result<Rendered> {
    let stacks = s.stacks()?;
    let service_policy = service_role_policy(&stacks, Arns::Variables)?;
    let mut names: Vec<String> = Vec::new();
    for st in &stacks {
        if !names.contains(&st.name) {
            names.push(st.name.clone());
        }
    }
    let spec = BootstrapSpec {
        project: s.project.clone(),
        service_policy,
        stacks: names,
        regions: stacks
            .iter()
            .filter_map(|st| Some((st.name.clone(), st.region.clone()?)))
            .collect(),
        github: s.github.clone(),
        existing_oidc_provider_arn: s.oidc_provider_arn.clone(),
        tier: s.tier,
        stack_sets: s.stack_sets.clone(),
    };
    render_spec(
        bootstrap_stack(&spec)?,
        BOOTSTRAP_BLUEPRINT,
        cfn::Format::Json,
    )
}

/// `harden bootstrap`: plans (`plan` given: print the plan, change nothing) or deploys the
/// bootstrap stack.
pub async fn bootstrap(
    aws: &Clients,
    con: &crate::ui::Console,
    s: &BootstrapSettings,
    a: Approval,
    plan: Option<&PlanOptions>,
) -> Result<u8> {
    let rendered = build(s)?;
    let flags = s.flags();
    let origin = Origin::Bootstrap {
        tier: s.tier,
        project: &s.project,
        flags: &flags,
    };
    match plan {
        Some(o) => plan_stacks(aws, con, origin, vec![rendered], o).await,
        None => deploy_stacks(aws, con, origin, vec![rendered], a).await,
    }
}

/// Every action the service-role policies of a template allow (`ServiceRolePolicy*`).
fn recorded_actions(template: &Node) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(resources) = template.get_path(&["Resources"]).and_then(Node::as_map) else {
        return out;
    };
    for (id, r) in resources {
        if !id.starts_with("ServiceRolePolicy") {
            continue;
        }
        let statements = r
            .get_path(&["Properties", "PolicyDocument", "Statement"])
            .and_then(Node::as_seq)
            .map(|s| s.to_vec())
            .unwrap_or_default();
        for st in statements {
            match st.get_path(&["Action"]) {
                Some(Node::Str(a)) => {
                    out.insert(a.clone());
                }
                Some(Node::Seq(list)) => {
                    out.extend(list.iter().filter_map(Node::as_str).map(str::to_string));
                }
                _ => {}
            }
        }
    }
    out
}

/// A note when the deployed bootstrap's service role lacks actions the stacks now need (the
/// policy it records differs from what [`service_role_policy`] computes for them): the plan
/// says to run `harden bootstrap` again. Not a refusal: the change set says what fails.
pub async fn policy_note(
    c: &Client,
    b: &Bootstrap,
    stacks: &[StackSpec],
    again: &str,
) -> Result<Option<String>> {
    let wanted = service_role_policy(stacks, Arns::Variables)?;
    let deployed = stack::deployed(c, &b.info).await?;
    let have = recorded_actions(&deployed.template);
    let missing: Vec<&str> = wanted
        .statements
        .iter()
        .flat_map(|s| s.actions.iter())
        .map(String::as_str)
        .filter(|a| !have.contains(*a))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let untrusted = untrusted_stacks(&deployed.template, stacks);
    let mut why = Vec::new();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(5).map(|a| format!("`{a}`")).collect();
        why.push(format!(
            "lacks {} action(s) these stacks need ({}{})",
            missing.len(),
            shown.join(", "),
            if missing.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }
    if !untrusted.is_empty() {
        let shown: Vec<String> = untrusted.iter().map(|n| format!("`{n}`")).collect();
        why.push(format!(
            "trusts CloudFormation only for the stacks it was made for, not {} (their change sets could not act as it)",
            shown.join(", ")
        ));
    }
    if why.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "the service role of `{}` {}: it was made for other stacks\nhint: update it with `{again}`",
        b.info.name,
        why.join("; and ")
    )))
}

/// The stacks whose ARNs the deployed service role's trust policy does not name
/// (`aws:SourceArn` on `stack/NAME/*`), when it names stacks at all.
fn untrusted_stacks<'a>(template: &Node, stacks: &'a [StackSpec]) -> Vec<&'a str> {
    let Some(trust) = template.get_path(&[
        "Resources",
        "ServiceRole",
        "Properties",
        "AssumeRolePolicyDocument",
    ]) else {
        return Vec::new();
    };
    let text = cfn::render::to_json(trust);
    if !text.contains(":stack/") {
        return Vec::new();
    }
    let mut out: Vec<&str> = Vec::new();
    for s in stacks {
        // A stack of another region (a replica stack) is trusted by its region's ARN.
        let region = s.region.as_deref().unwrap_or("${AWS::Region}");
        let arn = format!(":{region}:${{AWS::AccountId}}:stack/{}/*", s.name);
        if !text.contains(&arn) && !out.contains(&s.name.as_str()) {
            out.push(&s.name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BootstrapSettings {
        let sel = Selection::new("sagemaker-vpc", Tier::Basic, None, Vec::new()).unwrap();
        BootstrapSettings::for_selection(&sel)
    }

    #[test]
    fn the_bootstrap_records_the_actions_its_stacks_need() {
        let s = settings();
        let r = build(&s).unwrap();
        assert_eq!(r.spec.name, "harden-bootstrap-default");
        let have = recorded_actions(&r.node);
        let stacks = s.stacks().unwrap();
        let wanted = service_role_policy(&stacks, Arns::Variables).unwrap();
        for a in wanted.statements.iter().flat_map(|s| s.actions.iter()) {
            assert!(have.contains(a), "{a}");
        }
        assert!(have.iter().any(|a| a.starts_with("sagemaker:")), "{have:?}");
    }

    /// A bootstrap made for an enterprise workload trusts its replica stack by the replica
    /// region's ARN; one made before replication (or for another replica region) does not,
    /// and the plan's note says which stack it lacks.
    #[test]
    fn the_trust_of_a_replica_stack_is_checked_in_its_region() {
        let raw = vec![
            ("alert_email".to_string(), "a@example.com".to_string()),
            (
                "image_tag".to_string(),
                harden_blueprints::params::EXAMPLE_DIGEST.to_string(),
            ),
            ("replica_region".to_string(), "us-west-2".to_string()),
        ];
        let sel = Selection::new("sagemaker-vpc", Tier::Enterprise, None, raw).unwrap();
        let s = BootstrapSettings::for_selection(&sel);
        let stacks = s.stacks().unwrap();
        assert!(stacks
            .iter()
            .any(|st| st.region.as_deref() == Some("us-west-2")));
        let made = build(&s).unwrap();
        assert_eq!(untrusted_stacks(&made.node, &stacks), Vec::<&str>::new());
        // The same trust, but naming the replica stack in the bootstrap's own region.
        let text = cfn::render::to_json(&made.node).replace(
            ":us-west-2:${AWS::AccountId}:stack/sagemaker-vpc-replica/*",
            ":${AWS::Region}:${AWS::AccountId}:stack/sagemaker-vpc-replica/*",
        );
        let elsewhere = harden_blueprints::cfn::parse::parse(&text).unwrap();
        assert_eq!(
            untrusted_stacks(&elsewhere, &stacks),
            ["sagemaker-vpc-replica"]
        );
    }

    #[test]
    fn flags_build_the_same_bootstrap_again() {
        let mut s = settings();
        assert_eq!(s.flags(), "--blueprint sagemaker-vpc --tier basic");
        s.project = "demo".into();
        s.github = Some(GithubCi {
            repository: "o/r".into(),
            branch: "main".into(),
            environments: vec!["prod".into()],
        });
        s.aws_flags = " --region eu-west-1".into();
        assert_eq!(
            s.flags(),
            "--project-name demo --github-repository o/r --github-environment prod --blueprint sagemaker-vpc --tier basic --region eu-west-1"
        );
    }
}
