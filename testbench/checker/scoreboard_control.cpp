// The scoreboard's reference for DELETE and REFRESH: the criteria a request selects, judged
// over [request, reply] (the card acts on it somewhere in between, so a criterion may expire on
// its own before it does), the reply's Criteria-Count against that selection, and the effect
// (removal window, refreshed timeouts). docs/scoreboard.md "Time".
#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

void Scoreboard::Impl::on_delete_or_refresh(const Request& q, bool is_delete) {
  const Reply& rp = replies[static_cast<size_t>(q.reply)];
  const std::string where = q.msg->method + " from " + q.cs + " at " + us(q.t) + " (answered 200): ";
  sbi::ControlSelection s;
  if (!select_for_control(q, where, is_delete, s)) return;
  if (auto cnt = rp.msg->get("criteria-count")) check_criteria_count(q, rp, where, *cnt, s);
  json& k = cov["dtcp"];
  if (is_delete) {
    bump(k, "criteria_deleted", s.chosen.size());
    for (size_t i : s.chosen) {
      Crit& c = crits[i];
      if (!c.del_start) c.del_start = q.t, c.del_end = std::max(q.t, rp.t);  // removed before the reply
    }
    return;
  }
  bump(k, "criteria_refreshed", s.chosen.size());
  for (size_t i : s.chosen) refresh_criterion(crits[i], q, rp);
  for (size_t i : s.undecided) {
    Crit& c = crits[i];
    if (c.to_packets || c.to_bytes) c.count_amb_t = q.t, c.count_amb_kind = c.to_packets ? "packets" : "bytes";
  }
}

// The criteria of the request's source its selector (Criteria-ID list or Cdest-ID) names,
// among those in force or ambiguous when it arrived. False (and an error) when the model
// cannot read the selector.
bool Scoreboard::Impl::select_for_control(const Request& q, const std::string& where, bool is_delete,
                                          sbi::ControlSelection& s) {
  const ref::Message& m = *q.msg;
  std::optional<std::vector<ref::IntEntry>> ids;
  std::vector<std::string> cdests;
  if (auto v = m.get("criteria-id")) {
    ids = ref::parse_int_list(*v, ~0ull, nullptr);
    if (!ids) {
      error(where + "model cannot parse Criteria-ID '" + *v + "'");
      return false;
    }
  } else if (auto d = m.get("cdest-id")) {
    cdests = split_commas(*d);
    for (auto& x : cdests)
      if (auto k = cfg.cdest_key(q.cs, x); !k.empty()) x = k;
  } else {
    error(where + "no Criteria-ID or Cdest-ID selector");
    return false;
  }
  bool with_static = false;
  if (auto v = m.get("flags"))
    for (const auto& f : split_commas(*v))
      if (lower(f) == "static") with_static = true;
  for (size_t i = 0; i < crits.size(); ++i) {
    const Crit& c = crits[i];
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
      ++s.definite;
      continue;
    }
    const bool expiring = pr.p == Pres::Present && may_expire_before_reply(c, q);
    const bool definite = pr.p == Pres::Present && !expiring;
    (definite ? s.definite : s.maybe) += 1;
    if (definite) s.definite_idx.push_back(i);
    if (expiring) s.expiring.push_back(i);
    s.chosen.push_back(i);
  }
  return true;
}

// The card acts on a DELETE/REFRESH when it handles it, somewhere between the request's
// arrival and its reply: a criterion in force at the arrival may have expired on its own by
// then — its time-based deadline falls in that interval (within W), or the matching packets
// taken before the reply (held in the replay's queue, not yet judged) can run its packet/byte
// count out.
bool Scoreboard::Impl::may_expire_before_reply(const Crit& c, const Request& q) const {
  if (c.is_static || q.reply < 0) return false;
  const uint64_t W = cfg.timeout_window_ps, t_rep = std::max(q.t, replies[static_cast<size_t>(q.reply)].t);
  if (auto d = c.deadline(); d && *d <= t_rep + W) return true;
  if (!c.to_packets && !c.to_bytes) return false;
  if (c.count_amb_t) return true;
  uint64_t n = c.n_packets + c.pk_under, b = c.n_bytes + c.by_under;
  for (auto it = queue.begin(); it != queue.end() && it->first.first <= t_rep + W; ++it) {
    if (it->second.kind != 2) continue;
    const auto pk = pkts.find(it->second.idx);
    if (pk == pkts.end()) continue;
    const Pkt& p = pk->second;
    if (p.t > t_rep || p.pp.kind != ref::ParsedPacket::Ip || dropped.count(p.id) || !ref::filter_matches(c.f, p.pp.h))
      continue;
    ++n, b += p.pp.ip_len;
    if ((c.to_packets && n >= c.to_packets) || (c.to_bytes && b >= c.to_bytes)) return true;
  }
  return false;
}

