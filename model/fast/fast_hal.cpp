// The fast card's HAL (what the firmware calls) and the pricing of each call on the current
// hardware thread's clock: no transaction is simulated; each access pays the latency of the
// blocks it crosses plus their analytic waiting time (fast_queue.hpp), from the profile.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "dfc/hal/card_map.hpp"
#include "fast_card.hpp"

namespace dfc::fast {

namespace {
constexpr uint64_t kRingWords = (cardmap::TX_BUF_BASE - cardmap::RX_RING_BASE) / 4;
constexpr uint64_t kBurstBytes = 4096;  // a streaming read's missing lines travel as bursts of a DRAM page
// Core accesses larger than this (streaming bursts) book the interconnect and DRAM exactly
// (AnalyticQueue::reserve); packet-memory pieces (256 bytes, uncached) stay analytic.
constexpr uint32_t kLine = 256;

uint64_t ps_of_ns(double ns) { return static_cast<uint64_t>(std::llround(ns * 1000.0)); }

// Whether a write of n words at addr writes the key's last word (which starts a lookup).
bool starts_lookup(uint32_t addr, size_t n) {
  const uint32_t last = abi::CLS_KEY + 4 * (abi::KEY_IN_WORDS - 1);
  return addr <= last && addr + 4 * n > last;
}

[[noreturn]] void bus_error(uint64_t addr) {
  char b[24];
  std::snprintf(b, sizeof b, "%010llx", static_cast<unsigned long long>(addr));
  throw std::runtime_error(std::string("fast card: no device at address 0x") + b);
}
}  // namespace

class FastCard::FastHal : public Hal {
 public:
  explicit FastHal(FastCard& c) : c_(c) {}
  uint32_t load32(uint64_t addr) override { return c_.load32(addr); }
  void store32(uint64_t addr, uint32_t v) override { c_.store32(addr, v); }
  void bus_write(uint32_t addr, const uint32_t* w, size_t n) override { c_.reg(addr, const_cast<uint32_t*>(w), n, true); }
  void bus_read(uint32_t addr, uint32_t* w, size_t n) override { c_.reg(addr, w, n, false); }
  bool transmit(Packet&& p) override { return c_.transmit(std::move(p)); }
  uint64_t now_ns() const override { return c_.cur_->clock / 1000; }
  uint64_t epoch_ms_at_reset() const override { return 1767225600000ull; }  // as the timing card
  void arm_timer(uint64_t at_ns) override { c_.timer_at_ps_ = at_ns >= UINT64_MAX / 1000 ? UINT64_MAX : at_ns * 1000; }
  void consume_cycles(uint64_t cycles) override { c_.cycles(double(cycles)); }
  void work(Work kind, uint64_t n) override { c_.cycles(c_.prof_.work(kind) * double(n)); }
  void mem_read(uint64_t addr, uint32_t bytes) override { c_.mem(addr, bytes, false); }
  void mem_write(uint64_t addr, uint32_t bytes) override { c_.mem(addr, bytes, true); }
  unsigned core_id() const override { return c_.cur_->ctx; }
  Packet* rx_frame(uint64_t buf_addr) override { return c_.rx_frame(buf_addr); }
  void copy_dropped(const Packet& copy, const char* reason) override {
    if (c_.on_copy_drop_) c_.on_copy_drop_(copy, reason);
  }
  void lock_acquire(unsigned lock) override { c_.lock_acquire(lock); }
  void lock_release(unsigned lock) override { c_.lock_release(lock); }
  bool hmac_sha1(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) override {
    return c_.hmac(key, data, n, digest);
  }

