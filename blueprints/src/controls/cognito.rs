//! A Cognito user pool for a browser application, and its app client.
//!
//! Why each setting:
//! - The password policy is CIS-grade (14 characters and all four character classes, as CIS
//!   AWS Foundations 1.8 asks of IAM passwords, and no reuse of the last 24, as 1.9 does), and
//!   a temporary password lasts one day: an invitation that is not taken up soon stops working.
//! - Accounts are recovered by verified email only: recovery by SMS is open to SIM swapping,
//!   and the seed warns that Cognito's SMS messages stop when the SNS spending quota is reached,
//!   locking everyone out. For the same reason MFA is by TOTP (an authenticator app), never SMS:
//!   offered from enhanced, required at enterprise.
//! - Threat protection (Cognito's adaptive authentication and compromised-credential checks)
//!   logs risks from enhanced (`AUDIT`) and acts on them at enterprise (`ENFORCED`, with a risk
//!   configuration that blocks compromised credentials and asks for MFA as the risk grows). It
//!   needs the Plus feature plan, which those tiers choose; basic takes Essentials, the lowest
//!   plan that keeps a password history.
//! - Deletion protection, no user existence errors (sign-in and recovery answer the same for a
//!   user who does not exist), and sign-up by administrators only unless the blueprint's
//!   parameter asks for self sign-up.
//! - The app client is public (a browser cannot keep a secret): no secret, the authorization
//!   code flow only (the implicit flow is not allowed; the browser sends a PKCE challenge, which
//!   Cognito verifies whenever one was sent), Cognito's own sign-in only, short token lifetimes
//!   that shrink at higher tiers, token revocation, and no direct password sign-in API.
//! - The code flow needs the pool's hosted sign-in pages (`/oauth2/authorize`,
//!   `/oauth2/token`), which live on a user pool domain: a Cognito prefix domain named from the
//!   stack's id, so it is unique without a parameter and needs no certificate.

use crate::cfn::generated::cognito::{
    self, user_pool as up, user_pool_client as upc, user_pool_risk_configuration_attachment as risk,
};
use crate::cfn::{Expr, Handle, RetainPolicy, Template};
use crate::control::Control;
use crate::tier::Tier;

/// The control: the pool and its client, hardened.
pub static COGNITO_USER_POOL: Control = Control {
    id: "cognito-user-pool",
    title: "Cognito user pool with a CIS-grade password policy, deletion protection, recovery by verified email and a public PKCE app client",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &["Cognito.3", "Cognito.6"],
};

/// The control for sign-up by administrators only (no self sign-up).
pub static COGNITO_ADMIN_SIGN_UP: Control = Control {
    id: "cognito-admin-sign-up",
    title: "Cognito users are created by administrators only (self sign-up off)",
    tier: Tier::Basic,
    cis: &[],
    security_hub: &[],
};

/// The control for MFA by TOTP: offered from enhanced, required at enterprise.
pub static COGNITO_MFA: Control = Control {
    id: "cognito-mfa",
    title:
        "Cognito MFA by authenticator app (TOTP), never SMS: optional, then required at enterprise",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &["Cognito.5"],
};

/// The control for threat protection in audit mode (Plus feature plan).
pub static COGNITO_THREAT_AUDIT: Control = Control {
    id: "cognito-threat-protection-audit",
    title: "Cognito threat protection logging sign-in risks (Plus feature plan)",
    tier: Tier::Enhanced,
    cis: &[],
    security_hub: &[],
};

/// The control for threat protection enforced, for standard and custom authentication.
pub static COGNITO_THREAT_ENFORCED: Control = Control {
    id: "cognito-threat-protection-enforced",
    title: "Cognito threat protection enforced: compromised credentials blocked, MFA asked as risk grows",
    tier: Tier::Enterprise,
    cis: &[],
    security_hub: &["Cognito.1", "Cognito.4"],
};

