// The instruction profile (MipsIss::enable_profile): exact per-function instructions and calls,
// whatever the slicing, and takes that add up to the counters.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "elf_image.hpp"
#include "iss_memory.hpp"
#include "iss_test_util.hpp"

namespace dfc::iss::test {
namespace {

using Stop = MipsIss::Slice::Stop;

struct ProfileRig {
  ProfileRig() : image(ElfImage::load(prog("profile"), cardmap::ISS_DRAM_WINDOW, cardmap::ISS_WINDOW_BYTES)) {
    mem.load(image);
    iss = std::make_unique<MipsIss>(image, mem, 1);
    dev.iss = iss.get();
    iss->map_device(cardmap::PLATFORM_BASE, cardmap::PLATFORM_BYTES, &dev);
  }
  // The profile's index of a function, by name.
  size_t fn(const std::string& name) const {
    const auto& names = iss->profile_functions();
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    ADD_FAILURE() << name << " is not among the profile's functions";
    return names.size() - 1;
  }
  ElfImage image;
  IssMemory mem;
  PlatformDevice dev;
  std::unique_ptr<MipsIss> iss;
};

// progs/profile.S: _start 406 instructions (1 call), leaf 300 (100 calls), busy 103 (1 call).
void expect_exact(const ProfileRig& r, const MipsIss::Profile& p) {
  EXPECT_EQ(p.instructions.at(r.fn("_start")), 406u);
  EXPECT_EQ(p.instructions.at(r.fn("leaf")), 300u);
  EXPECT_EQ(p.instructions.at(r.fn("busy")), 103u);
  EXPECT_EQ(p.calls.at(r.fn("_start")), 1u);
  EXPECT_EQ(p.calls.at(r.fn("leaf")), 100u);
  EXPECT_EQ(p.calls.at(r.fn("busy")), 1u);
  EXPECT_EQ(p.instructions.back(), 0u);  // nothing ran outside a function symbol
  EXPECT_EQ(p.total(), 809u);
}

TEST(IssProfile, CountsEachFunctionsInstructionsAndCallsExactly) {
  DFC_ISS_NEED_CROSS();
  ProfileRig r;
  r.iss->enable_profile();
  const auto s = r.iss->run(0, 1'000'000);
  ASSERT_EQ(s.stop, Stop::Halt);
  EXPECT_EQ(s.instructions, 809u);
  MipsIss::Profile p;
  r.iss->take_profile(0, p);
  expect_exact(r, p);
  MipsIss::Profile again;  // a take starts the count again
  r.iss->take_profile(0, again);
  EXPECT_EQ(again.total(), 0u);
}

TEST(IssProfile, SlicingAndTakesBetweenSlicesDoNotChangeIt) {
  DFC_ISS_NEED_CROSS();
  // Budgets of 2, 3 and 7 instructions (1 would never pass a branch: it retires with its delay
  // slot): every block's tail runs on the stepper, and a budget may end right after a
  // function's first instruction.
  for (uint64_t budget : {2u, 3u, 7u}) {
    ProfileRig r;
    r.iss->enable_profile();
    MipsIss::Profile p;
    uint64_t retired = 0;
    for (int i = 0; i < 10'000 && !r.iss->halted(0); ++i) {
      retired += r.iss->run(0, budget).instructions;
      r.iss->take_profile(0, p);
      EXPECT_EQ(p.total(), retired) << "budget " << budget;
    }
    ASSERT_TRUE(r.iss->halted(0)) << "budget " << budget;
    expect_exact(r, p);
  }
}

TEST(IssProfile, OffUntilEnabledAndNamesTheImagesFunctions) {
  DFC_ISS_NEED_CROSS();
  ProfileRig r;
  EXPECT_FALSE(r.iss->profiling());
  r.iss->run(0, 1'000'000);
  MipsIss::Profile p;
  r.iss->take_profile(0, p);
  EXPECT_TRUE(p.instructions.empty());
  EXPECT_TRUE(r.iss->pending_profile(0).instructions.empty());
  const auto& names = r.iss->profile_functions();
  ASSERT_EQ(names.size(), 4u);  // _start, leaf, busy, and outside any function symbol
  EXPECT_EQ(names.back(), "(outside any function symbol)");
}

}  // namespace
}  // namespace dfc::iss::test
