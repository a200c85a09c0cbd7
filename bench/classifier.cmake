# Classifier simulation-speed benchmark (owned by the classifier engineer).
# Include from bench/CMakeLists.txt:   include(${CMAKE_CURRENT_SOURCE_DIR}/classifier.cmake)
# Run: build/bin/bench_classifier [--quick] [--cpu] [--time SECONDS] [--variant none|vcd|fst]
add_library(dfc_bench_cls_models STATIC)
foreach(v "128;96;32;64;80" "384;320;64;288;304" "640;576;64;288;304")
  list(GET v 0 ew)
  list(GET v 1 kw)
  list(GET v 2 r)
  list(GET v 3 sp)
  list(GET v 4 dp)
  verilate(dfc_bench_cls_models PREFIX Vcls_w${ew} TOP_MODULE classifier
           SOURCES ${DFC_CLASSIFIER_SV}
           VERILATOR_ARGS -Wall -GN=4096 -GKW=${kw} -GR=${r} -GSPORT_LSB=${sp} -GDPORT_LSB=${dp}
                          -O3 --x-assign fast --x-initial fast -DDFC_CLS_SIM_FAST)
endforeach()
get_target_property(_bvinc dfc_bench_cls_models INTERFACE_INCLUDE_DIRECTORIES)
set_property(TARGET dfc_bench_cls_models PROPERTY INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_bvinc})

add_executable(bench_classifier ${CMAKE_CURRENT_LIST_DIR}/bench_classifier.cpp)
target_link_libraries(bench_classifier PRIVATE dfc_classifier dfc_firmware dfc_bench_cls_models)
dfc_warnings(bench_classifier)
