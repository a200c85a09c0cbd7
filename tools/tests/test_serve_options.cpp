// `dfcsim serve` takes the simulation options of `run` (one SimOptions, added to both commands
// by one function): a profile file with --set overrides, and the same refusal of an unknown
// profile key. Loopback only; every wait is bounded (hil_fixture.hpp).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hil_fixture.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

using namespace dfc::hil;

namespace {

// The text after "profile error: " on stderr (the command's name comes before it).
std::string profile_message(const std::string& err) {
  const size_t at = err.find("profile error: ");
  return at == std::string::npos ? std::string() : err.substr(at);
}

}  // namespace

TEST_F(Hil, ServeTakesAProfileFileAndSetOverrides) {
  // A copy of the ms3 profile under another name, so the report shows which one was loaded.
  std::ifstream in(std::string(DFC_SOURCE_DIR) + "/model/profiles/ms3.json");
  json prof = json::parse(in);
  prof["name"] = "lab-ms3";
  const std::string file = (dir_ / "lab-ms3.json").string();
  std::ofstream(file) << prof.dump(2);

  start_serve({"--profile", file, "--set", "cores=3", "--set", "core_hz=8e8", "--traffic",
               "pps=200,packets=100000,flows=2,match=1,match-dst=10.1.1.1,match-proto=17"});
  if (HasFatalFailure()) return;
  EXPECT_NE(slurp(procs_[serve_].out_path).find("dfcsim serve: lab-ms3 card"), std::string::npos)
      << slurp(procs_[serve_].out_path);
  Result noop = ctl({"noop"});
  EXPECT_EQ(noop.rc, 0) << noop.out << noop.err;
  const json r = stop_serve();
  ASSERT_TRUE(r.contains("profile")) << r.dump(1);
  EXPECT_EQ(r["scenario"]["profile"], "lab-ms3");
  EXPECT_EQ(r["profile"]["cores"].get<double>(), 3.0) << "--set cores=3";
  EXPECT_EQ(r["profile"]["core_hz"].get<double>(), 8e8) << "--set core_hz=8e8";
  EXPECT_EQ(r["profile"]["l1.bytes"].get<double>(), prof["l1.bytes"].get<double>()) << "the rest from the file";
  EXPECT_EQ(r["core_utilisation"].size(), 3u);
  EXPECT_EQ(r["dtcp_server"]["replies_sent"], 1);
  EXPECT_EQ(r["scoreboard"]["pass"], true) << r["scoreboard"].dump(2);
}

TEST_F(Hil, ServeRefusesAnUnknownProfileKeyAsRunDoes) {
  service_port_ = free_udp_port();
  notify_port_ = free_udp_port();
  write_config();
  const std::string conf = (dir_ / "dfc.conf").string();
  const Result serve = run({DFCSIM_BIN, "serve", "--config", conf, "--out", (dir_ / "serve").string(), "--duration",
                            "5", "--set", "nosuch.key=1"},
                           {}, 20);
  EXPECT_EQ(serve.rc, 2) << serve.out << serve.err;
  EXPECT_NE(serve.err.find("unknown profile key 'nosuch.key'"), std::string::npos) << serve.err;
  EXPECT_EQ(serve.out.find("ready"), std::string::npos) << "refused before serving: " << serve.out;

  const Result batch = run({DFCSIM_BIN, "run", "-q", "--config", conf, "--out", (dir_ / "run").string(), "--set",
                            "nosuch.key=1"},
                           {}, 20);
  EXPECT_EQ(batch.rc, 2) << batch.out << batch.err;
  EXPECT_FALSE(profile_message(serve.err).empty()) << serve.err;
  EXPECT_EQ(profile_message(serve.err), profile_message(batch.err)) << "the same message as run's";

  const Result bad_name = run({DFCSIM_BIN, "serve", "--config", conf, "--out", (dir_ / "serve2").string(),
                               "--duration", "5", "--profile", "nosuch"},
                              {}, 20);
  EXPECT_EQ(bad_name.rc, 2) << bad_name.out << bad_name.err;
  EXPECT_NE(bad_name.err.find("--profile 'nosuch'"), std::string::npos) << bad_name.err;
}
