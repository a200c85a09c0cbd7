#include "report/accounting.hpp"

#include <algorithm>

namespace dfc::tb {
using nlohmann::json;

json accounting_json(const AccountingInputs& in) {
  json a;
  std::vector<std::string> errors;
  auto check = [&](const char* what, uint64_t lhs, uint64_t rhs) {
    if (lhs != rhs) errors.push_back(std::string(what) + ": " + std::to_string(lhs) + " != " + std::to_string(rhs));
    return lhs == rhs;
  };
  uint64_t ingress = 0;
  for (const auto& [why, n] : in.ingress_drops) ingress += n;
  uint64_t not_int = 0;
  for (const auto& [why, n] : in.not_intercepted) not_int += n;
  const uint64_t copy_drops = in.copies_max_duplicates + in.copies_tx_queue_full + in.copies_unknown_destination;

  a["packets_in"] = in.packets_in;
  a["processed"] = in.processed;
  a["ingress_drops"] = in.ingress_drops;
  a["ingress_balanced"] = int(check("packets_in == processed + ingress drops", in.packets_in, in.processed + ingress) &
                              check("card processed == firmware packets_in", in.processed, in.fw_packets_in));
  a["matched"] = in.matched;
  a["unmatched"] = in.unmatched;
  a["not_intercepted"] = in.not_intercepted.empty() ? json::object() : json(in.not_intercepted);
  a["processing_balanced"] =
      int(check("processed == matched + unmatched + not intercepted", in.fw_packets_in, in.matched + in.unmatched + not_int));
  a["copies_chosen"] = in.copies_chosen;
  a["copies_sent"] = in.copies_sent;
  a["copy_drops"] = {{"max_duplicates", in.copies_max_duplicates},
                     {"tx_queue_full", in.copies_tx_queue_full},
                     {"unknown_destination", in.copies_unknown_destination}};
  a["copies_balanced"] = int(check("copies_chosen == copies_sent + copy drops", in.copies_chosen, in.copies_sent + copy_drops) &
                             check("copies_sent == sum of copies per destination", in.copies_sent, in.copies_per_destination_sum));
  const uint64_t handed = in.copies_sent + in.copies_tx_queue_full - std::min(in.copies_tx_ring_full, in.copies_tx_queue_full);
  a["egress"] = {{"handed", handed},
                 {"tx_ring_full", in.copies_tx_ring_full},
                 {"accepted", in.egress_accepted},
                 {"dropped_queue", in.egress_dropped_queue},
                 {"written", in.copies_written}};
  a["egress_balanced"] =
      int(check("copies handed to egress == accepted + queue drops", handed,
                in.egress_accepted + in.egress_dropped_queue) &
          check("egress accepted == copies written", in.egress_accepted, in.copies_written));
  a["balanced"] = int(errors.empty());
  a["errors"] = errors;
  return a;
}

json overload_json(const fw::OverloadMonitor& m) {
  json ev = json::array();
  for (const auto& e : m.events())
    ev.push_back({{"t_s", double(e.t_ns) / 1e9}, {"name", e.name}, {"group", e.group}, {"kind", e.kind},
                  {"value", e.value}, {"low_watermark", e.low_watermark}, {"high_watermark", e.high_watermark},
                  {"flows_usage_pct", e.flows_usage_pct}, {"criteria_usage_pct", e.criteria_usage_pct}});
  json counts = json::object();
  for (const char* k : {"Soft", "Hard"})
    for (const char* q : {"Pps", "Mem"})
      for (const char* w : {"ThresholdExceeded", "UnderThreshold"})
        counts[std::string("jnxDfc") + k + q + w] = 0;  // every trap present, for expectations
  for (const auto& [name, n] : m.counts()) counts[name] = n;
  json th = json::object();
  // thresholds.hard_pps, thresholds.hard_mem, thresholds.soft_pps.<group>, thresholds.soft_mem.<group>
  for (const auto& t : m.thresholds()) {
    const json v = {{"high_watermark", t.high}, {"low_watermark", t.low}, {"exceeded", int(t.exceeded)}};
    if (t.group.empty())
      th[t.name] = v;
    else
      th[t.name][t.group] = v;
  }
  return {{"events", ev}, {"counts", counts}, {"thresholds", th}, {"count", m.events().size()},
          {"last_window_pps", m.last_window_pps()}, {"peak_window_pps", m.peak_window_pps()}};
}

}  // namespace dfc::tb
