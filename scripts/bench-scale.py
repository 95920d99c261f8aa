#!/usr/bin/env python3
"""Scale benchmark: rumedbench vs scikit-learn's liblinear on k copies of RuMedTop3.

What: for each k in --copies (default 1,4,10,30)
  1. makes <out-dir>/data-x<k> with scripts/make-scaled.py (k copies of the train split,
     seeded; dev/test unchanged) unless it already exists;
  2. runs each side of --sides in a fresh measuring child (bench.py --measure: wall time,
     CPU time = user+sys, peak RSS of the largest process and of the process tree):
       rust        target/release/rumedbench train --task top3 --model feature
       rust-hashB  the same with --hash-features B (e.g. rust-hash20)
       python      scripts/reference.py --task top3 --solver liblinear-dual, i.e.
                   LogisticRegression(C=10, solver='liblinear', dual=True) on
                   TfidfVectorizer(analyzer='char', ngram_range=(3, 8)), one core
  3. scores each side's test predictions with bench.py's scorer (Acc/Hit@3 in %).
Every (side, k) result is stored as <out-dir>/results/<side>-x<k>.json, and the table is
rendered from the stored results of the requested copies and sides, so a long reference
run can be made once (or in the background) and later runs of the other side reuse it;
`--render` only renders. Ratios: python/rust time and memory, and time growth relative to
the previous size of the same side.

How (from the repo root, with the bench venv; scripts/bench.sh creates it):
  scripts/.venv/bin/python scripts/bench-scale.py                      # everything
  scripts/.venv/bin/python scripts/bench-scale.py --copies 1,10 --sides rust
  scripts/.venv/bin/python scripts/bench-scale.py --copies 30 --sides rust,rust-hash20
  scripts/.venv/bin/python scripts/bench-scale.py --render --report out/scale/table.md
  [--data-dir data] [--out-dir out/scale] [--repeat N] [--seed 12]
  [--rust-bin target/release/rumedbench]
Prints progress on stderr and the Markdown table on stdout (also --report, default
<out-dir>/table.md). Exit status 1 if a run failed.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (same directory: measuring child and scorer)

TASK, TASK_NAME = "top3", "RuMedTop3"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def ensure_data(args, k):
    d = args.out_dir / f"data-x{k}"
    if not (d / TASK_NAME / "train_v1.jsonl").exists():
        subprocess.run([sys.executable, str(HERE / "make-scaled.py"), "--task", TASK_NAME,
                        "--data-dir", str(args.data_dir), "--out", str(d), "--copies", str(k),
                        "--seed", str(args.seed)], check=True)
    return d


def side_cmd(args, side, data, out):
    if side == "python":
        cmd = [sys.executable, str(HERE / "reference.py"), "--task", TASK, "--solver", "liblinear-dual",
               "--n-jobs", "1", "--data-dir", str(data), "--out", str(out), "--quiet-warnings"]
        return cmd, out / f"{TASK_NAME}.jsonl"
    m = re.fullmatch(r"rust(?:-hash(\d+))?", side)
    if not m:
        raise SystemExit(f"unknown side {side!r}: rust, rust-hashBITS or python")
    cmd = [str(args.rust_bin), "train", "--task", TASK, "--model", "feature", "--data-dir", str(data),
           "--out", str(out), "--models-dir", str(out / "models")]
    if m.group(1):
        cmd += ["--hash-features", m.group(1)]
    return cmd, out / "feature" / f"{TASK_NAME}.jsonl"


def nnz_from_log(text):
    m = re.search(r"(\d+) non-zeros", text)
    return int(m.group(1)) if m else None


def run_side(args, side, k):
    data = ensure_data(args, k)
    out = args.out_dir / "runs" / f"{side}-x{k}"
    cmd, pred = side_cmd(args, side, data, out)
    logs = args.out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    runs = []
    for r in range(args.repeat):
        if pred.exists():
            pred.unlink()
        tag = f"{side}-x{k}-{r + 1}"
        log(f"[x{k}/{side}] run {r + 1}/{args.repeat} $ {' '.join(cmd)}")
        meas = bench.run_measured(cmd, logs / f"{tag}.log", logs / f"{tag}.measure.json")
        meas["log"] = str(logs / f"{tag}.log")
        runs.append(meas)
        log(f"[x{k}/{side}] {meas['wall_s']:.1f} s wall, {meas['cpu_s']:.1f} s CPU, "
            f"peak {meas['maxrss_mb']:.0f} MB, rc {meas['rc']}")
    res = {"side": side, "copies": k, "cmd": cmd, "measure": bench.summarize(runs)}
    text = pathlib.Path(runs[-1]["log"]).read_text(encoding="utf-8", errors="replace")
    res["nnz"] = nnz_from_log(text)
    if res["measure"]["rc"] != 0 or not pred.exists():
        res["error"] = f"exit {res['measure']['rc']}"
    else:
        gold = bench.read_jsonl(data / TASK_NAME / "test_v1.jsonl")
        res["test"] = bench.score(TASK, gold, pred)
    path = args.out_dir / "results" / f"{side}-x{k}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=1), encoding="utf-8")
    log(f"[x{k}/{side}] test {res.get('test')} -> {path}")
    return res


def load(args, side, k):
    path = args.out_dir / "results" / f"{side}-x{k}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def render(args, copies, sides):
    head = ["copies", "notes", "non-zeros"]
    for s in sides:
        head += [f"{s} wall s", f"{s} CPU s", f"{s} peak MB", f"{s} test Acc/Hit@3", f"{s} growth"]
    rust_sides = [s for s in sides if s != "python"]
    if "python" in sides:
        head += [f"python/{s} {what}" for what in ("wall", "CPU", "memory") for s in rust_sides]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    prev = {}
    for k in copies:
        got = {s: load(args, s, k) for s in sides}
        nnz = next((g["nnz"] for g in got.values() if g and g.get("nnz")), None)
        cells = [str(k), f"{4690 * k:,}", "—" if nnz is None else f"{nnz / 1e6:.1f}M"]
        for s in sides:
            g = got[s]
            if not g:
                cells += ["—"] * 5
                continue
            m = g["measure"]
            test = g.get("error") or f"{g['test']['acc']:.2f}/{g['test']['hit3']:.2f}"
            growth = bench.ratio(m["wall_s"], prev[s]) if s in prev else "—"
            prev[s] = m["wall_s"]
            cells += [bench.num(m["wall_s"]), bench.num(m["cpu_s"]), bench.num(m["maxrss_mb"], ".0f"), test,
                      growth]
        if "python" in sides:
            py = got["python"]
            for key in ("wall_s", "cpu_s", "maxrss_mb"):
                for s in rust_sides:
                    a = py["measure"][key] if py else None
                    b = got[s]["measure"][key] if got[s] else None
                    cells.append(bench.ratio(a, b))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Made by scripts/bench-scale.py: RuMedTop3's train split copied k times by scripts/make-scaled.py "
        f"(seed {args.seed}), scored on the real test split. python = scikit-learn 1.3.2 "
        "LogisticRegression(C=10, solver='liblinear', dual=True), one core; rust = "
        "`rumedbench train --task top3 --model feature` (rust-hashB: with --hash-features B), 2 threads.",
        "Wall/CPU = whole command (load, vectorize, fit, predict dev+test, write); CPU = user+sys; "
        "peak = largest process's ru_maxrss; growth = wall time / the previous row's; on a shared, "
        "loaded machine CPU time is the steadier measure of work (1-min load averages in results/*.json); "
        "times are medians over the runs, peaks the largest (runs per result in results/*.json).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", default="1,4,10,30")
    ap.add_argument("--sides", default="rust,python", help="comma list of rust, rust-hashBITS, python")
    ap.add_argument("--data-dir", default="data", type=pathlib.Path)
    ap.add_argument("--out-dir", default="out/scale", type=pathlib.Path)
    ap.add_argument("--report", type=pathlib.Path)
    ap.add_argument("--rust-bin", default=bench.REPO / "target" / "release" / "rumedbench", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--render", action="store_true", help="only render the stored results")
    args = ap.parse_args(argv)
    copies = [int(c) for c in args.copies.split(",") if c.strip()]
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    failed = False
    if not args.render:
        if any(s != "python" for s in sides):
            bench.ensure_rust_bin(args.rust_bin)
        for k in copies:
            for s in sides:
                failed |= "error" in run_side(args, s, k)
    table = render(args, copies, sides)
    report = args.report or args.out_dir / "table.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(table, encoding="utf-8")
    print(table, end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
