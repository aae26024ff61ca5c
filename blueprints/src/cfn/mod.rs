//! The CloudFormation model: typed resources generated from the official schemas, values
//! and intrinsics, templates, IAM policy documents, and deterministic rendering.

pub mod custom;
pub mod expr;
#[rustfmt::skip]
pub mod generated;
pub mod model;
pub mod parse;
pub mod physical;
pub mod policy;
pub mod render;
pub mod template;

pub use expr::Expr;
pub use generated::{TypeInfo, TYPES};
pub use model::{Attribute, Node, NodeMap, Properties, ResourceKind};
pub use render::{render, to_node, Format, RenderError};
pub use template::{Handle, Judge, Output, Parameter, Resource, RetainPolicy, Template};

/// What the schemas say of a resource type, if it is one of the generated ones.
pub fn type_info(type_name: &str) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.type_name == type_name)
}
