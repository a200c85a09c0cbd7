#include "dfc/tb/serve.hpp"
#include "dfc/tb/errors.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "card.hpp"
#include "classifier/classifier_device.hpp"
#include "dfc/config/config.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/tb/pcap_io.hpp"
#include "dfc/tb/traffic.hpp"
#include "restart_event.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::ip::udp;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxBlockPs = 50'000'000'000ull;  // 50 ms: the longest one blocking wait
constexpr uint64_t kFlushEveryPs = 500'000'000'000ull;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The Csource-ID parameter of a request (first occurrence), or "". Only used to pick the
// presented source address; the firmware does its own parsing.
std::string csource_of(const std::string& bytes) {
  std::istringstream is(bytes);
  std::string line;
  bool first = true;
  while (std::getline(is, line)) {
    if (first) {
      first = false;
      continue;
    }
    if (trim(line).empty()) break;
    const size_t c = line.find(':');
    if (c == std::string::npos) continue;
    const std::string name = lower(trim(line.substr(0, c)));
    if (name == "authentication-info") break;
    if (name == "csource-id") return trim(line.substr(c + 1));
  }
  return "";
}

// First line + the interesting parameters of a control datagram, for the summary counters.
struct Brief {
  bool status_line = false;
  int status = 0;
  bool has_seq = false;
  std::string criteria_id;
};
Brief brief_of(const std::string& bytes) {
  Brief b;
  std::istringstream is(bytes);
  std::string line;
  if (!std::getline(is, line)) return b;
  line = trim(line);
  if (line.rfind("DTCP/", 0) == 0) {
    const size_t sp = line.find(' ');
    if (sp != std::string::npos && line.size() >= sp + 4) {
      b.status_line = true;
      b.status = std::atoi(line.substr(sp + 1, 3).c_str());
    }
  }
  while (std::getline(is, line)) {
    if (trim(line).empty()) break;
    const size_t c = line.find(':');
    if (c == std::string::npos) continue;
    const std::string name = lower(trim(line.substr(0, c)));
    if (name == "seq") b.has_seq = true;
    if (name == "criteria-id" && b.criteria_id.empty()) b.criteria_id = trim(line.substr(c + 1));
  }
  return b;
}

std::string fmt_s(uint64_t ps) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(6) << double(ps) / 1e12 << " s";
  return o.str();
}

// The live ingress: UDP sockets for unit 0, a traffic timeline (or a pcap) for unit 1, both
// against the wall clock.
class LiveSource : public model::IngressSource {
 public:
  struct Port {
    explicit Port(asio::io_context& io) : sock(io) {}
    uint16_t port = 0;
    udp::socket sock;
    udp::endpoint from;
    std::array<char, 65536> buf{};
    std::vector<const config::ControlSource*> sources;
    uint64_t datagrams = 0;
  };
  struct Counters {
    uint64_t datagrams_in = 0, mapped_loopback = 0, replies_out = 0, notifications_out = 0, send_errors = 0,
             unroutable = 0, copies_out = 0, copy_send_errors = 0;
  };
  using LogFn = std::function<void(const std::string&)>;

