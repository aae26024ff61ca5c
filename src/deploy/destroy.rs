//! `harden destroy`: delete a blueprint's stacks, newest dependency first, after saying what
//! will be deleted, what will be retained (with the physical ids to find it by) and what the
//! deletion does to the account beyond the stack (the password policy). It needs no tier or
//! parameters: it acts on what is deployed. Stacks harden did not create, or of another
//! blueprint, are refused unless adopted; termination-protected stacks unless the user says
//! to turn protection off. The shared account baseline is kept unless it is the blueprint
//! being destroyed.

use std::io::Write;

use anyhow::{bail, Result};
use aws_sdk_cloudformation::Client;
use harden_blueprints::cfn::Node;
use harden_blueprints::StackRole;

use super::artifacts;
use super::aws::Clients;
use super::events::{first_cause, watch, Lines, StackEvent};
use super::ownership::{self, Intent, Owner};
use super::stack::{self, StackInfo, StackResource, StackStatus};
use crate::exit;
use crate::settings::Target;
use crate::ui::Console;
use harden_blueprints::blueprint::{replica_stack_name, REPLICA_REGION_TAG};

/// What the user allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct DestroyOptions {
    /// `--yes`
    pub yes: bool,
    /// `--disable-termination-protection`
    pub disable_termination_protection: bool,
}

/// A stack to delete, and what its deletion leaves or does.
struct Doomed {
    info: StackInfo,
    /// Its region's client, and the region when it is not the one deployed to (a replica).
    client: Client,
    region: Option<String>,
    role: StackRole,
    /// (logical id, type, physical id) of resources with `DeletionPolicy: Retain`.
    retained: Vec<(String, String, Option<String>)>,
    /// What deleting it does outside the stack, one line each.
    effects: Vec<String>,
}

