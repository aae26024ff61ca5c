//! Every name a shipped render fixes is one the engine checks before creating a stack: a
//! top-level property ending in `Name` (or `Name` itself) that holds a literal or an `Fn::Sub`
//! is either a physical name listed in `cfn::physical::NAME_PROPERTIES`, or listed here as one
//! that names something else (a metric, a reference to another resource). A blueprint that
//! adds a fixed name of a new type fails here until the type is listed.

use harden_blueprints::cfn::physical::NAME_PROPERTIES;
use harden_blueprints::cfn::{to_node, Node};
use harden_blueprints::Tier;

/// (type, property) pairs that end in `Name` but are not the resource's own physical name.
const NOT_PHYSICAL: &[(&str, &str)] = &[
    ("AWS::CloudWatch::Alarm", "MetricName"),
    ("AWS::Logs::MetricFilter", "LogGroupName"),
    ("AWS::SNS::Topic", "DisplayName"),
    ("AWS::SageMaker::Endpoint", "EndpointConfigName"),
    ("AWS::CloudTrail::Trail", "S3BucketName"),
    ("AWS::Config::DeliveryChannel", "S3BucketName"),
    ("Custom::ServiceLinkedRole", "AWSServiceName"),
    ("AWS::SecurityHub::AutomationRule", "RuleName"),
    ("AWS::EC2::VPCEndpoint", "ServiceName"),
    ("Custom::AwsManagedPrefixList", "PrefixListName"),
    // API Gateway names are labels: two APIs, authorisers or stages may share one; a stage is
    // named inside the stack's own API.
    ("AWS::ApiGateway::RestApi", "Name"),
    ("AWS::ApiGateway::Authorizer", "Name"),
    ("AWS::ApiGateway::Stage", "StageName"),
    // A job definition's name is a family of revisions (its physical id is `name:revision`):
    // a new definition of a taken name adds a revision, it never fails; the name carries the
    // stack's, which is unique in the account and region.
    ("AWS::Batch::JobDefinition", "JobDefinitionName"),
    // The database created inside the instance, not an AWS resource.
    ("AWS::RDS::DBInstance", "DBName"),
    // An inline policy is named inside its role (the replication role's carry their stack's
    // name or, in the replica stack, the one destination policy); `RoleName` names the role
    // it is put on, which the role's own stack fixes and the engine checks there.
    ("AWS::IAM::RolePolicy", "PolicyName"),
    ("AWS::IAM::RolePolicy", "RoleName"),
];

#[test]
fn every_fixed_name_of_every_render_is_checked_before_a_create() {
    let mut unlisted = Vec::new();
    for b in harden_blueprints::all() {
        for tier in Tier::ALL {
            for s in b.build_example(tier).unwrap() {
                let t = to_node(&s.template).unwrap();
                for (id, r) in t.get_path(&["Resources"]).and_then(Node::as_map).unwrap() {
                    let ty = r.get_path(&["Type"]).and_then(Node::as_str).unwrap();
                    for (k, v) in r
                        .get_path(&["Properties"])
                        .and_then(Node::as_map)
                        .into_iter()
                        .flatten()
                    {
                        let fixed = v.as_str().is_some() || v.get_path(&["Fn::Sub"]).is_some();
                        if !k.ends_with("Name") || !fixed {
                            continue;
                        }
                        let listed = NAME_PROPERTIES.iter().any(|(t, p, _)| *t == ty && p == k)
                            || NOT_PHYSICAL.iter().any(|(t, p)| *t == ty && p == k);
                        if !listed {
                            unlisted.push(format!(
                                "{} {tier} {}: {id} ({ty}).{k}",
                                b.name(),
                                s.name
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "names the engine does not check:\n{}",
        unlisted.join("\n")
    );
}
