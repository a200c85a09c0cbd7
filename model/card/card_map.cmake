# The card's address map, written once in data/card_map.json; util/gen_card_map.py generates at
# configure time (re-run when the map, the generator or the classifier contract changes):
#   generated/card/include/dfc/hal/card_map.hpp   the firmware's constants (dfc::cardmap)
#   generated/card/model/card_decode.hpp          the interconnect's decode table (dfc_card)
# The classifier's region is checked against the classifier contract (the block's base and
# register window).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(DFC_CARD_MAP ${CMAKE_CURRENT_SOURCE_DIR}/data/card_map.json)
set(DFC_CARD_MAP_GEN ${CMAKE_CURRENT_SOURCE_DIR}/util/gen_card_map.py)
set(DFC_CARD_GEN_DIR ${CMAKE_BINARY_DIR}/generated/card)
set(_cls_contract ${PROJECT_SOURCE_DIR}/rtl/classifier/data/classifier.json)
execute_process(
  COMMAND ${Python3_EXECUTABLE} ${DFC_CARD_MAP_GEN} ${DFC_CARD_MAP}
          --hpp ${DFC_CARD_GEN_DIR}/include/dfc/hal/card_map.hpp
          --decode ${DFC_CARD_GEN_DIR}/model/card_decode.hpp --classifier-contract ${_cls_contract}
  RESULT_VARIABLE _gen_rc ERROR_VARIABLE _gen_err)
if(NOT _gen_rc EQUAL 0)
  message(FATAL_ERROR "card address map generation failed:\n${_gen_err}")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${DFC_CARD_MAP} ${DFC_CARD_MAP_GEN} ${_cls_contract}
             ${PROJECT_SOURCE_DIR}/cmake/gen_common.py)

# The firmware and everything that links it see card_map.hpp at its usual path. The fuzz build
# (firmware/fuzz) compiles the firmware sources itself with dfc_classifier_ref's include
# directories, so that target exports the directory too.
target_include_directories(dfc_firmware PUBLIC ${DFC_CARD_GEN_DIR}/include)
target_include_directories(dfc_classifier_ref PUBLIC ${DFC_CARD_GEN_DIR}/include)

# A malformed or overlapping map fails generation with one clear line; a changed map reaches
# both generated headers.
add_test(NAME model.card_map_generation
         COMMAND ${CMAKE_COMMAND} -DPYTHON=${Python3_EXECUTABLE} -DGEN=${DFC_CARD_MAP_GEN} -DJSON=${DFC_CARD_MAP}
                 -DCONTRACT=${_cls_contract} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/card_map_check
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/util/card_map_check.cmake)
