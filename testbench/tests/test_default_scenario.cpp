// End-to-end: the README's first command. Runs `dfcsim run` on the built-in default scenario
// and checks the copies it wrote with tshark, an independent decoder: every copy is IPv4 in
// IPv4 addressed to the content destination with its TTL, and carries exactly one of the
// scenario's matching packets, byte for byte.
#include <algorithm>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "host/harness.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;

namespace {

struct Cmd {
  int rc;
  std::string out;
};
// A command's stdout and exit code; its stderr is dropped unless the command redirects it.
Cmd sh(const std::string& cmd) {
  const bool redirects = cmd.find("2>") != std::string::npos;
  const auto r = dfc::common::run_command(cmd, redirects ? dfc::common::Stderr::Inherit : dfc::common::Stderr::Discard);
  return {r.exit_code(), r.output};
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream is(s);
  std::string l;
  while (std::getline(is, l))
    if (!l.empty()) v.push_back(l);
  return v;
}

// `tshark -x` prints each frame as hex-dump lines "0000  45 00 ..." with a blank line between
// frames; returns the bytes of every frame.
std::vector<std::vector<uint8_t>> tshark_frames(const std::string& pcap) {
  const Cmd c = sh("tshark -r '" + pcap + "' -x");
  std::vector<std::vector<uint8_t>> frames;
  std::vector<uint8_t> cur;
  std::istringstream is(c.out);
  std::string l;
  while (std::getline(is, l)) {
    if (l.empty()) {
      if (!cur.empty()) frames.push_back(cur), cur.clear();
      continue;
    }
    // offset, two spaces, up to 16 hex bytes separated by single spaces, then the ASCII column
    const size_t sp = l.find("  ");
    if (sp == std::string::npos) continue;
    for (size_t i = sp + 2; i + 1 < l.size() && cur.size() < 1u << 20; i += 3) {
      if (!isxdigit(static_cast<unsigned char>(l[i])) || !isxdigit(static_cast<unsigned char>(l[i + 1]))) break;
      cur.push_back(static_cast<uint8_t>(std::stoi(l.substr(i, 2), nullptr, 16)));
      if (i + 2 < l.size() && l[i + 2] != ' ') break;
    }
  }
  if (!cur.empty()) frames.push_back(cur);
  return frames;
}

}  // namespace

