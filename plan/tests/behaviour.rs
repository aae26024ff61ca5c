//! What a plan says, one behaviour per test: stack kinds, resource diffs, replacements
//! predicted and confirmed, security changes and data at risk.

use harden_blueprints::cfn::parse::{parse, parse_template};
use harden_blueprints::cfn::Node;
use harden_plan::*;
use indexmap::IndexMap;

fn t(yaml: &str) -> Node {
    parse_template(yaml).unwrap_or_else(|e| panic!("fixture: {e}"))
}

fn deployed(template: Node) -> Deployed {
    Deployed {
        template,
        parameters: IndexMap::new(),
        tags: IndexMap::new(),
        termination_protection: false,
        stack_policy: None,
        status: "UPDATE_COMPLETE".into(),
    }
}

/// Plans an update from `old` to `new` with no parameters, tags or settings.
fn update(old: &str, new: &str) -> StackPlan {
    update_with(old, new, None)
}

fn update_with(old: &str, new: &str, cs: Option<&[ChangeSetChange]>) -> StackPlan {
    let new = t(new);
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
    };
    plan_stack(&desired, Some(&deployed(t(old))), cs)
}

fn resource<'a>(p: &'a StackPlan, id: &str) -> &'a ResourceChange {
    p.resources
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("no change for `{id}` in {:#?}", p.resources))
}

fn security<'a>(p: &'a StackPlan, needle: &str) -> &'a SecurityChange {
    p.security
        .iter()
        .find(|s| s.description.contains(needle))
        .unwrap_or_else(|| panic!("no security change with `{needle}` in {:#?}", p.security))
}

fn risk<'a>(p: &'a StackPlan, id: &str) -> &'a DataRisk {
    p.data_risks
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("no data risk for `{id}` in {:#?}", p.data_risks))
}

const BUCKET: &str = "
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: app-data
";

// ---------------------------------------------------------------- stack kinds

#[test]
fn identical_stacks_have_no_changes() {
    let p = update(BUCKET, BUCKET);
    assert_eq!(p.kind, StackKind::NoChanges);
    assert!(!p.has_changes());
    assert!(p.resources.is_empty() && p.security.is_empty() && p.data_risks.is_empty());
    let plan = Plan { stacks: vec![p] };
    assert!(!plan.has_changes());
    assert!(render_text(&plan, false).starts_with("stack app: no changes\n"));
}

#[test]
fn a_stack_that_does_not_exist_is_created_with_every_resource_added() {
    let new = t("
Resources:
  Data:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
");
    let none = IndexMap::new();
    let tags: IndexMap<String, String> = [("team".to_string(), "ml".to_string())].into();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &none,
        tags: &tags,
        termination_protection: true,
        stack_policy: None,
    };
    let p = plan_stack(&desired, None, None);
    assert_eq!(p.kind, StackKind::Create);
    assert!(p.has_changes());
    assert_eq!(p.counts().add, 2);
    assert!(p.resources.iter().all(|r| r.action == Action::Add));
    assert!(p
        .stack_changes
        .contains(&StackChange::TerminationProtection {
            old: false,
            new: true
        }));
    assert!(p
        .stack_changes
        .iter()
        .any(|c| matches!(c, StackChange::Tag { key, old: None, .. } if key == "team")));
    // A stack left in REVIEW_IN_PROGRESS by an unexecuted change set is still a creation.
    let mut review = deployed(t(BUCKET));
    review.status = "REVIEW_IN_PROGRESS".into();
    let p = plan_stack(&desired, Some(&review), None);
    assert_eq!(p.kind, StackKind::Create);
    assert_eq!(p.counts().add, 2);
}

#[test]
fn a_stack_that_cannot_be_updated_gets_a_note() {
    let new = t(BUCKET);
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
    };
    let mut d = deployed(t(BUCKET));
    d.status = "ROLLBACK_COMPLETE".into();
    let p = plan_stack(&desired, Some(&d), None);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("`ROLLBACK_COMPLETE`") && n.contains("delete it")),
        "{:?}",
        p.notes
    );
}

// ---------------------------------------------------------------- resource changes

