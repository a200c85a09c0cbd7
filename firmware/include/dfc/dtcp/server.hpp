// The card's DTCP server (reference §1, DTCP/0.7 with 0.6 accepted): authenticates requests
// (HMAC-SHA1, per-control-source Seq window), applies the control-source rules of the
// configuration, keeps the criteria store, installs criteria as classifier rules, enforces
// timeouts with one Hal timer, answers requests and sends notifications, and keeps the
// counters of `show services dynamic-flow-capture control-source` / JUNIPER-DFC-MIB.
// Every decision on an open question is recorded in docs/dtcp-conformance.md.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/seq_window.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/pipeline.hpp"  // fw::CriterionView
#include "dfc/hal/hal.hpp"

namespace dfc::dtcp {

// Status codes (reference §1.9).
namespace code {
constexpr int Rollover = 130, NoOp = 131, OK = 200, TimeoutDelete = 390, BadRequest = 400,
              UnknownCdest = 430, UnknownCriteriaId = 431, ImproperFilter = 432, ImproperTimeout = 433,
              InvalidAuthentication = 497, InvalidSeq = 498, UnknownCsource = 499, InternalError = 500,
              NotImplemented = 501, VersionNotSupported = 505, MaxCriteria = 550, MaxCdest = 551,
              Congestion = 580, DuplicatesDropped = 598, Restart = 599, CongestionDelete = 680,
              JTapFailure = 901;
}
const char* reason_phrase(int status);

constexpr Version kLowestVersion{0, 6};
constexpr Version kHighestVersion{0, 7};

// Per control source: the jnxDfcCSTable columns and the `show ... control-source` fields.
struct ControlSourceCounters {
  uint64_t requests = 0;  // authenticated requests (all methods)
  uint64_t add_requests = 0, criteria_added = 0, criteria_addition_failed = 0;
  uint64_t delete_requests = 0, criteria_deleted = 0, criteria_deletion_failed = 0;
  uint64_t criteria_deleted_timeout_idle = 0, criteria_deleted_timeout_total = 0;
  uint64_t criteria_deleted_packets = 0, criteria_deleted_bytes = 0, criteria_deleted_congestion = 0;
  uint64_t refresh_requests = 0, criteria_refreshed = 0, criteria_refresh_failed = 0;
  uint64_t list_requests = 0, list_success = 0, list_failed = 0;
  uint64_t noop_requests = 0, noop_success = 0, noop_failed = 0;
  uint64_t other_requests = 0;  // unknown methods / unparsable command lines (answered 400/501/505)
  uint64_t bad_request = 0;     // 400 replies
  uint64_t response_successful = 0, response_improper_criteria = 0, response_unknown_content_dest = 0,
           response_unknown_criteria_id = 0, response_improper_timeout = 0, response_internal_error = 0,
           response_not_implemented = 0, response_version_not_supported = 0, response_max_criteria = 0;
  // Silent drops (never answered, reference §1.6): counted against the named control source.
  uint64_t response_invalid_authentication = 0, response_invalid_sequence_number = 0;
  uint64_t unauthorized_source = 0;  // source address / service port not allowed
  uint64_t notifications = 0, notification_restart = 0, notification_rollover = 0, notification_noop = 0,
           notification_timeout = 0, notification_congestion = 0, notification_congestion_delete = 0,
           notification_duplicates_dropped = 0;
  uint64_t duplicates_dropped = 0;  // copies dropped by max-duplicates for this source's criteria

