// The scoreboard's predictor: the reference model of DTCP criteria in force (install, removal
// and timeout windows) and each packet's predicted copies, from the protocol reference
// (dtcp.md) and docs/scoreboard.md. Uses no firmware code. The indexed match is in
// scoreboard_match.cpp, packet/byte counts and the 390 checks in scoreboard_timeouts.cpp.
#include <tuple>

#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

std::string ScoreboardConfig::cdest_key(const std::string& csource, const std::string& cdest_id) const {
  const auto cs = csources.find(csource);
  const std::string group = cs == csources.end() ? std::string() : cs->second.group;
  if (auto q = cdests.find(group + "/" + cdest_id); q != cdests.end()) return q->first;
  if (auto d = cdests.find(cdest_id); d != cdests.end() && (d->second.group == group || group.empty() || d->second.group.empty()))
    return d->first;
  return {};
}

uint32_t ScoreboardConfig::max_duplicates_of(const std::string& group) const {
  const auto g = group_max_duplicates.find(group);
  return g == group_max_duplicates.end() ? max_duplicates : g->second;
}

// Is criterion c in force for a packet (or, control=true, for a DELETE/REFRESH) at time t?
// A packet is decided somewhere in [t, t_hi]: from when a core took it to when it was done
// (the lookup can wait for the criteria lock behind another core's DTCP request), so a
// change of c inside that interval leaves it ambiguous.
Presence Scoreboard::Impl::presence(const Crit& c, uint64_t t, bool control, uint64_t t_hi) const {
  t_hi = std::max(t, t_hi);
  if (!c.active) return {Pres::Absent, false, "not added"};
  if (c.gone) {
    // A count that ran out at another packet's accounting (gone_t_hi): this one may have
    // been looked up before that.
    const bool counted = c.gone_reason == "packets" || c.gone_reason == "bytes";
    if (!counted || control || t >= c.gone_t_hi) return {Pres::Absent, false, "gone"};
    return {Pres::Ambiguous, false, "count_window"};
  }
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
    if (t_hi >= *c.del_start) amb(t < *c.del_start, "removal_window");
  }
  if (c.notified_t) {
    if (t > *c.notified_t + W) return {Pres::Absent, false, "notified"};
    if (t_hi + W >= *c.notified_t) amb(t < *c.notified_t, "notification_window");
  }
  if (auto d = c.deadline()) {
    if (t > *c.deadline(true) + W) return {Pres::Absent, false, "timeout"};
    if (t_hi + W >= *d) amb(t < *d, "timeout_window");
  }
  if (c.count_amb_t && t_hi >= *c.count_amb_t) amb(true, "count_window");
  return r;
}

