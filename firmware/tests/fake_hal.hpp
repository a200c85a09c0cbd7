// FakeHal: the dfc::Hal of the firmware unit tests. No SystemC.
//  * Bus: the classifier register window (CLS_*) is decoded by the real bus decode
//    (model/classifier/classifier_bus) onto the C++ reference classifier; any other address
//    is a sparse memory (`regs`): writes store, reads return the last value (0 if never
//    written).
//  * transmit() appends to `sent` and returns true (set `tx_full = true` to make it refuse).
//  * Time: now_ns() returns `now`; advance(dt) / advance_to(t) move it. Nothing is called
//    back: a test calls Firmware::on_timer() itself when timer_due().
//  * arm_timer() records the deadline in `timer_at` (UINT64_MAX when none).
//  * consume_cycles() sums into `cycles`.
//  * Cost follows work: work() counts per kind (`work_count`), mem_read/mem_write record
//    every access (`mem`), core_id() returns `core` (settable), and the hardware locks check
//    their use (acquiring a held lock or releasing a free one counts in `lock_errors`).
//  * Descriptor memory: load32/store32 over a sparse word map (`dmem`, 0 if never
//    written; `loads`/`stores` count the firmware's accesses), rx_frame() over `frames`
//    (buffer address -> the frame the DMA wrote there). FakeDma below plays the card's DMA
//    engines on the same maps.
//  * Classifier lookup contexts (card_map.hpp CLS_CTX_STRIDE) all map onto the one
//    reference classifier: the fake HAL has no concurrency, so one context suffices.
//  * Interleaving: the hooks on_mem (after a mem_read/mem_write is recorded), on_bus_write
//    (before a bus write is served), on_lock_acquire (before the lock is taken) and
//    on_transmit (before a transmit is served) run test code where another core could run on
//    the card, e.g. a control-plane modification between a reader's two HAL calls. Null:
//    nothing.
//  * race_hint() records the race checker's hints in order (`race_hints`), with
//    `in_seq_read` set inside a SeqReadBegin .. SeqReadEnd attempt (`race_hint_errors`
//    counts unbalanced ones).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "dfc/hal/hal.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/classifier_abi.hpp"
#include "classifier_bus.hpp"
#include "classifier_ref.hpp"

namespace dfc::test {

class FakeHal : public dfc::Hal {
 public:
  explicit FakeHal(uint32_t depth = 1024) : cls_(depth), bus_(cls_) {}

