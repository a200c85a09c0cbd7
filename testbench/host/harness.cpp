#include "host/harness.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include "card.hpp"
#include "card_engine.hpp"
#include "dfc/config/config.hpp"
#include "host/host.hpp"
#include "report/replay_summary.hpp"
#include "restart_event.hpp"
#include "stimulus/dtcp_agent.hpp"
#include "stimulus/sources.hpp"
#include "wave_host.hpp"

namespace dfc::tb {
using nlohmann::json;

namespace {

// Gap between scripted DTCP requests, and between the last request and the first packet:
// long enough for the card to answer each before the next arrives.
constexpr uint64_t kDtcpSpacingPs = 100'000'000;  // 100 us

// Merges the scripted control traffic (absolute times, in memory: one entry per request)
// with the monitored traffic (a lazy stream, times relative to traffic start) into one
// timeline; at equal times control goes first. Every packet is reported to the host as it
// enters the card.
class TimelineSource : public model::IngressSource {
 public:
  TimelineSource(Host& /*host: observes arrivals through the card*/, std::vector<Packet> control, std::unique_ptr<MonitoredStream> traffic,
                 uint64_t traffic_start_ps)
      : control_(std::move(control)), traffic_(std::move(traffic)), start_(traffic_start_ps) {}

  Next next(Packet& out, uint64_t, uint64_t&) override {
    if (!have_pending_ && traffic_ && traffic_->next(pending_)) {
      pending_.t_arrival_ps += start_;
      have_pending_ = true;
    }
    if (ci_ < control_.size() && (!have_pending_ || control_[ci_].t_arrival_ps <= pending_.t_arrival_ps)) {
      out = std::move(control_[ci_++]);
    } else if (have_pending_) {
      out = std::move(pending_);
      have_pending_ = false;
    } else {
      return Next::End;
    }
    return Next::Packet;  // the host observes it when the card admits it (Card::set_arrival_sink)
  }

 private:
  std::vector<Packet> control_;
  std::unique_ptr<MonitoredStream> traffic_;
  uint64_t start_;
  Packet pending_;
  bool have_pending_ = false;
  size_t ci_ = 0;
};

// The scripted control traffic as packets, in time order: the script before traffic (one
// request every 100 us), then the timed requests and the churn relative to the start of
// traffic. Seq numbers are assigned in this order, so a source's requests reach the card with
// increasing Seq. Each agent's endpoint is registered with the host.
std::vector<Packet> plan_control(const RunOptions& opt, const config::DfcConfig& cfg, Host& host,
                                 uint64_t& traffic_start) {
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
      host.register_endpoint(a.src_ip + ":" + std::to_string(a.src_port), cs.id);
      agents.emplace(cs.id, std::move(a));
    }
  struct Planned {
    uint64_t t;
    std::string raw, origin;  // origin: where the request was written, for messages
    int no;
  };
  std::vector<Planned> plan;
  uint64_t t = 0;
  for (size_t k = 0; k < opt.dtcp_requests.size(); ++k) {
    const std::string line = k < opt.dtcp_lines.size() ? ":" + std::to_string(opt.dtcp_lines[k]) : "";
    const std::string origin = opt.dtcp_name + line + ": request " + std::to_string(k + 1);
    plan.push_back({t, opt.dtcp_requests[k], origin, static_cast<int>(k + 1)});
    t += kDtcpSpacingPs;
  }
  traffic_start = t;
  int timed_no = 0;
  for (const auto& tr : opt.timeline) {
    ++timed_no;
    const std::string origin = tr.where.empty() ? "timeline: request " + std::to_string(timed_no) : tr.where;
    plan.push_back({traffic_start + tr.at_ps, tr.request, origin, timed_no});
  }
  for (uint64_t at : opt.restarts) plan.push_back({traffic_start + at, "", "restart", ++timed_no});
  if (opt.churn) {
    int churn_no = 0;
    for (const auto& tr : generate_churn(*opt.churn, opt.seed.value_or(1)))
      plan.push_back({traffic_start + tr.at_ps, tr.request, "churn: request " + std::to_string(++churn_no), churn_no});
  }
  std::stable_sort(plan.begin(), plan.end(), [](const Planned& x, const Planned& y) { return x.t < y.t; });
  std::vector<Packet> control;
  control.reserve(plan.size());
  for (const Planned& pl : plan) {
    if (pl.origin == "restart") {  // a card event, not a request: the host logs it
      control.push_back(restart_marker(pl.t));
      continue;
    }
    const std::string id = csource_of(pl.raw);
    auto it = agents.find(id);
    // A scripted request that carries its own Seq/Authentication-Info (a forgery test) and names
    // an unknown control source is sent from the first configured source's address and port.
    if (it == agents.end() && !agents.empty() && DtcpAgent::carries_own_auth(pl.raw)) it = agents.begin();
    if (it == agents.end())
      throw std::runtime_error(pl.origin + (id.empty() ? ": no Csource-ID parameter"
                                           : ": Csource-ID '" + id + "' is not a configured control-source") +
                               " (each request is sent from the control source it names)");
    const std::string bytes = it->second.agent->prepare(pl.raw);
    Packet p;
    p.data.assign(bytes.begin(), bytes.end());
    p.unit = Unit::Control;
    p.link = LinkType::RawIp;
    p.src_ip = it->second.src_ip;
    p.src_port = it->second.src_port;
    p.dst_ip = opt.card_control_address;
    p.dst_port = it->second.service_port;
    p.t_arrival_ps = pl.t;
    p.id = static_cast<uint64_t>(pl.no);
    control.push_back(std::move(p));
  }
  return control;
}

// The monitored traffic of a run: a pcap replay, the generator, or the given packets.
// A pcap replay's asked-for and actual rates (report.json "replay", a summary line before the
// "simulated ..." one).
void add_replay(const RunOptions& opt, Host& host, json& report, std::string& summary) {
  const model::CardStats cs = host.engine().stats();
  ReplayFigures f;
  f.timing = opt.pcap_timing == "line-rate" ? "line-rate"
             : opt.replay.pps > 0           ? "pps"
             : opt.replay.mbps > 0          ? "mbps"
             : opt.replay.multiplier != 1   ? "multiplier"
                                            : "original";
  f.requested_pps = opt.replay.pps, f.requested_mbps = opt.replay.mbps, f.multiplier = opt.replay.multiplier;
  f.packets = host.monitored_in(), f.bytes = host.monitored_bytes_in();
  f.first_arrival_ps = cs.monitor_first_arrival_ps, f.last_arrival_ps = cs.monitor_last_arrival_ps;
  f.ingress_bps = host.profile().ingress_bps;
  report["replay"] = replay_json(f);
  const std::string line = "  " + replay_line(report["replay"]) + "\n";
  const size_t at = summary.find("\n  simulated ");
  summary.insert(at == std::string::npos ? summary.size() : at + 1, line);
}

std::unique_ptr<MonitoredStream> monitored_stream(const RunOptions& opt) {
  TrafficChoice t;
  t.pcap_in = opt.pcap_in;
  t.line_rate = opt.pcap_timing == "line-rate";
  t.replay = opt.replay;
  if (!opt.traffic_spec.empty()) t.spec = opt.traffic_spec;
  t.seed = opt.seed;
  t.packets = opt.packets;
  t.given = &opt.traffic;
  return open_traffic(t);
}

}  // namespace

