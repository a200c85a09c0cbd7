#include "iss_card.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>

#include "card.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/classifier_abi.hpp"
#include "dfc/hal/hal.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "hw_thread.hpp"
#include "iss/abi_io.hpp"
#include "iss/elf_image.hpp"
#include "iss/iss_memory.hpp"
#include "race/detector.hpp"

namespace dfc::model {
namespace {

using iss::hex;
using iss::hi;
using iss::join;
using iss::lo;

// The card address of an image address in the packet window.
uint64_t card_pkt(uint32_t addr) { return cardmap::PKT_MEM_BASE + (addr - cardmap::ISS_PKT_WINDOW); }

// "0x24": offsets in symbol+offset names.
std::string short_hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// The epoch the card's HAL gives the host firmware (card.cpp CardHal): same timestamps.
constexpr uint64_t kEpochMs = 1767225600000ull;

// Fault injection (docs/race-check.md, "Removing a critical section"): DFC_FAULT_SKIP_LOCK names
// the critical section a test image leaves out; it goes into the image's variable
// dfc_fault_skip_lock before any context runs. The product image has no such variable: a
// selection for it is an error, not a run that silently removes nothing.
void select_fault(const iss::ElfImage& image, iss::IssMemory& mem) {
  const char* env = std::getenv("DFC_FAULT_SKIP_LOCK");
  if (env == nullptr || *env == '\0') return;
  const std::string v(env);
  const std::optional<iss::ElfSymbol> sym = image.find("dfc_fault_skip_lock");
  if (!sym)
    throw std::invalid_argument("DFC_FAULT_SKIP_LOCK=" + v + " is set, but " + image.path() +
                                " has no fault-injection hook (no symbol dfc_fault_skip_lock): run "
                                "bin/dfc_firmware_fault.elf, or unset the variable");
  bool known = false;
  std::string sites;
  for (const char* s : fault::kLockSites) known |= v == s, sites += std::string(" ") + s;
  if (!known || v.size() >= sym->size)
    throw std::invalid_argument("DFC_FAULT_SKIP_LOCK=" + v + " names no critical section; the sites are:" + sites);
  mem.write(sym->addr, v.c_str(), v.size() + 1);
}

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
  select_fault(*image_, *mem_);
  iss_ = std::make_unique<iss::MipsIss>(*image_, *mem_, contexts, /*packet_window=*/false);
  iss_->enable_profile();  // one add per block: report.json iss.functions
  iss_->map_device(abi::CLS_BASE, cardmap::CLS_CONTEXTS * cardmap::CLS_CTX_STRIDE, this);
  iss_->map_device(cardmap::HW_SEM_BASE, 4096, this);
  iss_->map_device(cardmap::PLATFORM_BASE, cardmap::PLATFORM_BYTES, this);
  iss_->map_device(cardmap::SEC_BASE, cardmap::SEC_BYTES, this);
  iss_->map_device(cardmap::ISS_PKT_WINDOW, cardmap::ISS_WINDOW_BYTES, this);
  ctx_.assign(contexts, Ctx{});
  frame_at_.assign(contexts, iss::MipsIss::Counters{});
  boot_block_ = iss::write_boot_block(*mem_, fwo, spec.config_text, spec.restart_reason);
  // What this card offers beyond every host's platform registers (not the firmware's options, so
  // written here; every other host leaves the word zero): its security engine, PLAT_SYNC.
  const uint32_t features = iss::kFeatureSync | (card_.sec_.present() ? iss::kFeatureSecurityEngine : 0);
  mem_->write32(boot_block_ + static_cast<uint32_t>(offsetof(iss::BootBlock, features)), features);
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
  // The boot is before time 0: not in the profile (its first passes of the loop are frameless).
  iss::MipsIss::Profile boot_profile;
  for (unsigned c = 0; c < ctx_.size(); ++c) iss_->take_profile(c, boot_profile);
  frameless_ = iss::MipsIss::Profile{};
}

iss::MipsIss::Profile IssCard::function_totals() const {
  iss::MipsIss::Profile t;
  for (const Path* p : {&paths_.hit, &paths_.miss, &paths_.copy, &paths_.dtcp, &paths_.other}) t.add(p->functions);
  t.add(frameless_);
  for (unsigned c = 0; c < ctx_.size(); ++c) t.add(iss_->pending_profile(c));
  return t;
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
  if (collecting_) return collect_read(ctx, addr, size);
  HwThread& th = *card_.threads_[ctx];
  card_.cur_ = &th;
  th.iss_catch_up();
  try {
    if (addr >= cardmap::ISS_PKT_WINDOW) return pkt_read(ctx, th, addr, size);
    if (size != 4) {
      device_error(ctx, std::to_string(size) + "-byte read at " + hex(addr) + " (registers are words)");
      return 0;
    }
    if (addr >= cardmap::SEC_BASE && addr < cardmap::SEC_BASE + cardmap::SEC_BYTES)
      return sec_read(ctx, th, addr - cardmap::SEC_BASE);
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
  if (collecting_) return collect_write(ctx, addr, value, size);
  HwThread& th = *card_.threads_[ctx];
  card_.cur_ = &th;
  th.iss_catch_up();
  try {
    if (addr >= cardmap::ISS_PKT_WINDOW) return pkt_write(ctx, th, addr, value, size);
    if (size != 4) return device_error(ctx, std::to_string(size) + "-byte write at " + hex(addr) + " (registers are words)");
    if (addr >= cardmap::SEC_BASE && addr < cardmap::SEC_BASE + cardmap::SEC_BYTES)
      return sec_write(ctx, th, addr - cardmap::SEC_BASE, value);
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
      iss_->take_profile(ctx, frameless_);  // a pass that took no frame ends here
      frame_at_[ctx] = iss_->counters(ctx);
      frame_at_[ctx].instructions += iss_->progress().instructions;
      frame_at_[ctx].loads += iss_->progress().loads;
      c.copies = 0;
      std::fill(std::begin(c.units), std::end(c.units), 0);
      timer_check(ctx, th);
      const uint32_t ev = c.events;
      c.events = 0;
      // The timer's expiry is seen: what the context that armed it did before is ordered before.
      if (race_ && (ev & iss::kEventTimer)) race_->acquire(ctx, race::Sync::Timer, 0);
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
      if (race_) race_->release(ctx, race::Sync::Timer, 0);
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
    case cardmap::PLAT_SYNC:
      // The image is about to load the criteria sequence counter or version: as the host
      // firmware's load (HwThread::mem), the thread synchronises first (several threads only), so
      // every change of the rule map earlier in simulated time has happened (docs/model.md §2).
      if (card_.threads_.size() > 1) th.iss_sync();
      return;
    case cardmap::PLAT_RACE_HINT:  // written whether or not the checker runs
      if (v > 1) return device_error(ctx, "PLAT_RACE_HINT value " + std::to_string(v) + " (0: a read attempt begins, 1: it ends)");
      c.seq_read = v == 0;
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
  if (th.iss_try_lock(lock)) {
    if (race_) race_->acquire(ctx, race::Sync::Lock, lock);
    return 1;
  }
  ctx_[ctx].refused = static_cast<int>(lock);
  iss_->yield();  // the thread sleeps until the holder releases, between slices
  return 0;
}

void IssCard::sem_write(unsigned ctx, HwThread& th, uint32_t addr) {
  const uint32_t lock = (addr - cardmap::HW_SEM_BASE) / 4;
  if (lock >= cardmap::HW_LOCK_COUNT || addr % 4)
    return device_error(ctx, "semaphore register " + hex(addr) + " beyond HW_LOCK_COUNT");
  if (race_) race_->release(ctx, race::Sync::Lock, lock);  // before another thread can take it
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
    // The buffer's hand-off: what the context that gave it back did before is ordered before.
    if (p && race_) race_->acquire(ctx, race::Sync::Buffer, a);
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

void IssCard::pkt_write(unsigned ctx, HwThread& th, uint32_t addr, uint32_t value, unsigned size) {
  const uint64_t a = card_pkt(addr);
  if (a >= cardmap::RX_RING_BASE && a < cardmap::TX_BUF_BASE) {
    if (size != 4 || a % 4)
      return device_error(ctx, std::to_string(size) + "-byte ring access at " + hex(addr) + " (ring words are aligned words)");
    // A free-ring entry (not the producer index): the buffer goes back to the hardware.
    if (race_ && fw::ring::is_free_entry(a)) race_->release(ctx, race::Sync::Buffer, cardmap::PKT_MEM_BASE + value);
    return th.store32(a, value);
  }
  th.pkt_access(a, true);
  switch (size) {
    case 1: return mem_->write8(addr, static_cast<uint8_t>(value));
    case 2: return mem_->write16(addr, static_cast<uint16_t>(value));
    case 4: return mem_->write32(addr, value);
    default: device_error(ctx, std::to_string(size) + "-byte write at " + hex(addr));
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
  path.max = std::max(path.max, took);
  iss_->take_profile(ctx, path.functions);
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

// ---- The firmware's counters after the run (collect_stats).

iss::FirmwareCounters IssCard::collect_stats() {
  constexpr unsigned kCtx = 0;
  // Every context waits (the run ended): context 0 resumes after its PLAT_WAIT, reads the event,
  // writes the record and waits again. A budget large enough for the record, small enough that
  // an image that never waits again is an error, not a hang.
  constexpr uint64_t kBudget = 50'000'000;
  mem_->write32(iss::kStatsAddr, 0);
  collecting_ = true;
  collect_events_ = iss::kEventStats;
  collect_held_ = 0;
  ctx_[kCtx].wait = false;
  uint64_t ran = 0;
  bool waited = false;
  try {
    while (!waited && ran < kBudget) {
      const iss::MipsIss::Slice s = iss_->run(kCtx, std::min<uint64_t>(kBudget - ran, 200000));
      ran += s.instructions;
      check(kCtx, s);
      waited = take_wait(kCtx);
      if (s.instructions == 0 && !waited) break;  // stopped without progress
    }
  } catch (...) {
    collecting_ = false;
    throw;
  }
  collecting_ = false;
  if (!waited)
    throw std::runtime_error("firmware image: hardware thread " + std::to_string(kCtx) + " did not wait again within " +
                             std::to_string(ran) + " instructions of the statistics event");
  if (collect_held_)
    throw std::runtime_error("firmware image: the statistics event left semaphores held (mask " + hex(collect_held_) + ")");
  return iss::read_stats(*mem_, iss::kStatsAddr, iss::kStatsBytes);
}

namespace {
constexpr const char* kCollectOnly =
    " (only the platform registers and the semaphores answer then; an image that polls its rings on the "
    "statistics event predates it: rebuild dfc_firmware.elf)";
}  // namespace

uint32_t IssCard::collect_read(unsigned ctx, uint32_t addr, unsigned size) {
  const std::string what = "read at " + hex(addr) + " while writing the statistics record after the run";
  if (size != 4) {
    device_error(ctx, std::to_string(size) + "-byte " + what);
    return 0;
  }
  if (addr >= cardmap::HW_SEM_BASE && addr < cardmap::HW_SEM_BASE + 4 * cardmap::HW_LOCK_COUNT) {
    const uint32_t lock = (addr - cardmap::HW_SEM_BASE) / 4;
    // No other context runs: a lock still held is held for ever (the image would spin).
    if (card_.sems_.holder(lock) >= 0 || (collect_held_ >> lock & 1)) {
      device_error(ctx, "semaphore " + std::to_string(lock) + " is held: " + what);
      return 0;
    }
    collect_held_ |= 1u << lock;
    return 1;
  }
  switch (addr >= cardmap::PLATFORM_BASE ? addr - cardmap::PLATFORM_BASE : UINT32_MAX) {
    case cardmap::PLAT_CTX: return ctx;
    case cardmap::PLAT_CONTEXTS: return static_cast<uint32_t>(ctx_.size());
    case cardmap::PLAT_NOW_LO: return lo(card_.stats_.end_ps / 1000);
    case cardmap::PLAT_NOW_HI: return hi(card_.stats_.end_ps / 1000);
    case cardmap::PLAT_EPOCH_LO: return lo(kEpochMs);
    case cardmap::PLAT_EPOCH_HI: return hi(kEpochMs);
    case cardmap::PLAT_BOOT_BLOCK: return boot_block_;
    case cardmap::PLAT_EVENTS: {
      const uint32_t ev = collect_events_;
      collect_events_ = 0;
      return ev;
    }
    default: device_error(ctx, what + kCollectOnly); return 0;
  }
}

void IssCard::collect_write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size) {
  const std::string what = "write at " + hex(addr) + " while writing the statistics record after the run";
  if (size != 4) return device_error(ctx, std::to_string(size) + "-byte " + what);
  if (addr >= cardmap::HW_SEM_BASE && addr < cardmap::HW_SEM_BASE + 4 * cardmap::HW_LOCK_COUNT) {
    collect_held_ &= ~(1u << (addr - cardmap::HW_SEM_BASE) / 4);
    return;
  }
  switch (addr >= cardmap::PLATFORM_BASE ? addr - cardmap::PLATFORM_BASE : UINT32_MAX) {
    case cardmap::PLAT_WAIT:
      ctx_[ctx].wait = true;
      iss_->yield();
      return;
    case cardmap::PLAT_CONSOLE: console_.push_back(static_cast<char>(value & 0xff)); return;
    case cardmap::PLAT_HALT: iss_->halt(value); return;
    case cardmap::PLAT_WORK:
    case cardmap::PLAT_RACE_HINT: return;  // declarations: no effect on behaviour
    default: device_error(ctx, what + kCollectOnly);
  }
}

// ---- The race checker (enable_race_check).

void IssCard::enable_race_check(race::Detector& d) {
  if (race_) throw std::logic_error("IssCard::enable_race_check: called twice");
  if (d.threads() != ctx_.size())
    throw std::logic_error("race detector for " + std::to_string(d.threads()) + " threads, the image runs " +
                           std::to_string(ctx_.size()));
  race_ = &d;
  iss_->observe(mem_->dram().base, mem_->dram().bytes, this);
}

// A callback from Unicorn's memory hook: nothing may throw out of it.
void IssCard::access(unsigned ctx, const iss::IssAccess& a) {
  if (collecting_) return;  // the untimed statistics read after the run is no part of it
  try {
    if (a.atomic) {
      // An sc's compare-read and its store are one atomic instruction: one synchronisation.
      const bool sc_read = !a.write && (mem_->read32(a.pc) >> 26) == 0x38;
      if (!sc_read) race_->atomic(ctx, a.addr);
      return;
    }
    if (!a.write && ctx_[ctx].seq_read) {
      ++hinted_reads_;
      return;
    }
    race_->access(ctx, a.addr, a.size, a.write, a.pc, card_.threads_[ctx]->local_ps());
  } catch (const std::exception& e) {
    device_error(ctx, std::string("race checker: ") + e.what());
  }
}

std::string IssCard::data_symbol(uint64_t addr) const {
  if (addr > UINT32_MAX) return "";
  const auto a = static_cast<uint32_t>(addr);
  if (const iss::ElfSymbol* s = image_->object_at(a))
    return a == s->addr ? s->demangled : s->demangled + "+" + short_hex(a - s->addr);
  if (a >= iss::kStacksBase && a < iss::kStackTop)
    return "(stack of hardware thread " + std::to_string((iss::kStackTop - 1 - a) / iss::kStackBytes) + ")";
  const std::optional<iss::ElfSymbol> end = image_->find("_end");
  if (end && a >= end->addr && a < iss::kStacksBase) return "(heap)";
  return "";
}

std::string IssCard::code_location(uint64_t pc) const {
  const iss::ElfSymbol* f = pc <= UINT32_MAX ? image_->symbol_at(static_cast<uint32_t>(pc)) : nullptr;
  if (!f) return short_hex(pc);
  return f->demangled + "+" + short_hex(pc - f->addr);
}

}  // namespace dfc::model