  // ---- dfc::Hal ----
  void bus_write(uint32_t addr, const uint32_t* words, size_t n) override {
    if (on_bus_write) on_bus_write(addr);
    ++bus_writes;
    addr = context0(addr);
    if (model::ClassifierBus::claims(addr)) {
      bus_.write(addr, words, n);
      return;
    }
    for (size_t i = 0; i < n; ++i) regs[addr + static_cast<uint32_t>(4 * i)] = words[i];
  }
  void bus_read(uint32_t addr, uint32_t* words, size_t n) override {
    ++bus_reads;
    addr = context0(addr);
    if (model::ClassifierBus::claims(addr)) {
      bus_.read(addr, words, n);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      auto it = regs.find(addr + static_cast<uint32_t>(4 * i));
      words[i] = it == regs.end() ? 0u : it->second;
    }
  }
  bool transmit(Packet&& p) override {
    if (on_transmit) on_transmit(p);
    if (tx_full) {
      ++tx_refused;
      return false;
    }
    sent.push_back(std::move(p));
    return true;
  }
  uint64_t now_ns() const override { return now; }
  uint64_t epoch_ms_at_reset() const override { return epoch_ms; }
  void arm_timer(uint64_t at_ns) override { timer_at = at_ns; }
  void consume_cycles(uint64_t c) override { cycles += c; }
  void work(Work kind, uint64_t n) override { work_count[static_cast<size_t>(kind)] += n; }
  void mem_read(uint64_t addr, uint32_t bytes) override {
    mem.push_back({addr, bytes, false});
    if (on_mem) on_mem(addr, false);
  }
  void mem_write(uint64_t addr, uint32_t bytes) override {
    mem.push_back({addr, bytes, true});
    if (on_mem) on_mem(addr, true);
  }
  unsigned core_id() const override { return core; }
  // No security engine: the firmware computes the MAC itself. The call is where it asks.
  bool hmac_sha1(const uint8_t* /*key*/, const uint8_t* /*data*/, size_t /*n*/, uint8_t* /*digest*/) override {
    if (on_hmac) on_hmac();
    return false;
  }
  void lock_acquire(unsigned lock) override {
    if (on_lock_acquire) on_lock_acquire(lock);
    if (lock >= cardmap::HW_LOCK_COUNT || held[lock]) ++lock_errors;
    else held[lock] = true;
    ++lock_acquires;
  }
  void lock_release(unsigned lock) override {
    if (lock >= cardmap::HW_LOCK_COUNT || !held[lock]) ++lock_errors;
    else held[lock] = false;
  }
  // Recorded in order; `in_seq_read` is true between a SeqReadBegin and its SeqReadEnd.
  void race_hint(RaceHint h) override {
    race_hints.push_back(h);
    if ((h == RaceHint::SeqReadBegin) == in_seq_read) ++race_hint_errors;  // unbalanced
    in_seq_read = h == RaceHint::SeqReadBegin;
  }
  uint32_t load32(uint64_t addr) override {
    check_aligned(addr);
    ++loads;
    auto it = dmem.find(addr);
    return it == dmem.end() ? 0u : it->second;
  }
  void store32(uint64_t addr, uint32_t v) override {
    check_aligned(addr);
    ++stores;
    dmem[addr] = v;
  }
  Packet* rx_frame(uint64_t buf_addr) override {
    auto it = frames.find(buf_addr);
    return it == frames.end() ? nullptr : &it->second;
  }
  uint32_t word(uint64_t addr) const {  // a test's look at memory, not counted as a load
    auto it = dmem.find(addr);
    return it == dmem.end() ? 0u : it->second;
  }
  uint64_t worked(Work kind) const { return work_count[static_cast<size_t>(kind)]; }
  bool any_lock_held() const {
    for (bool h : held)
      if (h) return true;
    return false;
  }
  struct MemAccess {
    uint64_t addr;
    uint32_t bytes;
    bool write;
  };

  // ---- test controls ----
  void advance_to(uint64_t ns) { now = ns; }
  void advance(uint64_t dt_ns) { now += dt_ns; }
  bool timer_due() const { return timer_at != kNoTimer && now >= timer_at; }
  void clear_timer() { timer_at = kNoTimer; }

  model::ClassifierRef& classifier() { return cls_; }
  model::ClassifierBus& classifier_bus() { return bus_; }

  static constexpr uint64_t kNoTimer = std::numeric_limits<uint64_t>::max();

  std::vector<Packet> sent;
  uint64_t now = 0;
  uint64_t epoch_ms = 1700000000000ull;  // 2023-11-14T22:13:20Z
  uint64_t timer_at = kNoTimer;
  uint64_t cycles = 0;
  bool tx_full = false;
  uint64_t tx_refused = 0;
  uint64_t bus_writes = 0, bus_reads = 0;
  std::unordered_map<uint32_t, uint32_t> regs;
  std::array<uint64_t, static_cast<size_t>(Work::kCount)> work_count{};
  std::vector<MemAccess> mem;
  unsigned core = 0;
  uint64_t lock_acquires = 0, lock_errors = 0;
  std::array<bool, cardmap::HW_LOCK_COUNT> held{};
  std::unordered_map<uint64_t, uint32_t> dmem;
  std::unordered_map<uint64_t, Packet> frames;
  uint64_t loads = 0, stores = 0;
  std::function<void(uint64_t addr, bool write)> on_mem;
  std::function<void(uint32_t addr)> on_bus_write;
  std::function<void(unsigned lock)> on_lock_acquire;
  std::function<void(const Packet&)> on_transmit;  // before the transmit is served
  std::function<void()> on_hmac;  // a MAC asked of the security engine (which the fake HAL lacks)
  std::vector<RaceHint> race_hints;
  bool in_seq_read = false;
  uint64_t race_hint_errors = 0;

