# Yosys generic synthesis of the classifier at depth N (ctest label synth).
# Fails when Yosys reports an error, when any latch is inferred, or when `check -assert` finds a
# problem (undriven or multiply driven nets, combinational loops). Writes OUT/stat.txt (cells,
# flip-flops per module and for the whole hierarchy) and OUT/yosys.log.
if(NOT YOSYS)
  message(FATAL_ERROR "yosys not found: install it with scripts/setup-deps.sh (Debian package yosys)")
endif()
file(MAKE_DIRECTORY ${OUT})
string(REPLACE ";" " " files "${SRC}")
file(WRITE ${OUT}/synth.ys
  "read_verilog -sv ${files}\n"
  "chparam -set N ${N} classifier\n"
  "synth -top classifier\n"
  "check -assert\n"
  "tee -o ${OUT}/stat.txt stat\n")
execute_process(COMMAND ${YOSYS} -l ${OUT}/yosys.log -q -s ${OUT}/synth.ys
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "yosys failed (rc=${rc}) at N=${N}; see ${OUT}/yosys.log\n${out}${err}")
endif()
file(READ ${OUT}/yosys.log log)
file(READ ${OUT}/stat.txt stat)
if(log MATCHES "Latch inferred" OR stat MATCHES "DLATCH")
  message(FATAL_ERROR "latch inferred at N=${N}; see ${OUT}/yosys.log")
endif()
message(STATUS "N=${N}: synthesized, no latches\n${stat}")
