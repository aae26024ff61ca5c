//! Cross-stack references: which exports a template imports, which it exports, and so which
//! stacks of a deployment must be deployed before another's change set can be made.
//!
//! CloudFormation resolves `Fn::ImportValue` against the exports of the account and region,
//! and a change set whose template imports an export that does not exist yet may be refused
//! ("No export named ... found"). So a stack that imports what an earlier stack of the same
//! deployment will export gets its change set once that stack has deployed, not up front.

use std::collections::BTreeSet;

use harden_blueprints::cfn::Node;

/// The export names a template imports: every `Fn::ImportValue` whose name is a literal
/// string (a computed name cannot be known before CloudFormation resolves it).
pub fn imported(template: &Node) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk(template, &mut out);
    out
}

fn walk(n: &Node, out: &mut BTreeSet<String>) {
    match n {
        Node::Map(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("Fn::ImportValue", Node::Str(name)) => {
                        out.insert(name.clone());
                    }
                    _ => walk(v, out),
                }
            }
        }
        Node::Seq(s) => s.iter().for_each(|v| walk(v, out)),
        _ => {}
    }
}

/// The export names a template exports once deployed as stack `stack`: literal names, and
/// `Fn::Sub` strings whose only variable is `${AWS::StackName}`.
pub fn exported(template: &Node, stack: &str) -> BTreeSet<String> {
    let Some(outputs) = template.get_path(&["Outputs"]).and_then(Node::as_map) else {
        return BTreeSet::new();
    };
    outputs
        .values()
        .filter_map(|o| o.get_path(&["Export", "Name"]))
        .filter_map(|name| match name {
            Node::Str(s) => Some(s.clone()),
            Node::Map(m) if m.len() == 1 => match m.get("Fn::Sub") {
                Some(Node::Str(s)) => {
                    let resolved = s.replace("${AWS::StackName}", stack);
                    (!resolved.contains("${")).then_some(resolved)
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// What one stack waits for: the earlier stacks of the deployment whose exports it imports
/// and that do not exist yet, with those export names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waits {
    /// Stack names, in deployment order.
    pub stacks: Vec<String>,
    /// The export names it imports that are not there yet.
    pub exports: Vec<String>,
}

impl Waits {
    /// Whether the stack can have its change set now.
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }
}

/// For each stack of a deployment (`(name, template)`, in deployment order), what it waits
/// for, given the exports that exist in the account and region now. An import no earlier
/// stack exports is not waited for: it is someone else's export (or a mistake CloudFormation
/// names itself).
pub fn waits(stacks: &[(&str, &Node)], existing: &BTreeSet<String>) -> Vec<Waits> {
    let exports: Vec<BTreeSet<String>> = stacks.iter().map(|(n, t)| exported(t, n)).collect();
    stacks
        .iter()
        .enumerate()
        .map(|(i, (_, t))| {
            let mut w = Waits::default();
            for name in imported(t).difference(existing) {
                if let Some(j) = (0..i).find(|j| exports[*j].contains(name)) {
                    let by = stacks[j].0.to_string();
                    if !w.stacks.contains(&by) {
                        w.stacks.push(by);
                    }
                    w.exports.push(name.clone());
                }
            }
            w.stacks
                .sort_by_key(|s| stacks.iter().position(|(n, _)| n == s));
            w
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use harden_blueprints::cfn::parse::parse_template;

    fn t(yaml: &str) -> Node {
        parse_template(yaml).unwrap()
    }

    #[test]
    fn literal_imports_are_found_anywhere_and_computed_ones_are_not() {
        let n = t("Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      KmsMasterKeyId: !ImportValue app-Key\n      Tags:\n        - {Key: vpc, Value: {'Fn::Select': [0, {'Fn::Split': [',', !ImportValue app-Subnets]}]}}\n        - {Key: x, Value: {'Fn::ImportValue': {'Fn::Sub': '${P}-X'}}}\n");
        assert_eq!(
            imported(&n).into_iter().collect::<Vec<_>>(),
            ["app-Key", "app-Subnets"]
        );
    }

    #[test]
    fn exports_resolve_the_stack_name_and_skip_what_cannot_be_known() {
        let n = t("Resources: {T: {Type: AWS::SNS::Topic}}\nOutputs:\n  A: {Value: a, Export: {Name: !Sub '${AWS::StackName}-Key'}}\n  B: {Value: b, Export: {Name: fixed}}\n  C: {Value: c, Export: {Name: !Sub '${AWS::Region}-X'}}\n  D: {Value: d}\n");
        assert_eq!(
            exported(&n, "app").into_iter().collect::<Vec<_>>(),
            ["app-Key", "fixed"]
        );
    }

    #[test]
    fn a_stack_waits_only_for_earlier_stacks_whose_exports_are_missing() {
        let base = t("Resources: {T: {Type: AWS::SNS::Topic}}\nOutputs:\n  K: {Value: k, Export: {Name: !Sub '${AWS::StackName}-Key'}}\n  V: {Value: v, Export: {Name: !Sub '${AWS::StackName}-Vpc'}}\n");
        let api = t("Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties: {KmsMasterKeyId: !ImportValue app-Key, DisplayName: !ImportValue other-Thing}\n");
        let stacks = [("app", &base), ("app-api", &api)];
        let none = BTreeSet::new();
        let w = waits(&stacks, &none);
        assert!(w[0].is_empty());
        assert_eq!(w[1].stacks, ["app"]);
        assert_eq!(w[1].exports, ["app-Key"]);
        // Once the export exists (the first stack is deployed), nothing waits.
        let there: BTreeSet<String> = ["app-Key".to_string()].into();
        assert!(waits(&stacks, &there)[1].is_empty());
        // A later stack's exports are not waited for: the order is the deployment's.
        let reversed = [("app-api", &api), ("app", &base)];
        assert!(waits(&reversed, &none)[0].is_empty());
    }
}
