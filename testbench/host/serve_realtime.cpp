#include "host/serve_realtime.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iomanip>
#include <sstream>

namespace dfc::tb {

using nlohmann::json;

namespace {

// One warning at most this often, so a host that stays behind does not flood the terminal.
constexpr uint64_t kWarnEveryPs = 5'000'000'000'000ull;

std::string ms_text(uint64_t ps) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f ms", double(ps) / 1e9);
  return b;
}

}  // namespace

void RealtimeAccount::on_offered(uint64_t due_ps, uint64_t now_ps) {
  const uint64_t lag = now_ps > due_ps ? now_ps - due_ps : 0;
  lag_.add(lag);
  window_lag_ps_ = std::max(window_lag_ps_, lag);
  ++offered_;
}

void RealtimeAccount::on_host_late(uint64_t due_ps, uint64_t now_ps) {
  ++host_late_;
  const uint64_t lag = now_ps > due_ps ? now_ps - due_ps : 0;
  max_late_lag_ps_ = std::max(max_late_lag_ps_, lag);
  window_lag_ps_ = std::max(window_lag_ps_, lag);
}

void RealtimeAccount::maybe_warn(uint64_t now_ps, uint64_t socket_drops, uint64_t card_late_events,
                                 uint64_t card_max_lag_ps) {
  if (warnings_ > 0 && now_ps < warned_at_ps_ + kWarnEveryPs) return;
  const uint64_t late = host_late_ - late_at_warn_, drops = socket_drops - std::min(socket_drops, drops_at_warn_);
  const uint64_t card_late = card_late_events - std::min(card_late_events, card_late_at_warn_);
  const bool card_behind = card_late > 0 && card_max_lag_ps > bound_ps_;
  if (late == 0 && drops == 0 && !card_behind) return;
  std::ostringstream o;
  o << "dfcsim serve: warning: not keeping real time (at " << std::fixed;
  o.precision(1);
  o << double(now_ps) / 1e12 << " s):";
  if (late)
    o << " " << late << " traffic packet(s) were due more than " << ms_text(bound_ps_)
      << " ago and were not offered to the card (host-late, not card drops);";
  if (drops) o << " " << drops << " DTCP datagram(s) lost in the kernel's socket buffer;";
  if (card_behind) o << " the card model ran up to " << ms_text(card_max_lag_ps) << " behind the wall clock;";
  o << " host lag up to " << ms_text(window_lag_ps_)
    << ". Lower the offered rate (--traffic pps=N; --pps, --mbps or --multiplier with --pcap-in) or simulate the "
       "traffic offline with `dfcsim run`.\n";
  std::cerr << o.str() << std::flush;
  ++warnings_;
  warned_at_ps_ = now_ps;
  late_at_warn_ = host_late_;
  drops_at_warn_ = socket_drops;
  card_late_at_warn_ = card_late_events;
  window_lag_ps_ = 0;
}

json RealtimeAccount::to_json() const {
  json lag = lag_.to_json();
  lag.erase("histogram");
  return {{"lag_bound_s", double(bound_ps_) / 1e12},
          {"offered_on_time", offered_},
          {"host_late_packets", host_late_},
          {"host_late_max_lag_s", double(max_late_lag_ps_) / 1e12},
          {"offer_lag", lag},
          {"shifted_packets", shifted_},
          {"shifted_max_s", double(max_shift_ps_) / 1e12},
          {"warnings", warnings_}};
}

std::string not_real_time_reason(const json& rt) {
  std::ostringstream o;
  auto add = [&o](const std::string& s) { o << (o.tellp() > 0 ? ", " : "") << s; };
  const uint64_t late = rt.value("host_late_packets", uint64_t{0});
  const uint64_t drops = rt.value("control_socket_drops", uint64_t{0});
  const double bound = rt.value("lag_bound_s", 0.0), card_lag = rt.value("max_lag_s", 0.0);
  if (late) add(std::to_string(late) + " host-late packet(s) not offered");
  if (drops) add(std::to_string(drops) + " DTCP datagram(s) lost in the socket buffer");
  if (card_lag > bound) add("model up to " + ms_text(static_cast<uint64_t>(card_lag * 1e12)) + " behind");
  return o.str();
}

// The stop line's real-time summary: how late the host offered packets, what it could not
// offer, what the kernel dropped, how far the model fell behind.
std::string realtime_line(const json& rt) {
  std::ostringstream o;
  const json lag = rt.value("offer_lag", json::object());
  o << std::fixed << std::setprecision(3) << "offer lag p50 " << lag.value("p50_us", 0.0) / 1e3 << " ms, p99 "
    << lag.value("p99_us", 0.0) / 1e3 << " ms, max " << lag.value("max_us", 0.0) / 1e3 << " ms; "
    << rt.value("host_late_packets", uint64_t{0}) << " host-late packet(s) (more than "
    << rt.value("lag_bound_s", 0.0) * 1e3 << " ms); " << rt.value("control_socket_drops", uint64_t{0})
    << " DTCP datagram(s) lost in the socket buffer; model behind by up to " << rt.value("max_lag_s", 0.0) * 1e3
    << " ms (" << rt.value("late_events", uint64_t{0}) << " late event(s))";
  return o.str();
}

}  // namespace dfc::tb
