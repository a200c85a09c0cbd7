// Internal to the DTCP server (firmware/src/dtcp/*.cpp): the criteria store's records, the
// constants of the CPU cost model, and the helpers the request handlers, the congestion code
// and the parameter table share. Not part of the firmware's interface.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/util/text.hpp"
#include "reply_packer.hpp"

namespace dfc::dtcp {
namespace detail {

constexpr uint64_t kNsPerSec = 1'000'000'000ull;
constexpr uint64_t kDaySec = 86400;
// The server's work is declared through Hal::work (ControlOp, ControlByte, ControlMessage,
// CriterionScan); the host prices it (the card: profile keys work.control_*, docs/model.md).

using Params = std::vector<std::pair<std::string, std::string>>;

enum MethodBit : uint8_t { M_ADD = 1, M_DEL = 2, M_REF = 4, M_LIST = 8, M_NOOP = 16 };

struct ParamDef {
  std::string_view name;  // a view: looking a name up must not measure every row (strlen)
  uint8_t methods;  // requests that may carry it; 0 = reply/notification only
};

// The parameter table (params.cpp): which requests may carry each known parameter.
const ParamDef* param_def(std::string_view name);
bool is_x_param(std::string_view n);

inline bool has_ws(std::string_view s) {
  for (char c : s)
    if (c == ' ' || c == '\t') return true;
  return false;
}

// 10 one-second buckets: the 10-second average the drafts use for bandwidth.
struct RateWindow {
  std::array<uint64_t, 10> sec{};
  std::array<uint64_t, 10> bytes{};
  // Returns true when this add opened a new second.
  bool add(uint64_t now_s, uint64_t b) {
    size_t i = static_cast<size_t>(now_s % 10);
    bool fresh = sec[i] != now_s + 1;
    if (fresh) {
      sec[i] = now_s + 1;  // +1 so that the zero-initialised bucket never counts
      bytes[i] = 0;
    }
    bytes[i] += b;
    return fresh;
  }
  uint64_t sum(uint64_t now_s) const {
    uint64_t s = 0;
    for (size_t i = 0; i < 10; ++i)
      if (sec[i] != 0 && sec[i] - 1 + 10 > now_s && sec[i] - 1 <= now_s) s += bytes[i];
    return s;
  }
  uint64_t bps(uint64_t now_s) const { return sum(now_s) * 8 / 10; }
  uint64_t byte_rate(uint64_t now_s) const { return sum(now_s) / 10; }
};

constexpr unsigned F_STATIC = 1, F_SENDASYNC = 2, F_STATS = 4, F_CRITERIA = 8, F_BOTH = 16;

// Flag values are matched case-insensitively (open question 2). nullopt if one is not allowed.
std::optional<unsigned> parse_flags(std::string_view v, unsigned allowed);

struct Timeouts {
  std::optional<uint64_t> idle, total, packets, bytes;
  bool any() const { return idle || total || packets || bytes; }
};

// Parses the Timeout-* parameters present. On error fills err with the offending parameter.
bool parse_timeouts(const Message& m, Timeouts& t, Params& err);
// The Timeout-* parameters of the request, for a 433 reply.
Params timeout_echo(const Message& m);

}  // namespace detail

using detail::Params;
using detail::RateWindow;

struct Server::Criterion {
  uint32_t id = 0;
  size_t cs = 0;  // index into cs_
  size_t cd = 0;  // index into cd_
  fw::RuleId rule = 0;
  size_t terms = 0;
  size_t entries = 0;  // classifier entries its rule takes (fixed from install to removal)
  fw::CriterionView view;
  bool is_static = false, send_async = false;
  uint64_t t_idle = 0, t_total = 0, t_packets = 0, t_bytes = 0;  // as specified (0 = none)
  uint64_t added_ns = 0;
  uint64_t total_base_ns = 0;     // start of Timeout-Total (add or refresh)
  uint64_t idle_base_ns = 0;      // last hit or refresh of Timeout-Idle
  uint64_t pkts_base = 0, bytes_base = 0;
  uint64_t matching_packets = 0, matching_bytes = 0;
  uint32_t num_refresh = 0;
  uint64_t last_refresh_ns = 0;
  bool refreshed = false;
  std::string csource_address;
  Params filters;  // as originally specified, canonical names
  RateWindow rate;       // every matching packet (LIST Average-Bandwidth, aggregate bandwidth)
  RateWindow copy_rate;  // copies this criterion carried to its destination (congestion)

