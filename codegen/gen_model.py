#!/usr/bin/env python3
"""Generate harden's typed CloudFormation model from the official resource provider schemas.

The schemas come from the pinned `cfn-lint` package (see `codegen/requirements.txt`):
`cfnlint/data/schemas/providers/us-east-1.json` maps each resource type to its schema file in
`cfnlint/data/schemas/resources/`. For every type in `RESOURCE_TYPES` this writes one struct with
the writable properties (read-only ones are attributes, not inputs), a struct per nested
definition, the create-only property paths and the attributes `Fn::GetAtt` may name.

It also writes `handlers.rs`: for every type, the IAM actions its resource provider's
`create`, `read`, `update`, `delete` and `list` handlers need (the schema's `handlers` section;
`list` because harden imports retained resources with an IMPORT change set). What CloudFormation
does with a service role is exactly these calls, so the service role's policy is computed from
this table (`blueprints/src/iam_policy.rs`). Each action is normalised at generation time:
  - the service prefix is lowercased (IAM prefixes are case-insensitive; some schemas write
    `Batch:` or `Iam:`);
  - a wildcard in the action name (`ec2:Describe*`) is expanded into the concrete operations of
    that service in the pinned botocore's API model (`.tools/botocore`, version in
    `tests/judges/requirements-botocore.txt`), so the table never holds `*`;
  - an action whose name matches an API operation case-insensitively takes the operation's
    spelling (`batch:UnTagResource` is `batch:UntagResource`, `ec2:DeleteVpcEndPoints` is
    `ec2:DeleteVpcEndpoints`), so one permission is listed once;
  - a name that is not IAM action syntax (`s3:REST.PUT.OBJECT`: an S3 access-log operation,
    not an action), or that IAM does not know (cfn-lint's service authorization data,
    `cfnlint/data/AdditionalSpecs/Policies.json`, has no such action of a service it knows:
    `s3:DeleteBucketCors` is `s3:PutBucketCORS`, a stale schema entry), is dropped and listed in
    the generated file's header;
  - an action that data gives no resource type is listed in `NO_RESOURCE_TYPE`: IAM evaluates
    it against `*` only, so a policy may grant it only on `*`.
The IAM prefix is the botocore service name except where `IAM_TO_BOTOCORE` says otherwise
(`access-analyzer` is botocore's `accessanalyzer`, `aoss` is `opensearchserverless`...). The
action name is the API operation name except for permission-only actions (`iam:PassRole`,
`lambda:PassCapacityProvider`), S3 actions named after the configuration rather than the call
(`s3:PutEncryptionConfiguration` is PutBucketEncryption) and API Gateway's HTTP verbs
(`apigateway:POST`): these have no operation to match and are kept as the schema writes them.

Usage:
    python codegen/gen_model.py            # rewrite blueprints/src/cfn/generated/
    python codegen/gen_model.py --check    # exit 1 if regenerating would change a file

Adding a resource type is one line in RESOURCE_TYPES.
"""
import json
import os
import re
import sys
from collections import OrderedDict
from pathlib import Path

