// The scoreboard: records what the harness reports, then (finish) replays requests, replies,
// notifications and packets in ingress order through the reference model and compares the
// predicted copies with the emitted ones. docs/scoreboard.md explains every decision.
#include "dfc/tb/scoreboard.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <tuple>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "dfc/config/config.hpp"
#include "refmodel.hpp"

namespace dfc::tb {
using nlohmann::json;

namespace {

constexpr uint64_t kPsPerSec = 1'000'000'000'000ull;
constexpr size_t kMaxEnumerated = 8;  // ambiguous criteria per packet resolved exhaustively
constexpr size_t kMaxErrors = 20;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void bump(json& j, const std::string& key, uint64_t n) {
  if (!j.is_object()) j = json::object();
  j[key] = j.value(key, uint64_t{0}) + n;
}

std::string us(uint64_t ps) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  o << static_cast<double>(ps) / 1e6 << "us";
  return o.str();
}

std::string ipv4_text(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255);
}

std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(v);
  while (std::getline(is, cur, ',')) {
    const size_t b = cur.find_first_not_of(" \t"), e = cur.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
  }
  return out;
}

struct Request {
  uint64_t t = 0, call = 0;
  std::string cs;
  std::optional<ref::Message> msg;
  int reply = -1;  // index into replies
};
struct Reply {
  uint64_t t = 0, call = 0;
  std::string cs;
  std::optional<ref::Message> msg;
};
struct Notification {
  uint64_t t = 0, call = 0;
  std::string cs;
  std::optional<ref::Message> msg;
  std::vector<size_t> crits;  // criteria it names (resolved in finish)
};
struct Pkt {
  uint64_t t = 0, call = 0, id = 0;
  ref::ParsedPacket pp;
  std::vector<uint8_t> ip;  // the IP datagram (header to total length)
};
struct CopyRec {
  uint64_t t = 0, id = 0;
  std::string cdest;
  std::vector<uint8_t> data;
};

struct Crit {
  std::string cs;
  uint64_t id = 0;
  std::vector<std::string> cdests;
  ref::Filter f;
  uint32_t prio = 1;     // total priority (Priority + minimum-priority); lower wins
  uint64_t order = 0;    // add order (index)
  bool is_static = false, send_async = false;
  uint64_t t_add = 0, install_end = 0;
  uint64_t to_idle = 0, to_total = 0, to_packets = 0, to_bytes = 0;  // 0 = none
  // dynamic state
  bool active = false, gone = false;
  std::string gone_reason;
  uint64_t gone_t = 0;
  // Timeout bases: the firmware starts them while handling the ADD/REFRESH (between the
  // request's arrival and its reply), so each is an interval [base, base_hi].
  uint64_t total_base = 0, idle_base = 0, total_base_hi = 0, idle_base_hi = 0, n_packets = 0, n_bytes = 0;
  uint64_t gone_t_hi = 0;
  std::optional<uint64_t> del_start, del_end;
  std::optional<uint64_t> notified_t;
  int notified_code = 0;
  bool timeout_notified = false;

  std::string name() const { return cs + "#" + std::to_string(id); }
  // Earliest (hi=false) or latest (hi=true) possible time-based deadline.
  std::optional<uint64_t> deadline(bool hi = false) const {
    if (is_static) return std::nullopt;
    std::optional<uint64_t> d;
    if (to_total) d = (hi ? total_base_hi : total_base) + to_total * kPsPerSec;
    if (to_idle) {
      const uint64_t i = (hi ? idle_base_hi : idle_base) + to_idle * kPsPerSec;
      d = d ? std::min(*d, i) : i;
    }
    return d;
  }
  const char* deadline_kind() const {
    if (to_total && (!to_idle || total_base + to_total * kPsPerSec <= idle_base + to_idle * kPsPerSec))
      return "total";
    return "idle";
  }
};

enum class Pres { Absent, Present, Ambiguous };
struct Presence {
  Pres p = Pres::Absent;
  bool nominal = false;     // for Ambiguous: the point estimate
  const char* why = "";     // which window made it ambiguous / why absent
};

struct Outcome {
  std::vector<std::string> selected;  // cdests in selection order
  uint64_t maxdup_dropped = 0;
  bool ambiguous = false;
  bool undecided = false;  // packet the model takes no position on: any cdest accepted
  std::string matched;     // criteria that matched, for messages
};

}  // namespace

// -----------------------------------------------------------------------------------------------

ScoreboardConfig ScoreboardConfig::from(const config::DfcConfig& cfg) {
  ScoreboardConfig s;
  s.max_duplicates = cfg.capture_groups.empty() ? cfg.g_max_duplicates : cfg.max_duplicates(cfg.capture_groups.front());
  for (const auto& g : cfg.capture_groups) {
    for (const auto& cd : g.content_destinations) {
      auto a = ref::parse_ipv4(cd.address);
      if (!a) continue;
      Cdest c;
      c.address = (uint32_t{(*a)[12]} << 24) | (uint32_t{(*a)[13]} << 16) | (uint32_t{(*a)[14]} << 8) | (*a)[15];
      c.ttl = cd.ttl;
      s.cdests[cd.id] = c;
    }
    for (const auto& cs : g.control_sources) {
      Csource c;
      c.minimum_priority = cs.minimum_priority;
      c.has_notification_targets = !cs.notification_targets.empty();
      s.csources[cs.id] = c;
    }
  }
  return s;
}

