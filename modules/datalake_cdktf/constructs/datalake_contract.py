"""Read the data lake's SSM contract (:mod:`datalake_cdktf.contract`) as typed properties."""

from __future__ import annotations

from datalake_cdktf import __version__
from datalake_cdktf.contract import DATALAKE_KEYS, LIST_KEYS, SUPPORTED_VERSIONS, VERSION_KEY, parameter_name
from datalake_cdktf.engine import Construct, Fn, Postcondition, TerraformResourceLifecycle
from datalake_cdktf.engine.aws import data_aws_ssm_parameter
from datalake_cdktf.naming import DATALAKE_PUBLISHER, ZONES, Label

__all__ = [
    "DataLakeContract",
]


class DataLakeContract(Construct):
    """Every value ``datalake-<env>`` publishes, read from SSM in the stack's account.

    - ``label``: the environment's naming context (``Label(project, env)``).

    Terraform refuses to plan when the data lake publishes a contract version this
    library does not read (a postcondition on ``contract/version``, with a message that
    says what to upgrade), instead of failing half-way through an apply. Values are
    identifiers, read as non-sensitive so plans show them.

    Properties (Terraform tokens): ``kms_key_arn``, ``vpc_id``, ``private_subnet_ids``
    (a list), ``endpoint_security_group_id``; methods ``bucket_name(name)``,
    ``bucket_arn(name)`` for ``raw``, ``conformed``, ``purpose-built``, ``assets``,
    ``access-logs``, and ``database_name(zone)``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, label: Label):
        super().__init__(scope, construct_id)
        self.label = label
        supported = [str(v) for v in SUPPORTED_VERSIONS]
        environment = label.stage
        self._values: dict[str, str] = {}
        for key in DATALAKE_KEYS:
            lifecycle = None
            if key == VERSION_KEY:
                lifecycle = TerraformResourceLifecycle(
                    postcondition=[
                        Postcondition(
                            condition=f"${{contains({_hcl_list(supported)}, self.insecure_value)}}",
                            error_message=(
                                f"The {environment} data lake publishes SSM contract version "
                                "${self.insecure_value}; datalake-cdktf "
                                f"{__version__} reads versions {', '.join(supported)}. Upgrade datalake-cdktf in "
                                "this repository to a release that reads it (see its CHANGELOG), then plan again."
                            ),
                        )
                    ]
                )
            parameter = data_aws_ssm_parameter.DataAwsSsmParameter(
                self, key.replace("/", "-"), name=parameter_name(label, key, DATALAKE_PUBLISHER), lifecycle=lifecycle
            )
            self._values[key] = parameter.insecure_value

    def value(self, key: str) -> str:
        """The raw value of any contract key (see :data:`datalake_cdktf.contract.DATALAKE_KEYS`)."""
        if key not in self._values:
            raise KeyError(f"{key!r} is not in the data-lake contract; keys: {list(DATALAKE_KEYS)}")
        return self._values[key]

    def bucket_name(self, name: str) -> str:
        return self.value(f"buckets/{name}/name")

    def bucket_arn(self, name: str) -> str:
        return self.value(f"buckets/{name}/arn")

    def database_name(self, zone: str) -> str:
        if zone not in ZONES:
            raise KeyError(f"no catalog database for {zone!r}; zones: {list(ZONES)}")
        return self.value(f"glue/databases/{zone}/name")

    @property
    def kms_key_arn(self) -> str:
        return self.value("kms/key-arn")

    @property
    def vpc_id(self) -> str:
        return self.value("vpc/id")

    @property
    def private_subnet_ids(self) -> list[str]:
        (key,) = LIST_KEYS  # published as a StringList: comma-separated
        return Fn.split(",", self.value(key))

    @property
    def endpoint_security_group_id(self) -> str:
        return self.value("vpc/endpoint-security-group-id")


def _hcl_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"
