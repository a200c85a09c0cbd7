#include "host/host.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <queue>
#include <sstream>
#include <stdexcept>

#include "card.hpp"
#include "classifier/classifier_device.hpp"
#include "classifier/classifier_lockstep.hpp"
#include "dfc/config/config.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "report/accounting.hpp"
#include "stimulus/dtcp_agent.hpp"
#include "report/dtcp_pcap.hpp"
#include "common/errors.hpp"
#include "stimulus/pcap_io.hpp"
#include "checker/async_checker.hpp"
#include "checker/scoreboard.hpp"
#include "report/stats.hpp"
#include "report/why.hpp"
#include "restart_event.hpp"
#include "wave_host.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The value of a request's first `name` parameter (lower-case name), or "".
std::string param_of(const std::string& bytes, const std::string& name) {
  std::istringstream is(bytes);
  std::string line;
  std::getline(is, line);  // the request line
  while (std::getline(is, line)) {
    if (trim(line).empty()) break;
    const size_t c = line.find(':');
    if (c == std::string::npos) continue;
    const std::string n = lower(trim(line.substr(0, c)));
    if (n == name) return trim(line.substr(c + 1));
    if (n == "authentication-info") break;
  }
  return "";
}

std::string fmt_time_ps(uint64_t ps) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(6) << double(ps) / 1e6 << " us";
  return o.str();
}

}  // namespace

std::string csource_of(const std::string& request) { return param_of(request, "csource-id"); }

struct Host::Impl {
  config::DfcConfig cfg;
  HostOptions opt;
  model::CardProfile prof;
  Clock::time_point wall0 = Clock::now(), card_wall0;
  double card_wall_s = 0, wall_s = 0;

  // dtcp.log: entries are written in (time, requests first, arrival) order once the
  // simulation has passed their time (the previous ingress arrival: every later emission is at
  // or after it), so only the entries of the last moments are held.
  struct LogEvent {
    uint64_t t_ps;
    int kind;  // 0 request, 1 reply/notification
    uint64_t order;
    std::string text;
    bool operator>(const LogEvent& o) const {
      return t_ps != o.t_ps ? t_ps > o.t_ps : kind != o.kind ? kind > o.kind : order > o.order;
    }
  };
  std::ofstream dlog;
  std::priority_queue<LogEvent, std::vector<LogEvent>, std::greater<LogEvent>> pending_log;
  uint64_t log_order = 0, watermark_ps = 0;
  DtcpPcap dtcp_pcap;                // the same messages as dtcp.log, as UDP/IP packets (run)
  std::unique_ptr<WhyLog> why_log;   // --why: per-packet explanations (why.jsonl)

  void add_dtcp_pcap(uint64_t t, const Packet& p, const std::string& bytes) {
    if (opt.dtcp_pcap)
      dtcp_pcap.add(t, static_cast<int>(log_order), p.src_ip, p.src_port, p.dst_ip, p.dst_port, bytes);
  }

  std::map<std::string, std::unique_ptr<PcapWriter>> writers;
  std::map<std::string, uint64_t> copies_written;
  std::map<std::string, size_t> copy_series;
  std::unique_ptr<CheckerSink> checker;
  std::string checker_summary;
  json checker_errors = json::array();
  TimeSeries series;
  size_t s_offered = 0, s_dropped = 0, s_achieved = 0;
  LatencyStats latency;

  std::map<std::string, std::string> csource_by_endpoint, key_by_endpoint, key_by_csource;
  std::map<std::string, std::string> method_by_seq;  // "ip:port#seq" -> method, until answered
  std::map<std::string, uint64_t> status_counts;
  uint64_t replies = 0, notifications = 0, bad_signatures = 0, monitored = 0;
  json criteria_added = json::array();

  fw::Firmware* fw = nullptr;
  std::unique_ptr<model::Card> card;
  std::string cls_name;
  Clock::time_point last_progress;
  bool progress_shown = false;

  void log(uint64_t t, int kind, std::string text) {
    if (opt.realtime) {
      write_log(text);
      dlog.flush();
      return;
    }
    pending_log.push({t, kind, log_order++, std::move(text)});
  }
  void write_log(const std::string& text) {
    dlog << text << (text.size() >= 2 && text.compare(text.size() - 2, 2, "\n\n") == 0 ? "" : "\n");
  }
  void flush_log_before(uint64_t t) {
    while (!pending_log.empty() && pending_log.top().t_ps < t) {
      write_log(pending_log.top().text);
      pending_log.pop();
    }
  }

