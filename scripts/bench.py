#!/usr/bin/env python3
"""Side-by-side benchmark: upstream's Python feature-based recipe vs. the Rust tool.

What: for each task (top3, symptomrec, danet, ner) runs, one after the other,
  (a) scripts/reference.py --task T --solver S --n-jobs N --data-dir D --out OUT/python
  (b) target/release/rumedbench train --task T --model feature --data-dir D --out OUT/rust
      (which writes OUT/rust/feature/<TaskName>.jsonl),
each in a fresh measuring child (`bench.py --measure`) that reports wall time and
peak RSS from getrusage(RUSAGE_CHILDREN).ru_maxrss (largest single process of the
run; nothing to install). It also samples the summed RSS of the whole process tree
every 200 ms ("tree peak"), which matters for the Python side: with lbfgs the OvR
fits run in joblib worker processes. Both sides' test prediction files are then
scored by the same scorer here (accuracy, hit@3, seqeval 1.2.2 token accuracy and
entity F1) against the gold test file, and compared per example with the paper's
released predictions (<reference-dir>/<TaskName>.jsonl): the fraction of test
examples whose top-1 prediction equals the paper's (ner: fraction of tokens).

How: normally through scripts/bench.sh, which creates scripts/.venv from
scripts/requirements-bench.txt if absent and runs this file with it:
  scripts/bench.sh [--tasks top3,symptomrec,danet,ner] [--data-dir data]
      [--reference-dir ../shared/rumedbench/reference_outputs/feature_based]
      [--out-dir out/bench] [--report out/bench/report.md] [--solver lbfgs]
      [--n-jobs 2] [--rust-bin target/release/rumedbench] [--repeat 1]
      [--skip-python] [--skip-rust]
--repeat N runs each side N times, alternating sides (py, rs, py, rs, ...), and
reports the median time and the largest peak memory: sub-second runs on a shared
machine vary by tens of percent from one run to the next.
If the Rust binary is missing (and --skip-rust is not given) it runs
`cargo build --release` first.

Prints: progress on stderr, then the Markdown table on stdout (also written to
--report, and the raw numbers as JSON next to it, <report>.json). Per-run logs are
in OUT/logs/. Exit status 1 if any run failed (its row says so).
"""
import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import threading
import time

TASKS = {
    "top3": "RuMedTop3",
    "symptomrec": "RuMedSymptomRec",
    "danet": "RuMedDaNet",
    "ner": "RuMedNER",
}
HERE = pathlib.Path(__file__).resolve().parent
SAMPLE_SECONDS = 0.2  # process-tree RSS sampling period
REPO = HERE.parent


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# measuring child: bench.py --measure RESULT_JSON LOG -- cmd args...
# --------------------------------------------------------------------------

