// The host's report (report.json: every field run and serve share), its human summary, and
// the files both modes write at the end.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "classifier/classifier_lockstep.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "host/host_report_race.hpp"
#include "host/host_impl.hpp"
#include "report/accounting.hpp"
#include "wave_host.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// report.json control_sources (jnxDfcCSTable), from either build's counters.
json control_sources_json(const iss::FirmwareCounters& c) {
  json css = json::object();
  for (const auto& [id, fields] : c.control_sources) {
    json cj = json(fields);
    const auto g = c.control_source_group.find(id);
    cj["group"] = g == c.control_source_group.end() ? std::string() : g->second;
    css[id] = cj;
  }
  return css;
}

// report.json content_destinations (jnxDfcCDTable), by copy label, from either build's counters.
json content_destinations_json(const config::DfcConfig& cfg, const std::vector<dtcp::ContentDestinationStats>& v) {
  json cds = json::object();
  for (const auto& d : v) {
    const config::CaptureGroup* g = nullptr;
    for (const auto& cg : cfg.capture_groups)
      if (cg.name == d.group) g = &cg;
    cds[g ? fw::copy_label(cfg, *g, d.id) : d.id] = {{"criteria", d.criteria}, {"matched_packets", d.matched_packets},
                 {"matched_bytes", d.matched_bytes}, {"congestion_notifications", d.congestion_notifications},
                 {"soft_congested", int(d.soft_congested)}, {"soft_episodes", d.soft_episodes},
                 {"soft_cleared", d.soft_cleared}};
  }
  return cds;
}

}  // namespace

json Host::Impl::report_dtcp_server() const {
  // The firmware's own view: control-protocol counters, per control source, per content
  // destination (jnxDfcCSTable / jnxDfcCDTable) and per criterion.
  dtcp::Server& srv = fw->server();
  json r = json::object();
  json sc = json::object();
  srv.counters().visit([&](const char* k, uint64_t v) { sc[k] = v; });
  json crit = json::array();
  for (const auto& c : srv.criteria())
    crit.push_back({{"criteria_id", c.criteria_id}, {"csource", c.csource_id}, {"cdest", c.cdest_id},
                    {"priority", c.priority}, {"static", c.is_static},
                    {"matching_packets", c.matching_packets}, {"matching_bytes", c.matching_bytes},
                    {"classifier_entries", fw->classifier().entries_used(c.rule)}});
  r["dtcp_server"] = sc;
  r["criteria"] = crit;
  r["criteria_active"] = srv.active_criteria();
  r["restarts"] = srv.restarts();
  return r;
}

