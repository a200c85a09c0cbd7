// dfcsim rfc2544: the searches on synthetic cards (exact capacities, fast), then short real
// runs through the dfcsim binary: bad inputs refused before any trial, an egress-bound case
// (1518-byte frames, three copies each), a clipped rate on ms3 with the found rate offered
// again, and an installed layout's default inputs. No exact throughput figure is asserted
// for the real card: only relations (> 0, <= line, no loss at the found rate).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "report/rfc2544.hpp"

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
namespace r2544 = dfc::tb::rfc2544;

namespace {

// A synthetic card: it processes at most `cap_pps` packets/s (beyond it the excess is dropped
// at the ingress and it achieves only its capacity), and its egress carries at most
// `egress_pps` packets' copies/s (beyond it copies are lost while the cores keep up).
struct Synthetic {
  double cap_pps = 1e12, egress_pps = 1e12, trial_s = 0.01;
  double buffer = 0;  // packets the ingress absorbs before dropping (back-to-back)
  unsigned trials = 0;
  json operator()(const r2544::Trial& t) {
    ++trials;
    const double offered = t.line_pps * t.load;
    const double achieved = std::min(offered, cap_pps);
    // A burst of N frames at line rate: the ingress fills at (offered - cap) per second.
    const double burst_s = double(t.packets) / offered;
    const double excess = std::max(0.0, (offered - cap_pps) * burst_s - buffer);
    json r;
    r["packets_in"] = t.packets;
    r["offered_pps"] = offered;
    r["achieved_pps"] = achieved;
    r["copies_sent"] = t.packets;
    r["drops"] = {{"ingress_buffer_full", uint64_t(std::ceil(excess))},
                  {"copies_max_duplicates", 7},
                  {"not_intercepted_non_ip", 3},
                  {"copies_tx_queue_full", offered > egress_pps ? uint64_t((offered - egress_pps) * burst_s) + 1 : 0}};
    r["scoreboard"] = {{"pass", true}, {"missing_copies", 0}, {"explained_missing", 0}};
    r["latency"] = {{"count", 10}, {"p50_us", 2.0}, {"p99_us", 3.0}, {"histogram", json::object()}};
    r["utilisation"] = {{"core0", achieved / cap_pps}, {"egress", std::min(1.0, offered / egress_pps)}};
    r["bottleneck"] = cap_pps < egress_pps ? "core0" : "egress";
    return r;
  }
};

r2544::Options small_options(const std::vector<std::string>& sizes) {
  r2544::Options o;
  o.traffic_base = "flows=10";
  o.sizes = sizes;
  o.trial_ms = 10;
  return o;
}

}  // namespace

TEST(Rfc2544Search, FindsTheCapacityOfASyntheticCardWithinTheResolution) {
  r2544::Options o = small_options({"64", "1518", "imix"});
  Synthetic card;
  card.cap_pps = 1.0e6;
  const json doc = r2544::run(o, [&](const r2544::Trial& t) {
    EXPECT_NE(t.traffic.find("size=" + t.size), std::string::npos);
    EXPECT_NE(t.traffic.find("rate=10000000000"), std::string::npos) << t.traffic;
    return card(t);
  });
  ASSERT_EQ(doc["results"].size(), 3u);
  const json& r64 = doc["results"][0];
  EXPECT_EQ(r64["frame_size"], 64);
  EXPECT_LE(r64["throughput_pps"].get<double>(), card.cap_pps);
  EXPECT_GE(r64["throughput_pps"].get<double>(), card.cap_pps * (1 - 2 * o.resolution));
  EXPECT_NEAR(r64["throughput_bps"].get<double>(), r64["throughput_pps"].get<double>() * 64 * 8, 1.0);
  EXPECT_EQ(r64["bottleneck"], "core0");
  EXPECT_TRUE(r64["utilisation"].is_object());
  EXPECT_TRUE(r64["latency"].contains("p99_us"));
  EXPECT_FALSE(r64["latency"].contains("histogram"));
  // 1518-byte frames: the 10 Gbit/s line (812,744 frames/s) is below the capacity.
  const json& r1518 = doc["results"][1];
  EXPECT_NEAR(r1518["throughput_pps"].get<double>(), 10e9 / ((1518 + 20) * 8.0), 1.0);
  EXPECT_EQ(r1518["throughput_pct_of_line"].get<double>(), 100.0);
  EXPECT_EQ(r1518["trials"].size(), 1u);
  EXPECT_EQ(doc["results"][2]["frame_size"], "imix");
  EXPECT_LT(card.trials, 3 * o.max_trials);
  EXPECT_NE(r2544::report_html(doc).find("<svg"), std::string::npos);
}

