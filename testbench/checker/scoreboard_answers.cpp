// The scoreboard's answer predictor: for every DTCP request the reference decides from its own
// reading of the configuration and of the request (dtcp.md §1.4-§1.9, docs/dtcp-conformance.md
// §1-§7) whether the card must stay silent (unknown source, bad signature, bad Seq) or which
// status it must answer, and how many 130/131/598/599 notifications each control source must
// get. A wrong, missing or unexpected answer is an error naming the request and both answers.
// No firmware code (its HMAC is refmodel_hmac.cpp).
#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool digits(const std::string& s, size_t max_len) {
  return !s.empty() && s.size() <= max_len &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Notifications a source gets per event: one per target (a bench may only say it has some).
uint64_t targets(const ScoreboardConfig::Csource& s) {
  return std::max<uint64_t>(s.notification_targets.size(), s.has_notification_targets ? 1 : 0);
}

std::string codes_text(const std::vector<int>& codes) {
  std::string s;
  for (int c : codes) s += (s.empty() ? "" : " or ") + std::to_string(c);
  return s;
}

// dtcp-conformance §7: which parameters each method takes; the others a request may not carry.
const std::map<std::string, std::set<std::string>>& method_params() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"ADD",
       {"csource-id", "seq", "cdest-id", "source-address", "dest-address", "protocol", "source-port", "dest-port",
        "icmp-type", "icmp-code", "timeout-idle", "timeout-total", "timeout-packets", "timeout-bytes", "priority",
        "action", "flags"}},
      {"DELETE", {"csource-id", "seq", "criteria-id", "cdest-id", "flags"}},
      {"REFRESH",
       {"csource-id", "seq", "criteria-id", "cdest-id", "timeout-idle", "timeout-total", "timeout-packets",
        "timeout-bytes"}},
      {"LIST", {"csource-id", "seq", "criteria-id", "cdest-id", "flags"}},
      {"NOOP", {"csource-id", "seq", "flags"}}};
  return m;
}
// Parameters the protocol knows (requests and reply-only ones): in a request where they do not
// belong they are 400, while a name nobody knows is 501.
bool known_param(const std::string& n) {
  static const std::set<std::string> reply_only = {
      "criteria-count", "criteria-num", "csource-address", "timestamp", "remaining-idle", "remaining-total",
      "remaining-packets", "remaining-bytes", "average-bandwidth", "matching-packets", "matching-bytes",
      "num-refresh", "last-refresh", "alert-info", "alert-bandwidth", "max-bandwidth"};
  for (const auto& [m, names] : method_params())
    if (names.count(n)) return true;
  return reply_only.count(n) > 0;
}

// A capacity answer the reference decided otherwise is its own failure: the card answered 550
// where the reference predicts something else (wrong 550), or otherwise to an ADD the
// reference says cannot fit (missing 550); 500 in DTCP/0.6.
std::string mismatch_kind(const Answer& a, int seen) {
  const int full_code = a.minor == 6 ? 500 : 550;
  if (seen == full_code) return "wrong " + std::to_string(full_code);
  if (a.cap == Cap::Full) return "missing " + std::to_string(full_code);
  return "wrong status";
}

}  // namespace

// Reads what the parsed Message drops: the raw first line, the parameter names in order, lines
// that are not `Name: value`, and whether Authentication-Info verifies with the source's key
// over the bytes before its line (dtcp.md §1.6).
void Scoreboard::Impl::scan_request(Request& q, const std::string& bytes) const {
  RawRequest& r = q.raw;
  size_t pos = 0;
  bool first = true;
  const auto cs = cfg.csources.find(q.cs);
  r.key_known = cs != cfg.csources.end() && !cs->second.shared_key.empty();
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string::npos) eol = bytes.size();
    const size_t line_start = pos;
    const std::string line = trim(bytes.substr(pos, eol - pos));
    pos = eol + 1;
    if (first) {
      r.first_line = line, first = false;
      continue;
    }
    if (line.empty()) break;
    const size_t c = line.find(':');
    if (c == std::string::npos) {
      r.bad_lines.push_back(line);
      continue;
    }
    const std::string name = lower(trim(line.substr(0, c)));
    if (name == "authentication-info") {
      r.has_auth = true;
      if (r.key_known) {
        const std::string want = ref::hex(ref::hmac_sha1(cs->second.shared_key, bytes.substr(0, line_start)));
        r.auth_ok = lower(trim(line.substr(c + 1))) == want;
      }
      break;
    }
    r.names.push_back(name);
  }
}

