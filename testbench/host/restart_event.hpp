// A card restart requested from outside the firmware (a scenario's {"event": "restart"},
// SIGHUP to `dfcsim serve`). It travels the control unit as a marker packet so that the card
// runs it on a core at its time, like any control work; RestartableFirmware turns the marker
// into Firmware::restart(). The marker never reaches the firmware's DTCP server.
#pragma once
#include <memory>
#include <string>
#include <utility>

#include "dfc/fw/firmware.hpp"
#include "dfc/hal/packet.hpp"

namespace dfc::tb {

inline constexpr const char* kRestartMarker = "dfcsim:restart";

inline Packet restart_marker(uint64_t t_arrival_ps) {
  Packet p;
  p.unit = Unit::Control;
  p.link = LinkType::RawIp;
  p.src_ip = kRestartMarker;
  p.t_arrival_ps = t_arrival_ps;
  return p;
}

inline bool is_restart_marker(const Packet& p) { return p.unit == Unit::Control && p.src_ip == kRestartMarker; }

class RestartableFirmware : public fw::FirmwareApp {
 public:
  RestartableFirmware(std::unique_ptr<fw::Firmware> f, std::string why) : fw_(std::move(f)), why_(std::move(why)) {
    // With the driver the marker arrives as a control frame in the control thread's ring.
    fw_->set_control_intercept([this](const Packet& p) {
      if (!is_restart_marker(p)) return false;
      fw_->restart(why_);
      return true;
    });
  }
  void on_packet(const Packet& p) override {
    if (is_restart_marker(p))
      fw_->restart(why_);
    else
      fw_->on_packet(p);
  }
  void on_timer() override { fw_->on_timer(); }
  bool on_idle() override { return fw_->on_idle(); }
  bool on_poll() override { return fw_->on_poll(); }
  const fw::DriverOptions* driver_options() const override { return fw_->driver_options(); }

 private:
  std::unique_ptr<fw::Firmware> fw_;
  std::string why_;
};

}  // namespace dfc::tb
