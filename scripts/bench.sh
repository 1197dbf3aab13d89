#!/usr/bin/env bash
# Builds the benchmarks in Release mode and regenerates docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DUBPF_BUILD_BENCH=ON -DUBPF_BUILD_TESTS=ON
cmake --build build-bench --target ubpf_host_bench ubpf_m4_bench
build-bench/bench/ubpf_host_bench --benchmark_min_time=1 --write docs/benchmarks.md
build-bench/bench/ubpf_m4_bench --write docs/benchmarks.md
