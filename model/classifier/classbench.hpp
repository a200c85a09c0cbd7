// ClassBench for the classifier block (library dfc_classbench): rule and trace readers, header
// generation, conversion to driver terms and keys, and run(): install a rule set through the
// firmware's ClassifierDriver on the block's bus-only HAL (RTL or model, no SystemC), classify
// headers and summarise. `dfcsim classbench` (tools/dfcsim/classbench_cmd.cpp) is its command line;
// the tests use the same code.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "dfc/fw/match_term.hpp"
#include "dfc/hal/classifier_abi.hpp"

namespace dfc::classbench {

struct Rule {
  uint32_t src = 0, dst = 0;  // host bits below the prefix already cleared
  unsigned src_len = 0, dst_len = 0;
  uint16_t sport_lo = 0, sport_hi = 65535, dport_lo = 0, dport_hi = 65535;
  uint8_t proto = 0, proto_mask = 0;
  unsigned line = 0;  // 1-based line in the file
};

struct Header {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;
};

// Both throw std::runtime_error("FILE:LINE: what is wrong") on malformed input.
std::vector<Rule> load_rules(const std::string& path);
std::vector<Header> load_trace(const std::string& path);
// n headers drawn from the rules (a random rule, a random point inside it), deterministic.
std::vector<Header> generate_headers(const std::vector<Rule>& rules, size_t n, uint64_t seed);

fw::MatchTerm to_term(const Rule& r);    // throws std::runtime_error for a non-prefix proto mask
abi::KeyWords to_key(const Header& h);   // IPv4, ports present

struct Options {
  std::string rules, trace, classifier = "rtl";
  uint32_t depth = 0;    // 0: smallest compiled depth that holds the rules (at least 1024)
  size_t headers = 10000;  // generated when no trace is given
  uint64_t seed = 1;
  bool verify = false;   // also compare with a software linear scan; mismatches fail
  bool quiet = false;    // no per-header lines
  // "vcd" or "fst": the RTL's waveform into out_dir/classifier.<wave>, on a nominal 1 ns clock
  // (no card here: the time axis is clocks x 1000 ps).
  std::string wave;
  std::string out_dir = ".";
};

struct Summary {
  size_t rules = 0, installed = 0, entries = 0, range_units = 0, headers = 0, matched = 0,
         mismatches = 0;
  double lookups_per_s = 0, install_s = 0, classify_s = 0;
  uint32_t depth = 0;
};

// Runs the benchmark; per-header lines and the summary go to `out`. Returns the summary.
Summary run(const Options& o, std::ostream& out);

}  // namespace dfc::classbench
