#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "wave_host.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;

namespace {
// Non-negative decimal microseconds into ps; throws on anything else.
uint64_t us_to_ps(const std::string& s, const char* which) {
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || !std::isfinite(v) || v < 0 || v > 1.8e13)
    throw std::invalid_argument(std::string(which) + " '" + s +
                                "' is not a time in microseconds (write FROM_US:TO_US, e.g. 100:250.5)");
  return static_cast<uint64_t>(std::llround(v * 1e6));
}
std::string file_of(const std::string& out_dir, const char* what, const WaveOptions& w) {
  return (fs::path(out_dir) / (std::string(what) + "." + w.format)).string();
}
}  // namespace

void parse_wave_window(const std::string& s, WaveOptions& w) {
  const size_t colon = s.find(':');
  if (colon == std::string::npos || s.find(':', colon + 1) != std::string::npos)
    throw std::invalid_argument("'" + s + "': expected FROM_US:TO_US (e.g. 100:250.5, or 100: / :250)");
  const std::string a = s.substr(0, colon), b = s.substr(colon + 1);
  w.from_ps = a.empty() ? 0 : us_to_ps(a, "FROM");
  w.to_ps = b.empty() ? UINT64_MAX : us_to_ps(b, "TO");
  if (w.from_ps >= w.to_ps)
    throw std::invalid_argument("'" + s + "': FROM must be before TO");
}

std::vector<std::string> parse_wave_signals(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  for (;;) {
    const size_t b = s.find(',', a);
    std::string g = s.substr(a, b == std::string::npos ? std::string::npos : b - a);
    g.erase(0, g.find_first_not_of(" \t"));
    g.erase(g.find_last_not_of(" \t") + 1);
    if (g.empty())
      throw std::invalid_argument("'" + s + "': an empty signal glob (write GLOB[,GLOB], e.g. 'card.core*.busy,card.drop')");
    out.push_back(g);
    if (b == std::string::npos) break;
    a = b + 1;
  }
  return out;
}

model::ClassifierOptions classifier_wave_options(const WaveOptions& w, const std::string& out_dir,
                                                 const std::string& kind, double classifier_hz) {
  model::ClassifierOptions o;
  if (!w.on() || (kind != "rtl" && kind != "lockstep")) return o;
  o.wave = file_of(out_dir, "classifier", w);
  o.wave_format = w.format;
  o.wave_clock_ps = static_cast<uint64_t>(1e12 / classifier_hz + 0.5);
  o.wave_from_ps = w.from_ps;
  o.wave_to_ps = w.to_ps;
  return o;
}

void open_card_wave(model::Card& card, const WaveOptions& w, const std::string& out_dir) {
  if (!w.on()) return;
  card.open_wave(file_of(out_dir, "card", w),
                 w.format == "fst" ? model::WaveRecorder::Format::Fst : model::WaveRecorder::Format::Vcd, w.from_ps,
                 w.to_ps);
  if (w.signals.empty()) return;
  model::WaveRecorder* rec = card.wave();
  rec->select(w.signals);
  const auto unmatched = rec->unmatched_globs();
  if (unmatched.empty()) return;
  const auto names = rec->names();
  std::string some;
  for (size_t i = 0; i < names.size() && i < 8; ++i) some += (i ? ", " : "") + names[i];
  throw std::invalid_argument("--wave-signals: '" + unmatched.front() + "' matches no signal of the card (" +
                              std::to_string(names.size()) + " signals, e.g. " + some +
                              (names.size() > 8 ? ", ..." : "") + "; a glob such as 'card.core*.busy')");
}

nlohmann::json card_timeline(model::Card& card, const nlohmann::json& report, const DtcpTimeline* dtcp) {
  const model::CardStats st = card.stats();
  const uint64_t end = st.end_ps ? st.end_ps : sc_core::sc_time_stamp().value();
  // The window of report.json "utilisation" (Card::usage).
  uint64_t from = 0, to = end;
  if (st.monitor_packets > 0)
    from = st.monitor_first_arrival_ps, to = std::max(st.monitor_last_done_ps, st.egress_last_depart_ps);
  model::UsageSampler& smp = card.sampler();
  smp.finish(std::max(end, to));
  UsageSeries s;
  s.names = smp.names();
  for (const auto& x : smp.samples()) {
    s.t_ps.push_back(x.t_ps);
    s.busy_ps.push_back(x.busy_ps);
    s.rx_depth.push_back(x.rx_depth);
    s.rx_depth_max.push_back(x.rx_depth_max);
  }
  nlohmann::json t = utilisation_timeline(s, from, to);
  if (t.is_null()) t = nlohmann::json::object();
  if (dtcp) t["dtcp"] = dtcp->to_json();
  t["overload"] = overload_transitions(report.value("overload_events", nlohmann::json::array()));
  return t;
}

nlohmann::json wave_report(model::Card& card, const WaveOptions& w, const std::string& out_dir) {
  if (!w.on()) return nullptr;
  auto opt_ps = [](uint64_t v) { return v == UINT64_MAX ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json r = {{"timescale", "1ps"}, {"from_ps", w.from_ps}, {"to_ps", opt_ps(w.to_ps)}};
  card.close_wave();  // written up to the run's end, so the figures below are final
  if (const model::WaveRecorder* c = card.wave())
    r["card"] = {{"file", file_of(out_dir, "card", w)}, {"first_ps", opt_ps(c->first_ps())},
                 {"last_ps", c->last_ps()}, {"changes", c->changes()}};
  if (const model::ClassifierWaveTiming* t = card.classifier().wave_timing())
    r["classifier"] = {{"file", file_of(out_dir, "classifier", w)}, {"first_ps", opt_ps(t->first_ps)},
                       {"last_ps", t->last_ps}, {"edges_shifted", t->shifted}, {"max_shift_ps", t->max_shift_ps}};
  return r;
}

}  // namespace dfc::tb
