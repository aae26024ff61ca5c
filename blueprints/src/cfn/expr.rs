//! Property values: a literal or an intrinsic function.

use indexmap::IndexMap;

use super::model::{Node, NodeMap};

/// A property value: a literal, a list or map of values, or an intrinsic function.
/// Intrinsics render in their long form (`Fn::GetAtt: [Bucket, Arn]`), never as `!` tags.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list of values.
    List(Vec<Expr>),
    /// A map of values (JSON documents such as policies), in insertion order.
    Map(IndexMap<String, Expr>),
    /// `Ref`: a parameter, a resource or a pseudo parameter.
    Ref(String),
    /// `Fn::GetAtt`: resource and attribute.
    GetAtt(String, String),
    /// `Fn::Sub` with optional variables.
    Sub(String, IndexMap<String, Expr>),
    /// `Fn::Join`: delimiter and a list (or a list-valued intrinsic).
    Join(String, Box<Expr>),
    /// `Fn::Select`: index and list.
    Select(Box<Expr>, Box<Expr>),
    /// `Fn::Split`: delimiter and source.
    Split(String, Box<Expr>),
    /// `Fn::GetAZs`: region (empty string for the stack's).
    GetAZs(Box<Expr>),
    /// `Fn::FindInMap`: map, top-level key, second-level key.
    FindInMap(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `Fn::ImportValue`: an export's name.
    ImportValue(Box<Expr>),
    /// `Fn::If`: condition name, value if true, value if false.
    If(String, Box<Expr>, Box<Expr>),
    /// `Fn::Equals`
    Equals(Box<Expr>, Box<Expr>),
    /// `Fn::And`
    And(Vec<Expr>),
    /// `Fn::Or`
    Or(Vec<Expr>),
    /// `Fn::Not`
    Not(Box<Expr>),
    /// `Condition`: a named condition inside a condition function.
    Condition(String),
    /// `Fn::Base64`
    Base64(Box<Expr>),
    /// `Fn::Cidr`: block, count, bits per subnet.
    Cidr(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// A string literal.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::Str(s.into())
    }

    /// `Ref` of a parameter or resource by logical id.
    pub fn r#ref(id: impl Into<String>) -> Expr {
        Expr::Ref(id.into())
    }

    /// `Fn::Sub` without variables.
    pub fn sub(s: impl Into<String>) -> Expr {
        Expr::Sub(s.into(), IndexMap::new())
    }

    /// `Fn::Sub` with variables.
    pub fn sub_with<K: Into<String>>(
        s: impl Into<String>,
        vars: impl IntoIterator<Item = (K, Expr)>,
    ) -> Expr {
        Expr::Sub(
            s.into(),
            vars.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )
    }

    /// `Fn::Join` over a list of parts.
    pub fn join(delim: impl Into<String>, parts: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::Join(
            delim.into(),
            Box::new(Expr::List(parts.into_iter().collect())),
        )
    }

    /// `Fn::Select` of an index from a list-valued expression.
    pub fn select(index: i64, list: Expr) -> Expr {
        Expr::Select(Box::new(Expr::Int(index)), Box::new(list))
    }

    /// `Fn::GetAZs` for the stack's region.
    pub fn get_azs() -> Expr {
        Expr::GetAZs(Box::new(Expr::str("")))
    }

    /// `Fn::If`
    pub fn if_(cond: impl Into<String>, then: Expr, otherwise: Expr) -> Expr {
        Expr::If(cond.into(), Box::new(then), Box::new(otherwise))
    }

    /// `Fn::Equals`
    pub fn equals(a: Expr, b: Expr) -> Expr {
        Expr::Equals(Box::new(a), Box::new(b))
    }

    /// `Fn::Not`
    pub fn negate(a: Expr) -> Expr {
        Expr::Not(Box::new(a))
    }

    /// `Fn::ImportValue`
    pub fn import(name: Expr) -> Expr {
        Expr::ImportValue(Box::new(name))
    }

    /// A list of values.
    pub fn list(items: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::List(items.into_iter().collect())
    }

    /// A list of string literals.
    pub fn strs<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expr {
        Expr::List(items.into_iter().map(|s| Expr::str(s.as_ref())).collect())
    }

    /// A map of values, in the order given.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Expr)>) -> Expr {
        Expr::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// `AWS::AccountId`
    pub fn account_id() -> Expr {
        Expr::r#ref("AWS::AccountId")
    }

    /// `AWS::Region`
    pub fn region() -> Expr {
        Expr::r#ref("AWS::Region")
    }

    /// `AWS::Partition`
    pub fn partition() -> Expr {
        Expr::r#ref("AWS::Partition")
    }

    /// `AWS::StackName`
    pub fn stack_name() -> Expr {
        Expr::r#ref("AWS::StackName")
    }

    /// `AWS::URLSuffix`
    pub fn url_suffix() -> Expr {
        Expr::r#ref("AWS::URLSuffix")
    }

    /// `AWS::NoValue`: removes the property where it stands.
    pub fn no_value() -> Expr {
        Expr::r#ref("AWS::NoValue")
    }

    /// The long-form template tree of this value.
    pub fn to_node_tree(&self) -> Node {
        fn one(key: &str, v: Node) -> Node {
            let mut m = NodeMap::new();
            m.insert(key.to_string(), v);
            Node::Map(m)
        }
        fn seq(items: impl IntoIterator<Item = Node>) -> Node {
            Node::Seq(items.into_iter().collect())
        }
        match self {
            Expr::Bool(b) => Node::Bool(*b),
            Expr::Int(i) => Node::Int(*i),
            Expr::Str(s) => Node::Str(s.clone()),
            Expr::List(items) => seq(items.iter().map(Expr::to_node_tree)),
            Expr::Map(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.to_node_tree()))
                    .collect(),
            ),
            Expr::Ref(id) => one("Ref", Node::Str(id.clone())),
            Expr::GetAtt(r, a) => one(
                "Fn::GetAtt",
                seq([Node::Str(r.clone()), Node::Str(a.clone())]),
            ),
            Expr::Sub(s, vars) if vars.is_empty() => one("Fn::Sub", Node::Str(s.clone())),
            Expr::Sub(s, vars) => one(
                "Fn::Sub",
                seq([
                    Node::Str(s.clone()),
                    Node::Map(
                        vars.iter()
                            .map(|(k, v)| (k.clone(), v.to_node_tree()))
                            .collect(),
                    ),
                ]),
            ),
            Expr::Join(d, list) => {
                one("Fn::Join", seq([Node::Str(d.clone()), list.to_node_tree()]))
            }
            Expr::Select(i, list) => {
                one("Fn::Select", seq([i.to_node_tree(), list.to_node_tree()]))
            }
            Expr::Split(d, src) => {
                one("Fn::Split", seq([Node::Str(d.clone()), src.to_node_tree()]))
            }
            Expr::GetAZs(r) => one("Fn::GetAZs", r.to_node_tree()),
            Expr::FindInMap(a, b, c) => one(
                "Fn::FindInMap",
                seq([a.to_node_tree(), b.to_node_tree(), c.to_node_tree()]),
            ),
            Expr::ImportValue(n) => one("Fn::ImportValue", n.to_node_tree()),
            Expr::If(c, a, b) => one(
                "Fn::If",
                seq([Node::Str(c.clone()), a.to_node_tree(), b.to_node_tree()]),
            ),
            Expr::Equals(a, b) => one("Fn::Equals", seq([a.to_node_tree(), b.to_node_tree()])),
            Expr::And(v) => one("Fn::And", seq(v.iter().map(Expr::to_node_tree))),
            Expr::Or(v) => one("Fn::Or", seq(v.iter().map(Expr::to_node_tree))),
            Expr::Not(a) => one("Fn::Not", seq([a.to_node_tree()])),
            Expr::Condition(c) => one("Condition", Node::Str(c.clone())),
            Expr::Base64(a) => one("Fn::Base64", a.to_node_tree()),
            Expr::Cidr(a, b, c) => one(
                "Fn::Cidr",
                seq([a.to_node_tree(), b.to_node_tree(), c.to_node_tree()]),
            ),
        }
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Str(s.to_string())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Str(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Expr {
        Expr::Str(s.clone())
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Expr {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(i: i64) -> Expr {
        Expr::Int(i)
    }
}

impl From<i32> for Expr {
    fn from(i: i32) -> Expr {
        Expr::Int(i64::from(i))
    }
}

impl From<u32> for Expr {
    fn from(i: u32) -> Expr {
        Expr::Int(i64::from(i))
    }
}

impl From<Vec<Expr>> for Expr {
    fn from(v: Vec<Expr>) -> Expr {
        Expr::List(v)
    }
}
