//! A hardened API Gateway REST API, shared by the API blueprints: a regional (or, with
//! [`Private`], a private) API whose default endpoint accepts TLS 1.2+ only, one stage with
//! JSON access logs and INFO execution logs (no data tracing: it would log request and
//! response bodies) to log groups encrypted with the stack's key and kept for the tier's
//! retention, X-Ray tracing, stage-wide throttling, caching off (and encrypted, should anyone
//! switch it on), one request validator for bodies and parameters, from enhanced a WAF web
//! ACL on the stage, and in private mode an `execute-api` interface endpoint and a resource
//! policy that admits invocations through that endpoint only.
//!
//! What is behind the API is pluggable: a blueprint adds its resources and methods through
//! [`Api::resource`] and [`Api::method`], each with its own [`Authorization`] (IAM / SigV4,
//! or a Cognito user-pool authoriser from [`Api::cognito_authorizer`]) and integration (an AWS
//! service integration, a Lambda proxy), then calls [`Api::deploy`].
//!
//! # TLS
//! API Gateway's default `execute-api` endpoint of a regional API negotiates TLS 1.0 unless
//! the API names a security policy (only private APIs default to TLS 1.2), so the API sets
//! `SecurityPolicy: TLS_1_2` (TLS 1.2 and 1.3). No custom domain is needed for that.
//!
//! # Execution logs
//! API Gateway writes execution logs to `API-Gateway-Execution-Logs_{rest-api-id}/{stage}`
//! with the account's CloudWatch Logs role (`AWS::ApiGateway::Account`, one per account and
//! region: the account baseline holds it, see [`account_logging_role`]). Left to itself it
//! creates that group unencrypted and kept forever; so the stage creates it first, encrypted
//! and with a retention, and the account role may not create log groups at all.

use crate::cfn::generated::apigateway::{self as apigw, method, stage};
use crate::cfn::generated::{ec2, logs, wafv2};
use crate::cfn::policy::{PolicyDocument, Statement};
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::controls::iam_role::Wildcard;
use crate::controls::log_group::log_group;
use crate::controls::vpc_endpoints::VPC_ENDPOINTS;
use crate::controls::waf;
use crate::tier::Tier;

/// The control: the hardened API and its stage.
pub static REST_API: Control = Control {
    id: "hardened-rest-api",
    title: "REST API with TLS 1.2+, request validation, throttling, X-Ray, access and execution logs to encrypted log groups, no data tracing, cache off or encrypted",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["APIGateway.1", "APIGateway.3", "APIGateway.5"],
};

/// The control: the account's API Gateway CloudWatch Logs role (in the account baseline).
pub static API_GATEWAY_ACCOUNT_LOGGING: Control = Control {
    id: "api-gateway-account-logging",
    title: "API Gateway's account-level CloudWatch Logs role, limited to writing API Gateway log groups it did not create",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["APIGateway.1"],
};

/// The control: a WAF web ACL on the API's stage.
pub static REST_API_WAF: Control = Control {
    id: "rest-api-waf",
    title: "WAF web ACL associated with the REST API stage",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["APIGateway.4"],
};

