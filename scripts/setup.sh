#!/usr/bin/env bash
# One step from a fresh machine (Rust, a C compiler, Python 3) to training:
#
#   scripts/setup.sh [fetch-data.sh arguments]
#
# 1. cmake: the crfsuite crate builds CRFsuite and liblbfgs (C) with it. When `cmake` is not on
#    PATH it is installed with the system package manager (apt-get, as root or through sudo), or
#    else from PyPI (`python3 -m pip install --user cmake`, whose binary lands in ~/.local/bin).
# 2. java: the Spark tests of the Python package (python/tests/test_spark.py, rumedbench.spark)
#    run a local Spark session on the JVM. When `java` is not on PATH a JRE (Debian/Ubuntu's
#    default-jre-headless, Java 17 on Debian 12) is installed with apt-get (as root or through
#    sudo); without apt-get a note says what to install, and nothing else needs Java.
# 3. the data: scripts/fetch-data.sh with the arguments given (see its --help).
#
# It is idempotent: a second run finds cmake and verifies the data files again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "setup: $*" >&2; }

install_cmake() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    say "installing cmake with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq cmake >/dev/null
  else
    say "installing cmake from PyPI (python3 -m pip install --user cmake)"
    python3 -m pip install --user --quiet cmake
    export PATH="$HOME/.local/bin:$PATH"
    command -v cmake >/dev/null 2>&1 ||
      { say "cmake was installed but is not on PATH: add ~/.local/bin to PATH"; exit 1; }
    case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) say "note: add ~/.local/bin to PATH for later builds" ;; esac
  fi
}

if command -v cmake >/dev/null 2>&1; then
  say "cmake found: $(cmake --version | head -n 1)"
else
  install_cmake
  say "cmake installed: $(cmake --version | head -n 1)"
fi

install_jre() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    say "installing a JRE (default-jre-headless) with apt-get, for the Spark tests"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq default-jre-headless >/dev/null
  else
    say "note: java is missing and cannot be installed with apt-get here; install a Java 17 JRE" \
      "for rumedbench.spark and its tests (everything else works without it)"
  fi
}

if command -v java >/dev/null 2>&1; then
  say "java found: $(java -version 2>&1 | head -n 1)"
else
  install_jre
  command -v java >/dev/null 2>&1 && say "java installed: $(java -version 2>&1 | head -n 1)"
fi

"$root/scripts/fetch-data.sh" "$@"
