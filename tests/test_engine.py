"""The engine package: the only door to cdktf and the provider bindings, loading
binding modules one at a time and falling back to the eager import when it must.

(That lazy and eager loading synthesize identical files is in test_main.py.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE_IMPORT = re.compile(r"^\s*(from|import)\s+(cdktf|constructs|cdktf_cdktf_provider_aws)\b", re.MULTILINE)


ENGINE = ROOT / "modules" / "datalake_cdktf" / "engine"


def test_only_the_engine_imports_cdktf_constructs_or_the_bindings():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("envs", "modules", "stacks", "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        # this file plays a consumer of the bindings in its subprocesses
        if ENGINE not in path.parents and path != Path(__file__) and ENGINE_IMPORT.search(path.read_text())
    ]
    offenders += ["main.py"] if ENGINE_IMPORT.search((ROOT / "main.py").read_text()) else []
    assert offenders == [], "import these through datalake_cdktf.engine / datalake_cdktf.engine.aws instead"


def fake_bindings(root: Path, *, with_jsii: bool) -> None:
    """A package shaped like the provider bindings whose __init__ must never run lazily."""
    package = root / "fakebindings"
    (package / "thing").mkdir(parents=True)
    (package / "__init__.py").write_text("import builtins\nbuiltins.EAGER_INIT_RAN = True\n")
    (package / "thing" / "__init__.py").write_text("from .._jsii import *\nVALUE = LOADED\n")
    if with_jsii:
        (package / "_jsii").mkdir()
        (package / "_jsii" / "__init__.py").write_text("LOADED = 'assembly loaded'\n")


def run(root: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{root}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_submodules_load_without_running_the_package_init(tmp_path):
    fake_bindings(tmp_path, with_jsii=True)
    result = run(
        tmp_path,
        """
        import builtins
        from datalake_cdktf.engine.aws import register_package_lazily
        assert register_package_lazily("fakebindings")
        import fakebindings.thing
        assert fakebindings.thing.VALUE == "assembly loaded"
        assert not hasattr(builtins, "EAGER_INIT_RAN"), "the eager __init__ ran"
        print("lazy ok")
        """,
    )
    assert result.returncode == 0 and "lazy ok" in result.stdout, result.stderr


def test_unexpected_layout_falls_back_to_the_eager_import_with_a_warning(tmp_path):
    fake_bindings(tmp_path, with_jsii=False)
    result = run(
        tmp_path,
        """
        import builtins
        from datalake_cdktf.engine.aws import load_package, register_package_lazily
        assert not register_package_lazily("fakebindings")
        load_package("fakebindings")
        assert builtins.EAGER_INIT_RAN
        print("eager ok")
        """,
    )
    assert result.returncode == 0 and "eager ok" in result.stdout, result.stderr
    assert "fakebindings is not laid out as expected; importing it eagerly" in result.stderr


def test_an_unknown_binding_module_is_an_attribute_error():
    from datalake_cdktf.engine import aws

    with pytest.raises(AttributeError, match="no module 'not_a_resource'"):
        aws.not_a_resource  # noqa: B018


def test_both_idioms_of_the_bindings_keep_working_after_the_lazy_load(tmp_path):
    """A consumer's own code may use the bindings package as documented, either way."""
    result = run(
        tmp_path,
        """
        import datalake_cdktf.engine.aws  # registers the package lazily
        import cdktf_cdktf_provider_aws as aws
        from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
        assert aws.s3_bucket.S3Bucket is S3Bucket
        assert aws.sqs_queue.SqsQueue.__name__ == "SqsQueue"  # never imported before
        print("idioms ok")
        """,
    )
    assert result.returncode == 0 and "idioms ok" in result.stdout, result.stderr


def test_importing_the_library_or_a_construct_changes_nothing_in_the_process(tmp_path):
    """No environment variable is set and the config loader (and YAML) is not imported."""
    result = run(
        tmp_path,
        """
        import os, sys
        before = dict(os.environ)
        import datalake_cdktf
        assert "cdktf" not in sys.modules and "jsii" not in sys.modules, "the package loads no engine"
        from datalake_cdktf.constructs.secure_bucket import SecureBucket
        from datalake_cdktf.stack import DeploymentStack
        assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())
        assert "datalake_cdktf.config.loader" not in sys.modules and "yaml" not in sys.modules
        from datalake_cdktf import new_app
        new_app(os.path.join(os.environ["TMP_OUT"], "out"))
        assert os.environ["CHECKPOINT_DISABLE"] == "1", "applied when an app is created"
        print("quiet ok")
        """.replace('os.environ["TMP_OUT"]', repr(str(tmp_path))),
    )
    assert result.returncode == 0 and "quiet ok" in result.stdout, result.stderr


