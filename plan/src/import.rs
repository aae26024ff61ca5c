//! Bringing back what an earlier stack of the same name retained. At enterprise, `destroy`
//! keeps the stateful resources (`DeletionPolicy: Retain`): buckets with their data, keys, log
//! groups, some with names fixed by the service (`/aws/sagemaker/Endpoints/<endpoint>`). A new
//! create of the stack would collide with those names, or start empty beside the old data.
//! Instead the stack is created by a resource import (`ChangeSetType: IMPORT`) of the retained
//! resources, then updated to the full template.
//!
//! An import creates no resource, so its template holds only the resources imported, and a
//! property of one that refers to a resource created anew cannot be in it: such a property is
//! left for the update that follows, unless it is create-only or required (changing it in the
//! update would replace the resource, or the template would be invalid): then the resource is
//! not imported, and why is said.

use std::collections::BTreeSet;

use harden_blueprints::cfn::{type_info, Node, NodeMap};

use crate::refs::references;

/// A resource a deleted stack kept (`DELETE_SKIPPED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    /// Its logical id in the deleted stack.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// Its physical id.
    pub physical_id: String,
}

/// One resource to import, and what identifies it (`ResourcesToImport`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToImport {
    /// Logical id in the new template.
    pub logical_id: String,
    /// Type.
    pub resource_type: String,
    /// The identifying property and its value (the physical id).
    pub identifier: (String, String),
}

/// What an import would do.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    /// The template of the import: the imported resources only.
    pub template: Node,
    /// What is imported, in template order.
    pub resources: Vec<ToImport>,
    /// Retained resources that are not brought back, and why.
    pub skipped: Vec<(Retained, String)>,
}

impl ImportPlan {
    /// Whether anything is imported.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

/// Plans importing `retained` into a new stack whose template is `template`.
pub fn plan_import(template: &Node, retained: &[Retained]) -> ImportPlan {
    let empty = NodeMap::new();
    let resources = template
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .unwrap_or(&empty);
    let mut skipped: Vec<(Retained, String)> = Vec::new();
    let mut chosen: Vec<&Retained> = Vec::new();
    for r in retained {
        let Some(res) = resources.get(&r.logical_id) else {
            skipped.push((
                r.clone(),
                "the new template has no resource of that logical id".into(),
            ));
            continue;
        };
        let ty = res.get_path(&["Type"]).and_then(Node::as_str).unwrap_or("");
        if ty != r.resource_type {
            skipped.push((
                r.clone(),
                format!("the new template's `{}` is a `{ty}`", r.logical_id),
            ));
            continue;
        }
        if res.get_path(&["Condition"]).is_some() {
            skipped.push((r.clone(), "it is created on a condition".into()));
            continue;
        }
        match type_info(ty) {
            Some(info) if info.importable && info.primary_identifier.len() == 1 => chosen.push(r),
            _ => skipped.push((
                r.clone(),
                format!("CloudFormation cannot import a `{ty}` by its physical id"),
            )),
        }
    }
    // Keep only resources whose create-only and required properties refer to nothing created
    // anew; dropping one can strand another that refers to it, so repeat until stable.
    let resource_ids: BTreeSet<&str> = resources.keys().map(String::as_str).collect();
    loop {
        let ids: BTreeSet<&str> = chosen.iter().map(|r| r.logical_id.as_str()).collect();
        let mut dropped = None;
        for (i, r) in chosen.iter().enumerate() {
            let res = &resources[&r.logical_id];
            let info = type_info(&r.resource_type).expect("chosen types have schema info");
            for (prop, value) in res
                .get_path(&["Properties"])
                .and_then(Node::as_map)
                .into_iter()
                .flatten()
            {
                let fixed = info.create_only.contains(&prop.as_str())
                    || info.required.contains(&prop.as_str());
                if !fixed {
                    continue;
                }
                let stranded = references(value)
                    .into_iter()
                    .find(|x| resource_ids.contains(x.as_str()) && !ids.contains(x.as_str()));
                if let Some(x) = stranded {
                    dropped = Some((i, format!("its `{prop}`, which cannot change without replacing it, refers to `{x}`, which is created anew")));
                    break;
                }
            }
            if dropped.is_some() {
                break;
            }
        }
        match dropped {
            Some((i, why)) => {
                let r = chosen.remove(i);
                skipped.push((r.clone(), why));
            }
            None => break,
        }
    }
    let ids: BTreeSet<&str> = chosen.iter().map(|r| r.logical_id.as_str()).collect();
    let mut out_resources = NodeMap::new();
    let mut to_import = Vec::new();
    for (id, res) in resources {
        let Some(r) = chosen.iter().find(|r| &r.logical_id == id) else {
            continue;
        };
        let info = type_info(&r.resource_type).expect("chosen types have schema info");
        let mut m = NodeMap::new();
        m.insert("Type".into(), Node::Str(r.resource_type.clone()));
        let policy = res
            .get_path(&["DeletionPolicy"])
            .cloned()
            .unwrap_or_else(|| Node::Str("Retain".into()));
        m.insert("DeletionPolicy".into(), policy);
        if let Some(p) = res.get_path(&["UpdateReplacePolicy"]) {
            m.insert("UpdateReplacePolicy".into(), p.clone());
        }
        let mut props = NodeMap::new();
        for (prop, value) in res
            .get_path(&["Properties"])
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let refers_to_new = references(value)
                .iter()
                .any(|x| resource_ids.contains(x.as_str()) && !ids.contains(x.as_str()));
            if !refers_to_new {
                props.insert(prop.clone(), value.clone());
            }
        }
        if !props.is_empty() {
            m.insert("Properties".into(), Node::Map(props));
        }
        out_resources.insert(id.clone(), Node::Map(m));
        to_import.push(ToImport {
            logical_id: id.clone(),
            resource_type: r.resource_type.clone(),
            identifier: (
                info.primary_identifier[0].to_string(),
                r.physical_id.clone(),
            ),
        });
    }
    let mut t = NodeMap::new();
    t.insert(
        "AWSTemplateFormatVersion".into(),
        Node::Str("2010-09-09".into()),
    );
    t.insert(
        "Description".into(),
        Node::Str("harden: bring back the resources an earlier stack of this name retained".into()),
    );
    if let Some(p) = template.get_path(&["Parameters"]) {
        t.insert("Parameters".into(), p.clone());
    }
    t.insert("Resources".into(), Node::Map(out_resources));
    ImportPlan {
        template: Node::Map(t),
        resources: to_import,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harden_blueprints::cfn::parse::parse_template;

    fn retained(id: &str, ty: &str, physical: &str) -> Retained {
        Retained {
            logical_id: id.into(),
            resource_type: ty.into(),
            physical_id: physical.into(),
        }
    }

    const TEMPLATE: &str = r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Key:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt Role.Arn}
            Action: kms:Decrypt
            Resource: '*'
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms, KMSMasterKeyID: !GetAtt Key.Arn}
  Logs:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Retain
    Properties:
      LogGroupName: /aws/sagemaker/Endpoints/app-endpoint
      KmsKeyId: !GetAtt Key.Arn
      RetentionInDays: 731
  Trail:
    Type: AWS::CloudTrail::Trail
    DeletionPolicy: Retain
    Properties:
      IsLogging: true
      S3BucketName: !Ref NewBucket
  NewBucket:
    Type: AWS::S3::Bucket
