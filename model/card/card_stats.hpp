// The card's run statistics (Card::stats()): counters the ingress and the cores keep as they
// run, plus those the blocks keep themselves (Block::add_stats).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dfc::model {

// Where simulated time went, in ps. For a hardware thread: issuing instructions or waiting
// for an issue slot its siblings hold (compute), waiting on a load/store beyond the L1
// (memory), on a hardware semaphore (lock), on a classifier register or result (classifier),
// or having nothing to do (idle). For a core: its pipeline's issue-busy time is compute, and
// the rest is split over the other four in proportion to its threads' stalls. Each set sums
// to the run's simulated span (CardStats::end_ps).
struct StallTimes {
  uint64_t compute_ps = 0, memory_ps = 0, lock_ps = 0, classifier_ps = 0, idle_ps = 0;
  uint64_t total() const { return compute_ps + memory_ps + lock_ps + classifier_ps + idle_ps; }
  // A core's breakdown over [0, end_ps): its pipeline's issue-busy time is compute; the time it
  // issues nothing is split over what its threads waited for (their summed stalls), in proportion.
  static StallTimes of_core(uint64_t issue_busy_ps, uint64_t end_ps, const StallTimes& threads) {
    StallTimes c;
    c.compute_ps = issue_busy_ps < end_ps ? issue_busy_ps : end_ps;
    const uint64_t rest = end_ps - c.compute_ps;
    const double waits = double(threads.memory_ps + threads.lock_ps + threads.classifier_ps + threads.idle_ps);
    if (waits > 0) {
      c.memory_ps = static_cast<uint64_t>(double(rest) * double(threads.memory_ps) / waits);
      c.lock_ps = static_cast<uint64_t>(double(rest) * double(threads.lock_ps) / waits);
      c.classifier_ps = static_cast<uint64_t>(double(rest) * double(threads.classifier_ps) / waits);
    }
    c.idle_ps = rest - c.memory_ps - c.lock_ps - c.classifier_ps;
    return c;
  }
};

// One core: its role (profile keys control_cores / data_cores: "control", "data", "user"),
// its breakdown and its hardware threads' (index = thread within the core).
struct CoreStalls {
  std::string role;
  StallTimes core;
  std::vector<StallTimes> threads;
};

// One hardware semaphore (card_map.hpp HW_LOCK_*, named without the prefix, lower case).
struct LockStats {
  std::string name;
  uint64_t acquisitions = 0;
  uint64_t contended = 0;  // acquisitions that had to wait for another thread's hold
  uint64_t wait_ps = 0;    // simulated time spent waiting, summed over acquisitions
};

struct CardStats {
  uint64_t ingress_packets = 0, ingress_bytes = 0;
  uint64_t control_packets = 0, monitor_packets = 0;
  uint64_t ingress_dropped_buffer = 0;       // arrived with every receive buffer in use
  uint64_t ingress_dropped_ring = 0;         // arrived with its thread's receive ring full
  // DTCP requests (unit 0) dropped at ingress for either reason above: they never reached the
  // firmware. Counted apart, since the two counters above are the monitored packets' accounting.
  uint64_t control_dropped = 0;
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
  std::vector<CoreStalls> stalls;            // per core (Core::add_stats)
  std::vector<LockStats> locks;              // per hardware semaphore (HwSemaphores::add_stats)
  // Cache accesses (lookups of a line) that hit and missed: per core's L1 (Core::add_stats) and
  // the shared L2 (MemorySubsystem::add_stats). A miss is a line fill over the interconnect.
  struct CacheCounts {
    uint64_t hits = 0, misses = 0;
  };
  std::vector<CacheCounts> l1;
  CacheCounts l2;
};

}  // namespace dfc::model
