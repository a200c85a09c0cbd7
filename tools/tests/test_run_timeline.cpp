// report.json "timeline" of `dfcsim run`: 10 Gbit/s of small packets overruns the receive
// rings, so the depth series reaches the ring's size; each resource's bins average to
// report.json "utilisation"; the DTCP exchange read back from dtcp.pcap has the script's ADD
// with its 200; report.html shows the sections.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.hpp"

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
