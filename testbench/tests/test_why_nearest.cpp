// why.jsonl's "nearest" criterion for a packet no criterion matches: the real firmware on the
// fake HAL decides (its packet trace into WhyLog, as the host wires it), and WhyLog learns the
// installed criteria from the same DTCP requests, replies and notifications the host sees.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/fw/firmware.hpp"
#include "fake_hal.hpp"
#include "report/dtcp_pcap.hpp"
#include "report/why.hpp"
#include "stimulus/packet_builder.hpp"

namespace why_nearest_test {

using nlohmann::json;

const char* kConfig = R"(services { dynamic-flow-capture {
  capture-group g {
    interfaces dfc-0/0/0;
    control-source cs1 { service-port 2400; shared-key "k1"; notification-targets 10.0.0.9 port 2100; }
    content-destination d1 { address 10.9.0.1; }
  }
} })";

struct Rig {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kConfig, "nearest.conf");
  dfc::test::FakeHal hal{1024};
  std::unique_ptr<dfc::fw::Firmware> fw;
  dfc::tb::WhyLog why{"ip"};
  uint64_t seq = 10, next_id = 1;
  // false: WhyLog is fed nothing and reads the exchange from the dtcp.pcap next to why.jsonl,
  // as `dfcsim run` writes it.
  bool feed = true;
  dfc::tb::DtcpPcap pcap;
  int order = 0;

  Rig() {
    hal.advance_to(1'000'000'000ull);
    fw = std::make_unique<dfc::fw::Firmware>(cfg, hal);
    fw->set_packet_trace([this](const dfc::fw::PacketTrace& t) { why.on_trace(t); });
  }

  // A signed request from cs1 (10.0.0.50:5000) to the firmware and to WhyLog, and every
  // reply or notification the firmware sends back to WhyLog; returns the reply's Criteria-ID.
  std::string request(const std::string& method, const std::string& params) {
    const std::string text = dfc::dtcp::sign(method + " DTCP/0.7\r\n" + params +
                                                 "Csource-ID: cs1\r\nSeq: " + std::to_string(++seq) + "\r\n",
                                             "k1");
    dfc::Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.50";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = 2400;
    p.t_arrival_ps = hal.now * 1000;
    if (feed) why.on_request(hal.now * 1000, "10.0.0.50:5000", text);
    pcap.add(hal.now * 1000, order++, "10.0.0.50", 5000, "192.0.2.1", 2400, text);
    fw->on_packet(p);
    std::string id;
    for (const auto& r : hal.sent) {
      if (r.unit != dfc::Unit::Control) continue;
      const std::string s(r.data.begin(), r.data.end());
      if (feed) why.on_control_sent(hal.now * 1000, r.dst_ip + ":" + std::to_string(r.dst_port), s);
      pcap.add(hal.now * 1000, order++, "192.0.2.1", 2400, r.dst_ip, r.dst_port, s);
      EXPECT_NE(s.find(" 200 OK"), std::string::npos) << s;
      const size_t c = s.find("Criteria-ID: ");
      if (c != std::string::npos) id = s.substr(c + 13, s.find('\r', c) - c - 13);
    }
    hal.sent.clear();
    hal.advance(1'000'000);
    return id;
  }
  std::string add(const std::string& filter) { return request("ADD", "Cdest-ID: d1\r\nFlags: Static\r\n" + filter); }

  void send(const char* dst, uint8_t proto, uint16_t dport) {
    dfc::tb::FlowSpec f;
    f.src = "10.5.5.5";
    f.dst = dst;
    f.proto = proto;
    f.dport = dport;
    f.frame_len = 128;
    dfc::Packet p = dfc::tb::build_packet(f);
    p.unit = dfc::Unit::Monitor;
    p.id = next_id++;
    p.t_arrival_ps = hal.now * 1000;
    why.on_arrival(p);
    fw->on_packet(p);
    hal.sent.clear();
    hal.advance(1'000'000);
  }

  std::vector<json> lines() const {
    const auto dir = std::filesystem::temp_directory_path() / ("why_nearest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    pcap.write((dir / "dtcp.pcap").string());
    const std::string path = (dir / "why.jsonl").string();
    why.write(path);
    std::vector<json> v;
    std::ifstream f(path);
    for (std::string line; std::getline(f, line);) v.push_back(json::parse(line));
    std::filesystem::remove_all(dir);
    return v;
  }
};

// The later criterion misses one field (Dest-Port), the earlier one two (address and
// protocol): the later one is nearest, and the miss names the port with both values.
TEST(WhyNearest, MostFieldsMatchedWinsAndTheMissIsNamed) {
  Rig r;
  r.add("Dest-Address: 10.2.2.2\r\nProtocol: 6\r\n");
  const std::string c2 = r.add("Dest-Address: 10.1.1.1\r\nDest-Port: 80\r\n");
  ASSERT_FALSE(c2.empty());
  r.send("10.1.1.1", 17, 53);
  const auto l = r.lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["decision"], "no criterion matches") << l[0].dump();
  const json& n = l[0]["nearest"];
  EXPECT_EQ(n["criterion"], c2) << n.dump();
  EXPECT_EQ(n["missed"], "dest-port");
  EXPECT_EQ(n["want"], "80");
  EXPECT_EQ(n["got"], "53");
  EXPECT_EQ(n["fields_matched"], 6);
}

