// Hardware in the loop, end to end over loopback: `dfcsim serve` (real time, DTCP on UDP
// sockets) driven by `dtcpctl`, plus dtcpctl against small fake servers (bad signature,
// multi-packet LIST reassembly) and the Wireshark dissector through tshark.
// Every test binds fresh loopback ports, every wait is bounded, every spawned process is
// ended (SIGTERM, then SIGKILL) by the fixture.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "stimulus/packet_builder.hpp"
#include "stimulus/pcap_io.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const char* kKey = "hil-test-key";

// ---- processes ---------------------------------------------------------------------------------
struct Proc {
  pid_t pid = -1;
  std::string out_path, err_path;
};

Proc spawn(const std::vector<std::string>& argv, const fs::path& dir, const std::string& tag,
           const std::map<std::string, std::string>& env = {}) {
  Proc p;
  p.out_path = (dir / (tag + ".out")).string();
  p.err_path = (dir / (tag + ".err")).string();
  p.pid = fork();
  if (p.pid == 0) {
    const int o = ::open(p.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1), dup2(e, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    if (!env.count("DTCP_KEY")) unsetenv("DTCP_KEY");
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return p;
}

// Exit code (or -signal); -1000 when it did not end in time (then killed).
int wait_for(Proc& p, double seconds) {
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    int st = 0;
    const pid_t r = waitpid(p.pid, &st, WNOHANG);
    if (r == p.pid) {
      p.pid = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    }
    if (Clock::now() >= end) {
      kill(p.pid, SIGKILL);
      waitpid(p.pid, &st, 0);
      p.pid = -1;
      return -1000;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

bool wait_file_contains(const std::string& path, const std::string& what, double seconds) {
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    if (slurp(path).find(what) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

struct Result {
  int rc;
  std::string out, err;
};

// ---- sockets -----------------------------------------------------------------------------------
int udp_socket(uint16_t port, uint16_t* bound = nullptr) {
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return -1;
  }
  if (bound) {
    socklen_t l = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &l);
    *bound = ntohs(a.sin_port);
  }
  return s;
}

uint16_t free_udp_port() {
  uint16_t p = 0;
  const int s = udp_socket(0, &p);
  close(s);
  return p;
}

bool recv_timeout(int s, std::string& data, sockaddr_in& from, int ms) {
  pollfd pfd{s, POLLIN, 0};
  if (poll(&pfd, 1, ms) <= 0) return false;
  char buf[65536];
  socklen_t l = sizeof from;
  const ssize_t n = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &l);
  if (n < 0) return false;
  data.assign(buf, static_cast<size_t>(n));
  return true;
}

void send_to(int s, const std::string& data, const sockaddr_in& to) {
  sendto(s, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

// ---- fixture -----------------------------------------------------------------------------------
class Hil : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dfc-hil-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_file_ = (dir_ / "key").string();
    std::ofstream(key_file_) << kKey << "\n";
    seq_file_ = (dir_ / "cs1.seq").string();
  }
  void TearDown() override {
    for (auto& p : procs_)
      if (p.pid > 0) {
        kill(p.pid, SIGTERM);
        wait_for(p, 5);
      }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Starts `dfcsim serve` on fresh loopback ports; waits for its ready line.
  void start_serve(const std::vector<std::string>& extra = {}) {
    service_port_ = free_udp_port();
    notify_port_ = free_udp_port();
    const std::string conf = R"(services {
  dynamic-flow-capture {
    capture-group g1 {
      interfaces dfc-0/0/0;
      control-source cs1 {
        source-addresses 10.36.41.1;
        service-port )" + std::to_string(service_port_) +
                             R"(;
        notification-targets { 127.0.0.1 port )" +
                             std::to_string(notify_port_) + R"(; }
        shared-key ")" + kKey + R"(";
      }
      content-destination cd1 { address 10.36.70.2; ttl 244; }
    }
  }
}
)";
    std::ofstream((dir_ / "dfc.conf").string()) << conf;
    std::vector<std::string> argv = {DFCSIM_BIN, "serve", "--config", (dir_ / "dfc.conf").string(), "--out",
                                     (dir_ / "out").string(), "--duration", "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    procs_.push_back(spawn(argv, dir_, "serve"));
    serve_ = procs_.size() - 1;
    ASSERT_TRUE(wait_file_contains(procs_[serve_].out_path, "dfcsim serve: ready", 15))
        << slurp(procs_[serve_].out_path) << slurp(procs_[serve_].err_path);
  }

  // SIGTERM to serve; returns its report.
  json stop_serve() {
    kill(procs_[serve_].pid, SIGTERM);
    const int rc = wait_for(procs_[serve_], 10);
    EXPECT_EQ(rc, 0) << slurp(procs_[serve_].err_path);
    EXPECT_NE(slurp(procs_[serve_].out_path).find("stopped (SIGTERM)"), std::string::npos);
    std::ifstream f(dir_ / "out" / "report.json");
    EXPECT_TRUE(f.good()) << "no report.json";
    if (!f) return json::object();
    return json::parse(f);
  }

  std::vector<std::string> ctl_args(const std::vector<std::string>& args, bool with_key = true) {
    std::vector<std::string> a = {DTCPCTL_BIN, "--server", "127.0.0.1:" + std::to_string(service_port_),
                                  "--csource", "cs1", "--seq-file", seq_file_, "--timeout", "1", "--retries", "1"};
    if (with_key) a.insert(a.end(), {"--key-file", key_file_});
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }

  Result run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
             double seconds = 15) {
    Proc p = spawn(argv, dir_, "cmd" + std::to_string(++runs_), env);
    Result r;
    r.rc = wait_for(p, seconds);
    r.out = slurp(p.out_path);
    r.err = slurp(p.err_path);
    return r;
  }
  Result ctl(const std::vector<std::string>& args) { return run(ctl_args(args)); }

  fs::path dir_;
  std::string key_file_, seq_file_;
  std::vector<Proc> procs_;
  size_t serve_ = 0;
  uint16_t service_port_ = 0, notify_port_ = 0;
  int runs_ = 0;
};

uint64_t pcap_records(const std::string& path) {
  dfc::tb::PcapReader r(path);
  dfc::Packet p;
  uint64_t t = 0, n = 0;
  while (r.next(p, t)) ++n;
  return n;
}

}  // namespace

