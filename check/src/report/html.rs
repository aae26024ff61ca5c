//! `harden report --format html`: one self-contained page a reviewer opens from a CI
//! artifact: inline CSS, no script, no external asset (no font, image or stylesheet is
//! fetched), every value from a template escaped. Rows carry `data-` attributes (`data-stack`,
//! `data-control`, `data-rule`) so a test, or a reviewer's own tooling, can find them.

use std::fmt::Write;

use super::{Compliance, StackReport};

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #d0d7de;padding-bottom:.3rem}h3{margin-top:1.4rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}tbody tr:nth-child(even){background:#fbfcfd}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;padding:0 .2rem;border-radius:3px}
.sev{font-weight:600;text-transform:uppercase;font-size:12px}.critical{color:#82071e}.high{color:#cf222e}.medium{color:#9a6700}.low{color:#57606a}
.muted{color:#57606a}.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}";

/// The page.
pub fn render(c: &Compliance) -> String {
    let mut o = String::new();
    let title = format!("harden compliance report: tier {}", c.tier);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(o, "<h1>Compliance report</h1>");
    let s = &c.summary;
    let _ = writeln!(
        o,
        "<p class=\"muted\">Tier <code>{}</code>: {} stack{}, {} controls applied, {} not applicable, {} exception{}, {} finding{} ({} failing).</p>",
        esc(&c.tier),
        s.stacks,
        plural(s.stacks),
        s.controls,
        s.not_applicable,
        s.exceptions,
        plural(s.exceptions),
        s.findings,
        plural(s.findings),
        s.failing
    );
    let _ = writeln!(o, "<table id=\"summary\">\n<thead><tr><th>Stack</th><th>Blueprint</th><th>Tier</th><th>Resources</th><th>Controls</th><th>Not applicable</th><th>Exceptions</th><th>Findings</th></tr></thead>\n<tbody>");
    for st in &c.stacks {
        let _ = writeln!(
            o,
            "<tr data-stack=\"{n}\"><td><a href=\"#stack-{n}\">{n}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(st.blueprint.as_deref().unwrap_or("-")),
            esc(&st.tier),
            st.resources,
            st.controls.len(),
            st.not_applicable.len(),
            st.exceptions.len(),
            if st.findings.is_empty() { "ok" } else { "bad" },
            st.findings.len(),
            n = esc(&st.stack),
        );
    }
    let _ = writeln!(o, "</tbody>\n</table>");
    security_hub(&mut o, c);
    for st in &c.stacks {
        stack(&mut o, st);
    }
    let _ = writeln!(o, "</body>\n</html>");
    o
}

fn ids(v: &[String]) -> String {
    if v.is_empty() {
        "<span class=\"muted\">-</span>".into()
    } else {
        v.iter()
            .map(|x| format!("<code>{}</code>", esc(x)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Which standards the stacks enable, and which claimed Security Hub ids they evaluate.
fn security_hub(o: &mut String, c: &Compliance) {
    if c.security_hub.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<section id=\"security-hub\">\n<h2>Security Hub standards</h2>"
    );
    let on: Vec<String> = c
        .standards
        .iter()
        .map(|s| {
            format!(
                "{} (<code>{}</code>, by <code>{}</code>)",
                esc(&s.title),
                esc(&s.key),
                esc(&s.stack)
            )
        })
        .collect();
    let line = match (&c.account, on.is_empty()) {
        (Some(a), true) => format!(
            "<p>None of these stacks enables a Security Hub standard. {}</p>",
            esc(&a.sentence())
        ),
        (Some(a), false) => format!(
            "<p>These stacks enable {}. {}</p>",
            on.join(", "),
            esc(&a.sentence())
        ),
        (None, true) => "<p class=\"muted\">None of these stacks enables a Security Hub standard, and the account's own are not read: a claimed id produces a finding only where the account has a standard on that evaluates it.</p>".to_string(),
        (None, false) => format!(
            "<p>These stacks enable {}. The account's own standards are not read.</p>",
            on.join(", ")
        ),
    };
    let _ = writeln!(o, "{line}");
    let seen = c.security_hub.iter().filter(|r| r.evaluated).count();
    let _ = writeln!(
        o,
        "<p class=\"muted\">{seen} of {} claimed Security Hub ids are evaluated by {}.</p>",
        c.security_hub.len(),
        if c.account.is_some() {
            "a standard the account has on"
        } else {
            "an enabled standard"
        }
    );
    let _ = writeln!(o, "<table class=\"standards\">\n<thead><tr><th>Security Hub</th><th>Title</th><th>Standards</th><th>Evaluated</th><th>Claimed by</th></tr></thead>\n<tbody>");
    for r in &c.security_hub {
        let _ = writeln!(
            o,
            "<tr data-security-hub=\"{id}\"><td><code>{id}</code></td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(&r.title),
            ids(&r.standards),
            if r.evaluated { "ok" } else { "muted" },
            esc(&r.verdict),
            ids(&r.controls),
            id = esc(&r.id),
        );
    }
    let _ = writeln!(o, "</tbody>\n</table>\n</section>");
}

fn stack(o: &mut String, st: &StackReport) {
    let n = esc(&st.stack);
    let _ = writeln!(
        o,
        "<section id=\"stack-{n}\" data-stack=\"{n}\">\n<h2>{n}</h2>"
    );
    let _ = writeln!(
        o,
        "<p class=\"muted\">Tier <code>{}</code>, {} resources; findings at or above <code>{}</code> fail.</p>",
        esc(&st.tier),
        st.resources,
        esc(&st.fail_on)
    );
    for note in &st.notes {
        let _ = writeln!(o, "<p class=\"muted\">Note: {}</p>", esc(note));
    }
    let _ = writeln!(o, "<h3>Controls applied ({})</h3>", st.controls.len());
    let _ = writeln!(o, "<table class=\"matrix\">\n<thead><tr><th>Control</th><th>Title</th><th>Tier</th><th>CIS v3.0</th><th>Security Hub</th><th>Satisfied by</th></tr></thead>\n<tbody>");
    for r in &st.controls {
        let by = if r.resources.is_empty() {
            "<span class=\"muted\">the stack itself</span>".to_string()
        } else {
            ids(&r.resources)
        };
        let _ = writeln!(
            o,
            "<tr data-control=\"{id}\"><td><code>{id}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{by}</td></tr>",
            esc(&r.title),
            esc(&r.tier),
            ids(&r.cis),
            ids(&r.security_hub),
            id = esc(&r.id),
        );
    }
    let _ = writeln!(o, "</tbody>\n</table>");
    if !st.not_applicable.is_empty() {
        let _ = writeln!(o, "<h3>Not applicable ({})</h3>", st.not_applicable.len());
        let _ = writeln!(o, "<table class=\"not-applicable\">\n<thead><tr><th>Control</th><th>Title</th><th>Tier</th><th>CIS v3.0</th><th>Security Hub</th><th>Why</th></tr></thead>\n<tbody>");
        for r in &st.not_applicable {
            let _ = writeln!(
                o,
                "<tr data-control=\"{id}\"><td><code>{id}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.title),
                esc(&r.tier),
                ids(&r.cis),
                ids(&r.security_hub),
                esc(&r.reason),
                id = esc(&r.id),
            );
        }
        let _ = writeln!(o, "</tbody>\n</table>");
    }
    let _ = writeln!(o, "<h3>Exceptions ({})</h3>", st.exceptions.len());
    if st.exceptions.is_empty() {
        let _ = writeln!(o, "<p class=\"muted\">None.</p>");
    } else {
        let _ = writeln!(o, "<table class=\"exceptions\">\n<thead><tr><th>Rule</th><th>Resource</th><th>Line</th><th>Reason</th><th>Same as</th></tr></thead>\n<tbody>");
        for e in &st.exceptions {
            let also: Vec<String> = e
                .equivalents
                .iter()
                .map(|(k, v)| format!("{} {}", esc(k), ids(v)))
                .collect();
            let _ = writeln!(
                o,
                "<tr data-rule=\"{r}\"><td><code>{r}</code></td><td><code>{}</code> <span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.resource),
                esc(&e.resource_type),
                e.line,
                esc(&e.reason),
                also.join("; "),
                r = esc(&e.rule),
            );
        }
        let _ = writeln!(o, "</tbody>\n</table>");
    }
    let _ = writeln!(o, "<h3>Findings ({})</h3>", st.findings.len());
    if st.findings.is_empty() {
        let _ = writeln!(o, "<p class=\"ok\">No findings.</p>");
    } else {
        let _ = writeln!(o, "<table class=\"findings\">\n<thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Line</th><th>Message</th><th>Fix</th></tr></thead>\n<tbody>");
        for f in &st.findings {
            let _ = writeln!(
                o,
                "<tr data-rule=\"{r}\"><td class=\"sev {s}\">{s}</td><td><code>{r}</code></td><td><code>{}</code> <span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.resource),
                esc(&f.resource_type),
                f.line,
                esc(&f.message),
                esc(&f.remediation),
                r = esc(&f.rule),
                s = f.severity.as_str(),
            );
        }
        let _ = writeln!(o, "</tbody>\n</table>");
    }
    if !st.deviations.is_empty() {
        let _ = writeln!(
            o,
            "<h3>Deviations from the guide ({})</h3>",
            st.deviations.len()
        );
        let _ = writeln!(o, "<table class=\"deviations\">\n<thead><tr><th>The guide</th><th>harden</th><th>Why</th></tr></thead>\n<tbody>");
        for d in &st.deviations {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.guide),
                esc(&d.harden),
                esc(&d.reason)
            );
        }
        let _ = writeln!(o, "</tbody>\n</table>");
    }
    let _ = writeln!(o, "</section>");
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

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let html = render(&super::super::tests::sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<tr data-control=\"kms-key\">"));
        assert!(html.contains("<section id=\"stack-demo-stack\""));
        // The reason holds `<listener>`: escaped, never markup.
        assert!(html.contains("&lt;listener&gt;"), "{html}");
        assert!(!html.contains("<listener>"));
        for fetch in ["<script", "<link", "<img", "src=", "@import", "url("] {
            assert!(
                !html.contains(fetch),
                "the page would fetch or run `{fetch}`"
            );
        }
        assert_eq!(esc("a\"b'c&"), "a&quot;b&#39;c&amp;");
    }
}
