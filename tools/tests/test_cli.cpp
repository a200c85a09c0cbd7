// Command-line conventions: --version, the exit-code table of every command,
// tcpreplay-style input (SLL/SLL2, --pcap-filter, --pps, --mbps, --multiplier, --loop),
// dtcp.pcap decoded by tshark with the dissector, `regress --jobs`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.hpp"
#include "report/dtcp_pcap.hpp"
#include "stimulus/pcap_io.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

namespace {

const std::string kDfcsim = std::string("'") + DFCSIM_BIN + "'";
const std::string kDtcpctl = std::string("'") + DTCPCTL_BIN + "'";
const std::string kSrc = DFC_SOURCE_DIR;
const std::string kConf = kSrc + "/testbench/scenarios/configs/one-source.conf";
const std::string kDtcp = kSrc + "/testbench/scenarios/dtcp/one-criterion.dtcp";  // dst 10.1.1.0/24, UDP

class TmpDir {
 public:
  explicit TmpDir(const std::string& tag)
      : p_(fs::temp_directory_path() / ("dfcsim-cli-" + tag + "-" + std::to_string(getpid()))) {
    fs::remove_all(p_);
    fs::create_directories(p_);
  }
  ~TmpDir() { fs::remove_all(p_); }
  std::string operator/(const std::string& s) const { return (p_ / s).string(); }

 private:
  fs::path p_;
};

void put32(std::ofstream& f, uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); }
void put16(std::ofstream& f, uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); }

// 20 UDP packets 1 ms apart (even ones to 10.1.1.<i>, matching the criterion; odd ones to
// 172.16.0.1), then one ARP frame, in a Linux cooked capture (SLL: 113, SLL2: 276) written by
// hand, header by header, as `tcpdump -i any` would.
void write_cooked(const std::string& path, int dlt) {
  std::ofstream f(path, std::ios::binary);
  put32(f, 0xa1b2c3d4), put16(f, 2), put16(f, 4), put32(f, 0), put32(f, 0), put32(f, 65535), put32(f, uint32_t(dlt));
  auto record = [&](uint32_t usec, uint16_t proto, const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> h;
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    if (dlt == 113) {
      h = {0, 0, 0, 1, 0, 6};  // incoming, ARPHRD_ETHER, address length 6
      h.insert(h.end(), mac, mac + 6);
      h.insert(h.end(), {0, 0, uint8_t(proto >> 8), uint8_t(proto)});
    } else {
      h = {uint8_t(proto >> 8), uint8_t(proto), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6};  // proto, ifindex 2, ether, in, 6
      h.insert(h.end(), mac, mac + 6);
      h.insert(h.end(), {0, 0});
    }
    h.insert(h.end(), payload.begin(), payload.end());
    put32(f, 1700000000), put32(f, usec), put32(f, uint32_t(h.size())), put32(f, uint32_t(h.size()));
    f.write(reinterpret_cast<const char*>(h.data()), static_cast<std::streamsize>(h.size()));
  };
  for (int i = 0; i < 20; ++i) {
    const std::string dst = i % 2 == 0 ? "10.1.1." + std::to_string(i + 2) : "172.16.0.1";
    record(uint32_t(i * 1000), 0x0800, dfc::tb::DtcpPcap::udp_packet("192.168.1.1", 4000, dst, 53, std::string(40, 'x')));
  }
  record(20000, 0x0806, std::vector<uint8_t>(28, 0));
}

struct RunOut {
  int rc;
  std::string out;
  json report;
  std::vector<uint64_t> copy_ps;
};

RunOut run_pcap(const TmpDir& d, const std::string& pcap, const std::string& extra) {
  RunOut r;
  const std::string out = d / "out";
  fs::remove_all(out);
  const auto c = sh(kDfcsim + " run -q --config '" + kConf + "' --dtcp '" + kDtcp + "' --pcap-in '" + pcap +
                    "' --out '" + out + "' " + extra);
  r.rc = c.rc;
  r.out = c.out;
  if (c.rc != 0) return r;
  r.report = json::parse(slurp(out + "/report.json"));
  dfc::tb::PcapReader rd(out + "/cdest-cd1.pcap");
  dfc::Packet p;
  uint64_t t;
  while (rd.next(p, t)) r.copy_ps.push_back(t);
  return r;
}