// ADD -> 200 + Criteria-ID; matching traffic gets copied (pcap + report); LIST shows the
// statistics; REFRESH; DELETE; a second DELETE of the same id is 431 (exit 12).
TEST_F(Hil, AddTrafficListRefreshDelete) {
  start_serve({"--traffic", "pps=200,packets=100000,flows=4,match=1,match-dst=10.1.1.1,match-proto=17,match-dport=53"});
  if (HasFatalFailure()) return;
  Result add = ctl({"--json", "add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--proto", "17", "--dst-port", "53",
                    "--timeout-idle", "60", "--priority", "2"});
  ASSERT_EQ(add.rc, 0) << add.out << add.err;
  const json a = json::parse(add.out);
  EXPECT_EQ(a["status"], 200);
  const std::string id = a["params"]["Criteria-ID"];
  ASSERT_FALSE(id.empty());

  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  Result lst = ctl({"--json", "list", "--flags", "Both"});
  ASSERT_EQ(lst.rc, 0) << lst.out << lst.err;
  const json l = json::parse(lst.out);
  ASSERT_EQ(l["criteria"].size(), 1u) << lst.out;
  const json& e = l["criteria"][0];
  EXPECT_EQ(e["Criteria-ID"], id);
  EXPECT_EQ(e["Dest-Address"], "10.1.1.1");
  EXPECT_EQ(e["Csource-Address"], "10.36.41.1") << "loopback sender presented as the first source-address";
  const uint64_t matched = std::stoull(e["Matching-Packets"].get<std::string>());
  EXPECT_GT(matched, 50u) << "about 200 matching packets per second should have been counted";

  Result ref = ctl({"refresh", "--criteria-id", id, "--timeout-idle", "120"});
  EXPECT_EQ(ref.rc, 0) << ref.out << ref.err;
  EXPECT_NE(ref.out.find("Criteria-Count: 1"), std::string::npos) << ref.out;
  Result del = ctl({"delete", "--criteria-id", id});
  EXPECT_EQ(del.rc, 0) << del.out << del.err;
  Result del2 = ctl({"delete", "--criteria-id", id});
  EXPECT_EQ(del2.rc, 12) << "431 Unknown Criteria ID: " << del2.out << del2.err;

  const json r = stop_serve();
  ASSERT_TRUE(r.contains("copies_per_destination"));
  const uint64_t copies = r["copies_per_destination"]["cd1"]["copies"];
  EXPECT_GE(copies, matched);
  EXPECT_EQ(pcap_records((dir_ / "out" / "cdest-cd1.pcap").string()), copies);
  EXPECT_EQ(r["dtcp_server"]["replies_sent"], 5);
  EXPECT_EQ(r["serve"]["datagrams_in"], 5);
  EXPECT_EQ(r["serve"]["presented_from_loopback"], 5);
  EXPECT_EQ(r["criteria_active"], 0);
  EXPECT_EQ(r["scoreboard"]["pass"], true) << r["scoreboard"].dump(2);
  EXPECT_EQ(r["accounting"]["balanced"], 1) << r["accounting"].dump(2);
  EXPECT_EQ(r["stopped_by"], "SIGTERM");
}

