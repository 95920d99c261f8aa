"""``recipe="plus"`` and ``blocks=``: Python fits the model ``rumedbench train --model plus``
fits (the preset is expanded by Rust, never copied here), for single texts, text pairs and the
tagger, on the repository's synthetic toy data; the rule for a setting beside the preset."""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import rumedbench as rb
from conftest import TOY, read_jsonl


def _task_file(tmp_path, name, body):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nid_field = "id"\n' + body, encoding="utf-8")
    return path


def _hyper(est):
    return json.loads(est._native.hyperparameters())


def test_plus_on_texts_is_train_model_plus(cli, tmp_path):
    cli("train", "--task-file", TOY / "task.toml", "--model", "plus",
        "--out", tmp_path / "o", "--models-dir", tmp_path / "m")
    from_cli = rb.CharTfidfClassifier.load(tmp_path / "m" / "toy-plus.rmb")
    train = read_jsonl(TOY / "train.jsonl")
    est = rb.CharTfidfClassifier(recipe="plus").fit(
        [r["text"] for r in train], [r["label"] for r in train]
    )
    texts = [r["text"] for r in read_jsonl(TOY / "test.jsonl")]
    assert list(est.classes_) == list(from_cli.classes_)
    np.testing.assert_array_equal(est.predict_proba(texts), from_cli.predict_proba(texts))
    assert list(est.predict(texts)) == list(from_cli.predict(texts))
    # The same model: kind, preset, blocks and classifier settings, as the model file says.
    assert _hyper(est) == _hyper(from_cli)
    assert _hyper(est)["preset"] == "plus"
    # A loaded plus model names the preset (not its values), so a refit is the same model.
    assert from_cli.get_params()["recipe"] == "plus"
    assert from_cli.get_params()["C"] == rb.CharTfidfClassifier().C
    refit = clone(from_cli).fit([r["text"] for r in train], [r["label"] for r in train])
    np.testing.assert_array_equal(refit.predict_proba(texts), est.predict_proba(texts))


def _synthetic_pairs(path, n, seed):
    """A yes/no task over text pairs whose texts share words (the pair preset reads the words
    both texts hold), with label noise; written as JSONL."""
    rng = np.random.default_rng(seed)
    yes, no = ["боль", "кашель", "жар", "сыпь"], ["сон", "аппетит", "вес", "зрение"]
    filler = ["пациент", "жалуется", "утром", "давно", "врач", "снова"]
    rows = []
    for i in range(n):
        positive = rng.integers(2) == 0
        key = rng.choice(yes if positive else no)
        question = " ".join(list(rng.choice(filler, 3)) + [key])
        context = f"{rng.choice(filler)} {key}"
        label = "да" if positive != (rng.integers(5) == 0) else "нет"
        rows.append({"id": f"p{i}", "context": context, "question": question, "answer": label})
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def test_plus_on_pairs_is_train_model_plus(cli, tmp_path):
    train = _synthetic_pairs(tmp_path / "train.jsonl", 80, 1)
    test = _synthetic_pairs(tmp_path / "test.jsonl", 30, 2)
    task = _task_file(
        tmp_path, "pairs",
        'text_fields = ["context", "question"]\nlabel_field = "answer"\n'
        'train = "train.jsonl"\ntest = "test.jsonl"\n',
    )
    cli("train", "--task-file", task, "--model", "plus",
        "--out", tmp_path / "o", "--models-dir", tmp_path / "m")
    from_cli = rb.CharTfidfClassifier.load(tmp_path / "m" / "pairs-plus.rmb")
    est = rb.CharTfidfClassifier(recipe="plus").fit(
        [(r["context"], r["question"]) for r in train], [r["answer"] for r in train]
    )
    pairs = [(r["context"], r["question"]) for r in test]
    np.testing.assert_array_equal(est.predict_proba(pairs), from_cli.predict_proba(pairs))
    assert _hyper(est) == _hyper(from_cli)
    # The pair preset is not the single-text one: Rust picks it by the input's type.
    single = rb.CharTfidfClassifier(recipe="plus").fit(
        [r["question"] for r in train], [r["answer"] for r in train]
    )
    assert _hyper(single)["vectorizer"]["blocks"] != _hyper(est)["vectorizer"]["blocks"]


