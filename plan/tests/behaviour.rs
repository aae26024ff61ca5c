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
        removed_by_parameters: &[],
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
        removed_by_parameters: &[],
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
        removed_by_parameters: &[],
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
        drift_status: None,
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
            "in place (CloudFormation's change set updates it without replacement; harden predicted a replacement: `BucketName` is create-only)"
        ),
        "{text}"
    );
    assert!(text.contains("found by the change set only"), "{text}");
}

/// An RDS cluster: not in harden's schemas, so only a change set says what a change replaces.
const CLUSTER: &str = "
Resources:
  Table:
    Type: AWS::RDS::DBCluster
    Properties: {DBClusterIdentifier: a}
";

#[test]
fn a_change_set_can_reveal_a_replacement_the_diff_did_not_predict() {
    // RDS is not in harden's schemas: the diff cannot predict, the change set can.
    let (old, new) = (
        CLUSTER,
        CLUSTER.replace("DBClusterIdentifier: a", "DBClusterIdentifier: b"),
    );
    let p = update(old, &new);
    let info = resource(&p, "Table").replacement.clone().unwrap();
    assert_eq!(info.predicted, None);
    assert!(p.data_risks.is_empty());
    let set = [cs("Table", "AWS::RDS::DBCluster", "Modify", Some("True"))];
    let p = update_with(old, &new, Some(&set));
    assert!(resource(&p, "Table").replaces());
    assert!(risk(&p, "Table").loses_data());
}

/// A change set made after approval (a stack whose imports did not exist when the plan was
/// made) is held to the approved plan: what it does beyond it is named.
#[test]
fn a_later_change_set_is_checked_against_the_approved_plan() {
    let (old, new) = (
        CLUSTER,
        CLUSTER.replace("DBClusterIdentifier: a", "DBClusterIdentifier: b"),
    );
    let approved = update(old, &new);
    let set = [cs("Table", "AWS::RDS::DBCluster", "Modify", Some("True"))];
    let later = update_with(old, &new, Some(&set));
    assert_eq!(
        later.beyond(&approved),
        ["puts the data of `Table` (AWS::RDS::DBCluster) at risk"]
    );
    assert!(later.beyond(&later).is_empty());
    assert!(approved.beyond(&later).is_empty());
}

/// A resource without data that the later change set replaces or removes, where the approved
/// plan did neither, is named too.
#[test]
fn a_later_replacement_or_removal_of_a_stateless_resource_is_beyond_the_approved_plan() {
    let old = "
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: web, VpcId: vpc-1}
  Topic:
    Type: AWS::SNS::Topic
";
    let new = old.replace("VpcId: vpc-1", "VpcId: vpc-1, Tags: [{Key: a, Value: b}]");
    let approved = update(old, &new);
    assert!(!resource(&approved, "Sg").replaces());
    let set = [cs("Sg", "AWS::EC2::SecurityGroup", "Modify", Some("True"))];
    let later = update_with(old, &new, Some(&set));
    assert_eq!(
        later.beyond(&approved),
        ["replaces `Sg` (AWS::EC2::SecurityGroup), which the approved plan did not"]
    );
    let without_topic = new.replace("  Topic:\n    Type: AWS::SNS::Topic\n", "");
    let later = update(old, &without_topic);
    assert_eq!(
        later.beyond(&approved),
        ["removes `Topic` (AWS::SNS::Topic), which the approved plan did not"]
    );
    assert!(later.beyond(&later).is_empty());
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

