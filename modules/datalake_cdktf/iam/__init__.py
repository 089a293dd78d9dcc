"""IAM documents as data, at the bottom of the library: it imports nothing from the
constructs or the engine, so the permission sets (:mod:`.deploy`, :mod:`.pipeline`)
and the constructs build their policies from the same statements.

- :mod:`datalake_cdktf.iam.statements`: the statement builders (``allow``, ``deny``,
  ``document``) and the statements that recur (TLS only, key administration, who may use
  a key through which service, X-Ray).
- :mod:`datalake_cdktf.iam.deploy`: the deploy roles' permission sets, one small
  function per concern, each role (and its boundary) a list of them.
- :mod:`datalake_cdktf.iam.packing`: statements packed in order into as few managed
  policies as IAM's size limit allows.
- :mod:`datalake_cdktf.iam.pipeline`: the pipeline's three roles, one function per
  concern, each role the list of its concerns.
- :mod:`datalake_cdktf.iam.etl_roles`: the roles the ETL constructs create (a Glue job's,
  a Lambda helper's, the workflow's), one function per concern, from the repository's
  :class:`~datalake_cdktf.context.RepositoryContext` and plain data.
"""

__all__: list[str] = []
