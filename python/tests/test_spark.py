"""rumedbench.spark in a local Spark session (``local[2]``, each task retried up to 3 times):
batch scoring equals ``rumedbench predict`` and the estimators (a classifier, a multi-label model,
a tagger), class-partitioned training equals single-machine training on RuMedTop3 (3 class blocks,
the same model file bytes) and survives a Python worker that dies mid-job, and tuning's grid points
as Spark tasks give ``rumedbench tune``'s scores and choice.

These tests need Java (Spark runs on the JVM). Outside CI they skip, saying so, when ``java`` is
missing; in CI (``CI`` set) they fail instead, so they never skip silently there."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import rumedbench as rb
from conftest import TOY, REPO, read_jsonl

if shutil.which("java") is None and not os.environ.get("CI"):
    pytest.skip(
        "Spark needs Java and `java` is not on PATH (scripts/setup.sh installs a JRE)",
        allow_module_level=True,
    )

if not os.environ.get("CI"):
    pytest.importorskip("pyspark", reason='pip install "./python[spark]" brings pyspark')

from pyspark.sql import SparkSession  # noqa: E402

from rumedbench import spark as rbs  # noqa: E402

MULTI = REPO / "tests" / "fixtures" / "multilabel"
BITS = 17


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["RUMEDBENCH_SPARK_FAULT_DIR"] = str(tmp_path_factory.mktemp("faults"))
    s = (
        SparkSession.builder.master("local[2,3]")
        .appName("rumedbench-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "3")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def _cli_predictions(cli, model_path, records, tmp_path, k=3):
    path = tmp_path / "in.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    out = cli("predict", "--model", model_path, "--input", path, "--top-k", k, "--id-field", "id")
    return [json.loads(line) for line in out.splitlines()]


def test_predict_equals_cli_and_estimator(spark, cli, toy, tmp_path):
    X, y = toy
    est = rb.CharTfidfClassifier().fit(X, y)
    est.save(tmp_path / "m.rmb")
    test = read_jsonl(TOY / "test.jsonl") + read_jsonl(TOY / "dev.jsonl")
    df = spark.createDataFrame(pd.DataFrame({"id": [r["id"] for r in test],
                                             "text": [r["text"] for r in test]})).repartition(3)
    loads = spark.sparkContext.accumulator(0)
    with rbs.job("test: predict toy"):
        out = rbs.predict(df, tmp_path / "m.rmb", text_cols="text", k=3,
                          load_counter=loads).toPandas()
    assert list(out.columns[:2]) == ["id", "text"], "the input columns are kept"
    out = out.set_index("id").loc[[r["id"] for r in test]]
    classes = rbs.classes(est)
    assert classes == [str(c) for c in est.classes_]
    cli_out = _cli_predictions(cli, tmp_path / "m.rmb", test, tmp_path)
    proba = est.predict_proba([r["text"] for r in test])
    for (rid, row), c, p in zip(out.iterrows(), cli_out, proba):
        assert c["id"] == rid
        assert list(row["pred_top_k"]) == [e["label"] for e in c["prediction"]]
        assert row["pred_label"] == c["prediction"][0]["label"]
        for e in c["prediction"]:
            assert abs(row["pred_proba"][classes.index(e["label"])] - e["prob"]) <= 1e-6
        np.testing.assert_allclose(np.asarray(row["pred_proba"]), p, rtol=0, atol=1e-6)
    assert list(out["pred_label"]) == list(est.predict([r["text"] for r in test]))
    # 20 rows in 3 partitions, 3 rows per Arrow batch: at least 7 batches, but the model is
    # loaded once per Python worker, never more often than once per task.
    assert 1 <= loads.value <= 3, loads.value


def test_predict_multi_label_sets_equal_cli(spark, cli, tmp_path):
    train = read_jsonl(MULTI / "train.jsonl")
    est = rb.CharTfidfClassifier().fit([r["text"] for r in train], [r["codes"] for r in train])
    est.save(tmp_path / "ml.rmb")
    test = read_jsonl(MULTI / "test.jsonl")
    df = spark.createDataFrame(pd.DataFrame({"id": [r["id"] for r in test],
                                             "note": [r["text"] for r in test]}))
    out = rbs.predict(df, est, text_cols=["note"], k=2).toPandas().set_index("id")
    ind = est.predict([r["text"] for r in test])
    classes = [str(c) for c in est.classes_]
    cli_out = _cli_predictions(cli, tmp_path / "ml.rmb",
                               [{"id": r["id"], "text": r["text"]} for r in test], tmp_path)
    assert any(len(v) > 1 for v in out["pred_labels"]), "a multi-label fixture predicts sets"
    for r, i, c in zip(test, ind, cli_out):
        got = list(out.loc[r["id"], "pred_labels"])
        assert got == [k for k, v in zip(classes, i) if v]
        assert sorted(got) == sorted(c["labels"]), (got, c)


def test_predict_tagger_equals_estimator(spark):
    train = read_jsonl(TOY / "ner_train.jsonl")
    tagger = rb.CrfTagger().fit([r["tokens"] for r in train], [r["tags"] for r in train])
    test = read_jsonl(TOY / "ner_test.jsonl")
    df = spark.createDataFrame([(r["id"], r["tokens"]) for r in test], "id string, tokens array<string>")
    out = rbs.predict(df, tagger, tokens_col="tokens").toPandas().set_index("id")
    want = tagger.predict([r["tokens"] for r in test])
    assert [list(out.loc[r["id"], "pred_tags"]) for r in test] == want


def test_predict_refusals(spark, toy):
    X, y = toy
    est = rb.CharTfidfClassifier().fit(X, y)
    df = spark.createDataFrame(pd.DataFrame({"id": ["a"], "text": ["кашель"]}))
    with pytest.raises(ValueError, match=r"column 'txt' is not in the DataFrame \(its columns: id, text\)"):
        rbs.predict(df, est, text_cols="txt")
    with pytest.raises(ValueError, match="give text_cols, not tokens_col"):
        rbs.predict(df, est, tokens_col="text")
    with pytest.raises(ValueError, match="single texts: give 1 text column"):
        rbs.predict(df, est, text_cols=["id", "text"])
    with pytest.raises(ValueError, match="already has a column 'pred_label'"):
        rbs.predict(df.withColumnRenamed("id", "pred_label"), est, text_cols="text")
    nulls = spark.createDataFrame([("a", None)], "id string, text string")
    with pytest.raises(Exception, match="column 'text' holds a null"):
        rbs.predict(nulls, est, text_cols="text").collect()


def test_fit_refusals(spark, toy):
    X, y = toy
    df = spark.createDataFrame(pd.DataFrame({"text": X, "label": y}))
    with pytest.raises(ValueError, match="hash_features"):
        rbs.fit(df, text_cols="text", label_col="label")
    with pytest.raises(ValueError, match="column 'code' is not in the DataFrame"):
        rbs.fit(df, text_cols="text", label_col="code", hash_features=BITS)
    with pytest.raises(ValueError, match=r"class_blocks: 6 blocks for 5 one-vs-rest problems"):
        rbs.fit(df, text_cols="text", label_col="label", hash_features=BITS, class_blocks=6)
    with pytest.raises(ValueError, match="c: not a setting of this model"):
        rbs.fit(df, text_cols="text", label_col="label", recipe={"c": 1}, hash_features=BITS)


@pytest.fixture(scope="module")
def top3(shared):
    train = shared / "data" / "RuMedTop3" / "train_v1.jsonl"
    assert train.is_file(), f"RuMedTop3 is required at {train}"
    return shared / "data" / "RuMedTop3"


def test_fit_in_three_class_blocks_equals_single_machine(spark, top3, cli, tmp_path):
    # Read as the single machine reads it: fit keeps the DataFrame's order (the file's).
    df = spark.read.json(str(top3 / "train_v1.jsonl"))
    model = rbs.fit(df, text_cols="symptoms", label_col="code", hash_features=BITS,
                    class_blocks=3, model_out=tmp_path / "spark.rmb")
    assert len(model.classes_) >= 100
    # The single machine, in Python: the same model file, byte for byte.
    train = read_jsonl(top3 / "train_v1.jsonl")
    single = rb.CharTfidfClassifier(hash_features=BITS).fit(
        pd.DataFrame({"symptoms": [r["symptoms"] for r in train]}),
        pd.Series([r["code"] for r in train], name="code"),
    )
    assert model._native.to_bytes() == single._native.to_bytes()
    # The single machine, at the command line: the same predictions on test, weights (decision
    # scores) within 1e-6. Trained by the release binary when there is one (CI builds it for
    # readme-check; the debug binary is unoptimised).
    release = REPO / "target" / "release" / "rumedbench"

    def fast(*args):
        if not release.is_file():
            return cli(*args)
        proc = subprocess.run([str(release), *map(str, args)], capture_output=True, text=True)
        assert proc.returncode == 0, f"rumedbench {args}: {proc.stderr}"
        return proc.stdout

    fast("-q", "train", "--task", "RuMedTop3", "--data-dir", top3.parent, "--hash-features", BITS,
         "--out", tmp_path / "out", "--model-out", tmp_path / "cli.rmb")
    test = read_jsonl(top3 / "test_v1.jsonl")
    texts = [r["symptoms"] for r in test]
    by_cli = rb.CharTfidfClassifier.load(tmp_path / "cli.rmb")
    np.testing.assert_allclose(model.decision_function(texts), by_cli.decision_function(texts),
                               rtol=0, atol=1e-6)
    a = _cli_predictions(fast, tmp_path / "spark.rmb", test, tmp_path)
    b = _cli_predictions(fast, tmp_path / "cli.rmb", test, tmp_path)
    assert [[e["label"] for e in r["prediction"]] for r in a] == \
        [[e["label"] for e in r["prediction"]] for r in b]


def test_fit_multi_label_pairs_and_a_worker_that_dies(spark):
    train = read_jsonl(MULTI / "train.jsonl")
    pdf = pd.DataFrame({"text": [r["text"] for r in train],
                        "ctx": ["амбулаторно"] * len(train),
                        "codes": [r["codes"] for r in train]})
    df = spark.createDataFrame(pdf, "text string, ctx string, codes array<string>")
    single = rb.CharTfidfClassifier(hash_features=12, C=3.0).fit(
        list(zip(pdf["text"], pdf["ctx"])), list(pdf["codes"]))
    # Every class-block task's first attempt kills its Python worker; Spark retries the task.
    armed = os.path.join(os.environ["RUMEDBENCH_SPARK_FAULT_DIR"], "armed")
    open(armed, "w").close()
    try:
        model = rbs.fit(df, text_cols=["text", "ctx"], label_col="codes", recipe={"C": 3.0},
                        hash_features=12, class_blocks=2)
    finally:
        os.remove(armed)
    died = [f for f in os.listdir(os.environ["RUMEDBENCH_SPARK_FAULT_DIR"]) if f != "armed"]
    assert died, "a class-block task's first attempt died"
    assert model._native.is_multi_label() and model._native.is_pair()
    np.testing.assert_array_equal(model.predict(list(zip(pdf["text"], pdf["ctx"]))),
                                  single.predict(list(zip(pdf["text"], pdf["ctx"]))))
    # The estimator fitted pairs without field names: compare the arrays, not the task.
    pairs = list(zip(pdf["text"], pdf["ctx"]))
    np.testing.assert_array_equal(model.predict_proba(pairs), single.predict_proba(pairs))
    # Scoring a pair model on Spark reads both text columns.
    scored = rbs.predict(df, model, text_cols=["text", "ctx"]).toPandas()
    np.testing.assert_allclose(np.stack(scored["pred_proba"]), single.predict_proba(pairs),
                               rtol=0, atol=1e-6)
    classes = [str(c) for c in single.classes_]
    assert [list(v) for v in scored["pred_labels"]] == [
        [c for c, on in zip(classes, row) if on] for row in single.predict(pairs)]


def test_tune_grid_points_as_tasks_equal_cli_tune(spark, top3, tmp_path):
    # A small RuMedTop3 task (its first 600 train and 200 dev notes), tuned by the command line
    # and by Spark tasks: the same 24 points in the same order, the same dev accuracies, the same
    # choice.
    train = read_jsonl(top3 / "train_v1.jsonl")[:600]
    dev = read_jsonl(top3 / "dev_v1.jsonl")[:200]
    for name, recs in (("train", train), ("dev", dev), ("test", dev)):
        with open(tmp_path / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (tmp_path / "task.toml").write_text(
        'name = "small"\nid_field = "idx"\ntext_fields = ["symptoms"]\nlabel_field = "code"\n'
        'train = "train.jsonl"\ndev = "dev.jsonl"\ntest = "test.jsonl"\n', encoding="utf-8")
    release = REPO / "target" / "release" / "rumedbench"
    binary = str(release) if release.is_file() else os.environ.get(
        "RUMEDBENCH_BIN", str(REPO / "target" / "debug" / "rumedbench"))
    subprocess.run([binary, "-q", "tune", "--task-file", str(tmp_path / "task.toml"), "--out",
                    str(tmp_path / "out"), "--models-dir", str(tmp_path / "models")],
                   check=True, capture_output=True)
    local = json.loads((tmp_path / "out" / "tuned" / "small.tune.json").read_text())
    tdf = spark.read.json(str(tmp_path / "train.jsonl"))
    ddf = spark.read.json(str(tmp_path / "dev.jsonl"))
    res = rbs.tune(tdf, ddf, text_cols="symptoms", label_col="code")
    assert len(res["grid"]) == len(local["grid"]) == 24
    for mine, theirs in zip(res["grid"], local["grid"]):
        s = theirs["settings"]
        assert mine["settings"]["C"] == s["C"]
        assert mine["settings"]["ngram_range"] == s["ngram_range"]
        assert mine["settings"]["sublinear_tf"] == s["sublinear_tf"]
        assert mine["settings"]["class_weight"] == s["class_weight"]
        assert abs(mine["dev"]["acc"] - theirs["dev"]["acc"]) < 0.006, (mine, theirs)
    assert len({p["dev"]["acc"] for p in res["grid"]}) > 1, "the points score differently"
    assert res["chosen"] == local["chosen"]


def test_grid_search_runs_on_the_spark_joblib_backend(spark, toy):
    """scikit-learn's GridSearchCV with joblib's Spark backend (joblibspark): each fit of the
    grid a Spark task, the same scores, choice and refitted model as running it in-process."""
    from joblib import parallel_backend
    from joblibspark import register_spark
    from sklearn.model_selection import GridSearchCV

    X, y = toy
    grid = {"C": [1.0, 10.0], "ngram_range": [(2, 4), (3, 8)]}
    local = GridSearchCV(rb.CharTfidfClassifier(), grid, cv=2).fit(X, y)
    register_spark()
    with parallel_backend("spark", n_jobs=2):
        remote = GridSearchCV(rb.CharTfidfClassifier(), grid, cv=2, n_jobs=2).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
