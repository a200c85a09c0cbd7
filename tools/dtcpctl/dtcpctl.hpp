// dtcpctl's pieces, shared by its files:
//   main.cpp      the command line (global options, the request subcommands' option table)
//   exchange.cpp  one request/reply exchange (retries with a new Seq, LIST reassembly), output
//   net.cpp       addresses and UDP with deadlines
//   seq_store.cpp the persistent Seq file and the shared key
//   listen.cpp    `listen`: notifications received and verified
//   script.cpp    `send FILE`: a .dtcp script, request by request
#pragma once
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/exit_codes.hpp"
#include "dfc/dtcp/message.hpp"

namespace dfc::dtcpctl {

namespace asio = boost::asio;
using asio::ip::udp;

// ---- exit statuses ---------------------------------------------------------------------------
// 0..3 are the table shared by every dfcsim command (tools/cli/exit_codes.hpp); 10.. are
// dtcpctl's own: the DTCP status the server answered with (exit_for_status).
enum Exit : int {
  kOk = tools::kExitOk,
  kLocalError = tools::kExitRunFailure,  // socket / Seq file error
  kTimeout = tools::kExitRunFailure,     // no (complete) reply after all attempts; listen: fewer than --count
  kIncomplete = tools::kExitRunFailure,  // multi-packet LIST reply with entries missing when the wait ended
  kBadInput = tools::kExitBadInput,      // usage error, invalid option value, missing key, bad script
  kBadReply = tools::kExitExpectations,  // verification failed: a reply/notification whose signature does not verify, or malformed
};
int exit_for_status(int status);

// A failure with its exit status and message (printed as "dtcpctl: <msg>").
struct Fail {
  int code;
  std::string msg;
};

using Params = std::vector<std::pair<std::string, std::string>>;  // request parameters, in order

// The global options: where to send, as whom, how to number, sign and wait.
struct Common {
  std::string server, csource, key_file, seq_file, version = "0.7", local;
  double timeout_s = 2.0;
  int retries = 2;
  uint64_t seq_start = 1;
  std::optional<uint64_t> fixed_seq;
  bool json_out = false, verbose = false;
};

// The answer to one request.
struct Outcome {
  int status = 0;
  std::string reason, version;
  uint64_t seq = 0;
  int attempts = 0;
  std::vector<dtcp::Param> params;               // single-packet reply
  std::vector<std::vector<dtcp::Param>> entries;  // LIST
  size_t packets = 0;
};

// ---- helpers (net.cpp, exchange.cpp, seq_store.cpp) -------------------------------------------
std::string now_text();  // UTC "YYYY-MM-DD hh:mm:ss.mmm"
// ADDR:PORT, [IPv6]:PORT or HOST:PORT (resolved, IPv4 preferred); Fail{kBadInput} naming `what`.
udp::endpoint parse_endpoint(const std::string& s, const char* what);
std::string endpoint_text(const udp::endpoint& e);
// A parameter value goes on one line: no CR/LF or other control characters.
void check_value(const std::string& opt, const std::string& v);
std::optional<uint64_t> to_u64(const std::string& s);
// A message's parameters as a JSON object (the first of repeated names).
nlohmann::json params_json(const std::vector<dtcp::Param>& ps);
// --key-file (first line) or $DTCP_KEY; never printed.
std::string read_key(const std::string& key_file);

// ---- persistent Seq (seq_store.cpp) -----------------------------------------------------------
// The file holds the last Seq used, in decimal. Reserving a Seq takes an exclusive lock (on a
// side file: the Seq file itself is replaced by rename), reads, increments and atomically
// replaces the file (write temp + fsync + rename), so concurrent dtcpctl runs get distinct
// numbers and a crash never reuses one.
class SeqStore {
 public:
  SeqStore(std::string path, uint64_t first) : path_(std::move(path)), first_(first) {}
  uint64_t reserve();

 private:
  std::string path_;
  uint64_t first_;
};

// ---- UDP with deadlines (net.cpp) -------------------------------------------------------------
class Udp {
 public:
  Udp() : sock_(io_) {}
  void open(const udp::endpoint& local);
  void send(const std::string& data, const udp::endpoint& to);
  // One datagram, or nullopt when the deadline passes first.
  std::optional<std::string> recv(std::chrono::steady_clock::time_point deadline, udp::endpoint& from);

 private:
  asio::io_context io_;
  udp::socket sock_;
  std::vector<char> buf_;
};

// ---- commands ---------------------------------------------------------------------------------
// Sends `method` with `params` (plus Csource-ID, Seq, Authentication-Info) and waits for the
// verified reply, retrying with a new Seq; LIST replies are reassembled. Throws Fail.
Outcome exchange(const Common& c, const std::string& method, const Params& params);
void print_outcome(const Common& c, const std::string& method, const Outcome& o);
int listen_notifications(const Common& c, const std::string& bind_addr, int port, int count, double timeout_s);
int send_script(const Common& common, const std::string& path);

}  // namespace dfc::dtcpctl
