//! The text output: per file, per resource, each finding with its place, its fix and the
//! other scanners' ids; the exceptions with their reasons; a summary line.

use std::fmt::Write;

use crate::{Finding, Report};

/// The text report.
pub fn render(report: &Report, notes: &[String]) -> String {
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "note: {n}");
    }
    for file in &report.files {
        let open: Vec<&Finding> = file
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .collect();
        let excepted: Vec<&Finding> = file
            .findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .collect();
        let _ = writeln!(
            out,
            "{}: {} resource{}, {} finding{}, {} excepted",
            file.file,
            file.resources,
            plural(file.resources),
            open.len(),
            plural(open.len()),
            excepted.len()
        );
        for n in &file.notes {
            let _ = writeln!(out, "  note: {n}");
        }
        let mut last: Option<&str> = None;
        for f in &open {
            if last != Some(f.resource.as_str()) {
                if f.resource.is_empty() {
                    let _ = writeln!(out, "  (template)");
                } else {
                    let _ = writeln!(out, "  {} ({})", f.resource, f.resource_type);
                }
                last = Some(&f.resource);
            }
            let _ = writeln!(
                out,
                "    {}:{}:{}: {} [{}] {}",
                f.file, f.line, f.column, f.severity, f.rule, f.message
            );
            let _ = writeln!(out, "      fix: {}", f.remediation);
            let also = also(f);
            if !also.is_empty() {
                let _ = writeln!(out, "      same as: {also}");
            }
        }
        if !excepted.is_empty() {
            let _ = writeln!(out, "  exceptions:");
            for f in &excepted {
                let _ = writeln!(
                    out,
                    "    {} [{}]: {}",
                    f.resource,
                    f.rule,
                    f.suppressed.as_deref().unwrap_or("")
                );
            }
        }
    }
    let all: Vec<&Finding> = report.findings().collect();
    let excepted = all.iter().filter(|f| f.suppressed.is_some()).count();
    let _ = writeln!(
        out,
        "{} finding{} ({} at or above `{}`), {} excepted, in {} template{}, checked at tier `{}`",
        all.len() - excepted,
        plural(all.len() - excepted),
        report.failing(),
        report.fail_on,
        excepted,
        report.files.len(),
        plural(report.files.len()),
        report.tier
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `checkov CKV_AWS_18, security-hub S3.9`
pub fn also(f: &Finding) -> String {
    f.equivalents
        .iter()
        .map(|(k, ids)| format!("{k} {}", ids.join(" ")))
        .collect::<Vec<_>>()
        .join(", ")
}
