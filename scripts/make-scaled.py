#!/usr/bin/env python3
"""Write a k-times larger copy of a single-text task, for scale benchmarks.

What: reads <data-dir>/<Task>/train_v1.jsonl and writes <out>/<Task>/train_v1.jsonl
with k copies of every training row:
  * copy 0 is the row itself, unchanged;
  * copy j >= 1 splits the text field on whitespace, drops one word chosen uniformly
    (when the text has at least two words), then inserts two words, each drawn
    uniformly from all word occurrences of the original train split (so frequent words
    are drawn more often) and put at a uniformly chosen position; words are joined
    by single spaces (the char n-gram vectorizers collapse whitespace runs anyway).
Labels and every other field are kept; the id field gets the suffix "~j" (j >= 1) so
ids stay unique. Rows are written copy by copy (all of copy 0, then copy 1, ...).
dev_v1.jsonl and test_v1.jsonl are copied unchanged, so a model trained on the scaled
split is scored on the real test split. The output depends only on the input file,
k and --seed (Python's random.Random(seed), one generator for the whole file).

How:
  python3 scripts/make-scaled.py --copies 10 --out out/scale/x10            # RuMedTop3
  python3 scripts/make-scaled.py --task RuMedSymptomRec --copies 4 --out DIR
  [--data-dir data] [--text-field symptoms] [--id-field idx] [--seed 12]
No third-party package needed. Prints one line per written file on stderr.
"""
import argparse
import json
import pathlib
import random
import shutil
import sys


def scaled_rows(rows, copies, text_field, id_field, seed):
    """Yields the k-times copied rows (see the module docstring)."""
    rng = random.Random(seed)
    pool = [w for r in rows for w in r[text_field].split()]
    if not pool and copies > 1:
        raise SystemExit(f"no words in field {text_field!r}: cannot draw insertions")
    for row in rows:
        yield row
    for j in range(1, copies):
        for row in rows:
            words = row[text_field].split()
            if len(words) >= 2:
                del words[rng.randrange(len(words))]
            for _ in range(2):
                words.insert(rng.randrange(len(words) + 1), pool[rng.randrange(len(pool))])
            new = dict(row)
            new[text_field] = " ".join(words)
            if id_field in new:
                new[id_field] = f"{new[id_field]}~{j}"
            yield new


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="RuMedTop3", help="task directory name under --data-dir")
    ap.add_argument("--data-dir", default="data", type=pathlib.Path)
    ap.add_argument("--out", required=True, type=pathlib.Path, help="output data dir (gets <task>/...)")
    ap.add_argument("--copies", type=int, required=True, help="k >= 1 (1 = the train split unchanged)")
    ap.add_argument("--text-field", default="symptoms")
    ap.add_argument("--id-field", default="idx")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args(argv)
    if args.copies < 1:
        raise SystemExit(f"--copies must be at least 1, got {args.copies}")
    src = args.data_dir / args.task
    dst = args.out / args.task
    dst.mkdir(parents=True, exist_ok=True)
    train = src / "train_v1.jsonl"
    rows = []
    with open(train, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row.get(args.text_field), str):
                    raise ValueError(f"field {args.text_field!r} is not a string")
            except ValueError as e:
                raise SystemExit(f"{train}:{n}: {e}")
            rows.append(row)
    out = dst / "train_v1.jsonl"
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        for row in scaled_rows(rows, args.copies, args.text_field, args.id_field, args.seed):
            f.write(json.dumps(row, ensure_ascii=False))
            f.write("\n")
            written += 1
    print(f"make-scaled: {out}: {written} rows ({args.copies} x {len(rows)})", file=sys.stderr)
    for split in ("dev_v1.jsonl", "test_v1.jsonl"):
        if (src / split).exists():
            shutil.copyfile(src / split, dst / split)
            print(f"make-scaled: {dst / split}: copied", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
