//! VPC endpoints, so private subnets reach AWS services without crossing the internet:
//! interface endpoints with private DNS behind a security group that admits only the
//! workload, the S3 gateway endpoint on the private route tables, and the id of the S3
//! gateway's AWS-managed prefix list, so a security group can allow S3 and nothing else.

use indexmap::IndexMap;

use crate::cfn::custom::CustomAttr;
use crate::cfn::generated::ec2;
use crate::cfn::policy::Statement;
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
                ..Default::default()
            },
        );
        t.res(&h).control(&VPC_ENDPOINTS);
        default_policy(t.res(&h));
        if ECR_SERVICES
            .iter()
            .all(|s| services.iter().any(|(_, x)| x == s))
            && ECR_SERVICES.contains(service)
        {
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
            ..Default::default()
        },
    );
    t.res(&s3).control(&VPC_ENDPOINTS);
    default_policy(t.res(&s3));
}

/// Writes why an endpoint keeps AWS's default policy (`vpc-endpoint-policy`).
pub fn default_policy(r: &mut crate::cfn::Resource) {
    r.except(
        &crate::rules::network::VPC_ENDPOINT_POLICY,
        "callers are bound by their roles' policies, resources by theirs",
    );
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
