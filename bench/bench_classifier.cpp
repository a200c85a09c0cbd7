// Classifier simulation speed: lookups per wall second vs depth and key width, for the
// Verilated RTL and the C++ reference model. Prints Markdown tables (docs/classifier.md).
//
//   bench_classifier [--quick] [--cpu] [--time SECONDS] [--variant none|vcd|fst]
// --cpu divides by the thread's CPU time instead of wall time (use on a loaded machine).
// --variant: which Verilated variant tables 1 and 2 use (ClassifierRtl::Wave): none (default,
// no trace code, what every run without --wave uses) or the one with VCD / FST trace code
// compiled in, with no trace open: the cost of trace support when it is off.
//
// Tables:
//  1. Device lookups (ClassifierDevice::lookup: key in, full match list out) vs depth, with
//     IPv4 5-tuple rules (prefix addresses, exact/wild protocol and ports, some ranges) —
//     the typical load — and with dense random ternary rules that care about every chunk of
//     the 384-bit entry (the RTL's worst case: no chunk can be skipped).
//  2. RTL first-match pipeline (one key per clock, results not drained) vs depth.
//  3. RTL vs entry width (KW + R bits), dense rules, N = 4096: separately Verilated variants.
// ClassBench through the firmware driver and the bus: `dfcsim classbench` (summary line).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <verilated.h>

#include "Vcls_w128.h"
#include "Vcls_w384.h"
#include "Vcls_w640.h"
#include "classifier_bus.hpp"
#include "classifier_bus_hal.hpp"
#include "classifier_device.hpp"
#include "classifier_ref.hpp"
#include "classifier_tss.hpp"
#include "classifier_rtl.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "dfc/hal/hal.hpp"

