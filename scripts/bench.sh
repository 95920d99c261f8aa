#!/usr/bin/env bash
# bench.sh - side-by-side benchmark of the Python reference recipe and the Rust tool.
#
# What: makes sure the Python bench venv exists (scripts/.venv, git-ignored, created
# from scripts/requirements-bench.txt with `python3 -m venv` + pip if absent), then
# runs scripts/bench.py with it. bench.py builds target/release/rumedbench with
# `cargo build --release` if it is missing, runs scripts/reference.py and
# `rumedbench train --task T --model feature` for each task, measures wall time and
# peak RSS (getrusage in a fresh child: no extra package needed), scores both sides
# with one scorer and compares them with the paper's released predictions.
#
# How (from anywhere; paths are relative to the repo root):
#   scripts/bench.sh                                  # all four tasks, data in data/
#   scripts/bench.sh --tasks top3,danet --report out/bench/report.md
#   scripts/bench.sh --skip-rust --solver liblinear   # Python side only
#   scripts/bench.sh --help                           # every option
# Env: PYTHON (default python3) is the interpreter used to create the venv.
#
# Prints: progress on stderr; the Markdown table on stdout (also in --report,
# default out/bench/report.md, plus raw numbers in <report>.json).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
venv="${script_dir}/.venv"
requirements="${script_dir}/requirements-bench.txt"
python="${PYTHON:-python3}"

cd "${repo_root}"

if [[ ! -x "${venv}/bin/python" ]]; then
    echo "bench.sh: creating ${venv} from ${requirements}" >&2
    "${python}" -m venv "${venv}"
    "${venv}/bin/pip" install --quiet --disable-pip-version-check -r "${requirements}"
elif [[ "${requirements}" -nt "${venv}/.requirements-installed" ]]; then
    echo "bench.sh: ${requirements} changed; updating ${venv}" >&2
    "${venv}/bin/pip" install --quiet --disable-pip-version-check -r "${requirements}"
fi
touch "${venv}/.requirements-installed"

exec "${venv}/bin/python" "${script_dir}/bench.py" "$@"
