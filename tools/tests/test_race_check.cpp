// `dfcsim run --race-check` (docs/race-check.md) end to end. The churn scenario (criteria added and
// deleted while traffic flows over every data thread) is race-free with the firmware as it is, in
// host mode (the plain dfcsim hands the run to dfcsim-race, whose firmware is instrumented) and in
// image mode (every DRAM access of the MIPS image). A build without the packet path's lock guard
// (DFC_RACE_NO_PACKET_LOCK) makes the same run report races, naming the address and code, and exit 3.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.hpp"

namespace {
namespace fs = std::filesystem;
using dfc::test::sh;
using dfc::test::slurp;
using nlohmann::json;

const std::string kDfcsim = DFCSIM_BIN;
const std::string kNoLock = DFCSIM_NO_LOCK_BIN;
const std::string kBin = DFC_BIN_DIR;
const std::string kChurn = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/churn.json";

struct Outcome {
  int rc = -1;
  std::string out;
  json report;
  std::string html;  // report.html
};

Outcome run(const std::string& exe, const std::string& args, const std::string& tag, bool keep = false) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-race-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  Outcome r;
  const auto c = sh("'" + exe + "' run " + args + " --out '" + dir.string() + "' 2>&1");
  r.rc = c.rc;
  r.out = c.out;
  const std::string text = slurp((dir / "report.json").string());
  if (!text.empty()) r.report = json::parse(text);
  r.html = slurp((dir / "report.html").string());
  if (keep) r.report["_copies"] = slurp((dir / "cdest-cd1.pcap").string()).size();
  fs::remove_all(dir);
  return r;
}

bool have_image(const std::string& name) { return fs::exists(kBin + "/" + name); }

// Every race names its address, and each of its two accesses a thread, a time, read or write and code.
void expect_well_formed(const json& races) {
  for (const json& r : races) {
    EXPECT_EQ(r["address"].get<std::string>().rfind("0x", 0), 0u) << r.dump();
    ASSERT_EQ(r["accesses"].size(), 2u) << r.dump();
    const json& a = r["accesses"];
    EXPECT_NE(a[0]["thread"], a[1]["thread"]) << r.dump();
    EXPECT_TRUE(a[0]["op"] == "write" || a[1]["op"] == "write") << r.dump();
    for (const json& x : a) EXPECT_FALSE(x["code"].get<std::string>().empty()) << r.dump();
  }
}

TEST(RaceCheck, HostModeChurnIsRaceFree) {
  const Outcome r = run(kDfcsim, "'" + kChurn + "' --race-check", "host");
  ASSERT_EQ(r.rc, 0) << r.out;
  ASSERT_TRUE(r.report.contains("race_check")) << r.out;
  EXPECT_EQ(r.report["race_check"]["mode"], "host");
  EXPECT_GT(r.report["race_check"]["accesses"].get<uint64_t>(), 100000u);
  EXPECT_GT(r.report["race_check"]["sync_events"]["lock"].get<uint64_t>(), 0u);
  EXPECT_TRUE(r.report["races"].empty()) << r.report["races"].dump(2);
  EXPECT_NE(r.out.find("race check (host)"), std::string::npos) << r.out;
}

TEST(RaceCheck, OffByDefault) {
  const Outcome r = run(kDfcsim, "'" + kChurn + "' -q", "off");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_FALSE(r.report.contains("race_check"));
  EXPECT_FALSE(r.report.contains("races"));
}

TEST(RaceCheck, HostModeWithoutThePacketLockFindsTheRace) {
  const Outcome r = run(kNoLock, "'" + kChurn + "' --race-check", "host-nolock");
  EXPECT_EQ(r.rc, 3) << r.out;
  ASSERT_TRUE(r.report.contains("races")) << r.out;
  ASSERT_FALSE(r.report["races"].empty()) << r.out;
  expect_well_formed(r.report["races"]);
  // At least one race is in the hit accounting the lock guarded, and is named.
  bool accounting = false;
  for (const json& x : r.report["races"])
    for (const json& a : x["accesses"]) accounting |= a["code"].get<std::string>().find("account") != std::string::npos;
  EXPECT_TRUE(accounting) << r.report["races"].dump(2);
  EXPECT_NE(r.out.find("race checker:"), std::string::npos) << r.out;
  EXPECT_NE(r.html.find("<h2>Race check</h2>"), std::string::npos);
  EXPECT_NE(r.html.find("account_hit"), std::string::npos);
}

TEST(RaceCheck, TheSameBuildWithoutTheCheckDoesNotSeeIt) {
  // The mutant passes the churn scenario's expectations: only the checker shows the missing lock.
  const Outcome r = run(kNoLock, "'" + kChurn + "' -q", "host-nolock-off");
  EXPECT_EQ(r.rc, 0) << r.out;
}

// (churn's other expectations do not all hold in image mode yet: its control thread cannot keep
// up with 15k requests/s at the image's measured cost, docs/iss.md. This test is the checker's.)
TEST(RaceCheck, ImageModeChurnIsRaceFree) {
  if (!have_image("dfc_firmware.elf")) GTEST_SKIP() << "the MIPS image was not built";
  const Outcome r = run(kDfcsim, "'" + kChurn + "' --race-check --firmware '" + kBin + "/dfc_firmware.elf'", "image");
  ASSERT_TRUE(r.report.contains("race_check")) << r.out;
  for (const json& f : r.report["expectations"])
    EXPECT_EQ(f.get<std::string>().find("race checker"), std::string::npos) << f;
  EXPECT_EQ(r.report["race_check"]["mode"], "image");
  EXPECT_GT(r.report["race_check"]["accesses"].get<uint64_t>(), 100000u);
  EXPECT_TRUE(r.report["races"].empty()) << r.report["races"].dump(2);
}

