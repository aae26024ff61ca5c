//! `--format markdown`: a pull-request comment in GitHub-flavoured Markdown. A summary table
//! (findings per severity, and which severities fail), then per template a table of its
//! findings (severity, rule, resource, `file:line`, message, fix), and its exceptions with
//! their reasons folded in a `<details>` block. Every value from a template is escaped: a `|`
//! cannot break a table, a backtick cannot end a code span, `<` cannot open HTML.

use std::fmt::Write;

use harden_blueprints::rules::Severity;

use crate::{Finding, Report};

/// Text for a table cell: Markdown's active characters backslash-escaped, HTML's as
/// entities, line breaks as spaces.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell: fenced by one more backtick than the longest run inside it,
/// padded when it starts or ends with one, `|` escaped (GitHub splits cells before it parses
/// code spans).
pub fn code(s: &str) -> String {
    let flat = s.replace(['\r', '\n'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in flat.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", flat.replace('|', "\\|"))
}

/// The comment.
pub fn render(report: &Report, notes: &[String]) -> String {
    let mut out = String::new();
    let all: Vec<&Finding> = report.findings().collect();
    let excepted = all.iter().filter(|f| f.suppressed.is_some()).count();
    let failing = report.failing();
    let verdict = if failing == 0 { "passed" } else { "failed" };
    let _ = writeln!(
        out,
        "## harden check {verdict}: {} finding{}, {failing} at or above `{}`, {excepted} excepted\n",
        all.len() - excepted,
        plural(all.len() - excepted),
        report.fail_on,
    );
    let _ = writeln!(
        out,
        "Tier `{}`, {} template{} checked.\n",
        report.tier,
        report.files.len(),
        plural(report.files.len())
    );
    for n in notes {
        let _ = writeln!(out, "> note: {}\n", cell(n));
    }
    let _ = writeln!(out, "| Severity | Findings | Excepted | Fails the check |");
    let _ = writeln!(out, "| --- | ---: | ---: | --- |");
    for s in Severity::ALL.into_iter().rev() {
        let open = all
            .iter()
            .filter(|f| f.severity == s && f.suppressed.is_none())
            .count();
        let exc = all
            .iter()
            .filter(|f| f.severity == s && f.suppressed.is_some())
            .count();
        let fails = if s >= report.fail_on { "yes" } else { "no" };
        let _ = writeln!(out, "| {s} | {open} | {exc} | {fails} |");
    }
    for file in &report.files {
        let open: Vec<&Finding> = file
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .collect();
        let exc: Vec<&Finding> = file
            .findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .collect();
        let _ = writeln!(
            out,
            "\n### {} ({} resource{}, {} finding{}, {} excepted)\n",
            code(&file.file),
            file.resources,
            plural(file.resources),
            open.len(),
            plural(open.len()),
            exc.len()
        );
        for n in &file.notes {
            let _ = writeln!(out, "> note: {}\n", cell(n));
        }
        if open.is_empty() {
            let _ = writeln!(out, "No findings.");
        } else {
            let _ = writeln!(
                out,
                "| Severity | Rule | Resource | Place | Message | Fix |"
            );
            let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
            for f in open {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.severity,
                    code(&f.rule),
                    resource(f),
                    code(&format!("{}:{}", f.file, f.line)),
                    cell(&f.message),
                    cell(&f.remediation)
                );
            }
        }
        if !exc.is_empty() {
            let _ = writeln!(
                out,
                "\n<details><summary>{} exception{} with {} reason{}</summary>\n",
                exc.len(),
                plural(exc.len()),
                if exc.len() == 1 { "its" } else { "their" },
                plural(exc.len())
            );
            let _ = writeln!(out, "| Rule | Resource | Place | Reason |");
            let _ = writeln!(out, "| --- | --- | --- | --- |");
            for f in exc {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    code(&f.rule),
                    resource(f),
                    code(&format!("{}:{}", f.file, f.line)),
                    cell(f.suppressed.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(out, "\n</details>");
        }
    }
    out
}

fn resource(f: &Finding) -> String {
    if f.resource.is_empty() {
        "(template)".into()
    } else {
        format!("{} ({})", code(&f.resource), cell(&f.resource_type))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_text, Settings};
    use harden_blueprints::Tier;

    const BAD: &str = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: 0.0.0.0/0\n";

    fn report(text: &str) -> Report {
        let s = Settings::at(Tier::Basic);
        Report {
            tier: "basic".into(),
            fail_on: s.fail_on,
            files: vec![check_text("t.yaml", text, &s)],
        }
    }

    /// The cells of a GFM table row, split on unescaped `|` as GitHub does.
    fn cells(row: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut escaped = false;
        for c in row.trim().trim_matches('|').chars() {
            if c == '|' && !escaped {
                out.push(String::new());
            } else {
                out.last_mut().unwrap().push(c);
            }
            escaped = c == '\\' && !escaped;
        }
        out
    }

    #[test]
    fn the_summary_counts_by_severity_and_marks_the_failing_ones() {
        let r = report(BAD);
        let md = render(&r, &[]);
        assert!(md.starts_with("## harden check failed:"), "{md}");
        let sev = harden_blueprints::rules::find("no-open-ingress")
            .unwrap()
            .severity;
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| {sev} |")))
            .unwrap();
        let c = cells(row);
        assert_ne!(c[1].trim(), "0", "{row}");
        assert_eq!(c[3].trim(), if sev >= r.fail_on { "yes" } else { "no" });
        assert!(
            md.contains("| `no-open-ingress` | `Open` (AWS::EC2::SecurityGroup) | `t.yaml:7` |"),
            "{md}"
        );
    }

    #[test]
    fn exceptions_are_folded_with_their_reasons() {
        let text = BAD.replace(
            "    Properties:",
            "    Metadata:\n      harden:\n        suppress:\n          - id: no-open-ingress\n            reason: \"the listener | of <b>the</b> `public` LB\"\n    Properties:",
        );
        let md = render(&report(&text), &[]);
        let details = &md[md.find("<details>").expect("an exceptions block")..];
        let row = details
            .lines()
            .find(|l| l.contains("no-open-ingress"))
            .unwrap();
        let c = cells(row);
        assert_eq!(c.len(), 4, "a `|` in the reason split the row: {row}");
        assert!(c[3].contains("&lt;b&gt;"), "{row}");
        assert!(c[3].contains("\\`public\\`"), "{row}");
        assert!(details.contains("</details>"));
    }

    #[test]
    fn code_spans_outlast_the_backticks_inside_them() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(cell("*x* [l](u) <i>"), "\\*x\\* \\[l\\](u) &lt;i&gt;");
    }
}
