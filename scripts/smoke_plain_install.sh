#!/usr/bin/env bash
# A user's plain install: `pip install .` without extras, into a fresh venv, takes the newest release
# of every dependency (pandas 3 included); then the demo clones, reports and must exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .venv-plain
python3 -m venv .venv-plain
.venv-plain/bin/pip install -q --upgrade pip
.venv-plain/bin/pip install -q torch==2.13.0
.venv-plain/bin/pip install -q .
.venv-plain/bin/pip list 2>/dev/null | grep -iE '^(pandas|numpy|sqlalchemy|scikit-learn) '
folder=$(mktemp -d)
(cd "$folder" && "$OLDPWD/.venv-plain/bin/relsynth" demo >/dev/null)
echo "plain install: relsynth demo cloned and reported in $folder"
