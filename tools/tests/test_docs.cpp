// Docs that cannot drift: every option the user guides name exists in the matching
// --help, and every report.json field the user guide names exists in a real run's report.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using nlohmann::json;
using dfc::test::sh;
using dfc::test::slurp;

namespace {

const std::string kDfcsim = DFCSIM_BIN;
const std::string kDtcpctl = DTCPCTL_BIN;

// --help of each command (dtcpctl: the main help and every subcommand's, together).
std::map<std::string, std::string> help_texts() {
  std::map<std::string, std::string> h;
  h["dfcsim"] = sh("'" + kDfcsim + "' --help").out;
  for (const char* sub : {"run", "regress", "classbench", "serve", "rfc2544", "calibrate"})
    h[std::string("dfcsim ") + sub] = sh("'" + kDfcsim + "' " + sub + " --help").out;
  std::string all = sh("'" + kDtcpctl + "' --help").out;
  for (const char* sub : {"add", "delete", "refresh", "list", "noop", "listen", "send"})
    all += sh("'" + kDtcpctl + "' " + sub + " --help").out;
  h["dtcpctl"] = all;
  return h;
}

// The command a code line runs: "dfcsim run", "dtcpctl" (also through the guide's `ctl` alias).
std::string command_of(const std::string& line) {
  static const std::regex dfc(R"((?:^|[\s/'])dfcsim\s+(run|regress|classbench|serve|rfc2544|calibrate)\b)");
  static const std::regex ctl(R"((?:^|[\s/'])(?:dtcpctl|ctl)\s)");
  std::smatch m;
  if (std::regex_search(line, m, dfc)) return "dfcsim " + m[1].str();
  if (std::regex_search(line, m, ctl)) return "dtcpctl";
  return "";
}

std::vector<std::string> options_in(const std::string& text) {
  static const std::regex opt(R"((?:^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b)");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), opt); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

bool help_has(const std::string& help, const std::string& opt) {
  // CLI11 lists "-q,--quiet" and "--seeds UINT": the option followed by a non-name character.
  for (size_t at = help.find(opt); at != std::string::npos; at = help.find(opt, at + 1)) {
    const size_t end = at + opt.size();
    const bool starts = at == 0 || !(std::isalnum(static_cast<unsigned char>(help[at - 1])) || help[at - 1] == '-');
    const bool ends = end >= help.size() || !(std::isalnum(static_cast<unsigned char>(help[end])) || help[end] == '-');
    if (starts && ends) return true;
  }
  return false;
}

struct Finding {
  std::string file;
  int line;
  std::string command, option;
};

// Options in code blocks belong to the command of their line; options in the first column of a
// table belong to the command of the last code block before it; options elsewhere in backticks
// must exist in some command.
std::vector<Finding> doc_options(const fs::path& md) {
  std::ifstream f(md);
  std::vector<Finding> out;
  std::string line, current;
  bool code = false, continued = false;
  int n = 0;
  static const std::regex tick("`([^`]*)`");
  while (std::getline(f, line)) {
    ++n;
    if (line.rfind("```", 0) == 0) {
      code = !code;
      continue;
    }
    if (code) {
      // A line running a command, or the continuation (trailing backslash) of one.
      std::string cmd = command_of(line);
      if (!cmd.empty()) current = cmd;
      if (cmd.empty() && continued) cmd = current;
      continued = !cmd.empty() && !line.empty() && line.back() == '\\';
      if (!cmd.empty())
        for (const auto& o : options_in(line.substr(0, line.find(" # ")))) out.push_back({md.filename().string(), n, cmd, o});
      continue;
    }
    if (line.rfind("| `", 0) == 0 && !current.empty()) {
      const std::string first = line.substr(1, line.find('|', 1) - 1);
      for (auto it = std::sregex_iterator(first.begin(), first.end(), tick); it != std::sregex_iterator(); ++it)
        for (const auto& o : options_in((*it)[1].str())) out.push_back({md.filename().string(), n, current, o});
      continue;
    }
    // Prose: `dfcsim run --traffic` belongs to run; a backticked long option (`--seq N`) must
    // exist in some command (short ones in prose may be another tool's: tshark -o).
    for (auto it = std::sregex_iterator(line.begin(), line.end(), tick); it != std::sregex_iterator(); ++it) {
      const std::string t = (*it)[1].str();
      const std::string c = command_of(" " + t);
      if (!c.empty()) {
        for (const auto& o : options_in(t)) out.push_back({md.filename().string(), n, c, o});
      } else if (t.rfind("--", 0) == 0) {
        for (const auto& o : options_in(t))
          if (o.rfind("--", 0) == 0) out.push_back({md.filename().string(), n, "*", o});
      }
    }
  }
  return out;
}

