#!/usr/bin/env python3
"""The CRF feature templates of rumedbench (`templates = [...]`, `--crf-templates`) written
independently as sklearn-crfsuite feature dicts, and the tools that compare them with
rumedbench's (src/features/crf_templates.rs; tests/crf_templates_parity.rs):

    # features of synthetic sentences, flattened by python-crfsuite itself, for the fixture
    scripts/.venv/bin/python scripts/crf_templates.py fixture > tests/fixtures/crf_templates_sklearn.json

    # the same on the real RuMedNER dev split (its per-sentence digests only: no data is
    # written) and sklearn-crfsuite's tags on RuMedNER test for the `plus` templates, as
    # digests of the tag sequence (the test split is read by this step only, for the parity
    # test; it chooses nothing)
    scripts/.venv/bin/python scripts/crf_templates.py real ../shared/rumedbench/data/RuMedNER \
        > tests/fixtures/crf_templates_rumedner.json

A dict entry `k: v` becomes the CRFsuite attribute `k:v` (weight 1) when v is a string and `k`
(weight float(v)) when v is a bool: python-crfsuite's `ItemSequence` does that flattening, so
the expected attribute lists below are python-crfsuite's, not ours.
"""
import hashlib
import json
import sys

import pycrfsuite

TOKEN = ("word", "lower", "prefix", "suffix", "affix", "shape", "flags")


def parse(name):
    kind, _, arg = name.partition(":")
    if kind in ("prefix", "suffix", "affix"):
        a, _, b = arg.partition("-")
        return (kind, int(a), int(b or a))
    if kind == "window":
        return (kind, int(arg))
    return (kind,)


def paper(sent, i):
    """upstream code/linear_models/token_classifier.py word2features, verbatim."""
    word = sent[i]
    features = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word[-3:]": word[-3:],
        "word[-2:]": word[-2:],
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    if i > 0:
        word1 = sent[i - 1]
        features.update({
            "-1:word.lower()": word1.lower(),
            "-1:word.istitle()": word1.istitle(),
            "-1:word.isupper()": word1.isupper(),
        })
    else:
        features["BOS"] = True
    if i < len(sent) - 1:
        word1 = sent[i + 1]
        features.update({
            "+1:word.lower()": word1.lower(),
            "+1:word.istitle()": word1.istitle(),
            "+1:word.isupper()": word1.isupper(),
        })
    else:
        features["EOS"] = True
    return features


def shape(w):
    out = []
    for c in w:
        if c.isupper():
            s = "X"
        elif c.islower():
            s = "x"
        elif c.isdigit():
            s = "d"
        else:
            s = c
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)


def script(w):
    cyr = any("\u0400" <= c <= "\u04ff" for c in w)
    lat = any(c.isascii() and c.isalpha() for c in w)
    return {(True, True): "mixed", (True, False): "cyr", (False, True): "lat"}.get((cyr, lat), "none")


def token(t, w, pre, d):
    kind = t[0]
    low = w.lower()
    if kind == "word":
        d[pre + "word"] = w
    elif kind == "lower":
        d[pre + "lower"] = low
    if kind in ("prefix", "affix"):
        for n in range(t[1], t[2] + 1):
            d[f"{pre}p{n}"] = low[:n]
    if kind in ("suffix", "affix"):
        for n in range(t[1], t[2] + 1):
            d[f"{pre}s{n}"] = low[-n:]
    if kind == "shape":
        d[pre + "shape"] = shape(w)
        d[pre + "script"] = script(w)
    if kind == "flags":
        d[pre + "isupper"] = w.isupper()
        d[pre + "istitle"] = w.istitle()
        d[pre + "isdigit"] = w.isdigit()


def word2features(templates, sent, i):
    ts = [parse(n) for n in templates]
    d = {}
    for at, t in enumerate(ts):
        kind = t[0]
        if kind == "paper":
            d.update(paper(sent, i))
        elif kind == "bias":
            d["bias"] = 1.0
        elif kind in TOKEN:
            token(t, sent[i], "", d)
        elif kind == "window":
            k = t[1]
            for off in list(range(-k, 0)) + list(range(1, k + 1)):
                j = i + off
                if 0 <= j < len(sent):
                    pre = f"{off:+d}:"
                    for u in ts[:at]:
                        if u[0] in TOKEN:
                            token(u, sent[j], pre, d)
        elif kind == "bigram":
            if i > 0:
                d["w[-1]|w[0]"] = sent[i - 1].lower() + "|" + sent[i].lower()
            if i + 1 < len(sent):
                d["w[0]|w[+1]"] = sent[i].lower() + "|" + sent[i + 1].lower()
        elif kind == "bos_eos":
            if i == 0:
                d["BOS"] = True
            if i + 1 == len(sent):
                d["EOS"] = True
        else:
            raise ValueError(f"unknown template {kind}")
    return d