  void on_control(const Packet& p, uint64_t t_ps, const std::function<std::string(const Packet&, const std::string&, bool)>& tap);
  void on_copy(const Packet& p, uint64_t t_ps, const std::function<void(const Packet&, uint64_t, uint64_t)>& tap);
  void progress(const Packet& p);
  json report_dtcp_server() const;
  json report_accounting() const;
};

Host::Host(const config::DfcConfig& cfg, HostOptions opt) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.cfg = cfg;
  m.opt = std::move(opt);
  m.prof = model::load_profile(m.opt.profile, m.opt.profile_sets);
  if (m.opt.schedule_seed) m.prof.schedule_seed = *m.opt.schedule_seed;
  fs::create_directories(m.opt.out_dir);
  m.dlog.open(fs::path(m.opt.out_dir) / "dtcp.log", std::ios::binary);
  if (!m.dlog) throw RunFailure(m.opt.out_dir + "/dtcp.log: cannot create file");
  if (!m.opt.why.empty()) m.why_log = std::make_unique<WhyLog>(m.opt.why);
  // One file per destination, named as the firmware labels its copies ("<group>/<id>" when
  // several groups define the id; the file name then uses '_' for '/').
  for (const auto& g : m.cfg.capture_groups)
    for (const auto& cd : g.content_destinations) {
      const std::string label = fw::copy_label(m.cfg, g, cd.id);
      std::string file = label;
      std::replace(file.begin(), file.end(), '/', '_');
      m.writers.emplace(label, std::make_unique<PcapWriter>(
                                   (fs::path(m.opt.out_dir) / ("cdest-" + file + ".pcap")).string(), LinkType::RawIp));
      m.copies_written[label] = 0;
      m.copy_series[label] = m.series.id("copies:" + label);
    }
  for (const auto& g : m.cfg.capture_groups)
    for (const auto& cs : g.control_sources) {
      m.key_by_csource.emplace(cs.id, cs.shared_key);
      for (const auto& nt : cs.notification_targets)
        m.key_by_endpoint.emplace(nt.address + ":" + std::to_string(nt.port), cs.shared_key);
    }
  m.s_offered = m.series.id("offered");
  m.s_achieved = m.series.id("achieved");
  m.s_dropped = m.series.id("dropped");
  m.checker = make_scoreboard_sink(m.opt.config_text);
  // DFC_CHECKER_THREAD=0 keeps it inline (for a debugger, or to measure what the thread buys)
  const char* env = std::getenv("DFC_CHECKER_THREAD");
  if (m.opt.checker_thread && !(env && std::string(env) == "0"))
    m.checker = make_async_checker(std::move(m.checker));
}

Host::~Host() = default;

const model::CardProfile& Host::profile() const { return impl_->prof; }
const config::DfcConfig& Host::config() const { return impl_->cfg; }
const std::string& Host::classifier_name() const { return impl_->cls_name; }
fw::Firmware& Host::firmware() { return *impl_->fw; }
model::Card& Host::card() { return *impl_->card; }
uint64_t Host::monitored_in() const { return impl_->monitored; }

void Host::register_endpoint(const std::string& ip_port, const std::string& csource) {
  impl_->csource_by_endpoint[ip_port] = csource;
  if (auto k = impl_->key_by_csource.find(csource); k != impl_->key_by_csource.end())
    impl_->key_by_endpoint[ip_port] = k->second;
}

