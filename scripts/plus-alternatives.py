#!/usr/bin/env python3
"""Test figures of every candidate the `--model plus` searches dropped, read after the choice.

What: issue #20 asks for the test figure of every alternative dropped once the preset was fixed.
This script reads the committed dev tables (`scripts/search-plus.out.tsv`,
`scripts/search-crf.out.tsv`), marks the chosen row of each with the search's own rule
(`search-plus.py`'s `choose`, `search-crf.py`'s `chosen` note), then trains every candidate on
its benchmark task's train split (RuMedNLI: its dev split, as the plus setup does) with
`rumedbench train --task T` and the candidate's settings, and prints dev (from the table) beside
test (from the run). Nothing here feeds back into a choice: the presets live in
`src/pipeline/plus.rs` and `CrfRecipe::plus()`, fixed by the dev searches.

How (from the repo root, after `cargo build --release`; about three minutes on two cores):
  python3 scripts/plus-alternatives.py [--text-only | --crf-only] [--jobs 2]
Prints two Markdown tables on stdout (figures in %), progress on stderr.
"""
import argparse
import concurrent.futures
import csv
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
BIN = os.path.join(ROOT, "target", "release", "rumedbench")
ALIAS = {"RuMedTop3": "top3", "RuMedSymptomRec": "symptomrec", "RuMedDaNet": "danet",
         "RuMedNLI": "nli", "RuMedNER": "ner"}


def search_plus():
    spec = importlib.util.spec_from_file_location("search_plus", os.path.join(SCRIPTS, "search-plus.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_tsv(name):
    with open(os.path.join(SCRIPTS, name), encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_figures(args, tmp):
    """`rumedbench train --task T ARGS`'s test figures, as printed: `acc 49.39, hit3 73.11`."""
    out = tempfile.mkdtemp(dir=tmp)
    cmd = [BIN, "train", *args, "--out", out, "--models-dir", os.path.join(out, "models")]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"plus-alternatives: {' '.join(cmd)} failed:\n{r.stderr}")
    (line,) = [l for l in r.stdout.splitlines() if "| test " in l]
    test = line.split("| test ")[1].split(" ->")[0]
    return " / ".join(re.findall(r"(?:acc|hit3|f1) ([\d.]+)", test))


def text_rows(jobs, tmp):
    sp = search_plus()
    rows = read_tsv("search-plus.out.tsv")
    keyed = [(r["task"], r["blocks"], int(r["C"]), r["class_weight"], float(r["dev_acc"]),
              float(r["dev_hit3"]) if r["dev_hit3"] else None) for r in rows]
    single, pair, _, _ = sp.choose(keyed)

    def one(r):
        task = r[0].split(" ")[0]
        print(f"plus-alternatives: {task} {r[1]} C={r[2]} {r[3]}", file=sys.stderr, flush=True)
        # RuMedNLI trains on its dev split, as `train --task all` does without the credentialed
        # train split.
        nli = ["--train-file", "data/RuMedNLI/dev_v1.jsonl"] if task == "RuMedNLI" else []
        return test_figures(["--task", ALIAS[task], "--model", "feature", "--blocks", r[1],
                             "--C", str(r[2]), "--class-weight", r[3], *nli], tmp)

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        tests = list(pool.map(one, keyed))
    print("| task | blocks | C | class weight | dev | test | |")
    print("|---|---|---|---|---|---|---|")
    for r, test in zip(keyed, tests):
        dev = f"{r[4]:.2f}" + (f" / {r[5]:.2f}" if r[5] is not None else "")
        chosen = r[1:4] == (single if r[0] in sp.SINGLE else pair)
        print(f"| {r[0]} | `{r[1]}` | {r[2]} | {r[3]} | {dev} | {test} | {'chosen' if chosen else ''} |")


def crf_rows(jobs, tmp):
    rows = read_tsv("search-crf.out.tsv")

    def one(r):
        print(f"plus-alternatives: RuMedNER {r['templates']} c1={r['c1']} c2={r['c2']}",
              file=sys.stderr, flush=True)
        return test_figures(["--task", "ner", "--crf-templates", r["templates"], "--c1", r["c1"],
                             "--c2", r["c2"]], tmp)

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        tests = list(pool.map(one, rows))
    print("| templates | c1 | c2 | dev acc / F1 | test acc / F1 | |")
    print("|---|---|---|---|---|---|")
    for r, test in zip(rows, tests):
        print(f"| `{r['templates']}` | {r['c1']} | {r['c2']} | {r['dev_acc']} / {r['dev_entity_f1']} "
              f"| {test} | {r['note']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--text-only", action="store_true")
    which.add_argument("--crf-only", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        if not a.crf_only:
            text_rows(a.jobs, tmp)
        if not a.text_only:
            if not a.crf_only:
                print()
            crf_rows(a.jobs, tmp)


if __name__ == "__main__":
    main()