  template <class F>
  void visit(F&& f) const {
#define DFC_CS_FIELD(x) f(#x, x);
    DFC_CS_FIELD(requests) DFC_CS_FIELD(add_requests) DFC_CS_FIELD(criteria_added)
    DFC_CS_FIELD(criteria_addition_failed) DFC_CS_FIELD(delete_requests) DFC_CS_FIELD(criteria_deleted)
    DFC_CS_FIELD(criteria_deletion_failed) DFC_CS_FIELD(criteria_deleted_timeout_idle)
    DFC_CS_FIELD(criteria_deleted_timeout_total) DFC_CS_FIELD(criteria_deleted_packets)
    DFC_CS_FIELD(criteria_deleted_bytes) DFC_CS_FIELD(criteria_deleted_congestion)
    DFC_CS_FIELD(refresh_requests) DFC_CS_FIELD(criteria_refreshed) DFC_CS_FIELD(criteria_refresh_failed)
    DFC_CS_FIELD(list_requests) DFC_CS_FIELD(list_success) DFC_CS_FIELD(list_failed)
    DFC_CS_FIELD(noop_requests) DFC_CS_FIELD(noop_success) DFC_CS_FIELD(noop_failed)
    DFC_CS_FIELD(other_requests) DFC_CS_FIELD(bad_request) DFC_CS_FIELD(response_successful)
    DFC_CS_FIELD(response_improper_criteria) DFC_CS_FIELD(response_unknown_content_dest)
    DFC_CS_FIELD(response_unknown_criteria_id) DFC_CS_FIELD(response_improper_timeout)
    DFC_CS_FIELD(response_internal_error) DFC_CS_FIELD(response_not_implemented)
    DFC_CS_FIELD(response_version_not_supported) DFC_CS_FIELD(response_max_criteria)
    DFC_CS_FIELD(response_invalid_authentication) DFC_CS_FIELD(response_invalid_sequence_number)
    DFC_CS_FIELD(unauthorized_source) DFC_CS_FIELD(notifications) DFC_CS_FIELD(notification_restart)
    DFC_CS_FIELD(notification_rollover) DFC_CS_FIELD(notification_noop) DFC_CS_FIELD(notification_timeout)
    DFC_CS_FIELD(notification_congestion) DFC_CS_FIELD(notification_congestion_delete)
    DFC_CS_FIELD(notification_duplicates_dropped) DFC_CS_FIELD(duplicates_dropped)
#undef DFC_CS_FIELD
  }
};

struct ControlSourceStats {
  std::string group, id;
  ControlSourceCounters counters;
  uint64_t dynamic_criteria_active = 0, static_criteria_active = 0;
  uint64_t add_request_rate = 0, add_request_peak_rate = 0;  // ADDs per second (last full second / peak)
  uint64_t aggr_criteria_bandwidth = 0;                      // bit/s, 10-s average over its criteria
  bool has_sequence_number = false;
  uint64_t sequence_number = 0;                              // highest accepted Seq
};

// jnxDfcCDTable.
struct ContentDestinationStats {
  std::string group, id;
  uint64_t criteria = 0;         // active criteria pointing at it
  uint64_t byte_rate = 0;        // bytes/s, 10-s average of matched traffic
  uint64_t matched_packets = 0, matched_bytes = 0;
  uint64_t congestion_notifications = 0;
  bool soft_congested = false;
  uint64_t soft_episodes = 0, soft_cleared = 0;  // soft-limit exceeded / cleared (soft-limit-clear)
};

// Card-wide control-protocol counters (`show ... statistics`, control protocol drops).
struct ServerCounters {
  uint64_t control_packets = 0;
  uint64_t not_dtcp = 0;                   // unparsable, or a status line (not a request); a wrong
                                           // service port counts as unauthorized_control_source
  uint64_t unknown_control_source = 0;     // silent
  uint64_t unauthorized_control_source = 0;  // silent: source address or service port not allowed
  uint64_t bad_authentication = 0;         // silent
  uint64_t bad_sequence = 0;               // silent
  uint64_t bad_request = 0;                // answered 400
  uint64_t bad_command_line = 0;           // answered 505 (version mismatch)
  uint64_t replies_sent = 0, reply_packets_sent = 0, notifications_sent = 0;
  uint64_t tx_dropped = 0;                 // Hal::transmit refused
  template <class F>
  void visit(F&& f) const {
    f("control_packets", control_packets); f("not_dtcp", not_dtcp);
    f("unknown_control_source", unknown_control_source);
    f("unauthorized_control_source", unauthorized_control_source);
    f("bad_authentication", bad_authentication); f("bad_sequence", bad_sequence);
    f("bad_request", bad_request); f("bad_command_line", bad_command_line);
    f("replies_sent", replies_sent); f("reply_packets_sent", reply_packets_sent);
    f("notifications_sent", notifications_sent); f("tx_dropped", tx_dropped);
  }
};

enum class DeleteReason { Explicit, TimeoutIdle, TimeoutTotal, TimeoutPackets, TimeoutBytes, Congestion };

// A read-only view of one criterion (reports, tests).
struct CriterionInfo {
  uint32_t criteria_id = 0;
  std::string csource_id, cdest_id, csource_address;
  uint32_t priority = 0;  // total
  bool is_static = false, send_async = false;
  uint64_t timeout_idle = 0, timeout_total = 0, timeout_packets = 0, timeout_bytes = 0;  // 0 = none
  uint64_t matching_packets = 0, matching_bytes = 0;
  uint32_t num_refresh = 0;
  fw::RuleId rule = 0;
  size_t terms = 0;
};

class Server {
 public:
  struct Options {
    size_t max_reply_payload = 1400;     // LIST replies are split at this UDP payload size
    size_t max_terms_per_criterion = 1024;
    size_t max_criteria = 0;             // 0: limited by the classifier only
    // With more than one control source configured, one source may hold at most this percentage
    // of max_criteria (when set) and of the classifier's entries; 0 = no per-source limit.
    uint32_t max_source_share_percent = 50;
    uint32_t first_criteria_id = 1;      // where Criteria-ID allocation starts (tests of the wrap)
  };

