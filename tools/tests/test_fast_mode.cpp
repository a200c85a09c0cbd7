// `--mode fast` (docs/fast-mode.md): the options only the timing card has are refused with exit
// code 2; a scenario's "mode" is checked; and on regression scenarios whose copies do not depend
// on sub-microsecond timing, the fast card gives the timing card's copies (per destination), the
// same DTCP answers and a passing scoreboard, with report.json "model" naming the card that ran.
// Runs the real dfcsim (a few seconds).
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("dfcsim-fast-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

json run_scenario(const std::string& scenario, const std::string& mode, const fs::path& out) {
  const std::string src = DFC_SOURCE_DIR;
  const auto c = sh(std::string("'") + DFCSIM_BIN + "' run -q '" + src + "/testbench/scenarios/" + scenario +
                    ".json' --seed 1 --mode " + mode + " --out '" + out.string() + "'");
  EXPECT_EQ(c.rc, 0) << scenario << " --mode " << mode << ":\n" << c.out;
  return json::parse(slurp((out / "report.json").string()), nullptr, false);
}

}  // namespace

TEST(FastMode, TimingOnlyOptionsAreRefused) {
  const fs::path d = scratch("refused");
  const std::string src = DFC_SOURCE_DIR;
  const std::string base = std::string("'") + DFCSIM_BIN + "' run -q --mode fast --out '" + d.string() + "' ";
  for (const std::string& opt : std::vector<std::string>{"--race-check", "--wave vcd", "--firmware '" + src + "/README.md'"}) {
    const auto c = sh(base + opt);
    EXPECT_EQ(c.rc, 2) << opt << ":\n" << c.out;
    EXPECT_NE(c.out.find("needs the timing card"), std::string::npos) << opt << ":\n" << c.out;
    EXPECT_NE(c.out.find("--mode timing"), std::string::npos) << opt << ":\n" << c.out;
  }
  const auto bad = sh(std::string("'") + DFCSIM_BIN + "' run -q --mode quick --out '" + d.string() + "'");
  EXPECT_EQ(bad.rc, 2) << bad.out;
  // A scenario's "mode" is checked like the option.
  const fs::path sc = d / "bad-mode.json";
  std::ofstream(sc) << R"({"config": ")" << src << R"(/testbench/scenarios/configs/one-source.conf", "mode": "slow"})";
  const auto c = sh(std::string("'") + DFCSIM_BIN + "' run -q '" + sc.string() + "' --out '" + d.string() + "'");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("mode"), std::string::npos) << c.out;
  fs::remove_all(d);
}

TEST(FastMode, SameCopiesAsTheTimingCard) {
  const fs::path d = scratch("copies");
  // Copies that follow from the configuration, the requests and the traffic, not from which
  // core finishes first: several sources, timeouts, IPv6, two groups, a restart, the table limit.
  for (const char* sc : {"three-sources", "timeouts", "ipv6", "two-groups", "restart", "table-full-ms3"}) {
    const json f = run_scenario(sc, "fast", d / (std::string(sc) + ".fast"));
    const json t = run_scenario(sc, "timing", d / (std::string(sc) + ".timing"));
    ASSERT_TRUE(f.is_object() && t.is_object()) << sc;
    EXPECT_EQ(f["model"], "fast") << sc;
    EXPECT_EQ(t["model"], "timing") << sc;
    EXPECT_EQ(f["scoreboard"]["pass"], true) << sc;
    EXPECT_EQ(f["packets_in"], t["packets_in"]) << sc;
    EXPECT_EQ(f["copies_sent"], t["copies_sent"]) << sc;
    for (auto it = t["copies_per_destination"].begin(); it != t["copies_per_destination"].end(); ++it)
      EXPECT_EQ(f["copies_per_destination"][it.key()]["copies"], it.value()["copies"]) << sc << " " << it.key();
    EXPECT_EQ(f["dtcp"]["status_counts"], t["dtcp"]["status_counts"]) << sc;
    EXPECT_EQ(f["drops"], t["drops"]) << sc;
    // What only the timing card has is left out, not zero-filled.
    EXPECT_FALSE(f.contains("timeline")) << sc;
    EXPECT_TRUE(t.contains("timeline")) << sc;
  }
  fs::remove_all(d);
}