namespace {

// A fraction of the run's simulated span, to 4 decimals (enough for a breakdown read by eye;
// the rounding keeps a set's sum within 5e-4 of 1).
double span_fraction(uint64_t ps, uint64_t end_ps) {
  return end_ps > 0 ? std::round(double(ps) / double(end_ps) * 1e4) / 1e4 : 0.0;
}

json stall_set(const model::StallTimes& s, uint64_t end_ps) {
  return {{"compute", span_fraction(s.compute_ps, end_ps)}, {"memory", span_fraction(s.memory_ps, end_ps)},
          {"lock", span_fraction(s.lock_ps, end_ps)}, {"classifier", span_fraction(s.classifier_ps, end_ps)},
          {"idle", span_fraction(s.idle_ps, end_ps)}};
}

// Where each core's and each hardware thread's time went, as fractions of the run; and per
// hardware semaphore how often it was taken, how often it had to be waited for and how long.
// Both objects are always present (empty when the card reports none).
json stalls_and_locks_json(const model::CardStats& cs) {
  json stalls = json::object();
  for (size_t c = 0; c < cs.stalls.size(); ++c) {
    const model::CoreStalls& cst = cs.stalls[c];
    json cj = stall_set(cst.core, cs.end_ps);
    cj["role"] = cst.role;
    json tj = json::object();
    for (size_t t = 0; t < cst.threads.size(); ++t) tj["t" + std::to_string(t)] = stall_set(cst.threads[t], cs.end_ps);
    cj["threads"] = tj;
    stalls["core" + std::to_string(c)] = cj;
  }
  json locks = json::object();
  for (const model::LockStats& l : cs.locks)
    locks[l.name] = {{"acquisitions", l.acquisitions}, {"contended", l.contended},
                     {"wait_s", double(l.wait_ps) / 1e12}};
  // Cache hits and misses (line lookups): each core's L1 and the shared L2. A miss fills a line
  // over the interconnect's data ring, so these say what the ring carries besides the DMA.
  const auto counts = [](const model::CardStats::CacheCounts& c) {
    const uint64_t n = c.hits + c.misses;
    return json{{"hits", c.hits}, {"misses", c.misses}, {"miss_rate", n ? double(c.misses) / double(n) : 0.0}};
  };
  json l1 = json::object();
  for (size_t c = 0; c < cs.l1.size(); ++c) l1["core" + std::to_string(c)] = counts(cs.l1[c]);
  return {{"stalls", stalls}, {"locks", locks}, {"caches", {{"l1", l1}, {"l2", counts(cs.l2)}}}};
}

// report.json `overload` from the image's counters, in overload_json's layout
// (testbench/report/accounting.cpp) less the events, which stay inside the image: `count` is
// how many it raised.
json overload_counters_json(const iss::FirmwareCounters& c) {
  json counts = json::object();
  for (const char* k : {"Soft", "Hard"})
    for (const char* q : {"Pps", "Mem"})
      for (const char* w : {"ThresholdExceeded", "UnderThreshold"})
        counts[std::string("jnxDfc") + k + q + w] = 0;  // every trap present, for expectations
  for (const auto& [name, n] : c.overload_counts) counts[name] = n;
  json th = json::object();
  for (const auto& t : c.thresholds) {
    const json v = {{"high_watermark", t.high}, {"low_watermark", t.low}, {"exceeded", int(t.exceeded)}};
    if (t.group.empty())
      th[t.name] = v;
    else
      th[t.name][t.group] = v;
  }
  return {{"counts", counts}, {"thresholds", th}, {"count", c.overload_events},
          {"last_window_pps", c.last_window_pps}, {"peak_window_pps", c.peak_window_pps}};
}

}  // namespace

iss::FirmwareCounters Host::Impl::host_counters() const {
  iss::FirmwareCounters c;
  c.pipeline = fw->pipeline_stats();
  if (const fw::Driver* d = fw->driver()) c.driver = true, c.tx_ring_full = d->stats().tx_ring_full;
  c.classifier_entries = fw->classifier().entries_used();
  c.classifier_rules = fw->classifier().rules();
  c.dtcp_restarts = fw->server().restarts();
  c.criteria_active = fw->server().active_criteria();
  fw->server().counters().visit([&c](const char* k, uint64_t v) { c.dtcp_server[k] = v; });
  for (const auto& cs : fw->server().control_source_stats()) {
    std::map<std::string, uint64_t>& f = c.control_sources[cs.id];
    cs.counters.visit([&f](const char* k, uint64_t v) { f[k] = v; });
    f["dynamic_criteria_active"] = cs.dynamic_criteria_active;
    f["static_criteria_active"] = cs.static_criteria_active;
    if (cs.has_sequence_number) f["sequence_number"] = cs.sequence_number;
    c.control_source_group[cs.id] = cs.group;
  }
  c.content_destinations = fw->server().content_destination_stats();
  return c;
}

