//! The rules parameter values follow, one struct each: the words that tell a user what it
//! accepts, the check that turns a value into the typed value a blueprint reads, and example
//! values (what golden cases and property tests give, so they cover every parameter of every
//! blueprint without per-blueprint code). A new kind of parameter is one struct here.

use super::{
    closest_instance_types, fmt_list, is_ecr_repository, is_region, parse_ecr_image, shown, Cidr,
    EcrImage, ImageRef, Rejection, SnsTopicArn, BREAKS, PRODUCTION_VARIANT_INSTANCE_TYPES,
};

/// A rule with the typed value it gives.
pub trait Rule: Sync + Send + 'static {
    /// What a blueprint reads.
    type Value;
    /// The rule, as told to a user (`must be ...`).
    fn describe(&self) -> String;
    /// Checks a value and turns it into the typed value.
    fn parse(&self, v: &str) -> Result<Self::Value, Rejection>;
    /// A valid value, different seeds giving different ones where the rule allows; seed 0
    /// gives the most telling one (what the all-parameters golden case passes).
    fn example(&self, seed: u64) -> String;
}

/// A rule seen without its value type: what a parameter declaration holds.
pub trait AnyRule: Sync + Send {
    /// The rule, as told to a user.
    fn words(&self) -> String;
    /// Checks a value.
    fn check(&self, v: &str) -> Result<(), Rejection>;
    /// Whether a value follows the rule.
    fn accepts(&self, v: &str) -> bool {
        self.check(v).is_ok()
    }
    /// A valid value ([`Rule::example`]).
    fn sample(&self, seed: u64) -> String;
}

impl<R: Rule> AnyRule for R {
    fn words(&self) -> String {
        self.describe()
    }
    fn check(&self, v: &str) -> Result<(), Rejection> {
        self.parse(v).map(|_| ())
    }
    fn sample(&self, seed: u64) -> String {
        self.example(seed)
    }
}

