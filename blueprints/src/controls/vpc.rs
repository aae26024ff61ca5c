//! The private network: a VPC with public and private subnets in two availability zones, NAT
//! for outbound traffic, no public IPs handed out, and from enhanced VPC flow logs and a
//! default security group that allows nothing.

use indexmap::IndexMap;

use crate::cfn::generated::ec2;
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::controls::log_group::{log_group, streams_arn};
use crate::params::Cidr;
use crate::tier::Tier;

/// The control for the network layout.
pub static PRIVATE_NETWORK: Control = Control {
    id: "private-network",
    title:
        "VPC with private subnets in two availability zones, NAT egress, no public IPs on launch",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["EC2.15"],
};

/// The control for flow logs.
pub static VPC_FLOW_LOGS: Control = Control {
    id: "vpc-flow-logs",
    title: "VPC flow logs of all traffic to an encrypted log group",
    tier: Tier::Enhanced,
    cis: &["3.7"],
    security_hub: &["EC2.6"],
};

/// The control for the default security group.
pub static DEFAULT_SG_CLOSED: Control = Control {
    id: "default-sg-closed",
    title: "the VPC's default security group has every rule removed",
    tier: Tier::Enhanced,
    cis: &["5.4"],
    security_hub: &["EC2.2"],
};

/// Two availability zones.
pub const AZS: usize = 2;

/// The network a workload runs in.
#[derive(Debug, Clone)]
pub struct Network {
    /// The VPC.
    pub vpc: Handle<ec2::VPC>,
    /// Private subnets, one per zone.
    pub private_subnets: Vec<Handle<ec2::Subnet>>,
    /// Private route tables, one per zone.
    pub private_route_tables: Vec<Handle<ec2::RouteTable>>,
}