std::vector<fs::path> user_guides() {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(fs::path(DFC_SOURCE_DIR) / "docs"))
    if (e.path().filename().string().rfind("user-guide", 0) == 0 && e.path().extension() == ".md") v.push_back(e.path());
  return v;
}

// Does `key` exist anywhere under j (objects and array elements)?
bool has_key(const json& j, const std::string& key) {
  if (j.is_object()) {
    if (j.contains(key)) return true;
    for (const auto& [k, v] : j.items())
      if (has_key(v, key)) return true;
  } else if (j.is_array()) {
    for (const auto& v : j)
      if (has_key(v, key)) return true;
  }
  return false;
}

// A documented field "a.b", "a.<id>", "a[]": the JSON it names, or nullptr.
const json* lookup(const json& r, const std::string& field) {
  const json* j = &r;
  std::istringstream is(field);
  std::string part;
  while (std::getline(is, part, '.')) {
    if (part.size() > 2 && part.substr(part.size() - 2) == "[]") part.resize(part.size() - 2);
    if (!part.empty() && part.front() == '<') {  // any member
      if (!j->is_object() || j->empty()) return nullptr;
      j = &j->begin().value();
      continue;
    }
    if (!j->is_object() || !j->contains(part)) return nullptr;
    j = &(*j)[part];
  }
  return j;
}

}  // namespace

TEST(Docs, EveryOptionInTheUserGuidesIsInTheMatchingHelp) {
  const auto help = help_texts();
  for (const auto& [cmd, text] : help) ASSERT_NE(text.find("Usage"), std::string::npos) << cmd << ":\n" << text;
  size_t checked = 0;
  for (const auto& md : user_guides())
    for (const Finding& f : doc_options(md)) {
      ++checked;
      if (f.command == "*") {
        bool any = false;
        for (const auto& [c, t] : help) any = any || help_has(t, f.option);
        EXPECT_TRUE(any) << f.file << ":" << f.line << ": " << f.option << " is in no command's --help";
      } else {
        EXPECT_TRUE(help_has(help.at(f.command), f.option))
            << f.file << ":" << f.line << ": " << f.option << " is not in `" << f.command << " --help`";
      }
    }
  EXPECT_GT(checked, 60u) << "the guides' options were not found: the parser is broken";
}

TEST(Docs, TheCheckerCatchesAnUndocumentedOption) {
  // The check itself must be able to fail.
  const auto help = help_texts();
  EXPECT_FALSE(help_has(help.at("dfcsim run"), "--no-such-option"));
  EXPECT_TRUE(help_has(help.at("dfcsim run"), "--pcap-in"));
  EXPECT_FALSE(help_has(help.at("dfcsim run"), "--pcap"));
  EXPECT_TRUE(help_has(help.at("dfcsim regress"), "--jobs"));
}

TEST(Docs, EveryReportFieldOfTheUserGuideIsInARealReport) {
  const fs::path dir = fs::temp_directory_path() / ("dfcsim-docs-" + std::to_string(getpid()));
  fs::remove_all(dir);
  // The default scenario, and one with overload events (the guide names their fields).
  const auto a = sh("'" + kDfcsim + "' run -q --out '" + (dir / "a").string() + "'");
  ASSERT_EQ(a.rc, 0) << a.out;
  const auto b = sh("'" + kDfcsim + "' run -q '" + DFC_SOURCE_DIR +
                    "/testbench/scenarios/input-rate-threshold.json' --out '" + (dir / "b").string() + "'");
  ASSERT_EQ(b.rc, 0) << b.out;
  const json ra = json::parse(slurp((dir / "a/report.json").string()));
  const json rb = json::parse(slurp((dir / "b/report.json").string()));

  std::ifstream f(fs::path(DFC_SOURCE_DIR) / "docs/user-guide.md");
  std::string line;
  bool in_table = false;
  size_t fields = 0;
  static const std::regex tick("`([^`]*)`");
  static const std::regex ident("^[a-z_][a-z0-9_]*$");
  while (std::getline(f, line)) {
    if (line.rfind("### report.json fields", 0) == 0) in_table = true;
    else if (in_table && line.rfind("#", 0) == 0) break;
    if (!in_table || line.rfind("| `", 0) != 0) continue;
    const size_t bar = line.find('|', 1);
    const std::string first = line.substr(1, bar - 1), meaning = line.substr(bar + 1);
    for (auto it = std::sregex_iterator(first.begin(), first.end(), tick); it != std::sregex_iterator(); ++it) {
      const std::string field = (*it)[1].str();
      ++fields;
      const json* ja = lookup(ra, field);
      const json* jb = lookup(rb, field);
      EXPECT_TRUE(ja || jb) << "user-guide.md names report field `" << field << "`, not in a real report";
      // Sub-fields named in the meaning column (identifiers in backticks) must be under it.
      for (auto m = std::sregex_iterator(meaning.begin(), meaning.end(), tick); m != std::sregex_iterator(); ++m) {
        const std::string sub = (*m)[1].str();
        if (!std::regex_match(sub, ident)) continue;
        const bool found = (ja && has_key(*ja, sub)) || (jb && has_key(*jb, sub));
        EXPECT_TRUE(found) << "user-guide.md: `" << sub << "` under `" << field << "` is not in a real report";
      }
    }
  }
  EXPECT_GT(fields, 25u) << "the report.json table was not found";

  // report.html renders functional coverage as tables (a table per group), not raw JSON.
  const std::string html = slurp((dir / "a/report.html").string());
  EXPECT_NE(html.find("<h2>Functional coverage</h2>"), std::string::npos);
  for (const auto& [group, v] : ra["coverage"].items())
    if (v.is_object()) {
      EXPECT_NE(html.find("<h3>" + group + "</h3><table class='coverage'>"), std::string::npos) << group;
    }
  EXPECT_NE(html.find("<td>methods.ADD</td><td>1</td>"), std::string::npos) << "the default scenario's one ADD";
  EXPECT_EQ(html.find("<pre>"), std::string::npos) << "no raw JSON";
  fs::remove_all(dir);
}