void Host::on_ingress(const Packet& p, const std::string& note) {
  Impl& m = *impl_;
  // Entries older than both the last arrival and every running core's time are final.
  if (!m.opt.realtime) m.flush_log_before(m.card ? std::min(m.watermark_ps, m.card->cores_time_floor_ps()) : 0);
  m.watermark_ps = p.t_arrival_ps;
  if (p.unit == Unit::Monitor) {
    ++m.monitored;
    if (m.why_log) m.why_log->on_arrival(p);
    // Not yet to the checker: the card buffers arrivals in its receive ring (milliseconds under
    // overload, more than the online lag), so a packet is reported when the card is done with
    // it -- handled (done sink) or dropped (drop sink) -- with its arrival time.
    m.series.add(m.s_offered, p.t_arrival_ps);
    if ((m.monitored & 0xfff) == 0 && !m.opt.quiet && !m.opt.realtime) m.progress(p);
    return;
  }
  if (is_restart_marker(p)) {  // the checker learns of it from the 599s
    m.log(p.t_arrival_ps, 0, "# " + fmt_time_ps(p.t_arrival_ps) + " card restart (" + m.opt.restart_reason + ")\n");
    return;
  }
  // A request: the control source it speaks for is the Csource-ID it names (as the card sees
  // it), else the one registered for its endpoint.
  const std::string bytes(p.data.begin(), p.data.end());
  const std::string ep = p.src_ip + ":" + std::to_string(p.src_port);
  std::string cs = csource_of(bytes);
  if (!cs.empty() && m.key_by_csource.count(cs) && !m.csource_by_endpoint.count(ep)) register_endpoint(ep, cs);
  if (const auto it = m.csource_by_endpoint.find(ep); cs.empty() && it != m.csource_by_endpoint.end()) cs = it->second;
  m.checker->on_request(p.t_arrival_ps, cs, bytes);
  // Remember (endpoint, Seq) -> method to attribute the reply. First wins: a replayed Seq is
  // dropped by the card, the original gets the reply.
  m.method_by_seq.emplace(ep + "#" + param_of(bytes, "seq"), bytes.substr(0, bytes.find_first_of(" \r\n")));
  m.add_dtcp_pcap(p.t_arrival_ps, p, bytes);
  m.log(p.t_arrival_ps, 0,
        "# " + fmt_time_ps(p.t_arrival_ps) + " " + (cs.empty() ? "?" : cs) + " " + ep + note + " -> card " + p.dst_ip +
            ":" + std::to_string(p.dst_port) + " request\n" + bytes);
}

void Host::Impl::progress(const Packet& p) {
  const auto now = Clock::now();
  if (now - last_progress > std::chrono::seconds(1) && now - card_wall0 > std::chrono::seconds(2)) {
    last_progress = now;
    progress_shown = true;
    std::fprintf(stderr, "\rdfcsim: %llu packets injected, simulated %.3f ms, %.1f s wall   ",
                 static_cast<unsigned long long>(monitored), double(p.t_arrival_ps) / 1e9,
                 std::chrono::duration<double>(now - card_wall0).count());
    std::fflush(stderr);
  }
}

void Host::Impl::on_control(const Packet& p, uint64_t t_ps,
                            const std::function<std::string(const Packet&, const std::string&, bool)>& tap) {
  const std::string bytes(p.data.begin(), p.data.end());
  const std::string ep = p.dst_ip + ":" + std::to_string(p.dst_port);
  auto k = key_by_endpoint.find(ep);
  const auto reply = parse_reply(bytes, k == key_by_endpoint.end() ? std::string() : k->second);
  const bool is_reply = reply && reply->get("seq").has_value();
  const std::string note = tap ? tap(p, bytes, is_reply) : std::string();
  std::ostringstream hdr;
  hdr << "# " << fmt_time_ps(t_ps) << " card " << p.src_ip << ":" << p.src_port << " -> " << ep << note
      << (is_reply ? " reply" : " notification");
  if (reply && !reply->signature_ok) {
    ++bad_signatures;
    hdr << " (SIGNATURE DOES NOT VERIFY)";
  }
  add_dtcp_pcap(t_ps, p, bytes);
  log(t_ps, 1, hdr.str() + "\n" + bytes);
  if (!reply) return;
  // Which control source this is for: the requester's endpoint for replies; for notifications
  // the source whose key verifies among those with this notification target.
  std::string cs_id;
  if (auto a = csource_by_endpoint.find(ep); a != csource_by_endpoint.end()) cs_id = a->second;
  for (const auto& g : cfg.capture_groups)
    for (const auto& c : g.control_sources)
      for (const auto& nt : c.notification_targets)
        if (cs_id.empty() && nt.address + ":" + std::to_string(nt.port) == ep &&
            parse_reply(bytes, c.shared_key)->signature_ok)
          cs_id = c.id;
  if (is_reply)
    checker->on_reply(t_ps, cs_id, bytes);
  else
    checker->on_notification(t_ps, cs_id, bytes);
  ++status_counts[std::to_string(reply->status)];
  if (!is_reply) {
    ++notifications;
    return;
  }
  ++replies;
  // Which request this answers: the replying endpoint is the requester, the Seq its request's.
  const auto mi = method_by_seq.find(ep + "#" + reply->get("seq").value_or(""));
  const std::string method = mi == method_by_seq.end() ? "" : mi->second;
  if (auto cid = reply->get("criteria-id"); cid && reply->status == 200 && method == "ADD")
    criteria_added.push_back({{"criteria_id", *cid}, {"to", ep}});
  if (mi != method_by_seq.end()) method_by_seq.erase(mi);
}

