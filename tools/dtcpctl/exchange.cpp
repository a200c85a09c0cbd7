// One request/reply exchange: numbering, signing, retries with a new Seq, verification,
// LIST reassembly; and how its outcome is printed.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "common/text.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dtcpctl.hpp"

namespace dfc::dtcpctl {
using nlohmann::json;

int exit_for_status(int status) {
  switch (status) {
    case 200: return kOk;
    case 400: return 10;
    case 430: return 11;
    case 431: return 12;
    case 432: return 13;
    case 433: return 14;
    case 500: return 20;
    case 501: return 21;
    case 505: return 22;
    case 550: return 23;
    case 551: return 24;
    default: break;
  }
  if (status >= 400 && status < 500) return 15;
  if (status >= 500 && status < 600) return 25;
  return 30;
}

// A parameter value goes on one line: no CR/LF or other control characters.
void check_value(const std::string& opt, const std::string& v) {
  if (v.empty()) throw Fail{kBadInput, opt + ": empty value"};
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) throw Fail{kBadInput, opt + ": control characters are not allowed in a value"};
  }
}

json params_json(const std::vector<dfc::dtcp::Param>& ps) {
  json o = json::object();
  for (const auto& p : ps)
    if (!o.contains(p.name)) o[p.name] = p.value;
  return o;
}

std::optional<uint64_t> to_u64(const std::string& s) {
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(s);
  } catch (...) {
    return std::nullopt;
  }
}

namespace {

// LIST entries: a new entry starts at Criteria-Count (or at a Criteria-Num outside an entry or
// repeated in it). The packet's own Timestamp and Seq follow the last entry; an entry carries one
// Timestamp (time added), so a second Timestamp or a Seq ends the entry.
std::vector<std::vector<dfc::dtcp::Param>> split_entries(const dfc::dtcp::Message& m) {
  std::vector<std::vector<dfc::dtcp::Param>> out;
  bool in_entry = false;
  std::set<std::string> seen;
  for (const auto& p : m.params) {
    const std::string lname = common::lower(p.name);
    if (lname == "criteria-count" || (lname == "criteria-num" && (!in_entry || seen.count(lname)))) {
      out.emplace_back();
      seen.clear();
      in_entry = true;
    }
    if (!in_entry) continue;
    if (lname == "seq" || (lname == "timestamp" && seen.count(lname))) {
      in_entry = false;
      continue;
    }
    seen.insert(lname);
    out.back().push_back(p);
  }
  return out;
}

dfc::dtcp::Version parse_version_opt(const std::string& v) {
  const size_t dot = v.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= v.size() ||
      v.find_first_not_of("0123456789.") != std::string::npos || v.find('.', dot + 1) != std::string::npos)
    throw Fail{kBadInput, "--dtcp-version: expected MAJOR.MINOR (e.g. 0.7), got '" + v + "'"};
  return {std::stoi(v.substr(0, dot)), std::stoi(v.substr(dot + 1))};
}

// The packets collected for one Seq; for LIST, its entries by Criteria-Num.
struct Attempt {
  std::map<uint64_t, std::vector<dfc::dtcp::Param>> entries;  // by Criteria-Num
  uint64_t count = 0;                                         // Criteria-Count (nonzero one)
  size_t packets = 0;
  bool empty_reply = false;
  dfc::dtcp::Message first;
};

std::string seq_file_of(const Common& c) {
  if (!c.seq_file.empty()) return c.seq_file;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.dtcpctl/" + c.csource + ".seq";
}

// A verified reply to attempt `a` (0-based) of `method`: the outcome, or nullopt while a
// multi-packet LIST reply still misses entries.
std::optional<Outcome> on_reply(const std::string& method, int a, Attempt& at, const dfc::dtcp::Message& m,
                                uint64_t seq) {
  ++at.packets;
  Outcome o;
  o.status = m.status;
  o.reason = m.reason;
  o.version = m.version_text;
  o.seq = seq;
  o.attempts = a + 1;
  if (method != "LIST" || m.status != 200) {
    o.params = m.params;
    o.packets = 1;
    if (a > 0 && method == "ADD" && o.status == 200)
      std::cerr << "dtcpctl: warning: ADD answered only after " << a + 1
                << " attempts; if an earlier attempt reached the server a second criterion exists"
                   " (check with `dtcpctl list`)\n";
    return o;
  }
  // LIST: reassemble.
  if (at.packets == 1) at.first = m;
  const auto es = split_entries(m);
  if (es.empty()) at.empty_reply = true;
  for (const auto& e : es) {
    uint64_t num = 0, cnt = 0;
    for (const auto& p : e) {
      if (dfc::dtcp::iequals(p.name, "Criteria-Num")) num = to_u64(p.value).value_or(0);
      if (dfc::dtcp::iequals(p.name, "Criteria-Count")) cnt = to_u64(p.value).value_or(0);
    }
    if (num == 0) throw Fail{kBadReply, "LIST reply entry without a valid Criteria-Num"};
    if (cnt) at.count = std::max(at.count, cnt);
    at.entries[num] = e;
  }
  const bool complete = at.empty_reply ? at.entries.empty()
                        : at.count > 0 && at.entries.size() == at.count && at.entries.rbegin()->first == at.count;
  if (!complete) return std::nullopt;
  o.params = at.first.params;
  o.packets = at.packets;
  for (auto& [n, e] : at.entries) o.entries.push_back(std::move(e));
  return o;
}

