#!/usr/bin/env bash
# The full test suite: brings the local stack up (installing it on first use), runs the deploy
# check (sam validate, the arm64 release build `sam build` makes, zip size budget, panics
# unwind: infra/deploy/build.sh) and synthesizes the CDK app with cdk-nag (infra/cdk/synth.sh),
# then runs every test of the workspace against the local stack (DynamoDB Local, moto, the
# SP-API simulator), the built bootstraps under a Lambda Runtime API, and the SAM/CDK parity.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# An assignment, so a stack that does not come up stops the script here (set -e).
STACK_ENV="$(bash infra/local/stack.sh up)"
eval "$(sed 's/^/export /' <<<"$STACK_ENV")"
DEPLOY_ENV="$(bash infra/deploy/build.sh)"
eval "$(sed 's/^/export /' <<<"$DEPLOY_ENV")"
CDK_ENV="$(bash infra/cdk/synth.sh)"
eval "$(sed 's/^/export /' <<<"$CDK_ENV")"
# Every test process (and the demo below) writes its JSON logs at debug level here.
export AUTOPILOT_LOG_DIR="$ROOT/target/log-scan"
rm -rf "$AUTOPILOT_LOG_DIR"
mkdir -p "$AUTOPILOT_LOG_DIR"
cargo test --workspace --all-targets "$@"
if [[ $# -eq 0 ]]; then
    # The whole suite ran: run the demo too, check README's session against its output, then
    # every log line both wrote through the scanner for buyers' personal data and secrets
    # (tests/src/log_scan.rs).
    cargo run --quiet -p autopilot-demo -- --out "$ROOT/out/demo" > "$AUTOPILOT_LOG_DIR/demo-output.txt"
    # The session README shows is the one the demo ran (tests/src/readme_session.rs).
    cargo run --quiet -p autopilot-tests --bin readme-session -- README.md "$AUTOPILOT_LOG_DIR/demo-output.txt"
    cargo run --quiet -p autopilot-tests --bin log-scan -- "$AUTOPILOT_LOG_DIR"
fi
