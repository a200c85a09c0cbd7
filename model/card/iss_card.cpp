#include "iss_card.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "card.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/classifier_abi.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "hw_thread.hpp"
#include "iss/abi_io.hpp"
#include "iss/elf_image.hpp"
#include "iss/iss_memory.hpp"

namespace dfc::model {
namespace {

using iss::hex;
using iss::hi;
using iss::join;
using iss::lo;

// The card address of an image address in the packet window.
uint64_t card_pkt(uint32_t addr) { return cardmap::PKT_MEM_BASE + (addr - cardmap::ISS_PKT_WINDOW); }

// The epoch the card's HAL gives the host firmware (card.cpp CardHal): same timestamps.
constexpr uint64_t kEpochMs = 1767225600000ull;

}  // namespace

IssCard::IssCard(Card& card, const IssImageSpec& spec, const fw::FirmwareOptions& fwo, unsigned contexts)
    : card_(card) {
  if (!fwo.driver.enabled || fwo.driver.contexts != contexts)
    throw std::logic_error("the image needs the driver on every hardware thread (" + std::to_string(contexts) + ")");
  if (contexts > iss::kMaxContexts)
    throw std::invalid_argument("the image runs at most " + std::to_string(iss::kMaxContexts) + " hardware threads, the card has " +
                                std::to_string(contexts));
  image_ = std::make_unique<iss::ElfImage>(
      iss::ElfImage::load(spec.elf_path, cardmap::ISS_DRAM_WINDOW, cardmap::ISS_WINDOW_BYTES));
  mem_ = std::make_unique<iss::IssMemory>();
  mem_->load(*image_);
  iss_ = std::make_unique<iss::MipsIss>(*image_, *mem_, contexts, /*packet_window=*/false);
  iss_->map_device(abi::CLS_BASE, cardmap::CLS_CONTEXTS * cardmap::CLS_CTX_STRIDE, this);
  iss_->map_device(cardmap::HW_SEM_BASE, 4096, this);
  iss_->map_device(cardmap::PLATFORM_BASE, cardmap::PLATFORM_BYTES, this);
  iss_->map_device(cardmap::ISS_PKT_WINDOW, cardmap::ISS_WINDOW_BYTES, this);
  ctx_.assign(contexts, Ctx{});
  frame_at_.assign(contexts, iss::MipsIss::Counters{});
  boot_block_ = iss::write_boot_block(*mem_, fwo, spec.config_text, spec.restart_reason);
  if (spec.gdb_port >= 0) gdb_ = std::make_unique<iss::GdbServer>(*iss_, *mem_, static_cast<uint16_t>(spec.gdb_port));
}

void IssCard::debug_stop(unsigned ctx) {
  step_ = -1;
  if (gdb_ && gdb_->stopped(ctx) == iss::GdbServer::Action::Step) step_ = static_cast<int>(gdb_->step_ctx());
}

IssCard::~IssCard() = default;

void IssCard::boot() {
  // The debugger first (the card halts at the entry until it continues, as QEMU's -S).
  if (gdb_ && gdb_->attach(0) == iss::GdbServer::Action::Step) step_ = 0;
  // Context 0 first: the others spin on its "ready" word until it has built the firmware.
  for (HwThread* t : card_.threads_) t->run_image();
  for (unsigned c = 0; c < ctx_.size(); ++c) boot_.push_back(iss_->counters(c));
}

iss::MipsIss::Counters IssCard::since_boot(unsigned ctx) const {
  iss::MipsIss::Counters d = iss_->counters(ctx);
  if (ctx < boot_.size()) {
    d.instructions -= boot_[ctx].instructions;
    d.loads -= boot_[ctx].loads;
    d.stores -= boot_[ctx].stores;
  }
  return d;
}

bool IssCard::take_wait(unsigned ctx) {
  const bool w = ctx_[ctx].wait;
  ctx_[ctx].wait = false;
  return w;
}

int IssCard::take_refused(unsigned ctx) {
  const int l = ctx_[ctx].refused;
  ctx_[ctx].refused = -1;
  return l;
}

void IssCard::check(unsigned ctx, const iss::MipsIss::Slice& s) const {
  std::string what;
  if (!errors_.empty()) what = "device misuse:\n" + errors_;
  else if (s.stop == iss::MipsIss::Slice::Stop::Fault) what = "faulted: " + s.fault;
  else if (s.stop == iss::MipsIss::Slice::Stop::Halt || iss_->halted(ctx))
    what = "halted with code " + std::to_string(iss_->halt_code(ctx));
  if (what.empty()) return;
  std::string m = "firmware image, hardware thread " + std::to_string(ctx) + ": " + what;
  if (!console_.empty()) m += "\nconsole:\n" + console_;
  throw std::runtime_error(m);
}

void IssCard::device_error(unsigned ctx, const std::string& what) {
  errors_ += "hardware thread " + std::to_string(ctx) + ": " + what + "\n";
  iss_->halt(iss::kHaltFatal);
}

// Every callback catches: an exception must not cross Unicorn's C frames. A misuse is recorded
// and fails the run after the slice (check()).
uint32_t IssCard::read(unsigned ctx, uint32_t addr, unsigned size) {
  HwThread& th = *card_.threads_[ctx];
  card_.cur_ = &th;
  th.iss_catch_up();
  try {
    if (addr >= cardmap::ISS_PKT_WINDOW) return pkt_read(ctx, th, addr, size);
    if (size != 4) {
      device_error(ctx, std::to_string(size) + "-byte read at " + hex(addr) + " (registers are words)");
      return 0;
    }
    if (addr >= cardmap::PLATFORM_BASE) return plat_read(ctx, th, addr - cardmap::PLATFORM_BASE);
    if (addr >= cardmap::HW_SEM_BASE) return sem_read(ctx, th, addr);
    uint32_t v = 0;
    th.reg(tlm::TLM_READ_COMMAND, addr, &v, 1);
    return v;
  } catch (const std::exception& e) {
    device_error(ctx, "read at " + hex(addr) + ": " + e.what());
  }
  return 0;
}

void IssCard::write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size) {
  HwThread& th = *card_.threads_[ctx];
  card_.cur_ = &th;
  th.iss_catch_up();
  try {
    if (addr >= cardmap::ISS_PKT_WINDOW) return pkt_write(th, addr, value, size);
    if (size != 4) return device_error(ctx, std::to_string(size) + "-byte write at " + hex(addr) + " (registers are words)");
    if (addr >= cardmap::PLATFORM_BASE) return plat_write(ctx, th, addr - cardmap::PLATFORM_BASE, value);
    if (addr >= cardmap::HW_SEM_BASE) return sem_write(ctx, th, addr);
    th.reg(tlm::TLM_WRITE_COMMAND, addr, &value, 1);
  } catch (const std::exception& e) {
    device_error(ctx, "write at " + hex(addr) + ": " + e.what());
  }
}