  // Its Timeout-* parameters as specified, through add(name, value) (LIST, notifications).
  template <class F>
  void timeouts(F&& add) const {
    if (t_idle) add("Timeout-Idle", t_idle);
    if (t_total) add("Timeout-Total", t_total);
    if (t_packets) add("Timeout-Packets", t_packets);
    if (t_bytes) add("Timeout-Bytes", t_bytes);
  }
  // What is left of each timeout at now_ns (seconds rounded up), as Remaining-* parameters.
  template <class F>
  void remaining(uint64_t now_ns, F&& add) const {
    auto secs = [&](uint64_t base, uint64_t t) -> uint64_t {
      const uint64_t dl = base + t * detail::kNsPerSec;
      return dl > now_ns ? (dl - now_ns + detail::kNsPerSec - 1) / detail::kNsPerSec : 0;
    };
    auto left = [](uint64_t used, uint64_t t) -> uint64_t { return used >= t ? 0 : t - used; };
    if (t_idle) add("Remaining-Idle", secs(idle_base_ns, t_idle));
    if (t_total) add("Remaining-Total", secs(total_base_ns, t_total));
    if (t_packets) add("Remaining-Packets", left(matching_packets - pkts_base, t_packets));
    if (t_bytes) add("Remaining-Bytes", left(matching_bytes - bytes_base, t_bytes));
  }
};

struct Server::CsState {
  const config::CaptureGroup* group = nullptr;
  uint32_t group_index = 0;
  const config::ControlSource* cfg = nullptr;
  HmacKey key;  // cfg->shared_key with its pads compressed once: every verify and sign uses it
  SeqWindow seq;
  Version notif_version = kHighestVersion;  // the version the source last used
  ControlSourceCounters c;
  std::set<uint32_t> criteria;  // ids owned
  size_t entries = 0;           // classifier entries their rules take (the share check's sum)
  uint64_t add_rate_sec = ~0ull, add_rate_count = 0, add_rate_last = 0, add_rate_peak = 0;
  uint64_t dups_last_sent_ns = 0, dups_since_sent = 0;
  bool dups_ever_sent = false;

