#include "profile.hpp"

#include <stdexcept>

namespace dfc::model {

CardProfile profile_by_name(const std::string& name) {
  CardProfile p;
  p.name = name;
  if (name == "ms400") {
    p.cores = 2;
    p.core_hz = 1.0e9;
    p.classifier_depth = 4096;
    return p;
  }
  if (name == "ms3") {
    p.cores = 1;
    p.core_hz = 600.0e6;
    p.ingress_bps = 2.5e9;
    p.egress_bps = 2.5e9;
    p.classifier_depth = 2048;
    p.rated_input_pps = 300'000;
    p.ingress_buffer_packets = 2048;
    p.egress_queue_packets = 2048;
    return p;
  }
  throw std::invalid_argument("unknown profile '" + name + "' (expected ms3 or ms400)");
}

}  // namespace dfc::model
