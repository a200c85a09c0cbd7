// The scoreboard's own reader of the card's Junos `dynamic-flow-capture` configuration
// (dtcp.md §2.3/§2.4), written apart from the firmware's parser so that a parser bug in
// max-duplicates, TTL, destination address or minimum-priority is not shared by the device and
// its checker. It reads only what the scoreboard needs and leaves validation to the firmware:
// statements it does not know are skipped.
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/scoreboard.hpp"
#include "refmodel.hpp"

namespace dfc::tb {
namespace {

// One statement: its words (a `[ a b ]` list is flattened into words) and, for `{ ... }`
// blocks, its children.
struct Node {
  std::vector<std::string> words;
  std::vector<Node> kids;
  int line = 0;
};

struct Tok {
  std::string text;
  bool word = true;  // false: one of { } ; [ ]
  int line = 0;
};

[[noreturn]] void fail(int line, const std::string& what) {
  throw std::runtime_error("scoreboard configuration reader: line " + std::to_string(line) + ": " + what +
                           " (the firmware accepted this configuration; fix the file or the scoreboard's reader)");
}

std::vector<Tok> tokenize(const std::string& s) {
  std::vector<Tok> out;
  int line = 1;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\n') ++line, ++i;
    else if (std::isspace(static_cast<unsigned char>(c))) ++i;
    else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t e = s.find("*/", i + 2);
      if (e == std::string::npos) fail(line, "comment '/*' never closed");
      for (size_t k = i; k < e; ++k) line += s[k] == '\n';
      i = e + 2;
    } else if (c == '{' || c == '}' || c == ';' || c == '[' || c == ']') {
      out.push_back({std::string(1, c), false, line});
      ++i;
    } else if (c == '"') {
      std::string w;
      const int l0 = line;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        if (s[i] == '\n') ++line;
        w += s[i];
      }
      if (i >= s.size()) fail(l0, "quoted string never closed");
      ++i;
      out.push_back({w, true, l0});
    } else {
      std::string w;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '{' && s[i] != '}' &&
             s[i] != ';' && s[i] != '[' && s[i] != ']' && s[i] != '"')
        w += s[i++];
      out.push_back({w, true, line});
    }
  }
  return out;
}

// statements until '}' (inside a block) or the end (top level)
std::vector<Node> parse_block(const std::vector<Tok>& t, size_t& i, bool top) {
  std::vector<Node> out;
  Node cur;
  bool in_list = false;
  while (i < t.size()) {
    const Tok& k = t[i++];
    if (k.word) {
      if (cur.words.empty()) cur.line = k.line;
      cur.words.push_back(k.text);
    } else if (k.text == "[") {
      in_list = true;
    } else if (k.text == "]") {
      if (!in_list) fail(k.line, "']' without '['");
      in_list = false;
    } else if (k.text == ";") {
      if (!cur.words.empty()) out.push_back(std::move(cur));
      cur = Node{};
    } else if (k.text == "{") {
      if (cur.words.empty()) fail(k.line, "'{' without a statement name");
      cur.kids = parse_block(t, i, false);
      out.push_back(std::move(cur));
      cur = Node{};
    } else {  // '}'
      if (top) fail(k.line, "'}' without '{'");
      if (!cur.words.empty()) fail(k.line, "statement '" + cur.words[0] + "' not ended by ';'");
      return out;
    }
  }
  if (!top) fail(t.empty() ? 0 : t.back().line, "'{' never closed");
  if (!cur.words.empty()) fail(cur.line, "statement '" + cur.words[0] + "' not ended by ';'");
  return out;
}

uint64_t number(const Node& n, size_t at, uint64_t max) {
  if (n.words.size() <= at) fail(n.line, "'" + n.words[0] + "' needs a value");
  std::string v = n.words[at];
  uint64_t mul = 1;
  if (!v.empty() && std::isalpha(static_cast<unsigned char>(v.back()))) {
    const char s = static_cast<char>(std::tolower(static_cast<unsigned char>(v.back())));
    mul = s == 'k' ? 1000 : s == 'm' ? 1000000 : s == 'g' ? 1000000000 : 0;
    if (!mul) fail(n.line, "'" + v + "' is not a number");
    v.pop_back();
  }
  auto x = ref::parse_uint(v, max / mul);
  if (!x) fail(n.line, "'" + n.words[at] + "' is not a number in 0.." + std::to_string(max));
  return *x * mul;
}

uint32_t ipv4(const Node& n, const std::string& s) {
  auto a = ref::parse_ipv4(s);
  if (!a) fail(n.line, "'" + s + "' is not an IPv4 address");
  return (uint32_t{(*a)[12]} << 24) | (uint32_t{(*a)[13]} << 16) | (uint32_t{(*a)[14]} << 8) | (*a)[15];
}

// Finds the dynamic-flow-capture block in any of the accepted spellings.
const std::vector<Node>* find_dfc(const std::vector<Node>& top) {
  for (const auto& n : top) {
    const auto& w = n.words;
    if (w.size() == 1 && w[0] == "dynamic-flow-capture") return &n.kids;
    if (w.size() == 2 && w[0] == "services" && w[1] == "dynamic-flow-capture") return &n.kids;
    if (w.size() == 1 && w[0] == "services")
      if (auto* d = find_dfc(n.kids)) return d;
  }
  return nullptr;
}