/// A deterministic mix of a seed, so that neighbouring seeds give unrelated examples.
fn mix(seed: u64, salt: u64) -> u64 {
    let mut x = seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `n` lowercase hex digits from a seed.
fn hex(seed: u64, n: usize) -> String {
    (0..n)
        .map(|i| {
            let d = (mix(seed, i as u64 + 1) % 16) as u32;
            char::from_digit(d, 16).expect("a hex digit")
        })
        .collect()
}

/// A comma-separated list: its items trimmed, none empty, none repeated, `min..=max` of them.
fn list(v: &str, min: usize, max: usize) -> Result<Vec<&str>, Rejection> {
    let items: Vec<&str> = v.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err(Rejection::problem("it has an empty item"));
    }
    if let Some((_, dup)) = items
        .iter()
        .enumerate()
        .find(|(i, x)| items[..*i].contains(x))
    {
        return Err(Rejection::problem(format!(
            "`{}` is given twice",
            shown(dup)
        )));
    }
    if !(min..=max).contains(&items.len()) {
        return Err(Rejection::problem(format!(
            "it has {} item{}",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(items)
}

/// An IPv4 CIDR block in a private range (RFC 1918) with a prefix length in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateCidr {
    /// Shortest prefix allowed.
    pub min_prefix: u8,
    /// Longest prefix allowed.
    pub max_prefix: u8,
}

impl Rule for PrivateCidr {
    type Value = Cidr;
    fn describe(&self) -> String {
        format!(
            "an IPv4 CIDR block in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a prefix from /{} to /{}, like `10.0.0.0/16`",
            self.min_prefix, self.max_prefix
        )
    }
    fn parse(&self, v: &str) -> Result<Cidr, Rejection> {
        let c = Cidr::parse(v).ok_or(BREAKS)?;
        let private = c.within(Cidr::new([10, 0, 0, 0], 8))
            || c.within(Cidr::new([172, 16, 0, 0], 12))
            || c.within(Cidr::new([192, 168, 0, 0], 16));
        if private && (self.min_prefix..=self.max_prefix).contains(&c.prefix) {
            Ok(c)
        } else {
            Err(BREAKS)
        }
    }
    fn example(&self, seed: u64) -> String {
        if seed == 0 {
            return format!("172.20.0.0/{}", self.min_prefix.max(12));
        }
        let span = u64::from(self.max_prefix - self.min_prefix) + 1;
        let prefix = self.min_prefix + (mix(seed, 1) % span) as u8;
        let (base, outer) = match mix(seed, 2) % 3 {
            0 => (Cidr::new([10, 0, 0, 0], 8), 8),
            1 => (Cidr::new([172, 16, 0, 0], 12), 12),
            _ => (Cidr::new([192, 168, 0, 0], 16), 16),
        };
        let prefix = prefix.max(outer);
        let blocks = 1u64 << (prefix - outer);
        base.subnet(prefix, (mix(seed, 3) % blocks) as u32)
            .expect("a block inside its range")
            .to_string()
    }
}

/// A comma-separated list of IPv4 CIDR blocks, in any range but `0.0.0.0/0` (an allow list
/// that allows everything allows nothing in particular).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidrs {
    /// Most blocks.
    pub max: usize,
}

impl Rule for Cidrs {
    type Value = Vec<Cidr>;
    fn describe(&self) -> String {
        format!(
            "1 to {} comma-separated IPv4 CIDR blocks, like `203.0.113.0/24,198.51.100.7/32` (not `0.0.0.0/0`)",
            self.max
        )
    }
    fn parse(&self, v: &str) -> Result<Vec<Cidr>, Rejection> {
        list(v, 1, self.max)?
            .into_iter()
            .map(|i| match Cidr::parse(i) {
                Some(c) if c.prefix == 0 => {
                    Err(Rejection::problem("`0.0.0.0/0` allows every address")
                        .hint("leave the parameter out to allow every address"))
                }
                Some(c) => Ok(c),
                None => Err(Rejection::problem(format!(
                    "`{}` is not an IPv4 CIDR block with its host bits zero",
                    shown(i)
                ))),
            })
            .collect()
    }
    fn example(&self, seed: u64) -> String {
        let n = 1 + (mix(seed, 1) % self.max.min(3) as u64) as u32;
        let items: Vec<String> = (0..n)
            .map(|i| {
                Cidr::new([203, 0, 113, 0], 24)
                    .subnet(32, (mix(seed, 10 + u64::from(i)) % 256) as u32)
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            })
            .collect();
        let mut seen = Vec::new();
        for i in items {
            if !seen.contains(&i) {
                seen.push(i);
            }
        }
        if seed == 0 {
            return "203.0.113.0/24,198.51.100.7/32".into();
        }
        seen.join(",")
    }
}

/// An email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Email;

impl Rule for Email {
    type Value = String;
    fn describe(&self) -> String {
        "an email address, like `security@example.com`".into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let (local, domain) = v.split_once('@').ok_or(BREAKS)?;
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
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        match seed {
            0 => "security@example.com".into(),
            s => format!("sec+{}@team-{}.example.org", mix(s, 1) % 1000, s % 7),
        }
    }
}

/// A telephone number as AWS account contacts take it: digits, spaces, `+`, `-`, `(` and `)`,
/// with at least one digit, 25 characters at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phone;

impl Rule for Phone {
    type Value = String;
    fn describe(&self) -> String {
        "a telephone number of digits, spaces, `+`, `-`, `(` and `)`, at most 25 characters, like `+1 206 555 0100`".into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let ok = (1..=25).contains(&v.len())
            && v.chars().any(|c| c.is_ascii_digit())
            && v.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
            && v.trim() == v;
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        match seed {
            0 => "+1 206 555 0100".into(),
            s => format!("+44 20 7946 {:04}", mix(s, 2) % 10_000),
        }
    }
}

/// Free text for a person to read (a name, a job title): printable characters, no leading or
/// trailing space, `1..=max` characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// Longest length, in characters.
    pub max: usize,
}

impl Rule for Text {
    type Value = String;
    fn describe(&self) -> String {
        format!(
            "1 to {} printable characters, not starting or ending with a space",
            self.max
        )
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let ok = (1..=self.max).contains(&v.chars().count())
            && v.trim() == v
            && !v.chars().any(char::is_control);
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        let mut s = match seed {
            0 => "Security Operations".to_string(),
            s => format!("Team {}", mix(s, 3) % 1000),
        };
        while s.chars().count() > self.max {
            s.pop();
        }
        s.trim_end().to_string()
    }
}

/// A SageMaker real-time inference instance type: one of
/// [`PRODUCTION_VARIANT_INSTANCE_TYPES`], generated from the SageMaker API model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MlInstanceType;

impl Rule for MlInstanceType {
    type Value = &'static str;
    fn describe(&self) -> String {
        format!(
            "one of the {} real-time inference instance types of the SageMaker API (`ProductionVariantInstanceType`), like `ml.g5.xlarge`",
            PRODUCTION_VARIANT_INSTANCE_TYPES.len()
        )
    }
    fn parse(&self, v: &str) -> Result<&'static str, Rejection> {
        match PRODUCTION_VARIANT_INSTANCE_TYPES.binary_search(&v) {
            Ok(i) => Ok(PRODUCTION_VARIANT_INSTANCE_TYPES[i]),
            Err(_) => Err(Rejection::problem(
                "it is not a SageMaker real-time inference instance type",
            )
            .hint(format!(
                "the closest ones are {}",
                fmt_list(&closest_instance_types(v))
            ))),
        }
    }
    fn example(&self, seed: u64) -> String {
        if seed == 0 {
            return "ml.g5.2xlarge".into();
        }
        let n = PRODUCTION_VARIANT_INSTANCE_TYPES.len() as u64;
        PRODUCTION_VARIANT_INSTANCE_TYPES[(mix(seed, 1) % n) as usize].into()
    }
}

