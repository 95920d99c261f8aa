"""rumedbench on Apache Spark (>= 3.5): batch scoring of a DataFrame and class-partitioned
training of a hashed text classifier. Install with ``pip install "rumedbench[spark]"`` (from the
repository: ``pip install "./python[spark]"``); executors need the same wheel, nothing else.

- :func:`predict` adds prediction columns to a DataFrame through ``mapInPandas``. The model file's
  bytes are broadcast once, and each Python worker loads the model once (cached by the bytes'
  SHA-256), not once per batch. Results equal ``rumedbench predict`` on the same rows.
- :func:`fit` trains one-vs-rest over many classes on the cluster: (i) hashed document
  frequencies by a distributed reduce (no vocabulary anywhere, no text on the driver), (ii) one
  Spark task per block of classes, each fitting its classes over the whole training set,
  (iii) the driver assembles the blocks into one ordinary model file. The model is the one
  ``rumedbench train --hash-features BITS`` fits on the same rows (same bytes), because the
  one-vs-rest problems are independent.
- :func:`tune` runs the grid points of ``rumedbench tune`` (text, single-label) as Spark tasks,
  with its choice.
- :func:`job` names the Spark jobs of a block of code in the Spark UI; :func:`fit` names its own.

How the class-block tasks see the training set: every training row (its text and label columns
and a row index from ``monotonically_increasing_id``, i.e. the DataFrame's order) is sent to the
partition of every block (``flatMap`` then ``partitionBy`` with the identity partitioner), so
task ``k`` receives the whole training set through Spark's shuffle, sorts it back into the
DataFrame's order and fits block ``k``. Nothing is collected on the driver but the
document-frequency counts and the fitted blocks, no shared file system is needed, and a failed
task is simply retried by Spark from the shuffle files. The cost: the training columns are
shuffled once per block, and each task holds the training set in memory (as the single-machine
trainer does). A staging Parquet copy read by every task would avoid the shuffle but needs a file
system all executors share.
"""

import contextlib
import hashlib
import json
import os
import tempfile
import time

import numpy as np

from . import _native
from ._estimators import CharTfidfClassifier

__all__ = ["classes", "fit", "job", "predict", "tune"]

# Per Python worker process: models loaded from broadcast bytes, by the bytes' digest.
_MODELS = {}

#: Wall seconds of the phases of the last :func:`fit` on this driver (``doc_freq``, ``classes``,
#: ``blocks``, ``assemble``) and of each block's solve inside its task (``block_fits``), for
#: benchmarks.
last_fit_timings = {}


def _require_pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import functions  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            'rumedbench.spark needs pyspark (>= 3.5): pip install "rumedbench[spark]"'
        ) from e


@contextlib.contextmanager
def job(description, spark=None):
    """Names the Spark jobs started inside the ``with`` block (``SparkContext.setJobDescription``)
    and restores the previous description afterwards."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    sc = (spark or SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()).sparkContext
    previous = sc.getLocalProperty("spark.job.description")
    sc.setJobDescription(description)
    try:
        yield
    finally:
        sc.setJobDescription(previous)


def _check_columns(df, cols, what):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what}: column {missing[0]!r} is not in the DataFrame (its columns: "
            f"{', '.join(df.columns)})"
        )


def _model_bytes(model):
    """The model file's bytes of a path, bytes, or a fitted estimator."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, os.PathLike)):
        with open(model, "rb") as f:
            return f.read()
    native = getattr(model, "_native", None)
    if native is None and hasattr(model, "to_bytes"):
        native = model
    if native is None:
        raise ValueError(
            "model must be a model file path, its bytes, or a fitted CharTfidfClassifier or "
            f"CrfTagger; got {type(model).__name__}"
        )
    return bytes(native.to_bytes())


def _load(data):
    """A native model of model-file bytes: a classifier, else a tagger."""
    try:
        return _native.NativeClassifier.from_bytes(data)
    except ValueError as e:
        if "not a text classifier" not in str(e):
            raise
    return _native.NativeTagger.from_bytes(data)


