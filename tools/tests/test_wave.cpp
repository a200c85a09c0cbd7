// `dfcsim run --wave vcd|fst [--wave-window FROM_US:TO_US]` and `classbench --wave`:
// the files exist, hold the named card signals, their timestamps are monotonic and inside the
// run's SystemC time span (and the window), and a core's busy edges line up with the DTCP
// request and reply times in dtcp.pcap (the same time base).
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <gtkwave/fstapi.h>

#include "cli_test_util.hpp"
#include "stimulus/pcap_io.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

namespace {

const std::string kDfcsim = std::string("'") + DFCSIM_BIN + "'";
const std::string kSrc = DFC_SOURCE_DIR;
const std::string kConf = kSrc + "/testbench/scenarios/configs/one-source.conf";
const std::string kDtcp = kSrc + "/testbench/scenarios/dtcp/one-criterion.dtcp";  // dst 10.1.1.0/24, UDP
const std::string kTraffic = "rate=1g,packets=60,flows=8,match=0.5,match-dst=10.1.1.1,match-proto=17";

struct Dir {
  fs::path p = fs::temp_directory_path() / ("dfcsim-wave-" + std::to_string(getpid()));
  Dir() { fs::remove_all(p), fs::create_directories(p); }
  ~Dir() { fs::remove_all(p); }
  std::string operator/(const std::string& s) const { return (p / s).string(); }
};

// A VCD as written by dfcsim: variable names by scope, and the value changes of each signal.
struct Vcd {
  std::map<std::string, std::string> id_of;                                  // "card.core0.busy" -> id
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> changes;  // id -> (t, value)
  std::vector<uint64_t> times;
  std::string timescale;
};

Vcd parse_vcd(const std::string& path) {
  Vcd v;
  std::istringstream in(slurp(path));
  std::vector<std::string> scope;
  std::string tok;
  uint64_t t = 0;
  while (in >> tok) {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name >> tok;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      in >> tok;
      if (!scope.empty()) scope.pop_back();
    } else if (tok == "$version" || tok == "$date" || tok == "$comment") {
      while (in >> tok && tok != "$end") {}
    } else if (tok == "$timescale") {
      in >> v.timescale >> tok;
    } else if (tok == "$var") {
      std::string type, width, id, name;
      in >> type >> width >> id >> name;
      while (in >> tok && tok != "$end") {}
      std::string full;
      for (const auto& s : scope) full += s + ".";
      v.id_of[full + name] = id;
    } else if (tok[0] == '#') {
      t = std::stoull(tok.substr(1));
      v.times.push_back(t);
    } else if (tok[0] == 'b') {
      std::string id;
      in >> id;
      // Only the low 64 bits matter here (the RTL's 320-bit key does not fit an integer).
      v.changes[id].emplace_back(t, std::stoull(tok.substr(tok.size() > 65 ? tok.size() - 64 : 1), nullptr, 2));
    } else if ((tok[0] == '0' || tok[0] == '1') && tok.size() > 1) {
      v.changes[tok.substr(1)].emplace_back(t, tok[0] - '0');
    }
  }
  return v;
}

json run(const Dir& d, const std::string& extra, int* rc = nullptr) {
  fs::remove_all(d / "out");
  const auto c = sh(kDfcsim + " run -q --config '" + kConf + "' --dtcp '" + kDtcp + "' --traffic '" + kTraffic +
                    "' --out '" + (d / "out") + "' " + extra);
  if (rc) *rc = c.rc;
  EXPECT_EQ(c.rc, 0) << c.out;
  if (c.rc != 0) return json();
  return json::parse(slurp(d / "out/report.json"));
}

uint64_t end_ps(const json& report) { return static_cast<uint64_t>(report["simulated_time_s"].get<double>() * 1e12 + 0.5); }

void expect_monotonic_within(const Vcd& v, uint64_t lo, uint64_t hi, const std::string& what) {
  ASSERT_FALSE(v.times.empty()) << what;
  for (size_t i = 1; i < v.times.size(); ++i) ASSERT_LT(v.times[i - 1], v.times[i]) << what << " at " << i;
  EXPECT_GE(v.times.front(), lo) << what;
  EXPECT_LE(v.times.back(), hi) << what;
}

}  // namespace

