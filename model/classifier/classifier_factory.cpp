#include <stdexcept>

#include "classifier_device.hpp"
#include "classifier_lockstep.hpp"
#include "classifier_tss.hpp"
#include "classifier_rtl.hpp"

namespace dfc::model {

std::unique_ptr<ClassifierDevice> make_classifier(const std::string& kind, uint32_t depth) {
  // "model": the fast functional classifier; the linear scan (ClassifierRef) is the oracle of
  // the tests and the fake HAL.
  if (kind == "model") return std::make_unique<ClassifierTss>(depth);
  if (kind == "rtl") return std::make_unique<rtl::ClassifierRtl>(depth);
  if (kind == "lockstep")  // RTL and model on every write and lookup; stops at a divergence
    return std::make_unique<ClassifierLockstep>(std::make_unique<rtl::ClassifierRtl>(depth),
                                                std::make_unique<ClassifierTss>(depth));
  throw std::invalid_argument("unknown classifier kind '" + kind + "' (expected rtl, model or lockstep)");
}

}  // namespace dfc::model