double span_ms(const RunOut& r) { return r.copy_ps.empty() ? 0 : double(r.copy_ps.back() - r.copy_ps.front()) / 1e9; }

}  // namespace

TEST(Cli, VersionOnBothPrograms) {
  for (const std::string& p : {kDfcsim, kDtcpctl}) {
    const auto v = sh(p + " --version");
    EXPECT_EQ(v.rc, 0) << v.out;
    EXPECT_NE(v.out.find(DFC_PROJECT_VERSION), std::string::npos) << v.out;
    if (fs::exists(kSrc + "/.git")) {
      EXPECT_NE(v.out.find("(git "), std::string::npos) << v.out;
    }
  }
}

TEST(Cli, ExitCodesOfRun) {
  TmpDir d("run");
  EXPECT_EQ(sh(kDfcsim).rc, 2) << "no subcommand";
  EXPECT_EQ(sh(kDfcsim + " run --no-such-option").rc, 2);
  EXPECT_EQ(sh(kDfcsim + " run --classifier nosuch").rc, 2) << "CLI11's 105 is mapped to 2";
  EXPECT_EQ(sh(kDfcsim + " run --profile ms9").rc, 2) << "neither a built-in profile nor a file";
  EXPECT_EQ(sh(kDfcsim + " run --pcap-filter 'udp'").rc, 2) << "--pcap-filter needs --pcap-in";
  std::ofstream(d / "bad.conf") << "services { dynamic-flow-capture { nonsense; } }\n";
  EXPECT_EQ(sh(kDfcsim + " run -q --config '" + (d / "bad.conf") + "' --out '" + (d / "o") + "'").rc, 2);
  std::ofstream(d / "junk.pcap") << "not a pcap";
  EXPECT_EQ(sh(kDfcsim + " run -q --config '" + kConf + "' --pcap-in '" + (d / "junk.pcap") + "' --out '" +
               (d / "o") + "'").rc,
            2);
  write_cooked(d / "sll.pcap", 113);
  const auto bpf = sh(kDfcsim + " run -q --config '" + kConf + "' --pcap-in '" + (d / "sll.pcap") +
                      "' --pcap-filter 'udp and and' --out '" + (d / "o") + "'");
  EXPECT_EQ(bpf.rc, 2) << bpf.out;
  EXPECT_NE(bpf.out.find("--pcap-filter"), std::string::npos) << bpf.out;
  // An output directory that cannot be created is a failure at run time.
  std::ofstream(d / "file") << "x";
  const auto io = sh(kDfcsim + " run -q --out '" + (d / "file") + "/sub'");
  EXPECT_EQ(io.rc, 1) << io.out;
  std::ofstream(d / "impossible.json") << R"({"config": ")" << kConf
                                       << R"(", "traffic": "packets=10", "expect": {"report": {"copies_sent": {"min": 1}}}})";
  EXPECT_EQ(sh(kDfcsim + " run -q '" + (d / "impossible.json") + "' --out '" + (d / "o") + "'").rc, 3);
  EXPECT_EQ(sh(kDfcsim + " run --help").rc, 0);
}