// ---- Platform registers.

void IssCard::timer_check(unsigned ctx, HwThread& th) {
  if (th.role() != HwThread::Role::Control || card_.timer_at_ps_ > th.local_ps()) return;
  card_.timer_at_ps_ = UINT64_MAX;  // one-shot
  ++card_.stats_.timer_events;
  ctx_[ctx].events |= iss::kEventTimer;
}

uint32_t IssCard::plat_read(unsigned ctx, HwThread& th, uint32_t reg) {
  Ctx& c = ctx_[ctx];
  switch (reg) {
    case cardmap::PLAT_CTX: return ctx;
    case cardmap::PLAT_CONTEXTS: return static_cast<uint32_t>(ctx_.size());
    case cardmap::PLAT_NOW_LO: {
      const uint64_t ns = th.local_ps() / 1000;
      c.now_hi = hi(ns);  // latched for PLAT_NOW_HI
      return lo(ns);
    }
    case cardmap::PLAT_NOW_HI: return c.now_hi;
    case cardmap::PLAT_EPOCH_LO: return lo(kEpochMs);
    case cardmap::PLAT_EPOCH_HI: return hi(kEpochMs);
    case cardmap::PLAT_BOOT_BLOCK: return boot_block_;
    case cardmap::PLAT_STATUS: return c.status;
    case cardmap::PLAT_EVENTS: {
      // The top of the packet loop: the frame taken before (if any) is done, and the next pass
      // of the loop starts (a frame's count covers the whole pass that took it, as the
      // work it declares does: the driver's poll comes before the take).
      frame_end(ctx, th);
      frame_at_[ctx] = iss_->counters(ctx);
      frame_at_[ctx].instructions += iss_->progress().instructions;
      frame_at_[ctx].loads += iss_->progress().loads;
      c.copies = 0;
      std::fill(std::begin(c.units), std::end(c.units), 0);
      timer_check(ctx, th);
      const uint32_t ev = c.events;
      c.events = 0;
      return ev;
    }
    default: device_error(ctx, "read of platform register " + hex(reg) + " (not readable)"); return 0;
  }
}

