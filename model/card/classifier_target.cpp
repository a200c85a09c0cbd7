#include "classifier_target.hpp"

#include <algorithm>
#include <stdexcept>

#include "card_stats.hpp"
#include "dfc/hal/card_map.hpp"
#include "wave.hpp"

namespace dfc::model {

ClassifierTarget::ClassifierTarget(sc_core::sc_module_name n, std::unique_ptr<ClassifierDevice> dev,
                                   const CardProfile& p)
    : sc_module(n), socket("socket"), dev_(std::move(dev)) {
  const double cyc = 1e12 / p.classifier_hz;
  cycle_ps_ = static_cast<uint64_t>(cyc + 0.5);
  issue_ps_ = static_cast<uint64_t>(cyc * p.classifier_issue_cycles + 0.5);
  reg_ps_ = static_cast<uint64_t>(cyc * p.classifier_reg_cycles + 0.5);
  ctx_.resize(cardmap::CLS_CONTEXTS);
  for (auto& c : ctx_) c.bus = std::make_unique<ClassifierBus>(*dev_);
  socket.register_b_transport(this, &ClassifierTarget::b_transport);
}

void ClassifierTarget::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (!w) return;
  w_busy_ = w->add("card.classifier", "busy", WaveRecorder::Kind::Busy);
  w_flight_ = w->add("card.classifier", "lookups_in_flight", WaveRecorder::Kind::Count, 8);
}

void ClassifierTarget::usage(std::vector<Usage>& out) const {
  out.push_back({"classifier", busy_ps(), Usage::Kind::Accelerator});
}

void ClassifierTarget::add_stats(CardStats& st) const { st.classifier_lookups = lookups_; }

// Whether a write of n words at addr writes the key's last word (which starts a lookup,
// classifier_bus.hpp): the lookup's issue slot is booked before the device runs it, so the
// RTL is clocked at the SystemC time of that slot.
static bool starts_lookup(uint32_t addr, size_t n) {
  const uint32_t last = abi::CLS_KEY + 4 * (abi::KEY_IN_WORDS - 1);
  return addr <= last && addr + 4 * n > last;
}

void ClassifierTarget::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t off = gp.get_address() - abi::CLS_BASE;
  const size_t ci = off / cardmap::CLS_CTX_STRIDE;
  const auto addr = static_cast<uint32_t>(gp.get_address() - ci * cardmap::CLS_CTX_STRIDE);
  const size_t len = gp.get_data_length();
  if (ci >= ctx_.size() || !ClassifierBus::claims(addr)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (len % 4 != 0 || gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  Context& c = ctx_[ci];
  const int core = initiator_of(gp);
  if (c.last_core != -2 && c.last_core != core) c.shared = true;
  c.last_core = core;
  const bool window = addr >= abi::CLS_KEY && addr < abi::CLS_RESULT + 4 * (abi::CLS_MAX_RESULTS + 2);
  // A context used by several cores is a place where their interleaving matters: the
  // calling core synchronises here, so another core's key write can land between this
  // core's key write and its result read, exactly as it could on silicon.
  if (window && (c.shared || sync_all)) {
    wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  const uint64_t now = now_ps();
  uint64_t t = now + delay.value() + reg_ps_;
  auto* words = reinterpret_cast<uint32_t*>(gp.get_data_ptr());
  const size_t nw = len / 4;
  try {
    if (gp.is_write()) {
      const uint64_t before = c.bus->lookups(), writes_before = c.bus->entry_writes();
      // Pipelined: a new lookup may enter every issue_cycles; the result is readable after
      // the device's own reported cycles.
      const bool lookup = starts_lookup(addr, nw);
      const uint64_t start = lookup ? issue_.book(t, issue_ps_, now) : t;
      dev_->at_time(start);
      c.bus->write(addr, words, nw);
      if (c.bus->lookups() != before) {
        if (!lookup) throw std::logic_error("classifier target: a lookup started by a write it did not expect");
        c.ready_ps = start + cycle_ps_ * c.bus->last_result().cycles;
        ++lookups_;
        if (wave_) wave_->interval(w_busy_, start, start + issue_ps_), wave_->interval(w_flight_, start, c.ready_ps);
      } else if (c.bus->entry_writes() != writes_before) {
        const uint64_t s = issue_.book(t, cycle_ps_, now);  // an entry write takes the table for a clock
        if (wave_) wave_->interval(w_busy_, s, s + cycle_ps_);
        t = s + cycle_ps_;
      }
    } else {
      if (addr >= abi::CLS_RESULT) t = std::max(t, c.ready_ps);
      c.bus->read(addr, words, nw);
    }
  } catch (const std::out_of_range&) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  delay = at_ps(t - now);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace dfc::model
