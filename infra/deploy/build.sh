#!/usr/bin/env bash
# The deploy check: what `sam deploy` would ship, built and checked offline.
#
#   infra/deploy/build.sh          install the tools if needed, `sam validate --lint`, `sam build`
#                                  (arm64, cargo-lambda + zig, exactly as a user's `sam build`),
#                                  check each function's zipped artifact against the size budget
#                                  and that it was built to unwind panics; prints the sizes and,
#                                  last, AUTOPILOT_LAMBDA_ARTIFACTS=<dir> (one <Function>/bootstrap
#                                  per function) and the tools' environment as KEY=VALUE lines
#   infra/deploy/build.sh tools    install the tools only, then print their environment
#
# Tools (cargo-lambda and zig from PyPI, AWS SAM CLI and aws-sam-translator, the arm64 Rust
# target, qemu-user to run the arm64 binaries on this machine) and the build's target dir live
# in $AUTOPILOT_CACHE_DIR (default ~/.cache/feedback-autopilot), never in the clone: a second run
# is incremental (seconds when nothing changed). The tools' venv is keyed by their versions, so
# changing a version below installs afresh.
set -euo pipefail

CARGO_LAMBDA_VERSION="1.9.2"
ZIG_VERSION="0.15.2"
SAM_CLI_VERSION="1.170.0"
# The zipped bootstrap of each function must stay within this many bytes.
ZIP_BUDGET_BYTES="${AUTOPILOT_ZIP_BUDGET_BYTES:-5000000}"
QEMU_PACKAGES=(qemu-user libc6-arm64-cross)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${AUTOPILOT_CACHE_DIR:-$HOME/.cache/feedback-autopilot}"
VENV="$CACHE/venv-deploy-cl$CARGO_LAMBDA_VERSION-zig$ZIG_VERSION-sam$SAM_CLI_VERSION"
# The arm64 build's target dir, shared by `sam build`, the CDK app's bundling and later runs.
export CARGO_TARGET_DIR="$CACHE/target-lambda"
SAM_BUILD_DIR="$CACHE/sam-build"

log() { printf '[deploy] %s\n' "$*" >&2; }
die() { printf '[deploy] error: %s\n' "$*" >&2; exit 1; }

install_venv() {
    if [[ -f "$VENV/.installed" ]]; then return; fi
    log "installing cargo-lambda $CARGO_LAMBDA_VERSION, ziglang $ZIG_VERSION, aws-sam-cli $SAM_CLI_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIG_VERSION" "aws-sam-cli==$SAM_CLI_VERSION"
    touch "$VENV/.installed"
}

install_target() {
    if rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then return; fi
    log "adding the Rust target aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu >&2
}

# Debian's qemu-user and the arm64 C library, so the arm64 bootstraps run on this x86_64 machine.
install_qemu() {
    if command -v qemu-aarch64 >/dev/null 2>&1 && [[ -d /usr/aarch64-linux-gnu/lib ]]; then return; fi
    local apt=(apt-get)
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
            || die "qemu-user is missing: run 'apt-get install ${QEMU_PACKAGES[*]}' as root"
        apt=(sudo -n apt-get)
    fi
    log "installing ${QEMU_PACKAGES[*]} (Debian packages) to run the arm64 binaries"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${QEMU_PACKAGES[@]}" >&2
}

tools() {
    mkdir -p "$CACHE"
    install_venv
    install_target
    install_qemu
    export PATH="$VENV/bin:$PATH"
    export SAM_CLI_TELEMETRY=0
}

print_tools_env() {
    echo "AUTOPILOT_DEPLOY_BIN=$VENV/bin"
    echo "AUTOPILOT_LAMBDA_TARGET_DIR=$CARGO_TARGET_DIR"
    echo "AUTOPILOT_QEMU=$(command -v qemu-aarch64)"
    echo "AUTOPILOT_QEMU_LD_PREFIX=/usr/aarch64-linux-gnu"
}

# Zip one bootstrap as `sam deploy` uploads it (deflated, the file at the archive's root) and
# print its size in bytes.
zip_size() {
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
bootstrap, archive = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(archive, "w") as z, open(bootstrap, "rb") as f:
    z.writestr(info, f.read(), compresslevel=9)
print(os.path.getsize(archive))
PY
}

build() {
    tools
    cd "$ROOT"
    log "sam validate --lint"
    sam validate --lint --region us-east-1 --template-file template.yaml >&2
    log "sam build: every function for arm64 with cargo-lambda (target dir $CARGO_TARGET_DIR)"
    local started=$SECONDS
    sam build --beta-features --build-dir "$SAM_BUILD_DIR" --template-file template.yaml \
        --region us-east-1 >&2
    log "sam build took $((SECONDS - started)) s"
    local zips="$CACHE/lambda-zips" failed=0 function bootstrap size
    rm -rf "$zips"
    mkdir -p "$zips"
    printf '%-24s %12s %12s  %s\n' function bootstrap zipped "budget $ZIP_BUDGET_BYTES bytes" >&2
    for function in $(sed -n 's/^  \([A-Z][A-Za-z]\+Function\):$/\1/p' template.yaml); do
        bootstrap="$SAM_BUILD_DIR/$function/bootstrap"
        [[ -f "$bootstrap" ]] || die "sam build left no bootstrap for $function"
        size="$(zip_size "$bootstrap" "$zips/$function.zip")"
        local verdict=ok
        if ((size > ZIP_BUDGET_BYTES)); then verdict="OVER BUDGET"; failed=1; fi
        # runtime::PANIC_STRATEGY: the text the binary was compiled with.
        if ! grep -q --text 'autopilot-panic-strategy:unwind' "$bootstrap"; then
            verdict="$verdict; NOT BUILT TO UNWIND PANICS"
            failed=1
        fi
        printf '%-24s %12s %12s  %s\n' "$function" "$(stat -c %s "$bootstrap")" "$size" "$verdict" >&2
    done
    ((failed == 0)) || die "an artifact is over the size budget or aborts on panic (see above)"
    echo "AUTOPILOT_LAMBDA_ARTIFACTS=$SAM_BUILD_DIR"
    print_tools_env
}

case "${1:-build}" in
    tools) tools; print_tools_env ;;
    build) build ;;
    *) die "usage: $0 [build|tools]" ;;
esac