// RFC 2544 §26.1 read independently of the search's own bookkeeping: the throughput is the
// offered rate of the highest trial that lost nothing, and every trial offered more lost
// something; for cards of several capacities, each frame size.
TEST(Rfc2544Search, TheThroughputIsTheHighestTrialWithoutLossAndEveryHigherOneLost) {
  for (double cap : {0.3e6, 1.0e6, 2.7e6, 9.9e6}) {
    r2544::Options o = small_options({"64", "256", "imix"});
    Synthetic card;
    card.cap_pps = cap;
    const json doc = r2544::run(o, [&](const r2544::Trial& t) { return card(t); });
    for (const json& r : doc["results"]) {
      double best = 0;
      for (const json& t : r["trials"])
        if (t["pass"].get<bool>()) best = std::max(best, t["offered_pps"].get<double>());
      ASSERT_GT(best, 0) << "cap " << cap << ", size " << r["frame_size"];
      EXPECT_EQ(r["throughput_pps"].get<double>(), best) << "cap " << cap << ", size " << r["frame_size"];
      for (const json& t : r["trials"])
        if (t["offered_pps"].get<double>() > best) {
          EXPECT_FALSE(t["pass"].get<bool>()) << t.dump();
        }
      EXPECT_LE(best, cap) << "a rate above the capacity loses frames";
    }
  }
}

// The egress bound: the cores keep up at every load but copies are lost above a third of the
// line. A search that follows the cores' processed rate steps down slowly and never passes.
TEST(Rfc2544Search, AnEgressBoundCardGetsItsRateAndBottleneck) {
  r2544::Options o = small_options({"1518"});
  Synthetic card;
  const double line = 10e9 / ((1518 + 20) * 8.0);
  card.egress_pps = line / 3;
  const json doc = r2544::run(o, std::ref(card));
  const json& r = doc["results"][0];
  EXPECT_TRUE(r["found"].get<bool>());
  EXPECT_GT(r["throughput_pps"].get<double>(), card.egress_pps * (1 - 2 * o.resolution));
  EXPECT_LE(r["throughput_pps"].get<double>(), card.egress_pps);
  EXPECT_EQ(r["bottleneck"], "egress");
  EXPECT_NEAR(r["throughput_pct_of_line"].get<double>(), 100 * r["throughput_pps"].get<double>() / line, 0.01);
  EXPECT_LE(r["trials"].size(), 10u) << "bisection to 1 % needs about log2(100) trials: " << r["trials"].dump();
  // Every passing trial is below every failing one, and the reported rate is the best pass.
  double best = 0, lowest_fail = 2;
  for (const auto& t : r["trials"]) {
    const double load = t["load"].get<double>();
    if (t["pass"].get<bool>()) best = std::max(best, load);
    else lowest_fail = std::min(lowest_fail, load);
  }
  EXPECT_LT(best, lowest_fail);
  EXPECT_DOUBLE_EQ(r["throughput_load"].get<double>(), best);
}

TEST(Rfc2544Search, ACardThatFallsBehindWithoutLossFails) {
  r2544::Options o;
  json r;
  r["offered_pps"] = 1e6;
  r["achieved_pps"] = 0.9e6;  // the ingress buffer absorbed the excess: nothing dropped yet
  r["drops"] = {{"ingress_buffer_full", 0}};
  r["scoreboard"] = {{"pass", true}};
  EXPECT_FALSE(r2544::judge(r, o).pass);
  EXPECT_TRUE(r2544::judge(r, o, false).pass) << "loss and back-to-back trials count losses only";
  r["achieved_pps"] = 0.999e6;
  EXPECT_TRUE(r2544::judge(r, o).pass);
  // The egress queue absorbed a backlog: the last copy left 2 ms after the last arrival of a
  // 10 ms trial.
  r["packets_in"] = 10001;
  r["timeseries"] = {{"bucket_s", 1e-4},
                     {"series", {{"offered", std::vector<double>(100, 1e6)}, {"copies:cd1", std::vector<double>(120, 1e6)}}}};
  EXPECT_FALSE(r2544::judge(r, o).pass);
  r["timeseries"]["series"]["copies:cd1"] = std::vector<double>(101, 1e6);
  EXPECT_TRUE(r2544::judge(r, o).pass);
  r["drops"]["copies_tx_queue_full"] = 1;
  EXPECT_FALSE(r2544::judge(r, o).pass);
  EXPECT_EQ(r2544::judge(r, o).lost_copies, 1u);
}

