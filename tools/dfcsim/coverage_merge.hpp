// Functional coverage merged across the runs of a regression (`dfcsim regress`).
// Every run writes report.json with the scoreboard's `coverage` object and the firmware's
// `overload` counts. The merge sums every counter over all runs and seeds, then checks the
// sum against a fixed list of bins (the coverage plan below) and reports the holes: the bins
// no run hit. The plan is written here from the protocol and product reference (DTCP methods
// and the status codes each can produce, criteria forms per filter field, the four timeouts,
// multi-match depths, the eight JMIB overload traps), not from what the runs produced.
#pragma once
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace dfc::tools {

struct CoverageBin {
  std::string group;  // e.g. "dtcp.reply_status"
  std::string name;   // e.g. "ADD 200"
  uint64_t hits = 0;
};

struct MergedCoverage {
  nlohmann::json sum = nlohmann::json::object();  // counters summed over all reports
  size_t reports = 0;                             // report.json files merged
  std::vector<std::string> unreadable;            // run directories without a usable report
  std::vector<CoverageBin> bins;                  // the plan, with hits
  size_t covered() const;
  std::vector<const CoverageBin*> holes() const;
};

// Adds b's numeric leaves into a (objects merged key by key; numbers summed; other values
// kept from the first report that had them). Settings reported beside the counts (the
// scoreboard's capacity limits: classifier_depth, max_criteria, ...) keep their largest value.
void merge_counters(nlohmann::json& a, const nlohmann::json& b);

// Merges <dir>/report.json of every run directory and evaluates the plan.
MergedCoverage merge_run_reports(const std::vector<std::string>& run_dirs);
MergedCoverage evaluate_plan(nlohmann::json sum, size_t reports);

// Human summary: per group covered/total and the holes; and the JSON form (sum, bins, holes).
void print_coverage_summary(const MergedCoverage& m, std::ostream& os);
nlohmann::json coverage_json(const MergedCoverage& m);

}  // namespace dfc::tools