/// An integer in a range, in plain decimal digits: no `+`, leading zero, space or decimal
/// point, and a leading `-` only where the range has negatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int {
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

impl Rule for Int {
    type Value = i64;
    fn describe(&self) -> String {
        let (min, max) = (self.min, self.max);
        if min < 0 {
            format!("an integer from {min} to {max} in plain decimal digits, with a leading `-` for a negative one (no `+`, leading zero, space or decimal point)")
        } else {
            format!("an integer from {min} to {max} in plain decimal digits (no sign, leading zero, space or decimal point)")
        }
    }
    fn parse(&self, v: &str) -> Result<i64, Rejection> {
        let (negative, digits) = match v.strip_prefix('-') {
            Some(d) if self.min < 0 => (true, d),
            _ => (false, v),
        };
        let plain = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
            && !(negative && digits == "0");
        match v.parse::<i64>() {
            Ok(i) if plain && (self.min..=self.max).contains(&i) => Ok(i),
            _ => Err(BREAKS),
        }
    }
    fn example(&self, seed: u64) -> String {
        if seed == 0 {
            return self.max.min(self.min.saturating_add(2)).to_string();
        }
        let span = (self.max - self.min) as u64 + 1;
        (self.min + (mix(seed, 1) % span) as i64).to_string()
    }
}

/// `true` or `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bool;

impl Rule for Bool {
    type Value = bool;
    fn describe(&self) -> String {
        "`true` or `false`".into()
    }
    fn parse(&self, v: &str) -> Result<bool, Rejection> {
        match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(BREAKS),
        }
    }
    fn example(&self, seed: u64) -> String {
        seed.is_multiple_of(2).to_string()
    }
}

/// Lowercase letters, digits and hyphens, starting with a letter, `min..=max` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name {
    /// Shortest length.
    pub min: usize,
    /// Longest length.
    pub max: usize,
}

impl Rule for Name {
    type Value = String;
    fn describe(&self) -> String {
        format!(
            "{} to {} lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen",
            self.min, self.max
        )
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let ok = (self.min..=self.max).contains(&v.len())
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && !v.ends_with('-')
            && !v.contains("--")
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        let mut s = format!("n{}", mix(seed, 1) % 10_000);
        while s.len() < self.min {
            s.push('x');
        }
        s.truncate(self.max);
        s
    }
}

/// A database identifier (a database or user name): lowercase letters, digits and
/// underscores, starting with a letter, at most `max` long, and none of `reserved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlName {
    /// Longest length.
    pub max: usize,
    /// Names the engine keeps for itself.
    pub reserved: &'static [&'static str],
}

impl Rule for SqlName {
    type Value = String;
    fn describe(&self) -> String {
        let mut s = format!(
            "1 to {} lowercase letters, digits or underscores, starting with a letter",
            self.max
        );
        if !self.reserved.is_empty() {
            s.push_str(&format!(", not {}", fmt_list(self.reserved)));
        }
        s
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        if self.reserved.contains(&v) {
            return Err(Rejection::problem(format!(
                "`{v}` is reserved by the engine"
            )));
        }
        let ok = (1..=self.max).contains(&v.len())
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        let mut s = format!("n_{}", mix(seed, 2) % 10_000);
        s.truncate(self.max);
        s
    }
}

