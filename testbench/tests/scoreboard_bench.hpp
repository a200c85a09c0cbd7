// Shared by the scoreboard tests: a bench that drives a Scoreboard like the harness would, with
// DTCP requests/replies written as text and copies built by its own IP-IP encoder.
#pragma once
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "stimulus/packet_builder.hpp"
#include "checker/refmodel.hpp"
#include "checker/scoreboard.hpp"

namespace sbtest {
using dfc::LinkType;
using dfc::Packet;
using dfc::tb::FlowSpec;
using dfc::tb::Scoreboard;
using dfc::tb::ScoreboardConfig;

inline constexpr uint64_t kUs = 1'000'000, kMs = 1'000'000'000, kS = 1'000'000'000'000;

inline ScoreboardConfig config(uint32_t max_dup = 3) {
  ScoreboardConfig c;
  auto cd = [&](const char* id, uint32_t address, uint8_t ttl) {
    c.cdests[id].address = address, c.cdests[id].ttl = ttl, c.cdests[id].id = id;
  };
  cd("cd1", 0x0a090001, 200);
  cd("cd2", 0x0a090002, 255);
  cd("cd3", 0x0a090003, 64);
  cd("cd4", 0x0a090004, 1);
  c.csources["cs1"].has_notification_targets = true;
  c.csources["cs2"].minimum_priority = 5;
  c.csources["cs2"].has_notification_targets = true;
  c.max_duplicates = max_dup;
  return c;
}

inline uint16_t rd16(const std::vector<uint8_t>& d, size_t at) { return static_cast<uint16_t>((d[at] << 8) | d[at + 1]); }
inline void put16(std::vector<uint8_t>& d, size_t at, uint32_t v) {
  d[at] = static_cast<uint8_t>(v >> 8);
  d[at + 1] = static_cast<uint8_t>(v);
}
inline uint16_t csum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>((p[i] << 8) | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}
inline size_t ip_offset(const Packet& p) {
  if (p.link != LinkType::Ethernet) return 0;
  size_t off = 14;
  while (rd16(p.data, off - 2) == 0x8100) off += 4;
  return off;
}
inline void fix_ipv4_checksum(Packet& p) {
  const size_t o = ip_offset(p);
  put16(p.data, o + 10, 0);
  put16(p.data, o + 10, csum(p.data.data() + o, static_cast<size_t>(p.data[o] & 15) * 4));
}

// The copy the card should send: fresh outer IPv4 header + the original IP datagram.
inline Packet ipip(const Packet& p, const std::string& cdest, const ScoreboardConfig& cfg, uint16_t ip_id = 0x1234) {
  const size_t o = ip_offset(p);
  const bool v6 = (p.data[o] >> 4) == 6;
  const size_t len = v6 ? 40u + rd16(p.data, o + 4) : rd16(p.data, o + 2);
  const auto& cd = cfg.cdests.at(cdest);
  std::vector<uint8_t> d(20, 0);
  d[0] = 0x45;
  put16(d, 2, static_cast<uint32_t>(20 + len));
  put16(d, 4, ip_id);
  d[8] = cd.ttl;
  d[9] = v6 ? 41 : 4;
  put16(d, 12, cfg.copy_source >> 16);
  put16(d, 14, cfg.copy_source & 0xffff);
  put16(d, 16, cd.address >> 16);
  put16(d, 18, cd.address & 0xffff);
  put16(d, 10, csum(d.data(), 20));
  d.insert(d.end(), p.data.begin() + static_cast<std::ptrdiff_t>(o),
           p.data.begin() + static_cast<std::ptrdiff_t>(o + len));
  Packet c;
  c.data = std::move(d);
  c.link = LinkType::RawIp;
  c.unit = dfc::Unit::Copies;
  c.id = p.id;
  c.cdest_id = cdest;
  return c;
}

// Drives a scoreboard like the harness would.
struct Bench {
  ScoreboardConfig cfg;
  Scoreboard sb;
  std::map<std::string, uint64_t> seq;
  uint64_t next_id = 1;
  explicit Bench(ScoreboardConfig c = config()) : cfg(c), sb(c) {}

