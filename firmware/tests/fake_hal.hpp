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
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

#include "dfc/hal/hal.hpp"
#include "dfc/hal/classifier_abi.hpp"
#include "classifier_bus.hpp"
#include "classifier_ref.hpp"

namespace dfc::test {

class FakeHal : public dfc::Hal {
 public:
  explicit FakeHal(uint32_t depth = 1024) : cls_(depth), bus_(cls_) {}

  // ---- dfc::Hal ----
  void bus_write(uint32_t addr, const uint32_t* words, size_t n) override {
    ++bus_writes;
    if (model::ClassifierBus::claims(addr)) {
      bus_.write(addr, words, n);
      return;
    }
    for (size_t i = 0; i < n; ++i) regs[addr + static_cast<uint32_t>(4 * i)] = words[i];
  }
  void bus_read(uint32_t addr, uint32_t* words, size_t n) override {
    ++bus_reads;
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

 private:
  model::ClassifierRef cls_;
  model::ClassifierBus bus_;
};

}  // namespace dfc::test
