// dtcpctl: a command-line DTCP control source (mediation device).
//
//   dtcpctl --server ADDR:PORT --csource ID [--key-file F] add --cdest cd1 --dst-addr 10.1.1.1 ...
//   dtcpctl ... delete|refresh|list|noop ...
//   dtcpctl [--key-file F] listen --port P [--count N] [--timeout S]
//
// Requests are numbered from a persistent Seq file and signed with HMAC-SHA1 (the shared key
// comes from --key-file or $DTCP_KEY and is never printed). Replies are verified (signature,
// echoed Seq); LIST replies spanning several datagrams are reassembled and checked complete.
// A request that gets no reply is retried with a NEW Seq: the server silently drops a repeated
// Seq as a replay, so resending the same bytes can never be answered if the first copy arrived.
// The exit status tells the outcome (see kExitHelp).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc_version.hpp"
#include "cli/exit_codes.hpp"

namespace asio = boost::asio;
using asio::ip::udp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// ---- exit statuses ---------------------------------------------------------------------------
// 0..3 are the table shared by every dfcsim command (common/errors.hpp); 10.. are dtcpctl's own:
// the DTCP status the server answered with.
enum Exit : int {
  kOk = dfc::tools::kExitOk,
  kLocalError = dfc::tools::kExitRunFailure,  // socket / Seq file error
  kTimeout = dfc::tools::kExitRunFailure,     // no (complete) reply after all attempts; listen: fewer than --count
  kIncomplete = dfc::tools::kExitRunFailure,  // multi-packet LIST reply with entries missing when the wait ended
  kBadInput = dfc::tools::kExitBadInput,      // usage error, invalid option value, missing key, bad script
  kBadReply = dfc::tools::kExitExpectations,  // verification failed: a reply/notification whose signature does not verify, or malformed
};
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

const char* kExitHelp =
    "Exit status: 0 reply 200 OK (listen: --count notifications received, or --timeout with no --count);\n"
    "  1 failure at run time: timeout (no reply after all attempts; listen: fewer than --count), local\n"
    "  error (socket, Seq file), multi-packet LIST reply incomplete; 2 usage or bad input (options, no key,\n"
    "  .dtcp script); 3 verification failed: a reply/notification whose signature does not verify or\n"
    "  that is malformed;\n"
    "  DTCP errors: 10 = 400 Bad Request, 11 = 430 Unknown Content Destination, 12 = 431 Unknown\n"
    "  Criteria ID, 13 = 432 Improper Filter, 14 = 433 Improper Timeout, 15 = other 4xx,\n"
    "  20 = 500, 21 = 501 Not Implemented, 22 = 505 Version, 23 = 550, 24 = 551, 25 = other 5xx,\n"
    "  30 = any other status.\n"
    "Retries: a request without a reply after --timeout is sent again up to --retries times, each\n"
    "  time with a NEW Seq (and a new signature). The server drops a Seq it has already seen as a\n"
    "  replay without answering, so resending identical bytes could never be answered once the first\n"
    "  copy arrived. A late reply to an earlier attempt is accepted too. Consequence: if only the reply\n"
    "  was lost, a retried ADD installs a second criterion (dtcpctl warns; check with `list`).\n"
    "  With --seq N exactly that Seq is sent (retransmissions repeat the same bytes; the Seq file is\n"
    "  not touched) - useful to test replay protection.\n"
    "Key: --key-file FILE (first line, trailing newline removed) or $DTCP_KEY; never printed.\n";

struct Fail {
  int code;
  std::string msg;
};

// ---- small helpers ---------------------------------------------------------------------------
std::string now_text() {
  const auto t = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return b;
}