  // cfg, hal and cls must outlive the server (it keeps references).
  Server(const config::DfcConfig& cfg, Hal& hal, fw::ClassifierDriver& cls);
  Server(const config::DfcConfig& cfg, Hal& hal, fw::ClassifierDriver& cls, Options opt);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // A UDP datagram arrived on unit 0 (p.data = UDP payload; src/dst ip/port set):
  // on_admitted(p, admit(p)).
  void on_datagram(const Packet& p);

  // ---- a datagram in two steps (docs/firmware-concurrency.md §4 rule 11) ----
  // admit() runs the checks that read only the configuration and the datagram -- parsing, the
  // control source by Csource-ID and its address rules, the HMAC -- and writes nothing shared,
  // so the firmware runs it outside the criteria lock: the bulk of a request's instructions and
  // its wait for the security engine then no longer stop every core's packet accounting.
  // on_admitted() needs the lock: it counts the datagram (or its refusal), checks the Seq
  // window and handles the request.
  struct CsState;
  struct Admission {
    enum class Outcome { Admitted, NotDtcp, UnknownSource, Unauthorized, BadAuthentication };
    Outcome outcome = Outcome::NotDtcp;
    std::optional<Message> m;
    CsState* cs = nullptr;  // Admitted, BadAuthentication: the source; Unauthorized: the first of that name
    // Admitted: what the request's checks (and an ADD's parameters and match terms) come to,
    // worked out from the message and the configuration alone, for on_admitted to use.
    struct Prepared;
    std::unique_ptr<Prepared> prep;
    Admission();
    ~Admission();
    Admission(Admission&&) noexcept;
    Admission& operator=(Admission&&) noexcept;
  };
  Admission admit(const Packet& p) const;
  // What on_admitted may leave for after the lock: a LIST answer, snapshotted under it, to pack
  // without it (format_deferred) and queue under it again (queue_deferred). Without `later`,
  // on_admitted does both at once.
  struct ListJob;
  struct Deferred {
    Deferred();
    ~Deferred();
    Deferred(Deferred&&) noexcept;
    Deferred& operator=(Deferred&&) noexcept;
    std::unique_ptr<ListJob> list;
  };
  void on_admitted(const Packet& p, const Admission& a, Deferred* later = nullptr);
  void format_deferred(Deferred& d) const;  // reads the snapshot and the configuration only
  void queue_deferred(Deferred& d);          // under the criteria lock
  // A multi-core card's way: the answer is handed to the server under the lock (defer_list),
  // and whichever thread next finds time packs it, at most max_entries entries a call
  // (pack_lists, without the lock; one thread at a time), and queues it when it is whole. The
  // control thread then goes on to the next request, and no request waits behind more than
  // one chunk of a long answer. A LIST answer may therefore leave after the replies to later
  // requests. pack_lists returns true if it packed anything.
  void defer_list(Deferred& d);  // under the criteria lock
  bool pack_lists(size_t max_entries);
  // The Hal timer fired (or any time: expired criteria are removed, the timer re-armed).
  void on_timer();

  // ---- transmit outside the criteria lock (docs/firmware-concurrency.md, §4 rule 9, §5) ----
  // Deferred: replies and notifications are built where they arise (under the criteria lock,
  // from the shared state) and queued in one FIFO; their transmit cost (signing and packet
  // build, work ControlMessage + ControlByte per byte) and the transmit happen at flush_transmit(), which
  // the firmware calls after it releases the criteria lock (never with it held: it takes the
  // lock itself). A large LIST answer then no longer holds every other core's packet
  // accounting for its whole length. Producers push under HW_LOCK_CRITERIA; one consumer at
  // a time (an atomic exchange on a busy flag) pops each message under the lock and signs and
  // sends it outside; a core that finds another one sending does not wait for it, since that
  // one sends everything queued. So messages leave in the order the server produced them (a
  // reply never overtakes the reply to an earlier request, except a LIST answer packed by
  // pack_lists, which leaves when it is whole), nothing pushed meanwhile is left
  // behind, and no core stalls behind a long LIST. Off by default.
  void set_deferred_transmit(bool on) { defer_tx_ = on; }
  // Sends up to max_messages queued messages; true if it sent anything.
  bool flush_transmit(size_t max_messages = SIZE_MAX);

