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
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/text.hpp"
#include "dfc_version.hpp"
#include "dtcpctl.hpp"

namespace {

using namespace dfc::dtcpctl;
using nlohmann::json;

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

// ---- the request subcommands: one table ------------------------------------------------------
// A request field: its option, the DTCP parameter it sets, and its place in the request (`wire`:
// parameters go out in that order, whatever the order of the options in --help). Text fields
// are sent when not empty (one line, no control characters), numbers when given.
enum class Kind { Text, Number };
struct Field {
  const char* option;
  const char* param;
  Kind kind;
  int wire;
  const char* help;
  bool required = false;
};

struct RequestCommand {
  const char* name;
  const char* method;
  const char* description;
  bool selector;              // exactly one of --criteria-id and --cdest
  std::vector<Field> fields;  // in --help order
};

const Field kSrcAddr{"--src-addr", "Source-Address", Kind::Text, 0, "Source-Address filter (a, a/len, a-b, *, !a, lists)"};
const Field kDstAddr{"--dst-addr", "Dest-Address", Kind::Text, 1, "Dest-Address filter"};
const Field kProto{"--proto", "Protocol", Kind::Text, 2, "Protocol filter (e.g. 6,17)"};
const Field kSrcPort{"--src-port", "Source-Port", Kind::Text, 3, "Source-Port filter (n, n-m, n-*, ...)"};
const Field kDstPort{"--dst-port", "Dest-Port", Kind::Text, 4, "Dest-Port filter"};
const Field kIcmpType{"--icmp-type", "ICMP-Type", Kind::Text, 5, "ICMP-Type filter"};
const Field kIcmpCode{"--icmp-code", "ICMP-Code", Kind::Text, 6, "ICMP-Code filter"};
// The four timeouts, at `wire` .. wire + 3.
std::vector<Field> timeouts(int wire) {
  return {{"--timeout-idle", "Timeout-Idle", Kind::Number, wire, "Timeout-Idle seconds"},
          {"--timeout-total", "Timeout-Total", Kind::Number, wire + 1, "Timeout-Total seconds"},
          {"--timeout-packets", "Timeout-Packets", Kind::Number, wire + 2, "Timeout-Packets"},
          {"--timeout-bytes", "Timeout-Bytes", Kind::Number, wire + 3, "Timeout-Bytes"}};
}
const char* kIdHelp = "Criteria-ID (n, list, ranges)";

std::vector<RequestCommand> request_commands() {
  std::vector<Field> add = {kSrcAddr, kDstAddr, kProto, kSrcPort, kDstPort, kIcmpType, kIcmpCode};
  for (const Field& t : timeouts(7)) add.push_back(t);
  add.push_back({"--cdest", "Cdest-ID", Kind::Text, 14, "Cdest-ID (content destination)", true});
  add.push_back({"--priority", "Priority", Kind::Number, 12, "Priority (lower = more important)"});
  add.push_back({"--flags", "Flags", Kind::Text, 13, "Flags: Static, SendAsync (comma list)"});
  add.push_back({"--action", "Action", Kind::Text, 11, "Action (Copy)"});
  std::vector<Field> refresh = {{"--criteria-id", "Criteria-ID", Kind::Text, 0, kIdHelp},
                                {"--cdest", "Cdest-ID", Kind::Text, 1, "Cdest-ID"}};
  for (const Field& t : timeouts(2)) refresh.push_back(t);
  return {
      {"add", "ADD", "ADD a criterion (prints its Criteria-ID)", false, add},
      {"delete", "DELETE", "DELETE criteria by --criteria-id or --cdest", true,
       {{"--criteria-id", "Criteria-ID", Kind::Text, 0, kIdHelp},
        {"--cdest", "Cdest-ID", Kind::Text, 1, "Cdest-ID: all of this source's criteria to it"},
        {"--flags", "Flags", Kind::Text, 2, "Flags (Static: also delete STATIC criteria)"}}},
      {"refresh", "REFRESH", "REFRESH the timeouts of criteria", true, refresh},
      {"list", "LIST", "LIST criteria (multi-packet replies reassembled)", false,
       {{"--criteria-id", "Criteria-ID", Kind::Text, 0, kIdHelp},
        {"--cdest", "Cdest-ID", Kind::Text, 1, "Cdest-ID"},
        {"--flags", "Flags", Kind::Text, 2, "Flags: Stats, Criteria or Both (server default: Criteria)"}}},
      {"noop", "NOOP", "NOOP (with --flags SendAsync the server also notifies)", false,
       {{"--flags", "Flags", Kind::Text, 0, "Flags: SendAsync"}}},
  };
}

// One request subcommand as parsed: the values of its fields and its --param list.
struct RequestCli {
  RequestCommand spec;
  CLI::App* app = nullptr;
  std::map<std::string, std::string> text;  // by option
  std::map<std::string, uint64_t> number;   // by option
  std::map<std::string, CLI::Option*> options;
  std::vector<std::string> extra;  // --param NAME=VALUE
};

void add_request_subcommand(CLI::App& app, RequestCli& r) {
  r.app = app.add_subcommand(r.spec.name, r.spec.description);
  for (const Field& f : r.spec.fields) {
    CLI::Option* o = f.kind == Kind::Text ? r.app->add_option(f.option, r.text[f.option], f.help)
                                          : r.app->add_option(f.option, r.number[f.option], f.help);
    if (f.required) o->required();
    r.options[f.option] = o;
  }
  r.app->add_option("--param", r.extra, "extra parameter NAME=VALUE (repeatable, e.g. X-Note=lab)");
}

// --param NAME=VALUE: any parameter but the ones dtcpctl sets itself.
void add_extra_params(const std::vector<std::string>& extra, Params& ps) {
  for (const std::string& x : extra) {
    const size_t eq = x.find('=');
    if (eq == std::string::npos || eq == 0) throw Fail{kBadInput, "--param: expected NAME=VALUE, got '" + x + "'"};
    const std::string name = x.substr(0, eq);
    if (name.find_first_of(": \t") != std::string::npos) throw Fail{kBadInput, "--param: bad name '" + name + "'"};
    const std::string lname = dfc::common::lower(name);
    if (lname == "seq" || lname == "csource-id" || lname == "authentication-info")
      throw Fail{kBadInput, "--param: " + name + " is set by dtcpctl"};
    check_value("--param " + name, x.substr(eq + 1));
    ps.emplace_back(name, x.substr(eq + 1));
  }
}

// The request's parameters from the options given, in wire order, then the --param ones.
Params request_params(const RequestCli& r) {
  if (r.spec.selector && r.text.at("--criteria-id").empty() == r.text.at("--cdest").empty())
    throw Fail{kBadInput, std::string(r.spec.name) + ": give exactly one of --criteria-id and --cdest"};
  std::vector<const Field*> fields;
  for (const Field& f : r.spec.fields) fields.push_back(&f);
  std::stable_sort(fields.begin(), fields.end(), [](const Field* a, const Field* b) { return a->wire < b->wire; });
  Params ps;
  for (const Field* f : fields) {
    if (f->kind == Kind::Number) {
      if (r.options.at(f->option)->count()) ps.emplace_back(f->param, std::to_string(r.number.at(f->option)));
      continue;
    }
    const std::string& v = r.text.at(f->option);
    if (v.empty()) continue;
    check_value(f->option, v);
    ps.emplace_back(f->param, v);
  }
  add_extra_params(r.extra, ps);
  return ps;
}

void add_global_options(CLI::App& app, Common& c, std::string& fixed_seq) {
  app.add_option("--server", c.server, "DTCP server HOST:PORT (the control source's service-port)")
      ->envname("DTCPCTL_SERVER");
  app.add_option("--csource", c.csource, "Csource-ID of this control source")->envname("DTCPCTL_CSOURCE");
  app.add_option("--key-file", c.key_file, "file holding the shared key (else $DTCP_KEY)")
      ->envname("DTCPCTL_KEY_FILE");
  app.add_option("--seq-file", c.seq_file, "persistent Seq state (default ~/.dtcpctl/<csource>.seq)");
  app.add_option("--seq-start", c.seq_start, "first Seq when the Seq file does not exist yet")->capture_default_str();
  app.add_option("--seq", fixed_seq, "send exactly this Seq (no Seq file update; retransmits repeat it)");
  app.add_option("--dtcp-version", c.version, "protocol version of the request line")->capture_default_str();
  app.add_option("--timeout", c.timeout_s, "seconds to wait for a reply per attempt")
      ->check(CLI::Range(0.01, 3600.0))->capture_default_str();
  app.add_option("--retries", c.retries, "further attempts, each with a new Seq")
      ->check(CLI::Range(0, 100))->capture_default_str();
  app.add_option("--local", c.local, "local ADDR:PORT to send from (default: any, ephemeral port)");
  app.add_flag("--json", c.json_out, "JSON output (one object; listen: one object per line)");
  app.add_flag("-v,--verbose", c.verbose, "print the datagrams sent and received on stderr");
}

struct ListenCli {
  CLI::App* app = nullptr;
  int port = 0, count = 0;
  double timeout_s = 0;
  std::string bind = "0.0.0.0";
};

void add_listen_subcommand(CLI::App& app, ListenCli& l) {
  l.app = app.add_subcommand("listen", "receive notifications and verify their signatures");
  l.app->add_option("--port", l.port, "UDP port (a configured notification-target port)")->required()
      ->check(CLI::Range(1, 65535));
  l.app->add_option("--bind", l.bind, "local address")->capture_default_str();
  l.app->add_option("--count", l.count, "exit after N verified notifications")->check(CLI::Range(0, 1 << 30));
  l.app->add_option("--timeout", l.timeout_s, "exit after S seconds (0: no limit)")->check(CLI::Range(0.0, 1e7));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dtcpctl: a DTCP control source (draft-cavuto-dtcp) for dfcsim serve or a DFC card"};
  app.footer(kExitHelp);
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last one wins
  Common c;
  std::string fixed_seq;
  app.set_version_flag("--version", "dtcpctl " DFC_VERSION_STRING);
  add_global_options(app, c, fixed_seq);
  std::vector<std::unique_ptr<RequestCli>> requests;
  for (RequestCommand& spec : request_commands()) {
    requests.push_back(std::make_unique<RequestCli>());
    requests.back()->spec = std::move(spec);
    add_request_subcommand(app, *requests.back());
  }
  ListenCli lis;
  add_listen_subcommand(app, lis);
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
    if (lis.app->parsed()) return listen_notifications(c, lis.bind, lis.port, lis.count, lis.timeout_s);
    if (snd->parsed()) return send_script(c, script);
    for (const auto& r : requests) {
      if (!r->app->parsed()) continue;
      const Outcome o = exchange(c, r->spec.method, request_params(*r));
      print_outcome(c, r->spec.method, o);
      return exit_for_status(o.status);
    }
    return kBadInput;  // unreachable: CLI11 requires one subcommand
  } catch (const Fail& e) {
    if (c.json_out) std::cout << json{{"error", e.msg}, {"exit", e.code}}.dump() << "\n";
    std::cerr << "dtcpctl: " << e.msg << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "dtcpctl: error: " << e.what() << "\n";
    return kLocalError;
  }
}
