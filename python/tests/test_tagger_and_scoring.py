"""CrfTagger (sklearn-crfsuite's shape), evaluate() and the metric helpers."""

import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone

import rumedbench as rb
from conftest import TOY, read_jsonl


@pytest.fixture(scope="module")
def ner():
    recs = read_jsonl(TOY / "ner_train.jsonl")
    test = read_jsonl(TOY / "ner_test.jsonl")
    return (
        [r["tokens"] for r in recs],
        [r["tags"] for r in recs],
        [r["tokens"] for r in test],
        [r["tags"] for r in test],
    )


def test_crf_tagger_fits_predicts_and_gives_marginals(ner):
    X, y, Xt, yt = ner
    crf = rb.CrfTagger(c1=0.1, c2=0.01, max_iterations=100)
    assert clone(crf).get_params() == crf.get_params()
    with pytest.raises(rb.NotFittedError):
        crf.predict(Xt)
    crf.fit(X, y)
    assert "B-Drug" in crf.classes_ and "O" in crf.classes_
    pred = crf.predict(Xt)
    assert [len(p) for p in pred] == [len(s) for s in Xt]
    assert crf.predict_single(Xt[0]) == pred[0]
    assert 0.5 < crf.score(Xt, yt) <= 1.0
    marg = crf.predict_marginals(Xt)
    for sent, tags in zip(marg, pred):
        for token, tag in zip(sent, tags):
            assert set(token) == set(crf.classes_)
            assert abs(sum(token.values()) - 1.0) < 1e-6
    back = pickle.loads(pickle.dumps(crf))
    assert back.predict(Xt) == pred


def test_taggers_interchange_with_the_cli(ner, cli, tmp_path):
    X, y, Xt, _ = ner
    for model in ("crf", "naive"):
        tagger = rb.CrfTagger(model=model).fit(X, y)
        tagger.save(tmp_path / f"{model}.rmb")
        out = cli("predict", "--model", tmp_path / f"{model}.rmb", "--input", TOY / "ner_test.jsonl")
        assert [json.loads(line)["tags"] for line in out.splitlines()] == tagger.predict(Xt)
    cli("train", "--train", TOY / "ner_train.jsonl", "--test", TOY / "ner_test.jsonl",
        "--tokens-field", "tokens", "--tags-field", "tags", "--id-field", "id", "--name", "toyner",
        "--out", tmp_path / "o", "--models-dir", tmp_path / "m")
    loaded = rb.CrfTagger.load(tmp_path / "m" / "toyner-feature.rmb")
    written = read_jsonl(tmp_path / "o" / "feature" / "toyner.jsonl")
    assert loaded.predict(Xt) == [r["prediction"] for r in written]


def test_crf_templates_are_a_parameter_kept_in_the_model_file(ner, cli, tmp_path):
    X, y, Xt, _ = ner
    templates = ["bias", "lower", "shape", "window:1", "affix:2-3", "bigram", "bos_eos"]
    crf = rb.CrfTagger(templates=templates, max_iterations=50).fit(X, y)
    assert clone(crf).get_params()["templates"] == templates
    # A comma-separated string is the same list.
    same = rb.CrfTagger(templates=",".join(templates), max_iterations=50).fit(X, y)
    assert same.predict(Xt) == crf.predict(Xt)
    crf.save(tmp_path / "t.rmb")
    loaded = rb.CrfTagger.load(tmp_path / "t.rmb")
    assert loaded.templates == templates
    assert loaded.predict(Xt) == crf.predict(Xt)
    out = cli("predict", "--model", tmp_path / "t.rmb", "--input", TOY / "ner_test.jsonl")
    assert [json.loads(line)["tags"] for line in out.splitlines()] == crf.predict(Xt)
    assert rb.CrfTagger.load(tmp_path / "t.rmb").get_params()["templates"] == templates
    with pytest.raises(ValueError, match='unknown CRF feature template "suffixes:2"'):
        rb.CrfTagger(templates=["lower", "suffixes:2"]).fit(X, y)
    with pytest.raises(ValueError, match="both emit the suffix"):
        rb.CrfTagger(templates="affix:2-3,suffix:4").fit(X, y)


def test_tagger_bad_input_raises_value_error(ner):
    X, y, _, _ = ner
    with pytest.raises(ValueError, match="2 tokens but 1 tags"):
        rb.CrfTagger().fit([["a", "b"]], [["O"]])
    with pytest.raises(ValueError, match="not IOB"):
        rb.CrfTagger().fit([["a"]], [["DRUG"]])
    with pytest.raises(ValueError, match=r"X\[0\] is a str"):
        rb.CrfTagger().fit(["a b"], [["O"]])
    with pytest.raises(ValueError, match="c1: must be between 0 and 1e4, got -1"):
        rb.CrfTagger(c1=-1).fit(X, y)
    with pytest.raises(ValueError, match="no marginal"):
        rb.CrfTagger(model="naive").fit(X, y).predict_marginals(X[:1])


def test_evaluate_returns_what_eval_json_prints(shared, cli):
    for system in ("feature_based", "naive"):
        folder = shared / "reference_outputs" / system
        assert rb.evaluate(folder) == json.loads(cli("eval", folder, "--format", "json"))
    scores = rb.evaluate(shared / "reference_outputs" / "feature_based")
    assert round(scores["tasks"]["RuMedTop3"]["acc"], 2) == 49.76
    assert round(scores["overall"], 2) == 58.46
    with pytest.raises(OSError):
        rb.evaluate(shared / "no_such_folder")


def test_metric_helpers_agree_with_evaluate(shared):
    ner = read_jsonl(shared / "reference_outputs" / "feature_based" / "RuMedNER.jsonl")
    tags = rb.metrics.score_tags([r["ner_tags"] for r in ner], [r["prediction"] for r in ner])
    top3 = read_jsonl(shared / "reference_outputs" / "feature_based" / "RuMedTop3.jsonl")
    ranked = rb.metrics.score_ranked([r["code"] for r in top3], [r["prediction"] for r in top3])
    ref = rb.evaluate(shared / "reference_outputs" / "feature_based")["tasks"]
    assert tags == ref["RuMedNER"] and ranked == ref["RuMedTop3"]
    assert rb.metrics.score_labels(["a", "b"], ["a", "a"]) == {"acc": 50.0}
    with pytest.raises(ValueError, match="2 gold values but 1"):
        rb.metrics.score_ranked(["a", "b"], [["a"]])
    with pytest.raises(ValueError, match=r"y_pred\[0\] is int"):
        rb.metrics.score_labels(["a"], [1])
