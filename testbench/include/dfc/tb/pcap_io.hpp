// pcap files in and out, through libpcap. Timestamps are simulated picoseconds in the
// model and nanoseconds in the files (nanosecond-precision pcap).
#pragma once
#include <cstdint>
#include <string>

#include "dfc/hal/packet.hpp"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace dfc::tb {

class PcapWriter {
 public:
  // Throws std::runtime_error naming the path when the file cannot be created.
  PcapWriter(const std::string& path, LinkType link);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  void write(const uint8_t* data, size_t len, uint64_t t_ps);
  void flush();
  uint64_t packets() const { return packets_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dump_ = nullptr;
  uint64_t packets_ = 0;
};

class PcapReader {
 public:
  // Throws std::runtime_error with the path and libpcap's reason for unreadable files and
  // unsupported link types (supported: Ethernet, raw IPv4/IPv6).
  explicit PcapReader(const std::string& path);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;
  // Next packet with its capture timestamp in picoseconds; false at end of file. Throws on
  // a truncated or corrupt record, naming the record number.
  bool next(Packet& p, uint64_t& t_ps);
  LinkType link() const { return link_; }
  uint64_t records() const { return records_; }

 private:
  std::string path_;
  pcap_t* p_ = nullptr;
  LinkType link_ = LinkType::Ethernet;
  uint64_t records_ = 0;
  bool nano_ = false;
};

}  // namespace dfc::tb
