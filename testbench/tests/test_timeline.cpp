// report.json "timeline" pieces on crafted input (report/timeline.hpp, report.html's section):
// bins from cumulative busy times, the depth per bin, DTCP request/reply pairing, overload
// on/off, and the HTML in time order.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "report/report_html.hpp"
#include "report/timeline.hpp"

namespace timeline_test {

using nlohmann::json;

// Busy 5 in [0,10), 0 in [10,20), 10 in [20,30): three bins read 0.5, 0, 1; two bins over
// [5,25) interpolate (2.5 of 10, then 5 of 10).
TEST(Timeline, BinsAreBusyTimeDifferencesOverTheBinWidth) {
  dfc::tb::UsageSeries s;
  s.names = {"core0"};
  s.t_ps = {0, 10, 20, 30};
  s.busy_ps = {{0}, {5}, {5}, {15}};
  s.rx_depth = {0, 3, 1, 0};
  s.rx_depth_max = {0, 7, 1, 2};
  const json t = dfc::tb::utilisation_timeline(s, 0, 30, 3);
  ASSERT_EQ(t["utilisation"]["core0"].size(), 3u);
  EXPECT_DOUBLE_EQ(t["utilisation"]["core0"][0].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(t["utilisation"]["core0"][1].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(t["utilisation"]["core0"][2].get<double>(), 1.0);
  EXPECT_EQ(t["rx_depth_max"], json({7, 1, 2}));
  EXPECT_EQ(t["rx_depth"], json({3, 1, 0}));
  const json u = dfc::tb::utilisation_timeline(s, 5, 25, 2);
  EXPECT_DOUBLE_EQ(u["utilisation"]["core0"][0].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(u["utilisation"]["core0"][1].get<double>(), 0.5);
  EXPECT_TRUE(dfc::tb::utilisation_timeline(s, 30, 30, 3).is_null()) << "an empty window";
}

TEST(Timeline, RequestsGetTheirReplyStatusAndNotificationsStandAlone) {
  dfc::tb::DtcpTimeline d;
  d.on_request(1'000'000, "10.0.0.1:5000", "ADD DTCP/0.7\r\nCsource-ID: cs1\r\nSeq: 7\r\n\r\n");
  d.on_request(2'000'000, "10.0.0.1:5000", "NOOP DTCP/0.7\r\nCsource-ID: cs1\r\nSeq: 8\r\n\r\n");
  d.on_sent(3'000'000, "10.0.0.1:5000", "DTCP/0.7 200 OK\r\nSeq: 8\r\n\r\n");
  d.on_sent(4'000'000, "10.0.0.9:2100", "DTCP/0.7 599 Restart\r\nAlert-Info: x\r\n\r\n");
  d.on_sent(5'000'000, "10.0.0.1:5000", "DTCP/0.7 432 Improper Filter\r\nSeq: 7\r\n\r\n");
  const json j = d.to_json();
  ASSERT_EQ(j["requests"].size(), 2u);
  EXPECT_EQ(j["requests"][0]["method"], "ADD");
  EXPECT_EQ(j["requests"][0]["status"], 432);
  EXPECT_DOUBLE_EQ(j["requests"][0]["reply_t_s"].get<double>(), 5e-6);
  EXPECT_EQ(j["requests"][1]["status"], 200);
  ASSERT_EQ(j["notifications"].size(), 1u);
  EXPECT_EQ(j["notifications"][0]["status"], 599);

  const json ov = dfc::tb::overload_transitions(json::parse(
      R"([{"t_s": 2.0, "name": "jnxDfcSoftPpsThresholdExceeded", "group": "g", "kind": "pps"},
          {"t_s": 5.0, "name": "jnxDfcSoftPpsUnderThreshold", "group": "g", "kind": "pps"}])"));
  EXPECT_EQ(ov[0]["on"], true);
  EXPECT_EQ(ov[1]["on"], false);

  json t = {{"dtcp", j}, {"overload", ov}};
  const std::string h = dfc::tb::html::timeline_html(t);
  const size_t add = h.find("ADD from cs1"), noop = h.find("NOOP from cs1"), restart = h.find("notification 599"),
               on = h.find("overload ON"), off = h.find("overload off");
  ASSERT_NE(add, std::string::npos) << h;
  EXPECT_LT(add, noop);
  EXPECT_LT(noop, restart);
  EXPECT_LT(restart, on);
  EXPECT_LT(on, off);
  EXPECT_NE(h.find("ADD from cs1 (10.0.0.1:5000): 432"), std::string::npos) << h;
}

}  // namespace timeline_test