// An ADD the card answered 200 becomes a criterion of the reference (inactive until its
// request is replayed). An ADD the model cannot parse is an error: it cannot predict copies.
void Scoreboard::Impl::build_criterion(size_t qi) {
  const Request& q = requests[qi];
  const Reply& rp = replies[static_cast<size_t>(q.reply)];
  const ref::Message& m = *q.msg;
  const std::string where = "ADD from " + q.cs + " at " + us(q.t) + " (answered 200): ";
  Crit c;
  c.cs = q.cs;
  if (auto g = cfg.csources.find(q.cs); g != cfg.csources.end()) c.group = g->second.group;
  auto id = rp.msg->get("criteria-id");
  auto idv = id ? ref::parse_uint(*id, ~0ull) : std::nullopt;
  if (!idv) {
    error(where + "reply carries no valid Criteria-ID");
    return;
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
  for (auto& d : c.cdests) {
    // each capture group's ids are its own (dtcp.md §2.3): the key of this source's group
    const std::string key = cfg.cdest_key(q.cs, d);
    if (key.empty()) ok = false, error(where + "content destination '" + d + "' is not configured in the source's capture group");
    else d = key;
  }
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
  // dtcp.md §1.8: an ADD whose timeouts are all zero/absent and that is not Static is refused
  // with 433; the card accepting it is an error (the reference predicts the status itself).
  if (ok && !c.is_static && !c.to_idle && !c.to_total && !c.to_packets && !c.to_bytes)
    ok = false, error(where + "no timeout and not Static: the protocol requires 433 Improper Timeout Specification");
  if (!ok) return;
  c.t_add = q.t;
  // The card installs the criterion before it sends the reply: a packet a core takes after the
  // reply left is decided on it, whatever the model's threads' decoupling (docs/scoreboard.md).
  c.install_end = std::max(q.t, rp.t);
  c.order = q.call;  // ADD ingress order (ties by time first in select)
  criteria_coverage(c);
  crit_of_req[qi] = crits.size();
  crits_by_id[{c.cs, c.id}].push_back(crits.size());
  index.add(static_cast<uint32_t>(crits.size()), c.f);
  crits.push_back(std::move(c));
}

// Each 390/680 notification names criteria of its control source; 599 (restart) all of them
// (added before it). 680/599 remove criteria (with the window around them); a 390 is checked
// in the replay.
void Scoreboard::Impl::resolve_notification(Notification& n) {
  const int code = n.msg->status;
  if (code == 599) {
    for (size_t i = 0; i < crits.size(); ++i)
      if (crits[i].t_add <= n.t) n.crits.push_back(i);
  } else if (code == 390 || code == 680) {
    for (const auto& v : n.msg->all("criteria-id")) {
      auto ids = ref::parse_int_list(v, ~0ull, nullptr);
      if (!ids) {
        error("notification " + std::to_string(code) + " to " + n.cs + " at " + us(n.t) + ": unparsable Criteria-ID '" +
              v + "'");
        continue;
      }
      bool found = false;
      for (auto it = crits_by_id.lower_bound({n.cs, 0}); it != crits_by_id.end() && it->first.first == n.cs; ++it) {
        if (!ref::field_matches(*ids, it->first.second)) continue;
        std::optional<size_t> best;  // the latest criterion with this id added before the notification
        for (size_t i : it->second)
          if (crits[i].t_add <= n.t) best = i;
        if (best) n.crits.push_back(*best), found = true;
      }
      if (!found)
        error("notification " + std::to_string(code) + " to " + n.cs + " at " + us(n.t) + " names Criteria-ID " + v +
              " the model never saw added");
    }
  } else {
    return;
  }
  if (code == 390) return;
  for (size_t i : n.crits) {
    Crit& c = crits[i];
    if (!c.notified_t || n.t < *c.notified_t) c.notified_t = n.t, c.notified_code = code;
  }
}

// A request in ingress order: an ADD's criterion starts (its clocks run from somewhere between
// the request and the reply); DELETE and REFRESH act on the criteria in force.
void Scoreboard::Impl::on_request_event(size_t qi) {
  // Online, the answer may already be predicted (awaiting_reply, at the same point of the replay).
  if (qi >= answers.size() || !answers[qi].judged) predict_answer(qi);
  const Request& q = requests[qi];
  if (!q.msg || q.msg->is_status || q.reply < 0) return;
  if (sbi::Answer& a = answers[qi]; a.before_reply &&
      (q.msg->method == "DELETE" || q.msg->method == "REFRESH" || q.msg->method == "ADD")) {
    const int minor = a.minor;
    a = predict_method(q, minor);  // no side effect for these methods
    a.judged = true, a.minor = minor;
  }
  const int status = replies[static_cast<size_t>(q.reply)].msg->status;
  if (status == 431 && (q.msg->method == "DELETE" || q.msg->method == "REFRESH")) {
    // Not found when the card handled it: the criteria it names that may have expired since
    // the request did expire before the reply (those certainly in force make it a wrong status).
    sbi::ControlSelection s;
    if (select_for_control(q, "", q.msg->method == "DELETE", s) && s.definite == 0)
      for (size_t i : s.expiring) expired_before_reply(crits[i], q);
  }
  if (status != 200) return;
  if (q.msg->method == "ADD") {
    auto ci = crit_of_req.find(qi);
    if (ci == crit_of_req.end()) return;
    Crit& c = crits[ci->second];
    c.active = true;
    c.total_base = c.idle_base = q.t;
    c.total_base_hi = c.idle_base_hi = c.install_end;
  } else if (q.msg->method == "DELETE") {
    on_delete_or_refresh(q, true);
  } else if (q.msg->method == "REFRESH") {
    on_delete_or_refresh(q, false);
  }
}

Outcome Scoreboard::Impl::replay_packet(const Pkt& p) {
  const auto dr = dropped.find(p.id);
  const bool drop = dr != dropped.end();
  packet_coverage(p, drop);
  replaying = &p;
  using K = ref::ParsedPacket;
  Outcome o;
  if (p.pp.kind == K::Undecided) {
    o.undecided = true;
    o.ambiguous = true;
    bump(cov["ambiguity"], "undecided_packet", 1);
  } else if (p.pp.kind == K::Ip) {
    std::set<std::string> observed;
    if (auto it = copies.find(p.id); it != copies.end())
      for (const auto& c : it->second) observed.insert(c.cdest);
    o = evaluate_packet(p, observed, !drop);
    if (!drop) maxdup_predicted += o.maxdup_dropped;
    if (!drop) congestion_copies(p, o);
    if (!drop) record_dup_drops(p, o);
  }
  if (o.ambiguous) {
    ++res.ambiguous_packets;
    if (res.ambiguous_ids.size() < 100) res.ambiguous_ids.push_back(p.id);
  }
  return o;
}

// A packet's predicted copies: the criteria in force that match it, their destinations per
// capture group cut at max-duplicates; ambiguous criteria resolved with the card's copies
// (`observed`). count: the packet reached the firmware, so its hits are counted.
Outcome Scoreboard::Impl::evaluate_packet(const Pkt& p, const std::set<std::string>& observed, bool count) {
  Outcome o;
  std::vector<Candidate> definite, ambiguous;
  classify_hits(p, definite, ambiguous);
  std::vector<size_t> present;
  for (const auto& c : definite) present.push_back(c.ci);
  uint64_t ndrop = 0;
  if (ambiguous.empty()) {
    o.selected = select_destinations(present, ndrop, o.reps);
  } else {
    o.ambiguous = true;
    json& a = cov["ambiguity"];
    for (const auto& c : ambiguous) bump(a, c.pr.why, 1);
    present = resolve_ambiguity(ambiguous, observed, present, o, ndrop);
  }
  o.maxdup_dropped = ndrop;
  if (ndrop) o.present = present;
  for (size_t ci : present) {
    if (!o.matched.empty()) o.matched += ", ";
    o.matched += crits[ci].name() + "->" + crits[ci].cdests.front() + " prio " + std::to_string(crits[ci].prio);
  }
  if (count) count_packet(p, present, ambiguous);
  return o;
}

// The criteria whose filters match the packet, split into those certainly in force and the
// ambiguous ones. One found past its time-based deadline is marked gone on the way.
void Scoreboard::Impl::classify_hits(const Pkt& p, std::vector<Candidate>& definite, std::vector<Candidate>& ambiguous) {
  for (uint32_t ci : match(p.pp.h)) {
    Crit& c = crits[ci];
    const Presence pr = presence(c, p.t, false, p.t_done);
    if (pr.p == Pres::Absent) {
      if (c.active && !c.gone && std::string(pr.why) == "timeout") {
        c.gone = true, c.gone_reason = c.deadline_kind(), c.gone_t = *c.deadline(), c.gone_t_hi = *c.deadline(true);
      }
      continue;
    }
    if (pr.p == Pres::Present && count_may_run_out_in_flight(c, p)) {
      // The card counts a hit while it handles the packet, not when it is done with it: a
      // packet taken before this one was done may have run the count out first.
      ambiguous.push_back({ci, Presence{Pres::Ambiguous, true, "count_in_flight"}});
      continue;
    }
    (pr.p == Pres::Present ? definite : ambiguous).push_back({ci, pr});
  }
}

// Per capture group (each has its own destinations and max-duplicates): per destination its
// best criterion (lowest total priority, then earliest added), best first, cut at the limit.
// reps: each selected destination's best criterion (the one its copy is accounted on).
std::vector<std::string> Scoreboard::Impl::select_destinations(const std::vector<size_t>& present, uint64_t& ndrop,
                                                               std::vector<size_t>& reps) const {
  using Key = std::tuple<uint32_t, uint64_t, uint64_t, size_t>;
  struct Best {
    Key key;
    std::string group;
    size_t ci;
  };
  std::map<std::string, Best> best;  // cdest -> its best criterion
  for (size_t ci : present) {
    const Crit& c = crits[ci];
    for (size_t k = 0; k < c.cdests.size(); ++k) {
      const Key key2{c.prio, c.t_add, c.order, k};
      auto b = best.find(c.cdests[k]);
      if (b == best.end() || key2 < b->second.key) best[c.cdests[k]] = {key2, c.group, ci};
    }
  }
  std::map<std::string, std::vector<std::tuple<Key, std::string, size_t>>> by_group;
  for (const auto& [d, b] : best) by_group[b.group].push_back({b.key, d, b.ci});
  std::vector<std::string> sel;
  reps.clear();
  ndrop = 0;
  for (auto& [g, v] : by_group) {
    std::sort(v.begin(), v.end());
    const size_t limit = cfg.max_duplicates_of(g);
    for (size_t i = 0; i < v.size(); ++i) {
      if (i < limit) sel.push_back(std::get<1>(v[i])), reps.push_back(std::get<2>(v[i]));
      else ++ndrop;
    }
  }
  return sel;
}

// Picks the resolution of the ambiguous criteria whose copies agree with what the card
// emitted; among equals, the one closest to the nominal (point estimate) timeline. Sets
// o.selected, o.reps and ndrop from it and returns the criteria it takes as in force.
std::vector<size_t> Scoreboard::Impl::resolve_ambiguity(const std::vector<Candidate>& ambiguous,
                                                        const std::set<std::string>& observed,
                                                        const std::vector<size_t>& present, Outcome& o,
                                                        uint64_t& ndrop) {
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
    std::vector<size_t> reps;
    auto sel = select_destinations(pres, dr, reps);
    uint64_t diff = 0;
    for (const auto& d : sel) diff += observed.count(d) ? 0 : 1;
    for (const auto& d : observed) diff += std::find(sel.begin(), sel.end(), d) != sel.end() ? 0 : 1;
    const uint64_t score = diff * 1000 + ham;
    if (diff == 0) drops_seen.push_back(dr);
    if (score < best_score) best_score = score, best_present = pres, o.selected = sel, o.reps = reps, ndrop = dr;
  }
  // Every criterion the card's copies took away from the point estimate excused this packet.
  for (const auto& a : ambiguous) {
    const bool in = std::find(best_present.begin(), best_present.end(), a.ci) != best_present.end();
    if (in != a.pr.nominal) excuse(a.ci, a.pr.why, in);
  }
  // max-duplicates drops are uncertain when consistent resolutions disagree on them
  if (!drops_seen.empty()) {
    const auto mm = std::minmax_element(drops_seen.begin(), drops_seen.end());
    maxdup_slack += *mm.second - *mm.first;
  } else if (ndrop) {
    maxdup_slack += ndrop;
  }
  return best_present;
}

