//! The service role's computed policy and the bootstrap stack, over every blueprint at every
//! tier (derived from `harden_blueprints::all()` and `Tier::ALL`).

mod common;

use std::collections::BTreeSet;

use harden_blueprints::audit::audit;
use harden_blueprints::bootstrap::{bootstrap_stack, BootstrapError, BootstrapSpec, GithubCi};
use harden_blueprints::cfn::generated::handlers::HANDLERS;
use harden_blueprints::cfn::policy::PolicyDocument;
use harden_blueprints::cfn::render::to_json;
use harden_blueprints::cfn::Expr;
use harden_blueprints::iam_policy::{
    policy_size, service_role_policy, split, type_actions, wildcard_reason, Arns,
    MANAGED_POLICY_MAX,
};
use harden_blueprints::{StackSpec, Tier};

const HERE: Arns<'static> = Arns::Concrete {
    partition: "aws",
    region: "eu-west-1",
    account: "123456789012",
};

/// Every blueprint's example render at every tier that renders a stack.
fn renders() -> Vec<(String, Vec<StackSpec>)> {
    let mut out = Vec::new();
    for b in harden_blueprints::all() {
        for tier in Tier::ALL {
            let stacks = b.build_example(tier).unwrap();
            if !stacks.is_empty() {
                out.push((format!("{}/{tier}", b.name()), stacks));
            }
        }
    }
    out
}

fn json(doc: &PolicyDocument) -> String {
    to_json(&doc.to_expr().to_node_tree())
}

#[test]
fn no_action_of_any_policy_has_a_wildcard() {
    for h in HANDLERS {
        for a in [h.create, h.read, h.update, h.delete, h.list].concat() {
            assert!(!a.contains('*'), "{}: `{a}`", h.type_name);
        }
    }
    for (case, stacks) in renders() {
        let doc = service_role_policy(&stacks, Arns::Variables).unwrap();
        assert!(!doc.statements.is_empty(), "{case}");
        for st in &doc.statements {
            for a in &st.actions {
                assert!(!a.contains('*'), "{case}: {}: `{a}`", st.sid);
            }
        }
    }
}

#[test]
fn every_action_is_one_a_handler_of_the_stacks_types_needs() {
    for (case, stacks) in renders() {
        let types: BTreeSet<&str> = stacks
            .iter()
            .flat_map(|s| s.template.resources.values().map(|r| r.type_name()))
            .collect();
        let needed: BTreeSet<&str> = types
            .iter()
            .flat_map(|t| type_actions(t).unwrap())
            .collect();
        let doc = service_role_policy(&stacks, Arns::Variables).unwrap();
        let granted: BTreeSet<&str> = doc
            .statements
            .iter()
            .flat_map(|s| s.actions.iter().map(String::as_str))
            .collect();
        assert_eq!(granted, needed, "{case}: granted and needed differ");
    }
}

#[test]
fn the_policy_is_deterministic() {
    for (case, stacks) in renders() {
        let again = &renders().into_iter().find(|(c, _)| *c == case).unwrap().1;
        assert_eq!(
            json(&service_role_policy(&stacks, HERE).unwrap()),
            json(&service_role_policy(again, HERE).unwrap()),
            "{case}"
        );
    }
}

#[test]
fn star_resources_only_with_a_reason_and_concrete_arns_name_the_account() {
    for (case, stacks) in renders() {
        let doc = service_role_policy(&stacks, HERE).unwrap();
        let text = json(&doc);
        assert!(!text.contains("${"), "{case}: a variable is left: {text}");
        for st in &doc.statements {
            let star = st.resources.contains(&Expr::str("*"));
            assert_eq!(
                star,
                wildcard_reason(&st.sid).is_some(),
                "{case}: {}",
                st.sid
            );
            for r in &st.resources {
                let Expr::Str(r) = r else {
                    panic!("{case}: {}: {r:?}", st.sid)
                };
                assert!(
                    r == "*" || r.starts_with("arn:aws:"),
                    "{case}: {}: `{r}`",
                    st.sid
                );
            }
        }
    }
}

#[test]
fn pass_role_names_only_the_stacks_roles_and_the_services_they_trust() {
    let b = harden_blueprints::find("batch-fargate").unwrap();
    let stacks = b.build_example(Tier::Basic).unwrap();
    let doc = service_role_policy(&stacks, HERE).unwrap();
    let st = doc
        .statements
        .iter()
        .find(|s| s.sid == "PassStackRoles")
        .expect("batch-fargate passes roles");
    assert_eq!(st.actions, ["iam:PassRole"]);
    for r in &st.resources {
        let Expr::Str(r) = r else { panic!("{r:?}") };
        assert!(
            stacks
                .iter()
                .any(|s| *r == format!("arn:aws:iam::123456789012:role/{}-*", s.name)),
            "`{r}`"
        );
    }
    let (op, key, services) = &st.conditions[0];
    assert_eq!(
        (op.as_str(), key.as_str()),
        ("StringEquals", "iam:PassedToService")
    );
    let Expr::List(services) = services else {
        panic!()
    };
    assert!(
        services.contains(&Expr::str("ecs-tasks.amazonaws.com")),
        "{services:?}"
    );
    assert!(!services.iter().any(|s| *s == Expr::str("*")));
}

