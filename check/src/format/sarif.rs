//! `--format sarif`: SARIF 2.1.0, the shape GitHub code scanning uploads. One run of the
//! tool `harden`; its rules are the rules with at least one finding (a report stays small as
//! the registry grows), each with the descriptions, fix and tags GitHub shows and the
//! `security-severity` it ranks alerts by; each result is placed at its file, line and column,
//! carries a fingerprint that does not move when lines do, and a suppression with its reason
//! where the template excepts it. Deterministic: no timestamps, no absolute paths added.

use harden_blueprints::rules::{self, Severity};
use serde_json::{json, Value};

use crate::{Finding, Report};

/// The schema GitHub and editors resolve a SARIF log's `$schema` to.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where harden is published: the driver's `informationUri`.
pub const INFORMATION_URI: &str = "https://crates.io/crates/harden";

/// The `uriBaseId` of relative paths: the checkout's root, as GitHub's upload action expects.
pub const SRCROOT: &str = "%SRCROOT%";

/// The number GitHub ranks a security alert by (`properties.security-severity`): critical
/// above 9.0, high 7.0 to 8.9, medium 4.0 to 6.9, low below 4.0.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A result's level: `error` at or above the threshold, `warning` or `note` below it.
pub fn level(s: Severity, fail_on: Severity) -> &'static str {
    if s >= fail_on {
        "error"
    } else if s >= Severity::Medium {
        "warning"
    } else {
        "note"
    }
}

/// The SARIF log, pretty-printed, with a final newline.
pub fn render(report: &Report, notes: &[String]) -> String {
    let findings: Vec<&Finding> = report.findings().collect();
    // The rules with findings, in the registry's order; a rule the registry does not hold (a
    // team's Guard rule) after them, in the order first found.
    let mut ids: Vec<&str> = rules::all()
        .map(|r| r.id)
        .filter(|id| findings.iter().any(|f| f.rule == *id))
        .collect();
    for f in &findings {
        if !ids.contains(&f.rule.as_str()) {
            ids.push(&f.rule);
        }
    }
    let descriptors: Vec<Value> = ids
        .iter()
        .map(|id| {
            let first = findings
                .iter()
                .find(|f| f.rule == *id)
                .expect("every listed rule has a finding");
            rule_descriptor(first, report.fail_on)
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = ids.iter().position(|id| *id == f.rule).expect("listed");
            result(f, index, report.fail_on)
        })
        .collect();
    let mut notifications: Vec<Value> = notes
        .iter()
        .map(|n| json!({"level": "note", "message": {"text": n}}))
        .collect();
    for file in &report.files {
        for n in &file.notes {
            notifications.push(json!({
                "level": "note",
                "message": {"text": n},
                "locations": [{"physicalLocation": {"artifactLocation": artifact(&file.file)}}],
            }));
        }
    }
    let mut invocation = json!({"executionSuccessful": true});
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "harden",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"description": {"text": "the directory harden check ran in"}}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"tier": report.tier, "failOn": report.fail_on.as_str()},
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
    out.push('\n');
    out
}

/// A `reportingDescriptor` for a rule, from the registry when it holds the rule, else from
/// what its finding carries.
fn rule_descriptor(f: &Finding, fail_on: Severity) -> Value {
    let rule = rules::find(&f.rule).filter(|_| f.source == "harden");
    let rationale = rule.map_or(f.title.as_str(), |r| r.rationale);
    let mut tags = vec!["security".to_string(), "cloudformation".to_string()];
    tags.extend(f.cis.iter().map(|c| format!("CIS-{c}")));
    if let Some(sh) = f.equivalents.get("security-hub") {
        tags.extend(sh.iter().map(|id| format!("SecurityHub-{id}")));
    }
    let also = crate::format::text::also(f);
    let mut markdown = format!("{}\n\n**Fix:** {}", rationale, f.remediation);
    if !also.is_empty() {
        markdown.push_str(&format!("\n\n**Same as:** {also}"));
    }
    let mut properties = json!({
        "tags": tags,
        "security-severity": security_severity(f.severity),
        "precision": "high",
        "problem.severity": problem_severity(f.severity),
        "equivalents": f.equivalents,
        "cis": f.cis,
    });
    if let Some(r) = rule {
        properties["resourceTypes"] = json!(r.resource_types);
        properties["tier"] = json!(r.tier.as_str());
        if let Some(c) = r.control {
            properties["control"] = json!(c.id);
        }
    }
    json!({
        "id": f.rule,
        "name": pascal(&f.rule),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": rationale},
        "help": {"text": format!("Fix: {}", f.remediation), "markdown": markdown},
        "helpUri": format!("{INFORMATION_URI}#{}", f.rule),
        "defaultConfiguration": {"level": level(f.severity, fail_on)},
        "properties": properties,
    })
}

/// GitHub's `problem.severity` for a rule (`error`, `warning`, `recommendation`).
fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "recommendation",
    }
}

/// `s3-bucket-encryption` → `S3BucketEncryption`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(c).collect::<String>()
            })
        })
        .collect()
}

fn result(f: &Finding, index: usize, fail_on: Severity) -> Value {
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact(&f.file),
            "region": {"startLine": f.line.max(1), "startColumn": f.column.max(1)},
        },
    });
    if !f.resource.is_empty() {
        location["logicalLocations"] = json!([{
            "name": f.resource,
            "fullyQualifiedName": f.path,
            "kind": "resource",
        }]);
    }
    let mut properties = json!({
        "severity": f.severity.as_str(),
        "equivalents": f.equivalents,
        "source": f.source,
    });
    if !f.resource.is_empty() {
        properties["resource"] = json!(f.resource);
        properties["resourceType"] = json!(f.resource_type);
    }
    let mut v = json!({
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": level(f.severity, fail_on),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"harden/v1": fingerprint(f)},
        "properties": properties,
    });
    if let Some(reason) = &f.suppressed {
        v["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
    }
    v
}

