#!/usr/bin/env python3
"""Cross-check multi-label scores with scikit-learn 1.3.2.

What: reads a multi-label prediction file in the schema `rumedbench train` writes
({"<id>", "<label field>": [gold labels], "prediction": [predicted set], "ranked": [most
probable labels]}) and prints the figures rumedbench's Rust scorer must reproduce:
micro-F1 and macro-F1 (`f1_score(average='micro'/'macro')`) and subset accuracy
(`accuracy_score`) on the sets binarized by `MultiLabelBinarizer` fitted on every label of
gold and prediction, P@1 and P@3 (the share of the 1 / 3 first `ranked` labels that are gold,
averaged over records; without `ranked`, the predicted set's order), and
`classification_report` per label.

How (with the bench venv, see requirements-bench.txt):
  scripts/.venv/bin/python scripts/multilabel_check.py PRED.jsonl --label-field codes

Prints one JSON line on stdout, figures in percent with full float precision:
  {"records", "micro_f1", "macro_f1", "subset_acc", "p_at_1", "p_at_3", "per_label": {...}}
"""
import argparse
import json

from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.preprocessing import MultiLabelBinarizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pred")
    ap.add_argument("--label-field", default="label")
    args = ap.parse_args()
    with open(args.pred, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    gold = [r[args.label_field] for r in rows]
    pred = [r["prediction"] for r in rows]
    ranked = [r.get("ranked", r["prediction"]) for r in rows]
    mlb = MultiLabelBinarizer().fit(gold + pred)
    y, p = mlb.transform(gold), mlb.transform(pred)

    def p_at(k: int) -> float:
        return 100.0 * sum(sum(l in g for l in r[:k]) / k for g, r in zip(gold, ranked)) / len(rows)

    report = classification_report(
        y, p, target_names=list(mlb.classes_), output_dict=True, zero_division=0
    )
    out = {
        "records": len(rows),
        "micro_f1": 100.0 * f1_score(y, p, average="micro", zero_division=0),
        "macro_f1": 100.0 * f1_score(y, p, average="macro", zero_division=0),
        "subset_acc": 100.0 * accuracy_score(y, p),
        "p_at_1": p_at(1),
        "p_at_3": p_at(3),
        "per_label": {
            k: {m: (v * 100.0 if m != "support" else v) for m, v in d.items()}
            for k, d in report.items()
        },
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