fn spec(stacks: &[StackSpec], tier: Tier, github: Option<GithubCi>) -> BootstrapSpec {
    BootstrapSpec {
        project: "demo".into(),
        service_policy: service_role_policy(stacks, Arns::Variables).unwrap(),
        stacks: stacks.iter().map(|s| s.name.clone()).collect(),
        regions: stacks
            .iter()
            .filter_map(|s| Some((s.name.clone(), s.region.clone()?)))
            .collect(),
        github,
        existing_oidc_provider_arn: None,
        tier,
        stack_sets: None,
    }
}

fn github() -> GithubCi {
    GithubCi {
        repository: "example-org/demo".into(),
        branch: "main".into(),
        environments: vec!["prod".into()],
    }
}

#[test]
fn the_bootstrap_of_every_render_passes_the_audit_and_iams_size_limit() {
    for (case, stacks) in renders() {
        let tier = stacks[stacks.len() - 1]
            .tags
            .get(harden_blueprints::TIER_TAG)
            .unwrap()
            .parse::<Tier>()
            .unwrap();
        let s = bootstrap_stack(&spec(&stacks, tier, Some(github()))).unwrap();
        assert_eq!(s.name, "harden-bootstrap-demo");
        assert_eq!(s.owner(), "harden-bootstrap");
        let node = common::tree(&s);
        assert_eq!(audit(&node), [], "{case}");
        for part in split(
            &spec(&stacks, tier, None).service_policy,
            MANAGED_POLICY_MAX,
        ) {
            assert!(policy_size(&part) <= MANAGED_POLICY_MAX, "{case}");
        }
        for out in [
            "ArtifactBucket",
            "ArtifactKeyArn",
            "ServiceRoleArn",
            "CiRoleArn",
            "PlanRoleArn",
        ] {
            assert!(s.template.outputs.contains_key(out), "{case}: {out}");
        }
    }
}

#[test]
fn only_the_deploy_role_executes_and_neither_deletes_a_stack() {
    let b = harden_blueprints::find("sagemaker-vpc").unwrap();
    let stacks = b.build_example(Tier::Basic).unwrap();
    let s = bootstrap_stack(&spec(&stacks, Tier::Basic, Some(github()))).unwrap();
    let yaml = harden_blueprints::cfn::render::to_yaml(&common::tree(&s));
    let policy = |id: &str| {
        let start = yaml.find(&format!("\n  {id}:\n")).unwrap();
        let rest = &yaml[start + 3..];
        // The policy's own block: up to the next top-level resource.
        let block_end = rest
            .match_indices("\n  ")
            .find(|(i, _)| rest[i + 3..].starts_with(|c: char| c.is_ascii_uppercase()))
            .map_or(rest.len(), |(i, _)| i);
        rest[..block_end].to_string()
    };
    let plan = policy("PlanRolePolicy");
    let deploy = policy("DeployRolePolicy");
    assert!(plan.contains("cloudformation:CreateChangeSet"));
    assert!(!plan.contains("cloudformation:ExecuteChangeSet"), "{plan}");
    assert!(deploy.contains("cloudformation:ExecuteChangeSet"));
    assert!(!yaml.contains("cloudformation:DeleteStack"));
    assert!(deploy.contains("cloudformation:RoleArn"));
}

