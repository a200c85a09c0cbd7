#include "dfc/tb/harness.hpp"
#include "dfc/tb/errors.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "card.hpp"
#include "classifier/classifier_device.hpp"
#include "dfc/config/config.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/tb/accounting.hpp"
#include "dfc/tb/dtcp_agent.hpp"
#include "dfc/tb/dtcp_pcap.hpp"
#include "classifier_rtl.hpp"
#include "dfc/tb/pcap_io.hpp"
#include "dfc/tb/scoreboard.hpp"
#include "dfc/tb/stats.hpp"
#include "dfc/tb/traffic.hpp"
#include "dfc/tb/why.hpp"
#include "restart_event.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Gap between scripted DTCP requests, and between the last request and the first packet:
// long enough for the card to answer each before the next arrives.
constexpr uint64_t kDtcpSpacingPs = 100'000'000;  // 100 us

std::string csource_of(const std::string& req) {
  std::istringstream is(req);
  std::string line;
  while (std::getline(is, line)) {
    const size_t c = line.find(':');
    if (c == std::string::npos) continue;
    std::string name = line.substr(0, c);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (name == "csource-id") {
      std::string v = line.substr(c + 1);
      const size_t b = v.find_first_not_of(" \t");
      const size_t e = v.find_last_not_of(" \t\r");
      return b == std::string::npos ? "" : v.substr(b, e - b + 1);
    }
  }
  return "";
}

// Merges the scripted control traffic and the monitored traffic into one timeline.
class TimelineSource : public model::IngressSource {
 public:
  TimelineSource(std::vector<Packet> control, std::vector<Packet> traffic, std::unique_ptr<PcapReader> pcap,
                 uint64_t traffic_start_ps, bool pcap_line_rate, uint64_t pcap_cap)
      : control_(std::move(control)), traffic_(std::move(traffic)), pcap_(std::move(pcap)),
        start_(traffic_start_ps), line_rate_(pcap_line_rate), cap_(pcap_cap) {}
  std::function<void(const Packet&)> on_monitored;  // every monitored packet, as it enters
  std::function<void(const Packet&)> on_control;    // every DTCP request, as it enters

  Next next(Packet& out, uint64_t, uint64_t&) override {
    // Merge the control timeline (absolute times) with the monitored traffic by arrival time;
    // at equal times control goes first.
    if (!have_pending_) have_pending_ = pull_monitored(pending_);
    if (ci_ < control_.size() && (!have_pending_ || control_[ci_].t_arrival_ps <= pending_.t_arrival_ps)) {
      out = std::move(control_[ci_++]);
      if (on_control) on_control(out);
      return Next::Packet;
    }
    if (!have_pending_) return Next::End;
    out = std::move(pending_);
    have_pending_ = false;
    if (on_monitored) on_monitored(out);
    return Next::Packet;
  }

 private:
  bool pull_monitored(Packet& out) {
    if (pcap_) {
      uint64_t t = 0;
      if (pcap_seq_ >= cap_ || !pcap_->next(out, t)) return false;
      if (line_rate_) t = 0;  // back to back: the ingress MAC spaces them at its line rate
      if (!have_base_) base_ = t, have_base_ = true;
      out.unit = Unit::Monitor;
      out.id = ++pcap_seq_;
      out.t_arrival_ps = start_ + (t >= base_ ? t - base_ : 0);  // keep the capture's timing
      if (out.t_arrival_ps < last_) out.t_arrival_ps = last_;   // captures can step back
      last_ = out.t_arrival_ps;
      return true;
    }
    if (ti_ < traffic_.size()) {
      out = std::move(traffic_[ti_++]);
      out.unit = Unit::Monitor;
      out.t_arrival_ps += start_;
      return true;
    }
    return false;
  }

  Packet pending_;
  bool have_pending_ = false;
  std::vector<Packet> control_, traffic_;
  std::unique_ptr<PcapReader> pcap_;
  size_t ci_ = 0, ti_ = 0;
  uint64_t start_, base_ = 0, last_ = 0, pcap_seq_ = 0;
  bool have_base_ = false;
  bool line_rate_;
  uint64_t cap_;
};

