#!/usr/bin/env bash
# The test suite: unit and integration tests on SQLite, PostgreSQL and MariaDB (what CI runs).
#   ./scripts/test.sh            everything
#   ./scripts/test.sh --fast     the inner loop: no test marked slow (no shared-dataset clone), < 1 min
# Other arguments go to pytest (a path, -k EXPR, -x, ...). Server URLs come from
# RELSYNTH_TEST_POSTGRES_URL / RELSYNTH_TEST_MARIADB_URL; defaults are this machine's services.
# Under CI=true a missing engine fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
export RELSYNTH_TEST_POSTGRES_URL="${RELSYNTH_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export RELSYNTH_TEST_MARIADB_URL="${RELSYNTH_TEST_MARIADB_URL:-mysql://root@127.0.0.1:3306/test}"
args=()
for arg in "$@"; do
  if [[ "$arg" == "--fast" ]]; then
    args+=(-m "not slow")
  else
    args+=("$arg")
  fi
done
exec .venv/bin/python -m pytest -n 2 ${args[@]+"${args[@]}"}
