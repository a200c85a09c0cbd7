// C++ reference model of the classifier block (rtl/classifier/rtl/classifier.sv implements the same
// behaviour). Plain linear scan: simple enough to be obviously right, used by the firmware
// unit tests (fake HAL), as the golden model of the RTL tests and as the fast "model"
// classifier of the card. SystemC-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "classifier_device.hpp"

namespace dfc::model {

class ClassifierRef final : public ClassifierDevice {
 public:
  explicit ClassifierRef(uint32_t depth);
  uint32_t depth() const override { return depth_; }
  void write_entry(uint32_t index, const abi::Entry& e) override;
  void write_range_unit(uint32_t unit, const abi::RangeUnit& r) override;
  void set_group_enable(uint32_t group, bool enable) override;
  abi::LookupResult lookup(const abi::KeyWords& key) override;
  std::string name() const override { return "model"; }

  // The key extended by the range-unit result bits, as the entries see it.
  abi::EntryWords extend(const abi::KeyWords& key) const;
  const abi::Entry& entry(uint32_t index) const { return entries_.at(index); }
  bool group_enabled(uint32_t group) const { return group_en_.at(group); }

 private:
  uint32_t depth_;
  std::vector<abi::Entry> entries_;
  std::vector<uint32_t> care_;  // per entry: bit w set when mask word w is non-zero
  std::vector<abi::RangeUnit> units_;
  std::vector<bool> group_en_;
};

// The model's lookup time: a formula approximating the clocks the RTL device counts at its
// ports (key edge to lk_done, docs/classifier.md §6). Exact for the current pipeline; the
// RTL-vs-model tests (random rules and every ClassBench set) require equality lookup by lookup.
inline uint32_t lookup_cycles(size_t n) {
  return abi::CLS_LOOKUP_LATENCY +
         static_cast<uint32_t>(n < abi::CLS_MAX_RESULTS ? n : abi::CLS_MAX_RESULTS);
}

}  // namespace dfc::model