RunResult run_simulation(const RunOptions& opt) {
  const config::DfcConfig cfg = config::parse_config(opt.sim.config_text, opt.sim.config_name);
  // A capture cut short would otherwise fail inside a SystemC process, mid-run, with partial
  // outputs written: read it once first (a FIFO or device cannot be read twice, so not those).
  std::error_code ec;
  if (!opt.pcap_in.empty() && std::filesystem::is_regular_file(opt.pcap_in, ec))
    check_pcap_file(opt.pcap_in, opt.replay.filter.empty() ? opt.packets.value_or(0) : 0);
  HostOptions ho;
  ho.sim = opt.sim;
  ho.drain_ps = opt.drain_ps;
  ho.name = opt.name;
  ho.why = opt.why;
  ho.dtcp_pcap = true;
  ho.restart_reason = "scenario restart event";
  Host host(cfg, ho);

  uint64_t traffic_start = 0;
  std::vector<Packet> control = plan_control(opt, cfg, host, traffic_start);
  TimelineSource source(host, std::move(control), monitored_stream(opt), traffic_start);
  host.build(source);
  host.run();

  json report = host.report();
  report["mode"] = "run";
  // Over time (wave_host.hpp); the DTCP exchange from the run's own dtcp.pcap.
  DtcpTimeline dtcp;
  dtcp.read_pcap((std::filesystem::path(opt.sim.out_dir) / "dtcp.pcap").string());
  // The usage timeline is the timing card's sampler (a SystemC process): the fast card has none.
  if (host.engine().timing()) report["timeline"] = card_timeline(host.card(), report, &dtcp);
  std::string summary = host.summary(report);
  if (!opt.pcap_in.empty()) add_replay(opt, host, report, summary);
  RunResult res{report, summary, check_expectations(opt.expect, report)};
  if (report.contains("races") && !report["races"].empty())
    res.failures.push_back("race checker: " + std::to_string(report["race_check"]["racing_accesses"].get<uint64_t>()) +
                           " racing access(es), " + std::to_string(report["races"].size()) +
                           " distinct race(s) (report.json races)");
  res.report["expectations"] = res.failures;
  host.write_report(res.report);
  return res;
}

}  // namespace dfc::tb