// No complete answer after every attempt: a LIST reply with entries missing, or silence.
[[noreturn]] void no_answer(const Common& c, const udp::endpoint& server, int total,
                            const std::map<uint64_t, Attempt>& attempts) {
  for (const auto& [s, at] : attempts)
    if (at.packets > 0) {
      std::ostringstream miss;
      size_t shown = 0;
      for (uint64_t n = 1; n <= at.count && shown < 20; ++n)
        if (!at.entries.count(n)) miss << (shown++ ? "," : "") << n;
      throw Fail{kIncomplete, "LIST reply (Seq " + std::to_string(s) + ") incomplete: " +
                                  std::to_string(at.entries.size()) + " of " +
                                  (at.count ? std::to_string(at.count) : std::string("?")) +
                                  " entries in " + std::to_string(at.packets) + " packet(s); missing Criteria-Num " +
                                  (shown ? miss.str() : std::string("(unknown)"))};
    }
  std::ostringstream each;
  each << c.timeout_s;  // 2, 0.2: not std::to_string's 2.000000
  throw Fail{kTimeout, "no reply from " + endpoint_text(server) + " after " + std::to_string(total) +
                           " attempt(s) of " + each.str() + " s" +
                           " (unknown control source, bad key, replayed Seq or no server: DTCP never answers those)"};
}

}  // namespace

Outcome exchange(const Common& c, const std::string& method, const Params& params) {
  if (c.server.empty()) throw Fail{kBadInput, "--server ADDR:PORT is required"};
  if (c.csource.empty()) throw Fail{kBadInput, "--csource ID is required"};
  const udp::endpoint server = parse_endpoint(c.server, "--server");
  const std::string key = read_key(c.key_file);
  const dfc::dtcp::Version ver = parse_version_opt(c.version);
  SeqStore store(seq_file_of(c), c.seq_start);

  Udp sock;
  sock.open(c.local.empty() ? udp::endpoint(server.address().is_v6() ? udp::v6() : udp::v4(), 0)
                            : parse_endpoint(c.local, "--local"));
  std::map<uint64_t, Attempt> attempts;  // by Seq: a late reply to an earlier attempt counts too
  std::string last_request;
  const int total = 1 + std::max(0, c.retries);
  for (int a = 0; a < total; ++a) {
    if (!c.fixed_seq || a == 0) {
      const uint64_t seq = c.fixed_seq ? *c.fixed_seq : store.reserve();
      auto b = dfc::dtcp::MessageBuilder::request(method, ver);
      for (const auto& [n, v] : params) b.add(n, v);
      b.add("Csource-ID", c.csource);
      b.add("Seq", seq);
      last_request = b.signed_text(key);
      attempts[seq];
    }
    if (c.verbose) std::cerr << "dtcpctl: -> " << endpoint_text(server) << " (attempt " << a + 1 << ")\n" << last_request;
    sock.send(last_request, server);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::microseconds(static_cast<int64_t>(c.timeout_s * 1e6));
    for (;;) {
      udp::endpoint from;
      auto data = sock.recv(deadline, from);
      if (!data) break;
      if (c.verbose) std::cerr << "dtcpctl: <- " << endpoint_text(from) << "\n" << *data;
      auto m = dfc::dtcp::parse_message(*data);
      if (!m || !m->is_status) continue;  // not a DTCP reply: ignore
      const auto sq = m->get("Seq");
      const auto sv = sq ? to_u64(*sq) : std::nullopt;
      if (!dfc::dtcp::verify(*m, *data, key))
        throw Fail{kBadReply, "reply from " + endpoint_text(from) + " (Seq " + (sq ? *sq : "none") +
                                  "): Authentication-Info does not verify with the shared key"};
      if (!sv || !attempts.count(*sv)) continue;  // signed but not for one of our requests
      if (auto o = on_reply(method, a, attempts[*sv], *m, *sv)) return *o;
    }
  }
  no_answer(c, server, total, attempts);
}

void print_outcome(const Common& c, const std::string& method, const Outcome& o) {
  if (c.json_out) {
    json j;
    j["method"] = method;
    j["status"] = o.status;
    j["reason"] = o.reason;
    j["version"] = o.version;
    j["seq"] = o.seq;
    j["attempts"] = o.attempts;
    json ps = json::object();
    for (const auto& p : o.params) {
      if (dfc::dtcp::iequals(p.name, "Seq")) continue;
      if (!ps.contains(p.name)) ps[p.name] = p.value;
    }
    if (method == "LIST" && o.status == 200) {
      json es = json::array();
      for (const auto& e : o.entries) es.push_back(params_json(e));
      j["criteria"] = es;
      j["packets"] = o.packets;
      if (ps.contains("Timestamp")) j["timestamp"] = ps["Timestamp"];
    } else {
      j["params"] = ps;
    }
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << o.version << " " << o.status << " " << o.reason << "\n";
  if (method == "LIST" && o.status == 200) {
    std::cout << o.entries.size() << " criteri" << (o.entries.size() == 1 ? "on" : "a") << " (" << o.packets
              << " packet" << (o.packets == 1 ? "" : "s") << ")\n";
    for (const auto& e : o.entries) {
      std::cout << "\n";
      for (const auto& p : e) std::cout << "  " << p.name << ": " << p.value << "\n";
    }
    return;
  }
  for (const auto& p : o.params) {
    if (dfc::dtcp::iequals(p.name, "Seq") || dfc::dtcp::iequals(p.name, "Timestamp")) continue;
    std::cout << p.name << ": " << p.value << "\n";
  }
}

}  // namespace dfc::dtcpctl
