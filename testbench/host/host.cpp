#include "host/host.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>

#include "checker/async_checker.hpp"
#include "checker/scoreboard.hpp"
#include "classifier/classifier_device.hpp"
#include "common/errors.hpp"
#include "common/text.hpp"
#include "dfc/fw/firmware.hpp"
#include "host/host_impl.hpp"
#include "restart_event.hpp"
#include "stimulus/dtcp_agent.hpp"
#include "wave_host.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
using common::lower;
using common::trim;

namespace {

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

// The control source a request speaks for: the Csource-ID it names (as the card sees it), else
// the one registered for its endpoint. A configured source named from a new endpoint is
// registered there (its replies go to it). The request and its ingress drop are attributed alike.
template <class HostImpl>
std::string request_csource(Host& host, HostImpl& m, const Packet& p, const std::string& bytes) {
  const std::string ep = p.src_ip + ":" + std::to_string(p.src_port);
  std::string cs = csource_of(bytes);
  if (!cs.empty() && m.key_by_csource.count(cs) && !m.csource_by_endpoint.count(ep)) host.register_endpoint(ep, cs);
  if (const auto it = m.csource_by_endpoint.find(ep); cs.empty() && it != m.csource_by_endpoint.end()) cs = it->second;
  return cs;
}

}  // namespace

std::string fmt_time_ps(uint64_t ps) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(6) << double(ps) / 1e6 << " us";
  return o.str();
}

std::string csource_of(const std::string& request) { return param_of(request, "csource-id"); }

