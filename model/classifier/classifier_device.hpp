// The classifier block as the card model sees it: one interface, two implementations.
//   ClassifierRef  (model/classifier/classifier_ref.*)  - the C++ reference model
//   ClassifierRtl  (rtl/cpp/classifier_rtl.*)           - rtl/classifier.sv through Verilator
// SystemC-free on purpose: the TLM target in the card model, the firmware's fake HAL and the
// RTL unit tests all drive the block through this interface.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "dfc/hal/classifier_abi.hpp"

namespace dfc::model {

class ClassifierDevice {
 public:
  virtual ~ClassifierDevice() = default;
  virtual uint32_t depth() const = 0;
  // Entry index < depth(). Takes effect for lookups presented after the call returns.
  virtual void write_entry(uint32_t index, const abi::Entry& e) = 0;
  virtual void write_range_unit(uint32_t unit, const abi::RangeUnit& r) = 0;
  virtual void set_group_enable(uint32_t group, bool enable) = 0;
  virtual abi::LookupResult lookup(const abi::KeyWords& key) = 0;
  virtual std::string name() const = 0;
};

// kind: "rtl", "model" or "lockstep" (both, compared on every lookup: classifier_lockstep.hpp).
// Throws std::invalid_argument for anything else.
std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth);

}  // namespace dfc::model
