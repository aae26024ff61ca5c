//! The `cognito-api` blueprint: an authenticated web API, as the guide's accelerator
//! describes (seed 001): people sign in with a Cognito user pool (hosted sign-in, PKCE code
//! flow), call a REST API whose every method is behind a Cognito authoriser, and a backend
//! Lambda (the user's code) keeps the state of executions in DynamoDB, exchanges files with
//! the browser through presigned URLs on an input and an output bucket, and keeps embeddings
//! in an OpenSearch Serverless vector collection.
//!
//! From enhanced the backend runs in private subnets of the blueprint's VPC (or the user's
//! own, `vpc_id`/`subnet_ids`) and reaches DynamoDB and S3 through gateway endpoints and the
//! collection through its OpenSearch Serverless endpoint only; the API gets a WAF web ACL. At
//! enterprise MFA is required, Cognito's threat protection acts, the table is in an AWS Backup
//! plan, and the API can be made private (`private_api`).

use crate::blueprint::{Blueprint, BlueprintError, Request, StackBuilder, StackRole, StackSpec};
use crate::blueprints::account_baseline;
use crate::cfn::generated::{cloudwatch, ec2};
use crate::cfn::policy::Statement;
use crate::cfn::{Expr, Template};
use crate::controls::alarms::{alarm, alert_topic, forward_alarms, AlarmSpec, Alerts};
use crate::controls::backup;
use crate::controls::backup::{backup_plan, BackupSpec};
use crate::controls::cognito::{user_pool, PoolSpec};
use crate::controls::dynamodb_table::{self as ddb, table};
use crate::controls::kms_key::{kms_key, KeyUser};
use crate::controls::lambda_function::{
    allow_invoke, function_resource, surroundings, Code, FunctionSpec, Placement,
};
use crate::controls::opensearch_serverless::{collection, CollectionSpec, Endpoint};
use crate::controls::rest_api::{
    lambda_proxy, rest_api, ApiSpec, Authorization, MethodSpec, Private,
};
use crate::controls::s3_bucket::{
    access_log_bucket, arns, cors_origins, presigned_only_statements, secure_bucket, BucketSpec,
    Encryption,
};
use crate::controls::security_group::{egress, ingress, security_group, Peer};
use crate::controls::vpc::{self, InternetEgress, Network};
use crate::controls::vpc_endpoints::{s3_prefix_list_id, VPC_ENDPOINTS};
use crate::params::{rules, Opt, Param, ParamSpec};
use crate::tier::Tier;

/// The guide this blueprint follows.
pub const GUIDE: &str =
    "Guidance for an authenticated generative AI web application on AWS (security section)";

/// What the workload is, once its parameters are read.
#[derive(Debug, Clone)]
pub struct Options {
    /// The browser app's origins (https), for CORS and the sign-in redirects.
    pub origins: Vec<String>,
    /// Sign-in callback URLs (default: each origin with `/`).
    pub callback_urls: Vec<String>,
    /// Sign-out URLs (default: the callback URLs).
    pub logout_urls: Vec<String>,
    /// Whether people may sign themselves up.
    pub self_sign_up: bool,
    /// The backend's code.
    pub code: Code,
    /// Memory in MB.
    pub memory_mb: i64,
    /// Reserved concurrency.
    pub concurrency: i64,
    /// Stage-wide requests per second.
    pub rate_limit: i64,
    /// Source CIDRs the WAF admits, if limited.
    pub allowed_cidrs: Option<Vec<String>>,
    /// A private API (at enterprise).
    pub private_api: bool,
    /// The vector collection's name.
    pub collection_name: String,
    /// How long a presigned URL is honoured, in seconds.
    pub presigned_url_secs: i64,
}

/// The collection name a stack gets by default: its name, lowercased, cut to fit, `-vectors`.
pub fn default_collection_name(stack: &str) -> String {
    let mut base: String = stack
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base.insert(0, 'v');
    }
    base.truncate(24);
    let base = base.trim_end_matches('-');
    format!("{base}-vectors")
}

/// The JSON schema of a vector search: the guide asks for input validation of vector queries
/// and bounded similarity thresholds, so API Gateway refuses any other body.
fn search_schema() -> Expr {
    Expr::map([
        (
            "$schema",
            Expr::str("http://json-schema.org/draft-04/schema#"),
        ),
        ("type", Expr::str("object")),
        ("additionalProperties", Expr::Bool(false)),
        ("required", Expr::strs(["query"])),
        (
            "properties",
            Expr::map([
                (
                    "query",
                    Expr::map([
                        ("type", Expr::str("string")),
                        ("minLength", Expr::Int(1)),
                        ("maxLength", Expr::Int(2000)),
                    ]),
                ),
                (
                    "k",
                    Expr::map([
                        ("type", Expr::str("integer")),
                        ("minimum", Expr::Int(1)),
                        ("maximum", Expr::Int(100)),
                    ]),
                ),
                (
                    "min_score",
                    Expr::map([
                        ("type", Expr::str("number")),
                        ("minimum", Expr::Int(0)),
                        ("maximum", Expr::Int(1)),
                    ]),
                ),
            ]),
        ),
    ])
}

