// The scoreboard: checks every copy the card emits against an independent reference model of
// DTCP criteria and packet matching (testbench/src/refmodel_*.cpp; no firmware code). Events
// are recorded as the harness reports them; finish() replays them in ingress order, predicts
// the copies of every packet and compares. Decisions (install/removal latency, timeout
// ambiguity windows, negation semantics) are in docs/scoreboard.md.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/hal/packet.hpp"

namespace dfc::config {
struct DfcConfig;
}

namespace dfc::tb {

struct ScoreboardConfig {
  struct Cdest {
    uint32_t address = 0;  // IPv4, host order
    uint8_t ttl = 255;
  };
  struct Csource {
    uint32_t minimum_priority = 0;
    bool has_notification_targets = false;  // no targets => no notification is expected
  };
  std::map<std::string, Cdest> cdests;      // content-destination id -> outer header fields
  std::map<std::string, Csource> csources;  // control-source id -> its settings
  uint32_t max_duplicates = 3;              // copies per packet
  uint32_t copy_source = 0xC0000202;        // outer source address (192.0.2.2), host order
  // Packets within this distance of a predicted time-based deadline (Timeout-Total/Idle) or of a
  // 390/680/599 notification may or may not be copied.
  uint64_t timeout_window_ps = 1'000'000'000;  // 1 ms
  // Extra time after an ADD/DELETE reply during which the change may still be invisible
  // (0: the reply marks the end of the install/removal window).
  uint64_t install_slack_ps = 0;

  // Cdests with an IPv4 address (others are skipped), each control source's minimum-priority
  // and notification targets, and the first capture group's max-duplicates (the card has one
  // max-duplicates setting; g-max-duplicates when there is no group).
  static ScoreboardConfig from(const config::DfcConfig& cfg);
};

class Scoreboard {
 public:
  explicit Scoreboard(ScoreboardConfig cfg);
  ~Scoreboard();
  Scoreboard(const Scoreboard&) = delete;
  Scoreboard& operator=(const Scoreboard&) = delete;

  // A DTCP request from control source `csource` reached the card at t_ps (ingress order with
  // packets). bytes = the request as sent (with Seq and Authentication-Info).
  void on_request(uint64_t t_ps, const std::string& csource, const std::string& bytes);
  // The card's reply to a request of that control source (matched to the request by Seq, else
  // to its oldest unanswered request). Only requests answered 200 change the model.
  void on_reply(uint64_t t_ps, const std::string& csource, const std::string& bytes);
  // A notification to that control source (390 timeout delete, 680 congestion delete, 599
  // restart remove criteria; others are counted for coverage).
  void on_notification(uint64_t t_ps, const std::string& csource, const std::string& bytes);
  // A monitored packet entered the card (p.id unique, p.t_arrival_ps), or was dropped before
  // processing (ingress buffer full, ...): its copies are then not expected. Either order.
  void on_packet(const Packet& p);
  void on_packet_dropped(uint64_t id, const std::string& reason);
  // A copy left unit 2: p.cdest_id, p.id = the original packet's id, p.data = outer IPv4
  // header + the original IP packet.
  void on_copy(const Packet& copy, uint64_t t_ps);
  // Totals of copies the card counted as dropped, per reason. A reason containing
  // "max_duplicates" is compared with the model's prediction; every other reason (tx queue
  // full, ...) is a budget that may explain missing copies. Last call wins.
  void on_copy_drops(const std::map<std::string, uint64_t>& dropped_by_reason);

  struct Result {
    bool pass = false;
    uint64_t packets = 0, predicted_copies = 0, matched_copies = 0, unexpected_copies = 0, missing_copies = 0,
             explained_missing = 0, byte_mismatches = 0;
    uint64_t ambiguous_packets = 0;  // packets whose copies the model accepted either way
    uint64_t error_count = 0;        // all errors (errors holds the first 20)
    std::vector<std::string> errors;
    nlohmann::json coverage;
    nlohmann::json to_json() const;
  };
  // Replays everything recorded so far; may be called once.
  Result finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfc::tb
