// why.jsonl's "nearest" for a packet no criterion matches: the installed criterion whose filter
// fields match the packet in the most fields (ties: the one installed first), and the first
// field of it that missed, with the value the criterion wants and the one the packet has.
//
// The criteria are learned from the DTCP exchange itself (the requests the card received and
// the replies and notifications it sent), read with the testbench's own DTCP reader
// (checker/refmodel.hpp): an ADD answered 200 installs its filter under the reply's
// Criteria-ID; a DELETE answered 200, a TimeoutDelete (390) or CongestionDelete (680)
// notification, or a Restart (599) removes, each at the time of the reply or notification, so
// nearest() answers for the criteria installed at a packet's arrival. A criterion a silent
// timeout removed (no SendAsync) is still known here.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/refmodel.hpp"

namespace dfc::tb {

class CriteriaShadow {
 public:
  // A request the card received from "ip:port", at t_ps.
  void on_request(uint64_t t_ps, const std::string& from, const std::string& bytes);
  // A reply or notification the card sent to "ip:port", at t_ps.
  void on_sent(uint64_t t_ps, const std::string& to, const std::string& bytes);
  // Every message of a dtcp.pcap (report/dtcp_pcap.hpp) in it; false when it cannot be read.
  bool read_pcap(const std::string& path);
  bool seen() const { return seen_; }  // any message fed
  size_t size() const { return crit_.size(); }

  // {"criterion": "<id>", "missed": "<field>", "want": "<filter text>", "got": "<packet value>",
  //  "fields_matched": n, "fields": 7}; null when no criterion was installed at t_ps.
  nlohmann::json nearest(const ref::Headers& h, uint64_t t_ps) const;

 private:
  struct Crit {
    uint64_t id = 0, order = 0;
    uint64_t from_ps = 0, until_ps = UINT64_MAX;  // installed over [from, until)
    std::string csource, cdest;
    ref::Filter f;
    std::map<std::string, std::string> text;  // field name -> the value as the ADD gave it
  };
  struct Pending {
    std::string method, csource;
    ref::Message m;
  };
  void install(uint64_t t_ps, uint64_t id, const Pending& p);
  void remove_selected(uint64_t t_ps, const Pending& p);

  std::map<std::string, Pending> pending_;  // "ip:port#seq" -> the request, until answered
  std::vector<Crit> crit_;                  // in install order (ids may come back after a removal)
  bool seen_ = false;
};

}  // namespace dfc::tb