/// Regression guard: network ACL entries (the data-pipeline's isolated tier) were not read as
/// security changes, so an allow added to an ACL went unreported.
#[test]
fn a_network_acl_allow_added_broadens_and_a_deny_added_narrows() {
    let acl = "
Resources:
  Acl:
    Type: AWS::EC2::NetworkAcl
    Properties: {VpcId: vpc-0123456789abcdef0}
";
    let with = |action: &str, cidr: &str| {
        format!("{acl}  In:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {{NetworkAclId: {{Ref: Acl}}, RuleNumber: 100, Egress: false, RuleAction: {action}, CidrBlock: '{cidr}', Protocol: 6, PortRange: {{From: 5432, To: 5432}}}}
")
    };
    let p = update(acl, &with("allow", "10.0.10.0/24"));
    let s = security(
        &p,
        "opens network ACL ingress tcp port 5432 from `10.0.10.0/24` (rule 100) on `!Ref Acl`",
    );
    assert!(s.broadens && !s.public, "{s:?}");
    assert_eq!(s.kind, SecurityKind::NetworkRule);
    let p = update(acl, &with("allow", "0.0.0.0/0"));
    let s = security(
        &p,
        "opens network ACL ingress tcp port 5432 from `0.0.0.0/0`",
    );
    assert!(s.broadens && s.public, "{s:?}");
    let p = update(acl, &with("deny", "0.0.0.0/0"));
    let s = security(&p, "denies network ACL ingress");
    assert!(!s.broadens && !s.public, "{s:?}");
    let p = update(&with("deny", "0.0.0.0/0"), acl);
    let s = security(&p, "stops denying network ACL ingress");
    assert!(s.broadens, "{s:?}");
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
        removed_by_parameters: &[],
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
        removed_by_parameters: &[],
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
        removed_by_parameters: &[],
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
        removed_by_parameters: &[],
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
        removed_by_parameters: &[],
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

// ---------------------------------------------------------------- removed by a parameter

/// Plans an update from `old` to `new` where the engine found that `removed` go because a
/// parameter is no longer given.
fn update_removing(old: &str, new: &str, removed: &[ParamRemoval]) -> StackPlan {
    let new = t(new);
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
        removed_by_parameters: removed,
    };
    plan_stack(&desired, Some(&deployed(t(old))), None)
}

const ALERTS: &str = "
Resources:
  AlertTopic:
    Type: AWS::SNS::Topic
  RootUseAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: CISBenchmark
      MetricName: RootAccountUsage
      ComparisonOperator: GreaterThanOrEqualToThreshold
      EvaluationPeriods: 1
      Period: 300
      Statistic: Sum
      Threshold: 1
      AlarmActions: [{Ref: AlertTopic}]
  AlertTopicEmailSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      Endpoint: security@example.com
      Protocol: email
      TopicArn: {Ref: AlertTopic}
";

/// `template` without resource `id`: its line and the more-indented lines after it.
fn without(template: &str, id: &str) -> String {
    let head = format!("  {id}:");
    let mut out = String::new();
    let mut skipping = false;
    for line in template.split_inclusive('\n') {
        if line.trim_end() == head {
            skipping = true;
        } else if skipping && !line.starts_with("   ") {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
        }
    }
    assert!(out != template, "fixture has no `{id}`");
    out
}

fn alert_email() -> Vec<ParamRemoval> {
    vec![ParamRemoval {
        parameter: "alert_email".into(),
        previous: "security@example.com".into(),
        resources: vec!["AlertTopicEmailSubscription".into()],
    }]
}

#[test]
fn removals_because_a_parameter_is_no_longer_given_have_their_own_heading() {
    let new = without(ALERTS, "AlertTopicEmailSubscription");
    assert!(!new.contains("AWS::SNS::Subscription"), "{new}");
    let p = update_removing(ALERTS, &new, &alert_email());
    assert_eq!(p.removed_by_parameters, alert_email());
    // The resource stays in the resource list, counted once, as a removal.
    assert_eq!(
        resource(&p, "AlertTopicEmailSubscription").action,
        Action::Remove
    );
    assert_eq!(p.counts().remove, 1);
    // It removes an alarm subscription: the gate weighs it like broadened access.
    let s = security(&p, "removes this alarm subscription");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::Alerting);
    assert_eq!(
        s.description,
        "removes this alarm subscription: `security@example.com` no longer receives the alarms, because parameter `alert_email` is no longer given"
    );
    assert!(p.broadens_access());

    let plan = Plan { stacks: vec![p] };
    let text = render_text(&plan, false);
    let heading = text
        .find("  removed because a parameter is no longer given:\n    `alert_email` (was `security@example.com`):\n      - AlertTopicEmailSubscription  AWS::SNS::Subscription\n      hint: to keep it, give the parameter again: `--param alert_email=security@example.com`\n")
        .unwrap_or_else(|| panic!("{text}"));
    let resources = text.find("  resources:\n").unwrap();
    assert!(
        heading < resources,
        "the heading comes before the other resource changes: {text}"
    );
    assert!(
        text.contains("(removed because parameter `alert_email` is no longer given)"),
        "{text}"
    );
    let md = render_markdown(&plan);
    assert!(
        md.contains("**Removed because a parameter is no longer given**\n\n- `alert_email` (was `security@example.com`): `AlertTopicEmailSubscription` (`AWS::SNS::Subscription`)\n"),
        "{md}"
    );
    let v = render_json(&plan);
    let stack = &v["stacks"][0];
    assert_eq!(
        stack["removed_by_parameters"][0]["parameter"],
        "alert_email"
    );
    assert_eq!(
        stack["removed_by_parameters"][0]["previous"],
        "security@example.com"
    );
    assert_eq!(
        stack["removed_by_parameters"][0]["resources"],
        serde_json::json!(["AlertTopicEmailSubscription"])
    );
    assert_eq!(stack["broadens_access"], true);
    assert_eq!(stack["counts"]["remove"], 1);
}