 private:
  // An address in any core's classifier context -> the same offset in context 0.
  static uint32_t context0(uint32_t addr) {
    constexpr uint64_t lo = abi::CLS_BASE, span = uint64_t{cardmap::CLS_CONTEXTS} * cardmap::CLS_CTX_STRIDE;
    return addr >= lo && addr < lo + span ? static_cast<uint32_t>(lo + (addr - lo) % cardmap::CLS_CTX_STRIDE) : addr;
  }
  static void check_aligned(uint64_t addr) {
    if (addr % 4) throw std::logic_error("FakeHal: unaligned 32-bit access at " + std::to_string(addr));
  }
  model::ClassifierRef cls_;
  model::ClassifierBus bus_;
};

// The card's DMA engines as the driver's tests need them, on a FakeHal's memory. It follows
// the ring protocol of docs/firmware-driver.md from card_map.hpp alone (not the driver's
// helpers), so a driver that disagrees with the address map fails the tests:
//  * receive(): takes the next buffer from the context's free ring (up to the producer index
//    the driver published; its own consumer index), stores the frame, writes the descriptor
//    at its tail with RX_DESC_OWN last. Dropped (false, counted) when the tail slot is still
//    owned by software or no buffer is free.
//  * complete_tx(): hardware finishes the context's oldest transmit descriptors in order,
//    clearing TX_DESC_OWN.
class FakeDma {
 public:
  FakeDma(FakeHal& h, unsigned contexts, uint32_t rx_entries, uint32_t tx_entries)
      : h_(h), rx_entries_(rx_entries), tx_entries_(tx_entries), ctx_(contexts) {}

  bool receive(unsigned ctx, Packet p, bool control = false, uint32_t hash = 0) {
    Ctx& c = ctx_.at(ctx);
    const uint64_t desc = cardmap::RX_RING_BASE + ctx * cardmap::RING_STRIDE + c.rx_tail * cardmap::RX_DESC_BYTES;
    if (h_.word(desc + 4) & cardmap::RX_DESC_OWN) {
      ++dropped_ring_full;
      return false;
    }
    const uint64_t free = cardmap::FREE_RING_BASE + ctx * cardmap::RING_STRIDE;
    if (static_cast<uint32_t>(c.free_consumer) == h_.word(free)) {
      ++dropped_no_buffer;
      return false;
    }
    const uint32_t off = h_.word(free + cardmap::FREE_RING_ENTRIES_OFFSET + 4 * (c.free_consumer++ % cardmap::FREE_RING_SLOTS));
    const uint32_t len = static_cast<uint32_t>(p.data.size()) & cardmap::RX_DESC_LEN;
    p.buf_addr = cardmap::PKT_MEM_BASE + off;
    h_.frames[p.buf_addr] = std::move(p);
    h_.dmem[desc] = off;
    h_.dmem[desc + 8] = hash;
    h_.dmem[desc + 12] = 0;
    h_.dmem[desc + 4] = len | (control ? cardmap::RX_DESC_CONTROL : 0u) | cardmap::RX_DESC_OWN;
    last_buffer = off;
    c.rx_tail = (c.rx_tail + 1) % rx_entries_;
    return true;
  }
  size_t complete_tx(unsigned ctx, size_t n = SIZE_MAX) {
    Ctx& c = ctx_.at(ctx);
    size_t done = 0;
    for (; done < n; ++done) {
      const uint64_t w1 = cardmap::TX_RING_BASE + ctx * cardmap::RING_STRIDE + c.tx_head * cardmap::TX_DESC_BYTES + 4;
      if (!(h_.word(w1) & cardmap::TX_DESC_OWN)) break;
      h_.dmem[w1] = 0;
      c.tx_head = (c.tx_head + 1) % tx_entries_;
    }
    return done;
  }
  uint64_t dropped_ring_full = 0, dropped_no_buffer = 0;
  uint32_t last_buffer = 0;  // offset of the buffer the last received frame went to

 private:
  struct Ctx {
    uint64_t rx_tail = 0, free_consumer = 0, tx_head = 0;
  };
  FakeHal& h_;
  uint32_t rx_entries_, tx_entries_;
  std::vector<Ctx> ctx_;
};

}  // namespace dfc::test
