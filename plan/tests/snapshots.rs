//! Snapshot tests of the three plan formats on one realistic update of a SageMaker-in-a-VPC
//! stack, beside an account baseline that does not change. The rendered plans are compared
//! byte for byte with the files under `tests/snapshots/`; `HARDEN_BLESS=1 cargo test -p
//! harden-plan` rewrites them after an intended change.

use std::path::PathBuf;

use harden_blueprints::cfn::parse::{parse, parse_template};
use harden_blueprints::cfn::Node;
use harden_plan::{
    plan_stack, render_json, render_markdown, render_stack_set_json, render_stack_set_markdown,
    render_stack_set_text, render_text, ChangeDetail, ChangeSetChange, Deployed, Desired,
    ParamRemoval, Plan, StackSetPlan, TargetKind,
};
use indexmap::IndexMap;

const DEPLOYED: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: SageMaker endpoint in a private VPC (harden, enhanced tier)
Parameters:
  InstanceType:
    Type: String
    Default: ml.m5.large
Resources:
  DataKey:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      Description: Encrypts model artifacts and endpoint logs
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
        - Sid: KeyAdministration
          Effect: Allow
          Principal:
            AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
          Action: kms:*
          Resource: "*"
  ModelBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !Sub "${AWS::StackName}-models"
      BucketEncryption:
        ServerSideEncryptionConfiguration:
        - ServerSideEncryptionByDefault:
            SSEAlgorithm: aws:kms
            KMSMasterKeyID: !GetAtt DataKey.Arn
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
  ModelBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref ModelBucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
        - Sid: DenyInsecureTransport
          Effect: Deny
          Principal: "*"
          Action: s3:*
          Resource:
          - !GetAtt ModelBucket.Arn
          - !Sub "${ModelBucket.Arn}/*"
          Condition:
            Bool:
              aws:SecureTransport: "false"
  UploadsBucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration:
        Status: Enabled
  ExecutionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
        - Sid: TrustSageMaker
          Effect: Allow
          Principal:
            Service: sagemaker.amazonaws.com
          Action: sts:AssumeRole
  ExecutionRolePolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Description: Least-privilege permissions of ExecutionRole
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
        - Sid: ReadModelData
          Effect: Allow
          Action:
          - s3:GetObject
          Resource:
          - !Sub "${ModelBucket.Arn}/*"
          Condition:
            StringEquals:
              aws:ResourceAccount: !Ref AWS::AccountId
      Roles:
      - !Ref ExecutionRole
  EndpointSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: SageMaker endpoint
      VpcId: vpc-0123456789abcdef0
      SecurityGroupEgress:
      - CidrIp: 127.0.0.1/32
        IpProtocol: "-1"
  EndpointConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      KmsKeyId: !Ref DataKey
      ProductionVariants:
      - VariantName: primary
        ModelName: harden-model
        InitialInstanceCount: 1
        InstanceType: !Ref InstanceType
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt EndpointConfig.EndpointConfigName
  EndpointLogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/sagemaker/Endpoints/harden
      RetentionInDays: 365
      KmsKeyId: !GetAtt DataKey.Arn
  EndpointAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Endpoint 5xx errors
      Namespace: AWS/SageMaker
      MetricName: Invocation5XXErrors
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: "{{resolve:ssm:/harden/endpoint-5xx-threshold}}"
      ComparisonOperator: GreaterThanThreshold
      AlarmActions:
      - arn:aws:sns:eu-west-1:111111111111:harden-alerts
  FlowLog:
    Type: AWS::EC2::FlowLog
    Properties:
      ResourceId: vpc-0123456789abcdef0
      ResourceType: VPC
      TrafficType: ALL
      LogDestinationType: s3
      LogDestination: !GetAtt ModelBucket.Arn
  AlertEmailSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      Protocol: email
      Endpoint: security@example.com
      TopicArn: arn:aws:sns:eu-west-1:111111111111:harden-alerts
  HighLatencyAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Endpoint model latency
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      Statistic: Average
      Period: 300
      EvaluationPeriods: 3
      Threshold: 2000000
      ComparisonOperator: GreaterThanThreshold
      AlarmActions:
      - arn:aws:sns:eu-west-1:111111111111:harden-alerts
      OKActions:
      - arn:aws:sns:eu-west-1:111111111111:harden-alerts
  InternetGateway:
    Type: AWS::EC2::InternetGateway
  EndpointNameParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !GetAtt Endpoint.EndpointName
