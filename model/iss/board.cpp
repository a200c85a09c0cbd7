#include "board.hpp"

#include <algorithm>
#include <cstring>
#include <exception>

#include "abi_io.hpp"
#include "classifier_bus.hpp"
#include "classifier_ref.hpp"
#include "dfc/fw/driver.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/classifier_abi.hpp"
#include "dfc/util/text.hpp"
#include "elf_image.hpp"
#include "iss_memory.hpp"

namespace dfc::iss {

// The three device ranges; every callback catches, because an exception must not cross
// Unicorn's C frames: a misuse is recorded and fails the run after the slice.
struct IssBoard::Devices : IssDevice {
  IssBoard& b;
  explicit Devices(IssBoard& board) : b(board) {}

  uint32_t read(unsigned ctx, uint32_t addr, unsigned size) override {
    try {
      if (size != 4) b.device_error(ctx, std::to_string(size) + "-byte read at " + hex(addr) + " (registers are words)");
      else if (addr >= cardmap::PLATFORM_BASE) return b.plat_read(ctx, addr - cardmap::PLATFORM_BASE);
      else if (addr >= cardmap::HW_SEM_BASE) return b.sem_read(ctx, addr);
      else return cls_read(ctx, addr);
    } catch (const std::exception& e) {
      b.device_error(ctx, "read at " + hex(addr) + ": " + e.what());
    }
    return 0;
  }
  void write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size) override {
    try {
      if (size != 4) b.device_error(ctx, std::to_string(size) + "-byte write at " + hex(addr) + " (registers are words)");
      else if (addr >= cardmap::PLATFORM_BASE) b.plat_write(ctx, addr - cardmap::PLATFORM_BASE, value);
      else if (addr >= cardmap::HW_SEM_BASE) b.sem_write(ctx, addr);
      else cls_bus(addr).write(cls_local(addr), &value, 1);
    } catch (const std::exception& e) {
      b.device_error(ctx, "write at " + hex(addr) + ": " + e.what());
    }
  }
  // Context window ci of the classifier: its own register state over the shared table.
  model::ClassifierBus& cls_bus(uint32_t addr) { return *b.buses_.at((addr - abi::CLS_BASE) / cardmap::CLS_CTX_STRIDE); }
  static uint32_t cls_local(uint32_t addr) { return abi::CLS_BASE + (addr - abi::CLS_BASE) % cardmap::CLS_CTX_STRIDE; }
  uint32_t cls_read(unsigned, uint32_t addr) {
    uint32_t v = 0;
    cls_bus(addr).read(cls_local(addr), &v, 1);
    return v;
  }
};

IssBoard::IssBoard(BoardOptions opt) : opt_(std::move(opt)) {
  n_ = opt_.firmware.driver.contexts;
  if (!opt_.firmware.driver.enabled || n_ == 0 || n_ > kMaxContexts)
    throw std::invalid_argument("IssBoard: firmware.driver must be enabled with 1.." + std::to_string(kMaxContexts) +
                                " contexts (the image receives only through its rings); use a profile's firmware_options()");
  image_ = std::make_unique<ElfImage>(ElfImage::load(opt_.elf_path, cardmap::ISS_DRAM_WINDOW, cardmap::ISS_WINDOW_BYTES));
  mem_ = std::make_unique<IssMemory>();
  mem_->load(*image_);
  iss_ = std::make_unique<MipsIss>(*image_, *mem_, n_);
  dev_ = std::make_unique<Devices>(*this);
  cls_ = std::make_unique<model::ClassifierRef>(opt_.classifier_depth);
  for (unsigned i = 0; i < cardmap::CLS_CONTEXTS; ++i) buses_.push_back(std::make_unique<model::ClassifierBus>(*cls_));
  iss_->map_device(abi::CLS_BASE, cardmap::CLS_CONTEXTS * cardmap::CLS_CTX_STRIDE, dev_.get());
  iss_->map_device(cardmap::HW_SEM_BASE, 4096, dev_.get());
  iss_->map_device(cardmap::PLATFORM_BASE, cardmap::PLATFORM_BYTES, dev_.get());
  now_ns_ = opt_.start_ns;
  timer_lo_.assign(n_, 0);
  now_hi_.assign(n_, 0);
  status_.assign(n_, 0);
  events_.assign(n_, 0);
  waiting_.assign(n_, 0);
  rings_.assign(n_, Ring{});
  sem_holder_.assign(cardmap::HW_LOCK_COUNT, -1);
  write_boot_block();
}