Host::Host(const config::DfcConfig& cfg, HostOptions opt) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.cfg = cfg;
  m.opt = std::move(opt);
  m.prof = model::load_profile(m.opt.sim.profile, m.opt.sim.profile_sets);
  if (m.opt.sim.schedule_seed) m.prof.schedule_seed = *m.opt.sim.schedule_seed;
  if (m.opt.sim.race_check) m.prof.race_check = 1;
  fs::create_directories(m.opt.sim.out_dir);
  m.dlog.open(fs::path(m.opt.sim.out_dir) / "dtcp.log", std::ios::binary);
  if (!m.dlog) throw RunFailure(m.opt.sim.out_dir + "/dtcp.log: cannot create file");
  if (const std::string why = fast_mode_conflict(m.opt.sim); !why.empty()) throw std::invalid_argument(why);
  if (m.opt.sim.model != "timing" && m.opt.sim.model != "fast")
    throw std::invalid_argument("card model '" + m.opt.sim.model + "': use timing or fast");
  if (m.opt.sim.gdb_port >= 0 && m.opt.sim.firmware.empty())
    throw std::runtime_error("--gdb debugs a firmware image: give it with --firmware (e.g. --firmware "
                             "build/bin/dfc_firmware.elf)");
  if (!m.opt.why.empty() && !m.opt.sim.firmware.empty())
    throw std::runtime_error("--why explains packets from the host-compiled firmware's packet trace, which a firmware "
                             "image does not export: run without --firmware to get why.jsonl");
  if (!m.opt.why.empty()) m.why_log = std::make_unique<WhyLog>(m.opt.why);
  // One file per destination, named as the firmware labels its copies ("<group>/<id>" when
  // several groups define the id; the file name then uses '_' for '/').
  for (const auto& g : m.cfg.capture_groups)
    for (const auto& cd : g.content_destinations) {
      const std::string label = fw::copy_label(m.cfg, g, cd.id);
      std::string file = label;
      std::replace(file.begin(), file.end(), '/', '_');
      m.writers.emplace(label, std::make_unique<PcapWriter>(
                                   (fs::path(m.opt.sim.out_dir) / ("cdest-" + file + ".pcap")).string(), LinkType::RawIp));
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
  // Hardware threads run decoupled by up to a quantum (plus the handler that crosses it): a data
  // thread ahead of the control thread can classify a packet on a flow-table entry whose
  // criteria version the control thread changes, later in host order but earlier in simulated
  // time. Two quanta after a reply bound that window (docs/scoreboard.md).
  const uint64_t contexts = uint64_t{std::max(1u, m.prof.cores)} * std::max(1u, m.prof.threads_per_core);
  const auto slack = contexts > 1 ? static_cast<uint64_t>(2 * m.prof.quantum_ns * 1000) : 0;
  // The table's depth is the card's (its profile), like the configuration: the reference judges
  // 550 (table full, per-source share) from its own count of the criteria in force.
  m.checker = make_scoreboard_sink(m.opt.sim.config_text, slack, m.prof.classifier_depth);
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
CardEngine& Host::engine() { return *impl_->engine; }
model::Card& Host::card() {
  if (!impl_->card) throw std::logic_error("the fast card model has no SystemC card (this needs --mode timing)");
  return *impl_->card;
}
uint64_t Host::monitored_in() const { return impl_->monitored; }
uint64_t Host::monitored_bytes_in() const { return impl_->monitored_bytes; }

void Host::register_endpoint(const std::string& ip_port, const std::string& csource) {
  impl_->csource_by_endpoint[ip_port] = csource;
  if (auto k = impl_->key_by_csource.find(csource); k != impl_->key_by_csource.end())
    impl_->key_by_endpoint[ip_port] = k->second;
}

void Host::on_ingress(const Packet& p, const std::string& note) {
  Impl& m = *impl_;
  // Entries older than both the last arrival and every running core's time are final.
  if (!m.opt.realtime) m.flush_log_before(m.engine ? std::min(m.watermark_ps, m.engine->cores_time_floor_ps()) : 0);
  m.watermark_ps = p.t_arrival_ps;
  if (p.unit == Unit::Monitor) {
    ++m.monitored;
    m.monitored_bytes += p.data.size();
    if (m.why_log) m.why_log->on_arrival(p);
    // Not yet to the checker: the card buffers arrivals in its receive ring (milliseconds under
    // overload, more than the online lag), so a packet is reported when the card is done with
    // it -- handled (done sink) or dropped (drop sink) -- with its arrival time.
    m.series.add(m.s_offered, p.t_arrival_ps);
    if ((m.monitored & 0xfff) == 0 && !m.opt.sim.quiet && !m.opt.realtime) m.progress(p);
    return;
  }
  if (is_restart_marker(p)) {  // the checker learns of it from the 599s
    m.log(p.t_arrival_ps, 0, "# " + fmt_time_ps(p.t_arrival_ps) + " card restart (" + m.opt.restart_reason + ")\n");
    return;
  }
  // A request, reported as it arrives: the card may still drop it at admission (drop sink).
  const std::string bytes(p.data.begin(), p.data.end());
  const std::string ep = p.src_ip + ":" + std::to_string(p.src_port);
  const std::string cs = request_csource(*this, m, p, bytes);
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
  const auto now = HostClock::now();
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

// The hooks every card model reports through (the event order of host.hpp), on either card.
template <class HostImpl, class CardT>
void wire_card(Host& host, HostImpl& m, CardT& card) {
  // Batch runs: the card pulls ahead of arrivals; the host observes each at its admission.
  if (!m.opt.realtime) card.set_arrival_sink([&host](const Packet& p) { host.on_ingress(p); });
  card.set_drop_sink([&host, &m](const Packet& p, const char* why) {
    if (p.unit != Unit::Monitor) {
      // A request the firmware never saw: on_ingress reported it as it arrived (before the
      // card admitted it), so the checker takes it back; dtcp.log says so under the request.
      if (is_restart_marker(p)) return;
      const std::string bytes(p.data.begin(), p.data.end());
      const std::string cs = request_csource(host, m, p, bytes);
      m.checker->on_request_dropped(p.t_arrival_ps, cs, bytes, why);
      m.log(p.t_arrival_ps, 0,
            "# " + fmt_time_ps(p.t_arrival_ps) + " " + (cs.empty() ? "?" : cs) + " " + p.src_ip + ":" +
                std::to_string(p.src_port) + " request above dropped by the card at ingress (" + why +
                "): its firmware never saw it\n");
      return;
    }
    if (m.why_log) m.why_log->on_ingress_drop(p.id, why);
    m.checker->on_packet(p, 0, 0);
    m.checker->on_packet_dropped(p.id, why);
    m.series.add(m.s_dropped, p.t_arrival_ps);
  });
  card.set_copy_drop_sink([&m](const Packet& copy, const char* why) {
    // Image mode: the firmware's own drop counters stay inside the image; count what it reports
    // (a full transmit ring) and what the card refuses, as the host firmware counts both.
    if (!m.fw) {
      const std::string w = why;
      ++m.image_drops[w == "tx_ring_full" || w == "egress_queue_full" ? "copies_tx_queue_full" : "copies_" + w];
    }
    if (m.why_log) m.why_log->on_copy_dropped(copy, why);
    m.checker->on_copy_dropped(copy, why);
  });
  card.set_done_sink([&host, &m](const Packet& p, uint64_t start, uint64_t done) {
    if (p.unit == Unit::Control) {
      // When a core took a request: the checker replays it from then (docs/scoreboard.md "Time").
      if (is_restart_marker(p)) return;
      const std::string bytes(p.data.begin(), p.data.end());
      m.checker->on_request_taken(p.t_arrival_ps, request_csource(host, m, p, bytes), bytes, start);
      return;
    }
    if (p.unit != Unit::Monitor) return;
    m.checker->on_packet(p, start, done);  // its copies are in already
    m.series.add(m.s_achieved, done);
    if (m.why_log) m.why_log->on_processed(p.id, start, done);
  });
}

void Host::build(model::IngressSource& src) {
  Impl& m = *impl_;
  const bool fast = m.opt.sim.model == "fast";
  // max-duplicates comes from the configuration inside the firmware itself.
  const fw::FirmwareOptions fwo = m.prof.firmware_options();
  // Restart markers (scenario events, serve's SIGHUP) reach the firmware as Firmware::restart().
  auto make_fw = [&m, fwo](Hal& hal) {
    auto f = std::make_unique<fw::Firmware>(m.cfg, hal, fwo);
    m.fw = f.get();
    return std::unique_ptr<fw::FirmwareApp>(std::make_unique<RestartableFirmware>(std::move(f), m.opt.restart_reason));
  };
  model::ClassifierOptions copt =
      classifier_wave_options(m.opt.sim.wave, m.opt.sim.out_dir, m.opt.sim.classifier, m.prof.classifier_hz);
  // A divergence found inside a core's SC_THREAD stops the simulation (no exception there); the
  // fast card stops its loop.
  copt.on_divergence = [&m](const std::string&) {
    if (m.fast_card)
      m.fast_card->stop();
    else
      sc_core::sc_stop();
  };
  std::unique_ptr<model::ClassifierDevice> dev =
      model::make_classifier(m.opt.sim.classifier, m.prof.classifier_depth, copt);
  m.cls_name = dev->name();
  auto on_copy = [this](const Packet& p, uint64_t t) { impl_->on_copy(p, t, copy_tap); };
  auto on_control = [this](const Packet& p, uint64_t t) { impl_->on_control(p, t, control_tap); };
  if (fast) {
    m.fast_card = std::make_unique<fast::FastCard>(m.prof, std::move(dev), make_fw, src, on_copy, on_control, m.opt.drain_ps);
    m.engine = std::make_unique<CardEngineOf<fast::FastCard>>(*m.fast_card);
    wire_card(*this, m, *m.fast_card);
  } else {
    // --firmware: the image on the card's instruction-set simulators instead of make_fw's firmware.
    std::optional<model::IssImageSpec> image;
    if (!m.opt.sim.firmware.empty())
      image = model::IssImageSpec{m.opt.sim.firmware, m.opt.sim.config_text, m.opt.restart_reason, m.opt.sim.gdb_port};
    m.card = std::make_unique<model::Card>("card", m.prof, std::move(dev), make_fw, src, on_copy, on_control,
                                           m.opt.drain_ps, image ? &*image : nullptr);
    if (image) m.card->set_restart_marker(is_restart_marker);
    m.card->set_realtime(m.opt.realtime);
    m.engine = std::make_unique<CardEngineOf<model::Card>>(*m.card);
    open_card_wave(*m.card, m.opt.sim.wave, m.opt.sim.out_dir);
    wire_card(*this, m, *m.card);
  }
  if (m.why_log) m.fw->set_packet_trace([&m](const fw::PacketTrace& tr) { m.why_log->on_trace(tr); });
}

void Host::run() {
  Impl& m = *impl_;
  m.card_wall0 = m.last_progress = HostClock::now();
  m.engine->run();
  // A lockstep divergence stopped the simulation (sc_stop, see build()); the run still reports
  // what it did up to there, and the command turns ClassifierLockstep::first_divergence() into
  // its exit code. Nothing is thrown: after SystemC's coroutine switches, AddressSanitizer
  // misreads any exception unwinding (google/sanitizers#189).
  m.card_wall_s = std::chrono::duration<double>(HostClock::now() - m.card_wall0).count();
  if (m.progress_shown) std::fprintf(stderr, "\n");
  flush();
  m.flush_log_before(UINT64_MAX);
  while (!m.pending_log.empty()) m.write_log(m.pending_log.top().text), m.pending_log.pop();
  m.dlog.flush();
  if (m.opt.dtcp_pcap) m.dtcp_pcap.write((fs::path(m.opt.sim.out_dir) / "dtcp.pcap").string());
  if (m.why_log) m.why_log->write((fs::path(m.opt.sim.out_dir) / "why.jsonl").string());
}

void Host::flush() {
  for (auto& [id, w] : impl_->writers) w->flush();
}

}  // namespace dfc::tb
