// What the card model predicts beyond its two calibration points (docs/model.md §5), each
// from a whole `dfcsim run` (one process per run): nothing here is an input of the model.
//  * 1518-byte frames with 3 copies per packet are bounded by the egress port;
//  * 8 cores carry at least 1.8x what 4 carry (7 vs 3 data cores) where the cores bound it;
//  * halving core_hz roughly halves the 64-byte throughput when the cores are the bottleneck;
//  * latency hiding: a DRAM 8x slower costs 4 threads per core less than 1 thread per core;
//  * an unknown --set key is a clear error (exit 2).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
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

nlohmann::json run(const std::string& args, const std::string& tag) {
  const fs::path out = fs::temp_directory_path() / ("dfcsim-emerge-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(out);
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' run -q " + args + " --out '" + out.string() + "'");
  EXPECT_EQ(c.rc, 0) << c.out;
  std::ifstream f(out / "report.json");
  nlohmann::json r = nlohmann::json::parse(f, nullptr, false);
  fs::remove_all(out);
  return r;
}

// 64-byte frames offered far above capacity, 1k criteria, 10 % of flows matching.
nlohmann::json saturated(const std::string& sets, const std::string& tag) {
  return run("--config '" + kScen + "configs/one-source.conf' --dtcp '" + kScen +
                 "dtcp/1k-criteria.dtcp' --profile ms400 " + sets +
                 " --traffic 'rate=10g,load=0.5,size=64,packets=30000,flows=1000,locality=0.5,match=0.1,"
                 "match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1'",
             tag);
}

TEST(ModelEmergent, BigFramesWithThreeCopiesAreBoundByTheEgress) {
  const fs::path dtcp = fs::temp_directory_path() / ("dfcsim-3copies-" + std::to_string(getpid()) + ".dtcp");
  const fs::path conf = fs::temp_directory_path() / ("dfcsim-3copies-" + std::to_string(getpid()) + ".conf");
  {
    // three-sources.conf with max-duplicates 3: every packet is copied to all three.
    std::ifstream in(kScen + "configs/three-sources.conf");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find("max-duplicates 2;");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 17, "max-duplicates 3;");
    std::ofstream(conf) << text;
  }
  {
    std::ofstream f(dtcp);
    for (const char* s : {"a", "b", "c"})
      f << "ADD DTCP/0.7\nCsource-ID: md-" << s << "\nCdest-ID: cd-" << s << "\nDest-Address: 10.1.0.0/16\nFlags: Static\n\n";
  }
  const nlohmann::json r = run("--config '" + conf.string() + "' --dtcp '" + dtcp.string() +
                                   "' --profile ms400 --traffic 'rate=10g,load=0.5,size=1518,packets=20000,flows=100,"
                                   "match=1,match-dst=10.1.0.0/16,match-proto=17,seed=1'",
                               "egress");
  fs::remove(dtcp);
  fs::remove(conf);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["copies_chosen"].get<double>(), 3 * 20000.0);
  EXPECT_EQ(r["bottleneck"], "egress") << r["utilisation"].dump();
  EXPECT_GT(r["utilisation"]["egress"].get<double>(), 0.95);
  EXPECT_LT(r["utilisation"]["core1"].get<double>(), 0.95);  // a data core (core 0 is the control core)
  EXPECT_GT(r["drops"]["copies_tx_queue_full"].get<double>(), 0) << "the egress queue overflowed";
  EXPECT_TRUE(r["scoreboard"]["pass"].get<bool>());
}

// Flow-local 64-byte traffic (1000 flows, each on its own thread; no criterion matches, so no
// lock on the packet path) offered above what either card carries (a 40 Gbit/s ingress). At
// the profile's interconnect (500 MHz, an assumption: docs/model.md §3) the shared fabric, not
// the cores, limits 8 cores (its data ring: docs/model.md §5); with it made 8x faster (a what-if) the cores are
// the limit, and 7 data cores carry at least 1.8x what 3 do.
nlohmann::json flow_local(const std::string& sets, const std::string& tag) {
  return run("--config '" + kScen + "configs/one-source.conf' --dtcp '" + kScen +
                 "dtcp/1k-criteria.dtcp' --profile ms400 --set ingress_bps=40e9 --set interconnect.hz=4e9 " + sets +
                 " --traffic 'rate=40g,load=1,size=64,packets=100000,flows=1000,locality=0,match=0,seed=1'",
             tag);
}

TEST(ModelEmergent, EightCoresCarryAtLeast1point8TimesFourWhereCoresBound) {
  const nlohmann::json four = flow_local("--set cores=4", "c4"), eight = flow_local("--set cores=8", "c8");
  ASSERT_TRUE(four.is_object());
  ASSERT_TRUE(eight.is_object());
  EXPECT_EQ(four["bottleneck"], "core") << four["utilisation"].dump();
  const double a4 = four["achieved_pps"].get<double>(), a8 = eight["achieved_pps"].get<double>();
  EXPECT_GE(a8, 1.8 * a4) << a4 << " -> " << a8;
  EXPECT_TRUE(eight["utilisation"].contains("core7"));
  EXPECT_EQ(eight["profile"]["threads_per_core"].get<double>(), 4.0);
  EXPECT_TRUE(eight["scoreboard"]["pass"].get<bool>());
}