/// An `https://` origin for CORS (`https://host[:port]`, no path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsOrigin;

impl Rule for HttpsOrigin {
    type Value = String;
    fn describe(&self) -> String {
        "an https origin, like `https://app.example.com`".into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let host = v.strip_prefix("https://").ok_or(BREAKS)?;
        let (name, port) = match host.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        };
        let ok = !name.is_empty()
            && name
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        match seed {
            0 => "https://app.example.com".into(),
            s if s % 3 == 0 => format!("https://localhost:{}", 1024 + mix(s, 1) % 60_000),
            s => format!("https://app{}.example.org", mix(s, 1) % 100),
        }
    }
}

/// A comma-separated list of `https://` origins ([`HttpsOrigin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsOrigins {
    /// Most origins.
    pub max: usize,
}

impl Rule for HttpsOrigins {
    type Value = Vec<String>;
    fn describe(&self) -> String {
        format!(
            "1 to {} comma-separated https origins, like `https://app.example.com,https://admin.example.com` (never `*`)",
            self.max
        )
    }
    fn parse(&self, v: &str) -> Result<Vec<String>, Rejection> {
        list(v, 1, self.max)?
            .into_iter()
            .map(|o| {
                HttpsOrigin.parse(o).map_err(|_| {
                    Rejection::problem(format!("`{}` is not an https origin", shown(o)))
                })
            })
            .collect()
    }
    fn example(&self, seed: u64) -> String {
        if seed == 0 {
            return "https://app.example.com,https://admin.example.com".into();
        }
        let mut v: Vec<String> = Vec::new();
        for i in 0..(1 + mix(seed, 1) % self.max.min(3) as u64) {
            let o = HttpsOrigin.example(mix(seed, 2 + i) | 1);
            if !v.contains(&o) {
                v.push(o);
            }
        }
        v.join(",")
    }
}

/// An Amazon ECR repository name, namespaces allowed (`team/ollama`): ECR's own rule,
/// `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`, 2 to 256 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcrRepository;

impl Rule for EcrRepository {
    type Value = String;
    fn describe(&self) -> String {
        "an Amazon ECR repository name of 2 to 256 characters: lowercase letters and digits, single `.`, `_` or `-` between them, and `/` between namespaces, like `team/ollama`".into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        if is_ecr_repository(v) {
            Ok(v.to_string())
        } else if v.contains(':') || v.contains('@') {
            Err(Rejection::problem("a repository name has no tag or digest")
                .hint("pass the tag or digest as `image_tag`, or the whole URI as `image_uri`"))
        } else {
            Err(BREAKS)
        }
    }
    fn example(&self, seed: u64) -> String {
        match seed {
            0 => "team/llm-server".into(),
            s => format!("team{}/model_{}.v{}", s % 5, mix(s, 1) % 100, mix(s, 2) % 9),
        }
    }
}

/// How an image is picked from its repository: a digest (`sha256:` and 64 lowercase hex
/// digits, which pins it) or a tag (which can be moved to another image).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageTag;

impl Rule for ImageTag {
    type Value = ImageRef;
    fn describe(&self) -> String {
        "an image digest, `sha256:` and 64 lowercase hex digits (recommended: it pins the image), or a tag of 1 to 128 letters, digits, `_`, `.` or `-` not starting with `.` or `-`, like `v1.2.3`".into()
    }
    fn parse(&self, v: &str) -> Result<ImageRef, Rejection> {
        ImageRef::parse(v).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        match seed {
            0 => super::EXAMPLE_DIGEST.into(),
            s if s % 2 == 0 => format!("sha256:{}", hex(s, 64)),
            s => format!("v{}.{}_rc-{}", s % 10, mix(s, 1) % 100, mix(s, 2) % 7),
        }
    }
}

/// A full Amazon ECR image URI, in any account, with a tag or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcrImageUri;