// In ingress order, before the request changes the model: the answer the card owes.
void Scoreboard::Impl::predict_answer(size_t qi) {
  if (answers.size() <= qi) answers.resize(requests.size());
  const Request& q = requests[qi];
  Answer& a = answers[qi];
  a.judged = true;
  auto silent = [&](const std::string& why) { a.silent = true, a.why = why; };
  const auto cs = cfg.csources.find(q.cs);
  if (!q.msg && q.raw.first_line.find(' ') == std::string::npos) return silent("not a DTCP request");
  if (q.msg && q.msg->is_status) return silent("a status line, not a request");
  if (cs == cfg.csources.end()) return silent("Csource-ID '" + q.cs + "' is not a configured control source");
  // The security layer is judged when the scoreboard knows the source's key (a bench that
  // feeds unsigned requests configures none).
  if (q.raw.key_known) {
    if (!q.raw.has_auth || !q.raw.auth_ok) return silent("Authentication-Info does not verify with the source's key");
    const auto seq = q.msg ? q.msg->get("seq") : std::nullopt;
    if (!seq || !digits(*seq, 20)) return silent("no valid Seq");
    const auto n = ref::parse_uint(*seq, ~0ull);
    if (!n) return silent("Seq beyond 64 bits");
    SeqWindow& w = seq_windows[q.cs];
    if (w.any) {
      const uint64_t fwd = *n - w.hi, back = w.hi - *n;  // modulo 2^64 (dtcp-conformance §1)
      if (w.seen.count(*n)) return silent("Seq " + *seq + " already used");
      if (fwd > 256 && back > 256) return silent("Seq " + *seq + " outside the window of " + std::to_string(w.hi));
      if (fwd != 0 && fwd <= 256) {
        if (*n < w.hi) notes_expected[{q.cs, 130}] += targets(cs->second);  // rollover
        w.hi = *n;
      }
    } else {
      w.any = true, w.hi = *n;
    }
    w.seen.insert(*n);
    while (!w.seen.empty() && w.hi - *w.seen.begin() > 256 && *w.seen.begin() < w.hi) w.seen.erase(w.seen.begin());
  }
  // Version (§1.9): DTCP/0.6 and 0.7; other numbers 505, anything else 400.
  const std::string first = q.raw.first_line;
  const std::string ver = trim(first.substr(first.find_first_of(" \t") + 1));
  const size_t dot = ver.find('.');
  if (ver.rfind("DTCP/", 0) != 0 || dot == std::string::npos || !digits(ver.substr(5, dot - 5), 9) ||
      !digits(ver.substr(dot + 1), 9)) {
    a.codes = {400}, a.why = "malformed version '" + ver + "'";
    return;
  }
  const uint64_t major = std::stoull(ver.substr(5, dot - 5)), minor = std::stoull(ver.substr(dot + 1));
  if (major != 0 || minor < 6 || minor > 7) {
    a.codes = {505}, a.why = "version " + ver + " not supported";
    return;
  }
  a = predict_method(q, static_cast<int>(minor));
  a.judged = true;
  a.minor = static_cast<int>(minor);
  a.before_reply = q.reply < 0;
}

