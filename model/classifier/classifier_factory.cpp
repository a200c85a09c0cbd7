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
    using W = rtl::ClassifierRtl::Wave;
    W w = W::None;
    if (!opt.wave.empty()) {
      if (opt.wave_format != "vcd" && opt.wave_format != "fst")
        throw std::invalid_argument("waveform format '" + opt.wave_format + "' (expected vcd or fst)");
      w = opt.wave_format == "vcd" ? W::Vcd : W::Fst;
    }
    // Without a waveform, the variant without trace code (the fast one: docs/performance.md).
    auto rtl = std::make_unique<rtl::ClassifierRtl>(depth, w);
    if (!opt.wave.empty()) {
      rtl->set_wave_time(opt.wave_clock_ps, opt.wave_from_ps, opt.wave_to_ps);
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

}  // namespace dfc::model
