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
    parse_located(text).map(|(n, _)| n)
}

/// Where each value of a parsed document starts: the line and column (1-based) of a map
/// value's key, or of a list item, by its path of keys and indexes from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    at: std::collections::HashMap<String, (usize, usize)>,
}

/// The separator of path segments in [`Spans`]' keys: a character no template key holds.
const SEP: char = '\u{1f}';

impl Spans {
    /// Where the value at `path` starts, if the document has it.
    pub fn get<S: AsRef<str>>(&self, path: &[S]) -> Option<(usize, usize)> {
        self.at.get(&join(path)).copied()
    }

    /// Where the deepest value along `path` that the document has starts (the resource, when
    /// a property is missing), and how many segments of `path` that is.
    pub fn nearest<S: AsRef<str>>(&self, path: &[S]) -> Option<((usize, usize), usize)> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.get(&path[..n]).map(|at| (at, n)))
    }

    /// How many values have a place.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether no value has a place (a document that is one scalar).
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

fn join<S: AsRef<str>>(path: &[S]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push_str(seg.as_ref());
    }
    out
}

/// Parses YAML or JSON like [`parse`], and also says where each value starts. JSON is read
/// for its places by the YAML reader (JSON is YAML's flow style); where that reader refuses a
/// JSON document the JSON reader accepts, the tree is still returned, with no places.
pub fn parse_located(text: &str) -> Result<(Node, Spans), ParseError> {
    let mut spans = Spans::default();
    if text.trim_start().starts_with('{') {
        let node = match parse_json(text) {
            Ok(node) => node,
            // Flow-style YAML (`{Resources: {...}}`, short-form tags, single quotes) starts
            // like JSON too; where neither reads it, JSON's complaint is the one to show.
            Err(e) => {
                return parse_yaml(text, Some(&mut spans))
                    .map(|n| (n, spans))
                    .map_err(|_| e)
            }
        };
        if parse_yaml(text, Some(&mut spans)).is_err() {
            spans = Spans::default();
        }
        return Ok((node, spans));
    }
    let node = parse_yaml(text, Some(&mut spans))?;
    Ok((node, spans))
}

/// How deeply maps and lists may nest: as deep as the JSON reader allows (`serde_json`'s
/// limit), far beyond any template, and shallow enough that no recursive walk of the tree
/// (the rules, rendering, dropping it) can run out of stack.
pub const MAX_DEPTH: usize = 128;

/// How many values the aliases of a document may copy into its tree, all aliases together.
/// An alias is expanded by copying its anchor's value, so without a budget a "billion laughs"
/// document (each level ten aliases of the one below) would take gigabytes; CloudFormation
/// itself does not accept aliases, so any real template stays far below.
pub const MAX_ALIASED: usize = 100_000;

