// The scoreboard's timeout checks: packet/byte counts (with their uncertainty near a REFRESH),
// the 390 (Timeout) notifications and the end-of-run check of timeouts that were never
// notified (docs/scoreboard.md "Time"). Uses no firmware code.
#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

// One counted hit of criterion c (see Crit::reset_lo): tracks the count's uncertainty, and
// decides a packet/byte timeout once it is certain (ambiguous from when it became possible).
void Scoreboard::Impl::count_hit(Crit& c, const Pkt& p) {
  const uint64_t bytes = p.pp.ip_len;
  if (c.reset_hi && p.t_done <= c.reset_hi) ++c.pk_over, c.by_over += bytes;
  while (!c.recent.empty() && c.recent.front().first < p.t) c.recent.pop_front();
  if (c.recent.size() < 4096) c.recent.emplace_back(p.t_done, bytes);
  auto check = [&](uint64_t limit, uint64_t n, uint64_t over, uint64_t under, const char* kind) {
    if (!limit || c.gone) return;
    if (n - std::min(n, over) >= limit) {
      c.gone = true, c.gone_reason = kind, c.gone_t = c.count_amb_t.value_or(p.t), c.gone_t_hi = p.t_done;
    } else if (n + under >= limit && !c.count_amb_t) {
      c.count_amb_t = p.t, c.count_amb_kind = kind;
    }
  };
  check(c.to_packets, c.n_packets, c.pk_over, c.pk_under, "packets");
  check(c.to_bytes, c.n_bytes, c.by_over, c.by_under, "bytes");
}

bool Scoreboard::Impl::count_may_run_out_in_flight(const Crit& c, const Pkt& p) const {
  if ((!c.to_packets && !c.to_bytes) || c.gone || c.count_amb_t || c.is_static) return false;
  uint64_t n = c.n_packets + c.pk_under, b = c.n_bytes + c.by_under;
  // The queue is in done order from p on; a packet done later than p.t_done + max_proc_ps was
  // taken after p was done.
  for (auto it = queue.begin(); it != queue.end() && it->first.first <= p.t_done + max_proc_ps; ++it) {
    if (it->second.kind != 2) continue;
    const auto pk = pkts.find(it->second.idx);
    if (pk == pkts.end()) continue;
    const Pkt& q = pk->second;
    if (q.call == p.call || q.t >= p.t_done || q.pp.kind != ref::ParsedPacket::Ip || dropped.count(q.id) ||
        !ref::filter_matches(c.f, q.pp.h))
      continue;
    ++n, b += q.pp.ip_len;
    if ((c.to_packets && n >= c.to_packets) || (c.to_bytes && b >= c.to_bytes)) return true;
  }
  return false;
}

void Scoreboard::Impl::check_timeout_notification(Notification& n, size_t ni) {
  const uint64_t W = cfg.timeout_window_ps;
  json& t = cov["timeouts"];
  // A packet/byte timeout is notified while the packet that ran the count out is still being
  // handled (before it is reported done, which is when the model counts it): judge such a
  // notification once more, one window later, before calling it unexpected.
  if (!n.rechecked) {
    for (size_t i : n.crits) {
      const Crit& c = crits[i];
      if (!c.gone && !c.timeout_notified && (c.to_packets || c.to_bytes) && !c.count_amb_t) {
        n.rechecked = true;
        const uint64_t at = n.t + W;
        queue.emplace(std::make_pair(at, calls), sbi::Ev{at, calls, 1, ni});
        ++calls;
        return;
      }
    }
  }
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
    if (!c.gone && c.count_amb_t && n.t + W >= *c.count_amb_t) {  // a count that may have run out
      bump(t, "notified_" + c.count_amb_kind, 1);
      c.gone = true, c.gone_reason = c.count_amb_kind, c.gone_t = *c.count_amb_t, c.gone_t_hi = n.t;
      continue;
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
    if (c.to_packets && !c.gone)
      model += ", " + std::to_string(c.n_packets) + "/" + std::to_string(c.to_packets) + " packets (-" +
               std::to_string(c.pk_over) + "/+" + std::to_string(c.pk_under) + ")";
    if (c.to_bytes && !c.gone)
      model += ", " + std::to_string(c.n_bytes) + "/" + std::to_string(c.to_bytes) + " bytes (-" +
               std::to_string(c.by_over) + "/+" + std::to_string(c.by_under) + ")";
    error(where + "unexpected timeout (model: " + model + ")");  // the model keeps the criterion
  }
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

}  // namespace dfc::tb