void IssCard::plat_write(unsigned ctx, HwThread& th, uint32_t reg, uint32_t v) {
  Ctx& c = ctx_[ctx];
  switch (reg) {
    case cardmap::PLAT_TIMER_LO: c.timer_lo = v; return;
    case cardmap::PLAT_TIMER_HI: {
      const uint64_t ns = join(c.timer_lo, v);
      card_.timer_at_ps_ = ns >= UINT64_MAX / 1000 ? UINT64_MAX : ns * 1000;
      // The control thread may be idle waiting for the next arrival: it re-plans.
      if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) card_.timer_ev_.notify(sc_core::SC_ZERO_TIME);
      return;
    }
    case cardmap::PLAT_WAIT:
      frame_end(ctx, th);
      // An event raised since the context's last PLAT_EVENTS read is not lost: it does not sleep.
      if (c.events == 0) c.wait = true;
      iss_->yield();
      return;
    case cardmap::PLAT_CONSOLE: console_.push_back(static_cast<char>(v & 0xff)); return;
    case cardmap::PLAT_HALT: iss_->halt(v); return;
    case cardmap::PLAT_DOORBELL: doorbell(ctx, th, v); return;
    case cardmap::PLAT_WORK:
      if ((v >> 24) < kKinds) c.units[v >> 24] += v & 0xffffff;
      return;
    default: device_error(ctx, "write of platform register " + hex(reg) + " (not writable)");
  }
}

// ---- Semaphores: try-locks at the thread's local time (docs/iss.md).

uint32_t IssCard::sem_read(unsigned ctx, HwThread& th, uint32_t addr) {
  const uint32_t lock = (addr - cardmap::HW_SEM_BASE) / 4;
  if (lock >= cardmap::HW_LOCK_COUNT || addr % 4) {
    device_error(ctx, "semaphore register " + hex(addr) + " beyond HW_LOCK_COUNT");
    return 0;
  }
  uint32_t v = 0;
  th.reg(tlm::TLM_READ_COMMAND, addr, &v, 1);  // the register access itself
  if (th.iss_try_lock(lock)) return 1;
  ctx_[ctx].refused = static_cast<int>(lock);
  iss_->yield();  // the thread sleeps until the holder releases, between slices
  return 0;
}

void IssCard::sem_write(unsigned ctx, HwThread& th, uint32_t addr) {
  const uint32_t lock = (addr - cardmap::HW_SEM_BASE) / 4;
  if (lock >= cardmap::HW_LOCK_COUNT || addr % 4)
    return device_error(ctx, "semaphore register " + hex(addr) + " beyond HW_LOCK_COUNT");
  th.lock_release(lock);  // the register write, then the release at the thread's time
}

// ---- Packet memory.

