#include "interconnect.hpp"

#include <string>

#include "wave.hpp"

namespace dfc::model {

Interconnect::Interconnect(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), target("target"), cycle_ps_(1e12 / p.ic_hz),
      bpc_(static_cast<unsigned>(p.ic_bytes_per_cycle)), per_access_(static_cast<unsigned>(p.ic_cycles_per_access)) {
  to.init(decode::kTargetCount, [](const char*, size_t i) {
    return new InitiatorSocket((std::string("to_") + decode::kTargetNames[i]).c_str());
  });
  target.register_b_transport(this, &Interconnect::b_transport);
}

void Interconnect::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (w) w_busy_ = w->add("card.interconnect", "busy", WaveRecorder::Kind::Busy);
}

void Interconnect::usage(std::vector<Usage>& out) const {
  out.push_back({"interconnect", busy_ps(), Usage::Kind::MemorySystem});
}

void Interconnect::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t len = gp.get_data_length();
  const uint64_t now = now_ps();
  const uint64_t t = now + delay.value();
  // Arbitration + address phase, then the data beats; requests that overlap wait. An
  // unmapped address still took its arbitration slot before the error came back.
  const auto svc = static_cast<uint64_t>(double(per_access_ + (len + bpc_ - 1) / bpc_) * cycle_ps_);
  const uint64_t start = occ_.book(t, svc, now);
  if (wave_) wave_->interval(w_busy_, start, start + svc);
  delay = at_ps(start + svc - now);
  const decode::Range* r = decode::find(gp.get_address());
  if (!r) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  to[static_cast<size_t>(r->target)]->b_transport(gp, delay);
}

}  // namespace dfc::model
