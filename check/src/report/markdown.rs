//! `harden report --format markdown`: the matrix as GitHub-flavoured Markdown (a job summary
//! or a pull-request comment), one section per stack, escaped as `check`'s Markdown is.

use std::fmt::Write;

use super::Compliance;
use crate::format::markdown::{cell, code};

fn ids(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.iter().map(|x| code(x)).collect::<Vec<_>>().join(" ")
    }
}

/// Which standards the stacks enable, and which claimed Security Hub ids they evaluate.
fn security_hub(o: &mut String, c: &Compliance) {
    if c.security_hub.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Security Hub standards\n");
    let on: Vec<String> = c
        .standards
        .iter()
        .map(|s| format!("{} (`{}`, by {})", cell(&s.title), s.key, code(&s.stack)))
        .collect();
    let line = match (&c.account, on.is_empty()) {
        (Some(a), true) => format!(
            "None of these stacks enables a Security Hub standard. {}",
            cell(&a.sentence())
        ),
        (Some(a), false) => format!(
            "These stacks enable {}. {}",
            on.join(", "),
            cell(&a.sentence())
        ),
        (None, true) => "None of these stacks enables a Security Hub standard, and the account's own are not read: a claimed id produces a finding only where the account has a standard on that evaluates it.".to_string(),
        (None, false) => format!(
            "These stacks enable {}. The account's own standards are not read.",
            on.join(", ")
        ),
    };
    let _ = writeln!(o, "{line}\n");
    let seen = c.security_hub.iter().filter(|r| r.evaluated).count();
    let _ = writeln!(
        o,
        "{seen} of {} claimed Security Hub ids are evaluated by {}.\n",
        c.security_hub.len(),
        if c.account.is_some() {
            "a standard the account has on"
        } else {
            "an enabled standard"
        }
    );
    let _ = writeln!(
        o,
        "| Security Hub | Title | Standards | Evaluated | Claimed by |"
    );
    let _ = writeln!(o, "| --- | --- | --- | --- | --- |");
    for r in &c.security_hub {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            code(&r.id),
            cell(&r.title),
            ids(&r.standards),
            cell(&r.verdict),
            ids(&r.controls)
        );
    }
}

/// The document.
pub fn render(c: &Compliance) -> String {
    let mut o = String::new();
    let s = &c.summary;
    let _ = writeln!(o, "# Compliance report: tier `{}`\n", c.tier);
    let _ = writeln!(
        o,
        "{} stack(s), {} controls applied, {} not applicable, {} exception(s), {} finding(s) ({} failing).\n",
        s.stacks, s.controls, s.not_applicable, s.exceptions, s.findings, s.failing
    );
    let _ = writeln!(
        o,
        "| Stack | Tier | Resources | Controls | Not applicable | Exceptions | Findings |"
    );
    let _ = writeln!(o, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for st in &c.stacks {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            code(&st.stack),
            st.tier,
            st.resources,
            st.controls.len(),
            st.not_applicable.len(),
            st.exceptions.len(),
            st.findings.len()
        );
    }
    security_hub(&mut o, c);
    for st in &c.stacks {
        let _ = writeln!(o, "\n## {}\n", code(&st.stack));
        let _ = writeln!(
            o,
            "Tier `{}`, {} resources; findings at or above `{}` fail.\n",
            st.tier, st.resources, st.fail_on
        );
        for n in &st.notes {
            let _ = writeln!(o, "> note: {}\n", cell(n));
        }
        let _ = writeln!(o, "### Controls applied ({})\n", st.controls.len());
        let _ = writeln!(
            o,
            "| Control | Title | Tier | CIS v3.0 | Security Hub | Satisfied by |"
        );
        let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- |");
        for r in &st.controls {
            let by = if r.resources.is_empty() {
                "the stack itself".to_string()
            } else {
                ids(&r.resources)
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {by} |",
                code(&r.id),
                cell(&r.title),
                cell(&r.tier),
                ids(&r.cis),
                ids(&r.security_hub)
            );
        }
        if !st.not_applicable.is_empty() {
            let _ = writeln!(o, "\n### Not applicable ({})\n", st.not_applicable.len());
            let _ = writeln!(o, "| Control | Tier | CIS v3.0 | Security Hub | Why |");
            let _ = writeln!(o, "| --- | --- | --- | --- | --- |");
            for r in &st.not_applicable {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    code(&r.id),
                    cell(&r.tier),
                    ids(&r.cis),
                    ids(&r.security_hub),
                    cell(&r.reason)
                );
            }
        }
        let _ = writeln!(o, "\n### Exceptions ({})\n", st.exceptions.len());
        if st.exceptions.is_empty() {
            let _ = writeln!(o, "None.");
        } else {
            let _ = writeln!(o, "| Rule | Resource | Line | Reason |");
            let _ = writeln!(o, "| --- | --- | ---: | --- |");
            for e in &st.exceptions {
                let _ = writeln!(
                    o,
                    "| {} | {} ({}) | {} | {} |",
                    code(&e.rule),
                    code(&e.resource),
                    cell(&e.resource_type),
                    e.line,
                    cell(&e.reason)
                );
            }
        }
        let _ = writeln!(o, "\n### Findings ({})\n", st.findings.len());
        if st.findings.is_empty() {
            let _ = writeln!(o, "None.");
        } else {
            let _ = writeln!(o, "| Severity | Rule | Resource | Line | Message | Fix |");
            let _ = writeln!(o, "| --- | --- | --- | ---: | --- | --- |");
            for f in &st.findings {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.severity,
                    code(&f.rule),
                    if f.resource.is_empty() {
                        "(template)".to_string()
                    } else {
                        code(&f.resource)
                    },
                    f.line,
                    cell(&f.message),
                    cell(&f.remediation)
                );
            }
        }
        if !st.deviations.is_empty() {
            let _ = writeln!(
                o,
                "\n<details><summary>{} deviation(s) from the guide</summary>\n",
                st.deviations.len()
            );
            let _ = writeln!(o, "| The guide | harden | Why |");
            let _ = writeln!(o, "| --- | --- | --- |");
            for d in &st.deviations {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    cell(&d.guide),
                    cell(&d.harden),
                    cell(&d.reason)
                );
            }
            let _ = writeln!(o, "\n</details>");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stack_has_its_matrix_and_reasons() {
        let md = render(&super::super::tests::sample());
        assert!(md.contains("## `demo-stack`"), "{md}");
        assert!(md.contains("| `kms-key` |"), "{md}");
        assert!(md.contains("| `termination-protection` |") && md.contains("the stack itself"));
        assert!(md.contains("waived: the network team logs the shared VPC"));
        // The reason's `|` and `<listener>` are escaped.
        assert!(md.contains("&lt;listener&gt; \\| on 443"), "{md}");
    }
}
