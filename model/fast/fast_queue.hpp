// An analytic queue for a shared block of the fast card (docs/fast-mode.md): the block's
// requests are not booked one by one; each pays the block's waiting time predicted from its
// utilisation over the previous window (M/D/1: rho * S / (2 * (1 - rho)), S the mean service of
// that window), and adds its service to the current window's busy time. The window is the
// profile's quantum: the time over which the timing card lets cores run apart. SystemC-free.
#pragma once
#include <algorithm>
#include <cstdint>

namespace dfc::fast {

class AnalyticQueue {
 public:
  explicit AnalyticQueue(uint64_t window_ps = 5'000'000) : window_(std::max<uint64_t>(window_ps, 1)) {}
  // The wait a request arriving at t with service svc_ps pays before it is served; the
  // service is counted in the block's busy time.
  uint64_t request(uint64_t t_ps, uint64_t svc_ps) {
    roll(t_ps);
    busy_ps_ += svc_ps;
    win_busy_ += svc_ps;
    ++win_n_;
    // Behind a reserved transfer that holds the block now: at least until it ends.
    const uint64_t behind = t_ps >= res_start_ && t_ps < res_end_ ? res_end_ - t_ps : 0;
    uint64_t w = behind;
    if (prev_rho_ > 0) {
      const double rho = std::min(prev_rho_, kMaxRho);
      w = std::max(behind, static_cast<uint64_t>(rho * prev_mean_ / (2.0 * (1.0 - rho))));
    }
    return w;
  }
  // Occupancy with no one waiting for it (a posted write, a DMA engine's ring-state read).
  void occupy(uint64_t t_ps, uint64_t svc_ps) {
    roll(t_ps);
    busy_ps_ += svc_ps;
    win_busy_ += svc_ps;
    ++win_n_;
  }
  // A large transfer whose time is known: a DMA engine's (the frame lands at its arrival, the
  // copy leaves when the core queues it; the core that handles the frame comes right behind
  // it) or a core's streaming burst (up to a DRAM page). It holds the block exactly (a request
  // during it waits for its end). `in_window`: it also counts in the window's utilisation, as
  // the steady stream of frames does (the frames that arrive while a core runs ahead are not
  // admitted yet, so they reach that core only as utilisation); a rare burst does not
  // (averaged in, a few would make every small request wait as if each were that large).
  // Returns its start: after the previous reservation when it comes during it (one before it
  // in time overlaps: the timing card would fill the gap).
  uint64_t reserve(uint64_t t_ps, uint64_t svc_ps, bool in_window) {
    if (in_window) {
      occupy(t_ps, svc_ps);
    } else {
      busy_ps_ += svc_ps;
    }
    const uint64_t start = t_ps >= res_start_ ? std::max(t_ps, res_end_) : t_ps;
    if (start + svc_ps > res_end_) res_start_ = start, res_end_ = start + svc_ps;
    return start;
  }
  uint64_t busy_ps() const { return busy_ps_; }

 private:
  // A utilisation at or above 1 has no steady state: the wait is capped as if it were 0.98
  // (about 25 services), so an overloaded block slows its users without stopping them.
  static constexpr double kMaxRho = 0.98;
  void roll(uint64_t t_ps) {
    const uint64_t w = t_ps / window_;
    if (w <= cur_) return;  // a request a little behind the window (a handler that ran long)
    if (w == cur_ + 1) {
      prev_rho_ = double(win_busy_) / double(window_);
      prev_mean_ = win_n_ ? double(win_busy_) / double(win_n_) : 0.0;
    } else {
      prev_rho_ = 0, prev_mean_ = 0;  // the window before was idle
    }
    cur_ = w, win_busy_ = 0, win_n_ = 0;
  }
  uint64_t window_;
  uint64_t cur_ = 0, win_busy_ = 0, win_n_ = 0, busy_ps_ = 0;
  uint64_t res_start_ = 0, res_end_ = 0;  // the last reservation
  double prev_rho_ = 0, prev_mean_ = 0;
};

}  // namespace dfc::fast