IssBoard::~IssBoard() = default;

void IssBoard::write_boot_block() {
  try {
    boot_block_addr_ = iss::write_boot_block(*mem_, opt_.firmware, opt_.config_text, opt_.restart_reason);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("IssBoard: ") + e.what());
  }
}

// ---- Platform registers.

uint32_t IssBoard::plat_read(unsigned ctx, uint32_t reg) {
  switch (reg) {
    case cardmap::PLAT_CTX: return ctx;
    case cardmap::PLAT_CONTEXTS: return n_;
    case cardmap::PLAT_NOW_LO: now_hi_[ctx] = hi(now_ns_); return lo(now_ns_);  // latches the high word
    case cardmap::PLAT_NOW_HI: return now_hi_[ctx];
    case cardmap::PLAT_EPOCH_LO: return lo(opt_.epoch_ms);
    case cardmap::PLAT_EPOCH_HI: return hi(opt_.epoch_ms);
    case cardmap::PLAT_BOOT_BLOCK: return boot_block_addr_;
    case cardmap::PLAT_STATUS: return status_[ctx];
    case cardmap::PLAT_EVENTS: {
      check_timer();
      const uint32_t ev = events_[ctx];
      events_[ctx] = 0;  // reading clears them
      return ev;
    }
    default: device_error(ctx, "read of platform register " + hex(reg) + " (not readable)"); return 0;
  }
}

void IssBoard::plat_write(unsigned ctx, uint32_t reg, uint32_t v) {
  switch (reg) {
    case cardmap::PLAT_TIMER_LO: timer_lo_[ctx] = v; return;
    case cardmap::PLAT_TIMER_HI:  // arms (replaces) the card's one timer
      deadline_ns_ = join(timer_lo_[ctx], v);
      check_timer();
      return;
    case cardmap::PLAT_WAIT:
      // An event raised since the context's last PLAT_EVENTS read is not lost: it does not sleep.
      if (events_[ctx] == 0) waiting_[ctx] = 1;
      iss_->yield();
      return;
    case cardmap::PLAT_CONSOLE: console_.push_back(static_cast<char>(v & 0xff)); return;
    case cardmap::PLAT_WORK: return;  // a work declaration (per-path counts): the board keeps none
    case cardmap::PLAT_RACE_HINT: return;  // for the card's race checker: the board has none
    case cardmap::PLAT_HALT: iss_->halt(v); return;
    case cardmap::PLAT_DOORBELL: doorbell(ctx, v); return;
    default: device_error(ctx, "write of platform register " + hex(reg) + " (not writable)");
  }
}

void IssBoard::raise(unsigned ctx, uint32_t event) {
  events_[ctx] |= event;
  waiting_[ctx] = 0;
}

void IssBoard::check_timer() {
  if (deadline_ns_ == UINT64_MAX || now_ns_ < deadline_ns_) return;
  deadline_ns_ = UINT64_MAX;  // one-shot
  ++timer_events_;
  raise(0, kEventTimer);  // the control context runs the timers (hw_thread.cpp)
}

void IssBoard::set_time_ns(uint64_t ns) {
  if (ns < now_ns_) throw std::invalid_argument("IssBoard::set_time_ns: the clock does not go back");
  now_ns_ = ns;
  check_timer();
}

void IssBoard::raise_restart() { raise(0, kEventRestart); }

// ---- Hardware semaphores: try-locks (docs/iss.md).

uint32_t IssBoard::sem_read(unsigned ctx, uint32_t addr) {
  const uint32_t lock = (addr - cardmap::HW_SEM_BASE) / 4;
  if (lock >= cardmap::HW_LOCK_COUNT || addr % 4) {
    device_error(ctx, "semaphore register " + hex(addr) + " beyond HW_LOCK_COUNT");
    return 0;
  }
  int& h = sem_holder_[lock];
  if (h < 0 || h == static_cast<int>(ctx)) {
    h = static_cast<int>(ctx);
    return 1;
  }
  ++sem_busy_;
  iss_->yield();  // the holder runs before this context tries again
  return 0;
}