#[test]
fn additions_modifications_and_removals_are_found_with_their_values() {
    let p = update(
        "
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 90
  Old:
    Type: AWS::SNS::Topic
",
        "
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 400
  New:
    Type: AWS::SNS::Topic
",
    );
    assert_eq!(p.kind, StackKind::Update);
    assert_eq!(resource(&p, "New").action, Action::Add);
    assert_eq!(resource(&p, "Old").action, Action::Remove);
    let logs = resource(&p, "Logs");
    assert_eq!(logs.action, Action::Modify);
    assert_eq!(logs.properties.len(), 1);
    let prop = &logs.properties[0];
    assert_eq!(prop.name, "RetentionInDays");
    assert_eq!(prop.value.old, Some(Node::Int(90)));
    assert_eq!(prop.value.new, Some(Node::Int(400)));
    assert_eq!(prop.value.inline().as_deref(), Some("90 → 400"));
    let c = p.counts();
    assert_eq!((c.add, c.change, c.replace, c.remove), (1, 1, 0, 1));
}

#[test]
fn a_policy_document_change_is_shown_as_a_unified_diff() {
    let p = update(
        "
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
        - {Sid: Read, Effect: Allow, Action: [s3:GetObject], Resource: '*'}
",
        "
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
        - {Sid: Read, Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: '*'}
",
    );
    let diff = resource(&p, "P").properties[0]
        .value
        .diff
        .as_deref()
        .unwrap();
    assert!(diff.starts_with("@@ "), "{diff}");
    assert!(diff.contains("\n+  - s3:PutObject\n"), "{diff}");
    assert!(diff.contains("\n   - s3:GetObject\n"), "{diff}");
}

#[test]
fn a_metadata_only_change_does_not_touch_the_resource() {
    let p = update(
        BUCKET,
        "
Resources:
  Data:
    Type: AWS::S3::Bucket
    Metadata:
      checkov: {skip: [{id: CKV_AWS_18}]}
    Properties:
      BucketName: app-data
",
    );
    let r = resource(&p, "Data");
    assert!(!r.touches_resource);
    assert!(!r.replaces());
    assert_eq!(r.properties[0].name, "Metadata");
    assert_eq!(r.properties[0].section, Section::Attribute);
    assert!(render_text(&Plan { stacks: vec![p] }, false)
        .contains("(metadata only: the resource itself is not touched)"));
}

// ---------------------------------------------------------------- replacement

#[test]
fn a_changed_create_only_property_predicts_replacement() {
    let p = update(BUCKET, &BUCKET.replace("app-data", "app-data-v2"));
    let r = resource(&p, "Data");
    assert!(r.properties[0].create_only);
    let info = r.replacement.as_ref().unwrap();
    assert_eq!(info.predicted, Some(Replacement::Always));
    assert_eq!(info.confirmed, None);
    assert_eq!(info.basis(), Some(Basis::Predicted));
    assert_eq!(info.reasons, ["`BucketName` is create-only"]);
    assert_eq!(p.counts().replace, 1);

    let sg = "
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: vpc-1
";
    let p = update(
        sg,
        &sg.replace("GroupDescription: web", "GroupDescription: web tier"),
    );
    assert_eq!(
        resource(&p, "Sg").replacement.as_ref().unwrap().effective(),
        Some(Replacement::Always)
    );
}

#[test]
fn a_property_that_is_not_create_only_updates_in_place() {
    let sg = "
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      Tags: [{Key: a, Value: b}]
";
    let p = update(sg, &sg.replace("Value: b", "Value: c"));
    let r = resource(&p, "Sg");
    assert_eq!(
        r.replacement.as_ref().unwrap().predicted,
        Some(Replacement::Never)
    );
    assert!(!r.replaces());
}

#[test]
fn a_type_change_replaces_and_warns() {
    let p = update(
        BUCKET,
        "
Resources:
  Data:
    Type: AWS::SNS::Topic
",
    );
    let r = resource(&p, "Data");
    assert_eq!(r.old_type.as_deref(), Some("AWS::S3::Bucket"));
    assert_eq!(
        r.replacement.as_ref().unwrap().predicted,
        Some(Replacement::Always)
    );
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("Update of resource type is not permitted")));
    // The bucket it was is stateful: replacing it deletes it.
    assert_eq!(risk(&p, "Data").fate, Fate::Destroyed);
}

