"""Glue entry point: raw order CSVs -> conformed Parquet, partitioned by order_date.

Thin on purpose: arguments, read, sales_transforms.conform_orders, write. Rejected rows
go to the conformed zone under rejected/ for the team to look at.
"""

import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from sales_transforms import conform_orders

args = getResolvedOptions(sys.argv, ["JOB_NAME", "raw_bucket", "conformed_bucket"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)

raw = glue.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [f"s3://{args['raw_bucket']}/sales/orders/"], "recurse": True},
    format="csv",
    format_options={"withHeader": True},
    transformation_ctx="raw_orders",  # job bookmarks: only files not seen before
).toDF()
orders, rejected = conform_orders(raw)
target = f"s3://{args['conformed_bucket']}/sales/orders/"
orders.write.mode("append").partitionBy("order_date").parquet(target)
rejected.write.mode("append").json(target.replace("/orders/", "/rejected/orders/"))
job.commit()
