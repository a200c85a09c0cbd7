// Bad input found before a run and said clearly: the replay options' values, scenario files
// (JSON syntax with line and column, wrong fields with their line), DTCP scripts (the line a
// request starts on) and a pcap cut short (the record, before any output is written). Each
// failure exits 2 with one line a user can act on.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "cli_test_util.hpp"
#include "host/harness.hpp"
#include "stimulus/pcap_io.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using dfc::test::sh;

namespace {

const std::string kBin = DFCSIM_BIN;
const std::string kSrc = DFC_SOURCE_DIR;
const std::string kConfig = kSrc + "/testbench/scenarios/configs/one-source.conf";

const fs::path kScratch = fs::temp_directory_path() / ("dfc-input-errors-" + std::to_string(::getpid()));

// Removes the scratch directory when the tests end.
struct ScratchCleanup : ::testing::Environment {
  void TearDown() override { fs::remove_all(kScratch); }
};
[[maybe_unused]] ::testing::Environment* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

fs::path scratch(const std::string& name) {
  const fs::path d = kScratch / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// The message load_scenario throws for `text` written to DIR/name.
std::string scenario_error(const fs::path& dir, const std::string& name, const std::string& text) {
  write(dir / name, text);
  try {
    dfc::tb::load_scenario((dir / name).string());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

// A good pcap of `n` Ethernet frames of `len` bytes, written by the project's writer.
void write_pcap(const fs::path& p, int n, size_t len) {
  dfc::tb::PcapWriter w(p.string(), dfc::LinkType::Ethernet);
  std::vector<uint8_t> frame(len, 0);
  frame[12] = 0x08;  // EtherType IPv4
  for (int i = 0; i < n; ++i) frame[20] = static_cast<uint8_t>(i), w.write(frame.data(), frame.size(), 1000ull * i);
}

// Size of a nanosecond pcap with `records` whole records of `len` bytes.
uintmax_t pcap_size(int records, size_t len) { return 24 + uintmax_t(records) * (16 + len); }

TEST(InputErrors, ReplayOptionsSayWhatTheValueShouldBe) {
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {"--pps -5", "--pps: -5 is not a rate; give a positive number of packets per second (e.g. --pps 100000)"},
      {"--pps abc", "--pps: abc is not a rate"},
      {"--pps inf", "--pps: inf is not a rate"},
      {"--mbps 0", "--mbps: 0 is not a rate; give a positive number of megabits per second (e.g. --mbps 1000)"},
      {"--multiplier -1", "--multiplier: -1 is not a speed factor; give a positive factor up to 1e9"},
      {"--multiplier 1e10", "--multiplier: 1e10 is not a speed factor"},
      {"--loop 0", "--loop: 0 is not a number of passes; give a whole number from 1 to 4294967296 (e.g. --loop 3)"},
      {"--loop 2.5", "--loop: 2.5 is not a number of passes"},
      {"--packets 0", "--packets: 0 is not a packet count; give a whole number from 1 to 1099511627776"},
      {"--packets -3", "--packets: -3 is not a packet count"},
      {"--schedule-seed -1", "--schedule-seed: -1 is not a seed: give a whole number of up to 19 digits"},
      {"--schedule-seed 1.5", "--schedule-seed: 1.5 is not a seed"},
  };
  const std::string pcap = kSrc + "/firmware/fuzz/corpus/pcap/two_eth_records.pcap";
  const fs::path out = scratch("replay-options");
  for (const auto& c : cases) {
    const auto r = sh("'" + kBin + "' run --config '" + kConfig + "' --pcap-in '" + pcap + "' " + c.args + " --out '" +
                      (out / "o").string() + "' 2>&1");
    EXPECT_EQ(r.rc, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_FALSE(std::regex_search(r.out, std::regex("[0-9]{20}"))) << "a range over the whole type: " << r.out;
  }
  // serve shares the replay options.
  const auto s = sh("'" + kBin + "' serve --config '" + kConfig + "' --pcap-in '" + pcap + "' --pps -5 2>&1");
  EXPECT_EQ(s.rc, 2) << s.out;
  EXPECT_NE(s.out.find("--pps: -5 is not a rate"), std::string::npos) << s.out;
  // A whole number written as 1e1 is a count (as in --traffic packets=1e5).
  const auto ok = sh("'" + kBin + "' run --config '" + kConfig + "' --pcap-in '" + pcap + "' --packets 1e1 -q --out '" +
                     (out / "ok").string() + "' 2>&1");
  EXPECT_EQ(ok.rc, 0) << ok.out;
}

TEST(InputErrors, MalformedScenarioJsonGivesLineAndColumn) {
  const fs::path d = scratch("json");
  const std::string e = scenario_error(d, "s.json", "{\n  \"config\": \"c.conf\",\n  \"drain_ms\": 1,,\n}\n");
  EXPECT_EQ(e.rfind((d / "s.json").string() + ":3:17: not valid JSON: ", 0), 0u) << e;
  EXPECT_EQ(e.find("[json.exception"), std::string::npos) << e;
  const std::string end = scenario_error(d, "t.json", "{\n \"config\": \"c.conf\"\n");
  EXPECT_EQ(end.rfind((d / "t.json").string() + ":3:1: ", 0), 0u) << end;
}

TEST(InputErrors, WrongScenarioFieldIsNamedWithItsLine) {
  const fs::path d = scratch("fields");
  write(d / "c.conf", dfc::common::read_file(kConfig, "config"));
  const std::string head = "{\n  \"config\": \"c.conf\",\n";
  struct Case {
    std::string body, expect;
  };
  const std::vector<Case> cases = {
      {"  \"churn\": {\"csource\": \"md1\",\n    \"cdest\": \"cd1\", \"count\": \"many\"}\n}",
       ":4: churn.count: must be a non-negative integer"},
      {"  \"classifier\": \"fast\"\n}", ":3: classifier: 'fast' is not a classifier"},
      {"  \"timeline\": [\n    {\"at_ms\": 1, \"request\": \"x\"},\n    {\"at_ms\": -1}\n  ]\n}",
       ":5: timeline[1]: needs \"at_ms\""},
      {"  \"expect\": {\"report\": {\n    \"copies_sent\": {\"min\": \"ten\"}}}\n}",
       ":4: expect.report.copies_sent.min: must be a number"},
      {"  \"expect\": {\"scoreboard\": \"yes\"}\n}", ":3: expect.scoreboard: must be true or false"},
      {"  \"pcap_timing\": 3\n}", ":3: pcap_timing: must be a string"},
      {"  \"drain_ms\": 1,\n  \"colour\": 3\n}", ":4: colour: unknown key"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string name = "s" + std::to_string(i++) + ".json";
    const std::string e = scenario_error(d, name, head + c.body);
    EXPECT_EQ(e.rfind((d / name).string() + c.expect, 0), 0u) << c.body << "\n" << e;
  }
}

TEST(InputErrors, EveryShippedScenarioStillLoads) {
  for (const auto& f : fs::directory_iterator(kSrc + "/testbench/scenarios")) {
    if (f.path().extension() == ".json") {
      EXPECT_NO_THROW(dfc::tb::load_scenario(f.path().string())) << f.path();
    }
  }
}

TEST(InputErrors, DtcpScriptRequestsKnowTheirLine) {
  std::vector<int> lines;
  const auto reqs = dfc::tb::split_dtcp_script("NOOP DTCP/0.7\r\nA: 1\r\n\r\n\r\n\nLIST DTCP/0.7\nB: 2\n", &lines);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(lines, (std::vector<int>{1, 6}));

  const fs::path d = scratch("dtcp");
  write(d / "bad.dtcp",
        "ADD DTCP/0.7\nCsource-ID: md1\nCdest-ID: cd1\nDest-Address: 10.1.1.1\n\n\n"
        "ADD DTCP/0.7\nCsource-ID: nobody\nCdest-ID: cd1\n\n");
  const auto r = sh("'" + kBin + "' run --config '" + kConfig + "' --dtcp '" + (d / "bad.dtcp").string() +
                    "' --traffic packets=10 -q --out '" + (d / "o").string() + "' 2>&1");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find((d / "bad.dtcp").string() + ":7: request 2: Csource-ID 'nobody'"), std::string::npos) << r.out;
}

TEST(InputErrors, TruncatedPcapNamesTheRecord) {
  const fs::path d = scratch("pcap");
  write_pcap(d / "good.pcap", 5, 100);
  ASSERT_EQ(fs::file_size(d / "good.pcap"), pcap_size(5, 100));
  EXPECT_EQ(dfc::tb::check_pcap_file((d / "good.pcap").string()), 5u);

  // Cut in the middle of record 4's body, and in the middle of record 5's header.
  const fs::path body = d / "body.pcap", header = d / "header.pcap";
  fs::copy_file(d / "good.pcap", body);
  fs::resize_file(body, pcap_size(3, 100) + 16 + 40);
  fs::copy_file(d / "good.pcap", header);
  fs::resize_file(header, pcap_size(4, 100) + 7);
  for (const auto& [file, rec] : {std::pair{body, 4}, std::pair{header, 5}}) {
    try {
      dfc::tb::check_pcap_file(file.string());
      ADD_FAILURE() << file << " passed the check";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(file.string() + ": record " + std::to_string(rec) + ": ", 0), 0u)
          << e.what();
    }
  }
  // The records before the cut are enough when only those are replayed (--packets).
  EXPECT_EQ(dfc::tb::check_pcap_file(body.string(), 3), 3u);

  // dfcsim: exit 2 with one line, before the run and before any output is written.
  const fs::path out = d / "out";
  const auto r = sh("'" + kBin + "' run --config '" + kConfig + "' --pcap-in '" + body.string() + "' --out '" +
                    out.string() + "' 2>&1");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_EQ(r.out.rfind("dfcsim: error: " + body.string() + ": record 4: ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.find("E549"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out)) << "outputs written before the pcap was checked";
}

}  // namespace
