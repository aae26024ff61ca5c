//! A team's Guard rules (`check/tests/guard/*.guard`) evaluated through the `cfn-guard` crate
//! beside harden's rules: their findings, places, severities and suppressions, and a rules
//! file that does not parse.

use std::path::PathBuf;

use harden_blueprints::rules::Severity;
use harden_blueprints::Tier;
use harden_check::guard::SUPPRESSED_RULES;
use harden_check::{allow, check_text, format, FileReport, GuardError, GuardRules, Settings};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/guard")
}

fn settings() -> Settings {
    let mut s = Settings::at(Tier::Basic);
    s.guard = GuardRules::load(&[dir().join("s3.guard")]).expect("the rules parse");
    s
}

fn guard_findings(r: &FileReport) -> Vec<(&str, &str, Option<&str>)> {
    r.findings
        .iter()
        .filter(|f| f.source == "guard")
        .map(|f| {
            (
                f.rule.as_str(),
                f.resource.as_str(),
                f.suppressed.as_deref(),
            )
        })
        .collect()
}

const WEAK: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
      VersioningConfiguration:
        Status: Suspended
  Queue:
    Type: AWS::SQS::Queue
  Open:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
";

const GOOD: &str = "\
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-data'
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
      VersioningConfiguration:
        Status: Enabled
";

#[test]
fn a_failed_guard_rule_is_a_finding_at_its_property_with_the_rules_severity() {
    let r = check_text("weak.yaml", WEAK, &settings());
    assert_eq!(
        guard_findings(&r),
        [("s3_bucket_versioning_enabled", "Logs", None)],
        "{r:#?}"
    );
    let f = r.findings.iter().find(|f| f.source == "guard").unwrap();
    // Placed at `Status: Suspended`, the value Guard compared.
    assert_eq!((f.file.as_str(), f.line, f.column), ("weak.yaml", 10, 9));
    assert_eq!(
        f.path,
        "Resources.Logs.Properties.VersioningConfiguration.Status"
    );
    assert_eq!(f.resource_type, "AWS::S3::Bucket");
    // `Severity: high` in the rule's custom message; the rest of it is the fix.
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.remediation.contains("VersioningConfiguration.Status"),
        "{f:?}"
    );
    assert!(f.message.contains("Suspended"), "{}", f.message);
    assert!(!f.message.contains("Value traversed"), "{}", f.message);
    // harden's own rules still run beside them.
    assert!(
        r.findings
            .iter()
            .any(|f| f.source == "harden" && f.resource == "Open"),
        "{r:#?}"
    );
}

#[test]
fn a_missing_property_is_placed_at_the_resource_and_a_rule_without_severity_is_medium() {
    let t = "Resources:\n  Bare:\n    Type: AWS::S3::Bucket\n";
    let r = check_text("bare.yaml", t, &settings());
    assert_eq!(
        guard_findings(&r),
        [
            ("s3_bucket_versioning_enabled", "Bare", None),
            ("s3_bucket_encrypted", "Bare", None)
        ]
    );
    let enc = r
        .findings
        .iter()
        .find(|f| f.rule == "s3_bucket_encrypted")
        .unwrap();
    assert_eq!(enc.severity, Severity::Medium);
    assert_eq!((enc.line, enc.column), (2, 3));
    assert_eq!(enc.path, "Resources.Bare");
}

#[test]
fn a_good_template_passes_the_guard_rules() {
    let r = check_text("good.yaml", GOOD, &settings());
    assert_eq!(guard_findings(&r), [], "{r:#?}");
    // And JSON templates are read too.
    let json = r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}, "BucketEncryption": {}}}}}"#;
    assert_eq!(guard_findings(&check_text("g.json", json, &settings())), []);
}

const SUPPRESSED: &str = "\
Resources:
  Scratch:
    Type: AWS::S3::Bucket
    Metadata:
      guard:
        SuppressedRules:
          - s3_bucket_versioning_enabled
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
";

