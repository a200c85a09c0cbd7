// MipsIss::observe: every load and store to the observed range reaches the observer with the
// instruction that made it, on both engines, from any point of a run; ll and sc are atomic.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "elf_image.hpp"
#include "iss_memory.hpp"
#include "iss_test_util.hpp"

namespace dfc::iss::test {
namespace {

using Stop = MipsIss::Slice::Stop;

struct ObserveRecorder : IssAccessObserver {
  struct Rec {
    unsigned ctx;
    IssAccess a;
  };
  std::vector<Rec> log;
  void access(unsigned ctx, const IssAccess& a) override { log.push_back({ctx, a}); }
};

struct ObserveRig {
  explicit ObserveRig(const std::string& name, unsigned contexts = 1)
      : image(ElfImage::load(prog(name), cardmap::ISS_DRAM_WINDOW, cardmap::ISS_WINDOW_BYTES)) {
    mem.load(image);
    iss = std::make_unique<MipsIss>(image, mem, contexts);
    dev.iss = iss.get();
    iss->map_device(cardmap::PLATFORM_BASE, cardmap::PLATFORM_BYTES, &dev);
  }
  uint32_t sym(const std::string& s) const { return image.find(s).value().addr; }
  void observe() { iss->observe(mem.dram().base, mem.dram().bytes, &rec); }
  ElfImage image;
  IssMemory mem;
  PlatformDevice dev;
  ObserveRecorder rec;
  std::unique_ptr<MipsIss> iss;
};

std::string dump_observed(const ObserveRig& r) {
  std::ostringstream o;
  for (const auto& e : r.rec.log) {
    const ElfSymbol* f = nullptr;
    for (const auto& s : r.image.symbols())
      if (s.addr == e.a.pc && s.name.rfind("o_", 0) == 0) f = &s;
    o << "ctx " << e.ctx << (e.a.write ? " W " : " R ") << std::hex << "0x" << e.a.addr << std::dec << " size "
      << e.a.size << " pc " << std::hex << "0x" << e.a.pc << std::dec << " " << (f ? f->name : "?")
      << (e.a.atomic ? " atomic" : "") << (e.a.pc_known ? "" : " UNKNOWN") << "\n";
  }
  return o.str();
}

TEST(IssObserve, LlAndScAreTheAtomicInstructions) {
  EXPECT_TRUE(MipsIss::is_ll_sc(0xC2080000u));   // ll $t0, 0($s0)
  EXPECT_TRUE(MipsIss::is_ll_sc(0xE2080000u));   // sc $t0, 0($s0)
  EXPECT_FALSE(MipsIss::is_ll_sc(0x8E080000u));  // lw
  EXPECT_FALSE(MipsIss::is_ll_sc(0xAE080000u));  // sw
  EXPECT_FALSE(MipsIss::is_ll_sc(0xC6000000u));  // lwc1 (0x31)
  EXPECT_FALSE(MipsIss::is_ll_sc(0xE6000000u));  // swc1 (0x39)
  EXPECT_FALSE(MipsIss::is_ll_sc(0xD6000000u));  // ldc1 (0x35)
  EXPECT_FALSE(MipsIss::is_ll_sc(0x00000000u));  // nop
}

// Each instruction of observe.S and what it touches (offsets from buf), in QEMU's order (swr's
// bytes from the address down), twice: the first pass on the stepper, the second on the main
// engine.
TEST(IssObserve, EveryAccessHasItsInstruction) {
  DFC_ISS_NEED_CROSS();
  ObserveRig r("observe");
  r.observe();
  const auto s = r.iss->run(0, 100000);
  ASSERT_EQ(s.stop, Stop::Halt) << s.fault;
  const uint32_t buf = r.sym("buf");
  struct Want {
    const char* insn;
    bool write;
    uint32_t off, size;
    bool atomic;
  };
  const std::vector<Want> pass = {
      {"o_lw", false, 0, 4, false},   {"o_sb", true, 5, 1, false},    {"o_lwl", false, 9, 1, false},
      {"o_lwl", false, 8, 4, false},  {"o_lwr", false, 12, 1, false}, {"o_lwr", false, 12, 4, false},
      {"o_swl", true, 17, 1, false},  {"o_swl", true, 18, 1, false},  {"o_swl", true, 19, 1, false},
      {"o_swr", true, 22, 1, false},  {"o_swr", true, 21, 1, false},  {"o_swr", true, 20, 1, false},
      {"o_lh", false, 2, 2, false},   {"o_ll", false, 24, 4, true},   {"o_sc", false, 24, 4, true},
      {"o_sc", true, 24, 4, true},    {"o_sdc1", true, 8, 8, false}};
  std::vector<Want> want = pass;
  want.insert(want.end(), pass.begin(), pass.end());
  ASSERT_EQ(r.rec.log.size(), want.size()) << dump_observed(r);
  const std::string all = dump_observed(r);
  for (size_t i = 0; i < want.size(); ++i) {
    const IssAccess& a = r.rec.log[i].a;
    SCOPED_TRACE(std::string("access ") + std::to_string(i) + " (" + want[i].insn + ")\n" + all);
    EXPECT_TRUE(a.pc_known);
    EXPECT_EQ(a.pc, r.sym(want[i].insn));
    EXPECT_EQ(a.write, want[i].write);
    EXPECT_EQ(a.addr, buf + want[i].off);
    EXPECT_EQ(a.size, want[i].size);
    EXPECT_EQ(a.atomic, want[i].atomic);
  }
  EXPECT_EQ(r.iss->stats().observed_accesses, want.size());
  EXPECT_EQ(r.iss->stats().unattributed_accesses, 0u);
  EXPECT_GT(r.iss->stats().stepped_blocks, 0u);
}

// Two contexts in tiny slices, observed from the middle of the run on (blocks translated
// before without the hook are translated again): the shared counter is touched only by ll and
// sc, atomically; the context's own stack word by a plain store and a plain load.
TEST(IssObserve, LlScLoopAcrossContextsObservedFromTheMiddle) {
  DFC_ISS_NEED_CROSS();
  ObserveRig r("llsc", 2);
  // Context 0 well inside its loop, which the main engine has translated (long slices).
  for (int i = 0; i < 20; ++i) r.iss->run(0, 1 + i % 5);
  for (int i = 0; i < 5; ++i) r.iss->run(0, 100);
  ASSERT_FALSE(r.iss->halted(0));
  const uint32_t done_before = r.mem.read32(r.sym("counter"));
  r.observe();
  uint32_t rng = 99;
  int guard = 0;
  while (!(r.iss->halted(0) && r.iss->halted(1)) && ++guard < 100000) {
    for (unsigned c = 0; c < 2; ++c) {
      rng = rng * 1103515245u + 12345u;
      const auto s = r.iss->run(c, 1 + (rng >> 16) % 9);
      ASSERT_NE(s.stop, Stop::Fault) << s.fault;
    }
  }
  ASSERT_TRUE(r.iss->halted(0) && r.iss->halted(1));
  const uint32_t counter = r.sym("counter"), sc = r.sym("llsc_sc");
  const uint32_t ll = sc - 8;  // retry: ll, addiu, then the sc
  std::map<unsigned, uint64_t> sc_writes;
  std::map<unsigned, std::vector<IssAccess>> stack;
  for (const auto& e : r.rec.log) {
    EXPECT_TRUE(e.a.pc_known);
    if (e.a.addr == counter) {
      EXPECT_TRUE(e.a.atomic);
      EXPECT_TRUE(e.a.pc == ll || e.a.pc == sc) << std::hex << e.a.pc;
      if (e.a.write) {
        EXPECT_EQ(e.a.pc, sc);
        ++sc_writes[e.ctx];
      }
    } else {
      EXPECT_FALSE(e.a.atomic);
      stack[e.ctx].push_back(e.a);
    }
  }
  // Every successful sc wrote: at least the iterations left (all 500 for context 1).
  EXPECT_GE(sc_writes[1], 500u);
  EXPECT_GT(done_before, 0u);
  EXPECT_GE(sc_writes[0], 500u - done_before);
  // Context 1 ran entirely observed: sw $s1, 0($sp), then lw $t1, 0($sp) at the end.
  ASSERT_EQ(stack[1].size(), 2u);
  EXPECT_TRUE(stack[1][0].write);
  EXPECT_EQ(r.mem.read32(stack[1][0].pc), 0xAFB10000u);  // sw $s1, 0($sp)
  EXPECT_FALSE(stack[1][1].write);
  EXPECT_EQ(r.mem.read32(stack[1][1].pc), 0x8FA90000u);  // lw $t1, 0($sp)
  EXPECT_EQ(stack[1][0].addr, stack[1][1].addr);
  EXPECT_EQ(r.iss->stats().unattributed_accesses, 0u);
}

// The race report names the variable an address lies in: an object symbol (typed and sized).
TEST(IssObserve, DataAddressesFindTheirObjectSymbol) {
  DFC_ISS_NEED_CROSS();
  ObserveRig r("observe");
  const uint32_t buf = r.sym("buf");
  ASSERT_NE(r.image.object_at(buf + 17), nullptr);
  EXPECT_EQ(r.image.object_at(buf + 17)->name, "buf");
  EXPECT_TRUE(r.image.object_at(buf)->object);
  EXPECT_EQ(r.image.object_at(buf + 32), nullptr);
  EXPECT_EQ(r.image.object_at(r.sym("o_lw")), nullptr);  // code is not data
}

TEST(IssObserve, ObservingTwiceIsRefused) {
  DFC_ISS_NEED_CROSS();
  ObserveRig r("count");
  r.observe();
  EXPECT_THROW(r.observe(), std::logic_error);
  ObserveRecorder other;
  EXPECT_THROW(r.iss->observe(0, 0, &other), std::invalid_argument);
}

}  // namespace
}  // namespace dfc::iss::test
