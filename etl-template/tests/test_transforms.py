"""The Spark transforms on a local Spark session (pyspark + Java), on fixture files."""

from __future__ import annotations

import datetime
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from sales_transforms import CONFORMED_SCHEMA, RAW_ORDER_COLUMNS, conform_orders, daily_sales

FIXTURE = Path(__file__).with_name("fixtures") / "orders-2026-11-27.csv"


@pytest.fixture(scope="module")
def spark():
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        reason = "Spark needs a Java 17 runtime: install one (e.g. openjdk-17-jre-headless) or set JAVA_HOME"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"required in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    session = (
        SparkSession.builder.master("local[1]")
        .appName("sales-transforms-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        # A test's JVM lives for seconds: the client compiler alone and the serial collector
        # halve its CPU (51 -> 26 s for these tests) and change nothing it computes.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def raw(spark):
    # As the Glue job reads it: CSV with a header, every column a string.
    return spark.read.option("header", True).csv(str(FIXTURE))


@pytest.fixture(scope="module")
def conformed(raw):
    return conform_orders(raw)


def test_the_fixture_is_a_raw_order_file(raw):
    assert tuple(raw.columns) == RAW_ORDER_COLUMNS
    assert raw.count() == 11


def test_valid_rows_are_typed_with_the_conformed_schema(conformed):
    orders, _ = conformed
    assert [(f.name, f.dataType) for f in orders.schema] == [(f.name, f.dataType) for f in CONFORMED_SCHEMA]
    first = orders.where("order_id = 'o-1'").collect()[0]
    assert first.country == "DE" and first.currency == "EUR"
    assert first.amount == Decimal("19.99")
    assert first.order_ts == datetime.datetime(2026, 11, 27, 9, 15)
    assert first.order_date == datetime.date(2026, 11, 27)


def test_duplicates_keep_the_latest_version_of_an_order(conformed):
    orders, _ = conformed
    (o2,) = orders.where("order_id = 'o-2'").collect()
    assert o2.amount == Decimal("7.50") and o2.order_ts.hour == 11
    assert sorted(r.order_id for r in orders.collect()) == ["o-1", "o-10", "o-2", "o-3"]


def test_malformed_rows_are_rejected_with_a_reason_and_their_raw_values(conformed):
    _, rejected = conformed
    reasons = {(r.order_id, r.reason) for r in rejected.collect()}
    assert reasons == {
        ("o-4", "bad order_ts"),
        ("o-5", "missing customer_id"),
        ("o-6", "negative amount"),
        ("o-7", "bad country"),
        (None, "missing order_id"),
        ("o-9", "bad amount"),
    }
    assert tuple(rejected.columns) == (*RAW_ORDER_COLUMNS, "reason")
    (bad_time,) = rejected.where("order_id = 'o-4'").collect()
    assert bad_time.order_ts == "not a time", "the raw value is kept for the team to look at"


def test_conformed_orders_are_written_partitioned_by_order_date(conformed, tmp_path, spark):
    orders, _ = conformed
    target = tmp_path / "conformed" / "sales" / "orders"
    orders.write.mode("append").partitionBy("order_date").parquet(str(target))
    partitions = sorted(p.name for p in target.iterdir() if p.is_dir())
    assert partitions == ["order_date=2026-11-26", "order_date=2026-11-27"]
    back = spark.read.parquet(str(target))
    assert back.count() == 4 and back.where("order_date = '2026-11-26'").count() == 1


def test_daily_sales_aggregate_revenue_and_orders_per_day_country_and_currency(conformed):
    orders, _ = conformed
    rows = [tuple(r) for r in daily_sales(orders).collect()]
    assert rows == [
        (datetime.date(2026, 11, 26), "DE", "EUR", Decimal("100.00"), 1),
        (datetime.date(2026, 11, 27), "DE", "EUR", Decimal("19.99"), 1),
        (datetime.date(2026, 11, 27), "FR", "EUR", Decimal("7.50"), 1),
        (datetime.date(2026, 11, 27), "US", "USD", Decimal("12.25"), 1),
    ]


def test_an_empty_file_gives_empty_outputs(spark):
    empty = spark.createDataFrame([], ", ".join(f"{c} string" for c in RAW_ORDER_COLUMNS))
    orders, rejected = conform_orders(empty)
    assert orders.count() == 0 and rejected.count() == 0
    assert daily_sales(orders).count() == 0