"#;

const DESIRED: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: SageMaker endpoint in a private VPC (harden, enhanced tier)
Metadata:
  harden:
    Waivers:
    - Control: sagemaker-multi-instance
      Reason: a single instance is enough for the pilot
      Parameter: instance_count=1
Parameters:
  InstanceType:
    Type: String
    Default: ml.m5.large
Resources:
  DataKey:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      Description: Encrypts model artifacts and endpoint logs
      EnableKeyRotation: false
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
        - Sid: KeyAdministration
          Effect: Allow
          Principal:
            AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
          Action: kms:*
          Resource: "*"
  ModelBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !Sub "${AWS::StackName}-model-artifacts"
      BucketEncryption:
        ServerSideEncryptionConfiguration:
        - ServerSideEncryptionByDefault:
            SSEAlgorithm: aws:kms
            KMSMasterKeyID: !GetAtt DataKey.Arn
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
  ModelBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref ModelBucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
        - Sid: DenyInsecureTransport
          Effect: Deny
          Principal: "*"
          Action: s3:*
          Resource:
          - !GetAtt ModelBucket.Arn
          - !Sub "${ModelBucket.Arn}/*"
          Condition:
            Bool:
              aws:SecureTransport: "false"
  AlertTopic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref DataKey
  ExecutionRole:
    Type: AWS::IAM::Role
    Metadata:
      harden:
        Controls:
        - least-privilege-role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
        - Sid: TrustSageMaker
          Effect: Allow
          Principal:
            Service: sagemaker.amazonaws.com
          Action: sts:AssumeRole
  ExecutionRolePolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Description: Least-privilege permissions of ExecutionRole
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
        - Sid: ReadModelData
          Effect: Allow
          Action:
          - s3:GetObject
          - s3:PutObject
          Resource:
          - !Sub "${ModelBucket.Arn}/*"
        - Sid: WriteEndpointLogs
          Effect: Allow
          Action:
          - logs:CreateLogStream
          - logs:PutLogEvents
          Resource: "*"
      Roles:
      - !Ref ExecutionRole
  EndpointSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: SageMaker endpoint
      VpcId: vpc-0123456789abcdef0
      SecurityGroupIngress:
      - CidrIp: 0.0.0.0/0
        IpProtocol: tcp
        FromPort: 443
        ToPort: 443
      SecurityGroupEgress:
      - CidrIp: 127.0.0.1/32
        IpProtocol: "-1"
  EndpointConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      KmsKeyId: !Ref DataKey
      ProductionVariants:
      - VariantName: primary
        ModelName: harden-model
        InitialInstanceCount: 1
        InstanceType: !Ref InstanceType
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt EndpointConfig.EndpointConfigName
  EndpointLogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/sagemaker/Endpoints/harden
      RetentionInDays: 30
      KmsKeyId: !GetAtt DataKey.Arn
  EndpointAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Endpoint 5xx errors
      Namespace: AWS/SageMaker
      MetricName: Invocation5XXErrors
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: "{{resolve:ssm:/harden/endpoint-5xx-threshold}}"
      ComparisonOperator: GreaterThanThreshold
      AlarmActions:
      - arn:aws:sns:eu-west-1:111111111111:harden-alerts
  HighLatencyAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Endpoint model latency
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      Statistic: Average
      Period: 300
      EvaluationPeriods: 3
      Threshold: 2000000
      ComparisonOperator: GreaterThanThreshold
      AlarmActions:
      - arn:aws:sns:eu-west-1:111111111111:harden-alerts
  InternetGateway:
    Type: AWS::EC2::InternetGateway
  EndpointNameParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !GetAtt Endpoint.EndpointName
