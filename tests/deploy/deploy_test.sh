#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end deployment over real CoAP on loopback: a simulated device (ubpf-device) in the
# background, the `ubpf` commands against it, and raw CoAP requests (coap-client-notls) for
# what the commands never send. Every check compares exact output and exit codes.
#
#   tests/deploy/deploy_test.sh UBPF UBPF_DEVICE SOURCE_DIR
#
# Every format and every execution model also runs as JIT code (compiled by the device's service,
# run on the simulator's emulated Cortex-M4), and must answer as the interpreter does;
# UBPF_DEPLOY_TEST_JIT=0 checks instead that a JIT request gets an exact 5.01 answer.
set -euo pipefail

[[ $# -eq 3 ]] || {
    echo "usage: $0 UBPF UBPF_DEVICE SOURCE_DIR" >&2
    exit 2
}
UBPF=$1
UBPF_DEVICE=$2
SRC=$3
JIT=${UBPF_DEPLOY_TEST_JIT:-1}
command -v coap-client-notls >/dev/null || {
    echo "coap-client-notls (libcoap3-bin) is needed" >&2
    exit 2
}
# shellcheck source=tests/deploy/lib.sh
source "$SRC/tests/deploy/lib.sh"

PROGRAMS=$SRC/tests/programs
HERE=$SRC/tests/deploy
STATION=$SRC/examples/weather-station

step() { echo "== [${SECONDS} s] $*"; }

# Raw CoAP: coap-client prints a success payload on stdout, an error code and payload on stderr.
coap() {
    local method=$1 path=$2
    shift 2
    run_cmd coap-client-notls -B 5 -m "$method" "$@" "$DEVICE/$path"
}
expect_coap() {
    local expected_out=$1 expected_err=$2
    shift 2
    coap "$@"
    expect_eq "exit code of coap-client $*" 0 "$RC"
    expect_eq "answer to $*" "$expected_out" "$OUT"
    expect_eq "error answer to $*" "$expected_err" "$ERR"
}

# same_as_interpreter COMMAND...: runs COMMAND (an exec) with the interpreter, then with
# --engine jit, and requires the same exit code, output and error; leaves them in RC/OUT/ERR.
same_as_interpreter() {
    run_cmd "$@"
    local rc=$RC out=$OUT err=$ERR
    run_cmd "$@" --engine jit
    expect_eq "exit code of '$* --engine jit' (the interpreter's: $rc)" "$rc" "$RC"
    expect_eq "output of '$* --engine jit' (the interpreter's)" "$out" "$OUT"
    expect_eq "error of '$* --engine jit' (the interpreter's)" "$err" "$ERR"
}

# logged_output COMMAND...: runs COMMAND (expecting success, OUT as run_cmd) and sets LOGGED to
# the program output the device logged meanwhile.
logged_output() {
    local before
    before=$(wc -l <"$DEVICE_LOG")
    run_cmd "$@"
    expect_eq "exit code of '$*' (stderr: $ERR)" 0 "$RC"
    LOGGED=$(tail -n +$((before + 1)) "$DEVICE_LOG" | sed -n 's/^\[[0-9:]*\] program output: //p')
}

device_sequence() {
    coap get suit/sequence
    echo "$OUT"
}

# deploy SRC SLOT [options]: expects success and the next sequence number.
SEQ=0
deploy() {
    local source=$1 slot=$2
    shift 2
    run_cmd "$UBPF" deploy "$source" --device "$DEVICE" --slot "$slot" --key "$WORK/key" "$@"
    expect_eq "exit code of deploy $source (stderr: $ERR)" 0 "$RC"
    SEQ=$((SEQ + 1))
    expect_eq "last line of deploy $source" "slot $slot updated (sequence $SEQ)" "${OUT##*$'\n'}"
}

# The program every bad-input case must leave in place, running.
BASELINE=$PROGRAMS/fletcher16_320.c
baseline_intact() {
    expect_ok "$(expected_result "$BASELINE")" "$UBPF" exec --device "$DEVICE" --slot 0
    expect_eq "device sequence number" "$SEQ" "$(device_sequence)"
}

pull_state() {
    coap get status
    [[ "$OUT" == *"\"pull\": \"$1\""* ]]
}

# raw_pull SLOT MANIFEST_URL: asks for a pull as `ubpf deploy` does (extended format, erase)
# and waits for its end; the manifest URL is used whole.
raw_pull() {
    local slot=$1 url=$2
    local config
    config=$(printf '%x' $(((slot << 1) | (2 << 5))))
    expect_coap "SUIT pull request accepted for manifest: $url" "" post suit/pull -e "|$url|0|$config||1"
    poll 10 "the pull to end" bash -c \
        "coap-client-notls -B 5 -m get '$DEVICE/status' | grep -Eq '\"pull\": \"(loaded|failed)\"'"
}

# expect_pull_failed WHY: the last pull failed, the device says why, and nothing changed.
expect_pull_failed() {
    expect_coap '{"workers": [-1, -1, -1, -1], "slots": "'"$1"'", "pull": "failed", "error": "fetch_failed"}' "" \
        get status
    expect_coap "$2" "" get suit/last
    baseline_intact
}

# serve_files DIR: a `ubpf serve` of DIR on a free port; sets FILES (its coap:// root).
serve_files() {
    start_background "serve-$(basename "$1")" "files; Ctrl-C stops" "$UBPF" serve "$1" --listen 127.0.0.1:@PORT@
    FILES=coap://127.0.0.1:$STARTED_PORT
}

# An image and its manifest, built and signed by the ubpf commands: $WORK/NAME/{img.bin,m.suit}.
# The program is not the baseline (a wrongly installed image would change the slot's result).
# The URI in the manifest names the port the directory will be served on (chosen now).
OTHER=$PROGRAMS/strlen.c
signed() {
    local name=$1 seq=$2 slot=$3
    mkdir -p "$WORK/$name"
    if [[ ! -f "$WORK/other.bin" ]]; then
        "$UBPF" build "$OTHER" -o "$WORK/other.o" >/dev/null
        "$UBPF" pack "$WORK/other.o" --format extended -o "$WORK/other.bin" >/dev/null
    fi
    cp "$WORK/other.bin" "$WORK/$name/img.bin"
    skip_taken_ports
    SIGNED_PORT=$NEXT_PORT
    "$UBPF" sign "$WORK/$name/img.bin" --key "$WORK/key" --seq "$seq" --slot "$slot" \
        --uri "coap://127.0.0.1:$SIGNED_PORT/img.bin" -o "$WORK/$name/m.suit" >/dev/null
}
serve_signed() {
    serve_files "$WORK/$1"
    expect_eq "port of the $1 file server" "$SIGNED_PORT" "$STARTED_PORT"
}

# flip FILE OFFSET: inverts one byte.
flip() {
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf '%b' "$(printf '\\%03o' $((byte ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

"$UBPF" keygen -o "$WORK/key" >/dev/null
"$UBPF" keygen -o "$WORK/other" >/dev/null
mkdir "$WORK/state"
start_device "$WORK/state" "$WORK/key.pub"
step "device at $DEVICE"

expect_ok '{"workers": [-1, -1, -1, -1], "slots": "FFFF", "pull": "idle"}' "$UBPF" status --device "$DEVICE"
expect_error "error: 4.04 Not Found: slot holds no program" "$UBPF" exec --device "$DEVICE" --slot 0

step "every format end to end, short model"
deploy "$BASELINE" 0
baseline_intact
for case in "text pc_relative_calls_main_first" "fc fletcher16_80" "extended strlen" "elf data_counter"; do
    read -r format name <<<"$case"
    deploy "$PROGRAMS/$name.c" 1 --format "$format"
    expect_ok "$(expected_result "$PROGRAMS/$name.c")" "$UBPF" exec --device "$DEVICE" --slot 1 --format "$format"
    if [[ "$JIT" == 1 ]]; then
        deploy "$PROGRAMS/$name.c" 1 --format "$format" # .data as loaded, not as the last run left it
        expect_ok "$(expected_result "$PROGRAMS/$name.c")" \
            "$UBPF" exec --device "$DEVICE" --slot 1 --format "$format" --engine jit
    else
        expect_error "error: 5.01 Not Implemented: device cannot run JIT code" \
            "$UBPF" exec --device "$DEVICE" --slot 1 --format "$format" --engine jit
    fi
done
if [[ "$JIT" == 1 ]]; then
    # data_counter.c adds 7 to its .data counter (40) per run: the slot's .data is one, whichever
    # engine runs the program.
    expect_ok "result: 54 (0x36)" "$UBPF" exec --device "$DEVICE" --slot 1 --format elf
    expect_ok "result: 61 (0x3d)" "$UBPF" exec --device "$DEVICE" --slot 1 --format elf --engine jit
fi

if [[ "$JIT" == 1 ]]; then
    step "helper output as JIT code: printf reaches the device log as under the interpreter"
    deploy "$PROGRAMS/printf.c" 1
    expected_output=$(sed -n 's|^// TEST_OUTPUT: ||p' "$PROGRAMS/printf.c")
    [[ -n "$expected_output" ]] || fail "printf.c has no TEST_OUTPUT header"
    logged_output "$UBPF" exec --device "$DEVICE" --slot 1
    expect_eq "printf output, interpreter" "$expected_output" "$LOGGED"
    logged_output "$UBPF" exec --device "$DEVICE" --slot 1 --engine jit
    expect_eq "printf output, JIT" "$expected_output" "$LOGGED"
    expect_eq "result of printf.c, JIT" "$(expected_result "$PROGRAMS/printf.c")" "$OUT"
fi

step "coap model: the weather station's query formats the stored average"
deploy "$HERE/store_average.c" 2
expect_ok "$(expected_result "$HERE/store_average.c")" "$UBPF" exec --device "$DEVICE" --slot 2
deploy "$STATION/query.c" 3
expect_ok '2.05 Content {"temperature": 21.5}' "$UBPF" exec --device "$DEVICE" --slot 3 --model coap
if [[ "$JIT" == 1 ]]; then
    # The JIT code writes the response into the device's packet through the CoAP helpers.
    same_as_interpreter "$UBPF" exec --device "$DEVICE" --slot 3 --model coap
    expect_eq "coap model as JIT code" '2.05 Content {"temperature": 21.5}' "$OUT"
    same_as_interpreter "$UBPF" exec --device "$DEVICE" --slot 2
    expect_eq "store_average.c as JIT code" "$(expected_result "$HERE/store_average.c")" "$OUT"
else
    expect_error "error: 5.01 Not Implemented: device cannot run JIT code" \
        "$UBPF" exec --device "$DEVICE" --slot 3 --model coap --engine jit
fi

step "long-running model: start, status, stop"
deploy "$HERE/counter_loop.c" 2
deploy "$HERE/counter_check.c" 1
expect_ok "2.04 Changed VM Execution request sent successfully!" \
    "$UBPF" exec --device "$DEVICE" --slot 2 --model long
expect_ok '{"workers": [2, -1, -1, -1], "slots": "OORO", "pull": "loaded"}' "$UBPF" status --device "$DEVICE"
# The other slots keep serving meanwhile; the loop's store is read while it runs.
counter_seen() { [[ "$("$UBPF" exec --device "$DEVICE" --slot 1)" == "$(expected_result "$HERE/counter_check.c")" ]]; }
poll 10 "the long-running program to count a round" counter_seen
expect_error "error: 4.09 Conflict: slot is running a program" "$UBPF" exec --device "$DEVICE" --slot 2
expect_error "error: 4.09 Conflict: slot is running a program" \
    "$UBPF" exec --device "$DEVICE" --slot 2 --model long
expect_ok "stop requested" "$UBPF" stop --device "$DEVICE" --slot 2
idle() { [[ "$("$UBPF" status --device "$DEVICE")" == '{"workers": [-1, -1, -1, -1], "slots": "OOOO", "pull": "loaded"}' ]]; }
poll 10 "slot 2 to stop" idle
# A stop ends the program at a helper call (the guard before it): which one depends on when the
# request arrives, so the report must name the pc of one of the program's calls, as llvm-objdump
# lists them (instruction index = byte offset / 8).
"$UBPF" build "$HERE/counter_loop.c" -o "$WORK/counter_loop.o" || fail "cannot build counter_loop.c"
CALL_PCS=$(llvm-objdump -d "$WORK/counter_loop.o" | sed -n 's/^ *\([0-9]*\):.*\tcall .*/\1/p' | paste -sd' ')
expect_eq "helper calls of counter_loop.c (llvm-objdump)" "2 3 8 12" "$CALL_PCS"
# stopped_at_call LINE: LINE is '... ended: program was stopped (pc N)' with N a call's pc.
stopped_at_call() {
    local pc
    pc=$(sed -n 's/^.* ended: program was stopped (pc \([0-9]*\))$/\1/p' <<<"$1")
    [[ -n "$pc" && " $CALL_PCS " == *" $pc "* ]]
}
last_end() { grep -E '\] worker 0 \(slot 2\) ended: ' "$DEVICE_LOG" | tail -n 1 | sed 's/^.*\] //'; }
stopped_at_call "$(last_end)" || fail "the device did not log a stop at a helper call: '$(last_end)'"
expect_error "error: 4.00 Bad Request: slot is not running a long-running program" \
    "$UBPF" stop --device "$DEVICE" --slot 2
expect_ok "$(expected_result "$HERE/counter_check.c")" "$UBPF" exec --device "$DEVICE" --slot 1
baseline_intact

if [[ "$JIT" == 1 ]]; then
    step "long-running model as JIT code: start, status, stop, and the slot runs again"
    deploy "$HERE/counter_take.c" 3
    log_before=$(wc -l <"$DEVICE_LOG")
    take() {
        run_cmd "$UBPF" exec --device "$DEVICE" --slot 3
        expect_eq "exit code of counter_take.c (stderr: $ERR)" 0 "$RC"
        sed -n 's/^result: \([0-9]*\) .*/\1/p' <<<"$OUT"
    }
    counting() { (($(take) > 0)); }
    for round in 1 2; do
        take >/dev/null # clears the rounds an earlier run left
        expect_ok "2.04 Changed VM Execution request sent successfully!" \
            "$UBPF" exec --device "$DEVICE" --slot 2 --model long --engine jit
        expect_ok '{"workers": [2, -1, -1, -1], "slots": "OORO", "pull": "loaded"}' "$UBPF" status --device "$DEVICE"
        poll 10 "the JIT loop to count rounds (run $round)" counting
        expect_error "error: 4.09 Conflict: slot is running a program" \
            "$UBPF" exec --device "$DEVICE" --slot 2 --engine jit
        expect_ok "stop requested" "$UBPF" stop --device "$DEVICE" --slot 2
        poll 10 "slot 2 to stop (run $round)" idle
        take >/dev/null
        expect_eq "rounds counted after the stop (run $round)" 0 "$(take)"
        # It stopped at a helper call, as the interpreter does: the same kind of report. (The
        # emulator's own stop check, every 65536 M4 instructions, could end it between calls with
        # pc 0, but the loop spends its time in the sleeping helper: a window of ~20 in 65536.)
        stopped_at_call "$(last_end)" || fail "JIT run $round did not end at a helper call: '$(last_end)'"
    done
    expect_eq "JIT runs of slot 2 the device logged" 2 \
        "$(tail -n +$((log_before + 1)) "$DEVICE_LOG" |
            grep -c '\] slot 2 ran as JIT code on the emulated Cortex-M4: [0-9]* M4 instructions$')"
    baseline_intact
fi

step "bad input: wrong key"
run_cmd "$UBPF" deploy "$BASELINE" --device "$DEVICE" --slot 0 --key "$WORK/other"
expect_eq "exit code" 1 "$RC"
expect_eq "error" "error: update of slot 0 failed: SUIT fetch or manifest verification failed: manifest rejected: no trusted key verifies the signature" "$ERR"
expect_pull_failed OOOO "manifest rejected: no trusted key verifies the signature"

step "bad input: tampered image"
signed tampered-image $((SEQ + 1)) 0
flip "$WORK/tampered-image/img.bin" 40
serve_signed tampered-image
raw_pull 0 "$FILES/m.suit"
expect_pull_failed OOOO "image rejected: image digest differs from the manifest"

step "bad input: truncated image (shorter than the manifest says)"
signed truncated $((SEQ + 1)) 0
truncate -s -10 "$WORK/truncated/img.bin"
serve_signed truncated
raw_pull 0 "$FILES/m.suit"
expect_pull_failed OOOO "image rejected: image size differs from the manifest"

step "bad input: tampered manifest (signed payload, then signature)"
signed tampered-manifest $((SEQ + 1)) 0
size=$(stat -c %s "$WORK/tampered-manifest/m.suit")
flip "$WORK/tampered-manifest/m.suit" $((size - 12)) # inside the image URI
serve_signed tampered-manifest
raw_pull 0 "$FILES/m.suit"
expect_pull_failed OOOO "manifest rejected: manifest digest differs from the signed digest"
signed bad-signature $((SEQ + 1)) 0
flip "$WORK/bad-signature/m.suit" 60 # inside the Ed25519 signature
serve_signed bad-signature
raw_pull 0 "$FILES/m.suit"
expect_pull_failed OOOO "manifest rejected: no trusted key verifies the signature"

step "bad input: replayed and lower sequence numbers"
signed accepted $((SEQ + 1)) 3 # first a good update of slot 3, by hand
serve_signed accepted
raw_pull 3 "$FILES/m.suit"
SEQ=$((SEQ + 1))
expect_coap '{"workers": [-1, -1, -1, -1], "slots": "OOOO", "pull": "loaded"}' "" get status
other_intact() { expect_ok "$(expected_result "$OTHER")" "$UBPF" exec --device "$DEVICE" --slot 3; }
other_intact
baseline_intact
ACCEPTED_FILES=$FILES
raw_pull 3 "$ACCEPTED_FILES/m.suit" # the same manifest again
expect_pull_failed OOOO "manifest rejected: sequence number is not greater than the installed one"
other_intact
signed lower $((SEQ - 3)) 3
serve_signed lower
raw_pull 3 "$FILES/m.suit"
expect_pull_failed OOOO "manifest rejected: sequence number is not greater than the installed one"
other_intact

step "bad input: image larger than the slot"
head -c 16385 /dev/zero >"$WORK/big.bin"
run_cmd "$UBPF" deploy "$WORK/big.bin" --device "$DEVICE" --slot 0 --key "$WORK/key"
expect_eq "exit code" 1 "$RC"
expect_eq "error" "error: update of slot 0 failed: SUIT fetch or manifest verification failed: manifest rejected: image is larger than the storage slot" "$ERR"
expect_pull_failed OOOO "manifest rejected: image is larger than the storage slot"

step "bad input: unknown endpoints and malformed payloads"
expect_coap "" "4.04 Not Found" get nope
expect_coap "" "4.04 Not Found" post short-execution/1 -e 0000
expect_coap "" "4.05" get short-execution
expect_coap "" "4.00 configuration word needs 4 hex digits" post short-execution -e zz
expect_coap "" "4.00 character is not a hex digit" post short-execution -e 00zz
expect_coap "" "4.00 payload is empty" post with_coap_pkt
expect_coap "" "4.00 configuration word sets reserved bits 12-15" post with_coap_pkt -e f000
expect_coap "" "4.00 helper list is not whole bytes (2 hex digits each)" post long-running -e 00001
expect_coap "" "4.00 slot number is larger than the device has" post short-execution -e 000e
expect_coap "" "4.00 pull request needs exactly 6 '|'-separated fields" post suit/pull -e 'a|b'
expect_coap "" "4.00 pull request erase flag is not 0 or 1" post suit/pull -e "|coap://127.0.0.1:1/m|0|2||7"
expect_coap "" "4.00 slot is not a decimal number" post stop -e x
expect_coap "" "4.00 payload is empty" post stop
baseline_intact

step "a program that faults and one that never ends"
deploy "$STATION/faulty.c" 3
expect_error "error: 5.00 Internal Server Error: program failed: store outside the program's memory (pc 4)" \
    "$UBPF" exec --device "$DEVICE" --slot 3
if [[ "$JIT" == 1 ]]; then
    same_as_interpreter "$UBPF" exec --device "$DEVICE" --slot 3
    same_as_interpreter "$UBPF" exec --device "$DEVICE" --slot 3 --model coap
fi
baseline_intact
deploy "$HERE/forever.c" 3
expect_error "error: 5.00 Internal Server Error: program failed: instruction budget exhausted (pc 4)" \
    "$UBPF" exec --device "$DEVICE" --slot 3
if [[ "$JIT" == 1 ]]; then
    same_as_interpreter "$UBPF" exec --device "$DEVICE" --slot 3
    # No helper call ever comes: the device sees the stop between two slices of emulation
    # (where no eBPF pc is known, so it reports pc 0).
    expect_ok "2.04 Changed VM Execution request sent successfully!" \
        "$UBPF" exec --device "$DEVICE" --slot 3 --model long --engine jit
    expect_ok '{"workers": [3, -1, -1, -1], "slots": "OOOR", "pull": "loaded"}' "$UBPF" status --device "$DEVICE"
    expect_ok "stop requested" "$UBPF" stop --device "$DEVICE" --slot 3
    poll 10 "the endless JIT loop to stop" idle
    grep -Eq '\] slot 3 ran as JIT code on the emulated Cortex-M4: [0-9]+ M4 instructions, stopped on request$' \
        "$DEVICE_LOG" || fail "the device did not log the JIT run's stop"
    expect_eq "how the endless JIT loop ended" "worker 0 (slot 3) ended: program was stopped (pc 0)" \
        "$(grep -E '\] worker 0 \(slot 3\) ended: ' "$DEVICE_LOG" | tail -n 1 | sed 's/^.*\] //')"
    expect_error "error: 5.00 Internal Server Error: program failed: instruction budget exhausted (pc 4)" \
        "$UBPF" exec --device "$DEVICE" --slot 3 --engine jit
fi
baseline_intact
expect_ok '{"workers": [-1, -1, -1, -1], "slots": "OOOO", "pull": "loaded"}' "$UBPF" status --device "$DEVICE"

step "restart with the same state: the sequence number survives, a replay is refused"
stop_device
start_device "$WORK/state" "$WORK/key.pub"
expect_eq "sequence number after the restart" "$SEQ" "$(device_sequence)"
expect_ok '{"workers": [-1, -1, -1, -1], "slots": "FFFF", "pull": "idle"}' "$UBPF" status --device "$DEVICE"
raw_pull 3 "$ACCEPTED_FILES/m.suit"
expect_coap '{"workers": [-1, -1, -1, -1], "slots": "FFFF", "pull": "failed", "error": "fetch_failed"}' "" get status
expect_coap "manifest rejected: sequence number is not greater than the installed one" "" get suit/last
deploy "$BASELINE" 0
baseline_intact

step "all passed"
