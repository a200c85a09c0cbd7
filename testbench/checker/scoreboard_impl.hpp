// Private to the scoreboard: the records it keeps and the state its parts share.
//   scoreboard_recorder.cpp  — the on_* entry points, reply matching, the online driver and the
//                              comparison of predicted with emitted copies;
//   scoreboard_predictor.cpp — the reference: criteria from DTCP, presence windows and each
//                              packet's predicted copies;
//   scoreboard_control.cpp   — DELETE/REFRESH: selection over [request, reply], Criteria-Count;
//   scoreboard_match.cpp     — the indexed match (MatchIndex, the per-flow cache);
//   scoreboard_timeouts.cpp  — packet/byte counts, 390 checks, timeouts never notified;
//   scoreboard_congestion.cpp — the reference's own 10-s destination rates and its prediction
//                              of Congestion (580) and CongestionDelete (680) notifications;
//   scoreboard_coverage.cpp  — functional coverage (DTCP, criteria forms, packets, depths).
// No firmware header may be included here (test `testbench.scoreboard_independent`).
#pragma once
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/scoreboard.hpp"
#include "refmodel.hpp"

namespace dfc::tb::sbi {
using nlohmann::json;

inline constexpr uint64_t kPsPerSec = 1'000'000'000'000ull;
inline constexpr size_t kMaxEnumerated = 8;  // ambiguous criteria per packet resolved exhaustively
inline constexpr size_t kMaxErrors = 20;

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline void bump(json& j, const std::string& key, uint64_t n) {
  if (!j.is_object()) j = json::object();
  j[key] = j.value(key, uint64_t{0}) + n;
}

inline std::string us(uint64_t ps) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  o << static_cast<double>(ps) / 1e6 << "us";
  return o.str();
}

inline std::string ipv4_text(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255);
}

inline std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(v);
  while (std::getline(is, cur, ',')) {
    const size_t b = cur.find_first_not_of(" \t"), e = cur.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
  }
  return out;
}

// What the answer predictor (scoreboard_answers.cpp) reads from a request's raw bytes, taken
// when it is reported (the parsed Message drops what it cannot read).
struct RawRequest {
  std::string first_line;
  std::vector<std::string> names;      // lower-cased parameter names before Authentication-Info
  std::vector<std::string> bad_lines;  // lines that are not `Name: value`
  bool has_auth = false, auth_ok = false, key_known = false;
};
struct Request {
  // t: when the request takes effect: its arrival, or when a core took it if the card said so
  // (on_request_taken, before the replay reached it); t_arrival: its arrival, always.
  uint64_t t = 0, call = 0, t_arrival = 0;
  bool taken = false;
  std::string cs;
  std::optional<ref::Message> msg;
  int reply = -1;  // index into replies
  RawRequest raw;
  size_t bytes_hash = 0;  // of the text as sent: a drop report names the request by it
  std::string dropped;    // why the card dropped it at ingress ("" = delivered)
  // Online: why the check stopped waiting for its reply ("" = it did not stop: answered, or
  // never waited for); a reply matched to it later is an error.
  std::string released;
};
// The answer the reference predicts for one request: no reply (a silent drop, dtcp.md §1.6)
// or one of `codes` (several when the request has several faults and the protocol does not
// order them, or when the card's criteria capacity is left open: 200 or 550).
// What the reference decides about a well-formed ADD's capacity (scoreboard_capacity.cpp).
enum class Cap { None, Fits, Full, Either, Unknown };
struct Answer {
  bool judged = false, silent = false;
  std::vector<int> codes;
  std::string why;
  // Predicted (online, while the check waited for the reply) before the reply's time was
  // known: an ADD/DELETE/REFRESH is predicted again once it is (criteria may expire before it).
  bool before_reply = false;
  int minor = -1;  // the request's DTCP minor version, once its method was judged
  Cap cap = Cap::None;  // a well-formed ADD: can the card hold it (why: cap_why)
  std::string cap_why;
};
// A criterion's classifier entries as the reference bounds them: hi == kNoBound when its
// filter's encoding (ranges, negations) is not one the reference counts exactly.
struct Entries {
  static constexpr uint64_t kNoBound = ~uint64_t{0};
  uint64_t lo = 0, hi = 0;
  uint64_t terms = 0, terms_hi = 0;  // the filter's terms (cross product; with exclusions: up to terms_hi)
};
struct Reply {
  uint64_t t = 0, call = 0;
  std::string cs;
  std::optional<ref::Message> msg;
};
struct Notification {
  uint64_t t = 0, call = 0;
  std::string cs;
  std::optional<ref::Message> msg;
  std::vector<size_t> crits;  // criteria it names (resolved in finish)
  bool rechecked = false;     // judged once more after the packets finishing around it
};
struct Pkt {
  uint64_t t = 0, call = 0, id = 0;
  uint64_t t_done = 0;  // when the card finished it (its hits are counted then): >= t
  bool done = false;  // online: the card finished with it (all its copies reported)
  ref::ParsedPacket pp;
  std::vector<uint8_t> ip;  // the IP datagram (header to total length)
};
struct CopyRec {
  uint64_t t = 0, id = 0;
  std::string cdest;  // destination key (ScoreboardConfig::cdests)
  std::vector<uint8_t> data;
};

