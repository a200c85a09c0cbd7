// A live source's pacing (`dfcsim serve`), shared by the timing card (model::Card) and the fast
// card (fast::FastCard): the card's simulated time is held against the wall clock at every
// arrival. Ahead of it, the card waits; behind it by more than the bound, that is a late event.
// The first arrival fixes the origin, so time before it (the boot) costs no wall time.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "card_stats.hpp"

namespace dfc::model {

class WallPacer {
 public:
  void set_max_lag(uint64_t ps) { max_lag_ps_ = ps; }
  // Simulated time t_ps has come: sleep until the wall clock reaches it, or count the lag.
  void pace(uint64_t t_ps, CardStats& s) {
    using namespace std::chrono;
    if (!started_) {
      started_ = true;
      wall0_ = steady_clock::now() - nanoseconds(t_ps / 1000);
    }
    const auto target = wall0_ + nanoseconds(t_ps / 1000);
    const auto now = steady_clock::now();
    if (now < target) {
      std::this_thread::sleep_until(target);
      return;
    }
    const auto lag_ps = static_cast<uint64_t>(duration_cast<nanoseconds>(now - target).count()) * 1000;
    s.realtime_max_lag_ps = std::max(s.realtime_max_lag_ps, lag_ps);
    if (lag_ps > max_lag_ps_) ++s.realtime_late_events;
  }

 private:
  uint64_t max_lag_ps_ = 0;
  bool started_ = false;
  std::chrono::steady_clock::time_point wall0_{};
};

}  // namespace dfc::model
