//! The model server image an endpoint runs: where it comes from (an ECR repository of the
//! stack's own account and region, or a full ECR URI in another account), the one repository
//! the execution role may pull from, and whether the image is pinned.
//!
//! A tag can be moved to another image after a template is reviewed, and nothing in the
//! template changes when it is; a digest always names the same image. A template cannot see
//! whether a repository's tags are immutable, so a tag counts as pinned only when the user
//! states it. At enterprise the image must be pinned.

use crate::cfn::Expr;
use crate::control::Control;
use crate::params::{EcrImage, ImageRef};
use crate::tier::Tier;

/// The control.
pub static PINNED_MODEL_IMAGE: Control = Control {
    id: "pinned-model-image",
    title: "the model image is pinned: by digest, or by a tag of a repository stated to have immutable tags",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &[],
};

/// Where the image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A repository of the stack's own account and region.
    Own {
        /// The repository name, namespaces included.
        repository: String,
        /// The tag or digest.
        reference: ImageRef,
    },
    /// A full ECR URI, possibly in another account.
    Uri(EcrImage),
}

/// The container registry host plus `/` the longest a stack's own ECR registry can be:
/// a 12-digit account, `.dkr.ecr.`, a region of up to 16 characters, `.amazonaws.com.cn/`.
pub const OWN_REGISTRY_MAX: usize = 12 + ".dkr.ecr.".len() + 16 + ".amazonaws.com.cn/".len();

impl ImageSource {
    /// The tag or digest.
    pub fn reference(&self) -> &ImageRef {
        match self {
            ImageSource::Own { reference, .. } => reference,
            ImageSource::Uri(u) => &u.reference,
        }
    }

    /// The repository name.
    pub fn repository(&self) -> &str {
        match self {
            ImageSource::Own { repository, .. } => repository,
            ImageSource::Uri(u) => &u.repository,
        }
    }

    /// The image as a user wrote it: `repository:tag`, `repository@sha256:…` or the URI.
    pub fn shown(&self) -> String {
        match self {
            ImageSource::Own {
                repository,
                reference,
            } => format!("{repository}{reference}"),
            ImageSource::Uri(u) => u.to_string(),
        }
    }

    /// The container's `Image`: `registry/repository:tag` or `registry/repository@digest`, the
    /// two forms SageMaker takes.
    pub fn uri(&self) -> Expr {
        match self {
            // Repository names, tags and digests have no `$`, `{` or `}`: nothing in them is
            // read as a substitution.
            ImageSource::Own {
                repository,
                reference,
            } => Expr::sub(format!(
                "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repository}{reference}"
            )),
            ImageSource::Uri(u) => Expr::str(u.to_string()),
        }
    }

    /// The ARN of the one repository the execution role may pull from, derived from where
    /// the image is.
    pub fn repository_arn(&self) -> Expr {
        match self {
            ImageSource::Own { repository, .. } => Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/{repository}"
            )),
            // SageMaker pulls only from the endpoint's own region, so the partition is the
            // stack's; the region and account are the URI's.
            ImageSource::Uri(u) => Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecr:{}:{}:repository/{}",
                u.region, u.account, u.repository
            )),
        }
    }
}

/// The image as the endpoint's model uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelImage {
    /// The container's `Image`.
    pub uri: Expr,
    /// Whether the image is pinned: the model then names [`PINNED_MODEL_IMAGE`].
    pub pinned: bool,
    /// What a reviewer of the model should know about its image, if anything.
    pub notes: Vec<String>,
}

/// The model image of `source`; `immutable_tags` is the user's statement that the
/// repository's tags are immutable.
pub fn model_image(source: &ImageSource, immutable_tags: bool) -> ModelImage {
    let reference = source.reference();
    let pinned = reference.is_digest() || immutable_tags;
    let mut notes = Vec::new();
    if let ImageRef::Tag(tag) = reference {
        notes.push(if immutable_tags {
            format!("the image is picked by the tag `{tag}`, taken as pinned because its repository is stated to have immutable tags (a template cannot check that)")
        } else {
            format!("the image is picked by the tag `{tag}`, which can be moved to another image without any change to this stack: pin it by digest")
        });
    }
    if let ImageSource::Uri(u) = source {
        notes.push(format!(
            "the image is pulled from the ECR repository `{}` of account {} in {}: SageMaker pulls only from the endpoint's own region, and another account's repository policy must let this account pull (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability)",
            u.repository, u.account, u.region
        ));
    }
    ModelImage {
        uri: source.uri(),
        pinned,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_namespaced_repository_by_digest_uses_the_at_form_and_its_own_arn() {
        let s = ImageSource::Own {
            repository: "team/ollama".into(),
            reference: ImageRef::parse(DIGEST).unwrap(),
        };
        assert_eq!(
            s.uri(),
            Expr::sub(format!(
                "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/team/ollama@{DIGEST}"
            ))
        );
        assert_eq!(
            s.repository_arn(),
            Expr::sub(
                "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/team/ollama"
            )
        );
        let m = model_image(&s, false);
        assert!(m.pinned && m.notes.is_empty(), "{m:?}");
    }

    #[test]
    fn a_tag_uses_the_colon_form_and_is_pinned_only_when_stated_immutable() {
        let s = ImageSource::Own {
            repository: "ollama".into(),
            reference: ImageRef::parse("v1.2").unwrap(),
        };
        assert_eq!(
            s.uri(),
            Expr::sub("${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ollama:v1.2")
        );
        let loose = model_image(&s, false);
        assert!(!loose.pinned);
        assert!(loose.notes[0].contains("can be moved"), "{:?}", loose.notes);
        let stated = model_image(&s, true);
        assert!(stated.pinned);
        assert!(
            stated.notes[0].contains("stated to have immutable tags"),
            "{:?}",
            stated.notes
        );
    }

    #[test]
    fn a_uri_in_another_account_grants_pulls_on_that_repository_only() {
        let uri = format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@{DIGEST}");
        let s = ImageSource::Uri(EcrImage::parse(&uri).unwrap());
        assert_eq!(s.uri(), Expr::str(&uri));
        assert_eq!(
            s.repository_arn(),
            Expr::sub("arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/team/model")
        );
        let m = model_image(&s, false);
        assert!(m.pinned);
        assert!(
            m.notes[0].contains("account 123456789012 in eu-west-1"),
            "{:?}",
            m.notes
        );
    }
}
