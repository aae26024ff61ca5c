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

pub(crate) fn exec(a: Args) -> Result<u8> {
    let Args {
        select,
        account,
        region,
        format,
    } = a;
    let sel = select.resolve()?;
    let at = place(account, region)?;
    let stacks = sel.stacks()?;
    let mut err = std::io::stderr().lock();
    if stacks.is_empty() {
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
    let mut out = std::io::stdout().lock();
    match format {
        ListFormat::Json => {
            out.write_all(to_json(&doc.to_expr().to_node_tree()).as_bytes())?;
            if at.is_none() {
                writeln!(err, "note: `${{AWS::Partition}}`, `${{AWS::Region}}` and `${{AWS::AccountId}}` are CloudFormation variables (the bootstrap template substitutes them)\nhint: pass `--account ID --region REGION` for the ARNs of one account")?;
            }
        }
        ListFormat::Text => {
            let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
            writeln!(
                out,
                "service role policy for {} (tier {}): {}",
                sel.blueprint.name(),
                sel.tier,
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
