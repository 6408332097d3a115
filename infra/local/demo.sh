#!/usr/bin/env bash
# The main job, locally: brings the local stack up (installing it on first use), then runs the
# pipeline against it and writes the seller e-mails it sent under out/demo/mail.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
eval "$(bash infra/local/stack.sh up | sed 's/^/export /')"
cargo run --quiet -p autopilot-demo -- --out "$ROOT/out/demo" "$@"
