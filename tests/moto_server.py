#!/usr/bin/env python3
"""moto's server with the CloudFormation calls harden relies on that moto 5.2.5 lacks,
implemented as AWS documents them, so the deploy tests exercise harden rather than moto's gaps.

    moto_server.py -H 127.0.0.1 -p PORT

Run with the moto venv's python (`.tools/moto/bin/python`). Each patch below names the AWS
behaviour it adds; nothing else of moto is changed. Binds where it is told (the tests pass
127.0.0.1 only).

- `UpdateTerminationProtection` (moto answers HTTP 500): sets the stack's flag, which
  `DescribeStacks` already reports; `DeleteStack` on a protected stack is refused with AWS's
  ValidationError, as AWS does.
- `GetTemplate` with `ChangeSetName` (moto ignores it and returns the stack's template): the
  change set's template.
- `DescribeChangeSet` returns the change set's tags (moto keeps them as a map and answers
  none): as AWS does, a list of `Key` / `Value` pairs.
- `ExecuteChangeSet` gives the stack the change set's tags, outputs, exports and service role
  (moto keeps the old tags, the outputs of the template the stack was created with, no
  exports and no role), and resolves `Fn::ImportValue` against the region's exports (moto
  gives a stack made by a change set an empty export table), as AWS does.
- `DescribeStacks` names each output's own `ExportName` (moto gives an output the name of the
  first export whose value equals its value, so two outputs of one value share a name and
  the other export is never named), as AWS does.
- `DescribeStackResources` with `PhysicalResourceId` and no `StackName` (moto requires the
  stack name): the resources of the stack that owns that physical resource, or AWS's
  ValidationError when no stack does.
- `AWS::ApiGateway::RequestValidator` as a CloudFormation resource (moto's API Gateway has
  request validators but not their CloudFormation type, so a method naming one by `Fn::GetAtt`
  fails with "references undefined resource"): created, given its `RequestValidatorId`, and
  deleted through moto's own API Gateway backend.
- `AWS::RDS::DBInstance` naming the stack's own parameter group by `Ref` (moto passes its
  model where a name belongs, and fails) gets the group's name, as AWS's `Ref` gives; with
  `ManageMasterUserPassword` (moto's CloudFormation model drops it, so no secret is made) it
  creates the RDS-managed master secret under
  `MasterUserSecret.KmsKeyId`, as RDS does, through moto's own RDS model; and `Fn::GetAtt` of
  the instance's `DbiResourceId` and `MasterUserSecret.SecretArn` (moto evaluates only
  `Endpoint.Address` and `Endpoint.Port`) gives the values moto's RDS already holds.
- `AWS::IAM::OIDCProvider` as a CloudFormation resource (moto's IAM has the provider but not
  its CloudFormation type, so a template with one fails on any `Fn::GetAtt` of it): created,
  given its `Arn`, and deleted through moto's own IAM backend, as CloudFormation does.
- Drift detection (moto answers HTTP 500, which the SDK retries): `DetectStackDrift` starts a
  detection and returns its id; `DescribeStackDriftDetectionStatus` reports it complete and
  the stack `IN_SYNC`, with the time; `DescribeStackResourceDrifts` lists no drifted
  resource (moto's `DescribeStacks` carries no `DriftInformation`, so harden's `auto` detects
  on every plan here). This emulator does
  not compare the live resources with the template (nothing changes them behind
  CloudFormation's back in the tests), so every stack is in sync: drifted stacks are tested
  with the SDK's mocks.
- `AWS::IAM::ManagedPolicy` deleted with its stack (moto's CloudFormation model has no delete,
  so the policy stays attached and deleting the role it is attached to fails with
  DeleteConflict): detached from every role, user and group, then deleted, as CloudFormation
  does. (Seen when `harden destroy --org` deletes stack set instances.)
- `DescribeEvents` (moto answers HTTP 500): no operation events. moto runs none of
  CloudFormation's pre-deployment validations and no hooks, so there is nothing to report;
  validation failures and hook results are tested with the SDK's mocks.
- `DescribeChangeSetHooks` (moto answers HTTP 500): no hooks will run (`Status:
  UNAVAILABLE`, as AWS answers in an account without hooks); planned hooks are tested with the
  SDK's mocks.
"""
import sys
import uuid
from datetime import datetime, timezone

from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends
from moto.cloudformation.parsing import clean_json
from moto.core.responses import ActionResult
from moto.core.common_models import CloudFormationModel
from moto.apigateway.models import apigateway_backends
from moto.iam.models import ManagedPolicy, iam_backends
from moto.server import main


