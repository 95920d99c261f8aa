"""RuMedBench baselines with a Rust core.

- :class:`CharTfidfClassifier`: the paper's char n-gram tf-idf + logistic regression, a
  scikit-learn classifier (``GridSearchCV``, ``cross_val_score``, ``clone``, pickle).
- :class:`CrfTagger`: the paper's CRF tagger, with sklearn-crfsuite's shape.
- :func:`evaluate`: scores a folder of prediction files as ``rumedbench eval --format json``.
- :mod:`rumedbench.metrics`: the same metrics on lists of labels and tags.

Model files are those of the ``rumedbench`` command line: ``save``/``load`` on either side.
"""

import errno as _errno
import json as _json
import os as _os

from . import _native, metrics
from ._compat import NotFittedError
from ._estimators import CharTfidfClassifier, CrfTagger

__version__ = _native.__version__

__all__ = ["CharTfidfClassifier", "CrfTagger", "NotFittedError", "evaluate", "metrics"]


def evaluate(folder, gold=None):
    """Scores every ``RuMed*.jsonl`` prediction file in ``folder``.

    Returns exactly what ``rumedbench eval FOLDER --format json`` prints, as a dict:
    ``{"tasks": {"RuMedTop3": {"acc": ..., "hit3": ...}, ...}, "overall": ..., "missing": [...]}``
    (percentages). With ``gold`` (a data folder), predictions are matched by id to
    ``gold/<Task>/test_v1.jsonl``. A missing folder raises ``OSError``; a bad file ``ValueError``
    naming file, line and field.
    """
    folder = _os.fspath(folder)
    if not _os.path.isdir(folder):
        raise FileNotFoundError(_errno.ENOENT, "no such folder of prediction files", folder)
    gold = None if gold is None else _os.fspath(gold)
    return _json.loads(_native.evaluate(_os.fspath(folder), gold))
