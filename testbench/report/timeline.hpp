// report.json "timeline" (and report.html's plots over time): per resource its utilisation in
// equal bins over the measurement window, the receive-queue depth, and the control plane's
// events in time order -- each DTCP request with the status of its reply, each notification,
// each overload threshold crossed or cleared. SystemC-free: the card's sampler
// (model/card/usage_sampler.hpp) is read by the host into UsageSeries.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfc::tb {

// Cumulative busy time per resource at increasing sample times (the last one at the run's end).
struct UsageSeries {
  std::vector<std::string> names;
  std::vector<uint64_t> t_ps;
  std::vector<std::vector<uint64_t>> busy_ps;  // [sample][resource]
  std::vector<uint64_t> rx_depth, rx_depth_max;  // [sample]
};

// {"from_s", "to_s", "bin_s", "t_s": [bin starts], "utilisation": {name: [per bin]},
//  "rx_depth_max": [per bin], "rx_depth": [per bin, at its end], "samples": n}. A resource's
// cumulative busy time is interpolated linearly between samples at the bin edges, so the bins
// of one resource average to its busy time inside the window over the window (report.json
// "utilisation" also counts busy time outside it: DTCP before the traffic, timers after, and
// the ingress's serialisation of packets it pulled ahead of their arrival). "outside_window":
// {name: {"before", "after"}}, that busy time as fractions of the window, so that a resource's
// bin average + before + after is its report.json "utilisation" (before that is capped at 1).
nlohmann::json utilisation_timeline(const UsageSeries& s, uint64_t from_ps, uint64_t to_ps, size_t bins = 100);

// The DTCP exchange as events: fed the requests the card received and the replies and
// notifications it sent, with their times.
class DtcpTimeline {
 public:
  void on_request(uint64_t t_ps, const std::string& from, const std::string& bytes);
  void on_sent(uint64_t t_ps, const std::string& to, const std::string& bytes);
  // The same from a dtcp.pcap (report/dtcp_pcap.hpp) of this run: each datagram is a request
  // when its message is a request line, else a reply or notification. False (and nothing
  // added) when the file cannot be read.
  bool read_pcap(const std::string& path);
  // {"requests": [{"t_s", "from", "csource", "method", "seq", "status", "reply_t_s"}],
  //  "notifications": [{"t_s", "to", "status", "reason"}]}; a request never answered has
  //  status null.
  nlohmann::json to_json() const;

 private:
  nlohmann::json requests_ = nlohmann::json::array(), notifications_ = nlohmann::json::array();
  std::map<std::string, size_t> open_;  // "ip:port#seq" -> index in requests_, until answered
};

// Every datagram of a dtcp.pcap (report/dtcp_pcap.hpp) in order, with its time, endpoints
// ("ip:port") and DTCP message; request: the message is a request line (else a reply or a
// notification). False when the file cannot be read (then nothing is called).
bool for_each_dtcp_datagram(
    const std::string& path,
    const std::function<void(uint64_t t_ps, const std::string& from, const std::string& to, const std::string& msg,
                             bool request)>& fn);

// report.json "overload_events" as on/off transitions: {"t_s", "name", "kind", "group", "on"}.
nlohmann::json overload_transitions(const nlohmann::json& overload_events);

}  // namespace dfc::tb
