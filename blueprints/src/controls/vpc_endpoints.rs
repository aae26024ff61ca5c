//! VPC endpoints, so private subnets reach AWS services without crossing the internet:
//! interface endpoints with private DNS behind a security group that admits only the
//! workload, and the S3 gateway endpoint on the private route tables.

use crate::cfn::generated::ec2;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
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
                vpc_id: Some(net.vpc.r#ref()),
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
        t.res(&h).control(VPC_ENDPOINTS.id);
    }
    let s3 = t.add(
        "S3GatewayEndpoint",
        ec2::VPCEndpoint {
            vpc_id: Some(net.vpc.r#ref()),
            service_name: Some(Expr::sub("com.amazonaws.${AWS::Region}.s3")),
            vpc_endpoint_type: Some("Gateway".into()),
            route_table_ids: Some(Expr::list(
                net.private_route_tables.iter().map(Handle::r#ref),
            )),
            ..Default::default()
        },
    );
    t.res(&s3).control(VPC_ENDPOINTS.id);
}
