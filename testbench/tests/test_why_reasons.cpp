// why.jsonl (dfcsim run --why), reason by reason: the real firmware on the fake HAL with its
// packet trace wired into WhyLog as the host wires it (testbench/host/host.cpp), and the same
// events fed to the scoreboard, whose reference model (testbench/checker) decides each packet
// on its own. For every reason the product writes -- not intercepted (non_ip, mpls, truncated,
// bad_ip_header), no criterion matches, max_duplicates, tx_queue_full, an ingress drop -- one
// scenario provokes exactly that reason for one known packet, and the test checks that
// packet's line names it and that the reference model's account of the same packet agrees.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "checker/refmodel.hpp"
#include "checker/scoreboard.hpp"
#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/fw/firmware.hpp"
#include "fake_hal.hpp"
#include "report/why.hpp"
#include "stimulus/packet_builder.hpp"

namespace why_reasons_test {

using nlohmann::json;

// One capture group, max-duplicates 1: a packet matching criteria to both destinations gets
// one copy (to the better criterion's) and one max-duplicates drop.
const char* kConfig = R"(services { dynamic-flow-capture {
  g-max-duplicates 1;
  capture-group g {
    interfaces dfc-0/0/0;
    control-source cs1 { service-port 2400; shared-key "k1"; notification-targets 10.0.0.9 port 2100; }
    content-destination d1 { address 10.9.0.1; }
    content-destination d2 { address 10.9.0.2; }
  }
} })";

// The card's refusal of a copy (its transmit queue full) reaches the scoreboard as the host's
// copy-drop sink does: the refused copy itself, independent of the firmware's trace.
class RefusingHal : public dfc::test::FakeHal {
 public:
  using FakeHal::FakeHal;
  bool transmit(dfc::Packet&& p) override {
    if (tx_full && p.unit == dfc::Unit::Copies) refused.push_back(p);
    return FakeHal::transmit(std::move(p));
  }
  std::vector<dfc::Packet> refused;
};

struct WhyRig {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kConfig, "why.conf");
  RefusingHal hal{1024};
  std::unique_ptr<dfc::fw::Firmware> fw;
  dfc::tb::WhyLog why{"len > 0"};
  dfc::tb::Scoreboard sb{dfc::tb::ScoreboardConfig::parse(kConfig)};
  uint64_t seq = 10, next_id = 1, arrivals = 0;

  WhyRig() {
    hal.advance_to(1'000'000'000ull);
    fw = std::make_unique<dfc::fw::Firmware>(cfg, hal);
    fw->set_packet_trace([this](const dfc::fw::PacketTrace& t) { why.on_trace(t); });
  }
  uint64_t now_ps() const { return hal.now * 1000; }

  // A signed ADD from cs1, to the firmware and (request and reply) to the scoreboard.
  void add(const std::string& params) {
    const std::string text = dfc::dtcp::sign(
        "ADD DTCP/0.7\r\n" + params + "Flags: Static\r\nCsource-ID: cs1\r\nSeq: " + std::to_string(++seq) + "\r\n", "k1");
    dfc::Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.50";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = 2400;
    p.t_arrival_ps = now_ps();
    sb.on_request(now_ps(), "cs1", text);
    fw->on_packet(p);
    int replies = 0;
    for (const auto& r : hal.sent)
      if (r.unit == dfc::Unit::Control && r.dst_port == 5000) {
        const std::string s(r.data.begin(), r.data.end());
        EXPECT_NE(s.find(" 200 OK"), std::string::npos) << s;
        sb.on_reply(now_ps(), "cs1", s);
        ++replies;
      }
    EXPECT_EQ(replies, 1);
    hal.sent.clear();
    hal.advance(1'000'000);
  }

  // A monitored packet through the firmware, as the host reports it; returns its index in
  // arrival order (why.jsonl's "packet").
  uint64_t send(dfc::Packet p, bool tx_full = false) {
    p.unit = dfc::Unit::Monitor;
    p.id = next_id++;
    p.t_arrival_ps = now_ps();
    why.on_arrival(p);
    hal.tx_full = tx_full;
    fw->on_packet(p);
    hal.tx_full = false;
    for (const auto& c : hal.sent)
      if (c.unit == dfc::Unit::Copies) {
        sb.on_copy(c, now_ps());
        why.on_copy(c, now_ps());
      }
    hal.sent.clear();
    for (const auto& c : hal.refused) sb.on_copy_dropped(c, "tx_ring_full");
    hal.refused.clear();
    sb.on_packet(p, now_ps(), now_ps());
    why.on_processed(p.id, now_ps(), now_ps());
    hal.advance(1'000'000);
    return arrivals++;
  }

  // A monitored packet the card dropped before the firmware saw it, reported as the host's
  // drop sink reports the card model's drop.
  uint64_t drop_at_ingress(dfc::Packet p, const char* reason) {
    p.unit = dfc::Unit::Monitor;
    p.id = next_id++;
    p.t_arrival_ps = now_ps();
    why.on_arrival(p);
    why.on_ingress_drop(p.id, reason);
    sb.on_packet(p, 0, 0);
    sb.on_packet_dropped(p.id, reason);
    hal.advance(1'000'000);
    return arrivals++;
  }

  // why.jsonl as written, one JSON object per selected packet.
  std::vector<json> lines() const {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("why_reasons_" + std::to_string(::getpid()) + ".jsonl")).string();
    why.write(path);
    std::vector<json> v;
    std::ifstream f(path);
    for (std::string line; std::getline(f, line);) v.push_back(json::parse(line));
    std::remove(path.c_str());
    return v;
  }

  dfc::tb::Scoreboard::Result finish() {
    const auto& ps = fw->pipeline_stats();
    sb.on_copy_drops({{"copies_max_duplicates", ps.copies_dropped_max_duplicates},
                      {"copies_tx_queue_full", ps.copies_dropped_tx_queue},
                      {"copies_unknown_destination", ps.copies_dropped_unknown_destination}});
    sb.on_end(now_ps());
    return sb.finish();
  }
};

