// Saturation plateau: 64-byte traffic offered at several loads above the card's capacity.
// The processed rate must plateau at the calibrated capacity (within 10 % of 300 kpps for
// ms3 and 1 Mpps for ms400, 1k criteria), the excess must be dropped and counted at the
// ingress buffer, and the report's accounting must balance. Each run is its own dfcsim
// process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "cli_test_util.hpp"

namespace fs = std::filesystem;

namespace {

using dfc::test::Cmd;
using dfc::test::sh;  // tools/tests/cli_test_util.hpp

nlohmann::json run(const std::string& profile, const std::string& traffic, const std::string& tag) {
  const fs::path out = fs::temp_directory_path() / ("dfcsim-sat-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(out);
  const std::string scen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' run -q --config '" + scen + "configs/one-source.conf' --dtcp '" +
                   scen + "dtcp/1k-criteria.dtcp' --profile " + profile + " --traffic '" + traffic + "' --out '" +
                   out.string() + "'");
  EXPECT_EQ(c.rc, 0) << c.out;
  std::ifstream f(out / "report.json");
  nlohmann::json r = nlohmann::json::parse(f, nullptr, false);
  fs::remove_all(out);
  return r;
}

void plateau(const std::string& profile, double capacity, const char* rate, std::initializer_list<double> loads,
             uint64_t packets) {
  for (double load : loads) {
    const std::string traffic = std::string("rate=") + rate + ",load=" + std::to_string(load) +
                                ",size=64,packets=" + std::to_string(packets) +
                                ",flows=1000,locality=0.5,match=0.1,match-dst=10.200.0.1,match-proto=17,"
                                "match-dport=1000,seed=1";
    SCOPED_TRACE(profile + " " + traffic);
    const nlohmann::json r = run(profile, traffic, profile + "-" + std::to_string(int(load * 1000)));
    ASSERT_TRUE(r.is_object());
    const double offered = r["offered_pps"].get<double>(), achieved = r["achieved_pps"].get<double>();
    EXPECT_GT(offered, 1.3 * capacity);
    EXPECT_NEAR(achieved, capacity, 0.1 * capacity) << "offered " << offered;
    const uint64_t dropped = r["drops"]["ingress_buffer_full"].get<uint64_t>();
    EXPECT_GT(dropped, 0u);
    EXPECT_EQ(r["accounting"]["balanced"].get<int>(), 1) << r["accounting"].dump();
    EXPECT_EQ(r["packets_in"].get<uint64_t>(), r["accounting"]["processed"].get<uint64_t>() + dropped);
    EXPECT_TRUE(r["scoreboard"]["pass"].get<bool>());
  }
}

}  // namespace

TEST(Saturation, Ms3PlateausAt300kpps) { plateau("ms3", 300e3, "1g", {0.3, 0.6, 1.0}, 40000); }

TEST(Saturation, Ms400PlateausAt1Mpps) { plateau("ms400", 1e6, "10g", {0.1, 0.3, 1.0}, 100000); }