def test_faster_type_checks_still_refuse_every_wrong_argument(tmp_path):
    """Type-hint resolution is memoized per stub and plain values skip typeguard
    (engine/_type_hints.py); the bindings' run-time type checks must still refuse a wrong
    argument, on every call, in maps and lists too."""
    code = (
        "from datalake_cdktf.engine import TerraformStack, new_app\n"
        "from datalake_cdktf.engine.aws import s3_bucket\n"
        "import cdktf, cdktf_cdktf_provider_aws.s3_bucket as raw\n"
        "stack = TerraformStack(new_app(), 'stack')\n"
        "assert s3_bucket._private.typing is not __import__('typing') is not cdktf._private.typing\n"
        "s3_bucket.S3Bucket(stack, 'ok', bucket='fine')\n"
        "for attempt in range(2):\n"
        "    try:\n"
        "        s3_bucket.S3Bucket(stack, f'bad-{attempt}', bucket=123)\n"
        "    except TypeError as err:\n"
        "        assert 'bucket' in str(err), err\n"
        "    else:\n"
        "        raise SystemExit('a wrong type was accepted')\n"
        "for wrong in ({'tags': ['a']}, {'bucket': ['b']}, {'bucket_prefix': 7}):\n"
        "    try:\n"
        "        s3_bucket.S3Bucket(stack, 'wrong', **{'bucket': 'b', **wrong})\n"
        "    except TypeError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(f'a wrong type was accepted: {wrong}')\n"
        "s3_bucket.S3Bucket(stack, 'plain', bucket='b', tags={'a': 'b'}, force_destroy=False)\n"
        "try:\n"
        "    cdktf.TerraformOutput(stack, 'out', value='x', sensitive='yes')\n"
        "except TypeError:\n"
        "    print('checked')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "checked", result.stderr[-3000:]


def test_plain_values_are_accepted_only_where_typeguard_accepts_them():
    """engine/_type_hints.accepts_plainly may skip typeguard only for values typeguard
    would accept: checked over the shapes the bindings use and values of every kind."""
    import typing

    import typeguard
    from datalake_cdktf.engine._type_hints import accepts_plainly

    class Resolvable(typing.Protocol):
        def resolve(self) -> object: ...

    expected_types = [  # the bindings' spelling: typing.Optional / Union / List
        str,
        int,
        float,
        bool,
        typing.Optional[str],  # noqa: UP045
        typing.Optional[typing.Union[int, float]],  # noqa: UP007, UP045
        typing.Union[bool, Resolvable],  # noqa: UP007
        typing.Optional[typing.Union[bool, Resolvable]],  # noqa: UP007, UP045
        typing.Mapping[str, str],
        typing.Optional[typing.Mapping[str, str]],  # noqa: UP045
        typing.Optional[typing.Union[Resolvable, typing.Mapping[str, bool]]],  # noqa: UP007, UP045
        typing.Sequence[str],
        typing.Optional[typing.List[str]],  # noqa: UP006, UP045
        typing.Optional[typing.Union[Resolvable, typing.Sequence[typing.Union[str, int]]]],  # noqa: UP007, UP045
    ]
    values = ["x", 1, 1.5, True, None, {"a": "b"}, {"a": 1}, {1: "b"}, {"a": True}, ["x"], [1], ["x", 2], [], {}]
    accepted = 0
    for expected in expected_types:
        for value in values:
            if accepts_plainly(expected, value):
                accepted += 1
                typeguard.check_type("value", value, expected)  # raises if typeguard disagrees
    assert accepted > 20, "the fast path is taken for the common shapes"
    assert not accepts_plainly(int, True) and not accepts_plainly(str, ["x"]) and not accepts_plainly(float, 1)
    assert accepts_plainly(str | None, None) and accepts_plainly(dict[str, str] | None, {"a": "b"})
