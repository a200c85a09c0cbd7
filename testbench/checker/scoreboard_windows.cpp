// The scoreboard's account of what its ambiguity windows excused: each packet whose copies
// differ from the reference's point estimate is listed with the criterion, the window that
// allowed it and that window's bounds (docs/scoreboard.md "Time"). The windows themselves are
// in Scoreboard::Impl::presence (scoreboard_predictor.cpp).
#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

// The interval of packet times (core take .. done) over which criterion c is ambiguous for the
// given reason: where its bounds come from is in docs/scoreboard.md.
std::pair<uint64_t, uint64_t> Scoreboard::Impl::window_of(const Crit& c, const std::string& why) const {
  const uint64_t W = cfg.timeout_window_ps;
  if (why == "install_window") return {c.t_add, c.install_end};
  if (why == "removal_window" && c.del_start) return {*c.del_start, *c.del_end};
  if (why == "notification_window" && c.notified_t) return {*c.notified_t > W ? *c.notified_t - W : 0, *c.notified_t + W};
  if (why == "timeout_window")
    if (auto d = c.deadline()) return {*d > W ? *d - W : 0, *c.deadline(true) + W};
  if (why == "count_window") return {c.count_amb_t.value_or(c.gone_t), c.gone_t_hi};
  // Packets taken before the one replayed was done, and done after it (max_proc_ps later at most).
  if (why == "count_in_flight" && replaying) return {replaying->t, replaying->t_done + max_proc_ps};
  return {0, 0};
}

void Scoreboard::Impl::excuse(size_t ci, const char* why, bool taken_in) {
  if (!replaying) return;
  const Crit& c = crits[ci];
  const auto w = window_of(c, why);
  res.excused.push_back({{"packet", replaying->id},
                         {"taken_ps", replaying->t},
                         {"done_ps", replaying->t_done},
                         {"criterion", c.name()},
                         {"reason", why},
                         {"window_ps", {w.first, w.second}},
                         {"taken_as", taken_in ? "in force" : "not in force"}});
  bump(cov["excused"], why, 1);
}

}  // namespace dfc::tb
