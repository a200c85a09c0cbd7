// The classifier block as the card model sees it: one interface, several implementations.
//   ClassifierRef      (model/classifier/classifier_ref.*)      - the linear-scan oracle
//   ClassifierTss      (model/classifier/classifier_tss.*)      - the tuple-space model ("model")
//   ClassifierRtl      (rtl/cpp/classifier_rtl.*)               - rtl/classifier.sv through Verilator
//   ClassifierLockstep (model/classifier/classifier_lockstep.*) - RTL and model compared
// SystemC-free on purpose: the TLM target in the card model, the firmware's fake HAL and the
// RTL unit tests all drive the block through this interface.
#pragma once
#include <cstdint>
#include <functional>
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

// How the factory builds a device. Everything a caller may switch on is here, so nobody needs
// to know the concrete class (no dynamic_cast).
struct ClassifierOptions {
  // Non-empty: record the RTL's waveform into this file, in the build's format
  // (classifier_wave_format()). Only kinds that contain the RTL ("rtl", and "lockstep", whose
  // primary is the RTL) record waveforms.
  std::string wave;
  // "lockstep" only: called with the report of the first divergence instead of throwing
  // LockstepDivergence; the lookup then returns the primary's answer. For hosts whose lookups
  // run inside SystemC threads: an exception must not unwind a coroutine stack (AddressSanitizer
  // cannot follow it, google/sanitizers#189), so such a host stops the simulation here and raises
  // the divergence from its own thread (ClassifierLockstep::first_divergence()).
  std::function<void(const std::string& report)> on_divergence;
};

// kind: "rtl", "model" or "lockstep" (both, compared on every lookup: classifier_lockstep.hpp).
// Throws std::invalid_argument for an unknown kind, a depth out of range, or a waveform asked of
// the model; std::runtime_error when this build records no waveforms or the file cannot be
// opened. Every message says what to change.
std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth,
                                                  const ClassifierOptions& opt = {});
// The waveform format of this build: "vcd", "fst" or "none" (cmake -DDFC_RTL_TRACE=VCD|FST).
const char* classifier_wave_format();

}  // namespace dfc::model