TEST(RaceCheck, ImageModeDefaultScenarioPasses) {
  if (!have_image("dfc_firmware.elf")) GTEST_SKIP() << "the MIPS image was not built";
  const Outcome r = run(kDfcsim, "--race-check --firmware '" + kBin + "/dfc_firmware.elf'", "image-default");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.report["race_check"]["mode"], "image");
  EXPECT_GT(r.report["race_check"]["accesses"].get<uint64_t>(), 10000u);
  EXPECT_EQ(r.report["race_check"]["unattributed_accesses"].get<uint64_t>(), 0u);
  EXPECT_GT(r.report["race_check"]["sync_events"]["lock"].get<uint64_t>(), 0u);
  EXPECT_TRUE(r.report["races"].empty()) << r.report["races"].dump(2);
}

TEST(RaceCheck, ImageModeWithoutThePacketLockFindsTheRace) {
  if (!have_image("dfc_firmware_no_packet_lock.elf")) GTEST_SKIP() << "the MIPS image was not built";
  const Outcome r = run(kDfcsim,
                        "'" + kChurn + "' --race-check --firmware '" + kBin + "/dfc_firmware_no_packet_lock.elf'",
                        "image-nolock");
  EXPECT_EQ(r.rc, 3) << r.out;
  ASSERT_FALSE(r.report["races"].empty()) << r.out;
  expect_well_formed(r.report["races"]);
  bool named = false;
  for (const json& x : r.report["races"]) named |= !x["symbol"].get<std::string>().empty();
  EXPECT_TRUE(named) << r.report["races"].dump(2);
}

// What a run computed, without what depends on the host (wall times, output paths).
json simulated(json r) {
  for (const char* k : {"wall_time_s", "card_wall_time_s", "simulated_packets_per_wall_second",
                        "card_packets_per_wall_second", "copies_per_destination", "wave"})
    r.erase(k);
  return r;
}

TEST(RaceCheck, AScheduleSeedReplaysExactlyAndSeedsDiffer) {
  const std::string args = "'" + kChurn + "' -q --race-check --schedule-seed ";
  const Outcome a = run(kDfcsim, args + "3", "seed3a", true), b = run(kDfcsim, args + "3", "seed3b", true);
  const Outcome c = run(kDfcsim, args + "4", "seed4", true);
  ASSERT_EQ(a.rc, 0) << a.out;
  ASSERT_EQ(c.rc, 0) << c.out;
  EXPECT_EQ(simulated(a.report), simulated(b.report));
  // Another seed interleaves the threads otherwise: the accesses checked (how often threads
  // retried, waited, polled) or the packets' latencies move.
  EXPECT_TRUE(a.report["race_check"]["accesses"] != c.report["race_check"]["accesses"] ||
              a.report["latency"] != c.report["latency"]);
}

TEST(RaceCheck, RegressExploresScheduleSeedsWithTheChecker) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-race-regress-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "list") << kChurn << " default 1\n";
  const auto c = sh("'" + kDfcsim + "' regress --list '" + (dir / "list").string() +
                    "' --schedule-seeds 2 --race-check -j2 --out '" + (dir / "out").string() + "' 2>&1");
  EXPECT_EQ(c.rc, 0) << c.out;
  EXPECT_NE(c.out.find("2/2 passed"), std::string::npos) << c.out;
  for (const char* run_dir : {"churn.seed1.sched1", "churn.seed1.sched2"}) {
    const std::string text = slurp((dir / "out" / run_dir / "report.json").string());
    ASSERT_FALSE(text.empty()) << run_dir << "\n" << c.out;
    const json r = json::parse(text);
    EXPECT_TRUE(r.contains("race_check")) << run_dir;
  }
  fs::remove_all(dir);
}

TEST(RaceCheck, ScenarioKeyAndItsErrors) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-race-scen-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string src = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";
  json j = json::parse(slurp(kChurn));
  // Paths in a scenario are relative to it.
  for (const char* k : {"config", "dtcp", "pcap"})
    if (j.contains(k)) j[k] = src + j[k].get<std::string>();
  j["race_check"] = true;
  std::ofstream(dir / "on.json") << j.dump();
  j["race_check"] = "yes";
  std::ofstream(dir / "bad.json") << j.dump();
  const Outcome on = run(kDfcsim, "'" + (dir / "on.json").string() + "' -q", "scen-on");
  EXPECT_EQ(on.rc, 0) << on.out;
  EXPECT_TRUE(on.report.contains("race_check")) << on.out;
  const Outcome bad = run(kDfcsim, "'" + (dir / "bad.json").string() + "' -q", "scen-bad");
  EXPECT_EQ(bad.rc, 2) << bad.out;
  EXPECT_NE(bad.out.find("race_check"), std::string::npos) << bad.out;
  fs::remove_all(dir);
}

TEST(RaceCheck, ProfileKeyOnThePlainBuildSaysWhatToDo) {
  // race_check=1 through --set reaches the card of the plain build, whose firmware is not
  // instrumented: a clear error, not a run that checks nothing.
  const Outcome r = run(kDfcsim, "'" + kChurn + "' -q --set race_check=1", "set");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("--race-check"), std::string::npos) << r.out;
}

}  // namespace
