//! Custom resources (`Custom::Name`): a Lambda-backed resource whose properties are free-form.

use std::any::Any;

use indexmap::IndexMap;

use super::expr::Expr;
use super::model::{Attribute, Node, NodeMap, Path, Properties, ResourceKind};

/// A custom resource: `ServiceToken` plus whatever properties its function reads.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomResource {
    /// `Custom::Name`
    pub type_name: &'static str,
    /// The function's ARN.
    pub service_token: Expr,
    /// The properties the function reads.
    pub properties: IndexMap<String, Expr>,
}

/// A custom resource's attribute: whatever its function returns in `Data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomAttr(pub &'static str);

impl Attribute for CustomAttr {
    fn name(self) -> &'static str {
        self.0
    }
}

impl ResourceKind for CustomResource {
    const TYPE: &'static str = "AWS::CloudFormation::CustomResource";
    type Attr = CustomAttr;
}

impl Properties for CustomResource {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node {
        if !self.type_name.starts_with("Custom::") {
            errs.push(format!(
                "`{path}`: a custom resource type must start with `Custom::`"
            ));
        }
        let mut m = NodeMap::new();
        m.insert("ServiceToken".into(), self.service_token.to_node_tree());
        for (k, v) in &self.properties {
            m.insert(k.clone(), v.to_node_tree());
        }
        Node::Map(m)
    }

    fn clone_box(&self) -> Box<dyn Properties> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
