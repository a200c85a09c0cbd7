// The scoreboard's congestion predictor: per content destination with a soft or hard limit, the
// reference's own 10-second average of the copies IT predicts (dtcp.md §2.7, §1.10; decisions
// in docs/dtcp-conformance.md §8/§13.4 and docs/model.md), and from it the Congestion (580) and
// CongestionDelete (680) notifications the card must send, checked against the ones it sent.
// Written from those documents, not from the firmware (test `testbench.scoreboard_independent`).
// docs/scoreboard.md "Congestion" explains the schedule, the tolerances and the failures.
#include <cmath>

#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

namespace {
std::string kbps(double bps) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << bps / 1000 << " kbit/s";
  return o.str();
}
std::string pct(double band) {
  std::ostringstream o;
  o << band * 100 << " %";
  return o.str();
}
std::string names(const std::vector<Crit>& crits, const std::vector<size_t>& v) {
  std::string s;
  for (size_t ci : v) s += (s.empty() ? "" : ", ") + crits[ci].name();
  return s.empty() ? "none" : s;
}
json& cgcov(json& cov, const char* code) { return cov["congestion"][code]; }
}  // namespace

void SecWindow::add(uint64_t sec, uint64_t bytes) {
  auto it = secs.rbegin();
  while (it != secs.rend() && it->first > sec) ++it;  // replayed in done order: almost always the back
  if (it != secs.rend() && it->first == sec) it->second += bytes;
  else secs.insert(it.base(), {sec, bytes});
  while (!secs.empty() && secs.front().first + 11 <= secs.back().first) secs.pop_front();
}

uint64_t SecWindow::sum(uint64_t sec) const {
  uint64_t s = 0;
  for (const auto& [k, b] : secs)
    if (k <= sec && k + 10 > sec) s += b;
  return s;
}

void Scoreboard::Impl::congestion_setup() {
  for (const auto& [key, d] : cfg.cdests)
    if (d.soft_limit.value_or(0) > 0 || d.hard_limit.value_or(0) > 0) cg[key];
}

// Every copy the reference predicts to a limited destination (ingress-dropped packets have
// none; a copy the egress queue refused was still built and counts) is accounted, with the
// original IP datagram's length, on the destination's representative criterion, in the second
// the card was done with the packet.
void Scoreboard::Impl::congestion_copies(const Pkt& p, const Outcome& o) {
  if (cg.empty() || o.undecided) return;
  for (size_t i = 0; i < o.selected.size() && i < o.reps.size(); ++i) {
    auto it = cg.find(o.selected[i]);
    if (it != cg.end()) it->second.crit[o.reps[i]].add(p.t_done / kPsPerSec, p.pp.ip_len);
  }
}

// Does criterion c's traffic count toward its destination's rate at t? A removed criterion's
// past copies no longer count (docs/dtcp-conformance.md §13.4); near its removal it is
// ambiguous (1).
int Scoreboard::Impl::cg_presence(const Crit& c, uint64_t t) const {
  if (!c.active) return 0;
  if (c.notified_t && *c.notified_t < t) return 0;  // 680/599: gone at the notification
  const uint64_t W = cfg.timeout_window_ps;
  int r = t <= c.install_end ? 1 : 2;
  if (c.del_start) {
    if (t > *c.del_end) return 0;
    if (t >= *c.del_start) r = 1;
  }
  if (c.gone) {
    if (t > c.gone_t_hi + W) return 0;
    if (t + W >= c.gone_t) r = 1;
  } else if (auto d = c.deadline()) {
    if (t > *c.deadline(true) + W) return 0;
    if (t + W >= *d) r = 1;
  }
  if (c.count_amb_t && t >= *c.count_amb_t) r = 1;
  return r;
}

