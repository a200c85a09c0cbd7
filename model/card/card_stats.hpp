// The card's run statistics (Card::stats()): counters the ingress and the cores keep as they
// run, plus those the blocks keep themselves (Block::add_stats).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dfc::model {

struct CardStats {
  uint64_t ingress_packets = 0, ingress_bytes = 0;
  uint64_t control_packets = 0, monitor_packets = 0;
  uint64_t ingress_dropped_buffer = 0;       // arrived with the receive ring full
  uint64_t egress_copies = 0, egress_bytes = 0;
  uint64_t egress_dropped_queue = 0;         // copies refused by a full egress queue
  uint64_t control_sent = 0;
  uint64_t bus_transactions = 0;
  uint64_t classifier_lookups = 0;           // lookups the classifier block started
  uint64_t timer_events = 0;
  std::vector<uint64_t> core_busy_ps;        // per core: handlers, timers, idle housekeeping
  uint64_t first_arrival_ps = 0, last_arrival_ps = 0, end_ps = 0;
  // Monitored traffic only (unit 1): offered = arrived at the MAC, processed = seen by the
  // firmware; the window runs from the first arrival to the last processing end.
  uint64_t monitor_offered = 0;
  uint64_t monitor_first_arrival_ps = 0, monitor_last_arrival_ps = 0, monitor_last_done_ps = 0;
  uint64_t egress_last_depart_ps = 0;
  size_t ingress_buffer_peak = 0;
  uint64_t realtime_late_events = 0, realtime_max_lag_ps = 0;
  uint64_t lock_contended = 0;               // lock acquisitions that found the lock held
};

}  // namespace dfc::model
