#include "host/serve.hpp"

#include <boost/asio.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "card.hpp"
#include "common/errors.hpp"
#include "common/text.hpp"
#include "dfc/config/config.hpp"
#include "host/host.hpp"
#include "host/card_engine.hpp"
#include "host/serve_realtime.hpp"
#include "host/serve_rx.hpp"
#include "report/timeline.hpp"
#include "restart_event.hpp"
#include "wave_host.hpp"
#include "stimulus/sources.hpp"
#include "stimulus/traffic.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::ip::udp;
using nlohmann::json;

namespace {

// The longest one blocking wait. SystemC time stands still while the source blocks, so every
// other hardware thread that wakes after it sees its own time behind the wall clock by up to
// this: kept well under the lag bound so that an idle card never counts as late.
constexpr uint64_t kMaxBlockPs = 2'000'000'000ull;
constexpr uint64_t kFlushEveryPs = 500'000'000'000ull;
constexpr uint64_t kPollEveryPs = 50'000'000ull;  // 50 us: a signal is seen well within a millisecond
constexpr uint64_t kWarnCheckEveryPs = 250'000'000'000ull;
// Receive buffer asked for each service-port socket: room for a burst of a few thousand
// requests (loopback charges about 1-2 KiB of buffer per datagram) while the model is busy.
constexpr int kRcvBufBytes = 8 << 20;

// The live ingress: UDP sockets for unit 0, a traffic timeline (or a pcap) for unit 1, both
// against the wall clock.
class LiveSource : public model::IngressSource {
 public:
  struct Port {
    explicit Port(asio::io_context& io) : sock(io) {}
    uint16_t port = 0;
    udp::socket sock;
    std::vector<const config::ControlSource*> sources;
    uint64_t datagrams = 0;
  };
  struct Counters {
    uint64_t datagrams_in = 0, mapped_loopback = 0, replies_out = 0, notifications_out = 0, send_errors = 0,
             unroutable = 0, copies_out = 0, copy_send_errors = 0;
  };
  LiveSource(const config::DfcConfig& cfg, const ServeOptions& opt, Host& h)
      : signals_(io_, SIGINT, SIGTERM), hup_(io_, SIGHUP), opt_(opt), host_(h),
        rt_(static_cast<uint64_t>(opt.max_lag_ms * 1e9)) {
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
    std::vector<int> fds;
    for (auto& p : ports_) fds.push_back(p->sock.native_handle());
    rx_ = std::make_unique<ControlRx>(fds, kRcvBufBytes);
    if (opt.duration_s > 0) end_ps_ = static_cast<uint64_t>(opt.duration_s * 1e12);
    t0_ = std::chrono::steady_clock::now();
  }
  ~LiveSource() override { rx_->stop(); }

  void set_traffic(std::unique_ptr<MonitoredStream> traffic, uint64_t start_ps) {
    traffic_ = std::move(traffic);
    traffic_start_ps_ = start_ps;
  }
  void set_periodic(std::function<void()> f) { periodic_ = std::move(f); }

  const std::vector<std::unique_ptr<Port>>& ports() const { return ports_; }
  const Counters& counters() const { return c_; }
  const std::string& stop_reason() const { return stop_reason_; }
  const std::string& control_address() const { return control_addr_; }
  uint64_t traffic_packets() const { return traffic_out_; }
  const std::string& input_error() const { return input_error_; }
  const DtcpTimeline& dtcp() const { return dtcp_; }  // report.json "timeline"
  const ControlRx& rx() const { return *rx_; }
  RealtimeAccount& realtime() { return rt_; }
  // Called every quarter second while serving (serve's lag warning).
  void set_warn_check(std::function<void(uint64_t now_ps)> f) { warn_check_ = std::move(f); }
  uint64_t socket_drops() const {
    uint64_t n = 0;
    for (uint64_t d : rx_->kernel_drops()) n += d;
    return n;
  }