#[test]
fn a_replacement_cascades_conditionally_through_create_only_references() {
    let old = "
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: {Ref: Vpc}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: {Fn::Sub: 'group ${Sg}'}
";
    let p = update(old, &old.replace("10.0.0.0/16", "10.1.0.0/16"));
    assert_eq!(
        resource(&p, "Vpc")
            .replacement
            .as_ref()
            .unwrap()
            .effective(),
        Some(Replacement::Always)
    );
    let sg = resource(&p, "Sg");
    assert_eq!(
        sg.replacement.as_ref().unwrap().predicted,
        Some(Replacement::Conditional)
    );
    assert!(
        sg.through
            .iter()
            .any(|t| t == "`VpcId` refers to `Vpc`, which is replaced"),
        "{:?}",
        sg.through
    );
    // The alarm refers to the group through a property that is not create-only: updated.
    let alarm = resource(&p, "Alarm");
    assert_eq!(alarm.action, Action::Modify);
    assert!(!alarm.replaces());
    assert!(alarm.through.iter().any(|t| t.contains("refers to `Sg`")));
    // Template order is kept.
    let ids: Vec<&str> = p.resources.iter().map(|r| r.logical_id.as_str()).collect();
    assert_eq!(ids, ["Vpc", "Sg", "Alarm"]);
}

fn cs(id: &str, ty: &str, action: &str, replacement: Option<&str>) -> ChangeSetChange {
    ChangeSetChange {
        logical_id: id.into(),
        resource_type: ty.into(),
        action: action.into(),
        replacement: replacement.map(String::from),
        scope: vec!["Properties".into()],
        details: vec![],
    }
}

#[test]
fn a_change_set_confirms_a_predicted_replacement() {
    let new = BUCKET.replace("app-data", "app-data-v2");
    let set = [cs("Data", "AWS::S3::Bucket", "Modify", Some("True"))];
    let p = update_with(BUCKET, &new, Some(&set));
    let info = resource(&p, "Data").replacement.clone().unwrap();
    assert_eq!(info.confirmed, Some(Replacement::Always));
    assert_eq!(info.basis(), Some(Basis::Confirmed));
    let text = render_text(&Plan { stacks: vec![p] }, false);
    assert!(
        text.contains("REPLACE (confirmed by the change set: `BucketName` is create-only)"),
        "{text}"
    );
}

#[test]
fn a_change_set_overrides_a_prediction_and_adds_what_the_diff_missed() {
    let new = BUCKET.replace("app-data", "app-data-v2");
    let set = [
        cs("Data", "AWS::S3::Bucket", "Modify", Some("False")),
        cs("Fn", "AWS::Lambda::Function", "Dynamic", None),
    ];
    let p = update_with(BUCKET, &new, Some(&set));
    let data = resource(&p, "Data");
    let info = data.replacement.as_ref().unwrap();
    assert_eq!(info.predicted, Some(Replacement::Always));
    assert_eq!(info.effective(), Some(Replacement::Never));
    assert_eq!(info.basis(), Some(Basis::Overridden));
    assert!(!data.replaces());
    assert!(
        p.data_risks.is_empty(),
        "the change set says the bucket stays: {:?}",
        p.data_risks
    );
    let f = resource(&p, "Fn");
    assert_eq!(f.action, Action::Dynamic);
    assert!(!f.in_template_diff);
    assert!(f.change_set.is_some());
    let text = render_text(&Plan { stacks: vec![p] }, false);
    assert!(
        text.contains(
            "in place (the change set overrides the prediction: `BucketName` is create-only)"
        ),
        "{text}"
    );
    assert!(text.contains("found by the change set only"), "{text}");
}

#[test]
fn a_change_set_can_reveal_a_replacement_the_diff_did_not_predict() {
    // DynamoDB is not in harden's schemas: the diff cannot predict, the change set can.
    let old = "
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: a}
";
    let new = old.replace("TableName: a", "TableName: b");
    let p = update(old, &new);
    let info = resource(&p, "Table").replacement.clone().unwrap();
    assert_eq!(info.predicted, None);
    assert!(p.data_risks.is_empty());
    let set = [cs("Table", "AWS::DynamoDB::Table", "Modify", Some("True"))];
    let p = update_with(old, &new, Some(&set));
    assert!(resource(&p, "Table").replaces());
    assert!(risk(&p, "Table").loses_data());
}

// ---------------------------------------------------------------- security changes

fn policy(statements: &str) -> String {
    format!(
        "
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
{statements}"
    )
}