struct Crit {
  std::string cs, group;  // control source and its capture group (max-duplicates applies per group)
  uint64_t id = 0;
  std::vector<std::string> cdests;
  ref::Filter f;
  uint32_t prio = 1;     // total priority (Priority + minimum-priority); lower wins
  uint64_t order = 0;    // add order (index)
  bool is_static = false, send_async = false;
  uint64_t t_add = 0, install_end = 0;
  uint64_t to_idle = 0, to_total = 0, to_packets = 0, to_bytes = 0;  // 0 = none
  // dynamic state
  bool active = false, gone = false;
  std::string gone_reason;
  uint64_t gone_t = 0;
  // Timeout bases: the firmware starts them while handling the ADD/REFRESH (between the
  // request's arrival and its reply), so each is an interval [base, base_hi].
  uint64_t total_base = 0, idle_base = 0, total_base_hi = 0, idle_base_hi = 0, n_packets = 0, n_bytes = 0;
  uint64_t gone_t_hi = 0;
  // Packet/byte counts near a REFRESH that resets them: the card resets while handling the
  // request, at some time in [reset_lo, reset_hi] (request arrival .. reply + slack), and
  // counts a packet when it is done with it. A packet the model counts after the reset but
  // done before reset_hi may have been counted before it on the card (over); one the model
  // counted before and wiped, but done after reset_lo, may count after it on the card
  // (under). The card's count is then in [n - over, n + under]: the timeout is certain once
  // the low end reaches the limit, and ambiguous (count_window, from count_amb_t) before.
  uint64_t reset_lo = 0, reset_hi = 0, pk_over = 0, pk_under = 0, by_over = 0, by_under = 0;
  std::deque<std::pair<uint64_t, uint64_t>> recent;  // (t_done, bytes) of counted packets not yet done
  std::optional<uint64_t> count_amb_t;
  std::string count_amb_kind;
  std::optional<uint64_t> del_start, del_end;
  std::optional<uint64_t> notified_t;
  int notified_code = 0;
  bool timeout_notified = false;

  std::string name() const { return cs + "#" + std::to_string(id); }
  // Earliest (hi=false) or latest (hi=true) possible time-based deadline.
  std::optional<uint64_t> deadline(bool hi = false) const {
    if (is_static) return std::nullopt;
    std::optional<uint64_t> d;
    if (to_total) d = (hi ? total_base_hi : total_base) + to_total * kPsPerSec;
    if (to_idle) {
      const uint64_t i = (hi ? idle_base_hi : idle_base) + to_idle * kPsPerSec;
      d = d ? std::min(*d, i) : i;
    }
    return d;
  }
  const char* deadline_kind() const {
    if (to_total && (!to_idle || total_base + to_total * kPsPerSec <= idle_base + to_idle * kPsPerSec))
      return "total";
    return "idle";
  }
};

