// `--wave-signals GLOB[,GLOB]` and the card waveform's event signals: only the matching
// signals are in the file; a glob matching nothing is exit 2 naming some real signals; each
// thread's packet_id shows the why.jsonl "id" of the packet it works on, inside that packet's
// processing interval, and card.drop / card.drop_id pulse at every drop with its reason code
// and the dropped packet's id.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
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

const std::string kDfcsim = std::string("'") + DFCSIM_BIN + "'";
const std::string kSrc = DFC_SOURCE_DIR;
// One criterion (dst 10.1.1.0/24, UDP); 10 Gbit/s of small packets overruns the receive rings.
const std::string kArgs = " run -q --config '" + kSrc + "/testbench/scenarios/configs/one-source.conf' --dtcp '" + kSrc +
                          "/testbench/scenarios/dtcp/one-criterion.dtcp' --traffic "
                          "rate=10g,packets=3000,flows=8,match=0.5,match-dst=10.1.1.1,match-proto=17 --wave vcd";

struct Dir {
  fs::path p = fs::temp_directory_path() / ("dfcsim-wave-signals-" + std::to_string(getpid()));
  Dir() { fs::remove_all(p), fs::create_directories(p); }
  ~Dir() { fs::remove_all(p); }
  std::string operator/(const std::string& s) const { return (p / s).string(); }
};

struct Vcd {
  std::map<std::string, std::string> id_of;                                  // full name -> id
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> changes;  // id -> (t, value)
};

Vcd parse_vcd(const std::string& path) {
  Vcd v;
  std::istringstream in(slurp(path));
  std::vector<std::string> scope;
  std::string tok;
  uint64_t t = 0;
  while (in >> tok) {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name >> tok;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      in >> tok;
      if (!scope.empty()) scope.pop_back();
    } else if (tok == "$version" || tok == "$timescale") {
      while (in >> tok && tok != "$end") {}
    } else if (tok == "$var") {
      std::string type, width, id, name;
      in >> type >> width >> id >> name >> tok;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      v.id_of[full + name] = id;
    } else if (tok[0] == '#') {
      t = std::stoull(tok.substr(1));
    } else if (tok[0] == 'b') {
      std::string id;
      in >> id;
      v.changes[id].emplace_back(t, std::stoull(tok.substr(1), nullptr, 2));
    } else if ((tok[0] == '0' || tok[0] == '1') && tok.size() > 1) {
      v.changes[tok.substr(1)].emplace_back(t, tok[0] - '0');
    }
  }
  return v;
}

std::map<uint64_t, json> why_by_id(const std::string& path) {
  std::map<uint64_t, json> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    out[j["id"].get<uint64_t>()] = j;
  }
  return out;
}

}  // namespace

TEST(WaveSignals, OnlyMatchingSignalsAndTheyLineUpWithWhy) {
  Dir d;
  const auto c = sh(kDfcsim + kArgs + " --why ip --wave-signals 'card.core*.thread*.packet_id,card.drop*' --out '" +
                    (d / "out") + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  const Vcd v = parse_vcd(d / "out/card.vcd");
  size_t threads = 0;
  for (const auto& [name, id] : v.id_of) {
    const bool pid = name.find(".thread") != std::string::npos && name.size() > 10 &&
                     name.compare(name.size() - 10, 10, ".packet_id") == 0;
    EXPECT_TRUE(pid || name == "card.drop" || name == "card.drop_id") << "not asked for: " << name;
    threads += pid;
  }
  EXPECT_GE(threads, 2u);
  const auto why = why_by_id(d / "out/why.jsonl");
  ASSERT_FALSE(why.empty());

  // Every packet a thread shows was processed by the firmware, and shows within that time.
  std::set<uint64_t> shown;
  for (const auto& [name, id] : v.id_of) {
    if (name.find("packet_id") == std::string::npos || !v.changes.count(id)) continue;
    for (const auto& [t, val] : v.changes.at(id)) {
      if (val == 0) continue;
      shown.insert(val);
      auto w = why.find(val);
      ASSERT_NE(w, why.end()) << name << " shows id " << val << " that why.jsonl does not know";
      ASSERT_TRUE(w->second.contains("processing")) << w->second.dump();
      EXPECT_GE(t, w->second["processing"]["start_ns"].get<uint64_t>() * 1000) << name << " " << val;
      EXPECT_LE(t, w->second["processing"]["done_ns"].get<uint64_t>() * 1000 + 999) << name << " " << val;
    }
  }
  size_t processed = 0;
  for (const auto& [id, j] : why) processed += j.contains("processing");
  EXPECT_EQ(shown.size(), processed) << "every processed packet appears on some thread";

  // card.drop_id names exactly the packets why.jsonl says were dropped (before the firmware:
  // at its arrival, card.drop 2 for rx_ring_full, 1 for ingress_buffer_full; a copy: 3).
  std::set<uint64_t> dropped;
  auto egress_dropped = [](const json& j) {
    for (const auto& cp : j.value("copies", json::array()))
      if (cp.value("drop", "") == "egress_queue_full") return true;
    return false;
  };
  for (const auto& [id, j] : why)
    if (j.contains("ingress_drop") || egress_dropped(j)) dropped.insert(id);
  ASSERT_FALSE(dropped.empty()) << "the traffic overruns the rings";
  const auto& ids = v.changes.at(v.id_of.at("card.drop_id"));
  const auto& codes = v.changes.at(v.id_of.at("card.drop"));
  std::map<uint64_t, uint64_t> code_at;
  for (const auto& [t, val] : codes) code_at[t] = val;
  std::set<uint64_t> pulsed;
  for (const auto& [t, val] : ids) {
    if (val == 0) continue;
    pulsed.insert(val);
    ASSERT_TRUE(why.count(val)) << val;
    const json& j = why.at(val);
    if (!j.contains("ingress_drop")) {  // a copy refused on the way out
      EXPECT_EQ(code_at[t], 3u) << j.dump();
      continue;
    }
    EXPECT_EQ(t / 1000, j["t_ns"].get<uint64_t>()) << j.dump();
    const uint64_t want = j.value("ingress_drop", "") == "rx_ring_full" ? 2 : 1;
    EXPECT_EQ(code_at[t], want) << j.dump();
  }
  EXPECT_EQ(pulsed, dropped);
}

TEST(WaveSignals, AGlobMatchingNothingIsBadInputNamingRealSignals) {
  Dir d;
  const auto c = sh(kDfcsim + kArgs + " --wave-signals 'card.core0.busy,card.nosuch*' --out '" + (d / "out") + "'");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("--wave-signals: 'card.nosuch*' matches no signal"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("card.ingress.ring_depth"), std::string::npos) << "names real signals: " << c.out;
  const auto e = sh(kDfcsim + kArgs + " --wave-signals 'card.core0.busy,,x' --out '" + (d / "out2") + "'");
  EXPECT_EQ(e.rc, 2) << e.out;
  EXPECT_NE(e.out.find("empty signal glob"), std::string::npos) << e.out;
}