// One host (issue 11): serve's report carries every field of run's that applies in real
// time, under the same names. Both commands run the same configuration and traffic; the key
// sets are compared at the top level and inside every fixed-structure section.
TEST_F(Hil, ServeReportHasRunsKeys) {
  const std::string traffic = "flows=4,match=1,match-dst=10.1.1.1,match-proto=17,match-dport=53";
  start_serve({"--traffic", "pps=500,packets=100000," + traffic});
  if (HasFatalFailure()) return;
  Result add = ctl({"add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--proto", "17", "--dst-port", "53",
                    "--timeout-idle", "60"});
  ASSERT_EQ(add.rc, 0) << add.out << add.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const json s = stop_serve();
  ASSERT_TRUE(s.is_object() && !s.empty());

  std::ofstream(dir_ / "add.dtcp") << "ADD DTCP/0.7\nCsource-ID: cs1\nCdest-ID: cd1\nDest-Address: 10.1.1.1\n"
                                       "Protocol: 17\nDest-Port: 53\nTimeout-Idle: 60\n\n";
  Result rr = run({DFCSIM_BIN, "run", "-q", "--config", (dir_ / "dfc.conf").string(), "--dtcp",
                   (dir_ / "add.dtcp").string(), "--traffic", "packets=200," + traffic, "--out",
                   (dir_ / "run").string()});
  ASSERT_EQ(rr.rc, 0) << rr.out << rr.err;
  std::ifstream f(dir_ / "run" / "report.json");
  const json r = json::parse(f);

  auto keys = [](const json& j) {
    std::set<std::string> k;
    for (auto it = j.begin(); it != j.end(); ++it) k.insert(it.key());
    return k;
  };
  // Fields of run that do not apply to serve, and serve's own fields.
  const std::set<std::string> run_only = {"expectations"}, serve_only = {"stopped_by", "serve", "realtime"};
  std::set<std::string> want = keys(r), got = keys(s);
  for (const auto& k : run_only) want.erase(k);
  for (const auto& k : serve_only) {
    EXPECT_TRUE(got.count(k)) << k;
    got.erase(k);
  }
  EXPECT_EQ(got, want);
  for (const char* sec : {"scenario", "flow_table", "classifier", "dtcp", "accounting", "overload", "scoreboard",
                          "timeseries", "latency", "dtcp_server"})
  {
    ASSERT_TRUE(r.contains(sec) && s.contains(sec)) << sec;
    EXPECT_EQ(keys(s[sec]), keys(r[sec])) << sec;
  }
  EXPECT_EQ(keys(s["control_sources"]["cs1"]), keys(r["control_sources"]["cs1"]));
  EXPECT_EQ(s["mode"], "serve");
  EXPECT_EQ(r["mode"], "run");
  // Same counting: every packet in is processed or counted as an ingress drop; copies balance.
  EXPECT_EQ(s["accounting"]["balanced"], 1) << s["accounting"].dump(2);
  EXPECT_EQ(r["accounting"]["balanced"], 1) << r["accounting"].dump(2);
  EXPECT_EQ(s["scoreboard"]["pass"], true) << s["scoreboard"].dump(2);
}