void IssBoard::sem_write(unsigned ctx, uint32_t addr) {
  const uint32_t lock = (addr - cardmap::HW_SEM_BASE) / 4;
  if (lock >= cardmap::HW_LOCK_COUNT || addr % 4) {
    device_error(ctx, "semaphore register " + hex(addr) + " beyond HW_LOCK_COUNT");
    return;
  }
  if (sem_holder_[lock] != static_cast<int>(ctx)) {
    device_error(ctx, "releases semaphore " + std::to_string(lock) + ", held by " +
                          (sem_holder_[lock] < 0 ? std::string("nobody") : "context " + std::to_string(sem_holder_[lock])));
    return;
  }
  sem_holder_[lock] = -1;
}

// ---- Doorbell and egress.

Packet IssBoard::tx_packet(const TxRecord& r) const { return iss::tx_packet(*mem_, r); }

void IssBoard::doorbell(unsigned ctx, uint32_t record_addr) {
  const TxRecord r = read_tx_record(*mem_, record_addr);
  Sent s;
  s.ctx = ctx;
  s.packet = tx_packet(r);
  if (r.flags & kTxDropped) {
    s.dropped = true;
    s.reason = tx_reason(*mem_, r);
    sent_.push_back(std::move(s));
    return;
  }
  status_[ctx] = accept_tx ? 1 : 0;
  if (!accept_tx) {
    s.dropped = true;
    s.reason = "refused by the board";
  } else if (r.buf_addr >= image_address(cardmap::TX_BUF_BASE)) {
    // The egress DMA has taken the copy: its descriptor goes back to the driver
    // (model/card/egress_dma.cpp clears the word at its departure; untimed here).
    const uint32_t entries = opt_.firmware.driver.tx_ring_entries;
    const uint64_t i = (s.packet.buf_addr - cardmap::TX_BUF_BASE) / cardmap::TX_BUF_BYTES;
    const uint64_t desc = fw::ring::tx_desc(static_cast<unsigned>(i / entries), static_cast<uint32_t>(i % entries));
    mem_->write32(image_address(desc + 4), 0);
  }
  sent_.push_back(std::move(s));
}

std::vector<IssBoard::Sent> IssBoard::take_sent() {
  std::vector<Sent> out;
  out.swap(sent_);
  return out;
}

// ---- Ingress DMA (model/card/ingress_dma.cpp admit_to_ring, ISS layout).

IssBoard::Delivery IssBoard::deliver(unsigned ctx, const Packet& p, uint32_t hash) {
  if (ctx >= n_) throw std::out_of_range("IssBoard::deliver: context " + std::to_string(ctx) + " of " + std::to_string(n_));
  if (p.data.size() > cardmap::PKT_BUF_BYTES - kRxFrameOffset)
    throw std::invalid_argument("IssBoard::deliver: a " + std::to_string(p.data.size()) + "-byte frame exceeds the " +
                                std::to_string(cardmap::PKT_BUF_BYTES - kRxFrameOffset) +
                                " bytes a receive buffer holds after the receive metadata");
  Ring& rg = rings_[ctx];
  const fw::DriverOptions& d = opt_.firmware.driver;
  const uint32_t desc = image_address(fw::ring::rx_desc(ctx, static_cast<uint32_t>(rg.rx_tail % d.rx_ring_entries)));
  if (mem_->read32(desc + 4) & cardmap::RX_DESC_OWN) return Delivery::RingFull;
  if (lo(rg.free_consumer) == mem_->read32(image_address(fw::ring::free_producer(ctx)))) return Delivery::NoBuffer;
  const uint32_t offset = mem_->read32(image_address(fw::ring::free_entry(ctx, rg.free_consumer++)));
  const uint32_t buf = image_address(cardmap::PKT_MEM_BASE + offset);
  write_rx_frame(*mem_, buf, p);
  const uint32_t len = static_cast<uint32_t>(p.data.size()) & cardmap::RX_DESC_LEN;
  mem_->write32(desc, offset);
  mem_->write32(desc + 8, hash);
  mem_->write32(desc + 12, 0);
  // Ownership word last.
  mem_->write32(desc + 4, len | cardmap::RX_DESC_OWN | (p.unit == Unit::Control ? cardmap::RX_DESC_CONTROL : 0u));
  ++rg.rx_tail;
  waiting_[ctx] = 0;
  return Delivery::Delivered;
}

