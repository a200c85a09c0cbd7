// The firmware's only window onto hardware. Everything the firmware does to the card goes
// through this interface: register/table writes on the card bus, packet transmit queues,
// one timer, time, and the CPU cycle meter of the core it runs on. Two implementations:
// the SystemC card model (model/card) and the fake HAL of the firmware unit tests
// (firmware/tests/fake_hal.hpp). No SystemC or Verilator type may appear here.
#pragma once
#include <cstddef>
#include <cstdint>

#include "dfc/hal/packet.hpp"

namespace dfc {

class Hal {
 public:
  virtual ~Hal() = default;

  // Register/table bus (32-bit words, byte addresses, little-endian word order).
  virtual void bus_write(uint32_t addr, const uint32_t* words, size_t n) = 0;
  virtual void bus_read(uint32_t addr, uint32_t* words, size_t n) = 0;
  void reg_write(uint32_t addr, uint32_t v) { bus_write(addr, &v, 1); }
  uint32_t reg_read(uint32_t addr) {
    uint32_t v = 0;
    bus_read(addr, &v, 1);
    return v;
  }

  // Transmit queues: unit Control sends UDP payloads (src/dst ip/port in the packet), unit
  // Copies sends complete IP packets. Returns false when the queue is full (the packet is
  // dropped and the firmware counts it).
  virtual bool transmit(Packet&& p) = 0;

  // Time since card reset, nanoseconds, and wall-clock (UTC) milliseconds at card reset,
  // so that DTCP timestamps are reproducible in simulation.
  virtual uint64_t now_ns() const = 0;
  virtual uint64_t epoch_ms_at_reset() const = 0;

  // One-shot timer: the host calls Firmware::on_timer() at or after the given time.
  // Re-arming replaces the previous deadline.
  virtual void arm_timer(uint64_t at_ns) = 0;

  // CPU cost meter: the firmware declares the work it did, in core cycles. The model turns
  // cycles into simulated time; the fake HAL just sums them.
  virtual void consume_cycles(uint64_t cycles) = 0;
};

}  // namespace dfc