// Timeout-Idle 1 with SendAsync: the 390 notification reaches `dtcpctl listen` about a second
// later, signed with the control source's key.
TEST_F(Hil, TimeoutNotificationReachesListen) {
  start_serve();
  if (HasFatalFailure()) return;
  procs_.push_back(spawn({DTCPCTL_BIN, "--key-file", key_file_, "--json", "listen", "--bind", "127.0.0.1", "--port",
                          std::to_string(notify_port_), "--count", "1", "--timeout", "10"},
                         dir_, "listen"));
  const size_t li = procs_.size() - 1;
  ASSERT_TRUE(wait_file_contains(procs_[li].err_path, "listening", 5));
  const auto t0 = Clock::now();
  Result add = ctl({"--json", "add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--timeout-idle", "1", "--flags",
                    "SendAsync"});
  ASSERT_EQ(add.rc, 0) << add.out << add.err;
  const std::string id = json::parse(add.out)["params"]["Criteria-ID"];
  EXPECT_EQ(wait_for(procs_[li], 10), 0) << slurp(procs_[li].out_path) << slurp(procs_[li].err_path);
  const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
  const json n = json::parse(slurp(procs_[li].out_path));
  EXPECT_EQ(n["status"], 390);
  EXPECT_EQ(n["signature_ok"], true);
  EXPECT_EQ(n["params"]["Criteria-ID"], id);
  EXPECT_GE(waited, 0.8);
  EXPECT_LE(waited, 4.0);
  const json r = stop_serve();
  EXPECT_EQ(r["control_sources"]["cs1"]["notification_timeout"], 1);
  EXPECT_EQ(r["serve"]["notifications_sent"], 1);
}

// SIGHUP restarts the card: every criterion is lost, `dtcpctl listen` receives the Restart
// (599), and the Seq state survives (dtcpctl's next Seq is accepted) (docs/dtcp-conformance.md §13.3).
TEST_F(Hil, SighupRestartSends599AndEmptiesTheTable) {
  start_serve();
  if (HasFatalFailure()) return;
  Result add = ctl({"--json", "add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--flags", "Static"});
  ASSERT_EQ(add.rc, 0) << add.out << add.err;
  procs_.push_back(spawn({DTCPCTL_BIN, "--key-file", key_file_, "--json", "listen", "--bind", "127.0.0.1", "--port",
                          std::to_string(notify_port_), "--count", "1", "--timeout", "10"},
                         dir_, "listen"));
  const size_t li = procs_.size() - 1;
  ASSERT_TRUE(wait_file_contains(procs_[li].err_path, "listening", 5));
  kill(procs_[serve_].pid, SIGHUP);
  EXPECT_EQ(wait_for(procs_[li], 10), 0) << slurp(procs_[li].out_path) << slurp(procs_[li].err_path);
  const json n = json::parse(slurp(procs_[li].out_path));
  EXPECT_EQ(n["status"], 599);
  EXPECT_EQ(n["signature_ok"], true);
  Result lst = ctl({"--json", "list"});
  ASSERT_EQ(lst.rc, 0) << lst.out << lst.err;
  EXPECT_EQ(json::parse(lst.out)["criteria"].size(), 0u) << lst.out;
  const json r = stop_serve();
  EXPECT_EQ(r["dtcp"]["restarts"], 1);
  EXPECT_EQ(r["criteria_active"], 0);  // top level, as in run's report
  EXPECT_EQ(r["control_sources"]["cs1"]["notification_restart"], 1);
}

// Forged (wrong key) and replayed (already used Seq) requests get no reply (dtcpctl: timeout,
// a run-time failure, exit 1) and are counted by the card.
TEST_F(Hil, ForgedAndReplayedRequestsAreDroppedAndCounted) {
  start_serve();
  if (HasFatalFailure()) return;
  Result ok = ctl({"noop"});
  ASSERT_EQ(ok.rc, 0) << ok.out << ok.err;
  const std::string used = slurp(seq_file_);
  ASSERT_FALSE(used.empty());

  Result replay = run(ctl_args({"--seq", used.substr(0, used.find('\n')), "--retries", "0", "noop"}));
  EXPECT_EQ(replay.rc, 1) << replay.out << replay.err;
  Result forged = run(ctl_args({"--retries", "0", "noop"}, /*with_key=*/false), {{"DTCP_KEY", "not-the-key"}});
  EXPECT_EQ(forged.rc, 1) << forged.out << forged.err;
  EXPECT_EQ(forged.err.find("not-the-key"), std::string::npos) << "the key must never be printed";

  const json r = stop_serve();
  EXPECT_EQ(r["dtcp_server"]["bad_sequence"], 1);
  EXPECT_EQ(r["dtcp_server"]["bad_authentication"], 1);
  EXPECT_EQ(r["dtcp_server"]["replies_sent"], 1);
  EXPECT_EQ(r["control_sources"]["cs1"]["response_invalid_sequence_number"], 1);
  EXPECT_EQ(r["control_sources"]["cs1"]["response_invalid_authentication"], 1);
}