TEST(Rfc2544Search, TheLineIsTheIngressAndAFasterRateIsClipped) {
  const r2544::Line none = r2544::resolve_line("flows=10", 2.5e9);
  EXPECT_EQ(none.line_bps, 2.5e9);
  EXPECT_FALSE(none.clipped);
  const r2544::Line slow = r2544::resolve_line("rate=1g,flows=10", 2.5e9);
  EXPECT_EQ(slow.line_bps, 1e9);
  EXPECT_FALSE(slow.clipped);
  const r2544::Line fast = r2544::resolve_line("rate=10g,flows=10", 2.5e9);
  EXPECT_EQ(fast.line_bps, 2.5e9);
  EXPECT_TRUE(fast.clipped);
  EXPECT_THROW(r2544::resolve_line("size=64", 1e10), std::invalid_argument);
  EXPECT_THROW(r2544::resolve_line("rate=fast", 1e10), std::invalid_argument);

  r2544::Options o = small_options({"64"});
  o.traffic_base = "rate=10g,flows=10";
  o.ingress_bps = 2.5e9;
  Synthetic card;
  const json doc = r2544::run(o, std::ref(card));
  EXPECT_TRUE(doc["rate_clipped"].get<bool>());
  EXPECT_EQ(doc["line_rate_bps"].get<double>(), 2.5e9);
  EXPECT_NE(doc["rate_note"].get<std::string>().find("clipped"), std::string::npos);
  const json& r = doc["results"][0];
  EXPECT_NEAR(r["line_rate_pps"].get<double>(), 2.5e9 / (84 * 8.0), 1.0);
  EXPECT_NEAR(r["throughput_pps"].get<double>(), r["line_rate_pps"].get<double>(), 1.0);
  EXPECT_EQ(r["throughput_pct_of_line"].get<double>(), 100.0);
  EXPECT_NE(r2544::text_tables(doc).find("clipped"), std::string::npos);
}

TEST(Rfc2544Search, LossSweepStopsAfterTwoCleanStepsAndFallsWithTheLoad) {
  r2544::Options o = small_options({"64"});
  o.tests = r2544::parse_tests("loss");
  Synthetic card;
  card.cap_pps = 0.55 * 10e9 / (84 * 8.0);
  const json doc = r2544::run(o, std::ref(card));
  const json& steps = doc["results"][0]["loss"];
  EXPECT_FALSE(doc["results"][0].contains("throughput_pps")) << "only the selected tests run";
  ASSERT_EQ(steps.size(), 7u);  // 100..60 % lose, 50 and 40 % do not
  double prev = 101;
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_NEAR(steps[i]["load_pct"].get<double>(), 100.0 - 10.0 * double(i), 1e-9);
    EXPECT_LE(steps[i]["packet_loss_pct"].get<double>(), prev);
    prev = steps[i]["packet_loss_pct"].get<double>();
  }
  EXPECT_GT(steps[0]["packet_loss_pct"].get<double>(), 40.0);
  EXPECT_EQ(steps[5]["lost_packets"], 0u);
  EXPECT_EQ(steps[6]["lost_packets"], 0u);
  EXPECT_NE(r2544::text_tables(doc).find("frame loss rate"), std::string::npos);
}

