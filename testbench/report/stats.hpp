// Run statistics for the report: event counts over simulated time with automatic bucket
// widening (bounded memory for any run length), and latency percentiles from a bounded
// reservoir sample.
#pragma once
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfc::tb {

class TimeSeries {
 public:
  explicit TimeSeries(uint64_t first_bucket_ps = 1'000'000, size_t max_buckets = 400)
      : width_(first_bucket_ps), max_(max_buckets) {}
  // The index of a series (registered on first use); add by index on hot paths.
  size_t id(const std::string& series);
  void add(size_t series_id, uint64_t t_ps, double v = 1.0);
  void add(const std::string& series, uint64_t t_ps, double v = 1.0) { add(id(series), t_ps, v); }
  // {"bucket_s": w, "t_s": [...], "series": {name: [rate per second per bucket]}}
  nlohmann::json to_json(uint64_t origin_ps, uint64_t end_ps) const;
  size_t buckets() const { return max_; }

 private:
  void widen();
  uint64_t width_;
  size_t max_;  // at most this many buckets per series: the width doubles instead
  std::vector<std::string> names_;
  std::vector<std::vector<double>> sums_;  // series -> bucket index -> sum (max_ entries)
  uint64_t max_index_ = 0;
};

// 65 536 samples (512 KB): the rank error of a percentile is then about
// sqrt(p(1-p)/n), ±0.04 % of the samples at p99; runs with fewer copies are exact. A million
// samples (8 MB) made resident memory grow with the run up to 1M copies (docs/performance.md P1).
class LatencyStats {
 public:
  explicit LatencyStats(size_t reservoir = 65536) : cap_(reservoir), rng_(12345) {}
  void add(uint64_t ps);
  uint64_t count() const { return n_; }
  // {"count", "p50_us", "p90_us", "p99_us", "max_us", "mean_us", "histogram": {"edges_us", "counts"}}
  nlohmann::json to_json() const;

 private:
  size_t cap_;
  std::vector<uint64_t> sample_;
  uint64_t n_ = 0, max_ = 0;
  double sum_ = 0;
  std::mt19937_64 rng_;
};

// A self-contained HTML page (inline SVG, no scripts) with the plots a user would rather
// look at than read: offered vs achieved throughput, the latency histogram, copies per
// destination over time, where the cores' time went (stalls) and the hardware semaphores, plus
// the key numbers of report.json (report_html.cpp).
std::string render_report_html(const nlohmann::json& report);

}  // namespace dfc::tb
