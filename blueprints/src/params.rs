//! Blueprint parameters: what each blueprint accepts, with defaults and validation rules, and
//! the validated values a blueprint builds from. Every error names the parameter, the value and the
//! rule, and says what is wrong with the value where the rule alone would not make it plain.

use std::fmt;
use std::net::Ipv4Addr;

use indexmap::IndexMap;

#[rustfmt::skip]
mod instance_types;

pub use instance_types::PRODUCTION_VARIANT_INSTANCE_TYPES;

pub mod rules;

pub use rules::{AnyRule, Rule};

/// Why a value breaks its rule, beyond the rule itself: a specific problem and what to do.
#[derive(Debug, Default)]
pub struct Rejection {
    pub(crate) problem: Option<String>,
    pub(crate) hint: Option<String>,
}

/// A value that breaks the rule, with nothing to add to the rule's own words.
pub(crate) const BREAKS: Rejection = Rejection {
    problem: None,
    hint: None,
};

impl Rejection {
    /// A value that breaks the rule in this particular way.
    pub fn problem(problem: impl Into<String>) -> Rejection {
        Rejection {
            problem: Some(problem.into()),
            hint: None,
        }
    }

    /// What to do instead.
    pub fn hint(mut self, hint: impl Into<String>) -> Rejection {
        self.hint = Some(hint.into());
        self
    }
}

/// Whether `v` is an Amazon ECR repository name (ECR's `repositoryName` rule).
pub(crate) fn is_ecr_repository(v: &str) -> bool {
    // Each `/`-separated component is `[a-z0-9]+(?:[._-][a-z0-9]+)*`: runs of lowercase
    // letters and digits with one separator between runs.
    (2..=256).contains(&v.len())
        && v.split('/').all(|component| {
            component.split(['.', '_', '-']).all(|run| {
                !run.is_empty()
                    && run
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
        })
}

/// How an image is picked from its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// A tag: a name the repository's owner can point at another image, unless the
    /// repository's tags are immutable.
    Tag(String),
    /// A content digest, `sha256:` and 64 lowercase hex digits: always the same image.
    Digest(String),
}

impl ImageRef {
    /// Parses a tag or a digest ([`Kind::ImageRef`]'s rule).
    pub fn parse(v: &str) -> Option<ImageRef> {
        if let Some(hex) = v.strip_prefix("sha256:") {
            let ok = hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            return ok.then(|| ImageRef::Digest(v.to_string()));
        }
        let ok = !v.is_empty()
            && v.len() <= 128
            && v.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        ok.then(|| ImageRef::Tag(v.to_string()))
    }

    /// Whether it is a digest.
    pub fn is_digest(&self) -> bool {
        matches!(self, ImageRef::Digest(_))
    }

    /// The tag or digest as written.
    pub fn as_str(&self) -> &str {
        match self {
            ImageRef::Tag(s) | ImageRef::Digest(s) => s,
        }
    }
}

impl fmt::Display for ImageRef {
    /// As it follows a repository name in an image URI: `:tag` or `@sha256:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageRef::Tag(t) => write!(f, ":{t}"),
            ImageRef::Digest(d) => write!(f, "@{d}"),
        }
    }
}

/// A full Amazon ECR image URI, taken apart: `ACCOUNT.dkr.ecr.REGION.DOMAIN/REPOSITORY` and a
/// tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    /// The registry's account: 12 digits.
    pub account: String,
    /// The registry's region.
    pub region: String,
    /// `amazonaws.com`, or `amazonaws.com.cn` in the China regions.
    pub domain: String,
    /// The repository name, namespaces included.
    pub repository: String,
    /// The tag or digest.
    pub reference: ImageRef,
}

impl EcrImage {
    /// Parses a URI that follows [`Kind::EcrImageUri`]'s rule.
    pub fn parse(v: &str) -> Option<EcrImage> {
        parse_ecr_image(v).ok()
    }
}

impl fmt::Display for EcrImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.dkr.ecr.{}.{}/{}{}",
            self.account, self.region, self.domain, self.repository, self.reference
        )
    }
}

/// SageMaker's limit on a container's `Image`.
pub const IMAGE_URI_MAX: usize = 255;

