// Input-packet-rate and PIC-memory threshold monitoring (reference §2.4 "Thresholds", §2.7
// item 5, JUNIPER-DFC-MIB traps 1..8). Plain C++ (no HAL): the firmware feeds it the monitored
// packets it sees and the table usages, it keeps the state with hysteresis and the event log.
//
//   soft pps   per capture group with input-packet-rate-threshold T (effective T' =
//              min(T, the PIC's rated input rate: 300 kpps MS-III, 1 Mpps MS-400)):
//              high watermark T', low watermark 90 % of T'.
//   soft mem   per capture group with pic-memory-threshold P %: "PIC memory" usage =
//              max(flow-table usage %, criteria-table usage %): high P, low 90 % of P.
//   hard pps   PIC-wide, always on: high 95 % of the rated input rate, low 85 %.
//   hard mem   PIC-wide, always on: flow table or criteria table at or above 95 % (high),
//              both below 85 % (low).
// "Exceeded" fires when the value reaches the high watermark while not in the overload state;
// "UnderThreshold" fires when it falls below the low watermark while in it. The input rate is
// measured in fixed 1-s windows (seconds since reset): a window's rate is its packet count,
// evaluated when the window closes (the first packet or timer tick after it). Memory usage is
// evaluated whenever the firmware asks (after control requests, timers and window closes).
// Decisions and their reasons: docs/model.md, "Overload".
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dfc/config/config.hpp"

namespace dfc::fw {

struct OverloadEvent {
  uint64_t t_ns = 0;       // firmware time of the evaluation that raised it
  std::string name;        // JMIB trap name, e.g. "jnxDfcSoftPpsThresholdExceeded"
  std::string group;       // capture group ("" for the PIC-wide hard thresholds)
  std::string kind;        // "pps" or "mem"
  uint64_t value = 0;      // pps: packets in the 1-s window; mem: usage %
  uint64_t low_watermark = 0, high_watermark = 0;  // pps or %
  uint32_t flows_usage_pct = 0, criteria_usage_pct = 0;  // mem events (and pps, for context)
};

struct OverloadOptions {
  uint64_t rated_input_pps = 1'000'000;  // the PIC's input capacity (profile hint)
  uint32_t soft_low_pct = 90;            // low watermark as % of the soft high watermark
  uint32_t hard_high_pct = 95, hard_low_pct = 85;
};

class OverloadMonitor {
 public:
  OverloadMonitor(const config::DfcConfig& cfg, OverloadOptions opt);

  // Concurrency (docs/firmware-concurrency.md §5): every data thread counts its packets
  // without a lock; closing a window (the rate evaluation, the events) is shared state and
  // runs under the criteria lock.
  //
  // One monitored packet at now_ns, lock-free: counted with one 32-bit atomic add when it
  // falls in the current 1-s window (false); true, and not counted, when the window has ended
  // (or the packet's time is in another second): the caller then takes the lock and calls
  // close_window(now_ns), which counts it. On silicon a packet read the window just before
  // another thread closed it may be counted in the next window: one packet at a boundary.
  bool count_packet(uint64_t now_ns) {
    if (now_ns / kNs != window_s_.load(std::memory_order_acquire)) return true;
    window_count_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // Under the lock: closes every window that ended before now_ns and counts this packet.
  void close_window(uint64_t now_ns) {
    tick(now_ns);
    window_count_.fetch_add(1, std::memory_order_relaxed);
  }
  // Single-threaded callers (tests): one packet; true when it closed a window.
  bool on_packet(uint64_t now_ns) {
    if (!count_packet(now_ns)) return false;
    close_window(now_ns);
    return true;
  }
  // Closes every 1-s window that ended before now_ns (call from the timer, under the lock).
  void tick(uint64_t now_ns) {
    if (now_ns / kNs != window_s_.load(std::memory_order_relaxed)) roll(now_ns);
  }
  // Table usages now (entries / capacity); evaluates the memory thresholds.
  void memory(uint64_t now_ns, uint64_t flows, uint64_t flow_capacity, uint64_t criteria_entries,
              uint64_t criteria_capacity);

  const std::vector<OverloadEvent>& events() const { return events_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  uint64_t last_window_pps() const { return last_pps_; }
  uint64_t peak_window_pps() const { return peak_pps_; }
  // The watermarks in force (soft per group, hard PIC-wide) and whether each is exceeded now.
  struct Threshold {
    std::string name;   // "soft_pps", "soft_mem", "hard_pps", "hard_mem"
    std::string group;  // capture group of a soft threshold ("" for hard)
    uint64_t high = 0, low = 0;
    bool exceeded = false;
  };
  std::vector<Threshold> thresholds() const;
  // Effective soft pps threshold of a group (0 if none): min(configured, rated).
  uint64_t effective_pps_threshold(const config::CaptureGroup& g) const;

 private:
  static constexpr uint64_t kNs = 1'000'000'000ull;
  struct Hyst {
    std::string group, kind, exceeded, under;
    uint64_t high = 0, low = 0;
    bool over = false;
  };
  void roll(uint64_t now_ns);
  void eval_pps(uint64_t t_ns, uint64_t pps);
  void emit(Hyst& h, bool exceeded, uint64_t t_ns, uint64_t value);

  OverloadOptions opt_;
  std::vector<Hyst> pps_, mem_;  // soft per group, then the hard one (last)
  // Read and counted by every data thread without the lock (32-bit: LL/SC on the card, a
  // 64-bit atomic would be a locked library call per packet); reset only by roll(), under the
  // lock, with atomic exchanges. Seconds since reset fit 32 bits for 136 years.
  std::atomic<uint32_t> window_s_{0}, window_count_{0};
  uint64_t last_pps_ = 0, peak_pps_ = 0;
  uint32_t flows_pct_ = 0, criteria_pct_ = 0;
  std::vector<OverloadEvent> events_;
  std::map<std::string, uint64_t> counts_;
};

}  // namespace dfc::fw
