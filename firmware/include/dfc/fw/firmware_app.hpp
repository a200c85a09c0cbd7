// What a host (the SystemC card, a unit test) runs: the firmware's entry points. The host
// calls them on the modeled core with the HAL's clock set to the moment they run.
#pragma once
#include "dfc/hal/packet.hpp"

namespace dfc::fw {

struct DriverOptions;

class FirmwareApp {
 public:
  virtual ~FirmwareApp() = default;
  virtual void on_packet(const Packet& p) = 0;  // unit Control (DTCP) or Monitor (traffic)
  virtual void on_timer() = 0;                  // the deadline passed to Hal::arm_timer
  // The core's packet loop is between packets (after each one, and when it found none):
  // background work (deferred transmits). Returns true if it did any (an idle loop then
  // looks for packets again before sleeping).
  virtual bool on_idle() { return false; }
  // The core's packet loop asks the firmware to look for a frame itself: one poll of the
  // current context's receive ring (dfc/fw/driver.hpp). Returns true if it took a
  // descriptor, false if the ring was empty or the firmware does not drive rings (the host
  // then delivers packets through on_packet).
  virtual bool on_poll() { return false; }
  // The ring sizes the firmware's driver was booted with, or null when it does not drive
  // rings: the host's DMA engines must use the same (docs/firmware-driver.md).
  virtual const DriverOptions* driver_options() const { return nullptr; }
};

}  // namespace dfc::fw