// Equal misses: the criterion installed first; a packet that matches carries no "nearest".
TEST(WhyNearest, TieGoesToTheFirstInstalled) {
  Rig r;
  const std::string c1 = r.add("Dest-Address: 10.2.2.2\r\n");
  r.add("Dest-Address: 10.3.3.3\r\n");
  r.send("10.1.1.1", 6, 80);
  r.send("10.3.3.3", 6, 80);
  const auto l = r.lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0]["nearest"]["criterion"], c1) << l[0].dump();
  EXPECT_EQ(l[0]["nearest"]["missed"], "dest-address");
  EXPECT_EQ(l[0]["nearest"]["want"], "10.2.2.2");
  EXPECT_EQ(l[0]["nearest"]["got"], "10.1.1.1");
  EXPECT_FALSE(l[1].contains("nearest")) << l[1].dump();
}

// A deleted criterion is no longer a candidate; after the card restarts there is none.
TEST(WhyNearest, DeletedAndRestartedCriteriaAreForgotten) {
  Rig r;
  const std::string c1 = r.add("Dest-Address: 10.2.2.2\r\nProtocol: 6\r\n");
  const std::string c2 = r.add("Dest-Address: 10.1.1.1\r\nDest-Port: 80\r\n");
  r.send("10.1.1.1", 17, 53);
  r.request("DELETE", "Criteria-ID: " + c2 + "\r\n");
  r.send("10.1.1.1", 17, 53);
  r.fw->restart();
  for (const auto& s : r.hal.sent)
    if (s.unit == dfc::Unit::Control)
      r.why.on_control_sent(r.hal.now * 1000, s.dst_ip + ":" + std::to_string(s.dst_port),
                            std::string(s.data.begin(), s.data.end()));
  r.hal.sent.clear();
  r.send("10.1.1.1", 17, 53);
  const auto l = r.lines();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0]["nearest"]["criterion"], c2) << l[0].dump();
  EXPECT_EQ(l[1]["nearest"]["criterion"], c1) << l[1].dump();
  EXPECT_EQ(l[2]["decision"], "no criterion matches");
  EXPECT_FALSE(l[2].contains("nearest")) << l[2].dump();
}

// Fed nothing, WhyLog reads the exchange from dtcp.pcap: the same nearest criterion, and none
// for a packet that arrived before the ADD was answered.
TEST(WhyNearest, ReadFromTheRunsDtcpPcapWhenNotFed) {
  Rig r;
  r.feed = false;
  r.send("10.1.1.1", 17, 53);
  r.add("Dest-Address: 10.2.2.2\r\nProtocol: 6\r\n");
  const std::string c2 = r.add("Dest-Address: 10.1.1.1\r\nDest-Port: 80\r\n");
  r.send("10.1.1.1", 17, 53);
  const auto l = r.lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0]["decision"], "no criterion matches");
  EXPECT_FALSE(l[0].contains("nearest")) << "nothing installed yet: " << l[0].dump();
  EXPECT_EQ(l[1]["nearest"]["criterion"], c2) << l[1].dump();
  EXPECT_EQ(l[1]["nearest"]["want"], "80");
}

// A port criterion against a packet without ports (ICMP): the miss says so.
TEST(WhyNearest, PortCriterionAgainstIcmpSaysNoPorts) {
  Rig r;
  const std::string c1 = r.add("Dest-Port: 80\r\n");
  r.send("10.1.1.1", 1, 0);  // ICMP echo reply
  const auto l = r.lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["nearest"]["criterion"], c1);
  EXPECT_EQ(l[0]["nearest"]["missed"], "dest-port");
  EXPECT_EQ(l[0]["nearest"]["got"], "no ports");
}

}  // namespace why_nearest_test
