#!/usr/bin/env python3
"""Writes tests/fixtures/sklearn_vectorizers.json: vocabularies and tf-idf matrices that
scikit-learn 1.3.2's TfidfVectorizer computes on synthetic Russian texts, for each analyzer
(char, char_wb, word) with and without min_df / max_df / max_features. tests/vectorizer_parity.rs
checks that rumedbench's vectorizer gives the same ones.

    scripts/.venv/bin/python scripts/sklearn-vectorizer-fixtures.py

max_features: scikit-learn keeps the terms of highest corpus term frequency, ranking them with
numpy's unstable argsort, so which of several terms tied at the cut it keeps depends on the CPU
(numpy >= 1.25 sorts with AVX-512 kernels where available). Every max_features below is chosen
where the cut falls between two different frequencies, so the expected vocabulary is the same
on any machine; the script refuses to write a case with a tie at the cut.
"""
import json

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

assert sklearn.__version__ == "1.3.2", sklearn.__version__

DOCS = [
    "Жалобы на боль в груди, кашель 3 дня.",
    "БОЛЬ в горле;  температура 38,5 и кашель",
    "Ёжик ЁЖИК ёжик: сыпь на коже\tзуд",
    "Головная боль, тошнота, рвота — 2 раза",
    "кашель с мокротой, одышка при нагрузке",
    "а б в г д",
    "Боль в пояснице отдаёт в ногу; боль усиливается",
    "зуд и сыпь после приёма ампициллина",
    "температура 37,2; слабость, головная боль",
    "x_1 мкб-10: J06.9 — ОРВИ",
]

CASES = [
    {"analyzer": "char", "ngram_range": [2, 3]},
    {"analyzer": "char_wb", "ngram_range": [2, 4]},
    {"analyzer": "char_wb", "ngram_range": [4, 6], "sublinear_tf": True},
    {"analyzer": "word", "ngram_range": [1, 1]},
    {"analyzer": "word", "ngram_range": [1, 3]},
    {"analyzer": "word", "ngram_range": [2, 3], "min_df": 2},
    {"analyzer": "word", "ngram_range": [1, 2], "max_features": 10},
    {"analyzer": "char", "ngram_range": [3, 5], "max_features": 30, "max_df": 0.5},
    {"analyzer": "char_wb", "ngram_range": [3, 5], "min_df": 0.2, "max_features": 27},
    {"analyzer": "char", "ngram_range": [1, 3], "min_df": 3, "max_df": 6},
]


def no_tie_at_cut(vec, case):
    """The kept set must not depend on how numpy breaks ties."""
    limit = case.get("max_features")
    if limit is None:
        return True
    counts = TfidfVectorizer(
        analyzer=case["analyzer"],
        ngram_range=tuple(case["ngram_range"]),
        min_df=case.get("min_df", 1),
        max_df=case.get("max_df", 1.0),
        use_idf=False,
        norm=None,
    )
    x = counts.fit_transform(DOCS)
    tf = np.sort(np.asarray(x.sum(axis=0)).ravel())[::-1]
    return len(tf) <= limit or tf[limit - 1] > tf[limit]


out = []
for case in CASES:
    vec = TfidfVectorizer(
        analyzer=case["analyzer"],
        ngram_range=tuple(case["ngram_range"]),
        sublinear_tf=case.get("sublinear_tf", False),
        min_df=case.get("min_df", 1),
        max_df=case.get("max_df", 1.0),
        max_features=case.get("max_features"),
    )
    x = vec.fit_transform(DOCS).tocsr()
    assert no_tie_at_cut(vec, case), f"tie at the max_features cut: {case}"
    x.sort_indices()
    rows = []
    for r in range(x.shape[0]):
        s, e = x.indptr[r], x.indptr[r + 1]
        rows.append([[int(c), round(float(v), 7)] for c, v in zip(x.indices[s:e], x.data[s:e])])
    out.append(
        {
            "params": case,
            "vocabulary": list(vec.get_feature_names_out()),
            "idf": [round(float(v), 7) for v in vec.idf_],
            "rows": rows,
        }
    )

def dump(v):
    return json.dumps(v, ensure_ascii=False)


# One line per case's params, vocabulary and idf, and one per matrix row: a diffable file.
lines = ["{", f'"generated_by": {dump("scripts/sklearn-vectorizer-fixtures.py (scikit-learn 1.3.2)")},']
lines.append(f'"docs": {dump(DOCS)},')
lines.append('"cases": [')
for i, case in enumerate(out):
    lines.append(f'{{"params": {dump(case["params"])},')
    lines.append(f'"vocabulary": {dump(case["vocabulary"])},')
    lines.append(f'"idf": {dump(case["idf"])},')
    lines.append('"rows": [')
    lines += [dump(r) + ("," if j + 1 < len(case["rows"]) else "") for j, r in enumerate(case["rows"])]
    lines.append("]}" + ("," if i + 1 < len(out) else ""))
lines += ["]", "}"]
text = "\n".join(lines) + "\n"
assert json.loads(text)["cases"] == json.loads(json.dumps(out))
with open("tests/fixtures/sklearn_vectorizers.json", "w", encoding="utf-8") as f:
    f.write(text)
print(f"{len(out)} cases written to tests/fixtures/sklearn_vectorizers.json")
