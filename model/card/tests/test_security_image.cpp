// The firmware image on a card with a security engine (docs/iss.md, "The security engine"):
// the built-in default scenario (a criterion added over DTCP, traffic, the timer) runs with the
// image's HMAC-SHA1 going to the engine through its SEC_* registers: the DTCP request verifies
// and its reply is signed (the scoreboard passes, the testbench checks the reply's signature),
// the engine is busy, and the image's DTCP path runs no SHA-1 of its own. On a card without an
// engine (security.engine=0) the same image hashes in software.
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

const std::string kElf = std::string(DFC_BIN_DIR) + "/dfc_firmware.elf";

dfc::tb::RunResult run_image(bool engine, const std::string& tag) {
  dfc::tb::RunOptions o = dfc::tb::default_scenario();
  o.sim.firmware = kElf;
  o.sim.classifier = "model";
  o.sim.quiet = true;
  o.sim.profile = "ms400";
  o.sim.profile_sets.push_back(std::string("security.engine=") + (engine ? "1" : "0"));
  const fs::path dir = fs::temp_directory_path() / ("dfc-sec-iss-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  o.sim.out_dir = dir.string();
  return dfc::tb::run_simulation(o);
}

// Instructions the DTCP path spent in functions whose name holds "Sha1".
uint64_t sha1_instructions(const json& report) {
  uint64_t n = 0;
  for (const json& f : report["iss"]["functions_per_path"]["dtcp"]["functions"])
    if (f["function"].get<std::string>().find("Sha1") != std::string::npos) n += f["instructions"].get<uint64_t>();
  return n;
}

TEST(SecurityImage, DefaultScenarioSignsOnTheEngine) {
  if (!fs::exists(kElf)) GTEST_SKIP() << "bin/dfc_firmware.elf was not built (needs mips-linux-gnu-g++)";
  const dfc::tb::RunResult r = run_image(true, "on");
  EXPECT_TRUE(r.passed()) << r.summary;
  ASSERT_TRUE(r.report["utilisation"].contains("security")) << r.report["utilisation"].dump();
  EXPECT_GT(r.report["utilisation"]["security"].get<double>(), 0.0);
  ASSERT_GT(r.report["iss"]["functions_per_path"]["dtcp"]["packets"].get<uint64_t>(), 0u);
  EXPECT_EQ(sha1_instructions(r.report), 0u) << r.report["iss"]["functions_per_path"]["dtcp"].dump(2);
}

TEST(SecurityImage, WithoutAnEngineTheImageHashesItself) {
  if (!fs::exists(kElf)) GTEST_SKIP() << "bin/dfc_firmware.elf was not built (needs mips-linux-gnu-g++)";
  const dfc::tb::RunResult r = run_image(false, "off");
  EXPECT_TRUE(r.passed()) << r.summary;
  EXPECT_FALSE(r.report["utilisation"].contains("security"));
  EXPECT_GT(sha1_instructions(r.report), 0u) << r.report["iss"]["functions_per_path"]["dtcp"].dump(2);
}

}  // namespace
