#!/usr/bin/env bash
# Rebuilds the release binary, then checks every figure README.md and docs/*.md quote that takes under a minute
# to produce (see scripts/readme-check.py). `--update` rewrites the README instead of failing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
[ -d ../shared/rumedbench ] || { echo "readme-check: ../shared/rumedbench is missing" >&2; exit 1; }
exec python3 scripts/readme-check.py "$@"