void Host::Impl::on_copy(const Packet& p, uint64_t t_ps, const std::function<void(const Packet&, uint64_t, uint64_t)>& tap) {
  auto w = writers.find(p.cdest_id);
  if (w == writers.end()) return;  // cannot happen: the firmware only copies to configured ids
  w->second->write(p.data.data(), p.data.size(), t_ps);
  const uint64_t n = ++copies_written[p.cdest_id];
  if (why_log) why_log->on_copy(p, t_ps);
  checker->on_copy(p, t_ps);
  series.add(copy_series[p.cdest_id], t_ps);
  latency.add(t_ps >= p.t_arrival_ps ? t_ps - p.t_arrival_ps : 0);
  if (tap) tap(p, t_ps, n);
}

void Host::build(model::IngressSource& src) {
  Impl& m = *impl_;
  // max-duplicates comes from the configuration inside the firmware itself.
  const fw::FirmwareOptions fwo = m.prof.firmware_options();
  // Restart markers (scenario events, serve's SIGHUP) reach the firmware as Firmware::restart().
  auto make_fw = [&m, fwo](Hal& hal) {
    auto f = std::make_unique<fw::Firmware>(m.cfg, hal, fwo);
    m.fw = f.get();
    return std::unique_ptr<fw::FirmwareApp>(std::make_unique<RestartableFirmware>(std::move(f), m.opt.restart_reason));
  };
  model::ClassifierOptions copt =
      classifier_wave_options(m.opt.wave, m.opt.out_dir, m.opt.classifier, m.prof.classifier_hz);
  // A divergence found inside a core's SC_THREAD stops the simulation (no exception there).
  copt.on_divergence = [](const std::string&) { sc_core::sc_stop(); };
  std::unique_ptr<model::ClassifierDevice> dev =
      model::make_classifier(m.opt.classifier, m.prof.classifier_depth, copt);
  m.cls_name = dev->name();
  auto on_copy = [this](const Packet& p, uint64_t t) { impl_->on_copy(p, t, copy_tap); };
  auto on_control = [this](const Packet& p, uint64_t t) { impl_->on_control(p, t, control_tap); };
  m.card = std::make_unique<model::Card>("card", m.prof, std::move(dev), make_fw, src, on_copy, on_control,
                                         m.opt.drain_ps);
  m.card->set_realtime(m.opt.realtime);
  open_card_wave(*m.card, m.opt.wave, m.opt.out_dir);
  m.card->set_drop_sink([&m](const Packet& p, const char* why) {
    if (p.unit != Unit::Monitor) return;
    if (m.why_log) m.why_log->on_ingress_drop(p.id, why);
    m.checker->on_packet(p, 0, 0);
    m.checker->on_packet_dropped(p.id, why);
    m.series.add(m.s_dropped, p.t_arrival_ps);
  });
  m.card->set_copy_drop_sink([&m](const Packet& copy, const char* why) { m.checker->on_copy_dropped(copy, why); });
  m.card->set_done_sink([&m](const Packet& p, uint64_t start, uint64_t done) {
    if (p.unit != Unit::Monitor) return;
    m.checker->on_packet(p, start, done);  // its copies are in already
    m.series.add(m.s_achieved, done);
    if (m.why_log) m.why_log->on_processed(p.id, start, done);
  });
  if (m.why_log) m.fw->set_packet_trace([&m](const fw::PacketTrace& tr) { m.why_log->on_trace(tr); });
}