TEST(Rfc2544Search, BackToBackFindsTheLongestBurstTheBufferAbsorbs) {
  r2544::Options o = small_options({"64"});
  o.tests = r2544::parse_tests("back-to-back");
  o.resolution = 0.01;
  Synthetic card;
  const double line = 10e9 / (84 * 8.0);
  card.cap_pps = line / 2;
  card.buffer = 2000;  // a burst of N loses N/2 - 2000 frames: the longest clean one is 4000
  const json doc = r2544::run(o, std::ref(card));
  const json& b = doc["results"][0]["back_to_back"];
  EXPECT_LE(b["frames"].get<double>(), 4000);
  EXPECT_GE(b["frames"].get<double>(), 4000 * (1 - 2 * o.resolution));
  EXPECT_FALSE(b["at_longest"].get<bool>());
  EXPECT_LE(b["trials"].size(), o.max_trials);
  EXPECT_NEAR(b["burst_us"].get<double>(), b["frames"].get<double>() * 84 * 8 / 10e9 * 1e6, 0.1);
  // A card that keeps up at line rate absorbs the longest burst tried: one trial.
  card.cap_pps = 2 * line;
  const json all = r2544::run(o, std::ref(card));
  EXPECT_TRUE(all["results"][0]["back_to_back"]["at_longest"].get<bool>());
  EXPECT_EQ(all["results"][0]["back_to_back"]["trials"].size(), 1u);
}

TEST(Rfc2544Search, BadSizesAndTestsAreRejectedWithTheirName) {
  EXPECT_THROW(r2544::parse_sizes("64,abc"), std::invalid_argument);
  EXPECT_THROW(r2544::parse_sizes("32"), std::invalid_argument);
  EXPECT_THROW(r2544::parse_sizes(""), std::invalid_argument);
  EXPECT_EQ(r2544::parse_sizes("64,imix").size(), 2u);
  EXPECT_THROW(r2544::parse_tests("speed"), std::invalid_argument);
  const r2544::Tests all = r2544::parse_tests("all");
  EXPECT_TRUE(all.throughput && all.latency && all.loss && all.back_to_back);
}

// The plot's x axis is logarithmic in the frame size; tables carry rounded numbers.
TEST(Rfc2544Search, ThePlotSpacesFrameSizesLogarithmicallyAndTablesAreRounded) {
  r2544::Options o = small_options({"64", "128", "256", "1518"});
  Synthetic card;
  card.cap_pps = 1.234567e6;
  const json doc = r2544::run(o, std::ref(card));
  const std::string html = r2544::report_html(doc);
  std::map<std::string, double> x;
  static const std::regex label("<text x='([0-9.]+)' y='[0-9.]+' text-anchor='middle' font-size='11'>([0-9]+)</text>");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), label); it != std::sregex_iterator(); ++it)
    if (!x.count((*it)[2].str())) x[(*it)[2].str()] = std::stod((*it)[1].str());
  ASSERT_EQ(x.size(), 4u) << html.substr(0, 2000);
  EXPECT_NEAR(x["128"] - x["64"], x["256"] - x["128"], 0.2);  // equal ratios, equal distances
  EXPECT_NEAR((x["1518"] - x["64"]) / (x["128"] - x["64"]), std::log2(1518.0 / 64), 0.05);
  const std::string text = r2544::text_tables(doc);
  EXPECT_FALSE(std::regex_search(text, std::regex(R"(\d\.\d{4,})"))) << text;
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<td>[0-9]+\.[0-9]{4,})")));
}

namespace {
using dfc::test::Cmd;
using dfc::test::sh;  // tools/tests/cli_test_util.hpp

const std::string kScen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";

fs::path temp_dir(const std::string& tag) {
  const fs::path p = fs::temp_directory_path() / ("dfcsim-rfc2544-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(p);
  return p;
}

json read_json(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f, nullptr, false);
}

}  // namespace

TEST(Rfc2544Cli, BadInputsExit2BeforeAnyTrialWithOneLine) {
  const fs::path out = temp_dir("bad");
  const std::string dfcsim = std::string("'") + DFCSIM_BIN + "' rfc2544 --out '" + out.string() + "' ";
  for (const char* bad : {"--profile ms9", "--profile /nonexistent.json", "--classifier fast", "--set cores=many",
                          "--set no_such_key=1", "--sizes 64,63", "--sizes imix,jumbo", "--traffic rate=fast",
                          "--traffic rate=-1g", "--traffic size=64", "--tests speed",
                          "--config /nonexistent.conf", "--trial-ms 0"}) {
    const auto t0 = std::chrono::steady_clock::now();
    const Cmd c = sh(dfcsim + bad);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(c.rc, 2) << bad << ": " << c.out;
    EXPECT_EQ(c.out.find(" run -q"), std::string::npos) << bad << ": the child command leaked: " << c.out;
    EXPECT_LE(std::count(c.out.begin(), c.out.end(), '\n'), 2) << bad << ": " << c.out;
    EXPECT_FALSE(fs::exists(out / "trials")) << bad << ": a trial ran";
    EXPECT_LT(s, 5.0) << bad;
  }
  fs::remove_all(out);
}