dfc::Packet udp_to(const char* dst) {
  dfc::tb::FlowSpec f;
  f.src = "10.5.5.5";
  f.dst = dst;
  f.proto = 17;
  f.dport = 53;
  f.frame_len = 128;
  return dfc::tb::build_packet(f);
}

// The drop reasons of one why.jsonl line, by destination.
std::map<std::string, std::string> drops(const json& line) {
  std::map<std::string, std::string> out;
  for (const auto& c : line.value("copies", json::array()))
    if (c.contains("drop")) out[c["cdest"].get<std::string>()] = c["drop"].get<std::string>();
  return out;
}
std::vector<std::string> sent(const json& line) {
  std::vector<std::string> out;
  for (const auto& c : line.value("copies", json::array()))
    if (c.value("sent", false)) out.push_back(c["cdest"].get<std::string>());
  return out;
}

uint64_t predicted_maxdup(const dfc::tb::Scoreboard::Result& r) {
  return r.coverage["max_duplicates"].value("predicted_drops", uint64_t{0});
}

// A packet matching criteria to d1 (priority 1) and d2 (priority 5) with max-duplicates 1:
// d2's copy is dropped for max-duplicates. The reference predicts that one drop and the d1
// copy, and nothing missing that a refused transmit would explain.
TEST(WhyReasons, MaxDuplicatesDropIsNamedMaxDuplicates) {
  WhyRig r;
  r.add("Cdest-ID: d1\r\nDest-Address: 10.1.1.1\r\nPriority: 1\r\n");
  r.add("Cdest-ID: d2\r\nDest-Address: 10.1.1.1\r\nPriority: 5\r\n");
  const uint64_t k = r.send(udp_to("10.1.1.1"));
  const auto lines = r.lines();
  ASSERT_EQ(lines.size(), 1u);
  const json& line = lines[k];
  EXPECT_EQ(line["packet"], k);
  EXPECT_EQ(sent(line), (std::vector<std::string>{"d1"})) << line.dump();
  EXPECT_EQ(drops(line), (std::map<std::string, std::string>{{"d2", "max_duplicates"}})) << line.dump();
  EXPECT_EQ(line["decision"], "1 copy made, 1 dropped (max_duplicates)") << "made and dropped counted apart";
  const auto res = r.finish();
  EXPECT_TRUE(res.pass) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(predicted_maxdup(res), 1u) << "the reference drops d2's copy for max-duplicates too";
  EXPECT_EQ(res.predicted_copies, 1u);
  EXPECT_EQ(res.matched_copies, 1u);
  EXPECT_EQ(res.explained_missing, 0u) << "no copy the reference expects was refused";
}

