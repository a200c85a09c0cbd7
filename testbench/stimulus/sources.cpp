#include "stimulus/sources.hpp"

#include <stdexcept>

namespace dfc::tb {

bool VectorStream::next(Packet& out) {
  if (i_ >= v_.size()) return false;
  out = std::move(v_[i_++]);
  out.unit = Unit::Monitor;
  return true;
}

bool GeneratorStream::next(Packet& out) {
  if (!g_.next(out)) return false;
  out.unit = Unit::Monitor;
  return true;
}

bool PcapStream::next(Packet& out) {
  uint64_t t = 0;
  if (seq_ >= cap_) return false;
  try {
    if (!r_.next(out, t)) return false;
  } catch (const std::runtime_error& e) {  // a pipe or FIFO that ends mid-record (a file is checked first)
    throw std::runtime_error(pcap_cut_message(e.what(), r_.path(), r_.records()));
  }
  if (line_rate_) t = 0;  // back to back: the ingress MAC spaces them at its line rate
  if (!have_base_) base_ = t, have_base_ = true;
  out.unit = Unit::Monitor;
  out.id = ++seq_;
  out.t_arrival_ps = t >= base_ ? t - base_ : 0;   // keep the capture's timing
  if (out.t_arrival_ps < last_) out.t_arrival_ps = last_;  // captures can step back
  last_ = out.t_arrival_ps;
  return true;
}

std::unique_ptr<MonitoredStream> open_traffic(const TrafficChoice& t) {
  if (!t.pcap_in.empty())
    return std::make_unique<PcapStream>(t.pcap_in, t.line_rate, t.packets.value_or(UINT64_MAX), t.replay);
  if (t.spec) {
    TrafficSpec ts = TrafficSpec::parse(*t.spec);
    if (t.seed) ts.seed = *t.seed;
    if (t.packets) ts.packets = *t.packets;
    return std::make_unique<GeneratorStream>(ts);
  }
  if (t.given) return std::make_unique<VectorStream>(*t.given);
  return nullptr;
}

}  // namespace dfc::tb