"#;

const BASELINE: &str = r#"
Description: harden account baseline
Metadata:
  harden:
    Waivers:
    - Control: config-recorder
      Reason: the organization's delegated administrator records configuration
Resources:
  Detector:
    Type: AWS::GuardDuty::Detector
    Properties:
      Enable: true
"#;

const STACK_POLICY: &str = r#"
Statement:
- Effect: Allow
  Action: Update:*
  Principal: "*"
  Resource: "*"
- Effect: Deny
  Action:
  - Update:Replace
  - Update:Delete
  Principal: "*"
  Resource:
  - LogicalResourceId/ModelBucket
  - LogicalResourceId/DataKey
"#;

fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn change(id: &str, ty: &str, action: &str, replacement: Option<&str>) -> ChangeSetChange {
    ChangeSetChange {
        logical_id: id.into(),
        resource_type: ty.into(),
        action: action.into(),
        replacement: replacement.map(String::from),
        scope: vec!["Properties".into()],
        details: Vec::new(),
        drift_status: None,
    }
}

fn detail(name: &str, recreation: &str, source: &str) -> ChangeDetail {
    ChangeDetail {
        attribute: "Properties".into(),
        name: Some(name.into()),
        requires_recreation: Some(recreation.into()),
        change_source: Some(source.into()),
        causing_entity: None,
        ..ChangeDetail::default()
    }
}

fn fixture() -> Plan {
    let old = parse_template(DEPLOYED).unwrap();
    let new = parse_template(DESIRED).unwrap();
    let policy: Node = parse(STACK_POLICY).unwrap();
    let params = map(&[("InstanceType", "ml.m5.xlarge")]);
    // `alert_email` was given on the run that deployed the stack, and is not any more.
    let removed = [ParamRemoval {
        parameter: "alert_email".into(),
        previous: "security@example.com".into(),
        resources: vec!["AlertEmailSubscription".into()],
    }];
    let tags = map(&[
        ("harden:blueprint", "sagemaker-vpc"),
        ("CostCenter", "ml-platform"),
    ]);
    let desired = Desired {
        name: "sagemaker-vpc",
        template: &new,
        parameters: &params,
        tags: &tags,
        termination_protection: true,
        stack_policy: Some(&policy),
        removed_by_parameters: &removed,
    };
    let deployed = Deployed {
        template: old,
        parameters: map(&[("InstanceType", "ml.m5.large")]),
        tags: map(&[("harden:blueprint", "sagemaker-vpc")]),
        termination_protection: false,
        stack_policy: None,
        status: "UPDATE_COMPLETE".into(),
    };
    let mut bucket = change("ModelBucket", "AWS::S3::Bucket", "Modify", Some("True"));
    bucket.details = vec![detail("BucketName", "Always", "DirectModification")];
    let mut config = change(
        "EndpointConfig",
        "AWS::SageMaker::EndpointConfig",
        "Modify",
        Some("True"),
    );
    config.details = vec![detail("ProductionVariants", "Always", "ParameterReference")];
    let mut alarm = change(
        "EndpointAlarm",
        "AWS::CloudWatch::Alarm",
        "Dynamic",
        Some("False"),
    );
    alarm.details = vec![detail("Threshold", "Never", "Automatic")];
    let mut parameter = change(
        "EndpointNameParameter",
        "AWS::SSM::Parameter",
        "Modify",
        Some("False"),
    );
    parameter.details = vec![detail("Value", "Never", "ResourceAttribute")];
    let change_set = vec![
        bucket,
        change(
            "ModelBucketPolicy",
            "AWS::S3::BucketPolicy",
            "Modify",
            Some("Conditional"),
        ),
        change("UploadsBucket", "AWS::S3::Bucket", "Remove", None),
        config,
        alarm,
        // What moto lists for resources nothing changes: no replacement, scope or details.
        ChangeSetChange {
            logical_id: "InternetGateway".into(),
            resource_type: "AWS::EC2::InternetGateway".into(),
            action: "Modify".into(),
            ..ChangeSetChange::default()
        },
        parameter,
    ];
    let workload = plan_stack(&desired, Some(&deployed), Some(&change_set));
    assert_eq!(
        workload.removed_by_parameters.len(),
        1,
        "the fixture removes by parameter"
    );

    let baseline = parse_template(BASELINE).unwrap();
    let none = IndexMap::new();
    let baseline_desired = Desired {
        name: "harden-account-baseline",
        template: &baseline,
        parameters: &none,
        tags: &none,
        termination_protection: true,
        stack_policy: None,
        removed_by_parameters: &[],
    };
    let baseline_deployed = Deployed {
        template: baseline.clone(),
        parameters: none.clone(),
        tags: none.clone(),
        termination_protection: true,
        stack_policy: None,
        status: "CREATE_COMPLETE".into(),
    };
    let unchanged = plan_stack(&baseline_desired, Some(&baseline_deployed), None);
    Plan {
        stacks: vec![unchanged, workload],
    }
}

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("HARDEN_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reading `{}`: {e}\nhint: run `HARDEN_BLESS=1 cargo test -p harden-plan` to write it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "`{}` differs from the rendered plan:\n{}\nhint: if the change is intended, run `HARDEN_BLESS=1 cargo test -p harden-plan`",
            path.display(),
            similar::TextDiff::from_lines(&expected, actual)
                .unified_diff()
                .header("expected", "actual")
        );
    }
}

