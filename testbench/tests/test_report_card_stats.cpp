// report.json's card figures from whole `dfcsim run`s (one process per run): "locks" (per
// hardware semaphore) and "stalls" (per core and hardware thread, fractions of the run), and
// report.html showing them.
#include <gtest/gtest.h>

#include <cmath>
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

struct RunOutput {
  nlohmann::json report;
  std::string html;
};

RunOutput run(const std::string& args, const std::string& tag) {
  const fs::path out = fs::temp_directory_path() / ("dfcsim-cardstats-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(out);
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' run -q " + args + " --out '" + out.string() + "'");
  EXPECT_EQ(c.rc, 0) << c.out;
  RunOutput r;
  std::ifstream f(out / "report.json");
  r.report = nlohmann::json::parse(f, nullptr, false);
  std::ifstream h(out / "report.html");
  r.html.assign(std::istreambuf_iterator<char>(h), std::istreambuf_iterator<char>());
  fs::remove_all(out);
  return r;
}

const char* kKinds[] = {"compute", "memory", "lock", "classifier", "idle"};

// Every set of five fractions is in [0, 1] and sums to 1 (each is rounded to 4 decimals).
void expect_stall_set(const nlohmann::json& s, const std::string& where) {
  double sum = 0;
  for (const char* k : kKinds) {
    ASSERT_TRUE(s.contains(k) && s[k].is_number()) << where << " lacks " << k << ": " << s.dump();
    const double v = s[k].get<double>();
    EXPECT_GE(v, 0.0) << where << "." << k;
    EXPECT_LE(v, 1.0) << where << "." << k;
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0, 1e-3) << where << ": " << s.dump();
}

void check_card_stats(const RunOutput& run) {
  const nlohmann::json& r = run.report;
  ASSERT_TRUE(r.is_object());
  ASSERT_TRUE(r.contains("locks") && r["locks"].is_object()) << "report.json has no locks object";
  ASSERT_TRUE(r["locks"].contains("criteria")) << r["locks"].dump();
  for (auto it = r["locks"].begin(); it != r["locks"].end(); ++it) {
    const auto& l = it.value();
    for (const char* k : {"acquisitions", "contended", "wait_s"}) {
      ASSERT_TRUE(l.contains(k) && l[k].is_number()) << it.key() << " lacks " << k;
      EXPECT_GE(l[k].get<double>(), 0.0) << it.key() << "." << k;
    }
    EXPECT_LE(l["contended"].get<double>(), l["acquisitions"].get<double>()) << it.key();
    if (l["contended"].get<double>() == 0) {
      EXPECT_EQ(l["wait_s"].get<double>(), 0.0) << it.key();
    }
    // Waiting happens inside the run.
    EXPECT_LE(l["wait_s"].get<double>(), l["acquisitions"].get<double>() * r["simulated_time_s"].get<double>());
  }
  // The firmware takes the criteria lock to install a criterion and on every monitored packet.
  EXPECT_GT(r["locks"]["criteria"]["acquisitions"].get<double>(), 0.0);
  ASSERT_TRUE(r.contains("stalls") && r["stalls"].is_object()) << "report.json has no stalls object";
  for (auto it = r["stalls"].begin(); it != r["stalls"].end(); ++it) {
    const auto& c = it.value();
    EXPECT_TRUE(c.contains("role") && c["role"].is_string()) << it.key();
    expect_stall_set(c, it.key());
    ASSERT_TRUE(c.contains("threads") && c["threads"].is_object()) << it.key();
    for (auto t = c["threads"].begin(); t != c["threads"].end(); ++t) expect_stall_set(t.value(), it.key() + "." + t.key());
  }
  // Cache hits and misses: an L1 per core in stalls, and the L2; rates are fractions.
  ASSERT_TRUE(r.contains("caches") && r["caches"].contains("l1") && r["caches"].contains("l2")) << "no caches object";
  EXPECT_EQ(r["caches"]["l1"].size(), r["stalls"].size());
  uint64_t l1_accesses = 0;
  for (auto it = r["caches"]["l1"].begin(); it != r["caches"]["l1"].end(); ++it) {
    const auto& c = it.value();
    const uint64_t n = c["hits"].get<uint64_t>() + c["misses"].get<uint64_t>();
    l1_accesses += n;
    EXPECT_GE(c["miss_rate"].get<double>(), 0.0) << it.key();
    EXPECT_LE(c["miss_rate"].get<double>(), 1.0) << it.key();
    if (n) {
      EXPECT_NEAR(c["miss_rate"].get<double>(), double(c["misses"].get<uint64_t>()) / double(n), 1e-9) << it.key();
    }
  }
  EXPECT_GT(l1_accesses, 0u) << "the firmware's flow table goes through the L1";
  // report.html shows both, and never prints a JSON null.
  EXPECT_NE(run.html.find("Stall breakdown"), std::string::npos);
  EXPECT_NE(run.html.find("Hardware semaphores"), std::string::npos);
  EXPECT_NE(run.html.find("<h3>Caches</h3>"), std::string::npos);
  EXPECT_NE(run.html.find("<td>L2 (shared)</td>"), std::string::npos);
  EXPECT_NE(run.html.find("<td>criteria</td>"), std::string::npos);
  EXPECT_EQ(run.html.find("null"), std::string::npos);
  if (!r["stalls"].empty()) {
    EXPECT_NE(run.html.find("core0"), std::string::npos);
  }
}

TEST(ReportCardStats, DefaultScenarioReportsLocksAndStalls) { check_card_stats(run("", "default")); }

// 64-byte frames far above capacity over the data cores' threads, which share the criteria
// lock: some acquisitions have to wait, and the time waited is reported.
TEST(ReportCardStats, LoadedRunReportsLocksAndStalls) {
  const RunOutput r = run("--config '" + kScen + "configs/one-source.conf' --dtcp '" + kScen +
                        "dtcp/1k-criteria.dtcp' --profile ms400 --traffic 'rate=10g,load=0.5,size=64,packets=3000,"
                        "flows=100,match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1'",
                    "loaded");
  check_card_stats(r);
  ASSERT_TRUE(r.report.is_object());
  const auto& l = r.report["locks"]["criteria"];
  EXPECT_GT(l["contended"].get<double>(), 0.0) << l.dump();
  EXPECT_GT(l["wait_s"].get<double>(), 0.0) << l.dump();
}

}  // namespace