/// What the pool serves.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    /// Logical id prefix: `<id>`, `<id>Client`, `<id>Domain`, `<id>RiskConfiguration`.
    pub id: &'static str,
    /// Whether people may sign themselves up (the blueprint's parameter); off by default.
    pub self_sign_up: bool,
    /// Where the hosted sign-in sends the browser back with the code (https).
    pub callback_urls: Vec<String>,
    /// Where sign-out sends the browser (https).
    pub logout_urls: Vec<String>,
}

/// The pool and what was added with it.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The user pool.
    pub pool: Handle<cognito::UserPool>,
    /// The browser app's client.
    pub client: Handle<cognito::UserPoolClient>,
    /// The hosted sign-in domain.
    pub domain: Handle<cognito::UserPoolDomain>,
}

impl Pool {
    /// `GetAtt Pool.Arn`, for an API Gateway Cognito authoriser.
    pub fn arn(&self) -> Expr {
        self.pool.get_att(cognito::UserPoolAttr::Arn)
    }
}

/// Token lifetimes at a tier: (access and ID tokens in minutes, refresh token in days).
pub fn token_validity(tier: Tier) -> (i64, i64) {
    match tier {
        Tier::Basic => (60, 30),
        Tier::Enhanced => (60, 7),
        Tier::Enterprise => (15, 1),
    }
}

/// The feature plan a tier needs: Plus for threat protection, Essentials otherwise (the
/// lowest plan with password history).
pub fn feature_plan(tier: Tier) -> &'static str {
    if COGNITO_THREAT_AUDIT.on(tier) {
        "PLUS"
    } else {
        "ESSENTIALS"
    }
}

/// `OFF`, `OPTIONAL` or `ON` at a tier.
pub fn mfa_mode(tier: Tier) -> &'static str {
    match tier {
        Tier::Basic => "OFF",
        Tier::Enhanced => "OPTIONAL",
        Tier::Enterprise => "ON",
    }
}

/// `OFF`, `AUDIT` or `ENFORCED` at a tier.
pub fn threat_mode(tier: Tier) -> &'static str {
    if COGNITO_THREAT_ENFORCED.on(tier) {
        "ENFORCED"
    } else if COGNITO_THREAT_AUDIT.on(tier) {
        "AUDIT"
    } else {
        "OFF"
    }
}

