// The flat occupancy timeline and the flat ring-word store against the straightforward
// designs they replaced (an ordered map of intervals; a hash map of words, each with a vector
// of pending writes), kept here as references: the card's timing and ring data must not change
// with the store, so both must give the same answer to every request in the same order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "timed_words.hpp"
#include "timeline.hpp"

namespace {
using dfc::model::Occupancy;
using dfc::model::TimedWords;

// The ordered-map timeline: the busy intervals as start -> end.
class MapOccupancy {
 public:
  uint64_t book(uint64_t t_ps, uint64_t service_ps, uint64_t floor_ps) {
    busy_ps_ += service_ps;
    if (floor_ps > floor_) {
      floor_ = floor_ps;
      while (!busy_.empty() && busy_.begin()->second <= floor_ps) busy_.erase(busy_.begin());
    }
    if (service_ps == 0) return t_ps;
    uint64_t cur = t_ps, left = service_ps;
    auto it = busy_.upper_bound(t_ps);
    if (it != busy_.begin() && std::prev(it)->second > cur) cur = std::prev(it)->second;
    while (left > 0) {
      const uint64_t gap_end = it == busy_.end() ? UINT64_MAX : it->first;
      const uint64_t take = std::min(left, gap_end - cur);
      if (take > 0) add(cur, cur + take);
      left -= take;
      cur += take;
      if (left == 0) break;
      it = busy_.upper_bound(cur);
      cur = std::max(cur, std::prev(it)->second);
    }
    wait_ps_ += cur - service_ps - t_ps;
    return cur - service_ps;
  }
  uint64_t busy_ps() const { return busy_ps_; }
  uint64_t wait_ps() const { return wait_ps_; }
  size_t intervals() const { return busy_.size(); }

 private:
  void add(uint64_t a, uint64_t b) {
    auto next = busy_.lower_bound(a);
    if (next != busy_.begin() && std::prev(next)->second == a) {
      a = std::prev(next)->first;
      busy_.erase(std::prev(next));
    }
    if (next != busy_.end() && next->first == b) {
      b = next->second;
      busy_.erase(next);
    }
    busy_.emplace(a, b);
  }
  std::map<uint64_t, uint64_t> busy_;
  uint64_t floor_ = 0, busy_ps_ = 0, wait_ps_ = 0;
};

// The hash map of words, each with its pending writes in a vector by time.
class MapWords {
 public:
  void write(uint64_t addr, uint32_t v, uint64_t t_ps, uint64_t floor_ps) {
    Word& w = words_[addr];
    settle(w, floor_ps);
    if (t_ps <= floor_ps && w.pending.empty()) {
      w.value = v;
      return;
    }
    auto it = w.pending.end();
    while (it != w.pending.begin() && std::prev(it)->first > t_ps) --it;
    w.pending.insert(it, {t_ps, v});
  }
  uint32_t read(uint64_t addr, uint64_t t_ps, uint64_t floor_ps) {
    auto f = words_.find(addr);
    if (f == words_.end()) return 0;
    settle(f->second, floor_ps);
    uint32_t v = f->second.value;
    for (const auto& [at, x] : f->second.pending)
      if (at <= t_ps) v = x;
    return v;
  }

