#!/usr/bin/env bash
# The main job: starts a simulated device (a real CoAP server on loopback), builds a C example,
# signs it and deploys it over CoAP with SUIT, runs it on the device with the interpreter and
# with the JIT, and prints both results with their emulated Cortex-M4 instruction counts.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${UBPF_BUILD_DIR:-build}
ubpf=$build/ubpf
work=$(mktemp -d)
port=$((57000 + RANDOM % 1000))
device=coap://127.0.0.1:$port
program=tests/programs/fletcher16_2560.c
trap 'kill $device_pid 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== a simulated device on 127.0.0.1:$port"
"$ubpf" keygen -o "$work/key" > /dev/null
"$build/ubpf-device" --listen "127.0.0.1:$port" --key "$work/key.pub" --state "$work/state" > "$work/device.log" 2>&1 &
device_pid=$!
for _ in $(seq 50); do "$ubpf" status --device "$device" > /dev/null 2>&1 && break; sleep 0.1; done

echo "== build, sign and deploy $program"
"$ubpf" deploy "$program" --device "$device" --slot 0 --key "$work/key" --format elf

echo "== run on the device"
printf 'interpreter: '; "$ubpf" exec --device "$device" --slot 0
printf 'JIT:         '; "$ubpf" exec --device "$device" --slot 0 --engine jit

echo "== the same program on the emulated Cortex-M4 (instructions counted)"
"$ubpf" build "$program" -o "$work/program.o"
for engine in m4-interp m4-jit; do
  printf '%-10s ' "$engine:"
  "$ubpf" run "$work/program.o" --engine "$engine" 2>&1 | tr '\n' ' '
  echo
done
echo "== device log"
cat "$work/device.log"