#[test]
fn a_new_wildcard_action_broadens() {
    let p = update(
        &policy("        - {Sid: S, Effect: Allow, Action: [s3:GetObject], Resource: 'arn:aws:s3:::b/*'}\n"),
        &policy("        - {Sid: S, Effect: Allow, Action: [s3:GetObject, 's3:*'], Resource: 'arn:aws:s3:::b/*'}\n"),
    );
    let s = security(&p, "adds action `s3:*`");
    assert!(s.broadens);
    assert!(
        s.description.contains("wildcard `s3:*`"),
        "{}",
        s.description
    );
    assert_eq!(s.kind, SecurityKind::PolicyStatement);
    assert_eq!(s.statement.as_ref().unwrap().sid.as_deref(), Some("S"));
    assert!(p.broadens_access());
}

#[test]
fn removing_an_action_narrows() {
    let p = update(
        &policy("        - {Sid: S, Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: '*'}\n"),
        &policy("        - {Sid: S, Effect: Allow, Action: [s3:GetObject], Resource: '*'}\n"),
    );
    let s = security(&p, "removes action `s3:PutObject`");
    assert!(!s.broadens);
    assert!(!p.broadens_access());
}

#[test]
fn a_principal_added_to_a_trust_policy_broadens() {
    let role = |principals: &str| {
        format!(
            "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
        - Sid: Trust
          Effect: Allow
          Principal: {{AWS: [{principals}]}}
          Action: sts:AssumeRole
"
        )
    };
    let p = update(
        &role("'arn:aws:iam::111111111111:root'"),
        &role("'arn:aws:iam::111111111111:root', 'arn:aws:iam::222222222222:root'"),
    );
    let s = security(&p, "adds principal `AWS:arn:aws:iam::222222222222:root`");
    assert!(s.broadens);
    assert!(!s.public);
    // Anyone, with no condition: public.
    let p = update(&role("'arn:aws:iam::111111111111:root'"), &role("'*'"));
    let s = security(&p, "adds principal `*`");
    assert!(s.broadens && s.public);
}

#[test]
fn removing_a_deny_broadens_and_adding_one_narrows() {
    let deny = "        - {Sid: DenyInsecureTransport, Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}\n";
    let allow = "        - {Sid: Read, Effect: Allow, Principal: {AWS: 'arn:aws:iam::111111111111:root'}, Action: s3:GetObject, Resource: '*'}\n";
    let with_deny = policy(&format!("{allow}{deny}"));
    let without = policy(allow);
    let p = update(&with_deny, &without);
    let s = security(&p, "removes Deny statement `DenyInsecureTransport`");
    assert!(s.broadens);
    let p = update(&without, &with_deny);
    let s = security(&p, "adds Deny statement `DenyInsecureTransport`");
    assert!(!s.broadens);
}

#[test]
fn dropping_a_condition_from_an_allow_broadens() {
    let p = update(
        &policy("        - {Sid: S, Effect: Allow, Action: s3:GetObject, Resource: '*', Condition: {StringEquals: {aws:PrincipalOrgID: o-123}}}\n"),
        &policy("        - {Sid: S, Effect: Allow, Action: s3:GetObject, Resource: '*'}\n"),
    );
    let s = security(
        &p,
        "drops condition `StringEquals aws:PrincipalOrgID = o-123`",
    );
    assert!(s.broadens);
    // Loosening: a value added to a StringEquals condition lets more requests match.
    let p = update(
        &policy("        - {Sid: S, Effect: Allow, Action: s3:GetObject, Resource: '*', Condition: {StringEquals: {aws:SourceVpce: [vpce-1]}}}\n"),
        &policy("        - {Sid: S, Effect: Allow, Action: s3:GetObject, Resource: '*', Condition: {StringEquals: {aws:SourceVpce: [vpce-1, vpce-2]}}}\n"),
    );
    let s = security(
        &p,
        "loosens condition `StringEquals aws:SourceVpce` with `vpce-2`",
    );
    assert!(s.broadens);
}

#[test]
fn statements_without_sid_are_matched_by_content() {
    let a = "        - {Effect: Allow, Action: s3:GetObject, Resource: '*'}\n";
    let b = "        - {Effect: Allow, Action: sqs:SendMessage, Resource: 'arn:aws:sqs:eu-west-1:1:q'}\n";
    // Reordered: the same statements, so nothing to report.
    let p = update(&policy(&format!("{a}{b}")), &policy(&format!("{b}{a}")));
    assert!(p.security.is_empty(), "{:?}", p.security);
    // One added.
    let p = update(&policy(a), &policy(&format!("{a}{b}")));
    assert_eq!(p.security.len(), 1);
    assert!(
        p.security[0]
            .description
            .starts_with("adds an unnamed Allow statement"),
        "{}",
        p.security[0].description
    );
}

