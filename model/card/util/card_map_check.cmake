# The card address map generator (gen_card_map.py): a changed map reaches both generated
# headers, and every kind of bad map is refused with one line naming the problem (exit status
# non-zero, no Python traceback, nothing written).
file(MAKE_DIRECTORY ${OUT})
file(READ ${JSON} good)

# Runs the generator on `text`; sets rc, err and whether it wrote the headers.
function(generate name text)
  file(WRITE ${OUT}/${name}.json "${text}")
  file(REMOVE ${OUT}/${name}_map.hpp ${OUT}/${name}_decode.hpp)
  execute_process(COMMAND ${PYTHON} ${GEN} ${OUT}/${name}.json --hpp ${OUT}/${name}_map.hpp
                          --decode ${OUT}/${name}_decode.hpp --classifier-contract ${CONTRACT}
                  RESULT_VARIABLE r ERROR_VARIABLE e)
  set(rc "${r}" PARENT_SCOPE)
  set(err "${e}" PARENT_SCOPE)
endfunction()

function(expect_refused name text pattern)
  generate(${name} "${text}")
  if(rc EQUAL 0 OR NOT err MATCHES "^gen_card_map: .*${pattern}" OR err MATCHES "Traceback")
    message(FATAL_ERROR "${name}: not refused clearly (rc=${rc}, expected '${pattern}'): ${err}")
  endif()
  if(EXISTS ${OUT}/${name}_map.hpp OR EXISTS ${OUT}/${name}_decode.hpp)
    message(FATAL_ERROR "${name}: a refused map still wrote a header")
  endif()
  message(STATUS "${name}: ${err}")
endfunction()

# Index of the region called `region` in the map's regions list.
function(region_index text region out)
  string(JSON n LENGTH "${text}" regions)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON nm GET "${text}" regions ${i} name)
    if(nm STREQUAL region)
      set(${out} ${i} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no region ${region} in ${JSON}")
endfunction()
region_index("${good}" packet_memory pm)
region_index("${good}" semaphores sem)
region_index("${good}" classifier cls)

# The map as committed generates; moving packet memory moves it in both headers.
string(JSON moved SET "${good}" regions ${pm} base "\"0x180000000\"")
generate(moved "${moved}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the committed map, packet memory moved, does not generate: ${err}")
endif()
file(READ ${OUT}/moved_map.hpp hpp)
file(READ ${OUT}/moved_decode.hpp dec)
foreach(pat "PKT_MEM_BASE = 0x1'8000'0000ull;" "RX_RING_BASE = PKT_MEM_BASE + 0x800'0000ull;")
  string(FIND "${hpp}" "${pat}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "card_map.hpp lacks '${pat}'")
  endif()
endforeach()
string(FIND "${dec}" "{0x1'8000'0000ull, 0x2'0000'0000ull, Target::Memory, \"packet_memory\"}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "card_decode.hpp does not route the moved packet memory:\n${dec}")
endif()

# Overlapping regions: the semaphores inside the classifier's contexts.
string(JSON bad SET "${good}" regions ${sem} base "\"0x18000000\"")
expect_refused(overlap "${bad}" "regions '.*' .* and '.*' .* overlap")
# A malformed number.
string(JSON bad SET "${good}" regions ${pm} base "\"0x2zz\"")
expect_refused(bad_number "${bad}" "region 'packet_memory'.base: '0x2zz' is not an integer")
# A region without a size.
string(JSON bad REMOVE "${good}" regions ${sem} size)
expect_refused(no_size "${bad}" "region 'semaphores': give either size, or count and stride")
# A target the interconnect has no socket for.
string(JSON bad SET "${good}" regions ${sem} target "\"timer\"")
expect_refused(unknown_target "${bad}" "target 'timer' is not one of")
# A region running past the top of the address space.
string(JSON bad SET "${good}" regions ${pm} size "\"0xffffffffffffffff\"")
expect_refused(past_top "${bad}" "runs past the 64-bit address space")
# A constant placed outside its region.
string(JSON n LENGTH "${good}" header)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON nm ERROR_VARIABLE none GET "${good}" header ${i} name)
  if(nm STREQUAL "TX_BUF_BASE")
    string(JSON bad SET "${good}" header ${i} offset "\"0x300000000\"")
  endif()
endforeach()
expect_refused(offset_outside "${bad}" "constant TX_BUF_BASE: offset 0x300000000 is outside region 'packet_memory'")
# A 32-bit constant (the firmware's register addresses) placed above 4 GiB.
string(JSON bad SET "${good}" regions ${sem} base "\"0x100000000\"")
expect_refused(too_wide "${bad}" "constant HW_SEM_BASE: 0x100000000 does not fit in uint32_t")
# The classifier's contexts not where the classifier contract puts the block.
string(JSON bad SET "${good}" regions ${cls} base "\"0x8000000\"")
expect_refused(classifier_moved "${bad}" "classifier contract puts the block at 0x10000000")
# Not JSON at all.
expect_refused(not_json "{ \"regions\": [" "cannot read")
message(STATUS "card map generation: both headers follow the map; bad maps are refused")
