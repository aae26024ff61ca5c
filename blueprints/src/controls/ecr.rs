//! A hardened ECR repository for a workload's images: scan on push, immutable tags (a tag
//! always names the image that was scanned and deployed), encryption with the stack's key, and
//! a lifecycle policy that drops untagged layers and keeps a bounded history. And the
//! account-wide registry scanning configuration (enhanced scanning with Amazon Inspector,
//! continuous), which is one per account and region and so belongs to the account baseline.

use crate::cfn::generated::ecr;
use crate::cfn::{Expr, Handle, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control: the repository.
pub static ECR_REPOSITORY: Control = Control {
    id: "ecr-repository",
    title: "ECR repository with scan on push, immutable tags, KMS encryption with a customer key and a lifecycle policy",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["ECR.1", "ECR.2", "ECR.3"],
};

/// The control: enhanced (Inspector) scanning of every repository, continuously.
pub static ECR_ENHANCED_SCANNING: Control = Control {
    id: "ecr-enhanced-scanning",
    title: "registry-wide enhanced scanning with Amazon Inspector: on push and continuously as new CVEs are published",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["ECR.1"],
};

/// Untagged images expire after this many days.
pub const UNTAGGED_DAYS: i64 = 7;

/// Images kept at most (the oldest beyond this expire).
pub const KEEP_IMAGES: i64 = 100;

/// The lifecycle policy text (JSON, deterministic).
pub fn lifecycle_policy() -> String {
    format!(
        concat!(
            r#"{{"rules":[{{"rulePriority":1,"description":"expire untagged images after {} days","#,
            r#""selection":{{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":{}}},"#,
            r#""action":{{"type":"expire"}}}},"#,
            r#"{{"rulePriority":2,"description":"keep the last {} images","#,
            r#""selection":{{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":{}}},"#,
            r#""action":{{"type":"expire"}}}}]}}"#
        ),
        UNTAGGED_DAYS, UNTAGGED_DAYS, KEEP_IMAGES, KEEP_IMAGES
    )
}

/// Adds a repository named `name` (lowercased: a predictable place to push images to),
/// encrypted with the key (whose policy must let `ecr` use it on the account's behalf:
/// `KeyUser::ViaService("ecr")`).
pub fn repository(
    t: &mut Template,
    tier: Tier,
    id: &str,
    name: &str,
    key_arn: Expr,
) -> Handle<ecr::Repository> {
    let h = t.add(
        id,
        ecr::Repository {
            repository_name: Some(name.to_lowercase().into()),
            image_scanning_configuration: Some(ecr::repository::ImageScanningConfiguration {
                scan_on_push: Some(true.into()),
            }),
            image_tag_mutability: Some("IMMUTABLE".into()),
            encryption_configuration: Some(ecr::repository::EncryptionConfiguration {
                encryption_type: Some("KMS".into()),
                kms_key: Some(key_arn),
            }),
            lifecycle_policy: Some(ecr::repository::LifecyclePolicy {
                lifecycle_policy_text: Some(lifecycle_policy().into()),
                ..Default::default()
            }),
            empty_on_delete: Some(false.into()),
            ..Default::default()
        },
    );
    t.res(&h).control(&ECR_REPOSITORY);
    super::retain::apply(t, tier, &h);
    h
}

/// Adds the registry's scanning configuration (from enhanced): enhanced scanning of every
/// repository, continuously. Replaces basic scanning account-wide, in this region.
pub fn registry_scanning(
    t: &mut Template,
    tier: Tier,
) -> Option<Handle<ecr::RegistryScanningConfiguration>> {
    if !ECR_ENHANCED_SCANNING.on(tier) {
        return None;
    }
    let h = t.add(
        "RegistryScanning",
        ecr::RegistryScanningConfiguration {
            scan_type: Some("ENHANCED".into()),
            rules: Some(vec![ecr::registry_scanning_configuration::ScanningRule {
                scan_frequency: Some("CONTINUOUS_SCAN".into()),
                repository_filters: Some(vec![
                    ecr::registry_scanning_configuration::RepositoryFilter {
                        filter: Some("*".into()),
                        filter_type: Some("WILDCARD".into()),
                    },
                ]),
            }]),
        },
    );
    t.res(&h)
        .control(&ECR_ENHANCED_SCANNING)
        .note("account-wide in this region: every repository is scanned by Amazon Inspector on push and continuously (Inspector charges per image scanned)");
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    #[test]
    fn the_repository_scans_on_push_is_immutable_encrypted_and_bounded() {
        let mut t = Template::new("t");
        let key = crate::controls::kms_key::kms_key(
            &mut t,
            Tier::Basic,
            "Key",
            "k",
            "k",
            &[crate::controls::kms_key::KeyUser::ViaService("ecr")],
        );
        repository(
            &mut t,
            Tier::Basic,
            "Repo",
            "team/jobs",
            key.get_att(crate::cfn::generated::kms::KeyAttr::Arn),
        );
        let n = to_node(&t).unwrap();
        let p = n.get_path(&["Resources", "Repo", "Properties"]).unwrap();
        assert_eq!(
            p.get_path(&["ImageScanningConfiguration", "ScanOnPush"]),
            Some(&Node::Bool(true))
        );
        assert_eq!(
            p.get_path(&["ImageTagMutability"]).and_then(Node::as_str),
            Some("IMMUTABLE")
        );
        assert_eq!(
            p.get_path(&["EncryptionConfiguration", "EncryptionType"])
                .and_then(Node::as_str),
            Some("KMS")
        );
        let text = p
            .get_path(&["LifecyclePolicy", "LifecyclePolicyText"])
            .and_then(Node::as_str)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(v["rules"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn registry_scanning_from_enhanced() {
        let mut t = Template::new("t");
        assert!(registry_scanning(&mut t, Tier::Basic).is_none());
        assert!(registry_scanning(&mut t, Tier::Enhanced).is_some());
    }
}