udp::endpoint parse_endpoint(const std::string& s, const char* what) {
  std::string host, port;
  if (!s.empty() && s.front() == '[') {
    const size_t r = s.find(']');
    if (r == std::string::npos || r + 1 >= s.size() || s[r + 1] != ':')
      throw Fail{kBadInput, std::string(what) + ": expected [IPv6]:PORT, got '" + s + "'"};
    host = s.substr(1, r - 1);
    port = s.substr(r + 2);
  } else {
    const size_t c = s.rfind(':');
    if (c == std::string::npos) throw Fail{kBadInput, std::string(what) + ": expected ADDR:PORT, got '" + s + "'"};
    host = s.substr(0, c);
    port = s.substr(c + 1);
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    // A host name (localhost, a lab machine): the first address the resolver gives, IPv4 first.
    asio::io_context io;
    udp::resolver res(io);
    const auto found = res.resolve(host, "", ec);
    if (ec || found.empty())
      throw Fail{kBadInput, std::string(what) + ": '" + host + "' is neither an IP address nor a host name that resolves" +
                                (ec ? " (" + ec.message() + ")" : std::string())};
    addr = found.begin()->endpoint().address();
    for (const auto& e : found)
      if (e.endpoint().address().is_v4()) {
        addr = e.endpoint().address();
        break;
      }
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535)
    throw Fail{kBadInput, std::string(what) + ": '" + port + "' is not a UDP port (1-65535)"};
  return udp::endpoint(addr, static_cast<unsigned short>(std::stoul(port)));
}

std::string endpoint_text(const udp::endpoint& e) {
  return (e.address().is_v6() ? "[" + e.address().to_string() + "]" : e.address().to_string()) + ":" +
         std::to_string(e.port());
}

// A parameter value goes on one line: no CR/LF or other control characters.
void check_value(const std::string& opt, const std::string& v) {
  if (v.empty()) throw Fail{kBadInput, opt + ": empty value"};
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) throw Fail{kBadInput, opt + ": control characters are not allowed in a value"};
  }
}

std::string read_key(const std::string& key_file) {
  std::string key;
  if (!key_file.empty()) {
    std::ifstream f(key_file, std::ios::binary);
    if (!f) throw Fail{kBadInput, key_file + ": cannot read key file"};
    std::getline(f, key);
    if (!key.empty() && key.back() == '\r') key.pop_back();
  } else if (const char* e = std::getenv("DTCP_KEY")) {
    key = e;
  }
  if (key.empty()) throw Fail{kBadInput, "no shared key: use --key-file FILE or set DTCP_KEY"};
  return key;
}

// ---- persistent Seq --------------------------------------------------------------------------
// The file holds the last Seq used, in decimal. Reserving a Seq takes an exclusive lock (on a
// side file: the Seq file itself is replaced by rename), reads, increments and atomically
// replaces the file (write temp + fsync + rename), so concurrent dtcpctl runs get distinct
// numbers and a crash never reuses one.
class SeqStore {
 public:
  SeqStore(std::string path, uint64_t first) : path_(std::move(path)), first_(first) {}
  uint64_t reserve() {
    const fs::path p(path_);
    if (p.has_parent_path()) {
      std::error_code ec;
      if (!fs::exists(p.parent_path(), ec)) {
        fs::create_directories(p.parent_path(), ec);
        if (ec) throw Fail{kLocalError, p.parent_path().string() + ": cannot create directory: " + ec.message()};
        fs::permissions(p.parent_path(), fs::perms::owner_all, ec);  // private, like the key
      }
    }
    const std::string lock = path_ + ".lock";
    const int lfd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0) throw Fail{kLocalError, lock + ": cannot open lock file"};
    struct Closer {
      int fd;
      ~Closer() { ::flock(fd, LOCK_UN), ::close(fd); }
    } closer{lfd};
    if (::flock(lfd, LOCK_EX) != 0) throw Fail{kLocalError, lock + ": cannot lock"};
    uint64_t next = first_;
    {
      std::ifstream f(path_);
      if (f) {
        std::string s;
        f >> s;
        if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
          throw Fail{kLocalError, path_ + ": not a sequence-number file (expected one decimal number)"};
        next = std::stoull(s) + 1;  // wraps at 2^64 like the protocol's Seq
      }
    }
    const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Fail{kLocalError, tmp + ": cannot create"};
    const std::string text = std::to_string(next) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
      ::unlink(tmp.c_str());
      throw Fail{kLocalError, path_ + ": cannot update sequence-number file"};
    }
    return next;
  }

 private:
  std::string path_;
  uint64_t first_;
};

