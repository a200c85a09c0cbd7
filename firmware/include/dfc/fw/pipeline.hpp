// The packet match pipeline that runs on the card's cores for every monitored packet:
//   parse -> flow table -> (miss) classify in hardware -> choose copies -> IP-IP -> transmit.
// It depends on the control plane only through ControlPlaneView, so it can be unit-tested on
// its own and the DTCP server can evolve independently.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dfc/hal/hal.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "dfc/fw/flow_table.hpp"
#include "dfc/fw/packet_parse.hpp"

namespace dfc::fw {

// What the pipeline needs to know about an installed criterion.
struct CriterionView {
  uint32_t criteria_id = 0;
  std::string csource_id;
  std::string cdest_id;
  uint32_t priority = 0;   // total priority (Priority + minimum-priority); lower wins
  uint64_t added_seq = 0;  // install order: among equal priorities the earlier criterion wins
};

class ControlPlaneView {
 public:
  virtual ~ControlPlaneView() = default;
  virtual const CriterionView* criterion_for_rule(RuleId id) const = 0;
  // Called once per matching criterion per packet, after copies are chosen. May delete the
  // criterion (Timeout-Packets / Timeout-Bytes exhausted).
  virtual void account_hit(RuleId id, uint32_t bytes) = 0;
  // Increments whenever any rule is installed or removed; flow-table entries classified
  // under an older version are re-classified.
  virtual uint64_t criteria_version() const = 0;
  // A copy for a criterion of this control source was dropped by max-duplicates.
  virtual void duplicates_dropped(const std::string& csource_id) = 0;
};

struct CopyDestination {
  uint32_t address = 0;  // host order IPv4
  uint8_t ttl = 255;
};

struct PipelineConfig {
  uint32_t max_duplicates = 3;
  uint32_t copy_source = 0xC0000202;  // 192.0.2.2: the PIC's unit-2 address (docs/architecture.md)
  // Flow-table entries for the whole card, split evenly over the per-core tables.
  size_t flow_table_capacity = 65536;
  uint64_t flow_idle_ns = 60'000'000'000ull;
  // Cores that run the pipeline (Hal::core_id() 0..cores-1); each gets its own flow table.
  unsigned cores = 1;
};

// The pipeline declares the work it does (Hal::work, mem_read, mem_write); it carries no
// cycle constants: the host prices the work (docs/firmware-concurrency.md, docs/model.md).
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
  // Flow-table hits on flows matching more than FlowTable::kInlineRules rules: classified
  // again (same copies, more time).
  uint64_t flow_rule_overflows = 0;
  std::map<std::string, uint64_t> copies_per_destination, bytes_per_destination;
};

class Pipeline {
 public:
  Pipeline(Hal& hal, ClassifierDriver& cls, ControlPlaneView& cp, PipelineConfig cfg);
  ~Pipeline();
  // Configuration time: destination ids are interned to small indices here.
  void set_destinations(const std::map<std::string, CopyDestination>& d);
  // Runs on the core Hal::core_id() names; see docs/firmware-concurrency.md for what it
  // shares with other cores and under which lock.
  void process(const Packet& p);
  // Flow-table aging (from the firmware's timer): ages the calling core's table now and
  // marks the other cores' tables, which their own core ages before its next packet.
  void age_flows();
  // Totals over all cores (built on demand; not for the per-packet path).
  const PipelineStats& stats() const;
  uint64_t flow_entries() const;
  const PipelineConfig& config() const { return cfg_; }

 private:
  struct Core;
  struct Pick;
  Core& core_at(unsigned id);
  size_t lookup(Core& c, const FlowKey& key);
  void age_core(Core& c);
  bool resolve(Core& c, size_t n_rules);
  void send_copies(Core& c, const Packet& p, const ParsedPacket& pp);
  uint16_t dest_index(const std::string& id) const;

  Hal& hal_;
  ClassifierDriver& cls_;
  ControlPlaneView& cp_;
  PipelineConfig cfg_;
  struct Dest {
    std::string id;
    CopyDestination d;
  };
  std::vector<Dest> dests_;
  std::unordered_map<std::string, uint16_t> dest_ix_;
  std::vector<std::unique_ptr<Core>> cores_;
  uint64_t aging_epoch_ = 0;
  mutable PipelineStats stats_;
};

}  // namespace dfc::fw
