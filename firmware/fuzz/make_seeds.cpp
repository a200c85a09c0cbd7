// Build-time helper of the fuzz targets: turns the shared pcaps (../shared/data/pcaps, when
// present) into seed corpora in the build tree, never in the source tree.
//   make_seeds <out_packet_dir> <out_pcap_dir> <pcap>...
// packet seeds: byte 0 = link (1 Ethernet, 0 raw IP) then the frame, for up to 48 distinct
// frames per capture (distinct by length and first 64 bytes, so the corpus stays small);
// pcap seeds: the capture's first 4 KiB (file header and the first records), which is what
// the bounded runs' -max_len would keep anyway.
#include <pcap/pcap.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_seeds <out_packet_dir> <out_pcap_dir> <pcap>...\n");
    return 2;
  }
  const std::string out_pkt = argv[1], out_pcap = argv[2];
  int written = 0;
  for (int a = 3; a < argc; ++a) {
    const std::string path = argv[a];
    const std::string base = path.substr(path.find_last_of('/') + 1);
    std::ifstream in(path, std::ios::binary);
    std::vector<char> head(4096);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    std::ofstream(out_pcap + "/" + base, std::ios::binary).write(head.data(), static_cast<std::streamsize>(head.size()));
    char err[PCAP_ERRBUF_SIZE] = {0};
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) {
      std::fprintf(stderr, "make_seeds: %s: %s (skipped)\n", path.c_str(), err);
      continue;
    }
    const int dlt = pcap_datalink(p);
    std::set<std::string> seen;
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    int n = 0;
    while (n < 48 && pcap_next_ex(p, &h, &d) == 1) {
      std::string frame(reinterpret_cast<const char*>(d), h->caplen);
      if (!seen.insert(std::to_string(frame.size()) + frame.substr(0, 64)).second) continue;
      std::string seed(1, dlt == DLT_EN10MB ? '\1' : '\0');
      seed += frame.substr(0, 2048);
      std::ofstream(out_pkt + "/" + base + "." + std::to_string(n++), std::ios::binary) << seed;
      ++written;
    }
    pcap_close(p);
  }
  std::printf("make_seeds: %d packet seeds from %d captures\n", written, argc - 3);
  return 0;
}