enum class Pres { Absent, Present, Ambiguous };
struct Presence {
  Pres p = Pres::Absent;
  bool nominal = false;     // for Ambiguous: the point estimate
  const char* why = "";     // which window made it ambiguous / why absent
};

// A criterion matching a packet that may be in force, and how sure the reference is.
struct Candidate {
  size_t ci;
  Presence pr;
};

// The criteria of its source a DELETE/REFRESH selects: `definite` certainly in force (their
// indices in definite_idx), `maybe` ambiguous; `chosen` = those the request acts on.
struct ControlSelection {
  uint64_t definite = 0, maybe = 0;
  std::vector<size_t> chosen, definite_idx;
  // in force at the request but may have expired on their own before the card handled it
  // (between the request and its reply): counted in `maybe`
  std::vector<size_t> expiring;
  // expiring ones the reply's count cannot settle: a DELETE deletes them (gone after the
  // reply either way); a REFRESH refreshes them with their count left ambiguous (count_window)
  std::vector<size_t> undecided;
};

struct Outcome {
  std::vector<std::string> selected;  // cdests in selection order
  std::vector<size_t> reps;           // per selected cdest: its representative (best) criterion
  uint64_t maxdup_dropped = 0;
  bool ambiguous = false;
  bool undecided = false;  // packet the model takes no position on: any cdest accepted
  std::vector<size_t> present;  // the criteria taken as in force, only when max-duplicates dropped some
  std::string matched;     // criteria that matched, for messages
};

// The indexed reference match: each criterion is filed under the most selective of its
// destination address, source address or protocol — by exact address when its positive
// address entries are single addresses, else per /16 of the address, else per protocol value —
// or in a short list of criteria that constrain none of them. A packet is compared only with
// the criteria of its own buckets plus that list. Built from the criteria text by the
// reference itself (no firmware code).
class MatchIndex {
 public:
  void add(uint32_t crit, const ref::Filter& f);
  // Appends to out the criteria that may match (a superset; filter_matches decides).
  void candidates(const ref::Headers& h, std::vector<uint32_t>& out) const;
  size_t wide() const { return any_.size(); }

 private:
  static constexpr size_t kMaxBuckets = 64;  // wider entries go to the next field / the list
  struct AddrKey {
    ref::Addr a{};
    bool v6 = false;
    bool operator==(const AddrKey& o) const { return v6 == o.v6 && a == o.a; }
  };
  struct AddrKeyHash {
    size_t operator()(const AddrKey& k) const;
  };
  using Exact = std::unordered_map<AddrKey, std::vector<uint32_t>, AddrKeyHash>;
  static bool add_exact(Exact& m, const std::optional<std::vector<ref::AddrEntry>>& f, uint32_t crit);
  Exact dst_exact_, src_exact_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> dst_, src_;  // (v6 << 16 | top 16 bits)
  std::vector<std::vector<uint32_t>> proto_ = std::vector<std::vector<uint32_t>>(256);
  std::vector<uint32_t> any_;
};

// One ingress-ordered event for the replay.
struct Ev {
  uint64_t t = 0, call = 0;
  // 0 request, 1 notification (390), 2 packet, 3 deferred Criteria-Count check,
  // 4 congestion-related notification (580, 680, 599)
  int kind = 0;
  size_t idx = 0;  // request / notification index; packet: key in Impl::pkts
};