impl Rule for EcrImageUri {
    type Value = EcrImage;
    fn describe(&self) -> String {
        "a full Amazon ECR image URI, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY` then `@sha256:DIGEST` (recommended) or `:TAG`, at most 255 characters, in the region the stack is deployed to".into()
    }
    fn parse(&self, v: &str) -> Result<EcrImage, Rejection> {
        parse_ecr_image(v)
    }
    fn example(&self, seed: u64) -> String {
        format!(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{}@{}",
            EcrRepository.example(seed),
            ImageTag.example(seed.wrapping_mul(2))
        )
    }
}

/// An S3 object key: UTF-8, 1 to `max_bytes` bytes, with spaces and any printable
/// character; no leading `/`, no control characters, no `.` or `..` path segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Key {
    /// Longest key, in bytes (S3 allows 1024; a URL built around it may allow less).
    pub max_bytes: usize,
}

impl Rule for S3Key {
    type Value = String;
    fn describe(&self) -> String {
        format!(
            "an S3 object key of 1 to {} bytes of UTF-8, like `models/model.tar.gz`: spaces and any printable character are fine; no leading `/`, no control characters, no `.` or `..` path segments",
            self.max_bytes
        )
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        if v.is_empty() {
            return Err(BREAKS);
        }
        if v.len() > self.max_bytes {
            return Err(Rejection::problem(format!("it is {} bytes long", v.len())));
        }
        if v.starts_with('/') {
            return Err(Rejection::problem(
                "it starts with `/`: an S3 key is relative to its bucket",
            )
            .hint(format!(
                "drop the leading `/`: `{}`",
                shown(v.trim_start_matches('/'))
            )));
        }
        if let Some(c) = v.chars().find(|c| c.is_control()) {
            return Err(Rejection::problem(format!(
                "it contains the control character U+{:04X}",
                u32::from(c)
            )));
        }
        if v.split('/').any(|s| s == "." || s == "..") {
            return Err(Rejection::problem(
                "it has a `.` or `..` path segment, which S3 keeps as written but path-resolving clients and file systems collapse, so it may not name the object it seems to",
            ));
        }
        Ok(v.to_string())
    }
    fn example(&self, seed: u64) -> String {
        const PARTS: &[&str] = &[
            "models",
            "llama 3.1 (8B)",
            "model ${v1}",
            "ünï 漢字🙂",
            "a+b=c&d;e",
            "x",
            "it's \"q\"",
            "- [a]: {b} #c",
            "|>~^`%@!*",
            "...x",
        ];
        let mut s = match seed {
            0 => "models/llama 3.1 (8B)/model ${v1}.tar.gz".to_string(),
            s => {
                let n = 1 + mix(s, 1) % 4;
                let mut segs: Vec<&str> = (0..n)
                    .map(|i| PARTS[(mix(s, 2 + i) % PARTS.len() as u64) as usize])
                    .collect();
                segs.push("model.tar.gz");
                segs.join("/")
            }
        };
        while s.len() > self.max_bytes {
            s.remove(0);
            s = s.trim_start_matches('/').to_string();
        }
        s
    }
}

/// An AWS region name, like `eu-west-1` or `us-gov-west-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsRegion;

impl Rule for AwsRegion {
    type Value = String;
    fn describe(&self) -> String {
        "an AWS region name, like `eu-west-1`".into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        is_region(v).then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "ap-southeast-4", "us-gov-west-1"];
        REGIONS[(seed % REGIONS.len() as u64) as usize].into()
    }
}

/// The ARN of a standard (not FIFO) SNS topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicArn;

impl Rule for TopicArn {
    type Value = String;
    fn describe(&self) -> String {
        "the ARN of a standard SNS topic, like `arn:aws:sns:eu-west-1:123456789012:security-alerts`"
            .into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        SnsTopicArn::parse(v).map(|_| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        format!(
            "arn:aws:sns:{}:123456789012:security-alerts{}",
            AwsRegion.example(seed % 2),
            if seed == 0 {
                String::new()
            } else {
                format!("-{}", seed % 100)
            }
        )
    }
}

/// One of a fixed list of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneOf(pub &'static [&'static str]);

impl Rule for OneOf {
    type Value = &'static str;
    fn describe(&self) -> String {
        format!("one of {}", fmt_list(self.0))
    }
    fn parse(&self, v: &str) -> Result<&'static str, Rejection> {
        self.0.iter().copied().find(|o| *o == v).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        self.0[(seed % self.0.len() as u64) as usize].into()
    }
}

