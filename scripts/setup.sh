#!/usr/bin/env bash
# One-time set-up on a fresh machine: a virtual environment with relsynth and its test tools.
# torch is installed first and pinned: 2.13.0 is the CPU build (an unpinned torch pulls GBs of CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e '.[test,dp]'
echo "set up: .venv (run .venv/bin/relsynth --help)"