// ---- Running.

void IssBoard::device_error(unsigned ctx, const std::string& what) {
  errors_ += "context " + std::to_string(ctx) + ": " + what + "\n";
  iss_->halt(kHaltFatal);
}

void IssBoard::fail(const std::string& what) const {
  std::string m = "IssBoard: " + what;
  if (!console_.empty()) m += "\nconsole:\n" + console_;
  throw BoardError(m);
}

// One slice of ctx; false when the context can no longer run (halted with code 0).
bool IssBoard::run_slice(unsigned ctx, uint64_t& retired) {
  const MipsIss::Slice s = iss_->run(ctx, opt_.slice);
  retired += s.instructions;
  if (!errors_.empty()) fail("device misuse:\n" + errors_);
  if (s.stop == MipsIss::Slice::Stop::Fault) fail("context " + std::to_string(ctx) + " faulted: " + s.fault);
  if (s.stop == MipsIss::Slice::Stop::Halt || iss_->halted(ctx)) {
    if (iss_->halt_code(ctx) != kHaltDone)
      fail("context " + std::to_string(ctx) + " halted with code " + std::to_string(iss_->halt_code(ctx)));
    return false;
  }
  return true;
}

void IssBoard::boot() {
  for (unsigned c = 1; c < n_; ++c) waiting_[c] = 1;  // held back: they would spin on "ready"
  uint64_t retired = 0;
  while (!waiting_[0]) {
    if (!run_slice(0, retired)) fail("context 0 halted during boot");
    if (retired > opt_.max_instructions)
      fail("context 0 did not finish booting within " + std::to_string(opt_.max_instructions) + " instructions");
  }
  for (unsigned c = 1; c < n_; ++c) waiting_[c] = 0;
  run_until_idle();
}

uint64_t IssBoard::run_until_idle() {
  uint64_t retired = 0;
  for (;;) {
    check_timer();
    bool ran = false;
    for (unsigned k = 0; k < n_; ++k) {
      const unsigned ctx = (rr_ + k) % n_;
      if (waiting_[ctx] || iss_->halted(ctx)) continue;
      ran = true;
      run_slice(ctx, retired);
    }
    rr_ = (rr_ + 1) % n_;
    if (!ran) return retired;
    if (retired > opt_.max_instructions) {
      std::string where;
      for (unsigned c = 0; c < n_; ++c)
        if (!waiting_[c]) {
          const ElfSymbol* f = image_->symbol_at(iss_->pc(c));
          where += " context " + std::to_string(c) + " at " + hex(iss_->pc(c)) + (f ? " (" + f->demangled + ")" : "");
        }
      fail("no idle within " + std::to_string(opt_.max_instructions) + " instructions (a livelock?); still running:" + where);
    }
  }
}

const MipsIss::Counters& IssBoard::counters(unsigned ctx) const { return iss_->counters(ctx); }

MipsIss::Counters IssBoard::totals() const {
  MipsIss::Counters t;
  for (unsigned c = 0; c < n_; ++c) {
    const auto& k = iss_->counters(c);
    t.instructions += k.instructions, t.loads += k.loads, t.stores += k.stores;
  }
  return t;
}

IssBoard::Mark IssBoard::mark() const {
  Mark m;
  for (unsigned c = 0; c < n_; ++c) m.at.push_back(iss_->counters(c));
  return m;
}

MipsIss::Counters IssBoard::since(const Mark& m, unsigned ctx) const {
  const auto& now = iss_->counters(ctx);
  const auto& then = m.at.at(ctx);
  MipsIss::Counters d;
  d.instructions = now.instructions - then.instructions;
  d.loads = now.loads - then.loads;
  d.stores = now.stores - then.stores;
  return d;
}

MipsIss::Counters IssBoard::since(const Mark& m) const {
  MipsIss::Counters t;
  for (unsigned c = 0; c < n_; ++c) {
    const auto d = since(m, c);
    t.instructions += d.instructions, t.loads += d.loads, t.stores += d.stores;
  }
  return t;
}

}  // namespace dfc::iss
