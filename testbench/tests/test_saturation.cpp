// Saturation plateau: 64-byte traffic offered at several loads above the card's capacity.
// Whatever the capacity is (a prediction of the model, docs/model.md §5), the processed rate
// must plateau there: the same within 10 % at every load above it, the excess dropped and
// counted at the ingress (no free buffer or a full thread ring), the report's accounting
// balanced and the checker agreeing. Each run is its own dfcsim process (SystemC elaborates
// once per process).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;

namespace {

using dfc::test::Cmd;
using dfc::test::sh;  // tools/tests/cli_test_util.hpp

nlohmann::json run(const std::string& profile, const std::string& traffic, const std::string& tag,
                   const std::string& sets) {
  const fs::path out = fs::temp_directory_path() / ("dfcsim-sat-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(out);
  const std::string scen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' run -q --config '" + scen + "configs/one-source.conf' --dtcp '" +
                   scen + "dtcp/1k-criteria.dtcp' --profile " + profile + " " + sets + " --traffic '" + traffic + "' --out '" +
                   out.string() + "'");
  EXPECT_EQ(c.rc, 0) << c.out;
  std::ifstream f(out / "report.json");
  nlohmann::json r = nlohmann::json::parse(f, nullptr, false);
  fs::remove_all(out);
  return r;
}

void plateau(const std::string& profile, const std::string& sets, const char* rate, std::initializer_list<double> loads,
             uint64_t packets) {
  double capacity = 0;
  for (double load : loads) {
    const std::string traffic = std::string("rate=") + rate + ",load=" + std::to_string(load) +
                                ",size=64,packets=" + std::to_string(packets) +
                                ",flows=1000,locality=0.5,match=0.1,match-dst=10.200.0.1,match-proto=17,"
                                "match-dport=1000,seed=1";
    SCOPED_TRACE(profile + " " + sets + " " + traffic);
    const nlohmann::json r = run(profile, traffic, profile + "-" + std::to_string(int(load * 1000)), sets);
    ASSERT_TRUE(r.is_object());
    const double offered = r["offered_pps"].get<double>(), achieved = r["achieved_pps"].get<double>();
    if (capacity == 0) capacity = achieved;  // the lowest load already saturates
    EXPECT_GT(offered, 1.3 * achieved) << "not saturated";
    EXPECT_NEAR(achieved, capacity, 0.1 * capacity) << "offered " << offered;
    const uint64_t dropped =
        r["drops"]["ingress_buffer_full"].get<uint64_t>() + r["drops"]["rx_ring_full"].get<uint64_t>();
    EXPECT_GT(dropped, 0u);
    EXPECT_EQ(r["accounting"]["balanced"].get<int>(), 1) << r["accounting"].dump();
    EXPECT_EQ(r["packets_in"].get<uint64_t>(), r["accounting"]["processed"].get<uint64_t>() + dropped);
    EXPECT_TRUE(r["scoreboard"]["pass"].get<bool>());
    EXPECT_NE(r["bottleneck"], "ingress") << "the card dropped arrivals: the limit is inside it";
  }
}

}  // namespace

TEST(Saturation, Ms3Plateaus) { plateau("ms3", "", "10g", {0.5, 0.75, 1.0}, 40000); }

// At 10GbE the 28 data threads keep up with 64-byte frames (docs/model.md §5): a 40 Gbit/s
// ingress saturates the card.
TEST(Saturation, Ms400Plateaus) { plateau("ms400", "--set ingress_bps=40e9", "40g", {0.6, 0.8, 1.0}, 100000); }
