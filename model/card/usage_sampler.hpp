// The card's utilisation and receive-queue depth over time (report.json "timeline", the plots
// of report.html): a SystemC process that wakes every `period` of simulated time while traffic
// runs and records each block's cumulative busy time (Block::usage, the figures behind
// report.json "utilisation") and the receive buffers the rings hold. Between two samples a
// resource's utilisation is its busy-time difference over the time difference.
//
// Bounded: when more than kMaxSamples are held, every other one is dropped (a cumulative count
// loses nothing but resolution; the depth keeps the maximum of the dropped ones) and the period
// doubles. Cores run decoupled by up to a quantum, so a sample at SystemC time t may include
// work a core booked slightly after t (or miss work a lagging core books later); the bins of a
// report are many samples wide.
#pragma once
#include <systemc>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "block.hpp"

namespace dfc::model {

class UsageSampler : public sc_core::sc_module {
 public:
  struct Sample {
    uint64_t t_ps = 0;
    std::vector<uint64_t> busy_ps;  // per resource, cumulative (names())
    uint64_t rx_depth = 0;          // receive buffers held at t
    uint64_t rx_depth_max = 0;      // the most held at any sample since the previous kept one
  };
  struct Probes {
    std::function<void(std::vector<Usage>&)> usage;  // every block's resources, cumulative
    std::function<uint64_t()> rx_depth;
    std::function<bool()> done;  // traffic over: the process ends (the simulation may end)
  };
  static constexpr size_t kMaxSamples = 512;

  // wake: an event notified when `done` may have become true (so the process ends at once).
  UsageSampler(sc_core::sc_module_name n, Probes p, sc_core::sc_event& wake, uint64_t period_ps = 1'000'000);

  // The last sample, after the run (t_ps: the run's end).
  void finish(uint64_t t_ps);
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Usage::Kind>& kinds() const { return kinds_; }
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  void run();
  void take(uint64_t t_ps);
  Probes p_;
  sc_core::sc_event& wake_;
  uint64_t period_ps_;
  std::vector<std::string> names_;
  std::vector<Usage::Kind> kinds_;
  std::vector<Sample> samples_;
  bool finished_ = false;
};

}  // namespace dfc::model
