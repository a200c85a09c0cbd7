// Shared-resource bookkeeping for the loosely-timed card (SystemC-free).
//
// Cores run ahead of SystemC time by up to a quantum, so requests reach a shared resource
// out of time order. A single busy-until would make a core that lags wait behind bookings
// made "in its future" by a core that leads. Occupancy keeps a timeline of short windows
// instead: a request at time t is packed into t's window after what was already booked
// there (spilling into the next windows when it is full), so requests only wait for those
// that overlap them in simulated time, whatever order the host ran them in.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace dfc::model {

class Occupancy {
 public:
  explicit Occupancy(uint64_t window_ps = 100'000, size_t windows = 4096)
      : window_(window_ps), slots_(windows) {}

  // Books `service_ps` of the resource for a request arriving at t_ps; returns the time the
  // service starts (>= t_ps).
  uint64_t book(uint64_t t_ps, uint64_t service_ps) {
    busy_ps_ += service_ps;
    ++requests_;
    uint64_t w = t_ps / window_;
    uint64_t start = t_ps;
    uint64_t left = service_ps;
    bool first = true;
    for (;;) {
      Slot& s = slot(w);
      const uint64_t base = w * window_;
      const uint64_t free_at = base + s.used;
      if (free_at >= base + window_) {  // window full: move on
        ++w;
        start = std::max(start, (w)*window_);
        continue;
      }
      if (first) start = std::max(start, free_at), first = false;
      const uint64_t begin = std::max(start, free_at);
      const uint64_t room = base + window_ - begin;
      const uint64_t take = std::min(room, left);
      s.used = begin + take - base;
      left -= take;
      if (left == 0) break;
      ++w;
    }
    wait_ps_ += start - t_ps;
    return start;
  }
  uint64_t busy_ps() const { return busy_ps_; }
  uint64_t wait_ps() const { return wait_ps_; }
  uint64_t requests() const { return requests_; }

 private:
  struct Slot {
    uint64_t tag = UINT64_MAX;
    uint64_t used = 0;  // ps booked from the window's start
  };
  Slot& slot(uint64_t w) {
    Slot& s = slots_[w % slots_.size()];
    if (s.tag != w) s.tag = w, s.used = 0;  // a window older than the ring's span is forgotten
    return s;
  }
  uint64_t window_;
  std::vector<Slot> slots_;
  uint64_t busy_ps_ = 0, wait_ps_ = 0, requests_ = 0;
};

}  // namespace dfc::model
