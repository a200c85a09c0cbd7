// libFuzzer target: the DTCP message parser, filter parsers, term builder and the whole
// server. The input is one or more requests separated by 0xFF bytes; each is fed raw to the
// parser, then completed with Csource-ID/Seq lines, signed with the control source's key and
// delivered to a fresh server (so the fuzzer gets past authentication), with time advancing,
// timers firing and hits accounted between requests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "fake_hal.hpp"

namespace {

const char* kConfig = R"(dynamic-flow-capture {
  capture-group g {
    control-source fz {
      source-addresses 10.0.0.1;
      service-port 2400;
      shared-key "fuzzkey";
      notification-targets 10.0.0.1 port 2100;
      allowed-destinations [ cd1 cd2 ];
      minimum-priority 3;
    }
    content-destination cd1 { address 10.9.0.1; }
    content-destination cd2 { address 10.9.0.2; soft-limit 800; hard-limit 1600; hard-limit-target 1000; }
  }
})";

const dfc::config::DfcConfig& config() {
  static const dfc::config::DfcConfig cfg = dfc::config::parse_config(kConfig, "fuzz.conf");
  return cfg;
}

void exercise_parsers(std::string_view in) {
  auto m = dfc::dtcp::parse_message(in);
  if (!m) return;
  (void)dfc::dtcp::verify(*m, in, "fuzzkey");
  for (const auto& p : m->params) {
    (void)dfc::dtcp::unescape(p.value);
    (void)dfc::dtcp::escape(p.value);
    std::string err;
    dfc::dtcp::CriteriaSpec s;
    if (auto f = dfc::dtcp::parse_ip_filter(p.value, true, &err)) s.src = *f;
    if (auto f = dfc::dtcp::parse_int_filter(p.value, 65535, &err)) s.dport = *f;
    if (auto f = dfc::dtcp::parse_int_filter(p.value, 255, &err)) s.icmp_type = *f;
    auto r = dfc::dtcp::build_terms(s, 64);
    dfc::dtcp::HeaderFields h;
    h.has_ports = true;
    h.dport = 53;
    (void)dfc::dtcp::terms_match(r.terms, h);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  dfc::test::FakeHal hal(64);
  dfc::fw::ClassifierDriver cls(hal);
  dfc::dtcp::Server srv(config(), hal, cls);
  uint64_t seq = 1000;
  size_t start = 0;
  int n = 0;
  while (start <= all.size() && n < 16) {
    size_t end = all.find('\xff', start);
    if (end == std::string_view::npos) end = all.size();
    const std::string_view chunk = all.substr(start, end - start);
    start = end + 1;
    ++n;
    exercise_parsers(chunk);
    std::string text(chunk);
    if (!text.empty() && text.back() != '\n') text += "\r\n";
    text += "Csource-ID: fz\r\nSeq: " + std::to_string(++seq) + "\r\n";
    const std::string msg = dfc::dtcp::sign(text, "fuzzkey");
    dfc::Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(msg.begin(), msg.end());
    p.src_ip = "10.0.0.1";
    p.src_port = 5555;
    p.dst_ip = "10.1.0.0";
    p.dst_port = 2400;
    srv.on_datagram(p);
    // Raw, unsigned delivery too (exercises the silent-drop paths).
    p.data.assign(chunk.begin(), chunk.end());
    srv.on_datagram(p);
    // Traffic and time.
    for (const auto& c : srv.criteria()) srv.account_hit(c.rule, static_cast<uint32_t>(100 + chunk.size()));
    if (!srv.criteria().empty()) srv.account_copy(srv.criteria().front().rule, static_cast<uint32_t>(100 + chunk.size()));
    hal.advance(static_cast<uint64_t>(chunk.size() % 7) * 1'000'000'000ull);
    if (hal.timer_due()) srv.on_timer();
    for (auto& out : hal.sent) {
      std::string_view t(reinterpret_cast<const char*>(out.data.data()), out.data.size());
      if (!dfc::dtcp::parse_and_verify(t, "fuzzkey")) __builtin_trap();  // every packet out is signed
    }
    hal.sent.clear();
  }
  (void)srv.control_source_stats();
  (void)srv.content_destination_stats();
  return 0;
}