// Copy bytes one criterion carried to one destination, per second (docs/scoreboard.md
// "Congestion"): the last 11 seconds are kept (the 10-s window, and the one before it for a
// notification sent just after a second boundary).
struct SecWindow {
  std::deque<std::pair<uint64_t, uint64_t>> secs;  // (second, bytes), oldest first
  void add(uint64_t sec, uint64_t bytes);
  uint64_t sum(uint64_t sec) const;  // bytes of seconds sec-9 .. sec
};
struct RateRange {  // bit/s; lo counts criteria certainly in force, hi also the ambiguous ones
  double lo = 0, hi = 0;
};
// The reference's view of one destination with a soft and/or hard limit.
struct CgDest {
  std::map<size_t, SecWindow> crit;  // criterion -> its copies to this destination
  enum Soft { Clear, Congested, Unknown } soft = Clear;  // the card's soft-congestion state
  std::optional<uint64_t> soft_due, hard_due;  // a 580 / 680 must have come by then
  double due_rate = 0, hard_due_rate = 0;
  uint64_t due_recipients = 0;
  RateRange start;  // rate at the start of the current second
  // the 580s of one evaluation (one onset): expected and notified sources
  bool onset_open = false, onset_definite = false;
  bool hard_missed = false;  // a missing 680 was reported: not again until the rate falls
  uint64_t onset_t = 0;
  std::set<std::string> onset_expected, onset_got;
  std::optional<size_t> purge;  // open 680 group (index into Impl::purges)
  std::optional<uint64_t> last_purge_t;
  double peak = 0;
  uint64_t onsets = 0, purges = 0;
};
// The 680s of one evaluation: the criteria the card deleted, and the reference's rates then.
struct PurgeGroup {
  std::string cdest;
  uint64_t t = 0;
  std::set<size_t> deleted;
  std::set<std::string> sources;
  uint64_t notes = 0;
  RateRange at;
  std::map<size_t, double> contrib;  // criterion -> its copy rate to the destination (bit/s)
  bool due = false;                  // the reference had required it
};

}  // namespace dfc::tb::sbi

namespace dfc::tb {

struct Scoreboard::Impl {
  using Request = sbi::Request;
  using Reply = sbi::Reply;
  using Notification = sbi::Notification;
  using Pkt = sbi::Pkt;
  using CopyRec = sbi::CopyRec;
  using Crit = sbi::Crit;
  using Presence = sbi::Presence;
  using Outcome = sbi::Outcome;
  using json = nlohmann::json;

  ScoreboardConfig cfg;
  uint64_t calls = 0;
  bool finished = false;
  // online mode: events up to (latest ingress time - lag) are checked and forgotten
  bool online = false;
  uint64_t lag_ps = 0, watermark = 0, prev_ingress = 0;

  // control plane (kept for the run: it grows with DTCP traffic, not with packets)
  std::vector<Request> requests;
  std::vector<Reply> replies;
  std::vector<Notification> notifications;
  std::map<std::string, std::vector<size_t>> open_requests;  // per source, unanswered, in order
  std::vector<Crit> crits;
  std::map<size_t, size_t> crit_of_req;  // request index -> criterion it added
  std::map<std::pair<std::string, uint64_t>, std::vector<size_t>> crits_by_id;

  // data plane (bounded by the window in online mode)
  std::map<std::pair<uint64_t, uint64_t>, sbi::Ev> queue;  // (t, call) -> event not yet replayed
  // A DELETE/REFRESH whose Criteria-Count the model could not confirm when the request
  // arrived: re-judged once its reply time has passed (Ev kind 3), when it is known which
  // selected criteria may have timed out by packets/bytes before the card handled it.
  struct PendingCount {
    std::string where, reported;
    uint64_t t_req = 0, n = 0, definite = 0, maybe = 0;
    std::vector<size_t> definite_idx;
  };
  std::vector<PendingCount> pending_counts;
  void check_pending_count(size_t i);
  std::unordered_map<uint64_t, Pkt> pkts;                  // call -> packet
  std::unordered_map<uint64_t, uint64_t> pkt_call;         // packet id -> call (pending ones)
  std::unordered_map<uint64_t, std::string> dropped;       // packet id -> reason (pending ones)
  std::unordered_map<uint64_t, std::vector<CopyRec>> copies;  // packet id -> copies (pending ones)
  std::unordered_map<uint64_t, std::map<std::string, std::string>> copy_dropped;  // id -> cdest -> why
  std::map<std::string, uint64_t> copy_drops;
  bool copy_drops_given = false;
  size_t pending_peak = 0;
  uint64_t t_last = 0;
  // The longest time the card took over one packet so far (taken to done): how far past a
  // packet's done time another packet still in the card may have been taken.
  uint64_t max_proc_ps = 0;

  // reference match
  sbi::MatchIndex index;
  struct CacheEntry {
    std::vector<uint32_t> hits;
    uint32_t upto = 0;  // criteria [0, upto) were considered
  };
  std::unordered_map<std::string, CacheEntry> cache;
  std::vector<uint32_t> scratch;