TEST(DefaultScenario, CopiesDecodeAsIpInIpWithTheOriginalInside) {
  ASSERT_EQ(sh("command -v tshark").rc, 0) << "tshark is required (scripts/setup-deps.sh installs it)";
  const fs::path out = fs::temp_directory_path() / ("dfcsim-default-" + std::to_string(getpid()));
  fs::remove_all(out);
  const Cmd run = sh(std::string("'") + DFCSIM_BIN + "' run --out '" + out.string() + "'");
  ASSERT_EQ(run.rc, 0) << run.out;
  EXPECT_NE(run.out.find("criteria installed: 1"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("copies made: 4"), std::string::npos) << run.out;

  // The packets the scenario sends that the criterion selects (Source 192.168.10.4,
  // Dest 10.1.1.1-10.1.1.10, TCP or UDP, Dest-Port 53): written out here from the criterion.
  const auto scen = dfc::tb::default_scenario();
  std::vector<std::vector<uint8_t>> expected_inner;
  for (const auto& p : scen.traffic) {
    const auto& d = p.data;
    if (d.size() < 14 + 24 || d[12] != 0x08 || d[13] != 0x00) continue;  // IPv4 over Ethernet
    const uint8_t* ip = d.data() + 14;
    const uint32_t src = (uint32_t(ip[12]) << 24) | (ip[13] << 16) | (ip[14] << 8) | ip[15];
    const uint32_t dst = (uint32_t(ip[16]) << 24) | (ip[17] << 16) | (ip[18] << 8) | ip[19];
    const unsigned ihl = (ip[0] & 15) * 4;
    const unsigned dport = (ip[ihl + 2] << 8) | ip[ihl + 3];
    if (src == 0xc0a80a04 && dst >= 0x0a010101 && dst <= 0x0a01010a && (ip[9] == 6 || ip[9] == 17) &&
        dport == 53) {
      const size_t len = (ip[2] << 8) | ip[3];
      expected_inner.emplace_back(ip, ip + len);
    }
  }
  ASSERT_EQ(expected_inner.size(), 4u);

  const std::string pcap = (out / "cdest-cd1.pcap").string();
  const Cmd fields = sh("tshark -r '" + pcap +
                        "' -T fields -E separator=/t -e frame.protocols -e ip.src -e ip.dst -e ip.proto -e ip.ttl");
  ASSERT_EQ(fields.rc, 0);
  const auto rows = lines(fields.out);
  ASSERT_EQ(rows.size(), 4u) << fields.out;
  for (const auto& row : rows) {
    std::vector<std::string> f;
    std::istringstream is(row);
    std::string x;
    while (std::getline(is, x, '\t')) f.push_back(x);
    ASSERT_EQ(f.size(), 5u) << row;
    EXPECT_EQ(f[0].rfind("raw:ip:ip:", 0), 0u) << "not decoded as IPv4 in IPv4: " << row;
    EXPECT_EQ(f[1], "192.0.2.2,192.168.10.4") << row;
    EXPECT_EQ(f[2].substr(0, 11), "10.36.70.2,") << row;
    EXPECT_EQ(f[3].substr(0, 2), "4,") << row;
    EXPECT_EQ(f[4], "244,64") << row;
  }

  // Each copy carries one of the matching originals, each original once. Their order in the
  // pcap is the order the copies left: packets of different flows are handled by different
  // hardware threads, so it need not be the arrival order.
  const auto frames = tshark_frames(pcap);
  ASSERT_EQ(frames.size(), 4u);
  std::vector<std::vector<uint8_t>> inners;
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_GT(frames[i].size(), 20u);
    inners.emplace_back(frames[i].begin() + 20, frames[i].end());
  }
  std::sort(inners.begin(), inners.end());
  std::sort(expected_inner.begin(), expected_inner.end());
  EXPECT_EQ(inners, expected_inner) << "the copies do not carry exactly the matching originals";

  std::ifstream rj(out / "report.json");
  ASSERT_TRUE(rj.good());
  const auto report = nlohmann::json::parse(rj);
  EXPECT_EQ(report["packets_in"], 10);
  EXPECT_EQ(report["copies_sent"], 4);
  EXPECT_EQ(report["copies_per_destination"]["cd1"]["copies"], 4);
  EXPECT_EQ(report["dtcp"]["bad_signatures"], 0);
  EXPECT_TRUE(fs::exists(out / "dtcp.log"));
  fs::remove_all(out);
}

TEST(DefaultScenario, ModelAndRtlClassifiersGiveIdenticalCopies) {
  const fs::path base = fs::temp_directory_path() / ("dfcsim-eq-" + std::to_string(getpid()));
  fs::remove_all(base);
  for (const char* c : {"rtl", "model"}) {
    const Cmd r = sh(std::string("'") + DFCSIM_BIN + "' run -q --classifier " + c + " --out '" +
                     (base / c).string() + "'");
    ASSERT_EQ(r.rc, 0) << c;
  }
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string a = slurp(base / "rtl" / "cdest-cd1.pcap"), b = slurp(base / "model" / "cdest-cd1.pcap");
  EXPECT_GT(a.size(), 24u);
  EXPECT_EQ(a, b);
  fs::remove_all(base);
}