RESOURCE_TYPES = [
    "AWS::AccessAnalyzer::Analyzer",
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::UsagePlan",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::Batch::ComputeEnvironment",
    "AWS::Batch::JobDefinition",
    "AWS::Batch::JobQueue",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::CloudTrail::Trail",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolRiskConfigurationAttachment",
    "AWS::Config::ConfigRule",
    "AWS::Config::ConfigurationAggregator",
    "AWS::Config::ConfigurationRecorder",
    "AWS::Config::DeliveryChannel",
    "AWS::DynamoDB::Table",
    "AWS::EC2::EIP",
    "AWS::EC2::FlowLog",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkAclEntry",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetNetworkAclAssociation",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::ECR::RegistryScanningConfiguration",
    "AWS::ECR::Repository",
    "AWS::ECS::Cluster",
    "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::Events::Rule",
    "AWS::GuardDuty::Detector",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::OIDCProvider",
    "AWS::IAM::Role",
    "AWS::IAM::RolePolicy",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::Macie::Session",
    "AWS::Logs::MetricFilter",
    "AWS::OpenSearchServerless::AccessPolicy",
    "AWS::OpenSearchServerless::Collection",
    "AWS::OpenSearchServerless::SecurityPolicy",
    "AWS::OpenSearchServerless::VpcEndpoint",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBSubnetGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::Pipeline",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::SecurityHub::AutomationRule",
    "AWS::SecurityHub::ConfigurationPolicy",
    "AWS::SecurityHub::FindingAggregator",
    "AWS::SecurityHub::Hub",
    "AWS::SecurityHub::OrganizationConfiguration",
    "AWS::SecurityHub::PolicyAssociation",
    "AWS::SecurityHub::Standard",
    "AWS::WAFv2::IPSet",
    "AWS::WAFv2::LoggingConfiguration",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
]

ROOT = Path(__file__).resolve().parent.parent
BOTOCORE_SITE = ROOT / ".tools" / "botocore" / "lib"
HANDLER_OPS = ("create", "read", "update", "delete", "list")
# IAM service prefix -> botocore service name(s), where they differ. A prefix missing here and
# from botocore (`backup-storage`, `vpce`: permission-only services) has no API model: its
# actions are kept as written, and a wildcard in one is an error.
IAM_TO_BOTOCORE = {
    "access-analyzer": ["accessanalyzer"],
    "aoss": ["opensearchserverless"],
    "bedrock-agentcore": ["bedrock-agentcore", "bedrock-agentcore-control"],
    "elasticfilesystem": ["efs"],
    "elasticloadbalancing": ["elbv2", "elb"],
}
ACTION_SYNTAX = re.compile(r"[a-z0-9-]+:[A-Za-z0-9*]+")
OUT = ROOT / "blueprints" / "src" / "cfn" / "generated"
KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
}


def schemas_dir():
    import cfnlint  # noqa: the pinned judge package carries the schemas

    return Path(cfnlint.__file__).parent / "data" / "schemas"


def cfnlint_version():
    from importlib.metadata import version

    return version("cfn-lint")


def botocore_data():
    """The pinned botocore's `data` directory and version (read as files: the generator runs
    under the cfn-lint venv, whose own botocore is not the pin)."""
    inits = sorted(BOTOCORE_SITE.glob("python3*/site-packages/botocore/__init__.py"))
    if not inits:
        sys.exit("error: the pinned botocore is not installed under .tools/botocore\nhint: run `bash scripts/tools.sh`")
    m = re.search(r"__version__ = '([^']+)'", inits[-1].read_text())
    return inits[-1].parent / "data", m.group(1) if m else "unknown"


class Operations:
    """The API operation names of botocore services, by IAM prefix, loaded on first use."""

    def __init__(self, data_dir):
        self.data = data_dir
        self.cache = {}

    def load_service(self, name):
        import gzip

        d = self.data / name
        if not d.is_dir():
            return None
        versions = sorted(v for v in d.iterdir() if (v / "service-2.json.gz").exists() or (v / "service-2.json").exists())
        if not versions:
            return None
        f = versions[-1] / "service-2.json.gz"
        raw = gzip.decompress(f.read_bytes()) if f.exists() else (versions[-1] / "service-2.json").read_bytes()
        return sorted(json.loads(raw)["operations"])

    def of(self, prefix):
        """Operation names for an IAM prefix, or None if botocore has no model of it."""
        if prefix not in self.cache:
            ops, found = set(), False
            for name in IAM_TO_BOTOCORE.get(prefix, [prefix]):
                names = self.load_service(name)
                if names is not None:
                    found = True
                    ops.update(names)
            self.cache[prefix] = sorted(ops) if found else None
        return self.cache[prefix]


