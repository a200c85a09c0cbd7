// `dfcsim run --why 'BPF'`: for every monitored packet the BPF expression selects (libpcap's
// pcap_compile + pcap_offline_filter, on the packet as it arrives at unit 1), one JSON object
// per line of DIR/why.jsonl, in arrival order: packet index and time, the parsed fields (or why
// the packet is not intercepted), the flow-table answer, the classifier rules and criteria that
// matched, and per content destination the copy (sent, with its departure time and latency) or
// the reason it was dropped; for a packet no criterion matches, the nearest installed criterion
// and its first field that missed (why_nearest.hpp). The decisions come from the firmware's own trace hook
// (fw::Firmware::set_packet_trace); copy times from the card's copy output.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/packet.hpp"
#include "report/why_nearest.hpp"

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
  // The DTCP exchange, so a packet no criterion matches names the nearest one (why_nearest.hpp):
  // a request the card received from "ip:port", a reply or notification it sent to "ip:port".
  // A host that feeds none: write() reads the dtcp.pcap next to why.jsonl, when there is one.
  void on_request(uint64_t t_ps, const std::string& from, const std::string& bytes) {
    crit_.on_request(t_ps, from, bytes);
  }
  void on_control_sent(uint64_t t_ps, const std::string& to, const std::string& bytes) {
    crit_.on_sent(t_ps, to, bytes);
  }
  size_t selected() const { return order_.size(); }
  // Writes one line per selected packet; throws RunFailure when the file cannot be created.
  void write(const std::string& path) const;

 private:
  struct Entry {
    uint64_t index = 0, t_ps = 0;
    nlohmann::json j;
    std::optional<ref::Headers> headers;  // the reference reader's fields (nearest criterion)
    bool unmatched = false;               // the firmware found no criterion: write() adds "nearest"
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
  CriteriaShadow crit_;
};

}  // namespace dfc::tb
