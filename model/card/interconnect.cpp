#include "interconnect.hpp"

#include <algorithm>
#include <string>

#include "dfc/hal/card_map.hpp"
#include "wave.hpp"

namespace dfc::model {

Interconnect::Interconnect(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), target("target"), cycle_ps_(1e12 / p.ic_hz),
      bpc_(static_cast<unsigned>(p.ic_bytes_per_cycle)), per_access_(static_cast<unsigned>(p.ic_cycles_per_access)),
      threads_per_core_(std::max(1u, p.threads_per_core)) {
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
  out.push_back({"data_ring", data_.busy_ps(), Usage::Kind::Detail});
  out.push_back({"message_ring", msg_.busy_ps(), Usage::Kind::Detail});
}

Interconnect::Path Interconnect::path_of(tlm::tlm_generic_payload& gp) const {
  const uint64_t a = gp.get_address();
  if (a < cardmap::RX_RING_BASE || a >= cardmap::TX_BUF_BASE) return Path::Data;
  // The descriptor rings are the message network's. A hardware thread's receive ring and its
  // transmit-completion ring are buckets of its core's message station (RMI's driver reads a
  // received packet's descriptor as a message from the core's bucket and gets its transmit
  // completions back in a per-thread bucket, S11): taking them is local to the core. Its
  // free-buffer ring entries are messages it sends to the MAC, and everything the DMA engines
  // write or read there is a message to or from a core: those travel on the message ring.
  const int ini = initiator_of(gp);
  const bool rx = a < cardmap::FREE_RING_BASE, tx = a >= cardmap::TX_RING_BASE;
  if (ini < 0 || !(rx || tx)) return Path::Message;
  const uint64_t ring_ctx = (a - (rx ? cardmap::RX_RING_BASE : cardmap::TX_RING_BASE)) / cardmap::RING_STRIDE;
  const bool own_core = ring_ctx / threads_per_core_ == static_cast<uint64_t>(ini) / threads_per_core_;
  return own_core ? Path::Station : Path::Message;
}

void Interconnect::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t len = gp.get_data_length();
  const uint64_t now = now_ps();
  const uint64_t t = now + delay.value();
  const Path path = path_of(gp);
  if (path == Path::Station) {
    ++n_local_;
  } else {
    // Arbitration + address phase, then the data beats; requests on the same ring that overlap
    // wait. An unmapped address still took its arbitration slot before the error came back.
    const auto svc = static_cast<uint64_t>(double(per_access_ + (len + bpc_ - 1) / bpc_) * cycle_ps_);
    Occupancy& ring = path == Path::Data ? data_ : msg_;
    ++(path == Path::Data ? n_data_ : n_msg_);
    const uint64_t start = ring.book(t, svc, now);
    if (wave_) wave_->interval(w_busy_, start, start + svc);
    delay = at_ps(start + svc - now);
  }
  const decode::Range* r = decode::find(gp.get_address());
  if (!r) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  to[static_cast<size_t>(r->target)]->b_transport(gp, delay);
}

}  // namespace dfc::model
