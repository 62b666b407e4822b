#!/usr/bin/env bash
# Runs the whole default test suite (lint + tests). Usage: bash scripts/test.sh [pytest args]
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
# The postgres state-backend tests start a throwaway server: install it when missing.
[ -n "${ASSISTPLAN_SKIP_PG:-}" ] || bash scripts/ensure_postgres.sh
ruff check src tests benchmarks
set +e
python -m pytest -n 2 "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi
exit "$rc"