// --copies-to: every copy also leaves live as a UDP datagram in Juniper packet-mirror format
// (4-byte mirror id = destination position, 4-byte session id = copy number, original packet).
TEST_F(Hil, CopiesLiveAsJmirrorUdp) {
  uint16_t mport = 0;
  const int ms = udp_socket(0, &mport);
  ASSERT_GE(ms, 0);
  start_serve({"--copies-to", "127.0.0.1:" + std::to_string(mport), "--traffic",
               "pps=100,packets=100000,flows=2,match=1,match-dst=10.1.1.1,match-proto=17"});
  if (HasFatalFailure()) {
    close(ms);
    return;
  }
  Result add = ctl({"add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--timeout-idle", "60"});
  ASSERT_EQ(add.rc, 0) << add.out << add.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const json r = stop_serve();
  uint64_t got = 0;
  std::string d;
  sockaddr_in from{};
  while (recv_timeout(ms, d, from, 300)) {
    ++got;
    ASSERT_GE(d.size(), 28u);
    const auto u32 = [&](size_t o) {
      return uint32_t(uint8_t(d[o])) << 24 | uint32_t(uint8_t(d[o + 1])) << 16 | uint32_t(uint8_t(d[o + 2])) << 8 |
             uint32_t(uint8_t(d[o + 3]));
    };
    EXPECT_EQ(u32(0), 1u) << "mirror id = position of cd1";
    EXPECT_EQ(u32(4), got) << "session id = copy number";
    EXPECT_EQ(uint8_t(d[8]) >> 4, 4) << "the original IPv4 packet follows";
    EXPECT_EQ(u32(8 + 16), 0x0a010101u) << "inner destination 10.1.1.1 (the outer IP-IP header is removed)";
  }
  close(ms);
  EXPECT_GT(got, 20u);
  EXPECT_EQ(r["serve"]["jmirror_copies_sent"], got);
  EXPECT_EQ(r["copies_per_destination"]["cd1"]["copies"], got);
}

