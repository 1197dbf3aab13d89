# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by the deployment scripts (sourced, not run): a temporary work directory, simulated
# devices and file servers on free loopback ports that are killed on exit, polling with a
# timeout, and checks of exact output. Needs UBPF and UBPF_DEVICE set to the built binaries.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ubpf-deploy.XXXXXX")
BACKGROUND_PIDS=()
DEVICE_PID=
DEVICE_LOG=
export DEVICE= # the URI of the device start_device started

cleanup() {
    local status=$?
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $status -ne 0 && -n "$DEVICE_LOG" && -f "$DEVICE_LOG" ]]; then
        echo "--- last lines of the device log ($DEVICE_LOG) ---" >&2
        tail -n 25 "$DEVICE_LOG" >&2
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# poll TIMEOUT_S DESCRIPTION COMMAND...: runs COMMAND every 50 ms until it succeeds.
poll() {
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || fail "timed out after ${timeout} s waiting for: $what"
        sleep 0.05
    done
}

# A port for this run: derived from the PID, then walked on when something else holds it.
NEXT_PORT=$((30000 + ($$ * 13 + RANDOM) % 19000))

# skip_taken_ports: walks NEXT_PORT past UDP ports that something holds now, for a caller that
# must name the port before it starts its server (a manifest's URI): tests running at the same
# time pick their ports from the same range.
skip_taken_ports() {
    while ! /usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' "$NEXT_PORT" 2>/dev/null; do
        NEXT_PORT=$((NEXT_PORT + 1))
    done
}

# start_background NAME READY_TEXT COMMAND...: starts COMMAND with its output in $WORK/NAME.log on
# the next free port (the command's "@PORT@" arguments), waits until the log shows READY_TEXT.
# Sets STARTED_PID and STARTED_PORT.
start_background() {
    local name=$1 ready=$2
    shift 2
    local arg
    for _ in $(seq 1 20); do
        STARTED_PORT=$NEXT_PORT
        NEXT_PORT=$((NEXT_PORT + 1))
        local args=()
        for arg in "$@"; do args+=("${arg//@PORT@/$STARTED_PORT}"); done
        "${args[@]}" >"$WORK/$name.log" 2>&1 &
        STARTED_PID=$!
        BACKGROUND_PIDS+=("$STARTED_PID")
        local deadline=$((SECONDS + 10))
        while ! grep -q "$ready" "$WORK/$name.log"; do
            if ! kill -0 "$STARTED_PID" 2>/dev/null; then
                grep -qi "bind\|in use\|cannot" "$WORK/$name.log" || fail "$name did not start: $(cat "$WORK/$name.log")"
                continue 2  # the port was taken: try the next one
            fi
            ((SECONDS < deadline)) || fail "$name did not report '$ready' in 10 s"
            sleep 0.02
        done
        return 0
    done
    fail "no free port for $name"
}

# start_device STATE_DIR KEY.pub [more ubpf-device options]: sets DEVICE (the URI) and DEVICE_PID.
start_device() {
    local state=$1 key=$2
    shift 2
    start_background device "ubpf-device listening on" "$UBPF_DEVICE" --listen 127.0.0.1:@PORT@ \
        --key "$key" --state "$state" "$@"
    DEVICE_PID=$STARTED_PID
    DEVICE_LOG=$WORK/device.log
    DEVICE=coap://127.0.0.1:$STARTED_PORT
}

stop_device() {
    kill "$DEVICE_PID"
    wait "$DEVICE_PID" 2>/dev/null || true
}

# run_cmd COMMAND...: runs COMMAND, keeps its stdout in OUT, stderr in ERR and exit code in RC.
run_cmd() {
    RC=0
    "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [[ "$2" == "$3" ]] || fail "$1: expected
  '$2'
got
  '$3'"
}

# expect_ok EXPECTED_STDOUT COMMAND...: exit code 0, no stderr, stdout exactly as given.
expect_ok() {
    local expected=$1
    shift
    run_cmd "$@"
    expect_eq "exit code of '$*' (stderr: $ERR)" 0 "$RC"
    expect_eq "stderr of '$*'" "" "$ERR"
    expect_eq "output of '$*'" "$expected" "$OUT"
}

# expect_error EXPECTED_STDERR COMMAND...: exit code 1 and stderr exactly as given.
expect_error() {
    local expected=$1
    shift
    run_cmd "$@"
    expect_eq "exit code of '$*' (stdout: $OUT)" 1 "$RC"
    expect_eq "error of '$*'" "$expected" "$ERR"
}

# The TEST_RESULT header of a test program, as `ubpf exec` prints it.
expected_result() {
    local value
    value=$(sed -n 's|^// TEST_RESULT: *\(-\{0,1\}[0-9][0-9]*\).*|\1|p' "$1")
    [[ -n "$value" ]] || fail "$1 has no TEST_RESULT header"
    printf 'result: %d (0x%x)' "$value" "$value"
}