#[test]
fn a_parameter_removal_lists_only_what_the_plan_removes() {
    // The engine names a resource the deployed stack never had, and one the desired template
    // keeps: neither is removed, so neither is listed, and an entry left empty is dropped.
    let removed = vec![
        ParamRemoval {
            parameter: "alert_email".into(),
            previous: "a@example.com".into(),
            resources: vec!["NeverDeployed".into(), "AlertTopic".into()],
        },
        ParamRemoval {
            parameter: "retention_days".into(),
            previous: "731".into(),
            resources: vec!["AlertTopicEmailSubscription".into(), "Ghost".into()],
        },
    ];
    let p = update_removing(
        ALERTS,
        &without(ALERTS, "AlertTopicEmailSubscription"),
        &removed,
    );
    assert_eq!(
        p.removed_by_parameters,
        [ParamRemoval {
            parameter: "retention_days".into(),
            previous: "731".into(),
            resources: vec!["AlertTopicEmailSubscription".into()],
        }]
    );
    assert!(!render_text(&Plan { stacks: vec![p] }, false).contains("`alert_email`"));
}

#[test]
fn any_resource_removed_because_a_parameter_is_no_longer_given_broadens() {
    // A bucket has no detection job; its removal counts because the parameter took it.
    let p = update_removing(
        &bucket_with("    DeletionPolicy: Retain\n"),
        ONLY_TOPIC,
        &[ParamRemoval {
            parameter: "archive_bucket".into(),
            previous: "yes".into(),
            resources: vec!["Data".into()],
        }],
    );
    let s = security(&p, "because parameter `archive_bucket` is no longer given");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::ParameterRemoval);
    assert!(p.broadens_access());
    // The same removal, with no parameter behind it, is no security change.
    let p = update(&bucket_with("    DeletionPolicy: Retain\n"), ONLY_TOPIC);
    assert!(p.security.is_empty(), "{:?}", p.security);
}

// ---------------------------------------------------------------- removed security controls

/// Each type whose job is detection, alerting, logging or compliance, with properties and
/// the words its removal must say.
const CONTROLS: &[(&str, &str, &str)] = &[
    (
        "AWS::CloudWatch::Alarm",
        "{Namespace: CISBenchmark, MetricName: RootAccountUsage}",
        "removes this alarm: nobody is alerted on `CISBenchmark/RootAccountUsage` any more",
    ),
    (
        "AWS::SNS::Subscription",
        "{Protocol: email, Endpoint: ops@example.com, TopicArn: arn:aws:sns:eu-west-1:1:ops}",
        "removes this subscription: `ops@example.com` no longer receives what topic `arn:aws:sns:eu-west-1:1:ops` publishes",
    ),
    (
        "AWS::Events::Rule",
        "{EventPattern: {source: [aws.guardduty]}, Targets: [{Id: alerts, Arn: arn:aws:sns:eu-west-1:1:alerts}]}",
        "removes this EventBridge rule: events from `aws.guardduty` are no longer sent to its targets",
    ),
    (
        "AWS::Config::ConfigRule",
        "{Source: {Owner: AWS, SourceIdentifier: S3_BUCKET_SSL_REQUESTS_ONLY}}",
        "removes AWS Config rule `S3_BUCKET_SSL_REQUESTS_ONLY`: the resources it checked are no longer evaluated",
    ),
    (
        "AWS::Logs::MetricFilter",
        "{LogGroupName: trail-logs, FilterPattern: '{ $.userIdentity.type = \"Root\" }', MetricTransformations: [{MetricName: RootAccountUsage, MetricNamespace: CISBenchmark, MetricValue: '1'}]}",
        "removes this metric filter: matches in log group `trail-logs` are no longer counted, so the alarms on `RootAccountUsage` stop firing",
    ),
    (
        "AWS::Logs::LogGroup",
        "{LogGroupName: /aws/cloudtrail/trail, RetentionInDays: 365}",
        "removes log group `/aws/cloudtrail/trail`: nothing is logged to it any more",
    ),
    (
        "AWS::SecurityHub::Standard",
        "{StandardsArn: 'arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0'}",
        "removes Security Hub standard `cis-aws-foundations-benchmark/v/3.0.0`: its controls are no longer checked",
    ),
    (
        "AWS::SecurityHub::AutomationRule",
        "{RuleName: nvme-kms-exception, RuleOrder: 1, Description: d, Criteria: {}, Actions: []}",
        "removes Security Hub automation rule `nvme-kms-exception`",
    ),
    (
        "AWS::AccessAnalyzer::Analyzer",
        "{Type: ACCOUNT_UNUSED_ACCESS}",
        "removes this IAM Access Analyzer analyzer: unused access",
    ),
    (
        "AWS::GuardDuty::Detector",
        "{Enable: true}",
        "removes this GuardDuty detector: threat detection stops",
    ),
    (
        "AWS::Config::DeliveryChannel",
        "{S3BucketName: config-bucket}",
        "removes this AWS Config delivery channel",
    ),
    (
        "AWS::CloudTrail::Trail",
        "{IsLogging: true, S3BucketName: b}",
        "removes this trail",
    ),
];