fn parse_yaml(text: &str, mut spans: Option<&mut Spans>) -> Result<Node, ParseError> {
    let mut p = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    // Each anchor's value and how many values it holds.
    let mut anchors: Vec<(usize, Node, usize)> = Vec::new();
    let mut aliased = 0usize;
    let mut root: Option<Node> = None;
    loop {
        let (ev, mark) = p.next_token().map_err(|e| ParseError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        if let Some(spans) = spans.as_deref_mut() {
            if matches!(
                ev,
                Event::Scalar(..)
                    | Event::Alias(_)
                    | Event::SequenceStart(..)
                    | Event::MappingStart(..)
            ) {
                record(spans, &stack, mark);
            }
        }
        let finished: Option<(Node, usize)> = match ev {
            Event::StreamStart | Event::DocumentStart | Event::Nothing => None,
            Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::Alias(id) => {
                let (_, n, size) = anchors
                    .iter()
                    .rev()
                    .find(|(a, _, _)| *a == id)
                    .ok_or_else(|| err(mark, "an alias to an unknown anchor"))?;
                aliased = aliased.saturating_add(*size);
                if aliased > MAX_ALIASED {
                    return Err(err(
                        mark,
                        &format!("the aliases of this document copy more than {MAX_ALIASED} values (an alias bomb?): CloudFormation does not accept YAML aliases; write the values out"),
                    ));
                }
                Some((n.clone(), 0))
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar(value, style)?;
                Some((apply_tag(tag, node, mark)?, anchor))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(err(
                    mark,
                    &format!(
                        "maps and lists nest more than {MAX_DEPTH} deep: no template needs that"
                    ),
                ));
            }
            Event::SequenceStart(anchor, tag) => {
                let seg = child_seg(&stack);
                stack.push(Frame {
                    seg,
                    kind: FrameKind::Seq(Vec::new()),
                    tag,
                    anchor,
                    mark,
                    key: None,
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                let seg = child_seg(&stack);
                stack.push(Frame {
                    seg,
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
                let size = count(&node);
                anchors.push((anchor, node.clone(), size));
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

/// How many values a tree holds, itself included.
fn count(n: &Node) -> usize {
    1 + match n {
        Node::Seq(v) => v.iter().map(count).sum(),
        Node::Map(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

/// Records where the value starting at `mark` stands, if it is a value (not a map key).
fn record(spans: &mut Spans, stack: &[Frame], mark: Marker) {
    let Some(top) = stack.last() else {
        return;
    };
    let (seg, at) = match (&top.kind, &top.key) {
        (FrameKind::Map(_), None) => return,
        (FrameKind::Map(_), Some((k, kmark))) => (k.clone(), *kmark),
        (FrameKind::Seq(v), _) => (v.len().to_string(), mark),
    };
    let mut path: Vec<&str> = stack.iter().filter_map(|f| f.seg.as_deref()).collect();
    path.push(&seg);
    spans
        .at
        .entry(join(&path))
        .or_insert((at.line(), at.col() + 1));
}

struct Frame {
    /// This collection's key or index in its parent.
    seg: Option<String>,
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

/// The key or index a value starting now takes in the collection on top of the stack.
fn child_seg(stack: &[Frame]) -> Option<String> {
    let top = stack.last()?;
    match (&top.kind, &top.key) {
        (FrameKind::Map(_), Some((k, _))) => Some(k.clone()),
        (FrameKind::Map(_), None) => None,
        (FrameKind::Seq(v), _) => Some(v.len().to_string()),
    }
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
    // The rule functions of a template's `Rules` section.
    ("Contains", "Fn::Contains"),
    ("EachMemberEquals", "Fn::EachMemberEquals"),
    ("EachMemberIn", "Fn::EachMemberIn"),
    ("RefAll", "Fn::RefAll"),
    ("ValueOf", "Fn::ValueOf"),
    ("ValueOfAll", "Fn::ValueOfAll"),
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
    // serde_json says column 0 at the end of a line (an unexpected end of the document): the
    // place is the line's start.
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| ParseError {
        line: e.line().max(1),
        column: e.column().max(1),
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
        let e = parse("{\"a\": [}").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn flow_style_yaml_that_starts_like_json_is_read_as_yaml() {
        // Regression (found by the reader's proptest): a document starting with `{` was only
        // ever read as JSON, refusing valid YAML.
        let (n, spans) = parse_located(
            "{'Resources': {'B': {'Type': 'AWS::S3::Bucket', 'Properties': {'A': !Ref X}}}}",
        )
        .expect("flow YAML is YAML");
        assert_eq!(
            n.get_path(&["Resources", "B", "Properties", "A", "Ref"]),
            Some(&Node::Str("X".into()))
        );
        assert!(spans.get(&["Resources", "B"]).is_some());
        // Where neither reader takes it, JSON's message is given.
        let e = parse("{\"a\": [}").unwrap_err();
        assert!(e.message.contains("expected value"), "{e}");
        // Valid flow YAML is accepted even where JSON is not (`{"a": }` is `a: null`).
        assert_eq!(
            parse("{\"a\": }").unwrap().get_path(&["a"]),
            Some(&Node::Null)
        );
    }

    #[test]
    fn an_alias_bomb_is_refused_and_deep_nesting_too() {
        let mut t = String::from("l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..9 {
            t.push_str(&format!(
                "l{i}: &l{i} [{}]\n",
                vec![format!("*l{}", i - 1); 10].join(", ")
            ));
        }
        let e = parse(&t).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e}");
        // Line 5: the fifth level's aliases take the copies past the budget.
        assert_eq!(e.line, 5, "{e}");
        let deep = format!("a: {}1{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&deep).unwrap_err().message.contains("nest more than"));
        let fine = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn anchors_and_aliases_resolve() {
        let n = parse("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(n.get_path(&["a"]), n.get_path(&["b"]));
    }

    #[test]
    fn spans_name_where_each_value_starts_in_yaml_and_json() {
        let yaml = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags:\n        - Key: a\n          Value: !Ref B\n";
        let (node, spans) = parse_located(yaml).expect("parses");
        assert!(node.get_path(&["Resources", "Bucket"]).is_some());
        assert_eq!(spans.get(&["Resources", "Bucket"]), Some((2, 3)));
        assert_eq!(spans.get(&["Resources", "Bucket", "Type"]), Some((3, 5)));
        // A block list item's place is its line (the reader marks a map item at its first key's
        // colon).
        let item = spans.get(&["Resources", "Bucket", "Properties", "Tags", "0"]);
        assert_eq!(item.map(|(line, _)| line), Some(6));
        assert_eq!(
            spans.get(&["Resources", "Bucket", "Properties", "Tags", "0", "Value"]),
            Some((7, 11))
        );
        // A missing property is placed at the deepest value present.
        assert_eq!(
            spans.nearest(&["Resources", "Bucket", "Properties", "BucketEncryption"]),
            Some(((4, 5), 3))
        );
        let json = "{\n  \"Resources\": {\n    \"Q\": {\"Type\": \"AWS::SQS::Queue\"}\n  }\n}\n";
        let (_, spans) = parse_located(json).expect("parses");
        assert_eq!(spans.get(&["Resources", "Q"]), Some((3, 5)));
        assert_eq!(spans.get(&["Resources", "Q", "Type"]), Some((3, 11)));
    }
}