/// A stable id of a finding across runs: the rule, file, resource and property path, hashed
/// (FNV-1a, 64 bits). Lines are left out, so an edit above the resource does not make the
/// finding look new.
pub fn fingerprint(f: &Finding) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [&f.rule, &f.file, &f.resource, &f.path] {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// An `artifactLocation`: a relative path as given (with `/` separators, percent-encoded
/// where a URI needs it) against `%SRCROOT%`, an absolute one as a `file://` URI.
fn artifact(file: &str) -> Value {
    let path = file.replace('\\', "/");
    let absolute = path.starts_with('/')
        || (path.len() > 2 && path.as_bytes()[1] == b':' && path.as_bytes()[2] == b'/');
    if absolute {
        let sep = if path.starts_with('/') { "" } else { "/" };
        json!({"uri": format!("file://{sep}{}", encode(&path))})
    } else {
        let rel = path.strip_prefix("./").unwrap_or(&path);
        json!({"uri": encode(rel), "uriBaseId": SRCROOT})
    }
}

/// Percent-encodes what may not stand in a URI path.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_text, Settings};
    use harden_blueprints::Tier;

    const BAD: &str = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: 0.0.0.0/0\n";

    fn report(name: &str, text: &str) -> Report {
        let s = Settings::at(Tier::Basic);
        Report {
            tier: "basic".into(),
            fail_on: s.fail_on,
            files: vec![check_text(name, text, &s)],
        }
    }

    #[test]
    fn results_point_at_their_rule_and_place_relative_to_the_source_root() {
        let r = report("templates/web sg.yaml", BAD);
        let v: Value = serde_json::from_str(&render(&r, &[])).unwrap();
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let res = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == "no-open-ingress")
            .expect("the open ingress is a result");
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], "no-open-ingress");
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "templates/web%20sg.yaml");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], SRCROOT);
        assert_eq!(loc["region"]["startLine"], 7);
        assert_eq!(res["locations"][0]["logicalLocations"][0]["name"], "Open");
        // Only rules with findings are described, each once.
        let ids: Vec<_> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        for id in &ids {
            assert!(r.findings().any(|f| f.rule == *id), "{id} has no finding");
        }
        let mut dedup = ids.clone();
        dedup.dedup();
        assert_eq!(ids, dedup);
    }

    #[test]
    fn rules_carry_what_github_shows_and_ranks_by() {
        let r = report("t.yaml", BAD);
        let v: Value = serde_json::from_str(&render(&r, &[])).unwrap();
        let rule = v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "no-open-ingress")
            .unwrap()
            .clone();
        let sev = rules::find("no-open-ingress").unwrap().severity;
        assert_eq!(
            rule["properties"]["security-severity"],
            security_severity(sev)
        );
        let tags: Vec<_> = rule["properties"]["tags"].as_array().unwrap().clone();
        assert!(tags.contains(&json!("security")));
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("**Fix:**"));
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
    }

    #[test]
    fn levels_follow_the_threshold() {
        assert_eq!(level(Severity::High, Severity::High), "error");
        assert_eq!(level(Severity::Low, Severity::Low), "error");
        assert_eq!(level(Severity::Medium, Severity::High), "warning");
        assert_eq!(level(Severity::Low, Severity::Medium), "note");
        assert_eq!(security_severity(Severity::Critical), "9.5");
        assert_eq!(security_severity(Severity::Low), "3.0");
    }

    #[test]
    fn a_fingerprint_survives_lines_moving_and_differs_between_resources() {
        let a = report("t.yaml", BAD);
        let moved = report("t.yaml", &format!("Description: moved\n{BAD}"));
        let other = report("t.yaml", &BAD.replace("Open:", "Other:"));
        let fp = |r: &Report| {
            let f = r.findings().find(|f| f.rule == "no-open-ingress").unwrap();
            (f.line, fingerprint(f))
        };
        let (la, fa) = fp(&a);
        let (lm, fm) = fp(&moved);
        assert_ne!(la, lm, "the line moved");
        assert_eq!(fa, fm);
        assert_ne!(fa, fp(&other).1);
    }

    #[test]
    fn a_suppressed_finding_carries_its_justification() {
        let text = BAD.replace(
            "    Properties:",
            "    Metadata:\n      harden:\n        suppress:\n          - id: no-open-ingress\n            reason: the public load balancer's listener\n    Properties:",
        );
        let r = report("t.yaml", &text);
        let v: Value = serde_json::from_str(&render(&r, &[])).unwrap();
        let res = v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == "no-open-ingress")
            .unwrap()
            .clone();
        assert_eq!(res["suppressions"][0]["kind"], "inSource");
        assert_eq!(
            res["suppressions"][0]["justification"],
            "the public load balancer's listener"
        );
    }

    #[test]
    fn absolute_paths_are_file_uris_and_output_is_deterministic() {
        let r = report("/tmp/x y/t.yaml", BAD);
        let a = render(&r, &["n".into()]);
        assert_eq!(a, render(&r, &["n".into()]));
        let v: Value = serde_json::from_str(&a).unwrap();
        let loc = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "file:///tmp/x%20y/t.yaml");
        assert!(loc["artifactLocation"].get("uriBaseId").is_none());
        assert_eq!(pascal("s3-bucket-encryption"), "S3BucketEncryption");
    }
}