#[test]
fn removing_a_detection_alerting_logging_or_compliance_resource_broadens() {
    for (ty, props, says) in CONTROLS {
        let old = format!("{ONLY_TOPIC}  Control:\n    Type: {ty}\n    Properties: {props}\n");
        let p = update(&old, ONLY_TOPIC);
        let s = p
            .security
            .iter()
            .find(|s| s.logical_id == "Control")
            .unwrap_or_else(|| panic!("removing a `{ty}` is no security change: {:?}", p.security));
        assert!(s.broadens, "{ty}: {s:?}");
        assert!(
            s.description.starts_with(says),
            "{ty}: `{}` does not start with `{says}`",
            s.description
        );
        assert!(p.broadens_access(), "{ty}");
        // Adding one is no broadening.
        let p = update(ONLY_TOPIC, &old);
        assert!(!p.broadens_access(), "adding a `{ty}`: {:?}", p.security);
    }
}

#[test]
fn an_alert_topic_and_its_subscription_say_the_alarms_stop() {
    let p = update(ALERTS, &without(ALERTS, "AlertTopicEmailSubscription"));
    let s = security(&p, "removes this alarm subscription");
    assert!(s.broadens);
    assert!(
        s.description
            .contains("`security@example.com` no longer receives the alarms"),
        "{}",
        s.description
    );
    // A topic no alarm or rule sends to is no control; the alert topic is.
    let p = update(
        &format!("{ONLY_TOPIC}  Other:\n    Type: AWS::SNS::Topic\n"),
        ONLY_TOPIC,
    );
    assert!(p.security.is_empty(), "{:?}", p.security);
    let no_topic = ALERTS.replace(
        "  AlertTopic:\n    Type: AWS::SNS::Topic\n",
        "  Other:\n    Type: AWS::SNS::Topic\n",
    );
    let p = update(ALERTS, &no_topic);
    assert!(
        security(
            &p,
            "removes this alert topic: the alarms and findings sent to it reach nobody"
        )
        .broadens
    );
}

#[test]
fn an_alarm_that_loses_an_action_weakens_alerting() {
    let p = update(
        ALERTS,
        &ALERTS.replace("AlarmActions: [{Ref: AlertTopic}]", "AlarmActions: []"),
    );
    let s = security(
        &p,
        "removes `AlarmActions` entry `!Ref AlertTopic`: the alarm no longer notifies it",
    );
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::Alerting);
    let p = update(
        ALERTS,
        &ALERTS.replace(
            "AlarmActions: [{Ref: AlertTopic}]",
            "AlarmActions: [{Ref: AlertTopic}]\n      ActionsEnabled: false",
        ),
    );
    assert!(security(&p, "turns off `ActionsEnabled`").broadens);
    // Another action added: nothing weakened.
    let p = update(
        ALERTS,
        &ALERTS.replace(
            "AlarmActions: [{Ref: AlertTopic}]",
            "AlarmActions: [{Ref: AlertTopic}, arn:aws:sns:eu-west-1:1:pager]",
        ),
    );
    assert!(!p.broadens_access(), "{:?}", p.security);
}

#[test]
fn a_subscription_whose_endpoint_is_emptied_weakens_alerting() {
    let p = update(
        ALERTS,
        &ALERTS.replace("Endpoint: security@example.com", "Endpoint: ''"),
    );
    let s = security(&p, "empties `Endpoint` (was `security@example.com`)");
    assert!(s.broadens);
    // Through a parameter whose value becomes empty: the template text is the same.
    let template = format!(
        "Parameters:\n  AlertEmail: {{Type: String}}\n{}",
        ALERTS.replace(
            "Endpoint: security@example.com",
            "Endpoint: {Ref: AlertEmail}"
        )
    );
    let new = t(&template);
    let given: IndexMap<String, String> = [("AlertEmail".to_string(), String::new())].into();
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &given,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
        removed_by_parameters: &[],
    };
    let mut d = deployed(t(&template));
    d.parameters = [("AlertEmail".to_string(), "security@example.com".to_string())].into();
    let p = plan_stack(&desired, Some(&d), None);
    assert!(
        security(&p, "empties `Endpoint` (was `security@example.com`)").broadens,
        "{:?}",
        p.security
    );
}

