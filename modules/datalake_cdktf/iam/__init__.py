"""IAM documents as data, at the bottom of the library: it imports nothing from the
constructs or the engine, so the permission sets (``access``, ``pipeline_access``) and
the constructs build their policies from the same statements.

- :mod:`datalake_cdktf.iam.statements`: the statement builders (``allow``, ``deny``,
  ``document``) and the statements that recur (TLS only, key administration, who may use
  a key through which service, X-Ray).
- :mod:`datalake_cdktf.iam.pipeline`: the pipeline's three roles, one function per
  concern, each role the list of its concerns.
"""

__all__: list[str] = []