  LiveSource(const config::DfcConfig& cfg, const ServeOptions& opt, LogFn log)
      : signals_(io_, SIGINT, SIGTERM), hup_(io_, SIGHUP), opt_(opt), log_(std::move(log)) {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (!ec) stop_reason_ = sig == SIGINT ? "SIGINT" : "SIGTERM", stop_ = true;
    });
    arm_hup();
    boost::system::error_code ec;
    const auto laddr = asio::ip::make_address(opt.listen, ec);
    if (ec) throw std::runtime_error("--listen: '" + opt.listen + "' is not an IP address");
    control_addr_ = !opt.card_control_address.empty() ? opt.card_control_address
                    : laddr.is_unspecified()          ? std::string("192.0.2.1")
                                                      : laddr.to_string();
    if (!opt.notify_to.empty()) {
      asio::ip::make_address(opt.notify_to, ec);
      if (ec) throw std::runtime_error("--notify-to: '" + opt.notify_to + "' is not an IP address");
    }
    if (!opt.copies_to.empty()) {
      const size_t c = opt.copies_to.rfind(':');
      const std::string host = c == std::string::npos ? opt.copies_to : opt.copies_to.substr(0, c);
      const std::string port = c == std::string::npos ? "30030" : opt.copies_to.substr(c + 1);
      const auto a = asio::ip::make_address(host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host, ec);
      if (ec || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(port) == 0 || std::stoul(port) > 65535)
        throw std::runtime_error("--copies-to: expected ADDR[:PORT], got '" + opt.copies_to + "'");
      copies_to_ = udp::endpoint(a, static_cast<unsigned short>(std::stoul(port)));
      copy_sock_ = std::make_unique<udp::socket>(io_);
      copy_sock_->open(a.is_v6() ? udp::v6() : udp::v4(), ec);
      if (ec) throw RunFailure("--copies-to: cannot open a UDP socket: " + ec.message());
    }
    std::map<uint16_t, Port*> by_port;
    for (const auto& g : cfg.capture_groups)
      for (const auto& cs : g.control_sources) {
        Port*& p = by_port[cs.service_port];
        if (!p) {
          ports_.push_back(std::make_unique<Port>(io_));
          p = ports_.back().get();
          p->port = cs.service_port;
          p->sock.open(laddr.is_v6() ? udp::v6() : udp::v4(), ec);
          if (!ec) p->sock.bind(udp::endpoint(laddr, cs.service_port), ec);
          if (ec)
            throw RunFailure("cannot bind UDP " + opt.listen + ":" + std::to_string(cs.service_port) +
                                     " (service-port of control source " + cs.id + "): " + ec.message());
        }
        p->sources.push_back(&cs);
      }
    if (ports_.empty()) throw std::runtime_error("the configuration has no control-source: nothing to serve");
    for (auto& p : ports_) arm(*p);
    if (opt.duration_s > 0) end_ps_ = static_cast<uint64_t>(opt.duration_s * 1e12);
    t0_ = std::chrono::steady_clock::now();
  }

  void set_traffic(std::vector<Packet> gen, std::unique_ptr<PcapReader> pcap, uint64_t start_ps) {
    gen_ = std::move(gen);
    pcap_ = std::move(pcap);
    traffic_start_ps_ = start_ps;
  }
  void set_periodic(std::function<void()> f) { periodic_ = std::move(f); }

  const std::vector<std::unique_ptr<Port>>& ports() const { return ports_; }
  const Counters& counters() const { return c_; }
  const std::string& stop_reason() const { return stop_reason_; }
  const std::string& control_address() const { return control_addr_; }
  uint64_t traffic_packets() const { return traffic_out_; }

  uint64_t wall_ps() const {
    return static_cast<uint64_t>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0_).count()) *
           1000;
  }

  Next next(Packet& out, uint64_t next_timer_ps, uint64_t& idle_until_ps) override {
    for (;;) {
      io_.restart();
      io_.poll();
      uint64_t now = wall_ps();
      if (periodic_ && now >= next_periodic_) periodic_(), next_periodic_ = now + kFlushEveryPs;
      if (!stop_ && end_ps_ && now >= end_ps_) stop_ = true, stop_reason_ = "duration";
      if (stop_) return Next::End;
      if (!pending_.empty()) {
        out = std::move(pending_.front());
        pending_.pop_front();
        out.t_arrival_ps = last_ = std::max(last_, std::min(out.t_arrival_ps, now));
        return Next::Packet;
      }
      const Packet* t = peek_traffic();
      if (t && t->t_arrival_ps <= now) {
        out = take_traffic();
        out.t_arrival_ps = last_ = std::max(last_, out.t_arrival_ps);
        ++traffic_out_;
        return Next::Packet;
      }
      uint64_t deadline = now + kMaxBlockPs;
      if (t) deadline = std::min(deadline, t->t_arrival_ps);
      if (next_timer_ps != UINT64_MAX) deadline = std::min(deadline, next_timer_ps);
      if (end_ps_) deadline = std::min(deadline, end_ps_);
      if (deadline > now) {
        io_.restart();
        io_.run_one_for(std::chrono::nanoseconds((deadline - now) / 1000));
        now = wall_ps();
      }
      if (pending_.empty() && !stop_) {
        idle_until_ps = last_ = std::max(last_, now);
        return Next::Idle;
      }
    }
  }

  // A packet the card sends on unit 0: a reply (back to the real requester) or a notification.
  void send(const Packet& p, const std::string& bytes, bool is_reply) {
    last_sent_to_.clear();
    Port* from = ports_.front().get();
    for (auto& q : ports_)
      if (q->port == p.src_port) from = q.get();
    udp::endpoint to;
    auto r = routes_.find(p.dst_ip + ":" + std::to_string(p.dst_port));
    boost::system::error_code ec;
    if (r != routes_.end()) {
      to = r->second;
    } else {
      const auto a = asio::ip::make_address(opt_.notify_to.empty() ? p.dst_ip : opt_.notify_to, ec);
      if (ec) {
        ++c_.unroutable;
        return;
      }
      to = udp::endpoint(a, p.dst_port);
    }
    if (to.address().is_v4() != from->sock.local_endpoint().address().is_v4()) {
      ++c_.unroutable;
      return;
    }
    from->sock.send_to(asio::buffer(bytes), to, 0, ec);
    if (ec) {
      ++c_.send_errors;
      if (log_) log_("# send to " + to.address().to_string() + ":" + std::to_string(to.port()) + " failed: " + ec.message() + "\n");
      return;
    }
    ++(is_reply ? c_.replies_out : c_.notifications_out);
    last_sent_to_ = to.address().to_string() + ":" + std::to_string(to.port());
  }
  const std::string& last_sent_to() const { return last_sent_to_; }

  // A copy live as a jmirror datagram (see serve.hpp). No-op without copies_to.
  void send_copy(const Packet& p, uint32_t mirror_id, uint32_t session_id) {
    if (!copy_sock_ || p.data.size() < 20) return;
    const size_t outer = static_cast<size_t>(p.data[0] & 0x0f) * 4;  // the IP-IP header
    if (outer < 20 || outer > p.data.size()) return;
    std::vector<uint8_t> d(8 + p.data.size() - outer);
    for (int i = 0; i < 4; ++i) {
      d[static_cast<size_t>(i)] = static_cast<uint8_t>(mirror_id >> (24 - 8 * i));
      d[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(session_id >> (24 - 8 * i));
    }
    std::copy(p.data.begin() + static_cast<std::ptrdiff_t>(outer), p.data.end(), d.begin() + 8);
    boost::system::error_code ec;
    copy_sock_->send_to(asio::buffer(d), copies_to_, 0, ec);
    ++(ec ? c_.copy_send_errors : c_.copies_out);
  }

 private:
  void arm(Port& p) {
    p.sock.async_receive_from(asio::buffer(p.buf), p.from, [this, &p](const boost::system::error_code& ec, size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) on_datagram(p, n);
      arm(p);
    });
  }

  void on_datagram(Port& p, size_t n) {
    ++c_.datagrams_in;
    ++p.datagrams;
    const std::string bytes(p.buf.data(), n);
    const auto sender = p.from.address();
    std::string src = sender.to_string();
    if (sender.is_loopback()) {
      const std::string id = csource_of(bytes);
      const config::ControlSource* cs = nullptr;
      for (auto* s : p.sources)
        if (s->id == id) cs = s;
      if (!cs) cs = p.sources.front();
      const auto& sa = cs->source_addresses;
      if (!sa.empty() && std::find(sa.begin(), sa.end(), src) == sa.end()) {
        src = sa.front();
        ++c_.mapped_loopback;
      }
    }
    Packet pk;
    pk.unit = Unit::Control;
    pk.link = LinkType::RawIp;
    pk.data.assign(bytes.begin(), bytes.end());
    pk.src_ip = src;
    pk.src_port = p.from.port();
    pk.dst_ip = control_addr_;
    pk.dst_port = p.port;
    pk.id = ++control_seq_;
    pk.t_arrival_ps = wall_ps();
    routes_[src + ":" + std::to_string(pk.src_port)] = p.from;
    if (log_) {
      std::ostringstream h;
      h << "# " << fmt_s(pk.t_arrival_ps) << " " << sender.to_string() << ":" << p.from.port();
      if (src != sender.to_string()) h << " (presented as " << src << ":" << pk.src_port << ")";
      h << " -> card " << control_addr_ << ":" << p.port << " request\n";
      log_(h.str() + bytes);
    }
    pending_.push_back(std::move(pk));
  }

  const Packet* peek_traffic() {
    if (gi_ < gen_.size()) {
      if (!gen_adjusted_) {
        gen_[gi_].t_arrival_ps += traffic_start_ps_;
        gen_adjusted_ = true;
      }
      return &gen_[gi_];
    }
    if (pcap_ && !have_peek_) {
      uint64_t t = 0;
      if (pcap_->next(peek_, t)) {
        if (!have_base_) base_ = t, have_base_ = true;
        peek_.unit = Unit::Monitor;
        peek_.id = ++pcap_seq_;
        peek_.t_arrival_ps = traffic_start_ps_ + (t >= base_ ? t - base_ : 0);
        have_peek_ = true;
      } else {
        pcap_.reset();
      }
    }
    return have_peek_ ? &peek_ : nullptr;
  }
  Packet take_traffic() {
    if (gi_ < gen_.size()) {
      Packet p = std::move(gen_[gi_++]);
      p.unit = Unit::Monitor;
      gen_adjusted_ = false;
      return p;
    }
    have_peek_ = false;
    return std::move(peek_);
  }

  asio::io_context io_;
  asio::signal_set signals_;
  asio::signal_set hup_;  // SIGHUP: restart the card (every criterion lost, 599 to every target)
  void arm_hup() {
    hup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (log_) log_("# SIGHUP: card restart\n");
      pending_.push_back(restart_marker(wall_ps()));
      arm_hup();
    });
  }

  const ServeOptions& opt_;
  LogFn log_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::deque<Packet> pending_;
  std::map<std::string, udp::endpoint> routes_;  // presented "ip:port" -> real sender
  std::unique_ptr<udp::socket> copy_sock_;
  udp::endpoint copies_to_;
  std::string control_addr_, stop_reason_ = "", last_sent_to_;
  bool stop_ = false;
  uint64_t end_ps_ = 0, last_ = 0, control_seq_ = 0, next_periodic_ = 0;
  std::chrono::steady_clock::time_point t0_;
  std::function<void()> periodic_;
  Counters c_;
  // traffic
  std::vector<Packet> gen_;
  size_t gi_ = 0;
  bool gen_adjusted_ = false;
  std::unique_ptr<PcapReader> pcap_;
  Packet peek_;
  bool have_peek_ = false, have_base_ = false;
  uint64_t base_ = 0, pcap_seq_ = 0, traffic_start_ps_ = 0, traffic_out_ = 0;
};

}  // namespace

