#!/usr/bin/env python3
"""Python side-by-side reference for rumedbench's feature-based baselines.

What: re-runs the RuMedBench paper's feature-based recipe (upstream
`code/linear_models/*.py`, Blinov et al. 2022) with scikit-learn 1.3.2 and
sklearn-crfsuite 0.3.6, so the Rust tool can be checked and timed against it.
It is a benchmark aid only, never a runtime dependency of the Rust tool.

  * top3, symptomrec: text = `symptoms`, classes = sorted unique train `code`s,
    TfidfVectorizer(analyzer='char', ngram_range=(3, 8)) +
    LogisticRegression(penalty='l2', C=10, multi_class='ovr'); top-3 codes by
    predict_proba. Metrics: Acc (= Hit@1) and Hit@3.
  * danet: text = context + ' ' + question, l2i = {'нет': 0, 'да': 1}, same
    vectorizer and classifier, predict(). Metric: Acc.
  * ner: sklearn_crfsuite.CRF(algorithm='lbfgs', c1=0.1, c2=0.01,
    max_iterations=200, all_possible_transitions=True) over upstream's per-token
    feature dicts (lower-cased word, 2/3-char suffixes, case/digit flags,
    +-1 neighbour's lower-cased form and case flags, BOS/EOS). Metrics: seqeval
    1.2.2 token accuracy and entity F1 (default mode).

Upstream passes no `solver`, so with scikit-learn 1.3.2 it trains with lbfgs
(max_iter=100, which may warn about non-convergence); `--solver liblinear` is
offered because the paper's numbers are stated for liblinear. Upstream used
n_jobs=10; the default here is 2 (a 2-core machine). With lbfgs, OvR runs one
binary fit per class, spread over n_jobs joblib (loky) worker processes;
liblinear does its own OvR in one process and ignores n_jobs (sklearn warns).

Run (from the repo root, with the bench venv, see requirements-bench.txt):
  scripts/.venv/bin/python scripts/reference.py --task top3 [--solver lbfgs|liblinear|liblinear-dual]
      [--n-jobs 2] [--data-dir data] [--out DIR]

Reads <data-dir>/<TaskName>/{train,dev,test}_v1.jsonl. With --out, writes the
test predictions to <DIR>/<TaskName>.jsonl in upstream's schema
({"idx","code","prediction":[top3]}, {"pairID","answer","prediction"} or
{"idx","ner_tags","prediction"}; UTF-8, ensure_ascii=False).
Prints progress to stderr and, as the LAST line of stdout, one JSON object:
  {"task", "solver", "n_jobs", "dev": {metrics}, "test": {metrics},
   "seconds": {"fit", "total"}, "versions": {...}}
with metrics in percent rounded to 2 decimals like upstream
(top3/symptomrec: acc, hit3; danet: acc; ner: acc, f1).
"""
import argparse
import json
import pathlib
import random
import sys
import time
import warnings

import numpy as np

TASKS = {
    "top3": "RuMedTop3",
    "symptomrec": "RuMedSymptomRec",
    "danet": "RuMedDaNet",
    "ner": "RuMedNER",
}
SEED = 128  # upstream seeds random/numpy with 128 (the fits are deterministic anyway)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False))
            f.write("\n")


def pct(x):
    return round(float(x) * 100, 2)


# --------------------------------------------------------------------------
# TF-IDF + logistic regression (top3, symptomrec, danet)
# --------------------------------------------------------------------------

# The vectorizer's analyzer and n-gram range (--analyzer, --ngram-range; upstream: char 3-8).
VECTORIZER = {"analyzer": "char", "ngram_range": (3, 8)}


def make_tfidf_lr(solver, n_jobs):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tfidf = TfidfVectorizer(**VECTORIZER)
    kwargs = dict(penalty="l2", C=10, multi_class="ovr", n_jobs=n_jobs)
    if solver == "liblinear-dual":
        # liblinear's dual coordinate descent (its solver 7), the fastest scikit-learn
        # route when features far outnumber documents.
        kwargs.update(solver="liblinear", dual=True)
    elif solver != "lbfgs":
        kwargs["solver"] = solver
    # solver='lbfgs' is what upstream gets by passing nothing (sklearn >= 0.22).
    clf = LogisticRegression(**kwargs)
    return tfidf, clf


