# Runs verilator --lint-only -Wall on SRC for a few parameter sets; fails on any output.
foreach(params "" "-GN=64" "-GN=16384" "-GR=128")
  separate_arguments(p UNIX_COMMAND "${params}")
  execute_process(COMMAND ${VERILATOR} --lint-only -Wall ${p} ${SRC}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
    message(FATAL_ERROR "verilator --lint-only -Wall ${params} ${SRC} (rc=${rc}):\n${out}${err}")
  endif()
endforeach()
message(STATUS "lint clean")