void Host::Impl::report_firmware(json& r, json& drops, const iss::FirmwareCounters& c) const {
  const model::CardStats cs = engine->stats();
  const fw::PipelineStats& ps = c.pipeline;
  r["bytes_in"] = ps.bytes_in;
  for (const auto& [why, n] : ps.not_intercepted) drops["not_intercepted_" + why] = n;
  drops["copies_max_duplicates"] = ps.copies_dropped_max_duplicates;
  // A copy the egress queue refuses is counted by the card and by the firmware (transmit
  // returned false): once here.
  drops["copies_tx_queue_full"] = ps.copies_dropped_tx_queue;
  r["drops"] = drops;
  r["packets_matched"] = ps.packets_matched;
  r["packets_unmatched"] = ps.packets_unmatched;
  r["copies_chosen"] = ps.copies_chosen;
  r["copies_sent"] = ps.copies_sent;
  json per_dest = json::object();
  for (const auto& [id, w] : writers)
    per_dest[id] = {{"copies", copies_written.at(id)},
                    {"bytes", ps.bytes_per_destination.count(id) ? ps.bytes_per_destination.at(id) : 0},
                    {"pcap", w->path()}};
  r["copies_per_destination"] = per_dest;
  r["flow_table"] = {{"hits", ps.flow_hits}, {"misses", ps.flow_misses}, {"stale", ps.flow_stale},
                     {"evictions", ps.flow_evictions}, {"entries", ps.flow_entries},
                     {"peak_entries", ps.flow_entries_peak}};
  r["classifier"] = {{"implementation", cls_name}, {"depth", prof.classifier_depth},
                     {"entries_used", c.classifier_entries},
                     {"rules", c.classifier_rules}, {"lookups", cs.bus_transactions}};
}

json Host::Impl::report_accounting(const iss::FirmwareCounters& c) const {
  const model::CardStats cs = engine->stats();
  const fw::PipelineStats& ps = c.pipeline;
  AccountingInputs ai;
  ai.packets_in = cs.monitor_offered;
  ai.processed = cs.monitor_packets;
  ai.ingress_drops["ingress_buffer_full"] = cs.ingress_dropped_buffer;
  ai.ingress_drops["rx_ring_full"] = cs.ingress_dropped_ring;
  ai.egress_accepted = cs.egress_copies;
  ai.egress_dropped_queue = cs.egress_dropped_queue;
  for (const auto& [id, n] : copies_written) ai.copies_written += n;
  ai.fw_packets_in = ps.packets_in;
  ai.matched = ps.packets_matched;
  ai.unmatched = ps.packets_unmatched;
  ai.not_intercepted = ps.not_intercepted;
  ai.copies_chosen = ps.copies_chosen;
  ai.copies_sent = ps.copies_sent;
  ai.copies_max_duplicates = ps.copies_dropped_max_duplicates;
  ai.copies_tx_queue_full = ps.copies_dropped_tx_queue;
  if (c.driver) ai.copies_tx_ring_full = c.tx_ring_full;
  ai.copies_unknown_destination = ps.copies_dropped_unknown_destination;
  for (const auto& [id, n] : ps.copies_per_destination) ai.copies_per_destination_sum += n;
  return accounting_json(ai);
}

void Host::Impl::report_counters(json& r, json& drops) const {
  // A classifier divergence stopped the run (sc_stop) with the image in mid-pass, not waiting:
  // it is not asked; the report keeps what the card and the testbench saw (report_image).
  if (!fw && opt.sim.classifier == "lockstep" && model::ClassifierLockstep::first_divergence()) {
    checker->on_copy_drops(image_copy_drops());
    return;
  }
  const iss::FirmwareCounters fc = fw ? host_counters() : image_counters();
  report_firmware(r, drops, fc);
  r["dtcp"]["restarts"] = fc.dtcp_restarts;
  r["control_sources"] = control_sources_json(fc);
  r["content_destinations"] = content_destinations_json(cfg, fc.content_destinations);
  r["accounting"] = report_accounting(fc);
  if (fw) {
    r.update(report_dtcp_server());
    json ov = overload_json(fw->overload());
    r["overload_events"] = ov["events"];
    ov.erase("events");
    r["overload"] = ov;
  } else {
    // The image's per-criterion table and overload events stay inside it.
    r["dtcp_server"] = fc.dtcp_server;
    r["criteria_active"] = fc.criteria_active;
    r["restarts"] = fc.dtcp_restarts;
    r["overload"] = overload_counters_json(fc);
  }
  const fw::PipelineStats& ps = fc.pipeline;
  checker->on_copy_drops({{"copies_max_duplicates", ps.copies_dropped_max_duplicates},
                          {"copies_tx_queue_full", ps.copies_dropped_tx_queue},
                          {"copies_unknown_destination", ps.copies_dropped_unknown_destination}});
}

