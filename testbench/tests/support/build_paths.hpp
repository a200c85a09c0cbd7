// The build's own programs and images, for the tests that run them: found next to the running
// test binary (every executable and image is built into the one bin/ directory), not compiled
// in. Two build trees (CI's Release and sanitizer builds) then compile byte-identical test
// objects, which ccache shares between them (docs/performance.md, "CI").
#pragma once
#include <string>
#include <unistd.h>

namespace dfc_test {

// The directory of the running executable (/proc/self/exe), without a trailing slash.
inline std::string bin_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
}

}  // namespace dfc_test

// A const char* to bin/NAME, built once per use site (a function-local static: thread-safe).
#define DFC_TEST_BIN_PATH(name) \
  ([]() -> const char* { static const std::string dfc_test_path_ = ::dfc_test::bin_dir() + "/" name; return dfc_test_path_.c_str(); }())

#define DFCSIM_BIN DFC_TEST_BIN_PATH("dfcsim")
#define DFCSIM_RACE_BIN DFC_TEST_BIN_PATH("dfcsim-race")
#define DTCPCTL_BIN DFC_TEST_BIN_PATH("dtcpctl")
#define DFC_FIRMWARE_ELF DFC_TEST_BIN_PATH("dfc_firmware.elf")
#define DFC_FIRMWARE_FAULT_ELF DFC_TEST_BIN_PATH("dfc_firmware_fault_byte_order.elf")
#define DFC_BIN_DIR ([]() -> const char* { static const std::string dfc_test_dir_ = ::dfc_test::bin_dir(); return dfc_test_dir_.c_str(); }())
