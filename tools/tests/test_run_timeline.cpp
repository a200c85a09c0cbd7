// report.json "timeline" of `dfcsim run`: 10 Gbit/s of small packets overruns the receive
// rings, so the depth series reaches the ring's size; each resource's bins average to
// report.json "utilisation"; the DTCP exchange read back from dtcp.pcap has the script's ADD
// with its 200; report.html shows the sections.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

TEST(RunTimeline, BinsAverageToTheUtilisationAndTheDepthShowsTheOverrun) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-run-timeline-" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string src = DFC_SOURCE_DIR;
  const auto c = sh(std::string("'") + DFCSIM_BIN + "' run -q --config '" + src +
                    "/testbench/scenarios/configs/one-source.conf' --dtcp '" + src +
                    "/testbench/scenarios/dtcp/one-criterion.dtcp' --traffic "
                    "rate=10g,packets=3000,flows=8,match=0.5,match-dst=10.1.1.1,match-proto=17 --out '" +
                    (dir / "out").string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  const json r = json::parse(slurp((dir / "out/report.json").string()));
  ASSERT_TRUE(r.contains("timeline"));
  const json& t = r["timeline"];
  const size_t bins = t["t_s"].size();
  ASSERT_EQ(bins, 100u);
  // The data cores, interconnect, memory, classifier and egress work only while traffic flows:
  // their bins average to report.json "utilisation". For every resource, the bins plus the
  // busy time outside the window (the control core's DTCP and timers, the ingress's look-ahead)
  // make it up.
  for (auto it = r["utilisation"].begin(); it != r["utilisation"].end(); ++it) {
    double sum = 0;
    for (const auto& x : t["utilisation"][it.key()]) sum += x.get<double>();
    const double overall = it.value().get<double>(), avg = sum / double(bins);
    const json& out = t["outside_window"][it.key()];
    EXPECT_NEAR(avg + out["before"].get<double>() + out["after"].get<double>(), overall,
                std::max(0.01 * overall, 1e-4))
        << it.key();
    const std::string k = it.key();
    const bool data_core = k.rfind("core", 0) == 0 && r["stalls"][k]["role"] == "data";
    if (data_core || k == "interconnect" || k == "memory" || k == "classifier" || k == "egress") {
      EXPECT_NEAR(avg, overall, std::max(0.01 * overall, 1e-4)) << k;
    }
  }
  uint64_t deepest = 0;
  for (const auto& x : t["rx_depth_max"]) deepest = std::max(deepest, x.get<uint64_t>());
  EXPECT_GT(r["drops"]["rx_ring_full"].get<uint64_t>(), 0u);
  EXPECT_GE(deepest, r["ingress_buffer_peak"].get<uint64_t>() / 2) << t["rx_depth_max"].dump();
  EXPECT_LE(deepest, r["ingress_buffer_peak"].get<uint64_t>());
  ASSERT_EQ(t["dtcp"]["requests"].size(), 1u) << t["dtcp"].dump();
  EXPECT_EQ(t["dtcp"]["requests"][0]["method"], "ADD");
  EXPECT_EQ(t["dtcp"]["requests"][0]["status"], 200);
  const std::string page = slurp((dir / "out/report.html").string());
  for (const char* s : {"Utilisation over time", "Receive queue depth over time", "Control plane timeline", "ADD from"})
    EXPECT_NE(page.find(s), std::string::npos) << s;
  fs::remove_all(dir);
}

// 400 ADDs arriving at the same instant, more than the control thread's receive ring holds: the
// ring takes what fits and the rest are counted as dropped requests; the run ends. (The DMA once
// checked only the slot's ownership read at the arrival, which cannot show its own descriptors of
// the same burst: it overwrote descriptors the driver never saw and the control thread polled for
// their frames for ever.)
TEST(RunTimeline, ABurstLongerThanTheControlRingIsCountedAndTheRunEnds) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-burst-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string src = DFC_SOURCE_DIR;
  json timeline = json::array();
  for (int i = 0; i < 400; ++i)
    timeline.push_back({{"at_ms", 1},
                        {"request", "ADD DTCP/0.7\nCsource-ID: md1\nCdest-ID: cd1\nDest-Address: 10.9." +
                                        std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
                                        "\nTimeout-Idle: 60\n"}});
  const json scenario = {{"config", src + "/testbench/scenarios/configs/timeouts.conf"},
                         {"traffic", "rate=10g,load=0.3,size=64,packets=20000,flows=64,match=0.5,"
                                     "match-dst=10.9.0.0/24,seed=1"},
                         {"timeline", timeline},
                         {"drain_ms", 1}};
  std::ofstream(dir / "burst.json") << scenario.dump();
  // Bounded: the hang this guards against never ends.
  const auto c = sh("timeout 120 '" + std::string(DFCSIM_BIN) + "' run -q '" + (dir / "burst.json").string() +
                    "' --out '" + (dir / "out").string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  const json r = json::parse(slurp((dir / "out/report.json").string()));
  const auto handled = r["control_requests"].get<uint64_t>(), dropped = r["control_requests_dropped"].get<uint64_t>();
  EXPECT_EQ(handled + dropped, 400u);
  EXPECT_GT(dropped, 0u) << "more than the ring holds";
  EXPECT_GT(handled, 0u);
  EXPECT_TRUE(r["scoreboard"]["pass"].get<bool>()) << r["scoreboard"].dump();
  fs::remove_all(dir);
}
