// Generated UDP traffic to or from port 53 is well-formed DNS: tshark, an independent decoder,
// finds a query (or response) in every frame and nothing malformed, at every frame size from
// the smallest that holds a DNS message to 1518 bytes, IPv4 and IPv6, Ethernet and raw IP.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "stimulus/packet_builder.hpp"
#include "stimulus/pcap_io.hpp"

namespace {
using namespace dfc;
using namespace dfc::tb;
namespace fs = std::filesystem;

std::string run(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *rc = pclose(p);
  return out;
}

struct Case {
  bool v6, ethernet;
  uint16_t sport, dport;
};

TEST(DnsPayload, TsharkDecodesEveryGeneratedDnsFrameWithoutMalformedOnes) {
  int rc = 0;
  run("command -v tshark", &rc);
  ASSERT_EQ(rc, 0) << "tshark is required (scripts/setup-deps.sh installs it)";
  const fs::path dir = fs::temp_directory_path() / ("dfc_dns_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<Case> cases = {{false, true, 40000, 53}, {false, true, 53, 40000}, {true, true, 40000, 53},
                                   {false, false, 40000, 53}, {true, false, 53, 53}};
  for (const Case& c : cases) {
    const fs::path pcap = dir / "dns.pcap";
    size_t frames = 0;
    std::vector<size_t> sizes;
    {
      PcapWriter w(pcap.string(), c.ethernet ? LinkType::Ethernet : LinkType::RawIp);
      // From the smallest frame whose UDP payload holds the 17-byte message, through the
      // sizes where the name grows, to where EDNS padding takes over, and large frames.
      const size_t l2 = c.ethernet ? 14 + 4 : 0, l3 = c.v6 ? 40 : 20;
      for (size_t payload = 17; payload <= 1518 - l2 - l3 - 8; payload += payload < 60 ? 1 : 97) {
        FlowSpec f;
        if (c.v6) f.src = "2001:db8::1", f.dst = "2001:db8::2";
        f.sport = c.sport, f.dport = c.dport, f.ethernet = c.ethernet;
        f.frame_len = l2 + l3 + 8 + payload;
        const Packet p = build_packet(f, frames + 7);
        w.write(p.data.data(), p.data.size(), frames * 1000);
        sizes.push_back(f.frame_len);
        ++frames;
      }
    }
    const std::string out =
        run("tshark -r '" + pcap.string() + "' -T fields -e frame.number -e dns.flags.response -e dns.qry.type "
            "-e _ws.malformed -e _ws.expert.severity 2>/dev/null",
            &rc);
    ASSERT_EQ(rc, 0) << out;
    std::istringstream in(out);
    std::string line;
    size_t seen = 0;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      std::string tok;
      while (std::getline(ls, tok, '\t')) f.push_back(tok);
      f.resize(5);
      const std::string where = "frame " + f[0] + " (" + std::to_string(sizes.at(seen)) + " bytes, v6=" +
                                std::to_string(c.v6) + ", sport " + std::to_string(c.sport) + ")";
      EXPECT_EQ(f[2], "1") << where << ": a query for an A record";
      EXPECT_EQ(f[1], c.sport == 53 && c.dport != 53 ? "1" : "0") << where << ": query or response";
      EXPECT_TRUE(f[3].empty()) << where << ": malformed";
      // Wireshark's expert info: errors (8388608) or warnings (6291456) mean a bad message.
      EXPECT_TRUE(f[4].empty() || f[4].find("8388608") == std::string::npos) << where << ": " << f[4];
      ++seen;
    }
    EXPECT_EQ(seen, frames);
  }
  fs::remove_all(dir);
}

TEST(DnsPayload, OtherPortsKeepTheirPatternAndSizes) {
  FlowSpec f;
  f.frame_len = 128;
  const Packet p = build_packet(f, 3);
  EXPECT_EQ(p.data.size(), 124u) << "the frame without its FCS";
  f.dport = 53;
  const Packet q = build_packet(f, 3);
  EXPECT_EQ(q.data.size(), p.data.size()) << "a DNS payload keeps the frame's size";
  EXPECT_NE(q.data, p.data);
}

}  // namespace