#[test]
fn ci_roles_trust_github_for_the_branch_pull_requests_and_environments_only() {
    let b = harden_blueprints::find("sagemaker-vpc").unwrap();
    let stacks = b.build_example(Tier::Basic).unwrap();
    let s = bootstrap_stack(&spec(&stacks, Tier::Basic, Some(github()))).unwrap();
    let role = |id: &str| {
        s.template.resources[id]
            .properties
            .as_any()
            .downcast_ref::<harden_blueprints::cfn::generated::iam::Role>()
            .unwrap()
            .assume_role_policy_document
            .clone()
            .unwrap()
    };
    let plan = format!("{:?}", role("PlanRole"));
    let deploy = format!("{:?}", role("DeployRole"));
    assert!(plan.contains("repo:example-org/demo:pull_request"));
    assert!(plan.contains("repo:example-org/demo:ref:refs/heads/main"));
    assert!(!plan.contains("environment:"));
    assert!(deploy.contains("repo:example-org/demo:environment:prod"));
    assert!(!deploy.contains("pull_request"));
    for doc in [plan, deploy] {
        assert!(doc.contains("token.actions.githubusercontent.com:aud"));
        assert!(doc.contains("sts:AssumeRoleWithWebIdentity"));
    }
    // With an existing provider, none is created and the roles name it.
    let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    let mut sp = spec(&stacks, Tier::Basic, Some(github()));
    sp.existing_oidc_provider_arn = Some(arn.into());
    let s = bootstrap_stack(&sp).unwrap();
    assert!(!s.template.resources.contains_key("GithubOidcProvider"));
    assert!(format!("{:?}", s.template.resources["PlanRole"].properties).contains(arn));
}

#[test]
fn bad_bootstrap_input_is_refused_with_the_value_and_a_hint() {
    let b = harden_blueprints::find("sagemaker-vpc").unwrap();
    let stacks = b.build_example(Tier::Basic).unwrap();
    type Change = Box<dyn Fn(&mut BootstrapSpec)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|s| s.project = "Demo".into()), "project `Demo`"),
        (Box::new(|s| s.stacks.clear()), "at least one stack"),
        (
            Box::new(|s| s.github.as_mut().unwrap().repository = "no-slash".into()),
            "GitHub repository `no-slash`",
        ),
        (
            Box::new(|s| s.github.as_mut().unwrap().branch = "release/*".into()),
            "branch `release/*`",
        ),
        (
            Box::new(|s| s.existing_oidc_provider_arn = Some("arn:aws:iam::1:role/x".into())),
            "OIDC provider ARN",
        ),
    ];
    for (change, expected) in cases {
        let mut sp = spec(&stacks, Tier::Basic, Some(github()));
        change(&mut sp);
        let e = bootstrap_stack(&sp).unwrap_err();
        assert!(matches!(e, BootstrapError::Invalid { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(expected), "{msg}");
        assert!(msg.contains("\nhint: "), "{msg}");
    }
}

/// sagemaker-vpc's stacks, with a copy of its workload stack as a stack of `us-west-2` (as a
/// replica stack is).
fn with_a_stack_in_us_west_2() -> Vec<StackSpec> {
    let b = harden_blueprints::find("sagemaker-vpc").unwrap();
    let mut stacks = b.build_example(Tier::Basic).unwrap();
    let mut other = stacks.last().unwrap().clone();
    other.name = "sagemaker-vpc-replica".into();
    other.region = Some("us-west-2".into());
    stacks.insert(0, other);
    stacks
}

#[test]
fn a_stack_of_another_region_gets_statements_of_that_region_only() {
    let stacks = with_a_stack_in_us_west_2();
    let doc = service_role_policy(&stacks, Arns::Variables).unwrap();
    let sids: Vec<&str> = doc.statements.iter().map(|s| s.sid.as_str()).collect();
    // Its own statements, named for the region; one `*` statement for both.
    assert!(sids.contains(&"ManageInThisAccountAndRegion"), "{sids:?}");
    assert!(
        sids.contains(&"ManageInThisAccountAndRegionUsWest2"),
        "{sids:?}"
    );
    assert!(sids.contains(&"ManageStackBucketsUsWest2"), "{sids:?}");
    assert_eq!(
        sids.iter()
            .filter(|s| s.starts_with("NoResourceLevel"))
            .count(),
        1,
        "{sids:?}"
    );
    for st in &doc.statements {
        let text = json(&PolicyDocument::new([st.clone()]));
        if st.sid.ends_with("UsWest2") {
            assert!(!text.contains("${AWS::Region}"), "{text}");
            assert!(!text.contains("sagemaker-vpc-*"), "{text}");
            if st.sid.starts_with("ManageInThisAccountAndRegion") {
                assert!(text.contains(":us-west-2:${AWS::AccountId}"), "{text}");
            }
        } else {
            assert!(!text.contains("us-west-2"), "{}: {text}", st.sid);
            assert!(
                !text.contains("sagemaker-vpc-replica"),
                "{}: {text}",
                st.sid
            );
        }
    }
    // Concrete ARNs name the other region as well.
    let concrete = json(&service_role_policy(&stacks, HERE).unwrap());
    assert!(
        concrete.contains("arn:aws:kms:us-west-2:123456789012:"),
        "{concrete}"
    );
    assert!(
        concrete.contains("arn:aws:kms:eu-west-1:123456789012:"),
        "{concrete}"
    );
}

#[test]
fn the_bootstrap_trusts_and_lets_ci_drive_a_stack_of_another_region_by_its_arn() {
    let stacks = with_a_stack_in_us_west_2();
    let s = bootstrap_stack(&spec(&stacks, Tier::Basic, Some(github()))).unwrap();
    let text = to_json(&common::tree(&s));
    let replica = "arn:${AWS::Partition}:cloudformation:us-west-2:${AWS::AccountId}:stack/sagemaker-vpc-replica/*";
    let home = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/sagemaker-vpc/*";
    // The service role's trust, and the CI roles' stack statements (plan and deploy), name
    // the replica stack in its region and never in the bootstrap's.
    assert!(text.matches(replica).count() >= 3, "{text}");
    assert!(text.matches(home).count() >= 3, "{text}");
    assert!(!text.contains("${AWS::Region}:${AWS::AccountId}:stack/sagemaker-vpc-replica/"));
    assert!(text.contains(
        "arn:${AWS::Partition}:cloudformation:us-west-2:${AWS::AccountId}:changeSet/harden-*/*"
    ));
    assert_eq!(audit(&common::tree(&s)), []);
}

