//! What runs beside a Batch queue in the batch-fargate blueprint: the REST API's two AWS
//! service integrations (submit a job, describe a job: no Lambda in the request path), the
//! Secrets Manager secret for the private source repository's token, readable by the job role
//! only, and the check that finds jobs running longer than a threshold (Batch publishes no
//! job-duration metric, so a small scheduled function counts them into one).

use crate::cfn::generated::apigateway::method;
use crate::cfn::generated::lambda;
use crate::cfn::generated::{events, secretsmanager as sm};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::alarms::Alerts;
use crate::controls::iam_role::{service_role, Role, Wildcard};
use crate::controls::lambda_custom::{inline_function, Inline, InlineFunction};
use crate::controls::rest_api::{Api, Authorization, MethodSpec};
use crate::tier::Tier;

/// The control: the secret.
pub static REPOSITORY_TOKEN_SECRET: Control = Control {
    id: "repository-token-secret",
    title: "Secrets Manager secret encrypted with the stack's key, readable by the job role only (resource policy)",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The control: the long-running job check.
pub static LONG_RUNNING_JOBS: Control = Control {
    id: "long-running-job-check",
    title:
        "jobs running longer than a threshold counted every 15 minutes into a metric that alarms",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The namespace of the long-running job metric.
pub const METRIC_NAMESPACE: &str = "harden/Batch";

/// The metric: jobs of the queue running longer than the threshold.
pub const LONG_RUNNING_METRIC: &str = "LongRunningJobs";

/// The JSON schema (draft 4) of a job submission: a name and optionally the command.
pub const SUBMIT_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-04/schema#","title":"SubmitJob","type":"object","additionalProperties":false,"required":["jobName"],"properties":{"jobName":{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"},"command":{"type":"array","maxItems":64,"items":{"type":"string","maxLength":4096}}}}"#;

/// The request template of SubmitJob: queue and job definition fixed by the stack, only the
/// name and the command from the caller.
const SUBMIT_TEMPLATE: &str = concat!(
    r#"{"jobName":"$util.escapeJavaScript($input.path('$.jobName'))","jobQueue":"${Queue}","jobDefinition":"${JobDefinition}""#,
    r#"#if($input.path('$.command') != ""),"containerOverrides":{"command":$input.json('$.command')}#end}"#
);

/// The request template of DescribeJobs: one job, by the path's id.
const DESCRIBE_TEMPLATE: &str = r#"{"jobs":["$util.escapeJavaScript($input.params('jobId'))"]}"#;

fn responses() -> (
    Vec<method::MethodResponse>,
    Vec<method::IntegrationResponse>,
) {
    let codes = [
        ("200", None),
        ("400", Some("4\\d{2}")),
        ("500", Some("5\\d{2}")),
    ];
    (
        codes
            .iter()
            .map(|(c, _)| method::MethodResponse {
                status_code: Some((*c).into()),
                ..Default::default()
            })
            .collect(),
        codes
            .iter()
            .map(|(c, p)| method::IntegrationResponse {
                status_code: Some((*c).into()),
                selection_pattern: p.map(Expr::str),
                ..Default::default()
            })
            .collect(),
    )
}

/// Adds `POST /jobs` (SubmitJob) and `GET /jobs/{jobId}` (DescribeJobs), IAM-authorised, as
/// AWS service integrations with a role that may submit to this queue and definition only.
/// `queue_arn` names the queue; `job_definition` is what SubmitJob is sent (a name: the latest
/// active revision), `job_definition_arn` what the role may submit (`name:*`).
pub fn job_api(
    t: &mut Template,
    api: &mut Api,
    queue_arn: Expr,
    job_definition: Expr,
    job_definition_arn: Expr,
) -> Role {
    let role = service_role(
        t,
        "ApiBatchRole",
        "API Gateway submits and describes this stack's Batch jobs with this role",
        "apigateway.amazonaws.com",
        true,
        vec![Statement::allow("SubmitToThisQueue")
            .actions(["batch:SubmitJob"])
            .resources([queue_arn.clone(), job_definition_arn])],
        vec![Wildcard {
            statement: Statement::allow("DescribeJobs")
                .actions(["batch:DescribeJobs"])
                .resource(Expr::str("*")),
            reason: "batch:DescribeJobs supports no resource-level permissions",
        }],
    );
    let jobs = api.resource(t, "Jobs", None, "jobs");
    let job = api.resource(t, "Job", Some(&jobs), "{jobId}");
    let (method_responses, integration_responses) = responses();
    let integration = |action: &str, template: Expr| method::Integration {
        type_: Some("AWS".into()),
        integration_http_method: Some("POST".into()),
        uri: Some(Expr::sub(format!(
            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:batch:path/v1/{action}"
        ))),
        credentials: Some(role.arn()),
        passthrough_behavior: Some("NEVER".into()),
        request_parameters: Some(Expr::map([(
            "integration.request.header.Content-Type",
            Expr::str("'application/json'"),
        )])),
        request_templates: Some(Expr::map([("application/json", template)])),
        integration_responses: Some(integration_responses.clone()),
        timeout_in_millis: Some(10_000.into()),
        ..Default::default()
    };
    let submit = Expr::sub_with(
        SUBMIT_TEMPLATE,
        [("Queue", queue_arn), ("JobDefinition", job_definition)],
    );
    api.method(
        t,
        MethodSpec {
            id: "SubmitJob".into(),
            resource: Some(jobs),
            http_method: "POST",
            auth: Authorization::Iam,
            integration: integration("submitjob", submit),
            responses: method_responses.clone(),
            parameters: Vec::new(),
            body_schema: Some(Expr::str(SUBMIT_SCHEMA)),
        },
    );
    api.method(
        t,
        MethodSpec {
            id: "DescribeJob".into(),
            resource: Some(job),
            http_method: "GET",
            auth: Authorization::Iam,
            integration: integration("describejobs", Expr::str(DESCRIBE_TEMPLATE)),
            responses: method_responses,
            parameters: vec![("method.request.path.jobId".into(), true)],
            body_schema: None,
        },
    );
    role
}

/// Adds the secret for the private source repository's token, encrypted with the key, with a
/// random placeholder value to replace (`aws secretsmanager put-secret-value`), and a resource
/// policy that denies reading it to every principal but `reader` (the job role: the job reads
/// the token at run time, as the guide describes; the image itself comes from this stack's
/// ECR repository, so no `repositoryCredentials` and no secret for the execution role). At
/// enterprise it is retained on deletion and replacement, as every stateful resource is: the
/// token put in it outlives the stack.
pub fn repository_token_secret(
    t: &mut Template,
    tier: Tier,
    id: &str,
    key_arn: Expr,
    reader: Expr,
) -> Handle<sm::Secret> {
    let h = t.add(
        id,
        sm::Secret {
            description: Some(
                "Token for the private source repository the jobs read (replace the placeholder)"
                    .into(),
            ),
            kms_key_id: Some(key_arn),
            generate_secret_string: Some(sm::secret::GenerateSecretString {
                password_length: Some(32.into()),
                exclude_punctuation: Some(true.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    t.res(&h)
        .control(&REPOSITORY_TOKEN_SECRET)
        .note("holds a random placeholder until the token is put with `aws secretsmanager put-secret-value`")
        .except(
            &crate::rules::data::SECRETSMANAGER_SECRET_ROTATION,
            "the Git host issues this token, so no rotation function can make a new one: it is rotated by issuing a token at the host and putting it here",
        );
    super::retain::apply(t, tier, &h);
    let policy = t.add(
        format!("{id}Policy"),
        sm::ResourcePolicy {
            secret_id: Some(h.r#ref()),
            block_public_policy: Some(true.into()),
            resource_policy: Some(
                PolicyDocument::new([Statement::deny("OnlyTheJobRoleReads")
                    .anyone()
                    .actions(["secretsmanager:GetSecretValue"])
                    .resource(Expr::str("*"))
                    .condition("StringNotEquals", "aws:PrincipalArn", reader)])
                .into(),
            ),
        },
    );
    t.res(&policy).control(&REPOSITORY_TOKEN_SECRET);
    h
}

const LONG_RUNNING_CODE: &str = r#"import os
import time

import boto3

batch = boto3.client("batch")
cloudwatch = boto3.client("cloudwatch")


def handler(event, context):
    queue = os.environ["JOB_QUEUE"]
    limit_ms = int(os.environ["THRESHOLD_SECONDS"]) * 1000
    now_ms = int(time.time() * 1000)
    count = 0
    for page in batch.get_paginator("list_jobs").paginate(jobQueue=queue, jobStatus="RUNNING"):
        for job in page["jobSummaryList"]:
            started = job.get("startedAt")
            if started and now_ms - started > limit_ms:
                count += 1
    cloudwatch.put_metric_data(
        Namespace=os.environ["NAMESPACE"],
        MetricData=[{
            "MetricName": os.environ["METRIC"],
            "Dimensions": [{"Name": "JobQueue", "Value": queue.rsplit("/", 1)[-1]}],
            "Value": count,
            "Unit": "Count",
        }],
    )
    return count
"#;

/// Adds the scheduled function that counts the queue's jobs running longer than
/// `threshold_secs` into [`LONG_RUNNING_METRIC`] every 15 minutes; the blueprint alarms on it.
pub fn long_running_check(
    t: &mut Template,
    tier: Tier,
    queue_arn: Expr,
    threshold_secs: i64,
    key_arn: Expr,
) -> Handle<lambda::Function> {
    let id = "LongRunningJobs";
    let Inline {
        function: func,
        logs,
        ..
    } = inline_function(
        t,
        tier,
        InlineFunction {
            id,
            role_description: "Counts the queue's long-running jobs into a CloudWatch metric",
            description: "harden: counts jobs running longer than the threshold",
            code: LONG_RUNNING_CODE,
            timeout: 60,
            environment: Some(Expr::map([
                ("JOB_QUEUE", queue_arn),
                ("THRESHOLD_SECONDS", Expr::str(threshold_secs.to_string())),
                ("NAMESPACE", Expr::str(METRIC_NAMESPACE)),
                ("METRIC", Expr::str(LONG_RUNNING_METRIC)),
            ])),
            statements: Vec::new(),
            wildcards: vec![
                Wildcard {
                    statement: Statement::allow("ListJobs")
                        .actions(["batch:ListJobs"])
                        .resource(Expr::str("*")),
                    reason: "batch:ListJobs supports no resource-level permissions",
                },
                Wildcard {
                    statement: Statement::allow("PutJobMetric")
                        .actions(["cloudwatch:PutMetricData"])
                        .resource(Expr::str("*"))
                        .condition("StringEquals", "cloudwatch:namespace", Expr::str(METRIC_NAMESPACE)),
                    reason: "cloudwatch:PutMetricData supports no resource-level permissions; the namespace condition limits it to this metric's",
                },
            ],
            key_arn,
            control: &LONG_RUNNING_JOBS,
            exceptions: &[
                (&crate::rules::compute::LAMBDA_IN_VPC, "calls only the Batch and CloudWatch control-plane APIs and holds no data: a VPC would add endpoints and no protection"),
                (&crate::rules::compute::LAMBDA_ENV_ENCRYPTION, "its environment holds the queue ARN, a threshold and a metric name: nothing secret to encrypt"),
            ],
        },
    );
    t.res(&logs).control(&LONG_RUNNING_JOBS);
    let rule = t.add(
        format!("{id}Schedule"),
        events::Rule {
            description: Some("Counts long-running Batch jobs every 15 minutes".into()),
            schedule_expression: Some("rate(15 minutes)".into()),
            state: Some("ENABLED".into()),
            targets: Some(vec![events::rule::Target {
                id: Some("LongRunningJobs".into()),
                arn: Some(func.get_att(lambda::FunctionAttr::Arn)),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    t.res(&rule).control(&LONG_RUNNING_JOBS);
    let perm = t.add(
        format!("{id}Permission"),
        lambda::Permission {
            action: Some("lambda:InvokeFunction".into()),
            function_name: Some(func.r#ref()),
            principal: Some("events.amazonaws.com".into()),
            source_arn: Some(rule.get_att(events::RuleAttr::Arn)),
            source_account: Some(Expr::account_id()),
            ..Default::default()
        },
    );
    t.res(&perm).control(&LONG_RUNNING_JOBS);
    func
}

/// The EventBridge pattern of a queue's failed jobs.
pub fn failed_jobs(queue_arn: Expr) -> Expr {
    Expr::map([
        ("source", Expr::strs(["aws.batch"])),
        ("detail-type", Expr::strs(["Batch Job State Change"])),
        (
            "detail",
            Expr::map([
                ("status", Expr::strs(["FAILED"])),
                ("jobQueue", Expr::list([queue_arn])),
            ]),
        ),
    ])
}

/// Forwards failed jobs to `alert_topic_arn`, when given (in its region).
pub fn forward_failed_jobs(t: &mut Template, tier: Tier, alerts: &Alerts<'_>, queue_arn: Expr) {
    crate::controls::alarms::forward_events(
        t,
        tier,
        alerts,
        "FailedJobsToAlertTopicArn",
        "Forwards this stack's failed jobs to alert_topic_arn",
        failed_jobs(queue_arn),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::generated::kms;
    use crate::cfn::{to_node, Node};
    use crate::controls::batch::{compute, job_definition, mib, JobSpec};
    use crate::controls::kms_key::{kms_key, KeyUser};
    use crate::controls::rest_api::{rest_api, ApiSpec};

    /// The API, the secret and the check on a queue, rendered.
    pub(crate) fn build(tier: Tier) -> Node {
        let mut t = Template::new("t");
        let key = kms_key(&mut t, tier, "Key", "k", "k", &[KeyUser::Logs]);
        let key_arn = key.get_att(kms::KeyAttr::Arn);
        let c = compute(
            &mut t,
            "Batch",
            None,
            Expr::strs(["subnet-0123456789abcdef0"]),
            Expr::strs(["sg-0123456789abcdef0"]),
            16,
        );
        let job = job_definition(
            &mut t,
            JobSpec {
                id: "Job".into(),
                name: None,
                image: Expr::str("123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"),
                vcpu: "2".into(),
                memory_mib: mib(4),
                timeout_secs: 43_200,
                attempts: 3,
                job_role_arn: Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/job"),
                execution_role_arn: Expr::sub(
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/exec",
                ),
                log_group: Expr::str("/harden/jobs"),
                environment: Vec::new(),
                ephemeral_gib: None,
            },
        );
        let spec = ApiSpec {
            id: "Api",
            name: Expr::sub("${AWS::StackName}"),
            description: "jobs",
            stage: "v1",
            rate_limit: 20,
            burst_limit: 40,
            key_arn: key_arn.clone(),
            private: None,
            allowed_cidrs: None,
        };
        let mut api = rest_api(&mut t, tier, &spec);
        job_api(&mut t, &mut api, c.queue.r#ref(), job.r#ref(), job.r#ref());
        api.deploy(&mut t, tier, &spec);
        repository_token_secret(
            &mut t,
            tier,
            "RepoToken",
            key_arn.clone(),
            Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/job"),
        );
        long_running_check(&mut t, tier, c.queue.r#ref(), 6 * 3600, key_arn);
        to_node(&t).unwrap()
    }

    #[test]
    fn the_job_api_and_its_helpers_pass_the_audit() {
        for tier in Tier::ALL {
            let n = build(tier);
            let findings = crate::audit::audit(&n);
            assert!(findings.is_empty(), "{tier}: {findings:#?}");
        }
    }

    #[test]
    fn submit_fixes_the_queue_and_definition_and_validates_the_body() {
        let n = build(Tier::Basic);
        let m = n
            .get_path(&["Resources", "ApiSubmitJobMethod", "Properties"])
            .unwrap();
        assert_eq!(
            m.get_path(&["AuthorizationType"]).and_then(Node::as_str),
            Some("AWS_IAM")
        );
        assert!(m.get_path(&["RequestModels", "application/json"]).is_some());
        let tpl = format!(
            "{:?}",
            m.get_path(&["Integration", "RequestTemplates"]).unwrap()
        );
        assert!(
            tpl.contains("${Queue}") && tpl.contains("${JobDefinition}"),
            "{tpl}"
        );
        let schema: serde_json::Value = serde_json::from_str(SUBMIT_SCHEMA).unwrap();
        assert_eq!(
            schema["additionalProperties"],
            serde_json::Value::Bool(false)
        );
        let d = n
            .get_path(&["Resources", "ApiDescribeJobMethod", "Properties"])
            .unwrap();
        assert!(d
            .get_path(&["RequestParameters", "method.request.path.jobId"])
            .is_some());
    }

    #[test]
    fn only_the_job_role_reads_the_token() {
        let n = build(Tier::Basic);
        let p = n
            .get_path(&[
                "Resources",
                "RepoTokenPolicy",
                "Properties",
                "ResourcePolicy",
                "Statement",
            ])
            .and_then(Node::as_seq)
            .unwrap();
        assert_eq!(
            p[0].get_path(&["Effect"]).and_then(Node::as_str),
            Some("Deny")
        );
        assert!(p[0]
            .get_path(&["Condition", "StringNotEquals", "aws:PrincipalArn"])
            .is_some());
    }
}
