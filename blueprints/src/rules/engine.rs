//! Runs the rules over a template and applies its suppressions.
//!
//! A suppression is written on the resource it excepts:
//! `Metadata: {harden: {suppress: [{id: RULE, reason: WHY}]}}`. One without a reason, one of a
//! rule that did not fire on that resource, and (with an allow-list) one the list does not
//! permit are findings themselves, of harden's own rules, which cannot be suppressed.

use crate::cfn::Node;
use crate::tier::Tier;

use super::ctx::Ctx;
use super::{all, meta, Hit, Rule};

/// What a check is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The tier the template is meant to meet: rules of higher tiers do not run.
    pub tier: Tier,
    /// Whether suppressions are honoured (`--no-suppressions`: false).
    pub suppressions: bool,
    /// A team's list of the suppressions that may be used; any other is refused.
    pub allowed: Option<&'a AllowList>,
}

impl Options<'_> {
    /// Every rule of `tier`, suppressions honoured, no allow-list.
    pub fn at(tier: Tier) -> Options<'static> {
        Options {
            tier,
            suppressions: true,
            allowed: None,
        }
    }
}

/// The suppressions a central team permits: rule ids, each for every resource type or only
/// for the listed ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// `(rule id, resource types)`; no types means any type.
    pub entries: Vec<(String, Vec<String>)>,
}

impl AllowList {
    /// Whether `rule` may be suppressed on a resource of `ty`.
    pub fn permits(&self, rule: &str, ty: &str) -> bool {
        self.entries
            .iter()
            .any(|(r, types)| r == rule && (types.is_empty() || types.iter().any(|t| t == ty)))
    }
}

/// A suppression as written in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The rule id it names.
    pub id: String,
    /// Its reason (empty if none was written).
    pub reason: String,
    /// Where it is written, below the resource.
    pub path: Vec<String>,
}

/// One rule broken at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// The resource's logical id (empty for the template as a whole).
    pub resource: String,
    /// The resource's type.
    pub resource_type: String,
    /// Keys and indexes below the resource's node where it is broken.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// The reason of the suppression that excepts it, if one does.
    pub suppressed: Option<String>,
}

impl Finding {
    /// `Resources.Id.Properties...`, the path as cfn-lint and checkov print it.
    pub fn at(&self) -> String {
        let mut out = format!("Resources.{}", self.resource);
        for seg in &self.path {
            if seg.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str(&format!("[{seg}]"));
            } else {
                out.push('.');
                out.push_str(seg);
            }
        }
        out
    }
}

/// The suppressions written on a resource.
pub fn suppressions(resource: &Node) -> Vec<Suppression> {
    let Some(Node::Seq(items)) = resource.get_path(&["Metadata", "harden", "suppress"]) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| Suppression {
            id: item
                .get_path(&["id"])
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string(),
            reason: item
                .get_path(&["reason"])
                .and_then(Node::as_str)
                .unwrap_or("")
                .trim()
                .to_string(),
            path: vec![
                "Metadata".into(),
                "harden".into(),
                "suppress".into(),
                i.to_string(),
            ],
        })
        .collect()
}