#[test]
fn an_eventbridge_rule_turned_off_or_losing_a_target_weakens_alerting() {
    let rule = "
Resources:
  Findings:
    Type: AWS::Events::Rule
    Properties:
      State: ENABLED
      EventPattern: {source: [aws.securityhub]}
      Targets:
      - {Id: alerts, Arn: arn:aws:sns:eu-west-1:1:alerts}
";
    let p = update(rule, &rule.replace("State: ENABLED", "State: DISABLED"));
    assert!(security(&p, "turns this EventBridge rule off (`State` `DISABLED`)").broadens);
    let p = update(
        rule,
        &rule.replace(
            "Targets:\n      - {Id: alerts, Arn: arn:aws:sns:eu-west-1:1:alerts}\n",
            "Targets: []\n",
        ),
    );
    assert!(
        security(
            &p,
            "removes target `alerts` (`arn:aws:sns:eu-west-1:1:alerts`)"
        )
        .broadens,
        "{:?}",
        p.security
    );
}

#[test]
fn a_guardduty_feature_turned_off_weakens_detection() {
    let detector = "
Resources:
  Detector:
    Type: AWS::GuardDuty::Detector
    Properties:
      Enable: true
      Features:
      - {Name: S3_DATA_EVENTS, Status: ENABLED}
      - Name: RUNTIME_MONITORING
        Status: ENABLED
        AdditionalConfiguration:
        - {Name: EKS_ADDON_MANAGEMENT, Status: ENABLED}
";
    let p = update(
        detector,
        &detector.replace(
            "{Name: S3_DATA_EVENTS, Status: ENABLED}",
            "{Name: S3_DATA_EVENTS, Status: DISABLED}",
        ),
    );
    let s = security(&p, "turns off GuardDuty feature `S3_DATA_EVENTS`");
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::Logging);
    // Left out of the list: off too.
    let p = update(
        detector,
        &detector.replace("      - {Name: S3_DATA_EVENTS, Status: ENABLED}\n", ""),
    );
    assert!(security(&p, "turns off GuardDuty feature `S3_DATA_EVENTS`").broadens);
    let p = update(
        detector,
        &detector.replace(
            "{Name: EKS_ADDON_MANAGEMENT, Status: ENABLED}",
            "{Name: EKS_ADDON_MANAGEMENT, Status: DISABLED}",
        ),
    );
    assert!(
        security(
            &p,
            "turns off GuardDuty setting of feature `RUNTIME_MONITORING`: `EKS_ADDON_MANAGEMENT`"
        )
        .broadens,
        "{:?}",
        p.security
    );
    // Turned back on: a protection added, not broadening.
    let p = update(
        &detector.replace(
            "{Name: S3_DATA_EVENTS, Status: ENABLED}",
            "{Name: S3_DATA_EVENTS, Status: DISABLED}",
        ),
        detector,
    );
    assert!(!security(&p, "turns on GuardDuty feature `S3_DATA_EVENTS`").broadens);
    assert!(!p.broadens_access());
}

#[test]
fn a_type_change_that_drops_a_detection_resource_broadens() {
    let p = update(
        "
Resources:
  Watch:
    Type: AWS::CloudWatch::Alarm
    Properties: {Namespace: AWS/SageMaker, MetricName: Invocation5XXErrors}
",
        "
Resources:
  Watch:
    Type: AWS::SNS::Topic
",
    );
    let s = security(&p, "removes this alarm");
    assert!(s.broadens);
    assert!(
        s.description
            .ends_with("(the logical id now holds a `AWS::SNS::Topic`)"),
        "{}",
        s.description
    );
}

// ---------------------------------------------------------------- counts and body agree

const ENDPOINT: &str = "
Resources:
  EndpointConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
      - {VariantName: primary, ModelName: m, InitialInstanceCount: 1, InstanceType: ml.m5.large}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: {Fn::GetAtt: [EndpointConfig, EndpointConfigName]}
";