def sent2features(templates, sent):
    return [word2features(templates, sent, i) for i in range(len(sent))]


def flattened(templates, sent):
    """python-crfsuite's attributes: a list per token of [name, weight]."""
    items = pycrfsuite.ItemSequence(sent2features(templates, sent)).items()
    return [[[k, v] for k, v in item.items()] for item in items]


def digest(parts):
    """The first 16 hex digits of the SHA-256 of `parts` joined (UTF-8)."""
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:16]


def feature_digest(flat):
    """A sentence's attributes as `name US weight RS`, tokens ended by GS (weights are 0 or 1)."""
    parts = []
    for item in flat:
        for name, w in item:
            assert w in (0.0, 1.0), (name, w)
            parts.append(f"{name}\x1f{int(w)}\x1e")
        parts.append("\x1d")
    return digest(parts)


def tags_digest(sents):
    """Tag sequences as `tag RS`, sentences ended by GS."""
    return digest(f"{t}\x1e" for s in sents for t in s + ["\x1d"])


# `CrfRecipe::plus()`'s templates (src/recipe/crf.rs), and other lists the tests compare.
PLUS = ["bias", "lower", "shape", "window:1", "affix:2-4", "flags", "bigram", "bos_eos"]
LISTS = [
    ["paper"],
    PLUS,
    ["word", "prefix:1-3", "suffix:2-5", "window:2", "shape", "bos_eos"],
    ["paper", "shape", "bigram"],
    ["lower", "flags", "window:3", "affix:3-3"],
    ["bias", "lower", "affix:2-4", "shape", "flags", "window:1", "bigram", "bos_eos"],
]

SENTS = [
    ["Принимал", "АЦЦ-Лонг", "200", "мг", "3", "раза", "в", "день", "."],
    ["После", "Нурофена", "началась", "тошнота", ",", "головная", "боль", "!"],
    ["ВИЧ-инфекция", "и", "COVID-19", ":", "Д3-Vit", "12,5", "мкг"],
    ["Т.е.", "ǅом", "İstanbul", "ΣΑΣ", "١٢٣", "²", "½", "a:b c", ""],
    ["Ок"],
    ["x", "y"],
]


def fixture():
    cases = []
    for templates in LISTS:
        cases.append({"templates": templates, "features": [flattened(templates, s) for s in SENTS]})
    # One case per line: reviewable, and small.
    print('{"sentences": ' + json.dumps(SENTS, ensure_ascii=False) + ', "cases": [')
    print(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
    print("]}")


def read(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["tokens"] for r in rows], [r["ner_tags"] for r in rows]


def real(folder):
    import sklearn_crfsuite

    x_train, y_train = read(f"{folder}/train_v1.jsonl")
    x_dev, _ = read(f"{folder}/dev_v1.jsonl")
    x_test, _ = read(f"{folder}/test_v1.jsonl")
    dev = {",".join(t): [feature_digest(flattened(t, s)) for s in x_dev] for t in LISTS}
    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs", c1=PLUS_C1, c2=PLUS_C2, max_iterations=200, all_possible_transitions=True
    )
    crf.fit([sent2features(PLUS, s) for s in x_train], y_train)
    tags = crf.predict([sent2features(PLUS, s) for s in x_test])
    out = {
        "dev_feature_digests": dev,
        "plus": {"templates": PLUS, "c1": PLUS_C1, "c2": PLUS_C2},
        "test_tags_digest": tags_digest(tags),
        "test_sentence_tag_digests": [tags_digest([t]) for t in tags],
        "test_entity_tokens": sum(t != "O" for s in tags for t in s),
    }
    write_compact(out)


def write_compact(out):
    """One line per key (per template list for the dev digests): small and diffable."""
    dev = out["dev_feature_digests"]
    print('{"dev_feature_digests": {')
    print(",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in dev.items()) + "},")
    rest = [k for k in out if k != "dev_feature_digests"]
    print(",\n".join(f"{json.dumps(k)}: {json.dumps(out[k])}" for k in rest))
    print("}")


PLUS_C1, PLUS_C2 = 0.05, 0.01

if __name__ == "__main__":
    if sys.argv[1:2] == ["fixture"]:
        fixture()
    elif sys.argv[1:2] == ["real"] and len(sys.argv) == 3:
        real(sys.argv[2])
    else:
        sys.exit(__doc__)