  // One more ADD at now_ns, in the per-second ADD rate (last full second, peak).
  void count_add(uint64_t now_ns) {
    const uint64_t sec = now_ns / detail::kNsPerSec;
    if (add_rate_sec != sec) {
      if (add_rate_sec + 1 == sec) add_rate_last = add_rate_count;
      else add_rate_last = 0;
      add_rate_sec = sec;
      add_rate_count = 0;
    }
    ++add_rate_count;
    add_rate_peak = std::max(add_rate_peak, add_rate_count);
  }
};

struct Server::CdState {
  const config::CaptureGroup* group = nullptr;
  const config::ContentDestination* cfg = nullptr;
  uint64_t criteria = 0;
  uint64_t matched_packets = 0, matched_bytes = 0, congestion_notifications = 0;
  RateWindow rate;
  bool soft_congested = false;
  uint64_t soft_episodes = 0, soft_cleared = 0;
};

struct Server::Reply {
  int status = code::OK;
  Params params;
  // A refused request's reply: its status and the parameters that say why.
  static Reply error(int s, Params why) {
    Reply r;
    r.status = s;
    r.params = std::move(why);
    return r;
  }
};

// For the steps that return a status and fill `err` on failure: both at once.
inline int fail_with(Params& err, int status, Params why) {
  err = std::move(why);
  return status;
}

// One authenticated request being handled: what every handler may need, and what a handler
// hands back besides its Reply.
struct Server::Request {
  CsState& cs;
  const Packet& packet;
  const Message& m;
  Version v;      // the version the reply uses
  uint64_t seq;
  std::unique_ptr<ListJob> list;     // LIST: the answer's snapshot, packed and sent by the server
  bool send_async = false;           // a NoOp (131) notification follows the reply (NOOP)
  Admission::Prepared* prep = nullptr;  // the checks and an ADD's parse, made before the lock (admit)
};

// An ADD's parameters once checked, and what the steps after the checks produce.
struct Server::AddRequest {
  unsigned flags = 0;
  uint64_t priority = 1;  // default and minimum 1 (reference §1.8)
  CdState* cd = nullptr;
  Params filters;         // as given, canonical names (LIST echoes them)
  TermsResult terms;
  detail::Timeouts timeouts;
  uint32_t total_prio = 0;  // priority + the source's minimum-priority
  fw::RuleId rule = 0;
};

// What admit() works out before the lock (Server::prepare): the method, the request's checks
// (check_request) with the reply's version, and an ADD's parsed parameters and terms.
struct Server::Admission::Prepared {
  const MethodDef* md = nullptr;
  Version v = kHighestVersion;
  Reply check;
  std::optional<AddRequest> add;  // ADD that passed the checks: parse_add's result (no allocation of its own)
  int add_status = 0;
  Params add_err;
};

// A LIST answer: the selected criteria copied under the criteria lock (the atomic snapshot LIST
// promises), packed into packets from the copy without the lock (format_list: the bulk of a
// LIST's instructions, which the other cores' packet accounting no longer waits for), and
// queued under the lock again (queue_list). docs/firmware-concurrency.md §4 rule 11.
struct Server::ListJob {
  const CsState* cs = nullptr;
  Version v;
  uint64_t seq = 0, now = 0;
  bool want_crit = false, want_stats = false;
  // One entry: what LIST shows of a criterion, copied (the original may go once the lock is
  // released) and with its numbers worked out at the request's instant.
  struct Row {
    uint32_t id = 0;
    size_t cd = 0;
    uint64_t added_ns = 0, last_refresh_ns = 0;
    bool is_static = false, send_async = false;
    std::string csource_address;
    Params filters;  // want_crit only
    std::array<std::pair<const char*, uint64_t>, 4> timeouts{}, remaining{};
    uint8_t n_timeouts = 0, n_remaining = 0;
    uint64_t bps = 0, matching_packets = 0, matching_bytes = 0, num_refresh = 0;
  };
  std::vector<Row> rows;
  // Packing, in chunks (Server::pack_list): rows[0, next) are in the packer.
  std::optional<detail::ReplyPacker> packer;
  size_t next = 0;
  std::string csource_id;               // escaped once per answer
  std::vector<std::string> cdest_ids;   // likewise, by destination index
  std::vector<std::string> packets;  // the packed answer, not yet signed (send_out signs)
  std::string to_ip;                 // the reply mirrors the request's 4-tuple
  uint16_t to_port = 0, from_port = 0;
};

// One row of the method table (server.cpp): a request method, its bit in the parameter table
// (params.cpp), its counters and its handler.
struct Server::MethodDef {
  std::string_view name;  // a view: the lookup measures no row (strlen)
  detail::MethodBit bit;
  uint64_t ControlSourceCounters::*requests;
  uint64_t ControlSourceCounters::*failed;     // counted when the reply is not 200
  uint64_t ControlSourceCounters::*succeeded;  // nullptr: successes are not counted per method
  Reply (Server::*handler)(Request& rq);
  bool own_packets;  // the handler answers with packets of its own (Request::list)
};

}  // namespace dfc::dtcp
