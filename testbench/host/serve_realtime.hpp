// `dfcsim serve`'s account of real time: what the host could not do on time, kept apart from
// what the card did (docs/user-guide-realtime.md, "When the host cannot keep up").
//  * A packet is due at its intended time: a traffic packet at its replay time, a DTCP datagram
//    at its kernel receive time. It is offered on time when the host hands it to the card no
//    later than the lag bound (--max-lag) after that.
//  * A traffic packet the host could only offer later than that is not offered at all: it is a
//    host-late packet (counted here, never given to the card, so never one of the card's drops),
//    and the model skips ahead to the packets still due, so it catches up with the wall clock.
//  * DTCP datagrams are never skipped: each is offered at its receive time, in time order with
//    the traffic, however late the host is (its lag is in offer_lag).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "report/stats.hpp"

namespace dfc::tb {

class RealtimeAccount {
 public:
  explicit RealtimeAccount(uint64_t bound_ps) : bound_ps_(bound_ps) {}
  uint64_t bound_ps() const { return bound_ps_; }
  // A packet handed to the card at wall time now_ps, due at due_ps.
  void on_offered(uint64_t due_ps, uint64_t now_ps);
  // A packet handed to the card at a later simulated time than it was due (by_ps): an idle step
  // had already covered its time (a datagram queued in the kernel just after the source
  // looked). Microseconds at most; counted so that a test can tell.
  void on_shifted(uint64_t by_ps) {
    ++shifted_;
    max_shift_ps_ = std::max(max_shift_ps_, by_ps);
  }
  // A traffic packet not offered: later than the bound.
  void on_host_late(uint64_t due_ps, uint64_t now_ps);
  bool too_late(uint64_t due_ps, uint64_t now_ps) const { return now_ps > due_ps && now_ps - due_ps > bound_ps_; }
  uint64_t host_late_packets() const { return host_late_; }

  // Called now and then while serving: prints one warning on stderr when, since the last one,
  // packets were host-late, control datagrams were lost in the kernel or the card model ran
  // more than the bound behind the wall clock; at most one warning per period.
  void maybe_warn(uint64_t now_ps, uint64_t socket_drops, uint64_t card_late_events, uint64_t card_max_lag_ps);
  uint64_t warnings() const { return warnings_; }

  // report.json "realtime" (lag_bound_s, offer_lag, host_late_packets, warnings; serve adds the
  // card's and the sockets' fields).
  nlohmann::json to_json() const;

 private:
  uint64_t bound_ps_;
  uint64_t host_late_ = 0, offered_ = 0, max_late_lag_ps_ = 0, shifted_ = 0, max_shift_ps_ = 0;
  LatencyStats lag_;
  // The warning window: counts at the last warning.
  uint64_t warned_at_ps_ = 0, late_at_warn_ = 0, drops_at_warn_ = 0, card_late_at_warn_ = 0, warnings_ = 0;
  uint64_t window_lag_ps_ = 0;
};

// Why a serve run was not real time ("" when it was): host-late packets, control datagrams lost
// in the kernel, the model behind the wall clock by more than the bound. From report.json's
// "realtime" section.
std::string not_real_time_reason(const nlohmann::json& realtime);

// The stop line's real-time summary (offer lag, host-late packets, kernel drops, model lag).
std::string realtime_line(const nlohmann::json& realtime);

}  // namespace dfc::tb
