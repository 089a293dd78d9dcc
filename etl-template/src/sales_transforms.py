"""The sales transforms: plain PySpark functions, tested on a local Spark session.

The Glue entry points in jobs/ only read, call these and write; everything that decides
what the data looks like is here.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

RAW_ORDER_COLUMNS = ("order_id", "order_ts", "customer_id", "country", "amount", "currency")
"""Columns of a raw order file (CSV with a header), all read as strings."""

CONFORMED_SCHEMA = T.StructType(
    [
        T.StructField("order_id", T.StringType(), False),
        T.StructField("order_ts", T.TimestampType(), False),
        T.StructField("customer_id", T.StringType(), False),
        T.StructField("country", T.StringType(), False),
        T.StructField("amount", T.DecimalType(12, 2), False),
        T.StructField("currency", T.StringType(), False),
        T.StructField("order_date", T.DateType(), False),
    ]
)


def conform_orders(raw: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Typed, valid, de-duplicated orders (the latest row of each ``order_id`` wins) and
    the rejected rows with a ``reason``.

    A row is rejected when its id, timestamp, customer or amount is missing or does not
    parse, its amount is negative, or its country or currency is not a 2- or 3-letter code.
    """
    typed = raw.select(
        F.trim("order_id").alias("order_id"),
        F.to_timestamp(F.trim("order_ts")).alias("order_ts"),
        F.trim("customer_id").alias("customer_id"),
        F.upper(F.trim("country")).alias("country"),
        F.trim("amount").cast(T.DecimalType(12, 2)).alias("amount"),
        F.upper(F.trim("currency")).alias("currency"),
        *(F.col(c).alias(f"_raw_{c}") for c in RAW_ORDER_COLUMNS),
    )
    reason = (
        F.when(F.col("order_id").isNull() | (F.col("order_id") == ""), "missing order_id")
        .when(F.col("order_ts").isNull(), "bad order_ts")
        .when(F.col("customer_id").isNull() | (F.col("customer_id") == ""), "missing customer_id")
        .when(F.col("amount").isNull(), "bad amount")
        .when(F.col("amount") < 0, "negative amount")
        .when(~F.coalesce(F.col("country"), F.lit("")).rlike("^[A-Z]{2}$"), "bad country")
        .when(~F.coalesce(F.col("currency"), F.lit("")).rlike("^[A-Z]{3}$"), "bad currency")
    )
    checked = typed.withColumn("reason", reason)
    rejected = checked.where(F.col("reason").isNotNull()).select(
        *(F.col(f"_raw_{c}").alias(c) for c in RAW_ORDER_COLUMNS), "reason"
    )
    valid = checked.where(F.col("reason").isNull())
    latest = Window.partitionBy("order_id").orderBy(F.col("order_ts").desc(), F.col("_raw_amount").desc())
    orders = (
        valid.withColumn("_rank", F.row_number().over(latest))
        .where(F.col("_rank") == 1)
        .select(
            "order_id",
            "order_ts",
            "customer_id",
            "country",
            "amount",
            "currency",
            F.to_date("order_ts").alias("order_date"),
        )
    )
    return orders, rejected


def daily_sales(orders: DataFrame) -> DataFrame:
    """Revenue and number of orders per order date, country and currency."""
    return (
        orders.groupBy("order_date", "country", "currency")
        .agg(F.sum("amount").alias("revenue"), F.countDistinct("order_id").alias("orders"))
        .orderBy("order_date", "country", "currency")
    )
