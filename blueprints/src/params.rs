//! Blueprint parameters: what each blueprint accepts, with defaults and validation rules, and
//! the validated values a blueprint builds from. Every error names the parameter and the rule.

use std::fmt;
use std::net::Ipv4Addr;

use indexmap::IndexMap;

/// The rule a parameter's value must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An IPv4 CIDR block in a private range (RFC 1918) with a prefix length in the range.
    PrivateCidr {
        /// Shortest prefix allowed.
        min_prefix: u8,
        /// Longest prefix allowed.
        max_prefix: u8,
    },
    /// An email address.
    Email,
    /// A SageMaker ML instance type, `ml.<family>.<size>`.
    MlInstanceType,
    /// An integer in a range.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// `true` or `false`.
    Bool,
    /// Lowercase letters, digits and hyphens, starting with a letter, `min..=max` long.
    Name {
        /// Shortest length.
        min: usize,
        /// Longest length.
        max: usize,
    },
    /// An `https://` origin for CORS (`https://host[:port]`, no path).
    HttpsOrigin,
    /// An ECR image tag.
    ImageTag,
    /// An S3 object key (no leading slash).
    S3Key,
    /// An AWS region name, like `eu-west-1` or `us-gov-west-1`.
    AwsRegion,
    /// The ARN of a standard (not FIFO) SNS topic.
    SnsTopicArn,
}

impl Kind {
    /// The rule, as told to a user.
    pub fn rule(self) -> String {
        match self {
            Kind::PrivateCidr { min_prefix, max_prefix } => format!(
                "an IPv4 CIDR block in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a prefix from /{min_prefix} to /{max_prefix}, like `10.0.0.0/16`"
            ),
            Kind::Email => "an email address, like `security@example.com`".into(),
            Kind::MlInstanceType => "a SageMaker instance type, like `ml.g5.xlarge`".into(),
            Kind::Int { min, max } => format!("an integer from {min} to {max}"),
            Kind::Bool => "`true` or `false`".into(),
            Kind::Name { min, max } => format!(
                "{min} to {max} lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
            ),
            Kind::HttpsOrigin => "an https origin, like `https://app.example.com`".into(),
            Kind::ImageTag => "an image tag: letters, digits, `_`, `.` or `-`, at most 128".into(),
            Kind::S3Key => "an S3 object key, like `models/model.tar.gz` (no leading `/`)".into(),
            Kind::AwsRegion => "an AWS region name, like `eu-west-1`".into(),
            Kind::SnsTopicArn => "the ARN of a standard SNS topic, like `arn:aws:sns:eu-west-1:123456789012:security-alerts`".into(),
        }
    }

    /// Whether a value follows the rule.
    pub fn accepts(self, v: &str) -> bool {
        self.check(v).is_ok()
    }

