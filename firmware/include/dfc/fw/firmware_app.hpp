// What a host (the SystemC card, a unit test) runs: the firmware's entry points. The host
// calls them on the modeled core with the HAL's clock set to the moment they run.
#pragma once
#include "dfc/hal/packet.hpp"

namespace dfc::fw {

class FirmwareApp {
 public:
  virtual ~FirmwareApp() = default;
  virtual void on_packet(const Packet& p) = 0;  // unit Control (DTCP) or Monitor (traffic)
  virtual void on_timer() = 0;                  // the deadline passed to Hal::arm_timer
  // The core's packet loop is between packets (after each one, and when it found none):
  // background work (deferred transmits). Returns true if it did any (an idle loop then
  // looks for packets again before sleeping).
  virtual bool on_idle() { return false; }
};

}  // namespace dfc::fw
