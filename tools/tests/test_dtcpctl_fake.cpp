// dtcpctl against small fake servers on loopback: multi-packet LIST reassembly, an incomplete
// LIST, a bad reply signature, retries with a new Seq, bad input and timeouts.
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "hil_fixture.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

using namespace dfc::hil;
using Clock = std::chrono::steady_clock;

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
