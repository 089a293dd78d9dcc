"""How the jsii kernel (the Node.js process that runs CDKTF) is started."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EAGER_VARIABLE = "DATALAKE_EAGER_BINDINGS"
PRELOAD = Path(__file__).with_name("kernel_preload.js")
LINK_FILES_CONTEXT = "datalake_cdktf:link-files"
"""The context that asks the preload to hard-link a folder asset's files into its stack."""


def stock_cdktf() -> bool:
    """Whether ``DATALAKE_EAGER_BINDINGS=1`` asks for CDKTF as it comes (the benchmark's
    baseline): every binding imported, the kernel without the preload, jsii's own type
    checks and messages."""
    return os.environ.get(EAGER_VARIABLE) == "1"


@contextmanager
def preloaded_kernel() -> Iterator[None]:
    """Start the jsii kernel inside this block with ``kernel_preload.js`` preloaded:
    loading the AWS provider's assembly then compiles only its entry point instead of
    its ~2,100 modules (4-5 s and ~400 MB on every synth), each module compiled when a
    stack first uses it; cdktf's creation stacks are formatted only if an error
    message reads them; and the files of an asset marked with :data:`LINK_FILES_CONTEXT`
    are hard-linked into its stack. ``NODE_OPTIONS`` carries the preload to the kernel alone: it is
    restored when the block ends. If something started the kernel before (it starts
    once per process), the kernel runs as stock jsii starts it."""
    if stock_cdktf():
        yield
        return
    before = os.environ.get("NODE_OPTIONS")
    # Node.js splits NODE_OPTIONS at spaces; a double-quoted value may hold them
    quoted = '"' + str(PRELOAD).replace("\\", "\\\\").replace('"', '\\"') + '"'
    os.environ["NODE_OPTIONS"] = f"{before} --require {quoted}" if before else f"--require {quoted}"
    try:
        yield
    finally:
        if before is None:
            del os.environ["NODE_OPTIONS"]
        else:
            os.environ["NODE_OPTIONS"] = before
