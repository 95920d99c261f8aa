#!/usr/bin/env python3
"""Recomputes the figures README.md quotes and fails on any difference.

The README marks what it quotes in two ways, and this script runs both from the repository root
with `target/release` first on PATH (so `rumedbench` is the binary just built):

1. Transcripts: a ```console block holds `$ COMMAND` lines, each followed by the command's
   standard output exactly as printed.
2. Output regions: `<!-- output: COMMAND -->` ... `<!-- /output -->` enclose text (a Markdown table,
   say) that must equal the command's standard output.

Wall-clock durations (`0.06s`, `in 1.2 s`) are masked on both sides; every other character,
every figure included, must match. Blocks run in README order, so a later block may read what an
earlier one wrote (`out/`, `models/`). They run in a scratch copy of the root made beside it
(`../.readme-check-*`, so that `../shared` is the same folder; links to every top-level entry but
`out/` and `models/`, which start empty; removed afterwards), so the check gives the same answer
on a clean clone, on a second run and beside your own results, and leaves those alone.

    scripts/readme-check.py            # check; exit 1 listing every difference
    scripts/readme-check.py --update   # rewrite README.md with what the commands print now
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TIMING = re.compile(r"\b\d+(\.\d+)?\s?s\b")
REGION = re.compile(r"<!-- output: (.+?) -->\n(.*?)<!-- /output -->\n", re.S)
CONSOLE = re.compile(r"```console\n(.*?)```\n", re.S)
FRESH = ("out", "models")


def mask(text: str) -> str:
    return TIMING.sub("<T>s", text)


def run(cmd: str, cwd: Path) -> str:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / 'target' / 'release'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("RUMEDBENCH_DATA", None)
    p = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    if p.returncode != 0:
        sys.exit(f"readme-check: `{cmd}` exited {p.returncode}:\n{p.stderr}")
    return p.stdout


def transcript(block: str, cwd: Path) -> tuple[str, list[str]]:
    """Runs a console block's commands; returns the block as it should read and the commands."""
    out, cmds = [], []
    for line in block.splitlines():
        if line.startswith("$ "):
            cmds.append(line[2:])
    for cmd in cmds:
        out.append(f"$ {cmd}\n")
        out.append(run(cmd, cwd))
    return "".join(out), cmds


def make_scratch() -> Path:
    """A folder beside the root with the root's entries linked, `out/` and `models/` empty."""
    scratch = Path(tempfile.mkdtemp(prefix=".readme-check-", dir=ROOT.parent))
    for entry in ROOT.iterdir():
        if entry.name not in FRESH:
            (scratch / entry.name).symlink_to(entry)
    for name in FRESH:
        (scratch / name).mkdir()
    return scratch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="rewrite README.md in place")
    args = ap.parse_args()
    text = README.read_text(encoding="utf-8")
    # Both kinds of block, run in README order: a later block may read an earlier one's output.
    blocks = [(m.start(1), m.end(1), m.group(1), None) for m in CONSOLE.finditer(text)]
    blocks += [(m.start(2), m.end(2), m.group(2), m.group(1)) for m in REGION.finditer(text)]
    blocks.sort()
    spans = []  # (start, end, expected_as_written, actual, label)
    scratch = make_scratch()
    try:
        for start, end, written, region_cmd in blocks:
            if region_cmd is None:
                actual, cmds = transcript(written, scratch)
                label = cmds[0] if cmds else "?"
            else:
                actual, label = run(region_cmd, scratch), region_cmd
            spans.append((start, end, written, actual, label))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    failures = []
    for _, _, written, actual, label in spans:
        if mask(written) != mask(actual):
            diff = difflib.unified_diff(
                written.splitlines(), actual.splitlines(), "README", "now", lineterm=""
            )
            failures.append(f"`{label}`:\n" + "\n".join(diff))
    if args.update:
        for start, end, written, actual, _ in reversed(spans):
            if mask(written) != mask(actual):
                text = text[:start] + actual + text[end:]
        README.write_text(text, encoding="utf-8")
        print(f"readme-check: {len(failures)} of {len(spans)} blocks rewritten", file=sys.stderr)
        return 0
    for f in failures:
        print(f, file=sys.stderr)
    print(
        f"readme-check: {len(spans) - len(failures)} of {len(spans)} blocks match",
        file=sys.stderr,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
