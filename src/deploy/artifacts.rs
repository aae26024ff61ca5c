//! Templates of any size. CloudFormation takes a template body of up to 51,200 bytes in the
//! request; a larger one must come from S3 by `TemplateURL` (up to 1 MB), and no template may
//! declare more than 500 resources (the quotas page of the CloudFormation user guide). This
//! module decides, for every template harden sends, how it travels ([`transport`]: pure, so
//! an over-limit template is refused before any AWS call), and uploads the large ones to the
//! project's artifact bucket, content-addressed, so a re-deploy with no change uploads nothing.
//!
//! The artifact bucket, its key and the CloudFormation service role are outputs of the
//! project's bootstrap stack (`harden-bootstrap-PROJECT`, made by `harden bootstrap`).

use anyhow::Result;
use aws_sdk_cloudformation::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use harden_blueprints::cfn::Node;
use harden_blueprints::BLUEPRINT_TAG;

use super::aws::explain;
use super::stack::{self, StackInfo, StackStatus};
use crate::exit::refuse;

/// CloudFormation's limit on `TemplateBody`, in bytes.
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;
/// CloudFormation's limit on a template read from S3 (`TemplateURL`): "1 MB" on the quotas
/// page, which the service enforces as 1,000,000 bytes.
pub const TEMPLATE_URL_LIMIT: usize = 1_000_000;
/// CloudFormation's limit on the resources one template declares.
pub const RESOURCE_LIMIT: usize = 500;

pub use harden_blueprints::bootstrap::BOOTSTRAP_BLUEPRINT;

/// The project when there is no project file.
pub use crate::project::DEFAULT_PROJECT;

/// The bootstrap stack of a project: `harden-bootstrap-PROJECT`.
pub fn bootstrap_stack_name(project: &str) -> String {
    harden_blueprints::bootstrap::stack_name(project)
}

/// How a template travels to CloudFormation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// In the request (`TemplateBody`).
    Body,
    /// From the artifact bucket (`TemplateURL`).
    Url,
}

/// How `body`, the compact JSON template of stack `stack`, must travel; an error (before any
/// call) if CloudFormation would refuse it whichever way it went.
pub fn transport(stack: &str, body: &str, template: &Node) -> Result<Transport> {
    let resources = template
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .map_or(0, |m| m.len());
    if resources > RESOURCE_LIMIT {
        anyhow::bail!(
            "stack `{stack}` declares {resources} resources, over CloudFormation's limit of {RESOURCE_LIMIT} per template\nhint: deploy fewer parts in one stack (a lower tier, or fewer optional features of the blueprint); nothing was sent to AWS"
        );
    }
    let bytes = body.len();
    if bytes > TEMPLATE_URL_LIMIT {
        anyhow::bail!(
            "stack `{stack}` renders to {bytes} bytes of compact JSON, over CloudFormation's {TEMPLATE_URL_LIMIT}-byte limit for a template read from S3\nhint: deploy fewer parts in one stack (a lower tier, or fewer optional features of the blueprint); nothing was sent to AWS"
        );
    }
    Ok(if bytes > TEMPLATE_BODY_LIMIT {
        Transport::Url
    } else {
        Transport::Body
    })
}

/// What the plan says of a template that goes by URL.
pub fn url_note(bytes: usize, d: &Delivery) -> String {
    format!(
        "the template ({bytes} bytes, over the {TEMPLATE_BODY_LIMIT}-byte limit for a body) goes by URL from the artifact bucket: `s3://{}/{}` ({})",
        d.bucket,
        d.key,
        if d.uploaded {
            "uploaded now"
        } else {
            "already there: nothing uploaded"
        }
    )
}

/// The project's bootstrap stack, as deploys use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// What `DescribeStacks` says of it.
    pub info: StackInfo,
    /// `ArtifactBucket`.
    pub bucket: Option<String>,
    /// `ArtifactKeyArn`.
    pub key_arn: Option<String>,
    /// `ServiceRoleArn`.
    pub service_role: Option<String>,
}

