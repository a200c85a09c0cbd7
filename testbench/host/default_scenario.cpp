// The built-in default scenario: one control source installs one criterion over DTCP, then
// a handful of packets arrive, some matching it and some not. Small enough to read the
// outputs by eye; used by the README's first command and the integration test.
#include "host/harness.hpp"
#include "stimulus/packet_builder.hpp"

namespace dfc::tb {

RunOptions default_scenario() {
  RunOptions o;
  o.sim.config_name = "<built-in default config>";
  o.sim.config_text = R"(services {
    dynamic-flow-capture {
        g-max-duplicates 3;
        capture-group g1 {
            interfaces dfc-0/0/0;
            control-source cs1 {
                source-addresses 10.36.41.1;
                service-port 2400;
                notification-targets {
                    10.36.41.1 port 2100;
                }
                shared-key "dfcsim-default-key";
                allowed-destinations cd1;
            }
            content-destination cd1 {
                address 10.36.70.2;
                ttl 244;
            }
        }
    }
}
)";
  o.dtcp_name = "<built-in default DTCP>";
  o.dtcp_requests.push_back(
      "ADD DTCP/0.7\r\n"
      "Csource-ID: cs1\r\n"
      "Cdest-ID: cd1\r\n"
      "Source-Address: 192.168.10.4\r\n"
      "Dest-Address: 10.1.1.1-10.1.1.10\r\n"
      "Protocol: 6,17\r\n"
      "Dest-Port: 53\r\n"
      "Timeout-Idle: 600\r\n"
      "Priority: 2\r\n"
      "Flags: SendAsync\r\n");
  // Ten packets, one every microsecond: 4 match (UDP and TCP to port 53 of 10.1.1.1-10),
  // 6 do not (wrong source, destination outside the range, wrong port, ICMP, IPv6, ARP-free).
  struct P {
    const char *src, *dst;
    uint8_t proto;
    uint16_t sport, dport;
    size_t len;
  };
  const P pk[] = {
      {"192.168.10.4", "10.1.1.1", 17, 40000, 53, 80},     // match
      {"192.168.10.5", "10.1.1.1", 17, 40000, 53, 80},     // other source
      {"192.168.10.4", "10.1.1.10", 6, 40001, 53, 120},    // match (TCP, range end)
      {"192.168.10.4", "10.1.1.11", 17, 40000, 53, 80},    // beyond the range
      {"192.168.10.4", "10.1.1.5", 17, 40002, 54, 80},     // wrong port
      {"192.168.10.4", "10.1.1.5", 1, 8, 0, 98},           // ICMP echo
      {"192.168.10.4", "10.1.1.7", 17, 5353, 53, 300},     // match
      {"2001:db8::4", "2001:db8::1", 17, 40000, 53, 100},  // IPv6
      {"192.168.10.4", "10.1.1.2", 6, 40003, 53, 1500},    // match (full-size)
      {"10.9.9.9", "10.1.1.3", 6, 40004, 53, 64},          // other source
  };
  uint64_t t = 0;
  uint64_t seq = 1;
  for (const P& x : pk) {
    FlowSpec f;
    f.src = x.src;
    f.dst = x.dst;
    f.proto = x.proto;
    f.sport = x.sport;
    f.dport = x.dport;
    f.frame_len = x.len;
    Packet p = build_packet(f, seq);
    p.id = seq++;
    p.t_arrival_ps = t;
    t += 1'000'000;  // 1 us
    o.traffic.push_back(std::move(p));
  }
  o.drain_ps = 10'000'000;  // 10 us
  return o;
}

}  // namespace dfc::tb