// The same criterion's copy refused by a full transmit queue: tx_queue_full. The reference
// predicts the copy (no max-duplicates drop) and counts it missing-but-explained by the
// card's refusal of that very copy.
TEST(WhyReasons, RefusedTransmitIsNamedTxQueueFull) {
  WhyRig r;
  r.add("Cdest-ID: d1\r\nDest-Address: 10.1.1.1\r\nPriority: 1\r\n");
  const uint64_t ok = r.send(udp_to("10.1.1.1"));
  const uint64_t k = r.send(udp_to("10.1.1.1"), /*tx_full=*/true);
  const auto lines = r.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(sent(lines[ok]), (std::vector<std::string>{"d1"}));
  EXPECT_TRUE(drops(lines[ok]).empty()) << lines[ok].dump();
  EXPECT_TRUE(sent(lines[k]).empty()) << lines[k].dump();
  EXPECT_EQ(drops(lines[k]), (std::map<std::string, std::string>{{"d1", "tx_queue_full"}})) << lines[k].dump();
  const auto res = r.finish();
  EXPECT_TRUE(res.pass) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(predicted_maxdup(res), 0u) << "the reference sees no max-duplicates drop";
  EXPECT_EQ(res.predicted_copies, 2u);
  EXPECT_EQ(res.matched_copies, 1u);
  EXPECT_EQ(res.explained_missing, 1u) << "the refused copy";
}

// A packet no criterion matches: "no criterion matches", no copies, no drops; the reference
// predicts no copy for it (the one it predicts belongs to the matching packet).
TEST(WhyReasons, UnmatchedPacketIsNamedNoCriterion) {
  WhyRig r;
  r.add("Cdest-ID: d1\r\nDest-Address: 10.1.1.1\r\n");
  const uint64_t hit = r.send(udp_to("10.1.1.1"));
  const uint64_t k = r.send(udp_to("10.1.1.2"));
  const auto lines = r.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[hit]["decision"], "1 copy made");
  EXPECT_EQ(lines[k]["decision"], "no criterion matches") << lines[k].dump();
  EXPECT_EQ(lines[k]["parsed"]["intercepted"], true);
  EXPECT_TRUE(lines[k]["criteria"].empty());
  EXPECT_TRUE(lines[k]["copies"].empty());
  const auto res = r.finish();
  EXPECT_TRUE(res.pass) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(res.predicted_copies, 1u) << "only the matching packet's copy";
  EXPECT_EQ(predicted_maxdup(res), 0u);
  EXPECT_EQ(res.explained_missing, 0u);
}

// Frames the parser does not intercept, each with its own reason, against the reference
// parser's classification of the same bytes (testbench/checker/refmodel_packet.cpp).
TEST(WhyReasons, NotInterceptedFramesNameTheParserReason) {
  WhyRig r;
  r.add("Cdest-ID: d1\r\n");  // matches every IP packet: only parsing keeps these from a copy
  dfc::Packet ip = udp_to("10.1.1.1");
  std::map<std::string, dfc::Packet> frames;
  frames["non_ip"] = ip, frames["non_ip"].data[12] = 0x08, frames["non_ip"].data[13] = 0x06;  // ARP
  frames["mpls"] = ip, frames["mpls"].data[12] = 0x88, frames["mpls"].data[13] = 0x47;
  frames["truncated"] = ip, frames["truncated"].data.resize(10);             // Ethernet header cut
  frames["bad_ip_header"] = ip, frames["bad_ip_header"].data[14] = 0x43;    // IHL 3 (< 5)
  // The reference's own kind for each (NotIp, Mpls, Bad).
  const std::map<std::string, dfc::tb::ref::ParsedPacket::Kind> ref_kind = {
      {"non_ip", dfc::tb::ref::ParsedPacket::NotIp},
      {"mpls", dfc::tb::ref::ParsedPacket::Mpls},
      {"truncated", dfc::tb::ref::ParsedPacket::Bad},
      {"bad_ip_header", dfc::tb::ref::ParsedPacket::Bad}};
  std::map<std::string, uint64_t> index;
  for (const auto& [reason, f] : frames) {
    EXPECT_EQ(dfc::tb::ref::parse_packet(f).kind, ref_kind.at(reason)) << reason;
    index[reason] = r.send(f);
  }
  const auto lines = r.lines();
  ASSERT_EQ(lines.size(), frames.size());
  for (const auto& [reason, k] : index) {
    const json& line = lines[k];
    EXPECT_EQ(line["parsed"]["intercepted"], false) << line.dump();
    EXPECT_EQ(line["parsed"]["not_intercepted"], reason) << line.dump();
    EXPECT_EQ(line["decision"], "not intercepted: " + reason) << line.dump();
    EXPECT_FALSE(line.contains("copies")) << line.dump();
  }
  const auto res = r.finish();
  EXPECT_TRUE(res.pass) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(res.predicted_copies, 0u) << "the reference copies none of them";
  EXPECT_EQ(res.coverage["packets"].value("not_ip", uint64_t{0}), 1u);
  EXPECT_EQ(res.coverage["packets"].value("mpls", uint64_t{0}), 1u);
  EXPECT_EQ(res.coverage["packets"].value("bad_Ethernet header truncated", uint64_t{0}), 1u);
  EXPECT_EQ(res.coverage["packets"].value("bad_IPv4 IHL < 5", uint64_t{0}), 1u);
}

