#!/usr/bin/env bash
# README command (b): installs what is missing, builds everything and runs the default test
# suite (every test except those labelled `long`; run those with: ctest --test-dir build -L long),
# then the bounded fuzz runs (clang build in build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
BUILD=${BUILD_DIR:-build}
# DFC_UNITY=N (CI sets 8): unity batches of N sources per target, for a tree built once.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release ${DFC_WERROR:+-DDFC_WERROR=$DFC_WERROR} \
      ${DFC_UNITY:+-DDFC_UNITY=$DFC_UNITY} >/dev/null
cmake --build "$BUILD"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
ctest --test-dir "$BUILD" -LE long --output-on-failure -j "$(nproc)" "$@"

# The bounded fuzz runs (~20 s each) of the DTCP server/parser, the configuration parser, the
# monitored-packet path and the pcap reader (libFuzzer needs clang, so they have their own
# build directory).
cmake -S . -B "$BUILD-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_C_COMPILER=clang -DDFC_FUZZ=ON ${DFC_WERROR:+-DDFC_WERROR=$DFC_WERROR} >/dev/null
cmake --build "$BUILD-fuzz" --target fuzz_dtcp fuzz_config fuzz_packet fuzz_pcap
ctest --test-dir "$BUILD-fuzz" -L fuzz --output-on-failure -j "$(nproc)"
