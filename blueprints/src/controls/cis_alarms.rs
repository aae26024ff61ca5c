//! The CIS AWS Foundations Benchmark v3.0 section 4 monitoring: a metric filter on the
//! account trail's log group for each recommendation, with the benchmark's filter pattern, and
//! an alarm on it that notifies an encrypted alert topic. Unauthorized API calls (4.1) and
//! root account usage (4.3) from enhanced (seed 002's alarms), in the account baseline stack;
//! the other thirteen at enterprise, in their own stack (see the account baseline).

use crate::cfn::generated::{cloudwatch, logs, sns};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::alarms::{alarm, AlarmSpec};
use crate::tier::Tier;

/// The control for the two alarms of the enhanced tier. Not Security Hub's CloudWatch.2: it
/// requires CIS v1.2's exact 3.1 filter (`errorCode` terms only, "additional fields or terms
/// cannot be added"), and the CIS v3.0 4.1 filter harden writes adds the
/// `sourceIPAddress` and `HeadBucket` terms. CloudWatch.1 is CIS v1.4's 4.3, the same
/// filter as v3.0's.
pub static CIS_ALARMS_CORE: Control = Control {
    id: "cis-alarms-core",
    title: "metric filters and alarms on unauthorized API calls and root account usage, to the alert topic",
    tier: Tier::Enhanced,
    cis: &["4.1", "4.3"],
    security_hub: &["CloudWatch.1"],
};

