#!/usr/bin/env python3
"""Cross-check NER scores with seqeval 1.2.2 (the scorer the RuMedBench paper used).

What: reads gold and predicted sequences in the NER JSONL schema
({"idx", "ner_tags", "prediction"}; the gold file may equally be the task's
test_v1.jsonl with {"idx", "tokens", "ner_tags"}) and prints seqeval's token
accuracy and entity-level micro F1 in its default mode (IOB2, non-strict), the
same numbers rumedbench's Rust scorer must reproduce.

How (with the bench venv, see requirements-bench.txt):
  scripts/.venv/bin/python scripts/seqeval_check.py GOLD.jsonl [PRED.jsonl]
      [--report]   # also print seqeval's per-type classification_report to stderr
GOLD's `ner_tags` are the gold tags. PRED's `prediction` are the predicted ones,
joined to GOLD by `idx` (a missing prediction is an error). With PRED omitted,
GOLD itself must carry both `ner_tags` and `prediction` (e.g. a predictions file
written by reference.py or the Rust tool).

Prints one JSON line on stdout:
  {"n_sentences", "n_tokens", "accuracy", "f1", "precision", "recall"}
as fractions in [0, 1] with full float precision, as seqeval returns them.
"""
import argparse
import json
import sys


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", help="JSONL with idx and ner_tags (gold)")
    ap.add_argument("pred", nargs="?", help="JSONL with idx and prediction (default: the gold file)")
    ap.add_argument("--report", action="store_true", help="print classification_report to stderr")
    args = ap.parse_args(argv)

    from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score

    gold_rows = read_jsonl(args.gold)
    pred_rows = read_jsonl(args.pred) if args.pred else gold_rows
    preds = {r["idx"]: r["prediction"] for r in pred_rows}
    y_true, y_pred = [], []
    for g in gold_rows:
        if g["idx"] not in preds:
            raise SystemExit(f"no prediction for idx {g['idx']!r}")
        t, p = list(g["ner_tags"]), list(preds[g["idx"]])
        if len(t) != len(p):
            raise SystemExit(f"idx {g['idx']!r}: {len(t)} gold tags but {len(p)} predicted")
        y_true.append(t)
        y_pred.append(p)

    out = {
        "n_sentences": len(y_true),
        "n_tokens": sum(map(len, y_true)),
        "accuracy": accuracy_score(y_true, y_pred),
        "f1": f1_score(y_true, y_pred),
        "precision": precision_score(y_true, y_pred),
        "recall": recall_score(y_true, y_pred),
    }
    if args.report:
        print(classification_report(y_true, y_pred, digits=4), file=sys.stderr)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
