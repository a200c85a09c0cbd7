// report.json "timeline" and report.html's plots over time, on a real `dfcsim serve` with
// traffic and a DTCP exchange: each resource's utilisation bins average to report.json
// "utilisation" (the same busy times over the same window), the receive-queue depth has one
// value per bin, the requests carry the status of their replies, and report.html shows the
// three sections. Loopback only; every wait is bounded (hil_fixture.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

#include "hil_fixture.hpp"

using namespace dfc::hil;

TEST_F(Hil, ServeTimelineAveragesToTheUtilisationAndListsTheExchange) {
  start_serve({"--traffic", "pps=5000,packets=100000,flows=8,match=1,match-dst=10.1.1.1,match-proto=17"});
  if (HasFatalFailure()) return;
  Result add = ctl({"add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--proto", "17", "--timeout-idle", "60"});
  EXPECT_EQ(add.rc, 0) << add.out << add.err;
  Result noop = ctl({"noop"});
  EXPECT_EQ(noop.rc, 0) << noop.out << noop.err;
  std::this_thread::sleep_for(std::chrono::seconds(1));  // traffic over many bins
  const json r = stop_serve();
  ASSERT_TRUE(r.contains("timeline")) << r.dump(1).substr(0, 2000);
  const json& t = r["timeline"];
  const size_t bins = t["t_s"].size();
  EXPECT_EQ(bins, 100u);
  EXPECT_GT(t["samples"].get<size_t>(), 10u);
  double busiest = 0;
  for (auto it = r["utilisation"].begin(); it != r["utilisation"].end(); ++it) {
    ASSERT_TRUE(t["utilisation"].contains(it.key())) << it.key();
    const json& v = t["utilisation"][it.key()];
    ASSERT_EQ(v.size(), bins);
    double sum = 0;
    for (const auto& x : v) sum += x.get<double>();
    const double avg = sum / double(bins), overall = it.value().get<double>();
    // Busy time outside the window (timers after the last packet) is in outside_window.
    const json& out = t["outside_window"][it.key()];
    EXPECT_NEAR(avg + out["before"].get<double>() + out["after"].get<double>(), overall,
                std::max(0.01 * overall, 1e-4))
        << it.key();
    if (it.key() != "core0") {  // the control core: DTCP and timers, also outside the window
      EXPECT_NEAR(avg, overall, std::max(0.01 * overall, 1e-4)) << it.key();
    }
    busiest = std::max(busiest, overall);
  }
  EXPECT_GT(busiest, 0.0) << "the traffic kept something busy";
  size_t busy_bins = 0;
  for (const auto& x : t["utilisation"]["interconnect"]) busy_bins += x.get<double>() > 0;
  EXPECT_GT(busy_bins, bins / 2) << "paced traffic spreads over the window: " << t["utilisation"]["interconnect"].dump();
  EXPECT_EQ(t["rx_depth"].size(), bins);
  EXPECT_EQ(t["rx_depth_max"].size(), bins);
  // The ADD and the NOOP, each answered 200 after it arrived.
  std::vector<std::string> methods;
  for (const auto& q : t["dtcp"]["requests"]) {
    methods.push_back(q["method"]);
    EXPECT_EQ(q["status"], 200) << q.dump();
    EXPECT_GE(q["reply_t_s"].get<double>(), q["t_s"].get<double>()) << q.dump();
    EXPECT_EQ(q["csource"], "cs1");
  }
  EXPECT_EQ(methods, (std::vector<std::string>{"ADD", "NOOP"}));
  std::ifstream h(dir_ / "out" / "report.html");
  const std::string page((std::istreambuf_iterator<char>(h)), std::istreambuf_iterator<char>());
  for (const char* s : {"Utilisation over time", "Receive queue depth over time", "Control plane timeline",
                        "ADD from cs1", "NOOP from cs1"})
    EXPECT_NE(page.find(s), std::string::npos) << s;
}
