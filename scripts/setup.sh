#!/usr/bin/env bash
# Installs every Debian 12 package the project needs (build, tests, cross-compiler,
# emulator, fuzzing, benchmarks). Safe to run again: apt skips what is present.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  git cmake ninja-build pkg-config g++ clang llvm lld libclang-rt-14-dev clang-format
  catch2 libbenchmark-dev
  gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  libunicorn-dev libcapstone-dev qemu-system-arm
  clang-19 llvm-19               # BPF v4 (-mcpu=v4) programs
  libsodium-dev libcoap3-dev libcoap3-bin  # deployment: Ed25519/SHA-256, CoAP
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