// 1518-byte frames each copied to three content destinations (three-sources.conf with
// max-duplicates 3, three criteria matching every packet): the egress is the limit.
TEST(Rfc2544Cli, ThreeCopiesOf1518ByteFramesGiveAPositiveEgressBoundRate) {
  const fs::path out = temp_dir("3copies");
  fs::create_directories(out);
  const fs::path conf = out / "3copies.conf", dtcp = out / "3copies.dtcp";
  {
    std::ifstream in(kScen + "configs/three-sources.conf");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find("max-duplicates 2;");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 17, "max-duplicates 3;");
    std::ofstream(conf) << text;
    std::ofstream f(dtcp);
    for (const char* s : {"a", "b", "c"})
      f << "ADD DTCP/0.7\nCsource-ID: md-" << s << "\nCdest-ID: cd-" << s << "\nDest-Address: 10.1.0.0/16\nFlags: Static\n\n";
  }
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' rfc2544 -q --sizes 1518 --tests throughput --trial-ms 4 --resolution 0.03 " +
                   "--config '" + conf.string() + "' --dtcp '" + dtcp.string() +
                   "' --traffic 'flows=100,match=1,match-dst=10.1.0.0/16,match-proto=17,seed=1' --out '" +
                   (out / "r").string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  const json doc = read_json(out / "r/rfc2544.json");
  ASSERT_TRUE(doc.is_object());
  const json& r = doc["results"][0];
  const double line = 10e9 / ((1518 + 20) * 8.0);  // ms400's ingress
  EXPECT_EQ(doc["line_rate_bps"].get<double>(), 10e9);
  EXPECT_NEAR(r["line_rate_pps"].get<double>(), line, 1.0);
  EXPECT_TRUE(r["found"].get<bool>()) << r["trials"].dump();
  EXPECT_GT(r["throughput_pps"].get<double>(), 0);
  EXPECT_LT(r["throughput_pps"].get<double>(), line) << "three copies of each frame cannot all leave at line rate";
  EXPECT_FALSE(r["bottleneck"].get<std::string>().empty());
  EXPECT_NEAR(r["throughput_pct_of_line"].get<double>(), 100 * r["throughput_pps"].get<double>() / line, 0.01);
  fs::remove_all(out);
}

TEST(Rfc2544Cli, ARateAboveTheIngressIsClippedAndTheFoundRateLosesNothing) {
  const fs::path out = temp_dir("ms3");
  const std::string base =
      "rate=10g,flows=100,locality=0.5,match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1";
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' rfc2544 --profile ms3 --sizes 64 --trial-ms 4 --resolution 0.03 --traffic '" +
                   base + "' --out '" + out.string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  EXPECT_NE(c.out.find("clipped to the ingress"), std::string::npos) << c.out;
  const json doc = read_json(out / "rfc2544.json");
  ASSERT_TRUE(doc.is_object());
  EXPECT_TRUE(doc["rate_clipped"].get<bool>());
  EXPECT_EQ(doc["line_rate_bps"].get<double>(), 2.5e9);  // ms3's ingress_bps
  ASSERT_EQ(doc["results"].size(), 1u);
  const json& r = doc["results"][0];
  for (const char* k : {"frame_size", "throughput_pps", "throughput_bps", "bottleneck", "utilisation", "latency"})
    EXPECT_TRUE(r.contains(k)) << k;
  const double pps = r["throughput_pps"].get<double>(), line = 2.5e9 / ((64 + 20) * 8.0);
  EXPECT_NEAR(r["line_rate_pps"].get<double>(), line, 1.0);
  EXPECT_GT(pps, 0);
  EXPECT_LE(pps, line * 1.001);
  EXPECT_NEAR(r["throughput_pct_of_line"].get<double>(), 100 * pps / line, 0.01);
  EXPECT_TRUE(r["latency"].contains("p50_us"));
  EXPECT_TRUE(fs::exists(out / "report.html"));

  // Offer the found rate again in a fresh run: nothing may be lost.
  const json& last_pass = [&]() -> const json& {
    for (size_t i = r["trials"].size(); i-- > 0;)
      if (r["trials"][i]["pass"].get<bool>() && r["trials"][i]["load"] == r["throughput_load"]) return r["trials"][i];
    return r["trials"].back();
  }();
  char spec[512];
  std::snprintf(spec, sizeof spec, "%s,rate=2.5g,size=64,load=%.9g,packets=%llu", base.c_str(),
                r["throughput_load"].get<double>(), static_cast<unsigned long long>(last_pass["packets"].get<uint64_t>()));
  const fs::path again = out / "again";
  const Cmd c2 = sh(std::string("'") + DFCSIM_BIN + "' run -q --profile ms3 --config '" + kScen +
                    "configs/one-source.conf' --dtcp '" + kScen + "dtcp/1k-criteria.dtcp' --traffic '" + spec +
                    "' --out '" + again.string() + "'");
  ASSERT_EQ(c2.rc, 0) << c2.out;
  const json rep = read_json(again / "report.json");
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep["drops"]["ingress_buffer_full"].get<uint64_t>(), 0u);
  EXPECT_EQ(rep["drops"]["copies_tx_queue_full"].get<uint64_t>(), 0u);
  EXPECT_TRUE(rep["scoreboard"]["pass"].get<bool>());
  fs::remove_all(out);
}