def normalise_action(action, ops, where):
    """The concrete actions one schema permission stands for (see the module docstring), or []
    if it is not IAM action syntax."""
    import fnmatch

    prefix, _, name = action.partition(":")
    prefix = prefix.lower()
    full = f"{prefix}:{name}"
    if not ACTION_SYNTAX.fullmatch(full):
        return []
    known = ops.of(prefix)
    if "*" in name:
        if known is None:
            sys.exit(f"error: {where}: `{action}` has a wildcard and botocore has no API model of `{prefix}` to expand it\nhint: add the botocore service name to IAM_TO_BOTOCORE")
        hits = [o for o in known if fnmatch.fnmatchcase(o.lower(), name.lower())]
        if not hits:
            sys.exit(f"error: {where}: `{action}` matches no operation of botocore's `{prefix}` model")
        return [f"{prefix}:{o}" for o in hits]
    if known is not None:
        for o in known:
            if o.lower() == name.lower():
                return [f"{prefix}:{o}"]
    return [full]


def iam_actions():
    """`{prefix: {lowercased action: [resource types]}}` from cfn-lint's service authorization
    data (the same data its W3037 check uses)."""
    data = json.loads((schemas_dir().parent / "AdditionalSpecs" / "Policies.json").read_text())
    return {svc: {a: v.get("Resources", []) for a, v in d.get("Actions", {}).items()} for svc, d in data.items()}


def known_to_iam(action, iam):
    """False if IAM's data knows the service but not the action."""
    prefix, _, name = action.partition(":")
    return prefix not in iam or name.lower() in iam[prefix]


def has_no_resource_type(action, iam):
    prefix, _, name = action.partition(":")
    return prefix in iam and not iam[prefix].get(name.lower())


def handler_permissions(type_name, schema, ops, dropped, iam):
    """`{op: sorted concrete actions}` for the handlers the schema declares."""
    out = {}
    for op in HANDLER_OPS:
        h = schema.get("handlers", {}).get(op)
        if h is None:
            continue
        acts = set()
        for p in h.get("permissions", []):
            got = [a for a in normalise_action(p, ops, f"{type_name} {op} handler") if known_to_iam(a, iam)]
            if not got:
                dropped.add(f"{type_name}: `{p}`")
            acts.update(got)
        out[op] = sorted(acts, key=lambda a: (a.lower(), a))
    return out


def render_handlers(rows, header, botocore_version, dropped, iam):
    lines = [header.rstrip("\n"), f"// Wildcards expanded and names matched against botocore {botocore_version}'s API models.", ""]
    lines.append("//! The IAM actions each resource type's provider handlers need, from the schemas'")
    lines.append("//! `handlers` permissions: what CloudFormation calls on a stack's behalf, so what its")
    lines.append("//! service role must allow. Prefixes lowercased, wildcards expanded into the service's API")
    lines.append("//! operations, names spelt as the API spells them (see `codegen/gen_model.py`): no action")
    lines.append("//! holds `*`. IAM action names are the API operation names except permission-only actions")
    lines.append("//! (`iam:PassRole`), S3 actions named after the configuration (`s3:PutEncryptionConfiguration`")
    lines.append("//! for PutBucketEncryption) and API Gateway's HTTP verbs (`apigateway:POST`).")
    if dropped:
        lines.append("//!")
        lines.append("//! Dropped as not IAM action syntax, or unknown to IAM:")
        for d in sorted(dropped):
            lines.append(f"//! - {d}")
    lines.append("")
    lines.append("/// The handler permissions of one resource type; an empty list where the schema")
    lines.append("/// declares no such handler.")
    lines.append("#[derive(Debug, Clone, Copy, PartialEq, Eq)]")
    lines.append("pub struct Handlers {")
    lines.append("    /// `AWS::Service::Resource`")
    lines.append("    pub type_name: &'static str,")
    for op in HANDLER_OPS:
        lines.append(f"    /// What the `{op}` handler calls.")
        lines.append(f"    pub {op}: &'static [&'static str],")
    lines.append("}")
    lines.append("")
    lines.append("/// Every generated resource type's handler permissions, sorted by type name.")
    lines.append("pub static HANDLERS: &[Handlers] = &[")
    for t, perms in rows:
        lines.append("    Handlers {")
        lines.append(f'        type_name: "{t}",')
        for op in HANDLER_OPS:
            acts = perms.get(op, [])
            if not acts:
                lines.append(f"        {op}: &[],")
            else:
                lines.append(f"        {op}: &[")
                for a in acts:
                    lines.append(f'            "{a}",')
                lines.append("        ],")
        lines.append("    },")
    lines.append("];")
    lines.append("")
    every = sorted({a for _t, perms in rows for acts in perms.values() for a in acts}, key=lambda a: (a.lower(), a))
    lines.append("/// The actions of [`HANDLERS`] that IAM gives no resource type (cfn-lint's service")
    lines.append("/// authorization data): IAM evaluates them against `*` only, so a policy grants them on `*`.")
    lines.append("pub static NO_RESOURCE_TYPE: &[&str] = &[")
    for a in every:
        if has_no_resource_type(a, iam):
            lines.append(f'    "{a}",')
    lines.append("];")
    return "\n".join(lines) + "\n"


