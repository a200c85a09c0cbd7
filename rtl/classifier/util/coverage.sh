#!/usr/bin/env bash
# RTL coverage of the classifier: a separate build with the Verilated models built
# --coverage-line --coverage-toggle (-DDFC_RTL_COVERAGE=ON), the classifier's unit tests and
# ClassBench tests run with every model instance dumping its counters, the dumps merged with
# verilator_coverage, and an lcov/genhtml report.
#   rtl/classifier/util/coverage.sh [BUILD_DIR]        (default build-cov; report in BUILD_DIR/coverage/html)
# Needs verilator, lcov (genhtml): scripts/setup-deps.sh installs both.
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=${1:-build-cov}
for t in verilator_coverage genhtml; do
  command -v "$t" >/dev/null || { echo "coverage.sh: $t not found; run scripts/setup-deps.sh" >&2; exit 2; }
done
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDFC_RTL_COVERAGE=ON >/dev/null
cmake --build "$B" --target rtl_classifier_tests classbench_tests
OUT="$B/coverage"
rm -rf "$OUT" && mkdir -p "$OUT/dat"
export DFC_RTL_COVERAGE_DIR="$PWD/$OUT/dat" SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
"$B/bin/rtl_classifier_tests" >"$OUT/rtl_tests.log"
"$B/bin/classbench_tests" >"$OUT/classbench_tests.log"
verilator_coverage --write "$OUT/merged.dat" --write-info "$OUT/merged.info" "$OUT"/dat/*.dat
# Per-point summary (line and toggle points, hit/total) and the annotated source.
verilator_coverage --rank "$OUT/merged.dat" >"$OUT/rank.txt" 2>&1 || true
verilator_coverage --annotate "$OUT/annotated" --annotate-min 1 "$OUT/merged.dat" >"$OUT/annotate.txt"
genhtml -q -o "$OUT/html" "$OUT/merged.info" >"$OUT/genhtml.txt" 2>&1 || { cat "$OUT/genhtml.txt"; exit 1; }
echo "== line+toggle coverage ($(ls "$OUT"/dat | wc -l) model instances merged)"
cat "$OUT/annotate.txt"
grep -E "lines|functions" "$OUT/genhtml.txt" || true
echo "report: $OUT/html/index.html, annotated source: $OUT/annotated/"