 private:
  FastCard& c_;
};

FastCard::FastCard(const model::CardProfile& prof, std::unique_ptr<model::ClassifierDevice> dev,
                   FirmwareFactory make_fw, model::IngressSource& src, Sink on_copy, Sink on_control, uint64_t drain_ps)
    : prof_(prof), dev_(std::move(dev)), src_(src), on_copy_(std::move(on_copy)), on_control_(std::move(on_control)),
      drain_ps_(drain_ps), dist_(make_distribution()),
      l2_(static_cast<uint64_t>(prof_.l2_bytes), static_cast<unsigned>(prof_.l1_line), static_cast<unsigned>(prof_.l2_ways)),
      ic_data_(ps_of_ns(prof_.quantum_ns)), ic_msg_(ps_of_ns(prof_.quantum_ns)), sram_(ps_of_ns(prof_.quantum_ns)),
      dram_(ps_of_ns(prof_.quantum_ns)), cls_q_(ps_of_ns(prof_.quantum_ns)), cycle_ps_(1e12 / prof_.core_hz),
      ic_cycle_ps_(1e12 / prof_.ic_hz), sram_ps_per_byte_(8e3 / prof_.sram_gbps), dram_ps_per_byte_(8e3 / prof_.dram_gbps),
      sram_lat_(ps_of_ns(prof_.sram_latency_ns)), dram_lat_(ps_of_ns(prof_.dram_latency_ns)),
      l2_hit_(ps_of_ns(prof_.l2_hit_ns)) {
  const double cls_cyc = 1e12 / prof_.classifier_hz;
  cls_cycle_ps_ = static_cast<uint64_t>(cls_cyc + 0.5);
  cls_issue_ps_ = static_cast<uint64_t>(cls_cyc * prof_.classifier_issue_cycles + 0.5);
  cls_reg_ps_ = static_cast<uint64_t>(cls_cyc * prof_.classifier_reg_cycles + 0.5);
  sec_block_ps_ = static_cast<uint64_t>(1e12 / prof_.security_hz * prof_.security_cycles_per_block + 0.5);
  build_threads();
  locks_.resize(cardmap::HW_LOCK_COUNT);
  for (unsigned i = 0; i < cardmap::CLS_CONTEXTS; ++i) cls_.push_back(std::make_unique<model::ClassifierBus>(*dev_));
  cls_ready_.assign(cardmap::CLS_CONTEXTS, 0);
  // calloc: the pages of the rings the run never touches are never resident.
  words_ = static_cast<uint32_t*>(std::calloc(kRingWords, sizeof(uint32_t)));
  if (!words_) throw std::bad_alloc();
  cur_ = &threads_.front();
  hal_ = std::make_unique<FastHal>(*this);
  fw_ = make_fw(*hal_);  // the card's boot: before time 0, costs nothing (booting_)
  booting_ = false;
  const fw::DriverOptions* d = fw_->driver_options();
  if (!d || !d->enabled)
    throw std::logic_error("fast card: the firmware does not drive the receive rings; the fast model runs the "
                           "card's firmware with its driver only (use --mode timing)");
  if (d->contexts != threads_.size())
    throw std::logic_error("the firmware's driver has " + std::to_string(d->contexts) + " contexts, the card " +
                           std::to_string(threads_.size()) + " hardware threads");
  dopt_ = *d;
}

FastCard::~FastCard() { std::free(words_); }

uint32_t& FastCard::word(uint64_t addr) {
  if (addr < cardmap::RX_RING_BASE || addr >= cardmap::TX_BUF_BASE) bus_error(addr);
  return words_[(addr - cardmap::RX_RING_BASE) / 4];
}

void FastCard::stall(uint64_t from, uint64_t to, int kind) {
  if (to <= from) return;
  cur_->clock = to;
  (kind == kClassifier ? cur_->st.classifier_ps : kind == kLock ? cur_->st.lock_ps : cur_->st.memory_ps) += to - from;
}

void FastCard::cycles(double n) {
  if (booting_) return;
  Thread& th = *cur_;
  th.frac_ps += n * cycle_ps_;
  const double whole = std::floor(th.frac_ps);
  th.frac_ps -= whole;
  if (whole <= 0) return;
  // The instructions take issue slots on the core's pipeline, shared with its sibling threads
  // (the same booking as the timing card's Core::issue).
  Core& core = cores_[th.core];
  const auto svc = static_cast<uint64_t>(whole);
  core.issue_busy_ps += svc;
  const uint64_t end = core.shared ? core.pipe.book(th.clock, svc, floor_ps_) + svc : th.clock + svc;
  th.st.compute_ps += end - th.clock;
  th.clock = end;
}

uint64_t FastCard::interconnect(uint64_t addr, uint32_t bytes, uint64_t t, int initiator) {
  if (initiator >= 0) ++stats_.bus_transactions;  // the cores' transactions, as the timing card counts them
  // The descriptor rings travel on the message ring, except a thread's own core's receive and
  // transmit-completion rings (its message station: no ring crossing); the rest on the data
  // ring (Interconnect::path_of).
  const bool rings = addr >= cardmap::RX_RING_BASE && addr < cardmap::TX_BUF_BASE;
  if (rings && initiator >= 0) {
    const bool rx = addr < cardmap::FREE_RING_BASE, tx = addr >= cardmap::TX_RING_BASE;
    if (rx || tx) {
      const uint64_t ring_ctx = (addr - (rx ? cardmap::RX_RING_BASE : cardmap::TX_RING_BASE)) / cardmap::RING_STRIDE;
      const unsigned tpc = std::max(1u, prof_.threads_per_core);
      if (ring_ctx / tpc == static_cast<uint64_t>(initiator) / tpc) return t;
    }
  }
  const uint64_t svc = ic_svc(bytes);
  AnalyticQueue& q = rings ? ic_msg_ : ic_data_;
  if (initiator < 0 || bytes > kLine) return q.reserve(t, svc, initiator < 0) + svc;
  return t + q.request(t, svc) + svc;
}

uint64_t FastCard::ic_svc(uint32_t bytes) const {
  // Arbitration and address phase, then the data beats (Interconnect::b_transport).
  const double bpc = std::max(1.0, prof_.ic_bytes_per_cycle);
  return static_cast<uint64_t>((prof_.ic_cycles_per_access + std::ceil(double(bytes) / bpc)) * ic_cycle_ps_);
}

uint64_t FastCard::access(uint64_t addr, uint32_t bytes, bool write, uint64_t t, int initiator) {
  t = interconnect(addr, bytes, t, initiator);
  if (addr >= cardmap::DRAM_BASE) {
    // Through the shared L2: only the missing lines go to DRAM (MemorySubsystem::b_transport).
    const uint64_t line = l2_.line();
    uint64_t miss = 0;
    for (uint64_t a = addr; a < addr + bytes; a += line) {
      const model::Cache::Result r = l2_.access(a, write);
      if (r.writeback) dram_.occupy(t, static_cast<uint64_t>(double(line) * dram_ps_per_byte_));
      if (!r.hit) miss += std::min<uint64_t>(line, addr + bytes - a);
    }
    const auto svc = static_cast<uint64_t>(double(miss) * dram_ps_per_byte_);
    if (write) {
      if (miss) dram_.occupy(t, svc);
      return t;
    }
    if (miss == 0) return t + l2_hit_;
    if (bytes > kLine) return dram_.reserve(t + l2_hit_, svc, false) + dram_lat_ + svc;  // a streaming burst
    return t + l2_hit_ + dram_.request(t + l2_hit_, svc) + dram_lat_ + svc;
  }
  if (addr < cardmap::PKT_MEM_BASE) bus_error(addr);
  // Packet memory: uncached SRAM; writes are posted (occupancy only).
  const auto svc = static_cast<uint64_t>(double(bytes) * sram_ps_per_byte_);
  if (initiator < 0) {  // a DMA engine
    const uint64_t start = sram_.reserve(t, svc, true);
    return write ? t : start + sram_lat_ + svc;
  }
  if (write) {
    sram_.occupy(t, svc);
    return t;
  }
  return t + sram_.request(t, svc) + sram_lat_ + svc;
}

void FastCard::mem(uint64_t addr, uint32_t bytes, bool write) {
  if (bytes == 0 || booting_) return;
  Thread& th = *cur_;
  const int ini = static_cast<int>(th.ctx);
  if (addr < cardmap::DRAM_BASE) {
    for (uint32_t done = 0; done < bytes;) {  // uncached, in pieces of 256 bytes
      const uint32_t n = std::min<uint32_t>(bytes - done, 256);
      stall(th.clock, access(addr + done, n, write, th.clock, ini), kMemory);
      done += n;
    }
    return;
  }
  // DRAM through the L1 (HwThread::mem): a hit costs l1_hit_cycles; a miss fills the line from
  // the L2 or DRAM (the thread stalls); a dirty victim is written back (posted). A read of
  // several lines is a stream: its missing lines travel as bursts of up to a DRAM page.
  model::Cache& l1 = cores_[th.core].l1;
  const uint64_t line = l1.line();
  const uint64_t first = addr & ~(line - 1), end = addr + bytes;
  const bool stream = !write && end - first > line;
  uint64_t run_at = 0;
  uint32_t run = 0;
  auto flush = [&] {
    if (run) stall(th.clock, access(run_at, run, false, th.clock, ini), kMemory);
    run = 0;
  };
  for (uint64_t a = first; a < end; a += line) {
    const model::Cache::Result r = l1.access(a, write);
    cycles(prof_.l1_hit_cycles);
    if (r.hit) {
      flush();
      continue;
    }
    if (r.writeback) access(r.victim, static_cast<uint32_t>(line), true, th.clock, ini);
    if (!stream) {
      stall(th.clock, access(a, static_cast<uint32_t>(line), false, th.clock, ini), kMemory);
      continue;
    }
    if (run == 0) run_at = a;
    run += static_cast<uint32_t>(line);
    if (run + line > kBurstBytes) flush();
  }
  flush();
}

// Only the descriptor rings carry values (as in the timing card): other words read as 0.
static bool in_rings(uint64_t addr) { return addr >= cardmap::RX_RING_BASE && addr < cardmap::TX_BUF_BASE; }

uint32_t FastCard::load32(uint64_t addr) {
  if (!booting_) {
    apply_writes(cur_->clock);  // completions due by this thread's time
    stall(cur_->clock, access(addr, 4, false, cur_->clock, static_cast<int>(cur_->ctx)), kMemory);
  }
  return in_rings(addr) ? word(addr) : 0;
}

void FastCard::store32(uint64_t addr, uint32_t v) {
  if (!booting_) stall(cur_->clock, access(addr, 4, true, cur_->clock, static_cast<int>(cur_->ctx)), kMemory);
  if (in_rings(addr)) word(addr) = v;
}

void FastCard::reg(uint32_t addr, uint32_t* words, size_t n, bool write) {
  const uint64_t span = uint64_t{cardmap::CLS_CONTEXTS} * cardmap::CLS_CTX_STRIDE;
  if (addr >= abi::CLS_BASE && addr - abi::CLS_BASE < span) {
    classifier_reg(addr, words, n, write);
    return;
  }
  if (addr < cardmap::HW_SEM_BASE || addr >= cardmap::HW_SEM_BASE + 4 * cardmap::HW_LOCK_COUNT) bus_error(addr);
  if (!booting_) stall(cur_->clock, interconnect(addr, static_cast<uint32_t>(4 * n), cur_->clock, 0), kLock);
  if (!write)
    for (size_t i = 0; i < n; ++i) words[i] = 0;
}

void FastCard::classifier_reg(uint32_t addr, uint32_t* words, size_t n, bool write) {
  const size_t ci = (addr - abi::CLS_BASE) / cardmap::CLS_CTX_STRIDE;
  const auto a = static_cast<uint32_t>(addr - ci * cardmap::CLS_CTX_STRIDE);
  if (!model::ClassifierBus::claims(a)) bus_error(addr);
  model::ClassifierBus& bus = *cls_[ci];
  const uint64_t t0 = cur_->clock;
  uint64_t t = booting_ ? 0 : interconnect(addr, static_cast<uint32_t>(4 * n), t0, static_cast<int>(cur_->ctx)) + cls_reg_ps_;
  if (write) {
    const uint64_t before = bus.lookups(), writes_before = bus.entry_writes();
    const bool lookup = starts_lookup(a, n);
    // Pipelined: a new lookup may enter every issue_cycles (an analytic queue on that slot).
    const uint64_t start = lookup && !booting_ ? t + cls_q_.request(t, cls_issue_ps_) : t;
    cls_time_ = std::max(cls_time_, start);  // the device's clock never goes back
    dev_->at_time(cls_time_);
    bus.write(a, words, n);
    if (bus.lookups() != before) {
      cls_ready_[ci] = start + cls_cycle_ps_ * bus.last_result().cycles;
      ++stats_.classifier_lookups;
    } else if (bus.entry_writes() != writes_before && !booting_) {
      t += cls_q_.request(t, cls_cycle_ps_) + cls_cycle_ps_;  // an entry write takes the table for a clock
    }
  } else {
    if (a >= abi::CLS_RESULT) t = std::max(t, cls_ready_[ci]);
    bus.read(a, words, n);
  }
  if (!booting_) stall(t0, t, kClassifier);
}

void FastCard::lock_acquire(unsigned lock) {
  if (lock >= locks_.size()) throw std::runtime_error("lock_acquire: no hardware semaphore " + std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.holder == static_cast<int>(cur_->ctx))
    throw std::runtime_error("lock_acquire: hardware thread " + std::to_string(cur_->ctx) + " already holds semaphore " +
                             std::to_string(lock));
  uint32_t v = 0;
  reg(static_cast<uint32_t>(cardmap::HW_SEM_BASE + 4 * lock), &v, 1, false);
  // Handlers run to completion, so no other thread holds it now; one that held it over an
  // interval covering this thread's time (it ran ahead) makes this one wait for its release.
  const uint64_t t = cur_->clock;
  uint64_t at = t;
  if (!booting_ && l.st.acquisitions > 0 && t >= l.last_start && t < l.free_at) at = l.free_at;
  ++l.st.acquisitions;
  if (at > t) ++l.st.contended, ++stats_.lock_contended, l.st.wait_ps += at - t;
  stall(t, at, kLock);
  l.holder = static_cast<int>(cur_->ctx);
  l.since = cur_->clock;
}

void FastCard::lock_release(unsigned lock) {
  if (lock >= locks_.size() || locks_[lock].holder != static_cast<int>(cur_->ctx))
    throw std::runtime_error("lock_release: hardware thread " + std::to_string(cur_->ctx) +
                             " does not hold semaphore " + std::to_string(lock));
  uint32_t v = 0;
  reg(static_cast<uint32_t>(cardmap::HW_SEM_BASE + 4 * lock), &v, 1, true);
  Lock& l = locks_[lock];
  l.holder = -1;
  l.last_start = l.since;
  l.free_at = cur_->clock;
}

Packet* FastCard::rx_frame(uint64_t buf_addr) {
  if (buf_addr < cardmap::PKT_MEM_BASE) return nullptr;
  const uint64_t slot = (buf_addr - cardmap::PKT_MEM_BASE) / cardmap::PKT_BUF_BYTES;
  if (slot >= held_.size() || !held_[slot] || cardmap::PKT_MEM_BASE + slot * cardmap::PKT_BUF_BYTES != buf_addr) return nullptr;
  Thread& th = *cur_;
  th.frame = std::move(frames_[slot]);
  held_[slot] = 0;
  if (!th.desc_times.empty()) th.desc_times.pop_front();
  --in_use_;
  th.have_frame = true;
  ++(th.frame.unit == Unit::Control ? stats_.control_packets : stats_.monitor_packets);
  return &th.frame;
}

}  // namespace dfc::fast