void Host::run() {
  Impl& m = *impl_;
  m.card_wall0 = m.last_progress = Clock::now();
  sc_core::sc_start();
  // A lockstep divergence stopped the simulation (sc_stop, see build()); the run still reports
  // what it did up to there, and the command turns ClassifierLockstep::first_divergence() into
  // its exit code. Nothing is thrown: after SystemC's coroutine switches, AddressSanitizer
  // misreads any exception unwinding (google/sanitizers#189).
  m.card_wall_s = std::chrono::duration<double>(Clock::now() - m.card_wall0).count();
  if (m.progress_shown) std::fprintf(stderr, "\n");
  flush();
  m.flush_log_before(UINT64_MAX);
  while (!m.pending_log.empty()) m.write_log(m.pending_log.top().text), m.pending_log.pop();
  m.dlog.flush();
  if (m.opt.dtcp_pcap) m.dtcp_pcap.write((fs::path(m.opt.out_dir) / "dtcp.pcap").string());
  if (m.why_log) m.why_log->write((fs::path(m.opt.out_dir) / "why.jsonl").string());
}

void Host::flush() {
  for (auto& [id, w] : impl_->writers) w->flush();
}

json Host::Impl::report_dtcp_server() const {
  // The firmware's own view: control-protocol counters, per control source, per content
  // destination (jnxDfcCSTable / jnxDfcCDTable) and per criterion.
  dtcp::Server& srv = fw->server();
  json r = json::object();
  json sc = json::object();
  srv.counters().visit([&](const char* k, uint64_t v) { sc[k] = v; });
  json css = json::object();
  for (const auto& c : srv.control_source_stats()) {
    json cj = json::object();
    c.counters.visit([&](const char* k, uint64_t v) { cj[k] = v; });
    cj["group"] = c.group;
    cj["dynamic_criteria_active"] = c.dynamic_criteria_active;
    cj["static_criteria_active"] = c.static_criteria_active;
    if (c.has_sequence_number) cj["sequence_number"] = c.sequence_number;
    css[c.id] = cj;
  }
  json cds = json::object();
  for (const auto& d : srv.content_destination_stats()) {
    const config::CaptureGroup* g = nullptr;
    for (const auto& cg : cfg.capture_groups)
      if (cg.name == d.group) g = &cg;
    cds[g ? fw::copy_label(cfg, *g, d.id) : d.id] = {{"criteria", d.criteria}, {"matched_packets", d.matched_packets},
                 {"matched_bytes", d.matched_bytes}, {"congestion_notifications", d.congestion_notifications},
                 {"soft_congested", int(d.soft_congested)}, {"soft_episodes", d.soft_episodes},
                 {"soft_cleared", d.soft_cleared}};
  }
  json crit = json::array();
  for (const auto& c : srv.criteria())
    crit.push_back({{"criteria_id", c.criteria_id}, {"csource", c.csource_id}, {"cdest", c.cdest_id},
                    {"priority", c.priority}, {"static", c.is_static},
                    {"matching_packets", c.matching_packets}, {"matching_bytes", c.matching_bytes},
                    {"classifier_entries", fw->classifier().entries_used(c.rule)}});
  r["dtcp_server"] = sc;
  r["control_sources"] = css;
  r["content_destinations"] = cds;
  r["criteria"] = crit;
  r["criteria_active"] = srv.active_criteria();
  r["restarts"] = srv.restarts();
  return r;
}

json Host::Impl::report_accounting() const {
  const model::CardStats& cs = card->stats();
  const fw::PipelineStats& ps = fw->pipeline_stats();
  AccountingInputs ai;
  ai.packets_in = cs.monitor_offered;
  ai.processed = cs.monitor_packets;
  ai.ingress_drops["ingress_buffer_full"] = cs.ingress_dropped_buffer;
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
  ai.copies_unknown_destination = ps.copies_dropped_unknown_destination;
  for (const auto& [id, n] : ps.copies_per_destination) ai.copies_per_destination_sum += n;
  return accounting_json(ai);
}