std::string serve_traffic_spec(const std::string& spec) {
  // Pull out pps=N; everything else is TrafficSpec::parse syntax.
  std::string rest, pps;
  std::istringstream is(spec);
  std::string kv;
  while (std::getline(is, kv, ',')) {
    const std::string t = trim(kv);
    if (t.rfind("pps=", 0) == 0)
      pps = t.substr(4);
    else if (!t.empty())
      rest += (rest.empty() ? "" : ",") + t;
  }
  if (pps.empty()) return rest;
  double n = 0;
  try {
    size_t used = 0;
    n = std::stod(pps, &used);
    if (used != pps.size()) throw std::invalid_argument("");
  } catch (...) {
    throw std::invalid_argument("traffic spec: pps: '" + pps + "' is not a number");
  }
  const TrafficSpec ts = TrafficSpec::parse(rest);
  const double bits = (SizeModel(ts.size).mean() + 20.0) * 8.0;
  const double load = n * bits / ts.rate_bps;
  if (!(n > 0) || load > 1.0) throw std::invalid_argument("traffic spec: pps=" + pps + " is not in (0, line rate]");
  std::ostringstream o;
  o << std::setprecision(17) << load;
  return rest + (rest.empty() ? "" : ",") + "load=" + o.str();
}

json serve(const ServeOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  const config::DfcConfig cfg = config::parse_config(opt.config_text, opt.config_name);
  model::CardProfile prof = model::profile_by_name(opt.profile);
  fs::create_directories(opt.out_dir);

  std::ofstream dlog(fs::path(opt.out_dir) / "dtcp.log", std::ios::binary);
  if (!dlog) throw RunFailure(opt.out_dir + "/dtcp.log: cannot create file");
  auto log = [&](const std::string& text) {
    dlog << text << (text.size() >= 2 && text.compare(text.size() - 2, 2, "\n\n") == 0 ? "" : "\n");
    dlog.flush();
  };

  LiveSource source(cfg, opt, log);

  std::vector<Packet> gen;
  std::unique_ptr<PcapReader> pcap;
  if (!opt.traffic_spec.empty() && !opt.pcap_in.empty())
    throw std::runtime_error("--traffic and --pcap-in are exclusive");
  if (!opt.traffic_spec.empty()) gen = generate_traffic(TrafficSpec::parse(serve_traffic_spec(opt.traffic_spec)));
  if (!opt.pcap_in.empty()) pcap = std::make_unique<PcapReader>(opt.pcap_in, opt.replay);
  source.set_traffic(std::move(gen), std::move(pcap), static_cast<uint64_t>(opt.traffic_start_s * 1e12));

  std::map<std::string, std::unique_ptr<PcapWriter>> writers;
  for (const auto& g : cfg.capture_groups)
    for (const auto& cd : g.content_destinations)
      writers.emplace(cd.id, std::make_unique<PcapWriter>(
                                 (fs::path(opt.out_dir) / ("cdest-" + cd.id + ".pcap")).string(), LinkType::RawIp));
  source.set_periodic([&] {
    for (auto& [id, w] : writers) w->flush();
  });

  std::map<int, uint64_t> status_counts;
  uint64_t replies = 0, notifications = 0;
  json criteria_added = json::array();
  auto on_control = [&](const Packet& p, uint64_t t_ps) {
    const std::string bytes(p.data.begin(), p.data.end());
    const Brief b = brief_of(bytes);
    const bool is_reply = b.status_line && b.has_seq;
    source.send(p, bytes, is_reply);
    if (b.status_line) {
      ++status_counts[b.status];
      ++(is_reply ? replies : notifications);
      if (is_reply && b.status == 200 && !b.criteria_id.empty() && bytes.find("Criteria-Num") == std::string::npos)
        criteria_added.push_back({{"criteria_id", b.criteria_id}, {"to", p.dst_ip + ":" + std::to_string(p.dst_port)}});
    }
    log("# " + fmt_s(t_ps) + " card " + p.src_ip + ":" + std::to_string(p.src_port) + " -> " + p.dst_ip + ":" +
        std::to_string(p.dst_port) + (source.last_sent_to().empty() ? "" : " (sent to " + source.last_sent_to() + ")") +
        (is_reply ? " reply" : " notification") + "\n" + bytes);
  };
  std::map<std::string, uint64_t> copies_written;
  std::map<std::string, uint32_t> mirror_id;  // 1-based position of the destination in the configuration
  for (const auto& g : cfg.capture_groups)
    for (const auto& cd : g.content_destinations) mirror_id.emplace(cd.id, static_cast<uint32_t>(mirror_id.size() + 1));
  auto on_copy = [&](const Packet& p, uint64_t t_ps) {
    auto w = writers.find(p.cdest_id);
    if (w == writers.end()) return;
    w->second->write(p.data.data(), p.data.size(), t_ps);
    const uint64_t n = ++copies_written[p.cdest_id];
    source.send_copy(p, mirror_id[p.cdest_id], static_cast<uint32_t>(n));
  };

  // max-duplicates comes from the configuration inside the firmware itself.
  const fw::FirmwareOptions fwo = prof.firmware_options();
  fw::Firmware* fw_ptr = nullptr;
  auto make_fw = [&](Hal& hal) {
    auto f = std::make_unique<fw::Firmware>(cfg, hal, fwo);
    fw_ptr = f.get();
    return std::unique_ptr<fw::FirmwareApp>(std::make_unique<RestartableFirmware>(std::move(f), "SIGHUP"));
  };
  std::unique_ptr<model::ClassifierDevice> dev = model::make_classifier(opt.classifier, prof.classifier_depth);
  const std::string cls_name = dev->name();
  auto card = std::make_unique<model::Card>("card", prof, std::move(dev), make_fw, source, on_copy, on_control,
                                            /*drain_ps=*/0);
  card->set_realtime(true);

  if (!opt.quiet) {
    std::cout << "dfcsim serve: " << prof.name << " card, " << cls_name << " classifier, real time\n";
    for (const auto& p : source.ports()) {
      std::cout << "  DTCP on udp " << opt.listen << ":" << p->port << " for";
      for (auto* cs : p->sources)
        std::cout << " " << cs->id
                  << (cs->source_addresses.empty() ? "" : " (loopback presented as " + cs->source_addresses.front() + ")");
      std::cout << "\n";
    }
    for (const auto& g : cfg.capture_groups)
      for (const auto& cs : g.control_sources)
        for (const auto& nt : cs.notification_targets)
          std::cout << "  notifications of " << cs.id << " -> udp "
                    << (opt.notify_to.empty() ? nt.address : opt.notify_to) << ":" << nt.port << "\n";
    if (!opt.copies_to.empty()) std::cout << "  copies also live -> udp " << opt.copies_to << " (jmirror)\n";
    std::cout << "  copies -> " << opt.out_dir << "/cdest-<id>.pcap; stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP restarts the card\n";
  }
  std::cout << "dfcsim serve: ready" << std::endl;

  sc_core::sc_start();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  for (auto& [id, w] : writers) w->flush();
  dlog.close();

  const model::CardStats& cs = card->stats();
  const fw::PipelineStats& ps = fw_ptr->pipeline_stats();
  const dtcp::Server& srv = fw_ptr->server();

  json r;
  r["mode"] = "serve";
  r["scenario"] = {{"config", opt.config_name}, {"profile", prof.name}, {"classifier", cls_name}};
  r["stopped_by"] = source.stop_reason();
  r["packets_in"] = cs.monitor_packets + cs.ingress_dropped_buffer;
  r["bytes_in"] = ps.bytes_in;
  r["control_requests"] = cs.control_packets;
  json drops;
  drops["ingress_buffer_full"] = cs.ingress_dropped_buffer;
  for (const auto& [why, n] : ps.not_intercepted) drops["not_intercepted_" + why] = n;
  drops["copies_max_duplicates"] = ps.copies_dropped_max_duplicates;
  drops["copies_tx_queue_full"] = ps.copies_dropped_tx_queue + cs.egress_dropped_queue;
  r["drops"] = drops;
  r["packets_matched"] = ps.packets_matched;
  r["packets_unmatched"] = ps.packets_unmatched;
  r["copies_sent"] = ps.copies_sent;
  json per_dest = json::object();
  for (const auto& [id, w] : writers)
    per_dest[id] = {{"copies", copies_written[id]},
                    {"bytes", ps.bytes_per_destination.count(id) ? ps.bytes_per_destination.at(id) : 0},
                    {"pcap", w->path()}};
  r["copies_per_destination"] = per_dest;
  r["classifier"] = {{"implementation", cls_name}, {"depth", prof.classifier_depth},
                     {"entries_used", fw_ptr->classifier().entries_used()}, {"rules", fw_ptr->classifier().rules()}};
  r["dtcp"] = {{"replies", replies}, {"notifications", notifications}, {"status_counts", status_counts},
               {"criteria_added", criteria_added}, {"criteria_active", srv.active_criteria()}, {"restarts", srv.restarts()}};
  json sc = json::object();
  srv.counters().visit([&](const char* n, uint64_t v) { sc[n] = v; });
  r["dtcp_server"] = sc;
  json css = json::array();
  for (const auto& s : srv.control_source_stats()) {
    json j = {{"group", s.group}, {"id", s.id}, {"dynamic_criteria_active", s.dynamic_criteria_active},
              {"static_criteria_active", s.static_criteria_active}};
    if (s.has_sequence_number) j["sequence_number"] = s.sequence_number;
    s.counters.visit([&](const char* n, uint64_t v) { j[n] = v; });
    css.push_back(j);
  }
  r["control_sources"] = css;
  const auto& lc = source.counters();
  json ports = json::array();
  for (const auto& p : source.ports()) {
    json ids = json::array();
    for (auto* c : p->sources) ids.push_back(c->id);
    ports.push_back({{"port", p->port}, {"control_sources", ids}, {"datagrams", p->datagrams}});
  }
  r["serve"] = {{"listen", opt.listen}, {"card_control_address", source.control_address()}, {"ports", ports},
                {"datagrams_in", lc.datagrams_in}, {"presented_from_loopback", lc.mapped_loopback},
                {"replies_sent", lc.replies_out}, {"notifications_sent", lc.notifications_out},
                {"send_errors", lc.send_errors}, {"unroutable", lc.unroutable},
                {"copies_to", opt.copies_to}, {"jmirror_copies_sent", lc.copies_out},
                {"jmirror_send_errors", lc.copy_send_errors},
                {"traffic_packets", source.traffic_packets()}};
  r["realtime"] = {{"late_events", cs.realtime_late_events}, {"max_lag_s", double(cs.realtime_max_lag_ps) / 1e12}};
  r["simulated_time_s"] = double(cs.end_ps) / 1e12;
  r["wall_time_s"] = wall_s;
  r["timer_events"] = cs.timer_events;
  std::ofstream(fs::path(opt.out_dir) / "report.json") << r.dump(2) << "\n";

  if (!opt.quiet) {
    std::cout << "dfcsim serve: stopped (" << source.stop_reason() << ") after " << std::fixed << std::setprecision(3)
              << wall_s << " s: " << lc.datagrams_in << " DTCP datagram(s) in, " << replies << " repl"
              << (replies == 1 ? "y" : "ies") << ", " << notifications << " notification(s); "
              << r["packets_in"].get<uint64_t>() << " packets in, " << ps.copies_sent << " copies\n"
              << "  report: " << (fs::path(opt.out_dir) / "report.json").string() << "\n";
  }
  return r;
}

}  // namespace dfc::tb
