// The race checker in image mode (IssCard::enable_race_check, docs/iss.md): the firmware image
// on the card's instruction-set simulator with race_check=1. The built-in default scenario (a
// criterion added over DTCP, matching and unmatched packets, the timer) runs with every DRAM
// load and store of the image checked, locks, buffer hand-offs and the timer seen as
// synchronisation, and no race; the image built without the packet path's lock (when the
// firmware build made it) shows its race, named by the image's symbols.
// Each TEST runs in its own process (gtest_discover_tests): SystemC elaborates once.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include <unistd.h>

#include "host/harness.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::string kBin = DFC_BIN_DIR;

fs::path fresh_dir(const std::string& tag) {
  const fs::path p = fs::temp_directory_path() / ("dfc-race-iss-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

dfc::tb::RunResult run_image(const std::string& elf, bool race_check, const std::string& tag) {
  dfc::tb::RunOptions o = dfc::tb::default_scenario();
  o.sim.firmware = kBin + "/" + elf;
  o.sim.classifier = "model";
  o.sim.quiet = true;
  if (race_check) o.sim.profile_sets.push_back("race_check=1");
  o.sim.out_dir = fresh_dir(tag).string();
  return dfc::tb::run_simulation(o);
}

bool built(const std::string& elf) { return fs::exists(kBin + "/" + elf); }

TEST(RaceIss, DefaultScenarioIsCheckedAndHasNoRace) {
  if (!built("dfc_firmware.elf")) GTEST_SKIP() << "bin/dfc_firmware.elf was not built (needs mips-linux-gnu-g++)";
  const dfc::tb::RunResult r = run_image("dfc_firmware.elf", true, "default");
  ASSERT_TRUE(r.report.contains("race_check")) << r.report.dump(2);
  const json& rc = r.report["race_check"];
  EXPECT_EQ(rc["mode"], "image");
  EXPECT_GT(rc["accesses"].get<uint64_t>(), 0u);
  const json& sync = rc["sync_events"];
  EXPECT_GT(sync["lock"].get<uint64_t>(), 0u) << sync.dump();    // the criteria lock (DTCP, accounting)
  EXPECT_GT(sync["buffer"].get<uint64_t>(), 0u) << sync.dump();  // receive buffers taken and given back
  EXPECT_GT(sync["timer"].get<uint64_t>(), 0u) << sync.dump();   // armed and fired
  EXPECT_EQ(rc["racing_accesses"].get<uint64_t>(), 0u) << r.report["races"].dump(2);
  EXPECT_TRUE(r.report["races"].empty()) << r.report["races"].dump(2);
  EXPECT_TRUE(r.passed()) << r.summary;
}

// The checker is off unless asked for: no race section, the same copies.
TEST(RaceIss, OffByDefault) {
  if (!built("dfc_firmware.elf")) GTEST_SKIP() << "bin/dfc_firmware.elf was not built (needs mips-linux-gnu-g++)";
  const dfc::tb::RunResult r = run_image("dfc_firmware.elf", false, "off");
  EXPECT_FALSE(r.report.contains("race_check"));
  EXPECT_TRUE(r.passed()) << r.summary;
}

// Without the lock around the packet path's accounting two threads update the same criterion's
// counters unordered: the checker reports it, at code and data the image's symbols name.
TEST(RaceIss, ImageWithoutThePacketLockRaces) {
  const std::string elf = "dfc_firmware_no_packet_lock.elf";
  if (!built(elf)) GTEST_SKIP() << "bin/" << elf << " was not built";
  const dfc::tb::RunResult r = run_image(elf, true, "nolock");
  ASSERT_TRUE(r.report.contains("race_check")) << r.report.dump(2);
  ASSERT_FALSE(r.report["races"].empty()) << r.report["race_check"].dump(2);
  EXPECT_FALSE(r.passed());
  for (const json& race : r.report["races"]) {
    ASSERT_EQ(race["accesses"].size(), 2u);
    EXPECT_NE(race["accesses"][0]["thread"], race["accesses"][1]["thread"]);
    for (const json& a : race["accesses"]) EXPECT_EQ(a["code"].get<std::string>().rfind("0x", 0), std::string::npos) << race.dump(2);
  }
}

}  // namespace
