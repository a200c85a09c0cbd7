// The traffic generator: line-rate paced monitored traffic with fixed sizes, IMIX 7:4:1 or
// RFC 6985 IMIX genomes, a flow population with locality, a fraction of packets drawn from
// flows that match the scenario's criteria, and an IPv4/IPv6 mix. Deterministic per seed.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dfc/hal/packet.hpp"
#include "stimulus/packet_builder.hpp"

namespace dfc::tb {

// One side of a flow template: a single value or an inclusive range ("10.1.1.1-10.1.1.10",
// "10.0.0.0/8", "53", "1024-65535"); the generator draws uniformly inside it.
struct FlowTemplate {
  std::string src = "172.16.0.0/12", dst = "172.31.0.0/16";
  std::vector<uint8_t> protos = {17};  // drawn uniformly
  std::string sport = "1024-65535", dport = "1-65535";
};

struct TrafficSpec {
  double rate_bps = 10e9;  // line rate of unit 1 (1g, 10g, 40g, 100g)
  double load = 1.0;       // offered load as a fraction of line rate (may exceed 1 only by pcap)
  std::string size = "64"; // "64" | "imix" | "genome:<letters>" (RFC 6985) | "<min>-<max>"
  uint64_t packets = 1000;
  uint32_t flows = 100;
  double locality = 0.0;   // probability a packet repeats one of the last 16 flows
  // How a packet that does not repeat a recent flow picks its flow: uniformly at random
  // (default: flows=N packets=N then visits about 63 % of them), or in turn ("sweep": the
  // population in its shuffled order, so packets >= flows touches every flow; a flow-table or
  // memory test of N concurrent flows needs that).
  bool sweep = false;
  double match = 0.0;      // fraction of flows drawn from match templates
  double ipv6 = 0.0;       // fraction of non-matching flows that are IPv6
  // Packets the card must not intercept or must handle specially, drawn per packet from a
  // separate random stream (so the IP traffic of a seed is unchanged when these are 0):
  double nonip = 0.0;      // fraction replaced by ARP frames (ethertype 0x0806)
  double mpls = 0.0;       // fraction sent MPLS-encapsulated (ethertype 0x8847, one label)
  double frag = 0.0;       // fraction of IPv4 packets sent as fragments: half first (MF, offset 0,
                           // L4 header present), half non-first (offset 1480, no L4 header)
  uint64_t seed = 1;
  std::vector<FlowTemplate> match_templates;  // flows that match the scenario's criteria
  FlowTemplate other;                         // flows that should not match
  bool ethernet = true;

  // "rate=10g,load=0.5,size=imix,packets=1e5,flows=1000,locality=0.8,order=sweep,match=0.3,ipv6=0.1,seed=7,
  //  nonip=0.05,mpls=0.02,frag=0.1,
  //  match-src=..,match-dst=..,match-proto=6|17,match-dport=53,match-sport=.."
  // Throws std::invalid_argument naming the bad key or value.
  static TrafficSpec parse(const std::string& spec);
};

// Frame sizes (bytes incl. FCS) for the size spec; throws std::invalid_argument.
class SizeModel {
 public:
  explicit SizeModel(const std::string& spec);
  size_t next(std::mt19937_64& rng);
  double mean() const { return mean_; }

 private:
  std::vector<size_t> cycle_;   // genome / fixed
  std::vector<size_t> weighted_;  // imix 7:4:1 as a 12-entry urn
  size_t lo_ = 0, hi_ = 0;
  size_t pos_ = 0;
  double mean_ = 0;
};

// Wire time of a frame on Ethernet: frame + preamble/SFD (8) + minimum IFG (12).
inline double wire_seconds(size_t frame_bytes, double bps) { return double(frame_bytes + 20) * 8.0 / bps; }

// The generator as a lazy source: packets are made one at a time as the card pulls them
// (arrival times from 0, ids from first_id), so memory does not grow with spec.packets.
// The sequence is the same as generate_traffic's for the same spec.
class TrafficGenerator {
 public:
  explicit TrafficGenerator(const TrafficSpec& spec, uint64_t first_id = 1);
  // The next packet; false after spec.packets packets.
  bool next(Packet& p);
  uint64_t produced() const { return i_; }

 private:
  static constexpr uint32_t kRecent = 16;  // locality draws among the last 16 flows
  TrafficSpec spec_;
  std::mt19937_64 rng_, extra_;  // extra_: nonip/mpls/frag draws only
  SizeModel sizes_;
  std::vector<FlowSpec> flows_;
  std::vector<FlowAddrs> addrs_;  // flows_[i]'s addresses, parsed once
  uint32_t recent_[kRecent] = {};
  uint32_t head_ = 0, n_recent_ = 0;
  uint64_t swept_ = 0;  // order=sweep: the next flow index
  uint64_t first_id_, i_ = 0;
  double t_s_ = 0;
  bool special_ = false;
};

// Generates the whole timeline into memory (small runs and tests; the harness streams).
std::vector<Packet> generate_traffic(const TrafficSpec& spec, uint64_t first_id = 1);

}  // namespace dfc::tb