// ---- UDP with deadlines ----------------------------------------------------------------------
class Udp {
 public:
  Udp() : sock_(io_) {}
  void open(const udp::endpoint& local) {
    boost::system::error_code ec;
    sock_.open(local.protocol(), ec);
    if (!ec) sock_.bind(local, ec);
    if (ec) throw Fail{kLocalError, "cannot bind UDP " + endpoint_text(local) + ": " + ec.message()};
  }
  void send(const std::string& data, const udp::endpoint& to) {
    boost::system::error_code ec;
    sock_.send_to(asio::buffer(data), to, 0, ec);
    if (ec) throw Fail{kLocalError, "cannot send to " + endpoint_text(to) + ": " + ec.message()};
  }
  // One datagram, or nullopt when the deadline passes first.
  std::optional<std::string> recv(std::chrono::steady_clock::time_point deadline, udp::endpoint& from) {
    const auto now = std::chrono::steady_clock::now();
    if (deadline <= now) return std::nullopt;
    buf_.resize(65536);
    bool done = false;
    boost::system::error_code rec;
    size_t n = 0;
    io_.restart();
    sock_.async_receive_from(asio::buffer(buf_), from, [&](const boost::system::error_code& e, size_t len) {
      done = true, rec = e, n = len;
    });
    io_.run_for(deadline - now);
    if (!done) {
      sock_.cancel();
      io_.restart();
      io_.run();  // completes the cancelled receive
      if (!done || rec == asio::error::operation_aborted) return std::nullopt;
    }
    if (rec) {
      // ICMP port unreachable from an earlier send shows up as connection_refused: no server yet.
      if (rec == asio::error::connection_refused) return recv(deadline, from);
      throw Fail{kLocalError, "receive failed: " + rec.message()};
    }
    return std::string(buf_.data(), n);
  }

 private:
  asio::io_context io_;
  udp::socket sock_;
  std::vector<char> buf_;
};

// ---- output ----------------------------------------------------------------------------------
json params_json(const std::vector<dfc::dtcp::Param>& ps) {
  json o = json::object();
  for (const auto& p : ps)
    if (!o.contains(p.name)) o[p.name] = p.value;
  return o;
}

// LIST entries: a new entry starts at Criteria-Count (or at a Criteria-Num outside an entry or
// repeated in it). The packet's own Timestamp and Seq follow the last entry; an entry carries one
// Timestamp (time added), so a second Timestamp or a Seq ends the entry.
std::vector<std::vector<dfc::dtcp::Param>> split_entries(const dfc::dtcp::Message& m) {
  std::vector<std::vector<dfc::dtcp::Param>> out;
  bool in_entry = false;
  std::set<std::string> seen;
  for (const auto& p : m.params) {
    std::string lname = p.name;
    for (auto& ch : lname) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
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

std::optional<uint64_t> to_u64(const std::string& s) {
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(s);
  } catch (...) {
    return std::nullopt;
  }
}

// ---- one request/response exchange ------------------------------------------------------------
struct Common {
  std::string server, csource, key_file, seq_file, version = "0.7", local;
  double timeout_s = 2.0;
  int retries = 2;
  uint64_t seq_start = 1;
  std::optional<uint64_t> fixed_seq;
  bool json_out = false, verbose = false;
};

struct Outcome {
  int status = 0;
  std::string reason, version;
  uint64_t seq = 0;
  int attempts = 0;
  std::vector<dfc::dtcp::Param> params;               // single-packet reply
  std::vector<std::vector<dfc::dtcp::Param>> entries;  // LIST
  size_t packets = 0;
};

dfc::dtcp::Version parse_version_opt(const std::string& v) {
  const size_t dot = v.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= v.size() ||
      v.find_first_not_of("0123456789.") != std::string::npos || v.find('.', dot + 1) != std::string::npos)
    throw Fail{kBadInput, "--dtcp-version: expected MAJOR.MINOR (e.g. 0.7), got '" + v + "'"};
  return {std::stoi(v.substr(0, dot)), std::stoi(v.substr(dot + 1))};
}

