// Every ClassBench set in shared/data: the firmware driver on the RTL and on the reference
// model must give the same first match AND the same full match set as an independent
// linear scan, for generated headers (and the paired acl1_1k trace). Also the entries per
// rule target (<= 1.1) and the classbench tool's error reporting.
// Built twice: DFC_CLASSBENCH_LONG=0 (1k sets, default suite) and =1 (10k sets, label long).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "classbench.hpp"
#include "classifier_bus.hpp"
#include "classifier_bus_hal.hpp"
#include "classifier_device.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/hal/hal.hpp"

#ifndef DFC_CLASSBENCH_LONG
#define DFC_CLASSBENCH_LONG 0
#endif

namespace dfc {
namespace {

const std::string kDir = std::string(DFC_SHARED_DATA) + "/classbench";

bool exists(const std::string& p) { return std::ifstream(p).good(); }

// ---- independent reference: own parser, own matcher ------------------------------------
struct RefRule {
  uint32_t src, smask, dst, dmask;
  uint32_t sp_lo, sp_hi, dp_lo, dp_hi, proto, pmask;
};

std::vector<RefRule> parse_ref(const std::string& path) {
  std::vector<RefRule> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] != '@') continue;
    for (char& c : line)
      if (c == '@' || c == '/' || c == '.' || c == ':' || c == '\t') c = ' ';
    std::istringstream s(line);
    uint32_t a[4], b[4], sl, dl;
    RefRule r{};
    std::string proto, pmask;
    s >> a[0] >> a[1] >> a[2] >> a[3] >> sl >> b[0] >> b[1] >> b[2] >> b[3] >> dl >> r.sp_lo >>
        r.sp_hi >> r.dp_lo >> r.dp_hi >> proto >> pmask;
    r.smask = sl == 0 ? 0 : 0xffffffffu << (32 - sl);
    r.dmask = dl == 0 ? 0 : 0xffffffffu << (32 - dl);
    r.src = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) & r.smask;
    r.dst = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) & r.dmask;
    r.proto = static_cast<uint32_t>(std::stoul(proto, nullptr, 16));
    r.pmask = static_cast<uint32_t>(std::stoul(pmask, nullptr, 16));
    r.proto &= r.pmask;
    out.push_back(r);
  }
  return out;
}

std::vector<long> ref_matches(const std::vector<RefRule>& rules, const classbench::Header& h) {
  std::vector<long> m;
  for (size_t i = 0; i < rules.size(); ++i) {
    const RefRule& r = rules[i];
    if ((h.src & r.smask) == r.src && (h.dst & r.dmask) == r.dst && h.sport >= r.sp_lo &&
        h.sport <= r.sp_hi && h.dport >= r.dp_lo && h.dport <= r.dp_hi &&
        (h.proto & r.pmask) == r.proto)
      m.push_back(static_cast<long>(i));
  }
  return m;
}

using BusHal = model::ClassifierBusHal;

struct SetCase {
  std::string name, kind;
};

std::string case_name(const ::testing::TestParamInfo<SetCase>& i) {
  return i.param.name + "_" + i.param.kind;
}

class ClassBenchSet : public ::testing::TestWithParam<SetCase> {};

TEST_P(ClassBenchSet, SameFirstAndAllMatchesAsLinearScan) {
  const std::string rules_path = GetParam().name == "paired_acl1_1k"
                                     ? kDir + "/paired/acl1_1k.rules"
                                     : kDir + "/" + GetParam().name;
  if (!exists(rules_path)) GTEST_SKIP() << "shared data absent: " << rules_path;
  const std::vector<RefRule> ref = parse_ref(rules_path);
  const std::vector<classbench::Rule> rules = classbench::load_rules(rules_path);
  ASSERT_EQ(ref.size(), rules.size());
  ASSERT_GT(rules.size(), 100u);

  const uint32_t depth = rules.size() > 4000 ? 16384 : 4096;
  auto dev = model::make_classifier(GetParam().kind, depth);
  BusHal hal(*dev);
  fw::ClassifierDriver drv(hal);
  std::unordered_map<fw::RuleId, long> index;
  for (size_t i = 0; i < rules.size(); ++i) {
    auto id = drv.install({classbench::to_term(rules[i])}, static_cast<uint32_t>(i));
    ASSERT_TRUE(id) << "rule " << i;
    index[*id] = static_cast<long>(i);
  }
  const double per_rule = double(drv.entries_used()) / double(rules.size());
  RecordProperty("entries_per_rule", std::to_string(per_rule));
  EXPECT_LE(per_rule, 1.1) << drv.entries_used() << " entries for " << rules.size() << " rules";

  std::vector<classbench::Header> headers;
  if (GetParam().name == "paired_acl1_1k") {
    headers = classbench::load_trace(kDir + "/paired/acl1_1k.trace");
  } else {
    headers = classbench::generate_headers(rules, DFC_CLASSBENCH_LONG ? 20000 : 10000, 17);
  }
  size_t matched = 0, multi = 0;
  for (size_t n = 0; n < headers.size(); ++n) {
    const std::vector<long> want = ref_matches(ref, headers[n]);
    std::vector<long> got;
    for (fw::RuleId id : drv.classify(classbench::to_key(headers[n]))) got.push_back(index.at(id));
    ASSERT_EQ(got, want) << "header " << n;
    matched += !want.empty();
    multi += want.size() > 1;
  }
  EXPECT_GT(matched, headers.size() / 2);
  std::printf("[ info ] %s/%s: %zu rules, %zu entries (%.3f/rule), %zu range units, %zu headers, %zu multi-match\n",
              GetParam().name.c_str(), GetParam().kind.c_str(), rules.size(), drv.entries_used(),
              per_rule, drv.range_units_used(), headers.size(), multi);
}