// Syntax and semantics of an authenticated request of a supported version (§4 of the
// conformance table): every fault found is an acceptable answer (the protocol does not order
// them); none: 200, or for an ADD 550 (500 in DTCP/0.6) when the reference's criteria in force
// and the configured limits leave no room (scoreboard_capacity.cpp), either when they leave it open.
Answer Scoreboard::Impl::predict_method(const Request& q, int minor) {
  Answer a;
  std::set<int> err;
  const auto& table = method_params();
  const auto mp = table.find(q.msg ? q.msg->method : std::string());
  if (mp == table.end()) {
    a.codes = {501}, a.why = "unknown method";
    return a;
  }
  const std::string& method = mp->first;
  if (!q.raw.bad_lines.empty()) err.insert(400);
  for (const auto& n : q.raw.names) {
    if (n.rfind("x-", 0) == 0) continue;
    if (!known_param(n)) err.insert(501);
    else if (!mp->second.count(n)) err.insert(400);
  }
  const ref::Message& m = *q.msg;
  auto flags_ok = [&](const std::set<std::string>& allowed) {
    if (auto v = m.get("flags"))
      for (const auto& f : split_commas(*v))
        if (!allowed.count(lower(f))) err.insert(400);
  };
  if (method == "ADD") {
    predict_add(q, minor, err);
  } else if (method == "DELETE" || method == "REFRESH") {
    predict_selector(q, minor, true, err);
    if (method == "DELETE") flags_ok({"static"});
  } else if (method == "LIST") {
    predict_selector(q, minor, false, err);
    flags_ok({"stats", "criteria", "both"});
  } else {
    flags_ok({"sendasync"});
  }
  if (method == "REFRESH") refresh_timeouts(q, err);
  if (!err.empty()) {
    a.codes.assign(err.begin(), err.end());
    a.why = "request faults";
    return a;
  }
  a.codes = {200};
  a.why = "well-formed";
  if (method == "ADD") {
    // Capacity is judged after the faults (a faulty ADD gets its fault's status, full or not).
    const int full_code = minor == 6 ? 500 : 550;
    a.cap = predict_capacity(q, a.cap_why);
    if (a.cap == Cap::Full) a.codes = {full_code};
    else if (a.cap != Cap::Fits) a.codes.push_back(full_code);
    a.why = "well-formed; " + a.cap_why;
  }
  if (method == "NOOP")
    if (auto v = m.get("flags"))
      for (const auto& f : split_commas(*v))
        if (lower(f) == "sendasync") notes_expected[{q.cs, 131}] += targets(cfg.csources.at(q.cs));
  return a;
}

