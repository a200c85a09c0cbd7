// The report's "accounting" section: every monitored packet and every copy is accounted for
// exactly once, by the card's and the firmware's own counters (docs/model.md, "Accounting"):
//   packets_in    == processed + ingress drops (by reason)
//   processed     == matched + unmatched + not intercepted (by reason)
//   copies_chosen == copies_sent + copy drops (max-duplicates, tx queue full, unknown destination)
//   copies handed to the egress link (sent + tx queue full) == egress accepted + egress queue drops
//   egress accepted == copies written to the pcaps == sum of copies per destination
// "balanced" is 1 when all hold, else 0 (and "errors" names the failing equation).
// Also the report's "overload" section (firmware threshold events).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/fw/overload.hpp"

namespace dfc::tb {

struct AccountingInputs {
  // card (model) counters
  uint64_t packets_in = 0;     // monitored packets that arrived at unit 1
  uint64_t processed = 0;      // monitored packets the firmware handled (card's count)
  std::map<std::string, uint64_t> ingress_drops;  // by reason
  uint64_t egress_accepted = 0, egress_dropped_queue = 0;
  uint64_t copies_written = 0;  // copies the testbench received from unit 2
  // firmware counters
  uint64_t fw_packets_in = 0;
  uint64_t matched = 0, unmatched = 0;
  std::map<std::string, uint64_t> not_intercepted;  // by reason
  uint64_t copies_chosen = 0, copies_sent = 0;
  uint64_t copies_max_duplicates = 0, copies_tx_queue_full = 0, copies_unknown_destination = 0;
  // Of copies_tx_queue_full, those the firmware's driver dropped itself (its transmit ring
  // full): never handed to the egress.
  uint64_t copies_tx_ring_full = 0;
  uint64_t copies_per_destination_sum = 0;
};

nlohmann::json accounting_json(const AccountingInputs& in);

// {"events": [...], "counts": {name: n}, "last_window_pps", "peak_window_pps"}
nlohmann::json overload_json(const fw::OverloadMonitor& m);

}  // namespace dfc::tb
