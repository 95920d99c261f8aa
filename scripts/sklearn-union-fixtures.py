#!/usr/bin/env python3
"""Writes tests/fixtures/sklearn_union.json: the matrices scikit-learn 1.3.2's FeatureUnion of
TfidfVectorizers (each over one view of a text pair: the joined pair, one text, or the words
both texts share) computes on synthetic Russian pairs, with transformer weights and an optional
Normalizer after the union. tests/union_parity.rs checks that rumedbench's `blocks` give the
same matrices.

    python scripts/sklearn-union-fixtures.py   # an interpreter with scikit-learn 1.3.2

The weights rumedbench applies are `weight / sqrt(sum of weight^2)` when that sum exceeds 1 and
rows are not normalised as a whole (see src/features/union.rs); the script passes those to
FeatureUnion's transformer_weights.
"""
import json
import math
import re

import sklearn
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer
from sklearn.feature_extraction.text import TfidfVectorizer

assert sklearn.__version__ == "1.3.2", sklearn.__version__

PAIRS = [
    ["Жалобы на боль в груди, кашель 3 дня.", "Есть ли боль в груди?"],
    ["БОЛЬ в горле;  температура 38,5 и кашель", "Температура выше 38?"],
    ["Ёжик ЁЖИК ёжик: сыпь на коже\tзуд", "Сыпь и зуд на коже есть"],
    ["Головная боль, тошнота, рвота — 2 раза", "Тошноты нет"],
    ["кашель с мокротой, одышка при нагрузке", "одышка при нагрузке"],
    ["Боль в пояснице отдаёт в ногу; боль усиливается", "боль в ногу не отдаёт"],
    ["зуд и сыпь после приёма ампициллина", "аллергия на ампициллин"],
    ["температура 37,2; слабость, головная боль", "слабость и головная боль"],
]

WORD = re.compile(r"(?u)\b\w\w+\b")


def shared(a, b):
    first = set(WORD.findall(a.lower()))
    out = []
    for w in WORD.findall(b.lower()):
        if w in first and w not in out:
            out.append(w)
    return " ".join(out)


VIEWS = {
    "joined": lambda p: f"{p[0]} {p[1]}",
    "first": lambda p: p[0],
    "second": lambda p: p[1],
    "shared": lambda p: shared(p[0], p[1]),
}

# (blocks as --blocks spells them, row_norm)
CASES = [
    ("char:2-4,char_wb:2-3:sub@second*0.5,word:1-1@shared", False),
    ("char:3-5:sub@first,word:1-2@second*2", False),
    ("char_wb:2-4,word:1-1:sub@shared*0.7", True),
    ("word:1-2:sub*0.6,char:1-2@second*0.4", False),
]


def parse(spec):
    out = []
    for item in spec.split(","):
        rest, _, weight = item.partition("*")
        rest, _, field = rest.partition("@")
        parts = rest.split(":")
        a, b = map(int, parts[1].split("-"))
        out.append({"analyzer": parts[0], "ngram_range": (a, b), "sublinear_tf": parts[2:] == ["sub"],
                    "field": field or "joined", "weight": float(weight or 1)})
    return out


cases = []
for spec, row_norm in CASES:
    blocks = parse(spec)
    sq = sum(b["weight"] ** 2 for b in blocks)
    div = math.sqrt(sq) if (not row_norm and sq > 1) else 1.0
    parts, weights = [], {}
    for i, b in enumerate(blocks):
        view = VIEWS[b["field"]]
        name = f"b{i}"
        parts.append((name, make_pipeline(
            FunctionTransformer(lambda docs, v=view: [v(p) for p in docs]),
            TfidfVectorizer(analyzer=b["analyzer"], ngram_range=b["ngram_range"],
                            sublinear_tf=b["sublinear_tf"]))))
        weights[name] = b["weight"] / div
    union = FeatureUnion(parts, transformer_weights=weights)
    steps = make_pipeline(union, Normalizer()) if row_norm else union
    x = steps.fit_transform(PAIRS).tocsr()
    x.sort_indices()
    rows = []
    for r in range(x.shape[0]):
        s, e = x.indptr[r], x.indptr[r + 1]
        rows.append([[int(c), round(float(v), 7)] for c, v in zip(x.indices[s:e], x.data[s:e]) if v != 0])
    names = [t for n, p in union.transformer_list for t in p[-1].get_feature_names_out()]
    cases.append({"blocks": spec, "row_norm": row_norm, "n_features": x.shape[1],
                  "features": names, "rows": rows})

with open("tests/fixtures/sklearn_union.json", "w", encoding="utf-8") as f:
    json.dump({"generated_by": "scripts/sklearn-union-fixtures.py (scikit-learn 1.3.2)",
               "pairs": PAIRS, "cases": cases}, f, ensure_ascii=False, indent=0)
    f.write("\n")
print(f"{len(cases)} cases written to tests/fixtures/sklearn_union.json")
