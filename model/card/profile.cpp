#include "profile.hpp"

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

namespace dfc::model {

// Built-in profile texts (generated from model/profiles/*.json at configure time).
extern const char* const kBuiltinProfileNames[];
extern const char* const kBuiltinProfileTexts[];
extern const size_t kBuiltinProfileCount;

namespace {

struct Param {
  const char* key;
  std::function<double(const CardProfile&)> get;
  std::function<void(CardProfile&, double)> set;
  double min, max;
  bool integer;
};

template <class T>
Param num(const char* key, T CardProfile::*m, double lo, double hi, bool integer = false) {
  return Param{key, [m](const CardProfile& p) { return double(p.*m); },
               [m](CardProfile& p, double v) { p.*m = static_cast<T>(v); }, lo, hi, integer};
}
Param work(const char* key, Hal::Work k) {
  const auto i = static_cast<size_t>(k);
  return Param{key, [i](const CardProfile& p) { return p.work_cycles[i]; },
               [i](CardProfile& p, double v) { p.work_cycles[i] = v; }, 0, 1e6, false};
}

const std::vector<Param>& params() {
  using W = Hal::Work;
  static const std::vector<Param> ps = {
      num("cores", &CardProfile::cores, 1, 64, true),
      num("threads_per_core", &CardProfile::threads_per_core, 1, 16, true),
      num("control_cores", &CardProfile::control_cores, 1, 64, true),
      num("data_cores", &CardProfile::data_cores, 0, 64, true),
      num("hash_key", &CardProfile::hash_key, 3, 4, true),
      num("core_hz", &CardProfile::core_hz, 1e6, 1e11),
      num("quantum_ns", &CardProfile::quantum_ns, 10, 1e7),
      work("work.header_byte", W::HeaderByte),
      work("work.header_decode", W::HeaderDecode),
      work("work.hash", W::Hash),
      work("work.key_compare", W::KeyCompare),
      work("work.flow_insert", W::FlowInsert),
      work("work.classify_key", W::ClassifyKey),
      work("work.match_resolve", W::MatchResolve),
      work("work.copy_build", W::CopyBuild),
      work("work.hit_account", W::HitAccount),
      work("work.control_byte", W::ControlByte),
      work("work.control_op", W::ControlOp),
      work("work.control_message", W::ControlMessage),
      work("work.criterion_scan", W::CriterionScan),
      work("work.packet_loop", W::PacketLoop),
      work("work.frame_byte", W::FrameByte),
      work("work.copy_byte", W::CopyByte),
      num("l1.bytes", &CardProfile::l1_bytes, 0, 1e9, true),
      num("l1.line", &CardProfile::l1_line, 8, 4096, true),
      num("l1.ways", &CardProfile::l1_ways, 1, 64, true),
      num("l1.hit_cycles", &CardProfile::l1_hit_cycles, 0, 1000),
      num("l2.bytes", &CardProfile::l2_bytes, 0, 1e10, true),
      num("l2.ways", &CardProfile::l2_ways, 1, 64, true),
      num("l2.hit_ns", &CardProfile::l2_hit_ns, 0, 1e4),
      num("interconnect.hz", &CardProfile::ic_hz, 1e6, 1e11),
      num("interconnect.bytes_per_cycle", &CardProfile::ic_bytes_per_cycle, 1, 1024, true),
      num("interconnect.cycles_per_access", &CardProfile::ic_cycles_per_access, 0, 1000),
      num("memory.sram_latency_ns", &CardProfile::sram_latency_ns, 0, 1e4),
      num("memory.sram_gbps", &CardProfile::sram_gbps, 0.1, 1e5),
      num("memory.dram_latency_ns", &CardProfile::dram_latency_ns, 0, 1e5),
      num("memory.dram_gbps", &CardProfile::dram_gbps, 0.1, 1e5),
      num("classifier.hz", &CardProfile::classifier_hz, 1e3, 1e11),
      num("classifier.issue_cycles", &CardProfile::classifier_issue_cycles, 0.01, 1e4),
      num("classifier.reg_cycles", &CardProfile::classifier_reg_cycles, 0, 1e4),
      num("classifier.depth", &CardProfile::classifier_depth, 16, 131072, true),
      num("security.engine", &CardProfile::security_engine, 0, 1, true),
      num("security.hz", &CardProfile::security_hz, 1e6, 1e11),
      num("security.cycles_per_block", &CardProfile::security_cycles_per_block, 1, 1e5),
      num("descriptor_bytes", &CardProfile::descriptor_bytes, 0, 4096, true),
      num("rx_ring_entries", &CardProfile::rx_ring_entries, 1, 4096, true),
      num("tx_ring_entries", &CardProfile::tx_ring_entries, 1, 4096, true),
      num("ingress_bps", &CardProfile::ingress_bps, 1e6, 1e13),
      num("egress_bps", &CardProfile::egress_bps, 1e6, 1e13),
      num("flow_table_entries", &CardProfile::flow_table_entries, 1024, 2097152, true),
      num("ingress_buffer_packets", &CardProfile::ingress_buffer_packets, 1, 1e8, true),
      num("egress_queue_packets", &CardProfile::egress_queue_packets, 1, 1e8, true),
      num("rated_input_pps", &CardProfile::rated_input_pps, 1, 1e10, true),
      num("schedule_seed", &CardProfile::schedule_seed, 0, 1e15, true),
      num("race_check", &CardProfile::race_check, 0, 1, true),
  };
  return ps;
}

const Param& find(const std::string& key) {
  for (const Param& p : params())
    if (key == p.key) return p;
  std::string known;
  for (const Param& p : params()) known += std::string(known.empty() ? "" : ", ") + p.key;
  throw ProfileError("unknown profile key '" + key + "' (known keys: " + known + ")");
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// hash_key's values as Junos spells them (data-flow-affinity hash-key layer-3 | layer-4).
double hash_key_value(const std::string& v, const std::string& where) {
  if (v == "layer-3" || v == "3") return 3;
  if (v == "layer-4" || v == "4") return 4;
  throw ProfileError(where + ": hash_key '" + v + "' is not layer-3 or layer-4");
}

}  // namespace

void CardProfile::set(const std::string& key, double value) {
  const Param& p = find(key);
  if (!std::isfinite(value) || value < p.min || value > p.max || (p.integer && value != std::floor(value))) {
    std::ostringstream m;
    m << "profile key '" << key << "': value " << value << " out of range (" << (p.integer ? "an integer " : "")
      << p.min << " .. " << p.max << ")";
    throw ProfileError(m.str());
  }
  p.set(*this, value);
}

void CardProfile::set(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ProfileError("--set '" + assignment + "': expected KEY=VALUE, e.g. --set cores=4");
  const std::string key = assignment.substr(0, eq), val = assignment.substr(eq + 1);
  find(key);  // unknown key first: the clearer message
  if (key == "hash_key") {
    set(key, hash_key_value(val, "--set '" + assignment + "'"));
    return;
  }
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(val, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != val.size())
    throw ProfileError("--set '" + assignment + "': '" + val + "' is not a number");
  set(key, v);
}

double CardProfile::get(const std::string& key) const { return find(key).get(*this); }

std::vector<std::pair<std::string, double>> CardProfile::values() const {
  std::vector<std::pair<std::string, double>> out;
  for (const Param& p : params()) out.emplace_back(p.key, p.get(*this));
  return out;
}

const char* CardProfile::work_key(Hal::Work k) {
  // In Hal::Work's order.
  static const char* const names[] = {"work.packet_loop",  "work.header_byte",   "work.header_decode",
                                      "work.hash",         "work.key_compare",   "work.flow_insert",
                                      "work.classify_key", "work.match_resolve", "work.copy_build",
                                      "work.hit_account",  "work.control_byte",  "work.control_op",
                                      "work.control_message", "work.criterion_scan", "work.frame_byte",
                                      "work.copy_byte"};
  static_assert(sizeof names / sizeof names[0] == static_cast<size_t>(Hal::Work::kCount), "one key per kind");
  return names[static_cast<size_t>(k)];
}

std::vector<std::string> CardProfile::keys() {
  std::vector<std::string> out;
  for (const Param& p : params()) out.emplace_back(p.key);
  return out;
}

CardProfile parse_profile(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw ProfileError(where + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ProfileError(where + ": a profile is a JSON object of KEY: number");
  CardProfile p;
  p.name = j.value("name", where);
  for (const auto& [k, v] : j.items()) {
    if (k == "name" || k == "description" || k == "sources") continue;
    if (k == "hash_key" && v.is_string()) {
      p.set(k, hash_key_value(v.get<std::string>(), where));
      continue;
    }
    if (!v.is_number())
      throw ProfileError(where + ": key '" + k + "' must be a number (documentation goes under \"sources\")");
    try {
      p.set(k, v.get<double>());
    } catch (const ProfileError& e) {
      throw ProfileError(where + ": " + e.what());
    }
  }
  return p;
}

std::vector<std::string> builtin_profiles() {
  std::vector<std::string> out;
  for (size_t i = 0; i < kBuiltinProfileCount; ++i) out.emplace_back(kBuiltinProfileNames[i]);
  return out;
}

CardProfile load_profile(const std::string& name_or_file) {
  for (size_t i = 0; i < kBuiltinProfileCount; ++i)
    if (name_or_file == kBuiltinProfileNames[i])
      return parse_profile(kBuiltinProfileTexts[i], std::string("built-in profile ") + kBuiltinProfileNames[i]);
  const std::string text = read_text(name_or_file);
  if (text.empty()) {
    std::string names;
    for (const auto& n : builtin_profiles()) names += (names.empty() ? "" : ", ") + n;
    throw ProfileError("--profile '" + name_or_file + "': neither a built-in profile (" + names +
                       ") nor a readable JSON profile file");
  }
  return parse_profile(text, name_or_file);
}

CardProfile load_profile(const std::string& name_or_file, const std::vector<std::string>& sets) {
  CardProfile p = load_profile(name_or_file);
  for (const auto& s : sets) p.set(s);
  return p;
}

CardProfile profile_by_name(const std::string& name) {
  for (const auto& n : builtin_profiles())
    if (n == name) return load_profile(name);
  throw std::invalid_argument("unknown profile '" + name + "' (expected ms3 or ms400)");
}

}  // namespace dfc::model
