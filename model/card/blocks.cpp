#include "blocks.hpp"

#include <algorithm>
#include <stdexcept>

#include "dfc/hal/card_map.hpp"

namespace dfc::model {

using sc_core::sc_time;

namespace {
uint64_t ps_of(double seconds) { return static_cast<uint64_t>(seconds * 1e12 + 0.5); }
sc_time at_ps(uint64_t ps) { return sc_time::from_value(ps); }
// Occupancy windows: short against a quantum (so a lagging core's request lands in its own
// window) and long against one service (so a window holds many requests).
constexpr uint64_t kWindowPs = 500'000;
}  // namespace

// ---------------------------------------------------------------------------------------
MemorySubsystem::MemorySubsystem(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), socket("socket"), sram_(kWindowPs, 16384), dram_(kWindowPs, 16384),
      l2_(static_cast<uint64_t>(p.l2_bytes), static_cast<unsigned>(p.l1_line), static_cast<unsigned>(p.l2_ways)),
      sram_ps_per_byte_(8e3 / p.sram_gbps), dram_ps_per_byte_(8e3 / p.dram_gbps),
      sram_lat_(ps_of(p.sram_latency_ns * 1e-9)), dram_lat_(ps_of(p.dram_latency_ns * 1e-9)),
      l2_hit_(ps_of(p.l2_hit_ns * 1e-9)) {
  socket.register_b_transport(this, &MemorySubsystem::b_transport);
}

void MemorySubsystem::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  const uint64_t now = now_ps();
  const uint64_t t = now + delay.value();
  const bool write = gp.is_write();
  if (addr >= cardmap::DRAM_BASE) {
    // Cores reach DRAM through the shared L2 (line fills and write-backs of their L1); DMA
    // engines do not touch DRAM in this card.
    // A burst (a core's streaming read) covers several lines: each is looked up in the L2,
    // and only the missing ones go to DRAM, back to back at the DRAM bandwidth.
    const uint64_t line = l2_.line();
    uint64_t miss = 0;
    for (uint64_t a = addr; a < addr + len; a += line) {
      const Cache::Result r = l2_.access(a, write);
      if (r.writeback) dram_.book(t, static_cast<uint64_t>(double(line) * dram_ps_per_byte_));
      if (!r.hit) miss += std::min<uint64_t>(line, addr + len - a);
    }
    if (write) {
      if (miss) dram_.book(t, static_cast<uint64_t>(double(miss) * dram_ps_per_byte_));  // fill
    } else if (miss == 0) {
      delay = at_ps(t + l2_hit_ - now);
    } else {
      const auto svc = static_cast<uint64_t>(double(miss) * dram_ps_per_byte_);
      const uint64_t start = dram_.book(t + l2_hit_, svc);
      delay = at_ps(start + dram_lat_ + svc - now);
    }
  } else if (addr >= cardmap::PKT_MEM_BASE) {
    // Packet memory: uncached SRAM; writes are posted (occupancy only).
    const auto svc = static_cast<uint64_t>(double(len) * sram_ps_per_byte_);
    const uint64_t start = sram_.book(t, svc);
    if (!write) delay = at_ps(start + sram_lat_ + svc - now);
  } else {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

// ---------------------------------------------------------------------------------------
ClassifierTarget::ClassifierTarget(sc_core::sc_module_name n, std::unique_ptr<ClassifierDevice> dev,
                                   const CardProfile& p)
    : sc_module(n), socket("socket"), dev_(std::move(dev)), issue_(kWindowPs, 16384) {
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

// Whether a write of n words at addr writes the key's last word (which starts a lookup,
// classifier_bus.hpp): the lookup's issue slot is booked before the device runs it, so the
// RTL is clocked at the SystemC time of that slot.
static bool starts_lookup(uint32_t addr, size_t n) {
  const uint32_t last = abi::CLS_KEY + 4 * (abi::KEY_IN_WORDS - 1);
  return addr <= last && addr + 4 * n > last;
}

void ClassifierTarget::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
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
      const uint64_t start = lookup ? issue_.book(t, issue_ps_) : t;
      dev_->at_time(start);
      c.bus->write(addr, words, nw);
      if (c.bus->lookups() != before) {
        if (!lookup) throw std::logic_error("classifier target: a lookup started by a write it did not expect");
        c.ready_ps = start + cycle_ps_ * c.bus->last_result().cycles;
        ++lookups_;
        if (wave_) wave_->interval(w_busy_, start, start + issue_ps_), wave_->interval(w_flight_, start, c.ready_ps);
      } else if (c.bus->entry_writes() != writes_before) {
        const uint64_t s = issue_.book(t, cycle_ps_);  // an entry write takes the table for a clock
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

// ---------------------------------------------------------------------------------------
HwSemaphores::HwSemaphores(sc_core::sc_module_name n) : sc_module(n), socket("socket"), locks_(cardmap::HW_LOCK_COUNT) {
  socket.register_b_transport(this, &HwSemaphores::b_transport);
}

void HwSemaphores::b_transport(tlm::tlm_generic_payload& gp, sc_time&) {
  // The register access itself (priced by the interconnect); the lock state is kept by
  // acquire()/release(), which the calling core runs right after.
  gp.set_response_status(gp.get_address() < cardmap::HW_SEM_BASE + 4 * locks_.size() ? tlm::TLM_OK_RESPONSE
                                                                                     : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

uint64_t HwSemaphores::acquire(unsigned lock, int core, uint64_t t_ps) {
  if (lock >= locks_.size()) throw std::runtime_error("lock_acquire: no hardware semaphore " + std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.holder == core) throw std::runtime_error("lock_acquire: core " + std::to_string(core) +
                                                 " already holds semaphore " + std::to_string(lock));
  if (l.holder >= 0) {
    // Held by a core that synchronised inside its critical section: wait for the release in
    // simulated time (the caller's thread sleeps).
    ++contended_;
    const uint64_t now = now_ps();
    if (t_ps > now) wait(at_ps(t_ps - now));
    while (l.holder >= 0) wait(l.released);
    t_ps = std::max(t_ps, now_ps());
  }
  // Not held now, but another core may have held it over [a, b) in this core's future or
  // past (decoupled cores run out of time order): start after any interval covering t.
  const uint64_t floor = now_ps();
  while (!l.held.empty() && l.held.front().second < floor) l.held.pop_front();
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [a, b] : l.held)
      if (t_ps >= a && t_ps < b) t_ps = b, moved = true;
  }
  l.holder = core;
  l.since_ps = t_ps;
  return t_ps;
}

void HwSemaphores::release(unsigned lock, int core, uint64_t t_ps) {
  if (lock >= locks_.size() || locks_[lock].holder != core)
    throw std::runtime_error("lock_release: core " + std::to_string(core) + " does not hold semaphore " +
                             std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.held.size() >= 256) l.held.pop_front();
  l.held.emplace_back(l.since_ps, t_ps);
  l.holder = -1;
  const uint64_t now = now_ps();
  l.released.notify(at_ps(t_ps > now ? t_ps - now : 0));
}

// ---------------------------------------------------------------------------------------
Interconnect::Interconnect(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), target("target"), to_memory("to_memory"), to_classifier("to_classifier"),
      to_semaphores("to_semaphores"), occ_(kWindowPs, 16384), cycle_ps_(1e12 / p.ic_hz),
      bpc_(static_cast<unsigned>(p.ic_bytes_per_cycle)), per_access_(static_cast<unsigned>(p.ic_cycles_per_access)) {
  target.register_b_transport(this, &Interconnect::b_transport);
}

void Interconnect::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (w) w_busy_ = w->add("card.interconnect", "busy", WaveRecorder::Kind::Busy);
}

void Interconnect::b_transport(int, tlm::tlm_generic_payload& gp, sc_time& delay) {
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  const uint64_t now = now_ps();
  const uint64_t t = now + delay.value();
  // Arbitration + address phase, then the data beats; requests that overlap wait.
  const auto svc = static_cast<uint64_t>(double(per_access_ + (len + bpc_ - 1) / bpc_) * cycle_ps_);
  const uint64_t start = occ_.book(t, svc);
  if (wave_) wave_->interval(w_busy_, start, start + svc);
  delay = at_ps(start + svc - now);
  if (addr >= cardmap::PKT_MEM_BASE)
    to_memory->b_transport(gp, delay);
  else if (addr >= abi::CLS_BASE && addr < abi::CLS_BASE + uint64_t(cardmap::CLS_CONTEXTS) * cardmap::CLS_CTX_STRIDE)
    to_classifier->b_transport(gp, delay);
  else if (addr >= cardmap::HW_SEM_BASE && addr < cardmap::HW_SEM_BASE + 0x1000)
    to_semaphores->b_transport(gp, delay);
  else
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

}  // namespace dfc::model
