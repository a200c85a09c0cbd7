// The simulation shortcut is behaviourally identical: the Verilated simulation form
// of classifier.sv (DFC_CLS_SIM_FAST: flat table, skipped chunks, early stop) and its synthesis
// form (the classifier_chunk memories Yosys synthesizes) get the same random vectors on every
// clock - entry writes, range units, group enables, lookups back to back, resets - and must
// drive the same value on every output after every clock.
#include <verilated.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "Vclassifier_64.h"
#include "Vclassifier_fast_128.h"
#include "Vclassifier_hw_128.h"
#include "Vclassifier_hw_64.h"
#include "dfc/hal/classifier_abi.hpp"

namespace {

struct Outs {
  bool res_valid, res_hit, m_valid, lk_done;
  uint32_t res_first, res_count, m_idx;
  bool operator==(const Outs& o) const {
    return res_valid == o.res_valid && res_hit == o.res_hit && m_valid == o.m_valid &&
           lk_done == o.lk_done && res_first == o.res_first && res_count == o.res_count &&
           m_idx == o.m_idx;
  }
};

// One clock's inputs, applied identically to both models.
struct In {
  bool rst = false, wr = false, ru = false, ge = false, lk = false;
  uint32_t wr_idx = 0, wr_group = 0, ru_idx = 0, ru_field = 0, ru_lo = 0, ru_hi = 0;
  uint32_t ge_group = 0;
  bool wr_valid = false, ge_value = false;
  uint32_t value[dfc::abi::ENTRY_WORDS] = {}, mask[dfc::abi::ENTRY_WORDS] = {};
  uint32_t key[dfc::abi::KEY_IN_WORDS] = {};
};

template <typename V>
Outs clock(V& v, const In& in) {
  v.rst_n = !in.rst;
  v.wr_en = in.wr;
  v.wr_idx = in.wr_idx;
  v.wr_valid = in.wr_valid;
  v.wr_group = in.wr_group;
  for (unsigned w = 0; w < dfc::abi::ENTRY_WORDS; ++w) {
    v.wr_value[w] = in.value[w];
    v.wr_mask[w] = in.mask[w];
  }
  v.ru_en = in.ru;
  v.ru_idx = in.ru_idx;
  v.ru_field = in.ru_field;
  v.ru_lo = in.ru_lo;
  v.ru_hi = in.ru_hi;
  v.ge_en = in.ge;
  v.ge_group = in.ge_group;
  v.ge_value = in.ge_value;
  v.lk_valid = in.lk;
  for (unsigned w = 0; w < dfc::abi::KEY_IN_WORDS; ++w) v.lk_key[w] = in.key[w];
  v.clk = 1;
  v.eval();
  v.clk = 0;
  v.eval();
  return Outs{v.res_valid != 0, v.res_hit != 0, v.m_valid != 0, v.lk_done != 0,
              v.res_first, v.res_count, v.m_idx};
}

// sparse: every entry cares about 1 to 3 random nibbles only (entry bits and range bits), and a
// third of the writes invalidate, so chunks keep joining and leaving the set some valid entry
// cares about: the simulation form's care list (rebuilt on those transitions) must follow it.
template <typename Fast, typename Hw>
void run(uint32_t n, unsigned clocks, uint32_t seed, bool sparse = false) {
  VerilatedContext cf, ch;
  Fast fast(&cf, "fast");
  Hw hw(&ch, "hw");
  std::mt19937 rng(seed);
  In in;
  in.rst = true;
  clock(fast, in);
  clock(hw, in);
  uint32_t keys_with_hits = 0, matches = 0;
  std::vector<In> written;  // to present keys near stored entries
  for (unsigned t = 0; t < clocks; ++t) {
    In x;
    x.rst = rng() % 2000 == 0;
    const unsigned r = rng() % 16;
    x.wr = r < 5;
    x.ru = r == 5 || rng() % 40 == 0;
    x.ge = r == 6 || rng() % 20 == 0;
    x.lk = r >= 7 || rng() % 3 == 0;  // also together with writes: atomicity must agree too
    x.wr_idx = rng() % n;
    x.wr_valid = sparse ? rng() % 3 != 0 : rng() % 8 != 0;
    x.wr_group = rng() % 8;
    for (unsigned w = 0; w < dfc::abi::ENTRY_WORDS; ++w) {
      uint32_t m = rng() & rng() & rng();
      if (rng() % 3 == 0) m = 0;
      if (w >= dfc::abi::W_RANGE) m = rng() % 4 == 0 ? 1u << (rng() % 32) : 0;
      x.mask[w] = m;
      x.value[w] = rng() & m;
    }
    if (sparse) {
      for (unsigned w = 0; w < dfc::abi::ENTRY_WORDS; ++w) x.mask[w] = x.value[w] = 0;
      for (unsigned k = 1 + rng() % 3; k > 0; --k) {
        const unsigned nib = rng() % (dfc::abi::ENTRY_WORDS * 8);
        const uint32_t m = (1 + rng() % 15) << (4 * (nib % 8));
        x.mask[nib / 8] |= m;
        x.value[nib / 8] |= rng() & m;
      }
    }
    x.ru_idx = rng() % dfc::abi::RANGE_UNITS;
    x.ru_field = rng() % 4;
    x.ru_lo = rng() & 0xffff;
    x.ru_hi = (x.ru_lo + rng() % 5000) & 0xffff;
    x.ge_group = rng() % 8;
    x.ge_value = rng() % 4 != 0;
    if (x.wr) written.push_back(x);
    if (!written.empty() && rng() % 4 != 0) {
      const In& e = written[rng() % written.size()];
      for (unsigned w = 0; w < dfc::abi::KEY_IN_WORDS; ++w)
        x.key[w] = (rng() & ~e.mask[w]) | e.value[w];
    } else {
      for (auto& w : x.key) w = rng();
    }
    const Outs a = clock(fast, x), b = clock(hw, x);
    ASSERT_TRUE(a == b) << "clock " << t << ": fast {valid " << a.res_valid << " hit " << a.res_hit
                        << " first " << a.res_first << " count " << a.res_count << " m " << a.m_valid
                        << "/" << a.m_idx << " done " << a.lk_done << "} hw {valid " << b.res_valid
                        << " hit " << b.res_hit << " first " << b.res_first << " count "
                        << b.res_count << " m " << b.m_valid << "/" << b.m_idx << " done "
                        << b.lk_done << "}";
    keys_with_hits += a.res_valid && a.res_hit;
    matches += a.m_valid;
  }
  // The vectors must exercise matching, not only misses (a lookup every other clock restarts
  // the match stream, and groups come and go, so hits are a minority: ~1.5 % of clocks).
  EXPECT_GT(keys_with_hits, clocks / 100);
  EXPECT_GT(matches, clocks / 100);
}

TEST(ClassifierVariants, SimulationFormEqualsSynthesisForm64) {
  run<Vclassifier_64, Vclassifier_hw_64>(64, 20000, 1);
}
TEST(ClassifierVariants, SimulationFormEqualsSynthesisForm128) {
  run<Vclassifier_fast_128, Vclassifier_hw_128>(128, 12000, 2);
}
TEST(ClassifierVariants, SimulationFormEqualsSynthesisFormSparseMasks) {
  run<Vclassifier_64, Vclassifier_hw_64>(64, 20000, 3, true);
}

}  // namespace
