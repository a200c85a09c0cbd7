// dfcsim rfc2544: the search on a synthetic card (exact capacities, fast), then a short real
// run through the dfcsim binary (one size, short trials): the JSON's shape, throughput at
// most the offered line rate, and no loss when the found rate is offered again.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "report/rfc2544.hpp"

#include "cli_test_util.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
namespace r2544 = dfc::tb::rfc2544;

namespace {

// A card that processes at most `cap_pps` packets/s: beyond it the excess is dropped at the
// ingress and it achieves only its capacity.
json synthetic_report(const r2544::Trial& t, double cap_pps, double trial_s) {
  const double offered = t.line_pps * t.load;
  const double achieved = std::min(offered, cap_pps);
  json r;
  r["offered_pps"] = offered;
  r["achieved_pps"] = achieved;
  r["drops"] = {{"ingress_buffer_full", offered > cap_pps ? uint64_t((offered - cap_pps) * trial_s) + 1 : 0},
                {"copies_max_duplicates", 7},
                {"not_intercepted_non_ip", 3},
                {"copies_tx_queue_full", 0}};
  r["scoreboard"] = {{"pass", true}, {"missing_copies", 0}, {"explained_missing", 0}};
  r["latency"] = {{"p50_us", 2.0}, {"p99_us", 3.0}};
  r["utilisation"] = {{"core0", achieved / cap_pps}};
  r["bottleneck"] = "core0";
  return r;
}

}  // namespace

TEST(Rfc2544Search, FindsTheCapacityOfASyntheticCardWithinTheResolution) {
  r2544::Options o;
  o.traffic_base = "rate=10g,flows=10";
  o.sizes = {"64", "1518", "imix"};
  o.trial_ms = 10;
  const double cap = 1.0e6;
  unsigned trials = 0;
  const json doc = r2544::run(o, [&](const r2544::Trial& t) {
    ++trials;
    EXPECT_NE(t.traffic.find("size=" + t.size), std::string::npos);
    return synthetic_report(t, cap, o.trial_ms / 1000);
  });
  ASSERT_EQ(doc["results"].size(), 3u);
  const json& r64 = doc["results"][0];
  EXPECT_EQ(r64["frame_size"], 64);
  EXPECT_LE(r64["throughput_pps"].get<double>(), cap);
  EXPECT_GE(r64["throughput_pps"].get<double>(), cap * (1 - 2 * o.resolution));
  EXPECT_NEAR(r64["throughput_bps"].get<double>(), r64["throughput_pps"].get<double>() * 64 * 8, 1.0);
  EXPECT_EQ(r64["bottleneck"], "core0");
  EXPECT_TRUE(r64["utilisation"].is_object());
  EXPECT_TRUE(r64["latency"].contains("p99_us"));
  // 1518-byte frames: the 10 Gbit/s line (812,743 frames/s) is below the capacity.
  const json& r1518 = doc["results"][1];
  EXPECT_NEAR(r1518["throughput_pps"].get<double>(), 10e9 / ((1518 + 20) * 8.0), 1.0);
  EXPECT_EQ(r1518["trials"].size(), 1u);
  EXPECT_EQ(doc["results"][2]["frame_size"], "imix");
  EXPECT_LT(trials, 3 * o.max_trials);
  EXPECT_NE(r2544::report_html(doc).find("<svg"), std::string::npos);
}

TEST(Rfc2544Search, ACardThatFallsBehindWithoutLossFails) {
  r2544::Options o;
  json r;
  r["offered_pps"] = 1e6;
  r["achieved_pps"] = 0.9e6;  // the ingress buffer absorbed the excess: nothing dropped yet
  r["drops"] = {{"ingress_buffer_full", 0}};
  r["scoreboard"] = {{"pass", true}};
  EXPECT_FALSE(r2544::judge(r, o).pass);
  r["achieved_pps"] = 0.999e6;
  EXPECT_TRUE(r2544::judge(r, o).pass);
  r["drops"]["copies_tx_queue_full"] = 1;
  EXPECT_FALSE(r2544::judge(r, o).pass);
  EXPECT_EQ(r2544::judge(r, o).lost_copies, 1u);
}

TEST(Rfc2544Search, BadSizesAreRejectedWithTheirName) {
  EXPECT_THROW(r2544::parse_sizes("64,abc"), std::invalid_argument);
  EXPECT_THROW(r2544::parse_sizes("32"), std::invalid_argument);
  EXPECT_THROW(r2544::parse_sizes(""), std::invalid_argument);
  EXPECT_EQ(r2544::parse_sizes("64,imix").size(), 2u);
}

namespace {
using dfc::test::Cmd;
using dfc::test::sh;  // tools/tests/cli_test_util.hpp
}  // namespace

TEST(Rfc2544Cli, ShortRunOnMs3GivesAThroughputThatLosesNothing) {
  const fs::path out = fs::temp_directory_path() / ("dfcsim-rfc2544-" + std::to_string(getpid()));
  fs::remove_all(out);
  const std::string base =
      "rate=1g,flows=1000,locality=0.5,match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1";
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' rfc2544 -q --profile ms3 --sizes 64 --trial-ms 5 --resolution 0.02 --traffic '" +
                   base + "' --out '" + out.string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  std::ifstream f(out / "rfc2544.json");
  const json doc = json::parse(f, nullptr, false);
  ASSERT_TRUE(doc.is_object());
  ASSERT_EQ(doc["results"].size(), 1u);
  const json& r = doc["results"][0];
  for (const char* k : {"frame_size", "throughput_pps", "throughput_bps", "bottleneck", "utilisation", "latency"})
    EXPECT_TRUE(r.contains(k)) << k;
  EXPECT_EQ(r["frame_size"], 64);
  const double pps = r["throughput_pps"].get<double>(), line = 1e9 / ((64 + 20) * 8.0);
  EXPECT_GT(pps, 0);
  EXPECT_LE(pps, line * 1.001);
  EXPECT_TRUE(r["latency"].contains("p50_us"));
  EXPECT_TRUE(fs::exists(out / "report.html"));

  // Offer the found rate again in a fresh run: nothing may be lost.
  const double load = r["throughput_load"].get<double>();
  const uint64_t packets = r["trials"].back()["packets"].get<uint64_t>();
  char spec[512];
  std::snprintf(spec, sizeof spec, "%s,size=64,load=%.9g,packets=%llu", base.c_str(), load,
                static_cast<unsigned long long>(packets));
  const fs::path again = out / "again";
  const std::string scen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";
  const Cmd c2 = sh(std::string("'") + DFCSIM_BIN + "' run -q --profile ms3 --config '" + scen +
                    "configs/one-source.conf' --dtcp '" + scen + "dtcp/1k-criteria.dtcp' --traffic '" + spec +
                    "' --out '" + again.string() + "'");
  ASSERT_EQ(c2.rc, 0) << c2.out;
  std::ifstream f2(again / "report.json");
  const json rep = json::parse(f2, nullptr, false);
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep["drops"]["ingress_buffer_full"].get<uint64_t>(), 0u);
  EXPECT_EQ(rep["drops"]["copies_tx_queue_full"].get<uint64_t>(), 0u);
  EXPECT_TRUE(rep["scoreboard"]["pass"].get<bool>());
  fs::remove_all(out);
}