TEST(Cli, ExitCodesOfRegressAndItsParallelRun) {
  TmpDir d("regress");
  fs::create_directories(d / "s");
  std::ofstream(d / "s/fine.json") << R"({"config": ")" << kConf << R"(", "dtcp": ")" << kDtcp
                                   << R"(", "traffic": "packets=200,match=0.5,match-dst=10.1.1.1,match-proto=17"})";
  std::ofstream(d / "list") << "s/fine.json smoke 1,2,3\n";
  const std::string base = kDfcsim + " regress --list '" + (d / "list") + "' --out '" + (d / "out") + "'";
  const auto ok = sh(base + " --label smoke --jobs 2 --junit '" + (d / "j.xml") + "'");
  EXPECT_EQ(ok.rc, 0) << ok.out;
  EXPECT_NE(slurp(d / "j.xml").find("tests=\"3\" failures=\"0\""), std::string::npos) << slurp(d / "j.xml");
  const json cov = json::parse(slurp(d / "out/coverage.json"));
  EXPECT_EQ(cov["runs_merged"], 3);
  // Merged coverage sums the runs' counters: three runs, one ADD each.
  EXPECT_EQ(cov["coverage"]["dtcp"]["methods"]["ADD"], 3) << cov.dump(1);
  EXPECT_EQ(sh(base + " --label nothing").rc, 2) << "no entry with that label";
  EXPECT_EQ(sh(kDfcsim + " regress --list '" + (d / "missing") + "'").rc, 2);
  EXPECT_EQ(sh(base + " --label smoke --jobs 0").rc, 2);
  // sbatch that cannot be started is a failure at run time.
  const auto nos = sh("PATH=/nonexistent " + base + " --label smoke --slurm --slurm-timeout 5");
  EXPECT_EQ(nos.rc, 1) << nos.out;
  EXPECT_NE(nos.out.find("sbatch"), std::string::npos) << nos.out;
}

TEST(Cli, ExitCodesOfClassbench) {
  TmpDir d("cb");
  EXPECT_EQ(sh(kDfcsim + " classbench").rc, 2) << "--rules is required";
  std::ofstream(d / "bad.rules") << "@1.2.3.4/33 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF\n";
  EXPECT_EQ(sh(kDfcsim + " classbench --rules '" + (d / "bad.rules") + "'").rc, 2);
  std::ofstream(d / "ok.rules") << "@10.0.0.0/8 0.0.0.0/0 0 : 65535 53 : 53 0x11/0xFF 0x0000/0x0000\n";
  const auto ok = sh(kDfcsim + " classbench -q --verify --headers 200 --rules '" + (d / "ok.rules") + "'");
  EXPECT_EQ(ok.rc, 0) << ok.out;
  EXPECT_NE(ok.out.find("0 mismatches"), std::string::npos) << ok.out;
}

TEST(Cli, ExitCodesOfServe) {
  TmpDir d("serve");
  EXPECT_EQ(sh(kDfcsim + " serve").rc, 2) << "--config is required";
  std::ofstream(d / "bad.conf") << "services {\n";
  EXPECT_EQ(sh(kDfcsim + " serve -q --config '" + (d / "bad.conf") + "' --out '" + (d / "o") + "'").rc, 2);
  // A service port that is taken: a failure at run time.
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  std::string conf = slurp(kConf);
  conf.replace(conf.find("service-port 2400"), 17, "service-port " + std::to_string(ntohs(a.sin_port)));
  std::ofstream(d / "busy.conf") << conf;
  const auto busy = sh("timeout 20 " + kDfcsim + " serve -q --duration 1 --config '" + (d / "busy.conf") +
                       "' --out '" + (d / "o") + "'");
  close(s);
  EXPECT_EQ(busy.rc, 1) << busy.out;
  const auto ok = sh("timeout 20 " + kDfcsim + " serve -q --duration 0.3 --config '" + (d / "busy.conf") +
                     "' --out '" + (d / "o") + "'");
  EXPECT_EQ(ok.rc, 0) << ok.out;
}

TEST(Cli, ExitCodesOfDtcpctl) {
  TmpDir d("ctl");
  EXPECT_EQ(sh(kDtcpctl).rc, 2) << "no subcommand";
  EXPECT_EQ(sh(kDtcpctl + " --no-such noop").rc, 2);
  EXPECT_EQ(sh("env -u DTCP_KEY " + kDtcpctl + " --server 127.0.0.1:9 --csource x noop").rc, 2) << "no key";
  EXPECT_EQ(sh(kDtcpctl + " --server no-such-host.invalid:2400 --csource x noop").rc, 2);
  std::ofstream(d / "bad.dtcp") << "ADD DTCP/0.7\nSeq: 5\n";
  EXPECT_EQ(sh("DTCP_KEY=k " + kDtcpctl + " --server 127.0.0.1:9 --csource x send '" + (d / "bad.dtcp") + "'").rc, 2);
  // Nothing answers on the discard port: timeout, a failure at run time.
  EXPECT_EQ(sh("DTCP_KEY=k " + kDtcpctl + " --server localhost:9 --csource x --seq-file '" + (d / "seq") +
               "' --timeout 0.1 --retries 0 noop")
                .rc,
            1);
}

