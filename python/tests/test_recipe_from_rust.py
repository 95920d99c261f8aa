"""The estimators are thin: their defaults are the Rust recipe's, their settings are checked by
Rust (one message, naming the key), every saved setting round-trips through the model file, and
a binary model's positive-label threshold is applied by Rust whether it was set here or by
``rumedbench train``."""

import inspect
import json
import random

import numpy as np
import pytest

import rumedbench as rb
from rumedbench import _native
from conftest import read_jsonl
from rumedbench._estimators import _CRF_KEYS, _TEXT_KEYS, _rust_defaults


def _init_defaults(cls):
    return {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self"
    }


def _as_json_value(v):
    return list(v) if isinstance(v, tuple) else v


def test_classifier_defaults_are_the_rust_recipe_defaults():
    rust = _rust_defaults("text")
    py = _init_defaults(rb.CharTfidfClassifier)
    for key in _TEXT_KEYS:
        assert _as_json_value(py[key]) == rust[key], key
    # The two keyword arguments named after scikit-learn rather than the recipe.
    assert rust["class_weight"] == "none" and py["class_weight"] is None
    assert rust["seed"] == 0 and py["random_state"] == 0
    # Every recipe key is reachable from Python (the union's blocks and row_norm included).
    assert set(rust) == set(_TEXT_KEYS) | {"class_weight", "seed"}


def test_tagger_defaults_are_the_rust_recipe_defaults():
    rust = _rust_defaults("crf")
    py = _init_defaults(rb.CrfTagger)
    for key in _CRF_KEYS:
        assert _as_json_value(py[key]) == rust[key], key
    assert set(rust) == set(_CRF_KEYS)


def test_recipe_defaults_refuses_an_unknown_family():
    with pytest.raises(ValueError, match="no model family"):
        _native.recipe_defaults("svm")


def _binary(n, seed):
    """A synthetic imbalanced binary task: a quarter positive, cue words right 80% of the time."""
    rng = random.Random(seed)
    pos, neg = ["боль", "жар", "кашель", "сыпь"], ["сон", "вес", "слух", "аппетит"]
    fill = ["пациент", "жалуется", "утром", "давно", "врач", "снова"]
    X, y = [], []
    for _ in range(n):
        label = rng.random() < 0.25
        cue = pos if (rng.random() < 0.8) == label else neg
        words = [rng.choice(fill) for _ in range(3)]
        words.insert(rng.randrange(4), rng.choice(cue))
        X.append(" ".join(words))
        y.append("да" if label else "нет")
    return X, y


def test_positive_label_threshold_is_applied_saved_and_loaded(tmp_path):
    X, y = _binary(200, 1)
    Xt, _ = _binary(100, 3)
    plain = rb.CharTfidfClassifier().fit(X, y)
    low = rb.CharTfidfClassifier(positive_label="да", threshold=0.2).fit(X, y)
    proba = plain.predict_proba(Xt)
    pos = list(plain.classes_).index("да")
    # Same model, another decision: the positive label exactly where its probability >= 0.2.
    np.testing.assert_array_equal(low.predict_proba(Xt), proba)
    expected = np.where(proba[:, pos] >= 0.2, "да", "нет")
    assert list(low.predict(Xt)) == list(expected)
    assert (low.predict(Xt) == "да").sum() > (plain.predict(Xt) == "да").sum()
    low.save(tmp_path / "low.rmb")
    back = rb.CharTfidfClassifier.load(tmp_path / "low.rmb")
    assert (back.positive_label, back.threshold) == ("да", 0.2)
    assert list(back.predict(Xt)) == list(expected)


def test_positive_label_must_be_one_of_two_classes():
    X, y = _binary(60, 2)
    with pytest.raises(ValueError, match="positive_label"):
        rb.CharTfidfClassifier(positive_label="maybe").fit(X, y)
    with pytest.raises(ValueError, match=r"threshold: must be in \(0, 1\), got 1.5"):
        rb.CharTfidfClassifier(positive_label="да", threshold=1.5).fit(X, y)


def test_a_cli_threshold_is_used_by_python(cli, tmp_path):
    X, y = _binary(200, 1)
    Xt, _ = _binary(100, 3)
    with open(tmp_path / "train.csv", "w", encoding="utf-8") as f:
        f.write("text,label\n")
        f.writelines(f"{x},{label}\n" for x, label in zip(X, y))
    cli("train", "--train", tmp_path / "train.csv", "--text-field", "text", "--label-field",
        "label", "--name", "bin", "--models-dir", tmp_path / "m", "--out", tmp_path / "o",
        "--positive-label", "да", "--threshold", "0.2")
    est = rb.CharTfidfClassifier.load(tmp_path / "m" / "bin-feature.rmb")
    assert (est.positive_label, est.threshold) == ("да", 0.2)
    pos = list(est.classes_).index("да")
    expected = np.where(est.predict_proba(Xt)[:, pos] >= 0.2, "да", "нет")
    assert list(est.predict(Xt)) == list(expected)


def test_an_unknown_setting_is_refused_by_name():
    with pytest.raises(ValueError, match="not a setting of this model"):
        _native.NativeClassifier.fit(["a b c", "d e f"], ["x", "y"], '{"C": 1, "Cc": 2}', "m")


def test_a_union_model_trained_by_the_cli_predicts_identically_in_python(cli, tmp_path):
    """A union of vectorizer blocks over text pairs (the plus preset's pair blocks, trained by
    the command line) loads in Python and gives the probabilities ``rumedbench predict``
    gives; the pair's texts are read apart, not joined."""
    from conftest import TOY

    task = tmp_path / "pair.toml"
    task.write_text(
        'name = "pairs"\ntext_fields = ["complaint", "specialist"]\nlabel_field = "label"\n'
        f'id_field = "id"\ntrain = "{TOY / "pair_train.jsonl"}"\ntest = "{TOY / "pair_test.jsonl"}"\n',
        encoding="utf-8",
    )
    cli("train", "--task-file", task, "--blocks", "char_wb:2-5@second,char:3-5@first,cross",
        "--models-dir", tmp_path / "m", "--out", tmp_path / "o")
    est = rb.CharTfidfClassifier.load(tmp_path / "m" / "pairs-feature.rmb")
    recs = read_jsonl(TOY / "pair_test.jsonl")
    pairs = [(r["complaint"], r["specialist"]) for r in recs]
    out = cli("predict", "--model", tmp_path / "m" / "pairs-feature.rmb", "--input",
              TOY / "pair_test.jsonl", "--top-k", str(len(est.classes_)))
    rows = []
    for line in out.splitlines():
        listed = {p["label"]: p["prob"] for p in json.loads(line)["prediction"]}
        rows.append([listed[c] for c in est.classes_])
    np.testing.assert_array_equal(est.predict_proba(pairs), np.array(rows, dtype=np.float32))