// ---- exit codes: the guides' tables against the binaries' own tables ------------------------
namespace {

// The codes a --help's exit-code paragraph lists ("Exit codes: 0 ok; 1 ...", dtcpctl's
// "Exit status: ... DTCP errors: 10 = 400 ..."): a number that starts an entry, i.e. follows
// the paragraph's start, ':', ';' or ','. The paragraph ends at a blank line or at the next
// "Word:" paragraph (dtcpctl's "Retries:").
std::set<int> help_exit_codes(const std::string& help) {
  static const std::regex start(R"((?:^|\n)Exit (?:codes|status):)");
  std::smatch m;
  if (!std::regex_search(help, m, start)) return {};
  std::string block = help.substr(static_cast<size_t>(m.position(0)));
  static const std::regex end(R"(\n\s*\n|\n[A-Z][a-z]+:)");
  if (std::regex_search(block, m, end)) block.resize(static_cast<size_t>(m.position(0)));
  static const std::regex entry(R"([:;,]\s+(\d+)\s)");
  std::set<int> codes;
  for (auto it = std::sregex_iterator(block.begin(), block.end(), entry); it != std::sregex_iterator(); ++it)
    codes.insert(std::stoi((*it)[1].str()));
  return codes;
}

struct DocExitCodes {
  std::map<std::string, std::set<int>> tables;  // by command: codes of the `| code | meaning |` tables
  std::vector<std::pair<std::string, int>> prose;  // "file:line" and a code named in text ("exits 2")
  std::vector<std::string> unowned;                // "file:line" of a table naming no command
};

// A `| code | meaning |` table belongs to the commands (`dfcsim`, `dtcpctl`) the paragraph
// just above it names; codes in prose ("exit 3", "exits 2", "exit code 1", "exit status 3")
// outside code blocks are collected with where they are.
void doc_exit_codes(const std::string& text, const std::string& file, DocExitCodes& out) {
  static const std::regex header(R"(^\|\s*code\s*\|)");
  static const std::regex number(R"(\b(\d+)\b)");
  static const std::regex command(R"(\b(dfcsim|dtcpctl)\b)");
  static const std::regex prose(R"(\bexit(?:s|ed)?(?:\s+with)?(?:\s+(?:code|status))?(?:\s+is)?\s+(\d+)\b)",
                                std::regex::icase);
  std::vector<std::string> lines;
  std::istringstream is(text);
  for (std::string l; std::getline(is, l);) lines.push_back(l);
  bool code = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string where = file + ":" + std::to_string(i + 1);
    if (line.rfind("```", 0) == 0) code = !code;
    if (code || line.rfind("```", 0) == 0) continue;
    if (std::regex_search(line, header)) {
      std::string above;  // the paragraph above the table (blank lines between skipped)
      size_t j = i;
      while (j > 0 && lines[j - 1].empty()) --j;
      while (j > 0 && !lines[j - 1].empty()) above = lines[--j] + " " + above;
      std::set<std::string> cmds;
      for (auto it = std::sregex_iterator(above.begin(), above.end(), command); it != std::sregex_iterator(); ++it)
        cmds.insert((*it)[1].str());
      if (cmds.empty()) out.unowned.push_back(where);
      for (++i; i < lines.size() && lines[i].rfind('|', 0) == 0; ++i) {
        const std::string first = lines[i].substr(1, lines[i].find('|', 1) - 1);
        for (auto it = std::sregex_iterator(first.begin(), first.end(), number); it != std::sregex_iterator(); ++it)
          for (const auto& c : cmds) out.tables[c].insert(std::stoi((*it)[1].str()));
      }
      --i;
      continue;
    }
    for (auto it = std::sregex_iterator(line.begin(), line.end(), prose); it != std::sregex_iterator(); ++it)
      out.prose.emplace_back(where, std::stoi((*it)[1].str()));
  }
}

