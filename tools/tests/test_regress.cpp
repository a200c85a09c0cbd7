// `dfcsim regress`: the sbatch command line --slurm builds (no Slurm needed), the checks of its
// options, and the JUnit file of a small real regression read back by a real XML parser
// (Python's xml.etree, so an unescaped byte or a malformed tag fails the test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "common/text.hpp"
#include "regress_slurm.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;
using dfc::test::sh;
using dfc::test::slurp;
using nlohmann::json;
using namespace dfc::tools;

namespace {

const std::string kDfcsim = std::string("'") + DFCSIM_BIN + "'";
const std::string kScen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios";

class TmpDir {
 public:
  explicit TmpDir(const std::string& tag)
      : p_(fs::temp_directory_path() / ("dfcsim-regress-" + tag + "-" + std::to_string(getpid()))) {
    fs::remove_all(p_);
    fs::create_directories(p_);
  }
  ~TmpDir() { fs::remove_all(p_); }
  std::string operator/(const std::string& s) const { return (p_ / s).string(); }

 private:
  fs::path p_;
};

TEST(RegressSlurm, SbatchCommandCarriesEveryOptionQuoted) {
  SlurmOptions o;
  EXPECT_EQ(sbatch_command(o, 3, "/o", "/o/slurm", "/o/slurm/array.sh"),
            "sbatch --parsable --job-name=dfcsim-regress --array='0-2' --chdir='/o' "
            "--output='/o/slurm/slurm-%A_%a.out' '/o/slurm/array.sh'");
  o.partition = "debug";
  o.time = "1:30:00";
  o.mem = "8G";
  o.account = "o'brien";
  o.qos = "low";
  o.array_limit = 4;
  o.sbatch_args = {"--exclusive", "--comment=two words", "--gres=gpu:1"};
  EXPECT_EQ(sbatch_command(o, 10, "/my out", "/my out/slurm", "/my out/slurm/array.sh"),
            "sbatch --parsable --job-name=dfcsim-regress --array='0-9%4' --chdir='/my out' "
            "--output='/my out/slurm/slurm-%A_%a.out' --partition='debug' --time='1:30:00' --mem='8G' "
            "--account='o'\\''brien' --qos='low' '--exclusive' '--comment=two words' '--gres=gpu:1' "
            "'/my out/slurm/array.sh'");
}

TEST(RegressSlurm, OptionValuesAreChecked) {
  for (const char* ok : {"90", "0", "30:00", "1:30:00", "2-00", "2-12:00", "2-12:00:00", "UNLIMITED"})
    EXPECT_EQ(check_slurm_time(ok), "") << ok;
  for (const char* bad : {"", "abc", "1h", "1:2:3:4", "-5", "1:30 ", "2-"})
    EXPECT_NE(check_slurm_time(bad), "") << bad;
  for (const char* ok : {"4000", "8G", "512M", "1t"}) EXPECT_EQ(check_slurm_mem(ok), "") << ok;
  for (const char* bad : {"", "4X", "8GB", "-1", "G"}) EXPECT_NE(check_slurm_mem(bad), "") << bad;
  EXPECT_EQ(check_slurm_name("proj_42"), "");
  for (const char* bad : {"", "a b", "tab\t", "new\nline"}) EXPECT_NE(check_slurm_name(bad), "") << bad;
  for (const char* ok : {"--exclusive", "-N1", "--constraint=x86", "--nice=10", "-A", "--output-ish"})
    EXPECT_EQ(check_sbatch_arg(ok), "") << ok;
  for (const char* bad : {"exclusive", "", "--array=0-3", "-a0-3", "--output=/x", "-o/x", "--chdir=/", "-D/",
                          "--parsable", "--wrap=true"})
    EXPECT_NE(check_sbatch_arg(bad), "") << bad;
}

// A fake sbatch on PATH records the words it was given, one per line, and refuses the job: the
// options reach sbatch as separate, intact arguments, and a refused job is a run-time failure.
TEST(RegressSlurm, OptionsReachSbatchAndBadValuesExit2) {
  TmpDir d("sbatch");
  fs::create_directories(d / "bin");
  fs::create_directories(d / "s");
  std::ofstream(d / "bin/sbatch") << "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > '" << (d / "args")
                                  << "'\necho 'sbatch: error: refused' >&2\nexit 1\n";
  fs::permissions(d / "bin/sbatch", fs::perms::owner_all);
  std::ofstream(d / "s/x.json") << "{}";
  std::ofstream(d / "list") << "s/x.json smoke 1,2,3\n";
  const std::string base =
      kDfcsim + " regress --label smoke --list '" + (d / "list") + "' --out '" + (d / "out") + "'";
  const auto r = sh("PATH='" + (d / "bin") + "':$PATH " + base +
                    " --slurm --time 2-00 --mem 4G --account acct --qos normal --array-limit 2"
                    " --sbatch-arg=--exclusive --sbatch-arg '--comment=a b'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("sbatch: error: refused"), std::string::npos) << r.out;
  const std::string args = slurp(d / "args");
  for (const char* want : {"\n--array=0-2%2\n", "\n--time=2-00\n", "\n--mem=4G\n", "\n--account=acct\n",
                           "\n--qos=normal\n", "\n--exclusive\n", "\n--comment=a b\n"})
    EXPECT_NE(args.find(want), std::string::npos) << want << " not in:\n" << args;

  for (const char* bad : {" --time 1:00", " --array-limit 2", " --slurm --array-limit 0", " --slurm --time 1h",
                          " --slurm --mem 4X", " --slurm --account 'a b'", " --slurm --sbatch-arg=--array=0-1",
                          " --slurm --sbatch-arg=exclusive", " --slurm --qos ''"}) {
    const auto b = sh("PATH='" + (d / "bin") + "':$PATH " + base + bad);
    EXPECT_EQ(b.rc, 2) << bad << "\n" << b.out;
  }
}

// The JUnit file read back by xml.etree, as JSON: the root, each suite, its properties and
// testcases (with their properties and failure or error).
const char* kJunitToJson = R"PY(
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
props = lambda e: {p.get("name"): p.get("value") for p in e.findall("properties/property")}
def case(c):
    d = {"attrib": dict(c.attrib), "properties": props(c)}
    for k in ("failure", "error"):
        f = c.find(k)
        if f is not None: d[k] = {"attrib": dict(f.attrib), "text": f.text or ""}
    return d
print(json.dumps({"tag": root.tag, "attrib": dict(root.attrib), "suites": [
    {"attrib": dict(s.attrib), "properties": props(s), "cases": [case(c) for c in s.findall("testcase")]}
    for s in root.findall("testsuite")]}))
)PY";

TEST(RegressJunit, SchemaJenkinsAndGitlabRead) {
  TmpDir d("junit");
  fs::create_directories(d / "s");
  const std::string conf = kScen + "/configs/one-source.conf", dtcp = kScen + "/dtcp/one-criterion.dtcp";
  std::ofstream(d / "s/fi&ne.json") << R"({"config": ")" << conf << R"(", "dtcp": ")" << dtcp
                                    << R"(", "profile": "ms3", "traffic": "packets=100,match=0.5,match-dst=10.1.1.1"})";
  std::ofstream(d / "s/impossible.json") << R"({"config": ")" << conf << R"(", "traffic": "packets=10", )"
                                         << R"("expect": {"report": {"copies_sent": {"min": 1}}}})";
  // Not a scenario (bad input, exit 2: a JUnit error), under a name that is not valid UTF-8.
  std::ofstream(d / "s/br\xffoken.json") << "{ not json";
  std::ofstream(d / "list") << "s/fi&ne.json smoke 1,2\ns/impossible.json smoke 7\ns/br\xffoken.json smoke 3\n";
  std::ofstream(d / "tojson.py") << kJunitToJson;
  const std::time_t before = std::time(nullptr);
  const auto r = sh(kDfcsim + " regress --label smoke -j 2 --list '" + (d / "list") + "' --out '" + (d / "out") +
                    "' --junit '" + (d / "j.xml") + "'");
  ASSERT_EQ(r.rc, 3) << r.out;
  const auto parsed = sh("python3 '" + (d / "tojson.py") + "' '" + (d / "j.xml") + "'");
  ASSERT_EQ(parsed.rc, 0) << parsed.out << "\n" << slurp(d / "j.xml");
  const json x = json::parse(parsed.out);

  EXPECT_EQ(x["tag"], "testsuites");
  EXPECT_EQ(x["attrib"]["tests"], "4");
  ASSERT_EQ(x["suites"].size(), 1u);
  const json& s = x["suites"][0];
  const json& a = s["attrib"];
  EXPECT_EQ(a["name"], "dfcsim.regress.smoke");
  EXPECT_EQ(a["tests"], "4");
  EXPECT_EQ(a["failures"], "1") << "the run that failed its expectations";
  EXPECT_EQ(a["errors"], "1") << "the run that could not read its scenario";
  const std::regex secs(R"(\d+\.\d{3})");
  EXPECT_TRUE(std::regex_match(a["time"].get<std::string>(), secs)) << a["time"];
  const std::string ts = a["timestamp"];
  ASSERT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << ts;
  std::tm tm{};
  strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  const std::time_t t = timegm(&tm);
  EXPECT_GE(t + 1, before) << ts << ": the start of the regression, in UTC";
  EXPECT_LE(t, std::time(nullptr)) << ts;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(a["hostname"], host);
  EXPECT_EQ(s["properties"]["label"], "smoke");
  EXPECT_EQ(s["properties"]["list"], d / "list");

  ASSERT_EQ(s["cases"].size(), 4u);
  std::map<std::string, json> by_name;
  for (const auto& c : s["cases"]) {
    EXPECT_TRUE(std::regex_match(c["attrib"]["time"].get<std::string>(), secs)) << c.dump();
    by_name[c["attrib"]["name"]] = c;
  }
  for (const char* n : {"fi&ne.seed1", "fi&ne.seed2"}) {
    const json& c = by_name[n];
    EXPECT_EQ(c["attrib"]["classname"], "regress.smoke.fi&ne") << n;
    EXPECT_EQ(c["properties"]["seed"], std::string(n).substr(10)) << n;
    EXPECT_EQ(c["properties"]["profile"], "ms3") << n;
    EXPECT_EQ(c["properties"]["scenario"], d / "s/fi&ne.json") << n;
    EXPECT_FALSE(c.contains("failure") || c.contains("error")) << c.dump();
  }
  const json& imp = by_name["impossible.seed7"];
  EXPECT_EQ(imp["attrib"]["classname"], "regress.smoke.impossible");
  EXPECT_EQ(imp["properties"]["seed"], "7");
  EXPECT_EQ(imp["properties"]["profile"], "ms400") << "the default profile, as the run's report says";
  ASSERT_TRUE(imp.contains("failure")) << imp.dump();
  EXPECT_NE(imp["failure"]["attrib"]["message"].get<std::string>().find("exit code 3"), std::string::npos);
  const std::string text = imp["failure"]["text"];
  EXPECT_NE(text.find("rerun: " + kDfcsim + " run '" + (d / "s/impossible.json") + "' --seed 7"), std::string::npos)
      << text;
  EXPECT_NE(text.find("copies_sent = 0, expected >= 1"), std::string::npos) << text;
  const json& broken = by_name["br?oken.seed3"];
  EXPECT_EQ(broken["attrib"]["classname"], "regress.smoke.br?oken") << "invalid UTF-8 replaced";
  ASSERT_TRUE(broken.contains("error")) << broken.dump();
  EXPECT_NE(broken["error"]["attrib"]["message"].get<std::string>().find("exit code 2"), std::string::npos);
}

}  // namespace