/// Regression: when the change set overrode a predicted replacement, the summary said
/// `0 to replace` while the body still said `Endpoint` refers to `EndpointConfig` "which is
/// replaced" (references were followed before the change set's verdict was read). Every
/// form must read the one verdict.
#[test]
fn regression_summary_and_body_agree_when_the_change_set_overrides_a_replacement() {
    let new = ENDPOINT.replace("ml.m5.large", "ml.m5.xlarge");
    let p = update(ENDPOINT, &new);
    assert!(
        resource(&p, "EndpointConfig").replaces(),
        "predicted: create-only"
    );
    assert_eq!(p.counts().replace, 1);

    let set = [cs(
        "EndpointConfig",
        "AWS::SageMaker::EndpointConfig",
        "Modify",
        Some("False"),
    )];
    let p = update_with(ENDPOINT, &new, Some(&set));
    assert_eq!(p.counts().replace, 0);
    let plan = Plan { stacks: vec![p] };
    let text = render_text(&plan, false);
    assert!(
        text.starts_with("stack app: update (0 to add, 1 to change, 0 to replace, 0 to remove)\n"),
        "{text}"
    );
    assert!(!text.contains("which is replaced"), "{text}");
    assert!(!text.contains('±') && !text.contains("REPLACE"), "{text}");
    assert!(
        text.contains("~ EndpointConfig  AWS::SageMaker::EndpointConfig  in place (CloudFormation's change set updates it without replacement; harden predicted a replacement: `ProductionVariants` is create-only)"),
        "{text}"
    );
    let md = render_markdown(&plan);
    assert!(!md.contains("which is replaced"), "{md}");
    assert!(md.contains("| `app` | update | 0 | 1 | 0 | 0 |"), "{md}");
    let v = render_json(&plan);
    let r = &v["stacks"][0]["resources"][0];
    assert_eq!(r["replaces"], false);
    assert_eq!(r["replacement"]["predicted"], "always");
    assert_eq!(r["replacement"]["confirmed"], "never");
    assert_eq!(r["replacement"]["basis"], "overridden");
    assert_eq!(v["stacks"][0]["counts"]["replace"], 0);

    // The other way: CloudFormation replaces what harden thought it updates in place; the
    // resource that refers to it says so, and the count follows.
    let tagged = ENDPOINT.replace(
        "    Properties:\n      ProductionVariants:",
        "    Properties:\n      Tags: [{Key: team, Value: ml}]\n      ProductionVariants:",
    );
    let retagged = tagged.replace("Value: ml", "Value: data");
    let set = [cs(
        "EndpointConfig",
        "AWS::SageMaker::EndpointConfig",
        "Modify",
        Some("True"),
    )];
    let p = update_with(&tagged, &retagged, Some(&set));
    assert_eq!(p.counts().replace, 1);
    assert!(resource(&p, "Endpoint")
        .through
        .iter()
        .any(|t| t == "`EndpointConfigName` refers to `EndpointConfig`, which is replaced"));
    let text = render_text(
        &Plan {
            stacks: vec![p.clone()],
        },
        false,
    );
    let marked = text
        .lines()
        .filter(|l| l.trim_start().starts_with('±'))
        .count();
    assert_eq!(marked, p.counts().replace, "{text}");
}

// ---------------------------------------------------------------- found by the change set only

fn detail(name: &str, source: &str) -> ChangeDetail {
    ChangeDetail {
        attribute: "Properties".into(),
        name: Some(name.into()),
        requires_recreation: Some("Never".into()),
        change_source: Some(source.into()),
        causing_entity: None,
        ..ChangeDetail::default()
    }
}

/// CloudFormation's `CausingEntity` names the cause exactly: it wins over what the template's
/// references suggest.
#[test]
fn the_causing_entity_names_what_a_re_evaluated_entry_refers_to() {
    let template = "
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Other: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  Gateway: {Type: AWS::EC2::InternetGateway}
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Gateway}
";
    let t = parse_template(template).unwrap();
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &t,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
        removed_by_parameters: &[],
    };
    let deployed = Deployed {
        template: t.clone(),
        parameters: none.clone(),
        tags: none.clone(),
        termination_protection: false,
        stack_policy: None,
        status: "UPDATE_COMPLETE".into(),
    };
    let changes = [ChangeSetChange {
        logical_id: "Attach".into(),
        resource_type: "AWS::EC2::VPCGatewayAttachment".into(),
        action: "Modify".into(),
        replacement: Some("False".into()),
        scope: vec!["Properties".into()],
        // No property named: the template alone would point at both `Vpc` and `Gateway`.
        details: vec![ChangeDetail {
            name: None,
            causing_entity: Some("Gateway".into()),
            ..detail("InternetGatewayId", "ResourceReference")
        }],
        drift_status: None,
    }];
    let plan = Plan {
        stacks: vec![plan_stack(&desired, Some(&deployed), Some(&changes))],
    };
    let text = render_text(&plan, false);
    assert!(text.contains("`Gateway`"), "{text}");
    assert!(!text.contains("`Vpc`"), "{text}");
}

