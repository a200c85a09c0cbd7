// libFuzzer target: the monitored-packet path through the firmware's real entry point,
// Firmware::on_packet, on the fake HAL with criteria installed by signed DTCP ADDs (so the
// parser's key reaches the classifier, the flow table, copy selection and IP-IP encapsulation).
// Input byte 0 selects the link type (bit 0: Ethernet / raw IP) and whether time advances and
// the firmware timer fires between deliveries (bit 1); the rest is the frame. Each frame is
// delivered twice (flow-table miss, then hit). Invariants checked on every input:
//  * every packet ends in exactly one outcome (intercepted-or-not accounting adds up);
//  * every copy is a well-formed IPv4 IP-IP packet whose inner datagram is a prefix-exact
//    copy of the frame's IP datagram and fits inside the frame.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/fw/packet_parse.hpp"
#include "fake_hal.hpp"

namespace {

const char* kConfig = R"(dynamic-flow-capture {
  capture-group g {
    control-source fz {
      source-addresses 10.0.0.1;
      service-port 2400;
      shared-key "fuzzkey";
      notification-targets 10.0.0.1 port 2100;
    }
    content-destination cd1 { address 10.9.0.1; }
    content-destination cd2 { address 10.9.0.2; ttl 9; }
    content-destination cd3 { address 10.9.0.3; }
  }
})";

// Criteria forms the parser's fields can reach: IPv4 and IPv6 addresses, ports, ICMP, any.
const char* kAdds[] = {
    "Source-Address: 10.0.0.0/8\r\nProtocol: 17\r\nDest-Port: 53\r\nCdest-ID: cd1\r\n",
    "Dest-Address: 192.168.0.0/16\r\nProtocol: 6\r\nCdest-ID: cd2\r\n",
    "Source-Address: 2001:db8::/32\r\nCdest-ID: cd3\r\n",
    "Protocol: 1\r\nICMP-Type: 8\r\nCdest-ID: cd1\r\n",
    "Protocol: 58\r\nCdest-ID: cd2\r\n",
    "Source-Port: 1000-2000\r\nCdest-ID: cd3\r\nPriority: 2\r\n",
};

struct Rig {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kConfig, "fuzz.conf");
  dfc::test::FakeHal hal{256};
  std::unique_ptr<dfc::fw::Firmware> fw;
  Rig() {
    hal.advance_to(1'000'000'000ull);
    fw = std::make_unique<dfc::fw::Firmware>(cfg, hal);
    uint64_t seq = 10;
    for (const char* a : kAdds) {
      std::string m = std::string("ADD DTCP/0.7\r\n") + a + "Timeout-Idle: 3600\r\nCsource-ID: fz\r\nSeq: " +
                      std::to_string(++seq) + "\r\n";
      m = dfc::dtcp::sign(m, "fuzzkey");
      dfc::Packet p;
      p.unit = dfc::Unit::Control;
      p.data.assign(m.begin(), m.end());
      p.src_ip = "10.0.0.1";
      p.src_port = 5555;
      p.dst_ip = "10.1.0.0";
      p.dst_port = 2400;
      fw->on_packet(p);
    }
    if (fw->server().criteria().size() != sizeof(kAdds) / sizeof(kAdds[0])) __builtin_trap();
    hal.sent.clear();
  }
};

uint64_t outcomes(const dfc::fw::PipelineStats& s) {
  uint64_t n = s.packets_matched + s.packets_unmatched;
  for (const auto& [k, v] : s.not_intercepted) n += v;
  return n;
}

void check_copy(const dfc::Packet& c, const dfc::Packet& in, const dfc::fw::ParsedPacket& pp) {
  if (c.unit != dfc::Unit::Copies || c.data.size() < 20) __builtin_trap();
  const uint8_t* o = c.data.data();
  if (o[0] != 0x45 || (o[9] != 4 && o[9] != 41)) __builtin_trap();  // IPv4 outer, IP-in-IP
  const size_t tot = (size_t{o[2]} << 8) | o[3];
  if (tot != c.data.size() || tot - 20 != pp.ip_length) __builtin_trap();
  if (pp.ip_offset + pp.ip_length > in.data.size()) __builtin_trap();
  for (size_t i = 0; i < pp.ip_length; ++i)
    if (c.data[20 + i] != in.data[pp.ip_offset + i]) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Rig* rig = new Rig();  // criteria installed once; the flow table carries over
  if (size < 1) return 0;
  dfc::Packet p;
  p.unit = dfc::Unit::Monitor;
  p.link = (data[0] & 1) ? dfc::LinkType::Ethernet : dfc::LinkType::RawIp;
  p.data.assign(data + 1, data + size);
  const auto pp = dfc::fw::parse_packet(p);
  for (int round = 0; round < 2; ++round) {
    const uint64_t before = outcomes(rig->fw->pipeline_stats());
    rig->fw->on_packet(p);
    if (outcomes(rig->fw->pipeline_stats()) != before + 1) __builtin_trap();
    for (const auto& c : rig->hal.sent) check_copy(c, p, pp);
    if (!rig->hal.sent.empty() && pp.outcome != dfc::fw::ParseOutcome::Ip) __builtin_trap();
    rig->hal.sent.clear();
    if (data[0] & 2) {
      rig->hal.advance(250'000'000ull);
      if (rig->hal.timer_due()) rig->fw->on_timer();
      rig->hal.sent.clear();  // notifications
    }
  }
  return 0;
}
