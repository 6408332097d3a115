#!/usr/bin/env bash
# The main job, locally: brings the local stack up (installing it on first use), then runs the
# pipeline against it and writes the seller e-mails it sent under out/demo/mail.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# An assignment, so a stack that does not come up stops the script here (set -e).
STACK_ENV="$(bash infra/local/stack.sh up)"
eval "$(sed 's/^/export /' <<<"$STACK_ENV")"
cargo run --quiet -p autopilot-demo -- --out "$ROOT/out/demo" "$@"
