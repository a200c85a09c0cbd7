// `dfcsim run --why`: a packet no criterion matches names the nearest installed criterion and
// the field that missed, read from the run's own DTCP exchange (one-criterion.dtcp: Dest-Address
// 10.1.1.0/24, Protocol 17); a packet that matched has no "nearest".
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

TEST(WhyRun, UnmatchedPacketsNameTheNearestCriterion) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-why-run-" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string src = DFC_SOURCE_DIR;
  const auto c = sh(std::string("'") + DFCSIM_BIN + "' run -q --config '" + src +
                    "/testbench/scenarios/configs/one-source.conf' --dtcp '" + src +
                    "/testbench/scenarios/dtcp/one-criterion.dtcp' --traffic "
                    "rate=1g,packets=40,flows=8,match=0.5,match-dst=10.1.1.1,match-proto=17 --why ip --out '" +
                    (dir / "out").string() + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  std::istringstream in(slurp((dir / "out/why.jsonl").string()));
  size_t unmatched = 0, matched = 0;
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    if (j["decision"] != "no criterion matches") {
      ++matched;
      EXPECT_FALSE(j.contains("nearest")) << line;
      continue;
    }
    ++unmatched;
    ASSERT_TRUE(j.contains("nearest")) << line;
    const json& n = j["nearest"];
    EXPECT_EQ(n["criterion"], "1") << line;
    // The generator's unmatched flows are UDP to other addresses: the address misses first.
    EXPECT_EQ(n["missed"], "dest-address") << line;
    EXPECT_EQ(n["want"], "10.1.1.0/24") << line;
    EXPECT_EQ(n["got"], j["parsed"]["dst"]) << line;
  }
  EXPECT_GT(unmatched, 0u);
  EXPECT_GT(matched, 0u);
  fs::remove_all(dir);
}