TEST(Cli, DtcpctlSendsAScriptUsingTheEnvironmentAndAHostName) {
  TmpDir d("send");
  // A free UDP port for the service port.
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  close(s);
  std::string conf = slurp(kConf);
  conf.replace(conf.find("service-port 2400"), 17, "service-port " + port);
  std::ofstream(d / "c.conf") << conf;
  std::ofstream(d / "key") << "calibration-key\n";
  std::ofstream(d / "s.dtcp") << "# three requests\nADD DTCP/0.7\nCdest-ID: cd1\nDest-Address: 10.1.1.1\nTimeout-Idle: 60\n\n"
                                 "LIST DTCP/0.7\nFlags: Both\n\nDELETE DTCP/0.7\nCriteria-ID: 99\n";
  const std::string serve = kDfcsim + " serve -q --duration 6 --config '" + (d / "c.conf") + "' --out '" +
                            (d / "o") + "' > '" + (d / "serve.log") + "' 2>&1 &";
  ASSERT_EQ(sh(serve).rc, 0);
  for (int i = 0; i < 100 && slurp(d / "serve.log").find("ready") == std::string::npos; ++i) usleep(50000);
  ASSERT_NE(slurp(d / "serve.log").find("ready"), std::string::npos) << slurp(d / "serve.log");
  const auto r = sh("env -u DTCP_KEY DTCPCTL_SERVER=localhost:" + port + " DTCPCTL_CSOURCE=md1 DTCPCTL_KEY_FILE='" +
                    (d / "key") + "' " + kDtcpctl + " --seq-file '" + (d / "seq") + "' send '" + (d / "s.dtcp") + "'");
  // The third request names an unknown Criteria-ID: 431, exit 12; the first two are answered 200.
  EXPECT_EQ(r.rc, 12) << r.out;
  EXPECT_NE(r.out.find("# 1 ADD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# 2 LIST"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# 3 DELETE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Criteria-ID: 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 criterion"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("431"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(d / "seq"), "3\n") << "each request numbered from the Seq file";
  for (int i = 0; i < 200 && !fs::exists(d / "o/report.json"); ++i) usleep(50000);
}

TEST(Cli, LinuxCookedCapturesReplay) {
  TmpDir d("sll");
  for (int dlt : {113, 276}) {
    const std::string p = d / ("c" + std::to_string(dlt) + ".pcap");
    write_cooked(p, dlt);
    const RunOut r = run_pcap(d, p, "");
    ASSERT_EQ(r.rc, 0) << r.out;
    EXPECT_EQ(r.report["packets_in"], 21) << dlt;
    EXPECT_EQ(r.report["copies_sent"], 10) << dlt;
    EXPECT_EQ(r.copy_ps.size(), 10u) << dlt;
    EXPECT_EQ(r.report["drops"]["not_intercepted_non_ip"], 1) << "the ARP frame, dlt " << dlt;
    EXPECT_NEAR(span_ms(r), 18.0, 0.5) << "original timing: copies of packets 0..18, 1 ms apart";
    EXPECT_TRUE(r.report["scoreboard"]["pass"].get<bool>()) << r.report["scoreboard"].dump();
  }
}

// The same 20 UDP packets in a raw-IP capture (no link header): LINKTYPE_RAW (101, which libpcap
// hands over as DLT_RAW) and LINKTYPE_IPV4 (228), as `tcpdump -i tun0` or an IP-level tap writes.
void write_raw_ip(const std::string& path, int linktype) {
  std::ofstream f(path, std::ios::binary);
  put32(f, 0xa1b2c3d4), put16(f, 2), put16(f, 4), put32(f, 0), put32(f, 0), put32(f, 65535),
      put32(f, uint32_t(linktype));
  for (int i = 0; i < 20; ++i) {
    const std::string dst = i % 2 == 0 ? "10.1.1." + std::to_string(i + 2) : "172.16.0.1";
    const auto ip = dfc::tb::DtcpPcap::udp_packet("192.168.1.1", 4000, dst, 53, std::string(40, 'x'));
    put32(f, 1700000000), put32(f, uint32_t(i * 1000)), put32(f, uint32_t(ip.size())), put32(f, uint32_t(ip.size()));
    f.write(reinterpret_cast<const char*>(ip.data()), static_cast<std::streamsize>(ip.size()));
  }
}

TEST(Cli, RawIpCapturesReplay) {
  TmpDir d("rawip");
  for (int linktype : {101, 228}) {
    const std::string p = d / ("r" + std::to_string(linktype) + ".pcap");
    write_raw_ip(p, linktype);
    const RunOut r = run_pcap(d, p, "");
    ASSERT_EQ(r.rc, 0) << "link type " << linktype << ": " << r.out;
    EXPECT_EQ(r.report["packets_in"], 20) << linktype;
    EXPECT_EQ(r.report["copies_sent"], 10) << linktype;
    EXPECT_EQ(r.copy_ps.size(), 10u) << linktype;
    EXPECT_NEAR(span_ms(r), 18.0, 0.5) << "original timing: copies of packets 0..18, 1 ms apart";
    EXPECT_TRUE(r.report["scoreboard"]["pass"].get<bool>()) << r.report["scoreboard"].dump();
  }
}

TEST(Cli, TcpreplayControls) {
  TmpDir d("replay");
  const std::string p = d / "c.pcap";
  write_cooked(p, 276);
  const RunOut f = run_pcap(d, p, "--pcap-filter 'host 10.1.1.2 or host 10.1.1.4 or host 172.16.0.1'");
  ASSERT_EQ(f.rc, 0) << f.out;
  EXPECT_EQ(f.report["packets_in"], 12);
  EXPECT_EQ(f.report["copies_sent"], 2);
  const RunOut l = run_pcap(d, p, "--loop 3");
  ASSERT_EQ(l.rc, 0) << l.out;
  EXPECT_EQ(l.report["packets_in"], 63);
  EXPECT_EQ(l.report["copies_sent"], 30);
  const RunOut m = run_pcap(d, p, "--multiplier 10");
  ASSERT_EQ(m.rc, 0) << m.out;
  EXPECT_NEAR(span_ms(m), 1.8, 0.1);
  const RunOut pps = run_pcap(d, p, "--pps 100000");
  ASSERT_EQ(pps.rc, 0) << pps.out;
  // Arrivals exactly 10 us apart (the offered rate is measured at the card's ingress); the
  // copies' span also includes how long each packet took in the card (the first one meets
  // cold caches in the card model: tens of microseconds), so it is only checked loosely.
  EXPECT_NEAR(pps.report["offered_pps"].get<double>(), 100000.0, 1.0);
  EXPECT_NEAR(span_ms(pps), 18 * 0.01, 0.05);
  // SLL2 frames are replayed as Ethernet: 14 + 20 + 8 + 40 = 82 bytes = 656 bits, 656 us at 1 Mbit/s.
  const RunOut mb = run_pcap(d, p, "--mbps 1");
  ASSERT_EQ(mb.rc, 0) << mb.out;
  EXPECT_NEAR(span_ms(mb), 18 * 0.656, 0.05);
  EXPECT_EQ(run_pcap(d, p, "--pps 10 --mbps 1").rc, 2);
  EXPECT_EQ(run_pcap(d, p, "--loop 0").rc, 2);
}

TEST(Cli, DtcpPcapDecodesInTsharkOneMessagePerDtcpLogLine) {
  if (sh("command -v tshark").rc != 0) GTEST_SKIP() << "tshark is missing (scripts/setup-deps.sh installs it)";
  TmpDir d("dtcppcap");
  const auto r = sh(kDfcsim + " run -q '" + kSrc + "/testbench/scenarios/security.json' --out '" + (d / "o") + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  // dtcp.log: one "# <time> ... request|reply|notification" line per message.
  std::vector<std::string> kinds;
  std::istringstream log(slurp(d / "o/dtcp.log"));
  for (std::string line; std::getline(log, line);)
    if (line.rfind("# ", 0) == 0) {
      const bool req = line.find(" request") != std::string::npos, rep = line.find(" reply") != std::string::npos;
      kinds.push_back(req ? "request" : rep ? "reply" : "notification");
    }
  ASSERT_GT(kinds.size(), 5u);
  const auto t = sh("{ tshark -X lua_script:'" + kSrc + "/tools/wireshark/dtcp.lua' -r '" + (d / "o/dtcp.pcap") +
                    "' -T fields -e dtcp.type -e udp.srcport 2>/dev/null; }");
  ASSERT_EQ(t.rc, 0) << t.out;
  std::vector<std::string> decoded;
  std::istringstream is(t.out);
  for (std::string line; std::getline(is, line);) decoded.push_back(line.substr(0, line.find('\t')));
  ASSERT_EQ(decoded.size(), kinds.size()) << t.out;
  for (size_t i = 0; i < kinds.size(); ++i) EXPECT_EQ(decoded[i], kinds[i]) << "message " << i + 1;
}

namespace {

// Every copy in every cdest-<id>.pcap of `out` must be one that why.jsonl lists as sent, at the
// same time, and the other way round. Returns the number of copies compared.
size_t expect_why_matches_pcaps(const std::string& out) {
  std::multiset<std::pair<std::string, uint64_t>> listed, found;
  std::istringstream why(slurp(out + "/why.jsonl"));
  for (std::string line; std::getline(why, line);) {
    const json j = json::parse(line);
    if (!j.contains("copies")) continue;
    for (const auto& c : j["copies"])
      if (c.contains("sent")) {
        EXPECT_TRUE(c.contains("t_ns")) << "a sent copy without its departure time: " << line;
        EXPECT_GE(c.value("latency_ns", uint64_t{0}), uint64_t{0});
        listed.insert({c["cdest"].get<std::string>(), c.value("t_ns", uint64_t{0})});
      }
  }
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("cdest-", 0) != 0) continue;
    const std::string cdest = name.substr(6, name.size() - 6 - 5);
    dfc::tb::PcapReader rd(e.path().string());
    dfc::Packet p;
    uint64_t t;
    while (rd.next(p, t)) found.insert({cdest, t / 1000});
  }
  EXPECT_EQ(listed, found) << "why.jsonl and the cdest pcaps disagree";
  return found.size();
}

std::vector<json> why_lines(const std::string& out) {
  std::vector<json> v;
  std::istringstream why(slurp(out + "/why.jsonl"));
  for (std::string line; std::getline(why, line);) v.push_back(json::parse(line));
  return v;
}

}  // namespace

TEST(Cli, WhyExplainsEachSelectedPacketAndExactlyTheCopiesMade) {
  TmpDir d("why");
  const std::string p = d / "c.pcap";
  write_cooked(p, 113);
  const RunOut all = run_pcap(d, p, "--why 'len > 0'");
  ASSERT_EQ(all.rc, 0) << all.out;
  const auto lines = why_lines(d / "out");
  ASSERT_EQ(lines.size(), 21u);
  EXPECT_EQ(expect_why_matches_pcaps(d / "out"), 10u);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i]["packet"], i);
  const json& first = lines[0];
  EXPECT_EQ(first["parsed"]["family"], "ipv4");
  EXPECT_EQ(first["parsed"]["dst"], "10.1.1.2");
  EXPECT_EQ(first["parsed"]["protocol"], 17);
  EXPECT_EQ(first["parsed"]["dport"], 53);
  EXPECT_EQ(first["flow_table"], "miss");
  ASSERT_EQ(first["criteria"].size(), 1u) << first.dump();
  EXPECT_EQ(first["criteria"][0]["csource"], "md1");
  EXPECT_EQ(first["criteria"][0]["cdest"], "cd1");
  EXPECT_EQ(first["copies"][0]["cdest"], "cd1");
  EXPECT_EQ(first["copies"][0]["sent"], true);
  EXPECT_GT(first["copies"][0]["latency_ns"].get<uint64_t>(), 0u) << first.dump();
  EXPECT_TRUE(first.contains("core") && first.contains("processing")) << first.dump();
  EXPECT_EQ(lines[2]["t_ns"].get<uint64_t>() - first["t_ns"].get<uint64_t>(), 2'000'000u) << "the capture's timing";
  EXPECT_TRUE(lines[1]["criteria"].empty()) << "172.16.0.1 matches nothing: " << lines[1].dump();
  EXPECT_TRUE(lines[1]["copies"].empty());
  EXPECT_EQ(lines[3]["flow_table"], "hit") << "the second packet of the 172.16.0.1 flow: " << lines[3].dump();
  EXPECT_EQ(lines[20]["parsed"]["intercepted"], false);
  EXPECT_EQ(lines[20]["parsed"]["not_intercepted"], "non_ip") << lines[20].dump();
  // A narrower expression selects only its packets, numbered by arrival.
  const RunOut one = run_pcap(d, p, "--why 'dst host 10.1.1.4'");
  ASSERT_EQ(one.rc, 0) << one.out;
  const auto sel = why_lines(d / "out");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel[0]["packet"], 2);
  EXPECT_EQ(run_pcap(d, p, "--why 'dst hots 1'").rc, 2) << "a BPF syntax error is bad input";
}

