//! `harden iam-policy`: the CloudFormation service role's least-privilege policy for a
//! blueprint's stacks, computed from the resource schemas' handler permissions
//! ([`harden_blueprints::iam_policy`]). Pure: no AWS call.

use std::io::Write;

use anyhow::{bail, Result};
use harden_blueprints::cfn::render::to_json;
use harden_blueprints::iam_policy::{
    actions_by_type, partition_of, service_role_policy, wildcard_reason, Arns,
};

use super::args::SelectionArgs;
use super::ListFormat;
use crate::exit;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    select: SelectionArgs,
    /// The account the ARNs name [default: `${AWS::AccountId}`, a CloudFormation variable].
    #[arg(long, value_name = "ID", requires = "region")]
    account: Option<String>,
    /// The region the ARNs name [default: `${AWS::Region}`]; with `--account`.
    #[arg(long, value_name = "REGION", requires = "account")]
    region: Option<String>,
    /// `json`: the policy document; `text`: the actions per resource type, for review.
    #[arg(long, value_enum, default_value_t = ListFormat::Json)]
    format: ListFormat,
    /// The policy of the role that runs `--org` (the account baseline's StackSets), not the
    /// service role's (the default for an environment with `organization:`).
    #[arg(long)]
    org: bool,
    /// With `--org`: the StackSets administration role the caller passes (self-managed).
    #[arg(long, value_name = "ARN", requires = "org")]
    administration_role_arn: Option<String>,
}

/// Where the ARNs point, checked.
fn place(account: Option<String>, region: Option<String>) -> Result<Option<(String, String)>> {
    let (Some(account), Some(region)) = (account, region) else {
        return Ok(None);
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        bail!("`--account {account}` is not an AWS account id\nhint: pass the 12 digits, as `aws sts get-caller-identity` prints them");
    }
    let parts: Vec<&str> = region.split('-').collect();
    let looks_like_region = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !looks_like_region {
        bail!("`--region {region}` is not an AWS region\nhint: pass a region such as `us-east-1`");
    }
    Ok(Some((account, region)))
}

pub(crate) fn exec(a: Args, con: &crate::ui::Console) -> Result<u8> {
    let Args {
        select,
        account,
        region,
        format,
        org,
        administration_role_arn,
    } = a;
    let r = select.resolve()?;
    // A project environment names the account and region, unless the flags do.
    let (account, region) = match (account, region, &r.expect) {
        (None, None, Some(x)) => (Some(x.account.clone()), Some(x.region.clone())),
        (a, r, _) => (a, r),
    };
    let at = place(account, region)?;
    if org || r.org.is_some() {
        // Without an organization environment, `--org` means self-managed: the role given,
        // or the account's default.
        let admin = match &r.org {
            Some(o) => o.administration_role(),
            None => Some(administration_role_arn.unwrap_or_else(|| {
                harden_blueprints::iam_policy::DEFAULT_STACK_SET_ADMINISTRATION_ROLE.to_string()
            })),
        };
        return org_policy(&r, at, admin, con);
    }
    let mut stacks: Vec<harden_blueprints::StackSpec> = Vec::new();
    for sel in &r.selections {
        for s in sel.stacks()? {
            // The baseline two workloads of a project both deploy is counted once.
            if !stacks.iter().any(|x| x.name == s.name) {
                stacks.push(s);
            }
        }
    }
    let mut err = con.err();
    if stacks.is_empty() {
        let sel = &r.selections[0];
        writeln!(
            err,
            "note: blueprint `{}` has no stacks at tier `{}`: no policy to compute\nhint: its stacks start at a higher tier (`harden blueprints` lists them)",
            sel.blueprint.name(),
            sel.tier
        )?;
        return Ok(exit::SUCCESS);
    }
    let arns = match &at {
        Some((account, region)) => Arns::Concrete {
            partition: partition_of(region),
            region,
            account,
        },
        // Printed as text, the variables stay as CloudFormation writes them.
        None => Arns::Concrete {
            partition: "${AWS::Partition}",
            region: "${AWS::Region}",
            account: "${AWS::AccountId}",
        },
    };
    let doc = service_role_policy(&stacks, arns)?;
    let mut out = con.out();
    match format {
        ListFormat::Json => {
            out.write_all(to_json(&doc.to_expr().to_node_tree()).as_bytes())?;
            if at.is_none() {
                writeln!(err, "note: `${{AWS::Partition}}`, `${{AWS::Region}}` and `${{AWS::AccountId}}` are CloudFormation variables (the bootstrap template substitutes them)\nhint: pass `--account ID --region REGION` for the ARNs of one account")?;
            }
        }
        ListFormat::Text => {
            let names: Vec<String> = stacks
                .iter()
                .map(|s| match &s.region {
                    Some(r) => format!("{} (in {r})", s.name),
                    None => s.name.clone(),
                })
                .collect();
            let what: Vec<String> = r
                .selections
                .iter()
                .map(|s| format!("{} (tier {})", s.blueprint.name(), s.tier))
                .collect();
            writeln!(
                out,
                "service role policy for {}: {}",
                what.join(", "),
                names.join(", ")
            )?;
            for (ty, actions) in actions_by_type(&stacks)? {
                writeln!(out, "\n{ty} ({} actions)", actions.len())?;
                for act in actions {
                    writeln!(out, "  {act}")?;
                }
            }
            writeln!(out, "\nstatements")?;
            for st in &doc.statements {
                write!(out, "  {}: {} actions", st.sid, st.actions.len())?;
                match wildcard_reason(&st.sid) {
                    Some(reason) => writeln!(out, " on `*`: {reason}")?,
                    None => writeln!(out, " on {} resource patterns", st.resources.len())?,
                }
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// `harden iam-policy --org`: the caller's StackSet policy for the account baseline.
fn org_policy(
    r: &super::args::Resolved,
    at: Option<(String, String)>,
    admin: Option<String>,
    con: &crate::ui::Console,
) -> Result<u8> {
    let sel = &r.selections[0];
    if let Err(msg) = super::org::check_blueprint(sel.blueprint) {
        return super::org::usage(con, &msg);
    }
    let names = crate::deploy::org::stack_set_names(std::slice::from_ref(sel));
    let (partition, account, region) = match &at {
        Some((a, r)) => (partition_of(r).to_string(), a.clone(), r.clone()),
        None => (
            "${AWS::Partition}".into(),
            "${AWS::AccountId}".into(),
            "${AWS::Region}".into(),
        ),
    };
    let doc =
        crate::deploy::org::caller_policy(&names, &partition, &account, &region, admin.as_deref());
    con.out()
        .write_all((serde_json::to_string_pretty(&doc)? + "\n").as_bytes())?;
    Ok(exit::SUCCESS)
}
