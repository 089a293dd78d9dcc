"""The floor of any synth: a process that only loads the CDKTF and AWS provider jsii
assemblies (and so starts the Node.js kernel); it builds nothing and writes nothing.

    python benchmarks/floor.py            # as the engine loads them (lazy bindings and kernel)
    python benchmarks/floor.py --stock    # the kernel as stock jsii starts it

Importing the engine does exactly that: ``datalake_cdktf.engine`` imports cdktf (the
constructs and cdktf assemblies) and ``datalake_cdktf.engine.aws`` registers the
provider bindings, loading their assembly and no binding module; the kernel the engine
starts compiles the provider's JavaScript modules on first use, so only its entry point.

``--stock`` imports cdktf first, as any CDKTF program does: the kernel then starts
without the engine's preload and compiles all ~2,100 provider modules when the
assembly loads (the Python side stays lazy). That was the floor before the engine's
kernel preload, and is the floor of any stock CDKTF program. No synth of these stacks
can be faster than the first on the same machine; benchmarks/run.py measures both.
"""

import sys

if "--stock" in sys.argv[1:]:
    import cdktf  # noqa: F401  (starts the kernel as stock CDKTF does)

import datalake_cdktf.engine.aws  # noqa: F401
