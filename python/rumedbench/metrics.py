"""RuMedBench's metrics on lists, with upstream ``eval.py``'s semantics (percentages, as
``rumedbench eval`` prints them)."""

from . import _native

__all__ = ["score_ranked", "score_labels", "score_tags"]


def _labels(values, name):
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise ValueError(f"{name}[{i}] is {type(v).__name__}, expected str")
        out.append(v)
    return out


def score_ranked(y_true, y_ranked):
    """Accuracy and Hit@3 of ranked label lists (best first), as RuMedTop3 and
    RuMedSymptomRec are scored: ``{"acc": ..., "hit3": ...}``."""
    gold = _labels(list(y_true), "y_true")
    ranked = [_labels(list(r), f"y_ranked[{i}]") for i, r in enumerate(y_ranked)]
    return dict(_native.score_ranked(gold, ranked))


def score_labels(y_true, y_pred):
    """Accuracy of single predicted labels, as RuMedDaNet and RuMedNLI are scored:
    ``{"acc": ...}``."""
    pred = _labels(list(y_pred), "y_pred")
    return {"acc": score_ranked(y_true, [[p] for p in pred])["acc"]}


def score_tags(y_true, y_pred):
    """Token accuracy and entity-level micro F1 (seqeval 1.2.2's defaults, IOB2), as RuMedNER
    is scored: ``{"acc": ..., "f1": ...}``."""
    gold = [_labels(list(s), f"y_true[{i}]") for i, s in enumerate(y_true)]
    pred = [_labels(list(s), f"y_pred[{i}]") for i, s in enumerate(y_pred)]
    return dict(_native.score_tags(gold, pred))
