// The entry point of the card's block tests: SystemC calls sc_main, which runs the tests.
// SystemC elaborates once per process: a test that starts the simulation is the last one of its
// binary, or has it to itself (ctest runs every test in its own process).
#include <gtest/gtest.h>

#include <systemc>

// SystemC's QuickThreads stacks look like leaks to LeakSanitizer (toolchain notes §2.4): the
// sanitizer build runs the SystemC tests with leak checking off, as it does the testbench's.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
