"""Checks an arriving order file before the jobs run, and records it in the audit table.

Started by the workflow with the S3 event's bucket and key. A file passes when it is
UTF-8 CSV whose header has every column the conformed job reads and at least one row.
Every file is recorded (bucket, key, size, status, reason) in the table named by
AUDIT_TABLE; the workflow stops on a rejected file.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

import boto3

REQUIRED_COLUMNS = ("order_id", "order_ts", "customer_id", "country", "amount", "currency")
MAX_BYTES = 512 * 1024 * 1024


def check(body: bytes) -> str | None:
    """None when the file is acceptable, else the reason it is not."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        return "empty file"
    missing = [c for c in REQUIRED_COLUMNS if c not in [h.strip() for h in header]]
    if missing:
        return f"missing columns: {', '.join(missing)}"
    if next(rows, None) is None:
        return "no rows"
    return None


def handle(event: dict, context: object = None, *, s3=None, dynamodb=None) -> dict:
    bucket, key = event["bucket"], event["key"]
    s3 = s3 or boto3.client("s3")
    dynamodb = dynamodb or boto3.client("dynamodb")
    head = s3.head_object(Bucket=bucket, Key=key)
    size = head["ContentLength"]
    if size > MAX_BYTES:
        reason = f"larger than {MAX_BYTES} bytes"
    else:
        reason = check(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    status = "ACCEPTED" if reason is None else "REJECTED"
    item = {
        "object_key": {"S": f"{bucket}/{key}"},
        "received_at": {"S": datetime.now(UTC).isoformat()},
        "size": {"N": str(size)},
        "status": {"S": status},
    }
    if reason:
        item["reason"] = {"S": reason}
    dynamodb.put_item(TableName=os.environ["AUDIT_TABLE"], Item=item)
    return {"bucket": bucket, "key": key, "status": status, "reason": reason}
