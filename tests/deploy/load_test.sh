#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load on the simulated device: deploys tests/programs/fletcher16_320.c and runs
# ubpf_deploy_load (500 sequential short executions, then 4 concurrent clients for 3 s), then
# the same program as JIT code: 1500 sequential runs on the device's emulated Cortex-M4, which
# replaces its emulator every 1000 runs (m4::CodeRunner), and 2 clients for 1 s. Fails on any
# lost or wrong response; the speed is printed, never judged.
#
#   tests/deploy/load_test.sh UBPF UBPF_DEVICE UBPF_DEPLOY_LOAD SOURCE_DIR [load options...]
#
# To regenerate the figures in docs/benchmarks.md, with the device and the load tool from a
# Release build without sanitizers (ubpf only deploys: any build of it will do):
#   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-release --target ubpf_cli ubpf_device ubpf_deploy_load
#   tests/deploy/load_test.sh build-release/ubpf build-release/ubpf-device \
#       build-release/bench/ubpf_deploy_load . --markdown docs/benchmarks.md
set -euo pipefail

[[ $# -ge 4 ]] || {
    echo "usage: $0 UBPF UBPF_DEVICE UBPF_DEPLOY_LOAD SOURCE_DIR [load options...]" >&2
    exit 2
}
UBPF=$1
UBPF_DEVICE=$2
LOAD=$3
SRC=$4
shift 4
# shellcheck source=tests/deploy/lib.sh
source "$SRC/tests/deploy/lib.sh"

PROGRAM=$SRC/tests/programs/fletcher16_320.c
"$UBPF" keygen -o "$WORK/key" >/dev/null
start_device "$WORK/state" "$WORK/key.pub"
run_cmd "$UBPF" deploy "$PROGRAM" --device "$DEVICE" --slot 1 --key "$WORK/key"
expect_eq "deploy (stderr: $ERR)" "slot 1 updated (sequence 1)" "${OUT##*$'\n'}"

expected=$(sed -n 's|^// TEST_RESULT: *\([0-9][0-9]*\).*|\1|p' "$PROGRAM")
"$LOAD" --device "$DEVICE" --slot 1 --expect "$expected" --requests 500 --clients 4 --seconds 3 \
    --program "tests/programs/fletcher16_320.c (extended format)" "$@"
"$LOAD" --device "$DEVICE" --slot 1 --expect "$expected" --jit --requests 1500 --clients 2 --seconds 1
kill -0 "$DEVICE_PID" || fail "the device died under load"