pub(crate) fn parse_ecr_image(v: &str) -> Result<EcrImage, Rejection> {
    if v.len() > IMAGE_URI_MAX {
        return Err(Rejection::problem(format!(
            "it is {} characters long, and SageMaker takes at most {IMAGE_URI_MAX}",
            v.len()
        )));
    }
    if v.contains("://") {
        return Err(
            Rejection::problem("an image URI has no scheme").hint(format!(
                "drop the scheme: `{}`",
                shown(v.split_once("://").map_or(v, |(_, rest)| rest))
            )),
        );
    }
    let (host, path) = v
        .split_once('/')
        .ok_or_else(|| Rejection::problem("it names no repository after the registry"))?;
    let Some((account, region, domain)) = parse_ecr_host(host) else {
        if host.contains(".dkr.ecr") {
            return Err(Rejection::problem(format!(
                "`{}` is not an Amazon ECR private registry host, `ACCOUNT.dkr.ecr.REGION.amazonaws.com` with a 12-digit account",
                shown(host)
            )));
        }
        return Err(Rejection::problem(format!(
            "`{}` is not an Amazon ECR private registry: SageMaker pulls images from ECR (`RepositoryAccessMode: Platform`); any other registry needs `RepositoryAccessMode: Vpc` and a route from the model's private subnets to that registry, and this blueprint gives the model no route out of its VPC",
            shown(host)
        ))
        .hint("copy the image into an ECR repository in the endpoint's region (`docker push`, or an ECR pull-through cache rule for a public registry) and pass that URI, with its digest"));
    };
    let (repository, reference) = if let Some((repo, digest)) = path.rsplit_once('@') {
        match ImageRef::parse(digest) {
            Some(r @ ImageRef::Digest(_)) => (repo, r),
            _ => {
                return Err(Rejection::problem(format!(
                    "`{}` after `@` is not a digest, `sha256:` and 64 lowercase hex digits",
                    shown(digest)
                )))
            }
        }
    } else if let Some((repo, tag)) = path.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
        match ImageRef::parse(tag) {
            Some(r @ ImageRef::Tag(_)) => (repo, r),
            _ => {
                return Err(Rejection::problem(format!(
                    "`{}` after `:` is not an image tag",
                    shown(tag)
                )))
            }
        }
    } else {
        return Err(Rejection::problem(
            "it has no tag or digest, which means the mutable tag `latest`",
        )
        .hint(format!("pin it: `{}@sha256:DIGEST`", shown(v))));
    };
    if !is_ecr_repository(repository) {
        return Err(Rejection::problem(format!(
            "`{}` is not an ECR repository name: {}",
            shown(repository),
            rules::EcrRepository.describe()
        )));
    }
    Ok(EcrImage {
        account: account.to_string(),
        region: region.to_string(),
        domain: domain.to_string(),
        repository: repository.to_string(),
        reference,
    })
}

/// `ACCOUNT.dkr.ecr.REGION.DOMAIN` as (account, region, domain).
fn parse_ecr_host(host: &str) -> Option<(&str, &str, &str)> {
    let (account, rest) = host.split_once('.')?;
    let rest = rest.strip_prefix("dkr.ecr.")?;
    let (region, domain) = rest.split_once('.')?;
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    // `us-east-1`, `us-gov-west-1`, `ap-southeast-5`, `cn-north-1`: letters, dashes, a number.
    let region_ok = region.rsplit_once('-').is_some_and(|(name, n)| {
        !n.is_empty()
            && n.len() <= 2
            && n.bytes().all(|b| b.is_ascii_digit())
            && name.split('-').count() >= 2
            && name
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
    });
    let domain_ok = match domain {
        "amazonaws.com" => !region.starts_with("cn-"),
        "amazonaws.com.cn" => region.starts_with("cn-"),
        _ => false,
    };
    (account_ok && region_ok && domain_ok).then_some((account, region, domain))
}

/// The valid instance types nearest to `v`: those of its family if it names one, else all,
/// by edit distance (ties by name, so the answer is deterministic).
pub(crate) fn closest_instance_types(v: &str) -> Vec<&'static str> {
    let v = v.to_ascii_lowercase();
    let family = |t: &str| -> String {
        t.strip_prefix("ml.")
            .unwrap_or(t)
            .split('.')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let wanted = family(&v);
    let same: Vec<&'static str> = PRODUCTION_VARIANT_INSTANCE_TYPES
        .iter()
        .copied()
        .filter(|t| family(t) == wanted)
        .collect();
    let mut pool = if same.is_empty() {
        PRODUCTION_VARIANT_INSTANCE_TYPES.to_vec()
    } else {
        same
    };
    pool.sort_by_key(|t| (edit_distance(&v, t), *t));
    pool.truncate(3);
    pool
}