"#;

    #[test]
    fn the_import_holds_the_retained_resources_and_leaves_references_to_new_ones_for_the_update() {
        let t = parse_template(TEMPLATE).unwrap();
        let plan = plan_import(
            &t,
            &[
                retained(
                    "Key",
                    "AWS::KMS::Key",
                    "1234abcd-12ab-34cd-56ef-1234567890ab",
                ),
                retained("Bucket", "AWS::S3::Bucket", "app-bucket-1x2y3z"),
                retained(
                    "Logs",
                    "AWS::Logs::LogGroup",
                    "/aws/sagemaker/Endpoints/app-endpoint",
                ),
                retained("Trail", "AWS::CloudTrail::Trail", "app-trail"),
                retained("Gone", "AWS::S3::Bucket", "old-bucket"),
            ],
        );
        let ids: Vec<(&str, &str, &str)> = plan
            .resources
            .iter()
            .map(|r| {
                (
                    r.logical_id.as_str(),
                    r.identifier.0.as_str(),
                    r.identifier.1.as_str(),
                )
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("Key", "KeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"),
                ("Bucket", "BucketName", "app-bucket-1x2y3z"),
                (
                    "Logs",
                    "LogGroupName",
                    "/aws/sagemaker/Endpoints/app-endpoint"
                ),
            ]
        );
        // The key policy names the role, created anew: left for the update.
        let key = plan.template.get_path(&["Resources", "Key"]).unwrap();
        assert!(key.get_path(&["Properties", "KeyPolicy"]).is_none());
        assert_eq!(
            key.get_path(&["Properties", "EnableKeyRotation"]),
            Some(&Node::Bool(true))
        );
        assert_eq!(
            key.get_path(&["DeletionPolicy"]).and_then(Node::as_str),
            Some("Retain")
        );
        // The bucket's encryption names the key, imported too: kept.
        assert!(plan
            .template
            .get_path(&["Resources", "Bucket", "Properties", "BucketEncryption"])
            .is_some());
        assert!(plan.template.get_path(&["Resources", "Role"]).is_none());
        let why: Vec<(&str, &str)> = plan
            .skipped
            .iter()
            .map(|(r, w)| (r.logical_id.as_str(), w.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                ("Gone", "the new template has no resource of that logical id"),
                ("Trail", "its `S3BucketName`, which cannot change without replacing it, refers to `NewBucket`, which is created anew"),
            ]
        );
    }

    #[test]
    fn dropping_one_strands_those_that_need_it() {
        let t = parse_template(
            r#"
Resources:
  New: {Type: AWS::S3::Bucket}
  Logs:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Retain
    Properties: {LogGroupName: !Sub '/x/${New}'}
  Other:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Retain
    Properties: {LogGroupName: !Ref Logs}
"#,
        )
        .unwrap();
        let plan = plan_import(
            &t,
            &[
                retained("Logs", "AWS::Logs::LogGroup", "/x/a"),
                retained("Other", "AWS::Logs::LogGroup", "/x/a"),
            ],
        );
        assert!(plan.is_empty());
        assert_eq!(plan.skipped.len(), 2);
    }
}
