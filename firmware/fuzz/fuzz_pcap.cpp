// libFuzzer target: the testbench's pcap reader (testbench/stimulus/pcap_io.cpp) over libpcap,
// fed from memory. The input is written to an anonymous in-memory file (memfd) and opened by
// its /proc/self/fd path, so the reader's real code path (pcap_open_offline..., link-type
// check, pcap_next_ex, timestamp scaling) runs unchanged. Every outcome must be either a
// std::runtime_error (with a message naming the file) or records whose bytes lie within the
// input; each record read is also handed to the firmware's packet parser.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "dfc/fw/packet_parse.hpp"
#include "stimulus/pcap_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("fuzz.pcap", 0);
  if (fd < 0) __builtin_trap();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) __builtin_trap();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    dfc::tb::PcapReader r(path);
    dfc::Packet p;
    uint64_t t_ps = 0;
    uint64_t n = 0;
    while (r.next(p, t_ps)) {
      ++n;
      // A record cannot hold more bytes than the file (libpcap bounds caplen by snaplen).
      if (p.data.size() > size) __builtin_trap();
      if (p.link != r.link()) __builtin_trap();
      (void)dfc::fw::parse_packet(p);
    }
    if (n != r.records()) __builtin_trap();
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find(path) != 0) __builtin_trap();  // errors name the file
  }
  return 0;
}