/// Levenshtein distance over bytes (instance types are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A user's value as shown in a message: control characters escaped, the rest as written.
pub(crate) fn shown(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// An image digest for examples (`harden blueprints`, golden cases): the form `image_tag`
/// takes to pin an image; it names no real image.
pub const EXAMPLE_DIGEST: &str =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

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

/// One parameter a blueprint accepts, seen without its value type: what listings, the
/// validation and the tests read. A blueprint declares each as a typed [`Param`] or [`Opt`]
/// and lists their `spec`s.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// The key users pass (`--param vpc_cidr=10.0.0.0/16`).
    pub name: &'static str,
    /// What it sets.
    pub description: &'static str,
    /// The rule its value follows.
    pub rule: &'static dyn AnyRule,
    /// The value used when none is given; `None` for an optional parameter with no value.
    pub default: Option<&'static str>,
    /// Parameters that cannot be given with this one (they set the same thing another way).
    pub conflicts: &'static [&'static str],
    /// Parameters that must be given with this one (it means nothing without them).
    pub requires: &'static [&'static str],
    /// A parameter and value that need this one: with `(name, value)` given, this parameter
    /// must be given too (`org_services=admin` needs `org_policy_target`).
    pub required_by: Option<(&'static str, &'static str)>,
}

impl fmt::Debug for ParamSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamSpec")
            .field("name", &self.name)
            .field("rule", &self.rule.words())
            .field("default", &self.default)
            .field("conflicts", &self.conflicts)
            .field("requires", &self.requires)
            .field("required_by", &self.required_by)
            .finish()
    }
}

/// A parameter with a default: reading it gives the rule's value, always.
pub struct Param<R: Rule> {
    /// The declaration.
    pub spec: ParamSpec,
    rule: &'static R,
}

impl<R: Rule> Param<R> {
    /// Declares a parameter with a default (which a test holds to its rule).
    pub const fn new(
        name: &'static str,
        description: &'static str,
        rule: &'static R,
        default: &'static str,
    ) -> Param<R> {
        Param {
            spec: ParamSpec {
                name,
                description,
                rule,
                default: Some(default),
                conflicts: &[],
                requires: &[],
                required_by: None,
            },
            rule,
        }
    }

    /// The parameters it cannot be given with.
    pub const fn conflicts(mut self, with: &'static [&'static str]) -> Param<R> {
        self.spec.conflicts = with;
        self
    }

    /// The parameters it must be given with.
    pub const fn requires(mut self, with: &'static [&'static str]) -> Param<R> {
        self.spec.requires = with;
        self
    }
}

/// An optional parameter without a default: reading it gives `None` when it is not given.
pub struct Opt<R: Rule> {
    /// The declaration.
    pub spec: ParamSpec,
    rule: &'static R,
}

impl<R: Rule> Opt<R> {
    /// Declares an optional parameter.
    pub const fn new(name: &'static str, description: &'static str, rule: &'static R) -> Opt<R> {
        Opt {
            spec: ParamSpec {
                name,
                description,
                rule,
                default: None,
                conflicts: &[],
                requires: &[],
                required_by: None,
            },
            rule,
        }
    }

    /// The parameters it cannot be given with.
    pub const fn conflicts(mut self, with: &'static [&'static str]) -> Opt<R> {
        self.spec.conflicts = with;
        self
    }

    /// The parameters it must be given with.
    pub const fn requires(mut self, with: &'static [&'static str]) -> Opt<R> {
        self.spec.requires = with;
        self
    }

    /// The parameter value that needs it: with `name=value`, it must be given.
    pub const fn required_by(mut self, name: &'static str, value: &'static str) -> Opt<R> {
        self.spec.required_by = Some((name, value));
        self
    }
}

/// A typed parameter declaration, read from validated parameters.
pub trait Read {
    /// What reading it gives.
    type Out;
    /// The declaration.
    fn spec(&self) -> &ParamSpec;
    /// Reads it.
    fn read(&self, p: &Params) -> Self::Out;
}

