"""Multi-label models in Python, scikit-learn's conventions: ``y`` as label lists or an
indicator matrix, ``predict`` an indicator matrix, ``predict_proba`` each class's own
probability; the same model as ``rumedbench train`` on the synthetic fixture
``tests/fixtures/multilabel``; saved and loaded with every setting."""

import numpy as np
import pytest

import rumedbench as rb
from conftest import REPO, read_jsonl

ML = REPO / "tests" / "fixtures" / "multilabel"


def _data(name):
    recs = read_jsonl(ML / name)
    return [r["text"] for r in recs], [r["codes"] for r in recs]


def test_label_lists_fit_the_model_train_writes_and_round_trip(cli, tmp_path):
    X, y = _data("train.jsonl")
    Xt, _ = _data("test.jsonl")
    est = rb.CharTfidfClassifier().fit(X, y)
    assert list(est.classes_) == sorted({c for s in y for c in s})
    pred = est.predict(Xt)
    assert pred.shape == (len(Xt), len(est.classes_)) and pred.dtype.kind == "i"
    assert set(np.unique(pred)) <= {0, 1}
    proba = est.predict_proba(Xt)
    assert proba.shape == pred.shape and ((proba > 0) & (proba < 1)).all()
    # Each class's own probability: not normalised over classes.
    assert not np.allclose(proba.sum(axis=1), 1.0)
    # The command line's model on the same data, with the same settings: same sets.
    cli("train", "--task-file", ML / "task.toml", "--out", tmp_path / "o",
        "--models-dir", tmp_path / "m")
    cli_sets = [sorted(r["prediction"]) for r in read_jsonl(tmp_path / "o" / "feature" / "codes.jsonl")]
    ours = [sorted(est.classes_[np.flatnonzero(row)].tolist()) for row in pred]
    assert ours == cli_sets
    cli_model = rb.CharTfidfClassifier.load(tmp_path / "m" / "codes-feature.rmb")
    np.testing.assert_array_equal(cli_model.predict_proba(Xt), proba)
    np.testing.assert_array_equal(cli_model.predict(Xt), pred)
    # Saved and loaded: same predictions, same parameters.
    est.save(tmp_path / "py.rmb")
    back = rb.CharTfidfClassifier.load(tmp_path / "py.rmb")
    np.testing.assert_array_equal(back.predict(Xt), pred)
    assert back.get_params() == est.get_params()
    assert 0.0 <= est.score(Xt, _data("test.jsonl")[1]) <= 1.0


def test_an_indicator_matrix_keeps_its_column_order_and_rules_are_params(tmp_path):
    X, y = _data("train.jsonl")
    Xt, _ = _data("test.jsonl")
    names = sorted({c for s in y for c in s}, reverse=True)  # columns not in sorted order
    Y = np.array([[int(n in s) for n in names] for s in y])
    est = rb.CharTfidfClassifier().fit(X, Y)
    assert list(est.classes_) == list(range(len(names)))
    by_lists = rb.CharTfidfClassifier().fit(X, y)
    # Column j of the indicator model is class names[j] of the list model.
    order = [list(by_lists.classes_).index(n) for n in names]
    np.testing.assert_array_equal(est.predict(Xt), by_lists.predict(Xt)[:, order])
    np.testing.assert_allclose(est.predict_proba(Xt), by_lists.predict_proba(Xt)[:, order], atol=1e-6)
    strict = rb.CharTfidfClassifier(threshold=0.9, allow_empty=True).fit(X, y)
    sp = strict.predict(Xt)
    assert (sp <= by_lists.predict(Xt)).all() and (sp.sum(axis=1) == 0).any()
    strict.save(tmp_path / "s.rmb")
    back = rb.CharTfidfClassifier.load(tmp_path / "s.rmb")
    assert back.get_params() == strict.get_params()
    with pytest.raises(ValueError, match="threshold"):
        rb.CharTfidfClassifier(threshold=1.5).fit(X, y)


def test_every_setting_round_trips_through_the_model_file(toy, tmp_path):
    X, y = toy
    est = rb.CharTfidfClassifier(
        hash_features=12, ngram_range=(2, 4), C=3.0, sublinear_tf=True, random_state=7,
        class_weight="balanced", tol=0.05, max_iter=500,
    ).fit(X, y)
    est.save(tmp_path / "h.rmb")
    back = rb.CharTfidfClassifier.load(tmp_path / "h.rmb")
    assert back.get_params() == est.get_params()
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))


def test_integer_classes_come_back_in_classes_order_from_rust(toy):
    X, y = toy
    names = sorted(set(y))
    ints = [[2, 10, 1, 30][names.index(v) % 4] for v in y]
    est = rb.CharTfidfClassifier().fit(X, ints)
    assert list(est.classes_) == sorted(set(ints))
    by_names = rb.CharTfidfClassifier().fit(X, [str(v) for v in ints])
    # The string model sorts "1" < "10" < "2" < "30"; the int model 1 < 2 < 10 < 30.
    order = [list(by_names.classes_).index(str(c)) for c in est.classes_]
    np.testing.assert_allclose(est.predict_proba(X), by_names.predict_proba(X)[:, order], atol=1e-6)
    assert list(est.predict(X)) == [int(v) for v in by_names.predict(X)]
