"""The engine package: the only door to cdktf and the provider bindings, loading
binding modules one at a time (Python and, in the jsii kernel, JavaScript) and falling
back to the eager import when it must.

(That lazy and eager loading synthesize identical files is in test_main.py.)
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from datalake_cdktf.engine._kernel import PRELOAD

from tests.support.tools import node

ROOT = Path(__file__).resolve().parents[1]
ENGINE_IMPORT = re.compile(r"^\s*(from|import)\s+(cdktf|constructs|cdktf_cdktf_provider_aws)\b", re.MULTILINE)


ENGINE = ROOT / "modules" / "datalake_cdktf" / "engine"
STOCK_FLOOR = ROOT / "benchmarks" / "floor.py"


def test_only_the_engine_imports_cdktf_constructs_or_the_bindings():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("envs", "modules", "stacks", "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        # this file plays a consumer of the bindings in its subprocesses, and the stock
        # floor of the benchmark imports cdktf as any stock CDKTF program does
        if ENGINE not in path.parents
        and path not in (Path(__file__), STOCK_FLOOR)
        and ENGINE_IMPORT.search(path.read_text())
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


PROVIDER_INDEX = """\
"use strict";
/**
 * Copyright (c) HashiCorp, Inc.
 * SPDX-License-Identifier: MPL-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.s3Bucket = exports.iamRole = void 0;
// generated code
exports.iamRole = require("./iam-role");
exports.s3Bucket = require("./s3-bucket");
//# sourceMappingURL=data:application/json;base64,e30=
"""


def fake_provider(root: Path, name: str = "@cdktf/provider-aws", index: str = PROVIDER_INDEX) -> None:
    """A package shaped like the provider's JavaScript: an index of re-exports whose
    modules record that they were compiled."""
    package = root / "node_modules" / name
    (package / "lib").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": name, "main": "lib/index.js"}))
    (package / "lib" / "index.js").write_text(index)
    for module, cls in (("iam-role", "IamRole"), ("s3-bucket", "S3Bucket")):
        (package / "lib" / module).mkdir()
        (package / "lib" / module / "index.js").write_text(
            f'globalThis.compiled = [...(globalThis.compiled || []), "{module}"];\nexports.{cls} = class {cls} {{}};\n'
        )


def require_provider(root: Path, name: str = "@cdktf/provider-aws") -> tuple[dict, str]:
    """Require the package with kernel_preload.js preloaded (as the engine starts the
    kernel); what was compiled before and after the first use of ``s3Bucket``."""
    script = f"""
        const provider = require({json.dumps(name)});
        const before = [...(globalThis.compiled || [])];
        const keys = Object.keys(provider).sort();
        const s3Bucket = provider.s3Bucket;
        const property = Object.getOwnPropertyDescriptor(provider, "s3Bucket");
        console.log(JSON.stringify({{
            before, keys, after: globalThis.compiled, cls: s3Bucket.S3Bucket.name,
            same: provider.s3Bucket === s3Bucket, plain: property.writable && property.enumerable,
        }}));
    """
    return run_preloaded(root, script)


def run_preloaded(cwd: Path, script: str) -> tuple[dict, str]:
    """Run ``script`` on Node.js with the kernel's preload, in ``cwd``: the JSON it
    prints, and its stderr."""
    result = subprocess.run(
        [node(), "--require", str(PRELOAD), "-e", textwrap.dedent(script)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_the_kernel_compiles_each_provider_module_on_first_use(tmp_path):
    fake_provider(tmp_path)
    seen, stderr = require_provider(tmp_path)
    assert seen["before"] == [], "requiring the package compiled its modules"
    assert seen["keys"] == ["iamRole", "s3Bucket"], "every export is still there"
    assert seen["after"] == ["s3-bucket"] and seen["cls"] == "S3Bucket"
    assert seen["same"] and seen["plain"], "after first use, the plain property the index defines"
    assert stderr == ""


def test_an_index_of_another_shape_or_package_is_compiled_as_it_is(tmp_path):
    unexpected = PROVIDER_INDEX.replace("// generated code", "exports.helper = () => 1;")
    fake_provider(tmp_path / "other-shape", index=unexpected)
    seen, stderr = require_provider(tmp_path / "other-shape")
    assert seen["before"] == ["iam-role", "s3-bucket"] and seen["keys"] == ["helper", "iamRole", "s3Bucket"]
    assert "@cdktf/provider-aws's index is not laid out as expected; loading it eagerly" in stderr

    fake_provider(tmp_path / "other-package", name="@cdktf/provider-google")
    seen, stderr = require_provider(tmp_path / "other-package", name="@cdktf/provider-google")
    assert seen["before"] == ["iam-role", "s3-bucket"] and stderr == ""


def test_the_preload_reaches_node_from_a_folder_with_spaces_and_quotes(tmp_path, monkeypatch):
    """NODE_OPTIONS splits at spaces: the preload's path is quoted, and whatever
    NODE_OPTIONS held before is kept in it and restored after."""
    from datalake_cdktf.engine import _kernel

    folder = tmp_path / 'site "packages" of mine'
    folder.mkdir()
    monkeypatch.setattr(_kernel, "PRELOAD", folder / "kernel_preload.js")
    _kernel.PRELOAD.write_text(PRELOAD.read_text())
    monkeypatch.setenv("NODE_OPTIONS", "--no-deprecation")
    monkeypatch.delenv("DATALAKE_EAGER_BINDINGS", raising=False)
    with _kernel.preloaded_kernel():
        options = os.environ["NODE_OPTIONS"]
    assert os.environ["NODE_OPTIONS"] == "--no-deprecation"
    result = subprocess.run(
        [node(), "-e", "console.log(require('module')._extensions['.js'].name, process.noDeprecation)"],
        env={**os.environ, "NODE_OPTIONS": options},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["compile", "true"], "the preload's compile hook, and the user's option"


STOCK_CAPTURE = """\
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.captureStackTrace = captureStackTrace;
function captureStackTrace(below) {
    below = below || captureStackTrace;
    const object = { stack: "" };
    const previousLimit = Error.stackTraceLimit;
    try {
        Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
        Error.captureStackTrace(object, below);
    } finally {
        Error.stackTraceLimit = previousLimit;
    }
    if (!object.stack) {
        return [];
    }
    return object.stack.split("\\n").slice(1).map((s) => s.replace(/^\\s*at\\s+/, ""));
}
"""


def test_creation_stacks_are_the_same_lines_formatted_when_read(tmp_path):
    """cdktf's captureStackTrace (its code, in a package named cdktf) against the
    preload's: the same lines, a real array, and no frame formatted until read."""
    module = tmp_path / "node_modules" / "cdktf" / "lib" / "tokens" / "private"
    module.mkdir(parents=True)
    (tmp_path / "node_modules" / "cdktf" / "package.json").write_text('{"name": "cdktf"}')
    (module / "stack-trace.js").write_text(STOCK_CAPTURE)
    (tmp_path / "stock.js").write_text(STOCK_CAPTURE)
    script = """
        let formatted = 0;
        const format = Error.prepareStackTrace;
        Error.prepareStackTrace = (error, frames) => { formatted += 1; return format(error, frames); };
        const preloaded = require("cdktf/lib/tokens/private/stack-trace");
        const stock = require("./stock");
        function createToken(capture) { return capture(); }  // one line: the same call site
        const captures = [preloaded, preloaded, preloaded, stock].map((m) => createToken(m.captureStackTrace));
        const [tokens, expected] = [captures.slice(0, 3), captures[3]];
        const before = formatted - 1;  // the stock capture formats at once
        console.log(JSON.stringify({
            before, isArray: Array.isArray(tokens[0]), same: JSON.stringify(tokens[0]) === JSON.stringify(expected),
            first: tokens[0][0], length: tokens[0].length, joined: tokens[0].join("\\n") === expected.join("\\n"),
            after: formatted - 1,
        }));
    """
    seen, _ = run_preloaded(tmp_path, script)
    assert seen["before"] == 0, "a creation stack was formatted before anything read it"
    assert seen["isArray"] and seen["same"] and seen["joined"] and seen["length"] > 1
    assert seen["first"].startswith("createToken "), seen["first"]
    assert seen["after"] == 1, "reading one stack formats that one only"


FAKE_CDKTF_FS = """\
"use strict";
const fs = require("fs");
const path = require("path");
exports.copySync = function copySync(src, dest) {  // a folder's files, copied
    fs.mkdirSync(dest, { recursive: true });
    for (const name of fs.readdirSync(src)) {
        const from = path.join(src, name);
        if (fs.statSync(from).isDirectory()) copySync(from, path.join(dest, name));
        else fs.copyFileSync(from, path.join(dest, name));
    }
};
"""

FAKE_CDKTF_ASSET = """\
"use strict";
const fs_1 = require("./private/fs");
class TerraformAsset {  // the shape of cdktf's: a node with context; synthesis copies through ./private/fs
    constructor(sourcePath, context) {
        this.sourcePath = sourcePath;
        this.node = { tryGetContext: (key) => context[key] };
    }
    _onSynthesize(target) {
        (0, fs_1.copySync)(this.sourcePath, target);
    }
}
exports.TerraformAsset = TerraformAsset;
"""


def test_a_marked_folder_asset_is_linked_and_copied_where_links_fail(tmp_path):
    """In a package named cdktf, the preload links the files of a folder asset marked
    with the context (nested folders too, replacing a file already there, never writing
    through it); an unmarked asset is copied; where the file system refuses a link
    (EXDEV: another one), the file is copied; any other error stays an error."""
    from datalake_cdktf.engine._kernel import LINK_FILES_CONTEXT

    lib = tmp_path / "node_modules" / "cdktf" / "lib"
    (lib / "private").mkdir(parents=True)
    (lib.parent / "package.json").write_text('{"name": "cdktf"}')
    (lib / "private" / "fs.js").write_text(FAKE_CDKTF_FS)
    (lib / "terraform-asset.js").write_text(FAKE_CDKTF_ASSET)
    source = tmp_path / "staged"
    (source / "nested").mkdir(parents=True)
    for name in ("a", "b", "nested/c"):
        (source / name).write_text(f"content of {name}")
    (tmp_path / "earlier").write_text("staged by an earlier synth")
    script = f"""
        const fs = require("fs");
        const {{ TerraformAsset }} = require("cdktf/lib/terraform-asset");
        const marked = {{ {json.dumps(LINK_FILES_CONTEXT)}: true }};
        const inodes = (folder) => Object.fromEntries(["a", "b", "nested/c"].map(
            (name) => [name, fs.statSync(folder + "/" + name).ino]));
        const text = (folder) => ["a", "b", "nested/c"].map((name) => fs.readFileSync(folder + "/" + name, "utf8"));
        fs.mkdirSync("linked"); fs.writeFileSync("linked/a", "a file already there");
        fs.linkSync("earlier", "linked/b");  // a link from an earlier synth, to other content
        new TerraformAsset("staged", marked)._onSynthesize("linked");
        new TerraformAsset("staged", {{}})._onSynthesize("copied");
        const link = fs.linkSync;
        fs.linkSync = (from, to) => {{
            if (from.endsWith("/b")) throw Object.assign(new Error("cross-device"), {{ code: "EXDEV" }});
            return link(from, to);
        }};
        new TerraformAsset("staged", marked)._onSynthesize("across");
        fs.linkSync = () => {{ throw Object.assign(new Error("no such file"), {{ code: "ENOENT" }}); }};
        let failed = null;
        try {{
            new TerraformAsset("staged", marked)._onSynthesize("failing");
        }} catch (error) {{
            failed = error.code;
        }}
        console.log(JSON.stringify({{
            staged: inodes("staged"), linked: inodes("linked"), copied: inodes("copied"), across: inodes("across"),
            texts: [text("linked"), text("copied"), text("across")], failed,
        }}));
    """
    seen, _ = run_preloaded(tmp_path, script)
    expected = ["content of a", "content of b", "content of nested/c"]
    assert seen["texts"] == [expected] * 3
    assert (tmp_path / "earlier").read_text() == "staged by an earlier synth", "written through a link"
    assert seen["linked"] == seen["staged"], "the marked asset's files are links to the staged ones"
    assert all(seen["copied"][name] != seen["staged"][name] for name in seen["staged"]), "unmarked: copied"
    assert seen["across"]["b"] != seen["staged"]["b"], "the refused link is a copy"
    assert seen["across"]["a"] == seen["staged"]["a"] and seen["across"]["nested/c"] == seen["staged"]["nested/c"]
    assert seen["failed"] == "ENOENT"


def test_the_real_kernel_compiles_only_the_provider_modules_a_stack_uses(tmp_path):
    """The engine starts the jsii kernel with the preload: of the provider's ~2,100
    modules, Node.js compiles the S3 bucket's alone (``NODE_DEBUG=module`` lists what it
    loads), a token's creation stack reads as before, and a NODE_OPTIONS of the user's
    own is kept, in the kernel and after."""
    code = f"""
        import os
        from datalake_cdktf.engine import TerraformStack, new_app
        from datalake_cdktf.engine.aws import s3_bucket
        assert os.environ["NODE_OPTIONS"] == "--no-deprecation", os.environ["NODE_OPTIONS"]
        bucket = s3_bucket.S3Bucket(TerraformStack(new_app({str(tmp_path / "out")!r}), "stack"), "bucket", bucket="b")
        creation = bucket.versioning.creation_stack  # formatted now, through jsii, as cdktf records it
        assert creation[0].startswith("new ComplexResolvable ("), creation
        print("built")
    """
    environment = {
        **os.environ,
        "NODE_DEBUG": "module",
        "NODE_OPTIONS": "--no-deprecation",
        "JSII_NODE": node(),
        "PYTHONPATH": str(ROOT / "modules"),
    }
    environment.pop("DATALAKE_EAGER_BINDINGS", None)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0 and "built" in result.stdout, result.stderr[-3000:]
    compiled = set(re.findall(r'load "[^"]*/@cdktf/provider-aws/lib/([^"/]+)/index\.js"', result.stderr))
    assert compiled == {"s3-bucket"}


def test_structs_travel_to_the_kernel_as_jsii_sends_them_without_the_nulls():
    """engine/_wire.py sends a struct's given fields only; jsii's own conversion sends
    every field, null where unset, and the kernel drops those nulls. Over structs of
    several shapes (nested structs, lists of them, maps, tokens), the two messages
    differ by exactly the nulls; a required field is sent even when None."""
    from datalake_cdktf.engine import new_app
    from datalake_cdktf.engine.aws import iam_role, s3_bucket_lifecycle_configuration, s3_object
    from jsii import _kernel

    new_app()  # installs the conversion
    fields_only = _kernel._make_reference_for_native
    stock = fields_only.stock  # jsii's own, which it wraps

    def as_jsii_sends(value):
        _kernel._make_reference_for_native = stock  # jsii recurses through its module
        try:
            return stock(None, value)
        finally:
            _kernel._make_reference_for_native = fields_only

    def without_nulls(message):
        if isinstance(message, dict):
            return {k: without_nulls(v) for k, v in message.items() if v is not None}
        if isinstance(message, list):
            return [without_nulls(item) for item in message]
        return message

    lifecycle = s3_bucket_lifecycle_configuration
    structs = [
        s3_object.S3ObjectConfig(bucket="b", key="k", source="/tmp/x", tags={"team": "data"}),
        iam_role.IamRoleConfig(assume_role_policy="{}", name="r", inline_policy=[iam_role.IamRoleInlinePolicy()]),
        lifecycle.S3BucketLifecycleConfigurationConfig(
            bucket="${aws_s3_bucket.b.id}",
            rule=[
                lifecycle.S3BucketLifecycleConfigurationRule(
                    id="expire",
                    status="Enabled",
                    filter=lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="tmp/"),
                    expiration=lifecycle.S3BucketLifecycleConfigurationRuleExpiration(days=7),
                )
            ],
        ),
    ]
    for struct in structs:
        sent, jsii_sends = fields_only(None, [struct]), as_jsii_sends([struct])
        assert sent == without_nulls(jsii_sends)
        assert sent != jsii_sends, "jsii sends nulls for the fields left out"

    required_none = s3_object.S3ObjectConfig(bucket="b", key="k")
    required_none._values["bucket"] = None  # past the bindings' type check
    assert "bucket" in fields_only(None, required_none)["$jsii.struct"]["data"]


def test_create_requests_are_the_messages_jsii_builds(tmp_path, monkeypatch):
    """engine/_wire.py builds a create request's message without jsii's converter: over
    every request a real ETL stack sends (resources, structs, tokens, enums, objects
    passed by reference, a Python subclass that overrides a method, an interface), and
    over one holding every kind of value the converter itself transforms, the message
    equals the one jsii's converter builds."""
    import cdktf
    import jsii
    from datalake_cdktf.config.etl import Job
    from datalake_cdktf.constructs.asset_folder import AssetFolder
    from datalake_cdktf.constructs.glue_job import GlueJob, GlueJobConfig, job_files
    from datalake_cdktf.context import RepositoryContext
    from datalake_cdktf.engine import AssetType, Construct, TerraformAsset, TerraformStack, new_app
    from datalake_cdktf.engine.aws import provider
    from datalake_cdktf.naming import Label
    from jsii._kernel.providers.process import ProcessProvider
    from jsii._kernel.types import CreateRequest, EnumRef, ObjRef, Override

    app = new_app(str(tmp_path / "out"))  # installs the builder
    converter = jsii._runtime.kernel.provider._process._serializer
    build = converter.get_unstructure_hook(CreateRequest)
    requests = []
    create = ProcessProvider.create
    monkeypatch.setattr(
        ProcessProvider, "create", lambda self, request: requests.append(request) or create(self, request)
    )

    class Named(Construct):  # a Python subclass: its override travels with the request
        def to_string(self) -> str:
            return "named"

    @jsii.implements(cdktf.IAspect)
    class Visitor:  # an interface implemented in Python
        def visit(self, node) -> None:
            pass

    stack = TerraformStack(app, "stack")
    provider.AwsProvider(stack, "aws", region="eu-west-1")
    Named(stack, "named")
    cdktf.Aspects.of(stack).add(Visitor())
    (tmp_path / "job.py").write_text("print('job')\n")
    job = Job(name="orders", script="job.py", reads=({"zone": "raw", "prefix": "in/"},), writes=())
    files = AssetFolder(stack, "files", files=job_files(job, tmp_path), staging=tmp_path / "stage")
    TerraformAsset(stack, "plain", path=str(tmp_path / "job.py"), type=AssetType.FILE)
    GlueJob(
        stack,
        "job",
        context=RepositoryContext(
            label=Label("datalake", "dev"), repository="sales", account_id="111111111111", region="eu-west-1"
        ),
        config=GlueJobConfig(
            job=job,
            root=tmp_path,
            files=files,
            security_configuration="security",
            kms_key_arn="arn:aws:kms:eu-west-1:111111111111:key/k",
        ),
    )
    app.synth()

    assert len(requests) > 10 and build is not build.stock
    for request in requests:
        assert build(request) == build.stock(request), request.fqn
    fqns = {request.fqn for request in requests}
    assert {"@cdktf/provider-aws.glueJob.GlueJob", "cdktf.TerraformAsset", "constructs.Construct"} <= fqns
    assert any(request.overrides for request in requests) and any(request.interfaces for request in requests)

    when = datetime.datetime(2026, 11, 28, tzinfo=datetime.UTC)
    odd = CreateRequest(
        fqn="x.Y",
        args=[{"refs": [ObjRef(ref="o@1"), ("a", 1)], "when": when}, AssetType.FILE, EnumRef(ObjRef("e@"), "M")],
        overrides=[Override(method="m", cookie="c")],
        interfaces=["x.I"],
    )
    message = build(odd)
    assert message == build.stock(odd)
    assert message["args"][1] == {"$jsii.enum": "cdktf.AssetType/FILE"}, "the converter's own hooks still apply"
