// The one place that turns a kind name into a classifier device (and switches its options on).
#include <stdexcept>

#include "classifier_device.hpp"
#include "classifier_tss.hpp"
#include "classifier_rtl.hpp"

namespace dfc::model {

std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth,
                                                  const ClassifierOptions& opt) {
  // "model": the fast functional classifier; the linear scan (ClassifierRef) is the oracle of
  // the tests and the fake HAL.
  if (kind == "model") {
    if (!opt.wave.empty())
      throw std::invalid_argument("a waveform needs the RTL classifier (--classifier rtl)");
    return std::make_unique<ClassifierTss>(depth);
  }
  if (kind == "rtl") {
    auto dev = std::make_unique<rtl::ClassifierRtl>(depth);
    if (!opt.wave.empty()) {
      if (!rtl::ClassifierRtl::trace_supported())
        throw std::runtime_error("this build records no waveforms; reconfigure with "
                                 "-DDFC_RTL_TRACE=VCD or -DDFC_RTL_TRACE=FST and rebuild");
      if (!dev->open_trace(opt.wave)) throw std::runtime_error(opt.wave + ": cannot open the waveform file");
    }
    return dev;
  }
  throw std::invalid_argument("unknown classifier kind '" + kind + "' (expected rtl or model)");
}

const char* classifier_wave_format() { return rtl::ClassifierRtl::trace_format(); }

}  // namespace dfc::model
