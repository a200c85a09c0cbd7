#include "report/why_nearest.hpp"

#include <algorithm>
#include <sstream>

#include "report/timeline.hpp"

namespace dfc::tb {

using nlohmann::json;

namespace {

// The filter fields in the order a criterion is read (the "first field that missed").
const char* const kFields[] = {"source-address", "dest-address", "protocol",  "source-port",
                               "dest-port",      "icmp-type",    "icmp-code"};
constexpr int kFieldCount = 7;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string x; std::getline(is, x, ',');) {
    x.erase(0, x.find_first_not_of(" \t"));
    x.erase(x.find_last_not_of(" \t") + 1);
    if (!x.empty()) out.push_back(x);
  }
  return out;
}

// Does field i of f match h? got: the packet's value as text.
bool field_hit(const ref::Filter& f, int i, const ref::Headers& h, std::string& got) {
  switch (i) {
    case 0: got = ref::addr_text(h.v6, h.src); return !f.src || ref::field_matches(*f.src, h.v6, h.src);
    case 1: got = ref::addr_text(h.v6, h.dst); return !f.dst || ref::field_matches(*f.dst, h.v6, h.dst);
    case 2: got = std::to_string(h.proto); return !f.proto || ref::field_matches(*f.proto, h.proto);
    case 3:
    case 4: {
      const auto& v = i == 3 ? f.sport : f.dport;
      if (!h.has_ports) return got = "no ports", !v;
      got = std::to_string(i == 3 ? h.sport : h.dport);
      return !v || ref::field_matches(*v, i == 3 ? h.sport : h.dport);
    }
    default: {
      const auto& v = i == 5 ? f.itype : f.icode;
      if (!h.has_icmp) return got = "not ICMP", !v;
      got = std::to_string(i == 5 ? h.itype : h.icode);
      return !v || ref::field_matches(*v, i == 5 ? h.itype : h.icode);
    }
  }
}

}  // namespace

void CriteriaShadow::on_request(uint64_t, const std::string& from, const std::string& bytes) {
  seen_ = true;
  auto m = ref::parse_message(bytes);
  if (!m || m->is_status) return;
  if (m->method != "ADD" && m->method != "DELETE") return;
  // A replayed Seq is refused by the card: the first request with it gets the reply.
  pending_.emplace(from + "#" + m->get("seq").value_or(""), Pending{m->method, m->get("csource-id").value_or(""), *m});
}

void CriteriaShadow::install(uint64_t t_ps, uint64_t id, const Pending& p) {
  Crit c;
  c.id = id;
  c.order = crit_.size();
  c.from_ps = t_ps;
  c.csource = p.csource;
  c.cdest = p.m.get("cdest-id").value_or("");
  std::string err;
  auto addr = [&](const char* n, std::optional<std::vector<ref::AddrEntry>>& out) {
    if (auto v = p.m.get(n)) out = ref::parse_addr_list(*v, &err), c.text[n] = *v;
  };
  auto num = [&](const char* n, uint64_t max, std::optional<std::vector<ref::IntEntry>>& out) {
    if (auto v = p.m.get(n)) out = ref::parse_int_list(*v, max, &err), c.text[n] = *v;
  };
  addr("source-address", c.f.src);
  addr("dest-address", c.f.dst);
  num("protocol", 255, c.f.proto);
  num("source-port", 65535, c.f.sport);
  num("dest-port", 65535, c.f.dport);
  num("icmp-type", 255, c.f.itype);
  num("icmp-code", 255, c.f.icode);
  crit_.push_back(std::move(c));
}

// DELETE selects by a Criteria-ID list or by Cdest-ID, among the requesting source's criteria.
void CriteriaShadow::remove_selected(uint64_t t_ps, const Pending& p) {
  std::string err;
  std::optional<std::vector<ref::IntEntry>> ids;
  if (auto v = p.m.get("criteria-id")) ids = ref::parse_int_list(*v, UINT64_MAX, &err);
  const auto cdests = split_commas(p.m.get("cdest-id").value_or(""));
  for (Crit& c : crit_) {
    if (c.until_ps != UINT64_MAX || c.csource != p.csource) continue;
    const bool sel = ids ? ref::field_matches(*ids, c.id) : std::find(cdests.begin(), cdests.end(), c.cdest) != cdests.end();
    if (sel) c.until_ps = t_ps;
  }
}

void CriteriaShadow::on_sent(uint64_t t_ps, const std::string& to, const std::string& bytes) {
  seen_ = true;
  auto m = ref::parse_message(bytes);
  if (!m || !m->is_status) return;
  if (m->status == 599) {  // Restart: the card lost every criterion
    for (Crit& c : crit_) c.until_ps = std::min(c.until_ps, t_ps);
    return;
  }
  if (m->status == 390 || m->status == 680) {  // TimeoutDelete, CongestionDelete
    for (const auto& v : m->all("criteria-id"))
      if (auto id = ref::parse_uint(v, UINT64_MAX))
        for (Crit& c : crit_)
          if (c.id == *id && c.until_ps == UINT64_MAX) c.until_ps = t_ps;
    return;
  }
  const auto seq = m->get("seq");
  if (!seq) return;
  auto it = pending_.find(to + "#" + *seq);
  if (it == pending_.end()) return;
  if (m->status == 200) {
    if (it->second.method == "ADD") {
      if (auto id = ref::parse_uint(m->get("criteria-id").value_or(""), UINT64_MAX)) install(t_ps, *id, it->second);
    } else {
      remove_selected(t_ps, it->second);
    }
  }
  pending_.erase(it);
}

bool CriteriaShadow::read_pcap(const std::string& path) {
  return for_each_dtcp_datagram(path, [this](uint64_t t, const std::string& from, const std::string& to,
                                             const std::string& msg, bool request) {
    if (request) on_request(t, from, msg);
    else on_sent(t, to, msg);
  });
}

json CriteriaShadow::nearest(const ref::Headers& h, uint64_t t_ps) const {
  const Crit* best = nullptr;
  uint64_t best_id = 0;
  int best_hits = -1, best_miss = -1;
  std::string best_got;
  for (const Crit& c : crit_) {
    if (t_ps < c.from_ps || t_ps >= c.until_ps) continue;
    int hits = 0, first_miss = -1;
    std::string miss_got;
    for (int i = 0; i < kFieldCount; ++i) {
      std::string got;
      if (field_hit(c.f, i, h, got)) ++hits;
      else if (first_miss < 0) first_miss = i, miss_got = got;
    }
    // Most fields matched; among equals the criterion installed first.
    if (hits > best_hits || (hits == best_hits && c.order < best->order))
      best = &c, best_id = c.id, best_hits = hits, best_miss = first_miss, best_got = miss_got;
  }
  if (!best) return nullptr;
  json j = {{"criterion", std::to_string(best_id)}, {"fields_matched", best_hits}, {"fields", kFieldCount}};
  if (best_miss >= 0) {
    const char* name = kFields[best_miss];
    auto t = best->text.find(name);
    j["missed"] = name;
    j["want"] = t == best->text.end() ? "" : t->second;
    j["got"] = best_got;
  }
  return j;
}

}  // namespace dfc::tb