TEST(Scenarios, RtlAndModelClassifiersGiveIdenticalCopiesUnderOverlapAndChurn) {
  const fs::path base = fs::temp_directory_path() / ("dfcsim-eq2-" + std::to_string(getpid()));
  fs::remove_all(base);
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  for (const char* scen : {"three-sources", "churn"}) {
    for (const char* c : {"rtl", "model"}) {
      const Cmd r = sh(std::string("'") + DFCSIM_BIN + "' run -q '" + DFC_SOURCE_DIR + "/testbench/scenarios/" + scen +
                       ".json' --classifier " + c + " --out '" + (base / scen / c).string() + "'");
      ASSERT_EQ(r.rc, 0) << scen << " " << c;
    }
    size_t compared = 0;
    for (const auto& e : fs::directory_iterator(base / scen / "rtl")) {
      if (e.path().extension() != ".pcap") continue;
      EXPECT_EQ(slurp(e.path()), slurp(base / scen / "model" / e.path().filename())) << scen << " " << e.path().filename();
      ++compared;
    }
    EXPECT_GE(compared, 1u) << scen;
  }
  fs::remove_all(base);
}

// The scoreboard on its own thread (the default) and inline (DFC_CHECKER_THREAD=0) see the
// same stream, so they must reach the same verdict, count for count, on a scenario with churn.
TEST(Scenarios, ScoreboardThreadGivesTheInlineVerdict) {
  const fs::path base = fs::temp_directory_path() / ("dfcsim-sbthread-" + std::to_string(getpid()));
  fs::remove_all(base);
  nlohmann::json sb[2];
  for (int threaded = 0; threaded < 2; ++threaded) {
    const fs::path out = base / std::to_string(threaded);
    const Cmd r = sh(std::string("DFC_CHECKER_THREAD=") + std::to_string(threaded) + " '" + DFCSIM_BIN + "' run -q '" +
                     DFC_SOURCE_DIR + "/testbench/scenarios/churn.json' --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << r.out;
    std::ifstream f(out / "report.json");
    sb[threaded] = nlohmann::json::parse(f)["scoreboard"];
  }
  EXPECT_GT(sb[0]["matched_copies"].get<uint64_t>(), 100u);
  EXPECT_TRUE(sb[0]["pass"].get<bool>());
  EXPECT_EQ(sb[0], sb[1]);
  fs::remove_all(base);
}

TEST(DfcsimCli, BadArgumentsAndFilesGiveClearErrors) {
  EXPECT_NE(sh(std::string("'") + DFCSIM_BIN + "' run --profile ms9").rc, 0);
  const Cmd missing = sh(std::string("'") + DFCSIM_BIN + "' run --config /nonexistent/dfc.conf 2>&1");
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.out.find("/nonexistent/dfc.conf"), std::string::npos) << missing.out;
  const fs::path bad = fs::temp_directory_path() / ("dfcsim-bad-" + std::to_string(getpid()) + ".conf");
  std::ofstream(bad) << "services {\n  dynamic-flow-capture {\n    g-max-duplicates 99;\n  }\n}\n";
  const Cmd r = sh(std::string("'") + DFCSIM_BIN + "' run --config '" + bad.string() + "' --out /tmp/x 2>&1 1>/dev/null");
  EXPECT_EQ(r.rc, 2);
  // file:line of the offending statement, and what is wrong
  EXPECT_NE(r.out.find(bad.string() + ":3:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("g-max-duplicates"), std::string::npos) << r.out;
  fs::remove(bad);
}

TEST(DfcsimRegress, AFailingScenarioFailsTheRegressionAndPrintsItsRerunCommand) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-regress-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "scenarios" / "configs");
  fs::copy_file(fs::path(DFC_SOURCE_DIR) / "testbench/scenarios/configs/timeouts.conf",
                dir / "scenarios/configs/timeouts.conf");
  std::ofstream(dir / "scenarios/impossible.json")
      << R"({"config": "configs/timeouts.conf", "traffic": "packets=10", "expect": {"report": {"copies_sent": {"min": 1}}}})";
  std::ofstream(dir / "scenarios/fine.json") << R"({"config": "configs/timeouts.conf", "traffic": "packets=10"})";
  std::ofstream(dir / "regress.list") << "scenarios/fine.json smoke 1\nscenarios/impossible.json smoke 4\n";
  const Cmd r = sh(std::string("'") + DFCSIM_BIN + "' regress --label smoke --list '" + (dir / "regress.list").string() +
                   "' --junit '" + (dir / "j.xml").string() + "' --out '" + (dir / "out").string() + "' 2>&1");
  EXPECT_EQ(r.rc, 3) << "a failed run is a failed expectation: " << r.out;
  EXPECT_NE(r.out.find("PASS fine.seed1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL impossible.seed4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run '" + (dir / "scenarios/impossible.json").string() + "' --seed 4"), std::string::npos)
      << "the rerun command must be printed: " << r.out;
  EXPECT_NE(r.out.find("copies_sent = 0, expected >= 1"), std::string::npos) << r.out;
  std::ifstream j(dir / "j.xml");
  const std::string xml((std::istreambuf_iterator<char>(j)), {});
  EXPECT_NE(xml.find("tests=\"2\" failures=\"1\""), std::string::npos) << xml;
  fs::remove_all(dir);
}

