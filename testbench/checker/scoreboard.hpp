// The scoreboard: checks every copy the card emits against an independent reference model of
// DTCP criteria and packet matching (library dfc_reference: scoreboard_*.cpp, refmodel_*.cpp;
// no firmware code, its own configuration reader). Events are replayed in ingress order: each
// packet's copies are predicted and compared, online as soon as its ambiguity window has
// closed (set_online) or else at finish(). Decisions (install/removal latency, timeout
// ambiguity windows, negation semantics, capture groups) are in docs/scoreboard.md.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/hal/packet.hpp"

namespace dfc::tb {

// What the scoreboard needs from the card's configuration, read by its own reader
// (scoreboard_config.cpp), never by the firmware's parser.
struct ScoreboardConfig {
  struct Cdest {
    uint32_t address = 0;  // IPv4, host order
    uint8_t ttl = 255;
    std::string group;     // capture group ("" = the only/default group)
    std::string id;        // configured id (the key may be "group/id" when ids repeat across groups)
    std::optional<uint64_t> hard_limit, hard_limit_target, soft_limit, soft_limit_clear;  // bit/s
  };
  struct Csource {
    uint32_t minimum_priority = 0;
    bool has_notification_targets = false;  // no targets => no notification is expected
    std::string group;                      // capture group ("" = the only/default group)
    std::vector<uint32_t> source_addresses;
    uint16_t service_port = 0;
    std::string shared_key;
    std::vector<std::pair<uint32_t, uint16_t>> notification_targets;
    std::vector<std::string> allowed_destinations;  // configured ids; empty = every one of its group
  };
  std::map<std::string, Cdest> cdests;      // content-destination key -> outer header fields
  std::map<std::string, Csource> csources;  // control-source id -> its settings
  uint32_t max_duplicates = 3;              // copies per packet (g-max-duplicates; groups without their own)
  std::map<std::string, uint32_t> group_max_duplicates;  // per capture group (dtcp.md §2.4)
  std::map<std::string, uint64_t> group_dup_periodicity_s;  // duplicates-dropped-periodicity (default 30 s)
  uint32_t copy_source = 0xC0000202;        // outer source address (192.0.2.2), host order
  // Packets within this distance of a predicted time-based deadline (Timeout-Total/Idle) or of a
  // 390/680/599 notification may or may not be copied.
  uint64_t timeout_window_ps = 1'000'000'000;  // 1 ms
  // Extra time after an ADD/REFRESH reply added to the interval in which the card may have
  // started a criterion's clocks (timeout bases, tie order). It does NOT widen the install or
  // removal window of a packet: the card changes its criteria before it replies, so a packet
  // taken after the reply left is decided on the new criteria (docs/scoreboard.md).
  uint64_t install_slack_ps = 0;
  // Online: how long the check waits for the card's reply to a request before it takes the
  // request as unanswered. DTCP runs over UDP and sets no reply deadline of its own; a control
  // source that has no reply when its retransmit timer fires (2 s: dtcpctl's default per
  // attempt; the card model's rings are sized on "sources retransmit only after seconds")
  // gives the request up, so a reply later than that answers nothing the source waits for.
  uint64_t reply_limit_ps = 2'000'000'000'000;  // 2 s
  // Online: the most packets held back behind an unanswered request; past it the oldest such
  // request stops holding the check (memory stays bounded whatever the card's reply time).
  size_t hold_max_packets = 262'144;
  // Congestion prediction (docs/scoreboard.md "Congestion"): the card evaluates its limits at
  // least once per evaluation period (documented: once a second), so a crossing the reference
  // predicts must be notified within the second it happens in + one period + timeout_window;
  // rates within +-congestion_band (fraction) of a limit are ambiguous (either outcome passes).
  uint64_t congestion_period_ps = 1'000'000'000'000;  // 1 s
  double congestion_band = 0.02;
  // Criteria capacity (docs/scoreboard.md "Answers", dtcp-conformance §6 and §13.7): an ADD is
  // 550 (500 in DTCP/0.6) when its filter's cross product exceeds max_terms_per_criterion, when
  // max_criteria (0 = none) criteria are in force, when the classifier (classifier_depth
  // entries, the card profile's classifier.depth; 0 = not told: capacity answers are then
  // 200 or 550 unjudged) cannot hold its entries, or, with more than one control source
  // configured, when the source's entries would exceed max_source_share_percent of the table.
  uint64_t classifier_depth = 0;
  uint64_t max_terms_per_criterion = 1024;
  uint64_t max_criteria = 0;
  uint32_t max_source_share_percent = 50;
  // Control sources configured, every group's (an id in two groups counts twice, unlike
  // csources); 0 = csources.size() (a configuration built by hand).
  size_t control_sources = 0;

  // The destination key a content-destination id of a control source's request names (its own
  // group's destination), or "" when that group has no such destination.
  std::string cdest_key(const std::string& csource, const std::string& cdest_id) const;
  uint32_t max_duplicates_of(const std::string& group) const;

