// The regression's functional-coverage merge: counters are summed across runs, bins hit by
// any run are covered, the others are reported as holes, unreadable runs are named.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "coverage_merge.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path write_run(const fs::path& root, const std::string& name, const json& report) {
  const fs::path d = root / name;
  fs::create_directories(d);
  std::ofstream(d / "report.json") << report.dump();
  return d;
}

TEST(CoverageMerge, SumsCountersAcrossRuns) {
  json a = {{"x", 1u}, {"o", {{"y", 2u}}}, {"s", "first"}};
  dfc::tools::merge_counters(a, json{{"x", 4u}, {"o", {{"y", 1u}, {"z", 3u}}}, {"s", "second"}});
  EXPECT_EQ(a["x"], 5u);
  EXPECT_EQ(a["o"]["y"], 3u);
  EXPECT_EQ(a["o"]["z"], 3u);
  EXPECT_EQ(a["s"], "first");
}

TEST(CoverageMerge, SettingsKeepTheirLargestValueNotTheSum) {
  json a = {{"capacity", {{"classifier_depth", 2048u}, {"max_source_share_percent", 50u}, {"fits", 10u}}}};
  dfc::tools::merge_counters(a, json{{"capacity", {{"classifier_depth", 4096u}, {"max_source_share_percent", 50u},
                                                   {"fits", 5u}}}});
  dfc::tools::merge_counters(a, json{{"capacity", {{"classifier_depth", 1024u}, {"fits", 1u}}}});
  EXPECT_EQ(a["capacity"]["classifier_depth"], 4096u);
  EXPECT_EQ(a["capacity"]["max_source_share_percent"], 50u);
  EXPECT_EQ(a["capacity"]["fits"], 16u) << "counts beside them are still summed";
}

TEST(CoverageMerge, BinsHitByAnyRunAreCoveredOthersAreHoles) {
  const fs::path root = fs::temp_directory_path() / ("dfc_cov_merge_" + std::to_string(::getpid()));
  fs::remove_all(root);
  json r1 = {{"coverage",
              {{"dtcp", {{"reply_status", {{"ADD 200", 3u}, {"DELETE 431", 1u}}}}},
               {"timeouts", {{"notified_idle", 2u}}},
               {"multi_match_depth", {{"criteria", {{"1", 10u}}}}}}},
             {"overload", {{"counts", {{"jnxDfcHardPpsThresholdExceeded", 1u}}}}}};
  json r2 = {{"coverage", {{"dtcp", {{"reply_status", {{"ADD 200", 2u}, {"LIST 200", 1u}}}}}}}};
  std::vector<std::string> dirs = {write_run(root, "a.seed1", r1).string(), write_run(root, "b.seed2", r2).string(),
                                   (root / "missing.seed3").string()};
  const auto m = dfc::tools::merge_run_reports(dirs);
  EXPECT_EQ(m.reports, 2u);
  ASSERT_EQ(m.unreadable.size(), 1u);
  EXPECT_EQ(m.sum["coverage"]["dtcp"]["reply_status"]["ADD 200"], 5u);
  auto hits = [&](const std::string& g, const std::string& n) -> int64_t {
    for (const auto& b : m.bins)
      if (b.group == g && b.name == n) return static_cast<int64_t>(b.hits);
    return -1;  // not a bin of the plan
  };
  EXPECT_EQ(hits("dtcp.reply_status", "ADD 200"), 5);
  EXPECT_EQ(hits("dtcp.reply_status", "DELETE 431"), 1);
  EXPECT_EQ(hits("dtcp.reply_status", "REFRESH 433"), 0);
  EXPECT_EQ(hits("timeouts", "notified_idle"), 2);
  EXPECT_EQ(hits("timeouts", "notified_bytes"), 0);
  EXPECT_EQ(hits("multi_match_depth", "criteria 1"), 10);
  EXPECT_EQ(hits("overload", "jnxDfcHardPpsThresholdExceeded"), 1);
  EXPECT_EQ(hits("overload", "jnxDfcSoftMemUnderThreshold"), 0);
  EXPECT_EQ(m.covered(), 6u);
  EXPECT_EQ(m.holes().size(), m.bins.size() - 6);
  std::ostringstream os;
  dfc::tools::print_coverage_summary(m, os);
  EXPECT_NE(os.str().find("6/" + std::to_string(m.bins.size()) + " bins hit"), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("REFRESH 433"), std::string::npos) << "holes are listed";
  EXPECT_NE(os.str().find("missing.seed3"), std::string::npos);
  const json j = dfc::tools::coverage_json(m);
  EXPECT_EQ(j["bins_hit"], 6u);
  EXPECT_EQ(j["holes"].size(), m.bins.size() - 6);
  fs::remove_all(root);
}

}  // namespace