#[test]
fn attaching_an_administrator_policy_broadens() {
    let role = |arns: &str| {
        format!("
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {{Version: '2012-10-17', Statement: [{{Effect: Allow, Principal: {{Service: ec2.amazonaws.com}}, Action: sts:AssumeRole}}]}}
      ManagedPolicyArns: [{arns}]
")
    };
    let p = update(
        &role(""),
        &role("'arn:aws:iam::aws:policy/AdministratorAccess'"),
    );
    let s = security(&p, "attaches managed policy `arn:aws:iam::aws:policy/AdministratorAccess` (full administrator access)");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::PolicyAttachment);
}

const SG: &str = "
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupEgress:
      - {CidrIp: 127.0.0.1/32, IpProtocol: '-1'}
";

#[test]
fn an_ingress_rule_from_anywhere_is_public() {
    let new = SG.replace(
        "      SecurityGroupEgress:",
        "      SecurityGroupIngress:\n      - {CidrIp: 0.0.0.0/0, IpProtocol: tcp, FromPort: 22, ToPort: 22}\n      SecurityGroupEgress:",
    );
    let p = update(SG, &new);
    let s = security(
        &p,
        "opens ingress tcp port 22 from `0.0.0.0/0` (anyone on the internet)",
    );
    assert!(s.broadens && s.public);
    assert_eq!(s.kind, SecurityKind::NetworkRule);
    let text = render_text(&Plan { stacks: vec![p] }, false);
    assert!(
        text.contains("!! BROADENS, PUBLIC  Sg: opens ingress tcp port 22"),
        "{text}"
    );
    // Closing it again narrows.
    let p = update(&new, SG);
    let s = security(&p, "closes ingress tcp port 22");
    assert!(!s.broadens && !s.public);
}

#[test]
fn standalone_rule_resources_and_default_egress_are_rules_too() {
    let p = update(
        SG,
        &format!("{SG}  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {{GroupId: {{Ref: Sg}}, CidrIpv6: '::/0', IpProtocol: tcp, FromPort: 22, ToPort: 22}}
  Open:
    Type: AWS::EC2::SecurityGroup
    Properties: {{GroupDescription: open}}
"),
    );
    let s = security(
        &p,
        "opens ingress tcp port 22 from `::/0` (anyone on the internet) on `!Ref Sg`",
    );
    assert!(s.public);
    // A new group that declares no egress gets EC2's allow-all egress.
    let s = p.security.iter().find(|s| s.logical_id == "Open").unwrap();
    assert!(
        s.broadens && s.public && s.description.contains("no egress rule"),
        "{}",
        s.description
    );
}

#[test]
fn a_new_group_locked_to_loopback_egress_does_not_broaden() {
    // The egress rule to 127.0.0.1/32 replaces EC2's default allow-all: no traffic leaves.
    let p = update(
        ONLY_TOPIC,
        &format!("{ONLY_TOPIC}{}", SG.trim_start_matches("\nResources:\n")),
    );
    let s = security(&p, "egress all traffic to `127.0.0.1/32`");
    assert!(!s.broadens && !s.public, "{s:?}");
    assert!(!p.broadens_access());
}

#[test]
fn a_public_access_block_flag_turned_off_is_public() {
    let on = "
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
";
    let p = update(
        on,
        &on.replace("BlockPublicPolicy: true", "BlockPublicPolicy: false"),
    );
    assert_eq!(p.security.len(), 1);
    let s = security(
        &p,
        "turns off `PublicAccessBlockConfiguration.BlockPublicPolicy`",
    );
    assert!(s.broadens && s.public);
    assert_eq!(s.kind, SecurityKind::PublicAccess);
    // The whole block removed: every flag that was on goes.
    let p = update(
        on,
        "
Resources:
  Data:
    Type: AWS::S3::Bucket
",
    );
    assert_eq!(
        p.security
            .iter()
            .filter(|s| s.kind == SecurityKind::PublicAccess && s.broadens)
            .count(),
        4
    );
}

#[test]
fn removed_encryption_and_weaker_keys_broaden() {
    let kms = "
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
        - ServerSideEncryptionByDefault: {SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:eu-west-1:1:key/k'}
";
    let p = update(
        kms,
        "
Resources:
  Data:
    Type: AWS::S3::Bucket
",
    );
    let s = security(&p, "removes `BucketEncryption`");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::Encryption);
    let aes = kms.replace(
        "{SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:eu-west-1:1:key/k'}",
        "{SSEAlgorithm: AES256}",
    );
    let p = update(kms, &aes);
    assert!(security(&p, "from `aws:kms` to `AES256`").broadens);
    let key = "
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: true}
";
    let p = update(key, &key.replace("true", "false"));
    assert!(security(&p, "turns off `EnableKeyRotation`").broadens);
}