def snake(name):
    s = re.sub(r"[^A-Za-z0-9]", "_", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"_+", "_", s).strip("_").lower()
    if s[0].isdigit():
        s = "n" + s
    if s in KEYWORDS:
        s += "_"
    return s


def pascal(name):
    parts = re.split(r"[^A-Za-z0-9]", name)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if out[0].isdigit():
        out = "N" + out
    if out in KEYWORDS or out in ("Expr", "Node", "Option", "Vec", "Box", "String"):
        out += "Def"
    return out


def doc_line(text):
    if not text:
        return None
    first = text.strip().split("\n")[0]
    first = re.split(r"(?<=[.])\s", first)[0]
    first = first.replace("[", "\\[").replace("]", "\\]").replace("<", "\\<")
    return first[:200]


class TypeGen:
    """Turns one resource schema into Rust source."""

    def __init__(self, type_name, schema):
        self.type_name = type_name
        self.schema = schema
        self.defs = schema.get("definitions", {})
        self.structs = OrderedDict()  # rust name -> (schema, doc)
        self.def_names = {}  # definition name -> rust name
        self.inline_seq = 0

    def resolve(self, sch):
        seen = 0
        while "$ref" in sch and seen < 10:
            ref = sch["$ref"]
            if not ref.startswith("#/definitions/"):
                return sch
            sch = self.defs[ref.split("/")[-1]]
            seen += 1
        return sch

    def is_struct(self, sch):
        sch = self.resolve(sch)
        return sch.get("type") == "object" and bool(sch.get("properties")) and not any(
            k in sch for k in ("oneOf", "anyOf", "patternProperties")
        )

    def struct_name_for(self, sch, hint):
        if "$ref" in sch:
            dname = sch["$ref"].split("/")[-1]
            target = self.resolve(sch)
            if dname not in self.def_names:
                rname = pascal(dname)
                while rname in self.structs:
                    rname += "Def"
                self.def_names[dname] = rname
                self.structs[rname] = (target, target.get("description"))
            return self.def_names[dname]
        rname = pascal(hint)
        while rname in self.structs:
            rname += "Def"
        self.structs[rname] = (sch, sch.get("description"))
        return rname

    def field_type(self, sch, hint):
        """Returns (rust type, referenced struct name or None, is_vec)."""
        if self.is_struct(sch):
            return self.struct_name_for(sch, hint), False
        r = self.resolve(sch)
        if r.get("type") == "array" and "items" in r and self.is_struct(r["items"]):
            return self.struct_name_for(r["items"], hint), True
        return None, False


