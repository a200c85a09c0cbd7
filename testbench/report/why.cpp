#include "report/why.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "dfc/fw/packet_parse.hpp"
#include "common/errors.hpp"

namespace dfc::tb {

using nlohmann::json;

namespace {

std::string addr_text(const fw::Addr128& a, bool v6) {
  char b[INET6_ADDRSTRLEN];
  if (!v6) {
    const auto x = static_cast<uint32_t>(a.lo);
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255);
    return b;
  }
  // RFC 5952's canonical text (what tshark and ip(8) print): inet_ntop.
  unsigned char n[16];
  for (int i = 0; i < 8; ++i) n[i] = static_cast<unsigned char>(a.hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) n[8 + i] = static_cast<unsigned char>(a.lo >> (56 - 8 * i));
  return inet_ntop(AF_INET6, n, b, sizeof b) ? b : "";
}

// Capture time as tshark's frame.time_epoch: seconds with nine decimals.
std::string epoch_text(uint64_t ns) {
  char b[40];
  std::snprintf(b, sizeof b, "%llu.%09llu", static_cast<unsigned long long>(ns / 1'000'000'000ull),
                static_cast<unsigned long long>(ns % 1'000'000'000ull));
  return b;
}

// "2 copies made", "1 copy made, 1 dropped (max_duplicates)": made and dropped counted apart.
std::string copies_decision(const json& copies) {
  size_t made = 0;
  std::map<std::string, size_t> dropped;
  for (const auto& c : copies) {
    if (c.contains("sent")) ++made;
    else ++dropped[c["drop"].get<std::string>()];
  }
  std::string s = std::to_string(made) + (made == 1 ? " copy made" : " copies made");
  for (const auto& [why, n] : dropped) s += ", " + std::to_string(n) + " dropped (" + why + ")";
  return s;
}

json parsed_json(const fw::ParsedPacket& pp) {
  json j;
  if (pp.outcome != fw::ParseOutcome::Ip) {
    j["intercepted"] = false;
    j["not_intercepted"] = std::string(fw::to_string(pp.outcome));
    return j;
  }
  const fw::FlowKey& k = pp.key;
  j["intercepted"] = true;
  j["family"] = k.v6 ? "ipv6" : "ipv4";
  j["src"] = addr_text(k.src, k.v6);
  j["dst"] = addr_text(k.dst, k.v6);
  j["protocol"] = k.proto;
  if (k.has_ports) j["sport"] = k.sport, j["dport"] = k.dport;
  if (k.has_icmp) j["icmp_type"] = k.icmp_type, j["icmp_code"] = k.icmp_code;
  if (k.frag_nonfirst) j["fragment"] = "non-first";
  return j;
}

}  // namespace

WhyLog::WhyLog(const std::string& bpf) : expr_(bpf) {
  dead_eth_ = pcap_open_dead(DLT_EN10MB, 262144);
  dead_raw_ = pcap_open_dead(DLT_RAW, 262144);
  prog_eth_ = new bpf_program{};
  prog_raw_ = new bpf_program{};
  if (!dead_eth_ || !dead_raw_) throw RunFailure("--why: cannot create a libpcap handle");
  for (auto [d, p] : {std::pair{dead_eth_, prog_eth_}, std::pair{dead_raw_, prog_raw_}})
    if (pcap_compile(d, p, bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      throw std::runtime_error("--why '" + bpf + "': " + pcap_geterr(d));
}

WhyLog::~WhyLog() {
  if (prog_eth_) pcap_freecode(prog_eth_);
  if (prog_raw_) pcap_freecode(prog_raw_);
  delete prog_eth_;
  delete prog_raw_;
  if (dead_eth_) pcap_close(dead_eth_);
  if (dead_raw_) pcap_close(dead_raw_);
}

void WhyLog::on_arrival(const Packet& p) {
  const uint64_t index = index_++;
  pcap_pkthdr h{};
  h.caplen = h.len = static_cast<bpf_u_int32>(p.data.size());
  const bpf_program* prog = p.link == LinkType::Ethernet ? prog_eth_ : prog_raw_;
  if (pcap_offline_filter(prog, &h, p.data.data()) == 0) return;
  Entry& e = by_id_[p.id];
  e.index = index;
  e.t_ps = p.t_arrival_ps;
  e.j["packet"] = index;
  e.j["id"] = p.id;  // the card waveform's packet_id and drop_id
  if (p.capture_frame) e.j["frame"] = p.capture_frame, e.j["time"] = epoch_text(p.capture_ns);
  e.j["t_ns"] = p.t_arrival_ps / 1000;
  e.j["bytes"] = p.data.size();
  e.j["parsed"] = parsed_json(fw::parse_packet(p));
  if (const ref::ParsedPacket rp = ref::parse_packet(p); rp.kind == ref::ParsedPacket::Ip) e.headers = rp.h;
  order_.push_back(p.id);
}

void WhyLog::on_trace(const fw::PacketTrace& t) {
  auto it = by_id_.find(t.packet_id);
  if (it == by_id_.end()) return;
  json& j = it->second.j;
  j["core"] = t.core;
  if (t.parsed.outcome != fw::ParseOutcome::Ip) {
    j["decision"] = "not intercepted: " + std::string(fw::to_string(t.parsed.outcome));
    return;
  }
  j["flow_table"] = t.flow;
  j["classifier_rules"] = t.rules;
  json crit = json::array();
  for (const auto& c : t.criteria)
    crit.push_back({{"id", c.criteria_id}, {"csource", c.csource_id}, {"cdest", c.cdest_id}, {"priority", c.priority}});
  j["criteria"] = crit;
  json copies = json::array();
  for (const auto& c : t.copies) {
    json cj = {{"cdest", c.cdest}};
    if (std::string(c.result) == "sent") cj["sent"] = true;
    else cj["drop"] = c.result;
    copies.push_back(cj);
  }
  j["copies"] = copies;
  j["decision"] = t.criteria.empty() ? "no criterion matches" : copies_decision(copies);
  it->second.unmatched = t.criteria.empty();
}

void WhyLog::on_ingress_drop(uint64_t id, const char* why) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  it->second.j["decision"] = std::string("dropped before the firmware: ") + why;
  it->second.j["ingress_drop"] = why;
}

void WhyLog::on_processed(uint64_t id, uint64_t start_ps, uint64_t done_ps) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  it->second.j["processing"] = {{"start_ns", start_ps / 1000}, {"done_ns", done_ps / 1000}};
}

void WhyLog::on_copy_dropped(const Packet& copy, const char* why) {
  auto it = by_id_.find(copy.id);
  if (it == by_id_.end() || !it->second.j.contains("copies")) return;
  json& j = it->second.j;
  // The firmware sent it (its trace says so); the card dropped it on the way out.
  for (auto& c : j["copies"])
    if (c["cdest"] == copy.cdest_id && c.contains("sent")) {
      c.erase("sent");
      c["drop"] = why;
      break;
    }
  j["decision"] = copies_decision(j["copies"]);
}

void WhyLog::on_copy(const Packet& copy, uint64_t t_ps) {
  auto it = by_id_.find(copy.id);
  if (it == by_id_.end()) return;
  it->second.copy_ps[copy.cdest_id].push_back(t_ps);
}

void WhyLog::write(const std::string& path) const {
  std::ofstream f(path);
  if (!f) throw RunFailure(path + ": cannot create file");
  // The criteria as of each packet's arrival: from the exchange the host fed, else from the
  // run's dtcp.pcap, written next to why.jsonl before it.
  CriteriaShadow crit = crit_;
  if (!crit.seen()) crit.read_pcap((std::filesystem::path(path).parent_path() / "dtcp.pcap").string());
  for (uint64_t id : order_) {
    const Entry& e = by_id_.at(id);
    json j = e.j;
    if (e.unmatched && e.headers)
      if (json n = crit.nearest(*e.headers, e.t_ps); !n.is_null()) j["nearest"] = n;
    if (j.contains("copies"))
      for (auto& c : j["copies"]) {
        auto d = e.copy_ps.find(c["cdest"].get<std::string>());
        if (!c.contains("sent") || d == e.copy_ps.end() || d->second.empty()) continue;
        c["t_ns"] = d->second.front() / 1000;
        c["latency_ns"] = (d->second.front() - e.t_ps) / 1000;
      }
    f << j.dump() << "\n";
  }
}

}  // namespace dfc::tb
