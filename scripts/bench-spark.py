#!/usr/bin/env python3
"""Times rumedbench.spark.fit against the single-process trainer on a synthetic many-class task,
measures Spark's overhead per task, and puts ICD-10-scale coding on paper from those unit costs.

    python/.venv/bin/python scripts/bench-spark.py [--data-dir ../shared/rumedbench/data]
        [--copies 2] [--subclasses 5] [--bits 18] [--blocks 1,2,4] [--master local[2]]

The task: RuMedTop3's training notes, `--copies` times over, each note's code split into
`--subclasses` sub-labels by its position (`M17.0`, `M17.1`, ...): about 105 x subclasses classes of
overlapping texts, a hard, slow one-vs-rest problem of the real notes' length. Every spark.fit
must give the single-process model file byte for byte (checked). Results: a Markdown table and
a JSON line on stdout; notes on stderr.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "rumedbench" / "data"))
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--subclasses", type=int, default=5)
    ap.add_argument("--bits", type=int, default=18)
    ap.add_argument("--blocks", default="1,2,4")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--tasks", type=int, default=64, help="tasks of the overhead probe")
    args = ap.parse_args()

    import pandas as pd
    from pyspark.sql import SparkSession

    import rumedbench as rb
    from rumedbench import spark as rbs

    path = Path(args.data_dir) / "RuMedTop3" / "train_v1.jsonl"
    if not path.is_file():
        sys.exit(f"bench-spark: {path} is missing (fetch the data: scripts/fetch-data.sh)")
    recs = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    texts, labels = [], []
    for c in range(args.copies):
        for i, r in enumerate(recs):
            texts.append(r["symptoms"])
            labels.append(f"{r['code']}.{(i + c) % args.subclasses}")
    n_classes = len(set(labels))
    note(f"bench-spark: {len(texts)} notes, {n_classes} classes, 2^{args.bits} hashed columns")

    from sklearn.feature_extraction.text import HashingVectorizer

    nnz = HashingVectorizer(analyzer="char", ngram_range=(3, 8), n_features=2 ** args.bits,
                            alternate_sign=False, norm=None).transform(texts).nnz

    t0, c0 = time.perf_counter(), time.process_time()
    single = rb.CharTfidfClassifier(hash_features=args.bits).fit(
        pd.DataFrame({"text": texts}), pd.Series(labels, name="label"))
    single_wall, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    note(f"single process: {single_wall:.1f} s wall, {single_cpu:.1f} s CPU")
    single_bytes = single._native.to_bytes()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(args.master).appName("rumedbench-bench")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "4g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    sc = spark.sparkContext
    cores = sc.defaultParallelism

    # Spark's cost of a task that does nothing (Python worker round trip, scheduling).
    sc.parallelize(range(cores), cores).map(lambda x: x).count()  # workers warm
    t0 = time.perf_counter()
    sc.parallelize(range(args.tasks), args.tasks).map(lambda x: x).count()
    per_task = (time.perf_counter() - t0) * cores / args.tasks
    note(f"empty task: {per_task * 1000:.0f} ms of a core each ({args.tasks} tasks)")

    df = spark.createDataFrame(pd.DataFrame({"text": texts, "label": labels})).cache()
    df.count()
    rows = []
    for n in [int(b) for b in args.blocks.split(",")]:
        t0 = time.perf_counter()
        model = rbs.fit(df, text_cols="text", label_col="label", hash_features=args.bits,
                        class_blocks=n)
        wall = time.perf_counter() - t0
        same = model._native.to_bytes() == single_bytes
        if not same:
            sys.exit(f"bench-spark: {n} blocks gave another model than the single process")
        t = dict(rbs.last_fit_timings)
        rows.append({"blocks": n, "wall": wall, "doc_freq": t["doc_freq"], "classes": t["classes"],
                     "blocks_phase": t["blocks"], "assemble": t["assemble"],
                     "block_fit_max": max(t["block_fits"]), "block_fit_sum": sum(t["block_fits"])})
        note(f"spark.fit, {n} block(s): {wall:.1f} s wall ({t})")
    spark.stop()

    # Unit costs: solver CPU per (non-zero x one-vs-rest problem), epochs included.
    unit = single_cpu / (nnz * n_classes)
    print(f"| run ({len(texts)} notes, {n_classes} classes, {nnz / 1e6:.1f}M non-zeros) "
          "| wall s | of which: df reduce | classes | block tasks (slowest solve) | assemble |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| single process (2 threads) | {single_wall:.1f} | | | | |")
    for r in rows:
        print(f"| spark.fit, {r['blocks']} block(s), {args.master} | {r['wall']:.1f} | "
              f"{r['doc_freq']:.1f} | {r['classes']:.1f} | {r['blocks_phase']:.1f} "
              f"({r['block_fit_max']:.1f}) | {r['assemble']:.1f} |")
    print()
    print(f"Empty Spark task: {per_task * 1000:.0f} ms of a core. Solver: "
          f"{unit * 1e9:.2f} ns CPU per (non-zero x class), epochs included.")
    # ICD-10 scale on paper: 10,000 classes, 10M notes of RuMedTop3's length, 100 cores.
    classes, notes, cores_c = 10_000, 10_000_000, 100
    nnz_big = nnz / len(texts) * notes
    cpu = unit * nnz_big * classes
    print(f"On paper, {classes} classes x {notes / 1e6:.0f}M notes ({nnz_big / 1e9:.1f}G non-zeros, "
          f"{nnz / len(texts):.0f} per note): {cpu / 3600:.0f} CPU hours of solving, "
          f"{cpu / cores_c / 3600:.1f} h on {cores_c} cores; hashed counts {nnz_big * 5 / 1e9:.0f} GB "
          "per task.")
    print(json.dumps({"notes": len(texts), "classes": n_classes, "nnz": nnz, "bits": args.bits,
                      "single_wall": single_wall, "single_cpu": single_cpu,
                      "per_task_s": per_task, "unit_ns": unit * 1e9, "spark": rows}))


if __name__ == "__main__":
    main()
