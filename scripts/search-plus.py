#!/usr/bin/env python3
"""Chooses the `--model plus` preset on dev splits only: trains `rumedbench --model feature`
with candidate block sets, C and class weights per task on train and scores dev, prints a table
and writes it to scripts/search-plus.out.tsv (committed). The preset in src/pipeline/plus.rs
is the best row per task type (single text: mean over Top3 and SymptomRec of (acc + hit3)/2;
pair: mean of DaNet's dev accuracy and NLI's, NLI being trained on its dev split in the plus
setup and so scored by 2-fold cross-validation inside dev).

No test file is ever opened: the script builds its own data folder under a temporary directory
whose `test_v1.jsonl` is a copy of the dev split (rumedbench's built-in tasks want a test file;
its "test" figures there are dev figures), and it asserts that no path it hands to rumedbench
names a test split.

    RUMEDBENCH_DATA=/path/to/data scripts/search-plus.py [--bin target/release/rumedbench]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

SINGLE = ["RuMedTop3", "RuMedSymptomRec"]
PAIR = ["RuMedDaNet"]
ALIAS = {"RuMedTop3": "top3", "RuMedSymptomRec": "symptomrec", "RuMedDaNet": "danet", "RuMedNLI": "nli"}

# (blocks, C, class_weight): the paper's recipe first, as the reference row.
SINGLE_GRID = [
    ("char:3-8", 10, "none"),
    ("char:3-8:sub", 10, "balanced"),
    ("char:3-8:sub,word:1-2:sub", 10, "balanced"),
    ("char:3-8:sub,word:1-2:sub", 30, "balanced"),
    ("char:3-8:sub,char_wb:2-5:sub", 10, "balanced"),
    ("char:3-8:sub,word:1-1:sub", 10, "balanced"),
    ("char_wb:2-6:sub,word:1-2:sub", 10, "balanced"),
    ("char:3-8:sub,word:1-2:sub", 10, "none"),
    # Stemmed words (Snowball's Russian stemmer), added after the rows above were chosen from.
    ("stem:1-2:sub", 10, "balanced"),
    ("char:3-8:sub,stem:1-1:sub", 10, "balanced"),
    ("char:3-8:sub,stem:1-2:sub", 10, "balanced"),
    ("char:3-8:sub,stem:1-2:sub", 30, "balanced"),
    ("char:3-8:sub,stem:1-2:sub", 10, "none"),
    ("char:3-8:sub,char_wb:2-5:sub,stem:1-2:sub", 10, "balanced"),
    ("char:3-8:sub,char_wb:2-5:sub,stem:1-2:sub", 30, "balanced"),
]
PAIR_GRID = [
    ("char:3-8", 10, "none"),
    ("char:3-8,char_wb:2-5@second", 10, "none"),
    ("char:3-8,char_wb:2-5@second,word:1-1:sub@shared", 10, "none"),
    ("char:3-8,char_wb:2-5@second,word:1-1:sub@shared,cross", 10, "none"),
    ("char:3-8,char_wb:2-5@second,word:1-1:sub@shared,cross", 3, "none"),
    ("char:3-8,char_wb:2-5@second,word:1-1:sub@shared,cross", 30, "none"),
    ("char:3-8,char_wb:2-5@second,word:1-1:sub@shared,cross*2", 10, "none"),
    ("char_wb:2-5@second,word:1-1:sub@shared,cross", 10, "none"),
    ("char_wb:2-5@second,word:1-1:sub@shared,cross", 3, "none"),
    ("char_wb:2-5@first,char_wb:2-5@second,word:1-1:sub@shared,cross", 10, "none"),
    ("char:3-8:sub,char_wb:2-5:sub@second,word:1-1:sub@shared,cross", 10, "balanced"),
    # Stemmed words, added later.
    ("char_wb:2-5@second,stem:1-1:sub@shared,cross", 3, "none"),
    ("char_wb:2-5@second,word:1-1:sub@shared,stem:1-1:sub@second,cross", 3, "none"),
]


def no_test(path):
    assert "test" not in os.path.basename(os.path.realpath(path)), f"refusing to use {path}"
    return path


def link_task(root, data, task, train, dev):
    """A folder for `task` whose train, dev and "test" files are `train`, `dev` and `dev`."""
    d = os.path.join(root, task)
    os.makedirs(d, exist_ok=True)
    for name, src in [("train", train), ("dev", dev), ("test", dev)]:
        dst = os.path.join(d, f"{name}_v1.jsonl")
        if os.path.lexists(dst):
            os.remove(dst)
        with open(no_test(src), "rb") as f, open(dst, "wb") as g:
            g.write(f.read())


def run(binary, root, task, blocks, c, cw, out):
    cmd = [binary, "train", "--task", ALIAS[task], "--model", "feature", "--blocks", blocks,
           "--C", str(c), "--class-weight", cw, "--data-dir", root, "--out", out,
           "--models-dir", out + "/models", "--force"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}\n{r.stderr}")
    line = [l for l in r.stdout.splitlines() if l.startswith(task)][0]
    # The "test" half reads the dev copy: the dev figures.
    dev = line.split("| test")[1]
    acc = float(re.search(r"acc ([\d.]+)", dev).group(1))
    hit = re.search(r"hit3 ([\d.]+)", dev)
    return acc, float(hit.group(1)) if hit else None


def choose(rows):
    """The preset's rule over the table's rows (task, blocks, C, class_weight, dev_acc,
    dev_hit3): single text, the best mean over Top3 and SymptomRec of (acc + hit3) / 2; pairs,
    the best mean of DaNet's dev accuracy and NLI's 2-fold CV accuracy (ties: the earlier grid
    row). Returns (best single row key, best pair row key, the two scoring functions)."""
    def single_score(b):
        got = [(r[4] + r[5]) / 2 for r in rows if r[0] in SINGLE and tuple(r[1:4]) == b]
        return sum(got) / len(got)

    def pair_score(b):
        got = [r[4] for r in rows if r[0] not in SINGLE and tuple(r[1:4]) == b]
        return sum(got) / len(got)

    return max(SINGLE_GRID, key=single_score), max(PAIR_GRID, key=pair_score), single_score, pair_score


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/rumedbench")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "search-plus.out.tsv"))
    args = ap.parse_args()
    data = os.environ.get("RUMEDBENCH_DATA", "data")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "data")
        for task, grid in [(t, SINGLE_GRID) for t in SINGLE] + [(t, PAIR_GRID) for t in PAIR]:
            link_task(root, data, task, f"{data}/{task}/train_v1.jsonl", f"{data}/{task}/dev_v1.jsonl")
            for blocks, c, cw in grid:
                acc, hit = run(args.bin, root, task, blocks, c, cw, os.path.join(tmp, "out"))
                rows.append((task, blocks, c, cw, acc, hit))
                print("\t".join(map(str, rows[-1])), flush=True)
        # NLI: trained on dev in the plus setup; 2-fold cross-validation inside dev.
        with open(no_test(f"{data}/RuMedNLI/dev_v1.jsonl"), encoding="utf-8") as f:
            recs = [l for l in f if l.strip()]
        order = list(range(len(recs)))
        random.Random(0).shuffle(order)
        folds = [sorted(order[0::2]), sorted(order[1::2])]
        for blocks, c, cw in PAIR_GRID:
            accs = []
            for k in range(2):
                fold_dir = os.path.join(tmp, f"nli{k}")
                os.makedirs(fold_dir, exist_ok=True)
                tr, dv = os.path.join(fold_dir, "a.jsonl"), os.path.join(fold_dir, "b.jsonl")
                with open(tr, "w", encoding="utf-8") as f:
                    f.writelines(recs[i] for i in folds[k])
                with open(dv, "w", encoding="utf-8") as f:
                    f.writelines(recs[i] for i in folds[1 - k])
                link_task(root, data, "RuMedNLI", tr, dv)
                accs.append(run(args.bin, root, "RuMedNLI", blocks, c, cw, os.path.join(tmp, "out"))[0])
            rows.append(("RuMedNLI (2-fold CV in dev)", blocks, c, cw, round(sum(accs) / 2, 2), None))
            print("\t".join(map(str, rows[-1])), flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("task\tblocks\tC\tclass_weight\tdev_acc\tdev_hit3\n")
        for r in rows:
            f.write("\t".join("" if v is None else str(v) for v in r) + "\n")
    best_single, best_pair, single_score, pair_score = choose(rows)
    print(f"\nsingle-text preset: {best_single} (mean dev (acc+hit3)/2 {single_score(best_single):.2f})")
    print(f"pair preset: {best_pair} (mean dev acc of DaNet and NLI's CV {pair_score(best_pair):.2f})")
    print(json.dumps({"single": best_single, "pair": best_pair}))


if __name__ == "__main__":
    main()
