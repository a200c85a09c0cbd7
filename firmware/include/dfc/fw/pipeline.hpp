// The packet match pipeline that runs on the card's cores for every monitored packet:
//   parse -> flow table -> (miss) classify in hardware -> choose copies -> IP-IP -> transmit.
// It depends on the control plane only through ControlPlaneView, so it can be unit-tested on
// its own and the DTCP server can evolve independently.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dfc/hal/hal.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "dfc/fw/packet_parse.hpp"

namespace dfc::fw {

// What the pipeline needs to know about an installed criterion.
struct CriterionView {
  uint32_t criteria_id = 0;
  std::string csource_id;
  std::string cdest_id;
  uint32_t priority = 0;   // total priority (Priority + minimum-priority); lower wins
  uint64_t added_seq = 0;  // install order: among equal priorities the earlier criterion wins
  // Capture group of the criterion (index in the configuration). Content-destination ids are
  // only unique within a group: a copy destination is (group, cdest_id), and max-duplicates
  // applies per group.
  uint32_t group = 0;
};

// A content destination as the pipeline sees it: ids are unique only within a capture group.
struct DestKey {
  uint32_t group = 0;
  std::string cdest_id;
  bool operator<(const DestKey& o) const { return group != o.group ? group < o.group : cdest_id < o.cdest_id; }
};

class ControlPlaneView {
 public:
  virtual ~ControlPlaneView() = default;
  virtual const CriterionView* criterion_for_rule(RuleId id) const = 0;
  // Called once per matching criterion per packet, after copies are chosen. May delete the
  // criterion (Timeout-Packets / Timeout-Bytes exhausted). Per-criterion statistics only:
  // it does not count toward a destination's bandwidth (overlapping criteria would count the
  // one copy several times).
  virtual void account_hit(RuleId id, uint32_t bytes) = 0;
  // Called once per copy chosen for a destination (within max-duplicates), naming the
  // criterion that represents the destination for this packet (best priority, then oldest):
  // the bandwidth the destination's congestion limits are evaluated on. Never deletes.
  virtual void account_copy(RuleId id, uint32_t bytes) = 0;
  // Increments whenever any rule is installed or removed; flow-table entries classified
  // under an older version are re-classified.
  virtual uint64_t criteria_version() const = 0;
  // A copy to a destination was dropped by max-duplicates: called once per control source
  // with a criterion that matched this packet into that destination (c is one of them).
  virtual void duplicates_dropped(const CriterionView& c) = 0;
};

struct CopyDestination {
  CopyDestination() = default;
  CopyDestination(uint32_t a, uint8_t t, std::string l = {}) : address(a), ttl(t), label(std::move(l)) {}
  uint32_t address = 0;  // host order IPv4
  uint8_t ttl = 255;
  // Name on copies (Packet::cdest_id) and in the per-destination statistics; empty: the
  // cdest id. The firmware sets "<group>/<id>" when the id is used by several groups.
  std::string label;
};

// CPU cycles the firmware spends per step on the modeled core (a software data plane of
// the MS-PIC generation: descriptor handling and cache misses dominate). The bus and
// classifier time of a lookup is added by the card model on top. Calibration against the
// documented input capacities (300 kpps MS-III, 1 Mpps MS-400) is in docs/model.md.
struct CycleCosts {
  uint64_t rx = 1450;          // receive descriptor, buffer management, DMA completion
  uint64_t parse = 150;
  uint64_t flow_lookup = 250;  // hash + one cache-missing bucket read
  uint64_t flow_insert = 400;
  uint64_t classify = 300;     // building the key and driving the lookup over the bus
  uint64_t per_match = 60;
  uint64_t per_copy = 500;     // transmit descriptor + outer header; the payload moves by DMA
  uint64_t not_intercepted = 50;
};

struct PipelineConfig {
  uint32_t max_duplicates = 3;  // groups without an entry in group_max_duplicates
  std::vector<uint32_t> group_max_duplicates;  // per capture group (index)
  uint32_t copy_source = 0xC0000202;  // 192.0.2.2: the PIC's unit-2 address (docs/architecture.md)
  size_t flow_table_capacity = 65536;
  uint64_t flow_idle_ns = 60'000'000'000ull;
  CycleCosts costs;
};

struct PipelineStats {
  uint64_t packets_in = 0, bytes_in = 0;
  std::map<std::string, uint64_t> not_intercepted;  // by ParseOutcome name
  uint64_t packets_matched = 0, packets_unmatched = 0;
  uint64_t copies_chosen = 0;           // one per distinct content destination matched
  uint64_t copies_sent = 0;
  uint64_t copies_dropped_max_duplicates = 0;
  uint64_t copies_dropped_unknown_destination = 0;
  uint64_t copies_dropped_tx_queue = 0;
  uint64_t flow_hits = 0, flow_misses = 0, flow_stale = 0, flow_evictions = 0;
  uint64_t flow_entries = 0, flow_entries_peak = 0;
  std::map<std::string, uint64_t> copies_per_destination, bytes_per_destination;
};

class Pipeline {
 public:
  Pipeline(Hal& hal, ClassifierDriver& cls, ControlPlaneView& cp, PipelineConfig cfg);
  void set_destinations(std::map<DestKey, CopyDestination> d) { dests_ = std::move(d); }
  // Destinations of capture group 0 (single-group configurations).
  void set_destinations(const std::map<std::string, CopyDestination>& d) {
    dests_.clear();
    for (const auto& [id, cd] : d) dests_[DestKey{0, id}] = cd;
  }
  void process(const Packet& p);
  // Drops flow entries idle longer than flow_idle_ns (called from the firmware's timer).
  void age_flows();
  const PipelineStats& stats() const { return stats_; }
  const PipelineConfig& config() const { return cfg_; }

 private:
  struct FlowEntry {
    uint64_t version = 0;
    uint64_t last_used_ns = 0;
    std::vector<RuleId> rules;
  };
  const std::vector<RuleId>& lookup(const FlowKey& key);

  Hal& hal_;
  ClassifierDriver& cls_;
  ControlPlaneView& cp_;
  PipelineConfig cfg_;
  std::map<DestKey, CopyDestination> dests_;
  std::unordered_map<FlowKey, FlowEntry, FlowKeyHash> flows_;
  PipelineStats stats_;
  uint16_t ip_id_ = 0;
};

}  // namespace dfc::fw
