// `--mode fast` against the timing card at saturation (docs/fast-mode.md "Agreement"): ms400 and
// ms3, 64- and 1518-byte frames at the line rate (the saturation scenarios' traffic, 100k
// packets): achieved_pps within 5 % and the copy latency's p50, p90 and p99 within 10 %. The
// figures are what the two models predict from the same profile; nothing is fitted, so a miss
// is a finding about the fast model (docs/fast-mode.md lists the known ones). Label long.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <ostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

// Outside the anonymous namespace, as the fixture below: in the unity build a test class whose
// base names an anonymous-namespace type is an error (-Wsubobject-linkage).
struct FastSaturationCase {
  const char* profile;
  const char* rate;
  int size;
};
using Case = FastSaturationCase;

// Named in failure messages ("ms400 64 B").
[[maybe_unused]] void PrintTo(const Case& k, std::ostream* os) { *os << k.profile << " " << k.size << " B"; }

namespace {


json run(const Case& k, const std::string& mode, const fs::path& out) {
  const std::string src = DFC_SOURCE_DIR;
  const std::string traffic = std::string("rate=") + k.rate + ",load=1,size=" + std::to_string(k.size) +
                              ",packets=100000,flows=1000,locality=0.5,match=0.1,match-dst=10.200.0.1,"
                              "match-proto=17,match-dport=1000,seed=1";
  const auto c = sh(std::string("'") + DFCSIM_BIN + "' run -q '" + src + "/testbench/scenarios/saturation-" +
                    k.profile + ".json' --traffic " + traffic + " --mode " + mode + " --out '" + out.string() + "'");
  EXPECT_EQ(c.rc, 0) << mode << ":\n" << c.out;
  return json::parse(slurp((out / "report.json").string()), nullptr, false);
}

double rel(double fast, double timing) { return timing != 0 ? std::fabs(fast / timing - 1.0) : std::fabs(fast); }

}  // namespace

class FastSaturation : public ::testing::TestWithParam<Case> {};

TEST_P(FastSaturation, AchievedRateAndLatencyAgree) {
  const Case k = GetParam();
  const fs::path d = fs::temp_directory_path() /
                     ("dfcsim-fast-sat-" + std::string(k.profile) + "-" + std::to_string(k.size) + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  const json f = run(k, "fast", d / "fast"), t = run(k, "timing", d / "timing");
  ASSERT_TRUE(f.is_object() && t.is_object());
  EXPECT_EQ(f["scoreboard"]["pass"], true);
  const double fa = f["achieved_pps"].get<double>(), ta = t["achieved_pps"].get<double>();
  EXPECT_LE(rel(fa, ta), 0.05) << "achieved_pps fast " << fa << " timing " << ta;
  for (const char* p : {"p50_us", "p90_us", "p99_us"}) {
    const double fl = f["latency"][p].get<double>(), tl = t["latency"][p].get<double>();
    EXPECT_LE(rel(fl, tl), 0.10) << "latency " << p << " fast " << fl << " timing " << tl;
  }
  fs::remove_all(d);
}

INSTANTIATE_TEST_SUITE_P(Profiles, FastSaturation,
                         ::testing::Values(Case{"ms400", "10g", 64}, Case{"ms400", "10g", 1518}, Case{"ms3", "2.5g", 64},
                                           Case{"ms3", "2.5g", 1518}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.profile) + "_" + std::to_string(i.param.size);
                         });