std::vector<SetCase> cases() {
  std::vector<std::string> names;
#if DFC_CLASSBENCH_LONG
  names = {"acl1_10k", "fw1_10k", "ipc1_10k"};
#else
  names = {"acl1_1k", "acl2_1k", "acl3_1k", "acl4_1k", "acl5_1k", "fw1_1k", "fw2_1k",
           "fw3_1k",  "fw4_1k",  "fw5_1k",  "ipc1_1k", "ipc2_1k", "paired_acl1_1k"};
#endif
  std::vector<SetCase> out;
  for (const auto& n : names)
    for (const char* k : {"rtl", "model"}) out.push_back({n, k});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Sets, ClassBenchSet, ::testing::ValuesIn(cases()), case_name);

// Timing: the C++ model's lookup cycles (a formula, docs/classifier.md §7) against
// the clocks the RTL device counts at its ports, lookup by lookup, on the ClassBench sets.
class ClassBenchTiming : public ::testing::TestWithParam<std::string> {};

TEST_P(ClassBenchTiming, ModelCyclesEqualRtlCountedClocks) {
  const std::string rules_path = kDir + "/" + GetParam();
  if (!exists(rules_path)) GTEST_SKIP() << "shared data absent: " << rules_path;
  const std::vector<classbench::Rule> rules = classbench::load_rules(rules_path);
  const uint32_t depth = rules.size() > 4000 ? 16384 : 4096;
  auto rtl = model::make_classifier("rtl", depth);
  auto ref = model::make_classifier("model", depth);
  BusHal hr(*rtl), hm(*ref);
  fw::ClassifierDriver dr(hr), dm(hm);
  for (size_t i = 0; i < rules.size(); ++i) {
    ASSERT_TRUE(dr.install({classbench::to_term(rules[i])}, static_cast<uint32_t>(i)));
    ASSERT_TRUE(dm.install({classbench::to_term(rules[i])}, static_cast<uint32_t>(i)));
  }
  const auto headers = classbench::generate_headers(rules, DFC_CLASSBENCH_LONG ? 2000 : 1000, 7);
  uint64_t sum = 0;
  uint32_t most = 0;
  for (size_t n = 0; n < headers.size(); ++n) {
    const abi::KeyWords k = classbench::to_key(headers[n]);
    const abi::LookupResult a = rtl->lookup(k), b = ref->lookup(k);
    ASSERT_EQ(a.matches, b.matches) << "header " << n;
    ASSERT_EQ(a.cycles, b.cycles) << "header " << n << ", " << a.matches.size() << " matches";
    sum += a.cycles;
    most = std::max(most, a.cycles);
  }
  std::printf("[ info ] %s: %zu lookups, mean %.2f cycles, max %u\n", GetParam().c_str(),
              headers.size(), double(sum) / double(headers.size()), most);
}

#if DFC_CLASSBENCH_LONG
INSTANTIATE_TEST_SUITE_P(Sets, ClassBenchTiming, ::testing::Values("acl1_10k", "fw1_10k", "ipc1_10k"));
#else
INSTANTIATE_TEST_SUITE_P(Sets, ClassBenchTiming,
                         ::testing::Values("acl1_1k", "acl2_1k", "acl3_1k", "acl4_1k", "acl5_1k",
                                           "fw1_1k", "fw2_1k", "fw3_1k", "fw4_1k", "fw5_1k",
                                           "ipc1_1k", "ipc2_1k"));
#endif

#if !DFC_CLASSBENCH_LONG
// ---- the tool's input errors -------------------------------------------------------------
std::string write_tmp(const std::string& name, const std::string& text) {
  const std::string p = ::testing::TempDir() + name;
  std::ofstream(p) << text;
  return p;
}

TEST(ClassBenchTool, MalformedRuleReportsFileAndLine) {
  const std::string p = write_tmp(
      "bad.rules",
      "@1.2.3.4/32\t5.6.7.8/32\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t\n"
      "@1.2.3.4/33\t5.6.7.8/32\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t\n");
  try {
    classbench::load_rules(p);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(p + ":2:"), std::string::npos) << e.what();
  }
  const std::string q = write_tmp("bad2.rules", "\n\n@1.2.3.4/32 garbage\n");
  try {
    classbench::load_rules(q);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(q + ":3:"), std::string::npos) << e.what();
  }
  const std::string t = write_tmp("bad.trace", "1 2 3 4 6 0 0\n1 2 3\n");
  EXPECT_THROW(classbench::load_trace(t), std::runtime_error);
}

TEST(ClassBenchTool, RunPrintsFirstMatchPerHeaderAndSummary) {
  const std::string p = write_tmp(
      "small.rules",
      "@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t1000 : 2000\t0x06/0xFF\t0x0000/0x0000\t\n"
      "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t\n");
  const std::string t = write_tmp("small.trace",
                                  "167772161 1 5 1500 6 0 0\n"   // 10.0.0.1 -> rule 0
                                  "167772161 1 5 999 6 0 1\n"    // port outside -> rule 1
                                  "3232235521 1 5 1500 17 0 1\n");
  for (const char* kind : {"model", "rtl"}) {
    classbench::Options o;
    o.rules = p;
    o.trace = t;
    o.classifier = kind;
    o.verify = true;
    std::ostringstream out;
    const classbench::Summary s = classbench::run(o, out);
    EXPECT_EQ(s.mismatches, 0u);
    EXPECT_EQ(s.entries, 2u);
    EXPECT_EQ(s.range_units, 1u);
    EXPECT_EQ(out.str().substr(0, 6), "0\n1\n1\n");
    EXPECT_NE(out.str().find("entries/rule 1.000"), std::string::npos) << out.str();
  }
}
#endif

}  // namespace
}  // namespace dfc
