"""Stack outputs published as SSM parameters: the contract other repositories read.

Stacks never share Terraform state. A data-lake stack publishes what ETL stacks need
under ``/<project>/<env>/<publisher>/<key>``; they read it with an
``aws_ssm_parameter`` data source. :mod:`datalake_cdktf.contract` is that contract for
``datalake-<env>``; README.md documents it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from datalake_cdktf.contract import parameter_name
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import ssm_parameter
from datalake_cdktf.naming import Label

__all__ = [
    "PublishedOutputs",
]


class PublishedOutputs(Construct):
    """One SSM parameter per value: ``String``, or ``StringList`` for a list.

    Values are identifiers (names, ARNs, ids), never secrets. Property:
    ``parameter_names`` (key -> full parameter name).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        label: Label,
        publisher: str,
        values: Mapping[str, str | Sequence[str]],
    ):
        super().__init__(scope, construct_id)
        self.parameter_names: dict[str, str] = {}
        for key, value in values.items():
            name = parameter_name(label, key, publisher)
            is_list = not isinstance(value, str)
            ssm_parameter.SsmParameter(
                self,
                key.replace("/", "-"),
                name=name,
                type="StringList" if is_list else "String",
                value=",".join(value) if is_list else value,
                description=f"Published by {publisher}: {key}",
            )
            self.parameter_names[key] = name
