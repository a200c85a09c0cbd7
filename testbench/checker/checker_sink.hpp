// The checker's input: the event stream the host feeds an independent checker (the
// scoreboard, possibly on its own thread). It lives with the checker, not the host, so the
// checker depends on nothing above it; the host implements the producer side.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "dfc/hal/packet.hpp"

namespace dfc::tb {

// What an independent checker (the scoreboard) is fed, as a stream: every call in the order
// above: when a packet or request with arrival time t is reported, everything the card did for
// earlier arrivals has been reported (the online scoreboard relies on it). An implementation
// may retire state as arrival times advance; finish() is called once
// at the end with the card's copy-drop totals already delivered.
class CheckerSink {
 public:
  virtual ~CheckerSink() = default;
  virtual void on_request(uint64_t t_ps, const std::string& csource, const std::string& bytes) = 0;
  // The card dropped that request at ingress (its receive ring or buffers were full: `reason`,
  // e.g. "rx_ring_full"), so the firmware never saw it. Reported after the on_request of the
  // same request (same t_ps, csource and bytes), which it cancels: no reply is owed, nothing
  // changes, its Seq is not used.
  virtual void on_request_dropped(uint64_t t_ps, const std::string& csource, const std::string& bytes,
                                  const std::string& reason) = 0;
  // A core of the card took that request (same t_ps, csource and bytes) from its receive ring
  // at t_taken_ps: the firmware acts on it from then on, not before. Optional (a card that does
  // not report it leaves the request's effect to start at its arrival).
  virtual void on_request_taken(uint64_t /*t_ps*/, const std::string& /*csource*/, const std::string& /*bytes*/,
                                uint64_t /*t_taken_ps*/) {}
  virtual void on_reply(uint64_t t_ps, const std::string& csource, const std::string& bytes) = 0;
  virtual void on_notification(uint64_t t_ps, const std::string& csource, const std::string& bytes) = 0;
  // A monitored packet the card is done with; t_taken_ps: when a core took it from the
  // receive ring (0 for a packet dropped before that).
  virtual void on_packet(const Packet& p, uint64_t t_taken_ps, uint64_t t_done_ps) = 0;
  virtual void on_packet_dropped(uint64_t id, const std::string& reason) = 0;
  virtual void on_copy(const Packet& copy, uint64_t t_ps) = 0;
  virtual void on_copy_dropped(const Packet& copy, const std::string& reason) = 0;  // one refused copy
  virtual void on_copy_drops(const std::map<std::string, uint64_t>& by_reason) = 0;
  // The simulation ended at t_ps (a checker may judge what was due by then, e.g. a predicted
  // congestion notification that never came).
  virtual void on_end(uint64_t /*t_ps*/) {}
  // {"scoreboard": {...}, "coverage": {...}, "pass": bool, "summary": "one line", "errors": [...]}
  virtual nlohmann::json finish() = 0;
};
// The testbench's scoreboard (checker/scoreboard.hpp) behind that interface, online, reading
// the configuration text with its own reader.
// install_slack_ps: ScoreboardConfig::install_slack_ps (the card model's temporal decoupling:
// how much later than its reply a criterion's clocks may have started). It does not let a packet
// taken after the reply be decided on the old criteria (docs/scoreboard.md "Time").
// classifier_depth: ScoreboardConfig::classifier_depth (the profile's classifier.depth; 0 = not
// told, the criteria-capacity answers 550/500 are then not predicted).
std::unique_ptr<CheckerSink> make_scoreboard_sink(const std::string& config_text, uint64_t install_slack_ps = 0,
                                                  uint64_t classifier_depth = 0);

}  // namespace dfc::tb
