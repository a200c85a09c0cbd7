// The packet match pipeline that runs on the card's cores for every monitored packet:
//   parse -> flow table -> (miss) classify in hardware -> choose copies -> IP-IP -> transmit.
// It depends on the control plane only through ControlPlaneView, so it can be unit-tested on
// its own and the DTCP server can evolve independently.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dfc/hal/hal.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/driver.hpp"
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
  bool operator==(const DestKey& o) const { return group == o.group && cdest_id == o.cdest_id; }
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

struct PipelineConfig {
  uint32_t max_duplicates = 3;  // groups without an entry in group_max_duplicates
  std::vector<uint32_t> group_max_duplicates;  // per capture group (index)
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
  // Lock-free reads of the criteria (classifier lookups, rule -> criterion) that overlapped
  // a modification and were repeated, and reads that gave up and ran under the criteria lock
  // (docs/firmware-concurrency.md, rule 2).
  // Waits: a read that found a modification under way and waited for it at the lock.
  uint64_t criteria_read_retries = 0, criteria_read_fallbacks = 0, criteria_read_waits = 0;
  std::map<std::string, uint64_t> copies_per_destination, bytes_per_destination;
};

// What the pipeline decided for one packet, handed to an optional observer (dfcsim run --why).
// Built only while an observer is set, so the data plane pays nothing otherwise.
struct PacketTrace {
  uint64_t packet_id = 0;
  unsigned core = 0;                    // Hal::core_id() of the core that ran the pipeline
  ParsedPacket parsed;                  // outcome (why not intercepted) and the 5-tuple key
  const char* flow = "";                // flow table: "hit", "miss" or "stale" ("" if not intercepted)
  std::vector<RuleId> rules;            // classifier rules of the flow (the matched entries' rules)
  std::vector<CriterionView> criteria;  // the installed criteria those rules belong to
  struct Copy {
    std::string cdest;
    const char* result;  // "sent", or the drop reason: "max_duplicates", "tx_queue_full", "unknown_destination"
  };
  std::vector<Copy> copies;
};
using PacketTraceFn = std::function<void(const PacketTrace&)>;

class Pipeline {
 public:
  void set_trace(PacketTraceFn f) { trace_ = std::move(f); }
  Pipeline(Hal& hal, ClassifierDriver& cls, ControlPlaneView& cp, PipelineConfig cfg);
  ~Pipeline();
  // Configuration time: destinations (group, id) are interned to small indices here.
  void set_destinations(const std::map<DestKey, CopyDestination>& d);
  // Destinations of capture group 0 (single-group configurations).
  void set_destinations(const std::map<std::string, CopyDestination>& d);
  // Copies leave through the driver's transmit rings (each copy built in its slot's buffer,
  // a full ring drops it as tx_queue_full). Null (the default): straight to Hal::transmit,
  // for hosts without descriptor memory.
  void set_driver(Driver* d) { drv_ = d; }
  // Runs on the core Hal::core_id() names; see docs/firmware-concurrency.md for what it
  // shares with other cores and under which lock.
  void process(const Packet& p);
  // Flow-table aging (from the firmware's timer): ages the calling core's table now and
  // marks the other cores' tables, which their own core ages before its next packet.
  void age_flows(unsigned slices = 1);  // slices > 1: each call sweeps the next 1/slices of a table
  // Totals over all cores (built on demand; not for the per-packet path).
  const PipelineStats& stats() const;
  uint64_t flow_entries() const;
  const PipelineConfig& config() const { return cfg_; }
  // Lock-free attempts at a consistent read of the criteria (a wait for a modification
  // under way counts as one) before the read runs under the criteria lock.
  static constexpr unsigned kLockFreeAttempts = 4;
  // Hardware threads (Hal::core_id() values) the pipeline keeps state for (the card has
  // 8 cores x 4 threads); a larger id is refused with an error.
  static constexpr unsigned kMaxCores = 64;

 private:
  struct Core;
  struct Pick;
  Core& core_at(unsigned id);
  Core& add_cores(unsigned id);  // creates the states up to id (a slow path, under the lock)
  void make_core(unsigned id);
  size_t lookup(Core& c, const FlowKey& key);
  void age_core(Core& c, unsigned slices, uint32_t epoch);
  bool resolve(Core& c, size_t n_rules);
  void resolve_rule(Core& c, RuleId r);
  template <class Attempt>
  void read_criteria(Core& c, Attempt&& attempt);
  void send_copies(Core& c, const Packet& p, const ParsedPacket& pp);
  void tell_dropped(Core& c, const Pick& pk);
  uint16_t dest_index(const DestKey& k) const;

  Hal& hal_;
  ClassifierDriver& cls_;
  ControlPlaneView& cp_;
  Driver* drv_ = nullptr;
  PipelineConfig cfg_;
  struct Dest {
    DestKey key;
    std::string label;  // name on copies and in statistics
    CopyDestination d;
  };
  std::vector<Dest> dests_;
  std::map<DestKey, uint16_t> dest_ix_;
  // Per-core states in fixed places: a core that appears at run time is added without moving
  // the others' (under the criteria lock), then published by the count (release). Every
  // thread reads the count without the lock.
  std::array<std::unique_ptr<Core>, kMaxCores> cores_;
  std::atomic<uint32_t> n_cores_{0};
  // The timer's aging request, read by every data thread before each packet without the
  // lock: the slice count is stored first, then the epoch is bumped (release).
  std::atomic<uint32_t> aging_epoch_{0}, aging_slices_{1};
  mutable PipelineStats stats_;
  PacketTraceFn trace_;
};

}  // namespace dfc::fw