#[test]
fn text_snapshot() {
    check("plan.txt", &render_text(&fixture(), false));
}

#[test]
fn colored_text_snapshot() {
    // Colour repeats the words: stripping the escapes gives the plain text back.
    let colored = render_text(&fixture(), true);
    assert!(colored.contains("\x1b["));
    let mut plain = String::new();
    let mut rest = colored.as_str();
    while let Some(i) = rest.find('\x1b') {
        plain.push_str(&rest[..i]);
        let end = rest[i..].find('m').unwrap();
        rest = &rest[i + end + 1..];
    }
    plain.push_str(rest);
    assert_eq!(plain, render_text(&fixture(), false));
}

#[test]
fn markdown_snapshot() {
    check("plan.md", &render_markdown(&fixture()));
}

#[test]
fn json_snapshot() {
    let mut json = serde_json::to_string_pretty(&render_json(&fixture())).unwrap();
    json.push('\n');
    check("plan.json", &json);
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(
        render_text(&fixture(), false),
        render_text(&fixture(), false)
    );
    assert_eq!(render_markdown(&fixture()), render_markdown(&fixture()));
    assert_eq!(render_json(&fixture()), render_json(&fixture()));
}

/// A deployed stack someone changed by hand: its security group opened to the internet (the
/// plan changes the group, so it would close it again: a security-relevant overwrite) and its
/// bucket's tags edited (untouched by the plan).
fn drifted() -> Plan {
    use harden_plan::drift::{
        mark, DriftStatus, Overwrite, PropertyDrift, ResourceDrift, StackDrift,
    };
    let old = parse_template(
        r#"{"Resources": {
  "WebSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/16"}]}},
  "Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "team", "Value": "ml"}]}}}}"#,
    )
    .unwrap();
    let new = parse_template(
        r#"{"Resources": {
  "WebSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.1.0.0/16"}]}},
  "Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "team", "Value": "ml"}]}}}}"#,
    )
    .unwrap();
    let none = IndexMap::new();
    let desired = Desired {
        name: "web",
        template: &new,
        parameters: &none,
        tags: &none,
        termination_protection: false,
        stack_policy: None,
        removed_by_parameters: &[],
    };
    let deployed = Deployed {
        template: old,
        parameters: none.clone(),
        tags: none.clone(),
        termination_protection: false,
        stack_policy: None,
        status: "UPDATE_COMPLETE".into(),
    };
    let mut sp = plan_stack(&desired, Some(&deployed), None);
    let prop = |ty: &str, path: &str, expected: &str, actual: &str| PropertyDrift {
        path: path.into(),
        expected: Some(expected.into()),
        actual: Some(actual.into()),
        difference: "NOT_EQUAL".into(),
        security: harden_plan::drift::security_relevant(ty, path),
    };
    let mut drift = StackDrift {
        status: DriftStatus::Drifted,
        checked_at: Some("2026-12-01T09:30:00Z".into()),
        detected_now: false,
        resources: vec![
            ResourceDrift {
                logical_id: "WebSg".into(),
                resource_type: "AWS::EC2::SecurityGroup".into(),
                status: "MODIFIED".into(),
                properties: vec![prop(
                    "AWS::EC2::SecurityGroup",
                    "/SecurityGroupIngress/0/CidrIp",
                    "\"10.0.0.0/16\"",
                    "\"0.0.0.0/0\"",
                )],
                overwrite: Overwrite::Untouched,
                effects: Vec::new(),
            },
            ResourceDrift {
                logical_id: "Data".into(),
                resource_type: "AWS::S3::Bucket".into(),
                status: "MODIFIED".into(),
                properties: vec![prop(
                    "AWS::S3::Bucket",
                    "/Tags/0/Value",
                    "\"ml\"",
                    "\"research\"",
                )],
                overwrite: Overwrite::Untouched,
                effects: Vec::new(),
            },
        ],
        note: None,
    };
    harden_plan::drift::assess(&mut drift, &deployed.template);
    mark(&mut drift, &sp);
    sp.drift = Some(drift);
    Plan { stacks: vec![sp] }
}

