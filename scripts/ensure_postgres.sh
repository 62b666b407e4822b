#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are installed, for the
# tests of the postgres state backend (they start a throwaway server; see tests/state/pg_server.py).
# Idempotent and quiet: does nothing when they are found; otherwise installs Debian's `postgresql`
# package with apt-get (needs root or sudo). Exits non-zero, with a message, if that is impossible.
set -euo pipefail

have_postgres() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      return 0
    fi
  fi
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      return 0
    fi
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

if have_postgres; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_postgres: PostgreSQL is not installed and apt-get is not available;" \
    "install PostgreSQL (initdb, pg_ctl) or set ASSISTPLAN_SKIP_PG=1 to skip its tests" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "ensure_postgres: PostgreSQL is not installed and installing it needs root" >&2
    exit 1
  fi
fi

echo "ensure_postgres: installing PostgreSQL (apt-get install postgresql)..." >&2
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends postgresql; } \
  >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "ensure_postgres: apt-get install postgresql failed" >&2
  exit 1
fi

if ! have_postgres; then
  echo "ensure_postgres: postgresql was installed but initdb/pg_ctl were not found" >&2
  exit 1
fi