def test_plus_tagger_is_train_model_plus(cli, tmp_path):
    task = _task_file(
        tmp_path, "ner",
        'tokens_field = "tokens"\ntags_field = "tags"\n'
        f'train = "{TOY / "ner_train.jsonl"}"\ntest = "{TOY / "ner_test.jsonl"}"\n',
    )
    cli("train", "--task-file", task, "--model", "plus",
        "--out", tmp_path / "o", "--models-dir", tmp_path / "m")
    from_cli = rb.CrfTagger.load(tmp_path / "m" / "ner-plus.rmb")
    train = read_jsonl(TOY / "ner_train.jsonl")
    est = rb.CrfTagger(recipe="plus").fit([r["tokens"] for r in train], [r["tags"] for r in train])
    sents = [r["tokens"] for r in read_jsonl(TOY / "ner_test.jsonl")]
    assert est.predict(sents) == from_cli.predict(sents)
    for a, b in zip(est.predict_marginals(sents), from_cli.predict_marginals(sents)):
        for ta, tb in zip(a, b):
            assert ta.keys() == tb.keys()
            assert all(abs(ta[k] - tb[k]) <= 1e-9 for k in ta)
    assert _hyper(est) == _hyper(from_cli)
    assert from_cli.get_params()["recipe"] == "plus"


def test_blocks_forms_and_the_estimator_contract(toy):
    X, y = toy
    forms = [
        "char:3-5:sub,char_wb:2-4",
        ["char:3-5:sub", "char_wb:2-4"],
        [{"analyzer": "char", "ngram_range": [3, 5], "sublinear_tf": True},
         {"analyzer": "char_wb", "ngram_range": [2, 4]}],
    ]
    probas = [rb.CharTfidfClassifier(blocks=b, C=3).fit(X, y).predict_proba(X) for b in forms]
    for p in probas[1:]:
        np.testing.assert_array_equal(p, probas[0])
    est = rb.CharTfidfClassifier(blocks=forms[0], row_norm=True, recipe="feature")
    params = est.get_params()
    assert params["blocks"] is forms[0] and params["row_norm"] is True
    assert clone(est).get_params() == params
    est.set_params(recipe="plus", blocks=())
    assert est.recipe == "plus"
    search = GridSearchCV(rb.CharTfidfClassifier(), {"recipe": ["feature", "plus"]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["recipe"] in ("feature", "plus")


def test_a_cli_union_loads_with_its_blocks_and_refits_the_same(cli, toy, tmp_path):
    cli("train", "--task-file", TOY / "task.toml", "--blocks", "char:3-5:sub,char_wb:2-4",
        "--C", "3", "--out", tmp_path / "o", "--models-dir", tmp_path / "m")
    from_cli = rb.CharTfidfClassifier.load(tmp_path / "m" / "toy-feature.rmb")
    params = from_cli.get_params()
    assert params["blocks"] == "char:3-5:sub,char_wb:2-4" and params["C"] == 3
    assert params["recipe"] == "feature"
    X, y = toy
    texts = [r["text"] for r in read_jsonl(TOY / "test.jsonl")]
    refit = clone(from_cli).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(texts), from_cli.predict_proba(texts))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(recipe="plus", C=3.0), r"^C: 3\.0 sets the recipe.*plus preset is fixed"),
        (dict(recipe="plus", class_weight="balanced"), r"^class_weight: "),
        (dict(recipe="plus", blocks="char:1-2"), r"^blocks: "),
        (dict(recipe="plus", ngram_range=(2, 5)), r"^ngram_range: "),
        (dict(recipe="pluss"), r'^recipe: "pluss" is not a recipe'),
        (dict(blocks="char:5-3"), r"char:5-3.*MIN <= MAX"),
    ],
)
def test_a_setting_beside_the_preset_is_refused_by_name(toy, params, message):
    X, y = toy
    with pytest.raises(ValueError, match=message):
        rb.CharTfidfClassifier(**params).fit(X, y)


def test_the_free_settings_go_with_the_preset(toy):
    X, y = toy
    a = rb.CharTfidfClassifier(recipe="plus", random_state=3, verbose=True).fit(X, y)
    assert _hyper(a)["preset"] == "plus"
    # Multi-label is refused, as `train --model plus` refuses it.
    with pytest.raises(ValueError, match=r"^model: --model plus does not take multi-label"):
        rb.CharTfidfClassifier(recipe="plus").fit(X, [[label] for label in y])


def test_a_tagger_setting_beside_the_preset_is_refused_by_name():
    recs = read_jsonl(TOY / "ner_train.jsonl")
    X, y = [r["tokens"] for r in recs], [r["tags"] for r in recs]
    with pytest.raises(ValueError, match=r"^c1: 0\.3 sets the recipe"):
        rb.CrfTagger(recipe="plus", c1=0.3).fit(X, y)
    with pytest.raises(ValueError, match=r"^templates: "):
        rb.CrfTagger(recipe="plus", templates="lower,shape").fit(X, y)
    with pytest.raises(ValueError, match=r"^recipe: "):
        rb.CrfTagger(model="naive", recipe="plus").fit(X, y)
