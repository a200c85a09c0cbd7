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
//
// Every access of the card's cores, DMA engines and classifier books one of these, so the
// intervals live in one sorted vector (no allocation per booking once it has grown): only the
// bookings within a quantum of SystemC time are alive (in a P1 run of the 8x4 card, 16 on the
// interconnect on average and 68 at most, two or three on the others), and most bookings land
// at or near the end, so inserting one moves few entries. The intervals that end by the
// floor are dropped from the front by advancing an index; the vector is compacted only when
// that dead prefix outgrows the live part, so forgetting costs O(1) per interval.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

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
    size_t it = after(t_ps);  // first interval starting after t
    if (it != head_ && v_[it - 1].end > cur) cur = v_[it - 1].end;  // t falls inside a booking
    while (left > 0) {
      const uint64_t gap_end = it == v_.size() ? UINT64_MAX : v_[it].start;
      const uint64_t take = std::min(left, gap_end - cur);
      if (take > 0) add(cur, cur + take);
      left -= take;
      cur += take;
      if (left == 0) break;
      // The gap is full: continue after the booking that ends it. add() may have merged
      // the piece into that booking, so look it up again.
      it = after(cur);
      cur = std::max(cur, v_[it - 1].end);
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
  size_t intervals() const { return v_.size() - head_; }
  // Entries held, live or not yet compacted away (what the store costs in memory).
  size_t capacity_used() const { return v_.size(); }

 private:
  struct Interval {
    uint64_t start, end;
  };
  // Index of the first live interval that starts after t (v_.size() if none). Most requests
  // come after the last booking's start (from nearly all on a core's pipeline to about half on
  // the interconnect): those need no search.
  size_t after(uint64_t t) const {
    if (v_.size() == head_ || t >= v_.back().start) return v_.size();
    const auto it = std::upper_bound(v_.begin() + static_cast<std::ptrdiff_t>(head_), v_.end(), t,
                                     [](uint64_t x, const Interval& i) { return x < i.start; });
    return static_cast<size_t>(it - v_.begin());
  }
  // Inserts [a, b), free before, merging with bookings that touch it.
  void add(uint64_t a, uint64_t b) {
    // First live interval starting at or after a (the end, for most).
    const auto first = v_.begin() + static_cast<std::ptrdiff_t>(head_);
    const auto pos = first == v_.end() || a > v_.back().start
                         ? v_.end()
                         : std::lower_bound(first, v_.end(), a, [](const Interval& i, uint64_t x) { return i.start < x; });
    const size_t next = static_cast<size_t>(pos - v_.begin());
    const bool with_prev = next != head_ && v_[next - 1].end == a;
    const bool with_next = next != v_.size() && v_[next].start == b;
    if (with_prev && with_next) {
      v_[next - 1].end = v_[next].end;
      v_.erase(pos);
    } else if (with_prev) {
      v_[next - 1].end = b;
    } else if (with_next) {
      v_[next].start = a;
    } else {
      v_.insert(pos, Interval{a, b});
    }
  }
  void forget(uint64_t floor) {
    floor_ = floor;
    while (head_ < v_.size() && v_[head_].end <= floor) ++head_;
    // Compact once the dead prefix is as long as the live part (amortised O(1) per interval);
    // the vector keeps its capacity, so a steady run allocates nothing.
    if (head_ >= 16 && head_ * 2 >= v_.size()) {
      v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  std::vector<Interval> v_;  // by start from head_ on: disjoint, not touching
  size_t head_ = 0;          // v_[0, head_) ended by the floor: forgotten
  uint64_t floor_ = 0;
  uint64_t busy_ps_ = 0, wait_ps_ = 0, requests_ = 0;
};

}  // namespace dfc::model
