// Card profiles: the hardware parameters of the modeled PIC. SystemC-free so tools and the
// testbench can read them. Calibration (why these numbers) is in docs/model.md.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "dfc/fw/firmware.hpp"
#include "dfc/fw/pipeline.hpp"

namespace dfc::model {

struct CardProfile {
  std::string name;
  unsigned cores = 1;            // CPU cores running the packet pipeline
  double core_hz = 1.0e9;        // core clock
  double bus_hz = 250.0e6;       // register/table bus clock
  unsigned bus_cycles_per_word = 1;
  unsigned bus_cycles_per_access = 4;  // address phase, decode, response
  double classifier_hz = 250.0e6;
  double ingress_bps = 10.0e9;   // unit 1 line rate
  double egress_bps = 10.0e9;    // unit 2 line rate
  size_t ingress_buffer_packets = 4096;
  size_t egress_queue_packets = 4096;
  uint32_t classifier_depth = 4096;
  // The PIC's rated input packet rate (reference §2.4/§3: the input-packet-rate-threshold is
  // capped at 300 kpps on the MS-III, honoured up to 1 Mpps on the MS-400); the firmware's
  // overload monitor gets it as a hint (FirmwareOptions::overload.rated_input_pps).
  uint64_t rated_input_pps = 1'000'000;

  // What the firmware needs to know of this card (cycle costs, rated input rate): the one
  // place hosts (run, serve) build FirmwareOptions from a profile.
  fw::FirmwareOptions firmware_options() const {
    fw::FirmwareOptions o;
    o.host_work_cycles = legacy_work_cycles;
    o.overload.rated_input_pps = rated_input_pps;
    return o;
  }
  // Transitional until the card model prices Hal::work itself (issue 10): core cycles per
  // declared work item, applied by the firmware's HAL shim. The figures are the former
  // per-step firmware constants (docs/model.md §2) re-expressed per work item: rx 1450 per
  // descriptor, parse 150 = 50 per header (Ethernet, IP, L4), flow lookup 250 per hash,
  // insert 400, classify 300, 60 per matching rule, 500 per copy.
  std::array<uint64_t, static_cast<size_t>(Hal::Work::kCount)> legacy_work_cycles = [] {
    std::array<uint64_t, static_cast<size_t>(Hal::Work::kCount)> w{};
    auto set = [&](Hal::Work k, uint64_t c) { w[static_cast<size_t>(k)] = c; };
    set(Hal::Work::RxDescriptor, 1450);
    set(Hal::Work::HeaderDecode, 50);
    set(Hal::Work::Hash, 250);
    set(Hal::Work::FlowInsert, 400);
    set(Hal::Work::ClassifyKey, 300);
    set(Hal::Work::MatchResolve, 60);
    set(Hal::Work::CopyBuild, 500);
    return w;
  }();
};

// "ms3" (Monitoring Services III) or "ms400" (MultiServices 400); throws std::invalid_argument.
CardProfile profile_by_name(const std::string& name);

}  // namespace dfc::model
