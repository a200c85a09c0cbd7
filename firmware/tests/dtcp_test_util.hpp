// Shared fixture of the DTCP server tests: a two-group configuration (the groups share
// content-destination ids and a control-source id), the fake HAL with the
// reference classifier behind the real driver, and a tiny client that signs requests and
// verifies replies/notifications.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "fake_hal.hpp"

namespace dtcp_test {

using dfc::Packet;
using dfc::dtcp::Message;
using KV = std::vector<std::pair<std::string, std::string>>;

inline const char* kConfig = R"(
/* test configuration */
services {
  dynamic-flow-capture {
    g-max-duplicates 3;
    g-duplicates-dropped-periodicity 30;
    capture-group g1 {
      interfaces dfc-0/0/0;
      control-source cs1 {
        source-addresses [ 10.0.0.1 10.0.0.5 ];
        service-port 2400;
        shared-key "secret1";
        notification-targets {
          10.0.0.1 port 2100;
          10.0.0.9 port 2101;
        }
        minimum-priority 10;
      }
      control-source cs2 {
        source-addresses 10.0.0.2;
        service-port 2400;
        shared-key "secret2";
        notification-targets 10.0.0.2 port 2100;
        allowed-destinations cd1;
      }
      control-source csrc_a {
        service-port 2400;
        shared-key secret;
        notification-targets 10.0.0.3 port 2100;
      }
      content-destination cd1 { address 10.9.0.1; ttl 64; }
      content-destination cd2 {
        address 10.9.0.2;
        soft-limit 8k;
        soft-limit-clear 4k;
        hard-limit 16k;
        hard-limit-target 12k;
      }
      content-destination cdst_b { address 10.9.0.3; }
    }
    /* A second group that reuses the destination ids cd1/cd2 (other addresses, other
       max-duplicates) and the control-source id cs1 (told apart by service-port). */
    capture-group g2 {
      interfaces dfc-0/0/1;
      max-duplicates 1;
      control-source cs3 {
        source-addresses 10.0.1.3;
        service-port 2400;
        shared-key "secret3";
        notification-targets 10.0.1.3 port 2100;
      }
      control-source cs1 {
        source-addresses 10.0.1.1;
        service-port 2402;
        shared-key "secret1-g2";
        notification-targets 10.0.1.1 port 2100;
      }
      content-destination cd1 { address 10.9.1.1; ttl 32; }
      content-destination cd2 { address 10.9.1.2; soft-limit 80k; }
    }
  }
}
)";

struct Src {
  std::string id, key, ip;
  uint16_t port = 5555;
};

// A request from s to the card's control address, as the card's receive path hands it over.
inline Packet datagram_from(const Src& s, const std::string& bytes, uint16_t dst_port = 2400) {
  Packet p;
  p.unit = dfc::Unit::Control;
  p.data.assign(bytes.begin(), bytes.end());
  p.src_ip = s.ip;
  p.src_port = s.port;
  p.dst_ip = "10.1.0.0";
  p.dst_port = dst_port;
  return p;
}