#[test]
fn shorter_log_retention_and_removed_logging_broaden() {
    let logs = "
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 365}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties: {IsLogging: true, S3BucketName: b}
";
    let p = update(
        logs,
        &logs
            .replace("365", "30")
            .replace("IsLogging: true", "IsLogging: false"),
    );
    let s = security(&p, "shortens `RetentionInDays` from 365 to 30 days");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::LogRetention);
    assert!(security(&p, "turns off `IsLogging`").broadens);
    // Longer retention is no security change.
    let p = update(logs, &logs.replace("365", "3653"));
    assert!(p.security.is_empty(), "{:?}", p.security);
    // The trail removed altogether.
    let p = update(
        logs,
        "
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 365}
",
    );
    let s = security(&p, "removes this trail");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::Logging);
}

// ---------------------------------------------------------------- data at risk

fn bucket_with(attrs: &str) -> String {
    format!(
        "
Resources:
  Keep:
    Type: AWS::SNS::Topic
  Data:
    Type: AWS::S3::Bucket
{attrs}    Properties:
      BucketName: app-data
"
    )
}

const ONLY_TOPIC: &str = "
Resources:
  Keep:
    Type: AWS::SNS::Topic
";

#[test]
fn removing_a_bucket_without_a_deletion_policy_loses_data() {
    let p = update(&bucket_with(""), ONLY_TOPIC);
    let r = risk(&p, "Data");
    assert_eq!((r.cause, r.fate), (Cause::Removed, Fate::Destroyed));
    assert!(!r.policy_explicit);
    assert_eq!(r.policy, "Delete");
    assert!(r.loses_data());
    assert!(p.data_at_risk());
    let text = render_text(&Plan { stacks: vec![p] }, false);
    assert!(
        text.contains(
            "!! DATA LOSS           `Data` (`AWS::S3::Bucket`) is removed and deleted with its data"
        ),
        "{text}"
    );
}

#[test]
fn a_retained_bucket_is_orphaned_not_lost() {
    let p = update(&bucket_with("    DeletionPolicy: Retain\n"), ONLY_TOPIC);
    let r = risk(&p, "Data");
    assert_eq!(r.fate, Fate::Retained);
    assert!(r.policy_explicit);
    assert!(!r.loses_data());
    assert!(!p.data_at_risk());
    assert!(r.description.contains("orphaned"), "{}", r.description);
}

#[test]
fn a_snapshot_policy_keeps_a_snapshot() {
    let db = "
Resources:
  Keep:
    Type: AWS::SNS::Topic
  Db:
    Type: AWS::RDS::DBInstance
    DeletionPolicy: Snapshot
    Properties: {Engine: postgres}
";
    let p = update(db, ONLY_TOPIC);
    let r = risk(&p, "Db");
    assert_eq!(r.fate, Fate::Snapshot);
    assert!(!r.loses_data());
    // Without a policy, a DB instance outside a cluster defaults to Snapshot as well.
    let p = update(
        &db.replace("    DeletionPolicy: Snapshot\n", ""),
        ONLY_TOPIC,
    );
    let r = risk(&p, "Db");
    assert_eq!((r.fate, r.policy_explicit), (Fate::Snapshot, false));
}

#[test]
fn on_replacement_the_desired_update_replace_policy_decides() {
    let old = bucket_with("");
    let retain =
        bucket_with("    UpdateReplacePolicy: Retain\n").replace("app-data", "app-data-v2");
    let p = update(&old, &retain);
    let r = risk(&p, "Data");
    assert_eq!((r.cause, r.fate), (Cause::Replaced, Fate::Retained));
    assert_eq!(r.policy_attribute, "UpdateReplacePolicy");
    assert!(!p.data_at_risk());
    let delete = old.replace("app-data", "app-data-v2");
    let p = update(&old, &delete);
    let r = risk(&p, "Data");
    assert_eq!(r.fate, Fate::Destroyed);
    assert!(r.certain);
    assert_eq!(r.basis, Some(Basis::Predicted));
    assert!(p.data_at_risk());
}

