# Runs verilator --lint-only -Wall on SRC (package first) for a few parameter sets and both forms
# of the match (synthesis, and the simulation form selected by DFC_CLS_SIM_FAST); fails on any
# output.
foreach(form "" "-DDFC_CLS_SIM_FAST")
  foreach(params "" "-GN=64" "-GN=16384" "-GR=128")
    separate_arguments(p UNIX_COMMAND "${params} ${form}")
    execute_process(COMMAND ${VERILATOR} --lint-only -Wall --top-module classifier ${p} ${SRC}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
      message(FATAL_ERROR "verilator --lint-only -Wall ${params} ${form} (rc=${rc}):\n${out}${err}")
    endif()
  endforeach()
endforeach()
message(STATUS "lint clean")
