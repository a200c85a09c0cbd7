// The firmware's driver of the classifier block (see dfc/hal/classifier_abi.hpp for the
// hardware contract). It owns entry allocation, range-check units and group enables, and it
// installs and removes rules atomically: all entries of a rule are written under a disabled
// group, then one group-enable write makes the rule visible.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "dfc/hal/classifier_abi.hpp"
#include "dfc/hal/hal.hpp"
#include "dfc/fw/match_term.hpp"

namespace dfc::fw {

using RuleId = uint32_t;  // driver-assigned, unique while installed

class ClassifierDriver {
 public:
  explicit ClassifierDriver(Hal& hal);
  ~ClassifierDriver();
  ClassifierDriver(const ClassifierDriver&) = delete;
  ClassifierDriver& operator=(const ClassifierDriver&) = delete;

  // Installs the rule; priority: lower value = higher priority (wins first-match lookups;
  // ties go to the rule installed first). Returns nullopt, writing nothing visible, when the
  // table cannot hold it (DTCP 550).
  std::optional<RuleId> install(const std::vector<MatchTerm>& terms, uint32_t priority);
  // Removes the rule atomically (it stops matching with one write). Unknown ids are ignored.
  void remove(RuleId id);
  // Rules matching the key, each once, in priority order (then install order).
  // Lookups go through the calling core's lookup context (Hal::core_id(), card_map.hpp).
  std::vector<RuleId> classify(const abi::KeyWords& key);
  // The same into `out` (cleared first): no allocation once `out` has the capacity.
  void classify(const abi::KeyWords& key, std::vector<RuleId>& out);

  size_t entries_used(RuleId id) const;  // TCAM entries the rule occupies
  size_t entries_used() const;           // all rules
  size_t depth() const;
  size_t rules() const;
  size_t range_units_used() const;       // range-check units referenced by installed rules
  uint64_t entry_moves() const;          // entries moved so far to keep priority order

  // ---- Lookups without the criteria lock (docs/firmware-concurrency.md, rule 2) ----
  // A sequence counter over the entry map and everything the control plane keys by rule id
  // (its criteria): odd while a modification is under way, bumped to odd before its first
  // write and to even after its last. A reader reads it, looks up and translates, reads it
  // again, and retries when it changed or was odd. Writers hold HW_LOCK_CRITERIA and bracket
  // each modification with an Update (install() and remove() bracket themselves; brackets
  // nest, only the outermost bumps), so a multi-step change is seen whole or not at all.
  class Update {
   public:
    explicit Update(ClassifierDriver& d);
    ~Update();
    Update(const Update&) = delete;
    Update& operator=(const Update&) = delete;

   private:
    ClassifierDriver& d_;
  };
  // The counter as a reader sees it: one priced word read (sequence_addr()), then its value.
  uint32_t read_sequence();
  uint32_t sequence() const;  // the value without a read (tests, statistics)
  // The counter's modelled word (card_map.hpp CRITERIA_SEQ, its own word in DRAM).
  static uint64_t sequence_addr();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace dfc::fw