  // Reads the card's Junos configuration text (dtcp.md §2.3): every capture group's
  // max-duplicates (else g-max-duplicates), control sources (addresses, service port, key,
  // notification targets, minimum-priority) and content destinations with an IPv4 address
  // (address, ttl, limits). Throws std::runtime_error (with the line) on text it cannot read.
  static ScoreboardConfig parse(const std::string& junos_text);
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
  // The card dropped that request at ingress (receive ring or buffers full), before its
  // firmware saw it; reported after its on_request (same t_ps, csource, bytes), before the
  // online lag has passed it. The request is then taken as never delivered: it changes no
  // criterion, owes no reply or notification and uses no Seq; it is listed in the coverage
  // (dtcp.dropped_requests) instead. A drop naming no reported request is an error.
  void on_request_dropped(uint64_t t_ps, const std::string& csource, const std::string& bytes,
                          const std::string& reason);
  // A core took that request (same t_ps, csource, bytes) at t_taken_ps: the request takes effect
  // from then (its install or removal window opens there, docs/scoreboard.md "Time"). Reported
  // before the online lag has passed its arrival; a later report, or one after its answer was
  // predicted, leaves the request at its arrival (sound, only wider).
  void on_request_taken(uint64_t t_ps, const std::string& csource, const std::string& bytes, uint64_t t_taken_ps);
  // The card's reply to a request of that control source (matched to the request by Seq, else
  // to its oldest unanswered request). Only requests answered 200 change the model.
  void on_reply(uint64_t t_ps, const std::string& csource, const std::string& bytes);
  // A notification to that control source (390 timeout delete, 680 congestion delete, 599
  // restart remove criteria; others are counted for coverage).
  void on_notification(uint64_t t_ps, const std::string& csource, const std::string& bytes);
  // A monitored packet entered the card (p.id unique, p.t_arrival_ps), or was dropped before
  // processing (ingress buffer full, ...): its copies are then not expected. Either order.
  // t_taken_ps: when a core of the card took it from the receive ring (observed at the ring,
  // like a bus monitor), if known. The card decides a packet against the criteria in force
  // then, not at its arrival: under load a packet can wait in the ring while a DELETE or an
  // ADD takes effect, so the reference judges it at that time (0: at its arrival).
  // t_done_ps: when the card was done with it (its hits are counted then; 0: at t_taken).
  void on_packet(const Packet& p, uint64_t t_taken_ps = 0, uint64_t t_done_ps = 0);
  void on_packet_dropped(uint64_t id, const std::string& reason);
  // A copy left unit 2: p.cdest_id, p.id = the original packet's id, p.data = outer IPv4
  // header + the original IP packet.
  void on_copy(const Packet& copy, uint64_t t_ps);
  // The card (host) refused one copy (its transmit queue was full): the copy of packet
  // `packet_id` to destination copy.cdest_id is excused. The only way a predicted copy may be
  // missing besides an ingress drop of its packet (docs/scoreboard.md).
  void on_copy_dropped(const Packet& copy, const std::string& reason);
  // Totals of copies the card counted as dropped, per reason. A reason containing
  // "max_duplicates" is compared with the model's prediction; the others are reported in the
  // coverage only (they excuse nothing: see on_copy_dropped). Last call wins.
  void on_copy_drops(const std::map<std::string, uint64_t>& dropped_by_reason);
  // The run ended at t_ps: a 580/680 the reference predicted (docs/scoreboard.md "Congestion")
  // that was due by then and never came fails; without it only events up to the last one
  // reported are judged.
  void on_end(uint64_t t_ps);

  // Online checking (docs/scoreboard.md "Online"): the caller promises that events are
  // reported in ingress order, and that when a packet or request with arrival time t is
  // reported, everything the card did for earlier packets (copies, drops) has been reported.
  // A reply may come any time after its request. Each packet is checked once the latest
  // reported arrival passes its time by lag_ps and no DTCP request that arrived before it is
  // still waiting for the card's reply (the oldest unanswered request holds the check back
  // until its reply, its ingress drop, reply_limit_ps, or hold_max_packets held packets), and
  // is then forgotten: memory is bounded by the window, not by the run. lag_ps must cover
  // timeout_window_ps (a 680/599 up to W after a packet affects it) and install_slack_ps.
  void set_online(uint64_t lag_ps);
  // Packets waiting to be checked (online: bounded by the traffic in lag_ps, or in the time an
  // unanswered request holds the check, at most hold_max_packets) and the peak.
  size_t pending() const;
  size_t pending_peak() const;

  struct Result {
    bool pass = false;
    uint64_t packets = 0, predicted_copies = 0, matched_copies = 0, unexpected_copies = 0, missing_copies = 0,
             explained_missing = 0, byte_mismatches = 0;
    uint64_t dropped_requests = 0;   // DTCP requests the card dropped at ingress (never judged)
    uint64_t requests_taken_later = 0;  // requests replayed from when a core took them (on_request_taken)
    uint64_t ambiguous_packets = 0;  // packets whose copies the model accepted either way
    std::vector<uint64_t> ambiguous_ids;  // the first 100 of them (per-packet report)
    // Every packet whose copies an ambiguity window excused (the card's copies differ from the
    // reference's point estimate): packet, criterion, window kind and bounds, how it was taken.
    nlohmann::json excused = nlohmann::json::array();
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