// ADD (conformance §5-§7): destination, priority, action, flags, filters (432), timeouts (433).
void Scoreboard::Impl::predict_add(const Request& q, int minor, std::set<int>& err) {
  const ref::Message& m = *q.msg;
  const auto& src = cfg.csources.at(q.cs);
  if (auto d = m.get("cdest-id")) {
    const auto list = split_commas(*d);
    if (d->find_first_of(" \t") != std::string::npos) err.insert(400);
    else if (list.size() > 1) err.insert(minor == 6 ? 400 : 501);
    else if (list.empty() || cfg.cdest_key(q.cs, list[0]).empty() ||
             (!src.allowed_destinations.empty() &&
              std::find(src.allowed_destinations.begin(), src.allowed_destinations.end(), list[0]) ==
                  src.allowed_destinations.end()))
      err.insert(430);
  } else {
    err.insert(400);
  }
  if (auto v = m.get("priority"))
    if (!digits(*v, 3) || std::stoul(*v) < 1 || std::stoul(*v) > 255) err.insert(400);
  if (auto v = m.get("action"))
    if (lower(*v) != "copy") err.insert(501);
  bool is_static = false;
  if (auto v = m.get("flags"))
    for (const auto& f : split_commas(*v)) {
      if (lower(f) == "static") is_static = true;
      else if (lower(f) != "sendasync") err.insert(400);
    }
  // Filters: syntax, `!*`, IPv6 in 0.6, ports/ICMP against the protocol list, families.
  ref::Filter f;
  bool bad = false;
  auto addr = [&](const char* n, std::optional<std::vector<ref::AddrEntry>>& out) {
    if (auto v = m.get(n)) {
      out = ref::parse_addr_list(*v, nullptr);
      if (!out) return void(bad = true);
      for (const auto& e : *out) bad = bad || (e.neg && e.wildcard) || (minor == 6 && e.v6);
    }
  };
  auto num = [&](const char* n, uint64_t max, std::optional<std::vector<ref::IntEntry>>& out) {
    if (auto v = m.get(n)) {
      out = ref::parse_int_list(*v, max, nullptr);
      if (!out) return void(bad = true);
      for (const auto& e : *out) bad = bad || (e.neg && e.wildcard);
    }
  };
  addr("source-address", f.src), addr("dest-address", f.dst);
  num("protocol", 255, f.proto), num("source-port", 65535, f.sport), num("dest-port", 65535, f.dport);
  num("icmp-type", 255, f.itype), num("icmp-code", 255, f.icode);
  const bool ports = f.sport || f.dport, icmp = f.itype || f.icode;
  auto proto_allows = [&](std::initializer_list<uint64_t> ok) {
    if (!f.proto) return true;
    bool positive = false;
    for (const auto& e : *f.proto) {
      if (e.neg) continue;
      positive = true;
      if (e.wildcard) return true;
      for (uint64_t p : ok)
        if (p >= e.lo && p <= e.hi) return true;
    }
    return !positive;
  };
  if (!bad && ((ports && icmp) || (ports && !proto_allows({6, 17, 132})) || (icmp && !proto_allows({1, 58}))))
    bad = true;
  if (!bad && f.src && f.dst) {  // some source/destination pair of one family must exist
    auto fams = [](const std::vector<ref::AddrEntry>& l) {
      int mask = 0, pos = 0;
      for (const auto& e : l)
        if (!e.neg) ++pos, mask |= e.wildcard ? 3 : (e.v6 ? 2 : 1);
      return pos ? mask : 3;
    };
    if ((fams(*f.src) & fams(*f.dst)) == 0) bad = true;
  }
  if (bad) err.insert(432);
  bool any_timeout = false;
  for (const char* t : {"timeout-idle", "timeout-total", "timeout-packets", "timeout-bytes"})
    if (auto v = m.get(t)) {
      const bool secs = std::string(t) == "timeout-idle" || std::string(t) == "timeout-total";
      const auto n = secs ? (digits(*v, 5) ? ref::parse_uint(*v, 86400) : std::nullopt) : ref::parse_uint(*v, ~0ull);
      if (!n) err.insert(433);
      else any_timeout = any_timeout || *n > 0;
    }
  if (!any_timeout && !is_static) err.insert(433);
}

// REFRESH's timeouts (conformance §5): at least one, each valid (433), and none may leave a
// dynamic criterion it selects without any timeout (433, nothing changed).
void Scoreboard::Impl::refresh_timeouts(const Request& q, std::set<int>& err) {
  const ref::Message& m = *q.msg;
  static const char* const names[] = {"timeout-idle", "timeout-total", "timeout-packets", "timeout-bytes"};
  std::array<std::optional<uint64_t>, 4> given{};
  bool any = false, bad = false;
  for (size_t i = 0; i < 4; ++i)
    if (auto v = m.get(names[i])) {
      any = true;
      given[i] = i < 2 ? (digits(*v, 5) ? ref::parse_uint(*v, 86400) : std::nullopt) : ref::parse_uint(*v, ~0ull);
      bad = bad || !given[i];
    }
  if (!any || bad) return void(err.insert(433));
  std::optional<std::vector<ref::IntEntry>> ids;
  std::vector<std::string> keys;
  if (auto v = m.get("criteria-id")) ids = ref::parse_int_list(*v, ~0ull, nullptr);
  if (auto v = m.get("cdest-id"))
    for (const auto& d : split_commas(*v)) keys.push_back(cfg.cdest_key(q.cs, d));
  for (const Crit& c : crits) {
    if (c.cs != q.cs || c.is_static || presence(c, q.t, true).p == Pres::Absent) continue;
    const bool sel = ids ? ref::field_matches(*ids, c.id)
                         : std::any_of(c.cdests.begin(), c.cdests.end(), [&](const std::string& d) {
                             return std::find(keys.begin(), keys.end(), d) != keys.end();
                           });
    const uint64_t now[4] = {c.to_idle, c.to_total, c.to_packets, c.to_bytes};
    bool left = false;
    for (size_t i = 0; i < 4; ++i) left = left || (given[i] ? *given[i] : now[i]) > 0;
    if (sel && !left) err.insert(433);
  }
}

