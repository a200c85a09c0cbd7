#!/usr/bin/env bash
# README command (a): installs what is missing, builds dfcsim and runs the built-in default
# scenario. Outputs go to out/default/ (report.json, cdest-cd1.pcap, dtcp.log).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release ${DFC_WERROR:+-DDFC_WERROR=$DFC_WERROR} >/dev/null
cmake --build "$BUILD" --target dfcsim
"$BUILD/bin/dfcsim" run --out out/default "$@"
