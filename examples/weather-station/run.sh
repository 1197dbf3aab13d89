#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The weather station on a simulated device: starts ubpf-device, deploys the three programs
# (signed SUIT updates over CoAP), runs the sensor reader on a worker, asks the query program
# for the average over CoAP, and shows the faulty program crashing without taking anything
# down. Exits non-zero when something does not behave as described in README.md.
#
#   examples/weather-station/run.sh [UBPF [UBPF_DEVICE]]     (default: build/ubpf, build/ubpf-device)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
UBPF=${1:-$ROOT/build/ubpf}
UBPF_DEVICE=${2:-$ROOT/build/ubpf-device}
for tool in "$UBPF" "$UBPF_DEVICE"; do
    [[ -x "$tool" ]] || {
        echo "$tool not found: build it (cmake --build build --target ubpf_cli ubpf_device) or pass its path" >&2
        exit 2
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/weather-station.XXXXXX")
DEVICE_PID=
finish() {
    local status=$?
    if [[ -n "$DEVICE_PID" ]]; then
        kill "$DEVICE_PID" 2>/dev/null || true
        wait "$DEVICE_PID" 2>/dev/null || true
    fi
    if [[ $status -ne 0 ]]; then
        echo "--- device log ---" >&2
        tail -n 20 "$WORK/device.log" >&2 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap finish EXIT
fail() {
    echo "FAILED: $*" >&2
    exit 1
}
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# show COMMAND...: prints the command and its output.
show() {
    echo "\$ ubpf ${*:2}"
    "$@"
}
# until_true TIMEOUT_S WHAT COMMAND...: polls COMMAND every 50 ms.
until_true() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || fail "timed out waiting for $what"
        sleep 0.05
    done
}

say "1. A simulated device with a temperature sensor at 21.5 °C"
"$UBPF" keygen -o "$WORK/key" >/dev/null
echo "saul 130 215 -1   # SAUL_SENSE_TEMP, 215 tenths of a degree" >"$WORK/peripherals"
# A free port: from one derived from our PID, walking on while the device cannot bind.
port=$((30000 + ($$ * 17 + RANDOM) % 19000))
for _ in $(seq 1 20); do
    "$UBPF_DEVICE" --listen "127.0.0.1:$port" --key "$WORK/key.pub" --state "$WORK/state" \
        --peripherals "$WORK/peripherals" >"$WORK/device.log" 2>&1 &
    DEVICE_PID=$!
    until grep -q "listening on" "$WORK/device.log" || ! kill -0 "$DEVICE_PID" 2>/dev/null; do sleep 0.02; done
    grep -q "listening on" "$WORK/device.log" && break
    wait "$DEVICE_PID" || true
    DEVICE_PID=
    port=$((port + 1))
done
[[ -n "$DEVICE_PID" ]] || fail "the device did not start: $(cat "$WORK/device.log")"
DEVICE=coap://127.0.0.1:$port
cat "$WORK/device.log"

say "2. Deploy the three programs (build, pack, sign, serve, pull)"
for entry in "0 sensor_reader" "1 query" "2 faulty"; do
    read -r slot name <<<"$entry"
    "$UBPF" deploy "$HERE/$name.c" --device "$DEVICE" --slot "$slot" --key "$WORK/key" | tail -n 1
done
status() { "$UBPF" status --device "$DEVICE"; }
[[ "$(status)" == '{"workers": [-1, -1, -1, -1], "slots": "OOOF", "pull": "loaded"}' ]] ||
    fail "unexpected status after deploying: $(status)"

say "3. The sensor reader runs on a worker, storing the average in the global store"
show "$UBPF" exec --device "$DEVICE" --slot 0 --model long
show "$UBPF" status --device "$DEVICE"
[[ "$(status)" == '{"workers": [0, -1, -1, -1], "slots": "ROOF", "pull": "loaded"}' ]] ||
    fail "the sensor reader is not running"

say "4. The query program answers a CoAP request with JSON"
query() { "$UBPF" exec --device "$DEVICE" --slot 1 --model coap; }
# Readings wobble by up to 0.2 °C around 21.5; before the first one the store holds nothing (0.0).
has_average() { [[ "$(query)" =~ ^2\.05\ Content\ \{\"temperature\":\ 21\.[3-7]\}$ ]]; }
until_true 10 "the first average" has_average
show "$UBPF" exec --device "$DEVICE" --slot 1 --model coap
echo "... and as JIT code, compiled by the device and run on its emulated Cortex-M4:"
query_jit() { "$UBPF" exec --device "$DEVICE" --slot 1 --model coap --engine jit; }
show "$UBPF" exec --device "$DEVICE" --slot 1 --model coap --engine jit
[[ "$(query_jit)" =~ ^2\.05\ Content\ \{\"temperature\":\ 21\.[3-7]\}$ ]] || fail "the JIT query answered: $(query_jit)"

say "5. The faulty program crashes: an error response, nothing else is touched"
echo "\$ ubpf exec --device $DEVICE --slot 2"
if "$UBPF" exec --device "$DEVICE" --slot 2 2>"$WORK/fault"; then fail "the faulty program did not fail"; fi
cat "$WORK/fault"
[[ "$(cat "$WORK/fault")" == "error: 5.00 Internal Server Error: program failed: store outside the program's memory (pc 4)" ]] ||
    fail "unexpected fault report"
if "$UBPF" exec --device "$DEVICE" --slot 2 --engine jit 2>"$WORK/fault-jit"; then fail "the faulty JIT code did not fail"; fi
cmp -s "$WORK/fault" "$WORK/fault-jit" || fail "as JIT code, the fault report differs: $(cat "$WORK/fault-jit")"
echo "(the same as JIT code)"
echo "... and as a long-running program, it takes a worker down with it, only that one:"
show "$UBPF" exec --device "$DEVICE" --slot 2 --model long
crashed() { grep -q "(slot 2) ended: program failed: store outside the program's memory (pc 4)" "$WORK/device.log"; }
until_true 10 "the faulty worker to end" crashed
grep "(slot 2) ended" "$WORK/device.log" | sed 's/^/device log: /'
show "$UBPF" status --device "$DEVICE"
[[ "$(status)" == '{"workers": [0, -1, -1, -1], "slots": "ROOF", "pull": "loaded"}' ]] ||
    fail "the crash touched more than its own worker"

say "6. The others keep running: the reader is still on its worker, the query still answers"
until_true 10 "the query to answer again" has_average
show "$UBPF" exec --device "$DEVICE" --slot 1 --model coap

say "7. Stop the sensor reader"
show "$UBPF" stop --device "$DEVICE" --slot 0
stopped() { [[ "$(status)" == '{"workers": [-1, -1, -1, -1], "slots": "OOOF", "pull": "loaded"}' ]]; }
until_true 10 "the reader to stop" stopped
show "$UBPF" status --device "$DEVICE"
grep "(slot 0) ended" "$WORK/device.log" | sed 's/^/device log: /'
echo
echo "weather station: all steps behaved as expected"