std::string codes_text(const std::set<int>& s) {
  std::string t;
  for (int c : s) t += (t.empty() ? "" : " ") + std::to_string(c);
  return t;
}

}  // namespace

TEST(Docs, EveryExitCodeOfTheUserGuidesIsInTheBinarysTableAndBack) {
  std::map<std::string, std::set<int>> binary;
  binary["dfcsim"] = help_exit_codes(sh("'" + kDfcsim + "' --help").out);
  binary["dtcpctl"] = help_exit_codes(sh("'" + kDtcpctl + "' --help").out);
  for (int c : {0, 1, 2, 3}) {
    EXPECT_TRUE(binary["dfcsim"].count(c)) << "dfcsim --help: no exit code " << c << " (parser broken?)";
    EXPECT_TRUE(binary["dtcpctl"].count(c)) << "dtcpctl --help: no exit code " << c << " (parser broken?)";
  }
  EXPECT_TRUE(binary["dtcpctl"].count(10) && binary["dtcpctl"].count(30)) << codes_text(binary["dtcpctl"]);

  DocExitCodes docs;
  for (const auto& md : user_guides()) doc_exit_codes(slurp(md.string()), md.filename().string(), docs);
  EXPECT_TRUE(docs.unowned.empty()) << "an exit-code table whose paragraph names neither `dfcsim` nor `dtcpctl`: "
                                    << docs.unowned.front();
  for (const auto& [cmd, codes] : binary) {
    const std::set<int>& documented = docs.tables[cmd];
    for (int c : documented)
      EXPECT_TRUE(codes.count(c)) << "the user guides document exit code " << c << " for " << cmd
                                  << "; `" << cmd << " --help` lists only " << codes_text(codes);
    for (int c : codes)
      EXPECT_TRUE(documented.count(c)) << "`" << cmd << " --help` lists exit code " << c
                                       << ", no user guide's exit-code table documents it for " << cmd;
  }
  std::set<int> any = binary["dfcsim"];
  any.insert(binary["dtcpctl"].begin(), binary["dtcpctl"].end());
  for (const auto& [where, c] : docs.prose)
    EXPECT_TRUE(any.count(c)) << where << ": exit code " << c << " is in neither binary's table";
  EXPECT_GE(docs.prose.size(), 5u) << "the guides' \"exits 2\" mentions were not found: the parser is broken";
}

TEST(Docs, TheExitCodeCheckerCatchesAStaleCode) {
  // The guide's former dtcpctl table (timeout 3, bad signature 4, ...) and a --help in both styles.
  const std::string md =
      "Intro.\n\n`dtcpctl` exit status:\n\n| code | meaning |\n|---|---|\n| 0 | ok |\n| 4 | bad signature |\n"
      "| 10 / 11 | 400 / 430 |\n\nA bad reply is an error, exit 6.\n\n```\nFAIL x (exit 9)\n```\n"
      "Exit status:\n\n| code | meaning |\n|---|---|\n| 5 | local |\n";
  DocExitCodes d;
  doc_exit_codes(md, "t.md", d);
  EXPECT_EQ(codes_text(d.tables["dtcpctl"]), "0 4 10 11");
  EXPECT_TRUE(d.tables["dfcsim"].empty());
  ASSERT_EQ(d.prose.size(), 1u);  // "(exit 9)" is in a code block
  EXPECT_EQ(d.prose[0], std::make_pair(std::string("t.md:11"), 6));
  ASSERT_EQ(d.unowned.size(), 1u);  // the last table names no command
  EXPECT_EQ(d.unowned[0], "t.md:18");
  EXPECT_EQ(codes_text(help_exit_codes("Usage: x\n\nExit codes: 0 ok; 1 failure at run time (a\nfile); 2 bad.\n"
                                       "\nMore: 7 things")),
            "0 1 2");
  EXPECT_EQ(codes_text(help_exit_codes("Exit status: 0 ok;\n  3 bad;\n  DTCP errors: 10 = 400, 11 = 430,\n"
                                       "  30 = any other status.\nRetries: 5 times")),
            "0 3 10 11 30");
  EXPECT_TRUE(help_exit_codes("no table here").empty());
}