Outcome exchange(const Common& c, const std::string& method,
                 const std::vector<std::pair<std::string, std::string>>& params) {
  if (c.server.empty()) throw Fail{kBadInput, "--server ADDR:PORT is required"};
  if (c.csource.empty()) throw Fail{kBadInput, "--csource ID is required"};
  const udp::endpoint server = parse_endpoint(c.server, "--server");
  const std::string key = read_key(c.key_file);
  const dfc::dtcp::Version ver = parse_version_opt(c.version);
  std::string seq_path = c.seq_file;
  if (seq_path.empty()) {
    const char* home = std::getenv("HOME");
    seq_path = std::string(home && *home ? home : ".") + "/.dtcpctl/" + c.csource + ".seq";
  }
  SeqStore store(seq_path, c.seq_start);

  Udp sock;
  sock.open(c.local.empty() ? udp::endpoint(server.address().is_v6() ? udp::v6() : udp::v4(), 0)
                            : parse_endpoint(c.local, "--local"));
  const bool is_list = method == "LIST";

  // Attempts by Seq; for LIST the packets collected per Seq.
  struct Attempt {
    std::map<uint64_t, std::vector<dfc::dtcp::Param>> entries;  // by Criteria-Num
    uint64_t count = 0;                                         // Criteria-Count (nonzero one)
    size_t packets = 0;
    bool empty_reply = false;
    dfc::dtcp::Message first;
  };
  std::map<uint64_t, Attempt> attempts;
  std::string last_request;
  uint64_t seq = 0;
  const int total = 1 + std::max(0, c.retries);
  for (int a = 0; a < total; ++a) {
    if (!c.fixed_seq || a == 0) {
      seq = c.fixed_seq ? *c.fixed_seq : store.reserve();
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
      Attempt& at = attempts[*sv];
      ++at.packets;
      Outcome o;
      o.status = m->status;
      o.reason = m->reason;
      o.version = m->version_text;
      o.seq = *sv;
      o.attempts = a + 1;
      if (!is_list || m->status != 200) {
        o.params = m->params;
        o.packets = 1;
        if (a > 0 && method == "ADD" && o.status == 200)
          std::cerr << "dtcpctl: warning: ADD answered only after " << a + 1
                    << " attempts; if an earlier attempt reached the server a second criterion exists"
                       " (check with `dtcpctl list`)\n";
        return o;
      }
      // LIST: reassemble.
      if (at.packets == 1) at.first = *m;
      const auto es = split_entries(*m);
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
      if (complete) {
        o.params = at.first.params;
        o.packets = at.packets;
        for (auto& [n, e] : at.entries) o.entries.push_back(std::move(e));
        return o;
      }
    }
  }
  // No complete answer.
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
  throw Fail{kTimeout, "no reply from " + endpoint_text(server) + " after " + std::to_string(total) +
                           " attempt(s) of " + std::to_string(c.timeout_s) + " s" +
                           " (unknown control source, bad key, replayed Seq or no server: DTCP never answers those)"};
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

// ---- listen ----------------------------------------------------------------------------------
int listen_notifications(const Common& c, const std::string& bind_addr, int port, int count, double timeout_s) {
  const std::string key = read_key(c.key_file);
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(bind_addr, ec);
  if (ec) throw Fail{kBadInput, "--bind: '" + bind_addr + "' is not an IP address"};
  Udp sock;
  sock.open(udp::endpoint(addr, static_cast<unsigned short>(port)));
  std::cerr << "dtcpctl: listening for notifications on " << bind_addr << ":" << port << "\n";
  const bool forever = timeout_s <= 0;
  const auto deadline = forever ? std::chrono::steady_clock::time_point::max()
                                : std::chrono::steady_clock::now() +
                                      std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6));
  int got = 0, bad = 0;
  while (count <= 0 || got < count) {
    udp::endpoint from;
    const auto slice = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3600));
    auto data = sock.recv(slice, from);
    if (!data) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      continue;
    }
    auto m = dfc::dtcp::parse_message(*data);
    const bool dtcp = m && m->is_status;
    const bool ok = dtcp && dfc::dtcp::verify(*m, *data, key);
    if (ok) ++got;
    else ++bad;
    if (c.json_out) {
      json j;
      j["received"] = now_text();
      j["from"] = endpoint_text(from);
      j["signature_ok"] = ok;
      if (dtcp) {
        j["status"] = m->status;
        j["reason"] = m->reason;
        j["version"] = m->version_text;
        j["params"] = params_json(m->params);
      } else {
        j["error"] = "not a DTCP status message";
      }
      std::cout << j.dump() << std::endl;
    } else {
      std::cout << "[" << now_text() << "] from " << endpoint_text(from);
      if (!dtcp) {
        std::cout << ": not a DTCP notification (" << data->size() << " bytes)\n";
      } else {
        std::cout << ": " << m->version_text << " " << m->status << " " << m->reason
                  << (ok ? "" : "  [SIGNATURE DOES NOT VERIFY]") << "\n";
        for (const auto& p : m->params) std::cout << "  " << p.name << ": " << p.value << "\n";
      }
      std::cout.flush();
    }
  }
  if (bad) std::cerr << "dtcpctl: " << bad << " datagram(s) failed verification\n";
  if (count > 0 && got < count) {
    std::cerr << "dtcpctl: timeout: " << got << " of " << count << " notification(s) received\n";
    return kTimeout;
  }
  return bad ? kBadReply : kOk;
}