/// A duration: a whole number and one unit, `s`, `m`, `h` or `d` (`90m`, `12h`), within a
/// range; its value is in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    /// Shortest, in seconds.
    pub min_secs: u64,
    /// Longest, in seconds.
    pub max_secs: u64,
}

/// A number of seconds in the largest unit that divides it (`43200` → `12h`).
pub fn fmt_duration(secs: u64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs >= n && secs.is_multiple_of(n) {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

impl Rule for Duration {
    type Value = u64;
    fn describe(&self) -> String {
        format!(
            "a duration from {} to {}: a whole number and a unit, `s`, `m`, `h` or `d`, like `90m` or `12h`",
            fmt_duration(self.min_secs),
            fmt_duration(self.max_secs)
        )
    }
    fn parse(&self, v: &str) -> Result<u64, Rejection> {
        let unit_at = v.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
            Rejection::problem("it has no unit").hint(format!("add one: `{v}s`, `{v}m` or `{v}h`"))
        })?;
        let (n, unit) = v.split_at(unit_at);
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(BREAKS),
        };
        if n.is_empty() || (n.len() > 1 && n.starts_with('0')) {
            return Err(BREAKS);
        }
        let secs = n
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .ok_or(BREAKS)?;
        if (self.min_secs..=self.max_secs).contains(&secs) {
            Ok(secs)
        } else {
            Err(Rejection::problem(format!("it is {}", fmt_duration(secs))))
        }
    }
    fn example(&self, seed: u64) -> String {
        let span = self.max_secs - self.min_secs;
        let minutes = (self.min_secs + mix(seed, 1) % (span + 1)).div_ceil(60) * 60;
        let secs = if seed == 0 {
            self.min_secs.max(3_600).min(self.max_secs)
        } else if minutes <= self.max_secs {
            minutes
        } else {
            self.max_secs
        };
        fmt_duration(secs)
    }
}

/// An AWS resource id of one kind: `PREFIX-` and 8 or 17 lowercase hex digits
/// (`vpc-0abc12345def67890`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsId {
    /// `vpc`, `subnet`, `rtb`, `sg`...
    pub prefix: &'static str,
}

