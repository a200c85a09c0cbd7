#include "ingress_port.hpp"

#include <algorithm>

namespace dfc::model {

IngressPort::IngressPort(sc_core::sc_module_name n, const CardProfile& p, IngressSource& src, CardStats& st)
    : sc_module(n), src_(src), st_(st), bps_(p.ingress_bps) {}

void IngressPort::usage(std::vector<Usage>& out) const { out.push_back({"ingress", busy_ps_, Usage::Kind::Port}); }

IngressPort::Pull IngressPort::pull(Packet& p, uint64_t next_timer_ps, uint64_t& idle_until) {
  const IngressSource::Next got = src_.next(p, next_timer_ps, idle_until);
  if (got == IngressSource::Next::End) return Pull::End;
  if (got == IngressSource::Next::Idle) return Pull::Idle;
  // The MAC cannot deliver faster than its line rate (monitored unit only; DTCP arrives on
  // the control unit's own interface).
  uint64_t arrive = p.t_arrival_ps;
  if (p.unit == Unit::Monitor) {
    const uint64_t w = wire_ps(p, bps_);
    arrive = std::max(arrive, mac_free_ps_ + w);
    mac_free_ps_ = arrive;
    busy_ps_ += w;
    if (st_.monitor_offered++ == 0) st_.monitor_first_arrival_ps = arrive;
    st_.monitor_last_arrival_ps = arrive;
  }
  p.t_arrival_ps = arrive;
  if (first_) st_.first_arrival_ps = arrive, first_ = false;
  st_.last_arrival_ps = arrive;
  ++st_.ingress_packets;
  st_.ingress_bytes += p.data.size();
  return Pull::Packet;
}

}  // namespace dfc::model