// ---- send FILE ---------------------------------------------------------------------------------
// A .dtcp script as `dfcsim run --dtcp` takes it: requests separated by empty lines, '#' lines are
// comments. Each request's Seq and Authentication-Info are added here (a script carrying them is
// refused: use --seq for replay tests); a Csource-ID in the request overrides --csource for it.
struct ScriptRequest {
  int line = 0;
  std::string method, version;
  std::string csource;
  std::vector<std::pair<std::string, std::string>> params;
};

std::vector<ScriptRequest> parse_script(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Fail{kBadInput, path + ": cannot read the script"};
  std::vector<ScriptRequest> out;
  std::optional<ScriptRequest> cur;
  std::string line;
  int n = 0;
  auto flush = [&] {
    if (cur) out.push_back(std::move(*cur));
    cur.reset();
  };
  while (std::getline(f, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
      continue;
    }
    if (line[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (!cur) {
      std::istringstream is(line);
      ScriptRequest r;
      r.line = n;
      std::string proto;
      is >> r.method >> proto;
      if (r.method.empty() || proto.rfind("DTCP/", 0) != 0)
        throw Fail{kBadInput, where + "expected a request line 'METHOD DTCP/x.y', got '" + line + "'"};
      r.version = proto.substr(5);
      cur = std::move(r);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      throw Fail{kBadInput, where + "expected 'Name: value', got '" + line + "'"};
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    name.erase(name.find_last_not_of(" \t") + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    if (dfc::dtcp::iequals(name, "Seq") || dfc::dtcp::iequals(name, "Authentication-Info"))
      throw Fail{kBadInput, where + name + " is added by dtcpctl (each request is numbered and signed)"};
    if (dfc::dtcp::iequals(name, "Csource-ID")) {
      cur->csource = value;
      continue;
    }
    check_value(where + name, value);
    cur->params.emplace_back(name, value);
  }
  flush();
  if (out.empty()) throw Fail{kBadInput, path + ": no request in the script"};
  return out;
}

// Sends every request in order; the exit status is the first non-zero one (all are sent).
int send_script(const Common& common, const std::string& path) {
  const auto reqs = parse_script(path);
  int rc = kOk;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const ScriptRequest& r = reqs[i];
    Common c = common;
    if (!r.csource.empty()) c.csource = r.csource;
    c.version = r.version;
    int this_rc;
    if (!c.json_out) std::cout << (i ? "\n" : "") << "# " << i + 1 << " " << r.method << " (" << path << ":" << r.line << ")\n";
    try {
      const Outcome o = exchange(c, r.method, r.params);
      print_outcome(c, r.method, o);
      this_rc = exit_for_status(o.status);
    } catch (const Fail& e) {
      if (c.json_out) std::cout << json{{"error", e.msg}, {"exit", e.code}}.dump() << "\n";
      std::cerr << "dtcpctl: request " << i + 1 << " (" << path << ":" << r.line << "): " << e.msg << "\n";
      this_rc = e.code;
    }
    std::cout.flush();
    if (rc == kOk) rc = this_rc;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dtcpctl: a DTCP control source (draft-cavuto-dtcp) for dfcsim serve or a DFC card"};
  app.footer(kExitHelp);
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last one wins
  Common c;
  app.set_version_flag("--version", "dtcpctl " DFC_VERSION_STRING);
  app.add_option("--server", c.server, "DTCP server HOST:PORT (the control source's service-port)")
      ->envname("DTCPCTL_SERVER");
  app.add_option("--csource", c.csource, "Csource-ID of this control source")->envname("DTCPCTL_CSOURCE");
  app.add_option("--key-file", c.key_file, "file holding the shared key (else $DTCP_KEY)")
      ->envname("DTCPCTL_KEY_FILE");
  app.add_option("--seq-file", c.seq_file, "persistent Seq state (default ~/.dtcpctl/<csource>.seq)");
  app.add_option("--seq-start", c.seq_start, "first Seq when the Seq file does not exist yet")->capture_default_str();
  std::string fixed_seq;
  app.add_option("--seq", fixed_seq, "send exactly this Seq (no Seq file update; retransmits repeat it)");
  app.add_option("--dtcp-version", c.version, "protocol version of the request line")->capture_default_str();
  app.add_option("--timeout", c.timeout_s, "seconds to wait for a reply per attempt")
      ->check(CLI::Range(0.01, 3600.0))->capture_default_str();
  app.add_option("--retries", c.retries, "further attempts, each with a new Seq")
      ->check(CLI::Range(0, 100))->capture_default_str();
  app.add_option("--local", c.local, "local ADDR:PORT to send from (default: any, ephemeral port)");
  app.add_flag("--json", c.json_out, "JSON output (one object; listen: one object per line)");
  app.add_flag("-v,--verbose", c.verbose, "print the datagrams sent and received on stderr");

  // Criteria fields shared by the subcommands.
  struct Fields {
    std::string src_addr, dst_addr, proto, src_port, dst_port, icmp_type, icmp_code, flags, cdest, criteria_id,
        action;
    uint64_t t_idle = 0, t_total = 0, t_packets = 0, t_bytes = 0, priority = 0;
    std::vector<std::string> extra;
  } f;
  std::map<std::string, CLI::Option*> opts;
  auto filters = [&](CLI::App* s) {
    s->add_option("--src-addr", f.src_addr, "Source-Address filter (a, a/len, a-b, *, !a, lists)");
    s->add_option("--dst-addr", f.dst_addr, "Dest-Address filter");
    s->add_option("--proto", f.proto, "Protocol filter (e.g. 6,17)");
    s->add_option("--src-port", f.src_port, "Source-Port filter (n, n-m, n-*, ...)");
    s->add_option("--dst-port", f.dst_port, "Dest-Port filter");
    s->add_option("--icmp-type", f.icmp_type, "ICMP-Type filter");
    s->add_option("--icmp-code", f.icmp_code, "ICMP-Code filter");
  };
  auto timeouts = [&](CLI::App* s) {
    opts[s->get_name() + "ti"] = s->add_option("--timeout-idle", f.t_idle, "Timeout-Idle seconds");
    opts[s->get_name() + "tt"] = s->add_option("--timeout-total", f.t_total, "Timeout-Total seconds");
    opts[s->get_name() + "tp"] = s->add_option("--timeout-packets", f.t_packets, "Timeout-Packets");
    opts[s->get_name() + "tb"] = s->add_option("--timeout-bytes", f.t_bytes, "Timeout-Bytes");
  };
  auto extras = [&](CLI::App* s) {
    s->add_option("--param", f.extra, "extra parameter NAME=VALUE (repeatable, e.g. X-Note=lab)");
  };

  auto* add = app.add_subcommand("add", "ADD a criterion (prints its Criteria-ID)");
  filters(add);
  timeouts(add);
  add->add_option("--cdest", f.cdest, "Cdest-ID (content destination)")->required();
  opts["addprio"] = add->add_option("--priority", f.priority, "Priority (lower = more important)");
  add->add_option("--flags", f.flags, "Flags: Static, SendAsync (comma list)");
  add->add_option("--action", f.action, "Action (Copy)");
  extras(add);

  auto* del = app.add_subcommand("delete", "DELETE criteria by --criteria-id or --cdest");
  del->add_option("--criteria-id", f.criteria_id, "Criteria-ID (n, list, ranges)");
  del->add_option("--cdest", f.cdest, "Cdest-ID: all of this source's criteria to it");
  del->add_option("--flags", f.flags, "Flags (Static: also delete STATIC criteria)");
  extras(del);

  auto* ref = app.add_subcommand("refresh", "REFRESH the timeouts of criteria");
  ref->add_option("--criteria-id", f.criteria_id, "Criteria-ID (n, list, ranges)");
  ref->add_option("--cdest", f.cdest, "Cdest-ID");
  timeouts(ref);
  extras(ref);

  auto* lst = app.add_subcommand("list", "LIST criteria (multi-packet replies reassembled)");
  lst->add_option("--criteria-id", f.criteria_id, "Criteria-ID (n, list, ranges)");
  lst->add_option("--cdest", f.cdest, "Cdest-ID");
  lst->add_option("--flags", f.flags, "Flags: Stats, Criteria or Both (server default: Criteria)");
  extras(lst);

  auto* noop = app.add_subcommand("noop", "NOOP (with --flags SendAsync the server also notifies)");
  noop->add_option("--flags", f.flags, "Flags: SendAsync");
  extras(noop);

  auto* lis = app.add_subcommand("listen", "receive notifications and verify their signatures");
  int lport = 0, lcount = 0;
  double ltimeout = 0;
  std::string lbind = "0.0.0.0";
  lis->add_option("--port", lport, "UDP port (a configured notification-target port)")->required()
      ->check(CLI::Range(1, 65535));
  lis->add_option("--bind", lbind, "local address")->capture_default_str();
  lis->add_option("--count", lcount, "exit after N verified notifications")->check(CLI::Range(0, 1 << 30));
  lis->add_option("--timeout", ltimeout, "exit after S seconds (0: no limit)")->check(CLI::Range(0.0, 1e7));

  auto* snd = app.add_subcommand("send", "send a .dtcp script: requests separated by empty lines, each numbered "
                                        "and signed here; prints each reply");
  std::string script;
  snd->add_option("FILE", script, "the .dtcp script (request line, then NAME: VALUE lines)")
      ->required()
      ->check(CLI::ExistingFile);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kBadInput;
  }

  try {
    if (!fixed_seq.empty()) {
      c.fixed_seq = to_u64(fixed_seq);
      if (!c.fixed_seq) throw Fail{kBadInput, "--seq: expected an unsigned 64-bit number"};
    }
    if (lis->parsed()) return listen_notifications(c, lbind, lport, lcount, ltimeout);
    if (snd->parsed()) return send_script(c, script);

    std::vector<std::pair<std::string, std::string>> ps;
    auto put = [&](const char* opt, const char* name, const std::string& v) {
      if (v.empty()) return;
      check_value(opt, v);
      ps.emplace_back(name, v);
    };
    auto put_n = [&](CLI::App* s, const char* k, const char* name, uint64_t v) {
      auto it = opts.find(s->get_name() + k);
      if (it != opts.end() && it->second->count()) ps.emplace_back(name, std::to_string(v));
    };
    CLI::App* sub = app.get_subcommands().front();
    std::string method;
    if (sub == add) {
      method = "ADD";
      put("--src-addr", "Source-Address", f.src_addr);
      put("--dst-addr", "Dest-Address", f.dst_addr);
      put("--proto", "Protocol", f.proto);
      put("--src-port", "Source-Port", f.src_port);
      put("--dst-port", "Dest-Port", f.dst_port);
      put("--icmp-type", "ICMP-Type", f.icmp_type);
      put("--icmp-code", "ICMP-Code", f.icmp_code);
      put_n(add, "ti", "Timeout-Idle", f.t_idle);
      put_n(add, "tt", "Timeout-Total", f.t_total);
      put_n(add, "tp", "Timeout-Packets", f.t_packets);
      put_n(add, "tb", "Timeout-Bytes", f.t_bytes);
      put("--action", "Action", f.action);
      if (opts["addprio"]->count()) ps.emplace_back("Priority", std::to_string(f.priority));
      put("--flags", "Flags", f.flags);
      put("--cdest", "Cdest-ID", f.cdest);
    } else if (sub == del || sub == ref || sub == lst) {
      method = sub == del ? "DELETE" : sub == ref ? "REFRESH" : "LIST";
      if (sub != lst && f.criteria_id.empty() == f.cdest.empty())
        throw Fail{kBadInput, sub->get_name() + ": give exactly one of --criteria-id and --cdest"};
      put("--criteria-id", "Criteria-ID", f.criteria_id);
      put("--cdest", "Cdest-ID", f.cdest);
      if (sub == ref) {
        put_n(ref, "ti", "Timeout-Idle", f.t_idle);
        put_n(ref, "tt", "Timeout-Total", f.t_total);
        put_n(ref, "tp", "Timeout-Packets", f.t_packets);
        put_n(ref, "tb", "Timeout-Bytes", f.t_bytes);
      } else {
        put("--flags", "Flags", f.flags);
      }
    } else {
      method = "NOOP";
      put("--flags", "Flags", f.flags);
    }
    for (const std::string& x : f.extra) {
      const size_t eq = x.find('=');
      if (eq == std::string::npos || eq == 0) throw Fail{kBadInput, "--param: expected NAME=VALUE, got '" + x + "'"};
      const std::string name = x.substr(0, eq);
      if (name.find_first_of(": \t") != std::string::npos) throw Fail{kBadInput, "--param: bad name '" + name + "'"};
      const std::string lname = [&] {
        std::string s = name;
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
      }();
      if (lname == "seq" || lname == "csource-id" || lname == "authentication-info")
        throw Fail{kBadInput, "--param: " + name + " is set by dtcpctl"};
      check_value("--param " + name, x.substr(eq + 1));
      ps.emplace_back(name, x.substr(eq + 1));
    }
    const Outcome o = exchange(c, method, ps);
    print_outcome(c, method, o);
    return exit_for_status(o.status);
  } catch (const Fail& e) {
    if (c.json_out) std::cout << json{{"error", e.msg}, {"exit", e.code}}.dump() << "\n";
    std::cerr << "dtcpctl: " << e.msg << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "dtcpctl: error: " << e.what() << "\n";
    return kLocalError;
  }
}
