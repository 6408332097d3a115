#!/usr/bin/env bash
# Runs one function's built bootstrap as Lambda runs it, against the local stack:
#   bash infra/local/lambda.sh FUNCTION EVENT.json [--deadline timeout|missing|EPOCH_MS]
# FUNCTION is the binary (order-events, order-sync, solicit, feedback-sync, alerts) or the
# template's logical id. Starts the stack, builds the artifacts (incremental), then runs
# lambda-local (infra/local/lambda-local): the answer on stdout, the function's logs on stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[[ $# -ge 2 ]] || { echo "usage: $0 FUNCTION EVENT.json [--deadline timeout|missing|EPOCH_MS]" >&2; exit 2; }
STACK_ENV="$(bash infra/local/stack.sh up)"
eval "$(sed 's/^/export /' <<<"$STACK_ENV")"
DEPLOY_ENV="$(bash infra/deploy/build.sh)"
eval "$(sed 's/^/export /' <<<"$DEPLOY_ENV")"
cargo run --quiet -p lambda-local -- "$@"
