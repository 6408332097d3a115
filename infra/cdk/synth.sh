#!/usr/bin/env bash
# Synthesizes the CDK app offline (cargo-lambda builds the functions, cdk-nag's AwsSolutions
# checks run; an unacknowledged finding fails the synth) and expands template.yaml with
# aws-sam-translator, for the parity test. Prints where both went:
#   AUTOPILOT_CDK_TEMPLATE=<cdk.out>/FeedbackAutopilot.template.json
#   AUTOPILOT_SAM_EXPANDED=<cdk.out>/sam-expanded.json
# node_modules live in $AUTOPILOT_CACHE_DIR, keyed by package-lock.json (linked from here);
# the build tools and target dir are infra/deploy/build.sh's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${AUTOPILOT_CACHE_DIR:-$HOME/.cache/feedback-autopilot}"
OUT="$ROOT/target/cdk.out"

log() { printf '[cdk] %s\n' "$*" >&2; }

key="$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -c1-16)"
modules="$CACHE/cdk-node-$key"
if [[ ! -f "$modules/.installed" ]]; then
    log "installing the CDK app's npm packages (package-lock.json) into $modules"
    rm -rf "$modules"
    mkdir -p "$modules"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$modules/"
    (cd "$modules" && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$modules/.installed"
fi
ln -sfn "$modules/node_modules" "$HERE/node_modules"

# cargo-lambda, zig, the arm64 target and the shared target dir (incremental after build.sh).
eval "$(bash "$ROOT/infra/deploy/build.sh" tools | sed 's/^/export /')"
export PATH="$AUTOPILOT_DEPLOY_BIN:$PATH" CARGO_TARGET_DIR="$AUTOPILOT_LAMBDA_TARGET_DIR"
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true

cd "$HERE"
"$HERE/node_modules/.bin/tsc" -p "$HERE"
log "cdk synth (cargo-lambda bundling, cdk-nag AwsSolutions)"
rm -rf "$OUT"
"$HERE/node_modules/.bin/cdk" synth --no-notices --no-version-reporting --quiet --output "$OUT" >&2
"$AUTOPILOT_DEPLOY_BIN/python" "$HERE/sam_expand.py" "$ROOT/template.yaml" "$OUT/sam-expanded.json"
echo "AUTOPILOT_CDK_TEMPLATE=$OUT/FeedbackAutopilot.template.json"
echo "AUTOPILOT_SAM_EXPANDED=$OUT/sam-expanded.json"
