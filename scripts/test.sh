#!/usr/bin/env bash
# README command (b): installs what is missing, builds everything and runs the default test
# suite (every test except those labelled `long`; run those with: ctest --test-dir build -L long).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release ${DFC_WERROR:+-DDFC_WERROR=$DFC_WERROR} >/dev/null
cmake --build "$BUILD"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
ctest --test-dir "$BUILD" -LE long --output-on-failure -j "$(nproc)" "$@"