#[test]
fn a_change_set_entry_without_a_template_change_says_why_it_is_listed() {
    let template = "
Parameters:
  Env: {Type: String}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Gateway:
    Type: AWS::EC2::InternetGateway
  Attachment:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties:
      VpcId: {Ref: Vpc}
      InternetGatewayId: {Ref: Gateway}
  Name:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Name: {Fn::Sub: '/app/${Env}/vpc'}
      Value: {Fn::GetAtt: [Vpc, VpcId]}
  Threshold:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: '{{resolve:ssm:/app/threshold}}'
";
    // moto lists what nothing changes: a bare `Modify`.
    let mut bare = cs("Gateway", "AWS::EC2::InternetGateway", "Modify", None);
    bare.scope.clear();
    let mut attachment = cs(
        "Attachment",
        "AWS::EC2::VPCGatewayAttachment",
        "Modify",
        Some("False"),
    );
    attachment.details = vec![detail("VpcId", "ResourceReference")];
    let mut name = cs("Name", "AWS::SSM::Parameter", "Modify", Some("False"));
    name.details = vec![detail("Name", "ParameterReference")];
    let mut threshold = cs("Threshold", "AWS::SSM::Parameter", "Dynamic", None);
    threshold.details = vec![detail("Value", "Automatic")];
    let set = [bare, attachment, name, threshold];
    let p = update_with(template, template, Some(&set));
    assert_eq!(
        resource(&p, "Gateway").change_set_only,
        Some(ChangeSetOnly::NoChange)
    );
    assert_eq!(
        resource(&p, "Attachment").change_set_only,
        Some(ChangeSetOnly::References {
            properties: vec!["VpcId".into()],
            resources: vec!["Vpc".into()],
            parameters: vec![],
        })
    );
    let text = render_text(
        &Plan {
            stacks: vec![p.clone()],
        },
        false,
    );
    for says in [
        "found by the change set only: CloudFormation lists it with no change to its properties (it re-evaluates references at deploy time); nothing in its template changes",
        "found by the change set only: CloudFormation lists it because `Vpc`, which it refers to in `VpcId`, changes; its own properties do not",
        "found by the change set only: CloudFormation lists it because parameter `Env`, which it refers to in `Name`, changes; its own properties do not",
        "found by the change set only: CloudFormation re-evaluates it at deploy time (`Value` reads `{{resolve:ssm:/app/threshold}}`); nothing in its template changes, so it changes only if that value did",
    ] {
        assert!(text.contains(says), "missing `{says}` in:\n{text}");
    }
    // A bare "found by the change set only" with nothing after it is gone.
    assert!(
        !text
            .lines()
            .any(|l| l.trim() == "found by the change set only"),
        "{text}"
    );
    let v = render_json(&Plan { stacks: vec![p] });
    let by_id = |id: &str| {
        v["stacks"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["logical_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("Gateway")["change_set_only"]["reason"], "no_change");
    assert_eq!(
        by_id("Attachment")["change_set_only"]["reason"],
        "references"
    );
    assert_eq!(
        by_id("Attachment")["change_set_only"]["refers_to_resources"],
        serde_json::json!(["Vpc"])
    );
    assert_eq!(
        by_id("Name")["change_set_only"]["refers_to_parameters"],
        serde_json::json!(["Env"])
    );
    assert_eq!(
        by_id("Threshold")["change_set_only"]["reason"],
        "re_evaluated"
    );
}

// ---------------------------------------------------------------- waivers

fn waived(waivers: &str) -> String {
    format!(
        "Metadata:\n  harden:\n    Waivers:\n{waivers}Resources:\n  Keep:\n    Type: AWS::SNS::Topic\n"
    )
}

const MULTI_INSTANCE: &str = "    - Control: sagemaker-multi-instance\n      Reason: a pilot needs one instance\n      Parameter: instance_count=1\n";

#[test]
fn a_new_waiver_broadens_and_a_lifted_one_narrows() {
    let p = update(ONLY_TOPIC, &waived(MULTI_INSTANCE));
    assert_eq!(
        p.waivers,
        [Waiver {
            control: "sagemaker-multi-instance".into(),
            reason: "a pilot needs one instance".into(),
            parameter: Some("instance_count=1".into()),
            state: WaiverState::Added,
        }]
    );
    let s = security(
        &p,
        "waives control `sagemaker-multi-instance`: a pilot needs one instance",
    );
    assert!(s.broadens);
    assert_eq!(s.kind, SecurityKind::Waiver);
    assert!(p.broadens_access());
    let plan = Plan { stacks: vec![p] };
    let text = render_text(&plan, false);
    assert!(
        text.contains("  waived controls (switched off on purpose, below the tier):\n    !  new     `sagemaker-multi-instance`: a pilot needs one instance (switched off by `instance_count=1`)\n"),
        "{text}"
    );
    let md = render_markdown(&plan);
    assert!(
        md.contains("- **new** `sagemaker-multi-instance`: a pilot needs one instance (switched off by `instance_count=1`)"),
        "{md}"
    );
    let v = render_json(&plan);
    assert_eq!(
        v["stacks"][0]["waivers"][0]["control"],
        "sagemaker-multi-instance"
    );
    assert_eq!(
        v["stacks"][0]["waivers"][0]["parameter"],
        "instance_count=1"
    );
    assert_eq!(v["stacks"][0]["waivers"][0]["state"], "added");

    // Kept: shown, but no security change (it is deployed already).
    let p = update(&waived(MULTI_INSTANCE), &waived(MULTI_INSTANCE));
    assert_eq!(p.kind, StackKind::NoChanges);
    assert_eq!(p.waivers[0].state, WaiverState::Kept);
    assert!(p.security.is_empty());
    let plan = Plan { stacks: vec![p] };
    assert!(render_text(&plan, false).contains("kept    `sagemaker-multi-instance`"));
    assert!(render_markdown(&plan).contains("- kept `sagemaker-multi-instance`"));

    // Lifted: the control is back, which narrows.
    let p = update(&waived(MULTI_INSTANCE), ONLY_TOPIC);
    assert_eq!(p.waivers[0].state, WaiverState::Removed);
    let s = security(
        &p,
        "no longer waives control `sagemaker-multi-instance`: the control is back",
    );
    assert!(!s.broadens);
    assert!(!p.broadens_access());
}

#[test]
fn a_stack_created_with_a_waiver_broadens() {
    let new = t(&waived(MULTI_INSTANCE));
    let none = IndexMap::new();
    let desired = Desired {
        name: "app",
        template: &new,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
        removed_by_parameters: &[],
    };
    let p = plan_stack(&desired, None, None);
    assert_eq!(p.waivers[0].state, WaiverState::Added);
    assert!(p.broadens_access());
}

#[test]
fn a_waiver_without_a_reason_still_shows_and_one_without_a_control_is_ignored() {
    let p = update(
        ONLY_TOPIC,
        &waived("    - Control: waf-web-acl\n    - Reason: nothing waived here\n"),
    );
    assert_eq!(p.waivers.len(), 1, "{:?}", p.waivers);
    assert_eq!(p.waivers[0].control, "waf-web-acl");
    assert_eq!(p.waivers[0].reason, "(no reason given)");
    assert_eq!(p.waivers[0].parameter, None);
}

/// A change set described with `IncludePropertyValues`: CloudFormation's before and after
/// values are shown per property, and where its change set and harden's diff disagree on a
/// property, the plan says so (JSON lists it with the replacement verdict's disagreement).
#[test]
fn cloudformations_property_values_and_disagreements_are_shown() {
    let old = "
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: team, Value: ml}]
      VersioningConfiguration: {Status: Enabled}
";
    let new = "
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: team, Value: research}]
      VersioningConfiguration: {Status: Enabled}
