//! Reading templates: YAML (with the short-form tags `!Ref`, `!Sub`, `!GetAtt a.b`, ...) and
//! JSON, into the same long-form [`Node`] tree that rendering produces, so a deployed template
//! and a rendered one compare directly. Errors name the line and column.

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::model::{Node, NodeMap};

/// A template that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
#[non_exhaustive]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a CloudFormation template (YAML or JSON) and checks it looks like one: a map with a
/// `Resources` map.
pub fn parse_template(text: &str) -> Result<Node, ParseError> {
    let node = parse(text)?;
    let ok = node
        .get_path(&["Resources"])
        .and_then(Node::as_map)
        .is_some_and(|r| !r.is_empty());
    if !ok {
        return Err(ParseError {
            line: 1,
            column: 1,
            message: "not a CloudFormation template: it has no `Resources` map with at least one resource".into(),
        });
    }
    Ok(node)
}

/// Parses YAML or JSON into a tree, turning short-form tags into long-form intrinsics.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    if text.trim_start().starts_with('{') {
        return parse_json(text);
    }
    let mut p = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<(usize, Node)> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let (ev, mark) = p.next_token().map_err(|e| ParseError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let finished: Option<(Node, usize)> = match ev {
            Event::StreamStart | Event::DocumentStart | Event::Nothing => None,
            Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::Alias(id) => {
                let n = anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone());
                Some((
                    n.ok_or_else(|| err(mark, "an alias to an unknown anchor"))?,
                    0,
                ))
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar(value, style)?;
                Some((apply_tag(tag, node, mark)?, anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                stack.push(Frame {
                    kind: FrameKind::Seq(Vec::new()),
                    tag,
                    anchor,
                    mark,
                    key: None,
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                stack.push(Frame {
                    kind: FrameKind::Map(NodeMap::new()),
                    tag,
                    anchor,
                    mark,
                    key: None,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let f = stack.pop().expect("the parser balances starts and ends");
                let node = match f.kind {
                    FrameKind::Seq(v) => Node::Seq(v),
                    FrameKind::Map(m) => Node::Map(m),
                };
                Some((apply_tag(f.tag, node, f.mark)?, f.anchor))
            }
        };
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.push((anchor, node.clone()));
            }
            match stack.last_mut() {
                None => {
                    if root.is_some() {
                        return Err(err(
                            mark,
                            "more than one YAML document: a template is one document",
                        ));
                    }
                    root = Some(node);
                }
                Some(f) => match &mut f.kind {
                    FrameKind::Seq(v) => v.push(node),
                    FrameKind::Map(m) => match f.key.take() {
                        None => match node {
                            Node::Str(k) => f.key = Some((k, mark)),
                            Node::Int(i) => f.key = Some((i.to_string(), mark)),
                            Node::Bool(b) => f.key = Some((b.to_string(), mark)),
                            _ => return Err(err(mark, "a map key must be a string")),
                        },
                        Some((k, kmark)) => {
                            if m.contains_key(&k) {
                                return Err(err(kmark, &format!("duplicate key `{k}`")));
                            }
                            m.insert(k, node);
                        }
                    },
                },
            }
        }
    }
    root.ok_or(ParseError {
        line: 1,
        column: 1,
        message: "the template is empty".into(),
    })
}

struct Frame {
    kind: FrameKind,
    tag: Option<Tag>,
    anchor: usize,
    mark: Marker,
    key: Option<(String, Marker)>,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map(NodeMap),
}

fn err(mark: Marker, message: &str) -> ParseError {
    ParseError {
        line: mark.line(),
        column: mark.col() + 1,
        message: message.to_string(),
    }
}

fn scalar(value: String, style: TScalarStyle) -> Result<Node, ParseError> {
    if style != TScalarStyle::Plain {
        return Ok(Node::Str(value));
    }
    Ok(match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Node::Null,
        "true" | "True" | "TRUE" => Node::Bool(true),
        "false" | "False" | "FALSE" => Node::Bool(false),
        v => {
            if let Ok(i) = v.parse::<i64>() {
                if !(v.len() > 1
                    && (v.starts_with('0') || v.starts_with("-0") || v.starts_with('+')))
                {
                    return Ok(Node::Int(i));
                }
            }
            // A float as YAML's core schema writes one; `0755`-like digits stay text.
            let digits = v.trim_start_matches(['-', '+']);
            let numeric = v.bytes().any(|b| b.is_ascii_digit())
                && v.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                && !(digits.starts_with('0') && digits.len() > 1 && !digits.starts_with("0."));
            match v.parse::<f64>() {
                Ok(f) if numeric && f.is_finite() => Node::Float(f),
                _ => Node::Str(v.to_string()),
            }
        }
    })
}

const TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("GetAZs", "Fn::GetAZs"),
    ("FindInMap", "Fn::FindInMap"),
    ("ImportValue", "Fn::ImportValue"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Not", "Fn::Not"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

fn apply_tag(tag: Option<Tag>, node: Node, mark: Marker) -> Result<Node, ParseError> {
    let Some(tag) = tag else { return Ok(node) };
    if tag.handle != "!" {
        // `!!str` and friends: the core schema's own tags.
        return Ok(match (tag.suffix.as_str(), node) {
            ("str", Node::Int(i)) => Node::Str(i.to_string()),
            ("str", Node::Bool(b)) => Node::Str(b.to_string()),
            ("str", Node::Null) => Node::Str(String::new()),
            (_, n) => n,
        });
    }
    let Some((_, long)) = TAGS.iter().find(|(short, _)| *short == tag.suffix) else {
        return Err(err(
            mark,
            &format!(
                "unknown tag `!{}`: CloudFormation has no such intrinsic function",
                tag.suffix
            ),
        ));
    };
    let node = match (*long, node) {
        ("Fn::GetAtt", Node::Str(s)) => match s.split_once('.') {
            Some((res, attr)) => Node::Seq(vec![Node::Str(res.into()), Node::Str(attr.into())]),
            None => {
                return Err(err(
                    mark,
                    &format!("`!GetAtt {s}` needs the form `Resource.Attribute`"),
                ))
            }
        },
        ("Fn::GetAZs", Node::Null) => Node::Str(String::new()),
        (_, n) => n,
    };
    Ok(Node::map([(*long, node)]))
}

fn parse_json(text: &str) -> Result<Node, ParseError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| ParseError {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    fn conv(v: serde_json::Value) -> Node {
        use serde_json::Value;
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => n
                .as_i64()
                .map(Node::Int)
                .unwrap_or_else(|| Node::Float(n.as_f64().unwrap_or(f64::NAN))),
            Value::String(s) => Node::Str(s),
            Value::Array(a) => Node::Seq(a.into_iter().map(conv).collect()),
            Value::Object(o) => Node::Map(o.into_iter().map(|(k, v)| (k, conv(v))).collect()),
        }
    }
    Ok(conv(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_tags_become_long_form() {
        let t = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: !Ref X\n      B: !GetAtt K.Arn\n      C: !Sub 'arn:${AWS::Partition}'\n      D: !If [Cond, !Ref Y, !Ref AWS::NoValue]\n      E: !GetAZs\n      F: !Join [',', [a, b]]\n";
        let n = parse_template(t).unwrap();
        let p = n.get_path(&["Resources", "B", "Properties"]).unwrap();
        assert_eq!(p.get_path(&["A", "Ref"]), Some(&Node::Str("X".into())));
        assert_eq!(
            p.get_path(&["B", "Fn::GetAtt"]),
            Some(&Node::Seq(vec![
                Node::Str("K".into()),
                Node::Str("Arn".into())
            ]))
        );
        assert_eq!(
            p.get_path(&["C", "Fn::Sub"]),
            Some(&Node::Str("arn:${AWS::Partition}".into()))
        );
        assert_eq!(
            p.get_path(&["E", "Fn::GetAZs"]),
            Some(&Node::Str(String::new()))
        );
        let d = p.get_path(&["D", "Fn::If"]).and_then(Node::as_seq).unwrap();
        assert_eq!(d[1].get_path(&["Ref"]), Some(&Node::Str("Y".into())));
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let n =
            parse("a: 1\nb: '1'\nc: true\nd: 0755\ne: 1.5\nf: yes\ng: ~\nh: \"3.6\"\n").unwrap();
        let m = n.as_map().unwrap();
        assert_eq!(m["a"], Node::Int(1));
        assert_eq!(m["b"], Node::Str("1".into()));
        assert_eq!(m["c"], Node::Bool(true));
        assert_eq!(m["d"], Node::Str("0755".into()));
        assert_eq!(m["e"], Node::Float(1.5));
        assert_eq!(
            parse("x: 0.5\n").unwrap().get_path(&["x"]),
            Some(&Node::Float(0.5))
        );
        assert_eq!(
            parse("x: -0.25\n").unwrap().get_path(&["x"]),
            Some(&Node::Float(-0.25))
        );
        assert_eq!(m["f"], Node::Str("yes".into()));
        assert_eq!(m["g"], Node::Null);
        assert_eq!(m["h"], Node::Str("3.6".into()));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("Resources:\n  B: !Bogus x\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown tag `!Bogus`"), "{e}");
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("duplicate key `a`"));
        let e = parse("a: [1, 2\n").unwrap_err();
        assert!(e.line >= 1, "{e}");
        let e = parse_template("{\"AWSTemplateFormatVersion\": \"2010-09-09\"}").unwrap_err();
        assert!(
            e.message.starts_with("not a CloudFormation template"),
            "{e}"
        );
        let e = parse("{\"a\": }").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn anchors_and_aliases_resolve() {
        let n = parse("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(n.get_path(&["a"]), n.get_path(&["b"]));
    }
}
