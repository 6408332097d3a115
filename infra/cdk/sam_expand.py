"""template.yaml expanded into plain CloudFormation by aws-sam-translator, offline: what
`sam deploy` would hand CloudFormation, for the parity test against the CDK app.

usage: python sam_expand.py TEMPLATE OUT.json

Each function's CodeUri becomes a placeholder S3 location (as `sam package` would replace it);
the AWS managed policies SAM attaches come from the translator's bundled list (no IAM call).
"""
import json
import os
import sys

from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class BundledPolicies:
    def load(self):
        return get_bundled_managed_policy_map("aws")


def main(source, out):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(source, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://sam-package-placeholder/{name}.zip"
    expanded = transform(template, {}, BundledPolicies())
    with open(out, "w", encoding="utf-8") as f:
        json.dump(expanded, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
