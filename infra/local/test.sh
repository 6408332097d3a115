#!/usr/bin/env bash
# The full test suite: brings the local stack up (installing it on first use) and runs every
# test of the workspace against it (DynamoDB Local, moto, the SP-API simulator).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
eval "$(bash infra/local/stack.sh up | sed 's/^/export /')"
cargo test --workspace --all-targets "$@"