struct Scoreboard::Impl {
  ScoreboardConfig cfg;
  uint64_t calls = 0;
  std::vector<Request> requests;
  std::vector<Reply> replies;
  std::vector<Notification> notifications;
  std::vector<Pkt> packets;
  std::map<uint64_t, std::string> dropped;  // packet id -> reason
  std::vector<CopyRec> copies;
  std::map<std::string, uint64_t> copy_drops;
  bool copy_drops_given = false;
  bool finished = false;

  // finish() state
  std::vector<Crit> crits;
  Result res;
  json cov;
  void error(const std::string& e) {
    ++res.error_count;
    if (res.errors.size() < kMaxErrors) res.errors.push_back(e);
  }

  Presence presence(const Crit& c, uint64_t t, bool control) const;
  void match_replies();
  void build_criteria();
  void resolve_notifications();
  void replay();
  Outcome evaluate_packet(const Pkt& p, const std::set<std::string>& observed, bool count);
  void on_delete_or_refresh(const Request& r, bool is_delete);
  void check_timeout_notification(const Notification& n);
  void end_of_run_checks(uint64_t t_end);
  std::optional<std::string> check_copy(const CopyRec& c, const Pkt& p) const;
  void compare();
  void criteria_coverage(const Crit& c);

  std::map<uint64_t, Outcome> outcomes;  // packet id -> outcome
  std::map<size_t, size_t> crit_of_req;   // (sorted) request index -> criterion it added
  std::map<uint64_t, size_t> pkt_by_id;
  std::unordered_map<std::string, std::vector<uint32_t>> cache;
  uint64_t maxdup_predicted = 0, maxdup_slack = 0;
};

Scoreboard::Scoreboard(ScoreboardConfig cfg) : impl_(std::make_unique<Impl>()) { impl_->cfg = std::move(cfg); }
Scoreboard::~Scoreboard() = default;

void Scoreboard::on_request(uint64_t t_ps, const std::string& csource, const std::string& bytes) {
  Request r;
  r.t = t_ps, r.call = impl_->calls++, r.cs = csource, r.msg = ref::parse_message(bytes);
  impl_->requests.push_back(std::move(r));
}
void Scoreboard::on_reply(uint64_t t_ps, const std::string& csource, const std::string& bytes) {
  Reply r;
  r.t = t_ps, r.call = impl_->calls++, r.cs = csource, r.msg = ref::parse_message(bytes);
  impl_->replies.push_back(std::move(r));
}
void Scoreboard::on_notification(uint64_t t_ps, const std::string& csource, const std::string& bytes) {
  Notification n;
  n.t = t_ps, n.call = impl_->calls++, n.cs = csource, n.msg = ref::parse_message(bytes);
  impl_->notifications.push_back(std::move(n));
}
void Scoreboard::on_packet(const Packet& p) {
  Pkt k;
  k.t = p.t_arrival_ps, k.call = impl_->calls++, k.id = p.id;
  k.pp = ref::parse_packet(p);
  if (k.pp.kind == ref::ParsedPacket::Ip || k.pp.kind == ref::ParsedPacket::Undecided) {
    const size_t len = k.pp.ip_len ? k.pp.ip_len : p.data.size() - k.pp.ip_off;
    k.ip.assign(p.data.begin() + static_cast<std::ptrdiff_t>(k.pp.ip_off),
                p.data.begin() + static_cast<std::ptrdiff_t>(std::min(p.data.size(), k.pp.ip_off + len)));
  }
  impl_->packets.push_back(std::move(k));
}
void Scoreboard::on_packet_dropped(uint64_t id, const std::string& reason) { impl_->dropped[id] = reason; }
void Scoreboard::on_copy(const Packet& copy, uint64_t t_ps) {
  impl_->copies.push_back({t_ps, copy.id, copy.cdest_id, copy.data});
}
void Scoreboard::on_copy_drops(const std::map<std::string, uint64_t>& d) {
  impl_->copy_drops = d;
  impl_->copy_drops_given = true;
}

// -----------------------------------------------------------------------------------------------

// Is criterion c in force for a packet (or, control=true, for a DELETE/REFRESH) at time t?
Presence Scoreboard::Impl::presence(const Crit& c, uint64_t t, bool control) const {
  if (!c.active) return {Pres::Absent, false, "not added"};
  if (c.gone) return {Pres::Absent, false, "gone"};
  const uint64_t W = cfg.timeout_window_ps;
  Presence r{Pres::Present, true, ""};
  auto amb = [&](bool nominal, const char* why) {
    if (r.p != Pres::Ambiguous) r.why = why;
    r.p = Pres::Ambiguous;
    r.nominal = r.nominal && nominal;
  };
  if (!control && t <= c.install_end) amb(true, "install_window");
  if (c.del_start) {
    if (t > *c.del_end) return {Pres::Absent, false, "deleted"};
    if (t >= *c.del_start) amb(false, "removal_window");
  }
  if (c.notified_t) {
    if (t > *c.notified_t + W) return {Pres::Absent, false, "notified"};
    if (t + W >= *c.notified_t) amb(t < *c.notified_t, "notification_window");
  }
  if (auto d = c.deadline()) {
    if (t > *c.deadline(true) + W) return {Pres::Absent, false, "timeout"};
    if (t + W >= *d) amb(t < *d, "timeout_window");
  }
  return r;
}

