// The hardware-thread card model through whole `dfcsim run`s (one process per run):
//  * the quantum is a simulation parameter, not hardware: a saturated run carries the same
//    packet rate at a 500 ns and a 100 us quantum;
//  * ms400's profile in report.json is the PIC's 8 cores x 4 threads with a control core, and
//    report.json breaks every core's and thread's time down (stalls) and lists the locks;
//  * the default regression scenarios and the lockstep classifier hold on 8 x 4 under five
//    schedule seeds (the threads' interleaving perturbed).
#include <gtest/gtest.h>

#include <cmath>
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

const std::string kScen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";

fs::path out_dir(const std::string& tag) {
  return fs::temp_directory_path() / ("dfcsim-threads-" + std::to_string(getpid()) + "-" + tag);
}

// One `dfcsim run -q <args>`: its exit code and output, and its report.json (null when absent).
struct Result {
  Cmd cmd;
  nlohmann::json report;
};

Result run(const std::string& args, const std::string& tag) {
  const fs::path out = out_dir(tag);
  fs::remove_all(out);
  Result r;
  r.cmd = sh(std::string("'") + DFCSIM_BIN + "' run -q " + args + " --out '" + out.string() + "'");
  std::ifstream f(out / "report.json");
  if (f) r.report = nlohmann::json::parse(f, nullptr, false);
  fs::remove_all(out);
  return r;
}

// The saturated traffic of test_model_emergent.cpp: 64-byte frames offered far above what one
// data core carries, 1k criteria, 10 % of flows matching.
nlohmann::json saturated(const std::string& sets, const std::string& tag) {
  const Result r = run("--config '" + kScen + "configs/one-source.conf' --dtcp '" + kScen +
                           "dtcp/1k-criteria.dtcp' --profile ms400 " + sets +
                           " --traffic 'rate=10g,load=0.5,size=64,packets=30000,flows=1000,locality=0.5,match=0.1,"
                           "match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1'",
                       tag);
  EXPECT_EQ(r.cmd.rc, 0) << r.cmd.out;
  return r.report;
}

TEST(ModelThreads, ThroughputDoesNotDependOnTheQuantum) {
  const nlohmann::json fine = saturated("--set cores=2 --set quantum_ns=500", "q500");
  const nlohmann::json coarse = saturated("--set cores=2 --set quantum_ns=100000", "q100k");
  ASSERT_TRUE(fine.is_object());
  ASSERT_TRUE(coarse.is_object());
  EXPECT_EQ(fine["profile"]["quantum_ns"].get<double>(), 500.0);
  EXPECT_EQ(coarse["profile"]["quantum_ns"].get<double>(), 100000.0);
  // Saturated: the card, not the offered load, sets the rate.
  const double offered = fine["offered_pps"].get<double>(), a = fine["achieved_pps"].get<double>(),
               b = coarse["achieved_pps"].get<double>();
  ASSERT_LT(a, 0.9 * offered) << "not saturated";
  EXPECT_NEAR(b / a, 1.0, 0.02) << "500 ns: " << a << " pps, 100 us: " << b << " pps";
}

TEST(ModelThreads, Ms400ReportShowsEightCoresOfFourThreads) {
  const Result r = run("'" + kScen + "three-sources.json' --profile ms400", "ms400");
  ASSERT_EQ(r.cmd.rc, 0) << r.cmd.out;
  const nlohmann::json& j = r.report;
  ASSERT_TRUE(j.is_object());
  const nlohmann::json& prof = j["profile"];
  EXPECT_EQ(prof["cores"].get<double>(), 8.0);
  EXPECT_EQ(prof["threads_per_core"].get<double>(), 4.0);
  EXPECT_GE(prof["control_cores"].get<double>(), 1.0);
  for (const auto& [k, v] : prof.items()) EXPECT_EQ(k.find("rx_descriptor"), std::string::npos) << k;
  const nlohmann::json& stalls = j["stalls"];
  ASSERT_TRUE(stalls.is_object());
  EXPECT_EQ(stalls.size(), 8u) << stalls.dump();
  const char* kinds[] = {"compute", "memory", "lock", "classifier", "idle"};
  auto sum = [&](const nlohmann::json& s) {
    double t = 0;
    for (const char* k : kinds) {
      EXPECT_TRUE(s.contains(k)) << s.dump();
      if (!s.contains(k)) continue;
      EXPECT_GE(s[k].get<double>(), 0.0);
      t += s[k].get<double>();
    }
    return t;
  };
  for (int c = 0; c < 8; ++c) {
    const std::string core = "core" + std::to_string(c);
    ASSERT_TRUE(stalls.contains(core)) << stalls.dump();
    const nlohmann::json& s = stalls[core];
    EXPECT_NEAR(sum(s), 1.0, 1e-3) << core;
    ASSERT_TRUE(s["threads"].is_object()) << core;
    EXPECT_EQ(s["threads"].size(), 4u) << core;
    for (int t = 0; t < 4; ++t) {
      const std::string th = "t" + std::to_string(t);
      ASSERT_TRUE(s["threads"].contains(th)) << core << " " << s.dump();
      EXPECT_NEAR(sum(s["threads"][th]), 1.0, 1e-3) << core << " " << th;
    }
  }
  EXPECT_EQ(stalls["core0"]["role"], "control");
  ASSERT_TRUE(j["locks"].is_object());
  EXPECT_TRUE(j["locks"].contains("criteria")) << j["locks"].dump();
}

// A scenario on ms400 (8 x 4) under schedule seeds 1..5: each run exits 0 (its scoreboard and
// expectations hold). The scenario's own profile must be ms400, or the test would not cover 8 x 4.
void seeds_exit_zero(const std::string& scenario, const std::string& extra, const std::string& tag) {
  for (int seed = 1; seed <= 5; ++seed) {
    const Result r = run("'" + kScen + scenario + "' " + extra + " --schedule-seed " + std::to_string(seed),
                         tag + std::to_string(seed));
    EXPECT_EQ(r.cmd.rc, 0) << scenario << " schedule seed " << seed << ": " << r.cmd.out;
    ASSERT_TRUE(r.report.is_object()) << scenario << " seed " << seed;
    EXPECT_EQ(r.report["profile"]["cores"].get<double>(), 8.0);
    EXPECT_EQ(r.report["profile"]["threads_per_core"].get<double>(), 4.0);
    EXPECT_EQ(r.report["profile"]["schedule_seed"].get<double>(), seed);
  }
}

TEST(ModelThreads, ChurnHoldsOnEightByFourUnderScheduleSeeds) { seeds_exit_zero("churn.json", "", "churn"); }

TEST(ModelThreads, ThreeSourcesHoldsOnEightByFourUnderScheduleSeeds) {
  seeds_exit_zero("three-sources.json", "", "three");
}

TEST(ModelThreads, LockstepClassifierAgreesOnChurnUnderScheduleSeeds) {
  seeds_exit_zero("churn.json", "--classifier lockstep", "lockstep");
}

}  // namespace
