//! The pieces every resource type is built from: the output tree ([`Node`]), the traits the
//! generated resource structs implement, and the helper their generated code calls.

use std::any::Any;
use std::fmt::Debug;

use indexmap::IndexMap;

pub use super::expr::Expr;

/// An ordered map: rendering keeps insertion order, so output is deterministic.
pub type NodeMap = IndexMap<String, Node>;

/// A CloudFormation document tree, with intrinsics already in their long form
/// (`{"Fn::GetAtt": [Bucket, Arn]}`). Rendering, parsing and comparing all work on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A map, in insertion order.
    Map(NodeMap),
}

impl Node {
    /// The map inside, if this is one.
    pub fn as_map(&self) -> Option<&NodeMap> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The string inside, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The list inside, if this is one.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match self {
            Node::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Follows a path of map keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for key in path {
            cur = cur.as_map()?.get(*key)?;
        }
        Some(cur)
    }

    /// Builds a map node from pairs.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Node)>) -> Node {
        Node::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// Where in a template a value stands (`Resources.Bucket.Properties.X[0]`), formatted only
/// when an error names it, so checking a template costs no string building.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// A top-level name.
    Root(&'a str),
    /// A map key below a path.
    Key(&'a Path<'a>, &'a str),
    /// A list index below a path.
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root(s) => f.write_str(s),
            Path::Key(parent, k) => write!(f, "{parent}.{k}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Converts a property value to its template form, recording missing required properties.
pub trait ToNode {
    /// `path` names the value for error messages.
    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node;
}

impl ToNode for Expr {
    fn to_node(&self, _path: &Path<'_>, _errs: &mut Vec<String>) -> Node {
        self.to_node_tree()
    }
}

impl<T: ToNode> ToNode for Vec<T> {
    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node {
        Node::Seq(
            self.iter()
                .enumerate()
                .map(|(i, v)| v.to_node(&Path::Index(path, i), errs))
                .collect(),
        )
    }
}

impl<T: ToNode> ToNode for Box<T> {
    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node {
        (**self).to_node(path, errs)
    }
}

/// Writes one property into `m` if it is set; a required one that is not set is an error.
/// Called by the generated code.
pub fn field<T: ToNode>(
    m: &mut NodeMap,
    path: &Path<'_>,
    errs: &mut Vec<String>,
    name: &str,
    value: &Option<T>,
    required: bool,
) {
    match value {
        Some(v) => {
            let node = v.to_node(&Path::Key(path, name), errs);
            m.insert(name.to_string(), node);
        }
        None if required => errs.push(format!("`{path}.{name}` is required but not set")),
        None => {}
    }
}

/// An attribute `Fn::GetAtt` may name on a resource type (generated per type).
pub trait Attribute: Copy + Debug {
    /// The attribute's name in the template.
    fn name(self) -> &'static str;
}

/// A resource type's properties, as stored in a template.
pub trait Properties: Debug + Send + Sync {
    /// `AWS::Service::Resource`
    fn type_name(&self) -> &'static str;
    /// The `Properties` map.
    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node;
    /// Clones behind the box.
    fn clone_box(&self) -> Box<dyn Properties>;
    /// For typed access after the resource has been added.
    fn as_any(&self) -> &dyn Any;
    /// For typed changes after the resource has been added.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// A typed resource: its type name and the attributes it has.
pub trait ResourceKind: Properties + Clone + 'static {
    /// `AWS::Service::Resource`
    const TYPE: &'static str;
    /// The attributes `Fn::GetAtt` may name.
    type Attr: Attribute;
}
