"""rumedbench on a local Spark session: class-partitioned training, then batch scoring.

    python/.venv/bin/python examples/spark_local.py      # after pip install "./python[spark]"

On a cluster, drop `.master(...)` (spark-submit sets it) and read your own tables: the calls are
the same. See docs/spark.md.
"""

import os
import sys

from pyspark.sql import SparkSession

from rumedbench import spark as rbs

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
spark = (
    SparkSession.builder.master("local[2]")
    .appName("rumedbench-example")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")

train = spark.read.json("tests/fixtures/toy/train.jsonl")
# (i) hashed document frequencies by a reduce, (ii) 2 Spark tasks of classes, (iii) one model file.
model = rbs.fit(train, text_cols="text", label_col="label", hash_features=16, class_blocks=2,
                model_out="models/toy-spark.rmb")
print("classes:", " ".join(model.classes_))

test = spark.read.json("tests/fixtures/toy/test.jsonl")
scored = rbs.predict(test, "models/toy-spark.rmb", text_cols="text", k=2)
with rbs.job("example: score the toy test split"):
    scored.select("id", "label", "pred_label", "pred_top_k").orderBy("id").show(truncate=False)
spark.stop()
