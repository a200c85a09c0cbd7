// The one place that turns a kind name into a classifier device (and switches its options on).
#include <stdexcept>

#include "classifier_device.hpp"
#include "classifier_lockstep.hpp"
#include "classifier_tss.hpp"
#include "classifier_rtl.hpp"

namespace dfc::model {

std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth,
                                                  const ClassifierOptions& opt) {
  // "model": the fast functional classifier; the linear scan (ClassifierRef) is the oracle of
  // the tests and the fake HAL.
  if (kind == "model") {
    if (!opt.wave.empty())
      throw std::invalid_argument("a waveform needs the RTL classifier (--classifier rtl or lockstep)");
    return std::make_unique<ClassifierTss>(depth);
  }
  if (kind == "rtl" || kind == "lockstep") {
    auto rtl = std::make_unique<rtl::ClassifierRtl>(depth);
    if (!opt.wave.empty()) {
      if (!rtl::ClassifierRtl::trace_supported())
        throw std::runtime_error("this build records no waveforms; reconfigure with "
                                 "-DDFC_RTL_TRACE=VCD or -DDFC_RTL_TRACE=FST and rebuild");
      if (!rtl->open_trace(opt.wave)) throw std::runtime_error(opt.wave + ": cannot open the waveform file");
    }
    if (kind == "rtl") return rtl;
    // RTL and model on every write and lookup; stops at a divergence. The RTL is the primary,
    // so its waveform (if asked for) shows the run up to the divergence.
    auto ls = std::make_unique<ClassifierLockstep>(std::move(rtl), std::make_unique<ClassifierTss>(depth));
    if (opt.on_divergence) ls->set_on_divergence(opt.on_divergence);
    return ls;
  }
  throw std::invalid_argument("unknown classifier kind '" + kind + "' (expected rtl, model or lockstep)");
}

const char* classifier_wave_format() { return rtl::ClassifierRtl::trace_format(); }

}  // namespace dfc::model
