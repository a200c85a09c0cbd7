#include <stdexcept>

#include "classifier_device.hpp"
#include "classifier_tss.hpp"
#include "classifier_rtl.hpp"

namespace dfc::model {

std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth) {
  // "model": the fast functional classifier; the linear scan (ClassifierRef) is the oracle of
  // the tests and the fake HAL.
  if (kind == "model") return std::make_unique<ClassifierTss>(depth);
  if (kind == "rtl") return std::make_unique<rtl::ClassifierRtl>(depth);
  throw std::invalid_argument("unknown classifier kind '" + kind + "' (expected rtl or model)");
}

}  // namespace dfc::model
