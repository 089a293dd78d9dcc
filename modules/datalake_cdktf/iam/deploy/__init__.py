"""What each repository's deploy role may do in one data-lake account, as policy documents.

Per repository and environment, built here and nowhere else:

- the **permissions** of its deploy role: the API calls Terraform makes to manage what
  that repository deploys, each on the names that repository owns, packed in order into
  as few managed policies as IAM's 6,144-character limit allows (``<repo>-deploy``, then
  ``<repo>-deploy-2``, ...);
- its **permissions boundary**: the ceiling of the deploy role and of every role the
  deploy role creates. It admits the repository's resources and what the roles it
  creates need at run time, and denies what no pipeline may ever do: edit its deploy
  role, deploy policies or boundary; create a role without this boundary; create users
  or keys; open the network to the internet or another VPC; and, where data is
  protected, destroy it;
- the **trust** of its deploy role: only that repository's pipeline role of that
  environment, in the central account; and its read-only twin for pull-request plans.

Names decide ownership. Every repository's IAM roles and policies are named
``<project>-<env>-<repo>-*``. The infrastructure repository also owns the data lake's
own names (:mod:`.data_lake`); an ETL repository owns its ``<project>-<env>-<repo>-*``
names and paths (:mod:`.etl`). The config model refuses repository names whose prefixes
overlap.

Where things are:

- :mod:`.scope`: :class:`~.scope.DeployAccess`, one repository in one account (its names
  and ARNs), and its documents, computed from its role's definition;
- :mod:`.definition`: a role's definition, the lists of concerns of its permissions, of
  its boundary and of its read-only plan role (a concern: the scope in, the statements of
  one purpose out);
- :mod:`.data_lake` and :mod:`.etl`: each role's concerns, their action tuples and the
  definition (``DATA_LAKE``, ``ETL``);
- :mod:`.common`: the concerns both list (own roles and policies, the identity denies)
  and the actions both manage;
- :mod:`datalake_cdktf.iam.packing`: the packer of statements into managed policies.
"""

__all__: list[str] = []
