// Lazy sources of monitored traffic: each packet is made (generated or read from a pcap) only
// when the card pulls it, so memory does not grow with the number of packets. `run` and
// `serve` merge one of these with their control traffic (see host/host.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dfc/hal/packet.hpp"
#include "stimulus/pcap_io.hpp"
#include "stimulus/traffic.hpp"

namespace dfc::tb {

class MonitoredStream {
 public:
  virtual ~MonitoredStream() = default;
  // The next monitored packet (unit Monitor, a unique id, t_arrival_ps relative to the start
  // of traffic, non-decreasing); false at the end.
  virtual bool next(Packet& out) = 0;
};

// Packets given in memory (scenarios with an explicit packet list, tests).
class VectorStream : public MonitoredStream {
 public:
  explicit VectorStream(std::vector<Packet> v) : v_(std::move(v)) {}
  bool next(Packet& out) override;

 private:
  std::vector<Packet> v_;
  size_t i_ = 0;
};

// The traffic generator (TrafficSpec), packet by packet.
class GeneratorStream : public MonitoredStream {
 public:
  explicit GeneratorStream(const TrafficSpec& spec) : g_(spec) {}
  bool next(Packet& out) override;

 private:
  TrafficGenerator g_;
};

// A pcap replayed record by record: with its original timing (relative to the first record;
// a capture that steps back in time is held at the last time) or back to back ("line-rate":
// every arrival at 0, the ingress MAC spaces them at its line rate); at most `cap` records.
// `replay` carries tcpreplay's controls (filter, pps, mbps, multiplier, loop) to the reader.
class PcapStream : public MonitoredStream {
 public:
  PcapStream(const std::string& path, bool line_rate, uint64_t cap = UINT64_MAX, const PcapReplay& replay = {})
      : r_(path, replay), line_rate_(line_rate), cap_(cap) {}
  bool next(Packet& out) override;
  const PcapReader& reader() const { return r_; }

 private:
  PcapReader r_;
  bool line_rate_;
  uint64_t cap_, seq_ = 0, base_ = 0, last_ = 0;
  bool have_base_ = false;
};

// The monitored traffic of a run or of serve, chosen the same way for both: a pcap (replayed
// with its timing or at line rate, at most `packets` records), else the generator when there
// is a `spec` (its seed and packet count overridden when given), else the packets given in
// memory.
struct TrafficChoice {
  std::string pcap_in;
  bool line_rate = false;
  PcapReplay replay;
  std::optional<std::string> spec;  // TrafficSpec::parse syntax
  std::optional<uint64_t> seed, packets;
  const std::vector<Packet>* given = nullptr;
};

// The stream of that choice; nullptr when there is no traffic (no pcap, no spec, nothing given).
// Throws std::invalid_argument / std::runtime_error on a bad spec or an unreadable pcap.
std::unique_ptr<MonitoredStream> open_traffic(const TrafficChoice& t);

}  // namespace dfc::tb
