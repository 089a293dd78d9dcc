"""IAM documents as data, at the bottom of the library: it imports nothing from the
constructs or the engine, so the permission sets (``access``, ``pipeline_access``) and
the constructs build their policies from the same statements.

- :mod:`datalake_cdktf.iam.statements`: the statement builders (``allow``, ``deny``,
  ``document``) and the statements that recur (TLS only, key administration, who may use
  a key through which service, X-Ray).
- :mod:`datalake_cdktf.iam.etl_roles`: the roles the ETL constructs create (a Glue job's,
  a Lambda helper's, the workflow's), one function per concern, from the repository's
  :class:`~datalake_cdktf.context.RepositoryContext` and plain data.
"""

__all__: list[str] = []