  uint64_t wall_ps() const {
    return static_cast<uint64_t>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0_).count()) *
           1000;
  }

  // Hands the card the earliest due packet: DTCP datagrams at their receive time, traffic at its
  // replay time, in time order; traffic the host can no longer offer within the lag bound is
  // skipped and counted (serve_realtime.hpp). Nothing due: waits (a datagram wakes it) until
  // the next traffic packet, the card's next timer or kMaxBlockPs, and reports the card idle.
  Next next(Packet& out, uint64_t next_timer_ps, uint64_t& idle_until_ps) override {
    if (!started_) start();
    for (;;) {
      uint64_t now = wall_ps();
      // The asio handlers (signals; the control datagrams come through the receive thread,
      // absorbed below) every kPollEveryPs, not per packet: a poll is an epoll_wait system
      // call, a third of the host's time at 1 Mpps.
      if (now >= next_poll_) {
        io_.restart();
        io_.poll();
        next_poll_ = now + kPollEveryPs;
      }
      absorb();
      housekeeping(now);
      if (!stop_ && end_ps_ && now >= end_ps_) stop_ = true, stop_reason_ = "duration";
      if (stop_) return Next::End;
      const Packet* t = peek_traffic();
      while (t && rt_.too_late(t->t_arrival_ps, now)) {
        rt_.on_host_late(t->t_arrival_ps, now);
        have_peek_ = false;
        t = peek_traffic();
      }
      if (!pending_.empty() && (!t || pending_.front().first.t_arrival_ps <= t->t_arrival_ps)) {
        out = std::move(pending_.front().first);
        const uint64_t due = out.t_arrival_ps;
        rt_.on_offered(due, now);
        // Behind an idle step that already covered its receive time (microseconds): then.
        if (last_ > due) rt_.on_shifted(last_ - due);
        out.t_arrival_ps = last_ = std::max(last_, due);
        host_.on_ingress(out, pending_.front().second);
        dtcp_.on_request(due, out.src_ip + ":" + std::to_string(out.src_port),
                         std::string(out.data.begin(), out.data.end()));
        pending_.pop_front();
        return Next::Packet;
      }
      if (t && t->t_arrival_ps <= now) {
        out = std::move(peek_);
        have_peek_ = false;
        rt_.on_offered(out.t_arrival_ps, now);
        if (last_ > out.t_arrival_ps) rt_.on_shifted(last_ - out.t_arrival_ps);
        out.t_arrival_ps = last_ = std::max(last_, out.t_arrival_ps);
        ++traffic_out_;
        host_.on_ingress(out);
        return Next::Packet;
      }
      uint64_t deadline = now + kMaxBlockPs;
      if (t) deadline = std::min(deadline, t->t_arrival_ps);
      if (next_timer_ps != UINT64_MAX) deadline = std::min(deadline, next_timer_ps);
      if (end_ps_) deadline = std::min(deadline, end_ps_);
      if (deadline > now) {
        rx_->wait_until(t0_ + std::chrono::nanoseconds(deadline / 1000));
        absorb();
        now = wall_ps();
      }
      // Nothing may arrive before the idle step: what is in the socket buffers (stamped before
      // now) goes in first.
      rx_->drain_now();
      absorb();
      // A traffic packet due meanwhile goes in at its own time, not behind an idle step.
      if (pending_.empty() && !stop_ && !(t && t->t_arrival_ps <= now)) {
        idle_until_ps = last_ = std::max(last_, now);
        return Next::Idle;
      }
    }
  }

  // A packet the card sends on unit 0: a reply (back to the real requester) or a notification.
  // Returns the note for dtcp.log: where it went and when it really left (wall clock since the
  // start, which is simulated time when the host keeps up), or why it did not.
  std::string send(const Packet& p, const std::string& bytes, bool is_reply) {
    const uint64_t left = wall_ps();
    dtcp_.on_sent(left, p.dst_ip + ":" + std::to_string(p.dst_port), bytes);
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
        return " (unroutable)";
      }
      to = udp::endpoint(a, p.dst_port);
    }
    if (to.address().is_v4() != from->sock.local_endpoint().address().is_v4()) {
      ++c_.unroutable;
      return " (unroutable: address family)";
    }
    // The plain system call: the receive thread reads the same socket meanwhile.
    const ssize_t n = ::sendto(from->sock.native_handle(), bytes.data(), bytes.size(), 0, to.data(), to.size());
    const std::string dest = to.address().to_string() + ":" + std::to_string(to.port());
    if (n < 0) {
      ++c_.send_errors;
      return " (send to " + dest + " failed: " + std::strerror(errno) + ")";
    }
    ++(is_reply ? c_.replies_out : c_.notifications_out);
    std::ostringstream o;
    o << std::fixed << std::setprecision(3) << double(left) / 1e6;
    return " (sent to " + dest + " at " + o.str() + " us wall)";
  }

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
  // SIGHUP: restart the card (every criterion lost, 599 to every target); the marker goes in
  // with the requests, the host logs it in dtcp.log.
  void arm_hup() {
    hup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      pending_.emplace_back(restart_marker(wall_ps()), std::string());
      arm_hup();
    });
  }

  // The clock starts with the card (its first step), not at construction: the card's own
  // pacing starts then too, so the receive times are on the card's time axis.
  void start() {
    started_ = true;
    t0_ = std::chrono::steady_clock::now();
    rx_->start(t0_);
  }

  // Received datagrams into pending_, kept in receive-time order (the receive thread and
  // drain_now() can each hold a few when they queue them).
  void absorb() {
    if (!rx_->take(rxq_)) return;
    for (auto& d : rxq_) on_datagram(*ports_[d.port], d);
    rxq_.clear();
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const auto& a, const auto& b) { return a.first.t_arrival_ps < b.first.t_arrival_ps; });
  }

  void housekeeping(uint64_t now) {
    if (periodic_ && now >= next_periodic_) periodic_(), next_periodic_ = now + kFlushEveryPs;
    if (warn_check_ && now >= next_warn_check_) warn_check_(now), next_warn_check_ = now + kWarnCheckEveryPs;
  }

  void on_datagram(Port& p, const RxDatagram& d) {
    ++c_.datagrams_in;
    ++p.datagrams;
    const std::string& bytes = d.bytes;
    udp::endpoint from;
    std::memcpy(from.data(), &d.from, std::min<size_t>(d.from_len, from.capacity()));
    const auto sender = from.address();
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
    pk.src_port = from.port();
    pk.dst_ip = control_addr_;
    pk.dst_port = p.port;
    pk.id = ++control_seq_;
    pk.t_arrival_ps = d.t_ps;
    routes_[src + ":" + std::to_string(pk.src_port)] = from;
    // dtcp.log names the presented endpoint; the note names the real sender.
    const std::string note = src != sender.to_string()
                                 ? " (from " + sender.to_string() + ":" + std::to_string(from.port()) + ")"
                                 : std::string();
    pending_.emplace_back(std::move(pk), note);
  }

  const Packet* peek_traffic() {
    if (!have_peek_ && traffic_) {
      bool got = false;
      try {
        got = traffic_->next(peek_);
      } catch (const std::exception& e) {
        // A pipe or FIFO that ends mid-record (a regular file was checked before the start):
        // no exception may leave this SystemC process, so serve stops here and reports it.
        input_error_ = e.what();
        stop_ = true;
        stop_reason_ = "pcap-in error";
        traffic_.reset();
        return nullptr;
      }
      if (got) {
        peek_.t_arrival_ps += traffic_start_ps_;
        have_peek_ = true;
      } else {
        traffic_.reset();
      }
    }
    return have_peek_ ? &peek_ : nullptr;
  }

  asio::io_context io_;
  asio::signal_set signals_;
  asio::signal_set hup_;  // SIGHUP: card restart
  const ServeOptions& opt_;
  Host& host_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::deque<std::pair<Packet, std::string>> pending_;  // requests with their dtcp.log note
  std::map<std::string, udp::endpoint> routes_;  // presented "ip:port" -> real sender
  std::unique_ptr<udp::socket> copy_sock_;
  udp::endpoint copies_to_;
  std::string control_addr_, stop_reason_ = "", input_error_;
  bool stop_ = false, started_ = false;
  uint64_t end_ps_ = 0, last_ = 0, control_seq_ = 0, next_periodic_ = 0, next_warn_check_ = 0, next_poll_ = 0;
  std::chrono::steady_clock::time_point t0_;
  std::function<void()> periodic_;
  std::function<void(uint64_t)> warn_check_;
  std::unique_ptr<ControlRx> rx_;  // the service-port sockets' receive thread
  std::deque<RxDatagram> rxq_;
  RealtimeAccount rt_;
  Counters c_;
  DtcpTimeline dtcp_;
  // traffic (a lazy stream: one packet looked ahead)
  std::unique_ptr<MonitoredStream> traffic_;
  Packet peek_;
  bool have_peek_ = false;
  uint64_t traffic_start_ps_ = 0, traffic_out_ = 0;
};

}  // namespace

