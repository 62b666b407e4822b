# Sourced by the scripts: makes and activates the project's virtualenv.
#
# With ASSISTPLAN_FRESH_ENV=1 (the test command sets it), every run re-resolves the project's
# dependencies against today's releases (`pip install --upgrade --upgrade-strategy eager`,
# about 4 s when nothing changed), so the suite tests what a fresh clone would install, never
# what an old `.venv` happens to hold; then `pip check` verifies the result. Offline, set
# ASSISTPLAN_OFFLINE=1 to test the installed environment as it is (a warning says so).
# Otherwise (the demo), packages are installed once per version of pyproject.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ "${ASSISTPLAN_FRESH_ENV:-}" = "1" ] && [ "${ASSISTPLAN_OFFLINE:-}" = "1" ] && [ -f "$stamp" ]; then
  echo "_env.sh: ASSISTPLAN_OFFLINE=1: testing the installed packages without checking for new releases" >&2
elif [ "${ASSISTPLAN_FRESH_ENV:-}" = "1" ] || [ ! -f "$stamp" ]; then
  rm -f .venv/.installed-*
  python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  if ! python -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager \
    -e ".[dev]" 2> >(grep -v '^WARNING: Location' >&2); then
    echo "_env.sh: installing the project's packages failed (offline? set ASSISTPLAN_OFFLINE=1 to" \
      "test what is installed)" >&2
    exit 1
  fi
  python -m pip check --disable-pip-version-check >&2
  touch "$stamp"
fi