// dtcp.log is streamed (written as the simulation passes each entry's time, not sorted at the
// end): under churn it must still be in time order and hold every request, reply and
// notification the report counts.
TEST(Scenarios, DtcpLogIsInTimeOrderAndComplete) {
  const fs::path out = fs::temp_directory_path() / ("dfcsim-log-" + std::to_string(getpid()));
  fs::remove_all(out);
  const Cmd r = sh(std::string("'") + DFCSIM_BIN + "' run -q '" + DFC_SOURCE_DIR +
                   "/testbench/scenarios/churn.json' --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0);
  std::ifstream lf(out / "dtcp.log");
  std::string line;
  double last = -1;
  uint64_t requests = 0, replies = 0, notifications = 0;
  while (std::getline(lf, line)) {
    if (line.rfind("# ", 0) != 0) continue;
    const double t = std::stod(line.substr(2));
    EXPECT_GE(t, last) << line;
    last = t;
    const auto ends = [&](const std::string& s) {
      return line.size() >= s.size() && line.compare(line.size() - s.size(), s.size(), s) == 0;
    };
    requests += ends(" request");
    replies += ends(" reply");
    notifications += ends(" notification");
  }
  std::ifstream rj(out / "report.json");
  const auto report = nlohmann::json::parse(rj);
  EXPECT_EQ(requests, report["control_requests"].get<uint64_t>());
  EXPECT_EQ(replies, report["dtcp"]["replies"].get<uint64_t>());
  EXPECT_EQ(notifications, report["dtcp"]["notifications"].get<uint64_t>());
  EXPECT_GT(requests, 300u);
  fs::remove_all(out);
}

// The scoreboard's verdict decides a run's exit code with or without a scenario file
// (docs/user-guide.md "Exit codes"): absent, a failed scoreboard fails; `true` also requires one;
// `false` waives it.
TEST(Expectations, AFailedScoreboardFailsTheRunUnlessWaived) {
  using nlohmann::json;
  const json failed = {{"scoreboard", {{"pass", false}}}};
  const json passed = {{"scoreboard", {{"pass", true}}}};
  const json none = json::object();
  EXPECT_EQ(dfc::tb::check_expectations(json::object(), failed).size(), 1u);
  EXPECT_TRUE(dfc::tb::check_expectations(json::object(), passed).empty());
  EXPECT_TRUE(dfc::tb::check_expectations(json::object(), none).empty());
  EXPECT_EQ(dfc::tb::check_expectations({{"scoreboard", true}}, failed).size(), 1u);
  EXPECT_EQ(dfc::tb::check_expectations({{"scoreboard", true}}, none).size(), 1u);
  EXPECT_TRUE(dfc::tb::check_expectations({{"scoreboard", true}}, passed).empty());
  EXPECT_TRUE(dfc::tb::check_expectations({{"scoreboard", false}}, failed).empty());
}
