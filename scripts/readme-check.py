#!/usr/bin/env python3
"""Recomputes the figures README.md and the docs/*.md pages quote and fails on any difference.

Each page marks what it quotes in two ways, and this script runs both from the repository root
with `target/release` first on PATH (so `rumedbench` is the binary just built):

1. Transcripts: a ```console block holds `$ COMMAND` lines, each followed by the command's
   standard output exactly as printed.
2. Output regions: `<!-- output: COMMAND -->` ... `<!-- /output -->` enclose text (a Markdown table,
   say) that must equal the command's standard output.

Wall-clock durations (`0.06s`, `in 1.2 s`) are masked on both sides; every other character,
every figure included, must match. Blocks run in page order (README.md, then the pages of `PAGES`,
then any other docs/*.md by name), so a later block may read what an earlier one wrote (`out/`,
`models/`). They run in a scratch copy of the root made beside it
(`../.readme-check-*`, so that `../shared` is the same folder; links to every top-level entry but
`out/` and `models/`, which start empty; removed afterwards), so the check gives the same answer
on a clean clone, on a second run and beside your own results, and leaves those alone.

    scripts/readme-check.py            # check; exit 1 listing every difference
    scripts/readme-check.py --update   # rewrite the pages with what the commands print now
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
# The docs pages in the order their blocks run (after the README's): the benchmark first, as the
# README's sections ran before they were moved.
PAGES = [
    "benchmark.md",
    "own-task.md",
    "python.md",
    "performance.md",
    "big-tasks.md",
    "reliability.md",
    "design.md",
]


def pages() -> list[Path]:
    docs = ROOT / "docs"
    rest = sorted(p.name for p in docs.glob("*.md") if p.name not in PAGES)
    return [README] + [docs / n for n in PAGES + rest if (docs / n).is_file()]
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
    ap.add_argument("--update", action="store_true", help="rewrite the pages in place")
    args = ap.parse_args()
    spans = []  # (page, start, end, expected_as_written, actual, label)
    texts = {}
    scratch = make_scratch()
    try:
        for page in pages():
            text = texts[page] = page.read_text(encoding="utf-8")
            # Both kinds of block, run in page order: a later block may read an earlier one's
            # output.
            blocks = [(m.start(1), m.end(1), m.group(1), None) for m in CONSOLE.finditer(text)]
            blocks += [
                (m.start(2), m.end(2), m.group(2), m.group(1)) for m in REGION.finditer(text)
            ]
            blocks.sort()
            for start, end, written, region_cmd in blocks:
                if region_cmd is None:
                    actual, cmds = transcript(written, scratch)
                    label = cmds[0] if cmds else "?"
                else:
                    actual, label = run(region_cmd, scratch), region_cmd
                spans.append((page, start, end, written, actual, label))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    failures = []
    for page, _, _, written, actual, label in spans:
        if mask(written) != mask(actual):
            diff = difflib.unified_diff(
                written.splitlines(), actual.splitlines(), page.name, "now", lineterm=""
            )
            failures.append(f"{page.relative_to(ROOT)}: `{label}`:\n" + "\n".join(diff))
    if args.update:
        for page, start, end, written, actual, _ in reversed(spans):
            if mask(written) != mask(actual):
                texts[page] = texts[page][:start] + actual + texts[page][end:]
        for page, text in texts.items():
            page.write_text(text, encoding="utf-8")
        print(f"readme-check: {len(failures)} of {len(spans)} blocks rewritten", file=sys.stderr)
        return 0
    for f in failures:
        print(f, file=sys.stderr)
    print(
        f"readme-check: {len(spans) - len(failures)} of {len(spans)} blocks match "
        f"({len(texts)} pages)",
        file=sys.stderr,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
