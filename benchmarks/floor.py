"""The floor of any synth: a process that only loads the CDKTF and AWS provider jsii
assemblies (and so starts the Node.js kernel); it builds nothing and writes nothing.

Importing the engine does exactly that: ``datalake_cdktf.engine`` imports cdktf (the
constructs and cdktf assemblies) and ``datalake_cdktf.engine.aws`` registers the
provider bindings, loading their assembly and no binding module. No synth of these
stacks can be faster on the same machine; benchmarks/run.py measures against it.
"""

import datalake_cdktf.engine.aws  # noqa: F401
