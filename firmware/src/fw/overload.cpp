#include "dfc/fw/overload.hpp"

#include <algorithm>

namespace dfc::fw {

OverloadMonitor::OverloadMonitor(const config::DfcConfig& cfg, OverloadOptions opt) : opt_(opt) {
  for (const auto& g : cfg.capture_groups) {
    if (g.input_packet_rate_threshold) {
      Hyst h;
      h.group = g.name;
      h.kind = "pps";
      h.exceeded = "jnxDfcSoftPpsThresholdExceeded";
      h.under = "jnxDfcSoftPpsUnderThreshold";
      h.high = effective_pps_threshold(g);
      h.low = h.high * opt_.soft_low_pct / 100;
      pps_.push_back(h);
    }
    if (g.pic_memory_threshold) {
      Hyst h;
      h.group = g.name;
      h.kind = "mem";
      h.exceeded = "jnxDfcSoftMemThresholdExceeded";
      h.under = "jnxDfcSoftMemUnderThreshold";
      h.high = *g.pic_memory_threshold;
      h.low = h.high * opt_.soft_low_pct / 100;
      mem_.push_back(h);
    }
  }
  Hyst hp;
  hp.kind = "pps";
  hp.exceeded = "jnxDfcHardPpsThresholdExceeded";
  hp.under = "jnxDfcHardPpsUnderThreshold";
  hp.high = opt_.rated_input_pps * opt_.hard_high_pct / 100;
  hp.low = opt_.rated_input_pps * opt_.hard_low_pct / 100;
  pps_.push_back(hp);
  Hyst hm;
  hm.kind = "mem";
  hm.exceeded = "jnxDfcHardMemThresholdExceeded";
  hm.under = "jnxDfcHardMemUnderThreshold";
  hm.high = opt_.hard_high_pct;
  hm.low = opt_.hard_low_pct;
  mem_.push_back(hm);
}

uint64_t OverloadMonitor::effective_pps_threshold(const config::CaptureGroup& g) const {
  if (!g.input_packet_rate_threshold) return 0;
  return std::min(*g.input_packet_rate_threshold, opt_.rated_input_pps);
}

std::vector<OverloadMonitor::Threshold> OverloadMonitor::thresholds() const {
  std::vector<Threshold> out;
  for (const auto* list : {&pps_, &mem_})
    for (const Hyst& h : *list)
      out.push_back({(h.group.empty() ? "hard_" : "soft_") + h.kind, h.group, h.high, h.low, h.over});
  return out;
}

void OverloadMonitor::roll(uint64_t now_ns) {
  const uint64_t now_s = now_ns / kNs;
  const uint64_t window_s = window_s_.load(std::memory_order_relaxed);
  if (now_s < window_s) return;  // never goes back
  // The window that just ended (its count taken and reset in one step: data threads keep
  // adding meanwhile).
  eval_pps((window_s + 1) * kNs, window_count_.exchange(0, std::memory_order_relaxed));
  // Whole windows without a packet in between: rate 0 (one evaluation covers them all).
  if (now_s > window_s + 1) eval_pps(now_s * kNs, 0);
  window_s_.exchange(static_cast<uint32_t>(now_s), std::memory_order_release);
}

void OverloadMonitor::eval_pps(uint64_t t_ns, uint64_t pps) {
  last_pps_ = pps;
  peak_pps_ = std::max(peak_pps_, pps);
  for (Hyst& h : pps_) {
    // A threshold of 0 means "always exceeded" would be noise: 0 disables it.
    if (h.high == 0) continue;
    if (!h.over && pps >= h.high)
      emit(h, true, t_ns, pps);
    else if (h.over && pps < h.low)
      emit(h, false, t_ns, pps);
  }
}

void OverloadMonitor::memory(uint64_t now_ns, uint64_t flows, uint64_t flow_capacity, uint64_t criteria_entries,
                             uint64_t criteria_capacity) {
  flows_pct_ = flow_capacity ? static_cast<uint32_t>(flows * 100 / flow_capacity) : 0;
  criteria_pct_ = criteria_capacity ? static_cast<uint32_t>(criteria_entries * 100 / criteria_capacity) : 0;
  const uint64_t usage = std::max(flows_pct_, criteria_pct_);
  for (Hyst& h : mem_) {
    if (h.high == 0) continue;
    if (!h.over && usage >= h.high)
      emit(h, true, now_ns, usage);
    else if (h.over && usage < h.low)
      emit(h, false, now_ns, usage);
  }
}

void OverloadMonitor::emit(Hyst& h, bool exceeded, uint64_t t_ns, uint64_t value) {
  h.over = exceeded;
  OverloadEvent e;
  e.t_ns = t_ns;
  e.name = exceeded ? h.exceeded : h.under;
  e.group = h.group;
  e.kind = h.kind;
  e.value = value;
  e.low_watermark = h.low;
  e.high_watermark = h.high;
  e.flows_usage_pct = flows_pct_;
  e.criteria_usage_pct = criteria_pct_;
  ++counts_[e.name];
  events_.push_back(std::move(e));
}

}  // namespace dfc::fw
