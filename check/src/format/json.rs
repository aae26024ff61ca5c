//! `--format json`: one object, `findings` flat (each with its file, line, resource, rule,
//! severity, message, equivalents and suppression), then the summary.

use serde_json::json;

use crate::Report;

/// The JSON document, pretty-printed, with a final newline.
pub fn render(report: &Report, notes: &[String]) -> String {
    let findings: Vec<_> = report.findings().collect();
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    let files: Vec<_> = report
        .files
        .iter()
        .map(|f| json!({"file": f.file, "resources": f.resources, "notes": f.notes}))
        .collect();
    let doc = json!({
        "tier": report.tier,
        "fail_on": report.fail_on.as_str(),
        "findings": findings,
        "files": files,
        "notes": notes,
        "summary": {
            "findings": findings.len() - suppressed,
            "suppressed": suppressed,
            "failing": report.failing(),
        },
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
    out.push('\n');
    out
}