  Result res;
  json cov = json::object();
  // Per-packet coverage is counted in plain counters on the hot path and written into `cov`
  // once, by flush_packet_coverage(): a JSON lookup by string key per packet cost ~5 % of a run.
  struct PacketCounters {
    enum Kind { NotIp, Mpls, Undecided, Ipv4, Ipv6, Vlan, V6Ext, FragFirst, FragNonfirst, WithPorts, Icmp, N };
    std::array<uint64_t, N> kind{};
    std::map<std::string, uint64_t> named;  // "dropped_<why>", "bad_<why>": rare, open-ended
    std::vector<uint64_t> depth_criteria, depth_destinations;  // index = depth
  } pcov;
  uint64_t maxdup_predicted = 0, maxdup_slack = 0;

  void error(const std::string& e) {
    ++res.error_count;
    if (res.errors.size() < sbi::kMaxErrors) res.errors.push_back(e);
  }

  // recorder
  void drop_request(uint64_t t, const std::string& cs, const std::string& bytes, const std::string& reason);
  void request_taken(uint64_t t, const std::string& cs, const std::string& bytes, uint64_t t_taken);
  void control_reply(size_t reply_idx);
  void control_notification(size_t n_idx);
  void pump(uint64_t upto);  // replays queued events with t <= upto
  // Online: is request qi (at the head of the replay) still owed a reply the check must wait for?
  bool awaiting_reply(size_t qi);
  uint64_t held_requests = 0, hold_peak_ps = 0;  // requests that held the check; longest wait
  size_t last_held = ~size_t{0};
  std::map<std::string, uint64_t> hold_released;  // why a request stopped holding unanswered
  void ingress(uint64_t t);  // online: an arrival was reported
  void compare_packet(const Pkt& p, const Outcome& o);
  std::optional<std::string> check_copy(const CopyRec& c, const Pkt& p) const;
  std::string copy_key(const Packet& copy) const;
  void final_checks();

  // predictor
  Presence presence(const Crit& c, uint64_t t, bool control, uint64_t t_hi = 0) const;
  void build_criterion(size_t req_idx);
  void resolve_notification(Notification& n);
  // The packet being replayed (for excuse()), and every packet an ambiguity window excused.
  const Pkt* replaying = nullptr;
  void excuse(size_t ci, const char* why, bool taken_in);
  std::pair<uint64_t, uint64_t> window_of(const Crit& c, const std::string& why) const;
  void on_request_event(size_t req_idx);
  void on_delete_or_refresh(const Request& r, bool is_delete);
  bool select_for_control(const Request& q, const std::string& where, bool is_delete, sbi::ControlSelection& s);
  bool may_expire_before_reply(const Crit& c, const Request& q) const;
  // Whether packets still in the card when p was done (taken before p's done time, done after
  // it, so not yet counted here) may have run c's packet/byte count out before p's lookup.
  bool count_may_run_out_in_flight(const Crit& c, const Pkt& p) const;
  void expired_before_reply(Crit& c, const Request& q) const;
  void check_criteria_count(const Request& q, const Reply& rp, const std::string& where, const std::string& count,
                            sbi::ControlSelection& s);
  void refresh_criterion(Crit& c, const Request& q, const Reply& rp) const;
  void count_hit(Crit& c, const Pkt& p);
  void check_timeout_notification(Notification& n, size_t ni);
  Outcome replay_packet(const Pkt& p);
  Outcome evaluate_packet(const Pkt& p, const std::set<std::string>& observed, bool count);
  void classify_hits(const Pkt& p, std::vector<sbi::Candidate>& definite, std::vector<sbi::Candidate>& ambiguous);
  std::vector<std::string> select_destinations(const std::vector<size_t>& present, uint64_t& ndrop,
                                               std::vector<size_t>& reps) const;
  std::vector<size_t> resolve_ambiguity(const std::vector<sbi::Candidate>& ambiguous,
                                        const std::set<std::string>& observed, const std::vector<size_t>& present,
                                        Outcome& o, uint64_t& ndrop);
  void count_packet(const Pkt& p, const std::vector<size_t>& present, const std::vector<sbi::Candidate>& ambiguous);
  const std::vector<uint32_t>& match(const ref::Headers& h);
  void end_of_run_checks(uint64_t t_end);