void Scoreboard::Impl::match_replies() {
  std::map<std::string, std::vector<size_t>> by_cs;
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].t != requests[b].t ? requests[a].t < requests[b].t : requests[a].call < requests[b].call;
  });
  for (size_t i : order) by_cs[requests[i].cs].push_back(i);
  std::vector<size_t> rorder(replies.size());
  for (size_t i = 0; i < rorder.size(); ++i) rorder[i] = i;
  std::stable_sort(rorder.begin(), rorder.end(),
                   [&](size_t a, size_t b) { return replies[a].t < replies[b].t; });
  for (size_t ri : rorder) {
    const Reply& rp = replies[ri];
    if (!rp.msg || !rp.msg->is_status) {
      error("reply to " + rp.cs + " at " + us(rp.t) + " is not a DTCP status message");
      continue;
    }
    auto& list = by_cs[rp.cs];
    const auto seq = rp.msg->get("seq");
    int pick = -1;
    bool seq_known = false;
    if (seq) {
      for (size_t qi : list) {
        const Request& q = requests[qi];
        if (!q.msg || q.msg->get("seq") != seq) continue;
        seq_known = true;
        if (q.reply < 0 && q.t <= rp.t) pick = static_cast<int>(qi);  // the latest one before the reply
      }
    }
    if (pick < 0 && !seq_known) {
      for (size_t qi : list)
        if (requests[qi].reply < 0 && requests[qi].t <= rp.t) {
          pick = static_cast<int>(qi);
          break;
        }
    }
    if (pick >= 0) requests[static_cast<size_t>(pick)].reply = static_cast<int>(ri);
    // else: a continuation of a multi-packet LIST reply, or a reply to nothing we saw
  }
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
}

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

void Scoreboard::Impl::build_criteria() {
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].t != requests[b].t ? requests[a].t < requests[b].t : requests[a].call < requests[b].call;
  });
  std::vector<Request> sorted;
  for (size_t i : order) sorted.push_back(requests[i]);
  requests = std::move(sorted);
  for (size_t qi = 0; qi < requests.size(); ++qi) {
    const Request& q = requests[qi];
    if (!q.msg || q.msg->is_status || q.msg->method != "ADD" || q.reply < 0) continue;
    const Reply& rp = replies[static_cast<size_t>(q.reply)];
    if (rp.msg->status != 200) continue;
    const ref::Message& m = *q.msg;
    const std::string where = "ADD from " + q.cs + " at " + us(q.t) + " (answered 200): ";
    Crit c;
    c.cs = q.cs;
    auto id = rp.msg->get("criteria-id");
    auto idv = id ? ref::parse_uint(*id, ~0ull) : std::nullopt;
    if (!idv) {
      error(where + "reply carries no valid Criteria-ID");
      continue;
    }
    c.id = *idv;
    std::string err;
    bool ok = true;
    auto addr = [&](const char* name, std::optional<std::vector<ref::AddrEntry>>& out) {
      if (auto v = m.get(name)) {
        out = ref::parse_addr_list(*v, &err);
        if (!out) ok = false, error(where + "model cannot parse " + name + " " + err);
      }
    };
    auto num = [&](const char* name, uint64_t max, std::optional<std::vector<ref::IntEntry>>& out) {
      if (auto v = m.get(name)) {
        out = ref::parse_int_list(*v, max, &err);
        if (!out) ok = false, error(where + "model cannot parse " + name + " " + err);
      }
    };
    addr("source-address", c.f.src);
    addr("dest-address", c.f.dst);
    num("protocol", 255, c.f.proto);
    num("source-port", 65535, c.f.sport);
    num("dest-port", 65535, c.f.dport);
    num("icmp-type", 255, c.f.itype);
    num("icmp-code", 255, c.f.icode);
    if (auto v = m.get("cdest-id")) c.cdests = split_commas(*v);
    if (c.cdests.empty()) ok = false, error(where + "no Cdest-ID");
    for (const auto& d : c.cdests)
      if (!cfg.cdests.count(d)) ok = false, error(where + "content destination '" + d + "' is not configured");
    uint64_t prio = 1;
    if (auto v = m.get("priority")) {
      auto p = ref::parse_uint(*v, 255);
      if (!p) ok = false, error(where + "model cannot parse Priority '" + *v + "'");
      else prio = *p;
    }
    auto csit = cfg.csources.find(q.cs);
    c.prio = static_cast<uint32_t>(prio) + (csit == cfg.csources.end() ? 0 : csit->second.minimum_priority);
    if (auto v = m.get("flags"))
      for (const auto& f : split_commas(*v)) {
        if (lower(f) == "static") c.is_static = true;
        if (lower(f) == "sendasync") c.send_async = true;
      }
    auto tmo = [&](const char* name, uint64_t max, uint64_t& out) {
      if (auto v = m.get(name)) {
        auto n = ref::parse_uint(*v, max);
        if (!n) ok = false, error(where + "model cannot parse " + name + " '" + *v + "'");
        else out = *n;
      }
    };
    tmo("timeout-idle", 99999, c.to_idle);
    tmo("timeout-total", 99999, c.to_total);
    tmo("timeout-packets", ~0ull, c.to_packets);
    tmo("timeout-bytes", ~0ull, c.to_bytes);
    if (!ok) continue;
    c.t_add = q.t;
    c.install_end = std::max(q.t, rp.t) + cfg.install_slack_ps;
    c.order = crits.size();
    criteria_coverage(c);
    crit_of_req[qi] = crits.size();
    crits.push_back(std::move(c));
  }
}