namespace {

using namespace dfc;
using clk = std::chrono::steady_clock;

double g_time = 1.0;  // seconds per measurement point
bool g_cpu = false;   // report per CPU-second of this thread instead of per wall second

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Runs fn(batch) repeatedly for about g_time seconds; returns calls per (wall or CPU) second.
double rate(const std::function<void(size_t)>& fn, size_t batch) {
  fn(batch / 10 + 1);  // warm up
  size_t n = 0;
  const auto t0 = clk::now();
  const double c0 = cpu_now();
  double dt = 0;
  do {
    fn(batch);
    n += batch;
    dt = std::chrono::duration<double>(clk::now() - t0).count();
  } while (dt < g_time);
  return double(n) / (g_cpu ? cpu_now() - c0 : dt);
}

using BusHal = model::ClassifierBusHal;

// ---- rule/key sets ----------------------------------------------------------------------
struct Load {
  std::vector<abi::Entry> entries;
  std::vector<abi::KeyWords> keys;
};

Load ipv4_load(uint32_t depth, std::mt19937& rng) {
  // Install through the driver into a reference device, then copy the entries.
  model::ClassifierRef ref(depth);
  BusHal hal(ref);
  fw::ClassifierDriver drv(hal);
  std::vector<fw::FlowKey> seeds;
  for (uint32_t i = 0; i < depth; ++i) {
    fw::MatchTerm t;
    t.family = fw::MatchTerm::Family::V4;
    const unsigned sl = 8 + rng() % 25, dl = 8 + rng() % 25;
    const uint32_t s = rng(), d = rng();
    t.src.lo.lo = s & (~0u << (32 - sl));
    t.src.hi.lo = t.src.lo.lo | ~(~0u << (32 - sl));
    t.dst.lo.lo = d & (~0u << (32 - dl));
    t.dst.hi.lo = t.dst.lo.lo | ~(~0u << (32 - dl));
    if (rng() % 2) t.proto_lo = t.proto_hi = rng() % 2 ? 6 : 17;
    if (rng() % 2) t.dport_lo = t.dport_hi = static_cast<uint16_t>(rng() % 1024);
    else if (rng() % 4 == 0) {
      t.dport_lo = static_cast<uint16_t>(1024 + rng() % 16);
      t.dport_hi = 65535;
    }
    if (!drv.install({t}, i)) break;
    fw::FlowKey k;
    k.src.lo = s;
    k.dst.lo = d;
    k.proto = t.proto_lo == t.proto_hi ? t.proto_lo : 6;
    k.has_ports = true;
    k.sport = static_cast<uint16_t>(rng());
    k.dport = t.dport_lo;
    seeds.push_back(k);
  }
  Load l;
  for (uint32_t i = 0; i < depth; ++i) l.entries.push_back(ref.entry(i));
  for (int n = 0; n < 4096; ++n) {
    fw::FlowKey k = seeds[rng() % seeds.size()];
    if (rng() % 4 == 0) k.src.lo = rng();
    l.keys.push_back(k.words());
  }
  return l;
}

// Dense ternary rules over the whole entry (every chunk cared about by some entry).
Load dense_load(uint32_t depth, std::mt19937& rng, unsigned words) {
  Load l;
  for (uint32_t i = 0; i < depth; ++i) {
    abi::Entry e;
    e.valid = true;
    for (unsigned w = 0; w < words && w < abi::ENTRY_WORDS; ++w) {
      e.mask[w] = (rng() | rng()) & (w >= abi::W_RANGE ? 0u : ~0u);
      e.value[w] = rng() & e.mask[w];
    }
    l.entries.push_back(e);
  }
  for (int n = 0; n < 4096; ++n) {
    const abi::Entry& e = l.entries[rng() % depth];
    abi::KeyWords k{};
    for (unsigned w = 0; w < abi::KEY_IN_WORDS; ++w) k[w] = (rng() & ~e.mask[w]) | e.value[w];
    l.keys.push_back(k);
  }
  return l;
}

double device_rate(model::ClassifierDevice& dev, const Load& l, double* avg_matches) {
  for (uint32_t i = 0; i < l.entries.size(); ++i) dev.write_entry(i, l.entries[i]);
  dev.set_group_enable(0, true);
  size_t k = 0, matches = 0, lookups = 0;
  const double r = rate(
      [&](size_t n) {
        for (size_t j = 0; j < n; ++j) {
          matches += dev.lookup(l.keys[k]).matches.size();
          ++lookups;
          k = (k + 1) % l.keys.size();
        }
      },
      256);
  if (avg_matches) *avg_matches = double(matches) / double(lookups);
  return r;
}

double pipeline_rate(rtl::ClassifierRtl& dev, const Load& l) {
  for (uint32_t i = 0; i < l.entries.size(); ++i) dev.write_entry(i, l.entries[i]);
  dev.set_group_enable(0, true);
  size_t k = 0;
  uint64_t sink = 0;
  const double r = rate(
      [&](size_t n) {
        rtl::ClassifierRtl::CycleIn in;
        for (size_t j = 0; j < n; ++j) {
          in.key = &l.keys[k];
          sink += dev.step(in).res_first;
          k = (k + 1) % l.keys.size();
        }
      },
      256);
  if (sink == 1) std::printf(" ");
  return r;
}

// ---- raw Verilated variants of other entry widths (KW + R bits), N = 4096 ---------------
template <typename V>
double width_rate(unsigned kw_bits, unsigned r_bits) {
  VerilatedContext ctx;
  V m(&ctx, "cls");
  auto tick = [&]() {
    m.clk = 1;
    m.eval();
    m.clk = 0;
    m.eval();
  };
  m.rst_n = 0;
  tick();
  m.rst_n = 1;
  const unsigned ew = (kw_bits + r_bits) / 32, kw = kw_bits / 32;
  std::mt19937 rng(3);
  std::vector<std::vector<uint32_t>> val(4096, std::vector<uint32_t>(ew)), msk = val;
  for (uint32_t i = 0; i < 4096; ++i) {
    for (unsigned w = 0; w < ew; ++w) {
      msk[i][w] = w < kw ? (rng() | rng()) : 0;
      val[i][w] = rng() & msk[i][w];
      m.wr_value[w] = val[i][w];
      m.wr_mask[w] = msk[i][w];
    }
    m.wr_en = 1;
    m.wr_idx = static_cast<uint16_t>(i);
    m.wr_valid = 1;
    m.wr_group = 0;
    tick();
  }
  m.wr_en = 0;
  m.ge_en = 1;
  m.ge_group = 0;
  m.ge_value = 1;
  tick();
  m.ge_en = 0;
  std::vector<std::vector<uint32_t>> keys(1024, std::vector<uint32_t>(kw));
  for (auto& k : keys) {
    const uint32_t e = rng() % 4096;
    for (unsigned w = 0; w < kw; ++w) k[w] = (rng() & ~msk[e][w]) | val[e][w];
  }
  size_t k = 0;
  uint64_t sink = 0;
  m.lk_valid = 1;
  const double r = rate(
      [&](size_t n) {
        for (size_t j = 0; j < n; ++j) {
          for (unsigned w = 0; w < kw; ++w) m.lk_key[w] = keys[k][w];
          tick();
          sink += m.res_first;
          k = (k + 1) % keys.size();
        }
      },
      256);
  m.final();
  if (sink == 1) std::printf(" ");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  rtl::ClassifierRtl::Wave variant = rtl::ClassifierRtl::Wave::None;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      quick = true;
      g_time = 0.2;
    } else if (!std::strcmp(argv[i], "--cpu")) {
      g_cpu = true;
    } else if (!std::strcmp(argv[i], "--time") && i + 1 < argc) {
      g_time = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--variant") && i + 1 < argc && !std::strcmp(argv[i + 1], "vcd")) {
      variant = rtl::ClassifierRtl::Wave::Vcd, ++i;
    } else if (!std::strcmp(argv[i], "--variant") && i + 1 < argc && !std::strcmp(argv[i + 1], "fst")) {
      variant = rtl::ClassifierRtl::Wave::Fst, ++i;
    } else if (!std::strcmp(argv[i], "--variant") && i + 1 < argc && !std::strcmp(argv[i + 1], "none")) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--cpu] [--time SECONDS] [--variant none|vcd|fst]\n", argv[0]);
      return 2;
    }
  }
  std::vector<uint32_t> depths = rtl::ClassifierRtl::compiled_depths();  // the contract's list
  if (quick) depths = {256, 4096};

  std::printf("(rates per %s second)\n\n", g_cpu ? "CPU" : "wall");
  std::printf("## 1. Device lookups/s (full match list) vs depth, 384-bit entries\n\n");
  std::printf("RTL: Verilated classifier. model: the tuple-space classifier (`--classifier model`). "
              "linear: the linear-scan oracle (ClassifierRef). 65536 entries: no compiled RTL depth.\n\n");
  std::printf("| depth | rules | RTL lookups/s | model lookups/s | linear lookups/s | model tuples | avg matches |\n"
              "|---|---|---|---|---|---|---|\n");
  std::vector<uint32_t> model_depths = depths;
  model_depths.push_back(65536);
  for (const char* kind : {"ipv4", "dense"}) {
    for (uint32_t d : model_depths) {
      std::mt19937 rng(d);
      const Load l = std::string(kind) == "ipv4" ? ipv4_load(d, rng) : dense_load(d, rng, 10);
      const bool has_rtl = d <= 16384;
      // The linear scan at 64k dense entries takes minutes to warm up: skip it there.
      const bool has_linear = d <= 16384;
      double avg = 0;
      char rr[32] = "–", lr[32] = "–";
      if (has_rtl) {
        rtl::ClassifierRtl r(d, variant);
        std::snprintf(rr, sizeof rr, "%.0f", device_rate(r, l, &avg));
      }
      model::ClassifierTss m(d);
      const double mr = device_rate(m, l, has_rtl ? nullptr : &avg);
      if (has_linear) {
        model::ClassifierRef lin(d);
        std::snprintf(lr, sizeof lr, "%.0f", device_rate(lin, l, nullptr));
      }
      std::printf("| %u | %s | %s | %.0f | %s | %zu | %.2f |\n", d, kind, rr, mr, lr, m.tuples(), avg);
      std::fflush(stdout);
    }
  }

  std::printf("\n## 2. RTL first-match pipeline (one key per clock) vs depth\n\n");
  std::printf("| depth | rules | lookups/s (= clocks/s) |\n|---|---|---|\n");
  for (const char* kind : {"ipv4", "dense"}) {
    for (uint32_t d : depths) {
      std::mt19937 rng(d);
      const Load l = std::string(kind) == "ipv4" ? ipv4_load(d, rng) : dense_load(d, rng, 10);
      rtl::ClassifierRtl r(d, variant);
      std::printf("| %u | %s | %.0f |\n", d, kind, pipeline_rate(r, l));
      std::fflush(stdout);
    }
  }

  std::printf("\n## 3. RTL vs entry width, N = 4096, dense rules, one key per clock\n\n");
  std::printf("| KW + R = entry bits | lookups/s |\n|---|---|\n");
  std::printf("| 96 + 32 = 128 | %.0f |\n", width_rate<Vcls_w128>(96, 32));
  std::fflush(stdout);
  std::printf("| 320 + 64 = 384 (ABI) | %.0f |\n", width_rate<Vcls_w384>(320, 64));
  std::fflush(stdout);
  std::printf("| 576 + 64 = 640 | %.0f |\n", width_rate<Vcls_w640>(576, 64));
  std::fflush(stdout);
  return 0;
}