def _cached(digest, broadcast, counter):
    model = _MODELS.get(digest)
    if model is None:
        model = _load(broadcast.value)
        _MODELS[digest] = model
        if counter is not None:
            counter.add(1)
    return model


def _matrix(triple, dtype):
    data, rows, cols = triple
    return np.frombuffer(data, dtype=dtype).reshape(rows, cols)


def _texts(pdf, cols):
    """The documents of a pandas batch: texts, or (text, text_pair) tuples."""
    values = [pdf[c].tolist() for c in cols]
    for c, vs in zip(cols, values):
        for i, v in enumerate(vs):
            if not isinstance(v, str):
                raise ValueError(
                    f"column {c!r} holds {'a null' if v is None else type(v).__name__} in a row "
                    f"(batch row {i + 1}); texts must be strings"
                )
    return values[0] if len(cols) == 1 else list(zip(*values))


def predict(df, model, text_cols=None, tokens_col=None, k=3, prefix="pred_", load_counter=None):
    """``df`` with prediction columns, computed on the executors.

    A text classifier reads ``text_cols`` (one column, or two for a model fitted on text pairs)
    and adds ``{prefix}label`` (the most probable class; for a multi-label model the most
    probable one too), ``{prefix}top_k`` (the ``k`` most probable classes, ties in class order,
    as ``rumedbench predict`` ranks them), ``{prefix}proba`` (every class's probability, as an
    array in :func:`classes` order) and, for a multi-label model, ``{prefix}labels`` (the
    predicted set, in class order). A tagger reads ``tokens_col`` (an array of strings) and adds
    ``{prefix}tags``.

    ``model`` is a model file path, its bytes, or a fitted estimator. Its bytes are broadcast
    once; each Python worker loads it once. ``load_counter`` (a ``SparkContext.accumulator``),
    when given, counts those loads. Like any DataFrame transformation this is lazy: name the
    job that runs it with :func:`job`.
    """
    _require_pyspark()
    from pyspark.sql import types as T

    data = _model_bytes(model)
    digest = hashlib.sha256(data).hexdigest()
    native = _load(data)
    is_tagger = isinstance(native, _native.NativeTagger)
    if is_tagger:
        if tokens_col is None or text_cols is not None:
            raise ValueError("this model is a tagger: give tokens_col (an array of tokens), not text_cols")
        _check_columns(df, [tokens_col], "predict")
        in_cols = [tokens_col]
        out_fields = [T.StructField(f"{prefix}tags", T.ArrayType(T.StringType()))]
    else:
        if text_cols is None or tokens_col is not None:
            raise ValueError("this model is a text classifier: give text_cols, not tokens_col")
        text_cols = [text_cols] if isinstance(text_cols, str) else list(text_cols)
        want = 2 if native.is_pair() else 1
        if len(text_cols) != want:
            raise ValueError(
                f"this model was fitted on {'text pairs' if want == 2 else 'single texts'}: "
                f"give {want} text column(s), got {text_cols}"
            )
        _check_columns(df, text_cols, "predict")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        in_cols = text_cols
        out_fields = [
            T.StructField(f"{prefix}label", T.StringType()),
            T.StructField(f"{prefix}top_k", T.ArrayType(T.StringType())),
            T.StructField(f"{prefix}proba", T.ArrayType(T.FloatType())),
        ]
        if native.is_multi_label():
            out_fields.append(T.StructField(f"{prefix}labels", T.ArrayType(T.StringType())))
    clash = [f.name for f in out_fields if f.name in df.columns]
    if clash:
        raise ValueError(f"predict: the DataFrame already has a column {clash[0]!r}; pass another prefix")
    schema = T.StructType(list(df.schema.fields) + out_fields)
    bc = df.sparkSession.sparkContext.broadcast(data)
    classes = None if is_tagger else np.array(native.classes(), dtype=object)
    multi = (not is_tagger) and native.is_multi_label()

    def score(batches):
        m = _cached(digest, bc, load_counter)
        for pdf in batches:
            out = pdf.copy()
            if is_tagger:
                sents = [list(t) if t is not None else None for t in pdf[tokens_col].tolist()]
                for i, s in enumerate(sents):
                    if s is None:
                        raise ValueError(f"column {tokens_col!r} holds a null (batch row {i + 1})")
                out[f"{prefix}tags"] = m.predict(sents) if sents else []
                yield out
                continue
            docs = _texts(pdf, in_cols)
            if not docs:
                for f in out_fields:
                    out[f.name] = []
                yield out
                continue
            proba = _matrix(m.predict_proba(docs), "<f4")
            order = np.argsort(-proba, axis=1, kind="stable")
            out[f"{prefix}label"] = classes[order[:, 0]].tolist()
            out[f"{prefix}top_k"] = [classes[r[:k]].tolist() for r in order]
            out[f"{prefix}proba"] = [row for row in proba.copy()]
            if multi:
                ind = _matrix(m.predict_indicator(docs), "u1")
                out[f"{prefix}labels"] = [classes[np.flatnonzero(r)].tolist() for r in ind]
            yield out

    return df.mapInPandas(score, schema)