/// Adds the pool, its app client, its domain, and at enterprise its risk configuration.
pub fn user_pool(t: &mut Template, tier: Tier, spec: &PoolSpec) -> Pool {
    let mfa = COGNITO_MFA.on(tier);
    let add_ons = COGNITO_THREAT_AUDIT.on(tier).then(|| up::UserPoolAddOns {
        advanced_security_mode: Some(threat_mode(tier).into()),
        advanced_security_additional_flows: COGNITO_THREAT_ENFORCED.on(tier).then(|| {
            up::AdvancedSecurityAdditionalFlows {
                custom_auth_mode: Some("ENFORCED".into()),
            }
        }),
    });
    let pool = t.add(
        spec.id,
        cognito::UserPool {
            user_pool_tier: Some(feature_plan(tier).into()),
            deletion_protection: Some("ACTIVE".into()),
            username_attributes: Some(Expr::strs(["email"])),
            username_configuration: Some(up::UsernameConfiguration {
                case_sensitive: Some(false.into()),
            }),
            auto_verified_attributes: Some(Expr::strs(["email"])),
            user_attribute_update_settings: Some(up::UserAttributeUpdateSettings {
                attributes_require_verification_before_update: Some(Expr::strs(["email"])),
            }),
            account_recovery_setting: Some(up::AccountRecoverySetting {
                recovery_mechanisms: Some(vec![up::RecoveryOption {
                    name: Some("verified_email".into()),
                    priority: Some(1.into()),
                }]),
            }),
            admin_create_user_config: Some(up::AdminCreateUserConfig {
                allow_admin_create_user_only: Some((!spec.self_sign_up).into()),
                ..Default::default()
            }),
            policies: Some(up::Policies {
                password_policy: Some(up::PasswordPolicy {
                    minimum_length: Some(14.into()),
                    require_lowercase: Some(true.into()),
                    require_uppercase: Some(true.into()),
                    require_numbers: Some(true.into()),
                    require_symbols: Some(true.into()),
                    password_history_size: Some(24.into()),
                    temporary_password_validity_days: Some(1.into()),
                }),
                ..Default::default()
            }),
            mfa_configuration: Some(mfa_mode(tier).into()),
            enabled_mfas: mfa.then(|| Expr::strs(["SOFTWARE_TOKEN_MFA"])),
            user_pool_add_ons: add_ons,
            ..Default::default()
        },
    );
    let r = t.res(&pool);
    r.control(&COGNITO_USER_POOL);
    if !spec.self_sign_up {
        r.control(&COGNITO_ADMIN_SIGN_UP);
    }
    if mfa {
        r.control(&COGNITO_MFA);
    }
    if COGNITO_THREAT_AUDIT.on(tier) {
        r.control(&COGNITO_THREAT_AUDIT);
    }
    if COGNITO_THREAT_ENFORCED.on(tier) {
        r.control(&COGNITO_THREAT_ENFORCED);
    }
    // Deletion protection makes a stack deletion fail on an active pool, so the stack lets go
    // of it at every tier instead (a redeploy imports it back); enterprise adds the control.
    t.res(&pool).retain(RetainPolicy::Retain).note(
        "deletion protection is active: a stack deletion keeps the pool (and its users) rather than failing on it",
    );
    super::retain::apply(t, tier, &pool);

    let (short, refresh_days) = token_validity(tier);
    let client = t.add(
        format!("{}Client", spec.id),
        cognito::UserPoolClient {
            user_pool_id: Some(pool.r#ref()),
            generate_secret: Some(false.into()),
            allowed_o_auth_flows_user_pool_client: Some(true.into()),
            allowed_o_auth_flows: Some(Expr::strs(["code"])),
            allowed_o_auth_scopes: Some(Expr::strs(["openid", "email"])),
            supported_identity_providers: Some(Expr::strs(["COGNITO"])),
            callback_ur_ls: Some(Expr::strs(&spec.callback_urls)),
            logout_ur_ls: Some(Expr::strs(&spec.logout_urls)),
            explicit_auth_flows: Some(Expr::strs(["ALLOW_REFRESH_TOKEN_AUTH"])),
            prevent_user_existence_errors: Some("ENABLED".into()),
            enable_token_revocation: Some(true.into()),
            auth_session_validity: Some(3.into()),
            access_token_validity: Some(short.into()),
            id_token_validity: Some(short.into()),
            refresh_token_validity: Some((refresh_days * 24 * 60).into()),
            token_validity_units: Some(upc::TokenValidityUnits {
                access_token: Some("minutes".into()),
                id_token: Some("minutes".into()),
                refresh_token: Some("minutes".into()),
            }),
            read_attributes: Some(Expr::strs(["email", "email_verified"])),
            write_attributes: Some(Expr::strs(["email"])),
            ..Default::default()
        },
    );
    t.res(&client).control(&COGNITO_USER_POOL);

    // The stack id's last part is a UUID: lowercase, unique, and free of the words Cognito
    // refuses in a prefix (`aws`, `amazon`, `cognito`).
    let domain = t.add(
        format!("{}Domain", spec.id),
        cognito::UserPoolDomain {
            user_pool_id: Some(pool.r#ref()),
            domain: Some(Expr::join(
                "",
                [
                    Expr::str("auth-"),
                    Expr::select(
                        2,
                        Expr::Split("/".into(), Box::new(Expr::r#ref("AWS::StackId"))),
                    ),
                ],
            )),
            managed_login_version: Some(1.into()),
            ..Default::default()
        },
    );
    t.res(&domain).control(&COGNITO_USER_POOL).note(
        "the authorization code flow signs in on the pool's hosted pages, served from this prefix domain; version 1 (the classic hosted UI) needs no branding resource",
    );

    if COGNITO_THREAT_ENFORCED.on(tier) {
        let action = |a: &str| risk::AccountTakeoverActionType {
            event_action: Some(a.into()),
            notify: Some(false.into()),
        };
        let rc = t.add(
            format!("{}RiskConfiguration", spec.id),
            cognito::UserPoolRiskConfigurationAttachment {
                user_pool_id: Some(pool.r#ref()),
                client_id: Some("ALL".into()),
                compromised_credentials_risk_configuration: Some(
                    risk::CompromisedCredentialsRiskConfigurationType {
                        actions: Some(risk::CompromisedCredentialsActionsType {
                            event_action: Some("BLOCK".into()),
                        }),
                        event_filter: Some(Expr::strs(["SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"])),
                    },
                ),
                account_takeover_risk_configuration: Some(
                    risk::AccountTakeoverRiskConfigurationType {
                        actions: Some(risk::AccountTakeoverActionsType {
                            low_action: Some(action("MFA_IF_CONFIGURED")),
                            medium_action: Some(action("MFA_REQUIRED")),
                            high_action: Some(action("BLOCK")),
                        }),
                        notify_configuration: None,
                    },
                ),
                ..Default::default()
            },
        );
        t.res(&rc)
            .control(&COGNITO_THREAT_ENFORCED)
            .note("no risk notification emails: they need an SES identity, and the actions do not depend on them");
    }
    Pool {
        pool,
        client,
        domain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{to_node, Node};

    fn spec(self_sign_up: bool) -> PoolSpec {
        PoolSpec {
            id: "UserPool",
            self_sign_up,
            callback_urls: vec!["https://app.example.com/".into()],
            logout_urls: vec!["https://app.example.com/".into()],
        }
    }

    fn props(tier: Tier, self_sign_up: bool, id: &str) -> Node {
        let mut t = Template::new("test");
        user_pool(&mut t, tier, &spec(self_sign_up));
        let node = to_node(&t).expect("renders");
        node.get_path(&["Resources", id, "Properties"])
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    }

    fn s<'a>(n: &'a Node, path: &[&str]) -> Option<&'a Node> {
        n.get_path(path)
    }

    #[test]
    fn password_policy_is_cis_grade_at_every_tier() {
        for tier in Tier::ALL {
            let p = props(tier, false, "UserPool");
            let pp = s(&p, &["Policies", "PasswordPolicy"]).expect("a password policy");
            assert_eq!(
                pp.get_path(&["MinimumLength"]),
                Some(&Node::Int(14)),
                "{tier}"
            );
            for k in [
                "RequireLowercase",
                "RequireUppercase",
                "RequireNumbers",
                "RequireSymbols",
            ] {
                assert_eq!(pp.get_path(&[k]), Some(&Node::Bool(true)), "{tier}: {k}");
            }
            assert_eq!(
                pp.get_path(&["TemporaryPasswordValidityDays"]),
                Some(&Node::Int(1))
            );
            assert_eq!(
                p.get_path(&["DeletionProtection"]),
                Some(&Node::Str("ACTIVE".into()))
            );
        }
    }

    /// MFA is never by SMS (the seed's SMS spending quota lock-out), and its mode rises with
    /// the tier; threat protection needs the Plus plan wherever it is on.
    #[test]
    fn mfa_by_totp_and_threat_protection_by_tier() {
        for (tier, mfa, threat, plan) in [
            (Tier::Basic, "OFF", None, "ESSENTIALS"),
            (Tier::Enhanced, "OPTIONAL", Some("AUDIT"), "PLUS"),
            (Tier::Enterprise, "ON", Some("ENFORCED"), "PLUS"),
        ] {
            let p = props(tier, false, "UserPool");
            assert_eq!(
                p.get_path(&["MfaConfiguration"]),
                Some(&Node::Str(mfa.into()))
            );
            if mfa != "OFF" {
                assert_eq!(
                    p.get_path(&["EnabledMfas"]),
                    Some(&Node::Seq(vec![Node::Str("SOFTWARE_TOKEN_MFA".into())]))
                );
            }
            assert!(p.get_path(&["SmsConfiguration"]).is_none());
            assert_eq!(
                s(&p, &["UserPoolAddOns", "AdvancedSecurityMode"]),
                threat.map(|m| Node::Str(m.into())).as_ref(),
                "{tier}"
            );
            assert_eq!(p.get_path(&["UserPoolTier"]), Some(&Node::Str(plan.into())));
        }
    }

    #[test]
    fn recovery_by_verified_email_only_and_no_self_sign_up_by_default() {
        let p = props(Tier::Basic, false, "UserPool");
        let mech = s(&p, &["AccountRecoverySetting", "RecoveryMechanisms"]).expect("recovery");
        let Node::Seq(items) = mech else {
            panic!("a list")
        };
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].get_path(&["Name"]),
            Some(&Node::Str("verified_email".into()))
        );
        assert_eq!(
            s(&p, &["AdminCreateUserConfig", "AllowAdminCreateUserOnly"]),
            Some(&Node::Bool(true))
        );
        let open = props(Tier::Basic, true, "UserPool");
        assert_eq!(
            s(
                &open,
                &["AdminCreateUserConfig", "AllowAdminCreateUserOnly"]
            ),
            Some(&Node::Bool(false))
        );
    }

    /// The control is recorded only where it holds, so the kit's tier guard sees a self
    /// sign-up parameter remove it.
    #[test]
    fn self_sign_up_drops_the_admin_only_control() {
        let mut t = Template::new("test");
        user_pool(&mut t, Tier::Basic, &spec(true));
        assert!(!t.controls().contains(&COGNITO_ADMIN_SIGN_UP.id));
        let mut t = Template::new("test");
        user_pool(&mut t, Tier::Basic, &spec(false));
        assert!(t.controls().contains(&COGNITO_ADMIN_SIGN_UP.id));
    }

    #[test]
    fn client_is_public_code_flow_with_revocation_and_no_existence_errors() {
        for tier in Tier::ALL {
            let c = props(tier, false, "UserPoolClient");
            assert_eq!(c.get_path(&["GenerateSecret"]), Some(&Node::Bool(false)));
            assert_eq!(
                c.get_path(&["AllowedOAuthFlows"]),
                Some(&Node::Seq(vec![Node::Str("code".into())]))
            );
            assert_eq!(
                c.get_path(&["AllowedOAuthFlowsUserPoolClient"]),
                Some(&Node::Bool(true))
            );
            assert_eq!(
                c.get_path(&["EnableTokenRevocation"]),
                Some(&Node::Bool(true))
            );
            assert_eq!(
                c.get_path(&["PreventUserExistenceErrors"]),
                Some(&Node::Str("ENABLED".into()))
            );
            let (short, days) = token_validity(tier);
            assert_eq!(
                c.get_path(&["AccessTokenValidity"]),
                Some(&Node::Int(short))
            );
            assert_eq!(
                c.get_path(&["RefreshTokenValidity"]),
                Some(&Node::Int(days * 24 * 60))
            );
        }
    }

    #[test]
    fn risk_configuration_only_where_enforced() {
        for tier in Tier::ALL {
            let mut t = Template::new("test");
            user_pool(&mut t, tier, &spec(false));
            assert_eq!(
                t.resources.contains_key("UserPoolRiskConfiguration"),
                tier == Tier::Enterprise
            );
        }
    }
}