// DELETE/REFRESH (exactly one selector)// DELETE/REFRESH (exactly one selector) and LIST (optional ones): Criteria-ID syntax (400),
// negation (501), single ids that are no criterion of this source in force (431, either way
// when the reference's windows leave it open), Cdest-ID (430).
void Scoreboard::Impl::predict_selector(const Request& q, int minor, bool required, std::set<int>& err) {
  const ref::Message& m = *q.msg;
  const auto ids_v = m.get("criteria-id"), cd_v = m.get("cdest-id");
  if (required && ids_v.has_value() == cd_v.has_value()) err.insert(400);
  const auto& src = cfg.csources.at(q.cs);
  if (cd_v) {
    const auto list = split_commas(*cd_v);
    if (minor == 6 && list.size() > 1) err.insert(400);
    for (const auto& d : list) {
      if (d.find_first_of(" \t") != std::string::npos) err.insert(400);
      else if (cfg.cdest_key(q.cs, d).empty() ||
               (!src.allowed_destinations.empty() &&
                std::find(src.allowed_destinations.begin(), src.allowed_destinations.end(), d) ==
                    src.allowed_destinations.end()))
        err.insert(430);
    }
  }
  if (!ids_v) return;
  const auto ids = ref::parse_int_list(*ids_v, ~0ull, nullptr);
  if (!ids) return void(err.insert(400));
  bool maybe = false;
  for (const auto& e : *ids) {
    if (e.neg) err.insert(501);
    // Only a single id can be unknown: a range, even of one id (`2-2`), selects whatever exists
    // in it (dtcp.md's DELETE: "for ranges, whatever exists in the inclusive range is deleted").
    if (e.neg || e.form != ref::IntEntry::Single) continue;
    Pres best = Pres::Absent;
    if (auto it = crits_by_id.find({q.cs, e.lo}); it != crits_by_id.end())
      for (size_t ci : it->second) {
        Pres p = presence(crits[ci], q.t, true).p;
        if (p == Pres::Present && may_expire_before_reply(crits[ci], q)) p = Pres::Ambiguous;
        if (p == Pres::Present || (p == Pres::Ambiguous && best == Pres::Absent)) best = p;
      }
    if (best == Pres::Absent) err.insert(431);
    if (best == Pres::Ambiguous) maybe = true;
  }
  // A single id whose criterion may have just timed out or been deleted, or may expire before
  // the card handles the request (by its reply): 200 or 431.
  if (maybe && err.empty()) err.insert(200), err.insert(431);
}

// Max-duplicates drops, per control source whose criteria matched the packet into a dropped
// destination (conformance §13.6): the 598 notifications it must get.
void Scoreboard::Impl::record_dup_drops(const Pkt& p, const Outcome& o) {
  if (!o.maxdup_dropped) return;
  std::set<std::string> sources;
  for (size_t ci : o.present)
    for (const auto& d : crits[ci].cdests)
      if (std::find(o.selected.begin(), o.selected.end(), d) == o.selected.end()) sources.insert(crits[ci].cs);
  for (const auto& s : sources) {
    DupDrops& d = dup_drops[s];
    ++d.possible;
    if (!d.first_possible) d.first_possible = p.t;
    d.last_possible = std::max(d.last_possible, p.t_done);
    if (!o.ambiguous) {
      ++d.definite;
      if (!d.first_definite) d.first_definite = p.t_done;
    }
  }
}