def classes(model):
    """The class labels of a classifier's model (the order of ``{prefix}proba``)."""
    return _load(_model_bytes(model)).classes()


def _fault_point(block):
    """Fault injection for the tests: when the directory ``$RUMEDBENCH_SPARK_FAULT_DIR`` holds a
    file ``armed``, the first attempt of every class-block task kills its Python worker (as a
    lost executor would), after leaving a file there; Spark then retries the task."""
    d = os.environ.get("RUMEDBENCH_SPARK_FAULT_DIR")
    if not d or not os.path.exists(os.path.join(d, "armed")):
        return
    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is not None and ctx.attemptNumber() == 0:
        open(os.path.join(d, f"died-block{block}-stage{ctx.stageId()}"), "w").close()
        os._exit(1)


def _recipe_json(recipe, hash_features):
    recipe = dict(recipe or {})
    if hash_features is not None:
        recipe["hash_features"] = hash_features
    try:
        text = json.dumps(recipe)
    except TypeError as e:
        raise ValueError(f"recipe must be a dict of recipe keys (JSON values): {e}") from None
    # Checks the recipe (keys, ranges, hashing) on the driver, before any data moves.
    _native.doc_freq(text, [])
    return text


def fit(
    df,
    text_cols,
    label_col,
    recipe=None,
    hash_features=None,
    class_blocks=1,
    name="model",
    model_out=None,
):
    """Trains a hashed char n-gram tf-idf + one-vs-rest classifier on ``df`` with Spark and
    returns it as a :class:`~rumedbench.CharTfidfClassifier` (``model_out``: also writes its model
    file).

    ``text_cols``: one text column, or two for text pairs; ``label_col``: a string column (one
    label per row) or an array of strings (a multi-label set per row). ``recipe``: the text
    recipe's keys as ``rumedbench train`` and task files spell them (``{"C": 10,
    "ngram_range": [3, 8], "class_weight": "balanced", ...}``); ``hash_features`` (bits) sets its
    ``hash_features`` key, which is required: there is no vocabulary to share across workers.
    ``class_blocks``: how many Spark tasks split the one-vs-rest problems (at most one per
    class; a two-class single-label task has one problem).

    The result equals ``rumedbench train --hash-features BITS`` on the same rows in the
    DataFrame's order, with the same recipe: the same model file bytes.
    """
    _require_pyspark()
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    text_cols = [text_cols] if isinstance(text_cols, str) else list(text_cols)
    if len(text_cols) not in (1, 2):
        raise ValueError(f"text_cols must name one text column or two (pairs), got {text_cols}")
    _check_columns(df, text_cols + [label_col], "fit")
    if not isinstance(class_blocks, int) or class_blocks < 1:
        raise ValueError(f"class_blocks must be a positive int, got {class_blocks!r}")
    recipe_text = _recipe_json(recipe, hash_features)
    label_type = df.schema[label_col].dataType
    multi = isinstance(label_type, T.ArrayType)
    if not multi and not isinstance(label_type, T.StringType):
        raise ValueError(
            f"fit: column {label_col!r} is {label_type.simpleString()}; give labels as strings "
            "(or arrays of strings for a multi-label task)"
        )
    spark = df.sparkSession
    last_fit_timings.clear()
    t0 = time.perf_counter()
    rows = df.select(
        F.monotonically_increasing_id().alias("_rmb_row"),
        *[F.col(c) for c in text_cols],
        F.col(label_col),
    )
    with job(f"rumedbench.spark.fit {name}: hashed document frequencies", spark):

        def count(batches):
            import pandas as pd

            for pdf in batches:
                if len(pdf):
                    docs = _texts(pdf, text_cols)
                    yield pd.DataFrame({"df": [_native.doc_freq(recipe_text, docs)]})

        counts = rows.select(*text_cols).mapInPandas(count, "df binary")
        parts = counts.rdd.map(lambda r: bytes(r.df))
        if parts.isEmpty():
            raise ValueError("fit: the training DataFrame has no rows")
        df_bytes = parts.treeReduce(_native.merge_doc_freq)
    _, n_docs, _ = _native.doc_freq_info(df_bytes)
    last_fit_timings["doc_freq"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with job(f"rumedbench.spark.fit {name}: classes", spark):
        labels_df = rows.select(F.explode(label_col) if multi else F.col(label_col))
        n_classes = labels_df.distinct().count()
    n_problems = _native.n_problems(n_classes, multi)
    last_fit_timings["classes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if class_blocks > n_problems:
        raise ValueError(
            f"class_blocks: {class_blocks} blocks for {n_problems} one-vs-rest problems "
            f"({n_classes} classes): give 1 to {n_problems} blocks"
        )
    n_text = len(text_cols)

    def fit_block(block, pairs):
        _fault_point(block)
        # This task's copy of the training set, back in the DataFrame's order.
        data = sorted((row for _, row in pairs), key=lambda row: row[0])
        if len(data) != n_docs:
            raise ValueError(f"class block {block} received {len(data)} of {n_docs} rows")
        cols = list(zip(*data))
        docs = list(cols[1]) if n_text == 1 else list(zip(cols[1], cols[2]))
        for c, vs in zip(text_cols, cols[1 : 1 + n_text]):
            for i, v in enumerate(vs):
                if not isinstance(v, str):
                    raise ValueError(f"column {c!r} holds a null in a training row ({i + 1})")
        labels = []
        for i, v in enumerate(cols[-1]):
            if v is None:
                if not multi:
                    raise ValueError(f"column {label_col!r} holds a null label (row {i + 1})")
                v = []
            labels.append(list(v) if multi else v)
        started = time.perf_counter()
        part = _native.fit_block(
            recipe_text, docs, labels, df_bytes, block, class_blocks, name,
            text_fields=text_cols, label_field=label_col,
        )
        yield block, bytes(part), time.perf_counter() - started

    with job(f"rumedbench.spark.fit {name}: {class_blocks} class block(s) over {n_docs} rows", spark):
        # Every row goes to every block's partition; the identity partitioner makes block k
        # exactly task k (no two blocks share a task, none is coalesced away).
        fitted = (
            rows.rdd.flatMap(lambda row: ((b, tuple(row)) for b in range(class_blocks)))
            .partitionBy(class_blocks, lambda b: b)
            .mapPartitionsWithIndex(fit_block)
            .collect()
        )
    if sorted(f[0] for f in fitted) != list(range(class_blocks)):
        raise ValueError(
            f"fit: class blocks {sorted(f[0] for f in fitted)} came back, not 0..{class_blocks - 1}"
        )
    last_fit_timings["blocks"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fitted.sort(key=lambda f: f[0])
    last_fit_timings["block_fits"] = [f[2] for f in fitted]
    parts = [f[1] for f in fitted]
    native = _native.assemble_blocks(
        recipe_text, df_bytes, parts, name, text_fields=text_cols, label_field=label_col
    )
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.rmb")
        native.save(path)
        est = CharTfidfClassifier.load(path)
    if model_out is not None:
        est.save(model_out)
    last_fit_timings["assemble"] = time.perf_counter() - t0
    return est


def _default_grid():
    """``rumedbench tune``'s text grid, in its order (point 0: the paper's setting)."""
    points = []
    for ngram in ((3, 8), (2, 5)):
        for sublinear in (False, True):
            for weight in ("none", "balanced"):
                for c in (10.0, 1.0, 100.0):
                    points.append({"C": c, "ngram_range": list(ngram), "sublinear_tf": sublinear,
                                   "class_weight": weight})
    return points


def tune(train_df, dev_df, text_cols, label_col, grid=None, name="model"):
    """Scores grid points of the text recipe on ``dev_df`` after fitting on ``train_df``, one
    Spark task per point, and chooses as ``rumedbench tune`` does (single-label tasks): the best
    dev accuracy, ties to the earlier point. ``grid``: a list of recipe-key dicts (default:
    ``tune``'s 24-point text grid in its order). Returns ``{"grid": [{"index", "settings",
    "dev": {"acc"}}], "chosen": i, "chosen_settings": {...}}``; fit the chosen setting on train
    (e.g. :func:`fit` or the estimator) before reading test.

    Each task receives train and dev through the shuffle (as :func:`fit`'s blocks do); nothing
    but the scores comes back to the driver.
    """
    _require_pyspark()
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    text_cols = [text_cols] if isinstance(text_cols, str) else list(text_cols)
    for d, what in ((train_df, "tune (train)"), (dev_df, "tune (dev)")):
        _check_columns(d, text_cols + [label_col], what)
        if not isinstance(d.schema[label_col].dataType, T.StringType):
            raise ValueError(f"{what}: column {label_col!r} must hold string labels")
    grid = _default_grid() if grid is None else [dict(p) for p in grid]
    if not grid:
        raise ValueError("tune: the grid is empty")
    texts = [json.dumps(p) for p in grid]
    for t in texts:
        _native.doc_freq(json.dumps({**json.loads(t), "hash_features": 1}), [])  # checks keys
    cols = [F.col(c) for c in text_cols] + [F.col(label_col)]
    both = train_df.select(F.lit(0).alias("_rmb_split"), F.monotonically_increasing_id()
                           .alias("_rmb_row"), *cols).unionByName(
        dev_df.select(F.lit(1).alias("_rmb_split"), F.monotonically_increasing_id()
                      .alias("_rmb_row"), *cols))
    n = len(grid)
    n_text = len(text_cols)

    def score(point, pairs):
        rows = sorted((row for _, row in pairs), key=lambda r: (r[0], r[1]))
        split = {0: [], 1: []}
        for r in rows:
            doc = r[2] if n_text == 1 else (r[2], r[3])
            split[r[0]].append((doc, r[-1]))
        settings = grid[point]
        est = CharTfidfClassifier(
            C=settings.get("C", 10.0),
            ngram_range=tuple(settings.get("ngram_range", (3, 8))),
            sublinear_tf=settings.get("sublinear_tf", False),
            class_weight="balanced" if settings.get("class_weight") == "balanced" else None,
        )
        est.fit([d for d, _ in split[0]], [y for _, y in split[0]])
        pred = est.predict([d for d, _ in split[1]])
        acc = 100.0 * float(np.mean([p == y for p, (_, y) in zip(pred, split[1])]))
        yield point, acc

    with job(f"rumedbench.spark.tune {name}: {n} grid points", train_df.sparkSession):
        scores = dict(
            both.rdd.flatMap(lambda row: ((p, tuple(row)) for p in range(n)))
            .partitionBy(n, lambda p: p)
            .mapPartitionsWithIndex(score)
            .collect()
        )
    chosen = max(range(n), key=lambda i: (scores[i], -i))
    return {
        "grid": [{"index": i, "settings": grid[i], "dev": {"acc": scores[i]}} for i in range(n)],
        "chosen": chosen,
        "chosen_settings": grid[chosen],
    }