// Each 390/680 notification names criteria of its control source; 599 (restart) all of them.
// 680/599 remove criteria (with the window around them); a 390 is checked in the replay.
void Scoreboard::Impl::resolve_notifications() {
  std::map<std::pair<std::string, uint64_t>, std::vector<size_t>> by_id;
  for (size_t i = 0; i < crits.size(); ++i) by_id[{crits[i].cs, crits[i].id}].push_back(i);
  for (auto& n : notifications) {
    if (!n.msg || !n.msg->is_status) continue;
    const int code = n.msg->status;
    if (code == 599) {
      for (size_t i = 0; i < crits.size(); ++i)
        if (crits[i].t_add <= n.t) n.crits.push_back(i);
    } else if (code == 390 || code == 680) {
      for (const auto& v : n.msg->all("criteria-id")) {
        auto ids = ref::parse_int_list(v, ~0ull, nullptr);
        if (!ids) {
          error("notification " + std::to_string(code) + " to " + n.cs + " at " + us(n.t) +
                ": unparsable Criteria-ID '" + v + "'");
          continue;
        }
        bool found = false;
        for (const auto& [key, list] : by_id) {
          if (key.first != n.cs || !ref::field_matches(*ids, key.second)) continue;
          // the latest criterion with this id added before the notification
          std::optional<size_t> best;
          for (size_t i : list)
            if (crits[i].t_add <= n.t) best = i;
          if (best) n.crits.push_back(*best), found = true;
        }
        if (!found)
          error("notification " + std::to_string(code) + " to " + n.cs + " at " + us(n.t) + " names Criteria-ID " +
                v + " the model never saw added");
      }
    } else {
      continue;
    }
    // A 390 only confirms what the model predicts itself (time windows, exact packet/byte
    // counts); it is checked during the replay. 680 and 599 are not predictable: they remove.
    if (code == 390) continue;
    for (size_t i : n.crits) {
      Crit& c = crits[i];
      if (!c.notified_t || n.t < *c.notified_t) c.notified_t = n.t, c.notified_code = code;
    }
  }
}

void Scoreboard::Impl::on_delete_or_refresh(const Request& q, bool is_delete) {
  const ref::Message& m = *q.msg;
  const Reply& rp = replies[static_cast<size_t>(q.reply)];
  const std::string where = q.msg->method + " from " + q.cs + " at " + us(q.t) + " (answered 200): ";
  std::optional<std::vector<ref::IntEntry>> ids;
  std::vector<std::string> cdests;
  if (auto v = m.get("criteria-id")) {
    ids = ref::parse_int_list(*v, ~0ull, nullptr);
    if (!ids) return error(where + "model cannot parse Criteria-ID '" + *v + "'");
  } else if (auto d = m.get("cdest-id")) {
    cdests = split_commas(*d);
  } else {
    return error(where + "no Criteria-ID or Cdest-ID selector");
  }
  bool with_static = false;
  if (auto v = m.get("flags"))
    for (const auto& f : split_commas(*v))
      if (lower(f) == "static") with_static = true;
  uint64_t definite = 0, maybe = 0;
  std::vector<size_t> chosen;
  for (size_t i = 0; i < crits.size(); ++i) {
    Crit& c = crits[i];
    if (c.cs != q.cs) continue;
    const Presence pr = presence(c, q.t, true);
    if (pr.p == Pres::Absent) continue;
    bool sel = false;
    if (ids) {
      sel = ref::field_matches(*ids, c.id);
    } else {
      for (const auto& d : c.cdests) sel = sel || std::find(cdests.begin(), cdests.end(), d) != cdests.end();
    }
    if (!sel) continue;
    if (is_delete && c.is_static && !with_static) continue;
    if (!is_delete && c.is_static) {  // REFRESH cannot touch timeouts of a STATIC criterion
      ++definite;
      continue;
    }
    (pr.p == Pres::Present ? definite : maybe) += 1;
    chosen.push_back(i);
  }
  if (auto cnt = rp.msg->get("criteria-count")) {
    auto n = ref::parse_uint(*cnt, ~0ull);
    if (!n || *n < definite || *n > definite + maybe)
      error(where + "Criteria-Count " + *cnt + ", model expects " + std::to_string(definite) +
            (maybe ? ".." + std::to_string(definite + maybe) : std::string()));
  }
  json& k = cov["dtcp"];
  if (is_delete) {
    bump(k, "criteria_deleted", chosen.size());
    for (size_t i : chosen) {
      Crit& c = crits[i];
      if (!c.del_start) c.del_start = q.t, c.del_end = std::max(q.t, rp.t) + cfg.install_slack_ps;
    }
    return;
  }
  bump(k, "criteria_refreshed", chosen.size());
  for (size_t i : chosen) {
    Crit& c = crits[i];
    auto set = [&](const char* name, uint64_t max, uint64_t& out) -> bool {
      if (auto v = m.get(name)) {
        auto n = ref::parse_uint(*v, max);
        if (n) out = *n;
        return n.has_value();
      }
      return false;
    };
    const uint64_t t_hi = std::max(q.t, rp.t) + cfg.install_slack_ps;
    if (set("timeout-total", 99999, c.to_total)) c.total_base = q.t, c.total_base_hi = t_hi;
    if (set("timeout-idle", 99999, c.to_idle)) c.idle_base = q.t, c.idle_base_hi = t_hi;
    if (set("timeout-packets", ~0ull, c.to_packets)) c.n_packets = 0;
    if (set("timeout-bytes", ~0ull, c.to_bytes)) c.n_bytes = 0;
  }
}

