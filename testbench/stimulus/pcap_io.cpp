#include "stimulus/pcap_io.hpp"
#include "common/errors.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <stdexcept>

namespace dfc::tb {

PcapWriter::PcapWriter(const std::string& path, LinkType link) : path_(path) {
  const int dlt = link == LinkType::Ethernet ? DLT_EN10MB : DLT_RAW;
  dead_ = pcap_open_dead_with_tstamp_precision(dlt, 262144, PCAP_TSTAMP_PRECISION_NANO);
  if (!dead_) throw RunFailure(path + ": cannot create a pcap handle");
  dump_ = pcap_dump_open(dead_, path.c_str());
  if (!dump_) {
    std::string err = pcap_geterr(dead_);
    pcap_close(dead_);
    throw RunFailure(path + ": cannot create pcap file: " + err);
  }
}

PcapWriter::~PcapWriter() {
  if (dump_) pcap_dump_close(dump_);
  if (dead_) pcap_close(dead_);
}

void PcapWriter::write(const uint8_t* data, size_t len, uint64_t t_ps) {
  pcap_pkthdr h{};
  const uint64_t ns = t_ps / 1000;
  h.ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000ull);
  h.ts.tv_usec = static_cast<suseconds_t>(ns % 1'000'000'000ull);  // nanoseconds in a NANO file
  h.caplen = static_cast<bpf_u_int32>(len);
  h.len = static_cast<bpf_u_int32>(len);
  pcap_dump(reinterpret_cast<u_char*>(dump_), &h, data);
  ++packets_;
}

void PcapWriter::flush() { pcap_dump_flush(dump_); }

void PcapReplay::validate() const {
  if (pps < 0 || !(pps == pps)) throw std::invalid_argument("--pps: must be a positive number of packets per second");
  if (mbps < 0 || !(mbps == mbps)) throw std::invalid_argument("--mbps: must be a positive number of megabits per second");
  if (!(multiplier > 0) || multiplier > 1e9) throw std::invalid_argument("--multiplier: must be a positive factor");
  if (loop == 0) throw std::invalid_argument("--loop: must be at least 1 (passes over the capture)");
  if (pps > 0 && mbps > 0) throw std::invalid_argument("--pps and --mbps are exclusive");
  if ((pps > 0 || mbps > 0) && multiplier != 1)
    throw std::invalid_argument("--multiplier scales the capture's own timing: not with --pps or --mbps");
}

namespace {
constexpr int kDltLinuxSll = 113;   // DLT_LINUX_SLL
constexpr int kDltLinuxSll2 = 276;  // DLT_LINUX_SLL2
}  // namespace

PcapReader::PcapReader(const std::string& path, const PcapReplay& replay) : path_(path), replay_(replay) {
  replay_.validate();
  open();
}

void PcapReader::open() {
  if (p_) pcap_close(p_), p_ = nullptr;
  char err[PCAP_ERRBUF_SIZE] = {0};
  p_ = pcap_open_offline_with_tstamp_precision(path_.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p_) throw std::runtime_error(path_ + ": file header (before record 1): cannot read pcap: " + err);
  nano_ = pcap_get_tstamp_precision(p_) == PCAP_TSTAMP_PRECISION_NANO;
  dlt_ = pcap_datalink(p_);
  if (dlt_ == DLT_EN10MB || dlt_ == kDltLinuxSll || dlt_ == kDltLinuxSll2) {
    link_ = LinkType::Ethernet;  // cooked headers are rewritten as Ethernet (next_raw)
  } else if (dlt_ == DLT_RAW || dlt_ == 12 || dlt_ == 14 || dlt_ == 101 || dlt_ == 228 || dlt_ == 229) {
    link_ = LinkType::RawIp;
  } else {
    const char* name = pcap_datalink_val_to_name(dlt_);
    pcap_close(p_);
    p_ = nullptr;
    throw std::runtime_error(path_ + ": unsupported link type " + std::to_string(dlt_) + " (" +
                             (name ? name : "unknown") +
                             "); dfcsim reads Ethernet, raw-IP and Linux cooked (SLL, SLL2) captures");
  }
  if (!replay_.filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(p_, &prog, replay_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      const std::string e = pcap_geterr(p_);
      pcap_close(p_);
      p_ = nullptr;
      throw std::runtime_error("--pcap-filter '" + replay_.filter + "': " + e);
    }
    const int rc = pcap_setfilter(p_, &prog);
    pcap_freecode(&prog);
    if (rc != 0) throw std::runtime_error("--pcap-filter '" + replay_.filter + "': " + pcap_geterr(p_));
  }
}

PcapReader::~PcapReader() {
  if (p_) pcap_close(p_);
}

bool PcapReader::next_raw(Packet& p, uint64_t& t_ps) {
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(p_, &h, &data);
  if (rc == PCAP_ERROR_BREAK) return false;  // end of file
  if (rc != 1)
    throw std::runtime_error(path_ + ": record " + std::to_string(records_ + 1) + ": " + pcap_geterr(p_));
  ++records_;
  p.link = link_;
  if (dlt_ == kDltLinuxSll || dlt_ == kDltLinuxSll2) {
    // Linux cooked capture (tcpdump -i any): protocol and link-layer address of the sender.
    const bool v2 = dlt_ == kDltLinuxSll2;
    const size_t hl = v2 ? 20 : 16;
    if (h->caplen < hl)
      throw std::runtime_error(path_ + ": record " + std::to_string(records_) + ": truncated " +
                               (v2 ? "SLL2" : "SLL") + " header (" + std::to_string(h->caplen) + " bytes)");
    const size_t proto_at = v2 ? 0 : 14, halen_at = v2 ? 11 : 4, addr_at = v2 ? 12 : 6;
    const unsigned halen = v2 ? data[halen_at] : (unsigned(data[halen_at]) << 8 | data[halen_at + 1]);
    p.data.assign(14 + h->caplen - hl, 0);
    if (halen == 6) std::copy(data + addr_at, data + addr_at + 6, p.data.begin() + 6);
    p.data[12] = data[proto_at];
    p.data[13] = data[proto_at + 1];
    std::copy(data + hl, data + h->caplen, p.data.begin() + 14);
  } else {
    p.data.assign(data, data + h->caplen);
  }
  const uint64_t sub = static_cast<uint64_t>(h->ts.tv_usec);
  t_ps = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000'000ull + (nano_ ? sub * 1000 : sub * 1'000'000);
  p.capture_frame = records_;
  // (t_ps wraps for epoch times: only its differences are used; the capture time in ns fits.)
  p.capture_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000ull + (nano_ ? sub : sub * 1000);
  return true;
}

bool PcapReader::next(Packet& p, uint64_t& t_ps) {
  if (!replay_.active()) return next_raw(p, t_ps);
  uint64_t t = 0;
  while (!next_raw(p, t)) {
    // End of a pass: the next one starts one mean gap after this pass's last packet.
    if (++pass_ >= replay_.loop || out_count_ == 0) return false;
    pass_offset_ = last_out_ + (out_count_ > 1 ? last_out_ / (out_count_ - 1) : 1000);
    pass_last_rel_ = 0;
    open();
  }
  if (!have_first_) first_ts_ = t, have_first_ = true;
  uint64_t out;
  if (replay_.pps > 0) {
    out = static_cast<uint64_t>(double(out_count_) * 1e12 / replay_.pps);
  } else if (replay_.mbps > 0) {
    out = out_count_ == 0 ? 0 : last_out_ + static_cast<uint64_t>(double(last_len_) * 8.0 * 1e6 / replay_.mbps);
  } else {
    const uint64_t rel = t >= first_ts_ ? t - first_ts_ : 0;
    out = pass_offset_ + static_cast<uint64_t>(double(rel) / replay_.multiplier);
  }
  if (out < last_out_) out = last_out_;  // captures can step back
  last_out_ = out;
  last_len_ = p.data.size();
  ++out_count_;
  t_ps = out;
  return true;
}

std::string pcap_cut_message(const std::string& what, const std::string& path, uint64_t whole) {
  std::string m = what + "; the capture is cut short or corrupt after " + std::to_string(whole) + " whole record" +
                  (whole == 1 ? "" : "s");
  // A pipe cannot be copied again from here, nor cut with editcap.
  if (path == "-") return m + " (the writer stopped mid-record)";
  return m + " (copy it again, or keep those: editcap -r " + path + " OUT.pcap 1-" + std::to_string(whole) + ")";
}

uint64_t check_pcap_file(const std::string& path, uint64_t max_records) {
  PcapReader r(path);
  Packet p;
  uint64_t t = 0;
  try {
    while ((max_records == 0 || r.records() < max_records) && r.next(p, t)) {
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(pcap_cut_message(e.what(), path, r.records()));
  }
  return r.records();
}

}  // namespace dfc::tb
