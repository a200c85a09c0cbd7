// `dfcsim run --why 'BPF'`: for every monitored packet the BPF expression selects (libpcap's
// pcap_compile + pcap_offline_filter, on the packet as it arrives at unit 1), one JSON object
// per line of DIR/why.jsonl, in arrival order: packet index and time, the parsed fields (or why
// the packet is not intercepted), the flow-table answer, the classifier rules and criteria that
// matched, and per content destination the copy (sent, with its departure time and latency) or
// the reason it was dropped. The decisions come from the firmware's own trace hook
// (fw::Firmware::set_packet_trace); copy times from the card's copy output.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/packet.hpp"

typedef struct pcap pcap_t;
struct bpf_program;

namespace dfc::tb {

class WhyLog {
 public:
  // Throws std::runtime_error naming --why when the expression does not compile.
  explicit WhyLog(const std::string& bpf);
  ~WhyLog();
  WhyLog(const WhyLog&) = delete;
  WhyLog& operator=(const WhyLog&) = delete;

  void on_arrival(const Packet& p);  // every monitored packet, in arrival order
  void on_trace(const fw::PacketTrace& t);
  void on_ingress_drop(uint64_t id, const char* why);
  void on_processed(uint64_t id, uint64_t start_ps, uint64_t done_ps);
  void on_copy(const Packet& copy, uint64_t t_ps);
  // A copy the firmware sent that the card dropped on its way out (egress queue full).
  void on_copy_dropped(const Packet& copy, const char* why);
  size_t selected() const { return order_.size(); }
  // Writes one line per selected packet; throws RunFailure when the file cannot be created.
  void write(const std::string& path) const;

 private:
  struct Entry {
    uint64_t index = 0, t_ps = 0;
    nlohmann::json j;
    std::map<std::string, std::vector<uint64_t>> copy_ps;  // departures per destination
  };
  pcap_t* dead_eth_ = nullptr;
  pcap_t* dead_raw_ = nullptr;
  bpf_program* prog_eth_ = nullptr;
  bpf_program* prog_raw_ = nullptr;
  std::string expr_;
  uint64_t index_ = 0;
  std::map<uint64_t, Entry> by_id_;
  std::vector<uint64_t> order_;
};

}  // namespace dfc::tb
