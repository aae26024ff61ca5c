//! VPC endpoints, so private subnets reach AWS services without crossing the internet:
//! interface endpoints with private DNS behind a security group that admits only the
//! workload, the S3 gateway endpoint on the private route tables, and the id of the S3
//! gateway's AWS-managed prefix list, so a security group can allow S3 and nothing else.

use indexmap::IndexMap;

use crate::cfn::custom::CustomAttr;
use crate::cfn::generated::ec2;
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::Wildcard;
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::controls::security_group::RESTRICTED_SECURITY_GROUP;
use crate::controls::vpc::Network;
use crate::tier::Tier;

/// The control.
pub static VPC_ENDPOINTS: Control = Control {
    id: "vpc-endpoints",
    title: "interface and gateway VPC endpoints for every AWS service the workload calls",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The control for ECR's two interface endpoints, where a workload pulls images in private
/// subnets: its API (`ecr.api`, EC2.55) and its Docker registry (`ecr.dkr`, EC2.56).
pub static ECR_VPC_ENDPOINTS: Control = Control {
    id: "ecr-vpc-endpoints",
    title: "interface endpoints for the ECR API and Docker registry, so images are pulled without the internet",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["EC2.55", "EC2.56"],
};

/// The ECR services whose endpoints [`ECR_VPC_ENDPOINTS`] claims.
const ECR_SERVICES: [&str; 2] = ["ecr.api", "ecr.dkr"];

/// Adds one interface endpoint per service (`sagemaker.api`, `logs`, ...) in the private
/// subnets, and the S3 gateway endpoint.
pub fn endpoints(
    t: &mut Template,
    net: &Network,
    group: &Handle<ec2::SecurityGroup>,
    services: &[(&str, &str)],
) {
    let has = |s: &&str| services.iter().any(|(_, x)| x == s);
    // Both ECR endpoints meet the ECR control; either means the workload pulls images.
    let ecr_endpoints = ECR_SERVICES.iter().all(has);
    let pulls_images = ECR_SERVICES.iter().any(has);
    for (id, service) in services {
        let h = t.add(
            format!("{id}Endpoint"),
            ec2::VPCEndpoint {
                vpc_id: Some(net.vpc_id()),
                service_name: Some(Expr::sub(format!(
                    "com.amazonaws.${{AWS::Region}}.{service}"
                ))),
                vpc_endpoint_type: Some("Interface".into()),
                private_dns_enabled: Some(true.into()),
                subnet_ids: Some(net.private_subnet_ids()),
                security_group_ids: Some(Expr::list([
                    group.get_att(ec2::SecurityGroupAttr::GroupId)
                ])),
                policy_document: Some(interface_policy(service)),
                ..Default::default()
            },
        );
        t.res(&h).control(&VPC_ENDPOINTS);
        if ecr_endpoints && ECR_SERVICES.contains(service) {
            t.res(&h).control(&ECR_VPC_ENDPOINTS);
        }
        if net.own_vpc().is_none() {
            // In subnets the user brought and states are private (the network's notes say
            // how to check): the endpoints' interfaces are what harden places there.
            t.res(&h).control(&crate::controls::vpc::PRIVATE_NETWORK);
        }
    }
    let route_tables = net.route_tables();
    if route_tables.is_empty() {
        // A VPC brought without its route tables: its own gateway endpoint serves S3.
        return;
    }
    let s3 = t.add(
        "S3GatewayEndpoint",
        ec2::VPCEndpoint {
            vpc_id: Some(net.vpc_id()),
            service_name: Some(Expr::sub("com.amazonaws.${AWS::Region}.s3")),
            vpc_endpoint_type: Some("Gateway".into()),
            route_table_ids: Some(Expr::list(route_tables)),
            policy_document: Some(gateway_policy(pulls_images)),
            ..Default::default()
        },
    );
    t.res(&s3).control(&VPC_ENDPOINTS);
}

/// The policy of a gateway endpoint whose callers are only this account's principals: the
/// [`account_statement`] alone.
pub fn account_policy() -> Expr {
    PolicyDocument::new([account_statement()]).to_expr()
}

/// Services whose every resource a workload reaches through the endpoint is this account's
/// (its log groups, secrets and model endpoints), so the policy bounds resources as well.
/// The others reach resources AWS owns: ECR and S3 the images and layers of AWS's accounts,
/// SageMaker's API its public images, X-Ray's calls no resource at all.
const ACCOUNT_RESOURCES_ONLY: [&str; 3] = ["logs", "secretsmanager", "sagemaker.runtime"];

/// The identity perimeter: only this account's principals use the endpoint (so code in the
/// VPC cannot carry another account's credentials out through it), and for
/// [`ACCOUNT_RESOURCES_ONLY`] only on this account's resources. What a principal may do is
/// its role's policy; an endpoint policy grants nothing.
fn account_statement() -> Statement {
    Statement::allow("AccountPrincipals")
        .anyone()
        .actions(["*"])
        .resource(Expr::str("*"))
        .condition(
            "StringEquals",
            "aws:PrincipalAccount",
            Expr::sub("${AWS::AccountId}"),
        )
}

fn interface_policy(service: &str) -> Expr {
    let mut st = account_statement();
    if ACCOUNT_RESOURCES_ONLY.contains(&service) {
        st = st.condition(
            "StringEquals",
            "aws:ResourceAccount",
            Expr::sub("${AWS::AccountId}"),
        );
    }
    PolicyDocument::new([st]).to_expr()
}

/// The S3 gateway's policy: this account's principals, and where tasks pull images, the
/// layer downloads ECR signs for them (`prod-<region>-starport-layer-bucket`, the bucket
/// ECR's documentation names for endpoint policies). Those URLs are signed by ECR, not by a
/// principal of this account, so that statement names its one bucket and action instead of
/// its callers.
fn gateway_policy(pulls_images: bool) -> Expr {
    let mut statements = vec![account_statement()];
    if pulls_images {
        statements.push(
            Statement::allow("EcrImageLayers")
                .anyone()
                .actions(["s3:GetObject"])
                .resource(Expr::sub(
                    "arn:${AWS::Partition}:s3:::prod-${AWS::Region}-starport-layer-bucket/*",
                )),
        );
    }
    PolicyDocument::new(statements).to_expr()
}

const PREFIX_LIST_CODE: &str = r#"import boto3
import cfnresponse

ec2 = boto3.client("ec2")


def handler(event, context):
    name = event["ResourceProperties"]["PrefixListName"]
    physical_id = event.get("PhysicalResourceId", name)
    try:
        data = {}
        if event["RequestType"] in ("Create", "Update"):
            found = ec2.describe_prefix_lists(
                Filters=[{"Name": "prefix-list-name", "Values": [name]}]
            )["PrefixLists"]
            if len(found) != 1:
                raise ValueError(f"expected one AWS-managed prefix list named {name}, found {len(found)}")
            physical_id = found[0]["PrefixListId"]
            data = {"PrefixListId": physical_id}
        cfnresponse.send(event, context, cfnresponse.SUCCESS, data, physical_id)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical_id, reason=str(err))
