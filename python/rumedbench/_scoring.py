"""Scoring folders of prediction files from Python, at the command line's level:
:func:`evaluate`, :func:`compare` (the Rust library, in process) and :func:`report` (the
``rumedbench report`` command, which draws the chart)."""

import errno as _errno
import json as _json
import os as _os
import shutil as _shutil
import subprocess as _subprocess

from . import _native

__all__ = ["evaluate", "compare", "report"]


def _folder(path, what="no such folder of prediction files"):
    path = _os.fspath(path)
    if not _os.path.isdir(path):
        raise FileNotFoundError(_errno.ENOENT, what, path)
    return path


def _replicates(n, name="bootstrap"):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive int (bootstrap replicates), got {n!r}")
    return n


def evaluate(folder, gold=None, task_files=(), bootstrap=None, seed=None):
    """Scores every prediction file in ``folder``, as ``rumedbench eval FOLDER --format json``.

    Returns a dict ``{"tasks": {"RuMedTop3": {"acc": ..., "hit3": ...}, ...}, "overall": ...,
    "missing": [...]}`` (percentages). Your own tasks are scored from the run record beside
    their predictions (``train``/``tune`` write one) or from ``task_files`` (TOML task files,
    ``--task-file``). ``bootstrap=N`` adds a 95% percentile bootstrap interval after every
    figure (``"acc_ci95": [lo, hi]``, ``--bootstrap N``; ``seed`` as ``--seed``). With ``gold``
    (a data folder), predictions are matched by id to ``gold/<Task>/test_v1.jsonl``. A missing
    folder raises ``OSError``; a bad file ``ValueError`` naming file, line and field.
    """
    folder = _folder(folder)
    gold = None if gold is None else _os.fspath(gold)
    if isinstance(task_files, (str, bytes, _os.PathLike)):
        task_files = [task_files]
    files = [_os.fspath(p) for p in task_files]
    reps = None if bootstrap is None else _replicates(bootstrap)
    return _json.loads(_native.evaluate_with(folder, gold, files, reps, seed))


def compare(a, b, bootstrap=1000, seed=None):
    """Compares two folders of prediction files with a paired bootstrap, as ``rumedbench
    compare A B --format json``: per task and metric A, B, A − B, its 95% interval
    (``diff_ci95``) and a two-sided p-value, and Overall. The two files of a task must hold the
    same ids."""
    return _json.loads(
        _native.compare(_folder(a), _folder(b), _replicates(bootstrap), seed)
    )


def _binary():
    """The ``rumedbench`` command: ``$RUMEDBENCH_BIN``, else on ``PATH``."""
    found = _os.environ.get("RUMEDBENCH_BIN") or _shutil.which("rumedbench")
    if not found or not _os.path.isfile(found):
        raise FileNotFoundError(
            _errno.ENOENT,
            "report() runs the rumedbench command, which draws the chart: install it with "
            "`cargo install --path .` from the repository root, or set RUMEDBENCH_BIN",
            found or "rumedbench",
        )
    return found


def report(
    folders,
    out,
    labels=None,
    task_files=(),
    title=None,
    x_title=None,
    y_title=None,
    width=None,
    height=None,
    dpi=None,
    values=True,
    paper=None,
    bootstrap=None,
    seed=None,
    metric=None,
    confusion=False,
    extra_args=(),
):
    """Draws the chart ``rumedbench report`` draws (SVG or PNG by the extension of ``out``):
    one series per folder of prediction files, bars with bootstrap intervals, beside rows of
    the paper's Table 3 when RuMedBench tasks are charted.

    ``labels`` maps a folder to its legend name (``--label DIR=NAME``); ``task_files``,
    ``title``, ``x_title``, ``y_title``, ``width``, ``height``, ``dpi``, ``paper``,
    ``bootstrap``, ``seed`` and ``metric`` are the flags of the same names, ``values=False``
    is ``--no-values``, ``confusion=True`` also draws each single-label task's confusion
    heat-map beside ``out`` (``<stem>-confusion-<Task>.<ext>``), and ``extra_args`` passes any
    other flag. Runs the ``rumedbench`` command (``$RUMEDBENCH_BIN`` or on ``PATH``);
    returns ``out``. A failure raises ``RuntimeError`` with the command's error.
    """
    if isinstance(folders, (str, bytes, _os.PathLike)):
        folders = [folders]
    folders = [_folder(f) for f in folders]
    args = [_binary(), "-q", "report", *folders, "--out", _os.fspath(out)]
    for folder, name in (labels or {}).items():
        args += ["--label", f"{_os.fspath(folder)}={name}"]
    if isinstance(task_files, (str, bytes, _os.PathLike)):
        task_files = [task_files]
    for p in task_files:
        args += ["--task-file", _os.fspath(p)]
    flags = {
        "--title": title,
        "--x-title": x_title,
        "--y-title": y_title,
        "--width": width,
        "--height": height,
        "--dpi": dpi,
        "--paper": paper,
        "--bootstrap": None if bootstrap is None else _replicates(bootstrap),
        "--seed": seed,
        "--metric": metric,
    }
    for flag, v in flags.items():
        if v is not None:
            args += [flag, str(v)]
    if not values:
        args.append("--no-values")
    if confusion:
        args.append("--confusion")
    args += [str(a) for a in extra_args]
    proc = _subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or f"rumedbench report exited {proc.returncode}")
    return out
