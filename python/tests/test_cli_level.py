"""Python at the command line's level (issue #22, item 5): ``fit`` is silent unless
``verbose=True`` (notes through :mod:`logging`), mixed label types are refused as the command line
refuses them, ``CrfTagger`` keeps its field names, ``evaluate``/``compare``/``report`` take task
files and give intervals, and ``__version__`` is the crate's."""

import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

import rumedbench as rb
from conftest import REPO, TOY, read_jsonl


def test_fit_is_silent_unless_verbose(toy, capfd, caplog):
    X, y = toy
    with caplog.at_level(logging.INFO, logger="rumedbench"):
        rb.CharTfidfClassifier().fit(X, y)
        out, err = capfd.readouterr()
        assert (out, err) == ("", "")
        assert caplog.records == []
        rb.CharTfidfClassifier(verbose=True).fit(X, y)
        out, err = capfd.readouterr()
        assert (out, err) == ("", ""), "notes go through logging, not stderr"
    [note] = [r for r in caplog.records if r.name == "rumedbench"]
    assert note.levelno == logging.INFO
    assert re.search(r"40 texts x \d+ features, 5 classes; fitted in", note.getMessage())
    assert rb.CharTfidfClassifier(verbose=True).get_params()["verbose"] is True


def test_mixed_label_types_are_refused(toy):
    X, y = toy
    mixed = ["1"] * 3 + [1] * (len(y) - 3)
    with pytest.raises(ValueError, match=r"y\[3\] = 1 is a number, but y\[0\] = '1' is a string"):
        rb.CharTfidfClassifier().fit(X, mixed)
    with pytest.raises(ValueError, match="is a string, but"):
        rb.CharTfidfClassifier().fit(X, [True] + ["True"] * (len(y) - 1))
    # One type is fine, whatever it is.
    rb.CharTfidfClassifier().fit(X, [i % 2 for i in range(len(y))])


def test_crf_tagger_keeps_its_field_names(cli, tmp_path):
    recs = read_jsonl(TOY / "ner_train.jsonl")
    X = pd.Series([r["tokens"] for r in recs], name="слова")
    y = pd.Series([r["tags"] for r in recs], name="метки")
    tagger = rb.CrfTagger().fit(X, y)
    tagger.save(tmp_path / "t.rmb")
    test = read_jsonl(TOY / "ner_test.jsonl")
    with open(tmp_path / "in.jsonl", "w", encoding="utf-8") as f:
        for r in test:
            f.write(json.dumps({"id": r["id"], "слова": r["tokens"], "метки": r["tags"]},
                               ensure_ascii=False) + "\n")
    out = cli("predict", "--model", tmp_path / "t.rmb", "--input", tmp_path / "in.jsonl")
    preds = [json.loads(line) for line in out.splitlines()]
    assert [p["tags"] for p in preds] == tagger.predict([r["tokens"] for r in test])
    # test reads the tag field by its name too.
    report = json.loads(cli("test", "--model", tmp_path / "t.rmb", "--input",
                            tmp_path / "in.jsonl", "--format", "json"))
    assert report["records"] == len(test)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, cli):
    """Two systems on the toy task: ``a`` the paper's recipe, ``b`` a word-level one."""
    d = tmp_path_factory.mktemp("runs")
    for name, extra in (("a", []), ("b", ["--analyzer", "word", "--ngram-range", "1,1"])):
        cli("-q", "train", "--task-file", TOY / "task.toml", "--out", d / name,
            "--model-out", d / f"{name}.rmb", *extra)
    return d


def test_evaluate_takes_task_files_and_intervals(runs, cli, tmp_path):
    folder = runs / "a" / "feature"
    assert rb.evaluate(folder) == json.loads(cli("eval", folder, "--format", "json"))
    with_ci = rb.evaluate(folder, bootstrap=50, seed=7)
    assert with_ci == json.loads(
        cli("eval", folder, "--bootstrap", "50", "--seed", "7", "--format", "json"))
    lo, hi = with_ci["tasks"]["toy"]["acc_ci95"]
    assert lo <= with_ci["tasks"]["toy"]["acc"] <= hi
    # Predictions without their run record: scored through the task file.
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "toy.jsonl").write_bytes((folder / "toy.jsonl").read_bytes())
    with pytest.raises(ValueError):
        rb.evaluate(bare)
    assert rb.evaluate(bare, task_files=TOY / "task.toml")["tasks"]["toy"] == \
        rb.evaluate(folder)["tasks"]["toy"]
    with pytest.raises(ValueError, match="bootstrap"):
        rb.evaluate(folder, bootstrap=0)


def test_compare_gives_paired_intervals_and_p_values(runs, cli):
    a, b = runs / "a" / "feature", runs / "b" / "feature"
    got = rb.compare(a, b, bootstrap=200, seed=3)
    assert got == json.loads(cli("compare", a, b, "--bootstrap", "200", "--seed", "3",
                                 "--format", "json"))
    acc = got["tasks"]["toy"]["acc"]
    assert 0 < acc["p"] <= 1 and len(acc["diff_ci95"]) == 2


def test_report_draws_the_cli_chart(runs, tmp_path, monkeypatch):
    a, b = runs / "a" / "feature", runs / "b" / "feature"
    out = rb.report([a, b], tmp_path / "c.svg", labels={a: "Символы", b: "Слова"},
                    x_title="Задача", bootstrap=20)
    svg = Path(out).read_text(encoding="utf-8")
    for text in ("Символы", "Слова", "Задача", "Test scores, %"):
        assert text in svg
    with pytest.raises(RuntimeError, match="--dpi"):
        rb.report(a, tmp_path / "c.png", dpi=5)
    # The confusion heat-map beside the chart, and the figure picked by name.
    rb.report(a, tmp_path / "m.svg", metric="macro_f1", confusion=True, bootstrap=20)
    heat = (tmp_path / "m-confusion-toy.svg").read_text(encoding="utf-8")
    assert "gold" in heat and "predicted" in heat
    monkeypatch.setenv("RUMEDBENCH_BIN", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(FileNotFoundError, match="cargo install"):
        rb.report(a, tmp_path / "d.svg")


def test_version_is_the_crates():
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    assert rb.__version__ == version
