// Shared-resource bookkeeping for the loosely-timed card (SystemC-free).
//
// Cores run ahead of SystemC time by up to a quantum, so requests reach a shared resource
// out of time order. A single busy-until would make a thread that lags wait behind bookings
// made "in its future" by a thread that leads. Occupancy keeps the resource's busy intervals
// instead: a request at time t fills the free gaps from t on, so it waits only for bookings
// that overlap it in simulated time, whatever order the host ran them in. (An earlier
// design packed requests into fixed windows; a booking late in a window then delayed a request
// early in the same window that it did not overlap, which made throughput depend on the
// quantum.)
#pragma once
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>

namespace dfc::model {

class Occupancy {
 public:
  // Books `service_ps` of the resource for a request arriving at t_ps and returns its
  // effective start: the service ends at (returned + service_ps). The service fills the
  // free gaps from t_ps on, so a request that finds the resource busy waits, and one that
  // finds a gap shorter than its service continues after the booking that ends the gap
  // (interleaved, as a pipeline or a bus interleaves). `floor_ps`: no request will ever
  // arrive before it again (SystemC's time: every thread's local time is at or after it),
  // so intervals that end by then are forgotten.
  uint64_t book(uint64_t t_ps, uint64_t service_ps, uint64_t floor_ps = 0) {
    busy_ps_ += service_ps;
    ++requests_;
    if (floor_ps > floor_) forget(floor_ps);
    if (service_ps == 0) return t_ps;
    uint64_t cur = t_ps, left = service_ps;
    auto it = busy_.upper_bound(t_ps);  // first interval starting after t
    if (it != busy_.begin()) {
      auto p = std::prev(it);
      if (p->second > cur) cur = p->second;  // t falls inside a booking
    }
    while (left > 0) {
      const uint64_t gap_end = it == busy_.end() ? UINT64_MAX : it->first;
      const uint64_t take = std::min(left, gap_end - cur);
      if (take > 0) add(cur, cur + take);
      left -= take;
      cur += take;
      if (left == 0) break;
      // The gap is full: continue after the booking that ends it. add() may have merged
      // the piece into that booking, so look it up again.
      it = busy_.upper_bound(cur);
      auto p = std::prev(it);
      cur = std::max(cur, p->second);
    }
    const uint64_t start = cur - service_ps;
    wait_ps_ += start - t_ps;
    return start;
  }
  // Forgets every booking and count (the card's boot, before time 0, occupies nothing).
  void reset() { *this = Occupancy(); }
  uint64_t busy_ps() const { return busy_ps_; }
  uint64_t wait_ps() const { return wait_ps_; }
  uint64_t requests() const { return requests_; }
  size_t intervals() const { return busy_.size(); }

 private:
  // Inserts [a, b), free before, merging with bookings that touch it.
  void add(uint64_t a, uint64_t b) {
    auto next = busy_.lower_bound(a);
    if (next != busy_.begin()) {
      auto p = std::prev(next);
      if (p->second == a) {
        a = p->first;
        busy_.erase(p);
      }
    }
    if (next != busy_.end() && next->first == b) {
      b = next->second;
      busy_.erase(next);
    }
    busy_.emplace(a, b);
  }
  void forget(uint64_t floor) {
    floor_ = floor;
    while (!busy_.empty() && busy_.begin()->second <= floor) busy_.erase(busy_.begin());
  }
  std::map<uint64_t, uint64_t> busy_;  // start -> end, disjoint, not touching
  uint64_t floor_ = 0;
  uint64_t busy_ps_ = 0, wait_ps_ = 0, requests_ = 0;
};

}  // namespace dfc::model