_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_rss_kib(root_pid):
    """Summed resident set (KiB) of root_pid and all its descendants, from one
    read of /proc/<pid>/stat per process (ppid is field 4, rss in pages field 24)."""
    children = {}
    rss = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(entry)
        rss[pid] = int(fields[21]) * _PAGE_KIB
        children.setdefault(int(fields[1]), []).append(pid)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def measure(result_path, log_path, cmd):
    load_before = os.getloadavg()[0]
    with open(log_path, "wb") as logf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
        peak = [0]
        done = threading.Event()

        def sampler():
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
                done.wait(SAMPLE_SECONDS)

        th = threading.Thread(target=sampler, daemon=True)
        th.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        th.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = {
        "cmd": cmd,
        "rc": rc,
        "wall_s": round(wall, 3),
        "maxrss_mb": round(ru.ru_maxrss / 1024, 1),  # Linux: KiB
        "tree_peak_mb": round(peak[0] / 1024, 1),
        "user_s": round(ru.ru_utime, 3),
        "sys_s": round(ru.ru_stime, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "loadavg1_before": round(load_before, 2),
        "loadavg1_after": round(os.getloadavg()[0], 2),
    }
    pathlib.Path(result_path).write_text(json.dumps(res))
    return 0


def run_measured(cmd, log_path, result_path):
    """Run cmd inside a fresh `bench.py --measure` process (so RUSAGE_CHILDREN
    covers exactly this run) and return its measurement dict."""
    wrapper = [sys.executable, str(HERE / "bench.py"), "--measure", str(result_path), str(log_path), "--", *cmd]
    subprocess.run(wrapper, check=True)
    return json.loads(pathlib.Path(result_path).read_text())


# --------------------------------------------------------------------------
# scoring (same code for both sides)
# --------------------------------------------------------------------------

def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def id_key(task):
    return "pairID" if task == "danet" else "idx"


def top1(task, pred):
    if task in ("top3", "symptomrec"):
        return pred[0] if isinstance(pred, list) and pred else None
    return pred


def score(task, gold_rows, pred_path):
    """Score a prediction file against the gold test rows. Missing examples count
    as wrong (ner: all-'O' predictions). Returns metrics in percent."""
    key = id_key(task)
    preds = {r[key]: r.get("prediction") for r in read_jsonl(pred_path)}
    missing = sum(1 for g in gold_rows if g[key] not in preds)
    n = len(gold_rows)
    if task in ("top3", "symptomrec"):
        acc = hit3 = 0
        for g in gold_rows:
            p = preds.get(g[key]) or []
            acc += int(bool(p) and p[0] == g["code"])
            hit3 += int(g["code"] in p[:3])
        m = {"acc": 100 * acc / n, "hit3": 100 * hit3 / n}
    elif task == "danet":
        acc = sum(int(preds.get(g[key]) == g["answer"]) for g in gold_rows)
        m = {"acc": 100 * acc / n}
    else:
        from seqeval.metrics import accuracy_score, f1_score

        y_true, y_pred = [], []
        for g in gold_rows:
            tags = list(g["ner_tags"])
            p = list(preds.get(g[key]) or [])
            p = (p + ["O"] * len(tags))[: len(tags)]  # pad/cut so seqeval accepts it
            y_true.append(tags)
            y_pred.append(p)
        m = {"acc": 100 * accuracy_score(y_true, y_pred), "f1": 100 * f1_score(y_true, y_pred)}
    m = {k: round(v, 2) for k, v in m.items()}
    m["missing"] = missing
    return m


def agreement(task, gold_rows, pred_path, paper_path):
    """Fraction (%) of test examples whose top-1 prediction equals the paper's
    (ner: fraction of test tokens whose tag equals the paper's; also the fraction
    of whole sentences). Also the share of identical full top-3 lists (top3/symptomrec)."""
    key = id_key(task)
    ours = {r[key]: r.get("prediction") for r in read_jsonl(pred_path)}
    paper = {r[key]: r.get("prediction") for r in read_jsonl(paper_path)}
    ids = [g[key] for g in gold_rows]
    n = len(ids)
    if task == "ner":
        tok_same = tok_total = sent_same = 0
        for i in ids:
            a, b = list(ours.get(i) or []), list(paper.get(i) or [])
            m = max(len(a), len(b))
            tok_total += m
            tok_same += sum(1 for x, y in zip(a, b) if x == y)
            sent_same += int(a == b)
        return {"agree": round(100 * tok_same / max(tok_total, 1), 2), "sent_agree": round(100 * sent_same / n, 2)}
    same = sum(int(ours.get(i) is not None and top1(task, ours.get(i)) == top1(task, paper.get(i))) for i in ids)
    out = {"agree": round(100 * same / n, 2)}
    if task in ("top3", "symptomrec"):
        out["top3_list_agree"] = round(100 * sum(int(ours.get(i) == paper.get(i)) for i in ids) / n, 2)
    return out


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def fmt_metrics(task, m):
    if not m:
        return "—"
    if task in ("top3", "symptomrec"):
        s = f"{m['acc']:.2f}/{m['hit3']:.2f}"
    elif task == "danet":
        s = f"{m['acc']:.2f}"
    else:
        s = f"{m['acc']:.2f}/{m['f1']:.2f}"
    if m.get("missing"):
        s += f" ({m['missing']} missing)"
    return s


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.1f}×"


def num(x, spec=".1f"):
    return "—" if x is None else format(x, spec)


def summarize(runs):
    """One side's runs -> median wall and CPU time, largest peak memory (the
    conservative choice for both sides), worst exit status; raw runs kept."""
    def median(xs):
        xs = sorted(xs)
        mid = len(xs) // 2
        return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2

    return {
        "wall_s": median([r["wall_s"] for r in runs]),
        "cpu_s": median([r["cpu_s"] for r in runs]),
        "maxrss_mb": max(r["maxrss_mb"] for r in runs),
        "tree_peak_mb": max(r["tree_peak_mb"] for r in runs),
        "rc": max((r["rc"] for r in runs), key=abs),
        "wall_s_runs": [r["wall_s"] for r in runs],
        "runs": runs,
    }


