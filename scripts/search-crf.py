#!/usr/bin/env python3
"""Chooses `CrfRecipe::plus()` (the tagging half of `--model plus`) on RuMedNER dev only.

    cargo build --release
    python3 scripts/search-crf.py [--data-dir ../shared/rumedbench/data] > scripts/search-crf.out.tsv

Every variant is one `rumedbench train` of an own task made of RuMedNER's train and dev files
only (`--train`, `--dev`, no `--test`): the test file is never passed, and the script asserts
after each run that the run record lists no file but those two. Stage 1 compares feature
template lists at the paper's c1 = 0.1, c2 = 0.01; stage 2 tries a c1 x c2 grid on the best
list of stage 1. The choice: the best dev entity F1 among the variants whose CPU time (user +
system of the whole `train` run: CRFsuite trains on one thread, and CPU time depends little on
what else the machine runs) is at most TIME_CAP times the paper's features' (ties: the earlier
row); its row is marked `chosen`. Output: one TSV row per variant (dev token accuracy, dev
entity F1, CPU seconds, their ratio to the paper's, peak MiB); notes on stderr.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# CPU time allowed, relative to the paper's features timed in the same run.
TIME_CAP = 3.0

STAGE1 = [
    "paper",
    "bias,lower,suffix:2-3,flags,window:1,bos_eos",
    "bias,lower,affix:2-4,shape,flags,window:1,bigram,bos_eos",
    "bias,lower,affix:2-4,shape,flags,window:1,bos_eos",
    "bias,lower,shape,flags,window:1,affix:2-4,bigram,bos_eos",
    "bias,lower,shape,window:1,affix:2-4,flags,bigram,bos_eos",
    "bias,lower,suffix:2-4,shape,flags,window:1,prefix:2-4,bigram,bos_eos",
    "bias,lower,affix:1-4,shape,flags,window:1,bigram,bos_eos",
    "bias,lower,affix:2-5,shape,flags,window:1,bigram,bos_eos",
    "bias,lower,shape,flags,window:2,affix:2-4,bigram,bos_eos",
    "bias,word,lower,shape,flags,window:1,affix:2-4,bigram,bos_eos",
    "bias,lower,affix:3-3,shape,flags,window:1,bigram,bos_eos",
]
C1 = ["0.05", "0.1", "0.2", "0.5"]
C2 = ["0.001", "0.01", "0.1"]


def run(binary, data, templates, c1, c2):
    train = os.path.join(data, "RuMedNER", "train_v1.jsonl")
    dev = os.path.join(data, "RuMedNER", "dev_v1.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            binary, "train", "--quiet",
            "--train", train, "--dev", dev,
            "--tokens-field", "tokens", "--tags-field", "ner_tags",
            "--out", os.path.join(tmp, "out"), "--models-dir", os.path.join(tmp, "models"),
            "--crf-templates", templates, "--c1", c1, "--c2", c2,
        ]
        assert not any("test" in os.path.basename(a) for a in cmd), cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        (record,) = [
            os.path.join(d, f)
            for d, _, fs in os.walk(os.path.join(tmp, "out"))
            for f in fs
            if f.endswith(".run.json")
        ]
        with open(record, encoding="utf-8") as f:
            r = json.load(f)
    read = sorted(os.path.realpath(d["path"]) for d in r["data_files"])
    assert read == sorted(os.path.realpath(p) for p in (train, dev)), read
    assert r.get("test") is None, "a test figure appeared"
    return r["dev"]["acc"], r["dev"]["f1"], cpu, r["peak_memory_mib"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "rumedbench", "data"))
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "rumedbench"))
    a = ap.parse_args()
    rows = []

    def variant(stage, templates, c1, c2):
        acc, f1, secs, mib = run(a.binary, a.data_dir, templates, c1, c2)
        rows.append([stage, templates, c1, c2, acc, f1, secs, mib])
        print(f"{stage} {templates} c1={c1} c2={c2}: dev acc {acc:.2f} f1 {f1:.2f}, {secs:.1f} CPU s",
              file=sys.stderr, flush=True)

    for t in STAGE1:
        variant(1, t, "0.1", "0.01")
    paper_secs = rows[0][6]
    allowed = lambda r: r[6] <= TIME_CAP * paper_secs
    best1 = max((r for r in rows if allowed(r)), key=lambda r: r[5])
    for c1 in C1:
        for c2 in C2:
            if (c1, c2) != ("0.1", "0.01"):
                variant(2, best1[1], c1, c2)
    chosen = max((r for r in rows if allowed(r)), key=lambda r: r[5])
    print("stage\ttemplates\tc1\tc2\tdev_acc\tdev_entity_f1\tcpu_s\tx_paper_cpu\tpeak_mib\tnote")
    for r in rows:
        note = "chosen" if r is chosen else ("" if allowed(r) else f"over {TIME_CAP}x time")
        print(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]:.2f}\t{r[5]:.2f}\t{r[6]:.1f}\t"
              f"{r[6] / paper_secs:.2f}\t{r[7]:.0f}\t{note}")


if __name__ == "__main__":
    main()
