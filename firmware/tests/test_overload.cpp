// OverloadMonitor: 1-s input-rate windows, PIC-memory usage, hysteresis, the MS-III cap.
#include <gtest/gtest.h>

#include "dfc/config/config.hpp"
#include "dfc/fw/overload.hpp"

using dfc::fw::OverloadMonitor;
using dfc::fw::OverloadOptions;

namespace {
constexpr uint64_t kS = 1'000'000'000ull;

dfc::config::DfcConfig cfg_with(const char* thresholds) {
  std::string text = std::string("services { dynamic-flow-capture { capture-group g1 { interfaces dfc-0/0/0; ") +
                     thresholds +
                     " control-source md1 { service-port 2400; shared-key \"k\"; }"
                     " content-destination cd1 { address 10.0.0.1; } } } }";
  return dfc::config::parse_config(text);
}

// n packets spread evenly over [from_s, from_s + 1)
void second_of(OverloadMonitor& m, uint64_t from_s, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) m.on_packet(from_s * kS + i * (kS / (n ? n : 1)));
}
}  // namespace

TEST(Overload, SoftPpsExceededThenUnderWithHysteresis) {
  OverloadMonitor m(cfg_with("input-packet-rate-threshold 1k;"), OverloadOptions{});
  second_of(m, 0, 1000);   // = high watermark
  second_of(m, 1, 950);    // between low (900) and high: no event
  second_of(m, 2, 1200);
  second_of(m, 3, 899);    // below low
  m.tick(4 * kS + 1);
  ASSERT_EQ(m.events().size(), 2u);
  EXPECT_EQ(m.events()[0].name, "jnxDfcSoftPpsThresholdExceeded");
  EXPECT_EQ(m.events()[0].t_ns, 1 * kS);
  EXPECT_EQ(m.events()[0].value, 1000u);
  EXPECT_EQ(m.events()[0].group, "g1");
  EXPECT_EQ(m.events()[0].high_watermark, 1000u);
  EXPECT_EQ(m.events()[0].low_watermark, 900u);
  EXPECT_EQ(m.events()[1].name, "jnxDfcSoftPpsUnderThreshold");
  EXPECT_EQ(m.events()[1].t_ns, 4 * kS);
  EXPECT_EQ(m.peak_window_pps(), 1200u);
}

TEST(Overload, IdleSecondsCountAsZeroAndTheTimerClosesWindows) {
  OverloadMonitor m(cfg_with("input-packet-rate-threshold 100;"), OverloadOptions{});
  second_of(m, 0, 150);
  m.tick(7 * kS + 5);  // no packet since: the window after the traffic has rate 0
  ASSERT_EQ(m.events().size(), 2u);
  EXPECT_EQ(m.events()[1].name, "jnxDfcSoftPpsUnderThreshold");
  EXPECT_EQ(m.events()[1].value, 0u);
  EXPECT_EQ(m.last_window_pps(), 0u);
}

TEST(Overload, Ms3CapsTheRateThresholdAt300kAndHardIsPicWide) {
  OverloadOptions ms3;
  ms3.rated_input_pps = 300'000;
  const auto cfg = cfg_with("input-packet-rate-threshold 1m;");
  OverloadMonitor m(cfg, ms3);
  EXPECT_EQ(m.effective_pps_threshold(cfg.capture_groups[0]), 300'000u);
  OverloadMonitor m400(cfg, OverloadOptions{});
  EXPECT_EQ(m400.effective_pps_threshold(cfg.capture_groups[0]), 1'000'000u);
  second_of(m, 0, 290'000);  // >= 95 % of 300 k: hard only (soft needs 300 k)
  m.tick(1 * kS);
  ASSERT_EQ(m.events().size(), 1u);
  EXPECT_EQ(m.events()[0].name, "jnxDfcHardPpsThresholdExceeded");
  EXPECT_EQ(m.events()[0].group, "");
  EXPECT_EQ(m.events()[0].high_watermark, 285'000u);
  EXPECT_EQ(m.events()[0].low_watermark, 255'000u);
}

TEST(Overload, PicMemoryIsTheHigherOfFlowAndCriteriaUsage) {
  OverloadMonitor m(cfg_with("pic-memory-threshold percentage 50;"), OverloadOptions{});
  m.memory(10, 100, 1000, 400, 1000);  // 10 % / 40 %
  EXPECT_TRUE(m.events().empty());
  m.memory(20, 500, 1000, 100, 1000);  // flows 50 %
  ASSERT_EQ(m.events().size(), 1u);
  EXPECT_EQ(m.events()[0].name, "jnxDfcSoftMemThresholdExceeded");
  EXPECT_EQ(m.events()[0].flows_usage_pct, 50u);
  EXPECT_EQ(m.events()[0].criteria_usage_pct, 10u);
  m.memory(30, 100, 1000, 460, 1000);  // 46 %: above low (45)
  EXPECT_EQ(m.events().size(), 1u);
  m.memory(40, 100, 1000, 440, 1000);  // 44 %
  ASSERT_EQ(m.events().size(), 2u);
  EXPECT_EQ(m.events()[1].name, "jnxDfcSoftMemUnderThreshold");
  m.memory(50, 960, 1000, 0, 1000);  // hard: 95 %
  EXPECT_EQ(m.counts().at("jnxDfcHardMemThresholdExceeded"), 1u);
  EXPECT_EQ(m.counts().at("jnxDfcSoftMemThresholdExceeded"), 2u);
}

TEST(Overload, NothingConfiguredOnlyHardThresholds) {
  OverloadMonitor m(cfg_with(""), OverloadOptions{});
  second_of(m, 0, 5000);
  m.memory(1, 10, 100, 10, 100);
  m.tick(3 * kS);
  EXPECT_TRUE(m.events().empty());
  EXPECT_EQ(m.thresholds().size(), 2u);
}
