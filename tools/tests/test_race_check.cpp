// `dfcsim run --race-check` (docs/race-check.md) end to end. The churn scenario (criteria added and
// deleted while traffic flows over every data thread) is race-free with the firmware as it is, in
// host mode (the plain dfcsim hands the run to dfcsim-race, whose firmware is instrumented) and in
// image mode (every DRAM access of the MIPS image). Proof that each critical section bites: with one
// removed (DFC_FAULT_SKIP_LOCK=<site>, the fault-injection hook of dfcsim-race and of the test image
// dfc_firmware_fault.elf; dfc_firmware_no_packet_lock.elf has the packet path's accounting lock
// removed from the start) the same run reports races, naming the address and code, and exits 3.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace {
namespace fs = std::filesystem;
using dfc::test::sh;
using dfc::test::slurp;
using nlohmann::json;

const std::string kDfcsim = DFCSIM_BIN;
const std::string kRace = DFCSIM_RACE_BIN;
const std::string kBin = DFC_BIN_DIR;
const std::string kChurn = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/churn.json";

struct Outcome {
  int rc = -1;
  std::string out;
  json report;
  std::string html;  // report.html
};

// `env`: assignments put before the command ("DFC_FAULT_SKIP_LOCK=process").
Outcome run(const std::string& exe, const std::string& args, const std::string& tag, bool keep = false,
            const std::string& env = "") {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-race-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  Outcome r;
  const auto c = sh(env + (env.empty() ? "" : " ") + "'" + exe + "' run " + args + " --out '" + dir.string() + "' 2>&1");
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

// Without the checker the plain build has no hook: the selection is named as removing nothing,
// so a passing run is not mistaken for one without that lock.
TEST(RaceCheck, ASelectionWithoutTheCheckerIsSaidToRemoveNothing) {
  const Outcome r = run(kDfcsim, "-q", "warn", false, "DFC_FAULT_SKIP_LOCK=process");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("DFC_FAULT_SKIP_LOCK=process removes nothing here"), std::string::npos) << r.out;
}

TEST(RaceCheck, HostModeWithoutThePacketLockFindsTheRace) {
  // The plain dfcsim hands the run, and its environment, to dfcsim-race.
  const Outcome r = run(kDfcsim, "'" + kChurn + "' --race-check", "host-nolock", false, "DFC_FAULT_SKIP_LOCK=process");
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
  const Outcome r = run(kRace, "'" + kChurn + "' -q", "host-nolock-off", false, "DFC_FAULT_SKIP_LOCK=process");
  EXPECT_EQ(r.rc, 0) << r.out;
}

// A selection that names no critical section, or an image without the hook, is an error (exit 2)
// that lists the sites: never a run that removes nothing and passes.
TEST(RaceCheck, AFaultSelectionThatCannotApplyIsAnError) {
  const Outcome host = run(kDfcsim, "'" + kChurn + "' -q --race-check", "bad-site", false, "DFC_FAULT_SKIP_LOCK=nosuch");
  EXPECT_EQ(host.rc, 2) << host.out;
  EXPECT_NE(host.out.find("on_control"), std::string::npos) << host.out;
  if (!have_image("dfc_firmware.elf")) GTEST_SKIP() << "the MIPS image was not built";
  const Outcome product = run(kDfcsim, "'" + kChurn + "' -q --firmware '" + kBin + "/dfc_firmware.elf'", "bad-image",
                              false, "DFC_FAULT_SKIP_LOCK=process");
  EXPECT_EQ(product.rc, 2) << product.out;
  EXPECT_NE(product.out.find("dfc_firmware_fault.elf"), std::string::npos) << product.out;
}

