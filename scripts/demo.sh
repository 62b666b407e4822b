#!/usr/bin/env bash
# The main job: plan and apply the HR example against the embedded sandbox.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
EXAMPLE="${1:-examples/hr-bot}"
assistplan -C "$EXAMPLE" --sandbox validate
assistplan -C "$EXAMPLE" --sandbox plan
assistplan -C "$EXAMPLE" --sandbox apply --auto-approve
assistplan -C "$EXAMPLE" --sandbox plan --detailed-exitcode
assistplan -C "$EXAMPLE" --sandbox output --json