    fn check(self, v: &str) -> Result<Value, ()> {
        match self {
            Kind::PrivateCidr {
                min_prefix,
                max_prefix,
            } => {
                let c = Cidr::parse(v).ok_or(())?;
                let private = c.within(Cidr::new([10, 0, 0, 0], 8))
                    || c.within(Cidr::new([172, 16, 0, 0], 12))
                    || c.within(Cidr::new([192, 168, 0, 0], 16));
                if private && (min_prefix..=max_prefix).contains(&c.prefix) {
                    Ok(Value::Cidr(c))
                } else {
                    Err(())
                }
            }
            Kind::Email => {
                let (local, domain) = v.split_once('@').ok_or(())?;
                let ok = !local.is_empty()
                    && local.len() <= 64
                    && local
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
                    && !local.starts_with('.')
                    && !local.ends_with('.')
                    && !local.contains("..")
                    && domain.contains('.')
                    && domain.len() <= 253
                    && domain.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                            && !l.starts_with('-')
                            && !l.ends_with('-')
                    });
                if ok {
                    Ok(Value::Str(v.to_string()))
                } else {
                    Err(())
                }
            }
            Kind::MlInstanceType => {
                let parts: Vec<&str> = v.split('.').collect();
                let ok = parts.len() == 3
                    && parts[0] == "ml"
                    && parts[1..].iter().all(|p| {
                        !p.is_empty()
                            && p.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    })
                    && parts[1].starts_with(|c: char| c.is_ascii_lowercase());
                if ok {
                    Ok(Value::Str(v.to_string()))
                } else {
                    Err(())
                }
            }
            Kind::Int { min, max } => match v.parse::<i64>() {
                Ok(i) if (min..=max).contains(&i) => Ok(Value::Int(i)),
                _ => Err(()),
            },
            Kind::Bool => match v {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(()),
            },
            Kind::Name { min, max } => {
                let ok = (min..=max).contains(&v.len())
                    && v.starts_with(|c: char| c.is_ascii_lowercase())
                    && !v.ends_with('-')
                    && !v.contains("--")
                    && v.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if ok {
                    Ok(Value::Str(v.to_string()))
                } else {
                    Err(())
                }
            }
            Kind::HttpsOrigin => {
                let host = v.strip_prefix("https://").ok_or(())?;
                let (name, port) = match host.split_once(':') {
                    Some((n, p)) => (n, Some(p)),
                    None => (host, None),
                };
                let ok = !name.is_empty()
                    && name.split('.').all(|l| {
                        !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    })
                    && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
                if ok {
                    Ok(Value::Str(v.to_string()))
                } else {
                    Err(())
                }
            }
            Kind::ImageTag => {
                let ok = !v.is_empty()
                    && v.len() <= 128
                    && v.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if ok {
                    Ok(Value::Str(v.to_string()))
                } else {
                    Err(())
                }
            }
            Kind::S3Key => {
                let ok = !v.is_empty()
                    && v.len() <= 1024
                    && !v.starts_with('/')
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!-_.*'()/".contains(c));
                if ok {
                    Ok(Value::Str(v.to_string()))
                } else {
                    Err(())
                }
            }
            Kind::AwsRegion => is_region(v).then(|| Value::Str(v.to_string())).ok_or(()),
            Kind::SnsTopicArn => SnsTopicArn::parse(v)
                .map(|_| Value::Str(v.to_string()))
                .ok_or(()),
        }
    }
}

/// Whether `v` is shaped like an AWS region name: a two-letter area, an optional partition
/// marker (`gov`, `iso`, `isob`...), a compass direction and a number (`eu-west-1`,
/// `us-gov-west-1`, `ap-southeast-4`, `cn-northwest-1`). Checked by shape, not against a
/// list, so regions AWS opens later are accepted.
pub fn is_region(v: &str) -> bool {
    const DIRECTIONS: &[&str] = &[
        "central",
        "east",
        "north",
        "northeast",
        "northwest",
        "south",
        "southeast",
        "southwest",
        "west",
    ];
    let parts: Vec<&str> = v.split('-').collect();
    let (area, marker, direction, number) = match parts.as_slice() {
        [a, d, n] => (*a, None, *d, *n),
        [a, m, d, n] => (*a, Some(*m), *d, *n),
        _ => return false,
    };
    area.len() == 2
        && area.chars().all(|c| c.is_ascii_lowercase())
        && marker.is_none_or(|m| {
            m == "gov" || (m.starts_with("iso") && m.chars().all(|c| c.is_ascii_lowercase()))
        })
        && DIRECTIONS.contains(&direction)
        && (1..=2).contains(&number.len())
        && number.chars().all(|c| c.is_ascii_digit())
        && !number.starts_with('0')
}

/// A validated SNS topic ARN, split into the parts harden reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnsTopicArn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`...
    pub partition: &'a str,
    /// The topic's region: alarms and EventBridge rules publish only to a topic in their own.
    pub region: &'a str,
    /// The 12-digit account that owns the topic.
    pub account: &'a str,
    /// The topic name.
    pub name: &'a str,
}

impl<'a> SnsTopicArn<'a> {
    /// Parses `arn:<partition>:sns:<region>:<account>:<name>`. FIFO topics (`.fifo`) are
    /// refused: the alerts are standard notifications, without a message group.
    pub fn parse(v: &'a str) -> Option<SnsTopicArn<'a>> {
        let parts: Vec<&str> = v.split(':').collect();
        let [arn, partition, service, region, account, name] = parts.as_slice() else {
            return None;
        };
        let partition_ok = *partition == "aws"
            || partition.strip_prefix("aws-").is_some_and(|p| {
                !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            });
        let ok = *arn == "arn"
            && partition_ok
            && *service == "sns"
            && is_region(region)
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && (1..=256).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        ok.then_some(SnsTopicArn {
            partition,
            region,
            account,
            name,
        })
    }
}

/// One parameter a blueprint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// The key users pass (`--param vpc_cidr=10.0.0.0/16`).
    pub name: &'static str,
    /// What it sets.
    pub description: &'static str,
    /// The rule its value follows.
    pub kind: Kind,
    /// The value used when none is given; `None` for an optional parameter with no value.
    pub default: Option<&'static str>,
}