def topn_hits(gold_idx, proba, n):
    """Upstream's hit_at_n: is the gold index among the n highest-probability columns.
    Gold labels unseen in train (index -1) never hit, as with upstream's NaN."""
    hits = 0
    for g, row in zip(gold_idx, proba):
        order = np.argsort(row)[::-1][:n]
        hits += int(g in order)
    return hits / len(gold_idx)


def run_code_task(task, data, solver, n_jobs, timings):
    train, dev, test = data
    classes = sorted({r["code"] for r in train})
    l2i = {c: i for i, c in enumerate(classes)}
    tfidf, clf = make_tfidf_lr(solver, n_jobs)

    t0 = time.perf_counter()
    X = tfidf.fit_transform([r["symptoms"] for r in train])
    y = np.array([l2i[r["code"]] for r in train])
    log(f"[{task}] train {X.shape[0]} x {X.shape[1]} features, {X.nnz} non-zeros, {len(classes)} classes")
    clf.fit(X, y)
    timings["fit"] = time.perf_counter() - t0

    def evaluate(rows):
        P = clf.predict_proba(tfidf.transform([r["symptoms"] for r in rows]))
        gold = [l2i.get(r["code"], -1) for r in rows]
        return P, {"acc": pct(topn_hits(gold, P, 1)), "hit3": pct(topn_hits(gold, P, 3))}

    _, dev_m = evaluate(dev)
    P_test, test_m = evaluate(test)
    preds = []
    for r, row in zip(test, P_test):
        top = np.argsort(row)[::-1][:3]
        preds.append({"idx": r["idx"], "code": r["code"], "prediction": [classes[i] for i in top]})
    return dev_m, test_m, preds


def run_danet(task, data, solver, n_jobs, timings):
    from sklearn.metrics import accuracy_score

    train, dev, test = data
    l2i = {"нет": 0, "да": 1}
    i2l = {i: label for label, i in l2i.items()}
    tfidf, clf = make_tfidf_lr(solver, n_jobs)

    def texts(rows):
        return [r["context"] + " " + r["question"] for r in rows]

    t0 = time.perf_counter()
    X = tfidf.fit_transform(texts(train))
    y = np.array([l2i[r["answer"]] for r in train])
    log(f"[{task}] train {X.shape[0]} x {X.shape[1]} features")
    clf.fit(X, y)
    timings["fit"] = time.perf_counter() - t0

    def evaluate(rows):
        pred = clf.predict(tfidf.transform(texts(rows)))
        gold = [l2i.get(r["answer"], -1) for r in rows]
        return pred, {"acc": pct(accuracy_score(gold, pred))}

    _, dev_m = evaluate(dev)
    pred_test, test_m = evaluate(test)
    preds = [
        {"pairID": r["pairID"], "answer": r["answer"], "prediction": i2l[int(p)]}
        for r, p in zip(test, pred_test)
    ]
    return dev_m, test_m, preds


# --------------------------------------------------------------------------
# CRF (ner)
# --------------------------------------------------------------------------

def token_features(tokens, i):
    """Upstream's word2features, rebuilt: same keys and value types (bools become
    crfsuite features with weight 0/1, strings become `key:value` features)."""
    w = tokens[i]
    feats = {
        "bias": 1.0,
        "word.lower()": w.lower(),
        "word[-3:]": w[-3:],
        "word[-2:]": w[-2:],
        "word.isupper()": w.isupper(),
        "word.istitle()": w.istitle(),
        "word.isdigit()": w.isdigit(),
    }
    for offset, key, marker in ((-1, "-1", "BOS"), (1, "+1", "EOS")):
        j = i + offset
        if 0 <= j < len(tokens):
            n = tokens[j]
            feats[f"{key}:word.lower()"] = n.lower()
            feats[f"{key}:word.istitle()"] = n.istitle()
            feats[f"{key}:word.isupper()"] = n.isupper()
        else:
            feats[marker] = True
    return feats


def sent_features(tokens):
    return [token_features(tokens, i) for i in range(len(tokens))]