void Scoreboard::Impl::answer_error(const std::string& what, const std::string& req, const std::string& predicted,
                                    const std::string& seen) {
  error(what + ": " + req + ": predicted " + predicted + ", card " + seen);
  if (answer_mismatches.size() < kMaxErrors)
    answer_mismatches.push_back({{"what", what}, {"request", req}, {"predicted", predicted}, {"seen", seen}});
}

// At the end: every request's answer against the card's, then the notifications.
void Scoreboard::Impl::judge_answers() {
  json& out = cov["answers"];
  json& rep = out["replies"];
  const uint64_t end = std::max(run_end, t_last);
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& q = requests[i];
    if (i >= answers.size() || !answers[i].judged || !q.dropped.empty()) continue;  // dropped: owes nothing
    const Answer& a = answers[i];
    const int seen = q.reply >= 0 && replies[static_cast<size_t>(q.reply)].msg
                         ? replies[static_cast<size_t>(q.reply)].msg->status
                         : -1;
    const std::string seq = q.msg && q.msg->get("seq") ? " Seq " + *q.msg->get("seq") : std::string();
    const std::string req = "'" + q.raw.first_line + "'" + seq + " from " + q.cs + " at " + us(q.t);
    const std::string seen_key = seen < 0 ? "no_reply" : std::to_string(seen);
    bump(rep[seen_key], "seen", 1);
    if (a.silent) {
      bump(rep["no_reply"], "predicted", 1);
      if (seen >= 0) answer_error("unexpected reply", req, "no reply (" + a.why + ")", "answered " + seen_key);
      continue;
    }
    const bool ok = std::find(a.codes.begin(), a.codes.end(), seen) != a.codes.end();
    bump(rep[ok ? seen_key : std::to_string(a.codes.front())], "predicted", 1);
    if (a.codes.size() > 1) bump(out, "alternatives", 1);
    if (seen < 0 && q.t + cfg.timeout_window_ps >= end) {
      ++answers_unjudged;  // sent too close to the end for its reply to be due
      continue;
    }
    if (seen < 0) answer_error("missing reply", req, codes_text(a.codes) + " (" + a.why + ")", "sent no reply");
    else if (!ok) answer_error(mismatch_kind(a, seen), req, codes_text(a.codes) + " (" + a.why + ")", "answered " + seen_key);
  }
  out["unjudged"] = answers_unjudged;
  capacity_coverage(out["capacity"]);
  judge_notifications(out["notifications"]);
  out["mismatches"] = answer_mismatches;
}

