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
  using C = PacketCounters;
  auto& k = pcov.kind;
  if (drop) ++pcov.named["dropped_" + dropped.at(p.id)];
  using K = ref::ParsedPacket;
  switch (p.pp.kind) {
    case K::NotIp: ++k[C::NotIp]; break;
    case K::Mpls: ++k[C::Mpls]; break;
    case K::Bad: ++pcov.named["bad_" + p.pp.why]; break;
    case K::Undecided: ++k[C::Undecided]; break;
    case K::Ip:
      ++k[p.pp.h.v6 ? C::Ipv6 : C::Ipv4];
      if (p.pp.vlan_tags) ++k[C::Vlan];
      if (p.pp.v6_ext_headers) ++k[C::V6Ext];
      if (p.pp.fragment) ++k[p.pp.nonfirst ? C::FragNonfirst : C::FragFirst];
      if (p.pp.h.has_ports) ++k[C::WithPorts];
      if (p.pp.h.has_icmp) ++k[C::Icmp];
      break;
  }
}

void Scoreboard::Impl::depth_coverage(const std::vector<size_t>& present) {
  auto count = [](std::vector<uint64_t>& v, size_t depth) {
    if (v.size() <= depth) v.resize(depth + 1);
    ++v[depth];
  };
  count(pcov.depth_criteria, present.size());
  // distinct destinations: the match sets are small, so a linear scan beats a std::set
  std::vector<const std::string*> dests;
  for (size_t ci : present)
    for (const auto& d : crits[ci].cdests)
      if (std::none_of(dests.begin(), dests.end(), [&](const std::string* x) { return *x == d; }))
        dests.push_back(&d);
  count(pcov.depth_destinations, dests.size());
}

void Scoreboard::Impl::flush_packet_coverage() {
  static const char* names[PacketCounters::N] = {"not_ip", "mpls", "undecided", "ipv4", "ipv6", "vlan",
                                                 "ipv6_ext_headers", "fragment_first", "fragment_nonfirst",
                                                 "with_ports", "icmp"};
  auto put = [&](json& j, const std::string& key, uint64_t n) {
    if (n) bump(j, key, n);
  };
  for (size_t i = 0; i < PacketCounters::N; ++i) put(cov["packets"], names[i], pcov.kind[i]);
  for (const auto& [key, n] : pcov.named) put(cov["packets"], key, n);
  for (size_t d = 0; d < pcov.depth_criteria.size(); ++d)
    put(cov["multi_match_depth"]["criteria"], std::to_string(d), pcov.depth_criteria[d]);
  for (size_t d = 0; d < pcov.depth_destinations.size(); ++d)
    put(cov["multi_match_depth"]["destinations"], std::to_string(d), pcov.depth_destinations[d]);
  pcov = PacketCounters{};
}

void Scoreboard::Impl::dtcp_coverage() {
  flush_packet_coverage();
  json& methods = cov["dtcp"]["methods"];
  json& status = cov["dtcp"]["reply_status"];
  // Requests the card dropped at ingress are not among those it saw: listed on their own.
  json& dr = cov["dtcp"]["dropped_requests"];
  dr = {{"count", res.dropped_requests}, {"by_reason", json::object()}, {"by_method", json::object()},
        {"first", json::array()}};
  for (const auto& q : requests) {
    const std::string m = q.msg && !q.msg->is_status ? q.msg->method : std::string("unparsable");
    if (!q.dropped.empty()) {
      bump(dr["by_reason"], q.dropped, 1);
      bump(dr["by_method"], m, 1);
      const auto seq = q.msg ? q.msg->get("seq") : std::nullopt;
      if (dr["first"].size() < kMaxErrors)
        dr["first"].push_back("'" + q.raw.first_line + "'" + (seq ? " Seq " + *seq : std::string()) + " from " + q.cs +
                              " at " + us(q.t) + " (" + q.dropped + ")");
      continue;
    }
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
