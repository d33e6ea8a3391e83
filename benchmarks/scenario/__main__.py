"""`python -m benchmarks.scenario [NAME ...]`: run the scenario benchmark (all by default)."""

from __future__ import annotations

import os
from pathlib import Path
import sys

import pytest

_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    """Run benchmarks/test_scenarios.py for the scenarios named in `argv`."""
    if argv:
        os.environ["SCENARIO"] = ",".join(argv)
    return int(
        pytest.main(
            [
                str(_ROOT / "benchmarks" / "test_scenarios.py"),
                "-p",
                "no:cacheprovider",
                "-p",
                "no:logging",
                "--no-cov",
                "--timeout=0",
                "-q",
                "-s",
            ]
        )
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