TEST(Wave, VcdHoldsTheCardSignalsOnSystemCTime) {
  Dir d;
  const json r = run(d, "--wave vcd");
  ASSERT_TRUE(r.contains("wave")) << r.dump(1);
  const uint64_t end = end_ps(r);
  const Vcd card = parse_vcd(d / "out/card.vcd");
  EXPECT_EQ(card.timescale, "1ps");
  for (const char* s : {"card.ingress.ring_depth", "card.ingress.ctl_ring_depth", "card.egress.queue_depth",
                        "card.egress.busy", "card.core0.busy", "card.core1.busy", "card.classifier.busy",
                        "card.classifier.lookups_in_flight", "card.interconnect.busy"})
    EXPECT_TRUE(card.id_of.count(s)) << s << " missing from card.vcd";
  expect_monotonic_within(card, 0, end, "card.vcd");
  const Vcd cls = parse_vcd(d / "out/classifier.vcd");
  EXPECT_EQ(cls.timescale, "1ps");
  EXPECT_GT(cls.id_of.size(), 10u);
  expect_monotonic_within(cls, 0, end, "classifier.vcd");
  // The first packet of each of the 8 flows is looked up in the classifier (the flow table
  // answers the rest): its busy signal rose and fell at least that often.
  ASSERT_TRUE(card.changes.count(card.id_of.at("card.classifier.busy")));
  EXPECT_GE(card.changes.at(card.id_of.at("card.classifier.busy")).size(), 2u * 8);

  // The DTCP request reaches core 0 (the control core, idle before it) at its arrival time in
  // dtcp.pcap, and the reply leaves from that handler: core0.busy rises at the request's time
  // (pcap timestamps have 1 ns resolution, hence the bound) and is high until the reply's time.
  dfc::tb::PcapReader pcap(d / "out/dtcp.pcap");
  dfc::Packet p;
  uint64_t t_req = 0, t_rep = 0;
  ASSERT_TRUE(pcap.next(p, t_req));
  ASSERT_TRUE(pcap.next(p, t_rep));
  const auto& busy = card.changes.at(card.id_of.at("card.core0.busy"));
  uint64_t rise = UINT64_MAX, level_at_reply = 0;
  for (const auto& [t, v] : busy) {
    if (v == 1 && rise == UINT64_MAX && t + 1000 >= t_req) rise = t;
    if (t < t_rep) level_at_reply = v;
  }
  EXPECT_LE(rise > t_req ? rise - t_req : t_req - rise, 1000u) << "request at " << t_req << " ps, core0 busy at " << rise;
  EXPECT_EQ(level_at_reply, 1u) << "core0 idle when the reply left at " << t_rep << " ps";
}

TEST(Wave, WindowLimitsBothFiles) {
  Dir d;
  const json full = run(d, "--classifier lockstep --wave vcd");
  const uint64_t end = end_ps(full);
  ASSERT_GT(end, 400'000'000u) << "the run is expected to last well past 400 us";
  // 120..350 us: within the DTCP request's handling (its reply leaves at ~133 us), then the
  // traffic, whose flows' first packets are looked up once the request released the criteria
  // lock.
  const json r = run(d, "--classifier lockstep --wave vcd --wave-window 120:350");
  EXPECT_EQ(r["wave"]["from_ps"], 120'000'000u);
  const Vcd card = parse_vcd(d / "out/card.vcd");
  expect_monotonic_within(card, 120'000'000, 350'000'000, "card.vcd");
  EXPECT_EQ(card.times.front(), 120'000'000u) << "the window's start values";
  const Vcd cls = parse_vcd(d / "out/classifier.vcd");
  expect_monotonic_within(cls, 120'000'000, 350'000'000, "classifier.vcd");
}

TEST(Wave, FstFilesOpenWithTheFstReader) {
  Dir d;
  const json r = run(d, "--wave fst");
  const uint64_t end = end_ps(r);
  for (const char* f : {"out/card.fst", "out/classifier.fst"}) {
    void* rd = fstReaderOpen((d / f).c_str());
    ASSERT_NE(rd, nullptr) << f;
    EXPECT_EQ(fstReaderGetTimescale(rd), -12) << f;
    EXPECT_LE(fstReaderGetEndTime(rd), end) << f;
    EXPECT_LE(fstReaderGetStartTime(rd), fstReaderGetEndTime(rd)) << f;
    EXPECT_GE(fstReaderGetVarCount(rd), 9u) << f;
    fstReaderClose(rd);
  }
}

TEST(Wave, BadOptionsExitTwo) {
  Dir d;
  const std::string base = kDfcsim + " run -q --out '" + (d / "o") + "' ";
  for (const char* bad : {"--wave vcd --wave-window 5:1", "--wave vcd --wave-window abc",
                          "--wave vcd --wave-window 1:2:3", "--wave vcd --wave-window -1:5", "--wave lxt",
                          "--wave-window 1:2", "--trace vcd"}) {
    const auto c = sh(base + bad);
    EXPECT_EQ(c.rc, 2) << bad << "\n" << c.out;
  }
  const auto msg = sh(base + "--wave vcd --wave-window 5:1");
  EXPECT_NE(msg.out.find("FROM must be before TO"), std::string::npos) << msg.out;
  const auto old = sh(base + "--trace vcd");
  EXPECT_NE(old.out.find("--wave vcd|fst"), std::string::npos) << "one name per meaning\n" << old.out;
}

TEST(Wave, ClassbenchWritesTheRtlWaveformInItsOutputDirectory) {
  Dir d;
  std::ofstream(d / "ok.rules") << "@10.0.0.0/8 0.0.0.0/0 0 : 65535 53 : 53 0x11/0xFF 0x0000/0x0000\n";
  const auto ok = sh(kDfcsim + " classbench -q --headers 20 --rules '" + (d / "ok.rules") + "' --wave vcd --out '" +
                     (d / "cb") + "'");
  EXPECT_EQ(ok.rc, 0) << ok.out;
  const Vcd v = parse_vcd(d / "cb/classifier.vcd");
  expect_monotonic_within(v, 0, UINT64_MAX, "classbench classifier.vcd");
  EXPECT_EQ(sh(kDfcsim + " classbench --rules '" + (d / "ok.rules") + "' --wave lxt").rc, 2);
  EXPECT_EQ(sh(kDfcsim + " classbench --rules '" + (d / "ok.rules") + "' --classifier model --wave vcd --out '" +
               (d / "cb") + "'").rc,
            2)
      << "the model has no RTL waveform";
}