def ensure_rust_bin(rust_bin):
    if rust_bin.exists():
        return
    if shutil.which("cargo") is None:
        raise SystemExit(f"{rust_bin} is missing and cargo is not on PATH")
    log(f"{rust_bin} missing: running `cargo build --release` in {REPO}")
    subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    if not rust_bin.exists():
        raise SystemExit(f"`cargo build --release` did not produce {rust_bin}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        if len(argv) < 5 or argv[3] != "--":
            raise SystemExit("usage: bench.py --measure RESULT_JSON LOG -- cmd [args...]")
        return measure(argv[1], argv[2], argv[4:])

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default="top3,symptomrec,danet,ner", help="comma-separated subset")
    ap.add_argument("--data-dir", default="data", type=pathlib.Path)
    ap.add_argument(
        "--reference-dir",
        default="../shared/rumedbench/reference_outputs/feature_based",
        type=pathlib.Path,
        help="the paper's released test predictions, <TaskName>.jsonl",
    )
    ap.add_argument("--out-dir", default="out/bench", type=pathlib.Path)
    ap.add_argument("--report", type=pathlib.Path, help="Markdown table file (default <out-dir>/report.md)")
    ap.add_argument("--solver", default="lbfgs", choices=["lbfgs", "liblinear", "liblinear-dual"],
                    help="Python side's solver")
    ap.add_argument("--analyzer", default="char", choices=["char", "char_wb", "word"],
                    help="both sides' analyzer (text tasks; default the paper's char)")
    ap.add_argument("--ngram-range", default="3,8", help="both sides' n-gram range MIN,MAX (default 3,8)")
    ap.add_argument("--n-jobs", type=int, default=2, help="Python side's LogisticRegression n_jobs")
    ap.add_argument("--rust-bin", default=REPO / "target" / "release" / "rumedbench", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per side, alternating sides; the table shows the median time and the largest peak")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--skip-rust", action="store_true")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        raise SystemExit(f"--repeat must be at least 1, got {args.repeat}")

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    bad = [t for t in tasks if t not in TASKS]
    if bad:
        raise SystemExit(f"unknown task(s): {', '.join(bad)}; choose from {', '.join(TASKS)}")
    report = args.report or args.out_dir / "report.md"
    logs = args.out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if not args.skip_rust:
        ensure_rust_bin(args.rust_bin)
    log(f"measuring wall time and peak RSS with getrusage(RUSAGE_CHILDREN) in a fresh child per run "
        f"(no extra package needed); Python: {sys.executable}")

    rows, failed = [], False
    for task in tasks:
        name = TASKS[task]
        gold = read_jsonl(args.data_dir / name / "test_v1.jsonl")
        paper_path = args.reference_dir / f"{name}.jsonl"
        row = {"task": task, "task_name": name}
        sides = []
        if not args.skip_python:
            out = args.out_dir / "python"
            cmd = [sys.executable, str(HERE / "reference.py"), "--task", task, "--solver", args.solver,
                   "--n-jobs", str(args.n_jobs), "--data-dir", str(args.data_dir), "--out", str(out),
                   "--quiet-warnings"]
            if task != "ner":
                cmd += ["--analyzer", args.analyzer, "--ngram-range", args.ngram_range]
            sides.append(("python", cmd, out / f"{name}.jsonl"))
        if not args.skip_rust:
            out = args.out_dir / "rust"
            cmd = [str(args.rust_bin), "train", "--task", task, "--model", "feature",
                   "--data-dir", str(args.data_dir), "--out", str(out),
                   "--models-dir", str(out / "models")]
            if task != "ner" and (args.analyzer, args.ngram_range) != ("char", "3,8"):
                cmd += ["--analyzer", args.analyzer, "--ngram-range", args.ngram_range]
            sides.append(("rust", cmd, out / "feature" / f"{name}.jsonl"))
        # Sides alternate run by run (py, rs, py, rs, ...) so that a slow
        # spell of a shared machine hits both; see --repeat.
        measured = {side: [] for side, _, _ in sides}
        for r in range(args.repeat):
            for side, cmd, pred_path in sides:
                if pred_path.exists():
                    pred_path.unlink()  # never score a stale file
                tag = f"{task}-{side}" + (f"-{r + 1}" if args.repeat > 1 else "")
                log(f"[{task}/{side}] run {r + 1}/{args.repeat} $ {' '.join(cmd)}")
                meas = run_measured(cmd, logs / f"{tag}.log", logs / f"{tag}.measure.json")
                meas["log"] = str(logs / f"{tag}.log")
                measured[side].append(meas)
                log(f"[{task}/{side}] {meas['wall_s']:.2f} s, peak {meas['maxrss_mb']:.0f} MB "
                    f"(tree {meas['tree_peak_mb']:.0f} MB), rc {meas['rc']}")
        for side, cmd, pred_path in sides:
            runs = measured[side]
            meas = summarize(runs)
            info = {"measure": meas}
            last_log = pathlib.Path(runs[-1]["log"])
            if meas["rc"] != 0 or not pred_path.exists():
                failed = True
                info["error"] = f"exit {meas['rc']}" if meas["rc"] else f"no {pred_path}"
                log(f"[{task}/{side}] FAILED ({info['error']}); see {last_log}")
            else:
                info["test"] = score(task, gold, pred_path)
                if paper_path.exists():
                    info["paper_agreement"] = agreement(task, gold, pred_path, paper_path)
                if side == "python":  # reference.py's own JSON summary (dev metrics etc.)
                    lines = last_log.read_text(encoding="utf-8").strip().splitlines()
                    try:
                        info["self_report"] = json.loads(lines[-1])
                    except (IndexError, json.JSONDecodeError):
                        pass
            log(f"[{task}/{side}] median {meas['wall_s']:.2f} s over {len(runs)} run(s), "
                f"peak {meas['maxrss_mb']:.0f} MB, test {info.get('test')}, paper {info.get('paper_agreement')}")
            row[side] = info
        rows.append(row)

    table = render_table(rows, args)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(table, encoding="utf-8")
    report.with_suffix(report.suffix + ".json").write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    print(table, end="")
    log(f"report written to {report} (raw numbers: {report}.json)")
    return 1 if failed else 0


