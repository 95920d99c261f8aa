#!/usr/bin/env bash
# Fills data/ with the RuMedBench task files and verifies each against data/SHA256SUMS.
#
#   scripts/fetch-data.sh [--from DIR] [--dest DIR]
#
# --from DIR  copy from a local copy of upstream's data/ folder. Default: ../shared/rumedbench/data
#             when it exists; otherwise the files are downloaded from the pinned upstream commit
#             (github sb-ai-lab/MedBench, data/, commit dd57f4f).
# --dest DIR  where to put them (default: data/ beside this script's parent).
#
# RuMedNLI's train split is PhysioNet credentialed data and is not fetched: obtain it from
# https://physionet.org/content/rumednli/ and save it as <dest>/RuMedNLI/train_v1.jsonl.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sums="$root/data/SHA256SUMS"
dest="$root/data"
from=""
commit="dd57f4f4f11aebe4fd18011b109d96b6d331a1bf"
base_url="https://raw.githubusercontent.com/sb-ai-lab/MedBench/$commit/data"

while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:?--from needs a directory}"; shift 2 ;;
    --dest) dest="${2:?--dest needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "fetch-data: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$from" ] && [ -d "$root/../shared/rumedbench/data" ]; then
  from="$root/../shared/rumedbench/data"
fi
if [ -n "$from" ] && [ ! -d "$from" ]; then
  echo "fetch-data: --from $from is not a directory" >&2
  exit 1
fi

mkdir -p "$dest"
bad=0
while read -r sum rel; do
  [ -n "$rel" ] || continue
  target="$dest/$rel"
  mkdir -p "$(dirname "$target")"
  if [ -f "$target" ] && echo "$sum  $target" | sha256sum -c --quiet - >/dev/null 2>&1; then
    continue
  fi
  tmp="$target.part"
  if [ -n "$from" ]; then
    if [ ! -f "$from/$rel" ]; then
      echo "fetch-data: $from/$rel is missing" >&2
      bad=1
      continue
    fi
    cp "$from/$rel" "$tmp"
  else
    if ! curl -fsSL --retry 3 -o "$tmp" "$base_url/$rel"; then
      echo "fetch-data: could not download $base_url/$rel" >&2
      rm -f "$tmp"
      bad=1
      continue
    fi
  fi
  if echo "$sum  $tmp" | sha256sum -c --quiet - >/dev/null 2>&1; then
    chmod u+w "$tmp"
    mv -f "$tmp" "$target"
  else
    echo "fetch-data: checksum mismatch for $rel (got $(sha256sum "$tmp" | cut -d' ' -f1), want $sum)" >&2
    rm -f "$tmp"
    bad=1
  fi
done < "$sums"

if [ "$bad" -ne 0 ]; then
  echo "fetch-data: some files are missing or wrong (see above); the others are verified and in place" >&2
  exit 1
fi
echo "fetch-data: $(grep -c . "$sums") files verified in $dest${from:+ (from $from)}"
if [ ! -f "$dest/RuMedNLI/train_v1.jsonl" ]; then
  echo "fetch-data: note: RuMedNLI's train split is PhysioNet credentialed and not fetched;" \
       "see https://physionet.org/content/rumednli/ (train --task all trains NLI on dev instead)."
fi