/// A validated parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text.
    Str(String),
    /// An integer.
    Int(i64),
    /// A flag.
    Bool(bool),
    /// An IPv4 CIDR block.
    Cidr(Cidr),
}

/// A parameter problem: unknown, or a value that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// A key the blueprint does not have.
    #[error("unknown parameter `{name}` for blueprint `{blueprint}`\nhint: its parameters are {}", fmt_list(.allowed))]
    Unknown {
        /// The key given.
        name: String,
        /// The blueprint.
        blueprint: String,
        /// The keys it has.
        allowed: Vec<&'static str>,
    },
    /// A value that breaks the parameter's rule.
    #[error("invalid value `{value}` for parameter `{name}`: it must be {rule}")]
    Invalid {
        /// The key.
        name: String,
        /// The value given.
        value: String,
        /// The rule, in words.
        rule: String,
    },
    /// A value given twice.
    #[error("parameter `{0}` is given more than once")]
    Repeated(String),
}

fn fmt_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The validated parameters of one blueprint: every declared parameter with its value (the
/// given one, else the default), or absent for an optional one not given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params {
    values: IndexMap<&'static str, Value>,
}

impl Params {
    /// Validates raw `key=value` pairs against the specs and fills in defaults.
    pub fn resolve(
        blueprint: &str,
        specs: &[ParamSpec],
        given: &[(String, String)],
    ) -> Result<Params, ParamError> {
        let mut values = IndexMap::new();
        for (i, (k, _)) in given.iter().enumerate() {
            if given[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(ParamError::Repeated(k.clone()));
            }
            if !specs.iter().any(|s| s.name == k) {
                return Err(ParamError::Unknown {
                    name: k.clone(),
                    blueprint: blueprint.to_string(),
                    allowed: specs.iter().map(|s| s.name).collect(),
                });
            }
        }
        for spec in specs {
            let raw = given
                .iter()
                .find(|(k, _)| k == spec.name)
                .map(|(_, v)| v.as_str())
                .or(spec.default);
            if let Some(raw) = raw {
                let v = spec.kind.check(raw).map_err(|()| ParamError::Invalid {
                    name: spec.name.to_string(),
                    value: raw.to_string(),
                    rule: spec.kind.rule(),
                })?;
                values.insert(spec.name, v);
            }
        }
        Ok(Params { values })
    }

    /// A text or address value.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// An integer value.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// A flag (absent counts as false).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.values.get(name), Some(Value::Bool(true)))
    }

    /// A CIDR value.
    pub fn cidr(&self, name: &str) -> Option<Cidr> {
        match self.values.get(name) {
            Some(Value::Cidr(c)) => Some(*c),
            _ => None,
        }
    }
}

