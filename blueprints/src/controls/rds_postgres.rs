//! An RDS for PostgreSQL instance, hardened: storage, Performance Insights and the master
//! user's secret encrypted with the stack's key; no public address; a DB subnet group in the
//! isolated subnets; a parameter group that refuses connections without TLS (1.2 or later) and
//! logs connections, disconnections, DDL and slow statements; the logs exported to log groups
//! of the stack (encrypted, with retention, created before RDS would create them unencrypted);
//! IAM database authentication; the master password generated, kept and rotated by RDS in
//! Secrets Manager (`ManageMasterUserPassword`, never a template parameter); deletion
//! protection, automated backups kept by tier, Multi-AZ and enhanced monitoring from enhanced,
//! minor version upgrades in the maintenance window, tags copied to snapshots, and a final
//! snapshot on deletion or replacement (the instance retained at enterprise).

use crate::cfn::generated::rds;
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Handle, RetainPolicy, Template};
use crate::control::Control;
use crate::controls::iam_role::service_role;
use crate::controls::log_group::log_group;
use crate::tier::Tier;

/// The control: the instance.
pub static RDS_POSTGRES: Control = Control {
    id: "rds-postgres",
    title: "RDS PostgreSQL encrypted with a customer key, not public, in isolated subnets, TLS forced, IAM authentication, RDS-managed rotated master secret, deletion protection, automated backups, logs exported, Performance Insights under the same key, final snapshot",
    tier: Tier::Basic,
    cis: &["2.3.1", "2.3.2", "2.3.3"],
    // RDS.2 not public, RDS.3 encrypted, RDS.8 deletion protection (of a DB instance:
    // RDS.7 is the same for DB clusters, which harden does not make), RDS.10 IAM
    // authentication, RDS.11 backups, RDS.13 minor version upgrades, RDS.17 tags to
    // snapshots. (RDS.23, a port other than the engine's default, is not claimed: 5432 is
    // kept, and only the tasks' security group reaches it.)
    security_hub: &["RDS.2", "RDS.3", "RDS.8", "RDS.10", "RDS.11", "RDS.13", "RDS.17"],
};

/// The control: Multi-AZ and enhanced monitoring.
pub static RDS_RESILIENCE: Control = Control {
    id: "rds-multi-az-monitoring",
    title: "RDS Multi-AZ with a standby in a second zone, and enhanced monitoring every 60 seconds",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["RDS.5", "RDS.6"],
};

/// PostgreSQL's port.
pub const PORT: i64 = 5432;

/// The logs the instance exports to CloudWatch Logs.
pub const LOG_EXPORTS: &[&str] = &["postgresql", "upgrade"];

/// Days automated backups are kept at a tier (at least Security Hub RDS.11's 7; the most
/// RDS keeps at enterprise).
pub fn backup_days(tier: Tier) -> i64 {
    match tier {
        Tier::Basic => 7,
        Tier::Enhanced => 14,
        Tier::Enterprise => 35,
    }
}

/// The major version of an engine version (`17` of `17.11`).
pub fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// What the database is.
#[derive(Debug, Clone)]
pub struct DbSpec<'a> {
    /// Logical id of the instance (its subnet group, parameter group and logs are named after it).
    pub id: &'a str,
    /// The instance identifier (lowercase; the exported log groups' names derive from it).
    pub identifier: String,
    /// The engine version (`17.11`): the parameter group family is `postgres<major>`.
    pub version: &'a str,
    /// `db.t4g.medium`, ...
    pub instance_class: &'a str,
    /// Initial storage in GiB (storage autoscaling up to 4 times that).
    pub storage_gib: i64,
    /// The database created at launch.
    pub db_name: &'a str,
    /// The master user's name (its password is RDS's to generate and rotate).
    pub master_username: &'a str,
    /// The isolated subnets.
    pub subnet_ids: Expr,
    /// The database's security groups.
    pub security_groups: Expr,
    /// The stack's key.
    pub key_arn: Expr,
}

