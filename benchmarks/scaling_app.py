"""A synthetic deployment for the scaling benchmark: N Glue jobs in each environment.

    python benchmarks/scaling_app.py --jobs 1000 --outdir /tmp/out

Each environment gets one stack (the real DeploymentStack: provider, backend, tags)
holding N Glue jobs, each with its script object, the shape an ETL repository
produces. It exists to measure how synth time grows with resources.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datalake_cdktf.config import load_config
from datalake_cdktf.engine import App
from datalake_cdktf.engine.aws import glue_job, s3_object
from datalake_cdktf.naming import role_arn
from datalake_cdktf.stack import DeploymentStack

from main import CONFIG_DIR


def build(jobs: int, outdir: str) -> App:
    config = load_config(CONFIG_DIR)
    app = App(outdir=outdir)
    for env in config.environments:
        label = config.label(env)
        (repository, *_) = config.repositories.etl
        stack = DeploymentStack(
            app,
            f"bench-etl-{env.name}",
            config=config,
            label=label,
            repository=repository.name,
            account_id=env.account_id,
            region=env.region,
            role_arn=config.deploy_role_arn(env, repository),
        )
        scripts = label.bucket("artifacts", env.account_id, env.region)
        job_role = role_arn(env.account_id, label.role("etl-job"), env.region)
        for index in range(jobs):
            name = label.name("job", str(index))
            key = f"jobs/{name}.py"
            s3_object.S3Object(stack, f"script-{index}", bucket=scripts, key=key, content=f"# job {index}\n")
            glue_job.GlueJob(
                stack,
                f"job-{index}",
                name=name,
                role_arn=job_role,
                command=glue_job.GlueJobCommand(script_location=f"s3://{scripts}/{key}", python_version="3"),
                glue_version="4.0",
                worker_type="G.1X",
                number_of_workers=2,
                timeout=60,
                max_retries=0,
                default_arguments={"--job-language": "python", "--enable-metrics": "true"},
            )
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, required=True, help="Glue jobs per environment")
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args()
    build(args.jobs, args.outdir).synth()