fn object_schema() -> Expr {
    Expr::map([
        (
            "$schema",
            Expr::str("http://json-schema.org/draft-04/schema#"),
        ),
        ("type", Expr::str("object")),
    ])
}

fn upload_schema() -> Expr {
    Expr::map([
        (
            "$schema",
            Expr::str("http://json-schema.org/draft-04/schema#"),
        ),
        ("type", Expr::str("object")),
        ("additionalProperties", Expr::Bool(false)),
        ("required", Expr::strs(["file_name"])),
        (
            "properties",
            Expr::map([
                (
                    "file_name",
                    Expr::map([
                        ("type", Expr::str("string")),
                        ("minLength", Expr::Int(1)),
                        ("maxLength", Expr::Int(255)),
                        ("pattern", Expr::str("^[A-Za-z0-9._-]+$")),
                    ]),
                ),
                (
                    "content_type",
                    Expr::map([("type", Expr::str("string")), ("maxLength", Expr::Int(100))]),
                ),
            ]),
        ),
    ])
}

/// Where the backend runs from enhanced: a network (the blueprint's own, or the user's).
pub struct Net {
    /// The VPC id.
    pub vpc_id: Expr,
    /// Private subnet ids.
    pub subnets: Vec<Expr>,
    /// Private route table ids, for the gateway endpoints (empty for a given network whose
    /// endpoints the user manages).
    pub route_tables: Vec<Expr>,
}

impl Net {
    /// The net of the request's network (harden's own VPC, or the one given).
    pub fn of(n: &Network) -> Net {
        Net {
            vpc_id: n.vpc_id(),
            subnets: n.subnets(),
            route_tables: n.route_tables(),
        }
    }
}

/// What the application stack imports from the data stack (export names are the data
/// stack's name and these suffixes).
const IMPORTS: &[&str] = &[
    "KeyArn",
    "BackendRoleArn",
    "DeadLetterQueueArn",
    "DeadLetterQueueName",
    "BackendLogGroup",
    "ExecutionsTable",
    "InputBucket",
    "OutputBucket",
    "CollectionEndpoint",
    "VpcId",
    "PrivateSubnets",
    "BackendSecurityGroup",
    "EndpointSecurityGroup",
];