void read_source(const Node& n, const std::string& group, ScoreboardConfig& s) {
  if (n.words.size() < 2) fail(n.line, "control-source needs an identifier");
  ScoreboardConfig::Csource c;
  c.group = group;
  for (const auto& k : n.kids) {
    const std::string& w = k.words[0];
    if (w == "minimum-priority") c.minimum_priority = static_cast<uint32_t>(number(k, 1, 254));
    else if (w == "service-port") c.service_port = static_cast<uint16_t>(number(k, 1, 65535));
    else if (w == "shared-key" && k.words.size() > 1) c.shared_key = k.words[1];
    else if (w == "allowed-destinations")  // `allowed-destinations [ a b ];` or one id
      for (size_t i = 1; i < k.words.size(); ++i) {
        if (k.words[i] != "[" && k.words[i] != "]") c.allowed_destinations.push_back(k.words[i]);
      }
    else if (w == "source-addresses")  // IPv4 ones (the scoreboard does not use them to decide)
      for (size_t i = 1; i < k.words.size(); ++i) {
        if (ref::parse_ipv4(k.words[i])) c.source_addresses.push_back(ipv4(k, k.words[i]));
      }
    else if (w == "notification-targets") {
      // `notification-targets A port P;` or a block of `A port P;` statements
      std::vector<const Node*> list;
      if (k.kids.empty()) list.push_back(&k);
      for (const auto& t : k.kids) list.push_back(&t);
      for (const Node* t : list) {
        const size_t a = t == &k ? 1 : 0;
        if (t->words.size() < a + 3 || t->words[a + 1] != "port") fail(t->line, "notification target needs 'ADDRESS port PORT'");
        const uint32_t addr = ref::parse_ipv4(t->words[a]) ? ipv4(*t, t->words[a]) : 0;  // 0: not IPv4
        c.notification_targets.push_back({addr, static_cast<uint16_t>(number(*t, a + 2, 65535))});
      }
    }
  }
  c.has_notification_targets = !c.notification_targets.empty();
  // An id configured in several groups: the first one, the source the testbench's scripts speak
  // for (docs/dtcp-conformance.md §13.2), whose key signs their requests.
  s.csources.emplace(n.words[1], c);
  ++s.control_sources;
}

void read_destination(const Node& n, const std::string& group, ScoreboardConfig& s, bool qualify) {
  if (n.words.size() < 2) fail(n.line, "content-destination needs an identifier");
  ScoreboardConfig::Cdest c;
  c.group = group;
  bool has_address = false;
  for (const auto& k : n.kids) {
    const std::string& w = k.words[0];
    if (w == "address" && k.words.size() > 1) {
      if (!ref::parse_ipv4(k.words[1])) return;  // not IPv4: the card cannot send IP-IP to it; skipped
      c.address = ipv4(k, k.words[1]), has_address = true;
    } else if (w == "ttl") c.ttl = static_cast<uint8_t>(number(k, 1, 255));
    else if (w == "hard-limit") c.hard_limit = number(k, 1, ~0ull);
    else if (w == "hard-limit-target") c.hard_limit_target = number(k, 1, ~0ull);
    else if (w == "soft-limit") c.soft_limit = number(k, 1, ~0ull);
    else if (w == "soft-limit-clear") c.soft_limit_clear = number(k, 1, ~0ull);
  }
  if (!has_address) return;
  c.id = n.words[1];
  s.cdests[qualify ? group + "/" + c.id : c.id] = c;
}

}  // namespace

ScoreboardConfig ScoreboardConfig::parse(const std::string& text) {
  const auto toks = tokenize(text);
  size_t i = 0;
  const auto top = parse_block(toks, i, true);
  const auto* dfc = find_dfc(top);
  if (!dfc) fail(1, "no 'dynamic-flow-capture' block");
  ScoreboardConfig s;
  uint32_t gmax = 3;
  std::vector<const Node*> groups;
  for (const auto& n : *dfc) {
    if (n.words[0] == "g-max-duplicates") gmax = static_cast<uint32_t>(number(n, 1, 64));
    if (n.words[0] == "capture-group") {
      if (n.words.size() < 2) fail(n.line, "capture-group needs a name");
      groups.push_back(&n);
    }
  }
  // Destination ids are per group (dtcp.md §2.3): qualified "group/id" when an id is used in
  // more than one group, plain otherwise (the copies' cdest_id; see docs/scoreboard.md).
  std::map<std::string, int> id_uses;
  for (const Node* g : groups)
    for (const auto& k : g->kids)
      if (k.words[0] == "content-destination" && k.words.size() > 1) ++id_uses[k.words[1]];
  s.max_duplicates = gmax;
  for (const Node* g : groups) {
    const std::string& name = g->words[1];
    uint32_t md = gmax;
    for (const auto& k : g->kids) {
      const std::string& w = k.words[0];
      if (w == "max-duplicates") md = static_cast<uint32_t>(number(k, 1, 64));
      else if (w == "duplicates-dropped-periodicity") s.group_dup_periodicity_s[name] = number(k, 1, 86400);
      else if (w == "control-source") read_source(k, name, s);
      else if (w == "content-destination")
        read_destination(k, name, s, k.words.size() > 1 && id_uses[k.words[1]] > 1);
    }
    s.group_max_duplicates[name] = md;
  }
  return s;
}

}  // namespace dfc::tb