// A packet dropped before the firmware (the card's ingress buffer full): the line says so and
// has no firmware decision; the reference excuses the copy it would otherwise expect, and
// files the packet under that drop reason.
TEST(WhyReasons, IngressDropIsNamedWithTheCardsReason) {
  WhyRig r;
  r.add("Cdest-ID: d1\r\nDest-Address: 10.1.1.1\r\n");
  const uint64_t k = r.drop_at_ingress(udp_to("10.1.1.1"), "ingress_buffer_full");
  const uint64_t after = r.send(udp_to("10.1.1.1"));
  const auto lines = r.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[k]["ingress_drop"], "ingress_buffer_full") << lines[k].dump();
  EXPECT_EQ(lines[k]["decision"], "dropped before the firmware: ingress_buffer_full");
  EXPECT_FALSE(lines[k].contains("copies"));
  EXPECT_FALSE(lines[after].contains("ingress_drop"));
  EXPECT_EQ(sent(lines[after]), (std::vector<std::string>{"d1"}));
  const auto res = r.finish();
  EXPECT_TRUE(res.pass) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(res.explained_missing, 1u) << "the dropped packet's copy";
  EXPECT_EQ(res.coverage["packets"].value("dropped_ingress_buffer_full", uint64_t{0}), 1u);
  EXPECT_EQ(predicted_maxdup(res), 0u);
}

// The WhyLog on its own: a replayed packet carries its capture frame (1-based) and time, an
// IPv6 address is printed in RFC 5952's compressed form, and a copy the firmware sent but the
// card dropped on the way out is shown dropped, with the decision's counts following.
TEST(WhyReasons, CaptureFrameTimeCompressedIpv6AndEgressDrops) {
  namespace fs = std::filesystem;
  const fs::path out = fs::temp_directory_path() / ("dfc_why_log_" + std::to_string(::getpid()) + ".jsonl");
  dfc::tb::WhyLog w("ip6");
  dfc::Packet p;
  p.link = dfc::LinkType::RawIp;
  p.data.assign(48, 0);
  p.data[0] = 0x60, p.data[5] = 8, p.data[6] = 17, p.data[7] = 64;  // IPv6, 8 bytes of UDP
  p.data[8] = 0x20, p.data[9] = 0x01, p.data[10] = 0x0d, p.data[11] = 0xb8, p.data[23] = 1;  // 2001:db8::1
  p.data[24] = 0xff, p.data[25] = 0x02, p.data[39] = 0x0c;                                    // ff02::c
  p.data[40] = 0x9c, p.data[41] = 0x40, p.data[43] = 53, p.data[45] = 8;
  p.id = 7, p.t_arrival_ps = 5'000'000;
  p.capture_frame = 12, p.capture_ns = 1'700'000'000'123'456'789ull;
  w.on_arrival(p);
  dfc::fw::PacketTrace t;
  t.packet_id = 7;
  t.parsed = dfc::fw::parse_packet(p);
  t.flow = "miss";
  t.criteria.push_back({});
  t.copies = {{"a", "sent"}, {"b", "sent"}};
  w.on_trace(t);
  dfc::Packet copy;
  copy.id = 7, copy.cdest_id = "b";
  w.on_copy_dropped(copy, "egress_queue_full");
  w.write(out.string());
  std::ifstream f(out);
  std::string line;
  ASSERT_TRUE(std::getline(f, line));
  const json j = json::parse(line);
  EXPECT_EQ(j["frame"], 12) << "the capture's record number, as tshark counts frames";
  EXPECT_EQ(j["time"], "1700000000.123456789");
  EXPECT_EQ(j["parsed"]["src"], "2001:db8::1");
  EXPECT_EQ(j["parsed"]["dst"], "ff02::c");
  EXPECT_EQ(j["copies"][1]["drop"], "egress_queue_full") << j.dump();
  EXPECT_FALSE(j["copies"][1].contains("sent"));
  EXPECT_EQ(j["decision"], "1 copy made, 1 dropped (egress_queue_full)");
  fs::remove(out);
}

}  // namespace why_reasons_test