// Accounting: every criterion taken as in force counts the packet and its IP bytes.
void Scoreboard::Impl::count_packet(const Pkt& p, const std::vector<size_t>& present,
                                    const std::vector<Candidate>& ambiguous) {
  depth_coverage(present);
  for (size_t ci : present) {
    Crit& c = crits[ci];
    ++c.n_packets;
    c.n_bytes += p.pp.ip_len;
    c.idle_base = std::max(c.idle_base, p.t);
    c.idle_base_hi = std::max(c.idle_base_hi, p.t_done);
    if (c.is_static) continue;
    count_hit(c, p);
  }
  // A packet in a criterion's install or removal window: whether the card counted it is as
  // uncertain as whether the criterion was in force, whichever way the resolution went (the
  // copy to a destination may be another criterion's).
  for (const Candidate& a : ambiguous) {
    Crit& c = crits[a.ci];
    const bool in = std::find(present.begin(), present.end(), a.ci) != present.end();
    const std::string why = a.pr.why;
    if (why == "install_window" || why == "removal_window") {
      (in ? c.pk_over : c.pk_under) += 1;
      (in ? c.by_over : c.by_under) += p.pp.ip_len;
      // Counted on the card, this packet may have run the count out (its 390 is then due).
      const bool pk = c.to_packets && c.n_packets + c.pk_under >= c.to_packets;
      if (!in && !c.gone && !c.is_static && !c.count_amb_t && (pk || (c.to_bytes && c.n_bytes + c.by_under >= c.to_bytes)))
        c.count_amb_t = p.t, c.count_amb_kind = pk ? "packets" : "bytes";
    } else if (why == "count_window" && !in && !c.gone && c.count_amb_t) {
      // The card's copies say it was no longer in force: its count had run out.
      c.gone = true, c.gone_reason = c.count_amb_kind, c.gone_t = *c.count_amb_t, c.gone_t_hi = p.t_done;
    }
  }
}

void Scoreboard::Impl::check_pending_count(size_t i) {
  PendingCount& pc = pending_counts[i];
  // A selected criterion whose packet/byte count may have run out after the request arrived
  // may have been gone when the card handled it: not counted then.
  for (size_t ci : pc.definite_idx) {
    const Crit& c = crits[ci];
    const bool may_be_gone = (c.gone && c.gone_t >= pc.t_req && (c.gone_reason == "packets" || c.gone_reason == "bytes")) ||
                             (c.count_amb_t.has_value());
    if (may_be_gone) --pc.definite, ++pc.maybe;
  }
  if (pc.n < pc.definite || pc.n > pc.definite + pc.maybe)
    error(pc.where + "Criteria-Count " + pc.reported + ", model expects " + std::to_string(pc.definite) +
          (pc.maybe ? ".." + std::to_string(pc.definite + pc.maybe) : std::string()));
  pc.definite_idx.clear();
  pc.definite_idx.shrink_to_fit();
}

}  // namespace dfc::tb