#[test]
fn a_drifted_stack_shows_its_drift_and_marks_the_security_overwrite_in_every_format() {
    let plan = drifted();
    assert!(plan.overwrites_security_drift());
    let text = render_text(&plan, false);
    assert!(
        text.contains("! `WebSg`") || text.contains("! WebSg"),
        "{text}"
    );
    check("plan-drift.txt", &text);
    check("plan-drift.md", &render_markdown(&plan));
    let mut json = serde_json::to_string_pretty(&render_json(&plan)).unwrap();
    json.push('\n');
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["stacks"][0]["overwrites_security_drift"], true);
    assert_eq!(
        v["stacks"][0]["drift"]["resources"][0]["overwrite"],
        "changed"
    );
    assert_eq!(
        v["stacks"][0]["drift"]["resources"][1]["overwrite"],
        "untouched"
    );
    check("plan-drift.json", &json);
}

/// A stack whose change set CloudFormation refused at creation: its pre-deployment
/// validation's finding, with the template path, comes first on the stack, and is the plan's
/// refusal; a warning and a hook's result follow.
fn refused() -> Plan {
    use harden_plan::validation::{HookResult, PlannedHook, PreDeployment, Validation};
    let mut plan = drifted();
    let sp = &mut plan.stacks[0];
    sp.drift = None;
    sp.pre_deployment = Some(PreDeployment {
        validations: vec![
            Validation {
                name: "AWS::EarlyValidation::ResourceExistenceCheck".into(),
                path: Some("Resources/Data/Properties/BucketName".into()),
                resource: Some("Data".into()),
                reason: "Resource of type AWS::S3::Bucket with identifier web-data already exists"
                    .into(),
                warning: false,
            },
            Validation {
                name: "AWS::EarlyValidation::PropertyValidation".into(),
                path: Some("Resources/WebSg/Properties/GroupDescription".into()),
                resource: Some("WebSg".into()),
                reason: "Description shorter than recommended".into(),
                warning: true,
            },
        ],
        hooks: vec![HookResult {
            hook: "Acme::Security::EncryptionHook".into(),
            status: "HOOK_COMPLETE_SUCCEEDED".into(),
            reason: Some("encryption checked".into()),
            resource: Some("Data".into()),
            warn_only: false,
        }],
        refused: Some(
            "The following hook(s)/validation failed: [AWS::EarlyValidation::ResourceExistenceCheck]"
                .into(),
        ),
        planned: vec![PlannedHook {
            hook: "Acme::Security::PublicAccessHook".into(),
            resource: Some("Data".into()),
            resource_type: Some("AWS::S3::Bucket".into()),
            action: Some("Modify".into()),
            warn_only: false,
        }],
    });
    plan
}

