// The scoreboard's functional coverage: DTCP methods and status codes, criteria forms,
// packet kinds and multi-match depths (docs/scoreboard.md "Coverage").
#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

void Scoreboard::Impl::criteria_coverage(const Crit& c) {
  json& fc = cov["criteria_forms"];
  auto addr = [&](const char* field, const std::optional<std::vector<ref::AddrEntry>>& v) {
    if (!v) return;
    json& j = fc[field];
    auto inc = [&](const char* k) { bump(j, k, 1); };
    if (v->size() > 1) inc("list");
    for (const auto& e : *v) {
      static const char* names[] = {"single", "prefix", "range", "open_range", "wildcard"};
      inc(names[e.form]);
      if (e.neg) inc("negation");
      if (!e.wildcard) inc(e.v6 ? "ipv6" : "ipv4");
    }
  };
  auto num = [&](const char* field, const std::optional<std::vector<ref::IntEntry>>& v) {
    if (!v) return;
    json& j = fc[field];
    auto inc = [&](const char* k) { bump(j, k, 1); };
    if (v->size() > 1) inc("list");
    for (const auto& e : *v) {
      static const char* names[] = {"single", "range", "open_range", "wildcard"};
      inc(names[e.form]);
      if (e.neg) inc("negation");
    }
  };
  addr("Source-Address", c.f.src);
  addr("Dest-Address", c.f.dst);
  num("Protocol", c.f.proto);
  num("Source-Port", c.f.sport);
  num("Dest-Port", c.f.dport);
  num("ICMP-Type", c.f.itype);
  num("ICMP-Code", c.f.icode);
  json& k = cov["criteria"];
  auto inc = [&](const char* key) { bump(k, key, 1); };
  inc("accepted");
  if (c.f.sport || c.f.dport) inc("with_ports");
  if (c.f.itype || c.f.icode) inc("with_icmp");
  if (c.is_static) inc("static");
  if (c.send_async) inc("send_async");
  if (c.cdests.size() > 1) inc("multi_cdest");
  if (c.to_total) inc("timeout_total");
  if (c.to_idle) inc("timeout_idle");
  if (c.to_packets) inc("timeout_packets");
  if (c.to_bytes) inc("timeout_bytes");
}

void Scoreboard::Impl::packet_coverage(const Pkt& p, bool drop) {
  json& pk = cov["packets"];
  auto inc = [&](const std::string& k) { bump(pk, k, 1); };
  if (drop) inc("dropped_" + dropped.at(p.id));
  using K = ref::ParsedPacket;
  switch (p.pp.kind) {
    case K::NotIp: inc("not_ip"); break;
    case K::Mpls: inc("mpls"); break;
    case K::Bad: inc("bad_" + p.pp.why); break;
    case K::Undecided: inc("undecided"); break;
    case K::Ip:
      inc(p.pp.h.v6 ? "ipv6" : "ipv4");
      if (p.pp.vlan_tags) inc("vlan");
      if (p.pp.v6_ext_headers) inc("ipv6_ext_headers");
      if (p.pp.fragment) inc(p.pp.nonfirst ? "fragment_nonfirst" : "fragment_first");
      if (p.pp.h.has_ports) inc("with_ports");
      if (p.pp.h.has_icmp) inc("icmp");
      break;
  }
}

void Scoreboard::Impl::depth_coverage(const std::vector<size_t>& present) {
  bump(cov["multi_match_depth"]["criteria"], std::to_string(present.size()), 1);
  std::set<std::string> dests;
  for (size_t ci : present)
    for (const auto& d : crits[ci].cdests) dests.insert(d);
  bump(cov["multi_match_depth"]["destinations"], std::to_string(dests.size()), 1);
}

void Scoreboard::Impl::dtcp_coverage() {
  json& methods = cov["dtcp"]["methods"];
  json& status = cov["dtcp"]["reply_status"];
  for (const auto& q : requests) {
    const std::string m = q.msg && !q.msg->is_status ? q.msg->method : std::string("unparsable");
    bump(methods, m, 1);
    const std::string st = q.reply < 0 ? "no_reply" : std::to_string(replies[static_cast<size_t>(q.reply)].msg->status);
    bump(status, m + " " + st, 1);
  }
  json& ns = cov["dtcp"]["notifications"];
  for (const auto& n : notifications) {
    const std::string c = n.msg && n.msg->is_status ? std::to_string(n.msg->status) : "unparsable";
    bump(ns, c, 1);
  }
  cov["index"] = {{"criteria", crits.size()}, {"unindexed", index.wide()}};
}

}  // namespace dfc::tb