  // ---- pipeline -> control plane ----
  using MatchedCriterion = fw::CriterionView;
  // nullptr if the rule is not (any more) a criterion. Valid until the next call that can
  // delete criteria (on_datagram, on_timer, account_hit).
  const MatchedCriterion* criterion_for_rule(fw::RuleId) const;
  // One matching packet of `bytes` for this rule's criterion: counts it, and deletes the
  // criterion (after counting) when Timeout-Packets / Timeout-Bytes is exhausted.
  void account_hit(fw::RuleId, uint32_t bytes);
  // One copy to this rule's criterion's destination (the criterion represented it): the
  // destination bandwidth behind the congestion limits.
  void account_copy(fw::RuleId, uint32_t bytes);
  // Increments on every classifier install/remove.
  // Read by every data thread without the lock (docs/firmware-concurrency.md §4 rule 4):
  // a 32-bit atomic (LL/SC on the card), bumped with release ordering after each change.
  // Only compared for equality, so its wrap is harmless.
  uint64_t criteria_version() const { return version_.load(std::memory_order_acquire); }
  // A copy for one of this control source's criteria was dropped by max-duplicates: counted,
  // and a DuplicatesDropped (598) notification is sent at most once per
  // duplicates-dropped-periodicity while drops continue.
  void duplicates_dropped(const std::string& csource_id);  // the first source of that id
  void duplicates_dropped_for_criterion(uint32_t criteria_id);  // the criterion's source

  // ---- overload / operator ----
  // Sends Restart (599) to every control source's notification targets.
  void announce_restart(std::string_view alert_info);
  // The card restarted: every criterion is lost (removed from the classifier), congestion
  // state cleared, then Restart (599) to every notification target. Seq windows persist
  // (reference §1.7), so the first request after a restart is judged against the window.
  void restart(std::string_view alert_info);
  uint64_t restarts() const { return restarts_; }
  // Evaluates the soft/hard bandwidth limits of every content destination now (also done on
  // every timer and after each 1-s bucket of hits): Congestion (580) when the 10-s average
  // exceeds soft-limit (once per episode, cleared below soft-limit-clear), and above hard-limit
  // deletes criteria (newest, lowest-priority first; STATIC included) with CongestionDelete
  // (680) until the estimate falls below hard-limit-target; only criteria carrying copies to
  // the destination are candidates.
  void check_congestion();
  void reset_sequence(std::string_view csource_id);  // operator reset of the Seq window
  // Deletes a criterion as the card would (e.g. for tests of notifications). False if unknown.
  bool delete_criterion(uint32_t criteria_id, DeleteReason why);

  // ---- reports ----
  const ServerCounters& counters() const { return counters_; }
  std::vector<ControlSourceStats> control_source_stats() const;
  std::vector<ContentDestinationStats> content_destination_stats() const;
  std::vector<CriterionInfo> criteria() const;  // ordered by criteria id
  size_t active_criteria() const;
  std::string control_address() const { return control_addr_; }

 private:
  struct Criterion;
  struct CdState;
  struct Request;     // one request being handled (server_internal.hpp)
  struct Reply;
  struct MethodDef;   // one row of the method table (server.cpp)
  struct AddRequest;  // an ADD's checked parameters (handlers.cpp)
  using Params = std::vector<std::pair<std::string, std::string>>;

  // Requests (server.cpp): the method table, the checks every request passes, the counters.
  void handle(CsState& cs, const Packet& p, const Message& m, uint64_t seq, Deferred* later, Admission::Prepared& prep);
  void format_list(ListJob& job) const { pack_list(job, SIZE_MAX); }
  bool pack_list(ListJob& job, size_t max_entries) const;  // true: packed whole
  void queue_list(ListJob& job);
  static const MethodDef* method_def(std::string_view method);
  Reply check_request(const Message& m, const MethodDef* md, Version& v) const;
  void prepare(Admission& a) const;
  void count_reply(CsState& cs, const MethodDef* md, int status);
  // The handlers (handlers.cpp), one per method.
  Reply do_add(Request& rq);
  Reply do_delete(Request& rq);
  Reply do_refresh(Request& rq);
  Reply do_list(Request& rq);
  Reply do_noop(Request& rq);
  // ADD's steps: its parameters, the capacity checks and the install, the new criterion.
  int parse_add(const Message& m, Version v, const CsState& cs, AddRequest& a, Params& err) const;
  int install_rule(CsState& cs, Version v, AddRequest& a, Params& err);
  uint32_t keep_criterion(Request& rq, AddRequest& a);
  int select_targets(const CsState& cs, const Message& m, Version v, std::vector<uint32_t>& ids, Params& err);