#[test]
fn a_refused_change_set_is_the_first_cause_with_its_template_path_in_every_format() {
    let plan = refused();
    let cause = plan.refusal().unwrap();
    assert!(
        cause.starts_with("CloudFormation's pre-deployment validation refused the change set for stack `web`: validation `AWS::EarlyValidation::ResourceExistenceCheck` (at `Resources/Data/Properties/BucketName`, resource `Data`)"),
        "{cause}"
    );
    let text = render_text(&plan, false);
    let first = text
        .lines()
        .skip_while(|l| !l.starts_with("stack web:"))
        .nth(1)
        .unwrap();
    assert_eq!(
        first,
        "  ! REFUSED by CloudFormation before anything ran: validation `AWS::EarlyValidation::ResourceExistenceCheck` (at `Resources/Data/Properties/BucketName`, resource `Data`): Resource of type AWS::S3::Bucket with identifier web-data already exists"
    );
    check("plan-refused.txt", &text);
    check("plan-refused.md", &render_markdown(&plan));
    let mut json = serde_json::to_string_pretty(&render_json(&plan)).unwrap();
    json.push('\n');
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["refused"], serde_json::Value::String(cause));
    assert_eq!(
        v["stacks"][0]["pre_deployment"]["validations"][0]["path"],
        "Resources/Data/Properties/BucketName"
    );
    check("plan-refused.json", &json);
    assert!(drifted().refusal().is_none());
}

/// Two stack sets (`harden plan --org`): the update of the fixture's template rolled out to
/// OUs (one new region, one region pruned), and the unchanged one over accounts, where an
/// account no longer targeted is listed and kept without `--prune`.
fn stack_sets() -> Vec<StackSetPlan> {
    let plan = fixture();
    let pair = |t: &str, r: &str| (t.to_string(), r.to_string());
    vec![
        StackSetPlan {
            stack: plan.stacks[0].clone(),
            exists: true,
            kind: TargetKind::Account,
            create: vec![],
            update: vec![],
            remove: vec![pair("333333333333", "eu-west-1")],
            prune: false,
        },
        StackSetPlan {
            stack: plan.stacks[1].clone(),
            exists: true,
            kind: TargetKind::Ou,
            create: vec![pair("ou-ab12-cd34ef56", "us-east-1")],
            update: vec![pair("ou-ab12-cd34ef56", "eu-west-1")],
            remove: vec![pair("ou-ab12-cd34ef56", "ap-southeast-2")],
            prune: true,
        },
    ]
}

#[test]
fn stack_set_snapshots_in_the_three_formats() {
    let sets = stack_sets();
    check("stack-set.txt", &render_stack_set_text(&sets, false));
    check("stack-set.md", &render_stack_set_markdown(&sets));
    let mut json = serde_json::to_string_pretty(&render_stack_set_json(&sets)).unwrap();
    json.push('\n');
    check("stack-set.json", &json);
    assert!(sets[1].has_changes() && sets[1].removes_instances());
    assert!(
        !sets[0].has_changes(),
        "an instance kept without --prune is no change"
    );
}
