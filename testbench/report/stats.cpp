#include <algorithm>
#include <cmath>

#include "report/stats.hpp"

namespace dfc::tb {
using nlohmann::json;

size_t TimeSeries::id(const std::string& series) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == series) return i;
  names_.push_back(series);
  sums_.emplace_back(max_, 0.0);
  return names_.size() - 1;
}

void TimeSeries::add(size_t series_id, uint64_t t_ps, double v) {
  uint64_t i = t_ps / width_;
  while (i >= max_) {
    widen();
    i = t_ps / width_;
  }
  sums_[series_id][i] += v;
  if (i > max_index_) max_index_ = i;
}

void TimeSeries::widen() {
  // Halve the resolution: bucket i of the new width holds old buckets 2i and 2i+1.
  width_ *= 2;
  for (auto& m : sums_) {
    for (size_t i = 0; i < max_; ++i) {
      const double v = m[i];
      m[i] = 0;
      m[i / 2] += v;
    }
  }
  max_index_ /= 2;
}

json TimeSeries::to_json(uint64_t origin_ps, uint64_t end_ps) const {
  json j;
  const double w = double(width_) / 1e12;
  j["bucket_s"] = w;
  const uint64_t first = std::min<uint64_t>(origin_ps / width_, max_ - 1);
  const uint64_t last = std::max(first, std::min(max_index_, end_ps / width_));
  json t = json::array();
  for (uint64_t i = first; i <= last; ++i) t.push_back(double(i - first) * w);
  j["t_s"] = t;
  json series = json::object();
  for (size_t k = 0; k < names_.size(); ++k) {
    json v = json::array();
    for (uint64_t i = first; i <= last; ++i) v.push_back(sums_[k][i] / w);
    series[names_[k]] = v;
  }
  j["series"] = series;
  return j;
}

void LatencyStats::add(uint64_t ps) {
  ++n_;
  sum_ += double(ps);
  max_ = std::max(max_, ps);
  if (sample_.size() < cap_) {
    sample_.push_back(ps);
  } else {
    const uint64_t k = rng_() % n_;  // reservoir sampling (Vitter's algorithm R)
    if (k < cap_) sample_[k] = ps;
  }
}

json LatencyStats::to_json() const {
  json j;
  j["count"] = n_;
  if (n_ == 0) {
    // The same keys as a run with copies, so reports compare field by field.
    for (const char* k : {"p50_us", "p90_us", "p99_us", "max_us", "mean_us"}) j[k] = 0.0;
    j["histogram"] = {{"edges_us", json::array()}, {"counts", json::array()}};
    return j;
  }
  std::vector<uint64_t> s = sample_;
  std::sort(s.begin(), s.end());
  auto pct = [&](double p) { return double(s[std::min(s.size() - 1, size_t(p * double(s.size())))]) / 1e6; };
  j["p50_us"] = pct(0.50);
  j["p90_us"] = pct(0.90);
  j["p99_us"] = pct(0.99);
  j["max_us"] = double(max_) / 1e6;
  j["mean_us"] = sum_ / double(n_) / 1e6;
  // 30 bins from the minimum to the maximum of the sample.
  const double lo = double(s.front()) / 1e6, hi = std::max(lo + 1e-3, double(s.back()) / 1e6);
  const int bins = 30;
  std::vector<uint64_t> c(bins, 0);
  for (uint64_t v : s) c[std::min(bins - 1, int((double(v) / 1e6 - lo) / (hi - lo) * bins))]++;
  json edges = json::array();
  for (int i = 0; i <= bins; ++i) edges.push_back(lo + (hi - lo) * i / bins);
  j["histogram"] = {{"edges_us", edges}, {"counts", c}};
  return j;
}

}  // namespace dfc::tb