// The destination's 10-s average at t (bit/s): the copy bytes of seconds floor(t)-9..floor(t)
// of its criteria still counted, * 8 / 10.
RateRange Scoreboard::Impl::cd_rate(const CgDest& st, uint64_t t, std::map<size_t, double>* contrib) const {
  RateRange r;
  const uint64_t sec = t / kPsPerSec;
  for (const auto& [ci, w] : st.crit) {
    const int p = cg_presence(crits[ci], t);
    if (!p) continue;
    const double bits = static_cast<double>(w.sum(sec)) * 8.0 / 10.0;
    if (p == 2) r.lo += bits;
    r.hi += bits;
    if (contrib && bits > 0) (*contrib)[ci] = bits;
  }
  return r;
}

// The card evaluated somewhere in [t - W, t] (t: when its notification left): the range over
// both ends (the rate only grows within a second, and may drop at a second boundary).
RateRange Scoreboard::Impl::cd_rate_near(const CgDest& st, uint64_t t, std::map<size_t, double>* contrib) const {
  const uint64_t W = cfg.timeout_window_ps;
  const RateRange a = cd_rate(st, t > W ? t - W : 0), b = cd_rate(st, t, contrib);
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

// Control sources with criteria to destination d at t (definitely in force, or also ambiguous).
std::set<std::string> Scoreboard::Impl::owners(const std::string& d, uint64_t t, bool definite_only) const {
  std::set<std::string> o;
  for (const Crit& c : crits) {
    if (std::find(c.cdests.begin(), c.cdests.end(), d) == c.cdests.end()) continue;
    const int p = cg_presence(c, t);
    if (p == 2 || (p == 1 && !definite_only)) o.insert(c.cs);
  }
  return o;
}

// The documented purge order (docs/dtcp-conformance.md §13.4): criteria carrying copies to the
// destination, lowest priority (highest total priority number) first, newest first.
std::vector<size_t> Scoreboard::Impl::purge_order(const std::map<size_t, double>& contrib) const {
  std::vector<size_t> v;
  for (const auto& [ci, bits] : contrib) v.push_back(ci);
  std::sort(v.begin(), v.end(), [&](size_t a, size_t b) {
    const Crit &x = crits[a], &y = crits[b];
    if (x.prio != y.prio) return x.prio > y.prio;
    return std::tie(x.t_add, x.order) > std::tie(y.t_add, y.order);
  });
  return v;
}

// The criteria the reference deletes: in purge order until the estimate (its rate minus the
// deleted criteria's own copy rates) is below the target.
std::vector<size_t> Scoreboard::Impl::predict_purge(const std::map<size_t, double>& contrib, double target) const {
  std::vector<size_t> pred;
  double est = 0;
  for (const auto& [ci, b] : contrib) est += b;
  for (size_t ci : purge_order(contrib)) {
    if (est < target) break;
    est -= contrib.at(ci), pred.push_back(ci);
  }
  return pred;
}

namespace {
// Two criteria of equal priority whose ADDs the card may have handled in either order.
bool tied(const Crit& a, const Crit& b) {
  return a.prio == b.prio && a.t_add <= b.install_end && b.t_add <= a.install_end;
}
}  // namespace

// End of second `sec` of the replay: the card evaluated at least once in it (its 1-s tick,
// and every first copy of a new second). A rate certainly above a limit for the whole second
// makes a notification due; one certainly below soft-limit-clear ends the soft episode.
void Scoreboard::Impl::judge_second(const std::string& d, CgDest& st, uint64_t sec) {
  const auto& cd = cfg.cdests.at(d);
  const uint64_t W = cfg.timeout_window_ps, P = cfg.congestion_period_ps;
  const double x = cfg.congestion_band;
  const uint64_t t_end = (sec + 1) * kPsPerSec - 1;
  const RateRange e = cd_rate(st, t_end);
  const double lo = std::min(st.start.lo, e.lo), hi = std::max(st.start.hi, e.hi);
  st.peak = std::max(st.peak, hi);
  if (const double soft = static_cast<double>(cd.soft_limit.value_or(0)); soft > 0) {
    const double clear = cd.soft_limit_clear.value_or(0) > 0 ? static_cast<double>(*cd.soft_limit_clear) : soft;
    if (st.soft == CgDest::Clear && lo > soft * (1 + x)) {
      st.soft = CgDest::Congested;
      uint64_t n = 0;
      for (const auto& cs : owners(d, t_end, true))
        if (auto s = cfg.csources.find(cs); s != cfg.csources.end() && s->second.has_notification_targets) ++n;
      if (n) st.soft_due = t_end + 1 + P + W, st.due_rate = lo, st.due_recipients = n;
    } else if (st.soft != CgDest::Clear && hi < clear * (1 - x)) {
      st.soft = CgDest::Clear;
    } else if (st.soft == CgDest::Congested && lo < clear * (1 + x)) {
      st.soft = CgDest::Unknown;
    } else if (st.soft == CgDest::Unknown && lo > soft * (1 + x)) {
      st.soft = CgDest::Congested;  // the card was congested already, or it has just said so
    }
  }
  const double hard = static_cast<double>(cd.hard_limit.value_or(0));
  const bool purged_now = st.last_purge_t && *st.last_purge_t + W >= sec * kPsPerSec;
  if (st.hard_missed && hi <= hard * (1 + x)) st.hard_missed = false;
  if (hard > 0 && lo > hard * (1 + x) && !st.hard_due && !purged_now && !st.hard_missed) {
    // due only if a source the reference would purge can be told (has notification targets)
    std::map<size_t, double> contrib;
    cd_rate(st, t_end, &contrib);
    const double target = cd.hard_limit_target.value_or(0) > 0 ? static_cast<double>(*cd.hard_limit_target) : hard;
    bool told = false;
    for (size_t ci : predict_purge(contrib, target))
      if (auto s = cfg.csources.find(crits[ci].cs); s != cfg.csources.end() && s->second.has_notification_targets) told = true;
    if (told) st.hard_due = t_end + 1 + P + W, st.hard_due_rate = lo;
  }
  // criteria no longer counted never count again
  for (auto it = st.crit.begin(); it != st.crit.end();)
    it = cg_presence(crits[it->first], t_end) == 0 ? st.crit.erase(it) : std::next(it);
}

void Scoreboard::Impl::congestion_advance(uint64_t t) {
  if (cg.empty()) return;
  const uint64_t W = cfg.timeout_window_ps;
  for (auto& [d, st] : cg) {
    if (st.onset_open && t > st.onset_t + W) close_onset(d, st);
    if (st.purge && t > purges[*st.purge].t + W) {
      const size_t g = *st.purge;
      st.purge.reset();
      check_purge(g);
    }
  }
  for (const uint64_t sec = t / kPsPerSec; cg_sec < sec;) {
    for (auto& [d, st] : cg) judge_second(d, st, cg_sec);
    ++cg_sec;
    for (auto& [d, st] : cg) st.start = cd_rate(st, cg_sec * kPsPerSec);
  }
  for (auto& [d, st] : cg) {
    if (st.soft_due && t > *st.soft_due) {
      bump(cgcov(cov, "580"), "predicted", st.due_recipients);
      bump(cgcov(cov, "580"), "missing", st.due_recipients);
      error("congestion " + d + ": the reference's 10-s rate was " + kbps(st.due_rate) + " for a whole second, above soft-limit " +
            kbps(static_cast<double>(*cfg.cdests.at(d).soft_limit)) + " (+" + pct(cfg.congestion_band) + "), but no Congestion (580) came by " + us(*st.soft_due) + " (missing 580)");
      st.soft_due.reset();
    }
    if (st.hard_due && t > *st.hard_due) {
      std::map<size_t, double> contrib;
      const RateRange r = cd_rate(st, *st.hard_due, &contrib);
      const auto order = purge_order(contrib);
      bump(cgcov(cov, "680"), "predicted", 1);
      bump(cgcov(cov, "680"), "missing", 1);
      error("congestion " + d + ": the reference's 10-s rate was " + kbps(st.hard_due_rate) + " for a whole second, above hard-limit " +
            kbps(static_cast<double>(*cfg.cdests.at(d).hard_limit)) + ", but no CongestionDelete (680) came by " +
            us(*st.hard_due) + " (missing 680; rate now " + kbps(r.hi) + ", deletion order " + names(crits, order) + ")");
      st.hard_due.reset(), st.hard_missed = true;
    }
  }
}

void Scoreboard::Impl::close_onset(const std::string& d, CgDest& st) {
  st.onset_open = false;
  for (const auto& cs : st.onset_expected)
    if (!st.onset_got.count(cs)) {
      bump(cgcov(cov, "580"), "missing", 1);
      error("580 for " + d + " at " + us(st.onset_t) + ": control source " + cs +
            " has criteria to it (and notification targets) but got no Congestion notification (missing 580)");
    }
}

void Scoreboard::Impl::congestion_notification(size_t ni) {
  const Notification& n = notifications[ni];
  const int code = n.msg->status;
  if (code == 599) {  // a restart clears the destinations' windows and soft congestion
    for (auto& [d, st] : cg) {
      if (st.onset_open) close_onset(d, st);
      if (st.purge) check_purge(*st.purge), st.purge.reset();
      st.crit.clear();
      st.soft = CgDest::Clear, st.soft_due.reset(), st.hard_due.reset(), st.start = {};
    }
    return;
  }
  const std::string where = std::to_string(code) + " to " + n.cs + " at " + us(n.t) + ": ";
  const auto cdv = n.msg->get("cdest-id");
  if (!cdv) return error(where + "no Cdest-ID");
  const std::string key = cfg.cdest_key(n.cs, *cdv);
  auto it = cg.find(key);
  const auto* cd = key.empty() ? nullptr : &cfg.cdests.at(key);
  const bool limit = cd && (code == 580 ? cd->soft_limit.value_or(0) : cd->hard_limit.value_or(0)) > 0;
  if (it == cg.end() || !limit) {
    bump(cgcov(cov, code == 580 ? "580" : "680"), "unexpected", 1);
    return error(where + "unexpected: destination '" + *cdv + "' has no " + (code == 580 ? "soft-limit" : "hard-limit") +
                 " configured in the source's capture group");
  }
  if (code == 580) soft_notification(n, key, it->second);
  else hard_notification(n, key, it->second);
}

// A card 580 starts an onset (or joins the open one: the card tells every source with criteria
// to the destination at one evaluation). Accepted when the reference's rate around it is above
// soft-limit (minus the band) and the destination may have been out of congestion before.
void Scoreboard::Impl::soft_notification(const Notification& n, const std::string& d, CgDest& st) {
  const auto& cd = cfg.cdests.at(d);
  const uint64_t W = cfg.timeout_window_ps;
  const double x = cfg.congestion_band, soft = static_cast<double>(*cd.soft_limit);
  const double clear = cd.soft_limit_clear.value_or(0) > 0 ? static_cast<double>(*cd.soft_limit_clear) : soft;
  const std::string where = "580 to " + n.cs + " at " + us(n.t) + " for " + d + ": ";
  json& k = cgcov(cov, "580");
  if (!owners(d, n.t, false).count(n.cs)) error(where + "the source has no criterion to this destination");
  if (st.onset_open && n.t <= st.onset_t + W) {
    st.onset_got.insert(n.cs);
    bump(k, st.onset_expected.empty() && !st.onset_definite ? "ambiguous" : "matched", 1);
    return;
  }
  if (st.onset_open) close_onset(d, st);
  const RateRange r = cd_rate_near(st, n.t);
  const bool may_have_cleared = st.soft != CgDest::Congested || st.soft_due || st.start.lo < clear * (1 + x) ||
                                r.lo < clear * (1 + x);
  bool ok = true;
  if (r.hi <= soft * (1 - x)) {
    ok = false;
    error(where + "unexpected Congestion: the reference's 10-s rate is " + kbps(r.hi) + ", not above soft-limit " +
          kbps(soft) + " (-" + pct(x) + ")");
  } else if (!may_have_cleared) {
    ok = false;
    error(where + "unexpected Congestion: the destination is still congested since the 580 at " + us(st.onset_t) +
          " (the reference's rate " + kbps(r.lo) + " never fell below soft-limit-clear " + kbps(clear) + ")");
  }
  st.onset_definite = ok && (st.soft_due.has_value() || r.lo > soft * (1 + x));
  st.soft = CgDest::Congested, st.soft_due.reset();
  st.onset_open = true, st.onset_t = n.t, st.onset_got = {n.cs}, st.onset_expected.clear();
  ++st.onsets;
  if (!ok) return bump(k, "unexpected", 1);
  if (st.onset_definite) {
    for (const auto& cs : owners(d, n.t, true))
      if (auto s = cfg.csources.find(cs); s != cfg.csources.end() && s->second.has_notification_targets)
        st.onset_expected.insert(cs);
    bump(k, "predicted", st.onset_expected.size());
  }
  bump(k, st.onset_definite ? "matched" : "ambiguous", 1);
}

// A card 680 opens (or joins) the deletions of one evaluation; judged W later (check_purge),
// once every source's 680 of that evaluation is in.
void Scoreboard::Impl::hard_notification(const Notification& n, const std::string& d, CgDest& st) {
  const uint64_t W = cfg.timeout_window_ps;
  for (size_t ci : n.crits)
    if (std::find(crits[ci].cdests.begin(), crits[ci].cdests.end(), d) == crits[ci].cdests.end())
      error("680 to " + n.cs + " at " + us(n.t) + " for " + d + ": names " + crits[ci].name() +
            ", which has no copies to this destination");
  if (st.purge && n.t <= purges[*st.purge].t + W) {
    PurgeGroup& g = purges[*st.purge];
    g.deleted.insert(n.crits.begin(), n.crits.end());
    g.sources.insert(n.cs);
    ++g.notes;
    return;
  }
  if (st.purge) check_purge(*st.purge), st.purge.reset();
  PurgeGroup g;
  g.cdest = d, g.t = n.t, g.notes = 1, g.due = st.hard_due.has_value();
  g.deleted.insert(n.crits.begin(), n.crits.end());
  g.sources.insert(n.cs);
  g.at = cd_rate_near(st, n.t, &g.contrib);
  st.hard_due.reset(), st.last_purge_t = n.t;
  ++st.purges;
  purges.push_back(std::move(g));
  st.purge = purges.size() - 1;
}

// One evaluation's deletions against the reference: above hard-limit; only criteria carrying
// copies there; in the documented order (ties: any order); enough to fall below
// hard-limit-target, and not one more.
void Scoreboard::Impl::check_purge(size_t gi) {
  const PurgeGroup& g = purges[gi];
  const auto& cd = cfg.cdests.at(g.cdest);
  const double x = cfg.congestion_band, hard = static_cast<double>(*cd.hard_limit);
  const double target = cd.hard_limit_target.value_or(0) > 0 ? static_cast<double>(*cd.hard_limit_target) : hard;
  const std::vector<size_t> order = purge_order(g.contrib);
  std::vector<size_t> deleted(g.deleted.begin(), g.deleted.end());
  const std::string where = "680 for " + g.cdest + " at " + us(g.t) + " deleting " + names(crits, deleted) + ": ";
  std::vector<std::string> bad;
  const bool unexpected = g.at.hi <= hard * (1 - x);
  if (unexpected)
    bad.push_back("unexpected CongestionDelete: the reference's 10-s rate is " + kbps(g.at.hi) + ", not above hard-limit " +
                  kbps(hard));
  double sum = 0;
  for (size_t ci : deleted) {
    if (!g.contrib.count(ci)) bad.push_back(crits[ci].name() + " carried no copies there in the last 10 s (not a candidate)");
    else sum += g.contrib.at(ci);
  }
  for (size_t i = 0; i < order.size() && bad.size() < 3; ++i) {  // a kept one before a deleted one
    if (g.deleted.count(order[i])) continue;
    for (size_t j = i + 1; j < order.size(); ++j)
      if (g.deleted.count(order[j]) && !tied(crits[order[i]], crits[order[j]])) {
        bad.push_back("deleted " + crits[order[j]].name() + " but kept " + crits[order[i]].name() +
                      ", which comes first (lowest priority, then newest)");
        break;
      }
  }
  double last = 0;  // the contribution of the last one deleted (the largest in its tie set)
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if (g.deleted.count(*it)) {
      for (size_t ci : deleted)
        if (g.contrib.count(ci) && tied(crits[ci], crits[*it])) last = std::max(last, g.contrib.at(ci));
      break;
    }
  if (unexpected) {
    // nothing was due: which and how many do not matter
  } else if (g.at.lo - sum >= target * (1 + x))
    bad.push_back("too few deleted: the estimate stays at " + kbps(g.at.lo - sum) + ", not below hard-limit-target " + kbps(target));
  else if (!deleted.empty() && g.at.hi - sum + last < target * (1 - x))
    bad.push_back("too many deleted: the estimate was below hard-limit-target " + kbps(target) + " before the last one");
  // the reference's own choice (exact without ties), for the counts and messages
  const std::vector<size_t> pred = predict_purge(g.contrib, target);
  std::set<std::string> pred_sources;
  for (size_t ci : pred) pred_sources.insert(crits[ci].cs);
  const bool definite = g.due || g.at.lo > hard * (1 + x);
  json& k = cgcov(cov, "680");
  if (definite) bump(k, "predicted", pred_sources.size()), bump(k, "criteria_predicted", pred.size());
  bump(k, "criteria_deleted", deleted.size());
  for (const auto& b : bad) error(where + b + " (reference rate " + kbps(g.at.lo) + ".." + kbps(g.at.hi) + ", predicts " + names(crits, pred) + ")");
  if (!bad.empty()) return bump(k, "unexpected", g.notes);
  bump(k, definite ? "matched" : "ambiguous", g.notes);
  if (std::set<size_t>(pred.begin(), pred.end()) != g.deleted) bump(k, "tie_resolved", 1);
}

void Scoreboard::Impl::congestion_finish() {
  if (cg.empty()) return;
  congestion_advance(std::max(t_last, run_end));
  json& c = cov["congestion"];
  for (auto& [d, st] : cg) {
    st.peak = std::max(st.peak, cd_rate(st, std::max(t_last, run_end)).hi);  // the last, partial second
    if (st.onset_open) close_onset(d, st);
    if (st.purge) check_purge(*st.purge), st.purge.reset();
    c["destinations"][d] = {{"peak_rate_bps", std::llround(st.peak)},
                            {"soft_onsets", st.onsets},
                            {"purges", st.purges},
                            {"soft_state_at_end", st.soft == CgDest::Clear       ? "clear"
                                                  : st.soft == CgDest::Congested ? "congested"
                                                                                 : "unknown"}};
  }
  for (const char* code : {"580", "680"})
    for (const char* key : {"predicted", "matched", "ambiguous", "missing", "unexpected"})
      if (!c[code].contains(key)) c[code][key] = 0;
  c["band"] = cfg.congestion_band;
  c["period_ps"] = cfg.congestion_period_ps;
}

}  // namespace dfc::tb
