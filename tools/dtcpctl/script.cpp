// `dtcpctl send FILE`: a .dtcp script as `dfcsim run --dtcp` takes it: requests separated by
// empty lines, '#' lines are comments. Each request's Seq and Authentication-Info are added here
// (a script carrying them is refused: use --seq for replay tests); a Csource-ID in the request
// overrides --csource for it.
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/text.hpp"
#include "dtcpctl.hpp"

namespace dfc::dtcpctl {
using nlohmann::json;

namespace {

struct ScriptRequest {
  int line = 0;
  std::string method, version;
  std::string csource;
  Params params;
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
    const std::string name = common::rtrim(line.substr(0, colon), " \t");
    const std::string value = common::trim(line.substr(colon + 1), " \t");
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

}  // namespace

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

}  // namespace dfc::dtcpctl