/// Builds the two stacks: `d`, the data stack (network from enhanced, key, table, buckets,
/// vector collection, backup, and the backend's role, log group and dead-letter queue, which
/// those resources' policies name), and `a`, the application stack (user pool, backend
/// function, API, alarms), which imports what it needs from `d` by export. Two stacks keep
/// each under CloudFormation's template size limit, and the data outlives an application
/// stack that is replaced. `net` is given from enhanced (`None` at basic).
#[allow(clippy::too_many_arguments)]
pub fn workload(
    d: &mut Template,
    a: &mut Template,
    tier: Tier,
    stack: &str,
    data_stack: &str,
    o: &Options,
    net: Option<&Net>,
    alerts: &Alerts<'_>,
) {
    let key_id = "DataKey";
    let key_arn = Expr::GetAtt(key_id.into(), "Arn".into());
    let import = |name: &str| {
        debug_assert!(IMPORTS.contains(&name));
        Expr::import(Expr::str(format!("{data_stack}-{name}")))
    };
    let t = &mut *d;

    // Network placement (from enhanced): the backend's group may reach only the collection's
    // endpoint and the S3 and DynamoDB gateway endpoints, on 443.
    let placement = net.map(|n| {
        let backend_sg = security_group(
            t,
            "BackendSecurityGroup",
            "Backend function: no inbound, HTTPS to its VPC endpoints only",
            n.vpc_id.clone(),
        );
        let endpoint_sg = security_group(
            t,
            "EndpointSecurityGroup",
            "VPC endpoints: HTTPS from the backend function only",
            n.vpc_id.clone(),
        );
        let backend_gid = backend_sg.get_att(ec2::SecurityGroupAttr::GroupId);
        let endpoint_gid = endpoint_sg.get_att(ec2::SecurityGroupAttr::GroupId);
        ingress(
            t,
            "EndpointIngressFromBackend",
            &endpoint_sg,
            backend_gid.clone(),
            443,
            "HTTPS from the backend function",
        );
        egress(
            t,
            "BackendEgressToEndpoints",
            &backend_sg,
            Peer::Group(endpoint_gid.clone()),
            443,
            "HTTPS to the VPC endpoints",
        );
        for (id, service) in [("S3", "s3"), ("DynamoDb", "dynamodb")] {
            if !n.route_tables.is_empty() {
                let h = t.add(
                    format!("{id}GatewayEndpoint"),
                    ec2::VPCEndpoint {
                        vpc_id: Some(n.vpc_id.clone()),
                        service_name: Some(Expr::sub(format!(
                            "com.amazonaws.${{AWS::Region}}.{service}"
                        ))),
                        vpc_endpoint_type: Some("Gateway".into()),
                        route_table_ids: Some(Expr::List(n.route_tables.clone())),
                        policy_document: Some(crate::controls::vpc_endpoints::account_policy()),
                        ..Default::default()
                    },
                );
                t.res(&h).control(&VPC_ENDPOINTS);
            }
            // One lookup function serves both: the second lookup is only a custom resource.
            let pl = if service == "s3" {
                s3_prefix_list_id(t, tier, key_arn.clone())
            } else {
                let mut props = indexmap::IndexMap::new();
                props.insert(
                    "PrefixListName".to_string(),
                    Expr::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")),
                );
                let lookup = t.add(
                    format!("{id}PrefixList"),
                    crate::cfn::custom::CustomResource {
                        type_name: "Custom::AwsManagedPrefixList",
                        service_token: Expr::GetAtt("S3PrefixListFunction".into(), "Arn".into()),
                        properties: props,
                    },
                );
                t.res(&lookup)
                    .control(&crate::controls::security_group::RESTRICTED_SECURITY_GROUP)
                    .depends_on("S3PrefixListRolePolicy");
                lookup.get_att(crate::controls::vpc_endpoints::PREFIX_LIST_ID)
            };
            egress(
                t,
                &format!("BackendEgressTo{id}"),
                &backend_sg,
                Peer::PrefixList(pl),
                443,
                &format!(
                    "HTTPS to {service} through its gateway endpoint (its AWS-managed prefix list)"
                ),
            );
        }
        (
            Placement {
                subnets: n.subnets.clone(),
                security_group: backend_gid,
            },
            Endpoint {
                vpc_id: n.vpc_id.clone(),
                subnets: n.subnets.clone(),
                security_group: endpoint_gid,
            },
        )
    });

    // Data: the executions table, the two buckets, the collection.
    let executions = table(t, tier, "ExecutionsTable", "execution_id", key_arn.clone());
    let log_bucket =
        (tier >= Tier::Enhanced).then(|| access_log_bucket(t, tier, "AccessLogBucket"));
    let role_arn = Expr::GetAtt("BackendRole".into(), "Arn".into());
    let bucket = |t: &mut Template, id: &str, methods: &[&str]| {
        let b = secure_bucket(
            t,
            tier,
            BucketSpec {
                id,
                encryption: Encryption::Kms(key_arn.clone()),
                log_bucket: log_bucket.as_ref(),
                extra_statements: presigned_only_statements(
                    id,
                    role_arn.clone(),
                    o.presigned_url_secs,
                ),
                noncurrent_days: 90,
                cors_origin: None,
            },
        );
        cors_origins(t, &b, &o.origins, methods);
        b
    };
    let input = bucket(t, "InputBucket", &["PUT"]);
    let output = bucket(t, "OutputBucket", &["GET", "HEAD"]);
    let (input_arn, input_objects) = arns(&input);
    let (_, output_objects) = arns(&output);
    let _ = input_arn;
    let collection_arn = Expr::sub(
        "arn:${AWS::Partition}:aoss:${AWS::Region}:${AWS::AccountId}:collection/${VectorCollection}",
    );

    let mut backend_spec = FunctionSpec {
        id: "Backend",
        description: "Backend of the API: executions, presigned URLs, vector search",
        code: o.code.clone(),
        memory_mb: o.memory_mb,
        timeout_secs: 29,
        reserved_concurrency: o.concurrency,
        environment: vec![
            ("EXECUTIONS_TABLE".into(), executions.r#ref()),
            ("INPUT_BUCKET".into(), input.r#ref()),
            ("OUTPUT_BUCKET".into(), output.r#ref()),
            (
                "COLLECTION_ENDPOINT".into(),
                Expr::GetAtt("VectorCollection".into(), "CollectionEndpoint".into()),
            ),
            ("ALLOWED_ORIGINS".into(), Expr::str(o.origins.join(","))),
            (
                "PRESIGNED_URL_MAX_SECONDS".into(),
                Expr::str(o.presigned_url_secs.to_string()),
            ),
        ],
        statements: vec![
            Statement::allow("ExecutionState")
                .actions([
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ])
                .resource(ddb::arn(&executions)),
            Statement::allow("InputFiles")
                .actions(["s3:GetObject", "s3:PutObject"])
                .resource(input_objects),
            Statement::allow("OutputFiles")
                .actions(["s3:GetObject", "s3:PutObject"])
                .resource(output_objects),
            Statement::allow("VectorStore")
                .actions(["aoss:APIAccessAll"])
                .resource(collection_arn),
        ],
        wildcards: Vec::new(),
        key_arn: key_arn.clone(),
        vpc: placement.as_ref().map(|(p, _)| p.clone()),
    };
    let backend = surroundings(t, tier, &mut backend_spec);
    collection(
        t,
        tier,
        CollectionSpec {
            id: "VectorCollection",
            name: o.collection_name.clone(),
            key_arn: key_arn.clone(),
            principal: backend.role.arn(),
            endpoint: placement.as_ref().map(|(_, e)| e.clone()),
        },
    );
    if backup::BACKUP_PLAN.on(tier) {
        backup_plan(
            t,
            tier,
            BackupSpec {
                id: "Backup",
                vault_name: Expr::sub("${AWS::StackName}-backups"),
                key_arn: key_arn.clone(),
                tables: vec![ddb::arn(&executions)],
                buckets: Vec::new(),
                control: &backup::BACKUP_PLAN,
            },
        );
    }

    // What the application stack imports.
    for (name, value) in [
        ("KeyArn", key_arn.clone()),
        ("BackendRoleArn", backend.role.arn()),
        (
            "DeadLetterQueueArn",
            backend
                .dead_letter_queue
                .get_att(crate::cfn::generated::sqs::QueueAttr::Arn),
        ),
        (
            "DeadLetterQueueName",
            backend
                .dead_letter_queue
                .get_att(crate::cfn::generated::sqs::QueueAttr::QueueName),
        ),
        ("BackendLogGroup", backend.log_group.r#ref()),
        ("ExecutionsTable", executions.r#ref()),
        ("InputBucket", input.r#ref()),
        ("OutputBucket", output.r#ref()),
        (
            "CollectionEndpoint",
            Expr::GetAtt("VectorCollection".into(), "CollectionEndpoint".into()),
        ),
    ]
    .into_iter()
    .chain(
        net.zip(placement.as_ref())
            .into_iter()
            .flat_map(|(n, (p, e))| {
                [
                    ("VpcId", n.vpc_id.clone()),
                    ("PrivateSubnets", Expr::join(",", n.subnets.clone())),
                    ("BackendSecurityGroup", p.security_group.clone()),
                    ("EndpointSecurityGroup", e.security_group.clone()),
                ]
            }),
    ) {
        t.output(
            name,
            "Imported by the application stack",
            value,
            Some(Expr::sub(format!("${{AWS::StackName}}-{name}"))),
        );
    }
    t.output(
        "InputBucketName",
        "Uploads from the browser",
        input.r#ref(),
        None,
    );
    t.output(
        "OutputBucketName",
        "Results for the browser",
        output.r#ref(),
        None,
    );
    let mut users = vec![
        KeyUser::Role(backend.role.arn()),
        KeyUser::ViaService("s3"),
        KeyUser::ViaService("dynamodb"),
        KeyUser::ViaService("aoss"),
        KeyUser::ViaService("lambda"),
        KeyUser::ViaService("sqs"),
        KeyUser::ViaService("sns"),
        KeyUser::Logs,
        KeyUser::CloudWatchAlarms,
    ];
    if backup::BACKUP_PLAN.on(tier) {
        users.push(KeyUser::ViaService("backup"));
    }
    let key = kms_key(
        t,
        tier,
        key_id,
        &format!("{stack}/data"),
        "Encrypts the API's table, buckets, vector collection, queue, logs and alert topic",
        &users,
    );
    debug_assert_eq!(key.id(), key_id);

    // The application stack: the backend function, sign-in and the API.
    let t = &mut *a;
    let key_arn = import("KeyArn");
    let backend_role = import("BackendRoleArn");
    backend_spec.key_arn = key_arn.clone();
    let subnets = || Expr::Split(",".into(), Box::new(import("PrivateSubnets")));
    if let Some(p) = backend_spec.vpc.as_mut() {
        p.subnets = vec![Expr::select(0, subnets()), Expr::select(1, subnets())];
        p.security_group = import("BackendSecurityGroup");
    }
    backend_spec.environment = vec![
        ("EXECUTIONS_TABLE".into(), import("ExecutionsTable")),
        ("INPUT_BUCKET".into(), import("InputBucket")),
        ("OUTPUT_BUCKET".into(), import("OutputBucket")),
        ("COLLECTION_ENDPOINT".into(), import("CollectionEndpoint")),
        ("ALLOWED_ORIGINS".into(), Expr::str(o.origins.join(","))),
        (
            "PRESIGNED_URL_MAX_SECONDS".into(),
            Expr::str(o.presigned_url_secs.to_string()),
        ),
    ];
    let backend_fn = function_resource(
        t,
        &backend_spec,
        backend_role,
        None,
        import("DeadLetterQueueArn"),
        import("BackendLogGroup"),
    );
    let backend_arn = backend_fn.get_att(crate::cfn::generated::lambda::FunctionAttr::Arn);
    let pool = user_pool(
        t,
        tier,
        &PoolSpec {
            id: "UserPool",
            self_sign_up: o.self_sign_up,
            callback_urls: o.callback_urls.clone(),
            logout_urls: o.logout_urls.clone(),
        },
    );
    let spec = ApiSpec {
        id: "Api",
        name: Expr::sub("${AWS::StackName}-api"),
        description: "harden cognito-api: the backend behind a Cognito authoriser",
        stage: "v1",
        rate_limit: o.rate_limit,
        burst_limit: o.rate_limit * 2,
        key_arn: key_arn.clone(),
        private: (o.private_api && placement.is_some()).then(|| Private {
            vpc_id: import("VpcId"),
            subnet_ids: subnets(),
            security_group_ids: Expr::list([import("EndpointSecurityGroup")]),
            principals: None,
        }),
        allowed_cidrs: o.allowed_cidrs.as_deref(),
    };
    let mut api = rest_api(t, tier, &spec);
    let authorizer = api.cognito_authorizer(t, "Cognito", Expr::list([pool.arn()]));
    let cognito = || Authorization::Cognito {
        authorizer_id: authorizer.clone(),
        scopes: Vec::new(),
    };
    let ok = || {
        vec![crate::cfn::generated::apigateway::method::MethodResponse {
            status_code: Some("200".into()),
            ..Default::default()
        }]
    };
    let proxy = || lambda_proxy(backend_arn.clone());
    let executions_res = api.resource(t, "Executions", None, "executions");
    let execution_res = api.resource(t, "Execution", Some(&executions_res), "{executionId}");
    let uploads_res = api.resource(t, "Uploads", None, "uploads");
    let search_res = api.resource(t, "Search", None, "search");
    type MethodRow<'a> = (
        &'a str,
        &'a crate::cfn::Handle<crate::cfn::generated::apigateway::Resource>,
        &'static str,
        Vec<(String, bool)>,
        Option<Expr>,
    );
    let methods: [MethodRow<'_>; 5] = [
        ("ListExecutions", &executions_res, "GET", Vec::new(), None),
        (
            "StartExecution",
            &executions_res,
            "POST",
            Vec::new(),
            Some(object_schema()),
        ),
        (
            "GetExecution",
            &execution_res,
            "GET",
            vec![("method.request.path.executionId".to_string(), true)],
            None,
        ),
        (
            "PresignUpload",
            &uploads_res,
            "POST",
            Vec::new(),
            Some(upload_schema()),
        ),
        (
            "Search",
            &search_res,
            "POST",
            Vec::new(),
            Some(search_schema()),
        ),
    ];
    for (id, res, verb, parameters, body) in methods {
        api.method(
            t,
            MethodSpec {
                id: id.into(),
                resource: Some((*res).clone()),
                http_method: verb,
                auth: cognito(),
                integration: proxy(),
                responses: ok(),
                parameters,
                body_schema: body,
            },
        );
    }
    for (id, res, verbs) in [
        ("Executions", &executions_res, &["GET", "POST"][..]),
        ("Execution", &execution_res, &["GET"][..]),
        ("Uploads", &uploads_res, &["POST"][..]),
        ("Search", &search_res, &["POST"][..]),
    ] {
        api.cors_preflight(t, id, Some(res.clone()), &o.origins, verbs);
    }
    let deployed = api.deploy(t, tier, &spec);
    // The web ACL and its log group are named after the API block's id (`Api`), the same in
    // every stack of the account: named after the stack instead, two stacks never collide.
    if let Some(acl) = &deployed.web_acl {
        t.props(acl).name = Some(Expr::sub("${AWS::StackName}-api"));
        if let Some(r) = t.resources.get_mut(&format!("{}Logs", acl.id())) {
            if let Some(g) = r
                .properties
                .as_any_mut()
                .downcast_mut::<crate::cfn::generated::logs::LogGroup>()
            {
                g.log_group_name = Some(Expr::sub("aws-waf-logs-${AWS::StackName}-api"));
            }
        }
    }
    allow_invoke(
        t,
        "BackendInvokeFromApi",
        backend_arn.clone(),
        "apigateway.amazonaws.com",
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}/{}/*/*",
            deployed.api.id(),
            deployed.stage_name
        )),
    );

    // Monitoring: the guide recommends CloudWatch's recommended alarms for the services used.
    let topic = alert_topic(t, tier, "AlertTopic", key_arn.clone(), alerts, &[]);
    let function_dims = || vec![("FunctionName", backend_fn.r#ref())];
    let api_dims = || {
        vec![
            ("ApiName", Expr::sub("${AWS::StackName}-api")),
            ("Stage", Expr::str(&deployed.stage_name)),
        ]
    };
    let specs = [
        AlarmSpec {
            id: "Api5xxAlarm",
            description: "More than 5 server errors (5XX) from the API in 5 minutes",
            namespace: "AWS/ApiGateway",
            metric: "5XXError",
            dimensions: api_dims(),
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 5,
            notify_recovery: true,
        },
        AlarmSpec {
            id: "BackendErrorsAlarm",
            description: "More than 5 backend function errors in 5 minutes",
            namespace: "AWS/Lambda",
            metric: "Errors",
            dimensions: function_dims(),
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 5,
            notify_recovery: true,
        },
        AlarmSpec {
            id: "BackendThrottlesAlarm",
            description: "The backend function was throttled (its reserved concurrency is reached)",
            namespace: "AWS/Lambda",
            metric: "Throttles",
            dimensions: function_dims(),
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            threshold: 0,
            notify_recovery: true,
        },
        AlarmSpec {
            id: "DeadLetterAlarm",
            description:
                "Events the backend could not process are waiting in its dead-letter queue",
            namespace: "AWS/SQS",
            metric: "ApproximateNumberOfMessagesVisible",
            dimensions: vec![("QueueName", import("DeadLetterQueueName"))],
            statistic: "Maximum",
            period: 300,
            evaluation_periods: 1,
            threshold: 0,
            notify_recovery: false,
        },
    ];
    let alarms: Vec<crate::cfn::Handle<cloudwatch::Alarm>> =
        specs.into_iter().map(|s| alarm(t, &topic, s)).collect();
    forward_alarms(t, tier, alerts, &alarms, &["ALARM", "OK"]);

    t.output("ApiUrl", "The API's base URL", deployed.url(), None);
    t.output("UserPoolId", "The user pool", pool.pool.r#ref(), None);
    t.output(
        "UserPoolClientId",
        "The browser app's client id",
        pool.client.r#ref(),
        None,
    );
    t.output(
        "SignInDomain",
        "The hosted sign-in domain prefix",
        pool.domain.r#ref(),
        None,
    );
}

/// The blueprint.
pub struct CognitoApi;

/// `allowed_origins`.
pub static ALLOWED_ORIGINS: Param<rules::HttpsOrigins> = Param::new(
    "allowed_origins",
    "the browser app's https origins: the only origins CORS admits on the API and the buckets, and where the hosted sign-in returns (each origin with `/`); the default is a locally running app only, as in the guide's demo",
    &rules::HttpsOrigins { max: 5 },
    "https://localhost:3000",
);

/// `sign_up`.
pub static SIGN_UP: Param<rules::OneOf> = Param::new(
    "sign_up",
    "who creates users: `admins` (administrators only) or `self` (people sign themselves up, which removes control `cognito-admin-sign-up` and needs `--waive`)",
    &rules::OneOf(&["admins", "self"]),
    "admins",
);

/// `backend_code_s3`.
pub static BACKEND_CODE_S3: Opt<rules::S3Uri> = Opt::new(
    "backend_code_s3",
    "the backend's zip file, `s3://BUCKET/KEY` in the region deployed to (without it or `backend_image`, a placeholder answers 501)",
    &rules::S3Uri,
)
.conflicts(&["backend_image"]);

/// `backend_image`.
pub static BACKEND_IMAGE: Opt<rules::EcrImageUri> = Opt::new(
    "backend_image",
    "the backend's container image, an ECR image URI (without it or `backend_code_s3`, a placeholder answers 501)",
    &rules::EcrImageUri,
);

/// `backend_runtime`.
pub static BACKEND_RUNTIME: Param<rules::OneOf> = Param::new(
    "backend_runtime",
    "the managed runtime of a zip backend",
    &rules::OneOf(&[
        "python3.14",
        "python3.13",
        "python3.12",
        "nodejs24.x",
        "nodejs22.x",
        "java25",
        "java21",
        "dotnet10",
        "ruby3.4",
        "provided.al2023",
    ]),
    "python3.13",
);

/// `backend_handler`.
pub static BACKEND_HANDLER: Param<rules::Handler> = Param::new(
    "backend_handler",
    "the handler of a zip backend (`module.function`)",
    &rules::Handler,
    "app.handler",
);

/// `backend_memory`.
pub static BACKEND_MEMORY: Param<rules::Int> = Param::new(
    "backend_memory",
    "the backend's memory in MB",
    &rules::Int {
        min: 128,
        max: 10_240,
    },
    "512",
);

/// `backend_concurrency`.
pub static BACKEND_CONCURRENCY: Param<rules::Int> = Param::new(
    "backend_concurrency",
    "the backend's reserved concurrency: at most this many requests run at once, and they are never starved by other functions",
    &rules::Int { min: 1, max: 1000 },
    "10",
);

/// `api_rate_limit`.
pub static API_RATE_LIMIT: Param<rules::Int> = Param::new(
    "api_rate_limit",
    "requests per second the API stage admits (the burst is twice that)",
    &rules::Int {
        min: 1,
        max: 10_000,
    },
    "50",
);

/// `allowed_cidrs`.
pub static ALLOWED_CIDRS: Opt<rules::Cidrs> = Opt::new(
    "allowed_cidrs",
    "source CIDR blocks the API's web ACL admits, from enhanced (default: any source)",
    &rules::Cidrs { max: 10 },
);

/// `private_api`.
pub static PRIVATE_API: Param<rules::Bool> = Param::new(
    "private_api",
    "make the API private at enterprise: reachable only from the VPC through an `execute-api` endpoint (the browser app's users then need a path into the VPC)",
    &rules::Bool,
    "false",
);

/// `collection_name`.
pub static COLLECTION_NAME: Opt<rules::Name> = Opt::new(
    "collection_name",
    "the vector collection's name, unique in the account and region (default: the stack name, then `-vectors`)",
    &rules::Name { min: 3, max: 32 },
);

/// `presigned_url_ttl`.
pub static PRESIGNED_URL_TTL: Param<rules::Duration> = Param::new(
    "presigned_url_ttl",
    "the oldest presigned URL the buckets honour, whatever expiry it was signed with",
    &rules::Duration {
        min_secs: 60,
        max_secs: 3600,
    },
    "15m",
);

static PARAMS: &[&ParamSpec] = &[
    &ALLOWED_ORIGINS.spec,
    &SIGN_UP.spec,
    &BACKEND_CODE_S3.spec,
    &BACKEND_IMAGE.spec,
    &BACKEND_RUNTIME.spec,
    &BACKEND_HANDLER.spec,
    &BACKEND_MEMORY.spec,
    &BACKEND_CONCURRENCY.spec,
    &API_RATE_LIMIT.spec,
    &ALLOWED_CIDRS.spec,
    &PRIVATE_API.spec,
    &COLLECTION_NAME.spec,
    &PRESIGNED_URL_TTL.spec,
    &vpc::VPC_CIDR.spec,
    &vpc::VPC_ID.spec,
    &vpc::SUBNET_IDS.spec,
    &vpc::ROUTE_TABLE_IDS.spec,
    &crate::controls::replication::REPLICA_REGION.spec,
];

/// The data stack's name for a stack name.
pub fn data_stack_name(name: &str) -> String {
    format!("{name}-data")
}

/// The backend until the user gives one (`backend_code_s3` or `backend_image`): every call
/// answers 501, so the stack deploys and the API, sign-in and data can be tried first.
const PLACEHOLDER: &str = r#"import json


def handler(event, context):
    return {
        "statusCode": 501,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "no backend yet: deploy with backend_code_s3 or backend_image"}),
    }
"#;

impl Blueprint for CognitoApi {
    fn name(&self) -> &'static str {
        "cognito-api"
    }

    fn summary(&self) -> &'static str {
        "an authenticated web API: Cognito sign-in, a REST API with a Cognito authoriser, a Lambda backend, DynamoDB, S3 and an OpenSearch Serverless vector store"
    }

    fn source(&self) -> &'static str {
        GUIDE
    }

    fn deviations(&self) -> &'static [crate::guide::Deviation] {
        DEVIATIONS
    }

    fn operations(&self) -> &'static [crate::guide::Operation] {
        account_baseline::OPERATIONS
    }

    fn params(&self) -> &'static [&'static ParamSpec] {
        PARAMS
    }

    fn baseline(&self) -> Option<Tier> {
        Some(Tier::Basic)
    }

    fn required_example(&self, tier: Tier) -> Vec<(&'static str, &'static str)> {
        let mut v = account_baseline::required_alerts(tier);
        v.extend(crate::controls::replication::required_example(tier));
        v
    }

    /// The replica stack (at enterprise, in `replica_region`), the data stack, the API stack.
    fn own_stack_names(&self, name: &str) -> Vec<(String, StackRole)> {
        vec![
            (
                crate::blueprint::replica_stack_name(name),
                StackRole::Workload,
            ),
            (data_stack_name(name), StackRole::Workload),
            (name.to_string(), StackRole::Workload),
        ]
    }

    fn purposes(&self, tier: Tier) -> Vec<&'static str> {
        crate::controls::replication::purposes(tier, vec![
            "workload data: KMS key, table, buckets, vector collection, the backend's role (+ VPC and endpoints from enhanced, AWS Backup at enterprise)",
            "workload: Cognito user pool, backend function, REST API, alarms",
        ])
    }

    fn stacks(&self, req: &Request) -> Result<Vec<StackSpec>, BlueprintError> {
        let tier = req.tier;
        let alerts = Alerts::of(req);
        alerts.require(tier)?;
        let origins = req.get(&ALLOWED_ORIGINS);
        let code = match (req.get(&BACKEND_CODE_S3), req.params.text(&BACKEND_IMAGE)) {
            (Some(loc), _) => Code::Zip {
                bucket: loc.bucket,
                key: loc.key,
                runtime: req.get(&BACKEND_RUNTIME).to_string(),
                handler: req.get(&BACKEND_HANDLER),
            },
            (None, Some(uri)) => Code::Image(uri.to_string()),
            (None, None) => Code::Inline(PLACEHOLDER),
        };
        let name = &req.name;
        let collection_name = req
            .get(&COLLECTION_NAME)
            .unwrap_or_else(|| default_collection_name(name));
        let urls: Vec<String> = origins.iter().map(|o| format!("{o}/")).collect();
        let o = Options {
            callback_urls: urls.clone(),
            logout_urls: urls,
            origins,
            self_sign_up: req.get(&SIGN_UP) == "self",
            code,
            memory_mb: req.get(&BACKEND_MEMORY),
            concurrency: req.get(&BACKEND_CONCURRENCY),
            rate_limit: req.get(&API_RATE_LIMIT),
            allowed_cidrs: req
                .params
                .text(&ALLOWED_CIDRS)
                .map(|v| v.split(',').map(|c| c.trim().to_string()).collect()),
            private_api: req.get(&PRIVATE_API),
            collection_name,
            presigned_url_secs: i64::try_from(req.get(&PRESIGNED_URL_TTL)).unwrap_or(900),
        };
        let data_name = data_stack_name(name);
        let mut d = Template::new(String::new());
        let mut a = Template::new(format!(
            "harden cognito-api ({tier}): Cognito sign-in, REST API and the Lambda backend"
        ));
        let mut data_notes = Vec::new();
        let net = if tier >= Tier::Enhanced {
            let n = vpc::network(&mut d, req, InternetEgress::None);
            let key_arn = Expr::GetAtt("DataKey".into(), "Arn".into());
            vpc::flow_logs(&mut d, tier, &n, key_arn.clone());
            vpc::close_default_security_group(&mut d, tier, &n, key_arn);
            data_notes.extend(n.notes());
            d.description = Some(format!(
                "harden cognito-api ({tier}) data: key, table, buckets, vector collection and the backend's role, in {}",
                n.placement()
            ));
            Some(Net::of(&n))
        } else {
            if [
                &vpc::VPC_ID.spec,
                &vpc::SUBNET_IDS.spec,
                &vpc::ROUTE_TABLE_IDS.spec,
            ]
            .iter()
            .any(|p| req.params.is_given(p.name))
            {
                data_notes.push("the network parameters apply from the enhanced tier: at basic the backend runs outside any VPC".to_string());
            }
            d.description = Some(format!(
                "harden cognito-api ({tier}) data: key, table, buckets, vector collection and the backend's role"
            ));
            None
        };
        workload(
            &mut d,
            &mut a,
            tier,
            name,
            &data_name,
            &o,
            net.as_ref(),
            &alerts,
        );
        let data = StackBuilder::new(self.name(), tier, data_name.clone(), d)
            .purpose("workload data")
            .notes(data_notes);
        let app = req
            .stack(a)
            .after(data_name)
            .notes(alerts.notes("the alarms"));
        crate::controls::replication::with_replicas(req, self.name(), vec![data, app])
    }
}

/// Where harden does not do what the guide does or recommends, and why (the account baseline
/// has its own: `account_baseline::DEVIATIONS`).
pub static DEVIATIONS: &[crate::guide::Deviation] = &[
    crate::guide::Deviation {
        guide: "AWS managed policies and wildcard resources in the accelerator's roles",
        harden: "one customer-managed policy per role naming each action and resource; `*` only where the API has no resource-level permissions (X-Ray, EC2 Describe), with the reason in the template",
        reason: "the guide itself calls both shortcuts taken for development and says to write least-privilege policies",
    },
    crate::guide::Deviation {
        guide: "CORS open to the locally running demo app",
        harden: "CORS on the API preflights and on both buckets for the origins in `allowed_origins` only, never `*`",
        reason: "the guide asks to restrict CORS to your domain in production",
    },
    crate::guide::Deviation {
        guide: "activating MFA may need a higher SNS SMS spending quota",
        harden: "MFA by authenticator app (TOTP) only: offered from enhanced, required at enterprise; no SMS MFA and no SMS account recovery",
        reason: "the guide warns that once the SMS quota is reached no one can sign in; TOTP has no quota and is not open to SIM swapping",
    },
    crate::guide::Deviation {
        guide: "restrict the API to a specific VPC as a private REST API",
        harden: "an option (`private_api`) from enterprise, not the default",
        reason: "a private API answers only inside the VPC (through its `execute-api` endpoint): a browser app on the internet could no longer reach it, so only a deployment with a VPN or Direct Connect path for its users can take it",
    },
    crate::guide::Deviation {
        guide: "enable cross-region replication of the S3 buckets as a disaster recovery strategy",
        harden: "at enterprise only: every bucket replicates to `replica_region`, into a replica stack there with its own key (delete markers are not replicated); below, versioned buckets",
        reason: "a replica needs a bucket, a key and a role in a second region, a stack of its own there, which the lower tiers do not deploy",
    },
    crate::guide::Deviation {
        guide: "consider MFA delete on the buckets",
        harden: "not set",
        reason: "MFA delete can only be enabled by the root user with its MFA device through the API, never by CloudFormation; versioning and the presigned-only policy protect the objects",
    },
    crate::guide::Deviation {
        guide: "AWS WAF in front of OpenSearch Serverless",
        harden: "WAF on the API (from enhanced); the collection has no public entry point from enhanced",
        reason: "WAF cannot be attached to an OpenSearch Serverless collection; the collection is reached only by the backend's role, through a VPC endpoint from enhanced",
    },
    crate::guide::Deviation {
        guide: "backup and data retention of the vector collection",
        harden: "the collection is retained at enterprise, with standby replicas from enhanced, but not backed up",
        reason: "OpenSearch Serverless offers no backup that CloudFormation or AWS Backup can schedule; the embeddings are derived data the backend can rebuild from the input files",
    },
    crate::guide::Deviation {
        guide: "stack termination protection",
        harden: "from enhanced, through harden's stack settings (control termination-protection)",
        reason: "a basic stack is meant to be torn down and rebuilt freely",
    },
    crate::guide::Deviation {
        guide: "a trail with DynamoDB data-plane and API logging",
        harden: "the account baseline's trail (from enhanced) records management events, and S3 data events at enterprise; DynamoDB data events are not selected",
        reason: "the trail is account-wide and belongs to the account baseline, where a DynamoDB data event selector would log (and bill) every table of the account; the API's access logs record each call with the caller's identity",
    },
    crate::guide::Deviation {
        guide: "code signing (not in the guide; checkov's CKV_AWS_272 family)",
        harden: "no code signing configuration",
        reason: "the backend's code is built and uploaded by the user's pipeline; a signing profile and its trust belong to that pipeline",
    },
    crate::guide::Deviation {
        guide: "CORS headers on API error responses",
        harden: "the preflights and the backend answer CORS; API Gateway's own error responses (401 from the authoriser, 429 throttling) carry no CORS header",
        reason: "a gateway response can only name one fixed origin or echo any origin (`*` in effect); with several origins the browser sees these errors as network errors instead",
    },
];
