#!/usr/bin/env bash
# The main job: plan and apply the HR example against the embedded sandbox.
START="$PWD"
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
EXAMPLE="${1:-examples/hr-bot}"
assistplan -C "$EXAMPLE" --sandbox validate
assistplan -C "$EXAMPLE" --sandbox plan
assistplan -C "$EXAMPLE" --sandbox apply --auto-approve
assistplan -C "$EXAMPLE" --sandbox plan --detailed-exitcode
assistplan -C "$EXAMPLE" --sandbox output --json
# Paths as the user can type them from where they started (the commands above ran in $ROOT).
HERE="$ROOT/"
[ "$START" = "$ROOT" ] && HERE=""
SHOWN="$EXAMPLE"
[ "${EXAMPLE#/}" = "$EXAMPLE" ] && SHOWN="$HERE$EXAMPLE"
cat <<MSG

Done. To run assistplan yourself, activate its virtualenv once per shell:
  source ${HERE}.venv/bin/activate
  assistplan -C $SHOWN --sandbox plan
or call it by path: ${HERE}.venv/bin/assistplan --help
or install it into an environment of your own: pip install ${HERE:-.}
MSG