json Host::report() {
  Impl& m = *impl_;
  m.wall_s = std::chrono::duration<double>(Clock::now() - m.wall0).count();
  const model::CardStats& cs = m.card->stats();
  const fw::PipelineStats& ps = m.fw->pipeline_stats();
  json r;
  r["scenario"] = {{"name", m.opt.name}, {"config", m.opt.config_name}, {"profile", m.prof.name},
                   {"classifier", m.cls_name}};
  r["packets_in"] = cs.monitor_offered;  // monitored packets that arrived at unit 1
  r["bytes_in"] = ps.bytes_in;
  r["control_requests"] = cs.control_packets;
  json drops;
  drops["ingress_buffer_full"] = cs.ingress_dropped_buffer;
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
  for (const auto& [id, w] : m.writers)
    per_dest[id] = {{"copies", m.copies_written[id]},
                    {"bytes", ps.bytes_per_destination.count(id) ? ps.bytes_per_destination.at(id) : 0},
                    {"pcap", w->path()}};
  r["copies_per_destination"] = per_dest;
  r["flow_table"] = {{"hits", ps.flow_hits}, {"misses", ps.flow_misses}, {"stale", ps.flow_stale},
                     {"evictions", ps.flow_evictions}, {"entries", ps.flow_entries},
                     {"peak_entries", ps.flow_entries_peak}};
  r["classifier"] = {{"implementation", m.cls_name}, {"depth", m.prof.classifier_depth},
                     {"entries_used", m.fw->classifier().entries_used()},
                     {"rules", m.fw->classifier().rules()}, {"lookups", cs.bus_transactions}};
  if (m.opt.classifier == "lockstep")  // the run stopped there (the command exits 1)
    if (auto d = model::ClassifierLockstep::first_divergence()) r["classifier"]["lockstep_divergence"] = *d;
  r["dtcp"] = {{"replies", m.replies}, {"notifications", m.notifications}, {"bad_signatures", m.bad_signatures},
               {"status_counts", m.status_counts}, {"criteria_added", m.criteria_added},
               {"restarts", m.fw->server().restarts()}};
  r.update(m.report_dtcp_server());
  if (m.opt.wave.on()) r["wave"] = wave_report(*m.card, m.opt.wave, m.opt.out_dir);
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
    for (const auto& [k, v] : m.card->utilisation()) u[k] = v;
    r["utilisation"] = u;
    r["bottleneck"] = m.card->bottleneck();
    json pj = json::object();
    for (const auto& [k, v] : m.prof.values()) pj[k] = v;
    r["profile"] = pj;
  }
  r["ingress_buffer_peak"] = cs.ingress_buffer_peak;
  r["timer_events"] = cs.timer_events;
  r["accounting"] = m.report_accounting();
  json ov = overload_json(m.fw->overload());
  r["overload_events"] = ov["events"];
  ov.erase("events");
  r["overload"] = ov;
  m.checker->on_copy_drops({{"copies_max_duplicates", ps.copies_dropped_max_duplicates},
                            {"copies_tx_queue_full", ps.copies_dropped_tx_queue},
                            {"copies_unknown_destination", ps.copies_dropped_unknown_destination}});
  m.checker->on_end(cs.end_ps);
  json sb = m.checker->finish();
  r["scoreboard"] = sb["scoreboard"];
  r["coverage"] = sb["coverage"];
  m.checker_summary = sb["summary"].get<std::string>();
  m.checker_errors = sb["errors"];
  r["latency"] = m.latency.to_json();
  r["timeseries"] = m.series.to_json(cs.monitor_first_arrival_ps, cs.end_ps);
  return r;
}

std::string Host::summary(const json& r) const {
  const Impl& m = *impl_;
  const model::CardStats& cs = m.card->stats();
  const uint64_t entries = m.fw->classifier().entries_used();
  std::ostringstream sum;
  sum << "dfcsim: " << m.prof.name << " card, " << m.cls_name << " classifier\n";
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
  sum << " using " << entries << " classifier entr" << (entries == 1 ? "y" : "ies") << "\n";
  sum << "  packets in: " << r["packets_in"].get<uint64_t>() << ", matched: " << r["packets_matched"].get<uint64_t>()
      << ", copies made: " << r["copies_sent"].get<uint64_t>() << "\n";
  for (const auto& [id, w] : m.writers)
    sum << "    " << id << ": " << m.copies_written.at(id) << " copies -> " << w->path() << "\n";
  sum << "  simulated " << fmt_time_ps(cs.end_ps) << " in " << std::fixed << std::setprecision(3) << m.wall_s
      << " s wall; report: " << (fs::path(m.opt.out_dir) / "report.json").string() << "\n";
  if (!m.checker_summary.empty()) {
    sum << "  scoreboard: " << m.checker_summary << "\n";
    for (const auto& e : m.checker_errors) sum << "    " << e.get<std::string>() << "\n";
  }
  return sum.str();
}

}  // namespace dfc::tb
