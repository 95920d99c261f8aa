#!/usr/bin/env python3
"""From Python: scikit-learn's char tf-idf + liblinear pipeline against rumedbench's
CharTfidfClassifier, both called from Python, on RuMedTop3, RuMedSymptomRec and RuMedDaNet.

What: for each task and side, a fresh child process of this same interpreter
(`bench_python.py --child SIDE TASK`) imports only its side's library, loads train and test,
then times fit(train) + predict_proba(test) with time.perf_counter (wall) and
getrusage (CPU: user + system seconds of all the process's threads) and reports its peak
resident memory (getrusage(RUSAGE_SELF).ru_maxrss: interpreter, libraries, data and model
together) and its test figures. One child per measurement keeps each peak clean.

  sklearn:    Pipeline([("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(3, 8))),
                        ("clf", LogisticRegression(C=10, solver="liblinear", dual=True))])
  rumedbench: rumedbench.CharTfidfClassifier()   (the same recipe's defaults)

Text pairs (DaNet: context, question) are joined with one space on the sklearn side and passed
as pairs to rumedbench, which joins them the same way.

How: in an environment with scikit-learn 1.3.2 and the rumedbench package:
  python3 -m venv scripts/.venv
  scripts/.venv/bin/pip install -r scripts/requirements-bench.txt ./python
  scripts/.venv/bin/python scripts/bench_python.py [--data-dir data] [--tasks top3,symptomrec,danet]
      [--repeat 1]
--repeat N measures each side N times, alternating sides, and keeps the median time and the
largest peak.

Prints: progress on stderr; a Markdown table on stdout: median fit+predict seconds (wall clock,
then CPU), the largest
peak RSS of the whole process ("peak MB": interpreter, imports, data, model), the largest growth of
peak RSS during fit+predict over the peak before it ("added MB": what fitting and predicting
cost beyond the common Python baseline), the ratios, and each side's test accuracy / Hit@3;
then the 1-minute load average before and after the runs. On a machine shared with other jobs
the wall ratio moves with the load (rumedbench runs on every core, scikit-learn's liblinear on
one, so sharing the cores costs rumedbench more); CPU seconds measure the work done.
Importing rumedbench imports scikit-learn's base classes when scikit-learn is installed, so both
sides start from a similar baseline.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

TASKS = {
    "top3": ("RuMedTop3", ["symptoms"], "code"),
    "symptomrec": ("RuMedSymptomRec", ["symptoms"], "code"),
    "danet": ("RuMedDaNet", ["context", "question"], "answer"),
}
HERE = os.path.dirname(os.path.abspath(__file__))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load(data_dir, task):
    name, fields, label = TASKS[task]
    out = []
    for split in ("train", "test"):
        recs = read_jsonl(os.path.join(data_dir, name, f"{split}_v1.jsonl"))
        if len(fields) == 1:
            X = [r[fields[0]] for r in recs]
        else:
            X = [(r[fields[0]], r[fields[1]]) for r in recs]
        out.append((X, [r[label] for r in recs]))
    return out


def figures(proba, classes, gold):
    """Test accuracy and Hit@3 (percent) from class probabilities."""
    import numpy as np

    order = np.argsort(-proba, axis=1, kind="stable")[:, :3]
    top = [[classes[j] for j in row] for row in order]
    acc = 100.0 * sum(t[0] == g for t, g in zip(top, gold)) / len(gold)
    hit3 = 100.0 * sum(g in t for t, g in zip(top, gold)) / len(gold)
    return acc, hit3


def child(side, task, data_dir):
    """Runs one measurement in this process; prints one JSON line."""
    (Xtr, ytr), (Xte, yte) = load(data_dir, task)
    if side == "sklearn":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        join = (lambda X: X) if isinstance(Xtr[0], str) else (lambda X: [f"{a} {b}" for a, b in X])
        Xtr, Xte = join(Xtr), join(Xte)
        model = Pipeline(
            [
                ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(3, 8))),
                ("clf", LogisticRegression(C=10, solver="liblinear", dual=True)),
            ]
        )
    else:
        import rumedbench

        model = rumedbench.CharTfidfClassifier()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    model.fit(Xtr, ytr)
    proba = model.predict_proba(Xte)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rss_before, peak = before.ru_maxrss, after.ru_maxrss
    acc, hit3 = figures(proba, list(model.classes_), yte)
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak / 1024,
        "before_fit_mb": rss_before / 1024,
        "acc": acc,
        "hit3": hit3,
    }))


def measure(side, task, data_dir):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", side, task, "--data-dir", data_dir]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{side} {task} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=os.path.join(HERE, "..", "data"))
    ap.add_argument("--tasks", default="top3,symptomrec,danet")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", nargs=2, metavar=("SIDE", "TASK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.data_dir)
        return
    import rumedbench
    import sklearn

    log(f"scikit-learn {sklearn.__version__}, rumedbench {rumedbench.__version__}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    load_before = os.getloadavg()[0]
    rows = []
    for task in args.tasks.split(","):
        runs = {"sklearn": [], "rumedbench": []}
        for i in range(args.repeat):
            for side in ("sklearn", "rumedbench"):
                r = measure(side, task, args.data_dir)
                log(f"{TASKS[task][0]} {side} run {i + 1}: {r['seconds']:.2f} s "
                    f"({r['cpu_seconds']:.2f} CPU s), "
                    f"peak {r['peak_mb']:.0f} MB, test {r['acc']:.2f} / {r['hit3']:.2f}")
                runs[side].append(r)
        rows.append((task, runs))
    load_after = os.getloadavg()[0]
    print("| task | scikit-learn s | rumedbench s | speed ratio | scikit-learn CPU s "
          "| rumedbench CPU s | CPU ratio | scikit-learn peak MB "
          "| rumedbench peak MB | memory ratio | scikit-learn added MB | rumedbench added MB "
          "| added ratio | scikit-learn test | rumedbench test |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for task, runs in rows:
        t = {s: statistics.median(r["seconds"] for r in runs[s]) for s in runs}
        c = {s: statistics.median(r["cpu_seconds"] for r in runs[s]) for s in runs}
        m = {s: max(r["peak_mb"] for r in runs[s]) for s in runs}
        a = {s: max(r["peak_mb"] - r["before_fit_mb"] for r in runs[s]) for s in runs}
        fig = {}
        for s in runs:
            r = runs[s][0]
            fig[s] = f"{r['acc']:.2f}" if task == "danet" else f"{r['acc']:.2f}/{r['hit3']:.2f}"
        print(f"| {TASKS[task][0]} | {t['sklearn']:.2f} | {t['rumedbench']:.2f} "
              f"| **{t['sklearn'] / t['rumedbench']:.1f}x** "
              f"| {c['sklearn']:.2f} | {c['rumedbench']:.2f} "
              f"| **{c['sklearn'] / c['rumedbench']:.1f}x** | {m['sklearn']:.0f} "
              f"| {m['rumedbench']:.0f} | **{m['sklearn'] / m['rumedbench']:.1f}x** "
              f"| {a['sklearn']:.0f} | {a['rumedbench']:.0f} "
              f"| **{a['sklearn'] / a['rumedbench']:.1f}x** "
              f"| {fig['sklearn']} | {fig['rumedbench']} |")
    print(f"\n1-minute load average: {load_before:.1f} before the runs, {load_after:.1f} after; "
          f"{os.cpu_count()} CPUs.")

if __name__ == "__main__":
    main()