  // congestion (scoreboard_congestion.cpp)
  std::map<std::string, sbi::CgDest> cg;  // destinations with a soft or hard limit
  std::vector<sbi::PurgeGroup> purges;
  uint64_t cg_sec = 0;  // the second the replay is in
  uint64_t run_end = 0;  // on_end: the run's end
  void congestion_setup();
  void congestion_copies(const Pkt& p, const Outcome& o);
  void congestion_advance(uint64_t t);
  void congestion_notification(size_t ni);
  void congestion_finish();
  int cg_presence(const Crit& c, uint64_t t) const;  // 0 gone, 1 ambiguous, 2 in force
  sbi::RateRange cd_rate(const sbi::CgDest& st, uint64_t t, std::map<size_t, double>* contrib = nullptr) const;
  sbi::RateRange cd_rate_near(const sbi::CgDest& st, uint64_t t, std::map<size_t, double>* contrib = nullptr) const;
  void judge_second(const std::string& d, sbi::CgDest& st, uint64_t sec);
  void check_purge(size_t gi);
  void close_onset(const std::string& d, sbi::CgDest& st);
  void soft_notification(const Notification& n, const std::string& d, sbi::CgDest& st);
  void hard_notification(const Notification& n, const std::string& d, sbi::CgDest& st);
  std::set<std::string> owners(const std::string& d, uint64_t t, bool definite_only) const;
  std::vector<size_t> purge_order(const std::map<size_t, double>& contrib) const;
  std::vector<size_t> predict_purge(const std::map<size_t, double>& contrib, double target) const;

  // answers (scoreboard_answers.cpp): every reply status and notification predicted
  std::vector<sbi::Answer> answers;  // per request
  struct SeqWindow {
    bool any = false;
    uint64_t hi = 0;
    std::set<uint64_t> seen;
  };
  std::map<std::string, SeqWindow> seq_windows;  // per control source; survives a restart (§1.7)
  std::map<std::pair<std::string, int>, uint64_t> notes_expected;  // (source, 130/131) -> count
  struct DupDrops {
    uint64_t definite = 0, possible = 0;
    std::optional<uint64_t> first_definite, first_possible;
    uint64_t last_possible = 0;
  };
  std::map<std::string, DupDrops> dup_drops;  // per control source: max-duplicates drops it is told of
  uint64_t answers_unjudged = 0;
  json answer_mismatches = json::array();
  void scan_request(Request& q, const std::string& bytes) const;
  void predict_answer(size_t qi);
  sbi::Answer predict_method(const Request& q, int minor);
  void predict_add(const Request& q, int minor, std::set<int>& err);
  void predict_selector(const Request& q, int minor, bool required, std::set<int>& err);
  void refresh_timeouts(const Request& q, std::set<int>& err);
  // scoreboard_capacity.cpp: 550 (500 in DTCP/0.6) from the reference's own criteria in force
  sbi::Cap predict_capacity(const Request& q, std::string& why);
  std::vector<size_t> cap_live;  // criteria not yet gone for good (arrivals only move forward)
  size_t cap_scanned = 0;        // crits[0, cap_scanned) have been put in cap_live
  std::vector<std::optional<sbi::Entries>> cap_entries;  // per criterion, computed once
  void capacity_coverage(json& out) const;
  void record_dup_drops(const Pkt& p, const Outcome& o);
  void judge_answers();
  void judge_notifications(json& notes);
  void answer_error(const std::string& what, const std::string& req, const std::string& predicted,
                    const std::string& seen);

  // coverage
  void criteria_coverage(const Crit& c);
  void packet_coverage(const Pkt& p, bool dropped);
  void depth_coverage(const std::vector<size_t>& present);
  void dtcp_coverage();
  void flush_packet_coverage();
};

}  // namespace dfc::tb