class ServerTest : public ::testing::Test {
 protected:
  explicit ServerTest(uint32_t depth = 1024, dfc::dtcp::Server::Options opt = {})
      : cfg(dfc::config::parse_config(kConfig, "test.conf")), hal(depth), cls(hal), srv(cfg, hal, cls, opt) {
    hal.advance_to(1'000'000'000ull);
  }

  Src cs1{"cs1", "secret1", "10.0.0.1"};
  Src cs2{"cs2", "secret2", "10.0.0.2"};
  Src csa{"csrc_a", "secret", "10.0.0.3"};  // no source-addresses configured: any address
  Src cs3{"cs3", "secret3", "10.0.1.3"};        // group g2
  Src cs1g2{"cs1", "secret1-g2", "10.0.1.1"};   // g2's cs1 (service-port 2402)
  uint64_t seq1 = 1000, seq2 = 5000, seqa = 100, seq3 = 7000, seq1g2 = 9000;

  uint64_t& seq_of(const Src& s) {
    if (s.key == "secret1-g2") return seq1g2;
    return s.id == "cs2" ? seq2 : s.id == "csrc_a" ? seqa : s.id == "cs3" ? seq3 : seq1;
  }
  uint16_t port_of(const Src& s) const { return s.key == "secret1-g2" ? 2402 : 2400; }

  // Builds and signs a request: method line, params, then Csource-ID and Seq.
  std::string build(const Src& s, const std::string& method, const KV& params, uint64_t seq,
                    const std::string& version = "DTCP/0.7") {
    std::string m = method + " " + version + "\r\n";
    for (const auto& [n, v] : params) m += n + ": " + v + "\r\n";
    m += "Csource-ID: " + s.id + "\r\nSeq: " + std::to_string(seq) + "\r\n";
    return dfc::dtcp::sign(m, s.key);
  }

  // The datagram a control source sends to the card's service port.
  static Packet datagram(const Src& s, const std::string& bytes, uint16_t dst_port = 2400) {
    return datagram_from(s, bytes, dst_port);
  }

  void deliver(const Src& s, const std::string& bytes, uint16_t dst_port = 2400) {
    srv.on_datagram(datagram(s, bytes, dst_port));
  }

  // Sends a request with the next Seq and returns the (single) verified reply; notifications
  // stay in `notes`.
  Message request(const Src& s, const std::string& method, const KV& params = {},
                  const std::string& version = "DTCP/0.7") {
    uint64_t seq = ++seq_of(s);
    deliver(s, build(s, method, params, seq, version), port_of(s));
    auto replies = collect(s);
    EXPECT_EQ(replies.size(), 1u) << method;
    if (replies.empty()) return Message{};
    EXPECT_EQ(replies[0].get("Seq").value_or(""), std::to_string(seq));
    return replies[0];
  }

  // Moves hal.sent into replies (to s) and notes (everything else); verifies signatures.
  std::vector<Message> collect(const Src& s) {
    std::vector<Message> replies;
    for (auto& p : hal.sent) {
      std::string text(p.data.begin(), p.data.end());
      EXPECT_EQ(p.unit, dfc::Unit::Control);
      if (p.dst_ip == s.ip && p.dst_port == s.port) {
        EXPECT_EQ(p.src_ip, "10.1.0.0");
        EXPECT_EQ(p.src_port, port_of(s));
        auto m = dfc::dtcp::parse_and_verify(text, s.key);
        EXPECT_TRUE(m) << text;
        if (m) replies.push_back(*m);
      } else {
        notes.push_back(std::move(p));
      }
    }
    hal.sent.clear();
    return replies;
  }

  // Notifications sent so far that verify with key (others are discarded); clears them.
  std::vector<std::pair<Packet, Message>> take_notes(const std::string& key) {
    for (auto& p : hal.sent) notes.push_back(std::move(p));
    hal.sent.clear();
    std::vector<std::pair<Packet, Message>> out;
    for (auto& p : notes) {
      std::string text(p.data.begin(), p.data.end());
      auto m = dfc::dtcp::parse_and_verify(text, key);  // other sources' notes don't verify
      if (m) out.emplace_back(p, *m);
    }
    notes.clear();
    return out;
  }

  uint32_t add_ok(const Src& s, const KV& params) {
    Message r = request(s, "ADD", params);
    EXPECT_EQ(r.status, 200) << r.first_line << " " << (r.params.empty() ? "" : r.params[0].name + ": " + r.params[0].value);
    return static_cast<uint32_t>(std::stoul(r.get("Criteria-ID").value_or("0")));
  }

  // One packet of `bytes` that matched only this rule's criterion, reported as the pipeline
  // does: one copy to its destination, one hit on the criterion.
  void traffic(dfc::fw::RuleId rule, uint32_t bytes) {
    srv.account_copy(rule, bytes);
    srv.account_hit(rule, bytes);
  }

  // Rules the classifier returns for a header, mapped to criteria ids.
  std::vector<uint32_t> matches(const dfc::fw::FlowKey& k) {
    std::vector<uint32_t> out;
    for (auto rule : cls.classify(k.words()))
      if (auto* c = srv.criterion_for_rule(rule)) out.push_back(c->criteria_id);
    return out;
  }

  const dfc::dtcp::ControlSourceStats cs_stats(const std::string& id) {
    for (auto& s : srv.control_source_stats())
      if (s.id == id) return s;
    ADD_FAILURE() << "no control source " << id;
    return {};
  }

  dfc::config::DfcConfig cfg;
  dfc::test::FakeHal hal;
  dfc::fw::ClassifierDriver cls;
  dfc::dtcp::Server srv;
  std::vector<Packet> notes;
};

inline dfc::fw::FlowKey v4(const char* src, const char* dst, uint8_t proto, uint16_t sport = 0, uint16_t dport = 0) {
  dfc::fw::FlowKey k;
  k.src = *dfc::dtcp::parse_ipv4(src);
  k.dst = *dfc::dtcp::parse_ipv4(dst);
  k.proto = proto;
  if (proto == 6 || proto == 17 || proto == 132) {
    k.has_ports = true;
    k.sport = sport;
    k.dport = dport;
  }
  return k;
}

inline dfc::fw::FlowKey icmp4(const char* src, const char* dst, uint8_t type, uint8_t code) {
  dfc::fw::FlowKey k;
  k.src = *dfc::dtcp::parse_ipv4(src);
  k.dst = *dfc::dtcp::parse_ipv4(dst);
  k.proto = 1;
  k.has_icmp = true;
  k.icmp_type = type;
  k.icmp_code = code;
  return k;
}

inline dfc::fw::FlowKey v6(const char* src, const char* dst, uint8_t proto, uint16_t sport = 0, uint16_t dport = 0) {
  dfc::fw::FlowKey k;
  k.v6 = true;
  k.src = *dfc::dtcp::parse_ipv6(src);
  k.dst = *dfc::dtcp::parse_ipv6(dst);
  k.proto = proto;
  if (proto == 6 || proto == 17) {
    k.has_ports = true;
    k.sport = sport;
    k.dport = dport;
  }
  return k;
}

}  // namespace dtcp_test