// The card's answer shows that criterion c had expired before it handled request q: gone
// somewhere between the request and the reply (packets in between are ambiguous, later ones
// are not copied).
void Scoreboard::Impl::expired_before_reply(Crit& c, const Request& q) const {
  if (c.gone) return;
  const uint64_t t_rep = std::max(q.t, replies[static_cast<size_t>(q.reply)].t);
  c.gone = true;
  c.gone_reason = c.to_packets ? "packets" : c.to_bytes ? "bytes" : c.deadline_kind();
  c.gone_t = c.count_amb_t.value_or(q.t);
  c.gone_t_hi = t_rep;
}

// The reply's Criteria-Count against the selection: out of range, it is judged again after
// the reply (Ev kind 3); in range with ambiguous criteria, it settles some of them.
void Scoreboard::Impl::check_criteria_count(const Request& q, const Reply& rp, const std::string& where,
                                            const std::string& count, sbi::ControlSelection& s) {
  auto n = ref::parse_uint(count, ~0ull);
  if (!n) {
    error(where + "Criteria-Count " + count + " is not a number");
  } else if (*n < s.definite || *n > s.definite + s.maybe) {
    // The card handled the request at some time up to its reply: judge again then.
    pending_counts.push_back({where, count, q.t, *n, s.definite, s.maybe, s.definite_idx});
    const uint64_t at = std::max(q.t, rp.t) + cfg.install_slack_ps;
    queue.emplace(std::make_pair(at, calls), sbi::Ev{at, calls, 3, pending_counts.size() - 1});
    ++calls;
  } else if (s.maybe) {
    // The count settles selected criteria whose packet/byte count may have run out
    // (count_window): none of the uncertain ones was in force (n == definite), so those
    // timed out; all were (n == definite + maybe), so they had not. In between the model
    // cannot tell which (s.undecided): a DELETE removes them (gone after the reply either
    // way), a REFRESH refreshes them and leaves their count ambiguous, so the card's copies
    // (and 390s) decide.
    const bool none = *n == s.definite, all = *n == s.definite + s.maybe;
    std::vector<size_t> kept;
    for (size_t i : s.chosen) {
      Crit& c = crits[i];
      const bool expiring = std::find(s.expiring.begin(), s.expiring.end(), i) != s.expiring.end();
      const bool counted_out = expiring || (c.count_amb_t.has_value() && std::find(s.definite_idx.begin(),
                                                                                   s.definite_idx.end(),
                                                                                   i) == s.definite_idx.end());
      if (counted_out && none && expiring) {
        expired_before_reply(c, q);
        continue;
      }
      if (counted_out && none) {
        c.gone = true, c.gone_reason = c.count_amb_kind, c.gone_t = *c.count_amb_t, c.gone_t_hi = q.t;
        continue;
      }
      if (counted_out && !all) s.undecided.push_back(i);
      kept.push_back(i);
    }
    s.chosen.swap(kept);
  }
}

// A REFRESH (200) replaces the timeouts it names and restarts them from the request.
void Scoreboard::Impl::refresh_criterion(Crit& c, const Request& q, const Reply& rp) const {
  const ref::Message& m = *q.msg;
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
  const bool pk = set("timeout-packets", ~0ull, c.to_packets), by = set("timeout-bytes", ~0ull, c.to_bytes);
  if (pk || by) {
    // Packets counted before this reset in the model but done after the request arrived
    // may have been counted after the reset on the card.
    c.reset_lo = q.t, c.reset_hi = t_hi;
    c.pk_over = c.by_over = c.pk_under = c.by_under = 0;
    for (const auto& [done, bytes] : c.recent)
      if (done >= q.t) ++c.pk_under, c.by_under += bytes;
    c.count_amb_t.reset();
    if (pk) c.n_packets = 0;
    if (by) c.n_bytes = 0;
  }
}

}  // namespace dfc::tb