/// Whether `arn` matches the IAM resource pattern `pattern` (`*` any run, `?` one character).
fn arn_like(pattern: &str, arn: &str) -> bool {
    let (p, a): (Vec<char>, Vec<char>) = (pattern.chars().collect(), arn.chars().collect());
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < a.len() {
        if i < p.len() && (p[i] == '?' || p[i] == a[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// Every bucket and role name a stack fixes (the replica buckets and the replication role
/// among them, whose names follow no CloudFormation pattern) is a resource the service role
/// may create, in the stack's own region: a fixed name outside its patterns would fail the
/// deploy as the bootstrap's role.
#[test]
fn the_service_role_may_create_every_bucket_and_role_a_stack_names() {
    use harden_blueprints::cfn::physical::{fixed_names, Place};
    let account = "123456789012";
    let mut replicas = 0;
    for (case, stacks) in renders() {
        let doc = service_role_policy(&stacks, HERE).unwrap();
        for s in &stacks {
            let region = s.region.as_deref().unwrap_or("eu-west-1");
            let place = Place {
                stack_name: &s.name,
                region: Some(region),
                account: Some(account),
                partition: Some("aws"),
            };
            for f in fixed_names(&common::tree(s), &place) {
                let (action, arn) = match f.resource_type.as_str() {
                    "AWS::S3::Bucket" => ("s3:CreateBucket", format!("arn:aws:s3:::{}", f.name)),
                    "AWS::IAM::Role" => (
                        "iam:CreateRole",
                        format!("arn:aws:iam::{account}:role/{}", f.name),
                    ),
                    _ => continue,
                };
                let allowed = doc.statements.iter().any(|st| {
                    st.actions.iter().any(|a| a == action)
                        && st.resources.iter().any(|r| match r {
                            Expr::Str(p) => arn_like(p, &arn),
                            _ => false,
                        })
                });
                assert!(allowed, "{case}: {}: `{action}` on {arn}", s.name);
                replicas += usize::from(s.region.is_some());
            }
        }
    }
    // The replica stacks' buckets and roles were among them.
    assert!(replicas >= 10, "{replicas}");
}

/// A bucket's replication names a role of another stack (the replica stack's): setting it
/// passes that role to S3, so the service role may pass it, to `s3.amazonaws.com`.
#[test]
fn the_service_role_may_pass_the_replication_role_to_s3() {
    let account = "123456789012";
    let mut checked = 0;
    for (case, stacks) in renders() {
        let doc = service_role_policy(&stacks, HERE).unwrap();
        for s in &stacks {
            let text = to_json(&common::tree(s));
            let node: serde_json::Value = serde_json::from_str(&text).unwrap();
            for r in node["Resources"].as_object().unwrap().values() {
                let Some(role) =
                    r["Properties"]["ReplicationConfiguration"]["Role"]["Fn::Sub"].as_str()
                else {
                    continue;
                };
                let arn = role
                    .replace("${AWS::Partition}", "aws")
                    .replace("${AWS::AccountId}", account);
                let allowed = doc.statements.iter().any(|st| {
                    st.actions.iter().any(|a| a == "iam:PassRole")
                        && st.resources.iter().any(|r| match r {
                            Expr::Str(p) => arn_like(p, &arn),
                            _ => false,
                        })
                        && st.conditions.iter().any(|(op, key, v)| {
                            op == "StringEquals"
                                && key == "iam:PassedToService"
                                && to_json(&v.to_node_tree()).contains("\"s3.amazonaws.com\"")
                        })
                });
                assert!(allowed, "{case}: {}: iam:PassRole of {arn} to S3", s.name);
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked}");
}