json Host::report() {
  Impl& m = *impl_;
  m.wall_s = std::chrono::duration<double>(HostClock::now() - m.wall0).count();
  const model::CardStats cs = m.engine->stats();
  json r;
  r["scenario"] = {{"name", m.opt.name}, {"config", m.opt.sim.config_name}, {"profile", m.prof.name},
                   {"classifier", m.cls_name}};
  r["model"] = m.engine->model();  // which card model ran: "timing" or "fast" (docs/fast-mode.md)
  r["packets_in"] = cs.monitor_offered;  // monitored packets that arrived at unit 1
  r["control_requests"] = cs.control_packets;
  // Requests the card dropped at ingress (their thread's ring or every buffer full): never seen
  // by the firmware, so never answered.
  r["control_requests_dropped"] = cs.control_dropped;
  json drops;
  drops["ingress_buffer_full"] = cs.ingress_dropped_buffer;
  drops["rx_ring_full"] = cs.ingress_dropped_ring;
  r["dtcp"] = {{"replies", m.replies}, {"notifications", m.notifications}, {"bad_signatures", m.bad_signatures},
               {"status_counts", m.status_counts}, {"criteria_added", m.criteria_added}};
  // The firmware image: what the code cost (iss) first, then its own counters, which it writes
  // when asked after the run (docs/iss.md); the same report code as the host firmware's.
  if (!m.fw) {
    json seen = drops;  // the drops the card reported: the firmware's own counts replace them
    m.report_image(r, seen);
  }
  m.report_counters(r, drops);
  if (m.opt.sim.classifier == "lockstep")  // the run stopped there (the command exits 1)
    if (auto d = model::ClassifierLockstep::first_divergence()) r["classifier"]["lockstep_divergence"] = *d;
  if (m.opt.sim.wave.on() && m.card) r["wave"] = wave_report(*m.card, m.opt.sim.wave, m.opt.sim.out_dir);
  const double sim_s = double(cs.end_ps) / 1e12;
  const double offered_s = double(cs.monitor_last_arrival_ps - cs.monitor_first_arrival_ps) / 1e12;
  const double done_s = double(cs.monitor_last_done_ps - cs.monitor_first_arrival_ps) / 1e12;
  r["simulated_time_s"] = sim_s;
  r["wall_time_s"] = m.wall_s;
  r["simulated_packets_per_wall_second"] = m.wall_s > 0 ? double(cs.monitor_offered) / m.wall_s : 0.0;
  // The card alone (sc_start: model, firmware, classifier, plus the testbench's per-packet
  // hooks), without configuration and the scoreboard's final check.
  r["card_wall_time_s"] = m.card_wall_s;
  r["card_packets_per_wall_second"] = m.card_wall_s > 0 ? double(cs.monitor_offered) / m.card_wall_s : 0.0;
  // Offered: monitored packets per second arriving at unit 1. Achieved: packets the firmware
  // processed per second over the span from the first arrival to the last processing end.
  r["offered_pps"] = offered_s > 0 ? double(cs.monitor_offered - 1) / offered_s : 0.0;
  r["achieved_pps"] = done_s > 0 ? double(cs.monitor_packets) / done_s : 0.0;
  json busy = json::array();
  for (uint64_t b : cs.core_busy_ps) busy.push_back(sim_s > 0 ? double(b) / double(cs.end_ps) : 0.0);
  r["core_utilisation"] = busy;
  {
    // Busy fraction of every block over the measurement window, and the busiest one.
    json u = json::object();
    for (const auto& [k, v] : m.engine->utilisation()) u[k] = v;
    r["utilisation"] = u;
    r["bottleneck"] = m.engine->bottleneck();
    json pj = json::object();
    for (const auto& [k, v] : m.prof.values()) pj[k] = v;
    r["profile"] = pj;
  }
  r.update(stalls_and_locks_json(cs));
  r["ingress_buffer_peak"] = cs.ingress_buffer_peak;
  r["timer_events"] = cs.timer_events;
  m.checker->on_end(cs.end_ps);
  json sb = m.checker->finish();
  r["scoreboard"] = sb["scoreboard"];
  r["coverage"] = sb["coverage"];
  m.checker_summary = sb["summary"].get<std::string>();
  m.checker_errors = sb["errors"];
  r["latency"] = m.latency.to_json();
  if (m.card)
    if (json race = race_report(*m.card); !race.is_null()) r.update(race);
  r["timeseries"] = m.series.to_json(cs.monitor_first_arrival_ps, cs.end_ps);
  return r;
}