def render_table(rows, args):
    head = ["task", "python time s", "rust time s", "speed ratio (py/rs)", "python peak MB", "rust peak MB",
            "memory ratio (py/rs)", "python test", "rust test", "python = paper %", "rust = paper %",
            "python CPU s", "rust CPU s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def get(row, side, *path):
        cur = row.get(side)
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                return None
            cur = cur[p]
        return cur

    for row in rows:
        t = row["task"]
        pt, rt = get(row, "python", "measure", "wall_s"), get(row, "rust", "measure", "wall_s")
        pm, rm = get(row, "python", "measure", "maxrss_mb"), get(row, "rust", "measure", "maxrss_mb")
        cells = [
            row["task_name"],
            num(pt), num(rt), ratio(pt, rt),
            num(pm, ".0f"), num(rm, ".0f"), ratio(pm, rm),
            get(row, "python", "error") or fmt_metrics(t, get(row, "python", "test")),
            get(row, "rust", "error") or fmt_metrics(t, get(row, "rust", "test")),
            num(get(row, "python", "paper_agreement", "agree"), ".2f"),
            num(get(row, "rust", "paper_agreement", "agree"), ".2f"),
            num(get(row, "python", "measure", "cpu_s")), num(get(row, "rust", "measure", "cpu_s")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        f"Python: scripts/reference.py, solver={args.solver}, n_jobs={args.n_jobs}; "
        f"Rust: {args.rust_bin} train --model feature. "
        f"Text tasks on both sides: analyzer={args.analyzer}, ngram_range=({args.ngram_range}).",
        "Test metrics in %: Top3/SymptomRec Acc/Hit@3, DaNet Acc, NER token Acc/entity F1 (seqeval 1.2.2), "
        "all from the same scorer. Peak MB = getrusage ru_maxrss (largest single process); "
        "the summed process-tree peak is in the JSON file (tree_peak_mb).",
        "Time = wall clock of the whole command (load, fit, predict, write); CPU = user+sys of the run's "
        "reaped processes; the machine's 1-min load average around each run is in the JSON file.",
        f"Runs per side: {args.repeat}, sides alternating; time and CPU are medians, peak MB the largest "
        "(every run's wall time is in the JSON file, wall_s_runs).",
        "`= paper %`: share of test examples whose top-1 prediction equals the paper's released one "
        f"({args.reference_dir}); NER: share of tokens.",
        "",
    ]
    return "\n".join(lines + notes)


if __name__ == "__main__":
    sys.exit(main())
