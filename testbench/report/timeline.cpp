#include "report/timeline.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>

#include "checker/refmodel.hpp"
#include "stimulus/pcap_io.hpp"

namespace dfc::tb {

using nlohmann::json;

namespace {

// Resource r's cumulative busy time at t, linear between the samples around it.
double busy_at(const UsageSeries& s, size_t r, uint64_t t) {
  const auto& ts = s.t_ps;
  if (ts.empty()) return 0;
  if (t <= ts.front()) return double(s.busy_ps.front()[r]) * (ts.front() ? double(t) / double(ts.front()) : 1.0);
  if (t >= ts.back()) return double(s.busy_ps.back()[r]);
  const size_t i = static_cast<size_t>(std::upper_bound(ts.begin(), ts.end(), t) - ts.begin());
  const double a = double(s.busy_ps[i - 1][r]), b = double(s.busy_ps[i][r]);
  return a + (b - a) * double(t - ts[i - 1]) / double(ts[i] - ts[i - 1]);
}

}  // namespace

json utilisation_timeline(const UsageSeries& s, uint64_t from_ps, uint64_t to_ps, size_t bins) {
  if (s.t_ps.empty() || to_ps <= from_ps || bins == 0) return nullptr;
  const double width = double(to_ps - from_ps) / double(bins);
  std::vector<uint64_t> edge(bins + 1);
  for (size_t i = 0; i <= bins; ++i) edge[i] = from_ps + static_cast<uint64_t>(width * double(i) + 0.5);
  edge[bins] = to_ps;
  json t = json::array(), util = json::object(), dmax = json::array(), depth = json::array(), outside = json::object();
  const double span = double(to_ps - from_ps);
  for (size_t i = 0; i < bins; ++i) t.push_back(double(edge[i]) / 1e12);
  for (size_t r = 0; r < s.names.size(); ++r) {
    json v = json::array();
    for (size_t i = 0; i < bins; ++i)
      v.push_back((busy_at(s, r, edge[i + 1]) - busy_at(s, r, edge[i])) / double(edge[i + 1] - edge[i]));
    util[s.names[r]] = v;
    const double before = busy_at(s, r, from_ps), after = double(s.busy_ps.back()[r]) - busy_at(s, r, to_ps);
    outside[s.names[r]] = {{"before", before / span}, {"after", std::max(after, 0.0) / span}};
  }
  // Depth: the most held at any sample inside the bin (none inside: the sample after it, which
  // covers the bin's end), and the depth at the last sample at or before the bin's end.
  size_t k = 0;
  uint64_t last = 0;
  for (size_t i = 0; i < bins; ++i) {
    uint64_t m = 0;
    bool inside = false;
    for (; k < s.t_ps.size() && s.t_ps[k] <= edge[i + 1]; ++k) {
      if (s.t_ps[k] > edge[i]) m = std::max(m, s.rx_depth_max[k]), inside = true;
      last = s.rx_depth[k];
    }
    if (!inside && k < s.t_ps.size()) m = s.rx_depth_max[k];
    dmax.push_back(m);
    depth.push_back(last);
  }
  return {{"from_s", double(from_ps) / 1e12}, {"to_s", double(to_ps) / 1e12}, {"bin_s", width / 1e12},
          {"t_s", t}, {"utilisation", util}, {"outside_window", outside}, {"rx_depth", depth}, {"rx_depth_max", dmax},
          {"samples", s.t_ps.size()}};
}

void DtcpTimeline::on_request(uint64_t t_ps, const std::string& from, const std::string& bytes) {
  const auto m = ref::parse_message(bytes);
  if (!m || m->is_status) return;
  const std::string seq = m->get("seq").value_or("");
  requests_.push_back({{"t_s", double(t_ps) / 1e12}, {"from", from}, {"csource", m->get("csource-id").value_or("")},
                       {"method", m->method}, {"seq", seq}, {"status", nullptr}, {"reply_t_s", nullptr}});
  open_.emplace(from + "#" + seq, requests_.size() - 1);  // a replayed Seq: the first gets the reply
}

void DtcpTimeline::on_sent(uint64_t t_ps, const std::string& to, const std::string& bytes) {
  const auto m = ref::parse_message(bytes);
  if (!m || !m->is_status) return;
  // A reply carries its request's Seq (a notification none); a LIST answer split over several
  // datagrams: the first one answers.
  if (const auto seq = m->get("seq")) {
    auto it = open_.find(to + "#" + *seq);
    if (it == open_.end()) return;
    json& r = requests_[it->second];
    r["status"] = m->status;
    r["reply_t_s"] = double(t_ps) / 1e12;
    open_.erase(it);
    return;
  }
  notifications_.push_back({{"t_s", double(t_ps) / 1e12}, {"to", to}, {"status", m->status}, {"reason", m->reason}});
}

bool for_each_dtcp_datagram(
    const std::string& path,
    const std::function<void(uint64_t, const std::string&, const std::string&, const std::string&, bool)>& fn) {
  std::vector<std::pair<uint64_t, Packet>> all;
  try {
    PcapReader r(path);
    Packet p;
    uint64_t t = 0;
    while (r.next(p, t)) all.emplace_back(t, std::move(p));
  } catch (const std::runtime_error&) {
    return false;
  }
  for (const auto& [t, p] : all) {
    const auto& d = p.data;
    if (d.empty()) continue;
    const bool v6 = (d[0] >> 4) == 6;
    const size_t ip = v6 ? 40 : size_t(d[0] & 0x0f) * 4;
    if (d.size() < ip + 8) continue;
    char a[INET6_ADDRSTRLEN] = {0}, b[INET6_ADDRSTRLEN] = {0};
    inet_ntop(v6 ? AF_INET6 : AF_INET, &d[v6 ? 8 : 12], a, sizeof a);
    inet_ntop(v6 ? AF_INET6 : AF_INET, &d[v6 ? 24 : 16], b, sizeof b);
    const unsigned sport = unsigned(d[ip]) << 8 | d[ip + 1], dport = unsigned(d[ip + 2]) << 8 | d[ip + 3];
    const std::string msg(d.begin() + static_cast<std::ptrdiff_t>(ip + 8), d.end());
    const auto m = ref::parse_message(msg);
    if (!m) continue;
    fn(t, std::string(a) + ":" + std::to_string(sport), std::string(b) + ":" + std::to_string(dport), msg,
       !m->is_status);
  }
  return true;
}

bool DtcpTimeline::read_pcap(const std::string& path) {
  return for_each_dtcp_datagram(path, [this](uint64_t t, const std::string& from, const std::string& to,
                                             const std::string& msg, bool request) {
    if (request) on_request(t, from, msg);
    else on_sent(t, to, msg);
  });
}

json DtcpTimeline::to_json() const { return {{"requests", requests_}, {"notifications", notifications_}}; }

json overload_transitions(const json& events) {
  json out = json::array();
  if (!events.is_array()) return out;
  for (const auto& e : events) {
    const std::string name = e.value("name", "");
    const bool on = name.find("Exceeded") != std::string::npos;
    out.push_back({{"t_s", e.value("t_s", 0.0)}, {"name", name}, {"kind", e.value("kind", "")},
                   {"group", e.value("group", "")}, {"on", on}});
  }
  return out;
}

}  // namespace dfc::tb
