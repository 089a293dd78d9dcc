"""A synthetic ETL repository for the scaling benchmark: N Glue jobs in each environment.

    python benchmarks/scaling_app.py --jobs 1000 --outdir /tmp/out

Each environment gets the real ``etl-<repo>-<env>`` stack (EtlStack: provider, backend,
tags) holding N real :class:`~datalake_cdktf.constructs.glue_job.GlueJob` constructs,
each with everything it creates (its own script, staged and uploaded as an object, its
role and policy, the job), reading the contract once per stack, the way
:class:`~datalake_cdktf.etl.EtlRepository` builds them. It exists to measure how synth
time grows with jobs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datalake_cdktf.config import load_config
from datalake_cdktf.config.etl import Job
from datalake_cdktf.constructs.asset_folder import AssetFolder
from datalake_cdktf.constructs.datalake_contract import DataLakeContract
from datalake_cdktf.constructs.glue_job import GlueJob, GlueJobConfig, job_files
from datalake_cdktf.engine import App, new_app
from datalake_cdktf.stack import EtlStack

from main import CONFIG_DIR


def build(jobs: int, outdir: str) -> App:
    config = load_config(CONFIG_DIR)
    app = new_app(outdir)
    root = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    definitions = []
    for index in range(jobs):  # each job its own script, as in a real repository
        (root / f"job_{index}.py").write_text(f"# Glue job {index}\n")
        definitions.append(
            Job(
                name=f"j{index}",
                script=f"job_{index}.py",
                reads=({"zone": "raw", "prefix": f"in/{index}/"},),
                writes=({"zone": "conformed", "prefix": f"out/{index}/"},),
            )
        )
    (repository, *_) = config.repositories.etl
    for env in config.environments:
        stack = EtlStack(app, config=config, environment=env, repository=repository)
        context = config.repository_context(env, repository)
        contract = DataLakeContract(stack, "contract", label=stack.label)
        security, key = contract.value("glue/security-configuration/name"), contract.kms_key_arn
        files = AssetFolder(
            stack,
            "files",
            files={k: v for job in definitions for k, v in job_files(job, root).items()},
            staging=Path(outdir) / "build" / "files",
        )
        for index, job in enumerate(definitions):
            GlueJob(
                stack,
                f"job-{index}",
                context=context,
                config=GlueJobConfig(
                    job=job,
                    root=root,
                    files=files,
                    security_configuration=security,
                    kms_key_arn=key,
                ),
            )
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, required=True, help="Glue jobs per environment")
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args()
    build(args.jobs, args.outdir).synth()