Outcome Scoreboard::Impl::evaluate_packet(const Pkt& p, const std::set<std::string>& observed, bool count) {
  Outcome o;
  const ref::Headers& h = p.pp.h;
  std::string key;
  key.reserve(48);
  key += static_cast<char>(h.v6);
  key.append(reinterpret_cast<const char*>(h.src.data()), 16);
  key.append(reinterpret_cast<const char*>(h.dst.data()), 16);
  key += static_cast<char>(h.proto);
  key += static_cast<char>(h.has_ports);
  key += static_cast<char>(h.sport >> 8);
  key += static_cast<char>(h.sport & 255);
  key += static_cast<char>(h.dport >> 8);
  key += static_cast<char>(h.dport & 255);
  key += static_cast<char>(h.has_icmp);
  key += static_cast<char>(h.itype);
  key += static_cast<char>(h.icode);
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() > 2'000'000) cache.clear();
    std::vector<uint32_t> hits;
    for (size_t i = 0; i < crits.size(); ++i)
      if (ref::filter_matches(crits[i].f, h)) hits.push_back(static_cast<uint32_t>(i));
    it = cache.emplace(key, std::move(hits)).first;
  }
  struct Cand {
    size_t ci;
    Presence pr;
  };
  std::vector<Cand> definite, ambiguous;
  for (uint32_t ci : it->second) {
    Crit& c = crits[ci];
    const Presence pr = presence(c, p.t, false);
    if (pr.p == Pres::Absent) {
      if (c.active && !c.gone && std::string(pr.why) == "timeout") {
        c.gone = true, c.gone_reason = c.deadline_kind(), c.gone_t = *c.deadline(), c.gone_t_hi = *c.deadline(true);
      }
      continue;
    }
    (pr.p == Pres::Present ? definite : ambiguous).push_back({ci, pr});
  }
  auto select = [&](const std::vector<size_t>& present, uint64_t& ndrop) {
    // per destination its best criterion: lowest total priority, then earliest added
    std::map<std::string, std::tuple<uint32_t, uint64_t, size_t>> best;
    for (size_t ci : present) {
      const Crit& c = crits[ci];
      for (size_t k = 0; k < c.cdests.size(); ++k) {
        auto key2 = std::make_tuple(c.prio, c.order, k);
        auto b = best.find(c.cdests[k]);
        if (b == best.end() || key2 < b->second) best[c.cdests[k]] = key2;
      }
    }
    std::vector<std::pair<std::tuple<uint32_t, uint64_t, size_t>, std::string>> v;
    for (const auto& [d, k] : best) v.push_back({k, d});
    std::sort(v.begin(), v.end());
    std::vector<std::string> sel;
    for (const auto& e : v) sel.push_back(e.second);
    ndrop = 0;
    if (sel.size() > cfg.max_duplicates) {
      ndrop = sel.size() - cfg.max_duplicates;
      sel.resize(cfg.max_duplicates);
    }
    return sel;
  };
  std::vector<size_t> present;
  for (const auto& c : definite) present.push_back(c.ci);
  uint64_t ndrop = 0;
  if (ambiguous.empty()) {
    o.selected = select(present, ndrop);
  } else {
    o.ambiguous = true;
    json& a = cov["ambiguity"];
    for (const auto& c : ambiguous) bump(a, c.pr.why, 1);
    // Pick the resolution of the ambiguous criteria whose copies agree with what the card
    // emitted; among equals, the one closest to the nominal (point estimate) timeline.
    std::vector<std::vector<bool>> choices;
    if (ambiguous.size() <= kMaxEnumerated) {
      for (uint32_t mask = 0; mask < (1u << ambiguous.size()); ++mask) {
        std::vector<bool> ch(ambiguous.size());
        for (size_t k = 0; k < ambiguous.size(); ++k) ch[k] = (mask >> k) & 1;
        choices.push_back(ch);
      }
    } else {
      std::vector<bool> ch(ambiguous.size());
      for (size_t k = 0; k < ambiguous.size(); ++k) {
        for (const auto& d : crits[ambiguous[k].ci].cdests) ch[k] = ch[k] || observed.count(d);
      }
      choices.push_back(ch);
    }
    uint64_t best_score = ~0ull;
    std::vector<size_t> best_present;
    std::vector<uint64_t> drops_seen;
    for (const auto& ch : choices) {
      std::vector<size_t> pres = present;
      uint64_t ham = 0;
      for (size_t k = 0; k < ambiguous.size(); ++k) {
        if (ch[k]) pres.push_back(ambiguous[k].ci);
        if (ch[k] != ambiguous[k].pr.nominal) ++ham;
      }
      uint64_t dr = 0;
      auto sel = select(pres, dr);
      uint64_t diff = 0;
      for (const auto& d : sel) diff += observed.count(d) ? 0 : 1;
      for (const auto& d : observed) diff += std::find(sel.begin(), sel.end(), d) != sel.end() ? 0 : 1;
      const uint64_t score = diff * 1000 + ham;
      if (diff == 0) drops_seen.push_back(dr);
      if (score < best_score) best_score = score, best_present = pres, o.selected = sel, ndrop = dr;
    }
    // max-duplicates drops are uncertain when consistent resolutions disagree on them
    if (!drops_seen.empty()) {
      const auto mm = std::minmax_element(drops_seen.begin(), drops_seen.end());
      maxdup_slack += *mm.second - *mm.first;
    } else if (ndrop) {
      maxdup_slack += ndrop;
    }
    present = best_present;
  }
  o.maxdup_dropped = ndrop;
  for (size_t ci : present) {
    if (!o.matched.empty()) o.matched += ", ";
    o.matched += crits[ci].name() + "->" + crits[ci].cdests.front() + " prio " + std::to_string(crits[ci].prio);
  }
  if (count) {
    json& hist = cov["multi_match_depth"]["criteria"];
    const std::string nk = std::to_string(present.size());
    bump(hist, nk, 1);
    std::set<std::string> dests;
    for (size_t ci : present)
      for (const auto& d : crits[ci].cdests) dests.insert(d);
    json& dh = cov["multi_match_depth"]["destinations"];
    const std::string dk = std::to_string(dests.size());
    bump(dh, dk, 1);
    // accounting: every matching criterion counts the packet and its IP bytes
    for (size_t ci : present) {
      Crit& c = crits[ci];
      ++c.n_packets;
      c.n_bytes += p.pp.ip_len;
      c.idle_base = std::max(c.idle_base, p.t);
      c.idle_base_hi = std::max(c.idle_base_hi, p.t);
      if (c.is_static) continue;
      if (c.to_packets && c.n_packets >= c.to_packets) c.gone = true, c.gone_reason = "packets";
      else if (c.to_bytes && c.n_bytes >= c.to_bytes) c.gone = true, c.gone_reason = "bytes";
      if (c.gone) c.gone_t = c.gone_t_hi = p.t;
    }
  }
  return o;
}