// The product firmware has no hook: neither the plain host build nor dfc_firmware.elf defines the
// selection or the function that reads it; the builds that should, do (else this proves nothing).
TEST(RaceCheck, ProductBuildsHaveNoFaultHook) {
  const auto defines = [](const std::string& nm, const std::string& file, const std::string& symbol) {
    const auto c = sh(nm + " --defined-only '" + file + "' 2>&1");
    EXPECT_EQ(c.rc, 0) << c.out;
    return c.out.find(symbol) != std::string::npos;
  };
  // dfc::fault::lock_skipped(char const*), mangled.
  const std::string hook = "_ZN3dfc5fault12lock_skippedEPKc";
  EXPECT_FALSE(defines("nm", kDfcsim, hook));
  EXPECT_FALSE(defines("nm", kDfcsim, "dfc_fault_skip_lock"));
  EXPECT_TRUE(defines("nm", kRace, hook));
  if (!have_image("dfc_firmware.elf") || sh("command -v mips-linux-gnu-nm").rc != 0)
    GTEST_SKIP() << "the MIPS image or mips-linux-gnu-nm is missing";
  EXPECT_FALSE(defines("mips-linux-gnu-nm", kBin + "/dfc_firmware.elf", hook));
  EXPECT_FALSE(defines("mips-linux-gnu-nm", kBin + "/dfc_firmware.elf", "dfc_fault_skip_lock"));
  for (const char* elf : {"dfc_firmware_fault.elf", "dfc_firmware_no_packet_lock.elf"}) {
    EXPECT_TRUE(defines("mips-linux-gnu-nm", kBin + "/" + elf, hook)) << elf;
    EXPECT_TRUE(defines("mips-linux-gnu-nm", kBin + "/" + elf, "dfc_fault_skip_lock")) << elf;
  }
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

// The acceptance's "image built without one of the packet path's lock guards": the fault image with
// the accounting lock (site "process") selected at link time.
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

// ---- Every critical section of docs/firmware-concurrency.md §5 removed in turn (fault injection,
// docs/race-check.md "Removing a critical section"): a scenario that reaches it then fails with races.
// The sites not listed here cannot be shown by a run (firmware-concurrency.md §5 says why).
struct Mutant {
  const char* site;        // DFC_FAULT_SKIP_LOCK
  const char* scenario;    // under testbench/scenarios
  const char* code;        // a word the code of at least one race names
  const char* extra = "";  // more options of the run
};
void PrintTo(const Mutant& m, std::ostream* os) { *os << m.site; }
std::string site_name(const testing::TestParamInfo<Mutant>& i) {
  std::string n = i.param.site;
  for (char& c : n)
    if (c == '.') c = '_';
  return n;
}

Outcome run_mutant(const Mutant& m, const std::string& firmware) {
  const std::string scen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/" + m.scenario;
  const std::string fw = firmware.empty() ? "" : " --firmware '" + kBin + "/" + firmware + "'";
  return run(kDfcsim, "'" + scen + "' -q --race-check " + m.extra + fw,
             std::string("mutant-") + m.site + (fw.empty() ? "" : "-image"),
             false, std::string("DFC_FAULT_SKIP_LOCK=") + m.site);
}

void expect_races_in(const Outcome& r, const Mutant& m) {
  EXPECT_EQ(r.rc, 3) << r.out;
  ASSERT_TRUE(r.report.contains("races")) << r.out;
  ASSERT_FALSE(r.report["races"].empty()) << r.out;
  expect_well_formed(r.report["races"]);
  bool named = false;
  for (const json& x : r.report["races"])
    for (const json& a : x["accesses"]) named |= a["code"].get<std::string>().find(m.code) != std::string::npos;
  EXPECT_TRUE(named) << m.code << " in no race: " << r.report["races"].dump(2);
}

// Host mode: one to nine seconds each, in the default suite. on_control on churn-10m-smoke.json:
// since the security engine's answer is waited for inside the request's handling, churn.json's
// data threads meet a criteria map half-changed by an unlocked request and the firmware stops
// (map::at) before the run reports, as the image does on churn.
class RaceMutantHost : public testing::TestWithParam<Mutant> {};
TEST_P(RaceMutantHost, TheScenarioFailsWithRaces) { expect_races_in(run_mutant(GetParam(), ""), GetParam()); }
const Mutant kHostMutants[] = {
    {"process", "churn.json", "account_hit"},
    {"on_control", "churn-10m-smoke.json", "dtcp::Server"},
    {"flush_transmit", "churn.json", "deque"},
};
INSTANTIATE_TEST_SUITE_P(Sites, RaceMutantHost, testing::ValuesIn(kHostMutants), site_name);

// Image mode (dfc_firmware_fault.elf, the selection written into it at load): 10-30 s each, ctest
// label `long`. churn fails its other expectations in image mode (docs/race-check.md §6), so only
// the races count here; the control run below shows the fault image without a selection has none.
class RaceMutantImage : public testing::TestWithParam<Mutant> {};
TEST_P(RaceMutantImage, TheScenarioFailsWithRaces) {
  if (!have_image("dfc_firmware_fault.elf")) GTEST_SKIP() << "the MIPS image was not built";
  expect_races_in(run_mutant(GetParam(), "dfc_firmware_fault.elf"), GetParam());
}
// on_control on churn's first 1 500 packets: further on, the image's data threads meet a criteria
// map half-changed by an unlocked request and the image stops (map::at) before the run reports;
// on the quieter scenarios (restart.json, three-sources, timeouts) no race shows since the
// security engine shortened the requests.
const Mutant kImageMutants[] = {
    {"process", "churn.json", "account_hit"},
    {"on_control", "churn.json", "dtcp::Server", "--packets 1500"},
    {"flush_transmit", "churn.json", "flush_transmit"},
    {"restart", "restart.json", "Server::restart"},
    {"image.heap", "churn.json", "free"},
    // The LIST answers handed from the control thread to the packers (firmware-concurrency.md
    // §4 rule 11); in host mode the control thread packs its own answers at once (packing
    // declares no work there), so no other thread meets them.
    {"pack_lists.take", "churn.json", "pack_lists"},
    {"pack_lists.queue", "churn.json", "dtcp::Server"},
};
INSTANTIATE_TEST_SUITE_P(Sites, RaceMutantImage, testing::ValuesIn(kImageMutants), site_name);

// The controls: the fault image without a selection has no race on either scenario (restart.json
// also passes; churn's other expectations do not hold in image mode, see above).
TEST(RaceMutantImage, TheFaultImageWithoutASelectionIsRaceFree) {
  if (!have_image("dfc_firmware_fault.elf")) GTEST_SKIP() << "the MIPS image was not built";
  const std::string fw = " -q --race-check --firmware '" + kBin + "/dfc_firmware_fault.elf'";
  const Outcome churn = run(kDfcsim, "'" + kChurn + "'" + fw, "fault-image-churn");
  ASSERT_TRUE(churn.report.contains("race_check")) << churn.out;
  EXPECT_GT(churn.report["race_check"]["accesses"].get<uint64_t>(), 100000u);
  EXPECT_TRUE(churn.report["races"].empty()) << churn.report["races"].dump(2);
  const Outcome restart =
      run(kDfcsim, "'" + std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/restart.json'" + fw, "fault-image-restart");
  EXPECT_EQ(restart.rc, 0) << restart.out;
  EXPECT_TRUE(restart.report["races"].empty()) << restart.report["races"].dump(2);
}

}  // namespace
