"""The engine: every import of CDK for Terraform and of the AWS provider bindings.

Nothing else in the project imports ``cdktf``, ``constructs`` or
``cdktf_cdktf_provider_aws`` directly, so the engine can be swapped for the
community fork (CDK Terrain, ``cdktn``) by editing this package alone.

Resources come from :mod:`engine.aws`, which loads only the binding modules used
(``from engine.aws import s3_bucket``) instead of all ~2,100 of them.
"""

import os

# Quiet, offline engine: jsii's end-of-life banner for Node 20 would otherwise be
# printed by every synth, and Terraform/cdktf would try to phone home.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")

from cdktf import App, LocalBackend, S3Backend, TerraformProvider, TerraformResourceLifecycle, TerraformStack
from constructs import Construct

__all__ = [
    "App",
    "Construct",
    "LocalBackend",
    "S3Backend",
    "TerraformProvider",
    "TerraformResourceLifecycle",
    "TerraformStack",
]