std::string Host::summary(const json& r) const {
  const Impl& m = *impl_;
  const model::CardStats cs = m.engine->stats();
  const uint64_t entries = r["classifier"].value("entries_used", uint64_t{0});
  std::ostringstream sum;
  sum << "dfcsim: " << m.prof.name << " card, " << m.cls_name << " classifier"
      << (m.card ? "" : ", fast model") << "\n";
  sum << "  DTCP: " << cs.control_packets << " request(s), " << m.replies << " repl"
      << (m.replies == 1 ? "y" : "ies") << ", " << m.notifications << " notification(s)";
  if (m.bad_signatures) sum << ", " << m.bad_signatures << " with a BAD signature";
  sum << "\n  criteria installed: " << m.criteria_added.size();
  size_t shown = 0;
  for (const auto& c : m.criteria_added) {
    if (shown++ == 5) {
      sum << " ...";
      break;
    }
    sum << " [Criteria-ID " << c["criteria_id"].get<std::string>() << "]";
  }
  if (r["classifier"].contains("entries_used"))
    sum << " using " << entries << " classifier entr" << (entries == 1 ? "y" : "ies");
  sum << "\n";
  sum << "  packets in: " << r["packets_in"].get<uint64_t>();
  if (r.contains("packets_matched")) sum << ", matched: " << r["packets_matched"].get<uint64_t>();
  sum << ", copies made: " << r["copies_sent"].get<uint64_t>() << "\n";
  if (r.contains("iss"))
    sum << "  firmware image: " << r["iss"]["instructions"].get<uint64_t>() << " instructions on "
        << r["iss"]["threads"].size() << " hardware threads\n";
  for (const auto& [id, w] : m.writers)
    sum << "    " << id << ": " << m.copies_written.at(id) << " copies -> " << w->path() << "\n";
  sum << "  simulated " << fmt_time_ps(cs.end_ps) << " in " << std::fixed << std::setprecision(3) << m.wall_s
      << " s wall; report: " << (fs::path(m.opt.sim.out_dir) / "report.json").string() << "\n";
  sum << race_summary(r);
  if (!m.checker_summary.empty()) {
    sum << "  scoreboard: " << m.checker_summary << "\n";
    for (const auto& e : m.checker_errors) sum << "    " << e.get<std::string>() << "\n";
  }
  return sum.str();
}

void Host::write_report(const json& report) const {
  std::ofstream(fs::path(impl_->opt.sim.out_dir) / "report.json") << report.dump(2) << "\n";
  std::ofstream(fs::path(impl_->opt.sim.out_dir) / "report.html") << render_report_html(report);
}

}  // namespace dfc::tb