def run_ner(task, data, solver, n_jobs, timings):
    import sklearn_crfsuite
    from seqeval.metrics import accuracy_score, f1_score

    train, dev, test = data

    def xy(rows):
        # upstream zips tokens with tags, so both are cut to the shorter one
        X, Y = [], []
        for r in rows:
            n = min(len(r["tokens"]), len(r["ner_tags"]))
            X.append(sent_features(r["tokens"][:n]))
            Y.append(list(r["ner_tags"][:n]))
        return X, Y

    t0 = time.perf_counter()
    X, Y = xy(train)
    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs",
        c1=0.1,
        c2=0.01,
        max_iterations=200,
        all_possible_transitions=True,
        verbose=False,
    )
    log(f"[{task}] train {len(X)} sentences, {sum(map(len, X))} tokens")
    crf.fit(X, Y)
    timings["fit"] = time.perf_counter() - t0

    def evaluate(rows):
        Xe, Ye = xy(rows)
        pred = crf.predict(Xe)
        return Ye, pred, {"acc": pct(accuracy_score(Ye, pred)), "f1": pct(f1_score(Ye, pred))}

    _, _, dev_m = evaluate(dev)
    gold_test, pred_test, test_m = evaluate(test)
    preds = [
        {"idx": r["idx"], "ner_tags": g, "prediction": list(p)}
        for r, g, p in zip(test, gold_test, pred_test)
    ]
    return dev_m, test_m, preds


RUNNERS = {"top3": run_code_task, "symptomrec": run_code_task, "danet": run_danet, "ner": run_ner}


def versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for dist in ("numpy", "scipy", "scikit-learn", "sklearn-crfsuite", "python-crfsuite", "seqeval"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", required=True, choices=sorted(TASKS))
    ap.add_argument(
        "--solver",
        default="lbfgs",
        choices=["lbfgs", "liblinear", "liblinear-dual"],
        help="LogisticRegression solver (default lbfgs = what upstream's code gets; liblinear-dual = "
        "solver='liblinear', dual=True; ignored for ner)",
    )
    ap.add_argument("--n-jobs", type=int, default=2, help="LogisticRegression n_jobs (upstream: 10)")
    ap.add_argument("--analyzer", default="char", choices=["char", "char_wb", "word"],
                    help="TfidfVectorizer analyzer (upstream: char; ignored for ner)")
    ap.add_argument("--ngram-range", default="3,8", help="TfidfVectorizer ngram_range MIN,MAX (upstream: 3,8)")
    ap.add_argument("--data-dir", default="data", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, help="directory for <TaskName>.jsonl test predictions")
    ap.add_argument(
        "--quiet-warnings",
        action="store_true",
        help="silence sklearn's ConvergenceWarning (counted in the JSON either way, but only those raised "
        "in this process: with n_jobs > 1 the lbfgs OvR fits warn from joblib workers, on stderr)",
    )
    args = ap.parse_args(argv)
    lo, hi = (int(x) for x in args.ngram_range.split(","))
    VECTORIZER.update(analyzer=args.analyzer, ngram_range=(lo, hi))

    random.seed(SEED)
    np.random.seed(SEED)
    task_name = TASKS[args.task]
    t_start = time.perf_counter()
    data = [read_jsonl(args.data_dir / task_name / f"{p}_v1.jsonl") for p in ("train", "dev", "test")]
    log(f"[{args.task}] {task_name}: train {len(data[0])}, dev {len(data[1])}, test {len(data[2])}")

    timings = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dev_m, test_m, preds = RUNNERS[args.task](args.task, data, args.solver, args.n_jobs, timings)
    n_conv = 0
    for w in caught:
        if w.category.__name__ == "ConvergenceWarning":
            n_conv += 1
        if not (args.quiet_warnings and w.category.__name__ == "ConvergenceWarning"):
            log(f"warning: {w.category.__name__}: {w.message}")

    if args.out is not None:
        out_file = args.out / f"{task_name}.jsonl"
        write_jsonl(out_file, preds)
        log(f"[{args.task}] wrote {len(preds)} test predictions to {out_file}")
    timings["total"] = time.perf_counter() - t_start

    log(f"[{args.task}] dev {dev_m}  test {test_m}")
    result = {
        "task": args.task,
        "task_name": task_name,
        "solver": None if args.task == "ner" else args.solver,
        "n_jobs": None if args.task == "ner" else args.n_jobs,
        "dev": dev_m,
        "test": test_m,
        "convergence_warnings": n_conv,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "versions": versions(),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