uint32_t IssCard::pkt_read(unsigned ctx, HwThread& th, uint32_t addr, unsigned size) {
  const uint64_t a = card_pkt(addr);
  if (a >= cardmap::RX_RING_BASE && a < cardmap::TX_BUF_BASE) {  // ring words: timed
    if (size != 4 || a % 4) {
      device_error(ctx, std::to_string(size) + "-byte ring access at " + hex(addr) + " (ring words are aligned words)");
      return 0;
    }
    return th.load32(a);
  }
  if (a < cardmap::RX_RING_BASE && (a - cardmap::PKT_MEM_BASE) % cardmap::PKT_BUF_BYTES == 0 && size == 4) {
    // The first word of a receive buffer: the image looks for a frame there (Hal::rx_frame).
    frame_end(ctx, th);
    const Packet* p = th.rx_frame(a);
    if (p && p->unit == Unit::Control && card_.is_restart_ && card_.is_restart_(*p)) {
      th.iss_frame_begin();  // the marker is done at once: the image sees no frame, but its event
      th.iss_frame_end();
      ctx_[ctx].events |= iss::kEventRestart;
      p = nullptr;
    }
    if (p) {
      iss::write_rx_frame(*mem_, addr, *p);
      th.iss_frame_begin();
    } else {
      mem_->write32(addr, 0);  // no frame: the metadata's magic is not there
    }
  }
  th.pkt_access(a, false);
  switch (size) {
    case 1: return mem_->read8(addr);
    case 2: return mem_->read16(addr);
    case 4: return mem_->read32(addr);
    default: device_error(ctx, std::to_string(size) + "-byte read at " + hex(addr)); return 0;
  }
}

void IssCard::pkt_write(HwThread& th, uint32_t addr, uint32_t value, unsigned size) {
  const uint64_t a = card_pkt(addr);
  if (a >= cardmap::RX_RING_BASE && a < cardmap::TX_BUF_BASE) {
    if (size != 4 || a % 4)
      return device_error(iss_->current(), std::to_string(size) + "-byte ring access at " + hex(addr) +
                                               " (ring words are aligned words)");
    return th.store32(a, value);
  }
  th.pkt_access(a, true);
  switch (size) {
    case 1: return mem_->write8(addr, static_cast<uint8_t>(value));
    case 2: return mem_->write16(addr, static_cast<uint16_t>(value));
    case 4: return mem_->write32(addr, value);
    default: device_error(iss_->current(), std::to_string(size) + "-byte write at " + hex(addr));
  }
}

// ---- Doorbell: the transmit record and its bytes leave through the card's egress.

void IssCard::doorbell(unsigned ctx, HwThread& th, uint32_t record) {
  const iss::TxRecord r = iss::read_tx_record(*mem_, record);
  Packet p = iss::tx_packet(*mem_, r);
  if (r.flags & iss::kTxDropped) {
    const std::string why = iss::tx_reason(*mem_, r);
    if (card_.on_copy_drop_) card_.on_copy_drop_(p, why.c_str());
    return;
  }
  const bool copy = p.unit != Unit::Control;
  const bool ok = card_.transmit(std::move(p), th.local_ps());
  ctx_[ctx].status = ok ? 1 : 0;
  if (ok && copy) ++ctx_[ctx].copies;
}

void IssCard::frame_end(unsigned ctx, HwThread& th) {
  if (!th.iss_frame_open()) return;
  const Unit unit = th.iss_frame_unit();
  th.iss_frame_end();
  const Ctx& c = ctx_[ctx];
  const size_t hash = static_cast<size_t>(Hal::Work::Hash), insert = static_cast<size_t>(Hal::Work::FlowInsert);
  Path& path = unit == Unit::Control ? paths_.dtcp
               : c.copies > 0        ? paths_.copy
               : c.units[insert]     ? paths_.miss
               : c.units[hash]       ? paths_.hit
                                     : paths_.other;
  const iss::MipsIss::Counters now = iss_->counters(ctx), in_slice = iss_->progress();
  const uint64_t took = now.instructions + in_slice.instructions - frame_at_[ctx].instructions;
  const uint64_t loads = now.loads + in_slice.loads - frame_at_[ctx].loads;
  ++path.packets;
  path.instructions += took;
  ++fit_.frames;
  // What the pass cost the core, as hw_thread_iss.cpp prices it: an issue slot per instruction
  // and the L1's load-to-use cycles beyond it per load (stalls on the bus are the card's own).
  const double y = double(took) + double(loads) * std::max(0.0, card_.prof_.l1_hit_cycles - 1.0);
  fit_.yty += y * y;
  for (size_t i = 0; i < kKinds; ++i) {
    if (!c.units[i]) continue;
    fit_.units[i] += c.units[i];
    fit_.xty[i] += double(c.units[i]) * y;
    for (size_t j = 0; j < kKinds; ++j) fit_.xtx[i][j] += double(c.units[i]) * double(c.units[j]);
  }
}

}  // namespace dfc::model