#[test]
fn a_stack_policy_that_denies_the_replacement_blocks_the_loss() {
    let old = bucket_with("");
    let new = old.replace("app-data", "app-data-v2");
    let mut d = deployed(t(&old));
    d.stack_policy = Some(
        parse("Statement:\n- {Effect: Allow, Action: 'Update:*', Principal: '*', Resource: '*'}\n- {Effect: Deny, Action: Update:Replace, Principal: '*', Resource: LogicalResourceId/Data}\n").unwrap(),
    );
    let new = t(&new);
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: d.stack_policy.as_ref(),
    };
    let p = plan_stack(&desired, Some(&d), None);
    let r = risk(&p, "Data");
    assert!(r.blocked_by_stack_policy);
    assert!(!r.loses_data());
    assert!(
        r.description
            .contains("the stack policy denies `Update:Replace`"),
        "{}",
        r.description
    );
}

#[test]
fn stateless_resources_are_no_data_risk() {
    let p = update(
        "
Resources:
  Keep:
    Type: AWS::SNS::Topic
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
",
        ONLY_TOPIC,
    );
    assert!(p.data_risks.is_empty());
}

// ---------------------------------------------------------------- stack-level changes

fn settings_only(change: impl FnOnce(&mut Deployed)) -> StackPlan {
    let new = t(BUCKET);
    let params: IndexMap<String, String> = [("Env".to_string(), "prod".to_string())].into();
    let tags: IndexMap<String, String> = [("team".to_string(), "ml".to_string())].into();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &params,
        tags: &tags,
        termination_protection: true,
        stack_policy: None,
    };
    let mut d = deployed(t(BUCKET));
    d.parameters = params.clone();
    d.tags = tags.clone();
    d.termination_protection = true;
    change(&mut d);
    plan_stack(&desired, Some(&d), None)
}

#[test]
fn settings_that_match_are_no_change() {
    let p = settings_only(|_| {});
    assert_eq!(p.kind, StackKind::NoChanges);
}

#[test]
fn a_parameter_change_alone_is_an_update() {
    let p = settings_only(|d| {
        d.parameters.insert("Env".into(), "staging".into());
    });
    assert_eq!(p.kind, StackKind::Update);
    assert!(p.has_changes());
    assert!(p.resources.is_empty());
    assert_eq!(
        p.stack_changes,
        [StackChange::Parameter {
            name: "Env".into(),
            old: Some("staging".into()),
            new: Some("prod".into()),
            no_echo: false
        }]
    );
}

#[test]
fn a_tag_change_alone_is_an_update() {
    let p = settings_only(|d| {
        d.tags.insert("team".into(), "data".into());
    });
    assert_eq!(p.kind, StackKind::Update);
    assert_eq!(
        p.stack_changes,
        [StackChange::Tag {
            key: "team".into(),
            old: Some("data".into()),
            new: Some("ml".into())
        }]
    );
}

#[test]
fn termination_protection_alone_is_an_update() {
    let p = settings_only(|d| d.termination_protection = false);
    assert_eq!(p.kind, StackKind::Update);
    assert_eq!(
        p.stack_changes,
        [StackChange::TerminationProtection {
            old: false,
            new: true
        }]
    );
}

#[test]
fn parameters_compare_after_defaults_and_hide_no_echo_values() {
    let template = "
Parameters:
  Size: {Type: String, Default: small}
  Secret: {Type: String, NoEcho: true}
Resources:
  Data: {Type: AWS::S3::Bucket}
";
    let new = t(template);
    // Left out: the default applies, which is what is deployed.
    let given: IndexMap<String, String> = [("Secret".to_string(), "s3cr3t-2".to_string())].into();
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &given,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
    };
    let mut d = deployed(t(template));
    d.parameters = [
        ("Size".to_string(), "small".to_string()),
        ("Secret".to_string(), "****".to_string()),
    ]
    .into();
    // CloudFormation masks NoEcho values: they cannot be compared, so they are no change.
    let p = plan_stack(&desired, Some(&d), None);
    assert_eq!(p.kind, StackKind::NoChanges, "{:?}", p.stack_changes);
    // A known NoEcho value that changes is reported without its value.
    d.parameters.insert("Secret".into(), "s3cr3t-1".into());
    let p = plan_stack(&desired, Some(&d), None);
    assert_eq!(
        p.stack_changes,
        [StackChange::Parameter {
            name: "Secret".into(),
            old: Some("****".into()),
            new: Some("****".into()),
            no_echo: true
        }]
    );
    let text = render_text(&Plan { stacks: vec![p] }, false);
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[test]
fn a_changed_parameter_updates_the_resources_that_use_it() {
    let template = "
Parameters:
  Retention: {Type: Number}
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: {Ref: Retention}
";
    let new = t(template);
    let given: IndexMap<String, String> = [("Retention".to_string(), "30".to_string())].into();
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &given,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
    };
    let mut d = deployed(t(template));
    d.parameters = [("Retention".to_string(), "90".to_string())].into();
    let p = plan_stack(&desired, Some(&d), None);
    let logs = resource(&p, "Logs");
    assert_eq!(logs.action, Action::Modify);
    assert_eq!(
        logs.through,
        ["`RetentionInDays` uses parameter `Retention`, whose value changes"]
    );
}

