// pcap files in and out, through libpcap. Timestamps are simulated picoseconds in the
// model and nanoseconds in the files (nanosecond-precision pcap).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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

// tcpreplay-style controls of a replayed capture (`--pcap-filter`, `--pps`, `--mbps`,
// `--multiplier`, `--loop`). With none of them the reader returns the capture's own timestamps.
struct PcapReplay {
  std::string filter;      // BPF expression (pcap_compile on the capture's link type); "" = all
  double pps = 0;          // > 0: packets evenly spaced at this rate (timestamps from 0)
  double mbps = 0;         // > 0: packets back to back at this bit rate (captured length)
  double multiplier = 1;   // > 0: the capture's own gaps divided by this (2 = twice as fast)
  uint64_t loop = 1;       // passes over the file (>= 1)
  bool active() const { return !filter.empty() || pps > 0 || mbps > 0 || multiplier != 1 || loop != 1; }
  // Throws std::invalid_argument naming the option when a value is out of range.
  void validate() const;
};

class PcapReader {
 public:
  // Throws std::runtime_error with the path and libpcap's reason for unreadable files,
  // unsupported link types (supported: Ethernet, raw IPv4/IPv6, Linux cooked SLL and SLL2) and
  // BPF filters that do not compile. SLL/SLL2 records are returned as Ethernet frames (the
  // cooked header's protocol becomes the EtherType, its link-layer address the source MAC).
  explicit PcapReader(const std::string& path, const PcapReplay& replay = {});
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;
  // Next packet (that passes the filter) with its timestamp in picoseconds: the capture's own,
  // or from `replay` (relative to the first packet, which is then at 0); false at the end of the
  // last loop. Throws on a truncated or corrupt record, naming the record number.
  bool next(Packet& p, uint64_t& t_ps);
  LinkType link() const { return link_; }
  uint64_t records() const { return records_; }
  const std::string& path() const { return path_; }
  int datalink() const { return dlt_; }

 private:
  void open();
  bool next_raw(Packet& p, uint64_t& t_ps);
  std::string path_;
  PcapReplay replay_;
  pcap_t* p_ = nullptr;
  LinkType link_ = LinkType::Ethernet;
  int dlt_ = 0;
  uint64_t records_ = 0;
  bool nano_ = false;
  // Replay state: pass number, first timestamp of the capture, last output time and length.
  uint64_t pass_ = 0, first_ts_ = 0, pass_offset_ = 0, last_out_ = 0, last_len_ = 0, out_count_ = 0;
  uint64_t pass_last_rel_ = 0;
  bool have_first_ = false;
  std::vector<uint8_t> frame_;
};

// Reads the records of a pcap file once (the first `max_records`; 0 = all), in bounded memory,
// so a capture cut short or corrupt fails before a simulation starts instead of in the middle
// of it with partial outputs. Throws std::runtime_error "<file>: record N: <reason>; <how to fix>"
// (or PcapReader's message for an unreadable header or link type). Returns the records read.
uint64_t check_pcap_file(const std::string& path, uint64_t max_records = 0);
// The one line for a record that cannot be read (`what`: PcapReader's "<file>: record N: ...")
// after `whole` good records: what, how much was read, and how to keep it.
std::string pcap_cut_message(const std::string& what, const std::string& path, uint64_t whole);

}  // namespace dfc::tb