void Scoreboard::Impl::check_timeout_notification(const Notification& n) {
  const uint64_t W = cfg.timeout_window_ps;
  json& t = cov["timeouts"];
  for (size_t i : n.crits) {
    Crit& c = crits[i];
    const std::string where = "390 notification to " + n.cs + " at " + us(n.t) + " for " + c.name() + ": ";
    if (c.timeout_notified) {
      error(where + "second timeout notification for this criterion");
      continue;
    }
    c.timeout_notified = true;
    if (!c.send_async) error(where + "criterion was added without Flags: SendAsync");
    if (c.is_static) {
      error(where + "criterion is STATIC (timeouts ignored)");
      continue;
    }
    if (c.gone && (c.gone_reason == "packets" || c.gone_reason == "bytes")) {
      bump(t, "notified_" + c.gone_reason, 1);
      continue;
    }
    if (c.gone && (c.gone_reason == "total" || c.gone_reason == "idle")) {
      if (n.t + W >= c.gone_t && n.t <= c.gone_t_hi + W) {
        bump(t, "notified_" + c.gone_reason, 1);
        continue;
      }
    }
    if (!c.gone) {
      if (auto d = c.deadline(); d && n.t + W >= *d && n.t <= *c.deadline(true) + W) {
        const std::string kind = c.deadline_kind();
        bump(t, "notified_" + kind, 1);
        c.gone = true, c.gone_reason = kind, c.gone_t = *d, c.gone_t_hi = *c.deadline(true);
        continue;
      }
    }
    std::string model = "no timeout due";
    if (c.gone) model = "already gone (" + c.gone_reason + ") at " + us(c.gone_t);
    else if (auto d = c.deadline()) model = std::string(c.deadline_kind()) + " deadline " + us(*d);
    if (c.to_packets && !c.gone) model += ", " + std::to_string(c.n_packets) + "/" + std::to_string(c.to_packets) + " packets";
    if (c.to_bytes && !c.gone) model += ", " + std::to_string(c.n_bytes) + "/" + std::to_string(c.to_bytes) + " bytes";
    error(where + "unexpected timeout (model: " + model + ")");  // the model keeps the criterion
  }
}

void Scoreboard::Impl::replay() {
  struct Ev {
    uint64_t t, call;
    int kind;  // 0 request, 1 notification, 2 packet
    size_t idx;
  };
  std::vector<Ev> ev;
  for (size_t i = 0; i < requests.size(); ++i) ev.push_back({requests[i].t, requests[i].call, 0, i});
  for (size_t i = 0; i < notifications.size(); ++i)
    ev.push_back({notifications[i].t, notifications[i].call, 1, i});
  for (size_t i = 0; i < packets.size(); ++i) ev.push_back({packets[i].t, packets[i].call, 2, i});
  std::stable_sort(ev.begin(), ev.end(),
                   [](const Ev& a, const Ev& b) { return a.t != b.t ? a.t < b.t : a.call < b.call; });
  std::map<uint64_t, std::set<std::string>> observed;
  for (const auto& c : copies) observed[c.id].insert(c.cdest);
  json& pk = cov["packets"];
  auto inc = [&](const std::string& k) { bump(pk, k, 1); };
  for (const auto& e : ev) {
    if (e.kind == 0) {
      const Request& q = requests[e.idx];
      if (!q.msg || q.msg->is_status || q.reply < 0) continue;
      if (replies[static_cast<size_t>(q.reply)].msg->status != 200) continue;
      if (q.msg->method == "ADD") {
        auto ci = crit_of_req.find(e.idx);
        if (ci != crit_of_req.end()) {
          Crit& c = crits[ci->second];
          c.active = true;
          c.total_base = c.idle_base = q.t;
          c.total_base_hi = c.idle_base_hi = c.install_end;
        }
      } else if (q.msg->method == "DELETE") {
        on_delete_or_refresh(q, true);
      } else if (q.msg->method == "REFRESH") {
        on_delete_or_refresh(q, false);
      }
    } else if (e.kind == 1) {
      const Notification& n = notifications[e.idx];
      if (n.msg && n.msg->is_status && n.msg->status == 390) check_timeout_notification(n);
    } else {
      const Pkt& p = packets[e.idx];
      if (!pkt_by_id.emplace(p.id, e.idx).second) {
        error("packet id " + std::to_string(p.id) + " reported twice (at " + us(packets[pkt_by_id[p.id]].t) +
              " and " + us(p.t) + "): ids must be unique; the later one is ignored");
        continue;
      }
      const bool drop = dropped.count(p.id) != 0;
      if (drop) inc("dropped_" + dropped[p.id]);
      using K = ref::ParsedPacket;
      Outcome o;
      switch (p.pp.kind) {
        case K::NotIp: inc("not_ip"); break;
        case K::Mpls: inc("mpls"); break;
        case K::Bad: inc("bad_" + p.pp.why); break;
        case K::Undecided:
          inc("undecided");
          o.undecided = true;
          o.ambiguous = true;
          bump(cov["ambiguity"], "undecided_packet", 1);
          break;
        case K::Ip: {
          inc(p.pp.h.v6 ? "ipv6" : "ipv4");
          if (p.pp.vlan_tags) inc("vlan");
          if (p.pp.v6_ext_headers) inc("ipv6_ext_headers");
          if (p.pp.fragment) inc(p.pp.nonfirst ? "fragment_nonfirst" : "fragment_first");
          if (p.pp.h.has_ports) inc("with_ports");
          if (p.pp.h.has_icmp) inc("icmp");
          static const std::set<std::string> none;
          auto ob = observed.find(p.id);
          o = evaluate_packet(p, ob == observed.end() ? none : ob->second, !drop);
          if (!drop) maxdup_predicted += o.maxdup_dropped;
          break;
        }
      }
      if (o.ambiguous) ++res.ambiguous_packets;
      outcomes[p.id] = std::move(o);
    }
  }
  uint64_t t_end = 0;
  for (const auto& q : requests) t_end = std::max(t_end, q.t);
  for (const auto& r : replies) t_end = std::max(t_end, r.t);
  for (const auto& n : notifications) t_end = std::max(t_end, n.t);
  for (const auto& p : packets) t_end = std::max(t_end, p.t);
  for (const auto& c : copies) t_end = std::max(t_end, c.t);
  end_of_run_checks(t_end);
}