class OidcProviderResource(CloudFormationModel):
    """`AWS::IAM::OIDCProvider`: an IAM OpenID Connect provider, by moto's IAM backend."""

    # moto's model registry files each model under the service its module names.
    __module__ = "moto.iam.cfn_oidc_provider"

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_type():
        return "AWS::IAM::OIDCProvider"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.arn
        raise NotImplementedError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        backend = iam_backends[account_id]["global"]
        provider = backend.create_open_id_connect_provider(
            props["Url"],
            props.get("ThumbprintList", []),
            props.get("ClientIdList", []),
            props.get("Tags", []),
        )
        return cls(provider.arn)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        iam_backends[account_id]["global"].delete_open_id_connect_provider(resource_name)

    def delete(self, account_id, region_name):
        iam_backends[account_id]["global"].delete_open_id_connect_provider(self.arn)


class RequestValidatorResource(CloudFormationModel):
    """`AWS::ApiGateway::RequestValidator`: a REST API's request validator, by moto's API
    Gateway backend."""

    __module__ = "moto.apigateway.cfn_request_validator"

    def __init__(self, account_id, region_name, rest_api_id, validator_id):
        self.account_id = account_id
        self.region_name = region_name
        self.rest_api_id = rest_api_id
        self.validator_id = validator_id

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGateway::RequestValidator"

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @property
    def physical_resource_id(self):
        return self.validator_id

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "RequestValidatorId"

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "RequestValidatorId":
            return self.validator_id
        raise NotImplementedError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        rest_api_id = props["RestApiId"]
        validator = apigateway_backends[account_id][region_name].create_request_validator(
            rest_api_id,
            props.get("Name", resource_name),
            props.get("ValidateRequestBody", False),
            props.get("ValidateRequestParameters", False),
        )
        return cls(account_id, region_name, rest_api_id, validator.id)

    def delete(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_request_validator(
                self.rest_api_id, self.validator_id
            )
        except Exception:
            # The API went first: its validators went with it.
            pass
from moto.rds.models import DBInstance, MasterUserSecret

_db_has_cfn_attr = DBInstance.has_cfn_attr.__func__
_db_get_cfn_attribute = DBInstance.get_cfn_attribute
_db_create = DBInstance.create_from_cloudformation_json.__func__
_DB_ATTRS = ("DbiResourceId", "MasterUserSecret.SecretArn")


def db_has_cfn_attr(cls, attr):
    return attr in _DB_ATTRS or _db_has_cfn_attr(cls, attr)


def db_get_cfn_attribute(self, attribute_name):
    if attribute_name == "DbiResourceId":
        return self.dbi_resource_id
    if attribute_name == "MasterUserSecret.SecretArn":
        return self.master_user_secret.secret.arn
    return _db_get_cfn_attribute(self, attribute_name)


def db_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json.get("Properties", {})
    group = props.get("DBParameterGroupName")
    if hasattr(group, "name"):
        # A `Ref` of the stack's own parameter group: moto resolves it to its model, and
        # then takes that for a name; AWS's `Ref` is the group's name.
        props["DBParameterGroupName"] = group.name
    db = _db_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    if str(props.get("ManageMasterUserPassword", "")).lower() == "true":
        db.manage_master_user_password = True
        db.master_user_secret = MasterUserSecret(
            db, (props.get("MasterUserSecret") or {}).get("KmsKeyId")
        )
    return db


DBInstance.has_cfn_attr = classmethod(db_has_cfn_attr)
DBInstance.get_cfn_attribute = db_get_cfn_attribute
DBInstance.create_from_cloudformation_json = classmethod(db_create)


def _backend(self):
    return self.cloudformation_backend


def update_termination_protection(self):
    stack = _backend(self).get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection")
    return ActionResult({"StackId": stack.stack_id})


_delete_stack = cfn_responses.CloudFormationResponse.delete_stack


def delete_stack(self):
    name = self._get_param("StackName")
    try:
        stack = _backend(self).get_stack(name)
    except ValidationError:
        stack = None
    if stack is not None and getattr(stack, "enable_termination_protection", False):
        raise ValidationError(
            message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
        )
    return _delete_stack(self)


_get_template = cfn_responses.CloudFormationResponse.get_template


def get_template(self):
    change_set = self._get_param("ChangeSetName")
    if not change_set:
        return _get_template(self)
    cs = _backend(self).describe_change_set(change_set_name=change_set)
    return ActionResult({"TemplateBody": cs.template})


class _ChangeSetView:
    """A change set as `DescribeChangeSet` shows it: tags as Key/Value pairs."""

    def __init__(self, cs):
        self._cs = cs
        tags = cs.tags or {}
        pairs = tags if isinstance(tags, list) else [{"Key": k, "Value": v} for k, v in tags.items()]
        self.tags = pairs
        self.Tags = pairs

    def __getattr__(self, name):
        return getattr(self._cs, name)


def describe_change_set(self):
    cs = _backend(self).describe_change_set(change_set_name=self._get_param("ChangeSetName"))
    return ActionResult(_ChangeSetView(cs))


_describe_stack_resources = cfn_responses.CloudFormationResponse.describe_stack_resources


def describe_stack_resources(self):
    physical = self._get_param("PhysicalResourceId")
    if self._get_param("StackName") or not physical:
        return _describe_stack_resources(self)
    for stack in list(_backend(self).stacks.values()):
        resources = list(stack.stack_resources)
        for res in resources:
            if getattr(res, "physical_resource_id", None) == physical:
                return ActionResult(
                    {
                        "StackResources": [
                            cfn_responses.StackResourceDTO(stack, r) for r in resources
                        ]
                    }
                )
    raise ValidationError(message=f"Stack for {physical} does not exist")


_execute_change_set = CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    cs = self.describe_change_set(change_set_name=change_set_name)
    stack = self.stacks[cs.stack_id]
    # Imports resolve against the region's exports (the backend's live map).
    stack.cross_stack_resources = self.exports
    stack.resource_map.cross_stack_resources = self.exports
    _execute_change_set(self, change_set_name, stack_name)
    if cs.tags is not None:
        stack.tags = cs.tags
    # The stack's outputs and service role are the executed change set's. Where moto cannot
    # evaluate the outputs (it re-creates resources it cannot parse), it keeps answering none.
    stack.role_arn = getattr(cs, "role_arn", None)
    kept = stack.output_map
    try:
        stack._parse_template()
        stack.output_map = stack._create_output_map()
        stack.outputs
        # And its exports are the region's, as `CreateStack` registers them.
        for name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
            del self.exports[name]
        for export in stack.exports:
            self.exports[export.name] = export
    except Exception:
        stack.output_map = kept


def stack_outputs(self):
    omap = self.output_map
    spec = omap._output_json_map or {}
    outputs = []
    for key in omap.outputs:
        o = omap[key]
        if not o:
            continue
        export = (spec.get(key) or {}).get("Export")
        name = clean_json(export.get("Name"), omap._resource_map) if export else None
        outputs.append(
            {
                "OutputKey": o.key,
                "OutputValue": o.value,
                "Description": o.description,
                "ExportName": name,
            }
        )
    return outputs or None


_detections = {}


def detect_stack_drift(self):
    stack = _backend(self).get_stack(self._get_param("StackName"))
    detection = str(uuid.uuid4())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    _detections[detection] = (stack.stack_id, now)
    return ActionResult({"StackDriftDetectionId": detection})


def describe_stack_drift_detection_status(self):
    detection = self._get_param("StackDriftDetectionId")
    if detection not in _detections:
        raise ValidationError(message=f"Drift detection {detection} does not exist")
    stack_id, at = _detections[detection]
    return ActionResult(
        {
            "StackId": stack_id,
            "StackDriftDetectionId": detection,
            "StackDriftStatus": "IN_SYNC",
            "DetectionStatus": "DETECTION_COMPLETE",
            "DriftedStackResourceCount": 0,
            "Timestamp": at,
        }
    )


def describe_events(self):
    return ActionResult({"OperationEvents": []})


def describe_change_set_hooks(self):
    cs = _backend(self).describe_change_set(change_set_name=self._get_param("ChangeSetName"))
    return ActionResult(
        {
            "ChangeSetId": cs.change_set_id,
            "ChangeSetName": cs.change_set_name,
            "StackId": cs.stack_id,
            "StackName": cs.stack_name,
            "Hooks": [],
            "Status": "UNAVAILABLE",
        }
    )


def describe_stack_resource_drifts(self):
    _backend(self).get_stack(self._get_param("StackName"))
    return ActionResult({"StackResourceDrifts": []})


CloudFormationBackend.execute_change_set = execute_change_set
Stack.outputs = property(stack_outputs)
cfn_responses.CloudFormationResponse.detect_stack_drift = detect_stack_drift
cfn_responses.CloudFormationResponse.describe_stack_drift_detection_status = (
    describe_stack_drift_detection_status
)
cfn_responses.CloudFormationResponse.describe_stack_resource_drifts = describe_stack_resource_drifts
cfn_responses.CloudFormationResponse.describe_events = describe_events
cfn_responses.CloudFormationResponse.describe_change_set_hooks = describe_change_set_hooks
cfn_responses.CloudFormationResponse.update_termination_protection = update_termination_protection
cfn_responses.CloudFormationResponse.delete_stack = delete_stack
cfn_responses.CloudFormationResponse.get_template = get_template
cfn_responses.CloudFormationResponse.describe_stack_resources = describe_stack_resources
cfn_responses.CloudFormationResponse.describe_change_set = describe_change_set


def managed_policy_delete(self, account_id, region_name):
    backend = iam_backends[account_id][self.partition]
    for holder in [*backend.roles.values(), *backend.users.values(), *backend.groups.values()]:
        if self.arn in holder.managed_policies:
            self.detach_from(holder)
    backend.managed_policies.pop(self.arn, None)


ManagedPolicy.delete = managed_policy_delete
_ = cloudformation_backends

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