"#;

/// The attribute of the lookup that holds the prefix list id (`pl-...`).
pub const PREFIX_LIST_ID: CustomAttr = CustomAttr("PrefixListId");

/// The id of the AWS-managed prefix list of the S3 gateway endpoint
/// (`com.amazonaws.<region>.s3`), for an egress rule that allows S3 and nothing else.
///
/// CloudFormation cannot name it: the ids differ per region and account partition, no
/// resource returns them (`AWS::EC2::VPCEndpoint` has no prefix list attribute,
/// `AWS::EC2::PrefixList` makes customer-managed lists only) and no public parameter holds
/// them. So a small custom resource reads it with `ec2:DescribePrefixLists`, filtered by
/// name, on create and update (on delete there is nothing to undo).
pub fn s3_prefix_list_id(t: &mut Template, tier: Tier, key_arn: Expr) -> Expr {
    let mut props = IndexMap::new();
    props.insert(
        "PrefixListName".to_string(),
        Expr::sub("com.amazonaws.${AWS::Region}.s3"),
    );
    let lookup = custom_resource(
        t,
        tier,
        CustomSpec {
            id: "S3PrefixList",
            type_name: "Custom::AwsManagedPrefixList",
            description: "Looks up the id of the S3 gateway endpoint's AWS-managed prefix list",
            code: PREFIX_LIST_CODE,
            statements: Vec::new(),
            wildcards: vec![Wildcard {
                statement: Statement::allow("DescribePrefixLists")
                    .actions(["ec2:DescribePrefixLists"])
                    .resource(Expr::str("*")),
                reason: "ec2:DescribePrefixLists supports no resource-level permissions",
            }],
            properties: props,
            key_arn,
            control: &RESTRICTED_SECURITY_GROUP,
        },
    );
    lookup.get_att(PREFIX_LIST_ID)
}