  std::string request(const std::string& method, const std::string& cs, const std::string& params) {
    const uint64_t s = ++seq[cs];
    const std::string body = method + " DTCP/0.7\r\n" + params + "Csource-ID: " + cs + "\r\nSeq: " + std::to_string(s) + "\r\n";
    // Signed when the configuration gives the source a key (the scoreboard then checks it);
    // the digest is the reference's own, checked against RFC 2202 in test_scoreboard_answers.
    const auto k = cfg.csources.find(cs);
    const std::string auth = k != cfg.csources.end() && !k->second.shared_key.empty()
                                 ? dfc::tb::ref::hex(dfc::tb::ref::hmac_sha1(k->second.shared_key, body))
                                 : "0123456789012345678901234567890123456789";
    return body + "Authentication-Info: " + auth + "\r\n\r\n";
  }
  static std::string reply(int status, uint64_t s, const std::string& params) {
    return "DTCP/0.7 " + std::to_string(status) + (status == 200 ? " OK" : " Error") + "\r\n" + params +
           "Seq: " + std::to_string(s) +
           "\r\nTimestamp: 2026-01-01 00:00:00.000\r\nAuthentication-Info: "
           "0123456789012345678901234567890123456789\r\n\r\n";
  }
  // A request at t and its reply 10 us later.
  void exchange(uint64_t t, const std::string& method, const std::string& cs, const std::string& params,
                int status, const std::string& reply_params, uint64_t reply_delay = 10 * kUs) {
    sb.on_request(t, cs, request(method, cs, params));
    sb.on_reply(t + reply_delay, cs, reply(status, seq[cs], reply_params));
  }
  void add(uint64_t t, const std::string& cs, const std::string& params, uint64_t crit_id, int status = 200,
           uint64_t reply_delay = 10 * kUs) {
    exchange(t, "ADD", cs, params, status, status == 200 ? "Criteria-ID: " + std::to_string(crit_id) + "\r\n" : "",
             reply_delay);
  }
  void notify(uint64_t t, const std::string& cs, int code, const std::string& params) {
    sb.on_notification(t, cs,
                       "DTCP/0.7 " + std::to_string(code) + " Note\r\n" + params +
                           "Timestamp: 2026-01-01 00:00:00.000\r\nAuthentication-Info: "
                           "0123456789012345678901234567890123456789\r\n\r\n");
  }
  Packet packet(uint64_t t, FlowSpec f = {}) {
    Packet p = dfc::tb::build_packet(f, next_id);
    return stamp(t, std::move(p));
  }
  Packet stamp(uint64_t t, Packet p) {
    p.id = next_id++;
    p.t_arrival_ps = t;
    sb.on_packet(p);
    return p;
  }
  void copy(const Packet& p, const std::string& cdest, uint64_t delay = 5 * kUs) {
    sb.on_copy(ipip(p, cdest, cfg), p.t_arrival_ps + delay);
  }
  Scoreboard::Result finish() {
    auto r = sb.finish();
    for (const auto& e : r.errors) std::cout << "  [scoreboard] " << e << "\n";
    return r;
  }
};

inline FlowSpec flow(const std::string& src, const std::string& dst, uint8_t proto = 17, uint16_t sport = 1024,
              uint16_t dport = 80) {
  FlowSpec f;
  f.src = src, f.dst = dst, f.proto = proto, f.sport = sport, f.dport = dport, f.frame_len = 128;
  return f;
}

inline const std::string kStatic = "Flags: Static\r\n";

// Does any of the run's errors contain `what`?
inline bool has_error(const dfc::tb::Scoreboard::Result& r, const std::string& what) {
  for (const auto& e : r.errors)
    if (e.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace sbtest