// --pcap-in: the capture is replayed against the wall clock with its original timing, starting
// --traffic-start seconds after the card; the criterion installed before that copies every packet.
TEST_F(Hil, PcapReplayedWithOriginalTiming) {
  const std::string in = (dir_ / "in.pcap").string();
  {
    dfc::tb::PcapWriter w(in, dfc::LinkType::Ethernet);
    for (int i = 0; i < 20; ++i) {
      dfc::tb::FlowSpec f;
      f.src = "192.168.10.4";
      f.dst = "10.1.1.1";
      f.proto = 17;
      f.sport = static_cast<uint16_t>(40000 + i);
      f.dport = 53;
      f.frame_len = 100;
      const dfc::Packet p = dfc::tb::build_packet(f, static_cast<uint64_t>(i));
      // 10 ms apart, starting at an arbitrary capture time
      w.write(p.data.data(), p.data.size(), 5'000'000'000'000ull + uint64_t(i) * 10'000'000'000ull);
    }
  }
  start_serve({"--pcap-in", in, "--traffic-start", "1.5"});
  if (HasFatalFailure()) return;
  Result add = ctl({"add", "--cdest", "cd1", "--dst-addr", "10.1.1.1", "--dst-port", "53", "--proto", "17",
                    "--timeout-idle", "60"});
  ASSERT_EQ(add.rc, 0) << add.out << add.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  const json r = stop_serve();
  EXPECT_EQ(r["serve"]["traffic_packets"], 20);
  EXPECT_EQ(r["copies_per_destination"]["cd1"]["copies"], 20);
  dfc::tb::PcapReader rd((dir_ / "out" / "cdest-cd1.pcap").string());
  dfc::Packet p;
  uint64_t t = 0, first = 0, last = 0, n = 0;
  while (rd.next(p, t)) (n++ == 0 ? first : last) = t;
  ASSERT_EQ(n, 20u);
  EXPECT_GE(first, 1'500'000'000'000ull) << "traffic starts 1.5 s after the card";
  EXPECT_NEAR(double(last - first) / 1e12, 0.19, 0.005) << "the capture's 10 ms spacing is kept";
}

// ---- dtcpctl against fake servers -------------------------------------------------------------
namespace {

std::string seq_of(const std::string& req) {
  auto m = dfc::dtcp::parse_message(req);
  if (!m) return "";
  return m->get("Seq").value_or("");
}

std::string list_packet(const std::string& key, const std::string& seq, const std::vector<int>& nums, int count) {
  std::string t = "DTCP/0.7 200 OK\r\n";
  for (int n : nums)
    t += "Criteria-Count: " + std::to_string(count) + "\r\nCriteria-Num: " + std::to_string(n) +
         "\r\nCsource-ID: cs1\r\nCsource-Address: 10.36.41.1\r\nCdest-ID: cd1\r\nCriteria-ID: " +
         std::to_string(100 + n) + "\r\nTimestamp: 2026-01-01 00:00:00.000\r\n";
  t += "Timestamp: 2026-01-01 00:00:01.000\r\nSeq: " + seq + "\r\n";
  return dfc::dtcp::sign(t, key);
}

// Serves one request on a fresh port with `respond(request) -> datagrams`.
class FakeServer {
 public:
  template <class F>
  explicit FakeServer(F respond) {
    sock_ = udp_socket(0, &port_);
    th_ = std::thread([this, respond] {
      std::string req;
      sockaddr_in from{};
      if (!recv_timeout(sock_, req, from, 5000)) return;
      for (const std::string& d : respond(req)) send_to(sock_, d, from);
    });
  }
  ~FakeServer() {
    th_.join();
    close(sock_);
  }
  uint16_t port() const { return port_; }

 private:
  int sock_ = -1;
  uint16_t port_ = 0;
  std::thread th_;
};

}  // namespace

TEST_F(Hil, DtcpctlReassemblesMultiPacketList) {
  FakeServer fs([](const std::string& req) {
    const std::string s = seq_of(req);
    // Out of order, two entries in one packet.
    return std::vector<std::string>{list_packet(kKey, s, {3}, 3), list_packet(kKey, s, {1, 2}, 3)};
  });
  service_port_ = fs.port();
  Result r = ctl({"--json", "list", "--flags", "Both"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["criteria"].size(), 3u);
  EXPECT_EQ(j["packets"], 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["criteria"][i]["Criteria-Num"], std::to_string(i + 1));
    EXPECT_EQ(j["criteria"][i]["Criteria-ID"], std::to_string(101 + i));
    EXPECT_EQ(j["criteria"][i]["Timestamp"], "2026-01-01 00:00:00.000");
  }
}

TEST_F(Hil, DtcpctlReportsAnIncompleteList) {
  FakeServer fs([](const std::string& req) {
    const std::string s = seq_of(req);
    return std::vector<std::string>{list_packet(kKey, s, {1}, 3), list_packet(kKey, s, {3}, 3)};
  });
  service_port_ = fs.port();
  Result r = run(ctl_args({"--timeout", "0.5", "--retries", "0", "list"}));
  EXPECT_EQ(r.rc, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("missing Criteria-Num 2"), std::string::npos) << r.err;
}

TEST_F(Hil, DtcpctlRejectsABadReplySignature) {
  FakeServer fs([](const std::string& req) {
    return std::vector<std::string>{dfc::dtcp::sign("DTCP/0.7 200 OK\r\nTimestamp: 2026-01-01 00:00:00.000\r\nSeq: " +
                                                        seq_of(req) + "\r\n",
                                                    "some-other-key")};
  });
  service_port_ = fs.port();
  Result r = ctl({"noop"});
  EXPECT_EQ(r.rc, 3) << "verification failed: " << r.out << r.err;
  EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;
}

TEST_F(Hil, DtcpctlRetriesWithANewSeq) {
  std::vector<std::string> seen;
  {
    // Drops the first request, answers the second.
    uint16_t port = 0;
    const int s = udp_socket(0, &port);
    service_port_ = port;
    std::thread th([&] {
      for (int i = 0; i < 2; ++i) {
        std::string req;
        sockaddr_in from{};
        if (!recv_timeout(s, req, from, 5000)) return;
        seen.push_back(seq_of(req));
        if (i == 1)
          send_to(s,
                  dfc::dtcp::sign("DTCP/0.7 200 OK\r\nTimestamp: 2026-01-01 00:00:00.000\r\nSeq: " + seen.back() + "\r\n",
                                  kKey),
                  from);
      }
    });
    Result r = run(ctl_args({"--timeout", "0.3", "--retries", "2", "noop"}));
    th.join();
    close(s);
    EXPECT_EQ(r.rc, 0) << r.out << r.err;
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0], seen[1]) << "a retry must carry a new Seq (the old one would be dropped as a replay)";
  EXPECT_EQ(std::stoull(seen[1]), std::stoull(seen[0]) + 1);
  EXPECT_EQ(slurp(seq_file_), seen[1] + "\n") << "the Seq file holds the last Seq used";
}

