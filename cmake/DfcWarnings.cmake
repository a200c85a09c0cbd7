# dfc_warnings(target): the project's warning set, errors when DFC_WERROR is on (CI), and the
# sanitizer flags in a DFC_SANITIZE build. Every target of project code calls it; generated code
# does not.
function(dfc_warnings target)
  # Test drivers: targets defined under a tests/ or dv/ directory.
  get_target_property(dir ${target} SOURCE_DIR)
  set(driver FALSE)
  if(dir MATCHES "/(tests|dv)$")
    set(driver TRUE)
  endif()
  # The sanitizers instrument the code under test (libraries and programs). Test drivers are
  # compiled exactly as in the Release build and only linked with the sanitizer runtimes: CI's
  # sanitizer build then takes them from ccache, and they were 57 % of its compile CPU
  # (docs/performance.md, "CI"). What that gives up: UBSan checks of the drivers' own code, and
  # in a driver binary an inline function the driver also instantiates may be its uninstrumented
  # copy (the linker keeps one). Allocation errors are still caught everywhere (ASan replaces
  # malloc for the whole process), and dfcsim, which the tools and docs tests run, is all
  # instrumented.
  if(DFC_SANITIZE_FLAGS AND NOT driver)
    target_compile_options(${target} PRIVATE ${DFC_SANITIZE_FLAGS})
  endif()
  # Test drivers compile at -O1, after the build type's -O3: they are half of the build's compile
  # CPU (measured, docs/performance.md "CI"), while their run time is spent in the -O3 libraries
  # they call.
  if(DFC_TEST_OPT AND driver)
    target_compile_options(${target} PRIVATE ${DFC_TEST_OPT})
  endif()
  if(DFC_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${DFC_UNITY})
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  # (-Wnull-dereference is left out: with GCC 12 at -O3 it fires inside libstdc++ algorithms.)
  if(DFC_WERROR)
    # GCC 12 reports std::vector::insert/copy at -O3 as out of bounds (GCC PR 107852 and
    # friends); the warning stays visible but does not fail the build.
    target_compile_options(${target} PRIVATE -Werror)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-error=array-bounds -Wno-error=stringop-overflow)
      # Under -fsanitize=address,undefined GCC 12 reports std::regex's internal std::function
      # as maybe-uninitialized (a known false positive of the sanitizer instrumentation); it
      # stays a warning in the sanitizer build only.
      if(DFC_SANITIZE AND NOT driver)
        target_compile_options(${target} PRIVATE -Wno-error=maybe-uninitialized)
      endif()
    endif()
  endif()
endfunction()
