#!/usr/bin/env python3
"""Writes tests/fixtures/sklearn_stem.json: the matrices scikit-learn 1.3.2's TfidfVectorizer
computes with `analyzer=` a callable that stems words by Snowball's Russian stemmer (the
`snowballstemmer` package, Snowball 3.x), alone and in a FeatureUnion beside other analyzers, on
synthetic Russian texts. tests/stem_parity.rs checks that rumedbench's `stem` analyzer and
blocks give the same vocabularies and matrices.

    python scripts/sklearn-stem-fixtures.py   # scikit-learn 1.3.2, snowballstemmer, nltk

The callable is what rumedbench's `stem` analyzer does: str.lower(), the tokens of the default
token_pattern `(?u)\\b\\w\\w+\\b`, each stemmed, then the word n-grams joined by one space.

The script also stems every token with nltk's SnowballStemmer('russian') and records the tokens
where the two Python stemmers disagree (`nltk_differs`): nltk's is a separate port that
transliterates Latin letters in mixed tokens into Cyrillic and keeps some participle endings
(`-ующ-`), so it is not the reference. snowballstemmer reads `ё` as `е` first (Snowball 2.0's
prelude), and so does rumedbench.
"""
import importlib.metadata
import json
import re

import sklearn
import snowballstemmer
from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

assert sklearn.__version__ == "1.3.2", sklearn.__version__

# Synthetic: inflected forms of the same words, ё and Ё, capitals, punctuation, digits, Latin and
# mixed tokens, one-letter words (not tokens), words without a vowel, a combining accent.
TEXTS = [
    "Жалобы на боли в груди, болит грудь; боль усиливается при ходьбе.",
    "Кашель с мокротой, кашляет третий день, КАШЛЯЮЩИЙ ребёнок.",
    "Ещё беспокоит её головная боль и головокружение — 2 раза.",
    "Температура 38,5; температурит с утра, жаропонижающие принимала",
    "Сыпь на коже, зудящая сыпь после приёма ампициллина, зуд усиливающийся",
    "Тошнота и рвота, тошнит после еды, рвало дважды, ЁЖИК ёжиков",
    "Одышка при нагрузке, одышки нет в покое; SpO2 97%, ЧСС 88 уд/мин",
    "Боли в пояснице отдают в ногу, отдающие боли, болевший ранее",
    "головные боли беспокоят, беспокоящая слабость, слабостью вечером",
    "Принимал аспирин и парацетамол, принимающая ибупрофен, блокирующая, бль днь",
    "Наблюдается в поликлинике, наблюдавшийся кардиологом, кардиологическая",
    "Заложенность носа, насморк, заложенный нос; ринит heчувствительны x_1",
    "Бо\u0301ль в горле, горло красное, глотать больно",
]

WORD = re.compile(r"(?u)\b\w\w+\b")
SB = snowballstemmer.stemmer("russian")
NLTK = SnowballStemmer("russian")


def stem_analyzer(lo, hi):
    def analyze(doc):
        toks = [SB.stemWord(t) for t in WORD.findall(doc.lower())]
        return [" ".join(toks[i:i + n]) for n in range(lo, hi + 1) for i in range(len(toks) - n + 1)]
    return analyze


def vectorizer(block):
    kind, rng, *opt = block.split(":")
    lo, hi = map(int, rng.split("-"))
    sub = opt == ["sub"]
    if kind == "stem":
        return TfidfVectorizer(analyzer=stem_analyzer(lo, hi), sublinear_tf=sub)
    return TfidfVectorizer(analyzer=kind, ngram_range=(lo, hi), sublinear_tf=sub)


# Blocks as --blocks spells them (weights 1: a union of two unit-norm blocks is scaled by
# 1/sqrt(2), as rumedbench does when the weights' squares sum over 1).
CASES = ["stem:1-1", "stem:1-2:sub", "stem:2-3", "word:1-1,stem:1-2:sub", "char_wb:2-4:sub,stem:1-1"]

tokens = sorted({t for d in TEXTS for t in WORD.findall(d.lower())})
differs = {t: {"snowballstemmer": SB.stemWord(t), "nltk": NLTK.stem(t)}
           for t in tokens if SB.stemWord(t) != NLTK.stem(t)}

cases = []
for spec in CASES:
    blocks = spec.split(",")
    w = 1 / len(blocks) ** 0.5
    union = FeatureUnion([(f"b{i}", vectorizer(b)) for i, b in enumerate(blocks)],
                         transformer_weights={f"b{i}": w for i in range(len(blocks))})
    x = union.fit_transform(TEXTS).tocsr()
    x.sort_indices()
    rows = []
    for r in range(x.shape[0]):
        s, e = x.indptr[r], x.indptr[r + 1]
        rows.append([[int(c), round(float(v), 7)] for c, v in zip(x.indices[s:e], x.data[s:e]) if v != 0])
    names = [t for _, v in union.transformer_list for t in v.get_feature_names_out()]
    cases.append({"blocks": spec, "n_features": x.shape[1], "features": names, "rows": rows})

with open("tests/fixtures/sklearn_stem.json", "w", encoding="utf-8") as f:
    json.dump({"generated_by": "scripts/sklearn-stem-fixtures.py (scikit-learn 1.3.2, snowballstemmer "
               f"{importlib.metadata.version('snowballstemmer')})",
               "texts": TEXTS,
               "stems": {t: SB.stemWord(t) for t in tokens},
               "nltk_differs": differs,
               "cases": cases}, f, ensure_ascii=False, indent=0)
    f.write("\n")
print(f"{len(cases)} cases, {len(tokens)} tokens ({len(differs)} stemmed otherwise by nltk: "
      f"{differs}) written to tests/fixtures/sklearn_stem.json")