  void send_reply(CsState& cs, const Packet& req, Version v, const Reply& r, uint64_t seq);
  void transmit_to(const std::string& ip, uint16_t port, uint16_t src_port, std::string_view data, const HmacKey& key,
                   bool bulk = false);
  void notify(CsState& cs, int status, const std::vector<std::pair<std::string, std::string>>& params);
  void remove(uint32_t id, DeleteReason why, bool notify_timeout);
  void rearm();
  std::optional<uint64_t> deadline(const Criterion& c) const;
  void append_timestamp(std::string& out, uint64_t ns) const;  // "YYYY-MM-DD HH:MM:SS.mmm", appended
  static constexpr size_t kTimestampMax = 48;  // room format_timestamp needs (any 64-bit year)
  size_t format_timestamp(char* out, uint64_t ns) const;       // the same text, its length
  CdState* cdest(const CsState& cs, std::string_view id) const;  // reads the configuration only
  static bool authorized(const CsState& cs, const Packet& p);
  void duplicates_dropped(CsState& cs);
  uint32_t allocate_id();
  bool within_share(const CsState& cs, size_t more_criteria, size_t more_entries) const;

  const config::DfcConfig& cfg_;
  Hal& hal_;
  fw::ClassifierDriver& cls_;
  Options opt_;
  ServerCounters counters_;
  std::vector<std::unique_ptr<CsState>> cs_;
  std::vector<std::unique_ptr<CdState>> cd_;
  std::map<uint32_t, std::unique_ptr<Criterion>> criteria_;  // by criteria id
  std::unordered_map<fw::RuleId, Criterion*> by_rule_;
  uint32_t next_id_ = 1;
  uint64_t restarts_ = 0;
  uint64_t next_added_seq_ = 1;
  std::atomic<uint32_t> version_{0};
  uint64_t armed_at_ = ~0ull;
  std::string control_addr_ = "0.0.0.0";
  bool defer_tx_ = false;
  // A message built under the lock, signed at flush_transmit outside it (key: the source's).
  struct Outgoing {
    Packet p;  // data: the text up to the signature
    const HmacKey* key;
  };
  std::deque<Outgoing> outbox_;        // built, not yet signed and sent (FIFO); under the lock
  // LIST answers' packets (FIFO), sent only when outbox_ is empty: a one-packet reply or a
  // notification does not wait behind a long LIST (firmware-concurrency.md §4 rule 12).
  std::deque<Outgoing> bulk_;          // under the lock, as outbox_
  std::atomic<uint32_t> queued_{0};    // outbox_.size() + bulk_.size(), for the lock-free "empty?" test
  std::atomic<uint32_t> tx_busy_{0};   // 1: a core is draining outbox_ (exchange: test-and-set)
  std::deque<std::unique_ptr<ListJob>> lists_;  // LIST answers to pack (FIFO); under the lock
  std::atomic<uint32_t> lists_n_{0};   // lists_.size(), for the lock-free "empty?" test
  std::atomic<uint32_t> packing_{0};   // 1: a core is packing lists_.front() (test-and-set)
  // Time-based deadlines (idle/total), a lazy min-heap of (deadline, criteria id): pushed
  // when a criterion is added or refreshed; an entry that no longer matches its criterion is
  // dropped (criterion gone, or a REFRESH pushed a newer one) or moved to the later deadline
  // (hits push the idle deadline back) when it reaches the top. So the next deadline costs
  // O(log n) instead of a scan of every criterion per request (docs/performance.md, P4).
  std::priority_queue<std::pair<uint64_t, uint32_t>, std::vector<std::pair<uint64_t, uint32_t>>,
                      std::greater<>> deadlines_;
  void push_deadline(const Criterion& c);
  // Packets pass by reference down to the HAL: each move of a Packet copies its address
  // strings (kept inside the string objects) on the card.
  void send_out(Packet&& p, const HmacKey& key, bool bulk = false);  // p.data: the text up to the signature
  bool sign_and_transmit(Packet&& p, const HmacKey& key);
};

}  // namespace dfc::dtcp
