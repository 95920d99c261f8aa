#!/usr/bin/env python3
"""Cost of `--model plus` against `--model feature`: `rumedbench train --task all`, alternating.

What: runs `target/release/rumedbench train --task all --model M` for M in feature, plus,
alternating, --repeat times (default 3), each in a fresh child measured with getrusage
(wall time, CPU time = user + sys, peak RSS), and reads each task's training time from the
run's stdout (`... trained on ... in X.XXs`). The CRF (RuMedNER) trains on a thread of its
own while the text tasks train one after another beside it, so the CRF's lead over the text
tasks is its time minus the sum of theirs: issue #20 asks that plus's added CRF features do
not make that lead larger than the feature recipe's before plus (5.4 s, README of b2b0ad1).
Prints the median of each figure per model and the plus/feature ratios (issue #20: at most
3x the wall time, 2x the peak memory).

How (from the repo root; needs only the standard library, no bench venv):
  python3 scripts/bench-plus.py [--repeat 3] [--rust-bin target/release/rumedbench]
Each run's CPU time and peak RSS are its own (os.wait4 on that child).
Outputs go to a temporary directory removed afterwards. Prints the Markdown table on stdout,
progress on stderr. Runs that read the test split only through `train --task all`, as the
README's own rows do; nothing is chosen by these figures.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINED = re.compile(r"^(\S+) \((\w+), trained on \S+ in ([0-9.]+)s\)", re.M)


def measure(binary, model, tmp):
    """One run: wall time, and from os.wait4 the CPU time and peak RSS of this child alone."""
    cmd = [
        binary, "train", "--task", "all", "--model", model, "--force",
        "--out", os.path.join(tmp, "out"), "--models-dir", os.path.join(tmp, "models"),
    ]
    out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
    start = time.monotonic()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(err_path) as f:
            sys.exit(f"bench-plus: {' '.join(cmd)} failed:\n{f.read()}")
    with open(out_path) as f:
        times = {task: float(secs) for task, _, secs in TRAINED.findall(f.read())}
    if "RuMedNER" not in times or len(times) != 5:
        sys.exit(f"bench-plus: expected five task times in the output, got {times}")
    text = sum(v for k, v in times.items() if k != "RuMedNER")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "ner": times["RuMedNER"], "text": text,
            "lead": times["RuMedNER"] - text}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rust-bin", default=os.path.join(ROOT, "target", "release", "rumedbench"))
    args = ap.parse_args()
    if not os.path.exists(args.rust_bin):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    runs = {"feature": [], "plus": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for model in runs:
                r = measure(args.rust_bin, model, tmp)
                runs[model].append(r)
                print(f"bench-plus: run {i + 1} {model}: wall {r['wall']:.2f} s, "
                      f"peak {r['peak_mb']:.0f} MB, NER {r['ner']:.2f} s, "
                      f"text tasks {r['text']:.2f} s", file=sys.stderr)
    med = {m: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for m, rs in runs.items()}
    print(f"`train --task all`, median of {args.repeat} alternating runs")
    print()
    print("| model | wall s | CPU s | peak MB | NER s | text tasks s | NER lead s |")
    print("|---|---|---|---|---|---|---|")
    for m, v in med.items():
        print(f"| {m} | {v['wall']:.2f} | {v['cpu']:.2f} | {v['peak_mb']:.0f} | {v['ner']:.2f} "
              f"| {v['text']:.2f} | {v['lead']:.2f} |")
    f, p = med["feature"], med["plus"]
    print()
    print(f"plus/feature: wall {p['wall'] / f['wall']:.2f}x (limit 3x), "
          f"peak {p['peak_mb'] / f['peak_mb']:.2f}x (limit 2x), "
          f"NER lead {p['lead']:.2f} s against feature's {f['lead']:.2f} s "
          f"(5.4 s before plus)")


if __name__ == "__main__":
    main()
