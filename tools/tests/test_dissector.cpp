// The Wireshark dissector (tools/wireshark/dtcp.lua) through tshark on a real DTCP exchange
// with `dfcsim serve`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dfc/dtcp/message.hpp"
#include "dfc/hal/packet.hpp"
#include "hil_fixture.hpp"
#include "stimulus/pcap_io.hpp"

using namespace dfc::hil;

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
