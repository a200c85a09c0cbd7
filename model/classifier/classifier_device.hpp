// The classifier block as the card model sees it: one interface, several implementations.
//   ClassifierRef      (model/classifier/classifier_ref.*)      - the linear-scan oracle
//   ClassifierTss      (model/classifier/classifier_tss.*)      - the tuple-space model ("model")
//   ClassifierRtl      (rtl/classifier/cpp/classifier_rtl.*)    - classifier.sv through Verilator
//   ClassifierLockstep (model/classifier/classifier_lockstep.*) - RTL and model compared
// The interface is header only (CMake dfc_classifier_if): a device implementation such as the
// RTL wrapper depends on it alone, never on the reference model.
// SystemC-free on purpose: the TLM target in the card model, the firmware's fake HAL and the
// RTL unit tests all drive the block through this interface.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dfc/hal/classifier_abi.hpp"

namespace dfc::model {

// The waveform bookkeeping of a device that records one (ClassifierRtl::wave_timing()).
struct ClassifierWaveTiming {
  uint64_t shifted = 0, max_shift_ps = 0;       // edges moved later to keep time monotonic
  uint64_t first_ps = UINT64_MAX, last_ps = 0;  // first and last dumped edge
};

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
  // The simulated time (ps) at which the next operation is presented (the card's
  // ClassifierTarget calls it before every access). Only a device that records a waveform uses
  // it, to put its clock edges on SystemC time; the others ignore it.
  virtual void at_time(uint64_t /*t_ps*/) {}
  // Its waveform's bookkeeping while it records one; nullptr otherwise.
  virtual const ClassifierWaveTiming* wave_timing() const { return nullptr; }
};

// How the factory builds a device. Everything a caller may switch on is here, so nobody needs
// to know the concrete class (no dynamic_cast).
struct ClassifierOptions {
  // Non-empty: record the RTL's waveform into this file. Only kinds that contain the RTL ("rtl",
  // and "lockstep", whose primary is the RTL) record waveforms. Every build can; the RTL is then
  // the Verilated variant with tracing compiled in (docs/classifier.md, "Waveforms").
  std::string wave;
  std::string wave_format = "vcd";        // "vcd" or "fst"
  uint64_t wave_clock_ps = 1000;          // one RTL clock on the waveform's time axis
  uint64_t wave_from_ps = 0, wave_to_ps = UINT64_MAX;  // only edges in this window are dumped
  // "lockstep" only: called with the report of the first divergence instead of throwing
  // LockstepDivergence; the lookup then returns the primary's answer. For hosts whose lookups
  // run inside SystemC threads: an exception must not unwind a coroutine stack (AddressSanitizer
  // cannot follow it, google/sanitizers#189), so such a host stops the simulation here and raises
  // the divergence from its own thread (ClassifierLockstep::first_divergence()).
  std::function<void(const std::string& report)> on_divergence;
};

// kind: "rtl", "model" or "lockstep" (both, compared on every lookup: classifier_lockstep.hpp).
// Throws std::invalid_argument for an unknown kind, a depth out of range, or a waveform asked of
// the model or an unknown waveform format; std::runtime_error when the waveform file cannot be
// opened. Every message says what to change.
std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth,
                                                  const ClassifierOptions& opt = {});

}  // namespace dfc::model