";
    let mut entry = cs("Data", "AWS::S3::Bucket", "Modify", Some("False"));
    entry.details = vec![
        ChangeDetail {
            attribute: "Properties".into(),
            name: Some("Tags".into()),
            requires_recreation: Some("Never".into()),
            change_source: Some("DirectModification".into()),
            path: Some("/Properties/Tags/0/Value".into()),
            before: Some("\"ml\"".into()),
            after: Some("\"research\"".into()),
            ..ChangeDetail::default()
        },
        ChangeDetail {
            attribute: "Properties".into(),
            name: Some("LifecycleConfiguration".into()),
            requires_recreation: Some("Never".into()),
            change_source: Some("DirectModification".into()),
            ..ChangeDetail::default()
        },
    ];
    let p = update_with(old, new, Some(&[entry]));
    let rc = resource(&p, "Data");
    assert_eq!(rc.cloudformation_values().len(), 1);
    assert_eq!(
        rc.disagreements(),
        ["`LifecycleConfiguration`: CloudFormation changes it, harden's template diff does not"]
    );
    let plan = Plan { stacks: vec![p] };
    let text = render_text(&plan, false);
    assert!(
        text.contains("        CloudFormation: /Properties/Tags/0/Value: \"ml\" -> \"research\"\n"),
        "{text}"
    );
    assert!(
        text.contains("differs: `LifecycleConfiguration`: CloudFormation changes it"),
        "{text}"
    );
    let json = render_json(&plan);
    let r = &json["stacks"][0]["resources"][0]["change_set"];
    assert_eq!(r["details"][0]["after"], "\"research\"");
    assert_eq!(r["disagreements"].as_array().unwrap().len(), 1);
}
