#!/usr/bin/env bash
# Runs the whole default test suite: lint, format and type checks, then the tests.
# Usage: bash scripts/test.sh [pytest args]
# The environment is re-resolved against today's releases first (see _env.sh).
export ASSISTPLAN_FRESH_ENV=1
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
# The postgres state-backend tests start a throwaway server: install it when missing.
[ -n "${ASSISTPLAN_SKIP_PG:-}" ] || bash scripts/ensure_postgres.sh
ruff check src tests benchmarks examples
ruff format --check src tests benchmarks examples
mypy src
set +e
python -m pytest -n 2 "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi
exit "$rc"