/// The control for the rest of CIS section 4. Not Security Hub's CloudWatch.3: it requires
/// CIS v1.2's exact 3.2 filter (with `userIdentity.type` and a successful `ConsoleLogin`),
/// which the CIS v3.0 4.2 filter harden writes is not. CloudWatch.4 to .14 are CIS v1.4's
/// 4.4 to 4.14, whose filters v3.0 keeps.
pub static CIS_ALARMS: Control = Control {
    id: "cis-alarms",
    title: "metric filters and alarms on every other CIS v3.0 section 4 event (MFA-less sign-in, IAM, CloudTrail, KMS, S3, Config and network changes)",
    tier: Tier::Enterprise,
    cis: &["4.2", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15"],
    security_hub: &[
        "CloudWatch.4",
        "CloudWatch.5",
        "CloudWatch.6",
        "CloudWatch.7",
        "CloudWatch.8",
        "CloudWatch.9",
        "CloudWatch.10",
        "CloudWatch.11",
        "CloudWatch.12",
        "CloudWatch.13",
        "CloudWatch.14",
    ],
};

/// The namespace of the metrics.
pub const NAMESPACE: &str = "CISBenchmark";

/// One CIS recommendation: logical id prefix, recommendation, what the alarm means, pattern.
pub struct CisAlarm {
    /// Logical id prefix (`<id>MetricFilter`, `<id>Alarm`) and metric name.
    pub id: &'static str,
    /// The CIS v3.0 recommendation.
    pub cis: &'static str,
    /// The control it belongs to.
    pub control: &'static Control,
    /// The alarm's description.
    pub description: &'static str,
    /// The CIS v3.0 filter pattern, verbatim.
    pub pattern: &'static str,
}

/// Every CIS v3.0 section 4 metric filter, in benchmark order.
pub static CIS_SECTION_4: &[CisAlarm] = &[
    CisAlarm {
        id: "UnauthorizedApiCalls",
        cis: "4.1",
        control: &CIS_ALARMS_CORE,
        description: "CIS 4.1: unauthorized API calls",
        pattern: r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#,
    },
    CisAlarm {
        id: "ConsoleSignInWithoutMfa",
        cis: "4.2",
        control: &CIS_ALARMS,
        description: "CIS 4.2: management console sign-in without MFA",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#,
    },
    CisAlarm {
        id: "RootAccountUsage",
        cis: "4.3",
        control: &CIS_ALARMS_CORE,
        description: "CIS 4.3: usage of the root account",
        pattern: r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    },
    CisAlarm {
        id: "IamPolicyChanges",
        cis: "4.4",
        control: &CIS_ALARMS,
        description: "CIS 4.4: IAM policy changes",
        pattern: "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}",
    },
    CisAlarm {
        id: "CloudTrailConfigChanges",
        cis: "4.5",
        control: &CIS_ALARMS,
        description: "CIS 4.5: CloudTrail configuration changes",
        pattern: "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    },
    CisAlarm {
        id: "ConsoleAuthFailures",
        cis: "4.6",
        control: &CIS_ALARMS,
        description: "CIS 4.6: management console authentication failures",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
    },
    CisAlarm {
        id: "CmkDisableOrDeletion",
        cis: "4.7",
        control: &CIS_ALARMS,
        description: "CIS 4.7: disabling or scheduled deletion of customer-managed KMS keys",
        pattern: "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }",
    },
    CisAlarm {
        id: "S3BucketPolicyChanges",
        cis: "4.8",
        control: &CIS_ALARMS,
        description: "CIS 4.8: S3 bucket policy changes",
        pattern: "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }",
    },
    CisAlarm {
        id: "ConfigChanges",
        cis: "4.9",
        control: &CIS_ALARMS,
        description: "CIS 4.9: AWS Config configuration changes",
        pattern: "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }",
    },
    CisAlarm {
        id: "SecurityGroupChanges",
        cis: "4.10",
        control: &CIS_ALARMS,
        description: "CIS 4.10: security group changes",
        pattern: "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    },
    CisAlarm {
        id: "NaclChanges",
        cis: "4.11",
        control: &CIS_ALARMS,
        description: "CIS 4.11: network ACL changes",
        pattern: "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    },
    CisAlarm {
        id: "NetworkGatewayChanges",
        cis: "4.12",
        control: &CIS_ALARMS,
        description: "CIS 4.12: network gateway changes",
        pattern: "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    },
    CisAlarm {
        id: "RouteTableChanges",
        cis: "4.13",
        control: &CIS_ALARMS,
        description: "CIS 4.13: route table changes",
        pattern: "{($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }",
    },
    CisAlarm {
        id: "VpcChanges",
        cis: "4.14",
        control: &CIS_ALARMS,
        description: "CIS 4.14: VPC changes",
        pattern: "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    },
    CisAlarm {
        id: "OrganizationsChanges",
        cis: "4.15",
        control: &CIS_ALARMS,
        description: "CIS 4.15: AWS Organizations changes",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    },
];

/// Adds the metric filters and alarms of one control (if the tier switches it on) on the
/// trail's log group (`trail_logs`: its name): each alarm fires on the first matching event in
/// five minutes and notifies the topic. Returns the alarms.
pub fn cis_alarms(
    t: &mut Template,
    tier: Tier,
    control: &Control,
    trail_logs: Expr,
    topic: &Handle<sns::Topic>,
) -> Vec<Handle<cloudwatch::Alarm>> {
    let mut alarms = Vec::new();
    let of_control = CIS_SECTION_4.iter().filter(|a| a.control.id == control.id);
    for a in of_control.filter(|a| a.control.on(tier)) {
        let filter = t.add(
            format!("{}MetricFilter", a.id),
            logs::MetricFilter {
                log_group_name: Some(trail_logs.clone()),
                filter_pattern: Some(a.pattern.into()),
                metric_transformations: Some(vec![logs::metric_filter::MetricTransformation {
                    metric_name: Some(a.id.into()),
                    metric_namespace: Some(NAMESPACE.into()),
                    metric_value: Some("1".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            },
        );
        t.res(&filter).control(a.control);
        let h = alarm(
            t,
            topic,
            AlarmSpec {
                id: &format!("{}Alarm", a.id),
                description: a.description,
                namespace: NAMESPACE,
                metric: a.id,
                dimensions: Vec::new(),
                statistic: "Sum",
                period: 300,
                evaluation_periods: 1,
                threshold: 0,
                notify_recovery: false,
            },
        );
        t.res(&h).control(a.control);
        alarms.push(h);
    }
    alarms
}
