#include "dfc/tb/pcap_io.hpp"

#include <pcap/pcap.h>

#include <stdexcept>

namespace dfc::tb {

PcapWriter::PcapWriter(const std::string& path, LinkType link) : path_(path) {
  const int dlt = link == LinkType::Ethernet ? DLT_EN10MB : DLT_RAW;
  dead_ = pcap_open_dead_with_tstamp_precision(dlt, 262144, PCAP_TSTAMP_PRECISION_NANO);
  if (!dead_) throw std::runtime_error(path + ": cannot create a pcap handle");
  dump_ = pcap_dump_open(dead_, path.c_str());
  if (!dump_) {
    std::string err = pcap_geterr(dead_);
    pcap_close(dead_);
    throw std::runtime_error(path + ": cannot create pcap file: " + err);
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

PcapReader::PcapReader(const std::string& path) : path_(path) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  p_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p_) throw std::runtime_error(path + ": cannot read pcap: " + err);
  nano_ = pcap_get_tstamp_precision(p_) == PCAP_TSTAMP_PRECISION_NANO;
  const int dlt = pcap_datalink(p_);
  if (dlt == DLT_EN10MB) {
    link_ = LinkType::Ethernet;
  } else if (dlt == DLT_RAW || dlt == 12 || dlt == 14 || dlt == 101 || dlt == 228 || dlt == 229) {
    link_ = LinkType::RawIp;
  } else {
    const char* name = pcap_datalink_val_to_name(dlt);
    pcap_close(p_);
    p_ = nullptr;
    throw std::runtime_error(path + ": unsupported link type " + std::to_string(dlt) + " (" +
                             (name ? name : "unknown") +
                             "); dfcsim reads Ethernet and raw-IP captures");
  }
}

PcapReader::~PcapReader() {
  if (p_) pcap_close(p_);
}

bool PcapReader::next(Packet& p, uint64_t& t_ps) {
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(p_, &h, &data);
  if (rc == PCAP_ERROR_BREAK) return false;  // end of file
  if (rc != 1)
    throw std::runtime_error(path_ + ": record " + std::to_string(records_ + 1) + ": " +
                             pcap_geterr(p_));
  ++records_;
  p.data.assign(data, data + h->caplen);
  p.link = link_;
  const uint64_t sub = static_cast<uint64_t>(h->ts.tv_usec);
  t_ps = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000'000ull + (nano_ ? sub * 1000 : sub * 1'000'000);
  return true;
}

}  // namespace dfc::tb
