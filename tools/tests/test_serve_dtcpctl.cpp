// Hardware in the loop, end to end over loopback: `dfcsim serve` (real time, DTCP on UDP
// sockets) driven by `dtcpctl` (hil_fixture.hpp starts and ends every process).
#include <algorithm>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dfc/hal/packet.hpp"
#include "hil_fixture.hpp"
#include "stimulus/packet_builder.hpp"
#include "stimulus/pcap_io.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

using namespace dfc::hil;
using Clock = std::chrono::steady_clock;

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

// One host for both modes: serve's report carries every field of run's that applies in real
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
  uint64_t t = 0;
  std::vector<uint64_t> at;
  while (rd.next(p, t)) at.push_back(t);
  ASSERT_EQ(at.size(), 20u);
  EXPECT_GE(at.front(), 1'500'000'000'000ull) << "traffic starts 1.5 s after the card";
  // The capture's 10 ms spacing is kept: the median gap is 10 ms (a loaded machine may hold one
  // packet back and let the next catch up, which moves single gaps, not the median), and the
  // whole replay is neither compressed towards line rate (microseconds) nor stretched.
  std::vector<uint64_t> gaps;
  for (size_t i = 1; i < at.size(); ++i) gaps.push_back(at[i] - at[i - 1]);
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  EXPECT_NEAR(double(gaps[gaps.size() / 2]) / 1e12, 0.010, 0.002) << "median gap between copies";
  EXPECT_GE(double(at.back() - at.front()) / 1e12, 0.1) << "the replay is not compressed";
  EXPECT_LT(double(at.back() - at.front()) / 1e12, 0.19 + 0.2) << "nor stretched by far";
}