def gen_struct(tg, rust_name, sch, doc, resource_level, mod_prefix):
    props = sch.get("properties", {})
    required = set(sch.get("required", []))
    readonly = set()
    if resource_level:
        readonly = {p.split("/")[2] for p in tg.schema.get("readOnlyProperties", []) if p.count("/") == 2}
    fields = []
    for pname in sorted(props):
        if pname in readonly:
            continue
        psch = props[pname]
        sname, is_vec = tg.field_type(psch, pname)
        fields.append((pname, snake(pname), sname, is_vec, pname in required, doc_line(psch.get("description"))))
    return fields


def render_fields(fields, prefix, boxed):
    lines = []
    for pname, fname, sname, is_vec, _req, fdoc in fields:
        if sname is None:
            ty = "Expr"
        elif is_vec:
            ty = f"Vec<{prefix}{sname}>"
        elif sname in boxed:
            ty = f"Box<{prefix}{sname}>"
        else:
            ty = f"{prefix}{sname}"
        if fdoc:
            lines.append(f"    /// {fdoc}")
        lines.append(f"    /// CloudFormation: `{pname}`")
        lines.append(f"    pub {fname}: Option<{ty}>,")
    return lines


def render_to_node(rust_path, fields):
    lines = [f"impl ToNode for {rust_path} {{", "    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node {",
             "        let mut m = NodeMap::new();"]
    for pname, fname, _s, _v, req, _d in fields:
        lines.append(f'        field(&mut m, path, errs, "{pname}", &self.{fname}, {"true" if req else "false"});')
    lines += ["        Node::Map(m)", "    }", "}"]
    return lines


def boxed_structs(tg, struct_fields):
    """Struct names that must be boxed: those that reach themselves through direct fields."""
    edges = {n: {s for (_p, _f, s, v, _r, _d) in fs if s and not v} for n, fs in struct_fields.items()}

    def reaches(a, target):
        stack, seen = list(edges.get(a, ())), set()
        while stack:
            x = stack.pop()
            if x == target:
                return True
            if x in seen:
                continue
            seen.add(x)
            stack.extend(edges.get(x, ()))
        return False

    return {n for n in edges if reaches(n, n)}


