# Whole-card simulation speed (docs/performance.md, "Whole card"): `cmake --build build --target bench_card`
# runs bench/bench_card.sh on this build (200 000 packets per run, best of 3) and prints the table.
add_custom_target(bench_card
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/bench_card.sh ${CMAKE_BINARY_DIR} 200000 3
  DEPENDS dfcsim
  USES_TERMINAL
  COMMENT "Whole-card simulation speed (bench/bench_card.sh)")