/// The rule's value of a validated raw value. [`Params::resolve`] checked every value it kept
/// against this very rule, and a test holds every default to its rule, so this cannot fail.
fn typed<R: Rule>(rule: &R, name: &str, raw: &str) -> R::Value {
    match rule.parse(raw) {
        Ok(v) => v,
        Err(_) => {
            unreachable!("parameter `{name}` holds `{raw}`, which its rule was checked to accept")
        }
    }
}

impl<R: Rule> Read for Param<R> {
    type Out = R::Value;
    fn spec(&self) -> &ParamSpec {
        &self.spec
    }
    fn read(&self, p: &Params) -> R::Value {
        let raw = p
            .raw(self.spec.name)
            .or(self.spec.default)
            .unwrap_or_default();
        typed(self.rule, self.spec.name, raw)
    }
}

impl<R: Rule> Read for Opt<R> {
    type Out = Option<R::Value>;
    fn spec(&self) -> &ParamSpec {
        &self.spec
    }
    fn read(&self, p: &Params) -> Option<R::Value> {
        p.raw(self.spec.name)
            .map(|raw| typed(self.rule, self.spec.name, raw))
    }
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
    #[error("{}", invalid_message(.name, .value, .rule, .problem.as_deref(), .hint.as_deref()))]
    Invalid {
        /// The key.
        name: String,
        /// The value given.
        value: String,
        /// The rule, in words.
        rule: String,
        /// What is wrong with the value, where the rule alone does not make it plain.
        problem: Option<String>,
        /// What to do instead.
        hint: Option<String>,
    },
    /// A value given twice.
    #[error("parameter `{0}` is given more than once")]
    Repeated(String),
    /// Two parameters that set the same thing another way.
    #[error("parameters `{0}` and `{1}` conflict: `{0}` is {2}\nhint: give either `{0}` or `{1}`")]
    Conflict(String, String, String),
    /// A parameter given without another it needs.
    #[error("parameter `{0}` needs `{1}` too\nhint: add `--param {1}=...`, or leave `{0}` out")]
    Missing(String, String),
}

fn invalid_message(
    name: &str,
    value: &str,
    rule: &str,
    problem: Option<&str>,
    hint: Option<&str>,
) -> String {
    let mut s = format!("invalid value `{}` for parameter `{name}`: ", shown(value));
    if let Some(p) = problem {
        s.push_str(p);
        s.push_str("; ");
    }
    s.push_str("it must be ");
    s.push_str(rule);
    if let Some(h) = hint {
        s.push_str("\nhint: ");
        s.push_str(h);
    }
    s
}

pub(crate) fn fmt_list(items: &[&str]) -> String {
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
    values: IndexMap<&'static str, String>,
    given: Vec<&'static str>,
}