/// The database's resources a blueprint refers to.
#[derive(Debug, Clone)]
pub struct Db {
    /// The instance.
    pub instance: Handle<rds::DBInstance>,
    /// Its subnet group.
    pub subnet_group: Handle<rds::DBSubnetGroup>,
}

/// Adds the subnet group, parameter group, exported log groups, the monitoring role (from
/// enhanced) and the instance.
pub fn postgres(t: &mut Template, tier: Tier, spec: DbSpec<'_>) -> Db {
    let c = &RDS_POSTGRES;
    let subnets = t.add(
        format!("{}SubnetGroup", spec.id),
        rds::DBSubnetGroup {
            db_subnet_group_description: Some(
                "The isolated subnets: no route out of the VPC".into(),
            ),
            subnet_ids: Some(spec.subnet_ids),
            ..Default::default()
        },
    );
    t.res(&subnets).control(c);
    let params = t.add(
        format!("{}ParameterGroup", spec.id),
        rds::DBParameterGroup {
            description: Some(
                "TLS 1.2+ only; connections, disconnections, DDL and statements over 1 s logged"
                    .into(),
            ),
            family: Some(format!("postgres{}", major(spec.version)).into()),
            parameters: Some(Expr::map([
                ("rds.force_ssl", Expr::str("1")),
                ("ssl_min_protocol_version", Expr::str("TLSv1.2")),
                ("log_connections", Expr::str("1")),
                ("log_disconnections", Expr::str("1")),
                ("log_statement", Expr::str("ddl")),
                ("log_min_duration_statement", Expr::str("1000")),
            ])),
            ..Default::default()
        },
    );
    t.res(&params).control(c);
    let logs: Vec<String> = LOG_EXPORTS
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let h = log_group(
                t,
                tier,
                &format!("{}{}LogGroup", spec.id, ["Postgresql", "Upgrade"][i]),
                Expr::str(format!("/aws/rds/instance/{}/{kind}", spec.identifier)),
                spec.key_arn.clone(),
            );
            h.id().to_string()
        })
        .collect();
    let monitoring = RDS_RESILIENCE.on(tier).then(|| {
        // Narrower than the AWS managed AmazonRDSEnhancedMonitoringRole only in being
        // customer-managed and listed: RDS writes the OS metrics of every instance of the
        // account to the one log group `RDSOSMetrics`, which it names itself.
        let group =
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:RDSOSMetrics";
        service_role(
            t,
            &format!("{}MonitoringRole", spec.id),
            "RDS enhanced monitoring: writes the instance's OS metrics to RDSOSMetrics",
            "monitoring.rds.amazonaws.com",
            true,
            vec![
                Statement::allow("CreateMetricsGroup")
                    .actions(["logs:CreateLogGroup", "logs:PutRetentionPolicy"])
                    .resource(Expr::sub(group)),
                Statement::allow("WriteMetrics")
                    .actions([
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:GetLogEvents",
                        "logs:PutLogEvents",
                    ])
                    .resource(Expr::sub(format!("{group}:log-stream:*"))),
            ],
            Vec::new(),
        )
    });
    let h = t.add(
        spec.id,
        rds::DBInstance {
            db_instance_identifier: Some(spec.identifier.clone().into()),
            engine: Some("postgres".into()),
            engine_version: Some(spec.version.into()),
            db_instance_class: Some(spec.instance_class.into()),
            allocated_storage: Some(spec.storage_gib.to_string().into()),
            max_allocated_storage: Some((spec.storage_gib * 4).into()),
            storage_type: Some("gp3".into()),
            storage_encrypted: Some(true.into()),
            kms_key_id: Some(spec.key_arn.clone()),
            db_name: Some(spec.db_name.into()),
            master_username: Some(spec.master_username.into()),
            manage_master_user_password: Some(true.into()),
            master_user_secret: Some(rds::db_instance::MasterUserSecret {
                kms_key_id: Some(spec.key_arn.clone()),
                ..Default::default()
            }),
            port: Some(PORT.to_string().into()),
            db_subnet_group_name: Some(subnets.r#ref()),
            vpc_security_groups: Some(spec.security_groups),
            publicly_accessible: Some(false.into()),
            db_parameter_group_name: Some(params.r#ref()),
            enable_iam_database_authentication: Some(true.into()),
            enable_cloudwatch_logs_exports: Some(Expr::strs(LOG_EXPORTS)),
            enable_performance_insights: Some(true.into()),
            performance_insights_kms_key_id: Some(spec.key_arn),
            performance_insights_retention_period: Some(7.into()),
            // Left out (one zone) below enhanced.
            multi_az: RDS_RESILIENCE.on(tier).then(|| true.into()),
            monitoring_interval: monitoring.as_ref().map(|_| 60.into()),
            monitoring_role_arn: monitoring.as_ref().map(|r| r.arn()),
            backup_retention_period: Some(backup_days(tier).into()),
            delete_automated_backups: Some(false.into()),
            deletion_protection: Some(true.into()),
            auto_minor_version_upgrade: Some(true.into()),
            allow_major_version_upgrade: Some(false.into()),
            copy_tags_to_snapshot: Some(true.into()),
            ca_certificate_identifier: Some("rds-ca-rsa2048-g1".into()),
            ..Default::default()
        },
    );
    let r = t.res(&h);
    r.control(c).retain(RetainPolicy::Snapshot);
    for id in logs {
        r.depends_on(id);
    }
    if let Some(m) = &monitoring {
        r.control(&RDS_RESILIENCE).depends_on(m.policy.id());
    } else {
        r.except(
            &crate::rules::data::RDS_MULTI_AZ,
            "a standby in a second zone is added from the enhanced tier (control rds-multi-az-monitoring); basic keeps one zone, with backups and a final snapshot",
        )
        .except(
            &crate::rules::data::RDS_ENHANCED_MONITORING,
            "enhanced monitoring is switched on from the enhanced tier (control rds-multi-az-monitoring); basic has the RDS metrics and Performance Insights",
        );
    }
    super::retain::apply(t, tier, &h);
    Db {
        instance: h,
        subnet_group: subnets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn build(tier: Tier) -> Node {
        let mut t = Template::new("t");
        postgres(
            &mut t,
            tier,
            DbSpec {
                id: "Database",
                identifier: "p-db".into(),
                version: "17.11",
                instance_class: "db.t4g.medium",
                storage_gib: 20,
                db_name: "pipeline",
                master_username: "pipeline_admin",
                subnet_ids: Expr::strs(["subnet-0123456789abcdef0"]),
                security_groups: Expr::strs(["sg-0123456789abcdef0"]),
                key_arn: Expr::str("arn:aws:kms:eu-west-1:123456789012:key/k"),
            },
        );
        to_node(&t).unwrap()
    }

    #[test]
    fn the_database_is_private_encrypted_and_snapshotted_then_retained() {
        for tier in Tier::ALL {
            let n = build(tier);
            let db = n.get_path(&["Resources", "Database"]).unwrap();
            let p = db.get_path(&["Properties"]).unwrap();
            assert_eq!(
                p.get_path(&["PubliclyAccessible"]),
                Some(&Node::Bool(false))
            );
            assert_eq!(p.get_path(&["StorageEncrypted"]), Some(&Node::Bool(true)));
            assert_eq!(
                p.get_path(&["ManageMasterUserPassword"]),
                Some(&Node::Bool(true))
            );
            assert!(p.get_path(&["MasterUserPassword"]).is_none());
            assert_eq!(p.get_path(&["MultiAZ"]).is_some(), tier >= Tier::Enhanced);
            let policy = db.get_path(&["DeletionPolicy"]).and_then(Node::as_str);
            let want = if tier == Tier::Enterprise {
                "Retain"
            } else {
                "Snapshot"
            };
            assert_eq!(policy, Some(want), "{tier}");
            let group = n
                .get_path(&[
                    "Resources",
                    "DatabaseParameterGroup",
                    "Properties",
                    "Parameters",
                    "rds.force_ssl",
                ])
                .and_then(Node::as_str);
            assert_eq!(group, Some("1"));
        }
    }
}