fn is_aws_id(prefix: &str, v: &str) -> bool {
    v.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|h| {
            (h.len() == 8 || h.len() == 17)
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

impl Rule for AwsId {
    type Value = String;
    fn describe(&self) -> String {
        format!(
            "an id `{p}-` and 8 or 17 lowercase hex digits, like `{p}-0abc12345def67890`",
            p = self.prefix
        )
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        is_aws_id(self.prefix, v)
            .then(|| v.to_string())
            .ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        format!("{}-{}", self.prefix, hex(mix(seed, 7), 17))
    }
}

/// A comma-separated list of distinct ids of one kind ([`AwsId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsIds {
    /// `subnet`, `rtb`...
    pub prefix: &'static str,
    /// Fewest ids.
    pub min: usize,
    /// Most ids.
    pub max: usize,
}

impl Rule for AwsIds {
    type Value = Vec<String>;
    fn describe(&self) -> String {
        format!(
            "{} to {} distinct comma-separated ids `{p}-` and 8 or 17 lowercase hex digits, like `{p}-0abc12345def67890,{p}-0123456789abcdef0`",
            self.min,
            self.max,
            p = self.prefix
        )
    }
    fn parse(&self, v: &str) -> Result<Vec<String>, Rejection> {
        list(v, self.min, self.max)?
            .into_iter()
            .map(|i| {
                if is_aws_id(self.prefix, i) {
                    Ok(i.to_string())
                } else {
                    Err(Rejection::problem(format!(
                        "`{}` is not a `{}-` id",
                        shown(i),
                        self.prefix
                    )))
                }
            })
            .collect()
    }
    fn example(&self, seed: u64) -> String {
        let span = (self.max - self.min) as u64 + 1;
        let n = self.min as u64 + if seed == 0 { 0 } else { mix(seed, 1) % span };
        (0..n)
            .map(|i| format!("{}-{}", self.prefix, hex(mix(seed, 100 + i), 17)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The ARN of an AWS resource of one service and resource type, in this partition's shape
/// (`arn:aws:iam::123456789012:role/ci`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn {
    /// The service (`iam`, `sns`, `kms`...).
    pub service: &'static str,
    /// What the resource part starts with (`role/`, `key/`), or `""` for any.
    pub resource: &'static str,
    /// Whether the ARN has a region (IAM's have none).
    pub regional: bool,
}

impl Rule for Arn {
    type Value = String;
    fn describe(&self) -> String {
        format!(
            "an ARN `arn:PARTITION:{}:{}:ACCOUNT:{}…`, like `{}`",
            self.service,
            if self.regional { "REGION" } else { "" },
            self.resource,
            self.example(0)
        )
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(BREAKS);
        };
        let ok = *arn == "arn"
            && (*partition == "aws" || partition.starts_with("aws-"))
            && *service == self.service
            && if self.regional {
                is_region(region)
            } else {
                region.is_empty()
            }
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.len() > self.resource.len()
            && resource.starts_with(self.resource)
            && !resource.contains('*')
            && resource.chars().all(|c| c.is_ascii_graphic());
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        format!(
            "arn:aws:{}:{}:123456789012:{}example-{}",
            self.service,
            if self.regional { "eu-west-1" } else { "" },
            self.resource,
            seed % 1000
        )
    }
}

/// What an AWS Organizations target id names: the organization's root or an OU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgTarget {
    /// The root, `r-` and 4 to 32 lowercase letters or digits.
    Root(String),
    /// An organizational unit, `ou-`, 4 to 32 lowercase letters or digits, `-`, and 8 to 32
    /// more.
    OrganizationalUnit(String),
}

impl OrgTarget {
    /// The id as written.
    pub fn id(&self) -> &str {
        match self {
            OrgTarget::Root(s) | OrgTarget::OrganizationalUnit(s) => s,
        }
    }
}

/// The id of an organization's root (`r-a1b2`) or of an organizational unit
/// (`ou-a1b2-c3d4e5f6`), as AWS Organizations writes them (`^r-[0-9a-z]{4,32}$`,
/// `^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgTargetId;

fn lower_alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Rule for OrgTargetId {
    type Value = OrgTarget;
    fn describe(&self) -> String {
        "the organization's root id (`r-` and 4 to 32 lowercase letters or digits, like `r-a1b2`) or an organizational unit id (like `ou-a1b2-c3d4e5f6`)".into()
    }
    fn parse(&self, v: &str) -> Result<OrgTarget, Rejection> {
        if let Some(rest) = v.strip_prefix("r-") {
            return lower_alnum(rest, 4, 32)
                .then(|| OrgTarget::Root(v.to_string()))
                .ok_or(BREAKS);
        }
        if let Some((root, ou)) = v.strip_prefix("ou-").and_then(|r| r.split_once('-')) {
            return (lower_alnum(root, 4, 32) && lower_alnum(ou, 8, 32))
                .then(|| OrgTarget::OrganizationalUnit(v.to_string()))
                .ok_or(BREAKS);
        }
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rejection::problem("it is an account id")
                .hint("give the root or the OU that holds the member accounts: a policy associated with it applies to every account below it, and to accounts that join later"));
        }
        Err(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        if seed.is_multiple_of(2) {
            format!("r-{}", hex(mix(seed, 11), 4))
        } else {
            format!("ou-{}-{}", hex(mix(seed, 11), 4), hex(mix(seed, 13), 8))
        }
    }
}

/// An S3 object location, `s3://BUCKET/KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Uri;

/// An S3 object location, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

/// Whether `v` follows S3's rule for general-purpose bucket names (3 to 63 lowercase
/// letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`, not an
/// IP address).
pub fn is_bucket_name(v: &str) -> bool {
    (3..=63).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !v.contains("..")
        && v.parse::<std::net::Ipv4Addr>().is_err()
}

impl Rule for S3Uri {
    type Value = S3Location;
    fn describe(&self) -> String {
        "an S3 object location `s3://BUCKET/KEY`, like `s3://my-artifacts/backend/app.zip`".into()
    }
    fn parse(&self, v: &str) -> Result<S3Location, Rejection> {
        let rest = v.strip_prefix("s3://").ok_or(BREAKS)?;
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| Rejection::problem("it names no object key after the bucket"))?;
        if !is_bucket_name(bucket) {
            return Err(Rejection::problem(format!(
                "`{}` is not an S3 bucket name",
                shown(bucket)
            )));
        }
        let key = S3Key { max_bytes: 1024 }.parse(key)?;
        Ok(S3Location {
            bucket: bucket.to_string(),
            key,
        })
    }
    fn example(&self, seed: u64) -> String {
        format!(
            "s3://artifacts-{}/backend/app-{}.zip",
            seed % 100,
            mix(seed, 1) % 1000
        )
    }
}

