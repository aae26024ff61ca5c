#!/usr/bin/env python3
"""Unit tests of the generator's action normalisation (wildcard expansion, spelling, syntax).

    .tools/cfnlint/bin/python codegen/test_gen_model.py
"""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_model  # noqa: E402


class FakeOperations:
    """Two services' operations, as botocore's models would give them."""

    def of(self, prefix):
        return {
            "ec2": ["CreateVpc", "DescribeSubnets", "DescribeVpcEndpoints", "DescribeVpcs", "DeleteVpcEndpoints"],
            "batch": ["TagResource", "UntagResource"],
        }.get(prefix)


class NormaliseAction(unittest.TestCase):
    def norm(self, action):
        return gen_model.normalise_action(action, FakeOperations(), "test")

    def test_a_wildcard_expands_into_the_services_matching_operations(self):
        self.assertEqual(self.norm("ec2:DescribeVpc*"), ["ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs"])

    def test_a_wildcard_matches_case_insensitively_and_never_survives(self):
        got = self.norm("EC2:describe*")
        self.assertEqual(got, ["ec2:DescribeSubnets", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs"])
        self.assertFalse(any("*" in a for a in got))

    def test_a_wildcard_that_matches_nothing_is_an_error(self):
        with self.assertRaises(SystemExit):
            self.norm("ec2:Nothing*")

    def test_a_wildcard_in_a_service_botocore_does_not_know_is_an_error(self):
        with self.assertRaises(SystemExit):
            self.norm("vpce:Allow*")

    def test_the_prefix_is_lowercased_and_the_name_spelt_as_the_api_spells_it(self):
        self.assertEqual(self.norm("Batch:UnTagResource"), ["batch:UntagResource"])
        self.assertEqual(self.norm("ec2:DeleteVpcEndPoints"), ["ec2:DeleteVpcEndpoints"])

    def test_a_permission_only_action_is_kept_as_written(self):
        self.assertEqual(self.norm("Iam:PassRole"), ["iam:PassRole"])

    def test_a_name_that_is_not_action_syntax_is_dropped(self):
        self.assertEqual(self.norm("s3:REST.PUT.OBJECT"), [])


if __name__ == "__main__":
    unittest.main()