impl Bootstrap {
    /// The bootstrap as a stack describes it.
    pub fn of(info: StackInfo) -> Bootstrap {
        let out = |k: &str| {
            info.outputs
                .iter()
                .find(|(key, _, _)| key == k)
                .map(|(_, v, _)| v.clone())
                .filter(|v| !v.is_empty())
        };
        Bootstrap {
            bucket: out("ArtifactBucket"),
            key_arn: out("ArtifactKeyArn"),
            service_role: out("ServiceRoleArn"),
            info,
        }
    }
}

/// The bootstrap stack of `project`, if it is deployed. A stack of that name harden did not
/// make is refused (exit 5): its bucket and role are not to be trusted with templates.
pub async fn find_bootstrap(c: &Client, project: &str) -> Result<Option<Bootstrap>> {
    let name = bootstrap_stack_name(project);
    let Some(info) = stack::describe(c, &name).await? else {
        return Ok(None);
    };
    if info.tags.get(BLUEPRINT_TAG).map(String::as_str) != Some(BOOTSTRAP_BLUEPRINT) {
        return refuse(format!(
            "stack `{name}` exists but is not a harden bootstrap stack (its `{BLUEPRINT_TAG}` tag is not `{BOOTSTRAP_BLUEPRINT}`), so harden will not send templates through its bucket or act as its roles\nhint: rename or delete that stack, or use another project name (`project:` in the project file, or `--project-name`)"
        ));
    }
    let created = !info.awaiting_first_change_set()
        && info.status != StackStatus::RollbackComplete
        && (!info.status.as_str().starts_with("CREATE_")
            || info.status == StackStatus::CreateComplete);
    if !created {
        // Not created (yet): no outputs to use.
        return Ok(None);
    }
    Ok(Some(Bootstrap::of(info)))
}

/// The object key of a template: content-addressed by the SHA-256 of its exact bytes, under
/// its stack's name.
pub fn object_key(stack: &str, body: &str) -> String {
    format!("templates/{stack}/{}.json", super::digest::sha256(body))
}

/// The URL CloudFormation reads a template from. It names the object as S3 serves it in the
/// region (virtual-hosted style, path style for a bucket name with dots, which TLS cannot
/// serve by host): CloudFormation fetches it itself, whatever endpoint harden's own calls go
/// to. (moto resolves these URLs to its own S3; it cannot read a path-style URL on
/// `127.0.0.1`, whose first label it takes for the bucket.)
pub fn object_url(region: &str, bucket: &str, key: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    if bucket.contains('.') {
        format!("https://s3.{region}.{domain}/{bucket}/{key}")
    } else {
        format!("https://{bucket}.s3.{region}.{domain}/{key}")
    }
}

/// Where a template was put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// The `TemplateURL`.
    pub url: String,
    /// Whether this run uploaded it (`false`: the object was already there).
    pub uploaded: bool,
}

/// Puts a template in the artifact bucket unless an object of its content is already there
/// (`HeadObject`), encrypted with the bucket's key (SSE-KMS).
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
    key_arn: Option<&str>,
    stack: &str,
    body: &str,
) -> Result<Delivery> {
    let key = object_key(stack, body);
    let url = object_url(region, bucket, &key);
    let exists = match s3.head_object().bucket(bucket).key(&key).send().await {
        Ok(_) => true,
        Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => false,
        // Without `s3:ListBucket`, S3 answers a missing key with 403: putting the same bytes
        // again is harmless, so only a refused put is an error.
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => false,
        Err(e) => return Err(explain("HeadObject", stack, e)),
    };
    if !exists {
        let mut req = s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .bucket_key_enabled(true);
        if let Some(k) = key_arn {
            req = req.ssekms_key_id(k);
        }
        req.send()
            .await
            .map_err(|e| explain("PutObject", stack, e))?;
    }
    Ok(Delivery {
        bucket: bucket.to_string(),
        key,
        url,
        uploaded: !exists,
    })
}

