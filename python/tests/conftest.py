"""Shared fixtures: the repository's synthetic toy data, the benchmark data in
``../shared/rumedbench`` (tests that need it fail when it is absent, as the Rust tests do) and the
``rumedbench`` binary for the command-line interchange tests."""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOY = REPO / "tests" / "fixtures" / "toy"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def shared():
    d = Path(os.environ.get("RUMEDBENCH_SHARED", REPO.parent / "shared" / "rumedbench"))
    assert (d / "data").is_dir() and (d / "reference_outputs").is_dir(), (
        f"the RuMedBench data is required at {d} (set RUMEDBENCH_SHARED to another copy)"
    )
    return d


@pytest.fixture(scope="session")
def cli():
    """Runs the ``rumedbench`` binary ($RUMEDBENCH_BIN, else target/{release,debug}/rumedbench)."""
    candidates = [os.environ.get("RUMEDBENCH_BIN")] + [
        str(REPO / "target" / p / "rumedbench") for p in ("release", "debug")
    ]
    found = [c for c in candidates if c and Path(c).is_file()]
    assert found, f"build the command line first (cargo build); looked at {candidates}"

    def run(*args, cwd=None):
        proc = subprocess.run(
            [found[0], *map(str, args)], capture_output=True, text=True, cwd=cwd
        )
        assert proc.returncode == 0, f"rumedbench {args}: {proc.stderr}"
        return proc.stdout

    return run


@pytest.fixture(scope="session")
def toy():
    recs = read_jsonl(TOY / "train.jsonl")
    return [r["text"] for r in recs], [r["label"] for r in recs]
