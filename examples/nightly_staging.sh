#!/usr/bin/env bash
# Nightly CI job: refresh the staging database with a synthetic clone of production, then gate on
# the report. Exits non-zero when the clone fails or when the report's gate fails (exit 5), so the
# scheduler (cron, a CI schedule) flags the night.
#
#   RELSYNTH_SOURCE_URL=postgresql://reader@prod-db/shop \
#   RELSYNTH_STAGING_URL=postgresql://writer@staging-db/shop \
#   examples/nightly_staging.sh
#
# Environment (URLs are never echoed: they may hold passwords; prefer ~/.pgpass or PGPASSWORD):
#   RELSYNTH_SOURCE_URL   production, only read (opened read-only)                      required
#   RELSYNTH_STAGING_URL  the database replaced every night                             required
#   RELSYNTH_CONFIG       relsynth TOML (default: relsynth.toml beside this script)
#   RELSYNTH_OUT          where the run, report.html and report.json go (default: ./nightly)
#   RELSYNTH_FAIL_UNDER   space-separated NAME=VALUE limits (default: "quality=0.8")
#   RELSYNTH_FAIL_OVER    space-separated NAME=VALUE limits (default: "detection=0.8")
#   RELSYNTH              the relsynth command (default: relsynth on PATH)
# Limits are added to the report's defaults (no orphan, no missing or empty table, row counts
# within 25%, membership advantage <= 0.3, no verbatim identifier); `relsynth report --help`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
: "${RELSYNTH_SOURCE_URL:?set RELSYNTH_SOURCE_URL to the production database URL}"
: "${RELSYNTH_STAGING_URL:?set RELSYNTH_STAGING_URL to the staging database URL}"
config="${RELSYNTH_CONFIG:-$here/relsynth.toml}"
out="${RELSYNTH_OUT:-nightly}"
read -r -a relsynth <<< "${RELSYNTH:-relsynth}"
mkdir -p "$out"

gate=()
for limit in ${RELSYNTH_FAIL_UNDER-quality=0.8}; do gate+=(--fail-under "$limit"); done
for limit in ${RELSYNTH_FAIL_OVER-detection=0.8}; do gate+=(--fail-over "$limit"); done

# 1. Learn production and replace staging's tables, all or nothing: a failure (or Ctrl-C) leaves
#    staging as it was. The run is kept so the report can use its held-out rows.
"${relsynth[@]}" clone "$RELSYNTH_SOURCE_URL" "$RELSYNTH_STAGING_URL" \
  --replace --config "$config" --workspace "$out/run" --replace-workspace

# 2. Measure the clone against production; exit 5 when a limit is not met.
status=0
"${relsynth[@]}" report "$RELSYNTH_SOURCE_URL" "$RELSYNTH_STAGING_URL" \
  --config "$config" --workspace "$out/run" \
  --html "$out/report.html" --json "$out/report.json" ${gate[@]+"${gate[@]}"} || status=$?

if [[ $status -ne 0 ]]; then
  echo "nightly staging refresh: the report's gate failed (exit $status); see $out/report.html" >&2
else
  echo "nightly staging refresh: staging replaced, report passed ($out/report.html)"
fi
# The workspace holds held-out real rows: keep it as private as production.
exit "$status"
