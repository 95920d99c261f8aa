"""CharTfidfClassifier: scikit-learn's estimator contract, pickling, the command line's model
file, and errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

import rumedbench as rb
from conftest import TOY, read_jsonl


def test_params_are_stored_unmodified_and_clone_keeps_them():
    rng = [2, 5]
    est = rb.CharTfidfClassifier(ngram_range=rng, C=1, class_weight="balanced")
    assert est.get_params()["ngram_range"] is rng
    assert est.get_params()["C"] == 1 and est.get_params()["analyzer"] == "char"
    assert clone(est).get_params() == est.get_params()
    est.set_params(C=3.5)
    assert est.C == 3.5
    with pytest.raises(ValueError):
        est.set_params(no_such_param=1)


def test_defaults_are_the_papers_recipe():
    p = rb.CharTfidfClassifier().get_params()
    assert p["ngram_range"] == (3, 8) and p["C"] == 10.0 and p["analyzer"] == "char"


def test_not_fitted_error_before_fit(toy):
    est = rb.CharTfidfClassifier()
    for method in (est.predict, est.predict_proba, est.decision_function):
        with pytest.raises(rb.NotFittedError):
            method(toy[0])
    from sklearn.exceptions import NotFittedError

    assert rb.NotFittedError is NotFittedError


def test_fit_predict_attributes_and_input_types(toy):
    X, y = toy
    est = rb.CharTfidfClassifier().fit(X, y)
    assert list(est.classes_) == sorted(set(y))
    assert est.n_features_in_ == 1 and est.n_ngrams_ > 1000
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 5) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert est.score(X, y) == 1.0
    assert list(est.predict(X)) == [est.classes_[i] for i in proba.argmax(axis=1)]
    for other in (np.array(X), pd.Series(X), pd.DataFrame({"text": X}), tuple(X)):
        np.testing.assert_array_equal(est.predict_proba(other), proba)
    assert est.decision_function(X).shape == (len(X), 5)


def test_non_string_labels_keep_their_order_and_type(toy):
    X, y = toy
    codes = {c: n for c, n in zip(sorted(set(y)), [2, 10, 33, 4, 100])}
    yi = np.array([codes[c] for c in y])
    est = rb.CharTfidfClassifier().fit(X, yi)
    assert list(est.classes_) == [2, 4, 10, 33, 100]
    assert est.classes_.dtype == yi.dtype
    np.testing.assert_array_equal(est.predict(X), yi)
    proba = est.predict_proba(X)
    np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], yi)


def test_text_pairs_from_tuples_and_frames():
    recs = read_jsonl(TOY / "pair_train.jsonl")
    pairs = [(r["complaint"], r["specialist"]) for r in recs]
    y = [r["label"] for r in recs]
    est = rb.CharTfidfClassifier().fit(pairs, y)
    assert est.n_features_in_ == 2
    frame = pd.DataFrame(pairs, columns=["complaint", "specialist"])
    proba = est.predict_proba(pairs)
    np.testing.assert_array_equal(est.predict_proba(frame), proba)
    np.testing.assert_array_equal(est.predict_proba(np.array(pairs, dtype=object)), proba)
    d = est.decision_function(pairs)
    assert d.shape == (len(pairs),)
    assert ((d > 0) == (est.predict(pairs) == est.classes_[1])).all()
    with pytest.raises(ValueError, match="text pairs"):
        est.predict_proba([p[0] for p in pairs])


def test_grid_search_and_cross_val_score(toy):
    X, y = toy
    grid = GridSearchCV(rb.CharTfidfClassifier(), {"C": [1, 10]}, cv=3).fit(X, y)
    assert grid.best_params_["C"] in (1, 10)
    assert len(grid.cv_results_["mean_test_score"]) == 2
    scores = cross_val_score(rb.CharTfidfClassifier(ngram_range=(2, 5)), X, y, cv=3)
    assert scores.shape == (3,) and ((0 <= scores) & (scores <= 1)).all()


def test_clone_and_pickle_give_identical_probabilities(toy):
    X, y = toy
    est = rb.CharTfidfClassifier(C=3.0).fit(X, y)
    proba = est.predict_proba(X)
    np.testing.assert_array_equal(clone(est).fit(X, y).predict_proba(X), proba)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict_proba(X), proba)
    assert back.get_params() == est.get_params()
    assert list(back.classes_) == list(est.classes_)
    unfitted = pickle.loads(pickle.dumps(rb.CharTfidfClassifier()))
    with pytest.raises(rb.NotFittedError):
        unfitted.predict(X)


def _cli_probabilities(out, classes):
    """``rumedbench predict`` JSONL -> rows of probabilities in ``classes`` order."""
    import json

    rows = []
    for line in out.splitlines():
        listed = {p["label"]: p["prob"] for p in json.loads(line)["prediction"]}
        rows.append([listed[c] for c in classes])
    return np.array(rows, dtype=np.float32)


def test_a_python_model_predicts_identically_through_the_cli(toy, cli, tmp_path):
    X, y = toy
    est = rb.CharTfidfClassifier().fit(X, y)
    est.save(tmp_path / "py.rmb")
    test = TOY / "test.jsonl"
    texts = [r["text"] for r in read_jsonl(test)]
    out = cli("predict", "--model", tmp_path / "py.rmb", "--input", test, "--top-k", "5")
    np.testing.assert_array_equal(_cli_probabilities(out, list(est.classes_)), est.predict_proba(texts))


def test_a_cli_model_predicts_identically_in_python(cli, tmp_path):
    cli("train", "--task-file", TOY / "task.toml", "--out", tmp_path / "o",
        "--models-dir", tmp_path / "m")
    est = rb.CharTfidfClassifier.load(tmp_path / "m" / "toy-feature.rmb")
    test = TOY / "test.jsonl"
    texts = [r["text"] for r in read_jsonl(test)]
    out = cli("predict", "--model", tmp_path / "m" / "toy-feature.rmb", "--input", test,
              "--top-k", str(len(est.classes_)))
    np.testing.assert_array_equal(_cli_probabilities(out, list(est.classes_)), est.predict_proba(texts))
    assert est.get_params()["C"] == 10.0 and tuple(est.ngram_range) == (3, 8)
    # The Python round trip writes the same model file.
    est.save(tmp_path / "again.rmb")
    assert (tmp_path / "again.rmb").read_bytes() == (tmp_path / "m" / "toy-feature.rmb").read_bytes()


@pytest.mark.parametrize(
    "X, y, message",
    [
        (["a b c d", None], ["x", "y"], r"X\[1\] is NoneType, expected str"),
        (["a b c d", "e f g"], ["x"], "2 texts but y has 1 labels"),
        ([], [], "X is empty"),
        ("just one string", ["x"], "single str"),
        (["a b c d", "e f g h"], ["x", "x"], "at least two classes"),
        ([("a", "b"), ("c",)], ["x", "y"], r"X\[1\] must be a \(text, text_pair\) pair"),
        (["ab", "cd"], ["x", "y"], "empty vocabulary|no n-gram|vocabulary"),
        (["a b c d", "e f g h"], [["x"], ["x"]], "at least two distinct labels"),
        (["a b c d", "e f g h"], [["x"], "y"], r"y\[1\] is str: give a list of labels"),
        (["a b c d", "e f g h"], np.array([[1, 2], [0, 1]]), "only 0 and 1"),
    ],
)
def test_bad_data_raises_value_error_with_the_message(X, y, message):
    with pytest.raises(ValueError, match=message):
        rb.CharTfidfClassifier().fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"C": -1}, "C: must be > 0"),
        ({"tol": 0}, "tol: must be a finite number > 0"),
        ({"ngram_range": (5, 2)}, "ngram_range: expected MIN,MAX with 1 <= MIN <= MAX"),
        ({"ngram_range": "abc"}, "ngram_range: invalid type"),
        ({"analyzer": "words"}, "analyzer: unknown variant `words`, expected one of `char`, `char_wb`, `word`"),
        ({"analyzer": str.split}, "analyzer: unknown variant"),
        ({"max_features": 0}, "max_features: must be at least 1, got 0"),
        ({"max_features": 2.5}, "max_features: invalid type: floating point `2.5`"),
        ({"min_df": 1.5}, r"\[0, 1\]"),
        ({"min_df": 30, "max_df": 0.5}, "fewer documents than min_df"),
        ({"min_df": "two"}, "min_df: expected a number of documents"),
        ({"class_weight": {"a": 1}}, "class_weight: unknown variant `a`, expected `none` or `balanced`"),
        ({"random_state": -1}, "random_state: invalid value: integer `-1`"),
        ({"max_iter": -3}, "max_iter: invalid value: integer `-3`"),
    ],
)
def test_bad_params_raise_value_error(toy, params, message):
    with pytest.raises(ValueError, match=message):
        rb.CharTfidfClassifier(**params).fit(*toy)


def test_file_errors_are_os_errors_and_bad_files_value_errors(toy, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.rmb"):
        rb.CharTfidfClassifier.load(tmp_path / "missing.rmb")
    (tmp_path / "junk.rmb").write_bytes(b"RMDBENCH but not a model")
    with pytest.raises(ValueError, match="junk.rmb"):
        rb.CharTfidfClassifier.load(tmp_path / "junk.rmb")
    est = rb.CharTfidfClassifier().fit(*toy)
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(OSError):
        est.save(tmp_path / "a_file" / "model.rmb")
    tagger = rb.CrfTagger(model="naive").fit([["a"]], [["O"]])
    tagger.save(tmp_path / "tagger.rmb")
    with pytest.raises(ValueError, match="not a text classifier"):
        rb.CharTfidfClassifier.load(tmp_path / "tagger.rmb")


@pytest.mark.parametrize("min_df, max_df", [(2, 1.0), (0.1, 0.5), (1, 8), (3, 0.9)])
def test_min_df_max_df_keep_the_vocabulary_scikit_learn_keeps(toy, min_df, max_df):
    from sklearn.feature_extraction.text import TfidfVectorizer

    X, y = toy
    est = rb.CharTfidfClassifier(min_df=min_df, max_df=max_df).fit(X, y)
    ref = TfidfVectorizer(analyzer="char", ngram_range=(3, 8), min_df=min_df, max_df=max_df).fit(X)
    assert est.n_ngrams_ == len(ref.vocabulary_)
    assert est.n_ngrams_ < rb.CharTfidfClassifier().fit(X, y).n_ngrams_


@pytest.mark.parametrize(
    "params",
    [
        {"analyzer": "word", "ngram_range": (1, 2)},
        {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2},
        {"analyzer": "word", "ngram_range": (1, 1), "max_features": 30},
        {"analyzer": "char", "ngram_range": (3, 5), "max_df": 0.5, "max_features": 200},
    ],
)
def test_analyzers_and_max_features_keep_scikit_learns_vocabulary(toy, params, tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer

    X, y = toy
    est = rb.CharTfidfClassifier(**params).fit(X, y)
    ref = TfidfVectorizer(**params).fit(X)
    counts = np.sort(np.asarray(TfidfVectorizer(**{**params, "max_features": None}, use_idf=False, norm=None).fit_transform(X).sum(axis=0)).ravel())[::-1]
    limit = params.get("max_features")
    if limit is None or len(counts) <= limit or counts[limit - 1] > counts[limit]:
        # No tie at the max_features cut: the same vocabulary on any machine.
        assert est.n_ngrams_ == len(ref.vocabulary_)
    else:
        assert est.n_ngrams_ == limit
    # The settings travel in the model file.
    est.save(tmp_path / "m.rmb")
    back = rb.CharTfidfClassifier.load(tmp_path / "m.rmb")
    assert back.get_params()["analyzer"] == params["analyzer"]
    assert back.get_params()["max_features"] == params.get("max_features")
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))


def test_named_columns_become_the_model_files_fields(cli, tmp_path):
    recs = read_jsonl(TOY / "pair_train.jsonl")
    frame = pd.DataFrame(recs)
    est = rb.CharTfidfClassifier().fit(frame[["complaint", "specialist"]], frame["label"])
    est.save(tmp_path / "pair.rmb")
    test = TOY / "pair_test.jsonl"
    tf = pd.DataFrame(read_jsonl(test))
    out = cli("predict", "--model", tmp_path / "pair.rmb", "--input", test, "--top-k", "2")
    np.testing.assert_array_equal(
        _cli_probabilities(out, list(est.classes_)),
        est.predict_proba(tf[["complaint", "specialist"]]),
    )