impl Network {
    /// `[Ref PrivateSubnetA, Ref PrivateSubnetB]`
    pub fn private_subnet_ids(&self) -> Expr {
        Expr::list(self.private_subnets.iter().map(Handle::r#ref))
    }
}

const ZONE: [&str; AZS] = ["A", "B"];

/// The subnet layout carved from the VPC block: public `/24`s at 0 and 1, private ones at 10
/// and 11 (the guide's `10.0.0.0/24`, `10.0.1.0/24`, `10.0.10.0/24`, `10.0.11.0/24`).
pub fn subnet_cidrs(vpc: Cidr) -> Option<([Cidr; AZS], [Cidr; AZS])> {
    Some((
        [vpc.subnet(24, 0)?, vpc.subnet(24, 1)?],
        [vpc.subnet(24, 10)?, vpc.subnet(24, 11)?],
    ))
}

/// Adds the VPC, subnets, gateways and routes. NAT: one gateway at basic, one per zone from
/// enhanced, so one zone's outage leaves the other's egress up.
pub fn network(t: &mut Template, tier: Tier, cidr: Cidr) -> Network {
    let (public_cidrs, private_cidrs) =
        subnet_cidrs(cidr).expect("the VPC parameter rule keeps /24 subnets inside");
    let c = PRIVATE_NETWORK.id;
    let vpc = t.add(
        "Vpc",
        ec2::VPC {
            cidr_block: Some(cidr.to_string().into()),
            enable_dns_hostnames: Some(true.into()),
            enable_dns_support: Some(true.into()),
            ..Default::default()
        },
    );
    t.res(&vpc).control(c);
    let igw = t.add("InternetGateway", ec2::InternetGateway::default());
    t.res(&igw).control(c);
    let attach = t.add(
        "InternetGatewayAttachment",
        ec2::VPCGatewayAttachment {
            vpc_id: Some(vpc.r#ref()),
            internet_gateway_id: Some(igw.r#ref()),
            ..Default::default()
        },
    );
    t.res(&attach).control(c);
    let public_rt = t.add(
        "PublicRouteTable",
        ec2::RouteTable {
            vpc_id: Some(vpc.r#ref()),
            ..Default::default()
        },
    );
    t.res(&public_rt).control(c);
    let default_route = t.add(
        "PublicDefaultRoute",
        ec2::Route {
            route_table_id: Some(public_rt.r#ref()),
            destination_cidr_block: Some("0.0.0.0/0".into()),
            gateway_id: Some(igw.r#ref()),
            ..Default::default()
        },
    );
    t.res(&default_route).control(c).depends_on(attach.id());
    let subnet = |t: &mut Template, id: String, az: usize, block: Cidr| {
        let h = t.add(
            id,
            ec2::Subnet {
                vpc_id: Some(vpc.r#ref()),
                availability_zone: Some(Expr::select(az as i64, Expr::get_azs())),
                cidr_block: Some(block.to_string().into()),
                map_public_ip_on_launch: Some(false.into()),
                ..Default::default()
            },
        );
        t.res(&h).control(c);
        h
    };
    let mut nats: Vec<Handle<ec2::NatGateway>> = Vec::new();
    let nat_count = if tier >= Tier::Enhanced { AZS } else { 1 };
    for (i, z) in ZONE.iter().enumerate() {
        let s = subnet(t, format!("PublicSubnet{z}"), i, public_cidrs[i]);
        let a = t.add(
            format!("PublicSubnet{z}RouteTableAssociation"),
            ec2::SubnetRouteTableAssociation {
                route_table_id: Some(public_rt.r#ref()),
                subnet_id: Some(s.r#ref()),
            },
        );
        t.res(&a).control(c);
        if i < nat_count {
            let eip = t.add(
                format!("NatEip{z}"),
                ec2::EIP {
                    domain: Some("vpc".into()),
                    ..Default::default()
                },
            );
            t.res(&eip).control(c).depends_on(attach.id());
            let nat = t.add(
                format!("NatGateway{z}"),
                ec2::NatGateway {
                    allocation_id: Some(eip.get_att(ec2::EIPAttr::AllocationId)),
                    subnet_id: Some(s.r#ref()),
                    ..Default::default()
                },
            );
            t.res(&nat).control(c);
            nats.push(nat);
        }
    }
    let mut private_subnets = Vec::new();
    let mut private_route_tables = Vec::new();
    for (i, z) in ZONE.iter().enumerate() {
        let s = subnet(t, format!("PrivateSubnet{z}"), i, private_cidrs[i]);
        let rt = t.add(
            format!("PrivateRouteTable{z}"),
            ec2::RouteTable {
                vpc_id: Some(vpc.r#ref()),
                ..Default::default()
            },
        );
        t.res(&rt).control(c);
        let nat = &nats[i.min(nats.len() - 1)];
        let r = t.add(
            format!("PrivateDefaultRoute{z}"),
            ec2::Route {
                route_table_id: Some(rt.r#ref()),
                destination_cidr_block: Some("0.0.0.0/0".into()),
                nat_gateway_id: Some(nat.r#ref()),
                ..Default::default()
            },
        );
        t.res(&r).control(c);
        let a = t.add(
            format!("PrivateSubnet{z}RouteTableAssociation"),
            ec2::SubnetRouteTableAssociation {
                route_table_id: Some(rt.r#ref()),
                subnet_id: Some(s.r#ref()),
            },
        );
        t.res(&a).control(c);
        private_subnets.push(s);
        private_route_tables.push(rt);
    }
    Network {
        vpc,
        private_subnets,
        private_route_tables,
    }
}

/// Adds flow logs of all traffic in the VPC to an encrypted log group (enhanced and up).
pub fn flow_logs(t: &mut Template, tier: Tier, net: &Network, key_arn: Expr) {
    if !VPC_FLOW_LOGS.on(tier) {
        return;
    }
    let c = VPC_FLOW_LOGS.id;
    let logs = log_group(
        t,
        tier,
        "FlowLogGroup",
        Expr::sub("/aws/vpc/flow-logs/${AWS::StackName}"),
        key_arn,
    );
    t.res(&logs).control(c);
    let role = service_role(
        t,
        "FlowLogRole",
        "Delivers VPC flow logs to their log group",
        "vpc-flow-logs.amazonaws.com",
        true,
        vec![Statement::allow("DeliverFlowLogs")
            .actions([
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ])
            .resources([
                logs.get_att(crate::cfn::generated::logs::LogGroupAttr::Arn),
                streams_arn(&logs),
            ])],
        Vec::new(),
    );
    let fl = t.add(
        "VpcFlowLog",
        ec2::FlowLog {
            resource_id: Some(net.vpc.r#ref()),
            resource_type: Some("VPC".into()),
            traffic_type: Some("ALL".into()),
            log_destination_type: Some("cloud-watch-logs".into()),
            log_group_name: Some(logs.r#ref()),
            deliver_logs_permission_arn: Some(role.arn()),
            max_aggregation_interval: Some(60.into()),
            ..Default::default()
        },
    );
    t.res(&fl).control(c).depends_on(role.policy.id());
}

const LOCKDOWN_CODE: &str = r#"import boto3
import cfnresponse

ec2 = boto3.client("ec2")


def handler(event, context):
    group_id = event["ResourceProperties"]["GroupId"]
    try:
        if event["RequestType"] in ("Create", "Update"):
            group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
            if group["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
            if group["IpPermissionsEgress"]:
                ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, group_id)
    except Exception as err:  # report every failure to CloudFormation, never hang the stack
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, group_id, reason=str(err))
"#;

/// Removes every rule of the VPC's default security group (enhanced and up): CloudFormation
/// has no property for it, so a custom resource does it on create and update.
pub fn close_default_security_group(t: &mut Template, tier: Tier, net: &Network, key_arn: Expr) {
    if !DEFAULT_SG_CLOSED.on(tier) {
        return;
    }
    let group_id = net.vpc.get_att(ec2::VPCAttr::DefaultSecurityGroup);
    let group_arn = Expr::sub_with(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${GroupId}",
        [("GroupId", group_id.clone())],
    );
    let mut props = IndexMap::new();
    props.insert("GroupId".to_string(), group_id);
    custom_resource(
        t,
        tier,
        CustomSpec {
            id: "DefaultSecurityGroupLockdown",
            type_name: "Custom::DefaultSecurityGroupLockdown",
            description: "Removes every rule of the VPC's default security group (CIS 5.4)",
            code: LOCKDOWN_CODE,
            statements: vec![Statement::allow("RevokeDefaultGroupRules")
                .actions([
                    "ec2:RevokeSecurityGroupEgress",
                    "ec2:RevokeSecurityGroupIngress",
                ])
                .resource(group_arn)],
            wildcards: vec![Wildcard {
                statement: Statement::allow("DescribeSecurityGroups")
                    .actions(["ec2:DescribeSecurityGroups"])
                    .resource(Expr::str("*")),
                reason: "ec2:DescribeSecurityGroups supports no resource-level permissions",
            }],
            properties: props,
            key_arn,
            control: DEFAULT_SG_CLOSED.id,
        },
    );
}
