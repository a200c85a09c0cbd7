// Acceptance for real traffic: a real capture (../shared/data/pcaps/example2.pcap) goes through
// the card with a few criteria; each content destination's pcap must hold exactly the
// packets that tshark's equivalent display filter selects from the input, in order, with the
// inner IP packet byte for byte identical. tshark selects, so the expectation is independent
// of both the firmware and the testbench's reference model.
#include <algorithm>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "stimulus/pcap_io.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace fs = std::filesystem;

namespace {

std::string sh(const std::string& cmd, int* rc = nullptr) {
  const auto r = dfc::common::run_command(cmd, dfc::common::Stderr::Inherit);
  if (rc) *rc = r.exit_code();
  return r.output;
}

// IP packet of an Ethernet / raw-IP frame: from the IP header to its total length.
std::vector<uint8_t> ip_of(const dfc::Packet& p) {
  size_t off = 0;
  if (p.link == dfc::LinkType::Ethernet) {
    off = 14;
    uint16_t type = static_cast<uint16_t>(p.data[12] << 8 | p.data[13]);
    while (type == 0x8100 || type == 0x88a8) {
      type = static_cast<uint16_t>(p.data[off + 2] << 8 | p.data[off + 3]);
      off += 4;
    }
  }
  const uint8_t* ip = p.data.data() + off;
  const size_t len = (ip[0] >> 4) == 4 ? size_t(ip[2] << 8 | ip[3]) : 40 + size_t(ip[4] << 8 | ip[5]);
  return {ip, ip + len};
}

std::vector<std::vector<uint8_t>> read_all(const std::string& path, bool strip_outer) {
  dfc::tb::PcapReader r(path);
  std::vector<std::vector<uint8_t>> out;
  dfc::Packet p;
  uint64_t t;
  while (r.next(p, t)) {
    if (strip_outer)
      out.emplace_back(p.data.begin() + 20, p.data.end());
    else
      out.push_back(ip_of(p));
  }
  return out;
}

}  // namespace

TEST(RealPcap, EachDestinationGetsExactlyWhatTheEquivalentTsharkFilterSelects) {
  const std::string input = std::string(DFC_SHARED_DATA) + "/pcaps/example2.pcap";
  if (!fs::exists(input)) GTEST_SKIP() << input << " not present (shared data is optional)";
  int rc = 0;
  sh("command -v tshark >/dev/null", &rc);
  ASSERT_EQ(rc, 0) << "tshark is required (scripts/setup-deps.sh installs it)";

  const fs::path dir = fs::temp_directory_path() / ("dfcsim-realpcap-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "dfc.conf") << R"(services { dynamic-flow-capture { capture-group g {
    control-source cs1 { source-addresses 10.36.41.1; service-port 2400; shared-key "k1"; }
    control-source cs2 { source-addresses 10.36.41.2; service-port 2401; shared-key "k2"; }
    content-destination udp-all { address 10.36.70.1; }
    content-destination web { address 10.36.70.2; ttl 64; }
    content-destination outbound { address 10.36.70.3; }
} } })";
  std::ofstream(dir / "req.dtcp") << "ADD DTCP/0.7\nCsource-ID: cs1\nCdest-ID: udp-all\nProtocol: 17\nFlags: Static\n\n"
                                  << "ADD DTCP/0.7\nCsource-ID: cs2\nCdest-ID: web\nDest-Address: 212.199.202.0/24\n"
                                     "Protocol: 6\nDest-Port: 80\nFlags: Static\n\n"
                                  << "ADD DTCP/0.7\nCsource-ID: cs2\nCdest-ID: outbound\nDest-Address: !10.0.0.1\n"
                                     "Protocol: 6\nSource-Port: 55000-55260\nFlags: Static\n\n";
  // max-duplicates is 3 (default) and at most one criterion per destination matches, so no
  // copy is dropped; the real card copies IPv6 too (protocol 41 outside).
  const std::string out = (dir / "out").string();
  const std::string log = sh(std::string("'") + DFCSIM_BIN + "' run --config '" + (dir / "dfc.conf").string() +
                                 "' --dtcp '" + (dir / "req.dtcp").string() + "' --pcap-in '" + input + "' --out '" +
                                 out + "' 2>&1",
                             &rc);
  ASSERT_EQ(rc, 0) << log;

  const std::pair<const char*, const char*> cases[] = {
      {"udp-all", "ip.proto#1 == 17 || ipv6.nxt#1 == 17"},
      {"web", "ip.dst#1 == 212.199.202.0/24 && ip.proto#1 == 6 && tcp.dstport == 80"},
      {"outbound", "ip.dst#1 != 10.0.0.1 && ip.proto#1 == 6 && tcp.srcport >= 55000 && tcp.srcport <= 55260"},
  };
  // All frames of the input, to pick tshark's selection by frame number.
  dfc::tb::PcapReader in(input);
  std::vector<dfc::Packet> frames;
  {
    dfc::Packet p;
    uint64_t t;
    while (in.next(p, t)) frames.push_back(p);
  }
  for (const auto& [dest, filter] : cases) {
    const std::string nums = sh("tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r '" + input + "' -Y '" +
                                filter + "' -T fields -e frame.number 2>/dev/null");
    std::vector<std::vector<uint8_t>> want;
    std::istringstream is(nums);
    size_t n;
    while (is >> n) want.push_back(ip_of(frames.at(n - 1)));
    ASSERT_GT(want.size(), 5u) << dest << ": the filter selects too little to be a test";
    const std::string copies = out + "/cdest-" + dest + ".pcap";
    auto got = read_all(copies, true);
    ASSERT_EQ(got.size(), want.size()) << dest << " (" << filter << ")";
    // The cores of a multi-core card take packets from one receive ring, so copies of
    // different packets may leave in another order than they arrived (docs/model.md §10):
    // compare the copies as a multiset.
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << dest << ": copy " << i << " (sorted) differs";
    // And tshark reads every copy as IP-in-IP to the destination.
    const std::string outer = sh("tshark -r '" + copies + "' -T fields -e ip.dst 2>/dev/null");
    std::istringstream os(outer);
    std::string line;
    size_t rows = 0;
    while (std::getline(os, line)) {
      ++rows;
      EXPECT_EQ(line.rfind(dest == std::string("udp-all") ? "10.36.70.1" : dest == std::string("web") ? "10.36.70.2" : "10.36.70.3", 0), 0u) << line;
    }
    EXPECT_EQ(rows, want.size());
  }
  fs::remove_all(dir);
}