#[test]
fn metadata_guard_suppressed_rules_suppress_in_every_format_unless_suppressions_are_off() {
    let mut r = check_text("s.yaml", SUPPRESSED, &settings());
    // Only the Guard rule's finding matters here (harden's own S3 rules fire on it too).
    r.findings.retain(|f| f.source == "guard");
    assert_eq!(
        guard_findings(&r),
        [(
            "s3_bucket_versioning_enabled",
            "Scratch",
            Some(SUPPRESSED_RULES)
        )]
    );
    let report = harden_check::Report {
        tier: "basic".into(),
        fail_on: Severity::High,
        files: vec![r],
    };
    // Suppressed: not failing, and shown as such in JSON and text.
    assert_eq!(report.exit_code(), 0);
    let json: serde_json::Value =
        serde_json::from_str(&format::render(&report, format::Format::Json, &[])).unwrap();
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "s3_bucket_versioning_enabled")
        .expect("the Guard finding is in the JSON");
    assert_eq!(f["suppressed"], SUPPRESSED_RULES);
    assert_eq!(f["source"], "guard");
    let text = format::render(&report, format::Format::Text, &[]);
    assert!(text.contains("s3_bucket_versioning_enabled"), "{text}");

    let mut off = settings();
    off.suppressions = false;
    let r = check_text("s.yaml", SUPPRESSED, &off);
    assert_eq!(
        guard_findings(&r),
        [("s3_bucket_versioning_enabled", "Scratch", None)]
    );
}

#[test]
fn an_allow_list_may_permit_or_refuse_a_guard_suppression() {
    let mut s = settings();
    let names = s.guard.rule_names();
    assert_eq!(
        names,
        ["s3_bucket_encrypted", "s3_bucket_versioning_enabled"]
    );
    s.allowed = Some(
        allow::parse_with(
            "allow.yaml",
            "allow:\n  - rule: s3_bucket_versioning_enabled\n    types: [AWS::S3::Bucket]\n",
            &names,
        )
        .expect("a Guard rule may be allow-listed"),
    );
    let r = check_text("s.yaml", SUPPRESSED, &s);
    assert_eq!(guard_findings(&r)[0].2, Some(SUPPRESSED_RULES));
    assert!(!r
        .findings
        .iter()
        .any(|f| f.rule == "suppression-not-allowed"));

    s.allowed = Some(
        allow::parse_with(
            "allow.yaml",
            "allow:\n  - rule: s3_bucket_encrypted\n",
            &names,
        )
        .unwrap(),
    );
    let r = check_text("s.yaml", SUPPRESSED, &s);
    assert_eq!(guard_findings(&r)[0].2, None);
    let refused = r
        .findings
        .iter()
        .find(|f| f.rule == "suppression-not-allowed")
        .expect("the refused suppression is a finding");
    assert_eq!(refused.line, 7, "{refused:?}");
    assert!(allow::parse("a.yaml", "allow:\n  - rule: s3_bucket_encrypted\n").is_err());
}

#[test]
fn a_guard_file_that_does_not_parse_is_a_usage_error_naming_it() {
    let bad = dir().join("bad.guard");
    let e = GuardRules::load(std::slice::from_ref(&bad)).expect_err("refused");
    assert!(matches!(e, GuardError::Parse { .. }), "{e:?}");
    let m = e.to_string();
    assert!(m.contains(&bad.display().to_string()), "{m}");
    assert!(
        m.contains("line 3"),
        "Guard's own message, with its place: {m}"
    );
    assert!(matches!(
        GuardRules::load(&[dir().join("nope.guard")]),
        Err(GuardError::Read { .. })
    ));
}

#[test]
fn a_directory_means_its_guard_files_in_name_order() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(dir().join("s3.guard"), d.path().join("b.guard")).unwrap();
    std::fs::write(
        d.path().join("a.guard"),
        "rule sqs_encrypted { Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.KmsMasterKeyId exists }\n",
    )
    .unwrap();
    std::fs::write(d.path().join("notes.txt"), "not rules").unwrap();
    let g = GuardRules::load(&[d.path().to_path_buf()]).unwrap();
    let names: Vec<String> = g
        .files()
        .iter()
        .map(|f| {
            PathBuf::from(&f.name)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a.guard", "b.guard"]);
    let mut s = Settings::at(Tier::Basic);
    s.guard = g;
    let r = check_text("weak.yaml", WEAK, &s);
    assert_eq!(
        guard_findings(&r),
        [
            ("s3_bucket_versioning_enabled", "Logs", None),
            ("sqs_encrypted", "Queue", None)
        ]
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        GuardRules::load(&[empty.path().to_path_buf()]),
        Err(GuardError::Empty { .. })
    ));
}