 private:
  struct Word {
    uint32_t value = 0;
    std::vector<std::pair<uint64_t, uint32_t>> pending;
  };
  static void settle(Word& w, uint64_t floor_ps) {
    size_t n = 0;
    while (n < w.pending.size() && w.pending[n].first <= floor_ps) w.value = w.pending[n++].second;
    w.pending.erase(w.pending.begin(), w.pending.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::unordered_map<uint64_t, Word> words_;
};

// Requests as the card makes them: SystemC time (the floor) advances by steps, and requests
// arrive from threads up to `lookahead` ahead of it in any order, with some services long
// enough to span several bookings and some of no time at all. Times are multiples of `grain`:
// a coarse grain makes bookings touch and requests land exactly on a boundary.
void compare_occupancy(uint32_t seed, uint64_t lookahead, uint64_t max_service, int n, uint64_t grain = 1) {
  std::mt19937_64 rng(seed);
  Occupancy flat;
  MapOccupancy ref;
  uint64_t floor = 0;
  for (int i = 0; i < n; ++i) {
    if (rng() % 8 == 0) floor += grain * (rng() % (lookahead / 4 + 1));
    const uint64_t t = floor + grain * (rng() % lookahead);
    const uint64_t svc = rng() % 16 == 0 ? 0 : grain * (1 + rng() % max_service);
    const uint64_t f = rng() % 32 == 0 ? floor / 2 : floor;  // a caller that passes an older floor
    ASSERT_EQ(flat.book(t, svc, f), ref.book(t, svc, f)) << "request " << i << " seed " << seed;
    ASSERT_EQ(flat.intervals(), ref.intervals()) << "request " << i << " seed " << seed;
  }
  EXPECT_EQ(flat.busy_ps(), ref.busy_ps());
  EXPECT_EQ(flat.wait_ps(), ref.wait_ps());
  EXPECT_EQ(flat.requests(), static_cast<uint64_t>(n));
}

TEST(Occupancy, FlatTimelineBooksAsTheOrderedMapDid) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    compare_occupancy(seed, 50'000, 3'000, 5'000);   // light: mostly free gaps
    compare_occupancy(seed, 10'000, 4'000, 5'000);   // saturated: most requests wait and split
    compare_occupancy(seed, 1'000'000, 20, 5'000);   // many short bookings far apart
    compare_occupancy(seed, 40, 6, 5'000, 1'000);    // on a clock: bookings touch and merge
  }
}

TEST(Occupancy, ForgottenIntervalsAreCompactedAwayAndTheStoreStaysSmall) {
  // A steady stream, the floor following it: only the bookings since the floor are kept, so the
  // store neither grows with the run nor forgets a booking that a later request overlaps.
  Occupancy o;
  size_t most = 0;
  for (uint64_t i = 0; i < 100'000; ++i) {
    const uint64_t t = i * 100;
    EXPECT_EQ(o.book(t, 50, t > 1'000 ? t - 1'000 : 0), t);
    most = std::max(most, o.capacity_used());
  }
  EXPECT_LE(o.intervals(), 11u);
  EXPECT_LE(most, 64u);
  EXPECT_EQ(o.book(99'999 * 100 + 10, 10), 99'999u * 100 + 50);  // the last booking is still there
}

// Reads and writes as the DMA engines and the driver make them: ring words at a few places
// (descriptor rings of several contexts, pages apart, plus addresses that are not 4-aligned and
// far away), written and read ahead of a floor that advances, sometimes at the floor itself or
// before it (the boot's stores are at 0 with floor 0). Times are multiples of `grain`: a coarse
// grain makes writes land exactly on the floor or on each other's time.
void compare_words(uint32_t seed, bool monotonic_floor, int n, uint64_t grain = 1) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> addrs;
  for (uint64_t ctx = 0; ctx < 6; ++ctx)
    for (uint64_t w = 0; w < 12; ++w) addrs.push_back(0x1'8800'0000ull + ctx * 0x10000 + 4 * w);
  for (uint64_t a : {0ull, 2ull, 0xfffull, 0x1000ull, 0x1'8800'0001ull, 0x1'8800'0ffeull, 0x7ff'ffff'f000ull, 0x1ull << 51})
    addrs.push_back(a);
  for (uint64_t p = 0; p < 300; ++p) addrs.push_back(0x2'0000'0000ull + p * 0x1000 + 4 * (p % 7));  // grows the directory
  TimedWords flat;
  MapWords ref;
  uint64_t floor = 0;
  for (int i = 0; i < n; ++i) {
    if (rng() % 8 == 0) floor += grain * (rng() % (3'000 / grain));
    const uint64_t f = monotonic_floor ? floor : grain * (rng() % (floor / grain + 1));
    const bool far = rng() % 4 == 0;  // mostly the ring words, sometimes anywhere
    const uint64_t a = addrs[rng() % (far ? addrs.size() : 80)];
    const uint64_t t = rng() % 8 == 0 ? f - std::min<uint64_t>(f, grain * (rng() % (500 / grain + 1)))
                                      : f + grain * (rng() % (10'000 / grain));
    if (rng() % 2) {
      const auto v = static_cast<uint32_t>(rng());
      flat.write(a, v, t, f);
      ref.write(a, v, t, f);
    } else {
      ASSERT_EQ(flat.read(a, t, f), ref.read(a, t, f)) << "access " << i << " seed " << seed << " addr " << a;
    }
  }
}

TEST(TimedWords, FlatStoreReadsAsTheWordMapDid) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    compare_words(seed, true, 20'000);
    compare_words(seed, false, 5'000);
    compare_words(seed, true, 20'000, 250);
  }
}

TEST(TimedWords, SettledWritesFreeTheirPendingEntriesForReuse) {
  // A ring slot written ahead of the floor and read once the floor has passed, over and over:
  // the pending history stays at the few writes ahead of the floor, not one per write ever made.
  TimedWords w;
  const uint64_t base = 0x1'8800'0040ull;
  for (uint64_t i = 0; i < 50'000; ++i) {
    const uint64_t now = i * 1'000, slot = base + 4 * (i % 4096);
    w.write(slot, static_cast<uint32_t>(i), now + 2'500, now);
    if (i >= 3) {
      EXPECT_EQ(w.read(base + 4 * ((i - 3) % 4096), now, now), static_cast<uint32_t>(i - 3));
    }
  }
  EXPECT_LE(w.pending_peak(), 8u);
  EXPECT_EQ(w.pages(), 5u);  // 4096 words from 0x40 into a page: four pages and a bit
}

TEST(TimedWords, UnalignedAddressesAreWordsOfTheirOwn) {
  TimedWords w;
  w.write(0x1000, 1, 0, 0);
  w.write(0x1001, 2, 0, 0);
  w.write(0x1004, 3, 0, 0);
  EXPECT_EQ(w.read(0x1000, 0, 0), 1u);
  EXPECT_EQ(w.read(0x1001, 0, 0), 2u);
  EXPECT_EQ(w.read(0x1004, 0, 0), 3u);
  EXPECT_EQ(w.read(0x1002, 0, 0), 0u);
  EXPECT_EQ(w.read(0x2000, 0, 0), 0u);  // a page never written
}

}  // namespace