void Scoreboard::Impl::end_of_run_checks(uint64_t t_end) {
  const uint64_t W = cfg.timeout_window_ps;
  json& t = cov["timeouts"];
  for (Crit& c : crits) {
    if (!c.active || c.is_static) continue;
    if (!c.gone) {
      auto d = c.deadline(), dhi = c.deadline(true);
      if (!d || *dhi + W >= t_end) continue;
      if (c.del_start && *c.del_start <= *dhi) continue;                             // deleted first
      if (c.notified_t && c.notified_code != 390 && *c.notified_t <= *dhi + W) continue;  // 680/599 first
      c.gone = true, c.gone_reason = c.deadline_kind(), c.gone_t = *d, c.gone_t_hi = *dhi;
    }
    if (c.gone_reason == "total" || c.gone_reason == "idle" || c.gone_reason == "packets" ||
        c.gone_reason == "bytes") {
      bump(t, "predicted_" + c.gone_reason, 1);
      auto cs = cfg.csources.find(c.cs);
      const bool targets = cs != cfg.csources.end() && cs->second.has_notification_targets;
      if (c.send_async && targets && !c.timeout_notified && c.gone_t_hi + W < t_end &&
          !(c.del_start && *c.del_start <= c.gone_t_hi + W))
        error("criterion " + c.name() + " timed out (" + c.gone_reason + ") at " + us(c.gone_t) +
              " with SendAsync, but no 390 notification arrived");
    }
  }
}

std::optional<std::string> Scoreboard::Impl::check_copy(const CopyRec& c, const Pkt& p) const {
  const auto cd = cfg.cdests.find(c.cdest);
  if (cd == cfg.cdests.end()) return "copy to unconfigured content destination";
  const auto& d = c.data;
  if (d.size() < 20) return "copy shorter than an IPv4 header (" + std::to_string(d.size()) + " bytes)";
  std::vector<std::string> diffs;
  auto rd16 = [&](size_t at) { return static_cast<uint32_t>((d[at] << 8) | d[at + 1]); };
  auto want = [&](const char* what, uint64_t got, uint64_t exp) {
    if (got != exp) diffs.push_back(std::string(what) + " " + std::to_string(got) + " expected " + std::to_string(exp));
  };
  want("outer version/IHL byte", d[0], 0x45);
  want("outer TOS", d[1], 0);
  want("outer total length", rd16(2), 20 + p.ip.size());
  want("outer flags/fragment offset", rd16(6), 0);
  want("outer TTL", d[8], cd->second.ttl);
  want("outer protocol", d[9], p.pp.h.v6 ? 41 : 4);
  if ((d[0] & 15) >= 5 && d.size() >= static_cast<size_t>(d[0] & 15) * 4 && ref::ip_checksum(d.data(), 20) != 0)
    diffs.push_back("outer header checksum invalid");
  const uint32_t src = (uint32_t{d[12]} << 24) | (uint32_t{d[13]} << 16) | (uint32_t{d[14]} << 8) | d[15];
  const uint32_t dst = (uint32_t{d[16]} << 24) | (uint32_t{d[17]} << 16) | (uint32_t{d[18]} << 8) | d[19];
  if (src != cfg.copy_source) diffs.push_back("outer source " + ipv4_text(src) + " expected " + ipv4_text(cfg.copy_source));
  if (dst != cd->second.address)
    diffs.push_back("outer destination " + ipv4_text(dst) + " expected " + ipv4_text(cd->second.address));
  if (d.size() != 20 + p.ip.size()) {
    diffs.push_back("copy length " + std::to_string(d.size()) + " expected " + std::to_string(20 + p.ip.size()));
  }
  const size_t n = std::min(d.size() - 20, p.ip.size());
  for (size_t i = 0; i < n; ++i)
    if (d[20 + i] != p.ip[i]) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "inner byte %zu is 0x%02x expected 0x%02x", i, d[20 + i], p.ip[i]);
      diffs.push_back(buf);
      break;
    }
  if (diffs.empty()) return std::nullopt;
  std::string s;
  for (const auto& x : diffs) s += (s.empty() ? "" : "; ") + x;
  return s;
}

