// The firmware image (bin/dfc_firmware.elf) end to end on IssBoard, against the same firmware
// compiled for the host on the fake HAL (firmware/tests/fake_hal.hpp + FakeDma): same
// configuration, options, requests, packets and clock; the replies, notifications and copies
// must be byte-identical. Also the boot on 1 and 8 contexts, the timer, the restart event,
// and the instructions each path costs on the image (loose bounds only: docs/iss.md has the
// figures).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "board.hpp"
#include "dfc/config/config.hpp"
#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/fw/firmware.hpp"
#include "fake_hal.hpp"
#include "profile.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

using namespace dfc;
using dfc::iss::IssBoard;

namespace {

#define DFC_NEED_IMAGE()                                                                                     \
  do {                                                                                                       \
    if (!std::ifstream(DFC_FIRMWARE_ELF).good())                                                             \
      GTEST_SKIP() << DFC_FIRMWARE_ELF << " was not built (it needs mips-linux-gnu-g++: run "                \
                   << "scripts/setup-deps.sh, configure again, then build the firmware_image target)";       \
  } while (0)

// The calibration set-up of the testbench (one control source, one destination): the shape of
// the default scenario.
std::string config_text() {
  std::ifstream f(std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/configs/one-source.conf");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
constexpr const char* kKey = "calibration-key";
constexpr uint64_t kStartNs = 1'000'000'000ull;

model::CardProfile profile(const std::string& name, const std::vector<std::string>& sets = {}) {
  return model::load_profile(name, sets);
}

iss::BoardOptions board_options(const model::CardProfile& prof, uint64_t epoch_ms,
                                const char* elf = DFC_FIRMWARE_ELF) {
  iss::BoardOptions o;
  o.elf_path = elf;
  o.config_text = config_text();
  o.firmware = prof.firmware_options();
  o.classifier_depth = prof.classifier_depth;
  o.epoch_ms = epoch_ms;
  o.start_ns = kStartNs;
  return o;
}

// An IPv4 datagram (no link header), UDP or TCP, `len` bytes in all.
Packet ipv4(const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport, size_t len, uint64_t id) {
  const auto a = *dtcp::parse_ipv4(src), b = *dtcp::parse_ipv4(dst);
  std::vector<uint8_t> d(len, 0);
  d[0] = 0x45;
  d[2] = static_cast<uint8_t>(len >> 8), d[3] = static_cast<uint8_t>(len);
  d[8] = 64, d[9] = proto;
  for (int i = 0; i < 4; ++i) {
    d[12 + i] = static_cast<uint8_t>(a.lo >> (24 - 8 * i));
    d[16 + i] = static_cast<uint8_t>(b.lo >> (24 - 8 * i));
  }
  d[20] = static_cast<uint8_t>(sport >> 8), d[21] = static_cast<uint8_t>(sport);
  d[22] = static_cast<uint8_t>(dport >> 8), d[23] = static_cast<uint8_t>(dport);
  if (proto == 17) d[24] = static_cast<uint8_t>((len - 20) >> 8), d[25] = static_cast<uint8_t>(len - 20);
  if (proto == 6) d[32] = 0x50;  // data offset 5 words
  for (size_t i = 40; i < len; ++i) d[i] = static_cast<uint8_t>(i * 7 + id);
  Packet p;
  p.data = std::move(d);
  p.id = id;
  return p;
}

// The image on the board and the host-compiled firmware on the fake HAL, driven alike.
struct Twin {
  model::CardProfile prof;
  config::DfcConfig cfg;
  test::FakeHal hal;
  std::unique_ptr<fw::Firmware> fw;
  std::unique_ptr<test::FakeDma> dma;
  std::unique_ptr<IssBoard> board;
  uint64_t seq = 100;
  bool host_restart = false;

  explicit Twin(const model::CardProfile& p, uint64_t slice = 20000, const char* elf = DFC_FIRMWARE_ELF)
      : prof(p), cfg(config::parse_config(config_text(), "one-source.conf")), hal(p.classifier_depth) {
    hal.advance_to(kStartNs);
    const fw::FirmwareOptions o = prof.firmware_options();
    fw = std::make_unique<fw::Firmware>(cfg, hal, o);
    dma = std::make_unique<test::FakeDma>(hal, o.driver.contexts, o.driver.rx_ring_entries, o.driver.tx_ring_entries);
    iss::BoardOptions bo = board_options(prof, hal.epoch_ms, elf);
    bo.slice = slice;
    board = std::make_unique<IssBoard>(bo);
    board->boot();
    board->take_sent();
    host_loop(0);
    hal.sent.clear();
  }

  // The image's packet loop (firmware/image/image_main.cpp run()) for one host context; the
  // egress hands every transmit descriptor back at once, as the board does at the doorbell.
  void host_loop(unsigned ctx) {
    hal.core = ctx;
    for (;;) {
      bool ev = false;
      if (ctx == 0 && host_restart) host_restart = false, ev = true, fw->restart();
      if (ctx == 0 && hal.timer_due()) hal.clear_timer(), ev = true, fw->on_timer();
      const bool polled = fw->on_poll();
      if (polled) fw->on_idle();
      dma->complete_tx(ctx);
      if (polled) continue;
      const bool idled = fw->on_idle();
      dma->complete_tx(ctx);
      if (idled) continue;
      if (!ev) break;
    }
  }

  // The clock moves on both; the control context's timers run before anything else arrives.
  void at(uint64_t ns) {
    hal.advance_to(ns);
    host_loop(0);
    board->set_time_ns(ns);
    board->run_until_idle();
  }

  // One frame into ctx on both, each runs until idle; the outputs of each.
  struct Out {
    std::vector<Packet> host, image;
  };
  Out step(unsigned ctx, const Packet& p) {
    Out o;
    EXPECT_TRUE(dma->receive(ctx, p, p.unit == Unit::Control));
    host_loop(ctx);
    o.host = std::move(hal.sent);
    hal.sent.clear();
    EXPECT_EQ(board->deliver(ctx, p), IssBoard::Delivery::Delivered);
    board->run_until_idle();
    for (auto& s : board->take_sent())
      if (!s.dropped) o.image.push_back(std::move(s.packet));
    return o;
  }
  Out drain() {  // after at(): what each sent meanwhile
    Out o;
    o.host = std::move(hal.sent);
    hal.sent.clear();
    for (auto& s : board->take_sent())
      if (!s.dropped) o.image.push_back(std::move(s.packet));
    return o;
  }

  Packet request(const std::string& method_and_params) {
    const std::string text =
        dtcp::sign(method_and_params + "Csource-ID: md1\r\nSeq: " + std::to_string(++seq) + "\r\n", kKey);
    Packet p;
    p.unit = Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.36.41.1";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = 2400;
    p.t_arrival_ps = hal.now * 1000;
    return p;
  }
};

std::string text(const Packet& p) { return std::string(p.data.begin(), p.data.end()); }

// Byte-identical, metadata included.
void expect_same(const std::vector<Packet>& host, const std::vector<Packet>& image, const std::string& what) {
  ASSERT_EQ(image.size(), host.size()) << what;
  for (size_t i = 0; i < host.size(); ++i) {
    const Packet &h = host[i], &m = image[i];
    EXPECT_EQ(m.data, h.data) << what << " #" << i << "\nimage: " << text(m) << "\nhost:  " << text(h);
    EXPECT_EQ(m.unit, h.unit) << what;
    EXPECT_EQ(m.link, h.link) << what;
    EXPECT_EQ(m.id, h.id) << what;
    EXPECT_EQ(m.t_arrival_ps, h.t_arrival_ps) << what;
    EXPECT_EQ(m.cdest_id, h.cdest_id) << what;
    EXPECT_EQ(m.src_ip, h.src_ip) << what;
    EXPECT_EQ(m.dst_ip, h.dst_ip) << what;
    EXPECT_EQ(m.src_port, h.src_port) << what;
    EXPECT_EQ(m.dst_port, h.dst_port) << what;
    EXPECT_EQ(m.buf_addr, h.buf_addr) << what;
  }
}

const char* kAdd =
    "ADD DTCP/0.7\r\nCdest-ID: cd1\r\nSource-Address: 192.168.10.4\r\nDest-Address: 10.1.1.1-10.1.1.10\r\n"
    "Protocol: 6,17\r\nDest-Port: 53\r\nTimeout-Idle: 600\r\nPriority: 2\r\nFlags: SendAsync\r\n";

int status_of(const Packet& reply) {
  const auto m = dtcp::parse_and_verify(text(reply), kKey);
  return m ? m->status : -1;
}

TEST(Board, BootsOnOneAndEightContexts) {
  DFC_NEED_IMAGE();
  for (const auto& sets : {std::vector<std::string>{"cores=1", "threads_per_core=1"},
                           std::vector<std::string>{"cores=2", "threads_per_core=4"}}) {
    const model::CardProfile prof = profile("ms400", sets);
    IssBoard b(board_options(prof, 1767225600000ull));
    b.boot();
    const unsigned n = prof.firmware_options().driver.contexts;
    EXPECT_EQ(b.contexts(), n);
    EXPECT_NE(b.console().find("dfc image: firmware up, " + std::to_string(n) + " contexts"), std::string::npos)
        << b.console();
    for (unsigned c = 0; c < n; ++c) EXPECT_TRUE(b.waiting(c)) << "context " << c;
    EXPECT_GT(b.counters(0).instructions, 100'000u) << "context 0 parsed the configuration and booted the rings";
    EXPECT_NE(b.timer_deadline_ns(), UINT64_MAX) << "the firmware armed its timer";
    EXPECT_TRUE(b.sent().empty());
    EXPECT_EQ(b.run_until_idle(), 0u) << "nothing to do: nobody runs";
  }
}

TEST(Board, DtcpAddThenCopiesAreByteIdenticalToTheHostFirmware) {
  DFC_NEED_IMAGE();
  Twin t(profile("ms3"));  // two contexts: control 0, data 1
  auto add = t.step(0, t.request(kAdd));
  ASSERT_EQ(add.host.size(), 1u);
  EXPECT_EQ(status_of(add.host[0]), 200) << text(add.host[0]);
  expect_same(add.host, add.image, "ADD reply");
  struct P {
    const char *src, *dst;
    uint8_t proto;
    uint16_t sport, dport;
    size_t len;
    bool match;
  };
  const P pk[] = {
      {"192.168.10.4", "10.1.1.1", 17, 40000, 53, 80, true},   {"192.168.10.5", "10.1.1.1", 17, 40000, 53, 80, false},
      {"192.168.10.4", "10.1.1.10", 6, 40001, 53, 120, true},  {"192.168.10.4", "10.1.1.11", 17, 40000, 53, 80, false},
      {"192.168.10.4", "10.1.1.5", 17, 40002, 54, 80, false},  {"192.168.10.4", "10.1.1.1", 17, 40000, 53, 300, true},
  };
  uint64_t id = 1;
  for (const P& q : pk) {
    t.at(t.hal.now + 1000);
    Packet p = ipv4(q.src, q.dst, q.proto, q.sport, q.dport, q.len, id++);
    p.t_arrival_ps = t.hal.now * 1000;
    auto o = t.step(1, p);
    EXPECT_EQ(o.host.size(), q.match ? 1u : 0u) << q.src << " -> " << q.dst;
    expect_same(o.host, o.image, std::string("packet to ") + q.dst);
    if (q.match && !o.image.empty()) {
      EXPECT_EQ(o.image[0].unit, Unit::Copies);
      EXPECT_EQ(o.image[0].cdest_id, "cd1");
    }
  }
  EXPECT_EQ(t.board->timer_events(), 0u);
}

// The image built with a byte-order slip in the packet parser (DFC_FAULT_BYTE_ORDER: a be16
// that assumes a little-endian CPU) is right on the host by accident, so every host-compiled
// test passes with it; on the big-endian target it reads port 53 as 0x3500, and the copy the
// host firmware makes is missing.
TEST(Board, AByteOrderSlipInTheParserIsCaughtOnTheTarget) {
  DFC_NEED_IMAGE();
  if (!std::ifstream(DFC_FIRMWARE_FAULT_ELF).good()) GTEST_SKIP() << DFC_FIRMWARE_FAULT_ELF << " was not built";
  Twin t(profile("ms3"), 20000, DFC_FIRMWARE_FAULT_ELF);
  auto add = t.step(0, t.request(kAdd));
  ASSERT_EQ(add.host.size(), 1u);
  expect_same(add.host, add.image, "ADD reply (DTCP reads no port through the parser)");
  t.at(t.hal.now + 1000);
  Packet p = ipv4("192.168.10.4", "10.1.1.1", 17, 40000, 53, 80, 1);
  p.t_arrival_ps = t.hal.now * 1000;
  auto o = t.step(1, p);
  EXPECT_EQ(o.host.size(), 1u) << "the host firmware copies the packet to port 53";
  EXPECT_TRUE(o.image.empty()) << "the target image with the slip must miss it";
}

TEST(Board, TimerExpiresAnIdleCriterionAsOnTheHost) {
  DFC_NEED_IMAGE();
  Twin t(profile("ms3"));
  std::string add = kAdd;
  add.replace(add.find("Timeout-Idle: 600"), 17, "Timeout-Idle: 2");
  auto r = t.step(0, t.request(add));
  expect_same(r.host, r.image, "ADD reply");
  const uint64_t before = t.board->timer_events();
  int timeouts = 0;
  for (uint64_t s = 1; s <= 4; ++s) {
    t.at(kStartNs + s * 1'000'000'000ull);
    auto o = t.drain();
    expect_same(o.host, o.image, "second " + std::to_string(s));
    for (const Packet& q : o.image) timeouts += text(q).find(" 390 Criterion Timeout") != std::string::npos;
  }
  EXPECT_EQ(timeouts, 1) << "one idle-timeout notification to the target";
  EXPECT_GT(t.board->timer_events(), before);
  // The criterion is gone on both: a packet it matched is no longer copied.
  Packet p = ipv4("192.168.10.4", "10.1.1.1", 17, 40000, 53, 80, 9);
  auto o = t.step(1, p);
  EXPECT_TRUE(o.host.empty());
  expect_same(o.host, o.image, "after the expiry");
}

TEST(Board, RestartNotifiesAndDropsTheCriteria) {
  DFC_NEED_IMAGE();
  Twin t(profile("ms3"));
  auto r = t.step(0, t.request(kAdd));
  expect_same(r.host, r.image, "ADD reply");
  t.host_restart = true;
  t.host_loop(0);
  t.board->raise_restart();
  t.board->run_until_idle();
  auto o = t.drain();
  EXPECT_FALSE(o.host.empty()) << "the notification target hears of the restart";
  expect_same(o.host, o.image, "restart notifications");
  auto after = t.step(1, ipv4("192.168.10.4", "10.1.1.1", 17, 40000, 53, 80, 3));
  EXPECT_TRUE(after.host.empty());
  expect_same(after.host, after.image, "a formerly matching packet after the restart");
}

// IPv6 criteria and traffic, Ethernet framing, LIST (a long signed answer) and DELETE.
TEST(Board, Ipv6ListAndDeleteAsOnTheHost) {
  DFC_NEED_IMAGE();
  Twin t(profile("ms3"));
  const std::string reqs[] = {
      kAdd,
      "ADD DTCP/0.7\r\nCdest-ID: cd1\r\nSource-Address: 2001:db8::4\r\nDest-Address: 2001:db8:1::/48\r\n"
      "Protocol: 17\r\nPriority: 3\r\nFlags: Static\r\n",
      "ADD DTCP/0.7\r\nCdest-ID: cd1\r\nDest-Address: 10.7.0.0/16\r\nSource-Port: 1000-2000\r\nFlags: Static\r\n",
      "LIST DTCP/0.7\r\nFlags: Criteria\r\n",
  };
  std::vector<std::string> ids;
  for (const std::string& q : reqs) {
    auto o = t.step(0, t.request(q));
    ASSERT_FALSE(o.host.empty()) << q;
    EXPECT_EQ(status_of(o.host[0]), 200) << text(o.host[0]);
    if (const auto m = dtcp::parse_and_verify(text(o.host[0]), kKey)) ids.push_back(m->get("Criteria-ID").value_or(""));
    expect_same(o.host, o.image, q.substr(0, q.find('\r')));
  }
  // IPv6/UDP 2001:db8::4 -> 2001:db8:1::9, in an Ethernet frame.
  std::vector<uint8_t> v6 = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 16, 17, 64};
  const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4};
  const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  v6.insert(v6.end(), src, src + 16);
  v6.insert(v6.end(), dst, dst + 16);
  const uint8_t udp[16] = {0x9c, 0x40, 0, 53, 0, 16, 0, 0, 'd', 'f', 'c', 's', 'i', 'm', '6', '!'};
  v6.insert(v6.end(), udp, udp + 16);
  Packet p6;
  p6.data = v6;
  p6.link = LinkType::Ethernet;
  p6.id = 61;
  Packet p4 = ipv4("10.0.0.1", "10.7.3.3", 6, 1500, 80, 200, 62);
  for (const Packet& p : {p6, p4, p6}) {
    t.at(t.hal.now + 1000);
    auto o = t.step(1, p);
    EXPECT_EQ(o.host.size(), 1u) << p.id;
    expect_same(o.host, o.image, "packet " + std::to_string(p.id));
  }
  auto del = t.step(0, t.request("DELETE DTCP/0.7\r\nCriteria-ID: " + ids.at(1) + "\r\nFlags: Static\r\n"));
  ASSERT_FALSE(del.host.empty());
  EXPECT_EQ(status_of(del.host[0]), 200) << text(del.host[0]);
  EXPECT_NE(text(del.host[0]).find("Criteria-Count: 1"), std::string::npos) << text(del.host[0]);
  expect_same(del.host, del.image, "DELETE");
  auto gone = t.step(1, p6);
  expect_same(gone.host, gone.image, "IPv6 after DELETE");
  EXPECT_TRUE(gone.host.empty());
}

// Eight contexts (ms400 with two cores of four threads: core 1's threads take the packets),
// every frame in the rings before any context runs, slices of 97 instructions: the contexts
// interleave inside the firmware (allocator, locks, the shared classifier) and every copy is
// still the host's.
TEST(Board, EightContextsInTinySlicesMatchTheHost) {
  DFC_NEED_IMAGE();
  Twin t(profile("ms400", {"cores=2", "threads_per_core=4"}), 97);
  auto r = t.step(0, t.request(kAdd));
  expect_same(r.host, r.image, "ADD reply");
  t.at(t.hal.now + 1000);
  for (uint64_t i = 0; i < 24; ++i) {
    const unsigned ctx = 4 + i % 4;
    const std::string dst = "10.1.1." + std::to_string(1 + i % 12);
    Packet p = ipv4(i % 5 ? "192.168.10.4" : "192.168.10.5", dst.c_str(), i % 2 ? 6 : 17,
                    static_cast<uint16_t>(40000 + i % 3), 53, 60 + 8 * i, 100 + i);
    ASSERT_TRUE(t.dma->receive(ctx, p));
    ASSERT_EQ(t.board->deliver(ctx, p), IssBoard::Delivery::Delivered);
  }
  for (unsigned ctx = 4; ctx < 8; ++ctx) t.host_loop(ctx);
  t.board->run_until_idle();
  auto o = t.drain();
  const auto by_id = [](const Packet& a, const Packet& b) { return a.id < b.id; };
  std::sort(o.host.begin(), o.host.end(), by_id);
  std::sort(o.image.begin(), o.image.end(), by_id);
  EXPECT_GE(o.host.size(), 10u);
  expect_same(o.host, o.image, "copies of interleaved contexts");
  std::printf("semaphore reads refused: %llu\n", static_cast<unsigned long long>(t.board->sem_busy_reads()));
}

// A bad configuration ends the image with the parser's message; a livelock bound fails.
TEST(Board, FatalErrorsAndTheInstructionBoundFailWithAMessage) {
  DFC_NEED_IMAGE();
  iss::BoardOptions o = board_options(profile("ms3"), 0);
  o.config_text = "services { dynamic-flow-capture { capture-group g { bogus-statement 1; } } }";
  IssBoard bad(o);
  try {
    bad.boot();
    ADD_FAILURE() << "a bad configuration booted";
  } catch (const iss::BoardError& e) {
    EXPECT_NE(std::string(e.what()).find("halted with code 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dfc image: fatal: <boot block>:"), std::string::npos) << e.what();
  }
  o = board_options(profile("ms3"), 0);
  o.max_instructions = 50'000;
  IssBoard slow(o);
  EXPECT_THROW(slow.boot(), iss::BoardError);
}

// Instructions per path on the image (all contexts, from the delivery to idle again).
TEST(Board, InstructionsPerPath) {
  DFC_NEED_IMAGE();
  Twin t(profile("ms3"));
  auto cost = [&](const char* what, unsigned ctx, const Packet& p, size_t outputs) {
    const IssBoard::Mark m = t.board->mark();
    auto o = t.step(ctx, p);
    EXPECT_EQ(o.image.size(), outputs) << what;
    expect_same(o.host, o.image, what);
    const auto d = t.board->since(m);
    std::printf("%-22s %8llu instructions %7llu loads %7llu stores\n", what,
                static_cast<unsigned long long>(d.instructions), static_cast<unsigned long long>(d.loads),
                static_cast<unsigned long long>(d.stores));
    return d.instructions;
  };
  const uint64_t add = cost("DTCP ADD (+ reply)", 0, t.request(kAdd), 1);
  const uint64_t miss_copy = cost("flow miss + copy", 1, ipv4("192.168.10.4", "10.1.1.1", 17, 40000, 53, 80, 1), 1);
  const uint64_t hit_copy = cost("flow hit + copy", 1, ipv4("192.168.10.4", "10.1.1.1", 17, 40000, 53, 80, 2), 1);
  const uint64_t miss = cost("flow miss, no match", 1, ipv4("192.168.10.5", "10.1.1.1", 17, 40000, 53, 80, 3), 0);
  const uint64_t hit = cost("flow hit, no match", 1, ipv4("192.168.10.5", "10.1.1.1", 17, 40000, 53, 80, 4), 0);
  EXPECT_LT(hit_copy, miss_copy) << "a hit skips the classifier and the insertion";
  EXPECT_GT(hit, 100u);
  EXPECT_LT(hit, miss) << "a hit skips the classifier and the insertion";
  EXPECT_LT(hit, hit_copy) << "a copy costs its build";
  EXPECT_LT(hit_copy, 200'000u);
  EXPECT_GT(add, hit_copy) << "an ADD verifies and signs (HMAC-SHA1 twice)";
  EXPECT_LT(add, 20'000'000u);
}

}  // namespace
