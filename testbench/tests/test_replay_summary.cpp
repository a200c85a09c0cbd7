// The replay summary (report.json "replay" and its line): the rate asked for against the rate
// packets arrived at, and the ingress line named when it held them back.
#include <gtest/gtest.h>

#include "report/replay_summary.hpp"

namespace {
using namespace dfc::tb;

ReplayFigures figures(const char* timing, double pps, double mbps) {
  ReplayFigures f;
  f.timing = timing, f.requested_pps = pps, f.requested_mbps = mbps;
  f.packets = 11, f.bytes = 11 * 1000;
  f.first_arrival_ps = 5'000'000, f.last_arrival_ps = 5'000'000 + 10 * 1'000'000;  // 10 gaps of 1 us
  f.ingress_bps = 10e9;
  return f;
}

TEST(ReplaySummary, ActualRateIsGapsOverTheSpanAndBytesPerPacket) {
  const auto r = replay_json(figures("pps", 1e6, 0));
  EXPECT_DOUBLE_EQ(r["span_s"].get<double>(), 10e-6);
  EXPECT_DOUBLE_EQ(r["actual_pps"].get<double>(), 1e6);   // 10 gaps in 10 us
  EXPECT_DOUBLE_EQ(r["actual_mbps"].get<double>(), 8000);  // 1e6 x 1000 bytes x 8
  EXPECT_FALSE(r["limited_by_line"].get<bool>()) << "asked 1 Mpps, got it";
  EXPECT_EQ(replay_line(r), "replay: 11 packets, 11000 bytes in 10 us: asked 1 Mpps, actual 1 Mpps (8 Gb/s)");
}

TEST(ReplaySummary, AskingMoreThanArrivedNamesTheLine) {
  const auto r = replay_json(figures("pps", 1e7, 0));
  EXPECT_TRUE(r["limited_by_line"].get<bool>());
  EXPECT_NE(replay_line(r).find("held back by the ingress line (10 Gb/s)"), std::string::npos) << replay_line(r);
  EXPECT_TRUE(replay_json(figures("mbps", 0, 9000))["limited_by_line"].get<bool>()) << "9 Gb/s asked, 8 arrived";
  EXPECT_FALSE(replay_json(figures("mbps", 0, 8000))["limited_by_line"].get<bool>());
  EXPECT_TRUE(replay_json(figures("line-rate", 0, 0))["limited_by_line"].get<bool>());
  EXPECT_FALSE(replay_json(figures("original", 0, 0))["limited_by_line"].get<bool>());
  EXPECT_NE(replay_line(replay_json(figures("original", 0, 0))).find("asked the capture's timing"), std::string::npos);
}

TEST(ReplaySummary, OnePacketHasNoRate) {
  ReplayFigures f = figures("pps", 1e6, 0);
  f.packets = 1, f.bytes = 1000, f.last_arrival_ps = f.first_arrival_ps;
  const auto r = replay_json(f);
  EXPECT_EQ(r["actual_pps"].get<double>(), 0.0);
  EXPECT_FALSE(r["limited_by_line"].get<bool>()) << "nothing measured, nothing claimed";
}

}  // namespace
