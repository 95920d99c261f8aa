"""RuMedBench baselines with a Rust core.

- :class:`CharTfidfClassifier`: the paper's char n-gram tf-idf + logistic regression, a
  scikit-learn classifier (``GridSearchCV``, ``cross_val_score``, ``clone``, pickle).
- :class:`CrfTagger`: the paper's CRF tagger, with sklearn-crfsuite's shape.
- :func:`evaluate`, :func:`compare`, :func:`report`: ``rumedbench eval``, ``compare`` and
  ``report`` from Python (task files, bootstrap intervals, paired p-values, charts).
- :mod:`rumedbench.metrics`: the same metrics on lists of labels and tags.

Model files are those of the ``rumedbench`` command line: ``save``/``load`` on either side.
"""

from . import _native, metrics
from ._compat import NotFittedError
from ._estimators import CharTfidfClassifier, CrfTagger
from ._scoring import compare, evaluate, report

__version__ = _native.__version__

__all__ = [
    "CharTfidfClassifier",
    "CrfTagger",
    "NotFittedError",
    "compare",
    "evaluate",
    "metrics",
    "report",
]
