//! Which parameters and resources a value refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub`
//! variables). A resource whose value refers to something replaced, or to a parameter whose
//! value changes, changes too even when its own text in the template does not.

use std::collections::BTreeSet;

use harden_blueprints::cfn::render::sub_variables;
use harden_blueprints::cfn::Node;

/// The names `n` refers to, sorted. `AWS::` pseudo parameters are left out.
pub fn references(n: &Node) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk(n, &mut out);
    out.retain(|r| !r.starts_with("AWS::"));
    out
}

fn walk(n: &Node, out: &mut BTreeSet<String>) {
    match n {
        Node::Seq(items) => items.iter().for_each(|v| walk(v, out)),
        Node::Map(m) if m.len() == 1 => {
            let (k, v) = m.get_index(0).expect("one entry");
            match (k.as_str(), v) {
                ("Ref", Node::Str(id)) => {
                    out.insert(id.clone());
                }
                ("Fn::GetAtt", Node::Seq(parts)) => {
                    if let Some(id) = parts.first().and_then(Node::as_str) {
                        out.insert(id.to_string());
                    }
                }
                ("Fn::GetAtt", Node::Str(s)) => {
                    out.insert(s.split('.').next().unwrap_or(s).to_string());
                }
                ("Fn::Sub", Node::Str(s)) => sub(s, None::<std::iter::Empty<&String>>, out),
                ("Fn::Sub", Node::Seq(p)) if p.len() == 2 => {
                    let vars = p[1].as_map();
                    sub(p[0].as_str().unwrap_or(""), vars.map(|v| v.keys()), out);
                    if let Some(vars) = vars {
                        vars.values().for_each(|v| walk(v, out));
                    }
                }
                _ => walk(v, out),
            }
        }
        Node::Map(m) => m.values().for_each(|v| walk(v, out)),
        _ => {}
    }
}

fn sub<'a>(
    text: &str,
    locals: Option<impl Iterator<Item = &'a String>>,
    out: &mut BTreeSet<String>,
) {
    let locals: Vec<&String> = locals.map(|l| l.collect()).unwrap_or_default();
    for var in sub_variables(text) {
        if locals.iter().any(|l| l.as_str() == var) {
            continue;
        }
        let id = var.split('.').next().unwrap_or(var);
        out.insert(id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harden_blueprints::cfn::parse::parse;

    #[test]
    fn finds_ref_getatt_and_sub_variables_but_not_locals_or_pseudo_parameters() {
        let n = parse(
            "A: !Ref Vpc\nB: !GetAtt Role.Arn\nC: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/${Key.Arn}'\n\
             D:\n  Fn::Sub: ['${Local}-${Env}', {Local: !Ref Param}]\n",
        )
        .unwrap();
        let got: Vec<String> = references(&n).into_iter().collect();
        assert_eq!(got, ["Bucket", "Env", "Key", "Param", "Role", "Vpc"]);
    }
}