// Loss and back-to-back through the binary on a small case (one size, short trials).
TEST(Rfc2544Cli, LossAndBackToBackOnASmallCase) {
  const fs::path out = temp_dir("lossb2b");
  const Cmd c = sh(std::string("'") + DFCSIM_BIN + "' rfc2544 -q --profile ms3 --sizes 64 --tests loss,back-to-back " +
                   "--trial-ms 2 --resolution 0.1 --max-trials 8 --traffic 'flows=50,match=0.1,match-dst=10.200.0.1," +
                   "match-proto=17,match-dport=1000,seed=1' --out '" + out.string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  const json doc = read_json(out / "rfc2544.json");
  ASSERT_TRUE(doc.is_object());
  const json& r = doc["results"][0];
  ASSERT_TRUE(r.contains("loss"));
  ASSERT_GE(r["loss"].size(), 2u);
  EXPECT_EQ(r["loss"][0]["load_pct"].get<double>(), 100.0);
  for (const auto& s : r["loss"]) {
    EXPECT_GE(s["packet_loss_pct"].get<double>(), 0.0);
    EXPECT_LE(s["packet_loss_pct"].get<double>(), 100.0);
  }
  const json& b = r["back_to_back"];
  EXPECT_GT(b["frames"].get<double>(), 0);
  EXPECT_LE(b["frames"].get<double>(), b["longest_tried"].get<double>());
  EXPECT_LE(b["trials"].size(), 8u);
  fs::remove_all(out);
}

// An installed dfcsim (<prefix>/bin/dfcsim) takes its default configuration and DTCP script
// from <prefix>/share/dfcsim/scenarios.
TEST(Rfc2544Cli, AnInstalledBinaryFindsItsDefaultInputsUnderThePrefix) {
  const fs::path prefix = temp_dir("prefix");
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "share/dfcsim/scenarios/configs");
  fs::create_directories(prefix / "share/dfcsim/scenarios/dtcp");
  fs::copy_file(DFCSIM_BIN, prefix / "bin/dfcsim");
  fs::copy_file(kScen + "configs/one-source.conf", prefix / "share/dfcsim/scenarios/configs/one-source.conf");
  fs::copy_file(kScen + "dtcp/1k-criteria.dtcp", prefix / "share/dfcsim/scenarios/dtcp/1k-criteria.dtcp");
  const Cmd c = sh("'" + (prefix / "bin/dfcsim").string() + "' rfc2544 -q --sizes 1518 --tests throughput --max-trials 1 " +
                   "--trial-ms 1 --traffic flows=20 --out '" + (prefix / "out").string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  const json doc = read_json(prefix / "out/rfc2544.json");
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["config"].get<std::string>().rfind((prefix / "share/dfcsim/scenarios/").string(), 0), 0u) << doc["config"];
  EXPECT_EQ(doc["dtcp"].get<std::string>().rfind((prefix / "share/dfcsim/scenarios/").string(), 0), 0u) << doc["dtcp"];
  fs::remove_all(prefix);
}