TEST(ModelEmergent, HalfTheCoreClockHalvesCoreBoundThroughput) {
  // One data core (4 threads): the cores are the limit at 10GbE.
  const nlohmann::json full = saturated("--set cores=2", "hz1"), half = saturated("--set cores=2 --set core_hz=7.5e8", "hz05");
  ASSERT_TRUE(full.is_object());
  ASSERT_TRUE(half.is_object());
  EXPECT_EQ(full["bottleneck"], "core") << full["utilisation"].dump();
  const double ratio = half["achieved_pps"].get<double>() / full["achieved_pps"].get<double>();
  EXPECT_GT(ratio, 0.45);
  EXPECT_LT(ratio, 0.6);
}

// Every packet a new flow, on one data core: with 1 thread per core a DRAM 8x slower costs at
// least 10 % of the throughput; with 4 threads per core the other threads issue while one waits
// for memory, so it costs clearly less (docs/model.md §2).
nlohmann::json run_new_flows(const std::string& sets, const std::string& tag) {
  return run("--config '" + kScen + "configs/one-source.conf' --dtcp '" + kScen +
                 "dtcp/1k-criteria.dtcp' --profile ms400 --set cores=2 " + sets +
                 " --traffic 'rate=10g,load=0.5,size=64,packets=30000,flows=30000,locality=0,match=0.1,"
                 "match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1'",
             tag);
}

TEST(ModelEmergent, HardwareThreadsHideMemoryLatency) {
  double loss[2] = {};
  const int tpc[2] = {1, 4};
  for (int i = 0; i < 2; ++i) {
    const std::string t = "--set threads_per_core=" + std::to_string(tpc[i]);
    const nlohmann::json fast = run_new_flows(t, "m" + std::to_string(i) + "a");
    const nlohmann::json slow = run_new_flows(t + " --set memory.dram_latency_ns=560", "m" + std::to_string(i) + "b");
    ASSERT_TRUE(fast.is_object());
    ASSERT_TRUE(slow.is_object());
    EXPECT_TRUE(slow["scoreboard"]["pass"].get<bool>());
    loss[i] = 1.0 - slow["achieved_pps"].get<double>() / fast["achieved_pps"].get<double>();
  }
  EXPECT_GE(loss[0], 0.10) << "1 thread per core";
  EXPECT_LT(loss[1], 0.8 * loss[0]) << "4 threads per core lose " << loss[1] << ", 1 thread " << loss[0];
}

// With 1 thread per core and a 2 us DRAM, the data threads wait for memory most of the time.
TEST(ModelEmergent, SlowDramWithOneThreadIsMemoryBound) {
  const nlohmann::json r = run_new_flows("--set threads_per_core=1 --set memory.dram_latency_ns=2000", "dram2us");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["bottleneck"], "memory") << r["utilisation"].dump() << r["stalls"].dump();
  EXPECT_GT(r["stalls"]["core1"]["threads"]["t0"]["memory"].get<double>(), 0.0);
}

// The churn scenario (ADD/DELETE/REFRESH/LIST while traffic flows) on 4 cores, with the
// interleaving perturbed by five schedule seeds: scoreboard and expectations must hold.
TEST(ModelEmergent, ChurnOnFourCoresUnderScheduleSeeds) {
  for (int seed = 1; seed <= 5; ++seed) {
    const fs::path out = fs::temp_directory_path() / ("dfcsim-churn-" + std::to_string(getpid()) + "-" + std::to_string(seed));
    const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' run -q '" + kScen + "churn.json' --set cores=4 --schedule-seed " +
                     std::to_string(seed) + " --out '" + out.string() + "'");
    EXPECT_EQ(c.rc, 0) << "schedule seed " << seed << ": " << c.out;
    std::ifstream f(out / "report.json");
    const nlohmann::json r = nlohmann::json::parse(f, nullptr, false);
    ASSERT_TRUE(r.is_object());
    EXPECT_TRUE(r["utilisation"].contains("core3"));
    EXPECT_EQ(r["profile"]["schedule_seed"].get<double>(), seed);
    fs::remove_all(out);
  }
}

TEST(ModelEmergent, UnknownProfileKeyIsAClearError) {
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' run -q --set no_such_key=1 --out /tmp/dfcsim-badkey-" +
                   std::to_string(getpid()));
  EXPECT_EQ(c.rc, 2);
  EXPECT_NE(c.out.find("unknown profile key 'no_such_key'"), std::string::npos) << c.out;
}

}  // namespace

// A classifier 5000x slower (50 kHz) with every packet a new flow: each lookup waits for the
// classifier, and with lock-free lookups (their own context per thread) nothing else limits.
TEST(ModelEmergent, ASlowClassifierIsTheBottleneck) {
  const nlohmann::json r = run("--config '" + kScen + "configs/one-source.conf' --dtcp '" + kScen +
                                   "dtcp/one-criterion.dtcp' --profile ms400 --set classifier.hz=50e3 --traffic "
                                   "'rate=10g,load=0.5,size=64,packets=20000,flows=20000,locality=0,match=0.1,"
                                   "match-dst=10.1.1.1,match-proto=17,seed=1'",
                               "cls");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["bottleneck"], "classifier") << r["utilisation"].dump() << r["locks"].dump();
  EXPECT_GT(r["stalls"]["core1"]["threads"]["t0"]["classifier"].get<double>(), 0.5);
  EXPECT_TRUE(r["scoreboard"]["pass"].get<bool>());
}
