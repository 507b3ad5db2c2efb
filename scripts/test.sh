#!/usr/bin/env bash
# The test suite: unit tests and integration tests on SQLite, PostgreSQL and MariaDB.
# Server URLs come from RELSYNTH_TEST_POSTGRES_URL / RELSYNTH_TEST_MARIADB_URL; defaults are this
# machine's services. Under CI=true a missing engine fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
export RELSYNTH_TEST_POSTGRES_URL="${RELSYNTH_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export RELSYNTH_TEST_MARIADB_URL="${RELSYNTH_TEST_MARIADB_URL:-mysql://root@127.0.0.1:3306/test}"
exec .venv/bin/python -m pytest -n 2 "$@"
