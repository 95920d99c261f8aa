"""scikit-learn's base classes when scikit-learn is installed, small stand-ins otherwise.

The estimators only need ``get_params``/``set_params`` (from the constructor's signature),
accuracy as ``score`` and ``NotFittedError``; scikit-learn, when present, supplies the real
ones so that ``clone``, ``GridSearchCV`` and ``cross_val_score`` treat the estimators as their own.
"""

import inspect

try:  # pragma: no cover - exercised by the tests with scikit-learn installed
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.exceptions import NotFittedError

    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised in an environment without scikit-learn
    HAVE_SKLEARN = False

    class NotFittedError(ValueError, AttributeError):
        """Raised when an estimator is used before ``fit``."""

    class BaseEstimator:
        """``get_params``/``set_params`` from the constructor's keyword arguments."""

        @classmethod
        def _get_param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(
                        f"Invalid parameter {key!r} for estimator {type(self).__name__}. "
                        f"Valid parameters are: {valid!r}."
                    )
                setattr(self, key, value)
            return self

        def __repr__(self):
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    class ClassifierMixin:
        """Accuracy as ``score``."""

        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            import numpy as np

            pred = self.predict(X)
            right = np.asarray(pred) == np.asarray(y)
            if sample_weight is None:
                return float(np.mean(right))
            w = np.asarray(sample_weight, dtype=float)
            return float(np.sum(w * right) / np.sum(w))
