// Traffic accounting from the pipeline (per-criterion hits, per-destination copies), the
// soft/hard bandwidth limits of content destinations (580/680) and DuplicatesDropped (598).
#include "server_internal.hpp"

#include <algorithm>

#include "dfc/hal/card_map.hpp"

namespace dfc::dtcp {
using namespace detail;

// With the packet path's accounting lock removed (fault injection, hal.hpp: the site
// "process"), the accounting below runs unlocked, so that several data threads update
// the same counters and the race checker reports it. Its deletions still take the lock then: the
// firmware must live long enough to report the race, not fall over in a half-removed map.
// Otherwise the caller holds the lock and this is nothing.
#define DFC_ACCOUNTING_RELOCK DFC_FAULT_RELOCK(hal_, cardmap::HW_LOCK_CRITERIA, "process")

void Server::account_hit(fw::RuleId id, uint32_t bytes) {
  auto it = by_rule_.find(id);
  if (it == by_rule_.end()) return;
  Criterion& c = *it->second;
  const uint64_t now = hal_.now_ns();
  const uint64_t now_s = now / kNsPerSec;
  ++c.matching_packets;
  c.matching_bytes += bytes;
  c.idle_base_ns = std::max(c.idle_base_ns, now);  // idle counts from the last hit
  c.rate.add(now_s, bytes);
  if (!c.is_static) {
    const uint32_t cid = c.id;
    if (c.t_packets && c.matching_packets - c.pkts_base >= c.t_packets) {
      DFC_ACCOUNTING_RELOCK;
      remove(cid, DeleteReason::TimeoutPackets, true);
      rearm();
    } else if (c.t_bytes && c.matching_bytes - c.bytes_base >= c.t_bytes) {
      DFC_ACCOUNTING_RELOCK;
      remove(cid, DeleteReason::TimeoutBytes, true);
      rearm();
    }
  }
}

void Server::account_copy(fw::RuleId id, uint32_t bytes) {
  auto it = by_rule_.find(id);
  if (it == by_rule_.end()) return;
  Criterion& c = *it->second;
  const uint64_t now_s = hal_.now_ns() / kNsPerSec;
  c.copy_rate.add(now_s, bytes);
  CdState& cd = *cd_[c.cd];
  ++cd.matched_packets;
  cd.matched_bytes += bytes;
  const bool new_second = cd.rate.add(now_s, bytes);
  if (new_second && (cd.cfg->soft_limit || cd.cfg->hard_limit)) {
    DFC_ACCOUNTING_RELOCK;
    check_congestion();
  }
}

void Server::duplicates_dropped(const std::string& csource_id) {
  for (auto& s : cs_)
    if (s->cfg->id == csource_id) return duplicates_dropped(*s);
}

void Server::duplicates_dropped_for_criterion(uint32_t criteria_id) {
  auto it = criteria_.find(criteria_id);
  if (it != criteria_.end()) duplicates_dropped(*cs_[it->second->cs]);
}

void Server::duplicates_dropped(CsState& cs_ref) {
  CsState* cs = &cs_ref;
  ++cs->c.duplicates_dropped;
  ++cs->dups_since_sent;
  const uint64_t now = hal_.now_ns();
  const uint64_t period = uint64_t{cfg_.duplicates_dropped_periodicity(*cs->group)} * kNsPerSec;
  if (!cs->dups_ever_sent || now - cs->dups_last_sent_ns >= period) {
    notify(*cs, code::DuplicatesDropped, {{"X-Duplicates-Dropped", std::to_string(cs->dups_since_sent)}});
    cs->dups_ever_sent = true;
    cs->dups_last_sent_ns = now;
    cs->dups_since_sent = 0;
  }
}

void Server::check_congestion() {
  const uint64_t now_s = hal_.now_ns() / kNsPerSec;
  for (size_t di = 0; di < cd_.size(); ++di) {
    CdState& cd = *cd_[di];
    const auto& dc = *cd.cfg;
    if (!dc.soft_limit && !dc.hard_limit) continue;
    // Reference §2.7: the 10-s average "over all active criteria to it". Each copy is counted
    // once, on the criterion that represented the destination for that packet (overlapping
    // criteria do not multiply it), and a deleted criterion's past copies no longer count
    // (else one hard-limit episode would keep deleting every evaluation until the window
    // drained).
    uint64_t bps = 0;
    for (const auto& [id, c] : criteria_)
      if (c->cd == di) bps += c->copy_rate.bps(now_s);
    // Sources with criteria to this destination.
    auto owners = [&]() {
      std::set<size_t> o;
      for (const auto& [id, c] : criteria_)
        if (c->cd == di) o.insert(c->cs);
      return o;
    };
    if (dc.soft_limit && *dc.soft_limit > 0) {
      const uint64_t clear = dc.soft_limit_clear.value_or(*dc.soft_limit);
      if (!cd.soft_congested && bps > *dc.soft_limit) {
        cd.soft_congested = true;
        ++cd.soft_episodes;
        for (size_t ci : owners()) {
          Params ps{{"Cdest-ID", escape(dc.id)}, {"Average-Bandwidth", std::to_string(bps)},
                    {"Alert-Bandwidth", std::to_string(*dc.soft_limit)}};
          if (dc.hard_limit) ps.emplace_back("Max-Bandwidth", std::to_string(*dc.hard_limit));
          notify(*cs_[ci], code::Congestion, ps);
          ++cd.congestion_notifications;
        }
      } else if (cd.soft_congested && bps < clear) {
        cd.soft_congested = false;
        ++cd.soft_cleared;
      }
    }
    if (dc.hard_limit && *dc.hard_limit > 0 && bps > *dc.hard_limit) {
      const uint64_t target = dc.hard_limit_target.value_or(*dc.hard_limit);
      // Victims: criteria that carry copies to this destination, lowest priority (highest
      // number) first, newest first among equals. A criterion with no traffic there is never
      // deleted: it does not contribute to the congestion.
      std::vector<Criterion*> v;
      for (const auto& [id, c] : criteria_)
        if (c->cd == di && c->copy_rate.bps(now_s) > 0) v.push_back(c.get());
      std::sort(v.begin(), v.end(), [](const Criterion* a, const Criterion* b) {
        if (a->view.priority != b->view.priority) return a->view.priority > b->view.priority;
        return a->view.added_seq > b->view.added_seq;
      });
      std::map<size_t, std::vector<uint32_t>> per_cs;
      uint64_t est = bps;
      for (Criterion* c : v) {
        if (est < target) break;
        const uint64_t own = c->copy_rate.bps(now_s);
        est = own >= est ? 0 : est - own;
        per_cs[c->cs].push_back(c->id);
      }
      for (auto& [ci, ids] : per_cs) {
        std::string list;
        for (uint32_t id : ids) {
          if (!list.empty()) list += ",";
          list += std::to_string(id);
          remove(id, DeleteReason::Congestion, false);
        }
        Params ps{{"Cdest-ID", escape(dc.id)}, {"Criteria-ID", list}, {"Average-Bandwidth", std::to_string(bps)},
                  {"Max-Bandwidth", std::to_string(*dc.hard_limit)}};
        notify(*cs_[ci], code::CongestionDelete, ps);
        ++cd.congestion_notifications;
      }
      if (!per_cs.empty()) rearm();
    }
  }
}

// ---------------------------------------------------------------------------------------------

}  // namespace dfc::dtcp
