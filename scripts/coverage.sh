#!/usr/bin/env bash
# Firmware line and branch coverage of the default test suite (gcov + lcov, Debian packages).
#   scripts/coverage.sh [ctest args...]     e.g. scripts/coverage.sh -R firmware
# Builds in build-coverage with -DDFC_COVERAGE=ON (the firmware library instrumented at -O0,
# the rest of the tree unchanged), zeroes the counters, runs the default suite (everything
# not labelled `long`), then writes
#   build-coverage/coverage/firmware.info   lcov tracefile (firmware/src only)
#   build-coverage/coverage/html/index.html the HTML report
#   build-coverage/coverage/summary.txt     line / function / branch totals
# Figures and what stays uncovered: docs/coverage.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build-coverage}
OUT=$BUILD/coverage
for t in lcov genhtml; do
  command -v $t >/dev/null || { echo "coverage: $t not found; run scripts/setup-deps.sh (package lcov)" >&2; exit 2; }
done
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDFC_COVERAGE=ON \
      ${DFC_WERROR:+-DDFC_WERROR=$DFC_WERROR} >/dev/null
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
lcov --quiet --zerocounters --directory "$BUILD/firmware"
# The suite's verdict is reported but does not stop the report (coverage of a red suite is
# still worth reading); the exit code says whether it passed.
set +e
ctest --test-dir "$BUILD" -LE long -j "${JOBS:-$(nproc)}" --output-on-failure "$@"
suite=$?
set -e
mkdir -p "$OUT"
RC=(--rc lcov_branch_coverage=1)
lcov --quiet "${RC[@]}" --capture --directory "$BUILD/firmware" --output-file "$OUT/all.info"
lcov --quiet "${RC[@]}" --extract "$OUT/all.info" "$PWD/firmware/src/*" --output-file "$OUT/firmware.info"
genhtml --quiet "${RC[@]}" --title "dfcsim firmware coverage (default suite)" --legend \
        --output-directory "$OUT/html" "$OUT/firmware.info"
lcov "${RC[@]}" --summary "$OUT/firmware.info" 2>&1 | tee "$OUT/summary.txt"
lcov "${RC[@]}" --list "$OUT/firmware.info" > "$OUT/per-file.txt" 2>&1 || true
echo "coverage: HTML report at $OUT/html/index.html (suite exit code $suite)"
exit $suite
