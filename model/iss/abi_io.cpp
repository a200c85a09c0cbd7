#include "abi_io.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

#include "dfc/hal/card_map.hpp"
#include "dfc/util/text.hpp"

namespace dfc::iss {

std::string hex(uint32_t v) {
  static const char d[] = "0123456789abcdef";
  std::string s = "0x";
  for (int sh = 28; sh >= 0; sh -= 4) s.push_back(d[(v >> sh) & 15]);
  return s;
}

namespace {

// Records are plain structs of 32-bit words, big-endian in image memory (iss_abi.hpp).
template <class T>
void put_record(IssMemory& m, uint32_t addr, const T& rec) {
  static_assert(sizeof(T) % 4 == 0, "records are words");
  uint32_t w[sizeof(T) / 4];
  std::memcpy(w, &rec, sizeof(T));
  for (size_t i = 0; i < sizeof(T) / 4; ++i) m.write32(addr + static_cast<uint32_t>(4 * i), w[i]);
}
template <class T>
T get_record(const IssMemory& m, uint32_t addr) {
  uint32_t w[sizeof(T) / 4];
  for (size_t i = 0; i < sizeof(T) / 4; ++i) w[i] = m.read32(addr + static_cast<uint32_t>(4 * i));
  T rec;
  std::memcpy(&rec, w, sizeof(T));
  return rec;
}

}  // namespace

// The lenient DTCP dotted quad first, then IPv6; the canonical text back (inet_ntop: RFC 5952).
IpWords ip_words(const std::string& text) {
  IpWords w{};
  if (const auto v4 = util::parse_ipv4(text)) {
    w.family = 4;
    w.ip[0] = static_cast<uint32_t>(v4->lo);
  } else if (const auto v6 = util::parse_inet6(text)) {
    w.family = 6;
    for (size_t i = 0; i < 16; ++i) w.ip[i / 4] |= uint32_t{(*v6)[i]} << (24 - 8 * (i % 4));
  }
  return w;
}

std::string ip_text(const IpWords& w) {
  uint8_t b[16] = {};
  for (size_t i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(w.ip[i / 4] >> (24 - 8 * (i % 4)));
  char out[INET6_ADDRSTRLEN] = {};
  if (w.family == 4) return inet_ntop(AF_INET, b, out, sizeof out) ? out : "";
  if (w.family == 6) return inet_ntop(AF_INET6, b, out, sizeof out) ? out : "";
  return "";
}

uint32_t write_boot_block(IssMemory& m, const fw::FirmwareOptions& f, const std::string& config_text,
                          const std::string& restart_reason) {
  BootBlock b{};
  b.magic = kBootMagic;
  b.version = kBootVersion;
  uint32_t at = kHostArea + 4096;  // the texts after the block
  const auto text = [&](const std::string& s, uint32_t& addr, uint32_t& len) {
    if (s.size() > kStatsAddr - at)  // the statistics room at the end stays free
      throw std::invalid_argument("the configuration text (" + std::to_string(s.size()) +
                                  " bytes) does not fit the image's host area (" +
                                  std::to_string(kStatsAddr - kHostArea - 4096) + " bytes for the texts)");
    addr = s.empty() ? 0 : at;
    len = static_cast<uint32_t>(s.size());
    m.write(at, s.data(), s.size());
    at += (len + 3) & ~3u;
  };
  text(config_text, b.config_addr, b.config_len);
  text(restart_reason, b.restart_reason_addr, b.restart_reason_len);
  b.pipeline_cores = f.pipeline.cores;
  b.flow_table_capacity = static_cast<uint32_t>(f.pipeline.flow_table_capacity);
  b.flow_idle_ns_lo = lo(f.pipeline.flow_idle_ns), b.flow_idle_ns_hi = hi(f.pipeline.flow_idle_ns);
  b.copy_source = f.pipeline.copy_source;
  b.flow_aging_period_ns_lo = lo(f.flow_aging_period_ns), b.flow_aging_period_ns_hi = hi(f.flow_aging_period_ns);
  b.flow_aging_slices = f.flow_aging_slices;
  b.control_tx_when_free = f.control_tx_when_free ? 1 : 0;
  b.rated_input_pps_lo = lo(f.overload.rated_input_pps), b.rated_input_pps_hi = hi(f.overload.rated_input_pps);
  b.soft_low_pct = f.overload.soft_low_pct;
  b.hard_high_pct = f.overload.hard_high_pct;
  b.hard_low_pct = f.overload.hard_low_pct;
  b.driver_enabled = 1;
  b.driver_contexts = f.driver.contexts;
  b.rx_ring_entries = f.driver.rx_ring_entries;
  b.tx_ring_entries = f.driver.tx_ring_entries;
  b.buffers_per_context = f.driver.buffers_per_context;
  b.stats_addr = kStatsAddr;
  b.stats_bytes = kStatsBytes;
  m.write32(kStatsAddr, 0);  // no record until the image writes one
  put_record(m, kHostArea, b);
  return kHostArea;
}

namespace {

// One field of a content destination's entry "group\tid\tfield".
void content_destination(FirmwareCounters& c, const std::string& key, uint64_t v, const std::string& where) {
  const size_t t1 = key.find('\t'), t2 = t1 == std::string::npos ? t1 : key.find('\t', t1 + 1);
  if (t2 == std::string::npos) throw std::runtime_error(where + ": content-destination entry \"" + key + "\" lacks its tabs");
  const std::string group = key.substr(0, t1), id = key.substr(t1 + 1, t2 - t1 - 1), field = key.substr(t2 + 1);
  dtcp::ContentDestinationStats* d = nullptr;
  for (auto& x : c.content_destinations)
    if (x.group == group && x.id == id) d = &x;
  if (!d) {
    c.content_destinations.push_back({});
    d = &c.content_destinations.back();
    d->group = group, d->id = id;
  }
  if (field == "criteria") d->criteria = v;
  else if (field == "matched_packets") d->matched_packets = v;
  else if (field == "matched_bytes") d->matched_bytes = v;
  else if (field == "congestion_notifications") d->congestion_notifications = v;
  else if (field == "soft_congested") d->soft_congested = v != 0;
  else if (field == "soft_episodes") d->soft_episodes = v;
  else if (field == "soft_cleared") d->soft_cleared = v;
  else throw std::runtime_error(where + ": unknown content-destination field \"" + field + "\"");
}

}  // namespace

FirmwareCounters read_stats(const IssMemory& m, uint32_t at, uint32_t room) {
  const auto h = get_record<StatsHeader>(m, at);
  const std::string where = "the firmware image's statistics record at " + hex(at);
  if (h.magic != kStatsMagic)
    throw std::runtime_error(where + " is missing (the image did not answer the statistics event; an image "
                             "built before the record existed? rebuild dfc_firmware.elf)");
  if (h.version != kStatsVersion || h.scalars != kStatsScalars)
    throw std::runtime_error(where + " has version " + std::to_string(h.version) + " with " +
                             std::to_string(h.scalars) + " scalars; this host reads version " +
                             std::to_string(kStatsVersion) + " with " + std::to_string(kStatsScalars) +
                             ": rebuild dfc_firmware.elf and dfcsim from the same tree");
  if (h.truncated) throw std::runtime_error(where + " is truncated: its " + std::to_string(room) + " bytes ran out");
  if (h.bytes > room) throw std::runtime_error(where + " claims " + std::to_string(h.bytes) + " bytes, beyond its room");
  const auto sc = [&](StatsScalar k) {
    const uint32_t a = at + static_cast<uint32_t>(sizeof(StatsHeader) + 8 * k);
    return join(m.read32(a), m.read32(a + 4));
  };
  FirmwareCounters c;
  fw::PipelineStats& p = c.pipeline;
  p.packets_in = sc(kStPacketsIn), p.bytes_in = sc(kStBytesIn);
  p.packets_matched = sc(kStPacketsMatched), p.packets_unmatched = sc(kStPacketsUnmatched);
  p.copies_chosen = sc(kStCopiesChosen), p.copies_sent = sc(kStCopiesSent);
  p.copies_dropped_max_duplicates = sc(kStCopiesMaxDuplicates);
  p.copies_dropped_unknown_destination = sc(kStCopiesUnknownDestination);
  p.copies_dropped_tx_queue = sc(kStCopiesTxQueue);
  p.flow_hits = sc(kStFlowHits), p.flow_misses = sc(kStFlowMisses), p.flow_stale = sc(kStFlowStale);
  p.flow_evictions = sc(kStFlowEvictions), p.flow_entries = sc(kStFlowEntries);
  p.flow_entries_peak = sc(kStFlowEntriesPeak), p.flow_rule_overflows = sc(kStFlowRuleOverflows);
  p.criteria_read_retries = sc(kStCriteriaReadRetries), p.criteria_read_fallbacks = sc(kStCriteriaReadFallbacks);
  p.criteria_read_waits = sc(kStCriteriaReadWaits);
  c.driver = sc(kStDriver) != 0;
  c.tx_ring_full = sc(kStTxRingFull);
  c.classifier_entries = sc(kStClassifierEntries), c.classifier_rules = sc(kStClassifierRules);
  c.dtcp_restarts = sc(kStDtcpRestarts), c.criteria_active = sc(kStCriteriaActive);
  c.overload_events = sc(kStOverloadEvents);
  c.last_window_pps = sc(kStOverloadLastPps), c.peak_window_pps = sc(kStOverloadPeakPps);
  // A threshold's three entries share its key; thresholds keep the order they came in.
  const auto threshold = [&c](const std::string& key) -> fw::OverloadMonitor::Threshold& {
    const size_t tab = key.find('\t');
    const std::string name = key.substr(0, tab), group = tab == std::string::npos ? "" : key.substr(tab + 1);
    for (auto& t : c.thresholds)
      if (t.name == name && t.group == group) return t;
    c.thresholds.push_back({name, group, 0, 0, false});
    return c.thresholds.back();
  };
  uint32_t off = static_cast<uint32_t>(sizeof(StatsHeader) + 8 * kStatsScalars);
  for (uint32_t i = 0; i < h.entries; ++i) {
    if (off + sizeof(StatsEntry) > h.bytes) throw std::runtime_error(where + ": entry " + std::to_string(i) + " beyond its length");
    const auto e = get_record<StatsEntry>(m, at + off);
    off += sizeof(StatsEntry);
    if (e.name_len > h.bytes - off) throw std::runtime_error(where + ": entry " + std::to_string(i) + "'s name beyond its length");
    std::string name(e.name_len, '\0');
    if (e.name_len) m.read(at + off, name.data(), e.name_len);
    off += (e.name_len + 3) & ~3u;
    const uint64_t v = join(e.value_lo, e.value_hi);
    switch (e.map) {
      case kMapNotIntercepted: p.not_intercepted[name] = v; break;
      case kMapCopiesPerDest: p.copies_per_destination[name] = v; break;
      case kMapBytesPerDest: p.bytes_per_destination[name] = v; break;
      case kMapDtcpServer: c.dtcp_server[name] = v; break;
      case kMapOverloadCounts: c.overload_counts[name] = v; break;
      case kMapThresholdHigh: threshold(name).high = v; break;
      case kMapThresholdLow: threshold(name).low = v; break;
      case kMapThresholdExceeded: threshold(name).exceeded = v != 0; break;
      case kMapContentDestination: content_destination(c, name, v, where); break;
      case kMapControlSource:
      case kMapControlSourceGroup: {
        const size_t tab = name.find('\t');
        if (tab == std::string::npos)
          throw std::runtime_error(where + ": control-source entry \"" + name + "\" has no tab");
        if (e.map == kMapControlSource)
          c.control_sources[name.substr(0, tab)][name.substr(tab + 1)] = v;
        else
          c.control_source_group[name.substr(0, tab)] = name.substr(tab + 1);
        break;
      }
      default: throw std::runtime_error(where + ": entry " + std::to_string(i) + " of unknown kind " + std::to_string(e.map));
    }
  }
  return c;
}

void write_rx_frame(IssMemory& m, uint32_t buf, const Packet& p) {
  if (p.data.size() > cardmap::PKT_BUF_BYTES - kRxFrameOffset)
    throw std::invalid_argument("a " + std::to_string(p.data.size()) + "-byte frame exceeds the " +
                                std::to_string(cardmap::PKT_BUF_BYTES - kRxFrameOffset) +
                                " bytes a receive buffer holds after the receive metadata");
  RxMeta r{};
  r.magic = kRxMagic;
  r.frame_len = static_cast<uint32_t>(p.data.size());
  r.packet_id_lo = lo(p.id), r.packet_id_hi = hi(p.id);
  r.t_arrival_ps_lo = lo(p.t_arrival_ps), r.t_arrival_ps_hi = hi(p.t_arrival_ps);
  r.unit = static_cast<uint32_t>(p.unit);
  r.link = static_cast<uint32_t>(p.link);
  if (p.unit == Unit::Control) {
    r.src = ip_words(p.src_ip);
    r.dst = ip_words(p.dst_ip);
    r.src_port = p.src_port, r.dst_port = p.dst_port;
  }
  put_record(m, buf, r);
  if (!p.data.empty()) m.write(buf + kRxFrameOffset, p.data.data(), p.data.size());
}

TxRecord read_tx_record(const IssMemory& m, uint32_t at) { return get_record<TxRecord>(m, at); }

Packet tx_packet(const IssMemory& m, const TxRecord& r) {
  Packet p;
  p.data.resize(r.data_len);
  if (r.data_len) m.read(r.data_addr, p.data.data(), r.data_len);
  p.unit = static_cast<Unit>(r.unit);
  p.link = static_cast<LinkType>(r.link);
  p.id = join(r.packet_id_lo, r.packet_id_hi);
  p.t_arrival_ps = join(r.t_arrival_ps_lo, r.t_arrival_ps_hi);
  p.cdest_id.resize(r.cdest_len);
  if (r.cdest_len) m.read(r.cdest_addr, p.cdest_id.data(), r.cdest_len);
  if (p.unit == Unit::Control) {
    p.src_ip = ip_text(r.src);
    p.dst_ip = ip_text(r.dst);
    p.src_port = static_cast<uint16_t>(r.src_port);
    p.dst_port = static_cast<uint16_t>(r.dst_port);
  }
  if (r.buf_addr) p.buf_addr = cardmap::PKT_MEM_BASE + (r.buf_addr - cardmap::ISS_PKT_WINDOW);
  return p;
}

std::string tx_reason(const IssMemory& m, const TxRecord& r) {
  std::string s(r.reason_len, '\0');
  if (r.reason_len) m.read(r.reason_addr, s.data(), r.reason_len);
  return s;
}

}  // namespace dfc::iss
