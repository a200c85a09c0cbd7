// The one bus-only HAL of the classifier block: a Hal whose bus is the classifier's register
// decode (ClassifierBus) and nothing else. For tests, the benchmark and the classbench tool,
// which drive the firmware's ClassifierDriver without a card. Addresses outside the
// classifier's span throw (the driver must not touch anything else). `probe`, when set, runs
// after every write word that commits something (entry control word, group enable, range-unit
// hi), so a test can look up keys between any two commits.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>

#include "classifier_bus.hpp"
#include "dfc/hal/hal.hpp"

namespace dfc::model {

class ClassifierBusHal final : public Hal {
 public:
  explicit ClassifierBusHal(ClassifierDevice& d) : bus(d) {}
  void bus_write(uint32_t a, const uint32_t* w, size_t n) override {
    if (!probe) {
      check(a, n);
      bus.write(a, w, n);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint32_t addr = a + static_cast<uint32_t>(4 * i);
      check(addr, 1);
      bus.write(addr, &w[i], 1);
      if (commits(addr)) probe();
    }
  }
  void bus_read(uint32_t a, uint32_t* w, size_t n) override {
    check(a, n);
    bus.read(a, w, n);
  }
  bool transmit(Packet&&) override { return false; }
  uint64_t now_ns() const override { return 0; }
  uint64_t epoch_ms_at_reset() const override { return 0; }
  void arm_timer(uint64_t) override {}
  void consume_cycles(uint64_t) override {}

  static bool commits(uint32_t addr) {
    using namespace abi;
    return (addr >= CLS_ENTRY && (addr - CLS_ENTRY) % CLS_ENTRY_STRIDE == CLS_ENTRY_CTRL_OFF) ||
           (addr >= CLS_GROUP_EN && addr < CLS_GROUP_EN + CLS_GROUP_EN_STRIDE * GROUPS) ||
           (addr >= CLS_RANGE && addr < CLS_RANGE + RANGE_UNITS * CLS_RANGE_STRIDE &&
            (addr - CLS_RANGE) % CLS_RANGE_STRIDE == CLS_RANGE_HI_OFF);
  }

  ClassifierBus bus;
  std::function<void()> probe;

 private:
  static void check(uint32_t a, size_t n) {
    if (!ClassifierBus::claims(a) || (n > 0 && !ClassifierBus::claims(a + static_cast<uint32_t>(4 * (n - 1)))))
      throw std::out_of_range("classifier bus HAL: address outside the classifier block");
  }
};

}  // namespace dfc::model