/// The control: a private API reachable only through an `execute-api` VPC endpoint.
pub static PRIVATE_REST_API: Control = Control {
    id: "private-rest-api",
    title: "private REST API reachable only through an execute-api interface VPC endpoint (resource policy on aws:SourceVpce)",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// The security policy of the default endpoint: TLS 1.2 and 1.3.
pub const SECURITY_POLICY: &str = "TLS_1_2";

/// The prefix API Gateway gives execution log groups.
pub const EXECUTION_LOGS_PREFIX: &str = "API-Gateway-Execution-Logs_";

/// The prefix of the access log groups harden creates, which the account role may write to.
pub const ACCESS_LOGS_PREFIX: &str = "API-Gateway-Access-Logs_";

/// The access log format: one JSON object per request, with the caller, the outcome, the
/// integration's error, the WAF verdict, the TLS version and the VPC endpoint used.
pub const ACCESS_LOG_FORMAT: &str = concat!(
    r#"{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId","#,
    r#""ip":"$context.identity.sourceIp","caller":"$context.identity.caller","#,
    r#""userArn":"$context.identity.userArn","principalId":"$context.authorizer.principalId","#,
    r#""requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","#,
    r#""resourcePath":"$context.resourcePath","status":"$context.status","#,
    r#""protocol":"$context.protocol","responseLength":"$context.responseLength","#,
    r#""integrationStatus":"$context.integration.status","#,
    r#""integrationError":"$context.integration.error","errorMessage":"$context.error.message","#,
    r#""wafStatus":"$context.waf.status","tlsVersion":"$context.tlsVersion","#,
    r#""vpceId":"$context.identity.vpceId"}"#
);

/// The control for CORS preflights limited to the configured origins.
pub static REST_API_CORS: Control = Control {
    id: "rest-api-cors",
    title: "API CORS preflights answer only the configured origins (never `*`)",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// In private mode: where the `execute-api` endpoint goes and who may call through it.
#[derive(Debug, Clone)]
pub struct Private {
    /// The VPC.
    pub vpc_id: Expr,
    /// The subnets of the endpoint's network interfaces.
    pub subnet_ids: Expr,
    /// The endpoint's security groups (which must admit the callers on 443).
    pub security_group_ids: Expr,
    /// The principals the resource policy allows (through the endpoint only): this account's
    /// root for an IAM-authorised API (IAM policies then decide), `None` for an API whose
    /// callers have no IAM identity (a Cognito authoriser decides), which allows anyone
    /// reaching the endpoint.
    pub principals: Option<Vec<Expr>>,
}

/// What the API is.
#[derive(Debug, Clone)]
pub struct ApiSpec<'a> {
    /// Logical id prefix (`Api`: `Api`, `ApiStage`, `ApiAccessLogs`...).
    pub id: &'a str,
    /// The API's name (not unique; shown in the console).
    pub name: Expr,
    /// The description.
    pub description: &'a str,
    /// The stage name (`v1`).
    pub stage: &'a str,
    /// Steady-state requests per second across the stage.
    pub rate_limit: i64,
    /// Burst requests across the stage.
    pub burst_limit: i64,
    /// The stack's key (CloudWatch Logs must be allowed to use it).
    pub key_arn: Expr,
    /// The private mode; `None`: a regional API.
    pub private: Option<Private>,
    /// Source CIDRs the WAF admits (from enhanced), `None`: any source.
    pub allowed_cidrs: Option<&'a [String]>,
}

/// How a method authorises its callers.
#[derive(Debug, Clone)]
pub enum Authorization {
    /// SigV4-signed requests of IAM principals granted `execute-api:Invoke`.
    Iam,
    /// A Cognito user-pool authoriser, with the OAuth scopes required (empty: an ID token).
    Cognito {
        /// `GetAtt Authorizer.AuthorizerId`
        authorizer_id: Expr,
        /// Scopes an access token must carry.
        scopes: Vec<String>,
    },
    /// No authorisation: only for a CORS preflight (`OPTIONS` on a mock integration, see
    /// [`Api::cors_preflight`]), which browsers send without credentials.
    Preflight,
}

/// One method of the API.
#[derive(Debug, Clone)]
pub struct MethodSpec {
    /// Logical id suffix (`SubmitJob`: `ApiSubmitJobMethod`).
    pub id: String,
    /// The resource (`Api::resource`), `None`: the root.
    pub resource: Option<Handle<apigw::Resource>>,
    /// `GET`, `POST`...
    pub http_method: &'static str,
    /// Who may call it.
    pub auth: Authorization,
    /// What serves it.
    pub integration: method::Integration,
    /// The status codes it answers with.
    pub responses: Vec<method::MethodResponse>,
    /// Request parameters (`method.request.path.jobId`) and whether each is required.
    pub parameters: Vec<(String, bool)>,
    /// A JSON schema (draft 4) the body must match, `None`: no body.
    pub body_schema: Option<Expr>,
}

/// The API under construction.
#[derive(Debug, Clone)]
pub struct Api {
    /// The REST API.
    pub api: Handle<apigw::RestApi>,
    /// The request validator every method uses (bodies and parameters).
    pub validator: Handle<apigw::RequestValidator>,
    /// The `execute-api` endpoint, in private mode.
    pub endpoint: Option<Handle<ec2::VPCEndpoint>>,
    id: String,
    stage: String,
    methods: Vec<String>,
}

/// The deployed API: its stage and how to name it in policies.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The REST API.
    pub api: Handle<apigw::RestApi>,
    /// The stage.
    pub stage: Handle<apigw::Stage>,
    /// The access log group.
    pub access_logs: Handle<logs::LogGroup>,
    /// The execution log group.
    pub execution_logs: Handle<logs::LogGroup>,
    /// The web ACL (from enhanced).
    pub web_acl: Option<Handle<wafv2::WebACL>>,
    /// The stage's name.
    pub stage_name: String,
}