void Scoreboard::Impl::compare() {
  std::map<uint64_t, std::vector<const CopyRec*>> by_pkt;
  for (const auto& c : copies) by_pkt[c.id].push_back(&c);
  std::vector<std::string> missing;  // not explained by an ingress drop
  for (const auto& [id, o] : outcomes) {
    const Pkt& p = packets[pkt_by_id[id]];
    const bool drop = dropped.count(id) != 0;
    std::set<std::string> seen;
    auto it = by_pkt.find(id);
    if (it != by_pkt.end()) {
      for (const CopyRec* c : it->second) {
        const bool allowed = !drop && !seen.count(c->cdest) &&
                             (o.undecided || std::find(o.selected.begin(), o.selected.end(), c->cdest) != o.selected.end());
        if (!allowed) {
          ++res.unexpected_copies;
          std::string sel;
          for (const auto& d : o.selected) sel += (sel.empty() ? "" : ",") + d;
          std::string why = drop                     ? "packet was dropped at ingress (" + dropped.at(id) + ")"
                            : seen.count(c->cdest)   ? "duplicate copy"
                            : o.matched.empty()      ? "no criterion matches"
                                                     : "model selects {" + sel + "} from " + o.matched;
          if (p.pp.kind != ref::ParsedPacket::Ip && p.pp.kind != ref::ParsedPacket::Undecided)
            why = "packet is not copied (" + p.pp.why + ")";
          error("packet " + std::to_string(id) + " cdest " + c->cdest + ": unexpected copy at " + us(c->t) + " (" + why +
                ")");
          continue;
        }
        seen.insert(c->cdest);
        if (o.undecided) ++res.predicted_copies;
        ++res.matched_copies;
        if (auto diff = check_copy(*c, p)) {
          ++res.byte_mismatches;
          error("packet " + std::to_string(id) + " cdest " + c->cdest + ": copy bytes differ: " + *diff);
        }
      }
      by_pkt.erase(it);
    }
    if (o.undecided) continue;
    for (const auto& d : o.selected) {
      ++res.predicted_copies;
      if (seen.count(d)) continue;
      if (drop) {
        ++res.explained_missing;
        continue;
      }
      missing.push_back("packet " + std::to_string(id) + " cdest " + d + ": missing copy (matching " + o.matched + ")");
    }
  }
  for (const auto& [id, list] : by_pkt)
    for (const CopyRec* c : list) {
      ++res.unexpected_copies;
      error("packet " + std::to_string(id) + " cdest " + c->cdest + ": copy of a packet the scoreboard never saw");
    }
  uint64_t budget = 0, maxdup_reported = 0;
  bool maxdup_given = false;
  for (const auto& [why, n] : copy_drops) {
    if (why.find("max_duplicates") != std::string::npos) maxdup_reported += n, maxdup_given = true;
    else budget += n;
  }
  const uint64_t explained = std::min<uint64_t>(budget, missing.size());
  res.explained_missing += explained;
  res.missing_copies = missing.size() - explained;
  for (size_t i = static_cast<size_t>(explained); i < missing.size(); ++i)
    error(missing[i] + (budget ? " (the " + std::to_string(budget) + " counted copy drops are used up)" : std::string()));
  json& md = cov["max_duplicates"];
  md["limit"] = cfg.max_duplicates;
  md["predicted_drops"] = maxdup_predicted;
  md["uncertainty"] = maxdup_slack;
  md["reported_drops"] = maxdup_given ? json(maxdup_reported) : json(nullptr);
  if (maxdup_given) {
    const uint64_t lo = maxdup_predicted > maxdup_slack ? maxdup_predicted - maxdup_slack : 0;
    if (maxdup_reported < lo || maxdup_reported > maxdup_predicted + maxdup_slack)
      error("max-duplicates drops: card counted " + std::to_string(maxdup_reported) + ", model predicts " +
            std::to_string(maxdup_predicted) + (maxdup_slack ? " +-" + std::to_string(maxdup_slack) : std::string()));
  }
  cov["copy_drops_reported"] = copy_drops;
}

Scoreboard::Result Scoreboard::finish() {
  Impl& m = *impl_;
  if (m.finished) {
    Result r = m.res;
    r.pass = false;
    r.errors.push_back("Scoreboard::finish called twice");
    return r;
  }
  m.finished = true;
  m.cov = json::object();
  m.res.packets = m.packets.size();
  m.match_replies();
  m.build_criteria();
  m.resolve_notifications();
  m.replay();
  m.compare();
  m.cov["ambiguous_packets"] = m.res.ambiguous_packets;
  m.res.coverage = m.cov;
  m.res.pass = m.res.error_count == 0;
  return m.res;
}

json Scoreboard::Result::to_json() const {
  return {{"pass", pass},
          {"packets", packets},
          {"predicted_copies", predicted_copies},
          {"matched_copies", matched_copies},
          {"unexpected_copies", unexpected_copies},
          {"missing_copies", missing_copies},
          {"explained_missing", explained_missing},
          {"byte_mismatches", byte_mismatches},
          {"ambiguous_packets", ambiguous_packets},
          {"error_count", error_count},
          {"errors", errors},
          {"coverage", coverage}};
}

}  // namespace dfc::tb
