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

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace dfc::fw
