// `dfcsim regress` merged counts, a second test independent of RegressJunit: a list of n runs of
// which k fail their expectations must print "n-k/n passed", exit 3 (0 when k = 0), and write a
// JUnit file whose counts (read here with plain text matching, not an XML library) and failed
// test cases are exactly those k runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using dfc::test::sh;
using dfc::test::slurp;

namespace {

const std::string kCountsDfcsim = std::string("'") + DFCSIM_BIN + "'";
const std::string kCountsScen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios";

size_t occurrences(const std::string& text, const std::regex& re) {
  return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

struct RegressOutcome {
  int rc = 0;
  std::string out, junit;
};

// `good` seeds of a scenario that passes and `bad` seeds of one whose expectation cannot hold.
RegressOutcome run_list(const fs::path& dir, int good, int bad) {
  fs::remove_all(dir);
  fs::create_directories(dir / "s");
  const std::string conf = kCountsScen + "/configs/one-source.conf", dtcp = kCountsScen + "/dtcp/one-criterion.dtcp";
  std::ofstream(dir / "s/ok.json") << R"({"config": ")" << conf << R"(", "dtcp": ")" << dtcp
                                   << R"(", "profile": "ms3", "traffic": "packets=60,match=0.5,match-dst=10.1.1.1"})";
  std::ofstream(dir / "s/never.json") << R"({"config": ")" << conf << R"(", "profile": "ms3", "traffic": "packets=10", )"
                                      << R"("expect": {"report": {"copies_sent": {"min": 1}}}})";
  std::ofstream list(dir / "list");
  auto seeds = [](int n) {
    std::string s;
    for (int i = 1; i <= n; ++i) s += (i > 1 ? "," : "") + std::to_string(i);
    return s;
  };
  if (good) list << "s/ok.json counts " << seeds(good) << "\n";
  if (bad) list << "s/never.json counts " << seeds(bad) << "\n";
  list.close();
  const auto r = sh(kCountsDfcsim + " regress --label counts -j 2 --list '" + (dir / "list").string() + "' --out '" +
                    (dir / "out").string() + "' --junit '" + (dir / "j.xml").string() + "'");
  return RegressOutcome{r.rc, r.out, slurp((dir / "j.xml").string())};
}

}  // namespace

TEST(RegressCounts, KFailingOfNAreCountedInTheSummaryTheExitCodeAndJunit) {
  const fs::path base = fs::temp_directory_path() / ("dfcsim-regress-counts-" + std::to_string(getpid()));
  for (const auto& [good, bad] : {std::pair{3, 2}, std::pair{2, 0}, std::pair{0, 1}}) {
    const int n = good + bad;
    const RegressOutcome o = run_list(base / (std::to_string(good) + "-" + std::to_string(bad)), good, bad);
    SCOPED_TRACE(std::to_string(good) + " passing, " + std::to_string(bad) + " failing\n" + o.out);
    EXPECT_EQ(o.rc, bad ? 3 : 0);
    EXPECT_NE(o.out.find(std::to_string(good) + "/" + std::to_string(n) + " passed (label counts)"), std::string::npos);
    // Every failing run is listed with the command that reruns it, and no passing one.
    EXPECT_EQ(occurrences(o.out, std::regex(R"(\n  never\.seed\d+ \(exit 3\))")), static_cast<size_t>(bad));
    EXPECT_EQ(occurrences(o.out, std::regex(R"(\n  ok\.seed\d+ \(exit)")), 0u);
    // JUnit: the suite's and the document's counts, and the test cases themselves.
    const std::string counts = "tests=\"" + std::to_string(n) + "\" failures=\"" + std::to_string(bad) + "\" errors=\"0\"";
    EXPECT_EQ(occurrences(o.junit, std::regex(counts)), 2u) << o.junit;  // <testsuites> and <testsuite>
    EXPECT_EQ(occurrences(o.junit, std::regex("<testcase ")), static_cast<size_t>(n));
    EXPECT_EQ(occurrences(o.junit, std::regex("<failure ")), static_cast<size_t>(bad));
    EXPECT_EQ(occurrences(o.junit, std::regex("<error ")), 0u);
    std::set<std::string> failed;
    const std::regex fcase(R"re(<testcase [^>]*name="([^"]+)"[^>]*>\s*<properties>(?:[^<]|<property[^>]*>)*</properties>\s*<failure )re");
    for (auto it = std::sregex_iterator(o.junit.begin(), o.junit.end(), fcase); it != std::sregex_iterator(); ++it)
      failed.insert((*it)[1]);
    EXPECT_EQ(failed.size(), static_cast<size_t>(bad));
    for (const auto& f : failed) EXPECT_EQ(f.rfind("never.seed", 0), 0u) << f;
  }
  fs::remove_all(base);
}
