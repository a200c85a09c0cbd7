// The control path at speed (goal P4 of docs/performance.md): DTCP ADD requests through the
// firmware — parse, HMAC-SHA1 check, replay check, build the match terms, place them in the
// classifier through the driver (bus writes decoded onto the classifier device) and sign the reply —
// with criteria of random priorities (1..255) arriving in random order, so the driver must
// move entries to keep the table in priority order.
//
//   bench_dtcp_add [--classifier model|rtl] [--depth N] [--adds N] [--rounds R] [--order random|ascending|same]
//
// Each round starts a fresh card (firmware + empty classifier of `depth` entries) and sends
// `adds` ADDs (default: 90 % of the depth). The requests are built and signed by the control
// source (the testbench's DtcpAgent) before the clock starts; the timed part is only
// Firmware::on_packet for each request. Prints ADDs per wall second (over all rounds), entry
// moves per ADD (the driver's counter) and checks every reply is 200.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "classifier_bus.hpp"
#include "classifier_device.hpp"
#include "dfc/config/config.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/hal/hal.hpp"
#include "stimulus/dtcp_agent.hpp"

namespace {

using namespace dfc;

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// A HAL with only what the control path needs: the classifier behind its register decode.
class BenchHal : public Hal {
 public:
  explicit BenchHal(model::ClassifierDevice& dev) : bus_(dev) {}
  void bus_write(uint32_t addr, const uint32_t* w, size_t n) override {
    if (model::ClassifierBus::claims(addr)) bus_.write(addr, w, n);
  }
  void bus_read(uint32_t addr, uint32_t* w, size_t n) override {
    if (model::ClassifierBus::claims(addr))
      bus_.read(addr, w, n);
    else
      std::fill(w, w + n, 0u);
  }
  bool transmit(Packet&& p) override {
    // Replies: count the 200s (status line "DTCP/x.y 200 ...").
    const auto sp = std::find(p.data.begin(), p.data.end(), uint8_t(' '));
    if (sp != p.data.end() && p.data.end() - sp > 4 && sp[1] == '2' && sp[2] == '0' && sp[3] == '0') ++ok;
    ++sent;
    return true;
  }
  uint64_t now_ns() const override { return now; }
  uint64_t epoch_ms_at_reset() const override { return 1700000000000ull; }
  void arm_timer(uint64_t) override {}
  void consume_cycles(uint64_t) override {}
  uint64_t now = 0, ok = 0, sent = 0;

 private:
  model::ClassifierBus bus_;
};

const char* kConfig = R"(services { dynamic-flow-capture { capture-group g {
  interfaces dfc-0/0/0;
  control-source md1 { source-addresses 10.36.41.1; service-port 2400; shared-key "bench-key"; }
  content-destination cd1 { address 10.36.70.2; }
} } })";

}  // namespace

int main(int argc, char** argv) {
  std::string cls = "model", order = "random";
  uint32_t depth = 4096;
  size_t adds = 0, rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--classifier") cls = val();
    else if (a == "--depth") depth = static_cast<uint32_t>(std::stoul(val()));
    else if (a == "--adds") adds = std::stoul(val());
    else if (a == "--rounds") rounds = std::stoul(val());
    else if (a == "--order") order = val();
    else {
      std::fprintf(stderr, "usage: %s [--classifier model|rtl] [--depth N] [--adds N] [--rounds R] "
                   "[--order random|ascending|same]\n", argv[0]);
      return 2;
    }
  }
  if (adds == 0) adds = depth * 9 / 10;
  const config::DfcConfig cfg = config::parse_config(kConfig, "bench");
  std::mt19937_64 rng(42);
  double wall = 0, cpu = 0;
  uint64_t moves = 0, ok = 0, total = 0, entries = 0;
  for (size_t r = 0; r < rounds; ++r) {
    // The requests, signed in sending order (Seq increases), priorities in random order.
    tb::DtcpAgent agent("md1", "bench-key", 1);
    std::vector<Packet> reqs;
    reqs.reserve(adds);
    for (size_t k = 0; k < adds; ++k) {
      const unsigned prio = order == "random"    ? static_cast<unsigned>(1 + rng() % 255)
                            : order == "ascending" ? static_cast<unsigned>(1 + k * 255 / adds)
                                                   : 1u;
      char body[256];
      std::snprintf(body, sizeof body,
                    "ADD DTCP/0.7\nCsource-ID: md1\nCdest-ID: cd1\nDest-Address: 10.%zu.%zu.%zu\n"
                    "Protocol: 17\nDest-Port: %zu\nPriority: %u\nTimeout-Idle: 3600\n",
                    (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff, 1000 + k % 50000, prio);
      const std::string bytes = agent.prepare(body);
      Packet p;
      p.unit = Unit::Control;
      p.link = LinkType::RawIp;
      p.data.assign(bytes.begin(), bytes.end());
      p.src_ip = "10.36.41.1";
      p.src_port = 50000;
      p.dst_ip = "192.0.2.1";
      p.dst_port = 2400;
      p.id = k + 1;
      reqs.push_back(std::move(p));
    }
    std::unique_ptr<model::ClassifierDevice> dev = model::make_classifier(cls, depth);
    BenchHal hal(*dev);
    fw::Firmware fw(cfg, hal);
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    for (const Packet& p : reqs) {
      hal.now += 1000;  // 1 us apart
      fw.on_packet(p);
    }
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu += cpu_now() - c0;
    moves += fw.classifier().entry_moves();
    entries += fw.classifier().entries_used();
    ok += hal.ok;
    total += adds;
  }
  // The machine may be shared: ADDs per CPU second of this process is given as well.
  std::printf("| %s | %u | %s | %zu x %zu | %.0f | %.0f | %.2f | %llu of %llu |\n", cls.c_str(), depth, order.c_str(),
              rounds, adds, double(total) / wall, double(total) / cpu, double(moves) / double(total), static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(total));
  return ok == total ? 0 : 1;
}
