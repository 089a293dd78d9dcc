"""Glue entry point: conformed orders -> daily sales per country in the purpose-built zone."""

import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from sales_transforms import daily_sales

args = getResolvedOptions(sys.argv, ["JOB_NAME", "conformed_bucket", "purpose_built_bucket"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)

orders = glue.spark_session.read.parquet(f"s3://{args['conformed_bucket']}/sales/orders/")
daily = daily_sales(orders)
daily.write.mode("overwrite").partitionBy("order_date").parquet(
    f"s3://{args['purpose_built_bucket']}/sales/daily-sales/"
)
job.commit()