// Notifications: 130 (rollover) and 131 (NOOP SendAsync) counted per source against the
// requests; each 599 evaluation reaches every notification target of every source; 598s only
// after a max-duplicates drop the reference predicts for that source, the first within W of
// its first certain drop, then at most once per duplicates-dropped-periodicity; 390/580/680
// are judged elsewhere (their predicted/seen counts are gathered here).
void Scoreboard::Impl::judge_notifications(json& notes) {
  const uint64_t W = cfg.timeout_window_ps, end = std::max(run_end, t_last);
  std::map<std::pair<std::string, int>, uint64_t> seen;
  std::map<std::string, std::vector<uint64_t>> n598;
  std::vector<const Notification*> n599;
  for (const Notification& n : notifications) {
    if (!n.msg || !n.msg->is_status) continue;
    const int code = n.msg->status;
    ++seen[{n.cs, code}];
    bump(notes[std::to_string(code)], "seen", 1);
    if (code == 598) n598[n.cs].push_back(n.t);
    if (code == 599) n599.push_back(&n);
    static const std::set<int> known = {130, 131, 390, 580, 598, 599, 680};
    if (!known.count(code))
      answer_error("unexpected notification", std::to_string(code) + " to " + n.cs + " at " + us(n.t), "none",
                   "sent " + std::to_string(code));
  }
  for (int code : {130, 131}) {
    for (const auto& [id, src] : cfg.csources) {
      const uint64_t want = notes_expected.count({id, code}) ? notes_expected.at({id, code}) : 0;
      const uint64_t got = seen.count({id, code}) ? seen.at({id, code}) : 0;
      bump(notes[std::to_string(code)], "predicted", want);
      if (want != got)
        answer_error(got > want ? "unexpected notification" : "missing notification",
                     std::to_string(code) + " to " + id, std::to_string(want), std::to_string(got) + " sent");
    }
  }
  // 599: one evaluation = the 599s within W of the first; every target of every source.
  std::sort(n599.begin(), n599.end(), [](const Notification* a, const Notification* b) { return a->t < b->t; });
  for (size_t i = 0; i < n599.size();) {
    std::map<std::string, uint64_t> got;
    const uint64_t t0 = n599[i]->t;
    for (; i < n599.size() && n599[i]->t <= t0 + W; ++i) ++got[n599[i]->cs];
    for (const auto& [id, src] : cfg.csources) {
      const uint64_t want = targets(src);
      bump(notes["599"], "predicted", want);
      if (got[id] != want)
        answer_error(got[id] > want ? "unexpected notification" : "missing notification",
                     "599 (restart at " + us(t0) + ") to " + id, std::to_string(want), std::to_string(got[id]) + " sent");
    }
  }
  // 598
  for (const auto& [id, src] : cfg.csources) {
    const auto d = dup_drops.find(id);
    const auto& got = n598[id];
    const uint64_t period = cfg.group_dup_periodicity_s.count(src.group) ? cfg.group_dup_periodicity_s.at(src.group) : 30;
    const bool due = src.has_notification_targets && d != dup_drops.end() && d->second.first_definite &&
                     *d->second.first_definite + W < end;
    if (due) bump(notes["598"], "predicted", targets(src));
    if (due && (got.empty() || got.front() > *d->second.first_definite + W))
      answer_error("missing notification", "598 to " + id + " (first certain max-duplicates drop at " +
                                               us(*d->second.first_definite) + ")",
                   "a DuplicatesDropped within " + us(W), got.empty() ? "sent none" : "first at " + us(got.front()));
    if (got.empty()) continue;
    if (d == dup_drops.end() || got.front() + W < *d->second.first_possible) {
      answer_error("unexpected notification", "598 to " + id + " at " + us(got.front()),
                   "no max-duplicates drop for this source before it", "sent " + std::to_string(got.size()));
      continue;
    }
    const uint64_t span = d->second.last_possible - *d->second.first_possible + 2 * W;
    const uint64_t most = (1 + span / (period * kPsPerSec) + 1) * targets(src);
    if (got.size() > most)
      answer_error("unexpected notification", "598 to " + id, "at most " + std::to_string(most) + " (one per " +
                   std::to_string(period) + " s while drops continue)", std::to_string(got.size()) + " sent");
  }
  // 390/580/680: predicted by the timeout and congestion checks
  uint64_t p390 = 0;
  for (const Crit& c : crits) {
    const auto cs = cfg.csources.find(c.cs);
    if (c.gone && c.send_async && !c.is_static && cs != cfg.csources.end() &&
        (c.gone_reason == "total" || c.gone_reason == "idle" || c.gone_reason == "packets" || c.gone_reason == "bytes"))
      p390 += targets(cs->second);
  }
  notes["390"]["predicted"] = p390;
  for (const char* c : {"580", "680"})
    if (cov.contains("congestion") && cov["congestion"].contains(c))
      notes[c]["predicted"] = cov["congestion"][c].value("predicted", uint64_t{0});
}

}  // namespace dfc::tb