std::string fmt_time_ps(uint64_t ps) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(6) << double(ps) / 1e6 << " us";
  return o.str();
}

}  // namespace

RunResult run_simulation(const RunOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  const config::DfcConfig cfg = config::parse_config(opt.config_text, opt.config_name);
  model::CardProfile prof = model::load_profile(opt.profile, opt.profile_sets);
  if (opt.schedule_seed) prof.schedule_seed = *opt.schedule_seed;

  fs::create_directories(opt.out_dir);

  // Control sources: one agent per configured source, sending from its first source-address.
  struct AgentInfo {
    std::unique_ptr<DtcpAgent> agent;
    std::string src_ip;
    uint16_t src_port = 0, service_port = 0;
  };
  std::map<std::string, AgentInfo> agents;
  uint16_t next_port = 50000;
  for (const auto& g : cfg.capture_groups)
    for (const auto& cs : g.control_sources) {
      AgentInfo a;
      a.agent = std::make_unique<DtcpAgent>(cs.id, cs.shared_key, 1);
      a.src_ip = cs.source_addresses.empty() ? "127.0.0.1" : cs.source_addresses.front();
      a.src_port = next_port++;
      a.service_port = cs.service_port;
      agents.emplace(cs.id, std::move(a));
    }

  std::ofstream dlog(fs::path(opt.out_dir) / "dtcp.log", std::ios::binary);
  if (!dlog) throw RunFailure(opt.out_dir + "/dtcp.log: cannot create file");

  struct LogEvent {
    uint64_t t_ps;
    int order;
    std::string text;
  };
  std::vector<LogEvent> log;
  int log_order = 0;
  DtcpPcap dtcp_pcap;  // the same messages as dtcp.log, as UDP/IP packets (dtcp.pcap)
  std::map<std::string, std::string> method_by_seq;
  std::vector<Packet> control;
  uint64_t t = 0;
  int req_no = 0;
  // Plan every request in time order: the script before traffic (one every 100 us), then the
  // timed requests and the churn relative to the start of traffic. Seq numbers are assigned
  // in this order, so a source's requests reach the card with increasing Seq.
  struct Planned {
    uint64_t t;
    std::string raw, origin;
    int no;
  };
  std::vector<Planned> plan;
  for (const std::string& raw : opt.dtcp_requests) {
    ++req_no;
    plan.push_back({t, raw, opt.dtcp_name, req_no});
    t += kDtcpSpacingPs;
  }
  const uint64_t traffic_start = t;
  int timed_no = 0;
  for (const auto& tr : opt.timeline) plan.push_back({traffic_start + tr.at_ps, tr.request, "timeline", ++timed_no});
  for (uint64_t at : opt.restarts) plan.push_back({traffic_start + at, "", "restart", ++timed_no});
  if (opt.churn) {
    int churn_no = 0;
    for (const auto& tr : generate_churn(*opt.churn, opt.seed.value_or(1)))
      plan.push_back({traffic_start + tr.at_ps, tr.request, "churn", ++churn_no});
  }
  std::stable_sort(plan.begin(), plan.end(), [](const Planned& x, const Planned& y) { return x.t < y.t; });
  for (const Planned& pl : plan) {
    const std::string& raw = pl.raw;
    const uint64_t at = pl.t;
    if (pl.origin == "restart") {
      Packet p = restart_marker(at);
      log.push_back({at, log_order++, "# " + fmt_time_ps(at) + " card restart (scenario event)\n"});
      control.push_back(std::move(p));
      continue;
    }
    const std::string id = csource_of(raw);
    auto it = agents.find(id);
    // A scripted request that carries its own Seq/Authentication-Info (a forgery test) and names
    // an unknown control source is sent from the first configured source's address and port.
    if (it == agents.end() && !agents.empty() && DtcpAgent::carries_own_auth(raw))
      it = agents.begin();
    if (it == agents.end())
      throw std::runtime_error(pl.origin + ": request " + std::to_string(pl.no) +
                               (id.empty() ? ": no Csource-ID parameter"
                                           : ": Csource-ID '" + id + "' is not a configured control-source") +
                               " (each request is sent from the control source it names)");
    Packet p;
    const std::string bytes = it->second.agent->prepare(raw);
    {
      // Remember (agent endpoint, Seq) -> method to attribute replies; scripted requests
      // carry their own Seq, so it is read back from the bytes actually sent.
      std::istringstream is(bytes);
      std::string first, line, seqv;
      std::getline(is, first);
      while (std::getline(is, line)) {
        if (line.size() > 4 && (line[0] == 'S' || line[0] == 's') && (line.compare(1, 3, "eq:") == 0 || line.compare(1, 3, "EQ:") == 0)) {
          seqv = line.substr(4);
          seqv.erase(0, seqv.find_first_not_of(" \t"));
          seqv.erase(seqv.find_last_not_of(" \t\r") + 1);
          break;
        }
      }
      // First wins: a replayed Seq is dropped by the card, the original gets the reply.
      method_by_seq.emplace(it->second.src_ip + ":" + std::to_string(it->second.src_port) + "#" + seqv,
                            first.substr(0, first.find(' ')));
    }
    p.data.assign(bytes.begin(), bytes.end());
    p.unit = Unit::Control;
    p.link = LinkType::RawIp;
    p.src_ip = it->second.src_ip;
    p.src_port = it->second.src_port;
    p.dst_ip = opt.card_control_address;
    p.dst_port = it->second.service_port;
    p.t_arrival_ps = at;
    p.id = static_cast<uint64_t>(pl.no);
    dtcp_pcap.add(at, log_order, p.src_ip, p.src_port, p.dst_ip, p.dst_port, bytes);
    log.push_back({at, log_order++,
                   "# " + fmt_time_ps(at) + " " + id + " " + p.src_ip + ":" + std::to_string(p.src_port) +
                       " -> card " + p.dst_ip + ":" + std::to_string(p.dst_port) + " request\n" + bytes});
    control.push_back(std::move(p));
  }

  std::unique_ptr<PcapReader> pcap;
  if (!opt.pcap_in.empty()) pcap = std::make_unique<PcapReader>(opt.pcap_in, opt.replay);

  std::vector<Packet> traffic = opt.traffic;
  if (!opt.traffic_spec.empty()) {
    TrafficSpec ts = TrafficSpec::parse(opt.traffic_spec);
    if (opt.seed) ts.seed = *opt.seed;
    if (opt.packets) ts.packets = *opt.packets;
    traffic = generate_traffic(ts);
  }
  TimelineSource source(std::move(control), std::move(traffic), std::move(pcap), traffic_start,
                        opt.pcap_timing == "line-rate", opt.packets.value_or(UINT64_MAX));

  // The scoreboard sees the same ingress order as the card; stats and progress ride along.
  // Its own reader of the configuration text (not the firmware's parser); online: each packet
  // is checked once later arrivals pass it by the lag, and forgotten (docs/scoreboard.md).
  ScoreboardConfig sb_cfg = ScoreboardConfig::parse(opt.config_text);
  const uint64_t sb_lag = 2 * sb_cfg.timeout_window_ps + sb_cfg.install_slack_ps;
  Scoreboard scoreboard(std::move(sb_cfg));
  scoreboard.set_online(sb_lag);
  std::map<std::string, std::string> csource_by_agent_endpoint;
  for (const auto& [id, a] : agents) csource_by_agent_endpoint[a.src_ip + ":" + std::to_string(a.src_port)] = id;
  TimeSeries series;
  LatencyStats latency;
  const auto wall_start = std::chrono::steady_clock::now();
  auto last_progress = wall_start;
  bool progress_shown = false;
  uint64_t monitored_seen = 0;
  source.on_control = [&](const Packet& p) {
    if (is_restart_marker(p)) return;  // the scoreboard learns of it from the 599s
    // The control source a request speaks for is the Csource-ID it names (as the card sees it).
    const std::string bytes(p.data.begin(), p.data.end());
    std::string cs = csource_of(bytes);
    if (const auto it = csource_by_agent_endpoint.find(p.src_ip + ":" + std::to_string(p.src_port));
        cs.empty() && it != csource_by_agent_endpoint.end())
      cs = it->second;
    scoreboard.on_request(p.t_arrival_ps, cs, bytes);
  };
  std::unique_ptr<WhyLog> why_log;  // --why: per-packet explanations (why.jsonl)
  if (!opt.why.empty()) why_log = std::make_unique<WhyLog>(opt.why);
  source.on_monitored = [&](const Packet& p) {
    if (why_log) why_log->on_arrival(p);
    // Not yet to the scoreboard: the card buffers arrivals in its receive ring (milliseconds
    // under overload, more than the online lag), so a packet is reported when the card is
    // done with it -- handled (done sink) or dropped (drop sink) -- with its arrival time.
    series.add("offered", p.t_arrival_ps);
    if ((++monitored_seen & 0xfff) == 0 && !opt.quiet) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::seconds(1) && now - wall_start > std::chrono::seconds(2)) {
        last_progress = now;
        progress_shown = true;
        std::fprintf(stderr, "\rdfcsim: %llu packets injected, simulated %.3f ms, %.1f s wall   ",
                     static_cast<unsigned long long>(monitored_seen), double(p.t_arrival_ps) / 1e9,
                     std::chrono::duration<double>(now - wall_start).count());
        std::fflush(stderr);
      }
    }
  };

  // Outputs.
  std::map<std::string, std::unique_ptr<PcapWriter>> writers;
  // One file per destination, named as the firmware labels its copies ("<group>/<id>" when
  // several groups define the id; the file name then uses '_' for '/').
  for (const auto& g : cfg.capture_groups)
    for (const auto& cd : g.content_destinations) {
      const std::string label = fw::copy_label(cfg, g, cd.id);
      std::string file = label;
      std::replace(file.begin(), file.end(), '/', '_');
      writers.emplace(label, std::make_unique<PcapWriter>((fs::path(opt.out_dir) / ("cdest-" + file + ".pcap")).string(),
                                                          LinkType::RawIp));
    }

  std::map<std::string, uint64_t> status_counts;  // by status code (JSON object keys)
  uint64_t replies = 0, notifications = 0, bad_signatures = 0;
  std::map<std::string, std::string> key_by_endpoint;  // "ip:port" -> key of the receiving source
  for (const auto& [id, a] : agents)
    key_by_endpoint[a.src_ip + ":" + std::to_string(a.src_port)] = a.agent->key();
  for (const auto& g : cfg.capture_groups)
    for (const auto& cs : g.control_sources)
      for (const auto& nt : cs.notification_targets)
        key_by_endpoint.emplace(nt.address + ":" + std::to_string(nt.port), cs.shared_key);
  json criteria_added = json::array();

  auto on_control = [&](const Packet& p, uint64_t t_ps) {
    const std::string bytes(p.data.begin(), p.data.end());
    const std::string ep = p.dst_ip + ":" + std::to_string(p.dst_port);
    auto k = key_by_endpoint.find(ep);
    const auto reply = parse_reply(bytes, k == key_by_endpoint.end() ? std::string() : k->second);
    const bool is_reply = reply && reply->get("seq").has_value();
    std::ostringstream hdr;
    hdr << "# " << fmt_time_ps(t_ps) << " card " << p.src_ip << ":" << p.src_port << " -> " << ep
        << (is_reply ? " reply" : " notification");
    if (reply && !reply->signature_ok) {
      ++bad_signatures;
      hdr << " (SIGNATURE DOES NOT VERIFY)";
    }
    dtcp_pcap.add(t_ps, log_order, p.src_ip, p.src_port, p.dst_ip, p.dst_port, bytes);
    log.push_back({t_ps, log_order++, hdr.str() + "\n" + bytes});
    if (!reply) return;
    // Which control source this is for: the agent's endpoint for replies; for notifications
    // the source whose key verifies among those with this notification target.
    std::string cs_id;
    if (auto a = csource_by_agent_endpoint.find(ep); a != csource_by_agent_endpoint.end()) cs_id = a->second;
    for (const auto& g : cfg.capture_groups)
      for (const auto& c : g.control_sources)
        for (const auto& nt : c.notification_targets)
          if (cs_id.empty() && nt.address + ":" + std::to_string(nt.port) == ep && parse_reply(bytes, c.shared_key)->signature_ok)
            cs_id = c.id;
    if (is_reply)
      scoreboard.on_reply(t_ps, cs_id, bytes);
    else
      scoreboard.on_notification(t_ps, cs_id, bytes);
    ++status_counts[std::to_string(reply->status)];
    if (is_reply) {
      ++replies;
      // Which request this answers: the replying endpoint is the agent, the Seq its request's.
      const auto m = method_by_seq.find(ep + "#" + reply->get("seq").value_or(""));
      const std::string method = m == method_by_seq.end() ? "" : m->second;
      if (auto cid = reply->get("criteria-id"); cid && reply->status == 200 && method == "ADD")
        criteria_added.push_back({{"criteria_id", *cid}, {"to", ep}});
    } else {
      ++notifications;
    }
  };

  std::map<std::string, uint64_t> copies_written;
  auto on_copy = [&](const Packet& p, uint64_t t_ps) {
    auto w = writers.find(p.cdest_id);
    if (w == writers.end()) return;  // cannot happen: the firmware only copies to configured ids
    w->second->write(p.data.data(), p.data.size(), t_ps);
    ++copies_written[p.cdest_id];
    if (why_log) why_log->on_copy(p, t_ps);
    scoreboard.on_copy(p, t_ps);
    series.add("copies:" + p.cdest_id, t_ps);
    latency.add(t_ps >= p.t_arrival_ps ? t_ps - p.t_arrival_ps : 0);
  };


  // max-duplicates comes from the configuration inside the firmware itself.
  const fw::FirmwareOptions fwo = prof.firmware_options();
  fw::Firmware* fw_ptr = nullptr;
  auto make_fw = [&](Hal& hal) {
    auto f = std::make_unique<fw::Firmware>(cfg, hal, fwo);
    fw_ptr = f.get();
    return std::unique_ptr<fw::FirmwareApp>(std::make_unique<RestartableFirmware>(std::move(f), "scenario restart event"));
  };
  std::unique_ptr<model::ClassifierDevice> dev = model::make_classifier(opt.classifier, prof.classifier_depth);
  const std::string cls_name = dev->name();
  if (!opt.trace.empty()) {
    auto* rtl = dynamic_cast<rtl::ClassifierRtl*>(dev.get());
    if (!rtl) throw std::runtime_error("--trace needs the RTL classifier (--classifier rtl)");
    if (!rtl::ClassifierRtl::trace_supported() || opt.trace != rtl::ClassifierRtl::trace_format())
      throw std::runtime_error(std::string("--trace ") + opt.trace + ": this build traces " +
                               rtl::ClassifierRtl::trace_format() + "; reconfigure with -DDFC_RTL_TRACE=" +
                               (opt.trace == "vcd" ? "VCD" : "FST") + " and rebuild");
    const std::string tpath = (fs::path(opt.out_dir) / ("classifier." + opt.trace)).string();
    if (!rtl->open_trace(tpath)) throw std::runtime_error(tpath + ": cannot open the waveform file");
  }
  auto card = std::make_unique<model::Card>("card", prof, std::move(dev), make_fw, source, on_copy, on_control,
                                            opt.drain_ps);
  card->set_drop_sink([&](const Packet& p, const char* why) {
    if (p.unit == Unit::Monitor) {
      if (why_log) why_log->on_ingress_drop(p.id, why);
      scoreboard.on_packet(p);
      scoreboard.on_packet_dropped(p.id, why);
      series.add("dropped", p.t_arrival_ps);
    }
  });
  card->set_copy_drop_sink([&](const Packet& copy, const char* why) { scoreboard.on_copy_dropped(copy, why); });
  card->set_done_sink([&](const Packet& p, uint64_t start, uint64_t done) {
    if (p.unit == Unit::Monitor) scoreboard.on_packet(p);  // its copies are in already
    if (p.unit == Unit::Monitor) series.add("achieved", done);
    if (why_log && p.unit == Unit::Monitor) why_log->on_processed(p.id, start, done);
  });
  if (why_log) fw_ptr->set_packet_trace([&](const fw::PacketTrace& tr) { why_log->on_trace(tr); });
  const auto card_wall0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double card_wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - card_wall0).count();
  if (progress_shown) std::fprintf(stderr, "\n");
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  for (auto& [id, w] : writers) w->flush();

  const model::CardStats& cs = card->stats();
  const fw::PipelineStats& ps = fw_ptr->pipeline_stats();
  std::sort(log.begin(), log.end(), [](const LogEvent& a, const LogEvent& b) {
    return a.t_ps != b.t_ps ? a.t_ps < b.t_ps : a.order < b.order;
  });
  for (const auto& e : log) dlog << e.text << (e.text.size() >= 2 && e.text.substr(e.text.size() - 2) == "\n\n" ? "" : "\n");
  dlog.close();
  dtcp_pcap.write((fs::path(opt.out_dir) / "dtcp.pcap").string());
  if (why_log) why_log->write((fs::path(opt.out_dir) / "why.jsonl").string());

  json r;
  r["scenario"] = {{"config", opt.config_name}, {"profile", prof.name}, {"classifier", cls_name}};
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
  for (const auto& [id, w] : writers)
    per_dest[id] = {{"copies", copies_written[id]},
                    {"bytes", ps.bytes_per_destination.count(id) ? ps.bytes_per_destination.at(id) : 0},
                    {"pcap", w->path()}};
  r["copies_per_destination"] = per_dest;
  r["flow_table"] = {{"hits", ps.flow_hits}, {"misses", ps.flow_misses}, {"stale", ps.flow_stale},
                     {"evictions", ps.flow_evictions}, {"entries", ps.flow_entries},
                     {"peak_entries", ps.flow_entries_peak}};
  r["classifier"] = {{"implementation", cls_name}, {"depth", prof.classifier_depth},
                     {"entries_used", fw_ptr->classifier().entries_used()},
                     {"rules", fw_ptr->classifier().rules()}, {"lookups", cs.bus_transactions}};
  r["dtcp"] = {{"replies", replies}, {"notifications", notifications}, {"bad_signatures", bad_signatures},
               {"status_counts", status_counts}, {"criteria_added", criteria_added}};
  {
    // The firmware's own view: control-protocol counters, per control source, per content
    // destination (jnxDfcCSTable / jnxDfcCDTable) and per criterion.
    dtcp::Server& srv = fw_ptr->server();
    json sc = json::object();
    srv.counters().visit([&](const char* k, uint64_t v) { sc[k] = v; });
    json css = json::object();
    for (const auto& c : srv.control_source_stats()) {
      json cj = json::object();
      c.counters.visit([&](const char* k, uint64_t v) { cj[k] = v; });
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
                      {"classifier_entries", fw_ptr->classifier().entries_used(c.rule)}});
    r["dtcp_server"] = sc;
    r["control_sources"] = css;
    r["content_destinations"] = cds;
    r["criteria"] = crit;
    r["criteria_active"] = srv.active_criteria();
    r["restarts"] = srv.restarts();
  }
  const double sim_s = double(cs.end_ps) / 1e12;
  const double offered_s = double(cs.monitor_last_arrival_ps - cs.monitor_first_arrival_ps) / 1e12;
  const double done_s = double(cs.monitor_last_done_ps - cs.monitor_first_arrival_ps) / 1e12;
  r["simulated_time_s"] = sim_s;
  r["wall_time_s"] = wall_s;
  r["simulated_packets_per_wall_second"] = wall_s > 0 ? double(cs.monitor_offered) / wall_s : 0.0;
  // The card alone (sc_start: model, firmware, classifier, plus the testbench's per-packet
  // hooks), without configuration, traffic generation and the scoreboard's final replay.
  r["card_wall_time_s"] = card_wall_s;
  r["card_packets_per_wall_second"] = card_wall_s > 0 ? double(cs.monitor_offered) / card_wall_s : 0.0;
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
    for (const auto& [k, v] : card->utilisation()) u[k] = v;
    r["utilisation"] = u;
    r["bottleneck"] = card->bottleneck();
    json pj = json::object();
    for (const auto& [k, v] : prof.values()) pj[k] = v;
    r["profile"] = pj;
  }
  r["ingress_buffer_peak"] = cs.ingress_buffer_peak;
  r["timer_events"] = cs.timer_events;
  {
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
    r["accounting"] = accounting_json(ai);
    json ov = overload_json(fw_ptr->overload());
    r["overload_events"] = ov["events"];
    ov.erase("events");
    r["overload"] = ov;
  }


  std::ostringstream sum;
  sum << "dfcsim: " << prof.name << " card, " << cls_name << " classifier\n";
  sum << "  DTCP: " << cs.control_packets << " request(s), " << replies << " repl"
      << (replies == 1 ? "y" : "ies") << ", " << notifications << " notification(s)";
  if (bad_signatures) sum << ", " << bad_signatures << " with a BAD signature";
  sum << "\n  criteria installed: " << criteria_added.size();
  size_t shown = 0;
  for (const auto& c : criteria_added) {
    if (shown++ == 5) {
      sum << " ...";
      break;
    }
    sum << " [Criteria-ID " << c["criteria_id"].get<std::string>() << "]";
  }
  sum << " using " << fw_ptr->classifier().entries_used() << " classifier entr"
      << (fw_ptr->classifier().entries_used() == 1 ? "y" : "ies") << "\n";
  sum << "  packets in: " << r["packets_in"].get<uint64_t>() << ", matched: " << ps.packets_matched
      << ", copies made: " << ps.copies_sent << "\n";
  for (const auto& [id, w] : writers)
    sum << "    " << id << ": " << copies_written[id] << " copies -> " << w->path() << "\n";
  sum << "  simulated " << fmt_time_ps(cs.end_ps) << " in " << std::fixed << std::setprecision(3) << wall_s
      << " s wall; report: " << (fs::path(opt.out_dir) / "report.json").string() << "\n";
  scoreboard.on_copy_drops({{"copies_max_duplicates", ps.copies_dropped_max_duplicates},
                            {"copies_tx_queue_full", ps.copies_dropped_tx_queue},
                            {"copies_unknown_destination", ps.copies_dropped_unknown_destination}});
  const Scoreboard::Result sb = scoreboard.finish();
  r["scoreboard"] = sb.to_json();
  r["coverage"] = sb.coverage;
  r["latency"] = latency.to_json();
  r["timeseries"] = series.to_json(cs.monitor_first_arrival_ps, cs.end_ps);
  r["scenario"]["name"] = opt.name;
  sum << "  scoreboard: " << (sb.pass ? "PASS" : "FAIL") << " (" << sb.matched_copies << " copies checked, "
      << sb.missing_copies << " missing, " << sb.unexpected_copies << " unexpected, " << sb.explained_missing
      << " explained by counted drops)\n";
  for (size_t i = 0; i < sb.errors.size() && i < 5; ++i) sum << "    " << sb.errors[i] << "\n";
  RunResult res{r, sum.str(), check_expectations(opt.expect, r)};
  res.report["expectations"] = res.failures;
  std::ofstream(fs::path(opt.out_dir) / "report.json") << res.report.dump(2) << "\n";
  std::ofstream(fs::path(opt.out_dir) / "report.html") << render_report_html(res.report);
  return res;
}

}  // namespace dfc::tb