// ---------------------------------------------------------------- formats

#[test]
fn json_has_a_format_version_and_the_verdicts() {
    let p = update(&bucket_with(""), ONLY_TOPIC);
    let v = render_json(&Plan { stacks: vec![p] });
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["data_at_risk"], true);
    assert_eq!(v["stacks"][0]["kind"], "update");
    assert_eq!(v["stacks"][0]["resources"][0]["action"], "remove");
    assert_eq!(v["stacks"][0]["data_risks"][0]["fate"], "destroyed");
}

#[test]
fn markdown_has_a_summary_row_per_stack() {
    let plan = Plan {
        stacks: vec![update(BUCKET, BUCKET), update(&bucket_with(""), ONLY_TOPIC)],
    };
    let md = render_markdown(&plan);
    assert!(
        md.contains("| `app` | no changes | 0 | 0 | 0 | 0 | no | no |"),
        "{md}"
    );
    assert!(
        md.contains("| `app` | update | 0 | 0 | 0 | 1 | no | **yes** |"),
        "{md}"
    );
    assert!(md.contains("<details><summary>Resource changes"), "{md}");
}

/// Regression: in a KMS key policy `Resource: "*"` means the key itself, not every resource,
/// so a key policy statement is not called a wildcard grant.
#[test]
fn key_policy_star_resource_is_not_a_wildcard() {
    let old = "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement: []\n";
    let new = "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n        - Sid: Use\n          Effect: Allow\n          Principal: {Service: logs.amazonaws.com}\n          Action: [kms:Decrypt]\n          Resource: '*'\n";
    let old = harden_blueprints::cfn::parse::parse_template(old).unwrap();
    let new = harden_blueprints::cfn::parse::parse_template(new).unwrap();
    let empty = indexmap::IndexMap::new();
    let desired = harden_plan::Desired {
        name: "s",
        template: &new,
        parameters: &empty,
        tags: &empty,
        termination_protection: false,
        stack_policy: None,
    };
    let deployed = harden_plan::Deployed {
        template: old,
        parameters: empty.clone(),
        tags: empty.clone(),
        termination_protection: false,
        stack_policy: None,
        status: "UPDATE_COMPLETE".into(),
    };
    let plan = harden_plan::plan_stack(&desired, Some(&deployed), None);
    let change = plan
        .security
        .iter()
        .find(|s| s.logical_id == "Key")
        .expect("the grant is reported");
    assert!(change.broadens, "a new grant still broadens access");
    assert!(
        !change.description.contains("wildcard"),
        "{}",
        change.description
    );
}

/// A plan too long for a pull-request comment keeps its summary, risks and the table of
/// resource changes, leaves the value diffs out, and says so.
#[test]
fn markdown_fits_a_pull_request_comment() {
    let big = |c: char| c.to_string().repeat(40_000);
    let old = format!(
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: {}\n",
        big('a')
    );
    let new = format!(
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: {}\n",
        big('b')
    );
    let plan = Plan {
        stacks: vec![update(&old, &new)],
    };
    let md = render_markdown(&plan);
    assert!(
        md.chars().count() <= MARKDOWN_LIMIT,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("| change | `Key` | `AWS::KMS::Key` |"), "{md}");
    assert!(
        md.contains("the value diffs of each resource are left out"),
        "{md}"
    );
    let small = Plan {
        stacks: vec![update(
            "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: a\n",
            "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: b\n",
        )],
    };
    assert!(!render_markdown(&small).contains("left out"));
}