impl Params {
    /// Validates raw `key=value` pairs against the specs and fills in defaults.
    pub fn resolve(
        blueprint: &str,
        specs: &[&ParamSpec],
        given: &[(String, String)],
    ) -> Result<Params, ParamError> {
        let mut values = IndexMap::new();
        let mut named = Vec::new();
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
            let explicit = given
                .iter()
                .find(|(k, _)| k == spec.name)
                .map(|(_, v)| v.as_str());
            if explicit.is_some() {
                if let Some(other) = spec
                    .conflicts
                    .iter()
                    .find(|o| given.iter().any(|(k, _)| k == *o))
                {
                    return Err(ParamError::Conflict(
                        spec.name.to_string(),
                        other.to_string(),
                        spec.description.to_string(),
                    ));
                }
                if let Some(other) = spec
                    .requires
                    .iter()
                    .find(|o| !given.iter().any(|(k, _)| k == *o))
                {
                    return Err(ParamError::Missing(
                        spec.name.to_string(),
                        other.to_string(),
                    ));
                }
                named.push(spec.name);
            }
            if let Some(raw) = explicit.or(spec.default) {
                spec.rule.check(raw).map_err(|r| ParamError::Invalid {
                    name: spec.name.to_string(),
                    value: raw.to_string(),
                    rule: spec.rule.words(),
                    problem: r.problem,
                    hint: r.hint,
                })?;
                values.insert(spec.name, raw.to_string());
            }
        }
        for spec in specs {
            if let Some((k, v)) = spec.required_by {
                if values.get(k).map(String::as_str) == Some(v) && !named.contains(&spec.name) {
                    return Err(ParamError::Missing(
                        format!("{k}={v}"),
                        spec.name.to_string(),
                    ));
                }
            }
        }
        Ok(Params {
            values,
            given: named,
        })
    }

    /// Whether the user gave this parameter (rather than it taking its default).
    pub fn is_given(&self, name: &str) -> bool {
        self.given.contains(&name)
    }

    /// The validated value as written (the default where none was given).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A parameter's typed value.
    pub fn get<P: Read>(&self, p: &P) -> P::Out {
        p.read(self)
    }

    /// A parameter's value as written, borrowed (the default where none was given), for
    /// values whose typed form is the text itself.
    pub fn text<P: Read>(&self, p: &P) -> Option<&str> {
        self.raw(p.spec().name)
    }

    /// Whether the user gave this parameter, by its declaration.
    pub fn given<P: Read>(&self, p: &P) -> bool {
        self.is_given(p.spec().name)
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
    pub(crate) fn new(octets: [u8; 4], prefix: u8) -> Cidr {
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
    use super::rules::*;
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
        let k = PrivateCidr {
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
        assert!(Email.check("sec@example.com").is_ok());
        for bad in [
            "sec",
            "@example.com",
            "sec@example",
            "a..b@example.com",
            "sec@-x.com",
            "a b@x.com",
        ] {
            assert!(Email.check(bad).is_err(), "{bad}");
        }
    }

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// The message `resolve` gives for one value of one kind.
    fn refusal<R: Rule>(rule: R, value: &str) -> String {
        let spec = ParamSpec {
            name: "p",
            description: "",
            rule: Box::leak(Box::new(rule)),
            default: None,
            conflicts: &[],
            requires: &[],
            required_by: None,
        };
        Params::resolve("x", &[&spec], &[("p".into(), value.into())])
            .expect_err(value)
            .to_string()
    }

    #[test]
    fn generated_instance_types_are_sorted_and_unique() {
        // `MlInstanceType` binary-searches the list.
        assert!(PRODUCTION_VARIANT_INSTANCE_TYPES
            .windows(2)
            .all(|w| w[0] < w[1]));
        assert!(PRODUCTION_VARIANT_INSTANCE_TYPES.len() > 100);
    }

    #[test]
    fn instance_types_come_from_the_sagemaker_api_model() {
        for t in PRODUCTION_VARIANT_INSTANCE_TYPES {
            assert!(MlInstanceType.accepts(t), "{t}");
        }
        for good in [
            "ml.m5.xlarge",
            "ml.g5.2xlarge",
            "ml.p4d.24xlarge",
            "ml.inf2.xlarge",
        ] {
            assert!(MlInstanceType.accepts(good), "{good}");
        }
        // Well-formed but not real, or real EC2 types SageMaker hosting does not offer.
        for bad in [
            "ml.fake.huge",
            "ml.m5.huge",
            "m5.xlarge",
            "ML.M5.XLARGE",
            "ml.t3.nano",
            "",
        ] {
            assert!(!MlInstanceType.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn an_unknown_instance_type_is_named_as_such_with_the_closest_valid_ones() {
        let msg = refusal(MlInstanceType, "ml.fake.huge");
        assert!(
            msg.starts_with("invalid value `ml.fake.huge` for parameter `p`: it is not a SageMaker real-time inference instance type; it must be one of the "),
            "{msg}"
        );
        let hint = msg
            .split_once("\nhint: the closest ones are ")
            .expect(&msg)
            .1;
        assert_eq!(hint.matches("`ml.").count(), 3, "{msg}");
        // A known family: its own sizes.
        let msg = refusal(MlInstanceType, "ml.g5.huge");
        let hint = msg.split_once("\nhint: ").unwrap().1;
        assert!(hint.matches("`ml.g5.").count() == 3, "{msg}");
        // The `ml.` prefix forgotten: the type meant comes first.
        let msg = refusal(MlInstanceType, "g5.xlarge");
        assert!(
            msg.contains("hint: the closest ones are `ml.g5.xlarge`, "),
            "{msg}"
        );
    }

    #[test]
    fn integers_are_plain_decimal_digits() {
        let k = Int { min: 1, max: 10 };
        for good in ["1", "3", "10"] {
            assert!(k.accepts(good), "{good}");
        }
        // Rust's `i64::from_str` takes `+3`; none of these is how a count is written.
        for bad in [
            "+3", "03", " 3", "3 ", "3.0", "3e0", "", "-3", "0", "11", "0x3", "３",
        ] {
            assert!(!k.accepts(bad), "{bad:?}");
        }
        let signed = Int { min: -5, max: 5 };
        for good in ["-5", "0", "5", "-1"] {
            assert!(signed.accepts(good), "{good}");
        }
        for bad in [
            "-0",
            "--1",
            "-01",
            "+1",
            "- 1",
            "-6",
            "99999999999999999999",
        ] {
            assert!(!signed.accepts(bad), "{bad:?}");
        }
        assert!(k
            .describe()
            .contains("no sign, leading zero, space or decimal point"));
        assert!(signed
            .describe()
            .contains("a leading `-` for a negative one"));
    }

    #[test]
    fn ecr_repository_names_follow_ecrs_rule_with_namespaces() {
        for good in [
            "ollama",
            "team/ollama",
            "a.b_c-d/e",
            "ab",
            "org/team/llm-server",
            "x1/y2",
        ] {
            assert!(EcrRepository.accepts(good), "{good}");
        }
        let long_ok = format!("{}/{}", "a".repeat(127), "b".repeat(128));
        assert_eq!(long_ok.len(), 256);
        assert!(EcrRepository.accepts(&long_ok));
        let too_long = format!("{long_ok}c");
        for bad in [
            "a",
            "Team/ollama",
            "team//ollama",
            "/team",
            "team/",
            "a..b",
            "a._b",
            "a-",
            "-a",
            "a b",
            too_long.as_str(),
        ] {
            assert!(!EcrRepository.accepts(bad), "{bad}");
        }
        let msg = refusal(EcrRepository, "ollama:latest");
        assert!(
            msg.contains("a repository name has no tag or digest"),
            "{msg}"
        );
        assert!(
            msg.contains("hint: pass the tag or digest as `image_tag`"),
            "{msg}"
        );
    }

    #[test]
    fn image_refs_are_a_tag_or_a_sha256_digest() {
        assert_eq!(
            ImageRef::parse(DIGEST),
            Some(ImageRef::Digest(DIGEST.into()))
        );
        assert_eq!(
            ImageRef::parse("v1.2.3"),
            Some(ImageRef::Tag("v1.2.3".into()))
        );
        for good in ["latest", "_x", "2024-01-01", &"t".repeat(128)] {
            assert!(ImageTag.accepts(good), "{good}");
        }
        let upper = DIGEST.to_uppercase().replace("SHA256", "sha256");
        let short = &DIGEST[..DIGEST.len() - 1];
        let sha512 = DIGEST.replace("sha256", "sha512");
        for bad in [
            "",
            ".x",
            "-x",
            &"t".repeat(129),
            short,
            &upper,
            &sha512,
            "a:b",
            "a b",
            "a/b",
            "latest@sha256",
        ] {
            assert!(!ImageTag.accepts(bad), "{bad}");
        }
        assert_eq!(ImageRef::Tag("v1".into()).to_string(), ":v1");
        assert_eq!(
            ImageRef::Digest(DIGEST.into()).to_string(),
            format!("@{DIGEST}")
        );
    }

    #[test]
    fn ecr_image_uris_name_account_region_repository_and_reference() {
        let uri = format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@{DIGEST}");
        let img = EcrImage::parse(&uri).unwrap();
        assert_eq!(
            (
                img.account.as_str(),
                img.region.as_str(),
                img.repository.as_str()
            ),
            ("123456789012", "eu-west-1", "team/model")
        );
        assert_eq!(img.reference, ImageRef::Digest(DIGEST.into()));
        assert_eq!(img.to_string(), uri);
        for good in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/ollama:v1",
            "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/a/b:latest",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/model:v1",
        ] {
            assert!(EcrImageUri.accepts(good), "{good}");
        }
        for bad in [
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com/model:v1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn/model:v1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/Model:v1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/model:v1@sha256:00",
            "123456789012.dkr.ecr.eu_west_1.amazonaws.com/model:v1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ] {
            assert!(!EcrImageUri.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn image_uris_outside_ecr_are_refused_with_the_reason() {
        for other in [
            "docker.io/library/ollama:latest",
            "ghcr.io/team/model:v1",
            "public.ecr.aws/team/model:v1",
            "ollama/ollama:latest",
        ] {
            let msg = refusal(EcrImageUri, other);
            assert!(
                msg.contains("is not an Amazon ECR private registry"),
                "{msg}"
            );
            assert!(msg.contains("`RepositoryAccessMode: Vpc`"), "{msg}");
            assert!(
                msg.contains("hint: copy the image into an ECR repository"),
                "{msg}"
            );
        }
        let msg = refusal(
            EcrImageUri,
            "12345678901.dkr.ecr.eu-west-1.amazonaws.com/m:v1",
        );
        assert!(msg.contains("with a 12-digit account"), "{msg}");
        let msg = refusal(
            EcrImageUri,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model",
        );
        assert!(
            msg.contains("it has no tag or digest, which means the mutable tag `latest`"),
            "{msg}"
        );
        assert!(msg.contains("hint: pin it: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@sha256:DIGEST`"), "{msg}");
        let msg = refusal(
            EcrImageUri,
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:v1",
        );
        assert!(
            msg.contains(
                "hint: drop the scheme: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:v1`"
            ),
            "{msg}"
        );
        let long = format!(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{}:v1",
            "a".repeat(220)
        );
        let msg = refusal(EcrImageUri, &long);
        assert!(
            msg.contains("characters long, and SageMaker takes at most 255"),
            "{msg}"
        );
    }

    #[test]
    fn s3_keys_take_spaces_and_any_printable_character() {
        let k = S3Key { max_bytes: 955 };
        for good in [
            "models/model.tar.gz",
            "my models/llama 3.1 (8B)/model v2.tar.gz",
            "模型/model.tar.gz",
            "${AWS::Region}/x",
            "a//b",
            "a #b: 'c' \"d\" [e] {f} & * ! % ~",
            "..a/b..",
        ] {
            assert!(k.accepts(good), "{good}");
        }
        assert!(k.accepts(&"a".repeat(955)));
        assert!(!k.accepts(&"a".repeat(956)));
        // The length is in bytes: 478 `é` are 956 bytes.
        let msg = refusal(k, &"é".repeat(478));
        assert!(msg.contains("it is 956 bytes long"), "{msg}");
        for bad in ["", "a/../b", "./a", "a/.", "..", "a\u{85}b", "a\u{7f}"] {
            assert!(!k.accepts(bad), "{bad:?}");
        }
    }

    #[test]
    fn s3_key_refusals_say_what_breaks() {
        let k = S3Key { max_bytes: 1024 };
        let msg = refusal(k, "/models/model.tar.gz");
        assert!(msg.contains("it starts with `/`"), "{msg}");
        assert!(
            msg.ends_with("\nhint: drop the leading `/`: `models/model.tar.gz`"),
            "{msg}"
        );
        // A control character is shown escaped, never written raw into the terminal.
        let msg = refusal(k, "models/a\nb");
        assert!(msg.starts_with("invalid value `models/a\\nb` for parameter `p`: it contains the control character U+000A; it must be "), "{msg}");
        let msg = refusal(k, "models/../model.tar.gz");
        assert!(msg.contains("`.` or `..` path segment"), "{msg}");
    }

    #[test]
    fn is_given_tells_an_explicit_value_from_a_default() {
        static A: Param<Bool> = Param::new("a", "", &Bool, "false");
        static B: Param<Bool> = Param::new("b", "", &Bool, "false");
        let p = Params::resolve("x", &[&A.spec, &B.spec], &[("b".into(), "false".into())]).unwrap();
        assert!(!p.given(&A) && p.given(&B));
        assert!(!p.get(&A) && !p.get(&B));
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
            assert!(AwsRegion.accepts(ok), "{ok}");
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
            assert!(!AwsRegion.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn topic_arn_rule_takes_standard_topics_and_reads_their_region() {
        let arn = SnsTopicArn::parse("arn:aws:sns:eu-west-1:123456789012:security-alerts")
            .expect("a topic ARN");
        assert_eq!(arn.region, "eu-west-1");
        assert_eq!(arn.account, "123456789012");
        assert!(TopicArn.accepts("arn:aws-us-gov:sns:us-gov-west-1:123456789012:a_b-C"));
        assert!(TopicArn.accepts("arn:aws-cn:sns:cn-north-1:123456789012:alerts"));
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
            assert!(!TopicArn.accepts(bad), "{bad}");
        }
        let long = format!("arn:aws:sns:eu-west-1:123456789012:{}", "a".repeat(257));
        assert!(!TopicArn.accepts(&long));
    }

    #[test]
    fn errors_name_the_parameter_and_the_rule() {
        let specs = [&crate::controls::vpc::VPC_CIDR.spec];
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
