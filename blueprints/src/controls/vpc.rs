//! The private network: a VPC with private subnets in two availability zones, no public IPs
//! handed out, and from enhanced VPC flow logs and a default security group that allows
//! nothing.
//!
//! Internet egress is the blueprint's choice, never a default: [`InternetEgress::None`] builds
//! no public subnet, internet gateway, NAT gateway or default route, so the subnets reach only
//! the VPC and its endpoints; [`InternetEgress::Nat`] adds public subnets with NAT gateways
//! for a workload that needs the internet, and writes the reason on every gateway.

use indexmap::IndexMap;

use crate::blueprint::Request;
use crate::cfn::generated::ec2;
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::{service_role, Wildcard};
use crate::controls::lambda_custom::{custom_resource, CustomSpec};
use crate::controls::log_group::{log_group, streams_arn};
use crate::params::{rules, Cidr, Opt, Param};
use crate::tier::Tier;

/// The control for the network layout.
pub static PRIVATE_NETWORK: Control = Control {
    id: "private-network",
    title: "VPC with private subnets in two availability zones, no public IPs on launch, internet egress only through NAT where the blueprint needs it",
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

/// `vpc_cidr`: the block of the VPC harden creates.
pub static VPC_CIDR: Param<rules::PrivateCidr> = Param::new(
    "vpc_cidr",
    "the address block of the VPC harden creates; the private subnets are the /24s at offsets 10 and 11 (public ones, where a blueprint needs a NAT, at 0 and 1)",
    &rules::PrivateCidr {
        min_prefix: 16,
        max_prefix: 20,
    },
    "10.0.0.0/16",
);

/// What `vpc_id` sets.
const VPC_ID_DOC: &str = "an existing VPC to deploy into instead of creating one; it needs DNS support and DNS hostnames on for the interface endpoints' private DNS";

/// `vpc_id`: bring your own network.
pub static VPC_ID: Opt<rules::AwsId> =
    Opt::new("vpc_id", VPC_ID_DOC, &rules::AwsId { prefix: "vpc" })
        .conflicts(&["vpc_cidr"])
        .requires(&["subnet_ids"]);

/// `subnet_ids`: the private subnets of `vpc_id`.
pub static SUBNET_IDS: Opt<rules::AwsIds> = Opt::new(
    "subnet_ids",
    "private subnets of `vpc_id`, in different availability zones, that the workload and its interface endpoints go in",
    &rules::AwsIds {
        prefix: "subnet",
        min: 2,
        max: 6,
    },
)
.requires(&["vpc_id"]);

/// `route_table_ids`: the route tables of `subnet_ids`, for the S3 gateway endpoint.
pub static ROUTE_TABLE_IDS: Opt<rules::AwsIds> = Opt::new(
    "route_table_ids",
    "the route tables of `subnet_ids`, which get the S3 gateway endpoint; without them, the VPC must already route S3 through a gateway endpoint of its own",
    &rules::AwsIds {
        prefix: "rtb",
        min: 1,
        max: 6,
    },
)
.requires(&["vpc_id"]);

/// The control for the isolated tier: subnets with no route out of the VPC.
pub static ISOLATED_SUBNETS: Control = Control {
    id: "isolated-subnets",
    title:
        "isolated subnets for the data tier, with no route out of the VPC (not even through NAT)",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The control for the isolated tier's network ACL (defence in depth under the security
/// groups): only the private subnets, on the data port, and the tier's own traffic.
pub static ISOLATED_NETWORK_ACL: Control = Control {
    id: "isolated-network-acl",
    title: "a network ACL on the isolated subnets admitting only the private subnets on the data port (and the tier's own traffic)",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &[],
};

/// `vpc_id` of a blueprint with an isolated tier: the VPC also needs the isolated subnets.
pub static TIERED_VPC_ID: Opt<rules::AwsId> =
    Opt::new("vpc_id", VPC_ID_DOC, &rules::AwsId { prefix: "vpc" })
        .conflicts(&["vpc_cidr"])
        .requires(&["subnet_ids", "isolated_subnet_ids"]);

/// `isolated_subnet_ids`: the isolated subnets of `vpc_id`, for the data tier.
pub static ISOLATED_SUBNET_IDS: Opt<rules::AwsIds> = Opt::new(
    "isolated_subnet_ids",
    "isolated subnets of `vpc_id` (no route out of the VPC, not even through NAT), in different availability zones, that the database goes in",
    &rules::AwsIds {
        prefix: "subnet",
        min: 2,
        max: 6,
    },
)
.requires(&["vpc_id"]);

/// The isolated tier of a network: the subnets a database goes in.
#[derive(Debug, Clone)]
pub struct Isolated {
    subnets: Vec<Expr>,
    brought: bool,
    notes: Vec<String>,
}

impl Isolated {
    /// Records [`ISOLATED_SUBNETS`] on what harden places in subnets the user brought and
    /// states are isolated (the notes say how to check): the subnets harden creates record it
    /// themselves.
    pub fn placed(&self, r: &mut crate::cfn::Resource) {
        if self.brought {
            r.control(&ISOLATED_SUBNETS);
        }
    }

    /// The isolated subnets' ids.
    pub fn subnet_ids(&self) -> Expr {
        Expr::list(self.subnets.iter().cloned())
    }

    /// What the user should know about the isolated tier (subnets brought along).
    pub fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

/// The isolated `/24`s carved from the VPC block, at offsets 12 and 13 (inside the smallest
/// block `vpc_cidr` allows, a `/20`).
pub fn isolated_cidrs(vpc: Cidr) -> Option<[Cidr; AZS]> {
    Some([vpc.subnet(24, 12)?, vpc.subnet(24, 13)?])
}

/// The isolated tier of a request's network: with `vpc_id`, the `isolated_subnet_ids` given
/// (nothing is created, and the notes say what harden cannot check); else two subnets of the
/// VPC harden creates, on a route table with no route but the VPC's own, and a network ACL
/// that admits TCP on `port` from the private subnets only (and their return traffic, and
/// the tier's own traffic between its zones).
pub fn isolated_subnets(t: &mut Template, req: &Request, net: &Network, port: i64) -> Isolated {
    let Some(vpc) = net.own_vpc().cloned() else {
        // `vpc_id` (TIERED_VPC_ID) requires `isolated_subnet_ids`: the kit refused it alone.
        let given = req.get(&ISOLATED_SUBNET_IDS).unwrap_or_default();
        return Isolated {
            subnets: given.iter().map(Expr::str).collect(),
            brought: true,
            notes: vec![format!(
                "the database goes in the existing subnets `{}`: harden cannot see from the template that their route tables have no route out of the VPC (no internet or NAT gateway), nor add a network ACL to subnets it does not own; check both before deploying\nhint: `aws ec2 describe-route-tables --filters Name=association.subnet-id,Values={}`",
                given.join("`, `"),
                given.join(",")
            )],
        };
    };
    let cidr = req.get(&VPC_CIDR);
    let (_, private) = subnet_cidrs(cidr).expect("the VPC parameter rule keeps /24 subnets inside");
    let isolated = isolated_cidrs(cidr).expect("the VPC parameter rule keeps /24 subnets inside");
    let c = &ISOLATED_SUBNETS;
    let rt = t.add(
        "IsolatedRouteTable",
        ec2::RouteTable {
            vpc_id: Some(vpc.r#ref()),
            ..Default::default()
        },
    );
    t.res(&rt).control(c).note(
        "no routes but the VPC's own: nothing in the isolated subnets reaches outside the VPC",
    );
    let acl = ISOLATED_NETWORK_ACL
        .on(req.tier)
        .then(|| isolated_acl(t, &vpc, private, isolated, port));
    let mut subnets = Vec::new();
    for (i, z) in ZONE.iter().enumerate() {
        let s = t.add(
            format!("IsolatedSubnet{z}"),
            ec2::Subnet {
                vpc_id: Some(vpc.r#ref()),
                availability_zone: Some(Expr::select(i as i64, Expr::get_azs())),
                cidr_block: Some(isolated[i].to_string().into()),
                map_public_ip_on_launch: Some(false.into()),
                ..Default::default()
            },
        );
        t.res(&s).control(c).control(&PRIVATE_NETWORK);
        let a = t.add(
            format!("IsolatedSubnet{z}RouteTableAssociation"),
            ec2::SubnetRouteTableAssociation {
                route_table_id: Some(rt.r#ref()),
                subnet_id: Some(s.r#ref()),
            },
        );
        t.res(&a).control(c);
        if let Some(acl) = &acl {
            let n = t.add(
                format!("IsolatedSubnet{z}NetworkAclAssociation"),
                ec2::SubnetNetworkAclAssociation {
                    network_acl_id: Some(acl.r#ref()),
                    subnet_id: Some(s.r#ref()),
                },
            );
            t.res(&n).control(&ISOLATED_NETWORK_ACL);
        }
        subnets.push(s.r#ref());
    }
    Isolated {
        subnets,
        brought: false,
        notes: Vec::new(),
    }
}

/// The isolated tier's network ACL: TCP on `port` in from each private subnet and the
/// return traffic out to it, and every protocol between the isolated subnets (a Multi-AZ
/// database's own traffic between its zones); nothing else, in or out.
fn isolated_acl(
    t: &mut Template,
    vpc: &Handle<ec2::VPC>,
    private: [Cidr; AZS],
    isolated: [Cidr; AZS],
    port: i64,
) -> Handle<ec2::NetworkAcl> {
    let c = &ISOLATED_NETWORK_ACL;
    let acl = t.add(
        "IsolatedNetworkAcl",
        ec2::NetworkAcl {
            vpc_id: Some(vpc.r#ref()),
            ..Default::default()
        },
    );
    t.res(&acl).control(c);
    // Every protocol (`None`) between the isolated subnets: the tier's own traffic between
    // its zones.
    let entry = |t: &mut Template,
                 id: String,
                 n: i64,
                 egress: bool,
                 block: Cidr,
                 ports: Option<(i64, i64)>| {
        crate::controls::network_acl::allow_entry(
            t,
            &acl,
            id,
            crate::controls::network_acl::AclEntry {
                number: n,
                egress,
                cidr: block.to_string().into(),
                ports,
            },
            c,
        );
    };
    for (i, z) in ZONE.iter().enumerate() {
        let n = 100 + 10 * i as i64;
        entry(
            t,
            format!("IsolatedAclInFromPrivate{z}"),
            n,
            false,
            private[i],
            Some((port, port)),
        );
        entry(
            t,
            format!("IsolatedAclOutToPrivate{z}"),
            n,
            true,
            private[i],
            Some((1024, 65535)),
        );
        entry(
            t,
            format!("IsolatedAclInFromIsolated{z}"),
            200 + 10 * i as i64,
            false,
            isolated[i],
            None,
        );
        entry(
            t,
            format!("IsolatedAclOutToIsolated{z}"),
            200 + 10 * i as i64,
            true,
            isolated[i],
            None,
        );
    }
    acl
}

/// The network a workload runs in: the VPC harden creates, or one the user brings.
#[derive(Debug, Clone)]
pub struct Network {
    vpc_id: Expr,
    subnets: Vec<Expr>,
    route_tables: Vec<Expr>,
    own: Option<Handle<ec2::VPC>>,
    notes: Vec<String>,
}

impl Network {
    /// The VPC's id.
    pub fn vpc_id(&self) -> Expr {
        self.vpc_id.clone()
    }

    /// The private subnets' ids.
    pub fn subnets(&self) -> Vec<Expr> {
        self.subnets.clone()
    }

    /// `[Ref PrivateSubnetA, Ref PrivateSubnetB]`, or the subnets given.
    pub fn private_subnet_ids(&self) -> Expr {
        Expr::list(self.subnets.iter().cloned())
    }

    /// The private subnets' route tables (none for a VPC brought without `route_table_ids`).
    pub fn route_tables(&self) -> Vec<Expr> {
        self.route_tables.clone()
    }

    /// The VPC harden creates, if it does.
    pub fn own_vpc(&self) -> Option<&Handle<ec2::VPC>> {
        self.own.as_ref()
    }

    /// Where the workload runs, for a stack's description: `its own VPC`, or `the existing
    /// VPC vpc-...`.
    pub fn placement(&self) -> String {
        match (&self.own, &self.vpc_id) {
            (None, Expr::Str(id)) => format!("the existing VPC {id}"),
            _ => "its own VPC".to_string(),
        }
    }

    /// What the user should know about the network (a VPC brought along).
    pub fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

/// The network of a request: with `vpc_id`, the VPC and subnets given (nothing of the
/// network is created, and what harden cannot check of them is said in the notes); else a VPC
/// of its own, from `vpc_cidr`.
pub fn network(t: &mut Template, req: &Request, egress: InternetEgress) -> Network {
    let route_tables = req.get(&ROUTE_TABLE_IDS);
    let Some(vpc_id) = req.get(&VPC_ID) else {
        // `subnet_ids` and `route_table_ids` require `vpc_id`: the kit refused them alone.
        return own_network(t, req.tier, req.get(&VPC_CIDR), egress);
    };
    // `vpc_id` requires `subnet_ids`: the kit refused it alone.
    let subnets = req.get(&SUBNET_IDS).unwrap_or_default();
    let mut notes = vec![format!(
        "deployed into the existing VPC `{vpc_id}`: harden cannot see from the template that `{}` are private (no route to an internet gateway) and in different availability zones; check it before deploying\nhint: `aws ec2 describe-route-tables --filters Name=association.subnet-id,Values={}`",
        subnets.join("`, `"),
        subnets.join(",")
    )];
    if route_tables.is_none() {
        notes.push(format!(
            "no `route_table_ids`: harden adds no S3 gateway endpoint to `{vpc_id}`, so S3 is reached only if the VPC already routes it through a gateway endpoint\nhint: pass `--param route_table_ids=rtb-...` to add one"
        ));
    }
    if let InternetEgress::Nat { reason } = egress {
        notes.push(format!(
            "the workload needs the internet ({reason}), and in an existing VPC harden creates no NAT gateway: the subnets must already route to one"
        ));
    }
    Network {
        vpc_id: Expr::str(&vpc_id),
        subnets: subnets.iter().map(Expr::str).collect(),
        route_tables: route_tables
            .unwrap_or_default()
            .iter()
            .map(Expr::str)
            .collect(),
        own: None,
        notes,
    }
}

const ZONE: [&str; AZS] = ["A", "B"];

/// How the private subnets reach the internet: a blueprint says so explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternetEgress {
    /// Not at all: no public subnets, internet gateway, NAT gateways, Elastic IPs or default
    /// routes. AWS services are reached through VPC endpoints only.
    None,
    /// Through NAT gateways in public subnets: one at basic, one per zone from enhanced (so one
    /// zone's outage leaves the other's egress up). `reason` says what in the workload needs the
    /// internet; it is written on every NAT gateway (`Metadata.harden.Notes`).
    Nat {
        /// What needs the internet, and why VPC endpoints cannot serve it.
        reason: &'static str,
    },
}

/// The subnet layout carved from the VPC block: public `/24`s at 0 and 1 (used only with
/// [`InternetEgress::Nat`], kept free otherwise so a NAT never renumbers the private ones),
/// private ones at 10 and 11 (the guide's `10.0.0.0/24`, `10.0.1.0/24`, `10.0.10.0/24`,
/// `10.0.11.0/24`).
pub fn subnet_cidrs(vpc: Cidr) -> Option<([Cidr; AZS], [Cidr; AZS])> {
    Some((
        [vpc.subnet(24, 0)?, vpc.subnet(24, 1)?],
        [vpc.subnet(24, 10)?, vpc.subnet(24, 11)?],
    ))
}

/// Adds the VPC, its private subnets and route tables, and with [`InternetEgress::Nat`] the
/// public subnets, internet gateway, NAT gateways and default routes.
pub fn own_network(t: &mut Template, tier: Tier, cidr: Cidr, egress: InternetEgress) -> Network {
    let (public_cidrs, private_cidrs) =
        subnet_cidrs(cidr).expect("the VPC parameter rule keeps /24 subnets inside");
    let c = &PRIVATE_NETWORK;
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
    let nats = match egress {
        InternetEgress::None => Vec::new(),
        InternetEgress::Nat { reason } => {
            nat_gateways(t, tier, &vpc, public_cidrs, reason, &subnet)
        }
    };
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
        if let Some(nat) = nats.get(i.min(nats.len().saturating_sub(1))) {
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
        }
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
        vpc_id: vpc.r#ref(),
        subnets: private_subnets.iter().map(Handle::r#ref).collect(),
        route_tables: private_route_tables.iter().map(Handle::r#ref).collect(),
        own: Some(vpc),
        notes: Vec::new(),
    }
}

/// The public half of a network with internet egress: an internet gateway, public subnets
/// routed to it, and NAT gateways (one at basic, one per zone from enhanced), each carrying
/// the reason the workload needs the internet.
fn nat_gateways(
    t: &mut Template,
    tier: Tier,
    vpc: &Handle<ec2::VPC>,
    public_cidrs: [Cidr; AZS],
    reason: &str,
    subnet: &dyn Fn(&mut Template, String, usize, Cidr) -> Handle<ec2::Subnet>,
) -> Vec<Handle<ec2::NatGateway>> {
    let c = &PRIVATE_NETWORK;
    let igw = t.add("InternetGateway", ec2::InternetGateway::default());
    t.res(&igw).control(c).note(reason);
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
    let nat_count = if tier >= Tier::Enhanced { AZS } else { 1 };
    let mut nats = Vec::new();
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
            t.res(&nat).control(c).note(reason);
            nats.push(nat);
        }
    }
    nats
}

/// Adds flow logs of all traffic in the VPC to an encrypted log group (enhanced and up).
pub fn flow_logs(t: &mut Template, tier: Tier, net: &Network, key_arn: Expr) {
    if !VPC_FLOW_LOGS.on(tier) {
        return;
    }
    let c = &VPC_FLOW_LOGS;
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
            resource_id: Some(net.vpc_id()),
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
    // A VPC brought along is its owner's: its default group may be in use, so harden leaves
    // it (the tier guard then asks for a waiver of this control, with the reason).
    let Some(vpc) = net.own_vpc() else {
        return;
    };
    if !DEFAULT_SG_CLOSED.on(tier) {
        return;
    }
    let group_id = vpc.get_att(ec2::VPCAttr::DefaultSecurityGroup);
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
            control: &DEFAULT_SG_CLOSED,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(t: &Template) -> Vec<&'static str> {
        t.resources.values().map(|r| r.type_name()).collect()
    }

    fn count(t: &Template, type_name: &str) -> usize {
        types(t).iter().filter(|ty| **ty == type_name).count()
    }

    fn build(tier: Tier, egress: InternetEgress) -> Template {
        let mut t = Template::new("test");
        own_network(
            &mut t,
            tier,
            Cidr::parse("10.0.0.0/16").expect("a CIDR"),
            egress,
        );
        t
    }

    /// Regression guard: a network that asks for no internet egress gets no path out at any
    /// tier (the sagemaker-vpc network used to route 0.0.0.0/0 to NAT gateways).
    #[test]
    fn no_egress_builds_no_public_half_at_any_tier() {
        for tier in Tier::ALL {
            let t = build(tier, InternetEgress::None);
            for ty in [
                "AWS::EC2::InternetGateway",
                "AWS::EC2::VPCGatewayAttachment",
                "AWS::EC2::NatGateway",
                "AWS::EC2::EIP",
                "AWS::EC2::Route",
            ] {
                assert_eq!(count(&t, ty), 0, "{tier}: {ty}");
            }
            assert_eq!(
                count(&t, "AWS::EC2::Subnet"),
                AZS,
                "{tier}: private subnets only"
            );
            assert_eq!(count(&t, "AWS::EC2::RouteTable"), AZS, "{tier}");
            assert!(!t.resources.keys().any(|id| id.starts_with("Public")));
        }
    }

    /// The building block still makes a NAT for a workload that needs one: one at basic, one
    /// per zone from enhanced, each carrying the reason.
    #[test]
    fn nat_egress_writes_its_reason_on_every_gateway() {
        let reason = "the pipeline pulls packages from a public registry";
        for (tier, nats) in [
            (Tier::Basic, 1),
            (Tier::Enhanced, AZS),
            (Tier::Enterprise, AZS),
        ] {
            let t = build(tier, InternetEgress::Nat { reason });
            assert_eq!(count(&t, "AWS::EC2::NatGateway"), nats, "{tier}");
            assert_eq!(count(&t, "AWS::EC2::InternetGateway"), 1, "{tier}");
            assert_eq!(count(&t, "AWS::EC2::Subnet"), 2 * AZS, "{tier}");
            // One default route per private route table, and the public one.
            assert_eq!(count(&t, "AWS::EC2::Route"), AZS + 1, "{tier}");
            for (id, r) in &t.resources {
                if matches!(
                    r.type_name(),
                    "AWS::EC2::NatGateway" | "AWS::EC2::InternetGateway"
                ) {
                    assert_eq!(r.notes, [reason], "{tier}: {id}");
                }
            }
        }
    }
}