impl Deployed {
    /// `https://{api}.execute-api.{region}.{suffix}/{stage}` (in private mode, resolvable
    /// only inside the VPC, through the endpoint's private DNS).
    pub fn url(&self) -> Expr {
        Expr::sub(format!(
            "https://${{{}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{}",
            self.api.id(),
            self.stage_name
        ))
    }

    /// The ARN `execute-api:Invoke` names for one method and path of the stage
    /// (`POST`, `jobs`; `*` for every method).
    pub fn invoke_arn(&self, http_method: &str, path: &str) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}/{}/{http_method}/{path}",
            self.api.id(),
            self.stage_name
        ))
    }

    /// The ARN of the stage, for a WAF association.
    pub fn stage_arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{}}}/stages/${{{}}}",
            self.api.id(),
            self.stage.id()
        ))
    }
}

/// Adds the REST API, its request validator and in private mode its VPC endpoint; methods
/// come next ([`Api::method`]), then [`Api::deploy`].
pub fn rest_api(t: &mut Template, tier: Tier, spec: &ApiSpec<'_>) -> Api {
    let id = spec.id;
    let endpoint = spec.private.as_ref().filter(|_| PRIVATE_REST_API.on(tier)).map(|p| {
        let h = t.add(
            format!("{id}Endpoint"),
            ec2::VPCEndpoint {
                vpc_id: Some(p.vpc_id.clone()),
                service_name: Some(Expr::sub("com.amazonaws.${AWS::Region}.execute-api")),
                vpc_endpoint_type: Some("Interface".into()),
                private_dns_enabled: Some(true.into()),
                subnet_ids: Some(p.subnet_ids.clone()),
                security_group_ids: Some(p.security_group_ids.clone()),
                policy_document: Some(
                    PolicyDocument::new([Statement::allow("InvokeThisAccountsApis")
                        .aws([Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")])
                        .actions(["execute-api:Invoke"])
                        .resource(Expr::sub(
                            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:*",
                        ))])
                    .into(),
                ),
                ..Default::default()
            },
        );
        t.res(&h)
            .control(&VPC_ENDPOINTS)
            .control(&PRIVATE_REST_API)
            .note("private DNS for execute-api: from this VPC, every API's default execute-api name resolves to this endpoint, so public (regional) APIs must be called through it or by a custom domain");
        h
    });
    let policy = match (&endpoint, &spec.private) {
        (Some(vpce), Some(p)) => {
            let mut allow = Statement::allow("InvokeThroughTheEndpoint")
                .actions(["execute-api:Invoke"])
                .resource(Expr::str("execute-api:/*"))
                .condition("StringEquals", "aws:SourceVpce", vpce.r#ref());
            allow = match &p.principals {
                Some(ps) => allow.aws(ps.clone()),
                None => allow.anyone(),
            };
            let deny = Statement::deny("DenyOutsideTheEndpoint")
                .anyone()
                .actions(["execute-api:Invoke"])
                .resource(Expr::str("execute-api:/*"))
                .condition("StringNotEquals", "aws:SourceVpce", vpce.r#ref());
            Some(PolicyDocument::new([allow, deny]).into())
        }
        _ => None,
    };
    let private = endpoint.is_some();
    let api = t.add(
        id,
        apigw::RestApi {
            name: Some(spec.name.clone()),
            description: Some(spec.description.into()),
            endpoint_configuration: Some(apigw::rest_api::EndpointConfiguration {
                types: Some(Expr::strs([if private { "PRIVATE" } else { "REGIONAL" }])),
                ..Default::default()
            }),
            security_policy: Some(SECURITY_POLICY.into()),
            policy,
            fail_on_warnings: Some(true.into()),
            ..Default::default()
        },
    );
    let r = t.res(&api).control(&REST_API);
    if private {
        r.control(&PRIVATE_REST_API);
    }
    let validator = t.add(
        format!("{id}Validator"),
        apigw::RequestValidator {
            rest_api_id: Some(api.r#ref()),
            validate_request_body: Some(true.into()),
            validate_request_parameters: Some(true.into()),
            ..Default::default()
        },
    );
    t.res(&validator).control(&REST_API);
    Api {
        api,
        validator,
        endpoint,
        id: id.to_string(),
        stage: spec.stage.to_string(),
        methods: Vec::new(),
    }
}

impl Api {
    /// `GetAtt Api.RootResourceId`
    pub fn root(&self) -> Expr {
        self.api.get_att(apigw::RestApiAttr::RootResourceId)
    }

    /// Adds a path part under a resource (`None`: the root).
    pub fn resource(
        &self,
        t: &mut Template,
        id: &str,
        parent: Option<&Handle<apigw::Resource>>,
        path_part: &str,
    ) -> Handle<apigw::Resource> {
        let parent = match parent {
            Some(p) => p.get_att(apigw::ResourceAttr::ResourceId),
            None => self.root(),
        };
        let h = t.add(
            format!("{}{id}Resource", self.id),
            apigw::Resource {
                parent_id: Some(parent),
                path_part: Some(path_part.into()),
                rest_api_id: Some(self.api.r#ref()),
            },
        );
        t.res(&h).control(&REST_API);
        h
    }

    /// Adds a Cognito user-pool authoriser (`user_pool_arns`: a list); returns its id.
    pub fn cognito_authorizer(&self, t: &mut Template, id: &str, user_pool_arns: Expr) -> Expr {
        let h = t.add(
            format!("{}{id}Authorizer", self.id),
            apigw::Authorizer {
                name: Some(id.into()),
                rest_api_id: Some(self.api.r#ref()),
                type_: Some("COGNITO_USER_POOLS".into()),
                identity_source: Some("method.request.header.Authorization".into()),
                provider_ar_ns: Some(user_pool_arns),
                ..Default::default()
            },
        );
        t.res(&h).control(&REST_API);
        h.get_att(apigw::AuthorizerAttr::AuthorizerId)
    }

    /// Adds a method, validated by the API's validator (its body against `body_schema`, its
    /// required parameters present).
    pub fn method(&mut self, t: &mut Template, m: MethodSpec) -> Handle<apigw::Method> {
        let models = m.body_schema.map(|schema| {
            let model = t.add(
                format!("{}{}Model", self.id, m.id),
                apigw::Model {
                    rest_api_id: Some(self.api.r#ref()),
                    content_type: Some("application/json".into()),
                    schema: Some(schema),
                    ..Default::default()
                },
            );
            t.res(&model).control(&REST_API);
            Expr::map([("application/json", model.r#ref())])
        });
        let params = (!m.parameters.is_empty()).then(|| {
            Expr::Map(
                m.parameters
                    .iter()
                    .map(|(k, required)| (k.clone(), Expr::Bool(*required)))
                    .collect(),
            )
        });
        let preflight = matches!(m.auth, Authorization::Preflight);
        debug_assert!(
            !preflight || m.http_method == "OPTIONS",
            "only a CORS preflight goes without authorisation"
        );
        let (auth_type, authorizer_id, scopes) = match m.auth {
            Authorization::Iam => ("AWS_IAM", None, None),
            Authorization::Preflight => ("NONE", None, None),
            Authorization::Cognito {
                authorizer_id,
                scopes,
            } => (
                "COGNITO_USER_POOLS",
                Some(authorizer_id),
                (!scopes.is_empty()).then(|| Expr::strs(&scopes)),
            ),
        };
        let resource_id = match &m.resource {
            Some(r) => r.get_att(apigw::ResourceAttr::ResourceId),
            None => self.root(),
        };
        let h = t.add(
            format!("{}{}Method", self.id, m.id),
            apigw::Method {
                rest_api_id: Some(self.api.r#ref()),
                resource_id: Some(resource_id),
                http_method: Some(m.http_method.into()),
                authorization_type: Some(auth_type.into()),
                authorizer_id,
                authorization_scopes: scopes,
                api_key_required: Some(false.into()),
                request_validator_id: Some(
                    self.validator
                        .get_att(apigw::RequestValidatorAttr::RequestValidatorId),
                ),
                request_models: models,
                request_parameters: params,
                integration: Some(m.integration),
                method_responses: (!m.responses.is_empty()).then_some(m.responses),
                ..Default::default()
            },
        );
        t.res(&h).control(&REST_API);
        if preflight {
            // No authoriser: browsers send the preflight without credentials; the mock
            // integration answers with CORS headers for the configured origins only and
            // reaches no backend (`apigw-method-auth` does not hold OPTIONS to it).
            t.res(&h).control(&REST_API_CORS);
        }
        self.methods.push(h.id().to_string());
        h
    }

    /// Adds the CORS preflight (`OPTIONS`) of a resource: a mock integration that answers
    /// `Access-Control-Allow-Origin` with the request's `Origin` only when it is one of
    /// `origins` (never `*`; a response names one origin, so several are matched in the
    /// mapping template), with `Vary: Origin` so caches keep the answers apart.
    pub fn cors_preflight(
        &mut self,
        t: &mut Template,
        id: &str,
        resource: Option<Handle<apigw::Resource>>,
        origins: &[String],
        methods: &[&str],
    ) -> Handle<apigw::Method> {
        debug_assert!(!origins.is_empty() && origins.iter().all(|o| o != "*"));
        let test = origins
            .iter()
            .map(|o| format!("$origin == \"{o}\""))
            .collect::<Vec<_>>()
            .join(" || ");
        let template = format!(
            "#set($origin = $input.params().header.get(\"Origin\"))\n#if({test})\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end\n"
        );
        let header = |h: &str| format!("method.response.header.{h}");
        let allow_methods = format!("'{}'", [methods, &["OPTIONS"]].concat().join(","));
        self.method(
            t,
            MethodSpec {
                id: format!("{id}Preflight"),
                resource,
                http_method: "OPTIONS",
                auth: Authorization::Preflight,
                integration: method::Integration {
                    type_: Some("MOCK".into()),
                    passthrough_behavior: Some("NEVER".into()),
                    request_templates: Some(Expr::map([(
                        "application/json",
                        Expr::str(r#"{"statusCode": 204}"#),
                    )])),
                    integration_responses: Some(vec![method::IntegrationResponse {
                        status_code: Some("204".into()),
                        response_parameters: Some(Expr::map([
                            (
                                header("Access-Control-Allow-Headers"),
                                Expr::str("'Authorization,Content-Type'"),
                            ),
                            (
                                header("Access-Control-Allow-Methods"),
                                Expr::str(allow_methods),
                            ),
                            (header("Access-Control-Max-Age"), Expr::str("'600'")),
                            (header("Vary"), Expr::str("'Origin'")),
                        ])),
                        response_templates: Some(Expr::map([(
                            "application/json",
                            Expr::str(template),
                        )])),
                        ..Default::default()
                    }]),
                    ..Default::default()
                },
                responses: vec![method::MethodResponse {
                    status_code: Some("204".into()),
                    response_parameters: Some(Expr::map(
                        [
                            "Access-Control-Allow-Headers",
                            "Access-Control-Allow-Methods",
                            "Access-Control-Allow-Origin",
                            "Access-Control-Max-Age",
                            "Vary",
                        ]
                        .map(|h| (header(h), Expr::Bool(false))),
                    )),
                    ..Default::default()
                }],
                parameters: Vec::new(),
                body_schema: None,
            },
        )
    }

    /// Deploys the methods to the stage: a deployment whose logical id carries a digest of the
    /// API's resources and methods (so a changed method is redeployed, which CloudFormation
    /// does not do for a deployment it already has), the stage with its logs, tracing,
    /// throttling and cache settings, and from enhanced the web ACL.
    pub fn deploy(self, t: &mut Template, tier: Tier, spec: &ApiSpec<'_>) -> Deployed {
        let id = &self.id;
        let digest = api_digest(t, id);
        let access_logs = log_group(
            t,
            tier,
            &format!("{id}AccessLogs"),
            Expr::sub(format!(
                "{ACCESS_LOGS_PREFIX}${{{}}}/{}",
                self.api.id(),
                self.stage
            )),
            spec.key_arn.clone(),
        );
        t.res(&access_logs).control(&REST_API);
        let execution_logs = log_group(
            t,
            tier,
            &format!("{id}ExecutionLogs"),
            Expr::sub(format!(
                "{EXECUTION_LOGS_PREFIX}${{{}}}/{}",
                self.api.id(),
                self.stage
            )),
            spec.key_arn.clone(),
        );
        t.res(&execution_logs)
            .control(&REST_API)
            .note("created before the stage so that API Gateway writes into an encrypted group with a retention instead of creating one");
        let deployment = t.add(
            format!("{id}Deployment{digest}"),
            apigw::Deployment {
                rest_api_id: Some(self.api.r#ref()),
                description: Some(format!("harden: methods digest {digest}").into()),
                ..Default::default()
            },
        );
        let r = t.res(&deployment);
        r.control(&REST_API);
        for m in &self.methods {
            r.depends_on(m.clone());
        }
        let stage = t.add(
            format!("{id}Stage"),
            apigw::Stage {
                rest_api_id: Some(self.api.r#ref()),
                deployment_id: Some(deployment.r#ref()),
                stage_name: Some(self.stage.as_str().into()),
                description: Some(spec.description.into()),
                tracing_enabled: Some(true.into()),
                cache_cluster_enabled: Some(false.into()),
                access_log_setting: Some(stage::AccessLogSetting {
                    destination_arn: Some(access_logs.get_att(logs::LogGroupAttr::Arn)),
                    format: Some(ACCESS_LOG_FORMAT.into()),
                }),
                method_settings: Some(vec![stage::MethodSetting {
                    http_method: Some("*".into()),
                    resource_path: Some("/*".into()),
                    logging_level: Some("INFO".into()),
                    data_trace_enabled: Some(false.into()),
                    metrics_enabled: Some(true.into()),
                    throttling_rate_limit: Some(spec.rate_limit.into()),
                    throttling_burst_limit: Some(spec.burst_limit.into()),
                    caching_enabled: Some(false.into()),
                    cache_data_encrypted: Some(true.into()),
                    ..Default::default()
                }]),
                ..Default::default()
            },
        );
        t.res(&stage)
            .control(&REST_API)
            .depends_on(execution_logs.id())
            .except(
                &crate::rules::api::APIGW_STAGE_CACHE,
                "caching is off on purpose: every response is for its caller (a job's or an execution's state), and a cache would serve one caller's data to another, or a stale state; cache data would be encrypted (CacheDataEncrypted) if it were switched on",
            );
        let mut deployed = Deployed {
            api: self.api.clone(),
            stage,
            access_logs,
            execution_logs,
            web_acl: None,
            stage_name: self.stage.clone(),
        };
        if REST_API_WAF.on(tier) {
            let acl = waf::web_acl_allowing(
                t,
                tier,
                &format!("{id}WebAcl"),
                Expr::sub(format!("aws-waf-logs-${{AWS::StackName}}-{id}")),
                spec.key_arn.clone(),
                spec.allowed_cidrs,
            );
            t.res(&acl).control(&REST_API_WAF);
            let assoc = t.add(
                format!("{id}WebAclAssociation"),
                wafv2::WebACLAssociation {
                    resource_arn: Some(deployed.stage_arn()),
                    web_acl_arn: Some(acl.get_att(wafv2::WebACLAttr::Arn)),
                },
            );
            t.res(&assoc).control(&REST_API_WAF);
            deployed.web_acl = Some(acl);
        }
        deployed
    }
}

/// A short digest of the API's resources, methods, models, validators and authorisers (every
/// API Gateway resource under the id prefix so far), FNV-1a over their rendered properties:
/// deterministic, and different whenever a method changes.
fn api_digest(t: &Template, id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (rid, r) in &t.resources {
        if !rid.starts_with(id) || !r.type_name().starts_with("AWS::ApiGateway::") {
            continue;
        }
        for b in rid
            .bytes()
            .chain(format!("{:?}", r.properties).into_bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", h >> 32)
}

/// Adds API Gateway's account-level CloudWatch Logs role and the account setting that names
/// it (one per account and region, so the account baseline holds it). The role may write to
/// API Gateway's execution log groups and to harden's access log groups, which each stage
/// creates beforehand (encrypted, with a retention), and may not create log groups.
pub fn account_logging_role(t: &mut Template) -> Handle<apigw::Account> {
    let groups = [
        format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{EXECUTION_LOGS_PREFIX}*"),
        format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{ACCESS_LOGS_PREFIX}*"),
    ];
    let role = crate::controls::iam_role::service_role(
        t,
        "ApiGatewayLogsRole",
        "API Gateway writes execution and access logs of this account's APIs with this role",
        "apigateway.amazonaws.com",
        true,
        vec![Statement::allow("WriteApiGatewayLogs")
            .actions([
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ])
            .resources(groups.iter().flat_map(|g| {
                [Expr::sub(g.clone()), Expr::sub(format!("{g}:log-stream:*"))]
            }))],
        vec![Wildcard {
            statement: Statement::allow("FindLogGroups")
                .actions(["logs:DescribeLogGroups"])
                .resource(Expr::str("*")),
            reason: "logs:DescribeLogGroups supports no resource-level permissions; API Gateway looks its log group up before writing",
        }],
    );
    t.res(&role.role).control(&API_GATEWAY_ACCOUNT_LOGGING);
    t.res(&role.policy).control(&API_GATEWAY_ACCOUNT_LOGGING);
    let account = t.add(
        "ApiGatewayAccount",
        apigw::Account {
            cloud_watch_role_arn: Some(role.arn()),
        },
    );
    t.res(&account)
        .control(&API_GATEWAY_ACCOUNT_LOGGING)
        .depends_on(role.policy.id())
        .note("one setting per account and region: it replaces any CloudWatch Logs role set before; deleting the stack leaves the setting (API Gateway has no way to unset it)");
    account
}

/// A Lambda proxy integration of a function (its ARN): API Gateway passes the whole request
/// and returns the function's answer as it is.
pub fn lambda_proxy(function_arn: Expr) -> method::Integration {
    method::Integration {
        type_: Some("AWS_PROXY".into()),
        integration_http_method: Some("POST".into()),
        uri: Some(Expr::sub_with(
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function}/invocations",
            [("Function", function_arn)],
        )),
        timeout_in_millis: Some(29_000.into()),
        ..Default::default()
    }
}

/// The least-privilege policy a caller needs to invoke the given
/// methods (`(method, path)`), for a blueprint to output or attach.
pub fn invoke_policy(deployed: &Deployed, methods: &[(&str, &str)]) -> PolicyDocument {
    PolicyDocument::new([Statement::allow("InvokeApi")
        .actions(["execute-api:Invoke"])
        .resources(methods.iter().map(|(m, p)| deployed.invoke_arn(m, p)))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn spec(private: bool) -> ApiSpec<'static> {
        ApiSpec {
            id: "Api",
            name: Expr::sub("${AWS::StackName}-api"),
            description: "test API",
            stage: "v1",
            rate_limit: 50,
            burst_limit: 100,
            key_arn: Expr::GetAtt("Key".into(), "Arn".into()),
            private: private.then(|| Private {
                vpc_id: Expr::str("vpc-0123456789abcdef0"),
                subnet_ids: Expr::strs(["subnet-0123456789abcdef0"]),
                security_group_ids: Expr::strs(["sg-0123456789abcdef0"]),
                principals: Some(vec![Expr::sub(
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
                )]),
            }),
            allowed_cidrs: None,
        }
    }

    fn build(tier: Tier, private: bool, path: &str) -> Node {
        let mut t = Template::new("test");
        crate::controls::kms_key::kms_key(
            &mut t,
            tier,
            "Key",
            "test",
            "test key",
            &[crate::controls::kms_key::KeyUser::Logs],
        );
        let s = spec(private);
        let mut api = rest_api(&mut t, tier, &s);
        let jobs = api.resource(&mut t, "Jobs", None, path);
        api.method(
            &mut t,
            MethodSpec {
                id: "Submit".into(),
                resource: Some(jobs),
                http_method: "POST",
                auth: Authorization::Iam,
                integration: method::Integration {
                    type_: Some("AWS".into()),
                    integration_http_method: Some("POST".into()),
                    uri: Some(Expr::sub(
                        "arn:${AWS::Partition}:apigateway:${AWS::Region}:batch:path/v1/submitjob",
                    )),
                    ..Default::default()
                },
                responses: vec![method::MethodResponse {
                    status_code: Some("200".into()),
                    ..Default::default()
                }],
                parameters: Vec::new(),
                body_schema: Some(Expr::map([("type", Expr::str("object"))])),
            },
        );
        api.deploy(&mut t, tier, &s);
        to_node(&t).unwrap()
    }

    fn of_type<'a>(n: &'a Node, ty: &str) -> Vec<(&'a String, &'a Node)> {
        n.get_path(&["Resources"])
            .and_then(Node::as_map)
            .unwrap()
            .iter()
            .filter(|(_, r)| r.get_path(&["Type"]).and_then(Node::as_str) == Some(ty))
            .collect()
    }

    #[test]
    fn the_stage_logs_traces_throttles_and_does_not_trace_data() {
        let n = build(Tier::Basic, false, "jobs");
        let stages = of_type(&n, "AWS::ApiGateway::Stage");
        assert_eq!(stages.len(), 1);
        let p = stages[0].1.get_path(&["Properties"]).unwrap();
        assert_eq!(p.get_path(&["TracingEnabled"]), Some(&Node::Bool(true)));
        let ms = &p.get_path(&["MethodSettings"]).unwrap().as_seq().unwrap()[0];
        assert_eq!(
            ms.get_path(&["LoggingLevel"]).and_then(Node::as_str),
            Some("INFO")
        );
        assert_eq!(ms.get_path(&["DataTraceEnabled"]), Some(&Node::Bool(false)));
        assert_eq!(ms.get_path(&["CachingEnabled"]), Some(&Node::Bool(false)));
        assert_eq!(
            ms.get_path(&["CacheDataEncrypted"]),
            Some(&Node::Bool(true))
        );
        assert!(ms.get_path(&["ThrottlingRateLimit"]).is_some());
        let format = p
            .get_path(&["AccessLogSetting", "Format"])
            .and_then(Node::as_str)
            .unwrap();
        let fields = format.replace("$context.", "").parse::<String>().unwrap();
        assert!(fields.starts_with('{') && fields.ends_with('}'), "{format}");
        // The execution log group exists, encrypted, before the stage.
        let groups = of_type(&n, "AWS::Logs::LogGroup");
        assert_eq!(groups.len(), 2);
        for (_, g) in &groups {
            assert!(g.get_path(&["Properties", "KmsKeyId"]).is_some());
            assert!(g.get_path(&["Properties", "RetentionInDays"]).is_some());
        }
        let deps = stages[0].1.get_path(&["DependsOn"]).unwrap();
        assert!(format!("{deps:?}").contains("ApiExecutionLogs"));
        let api = &of_type(&n, "AWS::ApiGateway::RestApi")[0].1;
        assert_eq!(
            api.get_path(&["Properties", "SecurityPolicy"])
                .and_then(Node::as_str),
            Some("TLS_1_2")
        );
    }

    #[test]
    fn a_changed_method_gets_a_new_deployment() {
        let ids = |n: &Node| -> Vec<String> {
            of_type(n, "AWS::ApiGateway::Deployment")
                .into_iter()
                .map(|(id, _)| id.clone())
                .collect()
        };
        let a = ids(&build(Tier::Basic, false, "jobs"));
        let b = ids(&build(Tier::Basic, false, "tasks"));
        assert_eq!(a.len(), 1);
        assert_ne!(a, b);
        assert_eq!(a, ids(&build(Tier::Basic, false, "jobs")), "deterministic");
    }

    #[test]
    fn waf_from_enhanced_only() {
        assert!(of_type(&build(Tier::Basic, false, "jobs"), "AWS::WAFv2::WebACL").is_empty());
        let n = build(Tier::Enhanced, false, "jobs");
        assert_eq!(of_type(&n, "AWS::WAFv2::WebACL").len(), 1);
        assert_eq!(of_type(&n, "AWS::WAFv2::WebACLAssociation").len(), 1);
    }

    #[test]
    fn private_mode_at_enterprise_admits_only_the_endpoint() {
        // Below enterprise the private option does not apply.
        let n = build(Tier::Enhanced, true, "jobs");
        assert!(of_type(&n, "AWS::EC2::VPCEndpoint").is_empty());
        let n = build(Tier::Enterprise, true, "jobs");
        assert_eq!(of_type(&n, "AWS::EC2::VPCEndpoint").len(), 1);
        let api = &of_type(&n, "AWS::ApiGateway::RestApi")[0].1;
        let types = api
            .get_path(&["Properties", "EndpointConfiguration", "Types"])
            .unwrap();
        assert_eq!(
            format!("{types:?}"),
            format!("{:?}", Node::Seq(vec![Node::Str("PRIVATE".into())]))
        );
        let st = api
            .get_path(&["Properties", "Policy", "Statement"])
            .and_then(Node::as_seq)
            .unwrap();
        assert_eq!(st.len(), 2);
        assert_eq!(
            st[1].get_path(&["Effect"]).and_then(Node::as_str),
            Some("Deny")
        );
        assert!(st[1]
            .get_path(&["Condition", "StringNotEquals", "aws:SourceVpce"])
            .is_some());
        assert!(st[0]
            .get_path(&["Condition", "StringEquals", "aws:SourceVpce"])
            .is_some());
        let findings = crate::audit::audit(&n);
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn the_account_role_writes_api_gateway_groups_only_and_passes_the_audit() {
        let mut t = Template::new("test");
        account_logging_role(&mut t);
        let n = to_node(&t).unwrap();
        let findings = crate::audit::audit(&n);
        assert!(findings.is_empty(), "{findings:?}");
        let text = format!("{n:?}");
        assert!(!text.contains("logs:CreateLogGroup"));
        assert!(text.contains(EXECUTION_LOGS_PREFIX));
    }

    /// The preflight names each configured origin and never `*`, and is the only method
    /// without authorisation.
    #[test]
    fn cors_preflight_matches_the_configured_origins_only() {
        let mut t = Template::new("test");
        let s = spec(false);
        let mut api = rest_api(&mut t, Tier::Basic, &s);
        let origins = vec![
            "https://a.example.com".to_string(),
            "https://b.example.com".to_string(),
        ];
        api.cors_preflight(&mut t, "Root", None, &origins, &["GET", "POST"]);
        let n = to_node(&t).unwrap();
        let m = n
            .get_path(&["Resources", "ApiRootPreflightMethod", "Properties"])
            .unwrap();
        assert_eq!(
            m.get_path(&["AuthorizationType"]).and_then(Node::as_str),
            Some("NONE")
        );
        let text = format!("{m:?}");
        assert!(text.contains("https://a.example.com") && text.contains("https://b.example.com"));
        assert!(!text.contains("'*'"));
        assert!(text.contains("GET,POST,OPTIONS"));
    }
}
