"""The repository's code on the path, as Glue and Lambda put it there."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "lambdas" / "validate_arrival")]