/// Destroys the target's stacks.
pub async fn destroy(aws: &Clients, con: &Console, t: &Target, o: DestroyOptions) -> Result<u8> {
    let c = &aws.cfn;
    let mut err = con.err();
    let own_baseline = t.blueprint.fixed_stack_name().is_some();
    let mut targets = Vec::new();
    let mut kept = Vec::new();
    // Newest first; the replica stack last of all, in the region the workload's stacks name
    // (`harden:replica-region`): they replicate into it, so it goes once they are gone.
    let replica_name = replica_stack_name(&t.name);
    let mut stacks = t.stacks();
    stacks.reverse();
    stacks.sort_by_key(|(name, _, _)| *name == replica_name);
    let mut replica_region: Option<String> = None;
    for (name, role, owner) in stacks {
        let replica = super::replica::is_replica(t, &name, role);
        let region = replica_region.clone().filter(|_| replica);
        let regional = aws.at(region.as_deref())?;
        let c = &regional.cfn;
        let Some(info) = stack::describe(c, &name).await? else {
            // A replica stack exists only at the tiers that replicate: said when a workload
            // stack named its region.
            if (role == StackRole::Workload && (!replica || region.is_some())) || own_baseline {
                let place = region
                    .as_deref()
                    .map(|r| format!(" in `{r}`"))
                    .unwrap_or_default();
                writeln!(err, "stack {name}: not deployed{place}, nothing to delete")?;
            }
            continue;
        };
        if let Some(r) = info.tags.get(REPLICA_REGION_TAG) {
            replica_region.get_or_insert_with(|| r.clone());
        }
        if role == StackRole::AccountBaseline && !own_baseline {
            kept.push(format!("`{name}`"));
            continue;
        }
        if info
            .tags
            .get(harden_blueprints::BLUEPRINT_TAG)
            .map(String::as_str)
            == Some(artifacts::BOOTSTRAP_BLUEPRINT)
        {
            return exit::refuse(format!(
                "stack `{name}` is a bootstrap stack: its artifact bucket and roles are shared by every stack of its project, so `harden destroy` never deletes it\nhint: to remove it once nothing deploys through it, empty its bucket and run `aws cloudformation delete-stack --stack-name {name}`"
            ));
        }
        ownership::check(
            &info,
            owner,
            Intent::Destroy,
            t.adopt,
            &format!("harden destroy {} --adopt", t.flags_for(role)),
        )?;
        if let (
            Some(want),
            Owner::Harden {
                tier: Some(have), ..
            },
        ) = (t.tier, Owner::of(&info))
        {
            if want.as_str() != have {
                bail!(
                    "stack `{name}` is deployed at tier `{have}`, not `{want}`\nhint: `destroy` needs no tier: leave `--tier` out to delete what is deployed"
                );
            }
        }
        if info.in_progress() {
            bail!(
                "stack `{}` is busy ({})\nhint: wait with `harden status --watch {}`",
                info.name,
                info.status,
                t.flags_for(role)
            );
        }
        let template = stack::deployed(c, &info).await.ok().map(|d| d.template);
        let resources = stack::resources(c, &info.id).await.unwrap_or_default();
        let (retained, effects) = match &template {
            Some(tpl) => (retained(tpl, &resources), effects(tpl, &resources)),
            None => (Vec::new(), Vec::new()),
        };
        targets.push(Doomed {
            info,
            client: c.clone(),
            region,
            role,
            retained,
            effects,
        });
    }
    if !kept.is_empty() {
        kept.reverse();
        writeln!(
            err,
            "keeping the account baseline ({}): other workloads in this account and region rely on it\nhint: destroy it on its own with `harden destroy {}`",
            kept.join(", "),
            t.flags_for(StackRole::AccountBaseline)
        )?;
    }
    let bootstrap = artifacts::bootstrap_stack_name(&t.project);
    if !targets.is_empty() && stack::describe(c, &bootstrap).await?.is_some() {
        writeln!(
            err,
            "keeping the bootstrap stack `{bootstrap}` and its artifact bucket: they are shared by every stack of project `{}`",
            t.project
        )?;
    }
    if targets.is_empty() {
        writeln!(err, "nothing to destroy")?;
        return Ok(exit::SUCCESS);
    }
    for d in &targets {
        let i = &d.info;
        writeln!(
            err,
            "will delete stack {} ({}, {}{}{})",
            i.name,
            i.status,
            Owner::of(i).describe(),
            if i.termination_protection {
                ", termination protection on"
            } else {
                ""
            },
            d.region
                .as_deref()
                .map(|r| format!(", in region `{r}`"))
                .unwrap_or_default()
        )?;
        if d.retained.is_empty() {
            writeln!(err, "  nothing is retained: every resource is deleted")?;
        } else {
            writeln!(err, "  retained after deletion (DeletionPolicy Retain; delete them yourself when no longer needed, or deploy this stack again to bring them back):")?;
            for (id, ty, physical) in &d.retained {
                match physical {
                    Some(p) => writeln!(err, "    {id} ({ty}): {p}")?,
                    None => writeln!(err, "    {id} ({ty})")?,
                }
            }
        }
        for e in &d.effects {
            writeln!(err, "  {e}")?;
        }
    }
    let protected: Vec<&str> = targets
        .iter()
        .filter(|d| d.info.termination_protection)
        .map(|d| d.info.name.as_str())
        .collect();
    // The command that deletes these stacks without a person, for hints.
    let again = {
        let role = targets
            .first()
            .map(|d| d.role)
            .unwrap_or(StackRole::Workload);
        let mut cmd = format!("harden destroy {}", t.flags_for(role));
        if t.adopt {
            cmd.push_str(" --adopt");
        }
        cmd.push_str(" --yes");
        if o.disable_termination_protection || !protected.is_empty() {
            cmd.push_str(" --disable-termination-protection");
        }
        cmd
    };
    if !protected.is_empty() && !o.disable_termination_protection {
        writeln!(
            err,
            "error: termination protection is on for {}\nhint: to turn it off and delete, run `{again}`",
            protected.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )?;
        return Ok(exit::APPROVAL_NEEDED);
    }
    if !o.yes {
        if !con.interactive() {
            writeln!(err, "error: approval needed: there is no terminal to ask\nhint: to delete these stacks, run `{again}`")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
        if !con.confirm("Delete these stacks?").await {
            writeln!(err, "not deleted: declined")?;
            return Ok(exit::APPROVAL_NEEDED);
        }
    }
    for d in &targets {
        let info = &d.info;
        let c = &d.client;
        if info.termination_protection {
            stack::set_termination_protection(c, &info.name, false).await?;
            writeln!(
                err,
                "stack {}: termination protection turned off",
                info.name
            )?;
        }
        let after = stack::latest_event_id(c, &info.id).await?;
        stack::delete_stack(c, &info.id, &info.name).await?;
        writeln!(err, "deleting stack {}", info.name)?;
        let resume = format!("harden status --watch {}", t.flags_for(d.role));
        let watched = watch(
            c,
            con,
            &info.id,
            &info.name,
            after,
            &mut Lines(con.clone()),
            &resume,
        )
        .await?;
        match watched.info {
            None => writeln!(err, "stack {}: deleted", info.name)?,
            Some(i) if i.status == StackStatus::DeleteComplete => {
                writeln!(err, "stack {}: deleted", info.name)?
            }
            Some(i) => {
                let cause = first_cause(&watched.events)
                    .map(StackEvent::summary)
                    .unwrap_or_else(|| i.reason.clone().unwrap_or_default());
                bail!(
                    "stack `{}` could not be deleted ({}): {cause}\nhint: remove what blocks the deletion and run `harden destroy {}` again",
                    i.name,
                    i.status,
                    t.flags_for(d.role)
                );
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// The resources of a deployed template that its deletion keeps (`DeletionPolicy: Retain`),
/// with their physical ids where the stack has them.
fn retained(template: &Node, resources: &[StackResource]) -> Vec<(String, String, Option<String>)> {
    stack::retained(template)
        .into_iter()
        .map(|(id, ty)| {
            let physical = resources
                .iter()
                .find(|r| r.logical_id == id)
                .and_then(|r| r.physical_id.clone());
            (id, ty, physical)
        })
        .collect()
}

/// What deleting the stack does outside it: the account password policy's custom resource
/// acts on the whole account when it is deleted.
fn effects(template: &Node, resources: &[StackResource]) -> Vec<String> {
    let Some(rs) = template.get_path(&["Resources"]).and_then(Node::as_map) else {
        return Vec::new();
    };
    rs.iter()
        .filter(|(_, r)| r.get_path(&["Type"]).and_then(Node::as_str) == Some(PASSWORD_POLICY_TYPE))
        .map(|(id, _)| {
            let physical = resources
                .iter()
                .find(|r| &r.logical_id == id)
                .and_then(|r| r.physical_id.as_deref());
            password_policy_effect(physical)
        })
        .collect()
}

/// The password policy's custom resource type.
const PASSWORD_POLICY_TYPE: &str = "Custom::AccountPasswordPolicy";

/// What deleting the password policy custom resource does, from its physical id (which
/// records the account's policy from before harden set it).
fn password_policy_effect(physical: Option<&str>) -> String {
    use harden_blueprints::controls::password_policy::{on_delete, OnDelete};
    match physical.map(on_delete) {
        Some(OnDelete::Restores(previous)) => format!(
            "the account password policy (IAM) is restored to the one the account had before harden set it: {previous}"
        ),
        Some(OnDelete::Removes) if physical.is_some_and(|p| p.ends_with("previous=none")) => {
            "the account password policy (IAM) is removed: the account had none before harden set it".into()
        }
        Some(OnDelete::Removes) | None => "the account password policy (IAM) is DELETED: this stack's custom resource removes it (it was deployed before harden recorded the previous policy); set one again afterwards if the account needs it".into(),
        Some(OnDelete::Keeps) => "the account password policy (IAM) is left as it is: harden's policy stays in force".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::password_policy_effect;
    use harden_blueprints::controls::password_policy::PreviousPolicy;

    #[test]
    fn destroy_says_what_happens_to_the_account_password_policy() {
        let previous = PreviousPolicy {
            minimum_password_length: Some(8),
            ..PreviousPolicy::default()
        };
        let restores = password_policy_effect(Some(&previous.physical_id()));
        assert!(
            restores.starts_with("the account password policy (IAM) is restored to the one the account had before harden set it: at least 8 characters"),
            "{restores}"
        );
        assert_eq!(
            password_policy_effect(Some("harden-password-policy:previous=none")),
            "the account password policy (IAM) is removed: the account had none before harden set it"
        );
        assert!(password_policy_effect(Some("account-password-policy")).contains("is DELETED"));
    }
}