/// What `rules` find on one resource, unsuppressed: each rule of `tier` (every tier with
/// `None`) for the resource's type.
fn findings_of(
    ctx: &Ctx,
    res: &super::ctx::Res,
    rules: &[&'static Rule],
    tier: Option<Tier>,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for rule in rules {
        let applies = match tier {
            Some(t) => rule.applies(res.ty, t),
            None => rule.resource_types.is_empty() || rule.resource_types.contains(&res.ty),
        };
        if !applies {
            continue;
        }
        for Hit { path, message } in (rule.check)(ctx, res) {
            found.push(Finding {
                rule,
                resource: res.id.to_string(),
                resource_type: res.ty.to_string(),
                path,
                message,
                suppressed: None,
            });
        }
    }
    found
}

/// Runs `rules` over `root` whatever their tier, in template order, with no suppression: what
/// harden holds every template it renders to (`audit`).
pub fn run(root: &Node, rules: &[&'static Rule]) -> Vec<Finding> {
    let ctx = Ctx::new(root);
    ctx.resources()
        .iter()
        .flat_map(|res| findings_of(&ctx, res, rules, None))
        .collect()
}

/// Runs every rule that applies at `opts.tier` over `root`, in template order, and applies the
/// suppressions. Suppressed findings are returned too, with their reason.
pub fn check(root: &Node, opts: &Options) -> Vec<Finding> {
    let ctx = Ctx::new(root);
    let rules: Vec<&'static Rule> = all().collect();
    let mut out = Vec::new();
    for res in ctx.resources() {
        let mut found = findings_of(&ctx, res, &rules, Some(opts.tier));
        let sups = if opts.suppressions {
            suppressions(res.node)
        } else {
            Vec::new()
        };
        let meta_finding = |rule: &'static Rule, s: &Suppression, message: String| Finding {
            rule,
            resource: res.id.to_string(),
            resource_type: res.ty.to_string(),
            path: s.path.clone(),
            message,
            suppressed: None,
        };
        let mut extra = Vec::new();
        for s in &sups {
            let rule = super::find(&s.id);
            let ran = rule.is_some_and(|r| r.applies(res.ty, opts.tier));
            if s.reason.is_empty() {
                extra.push(meta_finding(
                    &meta::SUPPRESSION_NEEDS_REASON,
                    s,
                    format!("the suppression of `{}` gives no reason", s.id),
                ));
            }
            if rule.is_some_and(|r| meta::RULES.contains(&r)) {
                extra.push(meta_finding(
                    &meta::SUPPRESSION_NOT_ALLOWED,
                    s,
                    format!("`{}` is one of harden's own rules on suppressions and templates: it cannot be suppressed", s.id),
                ));
                continue;
            }
            if let Some(list) = opts.allowed {
                if !list.permits(&s.id, res.ty) {
                    extra.push(meta_finding(
                        &meta::SUPPRESSION_NOT_ALLOWED,
                        s,
                        format!(
                            "the allow-list does not permit suppressing `{}` on `{}`",
                            s.id, res.ty
                        ),
                    ));
                    continue;
                }
            }
            let fired = found.iter().any(|f| f.rule.id == s.id);
            if rule.is_none() {
                let hint = crate::rules::did_you_mean(&s.id)
                    .map(|r| format!(" (did you mean `{r}`?)"))
                    .unwrap_or_default();
                extra.push(meta_finding(
                    &meta::UNUSED_SUPPRESSION,
                    s,
                    format!(
                        "`{}` is not a rule of harden's{hint}: the suppression excepts nothing",
                        s.id
                    ),
                ));
            } else if ran && !fired {
                extra.push(meta_finding(
                    &meta::UNUSED_SUPPRESSION,
                    s,
                    format!(
                        "`{}` does not fire on this resource: remove the suppression",
                        s.id
                    ),
                ));
            }
            if s.reason.is_empty() {
                continue;
            }
            for f in found.iter_mut().filter(|f| f.rule.id == s.id) {
                f.suppressed = Some(s.reason.clone());
            }
        }
        out.append(&mut found);
        out.append(&mut extra);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::parse::parse_template;

    const OPEN: &str = r#"{"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "g",
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "web"}],
        "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8", "Description": "out"}]}"#;

    fn run(resource: &str, opts: &Options) -> Vec<(String, Option<String>)> {
        let t = parse_template(&format!("{{\"Resources\": {{\"R\": {resource}}}}}"))
            .expect("the test template parses");
        check(&t, opts)
            .into_iter()
            .map(|f| (f.rule.id.to_string(), f.suppressed))
            .collect()
    }

    fn with_meta(meta: &str) -> String {
        format!("{OPEN}, \"Metadata\": {meta}}}")
    }

    #[test]
    fn a_reasoned_suppression_excepts_its_finding_and_says_why() {
        let opts = Options::at(Tier::Basic);
        assert_eq!(
            run(&format!("{OPEN}}}"), &opts),
            [("no-open-ingress".to_string(), None)]
        );
        let t = with_meta(
            r#"{"harden": {"suppress": [{"id": "no-open-ingress", "reason": "a public web tier"}]}}"#,
        );
        assert_eq!(
            run(&t, &opts),
            [(
                "no-open-ingress".to_string(),
                Some("a public web tier".to_string())
            )]
        );
        // --no-suppressions: the finding stands.
        let none = Options {
            suppressions: false,
            ..opts
        };
        assert_eq!(run(&t, &none), [("no-open-ingress".to_string(), None)]);
    }

    #[test]
    fn reasonless_unused_unknown_and_unlisted_suppressions_are_findings() {
        let opts = Options::at(Tier::Basic);
        let rules = |meta: &str, o: &Options| -> Vec<String> {
            run(&with_meta(meta), o)
                .into_iter()
                .map(|(r, _)| r)
                .collect()
        };
        assert_eq!(
            rules(
                r#"{"harden": {"suppress": [{"id": "no-open-ingress"}]}}"#,
                &opts
            ),
            ["no-open-ingress", "suppression-needs-reason"]
        );
        assert_eq!(
            rules(
                r#"{"harden": {"suppress": [{"id": "no-open-ingress", "reason": "web"}, {"id": "no-wildcard-actions", "reason": "x"}]}}"#,
                &opts
            ),
            ["no-open-ingress", "unused-suppression"]
        );
        assert_eq!(
            rules(
                r#"{"harden": {"suppress": [{"id": "no-open-ingres", "reason": "web"}]}}"#,
                &opts
            ),
            ["no-open-ingress", "unused-suppression"]
        );
        let list = AllowList {
            entries: vec![(
                "no-open-ingress".into(),
                vec!["AWS::EC2::SecurityGroupIngress".into()],
            )],
        };
        let strict = Options {
            allowed: Some(&list),
            ..opts
        };
        let sup = r#"{"harden": {"suppress": [{"id": "no-open-ingress", "reason": "web"}]}}"#;
        assert_eq!(
            rules(sup, &strict),
            ["no-open-ingress", "suppression-not-allowed"]
        );
        let list = AllowList {
            entries: vec![(
                "no-open-ingress".into(),
                vec!["AWS::EC2::SecurityGroup".into()],
            )],
        };
        let team = Options {
            allowed: Some(&list),
            ..opts
        };
        assert_eq!(
            run(&with_meta(sup), &team),
            [("no-open-ingress".to_string(), Some("web".to_string()))]
        );
        // harden's own rules cannot be suppressed.
        assert_eq!(
            rules(
                r#"{"harden": {"suppress": [{"id": "unused-suppression", "reason": "x"}]}}"#,
                &opts
            ),
            ["no-open-ingress", "suppression-not-allowed"]
        );
    }
}