def getatt_names(type_name):
    """The attributes cfn-lint accepts in `Fn::GetAtt` (read-only properties plus its known
    exceptions), so our compile-time check and the judge agree."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name)
    return sorted(k for k in schema.get_atts.keys() if re.fullmatch(r"[A-Za-z0-9.]+", k))


def gen_resource(type_name, schema):
    _, service, res = type_name.split("::")
    tg = TypeGen(type_name, schema)
    top_fields = gen_struct(tg, res, schema, schema.get("description"), True, "")
    struct_fields = OrderedDict()
    done = set()
    while True:
        pending = [n for n in tg.structs if n not in done]
        if not pending:
            break
        for n in pending:
            done.add(n)
            sch, doc = tg.structs[n]
            struct_fields[n] = gen_struct(tg, n, sch, doc, False, "")
    boxed = boxed_structs(tg, struct_fields)
    mod = snake(res)
    if mod in KEYWORDS or mod.endswith("_"):
        mod = mod.rstrip("_") + "_types"
    out = []
    d = doc_line(schema.get("description"))
    out.append(f"/// `{type_name}`" + (f": {d}" if d else ""))
    out.append("#[derive(Debug, Clone, Default, PartialEq)]")
    out.append(f"pub struct {res} {{")
    out += render_fields(top_fields, f"{mod}::", {f for f in boxed})
    out.append("}")
    out.append("")
    attrs = getatt_names(type_name)
    create_only = sorted(p[len("/properties/"):] for p in schema.get("createOnlyProperties", []) if p.startswith("/properties/"))
    out.append(f"/// The attributes `Fn::GetAtt` may name on `{type_name}`.")
    out.append("#[derive(Debug, Clone, Copy, PartialEq, Eq)]")
    out.append(f"pub enum {res}Attr {{")
    for a in attrs:
        out.append(f"    /// `{a}`")
        out.append(f"    {pascal(a)},")
    out.append("}")
    out.append("")
    out.append(f"impl Attribute for {res}Attr {{")
    out.append("    fn name(self) -> &'static str {")
    if attrs:
        out.append("        match self {")
        for a in attrs:
            out.append(f'            Self::{pascal(a)} => "{a}",')
        out.append("        }")
    else:
        out.append("        match self {}")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append(f"impl ResourceKind for {res} {{")
    out.append(f'    const TYPE: &\'static str = "{type_name}";')
    out.append(f"    type Attr = {res}Attr;")
    out.append("}")
    out.append("")
    out.append(f"impl Properties for {res} {{")
    out.append("    fn type_name(&self) -> &'static str {")
    out.append(f'        "{type_name}"')
    out.append("    }")
    if top_fields:
        out.append("    fn to_node(&self, path: &Path<'_>, errs: &mut Vec<String>) -> Node {")
        out.append("        let mut m = NodeMap::new();")
    else:  # a type without properties (AWS::CloudFormation::WaitConditionHandle)
        out.append("    fn to_node(&self, _path: &Path<'_>, _errs: &mut Vec<String>) -> Node {")
        out.append("        let m = NodeMap::new();")
    for pname, fname, _s, _v, req, _d in top_fields:
        out.append(f'        field(&mut m, path, errs, "{pname}", &self.{fname}, {"true" if req else "false"});')
    out.append("        Node::Map(m)")
    out.append("    }")
    out.append("    fn clone_box(&self) -> Box<dyn Properties> {")
    out.append("        Box::new(self.clone())")
    out.append("    }")
    out.append("    fn as_any(&self) -> &dyn std::any::Any {")
    out.append("        self")
    out.append("    }")
    out.append("    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {")
    out.append("        self")
    out.append("    }")
    out.append("}")
    out.append("")
    top = lambda paths: sorted(p[len("/properties/"):] for p in paths if p.startswith("/properties/") and "/" not in p[len("/properties/"):])
    primary = top(schema.get("primaryIdentifier", []))
    required = sorted(schema.get("required", []))
    importable = "read" in schema.get("handlers", {}) and bool(primary)
    info = (type_name, create_only, attrs, primary, required, importable)
    out.append(f"/// Nested property types of `{type_name}`.")
    out.append(f"pub mod {mod} {{")
    out.append("    #[allow(unused_imports)]")
    out.append("    use crate::cfn::model::{field, Expr, Node, NodeMap, Path, ToNode};")
    for n, fields in struct_fields.items():
        sch, doc = tg.structs[n]
        out.append("")
        d = doc_line(doc)
        if d:
            out.append(f"    /// {d}")
        out.append("    #[derive(Debug, Clone, Default, PartialEq)]")
        out.append(f"    pub struct {n} {{")
        out += ["    " + l for l in render_fields(fields, "", boxed)]
        out.append("    }")
        out.append("")
        out += ["    " + l for l in render_to_node(n, fields)]
    out.append("}")
    return service, out, info


def generate():
    sd = schemas_dir()
    providers = json.loads((sd / "providers" / "us-east-1.json").read_text())
    by_service = OrderedDict()
    infos = []
    data_dir, botocore_version = botocore_data()
    ops = Operations(data_dir)
    handler_rows, dropped = [], set()
    iam = iam_actions()
    for t in sorted(RESOURCE_TYPES):
        if t not in providers:
            sys.exit(f"error: `{t}` is not in the cfn-lint {cfnlint_version()} us-east-1 provider schemas")
        schema = json.loads((sd / "resources" / f"{providers[t]}.json").read_text())
        service, lines, info = gen_resource(t, schema)
        handler_rows.append((t, handler_permissions(t, schema, ops, dropped, iam)))
        by_service.setdefault(service, []).append(lines)
        infos.append(info)
    header = f"// @generated by codegen/gen_model.py from the cfn-lint {cfnlint_version()} resource provider schemas. DO NOT EDIT.\n"
    files = {}
    for service, chunks in by_service.items():
        body = [header, "#![allow(clippy::all, missing_docs)]", f"//! `AWS::{service}::*` resource types.", "",
                "#[allow(unused_imports)]",
                "use crate::cfn::model::{field, Attribute, Expr, Node, NodeMap, Path, Properties, ResourceKind, ToNode};", ""]
        for c in chunks:
            body += c
            body.append("")
        files[f"{service.lower()}.rs"] = "\n".join(body).rstrip() + "\n"
    files["handlers.rs"] = render_handlers(handler_rows, header, botocore_version, dropped, iam)
    mod = [header, "//! Typed resource properties, one module per AWS service, and the permissions each", "//! type's provider handlers need.", ""]
    mod.append("pub mod handlers;")
    for service in by_service:
        mod.append(f"pub mod {service.lower()};")
    mod.append("")
    mod.append("/// What the schemas say of one resource type: the properties whose change replaces the")
    mod.append("/// resource, the attributes `Fn::GetAtt` may name, what identifies it, what a template must")
    mod.append("/// set, and whether it can be imported.")
    mod.append("#[derive(Debug, Clone, Copy, PartialEq, Eq)]")
    mod.append("pub struct TypeInfo {")
    mod.append("    /// `AWS::Service::Resource`")
    mod.append("    pub type_name: &'static str,")
    mod.append("    /// Top-level property paths (`/`-separated below the top) whose change replaces the resource.")
    mod.append("    pub create_only: &'static [&'static str],")
    mod.append("    /// Attribute names, `.`-separated for nested ones.")
    mod.append("    pub attributes: &'static [&'static str],")
    mod.append("    /// The properties that identify a resource of the type (`primaryIdentifier`): what a")
    mod.append("    /// resource import names it by.")
    mod.append("    pub primary_identifier: &'static [&'static str],")
    mod.append("    /// Properties a template must set.")
    mod.append("    pub required: &'static [&'static str],")
    mod.append("    /// Whether CloudFormation can import an existing resource of the type (its provider")
    mod.append("    /// has a read handler and a primary identifier).")
    mod.append("    pub importable: bool,")
    mod.append("}")
    mod.append("")
    mod.append("/// Every generated resource type, sorted by name.")
    mod.append("pub static TYPES: &[TypeInfo] = &[")
    for t, co, at, pi, rq, imp in infos:
        co_s = ", ".join(f'"{c}"' for c in co)
        at_s = ", ".join(f'"{a}"' for a in at)
        pi_s = ", ".join(f'"{c}"' for c in pi)
        rq_s = ", ".join(f'"{c}"' for c in rq)
        mod.append("    TypeInfo {")
        mod.append(f'        type_name: "{t}",')
        mod.append(f"        create_only: &[{co_s}],")
        mod.append(f"        attributes: &[{at_s}],")
        mod.append(f"        primary_identifier: &[{pi_s}],")
        mod.append(f"        required: &[{rq_s}],")
        mod.append(f"        importable: {'true' if imp else 'false'},")
        mod.append("    },")
    mod.append("];")
    files["mod.rs"] = "\n".join(mod) + "\n"
    return files


def main():
    check = "--check" in sys.argv[1:]
    files = generate()
    stale = []
    for name, text in files.items():
        path = OUT / name
        old = path.read_text() if path.exists() else None
        if old != text:
            stale.append(name)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    extra = sorted(p.name for p in OUT.glob("*.rs") if p.name not in files) if OUT.exists() else []
    for name in extra:
        stale.append(name)
        if not check:
            (OUT / name).unlink()
    if check:
        if stale:
            print("error: the generated CloudFormation model is stale: " + ", ".join(stale), file=sys.stderr)
            print("hint: run `python codegen/gen_model.py` with the pinned cfn-lint and commit the result", file=sys.stderr)
            sys.exit(1)
        print(f"generated model up to date ({len(files)} files, {len(RESOURCE_TYPES)} resource types)")
    else:
        print(f"wrote {len(stale)} of {len(files)} files under {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