/// An IPv4 CIDR block, normalised (host bits must be zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: Ipv4Addr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    fn new(octets: [u8; 4], prefix: u8) -> Cidr {
        Cidr {
            addr: Ipv4Addr::from(octets),
            prefix,
        }
    }

    /// Parses `a.b.c.d/n`; host bits set is not a block.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = s.split_once('/')?;
        let addr: Ipv4Addr = a.parse().ok()?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = p.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        let c = Cidr { addr, prefix };
        (u32::from(addr) & !c.mask() == 0).then_some(c)
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    /// Whether this block lies inside `outer`.
    pub fn within(self, outer: Cidr) -> bool {
        self.prefix >= outer.prefix && u32::from(self.addr) & outer.mask() == u32::from(outer.addr)
    }

    /// The `index`th sub-block of prefix length `prefix`.
    pub fn subnet(self, prefix: u8, index: u32) -> Option<Cidr> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let count = 1u64 << (prefix - self.prefix);
        if u64::from(index) >= count {
            return None;
        }
        let size = 1u64 << (32 - prefix);
        let base = u64::from(u32::from(self.addr)) + u64::from(index) * size;
        Some(Cidr {
            addr: Ipv4Addr::from(base as u32),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_rejects_host_bits_and_bad_prefixes() {
        assert!(Cidr::parse("10.0.0.0/16").is_some());
        assert!(Cidr::parse("10.0.0.1/16").is_none());
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.0").is_none());
        assert!(Cidr::parse("10.0.0/16").is_none());
        assert!(Cidr::parse("10.0.0.0/+8").is_none());
    }

    #[test]
    fn subnets_are_carved_in_order() {
        let c = Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(c.subnet(24, 10).unwrap().to_string(), "10.0.10.0/24");
        assert!(c.subnet(24, 256).is_none());
        assert!(c.subnet(8, 0).is_none());
    }

    #[test]
    fn private_cidr_rule_rejects_public_ranges() {
        let k = Kind::PrivateCidr {
            min_prefix: 16,
            max_prefix: 20,
        };
        assert!(k.check("10.1.0.0/16").is_ok());
        assert!(k.check("172.31.0.0/16").is_ok());
        assert!(k.check("8.8.0.0/16").is_err());
        assert!(k.check("172.32.0.0/16").is_err());
        assert!(k.check("10.0.0.0/24").is_err());
    }

    #[test]
    fn email_rule() {
        assert!(Kind::Email.check("sec@example.com").is_ok());
        for bad in [
            "sec",
            "@example.com",
            "sec@example",
            "a..b@example.com",
            "sec@-x.com",
            "a b@x.com",
        ] {
            assert!(Kind::Email.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn region_rule_accepts_every_shape_of_region_name_and_rejects_typos() {
        for ok in [
            "us-east-1",
            "eu-west-3",
            "ap-southeast-4",
            "eu-central-2",
            "il-central-1",
            "cn-northwest-1",
            "us-gov-west-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
        ] {
            assert!(Kind::AwsRegion.accepts(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "us-easy-1",
            "US-EAST-1",
            "us-east-01",
            "us-east-1a",
            "useast1",
            "usa-east-1",
            "us-foo-east-1",
            "us-east-1-",
            "us-east-123",
        ] {
            assert!(!Kind::AwsRegion.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn topic_arn_rule_takes_standard_topics_and_reads_their_region() {
        let arn = SnsTopicArn::parse("arn:aws:sns:eu-west-1:123456789012:security-alerts")
            .expect("a topic ARN");
        assert_eq!(arn.region, "eu-west-1");
        assert_eq!(arn.account, "123456789012");
        assert!(Kind::SnsTopicArn.accepts("arn:aws-us-gov:sns:us-gov-west-1:123456789012:a_b-C"));
        assert!(Kind::SnsTopicArn.accepts("arn:aws-cn:sns:cn-north-1:123456789012:alerts"));
        for bad in [
            "arn:aws:sns:eu-west-1:123456789012:alerts.fifo",
            "arn:aws:sqs:eu-west-1:123456789012:alerts",
            "arn:aws:sns:eu-west-1:12345678901:alerts",
            "arn:aws:sns:eu-west-1:123456789012:",
            "arn:aws:sns:europe:123456789012:alerts",
            "arn:aws:sns:eu-west-1:123456789012:alerts:sub-id",
            "arn:azure:sns:eu-west-1:123456789012:alerts",
            "security-alerts",
        ] {
            assert!(!Kind::SnsTopicArn.accepts(bad), "{bad}");
        }
        let long = format!("arn:aws:sns:eu-west-1:123456789012:{}", "a".repeat(257));
        assert!(!Kind::SnsTopicArn.accepts(&long));
    }

    #[test]
    fn errors_name_the_parameter_and_the_rule() {
        let specs = [ParamSpec {
            name: "vpc_cidr",
            description: "",
            kind: Kind::PrivateCidr {
                min_prefix: 16,
                max_prefix: 20,
            },
            default: Some("10.0.0.0/16"),
        }];
        let err =
            Params::resolve("x", &specs, &[("vpc_cidr".into(), "10.0.0.0/33".into())]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`vpc_cidr`") && msg.contains("prefix from /16 to /20"),
            "{msg}"
        );
        let err = Params::resolve("x", &specs, &[("vpc".into(), "1".into())]).unwrap_err();
        assert!(
            err.to_string().contains("its parameters are `vpc_cidr`"),
            "{err}"
        );
    }
}
