// Shared helpers of the model/iss tests: the cross-compiled programs and a recording device.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dfc/hal/card_map.hpp"
#include "mips_iss.hpp"

namespace dfc::iss::test {

inline std::string prog(const std::string& name) { return std::string(DFC_ISS_PROGS) + "/" + name + ".elf"; }

#define DFC_ISS_NEED_CROSS()                                                                          \
  do {                                                                                                \
    if (!DFC_ISS_HAVE_CROSS)                                                                          \
      GTEST_SKIP() << "mips-linux-gnu-gcc was not found at configure time: the test programs were "   \
                      "not built (run scripts/setup-deps.sh, then configure again)";                  \
  } while (0)

// The platform registers as the tests need them: PLAT_CTX reads the context, PLAT_WAIT yields,
// PLAT_HALT halts with the value written; every access is recorded.
struct PlatformDevice : IssDevice {
  struct Access {
    bool write;
    unsigned ctx;
    uint32_t addr, value;
    unsigned size;
  };
  MipsIss* iss = nullptr;
  std::vector<Access> log;

  uint32_t read(unsigned ctx, uint32_t addr, unsigned size) override {
    log.push_back({false, ctx, addr, 0, size});
    return addr == cardmap::PLATFORM_BASE + cardmap::PLAT_CTX ? ctx : 0;
  }
  void write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size) override {
    log.push_back({true, ctx, addr, value, size});
    if (addr == cardmap::PLATFORM_BASE + cardmap::PLAT_WAIT) iss->yield();
    if (addr == cardmap::PLATFORM_BASE + cardmap::PLAT_HALT) iss->halt(value);
  }
};

}  // namespace dfc::iss::test