TEST_F(Hil, DtcpctlBadInputAndTimeoutExitCodes) {
  service_port_ = free_udp_port();  // nothing listens there
  EXPECT_EQ(run(ctl_args({"noop"}, /*with_key=*/false)).rc, 2) << "no key";
  EXPECT_EQ(ctl({"add", "--dst-addr", "10.1.1.1"}).rc, 2) << "--cdest is required";
  EXPECT_EQ(ctl({"delete"}).rc, 2) << "delete needs a selector";
  EXPECT_EQ(ctl({"add", "--cdest", "cd1", "--timeout-idle", "x"}).rc, 2);
  EXPECT_EQ(run({DTCPCTL_BIN, "--server", "nohost:1", "--csource", "cs1", "--key-file", key_file_, "--seq-file",
                 seq_file_, "noop"})
                .rc,
            2);
  const auto t0 = Clock::now();
  EXPECT_EQ(run(ctl_args({"--timeout", "0.2", "--retries", "1", "noop"})).rc, 1);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
}

// ---- the Wireshark dissector ------------------------------------------------------------------
namespace {

// Ethernet + IPv4 + UDP around a payload (checksums: IPv4 computed, UDP 0 = none).
std::vector<uint8_t> frame(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const std::string& payload) {
  const size_t ip_len = 20 + 8 + payload.size();
  const size_t ul = 8 + payload.size();
  const uint8_t hdr[42] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0,  // Ethernet
                           0x45, 0, uint8_t(ip_len >> 8), uint8_t(ip_len), 0, 1, 0x40, 0, 64, 17, 0, 0,
                           uint8_t(src >> 24), uint8_t(src >> 16), uint8_t(src >> 8), uint8_t(src),
                           uint8_t(dst >> 24), uint8_t(dst >> 16), uint8_t(dst >> 8), uint8_t(dst),
                           uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
                           uint8_t(ul >> 8), uint8_t(ul), 0, 0};
  std::vector<uint8_t> f(42 + payload.size());
  for (size_t i = 0; i < 42; ++i) f[i] = hdr[i];
  for (size_t i = 0; i < payload.size(); ++i) f[42 + i] = static_cast<uint8_t>(payload[i]);
  uint32_t sum = 0;
  for (size_t i = 14; i < 34; i += 2) sum += uint32_t(f[i] << 8 | f[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = uint8_t(~sum >> 8), f[25] = uint8_t(~sum);
  return f;
}

}  // namespace

// A real DTCP exchange with `dfcsim serve`, captured on the loopback interface with tshark when
// that is possible (root/CAP_NET_RAW), otherwise exchanged by the test itself and written to a
// pcap as Ethernet/IPv4/UDP frames; then decoded with the dissector and filtered on dtcp.status.
TEST_F(Hil, DissectorDecodesADtcpExchange) {
  ASSERT_EQ(system("command -v tshark >/dev/null 2>&1"), 0) << "tshark is required (scripts/setup-deps.sh installs it)";
  start_serve();
  if (HasFatalFailure()) return;
  const std::string cap = (dir_ / "dtcp.pcap").string();
  std::string id, method;

  // 1. Live capture on lo.
  Proc ts = spawn({"/usr/bin/env", "tshark", "-i", "lo", "-f", "udp port " + std::to_string(service_port_), "-c", "2",
                   "-a", "duration:12", "-w", cap},
                  dir_, "tshark");
  procs_.push_back(ts);
  const size_t ti = procs_.size() - 1;
  const bool capturing = wait_file_contains(procs_[ti].err_path, "Capturing on", 6);
  if (capturing) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Result add = ctl({"--json", "add", "--cdest", "cd1", "--src-addr", "192.168.10.4", "--timeout-total", "30"});
    ASSERT_EQ(add.rc, 0) << add.out << add.err;
    id = json::parse(add.out)["params"]["Criteria-ID"];
    const int rc = wait_for(procs_[ti], 10);
    method = "captured on lo with tshark";
    if (rc != 0 || pcap_records(cap) < 2) {
      ADD_FAILURE() << "tshark capture failed (rc " << rc << "): " << slurp(procs_[ti].err_path);
      return;
    }
  } else {
    // 2. No capture permission: exchange one ADD ourselves and write the frames.
    kill(procs_[ti].pid, SIGTERM);
    wait_for(procs_[ti], 5);
    method = "written by the test (no capture permission)";
    uint16_t my_port = 0;
    const int s = udp_socket(0, &my_port);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(service_port_);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto b = dfc::dtcp::MessageBuilder::request("ADD", {0, 7});
    b.add("Cdest-ID", "cd1").add("Source-Address", "192.168.10.4").add("Timeout-Total", "30");
    b.add("Csource-ID", "cs1").add("Seq", uint64_t{1000});
    const std::string req = b.signed_text(kKey);
    send_to(s, req, to);
    std::string rep;
    sockaddr_in from{};
    ASSERT_TRUE(recv_timeout(s, rep, from, 5000)) << "no reply from serve";
    close(s);
    auto m = dfc::dtcp::parse_message(rep);
    ASSERT_TRUE(m);
    id = m->get("Criteria-ID").value_or("");
    dfc::tb::PcapWriter w(cap, dfc::LinkType::Ethernet);
    const auto f1 = frame(0x7f000001, my_port, 0x7f000001, service_port_, req);
    const auto f2 = frame(0x7f000001, service_port_, 0x7f000001, my_port, rep);
    w.write(f1.data(), f1.size(), 1'000'000'000);
    w.write(f2.data(), f2.size(), 2'000'000'000);
    w.flush();
  }
  RecordProperty("capture", method);
  std::cout << "[ capture ] " << method << "\n";
  ASSERT_FALSE(id.empty());

  const std::string lua = std::string(DFC_SOURCE_DIR) + "/tools/wireshark/dtcp.lua";
  Result dec = run({"/usr/bin/env", "tshark", "-X", "lua_script:" + lua, "-r", cap, "-Y", "dtcp.status == 200", "-T",
                    "fields", "-e", "dtcp.criteria_id", "-e", "dtcp.seq", "-e", "dtcp.type"},
                   {}, 20);
  ASSERT_EQ(dec.rc, 0) << dec.err;
  EXPECT_EQ(dec.out.substr(0, dec.out.find('\t')), id) << dec.out << dec.err;
  EXPECT_NE(dec.out.find("\treply"), std::string::npos) << dec.out;

  Result req = run({"/usr/bin/env", "tshark", "-X", "lua_script:" + lua, "-r", cap, "-Y",
                    "dtcp.method == \"ADD\" && dtcp.csource == \"cs1\" && dtcp.param.name == \"Source-Address\"",
                    "-T", "fields", "-e", "dtcp.cdest", "-e", "dtcp.version", "-e", "dtcp.auth"},
                   {}, 20);
  ASSERT_EQ(req.rc, 0) << req.err;
  EXPECT_EQ(req.out.substr(0, req.out.find('\t')), "cd1") << req.out;
  EXPECT_NE(req.out.find("DTCP/0.7"), std::string::npos) << req.out;
  stop_serve();
}