/// A Lambda handler (`module.function`, `package.Class::method`): 1 to 128 characters, no
/// spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handler;

impl Rule for Handler {
    type Value = String;
    fn describe(&self) -> String {
        "a Lambda handler, 1 to 128 characters without spaces, like `app.handler`".into()
    }
    fn parse(&self, v: &str) -> Result<String, Rejection> {
        let ok = (1..=128).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        ok.then(|| v.to_string()).ok_or(BREAKS)
    }
    fn example(&self, seed: u64) -> String {
        format!("app{}.handler", seed % 100)
    }
}

/// A Fargate task size, `VCPU/GIB` (`2/4`): a vCPU count Fargate offers and a memory size it
/// allows with it, so the two can never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FargateSize;

/// The Fargate sizes: vCPUs, and the memory it allows in GiB (first, last, step).
pub const FARGATE_SIZES: &[(&str, i64, i64, i64)] = &[
    ("0.25", 1, 2, 1),
    ("0.5", 1, 4, 1),
    ("1", 2, 8, 1),
    ("2", 4, 16, 1),
    ("4", 8, 30, 1),
    ("8", 16, 60, 4),
    ("16", 32, 120, 8),
];

/// A Fargate size: vCPUs (as Batch spells them) and memory in GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// `0.25` ... `16`.
    pub vcpu: &'static str,
    /// GiB.
    pub memory_gib: i64,
}

impl Rule for FargateSize {
    type Value = Size;
    fn describe(&self) -> String {
        "a Fargate size `VCPU/GIB`, like `2/4`: 0.25 vCPU with 1-2 GiB, 0.5 with 1-4, 1 with 2-8, 2 with 4-16, 4 with 8-30, 8 with 16-60 (steps of 4), 16 with 32-120 (steps of 8)".into()
    }
    fn parse(&self, v: &str) -> Result<Size, Rejection> {
        let (cpu, mem) = v.split_once('/').ok_or(BREAKS)?;
        let &(vcpu, lo, hi, step) = FARGATE_SIZES
            .iter()
            .find(|(c, ..)| *c == cpu)
            .ok_or_else(|| Rejection::problem(format!("Fargate has no {cpu} vCPU size")))?;
        let memory_gib: i64 = mem.parse().map_err(|_| BREAKS)?;
        if memory_gib < lo || memory_gib > hi || (memory_gib - lo) % step != 0 {
            return Err(Rejection::problem(format!(
                "{vcpu} vCPU takes {lo} to {hi} GiB{}",
                if step > 1 {
                    format!(" in steps of {step}")
                } else {
                    String::new()
                }
            ))
            .hint(format!("use `{vcpu}/{lo}`")));
        }
        Ok(Size { vcpu, memory_gib })
    }
    fn example(&self, seed: u64) -> String {
        if seed == 0 {
            return "2/4".into();
        }
        let (vcpu, lo, hi, step) =
            FARGATE_SIZES[(mix(seed, 2) % FARGATE_SIZES.len() as u64) as usize];
        let steps = ((hi - lo) / step + 1) as u64;
        format!("{vcpu}/{}", lo + (mix(seed, 3) % steps) as i64 * step)
    }
}

#[cfg(test)]
mod fargate_size_tests {
    use super::*;

    #[test]
    fn every_example_is_a_fargate_size_and_mismatches_are_refused() {
        for seed in 0..500 {
            let v = FargateSize.example(seed);
            assert!(FargateSize.parse(&v).is_ok(), "{v}");
        }
        assert_eq!(
            FargateSize.parse("2/4").unwrap(),
            Size {
                vcpu: "2",
                memory_gib: 4
            }
        );
        assert!(FargateSize.parse("0.25/4").is_err());
        assert!(FargateSize.parse("8/18").is_err());
        assert!(FargateSize.parse("3/6").is_err());
    }
}