/// A template needs the artifact bucket, and the project has no bootstrap stack (or one
/// without the bucket). Deploy offers to create it on a terminal; without one it stops with
/// "approval needed" (exit 3), as for any change a person must allow.
#[derive(Debug)]
pub struct NeedsBootstrap {
    /// The stacks too large for a body, and their size.
    pub stacks: Vec<(String, usize)>,
    /// The bootstrap stack's name.
    pub bootstrap: String,
    /// The complete command that creates it.
    pub hint: String,
}

impl std::fmt::Display for NeedsBootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self
            .stacks
            .iter()
            .map(|(s, n)| format!("`{s}` ({n} bytes)"))
            .collect();
        write!(
            f,
            "{} over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte limit for a template body, so it goes by URL from the artifact bucket, and the bootstrap stack `{}` that holds the bucket does not exist\nhint: create it with `{}`",
            if list.len() == 1 {
                format!("stack {} is", list[0])
            } else {
                format!("stacks {} are", list.join(", "))
            },
            self.bootstrap,
            self.hint
        )
    }
}

impl std::error::Error for NeedsBootstrap {}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(resources: usize, padding: usize) -> (Node, String) {
        let rs: Vec<(String, Node)> = (0..resources)
            .map(|i| {
                (
                    format!("Topic{i}"),
                    Node::map([("Type", Node::Str("AWS::SNS::Topic".into()))]),
                )
            })
            .collect();
        let node = Node::map([
            ("Description", Node::Str("x".repeat(padding))),
            ("Resources", Node::map(rs)),
        ]);
        let body = super::super::prepare::body(&node);
        (node, body)
    }

    #[test]
    fn a_body_over_51200_bytes_goes_by_url_and_one_at_the_limit_in_the_request() {
        let (node, body) = template(3, 10);
        assert_eq!(transport("s", &body, &node).unwrap(), Transport::Body);
        let (node, body) = template(3, TEMPLATE_BODY_LIMIT);
        assert!(body.len() > TEMPLATE_BODY_LIMIT);
        assert_eq!(transport("s", &body, &node).unwrap(), Transport::Url);
        let exact = "x".repeat(TEMPLATE_BODY_LIMIT);
        assert_eq!(transport("s", &exact, &node).unwrap(), Transport::Body);
    }

    #[test]
    fn over_limit_templates_are_refused_naming_the_stack_size_and_limit() {
        let (node, body) = template(1, TEMPLATE_URL_LIMIT);
        let e = transport("big", &body, &node).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "stack `big` renders to {} bytes of compact JSON, over CloudFormation's 1000000-byte limit",
                body.len()
            )),
            "{e}"
        );
        assert!(e.contains("\nhint: "), "{e}");
        let (node, body) = template(RESOURCE_LIMIT + 1, 0);
        let e = transport("many", &body, &node).unwrap_err().to_string();
        assert!(
            e.starts_with("stack `many` declares 501 resources, over CloudFormation's limit of 500 per template"),
            "{e}"
        );
        let (node, body) = template(RESOURCE_LIMIT, 0);
        assert!(transport("many", &body, &node).is_ok());
    }

    #[test]
    fn objects_are_named_by_the_sha256_of_their_bytes() {
        assert_eq!(
            object_key("app", "abc"),
            "templates/app/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json"
        );
        assert_ne!(object_key("app", "abc "), object_key("app", "abc"));
        assert_eq!(
            object_url("us-east-1", "b", "k/x.json"),
            "https://b.s3.us-east-1.amazonaws.com/k/x.json"
        );
        assert_eq!(
            object_url("cn-north-1", "a.b", "k"),
            "https://s3.cn-north-1.amazonaws.com.cn/a.b/k"
        );
    }
}