TEST(Cli, WhyOnARealCaptureExplainsExactlyTheCopiesInTheCdestPcaps) {
  const std::string input = std::string(DFC_SHARED_DATA) + "/pcaps/example2.pcap";
  if (!fs::exists(input)) GTEST_SKIP() << input << " not present (shared data is optional)";
  TmpDir d("whyreal");
  std::ofstream(d / "dfc.conf") << R"(services { dynamic-flow-capture { capture-group g {
    control-source cs1 { source-addresses 10.36.41.1; service-port 2400; shared-key "k1"; }
    control-source cs2 { source-addresses 10.36.41.2; service-port 2401; shared-key "k2"; }
    content-destination udp-all { address 10.36.70.1; }
    content-destination web { address 10.36.70.2; ttl 64; }
} } })";
  std::ofstream(d / "req.dtcp") << "ADD DTCP/0.7\nCsource-ID: cs1\nCdest-ID: udp-all\nProtocol: 17\nFlags: Static\n\n"
                                << "ADD DTCP/0.7\nCsource-ID: cs2\nCdest-ID: web\nProtocol: 6\nDest-Port: 80\nFlags: Static\n";
  const auto r = sh(kDfcsim + " run -q --config '" + (d / "dfc.conf") + "' --dtcp '" + (d / "req.dtcp") +
                    "' --pcap-in '" + input + "' --why 'ip or ip6' --out '" + (d / "out") + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  // The selection is what libpcap's filter selects from the capture.
  dfc::tb::PcapReplay f;
  f.filter = "ip or ip6";
  dfc::tb::PcapReader rd(input, f);
  dfc::Packet p;
  uint64_t t;
  size_t n = 0;
  while (rd.next(p, t)) ++n;
  EXPECT_EQ(why_lines(d / "out").size(), n);
  EXPECT_GT(expect_why_matches_pcaps(d / "out"), 5u);
  // Each line's `frame` and `time` are tshark's frame.number and frame.time_epoch of the same
  // packet in the input capture (the selection is libpcap's BPF, not a display filter, so the
  // lines are looked up by frame number).
  const auto ts = sh("(tshark -r '" + input + "' -T fields -e frame.number -e frame.time_epoch 2>/dev/null)");
  ASSERT_EQ(ts.rc, 0) << "tshark is required (scripts/setup-deps.sh installs it)";
  std::map<uint64_t, std::string> epoch_of;
  std::istringstream in(ts.out);
  std::string num, epoch;
  while (in >> num >> epoch) epoch_of[std::stoull(num)] = epoch;
  uint64_t last = 0;
  for (const auto& l : why_lines(d / "out")) {
    const uint64_t frame = l["frame"].get<uint64_t>();
    EXPECT_GT(frame, last) << "frames in capture order";
    ASSERT_TRUE(epoch_of.count(frame)) << l.dump();
    EXPECT_EQ(l["time"].get<std::string>(), epoch_of[frame]) << l.dump();
    last = frame;
  }
}