std::string serve_traffic_spec(const std::string& spec) {
  // Pull out pps=N; everything else is TrafficSpec::parse syntax.
  std::string rest, pps;
  std::istringstream is(spec);
  std::string kv;
  while (std::getline(is, kv, ',')) {
    const std::string t = common::trim(kv);
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

namespace {

// A generator spec (pps= resolved here) or a pcap with its own timing. A regular file is read
// through once first; a pipe (`-`) or FIFO cannot be read twice, so its header is read here and
// a record cut short ends the run (LiveSource::peek_traffic).
std::unique_ptr<MonitoredStream> open_serve_traffic(const ServeOptions& opt) {
  TrafficChoice traffic;
  if (!opt.traffic_spec.empty()) traffic.spec = serve_traffic_spec(opt.traffic_spec);
  traffic.pcap_in = opt.pcap_in;
  traffic.replay = opt.replay;
  if (!opt.pcap_in.empty()) {
    std::error_code ec;
    const bool file = opt.pcap_in != "-" && fs::is_regular_file(opt.pcap_in, ec);
    if (!file && opt.replay.loop > 1)
      throw std::runtime_error("--loop " + std::to_string(opt.replay.loop) + ": '" + opt.pcap_in +
                               "' is a pipe, read only once; save it to a file to replay it more than once");
    if (file) check_pcap_file(opt.pcap_in);
  }
  return open_traffic(traffic);
}

// What serve listens on and where it sends, unless --quiet.
void print_banner(const ServeOptions& opt, const config::DfcConfig& cfg, Host& host, const LiveSource& source) {
  std::cout << "dfcsim serve: " << host.profile().name << " card, " << host.classifier_name()
            << " classifier, real time\n";
  for (size_t i = 0; i < source.ports().size(); ++i) {
    const auto& p = source.ports()[i];
    std::cout << "  DTCP on udp " << opt.listen << ":" << p->port << " for";
    for (auto* cs : p->sources)
      std::cout << " " << cs->id
                << (cs->source_addresses.empty() ? "" : " (loopback presented as " + cs->source_addresses.front() + ")");
    // The kernel reports twice the usable size (its bookkeeping); less than asked: rmem_max.
    const int got = source.rx().rcvbuf_bytes()[i];
    std::cout << "; receive buffer " << got / 1024 << " KiB"
              << (got < 2 * kRcvBufBytes ? " (asked " + std::to_string(kRcvBufBytes / 1024) +
                                               " KiB: the kernel's net.core.rmem_max caps it)"
                                         : "")
              << "\n";
  }
  for (const auto& g : cfg.capture_groups)
    for (const auto& cs : g.control_sources)
      for (const auto& nt : cs.notification_targets)
        std::cout << "  notifications of " << cs.id << " -> udp "
                  << (opt.notify_to.empty() ? nt.address : opt.notify_to) << ":" << nt.port << "\n";
  if (!opt.copies_to.empty()) std::cout << "  copies also live -> udp " << opt.copies_to << " (jmirror)\n";
  std::cout << "  copies -> " << opt.sim.out_dir
            << "/cdest-<id>.pcap; stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP restarts the card\n";
}

// serve's own report fields (everything else is the host's report, as in `run`).
void add_serve_fields(json& r, const ServeOptions& opt, Host& host, LiveSource& source) {
  const model::CardStats cs = host.engine().stats();
  r["mode"] = "serve";
  r["stopped_by"] = source.stop_reason();
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
  json rt = source.realtime().to_json();
  rt["late_events"] = cs.realtime_late_events;
  rt["max_lag_s"] = double(cs.realtime_max_lag_ps) / 1e12;
  const std::vector<uint64_t> drops = source.rx().kernel_drops();
  uint64_t total = 0;
  json rcvbuf = json::array();
  for (size_t i = 0; i < drops.size(); ++i) {
    total += drops[i];
    rcvbuf.push_back(source.rx().rcvbuf_bytes()[i]);
  }
  rt["control_socket_drops"] = total;
  rt["control_rcvbuf_bytes"] = rcvbuf;
  rt["control_queue_peak"] = source.rx().queue_peak();
  const std::string why = not_real_time_reason(rt);
  rt["real_time"] = why.empty();
  rt["not_real_time"] = why;
  r["realtime"] = rt;
}

void print_stopped(const json& r, const ServeOptions& opt, const LiveSource& source) {
  const json& rt = r["realtime"];
  std::cout << "dfcsim serve: stopped (" << source.stop_reason() << ") after " << std::fixed << std::setprecision(3)
            << r["wall_time_s"].get<double>() << " s: " << source.counters().datagrams_in << " DTCP datagram(s) in, "
            << r["dtcp"]["replies"].get<uint64_t>() << " repl" << (r["dtcp"]["replies"] == 1 ? "y" : "ies") << ", "
            << r["dtcp"]["notifications"].get<uint64_t>() << " notification(s); " << r["packets_in"].get<uint64_t>()
            << " packets in, " << r["copies_sent"].get<uint64_t>() << " copies\n"
            << "  scoreboard: " << (r["scoreboard"].value("pass", false) ? "PASS" : "FAIL")
            << (rt.value("real_time", true) ? "" : " (not real time: " + rt.value("not_real_time", std::string()) + ")")
            << "\n"
            << "  real time: " << realtime_line(rt) << "\n"
            << "  report: " << (fs::path(opt.sim.out_dir) / "report.json").string() << "\n";
}

}  // namespace

json serve(const ServeOptions& opt) {
  const config::DfcConfig cfg = config::parse_config(opt.sim.config_text, opt.sim.config_name);
  if (!opt.traffic_spec.empty() && !opt.pcap_in.empty())
    throw std::runtime_error("--traffic and --pcap-in are exclusive");
  // The traffic is opened and a pcap file read once before anything starts (no output
  // directory, no socket, no card), so a bad or cut capture is one line and exit 2.
  std::unique_ptr<MonitoredStream> traffic_stream = open_serve_traffic(opt);
  HostOptions ho;
  ho.sim = opt.sim;
  ho.drain_ps = 0;
  ho.realtime = true;
  ho.name = "serve";
  ho.restart_reason = "SIGHUP";
  Host host(cfg, ho);
  LiveSource source(cfg, opt, host);

  source.set_traffic(std::move(traffic_stream), static_cast<uint64_t>(opt.traffic_start_s * 1e12));
  source.set_periodic([&] { host.flush(); });

  // 1-based position of the destination in the configuration, by the firmware's copy label.
  std::map<std::string, uint32_t> mirror_id;
  for (const auto& g : cfg.capture_groups)
    for (const auto& cd : g.content_destinations)
      mirror_id.emplace(fw::copy_label(cfg, g, cd.id), static_cast<uint32_t>(mirror_id.size() + 1));
  host.copy_tap = [&](const Packet& p, uint64_t, uint64_t n) {
    source.send_copy(p, mirror_id[p.cdest_id], static_cast<uint32_t>(n));
  };
  host.control_tap = [&](const Packet& p, const std::string& bytes, bool is_reply) {
    return source.send(p, bytes, is_reply);
  };
  host.build(source);
  // The card counts its own lag against the same bound the source uses for host-late packets.
  host.engine().set_realtime(true, static_cast<uint64_t>(opt.max_lag_ms * 1e9));
  source.set_warn_check([&](uint64_t now) {
    const model::CardStats cs = host.engine().stats();
    source.realtime().maybe_warn(now, source.socket_drops(), cs.realtime_late_events, cs.realtime_max_lag_ps);
  });

  if (!opt.sim.quiet) print_banner(opt, cfg, host, source);
  std::cout << "dfcsim serve: ready" << std::endl;

  host.run();
  json r = host.report();
  add_serve_fields(r, opt, host, source);
  // The usage timeline is the timing card's sampler (a SystemC process): the fast card has none.
  if (host.engine().timing()) r["timeline"] = card_timeline(host.card(), r, &source.dtcp());
  // Not thrown (after SystemC's stack switches, see tools/cli/exit_codes.hpp): the command
  // turns it into its one line and exit 2.
  if (!source.input_error().empty()) r["incomplete"] = {{"input", "--pcap-in"}, {"error", source.input_error()}};
  host.write_report(r);
  if (!opt.sim.quiet) print_stopped(r, opt, source);
  return r;
}

}  // namespace dfc::tb
